#ifndef SLIPWAY_SERVICES_CLOUDTRAIL_CLOUDTRAIL_H
#define SLIPWAY_SERVICES_CLOUDTRAIL_CLOUDTRAIL_H

#include <jansson.h>

#include "aws/api.h"
#include "base/buf.h"

/*
 * CloudTrail: every API call that reached authentication becomes an event
 * record (eventVersion 1.08), and LookupEvents (api.c) reads them back.
 * docs/cloudtrail.md records the behaviour decisions.
 *
 * The recorder (recorder.c) keeps the request path free of store writes:
 * the API route hands it a struct cloudtrail_call once a response is
 * made; it copies what it needs into a bounded in-memory queue, and a
 * background thread builds the records and appends them in batches (one
 * store transaction per batch, a few batch rows per scope, see below) to
 * the log-event store, under the scope
 * "cloudtrail/ACCOUNT/REGION", group and stream "events", which the
 * CloudWatch Logs API (scopes "ACCOUNT/REGION") never sees.
 */

struct store;
struct cloudtrail_recorder;

extern const struct api_service cloudtrail_api_service;

/* The log-event store coordinates of the records. */
#define CLOUDTRAIL_SCOPE_PREFIX "cloudtrail/"
#define CLOUDTRAIL_GROUP        "events"
#define CLOUDTRAIL_STREAM       "events"
#define CLOUDTRAIL_SCOPE_MAX    96
/* Days records are kept, as LookupEvents' 90-day event history. */
#define CLOUDTRAIL_RETENTION_DAYS 90

/* What redaction writes in place of a sensitive value or a blob. */
#define CLOUDTRAIL_HIDDEN "HIDDEN_DUE_TO_SECURITY_REASONS"
/* requestParameters / responseElements longer than this (as JSON text)
 * are recorded as null, with additionalEventData saying so. */
#define CLOUDTRAIL_ELEMENT_MAX (100 * 1024)

/*
 * Queue bounds. When either is reached, a new record is dropped (never
 * waited for) and counted; the writer logs the count. `weight` of a record
 * is its request body size plus a fixed overhead.
 */
#define CLOUDTRAIL_QUEUE_MAX       65536
#define CLOUDTRAIL_QUEUE_BYTES_MAX (64u * 1024 * 1024)
/* Records one store transaction appends at most. */
#define CLOUDTRAIL_BATCH_MAX 2000
/* How long the writer lets records gather before a batch smaller than
 * that (not when stopping, nor while a flush waits). */
#define CLOUDTRAIL_COALESCE_MS 10

/*
 * Batch rows. The writer stores records as few log events ("rows"), each
 * holding record lines "TIME_MS JSON" separated by '\n', sorted by time,
 * at most CLOUDTRAIL_ROW_BYTES_MAX bytes (the store's per-event limit),
 * with times no more than CLOUDTRAIL_ROW_SPAN_MS apart. A row is stamped
 * with its newest record's time, so a record of time t lies in a row
 * stamped t .. t + CLOUDTRAIL_ROW_SPAN_MS: a read for records in
 * [start, end) reads rows stamped in [start, end + CLOUDTRAIL_ROW_SPAN_MS)
 * and filters their records one by one.
 */
#define CLOUDTRAIL_ROW_BYTES_MAX (1024 * 1024)
#define CLOUDTRAIL_ROW_SPAN_MS   1000

/* One API call as the route saw it. Everything is borrowed for the call. */
struct cloudtrail_call {
    const struct model_service *service;
    const struct model_operation *op;
    /* The authenticated caller, NULL when authentication failed. */
    const struct principal *principal;
    /* The access key the request claimed (when no principal), or NULL. */
    const char *claimed_access_key_id;
    /* The account whose event history gets the record, and the region. */
    const char *account_id;
    const char *region;
    const char *source_ip;
    const char *user_agent; /* NULL when the request sent none */
    const char *request_id;
    int64_t time_ms;
    /* Decoded params and the handler's output; NULL when there are none.
     * The recorder takes its own references: neither may change after. */
    json_t *params;
    json_t *output;
    /* The wire error code and message, NULL on success. */
    const char *error_code;
    const char *error_message;
    /* Size of the request body, which weighs the queue entry. */
    size_t body_len;
};

/*
 * True for operations whose name says they only read: the name starts
 * with Get, List, Describe, Head, Lookup, Search, BatchGet, Filter, Test,
 * Simulate or Query, followed by an upper-case letter or nothing.
 */
bool cloudtrail_read_only(const char *operation);

/*
 * True for data events (S3 object-level operations), which AWS records
 * only for trails that select them: they are not recorded.
 */
bool cloudtrail_data_event(const struct model_service *svc, const struct model_operation *op);

/*
 * The record of `call` as JSON text (one line), with event id `event_id`.
 * Sensitive and blob members are redacted by the operation's shapes.
 */
void cloudtrail_record_text(struct buf *out, const struct cloudtrail_call *call,
                            const char *event_id);

/* One record line of a batch row; `json` points into the row. */
struct cloudtrail_line {
    int64_t time_ms;
    const char *json;
    size_t len;
};

/*
 * Splits batch row `message` (stamped `row_ms`) into its record lines, in
 * the row's (time) order, into *lines (grown as needed, *cap its size; the
 * caller frees it). A line without a time prefix gets `row_ms`. Returns
 * the count.
 */
size_t cloudtrail_row_split(struct cloudtrail_line **lines, size_t *cap, int64_t row_ms,
                            const char *message, size_t len);

/* "cloudtrail/ACCOUNT/REGION". */
void cloudtrail_scope(char out[CLOUDTRAIL_SCOPE_MAX], const char *account_id, const char *region);

/* Starts the writer thread. The store must outlive the recorder. */
int cloudtrail_recorder_new(struct cloudtrail_recorder **out, struct store *store);

/* Queues the record of a call; never blocks on the store (see above). */
void cloudtrail_record(struct cloudtrail_recorder *rec, const struct cloudtrail_call *call);

/* Waits until every record queued before the call is written (or failed),
 * at most `timeout_ms`. Returns 0, or ERR_TIMEOUT. */
int cloudtrail_recorder_flush(struct cloudtrail_recorder *rec, int64_t timeout_ms);

/* Records dropped because the queue was full, or lost to store errors. */
uint64_t cloudtrail_recorder_dropped(const struct cloudtrail_recorder *rec);

/* Writes everything queued, stops the thread and frees. Accepts NULL. */
void cloudtrail_recorder_free(struct cloudtrail_recorder *rec);

/* The recorder LookupEvents flushes before it reads, so a caller sees its
 * own calls; NULL (the default) when recording is off. */
void cloudtrail_set_recorder(struct cloudtrail_recorder *rec);
struct cloudtrail_recorder *cloudtrail_recorder_get(void);

#endif
