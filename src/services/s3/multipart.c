#include "base/common.h"
#include "services/s3/s3_object.h"
#include "aws/proto_rest.h"
#include "base/alloc.h"
#include "base/crypto.h"
#include "base/err.h"
#include "services/common/record.h"
#include "store/blob.h"

/*
 * Multipart uploads. An upload is a record; each part a record of its own
 * ("<upload id>/<part number>") holding a reference on its blob, so parts
 * are added without rewriting the upload. CompleteMultipartUpload streams
 * the listed parts into one new blob, then in one transaction records the
 * object version and drops the upload with every part: a crash leaves
 * either the upload or the object.
 */

static const char upload_id_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";

static void upload_id_new(char out[S3_UPLOAD_ID_LEN + 1])
{
    uint8_t raw[S3_UPLOAD_ID_LEN];
    random_bytes(raw, sizeof(raw));
    for (size_t i = 0; i < S3_UPLOAD_ID_LEN; i++)
        out[i] = upload_id_chars[raw[i] % 64];
    out[S3_UPLOAD_ID_LEN] = '\0';
}

static bool upload_id_valid(const char *id)
{
    size_t len = strlen(id);
    return len > 0 && len <= S3_UPLOAD_ID_LEN && strspn(id, upload_id_chars) == len;
}

static void part_name(char *out, size_t size, const char *upload_id, int64_t number)
{
    snprintf(out, size, "%s/%05" PRId64, upload_id, number);
}

static int no_such_upload(struct api_call *call)
{
    return api_error(call, ERR_NOT_FOUND, "NoSuchUpload",
                     "The specified upload does not exist. The upload ID may be invalid, or the "
                     "upload may have been aborted or completed.");
}

/* The upload `in` names (UploadId, for its Key), in `tx` or on its own. */
static int upload_get(json_t **upload_out, int64_t *version_out, struct api_call *call,
                      struct store_tx *tx, const json_t *in, const char *key)
{
    const char *id = s3_str(in, "UploadId");
    if (!id || !upload_id_valid(id))
        return no_such_upload(call);
    json_t *upload;
    int rc =
        record_get(&upload, version_out, call->store, tx, S3_KIND_UPLOAD, s3_str(in, "Bucket"), id);
    if (rc == ERR_NOT_FOUND)
        return no_such_upload(call);
    if (rc < 0)
        return rc;
    if (strcmp(s3_str(upload, "Key") ?: "", key) != 0) {
        json_decref(upload);
        return no_such_upload(call);
    }
    *upload_out = upload;
    return 0;
}

static enum checksum_algorithm upload_algorithm(const json_t *upload)
{
    const char *name = s3_str(upload, "ChecksumAlgorithm");
    enum checksum_algorithm a;
    if (!name || checksum_from_name(&a, name, strlen(name)) < 0)
        return 0;
    return a;
}

static void lower(char *out, size_t size, const char *s)
{
    snprintf(out, size, "%s", s);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
}

/* Initiator {ID, DisplayName} from the caller's ARN. */
static json_t *initiator_of(const json_t *upload)
{
    const char *arn = s3_str(upload, "Initiator") ?: "";
    const char *slash = strrchr(arn, '/');
    const char *colon = strrchr(arn, ':');
    const char *name = slash ? slash + 1 : colon ? colon + 1 : arn;
    return json_pack("{s:s, s:s}", "ID", arn, "DisplayName", name);
}

int s3_upload_abort_tx(struct store *st, struct store_tx *tx, const char *bucket,
                       const char *upload_id)
{
    if (!upload_id_valid(upload_id))
        return err_set(ERR_NOT_FOUND, "no upload '%s'", upload_id);
    int rc = store_doc_delete(st, tx, S3_KIND_UPLOAD, bucket, upload_id, 0);
    if (rc < 0)
        return rc;
    _cleanup_free_ char *prefix = xasprintf("%s/", upload_id);
    char *after = NULL;
    for (;;) {
        struct store_doc_page page = {0};
        struct store_doc_query q = {
            .kind = S3_KIND_PART, .scope = bucket, .prefix = prefix, .after = after};
        if ((rc = store_doc_list(&page, st, tx, &q)) < 0)
            break;
        for (size_t i = 0; rc == 0 && i < page.len; i++) {
            json_error_t jerr;
            json_t *part = json_loadb(page.items[i].body, page.items[i].body_len, 0, &jerr);
            const char *digest = s3_str(part, "Digest");
            if (digest)
                rc = s3_blob_unref(st, tx, digest);
            json_decref(part);
        }
        bool more = page.more;
        if (rc == 0 && page.len) {
            free(after);
            after = xstrdup(page.items[page.len - 1].name);
        }
        store_doc_page_release(&page);
        if (rc < 0 || !more)
            break;
    }
    free(after);
    if (rc == 0) {
        size_t count;
        rc = store_doc_delete_prefix(&count, st, tx, S3_KIND_PART, bucket, prefix);
    }
    return rc;
}

/* --- CreateMultipartUpload ------------------------------------------------------ */

