/*
 * CloudTrail's recorder: the readOnly rule, records built from calls with
 * their sensitive members and blobs redacted (a CreateSecret's
 * SecretString, a CreateLoginProfile's Password), the user identities,
 * and the queue: records queued before the recorder stops are all written.
 */
#include "base/common.h"
#include "aws/model.h"
#include "aws/api.h"
#include "base/buf.h"
#include "services/cloudtrail/cloudtrail.h"
#include "store/store.h"
#include "store_fixture.h"

#include <setjmp.h>

#include <cmocka.h>

#define T0 1700000000000LL

static const struct principal alice = {
    .type = PRINCIPAL_USER,
    .account_id = "123456789012",
    .arn = "arn:aws:iam::123456789012:user/alice",
    .user_id = "AIDAALICE",
    .access_key_id = "AKIAALICE",
    .name = "alice",
};

static json_t *record_of(const struct cloudtrail_call *call, struct buf *text)
{
    buf_reset(text);
    cloudtrail_record_text(text, call, "11111111-2222-3333-4444-555555555555");
    json_error_t error;
    json_t *record = json_loads(text->data, 0, &error);
    assert_non_null(record);
    return record;
}

static struct cloudtrail_call call_of(const char *service, const char *operation, json_t *params,
                                      json_t *output)
{
    const struct model_service *svc = model_service_find(service);
    assert_non_null(svc);
    const struct model_operation *op = model_operation_find(svc, operation, strlen(operation));
    assert_non_null(op);
    return (struct cloudtrail_call){
        .service = svc,
        .op = op,
        .principal = &alice,
        .account_id = alice.account_id,
        .region = "us-east-1",
        .source_ip = "127.0.0.1",
        .user_agent = "aws-cli/2",
        .request_id = "req-1",
        .time_ms = T0 + 123,
        .params = params,
        .output = output,
    };
}

static void test_read_only_rule(void **state)
{
    (void)state;
    const char *reads[] = {"GetUser",           "ListUsers",
                           "DescribeLogGroups", "HeadObject",
                           "LookupEvents",      "BatchGetRepositories",
                           "GetCallerIdentity", "TestMetricFilter",
                           "FilterLogEvents",   "SimulatePrincipalPolicy"};
    const char *writes[] = {"CreateUser", "PutObject", "DeleteSecret", "AssumeRole",
                            "Getaway",    "Listen",    "UpdateTrail",  "BatchDeleteThings"};
    for (size_t i = 0; i < ARRAY_SIZE(reads); i++)
        assert_true(cloudtrail_read_only(reads[i]));
    for (size_t i = 0; i < ARRAY_SIZE(writes); i++)
        assert_false(cloudtrail_read_only(writes[i]));
}

