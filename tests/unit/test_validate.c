#include "base/common.h"

#include <pthread.h>
#include <setjmp.h>
#include <cmocka.h>

#include "aws/model.h"
#include "aws/model_load.h"
#include "aws/validate.h"
#include "base/jsonw.h"
#include "base/err.h"

static const struct model_shape *input_of(const char *service, const char *operation)
{
    const struct model_service *svc = model_service_find(service);
    assert_non_null(svc);
    const struct model_operation *op = model_operation_find(svc, operation, strlen(operation));
    if (!op || !op->input)
        fail_msg("no input shape for %s %s", service, operation);
    return op->input;
}

static json_t *parse(const char *text)
{
    json_error_t error;
    json_t *v = json_loads(text, JSON_ALLOW_NUL, &error);
    if (!v)
        fail_msg("bad test JSON '%s': %s", text, error.text);
    return v;
}

static void expect_valid_value(const struct model_shape *shape, json_t *params)
{
    struct buf message = BUF_INIT;
    int rc = validate_params(&message, shape, params);
    if (rc != 0)
        fail_msg("expected valid, got %d: %s", rc, message.data);
    assert_int_equal(message.len, 0);
    buf_release(&message);
}

static void expect_valid(const struct model_shape *shape, const char *json)
{
    json_t *params = parse(json);
    expect_valid_value(shape, params);
    json_decref(params);
}

/* Returns the message (owned by the caller) after checking the result kind. */
static char *invalid_value(const struct model_shape *shape, json_t *params)
{
    struct buf message = BUF_INIT;
    int rc = validate_params(&message, shape, params);
    if (rc != ERR_INVALID)
        fail_msg("expected ERR_INVALID, got %d", rc);
    assert_true(message.len > 0);
    /* the thread's error carries the same text, cut at its buffer size */
    assert_int_equal(strncmp(err_msg(), message.data, 1000), 0);
    return buf_detach(&message, NULL);
}

static void expect_message(const struct model_shape *shape, const char *json, const char *want)
{
    json_t *params = parse(json);
    char *got = invalid_value(shape, params);
    if (strcmp(got, want) != 0)
        fail_msg("message\n  got:  %s\n  want: %s", got, want);
    free(got);
    json_decref(params);
}

static void test_valid_requests(void **state)
{
    (void)state;
    expect_valid(input_of("iam", "CreateRole"),
                 "{\"RoleName\": \"codebuild-demo+role=x,y.z@w\", "
                 "\"AssumeRolePolicyDocument\": \"{\\\"Version\\\":\\\"2012-10-17\\\"}\", "
                 "\"Path\": \"/service-role/\", \"MaxSessionDuration\": 3600, "
                 "\"Tags\": [{\"Key\": \"team\", \"Value\": \"\"}]}");
    expect_valid(input_of("ssm", "PutParameter"),
                 "{\"Name\": \"/app/db/password\", \"Value\": \"s3cret\", "
                 "\"Type\": \"SecureString\", \"Tier\": \"Advanced\", \"Overwrite\": true}");
    expect_valid(
        input_of("codebuild", "CreateProject"),
        "{\"name\": \"demo-project\", \"serviceRole\": \"arn:aws:iam::123456789012:role/cb\", "
        "\"source\": {\"type\": \"CODECOMMIT\", \"location\": \"https://x\", "
        "\"gitCloneDepth\": 1}, \"artifacts\": {\"type\": \"NO_ARTIFACTS\"}, "
        "\"environment\": {\"type\": \"LINUX_CONTAINER\", "
        "\"image\": \"aws/codebuild/standard:7.0\", "
        "\"computeType\": \"BUILD_GENERAL1_SMALL\", \"environmentVariables\": "
        "[{\"name\": \"A\", \"value\": \"1\", \"type\": \"PLAINTEXT\"}]}, "
        "\"timeoutInMinutes\": 60, \"tags\": [{\"key\": \"k\", \"value\": \"v\"}]}");
    expect_valid(
        input_of("events", "PutTargets"),
        "{\"Rule\": \"my-rule\", \"Targets\": [{\"Id\": \"1\", \"Arn\": \"arn:aws:sns:x\", "
        "\"InputTransformer\": {\"InputPathsMap\": {\"detail\": \"$.detail\"}, "
        "\"InputTemplate\": \"<detail>\"}}]}");
    /* operations without input, and a missing params object */
    assert_int_equal(validate_params(NULL, NULL, NULL), 0);
    assert_int_equal(validate_params(NULL, input_of("sts", "GetCallerIdentity"), NULL), 0);
    /* a value of the wrong type is the decoder's business */
    expect_valid(input_of("iam", "CreateRole"),
                 "{\"RoleName\": 5, \"AssumeRolePolicyDocument\": [\"x\"], \"Tags\": {}}");
}

