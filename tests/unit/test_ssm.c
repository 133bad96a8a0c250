/*
 * The SSM Parameter Store handlers, called in process through the operation
 * table as the server calls them: versions and overwrite, selectors,
 * SecureString sealing, names and hierarchies, limits, paths and filters,
 * history, labels and tags.
 */
#include "base/common.h"
#include "aws/api.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"
#include "server/services.h"
#include "services/common/record.h"
#include "services/ssm/ssm.h"
#include "store/master_key.h"
#include "store/store.h"
#include "iam_fixture.h"

#include <setjmp.h>

#include <cmocka.h>

#define ACCOUNT IAM_FIXTURE_ACCOUNT

struct fixture {
    struct iam_fixture *iam;
    struct store *st;
    struct master_key key;
    char code[128];
    char message[1024];
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    if (iam_fixture_open(&f->iam, "ssm") < 0)
        return -1;
    f->st = f->iam->st;
    random_bytes(f->key.key, sizeof(f->key.key));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    iam_fixture_close(f->iam);
    free(f);
    return 0;
}

/* Runs an ssm operation as the admin; `in` is consumed. Records the error. */
static int call(struct fixture *f, const char *op, json_t *in, json_t **out)
{
    struct iam_fixture_result res;
    int rc = iam_fixture_invoke(&res, f->iam, NULL, "ssm", op, in, &f->key, out);
    if (!res.found)
        fail_msg("no such operation %s", op);
    snprintf(f->code, sizeof(f->code), "%s", res.code);
    snprintf(f->message, sizeof(f->message), "%s", res.message);
    if (rc == 0)
        assert_true(res.authorized);
    return rc;
}

static json_t *ok(struct fixture *f, const char *op, json_t *in)
{
    json_t *out = NULL;
    if (call(f, op, in, &out) < 0)
        fail_msg("%s: %s %s", op, f->code, f->message);
    return out ? out : json_object();
}

static void expect_error(struct fixture *f, const char *op, json_t *in, const char *code)
{
    json_t *out = NULL;
    int rc = call(f, op, in, &out);
    json_decref(out);
    if (rc == 0)
        fail_msg("%s succeeded, expected %s", op, code);
    assert_string_equal(f->code, code);
}

static int64_t put(struct fixture *f, const char *name, const char *value, const char *type,
                   bool overwrite)
{
    json_t *out = ok(f, "PutParameter",
                     json_pack("{s:s, s:s, s:s, s:b}", "Name", name, "Value", value, "Type", type,
                               "Overwrite", overwrite));
    int64_t v = json_integer_value(json_object_get(out, "Version"));
    json_decref(out);
    return v;
}

/* GetParameter's Value for `name` (a selector allowed); caller frees. */
static char *get_value(struct fixture *f, const char *name, bool decrypt)
{
    json_t *out =
        ok(f, "GetParameter", json_pack("{s:s, s:b}", "Name", name, "WithDecryption", decrypt));
    char *v =
        xstrdup(json_string_value(json_object_get(json_object_get(out, "Parameter"), "Value")));
    json_decref(out);
    return v;
}

static void test_operation_table(void **state)
{
    (void)state;
    const struct api_service *svc = services_find("ssm");
    assert_non_null(svc);
    assert_true(svc->operation_count > 0);
    for (size_t i = 1; i < svc->operation_count; i++)
        assert_true(strcmp(svc->operations[i - 1].name, svc->operations[i].name) < 0);
    for (size_t i = 0; i < svc->operation_count; i++)
        assert_non_null(model_operation_find(model_service_find("ssm"), svc->operations[i].name,
                                             strlen(svc->operations[i].name)));
}

