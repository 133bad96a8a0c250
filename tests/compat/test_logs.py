"""CloudWatch Logs through boto3 and the aws CLI: groups, streams, events
with AWS's batch rules and tokens, FilterLogEvents patterns and paging, tags,
IAM policies scoped to one log group, and `aws logs tail --follow` (CLI v2)
following a group while events arrive."""
import json
import os
import queue
import shutil
import subprocess
import threading
import time
import unittest

import botocore.exceptions

from slipway_server import ServerTestCase, SlipwayServer

ACCOUNT = "000000000000"
REGION = "us-east-1"
ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
DAY = 86400 * 1000
HOUR = 3600 * 1000
GROUP_MISSING = "The specified log group does not exist."
STREAM_MISSING = "The specified log stream does not exist."
CLI_V2 = "/usr/bin/aws"


def now_ms():
    return int(time.time() * 1000)


class LogsCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.logs = cls.srv.client("logs")

    def make_group(self, name, **kwargs):
        self.logs.create_log_group(logGroupName=name, **kwargs)
        self.addCleanup(self.delete_group, name)

    def delete_group(self, name):
        try:
            self.logs.delete_log_group(logGroupName=name)
        except botocore.exceptions.ClientError:
            pass

    def make_stream(self, group, stream):
        self.logs.create_log_stream(logGroupName=group, logStreamName=stream)

    def put(self, group, stream, messages, ts=None, step=1):
        ts = now_ms() if ts is None else ts
        events = [{"timestamp": ts + i * step, "message": m} for i, m in enumerate(messages)]
        return self.logs.put_log_events(logGroupName=group, logStreamName=stream,
                                        logEvents=events)


