/*
 * The CloudWatch Logs handlers, called in process through the operation
 * table as the server calls them: groups, streams, PutLogEvents' batch
 * rules, GetLogEvents' tokens, FilterLogEvents, tags, retention (with the
 * retention task on a fake clock), the resources authorized, and the
 * internal append API.
 */
#include "base/common.h"
#include "aws/api.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "server/services.h"
#include "services/logs/logs.h"
#include "store/store.h"
#include "iam_fixture.h"

#include <setjmp.h>

#include <cmocka.h>

#define ACCOUNT IAM_FIXTURE_ACCOUNT
#define T0      IAM_FIXTURE_T0
#define DAY     86400000LL
#define HOUR    3600000LL
#define ARN     "arn:aws:logs:us-east-1:" ACCOUNT ":log-group:"

struct fixture {
    struct iam_fixture *iam;
    struct store *st;
    char code[128];
    char message[1024];
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    if (iam_fixture_open(&f->iam, "logs") < 0)
        return -1;
    f->st = f->iam->st;
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

/* Runs a logs operation as the admin; `in` is consumed. Records the error. */
static int call(struct fixture *f, const char *op, json_t *in, json_t **out)
{
    struct iam_fixture_result res;
    int rc = iam_fixture_invoke(&res, f->iam, NULL, "logs", op, in, NULL, out);
    if (!res.found)
        fail_msg("no such operation %s", op);
    snprintf(f->code, sizeof(f->code), "%s", res.code);
    snprintf(f->message, sizeof(f->message), "%s", res.message);
    if (rc == 0)
        assert_true(res.authorized);
    return rc;
}

/* Runs an operation that must succeed. */
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

static void make_group(struct fixture *f, const char *group)
{
    json_decref(ok(f, "CreateLogGroup", json_pack("{s:s}", "logGroupName", group)));
}

static void make_stream(struct fixture *f, const char *group, const char *stream)
{
    json_decref(ok(f, "CreateLogStream",
                   json_pack("{s:s, s:s}", "logGroupName", group, "logStreamName", stream)));
}

/* Puts events "<prefix><i>" at ts0 + i * step; returns the output. */
static json_t *put(struct fixture *f, const char *group, const char *stream, const char *prefix,
                   size_t n, int64_t ts0, int64_t step)
{
    json_t *events = json_array();
    for (size_t i = 0; i < n; i++) {
        char msg[64];
        snprintf(msg, sizeof(msg), "%s%zu", prefix, i);
        json_array_append_new(events,
                              json_pack("{s:I, s:s}", "timestamp",
                                        (json_int_t)(ts0 + (int64_t)i * step), "message", msg));
    }
    return ok(f, "PutLogEvents",
              json_pack("{s:s, s:s, s:o}", "logGroupName", group, "logStreamName", stream,
                        "logEvents", events));
}

static const char *str(json_t *obj, const char *path)
{
    return json_string_value(json_object_get(obj, path));
}

static json_int_t num(json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    if (!json_is_integer(v))
        fail_msg("member %s is not an integer", name);
    return json_integer_value(v);
}

/* The messages of an events array, joined with ','. */
static void messages(char *out, size_t size, json_t *events)
{
    out[0] = '\0';
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e)
    {
        snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? "," : "", str(e, "message"));
    }
}

static void test_operation_table(void **state)
{
    (void)state;
    const struct api_service *svc = services_find("logs");
    assert_non_null(svc);
    for (size_t i = 1; i < svc->operation_count; i++)
        assert_true(strcmp(svc->operations[i - 1].name, svc->operations[i].name) < 0);
    for (size_t i = 0; i < svc->operation_count; i++)
        assert_non_null(model_operation_find(model_service_find("logs"), svc->operations[i].name,
                                             strlen(svc->operations[i].name)));
}

static void test_groups(void **state)
{
    struct fixture *f = *state;
    json_decref(ok(f, "CreateLogGroup",
                   json_pack("{s:s, s:{s:s}}", "logGroupName", "/app/web", "tags", "team", "a")));
    expect_error(f, "CreateLogGroup", json_pack("{s:s}", "logGroupName", "/app/web"),
                 "ResourceAlreadyExistsException", "The specified log group already exists");
    expect_error(f, "CreateLogGroup", json_pack("{s:s}", "logGroupName", "aws/mine"),
                 "InvalidParameterException", NULL);
    make_group(f, "/app/db");
    make_group(f, "/app/worker");
    make_group(f, "batch");
    make_group(f, "/aws/codebuild/x");

    json_t *out = ok(f, "DescribeLogGroups", json_pack("{s:s}", "logGroupNamePrefix", "/app/"));
    json_t *groups = json_object_get(out, "logGroups");
    assert_int_equal(json_array_size(groups), 3);
    json_t *g = json_array_get(groups, 1);
    assert_string_equal(str(g, "logGroupName"), "/app/web");
    assert_string_equal(str(g, "arn"), ARN "/app/web:*");
    assert_string_equal(str(g, "logGroupArn"), ARN "/app/web");
    assert_int_equal(num(g, "creationTime"), T0);
    assert_int_equal(num(g, "storedBytes"), 0);
    assert_int_equal(num(g, "metricFilterCount"), 0);
    assert_string_equal(str(g, "logGroupClass"), "STANDARD");
    assert_null(json_object_get(g, "retentionInDays"));
    assert_null(json_object_get(out, "nextToken"));
    json_decref(out);

    /* Pages of two, in name order, until the token runs out. */
    char names[256] = "";
    json_t *in = json_pack("{s:i}", "limit", 2);
    int pages = 0;
    for (;;) {
        out = ok(f, "DescribeLogGroups", in);
        pages++;
        size_t i;
        json_array_foreach(json_object_get(out, "logGroups"), i, g)
        {
            snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s ",
                     str(g, "logGroupName"));
        }
        const char *token = str(out, "nextToken");
        if (!token) {
            json_decref(out);
            break;
        }
        in = json_pack("{s:i, s:s}", "limit", 2, "nextToken", token);
        json_decref(out);
    }
    assert_string_equal(names, "/app/db /app/web /app/worker /aws/codebuild/x batch ");
    assert_int_equal(pages, 3);

    /* A name pattern matches substrings and shows only three fields. */
    out = ok(f, "DescribeLogGroups", json_pack("{s:s}", "logGroupNamePattern", "app/w"));
    groups = json_object_get(out, "logGroups");
    assert_int_equal(json_array_size(groups), 2);
    assert_int_equal(json_object_size(json_array_get(groups, 0)), 3);
    json_decref(out);

    expect_error(f, "DescribeLogGroups",
                 json_pack("{s:s, s:s}", "logGroupNamePattern", "a", "logGroupNamePrefix", "a"),
                 "InvalidParameterException", NULL);
    expect_error(f, "DescribeLogGroups", json_pack("{s:s}", "nextToken", "bogus!"),
                 "InvalidParameterException", "The specified nextToken is invalid.");

    json_decref(ok(f, "DeleteLogGroup", json_pack("{s:s}", "logGroupName", "batch")));
    expect_error(f, "DeleteLogGroup", json_pack("{s:s}", "logGroupName", "batch"),
                 "ResourceNotFoundException", "The specified log group does not exist.");
}