static void test_put_get_versions(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(put(f, "/app/db/host", "one", "String", false), 1);
    expect_error(
        f, "PutParameter",
        json_pack("{s:s, s:s, s:s}", "Name", "/app/db/host", "Value", "x", "Type", "String"),
        "ParameterAlreadyExists");
    assert_int_equal(put(f, "/app/db/host", "two", "String", true), 2);
    char *v = get_value(f, "/app/db/host", false);
    assert_string_equal(v, "two");
    free(v);
    v = get_value(f, "/app/db/host:1", false);
    assert_string_equal(v, "one");
    free(v);

    json_t *out = ok(f, "GetParameter", json_pack("{s:s}", "Name", "/app/db/host:1"));
    json_t *p = json_object_get(out, "Parameter");
    assert_string_equal(json_string_value(json_object_get(p, "Name")), "/app/db/host");
    assert_string_equal(json_string_value(json_object_get(p, "Selector")), ":1");
    assert_string_equal(json_string_value(json_object_get(p, "ARN")),
                        "arn:aws:ssm:us-east-1:" ACCOUNT ":parameter/app/db/host");
    assert_string_equal(json_string_value(json_object_get(p, "DataType")), "text");
    json_decref(out);

    expect_error(f, "GetParameter", json_pack("{s:s}", "Name", "/app/db/host:9"),
                 "ParameterVersionNotFound");
    expect_error(f, "GetParameter", json_pack("{s:s}", "Name", "/missing"), "ParameterNotFound");

    /* No leading slash: the ARN still has exactly one. */
    put(f, "plain", "p", "StringList", false);
    out = ok(f, "GetParameter", json_pack("{s:s}", "Name", "plain"));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(out, "Parameter"), "ARN")),
        "arn:aws:ssm:us-east-1:" ACCOUNT ":parameter/plain");
    json_decref(out);

    out = ok(f, "GetParameters",
             json_pack("{s:[s, s, s]}", "Names", "plain", "/app/db/host:2", "/nope"));
    assert_int_equal(json_array_size(json_object_get(out, "Parameters")), 2);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(out, "InvalidParameters"), 0)), "/nope");
    json_decref(out);

    /* Deleting forgets the versions: a new parameter starts at 1. */
    json_decref(ok(f, "DeleteParameter", json_pack("{s:s}", "Name", "/app/db/host")));
    expect_error(f, "DeleteParameter", json_pack("{s:s}", "Name", "/app/db/host"),
                 "ParameterNotFound");
    assert_int_equal(put(f, "/app/db/host", "again", "String", false), 1);
    out = ok(f, "DeleteParameters", json_pack("{s:[s, s]}", "Names", "/app/db/host", "/gone"));
    assert_int_equal(json_array_size(json_object_get(out, "DeletedParameters")), 1);
    assert_int_equal(json_array_size(json_object_get(out, "InvalidParameters")), 1);
    json_decref(out);
}

static void test_secure_string(void **state)
{
    struct fixture *f = *state;
    put(f, "/secret/pw", "hunter2-marker", "SecureString", false);
    char *v = get_value(f, "/secret/pw", true);
    assert_string_equal(v, "hunter2-marker");
    free(v);
    v = get_value(f, "/secret/pw", false);
    assert_null(strstr(v, "hunter2"));
    free(v);

    /* At rest only the sealed value, and it opens only as this record's. */
    json_t *rec = NULL;
    assert_int_equal(
        record_get(&rec, NULL, f->st, NULL, "ssm.parameter", ACCOUNT "/us-east-1", "/secret/pw"),
        0);
    char *text = json_dumps(rec, 0);
    assert_null(strstr(text, "hunter2"));
    free(text);
    json_t *ver = json_array_get(json_object_get(rec, "Versions"), 0);
    assert_string_equal(json_string_value(json_object_get(ver, "KeyId")), "alias/aws/ssm");
    const char *sealed = json_string_value(json_object_get(ver, "Sealed"));
    struct buf plain = BUF_INIT;
    assert_int_equal(master_key_open(&plain, &f->key, "ssm/" ACCOUNT "/us-east-1/secret/pw/1",
                                     sealed, strlen(sealed)),
                     ERR_INVALID);
    assert_int_equal(master_key_open(&plain, &f->key, "ssm/" ACCOUNT "/us-east-1//secret/pw/1",
                                     sealed, strlen(sealed)),
                     0);
    buf_release(&plain);
    json_decref(rec);

    expect_error(f, "PutParameter",
                 json_pack("{s:s, s:s, s:s, s:s}", "Name", "/plain/k", "Value", "v", "Type",
                           "String", "KeyId", "alias/x"),
                 "ValidationException");
    /* Overwrite keeps the type and the key. */
    json_decref(
        ok(f, "PutParameter",
           json_pack("{s:s, s:s, s:b}", "Name", "/secret/pw", "Value", "second", "Overwrite", 1)));
    v = get_value(f, "/secret/pw:2", true);
    assert_string_equal(v, "second");
    free(v);
}

