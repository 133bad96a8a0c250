#include "base/common.h"
#include "services/sts/sts.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/iam/iam.h"

/* AWS's bounds on a role session, in seconds. */
#define SESSION_MIN_SECONDS     900
#define SESSION_DEFAULT_SECONDS 3600
#define SESSION_CHAINED_MAX     3600

static int sts_get_caller_identity(struct api_call *call, json_t *in, json_t **out)
{
    (void)in;
    int rc = api_authorize(call, "sts:GetCallerIdentity", "*");
    if (rc < 0)
        return rc;
    *out = json_pack("{s:s, s:s, s:s}", "UserId", call->principal->user_id, "Account",
                     call->principal->account_id, "Arn", call->principal->arn);
    return 0;
}

/* "arn:aws:iam::ACCOUNT:role/PATH/NAME" -> ACCOUNT and NAME. */
static bool split_role_arn(char *account, size_t asize, const char **name, const char *arn)
{
    static const char prefix[] = "arn:aws:iam::";
    if (strncmp(arn, prefix, sizeof(prefix) - 1) != 0)
        return false;
    const char *acct = arn + sizeof(prefix) - 1;
    const char *colon = strchr(acct, ':');
    if (!colon || (size_t)(colon - acct) >= asize || strncmp(colon + 1, "role/", 5) != 0)
        return false;
    memcpy(account, acct, (size_t)(colon - acct));
    account[colon - acct] = '\0';
    const char *slash = strrchr(colon + 1, '/');
    *name = slash + 1;
    return **name != '\0';
}

/* The refusal AWS gives when the role is missing or does not trust the caller. */
static int assume_denied(struct api_call *call, const char *role_arn)
{
    return api_error(call, ERR_DENIED, "AccessDenied",
                     "User: %s is not authorized to perform: sts:AssumeRole on resource: %s",
                     call->principal->arn, role_arn);
}

/*
 * AssumeRole is authorized as AWS documents it: the role's trust policy is
 * the resource policy of the request, evaluated with the caller's identity
 * policies, so a trust naming the account needs the caller's own
 * sts:AssumeRole permission while a trust naming the caller directly
 * suffices.
 */
static int sts_assume_role(struct api_call *call, json_t *in, json_t **out)
{
    const char *role_arn = json_string_value(json_object_get(in, "RoleArn"));
    const char *session = json_string_value(json_object_get(in, "RoleSessionName"));
    const char *external_id = json_string_value(json_object_get(in, "ExternalId"));
    json_t *duration = json_object_get(in, "DurationSeconds");

    char account[16];
    const char *role_name;
    /* Narrowing a session is a security promise: until session policies and
     * tags are applied, a call asking for them is refused, never widened. */
    static const char *const unsupported[] = {
        "Policy",         "PolicyArns",       "Tags",         "TransitiveTagKeys",
        "SourceIdentity", "ProvidedContexts", "SerialNumber", "TokenCode"};
    for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++)
        if (json_object_get(in, unsupported[i]))
            return api_error(call, ERR_UNSUPPORTED, "NotImplemented",
                             "slipway does not support AssumeRole's %s parameter yet",
                             unsupported[i]);
    if (!split_role_arn(account, sizeof(account), &role_name, role_arn)) {
        return api_error(call, ERR_INVALID, "ValidationError",
                         "%s is invalid: it must be a role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
                         role_arn);
    }
    struct iam_role_trust trust;
    int rc = iam_role_trust_policy(&trust, call->store, account, role_name);
    if (rc < 0)
        return rc == ERR_NOT_FOUND ? assume_denied(call, role_arn) : rc;
    /* The ARN must name the role with its path, as AWS compares whole ARNs. */
    if (strcasecmp(trust.role_arn, role_arn) != 0) {
        iam_role_trust_release(&trust);
        return assume_denied(call, role_arn);
    }

    struct api_condition conditions[4];
    size_t n = 0;
    conditions[n++] = (struct api_condition){"sts:RoleSessionName", session};
    if (external_id)
        conditions[n++] = (struct api_condition){"sts:ExternalId", external_id};
    struct api_authz authz = {
        .action = "sts:AssumeRole",
        .resource = trust.role_arn,
        .resource_account = strcmp(account, call->account_id) != 0 ? account : NULL,
        .resource_policy = trust.document,
        .resource_policy_id = trust.id,
        .resource_policy_is_trust = true,
        .conditions = conditions,
        .condition_count = n,
    };
    if ((rc = api_authorize_request(call, &authz)) < 0) {
        iam_role_trust_release(&trust);
        return assume_denied(call, role_arn);
    }
    int64_t max = trust.max_session_seconds;
    struct buf stored_name = BUF_INIT;
    buf_adds(&stored_name, trust.role_name);
    iam_role_trust_release(&trust);

    json_int_t seconds =
        json_is_integer(duration) ? json_integer_value(duration) : SESSION_DEFAULT_SECONDS;
    if (call->principal->type == PRINCIPAL_ASSUMED_ROLE && seconds > SESSION_CHAINED_MAX) {
        buf_release(&stored_name);
        return api_error(call, ERR_INVALID, "ValidationError",
                         "The requested DurationSeconds exceeds the 1 hour session limit for "
                         "roles assumed by role chaining.");
    }
    if (seconds < SESSION_MIN_SECONDS || seconds > max) {
        buf_release(&stored_name);
        return api_error(call, ERR_INVALID, "ValidationError",
                         "The requested DurationSeconds exceeds the MaxSessionDuration set for "
                         "this role.");
    }

    struct iam_credential cred;
    struct iam_session_spec spec = {
        .account_id = account,
        .role_name = stored_name.data,
        .session_name = session,
        .expires_ms = call->now_ms + (int64_t)seconds * 1000,
    };
    rc = iam_session_create(&cred, call->store, &spec);
    buf_release(&stored_name);
    if (rc < 0)
        return rc;
    *out = json_pack("{s:{s:s, s:s, s:s, s:I}, s:{s:s, s:s}}", "Credentials", "AccessKeyId",
                     cred.principal.access_key_id, "SecretAccessKey", cred.secret_access_key,
                     "SessionToken", cred.session_token, "Expiration", (json_int_t)cred.expires_ms,
                     "AssumedRoleUser", "AssumedRoleId", cred.principal.user_id, "Arn",
                     cred.principal.arn);
    return 0;
}

static const struct api_operation sts_operations[] = {
    {"AssumeRole", sts_assume_role},
    {"GetCallerIdentity", sts_get_caller_identity},
};

const struct api_service sts_api_service = {
    .name = "sts",
    .operations = sts_operations,
    .operation_count = ARRAY_SIZE(sts_operations),
};
