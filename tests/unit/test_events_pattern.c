/*
 * EventBridge event patterns (services/events/pattern.c): each operator,
 * number and CIDR edges, arrays, $or, dotted keys and AWS's limits, as
 * (pattern, event, expected); errors compare AWS's whole message.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/events/pattern.h"

#include <setjmp.h>

#include <cmocka.h>

enum expect { NO = 0, YES = 1, BAD = -1 };

struct golden {
    const char *pattern;
    const char *event;
    enum expect expect;
};

static const struct golden goldens[] = {
    /* exact values and types */
    {"{\"a\":[\"x\"]}", "{\"a\":\"x\"}", YES},
    {"{\"a\":[\"x\"]}", "{\"a\":\"X\"}", NO},
    {"{\"a\":[300]}", "{\"a\":300.0}", YES},
    {"{\"a\":[\"300\"]}", "{\"a\":300}", NO},
    {"{\"a\":[null]}", "{\"a\":null}", YES},
    {"{\"a\":[null]}", "{}", NO},
    {"{\"a\":[true]}", "{\"a\":true}", YES},
    {"{\"a\":[false]}", "{\"a\":true}", NO},
    {"{\"a\":[\"\"]}", "{\"a\":\"\"}", YES},
    {"{\"a\":[\"x\"]}", "{\"a\":[\"y\",\"x\"]}", YES},
    {"{\"a\":[\"x\"]}", "{\"a\":[[\"x\"]]}", YES},
    {"{\"a\":[\"x\"]}", "{\"a\":{\"b\":\"x\"}}", NO},
    {"{\"a\":[\"10.0.0.1\"]}", "{\"a\":\"10.0.0.1\"}", YES},
    {"{\"a\":[\"2001:db8::1\"]}", "{\"a\":\"2001:0db8:0:0::1\"}", YES},
    /* prefix / suffix / ignore case */
    {"{\"a\":[{\"prefix\":\"ab\"}]}", "{\"a\":\"abc\"}", YES},
    {"{\"a\":[{\"prefix\":\"ab\"}]}", "{\"a\":\"Abc\"}", NO},
    {"{\"a\":[{\"prefix\":{\"equals-ignore-case\":\"AB\"}}]}", "{\"a\":\"abc\"}", YES},
    {"{\"a\":[{\"suffix\":\".png\"}]}", "{\"a\":\"x.png\"}", YES},
    {"{\"a\":[{\"suffix\":\".png\"}]}", "{\"a\":\"png\"}", NO},
    {"{\"a\":[{\"suffix\":{\"equals-ignore-case\":\".PNG\"}}]}", "{\"a\":\"x.png\"}", YES},
    {"{\"a\":[{\"equals-ignore-case\":\"HeLLo\"}]}", "{\"a\":\"hello\"}", YES},
    {"{\"a\":[{\"equals-ignore-case\":\"hello\"}]}", "{\"a\":\"hello!\"}", NO},
    /* wildcard */
    {"{\"a\":[{\"wildcard\":\"*.png\"}]}", "{\"a\":\"dir/x.png\"}", YES},
    {"{\"a\":[{\"wildcard\":\"a*b*c\"}]}", "{\"a\":\"aXbYbZc\"}", YES},
    {"{\"a\":[{\"wildcard\":\"a*b*c\"}]}", "{\"a\":\"aXbYcZ\"}", NO},
    {"{\"a\":[{\"wildcard\":\"a\\\\*\"}]}", "{\"a\":\"a*\"}", YES},
    {"{\"a\":[{\"wildcard\":\"a\\\\*\"}]}", "{\"a\":\"ab\"}", NO},
    {"{\"a\":[{\"wildcard\":\"\"}]}", "{\"a\":\"\"}", YES},
    {"{\"a\":[{\"wildcard\":\"*\"}]}", "{\"a\":\"\"}", YES},
    {"{\"a\":[{\"wildcard\":\"a*\"}]}", "{\"a\":\"a\"}", YES},
    {"{\"a\":[{\"wildcard\":\"ab*ba\"}]}", "{\"a\":\"aba\"}", NO},
    {"{\"a\":[{\"wildcard\":\"ab*ba\"}]}", "{\"a\":\"abba\"}", YES},
    {"{\"a\":[{\"wildcard\":\"*aab*\"}]}", "{\"a\":\"xaaab\"}", YES},
    {"{\"a\":[{\"wildcard\":\"*abab*\"}]}", "{\"a\":\"abaabab\"}", YES},
    {"{\"a\":[{\"wildcard\":\"x*aab*aab*y\"}]}", "{\"a\":\"xaabaaby\"}", YES},
    {"{\"a\":[{\"wildcard\":\"x*aab*aab*y\"}]}", "{\"a\":\"xaaby\"}", NO},
    {"{\"a\":[{\"wildcard\":\"x*ab*y\"}]}", "{\"a\":\"xaby\"}", YES},
    {"{\"a\":[{\"wildcard\":\"x*ab*y\"}]}", "{\"a\":\"xaxbyy\"}", NO},
    {"{\"a\":[{\"wildcard\":\"a\\\\\\\\*\"}]}", "{\"a\":\"a\\\\tail\"}", YES},
    {"{\"a\":[{\"wildcard\":\"*\\\\**\"}]}", "{\"a\":\"no star\"}", NO},
    {"{\"a\":[{\"wildcard\":\"*\\\\**\"}]}", "{\"a\":\"a*b\"}", YES},
    /* anything-but */
    {"{\"a\":[{\"anything-but\":\"x\"}]}", "{\"a\":\"y\"}", YES},
    {"{\"a\":[{\"anything-but\":\"x\"}]}", "{\"a\":\"x\"}", NO},
    {"{\"a\":[{\"anything-but\":\"x\"}]}", "{}", NO},
    {"{\"a\":[{\"anything-but\":\"x\"}]}", "{\"a\":null}", YES},
    {"{\"a\":[{\"anything-but\":[1,2]}]}", "{\"a\":2.0}", NO},
    {"{\"a\":[{\"anything-but\":[1,2]}]}", "{\"a\":\"2\"}", YES},
    {"{\"a\":[{\"anything-but\":{\"prefix\":\"in\"}}]}", "{\"a\":\"init\"}", NO},
    {"{\"a\":[{\"anything-but\":{\"suffix\":[\".a\",\".b\"]}}]}", "{\"a\":\"x.c\"}", YES},
    {"{\"a\":[{\"anything-but\":{\"equals-ignore-case\":\"X\"}}]}", "{\"a\":\"x\"}", NO},
    {"{\"a\":[{\"anything-but\":{\"wildcard\":\"*/x/*\"}}]}", "{\"a\":\"a/x/b\"}", NO},
    /* numeric: AWS's range and six decimals */
    {"{\"a\":[{\"numeric\":[\">\",0,\"<=\",5]}]}", "{\"a\":5}", YES},
    {"{\"a\":[{\"numeric\":[\">\",0,\"<=\",5]}]}", "{\"a\":0}", NO},
    {"{\"a\":[{\"numeric\":[\">=\",0,\"<\",5]}]}", "{\"a\":0}", YES},
    {"{\"a\":[{\"numeric\":[\"=\",3.018e2]}]}", "{\"a\":301.8}", YES},
    {"{\"a\":[{\"numeric\":[\"<\",0.000002]}]}", "{\"a\":0.000001}", YES},
    {"{\"a\":[{\"numeric\":[\">\",-5e9]}]}", "{\"a\":-4999999999.5}", YES},
    {"{\"a\":[{\"numeric\":[\">\",0]}]}", "{\"a\":6e9}", NO},
    {"{\"a\":[{\"numeric\":[\">\",0]}]}", "{\"a\":\"7\"}", NO},
    {"{\"a\":[{\"numeric\":[\"<\",6e9]}]}", "{}", BAD},
    {"{\"a\":[{\"numeric\":[\"<\",1,\">\",0]}]}", "{}", BAD},
    {"{\"a\":[{\"numeric\":[\"!=\",1]}]}", "{}", BAD},
    /* cidr */
    {"{\"a\":[{\"cidr\":\"10.0.0.0/24\"}]}", "{\"a\":\"10.0.0.255\"}", YES},
    {"{\"a\":[{\"cidr\":\"10.0.0.0/24\"}]}", "{\"a\":\"10.0.1.0\"}", NO},
    {"{\"a\":[{\"cidr\":\"10.0.0.0/0\"}]}", "{\"a\":\"255.1.2.3\"}", YES},
    {"{\"a\":[{\"cidr\":\"10.0.0.0/24\"}]}", "{\"a\":\"::ffff:10.0.0.1\"}", NO},
    {"{\"a\":[{\"cidr\":\"2001:db8::/32\"}]}", "{\"a\":\"2001:db8:1::\"}", YES},
    {"{\"a\":[{\"cidr\":\"10.0.0.0/32\"}]}", "{}", BAD},
    {"{\"a\":[{\"cidr\":\"::/128\"}]}", "{}", BAD},
    {"{\"a\":[{\"cidr\":\"10.0.0.0/x\"}]}", "{}", BAD},
    /* exists */
    {"{\"a\":[{\"exists\":true}]}", "{\"a\":null}", YES},
    {"{\"a\":[{\"exists\":true}]}", "{\"a\":[]}", NO},
    {"{\"a\":[{\"exists\":false}]}", "{\"a\":[]}", YES},
    {"{\"a\":[{\"exists\":false}]}", "{\"a\":{\"b\":1}}", YES},
    {"{\"a\":{\"b\":[{\"exists\":false}]}}", "{}", YES},
    /* nesting, arrays of objects, dotted keys, $or */
    {"{\"a\":{\"b\":[1],\"c\":[2]}}", "{\"a\":[{\"b\":1},{\"c\":2}]}", NO},
    {"{\"a\":{\"b\":[1],\"c\":[2]}}", "{\"a\":[{\"b\":1,\"c\":2}]}", YES},
    {"{\"a\":{\"b\":{\"c\":[1]}}}", "{\"a\":{\"b.c\":1}}", YES},
    {"{\"$or\":[{\"a\":[1]},{\"b\":[2]}]}", "{\"b\":2}", YES},
    {"{\"$or\":[{\"a\":[1]},{\"b\":[2]}]}", "{\"b\":3}", NO},
    {"{\"x\":{\"$or\":[{\"a\":{\"$or\":[{\"p\":[1]},{\"q\":[1]}]}},{\"b\":[2]}]}}",
     "{\"x\":{\"a\":{\"q\":1}}}", YES},
    /* invalid */
    {"[]", "{}", BAD},
    {"{\"a\":[[1]]}", "{}", BAD},
    {"{\"a\":[{}]}", "{}", BAD},
    {"{\"a\":[{\"prefix\":\"x\",\"suffix\":\"y\"}]}", "{}", BAD},
    {"{\"a\":[{\"wildcard\":\"a**\"}]}", "{}", BAD},
    {"{\"a\":[{\"anything-but\":[true]}]}", "{}", BAD},
    {"{\"a\":[{\"anything-but\":[\"a\",1]}]}", "{}", BAD},
    {"{\"a\":[{\"anything-but\":{\"foo\":\"x\"}}]}", "{}", BAD},
    {"{\"a\":[{\"exists\":\"yes\"}]}", "{}", BAD},
    {"{\"$or\":{}}", "{}", BAD},
    {"not json", "{}", BAD},
};

