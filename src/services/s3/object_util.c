#include "base/common.h"
#include "services/s3/s3_object.h"
#include "aws/proto_rest.h"
#include "base/alloc.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/jsonw.h"
#include "services/common/record.h"
#include "store/blob.h"

#include <fcntl.h>
#include <sys/stat.h>

const char *s3_str(const json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

/* --- errors ----------------------------------------------------------------- */

/* S3's codes whose status is not their kind's default. */
static const struct {
    const char *code;
    int status;
} s3_statuses[] = {
    {"InvalidRange", 416}, {"InvalidPartNumber", 416},  {"MethodNotAllowed", 405},
    {"NotModified", 304},  {"PreconditionFailed", 412}, {"ServiceUnavailable", 503},
    {"SlowDown", 503},
};

int s3_error_status(const char *code)
{
    for (size_t i = 0; i < ARRAY_SIZE(s3_statuses); i++)
        if (strcmp(s3_statuses[i].code, code) == 0)
            return s3_statuses[i].status;
    return 0;
}

int s3_fail(struct api_call *call, int kind, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    call->error_status = s3_error_status(code);
    return api_error(call, kind, code, "%s", msg);
}

/* --- keys and version ids ------------------------------------------------- */

/*
 * AWS refuses a key whose ".." segments climb above the bucket once the
 * request path is resolved ("../x", "a/../../x"): the path would name
 * another resource. Other dot segments and empty ones ("a/../b", "a//b",
 * "./x") are ordinary keys, stored as given.
 */
static bool key_escapes_bucket(const char *key, size_t len)
{
    long depth = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && key[i] != '/')
            continue;
        size_t seg = i - start;
        if (seg == 2 && key[start] == '.' && key[start + 1] == '.') {
            if (--depth < 0)
                return true;
        } else if (!(seg == 1 && key[start] == '.')) {
            depth++;
        }
        start = i + 1;
    }
    return false;
}

int s3_key_check(struct api_call *call, const char *key, size_t len)
{
    if (len == 0)
        return api_error(call, ERR_INVALID, "InvalidArgument", "The object key must not be empty");
    if (len > S3_KEY_MAX)
        return api_error(call, ERR_INVALID, "KeyTooLongError", "Your key is too long");
    if (memchr(key, '\0', len) || !utf8_valid(key, len))
        return api_error(call, ERR_INVALID, "InvalidURI", "Couldn't parse the specified URI.");
    if (key_escapes_bucket(key, len))
        return api_error(call, ERR_INVALID, "InvalidURI",
                         "Couldn't parse the specified URI: the key's '..' segments lead "
                         "outside the bucket");
    return 0;
}

int s3_key_get(const char **key_out, struct api_call *call, const json_t *in)
{
    json_t *v = json_object_get(in, "Key");
    const char *key = json_string_value(v);
    if (!key)
        return api_error(call, ERR_INVALID, "InvalidArgument", "The object key must not be empty");
    int rc = s3_key_check(call, key, json_string_length(v));
    if (rc == 0)
        *key_out = key;
    return rc;
}

static const char version_id_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";

void s3_version_id_new(char out[S3_VERSION_ID_LEN + 1])
{
    uint8_t raw[S3_VERSION_ID_LEN];
    random_bytes(raw, sizeof(raw));
    for (size_t i = 0; i < S3_VERSION_ID_LEN; i++)
        out[i] = version_id_chars[raw[i] % 64];
    out[S3_VERSION_ID_LEN] = '\0';
}

bool s3_version_id_valid(const char *id)
{
    if (strcmp(id, S3_NULL_VERSION) == 0)
        return true;
    if (strlen(id) != S3_VERSION_ID_LEN)
        return false;
    for (const char *p = id; *p; p++)
        if (!strchr(version_id_chars, *p))
            return false;
    return true;
}

int s3_version_id_check(struct api_call *call, const char *id)
{
    if (s3_version_id_valid(id))
        return 0;
    return api_error(call, ERR_INVALID, "InvalidArgument", "Invalid version id specified");
}

const char *s3_bucket_versioning(const json_t *bucket_doc)
{
    return s3_str(bucket_doc, "Versioning");
}

/* --- object records --------------------------------------------------------- */

