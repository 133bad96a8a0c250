/*
 * EventBridge buses, rules, targets, tags and PutEvents, called in process
 * through the operation table as the server calls them: records, limits,
 * AWS's errors, and the envelopes PutEvents leaves in the outbox.
 */
#include "base/common.h"
#include "aws/api.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/common/record.h"
#include "services/events/events_internal.h"
#include "store/store.h"
#include "iam_fixture.h"

#include <setjmp.h>

#include <cmocka.h>

struct fixture {
    struct iam_fixture *iam;
    char code[128];
    char message[1024];
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    if (iam_fixture_open(&f->iam, "events") < 0)
        return -1;
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

/* Runs an events operation as the admin with `params` as JSON text. */
static int call(struct fixture *f, const char *op, const char *params, json_t **out)
{
    struct iam_fixture_result res;
    json_t *in = json_loads(params, 0, NULL);
    if (!in)
        fail_msg("bad params %s", params);
    int rc = iam_fixture_invoke(&res, f->iam, NULL, "events", op, in, NULL, out);
    if (!res.found)
        fail_msg("no such operation %s", op);
    if (rc == 0)
        assert_true(res.authorized);
    snprintf(f->code, sizeof(f->code), "%s", res.code);
    snprintf(f->message, sizeof(f->message), "%s", res.message);
    return rc;
}

static void ok(struct fixture *f, const char *op, const char *params)
{
    if (call(f, op, params, NULL) < 0)
        fail_msg("%s %s: %s %s", op, params, f->code, f->message);
}

static void fails(struct fixture *f, const char *op, const char *params, const char *code,
                  const char *message)
{
    assert_true(call(f, op, params, NULL) < 0);
    assert_string_equal(f->code, code);
    if (message)
        assert_string_equal(f->message, message);
}

static void test_bus_lifecycle(void **state)
{
    struct fixture *f = *state;
    json_t *out = NULL;
    assert_int_equal(call(f, "CreateEventBus", "{\"Name\": \"b1\"}", &out), 0);
    assert_string_equal(json_string_value(json_object_get(out, "EventBusArn")),
                        "arn:aws:events:us-east-1:000000000000:event-bus/b1");
    json_decref(out);
    fails(f, "CreateEventBus", "{\"Name\": \"b1\"}", "ResourceAlreadyExistsException",
          "Event bus b1 already exists.");
    fails(f, "CreateEventBus", "{\"Name\": \"x/y\"}", "ValidationException", NULL);
    fails(f, "CreateEventBus", "{\"Name\": \"aws.mine\"}", "ValidationException", NULL);
    fails(f, "CreateEventBus", "{\"Name\": \"p\", \"EventSourceName\": \"aws.partner/x\"}",
          "ValidationException", NULL);
    fails(f, "DeleteEventBus", "{\"Name\": \"default\"}", "ValidationException",
          "Cannot delete event bus default.");
    ok(f, "PutRule",
       "{\"Name\": \"r\", \"EventBusName\": \"b1\", \"EventPattern\": "
       "\"{\\\"source\\\": [\\\"a\\\"]}\"}");
    ok(f, "DeleteEventBus", "{\"Name\": \"b1\"}");
    ok(f, "DeleteEventBus", "{\"Name\": \"b1\"}");
    bool exists = true;
    assert_int_equal(record_exists(&exists, f->iam->st, NULL, EVENTS_KIND_RULE,
                                   "000000000000/us-east-1", "b1/r"),
                     0);
    assert_false(exists);
    fails(f, "DescribeEventBus", "{\"Name\": \"b1\"}", "ResourceNotFoundException",
          "Event bus b1 does not exist.");
    fails(f, "DescribeEventBus",
          "{\"Name\": \"arn:aws:events:eu-west-1:000000000000:event-bus/default\"}",
          "ResourceNotFoundException", NULL);
}

static void test_bus_limit(void **state)
{
    struct fixture *f = *state;
    char params[64];
    for (int i = 0; i < EVENTS_BUSES_MAX; i++) {
        snprintf(params, sizeof(params), "{\"Name\": \"bus%03d\"}", i);
        ok(f, "CreateEventBus", params);
    }
    fails(f, "CreateEventBus", "{\"Name\": \"onemore\"}", "LimitExceededException",
          "The requested resource exceeds the maximum number allowed.");
}

static void test_rules_and_targets(void **state)
{
    struct fixture *f = *state;
    json_t *out = NULL;
    assert_int_equal(call(f, "PutRule",
                          "{\"Name\": \"r1\", \"ScheduleExpression\": \"rate(1 hour)\", "
                          "\"State\": \"DISABLED\", \"RoleArn\": "
                          "\"arn:aws:iam::000000000000:role/eb\"}",
                          &out),
                     0);
    assert_string_equal(json_string_value(json_object_get(out, "RuleArn")),
                        "arn:aws:events:us-east-1:000000000000:rule/r1");
    json_decref(out);
    json_t *rec = NULL;
    assert_int_equal(record_get(&rec, NULL, f->iam->st, NULL, EVENTS_KIND_RULE,
                                "000000000000/us-east-1", "default/r1"),
                     0);
    assert_string_equal(json_string_value(json_object_get(rec, "State")), "DISABLED");
    assert_string_equal(json_string_value(json_object_get(rec, "RoleArn")),
                        "arn:aws:iam::000000000000:role/eb");
    json_decref(rec);
    fails(f, "PutRule", "{\"Name\": \"r2\", \"EventPattern\": \"[1]\"}",
          "InvalidEventPatternException", NULL);
    assert_non_null(strstr(f->message, "Event pattern is not valid."));
    fails(f, "PutRule", "{\"Name\": \"r2\", \"ScheduleExpression\": \"cron(0 12 * * * *)\"}",
          "ValidationException", NULL);
    fails(f, "PutTargets",
          "{\"Rule\": \"r1\", \"Targets\": [{\"Id\": \"a\", \"Arn\": "
          "\"arn:aws:sns:us-east-1:000000000000:t\", \"Input\": \"{\\\"a\\\": 1}\", "
          "\"InputTransformer\": {\"InputTemplate\": \"x\"}}]}",
          "ValidationException", NULL);
    fails(f, "PutTargets",
          "{\"Rule\": \"r1\", \"Targets\": [{\"Id\": \"a\", \"Arn\": "
          "\"arn:aws:sns:us-east-1:000000000000:t\", \"DeadLetterConfig\": {\"Arn\": "
          "\"arn:aws:sns:us-east-1:000000000000:t\"}}]}",
          "ValidationException", NULL);
    /* slipway has no SQS: a dead-letter queue could never receive anything. */
    fails(f, "PutTargets",
          "{\"Rule\": \"r1\", \"Targets\": [{\"Id\": \"a\", \"Arn\": "
          "\"arn:aws:sns:us-east-1:000000000000:t\", \"DeadLetterConfig\": {\"Arn\": "
          "\"arn:aws:sqs:us-east-1:000000000000:dlq\"}}]}",
          "ValidationException",
          "DeadLetterConfig (target a) is not supported by slipway: dead-letter queues are SQS "
          "queues and slipway has no SQS; leave it out");
    assert_int_equal(call(f, "ListTargetsByRule", "{\"Rule\": \"r1\"}", &out), 0);
    assert_int_equal(json_array_size(json_object_get(out, "Targets")), 0);
    json_decref(out);
    fails(f, "PutTargets",
          "{\"Rule\": \"r1\", \"Targets\": [{\"Id\": \"a\", \"Arn\": "
          "\"arn:aws:sns:us-east-1:000000000000:t\"}, {\"Id\": \"a\", \"Arn\": "
          "\"arn:aws:sns:us-east-1:000000000000:t\"}]}",
          "ValidationException", NULL);
    char params[1024];
    for (int i = 0; i < EVENTS_TARGETS_MAX; i++) {
        snprintf(params, sizeof(params),
                 "{\"Rule\": \"r1\", \"Targets\": [{\"Id\": \"t%d\", \"Arn\": "
                 "\"arn:aws:logs:us-east-1:000000000000:log-group:g%d\"}]}",
                 i, i);
        assert_int_equal(call(f, "PutTargets", params, &out), 0);
        assert_int_equal(json_integer_value(json_object_get(out, "FailedEntryCount")), 0);
        json_decref(out);
    }
    fails(f, "PutTargets",
          "{\"Rule\": \"r1\", \"Targets\": [{\"Id\": \"t9\", \"Arn\": "
          "\"arn:aws:sns:us-east-1:000000000000:t\"}]}",
          "LimitExceededException", "The requested resource exceeds the maximum number allowed.");
    /* Replacing an existing Id is no new target. */
    ok(f, "PutTargets",
       "{\"Rule\": \"r1\", \"Targets\": [{\"Id\": \"t0\", \"Arn\": "
       "\"arn:aws:sns:us-east-1:000000000000:t\"}]}");
    fails(f, "DeleteRule", "{\"Name\": \"r1\"}", "ValidationException",
          "Rule can't be deleted since it has targets.");
    assert_int_equal(call(f, "ListRuleNamesByTarget",
                          "{\"TargetArn\": \"arn:aws:sns:us-east-1:000000000000:t\"}", &out),
                     0);
    assert_int_equal(json_array_size(json_object_get(out, "RuleNames")), 1);
    json_decref(out);
    ok(f, "RemoveTargets", "{\"Rule\": \"r1\", \"Ids\": [\"t0\", \"t1\", \"t2\", \"t3\", \"t4\"]}");
    ok(f, "DeleteRule", "{\"Name\": \"r1\"}");
    ok(f, "DeleteRule", "{\"Name\": \"r1\"}");
}

static void test_json_paths(void **state)
{
    (void)state;
    static const char *const good[] = {
        "$", "$.detail", "$.detail.a-b", "$.resources[0]", "$.detail['x y']", "$.a.b[12].c"};
    static const char *const bad[] = {"",      "detail", "$.",  "$..a", "$[x]",
                                      "$['']", "$.a b",  "$[0", "$.a]"};
    for (size_t i = 0; i < ARRAY_SIZE(good); i++)
        assert_true(events_json_path_valid(good[i]));
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        if (events_json_path_valid(bad[i]))
            fail_msg("'%s' passed", bad[i]);
}

static void test_put_events_outbox(void **state)
{
    struct fixture *f = *state;
    ok(f, "CreateEventBus", "{\"Name\": \"app\"}");
    json_t *out = NULL;
    assert_int_equal(
        call(f, "PutEvents",
             "{\"Entries\": [{\"Source\": \"my.app\", \"DetailType\": \"Thing\", \"Detail\": "
             "\"{\\\"k\\\": [1, 2]}\", \"Resources\": [\"arn:aws:s3:::b\"], \"Time\": "
             "1700000000999, \"EventBusName\": \"app\"}, {\"Source\": \"aws.s3\", "
             "\"DetailType\": \"x\", \"Detail\": \"{}\"}, {\"Source\": \"s\", \"DetailType\": "
             "\"x\", \"Detail\": \"{}\"}]}",
             &out),
        0);
    assert_int_equal(json_integer_value(json_object_get(out, "FailedEntryCount")), 1);
    json_t *entries = json_object_get(out, "Entries");
    const char *id = json_string_value(json_object_get(json_array_get(entries, 0), "EventId"));
    assert_non_null(id);
    assert_string_equal(json_string_value(json_object_get(json_array_get(entries, 1), "ErrorCode")),
                        "NotAuthorizedForSourceException");
    struct store_event_batch batch = {0};
    assert_int_equal(store_outbox_fetch(&batch, f->iam->st, NULL, 0, 0), 0);
    assert_int_equal(batch.len, 2);
    json_t *ev = json_loads(batch.items[0].body, 0, NULL);
    assert_non_null(ev);
    assert_string_equal(json_string_value(json_object_get(ev, "id")), id);
    assert_string_equal(json_string_value(json_object_get(ev, "version")), "0");
    assert_string_equal(json_string_value(json_object_get(ev, "source")), "my.app");
    assert_string_equal(json_string_value(json_object_get(ev, "detail-type")), "Thing");
    assert_string_equal(json_string_value(json_object_get(ev, "account")), "000000000000");
    assert_string_equal(json_string_value(json_object_get(ev, "region")), "us-east-1");
    assert_string_equal(json_string_value(json_object_get(ev, "time")), "2023-11-14T22:13:20Z");
    assert_string_equal(json_string_value(json_object_get(ev, EVENTS_OUTBOX_BUS_KEY)), "app");
    assert_string_equal(json_string_value(json_array_get(json_object_get(ev, "resources"), 0)),
                        "arn:aws:s3:::b");
    assert_int_equal(
        json_integer_value(json_array_get(json_object_get(json_object_get(ev, "detail"), "k"), 1)),
        2);
    json_decref(ev);
    ev = json_loads(batch.items[1].body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(ev, EVENTS_OUTBOX_BUS_KEY)), "default");
    assert_int_equal(json_array_size(json_object_get(ev, "resources")), 0);
    json_decref(ev);
    store_event_batch_release(&batch);
    json_decref(out);

