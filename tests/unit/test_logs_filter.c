/*
 * Filter patterns (services/logs/filter_pattern.c), golden cases taken
 * from AWS's "Filter pattern syntax" pages: terms, phrases, ?alternatives,
 * -exclusions, %regex%, JSON patterns and space-delimited patterns, each
 * as (pattern, event, expected), plus the patterns that must be refused.
 */
#include "base/common.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/logs/filter_pattern.h"

#include <setjmp.h>

#include <cmocka.h>

enum expect { NO = 0, YES = 1, BAD = -1 };

struct golden {
    const char *pattern;
    const char *event;
    enum expect expect;
};

/* The unstructured events of AWS's examples. */
#define E400 "[ERROR 400] BAD REQUEST"
#define E401 "[ERROR 401] UNAUTHORIZED REQUEST"
#define E419 "[ERROR 419] MISSING ARGUMENTS"
#define E420 "[ERROR 420] INVALID ARGUMENTS"
#define E500 "[ERROR 500] INTERNAL SERVER ERROR"
#define S200 "[SUCCESS 200] AUTHORIZED REQUEST"

/* A JSON event in the shape of the JSON examples. */
#define JEV                                                                                        \
    "{\"eventType\": \"UpdateTrail\", \"sourceIPAddress\": \"111.111.111.111\","                   \
    " \"arrayKey\": [\"value\", \"another value\"],"                                               \
    " \"objectList\": [{\"name\": \"a\", \"id\": 1}, {\"name\": \"b\", \"id\": 2}],"               \
    " \"SomeObject\": null, \"ThisFlag\": true, \"ThatFlag\": false,"                              \
    " \"user\": {\"id\": 1, \"email\": \"John.Stiles@example.com\"},"                              \
    " \"users\": [{\"id\": 2, \"email\": \"John.Doe@example.com\"}],"                              \
    " \"actions\": [\"GET\", \"PUT\", \"DELETE\"], \"coordinates\": [[0, 10], [20, 30]],"          \
    " \"latency\": 700, \"bandwidth\": 75.5, \"status\": \"200\", \"code\": 404}"

/* The Apache access log line of the space-delimited examples. */
#define APACHE                                                                                     \
    "127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 1534"

