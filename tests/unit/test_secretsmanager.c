/*
 * The Secrets Manager handlers, called in process through the operation
 * table as the server calls them: create and idempotent retries, versions
 * and staging labels, lookup by name and ARN, deletion with its recovery
 * window and the purge task on a fake clock, ListSecrets filters and pages,
 * tags, GetRandomPassword, and values sealed in the store.
 */
#include "base/common.h"
#include "aws/api.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"
#include "server/services.h"
#include "services/secretsmanager/secretsmanager.h"
#include "store/master_key.h"
#include "store/store.h"
#include "iam_fixture.h"

#include <setjmp.h>

#include <cmocka.h>

#define ACCOUNT IAM_FIXTURE_ACCOUNT
#define T0      IAM_FIXTURE_T0
#define DAY     86400000LL
#define TOKEN_A "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
#define TOKEN_B "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"

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
    if (iam_fixture_open(&f->iam, "secretsmanager") < 0)
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
    api_set_authorizer(NULL);
    free(f);
    return 0;
}

/* Runs an operation as the admin; `in` is consumed. Records the error. */
static int call(struct fixture *f, const char *op, json_t *in, json_t **out)
{
    struct iam_fixture_result res;
    int rc = iam_fixture_invoke(&res, f->iam, NULL, "secretsmanager", op, in, &f->key, out);
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

static void expect_error(struct fixture *f, const char *op, json_t *in, const char *code,
                         const char *message)
{
    json_t *out = NULL;
    int rc = call(f, op, in, &out);
    json_decref(out);
    if (rc == 0)
        fail_msg("%s succeeded, expected %s", op, code);
    assert_string_equal(f->code, code);
    if (message)
        assert_string_equal(f->message, message);
}

static json_t *create(struct fixture *f, const char *name, const char *value)
{
    return ok(f, "CreateSecret", json_pack("{s:s, s:s}", "Name", name, "SecretString", value));
}

/* The SecretString of (id, stage) must be `want`. */
static void expect_secret(struct fixture *f, const char *id, const char *stage, const char *want)
{
    json_t *out =
        ok(f, "GetSecretValue", json_pack("{s:s, s:s}", "SecretId", id, "VersionStage", stage));
    assert_string_equal(json_string_value(json_object_get(out, "SecretString")), want);
    json_decref(out);
}

static void test_create_get(void **state)
{
    struct fixture *f = *state;
    json_t *out = create(f, "app/db", "hunter2");
    const char *arn = json_string_value(json_object_get(out, "ARN"));
    const char *prefix = "arn:aws:secretsmanager:us-east-1:" ACCOUNT ":secret:app/db-";
    assert_int_equal(strncmp(arn, prefix, strlen(prefix)), 0);
    assert_int_equal(strlen(arn), strlen(prefix) + 6);
    char *full = xstrdup(arn);
    json_decref(out);

    expect_secret(f, "app/db", "AWSCURRENT", "hunter2");
    expect_secret(f, full, "AWSCURRENT", "hunter2");
    /* A partial ARN (without the suffix) finds it too. */
    char partial[256];
    snprintf(partial, sizeof(partial), "%.*s", (int)(strlen(full) - 7), full);
    expect_secret(f, partial, "AWSCURRENT", "hunter2");
    expect_error(f, "GetSecretValue", json_pack("{s:s}", "SecretId", "app/nope"),
                 "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    expect_error(f, "GetSecretValue",
                 json_pack("{s:s, s:s}", "SecretId", "app/db", "VersionStage", "AWSPREVIOUS"),
                 "ResourceNotFoundException", NULL);
    expect_error(f, "CreateSecret", json_pack("{s:s, s:s}", "Name", "app/db", "SecretString", "x"),
                 "ResourceExistsException", NULL);
    expect_error(f, "CreateSecret",
                 json_pack("{s:s, s:s}", "Name", "bad name", "SecretString", "x"),
                 "InvalidParameterException", NULL);
    expect_error(
        f, "CreateSecret",
        json_pack("{s:s, s:s, s:s}", "Name", "both", "SecretString", "x", "SecretBinary", "y"),
        "InvalidParameterException", NULL);

    /* Binary values keep their bytes, NULs included. */
    json_decref(ok(f, "CreateSecret",
                   json_pack("{s:s, s:o}", "Name", "bin", "SecretBinary",
                             json_stringn_nocheck("a\0b\xff", 4))));
    out = ok(f, "GetSecretValue", json_pack("{s:s}", "SecretId", "bin"));
    json_t *bin = json_object_get(out, "SecretBinary");
    assert_int_equal(json_string_length(bin), 4);
    assert_memory_equal(json_string_value(bin), "a\0b\xff", 4);
    assert_null(json_object_get(out, "SecretString"));
    json_decref(out);
    free(full);
}

static void test_idempotent_create(void **state)
{
    struct fixture *f = *state;
    json_t *a = ok(f, "CreateSecret",
                   json_pack("{s:s, s:s, s:s}", "Name", "idem", "SecretString", "v",
                             "ClientRequestToken", TOKEN_A));
    json_t *b = ok(f, "CreateSecret",
                   json_pack("{s:s, s:s, s:s}", "Name", "idem", "SecretString", "v",
                             "ClientRequestToken", TOKEN_A));
    assert_true(json_equal(a, b));
    assert_string_equal(json_string_value(json_object_get(a, "VersionId")), TOKEN_A);
    json_decref(a);
    json_decref(b);
    expect_error(f, "CreateSecret",
                 json_pack("{s:s, s:s, s:s}", "Name", "idem", "SecretString", "other",
                           "ClientRequestToken", TOKEN_A),
                 "ResourceExistsException", NULL);
}

static void test_stages(void **state)
{
    struct fixture *f = *state;
    json_decref(ok(f, "CreateSecret",
                   json_pack("{s:s, s:s, s:s}", "Name", "st", "SecretString", "one",
                             "ClientRequestToken", TOKEN_A)));
    json_t *out = ok(f, "PutSecretValue",
                     json_pack("{s:s, s:s, s:s}", "SecretId", "st", "SecretString", "two",
                               "ClientRequestToken", TOKEN_B));
    assert_string_equal(json_string_value(json_array_get(json_object_get(out, "VersionStages"), 0)),
                        "AWSCURRENT");
    json_decref(out);
    /* A retry is accepted; the same token with another value is not. */
    json_decref(ok(f, "PutSecretValue",
                   json_pack("{s:s, s:s, s:s}", "SecretId", "st", "SecretString", "two",
                             "ClientRequestToken", TOKEN_B)));
    expect_error(f, "PutSecretValue",
                 json_pack("{s:s, s:s, s:s}", "SecretId", "st", "SecretString", "three",
                           "ClientRequestToken", TOKEN_B),
                 "ResourceExistsException", NULL);
    expect_secret(f, "st", "AWSCURRENT", "two");
    expect_secret(f, "st", "AWSPREVIOUS", "one");

    /* A pending value leaves AWSCURRENT where it is. */
    out = ok(f, "PutSecretValue",
             json_pack("{s:s, s:s, s:[s]}", "SecretId", "st", "SecretString", "three",
                       "VersionStages", "AWSPENDING"));
    char pending[65];
    snprintf(pending, sizeof(pending), "%s", json_string_value(json_object_get(out, "VersionId")));
    json_decref(out);
    expect_secret(f, "st", "AWSPENDING", "three");
    expect_secret(f, "st", "AWSCURRENT", "two");

    expect_error(f, "UpdateSecretVersionStage",
                 json_pack("{s:s, s:s, s:s}", "SecretId", "st", "VersionStage", "AWSCURRENT",
                           "MoveToVersionId", pending),
                 "InvalidParameterException", NULL);
    json_decref(ok(f, "UpdateSecretVersionStage",
                   json_pack("{s:s, s:s, s:s, s:s}", "SecretId", "st", "VersionStage", "AWSCURRENT",
                             "MoveToVersionId", pending, "RemoveFromVersionId", TOKEN_B)));
    expect_secret(f, "st", "AWSCURRENT", "three");
    expect_secret(f, "st", "AWSPREVIOUS", "two");

    /* TOKEN_A lost its labels: deprecated, listed only on request. */
    out = ok(f, "ListSecretVersionIds", json_pack("{s:s}", "SecretId", "st"));
    assert_int_equal(json_array_size(json_object_get(out, "Versions")), 2);
    json_decref(out);
    json_decref(ok(f, "UpdateSecretVersionStage",
                   json_pack("{s:s, s:s, s:s}", "SecretId", "st", "VersionStage", "AWSPENDING",
                             "RemoveFromVersionId", pending)));
    out = ok(f, "ListSecretVersionIds", json_pack("{s:s}", "SecretId", "st"));
    assert_int_equal(json_array_size(json_object_get(out, "Versions")), 2);
    json_decref(out);
    out =
        ok(f, "ListSecretVersionIds",
           json_pack("{s:s, s:b, s:i}", "SecretId", "st", "IncludeDeprecated", 1, "MaxResults", 2));
    assert_int_equal(json_array_size(json_object_get(out, "Versions")), 2);
    const char *token = json_string_value(json_object_get(out, "NextToken"));
    assert_non_null(token);
    json_t *next = ok(
        f, "ListSecretVersionIds",
        json_pack("{s:s, s:b, s:s}", "SecretId", "st", "IncludeDeprecated", 1, "NextToken", token));
    assert_int_equal(json_array_size(json_object_get(next, "Versions")), 1);
    assert_null(json_object_get(next, "NextToken"));
    json_decref(next);
    json_decref(out);

    /* Reading a version by id, and a label it does not carry. */
    out = ok(f, "GetSecretValue", json_pack("{s:s, s:s}", "SecretId", "st", "VersionId", TOKEN_A));
    assert_string_equal(json_string_value(json_object_get(out, "SecretString")), "one");
    json_decref(out);
    expect_error(f, "GetSecretValue",
                 json_pack("{s:s, s:s, s:s}", "SecretId", "st", "VersionId", TOKEN_A,
                           "VersionStage", "AWSCURRENT"),
                 "ResourceNotFoundException", NULL);

    /* UpdateSecret with a value makes a new current version. */
    out = ok(
        f, "UpdateSecret",
        json_pack("{s:s, s:s, s:s}", "SecretId", "st", "SecretString", "four", "Description", "d"));
    assert_non_null(json_object_get(out, "VersionId"));
    json_decref(out);
    expect_secret(f, "st", "AWSCURRENT", "four");
    expect_secret(f, "st", "AWSPREVIOUS", "three");
    out = ok(f, "DescribeSecret", json_pack("{s:s}", "SecretId", "st"));
    assert_int_equal(json_integer_value(json_object_get(out, "LastAccessedDate")), T0 - T0 % DAY);
    assert_string_equal(json_string_value(json_object_get(out, "Description")), "d");
    assert_int_equal(json_object_size(json_object_get(out, "VersionIdsToStages")), 2);
    json_decref(out);
}

static void test_delete_restore_purge(void **state)
{
    struct fixture *f = *state;
    json_decref(create(f, "gone", "v"));
    json_decref(create(f, "kept", "v"));
    expect_error(f, "DeleteSecret",
                 json_pack("{s:s, s:i}", "SecretId", "gone", "RecoveryWindowInDays", 3),
                 "InvalidParameterException", NULL);
    expect_error(f, "DeleteSecret",
                 json_pack("{s:s, s:i, s:b}", "SecretId", "gone", "RecoveryWindowInDays", 7,
                           "ForceDeleteWithoutRecovery", 1),
                 "InvalidParameterException", NULL);
    json_t *out = ok(f, "DeleteSecret",
                     json_pack("{s:s, s:i}", "SecretId", "gone", "RecoveryWindowInDays", 7));
    assert_int_equal(json_integer_value(json_object_get(out, "DeletionDate")), T0 + 7 * DAY);
    json_decref(out);
    const char *marked =
        "You can't perform this operation on the secret because it was marked for deletion.";
    expect_error(f, "GetSecretValue", json_pack("{s:s}", "SecretId", "gone"),
                 "InvalidRequestException", marked);
    expect_error(f, "PutSecretValue",
                 json_pack("{s:s, s:s}", "SecretId", "gone", "SecretString", "x"),
                 "InvalidRequestException", marked);
    expect_error(f, "CreateSecret", json_pack("{s:s, s:s}", "Name", "gone", "SecretString", "x"),
                 "InvalidRequestException", NULL);
    out = ok(f, "DescribeSecret", json_pack("{s:s}", "SecretId", "gone"));
    assert_non_null(json_object_get(out, "DeletedDate"));
    json_decref(out);

    /* Restored, then scheduled again. */
    json_decref(ok(f, "RestoreSecret", json_pack("{s:s}", "SecretId", "gone")));
    expect_secret(f, "gone", "AWSCURRENT", "v");
    json_decref(ok(f, "DeleteSecret",
                   json_pack("{s:s, s:i}", "SecretId", "gone", "RecoveryWindowInDays", 7)));

    /* Not before the window ends ... */
    assert_int_equal(secretsmanager_purge_task(f->st, T0 + 7 * DAY - 1), 0);
    out = ok(f, "DescribeSecret", json_pack("{s:s}", "SecretId", "gone"));
    json_decref(out);
    /* ... and gone after it. */
    clock_set_fake(T0 + 8 * DAY);
    assert_int_equal(secretsmanager_purge_task(f->st, T0 + 8 * DAY), 0);
    expect_error(f, "DescribeSecret", json_pack("{s:s}", "SecretId", "gone"),
                 "ResourceNotFoundException", NULL);
    expect_secret(f, "kept", "AWSCURRENT", "v");
    /* The name is free again. */
    json_decref(create(f, "gone", "new"));
    expect_secret(f, "gone", "AWSCURRENT", "new");

    /* Forced: at once. */
    json_decref(ok(f, "DeleteSecret",
                   json_pack("{s:s, s:b}", "SecretId", "gone", "ForceDeleteWithoutRecovery", 1)));
    expect_error(f, "GetSecretValue", json_pack("{s:s}", "SecretId", "gone"),
                 "ResourceNotFoundException", NULL);
    clock_set_fake(T0);
}

static void test_purge_batches(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 70; i++) {
        char name[32];
        snprintf(name, sizeof(name), "batch-%02d", i);
        json_decref(create(f, name, "v"));
        json_decref(ok(f, "DeleteSecret",
                       json_pack("{s:s, s:i}", "SecretId", name, "RecoveryWindowInDays", 7)));
    }
    assert_int_equal(secretsmanager_purge_task(f->st, T0 + 8 * DAY), 1);
    assert_int_equal(secretsmanager_purge_task(f->st, T0 + 8 * DAY), 0);
    json_t *out = ok(f, "ListSecrets", json_pack("{s:b}", "IncludePlannedDeletion", 1));
    assert_int_equal(json_array_size(json_object_get(out, "SecretList")), 0);
    json_decref(out);
}

