#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "aws/pagination.h"
#include "base/alloc.h"
#include "base/err.h"
#include "services/common/record.h"

static const struct api_operation iam_operations[] = {
    {"AttachRolePolicy", iam_attach_role_policy},
    {"AttachUserPolicy", iam_attach_user_policy},
    {"CreateAccessKey", iam_create_access_key},
    {"CreateRole", iam_create_role},
    {"CreateUser", iam_create_user},
    {"DeleteAccessKey", iam_delete_access_key},
    {"DeleteRole", iam_delete_role},
    {"DeleteRolePolicy", iam_delete_role_policy},
    {"DeleteUser", iam_delete_user},
    {"DetachRolePolicy", iam_detach_role_policy},
    {"DetachUserPolicy", iam_detach_user_policy},
    {"GetRole", iam_get_role},
    {"GetRolePolicy", iam_get_role_policy},
    {"GetUser", iam_get_user},
    {"ListAccessKeys", iam_list_access_keys},
    {"ListAttachedRolePolicies", iam_list_attached_role_policies},
    {"ListAttachedUserPolicies", iam_list_attached_user_policies},
    {"ListRolePolicies", iam_list_role_policies},
    {"ListRoles", iam_list_roles},
    {"ListUsers", iam_list_users},
    {"PutRolePolicy", iam_put_role_policy},
    {"UpdateAccessKey", iam_update_access_key},
};

const struct api_service iam_api_service = {
    .name = "iam",
    .operations = iam_operations,
    .operation_count = ARRAY_SIZE(iam_operations),
};

const char *iam_param(json_t *in, const char *name)
{
    json_t *v = json_object_get(in, name);
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

bool iam_path_has_prefix(json_t *rec, const void *ctx)
{
    const char *prefix = ctx;
    const char *path = json_string_value(json_object_get(rec, "Path"));
    return !prefix || strncmp(path ? path : "", prefix, strlen(prefix)) == 0;
}

int iam_page(json_t **page, json_t *out, struct api_call *call, json_t *in, const char *kind,
             const char *prefix, iam_filter_fn filter, const void *ctx)
{
    json_t *max = json_object_get(in, "MaxItems");
    size_t limit = json_is_integer(max) ? (size_t)json_integer_value(max) : 100;
    if (limit < 1 || limit > 1000)
        limit = 100;
    _cleanup_free_ char *cursor = NULL;
    const char *marker = iam_param(in, "Marker");
    if (marker && pagination_token_decode(&cursor, marker) < 0)
        return api_error(call, ERR_INVALID, "InvalidInput", "Invalid Marker '%s'", marker);

    /* Reads on past a full page until one more record passes the filter,
     * so that IsTruncated never promises a page that would be empty. */
    json_t *items = json_array();
    bool truncated = false;
    for (;;) {
        json_t *batch;
        bool more = false;
        size_t want = limit < STORE_LIST_MAX ? limit + 1 : STORE_LIST_MAX;
        int rc = record_list(&batch, &more, call->store, NULL, kind, call->account_id, prefix,
                             cursor, want);
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
            cursor =
                xstrdup(json_string_value(json_object_get(json_array_get(batch, n - 1), "_name")));
        }
        json_decref(batch);
        if (truncated || !more || n == 0)
            break;
    }
    json_object_set_new(out, "IsTruncated", json_boolean(truncated));
    if (truncated) {
        json_t *last = json_array_get(items, json_array_size(items) - 1);
        struct buf token = BUF_INIT;
        pagination_token_encode(&token, json_string_value(json_object_get(last, "_name")));
        json_object_set_new(out, "Marker", json_string(token.data));
        buf_release(&token);
    }
    *page = items;
    return 0;
}

int iam_list_entities(json_t **out, struct api_call *call, json_t *in, const char *kind,
                      const char *list_name, json_t *(*convert)(json_t *rec))
{
    json_t *result = json_object(), *page;
    int rc = iam_page(&page, result, call, in, kind, NULL, iam_path_has_prefix,
                      iam_param(in, "PathPrefix"));
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

size_t iam_policy_size(const char *document)
{
    size_t size = 0;
    bool in_string = false, escaped = false;
    for (const char *p = document; *p; p++) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (*p == '\\')
                escaped = true;
            else if (*p == '"')
                in_string = false;
        } else if (*p == '"') {
            in_string = true;
        } else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            continue;
        }
        size++;
    }
    return size;
}

int iam_policy_document_check(size_t *size_out, struct api_call *call, const char *document)
{
    json_error_t jerr;
    json_t *doc = json_loads(document, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc || !json_is_object(doc)) {
        json_decref(doc);
        return api_error(call, ERR_INVALID, "MalformedPolicyDocument",
                         "This policy contains invalid Json");
    }
    json_t *statement = json_object_get(doc, "Statement");
    bool ok = json_is_array(statement) || json_is_object(statement);
    json_decref(doc);
    if (!ok)
        return api_error(call, ERR_INVALID, "MalformedPolicyDocument", "Syntax errors in policy.");
    *size_out = iam_policy_size(document);
    return 0;
}

