/*
 * The policy API (src/aws/policy.c, policy_match.c, policy_eval.c): size counting and limits,
 * compile / free, the errors the case files cannot express, the request context, result details,
 * and the matching primitives (wildcards, dates, addresses). The evaluation rules themselves are
 * covered case by case in test_policy_cases.c.
 */
#include "base/common.h"

#include <setjmp.h>

#include <cmocka.h>

#include "aws/policy.h"
#include "aws/policy_internal.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"

static const struct policy_options identity_opts = {.kind = POLICY_KIND_IDENTITY};

static struct policy *compile_ok(const char *doc, const struct policy_options *opts)
{
    struct policy *p = NULL;
    if (policy_compile(&p, doc, strlen(doc), opts) != 0)
        fail_msg("'%s' does not compile: %s", doc, err_msg());
    assert_non_null(p);
    return p;
}

static void assert_compile_error(const char *doc, const struct policy_options *opts, int kind,
                                 const char *message)
{
    struct policy *p = (struct policy *)&p; /* must stay untouched */
    int rc = policy_compile(&p, doc, strlen(doc), opts);
    if (rc != kind)
        fail_msg("'%s': expected %d, got %d (%s)", doc, kind, rc, err_msg());
    assert_ptr_equal(p, (struct policy *)&p);
    if (strcmp(err_msg(), message) != 0)
        fail_msg("'%s': expected '%s', got '%s'", doc, message, err_msg());
}

/* ---- size ----------------------------------------------------------------------- */

static void test_size(void **state)
{
    (void)state;
    assert_int_equal(policy_size("", 0), 0);
    /* white space outside strings is not counted, inside it is */
    const char *doc = "{ \"a b\" :\n\t[ 1 ,2 ] }\r\n";
    assert_int_equal(policy_size(doc, strlen(doc)), strlen("{\"a b\":[1,2]}"));
    /* an escaped quote does not end the string */
    doc = "{\"k\": \"say \\\" hi \"}";
    assert_int_equal(policy_size(doc, strlen(doc)), strlen("{\"k\":\"say \\\" hi \"}"));
    /* characters, not bytes: é is one, 💡 is one */
    doc = "{\"k\":\"\xc3\xa9\xf0\x9f\x92\xa1\"}";
    assert_int_equal(policy_size(doc, strlen(doc)), 10);
}

static void test_size_limit(void **state)
{
    (void)state;
    const char *doc = "{\"Version\": \"2012-10-17\", \"Statement\": {\"Effect\": \"Allow\", "
                      "\"Action\": \"s3:GetObject\", \"Resource\": \"*\"}}";
    size_t size = policy_size(doc, strlen(doc));
    struct policy_options opts = {.kind = POLICY_KIND_IDENTITY, .size_max = size};
    policy_free(compile_ok(doc, &opts));
    opts.size_max = size - 1;
    opts.size_quota_name = "RolePolicySize";
    char expect[128];
    snprintf(expect, sizeof(expect), "Cannot exceed quota for RolePolicySize: %zu", size - 1);
    assert_compile_error(doc, &opts, ERR_LIMIT, expect);
}