/* ChecksumAlgorithm and ChecksumType as S3 pairs them. */
static int checksum_mode(const char **type_out, struct api_call *call, const json_t *in,
                         enum checksum_algorithm *alg_out)
{
    const char *name = s3_str(in, "ChecksumAlgorithm"), *type = s3_str(in, "ChecksumType");
    *alg_out = 0;
    *type_out = NULL;
    if (!name) {
        if (type)
            return api_error(call, ERR_INVALID, "InvalidRequest",
                             "The x-amz-checksum-type header can only be used with the "
                             "x-amz-checksum-algorithm header.");
        return 0;
    }
    enum checksum_algorithm a;
    if (checksum_from_name(&a, name, strlen(name)) < 0 || !(a & S3_CHECKSUMS))
        return api_error(call, ERR_UNSUPPORTED, "NotImplemented",
                         "slipway does not compute the checksum '%s'; use CRC32, CRC32C, "
                         "CRC64NVME, SHA1 or SHA256",
                         name);
    char lname[16];
    lower(lname, sizeof(lname), checksum_name(a));
    if (!type)
        type = a == CHECKSUM_CRC64NVME ? "FULL_OBJECT" : "COMPOSITE";
    if (strcmp(type, "COMPOSITE") == 0 && a == CHECKSUM_CRC64NVME)
        return api_error(call, ERR_INVALID, "InvalidRequest",
                         "The COMPOSITE checksum type cannot be used with the %s checksum "
                         "algorithm.",
                         lname);
    if (strcmp(type, "FULL_OBJECT") == 0 && (a == CHECKSUM_SHA1 || a == CHECKSUM_SHA256))
        return api_error(call, ERR_INVALID, "InvalidRequest",
                         "The FULL_OBJECT checksum type cannot be used with the %s checksum "
                         "algorithm.",
                         lname);
    *alg_out = a;
    *type_out = type;
    return 0;
}

int s3_create_multipart_upload(struct api_call *call, json_t *in, json_t **out)
{
    const char *bucket = s3_str(in, "Bucket"), *key, *type = NULL;
    enum checksum_algorithm alg = 0;
    json_t *bucket_doc = NULL, *tags = NULL, *upload = NULL;
    int rc = s3_key_get(&key, call, in);
    if (rc == 0)
        rc = s3_object_bucket_get(&bucket_doc, call, in);
    if (rc == 0)
        rc = s3_authorize(call, "s3:PutObject", bucket, key, bucket_doc);
    if (rc == 0 && s3_str(in, "Tagging")) {
        rc = s3_tagging_parse(&tags, call, s3_str(in, "Tagging"));
        if (rc == 0 && json_object_size(tags))
            rc = s3_authorize(call, "s3:PutObjectTagging", bucket, key, bucket_doc);
    }
    if (rc == 0)
        rc = checksum_mode(&type, call, in, &alg);
    char id[S3_UPLOAD_ID_LEN + 1];
    upload_id_new(id);
    if (rc == 0) {
        upload = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "UploadId", id, "Key", key,
                           "Initiated", (json_int_t)call->now_ms, "Owner", call->account_id,
                           "Initiator", call->principal->arn, "StorageClass",
                           s3_str(in, "StorageClass") ?: "STANDARD");
        rc = s3_version_set_content(call, upload, in);
    }
    if (rc == 0 && json_object_size(tags))
        json_object_set(upload, "Tags", tags);
    if (rc == 0 && alg) {
        json_object_set_new(upload, "ChecksumAlgorithm", json_string(checksum_name(alg)));
        json_object_set_new(upload, "ChecksumType", json_string(type));
    }
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if (rc == 0)
        rc = store_tx_begin(&tx, call->store);
    if (rc == 0) {
        json_decref(bucket_doc);
        bucket_doc = NULL;
        rc = s3_bucket_get(&bucket_doc, NULL, call, tx, bucket);
    }
    size_t count = 0;
    if (rc == 0)
        rc = store_doc_count(&count, call->store, tx, S3_KIND_UPLOAD, bucket, NULL);
    if (rc == 0 && count >= S3_UPLOADS_MAX)
        rc = s3_fail(call, ERR_LIMIT, "SlowDown",
                     "Please reduce your request rate: the bucket has %d multipart uploads in "
                     "progress, slipway's limit; complete or abort some first",
                     S3_UPLOADS_MAX);
    if (rc == 0)
        rc = record_insert(call->store, tx, S3_KIND_UPLOAD, bucket, id, upload);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "Bucket", bucket, "Key", key, "UploadId", id);
        if (alg) {
            json_object_set_new(o, "ChecksumAlgorithm", json_string(checksum_name(alg)));
            json_object_set_new(o, "ChecksumType", json_string(type));
        }
        *out = o;
    }
    json_decref(upload);
    json_decref(tags);
    json_decref(bucket_doc);
    return rc;
}

/* --- UploadPart / UploadPartCopy ---------------------------------------------------- */

static int part_number_get(int64_t *out, struct api_call *call, const json_t *in)
{
    json_t *v = json_object_get(in, "PartNumber");
    int64_t n = v ? json_integer_value(v) : 0;
    if (n < 1 || n > S3_PART_NUMBER_MAX)
        return api_error(call, ERR_INVALID, "InvalidArgument",
                         "Part number must be an integer between 1 and 10000, inclusive");
    *out = n;
    return 0;
}

/* Bucket, key, authorization, upload, part number: what a part request starts with. */
static int part_start(json_t **bucket_doc_out, json_t **upload_out, const char **key_out,
                      int64_t *number_out, struct api_call *call, const json_t *in)
{
    const char *bucket = s3_str(in, "Bucket");
    int rc = s3_key_get(key_out, call, in);
    if (rc == 0)
        rc = s3_object_bucket_get(bucket_doc_out, call, in);
    if (rc == 0)
        rc = s3_authorize(call, "s3:PutObject", bucket, *key_out, *bucket_doc_out);
    if (rc == 0)
        rc = part_number_get(number_out, call, in);
    if (rc == 0)
        rc = upload_get(upload_out, NULL, call, NULL, in, *key_out);
    return rc;
}

/*
 * Stores a part record naming `digest` (committed already): in one
 * transaction, the upload re-checked, the blob held, a part it replaces
 * dropped.
 */
