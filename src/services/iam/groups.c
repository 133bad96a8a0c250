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

/* The name OWNER "/" folded NAME of a membership record filed under `owner`. */
static void membership_key(struct buf *out, const char *owner, const char *name)
{
    struct buf folded = BUF_INIT;
    iam_key(&folded, name, NULL);
    iam_key(out, owner, folded.data);
    buf_release(&folded);
}

/* The two records of one membership. */
static void membership_keys(struct buf *member, struct buf *user_group, const char *group,
                            const char *user)
{
    membership_key(member, group, user);
    membership_key(user_group, user, group);
}

/* One side of a membership: the records filed under its names, naming the other side. */
struct membership_side {
    const char *kind;
    const char *other_field;
};

static const struct membership_side user_side = {IAM_KIND_USER_GROUP, "GroupName"};
static const struct membership_side group_side = {IAM_KIND_GROUP_MEMBER, "UserName"};

int iam_group_memberships_rename(struct api_call *call, struct store_tx *tx,
                                 const struct iam_entity_kind *k, const char *from, const char *to)
{
    const struct membership_side *own = k == &iam_user_entity ? &user_side : &group_side;
    const struct membership_side *mirror = own == &user_side ? &group_side : &user_side;
    json_t *records;
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, from, "");
    int rc = iam_records_all(&records, call, tx, own->kind, prefix.data);
    buf_release(&prefix);
    if (rc < 0)
        return rc;
    size_t i;
    json_t *rec;
    json_array_foreach(records, i, rec)
    {
        struct buf old_key = BUF_INIT, new_key = BUF_INIT;
        const char *other = iam_str(rec, own->other_field);
        membership_key(&old_key, other, from);
        membership_key(&new_key, other, to);
        json_t *entry = json_pack("{s:s}", mirror->other_field, to);
        rc = iam_record_move(call, tx, mirror->kind, old_key.data, new_key.data, entry);
        json_decref(entry);
        buf_release(&old_key);
        buf_release(&new_key);
        if (rc < 0)
            break;
    }
    json_decref(records);
    return rc;
}

/*
 * The records the entries of `page` name in `field`, read from `kind` and
 * shown by `show`; entries whose record is gone are left out.
 */
static json_t *page_records(struct api_call *call, json_t *page, const char *field,
                            const char *kind, json_t *(*show)(json_t *))
{
    json_t *list = json_array();
    size_t i;
    json_t *entry;
    json_array_foreach(page, i, entry)
    {
        json_t *rec;
        struct buf key = BUF_INIT;
        iam_key(&key, iam_str(entry, field), NULL);
        if (record_get(&rec, NULL, call->store, NULL, kind, call->account_id, key.data) == 0) {
            json_array_append_new(list, show(rec));
            json_decref(rec);
        }
        buf_release(&key);
    }
    return list;
}

int iam_create_group(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_str(in, "GroupName");
    const char *path = iam_str(in, "Path") ?: "/";
    struct buf arn = BUF_INIT;
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
    rc = iam_entity_insert(call, NULL, &iam_group_entity, name, group);
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
    json_t *users = page_records(call, page, "UserName", IAM_KIND_USER, member_out);
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

/* Moves what else is filed under the group's name (its index entries moved already). */
static int group_rename_rest(struct api_call *call, struct store_tx *tx, const char *from,
                             const char *to)
{
    int rc;
    if ((rc = iam_group_memberships_rename(call, tx, &iam_group_entity, from, to)) < 0 ||
        (rc = iam_children_rename(call, tx, IAM_KIND_GROUP_MEMBER, from, to, NULL, NULL)) < 0 ||
        (rc = iam_children_rename(call, tx, IAM_KIND_GROUP_ATTACHMENT, from, to, NULL, NULL)) < 0)
        return rc;
    return iam_children_rename(call, tx, IAM_KIND_GROUP_POLICY, from, to, "GroupName", to);
}

int iam_update_group(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    return iam_entity_update(call, in, &iam_group_entity, group_rename_rest);
}

/* IAM's DeleteGroup prerequisites. */
static const struct iam_delete_blocker group_delete_blockers[] = {
    {IAM_KIND_GROUP_MEMBER, false, "Cannot delete entity, must remove users from group first."},
    {IAM_KIND_GROUP_POLICY, false, "Cannot delete entity, must delete policies first."},
    {IAM_KIND_GROUP_ATTACHMENT, false, "Cannot delete entity, must detach all policies first."},
};

int iam_delete_group(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = iam_str(in, "GroupName");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *group;
    int rc = iam_entity_change_begin(&group, NULL, &tx, call, &iam_group_entity, name);
    if (rc < 0)
        return rc;
    json_decref(group);
    if ((rc = iam_entity_delete_conflict(call, tx, group_delete_blockers,
                                         ARRAY_SIZE(group_delete_blockers), name)) < 0)
        return rc;
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
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *group, *user;
    int rc = iam_entity_change_begin(&group, NULL, &tx, call, &iam_group_entity, group_name);
    if (rc < 0)
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
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *group, *user;
    int rc = iam_entity_change_begin(&group, NULL, &tx, call, &iam_group_entity, group_name);
    if (rc < 0)
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
    json_t *result = json_object(), *page;
    int rc = iam_entity_page(&page, result, call, in, &iam_user_entity, iam_str(in, "UserName"),
                             IAM_KIND_USER_GROUP, NULL, NULL);
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    json_t *groups = page_records(call, page, "GroupName", IAM_KIND_GROUP, iam_group_out);
    json_decref(page);
    json_object_set_new(result, "Groups", groups);
    *out = result;
    return 0;
}
