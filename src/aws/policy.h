#ifndef SLIPWAY_AWS_POLICY_H
#define SLIPWAY_AWS_POLICY_H

#include "base/buf.h"

/*
 * IAM policy documents: validation the way IAM does it, compilation into
 * an in-memory form, and evaluation by the documented logic (IAM user
 * guide, reference_policies_evaluation-logic.md and its neighbours).
 *
 * A document is compiled once (policy_compile) and evaluated many times
 * (policy_evaluate): evaluation does no JSON work and allocates nothing
 * except when a policy variable expands past a 4 KiB scratch area or a
 * BinaryEquals condition is tested.
 *
 * Failures of policy_compile() are ERR_INVALID with IAM's own
 * MalformedPolicyDocument text as err_msg() ("Syntax errors in policy.",
 * "Policy statement must contain resources." ...), so the IAM handlers
 * can return it unchanged; or ERR_LIMIT when a size limit is passed.
 */

/* The largest document compiled at all, in bytes; every quota IAM and the
 * services with resource policies apply is far below it. */
#define POLICY_DOCUMENT_MAX (128 * 1024)
/* Variables in one string of a policy (a resource, a condition value). */
#define POLICY_VARIABLES_MAX 32
/* Values in one request context, and the bytes of one key or value. */
#define POLICY_CONTEXT_MAX       256
#define POLICY_CONTEXT_VALUE_MAX 4096
/* Bytes of the requested action name, "service:Action". */
#define POLICY_ACTION_MAX 256
/* Policies in one list of a policy set (identity or session policies). */
#define POLICY_SET_MAX 4096

enum policy_kind {
    /* Attached to a user, group or role (also boundaries and session
     * policies): no Principal or NotPrincipal. */
    POLICY_KIND_IDENTITY,
    /* Attached to a resource (bucket, secret, topic, bus): Principal or
     * NotPrincipal in every statement. */
    POLICY_KIND_RESOURCE,
    /* A role's AssumeRolePolicyDocument: Principal in every statement, no
     * Resource, sts actions only. */
    POLICY_KIND_TRUST,
};

struct policy_options {
    enum policy_kind kind;
    /* CreatePolicy and CreatePolicyVersion refuse documents whose Version
     * is not 2012-10-17; inline and trust policies accept 2008-10-17. */
    bool require_current_version;
    /* When non-zero, the most characters policy_size() may count; a larger
     * document fails with ERR_LIMIT "Cannot exceed quota for
     * QUOTA_NAME: MAX" (IAM's LimitExceeded text). */
    size_t size_max;
    const char *size_quota_name; /* "PolicySize", "ACLSizePerRole" ... */
    /* When set, asked for every IAM user and role ARN a Principal names:
     * IAM refuses a principal it cannot resolve ("Invalid principal in
     * policy"). NULL: principals are checked for their form only. */
    bool (*principal_exists)(void *ctx, const char *arn);
    void *principal_ctx;
};

struct policy;

/*
 * The size of a document as IAM counts it against its quotas: characters
 * (UTF-8 code points), white space outside strings left out.
 */
size_t policy_size(const char *document, size_t len);

/*
 * Validates and compiles `document` (`len` bytes, need not be
 * NUL-terminated). On success *out owns everything it needs (the
 * document can be freed); free it with policy_free().
 */
int policy_compile(struct policy **out, const char *document, size_t len,
                   const struct policy_options *options);
/* Validation only: policy_compile() without keeping the result. */
int policy_check(const char *document, size_t len, const struct policy_options *options);
void policy_free(struct policy *policy);

enum policy_kind policy_get_kind(const struct policy *policy);
size_t policy_statement_count(const struct policy *policy);
/* The statement's Sid, "" when it has none. */
const char *policy_statement_sid(const struct policy *policy, size_t index);

/*
 * The request context's condition keys: a multi-valued map, filled by the
 * caller. Keys and values are borrowed, not copied: they must outlive
 * every evaluation that uses the context. A key added several times has
 * several values (aws:TagKeys). Key names compare case-insensitively.
 *
 * The evaluator supplies the principal's own keys itself when the context
 * does not hold them: aws:username, aws:userid, aws:PrincipalArn,
 * aws:PrincipalAccount, aws:PrincipalType, aws:PrincipalServiceName,
 * aws:PrincipalIsAWSService, aws:ResourceAccount, and aws:CurrentTime and
 * aws:EpochTime from the request's now_ms.
 */
struct policy_context_entry {
    const char *key;
    const char *value;
    uint32_t key_len;
    uint32_t value_len;
    uint32_t key_hash;
};

struct policy_context {
    struct policy_context_entry entries[POLICY_CONTEXT_MAX];
    size_t count;
};

void policy_context_init(struct policy_context *ctx);
/* Adds one value of `key`; ERR_LIMIT past POLICY_CONTEXT_MAX values or
 * POLICY_CONTEXT_VALUE_MAX bytes. */
int policy_context_add(struct policy_context *ctx, const char *key, const char *value);

