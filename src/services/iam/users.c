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

static int user_get(json_t **out, struct api_call *call, struct store_tx *tx, const char *name)
{
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    int rc = record_get(out, NULL, call->store, tx, IAM_KIND_USER, call->account_id, key.data);
    buf_release(&key);
    if (rc == ERR_NOT_FOUND)
        return api_error(call, rc, "NoSuchEntity", "The user with name %s cannot be found.", name);
    return rc;
}

/* The user a call names, or the caller when it names none. */
static const char *user_name_or_caller(struct api_call *call, json_t *in)
{
    const char *name = iam_param(in, "UserName");
    if (name)
        return name;
    return call->principal->type == PRINCIPAL_USER ? call->principal->name : NULL;
}

static int authorize_user(struct api_call *call, const char *name, const char *path)
{
    char action[128];
    api_action_name(action, sizeof(action), call);
    struct buf arn = BUF_INIT;
    iam_arn(&arn, call->account_id, "user", path, name ? name : "");
    int rc = api_authorize(call, action, arn.data);
    buf_release(&arn);
    return rc;
}

/* The user object as IAM returns it: the record less slipway's fields. */
static json_t *user_out(json_t *rec)
{
    json_t *u = json_deep_copy(rec);
    json_object_del(u, "_name");
    if (json_array_size(json_object_get(u, "Tags")) == 0)
        json_object_del(u, "Tags");
    return u;
}

int iam_create_user(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_param(in, "UserName");
    const char *path = iam_param(in, "Path");
    int rc = authorize_user(call, name, path);
    if (rc < 0)
        return rc;
    json_t *user = iam_user_new(call->account_id, name, path ? path : "/", call->now_ms);
    json_t *tags = json_object_get(in, "Tags");
    if (json_array_size(tags))
        json_object_set(user, "Tags", tags);
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    rc = record_insert(call->store, NULL, IAM_KIND_USER, call->account_id, key.data, user);
    buf_release(&key);
    if (rc == ERR_EXISTS)
        rc = api_error(call, rc, "EntityAlreadyExists", "User with name %s already exists.", name);
    if (rc < 0) {
        json_decref(user);
        return rc;
    }
    *out = json_pack("{s:o}", "User", user_out(user));
    json_decref(user);
    return 0;
}

int iam_get_user(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = user_name_or_caller(call, in);
    int rc = authorize_user(call, name, NULL);
    if (rc < 0)
        return rc;
    if (!name)
        return api_error(call, ERR_INVALID, "ValidationError",
                         "Must specify userName when calling with non-User credentials");
    json_t *user;
    if ((rc = user_get(&user, call, NULL, name)) < 0)
        return rc;
    *out = json_pack("{s:o}", "User", user_out(user));
    json_decref(user);
    return 0;
}

int iam_list_users(struct api_call *call, json_t *in, json_t **out)
{
    const char *path_prefix = iam_param(in, "PathPrefix");
    /* AWS names the path as the resource: arn:aws:iam::ACCOUNT:user/ */
    int rc = authorize_user(call, "", path_prefix);
    if (rc < 0)
        return rc;
    return iam_list_entities(out, call, in, IAM_KIND_USER, "Users", user_out);
}

int iam_delete_user(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = iam_param(in, "UserName");
    int rc = authorize_user(call, name, NULL);
    if (rc < 0)
        return rc;
    struct buf key = BUF_INIT, prefix = BUF_INIT;
    iam_key(&key, name, NULL);
    iam_key(&prefix, name, "");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        goto done;
    json_t *user;
    if ((rc = user_get(&user, call, tx, name)) < 0)
        goto done;
    json_decref(user);
    size_t keys, attached;
    if ((rc = store_doc_count(&keys, call->store, tx, IAM_KIND_USER_KEY, call->account_id,
                              prefix.data)) < 0 ||
        (rc = store_doc_count(&attached, call->store, tx, IAM_KIND_USER_ATTACHMENT,
                              call->account_id, prefix.data)) < 0)
        goto done;
    if (keys) {
        rc = api_error(call, ERR_CONFLICT, "DeleteConflict",
                       "Cannot delete entity, must delete access keys first.");
        goto done;
    }
    if (attached) {
        rc = api_error(call, ERR_CONFLICT, "DeleteConflict",
                       "Cannot delete entity, must detach all policies first.");
        goto done;
    }
    if ((rc = store_doc_delete(call->store, tx, IAM_KIND_USER, call->account_id, key.data, 0)) < 0)
        goto done;
    rc = iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
done:
    buf_release(&key);
    buf_release(&prefix);
    return rc;
}

