#include "base/common.h"

#include <ctype.h>

#include "services/s3/s3_internal.h"
#include "aws/policy.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/iam/iam.h"

/*
 * Bucket policies: PutBucketPolicy checks a document the way S3 does and
 * with S3's MalformedPolicy messages (S3 reads policies with its own
 * parser, whose words differ from IAM's), then has the IAM policy engine
 * compile it, so that everything stored is something the authorizer
 * evaluates. The policy is enforced by s3_authorize() (bucket_authz.c).
 */

#define S3_POLICY_MAX 20480

#define MSG_NOT_JSON       "Policies must be valid JSON and the first byte must be '{'"
#define MSG_SYNTAX         "Invalid policy syntax."
#define MSG_PRINCIPAL      "Invalid principal in policy"
#define MSG_ACTION         "Policy has invalid action"
#define MSG_RESOURCE       "Policy has invalid resource"
#define MSG_ACTION_NO_KIND "Action does not apply to any resource(s) in statement"

enum action_kind {
    ACTION_BUCKET = 1,
    ACTION_OBJECT = 2,
    /* Account-level actions (no bucket or object resource): S3 does not
     * check them against a statement's resources. */
    ACTION_OTHER = 4,
};

/* S3's actions by the resource type the IAM service authorization
 * reference gives them. */
static const struct s3_action {
    const char *name;
    enum action_kind kind;
} s3_actions[] = {
    {"AbortMultipartUpload", ACTION_OBJECT},
    {"BypassGovernanceRetention", ACTION_OBJECT},
    {"CreateBucket", ACTION_BUCKET},
    {"CreateJob", ACTION_OTHER},
    {"DeleteBucket", ACTION_BUCKET},
    {"DeleteBucketOwnershipControls", ACTION_BUCKET},
    {"DeleteBucketPolicy", ACTION_BUCKET},
    {"DeleteBucketWebsite", ACTION_BUCKET},
    {"DeleteObject", ACTION_OBJECT},
    {"DeleteObjectTagging", ACTION_OBJECT},
    {"DeleteObjectVersion", ACTION_OBJECT},
    {"DeleteObjectVersionTagging", ACTION_OBJECT},
    {"GetAccelerateConfiguration", ACTION_BUCKET},
    {"GetAccessPoint", ACTION_OTHER},
    {"GetAccountPublicAccessBlock", ACTION_OTHER},
    {"GetAnalyticsConfiguration", ACTION_BUCKET},
    {"GetBucketAcl", ACTION_BUCKET},
    {"GetBucketCORS", ACTION_BUCKET},
    {"GetBucketLocation", ACTION_BUCKET},
    {"GetBucketLogging", ACTION_BUCKET},
    {"GetBucketNotification", ACTION_BUCKET},
    {"GetBucketObjectLockConfiguration", ACTION_BUCKET},
    {"GetBucketOwnershipControls", ACTION_BUCKET},
    {"GetBucketPolicy", ACTION_BUCKET},
    {"GetBucketPolicyStatus", ACTION_BUCKET},
    {"GetBucketPublicAccessBlock", ACTION_BUCKET},
    {"GetBucketRequestPayment", ACTION_BUCKET},
    {"GetBucketTagging", ACTION_BUCKET},
    {"GetBucketVersioning", ACTION_BUCKET},
    {"GetBucketWebsite", ACTION_BUCKET},
    {"GetEncryptionConfiguration", ACTION_BUCKET},
    {"GetIntelligentTieringConfiguration", ACTION_BUCKET},
    {"GetInventoryConfiguration", ACTION_BUCKET},
    {"GetLifecycleConfiguration", ACTION_BUCKET},
    {"GetMetricsConfiguration", ACTION_BUCKET},
    {"GetObject", ACTION_OBJECT},
    {"GetObjectAcl", ACTION_OBJECT},
    {"GetObjectAttributes", ACTION_OBJECT},
    {"GetObjectLegalHold", ACTION_OBJECT},
    {"GetObjectRetention", ACTION_OBJECT},
    {"GetObjectTagging", ACTION_OBJECT},
    {"GetObjectTorrent", ACTION_OBJECT},
    {"GetObjectVersion", ACTION_OBJECT},
    {"GetObjectVersionAcl", ACTION_OBJECT},
    {"GetObjectVersionAttributes", ACTION_OBJECT},
    {"GetObjectVersionForReplication", ACTION_OBJECT},
    {"GetObjectVersionTagging", ACTION_OBJECT},
    {"GetObjectVersionTorrent", ACTION_OBJECT},
    {"GetReplicationConfiguration", ACTION_BUCKET},
    {"InitiateReplication", ACTION_OBJECT},
    {"ListAccessPoints", ACTION_OTHER},
    {"ListAllMyBuckets", ACTION_OTHER},
    {"ListBucket", ACTION_BUCKET},
    {"ListBucketMultipartUploads", ACTION_BUCKET},
    {"ListBucketVersions", ACTION_BUCKET},
    {"ListJobs", ACTION_OTHER},
    {"ListMultipartUploadParts", ACTION_OBJECT},
    {"ListTagsForResource", ACTION_OTHER},
    {"ObjectOwnerOverrideToBucketOwner", ACTION_OBJECT},
    {"PutAccelerateConfiguration", ACTION_BUCKET},
    {"PutAccountPublicAccessBlock", ACTION_OTHER},
    {"PutAnalyticsConfiguration", ACTION_BUCKET},
    {"PutBucketAcl", ACTION_BUCKET},
    {"PutBucketCORS", ACTION_BUCKET},
    {"PutBucketLogging", ACTION_BUCKET},
    {"PutBucketNotification", ACTION_BUCKET},
    {"PutBucketObjectLockConfiguration", ACTION_BUCKET},
    {"PutBucketOwnershipControls", ACTION_BUCKET},
    {"PutBucketPolicy", ACTION_BUCKET},
    {"PutBucketPublicAccessBlock", ACTION_BUCKET},
    {"PutBucketRequestPayment", ACTION_BUCKET},
    {"PutBucketTagging", ACTION_BUCKET},
    {"PutBucketVersioning", ACTION_BUCKET},
    {"PutBucketWebsite", ACTION_BUCKET},
    {"PutEncryptionConfiguration", ACTION_BUCKET},
    {"PutIntelligentTieringConfiguration", ACTION_BUCKET},
    {"PutInventoryConfiguration", ACTION_BUCKET},
    {"PutLifecycleConfiguration", ACTION_BUCKET},
    {"PutMetricsConfiguration", ACTION_BUCKET},
    {"PutObject", ACTION_OBJECT},
    {"PutObjectAcl", ACTION_OBJECT},
    {"PutObjectLegalHold", ACTION_OBJECT},
    {"PutObjectRetention", ACTION_OBJECT},
    {"PutObjectTagging", ACTION_OBJECT},
    {"PutObjectVersionAcl", ACTION_OBJECT},
    {"PutObjectVersionTagging", ACTION_OBJECT},
    {"PutReplicationConfiguration", ACTION_BUCKET},
    {"ReplicateDelete", ACTION_OBJECT},
    {"ReplicateObject", ACTION_OBJECT},
    {"ReplicateTags", ACTION_OBJECT},
    {"RestoreObject", ACTION_OBJECT},
    {"TagResource", ACTION_OTHER},
    {"UntagResource", ACTION_OTHER},
};

