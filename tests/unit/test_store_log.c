/*
 * The store's log events: groups, streams, appends with their counters,
 * reads in both directions with positions and limits, group reads across
 * streams, stream listings in both orders, deletion and retention expiry.
 */
#include "base/common.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"
#include "store/store.h"
#include "store_fixture.h"

#include <setjmp.h>

#include <cmocka.h>

#define T0    1700000000000LL
#define SCOPE "000000000000/us-east-1"
#define DAY   86400000LL

struct fixture {
    struct store_fixture sf;
    struct store *st;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    if (store_fixture_open(&f->sf, "store-log", T0) < 0)
        return -1;
    f->st = f->sf.st;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_fixture_close(&f->sf);
    free(f);
    return 0;
}

static void make_stream(struct store *st, const char *group, const char *stream)
{
    int rc = store_log_group_create(st, NULL, SCOPE, group);
    assert_true(rc == 0 || rc == ERR_EXISTS);
    assert_int_equal(store_log_stream_create(st, NULL, SCOPE, group, stream), 0);
}

/* Appends messages "<prefix><i>" with timestamps ts0, ts0 + step, ... */
static void append_n(struct store *st, const char *group, const char *stream, const char *prefix,
                     size_t n, int64_t ts0, int64_t step)
{
    struct store_log_input *events = xcalloc(n, sizeof(*events));
    char **texts = xcalloc(n, sizeof(*texts));
    for (size_t i = 0; i < n; i++) {
        texts[i] = xasprintf("%s%zu", prefix, i);
        events[i] = (struct store_log_input){ts0 + (int64_t)i * step, texts[i], strlen(texts[i])};
    }
    assert_int_equal(store_log_append(NULL, st, NULL, SCOPE, group, stream, events, n), 0);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    free(events);
}

static void read_page(struct store_log_page *page, struct store *st,
                      const struct store_log_read_query *q)
{
    int rc = store_log_read(page, st, NULL, q);
    if (rc < 0)
        fail_msg("store_log_read: %s", err_msg());
}

static void test_schema_and_groups(void **state)
{
    struct fixture *f = *state;
    int version = 0;
    assert_int_equal(store_schema_version(&version, f->st), 0);
    assert_int_equal(version, store_schema_latest(f->st));
    assert_true(version >= 2);

    assert_int_equal(store_log_group_create(f->st, NULL, SCOPE, "g"), 0);
    assert_int_equal(store_log_group_create(f->st, NULL, SCOPE, "g"), ERR_EXISTS);
    /* The same name in another scope is another group. */
    assert_int_equal(store_log_group_create(f->st, NULL, "111111111111/us-east-1", "g"), 0);

    struct store_log_group g;
    assert_int_equal(store_log_group_get(&g, f->st, NULL, SCOPE, "g"), 0);
    assert_int_equal(g.created_ms, T0);
    assert_int_equal(g.retention_days, 0);
    assert_int_equal(g.stored_bytes, 0);
    assert_int_equal(store_log_group_get(&g, f->st, NULL, SCOPE, "none"), ERR_NOT_FOUND);

    assert_int_equal(store_log_group_set_retention(f->st, NULL, SCOPE, "g", 7), 0);
    assert_int_equal(store_log_group_get(&g, f->st, NULL, SCOPE, "g"), 0);
    assert_int_equal(g.retention_days, 7);
    assert_int_equal(store_log_group_set_retention(f->st, NULL, SCOPE, "none", 7), ERR_NOT_FOUND);
    assert_int_equal(store_log_group_set_retention(f->st, NULL, SCOPE, "g", -1), ERR_INVALID);

    assert_int_equal(store_log_stream_create(f->st, NULL, SCOPE, "none", "s"), ERR_NOT_FOUND);
    assert_int_equal(store_log_stream_create(f->st, NULL, SCOPE, "g", "s"), 0);
    assert_int_equal(store_log_stream_create(f->st, NULL, SCOPE, "g", "s"), ERR_EXISTS);
    assert_int_equal(store_integrity_check(f->st), 0);
}

