#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "base/err.h"
#include "base/ids.h"
#include "services/common/record.h"

json_t *iam_user_new(const char *account, const char *name, const char *path, int64_t now_ms)
{
    char id[22];
    aws_id(id, "AIDA", 21);
    struct buf arn = BUF_INIT;
    iam_arn(&arn, account, "user", path, name);
    json_t *user = json_pack("{s:s, s:s, s:s, s:s, s:I}", "Path", path, "UserName", name, "UserId",
                             id, "Arn", arn.data, "CreateDate", (json_int_t)now_ms);
    buf_release(&arn);
    return user;
}

json_t *iam_user_out(json_t *rec)
{
    json_t *u = json_deep_copy(rec);
    json_object_del(u, "_name");
    if (json_array_size(json_object_get(u, "Tags")) == 0)
        json_object_del(u, "Tags");
    const char *boundary = iam_str(rec, "PermissionsBoundary");
    if (boundary)
        json_object_set_new(u, "PermissionsBoundary", iam_boundary_out(boundary));
    return u;
}

/* ListUsers leaves out the boundary and the tags, as IAM does. */
static json_t *user_list_item(json_t *rec)
{
    json_t *u = iam_user_out(rec);
    json_object_del(u, "PermissionsBoundary");
    json_object_del(u, "Tags");
    return u;
}

int iam_create_user(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_str(in, "UserName");
    const char *path = iam_str(in, "Path") ?: "/";
    const char *boundary = iam_str(in, "PermissionsBoundary");
    json_t *tags = json_object_get(in, "Tags");
    struct buf arn = BUF_INIT;
    iam_arn(&arn, call->account_id, "user", path, name);
    int rc = iam_authorize(call, arn.data);
    buf_release(&arn);
    if (rc < 0 || (rc = iam_tags_check(call, tags)) < 0)
        return rc;

    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    if (boundary && (rc = iam_policy_attachable(call, tx, boundary, true)) < 0)
        return rc;
    json_t *user = iam_user_new(call->account_id, name, path, call->now_ms);
    if (json_array_size(tags))
        json_object_set(user, "Tags", tags);
    if (boundary)
        json_object_set_new(user, "PermissionsBoundary", json_string(boundary));
    rc = iam_entity_insert(call, tx, &iam_user_entity, name, user);
    if (rc == 0 && boundary)
        rc = iam_boundary_index(call, tx, &iam_user_entity, name, boundary, true);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0)
        *out = json_pack("{s:o}", "User", iam_user_out(user));
    json_decref(user);
    return rc;
}

int iam_get_user(struct api_call *call, json_t *in, json_t **out)
{
    const char *name;
    json_t *user;
    int rc = iam_user_name_or_caller(&name, call, in);
    if (rc < 0 || (rc = iam_entity_authorize_get(&user, call, &iam_user_entity, name)) < 0)
        return rc;
    *out = json_pack("{s:o}", "User", iam_user_out(user));
    json_decref(user);
    return 0;
}

int iam_list_users(struct api_call *call, json_t *in, json_t **out)
{
    /* AWS names the path as the resource: arn:aws:iam::ACCOUNT:user/ */
    struct buf arn = BUF_INIT;
    iam_arn(&arn, call->account_id, "user", iam_str(in, "PathPrefix"), "");
    int rc = iam_authorize(call, arn.data);
    buf_release(&arn);
    if (rc < 0)
        return rc;
    return iam_list_entities(out, call, in, IAM_KIND_USER, "Users", user_list_item);
}

/* Moves what else is filed under the user's name (its index entries moved already). */
static int user_rename_rest(struct api_call *call, struct store_tx *tx, const char *from,
                            const char *to)
{
    int rc;
    if ((rc = iam_group_memberships_rename(call, tx, &iam_user_entity, from, to)) < 0 ||
        (rc = iam_user_keys_rename(call, tx, from, to)) < 0 ||
        (rc = iam_user_service_credentials_rename(call, tx, from, to)) < 0 ||
        (rc = iam_children_rename(call, tx, IAM_KIND_USER_KEY, from, to, NULL, NULL)) < 0 ||
        (rc = iam_children_rename(call, tx, IAM_KIND_USER_ATTACHMENT, from, to, NULL, NULL)) < 0 ||
        (rc = iam_children_rename(call, tx, IAM_KIND_USER_POLICY, from, to, "UserName", to)) < 0 ||
        (rc = iam_children_rename(call, tx, IAM_KIND_USER_GROUP, from, to, NULL, NULL)) < 0)
        return rc;

    struct buf old_key = BUF_INIT, new_key = BUF_INIT;
    iam_key(&old_key, from, NULL);
    iam_key(&new_key, to, NULL);
    json_t *profile;
    rc = record_get(&profile, NULL, call->store, tx, IAM_KIND_LOGIN_PROFILE, call->account_id,
                    old_key.data);
    if (rc == 0) {
        json_object_set_new(profile, "UserName", json_string(to));
        rc = iam_record_move(call, tx, IAM_KIND_LOGIN_PROFILE, old_key.data, new_key.data, profile);
        json_decref(profile);
    } else if (rc == ERR_NOT_FOUND) {
        rc = 0;
    }
    buf_release(&old_key);
    buf_release(&new_key);
    return rc;
}

int iam_update_user(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    return iam_entity_update(call, in, &iam_user_entity, user_rename_rest);
}

/* IAM's DeleteUser prerequisites, in the order its API reference lists them. */
static const struct iam_delete_blocker user_delete_blockers[] = {
    {IAM_KIND_LOGIN_PROFILE, true, "Cannot delete entity, must delete login profile first."},
    {IAM_KIND_USER_KEY, false, "Cannot delete entity, must delete access keys first."},
    /* Git credentials; IAM words this one generically. */
    {IAM_KIND_SERVICE_CRED, false, "Cannot delete entity, must remove referenced objects first."},
    {IAM_KIND_USER_POLICY, false, "Cannot delete entity, must delete policies first."},
    {IAM_KIND_USER_ATTACHMENT, false, "Cannot delete entity, must detach all policies first."},
    {IAM_KIND_USER_GROUP, false, "Cannot delete entity, must remove users from group first."},
};

int iam_delete_user(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = iam_str(in, "UserName");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *user;
    int rc = iam_entity_change_begin(&user, NULL, &tx, call, &iam_user_entity, name);
    if (rc < 0)
        return rc;
    const char *boundary = iam_str(user, "PermissionsBoundary");
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    if ((rc = iam_entity_delete_conflict(call, tx, user_delete_blockers,
                                         ARRAY_SIZE(user_delete_blockers), name)) == 0 &&
        (!boundary ||
         (rc = iam_boundary_index(call, tx, &iam_user_entity, name, boundary, false)) == 0) &&
        (rc = store_doc_delete(call->store, tx, IAM_KIND_USER, call->account_id, key.data, 0)) == 0)
        rc = iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
    buf_release(&key);
    json_decref(user);
    return rc;
}