static void test_record_fields(void **state)
{
    (void)state;
    struct buf text = BUF_INIT;
    json_t *params = json_pack("{s:s}", "UserName", "bob");
    json_t *output = json_pack("{s:{s:s, s:s}}", "User", "UserName", "bob", "Arn",
                               "arn:aws:iam::123456789012:user/bob");
    struct cloudtrail_call call = call_of("iam", "CreateUser", params, output);
    json_t *r = record_of(&call, &text);
    assert_string_equal(json_string_value(json_object_get(r, "eventVersion")), "1.08");
    assert_string_equal(json_string_value(json_object_get(r, "eventSource")), "iam.amazonaws.com");
    assert_string_equal(json_string_value(json_object_get(r, "eventName")), "CreateUser");
    assert_string_equal(json_string_value(json_object_get(r, "eventTime")), "2023-11-14T22:13:20Z");
    assert_string_equal(json_string_value(json_object_get(r, "eventType")), "AwsApiCall");
    assert_string_equal(json_string_value(json_object_get(r, "recipientAccountId")),
                        "123456789012");
    assert_false(json_is_true(json_object_get(r, "readOnly")));
    assert_true(json_is_true(json_object_get(r, "managementEvent")));
    json_t *id = json_object_get(r, "userIdentity");
    assert_string_equal(json_string_value(json_object_get(id, "type")), "IAMUser");
    assert_string_equal(json_string_value(json_object_get(id, "userName")), "alice");
    assert_string_equal(json_string_value(json_object_get(id, "accessKeyId")), "AKIAALICE");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "requestParameters"), "userName")),
        "bob");
    /* A write records what it returned. */
    assert_true(json_is_object(json_object_get(r, "responseElements")));
    assert_null(json_object_get(r, "errorCode"));
    json_decref(r);

    /* A read records no responseElements; a failure its error. */
    struct cloudtrail_call read = call_of("iam", "GetUser", params, output);
    read.error_code = "AccessDenied";
    read.error_message = "not authorized";
    r = record_of(&read, &text);
    assert_true(json_is_null(json_object_get(r, "responseElements")));
    assert_true(json_is_true(json_object_get(r, "readOnly")));
    assert_string_equal(json_string_value(json_object_get(r, "errorCode")), "AccessDenied");
    json_decref(r);

    /* An assumed role has its session context. */
    struct principal role = {
        .type = PRINCIPAL_ASSUMED_ROLE,
        .account_id = "123456789012",
        .arn = "arn:aws:sts::123456789012:assumed-role/deployer/ci",
        .user_id = "AROADEPLOYER:ci",
        .access_key_id = "ASIAROLE",
        .name = "deployer",
        .role_arn = "arn:aws:iam::123456789012:role/deployer",
    };
    read.principal = &role;
    r = record_of(&read, &text);
    id = json_object_get(r, "userIdentity");
    assert_string_equal(json_string_value(json_object_get(id, "type")), "AssumedRole");
    json_t *issuer = json_object_get(json_object_get(id, "sessionContext"), "sessionIssuer");
    assert_string_equal(json_string_value(json_object_get(issuer, "principalId")), "AROADEPLOYER");
    assert_string_equal(json_string_value(json_object_get(issuer, "userName")), "deployer");
    assert_string_equal(json_string_value(json_object_get(issuer, "arn")),
                        "arn:aws:iam::123456789012:role/deployer");
    json_decref(r);

    /* Unauthenticated: what the request claimed. */
    read.principal = NULL;
    read.claimed_access_key_id = "AKIAUNKNOWN";
    r = record_of(&read, &text);
    id = json_object_get(r, "userIdentity");
    assert_string_equal(json_string_value(json_object_get(id, "type")), "Unknown");
    assert_string_equal(json_string_value(json_object_get(id, "accessKeyId")), "AKIAUNKNOWN");
    json_decref(r);

    json_decref(params);
    json_decref(output);
    buf_release(&text);
}

static void test_redacts_secret_string(void **state)
{
    (void)state;
    struct buf text = BUF_INIT;
    json_t *params =
        json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "Name", "db-password", "SecretString",
                  "hunter2-top-secret", "ClientRequestToken",
                  "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", "Tags", "Key", "team", "Value", "red");
    json_t *output = json_pack("{s:s, s:s, s:s}", "ARN",
                               "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
                               "Name", "db-password", "VersionId", "v1");
    struct cloudtrail_call call = call_of("secretsmanager", "CreateSecret", params, output);
    json_t *r = record_of(&call, &text);
    assert_null(strstr(text.data, "hunter2-top-secret"));
    json_t *req = json_object_get(r, "requestParameters");
    assert_string_equal(json_string_value(json_object_get(req, "secretString")), CLOUDTRAIL_HIDDEN);
    assert_string_equal(json_string_value(json_object_get(req, "name")), "db-password");
    json_decref(r);

    /* A blob is hidden too. */
    json_t *binary = json_pack("{s:s, s:s}", "Name", "b", "SecretBinary", "raw-bytes-here");
    call = call_of("secretsmanager", "CreateSecret", binary, NULL);
    r = record_of(&call, &text);
    assert_null(strstr(text.data, "raw-bytes-here"));
    json_decref(r);
    json_decref(binary);

    /* GetSecretValue is a read: its output (the secret) is never recorded. */
    json_t *value = json_pack("{s:s}", "SecretString", "hunter2-top-secret");
    json_t *get = json_pack("{s:s}", "SecretId", "db-password");
    call = call_of("secretsmanager", "GetSecretValue", get, value);
    r = record_of(&call, &text);
    assert_null(strstr(text.data, "hunter2-top-secret"));
    json_decref(r);
    json_decref(value);
    json_decref(get);

    json_decref(params);
    json_decref(output);
    buf_release(&text);
}

static void test_redacts_login_password(void **state)
{
    (void)state;
    struct buf text = BUF_INIT;
    json_t *params = json_pack("{s:s, s:s, s:b}", "UserName", "bob", "Password", "Sup3r-Secret-Pw!",
                               "PasswordResetRequired", 1);
    struct cloudtrail_call call = call_of("iam", "CreateLoginProfile", params, NULL);
    json_t *r = record_of(&call, &text);
    assert_null(strstr(text.data, "Sup3r-Secret-Pw!"));
    json_t *req = json_object_get(r, "requestParameters");
    assert_string_equal(json_string_value(json_object_get(req, "password")), CLOUDTRAIL_HIDDEN);
    assert_string_equal(json_string_value(json_object_get(req, "userName")), "bob");
    json_decref(r);
    json_decref(params);
    buf_release(&text);
}