static const struct golden cases[] = {
    /* Every event. */
    {"", E400, YES},
    {"   ", E400, YES},
    {"\"\"", E400, YES},
    {"\" \"", E400, YES},
    /* One term: a case-sensitive substring. */
    {"ERROR", E400, YES},
    {"ERROR", E419, YES},
    {"ERROR", S200, NO},
    {"error", E400, NO},
    {"ERROR", "Exiting with ERRORCODE: -1", YES},
    {"Exception", "[ERROR] Caught IllegalArgumentException", YES},
    /* Several terms: all of them, anywhere, in any order. */
    {"ERROR ARGUMENTS", E419, YES},
    {"ERROR ARGUMENTS", E420, YES},
    {"ERROR ARGUMENTS", E400, NO},
    {"ARGUMENTS ERROR", E420, YES},
    /* ?terms: any of them. */
    {"?ERROR ?ARGUMENTS", E400, YES},
    {"?ERROR ?ARGUMENTS", S200, NO},
    {"?SUCCESS ?419", E419, YES},
    {"?SUCCESS ?419", E400, NO},
    /* -terms: none of them. */
    {"ERROR -ARGUMENTS", E400, YES},
    {"ERROR -ARGUMENTS", E401, YES},
    {"ERROR -ARGUMENTS", E419, NO},
    {"-ERROR", S200, YES},
    {"-ERROR", E400, NO},
    /* Exact phrases, and terms with non-alphanumeric characters, quoted. */
    {"\"INTERNAL SERVER ERROR\"", E500, YES},
    {"\"INTERNAL SERVER ERROR\"", "[ERROR 500] INTERNAL ERROR SERVER", NO},
    {"\"[ERROR 419]\"", E419, YES},
    {"\"[ERROR 419]\"", E420, NO},
    {"-\"BAD REQUEST\" ERROR", E400, NO},
    {"-\"BAD REQUEST\" ERROR", E401, YES},
    {"?\"BAD REQUEST\" ?\"MISSING ARGUMENTS\"", E419, YES},
    {"\"say \\\"hi\\\"\"", "they say \"hi\" here", YES},
    /* Regular expressions between % signs, found anywhere. */
    {"%AUTHORIZED%", E401, YES},
    {"%AUTHORIZED%", S200, YES},
    {"%AUTHORIZED%", E400, NO},
    {"%^[hc]at%", "hat trick", YES},
    {"%^[hc]at%", "cat nap", YES},
    {"%^[hc]at%", "that", NO},
    {"%[hc]at$%", "a black cat", YES},
    {"%[hc]at$%", "cats", NO},
    {"%colou?r%", "what color", YES},
    {"%colou?r%", "what colour", YES},
    {"%a{3,5}%", "baaab", YES},
    {"%a{3,5}%", "baab", NO},
    {"%gray|grey%", "grey sky", YES},
    {"%10\\.10\\.0\\.1%", "from 10.10.0.1:443", YES},
    {"%10\\.10\\.0\\.1%", "from 10x10x0x1", NO},
    {"%[Ee]rror|[Ff]ail%", "disk failure", YES},
    /* Only a whole pattern between % signs is a regex; "%abc" is a term. */
    {"%abc", "100%abc", YES},
    {"%\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}%", "host 192.168.1.20 up", YES},
    /* JSON: strings, wildcards, arrays, objects. */
    {"{ $.eventType = \"UpdateTrail\" }", JEV, YES},
    {"{ $.eventType = \"CreateTrail\" }", JEV, NO},
    {"{$.eventType=UpdateTrail}", JEV, YES},
    {"{ $.eventType = \"Update*\" }", JEV, YES},
    {"{ $.eventType = \"*Trail\" }", JEV, YES},
    {"{ $.eventType = \"U*T*l\" }", JEV, YES},
    {"{ $.eventType = \"*Create*\" }", JEV, NO},
    {"{ $.eventType != \"CreateTrail\" }", JEV, YES},
    {"{ $.sourceIPAddress != 123.123.* }", JEV, YES},
    {"{ $.sourceIPAddress = 111.111.* }", JEV, YES},
    {"{ $.arrayKey[0] = \"value\" }", JEV, YES},
    {"{ $.arrayKey[1] = \"another value\" }", JEV, YES},
    {"{ $.arrayKey[2] = \"value\" }", JEV, NO},
    {"{ $.arrayKey[*] = \"another*\" }", JEV, YES},
    {"{ $.objectList[1].id = 2 }", JEV, YES},
    {"{ $.objectList[0].id = 2 }", JEV, NO},
    {"{ $.coordinates[1][0] = 20 }", JEV, YES},
    /* IS TRUE / IS FALSE / IS NULL / NOT EXISTS. */
    {"{ $.ThisFlag IS TRUE }", JEV, YES},
    {"{ $.ThatFlag IS TRUE }", JEV, NO},
    {"{ $.ThatFlag IS FALSE }", JEV, YES},
    {"{ $.SomeObject IS NULL }", JEV, YES},
    {"{ $.ThisFlag IS NULL }", JEV, NO},
    {"{ $.SomeOtherObject NOT EXISTS }", JEV, YES},
    {"{ $.SomeObject NOT EXISTS }", JEV, NO},
    {"{ $.missing = \"x\" }", JEV, NO},
    {"{ $.missing != \"x\" }", JEV, NO},
    /* Numbers. */
    {"{ $.latency > 500 }", JEV, YES},
    {"{ $.latency >= 700 }", JEV, YES},
    {"{ $.latency < 700 }", JEV, NO},
    {"{ $.latency <= 7e2 }", JEV, YES},
    {"{ $.latency = 700.0 }", JEV, YES},
    {"{ $.latency != 700 }", JEV, NO},
    {"{ $.bandwidth > 75 }", JEV, YES},
    {"{ $.bandwidth < -1 }", JEV, NO},
    {"{ $.status = 200 }", JEV, YES},
    {"{ $.code = 4* }", JEV, YES},
    /* && binds tighter than ||; parentheses group. */
    {"{ ($.user.id = 1) && ($.users[0].email = \"John.Doe@example.com\") }", JEV, YES},
    {"{ ($.user.id = 2 && $.users[0].email = \"John.Doe@example.com\") || $.actions[2] = "
     "\"GET\" }",
     JEV, NO},
    {"{ ($.user.id = 1 && $.users[0].email = \"John.Doe@example.com\") || $.actions[2] = "
     "\"GET\" }",
     JEV, YES},
    {"{ $.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = nonmatch && "
     "$.actions[2] = nomatch }",
     JEV, YES},
    {"{ ($.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = nonmatch) && "
     "$.actions[2] = nomatch }",
     JEV, NO},
    {"{ $.eventType = %Update[A-Z]rail% }", JEV, YES},
    {"{ $.eventType = %^Create% }", JEV, NO},
    /* A JSON pattern never matches text that is not JSON. */
    {"{ $.eventType = \"UpdateTrail\" }", "eventType UpdateTrail", NO},
    {"{ $.a NOT EXISTS }", "not json", NO},
    {"{ $.a NOT EXISTS }", "{\"b\": 1}", YES},
    /* Space-delimited events. */
    {"[ip, user, username, timestamp, request, status_code, bytes]", APACHE, YES},
    {"[ip, user, username, timestamp, request, status_code]", APACHE, NO},
    {"[ip, user, username, timestamp, request, status_code = 4*, bytes]", APACHE, NO},
    {"[ip, user, username, timestamp, request = *.gif*, status_code = 2*, bytes > 1000]", APACHE,
     YES},
    {"[ip, user, username = frank, ...]", APACHE, YES},
    {"[ip = 127.0.0.*, ...]", APACHE, YES},
    {"[..., status_code, bytes]", APACHE, YES},
    {"[..., status_code = 404 || status_code = 200, bytes]", APACHE, YES},
    {"[..., status_code >= 400 && status_code < 500, bytes]", APACHE, NO},
    {"[ip, ..., bytes < 1000]", APACHE, NO},
    {"[ip, user, username, timestamp = \"10/Oct/2000:13:25:15 -0700\", ...]", APACHE, YES},
    {"[ip, ..., request = %^GET%, ...]", APACHE, YES},
    {"[w1 = ERROR, ...]", "ERROR disk full", YES},
    {"[w1 = ERROR, ...]", "WARN ERROR", NO},
    /* Patterns refused. */
    {"{ $.a = }", "", BAD},
    {"{ $.a = 1", "", BAD},
    {"{ $ = 1 }", "", BAD},
    {"{ a = 1 }", "", BAD},
    {"{ $.a > x }", "", BAD},
    {"{ $.a IS MAYBE }", "", BAD},
    {"{ $.a NOT THERE }", "", BAD},
    {"{ $.a[x] = 1 }", "", BAD},
    {"{ ($.a = 1 }", "", BAD},
    {"{ $.a = 1 } trailing", "", BAD},
    {"[a, b", "", BAD},
    {"[a, , b]", "", BAD},
    {"[a b]", "", BAD},
    {"[a = 1 || c = 2]", "", BAD},
    {"{ $.a = %abc }", "", BAD},
    {"%a(b)%", "", BAD},
    {"%something!%", "", BAD},
    {"\"unterminated", "", BAD},
    {"? ERROR", "", BAD},
    {"ERR\"OR", "", BAD},
    {"{ $.a = %x% && $.b = %y% && $.c = %z% }", "", BAD},
};

