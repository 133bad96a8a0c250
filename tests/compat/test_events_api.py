"""EventBridge buses, rules, targets, tags, permissions and PutEvents
through boto3 and the aws CLI: storage, paging and AWS's errors."""
import json
import unittest

from slipway_server import ServerTestCase, model_has

ACCOUNT = "000000000000"
REGION = "us-east-1"
BUS_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus"
RULE_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:rule"
LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/slipway/events"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:topic1"
PATTERN = json.dumps({"source": ["my.app"]})
LIMIT = "The requested resource exceeds the maximum number allowed."


class EventsCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.events = cls.srv.client("events")

    def bus(self, name, **kwargs):
        resp = self.events.create_event_bus(Name=name, **kwargs)
        self.addCleanup(self.events.delete_event_bus, Name=name)
        return resp

    def rule(self, name, **kwargs):
        if "ScheduleExpression" not in kwargs:
            kwargs.setdefault("EventPattern", PATTERN)
        resp = self.events.put_rule(Name=name, **kwargs)
        bus = kwargs.get("EventBusName")
        extra = {"EventBusName": bus} if bus else {}

        def drop():
            ids = [t["Id"] for t in
                   self.events.list_targets_by_rule(Rule=name, **extra)["Targets"]]
            if ids:
                self.events.remove_targets(Rule=name, Ids=ids, **extra)
            self.events.delete_rule(Name=name, **extra)
        self.addCleanup(drop)
        return resp


