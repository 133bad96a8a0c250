#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "base/err.h"
#include "base/ids.h"
#include "services/common/record.h"

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

/* Deletes a key and what is filed under it. */
static int access_key_delete(struct store *st, struct store_tx *tx, const char *account,
                             const char *index, const char *id)
{
    int rc = store_doc_delete(st, tx, IAM_KIND_ACCESS_KEY, IAM_SCOPE_GLOBAL, id, 0);
    if (rc == 0 || rc == ERR_NOT_FOUND)
        rc = store_doc_delete(st, tx, IAM_KIND_KEY_LAST_USED, IAM_SCOPE_GLOBAL, id, 0);
    if (rc == 0 || rc == ERR_NOT_FOUND)
        rc = store_doc_delete(st, tx, IAM_KIND_USER_KEY, account, index, 0);
    return rc == ERR_NOT_FOUND ? 0 : rc;
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
        rc = access_key_delete(st, tx, account, index, strchr(index, '/') + 1);
    }
    json_decref(names);
    return rc;
}

int iam_user_keys_rename(struct api_call *call, struct store_tx *tx, const char *old_name,
                         const char *new_name)
{
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, old_name, "");
    json_t *names;
    int rc = record_list_names(&names, call->store, tx, IAM_KIND_USER_KEY, call->account_id,
                               prefix.data);
    buf_release(&prefix);
    if (rc < 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < json_array_size(names); i++) {
        const char *id = strchr(json_string_value(json_array_get(names, i)), '/') + 1;
        json_t *key;
        int64_t version;
        rc = record_get(&key, &version, call->store, tx, IAM_KIND_ACCESS_KEY, IAM_SCOPE_GLOBAL, id);
        if (rc == ERR_NOT_FOUND) {
            rc = 0;
            continue;
        }
        if (rc < 0)
            break;
        json_object_set_new(key, "UserName", json_string(new_name));
        rc =
            record_update(call->store, tx, IAM_KIND_ACCESS_KEY, IAM_SCOPE_GLOBAL, id, version, key);
        json_decref(key);
    }
    json_decref(names);
    return rc;
}