static void test_retention_policy(void **state)
{
    struct fixture *f = *state;
    make_group(f, "g");
    expect_error(f, "PutRetentionPolicy",
                 json_pack("{s:s, s:i}", "logGroupName", "g", "retentionInDays", 4),
                 "InvalidParameterException",
                 "1 validation error detected: Value '4' at 'retentionInDays' failed to satisfy "
                 "constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, "
                 "120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]");
    expect_error(f, "PutRetentionPolicy",
                 json_pack("{s:s, s:i}", "logGroupName", "none", "retentionInDays", 7),
                 "ResourceNotFoundException", "The specified log group does not exist.");
    json_decref(ok(f, "PutRetentionPolicy",
                   json_pack("{s:s, s:i}", "logGroupName", "g", "retentionInDays", 3653)));
    json_t *out = ok(f, "DescribeLogGroups", json_object());
    assert_int_equal(num(json_array_get(json_object_get(out, "logGroups"), 0), "retentionInDays"),
                     3653);
    json_decref(out);
    json_decref(ok(f, "DeleteRetentionPolicy", json_pack("{s:s}", "logGroupName", "g")));
    out = ok(f, "DescribeLogGroups", json_object());
    assert_null(
        json_object_get(json_array_get(json_object_get(out, "logGroups"), 0), "retentionInDays"));
    json_decref(out);
}

static void test_streams(void **state)
{
    struct fixture *f = *state;
    expect_error(f, "CreateLogStream",
                 json_pack("{s:s, s:s}", "logGroupName", "g", "logStreamName", "s"),
                 "ResourceNotFoundException", "The specified log group does not exist.");
    make_group(f, "g");
    make_stream(f, "g", "b");
    make_stream(f, "g", "a");
    make_stream(f, "g", "c");
    expect_error(f, "CreateLogStream",
                 json_pack("{s:s, s:s}", "logGroupName", "g", "logStreamName", "a"),
                 "ResourceAlreadyExistsException", "The specified log stream already exists");

    json_t *out = ok(f, "DescribeLogStreams", json_pack("{s:s}", "logGroupName", "g"));
    json_t *s = json_array_get(json_object_get(out, "logStreams"), 0);
    assert_string_equal(str(s, "logStreamName"), "a");
    assert_string_equal(str(s, "arn"), ARN "g:log-stream:a");
    assert_int_equal(num(s, "creationTime"), T0);
    assert_int_equal(num(s, "storedBytes"), 0);
    assert_null(json_object_get(s, "uploadSequenceToken"));
    assert_null(json_object_get(s, "firstEventTimestamp"));
    json_decref(out);

    clock_set_fake(T0 + 500);
    json_decref(put(f, "g", "a", "x", 3, T0 - 300, 10));
    json_decref(put(f, "g", "c", "x", 1, T0 - 100, 0));
    json_decref(put(f, "g", "b", "x", 1, T0 - 200, 0));

    out = ok(f, "DescribeLogStreams",
             json_pack("{s:s, s:s, s:b}", "logGroupIdentifier", ARN "g:*", "orderBy",
                       "LastEventTime", "descending", 1));
    char names[64] = "";
    size_t i;
    json_array_foreach(json_object_get(out, "logStreams"), i, s)
    {
        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s",
                 str(s, "logStreamName"));
    }
    assert_string_equal(names, "cba");
    s = json_array_get(json_object_get(out, "logStreams"), 2);
    assert_int_equal(num(s, "firstEventTimestamp"), T0 - 300);
    assert_int_equal(num(s, "lastEventTimestamp"), T0 - 280);
    assert_int_equal(num(s, "lastIngestionTime"), T0 + 500);
    assert_string_equal(str(s, "uploadSequenceToken"),
                        "00000000000000000000000000000000000000000000000000000001");
    assert_int_equal(num(s, "storedBytes"), 0);
    json_decref(out);

    /* Pages of one by last event time, with tokens. */
    json_t *in =
        json_pack("{s:s, s:s, s:i}", "logGroupName", "g", "orderBy", "LastEventTime", "limit", 1);
    names[0] = '\0';
    for (;;) {
        out = ok(f, "DescribeLogStreams", in);
        json_array_foreach(json_object_get(out, "logStreams"), i, s)
        {
            snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s",
                     str(s, "logStreamName"));
        }
        if (!str(out, "nextToken")) {
            json_decref(out);
            break;
        }
        in = json_pack("{s:s, s:s, s:i, s:s}", "logGroupName", "g", "orderBy", "LastEventTime",
                       "limit", 1, "nextToken", str(out, "nextToken"));
        json_decref(out);
    }
    assert_string_equal(names, "abc");

    expect_error(f, "DescribeLogStreams",
                 json_pack("{s:s, s:s, s:s}", "logGroupName", "g", "orderBy", "LastEventTime",
                           "logStreamNamePrefix", "a"),
                 "InvalidParameterException",
                 "Cannot order by LastEventTime with a logStreamNamePrefix.");
    expect_error(f, "DescribeLogStreams",
                 json_pack("{s:s, s:s}", "logGroupName", "g", "logGroupIdentifier", "g"),
                 "InvalidParameterException",
                 "LogGroup name and LogGroup ARN are mutually exclusive parameters.");
    expect_error(f, "DescribeLogStreams", json_pack("{s:s}", "logGroupName", "none"),
                 "ResourceNotFoundException", "The specified log group does not exist.");
    expect_error(
        f, "DescribeLogStreams",
        json_pack("{s:s}", "logGroupIdentifier", "arn:aws:logs:us-east-1:111111111111:log-group:g"),
        "ResourceNotFoundException", NULL);

    json_decref(ok(f, "DeleteLogStream",
                   json_pack("{s:s, s:s}", "logGroupName", "g", "logStreamName", "a")));
    expect_error(f, "DeleteLogStream",
                 json_pack("{s:s, s:s}", "logGroupName", "g", "logStreamName", "a"),
                 "ResourceNotFoundException", "The specified log stream does not exist.");
    out = ok(f, "DescribeLogGroups", json_object());
    /* The "x0" events of b and c remain, two bytes each. */
    assert_int_equal(num(json_array_get(json_object_get(out, "logGroups"), 0), "storedBytes"), 4);
    json_decref(out);
}

