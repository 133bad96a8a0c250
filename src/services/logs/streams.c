#include "base/common.h"
#include "services/logs/logs_internal.h"
#include "base/alloc.h"
#include "base/err.h"

/* The 56-digit form AWS gives sequence tokens. */
static void sequence_token(char out[64], int64_t uploads)
{
    snprintf(out, 64, "%056" PRId64, uploads);
}

int logs_create_log_stream(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *group = logs_str(in, "logGroupName");
    const char *stream = logs_str(in, "logStreamName");
    int rc = logs_authorize_stream(call, group, stream);
    if (rc < 0)
        return rc;
    char scope[LOGS_SCOPE_MAX];
    logs_scope(scope, call);
    rc = store_log_stream_create(call->store, NULL, scope, group, stream);
    if (rc == ERR_EXISTS)
        return api_error(call, ERR_EXISTS, "ResourceAlreadyExistsException",
                         "The specified log stream already exists");
    return logs_not_found_as(call, rc, false);
}

int logs_delete_log_stream(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *group = logs_str(in, "logGroupName");
    const char *stream = logs_str(in, "logStreamName");
    int rc = logs_authorize_stream(call, group, stream);
    if (rc < 0)
        return rc;
    char scope[LOGS_SCOPE_MAX];
    logs_scope(scope, call);
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *rec = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0 ||
        (rc = logs_group_record(&rec, NULL, call, tx, group)) < 0)
        return rc;
    if (logs_bool(rec, "deletionProtectionEnabled"))
        rc = api_error(call, ERR_INVALID, "ValidationException",
                       "Cannot delete log stream %s because deletion protection is enabled on "
                       "log group %s",
                       stream, group);
    json_decref(rec);
    if (rc == 0 && (rc = store_log_stream_delete(call->store, tx, scope, group, stream)) == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    return logs_not_found_as(call, rc, true);
}

/* One stream as DescribeLogStreams shows it. */
static json_t *stream_out(struct api_call *call, const char *group,
                          const struct store_log_stream *s)
{
    struct buf arn = BUF_INIT;
    logs_stream_arn(&arn, call, group, s->name);
    json_t *o = json_pack("{s:s, s:I}", "logStreamName", s->name, "creationTime",
                          (json_int_t)s->created_ms);
    if (s->upload_count > 0) {
        char token[64];
        sequence_token(token, s->upload_count);
        json_object_set_new(o, "firstEventTimestamp", json_integer(s->first_event_ms));
        json_object_set_new(o, "lastEventTimestamp", json_integer(s->last_event_ms));
        json_object_set_new(o, "lastIngestionTime", json_integer(s->last_ingestion_ms));
        json_object_set_new(o, "uploadSequenceToken", json_string(token));
    }
    json_object_set_new(o, "arn", json_string(arn.data));
    /* AWS reports 0 for streams since 2019; groups carry the real figure. */
    json_object_set_new(o, "storedBytes", json_integer(0));
    buf_release(&arn);
    return o;
}

/*
 * A DescribeLogStreams nextToken carries the order it was made for and
 * the last stream of its page: "n:NAME" by name, "t:MS:NAME" by last
 * event time.
 */
static int stream_cursor(struct store_log_stream_query *q, char **storage, struct api_call *call,
                         const char *token)
{
    int rc = logs_token_decode(storage, call, token);
    if (rc < 0)
        return rc;
    const char *key = *storage;
    if (q->order == STORE_LOG_BY_NAME && strncmp(key, "n:", 2) == 0 && key[2]) {
        q->after_name = key + 2;
        return 0;
    }
    if (q->order == STORE_LOG_BY_LAST_EVENT && strncmp(key, "t:", 2) == 0) {
        char *end;
        errno = 0;
        long long ms = strtoll(key + 2, &end, 10);
        if (errno == 0 && end != key + 2 && *end == ':' && end[1]) {
            q->after_last_event_ms = ms;
            q->after_name = end + 1;
            return 0;
        }
    }
    return logs_invalid(call, "The specified nextToken is invalid.");
}

int logs_describe_log_streams(struct api_call *call, json_t *in, json_t **out)
{
    struct buf storage = BUF_INIT;
    const char *group;
    int rc = logs_group_param(&group, &storage, call, in);
    if (rc == 0)
        rc = logs_authorize_group(call, group);
    if (rc < 0) {
        buf_release(&storage);
        return rc;
    }

    char scope[LOGS_SCOPE_MAX];
    logs_scope(scope, call);
    const char *order = logs_str(in, "orderBy");
    const char *prefix = logs_str(in, "logStreamNamePrefix");
    struct store_log_stream_query q = {
        .scope = scope,
        .group = group,
        .order = order && strcmp(order, "LastEventTime") == 0 ? STORE_LOG_BY_LAST_EVENT
                                                              : STORE_LOG_BY_NAME,
        .descending = logs_bool(in, "descending"),
        .prefix = prefix,
    };
    char *cursor = NULL;
    const char *token = logs_str(in, "nextToken");
    if (q.order == STORE_LOG_BY_LAST_EVENT && prefix)
        rc = logs_invalid(call, "Cannot order by LastEventTime with a logStreamNamePrefix.");
    if (rc == 0)
        rc = logs_describe_limit(&q.limit, call, in);
    if (rc == 0 && token)
        rc = stream_cursor(&q, &cursor, call, token);

    struct store_log_stream_page page = {0};
    if (rc == 0)
        rc = logs_not_found_as(call, store_log_stream_list(&page, call->store, NULL, &q), false);
    if (rc == 0) {
        json_t *streams = json_array();
        for (size_t i = 0; i < page.len; i++)
            json_array_append_new(streams, stream_out(call, group, &page.items[i]));
        *out = json_pack("{s:o}", "logStreams", streams);
        if (page.more && page.len) {
            const struct store_log_stream *last = &page.items[page.len - 1];
            struct buf key = BUF_INIT, next = BUF_INIT;
            if (q.order == STORE_LOG_BY_NAME)
                buf_addf(&key, "n:%s", last->name);
            else
                buf_addf(&key, "t:%" PRId64 ":%s", last->last_event_ms, last->name);
            logs_token_encode(&next, key.data);
            json_object_set_new(*out, "nextToken", json_string(next.data));
            buf_release(&key);
            buf_release(&next);
        }
    }
    store_log_stream_page_release(&page);
    free(cursor);
    buf_release(&storage);
    return rc;
}