static void test_document_max(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_adds(&b,
             "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
             "\"Resource\":\"arn:aws:s3:::");
    while (b.len <= POLICY_DOCUMENT_MAX)
        buf_adds(&b, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    buf_adds(&b, "\"}}");
    struct policy *p = NULL;
    assert_int_equal(policy_compile(&p, b.data, b.len, &identity_opts), ERR_LIMIT);
    assert_null(p);
    buf_release(&b);
}

/* ---- compile / free ----------------------------------------------------------------- */

static void test_compile_and_inspect(void **state)
{
    (void)state;
    const char *doc =
        "{\"Version\":\"2012-10-17\",\"Statement\":["
        "{\"Sid\":\"First\",\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"},"
        "{\"Effect\":\"Deny\",\"Action\":\"s3:Delete*\",\"Resource\":\"*\"}]}";
    struct policy *p = compile_ok(doc, &identity_opts);
    assert_int_equal(policy_get_kind(p), POLICY_KIND_IDENTITY);
    assert_int_equal(policy_statement_count(p), 2);
    assert_string_equal(policy_statement_sid(p, 0), "First");
    assert_string_equal(policy_statement_sid(p, 1), "");
    assert_string_equal(policy_statement_sid(p, 2), "");
    policy_free(p);
    policy_free(NULL);
    assert_int_equal(policy_check(doc, strlen(doc), &identity_opts), 0);

    /* the compiled policy owns its strings: the document can go */
    char *copy = xstrdup(doc);
    p = compile_ok(copy, &identity_opts);
    memset(copy, 'x', strlen(copy));
    free(copy);
    assert_string_equal(policy_statement_sid(p, 0), "First");
    policy_free(p);

    /* not NUL-terminated: only `len` bytes are read */
    char buffer[512];
    size_t len = strlen(doc);
    memcpy(buffer, doc, len);
    memset(buffer + len, '}', sizeof(buffer) - len);
    p = NULL;
    assert_int_equal(policy_compile(&p, buffer, len, &identity_opts), 0);
    policy_free(p);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "",
        "null",
        "{\"Version\":\"2012-10-17\",\"Statement\":null}",
        "{\"Version\":20121017,\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}}",
        "{\"Id\":{},\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}}",
        "{\"Statement\":{\"Sid\":[],\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":[\"s3:*\",1],\"Resource\":\"*\"}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\","
        "\"Condition\":{\"StringEquals\":{\"k\":{\"a\":\"b\"}}}}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\","
        "\"Condition\":{\"StringEquals\":{\"k\":[null]}}}}",
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\","
        "\"Condition\":{\"ForAnyValue::StringEquals\":{\"k\":\"v\"}}}}",
        /* not UTF-8 */
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:\xff\",\"Resource\":\"*\"}}",
        /* a NUL inside a string */
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:\\u0000\",\"Resource\":\"*\"}}",
    };
    for (size_t i = 0; i < ARRAY_SIZE(docs); i++)
        assert_compile_error(docs[i], &identity_opts, ERR_INVALID, "Syntax errors in policy.");

    struct policy_options resource = {.kind = POLICY_KIND_RESOURCE};
    assert_compile_error("{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"bob\","
                         "\"Action\":\"s3:*\",\"Resource\":\"*\"}}",
                         &resource, ERR_INVALID, "Syntax errors in policy.");
    assert_compile_error("{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"Users\":\"bob\"},"
                         "\"Action\":\"s3:*\",\"Resource\":\"*\"}}",
                         &resource, ERR_INVALID, "Syntax errors in policy.");
}

static void test_deep_nesting(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_adds(&b, "{\"Statement\":");
    for (int i = 0; i < 100000; i++)
        buf_addch(&b, '[');
    assert_compile_error(b.data, &identity_opts, ERR_INVALID, "Syntax errors in policy.");
    buf_release(&b);
}

static bool known_principal(void *ctx, const char *arn)
{
    int *calls = ctx;
    (*calls)++;
    return strcmp(arn, "arn:aws:iam::111122223333:role/exists") == 0;
}

static void test_principal_exists(void **state)
{
    (void)state;
    int calls = 0;
    struct policy_options opts = {
        .kind = POLICY_KIND_TRUST, .principal_exists = known_principal, .principal_ctx = &calls};
    policy_free(compile_ok("{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","
                           "\"Principal\":{\"AWS\":[\"arn:aws:iam::111122223333:role/exists\","
                           "\"arn:aws:iam::111122223333:root\",\"111122223333\","
                           "\"arn:aws:sts::111122223333:assumed-role/exists/s\"]},"
                           "\"Action\":\"sts:AssumeRole\"}}",
                           &opts));
    /* only the user and role ARNs are looked up, once */
    assert_int_equal(calls, 1);
    assert_compile_error(
        "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","
        "\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:role/gone\"},"
        "\"Action\":\"sts:AssumeRole\"}}",
        &opts, ERR_INVALID,
        "Invalid principal in policy: \"AWS\":\"arn:aws:iam::111122223333:role/gone\"");
}

