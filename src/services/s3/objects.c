#include "base/common.h"
#include "services/s3/s3_object.h"
#include "base/alloc.h"
#include "base/crypto.h"
#include "base/err.h"
#include "services/common/record.h"
#include "store/blob.h"

/*
 * Objects: PutObject, GetObject, HeadObject, DeleteObject(s) and object
 * tags. The bytes are blobs, committed before the transaction that records
 * the version; reads hand the blob's descriptor to the server.
 */

static const char *bucket_of(const json_t *in)
{
    return s3_str(in, "Bucket");
}

/* VersionId goes into answers once the bucket has had versioning on. */
static void version_id_out(json_t *out, const json_t *bucket_doc, const json_t *version)
{
    const char *vid = s3_str(version, "VersionId");
    if (s3_bucket_versioning(bucket_doc) && vid)
        json_object_set_new(out, "VersionId", json_string(vid));
}

/* --- PutObject ------------------------------------------------------------------- */

/* If-Match / If-None-Match of a write, against the key's current version. */
static int write_conditions(struct api_call *call, const json_t *in, const json_t *rec)
{
    const json_t *cur = s3_object_current(rec);
    bool exists = cur && !s3_version_is_marker(cur);
    const char *if_match = s3_str(in, "IfMatch"), *if_none = s3_str(in, "IfNoneMatch");
    if (if_none && strcmp(if_none, "*") != 0)
        return api_error(call, ERR_UNSUPPORTED, "NotImplemented",
                         "A header you provided implies functionality that is not implemented: "
                         "If-None-Match takes only '*' on a write");
    if (if_none && exists) {
        call->error_fields = json_pack("{s:s}", "Condition", "If-None-Match");
        return s3_fail(call, ERR_CONFLICT, "PreconditionFailed",
                       "At least one of the pre-conditions you specified did not hold");
    }
    if (if_match && !exists)
        return api_error(call, ERR_NOT_FOUND, "NoSuchKey", "The specified key does not exist.");
    if (if_match && !s3_etag_matches(if_match, s3_str(cur, "ETag"))) {
        call->error_fields = json_pack("{s:s}", "Condition", "If-Match");
        return s3_fail(call, ERR_CONFLICT, "PreconditionFailed",
                       "At least one of the pre-conditions you specified did not hold");
    }
    return 0;
}

int s3_object_record_tx(json_t **stored_out, struct api_call *call, struct store_tx *tx,
                        const json_t *bucket_doc, const char *bucket, const char *key,
                        json_t *version, const json_t *in, const char *reason)
{
    json_t *rec = NULL, *removed = json_array();
    int64_t rec_version;
    const char *digest = s3_str(version, "Digest");
    int rc = s3_object_load(&rec, &rec_version, call->store, tx, bucket, key);
    if (rc == 0 && in)
        rc = write_conditions(call, in, rec);
    if (rc == 0)
        rc = s3_object_add_version(call, rec, version, bucket_doc, removed);
    if (rc == 0 && digest)
        rc = s3_blob_hold(call, tx, digest);
    if (rc == 0)
        rc = s3_versions_unref(call->store, tx, removed);
    if (rc == 0) {
        rc = s3_object_save(call->store, tx, bucket, key, rec, rec_version);
        if (rc == ERR_LIMIT)
            rc = s3_fail(call, ERR_LIMIT, "SlowDown",
                         "Please reduce your request rate: the versions of this key outgrew "
                         "slipway's record limit; delete old versions first");
    }
    if (rc == 0)
        rc = s3_object_event(call, tx, bucket_doc, S3_EVENT_CREATED, reason, key, version, false);
    if (rc == 0)
        *stored_out = json_incref(version);
    json_decref(rec);
    json_decref(removed);
    return rc;
}

int s3_object_record(json_t **stored_out, struct api_call *call, const char *bucket,
                     const char *key, json_t *version, const json_t *in, const char *reason)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *bucket_doc = NULL, *stored = NULL;
    int rc = store_tx_begin(&tx, call->store);
    if (rc == 0)
        rc = s3_bucket_get(&bucket_doc, NULL, call, tx, bucket);
    if (rc == 0)
        rc = s3_object_record_tx(&stored, call, tx, bucket_doc, bucket, key, version, in, reason);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0)
        *stored_out = stored;
    else
        json_decref(stored);
    json_decref(bucket_doc);
    return rc;
}

