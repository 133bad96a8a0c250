#include "base/common.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/jsonw.h"
#include "store/store.h"
#include "store/store_backend.h"

#include <pthread.h>
#include <sqlite3.h>

/*
 * The SQLite backend: the only file in slipway with SQL text.
 *
 * Connections. SQLite connections must not be used by two threads at once,
 * so the store keeps a pool: an operation without a transaction borrows a
 * connection for its duration, a transaction holds one from begin to end.
 * Connections are opened lazily up to max_connections, and each caches its
 * prepared statements (stmt_sql[] below) for its lifetime.
 *
 * Writers. SQLite admits one writer at a time and makes the others poll
 * with sleeps in its busy handler, which under load adds milliseconds of
 * latency to every contended write. Inside one process we instead queue
 * writers on a condition variable (the "writer slot"), so a waiting writer
 * starts the moment the previous one ends; SQLite's own busy timeout still
 * arbitrates between processes (a CLI command next to the server). The slot
 * is a flag, not a mutex held across the transaction, because a transaction
 * may end on a different thread than it began on.
 *
 * Every statement run by an operation is registered in its `struct op` and
 * reset by op_end() before the operation commits and its connection goes
 * back to the pool; every statement is finalised when its connection closes.
 */

/* Oldest SQLite with UPDATE ... RETURNING and built-in JSON functions. */
#define SQLITE_MIN_VERSION 3038000

#define DEFAULT_MAX_CONNECTIONS 32
#define DEFAULT_BUSY_TIMEOUT_MS 5000

/* --- Schema ------------------------------------------------------------ */

/*
 * Migrations, oldest first: step N brings the schema from version N-1 to N.
 * A step is never edited once released; a change is a new step. Each step
 * runs in its own transaction with the schema_version update.
 *
 * Documents are a rowid table with a unique key index rather than WITHOUT
 * ROWID: bodies can be megabytes, and SQLite stores large rows far better in
 * a rowid table. Bodies, payloads and events are checked as JSON by the
 * database itself, so no path can store malformed JSON. Job ids and event
 * sequence numbers use AUTOINCREMENT so that a number is never reused after
 * purging, which keeps a stale reference from ever naming a newer row.
 */
struct migration {
    int version;
    const char *sql;
};

static const struct migration migrations[] = {
    {1, "CREATE TABLE docs ("
        "  kind TEXT NOT NULL,"
        "  scope TEXT NOT NULL,"
        "  name TEXT NOT NULL,"
        "  body TEXT NOT NULL CHECK (json_valid(body)),"
        "  version INTEGER NOT NULL,"
        "  created_ms INTEGER NOT NULL,"
        "  updated_ms INTEGER NOT NULL"
        ");"
        "CREATE UNIQUE INDEX docs_key ON docs (kind, scope, name);"
        "CREATE TABLE jobs ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  kind TEXT NOT NULL,"
        "  payload TEXT NOT NULL CHECK (json_valid(payload)),"
        "  dedup_key TEXT,"
        "  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),"
        "  attempts INTEGER NOT NULL,"
        "  max_attempts INTEGER NOT NULL,"
        "  run_after_ms INTEGER NOT NULL,"
        "  worker TEXT,"
        "  lease_token TEXT,"
        "  lease_expires_ms INTEGER,"
        "  last_error TEXT,"
        "  created_ms INTEGER NOT NULL,"
        "  updated_ms INTEGER NOT NULL"
        ");"
        "CREATE INDEX jobs_due ON jobs (run_after_ms, id) WHERE state = 'queued';"
        "CREATE INDEX jobs_due_kind ON jobs (kind, run_after_ms, id) WHERE state = 'queued';"
        "CREATE INDEX jobs_lease ON jobs (lease_expires_ms) WHERE state = 'running';"
        "CREATE INDEX jobs_dedup ON jobs (dedup_key) WHERE state = 'queued';"
        "CREATE INDEX jobs_finished ON jobs (updated_ms) WHERE state IN ('done', 'dead');"
        "CREATE TABLE outbox ("
        "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  body TEXT NOT NULL CHECK (json_valid(body)),"
        "  created_ms INTEGER NOT NULL,"
        "  delivered_ms INTEGER"
        ");"
        "CREATE INDEX outbox_pending ON outbox (seq) WHERE delivered_ms IS NULL;"
        "CREATE INDEX outbox_delivered ON outbox (delivered_ms) WHERE delivered_ms IS NOT NULL;"},
    /*
     * Log events. An event row is small and written 10,000 at a time, so
     * it carries no foreign keys (a check per row would cost more than the
     * insert); the backend keeps events, streams and groups consistent by
     * changing them in one transaction. The two event indexes serve the two
     * read orders: a stream's events and a group's events, both by
     * (timestamp, id), the id being the rowid SQLite appends to each index
     * key. A stream's last_event_ms is 0 until it holds events, so that
     * ordering by it needs no NULL handling.
     */
    {2, "CREATE TABLE log_groups ("
        "  id INTEGER PRIMARY KEY,"
        "  scope TEXT NOT NULL,"
        "  name TEXT NOT NULL,"
        "  created_ms INTEGER NOT NULL,"
        "  retention_days INTEGER NOT NULL DEFAULT 0,"
        "  stored_bytes INTEGER NOT NULL DEFAULT 0,"
        "  event_count INTEGER NOT NULL DEFAULT 0"
        ");"
        "CREATE UNIQUE INDEX log_groups_key ON log_groups (scope, name);"
        "CREATE INDEX log_groups_retained ON log_groups (id) WHERE retention_days > 0;"
        "CREATE TABLE log_streams ("
        "  id INTEGER PRIMARY KEY,"
        "  group_id INTEGER NOT NULL REFERENCES log_groups (id),"
        "  name TEXT NOT NULL,"
        "  created_ms INTEGER NOT NULL,"
        "  first_event_ms INTEGER NOT NULL DEFAULT 0,"
        "  last_event_ms INTEGER NOT NULL DEFAULT 0,"
        "  last_ingestion_ms INTEGER NOT NULL DEFAULT 0,"
        "  stored_bytes INTEGER NOT NULL DEFAULT 0,"
        "  event_count INTEGER NOT NULL DEFAULT 0,"
        "  upload_count INTEGER NOT NULL DEFAULT 0"
        ");"
        "CREATE UNIQUE INDEX log_streams_key ON log_streams (group_id, name);"
        "CREATE INDEX log_streams_last_event ON log_streams (group_id, last_event_ms, name);"
        "CREATE TABLE log_events ("
        "  id INTEGER PRIMARY KEY,"
        "  group_id INTEGER NOT NULL,"
        "  stream_id INTEGER NOT NULL,"
        "  ts INTEGER NOT NULL,"
        "  ingested_ms INTEGER NOT NULL,"
        "  message TEXT NOT NULL"
        ");"
        "CREATE INDEX log_events_stream ON log_events (stream_id, ts);"
        "CREATE INDEX log_events_group ON log_events (group_id, ts);"},
};

#define SCHEMA_LATEST ((int)ARRAY_SIZE(migrations))

/* --- Statements -------------------------------------------------------- */

enum stmt_id {
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_SAVEPOINT,
    STMT_RELEASE,
    STMT_ROLLBACK_TO,
    STMT_SCHEMA_VERSION,
    STMT_SCHEMA_SET_VERSION,
    STMT_INTEGRITY_CHECK,
    STMT_FOREIGN_KEY_CHECK,

    STMT_DOC_GET,
    STMT_DOC_VERSION,
    STMT_DOC_INSERT,
    STMT_DOC_UPDATE,
    STMT_DOC_UPSERT,
    STMT_DOC_DELETE,
    STMT_DOC_DELETE_RANGE,
    STMT_DOC_LIST_FROM,
    STMT_DOC_LIST_AFTER,
    STMT_DOC_LIST_FROM_UPTO,
    STMT_DOC_LIST_AFTER_UPTO,
    STMT_DOC_COUNT,
    STMT_DOC_COUNT_RANGE,

    STMT_JOB_FIND_QUEUED_KEY,
    STMT_JOB_ADVANCE,
    STMT_JOB_INSERT,
    STMT_JOB_CLAIM_ANY,
    STMT_JOB_CLAIM_KINDS,
    STMT_JOB_RENEW,
    STMT_JOB_COMPLETE,
    STMT_JOB_FAIL,
    STMT_JOB_STATE,
    STMT_JOB_RECLAIM,
    STMT_JOB_GET,
    STMT_JOB_COUNT,
    STMT_JOB_PURGE,

    STMT_OUTBOX_APPEND,
    STMT_OUTBOX_FETCH,
    STMT_OUTBOX_MARK,
    STMT_OUTBOX_STATE,
    STMT_OUTBOX_PURGE,

    STMT_LOG_GROUP_INSERT,
    STMT_LOG_GROUP_GET,
    STMT_LOG_GROUPS_FROM,
    STMT_LOG_GROUPS_AFTER,
    STMT_LOG_GROUP_SET_RETENTION,
    STMT_LOG_GROUP_DELETE,
    STMT_LOG_GROUP_DELETE_EVENTS,
    STMT_LOG_GROUP_DELETE_STREAMS,
    STMT_LOG_GROUP_ADD,
    STMT_LOG_GROUPS_RETAINED,
    STMT_LOG_STREAM_IDS,
    STMT_LOG_STREAM_INSERT,
    STMT_LOG_STREAM_GET,
    STMT_LOG_STREAM_DELETE,
    STMT_LOG_STREAM_DELETE_EVENTS,
    STMT_LOG_STREAM_ADD,
    STMT_LOG_STREAM_SUBTRACT,
    STMT_LOG_STREAMS_NAME_FROM,
    STMT_LOG_STREAMS_NAME_AFTER,
    STMT_LOG_STREAMS_NAME_DESC,
    STMT_LOG_STREAMS_LAST_ASC,
    STMT_LOG_STREAMS_LAST_DESC,
    STMT_LOG_EVENT_INSERT,
    STMT_LOG_EVENT_INSERT_MANY,
    STMT_LOG_EVENTS_STREAM_FWD,
    STMT_LOG_EVENTS_STREAM_BACK,
    STMT_LOG_EVENTS_GROUP_FWD,
    STMT_LOG_EVENTS_GROUP_BACK,
    STMT_LOG_EVENTS_EXPIRE,

    STMT_COUNT_
};

#define DOC_COLUMNS "name, body, version, created_ms, updated_ms"
#define DOC_LIST(bounds)                                                                           \
    "SELECT " DOC_COLUMNS " FROM docs WHERE kind = ?1 AND scope = ?2 AND " bounds                  \
    " ORDER BY name LIMIT ?5"
#define JOB_COLUMNS                                                                                \
    "id, kind, payload, dedup_key, state, attempts, max_attempts, run_after_ms, worker,"           \
    " lease_token, lease_expires_ms, last_error, created_ms, updated_ms"
#define JOB_CLAIM(filter)                                                                          \
    "UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = ?1, lease_token = ?2,"   \
    " lease_expires_ms = ?4, updated_ms = ?3"                                                      \
    " WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_after_ms <= ?3" filter        \
    " ORDER BY run_after_ms, id LIMIT 1)"                                                          \
    " RETURNING " JOB_COLUMNS

#define LOG_STREAM_COLUMNS                                                                         \
    "name, created_ms, first_event_ms, last_event_ms, last_ingestion_ms, stored_bytes,"            \
    " event_count, upload_count"
#define LOG_STREAM_LIST(bounds, order)                                                             \
    "SELECT " LOG_STREAM_COLUMNS " FROM log_streams WHERE group_id = ?1 AND " bounds               \
    " ORDER BY " order " LIMIT ?4"
#define LOG_EVENTS_STREAM(bound, order)                                                            \
    "SELECT id, ts, ingested_ms, message FROM log_events"                                          \
    " WHERE stream_id = ?1 AND ts >= ?2 AND ts < ?3 AND " bound " ORDER BY " order
/* CROSS JOIN keeps the events outermost, so the group index gives the order. */
#define LOG_EVENTS_GROUP(bound, order)                                                             \
    "SELECT e.id, e.ts, e.ingested_ms, e.message, e.stream_id, s.name"                             \
    " FROM log_events e CROSS JOIN log_streams s ON s.id = e.stream_id"                            \
    " WHERE e.group_id = ?1 AND e.ts >= ?2 AND e.ts < ?3 AND " bound " ORDER BY " order

/*
 * Events are inserted LOG_INSERT_ROWS to a statement: one statement per row
 * spends about half of an append's time in statement overhead. The text is
 * built once (log_insert_many_sql()): ?1 group, ?2 stream, ?3 ingestion
 * time, then (timestamp, message) pairs from ?4 on.
 */
#define LOG_INSERT_ROWS 100

