#ifndef SLIPWAY_SERVICES_S3_S3_INTERNAL_H
#define SLIPWAY_SERVICES_S3_S3_INTERNAL_H

#include <jansson.h>

#include "aws/api.h"
#include "services/s3/s3.h"
#include "store/store.h"

/*
 * What the S3 service's files share. The records:
 *
 *   kind "s3.bucket"  scope "aws" (bucket names are global in a partition),
 *                     name = bucket name. JSON: Name, Owner (account id),
 *                     Region, CreationDate (ms), Versioning ("Enabled",
 *                     "Suspended" or absent), Tags {k: v}, Policy (text),
 *                     Lifecycle (rules as the model's JSON), Notification.
 *   kind "s3.object"  scope = bucket name, name = object key. JSON: the
 *                     key's versions, newest first; versions[0] is the
 *                     current one (possibly a delete marker). An unversioned
 *                     bucket keeps one version, VersionId "null".
 *   kind "s3.upload"  scope = bucket name, name = upload id: a multipart
 *                     upload in progress with its parts.
 *   kind "s3.blob"    scope "aws", name = blob digest: {"refs": N}, how many
 *                     object versions and parts use the blob; 0 makes it
 *                     garbage that s3_blob_gc_task() deletes.
 *
 * Object bytes are content-addressed blobs (store/blob.h): a version holds
 * its blob's digest, and a blob is written, synced and renamed into place
 * before the transaction that references it commits, so a version never
 * names bytes that are not on disk.
 *
 * Every change to records happens in one store transaction per request.
 */

#define S3_SCOPE        "aws"
#define S3_KIND_BUCKET  "s3.bucket"
#define S3_KIND_OBJECT  "s3.object"
#define S3_KIND_UPLOAD  "s3.upload"
#define S3_KIND_BLOB    "s3.blob"
#define S3_NULL_VERSION "null"

/* --- buckets (buckets.c) ------------------------------------------------ */

/*
 * Loads a bucket record: NoSuchBucket ("The specified bucket does not
 * exist") when absent. `version_out` may be NULL.
 */
int s3_bucket_get(json_t **bucket_out, int64_t *version_out, struct api_call *call,
                  struct store_tx *tx, const char *bucket);

/*
 * Authorizes `action` ("s3:GetObject") on the bucket (key NULL) or one of
 * its objects, with the bucket's policy as the resource policy and the
 * bucket owner as the resource account. `bucket_doc` may be NULL when the
 * bucket does not exist (then identity policies alone decide, as for
 * CreateBucket).
 */
int s3_authorize(struct api_call *call, const char *action, const char *bucket, const char *key,
                 const json_t *bucket_doc);

/* --- blobs (blob_refs.c) ------------------------------------------------ */

/* One more / one fewer reference to a blob, inside the caller's transaction. */
int s3_blob_ref(struct store *st, struct store_tx *tx, const char *digest);
int s3_blob_unref(struct store *st, struct store_tx *tx, const char *digest);

