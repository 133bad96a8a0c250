/*
 * EventBridge schedule expressions (services/events/schedule.c): golden
 * next-firing cases for every construct of the user guide's cron table
 * (month and year boundaries, leap years, `L`, `W`, `#` edge cases), rate
 * schedules counted from their origin, the expressions AWS refuses with
 * PutRule's message, and a cross-check of random valid expressions against
 * a slow minute-stepping reference written here from the definitions, with
 * libc's calendar (timegm/gmtime_r) rather than the implementation's.
 */
#include "base/common.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/events/schedule.h"

#include <setjmp.h>

#include <cmocka.h>

#define MINUTE_MS 60000LL
#define INVALID   "Parameter ScheduleExpression is not valid."

/* Milliseconds since the epoch of a UTC civil time. */
static int64_t utc(int year, int month, int day, int hour, int minute)
{
    struct tm tm = {0};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    return (int64_t)timegm(&tm) * 1000;
}

static struct schedule *parse_ok(const char *text)
{
    struct schedule *s = NULL;
    struct buf message = BUF_INIT;
    int rc = schedule_parse(&s, &message, text);
    buf_release(&message);
    if (rc != 0)
        fail_msg("'%s' refused: %s", text, err_msg());
    return s;
}

static int64_t next_of(const char *text, int64_t origin, int64_t after)
{
    struct schedule *s = parse_ok(text);
    int64_t at = schedule_next(s, origin, after);
    schedule_free(s);
    return at;
}

struct golden {
    const char *expression;
    int64_t after;
    int64_t expect;
};

