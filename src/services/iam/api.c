#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "aws/arn.h"
#include "aws/pagination.h"
#include "aws/policy.h"
#include "base/alloc.h"
#include "base/err.h"
#include "services/common/record.h"

static const struct api_operation iam_operations[] = {
    {"AddRoleToInstanceProfile", iam_add_role_to_instance_profile, NULL},
    {"AddUserToGroup", iam_add_user_to_group, NULL},
    {"AttachGroupPolicy", iam_attach_policy, &iam_group_entity},
    {"AttachRolePolicy", iam_attach_policy, &iam_role_entity},
    {"AttachUserPolicy", iam_attach_policy, &iam_user_entity},
    {"CreateAccessKey", iam_create_access_key, NULL},
    {"CreateGroup", iam_create_group, NULL},
    {"CreateInstanceProfile", iam_create_instance_profile, NULL},
    {"CreateLoginProfile", iam_create_login_profile, NULL},
    {"CreatePolicy", iam_create_policy, NULL},
    {"CreatePolicyVersion", iam_create_policy_version, NULL},
    {"CreateRole", iam_create_role, NULL},
    {"CreateServiceLinkedRole", iam_create_service_linked_role, NULL},
    {"CreateServiceSpecificCredential", iam_create_service_specific_credential, NULL},
    {"CreateUser", iam_create_user, NULL},
    {"DeleteAccessKey", iam_delete_access_key, NULL},
    {"DeleteGroup", iam_delete_group, NULL},
    {"DeleteGroupPolicy", iam_delete_inline_policy, &iam_group_entity},
    {"DeleteInstanceProfile", iam_delete_instance_profile, NULL},
    {"DeleteLoginProfile", iam_delete_login_profile, NULL},
    {"DeletePolicy", iam_delete_policy, NULL},
    {"DeletePolicyVersion", iam_delete_policy_version, NULL},
    {"DeleteRole", iam_delete_role, NULL},
    {"DeleteRolePermissionsBoundary", iam_delete_role_permissions_boundary, NULL},
    {"DeleteRolePolicy", iam_delete_inline_policy, &iam_role_entity},
    {"DeleteServiceLinkedRole", iam_delete_service_linked_role, NULL},
    {"DeleteServiceSpecificCredential", iam_delete_service_specific_credential, NULL},
    {"DeleteUser", iam_delete_user, NULL},
    {"DeleteUserPermissionsBoundary", iam_delete_user_permissions_boundary, NULL},
    {"DeleteUserPolicy", iam_delete_inline_policy, &iam_user_entity},
    {"DetachGroupPolicy", iam_detach_policy, &iam_group_entity},
    {"DetachRolePolicy", iam_detach_policy, &iam_role_entity},
    {"DetachUserPolicy", iam_detach_policy, &iam_user_entity},
    {"GetAccessKeyLastUsed", iam_get_access_key_last_used, NULL},
    {"GetAccountAuthorizationDetails", iam_get_account_authorization_details, NULL},
    {"GetGroup", iam_get_group, NULL},
    {"GetGroupPolicy", iam_get_inline_policy, &iam_group_entity},
    {"GetInstanceProfile", iam_get_instance_profile, NULL},
    {"GetLoginProfile", iam_get_login_profile, NULL},
    {"GetPolicy", iam_get_policy, NULL},
    {"GetPolicyVersion", iam_get_policy_version, NULL},
    {"GetRole", iam_get_role, NULL},
    {"GetRolePolicy", iam_get_inline_policy, &iam_role_entity},
    {"GetServiceLinkedRoleDeletionStatus", iam_get_service_linked_role_deletion_status, NULL},
    {"GetUser", iam_get_user, NULL},
    {"GetUserPolicy", iam_get_inline_policy, &iam_user_entity},
    {"ListAccessKeys", iam_list_access_keys, NULL},
    {"ListAttachedGroupPolicies", iam_list_attached_policies, &iam_group_entity},
    {"ListAttachedRolePolicies", iam_list_attached_policies, &iam_role_entity},
    {"ListAttachedUserPolicies", iam_list_attached_policies, &iam_user_entity},
    {"ListEntitiesForPolicy", iam_list_entities_for_policy, NULL},
    {"ListGroupPolicies", iam_list_inline_policies, &iam_group_entity},
    {"ListGroups", iam_list_groups, NULL},
    {"ListGroupsForUser", iam_list_groups_for_user, NULL},
    {"ListInstanceProfileTags", iam_list_tags, &iam_tag_targets[IAM_TAG_INSTANCE_PROFILE]},
    {"ListInstanceProfiles", iam_list_instance_profiles, NULL},
    {"ListInstanceProfilesForRole", iam_list_instance_profiles_for_role, NULL},
    {"ListPolicies", iam_list_policies, NULL},
    {"ListPolicyTags", iam_list_tags, &iam_tag_targets[IAM_TAG_POLICY]},
    {"ListPolicyVersions", iam_list_policy_versions, NULL},
    {"ListRolePolicies", iam_list_inline_policies, &iam_role_entity},
    {"ListRoleTags", iam_list_tags, &iam_tag_targets[IAM_TAG_ROLE]},
    {"ListRoles", iam_list_roles, NULL},
    {"ListServiceSpecificCredentials", iam_list_service_specific_credentials, NULL},
    {"ListUserPolicies", iam_list_inline_policies, &iam_user_entity},
    {"ListUserTags", iam_list_tags, &iam_tag_targets[IAM_TAG_USER]},
    {"ListUsers", iam_list_users, NULL},
    {"PutGroupPolicy", iam_put_inline_policy, &iam_group_entity},
    {"PutRolePermissionsBoundary", iam_put_role_permissions_boundary, NULL},
    {"PutRolePolicy", iam_put_inline_policy, &iam_role_entity},
    {"PutUserPermissionsBoundary", iam_put_user_permissions_boundary, NULL},
    {"PutUserPolicy", iam_put_inline_policy, &iam_user_entity},
    {"RemoveRoleFromInstanceProfile", iam_remove_role_from_instance_profile, NULL},
    {"RemoveUserFromGroup", iam_remove_user_from_group, NULL},
    {"ResetServiceSpecificCredential", iam_reset_service_specific_credential, NULL},
    {"SetDefaultPolicyVersion", iam_set_default_policy_version, NULL},
    {"SimulateCustomPolicy", iam_simulate_custom_policy, NULL},
    {"SimulatePrincipalPolicy", iam_simulate_principal_policy, NULL},
    {"TagInstanceProfile", iam_tag, &iam_tag_targets[IAM_TAG_INSTANCE_PROFILE]},
    {"TagPolicy", iam_tag, &iam_tag_targets[IAM_TAG_POLICY]},
    {"TagRole", iam_tag, &iam_tag_targets[IAM_TAG_ROLE]},
    {"TagUser", iam_tag, &iam_tag_targets[IAM_TAG_USER]},
    {"UntagInstanceProfile", iam_untag, &iam_tag_targets[IAM_TAG_INSTANCE_PROFILE]},
    {"UntagPolicy", iam_untag, &iam_tag_targets[IAM_TAG_POLICY]},
    {"UntagRole", iam_untag, &iam_tag_targets[IAM_TAG_ROLE]},
    {"UntagUser", iam_untag, &iam_tag_targets[IAM_TAG_USER]},
    {"UpdateAccessKey", iam_update_access_key, NULL},
    {"UpdateAssumeRolePolicy", iam_update_assume_role_policy, NULL},
    {"UpdateGroup", iam_update_group, NULL},
    {"UpdateLoginProfile", iam_update_login_profile, NULL},
    {"UpdateRole", iam_update_role, NULL},
    {"UpdateRoleDescription", iam_update_role_description, NULL},
    {"UpdateServiceSpecificCredential", iam_update_service_specific_credential, NULL},
    {"UpdateUser", iam_update_user, NULL},
};

