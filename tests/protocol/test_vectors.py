"""botocore's protocol test vectors, checked from the server's side
(src/aws/proto_json.c, proto_query.c, proto_rest.c, proto_restjson.c,
proto_restxml.c through tests/tools/protocol_vectors.c).

Input cases: the `serialized` request must decode to `params`.
Output cases: `result` (or the modelled error) is encoded by slipway, and
botocore's own response parser for the protocol, given the case's model,
must read back the same `result` (or the same error code and message).

Each vector file is one TestCase; every case is one subTest. The C side is
tests/tools/protocol_vectors.c, run once per file with all its cases as a
batch of jobs.

    python3 tests/lib/pyrun.py tests/protocol
    python3 tests/protocol/test_vectors.py --skips   # docs/protocol-vectors.md table
"""
import base64
import calendar
import copy
import json
import os
import subprocess
import sys
import unittest

from botocore.awsrequest import HeadersDict
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import ResponseParserFactory
from botocore.utils import parse_timestamp
from dateutil.tz import tzutc

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("SLIPWAY_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
BUILD_DIR = os.environ.get("SLIPWAY_BUILD_DIR", os.path.join(SOURCE_DIR, "build-test"))
VECTORS = os.path.join(SOURCE_DIR, "..", "shared", "vectors", "protocols", "botocore")
TOOL = os.path.join(BUILD_DIR, "protocol_vectors")

FILES = ["json", "json_1_0", "query", "rest-xml", "rest-json"]
BLOB = "$blob"

# Whole suites (by description) that test a client-only behaviour.
SUITE_SKIPS = {
    "Test cases for PutWithContentEncoding operation":
        "tests the client's choice to gzip the body; the vector holds no body to decode",
    "Test cases for QueryIdempotencyTokenAutoFill operation":
        "tests the client filling in an idempotency token; a server only reads what is sent",
    "Test cases for HostWithPathOperation operation":
        "tests the client joining an endpoint path prefix ('/custom') to the URI",
    "Idempotency token auto fill":
        "tests the client filling in an idempotency token; a server only reads what is sent",
}

# Single cases, keyed (file, direction, case id).
CASE_SKIPS = {
    ("query", "input", "QueryEmptyQueryMaps"):
        "the client sends nothing for an empty map; a server sees the member absent",
    ("rest-xml", "input", "AllQueryStringTypes"):
        "a server puts every query parameter in the 'queryParamsMapOfStrings' map (a map bound "
        "to the query string takes them all, as Smithy's server case "
        "RestJsonServersQueryParamsStringListMap says); this client case leaves it out",
    ("rest-xml", "input", "RestXmlQueryStringEscaping"):
        "a server puts every query parameter in the 'queryParamsMapOfStrings' map; this client "
        "case leaves it out (see AllQueryStringTypes)",
    ("rest-xml", "input", "RestXmlSupportsNaNFloatQueryValues"):
        "a server puts every query parameter in the 'queryParamsMapOfStrings' map; this client "
        "case leaves it out (see AllQueryStringTypes)",
    ("rest-xml", "input", "RestXmlSupportsInfinityFloatQueryValues"):
        "a server puts every query parameter in the 'queryParamsMapOfStrings' map; this client "
        "case leaves it out (see AllQueryStringTypes)",
    ("rest-xml", "input", "RestXmlSupportsNegativeInfinityFloatQueryValues"):
        "a server puts every query parameter in the 'queryParamsMapOfStrings' map; this client "
        "case leaves it out (see AllQueryStringTypes)",
    ("rest-xml", "input", "RestXmlZeroAndFalseQueryValues"):
        "a server puts every query parameter in the 'queryParamsMapOfStrings' map; this client "
        "case leaves it out (see AllQueryStringTypes)",
    ("rest-xml", "input", "RestXmlQueryParamsStringListMap"):
        "a server puts every query parameter in the map, 'corge' too, as Smithy's server case "
        "RestJsonServersQueryParamsStringListMap says; this client case leaves it out",
    ("rest-xml", "input", "RestXmlQueryPrecedence"):
        "the client drops the map's 'bar=fromMap' because a named parameter wins; the dropped "
        "value is not on the wire for a server to recover (in botocore's own ignore list)",
    ("rest-xml", "output", "BodyWithXmlName"):
        "botocore names member 'nested' by its target shape's locationName ('Hello') where the "
        "case writes <nested>; no real model (s3) gives a member a target whose locationName "
        "differs from the member's own (in botocore's own ignore list)",
    ("rest-xml", "output", "XmlLists"):
        "botocore reads a flattened list whose items have a locationName from elements of "
        "that name ('item'), so 'flattenedList', 'flattenedList2' and 'flattenedStructureList' "
        "cannot be told apart in any body (in botocore's own ignore list)",
    ("rest-xml", "output", "HttpPayloadTraitsWithNoBlobBody"):
        "botocore reads an empty body as an empty blob where the case expects no member "
        "(in botocore's own ignore list)",
    ("rest-xml", "output", "RestXmlHttpPayloadWithUnsetUnion"):
        "an unset union payload is an empty body, which botocore's parser rejects as a union "
        "without a member (in botocore's own ignore list)",
    ("rest-xml", "output", "InputAndOutputWithTimestampHeaders"):
        "an HTTP-date list has commas inside each date; botocore's parser splits header "
        "lists on every comma and cannot read it back (in botocore's own ignore list)",
    ("query", "output", "QueryXmlLists"):
        "botocore reads a flattened list whose items have a locationName from elements of "
        "that name ('item'), so 'flattenedList' and 'flattenedList2' (both of 'item's) cannot "
        "be told apart in any body (in botocore's own ignore list)",
    ("json_1_0", "input", "AwsJson10EndpointTrait"):
        "the vector records only the client's host prefix; its request has no X-Amz-Target "
        "header, so no server could route it",
    ("json_1_0", "input", "AwsJson10EndpointTraitWithHostLabel"):
        "the vector records only the client's host prefix; its request has no X-Amz-Target "
        "header, so no server could route it",
    ("rest-json", "input", "RestJsonOmitsEmptyListQueryValues"):
        "the client sends nothing for an empty list; a server sees the members absent",
    ("rest-json", "input", "RestJsonQueryParamsStringListMap"):
        "a server puts every query parameter in the map, 'corge' too, as Smithy's server case "
        "RestJsonServersQueryParamsStringListMap says; this client case leaves it out",
    ("rest-json", "output", "RestJsonHttpPayloadTraitsWithNoBlobBody"):
        "botocore reads an empty body as an empty blob where the case expects no member "
        "(in botocore's own ignore list)",
    ("rest-json", "output", "RestJsonHttpPayloadWithUnsetUnion"):
        "an unset union payload is an empty body, which botocore's parser rejects as a union "
        "without a member (in botocore's own ignore list)",
    ("rest-json", "output", "HttpPrefixHeadersResponse"):
        "an empty prefix collects every response header, so the x-amzn-RequestId header "
        "every response carries lands in the map too",
    ("rest-json", "input", "MediaTypeHeaderInputBase64"):
        "the header carries base64 of the JSON text 'true' while the param is that text; "
        "botocore serializes jsonvalue params with json.dumps, so a server decodes the JSON "
        "value (in botocore's own ignore list)",
    ("rest-json", "input", "RestJsonQueryPrecedence"):
        "the client drops the map's 'bar=fromMap' because a named parameter wins; the dropped "
        "value is not on the wire for a server to recover",
    ("rest-json", "input", "RestJsonNullAndEmptyHeaders"):
        "the client sends no header for a null member and an empty one for '' and []; "
        "'X-C: ' cannot say whether the list was [] or ['']",
    ("rest-json", "output", "RestJsonInputAndOutputWithQuotedStringHeaders"):
        "a list item holding a comma is sent quoted (RFC 9110); botocore's parser splits "
        "header lists on every comma and cannot read it back",
    ("rest-json", "output", "RestJsonInputAndOutputWithTimestampHeaders"):
        "an HTTP-date list has commas inside each date; botocore's parser splits header "
        "lists on every comma and cannot read it back",
}


# Cases that older botocore releases cannot parse back although the encoding
# is the one newer botocore reads (it predates parsing numeric and boolean
# headers, jsonName in unions, and ignoring a response's query). Debian 12's
# python3-botocore is 1.29.27; these cases pass with 1.43.11, the oldest
# release they were checked against.
NEWER_PARSER_CASES = {
    ("rest-json", "output", "RestJsonInputAndOutputWithNumericHeaders"),
    ("rest-json", "output", "RestJsonInputAndOutputWithBooleanHeaders"),
    ("rest-json", "output", "PostUnionWithJsonNameResponse1"),
    ("rest-json", "output", "PostUnionWithJsonNameResponse2"),
    ("rest-xml", "output", "IgnoreQueryParamsInResponse"),
}
NEWER_PARSER_VERSION = (1, 43, 11)


def botocore_version():
    import botocore
    return tuple(int(p) for p in botocore.__version__.split(".")[:3])


def old_parser_reason(fname, direction, case):
    if (fname, direction, case["id"]) in NEWER_PARSER_CASES and \
            botocore_version() < NEWER_PARSER_VERSION:
        import botocore
        return (f"botocore {botocore.__version__} cannot parse this case back; it passes with "
                "botocore 1.43.11 (see NEWER_PARSER_CASES)")
    return None


def skip_reason(fname, direction, suite, case):
    if suite.get("description") in SUITE_SKIPS:
        return SUITE_SKIPS[suite["description"]]
    return CASE_SKIPS.get((fname, direction, case["id"]))


def load_file(direction, fname):
    with open(os.path.join(VECTORS, direction, fname + ".json"), encoding="utf-8") as f:
        return json.load(f)


def case_model(suite, case):
    """The service description botocore's own test runner builds per case."""
    model = {"metadata": suite["metadata"], "shapes": suite["shapes"],
             "operations": {case["given"]["name"]: case["given"]}}
    return copy.deepcopy(model)


def to_ms(value):
    if isinstance(value, (int, float)):
        return round(value * 1000)
    dt = parse_timestamp(value).astimezone(tzutc())
    return calendar.timegm(dt.timetuple()) * 1000 + dt.microsecond // 1000


def to_ours(shape, value):
    """A botocore-style value -> model.h conventions (bytes for blobs)."""
    if value is None or shape is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            return value
        return {k: to_ours(shape.members.get(k), v) for k, v in value.items() if v is not None}
    if kind == "list":
        return [to_ours(shape.member, v) for v in value if v is not None]
    if kind == "map":
        return {k: to_ours(shape.value, v) for k, v in value.items() if v is not None}
    if kind == "timestamp":
        return to_ms(value)
    if kind == "blob":
        return value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if kind in ("float", "double") and isinstance(value, (int, float)):
        return float(value)
    return value


def to_wire(value):
    """Our values -> the tool's JSON (bytes as blob markers)."""
    if isinstance(value, bytes):
        return {BLOB: base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    return value


def from_wire(value):
    if isinstance(value, dict):
        if len(value) == 1 and BLOB in value:
            return base64.b64decode(value[BLOB])
        return {k: from_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_wire(v) for v in value]
    return value


def bytes_to_str(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, dict):
        return {k: bytes_to_str(v) for k, v in value.items()}
    if isinstance(value, list):
        return [bytes_to_str(v) for v in value]
    return value


def compliance_timestamp(value):
    """Epoch seconds, with the fraction when there is one."""
    dt = parse_timestamp(value).astimezone(tzutc())
    secs = calendar.timegm(dt.timetuple())
    return float(f"{secs}.{dt.microsecond:06d}") if dt.microsecond else secs


def float_keywords(value):
    """NaN and the infinities as the strings the vectors use (nan != nan)."""
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, dict):
        return {k: float_keywords(v) for k, v in value.items()}
    if isinstance(value, list):
        return [float_keywords(v) for v in value]
    return value


def run_tool(jobs):
    if not os.path.exists(TOOL):
        raise AssertionError(f"{TOOL} is missing: build the tree first (SLIPWAY_BUILD_DIR)")
    proc = subprocess.run([TOOL], input=json.dumps(jobs).encode("utf-8"),
                          capture_output=True, timeout=300)
    if proc.returncode != 0:
        raise AssertionError(f"protocol_vectors exited {proc.returncode}: "
                             f"{proc.stderr.decode('utf-8', 'replace')[-3000:]}")
    results = json.loads(proc.stdout)
    if len(results) != len(jobs):
        raise AssertionError(f"protocol_vectors gave {len(results)} results for {len(jobs)} jobs")
    return results


def input_job(suite, case):
    ser = case["serialized"]
    headers = [[k, v] for k, v in ser.get("headers", {}).items()]
    body = ser.get("body", "").encode("utf-8")
    return {"model": case_model(suite, case),
            "decode": {"method": ser["method"], "uri": ser["uri"], "headers": headers,
                       "body_b64": base64.b64encode(body).decode("ascii")}}


def error_shape_name(service, case):
    for ref in case["given"].get("errors", []):
        shape = service.shape_for(ref["shape"])
        code = shape.metadata.get("error", {}).get("code", shape.name)
        if case.get("errorCode") in (code, shape.name):
            return shape.name
    return None


def output_job(suite, case):
    model = case_model(suite, case)
    service = ServiceModel(copy.deepcopy(model))
    op = service.operation_model(case["given"]["name"])
    job = {"model": model, "operation": op.name}
    if "error" in case:
        shape_name = error_shape_name(service, case)
        shape = service.shape_for(shape_name) if shape_name else None
        job["encode_error"] = {
            "code": case["errorCode"],
            "message": case.get("errorMessage"),
            "status": case["response"]["status_code"],
            "sender": case["response"]["status_code"] < 500,
            "shape": shape_name,
            "fields": to_wire(to_ours(shape, case["error"])),
        }
    else:
        job["encode"] = to_wire(to_ours(op.output_shape, case.get("result", {})))
    return job


def parse_back(suite, case, result):
    """botocore's parser reading what slipway wrote, as botocore's own
    protocol test runner reads a recorded response."""
    model = case_model(suite, case)
    service = ServiceModel(model)
    op = OperationModel(case["given"], service, case["given"]["name"])
    factory = ResponseParserFactory()
    factory.set_parser_defaults(timestamp_parser=compliance_timestamp)
    parser = factory.create_parser(service.metadata["protocol"])
    headers = {}
    for name, value in result["headers"]:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    response = {"status_code": result["status"], "headers": HeadersDict(headers),
                "body": base64.b64decode(result["body_b64"]),
                "context": {"operation_name": op.name}}
    parsed = parser.parse(response, op.output_shape)
    if "error" in case:
        # As botocore's client does (_add_modeled_error_fields): by the wire
        # code, which is the shape's error.code when it has one.
        error_shape = service.shape_for_error_code(parsed["Error"]["Code"])
        if error_shape is not None:
            parsed.update(parser.parse(response, error_shape))
    parsed.pop("ResponseMetadata", None)
    if "Error" in parsed:
        parsed["Error"] = {k: v for k, v in parsed["Error"].items() if k in ("Code", "Message")}
        # An error without a message reads as '', as the CLI shows it.
        if parsed["Error"].get("Message") is None:
            parsed["Error"]["Message"] = ""
    return float_keywords(bytes_to_str(parsed))


class VectorFile:
    """Mixed into one TestCase per (direction, file)."""

    direction = None
    fname = None

    def cases(self):
        for suite in load_file(self.direction, self.fname):
            for case in suite["cases"]:
                yield suite, case

    def test_vectors(self):
        todo = []
        for suite, case in self.cases():
            reason = skip_reason(self.fname, self.direction, suite, case) or \
                old_parser_reason(self.fname, self.direction, case)
            todo.append((suite, case, reason))
        runnable = [(s, c) for s, c, r in todo if not r]
        make = input_job if self.direction == "input" else output_job
        jobs = []
        for suite, case in runnable:
            try:
                jobs.append(make(suite, case))
            except Exception as e:  # a model botocore itself cannot load
                jobs.append({"prepare_error": repr(e)})
        results = iter(run_tool(jobs))
        for suite, case, reason in todo:
            with self.subTest(case=case["id"]):
                if reason:
                    self.skipTest(reason)
                result = next(results)
                if self.direction == "input":
                    self.check_input(suite, case, result)
                else:
                    self.check_output(suite, case, result)

    def check_input(self, suite, case, result):
        self.assertNotIn("error", result, f"{case['id']}: {result.get('error')}")
        self.assertEqual(result["operation"], case["given"]["name"])
        service = ServiceModel(case_model(suite, case))
        op = service.operation_model(case["given"]["name"])
        expected = to_ours(op.input_shape, case["params"]) if op.input_shape else {}
        self.assertEqual(from_wire(result["params"]), expected)

    def check_output(self, suite, case, result):
        self.assertNotIn("error", result, f"{case['id']}: {result.get('error')}")
        self.assertEqual(result["status"], case["response"]["status_code"], "status code")
        parsed = parse_back(suite, case, result)
        if "error" in case:
            expected = {"Error": {"Code": case.get("errorCode", ""),
                                  "Message": case.get("errorMessage", "")}}
            expected.update(case["error"])
        else:
            expected = case.get("result", {})
        self.assertEqual(parsed, expected)


def _define_tests():
    for direction in ("input", "output"):
        for fname in FILES:
            name = "Test_" + direction + "_" + fname.replace("-", "_")
            cls = type(name, (VectorFile, unittest.TestCase),
                       {"direction": direction, "fname": fname})
            globals()[name] = cls


_define_tests()


class TestSkipsDocumented(unittest.TestCase):
    def test_skips_are_documented(self):
        """docs/protocol-vectors.md lists exactly the cases skipped here."""
        with open(os.path.join(SOURCE_DIR, "docs", "protocol-vectors.md"), encoding="utf-8") as f:
            documented = {line.strip() for line in f
                          if any(line.startswith(f"| {fname} | ") for fname in FILES)}
        skipped = {row.strip() for row in skips_markdown().splitlines()[2:]}
        self.assertEqual(documented, skipped,
                         "run 'python3 tests/protocol/test_vectors.py --skips' and update the "
                         "table in docs/protocol-vectors.md")


def skips_markdown():
    lines = ["| file | direction | case | reason |", "|---|---|---|---|"]
    for direction in ("input", "output"):
        for fname in FILES:
            for suite in load_file(direction, fname):
                for case in suite["cases"]:
                    reason = skip_reason(fname, direction, suite, case)
                    if reason:
                        reason = reason.replace("|", "\\|")
                        lines.append(f"| {fname} | {direction} | {case['id']} | {reason} |")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] == ["--skips"]:
        print(skips_markdown())
    else:
        unittest.main()