static void test_goldens(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(goldens); i++) {
        const struct golden *g = &goldens[i];
        struct event_pattern *p = NULL;
        struct buf msg = BUF_INIT;
        int rc = event_pattern_compile(&p, &msg, g->pattern, strlen(g->pattern));
        if (g->expect == BAD) {
            if (rc == 0)
                fail_msg("compiled: %s", g->pattern);
            assert_non_null(strstr(msg.data, "Event pattern is not valid. Reason: "));
        } else {
            if (rc < 0)
                fail_msg("%s: %s", g->pattern, msg.data);
            json_t *ev = json_loads(g->event, JSON_DECODE_INT_AS_REAL, NULL);
            assert_non_null(ev);
            if (event_pattern_match(p, ev) != (g->expect == YES))
                fail_msg("%s on %s: want %d", g->pattern, g->event, g->expect);
            json_decref(ev);
        }
        event_pattern_free(p);
        buf_release(&msg);
    }
}

static void expect_error(const char *pattern, const char *reason)
{
    struct event_pattern *p = NULL;
    struct buf msg = BUF_INIT;
    assert_int_equal(event_pattern_compile(&p, &msg, pattern, strlen(pattern)), ERR_INVALID);
    assert_null(p);
    struct buf want = BUF_INIT;
    buf_addf(&want, "Event pattern is not valid. Reason: %s", reason);
    assert_string_equal(msg.data, want.data);
    buf_release(&want);
    buf_release(&msg);
}