enum policy_principal_type {
    POLICY_PRINCIPAL_ANONYMOUS,
    /* The account's root user. */
    POLICY_PRINCIPAL_ROOT,
    POLICY_PRINCIPAL_USER,
    /* A role session (AssumeRole and its variants). */
    POLICY_PRINCIPAL_ASSUMED_ROLE,
    /* A GetFederationToken session. */
    POLICY_PRINCIPAL_FEDERATED_USER,
    /* An AWS service acting as itself ("codebuild.amazonaws.com"). */
    POLICY_PRINCIPAL_SERVICE,
    /* A web identity or SAML user calling AssumeRoleWith*: named in trust
     * policies by its provider. */
    POLICY_PRINCIPAL_WEB_IDENTITY,
};

/* Who asks. Strings are borrowed for the call; NULL where they do not apply. */
struct policy_principal {
    enum policy_principal_type type;
    /* arn:aws:iam::ACCT:user/PATH/NAME, arn:aws:sts::ACCT:assumed-role/ROLE/SESSION,
     * arn:aws:sts::ACCT:federated-user/NAME or arn:aws:iam::ACCT:root */
    const char *arn;
    const char *account;
    /* aws:userid: "AIDA...", "AROA...:SESSION", "ACCT:NAME", the account id for root */
    const char *user_id;
    /* The user name of an IAM user (aws:username). */
    const char *name;
    /* A role session's role ARN (with its path); a federated user's IAM user ARN. */
    const char *parent_arn;
    /* POLICY_PRINCIPAL_SERVICE: the service principal. */
    const char *service;
    /* POLICY_PRINCIPAL_WEB_IDENTITY: the provider ("accounts.google.com" or
     * the SAML / OIDC provider ARN). */
    const char *provider;
};

struct policy_request {
    struct policy_principal principal;
    const char *action;   /* "codebuild:StartBuild" */
    const char *resource; /* an ARN, or "*" for actions without resources */
    /* The account that owns the resource; NULL when it is the principal's
     * own. A different account makes the request cross-account. */
    const char *resource_account;
    /* The request time, for aws:CurrentTime and aws:EpochTime; 0 leaves
     * both to the context. */
    int64_t now_ms;
    const struct policy_context *context; /* may be NULL */
};

/* Which policies apply to a request. Nothing is owned. */
struct policy_set {
    /* The principal's identity policies: a user's own and its groups', a
     * role's; for a federated user, the IAM user's. */
    const struct policy *const *identity;
    size_t identity_count;
    /* The resource's policy (kind RESOURCE), or for AssumeRole the role's
     * trust policy (kind TRUST); NULL when the resource has none. */
    const struct policy *resource;
    /* The entity's permissions boundary; NULL when it has none. */
    const struct policy *boundary;
    /* The session policies passed when the session was created; none
     * (count 0) means the session is not narrowed. */
    const struct policy *const *session;
    size_t session_count;
};

enum policy_decision {
    POLICY_IMPLICIT_DENY,
    POLICY_ALLOW,
    POLICY_EXPLICIT_DENY,
};

/* The policy types, in the order AWS names them in AccessDenied messages. */
enum policy_source {
    POLICY_SOURCE_IDENTITY,
    POLICY_SOURCE_RESOURCE,
    POLICY_SOURCE_BOUNDARY,
    POLICY_SOURCE_SESSION,
};

/* A statement that applied to the request (action, resource, principal and
 * every condition matched). `sid` points into the policy. */
struct policy_statement_ref {
    enum policy_source source;
    uint32_t policy;    /* index in its list (0 for resource and boundary) */
    uint32_t statement; /* index in the policy's Statement array */
    const char *sid;
    bool deny;
};

#define POLICY_RESULT_MATCHES_MAX 64
#define POLICY_RESULT_MISSING_MAX 32

struct policy_result {
    enum policy_decision decision;
    /* For a denial: the policy type that denied explicitly, or whose
     * missing allow decided (see policy_result_explain). */
    enum policy_source denied_by;
    /* Every statement that applied, Allow and Deny, in evaluation order;
     * `matched_truncated` when more applied than fit. */
    struct policy_statement_ref matched[POLICY_RESULT_MATCHES_MAX];
    size_t matched_count;
    bool matched_truncated;
    /* Condition keys (as the policies spell them) that statements matching
     * the action and resource tested but the request did not have; each
     * once. SimulatePrincipalPolicy's MissingContextValues. Point into the
     * policies. */
    const char *missing[POLICY_RESULT_MISSING_MAX];
    size_t missing_count;
};

/*
 * Evaluates the request against the set; *out is written on success.
 * Fails with ERR_INVALID for a malformed request (an action without a
 * service prefix or longer than POLICY_ACTION_MAX, too many policies).
 */
int policy_evaluate(struct policy_result *out, const struct policy_set *set,
                    const struct policy_request *request);

/*
 * Appends AWS's reason clause for a denial of `action`, as AccessDenied
 * messages end: "because no identity-based policy allows the
 * codebuild:StartBuild action", "with an explicit deny in a resource-based
 * policy" ... Appends nothing for an allow.
 */
void policy_result_explain(struct buf *out, const struct policy_result *result, const char *action);

#endif
