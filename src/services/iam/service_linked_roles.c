#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "base/err.h"
#include "base/ids.h"
#include "services/common/record.h"

/*
 * Service-linked roles: roles a service owns in the account, at
 * /aws-service-role/SERVICE/, trusting only that service and holding only
 * the service's own policy. IAM refuses to change them
 * (iam_role_unmodifiable) except their description; they go through
 * DeleteServiceLinkedRole, whose task is recorded for
 * GetServiceLinkedRoleDeletionStatus:
 *   iam.slr_deletion  ACCOUNT / TASK_ID  {Status, RoleName}
 */

struct linked_service {
    const char *service;
    const char *role_name;
    const char *policy; /* under arn:aws:iam::aws:policy/aws-service-role/ */
    const char *description;
    bool custom_suffix;
};

/* The services slipway runs or works with, and the roles AWS documents for them. */
static const struct linked_service linked_services[] = {
    {"access-analyzer.amazonaws.com", "AWSServiceRoleForAccessAnalyzer",
     "AccessAnalyzerServiceRolePolicy", "", false},
    {"apidestinations.events.amazonaws.com", "AWSServiceRoleForAmazonEventBridgeApiDestinations",
     "AmazonEventBridgeApiDestinationsServiceRolePolicy",
     "Enables access to Secrets Manager Secrets created by EventBridge.", false},
    {"autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling", "AutoScalingServiceRolePolicy",
     "Default Service-Linked Role enables access to AWS Services and Resources used or managed "
     "by Auto Scaling",
     true},
    {"cloudtrail.amazonaws.com", "AWSServiceRoleForCloudTrail", "CloudTrailServiceRolePolicy", "",
     false},
    {"codestar-notifications.amazonaws.com", "AWSServiceRoleForCodeStarNotifications",
     "AWSCodeStarNotificationsServiceRolePolicy", "", false},
    {"elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing",
     "AWSElasticLoadBalancingServiceRolePolicy", "Allows ELB to call AWS services on your behalf.",
     false},
    {"events.amazonaws.com", "AWSServiceRoleForCloudWatchEvents",
     "CloudWatchEventsServiceRolePolicy", "", false},
    {"schemas.amazonaws.com", "AWSServiceRoleForSchemas",
     "AmazonEventBridgeSchemasServiceRolePolicy", "", false},
    {"ssm.amazonaws.com", "AWSServiceRoleForAmazonSSM", "AmazonSSMServiceRolePolicy",
     "Provides access to AWS Resources managed or used by Amazon SSM.", false},
};

static const struct linked_service *linked_service_find(const char *service)
{
    for (size_t i = 0; i < ARRAY_SIZE(linked_services); i++)
        if (strcmp(linked_services[i].service, service) == 0)
            return &linked_services[i];
    return NULL;
}

/* Creates the role `name` of service `s` at `arn`, with the service's policy attached. */
static int linked_role_create(json_t **out, struct api_call *call, const struct linked_service *s,
                              const char *name, const char *path, const char *arn,
                              const char *description)
{
    char id[22];
    aws_id(id, "AROA", 21);
    struct buf trust = BUF_INIT, policy = BUF_INIT, key = BUF_INIT;
    buf_addf(&trust,
             "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
             "{\"Service\":[\"%s\"]},\"Action\":[\"sts:AssumeRole\"]}]}",
             s->service);
    json_t *role = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:i}", "Path", path, "RoleName", name,
                             "RoleId", id, "Arn", arn, "CreateDate", (json_int_t)call->now_ms,
                             "AssumeRolePolicyDocument", trust.data, "MaxSessionDuration", 3600);
    if (description || *s->description)
        json_object_set_new(role, "Description",
                            json_string(description ? description : s->description));
    buf_addf(&policy, "%s%s%s", IAM_AWS_POLICY_PREFIX, IAM_SERVICE_LINKED_PATH, s->policy);
    iam_key(&key, name, NULL);

    _cleanup_store_tx_ struct store_tx *tx = NULL;
    int rc = store_tx_begin(&tx, call->store);
    if (rc == 0) {
        rc = record_insert(call->store, tx, IAM_KIND_ROLE, call->account_id, key.data, role);
        if (rc == ERR_EXISTS)
            rc = api_error(call, ERR_INVALID, "InvalidInput",
                           "Service role name %s has been taken in this account, please try a "
                           "different suffix.",
                           name);
    }
    if (rc == 0)
        rc = iam_attachment_put(call->store, tx, &iam_role_entity, call->account_id, name,
                                policy.data);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0)
        *out = json_pack("{s:o}", "Role", iam_role_out(role));
    json_decref(role);
    buf_release(&trust);
    buf_release(&policy);
    buf_release(&key);
    return rc;
}