static void test_required_members(void **state)
{
    (void)state;
    const struct model_shape *shape = input_of("iam", "CreateRole");
    const char *want =
        "2 validation errors detected: Value null at 'assumeRolePolicyDocument' failed to satisfy "
        "constraint: Member must not be null; Value null at 'roleName' failed to satisfy "
        "constraint: Member must not be null";
    expect_message(shape, "{}", want);
    expect_message(shape, "{\"RoleName\": null, \"AssumeRolePolicyDocument\": null}", want);
    char *got = invalid_value(shape, NULL);
    assert_string_equal(got, want);
    free(got);
    /* message_out is optional */
    json_t *params = parse("{\"AssumeRolePolicyDocument\": \"{}\"}");
    assert_int_equal(validate_params(NULL, shape, params), ERR_INVALID);
    assert_string_equal(err_msg(), "1 validation error detected: Value null at 'roleName' failed "
                                   "to satisfy constraint: Member must not be null");
    json_decref(params);
}

static void test_pattern_and_length(void **state)
{
    (void)state;
    const struct model_shape *shape = input_of("iam", "CreateRole");
    expect_message(shape, "{\"RoleName\": \"x!\", \"AssumeRolePolicyDocument\": \"{}\"}",
                   "1 validation error detected: Value 'x!' at 'roleName' failed to satisfy "
                   "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+");
    expect_message(
        shape,
        "{\"RoleName\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", "
        "\"AssumeRolePolicyDocument\": \"{}\"}",
        "1 validation error detected: Value "
        "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' at 'roleName' "
        "failed to satisfy constraint: Member must have length less than or equal to 64");
    /* one value can break several constraints; each is its own error */
    expect_message(shape, "{\"RoleName\": \"\", \"AssumeRolePolicyDocument\": \"{}\"}",
                   "2 validation errors detected: Value '' at 'roleName' failed to satisfy "
                   "constraint: Member must have length greater than or equal to 1; Value '' at "
                   "'roleName' failed to satisfy constraint: Member must satisfy regular "
                   "expression pattern: [\\w+=,.@-]+");
    expect_message(shape,
                   "{\"RoleName\": \"r\", \"AssumeRolePolicyDocument\": \"{}\", "
                   "\"Path\": \"nope\"}",
                   "1 validation error detected: Value 'nope' at 'path' failed to satisfy "
                   "constraint: Member must satisfy regular expression pattern: "
                   "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)");

    /* lengths count code points: 1000 two-byte characters fit a max of 1000 */
    struct buf text = BUF_INIT;
    for (int i = 0; i < 1000; i++)
        buf_adds(&text, "\xc3\xa9");
    json_t *params = parse("{\"RoleName\": \"r\", \"AssumeRolePolicyDocument\": \"{}\"}");
    json_object_set_new(params, "Description", json_string(text.data));
    expect_valid_value(shape, params);
    buf_adds(&text, "\xc3\xa9");
    json_object_set_new(params, "Description", json_string(text.data));
    char *got = invalid_value(shape, params);
    assert_non_null(strstr(got, "at 'description' failed to satisfy constraint: Member must have "
                                "length less than or equal to 1000"));
    assert_non_null(strstr(got, "1 validation error detected: Value '\xc3\xa9\xc3\xa9"));
    free(got);
    json_decref(params);
    buf_release(&text);
}

