#include "base/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "aws/model.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/regex.h"

static struct regex *compile_ok(const char *pattern)
{
    struct regex *re = NULL;
    if (regex_compile(&re, pattern, strlen(pattern)) != 0)
        fail_msg("'%s' does not compile: %s", pattern, err_msg());
    assert_non_null(re);
    return re;
}

static bool matches(const char *pattern, const char *text)
{
    struct regex *re = compile_ok(pattern);
    bool matched = false;
    if (regex_match(&matched, re, text, strlen(text)) != 0)
        fail_msg("'%s' on '%s': %s", pattern, text, err_msg());
    regex_free(re);
    return matched;
}

#define assert_match(pattern, text)                                                                \
    do {                                                                                           \
        if (!matches(pattern, text))                                                               \
            fail_msg("'%s' should match '%s'", pattern, text);                                     \
    } while (0)
#define assert_no_match(pattern, text)                                                             \
    do {                                                                                           \
        if (matches(pattern, text))                                                                \
            fail_msg("'%s' should not match '%s'", pattern, text);                                 \
    } while (0)

/* ---- the patterns of the compiled models ---------------------------------------- */

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every distinct pattern of every compiled model, found at run time so new models count. */
static void test_model_patterns_compile(void **state)
{
    (void)state;
    const char **patterns = NULL;
    size_t count = 0, alloc = 0;
    for (size_t s = 0; s < model_service_count; s++) {
        const struct model_service *svc = model_services[s];
        for (uint32_t i = 0; i < svc->shape_count; i++) {
            if (!svc->shapes[i].pattern)
                continue;
            if (count == alloc) {
                alloc = alloc ? alloc * 2 : 256;
                patterns = realloc(patterns, alloc * sizeof(*patterns));
                assert_non_null(patterns);
            }
            patterns[count++] = svc->shapes[i].pattern;
        }
    }
    qsort(patterns, count, sizeof(*patterns), compare_strings);
    size_t distinct = 0, failed = 0;
    for (size_t i = 0; i < count; i++) {
        if (i && !strcmp(patterns[i], patterns[i - 1]))
            continue;
        distinct++;
        struct regex *re = NULL;
        if (regex_compile(&re, patterns[i], strlen(patterns[i])) != 0) {
            print_error("model pattern '%s': %s\n", patterns[i], err_msg());
            failed++;
            continue;
        }
        /* every one must also run, on an empty and a typical value */
        bool matched;
        assert_int_equal(regex_match(&matched, re, "", 0), 0);
        assert_int_equal(regex_match(&matched, re, "abc-123", 7), 0);
        regex_free(re);
    }
    print_message("%zu distinct model patterns (%zu uses), %zu failed to compile\n", distinct,
                  count, failed);
    assert_int_equal(failed, 0);
    assert_true(distinct > 100);
    free(patterns);
}

struct sample {
    const char *service;
    const char *shape;
    const char *value;
    bool valid;
};

