#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/ids.h"
#include "services/common/record.h"

/*
 * Service-specific credentials: a user name and password for one service
 * (CodeCommit's git over HTTPS), acting as the IAM user that owns them.
 *   iam.service_credential  ACCOUNT / USER "/" ID   {ServiceSpecificCredentialId,
 *                           ServiceUserName, ServiceName, CreateDate}   (the user's index)
 *   iam.service_user        "global" / SERVICE_USER_NAME   {AccountId, UserName,
 *                           ServiceSpecificCredentialId, ServiceName, ServiceUserName,
 *                           Status, CreateDate, Password: {Algorithm, Salt, Hash}}
 * The global record is what git authentication reads, in one read. The
 * password is never stored: it carries 256 random bits, so a salted
 * HMAC-SHA256 of it is as good as a slow hash and costs a request nothing.
 */

#define SERVICE_CODECOMMIT "codecommit.amazonaws.com"
#define PASSWORD_BYTES     32 /* 44 characters of base64, as AWS's */
#define PASSWORD_SALT_LEN  16
#define PASSWORD_ALGORITHM "HMAC-SHA256"
#define CREDENTIAL_ID_LEN  21 /* "ACCA" and 17 characters */
/* Highest "+N" tried for a free ServiceUserName; far above what the quota allows. */
#define SERVICE_USER_SLOTS 100

/* Only CodeCommit's git credentials have a service here to use them. */
static int service_check(struct api_call *call, const char *service)
{
    if (strcmp(service, SERVICE_CODECOMMIT) == 0)
        return 0;
    return api_error(call, ERR_NOT_FOUND, "NotSupportedService",
                     "No such service %s is supported for Service Specific Credentials", service);
}

static void password_digest(uint8_t out[SHA256_LEN], const uint8_t *salt, size_t salt_len,
                            const char *password)
{
    hmac_sha256(out, salt, salt_len, password, strlen(password));
}

/* A new random password (malloc'd) and the Password member that verifies it. */
static char *password_new(json_t **secret_out)
{
    uint8_t raw[PASSWORD_BYTES], salt[PASSWORD_SALT_LEN], hash[SHA256_LEN];
    random_bytes(raw, sizeof(raw));
    random_bytes(salt, sizeof(salt));
    struct buf password = BUF_INIT, salt64 = BUF_INIT, hash64 = BUF_INIT;
    base64_encode(&password, raw, sizeof(raw));
    password_digest(hash, salt, sizeof(salt), password.data);
    base64_encode(&salt64, salt, sizeof(salt));
    base64_encode(&hash64, hash, sizeof(hash));
    *secret_out = json_pack("{s:s, s:s, s:s}", "Algorithm", PASSWORD_ALGORITHM, "Salt", salt64.data,
                            "Hash", hash64.data);
    buf_release(&salt64);
    buf_release(&hash64);
    return buf_detach(&password, NULL);
}

/* Whether `password` matches the Password member `secret`, in constant time. */
static bool password_matches(json_t *secret, const char *password)
{
    const char *salt64 = iam_str(secret, "Salt") ?: "";
    const char *hash64 = iam_str(secret, "Hash") ?: "";
    struct buf salt = BUF_INIT, hash = BUF_INIT;
    uint8_t computed[SHA256_LEN];
    bool ok = false;
    if (strcmp(iam_str(secret, "Algorithm") ?: "", PASSWORD_ALGORITHM) == 0 &&
        base64_decode(&salt, salt64, strlen(salt64)) == 0 &&
        base64_decode(&hash, hash64, strlen(hash64)) == 0 && hash.len == SHA256_LEN) {
        password_digest(computed, (const uint8_t *)salt.data, salt.len, password);
        ok = secure_equal(computed, hash.data, SHA256_LEN);
    }
    buf_release(&salt);
    buf_release(&hash);
    return ok;
}

/* ServiceSpecificCredentialMetadata (ListServiceSpecificCredentials). */
static json_t *credential_metadata(json_t *rec)
{
    return json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "UserName", json_object_get(rec, "UserName"),
                     "Status", json_object_get(rec, "Status"), "ServiceUserName",
                     json_object_get(rec, "ServiceUserName"), "CreateDate",
                     json_object_get(rec, "CreateDate"), "ServiceSpecificCredentialId",
                     json_object_get(rec, "ServiceSpecificCredentialId"), "ServiceName",
                     json_object_get(rec, "ServiceName"));
}