const struct api_service iam_api_service = {
    .name = "iam",
    .operations = iam_operations,
    .operation_count = ARRAY_SIZE(iam_operations),
};

const char *iam_str(json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

void iam_arn(struct buf *out, const char *account, const char *type, const char *path,
             const char *name)
{
    buf_addf(out, "arn:aws:iam::%s:%s%s%s", account, type, path ? path : "/", name);
}

void iam_key(struct buf *out, const char *owner, const char *child)
{
    for (const char *p = owner; *p; p++)
        buf_addch(out, *p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    if (child)
        buf_addf(out, "/%s", child);
}

int iam_authorize(struct api_call *call, const char *resource)
{
    char action[128];
    api_action_name(action, sizeof(action), call);
    return api_authorize(call, action, resource);
}

void iam_policy_index_key(struct buf *out, const char *policy_arn, const char *type,
                          const char *entity)
{
    buf_addf(out, "%s %s:", policy_arn, type);
    if (entity)
        iam_key(out, entity, NULL);
}

int iam_policy_index_count(size_t *out, struct api_call *call, struct store_tx *tx,
                           const char *kind, const char *policy_arn)
{
    struct buf prefix = BUF_INIT;
    buf_addf(&prefix, "%s ", policy_arn);
    int rc = store_doc_count(out, call->store, tx, kind, call->account_id, prefix.data);
    buf_release(&prefix);
    return rc;
}

int iam_children_count(size_t *out, struct api_call *call, struct store_tx *tx, const char *kind,
                       const char *owner)
{
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, owner, "");
    int rc = store_doc_count(out, call->store, tx, kind, call->account_id, prefix.data);
    buf_release(&prefix);
    return rc;
}

int iam_children_rename(struct api_call *call, struct store_tx *tx, const char *kind,
                        const char *old_owner, const char *new_owner, const char *field,
                        const char *value)
{
    struct buf old_prefix = BUF_INIT, new_prefix = BUF_INIT;
    iam_key(&old_prefix, old_owner, "");
    iam_key(&new_prefix, new_owner, "");
    bool moved = strcmp(old_prefix.data, new_prefix.data) != 0;
    json_t *records;
    int rc = iam_records_all(&records, call, tx, kind, old_prefix.data);
    if (rc < 0)
        goto done;
    size_t i;
    json_t *rec;
    json_array_foreach(records, i, rec)
    {
        const char *name = iam_str(rec, "_name");
        struct buf new_name = BUF_INIT;
        buf_addf(&new_name, "%s%s", new_prefix.data, name + old_prefix.len);
        json_t *copy = json_deep_copy(rec);
        json_object_del(copy, "_name");
        if (field)
            json_object_set_new(copy, field, json_string(value));
        if (moved)
            rc = store_doc_delete(call->store, tx, kind, call->account_id, name, 0);
        if (rc == 0)
            rc = record_upsert(call->store, tx, kind, call->account_id, new_name.data, copy);
        json_decref(copy);
        buf_release(&new_name);
        if (rc < 0)
            break;
    }
    json_decref(records);
done:
    buf_release(&old_prefix);
    buf_release(&new_prefix);
    return rc;
}

int iam_records_all(json_t **out, struct api_call *call, struct store_tx *tx, const char *kind,
                    const char *prefix)
{
    json_t *all = json_array();
    char *after = NULL;
    int rc;
    for (;;) {
        json_t *batch;
        bool more = false;
        rc = record_list(&batch, &more, call->store, tx, kind, call->account_id, prefix, after,
                         STORE_LIST_MAX);
        if (rc < 0)
            break;
        size_t n = json_array_size(batch);
        if (n > 0) {
            free(after);
            after = xstrdup(iam_str(json_array_get(batch, n - 1), "_name"));
        }
        json_array_extend(all, batch);
        json_decref(batch);
        if (!more || n == 0)
            break;
    }
    free(after);
    if (rc < 0) {
        json_decref(all);
        return rc;
    }
    *out = all;
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    json_t *const *x = a, *const *y = b;
    return strcmp(iam_str(*x, "_name") ?: "", iam_str(*y, "_name") ?: "");
}

void iam_sort_by_name(json_t *items)
{
    size_t n = json_array_size(items);
    if (n == 0)
        return;
    json_t **sorted = xcalloc(n, sizeof(*sorted));
    for (size_t i = 0; i < n; i++)
        sorted[i] = json_incref(json_array_get(items, i));
    qsort(sorted, n, sizeof(*sorted), compare_names);
    json_array_clear(items);
    json_t *last = NULL;
    for (size_t i = 0; i < n; i++) {
        if (last && compare_names(&last, &sorted[i]) == 0) {
            json_decref(sorted[i]);
        } else {
            json_array_append_new(items, sorted[i]);
            last = sorted[i];
        }
    }
    free(sorted);
}

bool iam_path_has_prefix(json_t *rec, const void *ctx)
{
    const char *prefix = ctx;
    const char *path = iam_str(rec, "Path");
    return !prefix || strncmp(path ? path : "", prefix, strlen(prefix)) == 0;
}

size_t iam_max_items(json_t *in)
{
    json_t *max = json_object_get(in, "MaxItems");
    size_t limit = json_is_integer(max) ? (size_t)json_integer_value(max) : 100;
    return limit < 1 || limit > 1000 ? 100 : limit;
}

static int marker_decode(char **cursor, struct api_call *call, json_t *in)
{
    const char *marker = iam_str(in, "Marker");
    if (marker && pagination_token_decode(cursor, marker) < 0)
        return api_error(call, ERR_INVALID, "InvalidInput", "Invalid Marker '%s'", marker);
    return 0;
}

static void page_finish(json_t *out, json_t *items, bool truncated)
{
    json_object_set_new(out, "IsTruncated", json_boolean(truncated));
    if (truncated) {
        json_t *last = json_array_get(items, json_array_size(items) - 1);
        struct buf token = BUF_INIT;
        pagination_token_encode(&token, iam_str(last, "_name"));
        json_object_set_new(out, "Marker", json_string(token.data));
        buf_release(&token);
    }
}

int iam_page(json_t **page, json_t *out, struct api_call *call, json_t *in, const char *kind,
             const char *prefix, iam_filter_fn filter, const void *ctx)
{
    size_t limit = iam_max_items(in);
    _cleanup_free_ char *cursor = NULL;
    int rc = marker_decode(&cursor, call, in);
    if (rc < 0)
        return rc;

    /* Reads on past a full page until one more record passes the filter,
     * so that IsTruncated never promises a page that would be empty. */
    json_t *items = json_array();
    bool truncated = false;
    for (;;) {
        json_t *batch;
        bool more = false;
        size_t want = limit < STORE_LIST_MAX ? limit + 1 : STORE_LIST_MAX;
        rc = record_list(&batch, &more, call->store, NULL, kind, call->account_id, prefix, cursor,
                         want);
        if (rc < 0) {
            json_decref(items);
            return rc;
        }
        size_t i;
        json_t *rec;
        json_array_foreach(batch, i, rec)
        {
            if (filter && !filter(rec, ctx))
                continue;
            if (json_array_size(items) == limit) {
                truncated = true;
                break;
            }
            json_array_append(items, rec);
        }
        size_t n = json_array_size(batch);
        if (n > 0) {
            free(cursor);
            cursor = xstrdup(iam_str(json_array_get(batch, n - 1), "_name"));
        }
        json_decref(batch);
        if (truncated || !more || n == 0)
            break;
    }
    page_finish(out, items, truncated);
    *page = items;
    return 0;
}

int iam_page_array(json_t **page, json_t *out, struct api_call *call, json_t *in, json_t *items)
{
    size_t limit = iam_max_items(in);
    _cleanup_free_ char *cursor = NULL;
    int rc = marker_decode(&cursor, call, in);
    if (rc < 0)
        return rc;
    json_t *result = json_array();
    bool truncated = false;
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        if (cursor && strcmp(iam_str(item, "_name"), cursor) <= 0)
            continue;
        if (json_array_size(result) == limit) {
            truncated = true;
            break;
        }
        json_array_append(result, item);
    }
    page_finish(out, result, truncated);
    *page = result;
    return 0;
}