int iam_create_service_linked_role(struct api_call *call, json_t *in, json_t **out)
{
    const char *service = iam_str(in, "AWSServiceName");
    const char *suffix = iam_str(in, "CustomSuffix");
    const struct linked_service *s = linked_service_find(service);
    struct buf name = BUF_INIT, path = BUF_INIT, arn = BUF_INIT;
    buf_adds(&name, s ? s->role_name : "AWSServiceRoleFor");
    if (suffix)
        buf_addf(&name, "_%s", suffix);
    buf_addf(&path, "%s%s/", IAM_SERVICE_LINKED_PATH, service);
    iam_arn(&arn, call->account_id, "role", path.data, name.data);
    int rc = iam_authorize(call, arn.data);
    if (rc == 0 && !s)
        rc = api_error(call, ERR_INVALID, "InvalidInput",
                       "Service %s does not support service-linked roles.", service);
    else if (rc == 0 && suffix && !s->custom_suffix)
        rc = api_error(call, ERR_INVALID, "InvalidInput", "Custom suffix is not allowed for %s",
                       service);
    if (rc == 0)
        rc = linked_role_create(out, call, s, name.data, path.data, arn.data,
                                iam_str(in, "Description"));
    buf_release(&name);
    buf_release(&path);
    buf_release(&arn);
    return rc;
}

/* Everything the service put on its role goes with it. */
static int linked_role_detach_all(struct api_call *call, struct store_tx *tx, const char *name)
{
    json_t *attached;
    int rc = iam_attached_policies(&attached, call, tx, &iam_role_entity, name);
    if (rc < 0)
        return rc;
    size_t i;
    json_t *a;
    json_array_foreach(attached, i, a)
    {
        struct buf index = BUF_INIT;
        iam_policy_index_key(&index, iam_str(a, "PolicyArn"), "role", name);
        rc = store_doc_delete(call->store, tx, IAM_KIND_POLICY_ENTITY, call->account_id, index.data,
                              0);
        buf_release(&index);
        if (rc < 0 && rc != ERR_NOT_FOUND)
            break;
        rc = 0;
    }
    json_decref(attached);
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, name, "");
    if (rc == 0)
        rc = store_doc_delete_prefix(NULL, call->store, tx, IAM_KIND_ROLE_ATTACHMENT,
                                     call->account_id, prefix.data);
    if (rc == 0)
        rc = store_doc_delete_prefix(NULL, call->store, tx, IAM_KIND_ROLE_POLICY, call->account_id,
                                     prefix.data);
    buf_release(&prefix);
    return rc;
}

int iam_delete_service_linked_role(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_str(in, "RoleName");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *role;
    int rc = iam_entity_change_begin(&role, NULL, &tx, call, &iam_role_entity, name);
    if (rc < 0)
        return rc;
    size_t profiles = 0;
    if (!iam_role_is_service_linked(role))
        rc = api_error(call, ERR_INVALID, "InvalidInput", "Role %s is not a service-linked role.",
                       iam_str(role, "RoleName"));
    else if ((rc = iam_children_count(&profiles, call, tx, IAM_KIND_ROLE_PROFILE, name)) == 0 &&
             profiles)
        rc = api_error(call, ERR_CONFLICT, "DeleteConflict",
                       "Cannot delete entity, must remove roles from instance profile first.");

    /* The deletion is done at once; the task records that it succeeded. */
    char uuid[UUID_TEXT_LEN];
    uuid_v4(uuid);
    struct buf task = BUF_INIT;
    const char *path = iam_str(role, "Path") ?: "/";
    buf_addf(&task, "task%s%s/%s", path, iam_str(role, "RoleName"), uuid);
    if (rc == 0 && (rc = linked_role_detach_all(call, tx, name)) == 0 &&
        (rc = iam_role_delete(call, tx, role)) == 0) {
        json_t *status = json_pack("{s:s, s:O}", "Status", "SUCCEEDED", "RoleName",
                                   json_object_get(role, "RoleName"));
        rc = record_insert(call->store, tx, IAM_KIND_SLR_DELETION, call->account_id, task.data,
                           status);
        json_decref(status);
    }
    if (rc == 0 && (rc = iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)))) == 0)
        *out = json_pack("{s:s}", "DeletionTaskId", task.data);
    buf_release(&task);
    json_decref(role);
    return rc;
}

int iam_get_service_linked_role_deletion_status(struct api_call *call, json_t *in, json_t **out)
{
    const char *task = iam_str(in, "DeletionTaskId");
    /* task/aws-service-role/SERVICE/ROLE/UUID names the role it deleted. */
    const char *path = task + strlen("task");
    const char *uuid = strrchr(task, '/');
    const char *name = NULL;
    if (strncmp(task, "task" IAM_SERVICE_LINKED_PATH, strlen("task" IAM_SERVICE_LINKED_PATH)) ==
            0 &&
        uuid && uuid > path) {
        for (const char *p = uuid - 1; p > path && !name; p--)
            if (*p == '/')
                name = p + 1;
    }
    if (!name)
        return api_error(call, ERR_INVALID, "InvalidInput", "Invalid deletion task id: %s", task);
    struct buf arn = BUF_INIT;
    buf_addf(&arn, "arn:aws:iam::%s:role%.*s", call->account_id, (int)(uuid - path), path);
    int rc = iam_authorize(call, arn.data);
    buf_release(&arn);
    if (rc < 0)
        return rc;
    json_t *status;
    rc =
        record_get(&status, NULL, call->store, NULL, IAM_KIND_SLR_DELETION, call->account_id, task);
    if (rc == ERR_NOT_FOUND)
        return api_error(call, rc, "NoSuchEntity", "Deletion task %s cannot be found.", task);
    if (rc < 0)
        return rc;
    *out = json_pack("{s:O}", "Status", json_object_get(status, "Status"));
    json_decref(status);
    return 0;
}
