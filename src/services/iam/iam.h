#ifndef SLIPWAY_SERVICES_IAM_IAM_H
#define SLIPWAY_SERVICES_IAM_IAM_H

#include "aws/api.h"
#include "aws/principal.h"
#include "store/store.h"

/*
 * IAM: users, access keys, roles and their policies, and the identity
 * lookups the request path needs (who owns an access key).
 *
 * Records (kind / scope / name):
 *   iam.user            ACCOUNT / USER_NAME
 *   iam.user_key        ACCOUNT / USER_NAME "/" ACCESS_KEY_ID      (index)
 *   iam.user_attachment ACCOUNT / USER_NAME "/" POLICY_ARN
 *   iam.role            ACCOUNT / ROLE_NAME
 *   iam.role_policy     ACCOUNT / ROLE_NAME "/" POLICY_NAME        (inline)
 *   iam.role_attachment ACCOUNT / ROLE_NAME "/" POLICY_ARN
 *   iam.access_key      "global" / ACCESS_KEY_ID  (long-term, AKIA...)
 *   sts.session         "global" / ACCESS_KEY_ID  (temporary, ASIA...)
 *
 * USER_NAME and ROLE_NAME in record names are folded to lower case, since
 * IAM names are unique regardless of case (iam_key()); the records keep the
 * names as created.
 */

extern const struct api_service iam_api_service;

#define IAM_ADMIN_POLICY_ARN  "arn:aws:iam::aws:policy/AdministratorAccess"
#define IAM_SECRET_MAX        128
#define IAM_SESSION_TOKEN_MAX 1024

/* What SigV4 verification needs to know about an access key. */
struct iam_credential {
    struct principal principal;
    char secret_access_key[IAM_SECRET_MAX];
    /* Temporary credentials only: the token the request must carry. */
    char session_token[IAM_SESSION_TOKEN_MAX];
    int64_t expires_ms; /* 0 for long-term keys */
    bool active;        /* long-term keys: Status is Active */
};

/*
 * Resolves an access key id to its credential. ERR_NOT_FOUND when no such
 * key exists (the caller answers InvalidClientTokenId or its service's
 * equivalent).
 */
int iam_credential_lookup(struct iam_credential *out, struct store *st, const char *access_key_id);

/* The account's admin user as a principal (for --auth open). */
int iam_admin_principal(struct principal *out, struct store *st, const char *account_id);

/*
 * Makes sure the account has its admin user with an active access key and
 * that `credentials_path` holds that key as the [default] profile (mode
 * 0600, written atomically). Creates what is missing; leaves a complete
 * set-up alone.
 */
int iam_bootstrap_admin(struct store *st, const char *account_id, const char *region,
                        const char *credentials_path);

/*
 * Temporary credentials for a role session (STS AssumeRole): stores the
 * session and fills `out` with the new key, secret, token and expiry.
 */
struct iam_session_spec {
    const char *account_id;
    const char *role_name;
    const char *session_name;
    int64_t expires_ms;
};
int iam_session_create(struct iam_credential *out, struct store *st,
                       const struct iam_session_spec *spec);

/* Reads a role; ERR_NOT_FOUND (with IAM's message) when absent. */
int iam_role_get(json_t **out, struct store *st, const char *account_id, const char *role_name);

#endif
