/*
 * The durable job queue: claims, leases, retries, coalescing, reclaiming
 * and concurrent claimers.
 */
#include "base/common.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"
#include "store/store.h"
#include "store_fixture.h"

#include <pthread.h>
#include <setjmp.h>

#include <cmocka.h>

#define T0    1700000000000LL
#define LEASE 30000

/* The fields the tests use, f->dir and f->st, come from the fixture. */
struct fixture {
    char *dir;
    struct store *st;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    struct store_fixture sf;
    if (store_fixture_open(&sf, "jobs", T0) < 0)
        return -1;
    f->dir = sf.dir;
    f->st = sf.st;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    struct store_fixture sf = {.dir = f->dir, .st = f->st};
    store_fixture_close(&sf);
    free(f);
    return 0;
}

static int64_t enqueue(struct store *st, const char *kind, const char *payload,
                       int64_t run_after_ms)
{
    int64_t id = 0;
    struct store_job_spec spec = {.kind = kind,
                                  .payload = payload,
                                  .payload_len = payload ? strlen(payload) : 0,
                                  .run_after_ms = run_after_ms};
    assert_int_equal(store_job_enqueue(&id, NULL, st, NULL, &spec), 0);
    assert_true(id > 0);
    return id;
}

static enum store_job_state job_state(struct store *st, int64_t id)
{
    struct store_job job;
    assert_int_equal(store_job_get(&job, st, NULL, id), 0);
    enum store_job_state state = job.state;
    store_job_release(&job);
    return state;
}

static size_t job_count(struct store *st, enum store_job_state state)
{
    size_t count = 0;
    assert_int_equal(store_job_count(&count, st, NULL, NULL, state), 0);
    return count;
}

static void test_enqueue_claim_complete(void **state)
{
    struct fixture *f = *state;
    struct store_job job;

    int64_t id = enqueue(f->st, "codebuild.build", "{\"build\":\"b-1\"}", 0);
    assert_int_equal(store_job_get(&job, f->st, NULL, id), 0);
    assert_int_equal(job.state, STORE_JOB_QUEUED);
    assert_string_equal(job.kind, "codebuild.build");
    assert_string_equal(job.payload, "{\"build\":\"b-1\"}");
    assert_int_equal(job.payload_len, strlen(job.payload));
    assert_int_equal(job.attempts, 0);
    assert_int_equal(job.run_after_ms, T0);
    assert_int_equal(job.created_ms, T0);
    assert_null(job.worker);
    assert_null(job.dedup_key);
    assert_null(job.last_error);
    assert_string_equal(job.lease_token, "");
    store_job_release(&job);

    clock_set_fake(T0 + 10);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "worker-1", NULL, 0, LEASE), 0);
    assert_int_equal(job.id, id);
    assert_int_equal(job.state, STORE_JOB_RUNNING);
    assert_int_equal(job.attempts, 1);
    assert_string_equal(job.worker, "worker-1");
    assert_int_equal(strlen(job.lease_token), STORE_LEASE_TOKEN_LEN);
    assert_int_equal(job.lease_expires_ms, T0 + 10 + LEASE);
    assert_string_equal(job.payload, "{\"build\":\"b-1\"}");
    char token[STORE_LEASE_TOKEN_LEN + 1];
    memcpy(token, job.lease_token, sizeof(token));
    store_job_release(&job);

    /* Nothing else is due. */
    struct store_job none = {.id = -5};
    assert_int_equal(store_job_claim(&none, f->st, NULL, "worker-2", NULL, 0, LEASE),
                     ERR_NOT_FOUND);
    assert_int_equal(none.id, -5);

    assert_int_equal(store_job_complete(f->st, NULL, id, token), 0);
    assert_int_equal(store_job_get(&job, f->st, NULL, id), 0);
    assert_int_equal(job.state, STORE_JOB_DONE);
    assert_string_equal(job.lease_token, "");
    assert_int_equal(job.lease_expires_ms, 0);
    store_job_release(&job);
    store_job_release(NULL);

    /* Completing twice: the lease is gone. */
    assert_int_equal(store_job_complete(f->st, NULL, id, token), ERR_CONFLICT);
    assert_non_null(strstr(err_msg(), "done"));
}

