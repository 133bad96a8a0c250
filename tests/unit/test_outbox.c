/*
 * The transactional outbox: events commit with the change that caused them,
 * come out in order, and are handed on once.
 */
#include "base/common.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"
#include "store/store.h"
#include "store_fixture.h"

#include <setjmp.h>

#include <cmocka.h>

#define T0 1700000000000LL

/* The fields the tests use, f->dir and f->st, come from the fixture. */
struct fixture {
    char *dir;
    struct store *st;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    struct store_fixture sf;
    if (store_fixture_open(&sf, "outbox", T0) < 0)
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

static int64_t append(struct store *st, struct store_tx *tx, const char *body)
{
    int64_t seq = 0;
    assert_int_equal(store_outbox_append(&seq, st, tx, body, strlen(body)), 0);
    assert_true(seq > 0);
    return seq;
}

static size_t pending(struct store *st)
{
    struct store_event_batch batch;
    assert_int_equal(store_outbox_fetch(&batch, st, NULL, 0, 0), 0);
    size_t len = batch.len;
    store_event_batch_release(&batch);
    return len;
}

static void test_append_fetch_in_order(void **state)
{
    struct fixture *f = *state;
    struct store_event_batch batch;

    int64_t a = append(f->st, NULL, "{\"detail-type\":\"a\"}");
    clock_set_fake(T0 + 7);
    int64_t b = append(f->st, NULL, "{\"detail-type\":\"b\"}");
    int64_t c = append(f->st, NULL, "{\"detail-type\":\"c\"}");
    assert_true(a < b && b < c);

    assert_int_equal(store_outbox_fetch(&batch, f->st, NULL, 0, 10), 0);
    assert_int_equal(batch.len, 3);
    assert_int_equal(batch.items[0].seq, a);
    assert_string_equal(batch.items[0].body, "{\"detail-type\":\"a\"}");
    assert_int_equal(batch.items[0].body_len, strlen(batch.items[0].body));
    assert_int_equal(batch.items[0].created_ms, T0);
    assert_int_equal(batch.items[1].seq, b);
    assert_int_equal(batch.items[1].created_ms, T0 + 7);
    assert_int_equal(batch.items[2].seq, c);
    store_event_batch_release(&batch);
    store_event_batch_release(&batch);
    store_event_batch_release(NULL);

    /* Limit and cursor. */
    assert_int_equal(store_outbox_fetch(&batch, f->st, NULL, 0, 2), 0);
    assert_int_equal(batch.len, 2);
    assert_int_equal(batch.items[1].seq, b);
    store_event_batch_release(&batch);
    assert_int_equal(store_outbox_fetch(&batch, f->st, NULL, b, 2), 0);
    assert_int_equal(batch.len, 1);
    assert_int_equal(batch.items[0].seq, c);
    store_event_batch_release(&batch);
    assert_int_equal(store_outbox_fetch(&batch, f->st, NULL, c, 2), 0);
    assert_int_equal(batch.len, 0);
    store_event_batch_release(&batch);
    assert_int_equal(store_outbox_fetch(&batch, f->st, NULL, -1, 2), ERR_INVALID);
}

static void test_event_commits_with_change(void **state)
{
    struct fixture *f = *state;
    struct store_tx *tx;
    struct store_doc doc;

    /* Rolled back: neither the change nor its event happened. */
    assert_int_equal(store_tx_begin(&tx, f->st), 0);
    assert_int_equal(store_doc_insert(NULL, f->st, tx, "codecommit.repo", "acct", "app", "{}", 2),
                     0);
    append(f->st, tx, "{\"detail-type\":\"CodeCommit Repository State Change\"}");
    store_tx_rollback(tx);
    assert_int_equal(pending(f->st), 0);
    assert_int_equal(store_doc_get(&doc, f->st, NULL, "codecommit.repo", "acct", "app"),
                     ERR_NOT_FOUND);

    /* Committed: both. Before the commit no reader sees the event. */
    assert_int_equal(store_tx_begin(&tx, f->st), 0);
    assert_int_equal(store_doc_insert(NULL, f->st, tx, "codecommit.repo", "acct", "app", "{}", 2),
                     0);
    append(f->st, tx, "{\"detail-type\":\"CodeCommit Repository State Change\"}");
    assert_int_equal(pending(f->st), 0);
    assert_int_equal(store_tx_commit(tx), 0);
    assert_int_equal(pending(f->st), 1);
    assert_int_equal(store_doc_get(&doc, f->st, NULL, "codecommit.repo", "acct", "app"), 0);
    store_doc_release(&doc);
}

static void test_mark_delivered(void **state)
{
    struct fixture *f = *state;
    struct store_event_batch batch;

    int64_t a = append(f->st, NULL, "1");
    int64_t b = append(f->st, NULL, "2");
    assert_int_equal(store_outbox_mark_delivered(f->st, NULL, a), 0);
    assert_int_equal(store_outbox_fetch(&batch, f->st, NULL, 0, 0), 0);
    assert_int_equal(batch.len, 1);
    assert_int_equal(batch.items[0].seq, b);
    store_event_batch_release(&batch);

    assert_int_equal(store_outbox_mark_delivered(f->st, NULL, a), ERR_CONFLICT);
    assert_non_null(strstr(err_msg(), "already delivered"));
    assert_int_equal(store_outbox_mark_delivered(f->st, NULL, b + 100), ERR_NOT_FOUND);
    assert_int_equal(store_outbox_mark_delivered(f->st, NULL, 0), ERR_INVALID);
}

/* A dispatcher: hands each pending event to the job queue and marks it, in
 * one transaction. Returns how many it handed on. */
static int dispatch(size_t *handed_out, struct store *st, const struct store_event_batch *seen)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    size_t handed = 0;
    int r;
    if ((r = store_tx_begin(&tx, st)) < 0)
        return r;
    for (size_t i = 0; i < seen->len; i++) {
        struct store_job_spec spec = {.kind = "events.deliver",
                                      .payload = seen->items[i].body,
                                      .payload_len = seen->items[i].body_len};
        int64_t id;
        if ((r = store_job_enqueue(&id, NULL, st, tx, &spec)) < 0)
            return r;
        if ((r = store_outbox_mark_delivered(st, tx, seen->items[i].seq)) < 0)
            return r;
        handed++;
    }
    if ((r = store_tx_commit(TAKE_PTR(tx))) < 0)
        return r;
    *handed_out = handed;
    return 0;
}