int iam_list_array(json_t **out, struct api_call *call, json_t *in, json_t *items,
                   const char *list_name)
{
    json_t *result = json_object(), *page;
    int rc = iam_page_array(&page, result, call, in, items);
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    size_t i;
    json_t *item;
    json_array_foreach(page, i, item) json_object_del(item, "_name");
    json_object_set_new(result, list_name, page);
    *out = result;
    return 0;
}

int iam_list_entities(json_t **out, struct api_call *call, json_t *in, const char *kind,
                      const char *list_name, json_t *(*convert)(json_t *rec))
{
    json_t *result = json_object(), *page;
    int rc = iam_page(&page, result, call, in, kind, NULL, iam_path_has_prefix,
                      iam_str(in, "PathPrefix"));
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    json_t *list = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(page, i, rec) json_array_append_new(list, convert(rec));
    json_decref(page);
    json_object_set_new(result, list_name, list);
    *out = result;
    return 0;
}

json_t *iam_policy_document_out(const char *document)
{
    static const char hex[] = "0123456789ABCDEF";
    struct buf enc = BUF_INIT;
    for (const unsigned char *p = (const unsigned char *)document; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            buf_addch(&enc, *p);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            buf_add(&enc, e, 3);
        }
    }
    json_t *v = json_string(enc.data);
    buf_release(&enc);
    return v;
}

