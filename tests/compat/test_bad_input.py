"""Bad input of every kind gets an AWS-shaped error, stores nothing, and the
server keeps serving. Requests are signed with botocore's own SigV4 signer
so that they reach the decoders."""
import http.client
import json
import socket
import unittest

import botocore.auth
import botocore.credentials
from botocore.awsrequest import AWSRequest

from slipway_server import SlipwayServer


class TestBadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = SlipwayServer("--max-body", "65536").start()
        cls.creds = botocore.credentials.Credentials(cls.srv.access_key, cls.srv.secret_key)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()

    def send(self, service, body, headers=None, method="POST", path="/"):
        """Signs and sends a raw request; returns (status, headers, body bytes)."""
        url = self.srv.endpoint + path
        req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
        botocore.auth.SigV4Auth(self.creds, service, "us-east-1").add_auth(req)
        prepared = req.prepare()
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
        conn.request(method, path, body=prepared.body, headers=dict(prepared.headers))
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, dict(resp.getheaders()), data

    def json_call(self, target, body, prefix="Logs_20140328", service="logs"):
        return self.send(service, body, {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"{prefix}.{target}"})

    def query_call(self, body, service="iam"):
        return self.send(service, body, {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})

    def assert_json_error(self, resp, status, code):
        st, headers, data = resp
        self.assertEqual(st, status, data)
        doc = json.loads(data)
        self.assertIn(code, doc.get("__type", ""), data)
        self.assertTrue(doc.get("message") or doc.get("Message"), data)

    def assert_query_error(self, resp, status, code):
        st, _, data = resp
        self.assertEqual(st, status, data)
        self.assertIn(f"<Code>{code}</Code>".encode(), data)
        self.assertIn(b"<Message>", data)

    def assert_serving(self):
        self.assertEqual(self.srv.client("sts").get_caller_identity()["Account"], "000000000000")

    def user_exists(self, name):
        users = self.srv.client("iam").list_users(MaxItems=1000)["Users"]
        return any(u["UserName"] == name for u in users)

    def test_malformed_json(self):
        self.assert_json_error(self.json_call("CreateLogGroup", b'{"logGroupName": '),
                               400, "SerializationException")
        self.assert_serving()

    def test_wrong_member_type(self):
        resp = self.json_call("CreateLogGroup", b'{"logGroupName": 42}')
        self.assert_json_error(resp, 400, "SerializationException")
        self.assertIn(b"logGroupName", resp[2])
        self.assert_serving()

    def test_missing_required_member(self):
        resp = self.json_call("CreateLogGroup", b'{}')
        # CloudWatch Logs names failed constraints InvalidParameterException.
        self.assert_json_error(resp, 400, "InvalidParameterException")
        self.assertIn(b"logGroupName", resp[2])
        self.assert_serving()

    def test_invalid_utf8_json(self):
        self.assert_json_error(self.json_call("CreateLogGroup", b'{"logGroupName": "a\xff"}'),
                               400, "SerializationException")
        self.assert_serving()

    def test_unknown_target(self):
        resp = self.json_call("NoSuchOperation", b"{}")
        self.assert_json_error(resp, 400, "UnknownOperationException")
        self.assert_serving()

    def test_json_protocol_needs_post(self):
        st, _, data = self.send("logs", b"", {
            "X-Amz-Target": "Logs_20140328.DescribeLogGroups"}, method="GET")
        self.assertEqual(st, 400, data)
        self.assertIn(b"POST", data)

    def test_unknown_action_query(self):
        self.assert_query_error(self.query_call(b"Action=NoSuchThing&Version=2010-05-08"),
                                400, "InvalidAction")
        self.assert_serving()

    def test_malformed_form(self):
        resp = self.query_call(b"Action=CreateUser&Version=2010-05-08&UserName=%zz")
        self.assertEqual(resp[0], 400, resp[2])
        self.assertIn(b"<Code>", resp[2])
        self.assertFalse(self.user_exists("zz"))
        self.assert_serving()

    def test_query_validation_error_stores_nothing(self):
        resp = self.query_call(b"Action=CreateUser&Version=2010-05-08&UserName=bad%20name")
        self.assert_query_error(resp, 400, "ValidationError")
        self.assertFalse(self.user_exists("bad name"))
        self.assert_serving()

    def test_query_wrong_type(self):
        resp = self.query_call(b"Action=ListUsers&Version=2010-05-08&MaxItems=lots")
        self.assertEqual(resp[0], 400, resp[2])
        self.assertIn(b"MaxItems", resp[2])
        self.assert_serving()

    def test_invalid_utf8_form(self):
        resp = self.query_call(b"Action=CreateUser&Version=2010-05-08&UserName=%ff%fe")
        self.assertEqual(resp[0], 400, resp[2])
        self.assert_serving()

    def test_oversized_body(self):
        big = b'{"logGroupName": "' + b"a" * 70000 + b'"}'
        st, _, data = self.json_call("CreateLogGroup", big)
        self.assertEqual(st, 413, data)
        self.assert_serving()

    def test_oversized_headers(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
        try:
            conn.request("POST", "/", body=b"{}", headers={"X-Filler": "f" * 100000})
            resp = conn.getresponse()
            resp.read()
            self.assertIn(resp.status, (413, 431))
        except (ConnectionResetError, BrokenPipeError):
            # The server answered and closed while the client was still
            # sending its 100 KB of headers: the refusal reached the kernel
            # first. Either way the request is refused.
            pass
        finally:
            conn.close()
        self.assert_serving()

    def test_crlf_in_header_value(self):
        # A bare CR inside a header value is not valid HTTP: rejected, not parsed
        # as two headers.
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Logs_20140328.CreateLogGroup\r"
                  b"X-Injected: 1\r\nContent-Length: 2\r\n\r\n{}")
        data = s.recv(65536)
        s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 4"), data[:100])
        self.assert_serving()

    def raw(self, data):
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out and len(out) > out.index(b"\r\n\r\n") + 4:
                break
        s.close()
        return out

    def test_invalid_utf8_in_authorization(self):
        for cred in (b"\xff", "a\u00e9".encode() * 400):
            resp = self.raw(b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 "
                            b"Credential=" + cred + b", SignedHeaders=host, Signature=00\r\n"
                            b"X-Amz-Date: 20200101T000000Z\r\nConnection: close\r\n\r\n")
            self.assertTrue(resp.startswith(b"HTTP/1.1 4"), resp[:200])
            body = resp.split(b"\r\n\r\n", 1)[1]
            json.loads(body.decode("utf-8"))
        self.assert_serving()

    def test_presigned_url_cannot_be_redirected_by_target(self):
        # A presigned GetCallerIdentity URL, the kind handed out as proof of
        # identity, must not reach another service's operation.
        from botocore.auth import SigV4QueryAuth
        req = AWSRequest(method="POST",
                         url=self.srv.endpoint + "/?Action=GetCallerIdentity&Version=2011-06-15")
        SigV4QueryAuth(self.creds, "sts", "us-east-1", expires=300).add_auth(req)
        path = req.url[len(self.srv.endpoint):]
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
        conn.request("POST", path, body=b"{}", headers={
            "X-Amz-Target": "Logs_20140328.DescribeLogGroups",
            "Content-Type": "application/x-amz-json-1.1"})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        self.assertEqual(resp.status, 403, data)
        self.assertIn(b"scoped to correct service", data)
        # The same URL as issued still works.
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
        conn.request("POST", path)
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200, resp.read())
        conn.close()

    def test_unsigned_target_refused(self):
        # Signed for logs, but with X-Amz-Target left out of SignedHeaders.
        req = AWSRequest(method="POST", url=self.srv.endpoint + "/", data=b"{}",
                         headers={"Content-Type": "application/x-amz-json-1.1"})
        botocore.auth.SigV4Auth(self.creds, "logs", "us-east-1").add_auth(req)
        headers = dict(req.prepare().headers)
        headers["X-Amz-Target"] = "Logs_20140328.DescribeLogGroups"
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
        conn.request("POST", "/", body=b"{}", headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        self.assertEqual(resp.status, 400, data)
        self.assertIn(b"X-Amz-Target header must be signed", data)

    def test_unsigned_payload_refused_outside_s3(self):
        st, _, data = self.send("logs", b"{}", {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "Logs_20140328.DescribeLogGroups",
            "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
        self.assertEqual(st, 400, data)
        self.assertIn(b"SHA-256 of the request body", data)

    def test_declared_oversized_body_refused_before_reading(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n")
        data = s.recv(65536)
        s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 413"), data[:200])
        self.assert_serving()

    def test_everything_then_valid_call(self):
        for body in (b"\x00\x01\x02", b"[]", b'{"a":' * 200, b"null", b'"x"'):
            st, _, _ = self.json_call("CreateLogGroup", body)
            self.assertEqual(st, 400)
        for body in (b"Action=", b"&&&&", b"Action=CreateUser&UserName", b"%"):
            st, _, _ = self.query_call(body)
            self.assertIn(st, (400, 403))
        self.assert_serving()
        iam = self.srv.client("iam")
        iam.create_user(UserName="after-bad-input")
        self.assertTrue(self.user_exists("after-bad-input"))


if __name__ == "__main__":
    unittest.main()