int s3_put_object(struct api_call *call, json_t *in, json_t **out)
{
    const char *bucket = bucket_of(in), *key;
    json_t *bucket_doc = NULL, *tags = NULL, *checksum = NULL, *version = NULL, *stored = NULL;
    struct api_upload owned, *upload = NULL;
    bool owns = false, committed = false;
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
    if (rc == 0 && (rc = s3_upload_get(&upload, &owned, call, in)) == 0)
        owns = upload == &owned;
    if (rc == 0)
        rc = s3_upload_verify(&checksum, call, in, upload, 0);
    if (rc == 0) {
        char md5_hex[2 * MD5_LEN + 1];
        hex_encode(md5_hex, upload->md5, MD5_LEN);
        version = json_pack("{s:s, s:I, s:s, s:s, s:I, s:s, s:s}", "VersionId", "", "LastModified",
                            (json_int_t)call->now_ms, "Owner", call->account_id, "ETag", "", "Size",
                            (json_int_t)upload->size, "Digest", upload->digest, "StorageClass",
                            s3_str(in, "StorageClass") ?: "STANDARD");
        json_object_set_new(version, "ETag", json_sprintf("\"%s\"", md5_hex));
        rc = s3_version_set_content(call, version, in);
    }
    if (rc == 0 && json_object_size(tags))
        json_object_set(version, "Tags", tags);
    if (rc == 0 && checksum) {
        json_object_set_new(checksum, "Type", json_string("FULL_OBJECT"));
        json_object_set(version, "Checksum", checksum);
    }
    if (rc == 0) {
        rc = s3_upload_commit(call, upload);
        committed = rc == 0;
    }
    if (rc == 0)
        rc = s3_object_record(&stored, call, bucket, key, version, in, "PutObject");
    if (rc < 0 && committed)
        s3_blob_forget(call->store, upload->digest);
    if (rc == 0) {
        json_t *o = json_pack("{s:O}", "ETag", json_object_get(stored, "ETag"));
        const char *versioning = s3_bucket_versioning(bucket_doc);
        if (versioning && strcmp(versioning, "Enabled") == 0)
            json_object_set(o, "VersionId", json_object_get(stored, "VersionId"));
        s3_checksum_out(o, checksum, true);
        *out = o;
    }
    if (owns)
        s3_upload_release(&owned);
    json_decref(stored);
    json_decref(version);
    json_decref(checksum);
    json_decref(tags);
    json_decref(bucket_doc);
    return rc;
}

/* --- GetObject / HeadObject --------------------------------------------------------- */

/* The headers a read answers with, from the version. */
static json_t *object_headers(const json_t *bucket_doc, const json_t *version)
{
    json_t *o = json_object();
    json_object_set_new(o, "AcceptRanges", json_string("bytes"));
    json_object_set(o, "LastModified", json_object_get(version, "LastModified"));
    json_object_set(o, "ETag", json_object_get(version, "ETag"));
    json_object_set(o, "ContentLength", json_object_get(version, "Size"));
    for (size_t i = 0; s3_content_members[i]; i++) {
        json_t *v = json_object_get(version, s3_content_members[i]);
        if (v)
            json_object_set(o, s3_content_members[i], v);
    }
    if (!json_object_get(o, "ContentType"))
        json_object_set_new(o, "ContentType", json_string("binary/octet-stream"));
    json_t *meta = json_object_get(version, "Metadata");
    if (json_object_size(meta))
        json_object_set(o, "Metadata", meta);
    const char *sc = s3_str(version, "StorageClass");
    if (sc && strcmp(sc, "STANDARD") != 0)
        json_object_set_new(o, "StorageClass", json_string(sc));
    size_t tags = json_object_size(json_object_get(version, "Tags"));
    if (tags)
        json_object_set_new(o, "TagCount", json_integer((json_int_t)tags));
    version_id_out(o, bucket_doc, version);
    return o;
}

