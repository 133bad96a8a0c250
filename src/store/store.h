#ifndef SLIPWAY_STORE_STORE_H
#define SLIPWAY_STORE_STORE_H

#include "base/common.h"

/*
 * The state store: every record slipway keeps, behind one interface with
 * interchangeable backends (store_backend.h). The embedded default is SQLite
 * in `<dir>/state.db`; a PostgreSQL backend can take its place without any
 * caller changing.
 *
 * Three things live here:
 *
 *   documents  JSON records keyed by (kind, scope, name), with a version
 *              counter for optimistic concurrency. Every AWS resource is one:
 *              kind "iam.user", scope "000000000000" (an account) or
 *              "000000000000/us-east-1" (an account and region), name unique
 *              within the scope.
 *   jobs       a durable queue with leases: all long work (builds, pipeline
 *              actions, deployments, deliveries) is a job a worker claims.
 *   outbox     events written in the same transaction as the state change
 *              that caused them, delivered afterwards.
 *
 * Transactions. Every operation takes a `struct store_tx *` or NULL. With
 * NULL the operation commits on its own; with a transaction it joins it, so
 * a handler can make several changes atomically:
 *
 *     _cleanup_store_tx_ struct store_tx *tx = NULL;
 *     if ((r = store_tx_begin(&tx, st)) < 0)
 *         return r;
 *     if ((r = store_doc_insert(NULL, st, tx, "iam.user", acct, name, user, n)) < 0)
 *         return r;                       (the cleanup rolls back)
 *     if ((r = store_doc_insert(NULL, st, tx, "iam.access_key", acct, id, key, m)) < 0)
 *         return r;
 *     return store_tx_commit(TAKE_PTR(tx));
 *
 * A transaction is serializable: no other writer commits between its first
 * statement and its commit, so "count the role's policies, then delete the
 * role if there are none" is safe inside one. Keep transactions short: the
 * SQLite backend admits one writing transaction at a time.
 *
 * An operation that fails inside a transaction leaves the transaction as it
 * was before that operation (an ERR_EXISTS from store_doc_insert() can be
 * handled and the transaction continued), unless the failure was I/O, in
 * which case the transaction is rolled back and every later call on it,
 * including store_tx_commit(), fails.
 *
 * Threads. A `struct store` may be used from any number of threads at once.
 * A `struct store_tx` belongs to one thread at a time (it may move between
 * threads, e.g. across a suspended HTTP request). A thread that holds a
 * transaction must not write through NULL (autocommit) on the same store
 * meanwhile: that waits for its own transaction and fails with ERR_TIMEOUT.
 *
 * Errors: every function returns 0 or a negative `enum err_kind` with
 * err_msg() set. ERR_TIMEOUT means the database stayed busy for the busy
 * timeout; ERR_IO a failure of the database itself.
 *
 * Strings passed in are borrowed for the call. Strings handed out in result
 * structs are owned by the struct and freed by its _release function.
 */

struct store;
struct store_tx;

/* How hard a commit is pushed to disk before it is acknowledged. */
enum store_sync {
    /* Survives kill -9 and power loss: one WAL fsync per commit. */
    STORE_SYNC_FULL = 0,
    /* Survives kill -9; the last commits may be lost on power loss. For
     * disposable test stacks where commit latency matters more. */
    STORE_SYNC_NORMAL,
};

struct store_options {
    /* Database connections kept for concurrent callers; 0 means 32. A caller
     * finding all in use waits up to busy_timeout_ms. */
    unsigned max_connections;
    /* How long to wait for a busy database; 0 means 5000. */
    int busy_timeout_ms;
    enum store_sync sync;
};

/*
 * Opens (creating if needed, mode 0700) the data directory `dir` and the
 * store in it, applying pending schema migrations, one transaction each.
 * `opts` may be NULL for defaults. Fails with ERR_UNSUPPORTED when the
 * database was written by a newer slipway than this one.
 */
int store_open(struct store **out, const char *dir, const struct store_options *opts);
/* Closes the store. Every transaction must have ended. Accepts NULL. */
void store_free(struct store *s);

