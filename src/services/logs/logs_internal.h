#ifndef SLIPWAY_SERVICES_LOGS_LOGS_INTERNAL_H
#define SLIPWAY_SERVICES_LOGS_LOGS_INTERNAL_H

#include <jansson.h>

#include "aws/api.h"
#include "base/buf.h"
#include "store/store.h"

/*
 * Shared by the logs files only.
 *
 * A log group is two things created and deleted in one transaction: the
 * store's log group (events, streams, retention, counters) and a document
 * of kind LOGS_KIND_GROUP in the same scope, named after the group, with
 * what only the API knows: {logGroupName, creationTime, logGroupClass,
 * kmsKeyId?, deletionProtectionEnabled?, tags {}}. Streams live only in the
 * store. The scope of both is "ACCOUNT/REGION".
 */

#define LOGS_KIND_GROUP "logs.group"

/* AWS's limits. */
#define LOGS_BATCH_BYTES_MAX    1048576 /* PutLogEvents: messages + 26 bytes each */
#define LOGS_EVENT_BYTES_MAX    1048576 /* one event: message + 26 bytes */
#define LOGS_EVENT_OVERHEAD     26
#define LOGS_PAGE_BYTES_MAX     1048576 /* GetLogEvents / FilterLogEvents pages */
#define LOGS_EVENTS_LIMIT_MAX   10000
#define LOGS_DESCRIBE_LIMIT_MAX 50
#define LOGS_TAGS_MAX           50
#define LOGS_PAST_MAX_MS        (14LL * 24 * 3600 * 1000)
#define LOGS_FUTURE_MAX_MS      (2LL * 3600 * 1000)
#define LOGS_BATCH_SPAN_MAX_MS  (24LL * 3600 * 1000)
/* Events FilterLogEvents examines per call before it answers with a
 * nextToken (AWS too returns partial or empty pages). */
#define LOGS_FILTER_SCAN_MAX 100000

#define LOGS_SCOPE_MAX 96

/* "ACCOUNT/REGION": the store scope of the call's groups. */
void logs_scope(char out[LOGS_SCOPE_MAX], const struct api_call *call);

/* "arn:aws:logs:REGION:ACCOUNT:log-group:NAME", as logGroupArn and tagging name it. */
void logs_group_arn(struct buf *out, const struct api_call *call, const char *group);
/* "arn:aws:logs:REGION:ACCOUNT:log-group:NAME:log-stream:STREAM". */
void logs_stream_arn(struct buf *out, const struct api_call *call, const char *group,
                     const char *stream);

/*
 * Authorizes the call's own action on a group, with the resource AWS
 * evaluates for group-level actions, "arn:...:log-group:NAME:log-stream:"
 * (which policies grant as "log-group:NAME:*").
 */
int logs_authorize_group(struct api_call *call, const char *group);
/* ... on a stream: "arn:...:log-group:NAME:log-stream:STREAM". */
int logs_authorize_stream(struct api_call *call, const char *group, const char *stream);

/* InvalidParameterException with a message; returns ERR_INVALID. */
int logs_invalid(struct api_call *call, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* ResourceNotFoundException "The specified log group does not exist." */
int logs_group_not_found(struct api_call *call);
/* ResourceNotFoundException "The specified log stream does not exist." */
int logs_stream_not_found(struct api_call *call);
/* Maps a store ERR_NOT_FOUND to the group's (or, `stream_level`, the stream's)
 * not-found answer; other results pass through. */
int logs_not_found_as(struct api_call *call, int rc, bool stream_level);

/* A string member of a params object, or NULL. */
const char *logs_str(json_t *obj, const char *name);
/* An integer member, or `fallback` when absent. */
int64_t logs_int(json_t *obj, const char *name, int64_t fallback);
bool logs_bool(json_t *obj, const char *name);

/*
 * The group a call names with logGroupName or logGroupIdentifier (a name
 * or an ARN of the caller's account and region, with or without ":*"):
 * exactly one of them. *out points into `in` or into `storage`.
 */
int logs_group_param(const char **out, struct buf *storage, struct api_call *call, json_t *in);

/*
 * Reads a group's document (inside `tx`, which may be NULL):
 * ResourceNotFoundException when the group does not exist. `version` may be NULL.
 */
int logs_group_record(json_t **out, int64_t *version, struct api_call *call, struct store_tx *tx,
                      const char *group);

/*
 * Creates a group (its document `rec` and the store's group) inside `tx`:
 * ERR_EXISTS when it exists (no AWS error set).
 */
int logs_group_insert(struct store *st, struct store_tx *tx, const char *scope, const char *group,
                      json_t *rec);
/* A new group document with the defaults. */
json_t *logs_group_record_new(const char *group, int64_t now_ms);

/* Encodes and decodes DescribeLogGroups / DescribeLogStreams / FilterLogEvents
 * nextTokens: opaque text carrying `key`. Decoding fails with AWS's answer. */
void logs_token_encode(struct buf *out, const char *key);
int logs_token_decode(char **key_out, struct api_call *call, const char *token);

/* The limit a Describe* call asks for (1..50, 50 when absent). */
int logs_describe_limit(size_t *out, struct api_call *call, json_t *in);

/* Handlers, one per operation (or shared through the operation's ctx). */
int logs_create_log_group(struct api_call *call, json_t *in, json_t **out);
int logs_delete_log_group(struct api_call *call, json_t *in, json_t **out);
int logs_describe_log_groups(struct api_call *call, json_t *in, json_t **out);
int logs_put_retention_policy(struct api_call *call, json_t *in, json_t **out);
int logs_delete_retention_policy(struct api_call *call, json_t *in, json_t **out);
int logs_put_deletion_protection(struct api_call *call, json_t *in, json_t **out);
int logs_tag_resource(struct api_call *call, json_t *in, json_t **out);
int logs_untag_resource(struct api_call *call, json_t *in, json_t **out);
int logs_list_tags_for_resource(struct api_call *call, json_t *in, json_t **out);
int logs_tag_log_group(struct api_call *call, json_t *in, json_t **out);
int logs_untag_log_group(struct api_call *call, json_t *in, json_t **out);
int logs_list_tags_log_group(struct api_call *call, json_t *in, json_t **out);

int logs_create_log_stream(struct api_call *call, json_t *in, json_t **out);
int logs_delete_log_stream(struct api_call *call, json_t *in, json_t **out);
int logs_describe_log_streams(struct api_call *call, json_t *in, json_t **out);

int logs_put_log_events(struct api_call *call, json_t *in, json_t **out);
int logs_get_log_events(struct api_call *call, json_t *in, json_t **out);
int logs_filter_log_events(struct api_call *call, json_t *in, json_t **out);
int logs_test_metric_filter(struct api_call *call, json_t *in, json_t **out);

#endif
