#ifndef SLIPWAY_SERVICES_S3_S3_OBJECT_H
#define SLIPWAY_SERVICES_S3_S3_OBJECT_H

#include <jansson.h>

#include "base/buf.h"
#include "base/checksum.h"
#include "services/s3/s3_internal.h"

/*
 * The object side of S3: what objects.c, object_copy.c, object_list.c,
 * multipart.c and object_util.c share. The records are described in
 * s3_internal.h ("object records").
 */

/* S3's limits, as its documentation states them. */
#define S3_KEY_MAX         1024
#define S3_TAGS_MAX        10
#define S3_TAG_KEY_MAX     128  /* characters */
#define S3_TAG_VALUE_MAX   256  /* characters */
#define S3_METADATA_MAX    2048 /* bytes of user metadata names and values */
#define S3_PART_MIN        (5ULL * 1024 * 1024)
#define S3_PART_NUMBER_MAX 10000
#define S3_LIST_MAX        1000
#define S3_DELETE_MAX      1000
/* Multipart uploads in progress per bucket: ListMultipartUploads sorts them
 * in memory, so their number is bounded (slipway's limit, not AWS's). */
#define S3_UPLOADS_MAX 10000

#define S3_VERSION_ID_LEN 32
#define S3_UPLOAD_ID_LEN  64

/* --- handlers (the operation table in api.c) --------------------------- */

int s3_put_object(struct api_call *call, json_t *in, json_t **out);
int s3_get_object(struct api_call *call, json_t *in, json_t **out);
int s3_head_object(struct api_call *call, json_t *in, json_t **out);
int s3_delete_object(struct api_call *call, json_t *in, json_t **out);
int s3_delete_objects(struct api_call *call, json_t *in, json_t **out);
int s3_copy_object(struct api_call *call, json_t *in, json_t **out);
int s3_get_object_tagging(struct api_call *call, json_t *in, json_t **out);
int s3_put_object_tagging(struct api_call *call, json_t *in, json_t **out);
int s3_delete_object_tagging(struct api_call *call, json_t *in, json_t **out);
int s3_list_objects(struct api_call *call, json_t *in, json_t **out);
int s3_list_objects_v2(struct api_call *call, json_t *in, json_t **out);
int s3_list_object_versions(struct api_call *call, json_t *in, json_t **out);
int s3_create_multipart_upload(struct api_call *call, json_t *in, json_t **out);
int s3_upload_part(struct api_call *call, json_t *in, json_t **out);
int s3_upload_part_copy(struct api_call *call, json_t *in, json_t **out);
int s3_complete_multipart_upload(struct api_call *call, json_t *in, json_t **out);
int s3_abort_multipart_upload(struct api_call *call, json_t *in, json_t **out);
int s3_list_parts(struct api_call *call, json_t *in, json_t **out);
int s3_list_multipart_uploads(struct api_call *call, json_t *in, json_t **out);

/* --- helpers (object_util.c) -------------------------------------------- */

/* The string member `name` of `obj`, NULL when absent or not a string. */
const char *s3_str(const json_t *obj, const char *name);

/*
 * Fails the call with an S3 error whose HTTP status is not the one `kind`
 * maps to (304, 405, 412, 416, 503). s3_error_status() knows the status
 * S3 gives each such code; the server's error mapping has to take it from
 * there (until it does, these go out with the kind's status).
 */
int s3_fail(struct api_call *call, int kind, const char *code, const char *fmt, ...)
    PRINTF_LIKE(4, 5);
/* The HTTP status S3 answers `code` with, 0 when the kind's default fits. */
int s3_error_status(const char *code);

/* The request's Key, checked by S3's rules: 1..1024 bytes of UTF-8, no NUL. */
int s3_key_get(const char **key_out, struct api_call *call, const json_t *in);
int s3_key_check(struct api_call *call, const char *key, size_t len);

/* Version ids: "null" or S3_VERSION_ID_LEN characters of [A-Za-z0-9._]. */
void s3_version_id_new(char out[S3_VERSION_ID_LEN + 1]);
bool s3_version_id_valid(const char *id);
/* InvalidArgument "Invalid version id specified" unless valid. */
int s3_version_id_check(struct api_call *call, const char *id);

/* The bucket's versioning: "Enabled", "Suspended" or NULL (never enabled). */
const char *s3_bucket_versioning(const json_t *bucket_doc);

/*
 * The object record of `key` in (bucket), in `tx` (NULL: on its own). An
 * absent key gives {"Versions": []} at record version 0, so the caller can
 * add to it and s3_object_save() inserts it.
 */