static int malformed(struct api_call *call, const char *msg)
{
    return api_error(call, ERR_INVALID, "MalformedPolicy", "%s", msg);
}

/* Case-insensitive match with '*' and '?', iterative (one backtrack point). */
static bool wild_match_ci(const char *pat, const char *text)
{
    const char *star = NULL, *star_text = NULL;
    while (*text) {
        if (*pat == '*') {
            star = ++pat;
            star_text = text;
        } else if (*pat == '?' ||
                   (*pat && tolower((unsigned char)*pat) == tolower((unsigned char)*text))) {
            pat++;
            text++;
        } else if (star) {
            pat = star;
            text = ++star_text;
        } else {
            return false;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == '\0';
}

/* The kinds of the known actions `pattern` names ("s3:Get*"), 0 when none. */
static unsigned action_kinds(const char *pattern)
{
    if (strcmp(pattern, "*") == 0)
        return ACTION_BUCKET | ACTION_OBJECT | ACTION_OTHER;
    unsigned kinds = 0;
    for (size_t i = 0; i < ARRAY_SIZE(s3_actions); i++)
        if (wild_match_ci(pattern + 3, s3_actions[i].name))
            kinds |= s3_actions[i].kind;
    return kinds;
}

/* "*" or "s3:" followed by letters, digits and wildcards. */
static bool action_valid(const char *s)
{
    if (strcmp(s, "*") == 0)
        return true;
    if (strncasecmp(s, "s3:", 3) != 0 || !s[3])
        return false;
    for (const char *p = s + 3; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '*' && *p != '?')
            return false;
    return true;
}

/* arn:aws:s3:::BUCKET or arn:aws:s3:::BUCKET/...: 1 bucket, 2 object, 0 invalid. */
static int resource_kind(const char *s, const char *bucket)
{
    static const char *const partitions[] = {
        "arn:aws:s3:::", "arn:aws-cn:s3:::", "arn:aws-us-gov:s3:::"};
    for (size_t i = 0; i < ARRAY_SIZE(partitions); i++) {
        size_t n = strlen(partitions[i]);
        if (strncmp(s, partitions[i], n) != 0)
            continue;
        const char *rest = s + n;
        size_t blen = strlen(bucket);
        if (strncmp(rest, bucket, blen) != 0)
            return 0;
        if (rest[blen] == '\0')
            return ACTION_BUCKET;
        return rest[blen] == '/' ? ACTION_OBJECT : 0;
    }
    return 0;
}

/* A string or a non-empty array of strings. */
static int string_list(struct api_call *call, json_t *value, const char *field)
{
    if (json_is_string(value))
        return 0;
    if (!json_is_array(value))
        return malformed(call, MSG_SYNTAX);
    if (json_array_size(value) == 0) {
        char msg[96];
        snprintf(msg, sizeof(msg), "Missing required field %s cannot be empty!", field);
        return malformed(call, msg);
    }
    size_t i;
    json_t *item;
    json_array_foreach(value, i, item)
    {
        if (!json_is_string(item))
            return malformed(call, MSG_SYNTAX);
    }
    return 0;
}

#define LIST_FOREACH(list, i, item)                                                                \
    for ((i) = 0; ((item) = json_is_array(list) ? json_array_get(list, i)                          \
                            : (i) == 0          ? (list)                                           \
                                                : NULL);                                                    \
         (i)++)

/* One of the pair (Principal, NotPrincipal) ...: exactly one must be there. */
static int pair_get(json_t **out, struct api_call *call, json_t *st, const char *name)
{
    char not_name[32];
    snprintf(not_name, sizeof(not_name), "Not%s", name);
    json_t *a = json_object_get(st, name), *b = json_object_get(st, not_name);
    char msg[96];
    if (a && b) {
        snprintf(msg, sizeof(msg), "Statement/policy already has instance of %s", name);
        return malformed(call, msg);
    }
    if (!a && !b) {
        snprintf(msg, sizeof(msg), "Missing required field %s", name);
        return malformed(call, msg);
    }
    *out = a ? a : b;
    return a ? 1 : 0;
}

static bool condition_operator_valid(const char *op)
{
    static const char *const bases[] = {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
    };
    if (strncmp(op, "ForAllValues:", 13) == 0)
        op += 13;
    else if (strncmp(op, "ForAnyValue:", 12) == 0)
        op += 12;
    if (strcmp(op, "Null") == 0)
        return true;
    size_t len = strlen(op);
    if (len > 8 && strcmp(op + len - 8, "IfExists") == 0)
        len -= 8;
    for (size_t i = 0; i < ARRAY_SIZE(bases); i++)
        if (strlen(bases[i]) == len && strncmp(op, bases[i], len) == 0)
            return true;
    return false;
}

static int condition_check(struct api_call *call, json_t *cond)
{
    if (!cond)
        return 0;
    if (!json_is_object(cond))
        return malformed(call, MSG_SYNTAX);
    const char *op;
    json_t *body;
    json_object_foreach(cond, op, body)
    {
        if (!condition_operator_valid(op)) {
            char msg[300];
            snprintf(msg, sizeof(msg), "Invalid Condition type : %.256s", op);
            return malformed(call, msg);
        }
        if (!json_is_object(body))
            return malformed(call, MSG_SYNTAX);
        const char *key;
        json_t *values;
        json_object_foreach(body, key, values)
        {
            size_t i;
            json_t *v;
            if (json_is_array(values) && json_array_size(values) == 0)
                continue;
            LIST_FOREACH(values, i, v)
            {
                if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v))
                    return malformed(call, MSG_SYNTAX);
            }
        }
    }
    return 0;
}