static const char *const stmt_sql[STMT_COUNT_] = {
    /* IMMEDIATE takes the write lock at once: a deferred transaction that
     * reads first and then writes can fail with SQLITE_BUSY without the busy
     * handler ever being consulted. */
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_SAVEPOINT] = "SAVEPOINT store_op",
    [STMT_RELEASE] = "RELEASE store_op",
    [STMT_ROLLBACK_TO] = "ROLLBACK TO store_op",
    [STMT_SCHEMA_VERSION] = "SELECT version FROM schema_version WHERE id = 1",
    [STMT_SCHEMA_SET_VERSION] = "UPDATE schema_version SET version = ?1 WHERE id = 1",
    [STMT_INTEGRITY_CHECK] = "PRAGMA integrity_check",
    [STMT_FOREIGN_KEY_CHECK] = "PRAGMA foreign_key_check",

    [STMT_DOC_GET] =
        "SELECT " DOC_COLUMNS " FROM docs WHERE kind = ?1 AND scope = ?2 AND name = ?3",
    [STMT_DOC_VERSION] = "SELECT version FROM docs WHERE kind = ?1 AND scope = ?2 AND name = ?3",
    [STMT_DOC_INSERT] =
        "INSERT INTO docs (kind, scope, name, body, version, created_ms, updated_ms)"
        " VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)"
        " ON CONFLICT (kind, scope, name) DO NOTHING",
    [STMT_DOC_UPDATE] = "UPDATE docs SET body = ?5, version = version + 1, updated_ms = ?6"
                        " WHERE kind = ?1 AND scope = ?2 AND name = ?3 AND version = ?4"
                        " RETURNING version",
    [STMT_DOC_UPSERT] =
        "INSERT INTO docs (kind, scope, name, body, version, created_ms, updated_ms)"
        " VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)"
        " ON CONFLICT (kind, scope, name) DO UPDATE SET body = excluded.body,"
        " version = docs.version + 1, updated_ms = excluded.updated_ms"
        " RETURNING version",
    [STMT_DOC_DELETE] = "DELETE FROM docs WHERE kind = ?1 AND scope = ?2 AND name = ?3"
                        " AND (?4 = 0 OR version = ?4)",
    [STMT_DOC_DELETE_RANGE] = "DELETE FROM docs WHERE kind = ?1 AND scope = ?2"
                              " AND name >= ?3 AND name < ?4",
    /* A page is a range scan of docs_key: the lower bound is the prefix
     * (inclusive) or the cursor (exclusive), whichever is later, and the
     * upper bound, when there is a prefix, is the first string after all
     * names that start with it. */
    [STMT_DOC_LIST_FROM] = DOC_LIST("name >= ?3"),
    [STMT_DOC_LIST_AFTER] = DOC_LIST("name > ?3"),
    [STMT_DOC_LIST_FROM_UPTO] = DOC_LIST("name >= ?3 AND name < ?4"),
    [STMT_DOC_LIST_AFTER_UPTO] = DOC_LIST("name > ?3 AND name < ?4"),
    [STMT_DOC_COUNT] = "SELECT count(*) FROM docs WHERE kind = ?1 AND scope = ?2",
    [STMT_DOC_COUNT_RANGE] = "SELECT count(*) FROM docs WHERE kind = ?1 AND scope = ?2"
                             " AND name >= ?3 AND name < ?4",

    [STMT_JOB_FIND_QUEUED_KEY] = "SELECT id, run_after_ms FROM jobs"
                                 " WHERE dedup_key = ?1 AND state = 'queued' ORDER BY id LIMIT 1",
    [STMT_JOB_ADVANCE] = "UPDATE jobs SET run_after_ms = ?2, updated_ms = ?3 WHERE id = ?1",
    [STMT_JOB_INSERT] = "INSERT INTO jobs (kind, payload, dedup_key, state, attempts, max_attempts,"
                        " run_after_ms, created_ms, updated_ms)"
                        " VALUES (?1, ?2, ?3, 'queued', 0, ?4, ?5, ?6, ?6)",
    /* One statement finds and takes the job, so no two claimers can both
     * see it queued. */
    [STMT_JOB_CLAIM_ANY] = JOB_CLAIM(""),
    [STMT_JOB_CLAIM_KINDS] = JOB_CLAIM(" AND kind IN (SELECT value FROM json_each(?5))"),
    [STMT_JOB_RENEW] = "UPDATE jobs SET lease_expires_ms = ?3, updated_ms = ?4"
                       " WHERE id = ?1 AND state = 'running' AND lease_token = ?2",
    [STMT_JOB_COMPLETE] = "UPDATE jobs SET state = 'done', lease_token = NULL,"
                          " lease_expires_ms = NULL, last_error = NULL, updated_ms = ?3"
                          " WHERE id = ?1 AND state = 'running' AND lease_token = ?2",
    [STMT_JOB_FAIL] = "UPDATE jobs SET"
                      " state = CASE WHEN ?4 >= 0 AND (max_attempts = 0 OR attempts < max_attempts)"
                      " THEN 'queued' ELSE 'dead' END,"
                      " run_after_ms = CASE WHEN ?4 >= 0 THEN ?4 ELSE run_after_ms END,"
                      " last_error = ?3, lease_token = NULL, lease_expires_ms = NULL,"
                      " updated_ms = ?5"
                      " WHERE id = ?1 AND state = 'running' AND lease_token = ?2",
    [STMT_JOB_STATE] = "SELECT state FROM jobs WHERE id = ?1",
    [STMT_JOB_RECLAIM] =
        "UPDATE jobs SET"
        " state = CASE WHEN max_attempts = 0 OR attempts < max_attempts"
        " THEN 'queued' ELSE 'dead' END,"
        " last_error = 'lease of worker ''' || coalesce(worker, '') || ''' expired',"
        " lease_token = NULL, lease_expires_ms = NULL, updated_ms = ?1"
        " WHERE state = 'running' AND lease_expires_ms <= ?1",
    [STMT_JOB_GET] = "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1",
    [STMT_JOB_COUNT] = "SELECT count(*) FROM jobs WHERE state = ?1 AND (?2 IS NULL OR kind = ?2)",
    [STMT_JOB_PURGE] = "DELETE FROM jobs WHERE state IN ('done', 'dead') AND updated_ms < ?1",

    [STMT_OUTBOX_APPEND] = "INSERT INTO outbox (body, created_ms) VALUES (?1, ?2)",
    [STMT_OUTBOX_FETCH] = "SELECT seq, body, created_ms FROM outbox"
                          " WHERE delivered_ms IS NULL AND seq > ?1 ORDER BY seq LIMIT ?2",
    [STMT_OUTBOX_MARK] = "UPDATE outbox SET delivered_ms = ?2"
                         " WHERE seq = ?1 AND delivered_ms IS NULL",
    [STMT_OUTBOX_STATE] = "SELECT delivered_ms FROM outbox WHERE seq = ?1",
    [STMT_OUTBOX_PURGE] = "DELETE FROM outbox WHERE delivered_ms IS NOT NULL AND delivered_ms < ?1",

    [STMT_LOG_GROUP_INSERT] = "INSERT INTO log_groups (scope, name, created_ms) VALUES (?1, ?2, ?3)"
                              " ON CONFLICT (scope, name) DO NOTHING",
    [STMT_LOG_GROUP_GET] = "SELECT id, created_ms, retention_days, stored_bytes, event_count"
                           " FROM log_groups WHERE scope = ?1 AND name = ?2",
    /* Like documents: the lower bound is the prefix (inclusive) or the
     * cursor (exclusive), the upper the end of the prefix. */
    [STMT_LOG_GROUPS_FROM] = "SELECT name, created_ms, retention_days, stored_bytes, event_count"
                             " FROM log_groups WHERE scope = ?1 AND name >= ?2 AND name < ?3"
                             " ORDER BY name LIMIT ?4",
    [STMT_LOG_GROUPS_AFTER] = "SELECT name, created_ms, retention_days, stored_bytes, event_count"
                              " FROM log_groups WHERE scope = ?1 AND name > ?2 AND name < ?3"
                              " ORDER BY name LIMIT ?4",
    [STMT_LOG_GROUP_SET_RETENTION] =
        "UPDATE log_groups SET retention_days = ?3 WHERE scope = ?1 AND name = ?2",
    [STMT_LOG_GROUP_DELETE] = "DELETE FROM log_groups WHERE id = ?1",
    [STMT_LOG_GROUP_DELETE_EVENTS] = "DELETE FROM log_events WHERE group_id = ?1",
    [STMT_LOG_GROUP_DELETE_STREAMS] = "DELETE FROM log_streams WHERE group_id = ?1",
    /* ?2 and ?3 are negative when events go. */
    [STMT_LOG_GROUP_ADD] = "UPDATE log_groups SET stored_bytes = stored_bytes + ?2,"
                           " event_count = event_count + ?3 WHERE id = ?1",
    [STMT_LOG_GROUPS_RETAINED] =
        "SELECT id, retention_days FROM log_groups WHERE retention_days > 0 ORDER BY id",
    /* No row: no group; a NULL stream id: no stream. */
    [STMT_LOG_STREAM_IDS] = "SELECT g.id, s.id FROM log_groups g"
                            " LEFT JOIN log_streams s ON s.group_id = g.id AND s.name = ?3"
                            " WHERE g.scope = ?1 AND g.name = ?2",
    [STMT_LOG_STREAM_INSERT] = "INSERT INTO log_streams (group_id, name, created_ms)"
                               " VALUES (?1, ?2, ?3) ON CONFLICT (group_id, name) DO NOTHING",
    [STMT_LOG_STREAM_GET] = "SELECT " LOG_STREAM_COLUMNS " FROM log_streams WHERE id = ?1",
    [STMT_LOG_STREAM_DELETE] =
        "DELETE FROM log_streams WHERE id = ?1 RETURNING stored_bytes, event_count",
    [STMT_LOG_STREAM_DELETE_EVENTS] = "DELETE FROM log_events WHERE stream_id = ?1",
    [STMT_LOG_STREAM_ADD] =
        "UPDATE log_streams SET"
        " first_event_ms = CASE WHEN upload_count = 0 THEN ?2 ELSE min(first_event_ms, ?2) END,"
        " last_event_ms = CASE WHEN upload_count = 0 THEN ?3 ELSE max(last_event_ms, ?3) END,"
        " last_ingestion_ms = ?4, stored_bytes = stored_bytes + ?5,"
        " event_count = event_count + ?6, upload_count = upload_count + 1"
        " WHERE id = ?1 RETURNING upload_count",
    /* Expiry: leaves the times and the upload count alone. */
    [STMT_LOG_STREAM_SUBTRACT] = "UPDATE log_streams SET stored_bytes = stored_bytes - ?2,"
                                 " event_count = event_count - ?3 WHERE id = ?1",
    /* Pages of streams: see sqlite_log_stream_list(). */
    [STMT_LOG_STREAMS_NAME_FROM] = LOG_STREAM_LIST("name >= ?2 AND name < ?3", "name"),
    [STMT_LOG_STREAMS_NAME_AFTER] = LOG_STREAM_LIST("name > ?2 AND name < ?3", "name"),
    [STMT_LOG_STREAMS_NAME_DESC] = LOG_STREAM_LIST("name >= ?2 AND name < ?3", "name DESC"),
    [STMT_LOG_STREAMS_LAST_ASC] =
        LOG_STREAM_LIST("(last_event_ms, name) > (?2, ?3)", "last_event_ms, name"),
    [STMT_LOG_STREAMS_LAST_DESC] =
        LOG_STREAM_LIST("(last_event_ms, name) < (?2, ?3)", "last_event_ms DESC, name DESC"),
    [STMT_LOG_EVENT_INSERT] =
        "INSERT INTO log_events (group_id, stream_id, ts, ingested_ms, message)"
        " VALUES (?1, ?2, ?4, ?3, ?5)",
    [STMT_LOG_EVENT_INSERT_MANY] = NULL, /* log_insert_many_sql() */
    /* Reads step through an index range until the caller's limits stop
     * them, so they carry no LIMIT. The range is on timestamps alone, [?2,
     * ?3), with the position folded into it by sqlite_log_read(); the NOT
     * term only drops the events at the position's own timestamp that lie
     * on the wrong side of it. (A row-value bound "(ts, id) > (?, ?)" next
     * to "ts >= ?" lets SQLite start the range at the wrong one, and every
     * page would then skip over all the events before it.) */
    [STMT_LOG_EVENTS_STREAM_FWD] = LOG_EVENTS_STREAM("NOT (ts = ?4 AND id <= ?5)", "ts, id"),
    [STMT_LOG_EVENTS_STREAM_BACK] =
        LOG_EVENTS_STREAM("NOT (ts = ?4 AND id >= ?5)", "ts DESC, id DESC"),
    [STMT_LOG_EVENTS_GROUP_FWD] = LOG_EVENTS_GROUP("NOT (e.ts = ?4 AND e.id <= ?5)", "e.ts, e.id"),
    [STMT_LOG_EVENTS_GROUP_BACK] =
        LOG_EVENTS_GROUP("NOT (e.ts = ?4 AND e.id >= ?5)", "e.ts DESC, e.id DESC"),
    [STMT_LOG_EVENTS_EXPIRE] = "DELETE FROM log_events WHERE id IN (SELECT id FROM log_events"
                               " WHERE group_id = ?1 AND ts < ?2 ORDER BY ts LIMIT ?3)"
                               " RETURNING stream_id, length(CAST(message AS BLOB))",
};

/* --- Connections and the pool ------------------------------------------ */

struct sqlite_conn {
    sqlite3 *db;
    sqlite3_stmt *stmts[STMT_COUNT_];
    struct sqlite_conn *next_idle;
};

struct sqlite_store {
    struct store base;
    char *path;
    unsigned max_connections;
    int busy_timeout_ms;
    enum store_sync sync;

    /* Guards everything below. */
    pthread_mutex_t lock;
    pthread_cond_t conn_freed;
    pthread_cond_t writer_freed;
    struct sqlite_conn *idle;
    unsigned open_connections;
    bool writer_busy;
};

struct sqlite_tx {
    struct store_tx base;
    struct sqlite_conn *conn;
    /* SQLite rolled the transaction back on an error; it cannot commit. */
    bool failed;
};

static struct sqlite_store *sqlite_store_of(struct store *s)
{
    return (struct sqlite_store *)s;
}

static NORETURN void out_of_memory(void)
{
    fprintf(stderr, "fatal: out of memory in sqlite\n");
    abort();
}

/* Maps a SQLite result code to an error kind and sets the message. */
static int sql_error(sqlite3 *db, int rc, const char *what)
{
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        out_of_memory();
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return err_set(ERR_TIMEOUT, "%s: database is busy: %s", what, msg);
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_CHECK)
            return err_set(ERR_INVALID, "%s: not valid JSON: %s", what, msg);
        return err_set(ERR_CONFLICT, "%s: %s", what, msg);
    case SQLITE_TOOBIG:
        return err_set(ERR_LIMIT, "%s: %s", what, msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return err_set(ERR_INTERNAL, "%s: database is damaged: %s", what, msg);
    default:
        return err_set(ERR_IO, "%s: %s", what, msg);
    }
}

