#ifndef SLIPWAY_SERVICES_IAM_IAM_H
#define SLIPWAY_SERVICES_IAM_IAM_H

#include "aws/api.h"
#include "aws/principal.h"
#include "store/store.h"

/*
 * IAM: users, groups, roles, instance profiles, access keys, login
 * profiles, service-specific credentials (git over HTTPS), managed and
 * inline policies, and the identity lookups the request path needs (who
 * owns an access key, what policies apply to a principal).
 *
 * Records (kind / scope / name):
 *   iam.user              ACCOUNT / USER
 *   iam.user_key          ACCOUNT / USER "/" ACCESS_KEY_ID              (index)
 *   iam.user_policy       ACCOUNT / USER "/" POLICY_NAME                (inline)
 *   iam.user_attachment   ACCOUNT / USER "/" POLICY_ARN
 *   iam.user_group        ACCOUNT / USER "/" GROUP                      (index)
 *   iam.group             ACCOUNT / GROUP
 *   iam.group_member      ACCOUNT / GROUP "/" USER
 *   iam.group_policy      ACCOUNT / GROUP "/" POLICY_NAME               (inline)
 *   iam.group_attachment  ACCOUNT / GROUP "/" POLICY_ARN
 *   iam.role              ACCOUNT / ROLE
 *   iam.role_policy       ACCOUNT / ROLE "/" POLICY_NAME                (inline)
 *   iam.role_attachment   ACCOUNT / ROLE "/" POLICY_ARN
 *   iam.role_profile      ACCOUNT / ROLE "/" INSTANCE_PROFILE           (index)
 *   iam.role_last_used    ACCOUNT / ROLE
 *   iam.policy            ACCOUNT / POLICY_NAME                         (customer managed)
 *   iam.policy_version    ACCOUNT / POLICY_NAME "/" VERSION_ID
 *   iam.policy_entity     ACCOUNT / POLICY_ARN " " TYPE ":" ENTITY      (attachment index)
 *   iam.policy_boundary   ACCOUNT / POLICY_ARN " " TYPE ":" ENTITY      (boundary index)
 *   iam.instance_profile  ACCOUNT / INSTANCE_PROFILE
 *   iam.login_profile     ACCOUNT / USER
 *   iam.service_credential ACCOUNT / USER "/" CREDENTIAL_ID             (index)
 *   iam.slr_deletion      ACCOUNT / DELETION_TASK_ID
 *   iam.access_key        "global" / ACCESS_KEY_ID  (long-term, AKIA...)
 *   iam.key_last_used     "global" / ACCESS_KEY_ID
 *   sts.session           "global" / ACCESS_KEY_ID  (temporary, ASIA...)
 *   iam.service_user      "global" / SERVICE_USER_NAME  (service-specific credential,
 *                         ACCA...: git over HTTPS; the password as a salted hash)
 *
 * Names of users, groups, roles, policies and instance profiles in record
 * names are folded to lower case, since IAM names are unique regardless of
 * case; the records keep the names as created. AWS's own managed policies
 * are compiled in, not stored.
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

/*
 * Records that an access key was used just now, for GetAccessKeyLastUsed
 * (a user's key) or a role's RoleLastUsed (a session's key): one write,
 * no transaction. Call it at most once per key per minute, outside any
 * transaction on `st`.
 */
int iam_access_key_used(struct store *st, const char *access_key_id, const char *service,
                        const char *region, int64_t now_ms);

/*
 * HTTP Basic authentication for git over HTTPS: `username` is a
 * ServiceUserName, `password` its ServicePassword, `service` the service
 * ("codecommit.amazonaws.com"). Fills `out` with the owning user as a
 * principal (as iam_credential_lookup would for the user's access key,
 * access_key_id empty) when the credential exists, is Active, belongs to
 * `service` and the password matches; otherwise ERR_DENIED (never say
 * which part was wrong). The user must still exist.
 */
int iam_service_credential_authenticate(struct principal *out, struct store *st,
                                        const char *username, const char *password,
                                        const char *service);

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
    /* AssumeRole: the role and the session's name. */
    const char *role_name;
    const char *session_name;
    /* GetSessionToken: the user whose session it is (role_name NULL). */
    const char *user_name;
    int64_t expires_ms;
    /* Session policies narrowing the session: an array of documents
     * (strings), or NULL. */
    json_t *session_policies;
    /* Session tags, {"key": "value"}, or NULL; and the keys among them
     * that pass on to the sessions this one makes (role chaining). */
    json_t *session_tags;
    json_t *transitive_tag_keys;
    /* The session's source identity (set once, kept through chaining), or NULL. */
    const char *source_identity;
};
int iam_session_create(struct iam_credential *out, struct store *st,
                       const struct iam_session_spec *spec);

/*
 * The session policies of a temporary key (AssumeRole's Policy and
 * PolicyArns, resolved when the session was made): an array of documents,
 * empty when the session is not narrowed or the key is not a session's.
 */
int iam_session_policies(json_t **out, struct store *st, const char *access_key_id);

/*
 * Deletes the records of temporary credentials that expired before
 * `now_ms` (they are refused anyway; this keeps the store from growing
 * with every AssumeRole). Run at start-up.
 */
int iam_sessions_purge(size_t *count_out, struct store *st, int64_t now_ms);

/* The source identity of a session's key, malloc'd; NULL when none. */
int iam_session_source_identity(char **out, struct store *st, const char *access_key_id);

/* The tags a session passes on to the sessions it makes, {"key": "value"};
 * empty when none, or when the key is not a session's. */
int iam_session_transitive_tags(json_t **out, struct store *st, const char *access_key_id);

/* The session tags of a temporary key, {"key": "value"}; empty when none. */
int iam_session_tags(json_t **out, struct store *st, const char *access_key_id);