static json_t *events_at(const int64_t *ts, size_t n)
{
    json_t *events = json_array();
    for (size_t i = 0; i < n; i++) {
        char msg[32];
        snprintf(msg, sizeof(msg), "e%zu", i);
        json_array_append_new(
            events, json_pack("{s:I, s:s}", "timestamp", (json_int_t)ts[i], "message", msg));
    }
    return events;
}

static json_t *put_events(json_t *events)
{
    return json_pack("{s:s, s:s, s:o}", "logGroupName", "g", "logStreamName", "s", "logEvents",
                     events);
}

/* Every event of stream "s" of group "g", read forward page by page until
 * the same token comes back. */
static size_t stream_events(struct fixture *f)
{
    json_t *in =
        json_pack("{s:s, s:s, s:b}", "logGroupName", "g", "logStreamName", "s", "startFromHead", 1);
    size_t n = 0;
    char token[128] = "";
    for (;;) {
        json_t *out = ok(f, "GetLogEvents", in);
        n += json_array_size(json_object_get(out, "events"));
        const char *next = json_string_value(json_object_get(out, "nextForwardToken"));
        bool same = strcmp(next, token) == 0;
        snprintf(token, sizeof(token), "%s", next);
        json_decref(out);
        if (same)
            return n;
        in = json_pack("{s:s, s:s, s:s}", "logGroupName", "g", "logStreamName", "s", "nextToken",
                       token);
    }
}