static void deadline_after_ms(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void conn_close(struct sqlite_conn *conn)
{
    if (!conn)
        return;
    for (size_t i = 0; i < STMT_COUNT_; i++)
        sqlite3_finalize(conn->stmts[i]);
    sqlite3_close_v2(conn->db);
    free(conn);
}

static int conn_open(struct sqlite_conn **out, struct sqlite_store *st)
{
    struct sqlite_conn *conn = xcalloc(1, sizeof(*conn));
    /* NOMUTEX: the pool already guarantees one thread per connection, so
     * SQLite's per-connection mutex would be pure overhead. */
    int rc =
        sqlite3_open_v2(st->path, &conn->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        int r = sql_error(conn->db, rc, st->path);
        conn_close(conn);
        return r;
    }
    sqlite3_extended_result_codes(conn->db, 1);
    sqlite3_busy_timeout(conn->db, st->busy_timeout_ms);
    /* Defensive mode stops SQL from corrupting the file on purpose
     * (writable_schema and friends); nothing here needs those. */
    sqlite3_db_config(conn->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);

    /*
     * synchronous: in WAL mode NORMAL fsyncs only at checkpoints, so a commit
     * survives the process being killed but can be lost with the last few
     * others on power loss; FULL fsyncs the WAL on every commit and survives
     * both. An API call that answered success must not be forgotten, so FULL
     * is the default; disposable test stacks may pick NORMAL. These are
     * fixed pragma texts without parameters, hence sqlite3_exec.
     */
    const char *setup = st->sync == STORE_SYNC_NORMAL
                            ? "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;"
                            : "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;";
    rc = sqlite3_exec(conn->db, setup, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        int r = sql_error(conn->db, rc, st->path);
        conn_close(conn);
        return r;
    }
    *out = conn;
    return 0;
}

static char log_insert_many_text[LOG_INSERT_ROWS * 40 + 128];
static pthread_once_t log_insert_many_once = PTHREAD_ONCE_INIT;

static void log_insert_many_build(void)
{
    size_t at = (size_t)snprintf(log_insert_many_text, sizeof(log_insert_many_text),
                                 "INSERT INTO log_events (group_id, stream_id, ts, ingested_ms,"
                                 " message) VALUES ");
    for (int row = 0; row < LOG_INSERT_ROWS; row++)
        at +=
            (size_t)snprintf(log_insert_many_text + at, sizeof(log_insert_many_text) - at,
                             "%s(?1, ?2, ?%d, ?3, ?%d)", row ? ", " : "", 4 + 2 * row, 5 + 2 * row);
}

static const char *stmt_text(enum stmt_id id)
{
    if (id == STMT_LOG_EVENT_INSERT_MANY) {
        pthread_once(&log_insert_many_once, log_insert_many_build);
        return log_insert_many_text;
    }
    return stmt_sql[id];
}

static int conn_stmt(sqlite3_stmt **out, struct sqlite_conn *conn, enum stmt_id id)
{
    if (!conn->stmts[id]) {
        int rc = sqlite3_prepare_v3(conn->db, stmt_text(id), -1, SQLITE_PREPARE_PERSISTENT,
                                    &conn->stmts[id], NULL);
        if (rc != SQLITE_OK)
            return sql_error(conn->db, rc, "preparing a statement");
    }
    *out = conn->stmts[id];
    return 0;
}

/* Runs a parameterless statement that returns no rows (BEGIN, COMMIT...). */
static int conn_run(struct sqlite_conn *conn, enum stmt_id id, const char *what)
{
    sqlite3_stmt *stmt = NULL;
    int r = conn_stmt(&stmt, conn, id);
    if (r < 0)
        return r;
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return sql_error(conn->db, rc, what);
    return 0;
}

static int pool_get(struct sqlite_conn **out, struct sqlite_store *st)
{
    struct timespec deadline;
    bool have_deadline = false;

    pthread_mutex_lock(&st->lock);
    for (;;) {
        if (st->idle) {
            struct sqlite_conn *conn = st->idle;
            st->idle = conn->next_idle;
            conn->next_idle = NULL;
            pthread_mutex_unlock(&st->lock);
            *out = conn;
            return 0;
        }
        if (st->open_connections < st->max_connections) {
            st->open_connections++;
            pthread_mutex_unlock(&st->lock);
            struct sqlite_conn *conn = NULL;
            int r = conn_open(&conn, st);
            if (r < 0) {
                pthread_mutex_lock(&st->lock);
                st->open_connections--;
                pthread_cond_signal(&st->conn_freed);
                pthread_mutex_unlock(&st->lock);
                return r;
            }
            *out = conn;
            return 0;
        }
        if (!have_deadline) {
            deadline_after_ms(&deadline, st->busy_timeout_ms);
            have_deadline = true;
        }
        if (pthread_cond_timedwait(&st->conn_freed, &st->lock, &deadline) == ETIMEDOUT) {
            pthread_mutex_unlock(&st->lock);
            return err_set(ERR_TIMEOUT, "all %u database connections stayed busy for %d ms",
                           st->max_connections, st->busy_timeout_ms);
        }
    }
}

static void pool_put(struct sqlite_store *st, struct sqlite_conn *conn)
{
    /* A connection still inside a transaction (its ROLLBACK failed) would
     * run the next caller's statements in that transaction; close it. */
    bool broken = !sqlite3_get_autocommit(conn->db);
    if (broken)
        conn_close(conn);
    pthread_mutex_lock(&st->lock);
    if (broken) {
        st->open_connections--;
    } else {
        conn->next_idle = st->idle;
        st->idle = conn;
    }
    pthread_cond_signal(&st->conn_freed);
    pthread_mutex_unlock(&st->lock);
}

static int writer_acquire(struct sqlite_store *st)
{
    struct timespec deadline;
    bool have_deadline = false;

    pthread_mutex_lock(&st->lock);
    while (st->writer_busy) {
        if (!have_deadline) {
            deadline_after_ms(&deadline, st->busy_timeout_ms);
            have_deadline = true;
        }
        if (pthread_cond_timedwait(&st->writer_freed, &st->lock, &deadline) == ETIMEDOUT) {
            pthread_mutex_unlock(&st->lock);
            return err_set(ERR_TIMEOUT, "database stayed busy with another writer for %d ms",
                           st->busy_timeout_ms);
        }
    }
    st->writer_busy = true;
    pthread_mutex_unlock(&st->lock);
    return 0;
}

static void writer_release(struct sqlite_store *st)
{
    pthread_mutex_lock(&st->lock);
    st->writer_busy = false;
    pthread_cond_signal(&st->writer_freed);
    pthread_mutex_unlock(&st->lock);
}

/* --- Operations -------------------------------------------------------- */

enum op_mode {
    /* Reads only. */
    OP_READ,
    /* One writing statement: atomic by itself. */
    OP_WRITE,
    /* Several statements that must apply together: wrapped in a transaction
     * of their own, or a savepoint inside the caller's. */
    OP_WRITE_GROUP,
};

#define OP_STMTS_MAX 8

/* One call into the backend: where it runs and what it must clean up. */
struct op {
    struct sqlite_store *st;
    struct sqlite_conn *conn;
    /* The caller's transaction, or NULL when the operation autocommits. */
    struct sqlite_tx *tx;
    bool holds_writer;
    bool group;
    sqlite3_stmt *used[OP_STMTS_MAX];
    size_t used_len;
};

static int op_begin(struct op *op, struct store *s, struct store_tx *tx, enum op_mode mode)
{
    int r;
    *op = (struct op){.st = sqlite_store_of(s), .tx = (struct sqlite_tx *)tx};

    if (op->tx) {
        if (op->tx->failed)
            return err_set(ERR_IO, "transaction was rolled back after an earlier error");
        op->conn = op->tx->conn;
        if (mode == OP_WRITE_GROUP) {
            if ((r = conn_run(op->conn, STMT_SAVEPOINT, "opening a savepoint")) < 0)
                return r;
            op->group = true;
        }
        return 0;
    }

    if ((r = pool_get(&op->conn, op->st)) < 0)
        return r;
    if (mode != OP_READ) {
        if ((r = writer_acquire(op->st)) < 0) {
            pool_put(op->st, op->conn);
            return r;
        }
        op->holds_writer = true;
    }
    if (mode == OP_WRITE_GROUP) {
        if ((r = conn_run(op->conn, STMT_BEGIN, "beginning a transaction")) < 0) {
            writer_release(op->st);
            pool_put(op->st, op->conn);
            return r;
        }
        op->group = true;
    }
    return 0;
}

/* A cached statement for this operation, reset by op_end(). */
static int op_stmt(sqlite3_stmt **out, struct op *op, enum stmt_id id)
{
    sqlite3_stmt *stmt;
    int r = conn_stmt(&stmt, op->conn, id);
    if (r < 0)
        return r;
    bool known = false;
    for (size_t i = 0; i < op->used_len; i++)
        known |= op->used[i] == stmt;
    if (!known) {
        if (op->used_len == OP_STMTS_MAX) {
            fprintf(stderr, "fatal: store operation uses more than %d statements\n", OP_STMTS_MAX);
            abort();
        }
        op->used[op->used_len++] = stmt;
    }
    *out = stmt;
    return 0;
}

/*
 * Ends an operation whose outcome so far is `r`: resets its statements,
 * commits or rolls back its own transaction or savepoint, returns the
 * connection. Returns `r`, or the commit's error.
 */
static int op_end(struct op *op, int r)
{
    for (size_t i = 0; i < op->used_len; i++) {
        sqlite3_reset(op->used[i]);
        sqlite3_clear_bindings(op->used[i]);
    }

    if (op->group) {
        if (op->tx) {
            if (r < 0 && !sqlite3_get_autocommit(op->conn->db))
                conn_run(op->conn, STMT_ROLLBACK_TO, "rolling back to a savepoint");
            if (!sqlite3_get_autocommit(op->conn->db)) {
                int rr = conn_run(op->conn, STMT_RELEASE, "releasing a savepoint");
                if (r == 0)
                    r = rr;
            }
        } else if (r == 0) {
            r = conn_run(op->conn, STMT_COMMIT, "committing");
            if (r < 0 && !sqlite3_get_autocommit(op->conn->db))
                conn_run(op->conn, STMT_ROLLBACK, "rolling back");
        } else if (!sqlite3_get_autocommit(op->conn->db)) {
            conn_run(op->conn, STMT_ROLLBACK, "rolling back");
        }
    }

    if (op->tx) {
        /* Some errors (I/O, disk full) make SQLite roll the whole
         * transaction back; the caller's later statements would otherwise
         * run outside any transaction. */
        if (r < 0 && sqlite3_get_autocommit(op->conn->db))
            op->tx->failed = true;
    } else {
        if (op->holds_writer)
            writer_release(op->st);
        pool_put(op->st, op->conn);
    }
    op->conn = NULL;
    return r;
}

static int op_fail(struct op *op, int rc, const char *what)
{
    return sql_error(op->conn->db, rc, what);
}

/* The binding helpers return SQLite codes so calls can be OR-ed together:
 * the result is SQLITE_OK only if every bind succeeded. Strings are bound
 * SQLITE_STATIC because they outlive the statement's use in the operation. */
static int bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
    if (!s)
        return sqlite3_bind_null(stmt, i);
    return sqlite3_bind_text(stmt, i, s, -1, SQLITE_STATIC);
}

static int bind_text_len(sqlite3_stmt *stmt, int i, const char *s, size_t len)
{
    return sqlite3_bind_text64(stmt, i, s, len, SQLITE_STATIC, SQLITE_UTF8);
}

static int bind_int64(sqlite3_stmt *stmt, int i, int64_t v)
{
    return sqlite3_bind_int64(stmt, i, v);
}

static char *column_dup(sqlite3_stmt *stmt, int i, size_t *len_out)
{
    const unsigned char *text = sqlite3_column_text(stmt, i);
    if (!text) {
        if (sqlite3_column_type(stmt, i) != SQLITE_NULL)
            out_of_memory();
        if (len_out)
            *len_out = 0;
        return NULL;
    }
    size_t len = (size_t)sqlite3_column_bytes(stmt, i);
    char *copy = xmalloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    if (len_out)
        *len_out = len;
    return copy;
}

/* Steps a statement that must finish without rows. */
static int step_done(struct op *op, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE)
        return op_fail(op, rc, what);
    return 0;
}

/*
 * Steps a statement that yields at most one row; 1 when it did, 0 when
 * not. A writing statement is stepped to its end, because in autocommit
 * mode the change is committed only then (and a failed commit shows there).
 */
static int step_one(struct op *op, sqlite3_stmt *stmt, const char *what, bool writes,
                    void (*take_row)(sqlite3_stmt *stmt, void *arg), void *arg)
{
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return op_fail(op, rc, what);
    take_row(stmt, arg);
    if (writes) {
        rc = sqlite3_step(stmt);
        if (rc != SQLITE_DONE)
            return op_fail(op, rc, what);
    }
    return 1;
}

static void take_int64(sqlite3_stmt *stmt, void *arg)
{
    *(int64_t *)arg = sqlite3_column_int64(stmt, 0);
}

/* A prefix's upper bound: the least string greater than every string that
 * starts with it, i.e. the prefix with its last byte incremented (after
 * dropping trailing 0xff bytes, which valid UTF-8 never contains). False
 * when there is none (the prefix is all 0xff). */
static bool prefix_upper_bound(struct buf *out, const char *prefix)
{
    size_t len = strlen(prefix);
    while (len > 0 && (unsigned char)prefix[len - 1] == 0xff)
        len--;
    if (len == 0)
        return false;
    buf_reset(out);
    buf_add(out, prefix, len);
    out->data[len - 1] = (char)((unsigned char)out->data[len - 1] + 1);
    return true;
}