static void test_variable_limit(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_adds(&b,
             "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
             "\"Resource\":\"arn:aws:s3:::b/");
    for (int i = 0; i < POLICY_VARIABLES_MAX; i++)
        buf_adds(&b, "${aws:username}");
    buf_adds(&b, "\"}}");
    policy_free(compile_ok(b.data, &identity_opts));
    buf_setlen(&b, b.len - 3);
    buf_adds(&b, "${aws:userid}\"}}");
    struct policy *p = NULL;
    assert_int_equal(policy_compile(&p, b.data, b.len, &identity_opts), ERR_LIMIT);
    assert_null(p);
    buf_release(&b);
}

/* ---- evaluation helpers ------------------------------------------------------------- */

struct fixture {
    struct policy *identity[8];
    size_t identity_count;
    struct policy_context ctx;
    struct policy_request req;
    struct policy_result result;
};

static void fixture_add(struct fixture *f, const char *doc)
{
    f->identity[f->identity_count++] = compile_ok(doc, &identity_opts);
}

static void fixture_user(struct fixture *f)
{
    policy_context_init(&f->ctx);
    memset(&f->req, 0, sizeof(f->req));
    f->req.principal.type = POLICY_PRINCIPAL_USER;
    f->req.principal.arn = "arn:aws:iam::111122223333:user/alice";
    f->req.principal.account = "111122223333";
    f->req.principal.name = "alice";
    f->req.principal.user_id = "AIDAEXAMPLEALICE0001";
    f->req.context = &f->ctx;
}

static int fixture_eval(struct fixture *f, const char *action, const char *resource)
{
    struct policy_set set = {.identity = (const struct policy *const *)f->identity,
                             .identity_count = f->identity_count};
    f->req.action = action;
    f->req.resource = resource;
    return policy_evaluate(&f->result, &set, &f->req);
}

static void fixture_release(struct fixture *f)
{
    for (size_t i = 0; i < f->identity_count; i++)
        policy_free(f->identity[i]);
    f->identity_count = 0;
}

static void test_context_limits(void **state)
{
    (void)state;
    struct policy_context *ctx = xmalloc(sizeof(*ctx));
    policy_context_init(ctx);
    for (int i = 0; i < POLICY_CONTEXT_MAX; i++)
        assert_int_equal(policy_context_add(ctx, "aws:TagKeys", "k"), 0);
    assert_int_equal(policy_context_add(ctx, "aws:TagKeys", "k"), ERR_LIMIT);
    policy_context_init(ctx);
    char *long_value = xmalloc(POLICY_CONTEXT_VALUE_MAX + 2);
    memset(long_value, 'v', POLICY_CONTEXT_VALUE_MAX + 1);
    long_value[POLICY_CONTEXT_VALUE_MAX + 1] = '\0';
    assert_int_equal(policy_context_add(ctx, "k:k", long_value), ERR_LIMIT);
    long_value[POLICY_CONTEXT_VALUE_MAX] = '\0';
    assert_int_equal(policy_context_add(ctx, "k:k", long_value), 0);
    assert_int_equal(ctx->count, 1);
    free(long_value);
    free(ctx);
}

static void test_bad_requests(void **state)
{
    (void)state;
    struct fixture f = {0};
    fixture_user(&f);
    fixture_add(&f, "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}");
    f.result.decision = POLICY_ALLOW;
    f.result.matched_count = 7;
    assert_int_equal(fixture_eval(&f, "GetObject", "*"), ERR_INVALID);
    assert_int_equal(fixture_eval(&f, ":GetObject", "*"), ERR_INVALID);
    char action[POLICY_ACTION_MAX + 8];
    memset(action, 'a', sizeof(action) - 1);
    action[1] = ':';
    action[sizeof(action) - 1] = '\0';
    assert_int_equal(fixture_eval(&f, action, "*"), ERR_INVALID);
    /* the result is written only on success */
    assert_int_equal(f.result.matched_count, 7);
    action[POLICY_ACTION_MAX] = '\0';
    assert_int_equal(fixture_eval(&f, action, "*"), 0);
    assert_int_equal(f.result.decision, POLICY_ALLOW);
    /* no resource is "*" */
    assert_int_equal(fixture_eval(&f, "s3:ListAllMyBuckets", NULL), 0);
    assert_int_equal(f.result.decision, POLICY_ALLOW);
    fixture_release(&f);
}