static void test_put_log_events_rules(void **state)
{
    struct fixture *f = *state;
    make_group(f, "g");
    make_stream(f, "g", "s");

    /* Too old (before 14 days), kept, too new (past 2 hours). */
    int64_t ts[] = {T0 - 15 * DAY, T0 - 14 * DAY - 1, T0 - HOUR, T0,
                    T0 + 2 * HOUR, T0 + 2 * HOUR + 1};
    json_t *out = ok(f, "PutLogEvents", put_events(events_at(ts, 6)));
    json_t *info = json_object_get(out, "rejectedLogEventsInfo");
    assert_int_equal(num(info, "tooOldLogEventEndIndex"), 2);
    assert_int_equal(num(info, "tooNewLogEventStartIndex"), 5);
    assert_null(json_object_get(info, "expiredLogEventEndIndex"));
    assert_string_equal(str(out, "nextSequenceToken"),
                        "00000000000000000000000000000000000000000000000000000001");
    json_decref(out);
    assert_int_equal(stream_events(f), 3);

    /* With a 7-day retention, older events are expired rather than too old. */
    json_decref(ok(f, "PutRetentionPolicy",
                   json_pack("{s:s, s:i}", "logGroupName", "g", "retentionInDays", 7)));
    int64_t ts2[] = {T0 - 15 * DAY, T0 - 8 * DAY, T0 - 7 * DAY - 1, T0 - 7 * DAY + 1};
    out = ok(f, "PutLogEvents", put_events(events_at(ts2, 4)));
    info = json_object_get(out, "rejectedLogEventsInfo");
    assert_int_equal(num(info, "tooOldLogEventEndIndex"), 1);
    assert_int_equal(num(info, "expiredLogEventEndIndex"), 3);
    assert_null(json_object_get(info, "tooNewLogEventStartIndex"));
    json_decref(out);
    assert_int_equal(stream_events(f), 4);

    /* All rejected: still a success, nothing stored. */
    int64_t ts3[] = {T0 + DAY};
    out = ok(f, "PutLogEvents", put_events(events_at(ts3, 1)));
    assert_int_equal(num(json_object_get(out, "rejectedLogEventsInfo"), "tooNewLogEventStartIndex"),
                     0);
    json_decref(out);

    /* Failures store nothing. */
    int64_t unordered[] = {T0, T0 - 1};
    expect_error(f, "PutLogEvents", put_events(events_at(unordered, 2)),
                 "InvalidParameterException",
                 "Log events in a single PutLogEvents request must be in chronological order.");
    int64_t wide[] = {T0 - 2 * DAY, T0};
    expect_error(f, "PutLogEvents", put_events(events_at(wide, 2)), "InvalidParameterException",
                 "The batch of log events in a single PutLogEvents request cannot span more than "
                 "24 hours.");
    char *big = xmalloc(600001);
    memset(big, 'b', 600000);
    big[600000] = '\0';
    json_t *two = json_pack("[{s:I, s:s}, {s:I, s:s}]", "timestamp", (json_int_t)T0, "message", big,
                            "timestamp", (json_int_t)T0, "message", big);
    expect_error(f, "PutLogEvents", put_events(two), "InvalidParameterException",
                 "Upload too large: 1200052 bytes exceeds limit of 1048576");
    free(big);
    big = xmalloc(1048552);
    memset(big, 'b', 1048551);
    big[1048551] = '\0';
    expect_error(f, "PutLogEvents",
                 put_events(json_pack("[{s:I, s:s}]", "timestamp", (json_int_t)T0, "message", big)),
                 "InvalidParameterException",
                 "Log event too large: 1048577 bytes exceeds limit of 1048576");
    /* One byte less fits exactly. */
    big[1048550] = '\0';
    json_decref(
        ok(f, "PutLogEvents",
           put_events(json_pack("[{s:I, s:s}]", "timestamp", (json_int_t)T0, "message", big))));
    free(big);
    assert_int_equal(stream_events(f), 5);

    expect_error(f, "PutLogEvents",
                 json_pack("{s:s, s:s, s:o}", "logGroupName", "g", "logStreamName", "none",
                           "logEvents", events_at(ts3, 1)),
                 "ResourceNotFoundException", "The specified log stream does not exist.");
    expect_error(f, "PutLogEvents",
                 json_pack("{s:s, s:s, s:o}", "logGroupName", "none", "logStreamName", "s",
                           "logEvents", events_at(ts3, 1)),
                 "ResourceNotFoundException", "The specified log group does not exist.");
}

static json_t *get_events(struct fixture *f, json_t *extra)
{
    json_t *in = json_pack("{s:s, s:s}", "logGroupName", "g", "logStreamName", "s");
    json_object_update(in, extra);
    json_decref(extra);
    return ok(f, "GetLogEvents", in);
}

static void test_get_log_events_tokens(void **state)
{
    struct fixture *f = *state;
    make_group(f, "g");
    make_stream(f, "g", "s");
    make_stream(f, "g", "other");

    /* An empty stream: no events, tokens that are never null. */
    json_t *out = get_events(f, json_object());
    assert_int_equal(json_array_size(json_object_get(out, "events")), 0);
    char empty_forward[128];
    snprintf(empty_forward, sizeof(empty_forward), "%s", str(out, "nextForwardToken"));
    assert_true(strncmp(empty_forward, "f/", 2) == 0);
    assert_int_equal(strlen(empty_forward), 60);
    assert_true(strncmp(str(out, "nextBackwardToken"), "b/", 2) == 0);
    json_decref(out);

    json_decref(put(f, "g", "s", "m", 5, T0 - 50, 10));
    char got[256];

    /* By default the newest events, oldest first. */
    out = get_events(f, json_pack("{s:i}", "limit", 2));
    messages(got, sizeof(got), json_object_get(out, "events"));
    assert_string_equal(got, "m3,m4");
    json_t *e = json_array_get(json_object_get(out, "events"), 0);
    assert_int_equal(num(e, "timestamp"), T0 - 20);
    assert_int_equal(num(e, "ingestionTime"), T0);
    assert_int_equal(json_object_size(e), 3);
    char forward[128], backward[128];
    snprintf(forward, sizeof(forward), "%s", str(out, "nextForwardToken"));
    snprintf(backward, sizeof(backward), "%s", str(out, "nextBackwardToken"));
    json_decref(out);

    /* Backward in pages until the start, where the same token comes back. */
    out = get_events(f, json_pack("{s:i, s:s}", "limit", 2, "nextToken", backward));
    messages(got, sizeof(got), json_object_get(out, "events"));
    assert_string_equal(got, "m1,m2");
    snprintf(backward, sizeof(backward), "%s", str(out, "nextBackwardToken"));
    json_decref(out);
    out = get_events(f, json_pack("{s:i, s:s}", "limit", 2, "nextToken", backward));
    messages(got, sizeof(got), json_object_get(out, "events"));
    assert_string_equal(got, "m0");
    snprintf(backward, sizeof(backward), "%s", str(out, "nextBackwardToken"));
    json_decref(out);
    out = get_events(f, json_pack("{s:i, s:s}", "limit", 2, "nextToken", backward));
    assert_int_equal(json_array_size(json_object_get(out, "events")), 0);
    assert_string_equal(str(out, "nextBackwardToken"), backward);
    json_decref(out);

    /* Forward from the newest: nothing new, the same token; then what arrives. */
    out = get_events(f, json_pack("{s:s, s:b}", "nextToken", forward, "startFromHead", 1));
    assert_int_equal(json_array_size(json_object_get(out, "events")), 0);
    assert_string_equal(str(out, "nextForwardToken"), forward);
    json_decref(out);
    json_decref(put(f, "g", "s", "n", 2, T0, 1));
    out = get_events(f, json_pack("{s:s}", "nextToken", forward));
    messages(got, sizeof(got), json_object_get(out, "events"));
    assert_string_equal(got, "n0,n1");
    snprintf(forward, sizeof(forward), "%s", str(out, "nextForwardToken"));
    json_decref(out);
    out = get_events(f, json_pack("{s:s}", "nextToken", forward));
    assert_int_equal(json_array_size(json_object_get(out, "events")), 0);
    assert_string_equal(str(out, "nextForwardToken"), forward);
    json_decref(out);

    /* The forward token of the empty stream reads everything since. */
    out = get_events(f, json_pack("{s:s}", "nextToken", empty_forward));
    messages(got, sizeof(got), json_object_get(out, "events"));
    assert_string_equal(got, "m0,m1,m2,m3,m4,n0,n1");
    json_decref(out);

    /* From the head, and a time range: start inclusive, end exclusive. */
    out = get_events(f, json_pack("{s:b, s:i}", "startFromHead", 1, "limit", 3));
    messages(got, sizeof(got), json_object_get(out, "events"));
    assert_string_equal(got, "m0,m1,m2");
    json_decref(out);
    out = get_events(f, json_pack("{s:b, s:I, s:I}", "startFromHead", 1, "startTime",
                                  (json_int_t)(T0 - 40), "endTime", (json_int_t)(T0 - 20)));
    messages(got, sizeof(got), json_object_get(out, "events"));
    assert_string_equal(got, "m1,m2");
    json_decref(out);
    out = get_events(
        f, json_pack("{s:I, s:I}", "startTime", (json_int_t)T0, "endTime", (json_int_t)T0));
    assert_int_equal(json_array_size(json_object_get(out, "events")), 0);
    json_decref(out);

    /* A token of another stream, or a made-up one, is refused. */
    expect_error(f, "GetLogEvents",
                 json_pack("{s:s, s:s, s:s}", "logGroupName", "g", "logStreamName", "other",
                           "nextToken", forward),
                 "InvalidParameterException", "The specified nextToken is invalid.");
    expect_error(f, "GetLogEvents",
                 json_pack("{s:s, s:s, s:s}", "logGroupName", "g", "logStreamName", "s",
                           "nextToken", "f/12345"),
                 "InvalidParameterException", "The specified nextToken is invalid.");
    expect_error(f, "GetLogEvents",
                 json_pack("{s:s, s:s}", "logGroupName", "g", "logStreamName", "none"),
                 "ResourceNotFoundException", "The specified log stream does not exist.");
}

