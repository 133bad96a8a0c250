#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "base/err.h"
#include "base/ids.h"
#include "services/common/record.h"

/*
 * Groups and their members. Membership is kept twice, so that both
 * directions list in name order without a scan:
 *   iam.group_member  ACCOUNT / GROUP "/" USER   {UserName}
 *   iam.user_group    ACCOUNT / USER "/" GROUP   {GroupName}
 * (both names folded), written and removed in one transaction.
 */

json_t *iam_group_out(json_t *rec)
{
    json_t *g = json_deep_copy(rec);
    json_object_del(g, "_name");
    return g;
}

/* A user as GetGroup lists it. */
static json_t *member_out(json_t *user)
{
    json_t *u = iam_user_out(user);
    json_object_del(u, "PermissionsBoundary");
    json_object_del(u, "Tags");
    return u;
}

/* The two records of one membership. */
static void membership_keys(struct buf *member, struct buf *user_group, const char *group,
                            const char *user)
{
    struct buf folded = BUF_INIT;
    iam_key(&folded, user, NULL);
    iam_key(member, group, folded.data);
    buf_reset(&folded);
    iam_key(&folded, group, NULL);
    iam_key(user_group, user, folded.data);
    buf_release(&folded);
}

int iam_create_group(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_str(in, "GroupName");
    const char *path = iam_str(in, "Path") ?: "/";
    struct buf arn = BUF_INIT, key = BUF_INIT;
    iam_arn(&arn, call->account_id, "group", path, name);
    int rc = iam_authorize(call, arn.data);
    if (rc < 0) {
        buf_release(&arn);
        return rc;
    }
    char id[22];
    aws_id(id, "AGPA", 21);
    json_t *group =
        json_pack("{s:s, s:s, s:s, s:s, s:I}", "Path", path, "GroupName", name, "GroupId", id,
                  "Arn", arn.data, "CreateDate", (json_int_t)call->now_ms);
    buf_release(&arn);
    iam_key(&key, name, NULL);
    rc = record_insert(call->store, NULL, IAM_KIND_GROUP, call->account_id, key.data, group);
    buf_release(&key);
    if (rc == ERR_EXISTS)
        rc = api_error(call, rc, "EntityAlreadyExists", "Group with name %s already exists.", name);
    if (rc == 0)
        *out = json_pack("{s:o}", "Group", iam_group_out(group));
    json_decref(group);
    return rc;
}

int iam_get_group(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_str(in, "GroupName");
    int rc = iam_entity_authorize(call, &iam_group_entity, name);
    json_t *group;
    if (rc < 0 || (rc = iam_entity_get(&group, NULL, call, NULL, &iam_group_entity, name)) < 0)
        return rc;
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, name, "");
    json_t *result = json_object(), *page;
    rc = iam_page(&page, result, call, in, IAM_KIND_GROUP_MEMBER, prefix.data, NULL, NULL);
    buf_release(&prefix);
    if (rc < 0) {
        json_decref(group);
        json_decref(result);
        return rc;
    }
    json_t *users = json_array();
    size_t i;
    json_t *member;
    json_array_foreach(page, i, member)
    {
        json_t *user;
        struct buf key = BUF_INIT;
        iam_key(&key, iam_str(member, "UserName"), NULL);
        if (record_get(&user, NULL, call->store, NULL, IAM_KIND_USER, call->account_id, key.data) ==
            0) {
            json_array_append_new(users, member_out(user));
            json_decref(user);
        }
        buf_release(&key);
    }
    json_decref(page);
    json_object_set_new(result, "Group", iam_group_out(group));
    json_object_set_new(result, "Users", users);
    json_decref(group);
    *out = result;
    return 0;
}

int iam_list_groups(struct api_call *call, json_t *in, json_t **out)
{
    struct buf arn = BUF_INIT;
    iam_arn(&arn, call->account_id, "group", iam_str(in, "PathPrefix"), "");
    int rc = iam_authorize(call, arn.data);
    buf_release(&arn);
    if (rc < 0)
        return rc;
    return iam_list_entities(out, call, in, IAM_KIND_GROUP, "Groups", iam_group_out);
}

