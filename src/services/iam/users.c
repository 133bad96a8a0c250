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
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    rc = record_insert(call->store, tx, IAM_KIND_USER, call->account_id, key.data, user);
    buf_release(&key);
    if (rc == ERR_EXISTS)
        rc = api_error(call, rc, "EntityAlreadyExists", "User with name %s already exists.", name);
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

/* Moves the index entries that name the user from `from` to `to`. */
static int user_index_rename(struct api_call *call, struct store_tx *tx, json_t *user,
                             const char *from, const char *to)
{
    json_t *attached;
    int rc = iam_attached_policies(&attached, call, tx, &iam_user_entity, from);
    if (rc < 0)
        return rc;
    size_t i;
    json_t *a;
    json_array_foreach(attached, i, a)
    {
        struct buf old_key = BUF_INIT, new_key = BUF_INIT;
        const char *arn = iam_str(a, "PolicyArn");
        iam_policy_index_key(&old_key, arn, "user", from);
        iam_policy_index_key(&new_key, arn, "user", to);
        json_t *entry = json_pack("{s:s, s:s}", "EntityType", "User", "Name", to);
        rc = store_doc_delete(call->store, tx, IAM_KIND_POLICY_ENTITY, call->account_id,
                              old_key.data, 0);
        if (rc == 0 || rc == ERR_NOT_FOUND)
            rc = record_upsert(call->store, tx, IAM_KIND_POLICY_ENTITY, call->account_id,
                               new_key.data, entry);
        json_decref(entry);
        buf_release(&old_key);
        buf_release(&new_key);
        if (rc < 0)
            break;
    }
    json_decref(attached);
    const char *boundary = iam_str(user, "PermissionsBoundary");
    if (rc == 0 && boundary &&
        (rc = iam_boundary_index(call, tx, &iam_user_entity, from, boundary, false)) == 0)
        rc = iam_boundary_index(call, tx, &iam_user_entity, to, boundary, true);
    if (rc < 0)
        return rc;

    /* Each group's member list names the user too. */
    json_t *groups;
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, from, "");
    rc = iam_records_all(&groups, call, tx, IAM_KIND_USER_GROUP, prefix.data);
    buf_release(&prefix);
    if (rc < 0)
        return rc;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        struct buf old_key = BUF_INIT, new_key = BUF_INIT, user_key = BUF_INIT;
        const char *group = iam_str(g, "GroupName");
        iam_key(&user_key, from, NULL);
        iam_key(&old_key, group, user_key.data);
        buf_reset(&user_key);
        iam_key(&user_key, to, NULL);
        iam_key(&new_key, group, user_key.data);
        json_t *member = json_pack("{s:s}", "UserName", to);
        rc = store_doc_delete(call->store, tx, IAM_KIND_GROUP_MEMBER, call->account_id,
                              old_key.data, 0);
        if (rc == 0 || rc == ERR_NOT_FOUND)
            rc = record_upsert(call->store, tx, IAM_KIND_GROUP_MEMBER, call->account_id,
                               new_key.data, member);
        json_decref(member);
        buf_release(&old_key);
        buf_release(&new_key);
        buf_release(&user_key);
        if (rc < 0)
            break;
    }
    json_decref(groups);
    return rc;
}