/* A huge value is quoted only in part, so a message stays small. */
static void test_long_values_are_cut(void **state)
{
    (void)state;
    const struct model_shape *shape = input_of("iam", "CreateRole");
    size_t n = 100000;
    char *name = malloc(n + 1);
    memset(name, 'a', n);
    name[n] = '\0';
    /* A multi-byte character straddling the cut must not be split. */
    memcpy(name + 1020, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8);
    json_t *params = json_pack("{s:s, s:s}", "RoleName", name, "AssumeRolePolicyDocument", "{}");
    char *got = invalid_value(shape, params);
    /* Two errors (pattern and length), each quoting at most 1024 bytes. */
    assert_true(strlen(got) < 2 * 1024 + 600);
    assert_non_null(strstr(got, "...' at 'roleName'"));
    assert_non_null(strstr(got, "Member must have length less than or equal to 64"));
    assert_true(utf8_valid(got, strlen(got)));
    free(got);
    json_decref(params);
    free(name);
}

static void test_numeric_ranges(void **state)
{
    (void)state;
    const struct model_shape *shape = input_of("iam", "CreateRole");
    expect_message(shape,
                   "{\"RoleName\": \"r\", \"AssumeRolePolicyDocument\": \"{}\", "
                   "\"MaxSessionDuration\": 100}",
                   "1 validation error detected: Value '100' at 'maxSessionDuration' failed to "
                   "satisfy constraint: Member must have value greater than or equal to 3600");
    expect_message(shape,
                   "{\"RoleName\": \"r\", \"AssumeRolePolicyDocument\": \"{}\", "
                   "\"MaxSessionDuration\": 43201}",
                   "1 validation error detected: Value '43201' at 'maxSessionDuration' failed to "
                   "satisfy constraint: Member must have value less than or equal to 43200");
    expect_valid(shape, "{\"RoleName\": \"r\", \"AssumeRolePolicyDocument\": \"{}\", "
                        "\"MaxSessionDuration\": 43200}");
    expect_message(
        input_of("codebuild", "CreateProject"),
        "{\"name\": \"demo\", \"serviceRole\": \"r\", \"source\": {\"type\": \"S3\"}, "
        "\"artifacts\": {\"type\": \"S3\"}, \"environment\": {\"type\": "
        "\"LINUX_CONTAINER\", \"image\": \"i\", \"computeType\": \"BUILD_GENERAL1_SMALL\"}, "
        "\"timeoutInMinutes\": 4, \"queuedTimeoutInMinutes\": 481}",
        "2 validation errors detected: Value '481' at 'queuedTimeoutInMinutes' failed to "
        "satisfy constraint: Member must have value less than or equal to 480; Value "
        "'4' at 'timeoutInMinutes' failed to satisfy constraint: Member must have value "
        "greater than or equal to 5");
}

static void test_enums(void **state)
{
    (void)state;
    const struct model_shape *shape = input_of("ssm", "PutParameter");
    expect_message(shape, "{\"Name\": \"n\", \"Value\": \"v\", \"Type\": \"Bogus\"}",
                   "1 validation error detected: Value 'Bogus' at 'type' failed to satisfy "
                   "constraint: Member must satisfy enum value set: [String, StringList, "
                   "SecureString]");
    /* enum values are case-sensitive */
    expect_message(shape,
                   "{\"Name\": \"n\", \"Value\": \"v\", \"Type\": \"string\", "
                   "\"Tier\": \"standard\"}",
                   "2 validation errors detected: Value 'standard' at 'tier' failed to satisfy "
                   "constraint: Member must satisfy enum value set: [Standard, Advanced, "
                   "Intelligent-Tiering]; Value 'string' at 'type' failed to satisfy constraint: "
                   "Member must satisfy enum value set: [String, StringList, SecureString]");
}