/*
 * The principal's tags as aws:PrincipalTag sees them, {"key": "value"}: an
 * IAM user's tags, or a role session's role tags overridden by its session
 * tags. Empty for the root user.
 */
int iam_principal_tags(json_t **out, struct store *st, const struct principal *p);

/* Reads a role; ERR_NOT_FOUND (with IAM's message) when absent. */
int iam_role_get(json_t **out, struct store *st, const char *account_id, const char *role_name);

/*
 * Whether `password` is the console password of a user's login profile:
 * *ok_out false when it is not; ERR_NOT_FOUND when the user has no login
 * profile.
 */
int iam_console_password_check(bool *ok_out, struct store *st, const char *account_id,
                               const char *user_name, const char *password);

/*
 * Whether the principal a resource policy names exists, for services that
 * refuse policies naming unknown principals as AWS does (S3's
 * PutBucketPolicy): an account id (12 digits) or account root ARN whose
 * account has IAM records; an IAM user or role ARN naming an existing
 * entity; an assumed-role session ARN whose role exists. Anything else
 * (a malformed ARN, another service's ARN) is false.
 */
bool iam_principal_exists(struct store *st, const char *principal);

/* ---- policies for authorization -------------------------------------------------- */

/* Where a policy document comes from. */
enum iam_policy_source {
    IAM_POLICY_USER_INLINE,      /* PutUserPolicy */
    IAM_POLICY_GROUP_INLINE,     /* PutGroupPolicy */
    IAM_POLICY_ROLE_INLINE,      /* PutRolePolicy */
    IAM_POLICY_AWS_MANAGED,      /* arn:aws:iam::aws:policy/... */
    IAM_POLICY_CUSTOMER_MANAGED, /* CreatePolicy */
};

/*
 * One policy document. Every string is owned by the struct
 * (iam_policy_doc_release()).
 *
 * `id` is a stable identity for caching compiled policies: equal ids mean
 * equal document texts, because each id ends with a digest of the text.
 *   managed: POLICY_ARN ":" VERSION_ID "#" DIGEST
 *   inline:  "inline:" TYPE "/" ENTITY "/" POLICY_NAME "#" DIGEST
 * (TYPE user, group or role; DIGEST 16 hex digits of the text's SHA-256).
 */
struct iam_policy_doc {
    enum iam_policy_source source;
    char *id;
    char *name;       /* the policy's name */
    char *arn;        /* managed policies: the policy's ARN; NULL for inline ones */
    char *version_id; /* managed policies: the default version; NULL for inline ones */
    char *entity;     /* the user, group or role that holds it or has it attached */
    char *document;   /* the JSON text, as stored */
};
void iam_policy_doc_release(struct iam_policy_doc *doc);

/* What applies to a principal. */
struct iam_policy_docs {
    /* The identity policies: for a user its inline policies, its attached
     * managed policies, then each group's inline and attached ones; for a
     * role session the role's inline and attached ones. A managed policy
     * attached more than once appears once. */
    struct iam_policy_doc *items;
    size_t count;
    /* The permissions boundary of the user or role; NULL when it has none. */
    struct iam_policy_doc *boundary;
};
void iam_policy_docs_release(struct iam_policy_docs *docs);

/*
 * Gathers the policies that apply to `p` (a user, or a role session by its
 * role); nothing for the account root. ERR_NOT_FOUND when the user or role
 * no longer exists. A managed policy that cannot be read (deleted under
 * an attachment) is left out; a boundary that cannot be read is returned
 * as a document that allows nothing, so that a broken boundary never widens
 * access.
 */
int iam_principal_policies(struct iam_policy_docs *out, struct store *st,
                           const struct principal *p);

/* A group's inline and attached policies (SimulatePrincipalPolicy on a
 * group); ERR_NOT_FOUND when there is no such group. */
int iam_group_policies(struct iam_policy_docs *out, struct store *st, const char *account_id,
                       const char *group_name);

/* A role's trust policy, for AssumeRole. Strings owned by the struct. */
struct iam_role_trust {
    char *id;       /* "trust:" ROLE_ID "#" DIGEST, stable like iam_policy_doc.id */
    char *document; /* the AssumeRolePolicyDocument text */
    char *role_arn; /* with its path */
    char *role_id;  /* AROA... */
    char *role_name;
    int64_t max_session_seconds;
};
void iam_role_trust_release(struct iam_role_trust *trust);

/* ERR_NOT_FOUND (with IAM's message) when there is no such role. */
int iam_role_trust_policy(struct iam_role_trust *out, struct store *st, const char *account_id,
                          const char *role_name);

/*
 * The default version of a managed policy by ARN: AWS's
 * (arn:aws:iam::aws:policy/...) or the customer managed one in the account
 * the ARN names. ERR_NOT_FOUND when there is none.
 */
int iam_policy_document_get(struct iam_policy_doc *out, struct store *st, const char *policy_arn);

/*
 * A counter that moves on every change to what a principal's requests
 * resolve to (see iam_identity_changed): caches of anything derived from
 * IAM records compare it to know they are stale.
 */
uint64_t iam_identity_generation(void);

/*
 * iam:PassRole for a service taking `role_arn` (a CodeBuild project's
 * service role, say): the caller must be allowed iam:PassRole on the role
 * with iam:PassedToService `service` ("codebuild.amazonaws.com"), and the
 * role's trust policy must let that service assume it. Returns 0;
 * ERR_NOT_FOUND for a missing role, ERR_DENIED when either check fails
 * (the call's error code is set when the caller was denied), ERR_INVALID
 * for an ARN that names no role. The message is for the service to wrap
 * in its own error, as each AWS service words it differently.
 */
int iam_pass_role(struct api_call *call, const char *role_arn, const char *service);

#endif