static void test_names_and_limits(void **state)
{
    struct fixture *f = *state;
    const char *bad[] = {"aws-thing", "/ssm/x", "SSM", "a b", "rel/path", "/a//b", "/a/", ""};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        expect_error(f, "PutParameter",
                     json_pack("{s:s, s:s, s:s}", "Name", bad[i], "Value", "v", "Type", "String"),
                     "ValidationException");
    put(f, "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15", "deep", "String", false);
    expect_error(f, "PutParameter",
                 json_pack("{s:s, s:s, s:s}", "Name", "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16",
                           "Value", "v", "Type", "String"),
                 "HierarchyLevelLimitExceededException");
    expect_error(f, "PutParameter", json_pack("{s:s, s:s}", "Name", "/untyped", "Value", "v"),
                 "ValidationException");

    char big[8194];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[4097] = '\0';
    expect_error(f, "PutParameter",
                 json_pack("{s:s, s:s, s:s}", "Name", "/big", "Value", big, "Type", "String"),
                 "ValidationException");
    json_t *out = ok(f, "PutParameter",
                     json_pack("{s:s, s:s, s:s, s:s}", "Name", "/big", "Value", big, "Type",
                               "String", "Tier", "Intelligent-Tiering"));
    assert_string_equal(json_string_value(json_object_get(out, "Tier")), "Advanced");
    json_decref(out);
    expect_error(f, "PutParameter",
                 json_pack("{s:s, s:s, s:s, s:b}", "Name", "/big", "Value", "small", "Tier",
                           "Standard", "Overwrite", 1),
                 "ValidationException");
    big[4097] = 'x';
    expect_error(f, "PutParameter",
                 json_pack("{s:s, s:s, s:b}", "Name", "/big", "Value", big, "Overwrite", 1),
                 "ValidationException");

    expect_error(f, "PutParameter",
                 json_pack("{s:s, s:s, s:s, s:s}", "Name", "/pat", "Value", "abc", "Type", "String",
                           "AllowedPattern", "^\\d+$"),
                 "ParameterPatternMismatchException");
    expect_error(f, "PutParameter",
                 json_pack("{s:s, s:s, s:s, s:s}", "Name", "/pat", "Value", "abc", "Type", "String",
                           "AllowedPattern", "(unclosed"),
                 "InvalidAllowedPatternException");
    put(f, "/tagged", "v", "String", false);
    expect_error(f, "PutParameter",
                 json_pack("{s:s, s:s, s:b, s:[{s:s, s:s}]}", "Name", "/tagged", "Value", "w",
                           "Overwrite", 1, "Tags", "Key", "a", "Value", "b"),
                 "ValidationException");
    expect_error(f, "PutParameter",
                 json_pack("{s:s, s:s, s:s, s:s}", "Name", "/dt", "Value", "v", "Type", "String",
                           "DataType", "Text"),
                 "ValidationException");
}

static void test_version_limit(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 100; i++)
        put(f, "/many", "v", "String", i > 0);
    /* The 101st drops version 1 ... */
    assert_int_equal(put(f, "/many", "v", "String", true), 101);
    expect_error(f, "GetParameter", json_pack("{s:s}", "Name", "/many:1"),
                 "ParameterVersionNotFound");
    /* ... unless the oldest carries a label. */
    json_decref(ok(
        f, "LabelParameterVersion",
        json_pack("{s:s, s:i, s:[s]}", "Name", "/many", "ParameterVersion", 2, "Labels", "keep")));
    expect_error(f, "PutParameter",
                 json_pack("{s:s, s:s, s:b}", "Name", "/many", "Value", "v", "Overwrite", 1),
                 "ParameterMaxVersionLimitExceeded");
}

/* The 10,000 parameters of an account and region, filled in directly. */
static void test_parameter_limit(void **state)
{
    struct fixture *f = *state;
    struct store_tx *tx = NULL;
    assert_int_equal(store_tx_begin(&tx, f->st), 0);
    for (int i = 0; i < 10000; i++) {
        char name[32];
        snprintf(name, sizeof(name), "/fill/p%05d", i);
        json_t *rec = json_pack("{s:s, s:{}, s:[]}", "Name", name, "Tags", "Versions");
        assert_int_equal(record_insert(f->st, tx, "ssm.parameter", ACCOUNT "/us-east-1", name, rec),
                         0);
        json_decref(rec);
    }
    assert_int_equal(store_tx_commit(tx), 0);
    expect_error(f, "PutParameter",
                 json_pack("{s:s, s:s, s:s}", "Name", "/one-more", "Value", "v", "Type", "String"),
                 "ParameterLimitExceeded");
    json_decref(ok(f, "DeleteParameter", json_pack("{s:s}", "Name", "/fill/p00000")));
    put(f, "/one-more", "v", "String", false);
}

