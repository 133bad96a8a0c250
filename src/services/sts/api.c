#include "base/common.h"
#include "services/sts/sts.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "aws/policy.h"
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

/* AWS's limits on session policies. */
#define SESSION_POLICY_PACKED_MAX 2048
#define SESSION_POLICY_ARNS_MAX   10

/*
 * The session policies an AssumeRole asks for: the inline Policy and the
 * documents of PolicyArns (resolved now), as an array of documents, or
 * NULL when none was asked for. PackedPolicySize is the share of AWS's
 * packed limit the inline policy uses.
 */
static int session_policies_get(json_t **out, int *packed_percent, struct api_call *call,
                                json_t *in)
{
    const char *inline_doc = json_string_value(json_object_get(in, "Policy"));
    json_t *arns = json_object_get(in, "PolicyArns");
    if (!inline_doc && json_array_size(arns) == 0) {
        *out = NULL;
        return 0;
    }
    if (json_array_size(arns) > SESSION_POLICY_ARNS_MAX)
        return api_error(call, ERR_LIMIT, "ValidationError",
                         "The number of policy ARNs exceeds the limit of %d",
                         SESSION_POLICY_ARNS_MAX);
    json_t *docs = json_array();
    if (inline_doc) {
        size_t size = policy_size(inline_doc, strlen(inline_doc));
        struct policy_options opts = {.kind = POLICY_KIND_IDENTITY};
        if (policy_check(inline_doc, strlen(inline_doc), &opts) < 0) {
            json_decref(docs);
            return api_error(call, ERR_INVALID, "MalformedPolicyDocument", "%s", err_msg());
        }
        if (size > SESSION_POLICY_PACKED_MAX) {
            json_decref(docs);
            return api_error(call, ERR_LIMIT, "PackedPolicyTooLarge",
                             "Packed size of consumed policies exceeds %zu%%. Maximum allowed "
                             "is 100%%.",
                             size * 100 / SESSION_POLICY_PACKED_MAX);
        }
        *packed_percent = (int)(size * 100 / SESSION_POLICY_PACKED_MAX);
        json_array_append_new(docs, json_string(inline_doc));
    }
    size_t i;
    json_t *item;
    json_array_foreach(arns, i, item)
    {
        const char *arn = json_string_value(json_object_get(item, "arn"));
        struct iam_policy_doc doc;
        if (!arn || iam_policy_document_get(&doc, call->store, arn) < 0) {
            json_decref(docs);
            return api_error(call, ERR_INVALID, "ValidationError",
                             "Policy %s does not exist or is not attachable.", arn ? arn : "");
        }
        json_array_append_new(docs, json_string(doc.document));
        iam_policy_doc_release(&doc);
    }
    *out = docs;
    return 0;
}

#define SESSION_TAGS_MAX 50

/*
 * SourceIdentity: set once, by the first AssumeRole of a chain, which needs
 * sts:SetSourceIdentity from the trust policy; sessions made from that
 * session keep it and cannot change it. *out is malloc'd, NULL for none.
 */
static int source_identity_authorize(char **out, struct api_call *call, json_t *in,
                                     const struct api_authz *assume)
{
    const char *asked = json_string_value(json_object_get(in, "SourceIdentity"));
    char *inherited = NULL;
    int rc = iam_session_source_identity(&inherited, call->store, call->principal->access_key_id);
    if (rc < 0)
        return rc;
    *out = NULL;
    if (inherited) {
        if (asked && strcmp(asked, inherited) != 0) {
            free(inherited);
            return api_error(call, ERR_INVALID, "ValidationError",
                             "The source identity of the calling session cannot be changed");
        }
        *out = inherited;
        return 0;
    }
    if (!asked)
        return 0;
    struct api_condition conditions[6] = {{"sts:SourceIdentity", asked}};
    size_t n = 1;
    for (size_t i = 0; i < assume->condition_count && i < 4; i++)
        conditions[n++] = assume->conditions[i];
    struct api_authz authz = *assume;
    authz.action = "sts:SetSourceIdentity";
    authz.conditions = conditions;
    authz.condition_count = n;
    if (api_authorize_request(call, &authz) < 0)
        return api_error(call, ERR_DENIED, "AccessDenied",
                         "User: %s is not authorized to perform: sts:SetSourceIdentity on "
                         "resource: %s",
                         call->principal->arn, assume->resource);
    *out = xstrdup(asked);
    return 0;
}