static int part_record(struct api_call *call, const json_t *in, const char *key, json_t *part)
{
    const char *bucket = s3_str(in, "Bucket");
    char name[S3_UPLOAD_ID_LEN + 16];
    part_name(name, sizeof(name), s3_str(in, "UploadId"),
              json_integer_value(json_object_get(part, "PartNumber")));
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *upload = NULL, *old = NULL;
    int rc = store_tx_begin(&tx, call->store);
    if (rc == 0)
        rc = upload_get(&upload, NULL, call, tx, in, key);
    if (rc == 0)
        rc = s3_blob_hold(call, tx, s3_str(part, "Digest"));
    if (rc == 0) {
        rc = record_get(&old, NULL, call->store, tx, S3_KIND_PART, bucket, name);
        if (rc == 0)
            rc = s3_blob_unref(call->store, tx, s3_str(old, "Digest") ?: "");
        else if (rc == ERR_NOT_FOUND)
            rc = 0;
    }
    if (rc == 0)
        rc = record_upsert(call->store, tx, S3_KIND_PART, bucket, name, part);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    json_decref(old);
    json_decref(upload);
    return rc;
}

static json_t *part_new(int64_t number, int64_t now_ms, const uint8_t md5_raw[MD5_LEN],
                        uint64_t size, const char *digest, json_t *checksum)
{
    char hex[2 * MD5_LEN + 1];
    hex_encode(hex, md5_raw, MD5_LEN);
    json_t *part =
        json_pack("{s:I, s:I, s:o, s:I, s:s}", "PartNumber", (json_int_t)number, "LastModified",
                  (json_int_t)now_ms, "ETag", json_sprintf("\"%s\"", hex), "Size", (json_int_t)size,
                  "Digest", digest);
    if (checksum)
        json_object_set(part, "Checksum", checksum);
    return part;
}

int s3_upload_part(struct api_call *call, json_t *in, json_t **out)
{
    const char *key;
    int64_t number = 0;
    json_t *bucket_doc = NULL, *upload = NULL, *checksum = NULL, *part = NULL;
    struct api_upload owned, *body = NULL;
    bool owns = false, committed = false;
    int rc = part_start(&bucket_doc, &upload, &key, &number, call, in);
    if (rc == 0 && (rc = s3_upload_get(&body, &owned, call, in)) == 0)
        owns = body == &owned;
    if (rc == 0)
        rc = s3_upload_verify(&checksum, call, in, body, upload_algorithm(upload));
    if (rc == 0) {
        rc = s3_upload_commit(call, body);
        committed = rc == 0;
    }
    if (rc == 0) {
        part = part_new(number, call->now_ms, body->md5, body->size, body->digest, checksum);
        rc = part_record(call, in, key, part);
    }
    if (rc < 0 && committed)
        s3_blob_forget(call->store, body->digest);
    if (rc == 0) {
        json_t *o = json_pack("{s:O}", "ETag", json_object_get(part, "ETag"));
        s3_checksum_out(o, checksum, false);
        *out = o;
    }
    if (owns)
        s3_upload_release(&owned);
    json_decref(part);
    json_decref(checksum);
    json_decref(upload);
    json_decref(bucket_doc);
    return rc;
}

int s3_upload_part_copy(struct api_call *call, json_t *in, json_t **out)
{
    const char *key;
    int64_t number = 0;
    struct s3_copy_source src = {0};
    json_t *bucket_doc = NULL, *upload = NULL, *src_bucket = NULL, *source = NULL, *part = NULL;
    json_t *checksum = NULL;
    int rc = part_start(&bucket_doc, &upload, &key, &number, call, in);
    if (rc == 0)
        rc = s3_copy_source_parse(&src, call, s3_str(in, "CopySource") ?: "");
    if (rc == 0)
        rc = s3_copy_source_resolve(&src_bucket, &source, call, &src, in);
    uint64_t size = (uint64_t)json_integer_value(json_object_get(source, "Size"));
    uint64_t first = 0, last = size ? size - 1 : 0;
    const char *range = s3_str(in, "CopySourceRange");
    if (rc == 0 && range)
        rc = s3_copy_range_parse(&first, &last, call, range, size);
    uint64_t length = size ? last - first + 1 : 0;
    if (rc == 0 && length > BLOB_SIZE_MAX)
        rc = api_error(call, ERR_INVALID, "EntityTooLarge",
                       "Your proposed upload exceeds the maximum allowed size");

    enum checksum_algorithm alg = upload_algorithm(upload);
    char digest[BLOB_DIGEST_LEN + 1] = "";
    bool copied = false;
    if (rc == 0) {
        struct checksum_set *set = checksum_set_new(CHECKSUM_MD5 | alg);
        if (first == 0 && length == size) {
            /* The whole object: same bytes, same blob; read only to hash. */
            rc = s3_blob_checksum(set, call, s3_str(source, "Digest"), 0, size);
            snprintf(digest, sizeof(digest), "%s", s3_str(source, "Digest"));
        } else {
            rc = s3_blob_copy_range(digest, set, call, s3_str(source, "Digest"), first, length);
            copied = rc == 0;
        }
        if (rc == 0) {
            uint8_t raw[CHECKSUM_MAX_LEN];
            checksum_set_digest(set, CHECKSUM_MD5, raw);
            if (alg) {
                struct buf b64 = BUF_INIT;
                checksum_set_base64(&b64, set, alg);
                checksum =
                    json_pack("{s:s, s:s}", "Algorithm", checksum_name(alg), "Value", b64.data);
                buf_release(&b64);
            }
            part = part_new(number, call->now_ms, raw, length, digest, checksum);
        }
        checksum_set_free(set);
    }
    if (rc == 0)
        rc = part_record(call, in, key, part);
    if (rc < 0 && copied)
        s3_blob_forget(call->store, digest);
    if (rc == 0) {
        json_t *result = json_pack("{s:O, s:O}", "ETag", json_object_get(part, "ETag"),
                                   "LastModified", json_object_get(part, "LastModified"));
        s3_checksum_out(result, checksum, false);
        json_t *o = json_pack("{s:o}", "CopyPartResult", result);
        if (s3_bucket_versioning(src_bucket))
            json_object_set(o, "CopySourceVersionId", json_object_get(source, "VersionId"));
        *out = o;
    }
    json_decref(checksum);
    json_decref(part);
    json_decref(source);
    json_decref(src_bucket);
    json_decref(upload);
    json_decref(bucket_doc);
    s3_copy_source_release(&src);
    return rc;
}