class TestBuses(EventsCase):
    def test_default_bus_exists(self):
        bus = self.events.describe_event_bus()
        self.assertEqual((bus["Name"], bus["Arn"]), ("default", f"{BUS_ARN}/default"))
        bus = self.events.describe_event_bus(Name=f"{BUS_ARN}/default")
        self.assertEqual(bus["Name"], "default")
        names = [b["Name"] for b in self.events.list_event_buses()["EventBuses"]]
        self.assertIn("default", names)
        self.assertClientError(self.events.delete_event_bus, "ValidationException",
                               "Cannot delete event bus default.", Name="default")
        self.assertClientError(self.events.create_event_bus, "ResourceAlreadyExistsException",
                               Name="default")

    def test_create_describe_list_delete(self):
        extra = {}
        if model_has(self.events, "CreateEventBus", "Description"):
            extra["Description"] = "order events"
        resp = self.bus("orders", Tags=[{"Key": "team", "Value": "a"}], **extra)
        self.assertEqual(resp["EventBusArn"], f"{BUS_ARN}/orders")
        d = self.events.describe_event_bus(Name="orders")
        self.assertEqual((d["Name"], d["Arn"]), ("orders", f"{BUS_ARN}/orders"))
        if extra:
            self.assertEqual(d["Description"], "order events")
            self.assertIsNotNone(d["CreationTime"].year)
            self.events.update_event_bus(Name="orders", Description="changed")
            self.assertEqual(self.events.describe_event_bus(Name="orders")["Description"],
                             "changed")
            self.assertClientError(self.events.create_event_bus, "ValidationException",
                                   Name="kms", KmsKeyIdentifier="alias/x")
        self.assertClientError(self.events.create_event_bus, "ResourceAlreadyExistsException",
                               "Event bus orders already exists.", Name="orders")
        self.assertEqual(self.events.list_tags_for_resource(
            ResourceARN=f"{BUS_ARN}/orders")["Tags"], [{"Key": "team", "Value": "a"}])
        self.assertClientError(self.events.describe_event_bus, "ResourceNotFoundException",
                               "Event bus nope does not exist.", Name="nope")

    def test_list_paging_and_prefix(self):
        for n in ("pg-a", "pg-b", "pg-c"):
            self.bus(n)
        page = self.events.list_event_buses(NamePrefix="pg-", Limit=2)
        self.assertEqual([b["Name"] for b in page["EventBuses"]], ["pg-a", "pg-b"])
        rest = self.events.list_event_buses(NamePrefix="pg-", Limit=2,
                                            NextToken=page["NextToken"])
        self.assertEqual([b["Name"] for b in rest["EventBuses"]], ["pg-c"])
        self.assertNotIn("NextToken", rest)
        self.assertClientError(self.events.list_event_buses, "ValidationException",
                               NextToken="garbage")

    def test_bad_names(self):
        self.assertClientError(self.events.create_event_bus, "ValidationException",
                               Name="a/b")
        self.assertClientError(self.events.create_event_bus, "ValidationException",
                               Name="has space")

    def test_delete_bus_deletes_its_rules(self):
        self.bus("doomed")
        self.events.put_rule(Name="r1", EventBusName="doomed", EventPattern=PATTERN)
        self.events.delete_event_bus(Name="doomed")
        self.assertClientError(self.events.describe_event_bus, "ResourceNotFoundException",
                               Name="doomed")
        self.events.create_event_bus(Name="doomed")
        self.assertEqual(self.events.list_rules(EventBusName="doomed")["Rules"], [])

    def test_permissions(self):
        self.bus("shared")
        self.events.put_permission(EventBusName="shared", Action="events:PutEvents",
                                   Principal="111122223333", StatementId="acct")
        self.events.put_permission(
            EventBusName="shared", Action="events:PutEvents", Principal="*",
            StatementId="org",
            Condition={"Type": "StringEquals", "Key": "aws:PrincipalOrgID", "Value": "o-1"})
        policy = json.loads(self.events.describe_event_bus(Name="shared")["Policy"])
        self.assertEqual(policy["Version"], "2012-10-17")
        by_sid = {s["Sid"]: s for s in policy["Statement"]}
        self.assertEqual(by_sid["acct"], {
            "Sid": "acct", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "events:PutEvents", "Resource": f"{BUS_ARN}/shared"})
        self.assertEqual(by_sid["org"]["Principal"], "*")
        self.assertEqual(by_sid["org"]["Condition"],
                         {"StringEquals": {"aws:PrincipalOrgID": "o-1"}})
        self.events.remove_permission(EventBusName="shared", StatementId="acct")
        policy = json.loads(self.events.describe_event_bus(Name="shared")["Policy"])
        self.assertEqual([s["Sid"] for s in policy["Statement"]], ["org"])
        self.assertClientError(self.events.remove_permission, "ResourceNotFoundException",
                               "Statement with the provided id does not exist.",
                               EventBusName="shared", StatementId="acct")
        self.events.remove_permission(EventBusName="shared", RemoveAllPermissions=True)
        self.assertNotIn("Policy", self.events.describe_event_bus(Name="shared"))
        doc = {"Version": "2012-10-17", "Statement": [{
            "Sid": "whole", "Effect": "Allow", "Principal": "*",
            "Action": "events:PutEvents", "Resource": f"{BUS_ARN}/shared"}]}
        self.events.put_permission(EventBusName="shared", Policy=json.dumps(doc))
        self.assertEqual(json.loads(self.events.describe_event_bus(Name="shared")["Policy"]),
                         doc)
        self.assertClientError(self.events.put_permission, "ValidationException",
                               EventBusName="shared", Policy="{not json")
        self.assertClientError(self.events.put_permission, "ResourceNotFoundException",
                               EventBusName="nope", Action="events:PutEvents",
                               Principal="*", StatementId="x")