/* "sqlite", ... */
const char *store_backend_name(const struct store *s);
/* The schema version the database is at. */
int store_schema_version(int *version_out, struct store *s);
/* The newest schema version this binary knows. */
int store_schema_latest(const struct store *s);
/*
 * Checks the database's internal consistency (SQLite: integrity_check and
 * foreign_key_check). Returns 0 when sound, ERR_INTERNAL with the first
 * problem in err_msg() when not.
 */
int store_integrity_check(struct store *s);

/* --- Transactions ------------------------------------------------------ */

/* Begins a writing transaction, waiting up to the busy timeout for it. */
int store_tx_begin(struct store_tx **out, struct store *s);
/*
 * Commits and frees `tx`, on failure too (the changes are then rolled
 * back). Returns 0 only when the changes are durable per the sync option.
 */
int store_tx_commit(struct store_tx *tx);
/* Rolls back and frees `tx`. Accepts NULL. */
void store_tx_rollback(struct store_tx *tx);

static inline void store_tx_rollbackp(struct store_tx **tx)
{
    store_tx_rollback(*tx);
}
/* A transaction variable rolled back at scope exit unless TAKE_PTR()'d. */
#define _cleanup_store_tx_ __attribute__((cleanup(store_tx_rollbackp)))

/* --- Documents --------------------------------------------------------- */

/*
 * Limits, in bytes. Kind, scope and name must be non-empty valid UTF-8 within
 * these; a body must be valid JSON text. Larger inputs fail with ERR_LIMIT,
 * malformed ones with ERR_INVALID.
 */
#define STORE_KIND_MAX  64
#define STORE_SCOPE_MAX 256
#define STORE_NAME_MAX  1024
#define STORE_BODY_MAX  (8 * 1024 * 1024)
/* Most documents one store_doc_list() call returns. */
#define STORE_LIST_MAX 1000

struct store_doc {
    char *name;
    /* JSON text, NUL-terminated (the terminator is not in body_len). */
    char *body;
    size_t body_len;
    /* 1 when created, one more on every change. */
    int64_t version;
    int64_t created_ms;
    int64_t updated_ms;
};
void store_doc_release(struct store_doc *doc);

/* ERR_NOT_FOUND when there is no such document. */
int store_doc_get(struct store_doc *out, struct store *s, struct store_tx *tx, const char *kind,
                  const char *scope, const char *name);

/*
 * Creates a document at version 1; ERR_EXISTS when the name is taken.
 * `version_out` may be NULL.
 */
int store_doc_insert(int64_t *version_out, struct store *s, struct store_tx *tx, const char *kind,
                     const char *scope, const char *name, const char *body, size_t body_len);

/*
 * Replaces a document's body if it is still at `expected_version` (what the
 * caller read): ERR_NOT_FOUND when absent, ERR_CONFLICT when someone else
 * changed it since. On success *version_out is the new version.
 */
int store_doc_update(int64_t *version_out, struct store *s, struct store_tx *tx, const char *kind,
                     const char *scope, const char *name, int64_t expected_version,
                     const char *body, size_t body_len);

/* Creates or replaces a document, whatever its version. */
int store_doc_upsert(int64_t *version_out, struct store *s, struct store_tx *tx, const char *kind,
                     const char *scope, const char *name, const char *body, size_t body_len);

/*
 * Deletes a document: ERR_NOT_FOUND when absent; with `expected_version`
 * non-zero, ERR_CONFLICT when it has changed since that version.
 */
int store_doc_delete(struct store *s, struct store_tx *tx, const char *kind, const char *scope,
                     const char *name, int64_t expected_version);

/*
 * Deletes every document of (kind, scope) whose name starts with `prefix`
 * (which must be non-empty) and reports how many; for children named
 * "<parent>/<child>" that go with their parent.
 */
int store_doc_delete_prefix(size_t *count_out, struct store *s, struct store_tx *tx,
                            const char *kind, const char *scope, const char *prefix);