/*
 * IAM refuses a trust policy naming a user or role that does not exist
 * ("Invalid principal in policy"); an account's root always exists.
 */
static bool principal_exists(void *ctx, const char *arn_text)
{
    struct api_call *call = ctx;
    struct arn arn;
    if (arn_parse(&arn, arn_text) < 0)
        return false;
    if (strcmp(arn.resource, "root") == 0)
        return true;
    const struct iam_entity_kind *k = strncmp(arn.resource, "user/", 5) == 0   ? &iam_user_entity
                                      : strncmp(arn.resource, "role/", 5) == 0 ? &iam_role_entity
                                                                               : NULL;
    if (!k)
        return false;
    struct buf key = BUF_INIT;
    iam_key(&key, strrchr(arn.resource, '/') + 1, NULL);
    bool exists = false;
    int rc = record_exists(&exists, call->store, NULL, k->kind, arn.account, key.data);
    buf_release(&key);
    return rc == 0 && exists;
}

static bool account_id_form(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (s[n] < '0' || s[n] > '9')
            return false;
    return n == 12;
}

static bool account_known(struct store *st, const char *account)
{
    size_t users = 0;
    return account_id_form(account) &&
           store_doc_count(&users, st, NULL, IAM_KIND_USER, account, NULL) == 0 && users > 0;
}

