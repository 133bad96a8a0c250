#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "base/err.h"
#include "services/common/record.h"

/*
 * Managed policies attached to users, groups and roles. Each attachment is
 * two records written together: the entity's (ENTITY "/" POLICY_ARN
 * {PolicyArn}) for listing what an entity has, and the policy's index
 * entry (POLICY_ARN " " TYPE ":" ENTITY {EntityType, Name}) for
 * AttachmentCount and ListEntitiesForPolicy.
 */

const char *iam_policy_name_of(const char *arn)
{
    const char *slash = strrchr(arn, '/');
    return slash ? slash + 1 : arn;
}

/* The path of a policy ARN: "arn:aws:iam::ACCT:policy/a/b/name" -> "/a/b/". */
static void policy_path_of(struct buf *out, const char *arn)
{
    const char *start = strstr(arn, ":policy/");
    const char *end = strrchr(arn, '/');
    if (!start || !end) {
        buf_adds(out, "/");
        return;
    }
    start += strlen(":policy");
    buf_add(out, start, (size_t)(end - start) + 1);
}

static bool attachment_path_has_prefix(json_t *rec, const void *ctx)
{
    if (!ctx)
        return true;
    struct buf path = BUF_INIT;
    policy_path_of(&path, iam_str(rec, "PolicyArn") ?: "");
    bool ok = strncmp(path.data, ctx, strlen(ctx)) == 0;
    buf_release(&path);
    return ok;
}

int iam_attachment_put(struct store *st, struct store_tx *tx, const struct iam_entity_kind *k,
                       const char *account, const char *owner, const char *policy_arn)
{
    struct buf name = BUF_INIT, index = BUF_INIT;
    iam_key(&name, owner, policy_arn);
    iam_policy_index_key(&index, policy_arn, k->type, owner);
    json_t *rec = json_pack("{s:s}", "PolicyArn", policy_arn);
    json_t *entry = json_pack("{s:s, s:s}", "EntityType", k->entity_type, "Name", owner);
    int rc = record_upsert(st, tx, k->attachment_kind, account, name.data, rec);
    if (rc == 0)
        rc = record_upsert(st, tx, IAM_KIND_POLICY_ENTITY, account, index.data, entry);
    json_decref(rec);
    json_decref(entry);
    buf_release(&name);
    buf_release(&index);
    return rc;
}

/* Reads the entity an attachment changes, refusing a service-linked role. */
static int owner_for_change(struct api_call *call, struct store_tx *tx,
                            const struct iam_entity_kind *k, const char *owner)
{
    json_t *entity;
    int rc = iam_entity_get_for_change(&entity, NULL, call, tx, k, owner);
    if (rc == 0)
        json_decref(entity);
    return rc;
}

