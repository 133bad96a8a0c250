#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/common.h"
#include "base/jsonw.h"

static void check_string(const char *in, size_t len, const char *want)
{
    struct buf b = BUF_INIT;
    jsonw_string(&b, in, len);
    assert_string_equal(b.data, want);
    buf_release(&b);
}

static void test_strings(void **state)
{
    (void)state;
    check_string("plain", 5, "\"plain\"");
    check_string("q\"b\\", 4, "\"q\\\"b\\\\\"");
    check_string("\n\t\r\b\f\x01", 6, "\"\\n\\t\\r\\b\\f\\u0001\"");
    check_string("\xc3\xa9", 2, "\"\xc3\xa9\"");
    check_string("a\xff"
                 "b",
                 3, "\"a\\ufffdb\"");
    check_string("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
    check_string("nul\0x", 5, "\"nul\\u0000x\"");
}

static void test_doubles(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    jsonw_double(&b, 1.0);
    buf_addch(&b, ' ');
    jsonw_double(&b, 0.1);
    buf_addch(&b, ' ');
    jsonw_double(&b, NAN);
    buf_addch(&b, ' ');
    jsonw_double(&b, -INFINITY);
    assert_string_equal(b.data, "1.0 0.1 \"NaN\" \"-Infinity\"");
    buf_release(&b);
}

static void test_utf8_valid(void **state)
{
    (void)state;
    assert_true(utf8_valid("h\xc3\xa9llo \xf0\x9f\x98\x80", 11));
    assert_false(utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    assert_false(utf8_valid("\xe2\x82", 2));         /* truncated */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_doubles),
        cmocka_unit_test(test_utf8_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
