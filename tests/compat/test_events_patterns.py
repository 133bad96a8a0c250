"""EventBridge TestEventPattern (pattern_api.c over pattern.c): every
recorded AWS case in tests/data/event-patterns (see its README) through
boto3, plus the event envelope checks and the aws CLI."""
import glob
import json
import os
import re
import unittest

from slipway_server import ServerTestCase

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "event-patterns")

EVENT = {"id": "1", "source": "test-source", "detail-type": "test-detail-type",
         "account": "123456789012", "region": "us-east-2", "time": "2022-07-13T13:48:01Z",
         "detail": {"state": "pending"}}


def json5(text):
    text = re.sub(r"^\s*//.*$", "", text, flags=re.M)
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", text))


def snapshot_messages():
    with open(os.path.join(DATA, "test_events_patterns.snapshot.json")) as f:
        snap = json.load(f)
    out = {}
    for entry in snap.values():
        for name, content in (entry.get("recorded-content") or {}).items():
            out[name] = content["exception_message"]["Error"]["Message"]
    return out


class TestEventPatternVectors(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.events = cls.srv.client("events")

    def test_all_recorded_cases(self):
        messages = snapshot_messages()
        files = sorted(glob.glob(os.path.join(DATA, "cases", "*.json5")))
        self.assertGreaterEqual(len(files), 100)
        for path in files:
            name = os.path.basename(path)[: -len(".json5")]
            with self.subTest(case=name), open(path) as f:
                case = json5(f.read())
                args = {"EventPattern": json.dumps(case["EventPattern"]),
                        "Event": json.dumps(case["Event"])}
                if name.endswith("_EXC"):
                    self.assertClientError(self.events.test_event_pattern,
                                           "InvalidEventPatternException", messages[name],
                                           status=400, **args)
                else:
                    result = self.events.test_event_pattern(**args)["Result"]
                    self.assertEqual(result, not name.endswith("_NEG"))

    def test_duplicate_key_last_wins(self):
        with open(os.path.join(DATA, "cases", "complex_multi_key_event.json")) as f:
            event = f.read()
        with open(os.path.join(DATA, "cases", "complex_multi_key_event_pattern.json")) as f:
            pattern = f.read()
        self.assertTrue(self.events.test_event_pattern(EventPattern=pattern, Event=event)["Result"])

    def test_event_envelope_required(self):
        for field in ("id", "account", "source", "time", "region", "detail-type"):
            with self.subTest(missing=field):
                event = {k: v for k, v in EVENT.items() if k != field}
                self.assertClientError(self.events.test_event_pattern, "ValidationException",
                                       "Parameter Event is not valid.",
                                       EventPattern='{"source": ["test-source"]}',
                                       Event=json.dumps(event))
        for bad in ("not json", "[]", '"x"'):
            self.assertClientError(self.events.test_event_pattern, "ValidationException",
                                   "Parameter Event is not valid.",
                                   EventPattern='{"source": ["test-source"]}', Event=bad)
        # resources is documented as mandatory but AWS does not enforce it
        self.assertTrue(self.events.test_event_pattern(
            EventPattern='{"source": ["test-source"]}', Event=json.dumps(EVENT))["Result"])

    def test_pattern_errors(self):
        cases = {
            '["x"]': "Filter is not an object",
            "{}": "Empty objects are not allowed",
            '{"a": []}': "Empty arrays are not allowed",
            '{"a": [{"numeric": ["<", 6e9]}]}': "Value must be between -5.0E9 and 5.0E9, inclusive",
            '{"a": [{"wildcard": "a\\\\b"}]}': "Invalid escape character at pos 2",
            '{"$or": [{"a": ["x"]}]}': "There must have at least 2 Objects in $or relationship.",
            '{"a": [{"cidr": "10.0.0.0/32"}]}': "IPv4 mask bits must be < 32",
        }
        for pattern, reason in cases.items():
            with self.subTest(pattern=pattern):
                self.assertClientError(self.events.test_event_pattern,
                                       "InvalidEventPatternException",
                                       "Event pattern is not valid. Reason: " + reason,
                                       EventPattern=pattern, Event=json.dumps(EVENT))

    def test_or_nested_and_cidr_v6(self):
        pattern = {"detail": {"$or": [{"state": ["running"]},
                                      {"ip": [{"cidr": "2001:db8::/32"}]}]}}
        event = dict(EVENT, detail={"state": "stopped", "ip": "2001:db8:ffff::1"})
        self.assertTrue(self.events.test_event_pattern(
            EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"])
        event["detail"]["ip"] = "2001:db9::1"
        self.assertFalse(self.events.test_event_pattern(
            EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"])

    def test_cli(self):
        out = self.srv.aws_json("events", "test-event-pattern",
                                "--event-pattern", '{"detail": {"state": [{"prefix": "pen"}]}}',
                                "--event", json.dumps(EVENT))
        self.assertEqual(out, {"Result": True})


if __name__ == "__main__":
    unittest.main()