int s3_object_load(json_t **rec_out, int64_t *version_out, struct store *st, struct store_tx *tx,
                   const char *bucket, const char *key);
/* Writes the record back (insert, update, or delete when no version is left);
 * ERR_LIMIT when it grew past the store's record limit. */
int s3_object_save(struct store *st, struct store_tx *tx, const char *bucket, const char *key,
                   json_t *rec, int64_t version);
json_t *s3_object_versions(const json_t *rec);
/* The current version (Versions[0]), NULL when none. */
json_t *s3_object_current(const json_t *rec);
/* The version with `id` and its index, NULL when none. */
json_t *s3_object_version_find(const json_t *rec, const char *id, size_t *index_out);
bool s3_version_is_marker(const json_t *version);

/*
 * Adds `version` (a new reference is taken) as the key's newest version per
 * the bucket's versioning: its VersionId is set here ("null" unless
 * versioning is Enabled), and what it replaces ("null" versions) is moved
 * to `removed` (an array the caller passes in, to unref afterwards). Fails
 * with SlowDown past S3_VERSIONS_MAX.
 */
int s3_object_add_version(struct api_call *call, json_t *rec, json_t *version,
                          const json_t *bucket_doc, json_t *removed);
/* s3_blob_unref() of every version in `removed` that has bytes. */
int s3_versions_unref(struct store *st, struct store_tx *tx, const json_t *removed);

/*
 * One more reference to the blob `digest` for a record being written in
 * `tx`, after making sure the blob is still on disk: a blob at zero
 * references may have been collected between its upload and this
 * transaction (see docs/s3.md, "Blobs"), and then the request fails with
 * a retryable 503 ServiceUnavailable instead of recording a version whose
 * bytes are gone.
 */
int s3_blob_hold(struct api_call *call, struct store_tx *tx, const char *digest);
/*
 * After a failure that left a committed blob unreferenced (the request's
 * transaction failed after its bytes were stored): records the blob as
 * garbage if nothing references it, best effort.
 */
void s3_blob_forget(struct store *st, const char *digest);

/*
 * Records `version` (its Digest committed as a blob already, or none) as
 * the key's newest version in `tx`: the write conditions of `in`
 * (If-Match / If-None-Match; `in` may be NULL), the version per the
 * bucket's versioning, its blob reference (s3_blob_hold), the unref of
 * what it replaces, the "Object Created" event with `reason`. On success
 * *stored_out is the version as stored (a new reference).
 */
int s3_object_record_tx(json_t **stored_out, struct api_call *call, struct store_tx *tx,
                        const json_t *bucket_doc, const char *bucket, const char *key,
                        json_t *version, const json_t *in, const char *reason);
/* The same in a transaction of its own (re-reading the bucket in it). */
int s3_object_record(json_t **stored_out, struct api_call *call, const char *bucket,
                     const char *key, json_t *version, const json_t *in, const char *reason);

/*
 * The bucket `in` names (NoSuchBucket), checked against
 * x-amz-expected-bucket-owner (AccessDenied when it names another account).
 */
int s3_object_bucket_get(json_t **bucket_out, struct api_call *call, const json_t *in);

/* Appends the event with its reason and, for a delete, whether it made a marker (the "reason" of
 * S3's event detail). */
int s3_object_event(struct api_call *call, struct store_tx *tx, const json_t *bucket_doc,
                    const char *detail_type, const char *reason, const char *key,
                    const json_t *version, bool marker_created);

/* --- metadata, tags, content headers ------------------------------------ */

/* The content headers a version keeps (ContentType ... WebsiteRedirectLocation). */
extern const char *const s3_content_members[];
/* Copies the content headers, Expires and Metadata of `in` into `version`;
 * MetadataTooLarge past S3_METADATA_MAX. */
int s3_version_set_content(struct api_call *call, json_t *version, const json_t *in);

/* Parses the x-amz-tagging header ("k1=v1&k2=v2", URL-encoded) into {k: v}. */
int s3_tagging_parse(json_t **tags_out, struct api_call *call, const char *header);
/* Checks a TagSet [{Key, Value}] and makes it {k: v}. */
int s3_tagset_parse(json_t **tags_out, struct api_call *call, const json_t *tagset);
/* {k: v} -> [{Key, Value}]. */
json_t *s3_tagset_out(const json_t *tags);

/* --- checksums ------------------------------------------------------------ */