static size_t page_names(json_t *out, char *joined, size_t size)
{
    json_t *params = json_object_get(out, "Parameters");
    size_t i;
    json_t *p;
    joined[0] = '\0';
    json_array_foreach(params, i, p)
    {
        size_t len = strlen(joined);
        snprintf(joined + len, size - len, "%s%s", len ? "," : "",
                 json_string_value(json_object_get(p, "Name")));
    }
    return json_array_size(params);
}

static void test_by_path_and_describe(void **state)
{
    struct fixture *f = *state;
    put(f, "/svc/a", "1", "String", false);
    put(f, "/svc/b", "2", "SecureString", false);
    put(f, "/svc/sub/c", "3", "String", false);
    put(f, "/svcx", "4", "String", false);
    put(f, "top", "5", "String", false);
    char names[1024];

    json_t *out = ok(f, "GetParametersByPath", json_pack("{s:s}", "Path", "/svc"));
    page_names(out, names, sizeof(names));
    assert_string_equal(names, "/svc/a,/svc/b");
    json_decref(out);

    out = ok(f, "GetParametersByPath",
             json_pack("{s:s, s:b, s:i}", "Path", "/svc/", "Recursive", 1, "MaxResults", 2));
    page_names(out, names, sizeof(names));
    assert_string_equal(names, "/svc/a,/svc/b");
    const char *token = json_string_value(json_object_get(out, "NextToken"));
    assert_non_null(token);
    json_t *out2 =
        ok(f, "GetParametersByPath",
           json_pack("{s:s, s:b, s:s}", "Path", "/svc", "Recursive", 1, "NextToken", token));
    page_names(out2, names, sizeof(names));
    assert_string_equal(names, "/svc/sub/c");
    assert_null(json_object_get(out2, "NextToken"));
    json_decref(out2);
    json_decref(out);

    out = ok(f, "GetParametersByPath",
             json_pack("{s:s, s:b, s:[{s:s, s:[s]}]}", "Path", "/", "Recursive", 1,
                       "ParameterFilters", "Key", "Type", "Values", "SecureString"));
    page_names(out, names, sizeof(names));
    assert_string_equal(names, "/svc/b");
    json_decref(out);
    expect_error(f, "GetParametersByPath",
                 json_pack("{s:s, s:[{s:s, s:[s]}]}", "Path", "/", "ParameterFilters", "Key",
                           "Name", "Values", "x"),
                 "InvalidFilterKey");
    expect_error(f, "GetParametersByPath", json_pack("{s:s}", "Path", "svc"),
                 "ValidationException");

    out = ok(f, "DescribeParameters",
             json_pack("{s:[{s:s, s:s, s:[s]}]}", "ParameterFilters", "Key", "Name", "Option",
                       "BeginsWith", "Values", "/svc"));
    page_names(out, names, sizeof(names));
    assert_string_equal(names, "/svc/a,/svc/b,/svc/sub/c,/svcx");
    json_t *b = json_array_get(json_object_get(out, "Parameters"), 1);
    assert_string_equal(json_string_value(json_object_get(b, "KeyId")), "alias/aws/ssm");
    json_decref(out);
    out = ok(f, "DescribeParameters",
             json_pack("{s:[{s:s, s:s, s:[s]}]}", "ParameterFilters", "Key", "Path", "Option",
                       "OneLevel", "Values", "/svc"));
    page_names(out, names, sizeof(names));
    assert_string_equal(names, "/svc/a,/svc/b");
    json_decref(out);
    out = ok(f, "DescribeParameters",
             json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Key", "Name", "Values", "top"));
    page_names(out, names, sizeof(names));
    assert_string_equal(names, "top");
    json_decref(out);
    expect_error(f, "DescribeParameters",
                 json_pack("{s:[{s:s, s:s, s:[s]}]}", "ParameterFilters", "Key", "Type", "Option",
                           "BeginsWith", "Values", "S"),
                 "InvalidFilterOption");
}

static void test_history_and_labels(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 3; i++)
        put(f, "/h", i == 0 ? "a" : i == 1 ? "b" : "c", "SecureString", i > 0);
    json_t *out =
        ok(f, "GetParameterHistory",
           json_pack("{s:s, s:b, s:i}", "Name", "/h", "WithDecryption", 1, "MaxResults", 2));
    json_t *params = json_object_get(out, "Parameters");
    assert_int_equal(json_array_size(params), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(params, 1), "Value")),
                        "b");
    const char *token = json_string_value(json_object_get(out, "NextToken"));
    assert_non_null(token);
    json_t *out2 =
        ok(f, "GetParameterHistory",
           json_pack("{s:s, s:b, s:s}", "Name", "/h", "WithDecryption", 1, "NextToken", token));
    params = json_object_get(out2, "Parameters");
    assert_int_equal(json_array_size(params), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(params, 0), "Version")), 3);
    json_decref(out2);
    json_decref(out);

    out = ok(f, "LabelParameterVersion",
             json_pack("{s:s, s:i, s:[s, s, s]}", "Name", "/h", "ParameterVersion", 1, "Labels",
                       "prod", "1bad", "awsx"));
    assert_int_equal(json_array_size(json_object_get(out, "InvalidLabels")), 2);
    json_decref(out);
    char *v = get_value(f, "/h:prod", true);
    assert_string_equal(v, "a");
    free(v);
    /* A label moves to the version it is put on. */
    json_decref(
        ok(f, "LabelParameterVersion", json_pack("{s:s, s:[s]}", "Name", "/h", "Labels", "prod")));
    v = get_value(f, "/h:prod", true);
    assert_string_equal(v, "c");
    free(v);
    expect_error(f, "GetParameter", json_pack("{s:s}", "Name", "/h:staging"), "ParameterNotFound");
    expect_error(f, "LabelParameterVersion",
                 json_pack("{s:s, s:i, s:[s]}", "Name", "/h", "ParameterVersion", 7, "Labels", "x"),
                 "ParameterVersionNotFound");
    out = ok(f, "UnlabelParameterVersion",
             json_pack("{s:s, s:i, s:[s, s]}", "Name", "/h", "ParameterVersion", 3, "Labels",
                       "prod", "other"));
    assert_int_equal(json_array_size(json_object_get(out, "RemovedLabels")), 1);
    assert_int_equal(json_array_size(json_object_get(out, "InvalidLabels")), 1);
    json_decref(out);
}