class TestRules(EventsCase):
    def test_put_describe_default_bus(self):
        arn = self.rule("on-app", Description="d")["RuleArn"]
        self.assertEqual(arn, f"{RULE_ARN}/on-app")
        r = self.events.describe_rule(Name="on-app")
        self.assertEqual((r["Name"], r["Arn"], r["State"], r["EventBusName"], r["Description"]),
                         ("on-app", arn, "ENABLED", "default", "d"))
        self.assertEqual(json.loads(r["EventPattern"]), {"source": ["my.app"]})
        self.events.disable_rule(Name="on-app")
        self.assertEqual(self.events.describe_rule(Name="on-app")["State"], "DISABLED")
        self.events.enable_rule(Name="on-app")
        self.assertEqual(self.events.describe_rule(Name="on-app")["State"], "ENABLED")
        self.assertClientError(self.events.describe_rule, "ResourceNotFoundException",
                               "Rule nope does not exist on EventBus default.", Name="nope")
        self.assertClientError(self.events.enable_rule, "ResourceNotFoundException",
                               Name="nope")

    def test_custom_bus_rule_arn(self):
        self.bus("app")
        arn = self.rule("r", EventBusName="app")["RuleArn"]
        self.assertEqual(arn, f"{RULE_ARN}/app/r")
        r = self.events.describe_rule(Name="r", EventBusName=f"{BUS_ARN}/app")
        self.assertEqual((r["Arn"], r["EventBusName"]), (arn, "app"))
        self.assertClientError(self.events.describe_rule, "ResourceNotFoundException",
                               "Rule r does not exist on EventBus default.", Name="r")
        self.assertClientError(self.events.put_rule, "ResourceNotFoundException",
                               "Event bus nobus does not exist.", Name="r",
                               EventBusName="nobus", EventPattern=PATTERN)

    def test_schedules(self):
        self.rule("every5", ScheduleExpression="rate(5 minutes)")
        r = self.events.describe_rule(Name="every5")
        self.assertEqual(r["ScheduleExpression"], "rate(5 minutes)")
        self.assertNotIn("EventPattern", r)
        self.rule("noon", ScheduleExpression="cron(0 12 * * ? *)")
        self.assertClientError(self.events.put_rule, "ValidationException",
                               "Parameter ScheduleExpression is not valid.", Name="bad",
                               ScheduleExpression="rate(5 lightyears)")
        self.bus("sched")
        self.assertClientError(self.events.put_rule, "ValidationException",
                               "ScheduleExpression is supported only on the default event bus.",
                               Name="s", EventBusName="sched",
                               ScheduleExpression="rate(1 hour)")

    def test_bad_rules(self):
        self.assertClientError(self.events.put_rule, "ValidationException",
                               "Parameter(s) EventPattern or ScheduleExpression must be "
                               "specified.", Name="empty")
        resp = self.assertClientError(self.events.put_rule, "InvalidEventPatternException",
                                      Name="bad", EventPattern="{not json")
        self.assertTrue(resp["Error"]["Message"].startswith("Event pattern is not valid."))
        self.assertClientError(self.events.put_rule, "ValidationException", Name="bad",
                               EventPattern=PATTERN, State="SOMETIMES")
        self.assertClientError(self.events.put_rule, "ValidationException", Name="bad name",
                               EventPattern=PATTERN)

    def test_update_keeps_targets_and_tags(self):
        self.rule("upd", Tags=[{"Key": "k", "Value": "v"}])
        self.events.put_targets(Rule="upd", Targets=[{"Id": "t1", "Arn": LOG_GROUP}])
        pattern2 = json.dumps({"source": ["other"]})
        self.events.put_rule(Name="upd", EventPattern=pattern2, State="DISABLED")
        r = self.events.describe_rule(Name="upd")
        self.assertEqual((json.loads(r["EventPattern"]), r["State"]),
                         ({"source": ["other"]}, "DISABLED"))
        self.assertEqual(len(self.events.list_targets_by_rule(Rule="upd")["Targets"]), 1)
        self.assertEqual(self.events.list_tags_for_resource(
            ResourceARN=f"{RULE_ARN}/upd")["Tags"], [{"Key": "k", "Value": "v"}])

    def test_list_rules_paging(self):
        self.bus("lst")
        for n in ("a1", "a2", "a3", "b1"):
            self.rule(n, EventBusName="lst")
        page = self.events.list_rules(EventBusName="lst", NamePrefix="a", Limit=2)
        self.assertEqual([r["Name"] for r in page["Rules"]], ["a1", "a2"])
        rest = self.events.list_rules(EventBusName="lst", NamePrefix="a", Limit=2,
                                      NextToken=page["NextToken"])
        self.assertEqual([r["Name"] for r in rest["Rules"]], ["a3"])
        self.assertNotIn("NextToken", rest)
        everything = self.events.list_rules(EventBusName="lst")["Rules"]
        self.assertEqual([r["Name"] for r in everything], ["a1", "a2", "a3", "b1"])
        self.assertEqual(everything[0]["Arn"], f"{RULE_ARN}/lst/a1")
        self.assertClientError(self.events.list_rules, "ResourceNotFoundException",
                               EventBusName="nobus")

    def test_delete_rule(self):
        self.events.put_rule(Name="del", EventPattern=PATTERN)
        self.events.put_targets(Rule="del", Targets=[{"Id": "t", "Arn": TOPIC}])
        self.assertClientError(self.events.delete_rule, "ValidationException",
                               "Rule can't be deleted since it has targets.", Name="del")
        self.events.remove_targets(Rule="del", Ids=["t"])
        self.events.delete_rule(Name="del")
        self.assertClientError(self.events.describe_rule, "ResourceNotFoundException",
                               Name="del")
        self.events.delete_rule(Name="del")  # AWS: deleting twice succeeds
        self.assertClientError(self.events.delete_rule, "ResourceNotFoundException",
                               Name="del", EventBusName="nobus")