static void test_result_details(void **state)
{
    (void)state;
    struct fixture f = {0};
    fixture_user(&f);
    fixture_add(
        &f, "{\"Version\":\"2012-10-17\",\"Statement\":["
            "{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Action\":\"s3:Get*\",\"Resource\":\"*\","
            "\"Condition\":{\"StringEquals\":{\"aws:PrincipalTag/team\":\"web\","
            "\"AWS:principaltag/TEAM\":\"web\"},\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}},"
            "{\"Sid\":\"B\",\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"},"
            "{\"Sid\":\"C\",\"Effect\":\"Allow\",\"Action\":\"ec2:*\",\"Resource\":\"*\","
            "\"Condition\":{\"StringEquals\":{\"ec2:Region\":\"x\"}}}]}");
    fixture_add(
        &f, "{\"Statement\":[{\"Sid\":\"Other\",\"Effect\":\"Deny\",\"Action\":\"s3:GetObject\","
            "\"Resource\":\"arn:aws:s3:::secret/*\"}]}");
    assert_int_equal(fixture_eval(&f, "s3:GetObject", "arn:aws:s3:::public/x"), 0);
    assert_int_equal(f.result.decision, POLICY_ALLOW);
    assert_int_equal(f.result.matched_count, 1);
    assert_int_equal(f.result.matched[0].source, POLICY_SOURCE_IDENTITY);
    assert_int_equal(f.result.matched[0].policy, 0);
    assert_int_equal(f.result.matched[0].statement, 1);
    assert_string_equal(f.result.matched[0].sid, "B");
    assert_false(f.result.matched[0].deny);
    /* the keys statement A lacked, once each whatever their case; not C's:
     * its action did not match */
    assert_int_equal(f.result.missing_count, 2);
    assert_string_equal(f.result.missing[0], "aws:PrincipalTag/team");
    assert_string_equal(f.result.missing[1], "aws:SourceIp");

    assert_int_equal(fixture_eval(&f, "s3:GetObject", "arn:aws:s3:::secret/x"), 0);
    assert_int_equal(f.result.decision, POLICY_EXPLICIT_DENY);
    assert_int_equal(f.result.denied_by, POLICY_SOURCE_IDENTITY);
    assert_int_equal(f.result.matched_count, 2);
    assert_int_equal(f.result.matched[1].policy, 1);
    assert_int_equal(f.result.matched[1].statement, 0);
    assert_true(f.result.matched[1].deny);
    fixture_release(&f);
}

static void test_matches_truncated(void **state)
{
    (void)state;
    struct fixture f = {0};
    struct buf b = BUF_INIT;
    fixture_user(&f);
    buf_adds(&b, "{\"Statement\":[");
    for (int i = 0; i < POLICY_RESULT_MATCHES_MAX + 10; i++)
        buf_addf(&b,
                 "%s{\"Sid\":\"S%d\",\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}",
                 i ? "," : "", i);
    buf_adds(&b, "]}");
    fixture_add(&f, b.data);
    assert_int_equal(fixture_eval(&f, "s3:GetObject", "*"), 0);
    assert_int_equal(f.result.decision, POLICY_ALLOW);
    assert_int_equal(f.result.matched_count, POLICY_RESULT_MATCHES_MAX);
    assert_true(f.result.matched_truncated);
    assert_string_equal(f.result.matched[POLICY_RESULT_MATCHES_MAX - 1].sid, "S63");
    buf_release(&b);
    fixture_release(&f);
}