/* The AWS principals must exist: S3 refuses a policy naming an unknown
 * account, user or role. */
static int principal_check(struct api_call *call, json_t *principal)
{
    if (json_is_string(principal))
        return strcmp(json_string_value(principal), "*") == 0 ? 0 : malformed(call, MSG_PRINCIPAL);
    if (!json_is_object(principal) || json_object_size(principal) == 0)
        return malformed(call, MSG_PRINCIPAL);
    const char *type;
    json_t *values;
    json_object_foreach(principal, type, values)
    {
        if (strcmp(type, "AWS") != 0 && strcmp(type, "CanonicalUser") != 0 &&
            strcmp(type, "Service") != 0 && strcmp(type, "Federated") != 0)
            return malformed(call, MSG_PRINCIPAL);
        if (!json_is_string(values) && (!json_is_array(values) || json_array_size(values) == 0))
            return malformed(call, MSG_PRINCIPAL);
        size_t i;
        json_t *v;
        LIST_FOREACH(values, i, v)
        {
            if (!json_is_string(v))
                return malformed(call, MSG_PRINCIPAL);
            const char *s = json_string_value(v);
            if (strcmp(type, "AWS") == 0 && strcmp(s, "*") != 0 &&
                !iam_principal_exists(call->store, s))
                return malformed(call, MSG_PRINCIPAL);
        }
    }
    return 0;
}