int s3_object_load(json_t **rec_out, int64_t *version_out, struct store *st, struct store_tx *tx,
                   const char *bucket, const char *key)
{
    json_t *rec;
    int64_t version = 0;
    int rc = record_get(&rec, &version, st, tx, S3_KIND_OBJECT, bucket, key);
    if (rc == ERR_NOT_FOUND) {
        rec = json_pack("{s:[]}", "Versions");
        version = 0;
    } else if (rc < 0) {
        return rc;
    } else if (!json_is_array(json_object_get(rec, "Versions"))) {
        json_decref(rec);
        return err_set(ERR_INTERNAL, "object record '%s/%s' has no versions", bucket, key);
    }
    *rec_out = rec;
    if (version_out)
        *version_out = version;
    return 0;
}

int s3_object_save(struct store *st, struct store_tx *tx, const char *bucket, const char *key,
                   json_t *rec, int64_t version)
{
    if (json_array_size(s3_object_versions(rec)) == 0)
        return version > 0 ? store_doc_delete(st, tx, S3_KIND_OBJECT, bucket, key, version) : 0;
    if (version == 0)
        return record_insert(st, tx, S3_KIND_OBJECT, bucket, key, rec);
    return record_update(st, tx, S3_KIND_OBJECT, bucket, key, version, rec);
}

json_t *s3_object_versions(const json_t *rec)
{
    return json_object_get(rec, "Versions");
}

json_t *s3_object_current(const json_t *rec)
{
    return json_array_get(s3_object_versions(rec), 0);
}

json_t *s3_object_version_find(const json_t *rec, const char *id, size_t *index_out)
{
    json_t *versions = s3_object_versions(rec);
    size_t i;
    json_t *v;
    json_array_foreach(versions, i, v)
    {
        const char *vid = s3_str(v, "VersionId");
        if (vid && strcmp(vid, id) == 0) {
            if (index_out)
                *index_out = i;
            return v;
        }
    }
    return NULL;
}

bool s3_version_is_marker(const json_t *version)
{
    return json_is_true(json_object_get(version, "DeleteMarker"));
}

/* Moves every "null" version of `versions` to `removed`. */
static void take_null_versions(json_t *versions, json_t *removed)
{
    for (size_t i = 0; i < json_array_size(versions);) {
        json_t *v = json_array_get(versions, i);
        const char *vid = s3_str(v, "VersionId");
        if (vid && strcmp(vid, S3_NULL_VERSION) == 0) {
            json_array_append(removed, v);
            json_array_remove(versions, i);
        } else {
            i++;
        }
    }
}

int s3_object_add_version(struct api_call *call, json_t *rec, json_t *version,
                          const json_t *bucket_doc, json_t *removed)
{
    const char *versioning = s3_bucket_versioning(bucket_doc);
    json_t *versions = s3_object_versions(rec);
    if (versioning && strcmp(versioning, "Enabled") == 0) {
        if (json_array_size(versions) >= S3_VERSIONS_MAX)
            return s3_fail(call, ERR_LIMIT, "SlowDown",
                           "Please reduce your request rate: the key keeps %d versions, "
                           "slipway's limit for one key; delete old versions (or let a "
                           "lifecycle rule expire noncurrent versions) first",
                           S3_VERSIONS_MAX);
        char id[S3_VERSION_ID_LEN + 1];
        do
            s3_version_id_new(id);
        while (s3_object_version_find(rec, id, NULL));
        json_object_set_new(version, "VersionId", json_string(id));
    } else {
        json_object_set_new(version, "VersionId", json_string(S3_NULL_VERSION));
        if (versioning) {
            take_null_versions(versions, removed);
            if (json_array_size(versions) >= S3_VERSIONS_MAX)
                return s3_fail(call, ERR_LIMIT, "SlowDown",
                               "Please reduce your request rate: the key keeps %d versions, "
                               "slipway's limit for one key",
                               S3_VERSIONS_MAX);
        } else {
            /* Never versioned: the key has one version, which this replaces. */
            json_array_extend(removed, versions);
            json_array_clear(versions);
        }
    }
    json_array_insert(versions, 0, version);
    return 0;
}

int s3_versions_unref(struct store *st, struct store_tx *tx, const json_t *removed)
{
    size_t i;
    json_t *v;
    json_array_foreach(removed, i, v)
    {
        const char *digest = s3_str(v, "Digest");
        int rc;
        if (digest && (rc = s3_blob_unref(st, tx, digest)) < 0)
            return rc;
    }
    return 0;
}