static void test_nested_paths(void **state)
{
    (void)state;
    const struct model_shape *role = input_of("iam", "CreateRole");
    expect_message(role,
                   "{\"RoleName\": \"r\", \"AssumeRolePolicyDocument\": \"{}\", \"Tags\": "
                   "[{\"Key\": \"ok\", \"Value\": \"v\"}, {\"Key\": \"a#\", \"Value\": \"v\"}, "
                   "{\"Key\": \"k\"}]}",
                   "2 validation errors detected: Value 'a#' at 'tags.2.member.key' failed to "
                   "satisfy constraint: Member must satisfy regular expression pattern: "
                   "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+; Value null at 'tags.3.member.value' failed to "
                   "satisfy constraint: Member must not be null");

    const struct model_shape *project = input_of("codebuild", "CreateProject");
    expect_message(
        project,
        "{\"name\": \"demo\", \"serviceRole\": \"r\", "
        "\"source\": {\"type\": \"GITHUB\", \"auth\": {\"type\": \"PASSWORD\"}}, "
        "\"artifacts\": {\"type\": \"NO_ARTIFACTS\"}, "
        "\"environment\": {\"type\": \"LINUX_CONTAINER\", \"image\": \"\", "
        "\"computeType\": \"BUILD_GENERAL1_SMALL\", "
        "\"registryCredential\": {\"credential\": \"c\"}}, "
        "\"logsConfig\": {\"cloudWatchLogs\": {\"groupName\": \"g\"}}}",
        "4 validation errors detected: Value '' at 'environment.image' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1; Value null at "
        "'environment.registryCredential.credentialProvider' failed to satisfy "
        "constraint: Member must not be null; Value null at "
        "'logsConfig.cloudWatchLogs.status' failed to satisfy constraint: Member must "
        "not be null; Value 'PASSWORD' at 'source.auth.type' failed to satisfy "
        "constraint: Member must satisfy enum value set: [OAUTH, CODECONNECTIONS, "
        "SECRETS_MANAGER]");
    expect_message(project,
                   "{\"serviceRole\": \"r\", \"source\": {}, \"artifacts\": {\"type\": \"S3\"}, "
                   "\"environment\": {\"type\": \"LINUX_CONTAINER\", \"image\": \"i\", "
                   "\"computeType\": \"BUILD_GENERAL1_SMALL\", \"environmentVariables\": "
                   "[{\"name\": \"A\", \"value\": \"1\", \"type\": \"VAULT\"}]}}",
                   "3 validation errors detected: Value 'VAULT' at "
                   "'environment.environmentVariables.1.member.type' failed to satisfy constraint: "
                   "Member must satisfy enum value set: [PLAINTEXT, PARAMETER_STORE, "
                   "SECRETS_MANAGER]; Value null at 'name' failed to satisfy constraint: Member "
                   "must not be null; Value null at 'source.type' failed to satisfy constraint: "
                   "Member must not be null");
}

static void test_collections(void **state)
{
    (void)state;
    /* a list of simple values is reported once, with every constraint of its element */
    expect_message(
        input_of("iam", "UntagRole"), "{\"RoleName\": \"r\", \"TagKeys\": [\"ok\", \"a#\", \"\"]}",
        "1 validation error detected: Value '[ok, a#, ]' at 'tagKeys' failed to satisfy "
        "constraint: Member must satisfy constraint: [Member must have length less than "
        "or equal to 128, Member must have length greater than or equal to 1, Member must "
        "satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+]");

    /* map keys and values likewise, keys first */
    const struct model_shape *targets = input_of("events", "PutTargets");
    json_t *params = parse("{\"Rule\": \"r\", \"Targets\": [{\"Id\": \"1\", \"Arn\": \"a\", "
                           "\"InputTransformer\": {\"InputTemplate\": \"t\", "
                           "\"InputPathsMap\": {\"bad key\": \"$.detail\"}}}]}");
    char long_path[300];
    memset(long_path, 'x', 257);
    long_path[257] = '\0';
    json_object_set_new(
        json_object_get(json_object_get(json_array_get(json_object_get(params, "Targets"), 0),
                                        "InputTransformer"),
                        "InputPathsMap"),
        "good", json_string(long_path));
    char *got = invalid_value(targets, params);
    char want[2048];
    snprintf(want, sizeof(want),
             "2 validation errors detected: Value '{bad key=$.detail, good=%s}' at "
             "'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: Map "
             "keys must satisfy constraint: [Member must have length less than or equal to 256, "
             "Member must have length greater than or equal to 1, Member must satisfy regular "
             "expression pattern: [A-Za-z0-9\\_\\-]+]; Value '{bad key=$.detail, good=%s}' at "
             "'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: Map "
             "value must satisfy constraint: [Member must have length less than or equal to 256]",
             long_path, long_path);
    if (strcmp(got, want) != 0)
        fail_msg("message\n  got:  %s\n  want: %s", got, want);
    free(got);
    json_decref(params);

    /* the size of a list */
    const struct model_shape *role = input_of("iam", "CreateRole");
    params = parse("{\"RoleName\": \"r\", \"AssumeRolePolicyDocument\": \"{}\", \"Tags\": []}");
    json_t *tags = json_object_get(params, "Tags");
    for (int i = 0; i < 51; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", key, "Value", "v"));
    }
    got = invalid_value(role, params);
    assert_non_null(strstr(got, "1 validation error detected: Value '[{key=k0, value=v}, {key=k1, "
                                "value=v}, "));
    assert_non_null(strstr(got, "{key=k50, value=v}]' at 'tags' failed to satisfy constraint: "
                                "Member must have length less than or equal to 50"));
    free(got);
    json_decref(params);

    expect_message(targets, "{\"Rule\": \"r\", \"Targets\": []}",
                   "1 validation error detected: Value '[]' at 'targets' failed to satisfy "
                   "constraint: Member must have length greater than or equal to 1");
}

