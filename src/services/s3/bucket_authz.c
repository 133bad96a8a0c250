#include "base/common.h"
#include "services/s3/s3_internal.h"
#include "aws/protocol.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/err.h"

/*
 * S3's authorization: every request asks the policy engine about
 * "s3:<Action>" on arn:aws:s3:::BUCKET or arn:aws:s3:::BUCKET/KEY, with the
 * bucket policy as the resource policy and the bucket owner as the
 * resource's account.
 */

/* Condition keys one request supplies at most, besides the operation's own. */
#define S3_BASE_CONDITIONS 4
#define S3_CONDITIONS_MAX  64

static const char *doc_str(const json_t *doc, const char *name)
{
    json_t *v = json_object_get(doc, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A presigned URL carries its signature in the query. */
static bool presigned(const struct aws_request *http)
{
    if (!http || !http->query)
        return false;
    for (const char *p = http->query; (p = strstr(p, "X-Amz-Signature=")) != NULL; p++)
        if (p == http->query || p[-1] == '&')
            return true;
    return false;
}

/*
 * The owner's root may always read, write and delete its bucket's policy,
 * whatever the policy says, so that no policy can lock the owner out.
 */
static bool owner_root_policy_action(const struct api_call *call, const char *action,
                                     const char *owner)
{
    return call->principal->type == PRINCIPAL_ROOT && owner &&
           strcmp(call->principal->account_id, owner) == 0 &&
           (strcmp(action, "s3:GetBucketPolicy") == 0 ||
            strcmp(action, "s3:PutBucketPolicy") == 0 ||
            strcmp(action, "s3:DeleteBucketPolicy") == 0);
}

int s3_authorize_request(struct api_call *call, const char *action, const char *bucket,
                         const char *key, const json_t *bucket_doc,
                         const struct api_condition *conditions, size_t condition_count)
{
    if (condition_count > S3_CONDITIONS_MAX - S3_BASE_CONDITIONS)
        return err_set(ERR_LIMIT, "too many condition keys for '%s'", action);
    struct buf arn = BUF_INIT;
    buf_addf(&arn, "arn:aws:s3:::%s", bucket);
    if (key)
        buf_addf(&arn, "/%s", key);

    const char *owner = bucket_doc ? doc_str(bucket_doc, "Owner") : NULL;
    const char *policy = bucket_doc ? doc_str(bucket_doc, "Policy") : NULL;
    if (owner_root_policy_action(call, action, owner))
        policy = NULL;

    /* Equal ids, equal texts: the bucket's name and a digest of the text. */
    char policy_id[STORE_NAME_MAX + 40] = "";
    if (policy) {
        uint8_t digest[SHA256_LEN];
        char hex[2 * SHA256_LEN + 1];
        sha256(digest, policy, strlen(policy));
        hex_encode(hex, digest, 8);
        snprintf(policy_id, sizeof(policy_id), "s3:%s#%s", bucket, hex);
    }

    struct api_condition conds[S3_CONDITIONS_MAX];
    size_t n = 0;
    conds[n++] = (struct api_condition){"s3:authType", presigned(call->http) ? "REST-QUERY-STRING"
                                                                             : "REST-HEADER"};
    conds[n++] = (struct api_condition){"s3:signatureversion", "AWS4-HMAC-SHA256"};
    const struct header_field *sha =
        call->http ? aws_request_header(call->http, "x-amz-content-sha256") : NULL;
    /* Header values are not NUL-terminated; this one is a digest or a
     * short keyword such as UNSIGNED-PAYLOAD. */
    char sha_value[128];
    if (sha && sha->value_len < sizeof(sha_value)) {
        memcpy(sha_value, sha->value, sha->value_len);
        sha_value[sha->value_len] = '\0';
        conds[n++] = (struct api_condition){"s3:x-amz-content-sha256", sha_value};
    }
    if (owner)
        conds[n++] = (struct api_condition){"s3:ResourceAccount", owner};
    for (size_t i = 0; i < condition_count; i++)
        conds[n++] = conditions[i];

    struct api_authz req = {
        .action = action,
        .resource = arn.data,
        .resource_account = owner && strcmp(owner, call->account_id) != 0 ? owner : NULL,
        .resource_policy = policy,
        .resource_policy_id = policy ? policy_id : NULL,
        .conditions = conds,
        .condition_count = n,
    };
    int rc = api_authorize_request(call, &req);
    buf_release(&arn);
    return rc;
}

int s3_authorize(struct api_call *call, const char *action, const char *bucket, const char *key,
                 const json_t *bucket_doc)
{
    return s3_authorize_request(call, action, bucket, key, bucket_doc, NULL, 0);
}
