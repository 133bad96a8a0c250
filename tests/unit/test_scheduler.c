/* The housekeeping scheduler (src/runtime/scheduler.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdatomic.h>

#include "base/common.h"
#include "base/clock.h"
#include "base/err.h"
#include "runtime/scheduler.h"

#define T0 1700000000000LL

struct counter {
    atomic_int runs;
    int64_t last_now;
    /* What the task returns on each run: 0 done, 1 more work, <0 failure. */
    int result;
    int more_runs; /* return 1 this many times first */
};

static int count_task(void *ctx, int64_t now_ms)
{
    struct counter *c = ctx;
    atomic_fetch_add(&c->runs, 1);
    c->last_now = now_ms;
    if (c->more_runs > 0) {
        c->more_runs--;
        return 1;
    }
    if (c->result < 0)
        return err_set(c->result, "task failed on purpose");
    return c->result;
}

static void test_due_times(void **state)
{
    (void)state;
    clock_set_fake(T0);
    struct scheduler *s;
    struct counter at_start = {0}, later = {0};
    scheduler_new(&s);
    scheduler_add(s, "at-start", 1000, true, count_task, &at_start);
    scheduler_add(s, "later", 5000, false, count_task, &later);

    scheduler_run_due(s, T0);
    assert_int_equal(at_start.runs, 1);
    assert_int_equal(later.runs, 0);
    assert_int_equal(at_start.last_now, T0);

    /* Not due again before its period. */
    scheduler_run_due(s, T0 + 999);
    assert_int_equal(at_start.runs, 1);
    scheduler_run_due(s, T0 + 1000);
    assert_int_equal(at_start.runs, 2);

    scheduler_run_due(s, T0 + 4999);
    assert_int_equal(later.runs, 0);
    scheduler_run_due(s, T0 + 5000);
    assert_int_equal(later.runs, 1);
    scheduler_free(s);
    clock_set_fake(0);
}

static void test_more_work_runs_again_soon(void **state)
{
    (void)state;
    clock_set_fake(T0);
    struct scheduler *s;
    struct counter c = {.more_runs = 2};
    scheduler_new(&s);
    scheduler_add(s, "batches", 60000, true, count_task, &c);
    scheduler_run_due(s, T0);
    /* A task with work left is due again within milliseconds, not a period. */
    scheduler_run_due(s, T0 + 100);
    scheduler_run_due(s, T0 + 200);
    assert_int_equal(c.runs, 3);
    /* Done: back to its period. */
    scheduler_run_due(s, T0 + 300);
    assert_int_equal(c.runs, 3);
    scheduler_run_due(s, T0 + 200 + 60000);
    assert_int_equal(c.runs, 4);
    scheduler_free(s);
    clock_set_fake(0);
}

static void test_failure_waits_a_period(void **state)
{
    (void)state;
    clock_set_fake(T0);
    struct scheduler *s;
    struct counter c = {.result = ERR_IO};
    scheduler_new(&s);
    scheduler_add(s, "failing", 1000, true, count_task, &c);
    scheduler_run_due(s, T0);
    scheduler_run_due(s, T0 + 500);
    assert_int_equal(c.runs, 1);
    scheduler_run_due(s, T0 + 1000);
    assert_int_equal(c.runs, 2);
    scheduler_free(s);
    clock_set_fake(0);
}

static void test_thread_runs_and_stops(void **state)
{
    (void)state;
    struct scheduler *s;
    struct counter c = {0};
    scheduler_new(&s);
    scheduler_add(s, "tick", 20, true, count_task, &c);
    assert_int_equal(scheduler_start(s), 0);
    for (int i = 0; i < 500 && atomic_load(&c.runs) < 3; i++)
        usleep(10000);
    assert_true(atomic_load(&c.runs) >= 3);
    /* Stopping wakes the thread out of its wait and joins it. */
    int64_t t = clock_mono_ns();
    scheduler_free(s);
    assert_true(clock_mono_ns() - t < 10000000000LL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_due_times),
        cmocka_unit_test(test_more_work_runs_again_soon),
        cmocka_unit_test(test_failure_waits_a_period),
        cmocka_unit_test(test_thread_runs_and_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
