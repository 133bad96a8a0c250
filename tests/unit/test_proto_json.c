/*
 * awsJson (src/aws/proto_json.c) beyond the protocol vectors: type errors
 * with member paths, invalid UTF-8, the depth limit, empty bodies, targets,
 * pre-encoded (raw) values.
 */
#include "base/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>

#include "aws/api.h"
#include "aws/model_load.h"
#include "aws/proto_rest.h"
#include "aws/protocol.h"
#include "aws/protocol_impl.h"
#include "base/err.h"

/*
 * awsJson decoding and encoding beyond what the botocore vectors check:
 * type errors with member paths, UTF-8, the depth limit, empty bodies,
 * routing errors, and error bodies.
 */

static const char model_text[] =
    "{\"metadata\": {\"protocol\": \"json\", \"jsonVersion\": \"1.1\","
    "  \"targetPrefix\": \"Demo_20240101\", \"endpointPrefix\": \"demo\"},"
    " \"operations\": {"
    "  \"PutThing\": {\"name\": \"PutThing\", \"input\": {\"shape\": \"PutThingInput\"},"
    "               \"output\": {\"shape\": \"PutThingOutput\"},"
    "               \"errors\": [{\"shape\": \"ThingError\"}]},"
    "  \"Ping\": {\"name\": \"Ping\"}},"
    " \"shapes\": {"
    "  \"PutThingInput\": {\"type\": \"structure\", \"members\": {"
    "    \"Name\": {\"shape\": \"String\"},"
    "    \"Count\": {\"shape\": \"Integer\"},"
    "    \"Big\": {\"shape\": \"Long\"},"
    "    \"Ratio\": {\"shape\": \"Double\"},"
    "    \"Enabled\": {\"shape\": \"Boolean\"},"
    "    \"Data\": {\"shape\": \"Blob\"},"
    "    \"When\": {\"shape\": \"Timestamp\"},"
    "    \"Tags\": {\"shape\": \"TagList\"},"
    "    \"Attrs\": {\"shape\": \"AttrMap\"},"
    "    \"Doc\": {\"shape\": \"Document\"},"
    "    \"Renamed\": {\"shape\": \"String\", \"locationName\": \"wireName\"}}},"
    "  \"PutThingOutput\": {\"type\": \"structure\", \"members\": {"
    "    \"Id\": {\"shape\": \"String\"},"
    "    \"Created\": {\"shape\": \"Timestamp\"},"
    "    \"Stamp\": {\"shape\": \"IsoTimestamp\"},"
    "    \"Data\": {\"shape\": \"Blob\"},"
    "    \"Ratio\": {\"shape\": \"Double\"},"
    "    \"Tags\": {\"shape\": \"TagList\"},"
    "    \"Renamed\": {\"shape\": \"String\", \"locationName\": \"wireName\"}}},"
    "  \"ThingError\": {\"type\": \"structure\", \"exception\": true,"
    "    \"error\": {\"code\": \"ThingBroke\", \"httpStatusCode\": 409},"
    "    \"members\": {\"message\": {\"shape\": \"String\"},"
    "                  \"Reason\": {\"shape\": \"String\"}}},"
    "  \"TagList\": {\"type\": \"list\", \"member\": {\"shape\": \"Tag\"}},"
    "  \"Tag\": {\"type\": \"structure\", \"members\": {"
    "    \"Key\": {\"shape\": \"String\"}, \"Value\": {\"shape\": \"String\"}}},"
    "  \"AttrMap\": {\"type\": \"map\", \"key\": {\"shape\": \"String\"},"
    "              \"value\": {\"shape\": \"String\"}},"
    "  \"Document\": {\"type\": \"structure\", \"members\": {}, \"document\": true},"
    "  \"String\": {\"type\": \"string\"}, \"Integer\": {\"type\": \"integer\"},"
    "  \"Long\": {\"type\": \"long\"}, \"Double\": {\"type\": \"double\"},"
    "  \"Boolean\": {\"type\": \"boolean\"}, \"Blob\": {\"type\": \"blob\"},"
    "  \"Timestamp\": {\"type\": \"timestamp\"},"
    "  \"IsoTimestamp\": {\"type\": \"timestamp\", \"timestampFormat\": \"iso8601\"}}}";