int iam_create_access_key(struct api_call *call, json_t *in, json_t **out)
{
    const char *name;
    int rc = iam_user_name_or_caller(&name, call, in);
    if (rc < 0 || (rc = iam_entity_authorize(call, &iam_user_entity, name)) < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *user;
    if ((rc = iam_entity_get(&user, NULL, call, tx, &iam_user_entity, name)) < 0)
        return rc;
    json_t *key;
    rc = iam_access_key_create(&key, call->store, tx, call->account_id, iam_str(user, "UserName"),
                               call->now_ms);
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
    const char *name;
    int rc = iam_user_name_or_caller(&name, call, in);
    if (rc < 0 || (rc = iam_entity_authorize(call, &iam_user_entity, name)) < 0)
        return rc;
    json_t *user;
    if ((rc = iam_entity_get(&user, NULL, call, NULL, &iam_user_entity, name)) < 0)
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
    name = iam_str(user, "UserName");
    json_t *list = json_array();
    size_t i;
    json_t *idx;
    json_array_foreach(page, i, idx)
    {
        const char *id = iam_str(idx, "AccessKeyId");
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

/* Reads an access key of the call's account, owned by `user` when it is not NULL. */
static int user_key_get(json_t **out, int64_t *version, struct api_call *call, struct store_tx *tx,
                        const char *user, const char *id)
{
    json_t *key;
    int rc = record_get(&key, version, call->store, tx, IAM_KIND_ACCESS_KEY, IAM_SCOPE_GLOBAL, id);
    if (rc == 0) {
        const char *owner = iam_str(key, "UserName");
        const char *account = iam_str(key, "AccountId");
        if (!owner || (user && strcasecmp(owner, user) != 0) || !account ||
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
    const char *name;
    const char *id = iam_str(in, "AccessKeyId");
    const char *status = iam_str(in, "Status");
    int rc = iam_user_name_or_caller(&name, call, in);
    if (rc < 0 || (rc = iam_entity_authorize(call, &iam_user_entity, name)) < 0)
        return rc;
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
    const char *name;
    const char *id = iam_str(in, "AccessKeyId");
    int rc = iam_user_name_or_caller(&name, call, in);
    if (rc < 0 || (rc = iam_entity_authorize(call, &iam_user_entity, name)) < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *key;
    if ((rc = user_key_get(&key, NULL, call, tx, name, id)) < 0)
        return rc;
    json_decref(key);
    struct buf index = BUF_INIT;
    iam_key(&index, name, id);
    rc = access_key_delete(call->store, tx, call->account_id, index.data, id);
    buf_release(&index);
    if (rc < 0)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

int iam_get_access_key_last_used(struct api_call *call, json_t *in, json_t **out)
{
    const char *id = iam_str(in, "AccessKeyId");
    json_t *key = NULL;
    int rc = record_get(&key, NULL, call->store, NULL, IAM_KIND_ACCESS_KEY, IAM_SCOPE_GLOBAL, id);
    if (rc < 0 && rc != ERR_NOT_FOUND)
        return rc;
    bool ours = rc == 0 && iam_str(key, "AccountId") && iam_str(key, "UserName") &&
                strcmp(iam_str(key, "AccountId"), call->account_id) == 0;
    /* The resource is the key's user; a key that is not the account's is
     * named by no user, and the caller learns nothing it may not ask. */
    if (ours) {
        rc = iam_entity_authorize(call, &iam_user_entity, iam_str(key, "UserName"));
    } else {
        struct buf arn = BUF_INIT;
        iam_arn(&arn, call->account_id, "user", "/", "");
        rc = iam_authorize(call, arn.data);
        buf_release(&arn);
        if (rc == 0)
            rc = api_error(call, ERR_NOT_FOUND, "NoSuchEntity",
                           "The Access Key with id %s cannot be found.", id);
    }
    if (rc < 0) {
        json_decref(key);
        return rc;
    }
    json_t *used, *last = json_pack("{s:s, s:s}", "ServiceName", "N/A", "Region", "N/A");
    if (record_get(&used, NULL, call->store, NULL, IAM_KIND_KEY_LAST_USED, IAM_SCOPE_GLOBAL, id) ==
        0) {
        json_object_update(last, used);
        json_decref(used);
    }
    *out = json_pack("{s:O, s:o}", "UserName", json_object_get(key, "UserName"),
                     "AccessKeyLastUsed", last);
    json_decref(key);
    return 0;
}

int iam_access_key_used(struct store *st, const char *access_key_id, const char *service,
                        const char *region, int64_t now_ms)
{
    if (strncmp(access_key_id, "ASIA", 4) != 0) {
        json_t *used = json_pack("{s:I, s:s, s:s}", "LastUsedDate", (json_int_t)now_ms,
                                 "ServiceName", service, "Region", region);
        int rc =
            record_upsert(st, NULL, IAM_KIND_KEY_LAST_USED, IAM_SCOPE_GLOBAL, access_key_id, used);
        json_decref(used);
        return rc;
    }
    /* A role session's key: what IAM records is the role's last use. */
    json_t *session;
    int rc =
        record_get(&session, NULL, st, NULL, IAM_KIND_SESSION, IAM_SCOPE_GLOBAL, access_key_id);
    if (rc < 0)
        return rc;
    const char *account = iam_str(session, "AccountId");
    const char *role = iam_str(session, "RoleName");
    if (account && role) {
        struct buf key = BUF_INIT;
        iam_key(&key, role, NULL);
        json_t *used =
            json_pack("{s:I, s:s}", "LastUsedDate", (json_int_t)now_ms, "Region", region);
        rc = record_upsert(st, NULL, IAM_KIND_ROLE_LAST_USED, account, key.data, used);
        json_decref(used);
        buf_release(&key);
    }
    json_decref(session);
    return rc;
}