/* --- CompleteMultipartUpload ---------------------------------------------------------------- */

static int invalid_part(struct api_call *call, int64_t number, const char *etag)
{
    call->error_fields =
        json_pack("{s:I, s:s}", "PartNumber", (json_int_t)number, "ETag", etag ? etag : "");
    return api_error(call, ERR_INVALID, "InvalidPart",
                     "One or more of the specified parts could not be found.  The part may not "
                     "have been uploaded, or the specified entity tag may not match the part's "
                     "entity tag.");
}

/* The listed parts, checked against the stored ones; *parts_out their records in order. */
static int complete_parts(json_t **parts_out, struct api_call *call, const json_t *in,
                          const json_t *upload)
{
    const char *bucket = s3_str(in, "Bucket"), *id = s3_str(in, "UploadId");
    json_t *listed = json_object_get(json_object_get(in, "MultipartUpload"), "Parts");
    size_t n = json_array_size(listed);
    if (n == 0)
        return api_error(call, ERR_INVALID, "MalformedXML",
                         "The XML you provided was not well-formed or did not validate against "
                         "our published schema");
    if (n > S3_PART_NUMBER_MAX)
        return api_error(call, ERR_INVALID, "InvalidArgument",
                         "Part number must be an integer between 1 and 10000, inclusive");
    enum checksum_algorithm alg = upload_algorithm(upload);
    bool composite = alg && strcmp(s3_str(upload, "ChecksumType") ?: "", "COMPOSITE") == 0;
    json_t *parts = json_array();
    int64_t prev = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *p = json_array_get(listed, i);
        int64_t number = json_integer_value(json_object_get(p, "PartNumber"));
        const char *etag = s3_str(p, "ETag");
        if (number < 1 || number > S3_PART_NUMBER_MAX) {
            rc = api_error(call, ERR_INVALID, "InvalidArgument",
                           "Part number must be an integer between 1 and 10000, inclusive");
            break;
        }
        if (number <= prev) {
            rc = api_error(call, ERR_INVALID, "InvalidPartOrder",
                           "The list of parts was not in ascending order. Parts must be ordered "
                           "by part number.");
            break;
        }
        prev = number;
        char name[S3_UPLOAD_ID_LEN + 16];
        part_name(name, sizeof(name), id, number);
        json_t *stored = NULL;
        rc = record_get(&stored, NULL, call->store, NULL, S3_KIND_PART, bucket, name);
        if (rc == ERR_NOT_FOUND ||
            (rc == 0 &&
             (!etag || !s3_etag_matches(etag, s3_str(stored, "ETag")) || strchr(etag, '*')))) {
            json_decref(stored);
            rc = invalid_part(call, number, etag);
            break;
        }
        if (rc < 0)
            break;
        if (alg) {
            const char *member = s3_checksum_member(alg);
            const char *sent = s3_str(p, member);
            const char *have = s3_str(json_object_get(stored, "Checksum"), "Value");
            if (!sent && composite) {
                char lname[16];
                lower(lname, sizeof(lname), checksum_name(alg));
                json_decref(stored);
                rc = api_error(call, ERR_INVALID, "InvalidRequest",
                               "The upload was created using a %s checksum. The complete "
                               "request must include the checksum for each part. It was "
                               "missing for part %" PRId64 " in the request.",
                               lname, number);
                break;
            }
            if (sent && (!have || strcmp(sent, have) != 0)) {
                json_decref(stored);
                rc = invalid_part(call, number, etag);
                break;
            }
        }
        json_array_append_new(parts, stored);
    }
    /* Every part but the last must be at least 5 MiB. */
    for (size_t i = 0; rc == 0 && i + 1 < json_array_size(parts); i++) {
        json_t *p = json_array_get(parts, i);
        json_int_t size = json_integer_value(json_object_get(p, "Size"));
        if ((uint64_t)size < S3_PART_MIN) {
            call->error_fields =
                json_pack("{s:I, s:I, s:O, s:O}", "ProposedSize", size, "MinSizeAllowed",
                          (json_int_t)S3_PART_MIN, "PartNumber", json_object_get(p, "PartNumber"),
                          "ETag", json_object_get(p, "ETag"));
            rc = api_error(call, ERR_INVALID, "EntityTooSmall",
                           "Your proposed upload is smaller than the minimum allowed size");
        }
    }
    if (rc < 0) {
        json_decref(parts);
        return rc;
    }
    *parts_out = parts;
    return 0;
}

/*
 * Concatenates the parts' blobs into one, feeding `set`; with one part
 * the object's blob is the part's own (content addressing) and only the
 * hashing reads it. *copied_out says whether a new blob was written.
 */