/* --- object records (objects engineer: objects.c, versions.c, multipart.c) --
 *
 * kind "s3.object", scope = bucket name, name = the key (UTF-8, 1..1024
 * bytes). Store name order is bytewise UTF-8 order, which is S3's listing
 * order. The body:
 *
 *   {"Versions": [<version>, ...]}
 *
 * newest first; Versions[0] is the current version (a delete marker when the
 * key is deleted in a versioned bucket; such keys are left out of
 * ListObjects/ListObjectsV2). The record is deleted when its last version
 * goes; it is never stored with an empty array. At most S3_VERSIONS_MAX
 * versions per key (the store's 8 MB record limit); past it a write is
 * refused with 503 SlowDown (AWS's own answer to keys with too many
 * versions) and a message saying why.
 *
 * A version (every member that is not marked optional is always present):
 *
 *   "VersionId"      "null" (unversioned or suspended writes) or a 32-char
 *                    id of [A-Za-z0-9._] ; unique within the key
 *   "LastModified"   int, epoch ms
 *   "Owner"          account id (12 digits) of the writer
 *   "DeleteMarker"   true on delete markers only (absent otherwise). A
 *                    delete marker has only VersionId, LastModified, Owner
 *                    and DeleteMarker.
 *   "ETag"           the ETag as S3 returns it, with its double quotes:
 *                    "\"<md5 hex>\"" for a single PUT / copy,
 *                    "\"<md5 hex of the parts' binary md5s>-<N>\"" for
 *                    multipart
 *   "Size"           int, bytes
 *   "Digest"         SHA-256 hex of the bytes: the blob (store/blob.h) that
 *                    holds them; the version holds one s3_blob_ref() on it
 *   "StorageClass"   "STANDARD" (or what the writer asked for; stored as
 *                    given, every class behaves as STANDARD)
 *   optional content headers, strings, absent when not given:
 *                    "ContentType", "ContentEncoding", "ContentDisposition",
 *                    "ContentLanguage", "CacheControl",
 *                    "WebsiteRedirectLocation"; and "Expires" (int, epoch ms)
 *   "Metadata"       optional {name: value}: user metadata, names lower case
 *                    without the "x-amz-meta-" prefix
 *   "Tags"           optional {key: value}, at most 10
 *   "Checksum"       optional {"Algorithm": "CRC32" | "CRC32C" | "CRC64NVME"
 *                    | "SHA1" | "SHA256", "Value": base64 as S3 returns it
 *                    (with "-<N>" for a composite one), "Type":
 *                    "FULL_OBJECT" | "COMPOSITE"}
 *   "PartsCount"     optional int: the object came from
 *                    CompleteMultipartUpload with this many parts
 *
 * kind "s3.upload", scope = bucket name, name = upload id (a random id of
 * [A-Za-z0-9._-], no '/'). The body: "UploadId", "Key", "Initiated" (ms),
 * "Owner" (account id), "Initiator" (the caller's ARN), "StorageClass", the
 * optional content headers, "Metadata" and "Tags" as a version has them,
 * optional "ChecksumAlgorithm" and "ChecksumType" (what Create asked for).
 *
 * kind "s3.part", scope = bucket name, name = "<upload id>/<part number as
 * 5 digits>" (so a prefix lists or deletes an upload's parts in order). The
 * body: "PartNumber", "LastModified" (ms), "ETag" (quoted md5 hex), "Size",
 * "Digest" (one s3_blob_ref() held), optional "Checksum" {"Algorithm",
 * "Value"}.
 *
 * kind "s3.blob_gc", scope "aws", name = digest, body {}: a blob whose refs
 * reached 0 (s3_blob_unref() adds it, s3_blob_ref() removes it), so the
 * collector finds garbage without scanning every blob record.
 */

#define S3_KIND_PART    "s3.part"
#define S3_KIND_BLOB_GC "s3.blob_gc"
/* Most versions (delete markers included) one key keeps. */
#define S3_VERSIONS_MAX 1000

/*
 * DeleteObject's effect inside the caller's transaction, for DeleteObject
 * itself and for lifecycle expiration. With `version_id` NULL: in a bucket
 * that never had versioning, removes the key's "null" version; with
 * versioning Enabled, adds a delete marker with a new id; Suspended, adds a
 * "null" delete marker replacing any "null" version. With `version_id`:
 * removes that version (or delete marker) for good. Removed versions'
 * blobs are s3_blob_unref()'d; the record goes when its last version does.
 *
 * `entry_out` (may be NULL) gets a copy of the version removed or the
 * delete marker created, or NULL when there was nothing to remove (S3
 * answers success then too); `marker_created_out` (may be NULL) says
 * whether a delete marker was created. Emits no event: the caller does,
 * with its own reason. `owner` is the account recorded on a new marker.
 */
