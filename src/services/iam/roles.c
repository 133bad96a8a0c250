#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "base/err.h"
#include "base/ids.h"
#include "services/common/record.h"

/* IAM's quotas, in characters. */
#define TRUST_POLICY_MAX       2048
#define ROLE_INLINE_POLICY_MAX 10240

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

static int role_get(json_t **out, struct api_call *call, const char *name)
{
    int rc = iam_role_get(out, call->store, call->account_id, name);
    if (rc == ERR_NOT_FOUND)
        return api_error(call, rc, "NoSuchEntity", "The role with name %s cannot be found.", name);
    return rc;
}

static int authorize_role(struct api_call *call, const char *name, const char *path)
{
    char action[128];
    api_action_name(action, sizeof(action), call);
    struct buf arn = BUF_INIT;
    iam_arn(&arn, call->account_id, "role", path, name ? name : "");
    int rc = api_authorize(call, action, arn.data);
    buf_release(&arn);
    return rc;
}

/* The role as IAM returns it: the trust policy URL-encoded. */
static json_t *role_out(json_t *rec)
{
    json_t *r = json_deep_copy(rec);
    json_object_del(r, "_name");
    const char *doc = json_string_value(json_object_get(rec, "AssumeRolePolicyDocument"));
    if (doc)
        json_object_set_new(r, "AssumeRolePolicyDocument", iam_policy_document_out(doc));
    if (json_array_size(json_object_get(r, "Tags")) == 0)
        json_object_del(r, "Tags");
    return r;
}

int iam_create_role(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_param(in, "RoleName");
    const char *path = iam_param(in, "Path");
    const char *trust = iam_param(in, "AssumeRolePolicyDocument");
    const char *description = iam_param(in, "Description");
    json_t *max_session = json_object_get(in, "MaxSessionDuration");
    int rc = authorize_role(call, name, path);
    if (rc < 0)
        return rc;
    size_t trust_size;
    if ((rc = iam_policy_document_check(&trust_size, call, trust)) < 0)
        return rc;
    if (trust_size > TRUST_POLICY_MAX)
        return api_error(call, ERR_LIMIT, "LimitExceeded",
                         "Cannot exceed quota for ACLSizePerRole: %d", TRUST_POLICY_MAX);
    if (!path)
        path = "/";

    char id[22];
    aws_id(id, "AROA", 21);
    struct buf arn = BUF_INIT;
    iam_arn(&arn, call->account_id, "role", path, name);
    json_t *role = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:I}", "Path", path, "RoleName", name,
                             "RoleId", id, "Arn", arn.data, "CreateDate", (json_int_t)call->now_ms,
                             "AssumeRolePolicyDocument", trust, "MaxSessionDuration",
                             json_is_integer(max_session) ? json_integer_value(max_session)
                                                          : (json_int_t)3600);
    buf_release(&arn);
    if (description)
        json_object_set_new(role, "Description", json_string(description));
    json_t *tags = json_object_get(in, "Tags");
    if (json_array_size(tags))
        json_object_set(role, "Tags", tags);

    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    rc = record_insert(call->store, NULL, IAM_KIND_ROLE, call->account_id, key.data, role);
    buf_release(&key);
    if (rc == ERR_EXISTS)
        rc = api_error(call, rc, "EntityAlreadyExists", "Role with name %s already exists.", name);
    if (rc == 0)
        *out = json_pack("{s:o}", "Role", role_out(role));
    json_decref(role);
    return rc;
}

int iam_get_role(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_param(in, "RoleName");
    int rc = authorize_role(call, name, NULL);
    json_t *role;
    if (rc < 0 || (rc = role_get(&role, call, name)) < 0)
        return rc;
    json_t *r = role_out(role);
    json_object_set_new(r, "RoleLastUsed", json_object());
    *out = json_pack("{s:o}", "Role", r);
    json_decref(role);
    return 0;
}

int iam_list_roles(struct api_call *call, json_t *in, json_t **out)
{
    const char *path_prefix = iam_param(in, "PathPrefix");
    /* AWS names the path as the resource: arn:aws:iam::ACCOUNT:role/ */
    int rc = authorize_role(call, "", path_prefix);
    if (rc < 0)
        return rc;
    return iam_list_entities(out, call, in, IAM_KIND_ROLE, "Roles", role_out);
}