static void test_explain(void **state)
{
    (void)state;
    struct policy_result r = {0};
    struct buf b = BUF_INIT;
    static const char *const implicit[] = {
        "because no identity-based policy allows the s3:GetObject action",
        "because no resource-based policy allows the s3:GetObject action",
        "because no permissions boundary allows the s3:GetObject action",
        "because no session policy allows the s3:GetObject action",
    };
    static const char *const explicit_deny[] = {
        "with an explicit deny in an identity-based policy",
        "with an explicit deny in a resource-based policy",
        "with an explicit deny in a permissions boundary",
        "with an explicit deny in a session policy",
    };
    for (int i = 0; i < 4; i++) {
        r.denied_by = (enum policy_source)i;
        r.decision = POLICY_IMPLICIT_DENY;
        buf_reset(&b);
        policy_result_explain(&b, &r, "s3:GetObject");
        assert_string_equal(b.data, implicit[i]);
        r.decision = POLICY_EXPLICIT_DENY;
        buf_reset(&b);
        policy_result_explain(&b, &r, "s3:GetObject");
        assert_string_equal(b.data, explicit_deny[i]);
    }
    r.decision = POLICY_ALLOW;
    buf_reset(&b);
    policy_result_explain(&b, &r, "s3:GetObject");
    assert_string_equal(b.data, "");
    buf_release(&b);
}

static void test_derived_keys(void **state)
{
    (void)state;
    struct fixture f = {0};
    fixture_user(&f);
    fixture_add(
        &f, "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
            "\"Resource\":\"*\",\"Condition\":{"
            "\"DateGreaterThanEquals\":{\"aws:CurrentTime\":\"2020-01-01T00:00:00Z\"},"
            "\"NumericLessThan\":{\"aws:EpochTime\":\"1609459200\"},"
            "\"StringEquals\":{\"aws:PrincipalType\":\"User\",\"aws:username\":\"alice\","
            "\"aws:PrincipalArn\":\"arn:aws:iam::111122223333:user/alice\","
            "\"aws:ResourceAccount\":\"111122223333\",\"aws:PrincipalIsAWSService\":\"false\"}}}}");
    /* without a request time aws:CurrentTime and aws:EpochTime are absent */
    assert_int_equal(fixture_eval(&f, "s3:GetObject", "*"), 0);
    assert_int_equal(f.result.decision, POLICY_IMPLICIT_DENY);
    assert_int_equal(f.result.missing_count, 2);
    assert_int_equal(time_parse_iso8601(&f.req.now_ms, "2020-06-01T12:00:00.250Z", 24), 0);
    assert_int_equal(fixture_eval(&f, "s3:GetObject", "*"), 0);
    assert_int_equal(f.result.decision, POLICY_ALLOW);
    assert_int_equal(f.result.missing_count, 0);
    /* the context wins over what the evaluator would supply */
    assert_int_equal(policy_context_add(&f.ctx, "aws:username", "mallory"), 0);
    assert_int_equal(fixture_eval(&f, "s3:GetObject", "*"), 0);
    assert_int_equal(f.result.decision, POLICY_IMPLICIT_DENY);
    fixture_release(&f);
}

static void test_long_variable_values(void **state)
{
    (void)state;
    struct fixture f = {0};
    struct buf resource = BUF_INIT, tag = BUF_INIT;
    fixture_user(&f);
    fixture_add(
        &f, "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
            "\"Resource\":\"arn:aws:s3:::b/${aws:PrincipalTag/a}/${aws:PrincipalTag/a}/*\","
            "\"Condition\":{\"StringLike\":{\"s3:prefix\":\"${aws:PrincipalTag/a}*\"}}}}");
    /* past the evaluator's stack scratch area: the heap takes over */
    for (int i = 0; i < POLICY_CONTEXT_VALUE_MAX; i++)
        buf_addch(&tag, i % 7 == 0 ? '*' : 'x');
    assert_int_equal(policy_context_add(&f.ctx, "aws:PrincipalTag/a", tag.data), 0);
    assert_int_equal(policy_context_add(&f.ctx, "s3:prefix", tag.data), 0);
    buf_addf(&resource, "arn:aws:s3:::b/%s/%s/key", tag.data, tag.data);
    assert_int_equal(fixture_eval(&f, "s3:GetObject", resource.data), 0);
    assert_int_equal(f.result.decision, POLICY_ALLOW);
    /* the value's '*' are literal: a different character there fails */
    resource.data[15] = 'y';
    assert_int_equal(fixture_eval(&f, "s3:GetObject", resource.data), 0);
    assert_int_equal(f.result.decision, POLICY_IMPLICIT_DENY);
    buf_release(&resource);
    buf_release(&tag);
    fixture_release(&f);
}