    /* Nothing of a refused call reaches the outbox. */
    struct buf big = BUF_INIT;
    buf_adds(&big, "{\"Entries\": [");
    for (int i = 0; i < 2; i++) {
        buf_addf(&big,
                 "%s{\"Source\": \"s\", \"DetailType\": \"x\", \"Detail\": \"{\\\"a\\\": \\\"",
                 i ? ", " : "");
        for (int j = 0; j < 132 * 1024; j++)
            buf_addch(&big, 'y');
        buf_adds(&big, "\\\"}\"}");
    }
    buf_adds(&big, "]}");
    fails(f, "PutEvents", big.data, "ValidationException",
          "Total size of the entries in the request is over the limit.");
    buf_release(&big);
    assert_int_equal(store_outbox_fetch(&batch, f->iam->st, NULL, 0, 0), 0);
    assert_int_equal(batch.len, 2);
    store_event_batch_release(&batch);
}

/* A caller without events:PutEvents learns nothing, whichever bus it names. */
static void test_put_events_authorizes_every_entry(void **state)
{
    struct fixture *f = *state;
    struct principal nobody = {.type = PRINCIPAL_USER,
                               .account_id = "000000000000",
                               .arn = "arn:aws:iam::000000000000:user/nobody",
                               .user_id = "AIDANOBODY",
                               .name = "nobody"};
    struct iam_fixture_result res;
    json_t *in = json_loads("{\"Entries\": [{\"Source\": \"s\", \"DetailType\": \"x\", "
                            "\"Detail\": \"{}\", \"EventBusName\": "
                            "\"arn:aws:events:eu-west-1:111111111111:event-bus/theirs\"}]}",
                            0, NULL);
    json_t *out = NULL;
    assert_true(iam_fixture_invoke(&res, f->iam, &nobody, "events", "PutEvents", in, NULL, &out) <
                0);
    assert_null(out);
    assert_string_equal(res.code, "AccessDeniedException");
    assert_non_null(strstr(res.message, "arn:aws:events:eu-west-1:111111111111:event-bus/theirs"));
    /* The admin gets the entry's error. */
    assert_int_equal(call(f, "PutEvents",
                          "{\"Entries\": [{\"Source\": \"s\", \"DetailType\": \"x\", "
                          "\"Detail\": \"{}\", \"EventBusName\": "
                          "\"arn:aws:events:eu-west-1:111111111111:event-bus/theirs\"}]}",
                          &out),
                     0);
    json_t *e = json_array_get(json_object_get(out, "Entries"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "ErrorCode")),
                        "ResourceNotFoundException");
    assert_string_equal(json_string_value(json_object_get(e, "ErrorMessage")),
                        "Event bus theirs does not exist.");
    json_decref(out);
    /* A Detail with text after a NUL is malformed, not its first part. */
    in = json_pack("{s:[{s:s, s:s, s:s%}]}", "Entries", "Source", "s", "DetailType", "x", "Detail",
                   "{}\0{}", (size_t)5);
    assert_int_equal(iam_fixture_invoke(&res, f->iam, NULL, "events", "PutEvents", in, NULL, &out),
                     0);
    e = json_array_get(json_object_get(out, "Entries"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "ErrorCode")), "MalformedDetail");
    json_decref(out);
    struct store_event_batch batch = {0};
    assert_int_equal(store_outbox_fetch(&batch, f->iam->st, NULL, 0, 0), 0);
    assert_int_equal(batch.len, 0);
    store_event_batch_release(&batch);
}