/* If-Match, If-Unmodified-Since (412), If-None-Match, If-Modified-Since (304). */
static int read_conditions(struct api_call *call, const json_t *in, const json_t *version)
{
    const char *etag = s3_str(version, "ETag");
    int64_t modified_s = json_integer_value(json_object_get(version, "LastModified")) / 1000;
    const char *if_match = s3_str(in, "IfMatch"), *if_none = s3_str(in, "IfNoneMatch");
    json_t *since = json_object_get(in, "IfModifiedSince");
    json_t *unmodified = json_object_get(in, "IfUnmodifiedSince");
    const char *failed = NULL;
    if (if_match) {
        if (!s3_etag_matches(if_match, etag))
            failed = "If-Match";
    } else if (unmodified && modified_s > json_integer_value(unmodified) / 1000) {
        failed = "If-Unmodified-Since";
    }
    if (failed) {
        call->error_fields = json_pack("{s:s}", "Condition", failed);
        return s3_fail(call, ERR_CONFLICT, "PreconditionFailed",
                       "At least one of the pre-conditions you specified did not hold");
    }
    if (if_none ? s3_etag_matches(if_none, etag)
                : since && modified_s <= json_integer_value(since) / 1000)
        return s3_fail(call, ERR_CONFLICT, "NotModified", "Not Modified");
    return 0;
}

/*
 * A Range header: *ranged_out false when there is none or it is not one
 * S3 honours (malformed, or several ranges), which means the whole object;
 * 416 InvalidRange when it cannot be satisfied.
 */
static int range_parse(bool *ranged_out, uint64_t *first_out, uint64_t *last_out,
                       struct api_call *call, const char *range, uint64_t size)
{
    *ranged_out = false;
    if (!range || strncmp(range, "bytes=", 6) != 0 || strchr(range, ','))
        return 0;
    const char *p = range + 6;
    unsigned long long a = 0, b = 0;
    int n = 0;
    bool suffix = *p == '-';
    if (suffix) {
        if (sscanf(p + 1, "%llu%n", &b, &n) != 1 || p[1 + n] != '\0' || p[1] < '0' || p[1] > '9')
            return 0;
        if (b == 0 || size == 0)
            goto unsatisfiable;
        *first_out = b >= size ? 0 : size - b;
        *last_out = size - 1;
    } else {
        if (*p < '0' || *p > '9' || sscanf(p, "%llu%n", &a, &n) != 1 || p[n] != '-')
            return 0;
        const char *q = p + n + 1;
        if (*q == '\0') {
            b = UINT64_MAX;
        } else {
            int m = 0;
            if (*q < '0' || *q > '9' || sscanf(q, "%llu%n", &b, &m) != 1 || q[m] != '\0' || b < a)
                return 0;
        }
        if (a >= size)
            goto unsatisfiable;
        *first_out = a;
        *last_out = b >= size ? size - 1 : b;
    }
    *ranged_out = true;
    return 0;
unsatisfiable:
    /* Text, as S3's <Error> carries them. */
    call->error_fields = json_pack("{s:s, s:o}", "RangeRequested", range, "ActualObjectSize",
                                   json_sprintf("%" PRIu64, size));
    call->response_headers =
        json_pack("{s:o}", "Content-Range", json_sprintf("bytes */%" PRIu64, size));
    return s3_fail(call, ERR_INVALID, "InvalidRange", "The requested range is not satisfiable");
}