static void test_cron_golden(void **state)
{
    (void)state;
    const struct golden cases[] = {
        /* The user guide's examples. */
        {"cron(0 12 * * ? *)", utc(2024, 1, 1, 12, 0), utc(2024, 1, 2, 12, 0)},
        {"cron(0 12 * * ? *)", utc(2024, 1, 1, 11, 59) + 30000, utc(2024, 1, 1, 12, 0)},
        {"cron(0 12 * * ? *)", utc(2024, 1, 1, 12, 0) - 1, utc(2024, 1, 1, 12, 0)},
        {"cron(5,35 14 * * ? *)", utc(2024, 3, 1, 14, 5), utc(2024, 3, 1, 14, 35)},
        {"cron(5,35 14 * * ? *)", utc(2024, 3, 1, 14, 35), utc(2024, 3, 2, 14, 5)},
        {"cron(15 10 ? * 6L 2019-2022)", utc(2022, 12, 1, 0, 0), utc(2022, 12, 30, 10, 15)},
        {"cron(15 10 ? * 6L 2019-2022)", utc(2022, 12, 30, 10, 15), -1},
        {"cron(15 10 ? * 6L 2019-2022)", utc(2000, 1, 1, 0, 0), utc(2019, 1, 25, 10, 15)},
        {"cron(0 10 * * ? *)", utc(2024, 2, 29, 10, 0), utc(2024, 3, 1, 10, 0)},
        {"cron(0 18 ? * MON-FRI *)", utc(2024, 6, 1, 0, 0), utc(2024, 6, 3, 18, 0)},
        {"cron(0 8 1 * ? *)", utc(2024, 1, 1, 8, 0), utc(2024, 2, 1, 8, 0)},
        {"cron(0/15 * * * ? *)", utc(2024, 1, 1, 23, 50), utc(2024, 1, 2, 0, 0)},
        {"cron(0/10 * ? * MON-FRI *)", utc(2024, 6, 7, 23, 55), utc(2024, 6, 10, 0, 0)},
        {"cron(0/5 8-17 ? * MON-FRI *)", utc(2024, 6, 3, 17, 55), utc(2024, 6, 4, 8, 0)},
        /* Wrapping hours: Friday 23:45 -> Saturday is not MON-FRI -> Monday 00:00. */
        {"cron(0/30 20-2 ? * MON-FRI *)", utc(2024, 5, 31, 23, 45), utc(2024, 6, 3, 0, 0)},
        {"cron(0/30 20-2 ? * MON-FRI *)", utc(2024, 6, 3, 2, 30), utc(2024, 6, 3, 20, 0)},
        {"cron(0 0/4 * * ? *)", utc(2024, 6, 3, 20, 0), utc(2024, 6, 4, 0, 0)},
        /* Increments from a start value and over a range. */
        {"cron(1/10 * * * ? *)", utc(2024, 6, 3, 5, 0), utc(2024, 6, 3, 5, 1)},
        {"cron(1/10 * * * ? *)", utc(2024, 6, 3, 5, 51), utc(2024, 6, 3, 6, 1)},
        {"cron(10-30/10 * * * ? *)", utc(2024, 6, 3, 5, 30), utc(2024, 6, 3, 6, 10)},
        {"cron(*/20 * * * ? *)", utc(2024, 6, 3, 5, 40), utc(2024, 6, 3, 6, 0)},
        {"cron(50-10/10 * * * ? *)", utc(2024, 6, 3, 5, 10), utc(2024, 6, 3, 5, 50)},
        {"cron(50-10/10 * * * ? *)", utc(2024, 6, 3, 5, 50), utc(2024, 6, 3, 6, 0)},
        /* Month and year boundaries, names, wrapping months. */
        {"cron(59 23 31 12 ? *)", utc(2024, 12, 31, 23, 59), utc(2025, 12, 31, 23, 59)},
        {"cron(0 0 1 NOV-FEB ? *)", utc(2024, 2, 2, 0, 0), utc(2024, 11, 1, 0, 0)},
        {"cron(0 0 1 NOV-FEB ? *)", utc(2024, 12, 1, 0, 0), utc(2025, 1, 1, 0, 0)},
        {"cron(0 0 1 JAN,MAR,MAY ? *)", utc(2024, 1, 1, 0, 0), utc(2024, 3, 1, 0, 0)},
        {"cron(0 0 31 * ? *)", utc(2024, 4, 1, 0, 0), utc(2024, 5, 31, 0, 0)},
        {"cron(0 0 1 1 ? 1970)", -1, 0},
        {"cron(0 0 1 1 ? 1970)", -100000000000LL, 0},
        {"cron(0 0 1 1 ? 2199)", utc(2199, 1, 1, 0, 0), -1},
        {"cron(59 23 31 12 ? 2199)", utc(2199, 12, 31, 23, 58), utc(2199, 12, 31, 23, 59)},
        {"cron(59 23 31 12 ? 2199)", utc(2199, 12, 31, 23, 59), -1},
        {"cron(0 0 * * ? *)", INT64_MAX, -1},
        {"cron(0 0 1 1 ? 2030/5)", utc(2031, 1, 1, 0, 0), utc(2035, 1, 1, 0, 0)},
        /* Leap years: 2100 is not one, 2000 was. */
        {"cron(0 0 29 2 ? *)", utc(2024, 3, 1, 0, 0), utc(2028, 2, 29, 0, 0)},
        {"cron(0 0 29 2 ? *)", utc(2096, 3, 1, 0, 0), utc(2104, 2, 29, 0, 0)},
        {"cron(0 0 29 2 ? *)", utc(1999, 1, 1, 0, 0), utc(2000, 2, 29, 0, 0)},
        {"cron(0 0 29 2 ? 2197-2199)", utc(2196, 3, 1, 0, 0), -1},
        {"cron(0 0 30 2 ? *)", 0, -1},
        {"cron(0 0 31 4,6,9,11 ? *)", 0, -1},
        /* L in day-of-month: the last day, L-n, LW. */
        {"cron(0 0 L * ? *)", utc(2023, 2, 1, 0, 0), utc(2023, 2, 28, 0, 0)},
        {"cron(0 0 L * ? *)", utc(2024, 2, 1, 0, 0), utc(2024, 2, 29, 0, 0)},
        {"cron(0 0 L * ? *)", utc(2024, 2, 29, 0, 0), utc(2024, 3, 31, 0, 0)},
        {"cron(0 0 L-2 * ? *)", utc(2024, 2, 1, 0, 0), utc(2024, 2, 27, 0, 0)},
        {"cron(0 0 L-30 * ? *)", utc(2024, 2, 1, 0, 0), utc(2024, 3, 1, 0, 0)},
        {"cron(0 0 LW * ? *)", utc(2024, 8, 1, 0, 0), utc(2024, 8, 30, 0, 0)},
        {"cron(0 0 LW * ? *)", utc(2024, 3, 1, 0, 0), utc(2024, 3, 29, 0, 0)},
        {"cron(0 0 LW * ? *)", utc(2024, 4, 1, 0, 0), utc(2024, 4, 30, 0, 0)},
        /* W: never crosses the month. */
        {"cron(0 0 1W * ? *)", utc(2024, 5, 31, 0, 0), utc(2024, 6, 3, 0, 0)},
        {"cron(0 0 1W * ? *)", utc(2024, 4, 30, 0, 0), utc(2024, 5, 1, 0, 0)},
        {"cron(0 0 1W * ? *)", utc(2024, 8, 31, 0, 0), utc(2024, 9, 2, 0, 0)},
        {"cron(0 0 30W * ? *)", utc(2024, 6, 1, 0, 0), utc(2024, 6, 28, 0, 0)},
        {"cron(0 0 30W * ? *)", utc(2024, 1, 31, 0, 0), utc(2024, 3, 29, 0, 0)},
        {"cron(0 0 31W * ? *)", utc(2024, 3, 1, 0, 0), utc(2024, 3, 29, 0, 0)},
        {"cron(0 0 31W * ? *)", utc(2024, 4, 1, 0, 0), utc(2024, 5, 31, 0, 0)},
        {"cron(0 0 15W * ? *)", utc(2024, 6, 1, 0, 0), utc(2024, 6, 14, 0, 0)},
        {"cron(0 0 15W * ? *)", utc(2024, 9, 1, 0, 0), utc(2024, 9, 16, 0, 0)},
        {"cron(0 0 15W * ? *)", utc(2024, 7, 1, 0, 0), utc(2024, 7, 15, 0, 0)},
        {"cron(0 0 29W 2 ? *)", utc(2023, 1, 1, 0, 0), utc(2024, 2, 29, 0, 0)},
        /* Day-of-week: numbers (1 = SUN), L alone (SAT), nL, n#k. */
        {"cron(0 0 ? * 1 *)", utc(2024, 6, 3, 0, 0), utc(2024, 6, 9, 0, 0)},
        {"cron(0 0 ? * 7 *)", utc(2024, 6, 3, 0, 0), utc(2024, 6, 8, 0, 0)},
        {"cron(0 0 ? * L *)", utc(2024, 6, 3, 0, 0), utc(2024, 6, 8, 0, 0)},
        {"cron(0 0 ? * SAT-MON *)", utc(2024, 6, 4, 0, 0), utc(2024, 6, 8, 0, 0)},
        {"cron(0 0 ? * 2L *)", utc(2024, 6, 1, 0, 0), utc(2024, 6, 24, 0, 0)},
        {"cron(0 0 ? * MONL *)", utc(2024, 6, 24, 0, 0), utc(2024, 7, 29, 0, 0)},
        {"cron(0 0 ? * 3#2 *)", utc(2024, 6, 1, 0, 0), utc(2024, 6, 11, 0, 0)},
        {"cron(0 0 ? * fri#1 *)", utc(2024, 6, 1, 0, 0), utc(2024, 6, 7, 0, 0)},
        {"cron(0 0 ? * 5#5 *)", utc(2024, 1, 1, 0, 0), utc(2024, 2, 29, 0, 0)},
        {"cron(0 0 ? * 5#5 *)", utc(2024, 2, 29, 0, 0), utc(2024, 5, 30, 0, 0)},
        {"cron(0 0 ? 2 5#5 *)", utc(2024, 2, 29, 0, 0), utc(2052, 2, 29, 0, 0)},
        {"cron(0 0 ? 2 1#5 2025-2027)", 0, -1},
        /* Trailing and doubled commas are skipped, as AWS accepts them. */
        {"cron(0/5, 9-18, ?, *, MON-FRI, *)", utc(2024, 6, 3, 18, 55), utc(2024, 6, 4, 9, 0)},
        {"cron(0,,30 * * * ? *)", utc(2024, 6, 3, 18, 0), utc(2024, 6, 3, 18, 30)},
        /* Blanks between fields: any run of spaces and tabs. */
        {"cron( 0  12\t* * ? * )", utc(2024, 1, 1, 12, 0), utc(2024, 1, 2, 12, 0)},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int64_t got = next_of(cases[i].expression, 0, cases[i].after);
        if (got != cases[i].expect)
            fail_msg("case %zu '%s' after %" PRId64 ": got %" PRId64 ", want %" PRId64, i,
                     cases[i].expression, cases[i].after, got, cases[i].expect);
    }
}