int iam_access_key_create(json_t **key_out, struct store *st, struct store_tx *tx,
                          const char *account, const char *user, int64_t now_ms)
{
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, user, "");
    size_t count;
    int rc = store_doc_count(&count, st, tx, IAM_KIND_USER_KEY, account, prefix.data);
    buf_release(&prefix);
    if (rc < 0)
        return rc;
    if (count >= IAM_ACCESS_KEYS_PER_USER)
        return err_set(ERR_LIMIT, "Cannot exceed quota for AccessKeysPerUser: %d",
                       IAM_ACCESS_KEYS_PER_USER);

    char id[21], secret[SECRET_KEY_LEN + 1];
    aws_id(id, "AKIA", 20);
    aws_secret_key(secret);
    json_t *key = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "AccountId", account, "UserName",
                            user, "AccessKeyId", id, "Status", "Active", "SecretAccessKey", secret,
                            "CreateDate", (json_int_t)now_ms);
    struct buf index = BUF_INIT;
    iam_key(&index, user, id);
    json_t *idx = json_pack("{s:s, s:I}", "AccessKeyId", id, "CreateDate", (json_int_t)now_ms);
    if ((rc = record_insert(st, tx, IAM_KIND_ACCESS_KEY, IAM_SCOPE_GLOBAL, id, key)) == 0)
        rc = record_insert(st, tx, IAM_KIND_USER_KEY, account, index.data, idx);
    json_decref(idx);
    buf_release(&index);
    if (rc < 0) {
        json_decref(key);
        return rc;
    }
    json_object_del(key, "AccountId");
    *key_out = key;
    return 0;
}

int iam_user_keys_trim(struct store *st, struct store_tx *tx, const char *account, const char *user,
                       size_t keep)
{
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, user, "");
    json_t *names;
    int rc = record_list_names(&names, st, tx, IAM_KIND_USER_KEY, account, prefix.data);
    buf_release(&prefix);
    if (rc < 0)
        return rc;
    for (size_t i = 0; rc == 0 && i + keep < json_array_size(names); i++) {
        const char *index = json_string_value(json_array_get(names, i));
        const char *id = strchr(index, '/') + 1;
        rc = store_doc_delete(st, tx, IAM_KIND_ACCESS_KEY, IAM_SCOPE_GLOBAL, id, 0);
        if (rc == 0 || rc == ERR_NOT_FOUND)
            rc = store_doc_delete(st, tx, IAM_KIND_USER_KEY, account, index, 0);
    }
    json_decref(names);
    return rc;
}

int iam_create_access_key(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = user_name_or_caller(call, in);
    int rc = authorize_user(call, name, NULL);
    if (rc < 0)
        return rc;
    if (!name)
        return api_error(call, ERR_INVALID, "ValidationError",
                         "Must specify userName when calling with non-User credentials");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *user;
    if ((rc = user_get(&user, call, tx, name)) < 0)
        return rc;
    json_t *key;
    rc = iam_access_key_create(&key, call->store, tx, call->account_id,
                               json_string_value(json_object_get(user, "UserName")), call->now_ms);
    json_decref(user);
    if (rc == ERR_LIMIT)
        return api_error(call, rc, "LimitExceeded", "%s", err_msg());
    if (rc < 0)
        return rc;
    if ((rc = store_tx_commit(TAKE_PTR(tx))) < 0) {
        json_decref(key);
        return rc;
    }
    *out = json_pack("{s:o}", "AccessKey", key);
    return 0;
}

int iam_list_access_keys(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = user_name_or_caller(call, in);
    int rc = authorize_user(call, name, NULL);
    if (rc < 0)
        return rc;
    if (!name)
        return api_error(call, ERR_INVALID, "ValidationError",
                         "Must specify userName when calling with non-User credentials");
    json_t *user;
    if ((rc = user_get(&user, call, NULL, name)) < 0)
        return rc;
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, name, "");
    json_t *result = json_object(), *page;
    rc = iam_page(&page, result, call, in, IAM_KIND_USER_KEY, prefix.data, NULL, NULL);
    buf_release(&prefix);
    if (rc < 0) {
        json_decref(user);
        json_decref(result);
        return rc;
    }
    name = json_string_value(json_object_get(user, "UserName"));
    json_t *list = json_array();
    size_t i;
    json_t *idx;
    json_array_foreach(page, i, idx)
    {
        const char *id = json_string_value(json_object_get(idx, "AccessKeyId"));
        json_t *key;
        if (!id || record_get(&key, NULL, call->store, NULL, IAM_KIND_ACCESS_KEY, IAM_SCOPE_GLOBAL,
                              id) < 0)
            continue;
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:O, s:O}", "UserName", name, "AccessKeyId", id,
                                        "Status", json_object_get(key, "Status"), "CreateDate",
                                        json_object_get(key, "CreateDate")));
        json_decref(key);
    }
    json_decref(page);
    json_decref(user);
    json_object_set_new(result, "AccessKeyMetadata", list);
    *out = result;
    return 0;
}