static void test_filter_log_events(void **state)
{
    struct fixture *f = *state;
    make_group(f, "g");
    make_stream(f, "g", "web-1");
    make_stream(f, "g", "web-2");
    make_stream(f, "g", "db");
    json_t *events =
        json_pack("[{s:I, s:s}, {s:I, s:s}, {s:I, s:s}]", "timestamp", (json_int_t)(T0 - 30),
                  "message", "[ERROR 400] BAD REQUEST", "timestamp", (json_int_t)(T0 - 20),
                  "message", "[ERROR 419] MISSING ARGUMENTS", "timestamp", (json_int_t)(T0 - 10),
                  "message", "{\"level\": \"warn\", \"latency\": 700}");
    json_decref(ok(f, "PutLogEvents",
                   json_pack("{s:s, s:s, s:o}", "logGroupName", "g", "logStreamName", "web-1",
                             "logEvents", events)));
    events = json_pack("[{s:I, s:s}, {s:I, s:s}]", "timestamp", (json_int_t)(T0 - 25), "message",
                       "[INFO] GET / 200", "timestamp", (json_int_t)(T0 - 5), "message",
                       "[WARN] slow ARGUMENTS");
    json_decref(ok(f, "PutLogEvents",
                   json_pack("{s:s, s:s, s:o}", "logGroupName", "g", "logStreamName", "web-2",
                             "logEvents", events)));
    json_decref(put(f, "g", "db", "query ", 2, T0 - 27, 20));

    struct {
        const char *pattern;
        const char *expect;
    } cases[] = {
        {"", "[ERROR 400] BAD REQUEST,query 0,[INFO] GET / 200,[ERROR 419] MISSING ARGUMENTS,"
             "{\"level\": \"warn\", \"latency\": 700},query 1,[WARN] slow ARGUMENTS"},
        {"ERROR", "[ERROR 400] BAD REQUEST,[ERROR 419] MISSING ARGUMENTS"},
        {"ERROR ARGUMENTS", "[ERROR 419] MISSING ARGUMENTS"},
        {"?INFO ?WARN", "[INFO] GET / 200,[WARN] slow ARGUMENTS"},
        {"ARGUMENTS -ERROR", "[WARN] slow ARGUMENTS"},
        {"\"GET / 200\"", "[INFO] GET / 200"},
        {"{ $.latency > 500 }", "{\"level\": \"warn\", \"latency\": 700}"},
        {"{ $.level = \"w*\" && $.latency < 1000 }", "{\"level\": \"warn\", \"latency\": 700}"},
    };
    char got[512];
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *out =
            ok(f, "FilterLogEvents",
               json_pack("{s:s, s:s}", "logGroupName", "g", "filterPattern", cases[i].pattern));
        messages(got, sizeof(got), json_object_get(out, "events"));
        if (strcmp(got, cases[i].expect) != 0)
            fail_msg("pattern '%s': got '%s'", cases[i].pattern, got);
        assert_null(json_object_get(out, "nextToken"));
        assert_int_equal(json_array_size(json_object_get(out, "searchedLogStreams")), 0);
        json_decref(out);
    }

    json_t *out =
        ok(f, "FilterLogEvents",
           json_pack("{s:s, s:s, s:I, s:I}", "logGroupName", "g", "logStreamNamePrefix", "web",
                     "startTime", (json_int_t)(T0 - 25), "endTime", (json_int_t)(T0 - 10)));
    json_t *evs = json_object_get(out, "events");
    messages(got, sizeof(got), evs);
    assert_string_equal(got, "[INFO] GET / 200,[ERROR 419] MISSING ARGUMENTS,"
                             "{\"level\": \"warn\", \"latency\": 700}");
    json_t *e = json_array_get(evs, 0);
    assert_string_equal(str(e, "logStreamName"), "web-2");
    assert_int_equal(strlen(str(e, "eventId")), 56);
    assert_int_equal(num(e, "ingestionTime"), T0);
    json_decref(out);

    out = ok(f, "FilterLogEvents",
             json_pack("{s:s, s:[s, s]}", "logGroupName", "g", "logStreamNames", "db", "web-2"));
    messages(got, sizeof(got), json_object_get(out, "events"));
    assert_string_equal(got, "query 0,[INFO] GET / 200,query 1,[WARN] slow ARGUMENTS");
    json_decref(out);

    /* Paged by the limit: every event exactly once. */
    json_t *in = json_pack("{s:s, s:i}", "logGroupName", "g", "limit", 3);
    char all[1024] = "";
    for (int pages = 0; pages < 10; pages++) {
        out = ok(f, "FilterLogEvents", in);
        messages(got, sizeof(got), json_object_get(out, "events"));
        snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s|", got);
        const char *token = str(out, "nextToken");
        if (!token) {
            json_decref(out);
            break;
        }
        in = json_pack("{s:s, s:i, s:s}", "logGroupName", "g", "limit", 3, "nextToken", token);
        json_decref(out);
    }
    assert_string_equal(all, "[ERROR 400] BAD REQUEST,query 0,[INFO] GET / 200|"
                             "[ERROR 419] MISSING ARGUMENTS,{\"level\": \"warn\", "
                             "\"latency\": 700},query 1|[WARN] slow ARGUMENTS|");

    expect_error(f, "FilterLogEvents",
                 json_pack("{s:s, s:[s], s:s}", "logGroupName", "g", "logStreamNames", "db",
                           "logStreamNamePrefix", "d"),
                 "InvalidParameterException", NULL);
    expect_error(f, "FilterLogEvents",
                 json_pack("{s:s, s:s}", "logGroupName", "g", "filterPattern", "{ $.a = "),
                 "InvalidParameterException", NULL);
    expect_error(f, "FilterLogEvents", json_pack("{s:s}", "logGroupName", "none"),
                 "ResourceNotFoundException", "The specified log group does not exist.");
    expect_error(f, "FilterLogEvents",
                 json_pack("{s:s, s:s}", "logGroupName", "g", "nextToken", "nope"),
                 "InvalidParameterException", "The specified nextToken is invalid.");
}