struct store_doc_query {
    const char *kind;
    const char *scope;
    /* Only names starting with this; NULL or "" for all. */
    const char *prefix;
    /* Only names after this one (the last name of the previous page); NULL
     * to start at the beginning. */
    const char *after;
    /* Most documents to return; 0 or more than STORE_LIST_MAX means
     * STORE_LIST_MAX. */
    size_t limit;
};

struct store_doc_page {
    /* In name order (bytewise). */
    struct store_doc *items;
    size_t len;
    /* More documents follow; pass items[len - 1].name as the next `after`. */
    bool more;
};
void store_doc_page_release(struct store_doc_page *page);

int store_doc_list(struct store_doc_page *out, struct store *s, struct store_tx *tx,
                   const struct store_doc_query *query);

/* Documents of (kind, scope) whose name starts with `prefix` (NULL: all). */
int store_doc_count(size_t *count_out, struct store *s, struct store_tx *tx, const char *kind,
                    const char *scope, const char *prefix);

/* --- Jobs -------------------------------------------------------------- */

/*
 * A job is queued until a worker claims it, running while the worker holds
 * its lease, and ends done (completed) or dead (failed for good). A claim
 * hands out a lease token; renew, complete and fail must present it, so a
 * worker whose lease expired and was reclaimed cannot touch the job again
 * (ERR_CONFLICT), even after another worker claimed it.
 *
 * A lease past its expiry still belongs to its holder until
 * store_job_reclaim() runs, which requeues expired jobs (or buries them once
 * their attempts are used up). Someone must call it periodically and at
 * start-up.
 */

#define STORE_JOB_KIND_MAX    64
#define STORE_JOB_KEY_MAX     512
#define STORE_WORKER_MAX      256
#define STORE_JOB_KINDS_MAX   64
#define STORE_JOB_ERROR_MAX   4096
#define STORE_PAYLOAD_MAX     (1024 * 1024)
#define STORE_LEASE_TOKEN_LEN 32
/* store_job_fail(): do not retry. */
#define STORE_JOB_GIVE_UP (-1)

enum store_job_state {
    STORE_JOB_QUEUED,
    STORE_JOB_RUNNING,
    STORE_JOB_DONE,
    STORE_JOB_DEAD,
};
/* "queued", "running", "done", "dead". */
const char *store_job_state_name(enum store_job_state state);

struct store_job_spec {
    const char *kind;
    /* JSON text; NULL for "{}". */
    const char *payload;
    size_t payload_len;
    /* Not claimable before this time; 0 for now. */
    int64_t run_after_ms;
    /*
     * NULL, or a key naming the work: while a job with the same key is still
     * queued (not yet claimed), enqueueing again adds nothing and returns
     * that job (moved earlier if this one was due sooner). A job already
     * running does not absorb new requests, because it may have read the
     * state they are about.
     */
    const char *dedup_key;
    /* Claims allowed before a failure or an expired lease buries the job;
     * 0 for no limit. */
    int max_attempts;
};

struct store_job {
    int64_t id;
    char *kind;
    char *payload;
    size_t payload_len;
    char *dedup_key;
    enum store_job_state state;
    /* Claims so far, this one included. */
    int attempts;
    int max_attempts;
    int64_t run_after_ms;
    /* The worker that holds or last held the job; NULL if never claimed. */
    char *worker;
    /* While running: the lease token and when it expires; "" and 0 else. */
    char lease_token[STORE_LEASE_TOKEN_LEN + 1];
    int64_t lease_expires_ms;
    /* Why the last attempt failed; NULL if none did. */
    char *last_error;
    int64_t created_ms;
    int64_t updated_ms;
};
void store_job_release(struct store_job *job);

/*
 * Adds a job and returns its id; `coalesced_out` (may be NULL) says whether
 * a queued job with the same dedup key absorbed it, the id being that job's.
 */
int store_job_enqueue(int64_t *id_out, bool *coalesced_out, struct store *s, struct store_tx *tx,
                      const struct store_job_spec *spec);