static bool has_key(json_t *tags, const char *key)
{
    const char *k;
    json_t *v;
    json_object_foreach(tags, k, v)
    {
        if (strcasecmp(k, key) == 0)
            return true;
    }
    return false;
}

/*
 * Session tags: those the call passes plus those the calling session made
 * transitive (role chaining), at most 50, keys unique whatever their case;
 * a transitive tag cannot be set again. Passing tags is its own permission,
 * sts:TagSession, asked of the trust policy with the tags as request tags.
 * *tags_out is {"key": "value"} and *transitive_out the keys that go on to
 * sessions this one makes; both NULL when there are no tags.
 */
static int session_tags_authorize(json_t **tags_out, json_t **transitive_out, struct api_call *call,
                                  json_t *in, const struct api_authz *assume)
{
    json_t *list = json_object_get(in, "Tags");
    json_t *keys = json_object_get(in, "TransitiveTagKeys");
    *tags_out = *transitive_out = NULL;
    json_t *tags;
    int rc = iam_session_transitive_tags(&tags, call->store, call->principal->access_key_id);
    if (rc < 0)
        return rc;
    json_t *transitive = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(tags, k, v) json_array_append_new(transitive, json_string(k));

    size_t i;
    json_t *tag;
    json_array_foreach(list, i, tag)
    {
        const char *key = json_string_value(json_object_get(tag, "Key"));
        if (has_key(tags, key)) {
            bool inherited = false;
            size_t j;
            json_t *t;
            json_array_foreach(transitive, j, t) inherited |=
                strcasecmp(json_string_value(t), key) == 0;
            if (inherited)
                rc = api_error(call, ERR_INVALID, "InvalidParameterValue",
                               "The session tag '%s' was set transitively by the calling "
                               "session and cannot be changed",
                               key);
            else
                rc = api_error(call, ERR_INVALID, "InvalidParameterValue",
                               "Duplicate tag keys found. Please note that Tag keys are case "
                               "insensitive.");
            goto fail;
        }
        json_object_set_new(tags, key, json_incref(json_object_get(tag, "Value")));
    }
    json_array_foreach(keys, i, v)
    {
        const char *key = json_string_value(v);
        bool passed = false;
        size_t j;
        json_array_foreach(list, j, tag) passed |=
            strcasecmp(json_string_value(json_object_get(tag, "Key")), key) == 0;
        if (!passed) {
            rc = api_error(call, ERR_INVALID, "InvalidParameterValue",
                           "The transitive tag key '%s' is not one of the session's tags", key);
            goto fail;
        }
        json_array_append(transitive, v);
    }
    if (json_object_size(tags) == 0)
        goto done;
    if (json_object_size(tags) > SESSION_TAGS_MAX) {
        rc = api_error(call, ERR_LIMIT, "ValidationError",
                       "1 validation error detected: Value at 'tags' failed to satisfy "
                       "constraint: Member must have length less than or equal to %d",
                       SESSION_TAGS_MAX);
        goto fail;
    }

    /* The AssumeRole question's own keys (external id, session name) hold
     * for this one too. */
    struct api_condition conditions[2 * SESSION_TAGS_MAX + 4];
    char *names[SESSION_TAGS_MAX];
    size_t n = 0, made = 0;
    for (i = 0; i < assume->condition_count && i < 4; i++)
        conditions[n++] = assume->conditions[i];
    json_object_foreach(tags, k, v)
    {
        names[made] = xasprintf("aws:RequestTag/%s", k);
        conditions[n++] = (struct api_condition){names[made++], json_string_value(v)};
        conditions[n++] = (struct api_condition){"aws:TagKeys", k};
    }
    struct api_authz authz = *assume;
    authz.action = "sts:TagSession";
    authz.conditions = conditions;
    authz.condition_count = n;
    if ((rc = api_authorize_request(call, &authz)) < 0)
        rc = api_error(call, ERR_DENIED, "AccessDenied",
                       "User: %s is not authorized to perform: sts:TagSession on resource: %s",
                       call->principal->arn, assume->resource);
    for (i = 0; i < made; i++)
        free(names[i]);
    if (rc < 0)
        goto fail;
done:
    if (json_object_size(tags) == 0) {
        json_decref(tags);
        json_decref(transitive);
        return 0;
    }
    *tags_out = tags;
    *transitive_out = transitive;
    return 0;
fail:
    json_decref(tags);
    json_decref(transitive);
    return rc;
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
    static const char *const unsupported[] = {"ProvidedContexts", "SerialNumber", "TokenCode"};
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
    char *source_identity = NULL;
    if ((rc = source_identity_authorize(&source_identity, call, in, &authz)) < 0) {
        iam_role_trust_release(&trust);
        return rc;
    }
    json_t *tags = NULL, *transitive = NULL;
    if ((rc = session_tags_authorize(&tags, &transitive, call, in, &authz)) < 0) {
        free(source_identity);
        iam_role_trust_release(&trust);
        return rc;
    }
    int64_t max = trust.max_session_seconds;
    struct buf stored_name = BUF_INIT;
    buf_adds(&stored_name, trust.role_name);
    iam_role_trust_release(&trust);

    json_int_t seconds =
        json_is_integer(duration) ? json_integer_value(duration) : SESSION_DEFAULT_SECONDS;
    if (call->principal->type == PRINCIPAL_ASSUMED_ROLE && seconds > SESSION_CHAINED_MAX) {
        json_decref(tags);
        json_decref(transitive);
        free(source_identity);
        buf_release(&stored_name);
        return api_error(call, ERR_INVALID, "ValidationError",
                         "The requested DurationSeconds exceeds the 1 hour session limit for "
                         "roles assumed by role chaining.");
    }
    if (seconds < SESSION_MIN_SECONDS || seconds > max) {
        json_decref(tags);
        json_decref(transitive);
        free(source_identity);
        buf_release(&stored_name);
        return api_error(call, ERR_INVALID, "ValidationError",
                         "The requested DurationSeconds exceeds the MaxSessionDuration set for "
                         "this role.");
    }

    json_t *session_policies = NULL;
    int packed_percent = 0;
    if ((rc = session_policies_get(&session_policies, &packed_percent, call, in)) < 0) {
        json_decref(tags);
        json_decref(transitive);
        json_decref(transitive);
        buf_release(&stored_name);
        return rc;
    }
    struct iam_credential cred;
    struct iam_session_spec spec = {
        .account_id = account,
        .role_name = stored_name.data,
        .session_name = session,
        .expires_ms = call->now_ms + (int64_t)seconds * 1000,
        .session_policies = session_policies,
        .session_tags = tags,
        .transitive_tag_keys = transitive,
        .source_identity = source_identity,
    };
    rc = iam_session_create(&cred, call->store, &spec);
    buf_release(&stored_name);
    json_decref(session_policies);
    json_decref(tags);
    json_decref(transitive);
    if (rc < 0) {
        free(source_identity);
        return rc;
    }
    *out = json_pack("{s:{s:s, s:s, s:s, s:I}, s:{s:s, s:s}}", "Credentials", "AccessKeyId",
                     cred.principal.access_key_id, "SecretAccessKey", cred.secret_access_key,
                     "SessionToken", cred.session_token, "Expiration", (json_int_t)cred.expires_ms,
                     "AssumedRoleUser", "AssumedRoleId", cred.principal.user_id, "Arn",
                     cred.principal.arn);
    if (session_policies)
        json_object_set_new(*out, "PackedPolicySize", json_integer(packed_percent));
    if (source_identity)
        json_object_set_new(*out, "SourceIdentity", json_string(source_identity));
    free(source_identity);
    return 0;
}