static void test_rate(void **state)
{
    (void)state;
    int64_t origin = utc(2024, 6, 3, 10, 17) + 12345;
    assert_int_equal(next_of("rate(5 minutes)", origin, origin), origin + 5 * MINUTE_MS);
    assert_int_equal(next_of("rate(5 minutes)", origin, origin - 1000000), origin + 5 * MINUTE_MS);
    assert_int_equal(next_of("rate(5 minutes)", origin, origin + 5 * MINUTE_MS - 1),
                     origin + 5 * MINUTE_MS);
    assert_int_equal(next_of("rate(5 minutes)", origin, origin + 5 * MINUTE_MS),
                     origin + 10 * MINUTE_MS);
    assert_int_equal(next_of("rate(1 minute)", origin, origin + 90 * MINUTE_MS),
                     origin + 91 * MINUTE_MS);
    assert_int_equal(next_of("rate(1 hour)", origin, origin + 1), origin + 60 * MINUTE_MS);
    assert_int_equal(next_of("rate(3 hours)", origin, origin + 200 * MINUTE_MS),
                     origin + 360 * MINUTE_MS);
    assert_int_equal(next_of("rate(1 day)", origin, origin), origin + 1440 * MINUTE_MS);
    assert_int_equal(next_of("rate(7 days)", origin, origin + 1440 * MINUTE_MS),
                     origin + 7 * 1440 * MINUTE_MS);
    assert_int_equal(next_of("rate(007 days)", 0, 0), 7 * 1440 * MINUTE_MS);
    /* The largest value, and no overflow near the end of time. */
    assert_int_equal(next_of("rate(2147483647 days)", 0, 0), 2147483647LL * 1440 * MINUTE_MS);
    assert_int_equal(next_of("rate(2147483647 days)", 0, INT64_MAX - 5), -1);
    assert_int_equal(next_of("rate(1 minute)", INT64_MIN, INT64_MAX), -1);
    /* Successive firings stay on the origin's grid. */
    struct schedule *s = parse_ok("rate(10 minutes)");
    int64_t at = origin;
    for (int i = 1; i <= 50; i++) {
        at = schedule_next(s, origin, at);
        assert_int_equal(at, origin + i * 10 * MINUTE_MS);
    }
    schedule_free(s);
}