static void test_group_listing(void **state)
{
    struct fixture *f = *state;
    const char *names[] = {"/b/x", "/a/2", "/a/1", "/c", "/a/3"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        assert_int_equal(store_log_group_create(f->st, NULL, SCOPE, names[i]), 0);
    assert_int_equal(store_log_group_create(f->st, NULL, "111111111111/us-east-1", "/a/0"), 0);
    make_stream(f->st, "/a/2", "s");
    append_n(f->st, "/a/2", "s", "xy", 3, T0, 1);
    assert_int_equal(store_log_group_set_retention(f->st, NULL, SCOPE, "/a/3", 5), 0);

    struct store_log_group_page page;
    assert_int_equal(store_log_group_list(&page, f->st, NULL, SCOPE, "/a/", NULL, 2), 0);
    assert_int_equal(page.len, 2);
    assert_true(page.more);
    assert_string_equal(page.items[0].name, "/a/1");
    assert_string_equal(page.items[1].name, "/a/2");
    assert_int_equal(page.items[1].group.stored_bytes, 9);
    assert_int_equal(page.items[1].group.event_count, 3);
    store_log_group_page_release(&page);
    assert_int_equal(store_log_group_list(&page, f->st, NULL, SCOPE, "/a/", "/a/2", 2), 0);
    assert_int_equal(page.len, 1);
    assert_false(page.more);
    assert_string_equal(page.items[0].name, "/a/3");
    assert_int_equal(page.items[0].group.retention_days, 5);
    store_log_group_page_release(&page);
    assert_int_equal(store_log_group_list(&page, f->st, NULL, SCOPE, NULL, "/a/3", 0), 0);
    assert_int_equal(page.len, 2);
    assert_string_equal(page.items[0].name, "/b/x");
    assert_string_equal(page.items[1].name, "/c");
    store_log_group_page_release(&page);
}

static void test_append_counters(void **state)
{
    struct fixture *f = *state;
    make_stream(f->st, "g", "s");
    struct store_log_input events[] = {
        {T0 - 50, "first", 5},
        {T0 - 10, "héllo", 6},
        {T0 - 30, "", 0},
    };
    int64_t uploads = 0;
    assert_int_equal(store_log_append(&uploads, f->st, NULL, SCOPE, "g", "s", events, 3), 0);
    assert_int_equal(uploads, 1);
    clock_set_fake(T0 + 1000);
    assert_int_equal(store_log_append(&uploads, f->st, NULL, SCOPE, "g", "s", events, 1), 0);
    assert_int_equal(uploads, 2);

    struct store_log_stream s;
    assert_int_equal(store_log_stream_get(&s, f->st, NULL, SCOPE, "g", "s"), 0);
    assert_string_equal(s.name, "s");
    assert_int_equal(s.first_event_ms, T0 - 50);
    assert_int_equal(s.last_event_ms, T0 - 10);
    assert_int_equal(s.last_ingestion_ms, T0 + 1000);
    assert_int_equal(s.stored_bytes, 16);
    assert_int_equal(s.event_count, 4);
    assert_int_equal(s.upload_count, 2);
    store_log_stream_release(&s);

    struct store_log_group g;
    assert_int_equal(store_log_group_get(&g, f->st, NULL, SCOPE, "g"), 0);
    assert_int_equal(g.stored_bytes, 16);
    assert_int_equal(g.event_count, 4);

    /* Bad input changes nothing. */
    struct store_log_input bad[] = {{T0, "ok", 2}, {T0, "\xff", 1}};
    assert_int_equal(store_log_append(NULL, f->st, NULL, SCOPE, "g", "s", bad, 2), ERR_INVALID);
    assert_int_equal(store_log_append(NULL, f->st, NULL, SCOPE, "g", "none", bad, 1),
                     ERR_NOT_FOUND);
    assert_int_equal(store_log_append(NULL, f->st, NULL, SCOPE, "g", "s", bad, 0), ERR_INVALID);
    assert_int_equal(store_log_group_get(&g, f->st, NULL, SCOPE, "g"), 0);
    assert_int_equal(g.event_count, 4);
}

static void test_append_in_caller_transaction(void **state)
{
    struct fixture *f = *state;
    make_stream(f->st, "g", "s");
    append_n(f->st, "g", "s", "m", 3, T0, 1);

    /* Inside a transaction an append commits or rolls back with it. */
    struct store_tx *tx;
    struct store_log_input e = {T0, "in tx", 5};
    assert_int_equal(store_tx_begin(&tx, f->st), 0);
    assert_int_equal(store_log_append(NULL, f->st, tx, SCOPE, "g", "s", &e, 1), 0);
    store_tx_rollback(tx);
    struct store_log_stream s;
    assert_int_equal(store_log_stream_get(&s, f->st, NULL, SCOPE, "g", "s"), 0);
    assert_int_equal(s.event_count, 3);
    assert_int_equal(s.upload_count, 1);
    store_log_stream_release(&s);

    assert_int_equal(store_tx_begin(&tx, f->st), 0);
    assert_int_equal(store_log_append(NULL, f->st, tx, SCOPE, "g", "s", &e, 1), 0);
    /* A failed append inside the transaction leaves the earlier one in it. */
    assert_int_equal(store_log_append(NULL, f->st, tx, SCOPE, "g", "none", &e, 1), ERR_NOT_FOUND);
    assert_int_equal(store_tx_commit(tx), 0);
    assert_int_equal(store_log_stream_get(&s, f->st, NULL, SCOPE, "g", "s"), 0);
    assert_int_equal(s.event_count, 4);
    store_log_stream_release(&s);
}

static void test_read_forward_backward(void **state)
{
    struct fixture *f = *state;
    make_stream(f->st, "g", "s");
    append_n(f->st, "g", "s", "a", 10, T0, 10);

    struct store_log_page page;
    struct store_log_read_query q = {.scope = SCOPE, .group = "g", .stream = "s", .limit = 4};
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 4);
    assert_true(page.more);
    assert_string_equal(page.items[0].message, "a0");
    assert_string_equal(page.items[3].message, "a3");
    assert_null(page.items[0].stream);
    assert_int_equal(page.items[0].ingested_ms, T0);
    assert_int_equal(page.last.timestamp_ms, T0 + 30);
    assert_int_equal(page.last.id, page.items[3].id);

    /* Continue after the last position. */
    q.from = page.last;
    store_log_page_release(&page);
    q.limit = 10;
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 6);
    assert_false(page.more);
    assert_string_equal(page.items[0].message, "a4");
    store_log_page_release(&page);

    /* Backward from the end: the last events, still ascending. */
    q.from = (struct store_log_pos){INT64_MAX, INT64_MAX};
    q.backward = true;
    q.limit = 3;
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 3);
    assert_true(page.more);
    assert_string_equal(page.items[0].message, "a7");
    assert_string_equal(page.items[2].message, "a9");
    assert_int_equal(page.last.timestamp_ms, T0 + 70);
    q.from = page.last;
    store_log_page_release(&page);
    q.limit = 10;
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 7);
    assert_false(page.more);
    assert_string_equal(page.items[0].message, "a0");
    assert_string_equal(page.items[6].message, "a6");
    store_log_page_release(&page);

    /* A time range: start inclusive, end exclusive. */
    q = (struct store_log_read_query){
        .scope = SCOPE, .group = "g", .stream = "s", .start_ms = T0 + 20, .end_ms = T0 + 50};
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 3);
    assert_string_equal(page.items[0].message, "a2");
    assert_string_equal(page.items[2].message, "a4");
    store_log_page_release(&page);

    /* Events with equal timestamps keep their order of arrival. */
    append_n(f->st, "g", "s", "b", 2, T0 + 20, 0);
    q = (struct store_log_read_query){
        .scope = SCOPE, .group = "g", .stream = "s", .start_ms = T0 + 20, .end_ms = T0 + 21};
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 3);
    assert_string_equal(page.items[0].message, "a2");
    assert_string_equal(page.items[1].message, "b0");
    assert_string_equal(page.items[2].message, "b1");
    store_log_page_release(&page);

    q.stream = "none";
    assert_int_equal(store_log_read(&page, f->st, NULL, &q), ERR_NOT_FOUND);
}

