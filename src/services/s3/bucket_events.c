#include "base/common.h"

#include <stdatomic.h>

#include "services/s3/s3_internal.h"
#include "base/clock.h"
#include "base/err.h"
#include "services/common/event.h"

/*
 * Bucket notifications. slipway delivers S3 events to EventBridge only:
 * an (empty) EventBridgeConfiguration element turns delivery on, and each
 * object change then appends the event S3 sends to EventBridge to the
 * outbox, in the transaction of the change. SNS, SQS and Lambda
 * destinations are refused when the configuration is stored, since nothing
 * could deliver to them (see docs/s3.md).
 */

/* ---- Put/GetBucketNotificationConfiguration ------------------------------ */

static const struct destination {
    const char *list; /* the configuration member */
    const char *arn;  /* the ARN member of its items */
    const char *what; /* for the message */
} destinations[] = {
    {"TopicConfigurations", "TopicArn", "SNS topics"},
    {"QueueConfigurations", "QueueArn", "SQS queues"},
    {"LambdaFunctionConfigurations", "LambdaFunctionArn", "Lambda functions"},
};

static int notification_change(struct api_call *call, json_t *doc, void *ctx)
{
    (void)call;
    json_t *stored = ctx;
    if (json_object_size(stored))
        json_object_set(doc, "Notification", stored);
    else
        json_object_del(doc, "Notification");
    return 0;
}

int s3_put_bucket_notification_configuration(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc;
    int rc = s3_bucket_access(&doc, call, in, "s3:PutBucketNotification");
    if (rc < 0)
        return rc;
    json_decref(doc);
    json_t *cfg = json_object_get(in, "NotificationConfiguration");
    for (size_t i = 0; i < ARRAY_SIZE(destinations); i++) {
        json_t *first = json_array_get(json_object_get(cfg, destinations[i].list), 0);
        if (first)
            return api_error(call, ERR_INVALID, "InvalidArgument",
                             "Unable to validate the following destination configurations: "
                             "%.512s: slipway cannot deliver to %s; use "
                             "EventBridgeConfiguration",
                             s3_bucket_str(first, destinations[i].arn) ?: "", destinations[i].what);
    }
    json_t *stored = json_object();
    if (json_is_object(json_object_get(cfg, "EventBridgeConfiguration")))
        json_object_set_new(stored, "EventBridgeConfiguration", json_object());
    rc = s3_bucket_update(call, s3_bucket_str(in, "Bucket"), notification_change, stored);
    json_decref(stored);
    return rc;
}

int s3_get_bucket_notification_configuration(struct api_call *call, json_t *in, json_t **out)
{
    json_t *doc;
    int rc = s3_bucket_access(&doc, call, in, "s3:GetBucketNotification");
    if (rc < 0)
        return rc;
    json_t *stored = json_object_get(doc, "Notification");
    *out = json_is_object(stored) ? json_deep_copy(stored) : json_object();
    json_decref(doc);
    return 0;
}

/* ---- events --------------------------------------------------------------- */

void s3_event_cause_of_call(struct s3_event_cause *out, const struct api_call *call,
                            const char *reason)
{
    *out = (struct s3_event_cause){
        .reason = reason,
        .request_id = call->request_id,
        .requester = call->principal ? call->principal->account_id : NULL,
        .source_ip = call->source_ip && call->source_ip[0] ? call->source_ip : NULL,
    };
}

/*
 * S3's sequencer orders the events of one key: hexadecimal, compared as
 * strings after padding. The time in ms with a per-process counter below
 * it keeps it increasing for a key whatever the clock's resolution.
 */
static void sequencer_new(char out[17], int64_t now_ms)
{
    static atomic_uint counter;
    uint64_t low = atomic_fetch_add(&counter, 1) & 0xffff;
    snprintf(out, 17, "%016" PRIX64, ((uint64_t)now_ms << 16) | low);
}

static void set_str(json_t *obj, const char *name, const char *value)
{
    if (value)
        json_object_set_new(obj, name, json_string(value));
}

static json_t *event_object(const char *detail_type, const char *key, const json_t *version,
                            int64_t now_ms)
{
    json_t *object = json_pack("{s:s}", "key", key);
    if (strcmp(detail_type, "Object Created") == 0) {
        json_t *size = json_object_get(version, "Size");
        if (json_is_integer(size))
            json_object_set(object, "size", size);
        /* EventBridge events carry the ETag without its quotes. */
        const char *etag = s3_bucket_str(version, "ETag");
        if (etag) {
            size_t len = strlen(etag);
            if (len >= 2 && etag[0] == '"' && etag[len - 1] == '"')
                json_object_set_new(object, "etag", json_stringn(etag + 1, len - 2));
            else
                json_object_set_new(object, "etag", json_string(etag));
        }
    }
    const char *version_id = s3_bucket_str(version, "VersionId");
    if (version_id && strcmp(version_id, S3_NULL_VERSION) != 0)
        set_str(object, "version-id", version_id);
    char sequencer[17];
    sequencer_new(sequencer, now_ms);
    set_str(object, "sequencer", sequencer);
    return object;
}

int s3_event_emit_cause(struct store *st, struct store_tx *tx, const char *region,
                        const json_t *bucket_doc, const char *detail_type, const char *key,
                        const json_t *version, const struct s3_event_cause *cause)
{
    json_t *notification = json_object_get(bucket_doc, "Notification");
    if (!json_is_object(json_object_get(notification, "EventBridgeConfiguration")))
        return 0;
    bool created = strcmp(detail_type, "Object Created") == 0;
    bool deleted = strcmp(detail_type, "Object Deleted") == 0;
    if (!created && !deleted)
        return err_set(ERR_INTERNAL, "unknown S3 event type '%s'", detail_type);

    const char *bucket = s3_bucket_str(bucket_doc, "Name") ?: "";
    int64_t now_ms = clock_now_ms();
    char arn[128];
    snprintf(arn, sizeof(arn), "arn:aws:s3:::%s", bucket);

    /* Without a cause, a "Reason" member of the version names it. */
    const char *reason = cause && cause->reason             ? cause->reason
                         : s3_bucket_str(version, "Reason") ? s3_bucket_str(version, "Reason")
                         : created                          ? "PutObject"
                                                            : "DeleteObject";
    json_t *detail =
        json_pack("{s:s, s:s, s:{s:s}, s:o}", "version", "0", "event-version", "1.0", "bucket",
                  "name", bucket, "object", event_object(detail_type, key, version, now_ms));
    if (cause) {
        set_str(detail, "request-id", cause->request_id);
        set_str(detail, "requester", cause->requester);
        set_str(detail, "source-ip-address", cause->source_ip);
    }
    set_str(detail, "reason", reason);
    if (deleted) {
        const char *deletion_type = cause && cause->deletion_type ? cause->deletion_type
                                    : json_is_true(json_object_get(version, "DeleteMarker"))
                                        ? "Delete Marker Created"
                                        : "Permanently Deleted";
        set_str(detail, "deletion-type", deletion_type);
    }
    const struct event_source src = {
        .source = "aws.s3",
        .detail_type = detail_type,
        .account = s3_bucket_str(bucket_doc, "Owner"),
        .region = s3_bucket_str(bucket_doc, "Region") ?: region,
    };
    return event_append(NULL, st, tx, &src, json_pack("[s]", arn), detail);
}

int s3_event_emit(struct store *st, struct store_tx *tx, const char *region,
                  const json_t *bucket_doc, const char *detail_type, const char *key,
                  const json_t *version)
{
    return s3_event_emit_cause(st, tx, region, bucket_doc, detail_type, key, version, NULL);
}