/* A pattern is checked whole: nothing after a NUL slips past PutRule. */
static void test_put_rule_pattern_with_nul(void **state)
{
    struct fixture *f = *state;
    struct iam_fixture_result res;
    json_t *out = NULL;
    static const char pattern[] = "{\"a\":[\"x\"]}\0{\"b\":1}";
    json_t *in =
        json_pack("{s:s, s:s%}", "Name", "nul", "EventPattern", pattern, sizeof(pattern) - 1);
    assert_true(iam_fixture_invoke(&res, f->iam, NULL, "events", "PutRule", in, NULL, &out) < 0);
    assert_string_equal(res.code, "InvalidEventPatternException");
    assert_null(out);
    static const char schedule[] = "rate(5 minutes)\0junk";
    in = json_pack("{s:s, s:s%}", "Name", "nul", "ScheduleExpression", schedule,
                   sizeof(schedule) - 1);
    assert_true(iam_fixture_invoke(&res, f->iam, NULL, "events", "PutRule", in, NULL, &out) < 0);
    assert_string_equal(res.code, "ValidationException");
    assert_string_equal(res.message, "Parameter ScheduleExpression is not valid.");
    fails(f, "DescribeRule", "{\"Name\": \"nul\"}", "ResourceNotFoundException",
          "Rule nul does not exist on EventBus default.");
}

