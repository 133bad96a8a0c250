#include "base/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>

#include "aws/model_load.h"
#include "aws/proto_rest.h"
#include "aws/protocol.h"
#include "aws/protocol_impl.h"
#include "base/err.h"

/*
 * REST routing and HTTP bindings (proto_rest.c) against the compiled S3
 * model, where several operations share a template, and a small restJson
 * model for header lists.
 */

#define MAX_HEADERS 8

struct test_request {
    struct aws_request req;
    struct header_field headers[MAX_HEADERS];
};

/* "GET /b/k?x=1" plus "Name: value" headers, NULL-terminated. */
static void make_request(struct test_request *t, const char *method, const char *uri, ...)
{
    static char path[512];
    const char *q = strchr(uri, '?');
    size_t len = q ? (size_t)(q - uri) : strlen(uri);
    memcpy(path, uri, len);
    path[len] = '\0';
    memset(t, 0, sizeof(*t));
    t->req.method = method;
    t->req.path = path;
    t->req.query = q ? q + 1 : NULL;
    t->req.headers = t->headers;
    va_list ap;
    va_start(ap, uri);
    const char *line;
    while ((line = va_arg(ap, const char *)) && t->req.header_count < MAX_HEADERS) {
        const char *colon = strchr(line, ':');
        const char *value = colon + 1;
        while (*value == ' ')
            value++;
        t->headers[t->req.header_count++] =
            (struct header_field){line, (size_t)(colon - line), value, strlen(value)};
    }
    va_end(ap);
}

static const struct model_service *s3(void)
{
    const struct model_service *svc = model_service_find("s3");
    assert_non_null(svc);
    return svc;
}

static void expect_route(const char *expected, const char *method, const char *uri,
                         const char *header)
{
    struct test_request t;
    make_request(&t, method, uri, header, NULL);
    const struct model_operation *op = NULL;
    if (rest_match(&op, s3(), &t.req) != 0)
        fail_msg("%s %s: %s", method, uri, err_msg());
    if (strcmp(op->name, expected) != 0)
        fail_msg("%s %s routed to '%s', not '%s'", method, uri, op->name, expected);
}

static void test_routes_choose_the_most_specific(void **state)
{
    (void)state;
    expect_route("ListBuckets", "GET", "/", NULL);
    expect_route("ListObjects", "GET", "/bucket", NULL);
    expect_route("ListObjects", "GET", "/bucket/", NULL);
    expect_route("ListObjectsV2", "GET", "/bucket?list-type=2&prefix=a", NULL);
    expect_route("ListObjects", "GET", "/bucket?list-type=1", NULL);
    expect_route("GetObject", "GET", "/bucket/a/b/c.txt", NULL);
    expect_route("GetObjectTagging", "GET", "/bucket/a/b?tagging", NULL);
    expect_route("GetObject", "GET", "/bucket/a?versionId=3", NULL);
    expect_route("PutObject", "PUT", "/bucket/key", NULL);
    expect_route("CopyObject", "PUT", "/bucket/key", "x-amz-copy-source: src/k");
    expect_route("UploadPart", "PUT", "/bucket/key?partNumber=1&uploadId=u", NULL);
    expect_route("UploadPartCopy", "PUT", "/bucket/key?partNumber=1&uploadId=u",
                 "X-Amz-Copy-Source: src/k");
    expect_route("DeleteObjects", "POST", "/bucket?delete", NULL);
    expect_route("HeadBucket", "HEAD", "/bucket", NULL);
    expect_route("CreateBucket", "PUT", "/bucket", NULL);

    struct test_request t;
    const struct model_operation *op = NULL;
    make_request(&t, "PATCH", "/bucket", NULL);
    assert_int_equal(rest_match(&op, s3(), &t.req), ERR_NOT_FOUND);
    assert_string_equal(err_msg(), "no operation of service 's3' matches 'PATCH /bucket'");
    assert_null(op);
}

static json_t *decode_s3(struct test_request *t)
{
    const struct model_operation *op;
    if (rest_match(&op, s3(), &t->req) != 0)
        fail_msg("match: %s", err_msg());
    json_t *params = json_object();
    if (rest_decode_bindings(params, op, &t->req) != 0)
        fail_msg("bindings of %s: %s", op->name, err_msg());
    return params;
}