static void test_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "rate",
        "rate()",
        "rate(5)",
        "rate(minutes)",
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(1 hours)",
        "rate(5 hour)",
        "rate(1 days)",
        "rate(2 day)",
        "rate(0 minutes)",
        "rate(0 minute)",
        "rate(-1 minutes)",
        "rate(+5 minutes)",
        "rate(1.5 hours)",
        "rate(5 weeks)",
        "rate(5 seconds)",
        "rate(5 Minutes)",
        "rate(5minutes)",
        "rate( 5 minutes)",
        "rate(5 minutes )",
        "rate(5  minutes)",
        "rate(5\tminutes)",
        "rate(5 minutes\t)",
        "rate(5 minutes",
        "rate 5 minutes",
        "rate (5 minutes)",
        "RATE(5 minutes)",
        " rate(5 minutes)",
        "rate(5 minutes) ",
        "rate(5 minutes 2)",
        "rate(2147483648 minutes)",
        "rate(99999999999999999999 minutes)",
        "cron()",
        "cron(* * * * *)",
        "cron(*/1 * * * *)",
        "cron(0 0 * * ? * *)",
        "cron(0 0 0 * * ? *)",
        "CRON(0 12 * * ? *)",
        "cron (0 12 * * ? *)",
        "cron(0 12 * * ? *",
        "cron(0 12 * * ? *)x",
        "cron(*/60 * * * ? *)",
        "cron(0/0 * * * ? *)",
        "cron(0 */24 * * ? *)",
        "cron(15 12 ? * -1 *)",
        "cron(15 * * * * *)",
        "cron(0 0 ? * ? *)",
        "cron(0 0 1 * 1 *)",
        "cron(60 0 * * ? *)",
        "cron(-1 0 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 0 0 * ? *)",
        "cron(0 0 32 * ? *)",
        "cron(0 0 * 0 ? *)",
        "cron(0 0 * 13 ? *)",
        "cron(0 0 ? * 0 *)",
        "cron(0 0 ? * 8 *)",
        "cron(0 0 * * ? 1969)",
        "cron(0 0 * * ? 2200)",
        "cron(0 0 * * ? 2022-2019)",
        "cron(0 0 * * ? ?)",
        "cron(? 0 * * ? *)",
        "cron(0 0 * JANUARY ? *)",
        "cron(0 0 * FOO ? *)",
        "cron(0 0 ? * MONDAY *)",
        "cron(0 0 ? JAN-MON * *)",
        "cron(0 0 ? * JAN *)",
        "cron(0 0 MON * ? *)",
        "cron(JAN 0 * * ? *)",
        "cron(0 0 ? * 3#1,6#3 *)",
        "cron(0 0 ? * 3#0 *)",
        "cron(0 0 ? * 3#6 *)",
        "cron(0 0 ? * 8#1 *)",
        "cron(0 0 ? * 3# *)",
        "cron(0 0 ? * #2 *)",
        "cron(0 0 ? * 1-5L *)",
        "cron(0 0 ? * 1,5L *)",
        "cron(0 0 ? * 8L *)",
        "cron(0 0 ? * LL *)",
        "cron(0 0 1-5W * ? *)",
        "cron(0 0 1,15W * ? *)",
        "cron(0 0 32W * ? *)",
        "cron(0 0 0W * ? *)",
        "cron(0 0 W * ? *)",
        "cron(0 0 L,1 * ? *)",
        "cron(0 0 L-0 * ? *)",
        "cron(0 0 L-31 * ? *)",
        "cron(0 0 L- * ? *)",
        "cron(0 0 L * L *)",
        "cron(0 0 1 * L *)",
        "cron(0 0 ? * 1W *)",
        "cron(0 L * * ? *)",
        "cron(0 0 */ * ? *)",
        "cron(0 0 1- * ? *)",
        "cron(0 0 -1 * ? *)",
        "cron(0 0 1-2-3 * ? *)",
        "cron(0 0 1/2/3 * ? *)",
        "cron(0 0 *-3 * ? *)",
        "cron(0 0 ?/2 * ? *)",
        "cron(0 0 , * ? *)",
        "cron(0 0 1 * ? 2020/0)",
        "cron(0 0 1 * ? 2020/230)",
        "cron(0 0 1 * ? 0000000002020)",
        "cron(0 0\n1 * ? *)",
        "cron(0 0 1 * ? *)\n",
        "0 12 * * ? *",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct schedule *s = NULL;
        struct buf message = BUF_INIT;
        buf_adds(&message, "stale");
        int rc = schedule_parse(&s, &message, bad[i]);
        if (rc != ERR_INVALID || s != NULL)
            fail_msg("'%s' accepted (rc %d)", bad[i], rc);
        assert_string_equal(message.data, INVALID);
        assert_true(err_msg()[0] != '\0');
        buf_release(&message);
    }
    struct schedule *s = NULL;
    assert_int_equal(schedule_parse(&s, NULL, NULL), ERR_INVALID);
    assert_int_equal(schedule_parse(&s, NULL, "rate(1 minutes)"), ERR_INVALID);
    assert_null(s);
}