static void test_racing_dispatchers_hand_on_once(void **state)
{
    struct fixture *f = *state;
    struct store_event_batch seen_a, seen_b;
    size_t handed = 0, jobs = 0;

    append(f->st, NULL, "{\"n\":1}");
    append(f->st, NULL, "{\"n\":2}");
    /* Both dispatchers read the same pending events... */
    assert_int_equal(store_outbox_fetch(&seen_a, f->st, NULL, 0, 0), 0);
    assert_int_equal(store_outbox_fetch(&seen_b, f->st, NULL, 0, 0), 0);
    assert_int_equal(seen_b.len, 2);
    /* ...the first to commit wins; the second is refused as a whole. */
    assert_int_equal(dispatch(&handed, f->st, &seen_a), 0);
    assert_int_equal(handed, 2);
    assert_int_equal(dispatch(&handed, f->st, &seen_b), ERR_CONFLICT);
    assert_int_equal(store_job_count(&jobs, f->st, NULL, "events.deliver", STORE_JOB_QUEUED), 0);
    assert_int_equal(jobs, 2);
    assert_int_equal(pending(f->st), 0);
    store_event_batch_release(&seen_a);
    store_event_batch_release(&seen_b);
}

static void test_purge_delivered(void **state)
{
    struct fixture *f = *state;
    size_t count = 99;

    int64_t a = append(f->st, NULL, "{}");
    int64_t b = append(f->st, NULL, "{}");
    int64_t c = append(f->st, NULL, "{}");
    assert_int_equal(store_outbox_mark_delivered(f->st, NULL, a), 0);
    clock_set_fake(T0 + 100);
    assert_int_equal(store_outbox_mark_delivered(f->st, NULL, c), 0);

    assert_int_equal(store_outbox_purge(&count, f->st, NULL, T0 + 1), 0);
    assert_int_equal(count, 1);
    assert_int_equal(store_outbox_mark_delivered(f->st, NULL, a), ERR_NOT_FOUND);
    assert_int_equal(store_outbox_purge(&count, f->st, NULL, T0 + 101), 0);
    assert_int_equal(count, 1);
    /* Undelivered events are never purged. */
    assert_int_equal(store_outbox_purge(&count, f->st, NULL, T0 + 100000), 0);
    assert_int_equal(count, 0);
    assert_int_equal(pending(f->st), 1);

    /* Sequence numbers keep rising past purged ones, even the highest. */
    int64_t d = append(f->st, NULL, "{}");
    assert_true(d > c);
    (void)b;
}

static void test_append_invalid(void **state)
{
    struct fixture *f = *state;
    int64_t seq = 0;
    assert_int_equal(store_outbox_append(&seq, f->st, NULL, "{", 1), ERR_INVALID);
    assert_int_equal(store_outbox_append(&seq, f->st, NULL, NULL, 0), ERR_INVALID);
    assert_int_equal(store_outbox_append(&seq, f->st, NULL, "{}\0", 3), ERR_INVALID);
    char *big = xmalloc(STORE_PAYLOAD_MAX + 1);
    memset(big, ' ', STORE_PAYLOAD_MAX + 1);
    big[0] = '0';
    assert_int_equal(store_outbox_append(&seq, f->st, NULL, big, STORE_PAYLOAD_MAX + 1), ERR_LIMIT);
    free(big);
    assert_int_equal(seq, 0);
    assert_int_equal(pending(f->st), 0);
}

static void test_outbox_survives_reopen(void **state)
{
    struct fixture *f = *state;
    struct store_event_batch batch;
    int64_t a = append(f->st, NULL, "{\"keep\":true}");
    store_free(f->st);
    assert_int_equal(store_open(&f->st, f->dir, NULL), 0);
    assert_int_equal(store_outbox_fetch(&batch, f->st, NULL, 0, 0), 0);
    assert_int_equal(batch.len, 1);
    assert_int_equal(batch.items[0].seq, a);
    assert_string_equal(batch.items[0].body, "{\"keep\":true}");
    store_event_batch_release(&batch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_fetch_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_commits_with_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mark_delivered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_racing_dispatchers_hand_on_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge_delivered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_survives_reopen, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
