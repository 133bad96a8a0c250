#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "base/err.h"
#include "base/ids.h"
#include "services/common/record.h"

int iam_role_get(json_t **out, struct store *st, const char *account_id, const char *role_name)
{
    struct buf key = BUF_INIT;
    iam_key(&key, role_name, NULL);
    int rc = record_get(out, NULL, st, NULL, IAM_KIND_ROLE, account_id, key.data);
    buf_release(&key);
    if (rc == ERR_NOT_FOUND)
        return err_set(rc, "The role with name %s cannot be found.", role_name);
    return rc;
}

json_t *iam_role_out(json_t *rec)
{
    json_t *r = json_deep_copy(rec);
    json_object_del(r, "_name");
    const char *doc = iam_str(rec, "AssumeRolePolicyDocument");
    if (doc)
        json_object_set_new(r, "AssumeRolePolicyDocument", iam_policy_document_out(doc));
    if (json_array_size(json_object_get(r, "Tags")) == 0)
        json_object_del(r, "Tags");
    const char *boundary = iam_str(rec, "PermissionsBoundary");
    if (boundary)
        json_object_set_new(r, "PermissionsBoundary", iam_boundary_out(boundary));
    return r;
}

/* ListRoles leaves out the boundary, the tags and the last use, as IAM does. */
static json_t *role_list_item(json_t *rec)
{
    json_t *r = iam_role_out(rec);
    json_object_del(r, "PermissionsBoundary");
    json_object_del(r, "Tags");
    return r;
}

int iam_create_role(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_str(in, "RoleName");
    const char *path = iam_str(in, "Path") ?: "/";
    const char *trust = iam_str(in, "AssumeRolePolicyDocument");
    const char *description = iam_str(in, "Description");
    const char *boundary = iam_str(in, "PermissionsBoundary");
    json_t *max_session = json_object_get(in, "MaxSessionDuration");
    json_t *tags = json_object_get(in, "Tags");
    struct buf arn = BUF_INIT;
    iam_arn(&arn, call->account_id, "role", path, name);
    int rc = iam_authorize(call, arn.data);
    if (rc < 0 || (rc = iam_document_check(NULL, call, trust, IAM_DOC_TRUST)) < 0 ||
        (rc = iam_tags_check(call, tags)) < 0) {
        buf_release(&arn);
        return rc;
    }

    char id[22];
    aws_id(id, "AROA", 21);
    json_t *role = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:I}", "Path", path, "RoleName", name,
                             "RoleId", id, "Arn", arn.data, "CreateDate", (json_int_t)call->now_ms,
                             "AssumeRolePolicyDocument", trust, "MaxSessionDuration",
                             json_is_integer(max_session) ? json_integer_value(max_session)
                                                          : (json_int_t)3600);
    buf_release(&arn);
    if (description)
        json_object_set_new(role, "Description", json_string(description));
    if (json_array_size(tags))
        json_object_set(role, "Tags", tags);
    if (boundary)
        json_object_set_new(role, "PermissionsBoundary", json_string(boundary));

    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) == 0 &&
        (!boundary || (rc = iam_policy_attachable(call, tx, boundary, true)) == 0)) {
        rc = iam_entity_insert(call, tx, &iam_role_entity, name, role);
        if (rc == 0 && boundary)
            rc = iam_boundary_index(call, tx, &iam_role_entity, name, boundary, true);
        if (rc == 0)
            rc = store_tx_commit(TAKE_PTR(tx));
    }
    if (rc == 0)
        *out = json_pack("{s:o}", "Role", iam_role_out(role));
    json_decref(role);
    return rc;
}

int iam_get_role(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_str(in, "RoleName");
    json_t *role;
    int rc = iam_entity_authorize_get(&role, call, &iam_role_entity, name);
    if (rc < 0)
        return rc;
    json_t *r = iam_role_out(role);
    json_t *used;
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    if (record_get(&used, NULL, call->store, NULL, IAM_KIND_ROLE_LAST_USED, call->account_id,
                   key.data) == 0)
        json_object_set_new(r, "RoleLastUsed", used);
    else
        json_object_set_new(r, "RoleLastUsed", json_object());
    buf_release(&key);
    *out = json_pack("{s:o}", "Role", r);
    json_decref(role);
    return 0;
}

int iam_list_roles(struct api_call *call, json_t *in, json_t **out)
{
    /* AWS names the path as the resource: arn:aws:iam::ACCOUNT:role/ */
    struct buf arn = BUF_INIT;
    iam_arn(&arn, call->account_id, "role", iam_str(in, "PathPrefix"), "");
    int rc = iam_authorize(call, arn.data);
    buf_release(&arn);
    if (rc < 0)
        return rc;
    return iam_list_entities(out, call, in, IAM_KIND_ROLE, "Roles", role_list_item);
}