static void test_invalid_values_never_match(void **state)
{
    (void)state;
    struct fixture f = {0};
    fixture_user(&f);
    fixture_add(
        &f, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"a:*\","
            "\"Resource\":\"*\",\"Condition\":{\"NumericEquals\":{\"k:n\":\"ten\"}}},"
            "{\"Effect\":\"Allow\",\"Action\":\"b:*\",\"Resource\":\"*\","
            "\"Condition\":{\"IpAddress\":{\"k:ip\":\"10.0.0.0/33\"}}},"
            "{\"Effect\":\"Allow\",\"Action\":\"c:*\",\"Resource\":\"*\","
            "\"Condition\":{\"BinaryEquals\":{\"k:b\":\"!!\"}}},"
            "{\"Effect\":\"Allow\",\"Action\":\"d:*\",\"Resource\":\"*\","
            "\"Condition\":{\"NumericNotEquals\":{\"k:n\":\"ten\"}}}]}");
    assert_int_equal(policy_context_add(&f.ctx, "k:n", "10"), 0);
    assert_int_equal(policy_context_add(&f.ctx, "k:ip", "10.1.2.3"), 0);
    assert_int_equal(policy_context_add(&f.ctx, "k:b", "!!"), 0);
    static const char *const denied[] = {"a:x", "b:x", "c:x"};
    for (size_t i = 0; i < ARRAY_SIZE(denied); i++) {
        assert_int_equal(fixture_eval(&f, denied[i], "*"), 0);
        assert_int_equal(f.result.decision, POLICY_IMPLICIT_DENY);
    }
    /* a negated operator holds when nothing matches */
    assert_int_equal(fixture_eval(&f, "d:x", "*"), 0);
    assert_int_equal(f.result.decision, POLICY_ALLOW);
    fixture_release(&f);
}

/* ---- matching primitives ------------------------------------------------------------ */

static bool wild(const char *pat, const char *text)
{
    return pol_wild_match(pat, strlen(pat), text, strlen(text));
}