static void test_payload_default_and_get_missing(void **state)
{
    struct fixture *f = *state;
    struct store_job job;
    int64_t id = enqueue(f->st, "k", NULL, 0);
    assert_int_equal(store_job_get(&job, f->st, NULL, id), 0);
    assert_string_equal(job.payload, "{}");
    store_job_release(&job);
    assert_int_equal(store_job_get(&job, f->st, NULL, id + 100), ERR_NOT_FOUND);
    assert_int_equal(store_job_get(&job, f->st, NULL, 0), ERR_INVALID);
}

static void test_claim_waits_for_run_after(void **state)
{
    struct fixture *f = *state;
    struct store_job job;

    int64_t id = enqueue(f->st, "k", "{}", T0 + 5000);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, LEASE), ERR_NOT_FOUND);
    clock_set_fake(T0 + 4999);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, LEASE), ERR_NOT_FOUND);
    clock_set_fake(T0 + 5000);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, LEASE), 0);
    assert_int_equal(job.id, id);
    store_job_release(&job);
}

static void test_claim_oldest_due_first(void **state)
{
    struct fixture *f = *state;
    struct store_job job;

    int64_t later = enqueue(f->st, "k", "{\"n\":1}", T0 + 300);
    int64_t first = enqueue(f->st, "k", "{\"n\":2}", T0 + 100);
    int64_t tie_a = enqueue(f->st, "k", "{\"n\":3}", T0 + 200);
    int64_t tie_b = enqueue(f->st, "k", "{\"n\":4}", T0 + 200);
    clock_set_fake(T0 + 1000);
    int64_t want[] = {first, tie_a, tie_b, later};
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, LEASE), 0);
        assert_int_equal(job.id, want[i]);
        store_job_release(&job);
    }
}

static void test_claim_kinds_filter(void **state)
{
    struct fixture *f = *state;
    struct store_job job;

    int64_t a = enqueue(f->st, "codebuild.build", "{}", 0);
    int64_t b = enqueue(f->st, "codedeploy.command", "{}", 0);
    int64_t c = enqueue(f->st, "events.deliver", "{}", 0);

    const char *none[] = {"codepipeline.action"};
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", none, 1, LEASE), ERR_NOT_FOUND);
    const char *deploy[] = {"codedeploy.command"};
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", deploy, 1, LEASE), 0);
    assert_int_equal(job.id, b);
    store_job_release(&job);
    const char *two[] = {"events.deliver", "codebuild.build", "it's \"quoted\""};
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", two, 3, LEASE), 0);
    assert_int_equal(job.id, a);
    store_job_release(&job);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", two, 3, LEASE), 0);
    assert_int_equal(job.id, c);
    store_job_release(&job);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", two, 3, LEASE), ERR_NOT_FOUND);

    /* Input checks. */
    const char *many[STORE_JOB_KINDS_MAX + 1];
    for (size_t i = 0; i < ARRAY_SIZE(many); i++)
        many[i] = "k";
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", many, ARRAY_SIZE(many), LEASE),
                     ERR_LIMIT);
    const char *empty[] = {""};
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", empty, 1, LEASE), ERR_INVALID);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "", NULL, 0, LEASE), ERR_INVALID);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, 0), ERR_INVALID);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, -1), ERR_INVALID);
}

static void test_lease_expiry_and_reclaim(void **state)
{
    struct fixture *f = *state;
    struct store_job job;
    size_t count = 99;

    int64_t id = enqueue(f->st, "k", "{}", 0);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "lost-worker", NULL, 0, 1000), 0);
    store_job_release(&job);

    clock_set_fake(T0 + 999);
    assert_int_equal(store_job_reclaim(&count, f->st, NULL), 0);
    assert_int_equal(count, 0);
    assert_int_equal(job_state(f->st, id), STORE_JOB_RUNNING);

    clock_set_fake(T0 + 1000);
    assert_int_equal(store_job_reclaim(&count, f->st, NULL), 0);
    assert_int_equal(count, 1);
    assert_int_equal(store_job_get(&job, f->st, NULL, id), 0);
    assert_int_equal(job.state, STORE_JOB_QUEUED);
    assert_non_null(job.last_error);
    assert_non_null(strstr(job.last_error, "'lost-worker'"));
    assert_string_equal(job.lease_token, "");
    /* It keeps its place: its run-after time is unchanged. */
    assert_int_equal(job.run_after_ms, T0);
    store_job_release(&job);

    assert_int_equal(store_job_reclaim(NULL, f->st, NULL), 0);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w2", NULL, 0, LEASE), 0);
    assert_int_equal(job.id, id);
    assert_int_equal(job.attempts, 2);
    assert_string_equal(job.worker, "w2");
    store_job_release(&job);
}