int s3_blob_hold(struct api_call *call, struct store_tx *tx, const char *digest)
{
    int rc = s3_blob_ref(call->store, tx, digest);
    if (rc < 0)
        return rc;
    bool exists = false;
    if ((rc = blob_store_exists(&exists, call->blobs, digest)) < 0)
        return rc;
    if (!exists)
        return s3_fail(call, ERR_CONFLICT, "ServiceUnavailable",
                       "Please retry: the object's data was collected as garbage while it was "
                       "being stored (another copy of the same bytes was just deleted)");
    return 0;
}

void s3_blob_forget(struct store *st, const char *digest)
{
    struct store_tx *tx = NULL;
    if (store_tx_begin(&tx, st) < 0)
        return;
    /* A reference and its removal leave the count where it was, and a
     * blob at zero is queued for collection. */
    if (s3_blob_ref(st, tx, digest) < 0 || s3_blob_unref(st, tx, digest) < 0) {
        store_tx_rollback(tx);
        return;
    }
    store_tx_commit(tx);
}

int s3_object_event(struct api_call *call, struct store_tx *tx, const json_t *bucket_doc,
                    const char *detail_type, const char *reason, const char *key,
                    const json_t *version, bool marker_created)
{
    struct s3_event_cause cause;
    s3_event_cause_of_call(&cause, call, reason);
    if (strcmp(detail_type, S3_EVENT_DELETED) == 0)
        cause.deletion_type = marker_created ? "Delete Marker Created" : "Permanently Deleted";
    return s3_event_emit_cause(call->store, tx, call->region, bucket_doc, detail_type, key, version,
                               &cause);
}

int s3_object_bucket_get(json_t **bucket_out, struct api_call *call, const json_t *in)
{
    json_t *doc;
    int rc = s3_bucket_get(&doc, NULL, call, NULL, s3_str(in, "Bucket"));
    if (rc < 0)
        return rc;
    const char *expected = s3_str(in, "ExpectedBucketOwner");
    if (expected && strcmp(expected, s3_str(doc, "Owner") ?: "") != 0) {
        json_decref(doc);
        return api_error(call, ERR_DENIED, "AccessDenied", "Access Denied");
    }
    *bucket_out = doc;
    return 0;
}

json_t *s3_owner_new(const char *account_id)
{
    uint8_t digest[SHA256_LEN];
    char id[2 * SHA256_LEN + 1];
    sha256(digest, account_id, strlen(account_id));
    hex_encode(id, digest, SHA256_LEN);
    return json_pack("{s:s, s:s}", "DisplayName", account_id, "ID", id);
}

json_t *s3_owner_of(const json_t *record)
{
    const char *owner = s3_str(record, "Owner");
    return s3_owner_new(owner ? owner : "");
}

/* --- content headers, metadata, tags -------------------------------------------- */

const char *const s3_content_members[] = {
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "ContentType",
    "Expires",
    "WebsiteRedirectLocation",
    NULL,
};

int s3_version_set_content(struct api_call *call, json_t *version, const json_t *in)
{
    for (size_t i = 0; s3_content_members[i]; i++) {
        json_t *v = json_object_get(in, s3_content_members[i]);
        if (v && !json_is_null(v))
            json_object_set(version, s3_content_members[i], v);
    }
    json_t *meta = json_object_get(in, "Metadata");
    if (json_object_size(meta) == 0)
        return 0;
    size_t total = 0;
    const char *name;
    json_t *value;
    json_object_foreach(meta, name, value)
    {
        total += strlen(name) + json_string_length(value);
    }
    if (total > S3_METADATA_MAX)
        return api_error(call, ERR_INVALID, "MetadataTooLarge",
                         "Your metadata headers exceed the maximum allowed metadata size");
    json_object_set(version, "Metadata", meta);
    return 0;
}

