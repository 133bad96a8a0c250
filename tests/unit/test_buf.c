#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/common.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

static void test_empty_is_terminated(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    assert_int_equal(b.len, 0);
    buf_release(&b);
    char *s = buf_detach(&b, NULL);
    assert_string_equal(s, "");
    free(s);
}

static void test_add_and_format(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_adds(&b, "abc");
    buf_addch(&b, '-');
    buf_addf(&b, "%d/%s", 42, "x");
    assert_string_equal(b.data, "abc-42/x");
    assert_int_equal(b.len, 8);
    /* Long formats take the slow path. */
    char big[600];
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    buf_addf(&b, "%s!", big);
    assert_int_equal(b.len, 8 + 599 + 1);
    assert_int_equal(b.data[b.len - 1], '!');
    assert_int_equal(b.data[b.len], '\0');
    buf_reset(&b);
    assert_string_equal(b.data, "");
    buf_release(&b);
}

static void test_binary_and_detach(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_add(&b, "a\0b", 3);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 3);
    size_t len;
    char *p = buf_detach(&b, &len);
    assert_int_equal(len, 3);
    assert_int_equal(p[3], '\0');
    assert_int_equal(b.len, 0);
    free(p);
}

static void test_max_is_enforced(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    b.max = 5;
    assert_int_equal(buf_try_add(&b, "abc", 3), 0);
    assert_int_equal(buf_try_add(&b, "de", 2), 0);
    assert_int_equal(buf_try_add(&b, "f", 1), ERR_LIMIT);
    assert_string_equal(b.data, "abcde");
    assert_non_null(strstr(err_msg(), "5 bytes"));
    buf_release(&b);
    assert_int_equal(b.max, 5);
}

static void test_alloc_grow(void **state)
{
    (void)state;
    int *v = NULL;
    size_t alloc = 0;
    for (int i = 0; i < 1000; i++) {
        ALLOC_GROW(v, (size_t)i + 1, alloc);
        v[i] = i;
    }
    assert_true(alloc >= 1000);
    assert_int_equal(v[999], 999);
    free(v);
    char *s = xasprintf("%s-%d", "n", 7);
    assert_string_equal(s, "n-7");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_is_terminated), cmocka_unit_test(test_add_and_format),
        cmocka_unit_test(test_binary_and_detach),   cmocka_unit_test(test_max_is_enforced),
        cmocka_unit_test(test_alloc_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