/* AWS stops at ten errors, and says ten. */
static void test_error_count_cap(void **state)
{
    (void)state;
    json_t *params = parse("{\"RoleName\": \"r\", \"AssumeRolePolicyDocument\": \"{}\", "
                           "\"Tags\": []}");
    json_t *tags = json_object_get(params, "Tags");
    for (int i = 0; i < 20; i++)
        json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", "bad#", "Value", "v"));
    char *got = invalid_value(input_of("iam", "CreateRole"), params);
    assert_int_equal(strncmp(got,
                             "10 validation errors detected: Value 'bad#' at "
                             "'tags.1.member.key' failed",
                             72),
                     0);
    assert_non_null(strstr(got, "'tags.10.member.key'"));
    assert_null(strstr(got, "'tags.11.member.key'"));
    size_t separators = 0;
    for (const char *p = got; (p = strstr(p, "; ")); p += 2)
        separators++;
    assert_int_equal(separators, 9);
    free(got);
    json_decref(params);
}

static void test_sensitive_values_not_echoed(void **state)
{
    (void)state;
    expect_message(
        input_of("iam", "CreateLoginProfile"), "{\"UserName\": \"bob\", \"Password\": \"\"}",
        "2 validation errors detected: Value at 'password' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; Value at 'password' failed "
        "to satisfy constraint: Member must satisfy regular expression pattern: "
        "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+");

    json_t *params = parse("{\"Name\": \"db\"}");
    char *secret = malloc(65538);
    assert_non_null(secret);
    memset(secret, 'S', 65537);
    secret[65537] = '\0';
    json_object_set_new(params, "SecretString", json_string(secret));
    char *got = invalid_value(input_of("secretsmanager", "CreateSecret"), params);
    assert_string_equal(got, "1 validation error detected: Value at 'secretString' failed to "
                             "satisfy constraint: Member must have length less than or equal to "
                             "65536");
    free(got);
    free(secret);
    json_decref(params);

    /* a sensitive list: its elements are not echoed either */
    params = parse("{\"Rule\": \"r\", \"Targets\": [{\"Id\": \"1\", \"Arn\": \"a\", "
                   "\"RedshiftDataParameters\": {\"Database\": \"d\", \"Sqls\": []}}]}");
    json_t *sqls =
        json_object_get(json_object_get(json_array_get(json_object_get(params, "Targets"), 0),
                                        "RedshiftDataParameters"),
                        "Sqls");
    for (int i = 0; i < 41; i++)
        json_array_append_new(sqls, json_string("select secret_column from t"));
    got = invalid_value(input_of("events", "PutTargets"), params);
    assert_string_equal(got, "1 validation error detected: Value at "
                             "'targets.1.member.redshiftDataParameters.sqls' failed to satisfy "
                             "constraint: Member must have length less than or equal to 40");
    free(got);
    json_decref(params);
}

/*
 * A model of our own, for shapes the compiled ones lack and for recursion.
 * Its members keep their order here, where the compiled tables sort them.
 */