/* IAM's DeleteRole prerequisites, in the order its API reference lists them. */
static const struct iam_delete_blocker role_delete_blockers[] = {
    {IAM_KIND_ROLE_PROFILE, false,
     "Cannot delete entity, must remove roles from instance profile first."},
    {IAM_KIND_ROLE_POLICY, false, "Cannot delete entity, must delete policies first."},
    {IAM_KIND_ROLE_ATTACHMENT, false, "Cannot delete entity, must detach all policies first."},
};

int iam_role_delete(struct api_call *call, struct store_tx *tx, json_t *role)
{
    const char *name = iam_str(role, "RoleName");
    const char *boundary = iam_str(role, "PermissionsBoundary");
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    int rc = 0;
    if (boundary)
        rc = iam_boundary_index(call, tx, &iam_role_entity, name, boundary, false);
    if (rc == 0)
        rc = store_doc_delete(call->store, tx, IAM_KIND_ROLE_LAST_USED, call->account_id, key.data,
                              0);
    if (rc == 0 || rc == ERR_NOT_FOUND)
        rc = store_doc_delete(call->store, tx, IAM_KIND_ROLE, call->account_id, key.data, 0);
    buf_release(&key);
    return rc;
}

int iam_delete_role(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = iam_str(in, "RoleName");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *role;
    int rc = iam_entity_change_begin(&role, NULL, &tx, call, &iam_role_entity, name);
    if (rc < 0)
        return rc;
    if (iam_role_is_service_linked(role))
        rc = iam_role_unmodifiable(call, role);
    if (rc == 0 &&
        (rc = iam_entity_delete_conflict(call, tx, role_delete_blockers,
                                         ARRAY_SIZE(role_delete_blockers), name)) == 0 &&
        (rc = iam_role_delete(call, tx, role)) == 0)
        rc = iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
    json_decref(role);
    return rc;
}

/*
 * iam_entity_change_begin() for a role, refusing a service-linked one unless
 * `linked_ok`.
 */
static int role_change_begin(json_t **out, int64_t *version, struct store_tx **tx,
                             struct api_call *call, const char *name, bool linked_ok)
{
    json_t *role;
    int rc = iam_entity_change_begin(&role, version, tx, call, &iam_role_entity, name);
    if (rc == 0 && !linked_ok && iam_role_is_service_linked(role)) {
        rc = iam_role_unmodifiable(call, role);
        json_decref(role);
    }
    if (rc == 0)
        *out = role;
    return rc;
}

static int role_write(struct api_call *call, struct store_tx *tx, json_t *role, int64_t version)
{
    struct buf key = BUF_INIT;
    iam_key(&key, iam_str(role, "RoleName"), NULL);
    int rc =
        record_update(call->store, tx, IAM_KIND_ROLE, call->account_id, key.data, version, role);
    buf_release(&key);
    return rc;
}

int iam_update_role(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_str(in, "RoleName");
    const char *description = iam_str(in, "Description");
    json_t *max_session = json_object_get(in, "MaxSessionDuration");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *role;
    int64_t version;
    /* AWS lets the description of a service-linked role be edited, nothing else. */
    int rc = role_change_begin(&role, &version, &tx, call, name, !max_session);
    if (rc < 0)
        return rc;
    if (description)
        json_object_set_new(role, "Description", json_string(description));
    if (json_is_integer(max_session))
        json_object_set(role, "MaxSessionDuration", max_session);
    if ((rc = role_write(call, tx, role, version)) == 0 &&
        (rc = iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)))) == 0)
        *out = json_object();
    json_decref(role);
    return rc;
}

int iam_update_role_description(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_str(in, "RoleName");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *role;
    int64_t version;
    int rc = role_change_begin(&role, &version, &tx, call, name, true);
    if (rc < 0)
        return rc;
    json_object_set(role, "Description", json_object_get(in, "Description"));
    if ((rc = role_write(call, tx, role, version)) == 0 &&
        (rc = store_tx_commit(TAKE_PTR(tx))) == 0)
        *out = json_pack("{s:o}", "Role", iam_role_out(role));
    json_decref(role);
    return rc;
}

int iam_update_assume_role_policy(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = iam_str(in, "RoleName");
    const char *trust = iam_str(in, "PolicyDocument");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *role;
    int64_t version;
    int rc = role_change_begin(&role, &version, &tx, call, name, false);
    if (rc < 0)
        return rc;
    if ((rc = iam_document_check(NULL, call, trust, IAM_DOC_TRUST)) == 0) {
        json_object_set_new(role, "AssumeRolePolicyDocument", json_string(trust));
        if ((rc = role_write(call, tx, role, version)) == 0)
            rc = iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
    }
    json_decref(role);
    return rc;
}