static void test_stale_token_refused(void **state)
{
    struct fixture *f = *state;
    struct store_job a, b;

    int64_t id = enqueue(f->st, "k", "{}", 0);
    assert_int_equal(store_job_claim(&a, f->st, NULL, "worker-a", NULL, 0, 1000), 0);
    clock_set_fake(T0 + 2000);
    assert_int_equal(store_job_reclaim(NULL, f->st, NULL), 0);
    assert_int_equal(store_job_claim(&b, f->st, NULL, "worker-b", NULL, 0, LEASE), 0);
    assert_int_equal(b.id, id);
    assert_string_not_equal(a.lease_token, b.lease_token);

    /* Worker A comes back from its pause: every leased call is refused. */
    assert_int_equal(store_job_complete(f->st, NULL, id, a.lease_token), ERR_CONFLICT);
    assert_int_equal(store_job_renew(NULL, f->st, NULL, id, a.lease_token, LEASE), ERR_CONFLICT);
    assert_int_equal(store_job_fail(f->st, NULL, id, a.lease_token, "boom", STORE_JOB_GIVE_UP),
                     ERR_CONFLICT);
    assert_int_equal(job_state(f->st, id), STORE_JOB_RUNNING);

    /* Tokens are checked in full, and ids must exist. */
    char forged[STORE_LEASE_TOKEN_LEN + 1];
    memcpy(forged, b.lease_token, sizeof(forged));
    forged[0] = forged[0] == 'a' ? 'b' : 'a';
    assert_int_equal(store_job_complete(f->st, NULL, id, forged), ERR_CONFLICT);
    assert_int_equal(store_job_complete(f->st, NULL, id, "short"), ERR_INVALID);
    assert_int_equal(store_job_complete(f->st, NULL, id, NULL), ERR_INVALID);
    assert_int_equal(store_job_complete(f->st, NULL, id + 1, b.lease_token), ERR_NOT_FOUND);
    assert_int_equal(store_job_complete(f->st, NULL, -1, b.lease_token), ERR_INVALID);

    assert_int_equal(store_job_complete(f->st, NULL, id, b.lease_token), 0);
    assert_int_equal(job_state(f->st, id), STORE_JOB_DONE);
    store_job_release(&a);
    store_job_release(&b);
}

static void test_renew_extends_lease(void **state)
{
    struct fixture *f = *state;
    struct store_job job;
    int64_t expires = 0;
    size_t count;

    int64_t id = enqueue(f->st, "k", "{}", 0);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, 1000), 0);
    clock_set_fake(T0 + 800);
    assert_int_equal(store_job_renew(&expires, f->st, NULL, id, job.lease_token, 1000), 0);
    assert_int_equal(expires, T0 + 1800);
    clock_set_fake(T0 + 1500);
    assert_int_equal(store_job_reclaim(&count, f->st, NULL), 0);
    assert_int_equal(count, 0);
    assert_int_equal(store_job_complete(f->st, NULL, id, job.lease_token), 0);
    assert_int_equal(store_job_renew(&expires, f->st, NULL, id, job.lease_token, 1000),
                     ERR_CONFLICT);
    assert_int_equal(store_job_renew(&expires, f->st, NULL, id, job.lease_token, 0), ERR_INVALID);
    store_job_release(&job);
}

static void test_expired_lease_still_held_until_reclaimed(void **state)
{
    struct fixture *f = *state;
    struct store_job job;

    int64_t id = enqueue(f->st, "k", "{}", 0);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "slow", NULL, 0, 1000), 0);
    clock_set_fake(T0 + 5000);
    /* Nobody reclaimed it: the slow worker's result still counts. */
    assert_int_equal(store_job_complete(f->st, NULL, id, job.lease_token), 0);
    store_job_release(&job);
}