struct fixture {
    struct model_service *svc;
    const struct model_operation *put;
};

static int setup(void **state)
{
    json_error_t jerr;
    json_t *root = json_loads(model_text, 0, &jerr);
    if (!root)
        fail_msg("model text: %d:%d: %s", jerr.line, jerr.column, jerr.text);
    struct fixture *f = calloc(1, sizeof(*f));
    if (model_load(&f->svc, root, "demo") < 0)
        fail_msg("model: %s", err_msg());
    json_decref(root);
    f->put = model_operation_find(f->svc, "PutThing", 8);
    assert_non_null(f->put);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    model_service_free(f->svc);
    free(f);
    return 0;
}

static struct aws_request request(const char *target, const char *body, size_t len)
{
    static struct header_field headers[1];
    headers[0] = (struct header_field){"X-Amz-Target", 12, target, target ? strlen(target) : 0};
    return (struct aws_request){.method = "POST",
                                .path = "/",
                                .headers = headers,
                                .header_count = target ? 1 : 0,
                                .body = body,
                                .body_len = len};
}

static json_t *decode_ok(struct fixture *f, const char *body)
{
    struct aws_request req = request("Demo_20240101.PutThing", body, strlen(body));
    json_t *params = NULL;
    if (json_protocol_decode(&params, f->svc, f->put, &req) != 0)
        fail_msg("decode of '%s' failed: %s", body, err_msg());
    assert_non_null(params);
    return params;
}

static void decode_fails(struct fixture *f, const char *body, size_t len, const char *message)
{
    struct aws_request req = request("Demo_20240101.PutThing", body, len);
    json_t *params = NULL;
    int rc = json_protocol_decode(&params, f->svc, f->put, &req);
    if (rc != ERR_INVALID)
        fail_msg("decode of '%.*s' gave %d, not ERR_INVALID", (int)len, body, rc);
    assert_null(params);
    if (!strstr(err_msg(), message))
        fail_msg("message '%s' lacks '%s'", err_msg(), message);
}

static void test_type_errors_name_the_member_path(void **state)
{
    struct fixture *f = *state;
    decode_fails(f, "{\"Name\": 5}", 11, "'Name' must be a string");
    decode_fails(f, "{\"Count\": \"5\"}", 14, "'Count' must be an integer");
    decode_fails(f, "{\"Count\": 1.5}", 14, "'Count' must be an integer");
    decode_fails(f, "{\"Count\": 2147483648}", 21, "'Count' must be a 32-bit integer");
    decode_fails(f, "{\"Enabled\": \"true\"}", 19, "'Enabled' must be a boolean");
    decode_fails(f, "{\"Ratio\": \"1.5\"}", 16, "'Ratio' must be a number");
    decode_fails(f, "{\"Data\": \"not base64!\"}", 23, "'Data' must be a base64-encoded string");
    decode_fails(f, "{\"When\": \"yesterday\"}", 21, "'When' must be a timestamp");
    decode_fails(f, "{\"Tags\": {}}", 12, "'Tags' must be a list");
    decode_fails(f, "{\"Attrs\": []}", 13, "'Attrs' must be an object");
    const char *tags = "{\"Tags\": [{\"Key\": \"a\", \"Value\": \"1\"}, {\"Key\": \"b\"},"
                       " {\"Key\": \"c\", \"Value\": 3}]}";
    decode_fails(f, tags, strlen(tags), "'Tags[2].Value' must be a string");
    decode_fails(f, "{\"Tags\": [\"x\"]}", 15, "'Tags[0]' must be an object");
    decode_fails(f, "{\"Attrs\": {\"team\": true}}", 25, "'Attrs.team' must be a string");
    decode_fails(f, "{\"wireName\": 1}", 15, "'Renamed' must be a string");
}