static void test_read_bytes_and_scan_limits(void **state)
{
    struct fixture *f = *state;
    make_stream(f->st, "g", "s");
    append_n(f->st, "g", "s", "x", 10, T0, 1); /* "x0".."x9": 2 bytes + 26 each */

    struct store_log_page page;
    struct store_log_read_query q = {
        .scope = SCOPE, .group = "g", .stream = "s", .max_bytes = 3 * 28 + 27};
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 3);
    assert_true(page.more);
    store_log_page_release(&page);

    /* The first event is always kept, whatever its size. */
    q.max_bytes = 1;
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 1);
    assert_true(page.more);
    store_log_page_release(&page);

    /* scan_max bounds the events examined, kept or not. */
    q = (struct store_log_read_query){.scope = SCOPE, .group = "g", .stream = "s", .scan_max = 4};
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 4);
    assert_true(page.more);
    assert_int_equal(page.last.timestamp_ms, T0 + 3);
    store_log_page_release(&page);
}

static bool keep_odd(void *ctx, const char *message, size_t len)
{
    (*(int *)ctx)++;
    return len && (message[len - 1] - '0') % 2 == 1;
}

static void test_group_reads(void **state)
{
    struct fixture *f = *state;
    make_stream(f->st, "g", "web-1");
    make_stream(f->st, "g", "web-2");
    make_stream(f->st, "g", "db");
    append_n(f->st, "g", "web-1", "w1-", 3, T0, 10); /* T0, T0+10, T0+20 */
    append_n(f->st, "g", "web-2", "w2-", 3, T0 + 5, 10);
    append_n(f->st, "g", "db", "db-", 2, T0 + 1, 100);

    struct store_log_page page;
    struct store_log_read_query q = {.scope = SCOPE, .group = "g"};
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 8);
    const char *order[] = {"w1-0", "db-0", "w2-0", "w1-1", "w2-1", "w1-2", "w2-2", "db-1"};
    const char *streams[] = {"web-1", "db", "web-2", "web-1", "web-2", "web-1", "web-2", "db"};
    for (size_t i = 0; i < 8; i++) {
        assert_string_equal(page.items[i].message, order[i]);
        assert_string_equal(page.items[i].stream, streams[i]);
    }
    store_log_page_release(&page);

    q.stream_prefix = "web";
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 6);
    store_log_page_release(&page);

    const char *names[] = {"db", "web-2"};
    q.stream_prefix = NULL;
    q.streams = names;
    q.stream_count = 2;
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 5);
    assert_string_equal(page.items[0].message, "db-0");
    assert_string_equal(page.items[4].message, "db-1");
    store_log_page_release(&page);

    /* The filter sees each candidate once, in order. */
    int calls = 0;
    q = (struct store_log_read_query){
        .scope = SCOPE, .group = "g", .filter = keep_odd, .filter_ctx = &calls};
    read_page(&page, f->st, &q);
    assert_int_equal(calls, 8);
    assert_int_equal(page.len, 3);
    assert_string_equal(page.items[0].message, "w1-1");
    assert_string_equal(page.items[2].message, "db-1");
    store_log_page_release(&page);

    /* Reading on from a position in the middle. */
    q = (struct store_log_read_query){.scope = SCOPE, .group = "g", .limit = 3};
    read_page(&page, f->st, &q);
    assert_true(page.more);
    q.from = page.last;
    store_log_page_release(&page);
    read_page(&page, f->st, &q);
    assert_string_equal(page.items[0].message, "w1-1");
    store_log_page_release(&page);
}