static void test_messages(void **state)
{
    (void)state;
    expect_error("{\"a\":\"x\"}", "\"a\" must be an object or an array");
    expect_error("{\"a\":[{\"EXISTS\":true}]}", "Unrecognized match type EXISTS");
    expect_error("{\"a\":[{\"numeric\":[\">\",0,\">\",0]}]}", "Bad numeric range operator: >");
    expect_error("{\"a\":[{\"numeric\":[\">\",0,\"<\"]}]}", "Value of < must be numeric");
    expect_error("{\"a\":[{\"cidr\":\"bad\"}]}", "Malformed CIDR, one '/' required");
    expect_error("{\"a\":[{\"cidr\":\"x.1/8\"}]}", "Nonstandard IP address: x.1");
    expect_error("{\"a\":[{\"wildcard\":\"ab**\"}]}", "Consecutive wildcard characters at pos 3");
    expect_error("{\"a\":[{\"anything-but\":{\"prefix\":\"\"}}]}",
                 "Null prefix/suffix not allowed");
    expect_error("{\"a\":[{\"anything-but\":[5e9,5000000001]}]}",
                 "Value must be between -5.0E9 and 5.0E9, inclusive");
}

/* 11 $or groups of 2 alternatives: 2048 combinations, over AWS's 1000. */
static void test_or_limit(void **state)
{
    (void)state;
    struct buf pat = BUF_INIT;
    buf_adds(&pat, "{");
    for (int i = 0; i < 11; i++)
        buf_addf(&pat, "%s\"k%d\":{\"$or\":[{\"a\":[1]},{\"b\":[2]}]}", i ? "," : "", i);
    buf_adds(&pat, "}");
    struct event_pattern *p = NULL;
    struct buf msg = BUF_INIT;
    assert_int_equal(event_pattern_compile(&p, &msg, pat.data, pat.len), ERR_INVALID);
    buf_reset(&pat);
    buf_adds(&pat, "{");
    for (int i = 0; i < 9; i++)
        buf_addf(&pat, "%s\"k%d\":{\"$or\":[{\"a\":[1]},{\"b\":[2]}]}", i ? "," : "", i);
    buf_adds(&pat, "}");
    assert_int_equal(event_pattern_compile(&p, &msg, pat.data, pat.len), 0);
    event_pattern_free(p);
    buf_release(&pat);
    buf_release(&msg);
}