static void test_tags(void **state)
{
    struct fixture *f = *state;
    json_decref(ok(f, "PutParameter",
                   json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "Name", "/t", "Value", "v", "Type",
                             "String", "Tags", "Key", "team", "Value", "a")));
    json_decref(ok(f, "AddTagsToResource",
                   json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "ResourceType", "Parameter",
                             "ResourceId", "/t", "Tags", "Key", "env", "Value", "dev")));
    json_decref(ok(f, "RemoveTagsFromResource",
                   json_pack("{s:s, s:s, s:[s]}", "ResourceType", "Parameter", "ResourceId", "/t",
                             "TagKeys", "team")));
    json_t *out = ok(f, "ListTagsForResource",
                     json_pack("{s:s, s:s}", "ResourceType", "Parameter", "ResourceId", "/t"));
    json_t *list = json_object_get(out, "TagList");
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "Key")), "env");
    json_decref(out);
    expect_error(f, "ListTagsForResource",
                 json_pack("{s:s, s:s}", "ResourceType", "Parameter", "ResourceId", "/none"),
                 "InvalidResourceId");
    expect_error(f, "ListTagsForResource",
                 json_pack("{s:s, s:s}", "ResourceType", "Document", "ResourceId", "/t"),
                 "InvalidResourceType");
    json_t *tags = json_array();
    for (int i = 0; i < 50; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", key, "Value", "v"));
    }
    expect_error(
        f, "AddTagsToResource",
        json_pack("{s:s, s:s, s:o}", "ResourceType", "Parameter", "ResourceId", "/t", "Tags", tags),
        "TooManyTagsError");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_operation_table),
        cmocka_unit_test_setup_teardown(test_put_get_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secure_string, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_and_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parameter_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_by_path_and_describe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_and_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tags, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