/* --- Store lifecycle ----------------------------------------------------- */

static int migrate(struct sqlite_conn *conn, const char *path)
{
    for (;;) {
        int r, version = -1;
        sqlite3_stmt *stmt = NULL;

        if ((r = conn_run(conn, STMT_BEGIN, path)) < 0)
            return r;
        /* The version record itself predates every migration. */
        int rc = sqlite3_exec(conn->db,
                              "CREATE TABLE IF NOT EXISTS schema_version ("
                              "  id INTEGER PRIMARY KEY CHECK (id = 1),"
                              "  version INTEGER NOT NULL);"
                              "INSERT OR IGNORE INTO schema_version (id, version) VALUES (1, 0);",
                              NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            r = sql_error(conn->db, rc, path);
            goto rollback;
        }
        if ((r = conn_stmt(&stmt, conn, STMT_SCHEMA_VERSION)) < 0)
            goto rollback;
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW)
            version = sqlite3_column_int(stmt, 0);
        sqlite3_reset(stmt);
        if (rc != SQLITE_ROW) {
            r = sql_error(conn->db, rc, path);
            goto rollback;
        }
        if (version > SCHEMA_LATEST || version < 0) {
            r = err_set(ERR_UNSUPPORTED,
                        "'%s' is at schema version %d, newer than this slipway knows (%d)", path,
                        version, SCHEMA_LATEST);
            goto rollback;
        }
        if (version == SCHEMA_LATEST)
            return conn_run(conn, STMT_COMMIT, path);

        const struct migration *step = &migrations[version];
        /* Migration scripts are fixed multi-statement texts. */
        rc = sqlite3_exec(conn->db, step->sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            r = sql_error(conn->db, rc, "applying a schema migration");
            goto rollback;
        }
        if ((r = conn_stmt(&stmt, conn, STMT_SCHEMA_SET_VERSION)) < 0)
            goto rollback;
        rc = sqlite3_bind_int(stmt, 1, step->version);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        if (rc != SQLITE_DONE) {
            r = sql_error(conn->db, rc, "recording the schema version");
            goto rollback;
        }
        if ((r = conn_run(conn, STMT_COMMIT, path)) < 0)
            goto rollback;
        continue;

    rollback:
        if (!sqlite3_get_autocommit(conn->db))
            conn_run(conn, STMT_ROLLBACK, path);
        return r;
    }
}

static int enable_wal(struct sqlite_conn *conn, const char *path)
{
    sqlite3_stmt *stmt = NULL;
    /* One-off statement: prepared, stepped and finalised here. */
    int rc = sqlite3_prepare_v2(conn->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return sql_error(conn->db, rc, path);
    rc = sqlite3_step(stmt);
    bool wal =
        rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(stmt, 0) ?: "", "wal") == 0;
    int r = 0;
    if (rc != SQLITE_ROW)
        r = sql_error(conn->db, rc, path);
    else if (!wal)
        r = err_set(ERR_IO, "'%s': the filesystem does not support write-ahead logging", path);
    sqlite3_finalize(stmt);
    return r;
}

static void sqlite_free(struct store *s)
{
    struct sqlite_store *st = sqlite_store_of(s);
    unsigned closed = 0;
    while (st->idle) {
        struct sqlite_conn *conn = st->idle;
        st->idle = conn->next_idle;
        conn_close(conn);
        closed++;
    }
    if (closed != st->open_connections) {
        /* A transaction or operation still runs on a connection that is
         * about to lose its store: a caller bug that would be a
         * use-after-free later. */
        fprintf(stderr, "fatal: store closed with %u connections in use\n",
                st->open_connections - closed);
        abort();
    }
    pthread_cond_destroy(&st->conn_freed);
    pthread_cond_destroy(&st->writer_freed);
    pthread_mutex_destroy(&st->lock);
    free(st->path);
    free(st);
}

static int sqlite_schema_version(int *version_out, struct store *s)
{
    struct op op;
    sqlite3_stmt *stmt;
    int64_t version = 0;
    int r;

    if ((r = op_begin(&op, s, NULL, OP_READ)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_SCHEMA_VERSION)) == 0) {
        r = step_one(&op, stmt, "reading the schema version", false, take_int64, &version);
        if (r == 0)
            r = err_set(ERR_INTERNAL, "the schema version record is missing");
    }
    if ((r = op_end(&op, r < 0 ? r : 0)) < 0)
        return r;
    *version_out = (int)version;
    return 0;
}

static int sqlite_integrity_check(struct store *s)
{
    struct op op;
    sqlite3_stmt *stmt;
    int r;

    if ((r = op_begin(&op, s, NULL, OP_READ)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_INTEGRITY_CHECK)) < 0)
        return op_end(&op, r);
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW)
        return op_end(&op, op_fail(&op, rc, "checking integrity"));
    const char *verdict = (const char *)sqlite3_column_text(stmt, 0);
    if (!verdict || strcmp(verdict, "ok") != 0)
        return op_end(&op, err_set(ERR_INTERNAL, "database integrity check failed: %s",
                                   verdict ? verdict : "no verdict"));

    if ((r = op_stmt(&stmt, &op, STMT_FOREIGN_KEY_CHECK)) < 0)
        return op_end(&op, r);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        return op_end(&op, err_set(ERR_INTERNAL, "database foreign key check failed in '%s'",
                                   (const char *)sqlite3_column_text(stmt, 0)));
    if (rc != SQLITE_DONE)
        return op_end(&op, op_fail(&op, rc, "checking foreign keys"));
    return op_end(&op, 0);
}

/* --- Transactions -------------------------------------------------------- */

static int sqlite_tx_begin(struct store_tx **out, struct store *s)
{
    struct sqlite_store *st = sqlite_store_of(s);
    struct sqlite_conn *conn;
    int r;

    if ((r = pool_get(&conn, st)) < 0)
        return r;
    if ((r = writer_acquire(st)) < 0) {
        pool_put(st, conn);
        return r;
    }
    if ((r = conn_run(conn, STMT_BEGIN, "beginning a transaction")) < 0) {
        writer_release(st);
        pool_put(st, conn);
        return r;
    }
    struct sqlite_tx *tx = xcalloc(1, sizeof(*tx));
    tx->base.store = s;
    tx->conn = conn;
    *out = &tx->base;
    return 0;
}

static void tx_finish(struct sqlite_tx *tx)
{
    struct sqlite_store *st = sqlite_store_of(tx->base.store);
    writer_release(st);
    pool_put(st, tx->conn);
    free(tx);
}

static int sqlite_tx_commit(struct store_tx *base)
{
    struct sqlite_tx *tx = (struct sqlite_tx *)base;
    int r;
    if (tx->failed || sqlite3_get_autocommit(tx->conn->db)) {
        r = err_set(ERR_IO, "transaction was rolled back after an earlier error");
    } else {
        r = conn_run(tx->conn, STMT_COMMIT, "committing");
    }
    if (r < 0 && !sqlite3_get_autocommit(tx->conn->db))
        conn_run(tx->conn, STMT_ROLLBACK, "rolling back");
    tx_finish(tx);
    return r;
}

static void sqlite_tx_rollback(struct store_tx *base)
{
    struct sqlite_tx *tx = (struct sqlite_tx *)base;
    if (!sqlite3_get_autocommit(tx->conn->db))
        conn_run(tx->conn, STMT_ROLLBACK, "rolling back");
    tx_finish(tx);
}

/* --- Documents ----------------------------------------------------------- */

/*
 * Steps `stmt` and reads each row into the next of a growing array of
 * `size`-byte items (zeroed first) with `from_row`, up to `limit` items; a
 * row past the limit sets *more and ends the read. The queries ask for
 * limit + 1 rows for this. Returns SQLITE_DONE or SQLite's error code; the
 * items read are the caller's to release either way.
 */
static int collect_rows(void **items, size_t *len, bool *more, size_t size, size_t limit,
                        sqlite3_stmt *stmt, void (*from_row)(void *item, sqlite3_stmt *stmt))
{
    char *array = *items;
    size_t alloc = *len;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (*len == limit) {
            *more = true;
            rc = SQLITE_DONE;
            break;
        }
        if (*len == alloc) {
            alloc = alloc ? alloc * 2 : 8;
            array = xrealloc(array, alloc * size);
        }
        void *item = array + *len * size;
        memset(item, 0, size);
        from_row(item, stmt);
        (*len)++;
    }
    *items = array;
    return rc;
}

static void doc_from_row(struct store_doc *doc, sqlite3_stmt *stmt)
{
    doc->name = column_dup(stmt, 0, NULL);
    doc->body = column_dup(stmt, 1, &doc->body_len);
    doc->version = sqlite3_column_int64(stmt, 2);
    doc->created_ms = sqlite3_column_int64(stmt, 3);
    doc->updated_ms = sqlite3_column_int64(stmt, 4);
}

static void doc_row(void *item, sqlite3_stmt *stmt)
{
    doc_from_row(item, stmt);
}

static void take_doc(sqlite3_stmt *stmt, void *arg)
{
    doc_from_row(arg, stmt);
}

static int bind_key(sqlite3_stmt *stmt, const char *kind, const char *scope, const char *name)
{
    return bind_text(stmt, 1, kind) | bind_text(stmt, 2, scope) | bind_text(stmt, 3, name);
}

static int sqlite_doc_get(struct store_doc *out, struct store *s, struct store_tx *tx,
                          const char *kind, const char *scope, const char *name)
{
    struct op op;
    sqlite3_stmt *stmt;
    struct store_doc doc = {0};
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_READ)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_DOC_GET)) < 0)
        return op_end(&op, r);
    if ((rc = bind_key(stmt, kind, scope, name)) != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a document key"));
    r = step_one(&op, stmt, "reading a document", false, take_doc, &doc);
    if (r == 0)
        r = err_set(ERR_NOT_FOUND, "no '%s' named '%s' in '%s'", kind, name, scope);
    if ((r = op_end(&op, r < 0 ? r : 0)) < 0) {
        store_doc_release(&doc);
        return r;
    }
    *out = doc;
    return 0;
}

/* After a conditional change matched no row: why. */
static int doc_missed(struct op *op, const char *kind, const char *scope, const char *name,
                      int64_t expected_version)
{
    sqlite3_stmt *stmt;
    int64_t version = 0;
    int r, rc;

    if ((r = op_stmt(&stmt, op, STMT_DOC_VERSION)) < 0)
        return r;
    if ((rc = bind_key(stmt, kind, scope, name)) != SQLITE_OK)
        return op_fail(op, rc, "binding a document key");
    if ((r = step_one(op, stmt, "reading a document version", false, take_int64, &version)) < 0)
        return r;
    if (r == 0)
        return err_set(ERR_NOT_FOUND, "no '%s' named '%s' in '%s'", kind, name, scope);
    return err_set(ERR_CONFLICT, "'%s' named '%s' in '%s' is at version %" PRId64 ", not %" PRId64,
                   kind, name, scope, version, expected_version);
}

static int sqlite_doc_insert(int64_t *version_out, struct store *s, struct store_tx *tx,
                             const char *kind, const char *scope, const char *name,
                             const char *body, size_t body_len, int64_t now_ms)
{
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_WRITE)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_DOC_INSERT)) < 0)
        return op_end(&op, r);
    rc = bind_key(stmt, kind, scope, name) | bind_text_len(stmt, 4, body, body_len) |
         bind_int64(stmt, 5, now_ms);
    if (rc != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a document"));
    if ((r = step_done(&op, stmt, "storing a document")) < 0)
        return op_end(&op, r);
    if (sqlite3_changes(op.conn->db) == 0)
        return op_end(
            &op, err_set(ERR_EXISTS, "'%s' named '%s' already exists in '%s'", kind, name, scope));
    if ((r = op_end(&op, 0)) < 0)
        return r;
    if (version_out)
        *version_out = 1;
    return 0;
}

static int sqlite_doc_update(int64_t *version_out, struct store *s, struct store_tx *tx,
                             const char *kind, const char *scope, const char *name,
                             int64_t expected_version, const char *body, size_t body_len,
                             int64_t now_ms)
{
    struct op op;
    sqlite3_stmt *stmt;
    int64_t version = 0;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_WRITE)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_DOC_UPDATE)) < 0)
        return op_end(&op, r);
    rc = bind_key(stmt, kind, scope, name) | bind_int64(stmt, 4, expected_version) |
         bind_text_len(stmt, 5, body, body_len) | bind_int64(stmt, 6, now_ms);
    if (rc != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a document"));
    r = step_one(&op, stmt, "updating a document", true, take_int64, &version);
    if (r == 0)
        r = doc_missed(&op, kind, scope, name, expected_version);
    if ((r = op_end(&op, r < 0 ? r : 0)) < 0)
        return r;
    if (version_out)
        *version_out = version;
    return 0;
}

static int sqlite_doc_upsert(int64_t *version_out, struct store *s, struct store_tx *tx,
                             const char *kind, const char *scope, const char *name,
                             const char *body, size_t body_len, int64_t now_ms)
{
    struct op op;
    sqlite3_stmt *stmt;
    int64_t version = 0;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_WRITE)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_DOC_UPSERT)) < 0)
        return op_end(&op, r);
    rc = bind_key(stmt, kind, scope, name) | bind_text_len(stmt, 4, body, body_len) |
         bind_int64(stmt, 5, now_ms);
    if (rc != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a document"));
    r = step_one(&op, stmt, "storing a document", true, take_int64, &version);
    if (r == 0)
        r = err_set(ERR_INTERNAL, "storing a document returned no version");
    if ((r = op_end(&op, r < 0 ? r : 0)) < 0)
        return r;
    if (version_out)
        *version_out = version;
    return 0;
}