class TestGroups(LogsCase):
    def test_create_describe_delete(self):
        before = now_ms()
        self.make_group("/compat/web")
        group = self.logs.describe_log_groups(logGroupNamePrefix="/compat/web")["logGroups"][0]
        self.assertEqual(group["logGroupName"], "/compat/web")
        self.assertEqual(group["arn"], ARN + "/compat/web:*")
        if "logGroupArn" in self.logs.meta.service_model.shape_for("LogGroup").members:
            # Older botocore (Debian's 1.29) does not know the member.
            self.assertEqual(group["logGroupArn"], ARN + "/compat/web")
        self.assertEqual(group["storedBytes"], 0)
        self.assertEqual(group["metricFilterCount"], 0)
        self.assertNotIn("retentionInDays", group)
        self.assertGreaterEqual(group["creationTime"], before - 1000)
        self.assertLessEqual(group["creationTime"], now_ms() + 1000)

        self.assertClientError(self.logs.create_log_group, "ResourceAlreadyExistsException",
                               "The specified log group already exists", 400,
                               logGroupName="/compat/web")
        self.logs.delete_log_group(logGroupName="/compat/web")
        self.assertClientError(self.logs.delete_log_group, "ResourceNotFoundException",
                               GROUP_MISSING, 400, logGroupName="/compat/web")

    def test_paginator_in_name_order(self):
        names = ["/page/c", "/page/a", "/page/e", "/page/b", "/page/d"]
        for name in names:
            self.make_group(name)
        paginator = self.logs.get_paginator("describe_log_groups")
        pages = list(paginator.paginate(logGroupNamePrefix="/page/",
                                        PaginationConfig={"PageSize": 2}))
        self.assertEqual(len(pages), 3)
        got = [g["logGroupName"] for p in pages for g in p["logGroups"]]
        self.assertEqual(got, sorted(names))
        self.assertClientError(self.logs.describe_log_groups, "InvalidParameterException",
                               "The specified nextToken is invalid.", nextToken="garbage")

    def test_retention(self):
        self.make_group("/compat/retained")
        self.assertClientError(
            self.logs.put_retention_policy, "InvalidParameterException",
            "1 validation error detected: Value '4' at 'retentionInDays' failed to satisfy "
            "constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, "
            "150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]",
            logGroupName="/compat/retained", retentionInDays=4)
        self.logs.put_retention_policy(logGroupName="/compat/retained", retentionInDays=30)
        group = self.logs.describe_log_groups(
            logGroupNamePrefix="/compat/retained")["logGroups"][0]
        self.assertEqual(group["retentionInDays"], 30)
        self.logs.delete_retention_policy(logGroupName="/compat/retained")
        group = self.logs.describe_log_groups(
            logGroupNamePrefix="/compat/retained")["logGroups"][0]
        self.assertNotIn("retentionInDays", group)
        self.assertClientError(self.logs.put_retention_policy, "ResourceNotFoundException",
                               GROUP_MISSING, logGroupName="/compat/none", retentionInDays=1)

    def test_cli(self):
        self.srv.aws("logs", "create-log-group", "--log-group-name", "/compat/cli",
                     "--tags", "team=build")
        self.addCleanup(self.delete_group, "/compat/cli")
        out = self.srv.aws_json("logs", "describe-log-groups", "--log-group-name-prefix",
                                "/compat/cli")
        # "arn" is in every CLI's model; logGroupArn only in newer ones.
        self.assertEqual([g["arn"] for g in out["logGroups"]], [ARN + "/compat/cli:*"])
        self.assertEqual(self.srv.aws_json("logs", "list-tags-log-group", "--log-group-name",
                                           "/compat/cli"), {"tags": {"team": "build"}})
        rc, _, err = self.srv.aws("logs", "create-log-group", "--log-group-name", "/compat/cli",
                                  check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("ResourceAlreadyExistsException", err)


class TestStreams(LogsCase):
    def test_streams(self):
        self.make_group("/compat/streams")
        self.assertClientError(self.logs.create_log_stream, "ResourceNotFoundException",
                               GROUP_MISSING, logGroupName="/compat/nogroup", logStreamName="s")
        for name in ("b", "a", "c"):
            self.make_stream("/compat/streams", name)
        self.assertClientError(self.logs.create_log_stream, "ResourceAlreadyExistsException",
                               "The specified log stream already exists",
                               logGroupName="/compat/streams", logStreamName="a")
        now = now_ms()
        self.put("/compat/streams", "a", ["a0", "a1"], ts=now - 3000, step=10)
        self.put("/compat/streams", "c", ["c0"], ts=now - 1000)
        self.put("/compat/streams", "b", ["b0"], ts=now - 2000)

        streams = self.logs.describe_log_streams(logGroupName="/compat/streams",
                                                 orderBy="LastEventTime",
                                                 descending=True)["logStreams"]
        self.assertEqual([s["logStreamName"] for s in streams], ["c", "b", "a"])
        a = streams[2]
        self.assertEqual(a["arn"], ARN + "/compat/streams:log-stream:a")
        self.assertEqual(a["firstEventTimestamp"], now - 3000)
        self.assertEqual(a["lastEventTimestamp"], now - 2990)
        self.assertEqual(a["storedBytes"], 0)
        self.assertEqual(len(a["uploadSequenceToken"]), 56)
        self.assertGreaterEqual(a["lastIngestionTime"], now - 5000)

        paginator = self.logs.get_paginator("describe_log_streams")
        names = [s["logStreamName"]
                 for page in paginator.paginate(logGroupName="/compat/streams",
                                                PaginationConfig={"PageSize": 1})
                 for s in page["logStreams"]]
        self.assertEqual(names, ["a", "b", "c"])

        self.assertClientError(self.logs.describe_log_streams, "InvalidParameterException",
                               "Cannot order by LastEventTime with a logStreamNamePrefix.",
                               logGroupName="/compat/streams", orderBy="LastEventTime",
                               logStreamNamePrefix="a")
        self.logs.delete_log_stream(logGroupName="/compat/streams", logStreamName="a")
        self.assertClientError(self.logs.delete_log_stream, "ResourceNotFoundException",
                               STREAM_MISSING, logGroupName="/compat/streams", logStreamName="a")
        group = self.logs.describe_log_groups(
            logGroupNamePrefix="/compat/streams")["logGroups"][0]
        self.assertEqual(group["storedBytes"], 4)


class TestEvents(LogsCase):
    def setUp(self):
        self.make_group("/compat/events")
        self.make_stream("/compat/events", "s")

    def get(self, **kwargs):
        return self.logs.get_log_events(logGroupName="/compat/events", logStreamName="s",
                                        **kwargs)

    def test_get_log_events_tokens(self):
        now = now_ms()
        self.put("/compat/events", "s", [f"m{i}" for i in range(5)], ts=now - 100, step=10)
        page = self.get(limit=2)
        self.assertEqual([e["message"] for e in page["events"]], ["m3", "m4"])
        self.assertEqual(page["events"][0]["timestamp"], now - 70)
        self.assertIn("ingestionTime", page["events"][0])
        forward = page["nextForwardToken"]
        backward = page["nextBackwardToken"]
        self.assertTrue(forward.startswith("f/") and backward.startswith("b/"))

        seen = []
        while True:
            page = self.get(limit=2, nextToken=backward)
            if not page["events"]:
                # At the start the same token comes back.
                self.assertEqual(page["nextBackwardToken"], backward)
                break
            seen = [e["message"] for e in page["events"]] + seen
            backward = page["nextBackwardToken"]
        self.assertEqual(seen, ["m0", "m1", "m2"])

        page = self.get(nextToken=forward, startFromHead=True)
        self.assertEqual(page["events"], [])
        self.assertEqual(page["nextForwardToken"], forward)
        self.put("/compat/events", "s", ["late"])
        page = self.get(nextToken=forward, startFromHead=True)
        self.assertEqual([e["message"] for e in page["events"]], ["late"])

        page = self.get(startFromHead=True, limit=3)
        self.assertEqual([e["message"] for e in page["events"]], ["m0", "m1", "m2"])
        page = self.get(startFromHead=True, startTime=now - 90, endTime=now - 70)
        self.assertEqual([e["message"] for e in page["events"]], ["m1", "m2"])
        self.assertClientError(self.get, "InvalidParameterException",
                               "The specified nextToken is invalid.", nextToken="f/123")
        self.assertClientError(self.logs.get_log_events, "ResourceNotFoundException",
                               STREAM_MISSING, logGroupName="/compat/events",
                               logStreamName="missing")

    def test_rejected_events(self):
        now = now_ms()
        events = [{"timestamp": now - 15 * DAY, "message": "too old"},
                  {"timestamp": now - HOUR, "message": "kept 1"},
                  {"timestamp": now, "message": "kept 2"},
                  {"timestamp": now + 3 * HOUR, "message": "too new"}]
        out = self.logs.put_log_events(logGroupName="/compat/events", logStreamName="s",
                                       logEvents=events)
        self.assertEqual(out["rejectedLogEventsInfo"],
                         {"tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 3})
        self.assertEqual(len(out["nextSequenceToken"]), 56)
        got = self.get(startFromHead=True)["events"]
        self.assertEqual([e["message"] for e in got], ["kept 1", "kept 2"])

        self.logs.put_retention_policy(logGroupName="/compat/events", retentionInDays=1)
        out = self.logs.put_log_events(
            logGroupName="/compat/events", logStreamName="s",
            logEvents=[{"timestamp": now - 2 * DAY, "message": "expired"},
                       {"timestamp": now, "message": "kept 3"}])
        self.assertEqual(out["rejectedLogEventsInfo"], {"expiredLogEventEndIndex": 1})

    def test_bad_batches_store_nothing(self):
        now = now_ms()
        self.assertClientError(
            self.logs.put_log_events, "InvalidParameterException",
            "Log events in a single PutLogEvents request must be in chronological order.", 400,
            logGroupName="/compat/events", logStreamName="s",
            logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}])
        self.assertClientError(
            self.logs.put_log_events, "InvalidParameterException",
            "The batch of log events in a single PutLogEvents request cannot span more than "
            "24 hours.",
            logGroupName="/compat/events", logStreamName="s",
            logEvents=[{"timestamp": now - 2 * DAY, "message": "a"},
                       {"timestamp": now, "message": "b"}])
        big = "x" * 600000
        self.assertClientError(
            self.logs.put_log_events, "InvalidParameterException",
            "Upload too large: 1200052 bytes exceeds limit of 1048576",
            logGroupName="/compat/events", logStreamName="s",
            logEvents=[{"timestamp": now, "message": big}, {"timestamp": now, "message": big}])
        self.assertEqual(self.get(startFromHead=True)["events"], [])
        self.assertClientError(self.logs.put_log_events, "ResourceNotFoundException",
                               STREAM_MISSING, logGroupName="/compat/events",
                               logStreamName="none",
                               logEvents=[{"timestamp": now, "message": "x"}])

    def test_full_batch(self):
        now = now_ms()
        events = [{"timestamp": now - 10000 + i, "message": f"line {i}"} for i in range(10000)]
        self.logs.put_log_events(logGroupName="/compat/events", logStreamName="s",
                                 logEvents=events)
        page = self.get(startFromHead=True)
        self.assertEqual(len(page["events"]), 10000)
        self.assertEqual(page["events"][9999]["message"], "line 9999")


class TestFilterLogEvents(LogsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        logs = cls.logs
        logs.create_log_group(logGroupName="/compat/filter")
        for stream in ("web-1", "web-2", "db"):
            logs.create_log_stream(logGroupName="/compat/filter", logStreamName=stream)
        now = cls.now = now_ms()
        puts = {
            "web-1": [(now - 30, "[ERROR 400] BAD REQUEST"),
                      (now - 20, "[ERROR 419] MISSING ARGUMENTS"),
                      (now - 10, json.dumps({"level": "warn", "latency": 700,
                                             "user": {"id": 7}}))],
            "web-2": [(now - 25, "[INFO] GET / 200"), (now - 5, "[WARN] slow ARGUMENTS")],
            "db": [(now - 27, "query 0"), (now - 7, "query 1")],
        }
        for stream, events in puts.items():
            logs.put_log_events(logGroupName="/compat/filter", logStreamName=stream,
                                logEvents=[{"timestamp": t, "message": m} for t, m in events])

    def messages(self, **kwargs):
        out = self.logs.filter_log_events(logGroupName="/compat/filter", **kwargs)
        return [e["message"] for e in out["events"]]

    def test_interleaved_by_timestamp(self):
        out = self.logs.filter_log_events(logGroupName="/compat/filter")
        self.assertEqual([e["logStreamName"] for e in out["events"]],
                         ["web-1", "db", "web-2", "web-1", "web-1", "db", "web-2"])
        self.assertEqual(out["searchedLogStreams"], [])
        self.assertNotIn("nextToken", out)
        self.assertEqual(len({e["eventId"] for e in out["events"]}), 7)

    def test_patterns(self):
        cases = {
            "ERROR": ["[ERROR 400] BAD REQUEST", "[ERROR 419] MISSING ARGUMENTS"],
            "ERROR ARGUMENTS": ["[ERROR 419] MISSING ARGUMENTS"],
            "?INFO ?WARN": ["[INFO] GET / 200", "[WARN] slow ARGUMENTS"],
            "ARGUMENTS -ERROR": ["[WARN] slow ARGUMENTS"],
            '"GET / 200"': ["[INFO] GET / 200"],
            "%^query [0-9]$%": ["query 0", "query 1"],
            "{ $.latency > 500 }": [json.dumps({"level": "warn", "latency": 700,
                                                "user": {"id": 7}})],
            '{ $.level = "w*" && $.user.id = 7 }': [json.dumps({"level": "warn",
                                                                "latency": 700,
                                                                "user": {"id": 7}})],
            "{ $.latency < 500 }": [],
        }
        for pattern, want in cases.items():
            with self.subTest(pattern=pattern):
                self.assertEqual(self.messages(filterPattern=pattern), want)
        self.assertClientError(self.logs.filter_log_events, "InvalidParameterException",
                               logGroupName="/compat/filter", filterPattern="{ $.a = ")

    def test_streams_and_time(self):
        self.assertEqual(self.messages(logStreamNames=["db", "web-2"]),
                         ["query 0", "[INFO] GET / 200", "query 1", "[WARN] slow ARGUMENTS"])
        self.assertEqual(self.messages(logStreamNamePrefix="web", startTime=self.now - 25,
                                       endTime=self.now - 20),
                         ["[INFO] GET / 200", "[ERROR 419] MISSING ARGUMENTS"])
        self.assertClientError(self.logs.filter_log_events, "InvalidParameterException",
                               logGroupName="/compat/filter", logStreamNames=["db"],
                               logStreamNamePrefix="d")
        self.assertClientError(self.logs.filter_log_events, "ResourceNotFoundException",
                               GROUP_MISSING, logGroupName="/compat/nofilter")

    def test_paginator(self):
        paginator = self.logs.get_paginator("filter_log_events")
        pages = list(paginator.paginate(logGroupName="/compat/filter",
                                        PaginationConfig={"PageSize": 3}))
        self.assertEqual([len(p["events"]) for p in pages], [3, 3, 1])
        self.assertEqual(len({e["eventId"] for p in pages for e in p["events"]}), 7)

    def test_cli(self):
        out = self.srv.aws_json("logs", "filter-log-events", "--log-group-name",
                                "/compat/filter", "--filter-pattern", "ERROR -BAD")
        self.assertEqual([e["message"] for e in out["events"]],
                         ["[ERROR 419] MISSING ARGUMENTS"])
        out = self.srv.aws_json("logs", "get-log-events", "--log-group-name", "/compat/filter",
                                "--log-stream-name", "db", "--start-from-head")
        self.assertEqual([e["message"] for e in out["events"]], ["query 0", "query 1"])


class TestTags(LogsCase):
    def test_tag_apis(self):
        self.make_group("/compat/tags", tags={"a": "1"})
        self.logs.tag_resource(resourceArn=ARN + "/compat/tags", tags={"b": "2"})
        self.assertEqual(self.logs.list_tags_for_resource(resourceArn=ARN + "/compat/tags")["tags"],
                         {"a": "1", "b": "2"})
        self.logs.untag_resource(resourceArn=ARN + "/compat/tags", tagKeys=["a"])
        self.logs.tag_log_group(logGroupName="/compat/tags", tags={"c": "3"})
        self.assertEqual(self.logs.list_tags_log_group(logGroupName="/compat/tags")["tags"],
                         {"b": "2", "c": "3"})
        self.logs.untag_log_group(logGroupName="/compat/tags", tags=["b", "c"])
        self.assertEqual(self.logs.list_tags_for_resource(resourceArn=ARN + "/compat/tags")["tags"],
                         {})
        # 50 tags on a group at most, counting those it has.
        self.logs.tag_resource(resourceArn=ARN + "/compat/tags",
                               tags={f"k{i}": "v" for i in range(50)})
        self.assertClientError(self.logs.tag_resource, "TooManyTagsException",
                               "A resource can have no more than 50 tags.",
                               resourceArn=ARN + "/compat/tags", tags={"one": "more"})
        self.logs.tag_resource(resourceArn=ARN + "/compat/tags", tags={"k0": "replaced"})
        self.assertClientError(self.logs.list_tags_for_resource, "ResourceNotFoundException",
                               GROUP_MISSING, resourceArn=ARN + "/compat/notags")


class TestAuthorization(LogsCase):
    """A user allowed logs:* on one group only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.iam.create_user(UserName="logwriter")
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "logs:*",
            "Resource": [ARN + "allowed", ARN + "allowed:*"]}]}
        cls.iam.put_user_policy(UserName="logwriter", PolicyName="one-group",
                                PolicyDocument=json.dumps(policy))
        key = cls.iam.create_access_key(UserName="logwriter")["AccessKey"]
        cls.scoped = cls.srv.client("logs", access_key=key["AccessKeyId"],
                                    secret_key=key["SecretAccessKey"])
        cls.logs.create_log_group(logGroupName="other")
        cls.logs.create_log_stream(logGroupName="other", logStreamName="s")

    def test_allowed_group(self):
        self.scoped.create_log_group(logGroupName="allowed")
        self.scoped.create_log_stream(logGroupName="allowed", logStreamName="s")
        self.scoped.put_log_events(logGroupName="allowed", logStreamName="s",
                                   logEvents=[{"timestamp": now_ms(), "message": "hi"}])
        events = self.scoped.get_log_events(logGroupName="allowed", logStreamName="s")["events"]
        self.assertEqual([e["message"] for e in events], ["hi"])
        self.assertEqual(len(self.scoped.filter_log_events(logGroupName="allowed")["events"]), 1)
        self.scoped.tag_resource(resourceArn=ARN + "allowed", tags={"k": "v"})

    def test_other_group_denied(self):
        user = f"arn:aws:iam::{ACCOUNT}:user/logwriter"
        resp = self.assertClientError(self.scoped.get_log_events, "AccessDeniedException",
                                      logGroupName="other", logStreamName="s")
        self.assertIn(f"User: {user} is not authorized to perform: logs:GetLogEvents on "
                      f"resource: {ARN}other:log-stream:s", resp["Error"]["Message"])
        self.assertClientError(self.scoped.put_log_events, "AccessDeniedException",
                               logGroupName="other", logStreamName="s",
                               logEvents=[{"timestamp": now_ms(), "message": "x"}])
        self.assertClientError(self.scoped.create_log_group, "AccessDeniedException",
                               logGroupName="other2")
        self.assertClientError(self.scoped.filter_log_events, "AccessDeniedException",
                               logGroupName="other")
        self.assertClientError(self.scoped.delete_log_group, "AccessDeniedException",
                               logGroupName="other")
        # Listing groups is not a group's action: the policy does not reach it.
        self.assertClientError(self.scoped.describe_log_groups, "AccessDeniedException")
        # Nothing changed.
        self.assertEqual(self.logs.get_log_events(logGroupName="other",
                                                  logStreamName="s")["events"], [])


class TestRetentionExpiry(unittest.TestCase):
    """Events past a group's retention are deleted by the server's retention
    task, which runs at start-up and then every minute."""

    def test_old_events_expire(self):
        srv = SlipwayServer().start()
        try:
            logs = srv.client("logs")
            logs.create_log_group(logGroupName="/compat/expiring")
            logs.create_log_group(logGroupName="/compat/kept")
            now = now_ms()
            for group in ("/compat/expiring", "/compat/kept"):
                logs.create_log_stream(logGroupName=group, logStreamName="s")
                # One call each: a batch spans at most 24 hours.
                for ts, message in ((now - 3 * DAY, "three days old"),
                                    (now - 2 * DAY, "two days old"), (now, "fresh")):
                    logs.put_log_events(logGroupName=group, logStreamName="s",
                                        logEvents=[{"timestamp": ts, "message": message}])
            logs.put_retention_policy(logGroupName="/compat/expiring", retentionInDays=1)
            srv.stop()
            srv = SlipwayServer(data_dir=srv.data_dir).start()
            logs = srv.client("logs")
            deadline = time.time() + 20
            while True:
                events = logs.get_log_events(logGroupName="/compat/expiring", logStreamName="s",
                                             startFromHead=True)["events"]
                if len(events) == 1 or time.time() > deadline:
                    break
                time.sleep(0.2)
            self.assertEqual([e["message"] for e in events], ["fresh"])
            kept = logs.get_log_events(logGroupName="/compat/kept", logStreamName="s",
                                       startFromHead=True)["events"]
            self.assertEqual(len(kept), 3)
            groups = {g["logGroupName"]: g for g in logs.describe_log_groups()["logGroups"]}
            self.assertEqual(groups["/compat/expiring"]["storedBytes"], len("fresh"))
        finally:
            srv.stop()
            shutil.rmtree(srv.data_dir, ignore_errors=True)


@unittest.skipUnless(shutil.which(CLI_V2), "the aws CLI v2 (Debian's awscli) is not installed")
class TestTail(LogsCase):
    """`aws logs tail --follow` pages FilterLogEvents every five seconds."""

    def test_tail_follow(self):
        self.make_group("/compat/tail")
        self.make_stream("/compat/tail", "runner")
        self.put("/compat/tail", "runner", ["before follow"])
        env = self.srv.aws_env(PYTHONUNBUFFERED="1")
        proc = subprocess.Popen(
            [CLI_V2, "--endpoint-url", self.srv.endpoint, "logs", "tail", "/compat/tail",
             "--follow", "--format", "short", "--color", "off"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = queue.Queue()

        def reader():
            for line in proc.stdout:
                lines.put(line.rstrip("\n"))

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        try:
            def wait_for(text, timeout=30):
                deadline = time.time() + timeout
                seen = []
                while time.time() < deadline:
                    try:
                        line = lines.get(timeout=0.5)
                    except queue.Empty:
                        if proc.poll() is not None:
                            self.fail(f"tail exited {proc.returncode}: {proc.stderr.read()}")
                        continue
                    seen.append(line)
                    if line.endswith(text):
                        return seen
                self.fail(f"tail did not print {text!r} in {timeout}s; saw {seen}")

            wait_for("before follow")
            self.put("/compat/tail", "runner", ["step 1 done", "step 2 done"])
            seen = wait_for("step 2 done")
            self.assertTrue(any(line.endswith("step 1 done") for line in seen), seen)
            # A stream created while following is picked up too.
            self.make_stream("/compat/tail", "later")
            self.put("/compat/tail", "later", ["from a new stream"])
            wait_for("from a new stream")
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()

    def test_tail_since(self):
        self.make_group("/compat/tail-since")
        self.make_stream("/compat/tail-since", "s")
        self.put("/compat/tail-since", "s", ["old line"], ts=now_ms() - 2 * HOUR)
        self.put("/compat/tail-since", "s", ["new line"])
        env = self.srv.aws_env()
        p = subprocess.run([CLI_V2, "--endpoint-url", self.srv.endpoint, "logs", "tail",
                            "/compat/tail-since", "--since", "1h", "--format", "short"],
                           env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout.strip().splitlines()
        self.assertEqual(len(out), 1, out)
        self.assertTrue(out[0].endswith("new line"), out)


if __name__ == "__main__":
    unittest.main()