/* Characters, not bytes: S3 counts tag lengths in Unicode characters. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

static int tag_add(struct api_call *call, json_t *tags, const char *key, size_t key_len,
                   const char *value, size_t value_len)
{
    if (key_len == 0 || !utf8_valid(key, key_len) || memchr(key, '\0', key_len))
        return api_error(call, ERR_INVALID, "InvalidTag",
                         "The TagKey you have provided is invalid");
    if (!utf8_valid(value, value_len) || memchr(value, '\0', value_len))
        return api_error(call, ERR_INVALID, "InvalidTag",
                         "The TagValue you have provided is invalid");
    _cleanup_free_ char *k = xasprintf("%.*s", (int)key_len, key);
    if (utf8_chars(k) > S3_TAG_KEY_MAX)
        return api_error(call, ERR_INVALID, "InvalidTag",
                         "The TagKey you have provided is too long, max %d", S3_TAG_KEY_MAX);
    json_t *v = json_stringn(value, value_len);
    if (utf8_chars(json_string_value(v)) > S3_TAG_VALUE_MAX) {
        json_decref(v);
        return api_error(call, ERR_INVALID, "InvalidTag",
                         "The TagValue you have provided is too long, max %d", S3_TAG_VALUE_MAX);
    }
    if (json_object_get(tags, k)) {
        json_decref(v);
        return api_error(call, ERR_INVALID, "InvalidTag",
                         "Cannot provide multiple Tags with the same key");
    }
    json_object_set_new(tags, k, v);
    if (json_object_size(tags) > S3_TAGS_MAX)
        return api_error(call, ERR_INVALID, "BadRequest", "Object tags cannot be greater than %d",
                         S3_TAGS_MAX);
    return 0;
}

int s3_tagging_parse(json_t **tags_out, struct api_call *call, const char *header)
{
    json_t *tags = json_object();
    const char *p = header;
    int rc = 0;
    while (rc == 0 && *p) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        struct buf k = BUF_INIT, v = BUF_INIT;
        if (rest_percent_decode(&k, p, klen, true) < 0 ||
            (eq && rest_percent_decode(&v, eq + 1, len - klen - 1, true) < 0))
            rc = api_error(call, ERR_INVALID, "InvalidArgument",
                           "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded "
                           "URL query parameters without tag name duplicates.");
        else if (len > 0)
            rc = tag_add(call, tags, k.data, k.len, v.data, v.len);
        buf_release(&k);
        buf_release(&v);
        p += len;
        if (*p == '&')
            p++;
    }
    if (rc < 0) {
        json_decref(tags);
        return rc;
    }
    *tags_out = tags;
    return 0;
}

int s3_tagset_parse(json_t **tags_out, struct api_call *call, const json_t *tagset)
{
    json_t *tags = json_object();
    size_t i;
    json_t *tag;
    json_array_foreach(tagset, i, tag)
    {
        json_t *k = json_object_get(tag, "Key"), *v = json_object_get(tag, "Value");
        const char *ks = json_string_value(k), *vs = json_string_value(v);
        int rc = tag_add(call, tags, ks ? ks : "", ks ? json_string_length(k) : 0, vs ? vs : "",
                         vs ? json_string_length(v) : 0);
        if (rc < 0) {
            json_decref(tags);
            return rc;
        }
    }
    *tags_out = tags;
    return 0;
}

json_t *s3_tagset_out(const json_t *tags)
{
    json_t *set = json_array();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)tags, k, v)
    {
        json_array_append_new(set, json_pack("{s:s, s:O}", "Key", k, "Value", v));
    }
    return set;
}

/* --- checksums --------------------------------------------------------------- */

static const struct {
    enum checksum_algorithm algorithm;
    const char *member;
} checksum_members[] = {
    {CHECKSUM_CRC32, "ChecksumCRC32"},         {CHECKSUM_CRC32C, "ChecksumCRC32C"},
    {CHECKSUM_CRC64NVME, "ChecksumCRC64NVME"}, {CHECKSUM_SHA1, "ChecksumSHA1"},
    {CHECKSUM_SHA256, "ChecksumSHA256"},
};

/* Members of algorithms the model knows and slipway does not compute. */
static const char *const unsupported_checksum_members[] = {
    "ChecksumMD5", "ChecksumSHA512", "ChecksumXXHASH64", "ChecksumXXHASH3", "ChecksumXXHASH128",
};

const char *s3_checksum_member(enum checksum_algorithm algorithm)
{
    for (size_t i = 0; i < ARRAY_SIZE(checksum_members); i++)
        if (checksum_members[i].algorithm == algorithm)
            return checksum_members[i].member;
    return NULL;
}

/* "crc32" for messages and header names. */
static void lower_name(char *out, size_t size, enum checksum_algorithm algorithm)
{
    snprintf(out, size, "%s", checksum_name(algorithm));
    for (char *p = out; *p; p++)
        *p = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
}