static void test_fail_retry_and_give_up(void **state)
{
    struct fixture *f = *state;
    struct store_job job;

    int64_t id = enqueue(f->st, "k", "{}", 0);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, LEASE), 0);
    assert_int_equal(store_job_fail(f->st, NULL, id, job.lease_token, "", 0), ERR_INVALID);
    assert_int_equal(store_job_fail(f->st, NULL, id, job.lease_token, NULL, 0), ERR_INVALID);
    assert_int_equal(store_job_fail(f->st, NULL, id, job.lease_token, "x", -5), ERR_INVALID);
    assert_int_equal(
        store_job_fail(f->st, NULL, id, job.lease_token, "runner exited with 137", T0 + 60000), 0);
    store_job_release(&job);

    assert_int_equal(store_job_get(&job, f->st, NULL, id), 0);
    assert_int_equal(job.state, STORE_JOB_QUEUED);
    assert_int_equal(job.run_after_ms, T0 + 60000);
    assert_string_equal(job.last_error, "runner exited with 137");
    store_job_release(&job);

    clock_set_fake(T0 + 59999);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, LEASE), ERR_NOT_FOUND);
    clock_set_fake(T0 + 60000);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, LEASE), 0);
    assert_int_equal(job.attempts, 2);
    assert_int_equal(
        store_job_fail(f->st, NULL, id, job.lease_token, "bad buildspec", STORE_JOB_GIVE_UP), 0);
    store_job_release(&job);

    assert_int_equal(store_job_get(&job, f->st, NULL, id), 0);
    assert_int_equal(job.state, STORE_JOB_DEAD);
    assert_string_equal(job.last_error, "bad buildspec");
    store_job_release(&job);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, LEASE), ERR_NOT_FOUND);
}

static void test_fail_error_truncated(void **state)
{
    struct fixture *f = *state;
    struct store_job job;
    char *error = xmalloc(STORE_JOB_ERROR_MAX + 100);
    /* Two-byte characters that straddle the cut. */
    size_t n = 0;
    error[n++] = 'x';
    while (n + 2 < STORE_JOB_ERROR_MAX + 99) {
        error[n++] = (char)0xc3;
        error[n++] = (char)0xa9;
    }
    error[n] = '\0';

    int64_t id = enqueue(f->st, "k", "{}", 0);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, LEASE), 0);
    assert_int_equal(store_job_fail(f->st, NULL, id, job.lease_token, error, STORE_JOB_GIVE_UP), 0);
    store_job_release(&job);
    assert_int_equal(store_job_get(&job, f->st, NULL, id), 0);
    size_t len = strlen(job.last_error);
    assert_true(len <= STORE_JOB_ERROR_MAX);
    assert_true(len >= STORE_JOB_ERROR_MAX - 1);
    assert_int_equal(len % 2, 1);
    assert_int_equal(memcmp(job.last_error, error, len), 0);
    store_job_release(&job);
    free(error);
}

static void test_max_attempts(void **state)
{
    struct fixture *f = *state;
    struct store_job job;
    int64_t id;
    struct store_job_spec spec = {.kind = "k", .max_attempts = 2};

    assert_int_equal(store_job_enqueue(&id, NULL, f->st, NULL, &spec), 0);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, LEASE), 0);
    assert_int_equal(job.max_attempts, 2);
    assert_int_equal(store_job_fail(f->st, NULL, id, job.lease_token, "once", 0), 0);
    store_job_release(&job);
    assert_int_equal(job_state(f->st, id), STORE_JOB_QUEUED);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, LEASE), 0);
    assert_int_equal(store_job_fail(f->st, NULL, id, job.lease_token, "twice", 0), 0);
    store_job_release(&job);
    /* Attempts used up: asking for a retry buries it anyway. */
    assert_int_equal(job_state(f->st, id), STORE_JOB_DEAD);

    /* An expired lease on the last attempt buries the job too. */
    spec.max_attempts = 1;
    assert_int_equal(store_job_enqueue(&id, NULL, f->st, NULL, &spec), 0);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, 1000), 0);
    store_job_release(&job);
    clock_set_fake(T0 + 1000);
    size_t count;
    assert_int_equal(store_job_reclaim(&count, f->st, NULL), 0);
    assert_int_equal(count, 1);
    assert_int_equal(store_job_get(&job, f->st, NULL, id), 0);
    assert_int_equal(job.state, STORE_JOB_DEAD);
    assert_non_null(strstr(job.last_error, "expired"));
    store_job_release(&job);

    spec.max_attempts = -1;
    assert_int_equal(store_job_enqueue(&id, NULL, f->st, NULL, &spec), ERR_INVALID);
}