static void test_bounded_elements(void **state)
{
    (void)state;
    struct buf text = BUF_INIT;
    char *big = xmalloc(CLOUDTRAIL_ELEMENT_MAX + 10);
    memset(big, 'x', CLOUDTRAIL_ELEMENT_MAX + 9);
    big[CLOUDTRAIL_ELEMENT_MAX + 9] = '\0';
    json_t *params = json_pack("{s:s, s:s}", "PolicyName", "p", "PolicyDocument", big);
    struct cloudtrail_call call = call_of("iam", "CreatePolicy", params, NULL);
    json_t *r = record_of(&call, &text);
    assert_true(json_is_null(json_object_get(r, "requestParameters")));
    assert_non_null(json_object_get(r, "additionalEventData"));
    assert_true(text.len < 4096);
    json_decref(r);
    json_decref(params);
    free(big);
    buf_release(&text);
}

static void test_data_events(void **state)
{
    (void)state;
    const struct model_service *s3 = model_service_find("s3");
    assert_true(cloudtrail_data_event(s3, model_operation_find(s3, "PutObject", 9)));
    assert_true(cloudtrail_data_event(s3, model_operation_find(s3, "GetObject", 9)));
    assert_true(cloudtrail_data_event(s3, model_operation_find(s3, "ListObjectsV2", 13)));
    assert_false(cloudtrail_data_event(s3, model_operation_find(s3, "CreateBucket", 12)));
    const struct model_service *iam = model_service_find("iam");
    assert_false(cloudtrail_data_event(iam, model_operation_find(iam, "GetUser", 7)));
}

/* The records the batch rows of a page hold. */
static size_t records_in(const struct store_log_page *page)
{
    struct cloudtrail_line *lines = NULL;
    size_t cap = 0, total = 0;
    for (size_t i = 0; i < page->len; i++) {
        size_t n = cloudtrail_row_split(&lines, &cap, page->items[i].timestamp_ms,
                                        page->items[i].message, page->items[i].message_len);
        for (size_t k = 0; k < n; k++) {
            /* Each line is one whole record, in time order. */
            json_t *record = json_loadb(lines[k].json, lines[k].len, 0, NULL);
            assert_non_null(record);
            json_decref(record);
            assert_true(lines[k].time_ms <= page->items[i].timestamp_ms);
            assert_true(page->items[i].timestamp_ms - lines[k].time_ms <= CLOUDTRAIL_ROW_SPAN_MS);
            if (k)
                assert_true(lines[k - 1].time_ms <= lines[k].time_ms);
        }
        total += n;
    }
    free(lines);
    return total;
}

/* Everything queued before the recorder stops is in the store after. */
static void test_stop_writes_everything(void **state)
{
    (void)state;
    struct store_fixture f;
    assert_int_equal(store_fixture_open(&f, "cloudtrail", T0), 0);
    struct cloudtrail_recorder *rec;
    assert_int_equal(cloudtrail_recorder_new(&rec, f.st), 0);
    enum { N = 3000 };
    json_t *params = json_pack("{s:s}", "UserName", "bob");
    for (int i = 0; i < N; i++) {
        struct cloudtrail_call call =
            call_of("iam", i % 2 ? "GetUser" : "CreateUser", params, NULL);
        call.time_ms = T0 + i;
        /* Two regions: two scopes in one batch. */
        call.region = i % 3 ? "us-east-1" : "eu-west-1";
        cloudtrail_record(rec, &call);
    }
    json_decref(params);
    cloudtrail_recorder_free(rec);

    size_t total = 0;
    const char *regions[] = {"us-east-1", "eu-west-1"};
    for (size_t r = 0; r < ARRAY_SIZE(regions); r++) {
        char scope[CLOUDTRAIL_SCOPE_MAX];
        cloudtrail_scope(scope, alice.account_id, regions[r]);
        struct store_log_pos from = {0, 0};
        for (;;) {
            struct store_log_read_query q = {.scope = scope,
                                             .group = CLOUDTRAIL_GROUP,
                                             .stream = CLOUDTRAIL_STREAM,
                                             .from = from};
            struct store_log_page page;
            assert_int_equal(store_log_read(&page, f.st, NULL, &q), 0);
            total += records_in(&page);
            bool more = page.more;
            from = page.last;
            store_log_page_release(&page);
            if (!more)
                break;
        }
    }
    assert_int_equal(total, N);
    /* The CloudWatch Logs scope holds nothing. */
    struct store_log_group g;
    assert_int_equal(store_log_group_get(&g, f.st, NULL, "123456789012/us-east-1", "events"),
                     ERR_NOT_FOUND);
    store_fixture_close(&f);
}