/* ServiceSpecificCredential with its password: Create and Reset only. */
static json_t *credential_out(json_t *rec, const char *password)
{
    json_t *out = credential_metadata(rec);
    json_object_set_new(out, "ServicePassword", json_string(password));
    return out;
}

/*
 * The first free ServiceUserName for a user: USER-at-ACCOUNT, then
 * USER+1-at-ACCOUNT and on, as IAM names a user's second credential (or a
 * renamed user's name that another user had).
 */
static int service_user_name_pick(struct buf *out, struct api_call *call, struct store_tx *tx,
                                  const char *user)
{
    for (int slot = 0; slot < SERVICE_USER_SLOTS; slot++) {
        buf_reset(out);
        buf_adds(out, user);
        if (slot > 0)
            buf_addf(out, "+%d", slot);
        buf_addf(out, "-at-%s", call->account_id);
        bool taken;
        int rc = record_exists(&taken, call->store, tx, IAM_KIND_SERVICE_USER, IAM_SCOPE_GLOBAL,
                               out->data);
        if (rc < 0)
            return rc;
        if (!taken)
            return 0;
    }
    return err_set(ERR_LIMIT, "no free service user name for '%s'", user);
}

int iam_create_service_specific_credential(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_str(in, "UserName");
    const char *service = iam_str(in, "ServiceName");
    int rc = iam_entity_authorize(call, &iam_user_entity, name);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *user;
    if ((rc = store_tx_begin(&tx, call->store)) < 0 ||
        (rc = iam_entity_get(&user, NULL, call, tx, &iam_user_entity, name)) < 0)
        return rc;
    json_t *existing = NULL, *secret = NULL, *cred = NULL;
    char *password = NULL;
    struct buf prefix = BUF_INIT, index = BUF_INIT, service_user = BUF_INIT;
    name = iam_str(user, "UserName");
    if ((rc = service_check(call, service)) < 0)
        goto done;

    iam_key(&prefix, name, "");
    if ((rc = iam_records_all(&existing, call, tx, IAM_KIND_SERVICE_CRED, prefix.data)) < 0)
        goto done;
    size_t count = 0, i;
    json_t *rec;
    json_array_foreach(existing, i, rec)
    {
        if (strcmp(iam_str(rec, "ServiceName") ?: "", service) == 0)
            count++;
    }
    if (count >= IAM_SERVICE_CREDS_PER_USER) {
        rc = api_error(call, ERR_LIMIT, "LimitExceeded",
                       "Cannot exceed quota for ServiceSpecificCredentialsPerUser: %d",
                       IAM_SERVICE_CREDS_PER_USER);
        goto done;
    }
    if ((rc = service_user_name_pick(&service_user, call, tx, name)) < 0)
        goto done;

    char id[CREDENTIAL_ID_LEN + 1];
    aws_id(id, "ACCA", CREDENTIAL_ID_LEN);
    password = password_new(&secret);
    cred = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:O}", "AccountId", call->account_id,
                     "UserName", name, "ServiceSpecificCredentialId", id, "ServiceName", service,
                     "ServiceUserName", service_user.data, "Status", "Active", "CreateDate",
                     (json_int_t)call->now_ms, "Password", secret);
    json_t *idx = json_pack("{s:s, s:s, s:s, s:I}", "ServiceSpecificCredentialId", id,
                            "ServiceUserName", service_user.data, "ServiceName", service,
                            "CreateDate", (json_int_t)call->now_ms);
    iam_key(&index, name, id);
    rc = record_insert(call->store, tx, IAM_KIND_SERVICE_USER, IAM_SCOPE_GLOBAL, service_user.data,
                       cred);
    if (rc == 0)
        rc = record_insert(call->store, tx, IAM_KIND_SERVICE_CRED, call->account_id, index.data,
                           idx);
    json_decref(idx);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0)
        *out = json_pack("{s:o}", "ServiceSpecificCredential", credential_out(cred, password));
done:
    if (password) {
        explicit_bzero(password, strlen(password));
        free(password);
    }
    json_decref(cred);
    json_decref(secret);
    json_decref(existing);
    json_decref(user);
    buf_release(&prefix);
    buf_release(&index);
    buf_release(&service_user);
    return rc;
}

/* iam_filter_fn: the index entry is for the service `ctx` (NULL: any). */
static bool credential_for_service(json_t *rec, const void *ctx)
{
    return !ctx || strcmp(iam_str(rec, "ServiceName") ?: "", ctx) == 0;
}