static void test_values_follow_the_conventions(void **state)
{
    struct fixture *f = *state;
    json_t *params = decode_ok(f, "{\"Name\": \"n\", \"Count\": 3, \"Big\": 9007199254740993,"
                                  " \"Ratio\": 2, \"Enabled\": false, \"Data\": \"AAEC\","
                                  " \"When\": 1576540098.25, \"wireName\": \"w\","
                                  " \"Doc\": {\"any\": [1, null, {\"x\": \"y\"}]},"
                                  " \"Unknown\": {\"ignored\": true}, \"Attrs\": null}");
    assert_string_equal(json_string_value(json_object_get(params, "Name")), "n");
    assert_int_equal(json_integer_value(json_object_get(params, "Count")), 3);
    assert_true(json_integer_value(json_object_get(params, "Big")) == 9007199254740993LL);
    assert_true(json_is_real(json_object_get(params, "Ratio")));
    assert_true(json_is_false(json_object_get(params, "Enabled")));
    json_t *data = json_object_get(params, "Data");
    assert_int_equal(json_string_length(data), 3);
    assert_memory_equal(json_string_value(data), "\0\1\2", 3);
    assert_true(json_integer_value(json_object_get(params, "When")) == 1576540098250LL);
    assert_string_equal(json_string_value(json_object_get(params, "Renamed")), "w");
    assert_null(json_object_get(params, "wireName"));
    assert_null(json_object_get(params, "Unknown"));
    assert_null(json_object_get(params, "Attrs"));
    assert_int_equal(json_array_size(json_object_get(json_object_get(params, "Doc"), "any")), 3);
    json_decref(params);

    params = decode_ok(f, "{\"Ratio\": \"-Infinity\", \"When\": \"2019-12-16T23:48:18Z\"}");
    assert_string_equal(json_string_value(json_object_get(params, "Ratio")), "-Infinity");
    assert_true(json_integer_value(json_object_get(params, "When")) == 1576540098000LL);
    json_decref(params);
}

static void test_duplicate_keys_last_wins(void **state)
{
    struct fixture *f = *state;
    json_t *params = decode_ok(f, "{\"Name\": \"first\", \"Name\": \"second\"}");
    assert_string_equal(json_string_value(json_object_get(params, "Name")), "second");
    json_decref(params);
}

static void test_empty_body_is_an_empty_object(void **state)
{
    struct fixture *f = *state;
    json_t *params = decode_ok(f, "");
    assert_true(json_is_object(params));
    assert_int_equal(json_object_size(params), 0);
    json_decref(params);

    /* An operation without input ignores whatever body it gets. */
    const struct model_operation *ping = model_operation_find(f->svc, "Ping", 4);
    struct aws_request req = request("Demo_20240101.Ping", "{\"x\": 1}", 8);
    assert_int_equal(json_protocol_decode(&params, f->svc, ping, &req), 0);
    assert_int_equal(json_object_size(params), 0);
    json_decref(params);
}

static void test_malformed_bodies(void **state)
{
    struct fixture *f = *state;
    decode_fails(f, "{\"Name\": ", 9, "request body is not valid JSON: line 1");
    decode_fails(f, "[1, 2]", 6, "request body must be a JSON object");
    decode_fails(f, "\"text\"", 6, "request body must be a JSON object");
    decode_fails(f, "{\"Name\": \"a\"} trailing", 22, "request body is not valid JSON");
    decode_fails(f, "{\"Name\": \"\\u0000\"}", 18, "request body is not valid JSON");
}

static void test_invalid_utf8_is_rejected(void **state)
{
    struct fixture *f = *state;
    decode_fails(f, "{\"Name\": \"\xff\"}", 13, "request body is not valid UTF-8 at byte 10");
    /* An overlong encoding of '/' and a lone surrogate. */
    decode_fails(f, "{\"Name\": \"\xc0\xaf\"}", 14, "not valid UTF-8");
    decode_fails(f, "{\"Name\": \"\xed\xa0\x80\"}", 15, "not valid UTF-8");
    /* Truncated in the middle of a sequence at the end of the body. */
    decode_fails(f, "{\"Name\": \"\xe2\x82", 12, "not valid UTF-8");
    json_t *params = decode_ok(f, "{\"Name\": \"caf\xc3\xa9 \xf0\x9f\x98\xb9\"}");
    assert_string_equal(json_string_value(json_object_get(params, "Name")),
                        "caf\xc3\xa9 \xf0\x9f\x98\xb9");
    json_decref(params);
}