static void test_tags(void **state)
{
    struct fixture *f = *state;
    make_group(f, "g");
    json_decref(
        ok(f, "TagResource",
           json_pack("{s:s, s:{s:s, s:s}}", "resourceArn", ARN "g", "tags", "a", "1", "b", "2")));
    json_decref(
        ok(f, "TagLogGroup", json_pack("{s:s, s:{s:s}}", "logGroupName", "g", "tags", "a", "9")));
    json_t *out = ok(f, "ListTagsForResource", json_pack("{s:s}", "resourceArn", ARN "g"));
    json_t *tags = json_object_get(out, "tags");
    assert_int_equal(json_object_size(tags), 2);
    assert_string_equal(str(tags, "a"), "9");
    json_decref(out);
    json_decref(
        ok(f, "UntagResource", json_pack("{s:s, s:[s]}", "resourceArn", ARN "g", "tagKeys", "a")));
    json_decref(ok(f, "UntagLogGroup",
                   json_pack("{s:s, s:[s, s]}", "logGroupName", "g", "tags", "b", "zz")));
    out = ok(f, "ListTagsLogGroup", json_pack("{s:s}", "logGroupName", "g"));
    assert_int_equal(json_object_size(json_object_get(out, "tags")), 0);
    json_decref(out);

    json_t *many = json_object();
    for (int i = 0; i < 51; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        json_object_set_new(many, key, json_string("v"));
    }
    expect_error(f, "TagResource", json_pack("{s:s, s:O}", "resourceArn", ARN "g", "tags", many),
                 "TooManyTagsException", "A resource can have no more than 50 tags.");
    json_object_del(many, "k0");
    json_decref(
        ok(f, "TagResource", json_pack("{s:s, s:o}", "resourceArn", ARN "g", "tags", many)));
    expect_error(f, "TagResource",
                 json_pack("{s:s, s:{s:s}}", "resourceArn", ARN "g", "tags", "new", "v"),
                 "TooManyTagsException", NULL);
    expect_error(f, "ListTagsForResource", json_pack("{s:s}", "resourceArn", ARN "none"),
                 "ResourceNotFoundException", "The specified log group does not exist.");
    expect_error(
        f, "ListTagsForResource",
        json_pack("{s:s}", "resourceArn", "arn:aws:logs:eu-west-1:" ACCOUNT ":log-group:g"),
        "ResourceNotFoundException", NULL);
    expect_error(f, "ListTagsLogGroup", json_pack("{s:s}", "logGroupName", "none"),
                 "ResourceNotFoundException", "The specified log group does not exist.");
}