int iam_list_service_specific_credentials(struct api_call *call, json_t *in, json_t **out)
{
    const char *service = iam_str(in, "ServiceName");
    bool all_users = json_is_true(json_object_get(in, "AllUsers"));
    const char *name = NULL;
    int rc;
    if (all_users) {
        if (iam_str(in, "UserName"))
            return api_error(call, ERR_INVALID, "ValidationError",
                             "AllUsers cannot be specified together with UserName");
        /* Every user's: the resource is the account's users, as ListUsers names it. */
        struct buf arn = BUF_INIT;
        iam_arn(&arn, call->account_id, "user", "/", "");
        rc = iam_authorize(call, arn.data);
        buf_release(&arn);
    } else if ((rc = iam_user_name_or_caller(&name, call, in)) == 0) {
        rc = iam_entity_authorize(call, &iam_user_entity, name);
    }
    if (rc < 0)
        return rc;
    json_t *user = NULL;
    if (name && (rc = iam_entity_get(&user, NULL, call, NULL, &iam_user_entity, name)) < 0)
        return rc;
    json_decref(user);
    if (service && (rc = service_check(call, service)) < 0)
        return rc;

    struct buf prefix = BUF_INIT;
    if (name)
        iam_key(&prefix, name, "");
    json_t *result = json_object(), *page;
    rc = iam_page(&page, result, call, in, IAM_KIND_SERVICE_CRED, name ? prefix.data : NULL,
                  credential_for_service, service);
    buf_release(&prefix);
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    json_t *list = json_array();
    size_t i;
    json_t *idx;
    json_array_foreach(page, i, idx)
    {
        json_t *cred;
        const char *service_user = iam_str(idx, "ServiceUserName");
        if (!service_user || record_get(&cred, NULL, call->store, NULL, IAM_KIND_SERVICE_USER,
                                        IAM_SCOPE_GLOBAL, service_user) < 0)
            continue;
        json_array_append_new(list, credential_metadata(cred));
        json_decref(cred);
    }
    json_decref(page);
    json_object_set_new(result, "ServiceSpecificCredentials", list);
    *out = result;
    return 0;
}

/*
 * The start of a change to one of a user's credentials: authorizes it,
 * begins `*tx`, checks the user exists and reads the credential (its
 * global record, at *version) with the name of its index entry.
 */
static int credential_change_begin(json_t **cred_out, int64_t *version, struct buf *index,
                                   struct store_tx **tx, struct api_call *call, json_t *in)
{
    const char *name;
    const char *id = iam_str(in, "ServiceSpecificCredentialId");
    int rc = iam_user_name_or_caller(&name, call, in);
    if (rc < 0 || (rc = iam_entity_authorize(call, &iam_user_entity, name)) < 0 ||
        (rc = store_tx_begin(tx, call->store)) < 0)
        return rc;
    json_t *user;
    if ((rc = iam_entity_get(&user, NULL, call, *tx, &iam_user_entity, name)) < 0)
        return rc;
    json_decref(user);
    iam_key(index, name, id);
    json_t *idx = NULL, *cred = NULL;
    rc = record_get(&idx, NULL, call->store, *tx, IAM_KIND_SERVICE_CRED, call->account_id,
                    index->data);
    const char *service_user = rc == 0 ? iam_str(idx, "ServiceUserName") : NULL;
    if (rc == 0)
        rc = service_user ? record_get(&cred, version, call->store, *tx, IAM_KIND_SERVICE_USER,
                                       IAM_SCOPE_GLOBAL, service_user)
                          : ERR_NOT_FOUND;
    json_decref(idx);
    if (rc == ERR_NOT_FOUND)
        return api_error(call, rc, "NoSuchEntity", "No such credential %s exists", id);
    if (rc < 0)
        return rc;
    *cred_out = cred;
    return 0;
}

int iam_reset_service_specific_credential(struct api_call *call, json_t *in, json_t **out)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    struct buf index = BUF_INIT;
    json_t *cred;
    int64_t version;
    int rc = credential_change_begin(&cred, &version, &index, &tx, call, in);
    buf_release(&index);
    if (rc < 0)
        return rc;
    json_t *secret;
    char *password = password_new(&secret);
    json_object_set_new(cred, "Password", secret);
    rc = record_update(call->store, tx, IAM_KIND_SERVICE_USER, IAM_SCOPE_GLOBAL,
                       iam_str(cred, "ServiceUserName"), version, cred);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0)
        *out = json_pack("{s:o}", "ServiceSpecificCredential", credential_out(cred, password));
    explicit_bzero(password, strlen(password));
    free(password);
    json_decref(cred);
    return rc;
}