static int complete_concat(char digest_out[BLOB_DIGEST_LEN + 1], bool *copied_out,
                           struct checksum_set *set, struct api_call *call, const json_t *parts)
{
    *copied_out = false;
    if (json_array_size(parts) == 1) {
        json_t *p = json_array_get(parts, 0);
        snprintf(digest_out, BLOB_DIGEST_LEN + 1, "%s", s3_str(p, "Digest"));
        if (!checksum_set_algorithms(set)) {
            checksum_set_finish(set);
            return 0;
        }
        return s3_blob_checksum(set, call, digest_out, 0,
                                (uint64_t)json_integer_value(json_object_get(p, "Size")));
    }
    _cleanup_blob_writer_ struct blob_writer *w = NULL;
    int rc = blob_writer_begin(&w, call->blobs);
    if (rc < 0)
        return rc;
    _cleanup_free_ char *chunk = xmalloc(1 << 20);
    size_t i;
    json_t *p;
    json_array_foreach(parts, i, p)
    {
        const char *digest = s3_str(p, "Digest");
        int fd = -1;
        if ((rc = blob_store_open_fd(&fd, NULL, call->blobs, digest)) < 0)
            return rc;
        uint64_t left = (uint64_t)json_integer_value(json_object_get(p, "Size"));
        while (rc == 0 && left > 0) {
            ssize_t n = read(fd, chunk, left < (1 << 20) ? (size_t)left : (1 << 20));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                rc = n < 0 ? err_set_errno(ERR_IO, "cannot read blob '%s'", digest)
                           : err_set(ERR_INTERNAL, "blob '%s' is shorter than its part", digest);
                break;
            }
            checksum_set_update(set, chunk, (size_t)n);
            rc = blob_writer_write(w, chunk, (size_t)n);
            left -= (uint64_t)n;
        }
        close(fd);
        if (rc < 0)
            return rc;
    }
    checksum_set_finish(set);
    if ((rc = blob_writer_commit(digest_out, TAKE_PTR(w), NULL)) == 0)
        *copied_out = true;
    return rc;
}

/* ETag "md5(md5(part 1) ... md5(part N))-N" and the composite checksum "x-N". */
static int complete_digests(json_t *version, struct api_call *call, const json_t *in,
                            const json_t *upload, const json_t *parts, struct checksum_set *full)
{
    size_t n = json_array_size(parts);
    enum checksum_algorithm alg = upload_algorithm(upload);
    const char *type = s3_str(upload, "ChecksumType");
    struct buf md5s = BUF_INIT, sums = BUF_INIT;
    int rc = 0;
    size_t i;
    json_t *p;
    json_array_foreach(parts, i, p)
    {
        const char *etag = s3_str(p, "ETag");
        uint8_t raw[MD5_LEN];
        if (strlen(etag) != 2 * MD5_LEN + 2 ||
            hex_decode(raw, MD5_LEN, etag + 1, 2 * MD5_LEN) < 0) {
            rc = err_set(ERR_INTERNAL, "part %zu has a malformed ETag", i + 1);
            break;
        }
        buf_add(&md5s, raw, MD5_LEN);
        if (alg && strcmp(type, "COMPOSITE") == 0) {
            const char *value = s3_str(json_object_get(p, "Checksum"), "Value");
            if (!value || base64_decode(&sums, value, strlen(value)) < 0) {
                rc =
                    err_set(ERR_INTERNAL, "part %zu has no %s checksum", i + 1, checksum_name(alg));
                break;
            }
        }
    }
    if (rc == 0) {
        uint8_t raw[CHECKSUM_MAX_LEN];
        char hex[2 * MD5_LEN + 1];
        checksum_compute(raw, CHECKSUM_MD5, md5s.data, md5s.len);
        hex_encode(hex, raw, MD5_LEN);
        json_object_set_new(version, "ETag", json_sprintf("\"%s-%zu\"", hex, n));
    }
    struct buf value = BUF_INIT;
    if (rc == 0 && alg) {
        if (strcmp(type, "COMPOSITE") == 0) {
            uint8_t raw[CHECKSUM_MAX_LEN];
            size_t len = checksum_compute(raw, alg, sums.data, sums.len);
            base64_encode(&value, raw, len);
            buf_addf(&value, "-%zu", n);
        } else {
            checksum_set_base64(&value, full, alg);
        }
        json_object_set_new(version, "Checksum",
                            json_pack("{s:s, s:s, s:s}", "Algorithm", checksum_name(alg), "Value",
                                      value.data, "Type", type));
        /* The whole object's checksum the client computed, if it sent one. */
        const char *sent = s3_str(in, s3_checksum_member(alg));
        size_t bare = strcspn(value.data, "-");
        if (sent && strcmp(sent, value.data) != 0 &&
            !(strlen(sent) == bare && strncmp(sent, value.data, bare) == 0))
            rc = api_error(call, ERR_INVALID, "BadDigest",
                           "The %s you specified did not match the calculated checksum.",
                           checksum_name(alg));
    }
    buf_release(&value);
    buf_release(&md5s);
    buf_release(&sums);
    return rc;
}