static const char test_model[] =
    "{\"metadata\": {\"protocol\": \"json\", \"jsonVersion\": \"1.1\", \"targetPrefix\": \"T\", "
    "\"endpointPrefix\": \"t\"},"
    " \"operations\": {\"Op\": {\"name\": \"Op\", \"http\": {\"method\": \"POST\", "
    "\"requestUri\": \"/\"}, \"input\": {\"shape\": \"Input\"}}},"
    " \"shapes\": {"
    "  \"Input\": {\"type\": \"structure\", \"required\": [\"Data\"], \"members\": {"
    "    \"Data\": {\"shape\": \"Data\"}, \"Ratio\": {\"shape\": \"Ratio\"},"
    "    \"Count\": {\"shape\": \"Count\"}, \"Nested\": {\"shape\": \"Node\"},"
    "    \"Nodes\": {\"shape\": \"NodeMap\"}, \"Odd\": {\"shape\": \"Odd\"}}},"
    "  \"Data\": {\"type\": \"blob\", \"min\": 1, \"max\": 4},"
    "  \"Ratio\": {\"type\": \"double\", \"min\": 0, \"max\": 1},"
    "  \"Count\": {\"type\": \"long\", \"min\": -5},"
    "  \"Node\": {\"type\": \"structure\", \"members\": {\"Child\": {\"shape\": \"Node\"},"
    "    \"Name\": {\"shape\": \"Name\"}}},"
    "  \"NodeMap\": {\"type\": \"map\", \"key\": {\"shape\": \"Key\"}, "
    "    \"value\": {\"shape\": \"Node\"}},"
    "  \"Key\": {\"type\": \"string\"},"
    "  \"Name\": {\"type\": \"string\", \"pattern\": \"^[a-z]+$\"},"
    "  \"Odd\": {\"type\": \"string\", \"pattern\": \"(?x)unsupported\"}"
    " }}";

static struct model_service *load_test_model(void)
{
    json_t *root = parse(test_model);
    struct model_service *svc = NULL;
    if (model_load(&svc, root, "test") != 0)
        fail_msg("test model: %s", err_msg());
    json_decref(root);
    return svc;
}

static void test_blobs_floats_and_maps(void **state)
{
    (void)state;
    struct model_service *svc = load_test_model();
    const struct model_shape *input = model_operation_find(svc, "Op", 2)->input;
    expect_valid(input, "{\"Data\": \"ab\\u0000c\", \"Ratio\": 0.5, \"Count\": -5}");
    expect_message(
        input, "{\"Data\": \"\"}",
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]' "
        "at 'data' failed to satisfy constraint: Member must have length greater than "
        "or equal to 1");
    expect_message(
        input, "{\"Data\": \"abcde\", \"Ratio\": 1.5, \"Count\": -6}",
        "3 validation errors detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=5 "
        "cap=5]' at 'data' failed to satisfy constraint: Member must have length less "
        "than or equal to 4; Value '1.5' at 'ratio' failed to satisfy constraint: Member "
        "must have value less than or equal to 1.0; Value '-6' at 'count' failed to "
        "satisfy constraint: Member must have value greater than or equal to -5");
    expect_message(input, "{\"Data\": \"a\", \"Ratio\": -0.001}",
                   "1 validation error detected: Value '-0.001' at 'ratio' failed to satisfy "
                   "constraint: Member must have value greater than or equal to 0.0");
    expect_message(input, "{\"Data\": \"a\", \"Ratio\": 12345678.5}",
                   "1 validation error detected: Value '1.23456785E7' at 'ratio' failed to "
                   "satisfy constraint: Member must have value less than or equal to 1.0");
    expect_message(input, "{\"Data\": \"a\", \"Ratio\": \"Infinity\"}",
                   "1 validation error detected: Value 'Infinity' at 'ratio' failed to satisfy "
                   "constraint: Member must have value less than or equal to 1.0");
    expect_valid(input, "{\"Data\": \"a\", \"Ratio\": \"NaN\"}");
    expect_message(input, "{\"Data\": \"a\", \"Ratio\": 2}",
                   "1 validation error detected: Value '2.0' at 'ratio' failed to satisfy "
                   "constraint: Member must have value less than or equal to 1.0");
    /* map values that are structures: '<map>.<key>.member' */
    expect_message(input,
                   "{\"Data\": \"a\", \"Nodes\": {\"First\": {\"Name\": \"ok\"}, "
                   "\"Second\": {\"Child\": {\"Name\": \"BAD\"}}}}",
                   "1 validation error detected: Value 'BAD' at "
                   "'nodes.Second.member.child.name' failed to satisfy constraint: Member must "
                   "satisfy regular expression pattern: ^[a-z]+$");
    /* a pattern that does not compile is not enforced */
    expect_valid(input, "{\"Data\": \"a\", \"Odd\": \"anything\"}");
    bool matched;
    assert_int_equal(validate_pattern(&matched, "(?x)unsupported", "x", 1), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "unsupported inline flag"));
    model_service_free(svc);
}