/* Values from the AWS documentation of each field, and values it rules out. */
static const struct sample samples[] = {
    {"iam", "roleNameType", "MyRole", true},
    {"iam", "roleNameType", "codebuild-service-role+x=y,z.w@v_1", true},
    {"iam", "roleNameType", "x!", false},
    {"iam", "roleNameType", "my role", false},
    {"iam", "roleNameType", "", false},
    {"iam", "roleNameType", "r\xc3\xb4le", false}, /* \w is ASCII, as in Java */
    {"iam", "pathType", "/", true},
    {"iam", "pathType", "/division_abc/subdivision_xyz/", true},
    {"iam", "pathType", "division_abc/", false},
    {"iam", "pathType", "/a", false},
    {"iam", "pathType", "/a b/", false},
    {"iam", "policyPathType", "/", true},
    {"iam", "policyPathType", "/service-role/", true},
    {"iam", "policyPathType", "//", false},
    {"iam", "tagKeyType", "CostCenter", true},
    {"iam", "tagKeyType", "aws:cloudformation:stack-name", true},
    {"iam", "tagKeyType", "Proj\xc3\xa9t 42 =+-@_./:", true},
    {"iam", "tagKeyType", "a#b", false},
    {"iam", "tagKeyType", "", false},
    {"iam", "tagValueType", "", true},
    {"iam", "tagValueType", "\xe4\xbd\xa0\xe5\xa5\xbd\xe3\x80\x80x",
     true}, /* CJK, ideographic space */
    {"iam", "tagValueType", "SourceIP: 10.0.0.1, UserAgent: aws-cli/2.1.17", false},
    {"iam", "policyDocumentType", "{\n\t\"Version\": \"2012-10-17\",\r\n \"Statement\": []\n}",
     true},
    {"iam", "policyDocumentType", "{\"a\":\"\x01\"}", false},
    {"iam", "policyDocumentType", "caf\xc3\xa9", true},
    {"iam", "policyDocumentType", "\xe2\x82\xac", false}, /* U+20AC is past \u00FF */
    {"iam", "policyVersionIdType", "v1", true},
    {"iam", "policyVersionIdType", "v12.abc-1", true},
    {"iam", "policyVersionIdType", "v0", false},
    {"iam", "accountAliasType", "my-company", true},
    {"iam", "accountAliasType", "my--company", false},
    {"iam", "accountAliasType", "-abc", false},
    {"iam", "accountIdType", "123456789012", true},
    {"iam", "accountIdType", "12345678901", false},
    {"iam", "redirectUrlType", "https://example.com/path?a=b&c=d#frag", true},
    {"iam", "redirectUrlType", "ftp://example.com", false},
    {"sts", "roleSessionNameType", "botocore-session-1700000000", true},
    {"sts", "roleSessionNameType", "bad session", false},
    {"sts", "arnType", "arn:aws:iam::123456789012:role/demo", true},
    {"sts", "arnType", "arn:aws:iam::123456789012:role/\xf0\x9f\x98\x80",
     false}, /* \u10000 is \u1000 0 */
    {"codepipeline", "RoleArn",
     "arn:aws:iam::123456789012:role/service-role/AWSCodePipelineServiceRole", true},
    {"codepipeline", "RoleArn", "arn:aws-us-gov:iam::123456789012:role/x", true},
    {"codepipeline", "RoleArn", "arn:aws:iam::1234:role/x", false},
    {"codepipeline", "PipelineName", "MyFirstPipeline", true},
    {"codepipeline", "PipelineName", "my pipeline", false},
    {"codepipeline", "PipelineExecutionId", "42ee4d10-e4de-a37c-82b7-36c11EXAMPLE", false},
    {"codepipeline", "PipelineExecutionId", "42ee4d10-e4de-a37c-82b7-36c11ea7c0f1", true},
    {"codepipeline", "LambdaFunctionArn", "arn:aws:lambda:us-east-1:123456789012:function:my-fn",
     true},
    {"codebuild", "ProjectName", "my-demo-project", true},
    {"codebuild", "ProjectName", "-starts-with-dash", false},
    {"codebuild", "ProjectName", "a", false},
    {"codecommit", "RepositoryName", "MyDemoRepo", true},
    {"codecommit", "RepositoryName", "my repo", false},
    {"events", "RuleName", "my-scheduled-rule", true},
    {"events", "RuleName", "my rule", false},
    {"events", "EventBusNameOrArn", "default", true},
    {"events", "EventBusNameOrArn", "arn:aws:events:us-east-1:123456789012:event-bus/default",
     true},
    {"events", "EventBusNameOrArn", "arn:aws:events:us-east-1:123456789012:event-bus/", false},
    {"events", "EventSourceName", "aws.partner/example.com/123/source", true},
    {"events", "EventSourceName", "aws.partner/example.com", false},
    {"events", "HeaderKey", "X-Api-Key", true},
    {"events", "HeaderKey", "a,b", true}, /* "+-." is a range, which takes in ',' */
    {"events", "HeaderKey", "a b", false},
    {"events", "HttpsEndpoint", "https%3A%2F%2Fexample.com", true},
    {"events", "SecretsManagerSecretArn",
     "arn:aws:secretsmanager:us-east-1:123456789012:secret:events!connection/a-AbCdEf", false},
    {"events", "SecretsManagerSecretArn",
     "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf", true},
    {"events", "PathParameter", "   ", false},
    {"events", "PathParameter", " x ", true},
    {"logs", "LogGroupName", "/aws/codebuild/my-project", true},
    {"logs", "LogGroupName", "bad group", false},
    {"logs", "LogStreamName", "2024/01/01/[$LATEST]abc", true},
    {"logs", "LogStreamName", "a:b", false},
    {"logs", "LogGroupNameRegexPattern", "^/aws/lambda|^/aws/codebuild", true},
    {"logs", "S3Uri", "s3://my-bucket/exports/", true},
    {"logs", "S3Uri", "s3://My-Bucket", false},
    {"logs", "TagFilterValue", "!*prod*", true},
    {"logs", "MappingVersion", "1.0", true},
    {"logs", "MappingVersion", "1.0.2", true},
    {"logs", "MappingVersion", "1", false},
    {"s3", "CopySource", "awsexamplebucket/reports/january.pdf", true},
    {"s3", "CopySource", "januarypdf", false},
    {"s3", "NonEmptyKmsKeyArnString",
     "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", true},
    {"secretsmanager", "ScheduleExpressionType", "rate(10 days)", true},
    {"secretsmanager", "ScheduleExpressionType", "cron(0 16 1,15 * ? *)", true},
    {"secretsmanager", "RegionType", "us-east-1", true},
    {"secretsmanager", "RegionType", "us-east", false},
    {"sns", "PhoneNumberString", "+15555550100", true},
    {"sns", "PhoneNumberString", "+1555", false},
    {"ssm", "AccountId", "all", true},
    {"ssm", "AccountId", "All", true},
    {"ssm", "AccountId", "123456789012", true},
    {"ssm", "AccountId", "1234", false},
    {"ssm", "InstanceId", "i-1234567890abcdef0", true},
    {"ssm", "InstanceId", "mi-1234567890abcdef0", true},
    {"ssm", "InstanceId", "i-123", false},
    {"ssm", "DocumentName", "AWS-RunShellScript", true},
    {"ssm", "DocumentName", "ab", false},
    {"ssm", "DocumentVersion", "$LATEST", true},
    {"ssm", "DocumentVersion", "12", true},
    {"ssm", "DocumentVersion", "012", false},
    {"ssm", "MaxConcurrency", "10%", true},
    {"ssm", "MaxConcurrency", "0", false},
    {"ssm", "MaxErrors", "0", true},
    {"ssm", "MaxSessionDuration", "1440", true},
    {"ssm", "MaxSessionDuration", "1441", false},
    {"ssm", "ParameterStringFilterKey", "tag:Environment", true},
    {"ssm", "ParameterStringFilterKey", "Name", true},
    {"ssm", "ParameterStringFilterKey", "Names", false},
    {"ssm", "OpsItemDescription", "  x\n", true},
    {"ssm", "OpsItemDescription", " \n\t", false},
    {"ssm", "SessionReason", "debugging a build", true},
    {"ssm", "SessionReason", "line\nbreak", false}, /* '.' stops at line terminators */
    {"ssm", "StringDateTime", "2015-08-30T12:36:00Z", true},
    {"ssm", "StringDateTime", "20150830T123600Z", true},
    {"ssm", "StringDateTime", "2015-08-30T12:36:00.5-05:00", true},
    {"ssm", "StringDateTime", "2015-W05-3", true},
    {"ssm", "StringDateTime", "2015-0830", false},           /* \3: the same separator */
    {"ssm", "StringDateTime", "2015-08-30T12:3600Z", false}, /* \17: likewise */
    {"ssm", "StringDateTime", "201508", false},              /* the lookahead */
    {"ssm", "InventoryItemCaptureTime", "2024-02-29T23:59:59Z", true},
    {"ssm", "InventoryItemCaptureTime", "2024-02-29 23:59:59", false},
    {"ssm", "TargetLocationsURL",
     "https://s3.amazonaws.com/DOC-EXAMPLE-BUCKET/target-locations.json", false},
    {"ssm", "TargetLocationsURL",
     "https://my-bucket.s3.us-east-1.amazonaws.com/target-locations.json", true},
    {"ssm", "InstancePropertyFilterValue", "x", true},
    {"ssm", "InstallOverrideList", "s3://bucket/dir/list.yaml", true},
    {"ssm", "Version", "3.1.1004.0", true},
    {"ssm", "TargetKey", "resource-groups:Name", true},
    {"ssm", "TargetKey", "tag:Env", true},
};