static char *nested_document(int depth)
{
    /* {"Doc": [[[...]]]}: the top-level object is one level. */
    size_t len = 9 + 2 * (size_t)depth + 2;
    char *body = malloc(len + 1);
    char *p = body;
    memcpy(p, "{\"Doc\": ", 8);
    p += 8;
    for (int i = 0; i < depth - 1; i++)
        *p++ = '[';
    for (int i = 0; i < depth - 1; i++)
        *p++ = ']';
    *p++ = '}';
    *p = '\0';
    return body;
}

static void test_depth_limit(void **state)
{
    struct fixture *f = *state;
    char *ok = nested_document(JSON_MAX_DEPTH);
    json_t *params = decode_ok(f, ok);
    json_decref(params);
    free(ok);

    char *deep = nested_document(JSON_MAX_DEPTH + 1);
    decode_fails(f, deep, strlen(deep), "nests deeper than 64 levels");
    free(deep);

    /* Brackets inside strings do not count. */
    char body[300] = "{\"Name\": \"";
    size_t n = strlen(body);
    for (int i = 0; i < 200; i++)
        body[n++] = '[';
    memcpy(body + n, "\"}", 3);
    params = decode_ok(f, body);
    json_decref(params);
}

static void test_match_errors(void **state)
{
    struct fixture *f = *state;
    const struct model_operation *op = NULL;
    struct aws_request req = request("Demo_20240101.PutThing", "", 0);
    assert_int_equal(json_protocol_match(&op, f->svc, &req), 0);
    assert_ptr_equal(op, f->put);

    op = NULL;
    req = request(NULL, "", 0);
    assert_int_equal(json_protocol_match(&op, f->svc, &req), ERR_NOT_FOUND);
    assert_string_equal(err_msg(), "missing 'X-Amz-Target' header");
    req = request("Demo_20240101.DeleteEverything", "", 0);
    assert_int_equal(json_protocol_match(&op, f->svc, &req), ERR_NOT_FOUND);
    assert_string_equal(err_msg(),
                        "operation 'DeleteEverything' is not an operation of service 'demo'");
    req = request("Other_20240101.PutThing", "", 0);
    assert_int_equal(json_protocol_match(&op, f->svc, &req), ERR_NOT_FOUND);
    assert_non_null(strstr(err_msg(), "does not address service 'demo'"));
    req = request("PutThing", "", 0);
    assert_int_equal(json_protocol_match(&op, f->svc, &req), ERR_NOT_FOUND);
    assert_non_null(strstr(err_msg(), "is not '<service>.<operation>'"));
    /* A prefix of the operation name is not the operation. */
    req = request("Demo_20240101.Put", "", 0);
    assert_int_equal(json_protocol_match(&op, f->svc, &req), ERR_NOT_FOUND);
    assert_null(op);
}