int iam_delete_role(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = iam_param(in, "RoleName");
    int rc = authorize_role(call, name, NULL);
    if (rc < 0)
        return rc;
    struct buf key = BUF_INIT, prefix = BUF_INIT;
    iam_key(&key, name, NULL);
    iam_key(&prefix, name, "");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        goto done;
    bool exists;
    if ((rc = record_exists(&exists, call->store, tx, IAM_KIND_ROLE, call->account_id, key.data)) <
        0)
        goto done;
    if (!exists) {
        rc = api_error(call, ERR_NOT_FOUND, "NoSuchEntity",
                       "The role with name %s cannot be found.", name);
        goto done;
    }
    size_t attached, inline_count;
    if ((rc = store_doc_count(&attached, call->store, tx, IAM_KIND_ROLE_ATTACHMENT,
                              call->account_id, prefix.data)) < 0 ||
        (rc = store_doc_count(&inline_count, call->store, tx, IAM_KIND_ROLE_POLICY,
                              call->account_id, prefix.data)) < 0)
        goto done;
    if (attached) {
        rc = api_error(call, ERR_CONFLICT, "DeleteConflict",
                       "Cannot delete entity, must detach all policies first.");
        goto done;
    }
    if (inline_count) {
        rc = api_error(call, ERR_CONFLICT, "DeleteConflict",
                       "Cannot delete entity, must delete policies first.");
        goto done;
    }
    if ((rc = store_doc_delete(call->store, tx, IAM_KIND_ROLE, call->account_id, key.data, 0)) < 0)
        goto done;
    rc = iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
done:
    buf_release(&key);
    buf_release(&prefix);
    return rc;
}

/* The total size of a role's inline policies, less the one named `except`. */
static int inline_policy_total(size_t *out, struct api_call *call, struct store_tx *tx,
                               const char *role, const char *except)
{
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, role, "");
    json_t *page;
    int rc = record_list(&page, NULL, call->store, tx, IAM_KIND_ROLE_POLICY, call->account_id,
                         prefix.data, NULL, 0);
    buf_release(&prefix);
    if (rc < 0)
        return rc;
    size_t total = 0, i;
    json_t *rec;
    json_array_foreach(page, i, rec)
    {
        const char *pname = json_string_value(json_object_get(rec, "PolicyName"));
        if (pname && strcmp(pname, except) == 0)
            continue;
        total += iam_policy_size(json_string_value(json_object_get(rec, "PolicyDocument")) ?: "");
    }
    json_decref(page);
    *out = total;
    return 0;
}