static void test_list_filters_tags(void **state)
{
    struct fixture *f = *state;
    json_decref(create(f, "prod/a", "v"));
    json_decref(create(f, "prod/b", "v"));
    json_decref(create(f, "dev/c", "v"));
    json_decref(ok(f, "TagResource",
                   json_pack("{s:s, s:[{s:s, s:s}]}", "SecretId", "dev/c", "Tags", "Key", "team",
                             "Value", "blue")));
    json_t *out = ok(f, "ListSecrets",
                     json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Key", "name", "Values", "prod/"));
    assert_int_equal(json_array_size(json_object_get(out, "SecretList")), 2);
    json_decref(out);
    out = ok(f, "ListSecrets",
             json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Key", "name", "Values", "!prod/"));
    assert_int_equal(json_array_size(json_object_get(out, "SecretList")), 1);
    json_decref(out);
    out = ok(f, "ListSecrets",
             json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Key", "tag-value", "Values", "bl"));
    json_t *list = json_object_get(out, "SecretList");
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "Name")),
                        "dev/c");
    json_decref(out);

    /* Pages of one. */
    out = ok(f, "ListSecrets", json_pack("{s:i}", "MaxResults", 1));
    size_t seen = json_array_size(json_object_get(out, "SecretList"));
    while (json_object_get(out, "NextToken")) {
        json_t *next = ok(f, "ListSecrets",
                          json_pack("{s:i, s:O}", "MaxResults", 1, "NextToken",
                                    json_object_get(out, "NextToken")));
        seen += json_array_size(json_object_get(next, "SecretList"));
        json_decref(out);
        out = next;
    }
    json_decref(out);
    assert_int_equal(seen, 3);

    /* description ignores case; "all" matches words anywhere, ignoring case. */
    json_decref(ok(f, "UpdateSecret",
                   json_pack("{s:s, s:s}", "SecretId", "prod/b", "Description", "Billing DB")));
    out = ok(f, "ListSecrets",
             json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Key", "description", "Values", "billing"));
    assert_int_equal(json_array_size(json_object_get(out, "SecretList")), 1);
    json_decref(out);
    out = ok(f, "ListSecrets",
             json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Key", "all", "Values", "db"));
    assert_int_equal(json_array_size(json_object_get(out, "SecretList")), 1);
    json_decref(out);
    out = ok(f, "ListSecrets",
             json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Key", "all", "Values", "BLUE"));
    assert_int_equal(json_array_size(json_object_get(out, "SecretList")), 1);
    json_decref(out);
    out = ok(f, "ListSecrets",
             json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Key", "name", "Values", "PROD/"));
    assert_int_equal(json_array_size(json_object_get(out, "SecretList")), 0);
    json_decref(out);

    /* Sorted by creation, newest first, in pages. */
    clock_set_fake(T0 + 1000);
    json_decref(create(f, "aaa-newest", "v"));
    clock_set_fake(T0);
    out = ok(f, "ListSecrets", json_pack("{s:s, s:i}", "SortOrder", "desc", "MaxResults", 2));
    list = json_object_get(out, "SecretList");
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "Name")),
                        "aaa-newest");
    json_t *next = ok(f, "ListSecrets",
                      json_pack("{s:s, s:i, s:O}", "SortOrder", "desc", "MaxResults", 2,
                                "NextToken", json_object_get(out, "NextToken")));
    assert_int_equal(json_array_size(json_object_get(next, "SecretList")), 2);
    assert_null(json_object_get(next, "NextToken"));
    json_decref(next);
    json_decref(out);
    out = ok(f, "ListSecrets", json_pack("{s:s, s:s}", "SortBy", "name", "SortOrder", "asc"));
    list = json_object_get(out, "SecretList");
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 3), "Name")),
                        "prod/b");
    json_decref(out);
    json_decref(
        ok(f, "DeleteSecret",
           json_pack("{s:s, s:b}", "SecretId", "aaa-newest", "ForceDeleteWithoutRecovery", 1)));

    json_decref(
        ok(f, "UntagResource", json_pack("{s:s, s:[s]}", "SecretId", "dev/c", "TagKeys", "team")));
    out = ok(f, "DescribeSecret", json_pack("{s:s}", "SecretId", "dev/c"));
    assert_null(json_object_get(out, "Tags"));
    json_decref(out);

    /* BatchGetSecretValue: found values and per-secret errors. */
    out =
        ok(f, "BatchGetSecretValue", json_pack("{s:[s, s]}", "SecretIdList", "prod/a", "missing"));
    assert_int_equal(json_array_size(json_object_get(out, "SecretValues")), 1);
    json_t *errors = json_object_get(out, "Errors");
    assert_int_equal(json_array_size(errors), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "ErrorCode")),
                        "ResourceNotFoundException");
    json_decref(out);
    out = ok(f, "BatchGetSecretValue",
             json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Key", "name", "Values", "prod/"));
    assert_int_equal(json_array_size(json_object_get(out, "SecretValues")), 2);
    json_decref(out);
}

