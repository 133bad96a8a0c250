#include "base/common.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/jsonw.h"
#include "store/store.h"
#include "store/store_backend.h"

#include <sys/stat.h>

/*
 * The store's front: argument checks shared by every backend, then dispatch
 * through the backend's table. Checking here keeps the rules identical
 * whichever backend runs and keeps the backends about storage only.
 */

/* The longest lease a worker may ask for; a lost worker holds a job at most
 * this long before it can be reclaimed. */
#define LEASE_MAX_MS (24LL * 3600 * 1000)

static int check_text(const char *what, const char *s, size_t max)
{
    if (!s || !*s)
        return err_set(ERR_INVALID, "%s is empty", what);
    size_t len = strnlen(s, max + 1);
    if (len > max)
        return err_set(ERR_LIMIT, "%s '%.40s...' is longer than %zu bytes", what, s, max);
    if (!utf8_valid(s, len))
        return err_set(ERR_INVALID, "%s is not valid UTF-8", what);
    return 0;
}

/* Like check_text() but NULL and "" are allowed (and mean "none"). */
static int check_optional_text(const char *what, const char *s, size_t max)
{
    if (!s || !*s)
        return 0;
    return check_text(what, s, max);
}

static int check_json(const char *what, const char *body, size_t len, size_t max)
{
    if (!body)
        return err_set(ERR_INVALID, "%s is missing", what);
    if (len > max)
        return err_set(ERR_LIMIT, "%s of %zu bytes is larger than %zu bytes", what, len, max);
    /* JSON text never holds a raw NUL; refusing it here keeps the stored text
     * a C string for every reader. Full validation is the backend's. */
    if (memchr(body, '\0', len))
        return err_set(ERR_INVALID, "%s is not valid JSON: it contains a NUL byte", what);
    return 0;
}

static int check_tx(const struct store *s, const struct store_tx *tx)
{
    if (!s)
        return err_set(ERR_INVALID, "no store given");
    if (tx && tx->store != s)
        return err_set(ERR_INVALID, "transaction belongs to another store");
    return 0;
}

static int check_doc_key(const struct store *s, const struct store_tx *tx, const char *kind,
                         const char *scope, const char *name)
{
    int r;
    if ((r = check_tx(s, tx)) < 0 || (r = check_text("document kind", kind, STORE_KIND_MAX)) < 0 ||
        (r = check_text("document scope", scope, STORE_SCOPE_MAX)) < 0 ||
        (r = check_text("document name", name, STORE_NAME_MAX)) < 0)
        return r;
    return 0;
}

static int check_id(int64_t id)
{
    if (id <= 0)
        return err_set(ERR_INVALID, "job id %" PRId64 " is not positive", id);
    return 0;
}

static int check_lease(const char *lease_token)
{
    if (!lease_token || strlen(lease_token) != STORE_LEASE_TOKEN_LEN)
        return err_set(ERR_INVALID, "lease token is not %d characters", STORE_LEASE_TOKEN_LEN);
    return 0;
}

static int check_lease_ms(int64_t lease_ms)
{
    if (lease_ms <= 0 || lease_ms > LEASE_MAX_MS)
        return err_set(ERR_INVALID, "lease of %" PRId64 " ms is not within 1..%lld ms", lease_ms,
                       LEASE_MAX_MS);
    return 0;
}

int store_open(struct store **out, const char *dir, const struct store_options *opts)
{
    struct stat st;

    if (!dir || !*dir)
        return err_set(ERR_INVALID, "data directory is empty");
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return err_set_errno(ERR_IO, "cannot create data directory '%s'", dir);
    if (stat(dir, &st) < 0)
        return err_set_errno(ERR_IO, "cannot stat data directory '%s'", dir);
    if (!S_ISDIR(st.st_mode))
        return err_set(ERR_INVALID, "data directory '%s' is not a directory", dir);
    /* A PostgreSQL backend will be chosen here from a connection URL. */
    return store_sqlite_open(out, dir, opts);
}

void store_free(struct store *s)
{
    if (s)
        s->backend->free(s);
}

const char *store_backend_name(const struct store *s)
{
    return s->backend->name;
}

