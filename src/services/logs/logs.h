#ifndef SLIPWAY_SERVICES_LOGS_LOGS_H
#define SLIPWAY_SERVICES_LOGS_LOGS_H

#include "aws/api.h"

/*
 * CloudWatch Logs: log groups, streams and events, behind the logs API
 * (api.c) and, for other services, the append API below. docs/logs.md
 * records the behaviour decisions; the storage is the store's log tables
 * (store.h, "Log events") plus one document per group (kind "logs.group").
 */

struct store;

extern const struct api_service logs_api_service;

/* One event for logs_append(). The message is borrowed for the call. */
struct logs_event {
    int64_t timestamp_ms; /* Unix epoch milliseconds, >= 0 */
    const char *message;  /* UTF-8, may be empty */
    size_t message_len;
};

/* The most events one logs_append() takes, and the largest message. */
#define LOGS_APPEND_MAX  10000
#define LOGS_MESSAGE_MAX 1048576

/*
 * Appends `count` events to stream `stream` of log group `group` in an
 * account and region, for services that stream output while it happens
 * (the build runner, deployment agents). One call is one transaction: the
 * events and the stream's and group's counters commit together or not at
 * all, so a reader never sees half a batch. Batch the output (up to
 * LOGS_APPEND_MAX events a call) rather than calling once per line.
 *
 * With `create_missing`, a missing group (without retention or tags) and
 * stream are created in the same transaction; without, a missing one is
 * ERR_NOT_FOUND. Timestamps need not be in order (readers see events by
 * timestamp) and are not held to PutLogEvents' 14-day and 2-hour windows:
 * callers stamp events with the server's own clock.
 *
 * Returns 0, ERR_INVALID for a bad name or a message that is not UTF-8,
 * ERR_LIMIT for more than LOGS_APPEND_MAX events or a message longer than
 * LOGS_MESSAGE_MAX bytes, or a store error; err_msg() says which.
 */
int logs_append(struct store *st, const char *account_id, const char *region, const char *group,
                const char *stream, const struct logs_event *events, size_t count,
                bool create_missing);

/* Events one retention run deletes at most. */
#define LOGS_RETENTION_BATCH 10000

/*
 * A scheduler_task_fn (runtime/scheduler.h): deletes events older than
 * their group's retention at `now_ms`, at most LOGS_RETENTION_BATCH in one
 * transaction, and returns 1 when more wait, 0 when none do, or a negative
 * err kind. `store` is the struct store.
 */
int logs_retention_task(void *store, int64_t now_ms);

#endif