static void test_deletion(void **state)
{
    struct fixture *f = *state;
    json_decref(ok(f, "CreateLogGroup",
                   json_pack("{s:s, s:b}", "logGroupName", "g", "deletionProtectionEnabled", 1)));
    make_stream(f, "g", "s");
    json_decref(put(f, "g", "s", "m", 3, T0, 1));
    expect_error(f, "DeleteLogGroup", json_pack("{s:s}", "logGroupName", "g"),
                 "ValidationException", NULL);
    expect_error(f, "DeleteLogStream",
                 json_pack("{s:s, s:s}", "logGroupName", "g", "logStreamName", "s"),
                 "ValidationException", NULL);
    json_decref(
        ok(f, "PutLogGroupDeletionProtection",
           json_pack("{s:s, s:b}", "logGroupIdentifier", "g", "deletionProtectionEnabled", 0)));
    json_decref(ok(f, "DeleteLogGroup", json_pack("{s:s}", "logGroupName", "g")));

    /* A group of the same name starts empty. */
    make_group(f, "g");
    make_stream(f, "g", "s");
    assert_int_equal(stream_events(f), 0);
    json_t *out = ok(f, "DescribeLogGroups", json_object());
    assert_int_equal(num(json_array_get(json_object_get(out, "logGroups"), 0), "storedBytes"), 0);
    json_decref(out);
}

/* The authorizer that records what each call asked. */
static char asked[16][256];
static size_t asked_count;

static int record_authz(struct api_call *c, const struct api_authz *req)
{
    (void)c;
    if (asked_count < ARRAY_SIZE(asked))
        snprintf(asked[asked_count++], sizeof(asked[0]), "%s %s", req->action, req->resource);
    return 0;
}

static void expect_asked(struct fixture *f, const char *op, json_t *in, const char *want)
{
    asked_count = 0;
    json_t *out = NULL;
    call(f, op, in, &out);
    json_decref(out);
    assert_true(asked_count >= 1);
    assert_string_equal(asked[0], want);
}

static void test_authorized_resources(void **state)
{
    struct fixture *f = *state;
    api_set_authorizer(record_authz);
    make_group(f, "g");
    make_stream(f, "g", "s");
    const char *group = ARN "g:log-stream:";
    char want[256];
#define GROUP_ACTION(action) (snprintf(want, sizeof(want), "logs:%s %s", action, group), want)
    expect_asked(f, "CreateLogGroup", json_pack("{s:s}", "logGroupName", "h"),
                 "logs:CreateLogGroup " ARN "h:log-stream:");
    expect_asked(f, "DescribeLogGroups", json_object(),
                 "logs:DescribeLogGroups " ARN ":log-stream:");
    expect_asked(f, "DescribeLogStreams", json_pack("{s:s}", "logGroupName", "g"),
                 GROUP_ACTION("DescribeLogStreams"));
    expect_asked(f, "FilterLogEvents", json_pack("{s:s}", "logGroupName", "g"),
                 GROUP_ACTION("FilterLogEvents"));
    expect_asked(f, "PutRetentionPolicy",
                 json_pack("{s:s, s:i}", "logGroupName", "g", "retentionInDays", 1),
                 GROUP_ACTION("PutRetentionPolicy"));
    expect_asked(f, "GetLogEvents",
                 json_pack("{s:s, s:s}", "logGroupName", "g", "logStreamName", "s"),
                 "logs:GetLogEvents " ARN "g:log-stream:s");
    expect_asked(f, "PutLogEvents",
                 json_pack("{s:s, s:s, s:[{s:I, s:s}]}", "logGroupName", "g", "logStreamName", "s",
                           "logEvents", "timestamp", (json_int_t)T0, "message", "m"),
                 "logs:PutLogEvents " ARN "g:log-stream:s");
    expect_asked(f, "CreateLogStream",
                 json_pack("{s:s, s:s}", "logGroupName", "g", "logStreamName", "t"),
                 "logs:CreateLogStream " ARN "g:log-stream:t");
    expect_asked(f, "ListTagsForResource", json_pack("{s:s}", "resourceArn", ARN "g"),
                 "logs:ListTagsForResource " ARN "g");
    expect_asked(f, "ListTagsLogGroup", json_pack("{s:s}", "logGroupName", "g"),
                 GROUP_ACTION("ListTagsLogGroup"));
    /* Tags at creation need a tagging permission as well. */
    asked_count = 0;
    json_decref(ok(f, "CreateLogGroup",
                   json_pack("{s:s, s:{s:s}}", "logGroupName", "tagged", "tags", "k", "v")));
    assert_int_equal(asked_count, 2);
    assert_string_equal(asked[1], "logs:TagResource " ARN "tagged");
#undef GROUP_ACTION
}