int s3_complete_multipart_upload(struct api_call *call, json_t *in, json_t **out)
{
    const char *bucket = s3_str(in, "Bucket"), *key;
    json_t *bucket_doc = NULL, *upload = NULL, *parts = NULL, *version = NULL, *stored = NULL;
    struct checksum_set *set = NULL;
    char digest[BLOB_DIGEST_LEN + 1] = "";
    bool copied = false;
    int rc = s3_key_get(&key, call, in);
    if (rc == 0)
        rc = s3_object_bucket_get(&bucket_doc, call, in);
    if (rc == 0)
        rc = s3_authorize(call, "s3:PutObject", bucket, key, bucket_doc);
    if (rc == 0)
        rc = upload_get(&upload, NULL, call, NULL, in, key);
    enum checksum_algorithm alg = upload_algorithm(upload);
    const char *type = s3_str(upload, "ChecksumType");
    const char *asked_type = s3_str(in, "ChecksumType");
    if (rc == 0 && asked_type && (!type || strcmp(asked_type, type) != 0))
        rc = api_error(call, ERR_INVALID, "InvalidRequest",
                       "The upload was created using the %s checksum mode. The complete request "
                       "must use the same checksum mode.",
                       type ? type : "default");
    if (rc == 0) {
        enum checksum_algorithm sent_alg;
        const char *sent;
        /* Only the whole-object checksum of the upload's algorithm may come. */
        json_t *probe = json_deep_copy(in);
        json_object_del(probe, "ChecksumType");
        rc = s3_checksum_requested(&sent_alg, &sent, call, probe);
        json_decref(probe);
        if (rc == 0 && sent_alg && sent_alg != alg)
            rc = api_error(call, ERR_INVALID, "InvalidRequest",
                           "The upload was created using %s checksum algorithm; the complete "
                           "request sent a %s checksum",
                           alg ? checksum_name(alg) : "no", checksum_name(sent_alg));
    }
    if (rc == 0)
        rc = complete_parts(&parts, call, in, upload);

    uint64_t total = 0;
    size_t i;
    json_t *p;
    json_array_foreach(parts, i, p) total +=
        (uint64_t)json_integer_value(json_object_get(p, "Size"));
    json_t *mpu_size = json_object_get(in, "MpuObjectSize");
    if (rc == 0 && mpu_size && (uint64_t)json_integer_value(mpu_size) != total)
        rc = api_error(call, ERR_INVALID, "InvalidRequest",
                       "The provided 'x-amz-mp-object-size' header value %" PRId64
                       " does not match what was computed: %" PRIu64,
                       (int64_t)json_integer_value(mpu_size), total);
    if (rc == 0 && total > BLOB_SIZE_MAX)
        rc = api_error(call, ERR_INVALID, "EntityTooLarge",
                       "Your proposed upload exceeds the maximum allowed size");
    if (rc == 0) {
        bool full = alg && strcmp(type, "FULL_OBJECT") == 0;
        set = checksum_set_new(full ? alg : 0);
        rc = complete_concat(digest, &copied, set, call, parts);
    }
    if (rc == 0) {
        version = json_pack("{s:s, s:I, s:s, s:s, s:I, s:s, s:O, s:I}", "VersionId", "",
                            "LastModified", (json_int_t)call->now_ms, "Owner", call->account_id,
                            "ETag", "", "Size", (json_int_t)total, "Digest", digest, "StorageClass",
                            json_object_get(upload, "StorageClass"), "PartsCount",
                            (json_int_t)json_array_size(parts));
        for (size_t m = 0; s3_content_members[m]; m++) {
            json_t *v = json_object_get(upload, s3_content_members[m]);
            if (v)
                json_object_set(version, s3_content_members[m], v);
        }
        if (json_object_get(upload, "Metadata"))
            json_object_set(version, "Metadata", json_object_get(upload, "Metadata"));
        if (json_object_get(upload, "Tags"))
            json_object_set(version, "Tags", json_object_get(upload, "Tags"));
        rc = complete_digests(version, call, in, upload, parts, set);
    }

    /* One transaction: the upload still there, the object recorded, the
     * upload and all its parts gone. */
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if (rc == 0)
        rc = store_tx_begin(&tx, call->store);
    if (rc == 0) {
        json_decref(bucket_doc);
        bucket_doc = NULL;
        rc = s3_bucket_get(&bucket_doc, NULL, call, tx, bucket);
    }
    json_t *again = NULL;
    if (rc == 0)
        rc = upload_get(&again, NULL, call, tx, in, key);
    json_decref(again);
    if (rc == 0)
        rc = s3_object_record_tx(&stored, call, tx, bucket_doc, bucket, key, version, in,
                                 "CompleteMultipartUpload");
    if (rc == 0)
        rc = s3_upload_abort_tx(call->store, tx, bucket, s3_str(in, "UploadId"));
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc < 0 && copied)
        s3_blob_forget(call->store, digest);
    if (rc == 0) {
        struct buf location = BUF_INIT;
        buf_addf(&location, "/%s/", bucket);
        rest_percent_encode(&location, key, strlen(key), true);
        json_t *o = json_pack("{s:s, s:s, s:s, s:O}", "Location", location.data, "Bucket", bucket,
                              "Key", key, "ETag", json_object_get(stored, "ETag"));
        buf_release(&location);
        const char *versioning = s3_bucket_versioning(bucket_doc);
        if (versioning && strcmp(versioning, "Enabled") == 0)
            json_object_set(o, "VersionId", json_object_get(stored, "VersionId"));
        s3_checksum_out(o, json_object_get(stored, "Checksum"), true);
        *out = o;
    }
    checksum_set_free(set);
    json_decref(stored);
    json_decref(version);
    json_decref(parts);
    json_decref(upload);
    json_decref(bucket_doc);
    return rc;
}

/* --- AbortMultipartUpload, ListParts, ListMultipartUploads ------------------------------------ */

int s3_abort_multipart_upload(struct api_call *call, json_t *in, json_t **out)
{
    const char *bucket = s3_str(in, "Bucket"), *key;
    json_t *bucket_doc = NULL, *upload = NULL;
    int rc = s3_key_get(&key, call, in);
    if (rc == 0)
        rc = s3_object_bucket_get(&bucket_doc, call, in);
    if (rc == 0)
        rc = s3_authorize(call, "s3:AbortMultipartUpload", bucket, key, bucket_doc);
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if (rc == 0)
        rc = store_tx_begin(&tx, call->store);
    if (rc == 0)
        rc = upload_get(&upload, NULL, call, tx, in, key);
    if (rc == 0)
        rc = s3_upload_abort_tx(call->store, tx, bucket, s3_str(in, "UploadId"));
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0)
        *out = json_object();
    json_decref(upload);
    json_decref(bucket_doc);
    return rc;
}

static int max_get(int64_t *out, struct api_call *call, const json_t *in, const char *member,
                   const char *what)
{
    json_t *v = json_object_get(in, member);
    int64_t n = v ? json_integer_value(v) : S3_LIST_MAX;
    if (n < 0)
        return api_error(call, ERR_INVALID, "InvalidArgument",
                         "Argument %s must be an integer between 0 and 2147483647", what);
    *out = n > S3_LIST_MAX ? S3_LIST_MAX : n;
    return 0;
}