/*
 * Claims the due job (run_after <= now) that has waited longest, of one of
 * `kinds` (all kinds when kinds_len is 0), for `lease_ms`. ERR_NOT_FOUND
 * when none is due. Each job is claimed by one caller only.
 */
int store_job_claim(struct store_job *out, struct store *s, struct store_tx *tx, const char *worker,
                    const char *const *kinds, size_t kinds_len, int64_t lease_ms);

/* Extends a held lease to now + lease_ms. */
int store_job_renew(int64_t *expires_out, struct store *s, struct store_tx *tx, int64_t id,
                    const char *lease_token, int64_t lease_ms);

/*
 * Marks a held job done. Do it in the transaction that records the job's
 * outcome, so the outcome and the completion commit together.
 */
int store_job_complete(struct store *s, struct store_tx *tx, int64_t id, const char *lease_token);

/*
 * Records a failed attempt with `error` (truncated to STORE_JOB_ERROR_MAX):
 * requeues the job to run at `retry_at_ms`, or buries it (dead) when
 * retry_at_ms is STORE_JOB_GIVE_UP or its attempts are used up.
 */
int store_job_fail(struct store *s, struct store_tx *tx, int64_t id, const char *lease_token,
                   const char *error, int64_t retry_at_ms);

/*
 * Requeues every running job whose lease has expired (burying those out of
 * attempts) and reports how many it touched. A reclaimed job keeps its place
 * in the queue.
 */
int store_job_reclaim(size_t *count_out, struct store *s, struct store_tx *tx);

int store_job_get(struct store_job *out, struct store *s, struct store_tx *tx, int64_t id);

/* Jobs in `state`, of `kind` (NULL: any). */
int store_job_count(size_t *count_out, struct store *s, struct store_tx *tx, const char *kind,
                    enum store_job_state state);

/* Deletes done and dead jobs last changed before `before_ms`. */
int store_job_purge(size_t *count_out, struct store *s, struct store_tx *tx, int64_t before_ms);

/* --- Outbox ------------------------------------------------------------ */

/*
 * Events are appended in the transaction of the change that caused them and
 * numbered in commit order. A dispatcher fetches undelivered events, hands
 * each on (typically by enqueueing delivery jobs) and marks it delivered in
 * the same transaction; marking an event twice fails with ERR_CONFLICT, so
 * two racing dispatchers cannot both hand it on.
 */

struct store_event {
    int64_t seq;
    /* JSON text, NUL-terminated. */
    char *body;
    size_t body_len;
    int64_t created_ms;
};

struct store_event_batch {
    struct store_event *items;
    size_t len;
};
void store_event_batch_release(struct store_event_batch *batch);

/* Appends an event (JSON text, at most STORE_PAYLOAD_MAX bytes). */
int store_outbox_append(int64_t *seq_out, struct store *s, struct store_tx *tx, const char *body,
                        size_t body_len);

/* Up to `limit` undelivered events with seq > after_seq, in seq order; a
 * limit of 0 or more than STORE_LIST_MAX means STORE_LIST_MAX. */
int store_outbox_fetch(struct store_event_batch *out, struct store *s, struct store_tx *tx,
                       int64_t after_seq, size_t limit);

/* ERR_NOT_FOUND for an unknown seq, ERR_CONFLICT when already delivered. */
int store_outbox_mark_delivered(struct store *s, struct store_tx *tx, int64_t seq);

/* Deletes events delivered before `before_ms`. */
int store_outbox_purge(size_t *count_out, struct store *s, struct store_tx *tx, int64_t before_ms);

/* --- Log events -------------------------------------------------------- */

/*
 * Append-only event logs (CloudWatch Logs' storage). A scope (an account
 * and region, "000000000000/us-east-1") holds log groups; a group holds
 * streams; a stream holds events, each a timestamp, an ingestion time and
 * a message. Events live in a table of their own, indexed by stream and
 * by group, because one stream may hold millions of them; every append is
 * one transaction (or joins the caller's) that also updates the counters
 * of its stream and group.
 *
 * Only the event-bearing part of a group is kept here (its retention and
 * counters); what a service says about a group beyond that (tags, ARNs,
 * options) is the service's own document, created and deleted in the same
 * transaction as the group.
 *
 * Order and positions. Every event gets a store-wide id, larger than the
 * id of every event that exists when it is appended. Within a stream or a
 * group, events are ordered by (timestamp, id): a struct store_log_pos
 * names a place in that order, and a read continues strictly after it
 * (forward) or strictly before it (backward). The position {0, 0} lies
 * before every event.
 */