int store_schema_version(int *version_out, struct store *s)
{
    return s->backend->schema_version(version_out, s);
}

int store_schema_latest(const struct store *s)
{
    return s->backend->schema_latest;
}

int store_integrity_check(struct store *s)
{
    return s->backend->integrity_check(s);
}

int store_tx_begin(struct store_tx **out, struct store *s)
{
    int r;
    if ((r = check_tx(s, NULL)) < 0)
        return r;
    return s->backend->tx_begin(out, s);
}

int store_tx_commit(struct store_tx *tx)
{
    if (!tx)
        return err_set(ERR_INVALID, "no transaction to commit");
    return tx->store->backend->tx_commit(tx);
}

void store_tx_rollback(struct store_tx *tx)
{
    if (tx)
        tx->store->backend->tx_rollback(tx);
}

/* --- Documents --------------------------------------------------------- */

void store_doc_release(struct store_doc *doc)
{
    if (!doc)
        return;
    free(doc->name);
    free(doc->body);
    *doc = (struct store_doc){0};
}

void store_doc_page_release(struct store_doc_page *page)
{
    if (!page)
        return;
    for (size_t i = 0; i < page->len; i++)
        store_doc_release(&page->items[i]);
    free(page->items);
    *page = (struct store_doc_page){0};
}

int store_doc_get(struct store_doc *out, struct store *s, struct store_tx *tx, const char *kind,
                  const char *scope, const char *name)
{
    int r;
    if ((r = check_doc_key(s, tx, kind, scope, name)) < 0)
        return r;
    return s->backend->doc_get(out, s, tx, kind, scope, name);
}

int store_doc_insert(int64_t *version_out, struct store *s, struct store_tx *tx, const char *kind,
                     const char *scope, const char *name, const char *body, size_t body_len)
{
    int r;
    if ((r = check_doc_key(s, tx, kind, scope, name)) < 0 ||
        (r = check_json("document body", body, body_len, STORE_BODY_MAX)) < 0)
        return r;
    return s->backend->doc_insert(version_out, s, tx, kind, scope, name, body, body_len,
                                  clock_now_ms());
}

int store_doc_update(int64_t *version_out, struct store *s, struct store_tx *tx, const char *kind,
                     const char *scope, const char *name, int64_t expected_version,
                     const char *body, size_t body_len)
{
    int r;
    if ((r = check_doc_key(s, tx, kind, scope, name)) < 0 ||
        (r = check_json("document body", body, body_len, STORE_BODY_MAX)) < 0)
        return r;
    if (expected_version <= 0)
        return err_set(ERR_INVALID, "expected version %" PRId64 " is not positive",
                       expected_version);
    return s->backend->doc_update(version_out, s, tx, kind, scope, name, expected_version, body,
                                  body_len, clock_now_ms());
}

int store_doc_upsert(int64_t *version_out, struct store *s, struct store_tx *tx, const char *kind,
                     const char *scope, const char *name, const char *body, size_t body_len)
{
    int r;
    if ((r = check_doc_key(s, tx, kind, scope, name)) < 0 ||
        (r = check_json("document body", body, body_len, STORE_BODY_MAX)) < 0)
        return r;
    return s->backend->doc_upsert(version_out, s, tx, kind, scope, name, body, body_len,
                                  clock_now_ms());
}

int store_doc_delete(struct store *s, struct store_tx *tx, const char *kind, const char *scope,
                     const char *name, int64_t expected_version)
{
    int r;
    if ((r = check_doc_key(s, tx, kind, scope, name)) < 0)
        return r;
    if (expected_version < 0)
        return err_set(ERR_INVALID, "expected version %" PRId64 " is negative", expected_version);
    return s->backend->doc_delete(s, tx, kind, scope, name, expected_version);
}

int store_doc_delete_prefix(size_t *count_out, struct store *s, struct store_tx *tx,
                            const char *kind, const char *scope, const char *prefix)
{
    int r;
    /* An empty prefix would wipe the whole scope; that is never one
     * resource's children, so it is refused rather than guessed at. */
    if ((r = check_doc_key(s, tx, kind, scope, prefix)) < 0)
        return r;
    return s->backend->doc_delete_prefix(count_out, s, tx, kind, scope, prefix);
}