static void test_logs_append(void **state)
{
    struct fixture *f = *state;
    struct logs_event events[] = {
        {T0 + 5, "second", 6},
        {T0, "first", 5},
        {T0 + 9, "", 0},
    };
    assert_int_equal(
        logs_append(f->st, ACCOUNT, "us-east-1", "/build/p", "run-1", events, 3, false),
        ERR_NOT_FOUND);
    assert_int_equal(logs_append(f->st, ACCOUNT, "us-east-1", "/build/p", "run-1", events, 3, true),
                     0);
    assert_int_equal(
        logs_append(f->st, ACCOUNT, "us-east-1", "/build/p", "run-1", events, 1, false), 0);
    assert_int_equal(logs_append(f->st, ACCOUNT, "us-east-1", "/build/p", "run-2", events, 1, true),
                     0);
    assert_int_equal(logs_append(f->st, ACCOUNT, "us-east-1", "bad name!", "s", events, 1, true),
                     ERR_INVALID);
    assert_int_equal(logs_append(f->st, ACCOUNT, "us-east-1", "/build/p", "a:b", events, 1, true),
                     ERR_INVALID);
    assert_int_equal(logs_append(f->st, ACCOUNT, "us-east-1", "/build/p", "run-1", events, 0, true),
                     ERR_INVALID);
    struct logs_event *many = xcalloc(LOGS_APPEND_MAX + 1, sizeof(*many));
    for (size_t i = 0; i <= LOGS_APPEND_MAX; i++)
        many[i] = (struct logs_event){T0, "x", 1};
    assert_int_equal(logs_append(f->st, ACCOUNT, "us-east-1", "/build/p", "run-1", many,
                                 LOGS_APPEND_MAX + 1, true),
                     ERR_LIMIT);
    assert_int_equal(
        logs_append(f->st, ACCOUNT, "us-east-1", "/build/p", "run-1", many, LOGS_APPEND_MAX, true),
        0);
    free(many);

    /* The group is a full API group; events read back by timestamp. */
    json_t *out = ok(f, "DescribeLogGroups", json_object());
    json_t *g = json_array_get(json_object_get(out, "logGroups"), 0);
    assert_string_equal(str(g, "logGroupName"), "/build/p");
    assert_int_equal(num(g, "storedBytes"), 11 + 6 + 6 + LOGS_APPEND_MAX);
    json_decref(out);
    out = ok(f, "GetLogEvents",
             json_pack("{s:s, s:s, s:b, s:i}", "logGroupName", "/build/p", "logStreamName", "run-1",
                       "startFromHead", 1, "limit", 4));
    char got[128];
    messages(got, sizeof(got), json_object_get(out, "events"));
    assert_string_equal(got, "first,x,x,x");
    json_decref(out);
}

static void test_retention_task(void **state)
{
    struct fixture *f = *state;
    make_group(f, "g");
    make_stream(f, "g", "s");
    /* Twenty days of events, then one batch past the task's. */
    struct logs_event *events = xcalloc(LOGS_RETENTION_BATCH, sizeof(*events));
    for (size_t i = 0; i < 20; i++)
        events[i] = (struct logs_event){T0 - (int64_t)(20 - i) * DAY, "day", 3};
    assert_int_equal(logs_append(f->st, ACCOUNT, "us-east-1", "g", "s", events, 20, false), 0);
    assert_int_equal(logs_retention_task(f->st, clock_now_ms()), 0);
    assert_int_equal(stream_events(f), 20);

    json_decref(ok(f, "PutRetentionPolicy",
                   json_pack("{s:s, s:i}", "logGroupName", "g", "retentionInDays", 5)));
    assert_int_equal(logs_retention_task(f->st, clock_now_ms()), 0);
    assert_int_equal(stream_events(f), 5);

    /* Three days on, three more days have aged out. */
    clock_set_fake(T0 + 3 * DAY);
    assert_int_equal(logs_retention_task(f->st, clock_now_ms()), 0);
    assert_int_equal(stream_events(f), 2);
    json_t *out = ok(f, "DescribeLogGroups", json_object());
    assert_int_equal(num(json_array_get(json_object_get(out, "logGroups"), 0), "storedBytes"), 6);
    json_decref(out);

    /* More than a batch waits: the task says so, and finishes on the next run. */
    for (size_t i = 0; i < LOGS_RETENTION_BATCH; i++)
        events[i] = (struct logs_event){T0 - 10 * DAY, "x", 1};
    assert_int_equal(
        logs_append(f->st, ACCOUNT, "us-east-1", "g", "s", events, LOGS_RETENTION_BATCH, false), 0);
    assert_int_equal(logs_append(f->st, ACCOUNT, "us-east-1", "g", "s", events, 1, false), 0);
    assert_int_equal(logs_retention_task(f->st, clock_now_ms()), 1);
    assert_int_equal(logs_retention_task(f->st, clock_now_ms()), 0);
    assert_int_equal(stream_events(f), 2);
    free(events);
}

static void test_test_metric_filter(void **state)
{
    struct fixture *f = *state;
    json_t *out =
        ok(f, "TestMetricFilter",
           json_pack("{s:s, s:[s, s, s]}", "filterPattern", "[ip, user, ..., status=4*, bytes]",
                     "logEventMessages",
                     "127.0.0.1 - - [10/Oct/2000:13:25:15 -0700] \"GET / HTTP/1.0\" 200 7",
                     "10.0.0.1 frank x [10/Oct/2000:13:55:36 -0700] \"GET /a HTTP/1.0\" 404 1534",
                     "short"));
    json_t *matches = json_object_get(out, "matches");
    assert_int_equal(json_array_size(matches), 1);
    json_t *m = json_array_get(matches, 0);
    assert_int_equal(num(m, "eventNumber"), 2);
    json_t *values = json_object_get(m, "extractedValues");
    assert_string_equal(str(values, "$ip"), "10.0.0.1");
    assert_string_equal(str(values, "$user"), "frank");
    assert_string_equal(str(values, "$status"), "404");
    assert_string_equal(str(values, "$bytes"), "1534");
    json_decref(out);
    expect_error(f, "TestMetricFilter",
                 json_pack("{s:s, s:[s]}", "filterPattern", "[a, b", "logEventMessages", "x"),
                 "InvalidParameterException", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_operation_table),
        cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_log_events_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_log_events_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter_log_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deletion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authorized_resources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logs_append, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_task, setup, teardown),
        cmocka_unit_test_setup_teardown(test_test_metric_filter, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