static void test_valid_forms(void **state)
{
    (void)state;
    static const char *const good[] = {
        "rate(1 minute)",
        "rate(2 minutes)",
        "rate(1 hour)",
        "rate(24 hours)",
        "rate(1 day)",
        "rate(365 days)",
        "cron(0 12 * * ? *)",
        "cron(0 12 ? * * *)",
        "cron(0 12 * * ? 2024)",
        "cron(0 0 1 jan-dec ? *)",
        "cron(0 0 ? * sun-sat *)",
        "cron(0 0 l * ? *)",
        "cron(0 0 lw * ? *)",
        "cron(0 0 15w * ? *)",
        "cron(0 0 ? * 6l *)",
        "cron(0 0 ? * SUN#1 *)",
        "cron(0-59 0-23 1-31 1-12 ? 1970-2199)",
        "cron(0/59 0/23 1/31 1/12 ? 1970/229)",
        "cron(00 00 01 01 ? 2024)",
        "cron(0 0 ? * 1,2,3,4,5,6,7 *)",
        "cron(0 0 ? * MON,WED-FRI/2 *)",
    };
    for (size_t i = 0; i < ARRAY_SIZE(good); i++)
        schedule_free(parse_ok(good[i]));
}

/* Schedules that fire rarely or never still answer at once. */
static void test_bounded_work(void **state)
{
    (void)state;
    static const char *const rare[] = {
        "cron(0 0 30 2 ? *)",    "cron(0 0 29 2 ? *)",        "cron(0 0 ? * 5#5 *)",
        "cron(0 0 ? 2 1#5 *)",   "cron(0 0 31W 2 ? *)",       "cron(59 23 L-30 2 ? *)",
        "cron(0 0 29 2 ? 2100)", "cron(0 0 31 4,6,9,11 ? *)", "cron(0 0 ? 2 5#5 2190-2199)",
    };
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (size_t i = 0; i < ARRAY_SIZE(rare); i++) {
        struct schedule *s = parse_ok(rare[i]);
        int64_t at = 0;
        for (int n = 0; n < 20 && at >= 0; n++) {
            int64_t next = schedule_next(s, 0, at);
            assert_true(next == -1 || next > at);
            at = next;
        }
        schedule_free(s);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
    /* Generous for sanitizer builds; minute stepping would take minutes. */
    assert_true(seconds < 5.0);
}

/*
 * The random cross-check. An expression is generated as data (one item
 * list per field plus a day rule), printed, parsed by the implementation
 * and compared against matches() below, which reads the data directly.
 */
struct item {
    bool star;
    int start, stop, step; /* stop < start wraps; step 0 means none */
    bool open;             /* "start/step": to the field's maximum */
};

struct field {
    int count;
    struct item items[3];
};

enum gen_day {
    GEN_MDAY_LIST,
    GEN_MDAY_L,
    GEN_MDAY_LW,
    GEN_MDAY_W,
    GEN_WDAY_LIST,
    GEN_WDAY_L,
    GEN_WDAY_NTH
};

struct gen {
    struct field f[6]; /* minutes hours mdays months wdays years */
    enum gen_day day;
    int day_value, day_arg;
};

static const int field_min[6] = {0, 0, 1, 1, 1, 1970};
static const int field_max[6] = {59, 23, 31, 12, 7, 2199};
static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const weekday_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static int rnd_range(int lo, int hi)
{
    return lo + (int)rnd((uint32_t)(hi - lo + 1));
}

static void gen_field(struct field *f, int index, int lo, int hi)
{
    /* Mostly one item; a bare `*` only alone, so that lists stay sparse. */
    uint32_t shape = rnd(10);
    f->count = shape < 6 ? 1 : shape < 9 ? 2 : 3;
    for (int i = 0; i < f->count; i++) {
        struct item *it = &f->items[i];
        memset(it, 0, sizeof(*it));
        switch (f->count == 1 ? rnd(7) : 1 + rnd(5)) {
        case 0:
            it->star = true;
            break;
        case 1:
            it->star = true;
            it->step = rnd_range(2, index == 5 ? 20 : field_max[index] - field_min[index] + 1);
            if (it->step > (index == 0 ? 59 : index == 1 ? 23 : 99))
                it->step = 2;
            break;
        case 2:
            it->start = it->stop = rnd_range(lo, hi);
            break;
        case 3:
        case 6:
            it->start = rnd_range(lo, hi);
            it->stop = rnd_range(lo, hi);
            if (index == 5 && it->stop < it->start) {
                int t = it->start;
                it->start = it->stop;
                it->stop = t;
            }
            break;
        case 4:
            it->start = rnd_range(lo, hi);
            it->stop = rnd_range(lo, hi);
            if (index == 5 && it->stop < it->start) {
                int t = it->start;
                it->start = it->stop;
                it->stop = t;
            }
            it->step = rnd_range(1, 7);
            break;
        default:
            it->start = rnd_range(lo, hi);
            it->open = true;
            it->stop = field_max[index];
            it->step = rnd_range(1, 7);
            break;
        }
    }
}

static void print_value(struct buf *out, int index, int value)
{
    if (index == 3 && rnd(3) == 0)
        buf_adds(out, month_names[value - 1]);
    else if (index == 4 && rnd(3) == 0)
        buf_adds(out, weekday_names[value - 1]);
    else
        buf_addf(out, "%d", value);
}

static void print_field(struct buf *out, const struct field *f, int index)
{
    for (int i = 0; i < f->count; i++) {
        const struct item *it = &f->items[i];
        if (i)
            buf_addch(out, ',');
        if (it->star) {
            buf_addch(out, '*');
        } else {
            print_value(out, index, it->start);
            if (!it->open && it->stop != it->start)
                buf_addch(out, '-'), print_value(out, index, it->stop);
            else if (!it->open && it->step)
                buf_addch(out, '-'), print_value(out, index, it->stop);
        }
        if (it->step)
            buf_addf(out, "/%d", it->step);
    }
}

static bool field_has(const struct field *f, int index, int value)
{
    int span = field_max[index] - field_min[index] + 1;
    for (int i = 0; i < f->count; i++) {
        const struct item *it = &f->items[i];
        int start = it->star ? field_min[index] : it->start;
        int stop = it->star ? field_max[index] : it->stop;
        int step = it->step ? it->step : 1;
        /* Distance along the cycle from start, and the item's length. */
        int distance = ((value - start) % span + span) % span;
        int length = ((stop - start) % span + span) % span;
        if (index == 5 && (value < start || value > stop))
            continue;
        if (distance <= length && distance % step == 0)
            return true;
    }
    return false;
}

static int month_length(int year, int month)
{
    int64_t a = utc(year, month, 1, 0, 0);
    int64_t b = month == 12 ? utc(year + 1, 1, 1, 0, 0) : utc(year, month + 1, 1, 0, 0);
    return (int)((b - a) / (1440 * MINUTE_MS));
}

/* 1 = SUN .. 7 = SAT, from libc. */
static int weekday(int year, int month, int day)
{
    time_t t = (time_t)(utc(year, month, day, 0, 0) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    return tm.tm_wday + 1;
}

static bool is_workday(int year, int month, int day)
{
    int w = weekday(year, month, day);
    return w >= 2 && w <= 6;
}

static bool day_matches(const struct gen *g, int year, int month, int day)
{
    int length = month_length(year, month);
    int w = weekday(year, month, day);
    switch (g->day) {
    case GEN_MDAY_LIST:
        return field_has(&g->f[2], 2, day);
    case GEN_MDAY_L:
        return day == length - g->day_arg;
    case GEN_MDAY_LW: {
        int last = length;
        while (!is_workday(year, month, last))
            last--;
        return day == last;
    }
    case GEN_MDAY_W: {
        /* The Monday-Friday day of this month closest to day_value. */
        if (g->day_value > length)
            return false;
        int best = -1;
        for (int d = 1; d <= length; d++)
            if (is_workday(year, month, d) &&
                (best < 0 || abs(d - g->day_value) < abs(best - g->day_value)))
                best = d;
        return day == best;
    }
    case GEN_WDAY_LIST:
        return field_has(&g->f[4], 4, w);
    case GEN_WDAY_L:
        return w == g->day_value && day + 7 > length;
    case GEN_WDAY_NTH: {
        if (w != g->day_value)
            return false;
        int n = 0;
        for (int d = 1; d <= day; d++)
            if (weekday(year, month, d) == w)
                n++;
        return n == g->day_arg;
    }
    }
    return false;
}

/*
 * The slow reference: step minute by minute after `after` up to `limit`
 * minutes, skipping to the next day or hour once the day or hour fails.
 * Returns -1 when nothing fires within the window.
 */
static int64_t reference_next(const struct gen *g, int64_t after, int64_t limit)
{
    int64_t minute = after / MINUTE_MS + 1;
    int64_t end = minute + limit;
    while (minute < end) {
        time_t t = (time_t)(minute * 60);
        struct tm tm;
        gmtime_r(&t, &tm);
        int year = tm.tm_year + 1900, month = tm.tm_mon + 1, day = tm.tm_mday;
        if (!field_has(&g->f[5], 5, year) || !field_has(&g->f[3], 3, month) ||
            !day_matches(g, year, month, day)) {
            minute += 1440 - (tm.tm_hour * 60 + tm.tm_min);
            continue;
        }
        if (!field_has(&g->f[1], 1, tm.tm_hour)) {
            minute += 60 - tm.tm_min;
            continue;
        }
        if (field_has(&g->f[0], 0, tm.tm_min))
            return minute * MINUTE_MS;
        minute++;
    }
    return -1;
}

static void gen_expression(struct gen *g, struct buf *out)
{
    memset(g, 0, sizeof(*g));
    gen_field(&g->f[0], 0, 0, 59);
    gen_field(&g->f[1], 1, 0, 23);
    gen_field(&g->f[3], 3, 1, 12);
    if (rnd(2))
        gen_field(&g->f[5], 5, 2020, 2032);
    else
        g->f[5] = (struct field){.count = 1, .items = {{.star = true}}};
    g->day = (enum gen_day)rnd(7);
    buf_adds(out, "cron(");
    print_field(out, &g->f[0], 0);
    buf_addch(out, ' ');
    print_field(out, &g->f[1], 1);
    buf_addch(out, ' ');
    switch (g->day) {
    case GEN_MDAY_LIST:
        gen_field(&g->f[2], 2, 1, 31);
        print_field(out, &g->f[2], 2);
        break;
    case GEN_MDAY_L:
        g->day_arg = rnd(2) ? 0 : rnd_range(1, 30);
        if (g->day_arg)
            buf_addf(out, "L-%d", g->day_arg);
        else
            buf_adds(out, "L");
        break;
    case GEN_MDAY_LW:
        buf_adds(out, "LW");
        break;
    case GEN_MDAY_W:
        g->day_value = rnd_range(1, 31);
        buf_addf(out, "%dW", g->day_value);
        break;
    default:
        buf_addch(out, '?');
        break;
    }
    buf_addch(out, ' ');
    print_field(out, &g->f[3], 3);
    buf_addch(out, ' ');
    switch (g->day) {
    case GEN_WDAY_LIST:
        gen_field(&g->f[4], 4, 1, 7);
        print_field(out, &g->f[4], 4);
        break;
    case GEN_WDAY_L:
        g->day_value = rnd_range(1, 7);
        print_value(out, 4, g->day_value);
        buf_addch(out, 'L');
        break;
    case GEN_WDAY_NTH:
        g->day_value = rnd_range(1, 7);
        g->day_arg = rnd_range(1, 5);
        print_value(out, 4, g->day_value);
        buf_addf(out, "#%d", g->day_arg);
        break;
    default:
        buf_addch(out, '?');
        break;
    }
    buf_addch(out, ' ');
    print_field(out, &g->f[5], 5);
    buf_addch(out, ')');
}

#define CROSS_CHECKS   400
#define FIRINGS        4
#define WINDOW_MINUTES (3LL * 366 * 1440)

static void test_cross_check(void **state)
{
    (void)state;
    for (int n = 0; n < CROSS_CHECKS; n++) {
        struct gen g;
        struct buf text = BUF_INIT;
        gen_expression(&g, &text);
        struct schedule *s = parse_ok(text.data);
        int64_t after = utc(rnd_range(2020, 2030), rnd_range(1, 12), rnd_range(1, 28),
                            rnd_range(0, 23), rnd_range(0, 59)) +
                        rnd(60000);
        for (int i = 0; i < FIRINGS; i++) {
            int64_t want = reference_next(&g, after, WINDOW_MINUTES);
            int64_t got = schedule_next(s, 0, after);
            int64_t window_end = (after / MINUTE_MS + 1 + WINDOW_MINUTES) * MINUTE_MS;
            if (want >= 0 ? got != want : (got != -1 && got < window_end))
                fail_msg("'%s' after %" PRId64 ": got %" PRId64 ", reference %" PRId64, text.data,
                         after, got, want);
            if (want < 0)
                break;
            after = want;
        }
        schedule_free(s);
        buf_release(&text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cron_golden),  cmocka_unit_test(test_rate),
        cmocka_unit_test(test_invalid),      cmocka_unit_test(test_valid_forms),
        cmocka_unit_test(test_bounded_work), cmocka_unit_test(test_cross_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