static json_t *nest(int depth, const char *leaf_name)
{
    json_t *node = json_pack("{s:s}", "Name", leaf_name);
    for (int i = 0; i < depth; i++)
        node = json_pack("{s:o}", "Child", node);
    return json_pack("{s:s, s:o}", "Data", "a", "Nested", node);
}

static void test_depth_bounded(void **state)
{
    (void)state;
    struct model_service *svc = load_test_model();
    const struct model_shape *input = model_operation_find(svc, "Op", 2)->input;

    json_t *params = nest(3, "BAD");
    char *got = invalid_value(input, params);
    assert_string_equal(got, "1 validation error detected: Value 'BAD' at "
                             "'nested.child.child.child.name' failed to satisfy constraint: Member "
                             "must satisfy regular expression pattern: ^[a-z]+$");
    free(got);
    json_decref(params);

    params = nest(VALIDATE_DEPTH_MAX - 3, "ok");
    expect_valid_value(input, params);
    json_decref(params);

    params = nest(5000, "ok");
    got = invalid_value(input, params);
    assert_int_equal(
        strncmp(got, "request nests deeper than 64 levels at 'nested.child.child.", 58), 0);
    free(got);
    json_decref(params);
    model_service_free(svc);
}

struct worker {
    const struct model_shape *shape;
    int failures;
};

static void *validate_worker(void *arg)
{
    struct worker *w = arg;
    json_t *bad = json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "RoleName", "x!",
                            "AssumeRolePolicyDocument", "{}", "Tags", "Key", "k", "Value", "v#");
    const char *want = "2 validation errors detected: Value 'x!' at 'roleName' failed to satisfy "
                       "constraint: Member must satisfy regular expression pattern: "
                       "[\\w+=,.@-]+; Value 'v#' at 'tags.1.member.value' failed to satisfy "
                       "constraint: Member must satisfy regular expression pattern: "
                       "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*";
    for (int i = 0; i < 300; i++) {
        struct buf message = BUF_INIT;
        if (validate_params(&message, w->shape, bad) != ERR_INVALID || strcmp(message.data, want))
            w->failures++;
        buf_release(&message);
    }
    json_decref(bad);
    return NULL;
}

/* Many threads filling and reading the pattern cache at once. */
static void test_concurrent_validation(void **state)
{
    (void)state;
    validate_cache_clear();
    struct worker workers[8];
    pthread_t threads[8];
    for (int i = 0; i < 8; i++) {
        workers[i].shape = input_of("iam", "CreateRole");
        workers[i].failures = 0;
        assert_int_equal(pthread_create(&threads[i], NULL, validate_worker, &workers[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(workers[i].failures, 0);
    }
    bool matched = false;
    assert_int_equal(validate_pattern(&matched, "[\\w+=,.@-]+", "role", 4), 0);
    assert_true(matched);
    validate_cache_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_requests),
        cmocka_unit_test(test_required_members),
        cmocka_unit_test(test_pattern_and_length),
        cmocka_unit_test(test_long_values_are_cut),
        cmocka_unit_test(test_numeric_ranges),
        cmocka_unit_test(test_enums),
        cmocka_unit_test(test_nested_paths),
        cmocka_unit_test(test_collections),
        cmocka_unit_test(test_error_count_cap),
        cmocka_unit_test(test_sensitive_values_not_echoed),
        cmocka_unit_test(test_blobs_floats_and_maps),
        cmocka_unit_test(test_depth_bounded),
        cmocka_unit_test(test_concurrent_validation),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    validate_cache_clear();
    return rc;
}