static void list_names(char *out, size_t size, struct store *st, struct store_log_stream_query *q)
{
    struct store_log_stream_page page;
    assert_int_equal(store_log_stream_list(&page, st, NULL, q), 0);
    out[0] = '\0';
    for (size_t i = 0; i < page.len; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? "," : "", page.items[i].name);
    if (page.more)
        snprintf(out + strlen(out), size - strlen(out), "+");
    store_log_stream_page_release(&page);
}

static void test_stream_listing(void **state)
{
    struct fixture *f = *state;
    const char *names[] = {"b", "a2", "a1", "c", "a3"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        make_stream(f->st, "g", names[i]);
    /* Last events: c oldest, then a1, then b; a2 and a3 have none. */
    append_n(f->st, "g", "c", "m", 1, T0 - 300, 0);
    append_n(f->st, "g", "a1", "m", 1, T0 - 200, 0);
    append_n(f->st, "g", "b", "m", 1, T0 - 100, 0);

    char got[256];
    struct store_log_stream_query q = {.scope = SCOPE, .group = "g"};
    list_names(got, sizeof(got), f->st, &q);
    assert_string_equal(got, "a1,a2,a3,b,c");

    q.prefix = "a";
    q.limit = 2;
    list_names(got, sizeof(got), f->st, &q);
    assert_string_equal(got, "a1,a2+");
    q.after_name = "a2";
    list_names(got, sizeof(got), f->st, &q);
    assert_string_equal(got, "a3");

    q = (struct store_log_stream_query){
        .scope = SCOPE, .group = "g", .descending = true, .limit = 2};
    list_names(got, sizeof(got), f->st, &q);
    assert_string_equal(got, "c,b+");
    q.after_name = "b";
    list_names(got, sizeof(got), f->st, &q);
    assert_string_equal(got, "a3,a2+");
    q.prefix = "a";
    q.after_name = NULL;
    q.limit = 0;
    list_names(got, sizeof(got), f->st, &q);
    assert_string_equal(got, "a3,a2,a1");

    q = (struct store_log_stream_query){
        .scope = SCOPE, .group = "g", .order = STORE_LOG_BY_LAST_EVENT, .limit = 3};
    list_names(got, sizeof(got), f->st, &q);
    assert_string_equal(got, "a2,a3,c+");
    q.after_name = "c";
    q.after_last_event_ms = T0 - 300;
    list_names(got, sizeof(got), f->st, &q);
    assert_string_equal(got, "a1,b");

    q = (struct store_log_stream_query){.scope = SCOPE,
                                        .group = "g",
                                        .order = STORE_LOG_BY_LAST_EVENT,
                                        .descending = true,
                                        .limit = 2};
    list_names(got, sizeof(got), f->st, &q);
    assert_string_equal(got, "b,a1+");
    q.after_name = "a1";
    q.after_last_event_ms = T0 - 200;
    q.limit = 0;
    list_names(got, sizeof(got), f->st, &q);
    assert_string_equal(got, "c,a3,a2");

    struct store_log_stream_page page;
    q.prefix = "a";
    assert_int_equal(store_log_stream_list(&page, f->st, NULL, &q), ERR_INVALID);
    q = (struct store_log_stream_query){.scope = SCOPE, .group = "none"};
    assert_int_equal(store_log_stream_list(&page, f->st, NULL, &q), ERR_NOT_FOUND);
}

static void test_delete_stream_and_group(void **state)
{
    struct fixture *f = *state;
    make_stream(f->st, "g", "s1");
    make_stream(f->st, "g", "s2");
    make_stream(f->st, "other", "s1");
    append_n(f->st, "g", "s1", "aa", 5, T0, 1);
    append_n(f->st, "g", "s2", "b", 5, T0, 1);
    append_n(f->st, "other", "s1", "c", 5, T0, 1);

    assert_int_equal(store_log_stream_delete(f->st, NULL, SCOPE, "g", "s1"), 0);
    assert_int_equal(store_log_stream_delete(f->st, NULL, SCOPE, "g", "s1"), ERR_NOT_FOUND);
    struct store_log_group g;
    assert_int_equal(store_log_group_get(&g, f->st, NULL, SCOPE, "g"), 0);
    assert_int_equal(g.event_count, 5);
    assert_int_equal(g.stored_bytes, 10);
    struct store_log_page page;
    struct store_log_read_query q = {.scope = SCOPE, .group = "g"};
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 5);
    store_log_page_release(&page);

    /* A new stream of the same name starts empty. */
    assert_int_equal(store_log_stream_create(f->st, NULL, SCOPE, "g", "s1"), 0);
    q.stream = "s1";
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 0);
    store_log_page_release(&page);

    assert_int_equal(store_log_group_delete(f->st, NULL, SCOPE, "g"), 0);
    assert_int_equal(store_log_group_get(&g, f->st, NULL, SCOPE, "g"), ERR_NOT_FOUND);
    assert_int_equal(store_log_group_delete(f->st, NULL, SCOPE, "g"), ERR_NOT_FOUND);
    /* The other group is untouched; a group of the old name starts empty. */
    q = (struct store_log_read_query){.scope = SCOPE, .group = "other"};
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 5);
    store_log_page_release(&page);
    make_stream(f->st, "g", "s2");
    q.group = "g";
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 0);
    store_log_page_release(&page);
    assert_int_equal(store_integrity_check(f->st), 0);
}