/* Moves the records that name the group from `from` to `to`. */
static int group_rename(struct api_call *call, struct store_tx *tx, const char *from,
                        const char *to)
{
    json_t *attached, *members;
    int rc = iam_attached_policies(&attached, call, tx, &iam_group_entity, from);
    if (rc < 0)
        return rc;
    size_t i;
    json_t *a;
    json_array_foreach(attached, i, a)
    {
        struct buf old_key = BUF_INIT, new_key = BUF_INIT;
        const char *arn = iam_str(a, "PolicyArn");
        iam_policy_index_key(&old_key, arn, "group", from);
        iam_policy_index_key(&new_key, arn, "group", to);
        json_t *entry = json_pack("{s:s, s:s}", "EntityType", "Group", "Name", to);
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
    if (rc < 0)
        return rc;

    struct buf prefix = BUF_INIT;
    iam_key(&prefix, from, "");
    rc = iam_records_all(&members, call, tx, IAM_KIND_GROUP_MEMBER, prefix.data);
    buf_release(&prefix);
    if (rc < 0)
        return rc;
    json_t *m;
    json_array_foreach(members, i, m)
    {
        struct buf member = BUF_INIT, old_index = BUF_INIT, new_index = BUF_INIT;
        const char *user = iam_str(m, "UserName");
        membership_keys(&member, &old_index, from, user);
        buf_reset(&member);
        membership_keys(&member, &new_index, to, user);
        json_t *entry = json_pack("{s:s}", "GroupName", to);
        rc = store_doc_delete(call->store, tx, IAM_KIND_USER_GROUP, call->account_id,
                              old_index.data, 0);
        if (rc == 0 || rc == ERR_NOT_FOUND)
            rc = record_upsert(call->store, tx, IAM_KIND_USER_GROUP, call->account_id,
                               new_index.data, entry);
        json_decref(entry);
        buf_release(&member);
        buf_release(&old_index);
        buf_release(&new_index);
        if (rc < 0)
            break;
    }
    json_decref(members);
    if (rc == 0)
        rc = iam_children_rename(call, tx, IAM_KIND_GROUP_MEMBER, from, to, NULL, NULL);
    if (rc == 0)
        rc = iam_children_rename(call, tx, IAM_KIND_GROUP_ATTACHMENT, from, to, NULL, NULL);
    if (rc == 0)
        rc = iam_children_rename(call, tx, IAM_KIND_GROUP_POLICY, from, to, "GroupName", to);
    return rc;
}

int iam_update_group(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = iam_str(in, "GroupName");
    const char *new_name = iam_str(in, "NewGroupName");
    const char *new_path = iam_str(in, "NewPath");
    int rc = iam_entity_authorize(call, &iam_group_entity, name);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *group;
    int64_t version;
    if ((rc = iam_entity_get(&group, &version, call, tx, &iam_group_entity, name)) < 0)
        return rc;
    struct buf stored_name = BUF_INIT, old_key = BUF_INIT, new_key = BUF_INIT, arn = BUF_INIT;
    buf_adds(&stored_name, iam_str(group, "GroupName"));
    if (!new_name)
        new_name = stored_name.data;
    if (!new_path)
        new_path = iam_str(group, "Path");
    iam_key(&old_key, stored_name.data, NULL);
    iam_key(&new_key, new_name, NULL);
    iam_arn(&arn, call->account_id, "group", new_path, new_name);
    json_object_set_new(group, "GroupName", json_string(new_name));
    json_object_set_new(group, "Path", json_string(new_path));
    json_object_set_new(group, "Arn", json_string(arn.data));
    if (strcmp(old_key.data, new_key.data) == 0) {
        rc = record_update(call->store, tx, IAM_KIND_GROUP, call->account_id, old_key.data, version,
                           group);
    } else {
        rc = record_insert(call->store, tx, IAM_KIND_GROUP, call->account_id, new_key.data, group);
        if (rc == ERR_EXISTS)
            rc = api_error(call, rc, "EntityAlreadyExists", "Group with name %s already exists.",
                           new_name);
        if (rc == 0)
            rc = store_doc_delete(call->store, tx, IAM_KIND_GROUP, call->account_id, old_key.data,
                                  0);
    }
    if (rc == 0)
        rc = group_rename(call, tx, stored_name.data, new_name);
    if (rc == 0)
        rc = iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
    json_decref(group);
    buf_release(&stored_name);
    buf_release(&old_key);
    buf_release(&new_key);
    buf_release(&arn);
    return rc;
}

int iam_delete_group(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    static const struct {
        const char *kind;
        const char *message;
    } blockers[] = {
        {IAM_KIND_GROUP_MEMBER, "Cannot delete entity, must remove users from group first."},
        {IAM_KIND_GROUP_POLICY, "Cannot delete entity, must delete policies first."},
        {IAM_KIND_GROUP_ATTACHMENT, "Cannot delete entity, must detach all policies first."},
    };
    const char *name = iam_str(in, "GroupName");
    int rc = iam_entity_authorize(call, &iam_group_entity, name);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *group;
    if ((rc = iam_entity_get(&group, NULL, call, tx, &iam_group_entity, name)) < 0)
        return rc;
    json_decref(group);
    for (size_t i = 0; i < ARRAY_SIZE(blockers); i++) {
        size_t count;
        if ((rc = iam_children_count(&count, call, tx, blockers[i].kind, name)) < 0)
            return rc;
        if (count)
            return api_error(call, ERR_CONFLICT, "DeleteConflict", "%s", blockers[i].message);
    }
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    rc = store_doc_delete(call->store, tx, IAM_KIND_GROUP, call->account_id, key.data, 0);
    buf_release(&key);
    if (rc < 0)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

int iam_add_user_to_group(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *group_name = iam_str(in, "GroupName");
    const char *user_name = iam_str(in, "UserName");
    int rc = iam_entity_authorize(call, &iam_group_entity, group_name);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *group, *user;
    if ((rc = iam_entity_get(&group, NULL, call, tx, &iam_group_entity, group_name)) < 0)
        return rc;
    if ((rc = iam_entity_get(&user, NULL, call, tx, &iam_user_entity, user_name)) < 0) {
        json_decref(group);
        return rc;
    }
    struct buf member = BUF_INIT, index = BUF_INIT;
    membership_keys(&member, &index, group_name, user_name);
    bool exists = false;
    size_t count = 0;
    if ((rc = record_exists(&exists, call->store, tx, IAM_KIND_GROUP_MEMBER, call->account_id,
                            member.data)) == 0 &&
        !exists &&
        (rc = iam_children_count(&count, call, tx, IAM_KIND_USER_GROUP, user_name)) == 0) {
        if (count >= IAM_GROUPS_PER_USER) {
            rc = api_error(call, ERR_LIMIT, "LimitExceeded",
                           "Cannot exceed quota for GroupsPerUser: %d", IAM_GROUPS_PER_USER);
        } else {
            json_t *m = json_pack("{s:O}", "UserName", json_object_get(user, "UserName"));
            json_t *g = json_pack("{s:O}", "GroupName", json_object_get(group, "GroupName"));
            if ((rc = record_upsert(call->store, tx, IAM_KIND_GROUP_MEMBER, call->account_id,
                                    member.data, m)) == 0)
                rc = record_upsert(call->store, tx, IAM_KIND_USER_GROUP, call->account_id,
                                   index.data, g);
            json_decref(m);
            json_decref(g);
        }
    }
    buf_release(&member);
    buf_release(&index);
    json_decref(group);
    json_decref(user);
    if (rc < 0)
        return rc;
    /* Adding a member that is one already changes nothing, as in AWS. */
    if (exists)
        return store_tx_commit(TAKE_PTR(tx));
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

int iam_remove_user_from_group(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *group_name = iam_str(in, "GroupName");
    const char *user_name = iam_str(in, "UserName");
    int rc = iam_entity_authorize(call, &iam_group_entity, group_name);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *group, *user;
    if ((rc = iam_entity_get(&group, NULL, call, tx, &iam_group_entity, group_name)) < 0)
        return rc;
    json_decref(group);
    if ((rc = iam_entity_get(&user, NULL, call, tx, &iam_user_entity, user_name)) < 0)
        return rc;
    json_decref(user);
    struct buf member = BUF_INIT, index = BUF_INIT;
    membership_keys(&member, &index, group_name, user_name);
    rc = store_doc_delete(call->store, tx, IAM_KIND_GROUP_MEMBER, call->account_id, member.data, 0);
    if (rc == 0)
        rc =
            store_doc_delete(call->store, tx, IAM_KIND_USER_GROUP, call->account_id, index.data, 0);
    buf_release(&member);
    buf_release(&index);
    if (rc == ERR_NOT_FOUND)
        return api_error(call, rc, "NoSuchEntity", "The user with name %s cannot be found.",
                         user_name);
    if (rc < 0)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

int iam_list_groups_for_user(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_str(in, "UserName");
    int rc = iam_entity_authorize(call, &iam_user_entity, name);
    json_t *user;
    if (rc < 0 || (rc = iam_entity_get(&user, NULL, call, NULL, &iam_user_entity, name)) < 0)
        return rc;
    json_decref(user);
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, name, "");
    json_t *result = json_object(), *page;
    rc = iam_page(&page, result, call, in, IAM_KIND_USER_GROUP, prefix.data, NULL, NULL);
    buf_release(&prefix);
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    json_t *groups = json_array();
    size_t i;
    json_t *entry;
    json_array_foreach(page, i, entry)
    {
        json_t *group;
        struct buf key = BUF_INIT;
        iam_key(&key, iam_str(entry, "GroupName"), NULL);
        if (record_get(&group, NULL, call->store, NULL, IAM_KIND_GROUP, call->account_id,
                       key.data) == 0) {
            json_array_append_new(groups, iam_group_out(group));
            json_decref(group);
        }
        buf_release(&key);
    }
    json_decref(page);
    json_object_set_new(result, "Groups", groups);
    *out = result;
    return 0;
}
