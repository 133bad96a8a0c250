#include "base/common.h"
#include "services/s3/s3_object.h"
#include "base/crypto.h"
#include "base/err.h"

/*
 * CopyObject. Blobs are content-addressed, so a whole-object copy stores
 * nothing new: the copy is a version naming the same digest (one more
 * reference). Bytes are read only when something about them must be
 * computed: the MD5 ETag of a source that was a multipart upload, or a
 * checksum the source does not carry.
 */

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/*
 * The "copy onto itself" rule: S3 refuses a copy of a key onto itself
 * that changes nothing (metadata copied, same storage class, no website
 * redirect, no encryption change); copying an older version by id is how
 * versions are restored, and is allowed.
 */
static int self_copy_check(struct api_call *call, const json_t *in,
                           const struct s3_copy_source *src, const char *bucket, const char *key,
                           const char *directive, const json_t *source)
{
    if (!str_eq(src->bucket, bucket) || !str_eq(src->key, key) || src->version_id)
        return 0;
    const char *sc = s3_str(in, "StorageClass");
    if (strcmp(directive, "REPLACE") == 0 ||
        (sc && !str_eq(sc, s3_str(source, "StorageClass") ?: "STANDARD")) ||
        s3_str(in, "WebsiteRedirectLocation") || s3_str(in, "ServerSideEncryption") ||
        s3_str(in, "SSEKMSKeyId") || s3_str(in, "ChecksumAlgorithm"))
        return 0;
    return api_error(call, ERR_INVALID, "InvalidRequest",
                     "This copy request is illegal because it is trying to copy an object to "
                     "itself without changing the object's metadata, storage class, website "
                     "redirect location or encryption attributes.");
}

static int directive_get(const char **out, struct api_call *call, const json_t *in,
                         const char *member, const char *header)
{
    const char *d = s3_str(in, member) ?: "COPY";
    if (strcmp(d, "COPY") != 0 && strcmp(d, "REPLACE") != 0)
        return api_error(call, ERR_INVALID, "InvalidArgument", "Unknown %s directive.", header);
    *out = d;
    return 0;
}

/*
 * The ETag and checksum of the copy: the source's when they describe the
 * bytes as a whole, else computed from the blob (one streamed read).
 */
static int copy_digests(json_t *version, struct api_call *call, const json_t *source,
                        enum checksum_algorithm requested)
{
    const json_t *ck = json_object_get(source, "Checksum");
    const char *ck_alg = s3_str(ck, "Algorithm"), *ck_type = s3_str(ck, "Type");
    enum checksum_algorithm src_alg = 0;
    if (ck_alg && checksum_from_name(&src_alg, ck_alg, strlen(ck_alg)) < 0)
        src_alg = 0;
    bool full = str_eq(ck_type, "FULL_OBJECT");
    enum checksum_algorithm want = requested ? requested : src_alg;
    bool need_md5 = json_object_get(source, "PartsCount") != NULL;
    bool need_ck = want && !(full && want == src_alg);

    if (!need_md5)
        json_object_set(version, "ETag", json_object_get(source, "ETag"));
    if (want && !need_ck)
        json_object_set_new(version, "Checksum", json_deep_copy(ck));
    if (!need_md5 && !need_ck)
        return 0;

    unsigned algs = (need_md5 ? CHECKSUM_MD5 : 0) | (need_ck ? want : 0);
    struct checksum_set *set = checksum_set_new(algs);
    int rc = s3_blob_checksum(set, call, s3_str(source, "Digest"), 0,
                              (uint64_t)json_integer_value(json_object_get(source, "Size")));
    if (rc == 0 && need_md5) {
        uint8_t raw[CHECKSUM_MAX_LEN];
        char hex[2 * MD5_LEN + 1];
        checksum_set_digest(set, CHECKSUM_MD5, raw);
        hex_encode(hex, raw, MD5_LEN);
        json_object_set_new(version, "ETag", json_sprintf("\"%s\"", hex));
    }
    if (rc == 0 && need_ck) {
        struct buf b64 = BUF_INIT;
        checksum_set_base64(&b64, set, want);
        json_object_set_new(version, "Checksum",
                            json_pack("{s:s, s:s, s:s}", "Algorithm", checksum_name(want), "Value",
                                      b64.data, "Type", "FULL_OBJECT"));
        buf_release(&b64);
    }
    checksum_set_free(set);
    return rc;
}