/* flush waits for what was queued; records then read back in order. */
static void test_flush(void **state)
{
    (void)state;
    struct store_fixture f;
    assert_int_equal(store_fixture_open(&f, "cloudtrail-flush", T0), 0);
    struct cloudtrail_recorder *rec;
    assert_int_equal(cloudtrail_recorder_new(&rec, f.st), 0);
    struct cloudtrail_call call = call_of("sts", "GetCallerIdentity", NULL, NULL);
    for (int i = 0; i < 10; i++)
        cloudtrail_record(rec, &call);
    assert_int_equal(cloudtrail_recorder_flush(rec, 5000), 0);
    char scope[CLOUDTRAIL_SCOPE_MAX];
    cloudtrail_scope(scope, alice.account_id, "us-east-1");
    struct store_log_group g;
    assert_int_equal(store_log_group_get(&g, f.st, NULL, scope, CLOUDTRAIL_GROUP), 0);
    /* Batch rows: fewer store events than records, all records in them. */
    assert_in_range(g.event_count, 1, 10);
    struct store_log_read_query q = {
        .scope = scope, .group = CLOUDTRAIL_GROUP, .stream = CLOUDTRAIL_STREAM};
    struct store_log_page page;
    assert_int_equal(store_log_read(&page, f.st, NULL, &q), 0);
    assert_int_equal(records_in(&page), 10);
    store_log_page_release(&page);
    assert_int_equal(g.retention_days, CLOUDTRAIL_RETENTION_DAYS);
    assert_int_equal(cloudtrail_recorder_dropped(rec), 0);
    cloudtrail_recorder_free(rec);
    store_fixture_close(&f);
}

/* --- LookupEvents over batch rows ---------------------------------------- */

static const struct principal admin = {
    .type = PRINCIPAL_USER,
    .account_id = "123456789012",
    .arn = "arn:aws:iam::123456789012:user/admin",
    .user_id = "AIDAADMIN",
    .access_key_id = "AKIAADMIN",
    .name = "admin",
    .admin = true,
};

/* Records calls at T0 + times[i] ms (request ids "req-I"), all written. */
static void record_at(struct store *st, const int64_t *times, size_t n)
{
    struct cloudtrail_recorder *rec;
    assert_int_equal(cloudtrail_recorder_new(&rec, st), 0);
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof(id), "req-%zu", i);
        struct cloudtrail_call call = call_of("sts", "GetCallerIdentity", NULL, NULL);
        call.time_ms = T0 + times[i];
        call.request_id = id;
        cloudtrail_record(rec, &call);
    }
    cloudtrail_recorder_free(rec);
}

/* Runs LookupEvents as the admin; `in` is consumed. */
static json_t *lookup(struct store *st, json_t *in)
{
    const struct model_service *svc = model_service_find("cloudtrail");
    assert_non_null(svc);
    struct api_call call = {
        .request_id = "lookup",
        .service = svc,
        .op = model_operation_find(svc, "LookupEvents", strlen("LookupEvents")),
        .principal = &admin,
        .account_id = admin.account_id,
        .region = "us-east-1",
        .partition = "aws",
        .store = st,
        .now_ms = T0,
        .download = {.fd = -1},
    };
    json_t *out = NULL;
    assert_int_equal(cloudtrail_api_service.operations[0].handler(&call, in, &out), 0);
    json_decref(in);
    assert_non_null(out);
    return out;
}

/* The request ids of a LookupEvents page, in its order: "3,2,1". */
static void page_ids(struct buf *ids, json_t *page)
{
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(page, "Events"), i, ev)
    {
        json_t *record =
            json_loads(json_string_value(json_object_get(ev, "CloudTrailEvent")), 0, NULL);
        assert_non_null(record);
        buf_addf(ids, "%s%s", ids->len ? "," : "",
                 json_string_value(json_object_get(record, "requestID")) + strlen("req-"));
        json_decref(record);
    }
}

static size_t event_rows(struct store *st)
{
    char scope[CLOUDTRAIL_SCOPE_MAX];
    cloudtrail_scope(scope, alice.account_id, "us-east-1");
    struct store_log_group g;
    assert_int_equal(store_log_group_get(&g, st, NULL, scope, CLOUDTRAIL_GROUP), 0);
    return (size_t)g.event_count;
}

/*
 * A row is stamped with its newest record: a time range ending inside a
 * row (the row's stamp past the range) still finds that row's records in
 * the range, and only those.
 */