#define STORE_LOG_NAME_MAX    2048    /* group and stream names, bytes */
#define STORE_LOG_MESSAGE_MAX 1048576 /* one message, bytes */
#define STORE_LOG_BATCH_MAX   10000   /* events per append */
#define STORE_LOG_READ_MAX    10000   /* events per read */
/* Bytes counted for each event on top of its message by a read's
 * max_bytes (CloudWatch Logs counts 26). */
#define STORE_LOG_EVENT_OVERHEAD 26

struct store_log_pos {
    int64_t timestamp_ms;
    int64_t id;
};

struct store_log_group {
    int64_t created_ms;
    /* Days its events are kept; 0 for ever. */
    int retention_days;
    /* Message bytes and number of the events it holds. */
    int64_t stored_bytes;
    int64_t event_count;
};

/* ERR_EXISTS when the scope already has a group of that name. */
int store_log_group_create(struct store *s, struct store_tx *tx, const char *scope,
                           const char *group);
int store_log_group_get(struct store_log_group *out, struct store *s, struct store_tx *tx,
                        const char *scope, const char *group);
struct store_log_group_entry {
    char *name;
    struct store_log_group group;
};

struct store_log_group_page {
    /* In name order (bytewise), like documents. */
    struct store_log_group_entry *items;
    size_t len;
    bool more;
};
void store_log_group_page_release(struct store_log_group_page *page);

/*
 * A page of a scope's groups with their counters: names starting with
 * `prefix` (NULL or "": all), after `after` (NULL: from the start), at most
 * `limit` (0 or more than STORE_LIST_MAX means STORE_LIST_MAX).
 */
int store_log_group_list(struct store_log_group_page *out, struct store *s, struct store_tx *tx,
                         const char *scope, const char *prefix, const char *after, size_t limit);

/* Sets the days events of a group are kept (1..36500), 0 for ever. */
int store_log_group_set_retention(struct store *s, struct store_tx *tx, const char *scope,
                                  const char *group, int days);
/* Deletes a group with all its streams and events, atomically. */
int store_log_group_delete(struct store *s, struct store_tx *tx, const char *scope,
                           const char *group);

struct store_log_stream {
    char *name;
    int64_t created_ms;
    /* Earliest and latest event timestamps and the last ingestion time;
     * meaningful once event_count or upload_count is non-zero. */
    int64_t first_event_ms;
    int64_t last_event_ms;
    int64_t last_ingestion_ms;
    int64_t stored_bytes;
    int64_t event_count;
    /* Appends so far. */
    int64_t upload_count;
};
void store_log_stream_release(struct store_log_stream *stream);

/* ERR_NOT_FOUND without the group, ERR_EXISTS when the stream exists. */
int store_log_stream_create(struct store *s, struct store_tx *tx, const char *scope,
                            const char *group, const char *stream);
/* ERR_NOT_FOUND when the group or the stream is missing. */
int store_log_stream_get(struct store_log_stream *out, struct store *s, struct store_tx *tx,
                         const char *scope, const char *group, const char *stream);
/* Deletes a stream and its events, atomically. */
int store_log_stream_delete(struct store *s, struct store_tx *tx, const char *scope,
                            const char *group, const char *stream);

enum store_log_stream_order {
    STORE_LOG_BY_NAME,
    /* By last_event_ms (0 for a stream without events), then name. */
    STORE_LOG_BY_LAST_EVENT,
};

