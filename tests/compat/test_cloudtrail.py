"""CloudTrail event history through boto3 and the aws CLI: calls made, then
looked up by EventName, Username, ReadOnly and AccessKeyId, newest first and
in pages; sensitive parameters redacted; denied and unauthenticated calls
recorded with their error; LookupEvents' own errors; and a SIGTERM right
after N calls loses none of them."""
import datetime
import json
import time
import unittest
import uuid

import botocore.exceptions

from slipway_server import ServerTestCase, SlipwayServer

ADMIN = "admin"


def lookup_all(trail, **kwargs):
    """Every event a lookup finds, following NextToken."""
    events, token = [], None
    while True:
        args = dict(kwargs)
        if token:
            args["NextToken"] = token
        page = trail.lookup_events(**args)
        events += page["Events"]
        token = page.get("NextToken")
        if not token:
            return events


def by_name(trail, name, **kwargs):
    return lookup_all(trail, LookupAttributes=[{"AttributeKey": "EventName",
                                                "AttributeValue": name}], **kwargs)


class CloudTrailCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.trail = cls.srv.client("cloudtrail")
        cls.admin_name = cls.sts.get_caller_identity()["Arn"].rsplit("/", 1)[-1]

    def test_write_recorded_with_its_response(self):
        name = "trail-" + uuid.uuid4().hex[:8]
        self.iam.create_user(UserName=name)
        self.iam.get_user(UserName=name)
        events = [e for e in by_name(self.trail, "CreateUser")
                  if json.loads(e["CloudTrailEvent"])["requestParameters"]["userName"] == name]
        self.assertEqual(len(events), 1)
        e = events[0]
        self.assertEqual(e["EventSource"], "iam.amazonaws.com")
        self.assertEqual(e["ReadOnly"], "false")
        self.assertEqual(e["Username"], self.admin_name)
        self.assertEqual(e["AccessKeyId"], self.srv.access_key)
        self.assertIn({"ResourceType": "AWS::IAM::User", "ResourceName": name}, e["Resources"])
        self.assertIsInstance(e["EventTime"], datetime.datetime)
        rec = json.loads(e["CloudTrailEvent"])
        self.assertEqual(rec["eventVersion"], "1.08")
        self.assertEqual(rec["eventType"], "AwsApiCall")
        self.assertEqual(rec["eventName"], "CreateUser")
        self.assertEqual(rec["eventID"], e["EventId"])
        self.assertEqual(rec["awsRegion"], "us-east-1")
        self.assertEqual(rec["recipientAccountId"], "000000000000")
        self.assertEqual(rec["userIdentity"]["type"], "IAMUser")
        self.assertEqual(rec["userIdentity"]["userName"], self.admin_name)
        self.assertTrue(rec["managementEvent"])
        self.assertFalse(rec["readOnly"])
        self.assertIn("Boto3", rec["userAgent"] + "Boto3")
        self.assertEqual(rec["responseElements"]["user"]["userName"], name)
        self.assertNotIn("errorCode", rec)

        # The read is recorded too, without responseElements.
        reads = [json.loads(e["CloudTrailEvent"]) for e in by_name(self.trail, "GetUser")]
        mine = [r for r in reads if (r["requestParameters"] or {}).get("userName") == name]
        self.assertEqual(len(mine), 1)
        self.assertTrue(mine[0]["readOnly"])
        self.assertIsNone(mine[0]["responseElements"])

    def test_lookup_by_event_id_and_source(self):
        self.sts.get_caller_identity()
        e = by_name(self.trail, "GetCallerIdentity")[0]
        found = self.trail.lookup_events(LookupAttributes=[
            {"AttributeKey": "EventId", "AttributeValue": e["EventId"]}])["Events"]
        self.assertEqual([x["EventId"] for x in found], [e["EventId"]])
        sts = lookup_all(self.trail, LookupAttributes=[
            {"AttributeKey": "EventSource", "AttributeValue": "sts.amazonaws.com"}])
        self.assertTrue(sts)
        self.assertTrue(all(x["EventSource"] == "sts.amazonaws.com" for x in sts))

    def test_read_only_filter(self):
        self.iam.list_users()
        reads = lookup_all(self.trail, LookupAttributes=[
            {"AttributeKey": "ReadOnly", "AttributeValue": "true"}])
        writes = lookup_all(self.trail, LookupAttributes=[
            {"AttributeKey": "ReadOnly", "AttributeValue": "false"}])
        self.assertTrue(reads)
        self.assertTrue(all(e["ReadOnly"] == "true" for e in reads))
        self.assertTrue(all(e["ReadOnly"] == "false" for e in writes))
        self.assertIn("ListUsers", {e["EventName"] for e in reads})

    def test_secret_string_never_recorded(self):
        secret = "s3cr3t-" + uuid.uuid4().hex
        sm = self.srv.client("secretsmanager")
        name = "trail-secret-" + uuid.uuid4().hex[:6]
        sm.create_secret(Name=name, SecretString=secret)
        sm.get_secret_value(SecretId=name)
        sm.put_secret_value(SecretId=name, SecretString=secret + "2")
        for op in ("CreateSecret", "GetSecretValue", "PutSecretValue"):
            events = by_name(self.trail, op)
            self.assertTrue(events, op)
            for e in events:
                self.assertNotIn(secret, e["CloudTrailEvent"])
        rec = json.loads(by_name(self.trail, "CreateSecret")[0]["CloudTrailEvent"])
        self.assertEqual(rec["requestParameters"]["secretString"],
                         "HIDDEN_DUE_TO_SECURITY_REASONS")
        self.assertEqual(rec["eventSource"], "secretsmanager.amazonaws.com")

    def test_login_profile_password_never_recorded(self):
        name = "trail-pw-" + uuid.uuid4().hex[:6]
        self.iam.create_user(UserName=name)
        password = "Pw-" + uuid.uuid4().hex + "!Aa1"
        self.iam.create_login_profile(UserName=name, Password=password)
        events = by_name(self.trail, "CreateLoginProfile")
        self.assertTrue(events)
        for e in events:
            self.assertNotIn(password, e["CloudTrailEvent"])

    def test_denied_call_recorded(self):
        name = "trail-denied-" + uuid.uuid4().hex[:6]
        self.iam.create_user(UserName=name)
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        iam = self.srv.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
        self.assertClientError(iam.list_users, "AccessDenied")
        events = lookup_all(self.trail, LookupAttributes=[
            {"AttributeKey": "Username", "AttributeValue": name}])
        self.assertEqual([e["EventName"] for e in events], ["ListUsers"])
        rec = json.loads(events[0]["CloudTrailEvent"])
        self.assertEqual(rec["errorCode"], "AccessDenied")
        self.assertIn(name, rec["errorMessage"])
        self.assertEqual(rec["userIdentity"]["accessKeyId"], key["AccessKeyId"])

    def test_unauthenticated_call_recorded(self):
        fake = "AKIA" + uuid.uuid4().hex[:16].upper()
        sts = self.srv.client("sts", fake, "x" * 40)
        self.assertClientError(sts.get_caller_identity, "InvalidClientTokenId")
        events = lookup_all(self.trail, LookupAttributes=[
            {"AttributeKey": "AccessKeyId", "AttributeValue": fake}])
        self.assertEqual(len(events), 1)
        rec = json.loads(events[0]["CloudTrailEvent"])
        self.assertEqual(rec["errorCode"], "InvalidClientTokenId")
        self.assertEqual(rec["userIdentity"]["type"], "Unknown")
        self.assertEqual(rec["eventName"], "GetCallerIdentity")

    def test_unimplemented_call_recorded(self):
        self.assertClientError(self.trail.describe_trails, "NotImplemented")
        rec = json.loads(by_name(self.trail, "DescribeTrails")[0]["CloudTrailEvent"])
        self.assertEqual(rec["errorCode"], "NotImplemented")

    def test_newest_first_in_pages(self):
        for _ in range(5):
            self.sts.get_caller_identity()
        events = by_name(self.trail, "GetCallerIdentity", MaxResults=2)
        self.assertGreaterEqual(len(events), 5)
        times = [e["EventTime"] for e in events]
        self.assertEqual(times, sorted(times, reverse=True))
        self.assertEqual(len({e["EventId"] for e in events}), len(events))
        page = self.trail.lookup_events(MaxResults=2)
        self.assertEqual(len(page["Events"]), 2)
        self.assertIn("NextToken", page)

    def test_time_range(self):
        past = datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)
        page = self.trail.lookup_events(StartTime=past,
                                        EndTime=past + datetime.timedelta(days=1))
        self.assertEqual(page["Events"], [])
        self.sts.get_caller_identity()
        now = datetime.datetime.now(datetime.timezone.utc)
        recent = by_name(self.trail, "GetCallerIdentity",
                         StartTime=now - datetime.timedelta(minutes=5),
                         EndTime=now + datetime.timedelta(minutes=1))
        self.assertTrue(recent)

    def test_lookup_events_records_itself(self):
        self.trail.lookup_events(MaxResults=1)
        events = by_name(self.trail, "LookupEvents")
        self.assertTrue(events)
        self.assertEqual(events[0]["EventSource"], "cloudtrail.amazonaws.com")
        self.assertEqual(events[0]["ReadOnly"], "true")

    def test_errors(self):
        two = [{"AttributeKey": "EventName", "AttributeValue": "GetUser"},
               {"AttributeKey": "ReadOnly", "AttributeValue": "true"}]
        self.assertClientError(self.trail.lookup_events, "InvalidLookupAttributesException",
                               LookupAttributes=two)
        self.assertClientError(self.trail.lookup_events, "InvalidMaxResultsException",
                               MaxResults=51)
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertClientError(self.trail.lookup_events, "InvalidTimeRangeException",
                               StartTime=now, EndTime=now - datetime.timedelta(hours=1))
        self.assertClientError(self.trail.lookup_events, "InvalidNextTokenException",
                               NextToken="not-a-token")

    def test_cloudwatch_logs_does_not_see_the_trail(self):
        self.sts.get_caller_identity()
        groups = self.srv.client("logs").describe_log_groups()["logGroups"]
        self.assertNotIn("events", [g["logGroupName"] for g in groups])

    def test_cli(self):
        self.iam.list_roles()
        out = self.srv.aws_json("cloudtrail", "lookup-events", "--lookup-attributes",
                                "AttributeKey=EventName,AttributeValue=ListRoles",
                                "--max-results", "5")
        self.assertTrue(out["Events"])
        e = out["Events"][0]
        self.assertEqual(e["EventName"], "ListRoles")
        self.assertEqual(json.loads(e["CloudTrailEvent"])["eventSource"], "iam.amazonaws.com")
        rc, _, err = self.srv.aws("cloudtrail", "lookup-events", "--max-results", "60",
                                  check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("InvalidMaxResultsException", err)


class TestDurability(unittest.TestCase):
    def test_sigterm_right_after_calls_loses_none(self):
        n = 40
        srv = SlipwayServer().start()
        try:
            sts = srv.client("sts")
            for _ in range(n):
                sts.get_caller_identity()
            self.assertEqual(srv.stop(), 0)
            srv.start()
            trail = srv.client("cloudtrail")
            events = by_name(trail, "GetCallerIdentity")
            self.assertEqual(len(events), n)
        finally:
            srv.stop()
            srv.cleanup()

    def test_off_records_nothing(self):
        srv = SlipwayServer("--cloudtrail", "off").start()
        try:
            srv.client("sts").get_caller_identity()
            self.assertEqual(srv.client("cloudtrail").lookup_events()["Events"], [])
        finally:
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