static void test_wildcards(void **state)
{
    (void)state;
    assert_true(wild("", ""));
    assert_false(wild("", "a"));
    assert_true(wild("*", ""));
    assert_true(wild("a*b*c", "aXbYbZc"));
    assert_false(wild("a*b*c", "aXbYbZ"));
    assert_true(wild("?", "x"));
    assert_false(wild("?", ""));
    assert_true(wild("*?", "x"));
    assert_true(wild("\\*", "*"));
    assert_false(wild("\\*", "x"));
    assert_true(wild("a\\?b", "a?b"));
    assert_false(wild("a\\?b", "axb"));
    assert_true(wild("a\\\\b", "a\\b"));
    /* one backtrack point: a hostile pattern stays linear-ish */
    char text[20001];
    memset(text, 'a', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    int64_t start = clock_mono_ns();
    assert_false(wild("*a*a*a*a*a*a*a*a*a*a*b", text));
    assert_true(clock_mono_ns() - start < INT64_C(2000000000));
}

static void test_dates(void **state)
{
    (void)state;
    struct pol_time t;
    static const struct {
        const char *text;
        int64_t sec;
        int32_t nsec;
    } good[] = {
        {"2020-01-01T00:00:00Z", 1577836800, 0},
        {"2020-01-01", 1577836800, 0},
        {"2020-01", 1577836800, 0},
        {"2020-01-01T01:00:00+01:00", 1577836800, 0},
        {"2019-12-31t23:00:00-01:00", 1577836800, 0},
        {"2020-01-01T00:00:00.5Z", 1577836800, 500000000},
        {"2020-01-01T00:00Z", 1577836800, 0},
        {"1577836800", 1577836800, 0},
        {"1970-01-01T00:00:00Z", 0, 0},
        {"1969-12-31T23:59:59Z", -1, 0},
    };
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        if (pol_parse_date(&t, good[i].text, strlen(good[i].text)) != 0)
            fail_msg("'%s' should parse", good[i].text);
        if (t.sec != good[i].sec || t.nsec != good[i].nsec)
            fail_msg("'%s': %" PRId64 ".%09d", good[i].text, t.sec, t.nsec);
    }
    static const char *const bad[] = {"",
                                      "yesterday",
                                      "2020-13-01",
                                      "2020-00-01",
                                      "2020-01-32",
                                      "2020-01-01T24:00:00Z",
                                      "2020-01-01T00:60Z",
                                      "2020-01-01T00:00:00+1",
                                      "2020-01-01T00:00:00.1234567890Z",
                                      "9223372036854775808",
                                      "2020-01-01 00:00:00Z"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        if (pol_parse_date(&t, bad[i], strlen(bad[i])) == 0)
            fail_msg("'%s' should not parse", bad[i]);
}

static void test_addresses(void **state)
{
    (void)state;
    struct pol_ipnet net, ip;
    assert_int_equal(pol_parse_cidr(&net, "10.1.0.0/16", 11), 0);
    assert_int_equal(pol_parse_ip(&ip, "10.1.255.3", 10), 0);
    assert_true(pol_ipnet_contains(&net, &ip));
    assert_int_equal(pol_parse_ip(&ip, "10.2.0.1", 8), 0);
    assert_false(pol_ipnet_contains(&net, &ip));
    assert_int_equal(pol_parse_cidr(&net, "10.1.2.3/0", 10), 0);
    assert_true(pol_ipnet_contains(&net, &ip));
    /* families never mix */
    assert_int_equal(pol_parse_ip(&ip, "::ffff:10.1.2.3", 15), 0);
    assert_false(pol_ipnet_contains(&net, &ip));
    assert_int_equal(pol_parse_cidr(&net, "2001:db8::/33", 13), 0);
    assert_int_equal(pol_parse_ip(&ip, "2001:db8:7fff::1", 16), 0);
    assert_true(pol_ipnet_contains(&net, &ip));
    assert_int_equal(pol_parse_ip(&ip, "2001:db8:8000::1", 16), 0);
    assert_false(pol_ipnet_contains(&net, &ip));
    static const char *const bad[] = {"",       "10.0.0.0/33", "10.0.0.0/",       "10.0.0/8",
                                      "::/129", "10.0.0.0/8x", "host.example.com"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        assert_int_equal(pol_parse_cidr(&net, bad[i], strlen(bad[i])), -1);
}

static void test_numbers(void **state)
{
    (void)state;
    double v;
    assert_int_equal(pol_parse_number(&v, "10", 2), 0);
    assert_true(v == 10);
    assert_int_equal(pol_parse_number(&v, "-2.5e1", 6), 0);
    assert_true(v == -25);
    assert_int_equal(pol_parse_number(&v, ".5", 2), 0);
    static const char *const bad[] = {"", "inf", "nan", "0x10", " 1", "1 ", "1e", "-", "1e999"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        assert_int_equal(pol_parse_number(&v, bad[i], strlen(bad[i])), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_document_max),
        cmocka_unit_test(test_compile_and_inspect),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_principal_exists),
        cmocka_unit_test(test_variable_limit),
        cmocka_unit_test(test_context_limits),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_result_details),
        cmocka_unit_test(test_matches_truncated),
        cmocka_unit_test(test_explain),
        cmocka_unit_test(test_derived_keys),
        cmocka_unit_test(test_long_variable_values),
        cmocka_unit_test(test_invalid_values_never_match),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