static int sqlite_doc_delete(struct store *s, struct store_tx *tx, const char *kind,
                             const char *scope, const char *name, int64_t expected_version)
{
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_WRITE)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_DOC_DELETE)) < 0)
        return op_end(&op, r);
    rc = bind_key(stmt, kind, scope, name) | bind_int64(stmt, 4, expected_version);
    if (rc != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a document key"));
    if ((r = step_done(&op, stmt, "deleting a document")) < 0)
        return op_end(&op, r);
    if (sqlite3_changes(op.conn->db) == 0)
        return op_end(&op, doc_missed(&op, kind, scope, name, expected_version));
    return op_end(&op, 0);
}

static int sqlite_doc_delete_prefix(size_t *count_out, struct store *s, struct store_tx *tx,
                                    const char *kind, const char *scope, const char *prefix)
{
    _cleanup_buf_ struct buf upper = BUF_INIT;
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if (!prefix_upper_bound(&upper, prefix))
        return err_set(ERR_INVALID, "name prefix is not valid UTF-8");
    if ((r = op_begin(&op, s, tx, OP_WRITE)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_DOC_DELETE_RANGE)) < 0)
        return op_end(&op, r);
    rc = bind_key(stmt, kind, scope, prefix) | bind_text_len(stmt, 4, upper.data, upper.len);
    if (rc != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a name range"));
    if ((r = step_done(&op, stmt, "deleting documents")) < 0)
        return op_end(&op, r);
    size_t count = (size_t)sqlite3_changes64(op.conn->db);
    if ((r = op_end(&op, 0)) < 0)
        return r;
    if (count_out)
        *count_out = count;
    return 0;
}

static int sqlite_doc_list(struct store_doc_page *out, struct store *s, struct store_tx *tx,
                           const struct store_doc_query *q)
{
    _cleanup_buf_ struct buf upper = BUF_INIT;
    struct store_doc_page page = {0};
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    bool has_upper = q->prefix && prefix_upper_bound(&upper, q->prefix);
    const char *prefix = q->prefix ? q->prefix : "";
    bool from_cursor = q->after && strcmp(q->after, prefix) >= 0;
    enum stmt_id id = from_cursor ? (has_upper ? STMT_DOC_LIST_AFTER_UPTO : STMT_DOC_LIST_AFTER)
                                  : (has_upper ? STMT_DOC_LIST_FROM_UPTO : STMT_DOC_LIST_FROM);

    if ((r = op_begin(&op, s, tx, OP_READ)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, id)) < 0)
        return op_end(&op, r);
    rc = bind_text(stmt, 1, q->kind) | bind_text(stmt, 2, q->scope) |
         bind_text(stmt, 3, from_cursor ? q->after : prefix) |
         bind_int64(stmt, 5, (int64_t)q->limit + 1);
    if (has_upper)
        rc |= bind_text_len(stmt, 4, upper.data, upper.len);
    if (rc != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a document query"));

    /* One row more than asked says whether another page follows. */
    rc = collect_rows((void **)&page.items, &page.len, &page.more, sizeof(*page.items), q->limit,
                      stmt, doc_row);
    r = 0;
    if (rc != SQLITE_DONE)
        r = op_fail(&op, rc, "listing documents");
    if ((r = op_end(&op, r)) < 0) {
        store_doc_page_release(&page);
        return r;
    }
    *out = page;
    return 0;
}

static int sqlite_doc_count(size_t *count_out, struct store *s, struct store_tx *tx,
                            const char *kind, const char *scope, const char *prefix)
{
    _cleanup_buf_ struct buf upper = BUF_INIT;
    struct op op;
    sqlite3_stmt *stmt;
    int64_t count = 0;
    int r, rc;

    bool ranged = prefix && prefix_upper_bound(&upper, prefix);
    if ((r = op_begin(&op, s, tx, OP_READ)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, ranged ? STMT_DOC_COUNT_RANGE : STMT_DOC_COUNT)) < 0)
        return op_end(&op, r);
    rc = bind_text(stmt, 1, kind) | bind_text(stmt, 2, scope);
    if (ranged)
        rc |= bind_text(stmt, 3, prefix) | bind_text_len(stmt, 4, upper.data, upper.len);
    if (rc != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a document query"));
    r = step_one(&op, stmt, "counting documents", false, take_int64, &count);
    if ((r = op_end(&op, r < 0 ? r : 0)) < 0)
        return r;
    *count_out = (size_t)count;
    return 0;
}

/* --- Jobs ---------------------------------------------------------------- */

static const char *job_state_text(enum store_job_state state)
{
    return store_job_state_name(state);
}

static enum store_job_state job_state_parse(const char *text)
{
    static const enum store_job_state states[] = {STORE_JOB_QUEUED, STORE_JOB_RUNNING,
                                                  STORE_JOB_DONE, STORE_JOB_DEAD};
    for (size_t i = 0; text && i < ARRAY_SIZE(states); i++)
        if (strcmp(text, store_job_state_name(states[i])) == 0)
            return states[i];
    /* The schema's CHECK admits only the four; treat anything else as not
     * runnable. */
    return STORE_JOB_DEAD;
}

static void job_from_row(struct store_job *job, sqlite3_stmt *stmt)
{
    *job = (struct store_job){0};
    job->id = sqlite3_column_int64(stmt, 0);
    job->kind = column_dup(stmt, 1, NULL);
    job->payload = column_dup(stmt, 2, &job->payload_len);
    job->dedup_key = column_dup(stmt, 3, NULL);
    job->state = job_state_parse((const char *)sqlite3_column_text(stmt, 4));
    job->attempts = sqlite3_column_int(stmt, 5);
    job->max_attempts = sqlite3_column_int(stmt, 6);
    job->run_after_ms = sqlite3_column_int64(stmt, 7);
    job->worker = column_dup(stmt, 8, NULL);
    const char *token = (const char *)sqlite3_column_text(stmt, 9);
    if (token && strlen(token) == STORE_LEASE_TOKEN_LEN)
        memcpy(job->lease_token, token, STORE_LEASE_TOKEN_LEN + 1);
    job->lease_expires_ms = sqlite3_column_int64(stmt, 10);
    job->last_error = column_dup(stmt, 11, NULL);
    job->created_ms = sqlite3_column_int64(stmt, 12);
    job->updated_ms = sqlite3_column_int64(stmt, 13);
}

static void take_job(sqlite3_stmt *stmt, void *arg)
{
    job_from_row(arg, stmt);
}

struct queued_job {
    int64_t id;
    int64_t run_after_ms;
};

static void take_queued_job(sqlite3_stmt *stmt, void *arg)
{
    struct queued_job *job = arg;
    job->id = sqlite3_column_int64(stmt, 0);
    job->run_after_ms = sqlite3_column_int64(stmt, 1);
}

/* Within an operation: a queued job with this key, folded into. 1 when one
 * absorbed the request, 0 when there is none. */
static int job_coalesce(int64_t *id_out, struct op *op, const struct store_job_spec *spec,
                        int64_t now_ms)
{
    struct queued_job queued = {0};
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_stmt(&stmt, op, STMT_JOB_FIND_QUEUED_KEY)) < 0)
        return r;
    if ((rc = bind_text(stmt, 1, spec->dedup_key)) != SQLITE_OK)
        return op_fail(op, rc, "binding a job key");
    r = step_one(op, stmt, "looking up a job key", false, take_queued_job, &queued);
    if (r <= 0)
        return r;
    if (spec->run_after_ms < queued.run_after_ms) {
        if ((r = op_stmt(&stmt, op, STMT_JOB_ADVANCE)) < 0)
            return r;
        rc = bind_int64(stmt, 1, queued.id) | bind_int64(stmt, 2, spec->run_after_ms) |
             bind_int64(stmt, 3, now_ms);
        if (rc != SQLITE_OK)
            return op_fail(op, rc, "binding a job");
        if ((r = step_done(op, stmt, "rescheduling a job")) < 0)
            return r;
    }
    *id_out = queued.id;
    return 1;
}

static int sqlite_job_enqueue(int64_t *id_out, bool *coalesced_out, struct store *s,
                              struct store_tx *tx, const struct store_job_spec *spec,
                              int64_t now_ms)
{
    struct op op;
    sqlite3_stmt *stmt;
    int64_t id = 0;
    int r, rc;

    /* Looking for a queued twin and inserting must be one step, or two
     * enqueuers could both miss each other. */
    if ((r = op_begin(&op, s, tx, spec->dedup_key ? OP_WRITE_GROUP : OP_WRITE)) < 0)
        return r;
    if (spec->dedup_key) {
        r = job_coalesce(&id, &op, spec, now_ms);
        if (r != 0) {
            if ((r = op_end(&op, r < 0 ? r : 0)) < 0)
                return r;
            *id_out = id;
            if (coalesced_out)
                *coalesced_out = true;
            return 0;
        }
    }
    if ((r = op_stmt(&stmt, &op, STMT_JOB_INSERT)) < 0)
        return op_end(&op, r);
    rc = bind_text(stmt, 1, spec->kind) | bind_text_len(stmt, 2, spec->payload, spec->payload_len) |
         bind_text(stmt, 3, spec->dedup_key) | bind_int64(stmt, 4, spec->max_attempts) |
         bind_int64(stmt, 5, spec->run_after_ms) | bind_int64(stmt, 6, now_ms);
    if (rc != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a job"));
    if ((r = step_done(&op, stmt, "enqueueing a job")) < 0)
        return op_end(&op, r);
    id = sqlite3_last_insert_rowid(op.conn->db);
    if ((r = op_end(&op, 0)) < 0)
        return r;
    *id_out = id;
    if (coalesced_out)
        *coalesced_out = false;
    return 0;
}

static int sqlite_job_claim(struct store_job *out, struct store *s, struct store_tx *tx,
                            const char *worker, const char *const *kinds, size_t kinds_len,
                            int64_t lease_ms, const char *lease_token, int64_t now_ms)
{
    _cleanup_buf_ struct buf kinds_json = BUF_INIT;
    struct store_job job = {0};
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    /* The kinds travel as one JSON array parameter, so one cached statement
     * serves any number of them. */
    if (kinds_len) {
        buf_addch(&kinds_json, '[');
        for (size_t i = 0; i < kinds_len; i++) {
            if (i)
                buf_addch(&kinds_json, ',');
            jsonw_cstr(&kinds_json, kinds[i]);
        }
        buf_addch(&kinds_json, ']');
    }

    if ((r = op_begin(&op, s, tx, OP_WRITE)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, kinds_len ? STMT_JOB_CLAIM_KINDS : STMT_JOB_CLAIM_ANY)) < 0)
        return op_end(&op, r);
    rc = bind_text(stmt, 1, worker) | bind_text(stmt, 2, lease_token) |
         bind_int64(stmt, 3, now_ms) | bind_int64(stmt, 4, now_ms + lease_ms);
    if (kinds_len)
        rc |= bind_text_len(stmt, 5, kinds_json.data, kinds_json.len);
    if (rc != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a claim"));
    r = step_one(&op, stmt, "claiming a job", true, take_job, &job);
    if (r == 0)
        r = err_set(ERR_NOT_FOUND, "no job is due");
    if ((r = op_end(&op, r < 0 ? r : 0)) < 0) {
        store_job_release(&job);
        return r;
    }
    *out = job;
    return 0;
}

/* After a leased change matched no row: why. */
static int job_missed(struct op *op, int64_t id)
{
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_stmt(&stmt, op, STMT_JOB_STATE)) < 0)
        return r;
    if ((rc = bind_int64(stmt, 1, id)) != SQLITE_OK)
        return op_fail(op, rc, "binding a job id");
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE)
        return err_set(ERR_NOT_FOUND, "job %" PRId64 " does not exist", id);
    if (rc != SQLITE_ROW)
        return op_fail(op, rc, "reading a job");
    return err_set(ERR_CONFLICT, "job %" PRId64 " is no longer held under this lease (it is %s)",
                   id, (const char *)sqlite3_column_text(stmt, 0));
}

/* Runs one of the lease-checked updates, whose ?1 and ?2 are id and token. */
static int job_leased_change(struct op *op, sqlite3_stmt *stmt, int64_t id, const char *token,
                             const char *what)
{
    int r, rc;
    if ((rc = bind_int64(stmt, 1, id) | bind_text(stmt, 2, token)) != SQLITE_OK)
        return op_fail(op, rc, "binding a lease");
    if ((r = step_done(op, stmt, what)) < 0)
        return r;
    if (sqlite3_changes(op->conn->db) == 0)
        return job_missed(op, id);
    return 0;
}

static int sqlite_job_renew(int64_t *expires_out, struct store *s, struct store_tx *tx, int64_t id,
                            const char *lease_token, int64_t lease_ms, int64_t now_ms)
{
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_WRITE)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_JOB_RENEW)) < 0)
        return op_end(&op, r);
    if ((rc = bind_int64(stmt, 3, now_ms + lease_ms) | bind_int64(stmt, 4, now_ms)) != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a lease"));
    if ((r = op_end(&op, job_leased_change(&op, stmt, id, lease_token, "renewing a lease"))) < 0)
        return r;
    if (expires_out)
        *expires_out = now_ms + lease_ms;
    return 0;
}

static int sqlite_job_complete(struct store *s, struct store_tx *tx, int64_t id,
                               const char *lease_token, int64_t now_ms)
{
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_WRITE)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_JOB_COMPLETE)) < 0)
        return op_end(&op, r);
    if ((rc = bind_int64(stmt, 3, now_ms)) != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a job"));
    return op_end(&op, job_leased_change(&op, stmt, id, lease_token, "completing a job"));
}

static int sqlite_job_fail(struct store *s, struct store_tx *tx, int64_t id,
                           const char *lease_token, const char *error, int64_t retry_at_ms,
                           int64_t now_ms)
{
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_WRITE)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_JOB_FAIL)) < 0)
        return op_end(&op, r);
    rc = bind_text(stmt, 3, error) | bind_int64(stmt, 4, retry_at_ms) | bind_int64(stmt, 5, now_ms);
    if (rc != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a job"));
    return op_end(&op, job_leased_change(&op, stmt, id, lease_token, "failing a job"));
}