static int statement_check(struct api_call *call, json_t *st, const char *bucket)
{
    static const char *const fields[] = {"Sid",          "Effect",      "Principal",
                                         "NotPrincipal", "Action",      "NotAction",
                                         "Resource",     "NotResource", "Condition"};
    if (!json_is_object(st))
        return malformed(call, MSG_SYNTAX);
    const char *name;
    json_t *value;
    json_object_foreach(st, name, value)
    {
        bool known = false;
        for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
            known |= strcmp(name, fields[i]) == 0;
        if (!known) {
            char msg[300];
            snprintf(msg, sizeof(msg), "Unknown field %.256s", name);
            return malformed(call, msg);
        }
    }
    json_t *sid = json_object_get(st, "Sid");
    if (sid && !json_is_string(sid))
        return malformed(call, MSG_SYNTAX);
    json_t *effect = json_object_get(st, "Effect");
    if (!effect)
        return malformed(call, "Missing required field Effect");
    const char *e = json_string_value(effect);
    if (!e || (strcmp(e, "Allow") != 0 && strcmp(e, "Deny") != 0)) {
        char msg[300];
        char *text = json_dumps(effect, JSON_ENCODE_ANY);
        snprintf(msg, sizeof(msg), "Invalid effect: %.256s", e ? e : text ? text : "");
        free(text);
        return malformed(call, msg);
    }

    json_t *principal, *actions, *resources;
    int rc, has_action, has_resource;
    if ((rc = pair_get(&principal, call, st, "Principal")) < 0 ||
        (rc = principal_check(call, principal)) < 0)
        return rc;
    if ((has_action = pair_get(&actions, call, st, "Action")) < 0)
        return has_action;
    if ((rc = string_list(call, actions, "Action")) < 0)
        return rc;
    if ((has_resource = pair_get(&resources, call, st, "Resource")) < 0)
        return has_resource;
    if ((rc = string_list(call, resources, "Resource")) < 0)
        return rc;
    if ((rc = condition_check(call, json_object_get(st, "Condition"))) < 0)
        return rc;

    size_t i;
    json_t *item;
    LIST_FOREACH(actions, i, item)
    {
        if (!action_valid(json_string_value(item)))
            return malformed(call, MSG_ACTION);
    }
    unsigned resource_kinds = 0;
    LIST_FOREACH(resources, i, item)
    {
        int kind = resource_kind(json_string_value(item), bucket);
        if (!kind)
            return malformed(call, MSG_RESOURCE);
        resource_kinds |= (unsigned)kind;
    }
    /* NotAction and NotResource are not checked for kinds, as on S3. */
    if (!has_action || !has_resource)
        return 0;
    LIST_FOREACH(actions, i, item)
    {
        unsigned kinds = action_kinds(json_string_value(item));
        if (kinds && !(kinds & ACTION_OTHER) && !(kinds & resource_kinds))
            return malformed(call, MSG_ACTION_NO_KIND);
    }
    return 0;
}

/* jansson names a duplicate key in its message: duplicate object key near '"Version"'. */
static int duplicate_key_error(struct api_call *call, const char *jerr_text)
{
    const char *open = strstr(jerr_text, "'\"");
    const char *close = open ? strstr(open + 2, "\"'") : NULL;
    char msg[300];
    snprintf(msg, sizeof(msg), "Statement/policy already has instance of %.*s",
             open && close ? (int)(close - open - 2) : 0, open && close ? open + 2 : "");
    return malformed(call, msg);
}