/* response-content-type and the other overrides of a signed GET. */
static void response_overrides(json_t *o, const json_t *in)
{
    static const char *const pairs[][2] = {
        {"ResponseCacheControl", "CacheControl"},
        {"ResponseContentDisposition", "ContentDisposition"},
        {"ResponseContentEncoding", "ContentEncoding"},
        {"ResponseContentLanguage", "ContentLanguage"},
        {"ResponseContentType", "ContentType"},
        {"ResponseExpires", "Expires"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
        json_t *v = json_object_get(in, pairs[i][0]);
        if (v && !json_is_null(v))
            json_object_set(o, pairs[i][1], v);
    }
}

/*
 * Finds the version a read asks for: NoSuchKey (or AccessDenied when the
 * caller may not list the bucket, as S3 hides which keys exist),
 * NoSuchVersion, or 405 MethodNotAllowed for a delete marker asked by id.
 */
static int version_for_read(json_t **version_out, struct api_call *call, const char *bucket,
                            const char *key, const char *vid, const json_t *bucket_doc)
{
    json_t *rec;
    int rc = s3_object_load(&rec, NULL, call->store, NULL, bucket, key);
    if (rc < 0)
        return rc;
    json_t *v = vid ? s3_object_version_find(rec, vid, NULL) : s3_object_current(rec);
    if (v && vid && s3_version_is_marker(v)) {
        rc = s3_fail(call, ERR_INVALID, "MethodNotAllowed",
                     "The specified method is not allowed against this resource.");
    } else if (vid && !v) {
        rc = api_error(call, ERR_NOT_FOUND, "NoSuchVersion",
                       "The specified version does not exist.");
    } else if (!v || s3_version_is_marker(v)) {
        rc = s3_authorize(call, "s3:ListBucket", bucket, NULL, bucket_doc);
        if (rc == 0)
            rc = api_error(call, ERR_NOT_FOUND, "NoSuchKey", "The specified key does not exist.");
    } else {
        *version_out = json_incref(v);
    }
    json_decref(rec);
    return rc;
}

static int object_read(struct api_call *call, json_t *in, json_t **out, bool head)
{
    const char *bucket = bucket_of(in), *key, *vid = s3_str(in, "VersionId");
    json_t *bucket_doc = NULL, *version = NULL;
    int rc = s3_key_get(&key, call, in);
    if (rc == 0 && vid)
        rc = s3_version_id_check(call, vid);
    if (rc == 0)
        rc = s3_object_bucket_get(&bucket_doc, call, in);
    struct api_condition version_cond = {"s3:versionid", vid};
    if (rc == 0)
        rc = s3_authorize_request(call, vid ? "s3:GetObjectVersion" : "s3:GetObject", bucket, key,
                                  bucket_doc, &version_cond, vid ? 1 : 0);
    if (rc == 0)
        rc = version_for_read(&version, call, bucket, key, vid, bucket_doc);
    if (rc == 0)
        rc = read_conditions(call, in, version);

    uint64_t size = (uint64_t)json_integer_value(json_object_get(version, "Size"));
    uint64_t first = 0, last = size ? size - 1 : 0;
    bool ranged = false, whole = true;
    json_t *part = json_object_get(in, "PartNumber");
    if (rc == 0 && part && s3_str(in, "Range"))
        rc = api_error(call, ERR_INVALID, "InvalidRequest",
                       "Cannot specify both Range header and partNumber query parameter");
    if (rc == 0 && part) {
        json_int_t n = json_integer_value(part);
        json_int_t parts = json_integer_value(json_object_get(version, "PartsCount"));
        if (n < 1 || n > S3_PART_NUMBER_MAX)
            rc = api_error(call, ERR_INVALID, "InvalidArgument",
                           "Part number must be an integer between 1 and 10000, inclusive");
        else if (n > (parts ? parts : 1))
            rc = s3_fail(call, ERR_INVALID, "InvalidPartNumber",
                         "The requested partnumber is not satisfiable");
        else if (parts > 1)
            rc = api_error(call, ERR_UNSUPPORTED, "NotImplemented",
                           "slipway does not serve single parts of multipart objects; use a "
                           "Range instead");
    }
    if (rc == 0 && !part) {
        rc = range_parse(&ranged, &first, &last, call, s3_str(in, "Range"), size);
        whole = !ranged;
    }

    int fd = -1;
    if (rc == 0 && !head &&
        (rc = blob_store_open_fd(&fd, NULL, call->blobs, s3_str(version, "Digest"))) ==
            ERR_NOT_FOUND)
        rc = err_set(ERR_INTERNAL, "the bytes of '%s' are missing from the blob store", key);
    if (rc == 0) {
        json_t *o = object_headers(bucket_doc, version);
        response_overrides(o, in);
        if (ranged) {
            json_object_set_new(o, "ContentLength", json_integer((json_int_t)(last - first + 1)));
            json_object_set_new(
                o, "ContentRange",
                json_sprintf("bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last, size));
            call->response_status = 206;
        }
        if (part && json_object_get(version, "PartsCount"))
            json_object_set(o, "PartsCount", json_object_get(version, "PartsCount"));
        const char *mode = s3_str(in, "ChecksumMode");
        if (whole && mode && strcmp(mode, "ENABLED") == 0)
            s3_checksum_out(o, json_object_get(version, "Checksum"), true);
        if (!head) {
            call->download.fd = fd;
            call->download.offset = ranged ? first : 0;
            call->download.length = ranged ? last - first + 1 : size;
        }
        *out = o;
    }
    json_decref(version);
    json_decref(bucket_doc);
    return rc;
}

int s3_get_object(struct api_call *call, json_t *in, json_t **out)
{
    return object_read(call, in, out, false);
}

int s3_head_object(struct api_call *call, json_t *in, json_t **out)
{
    return object_read(call, in, out, true);
}

/* --- DeleteObject(s) ---------------------------------------------------------------------- */

int s3_object_delete_tx(json_t **entry_out, bool *marker_created_out, struct store *st,
                        struct store_tx *tx, const json_t *bucket_doc, const char *bucket,
                        const char *key, const char *version_id, const char *owner, int64_t now_ms)
{
    json_t *rec, *removed = json_array(), *entry = NULL;
    int64_t rec_version;
    bool created = false;
    int rc = s3_object_load(&rec, &rec_version, st, tx, bucket, key);
    if (rc < 0) {
        json_decref(removed);
        return rc;
    }
    json_t *versions = s3_object_versions(rec);
    const char *versioning = s3_bucket_versioning(bucket_doc);
    if (version_id) {
        size_t i;
        json_t *v = s3_object_version_find(rec, version_id, &i);
        if (v) {
            entry = json_deep_copy(v);
            json_array_append(removed, v);
            json_array_remove(versions, i);
        }
    } else if (!versioning) {
        if (json_array_size(versions)) {
            entry = json_deep_copy(s3_object_current(rec));
            json_array_extend(removed, versions);
            json_array_clear(versions);
        }
    } else {
        json_t *marker =
            json_pack("{s:s, s:I, s:s, s:b}", "VersionId", S3_NULL_VERSION, "LastModified",
                      (json_int_t)now_ms, "Owner", owner, "DeleteMarker", 1);
        if (strcmp(versioning, "Enabled") == 0) {
            char id[S3_VERSION_ID_LEN + 1];
            do
                s3_version_id_new(id);
            while (s3_object_version_find(rec, id, NULL));
            json_object_set_new(marker, "VersionId", json_string(id));
        } else {
            /* Suspended: the marker takes the place of the "null" version. */
            for (size_t i = 0; i < json_array_size(versions);) {
                json_t *v = json_array_get(versions, i);
                if (strcmp(s3_str(v, "VersionId") ?: "", S3_NULL_VERSION) == 0) {
                    json_array_append(removed, v);
                    json_array_remove(versions, i);
                } else {
                    i++;
                }
            }
        }
        if (json_array_size(versions) >= S3_VERSIONS_MAX) {
            rc = err_set(ERR_LIMIT,
                         "Please reduce your request rate: the key keeps %d versions, "
                         "slipway's limit for one key",
                         S3_VERSIONS_MAX);
            json_decref(marker);
        } else {
            json_array_insert_new(versions, 0, marker);
            entry = json_deep_copy(marker);
            created = true;
        }
    }
    if (rc == 0)
        rc = s3_versions_unref(st, tx, removed);
    if (rc == 0 && (entry || created))
        rc = s3_object_save(st, tx, bucket, key, rec, rec_version);
    json_decref(rec);
    json_decref(removed);
    if (rc < 0) {
        json_decref(entry);
        return rc;
    }
    if (entry_out)
        *entry_out = entry;
    else
        json_decref(entry);
    if (marker_created_out)
        *marker_created_out = created;
    return 0;
}

/* Maps a failure of s3_object_delete_tx() to S3's words. */
static int delete_error(struct api_call *call, int rc)
{
    if (rc == ERR_LIMIT)
        return s3_fail(call, ERR_LIMIT, "SlowDown", "%s", err_msg());
    return rc;
}

/* If-Match of a delete: the addressed version's ETag (S3's conditional deletes). */
static int delete_condition(struct api_call *call, struct store_tx *tx, const char *bucket,
                            const char *key, const char *vid, const char *if_match)
{
    json_t *rec;
    int rc = s3_object_load(&rec, NULL, call->store, tx, bucket, key);
    if (rc < 0)
        return rc;
    json_t *v = vid ? s3_object_version_find(rec, vid, NULL) : s3_object_current(rec);
    if (!v || s3_version_is_marker(v))
        rc = api_error(call, ERR_NOT_FOUND, "NoSuchKey", "The specified key does not exist.");
    else if (!s3_etag_matches(if_match, s3_str(v, "ETag")))
        rc = s3_fail(call, ERR_CONFLICT, "PreconditionFailed",
                     "At least one of the pre-conditions you specified did not hold");
    json_decref(rec);
    return rc;
}

int s3_delete_object(struct api_call *call, json_t *in, json_t **out)
{
    const char *bucket = bucket_of(in), *key, *vid = s3_str(in, "VersionId");
    json_t *bucket_doc = NULL, *entry = NULL;
    bool created = false;
    int rc = s3_key_get(&key, call, in);
    if (rc == 0 && vid)
        rc = s3_version_id_check(call, vid);
    if (rc == 0)
        rc = s3_object_bucket_get(&bucket_doc, call, in);
    if (rc == 0)
        rc = s3_authorize(call, vid ? "s3:DeleteObjectVersion" : "s3:DeleteObject", bucket, key,
                          bucket_doc);
    json_decref(bucket_doc);
    bucket_doc = NULL;
    if (rc < 0)
        return rc;

    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    rc = s3_bucket_get(&bucket_doc, NULL, call, tx, bucket);
    if (rc == 0 && s3_str(in, "IfMatch"))
        rc = delete_condition(call, tx, bucket, key, vid, s3_str(in, "IfMatch"));
    if (rc == 0)
        rc = delete_error(call,
                          s3_object_delete_tx(&entry, &created, call->store, tx, bucket_doc, bucket,
                                              key, vid, call->account_id, call->now_ms));
    if (rc == 0 && entry)
        rc = s3_object_event(call, tx, bucket_doc, S3_EVENT_DELETED, "DeleteObject", key, entry,
                             created);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0) {
        json_t *o = json_object();
        if (entry && s3_version_is_marker(entry))
            json_object_set_new(o, "DeleteMarker", json_true());
        if (vid)
            json_object_set_new(o, "VersionId", json_string(vid));
        else if (created)
            json_object_set(o, "VersionId", json_object_get(entry, "VersionId"));
        *out = o;
    }
    json_decref(entry);
    json_decref(bucket_doc);
    return rc;
}

/* Content-MD5 / x-amz-checksum-* of a request body held in memory. */
static int body_verify(struct api_call *call)
{
    if (!call->http)
        return 0;
    const struct header_field *h = aws_request_header(call->http, "Content-MD5");
    if (h) {
        uint8_t digest[MD5_LEN];
        struct buf raw = BUF_INIT;
        bool valid = base64_decode(&raw, h->value, h->value_len) == 0 && raw.len == MD5_LEN;
        md5(digest, call->http->body, call->http->body_len);
        bool same = valid && memcmp(raw.data, digest, MD5_LEN) == 0;
        buf_release(&raw);
        if (!valid)
            return api_error(call, ERR_INVALID, "InvalidDigest",
                             "The Content-MD5 you specified is not valid.");
        if (!same)
            return api_error(call, ERR_INVALID, "BadDigest",
                             "The Content-MD5 you specified did not match what we received.");
    }
    static const enum checksum_algorithm algs[] = {
        CHECKSUM_CRC32, CHECKSUM_CRC32C, CHECKSUM_CRC64NVME, CHECKSUM_SHA1, CHECKSUM_SHA256};
    for (size_t i = 0; i < ARRAY_SIZE(algs); i++) {
        h = aws_request_header(call->http, checksum_header(algs[i]));
        if (!h)
            continue;
        uint8_t raw[CHECKSUM_MAX_LEN];
        size_t n = checksum_compute(raw, algs[i], call->http->body, call->http->body_len);
        struct buf b64 = BUF_INIT;
        base64_encode(&b64, raw, n);
        bool same = b64.len == h->value_len && memcmp(b64.data, h->value, b64.len) == 0;
        buf_release(&b64);
        if (!same)
            return api_error(call, ERR_INVALID, "BadDigest",
                             "The %s you specified did not match the calculated checksum.",
                             checksum_name(algs[i]));
    }
    return 0;
}

static void delete_error_entry(json_t *errors, const char *key, const char *vid, const char *code,
                               const char *message)
{
    json_t *e = json_pack("{s:s, s:s, s:s}", "Key", key, "Code", code, "Message", message);
    if (vid)
        json_object_set_new(e, "VersionId", json_string(vid));
    json_array_append_new(errors, e);
}

int s3_delete_objects(struct api_call *call, json_t *in, json_t **out)
{
    const char *bucket = bucket_of(in);
    json_t *del = json_object_get(in, "Delete");
    json_t *objects = json_object_get(del, "Objects");
    bool quiet = json_is_true(json_object_get(del, "Quiet"));
    json_t *bucket_doc = NULL;
    int rc = s3_object_bucket_get(&bucket_doc, call, in);
    if (rc < 0)
        return rc;
    /* The batch itself is a bucket-level request; each key is asked below. */
    if ((rc = s3_authorize(call, "s3:DeleteObject", bucket, NULL, bucket_doc)) == ERR_DENIED) {
        rc = 0;
        call->error_code[0] = '\0';
    }
    if (rc == 0 && (json_array_size(objects) == 0 || json_array_size(objects) > S3_DELETE_MAX))
        rc = api_error(call, ERR_INVALID, "MalformedXML",
                       "The XML you provided was not well-formed or did not validate against "
                       "our published schema");
    if (rc == 0)
        rc = body_verify(call);
    if (rc < 0) {
        json_decref(bucket_doc);
        return rc;
    }

    /* Authorization first, outside the transaction. */
    size_t n = json_array_size(objects);
    _cleanup_free_ bool *denied = xcalloc(n ? n : 1, sizeof(bool));
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(objects, i);
        const char *key = s3_str(o, "Key"), *vid = s3_str(o, "VersionId");
        if (!key || s3_key_check(call, key, json_string_length(json_object_get(o, "Key"))) < 0 ||
            (vid && !s3_version_id_valid(vid)))
            continue;
        if (s3_authorize(call, vid ? "s3:DeleteObjectVersion" : "s3:DeleteObject", bucket, key,
                         bucket_doc) < 0) {
            denied[i] = true;
            call->error_code[0] = '\0';
        }
    }
    json_decref(bucket_doc);
    bucket_doc = NULL;

    json_t *deleted = json_array(), *errors = json_array();
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    rc = store_tx_begin(&tx, call->store);
    if (rc == 0)
        rc = s3_bucket_get(&bucket_doc, NULL, call, tx, bucket);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *o = json_array_get(objects, i);
        const char *key = s3_str(o, "Key"), *vid = s3_str(o, "VersionId");
        if (!key || s3_key_check(call, key, json_string_length(json_object_get(o, "Key"))) < 0) {
            delete_error_entry(errors, key ? key : "", vid,
                               call->error_code[0] ? call->error_code : "InvalidArgument",
                               err_msg());
            call->error_code[0] = '\0';
            continue;
        }
        if (vid && !s3_version_id_valid(vid)) {
            delete_error_entry(errors, key, vid, "NoSuchVersion",
                               "The specified version does not exist.");
            continue;
        }
        if (denied[i]) {
            delete_error_entry(errors, key, vid, "AccessDenied", "Access Denied");
            continue;
        }
        json_t *entry = NULL;
        bool created = false;
        rc = s3_object_delete_tx(&entry, &created, call->store, tx, bucket_doc, bucket, key, vid,
                                 call->account_id, call->now_ms);
        if (rc == ERR_LIMIT) {
            delete_error_entry(errors, key, vid, "SlowDown", err_msg());
            rc = 0;
            continue;
        }
        if (rc == 0 && entry)
            rc = s3_object_event(call, tx, bucket_doc, S3_EVENT_DELETED, "DeleteObject", key, entry,
                                 created);
        if (rc == 0 && !quiet) {
            json_t *d = json_pack("{s:s}", "Key", key);
            if (vid)
                json_object_set_new(d, "VersionId", json_string(vid));
            if (entry && s3_version_is_marker(entry)) {
                json_object_set_new(d, "DeleteMarker", json_true());
                json_object_set(d, "DeleteMarkerVersionId", json_object_get(entry, "VersionId"));
            }
            json_array_append_new(deleted, d);
        }
        json_decref(entry);
    }
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0) {
        json_t *o = json_object();
        if (json_array_size(deleted))
            json_object_set(o, "Deleted", deleted);
        if (json_array_size(errors))
            json_object_set(o, "Errors", errors);
        *out = o;
    }
    json_decref(deleted);
    json_decref(errors);
    json_decref(bucket_doc);
    return rc;
}