static void test_golden(void **state)
{
    (void)state;
    size_t failures = 0;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct golden *c = &cases[i];
        struct filter_pattern *p = NULL;
        int rc = filter_pattern_parse(&p, c->pattern, strlen(c->pattern));
        enum expect got = rc < 0 ? BAD : filter_pattern_match(p, c->event, strlen(c->event));
        if (got != c->expect) {
            fprintf(stderr, "case %zu: pattern '%s' on '%s': got %d, want %d (%s)\n", i, c->pattern,
                    c->event, got, c->expect, rc < 0 ? err_msg() : "parsed");
            failures++;
        }
        filter_pattern_free(p);
    }
    assert_int_equal(failures, 0);
}

static void test_limits(void **state)
{
    (void)state;
    struct filter_pattern *p;
    char *long_pattern = xmalloc(FILTER_PATTERN_MAX + 2);
    memset(long_pattern, 'a', FILTER_PATTERN_MAX + 1);
    long_pattern[FILTER_PATTERN_MAX + 1] = '\0';
    assert_int_equal(filter_pattern_parse(&p, long_pattern, FILTER_PATTERN_MAX + 1), ERR_LIMIT);
    assert_int_equal(filter_pattern_parse(&p, long_pattern, FILTER_PATTERN_MAX), 0);
    assert_true(filter_pattern_match(p, long_pattern, FILTER_PATTERN_MAX));
    filter_pattern_free(p);
    free(long_pattern);

    /* Parentheses nest at most FILTER_DEPTH_MAX deep. */
    struct buf deep = BUF_INIT;
    buf_adds(&deep, "{ ");
    for (int i = 0; i < FILTER_DEPTH_MAX + 1; i++)
        buf_addch(&deep, '(');
    buf_adds(&deep, "$.a = 1");
    for (int i = 0; i < FILTER_DEPTH_MAX + 1; i++)
        buf_addch(&deep, ')');
    buf_adds(&deep, " }");
    assert_int_equal(filter_pattern_parse(&p, deep.data, deep.len), ERR_LIMIT);
    buf_release(&deep);

    struct buf terms = BUF_INIT;
    for (int i = 0; i <= FILTER_TERMS_MAX; i++)
        buf_adds(&terms, "t ");
    assert_int_equal(filter_pattern_parse(&p, terms.data, terms.len), ERR_LIMIT);
    buf_release(&terms);

    assert_int_equal(filter_pattern_parse(&p, "a\0b", 3), ERR_INVALID);
}

static void test_extract(void **state)
{
    (void)state;
    struct filter_pattern *p;
    const char *pattern = "[ip, user, username, timestamp, request, status_code, bytes]";
    assert_int_equal(filter_pattern_parse(&p, pattern, strlen(pattern)), 0);
    json_t *values = json_object();
    assert_true(filter_pattern_match_extract(p, APACHE, strlen(APACHE), values));
    assert_string_equal(json_string_value(json_object_get(values, "$timestamp")),
                        "10/Oct/2000:13:25:15 -0700");
    assert_string_equal(json_string_value(json_object_get(values, "$request")),
                        "GET /apache_pb.gif HTTP/1.0");
    assert_string_equal(json_string_value(json_object_get(values, "$bytes")), "1534");
    assert_int_equal(json_object_size(values), 7);
    json_decref(values);
    filter_pattern_free(p);

    /* Term patterns extract nothing. */
    assert_int_equal(filter_pattern_parse(&p, "GET", 3), 0);
    values = json_object();
    assert_true(filter_pattern_match_extract(p, APACHE, strlen(APACHE), values));
    assert_int_equal(json_object_size(values), 0);
    json_decref(values);
    filter_pattern_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_extract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
