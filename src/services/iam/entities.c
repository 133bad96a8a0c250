#include "base/common.h"
#include "services/iam/iam_internal.h"
#include "base/err.h"
#include "services/common/record.h"

/* Users, groups and roles: what the files that serve all three share. */

const struct iam_entity_kind iam_user_entity = {
    .kind = IAM_KIND_USER,
    .type = "user",
    .entity_type = "User",
    .name_field = "UserName",
    .id_field = "UserId",
    .policy_kind = IAM_KIND_USER_POLICY,
    .attachment_kind = IAM_KIND_USER_ATTACHMENT,
    .policy_quota = "PoliciesPerUser",
    .inline_max = 2048,
};

const struct iam_entity_kind iam_group_entity = {
    .kind = IAM_KIND_GROUP,
    .type = "group",
    .entity_type = "Group",
    .name_field = "GroupName",
    .id_field = "GroupId",
    .policy_kind = IAM_KIND_GROUP_POLICY,
    .attachment_kind = IAM_KIND_GROUP_ATTACHMENT,
    .policy_quota = "PoliciesPerGroup",
    .inline_max = 5120,
};

const struct iam_entity_kind iam_role_entity = {
    .kind = IAM_KIND_ROLE,
    .type = "role",
    .entity_type = "Role",
    .name_field = "RoleName",
    .id_field = "RoleId",
    .policy_kind = IAM_KIND_ROLE_POLICY,
    .attachment_kind = IAM_KIND_ROLE_ATTACHMENT,
    .policy_quota = "PoliciesPerRole",
    .inline_max = 10240,
};

int iam_entity_get(json_t **out, int64_t *version, struct api_call *call, struct store_tx *tx,
                   const struct iam_entity_kind *k, const char *name)
{
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    int rc = record_get(out, version, call->store, tx, k->kind, call->account_id, key.data);
    buf_release(&key);
    if (rc == ERR_NOT_FOUND)
        return api_error(call, rc, "NoSuchEntity", "The %s with name %s cannot be found.", k->type,
                         name);
    return rc;
}

/* Reads the entity and asks about its ARN (path "/" when it is missing). */
static int entity_read_authorize(json_t **rec_out, int *found_out, struct api_call *call,
                                 const struct iam_entity_kind *k, const char *name)
{
    struct buf key = BUF_INIT, arn = BUF_INIT;
    iam_key(&key, name, NULL);
    json_t *rec = NULL;
    int found = record_get(&rec, NULL, call->store, NULL, k->kind, call->account_id, key.data);
    int rc = found;
    if (found == 0)
        buf_adds(&arn, iam_str(rec, "Arn"));
    else if (found == ERR_NOT_FOUND)
        iam_arn(&arn, call->account_id, k->type, "/", name);
    if (found == 0 || found == ERR_NOT_FOUND)
        rc = iam_authorize(call, arn.data);
    buf_release(&key);
    buf_release(&arn);
    if (rc < 0) {
        json_decref(rec);
        return rc;
    }
    *rec_out = rec;
    *found_out = found;
    return 0;
}

int iam_entity_authorize_get(json_t **rec_out, struct api_call *call,
                             const struct iam_entity_kind *k, const char *name)
{
    json_t *rec;
    int found;
    int rc = entity_read_authorize(&rec, &found, call, k, name);
    if (rc < 0)
        return rc;
    if (found == ERR_NOT_FOUND)
        return api_error(call, ERR_NOT_FOUND, "NoSuchEntity",
                         "The %s with name %s cannot be found.", k->type, name);
    *rec_out = rec;
    return 0;
}

int iam_entity_authorize(struct api_call *call, const struct iam_entity_kind *k, const char *name)
{
    json_t *rec;
    int found;
    int rc = entity_read_authorize(&rec, &found, call, k, name);
    if (rc == 0)
        json_decref(rec);
    return rc;
}

bool iam_role_is_service_linked(json_t *role)
{
    const char *path = iam_str(role, "Path");
    return path && strncmp(path, IAM_SERVICE_LINKED_PATH, strlen(IAM_SERVICE_LINKED_PATH)) == 0;
}

int iam_role_unmodifiable(struct api_call *call, json_t *role)
{
    return api_error(call, ERR_INVALID, "UnmodifiableEntity",
                     "Cannot perform the operation on the protected role '%s' - this role is only "
                     "modifiable by AWS",
                     iam_str(role, "RoleName"));
}

int iam_user_name_or_caller(const char **out, struct api_call *call, json_t *in)
{
    const char *name = iam_str(in, "UserName");
    if (!name && call->principal->type == PRINCIPAL_USER)
        name = call->principal->name;
    if (!name)
        return api_error(call, ERR_INVALID, "ValidationError",
                         "Must specify userName when calling with non-User credentials");
    *out = name;
    return 0;
}