class TestTargets(EventsCase):
    def test_put_list_remove(self):
        self.rule("tg")
        full = {
            "Id": "logs", "Arn": LOG_GROUP,
            "InputTransformer": {"InputPathsMap": {"src": "$.source"},
                                 "InputTemplate": '{"from": <src>}'},
            "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600},
        }
        # slipway has no SQS: a dead-letter queue is refused, not stored.
        self.assertClientError(
            self.events.put_targets, "ValidationException",
            "DeadLetterConfig (target logs) is not supported by slipway: dead-letter queues are "
            "SQS queues and slipway has no SQS; leave it out",
            Rule="tg", Targets=[dict(full, DeadLetterConfig={
                "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:dlq"})])
        self.assertEqual(self.events.list_targets_by_rule(Rule="tg")["Targets"], [])
        resp = self.events.put_targets(Rule="tg", Targets=[
            full,
            {"Id": "bus", "Arn": f"{BUS_ARN}/default", "InputPath": "$.detail",
             "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/eb"},
            {"Id": "sns", "Arn": TOPIC, "Input": '{"fixed": true}'},
        ])
        self.assertEqual(resp["FailedEntryCount"], 0)
        self.assertEqual(resp["FailedEntries"], [])
        targets = self.events.list_targets_by_rule(Rule="tg")["Targets"]
        self.assertEqual([t["Id"] for t in targets], ["bus", "logs", "sns"])
        self.assertEqual(targets[1], full)
        self.assertEqual(targets[0]["InputPath"], "$.detail")
        page = self.events.list_targets_by_rule(Rule="tg", Limit=2)
        self.assertEqual(len(page["Targets"]), 2)
        rest = self.events.list_targets_by_rule(Rule="tg", NextToken=page["NextToken"])
        self.assertEqual([t["Id"] for t in rest["Targets"]], ["sns"])
        names = self.events.list_rule_names_by_target(TargetArn=TOPIC)["RuleNames"]
        self.assertEqual(names, ["tg"])
        self.assertEqual(self.events.list_rule_names_by_target(
            TargetArn="arn:aws:sns:us-east-1:000000000000:other")["RuleNames"], [])
        resp = self.events.remove_targets(Rule="tg", Ids=["sns", "nothere"])
        self.assertEqual(resp["FailedEntryCount"], 0)
        self.assertEqual(len(self.events.list_targets_by_rule(Rule="tg")["Targets"]), 2)

    def test_replace_by_id(self):
        self.rule("rep")
        self.events.put_targets(Rule="rep", Targets=[{"Id": "t", "Arn": TOPIC}])
        self.events.put_targets(Rule="rep", Targets=[{"Id": "t", "Arn": LOG_GROUP}])
        targets = self.events.list_targets_by_rule(Rule="rep")["Targets"]
        self.assertEqual(targets, [{"Id": "t", "Arn": LOG_GROUP}])

    def test_undeliverable_targets_fail_per_entry(self):
        self.rule("und")
        resp = self.events.put_targets(Rule="und", Targets=[
            {"Id": "ok", "Arn": TOPIC},
            {"Id": "lambda", "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"},
            {"Id": "build", "Arn": f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/p"},
            {"Id": "junk", "Arn": "not-an-arn"},
        ])
        self.assertEqual(resp["FailedEntryCount"], 3)
        failed = {f["TargetId"]: f for f in resp["FailedEntries"]}
        self.assertEqual(set(failed), {"lambda", "build", "junk"})
        self.assertIn("'lambda'", failed["lambda"]["ErrorMessage"])
        self.assertIn("not implemented yet", failed["build"]["ErrorMessage"])
        self.assertEqual([t["Id"] for t in
                          self.events.list_targets_by_rule(Rule="und")["Targets"]], ["ok"])

    def test_limits_and_bad_input(self):
        self.rule("lim")
        self.assertClientError(self.events.put_targets, "ResourceNotFoundException",
                               "Rule nope does not exist on EventBus default.", Rule="nope",
                               Targets=[{"Id": "t", "Arn": TOPIC}])
        six = [{"Id": f"t{i}", "Arn": TOPIC} for i in range(6)]
        self.assertClientError(self.events.put_targets, "LimitExceededException", LIMIT,
                               Rule="lim", Targets=six)
        self.assertEqual(self.events.list_targets_by_rule(Rule="lim")["Targets"], [])
        self.assertClientError(self.events.put_targets, "ValidationException",
                               "Input for target t is not a valid JSON text.", Rule="lim",
                               Targets=[{"Id": "t", "Arn": TOPIC, "Input": "{nope"}])
        self.assertClientError(self.events.put_targets, "ValidationException", Rule="lim",
                               Targets=[{"Id": "t", "Arn": TOPIC, "Input": "{}",
                                         "InputPath": "$.detail"}])
        self.assertClientError(self.events.put_targets, "ValidationException", Rule="lim",
                               Targets=[{"Id": "t", "Arn": TOPIC, "InputPath": "detail"}])
        self.assertClientError(self.events.put_targets, "ValidationException", Rule="lim",
                               Targets=[{"Id": "t", "Arn": TOPIC,
                                         "RetryPolicy": {"MaximumRetryAttempts": 186}}])


class TestTags(EventsCase):
    def test_tag_untag(self):
        self.rule("tagged")
        arn = f"{RULE_ARN}/tagged"
        self.events.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "1"},
                                                        {"Key": "b", "Value": "2"}])
        self.events.untag_resource(ResourceARN=arn, TagKeys=["a"])
        self.assertEqual(self.events.list_tags_for_resource(ResourceARN=arn)["Tags"],
                         [{"Key": "b", "Value": "2"}])
        self.events.tag_resource(ResourceARN=f"{BUS_ARN}/default",
                                 Tags=[{"Key": "env", "Value": "dev"}])
        self.addCleanup(self.events.untag_resource, ResourceARN=f"{BUS_ARN}/default",
                        TagKeys=["env"])
        self.assertEqual(self.events.list_tags_for_resource(
            ResourceARN=f"{BUS_ARN}/default")["Tags"], [{"Key": "env", "Value": "dev"}])
        self.assertClientError(self.events.list_tags_for_resource, "ResourceNotFoundException",
                               "Rule gone does not exist on EventBus default.",
                               ResourceARN=f"{RULE_ARN}/gone")
        self.assertClientError(self.events.tag_resource, "ResourceNotFoundException",
                               ResourceARN=f"{BUS_ARN}/gone", Tags=[{"Key": "a", "Value": "1"}])