/* Runs a statement whose only parameter ?1 is a time and reports the rows it
 * changed: reclaim and the purges. */
static int run_timed_change(size_t *count_out, struct store *s, struct store_tx *tx,
                            enum stmt_id id, int64_t ms, const char *what)
{
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_WRITE)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, id)) < 0)
        return op_end(&op, r);
    if ((rc = bind_int64(stmt, 1, ms)) != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, what));
    if ((r = step_done(&op, stmt, what)) < 0)
        return op_end(&op, r);
    size_t count = (size_t)sqlite3_changes64(op.conn->db);
    if ((r = op_end(&op, 0)) < 0)
        return r;
    if (count_out)
        *count_out = count;
    return 0;
}

static int sqlite_job_reclaim(size_t *count_out, struct store *s, struct store_tx *tx,
                              int64_t now_ms)
{
    return run_timed_change(count_out, s, tx, STMT_JOB_RECLAIM, now_ms, "reclaiming leases");
}

static int sqlite_job_get(struct store_job *out, struct store *s, struct store_tx *tx, int64_t id)
{
    struct store_job job = {0};
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_READ)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_JOB_GET)) < 0)
        return op_end(&op, r);
    if ((rc = bind_int64(stmt, 1, id)) != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a job id"));
    r = step_one(&op, stmt, "reading a job", false, take_job, &job);
    if (r == 0)
        r = err_set(ERR_NOT_FOUND, "job %" PRId64 " does not exist", id);
    if ((r = op_end(&op, r < 0 ? r : 0)) < 0) {
        store_job_release(&job);
        return r;
    }
    *out = job;
    return 0;
}

static int sqlite_job_count(size_t *count_out, struct store *s, struct store_tx *tx,
                            const char *kind, enum store_job_state state)
{
    struct op op;
    sqlite3_stmt *stmt;
    int64_t count = 0;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_READ)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_JOB_COUNT)) < 0)
        return op_end(&op, r);
    if ((rc = bind_text(stmt, 1, job_state_text(state)) | bind_text(stmt, 2, kind)) != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a job query"));
    r = step_one(&op, stmt, "counting jobs", false, take_int64, &count);
    if ((r = op_end(&op, r < 0 ? r : 0)) < 0)
        return r;
    *count_out = (size_t)count;
    return 0;
}

static int sqlite_job_purge(size_t *count_out, struct store *s, struct store_tx *tx,
                            int64_t before_ms)
{
    return run_timed_change(count_out, s, tx, STMT_JOB_PURGE, before_ms, "purging jobs");
}

/* --- Outbox -------------------------------------------------------------- */

static int sqlite_outbox_append(int64_t *seq_out, struct store *s, struct store_tx *tx,
                                const char *body, size_t body_len, int64_t now_ms)
{
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_WRITE)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_OUTBOX_APPEND)) < 0)
        return op_end(&op, r);
    if ((rc = bind_text_len(stmt, 1, body, body_len) | bind_int64(stmt, 2, now_ms)) != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding an event"));
    if ((r = step_done(&op, stmt, "appending an event")) < 0)
        return op_end(&op, r);
    int64_t seq = sqlite3_last_insert_rowid(op.conn->db);
    if ((r = op_end(&op, 0)) < 0)
        return r;
    if (seq_out)
        *seq_out = seq;
    return 0;
}

static int sqlite_outbox_fetch(struct store_event_batch *out, struct store *s, struct store_tx *tx,
                               int64_t after_seq, size_t limit)
{
    struct store_event_batch batch = {0};
    size_t alloc = 0;
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_READ)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_OUTBOX_FETCH)) < 0)
        return op_end(&op, r);
    if ((rc = bind_int64(stmt, 1, after_seq) | bind_int64(stmt, 2, (int64_t)limit)) != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding an event query"));
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        ALLOC_GROW(batch.items, batch.len + 1, alloc);
        struct store_event *event = &batch.items[batch.len++];
        event->seq = sqlite3_column_int64(stmt, 0);
        event->body = column_dup(stmt, 1, &event->body_len);
        event->created_ms = sqlite3_column_int64(stmt, 2);
    }
    r = rc == SQLITE_DONE ? 0 : op_fail(&op, rc, "fetching events");
    if ((r = op_end(&op, r)) < 0) {
        store_event_batch_release(&batch);
        return r;
    }
    *out = batch;
    return 0;
}

static int sqlite_outbox_mark_delivered(struct store *s, struct store_tx *tx, int64_t seq,
                                        int64_t now_ms)
{
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_WRITE)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_OUTBOX_MARK)) < 0)
        return op_end(&op, r);
    if ((rc = bind_int64(stmt, 1, seq) | bind_int64(stmt, 2, now_ms)) != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding an event"));
    if ((r = step_done(&op, stmt, "marking an event delivered")) < 0)
        return op_end(&op, r);
    if (sqlite3_changes(op.conn->db) > 0)
        return op_end(&op, 0);

    if ((r = op_stmt(&stmt, &op, STMT_OUTBOX_STATE)) < 0)
        return op_end(&op, r);
    if ((rc = bind_int64(stmt, 1, seq)) != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding an event"));
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE)
        r = err_set(ERR_NOT_FOUND, "event %" PRId64 " does not exist", seq);
    else if (rc == SQLITE_ROW)
        r = err_set(ERR_CONFLICT, "event %" PRId64 " was already delivered", seq);
    else
        r = op_fail(&op, rc, "reading an event");
    return op_end(&op, r);
}

static int sqlite_outbox_purge(size_t *count_out, struct store *s, struct store_tx *tx,
                               int64_t before_ms)
{
    return run_timed_change(count_out, s, tx, STMT_OUTBOX_PURGE, before_ms, "purging events");
}

/* --- Log events ---------------------------------------------------------- */

/* A string above every valid UTF-8 string (U+10FFFF is F4 8F BF BF), for an
 * open upper bound on names. */
#define NAME_ABOVE_ALL "\xf4\x90"

struct log_ids {
    int64_t group_id;
    int64_t stream_id; /* 0 when the stream is missing */
};

static void take_log_ids(sqlite3_stmt *stmt, void *arg)
{
    struct log_ids *ids = arg;
    ids->group_id = sqlite3_column_int64(stmt, 0);
    ids->stream_id = sqlite3_column_int64(stmt, 1);
}

static int log_group_missing(const char *scope, const char *group)
{
    return err_set(ERR_NOT_FOUND, "no log group '%s' in '%s'", group, scope);
}

/*
 * Within an operation: the ids of a group and, when `stream` is not NULL,
 * of one of its streams; ERR_NOT_FOUND when either is missing.
 */
static int log_ids_find(struct log_ids *out, struct op *op, const char *scope, const char *group,
                        const char *stream)
{
    sqlite3_stmt *stmt;
    int r, rc;

    *out = (struct log_ids){0};
    if ((r = op_stmt(&stmt, op, STMT_LOG_STREAM_IDS)) < 0)
        return r;
    rc = bind_text(stmt, 1, scope) | bind_text(stmt, 2, group) |
         bind_text(stmt, 3, stream ? stream : "");
    if (rc != SQLITE_OK)
        return op_fail(op, rc, "binding a log stream key");
    r = step_one(op, stmt, "looking up a log stream", false, take_log_ids, out);
    sqlite3_reset(stmt);
    if (r < 0)
        return r;
    if (r == 0)
        return log_group_missing(scope, group);
    if (stream && out->stream_id == 0)
        return err_set(ERR_NOT_FOUND, "no log stream '%s' in group '%s'", stream, group);
    return 0;
}

static int sqlite_log_group_create(struct store *s, struct store_tx *tx, const char *scope,
                                   const char *group, int64_t now_ms)
{
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_WRITE)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_LOG_GROUP_INSERT)) < 0)
        return op_end(&op, r);
    rc = bind_text(stmt, 1, scope) | bind_text(stmt, 2, group) | bind_int64(stmt, 3, now_ms);
    if (rc != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a log group"));
    if ((r = step_done(&op, stmt, "creating a log group")) < 0)
        return op_end(&op, r);
    if (sqlite3_changes(op.conn->db) == 0)
        return op_end(&op,
                      err_set(ERR_EXISTS, "log group '%s' already exists in '%s'", group, scope));
    return op_end(&op, 0);
}

struct log_group_row {
    int64_t id;
    struct store_log_group group;
};

static void take_log_group(sqlite3_stmt *stmt, void *arg)
{
    struct log_group_row *row = arg;
    row->id = sqlite3_column_int64(stmt, 0);
    row->group.created_ms = sqlite3_column_int64(stmt, 1);
    row->group.retention_days = sqlite3_column_int(stmt, 2);
    row->group.stored_bytes = sqlite3_column_int64(stmt, 3);
    row->group.event_count = sqlite3_column_int64(stmt, 4);
}

static int log_group_find(struct log_group_row *out, struct op *op, const char *scope,
                          const char *group)
{
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_stmt(&stmt, op, STMT_LOG_GROUP_GET)) < 0)
        return r;
    if ((rc = bind_text(stmt, 1, scope) | bind_text(stmt, 2, group)) != SQLITE_OK)
        return op_fail(op, rc, "binding a log group key");
    r = step_one(op, stmt, "reading a log group", false, take_log_group, out);
    sqlite3_reset(stmt);
    if (r < 0)
        return r;
    if (r == 0)
        return log_group_missing(scope, group);
    return 0;
}

static int sqlite_log_group_get(struct store_log_group *out, struct store *s, struct store_tx *tx,
                                const char *scope, const char *group)
{
    struct log_group_row row = {0};
    struct op op;
    int r;

    if ((r = op_begin(&op, s, tx, OP_READ)) < 0)
        return r;
    if ((r = op_end(&op, log_group_find(&row, &op, scope, group))) < 0)
        return r;
    *out = row.group;
    return 0;
}

static void log_group_entry_row(void *item, sqlite3_stmt *stmt)
{
    struct store_log_group_entry *e = item;
    e->name = column_dup(stmt, 0, NULL);
    e->group = (struct store_log_group){
        .created_ms = sqlite3_column_int64(stmt, 1),
        .retention_days = sqlite3_column_int(stmt, 2),
        .stored_bytes = sqlite3_column_int64(stmt, 3),
        .event_count = sqlite3_column_int64(stmt, 4),
    };
}

static int sqlite_log_group_list(struct store_log_group_page *out, struct store *s,
                                 struct store_tx *tx, const char *scope, const char *prefix,
                                 const char *after, size_t limit)
{
    _cleanup_buf_ struct buf upper = BUF_INIT;
    struct store_log_group_page page = {0};
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    const char *lower = prefix ? prefix : "";
    if (!prefix || !prefix_upper_bound(&upper, prefix)) {
        buf_reset(&upper);
        buf_adds(&upper, NAME_ABOVE_ALL);
    }
    bool from_cursor = after && strcmp(after, lower) >= 0;
    if (from_cursor)
        lower = after;
    if ((r = op_begin(&op, s, tx, OP_READ)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, from_cursor ? STMT_LOG_GROUPS_AFTER : STMT_LOG_GROUPS_FROM)) < 0)
        return op_end(&op, r);
    rc = bind_text(stmt, 1, scope) | bind_text(stmt, 2, lower) |
         bind_text_len(stmt, 3, upper.data, upper.len) | bind_int64(stmt, 4, (int64_t)limit + 1);
    if (rc != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a log group query"));
    rc = collect_rows((void **)&page.items, &page.len, &page.more, sizeof(*page.items), limit, stmt,
                      log_group_entry_row);
    r = 0;
    if (rc != SQLITE_DONE)
        r = op_fail(&op, rc, "listing log groups");
    if ((r = op_end(&op, r)) < 0) {
        store_log_group_page_release(&page);
        return r;
    }
    *out = page;
    return 0;
}

static int sqlite_log_group_set_retention(struct store *s, struct store_tx *tx, const char *scope,
                                          const char *group, int days)
{
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_WRITE)) < 0)
        return r;
    if ((r = op_stmt(&stmt, &op, STMT_LOG_GROUP_SET_RETENTION)) < 0)
        return op_end(&op, r);
    rc = bind_text(stmt, 1, scope) | bind_text(stmt, 2, group) | bind_int64(stmt, 3, days);
    if (rc != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a log group"));
    if ((r = step_done(&op, stmt, "setting a log group's retention")) < 0)
        return op_end(&op, r);
    if (sqlite3_changes(op.conn->db) == 0)
        return op_end(&op, log_group_missing(scope, group));
    return op_end(&op, 0);
}

/* Runs a statement whose only parameter ?1 is an id. */
static int run_id_change(struct op *op, enum stmt_id id, int64_t value, const char *what)
{
    sqlite3_stmt *stmt;
    int r, rc;
    if ((r = op_stmt(&stmt, op, id)) < 0)
        return r;
    if ((rc = bind_int64(stmt, 1, value)) != SQLITE_OK)
        return op_fail(op, rc, what);
    return step_done(op, stmt, what);
}

static int sqlite_log_group_delete(struct store *s, struct store_tx *tx, const char *scope,
                                   const char *group)
{
    struct log_group_row row = {0};
    struct op op;
    int r;

    if ((r = op_begin(&op, s, tx, OP_WRITE_GROUP)) < 0)
        return r;
    if ((r = log_group_find(&row, &op, scope, group)) == 0 &&
        (r = run_id_change(&op, STMT_LOG_GROUP_DELETE_EVENTS, row.id, "deleting log events")) ==
            0 &&
        (r = run_id_change(&op, STMT_LOG_GROUP_DELETE_STREAMS, row.id, "deleting log streams")) ==
            0)
        r = run_id_change(&op, STMT_LOG_GROUP_DELETE, row.id, "deleting a log group");
    return op_end(&op, r);
}