static void test_bindings_decode(void **state)
{
    (void)state;
    struct test_request t;
    make_request(&t, "GET", "/my-bucket/dir/a%20b%2Bc+d.txt", "Range: bytes=0-9",
                 "If-Modified-Since: Mon, 16 Dec 2019 23:48:18 GMT", NULL);
    json_t *params = decode_s3(&t);
    assert_string_equal(json_string_value(json_object_get(params, "Bucket")), "my-bucket");
    /* '+' is literal in a path; only query strings use it for a space. */
    assert_string_equal(json_string_value(json_object_get(params, "Key")), "dir/a b+c+d.txt");
    assert_string_equal(json_string_value(json_object_get(params, "Range")), "bytes=0-9");
    assert_true(json_integer_value(json_object_get(params, "IfModifiedSince")) == 1576540098000LL);
    json_decref(params);

    make_request(&t, "GET", "/b?list-type=2&prefix=a+b%2F&max-keys=5&fetch-owner=true", NULL);
    params = decode_s3(&t);
    assert_string_equal(json_string_value(json_object_get(params, "Prefix")), "a b/");
    assert_int_equal(json_integer_value(json_object_get(params, "MaxKeys")), 5);
    assert_true(json_is_true(json_object_get(params, "FetchOwner")));
    json_decref(params);

    make_request(&t, "PUT", "/b/k", "X-Amz-Meta-Owner: Ann", "x-amz-meta-team: ci",
                 "Content-Length: 3", NULL);
    params = decode_s3(&t);
    json_t *meta = json_object_get(params, "Metadata");
    assert_int_equal(json_object_size(meta), 2);
    assert_string_equal(json_string_value(json_object_get(meta, "owner")), "Ann");
    assert_string_equal(json_string_value(json_object_get(meta, "team")), "ci");
    assert_int_equal(json_integer_value(json_object_get(params, "ContentLength")), 3);
    json_decref(params);
}

static void bindings_fail(const char *method, const char *uri, const char *header,
                          const char *message)
{
    struct test_request t;
    make_request(&t, method, uri, header, NULL);
    const struct model_operation *op;
    if (rest_match(&op, s3(), &t.req) != 0)
        fail_msg("match: %s", err_msg());
    json_t *params = json_object();
    int rc = rest_decode_bindings(params, op, &t.req);
    json_decref(params);
    if (rc != ERR_INVALID)
        fail_msg("%s %s gave %d, not ERR_INVALID", method, uri, rc);
    if (strcmp(err_msg(), message) != 0)
        fail_msg("message '%s', not '%s'", err_msg(), message);
}

static void test_bindings_errors_say_where(void **state)
{
    (void)state;
    bindings_fail("GET", "/b?list-type=2&max-keys=ten", NULL,
                  "query parameter 'max-keys': 'ten' is not a 32-bit integer");
    bindings_fail("GET", "/b?list-type=2&fetch-owner=yes", NULL,
                  "query parameter 'fetch-owner': 'yes' is not a boolean");
    bindings_fail("GET", "/b/k", "If-Modified-Since: soon",
                  "header 'If-Modified-Since': 'soon' is not a timestamp");
    bindings_fail("GET", "/b/k%zz", NULL, "URI label 'Key': bad percent-escape");
    bindings_fail("GET", "/b/a%00b", NULL, "URI label 'Key': value holds a NUL character");
    bindings_fail("GET", "/b/a%C0%AF", NULL, "URI label 'Key': value is not valid UTF-8");
    bindings_fail("PUT", "/b/k", "Content-Length: 99999999999999999999",
                  "header 'Content-Length': '99999999999999999999' is not an integer");
}

