#ifndef SLIPWAY_STORE_STORE_BACKEND_H
#define SLIPWAY_STORE_STORE_BACKEND_H

#include "store/store.h"

/*
 * The contract between store.c and a storage backend; only store.c and the
 * backends include this file.
 *
 * store.c checks every argument (lengths, UTF-8, limits, that a transaction
 * belongs to the store) before calling a backend, so a backend may assume
 * well-formed input and spends its code on storage. A backend embeds
 * `struct store` and `struct store_tx` as the first members of its own
 * structs. Output parameters follow the public rules: written only on
 * success; result structs filled in full or left alone.
 *
 * The semantics of each entry are those of the public function of the same
 * name in store.h; `now_ms` is the caller's clock_now_ms(), read once per
 * call by store.c so that tests can move time with clock_set_fake().
 */

struct store_backend;

struct store {
    const struct store_backend *backend;
};

struct store_tx {
    struct store *store;
};

struct store_backend {
    const char *name;
    int schema_latest;

    void (*free)(struct store *s);
    int (*schema_version)(int *version_out, struct store *s);
    int (*integrity_check)(struct store *s);

    int (*tx_begin)(struct store_tx **out, struct store *s);
    int (*tx_commit)(struct store_tx *tx);
    void (*tx_rollback)(struct store_tx *tx);

    int (*doc_get)(struct store_doc *out, struct store *s, struct store_tx *tx, const char *kind,
                   const char *scope, const char *name);
    int (*doc_insert)(int64_t *version_out, struct store *s, struct store_tx *tx, const char *kind,
                      const char *scope, const char *name, const char *body, size_t body_len,
                      int64_t now_ms);
    int (*doc_update)(int64_t *version_out, struct store *s, struct store_tx *tx, const char *kind,
                      const char *scope, const char *name, int64_t expected_version,
                      const char *body, size_t body_len, int64_t now_ms);
    int (*doc_upsert)(int64_t *version_out, struct store *s, struct store_tx *tx, const char *kind,
                      const char *scope, const char *name, const char *body, size_t body_len,
                      int64_t now_ms);
    int (*doc_delete)(struct store *s, struct store_tx *tx, const char *kind, const char *scope,
                      const char *name, int64_t expected_version);
    int (*doc_delete_prefix)(size_t *count_out, struct store *s, struct store_tx *tx,
                             const char *kind, const char *scope, const char *prefix);
    /* query->limit is already resolved to 1..STORE_LIST_MAX; prefix and
     * after are NULL when not wanted (never ""). */
    int (*doc_list)(struct store_doc_page *out, struct store *s, struct store_tx *tx,
                    const struct store_doc_query *query);
    /* prefix NULL when not wanted. */
    int (*doc_count)(size_t *count_out, struct store *s, struct store_tx *tx, const char *kind,
                     const char *scope, const char *prefix);

    /* spec->payload is never NULL here and run_after_ms is resolved. */
    int (*job_enqueue)(int64_t *id_out, bool *coalesced_out, struct store *s, struct store_tx *tx,
                       const struct store_job_spec *spec, int64_t now_ms);
    int (*job_claim)(struct store_job *out, struct store *s, struct store_tx *tx,
                     const char *worker, const char *const *kinds, size_t kinds_len,
                     int64_t lease_ms, const char *lease_token, int64_t now_ms);
    int (*job_renew)(int64_t *expires_out, struct store *s, struct store_tx *tx, int64_t id,
                     const char *lease_token, int64_t lease_ms, int64_t now_ms);
    int (*job_complete)(struct store *s, struct store_tx *tx, int64_t id, const char *lease_token,
                        int64_t now_ms);
    /* error already truncated; retry_at_ms is STORE_JOB_GIVE_UP or >= 0. */
    int (*job_fail)(struct store *s, struct store_tx *tx, int64_t id, const char *lease_token,
                    const char *error, int64_t retry_at_ms, int64_t now_ms);
    int (*job_reclaim)(size_t *count_out, struct store *s, struct store_tx *tx, int64_t now_ms);
    int (*job_get)(struct store_job *out, struct store *s, struct store_tx *tx, int64_t id);
    int (*job_count)(size_t *count_out, struct store *s, struct store_tx *tx, const char *kind,
                     enum store_job_state state);
    int (*job_purge)(size_t *count_out, struct store *s, struct store_tx *tx, int64_t before_ms);

    int (*outbox_append)(int64_t *seq_out, struct store *s, struct store_tx *tx, const char *body,
                         size_t body_len, int64_t now_ms);
    int (*outbox_fetch)(struct store_event_batch *out, struct store *s, struct store_tx *tx,
                        int64_t after_seq, size_t limit);
    int (*outbox_mark_delivered)(struct store *s, struct store_tx *tx, int64_t seq, int64_t now_ms);
    int (*outbox_purge)(size_t *count_out, struct store *s, struct store_tx *tx, int64_t before_ms);
    int (*log_group_create)(struct store *s, struct store_tx *tx, const char *scope,
                            const char *group, int64_t now_ms);
    int (*log_group_get)(struct store_log_group *out, struct store *s, struct store_tx *tx,
                         const char *scope, const char *group);
    /* prefix and after NULL when not wanted; limit resolved to 1..STORE_LIST_MAX. */
    int (*log_group_list)(struct store_log_group_page *out, struct store *s, struct store_tx *tx,
                          const char *scope, const char *prefix, const char *after, size_t limit);
    int (*log_group_set_retention)(struct store *s, struct store_tx *tx, const char *scope,
                                   const char *group, int days);
    int (*log_group_delete)(struct store *s, struct store_tx *tx, const char *scope,
                            const char *group);
    int (*log_stream_create)(struct store *s, struct store_tx *tx, const char *scope,
                             const char *group, const char *stream, int64_t now_ms);
    int (*log_stream_get)(struct store_log_stream *out, struct store *s, struct store_tx *tx,
                          const char *scope, const char *group, const char *stream);
    int (*log_stream_delete)(struct store *s, struct store_tx *tx, const char *scope,
                             const char *group, const char *stream);
    /* query->limit resolved to 1..STORE_LIST_MAX; prefix and after_name NULL
     * when not wanted (never ""). */
    int (*log_stream_list)(struct store_log_stream_page *out, struct store *s, struct store_tx *tx,
                           const struct store_log_stream_query *query);
    int (*log_append)(int64_t *upload_count_out, struct store *s, struct store_tx *tx,
                      const char *scope, const char *group, const char *stream,
                      const struct store_log_input *events, size_t count, int64_t now_ms);
    /* query->limit resolved to 1..STORE_LOG_READ_MAX, end_ms to INT64_MAX
     * when unbounded, stream_prefix NULL when not wanted. */
    int (*log_read)(struct store_log_page *out, struct store *s, struct store_tx *tx,
                    const struct store_log_read_query *query);
    int (*log_expire)(size_t *count_out, struct store *s, struct store_tx *tx, int64_t now_ms,
                      size_t limit);
};

/* The SQLite backend: `<dir>/state.db`. `dir` exists when this is called. */
int store_sqlite_open(struct store **out, const char *dir, const struct store_options *opts);

#endif