int s3_checksum_requested(enum checksum_algorithm *algorithm_out, const char **value_out,
                          struct api_call *call, const json_t *in)
{
    for (size_t i = 0; i < ARRAY_SIZE(unsupported_checksum_members); i++)
        if (json_object_get(in, unsupported_checksum_members[i]))
            return api_error(call, ERR_UNSUPPORTED, "NotImplemented",
                             "slipway does not compute the checksum '%s'; use CRC32, CRC32C, "
                             "CRC64NVME, SHA1 or SHA256",
                             unsupported_checksum_members[i] + strlen("Checksum"));
    enum checksum_algorithm found = 0;
    const char *value = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(checksum_members); i++) {
        const char *v = s3_str(in, checksum_members[i].member);
        if (!v)
            continue;
        if (found)
            return api_error(call, ERR_INVALID, "InvalidRequest",
                             "Expecting a single x-amz-checksum- header. Multiple checksum Types "
                             "are not allowed.");
        found = checksum_members[i].algorithm;
        value = v;
    }
    const char *named = s3_str(in, "ChecksumAlgorithm");
    if (named) {
        enum checksum_algorithm a;
        if (checksum_from_name(&a, named, strlen(named)) < 0 || !(a & S3_CHECKSUMS))
            return api_error(call, ERR_UNSUPPORTED, "NotImplemented",
                             "slipway does not compute the checksum '%s'; use CRC32, CRC32C, "
                             "CRC64NVME, SHA1 or SHA256",
                             named);
        if (found && found != a)
            return api_error(call, ERR_INVALID, "InvalidRequest",
                             "Value for x-amz-sdk-checksum-algorithm header is invalid.");
        found = a;
    }
    if (value) {
        struct buf raw = BUF_INIT;
        bool ok =
            base64_decode(&raw, value, strlen(value)) == 0 && raw.len == checksum_length(found);
        buf_release(&raw);
        if (!ok) {
            char lower[16];
            lower_name(lower, sizeof(lower), found);
            return api_error(call, ERR_INVALID, "InvalidRequest",
                             "Value for x-amz-checksum-%s header is invalid.", lower);
        }
    }
    *algorithm_out = found;
    *value_out = value;
    return 0;
}

int s3_blob_checksum(struct checksum_set *set, struct api_call *call, const char *digest,
                     uint64_t offset, uint64_t length)
{
    int fd = -1;
    int rc = blob_store_open_fd(&fd, NULL, call->blobs, digest);
    if (rc < 0)
        return rc;
    _cleanup_free_ char *chunk = xmalloc(1 << 20);
    while (length > 0) {
        size_t want = length < (1 << 20) ? (size_t)length : (1 << 20);
        ssize_t n = pread(fd, chunk, want, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? err_set_errno(ERR_IO, "cannot read blob '%s'", digest)
                       : err_set(ERR_INTERNAL, "blob '%s' is shorter than its record", digest);
            break;
        }
        checksum_set_update(set, chunk, (size_t)n);
        offset += (uint64_t)n;
        length -= (uint64_t)n;
    }
    close(fd);
    if (rc == 0)
        checksum_set_finish(set);
    return rc;
}

void s3_checksum_out(json_t *out, const json_t *checksum, bool with_type)
{
    const char *alg = s3_str(checksum, "Algorithm"), *value = s3_str(checksum, "Value");
    enum checksum_algorithm a;
    if (!alg || !value || checksum_from_name(&a, alg, strlen(alg)) < 0 || !s3_checksum_member(a))
        return;
    json_object_set_new(out, s3_checksum_member(a), json_string(value));
    const char *type = s3_str(checksum, "Type");
    if (with_type && type)
        json_object_set_new(out, "ChecksumType", json_string(type));
}

/* --- the streamed body ---------------------------------------------------------- */

int s3_upload_get(struct api_upload **upload_out, struct api_upload *owned, struct api_call *call,
                  const json_t *in)
{
    if (call->upload) {
        *upload_out = call->upload;
        return 0;
    }
    /* Not streamed: a body the decoder put in the params (in-process calls). */
    memset(owned, 0, sizeof(*owned));
    json_t *body = json_object_get(in, "Body");
    const char *data = json_string_value(body);
    size_t len = data ? json_string_length(body) : 0;
    enum checksum_algorithm alg = 0;
    const char *value;
    int rc = s3_checksum_requested(&alg, &value, call, in);
    if (rc < 0)
        return rc;
    if ((rc = blob_writer_begin(&owned->writer, call->blobs)) < 0)
        return rc;
    if ((len && (rc = blob_writer_write(owned->writer, data, len)) < 0) ||
        (rc = blob_writer_seal(owned->digest, owned->writer)) < 0) {
        blob_writer_abort(owned->writer);
        owned->writer = NULL;
        return rc;
    }
    owned->size = len;
    struct checksum_set *set = checksum_set_new(CHECKSUM_MD5 | alg);
    checksum_set_update(set, data ? data : "", len);
    checksum_set_finish(set);
    checksum_set_digest(set, CHECKSUM_MD5, owned->md5);
    if (alg) {
        struct buf b64 = BUF_INIT;
        checksum_set_base64(&b64, set, alg);
        snprintf(owned->checksum_algorithm, sizeof(owned->checksum_algorithm), "%s",
                 checksum_name(alg));
        snprintf(owned->checksum, sizeof(owned->checksum), "%s", b64.data);
        buf_release(&b64);
    }
    checksum_set_free(set);
    *upload_out = owned;
    return 0;
}

