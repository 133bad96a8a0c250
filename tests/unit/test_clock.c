#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/common.h"
#include "base/clock.h"
#include "base/err.h"

#define T_2015 1440938160000LL /* 2015-08-30T12:36:00Z */

static void test_formats(void **state)
{
    (void)state;
    char s[TIME_TEXT_MAX];
    time_format_iso8601(s, T_2015);
    assert_string_equal(s, "2015-08-30T12:36:00Z");
    time_format_iso8601(s, T_2015 + 123);
    assert_string_equal(s, "2015-08-30T12:36:00.123Z");
    time_format_iso8601_ms(s, T_2015);
    assert_string_equal(s, "2015-08-30T12:36:00.000Z");
    time_format_http(s, T_2015);
    assert_string_equal(s, "Sun, 30 Aug 2015 12:36:00 GMT");
    time_format_amz(s, T_2015);
    assert_string_equal(s, "20150830T123600Z");
    time_format_iso8601(s, -1500);
    assert_string_equal(s, "1969-12-31T23:59:58.500Z");
}

static void test_parse_round_trip(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(time_parse_iso8601(&ms, "2015-08-30T12:36:00Z", 20), 0);
    assert_int_equal(ms, T_2015);
    assert_int_equal(time_parse_iso8601(&ms, "2015-08-30T12:36:00.5Z", 22), 0);
    assert_int_equal(ms, T_2015 + 500);
    assert_int_equal(time_parse_iso8601(&ms, "2015-08-30T14:36:00+02:00", 25), 0);
    assert_int_equal(ms, T_2015);
    assert_int_equal(time_parse_http(&ms, "Sun, 30 Aug 2015 12:36:00 GMT", 29), 0);
    assert_int_equal(ms, T_2015);
    assert_int_equal(time_parse_amz(&ms, "20150830T123600Z", 16), 0);
    assert_int_equal(ms, T_2015);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2015-08-30",
        "2015-08-30T12:36:00",
        "2015-13-30T12:36:00Z",
        "2015-02-30T12:36:00Z",
        "2015-08-30T25:36:00Z",
        "2015-08-30T12:36:00Zjunk",
        "2015-08-30T12:36:00.Z",
    };
    int64_t ms = 7;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_int_equal(time_parse_iso8601(&ms, bad[i], strlen(bad[i])), ERR_INVALID);
        assert_int_equal(ms, 7);
    }
    assert_int_equal(time_parse_amz(&ms, "20150830T123600", 15), ERR_INVALID);
    assert_int_equal(time_parse_http(&ms, "Sun, 30 Foo 2015 12:36:00 GMT", 29), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "HTTP date"));
}

static void test_fake_clock(void **state)
{
    (void)state;
    clock_set_fake(T_2015);
    assert_int_equal(clock_now_ms(), T_2015);
    clock_set_fake(0);
    assert_true(clock_now_ms() > T_2015);
    int64_t a = clock_mono_ns(), b = clock_mono_ns();
    assert_true(b >= a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_parse_round_trip),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_fake_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