int s3_list_parts(struct api_call *call, json_t *in, json_t **out)
{
    const char *bucket = s3_str(in, "Bucket"), *key, *id = s3_str(in, "UploadId");
    json_t *bucket_doc = NULL, *upload = NULL;
    int64_t max_parts = 0, marker = 0;
    int rc = s3_key_get(&key, call, in);
    if (rc == 0)
        rc = s3_object_bucket_get(&bucket_doc, call, in);
    if (rc == 0)
        rc = s3_authorize(call, "s3:ListMultipartUploadParts", bucket, key, bucket_doc);
    if (rc == 0)
        rc = upload_get(&upload, NULL, call, NULL, in, key);
    if (rc == 0)
        rc = max_get(&max_parts, call, in, "MaxParts", "max-parts");
    if (rc == 0) {
        marker = json_integer_value(json_object_get(in, "PartNumberMarker"));
        if (marker < 0 || marker > S3_PART_NUMBER_MAX)
            rc = api_error(call, ERR_INVALID, "InvalidArgument",
                           "Argument part-number-marker must be an integer between 0 and "
                           "2147483647");
    }
    json_t *parts = json_array();
    bool truncated = false;
    int64_t next = 0;
    if (rc == 0 && max_parts > 0) {
        _cleanup_free_ char *prefix = xasprintf("%s/", id);
        char after[S3_UPLOAD_ID_LEN + 16];
        part_name(after, sizeof(after), id, marker);
        struct store_doc_page page = {0};
        struct store_doc_query q = {.kind = S3_KIND_PART,
                                    .scope = bucket,
                                    .prefix = prefix,
                                    .after = marker ? after : NULL,
                                    .limit = (size_t)max_parts};
        rc = store_doc_list(&page, call->store, NULL, &q);
        for (size_t i = 0; rc == 0 && i < page.len; i++) {
            json_error_t jerr;
            json_t *part = json_loadb(page.items[i].body, page.items[i].body_len, 0, &jerr);
            if (!part) {
                rc = err_set(ERR_INTERNAL, "part record is not JSON: %s", jerr.text);
                break;
            }
            json_t *o =
                json_pack("{s:O, s:O, s:O, s:O}", "PartNumber", json_object_get(part, "PartNumber"),
                          "LastModified", json_object_get(part, "LastModified"), "ETag",
                          json_object_get(part, "ETag"), "Size", json_object_get(part, "Size"));
            s3_checksum_out(o, json_object_get(part, "Checksum"), false);
            next = json_integer_value(json_object_get(part, "PartNumber"));
            json_array_append_new(parts, o);
            json_decref(part);
        }
        truncated = page.more;
        store_doc_page_release(&page);
    }
    if (rc == 0) {
        json_t *o = json_pack(
            "{s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:O, s:o, s:o, s:O}", "Bucket", bucket, "Key", key,
            "UploadId", id, "PartNumberMarker", (json_int_t)marker, "NextPartNumberMarker",
            (json_int_t)next, "MaxParts", (json_int_t)max_parts, "IsTruncated", truncated, "Parts",
            parts, "Initiator", initiator_of(upload), "Owner", s3_owner_of(upload), "StorageClass",
            json_object_get(upload, "StorageClass"));
        if (json_array_size(parts) == 0)
            json_object_del(o, "Parts");
        if (json_object_get(upload, "ChecksumAlgorithm")) {
            json_object_set(o, "ChecksumAlgorithm", json_object_get(upload, "ChecksumAlgorithm"));
            json_object_set(o, "ChecksumType", json_object_get(upload, "ChecksumType"));
        }
        *out = o;
    }
    json_decref(parts);
    json_decref(upload);
    json_decref(bucket_doc);
    return rc;
}

static int upload_cmp(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = strcmp(s3_str(x, "Key") ?: "", s3_str(y, "Key") ?: "");
    if (c)
        return c;
    json_int_t tx = json_integer_value(json_object_get(x, "Initiated"));
    json_int_t ty = json_integer_value(json_object_get(y, "Initiated"));
    if (tx != ty)
        return tx < ty ? -1 : 1;
    return strcmp(s3_str(x, "UploadId") ?: "", s3_str(y, "UploadId") ?: "");
}

/* Every upload of the bucket (at most S3_UPLOADS_MAX), sorted as S3 lists them. */
static int uploads_all(json_t ***items_out, size_t *len_out, struct api_call *call,
                       const char *bucket, const char *prefix)
{
    json_t **items = NULL;
    size_t len = 0, alloc = 0;
    char *after = NULL;
    int rc = 0;
    for (;;) {
        struct store_doc_page page = {0};
        struct store_doc_query q = {.kind = S3_KIND_UPLOAD, .scope = bucket, .after = after};
        if ((rc = store_doc_list(&page, call->store, NULL, &q)) < 0)
            break;
        for (size_t i = 0; i < page.len; i++) {
            json_error_t jerr;
            json_t *u = json_loadb(page.items[i].body, page.items[i].body_len, 0, &jerr);
            if (!u)
                continue;
            if (strncmp(s3_str(u, "Key") ?: "", prefix, strlen(prefix)) != 0) {
                json_decref(u);
                continue;
            }
            if (len == alloc) {
                alloc = alloc ? 2 * alloc : 64;
                json_t **grown = realloc(items, alloc * sizeof(*items));
                if (!grown)
                    abort();
                items = grown;
            }
            items[len++] = u;
        }
        bool more = page.more && len < S3_UPLOADS_MAX;
        if (page.len) {
            free(after);
            after = xstrdup(page.items[page.len - 1].name);
        }
        store_doc_page_release(&page);
        if (!more)
            break;
    }
    free(after);
    if (rc < 0) {
        for (size_t i = 0; i < len; i++)
            json_decref(items[i]);
        free(items);
        return rc;
    }
    if (len)
        qsort(items, len, sizeof(*items), upload_cmp);
    *items_out = items;
    *len_out = len;
    return 0;
}

