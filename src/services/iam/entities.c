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
    .new_name_field = "NewUserName",
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
    .new_name_field = "NewGroupName",
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

int iam_entity_get_for_change(json_t **out, int64_t *version, struct api_call *call,
                              struct store_tx *tx, const struct iam_entity_kind *k,
                              const char *name)
{
    json_t *entity;
    int rc = iam_entity_get(&entity, version, call, tx, k, name);
    if (rc == 0 && k == &iam_role_entity && iam_role_is_service_linked(entity)) {
        rc = iam_role_unmodifiable(call, entity);
        json_decref(entity);
    }
    if (rc == 0)
        *out = entity;
    return rc;
}

int iam_entity_page(json_t **page, json_t *result, struct api_call *call, json_t *in,
                    const struct iam_entity_kind *k, const char *owner, const char *kind,
                    iam_filter_fn filter, const void *ctx)
{
    json_t *entity;
    int rc = iam_entity_authorize(call, k, owner);
    if (rc < 0 || (rc = iam_entity_get(&entity, NULL, call, NULL, k, owner)) < 0)
        return rc;
    json_decref(entity);
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, owner, "");
    rc = iam_page(page, result, call, in, kind, prefix.data, filter, ctx);
    buf_release(&prefix);
    return rc;
}

int iam_entity_change_begin(json_t **rec_out, int64_t *version, struct store_tx **tx,
                            struct api_call *call, const struct iam_entity_kind *k,
                            const char *name)
{
    int rc = iam_entity_authorize(call, k, name);
    if (rc < 0 || (rc = store_tx_begin(tx, call->store)) < 0)
        return rc;
    return iam_entity_get(rec_out, version, call, *tx, k, name);
}

int iam_entity_insert(struct api_call *call, struct store_tx *tx, const struct iam_entity_kind *k,
                      const char *name, json_t *rec)
{
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    int rc = record_insert(call->store, tx, k->kind, call->account_id, key.data, rec);
    buf_release(&key);
    if (rc == ERR_EXISTS)
        return api_error(call, rc, "EntityAlreadyExists", "%s with name %s already exists.",
                         k->entity_type, name);
    return rc;
}

int iam_record_move(struct api_call *call, struct store_tx *tx, const char *kind,
                    const char *old_key, const char *new_key, json_t *rec)
{
    int rc = store_doc_delete(call->store, tx, kind, call->account_id, old_key, 0);
    if (rc == 0 || rc == ERR_NOT_FOUND)
        rc = record_upsert(call->store, tx, kind, call->account_id, new_key, rec);
    return rc;
}

/* Moves the policy index entries that name the entity from `from` to `to`. */
static int entity_policy_index_rename(struct api_call *call, struct store_tx *tx,
                                      const struct iam_entity_kind *k, const char *from,
                                      const char *to)
{
    json_t *attached;
    int rc = iam_attached_policies(&attached, call, tx, k, from);
    if (rc < 0)
        return rc;
    size_t i;
    json_t *a;
    json_array_foreach(attached, i, a)
    {
        struct buf old_key = BUF_INIT, new_key = BUF_INIT;
        const char *arn = iam_str(a, "PolicyArn");
        iam_policy_index_key(&old_key, arn, k->type, from);
        iam_policy_index_key(&new_key, arn, k->type, to);
        json_t *entry = json_pack("{s:s, s:s}", "EntityType", k->entity_type, "Name", to);
        rc = iam_record_move(call, tx, IAM_KIND_POLICY_ENTITY, old_key.data, new_key.data, entry);
        json_decref(entry);
        buf_release(&old_key);
        buf_release(&new_key);
        if (rc < 0)
            break;
    }
    json_decref(attached);
    return rc;
}

/* Moves the index entries that name the entity: its policies', then its boundary's. */
static int entity_index_rename(struct api_call *call, struct store_tx *tx,
                               const struct iam_entity_kind *k, json_t *rec, const char *from,
                               const char *to)
{
    const char *boundary = iam_str(rec, "PermissionsBoundary");
    int rc = entity_policy_index_rename(call, tx, k, from, to);
    if (rc == 0 && boundary && (rc = iam_boundary_index(call, tx, k, from, boundary, false)) == 0)
        rc = iam_boundary_index(call, tx, k, to, boundary, true);
    return rc;
}

/* Stores the renamed record under `to`: in place when the folded name stays the same. */
static int entity_record_rename(struct api_call *call, struct store_tx *tx,
                                const struct iam_entity_kind *k, json_t *rec, int64_t version,
                                const char *from, const char *to)
{
    struct buf old_key = BUF_INIT, new_key = BUF_INIT;
    iam_key(&old_key, from, NULL);
    iam_key(&new_key, to, NULL);
    int rc;
    if (strcmp(old_key.data, new_key.data) == 0)
        rc = record_update(call->store, tx, k->kind, call->account_id, old_key.data, version, rec);
    else if ((rc = iam_entity_insert(call, tx, k, to, rec)) == 0)
        rc = store_doc_delete(call->store, tx, k->kind, call->account_id, old_key.data, 0);
    buf_release(&old_key);
    buf_release(&new_key);
    return rc;
}

int iam_entity_update(struct api_call *call, json_t *in, const struct iam_entity_kind *k,
                      iam_entity_rename_fn *rename_rest)
{
    const char *name = iam_str(in, k->name_field);
    const char *new_name = iam_str(in, k->new_name_field);
    const char *new_path = iam_str(in, "NewPath");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *rec;
    int64_t version;
    int rc = iam_entity_change_begin(&rec, &version, &tx, call, k, name);
    if (rc < 0)
        return rc;
    struct buf stored_name = BUF_INIT, arn = BUF_INIT;
    buf_adds(&stored_name, iam_str(rec, k->name_field));
    if (!new_name)
        new_name = stored_name.data;
    if (!new_path)
        new_path = iam_str(rec, "Path");
    iam_arn(&arn, call->account_id, k->type, new_path, new_name);
    json_object_set_new(rec, k->name_field, json_string(new_name));
    json_object_set_new(rec, "Path", json_string(new_path));
    json_object_set_new(rec, "Arn", json_string(arn.data));
    /* The indexes are read under the old name, so they move first. */
    if ((rc = entity_record_rename(call, tx, k, rec, version, stored_name.data, new_name)) == 0 &&
        (rc = entity_index_rename(call, tx, k, rec, stored_name.data, new_name)) == 0 &&
        (rc = rename_rest(call, tx, stored_name.data, new_name)) == 0)
        rc = iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
    json_decref(rec);
    buf_release(&stored_name);
    buf_release(&arn);
    return rc;
}

int iam_entity_delete_conflict(struct api_call *call, struct store_tx *tx,
                               const struct iam_delete_blocker *blockers, size_t count,
                               const char *name)
{
    for (size_t i = 0; i < count; i++) {
        size_t held = 0;
        int rc;
        if (blockers[i].own_record) {
            struct buf key = BUF_INIT;
            iam_key(&key, name, NULL);
            bool exists;
            rc = record_exists(&exists, call->store, tx, blockers[i].kind, call->account_id,
                               key.data);
            buf_release(&key);
            held = exists;
        } else {
            rc = iam_children_count(&held, call, tx, blockers[i].kind, name);
        }
        if (rc < 0)
            return rc;
        if (held)
            return api_error(call, ERR_CONFLICT, "DeleteConflict", "%s", blockers[i].message);
    }
    return 0;
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