/* --- tags ------------------------------------------------------------------------------- */

/*
 * The version a tagging request addresses, for reading (tx NULL) or
 * changing: *rec_out holds it, *version_out points into it.
 */
static int tagging_target(json_t **rec_out, int64_t *rec_version_out, json_t **version_out,
                          struct api_call *call, struct store_tx *tx, const char *bucket,
                          const char *key, const char *vid)
{
    json_t *rec;
    int rc = s3_object_load(&rec, rec_version_out, call->store, tx, bucket, key);
    if (rc < 0)
        return rc;
    json_t *v = vid ? s3_object_version_find(rec, vid, NULL) : s3_object_current(rec);
    if (vid && !v)
        rc = api_error(call, ERR_NOT_FOUND, "NoSuchVersion",
                       "The specified version does not exist.");
    else if (!v || (!vid && s3_version_is_marker(v)))
        rc = api_error(call, ERR_NOT_FOUND, "NoSuchKey", "The specified key does not exist.");
    else if (s3_version_is_marker(v))
        rc = s3_fail(call, ERR_INVALID, "MethodNotAllowed",
                     "The specified method is not allowed against this resource.");
    if (rc < 0) {
        json_decref(rec);
        return rc;
    }
    *rec_out = rec;
    *version_out = v;
    return 0;
}