static void test_model_samples(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(samples); i++) {
        const struct sample *s = &samples[i];
        const struct model_service *svc = model_service_find(s->service);
        assert_non_null(svc);
        const struct model_shape *shape = model_shape_find(svc, s->shape);
        if (!shape || !shape->pattern)
            fail_msg("no pattern on %s %s", s->service, s->shape);
        bool got = matches(shape->pattern, s->value);
        if (got != s->valid)
            fail_msg("%s %s '%s' on '%s': expected %s", s->service, s->shape, shape->pattern,
                     s->value, s->valid ? "a match" : "no match");
    }
}

/* ---- Java semantics --------------------------------------------------------------- */

static void test_literals_and_escapes(void **state)
{
    (void)state;
    assert_match("abc", "abc");
    assert_no_match("abc", "abcd"); /* the whole value, as String.matches */
    assert_no_match("abc", "xabc");
    assert_match("a\\.b\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\", "a.b*+?()[]{}|^$\\");
    assert_match("\\t\\n\\r\\f\\a\\e", "\t\n\r\f\a\x1b");
    assert_match("\\x41\\x{42}\\u0043\\0104\\012", "ABCD\n");
    assert_match("\\cA", "\x01");
    assert_match("\\x{1F600}", "\xf0\x9f\x98\x80");
    assert_match("\\uD83D\\uDE00", "\xf0\x9f\x98\x80"); /* a surrogate pair is one code point */
    assert_match("\\Qa.b*\\E+", "a.b**");
    assert_no_match("\\Qa.b\\E", "axb");
    assert_match("\xc3\xa9+", "\xc3\xa9\xc3\xa9");
    assert_match("}]", "}]");
    assert_match("\\d\\D\\s\\S\\w\\W", "1a b_!");
    assert_no_match("\\d", "\xd9\xa3"); /* ARABIC-INDIC DIGIT THREE: \d is ASCII */
    assert_match("\\h\\v", "\t\x0b");
}

static void test_classes(void **state)
{
    (void)state;
    assert_match("[abc]+", "cab");
    assert_no_match("[abc]", "d");
    assert_match("[^abc]", "d");
    assert_no_match("[^abc]", "a");
    assert_match("[a-z0-9-_]+", "a-_9");
    assert_match("[\\w-_]+", "a-_"); /* '-' after a class escape is literal */
    assert_match("[-a]+", "-a");
    assert_match("[a-]+", "-a");
    assert_match("[\\-\\]\\[]+", "-][");
    assert_match("[]a]+", "]a");             /* ']' first is literal */
    assert_match("[a-c[x-z]]+", "bx");       /* union */
    assert_match("[a-z&&[^aeiou]]+", "bcd"); /* intersection */
    assert_no_match("[a-z&&[^aeiou]]", "e");
    assert_match("[a-z&&def]", "e");
    assert_match("[\\p{L}\\p{N}]+", "\xce\xb1\xe2\x85\xa0"
                                    "3"); /* alpha, roman numeral one, 3 */
    assert_match("\\p{Lu}\\p{Ll}", "Ab");
    assert_match("\\p{IsL}", "x");
    assert_match("\\pL\\PL", "x1");
    assert_match("\\p{Z}", "\xe3\x80\x80");
    assert_no_match("\\p{Z}", "\t"); /* tab is Cc, not a separator */
    assert_match("\\p{Cntrl}\\p{Print}\\p{Punct}\\p{Alnum}\\p{XDigit}", "\x07 !aF");
    assert_no_match("\\p{Print}", "\xc3\xa9"); /* POSIX classes are ASCII */
    assert_match("[\\x00-\\x1F]", "\x1f");
    assert_match("[^\\x00-\\x1F\\x7F]+", "ok \xc3\xa9");
    assert_no_match("[^\\x00-\\x1F\\x7F]+", "no\x7f");
    assert_match("[+-.]", ","); /* a range, not three characters */
    assert_match("[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF]+",
                 "a\xf0\x9f\x98\x80");
    assert_match("[\\u10000]", "0"); /* \u takes four digits: \u1000 then '0' */
    assert_no_match("[\\u10000]", "\xf0\x90\x80\x80");
}

static void test_anchors_dot_and_lines(void **state)
{
    (void)state;
    assert_match("^abc$", "abc");
    assert_no_match("^abc$",
                    "abc\n"); /* $ may sit before a final newline, the match may not end there */
    assert_match("abc$\\n", "abc\n");
    assert_match("abc$\\r\\n", "abc\r\n");
    assert_no_match("abc$\\n\\n", "abc\n\n");
    assert_match("\\Aabc\\z", "abc");
    assert_match("abc\\Z\\n", "abc\n");
    assert_no_match(".", "\n");
    assert_no_match(".", "\r");
    assert_no_match(".", "\xe2\x80\xa8");
    assert_match(".", "\xc2\xa0");
    assert_match("(?s).", "\n");
    assert_match("(?s:.)a", "\na");
    assert_no_match("(?s:.).", "\n\n");
    assert_match("(?m)a$\\n^b", "a\nb");
    assert_no_match("a$\\n^b", "a\nb");
    assert_no_match("(?m)^", ""); /* Java has no multiline ^ at the end of input */
    assert_match("^", "");
    assert_match("\\bab\\b", "ab");
    assert_match("a\\B.", "ab");
    assert_no_match("a\\b.", "ab");
    assert_match(".\\b.", "a-");
    /* Java's \b (before JDK 19) counts letters beyond ASCII as word characters */
    assert_no_match("x\\b\xc3\xa9", "x\xc3\xa9");
    assert_match("\xc3\xa9\\b-", "\xc3\xa9-");
}

static void test_groups_and_quantifiers(void **state)
{
    (void)state;
    assert_match("(ab)+", "ababab");
    assert_no_match("(ab)+", "aba");
    assert_match("(?:a|bc)*d", "abcad");
    assert_match("a{3}", "aaa");
    assert_no_match("a{3}", "aa");
    assert_match("a{2,}", "aaaaa");
    assert_no_match("a{2,}", "a");
    assert_match("a{2,4}", "aaaa");
    assert_no_match("a{2,4}", "aaaaa");
    assert_match("a{0}b", "b");
    assert_match("a*?b+?c??", "aabb");
    assert_match("(a|)+", "aaa");
    assert_match("()*", "");
    assert_match("(a*)*", "aaa");
    assert_match("(a|ab)(c|bcd)(d*)", "abcd");
    assert_match("x|", "");
    assert_match("(?i)hello", "HeLLo");
    assert_match("(?i)[a-c]+", "AbC");
    assert_no_match("(?i)[^a]", "A");
    assert_match("a(?i)b|c", "C");
    assert_no_match("(?i:a)b", "AB");
    assert_match("(?i)\\u00e9", "\xc3\xa9");
    assert_no_match("(?i)\\u00e9", "\xc3\x89"); /* ASCII-only folding without (?u) */
    assert_match("(?<year>\\d{4})-\\k<year>", "2024-2024");
    assert_no_match("(?<year>\\d{4})-\\k<year>", "2024-2025");
    assert_match("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10", "abcdefghijj");
    assert_match("(a)\\10", "aa0");   /* only one group: \1 then '0' */
    assert_no_match("(a)|\\1b", "b"); /* an unset group fails the reference */
    assert_match("(?i)(a)\\1", "aA");
    assert_match("(a|b)*\\1", "abb");
    assert_no_match("(a|b)*\\1", "aba");
    assert_no_match("\\2(a)", "a"); /* a group not yet defined is unset */
}

static void test_lookarounds(void **state)
{
    (void)state;
    assert_match("(?=a)a", "a");
    assert_no_match("(?=b)a", "a");
    assert_match("(?!b)a", "a");
    assert_match("a(?=b)b", "ab");
    assert_match("((?!ab).)*", "bba");
    assert_no_match("((?!ab).)*", "aaba");
    assert_no_match("((?!ab).)*", "aab");
    assert_match("a(?<=a)b", "ab");
    assert_no_match("a(?<!a)b", "ab");
    assert_match("(?<=^)a", "a");
    assert_match("\\d+(?<!5)", "1234");
    assert_no_match("\\d+(?<!5)", "12345");
    assert_match("(?=(?!x).)a", "a"); /* nested */
    assert_no_match("(?=.*(?<=z)).*", "abc");
    assert_match("(?=.*(?<=z)).*", "abz");
    assert_match("(?=a(?=b))ab", "ab");
    assert_match("^(?!\\s*$).+", "x");
}

struct bad_pattern {
    const char *pattern;
    int kind;
    const char *needle;
};

static void test_compile_errors(void **state)
{
    (void)state;
    static const struct bad_pattern bad[] = {
        {"(", ERR_INVALID, "offset 0: unclosed group"},
        {"a)", ERR_INVALID, "offset 1: unmatched closing ')'"},
        {"[a", ERR_INVALID, "offset 0: unclosed character class"},
        {"[z-a]", ERR_INVALID, "offset 1: illegal character range"},
        {"[a-\\d]", ERR_INVALID, "illegal character range"},
        {"a{2,1}", ERR_INVALID, "illegal repetition range"},
        {"a{", ERR_INVALID, "offset 2: illegal repetition"},
        {"{1}", ERR_INVALID, "offset 0: illegal repetition"},
        {"*a", ERR_INVALID, "offset 0: dangling meta character '*'"},
        {"a**", ERR_INVALID, "offset 2: dangling meta character '*'"},
        {"(?i)+", ERR_INVALID, "dangling meta character '+'"},
        {"a++", ERR_INVALID, "possessive quantifiers are not supported"},
        {"(?>a)", ERR_INVALID, "atomic groups are not supported"},
        {"(?x)a", ERR_INVALID, "unsupported inline flag 'x'"},
        {"(?u)a", ERR_INVALID, "unsupported inline flag 'u'"},
        {"\\y", ERR_INVALID, "illegal or unsupported escape sequence '\\y'"},
        {"\\G", ERR_INVALID, "'\\G'"},
        {"\\R", ERR_INVALID, "'\\R'"},
        {"[\\1]", ERR_INVALID, "'\\1'"},
        {"\\", ERR_INVALID, "offset 0: unexpected end after '\\'"},
        {"\\x4", ERR_INVALID, "illegal hexadecimal escape sequence"},
        {"\\x{110000}", ERR_INVALID, "hexadecimal codepoint is too big"},
        {"\\u12", ERR_INVALID, "illegal hexadecimal escape sequence"},
        {"\\08", ERR_INVALID, "illegal octal escape sequence"},
        {"\\p{IsLatin}", ERR_INVALID, "unsupported character property 'IsLatin'"},
        {"\\p{InGreek}", ERR_INVALID, "unsupported character property"},
        {"\\p{L", ERR_INVALID, "unclosed character family"},
        {"\\k<nope>", ERR_INVALID, "named capturing group <nope> does not exist"},
        {"(?<n>a)(?<n>b)", ERR_INVALID, "already defined"},
        {"(.*)\\1", ERR_INVALID, "backreference to group 1"},
        {"(?=(a))\\1", ERR_INVALID, "inside a lookaround"},
        {"(?=\\1)(a)", ERR_INVALID, "backreferences inside lookarounds"},
        {"(a)(b)(c)(d)(e)\\1\\2\\3\\4\\5", ERR_LIMIT, "more than 4 groups"},
        {"a{1000001}", ERR_LIMIT, "repetition count too large"},
        {"(a{1000}){1000}", ERR_LIMIT, "instructions"},
        {"\xff", ERR_INVALID, "not valid UTF-8"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct regex *re = NULL;
        int rc = regex_compile(&re, bad[i].pattern, strlen(bad[i].pattern));
        if (rc != bad[i].kind)
            fail_msg("'%s': expected %d, got %d (%s)", bad[i].pattern, bad[i].kind, rc, err_msg());
        assert_null(re);
        if (!strstr(err_msg(), bad[i].needle))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i].pattern, err_msg(), bad[i].needle);
    }

    char deep[2 * (REGEX_NESTING_MAX + 1) + 2];
    size_t k = 0;
    for (int i = 0; i <= REGEX_NESTING_MAX; i++)
        deep[k++] = '(';
    deep[k++] = 'a';
    for (int i = 0; i <= REGEX_NESTING_MAX; i++)
        deep[k++] = ')';
    deep[k] = '\0';
    struct regex *re = NULL;
    assert_int_equal(regex_compile(&re, deep, k), ERR_LIMIT);
    assert_non_null(strstr(err_msg(), "nested too deeply"));
    deep[k - 1] = '\0'; /* one level less is allowed */
    assert_match(deep + 1, "a");

    char big[REGEX_PATTERN_MAX + 2];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(regex_compile(&re, big, strlen(big)), ERR_LIMIT);
    assert_int_equal(regex_compile(&re, big, REGEX_PATTERN_MAX), 0);
    assert_true(regex_matches(re, big, REGEX_PATTERN_MAX));
    regex_free(re);
    regex_free(NULL);
}