static void test_encode_output(void **state)
{
    struct fixture *f = *state;
    json_t *output =
        json_pack("{s:s, s:I, s:I, s:s#, s:f, s:n, s:[{s:s, s:n}], s:s, s:s}", "Id", "i-1",
                  "Created", (json_int_t)1576540098250LL, "Stamp", (json_int_t)1576540098000LL,
                  "Data", "\0\1\2", (int)3, "Ratio", 0.5, "Missing", "Tags", "Key", "k", "Value",
                  "Renamed", "r", "NotInModel", "dropped");
    struct http_response resp;
    http_response_init(&resp);
    assert_int_equal(json_protocol_encode(&resp, f->svc, f->put, output, "req-1"), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(http_response_header(&resp, "Content-Type"), "application/x-amz-json-1.1");
    assert_string_equal(http_response_header(&resp, "x-amzn-RequestId"), "req-1");
    assert_string_equal(resp.body.data,
                        "{\"Id\":\"i-1\",\"Created\":1576540098.25,"
                        "\"Stamp\":\"2019-12-16T23:48:18Z\",\"Data\":\"AAEC\",\"Ratio\":0.5,"
                        "\"Tags\":[{\"Key\":\"k\"}],\"wireName\":\"r\"}");
    http_response_release(&resp);
    json_decref(output);

    /* No output value at all is an empty object. */
    http_response_init(&resp);
    assert_int_equal(json_protocol_encode(&resp, f->svc, f->put, NULL, NULL), 0);
    assert_string_equal(resp.body.data, "{}");
    http_response_release(&resp);

    output = json_pack("{s:s, s:[{s:i}]}", "Id", "x", "Tags", "Key", 7);
    http_response_init(&resp);
    assert_int_equal(json_protocol_encode(&resp, f->svc, f->put, output, NULL), ERR_INTERNAL);
    assert_string_equal(err_msg(), "'Tags[0].Key' must be a string");
    http_response_release(&resp);
    json_decref(output);

    output = json_pack("{s:s, s:f}", "Ratio", "NaN", "Created", -1.5);
    http_response_init(&resp);
    assert_int_equal(json_protocol_encode(&resp, f->svc, f->put, output, NULL), 0);
    assert_string_equal(resp.body.data, "{\"Created\":-0.002,\"Ratio\":\"NaN\"}");
    http_response_release(&resp);
    json_decref(output);
}

static void test_encode_error(void **state)
{
    struct fixture *f = *state;
    const struct model_shape *shape = model_shape_find(f->svc, "ThingError");
    json_t *fields = json_pack("{s:s}", "Reason", "gone");
    struct aws_error err = {.code = "ThingBroke",
                            .message = "thing 'x' is \"broken\"",
                            .shape = shape,
                            .fields = fields};
    struct http_response resp;
    http_response_init(&resp);
    json_protocol_encode_error(&resp, f->svc, &err, "req-2");
    assert_int_equal(resp.status, 409);
    assert_string_equal(http_response_header(&resp, "X-Amzn-ErrorType"), "ThingBroke");
    assert_string_equal(http_response_header(&resp, "x-amzn-RequestId"), "req-2");
    assert_string_equal(resp.body.data, "{\"__type\":\"ThingBroke\","
                                        "\"message\":\"thing 'x' is \\\"broken\\\"\","
                                        "\"Reason\":\"gone\"}");
    http_response_release(&resp);

    /* Unmodelled: code and message only; a field that does not fit the
     * model falls back to that too. */
    struct aws_error plain = {.code = "ValidationException", .message = "bad", .status = 400};
    http_response_init(&resp);
    json_protocol_encode_error(&resp, f->svc, &plain, NULL);
    assert_int_equal(resp.status, 400);
    assert_string_equal(resp.body.data, "{\"__type\":\"ValidationException\",\"message\":\"bad\"}");
    http_response_release(&resp);

    json_object_set_new(fields, "Reason", json_integer(5));
    http_response_init(&resp);
    json_protocol_encode_error(&resp, f->svc, &err, NULL);
    assert_string_equal(resp.body.data,
                        "{\"__type\":\"ThingBroke\",\"message\":\"thing 'x' is \\\"broken\\\"\"}");
    http_response_release(&resp);
    json_decref(fields);
}

/*
 * Pre-encoded JSON (api_json_raw): appended as is where a JSON body
 * encoder meets it, checked against the model in debug builds, refused by
 * the other encoders.
 */
static json_t *raw(const char *text)
{
    struct buf b = BUF_INIT;
    buf_adds(&b, text);
    return api_json_raw(&b);
}

/* Encodes `output` (consumed) as PutThing's; the body, or NULL with *rc. */
static char *encode_put(struct fixture *f, json_t *output, int *rc)
{
    struct http_response resp;
    http_response_init(&resp);
    *rc = json_protocol_encode(&resp, f->svc, f->put, output, NULL);
    json_decref(output);
    char *body = *rc == 0 ? buf_detach(&resp.body, NULL) : NULL;
    http_response_release(&resp);
    return body;
}

static void test_raw_encodes_like_the_tree(void **state)
{
    struct fixture *f = *state;
    const char *tags = "[{\"Key\":\"a\\\"b\",\"Value\":\"\\u0001\xc3\xa9\"},{\"Key\":\"k2\"}]";
    int rc;
    char *tree = encode_put(f,
                            json_pack("{s:s, s:I, s:[{s:s, s:s}, {s:s}]}", "Id", "i-1", "Created",
                                      (json_int_t)1576540098250LL, "Tags", "Key", "a\"b", "Value",
                                      "\x01\xc3\xa9", "Key", "k2"),
                            &rc);
    assert_int_equal(rc, 0);

    /* A raw list, a raw timestamp, and a raw whole output. */
    char *with_raw = encode_put(f,
                                json_pack("{s:s, s:o, s:o}", "Id", "i-1", "Created",
                                          raw("1576540098.25"), "Tags", raw(tags)),
                                &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(with_raw, tree);
    char *whole = encode_put(f, raw(tree), &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(whole, tree);

    /* An empty raw list is as good as an empty tree. */
    char *empty = encode_put(f, json_pack("{s:o}", "Tags", raw("[]")), &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(empty, "{\"Tags\":[]}");
    free(tree);
    free(with_raw);
    free(whole);
    free(empty);

    /* Data cannot pass for a raw value: the key is not UTF-8. */
    json_t *lookalike = json_pack("{s:s}", "slipway.raw", "[]");
    size_t len;
    assert_null(api_json_raw_text(lookalike, &len));
    json_decref(lookalike);
    json_t *r = raw("[1]");
    assert_string_equal(api_json_raw_text(r, &len), "[1]");
    assert_int_equal(len, 3);
    json_decref(r);
}

/* Encodes PutThing's output with `tags_text` as raw Tags; must fail with
 * ERR_INTERNAL and a message holding `message`. */
static void raw_tags_fail(struct fixture *f, const char *tags_text, const char *message)
{
    int rc;
    char *body = encode_put(f, json_pack("{s:s, s:o}", "Id", "x", "Tags", raw(tags_text)), &rc);
    if (rc != ERR_INTERNAL)
        fail_msg("raw Tags '%s' gave %d (%s), not ERR_INTERNAL", tags_text, rc, body ? body : "");
    if (!strstr(err_msg(), message))
        fail_msg("message '%s' lacks '%s'", err_msg(), message);
}

static void test_raw_that_does_not_fit_fails_in_debug_builds(void **state)
{
    struct fixture *f = *state;
#ifdef NDEBUG
    (void)f;
    (void)raw_tags_fail;
    skip();
#else
    /* A wrong type fails as a wrong tree does, with the member's path. */
    raw_tags_fail(f, "[{\"Key\":7}]", "'Tags[0].Key' must be a string");
    raw_tags_fail(f, "[{\"Key\":\"k\"},5]", "'Tags[1]' must be an object");
    raw_tags_fail(f, "{\"Key\":\"k\"}", "'Tags' must be a list");
    /* Text the encoder would not write: members out of model order,
     * unknown members, spacing, nulls, escapes written differently. */
    raw_tags_fail(f, "[{\"Value\":\"v\",\"Key\":\"k\"}]",
                  "'Tags' is pre-encoded JSON that differs");
    raw_tags_fail(f, "[{\"Key\":\"k\",\"Extra\":1}]", "differs from its model encoding at byte 11");
    raw_tags_fail(f, "[{\"Key\": \"k\"}]", "differs");
    raw_tags_fail(f, "[{\"Key\":\"k\",\"Value\":null}]", "differs");
    raw_tags_fail(f, "[{\"Key\":\"\\u0041\"}]", "differs");
    raw_tags_fail(f, "[{\"Key\":\"k\"}", "'Tags' is pre-encoded JSON that does not parse");
    /* A raw timestamp is checked in the member's format. */
    int rc;
    encode_put(f, json_pack("{s:o}", "Stamp", raw("1576540098")), &rc);
    assert_int_equal(rc, ERR_INTERNAL);
    assert_non_null(strstr(err_msg(), "'Stamp' is pre-encoded JSON that differs"));
#endif
}

static void test_raw_only_in_json_bodies(void **state)
{
    struct fixture *f = *state;
    /* A restJson body written whole from a raw value would carry the
     * members bound to headers. */
    struct buf out = BUF_INIT;
    json_t *r = raw("{\"Id\":\"x\"}");
    assert_int_equal(json_body_encode(&out, f->put->output, r, true), ERR_INTERNAL);
    buf_release(&out);
    json_decref(r);

    struct http_response resp;
    /* awsQuery (XML): sts GetCallerIdentity. */
    const struct model_service *sts = model_service_find("sts");
    const struct model_operation *op = model_operation_find(sts, "GetCallerIdentity", 17);
    json_t *output = json_pack("{s:o}", "Arn", raw("\"arn:aws:iam::1:user/a\""));
    http_response_init(&resp);
    assert_int_equal(query_protocol_encode(&resp, sts, op, output, "r"), ERR_INTERNAL);
    assert_string_equal(err_msg(), "output 'Arn' is pre-encoded JSON, which only JSON bodies take");
    http_response_release(&resp);
    json_decref(output);
    output = raw("{}");
    http_response_init(&resp);
    assert_int_equal(query_protocol_encode(&resp, sts, op, output, "r"), ERR_INTERNAL);
    http_response_release(&resp);
    json_decref(output);

    /* restXml: an element and a header of S3. */
    const struct model_service *s3 = model_service_find("s3");
    op = model_operation_find(s3, "ListBuckets", 11);
    output = json_pack("{s:o}", "Buckets", raw("[]"));
    http_response_init(&resp);
    assert_int_equal(restxml_encode(&resp, s3, op, output, "r"), ERR_INTERNAL);
    assert_non_null(strstr(err_msg(), "'Buckets' is pre-encoded JSON"));
    http_response_release(&resp);
    json_decref(output);
    op = model_operation_find(s3, "HeadObject", 10);
    output = json_pack("{s:o}", "ContentType", raw("\"text/plain\""));
    http_response_init(&resp);
    assert_int_equal(restxml_encode(&resp, s3, op, output, "r"), ERR_INTERNAL);
    assert_non_null(strstr(err_msg(), "'ContentType' is pre-encoded JSON"));
    http_response_release(&resp);
    json_decref(output);
}

static void test_raw_json_is_for_calls_from_the_wire(void **state)
{
    struct fixture *f = *state;
    struct aws_request req = request("Demo_20240101.PutThing", "{}", 2);
    struct api_call call = {.service = f->svc, .op = f->put};
    /* In process: the caller reads the output itself. */
    assert_false(api_call_takes_raw_json(&call));
    call.http = &req;
    assert_true(api_call_takes_raw_json(&call));
    call.service = model_service_find("s3");
    assert_false(api_call_takes_raw_json(&call));
}

static void test_compiled_model_round_trip(void **state)
{
    (void)state;
    const struct model_service *svc = model_service_find("codebuild");
    assert_non_null(svc);
    const struct model_operation *op = model_operation_find(svc, "CreateProject", 13);
    assert_non_null(op);
    const char *body =
        "{\"name\": \"demo\", \"source\": {\"type\": \"NO_SOURCE\","
        " \"buildspec\": \"version: 0.2\"}, \"artifacts\": {\"type\": \"NO_ARTIFACTS\"},"
        " \"environment\": {\"type\": \"LINUX_CONTAINER\", \"image\": \"img\","
        " \"computeType\": \"BUILD_GENERAL1_SMALL\", \"environmentVariables\":"
        " [{\"name\": \"A\", \"value\": 1}]}, \"serviceRole\": \"r\"}";
    struct aws_request req = request("CodeBuild_20161006.CreateProject", body, strlen(body));
    const struct model_operation *matched;
    assert_int_equal(json_protocol_match(&matched, svc, &req), 0);
    assert_ptr_equal(matched, op);
    json_t *params = NULL;
    assert_int_equal(json_protocol_decode(&params, svc, op, &req), ERR_INVALID);
    assert_string_equal(err_msg(), "'environment.environmentVariables[0].value' must be a string");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_errors_name_the_member_path),
        cmocka_unit_test(test_values_follow_the_conventions),
        cmocka_unit_test(test_duplicate_keys_last_wins),
        cmocka_unit_test(test_empty_body_is_an_empty_object),
        cmocka_unit_test(test_malformed_bodies),
        cmocka_unit_test(test_invalid_utf8_is_rejected),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_match_errors),
        cmocka_unit_test(test_encode_output),
        cmocka_unit_test(test_encode_error),
        cmocka_unit_test(test_raw_encodes_like_the_tree),
        cmocka_unit_test(test_raw_that_does_not_fit_fails_in_debug_builds),
        cmocka_unit_test(test_raw_only_in_json_bodies),
        cmocka_unit_test(test_raw_json_is_for_calls_from_the_wire),
        cmocka_unit_test(test_compiled_model_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