int store_doc_list(struct store_doc_page *out, struct store *s, struct store_tx *tx,
                   const struct store_doc_query *query)
{
    int r;
    if ((r = check_tx(s, tx)) < 0)
        return r;
    if (!query)
        return err_set(ERR_INVALID, "no document query given");
    if ((r = check_text("document kind", query->kind, STORE_KIND_MAX)) < 0 ||
        (r = check_text("document scope", query->scope, STORE_SCOPE_MAX)) < 0 ||
        (r = check_optional_text("name prefix", query->prefix, STORE_NAME_MAX)) < 0 ||
        (r = check_optional_text("list cursor", query->after, STORE_NAME_MAX)) < 0)
        return r;

    struct store_doc_query q = *query;
    if (q.prefix && !*q.prefix)
        q.prefix = NULL;
    if (q.after && !*q.after)
        q.after = NULL;
    if (q.limit == 0 || q.limit > STORE_LIST_MAX)
        q.limit = STORE_LIST_MAX;
    return s->backend->doc_list(out, s, tx, &q);
}

int store_doc_count(size_t *count_out, struct store *s, struct store_tx *tx, const char *kind,
                    const char *scope, const char *prefix)
{
    int r;
    if ((r = check_tx(s, tx)) < 0 || (r = check_text("document kind", kind, STORE_KIND_MAX)) < 0 ||
        (r = check_text("document scope", scope, STORE_SCOPE_MAX)) < 0 ||
        (r = check_optional_text("name prefix", prefix, STORE_NAME_MAX)) < 0)
        return r;
    return s->backend->doc_count(count_out, s, tx, kind, scope, prefix && *prefix ? prefix : NULL);
}

/* --- Jobs -------------------------------------------------------------- */

const char *store_job_state_name(enum store_job_state state)
{
    switch (state) {
    case STORE_JOB_QUEUED:
        return "queued";
    case STORE_JOB_RUNNING:
        return "running";
    case STORE_JOB_DONE:
        return "done";
    case STORE_JOB_DEAD:
        return "dead";
    }
    return "unknown";
}

void store_job_release(struct store_job *job)
{
    if (!job)
        return;
    free(job->kind);
    free(job->payload);
    free(job->dedup_key);
    free(job->worker);
    free(job->last_error);
    *job = (struct store_job){0};
}

int store_job_enqueue(int64_t *id_out, bool *coalesced_out, struct store *s, struct store_tx *tx,
                      const struct store_job_spec *spec)
{
    int r;
    if ((r = check_tx(s, tx)) < 0)
        return r;
    if (!spec)
        return err_set(ERR_INVALID, "no job given");
    if ((r = check_text("job kind", spec->kind, STORE_JOB_KIND_MAX)) < 0 ||
        (r = check_optional_text("job dedup key", spec->dedup_key, STORE_JOB_KEY_MAX)) < 0)
        return r;
    if (spec->payload &&
        (r = check_json("job payload", spec->payload, spec->payload_len, STORE_PAYLOAD_MAX)) < 0)
        return r;
    if (spec->run_after_ms < 0)
        return err_set(ERR_INVALID, "job run-after time %" PRId64 " is negative",
                       spec->run_after_ms);
    if (spec->max_attempts < 0)
        return err_set(ERR_INVALID, "job max attempts %d is negative", spec->max_attempts);

    int64_t now = clock_now_ms();
    struct store_job_spec resolved = *spec;
    if (!resolved.payload) {
        resolved.payload = "{}";
        resolved.payload_len = 2;
    }
    if (resolved.dedup_key && !*resolved.dedup_key)
        resolved.dedup_key = NULL;
    if (resolved.run_after_ms == 0)
        resolved.run_after_ms = now;
    return s->backend->job_enqueue(id_out, coalesced_out, s, tx, &resolved, now);
}