/* GetSessionToken's bounds, in seconds. */
#define TOKEN_MIN_SECONDS     900
#define TOKEN_DEFAULT_SECONDS 43200
#define TOKEN_MAX_SECONDS     129600
#define TOKEN_ROOT_MAX        3600

static int sts_get_session_token(struct api_call *call, json_t *in, json_t **out)
{
    int rc = api_authorize(call, "sts:GetSessionToken", "*");
    if (rc < 0)
        return rc;
    if (json_object_get(in, "SerialNumber") || json_object_get(in, "TokenCode"))
        return api_error(call, ERR_UNSUPPORTED, "NotImplemented",
                         "slipway does not support MFA devices yet");
    const struct principal *p = call->principal;
    if (p->type != PRINCIPAL_USER || p->session_token_user)
        return api_error(call, ERR_DENIED, "AccessDenied",
                         "Cannot call GetSessionToken with session credentials");
    json_t *duration = json_object_get(in, "DurationSeconds");
    json_int_t seconds =
        json_is_integer(duration) ? json_integer_value(duration) : TOKEN_DEFAULT_SECONDS;
    if (seconds < TOKEN_MIN_SECONDS || seconds > TOKEN_MAX_SECONDS)
        return api_error(call, ERR_INVALID, "ValidationError",
                         "1 validation error detected: Value '%lld' at 'durationSeconds' failed "
                         "to satisfy constraint: Member must have value %s %d",
                         (long long)seconds,
                         seconds < TOKEN_MIN_SECONDS ? "greater than or equal to"
                                                     : "less than or equal to",
                         seconds < TOKEN_MIN_SECONDS ? TOKEN_MIN_SECONDS : TOKEN_MAX_SECONDS);
    struct iam_credential cred;
    struct iam_session_spec spec = {
        .account_id = p->account_id,
        .user_name = p->name,
        .expires_ms = call->now_ms + (int64_t)seconds * 1000,
    };
    if ((rc = iam_session_create(&cred, call->store, &spec)) < 0)
        return rc;
    *out = json_pack("{s:{s:s, s:s, s:s, s:I}}", "Credentials", "AccessKeyId",
                     cred.principal.access_key_id, "SecretAccessKey", cred.secret_access_key,
                     "SessionToken", cred.session_token, "Expiration", (json_int_t)cred.expires_ms);
    return 0;
}

