#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "base/crypto.h"
#include "base/err.h"
#include "services/common/record.h"

/*
 * Login profiles: a user's console password, kept only as a salted slow
 * hash (PBKDF2-HMAC-SHA256) and never returned.
 *   iam.login_profile  ACCOUNT / USER  {UserName, CreateDate, PasswordResetRequired,
 *                      Password: {Algorithm, Iterations, Salt, Hash}}   (base64)
 */

#define PASSWORD_ALGORITHM  "PBKDF2-HMAC-SHA256"
#define PASSWORD_ITERATIONS 600000 /* OWASP's recommendation for PBKDF2-HMAC-SHA256 */
#define PASSWORD_SALT_LEN   16
#define PASSWORD_HASH_LEN   32
/* AWS's default password policy, which applies while the account sets none. */
#define PASSWORD_MIN_LENGTH 8

static void password_hash(uint8_t out[PASSWORD_HASH_LEN], const char *password, const uint8_t *salt,
                          size_t salt_len, int iterations)
{
    pbkdf2_sha256(out, PASSWORD_HASH_LEN, password, salt, salt_len, iterations);
}

/* The Password member of a login profile record for `password`. */
static json_t *password_record(const char *password)
{
    uint8_t salt[PASSWORD_SALT_LEN], hash[PASSWORD_HASH_LEN];
    random_bytes(salt, sizeof(salt));
    password_hash(hash, password, salt, sizeof(salt), PASSWORD_ITERATIONS);
    struct buf salt64 = BUF_INIT, hash64 = BUF_INIT;
    base64_encode(&salt64, salt, sizeof(salt));
    base64_encode(&hash64, hash, sizeof(hash));
    json_t *rec = json_pack("{s:s, s:i, s:s, s:s}", "Algorithm", PASSWORD_ALGORITHM, "Iterations",
                            PASSWORD_ITERATIONS, "Salt", salt64.data, "Hash", hash64.data);
    buf_release(&salt64);
    buf_release(&hash64);
    return rec;
}

/* AWS's default password policy: 8 characters or more, of three of the four kinds. */
static int password_check(struct api_call *call, const char *password)
{
    if (!password)
        return api_error(call, ERR_INVALID, "ValidationError",
                         "Value null at 'password' failed to satisfy constraint: Member must not "
                         "be null");
    if (strlen(password) < PASSWORD_MIN_LENGTH)
        return api_error(call, ERR_INVALID, "PasswordPolicyViolation",
                         "Password should have a minimum length of %d", PASSWORD_MIN_LENGTH);
    bool upper = false, lower = false, digit = false, symbol = false;
    for (const unsigned char *p = (const unsigned char *)password; *p; p++) {
        if (*p >= 'A' && *p <= 'Z')
            upper = true;
        else if (*p >= 'a' && *p <= 'z')
            lower = true;
        else if (*p >= '0' && *p <= '9')
            digit = true;
        else
            symbol = true;
    }
    if (upper + lower + digit + symbol < 3)
        return api_error(call, ERR_INVALID, "PasswordPolicyViolation",
                         "Password should include at least three of the following character "
                         "types: uppercase letters, lowercase letters, numbers and symbols");
    return 0;
}

static json_t *profile_out(json_t *rec)
{
    return json_pack("{s:O, s:O, s:b}", "UserName", json_object_get(rec, "UserName"), "CreateDate",
                     json_object_get(rec, "CreateDate"), "PasswordResetRequired",
                     json_is_true(json_object_get(rec, "PasswordResetRequired")));
}

static int profile_get(json_t **out, int64_t *version, struct api_call *call, struct store_tx *tx,
                       const char *user)
{
    struct buf key = BUF_INIT;
    iam_key(&key, user, NULL);
    int rc = record_get(out, version, call->store, tx, IAM_KIND_LOGIN_PROFILE, call->account_id,
                        key.data);
    buf_release(&key);
    if (rc == ERR_NOT_FOUND)
        return api_error(call, rc, "NoSuchEntity", "Login Profile for User %s cannot be found.",
                         user);
    return rc;
}

int iam_create_login_profile(struct api_call *call, json_t *in, json_t **out)
{
    const char *name;
    const char *password = iam_str(in, "Password");
    int rc = iam_user_name_or_caller(&name, call, in);
    if (rc < 0 || (rc = iam_entity_authorize(call, &iam_user_entity, name)) < 0 ||
        (rc = password_check(call, password)) < 0)
        return rc;
    /* The slow hash runs before the transaction, which it must not hold up. */
    json_t *secret = password_record(password);
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *user = NULL, *profile = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) == 0 &&
        (rc = iam_entity_get(&user, NULL, call, tx, &iam_user_entity, name)) == 0) {
        profile = json_pack("{s:O, s:I, s:b, s:O}", "UserName", json_object_get(user, "UserName"),
                            "CreateDate", (json_int_t)call->now_ms, "PasswordResetRequired",
                            json_is_true(json_object_get(in, "PasswordResetRequired")), "Password",
                            secret);
        struct buf key = BUF_INIT;
        iam_key(&key, name, NULL);
        rc = record_insert(call->store, tx, IAM_KIND_LOGIN_PROFILE, call->account_id, key.data,
                           profile);
        buf_release(&key);
        if (rc == ERR_EXISTS)
            rc = api_error(call, rc, "EntityAlreadyExists",
                           "Login Profile for user %s already exists.", name);
        if (rc == 0)
            rc = store_tx_commit(TAKE_PTR(tx));
        if (rc == 0)
            *out = json_pack("{s:o}", "LoginProfile", profile_out(profile));
    }
    json_decref(secret);
    json_decref(user);
    json_decref(profile);
    return rc;
}