/* Reads an access key that must belong to `user`. */
static int user_key_get(json_t **out, int64_t *version, struct api_call *call, struct store_tx *tx,
                        const char *user, const char *id)
{
    json_t *key;
    int rc = record_get(&key, version, call->store, tx, IAM_KIND_ACCESS_KEY, IAM_SCOPE_GLOBAL, id);
    if (rc == 0) {
        const char *owner = json_string_value(json_object_get(key, "UserName"));
        const char *account = json_string_value(json_object_get(key, "AccountId"));
        if (!owner || strcasecmp(owner, user) != 0 || !account ||
            strcmp(account, call->account_id) != 0) {
            json_decref(key);
            rc = ERR_NOT_FOUND;
        }
    }
    if (rc == ERR_NOT_FOUND)
        return api_error(call, rc, "NoSuchEntity", "The Access Key with id %s cannot be found.",
                         id);
    if (rc == 0)
        *out = key;
    return rc;
}

int iam_update_access_key(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = user_name_or_caller(call, in);
    const char *id = iam_param(in, "AccessKeyId");
    const char *status = iam_param(in, "Status");
    int rc = authorize_user(call, name, NULL);
    if (rc < 0)
        return rc;
    if (!name)
        return api_error(call, ERR_INVALID, "ValidationError",
                         "Must specify userName when calling with non-User credentials");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *key;
    int64_t version;
    if ((rc = user_key_get(&key, &version, call, tx, name, id)) < 0)
        return rc;
    json_object_set_new(key, "Status", json_string(status));
    rc = record_update(call->store, tx, IAM_KIND_ACCESS_KEY, IAM_SCOPE_GLOBAL, id, version, key);
    json_decref(key);
    if (rc < 0)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

int iam_delete_access_key(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = user_name_or_caller(call, in);
    const char *id = iam_param(in, "AccessKeyId");
    int rc = authorize_user(call, name, NULL);
    if (rc < 0)
        return rc;
    if (!name)
        return api_error(call, ERR_INVALID, "ValidationError",
                         "Must specify userName when calling with non-User credentials");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *key;
    if ((rc = user_key_get(&key, NULL, call, tx, name, id)) < 0)
        return rc;
    json_decref(key);
    struct buf index = BUF_INIT;
    iam_key(&index, name, id);
    if ((rc = store_doc_delete(call->store, tx, IAM_KIND_ACCESS_KEY, IAM_SCOPE_GLOBAL, id, 0)) == 0)
        rc = store_doc_delete(call->store, tx, IAM_KIND_USER_KEY, call->account_id, index.data, 0);
    buf_release(&index);
    if (rc < 0 && rc != ERR_NOT_FOUND)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

int iam_attach_user_policy(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = iam_param(in, "UserName");
    int rc = authorize_user(call, name, NULL);
    json_t *user;
    if (rc < 0 || (rc = user_get(&user, call, NULL, name)) < 0)
        return rc;
    json_decref(user);
    return iam_attach(call, IAM_KIND_USER_ATTACHMENT, name, iam_param(in, "PolicyArn"));
}

int iam_detach_user_policy(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = iam_param(in, "UserName");
    int rc = authorize_user(call, name, NULL);
    json_t *user;
    if (rc < 0 || (rc = user_get(&user, call, NULL, name)) < 0)
        return rc;
    json_decref(user);
    return iam_detach(call, IAM_KIND_USER_ATTACHMENT, name, iam_param(in, "PolicyArn"));
}

int iam_list_attached_user_policies(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_param(in, "UserName");
    int rc = authorize_user(call, name, NULL);
    json_t *user;
    if (rc < 0 || (rc = user_get(&user, call, NULL, name)) < 0)
        return rc;
    json_decref(user);
    return iam_list_attachments(call, in, out, IAM_KIND_USER_ATTACHMENT, name);
}