/*
 * A 4 KB wildcard against a 512 KB string: backtracking on the last star
 * compares up to a segment's length at each of the string's positions
 * (about 2 * 10^9 steps here); matching the segments in order with KMP
 * stays within twice the string's length plus the pattern's.
 */
static void check_linear(const char *pattern_value, const char *text, size_t text_len, bool want)
{
    struct buf pat = BUF_INIT;
    buf_addf(&pat,
             "{\"a\":[{\"wildcard\":\"%s\"}],"
             "\"b\":[{\"anything-but\":{\"wildcard\":\"%s\"}}]}",
             pattern_value, pattern_value);
    struct event_pattern *p = NULL;
    struct buf msg = BUF_INIT;
    if (event_pattern_compile(&p, &msg, pat.data, pat.len) < 0)
        fail_msg("%s", msg.data);
    json_t *ev = json_pack("{s:s%,s:s%}", "a", text, text_len, "b", text, text_len);
    size_t before = event_pattern_wildcard_steps();
    /* "a" matches iff the wildcard does, and then "b" (its anything-but) does not. */
    assert_false(event_pattern_match(p, ev));
    json_object_set_new(ev, "b", json_string("other"));
    assert_int_equal(event_pattern_match(p, ev), want);
    size_t steps = event_pattern_wildcard_steps() - before;
    if (steps > 4 * (2 * text_len + strlen(pattern_value)))
        fail_msg("%zu steps for a %zu-byte string", steps, text_len);
    json_decref(ev);
    event_pattern_free(p);
    buf_release(&pat);
    buf_release(&msg);
}

static void test_wildcard_linear(void **state)
{
    (void)state;
    size_t n = 512 * 1024, m = 4000;
    char *text = malloc(n + 1);
    memset(text, 'a', n);
    text[n] = '\0';
    char *pat = malloc(m + 3);
    /* "*aaa...ab": one star, then a long segment that fails late everywhere. */
    pat[0] = '*';
    memset(pat + 1, 'a', m - 1);
    pat[m] = 'b';
    pat[m + 1] = '\0';
    check_linear(pat, text, n, false);
    /* "*aaa...ab*": a middle segment, searched for across the whole string. */
    pat[m + 1] = '*';
    pat[m + 2] = '\0';
    check_linear(pat, text, n, false);
    /* The same with the segment present at the very end. */
    text[n - 1] = 'b';
    check_linear(pat, text, n, true);
    /* Many short segments "*a*a*...*a*b". */
    for (size_t i = 0; i + 1 < m; i += 2) {
        pat[i] = '*';
        pat[i + 1] = 'a';
    }
    pat[m] = '*';
    pat[m + 1] = 'b';
    pat[m + 2] = '\0';
    check_linear(pat, text, n, true);
    free(pat);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_goldens),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_or_limit),
        cmocka_unit_test(test_wildcard_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