void s3_upload_release(struct api_upload *owned)
{
    blob_writer_abort(owned->writer);
    owned->writer = NULL;
}

int s3_upload_commit(struct api_call *call, struct api_upload *upload)
{
    (void)call;
    if (!upload->writer)
        return 0;
    char digest[BLOB_DIGEST_LEN + 1];
    int rc = blob_writer_commit(digest, upload->writer, upload->digest);
    upload->writer = NULL;
    return rc;
}

int s3_upload_verify(json_t **checksum_out, struct api_call *call, const json_t *in,
                     struct api_upload *upload, enum checksum_algorithm want)
{
    const char *md5 = s3_str(in, "ContentMD5");
    if (md5) {
        struct buf raw = BUF_INIT;
        bool valid = base64_decode(&raw, md5, strlen(md5)) == 0 && raw.len == MD5_LEN;
        bool same = valid && memcmp(raw.data, upload->md5, MD5_LEN) == 0;
        buf_release(&raw);
        if (!valid)
            return api_error(call, ERR_INVALID, "InvalidDigest",
                             "The Content-MD5 you specified is not valid.");
        if (!same)
            return api_error(call, ERR_INVALID, "BadDigest",
                             "The Content-MD5 you specified did not match what we received.");
    }

    enum checksum_algorithm alg;
    const char *value;
    int rc = s3_checksum_requested(&alg, &value, call, in);
    if (rc < 0)
        return rc;
    *checksum_out = NULL;
    if (want && alg && alg != want) {
        char expected[16], actual[16];
        lower_name(expected, sizeof(expected), want);
        lower_name(actual, sizeof(actual), alg);
        return api_error(call, ERR_INVALID, "InvalidRequest",
                         "Checksum Type mismatch occurred, expected checksum Type: %s, actual "
                         "checksum Type: %s",
                         expected, actual);
    }
    if (!alg)
        alg = want;
    if (!alg)
        return 0;
    struct buf computed = BUF_INIT;
    if (strcmp(upload->checksum_algorithm, checksum_name(alg)) == 0 && upload->checksum[0]) {
        buf_adds(&computed, upload->checksum);
    } else {
        /* The server hashed the body for another algorithm (or none): read
         * the bytes back once they are a blob. */
        struct checksum_set *set = checksum_set_new(alg);
        rc = s3_upload_commit(call, upload);
        if (rc == 0)
            rc = s3_blob_checksum(set, call, upload->digest, 0, upload->size);
        if (rc == 0)
            rc = checksum_set_base64(&computed, set, alg);
        checksum_set_free(set);
        if (rc < 0) {
            buf_release(&computed);
            return rc;
        }
    }
    if (value && strcmp(value, computed.data) != 0) {
        buf_release(&computed);
        if (!upload->writer) /* committed above to be read: nothing will use it */
            s3_blob_forget(call->store, upload->digest);
        return api_error(call, ERR_INVALID, "BadDigest",
                         "The %s you specified did not match the calculated checksum.",
                         checksum_name(alg));
    }
    *checksum_out =
        json_pack("{s:s, s:s}", "Algorithm", checksum_name(alg), "Value", computed.data);
    buf_release(&computed);
    return 0;
}

/* --- conditions and copy sources ---------------------------------------------------- */