/* Everything filed under the user's name follows a rename. */
static int user_rename(struct api_call *call, struct store_tx *tx, json_t *user, const char *from,
                       const char *to)
{
    int rc;
    /* The indexes are read under the old name, so they move first. */
    if ((rc = user_index_rename(call, tx, user, from, to)) < 0 ||
        (rc = iam_user_keys_rename(call, tx, from, to)) < 0 ||
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
        rc = store_doc_delete(call->store, tx, IAM_KIND_LOGIN_PROFILE, call->account_id,
                              old_key.data, 0);
        if (rc == 0)
            rc = record_upsert(call->store, tx, IAM_KIND_LOGIN_PROFILE, call->account_id,
                               new_key.data, profile);
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
    const char *name = iam_str(in, "UserName");
    const char *new_name = iam_str(in, "NewUserName");
    const char *new_path = iam_str(in, "NewPath");
    int rc = iam_entity_authorize(call, &iam_user_entity, name);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *user;
    int64_t version;
    if ((rc = iam_entity_get(&user, &version, call, tx, &iam_user_entity, name)) < 0)
        return rc;
    struct buf stored_name = BUF_INIT, old_key = BUF_INIT, new_key = BUF_INIT, arn = BUF_INIT;
    buf_adds(&stored_name, iam_str(user, "UserName"));
    if (!new_name)
        new_name = stored_name.data;
    if (!new_path)
        new_path = iam_str(user, "Path");
    iam_key(&old_key, stored_name.data, NULL);
    iam_key(&new_key, new_name, NULL);
    iam_arn(&arn, call->account_id, "user", new_path, new_name);
    json_object_set_new(user, "UserName", json_string(new_name));
    json_object_set_new(user, "Path", json_string(new_path));
    json_object_set_new(user, "Arn", json_string(arn.data));

    if (strcmp(old_key.data, new_key.data) == 0) {
        rc = record_update(call->store, tx, IAM_KIND_USER, call->account_id, old_key.data, version,
                           user);
    } else {
        rc = record_insert(call->store, tx, IAM_KIND_USER, call->account_id, new_key.data, user);
        if (rc == ERR_EXISTS)
            rc = api_error(call, rc, "EntityAlreadyExists", "User with name %s already exists.",
                           new_name);
        if (rc == 0)
            rc =
                store_doc_delete(call->store, tx, IAM_KIND_USER, call->account_id, old_key.data, 0);
    }
    if (rc == 0)
        rc = user_rename(call, tx, user, stored_name.data, new_name);
    if (rc == 0)
        rc = iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
    json_decref(user);
    buf_release(&stored_name);
    buf_release(&old_key);
    buf_release(&new_key);
    buf_release(&arn);
    return rc;
}

/* IAM's DeleteUser prerequisites, in the order its API reference lists them. */
static int user_delete_conflict(struct api_call *call, struct store_tx *tx, const char *name)
{
    static const struct {
        const char *kind;
        bool own_record; /* the record is named after the user, not a child of it */
        const char *message;
    } blockers[] = {
        {IAM_KIND_LOGIN_PROFILE, true, "Cannot delete entity, must delete login profile first."},
        {IAM_KIND_USER_KEY, false, "Cannot delete entity, must delete access keys first."},
        {IAM_KIND_USER_POLICY, false, "Cannot delete entity, must delete policies first."},
        {IAM_KIND_USER_ATTACHMENT, false, "Cannot delete entity, must detach all policies first."},
        {IAM_KIND_USER_GROUP, false, "Cannot delete entity, must remove users from group first."},
    };
    for (size_t i = 0; i < ARRAY_SIZE(blockers); i++) {
        size_t count = 0;
        int rc;
        if (blockers[i].own_record) {
            struct buf key = BUF_INIT;
            iam_key(&key, name, NULL);
            bool exists;
            rc = record_exists(&exists, call->store, tx, blockers[i].kind, call->account_id,
                               key.data);
            buf_release(&key);
            count = exists;
        } else {
            rc = iam_children_count(&count, call, tx, blockers[i].kind, name);
        }
        if (rc < 0)
            return rc;
        if (count)
            return api_error(call, ERR_CONFLICT, "DeleteConflict", "%s", blockers[i].message);
    }
    return 0;
}

int iam_delete_user(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = iam_str(in, "UserName");
    int rc = iam_entity_authorize(call, &iam_user_entity, name);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *user;
    if ((rc = iam_entity_get(&user, NULL, call, tx, &iam_user_entity, name)) < 0)
        return rc;
    const char *boundary = iam_str(user, "PermissionsBoundary");
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    if ((rc = user_delete_conflict(call, tx, name)) == 0 &&
        (!boundary ||
         (rc = iam_boundary_index(call, tx, &iam_user_entity, name, boundary, false)) == 0) &&
        (rc = store_doc_delete(call->store, tx, IAM_KIND_USER, call->account_id, key.data, 0)) == 0)
        rc = iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
    buf_release(&key);
    json_decref(user);
    return rc;
}