int store_job_claim(struct store_job *out, struct store *s, struct store_tx *tx, const char *worker,
                    const char *const *kinds, size_t kinds_len, int64_t lease_ms)
{
    int r;
    if ((r = check_tx(s, tx)) < 0 || (r = check_text("worker id", worker, STORE_WORKER_MAX)) < 0 ||
        (r = check_lease_ms(lease_ms)) < 0)
        return r;
    if (kinds_len > STORE_JOB_KINDS_MAX)
        return err_set(ERR_LIMIT, "claim names %zu job kinds, more than %d", kinds_len,
                       STORE_JOB_KINDS_MAX);
    for (size_t i = 0; i < kinds_len; i++)
        if ((r = check_text("job kind", kinds[i], STORE_JOB_KIND_MAX)) < 0)
            return r;

    /* The token is what proves a later renew/complete/fail comes from this
     * claim; 128 random bits make it unguessable by a stale worker. */
    uint8_t raw[STORE_LEASE_TOKEN_LEN / 2];
    char token[STORE_LEASE_TOKEN_LEN + 1];
    random_bytes(raw, sizeof(raw));
    hex_encode(token, raw, sizeof(raw));
    return s->backend->job_claim(out, s, tx, worker, kinds, kinds_len, lease_ms, token,
                                 clock_now_ms());
}

int store_job_renew(int64_t *expires_out, struct store *s, struct store_tx *tx, int64_t id,
                    const char *lease_token, int64_t lease_ms)
{
    int r;
    if ((r = check_tx(s, tx)) < 0 || (r = check_id(id)) < 0 || (r = check_lease(lease_token)) < 0 ||
        (r = check_lease_ms(lease_ms)) < 0)
        return r;
    return s->backend->job_renew(expires_out, s, tx, id, lease_token, lease_ms, clock_now_ms());
}

int store_job_complete(struct store *s, struct store_tx *tx, int64_t id, const char *lease_token)
{
    int r;
    if ((r = check_tx(s, tx)) < 0 || (r = check_id(id)) < 0 || (r = check_lease(lease_token)) < 0)
        return r;
    return s->backend->job_complete(s, tx, id, lease_token, clock_now_ms());
}