static int sqlite_log_stream_create(struct store *s, struct store_tx *tx, const char *scope,
                                    const char *group, const char *stream, int64_t now_ms)
{
    struct log_ids ids;
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_WRITE_GROUP)) < 0)
        return r;
    if ((r = log_ids_find(&ids, &op, scope, group, NULL)) < 0)
        return op_end(&op, r);
    if ((r = op_stmt(&stmt, &op, STMT_LOG_STREAM_INSERT)) < 0)
        return op_end(&op, r);
    rc = bind_int64(stmt, 1, ids.group_id) | bind_text(stmt, 2, stream) |
         bind_int64(stmt, 3, now_ms);
    if (rc != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a log stream"));
    if ((r = step_done(&op, stmt, "creating a log stream")) < 0)
        return op_end(&op, r);
    if (sqlite3_changes(op.conn->db) == 0)
        return op_end(&op, err_set(ERR_EXISTS, "log stream '%s' already exists in group '%s'",
                                   stream, group));
    return op_end(&op, 0);
}

/* A row of LOG_STREAM_COLUMNS. */
static void log_stream_from_row(struct store_log_stream *out, sqlite3_stmt *stmt)
{
    out->name = column_dup(stmt, 0, NULL);
    out->created_ms = sqlite3_column_int64(stmt, 1);
    out->first_event_ms = sqlite3_column_int64(stmt, 2);
    out->last_event_ms = sqlite3_column_int64(stmt, 3);
    out->last_ingestion_ms = sqlite3_column_int64(stmt, 4);
    out->stored_bytes = sqlite3_column_int64(stmt, 5);
    out->event_count = sqlite3_column_int64(stmt, 6);
    out->upload_count = sqlite3_column_int64(stmt, 7);
}

static void log_stream_row(void *item, sqlite3_stmt *stmt)
{
    log_stream_from_row(item, stmt);
}

static void take_log_stream(sqlite3_stmt *stmt, void *arg)
{
    log_stream_from_row(arg, stmt);
}

static int sqlite_log_stream_get(struct store_log_stream *out, struct store *s, struct store_tx *tx,
                                 const char *scope, const char *group, const char *stream)
{
    struct store_log_stream result = {0};
    struct log_ids ids;
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_READ)) < 0)
        return r;
    if ((r = log_ids_find(&ids, &op, scope, group, stream)) < 0)
        return op_end(&op, r);
    if ((r = op_stmt(&stmt, &op, STMT_LOG_STREAM_GET)) < 0)
        return op_end(&op, r);
    if ((rc = bind_int64(stmt, 1, ids.stream_id)) != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a log stream id"));
    r = step_one(&op, stmt, "reading a log stream", false, take_log_stream, &result);
    if (r == 0)
        r = err_set(ERR_INTERNAL, "log stream '%s' vanished while read", stream);
    if ((r = op_end(&op, r < 0 ? r : 0)) < 0) {
        store_log_stream_release(&result);
        return r;
    }
    *out = result;
    return 0;
}

struct log_totals {
    int64_t bytes;
    int64_t count;
};

static void take_log_totals(sqlite3_stmt *stmt, void *arg)
{
    struct log_totals *t = arg;
    t->bytes = sqlite3_column_int64(stmt, 0);
    t->count = sqlite3_column_int64(stmt, 1);
}

static int log_group_add(struct op *op, int64_t group_id, int64_t bytes, int64_t count)
{
    sqlite3_stmt *stmt;
    int r, rc;
    if ((r = op_stmt(&stmt, op, STMT_LOG_GROUP_ADD)) < 0)
        return r;
    rc = bind_int64(stmt, 1, group_id) | bind_int64(stmt, 2, bytes) | bind_int64(stmt, 3, count);
    if (rc != SQLITE_OK)
        return op_fail(op, rc, "binding log group counters");
    r = step_done(op, stmt, "updating log group counters");
    sqlite3_reset(stmt);
    return r;
}

static int sqlite_log_stream_delete(struct store *s, struct store_tx *tx, const char *scope,
                                    const char *group, const char *stream)
{
    struct log_totals totals = {0};
    struct log_ids ids;
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_WRITE_GROUP)) < 0)
        return r;
    if ((r = log_ids_find(&ids, &op, scope, group, stream)) < 0)
        return op_end(&op, r);
    if ((r = run_id_change(&op, STMT_LOG_STREAM_DELETE_EVENTS, ids.stream_id,
                           "deleting log events")) < 0)
        return op_end(&op, r);
    if ((r = op_stmt(&stmt, &op, STMT_LOG_STREAM_DELETE)) < 0)
        return op_end(&op, r);
    if ((rc = bind_int64(stmt, 1, ids.stream_id)) != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a log stream id"));
    if ((r = step_one(&op, stmt, "deleting a log stream", true, take_log_totals, &totals)) < 0)
        return op_end(&op, r);
    return op_end(&op, log_group_add(&op, ids.group_id, -totals.bytes, -totals.count));
}

static int sqlite_log_stream_list(struct store_log_stream_page *out, struct store *s,
                                  struct store_tx *tx, const struct store_log_stream_query *q)
{
    _cleanup_buf_ struct buf upper = BUF_INIT;
    struct store_log_stream_page page = {0};
    struct log_ids ids;
    struct op op;
    sqlite3_stmt *stmt;
    enum stmt_id id;
    int r, rc;

    /*
     * By name, a page is the range of names between a lower bound (the
     * prefix, inclusive, or the cursor, exclusive: whichever is later when
     * ascending) and an upper bound (the first string after the prefix, or
     * the cursor when descending: whichever is earlier); by last event, it
     * continues after (last_event_ms, name) of the cursor.
     */
    const char *lower = q->prefix ? q->prefix : "";
    if (!q->prefix || !prefix_upper_bound(&upper, q->prefix)) {
        buf_reset(&upper);
        buf_adds(&upper, NAME_ABOVE_ALL);
    }
    if (q->order == STORE_LOG_BY_NAME) {
        if (!q->descending) {
            bool after = q->after_name && strcmp(q->after_name, lower) >= 0;
            id = after ? STMT_LOG_STREAMS_NAME_AFTER : STMT_LOG_STREAMS_NAME_FROM;
            if (after)
                lower = q->after_name;
        } else {
            id = STMT_LOG_STREAMS_NAME_DESC;
            if (q->after_name && strcmp(q->after_name, upper.data) < 0) {
                buf_reset(&upper);
                buf_adds(&upper, q->after_name);
            }
        }
    } else {
        id = q->descending ? STMT_LOG_STREAMS_LAST_DESC : STMT_LOG_STREAMS_LAST_ASC;
    }

    if ((r = op_begin(&op, s, tx, OP_READ)) < 0)
        return r;
    if ((r = log_ids_find(&ids, &op, q->scope, q->group, NULL)) < 0)
        return op_end(&op, r);
    if ((r = op_stmt(&stmt, &op, id)) < 0)
        return op_end(&op, r);
    rc = bind_int64(stmt, 1, ids.group_id) | bind_int64(stmt, 4, (int64_t)q->limit + 1);
    if (q->order == STORE_LOG_BY_NAME) {
        rc |= bind_text(stmt, 2, lower) | bind_text_len(stmt, 3, upper.data, upper.len);
    } else if (q->after_name) {
        rc |= bind_int64(stmt, 2, q->after_last_event_ms) | bind_text(stmt, 3, q->after_name);
    } else if (q->descending) {
        rc |= bind_int64(stmt, 2, INT64_MAX) | bind_text(stmt, 3, "");
    } else {
        rc |= bind_int64(stmt, 2, -1) | bind_text(stmt, 3, "");
    }
    if (rc != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding a log stream query"));

    rc = collect_rows((void **)&page.items, &page.len, &page.more, sizeof(*page.items), q->limit,
                      stmt, log_stream_row);
    r = 0;
    if (rc != SQLITE_DONE)
        r = op_fail(&op, rc, "listing log streams");
    if ((r = op_end(&op, r)) < 0) {
        store_log_stream_page_release(&page);
        return r;
    }
    *out = page;
    return 0;
}

static int sqlite_log_append(int64_t *upload_count_out, struct store *s, struct store_tx *tx,
                             const char *scope, const char *group, const char *stream,
                             const struct store_log_input *events, size_t count, int64_t now_ms)
{
    struct log_ids ids;
    struct op op;
    sqlite3_stmt *stmt;
    int64_t bytes = 0, first = INT64_MAX, last = INT64_MIN, uploads = 0;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_WRITE_GROUP)) < 0)
        return r;
    if ((r = log_ids_find(&ids, &op, scope, group, stream)) < 0)
        return op_end(&op, r);

    /* Full statements of LOG_INSERT_ROWS events, then one per event for the
     * rest; group, stream and ingestion time stay bound. */
    size_t done = 0;
    while (done < count) {
        size_t rows = count - done >= LOG_INSERT_ROWS ? LOG_INSERT_ROWS : 1;
        if ((r = op_stmt(&stmt, &op,
                         rows > 1 ? STMT_LOG_EVENT_INSERT_MANY : STMT_LOG_EVENT_INSERT)) < 0)
            return op_end(&op, r);
        rc = bind_int64(stmt, 1, ids.group_id) | bind_int64(stmt, 2, ids.stream_id) |
             bind_int64(stmt, 3, now_ms);
        for (size_t k = 0; k < rows; k++) {
            const struct store_log_input *e = &events[done + k];
            rc |= bind_int64(stmt, 4 + 2 * (int)k, e->timestamp_ms) |
                  bind_text_len(stmt, 5 + 2 * (int)k, e->message ? e->message : "", e->message_len);
            bytes += (int64_t)e->message_len;
            if (e->timestamp_ms < first)
                first = e->timestamp_ms;
            if (e->timestamp_ms > last)
                last = e->timestamp_ms;
        }
        if (rc != SQLITE_OK)
            return op_end(&op, op_fail(&op, rc, "binding log events"));
        if ((r = step_done(&op, stmt, "appending log events")) < 0)
            return op_end(&op, r);
        sqlite3_reset(stmt);
        done += rows;
    }

    if ((r = op_stmt(&stmt, &op, STMT_LOG_STREAM_ADD)) < 0)
        return op_end(&op, r);
    rc = bind_int64(stmt, 1, ids.stream_id) | bind_int64(stmt, 2, first) |
         bind_int64(stmt, 3, last) | bind_int64(stmt, 4, now_ms) | bind_int64(stmt, 5, bytes) |
         bind_int64(stmt, 6, (int64_t)count);
    if (rc != SQLITE_OK)
        return op_end(&op, op_fail(&op, rc, "binding log stream counters"));
    r = step_one(&op, stmt, "updating log stream counters", true, take_int64, &uploads);
    if (r == 0)
        r = err_set(ERR_INTERNAL, "log stream '%s' vanished while appended to", stream);
    if (r > 0)
        r = log_group_add(&op, ids.group_id, bytes, (int64_t)count);
    if ((r = op_end(&op, r)) < 0)
        return r;
    if (upload_count_out)
        *upload_count_out = uploads;
    return 0;
}

/* The stream filter of a group read: names sorted for bsearch, or a prefix. */
struct log_stream_filter {
    const char **names;
    size_t count;
    const char *prefix;
    size_t prefix_len;
};

static int compare_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool log_stream_filter_keeps(const struct log_stream_filter *f, const char *name)
{
    if (f->names)
        return bsearch(&name, f->names, f->count, sizeof(*f->names), compare_cstr) != NULL;
    if (f->prefix)
        return strncmp(name, f->prefix, f->prefix_len) == 0;
    return true;
}

/* Where a page's strings go while it is read: offsets into `text`, turned
 * into pointers once the text stops moving. */
struct log_page_builder {
    struct store_log_page page;
    size_t alloc;
    struct buf text;
    size_t *message_at;
    size_t *stream_at;
    /* The stream names already copied, for group reads. */
    int64_t name_ids[16];
    size_t name_at[16];
    size_t name_count;
};

static size_t log_page_stream_name(struct log_page_builder *b, int64_t stream_id, const char *name,
                                   size_t len)
{
    for (size_t i = 0; i < b->name_count; i++)
        if (b->name_ids[i] == stream_id)
            return b->name_at[i];
    size_t at = b->text.len;
    buf_add(&b->text, name, len);
    buf_addch(&b->text, '\0');
    if (b->name_count < ARRAY_SIZE(b->name_ids)) {
        b->name_ids[b->name_count] = stream_id;
        b->name_at[b->name_count++] = at;
    }
    return at;
}

/*
 * Room for the page before the first row, so a full page (10,000 events,
 * 1 MB) is not grown by doubling, which copies the text and the items
 * several times over and touches twice the memory. The kept bytes bound the
 * text (each event counts its message plus STORE_LOG_EVENT_OVERHEAD, more
 * than its terminator); small limits reserve 256 bytes an event.
 */
static void log_page_reserve(struct log_page_builder *b, const struct store_log_read_query *q)
{
    size_t events = q->limit;
    size_t text = events * 256;
    if (q->max_bytes) {
        if (events > q->max_bytes / STORE_LOG_EVENT_OVERHEAD + 1)
            events = q->max_bytes / STORE_LOG_EVENT_OVERHEAD + 1;
        if (text > q->max_bytes)
            text = q->max_bytes;
    }
    b->alloc = events;
    b->page.items = xmalloc(events * sizeof(*b->page.items));
    b->message_at = xmalloc(events * sizeof(*b->message_at));
    b->stream_at = xmalloc(events * sizeof(*b->stream_at));
    buf_grow(&b->text, text);
}