/* The flexible checksum algorithms slipway computes. */
#define S3_CHECKSUMS                                                                               \
    (CHECKSUM_CRC32 | CHECKSUM_CRC32C | CHECKSUM_CRC64NVME | CHECKSUM_SHA1 | CHECKSUM_SHA256)

/* "ChecksumCRC32" ... : the member that carries an algorithm's value. */
const char *s3_checksum_member(enum checksum_algorithm algorithm);

/*
 * The flexible checksum a request carries (a ChecksumXXX member, from a
 * header or a trailer) and the algorithm it names (ChecksumAlgorithm):
 * *algorithm_out 0 and *value_out NULL when none. InvalidRequest for
 * several values at once, an algorithm that does not match the value, or a
 * value that is not the algorithm's length in base64; NotImplemented for
 * algorithms slipway does not compute (SHA512, MD5, XXHASH*).
 */
int s3_checksum_requested(enum checksum_algorithm *algorithm_out, const char **value_out,
                          struct api_call *call, const json_t *in);

/*
 * Checksums of a stored blob's bytes [offset, offset + length): the
 * algorithms of `set` are fed while the blob is read.
 */
int s3_blob_checksum(struct checksum_set *set, struct api_call *call, const char *digest,
                     uint64_t offset, uint64_t length);

/* Sets Checksum<Alg> and ChecksumType of `out` from a version's Checksum. */
void s3_checksum_out(json_t *out, const json_t *checksum, bool with_type);

/* --- the streamed body ---------------------------------------------------- */

/*
 * The request's body as an upload: call->upload when the server streamed
 * it, else one made here from the Body member (small bodies in tests and
 * in-process calls). `*owned_out` is set when this made it, to be released
 * with s3_upload_release().
 */
int s3_upload_get(struct api_upload **upload_out, struct api_upload *owned, struct api_call *call,
                  const json_t *in);
void s3_upload_release(struct api_upload *owned);

/*
 * Checks Content-MD5 and the flexible checksum a request sent against the
 * body received: InvalidDigest / BadDigest, InvalidRequest / BadDigest as S3
 * words them. *checksum_out gets {Algorithm, Value} of the checksum to
 * store (the one sent, or the algorithm named with the value computed), or
 * NULL when none. `want` (0 for none): the algorithm the caller needs
 * whatever the request sent (a multipart upload's), computed when the
 * request names none and refused when it names another.
 */
int s3_upload_verify(json_t **checksum_out, struct api_call *call, const json_t *in,
                     struct api_upload *upload, enum checksum_algorithm want);

/* Commits the upload's blob (its bytes become the blob named upload->digest). */
int s3_upload_commit(struct api_call *call, struct api_upload *upload);

/* --- conditions and copy sources ----------------------------------------- */

/* True when the If-Match style list `header` matches `etag` (quoted). */
bool s3_etag_matches(const char *header, const char *etag);

struct s3_copy_source {
    char *bucket;
    char *key;
    char *version_id; /* NULL when none */
};
/* Parses x-amz-copy-source: "[/]bucket/key[?versionId=id]", URL-encoded. */
int s3_copy_source_parse(struct s3_copy_source *out, struct api_call *call, const char *header);
void s3_copy_source_release(struct s3_copy_source *src);

/*
 * Resolves a copy source for reading: its bucket, the version (a copy),
 * authorization (s3:GetObject or s3:GetObjectVersion), the
 * x-amz-copy-source-if-* conditions of `in` (412 PreconditionFailed).
 */
int s3_copy_source_resolve(json_t **bucket_out, json_t **version_out, struct api_call *call,
                           const struct s3_copy_source *src, const json_t *in);

/* Parses "bytes=first-last" of x-amz-copy-source-range within `size`. */
int s3_copy_range_parse(uint64_t *first_out, uint64_t *last_out, struct api_call *call,
                        const char *range, uint64_t size);

/*
 * Copies bytes [offset, offset + length) of blob `digest` into a new blob,
 * feeding `set` (may be NULL) on the way; the new blob's digest goes to
 * digest_out. Streams; never holds the object in memory.
 */
int s3_blob_copy_range(char digest_out[65], struct checksum_set *set, struct api_call *call,
                       const char *digest, uint64_t offset, uint64_t length);

/* The Owner structure of a record's account id. */
json_t *s3_owner_of(const json_t *record);

/* The S3 event reason of lifecycle-style deletes and the like. */
#define S3_EVENT_CREATED "Object Created"
#define S3_EVENT_DELETED "Object Deleted"

#endif