static void test_dedup_coalesces_queued_only(void **state)
{
    struct fixture *f = *state;
    struct store_job job;
    int64_t id1 = 0, id2 = 0, id3 = 0;
    bool coalesced = true;
    struct store_job_spec spec = {.kind = "codepipeline.advance",
                                  .payload = "{\"execution\":\"e-1\"}",
                                  .payload_len = 19,
                                  .dedup_key = "advance/e-1",
                                  .run_after_ms = T0 + 500};

    assert_int_equal(store_job_enqueue(&id1, &coalesced, f->st, NULL, &spec), 0);
    assert_false(coalesced);
    spec.run_after_ms = T0 + 900;
    assert_int_equal(store_job_enqueue(&id2, &coalesced, f->st, NULL, &spec), 0);
    assert_true(coalesced);
    assert_int_equal(id2, id1);
    /* A request due sooner pulls the queued job earlier. */
    spec.run_after_ms = T0 + 100;
    assert_int_equal(store_job_enqueue(&id2, NULL, f->st, NULL, &spec), 0);
    assert_int_equal(id2, id1);
    assert_int_equal(store_job_get(&job, f->st, NULL, id1), 0);
    assert_int_equal(job.run_after_ms, T0 + 100);
    assert_string_equal(job.dedup_key, "advance/e-1");
    store_job_release(&job);
    assert_int_equal(job_count(f->st, STORE_JOB_QUEUED), 1);

    /* Other keys and key-less jobs are independent. */
    spec.dedup_key = "advance/e-2";
    assert_int_equal(store_job_enqueue(&id3, &coalesced, f->st, NULL, &spec), 0);
    assert_false(coalesced);
    assert_true(id3 != id1);
    spec.dedup_key = "";
    assert_int_equal(store_job_enqueue(&id3, &coalesced, f->st, NULL, &spec), 0);
    assert_false(coalesced);

    /* Once running, the job no longer absorbs requests: it may have read
     * the state the new request is about. */
    clock_set_fake(T0 + 100);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, LEASE), 0);
    assert_int_equal(job.id, id1);
    spec.dedup_key = "advance/e-1";
    assert_int_equal(store_job_enqueue(&id2, &coalesced, f->st, NULL, &spec), 0);
    assert_false(coalesced);
    assert_true(id2 != id1);

    /* And a failed retry next to a queued twin is allowed. */
    assert_int_equal(store_job_fail(f->st, NULL, id1, job.lease_token, "retry", T0), 0);
    store_job_release(&job);
    assert_int_equal(job_state(f->st, id1), STORE_JOB_QUEUED);
    assert_int_equal(job_state(f->st, id2), STORE_JOB_QUEUED);
}