static const char restjson_model[] =
    "{\"metadata\": {\"protocol\": \"rest-json\", \"endpointPrefix\": \"demo\"},"
    " \"operations\": {\"Op\": {\"name\": \"Op\","
    "   \"http\": {\"method\": \"POST\", \"requestUri\": \"/things/{Id}?mode=fast\","
    "              \"responseCode\": 201},"
    "   \"input\": {\"shape\": \"IO\"}, \"output\": {\"shape\": \"IO\"}}},"
    " \"shapes\": {"
    "  \"IO\": {\"type\": \"structure\", \"members\": {"
    "    \"Id\": {\"shape\": \"Integer\", \"location\": \"uri\", \"locationName\": \"Id\"},"
    "    \"Names\": {\"shape\": \"Strings\", \"location\": \"header\", \"locationName\": \"X-Names\"},"
    "    \"Dates\": {\"shape\": \"Dates\", \"location\": \"header\", \"locationName\": \"X-Dates\"},"
    "    \"Doc\": {\"shape\": \"String\", \"jsonvalue\": true, \"location\": \"header\","
    "             \"locationName\": \"X-Doc\"},"
    "    \"Extra\": {\"shape\": \"Params\", \"location\": \"querystring\"},"
    "    \"Status\": {\"shape\": \"Integer\", \"location\": \"statusCode\"},"
    "    \"Body\": {\"shape\": \"String\"}}},"
    "  \"Strings\": {\"type\": \"list\", \"member\": {\"shape\": \"String\"}},"
    "  \"Dates\": {\"type\": \"list\", \"member\": {\"shape\": \"Timestamp\"}},"
    "  \"Params\": {\"type\": \"map\", \"key\": {\"shape\": \"String\"},"
    "              \"value\": {\"shape\": \"String\"}},"
    "  \"String\": {\"type\": \"string\"}, \"Integer\": {\"type\": \"integer\"},"
    "  \"Timestamp\": {\"type\": \"timestamp\"}}}";

static struct model_service *load_restjson(void)
{
    json_error_t jerr;
    json_t *root = json_loads(restjson_model, 0, &jerr);
    if (!root)
        fail_msg("model text: %d:%d: %s", jerr.line, jerr.column, jerr.text);
    struct model_service *svc;
    if (model_load(&svc, root, "demo") != 0)
        fail_msg("model: %s", err_msg());
    json_decref(root);
    return svc;
}

static void test_header_lists_and_json_values(void **state)
{
    (void)state;
    struct model_service *svc = load_restjson();
    struct test_request t;
    make_request(&t, "POST",
                 "/things/7?mode=fast&a=1&a=2&b=", "X-Names: plain,  \"b,c\" , \"\\\"q\\\"\",last",
                 "X-Dates: Mon, 16 Dec 2019 23:48:18 GMT, Tue, 17 Dec 2019 00:00:00 GMT",
                 "X-Doc: eyJhIjogWzEsIDJdfQ==", NULL);
    t.req.body = "{\"Body\": \"text\"}";
    t.req.body_len = strlen(t.req.body);
    const struct model_operation *op;
    assert_int_equal(rest_match(&op, svc, &t.req), 0);
    json_t *params;
    if (restjson_decode(&params, svc, op, &t.req) != 0)
        fail_msg("decode: %s", err_msg());
    assert_int_equal(json_integer_value(json_object_get(params, "Id")), 7);
    json_t *names = json_object_get(params, "Names");
    assert_int_equal(json_array_size(names), 4);
    assert_string_equal(json_string_value(json_array_get(names, 0)), "plain");
    assert_string_equal(json_string_value(json_array_get(names, 1)), "b,c");
    assert_string_equal(json_string_value(json_array_get(names, 2)), "\"q\"");
    assert_string_equal(json_string_value(json_array_get(names, 3)), "last");
    json_t *dates = json_object_get(params, "Dates");
    assert_int_equal(json_array_size(dates), 2);
    assert_true(json_integer_value(json_array_get(dates, 1)) == 1576540800000LL);
    json_t *doc = json_object_get(params, "Doc");
    assert_int_equal(json_array_size(json_object_get(doc, "a")), 2);
    /* The template's own 'mode' is not a free parameter; the first 'a' wins. */
    json_t *extra = json_object_get(params, "Extra");
    assert_int_equal(json_object_size(extra), 2);
    assert_string_equal(json_string_value(json_object_get(extra, "a")), "1");
    assert_string_equal(json_string_value(json_object_get(extra, "b")), "");
    assert_string_equal(json_string_value(json_object_get(params, "Body")), "text");

    /* The same values go back out as headers. */
    struct http_response resp;
    http_response_init(&resp);
    json_object_set_new(params, "Status", json_integer(202));
    assert_int_equal(restjson_encode(&resp, svc, op, params, "r-1"), 0);
    assert_int_equal(resp.status, 202);
    assert_string_equal(http_response_header(&resp, "X-Names"),
                        "plain, \"b,c\", \"\\\"q\\\"\", last");
    assert_string_equal(http_response_header(&resp, "X-Dates"),
                        "Mon, 16 Dec 2019 23:48:18 GMT, Tue, 17 Dec 2019 00:00:00 GMT");
    assert_string_equal(http_response_header(&resp, "X-Doc"), "eyJhIjpbMSwyXX0=");
    assert_string_equal(http_response_header(&resp, "Content-Type"), "application/json");
    assert_string_equal(resp.body.data, "{\"Body\":\"text\"}");
    http_response_release(&resp);

    /* A header value must not be able to start another header. */
    json_object_set_new(params, "Names", json_pack("[s]", "a\r\nSet-Cookie: x"));
    http_response_init(&resp);
    assert_int_equal(restjson_encode(&resp, svc, op, params, NULL), ERR_INTERNAL);
    assert_string_equal(err_msg(), "header 'X-Names' must not hold line breaks");
    assert_int_equal(resp.header_count, 0);
    http_response_release(&resp);
    json_decref(params);

    make_request(&t, "POST", "/things/7?mode=fast", "X-Names: \"open", NULL);
    assert_int_equal(restjson_decode(&params, svc, op, &t.req), ERR_INVALID);
    assert_string_equal(err_msg(), "header 'X-Names': unterminated quoted item");
    model_service_free(svc);
}