int iam_put_role_policy(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *role = iam_param(in, "RoleName");
    const char *pname = iam_param(in, "PolicyName");
    const char *doc = iam_param(in, "PolicyDocument");
    int rc = authorize_role(call, role, NULL);
    size_t size;
    if (rc < 0 || (rc = iam_policy_document_check(&size, call, doc)) < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    struct buf role_key = BUF_INIT;
    iam_key(&role_key, role, NULL);
    bool exists;
    rc = record_exists(&exists, call->store, tx, IAM_KIND_ROLE, call->account_id, role_key.data);
    buf_release(&role_key);
    if (rc < 0)
        return rc;
    if (!exists)
        return api_error(call, ERR_NOT_FOUND, "NoSuchEntity",
                         "The role with name %s cannot be found.", role);
    size_t total;
    if ((rc = inline_policy_total(&total, call, tx, role, pname)) < 0)
        return rc;
    if (total + size > ROLE_INLINE_POLICY_MAX)
        return api_error(call, ERR_LIMIT, "LimitExceeded",
                         "Maximum policy size of %d bytes exceeded for role %s",
                         ROLE_INLINE_POLICY_MAX, role);
    struct buf key = BUF_INIT;
    iam_key(&key, role, pname);
    json_t *rec =
        json_pack("{s:s, s:s, s:s}", "RoleName", role, "PolicyName", pname, "PolicyDocument", doc);
    rc = record_upsert(call->store, tx, IAM_KIND_ROLE_POLICY, call->account_id, key.data, rec);
    json_decref(rec);
    buf_release(&key);
    if (rc < 0)
        return rc;
    return store_tx_commit(TAKE_PTR(tx));
}

static int role_policy_get(json_t **out, struct api_call *call, const char *role, const char *pname)
{
    json_t *r;
    int rc = role_get(&r, call, role);
    if (rc < 0)
        return rc;
    json_decref(r);
    struct buf key = BUF_INIT;
    iam_key(&key, role, pname);
    rc = record_get(out, NULL, call->store, NULL, IAM_KIND_ROLE_POLICY, call->account_id, key.data);
    buf_release(&key);
    if (rc == ERR_NOT_FOUND)
        return api_error(call, rc, "NoSuchEntity", "The role policy with name %s cannot be found.",
                         pname);
    return rc;
}

int iam_get_role_policy(struct api_call *call, json_t *in, json_t **out)
{
    const char *role = iam_param(in, "RoleName");
    const char *pname = iam_param(in, "PolicyName");
    int rc = authorize_role(call, role, NULL);
    json_t *rec;
    if (rc < 0 || (rc = role_policy_get(&rec, call, role, pname)) < 0)
        return rc;
    *out = json_pack(
        "{s:s, s:s, s:o}", "RoleName", role, "PolicyName", pname, "PolicyDocument",
        iam_policy_document_out(json_string_value(json_object_get(rec, "PolicyDocument")) ?: ""));
    json_decref(rec);
    return 0;
}

int iam_delete_role_policy(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *role = iam_param(in, "RoleName");
    const char *pname = iam_param(in, "PolicyName");
    int rc = authorize_role(call, role, NULL);
    json_t *rec;
    if (rc < 0 || (rc = role_policy_get(&rec, call, role, pname)) < 0)
        return rc;
    json_decref(rec);
    struct buf key = BUF_INIT;
    iam_key(&key, role, pname);
    rc = store_doc_delete(call->store, NULL, IAM_KIND_ROLE_POLICY, call->account_id, key.data, 0);
    buf_release(&key);
    if (rc == ERR_NOT_FOUND)
        return api_error(call, rc, "NoSuchEntity", "The role policy with name %s cannot be found.",
                         pname);
    return rc;
}

int iam_list_role_policies(struct api_call *call, json_t *in, json_t **out)
{
    const char *role = iam_param(in, "RoleName");
    int rc = authorize_role(call, role, NULL);
    json_t *r;
    if (rc < 0 || (rc = role_get(&r, call, role)) < 0)
        return rc;
    json_decref(r);
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, role, "");
    json_t *result = json_object(), *page;
    rc = iam_page(&page, result, call, in, IAM_KIND_ROLE_POLICY, prefix.data, NULL, NULL);
    buf_release(&prefix);
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    json_t *names = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(page, i, rec) json_array_append(names, json_object_get(rec, "PolicyName"));
    json_decref(page);
    json_object_set_new(result, "PolicyNames", names);
    *out = result;
    return 0;
}

int iam_attach_role_policy(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *role = iam_param(in, "RoleName");
    int rc = authorize_role(call, role, NULL);
    json_t *r;
    if (rc < 0 || (rc = role_get(&r, call, role)) < 0)
        return rc;
    json_decref(r);
    return iam_attach(call, IAM_KIND_ROLE_ATTACHMENT, role, iam_param(in, "PolicyArn"));
}

int iam_detach_role_policy(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *role = iam_param(in, "RoleName");
    int rc = authorize_role(call, role, NULL);
    json_t *r;
    if (rc < 0 || (rc = role_get(&r, call, role)) < 0)
        return rc;
    json_decref(r);
    return iam_detach(call, IAM_KIND_ROLE_ATTACHMENT, role, iam_param(in, "PolicyArn"));
}

int iam_list_attached_role_policies(struct api_call *call, json_t *in, json_t **out)
{
    const char *role = iam_param(in, "RoleName");
    int rc = authorize_role(call, role, NULL);
    json_t *r;
    if (rc < 0 || (rc = role_get(&r, call, role)) < 0)
        return rc;
    json_decref(r);
    return iam_list_attachments(call, in, out, IAM_KIND_ROLE_ATTACHMENT, role);
}