static void test_expire(void **state)
{
    struct fixture *f = *state;
    make_stream(f->st, "kept", "s");
    make_stream(f->st, "week", "s1");
    make_stream(f->st, "week", "s2");
    /* Ten days of events, one a day, in each stream. */
    append_n(f->st, "kept", "s", "k", 10, T0 - 10 * DAY, DAY);
    append_n(f->st, "week", "s1", "a", 10, T0 - 10 * DAY, DAY);
    append_n(f->st, "week", "s2", "b", 10, T0 - 10 * DAY, DAY);
    assert_int_equal(store_log_group_set_retention(f->st, NULL, SCOPE, "week", 7), 0);

    /* Events before T0 - 7 days go: days -10, -9, -8 of each stream. */
    size_t count = 0;
    assert_int_equal(store_log_expire(&count, f->st, NULL, T0, 4), 0);
    assert_int_equal(count, 4);
    assert_int_equal(store_log_expire(&count, f->st, NULL, T0, 4), 0);
    assert_int_equal(count, 2);
    assert_int_equal(store_log_expire(&count, f->st, NULL, T0, 4), 0);
    assert_int_equal(count, 0);

    struct store_log_group g;
    assert_int_equal(store_log_group_get(&g, f->st, NULL, SCOPE, "week"), 0);
    assert_int_equal(g.event_count, 14);
    assert_int_equal(g.stored_bytes, 28);
    struct store_log_stream s;
    assert_int_equal(store_log_stream_get(&s, f->st, NULL, SCOPE, "week", "s1"), 0);
    assert_int_equal(s.event_count, 7);
    assert_int_equal(s.stored_bytes, 14);
    store_log_stream_release(&s);
    assert_int_equal(store_log_group_get(&g, f->st, NULL, SCOPE, "kept"), 0);
    assert_int_equal(g.event_count, 10);

    struct store_log_page page;
    struct store_log_read_query q = {.scope = SCOPE, .group = "week", .stream = "s2"};
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 7);
    assert_string_equal(page.items[0].message, "b3");
    store_log_page_release(&page);

    /* Two days later two more days of each stream have aged out. */
    assert_int_equal(store_log_expire(&count, f->st, NULL, T0 + 2 * DAY, 100), 0);
    assert_int_equal(count, 4);
    assert_int_equal(store_log_expire(&count, f->st, NULL, T0, 0), ERR_INVALID);
}