static void test_random_password(void **state)
{
    struct fixture *f = *state;
    json_t *out = ok(f, "GetRandomPassword", json_object());
    const char *pw = json_string_value(json_object_get(out, "RandomPassword"));
    assert_int_equal(strlen(pw), 32);
    json_decref(out);
    out = ok(f, "GetRandomPassword",
             json_pack("{s:i, s:b, s:b, s:b, s:s}", "PasswordLength", 200, "ExcludePunctuation", 1,
                       "ExcludeUppercase", 1, "ExcludeLowercase", 1, "ExcludeCharacters", "0123"));
    pw = json_string_value(json_object_get(out, "RandomPassword"));
    assert_int_equal(strlen(pw), 200);
    for (const char *p = pw; *p; p++)
        assert_true(*p >= '4' && *p <= '9');
    json_decref(out);
    out = ok(f, "GetRandomPassword",
             json_pack("{s:i, s:b, s:b}", "PasswordLength", 5, "IncludeSpace", 1,
                       "RequireEachIncludedType", 1));
    assert_non_null(strchr(json_string_value(json_object_get(out, "RandomPassword")), ' '));
    json_decref(out);
    expect_error(f, "GetRandomPassword",
                 json_pack("{s:b, s:b, s:b, s:b}", "ExcludePunctuation", 1, "ExcludeUppercase", 1,
                           "ExcludeLowercase", 1, "ExcludeNumbers", 1),
                 "InvalidParameterException", NULL);
}

static void test_rotate_unsupported(void **state)
{
    struct fixture *f = *state;
    json_decref(create(f, "rot", "v"));
    expect_error(f, "RotateSecret", json_pack("{s:s}", "SecretId", "rot"), "NotImplemented", NULL);
    assert_non_null(strstr(f->message, "Lambda"));
}

/* No plaintext in the store: the record holds only sealed text. */
static void test_sealed_at_rest(void **state)
{
    struct fixture *f = *state;
    json_decref(create(f, "sealed", "MARKER-plaintext-7f3a"));
    struct store_doc doc;
    assert_int_equal(
        store_doc_get(&doc, f->st, NULL, "secretsmanager.secret", ACCOUNT "/us-east-1", "sealed"),
        0);
    assert_null(strstr(doc.body, "MARKER-plaintext"));
    assert_non_null(strstr(doc.body, "\"v1."));
    store_doc_release(&doc);
    /* Another key cannot open it. */
    random_bytes(f->key.key, sizeof(f->key.key));
    expect_error(f, "GetSecretValue", json_pack("{s:s}", "SecretId", "sealed"), "DecryptionFailure",
                 NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotent_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_restore_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_filters_tags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_password, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotate_unsupported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sealed_at_rest, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