int iam_get_login_profile(struct api_call *call, json_t *in, json_t **out)
{
    const char *name;
    int rc = iam_user_name_or_caller(&name, call, in);
    if (rc < 0 || (rc = iam_entity_authorize(call, &iam_user_entity, name)) < 0)
        return rc;
    json_t *user, *profile;
    if ((rc = iam_entity_get(&user, NULL, call, NULL, &iam_user_entity, name)) < 0)
        return rc;
    json_decref(user);
    if ((rc = profile_get(&profile, NULL, call, NULL, name)) < 0)
        return rc;
    *out = json_pack("{s:o}", "LoginProfile", profile_out(profile));
    json_decref(profile);
    return 0;
}

int iam_update_login_profile(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = iam_str(in, "UserName");
    const char *password = iam_str(in, "Password");
    json_t *reset = json_object_get(in, "PasswordResetRequired");
    int rc = iam_entity_authorize(call, &iam_user_entity, name);
    if (rc < 0 || (password && (rc = password_check(call, password)) < 0))
        return rc;
    json_t *secret = password ? password_record(password) : NULL;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *user = NULL, *profile = NULL;
    int64_t version;
    if ((rc = store_tx_begin(&tx, call->store)) == 0 &&
        (rc = iam_entity_get(&user, NULL, call, tx, &iam_user_entity, name)) == 0 &&
        (rc = profile_get(&profile, &version, call, tx, name)) == 0) {
        if (secret)
            json_object_set(profile, "Password", secret);
        if (json_is_boolean(reset))
            json_object_set(profile, "PasswordResetRequired", reset);
        struct buf key = BUF_INIT;
        iam_key(&key, name, NULL);
        rc = record_update(call->store, tx, IAM_KIND_LOGIN_PROFILE, call->account_id, key.data,
                           version, profile);
        buf_release(&key);
        if (rc == 0)
            rc = store_tx_commit(TAKE_PTR(tx));
    }
    json_decref(secret);
    json_decref(user);
    json_decref(profile);
    return rc;
}

int iam_delete_login_profile(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name;
    int rc = iam_user_name_or_caller(&name, call, in);
    if (rc < 0 || (rc = iam_entity_authorize(call, &iam_user_entity, name)) < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *user, *profile;
    if ((rc = store_tx_begin(&tx, call->store)) < 0 ||
        (rc = iam_entity_get(&user, NULL, call, tx, &iam_user_entity, name)) < 0)
        return rc;
    json_decref(user);
    if ((rc = profile_get(&profile, NULL, call, tx, name)) < 0)
        return rc;
    json_decref(profile);
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    rc = store_doc_delete(call->store, tx, IAM_KIND_LOGIN_PROFILE, call->account_id, key.data, 0);
    buf_release(&key);
    if (rc < 0)
        return rc;
    return store_tx_commit(TAKE_PTR(tx));
}

int iam_console_password_check(bool *ok_out, struct store *st, const char *account_id,
                               const char *user_name, const char *password)
{
    struct buf key = BUF_INIT, salt = BUF_INIT, hash = BUF_INIT;
    iam_key(&key, user_name, NULL);
    json_t *profile;
    int rc = record_get(&profile, NULL, st, NULL, IAM_KIND_LOGIN_PROFILE, account_id, key.data);
    buf_release(&key);
    if (rc < 0)
        return rc;
    json_t *secret = json_object_get(profile, "Password");
    const char *salt64 = iam_str(secret, "Salt") ?: "";
    const char *hash64 = iam_str(secret, "Hash") ?: "";
    json_int_t iterations = json_integer_value(json_object_get(secret, "Iterations"));
    bool ok = false;
    if (strcmp(iam_str(secret, "Algorithm") ?: "", PASSWORD_ALGORITHM) == 0 && iterations > 0 &&
        iterations <= INT_MAX && base64_decode(&salt, salt64, strlen(salt64)) == 0 &&
        base64_decode(&hash, hash64, strlen(hash64)) == 0 && hash.len == PASSWORD_HASH_LEN) {
        uint8_t computed[PASSWORD_HASH_LEN];
        password_hash(computed, password, (const uint8_t *)salt.data, salt.len, (int)iterations);
        ok = secure_equal(computed, hash.data, PASSWORD_HASH_LEN);
    }
    buf_release(&salt);
    buf_release(&hash);
    json_decref(profile);
    *ok_out = ok;
    return 0;
}