static void test_utf8_input(void **state)
{
    (void)state;
    assert_match(".{3}", "\xc3\xa9\xf0\x9f\x98\x80z"); /* code points, not bytes */
    assert_no_match(".{3}", "abcd");
    assert_match("\\uFFFD\\uFFFD", "\xff\xfe"); /* malformed bytes read as U+FFFD */
    assert_match("[^a]", "\xc3");               /* a cut-off sequence too */
    assert_no_match("[\\x00-\\x7F]*", "ab\x80");
    /* the same on the single-class fast path and in the VM */
    assert_match("^.{1,3}$", "\xf0\x9f\x98\x80\xf0\x9f\x98\x80");
    assert_match("(?:.{1,3})x", "\xf0\x9f\x98\x80\xf0\x9f\x98\x80x");
    struct regex *re = compile_ok("a.c");
    assert_true(regex_matches(re, "a\0c", 3)); /* NUL is an ordinary character */
    regex_free(re);
}

static double seconds_since(int64_t start)
{
    return (double)(clock_mono_ns() - start) / 1e9;
}

/* Patterns that take a backtracking engine exponential or quadratic time. */
static void test_pathological_inputs(void **state)
{
    (void)state;
    size_t n = 100000;
    char *text = malloc(n + 2);
    assert_non_null(text);
    memset(text, 'a', n);
    text[n] = '\0';
    static const struct {
        const char *pattern;
        bool matched;
    } cases[] = {
        {"(a*)*b", false},        {"(a|a)*b", false},       {"(a|aa)*c", false},
        {"(a+)+$", true},         {"(.*)*x", false},        {"(x+x+)+y|a*", true},
        {"^(\\w+\\s?)*$", true},  {"((?!b).)*", true},      {"(?=.*b).*", false},
        {"(a?){50}a{50}", false}, {"(?:a|a)*(?<!b)", true}, {"^.{1,100000}$", true},
        {"[\\w+=,.@-]+", true},   {"([ab]?)\\1*c", false},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct regex *re = compile_ok(cases[i].pattern);
        int64_t start = clock_mono_ns();
        bool matched = !cases[i].matched;
        assert_int_equal(regex_match(&matched, re, text, n), 0);
        double took = seconds_since(start);
        if (matched != cases[i].matched)
            fail_msg("'%s' on %zu a's: expected %d", cases[i].pattern, n, cases[i].matched);
        /* generous for sanitizer builds; a backtracker takes hours or years */
        if (took > 5.0)
            fail_msg("'%s' took %.2fs on %zu characters", cases[i].pattern, took, n);
        regex_free(re);
    }
    text[n - 1] = '!';
    struct regex *re = compile_ok("^(\\w+\\s?)*$");
    assert_false(regex_matches(re, text, n));
    regex_free(re);
    free(text);
}

/* States that differ by captured text are bounded; past the bound the match says so. */
static void test_backref_state_limit(void **state)
{
    (void)state;
    struct regex *re = compile_ok("(?:(.)|(.))*\\1\\2");
    char text[200];
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = (char)('!' + i % 90);
    bool matched = true;
    assert_int_equal(regex_match(&matched, re, text, sizeof(text)), ERR_LIMIT);
    assert_true(matched); /* not written on failure */
    assert_false(regex_matches(re, text, sizeof(text)));
    assert_true(regex_matches(re, "abab", 4));
    assert_true(regex_matches(re, "abba", 4));
    assert_false(regex_matches(re, "abbb", 4));
    regex_free(re);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_patterns_compile),
        cmocka_unit_test(test_model_samples),
        cmocka_unit_test(test_literals_and_escapes),
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_anchors_dot_and_lines),
        cmocka_unit_test(test_groups_and_quantifiers),
        cmocka_unit_test(test_lookarounds),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_utf8_input),
        cmocka_unit_test(test_pathological_inputs),
        cmocka_unit_test(test_backref_state_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