/* Bucket, key, version id, authorization: what every tagging call starts with. */
static int tagging_start(json_t **bucket_doc_out, const char **key_out, struct api_call *call,
                         const json_t *in, const char *action, const char *version_action)
{
    const char *bucket = bucket_of(in), *vid = s3_str(in, "VersionId");
    int rc = s3_key_get(key_out, call, in);
    if (rc == 0 && vid)
        rc = s3_version_id_check(call, vid);
    if (rc == 0)
        rc = s3_object_bucket_get(bucket_doc_out, call, in);
    if (rc == 0 && (rc = s3_authorize(call, vid ? version_action : action, bucket, *key_out,
                                      *bucket_doc_out)) < 0) {
        json_decref(*bucket_doc_out);
        *bucket_doc_out = NULL;
    }
    return rc;
}

int s3_get_object_tagging(struct api_call *call, json_t *in, json_t **out)
{
    const char *key;
    json_t *bucket_doc = NULL, *rec = NULL, *version;
    int rc = tagging_start(&bucket_doc, &key, call, in, "s3:GetObjectTagging",
                           "s3:GetObjectVersionTagging");
    if (rc == 0)
        rc = tagging_target(&rec, NULL, &version, call, NULL, bucket_of(in), key,
                            s3_str(in, "VersionId"));
    if (rc == 0) {
        json_t *tags = json_object_get(version, "Tags");
        json_t *o = json_pack("{s:o}", "TagSet", tags ? s3_tagset_out(tags) : json_array());
        version_id_out(o, bucket_doc, version);
        *out = o;
    }
    json_decref(rec);
    json_decref(bucket_doc);
    return rc;
}