static void test_enqueue_and_complete_in_transaction(void **state)
{
    struct fixture *f = *state;
    struct store_tx *tx;
    struct store_job job;
    int64_t id;
    struct store_job_spec spec = {.kind = "k", .dedup_key = "key"};

    /* Enqueue rolled back with its transaction: no job. */
    assert_int_equal(store_tx_begin(&tx, f->st), 0);
    assert_int_equal(store_job_enqueue(&id, NULL, f->st, tx, &spec), 0);
    store_tx_rollback(tx);
    assert_int_equal(store_job_get(&job, f->st, NULL, id), ERR_NOT_FOUND);

    assert_int_equal(store_tx_begin(&tx, f->st), 0);
    assert_int_equal(store_job_enqueue(&id, NULL, f->st, tx, &spec), 0);
    assert_int_equal(store_tx_commit(tx), 0);
    assert_int_equal(job_state(f->st, id), STORE_JOB_QUEUED);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, LEASE), 0);

    /* The outcome and the completion commit together or not at all. */
    assert_int_equal(store_tx_begin(&tx, f->st), 0);
    assert_int_equal(store_doc_upsert(NULL, f->st, tx, "codebuild.build", "acct", "b-1",
                                      "{\"status\":\"SUCCEEDED\"}", 22),
                     0);
    assert_int_equal(store_job_complete(f->st, tx, id, job.lease_token), 0);
    store_tx_rollback(tx);
    assert_int_equal(job_state(f->st, id), STORE_JOB_RUNNING);

    assert_int_equal(store_tx_begin(&tx, f->st), 0);
    assert_int_equal(store_doc_upsert(NULL, f->st, tx, "codebuild.build", "acct", "b-1",
                                      "{\"status\":\"SUCCEEDED\"}", 22),
                     0);
    assert_int_equal(store_job_complete(f->st, tx, id, job.lease_token), 0);
    assert_int_equal(store_tx_commit(tx), 0);
    assert_int_equal(job_state(f->st, id), STORE_JOB_DONE);
    store_job_release(&job);

    /* A claim inside a rolled-back transaction leaves the job queued. */
    int64_t id2 = enqueue(f->st, "k", "{}", 0);
    assert_int_equal(store_tx_begin(&tx, f->st), 0);
    assert_int_equal(store_job_claim(&job, f->st, tx, "w", NULL, 0, LEASE), 0);
    assert_int_equal(job.id, id2);
    store_job_release(&job);
    store_tx_rollback(tx);
    assert_int_equal(job_state(f->st, id2), STORE_JOB_QUEUED);
}

static void test_count_and_purge(void **state)
{
    struct fixture *f = *state;
    struct store_job job;
    size_t count = 0;

    enqueue(f->st, "a", "{}", T0 + 100000);
    int64_t done = enqueue(f->st, "a", "{}", 0);
    int64_t dead = enqueue(f->st, "b", "{}", 0);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, LEASE), 0);
    assert_int_equal(job.id, done);
    assert_int_equal(store_job_complete(f->st, NULL, done, job.lease_token), 0);
    store_job_release(&job);
    clock_set_fake(T0 + 50);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, LEASE), 0);
    assert_int_equal(store_job_fail(f->st, NULL, dead, job.lease_token, "x", STORE_JOB_GIVE_UP), 0);
    store_job_release(&job);

    assert_int_equal(store_job_count(&count, f->st, NULL, "a", STORE_JOB_QUEUED), 0);
    assert_int_equal(count, 1);
    assert_int_equal(store_job_count(&count, f->st, NULL, "b", STORE_JOB_QUEUED), 0);
    assert_int_equal(count, 0);
    assert_int_equal(job_count(f->st, STORE_JOB_DONE), 1);
    assert_int_equal(job_count(f->st, STORE_JOB_DEAD), 1);
    assert_int_equal(store_job_count(&count, f->st, NULL, NULL, (enum store_job_state)9),
                     ERR_INVALID);

    assert_int_equal(store_job_purge(&count, f->st, NULL, T0 + 1), 0);
    assert_int_equal(count, 1);
    assert_int_equal(store_job_get(&job, f->st, NULL, done), ERR_NOT_FOUND);
    assert_int_equal(store_job_purge(&count, f->st, NULL, T0 + 51), 0);
    assert_int_equal(count, 1);
    assert_int_equal(job_count(f->st, STORE_JOB_QUEUED), 1);

    /* Ids are never reused after a purge, even the highest. */
    int64_t next = enqueue(f->st, "a", "{}", 0);
    assert_true(next > dead);
}

static void test_enqueue_invalid(void **state)
{
    struct fixture *f = *state;
    int64_t id = 0;
    struct store_job_spec spec = {.kind = "k", .payload = "{", .payload_len = 1};

    assert_int_equal(store_job_enqueue(&id, NULL, f->st, NULL, &spec), ERR_INVALID);
    spec.payload = "{}";
    spec.payload_len = 2;
    spec.kind = "";
    assert_int_equal(store_job_enqueue(&id, NULL, f->st, NULL, &spec), ERR_INVALID);
    spec.kind = "k";
    spec.run_after_ms = -1;
    assert_int_equal(store_job_enqueue(&id, NULL, f->st, NULL, &spec), ERR_INVALID);
    assert_int_equal(store_job_enqueue(&id, NULL, f->st, NULL, NULL), ERR_INVALID);
    assert_int_equal(id, 0);
    assert_int_equal(job_count(f->st, STORE_JOB_QUEUED), 0);
}