static int document_check(struct api_call *call, const char *bucket, const char *text, size_t len)
{
    if (len > S3_POLICY_MAX)
        return malformed(call, "Policy exceeds the maximum allowed document size.");
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        return strstr(jerr.text, "duplicate object key") ? duplicate_key_error(call, jerr.text)
                                                         : malformed(call, MSG_NOT_JSON);
    int rc = 0;
    if (!json_is_object(doc)) {
        rc = malformed(call, MSG_NOT_JSON);
        goto done;
    }
    const char *name;
    json_t *value;
    json_object_foreach(doc, name, value)
    {
        if (strcmp(name, "Version") != 0 && strcmp(name, "Id") != 0 &&
            strcmp(name, "Statement") != 0) {
            char msg[300];
            snprintf(msg, sizeof(msg), "Unknown field %.256s", name);
            rc = malformed(call, msg);
            goto done;
        }
    }
    json_t *version = json_object_get(doc, "Version");
    if (version &&
        (!json_is_string(version) || (strcmp(json_string_value(version), "2012-10-17") != 0 &&
                                      strcmp(json_string_value(version), "2008-10-17") != 0))) {
        rc = malformed(call, "The policy must contain a valid version string");
        goto done;
    }
    json_t *id = json_object_get(doc, "Id");
    if (id && !json_is_string(id)) {
        rc = malformed(call, MSG_SYNTAX);
        goto done;
    }
    json_t *statements = json_object_get(doc, "Statement");
    if (!statements) {
        rc = malformed(call, "Missing required field Statement");
        goto done;
    }
    if (json_is_array(statements) && json_array_size(statements) == 0) {
        rc = malformed(call, "Could not parse the policy: Statement is empty!");
        goto done;
    }
    size_t i;
    json_t *st;
    LIST_FOREACH(statements, i, st)
    {
        if ((rc = statement_check(call, st, bucket)) < 0)
            goto done;
    }
done:
    json_decref(doc);
    return rc;
}

/*
 * The policy engine has the last word: a document it would not compile is
 * refused, so every stored policy is enforced as written.
 */
static int engine_check(struct api_call *call, const char *text, size_t len)
{
    struct policy_options opts = {.kind = POLICY_KIND_RESOURCE};
    int rc = policy_check(text, len, &opts);
    if (rc == 0)
        return 0;
    if (rc == ERR_LIMIT)
        return malformed(call, "Policy exceeds the maximum allowed document size.");
    if (rc != ERR_INVALID)
        return rc;
    if (strncmp(err_msg(), "Invalid principal in policy", 27) == 0)
        return malformed(call, MSG_PRINCIPAL);
    if (strstr(err_msg(), "ction"))
        return malformed(call, MSG_ACTION);
    if (strstr(err_msg(), "esource"))
        return malformed(call, MSG_RESOURCE);
    return malformed(call, MSG_SYNTAX);
}

static int policy_change(struct api_call *call, json_t *doc, void *ctx)
{
    (void)call;
    if (ctx)
        json_object_set_new(doc, "Policy", json_string(ctx));
    else
        json_object_del(doc, "Policy");
    return 0;
}

int s3_put_bucket_policy(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *bucket = s3_bucket_str(in, "Bucket");
    json_t *doc;
    int rc = s3_bucket_access(&doc, call, in, "s3:PutBucketPolicy");
    if (rc < 0)
        return rc;
    json_decref(doc);
    json_t *policy = json_object_get(in, "Policy");
    const char *text = json_string_value(policy);
    size_t len = json_string_length(policy);
    if (!text || memchr(text, '\0', len))
        return malformed(call, MSG_NOT_JSON);
    if ((rc = document_check(call, bucket, text, len)) < 0 ||
        (rc = engine_check(call, text, len)) < 0)
        return rc;
    return s3_bucket_update(call, bucket, policy_change, (void *)text);
}

int s3_get_bucket_policy(struct api_call *call, json_t *in, json_t **out)
{
    json_t *doc;
    int rc = s3_bucket_access(&doc, call, in, "s3:GetBucketPolicy");
    if (rc < 0)
        return rc;
    json_t *policy = json_object_get(doc, "Policy");
    if (!policy)
        rc = api_error(call, ERR_NOT_FOUND, "NoSuchBucketPolicy",
                       "The bucket policy does not exist");
    else
        *out = json_pack("{s:O}", "Policy", policy);
    json_decref(doc);
    return rc;
}

int s3_delete_bucket_policy(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc;
    int rc = s3_bucket_access(&doc, call, in, "s3:DeleteBucketPolicy");
    if (rc < 0)
        return rc;
    json_decref(doc);
    return s3_bucket_update(call, s3_bucket_str(in, "Bucket"), policy_change, NULL);
}