int iam_update_service_specific_credential(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    struct buf index = BUF_INIT;
    json_t *cred;
    int64_t version;
    int rc = credential_change_begin(&cred, &version, &index, &tx, call, in);
    buf_release(&index);
    if (rc < 0)
        return rc;
    json_object_set_new(cred, "Status", json_string(iam_str(in, "Status")));
    rc = record_update(call->store, tx, IAM_KIND_SERVICE_USER, IAM_SCOPE_GLOBAL,
                       iam_str(cred, "ServiceUserName"), version, cred);
    json_decref(cred);
    if (rc < 0)
        return rc;
    return store_tx_commit(TAKE_PTR(tx));
}

int iam_delete_service_specific_credential(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    struct buf index = BUF_INIT;
    json_t *cred;
    int rc = credential_change_begin(&cred, NULL, &index, &tx, call, in);
    if (rc == 0) {
        rc = store_doc_delete(call->store, tx, IAM_KIND_SERVICE_USER, IAM_SCOPE_GLOBAL,
                              iam_str(cred, "ServiceUserName"), 0);
        if (rc == 0)
            rc = store_doc_delete(call->store, tx, IAM_KIND_SERVICE_CRED, call->account_id,
                                  index.data, 0);
        if (rc == 0)
            rc = store_tx_commit(TAKE_PTR(tx));
        json_decref(cred);
    }
    buf_release(&index);
    return rc;
}

int iam_user_service_credentials_rename(struct api_call *call, struct store_tx *tx,
                                        const char *old_name, const char *new_name)
{
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, old_name, "");
    json_t *entries;
    int rc = iam_records_all(&entries, call, tx, IAM_KIND_SERVICE_CRED, prefix.data);
    buf_release(&prefix);
    if (rc < 0)
        return rc;
    size_t i;
    json_t *idx;
    json_array_foreach(entries, i, idx)
    {
        const char *service_user = iam_str(idx, "ServiceUserName");
        json_t *cred;
        int64_t version;
        if (!service_user)
            continue;
        rc = record_get(&cred, &version, call->store, tx, IAM_KIND_SERVICE_USER, IAM_SCOPE_GLOBAL,
                        service_user);
        if (rc == ERR_NOT_FOUND) {
            rc = 0;
            continue;
        }
        if (rc < 0)
            break;
        json_object_set_new(cred, "UserName", json_string(new_name));
        rc = record_update(call->store, tx, IAM_KIND_SERVICE_USER, IAM_SCOPE_GLOBAL, service_user,
                           version, cred);
        json_decref(cred);
        if (rc < 0)
            break;
    }
    json_decref(entries);
    if (rc < 0)
        return rc;
    return iam_children_rename(call, tx, IAM_KIND_SERVICE_CRED, old_name, new_name, NULL, NULL);
}

int iam_service_credential_authenticate(struct principal *out, struct store *st,
                                        const char *username, const char *password,
                                        const char *service)
{
    json_t *cred;
    int rc = record_get(&cred, NULL, st, NULL, IAM_KIND_SERVICE_USER, IAM_SCOPE_GLOBAL, username);
    if (rc == ERR_NOT_FOUND) {
        /* The digest a known name costs, so that the time taken does not
         * tell names that exist from names that do not. */
        static const uint8_t salt[16];
        uint8_t ignored[SHA256_LEN];
        password_digest(ignored, salt, sizeof(salt), password);
        return err_set(ERR_DENIED, "invalid credentials");
    }
    if (rc < 0)
        return rc;
    /* The password is checked whatever else fails, so that the time taken
     * says nothing about which part was wrong. */
    bool ok = password_matches(json_object_get(cred, "Password"), password);
    ok = strcmp(iam_str(cred, "ServiceName") ?: "", service) == 0 && ok;
    ok = strcmp(iam_str(cred, "Status") ?: "", "Active") == 0 && ok;
    struct principal p;
    if (ok) {
        rc = iam_user_principal(&p, st, iam_str(cred, "AccountId") ?: "",
                                iam_str(cred, "UserName") ?: "");
        ok = rc == 0;
    }
    json_decref(cred);
    if (rc < 0 && rc != ERR_NOT_FOUND)
        return rc;
    if (!ok)
        return err_set(ERR_DENIED, "invalid credentials");
    *out = p;
    return 0;
}