int s3_object_delete_tx(json_t **entry_out, bool *marker_created_out, struct store *st,
                        struct store_tx *tx, const json_t *bucket_doc, const char *bucket,
                        const char *key, const char *version_id, const char *owner, int64_t now_ms);

/*
 * Aborts a multipart upload inside the caller's transaction: deletes the
 * upload record and its parts, s3_blob_unref()'ing each part's blob.
 * ERR_NOT_FOUND when there is no such upload.
 */
int s3_upload_abort_tx(struct store *st, struct store_tx *tx, const char *bucket,
                       const char *upload_id);

/*
 * S3's Owner structure for an account: {"ID": <canonical id, 64 hex: the
 * SHA-256 of the account id>, "DisplayName": <account id>}. For every
 * Owner the service writes (objects, uploads, buckets), so they agree.
 */
json_t *s3_owner_new(const char *account_id);

/* --- lifecycle and events ----------------------------------------------- */

/*
 * Appends an S3 event ("Object Created", "Object Deleted") to the outbox in
 * the caller's transaction when the bucket's notification configuration
 * turns on EventBridge delivery; does nothing otherwise.
 */
int s3_event_emit(struct store *st, struct store_tx *tx, const char *region,
                  const json_t *bucket_doc, const char *detail_type, const char *key,
                  const json_t *version);

/* --- buckets side (buckets engineer: buckets.c, bucket_authz.c,
 * bucket_policy.c, bucket_lifecycle.c, bucket_events.c) -------------------
 *
 * More records:
 *
 *   kind "s3.owned_bucket"  scope = owner account id, name = bucket name:
 *                           {"CreationDate": ms, "Region": ...}, an index of
 *                           an account's buckets (ListBuckets, the bucket
 *                           quota), written with the bucket record.
 *   kind "s3.lifecycle"     scope "aws", name "cursor": where the lifecycle
 *                           task stopped when its batch ran out
 *                           {"Bucket", "Phase": "objects" | "uploads",
 *                           "After": key or upload id}.
 *
 * The bucket record (kind "s3.bucket", see above) in full: Name, Owner,
 * Region, CreationDate (ms); LocationConstraint (as CreateBucket gave it,
 * absent for us-east-1); ObjectOwnership; Versioning and MFADelete (absent
 * until set); Tags {k: v} (absent when none); Policy (the document text as
 * PutBucketPolicy received it); Lifecycle {"Rules": [...]} (the model's
 * LifecycleRule objects, an ID given to each rule that had none);
 * Notification (the model's NotificationConfiguration object; only
 * {"EventBridgeConfiguration": {}} can be stored, see docs/s3.md).
 *
 * Outbox events (s3_event_emit): the EventBridge event itself, as S3 sends
 * it to a bus: {"version": "0", "id", "detail-type", "source": "aws.s3",
 * "account", "time", "region", "resources", "detail"}.
 */

#define S3_KIND_OWNED_BUCKET "s3.owned_bucket"
#define S3_KIND_LIFECYCLE    "s3.lifecycle"
/* General purpose buckets per account (AWS's default quota). */
#define S3_BUCKETS_MAX 10000

/* Bucket names by S3's rules for general purpose buckets. */
bool s3_bucket_name_valid(const char *name);

/*
 * s3_authorize() with condition keys the operation supplies (s3:prefix,
 * s3:max-keys, s3:ExistingObjectTag/<key> ...), besides the ones every S3
 * request has: s3:authType, s3:signatureversion, s3:x-amz-content-sha256,
 * s3:ResourceAccount (see docs/s3.md). `conditions` may be NULL.
 */
int s3_authorize_request(struct api_call *call, const char *action, const char *bucket,
                         const char *key, const json_t *bucket_doc,
                         const struct api_condition *conditions, size_t condition_count);

/*
 * The start of an operation on an existing bucket: loads the bucket
 * (NoSuchBucket), checks x-amz-expected-bucket-owner (ExpectedBucketOwner
 * in `in`; AccessDenied when it names another account) and authorizes
 * `action` on it. *bucket_out is the caller's on success.
 */