static void test_jobs_survive_reopen(void **state)
{
    struct fixture *f = *state;
    struct store_job job;
    size_t count;

    int64_t id = enqueue(f->st, "k", "{\"x\":1}", 0);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w", NULL, 0, 1000), 0);
    store_job_release(&job);
    store_free(f->st);
    assert_int_equal(store_open(&f->st, f->dir, NULL), 0);

    assert_int_equal(job_state(f->st, id), STORE_JOB_RUNNING);
    clock_set_fake(T0 + 1000);
    assert_int_equal(store_job_reclaim(&count, f->st, NULL), 0);
    assert_int_equal(count, 1);
    assert_int_equal(store_job_claim(&job, f->st, NULL, "w2", NULL, 0, LEASE), 0);
    assert_int_equal(job.id, id);
    assert_string_equal(job.payload, "{\"x\":1}");
    assert_int_equal(store_job_complete(f->st, NULL, id, job.lease_token), 0);
    store_job_release(&job);
}

/* --- Concurrent claimers ------------------------------------------------ */

#define CLAIM_THREADS 4
#define CLAIM_JOBS    300

struct claimer {
    struct store *st;
    char worker[16];
    int64_t *claimed;
    size_t claimed_len;
    int failures;
};

static void *claimer_thread(void *p)
{
    struct claimer *c = p;
    for (;;) {
        struct store_job job;
        int r = store_job_claim(&job, c->st, NULL, c->worker, NULL, 0, LEASE);
        if (r == ERR_NOT_FOUND)
            break;
        if (r < 0) {
            fprintf(stderr, "claim: %s\n", err_msg());
            c->failures++;
            break;
        }
        c->claimed[c->claimed_len++] = job.id;
        if (store_job_complete(c->st, NULL, job.id, job.lease_token) < 0) {
            fprintf(stderr, "complete: %s\n", err_msg());
            c->failures++;
        }
        store_job_release(&job);
    }
    return NULL;
}

static void test_concurrent_claims_each_once(void **state)
{
    struct fixture *f = *state;
    pthread_t threads[CLAIM_THREADS];
    struct claimer claimers[CLAIM_THREADS];
    int64_t first = 0;
    uint8_t *seen = xcalloc(CLAIM_JOBS, 1);

    clock_set_fake(0);
    for (int i = 0; i < CLAIM_JOBS; i++) {
        int64_t id = enqueue(f->st, "k", "{}", 0);
        if (i == 0)
            first = id;
    }
    for (int i = 0; i < CLAIM_THREADS; i++) {
        claimers[i] = (struct claimer){.st = f->st, .claimed = xcalloc(CLAIM_JOBS, 8)};
        snprintf(claimers[i].worker, sizeof(claimers[i].worker), "w%d", i);
        assert_int_equal(pthread_create(&threads[i], NULL, claimer_thread, &claimers[i]), 0);
    }
    size_t total = 0;
    for (int i = 0; i < CLAIM_THREADS; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(claimers[i].failures, 0);
        for (size_t j = 0; j < claimers[i].claimed_len; j++) {
            int64_t idx = claimers[i].claimed[j] - first;
            assert_true(idx >= 0 && idx < CLAIM_JOBS);
            assert_int_equal(seen[idx], 0);
            seen[idx] = 1;
        }
        total += claimers[i].claimed_len;
        free(claimers[i].claimed);
    }
    assert_int_equal(total, CLAIM_JOBS);
    assert_int_equal(job_count(f->st, STORE_JOB_DONE), CLAIM_JOBS);
    assert_int_equal(job_count(f->st, STORE_JOB_QUEUED), 0);
    assert_int_equal(job_count(f->st, STORE_JOB_RUNNING), 0);
    free(seen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enqueue_claim_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payload_default_and_get_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_waits_for_run_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_oldest_due_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_kinds_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lease_expiry_and_reclaim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_token_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_renew_extends_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_lease_still_held_until_reclaimed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fail_retry_and_give_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_error_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_attempts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dedup_coalesces_queued_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enqueue_and_complete_in_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count_and_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enqueue_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jobs_survive_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_claims_each_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