static void test_tags_and_policy(void **state)
{
    struct fixture *f = *state;
    ok(f, "PutRule",
       "{\"Name\": \"t\", \"EventPattern\": \"{\\\"source\\\": [\\\"a\\\"]}\", "
       "\"Tags\": [{\"Key\": \"a\", \"Value\": \"1\"}]}");
    fails(f, "TagResource",
          "{\"ResourceARN\": \"arn:aws:events:us-east-1:000000000000:rule/t\", \"Tags\": "
          "[{\"Key\": \"aws:x\", \"Value\": \"1\"}]}",
          "ValidationException", NULL);
    fails(f, "TagResource",
          "{\"ResourceARN\": \"arn:aws:sns:us-east-1:000000000000:t\", \"Tags\": []}",
          "ValidationException", NULL);
    ok(f, "PutPermission",
       "{\"Action\": \"events:PutEvents\", \"Principal\": \"123456789012\", "
       "\"StatementId\": \"s1\"}");
    ok(f, "PutPermission",
       "{\"Action\": \"events:PutEvents\", \"Principal\": \"123456789012\", "
       "\"StatementId\": \"s1\"}");
    json_t *out = NULL;
    assert_int_equal(call(f, "DescribeEventBus", "{}", &out), 0);
    json_t *policy = json_loads(json_string_value(json_object_get(out, "Policy")), 0, NULL);
    assert_int_equal(json_array_size(json_object_get(policy, "Statement")), 1);
    json_decref(policy);
    json_decref(out);
    fails(f, "PutPermission",
          "{\"Action\": \"events:PutRule\", \"Principal\": \"*\", "
          "\"StatementId\": \"s2\"}",
          "ValidationException", NULL);
    fails(f, "PutPermission", "{\"Principal\": \"*\"}", "ValidationException", NULL);
    ok(f, "RemovePermission", "{\"StatementId\": \"s1\"}");
    fails(f, "RemovePermission", "{\"StatementId\": \"s1\"}", "ResourceNotFoundException",
          "EventBus does not have a policy.");
}