int s3_bucket_access(json_t **bucket_out, struct api_call *call, const json_t *in,
                     const char *action);

/*
 * Changes a bucket record in one transaction: reads it again there (it may
 * have changed since s3_bucket_access() read it), calls `change` on it and
 * writes it back. `change` returns 0 or an error (api_error()).
 */
typedef int (*s3_bucket_change_fn)(struct api_call *call, json_t *bucket_doc, void *ctx);
int s3_bucket_update(struct api_call *call, const char *bucket, s3_bucket_change_fn change,
                     void *ctx);

/* The string member `name` of a record or params object, NULL when absent. */
const char *s3_bucket_str(const json_t *obj, const char *name);

/*
 * Who caused an event and why, for the "detail" of S3's EventBridge events.
 * NULL members are left out of the event, except `reason` and
 * `deletion_type`, which are then inferred: the version's "Reason" member
 * when it has one (how s3_event_emit() callers name it), else "PutObject"
 * for Object Created, "DeleteObject" for Object Deleted; "Delete Marker
 * Created" when the version is a delete marker, else "Permanently
 * Deleted" (so a caller removing a delete marker for good says so).
 */
struct s3_event_cause {
    const char *reason;        /* "PutObject", "CopyObject", "CompleteMultipartUpload",
                                  "DeleteObject", "Lifecycle Expiration" */
    const char *deletion_type; /* Object Deleted only */
    const char *request_id;
    const char *requester; /* the caller's account id, or "s3.amazonaws.com" */
    const char *source_ip;
};

/* The cause of a change a call makes: its request id, the caller's account
 * and address, and `reason`. The strings are borrowed from `call`. */
void s3_event_cause_of_call(struct s3_event_cause *out, const struct api_call *call,
                            const char *reason);

/*
 * s3_event_emit() with the event's cause (`cause` may be NULL). `version`
 * is the version created, removed, or the delete marker created: its
 * VersionId (left out when "null"), and for Object Created its Size and
 * ETag, go into the event.
 */
int s3_event_emit_cause(struct store *st, struct store_tx *tx, const char *region,
                        const json_t *bucket_doc, const char *detail_type, const char *key,
                        const json_t *version, const struct s3_event_cause *cause);

/* The handlers (the operation table in api.c). */
int s3_create_bucket(struct api_call *call, json_t *in, json_t **out);
int s3_delete_bucket(struct api_call *call, json_t *in, json_t **out);
int s3_head_bucket(struct api_call *call, json_t *in, json_t **out);
int s3_list_buckets(struct api_call *call, json_t *in, json_t **out);
int s3_get_bucket_location(struct api_call *call, json_t *in, json_t **out);
int s3_put_bucket_versioning(struct api_call *call, json_t *in, json_t **out);
int s3_get_bucket_versioning(struct api_call *call, json_t *in, json_t **out);
int s3_put_bucket_tagging(struct api_call *call, json_t *in, json_t **out);
int s3_get_bucket_tagging(struct api_call *call, json_t *in, json_t **out);
int s3_delete_bucket_tagging(struct api_call *call, json_t *in, json_t **out);
int s3_put_bucket_policy(struct api_call *call, json_t *in, json_t **out);
int s3_get_bucket_policy(struct api_call *call, json_t *in, json_t **out);
int s3_delete_bucket_policy(struct api_call *call, json_t *in, json_t **out);
int s3_put_bucket_lifecycle_configuration(struct api_call *call, json_t *in, json_t **out);
int s3_get_bucket_lifecycle_configuration(struct api_call *call, json_t *in, json_t **out);
int s3_delete_bucket_lifecycle(struct api_call *call, json_t *in, json_t **out);
int s3_put_bucket_notification_configuration(struct api_call *call, json_t *in, json_t **out);
int s3_get_bucket_notification_configuration(struct api_call *call, json_t *in, json_t **out);

/* --- end of the buckets side -------------------------------------------- */

#endif