static json_t *key_text(const char *key, bool url)
{
    if (!url)
        return json_string(key);
    struct buf b = BUF_INIT;
    rest_percent_encode(&b, key, strlen(key), true);
    json_t *v = json_string(b.data);
    buf_release(&b);
    return v;
}

int s3_list_multipart_uploads(struct api_call *call, json_t *in, json_t **out)
{
    const char *bucket = s3_str(in, "Bucket");
    const char *prefix = s3_str(in, "Prefix") ?: "", *delimiter = s3_str(in, "Delimiter") ?: "";
    const char *key_marker = s3_str(in, "KeyMarker") ?: "";
    const char *id_marker = s3_str(in, "UploadIdMarker") ?: "";
    const char *enc = s3_str(in, "EncodingType");
    bool url = enc && strcmp(enc, "url") == 0;
    json_t *bucket_doc = NULL;
    int64_t max_uploads = 0;
    int rc = s3_object_bucket_get(&bucket_doc, call, in);
    if (rc == 0)
        rc = s3_authorize(call, "s3:ListBucketMultipartUploads", bucket, NULL, bucket_doc);
    json_decref(bucket_doc);
    if (rc == 0)
        rc = max_get(&max_uploads, call, in, "MaxUploads", "max-uploads");
    if (rc == 0 && enc && !url)
        rc = api_error(call, ERR_INVALID, "InvalidArgument",
                       "Invalid Encoding Method specified in Request");
    json_t **items = NULL;
    size_t len = 0;
    if (rc == 0)
        rc = uploads_all(&items, &len, call, bucket, prefix);
    if (rc < 0)
        return rc;

    /* With an upload id marker: that key's uploads after the marker one,
     * then later keys; with a key marker alone: later keys only. */
    size_t start = 0;
    if (*key_marker) {
        while (start < len && strcmp(s3_str(items[start], "Key"), key_marker) < 0)
            start++;
        if (*id_marker) {
            size_t j = start;
            while (j < len && strcmp(s3_str(items[j], "Key"), key_marker) == 0 &&
                   strcmp(s3_str(items[j], "UploadId"), id_marker) != 0)
                j++;
            if (j < len && strcmp(s3_str(items[j], "Key"), key_marker) == 0)
                start = j + 1;
            else
                while (start < len && strcmp(s3_str(items[start], "Key"), key_marker) == 0)
                    start++;
        } else {
            while (start < len && strcmp(s3_str(items[start], "Key"), key_marker) == 0)
                start++;
        }
    }
    json_t *uploads = json_array(), *prefixes = json_array();
    int64_t count = 0;
    bool truncated = false;
    const char *next_key = NULL, *next_id = NULL;
    char *last_prefix = NULL;
    size_t plen = strlen(prefix);
    for (size_t i = start; i < len; i++) {
        const char *key = s3_str(items[i], "Key");
        const char *hit = *delimiter && strlen(key) > plen ? strstr(key + plen, delimiter) : NULL;
        if (hit) {
            size_t l = (size_t)(hit - key) + strlen(delimiter);
            if (last_prefix && strlen(last_prefix) == l && strncmp(last_prefix, key, l) == 0)
                continue;
            if (*key_marker && strncmp(key_marker, key, l) == 0 && strlen(key_marker) == l)
                continue;
            if (count == max_uploads) {
                truncated = true;
                break;
            }
            free(last_prefix);
            last_prefix = xasprintf("%.*s", (int)l, key);
            json_array_append_new(prefixes,
                                  json_pack("{s:o}", "Prefix", key_text(last_prefix, url)));
            next_key = NULL;
            count++;
            continue;
        }
        if (count == max_uploads) {
            truncated = true;
            break;
        }
        json_t *u = json_pack("{s:s, s:o, s:O, s:O, s:o, s:o}", "UploadId",
                              s3_str(items[i], "UploadId"), "Key", key_text(key, url), "Initiated",
                              json_object_get(items[i], "Initiated"), "StorageClass",
                              json_object_get(items[i], "StorageClass"), "Owner",
                              s3_owner_of(items[i]), "Initiator", initiator_of(items[i]));
        if (json_object_get(items[i], "ChecksumAlgorithm")) {
            json_object_set(u, "ChecksumAlgorithm", json_object_get(items[i], "ChecksumAlgorithm"));
            json_object_set(u, "ChecksumType", json_object_get(items[i], "ChecksumType"));
        }
        json_array_append_new(uploads, u);
        next_key = key;
        next_id = s3_str(items[i], "UploadId");
        count++;
    }
    json_t *o = json_pack("{s:s, s:o, s:s, s:I, s:b}", "Bucket", bucket, "KeyMarker",
                          key_text(key_marker, url), "UploadIdMarker", id_marker, "MaxUploads",
                          (json_int_t)max_uploads, "IsTruncated", truncated);
    json_object_set_new(o, "Prefix", key_text(prefix, url));
    if (*delimiter)
        json_object_set_new(o, "Delimiter", key_text(delimiter, url));
    if (url)
        json_object_set_new(o, "EncodingType", json_string("url"));
    if (truncated) {
        if (next_key) {
            json_object_set_new(o, "NextKeyMarker", key_text(next_key, url));
            json_object_set_new(o, "NextUploadIdMarker", json_string(next_id));
        } else if (last_prefix) {
            json_object_set_new(o, "NextKeyMarker", key_text(last_prefix, url));
        }
    }
    if (json_array_size(uploads))
        json_object_set(o, "Uploads", uploads);
    if (json_array_size(prefixes))
        json_object_set(o, "CommonPrefixes", prefixes);
    *out = o;
    free(last_prefix);
    json_decref(uploads);
    json_decref(prefixes);
    for (size_t i = 0; i < len; i++)
        json_decref(items[i]);
    free(items);
    return 0;
}