class TestPutEvents(EventsCase):
    def test_accept_and_refuse(self):
        self.bus("pe")
        resp = self.events.put_events(Entries=[
            {"Source": "my.app", "DetailType": "t", "Detail": '{"a": 1}'},
            {"Source": "my.app", "DetailType": "t", "Detail": '{"a": 1}', "EventBusName": "pe",
             "Resources": ["arn:aws:s3:::b"]},
            {"Source": "my.app", "DetailType": "t", "Detail": "[1]"},
            {"Source": "aws.codecommit", "DetailType": "t", "Detail": "{}"},
            {"Source": "my.app", "DetailType": "t", "Detail": "{}", "EventBusName": "nobus"},
            {"DetailType": "t", "Detail": "{}"},
            {"Source": "my.app", "Detail": "{}"},
            {"Source": "my.app", "DetailType": "t"},
            {"Source": "my.app", "DetailType": "t", "Detail": "{}",
             "EventBusName": f"{BUS_ARN}/pe"},
        ])
        e = resp["Entries"]
        self.assertEqual(resp["FailedEntryCount"], 6)
        self.assertEqual(len(e), 9)
        for i in (0, 1, 8):
            self.assertEqual(len(e[i]["EventId"]), 36)
            self.assertNotIn("ErrorCode", e[i])
        self.assertEqual((e[2]["ErrorCode"], e[2]["ErrorMessage"]),
                         ("MalformedDetail", "Detail is malformed."))
        self.assertEqual((e[3]["ErrorCode"], e[3]["ErrorMessage"]),
                         ("NotAuthorizedForSourceException", "Not authorized for the source."))
        self.assertEqual(e[4]["ErrorCode"], "ResourceNotFoundException")
        self.assertEqual(e[5], {"ErrorCode": "InvalidArgument", "ErrorMessage":
                                "Parameter Source is not valid. Reason: Source is a required "
                                "argument."})
        self.assertEqual(e[6]["ErrorMessage"], "Parameter DetailType is not valid. Reason: "
                         "DetailType is a required argument.")
        self.assertEqual(e[7]["ErrorMessage"], "Parameter Detail is not valid. Reason: Detail "
                         "is a required argument.")

    def test_size_limit(self):
        detail = json.dumps({"x": "y" * (130 * 1024)})
        entry = {"Source": "my.app", "DetailType": "t", "Detail": detail}
        self.assertClientError(self.events.put_events, "ValidationException",
                               "Total size of the entries in the request is over the limit.",
                               Entries=[entry, entry])
        self.assertEqual(self.events.put_events(Entries=[entry])["FailedEntryCount"], 0)
        self.assertClientError(self.events.put_events, "ValidationException",
                               Entries=[entry] * 11)


