#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "base/err.h"
#include "services/common/record.h"

/*
 * Permissions boundaries of users and roles. The entity's record holds the
 * policy's ARN as "PermissionsBoundary"; the policy's index
 * (iam.policy_boundary, named like the attachment index) counts its uses
 * for PermissionsBoundaryUsageCount and stops DeletePolicy while it bounds
 * anything.
 */

json_t *iam_boundary_out(const char *arn)
{
    return json_pack("{s:s, s:s}", "PermissionsBoundaryType", "Policy", "PermissionsBoundaryArn",
                     arn);
}

int iam_boundary_index(struct api_call *call, struct store_tx *tx, const struct iam_entity_kind *k,
                       const char *entity, const char *arn, bool add)
{
    struct buf key = BUF_INIT;
    iam_policy_index_key(&key, arn, k->type, entity);
    int rc;
    if (add) {
        json_t *entry = json_pack("{s:s, s:s}", "EntityType", k->entity_type, "Name", entity);
        rc = record_upsert(call->store, tx, IAM_KIND_POLICY_BOUNDARY, call->account_id, key.data,
                           entry);
        json_decref(entry);
    } else {
        rc = store_doc_delete(call->store, tx, IAM_KIND_POLICY_BOUNDARY, call->account_id, key.data,
                              0);
        if (rc == ERR_NOT_FOUND)
            rc = 0;
    }
    buf_release(&key);
    return rc;
}

int iam_boundary_set(struct api_call *call, struct store_tx *tx, const struct iam_entity_kind *k,
                     json_t *entity, int64_t version, const char *arn)
{
    const char *name = iam_str(entity, k->name_field);
    const char *old = iam_str(entity, "PermissionsBoundary");
    int rc = 0;
    if (old)
        rc = iam_boundary_index(call, tx, k, name, old, false);
    if (rc == 0 && arn)
        rc = iam_boundary_index(call, tx, k, name, arn, true);
    if (rc < 0)
        return rc;
    if (arn)
        json_object_set_new(entity, "PermissionsBoundary", json_string(arn));
    else
        json_object_del(entity, "PermissionsBoundary");
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    rc = record_update(call->store, tx, k->kind, call->account_id, key.data, version, entity);
    buf_release(&key);
    return rc;
}

static int boundary_change(struct api_call *call, json_t *in, const struct iam_entity_kind *k,
                           bool put)
{
    const char *name = iam_str(in, k->name_field);
    const char *arn = put ? iam_str(in, "PermissionsBoundary") : NULL;
    int rc = iam_entity_authorize(call, k, name);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *entity;
    int64_t version;
    if ((rc = iam_entity_get(&entity, &version, call, tx, k, name)) < 0)
        return rc;
    if (k == &iam_role_entity && iam_role_is_service_linked(entity))
        rc = iam_role_unmodifiable(call, entity);
    if (rc == 0 && arn)
        rc = iam_policy_attachable(call, tx, arn, true);
    if (rc == 0)
        rc = iam_boundary_set(call, tx, k, entity, version, arn);
    json_decref(entity);
    if (rc < 0)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

int iam_put_user_permissions_boundary(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    return boundary_change(call, in, &iam_user_entity, true);
}

int iam_delete_user_permissions_boundary(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    return boundary_change(call, in, &iam_user_entity, false);
}

int iam_put_role_permissions_boundary(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    return boundary_change(call, in, &iam_role_entity, true);
}

int iam_delete_role_permissions_boundary(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    return boundary_change(call, in, &iam_role_entity, false);
}