bool s3_etag_matches(const char *header, const char *etag)
{
    /* Compare without the quotes, which clients may leave out. */
    const char *e = etag;
    size_t elen = strlen(e);
    if (elen >= 2 && e[0] == '"' && e[elen - 1] == '"') {
        e++;
        elen -= 2;
    }
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, ",");
        const char *item = p;
        size_t ilen = len;
        while (ilen > 0 && (item[ilen - 1] == ' ' || item[ilen - 1] == '\t'))
            ilen--;
        if (ilen >= 2 && strncmp(item, "W/", 2) == 0) {
            item += 2;
            ilen -= 2;
        }
        if (ilen >= 2 && item[0] == '"' && item[ilen - 1] == '"') {
            item++;
            ilen -= 2;
        }
        if ((ilen == 1 && item[0] == '*') || (ilen == elen && memcmp(item, e, elen) == 0))
            return true;
        p += len;
    }
    return false;
}

void s3_copy_source_release(struct s3_copy_source *src)
{
    free(src->bucket);
    free(src->key);
    free(src->version_id);
    memset(src, 0, sizeof(*src));
}

int s3_copy_source_parse(struct s3_copy_source *out, struct api_call *call, const char *header)
{
    memset(out, 0, sizeof(*out));
    const char *p = header;
    if (*p == '/')
        p++;
    const char *query = strchr(p, '?');
    size_t path_len = query ? (size_t)(query - p) : strlen(p);
    const char *slash = memchr(p, '/', path_len);
    if (!slash || slash == p || slash + 1 == p + path_len)
        return api_error(call, ERR_INVALID, "InvalidArgument", "Invalid copy source object key");
    struct buf bucket = BUF_INIT, key = BUF_INIT;
    int rc = 0;
    if (rest_percent_decode(&bucket, p, (size_t)(slash - p), false) < 0 ||
        rest_percent_decode(&key, slash + 1, path_len - (size_t)(slash - p) - 1, false) < 0)
        rc = api_error(call, ERR_INVALID, "InvalidArgument", "Invalid copy source encoding");
    if (rc == 0 && query) {
        static const char vid[] = "versionId=";
        if (strncmp(query + 1, vid, sizeof(vid) - 1) != 0) {
            rc = api_error(call, ERR_INVALID, "InvalidArgument",
                           "Invalid copy source: only the versionId parameter is allowed");
        } else {
            struct buf v = BUF_INIT;
            const char *value = query + sizeof(vid);
            if (rest_percent_decode(&v, value, strlen(value), true) < 0)
                rc =
                    api_error(call, ERR_INVALID, "InvalidArgument", "Invalid copy source encoding");
            else if (v.len == 0 || !s3_version_id_valid(v.data))
                rc =
                    api_error(call, ERR_INVALID, "InvalidArgument", "Invalid version id specified");
            else
                out->version_id = buf_detach(&v, NULL);
            buf_release(&v);
        }
    }
    if (rc == 0)
        rc = s3_key_check(call, key.data, key.len);
    if (rc == 0 && (bucket.len == 0 || memchr(bucket.data, '\0', bucket.len) ||
                    !utf8_valid(bucket.data, bucket.len) || bucket.len > 255))
        rc = api_error(call, ERR_INVALID, "InvalidArgument", "Invalid copy source bucket name");
    if (rc < 0) {
        buf_release(&bucket);
        buf_release(&key);
        s3_copy_source_release(out);
        return rc;
    }
    out->bucket = buf_detach(&bucket, NULL);
    out->key = buf_detach(&key, NULL);
    return 0;
}

/* x-amz-copy-source-if-*: every failure is a 412 for a copy. */
static int copy_conditions(struct api_call *call, const json_t *in, const json_t *version)
{
    const char *etag = s3_str(version, "ETag");
    int64_t modified_s = json_integer_value(json_object_get(version, "LastModified")) / 1000;
    const char *if_match = s3_str(in, "CopySourceIfMatch");
    const char *if_none = s3_str(in, "CopySourceIfNoneMatch");
    json_t *since = json_object_get(in, "CopySourceIfModifiedSince");
    json_t *unmodified = json_object_get(in, "CopySourceIfUnmodifiedSince");
    const char *failed = NULL;
    if (if_match) {
        if (!s3_etag_matches(if_match, etag))
            failed = "x-amz-copy-source-If-Match";
    } else if (unmodified && modified_s > json_integer_value(unmodified) / 1000) {
        failed = "x-amz-copy-source-If-Unmodified-Since";
    }
    if (!failed) {
        if (if_none) {
            if (s3_etag_matches(if_none, etag))
                failed = "x-amz-copy-source-If-None-Match";
        } else if (since && modified_s <= json_integer_value(since) / 1000) {
            failed = "x-amz-copy-source-If-Modified-Since";
        }
    }
    if (failed) {
        call->error_fields = json_pack("{s:s}", "Condition", failed);
        return s3_fail(call, ERR_CONFLICT, "PreconditionFailed",
                       "At least one of the pre-conditions you specified did not hold");
    }
    return 0;
}