class TestCli(EventsCase):
    def test_cli_roundtrip(self):
        self.srv.aws("events", "create-event-bus", "--name", "cli-bus")
        self.addCleanup(self.events.delete_event_bus, Name="cli-bus")
        out = self.srv.aws_json("events", "put-rule", "--name", "cli-rule", "--event-bus-name",
                                "cli-bus", "--event-pattern", PATTERN)
        self.assertEqual(out["RuleArn"], f"{RULE_ARN}/cli-bus/cli-rule")
        out = self.srv.aws_json("events", "put-targets", "--rule", "cli-rule",
                                "--event-bus-name", "cli-bus", "--targets",
                                f"Id=t1,Arn={TOPIC}")
        self.assertEqual(out["FailedEntryCount"], 0)
        out = self.srv.aws_json("events", "list-targets-by-rule", "--rule", "cli-rule",
                                "--event-bus-name", "cli-bus")
        self.assertEqual(out["Targets"], [{"Id": "t1", "Arn": TOPIC}])
        rc, _, err = self.srv.aws("events", "delete-rule", "--name", "cli-rule",
                                  "--event-bus-name", "cli-bus", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("Rule can't be deleted since it has targets.", err)
        self.srv.aws("events", "remove-targets", "--rule", "cli-rule", "--event-bus-name",
                     "cli-bus", "--ids", "t1")
        self.srv.aws("events", "delete-rule", "--name", "cli-rule", "--event-bus-name",
                     "cli-bus")
        out = self.srv.aws_json("events", "put-events", "--entries", json.dumps(
            [{"Source": "cli.app", "DetailType": "x", "Detail": "{}",
              "EventBusName": "cli-bus"}]))
        self.assertEqual(out["FailedEntryCount"], 0)
        rc, _, err = self.srv.aws("events", "describe-rule", "--name", "nope", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("ResourceNotFoundException", err)


if __name__ == "__main__":
    unittest.main()