int s3_copy_object(struct api_call *call, json_t *in, json_t **out)
{
    const char *bucket = s3_str(in, "Bucket"), *key, *directive, *tagging_directive;
    struct s3_copy_source src = {0};
    json_t *bucket_doc = NULL, *src_bucket = NULL, *source = NULL, *version = NULL;
    json_t *tags = NULL, *stored = NULL;
    enum checksum_algorithm requested = 0;
    int rc = s3_key_get(&key, call, in);
    if (rc == 0)
        rc = s3_copy_source_parse(&src, call, s3_str(in, "CopySource") ?: "");
    if (rc == 0)
        rc = directive_get(&directive, call, in, "MetadataDirective", "metadata");
    if (rc == 0)
        rc = directive_get(&tagging_directive, call, in, "TaggingDirective", "tagging");
    if (rc == 0 && s3_str(in, "ChecksumAlgorithm")) {
        const char *name = s3_str(in, "ChecksumAlgorithm");
        if (checksum_from_name(&requested, name, strlen(name)) < 0 || !(requested & S3_CHECKSUMS))
            rc = api_error(call, ERR_UNSUPPORTED, "NotImplemented",
                           "slipway does not compute the checksum '%s'", name);
    }
    if (rc == 0)
        rc = s3_object_bucket_get(&bucket_doc, call, in);
    struct api_condition conds[] = {
        {"s3:x-amz-copy-source", s3_str(in, "CopySource")},
        {"s3:x-amz-metadata-directive", s3_str(in, "MetadataDirective")},
    };
    if (rc == 0)
        rc = s3_authorize_request(call, "s3:PutObject", bucket, key, bucket_doc, conds,
                                  conds[1].value ? 2 : 1);
    if (rc == 0)
        rc = s3_copy_source_resolve(&src_bucket, &source, call, &src, in);
    if (rc == 0)
        rc = self_copy_check(call, in, &src, bucket, key, directive, source);

    if (rc == 0 && strcmp(tagging_directive, "REPLACE") == 0 && s3_str(in, "Tagging"))
        rc = s3_tagging_parse(&tags, call, s3_str(in, "Tagging"));
    else if (rc == 0 && strcmp(tagging_directive, "COPY") == 0 &&
             json_object_size(json_object_get(source, "Tags"))) {
        rc = s3_authorize(call,
                          src.version_id ? "s3:GetObjectVersionTagging" : "s3:GetObjectTagging",
                          src.bucket, src.key, src_bucket);
        tags = json_incref(json_object_get(source, "Tags"));
    }
    if (rc == 0 && json_object_size(tags))
        rc = s3_authorize(call, "s3:PutObjectTagging", bucket, key, bucket_doc);

    if (rc == 0) {
        version =
            json_pack("{s:s, s:I, s:s, s:O, s:O, s:s}", "VersionId", "", "LastModified",
                      (json_int_t)call->now_ms, "Owner", call->account_id, "Size",
                      json_object_get(source, "Size"), "Digest", json_object_get(source, "Digest"),
                      "StorageClass", s3_str(in, "StorageClass") ?: "STANDARD");
        if (strcmp(directive, "COPY") == 0) {
            for (size_t i = 0; s3_content_members[i]; i++) {
                json_t *v = json_object_get(source, s3_content_members[i]);
                if (v && strcmp(s3_content_members[i], "WebsiteRedirectLocation") != 0)
                    json_object_set(version, s3_content_members[i], v);
            }
            if (json_object_get(source, "Metadata"))
                json_object_set(version, "Metadata", json_object_get(source, "Metadata"));
            if (s3_str(in, "WebsiteRedirectLocation"))
                json_object_set(version, "WebsiteRedirectLocation",
                                json_object_get(in, "WebsiteRedirectLocation"));
        } else {
            rc = s3_version_set_content(call, version, in);
        }
    }
    if (rc == 0 && json_object_size(tags))
        json_object_set(version, "Tags", tags);
    if (rc == 0)
        rc = copy_digests(version, call, source, requested);
    if (rc == 0)
        rc = s3_object_record(&stored, call, bucket, key, version, in, "CopyObject");
    if (rc == 0) {
        json_t *result = json_pack("{s:O, s:O}", "ETag", json_object_get(stored, "ETag"),
                                   "LastModified", json_object_get(stored, "LastModified"));
        s3_checksum_out(result, json_object_get(stored, "Checksum"), true);
        json_t *o = json_pack("{s:o}", "CopyObjectResult", result);
        const char *versioning = s3_bucket_versioning(bucket_doc);
        if (versioning && strcmp(versioning, "Enabled") == 0)
            json_object_set(o, "VersionId", json_object_get(stored, "VersionId"));
        if (s3_bucket_versioning(src_bucket))
            json_object_set(o, "CopySourceVersionId", json_object_get(source, "VersionId"));
        *out = o;
    }
    json_decref(stored);
    json_decref(tags);
    json_decref(version);
    json_decref(source);
    json_decref(src_bucket);
    json_decref(bucket_doc);
    s3_copy_source_release(&src);
    return rc;
}