int s3_copy_source_resolve(json_t **bucket_out, json_t **version_out, struct api_call *call,
                           const struct s3_copy_source *src, const json_t *in)
{
    json_t *bucket = NULL, *rec = NULL;
    int rc = s3_bucket_get(&bucket, NULL, call, NULL, src->bucket);
    if (rc < 0)
        return rc;
    const char *expected = s3_str(in, "ExpectedSourceBucketOwner");
    if (expected && strcmp(expected, s3_str(bucket, "Owner") ?: "") != 0) {
        json_decref(bucket);
        return api_error(call, ERR_DENIED, "AccessDenied", "Access Denied");
    }
    const char *action = src->version_id ? "s3:GetObjectVersion" : "s3:GetObject";
    if ((rc = s3_authorize(call, action, src->bucket, src->key, bucket)) < 0 ||
        (rc = s3_object_load(&rec, NULL, call->store, NULL, src->bucket, src->key)) < 0) {
        json_decref(bucket);
        return rc;
    }
    json_t *version = src->version_id ? s3_object_version_find(rec, src->version_id, NULL)
                                      : s3_object_current(rec);
    if (!version || (!src->version_id && s3_version_is_marker(version))) {
        rc = src->version_id && json_array_size(s3_object_versions(rec)) > 0
                 ? api_error(call, ERR_NOT_FOUND, "NoSuchVersion",
                             "The specified version does not exist.")
                 : api_error(call, ERR_NOT_FOUND, "NoSuchKey", "The specified key does not exist.");
    } else if (s3_version_is_marker(version)) {
        rc = api_error(call, ERR_INVALID, "InvalidRequest",
                       "The source of a copy request may not specifically refer to a delete "
                       "marker by version id.");
    } else {
        rc = copy_conditions(call, in, version);
    }
    if (rc == 0) {
        *bucket_out = bucket;
        *version_out = json_deep_copy(version);
    } else {
        json_decref(bucket);
    }
    json_decref(rec);
    return rc;
}

/* "bytes=first-last" with both ends, as x-amz-copy-source-range requires. */
int s3_copy_range_parse(uint64_t *first_out, uint64_t *last_out, struct api_call *call,
                        const char *range, uint64_t size)
{
    unsigned long long first, last;
    int consumed = 0;
    if (strncmp(range, "bytes=", 6) != 0 ||
        sscanf(range + 6, "%llu-%llu%n", &first, &last, &consumed) != 2 ||
        range[6 + consumed] != '\0' || first > last)
        return api_error(call, ERR_INVALID, "InvalidArgument",
                         "The x-amz-copy-source-range value must be of the form "
                         "bytes=first-last where first and last are the zero-based offsets of "
                         "the first and last bytes to copy");
    if (last >= size)
        return api_error(call, ERR_INVALID, "InvalidRange",
                         "The requested range is not satisfiable");
    *first_out = first;
    *last_out = last;
    return 0;
}

int s3_blob_copy_range(char digest_out[65], struct checksum_set *set, struct api_call *call,
                       const char *digest, uint64_t offset, uint64_t length)
{
    int fd = -1;
    int rc = blob_store_open_fd(&fd, NULL, call->blobs, digest);
    if (rc < 0)
        return rc;
    _cleanup_blob_writer_ struct blob_writer *w = NULL;
    if ((rc = blob_writer_begin(&w, call->blobs)) < 0) {
        close(fd);
        return rc;
    }
    _cleanup_free_ char *chunk = xmalloc(1 << 20);
    while (rc == 0 && length > 0) {
        size_t want = length < (1 << 20) ? (size_t)length : (1 << 20);
        ssize_t n = pread(fd, chunk, want, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? err_set_errno(ERR_IO, "cannot read blob '%s'", digest)
                       : err_set(ERR_INTERNAL, "blob '%s' is shorter than its record", digest);
            break;
        }
        if (set)
            checksum_set_update(set, chunk, (size_t)n);
        rc = blob_writer_write(w, chunk, (size_t)n);
        offset += (uint64_t)n;
        length -= (uint64_t)n;
    }
    close(fd);
    if (rc < 0)
        return rc;
    if (set)
        checksum_set_finish(set);
    return blob_writer_commit(digest_out, TAKE_PTR(w), NULL);
}