static void test_timestamps_as_text(void **state)
{
    (void)state;
    char text[TIME_TEXT_MAX];
    rest_timestamp_text(text, 1576540098250LL, TS_UNIX);
    assert_string_equal(text, "1576540098.25");
    rest_timestamp_text(text, -1500, TS_UNIX);
    assert_string_equal(text, "-1.5");
    rest_timestamp_text(text, 1576540098000LL, TS_ISO8601);
    assert_string_equal(text, "2019-12-16T23:48:18Z");
    rest_timestamp_text(text, 1576540098000LL, TS_RFC822);
    assert_string_equal(text, "Mon, 16 Dec 2019 23:48:18 GMT");

    int64_t ms = 0;
    assert_int_equal(rest_timestamp_parse(&ms, "1576540098.5", 12), 0);
    assert_true(ms == 1576540098500LL);
    assert_int_equal(rest_timestamp_parse(&ms, "2019-12-16T22:48:18-01:00", 25), 0);
    assert_true(ms == 1576540098000LL);
    assert_int_equal(rest_timestamp_parse(&ms, "Mon, 16 Dec 2019 23:48:18 GMT", 29), 0);
    assert_true(ms == 1576540098000LL);
    assert_int_equal(rest_timestamp_parse(&ms, "1e300", 5), ERR_INVALID);
    assert_int_equal(rest_timestamp_parse(&ms, "99999999999999", 14), ERR_INVALID);
}

static void test_percent_coding(void **state)
{
    (void)state;
    struct buf out = BUF_INIT;
    assert_int_equal(rest_percent_decode(&out, "a%2Fb+c%f0%9F%98%b9", 19, true), 0);
    assert_string_equal(out.data, "a/b c\xf0\x9f\x98\xb9");
    buf_reset(&out);
    assert_int_equal(rest_percent_decode(&out, "100%", 4, false), ERR_INVALID);
    buf_reset(&out);
    rest_percent_encode(&out, "a b/c~", 6, true);
    assert_string_equal(out.data, "a%20b/c~");
    buf_reset(&out);
    rest_percent_encode(&out, "a b/c~", 6, false);
    assert_string_equal(out.data, "a%20b%2Fc~");
    buf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes_choose_the_most_specific),
        cmocka_unit_test(test_bindings_decode),
        cmocka_unit_test(test_bindings_errors_say_where),
        cmocka_unit_test(test_header_lists_and_json_values),
        cmocka_unit_test(test_timestamps_as_text),
        cmocka_unit_test(test_percent_coding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