static void log_page_add(struct log_page_builder *b, sqlite3_stmt *stmt, struct store_log_pos pos,
                         const char *message, size_t len, bool group_read)
{
    size_t n = b->page.len;
    if (n == b->alloc) {
        b->alloc = b->alloc ? b->alloc * 2 : 64;
        b->page.items = xrealloc(b->page.items, b->alloc * sizeof(*b->page.items));
        b->message_at = xrealloc(b->message_at, b->alloc * sizeof(*b->message_at));
        b->stream_at = xrealloc(b->stream_at, b->alloc * sizeof(*b->stream_at));
    }
    struct store_log_event *e = &b->page.items[n];
    *e = (struct store_log_event){
        .id = pos.id,
        .timestamp_ms = pos.timestamp_ms,
        .ingested_ms = sqlite3_column_int64(stmt, 2),
        .message_len = len,
    };
    b->message_at[n] = b->text.len;
    buf_add(&b->text, message, len);
    buf_addch(&b->text, '\0');
    b->stream_at[n] = SIZE_MAX;
    if (group_read) {
        const char *name = (const char *)sqlite3_column_text(stmt, 5);
        size_t name_len = (size_t)sqlite3_column_bytes(stmt, 5);
        b->stream_at[n] =
            log_page_stream_name(b, sqlite3_column_int64(stmt, 4), name ? name : "", name_len);
    }
    b->page.len++;
}

/* Hands the page over: reversed into ascending order for backward reads. */
static void log_page_finish(struct store_log_page *out, struct log_page_builder *b, bool backward)
{
    struct store_log_page page = b->page;
    page.text = buf_detach(&b->text, NULL);
    for (size_t i = 0; i < page.len; i++) {
        page.items[i].message = page.text + b->message_at[i];
        page.items[i].stream = b->stream_at[i] == SIZE_MAX ? NULL : page.text + b->stream_at[i];
    }
    if (backward)
        for (size_t i = 0, j = page.len ? page.len - 1 : 0; i < j; i++, j--) {
            struct store_log_event t = page.items[i];
            page.items[i] = page.items[j];
            page.items[j] = t;
        }
    free(b->message_at);
    free(b->stream_at);
    *b = (struct log_page_builder){.text = BUF_INIT};
    *out = page;
}

static void log_page_builder_release(struct log_page_builder *b)
{
    free(b->page.items);
    free(b->message_at);
    free(b->stream_at);
    buf_release(&b->text);
}

static int sqlite_log_read(struct store_log_page *out, struct store *s, struct store_tx *tx,
                           const struct store_log_read_query *q)
{
    struct log_page_builder b = {.text = BUF_INIT};
    struct log_stream_filter filter = {0};
    struct log_ids ids;
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    bool group_read = !q->stream;
    if (q->streams) {
        filter.names = xmalloc((q->stream_count ? q->stream_count : 1) * sizeof(*filter.names));
        memcpy(filter.names, q->streams, q->stream_count * sizeof(*filter.names));
        filter.count = q->stream_count;
        qsort(filter.names, filter.count, sizeof(*filter.names), compare_cstr);
    } else if (q->stream_prefix) {
        filter.prefix = q->stream_prefix;
        filter.prefix_len = strlen(q->stream_prefix);
    }

    if ((r = op_begin(&op, s, tx, OP_READ)) < 0)
        goto done;
    if ((r = log_ids_find(&ids, &op, q->scope, q->group, q->stream)) < 0)
        goto end;
    enum stmt_id id =
        group_read ? (q->backward ? STMT_LOG_EVENTS_GROUP_BACK : STMT_LOG_EVENTS_GROUP_FWD)
                   : (q->backward ? STMT_LOG_EVENTS_STREAM_BACK : STMT_LOG_EVENTS_STREAM_FWD);
    if ((r = op_stmt(&stmt, &op, id)) < 0)
        goto end;
    /* After (t, id) means a timestamp of at least t; before it, at most t. */
    int64_t lower = q->start_ms, upper = q->end_ms;
    if (!q->backward && q->from.timestamp_ms > lower)
        lower = q->from.timestamp_ms;
    if (q->backward && q->from.timestamp_ms < upper)
        upper = q->from.timestamp_ms + 1;
    rc = bind_int64(stmt, 1, group_read ? ids.group_id : ids.stream_id) |
         bind_int64(stmt, 2, lower) | bind_int64(stmt, 3, upper) |
         bind_int64(stmt, 4, q->from.timestamp_ms) | bind_int64(stmt, 5, q->from.id);
    if (rc != SQLITE_OK) {
        r = op_fail(&op, rc, "binding a log read");
        goto end;
    }

    size_t examined = 0, bytes = 0;
    log_page_reserve(&b, q);
    b.page.last = q->from;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        /* A row beyond a limit is not consumed: it only says more follow. */
        if (b.page.len == q->limit || (q->scan_max && examined == q->scan_max)) {
            b.page.more = true;
            break;
        }
        const char *message = (const char *)sqlite3_column_text(stmt, 3);
        size_t len = (size_t)sqlite3_column_bytes(stmt, 3);
        if (!message)
            message = "";
        bool keep = true;
        if (group_read && (filter.names || filter.prefix)) {
            const char *name = (const char *)sqlite3_column_text(stmt, 5);
            keep = log_stream_filter_keeps(&filter, name ? name : "");
        }
        if (keep && q->filter)
            keep = q->filter(q->filter_ctx, message, len);
        if (keep && q->max_bytes && b.page.len > 0 &&
            bytes + len + STORE_LOG_EVENT_OVERHEAD > q->max_bytes) {
            b.page.more = true;
            break;
        }
        examined++;
        /* Each column read costs a call into SQLite: read these once. */
        b.page.last =
            (struct store_log_pos){sqlite3_column_int64(stmt, 1), sqlite3_column_int64(stmt, 0)};
        if (!keep)
            continue;
        bytes += len + STORE_LOG_EVENT_OVERHEAD;
        log_page_add(&b, stmt, b.page.last, message, len, group_read);
    }
    r = 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = op_fail(&op, rc, "reading log events");
end:
    if ((r = op_end(&op, r)) == 0)
        log_page_finish(out, &b, q->backward);
done:
    log_page_builder_release(&b);
    free(filter.names);
    return r;
}

/* What one expiry pass removed from one stream. */
struct log_expired {
    int64_t stream_id;
    int64_t bytes;
};

static int compare_expired(const void *a, const void *b)
{
    const struct log_expired *x = a, *y = b;
    return x->stream_id < y->stream_id ? -1 : x->stream_id > y->stream_id;
}

static int log_stream_subtract(struct op *op, int64_t stream_id, int64_t bytes, int64_t count)
{
    sqlite3_stmt *stmt;
    int r, rc;
    if ((r = op_stmt(&stmt, op, STMT_LOG_STREAM_SUBTRACT)) < 0)
        return r;
    rc = bind_int64(stmt, 1, stream_id) | bind_int64(stmt, 2, bytes) | bind_int64(stmt, 3, count);
    if (rc != SQLITE_OK)
        return op_fail(op, rc, "binding log stream counters");
    r = step_done(op, stmt, "updating log stream counters");
    sqlite3_reset(stmt);
    return r;
}

struct log_retained_group {
    int64_t id;
    int retention_days;
};

static int sqlite_log_expire(size_t *count_out, struct store *s, struct store_tx *tx,
                             int64_t now_ms, size_t limit)
{
    struct log_retained_group *groups = NULL;
    struct log_expired *gone = NULL;
    size_t groups_len = 0, groups_alloc = 0, gone_len = 0, gone_alloc = 0, total = 0;
    struct op op;
    sqlite3_stmt *stmt;
    int r, rc;

    if ((r = op_begin(&op, s, tx, OP_WRITE_GROUP)) < 0)
        return r;
    /* The groups first, completely: the deletions below change the table a
     * cursor over it would be reading. */
    if ((r = op_stmt(&stmt, &op, STMT_LOG_GROUPS_RETAINED)) < 0)
        goto end;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        ALLOC_GROW(groups, groups_len + 1, groups_alloc);
        groups[groups_len++] =
            (struct log_retained_group){sqlite3_column_int64(stmt, 0), sqlite3_column_int(stmt, 1)};
    }
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) {
        r = op_fail(&op, rc, "listing retained log groups");
        goto end;
    }

    for (size_t g = 0; g < groups_len && total < limit; g++) {
        int64_t cutoff = now_ms - (int64_t)groups[g].retention_days * 86400000LL;
        if ((r = op_stmt(&stmt, &op, STMT_LOG_EVENTS_EXPIRE)) < 0)
            goto end;
        rc = bind_int64(stmt, 1, groups[g].id) | bind_int64(stmt, 2, cutoff) |
             bind_int64(stmt, 3, (int64_t)(limit - total));
        if (rc != SQLITE_OK) {
            r = op_fail(&op, rc, "binding a log expiry");
            goto end;
        }
        gone_len = 0;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            ALLOC_GROW(gone, gone_len + 1, gone_alloc);
            gone[gone_len++] =
                (struct log_expired){sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1)};
        }
        sqlite3_reset(stmt);
        if (rc != SQLITE_DONE) {
            r = op_fail(&op, rc, "expiring log events");
            goto end;
        }
        if (gone_len == 0)
            continue;
        total += gone_len;

        /* One counter update per stream, not per event. */
        qsort(gone, gone_len, sizeof(*gone), compare_expired);
        int64_t group_bytes = 0;
        for (size_t i = 0; i < gone_len;) {
            int64_t bytes = 0, count = 0;
            size_t j = i;
            for (; j < gone_len && gone[j].stream_id == gone[i].stream_id; j++) {
                bytes += gone[j].bytes;
                count++;
            }
            if ((r = log_stream_subtract(&op, gone[i].stream_id, bytes, count)) < 0)
                goto end;
            group_bytes += bytes;
            i = j;
        }
        if ((r = log_group_add(&op, groups[g].id, -group_bytes, -(int64_t)gone_len)) < 0)
            goto end;
    }
    r = 0;
end:
    free(groups);
    free(gone);
    if ((r = op_end(&op, r)) < 0)
        return r;
    if (count_out)
        *count_out = total;
    return 0;
}

/* --- Opening ------------------------------------------------------------- */

static const struct store_backend sqlite_backend = {
    .name = "sqlite",
    .schema_latest = SCHEMA_LATEST,
    .free = sqlite_free,
    .schema_version = sqlite_schema_version,
    .integrity_check = sqlite_integrity_check,
    .tx_begin = sqlite_tx_begin,
    .tx_commit = sqlite_tx_commit,
    .tx_rollback = sqlite_tx_rollback,
    .doc_get = sqlite_doc_get,
    .doc_insert = sqlite_doc_insert,
    .doc_update = sqlite_doc_update,
    .doc_upsert = sqlite_doc_upsert,
    .doc_delete = sqlite_doc_delete,
    .doc_delete_prefix = sqlite_doc_delete_prefix,
    .doc_list = sqlite_doc_list,
    .doc_count = sqlite_doc_count,
    .job_enqueue = sqlite_job_enqueue,
    .job_claim = sqlite_job_claim,
    .job_renew = sqlite_job_renew,
    .job_complete = sqlite_job_complete,
    .job_fail = sqlite_job_fail,
    .job_reclaim = sqlite_job_reclaim,
    .job_get = sqlite_job_get,
    .job_count = sqlite_job_count,
    .job_purge = sqlite_job_purge,
    .outbox_append = sqlite_outbox_append,
    .outbox_fetch = sqlite_outbox_fetch,
    .outbox_mark_delivered = sqlite_outbox_mark_delivered,
    .outbox_purge = sqlite_outbox_purge,
    .log_group_create = sqlite_log_group_create,
    .log_group_get = sqlite_log_group_get,
    .log_group_list = sqlite_log_group_list,
    .log_group_set_retention = sqlite_log_group_set_retention,
    .log_group_delete = sqlite_log_group_delete,
    .log_stream_create = sqlite_log_stream_create,
    .log_stream_get = sqlite_log_stream_get,
    .log_stream_delete = sqlite_log_stream_delete,
    .log_stream_list = sqlite_log_stream_list,
    .log_append = sqlite_log_append,
    .log_read = sqlite_log_read,
    .log_expire = sqlite_log_expire,
};

int store_sqlite_open(struct store **out, const char *dir, const struct store_options *opts)
{
    struct store_options defaults = {0};
    pthread_condattr_t attr;
    struct sqlite_conn *conn;
    int r;

    for (size_t i = 0; i < ARRAY_SIZE(migrations); i++)
        if (migrations[i].version != (int)i + 1)
            return err_set(ERR_INTERNAL, "schema migration %zu is numbered %d", i + 1,
                           migrations[i].version);
    if (sqlite3_libversion_number() < SQLITE_MIN_VERSION)
        return err_set(ERR_UNSUPPORTED, "SQLite %s is too old: 3.38 or newer is needed",
                       sqlite3_libversion());
    if (!sqlite3_threadsafe())
        return err_set(ERR_UNSUPPORTED, "SQLite was built without thread support");
    if (!opts)
        opts = &defaults;

    struct sqlite_store *st = xcalloc(1, sizeof(*st));
    st->base.backend = &sqlite_backend;
    st->path = xasprintf("%s/state.db", dir);
    st->max_connections = opts->max_connections ? opts->max_connections : DEFAULT_MAX_CONNECTIONS;
    st->busy_timeout_ms =
        opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : DEFAULT_BUSY_TIMEOUT_MS;
    st->sync = opts->sync;
    pthread_mutex_init(&st->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&st->conn_freed, &attr);
    pthread_cond_init(&st->writer_freed, &attr);
    pthread_condattr_destroy(&attr);

    if ((r = pool_get(&conn, st)) < 0) {
        sqlite_free(&st->base);
        return r;
    }
    /* WAL lets readers run beside the writer and makes each commit one
     * append; the mode is recorded in the file, so once is enough. */
    if ((r = enable_wal(conn, st->path)) < 0 || (r = migrate(conn, st->path)) < 0) {
        pool_put(st, conn);
        sqlite_free(&st->base);
        return r;
    }
    pool_put(st, conn);
    *out = &st->base;
    return 0;
}
