/*
 * GetLogEvents and FilterLogEvents as the wire sees them. A call from the
 * wire gets its events list pre-encoded (api_json_raw, written straight
 * from the store's rows); a call made in process gets a tree. Both must
 * encode to the same bytes, for messages that need escaping, for several
 * streams, for empty, small and large pages. (Debug builds also check every raw
 * value against the model in the encoder.)
 */
#include "base/common.h"
#include "aws/api.h"
#include "aws/protocol.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "server/services.h"
#include "store/store.h"
#include "iam_fixture.h"

#include <setjmp.h>

#include <cmocka.h>

#define ACCOUNT IAM_FIXTURE_ACCOUNT
#define T0      IAM_FIXTURE_T0

static int setup(void **state)
{
    struct iam_fixture *f;
    if (iam_fixture_open(&f, "logs-wire") < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    iam_fixture_close(*state);
    return 0;
}

/*
 * Runs a logs operation as the admin and encodes its output as the server
 * does; `from_wire` sets the request the call came with. `in` is borrowed.
 * Returns the body (malloc'd).
 */
static char *run(struct iam_fixture *f, const char *op, json_t *in, bool from_wire)
{
    static const struct aws_request wire = {.method = "POST", .path = "/"};
    struct api_call c = {
        .request_id = "test",
        .service = model_service_find("logs"),
        .principal = &f->admin,
        .account_id = ACCOUNT,
        .region = "us-east-1",
        .partition = "aws",
        .store = f->st,
        .http = from_wire ? &wire : NULL,
        .now_ms = clock_now_ms(),
        .source_ip = "127.0.0.1",
        .download = {.fd = -1},
    };
    c.op = model_operation_find(c.service, op, strlen(op));
    const struct api_operation *entry = services_operation(services_find("logs"), op);
    if (!c.op || !entry)
        fail_msg("no such operation %s", op);
    json_t *out = NULL;
    err_clear();
    if (entry->handler(&c, in, &out) < 0)
        fail_msg("%s: %s %s", op, c.error_code, err_msg());
    json_decref(c.error_fields);
    struct http_response resp;
    http_response_init(&resp);
    if (protocol_encode_response(&resp, c.service, c.op, out, "test") < 0)
        fail_msg("%s: cannot encode (%s): %s", op, from_wire ? "wire" : "in process", err_msg());
    json_decref(out);
    char *body = buf_detach(&resp.body, NULL);
    http_response_release(&resp);
    return body;
}

/* The call from the wire and in process encode alike; returns the body. */
static char *same_both_ways(struct iam_fixture *f, const char *op, json_t *in)
{
    char *tree = run(f, op, in, false);
    char *wire = run(f, op, in, true);
    if (strcmp(tree, wire) != 0)
        fail_msg("%s: in process '%.300s', from the wire '%.300s'", op, tree, wire);
    free(wire);
    json_decref(in);
    return tree;
}

static void ok(struct iam_fixture *f, const char *op, json_t *in)
{
    free(run(f, op, in, false));
    json_decref(in);
}

/* Messages that need escaping: quotes, backslashes, controls, non-ASCII. */
static const char *const odd_messages[] = {
    "plain",
    "say \"hi\" \\ back\\slash",
    "tab\tnew\nline\rcr\x01\x1f del\x7f",
    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
    "</script> & 'single' /slash/",
    "{\"level\": \"warn\", \"latency\": 700}",
};

static void put(struct iam_fixture *f, const char *stream, size_t n, int64_t ts0)
{
    json_t *events = json_array();
    for (size_t i = 0; i < n; i++) {
        char msg[128];
        snprintf(msg, sizeof(msg), "%s #%zu", odd_messages[i % ARRAY_SIZE(odd_messages)], i);
        json_array_append_new(events, json_pack("{s:I, s:s}", "timestamp",
                                                (json_int_t)(ts0 + (int64_t)i), "message", msg));
    }
    ok(f, "PutLogEvents",
       json_pack("{s:s, s:s, s:o}", "logGroupName", "g", "logStreamName", stream, "logEvents",
                 events));
}

static void test_get_log_events_wire_and_tree_agree(void **state)
{
    struct iam_fixture *f = *state;
    ok(f, "CreateLogGroup", json_pack("{s:s}", "logGroupName", "g"));
    ok(f, "CreateLogStream", json_pack("{s:s, s:s}", "logGroupName", "g", "logStreamName", "s"));

    /* Empty, then small and large pages both ways. */
    free(same_both_ways(f, "GetLogEvents",
                        json_pack("{s:s, s:s}", "logGroupName", "g", "logStreamName", "s")));
    put(f, "s", 3000, T0 - 100000);
    char *body = same_both_ways(f, "GetLogEvents",
                                json_pack("{s:s, s:s, s:b, s:i}", "logGroupName", "g",
                                          "logStreamName", "s", "startFromHead", 1, "limit", 7));
    assert_non_null(strstr(body, "\"message\":\"say \\\"hi\\\" \\\\ back\\\\slash #1\""));
    assert_non_null(strstr(body, "\"message\":\"tab\\tnew\\nline\\rcr\\u0001\\u001f del\x7f #2\""));
    free(body);
    body = same_both_ways(f, "GetLogEvents",
                          json_pack("{s:s, s:s}", "logGroupName", "g", "logStreamName", "s"));
    size_t events = 0;
    for (const char *p = body; (p = strstr(p, "\"ingestionTime\"")); p++)
        events++;
    assert_int_equal(events, 3000);
    free(body);
}

static void test_filter_log_events_wire_and_tree_agree(void **state)
{
    struct iam_fixture *f = *state;
    ok(f, "CreateLogGroup", json_pack("{s:s}", "logGroupName", "g"));
    const char *streams[] = {"web-1", "web \"2\"", "db/\xc3\xa9"};
    for (size_t i = 0; i < ARRAY_SIZE(streams); i++) {
        ok(f, "CreateLogStream",
           json_pack("{s:s, s:s}", "logGroupName", "g", "logStreamName", streams[i]));
        put(f, streams[i], 500, T0 - 100000 + (int64_t)i * 7);
    }
    free(same_both_ways(f, "FilterLogEvents", json_pack("{s:s}", "logGroupName", "g")));
    free(same_both_ways(
        f, "FilterLogEvents",
        json_pack("{s:s, s:s, s:i}", "logGroupName", "g", "filterPattern", "slash", "limit", 20)));
    char *body = same_both_ways(
        f, "FilterLogEvents",
        json_pack("{s:s, s:s}", "logGroupName", "g", "filterPattern", "nothing-matches-this"));
    assert_non_null(strstr(body, "\"events\":[]"));
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_log_events_wire_and_tree_agree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_log_events_wire_and_tree_agree, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