bool iam_managed_policy_known(const char *arn, const char **name_out)
{
    static const char *const known[] = {
        "AdministratorAccess",
        "PowerUserAccess",
        "ReadOnlyAccess",
        "IAMFullAccess",
        "AWSCodeBuildAdminAccess",
        "AWSCodeBuildDeveloperAccess",
        "AWSCodeBuildReadOnlyAccess",
        "AWSCodePipeline_FullAccess",
        "AWSCodePipeline_ReadOnlyAccess",
        "AWSCodeCommitPowerUser",
        "AWSCodeCommitFullAccess",
        "AWSCodeCommitReadOnly",
        "AWSCodeDeployFullAccess",
        "AWSCodeDeployReadOnlyAccess",
        "AmazonS3FullAccess",
        "AmazonS3ReadOnlyAccess",
        "CloudWatchLogsFullAccess",
        "CloudWatchLogsReadOnlyAccess",
    };
    static const char prefix[] = "arn:aws:iam::aws:policy/";
    if (strncmp(arn, prefix, sizeof(prefix) - 1) != 0)
        return false;
    const char *name = arn + sizeof(prefix) - 1;
    for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
        if (strcmp(known[i], name) == 0) {
            if (name_out)
                *name_out = known[i];
            return true;
        }
    }
    return false;
}

int iam_list_attachments(struct api_call *call, json_t *in, json_t **out, const char *kind,
                         const char *owner)
{
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, owner, "");
    json_t *result = json_object();
    json_t *page;
    int rc = iam_page(&page, result, call, in, kind, prefix.data, NULL, NULL);
    buf_release(&prefix);
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    json_t *list = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(page, i, rec)
    {
        json_t *arn = json_object_get(rec, "PolicyArn");
        const char *name = "";
        iam_managed_policy_known(json_string_value(arn), &name);
        json_array_append_new(list, json_pack("{s:s, s:O}", "PolicyName", name, "PolicyArn", arn));
    }
    json_decref(page);
    json_object_set_new(result, "AttachedPolicies", list);
    *out = result;
    return 0;
}

int iam_attachment_put(struct store *st, struct store_tx *tx, const char *kind, const char *account,
                       const char *owner, const char *policy_arn)
{
    struct buf name = BUF_INIT;
    iam_key(&name, owner, policy_arn);
    json_t *rec = json_pack("{s:s}", "PolicyArn", policy_arn);
    int rc = record_upsert(st, tx, kind, account, name.data, rec);
    json_decref(rec);
    buf_release(&name);
    return rc;
}

int iam_attach(struct api_call *call, const char *kind, const char *owner, const char *arn)
{
    if (!iam_managed_policy_known(arn, NULL))
        return api_error(call, ERR_NOT_FOUND, "NoSuchEntity",
                         "Policy %s does not exist or is not attachable.", arn);
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    int rc = store_tx_begin(&tx, call->store);
    if (rc < 0)
        return rc;
    struct buf name = BUF_INIT, prefix = BUF_INIT;
    iam_key(&name, owner, arn);
    iam_key(&prefix, owner, "");
    bool attached;
    size_t count = 0;
    if ((rc = record_exists(&attached, call->store, tx, kind, call->account_id, name.data)) == 0 &&
        !attached)
        rc = store_doc_count(&count, call->store, tx, kind, call->account_id, prefix.data);
    buf_release(&name);
    buf_release(&prefix);
    if (rc < 0)
        return rc;
    /* Attaching what is attached already changes nothing, as in AWS. */
    if (attached)
        return store_tx_commit(TAKE_PTR(tx));
    if (count >= IAM_POLICIES_PER_OWNER)
        return api_error(call, ERR_LIMIT, "LimitExceeded", "Cannot exceed quota for %s: %d",
                         strcmp(kind, IAM_KIND_USER_ATTACHMENT) == 0 ? "PoliciesPerUser"
                                                                     : "PoliciesPerRole",
                         IAM_POLICIES_PER_OWNER);
    if ((rc = iam_attachment_put(call->store, tx, kind, call->account_id, owner, arn)) < 0)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

int iam_detach(struct api_call *call, const char *kind, const char *owner, const char *arn)
{
    struct buf name = BUF_INIT;
    iam_key(&name, owner, arn);
    int rc = iam_identity_changed_rc(
        store_doc_delete(call->store, NULL, kind, call->account_id, name.data, 0));
    buf_release(&name);
    if (rc == ERR_NOT_FOUND)
        return api_error(call, ERR_NOT_FOUND, "NoSuchEntity", "Policy %s was not found.", arn);
    return rc;
}