int store_job_fail(struct store *s, struct store_tx *tx, int64_t id, const char *lease_token,
                   const char *error, int64_t retry_at_ms)
{
    int r;
    if ((r = check_tx(s, tx)) < 0 || (r = check_id(id)) < 0 || (r = check_lease(lease_token)) < 0)
        return r;
    /* A job never ends without a recorded reason. */
    if (!error || !*error)
        return err_set(ERR_INVALID, "job %" PRId64 " failed without a reason", id);
    if (retry_at_ms < 0 && retry_at_ms != STORE_JOB_GIVE_UP)
        return err_set(ERR_INVALID, "job retry time %" PRId64 " is negative", retry_at_ms);

    /* Cut an overlong reason at a character boundary so it stays UTF-8. */
    char reason[STORE_JOB_ERROR_MAX + 1];
    size_t len = strnlen(error, STORE_JOB_ERROR_MAX + 1);
    if (len > STORE_JOB_ERROR_MAX) {
        len = STORE_JOB_ERROR_MAX;
        while (len > 0 && ((unsigned char)error[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(reason, error, len);
    reason[len] = '\0';
    return s->backend->job_fail(s, tx, id, lease_token, reason, retry_at_ms, clock_now_ms());
}

int store_job_reclaim(size_t *count_out, struct store *s, struct store_tx *tx)
{
    int r;
    if ((r = check_tx(s, tx)) < 0)
        return r;
    return s->backend->job_reclaim(count_out, s, tx, clock_now_ms());
}

int store_job_get(struct store_job *out, struct store *s, struct store_tx *tx, int64_t id)
{
    int r;
    if ((r = check_tx(s, tx)) < 0 || (r = check_id(id)) < 0)
        return r;
    return s->backend->job_get(out, s, tx, id);
}

int store_job_count(size_t *count_out, struct store *s, struct store_tx *tx, const char *kind,
                    enum store_job_state state)
{
    int r;
    if ((r = check_tx(s, tx)) < 0 ||
        (r = check_optional_text("job kind", kind, STORE_JOB_KIND_MAX)) < 0)
        return r;
    if (state < STORE_JOB_QUEUED || state > STORE_JOB_DEAD)
        return err_set(ERR_INVALID, "job state %d is unknown", (int)state);
    return s->backend->job_count(count_out, s, tx, kind && *kind ? kind : NULL, state);
}

int store_job_purge(size_t *count_out, struct store *s, struct store_tx *tx, int64_t before_ms)
{
    int r;
    if ((r = check_tx(s, tx)) < 0)
        return r;
    return s->backend->job_purge(count_out, s, tx, before_ms);
}

/* --- Outbox ------------------------------------------------------------ */

void store_event_batch_release(struct store_event_batch *batch)
{
    if (!batch)
        return;
    for (size_t i = 0; i < batch->len; i++)
        free(batch->items[i].body);
    free(batch->items);
    *batch = (struct store_event_batch){0};
}

int store_outbox_append(int64_t *seq_out, struct store *s, struct store_tx *tx, const char *body,
                        size_t body_len)
{
    int r;
    if ((r = check_tx(s, tx)) < 0 ||
        (r = check_json("event", body, body_len, STORE_PAYLOAD_MAX)) < 0)
        return r;
    return s->backend->outbox_append(seq_out, s, tx, body, body_len, clock_now_ms());
}

int store_outbox_fetch(struct store_event_batch *out, struct store *s, struct store_tx *tx,
                       int64_t after_seq, size_t limit)
{
    int r;
    if ((r = check_tx(s, tx)) < 0)
        return r;
    if (after_seq < 0)
        return err_set(ERR_INVALID, "event cursor %" PRId64 " is negative", after_seq);
    if (limit == 0 || limit > STORE_LIST_MAX)
        limit = STORE_LIST_MAX;
    return s->backend->outbox_fetch(out, s, tx, after_seq, limit);
}

int store_outbox_mark_delivered(struct store *s, struct store_tx *tx, int64_t seq)
{
    int r;
    if ((r = check_tx(s, tx)) < 0)
        return r;
    if (seq <= 0)
        return err_set(ERR_INVALID, "event sequence %" PRId64 " is not positive", seq);
    return s->backend->outbox_mark_delivered(s, tx, seq, clock_now_ms());
}

int store_outbox_purge(size_t *count_out, struct store *s, struct store_tx *tx, int64_t before_ms)
{
    int r;
    if ((r = check_tx(s, tx)) < 0)
        return r;
    return s->backend->outbox_purge(count_out, s, tx, before_ms);
}

/* --- Log events -------------------------------------------------------- */

#define LOG_RETENTION_DAYS_MAX 36500

static int check_log_names(const struct store *s, const struct store_tx *tx, const char *scope,
                           const char *group, const char *stream)
{
    int r;
    if ((r = check_tx(s, tx)) < 0 || (r = check_text("log scope", scope, STORE_SCOPE_MAX)) < 0 ||
        (r = check_text("log group name", group, STORE_LOG_NAME_MAX)) < 0)
        return r;
    if (stream && (r = check_text("log stream name", stream, STORE_LOG_NAME_MAX)) < 0)
        return r;
    return 0;
}

int store_log_group_create(struct store *s, struct store_tx *tx, const char *scope,
                           const char *group)
{
    int r;
    if ((r = check_log_names(s, tx, scope, group, NULL)) < 0)
        return r;
    return s->backend->log_group_create(s, tx, scope, group, clock_now_ms());
}

int store_log_group_get(struct store_log_group *out, struct store *s, struct store_tx *tx,
                        const char *scope, const char *group)
{
    int r;
    if ((r = check_log_names(s, tx, scope, group, NULL)) < 0)
        return r;
    return s->backend->log_group_get(out, s, tx, scope, group);
}

void store_log_group_page_release(struct store_log_group_page *page)
{
    if (!page)
        return;
    for (size_t i = 0; i < page->len; i++)
        free(page->items[i].name);
    free(page->items);
    *page = (struct store_log_group_page){0};
}

int store_log_group_list(struct store_log_group_page *out, struct store *s, struct store_tx *tx,
                         const char *scope, const char *prefix, const char *after, size_t limit)
{
    int r;
    if ((r = check_tx(s, tx)) < 0 || (r = check_text("log scope", scope, STORE_SCOPE_MAX)) < 0 ||
        (r = check_optional_text("log group prefix", prefix, STORE_LOG_NAME_MAX)) < 0 ||
        (r = check_optional_text("log group cursor", after, STORE_LOG_NAME_MAX)) < 0)
        return r;
    if (limit == 0 || limit > STORE_LIST_MAX)
        limit = STORE_LIST_MAX;
    return s->backend->log_group_list(out, s, tx, scope, prefix && *prefix ? prefix : NULL,
                                      after && *after ? after : NULL, limit);
}

int store_log_group_set_retention(struct store *s, struct store_tx *tx, const char *scope,
                                  const char *group, int days)
{
    int r;
    if ((r = check_log_names(s, tx, scope, group, NULL)) < 0)
        return r;
    if (days < 0 || days > LOG_RETENTION_DAYS_MAX)
        return err_set(ERR_INVALID, "retention of %d days is not within 0..%d", days,
                       LOG_RETENTION_DAYS_MAX);
    return s->backend->log_group_set_retention(s, tx, scope, group, days);
}

int store_log_group_delete(struct store *s, struct store_tx *tx, const char *scope,
                           const char *group)
{
    int r;
    if ((r = check_log_names(s, tx, scope, group, NULL)) < 0)
        return r;
    return s->backend->log_group_delete(s, tx, scope, group);
}

void store_log_stream_release(struct store_log_stream *stream)
{
    if (!stream)
        return;
    free(stream->name);
    *stream = (struct store_log_stream){0};
}

void store_log_stream_page_release(struct store_log_stream_page *page)
{
    if (!page)
        return;
    for (size_t i = 0; i < page->len; i++)
        store_log_stream_release(&page->items[i]);
    free(page->items);
    *page = (struct store_log_stream_page){0};
}

int store_log_stream_create(struct store *s, struct store_tx *tx, const char *scope,
                            const char *group, const char *stream)
{
    int r;
    if ((r = check_log_names(s, tx, scope, group, stream ? stream : "")) < 0)
        return r;
    return s->backend->log_stream_create(s, tx, scope, group, stream, clock_now_ms());
}

int store_log_stream_get(struct store_log_stream *out, struct store *s, struct store_tx *tx,
                         const char *scope, const char *group, const char *stream)
{
    int r;
    if ((r = check_log_names(s, tx, scope, group, stream ? stream : "")) < 0)
        return r;
    return s->backend->log_stream_get(out, s, tx, scope, group, stream);
}

int store_log_stream_delete(struct store *s, struct store_tx *tx, const char *scope,
                            const char *group, const char *stream)
{
    int r;
    if ((r = check_log_names(s, tx, scope, group, stream ? stream : "")) < 0)
        return r;
    return s->backend->log_stream_delete(s, tx, scope, group, stream);
}

int store_log_stream_list(struct store_log_stream_page *out, struct store *s, struct store_tx *tx,
                          const struct store_log_stream_query *query)
{
    int r;
    if (!query)
        return err_set(ERR_INVALID, "no log stream query given");
    if ((r = check_log_names(s, tx, query->scope, query->group, NULL)) < 0 ||
        (r = check_optional_text("log stream prefix", query->prefix, STORE_LOG_NAME_MAX)) < 0 ||
        (r = check_optional_text("log stream cursor", query->after_name, STORE_LOG_NAME_MAX)) < 0)
        return r;
    if (query->order != STORE_LOG_BY_NAME && query->order != STORE_LOG_BY_LAST_EVENT)
        return err_set(ERR_INVALID, "log stream order %d is unknown", (int)query->order);

    struct store_log_stream_query q = *query;
    if (q.prefix && !*q.prefix)
        q.prefix = NULL;
    if (q.after_name && !*q.after_name)
        q.after_name = NULL;
    if (q.order != STORE_LOG_BY_NAME && q.prefix)
        return err_set(ERR_INVALID, "a log stream prefix needs the order by name");
    if (q.limit == 0 || q.limit > STORE_LIST_MAX)
        q.limit = STORE_LIST_MAX;
    return s->backend->log_stream_list(out, s, tx, &q);
}

int store_log_append(int64_t *upload_count_out, struct store *s, struct store_tx *tx,
                     const char *scope, const char *group, const char *stream,
                     const struct store_log_input *events, size_t count)
{
    int r;
    if ((r = check_log_names(s, tx, scope, group, stream ? stream : "")) < 0)
        return r;
    if (!events || count == 0)
        return err_set(ERR_INVALID, "no log events to append");
    if (count > STORE_LOG_BATCH_MAX)
        return err_set(ERR_LIMIT, "%zu log events are more than %d in one append", count,
                       STORE_LOG_BATCH_MAX);
    for (size_t i = 0; i < count; i++) {
        const struct store_log_input *e = &events[i];
        if (e->timestamp_ms < 0)
            return err_set(ERR_INVALID, "log event %zu has a negative timestamp", i);
        if (!e->message && e->message_len)
            return err_set(ERR_INVALID, "log event %zu has no message", i);
        if (e->message_len > STORE_LOG_MESSAGE_MAX)
            return err_set(ERR_LIMIT, "log event %zu of %zu bytes is larger than %d bytes", i,
                           e->message_len, STORE_LOG_MESSAGE_MAX);
        if (e->message_len && !utf8_valid(e->message, e->message_len))
            return err_set(ERR_INVALID, "log event %zu is not valid UTF-8", i);
    }
    return s->backend->log_append(upload_count_out, s, tx, scope, group, stream, events, count,
                                  clock_now_ms());
}

void store_log_page_release(struct store_log_page *page)
{
    if (!page)
        return;
    free(page->items);
    free(page->text);
    *page = (struct store_log_page){0};
}

int store_log_read(struct store_log_page *out, struct store *s, struct store_tx *tx,
                   const struct store_log_read_query *query)
{
    int r;
    if (!query)
        return err_set(ERR_INVALID, "no log read given");
    if ((r = check_log_names(s, tx, query->scope, query->group, query->stream)) < 0 ||
        (r = check_optional_text("log stream prefix", query->stream_prefix, STORE_LOG_NAME_MAX)) <
            0)
        return r;
    if (query->stream && (query->streams || (query->stream_prefix && *query->stream_prefix)))
        return err_set(ERR_INVALID, "a stream read takes no stream filter");
    if (query->streams && query->stream_prefix && *query->stream_prefix)
        return err_set(ERR_INVALID, "log streams and a stream prefix are mutually exclusive");
    for (size_t i = 0; query->streams && i < query->stream_count; i++)
        if ((r = check_text("log stream name", query->streams[i], STORE_LOG_NAME_MAX)) < 0)
            return r;
    if (query->start_ms < 0 || query->end_ms < 0)
        return err_set(ERR_INVALID, "log read time range is negative");
    if (query->from.timestamp_ms < 0 || query->from.id < 0)
        return err_set(ERR_INVALID, "log read position is negative");
    if (query->limit > STORE_LOG_READ_MAX)
        return err_set(ERR_LIMIT, "a log read of %zu events is more than %d", query->limit,
                       STORE_LOG_READ_MAX);

    struct store_log_read_query q = *query;
    if (q.limit == 0)
        q.limit = STORE_LOG_READ_MAX;
    if (q.end_ms == 0)
        q.end_ms = INT64_MAX;
    if (q.stream_prefix && !*q.stream_prefix)
        q.stream_prefix = NULL;
    if (!q.streams)
        q.stream_count = 0;
    return s->backend->log_read(out, s, tx, &q);
}

int store_log_expire(size_t *count_out, struct store *s, struct store_tx *tx, int64_t now_ms,
                     size_t limit)
{
    int r;
    if ((r = check_tx(s, tx)) < 0)
        return r;
    if (limit == 0 || limit > STORE_LOG_BATCH_MAX)
        return err_set(ERR_INVALID, "expiry batch of %zu is not within 1..%d", limit,
                       STORE_LOG_BATCH_MAX);
    return s->backend->log_expire(count_out, s, tx, now_ms, limit);
}