static void test_rows_across_time_range(void **state)
{
    (void)state;
    struct store_fixture f;
    assert_int_equal(store_fixture_open(&f, "cloudtrail-range", T0), 0);
    /* Two rows: 0..900 (stamped 900) and 1500..2500 (stamped 2500). */
    const int64_t times[] = {0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1500, 2500};
    record_at(f.st, times, ARRAY_SIZE(times));
    assert_int_equal(event_rows(f.st), 2);

    struct {
        int64_t start, end; /* ms after T0; EndTime takes its whole second */
        const char *ids;
    } cases[] = {
        {1000, 1000, "10"},            /* row stamped 2500, past the range */
        {0, 0, "9,8,7,6,5,4,3,2,1,0"}, /* row stamped 900 */
        {500, 1000, "10,9,8,7,6,5"},   /* both rows, part of each */
        {900, -1, "11,10,9"},          /* no end */
        {2000, 2000, "11"},
        {3000, 4000, ""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *in = json_pack("{s:I}", "StartTime", (json_int_t)(T0 + cases[i].start));
        if (cases[i].end >= 0)
            json_object_set_new(in, "EndTime", json_integer(T0 + cases[i].end));
        json_t *out = lookup(f.st, in);
        struct buf ids = BUF_INIT;
        page_ids(&ids, out);
        assert_string_equal(ids.len ? ids.data : "", cases[i].ids);
        assert_null(json_object_get(out, "NextToken"));
        buf_release(&ids);
        json_decref(out);
    }
    store_fixture_close(&f);
}

/*
 * Pages cut rows anywhere: following NextToken finds every record once,
 * newest first, and a token read twice gives the same page.
 */
static void test_pagination_across_rows(void **state)
{
    (void)state;
    struct store_fixture f;
    assert_int_equal(store_fixture_open(&f, "cloudtrail-pages", T0), 0);
    enum { N = 25 };
    int64_t times[N];
    for (int i = 0; i < N; i++)
        times[i] = 300 * i; /* four records a row */
    record_at(f.st, times, N);
    assert_true(event_rows(f.st) > 1 && event_rows(f.st) < N);

    struct buf want = BUF_INIT, got = BUF_INIT;
    for (int i = N - 1; i >= 0; i--)
        buf_addf(&want, "%s%d", want.len ? "," : "", i);
    char *token = NULL;
    size_t pages = 0;
    do {
        json_t *in = json_pack("{s:i}", "MaxResults", 3);
        if (token)
            json_object_set_new(in, "NextToken", json_string(token));
        json_t *out = lookup(f.st, in);
        if (token) {
            /* The same token again: the same page. */
            json_t *again =
                lookup(f.st, json_pack("{s:i, s:s}", "MaxResults", 3, "NextToken", token));
            struct buf a = BUF_INIT, b = BUF_INIT;
            page_ids(&a, out);
            page_ids(&b, again);
            assert_string_equal(a.len ? a.data : "", b.len ? b.data : "");
            buf_release(&a);
            buf_release(&b);
            json_decref(again);
        }
        page_ids(&got, out);
        assert_true(json_array_size(json_object_get(out, "Events")) <= 3);
        free(token);
        const char *next = json_string_value(json_object_get(out, "NextToken"));
        token = next ? strdup(next) : NULL;
        json_decref(out);
        pages++;
    } while (token && pages < 100);
    assert_string_equal(got.data, want.data);
    assert_int_equal(pages, (N + 2) / 3);

    /* A filter with pages: every record matches, the same order. */
    buf_reset(&got);
    do {
        json_t *in = json_pack("{s:i, s:[{s:s, s:s}]}", "MaxResults", 7, "LookupAttributes",
                               "AttributeKey", "EventName", "AttributeValue", "GetCallerIdentity");
        if (token)
            json_object_set_new(in, "NextToken", json_string(token));
        json_t *out = lookup(f.st, in);
        page_ids(&got, out);
        free(token);
        const char *next = json_string_value(json_object_get(out, "NextToken"));
        token = next ? strdup(next) : NULL;
        json_decref(out);
    } while (token);
    assert_string_equal(got.data, want.data);
    buf_release(&want);
    buf_release(&got);
    store_fixture_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_only_rule),
        cmocka_unit_test(test_record_fields),
        cmocka_unit_test(test_redacts_secret_string),
        cmocka_unit_test(test_redacts_login_password),
        cmocka_unit_test(test_bounded_elements),
        cmocka_unit_test(test_data_events),
        cmocka_unit_test(test_stop_writes_everything),
        cmocka_unit_test(test_flush),
        cmocka_unit_test(test_rows_across_time_range),
        cmocka_unit_test(test_pagination_across_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