int iam_attach_policy(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const struct iam_entity_kind *k = call->op_ctx;
    const char *owner = iam_str(in, k->name_field);
    const char *arn = iam_str(in, "PolicyArn");
    int rc = iam_entity_authorize(call, k, owner);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    if ((rc = owner_for_change(call, tx, k, owner)) < 0 ||
        (rc = iam_policy_attachable(call, tx, arn, false)) < 0)
        return rc;
    struct buf name = BUF_INIT;
    iam_key(&name, owner, arn);
    bool attached;
    size_t count = 0;
    if ((rc = record_exists(&attached, call->store, tx, k->attachment_kind, call->account_id,
                            name.data)) == 0 &&
        !attached)
        rc = iam_children_count(&count, call, tx, k->attachment_kind, owner);
    buf_release(&name);
    if (rc < 0)
        return rc;
    /* Attaching what is attached already changes nothing, as in AWS. */
    if (attached)
        return store_tx_commit(TAKE_PTR(tx));
    if (count >= IAM_POLICIES_PER_OWNER)
        return api_error(call, ERR_LIMIT, "LimitExceeded", "Cannot exceed quota for %s: %d",
                         k->policy_quota, IAM_POLICIES_PER_OWNER);
    if ((rc = iam_attachment_put(call->store, tx, k, call->account_id, owner, arn)) < 0)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

int iam_detach_policy(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const struct iam_entity_kind *k = call->op_ctx;
    const char *owner = iam_str(in, k->name_field);
    const char *arn = iam_str(in, "PolicyArn");
    int rc = iam_entity_authorize(call, k, owner);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    if ((rc = owner_for_change(call, tx, k, owner)) < 0)
        return rc;
    struct buf name = BUF_INIT, index = BUF_INIT;
    iam_key(&name, owner, arn);
    iam_policy_index_key(&index, arn, k->type, owner);
    rc = store_doc_delete(call->store, tx, k->attachment_kind, call->account_id, name.data, 0);
    if (rc == 0) {
        rc = store_doc_delete(call->store, tx, IAM_KIND_POLICY_ENTITY, call->account_id, index.data,
                              0);
        if (rc == ERR_NOT_FOUND)
            rc = 0;
    } else if (rc == ERR_NOT_FOUND) {
        rc = api_error(call, rc, "NoSuchEntity", "Policy %s was not found.", arn);
    }
    buf_release(&name);
    buf_release(&index);
    if (rc < 0)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

static json_t *attached_out(json_t *rec)
{
    const char *arn = iam_str(rec, "PolicyArn") ?: "";
    return json_pack("{s:s, s:s}", "PolicyName", iam_policy_name_of(arn), "PolicyArn", arn);
}

int iam_list_attached_policies(struct api_call *call, json_t *in, json_t **out)
{
    const struct iam_entity_kind *k = call->op_ctx;
    json_t *result = json_object(), *page;
    int rc =
        iam_entity_page(&page, result, call, in, k, iam_str(in, k->name_field), k->attachment_kind,
                        attachment_path_has_prefix, iam_str(in, "PathPrefix"));
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    json_t *list = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(page, i, rec) json_array_append_new(list, attached_out(rec));
    json_decref(page);
    json_object_set_new(result, "AttachedPolicies", list);
    *out = result;
    return 0;
}

int iam_attached_policies(json_t **out, struct api_call *call, struct store_tx *tx,
                          const struct iam_entity_kind *k, const char *owner)
{
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, owner, "");
    json_t *records;
    int rc = iam_records_all(&records, call, tx, k->attachment_kind, prefix.data);
    buf_release(&prefix);
    if (rc < 0)
        return rc;
    json_t *list = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(records, i, rec) json_array_append_new(list, attached_out(rec));
    json_decref(records);
    *out = list;
    return 0;
}

/* ---- ListEntitiesForPolicy ------------------------------------------------------------ */

static const struct iam_entity_kind *entity_kind_named(const char *entity_type)
{
    static const struct iam_entity_kind *const kinds[] = {&iam_user_entity, &iam_group_entity,
                                                          &iam_role_entity};
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
        if (entity_type && strcmp(kinds[i]->entity_type, entity_type) == 0)
            return kinds[i];
    return NULL;
}

/* The entries of one policy index, keyed for paging by what follows the ARN. */
static int index_entries(json_t *into, struct api_call *call, const char *kind, const char *arn)
{
    struct buf prefix = BUF_INIT;
    buf_addf(&prefix, "%s ", arn);
    json_t *records;
    int rc = iam_records_all(&records, call, NULL, kind, prefix.data);
    if (rc == 0) {
        size_t i;
        json_t *rec;
        json_array_foreach(records, i, rec)
        {
            json_object_set_new(rec, "_name", json_string(iam_str(rec, "_name") + prefix.len));
            json_array_append(into, rec);
        }
        json_decref(records);
    }
    buf_release(&prefix);
    return rc;
}

int iam_list_entities_for_policy(struct api_call *call, json_t *in, json_t **out)
{
    const char *arn = iam_str(in, "PolicyArn");
    const char *filter = iam_str(in, "EntityFilter");
    const char *usage = iam_str(in, "PolicyUsageFilter");
    const char *path_prefix = iam_str(in, "PathPrefix");
    int rc = iam_authorize(call, arn);
    if (rc < 0)
        return rc;
    json_t *policy;
    if ((rc = iam_policy_find(&policy, NULL, call, NULL, arn)) == ERR_NOT_FOUND)
        return api_error(call, rc, "NoSuchEntity", "Policy %s was not found.", arn);
    if (rc < 0)
        return rc;
    json_decref(policy);

    json_t *entries = json_array();
    if (!usage || strcmp(usage, "PermissionsPolicy") == 0)
        rc = index_entries(entries, call, IAM_KIND_POLICY_ENTITY, arn);
    if (rc == 0 && (!usage || strcmp(usage, "PermissionsBoundary") == 0))
        rc = index_entries(entries, call, IAM_KIND_POLICY_BOUNDARY, arn);
    iam_sort_by_name(entries);

    /* Resolves each entry to its entity, keeping those that pass the filters. */
    json_t *matches = json_array();
    size_t i;
    json_t *entry;
    json_array_foreach(rc == 0 ? entries : NULL, i, entry)
    {
        const char *entity_type = iam_str(entry, "EntityType");
        const struct iam_entity_kind *k = entity_kind_named(entity_type);
        if (!k || (filter && strcmp(filter, entity_type) != 0))
            continue;
        json_t *entity;
        struct buf key = BUF_INIT;
        iam_key(&key, iam_str(entry, "Name"), NULL);
        int found =
            record_get(&entity, NULL, call->store, NULL, k->kind, call->account_id, key.data);
        buf_release(&key);
        if (found < 0)
            continue;
        if (iam_path_has_prefix(entity, path_prefix)) {
            json_t *match =
                json_pack("{s:O, s:s, s:O, s:O}", "_name", json_object_get(entry, "_name"), "_type",
                          entity_type, k->name_field, json_object_get(entity, k->name_field),
                          k->id_field, json_object_get(entity, k->id_field));
            json_array_append_new(matches, match);
        }
        json_decref(entity);
    }
    json_decref(entries);
    json_t *result = json_object(), *page = NULL;
    if (rc == 0)
        rc = iam_page_array(&page, result, call, in, matches);
    json_decref(matches);
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    json_t *users = json_array(), *groups = json_array(), *roles = json_array();
    json_t *match;
    json_array_foreach(page, i, match)
    {
        const char *type = iam_str(match, "_type");
        json_t *list = strcmp(type, "User") == 0    ? users
                       : strcmp(type, "Group") == 0 ? groups
                                                    : roles;
        json_object_del(match, "_name");
        json_object_del(match, "_type");
        json_array_append(list, match);
    }
    json_decref(page);
    json_object_set_new(result, "PolicyUsers", users);
    json_object_set_new(result, "PolicyGroups", groups);
    json_object_set_new(result, "PolicyRoles", roles);
    *out = result;
    return 0;
}