/* The account of an access key this server issued. */
static int sts_get_access_key_info(struct api_call *call, json_t *in, json_t **out)
{
    int rc = api_authorize(call, "sts:GetAccessKeyInfo", "*");
    if (rc < 0)
        return rc;
    const char *key = json_string_value(json_object_get(in, "AccessKeyId"));
    struct iam_credential cred;
    rc = iam_credential_lookup(&cred, call->store, key);
    if (rc == ERR_NOT_FOUND)
        return api_error(call, ERR_INVALID, "ValidationError",
                         "The access key ID %s was not issued by this server", key);
    if (rc < 0)
        return rc;
    *out = json_pack("{s:s}", "Account", cred.principal.account_id);
    return 0;
}

/*
 * AWS encodes the details of some denials (EC2's, mostly) and this call
 * decodes them for a caller allowed to see them. slipway's denials carry
 * AWS's plain message and encode nothing, so no message can be one that it
 * issued: every message is answered as invalid, after the permission check
 * AWS makes first.
 */
static int sts_decode_authorization_message(struct api_call *call, json_t *in, json_t **out)
{
    (void)in;
    (void)out;
    int rc = api_authorize(call, "sts:DecodeAuthorizationMessage", "*");
    if (rc < 0)
        return rc;
    return api_error(call, ERR_INVALID, "InvalidAuthorizationMessageException",
                     "The encoded authorization message is not one slipway issued: slipway's "
                     "denials are not encoded");
}

static const struct api_operation sts_operations[] = {
    {"AssumeRole", sts_assume_role, NULL},
    {"DecodeAuthorizationMessage", sts_decode_authorization_message, NULL},
    {"GetAccessKeyInfo", sts_get_access_key_info, NULL},
    {"GetCallerIdentity", sts_get_caller_identity, NULL},
    {"GetSessionToken", sts_get_session_token, NULL},
};

const struct api_service sts_api_service = {
    .name = "sts",
    .operations = sts_operations,
    .operation_count = ARRAY_SIZE(sts_operations),
};