static void test_managed_rules(void **state)
{
    struct fixture *f = *state;
    json_t *rec = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:{}, s:[{s:s, s:s}]}", "Name", "svc", "EventBusName",
        "default", "Arn", "arn:aws:events:us-east-1:000000000000:rule/svc", "EventPattern",
        "{\"source\": [\"a\"]}", "State", "ENABLED", "ManagedBy", "codepipeline.amazonaws.com",
        "Tags", "Targets", "Id", "t", "Arn", "arn:aws:sns:us-east-1:000000000000:t");
    assert_int_equal(record_insert(f->iam->st, NULL, EVENTS_KIND_RULE, "000000000000/us-east-1",
                                   "default/svc", rec),
                     0);
    json_decref(rec);
    fails(f, "RemoveTargets", "{\"Rule\": \"svc\", \"Ids\": [\"t\"]}", "ManagedRuleException",
          "svc is a managed rule. Set 'force' parameter to true to override.");
    fails(f, "DeleteRule", "{\"Name\": \"svc\"}", "ManagedRuleException", NULL);
    fails(f, "DisableRule", "{\"Name\": \"svc\"}", "ManagedRuleException", NULL);
    fails(f, "PutRule", "{\"Name\": \"svc\", \"ScheduleExpression\": \"rate(1 day)\"}",
          "ManagedRuleException", NULL);
    fails(f, "PutTargets",
          "{\"Rule\": \"svc\", \"Targets\": [{\"Id\": \"u\", \"Arn\": "
          "\"arn:aws:sns:us-east-1:000000000000:t\"}]}",
          "ManagedRuleException", NULL);
    fails(f, "TagResource",
          "{\"ResourceARN\": \"arn:aws:events:us-east-1:000000000000:rule/svc\", \"Tags\": "
          "[{\"Key\": \"a\", \"Value\": \"1\"}]}",
          "ManagedRuleException", NULL);
    json_t *out = NULL;
    assert_int_equal(call(f, "DescribeRule", "{\"Name\": \"svc\"}", &out), 0);
    assert_string_equal(json_string_value(json_object_get(out, "ManagedBy")),
                        "codepipeline.amazonaws.com");
    json_decref(out);
    ok(f, "RemoveTargets", "{\"Rule\": \"svc\", \"Ids\": [\"t\"], \"Force\": true}");
    ok(f, "DeleteRule", "{\"Name\": \"svc\", \"Force\": true}");
    fails(f, "DescribeRule", "{\"Name\": \"svc\"}", "ResourceNotFoundException",
          "Rule svc does not exist on EventBus default.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bus_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bus_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_and_targets, setup, teardown),
        cmocka_unit_test(test_json_paths),
        cmocka_unit_test_setup_teardown(test_put_events_outbox, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_events_authorizes_every_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_rule_pattern_with_nul, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tags_and_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_managed_rules, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