static void test_large_batch_and_messages(void **state)
{
    struct fixture *f = *state;
    make_stream(f->st, "g", "s");
    append_n(f->st, "g", "s", "event-", STORE_LOG_BATCH_MAX, T0, 0);
    struct store_log_input *too_many = xcalloc(STORE_LOG_BATCH_MAX + 1, sizeof(*too_many));
    for (size_t i = 0; i <= STORE_LOG_BATCH_MAX; i++)
        too_many[i] = (struct store_log_input){T0, "x", 1};
    assert_int_equal(
        store_log_append(NULL, f->st, NULL, SCOPE, "g", "s", too_many, STORE_LOG_BATCH_MAX + 1),
        ERR_LIMIT);
    free(too_many);

    char *big = xmalloc(STORE_LOG_MESSAGE_MAX + 1);
    memset(big, 'm', STORE_LOG_MESSAGE_MAX + 1);
    struct store_log_input e = {T0, big, STORE_LOG_MESSAGE_MAX};
    assert_int_equal(store_log_append(NULL, f->st, NULL, SCOPE, "g", "s", &e, 1), 0);
    e.message_len++;
    assert_int_equal(store_log_append(NULL, f->st, NULL, SCOPE, "g", "s", &e, 1), ERR_LIMIT);
    free(big);

    /* Messages may hold NUL bytes; the length says where they end. */
    struct store_log_input nul = {T0 + 1, "a\0b", 3};
    assert_int_equal(store_log_append(NULL, f->st, NULL, SCOPE, "g", "s", &nul, 1), 0);
    struct store_log_page page;
    struct store_log_read_query q = {.scope = SCOPE,
                                     .group = "g",
                                     .stream = "s",
                                     .backward = true,
                                     .from = {INT64_MAX, INT64_MAX},
                                     .limit = 1};
    read_page(&page, f->st, &q);
    assert_int_equal(page.len, 1);
    assert_int_equal(page.items[0].message_len, 3);
    assert_memory_equal(page.items[0].message, "a\0b", 3);
    store_log_page_release(&page);

    struct store_log_group g;
    assert_int_equal(store_log_group_get(&g, f->st, NULL, SCOPE, "g"), 0);
    assert_int_equal(g.event_count, STORE_LOG_BATCH_MAX + 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schema_and_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_listing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_counters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_in_caller_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_forward_backward, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_bytes_and_scan_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_listing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_stream_and_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_batch_and_messages, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