struct store_log_stream_query {
    const char *scope;
    const char *group;
    enum store_log_stream_order order;
    bool descending;
    /* STORE_LOG_BY_NAME only: names starting with this; NULL or "" for all. */
    const char *prefix;
    /* The last stream of the previous page (name and, by last event, its
     * last_event_ms as listed); NULL to start at the beginning. */
    const char *after_name;
    int64_t after_last_event_ms;
    /* Most streams returned; 0 or more than STORE_LIST_MAX means STORE_LIST_MAX. */
    size_t limit;
};

struct store_log_stream_page {
    struct store_log_stream *items;
    size_t len;
    bool more;
};
void store_log_stream_page_release(struct store_log_stream_page *page);

/* ERR_NOT_FOUND without the group. */
int store_log_stream_list(struct store_log_stream_page *out, struct store *s, struct store_tx *tx,
                          const struct store_log_stream_query *query);

struct store_log_input {
    int64_t timestamp_ms; /* >= 0 */
    const char *message;  /* valid UTF-8, at most STORE_LOG_MESSAGE_MAX bytes */
    size_t message_len;
};

/*
 * Appends `count` events (1..STORE_LOG_BATCH_MAX) to a stream, ingested
 * now, in one transaction with the update of the stream's and group's
 * counters. *upload_count_out (may be NULL) is the stream's upload count
 * after this append. ERR_NOT_FOUND when the group or stream is missing.
 */
int store_log_append(int64_t *upload_count_out, struct store *s, struct store_tx *tx,
                     const char *scope, const char *group, const char *stream,
                     const struct store_log_input *events, size_t count);

struct store_log_event {
    int64_t id;
    int64_t timestamp_ms;
    int64_t ingested_ms;
    /* The stream's name (group reads); points into the page. */
    const char *stream;
    /* Points into the page; NUL-terminated (not counted in message_len). */
    const char *message;
    size_t message_len;
};

/* Decides whether a read keeps an event; called in read order. */
typedef bool (*store_log_filter_fn)(void *ctx, const char *message, size_t len);

struct store_log_read_query {
    const char *scope;
    const char *group;
    /* One stream, or NULL to read the whole group in (timestamp, id) order. */
    const char *stream;
    /* Group reads only: keep events of these streams (NULL: any) ... */
    const char *const *streams;
    size_t stream_count;
    /* ... or of streams whose names start with this (NULL or "": any). */
    const char *stream_prefix;
    /* Events with start_ms <= timestamp < end_ms; end_ms 0 for no bound. */
    int64_t start_ms;
    int64_t end_ms;
    /* Continue strictly after (forward) or before (backward) this position. */
    struct store_log_pos from;
    bool backward;
    /* Most events kept, 1..STORE_LOG_READ_MAX (0 means the maximum). */
    size_t limit;
    /* Most bytes kept, each event counting message_len +
     * STORE_LOG_EVENT_OVERHEAD; 0 for no bound. The first event is always kept. */
    size_t max_bytes;
    /* Most events examined (kept or not); 0 for no bound. */
    size_t scan_max;
    /* NULL keeps every event. */
    store_log_filter_fn filter;
    void *filter_ctx;
};

struct store_log_page {
    /* Ascending (timestamp, id) order, also for backward reads. */
    struct store_log_event *items;
    size_t len;
    /* The read stopped (at a limit) before the end of its range. */
    bool more;
    /* The last position examined, in the read's direction: where to continue
     * from; `from` unchanged when nothing was examined. */
    struct store_log_pos last;
    /* Storage of the strings the items point to. */
    char *text;
};
void store_log_page_release(struct store_log_page *page);

/* ERR_NOT_FOUND when the group (or the stream of a stream read) is missing. */
int store_log_read(struct store_log_page *out, struct store *s, struct store_tx *tx,
                   const struct store_log_read_query *query);

/*
 * Deletes events older than their group's retention (timestamp earlier
 * than now_ms minus the retention), at most `limit` (1..STORE_LOG_BATCH_MAX),
 * the oldest of each group first, and updates the counters; *count_out is
 * how many went. Call again while it returns `limit`.
 */
int store_log_expire(size_t *count_out, struct store *s, struct store_tx *tx, int64_t now_ms,
                     size_t limit);

#endif