bool iam_principal_exists(struct store *st, const char *principal)
{
    if (account_id_form(principal))
        return account_known(st, principal);
    struct arn arn;
    if (arn_parse(&arn, principal) < 0 || arn.region[0] || !account_known(st, arn.account))
        return false;
    const char *res = arn.resource;
    const struct iam_entity_kind *k = NULL;
    const char *name = NULL;
    if (strcmp(arn.service, "iam") == 0) {
        if (strcmp(res, "root") == 0)
            return true;
        k = strncmp(res, "user/", 5) == 0   ? &iam_user_entity
            : strncmp(res, "role/", 5) == 0 ? &iam_role_entity
                                            : NULL;
        name = k ? strrchr(res, '/') + 1 : NULL;
    } else if (strcmp(arn.service, "sts") == 0 && strncmp(res, "assumed-role/", 13) == 0) {
        /* assumed-role/ROLE/SESSION: the session's role must exist */
        const char *role = res + 13;
        const char *slash = strchr(role, '/');
        if (!slash || slash == role)
            return false;
        k = &iam_role_entity;
        struct buf key = BUF_INIT;
        for (const char *p = role; p < slash; p++)
            buf_addch(&key, *p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        bool exists = false;
        int rc = record_exists(&exists, st, NULL, k->kind, arn.account, key.data);
        buf_release(&key);
        return rc == 0 && exists;
    }
    if (!k || !name || !*name)
        return false;
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    bool exists = false;
    int rc = record_exists(&exists, st, NULL, k->kind, arn.account, key.data);
    buf_release(&key);
    return rc == 0 && exists;
}

int iam_document_check(size_t *size_out, struct api_call *call, const char *document,
                       enum iam_document_use use)
{
    size_t len = strlen(document);
    struct policy_options opts = {.kind = POLICY_KIND_IDENTITY};
    switch (use) {
    case IAM_DOC_INLINE:
        break;
    case IAM_DOC_MANAGED:
        opts.require_current_version = true;
        opts.size_max = IAM_MANAGED_POLICY_MAX;
        opts.size_quota_name = "PolicySize";
        break;
    case IAM_DOC_TRUST: {
        /* IAM reads a trust policy as JSON before anything else, and says
         * so in its own words. */
        json_error_t jerr;
        json_t *doc = json_loadb(document, len, 0, &jerr);
        bool is_json = doc != NULL;
        json_decref(doc);
        if (!is_json)
            return api_error(call, ERR_INVALID, "MalformedPolicyDocument",
                             "This policy contains invalid Json");
        opts.kind = POLICY_KIND_TRUST;
        opts.size_max = IAM_TRUST_POLICY_MAX;
        opts.size_quota_name = "ACLSizePerRole";
        opts.principal_exists = principal_exists;
        opts.principal_ctx = call;
        break;
    }
    }
    int rc = policy_check(document, len, &opts);
    if (rc == ERR_LIMIT)
        return api_error(call, rc, "LimitExceeded", "%s", err_msg());
    if (rc == ERR_INVALID)
        return api_error(call, rc, "MalformedPolicyDocument", "%s", err_msg());
    if (rc < 0)
        return rc;
    if (size_out)
        *size_out = policy_size(document, len);
    return 0;
}