/* Replaces the tags of the addressed version (NULL tags: removes them). */
static int tags_replace(struct api_call *call, json_t *in, json_t **out, json_t *tags,
                        const char *action, const char *version_action)
{
    const char *key, *bucket = bucket_of(in), *vid = s3_str(in, "VersionId");
    json_t *bucket_doc = NULL, *rec = NULL, *version;
    int64_t rec_version = 0;
    int rc = tagging_start(&bucket_doc, &key, call, in, action, version_action);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    rc = store_tx_begin(&tx, call->store);
    if (rc == 0)
        rc = tagging_target(&rec, &rec_version, &version, call, tx, bucket, key, vid);
    if (rc == 0) {
        if (json_object_size(tags))
            json_object_set(version, "Tags", tags);
        else
            json_object_del(version, "Tags");
        rc = s3_object_save(call->store, tx, bucket, key, rec, rec_version);
    }
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0) {
        json_t *o = json_object();
        version_id_out(o, bucket_doc, version);
        *out = o;
    }
    json_decref(rec);
    json_decref(bucket_doc);
    return rc;
}

int s3_put_object_tagging(struct api_call *call, json_t *in, json_t **out)
{
    json_t *tags = NULL;
    int rc =
        s3_tagset_parse(&tags, call, json_object_get(json_object_get(in, "Tagging"), "TagSet"));
    if (rc < 0)
        return rc;
    rc = tags_replace(call, in, out, tags, "s3:PutObjectTagging", "s3:PutObjectVersionTagging");
    json_decref(tags);
    return rc;
}

int s3_delete_object_tagging(struct api_call *call, json_t *in, json_t **out)
{
    return tags_replace(call, in, out, NULL, "s3:DeleteObjectTagging",
                        "s3:DeleteObjectVersionTagging");
}
