"""How S3 bodies and signatures travel: aws-chunked uploads (signed chunks,
signed and unsigned trailers) built by hand and sent with http.client, what
boto3 itself sends for flexible checksums (over HTTP and over TLS, where it
switches to aws-chunked with trailers), plain-body checks (payload hash,
Content-Length, Content-MD5, a refused request answered before its body),
Signature Version 2 (header and presigned), presigned URLs, virtual-hosted
addressing and --s3-domain, and reads (Range, HEAD, empty objects).

The chunk and trailer signatures are computed here by hand, per AWS's
"Transferring Payload in Multiple Chunks" and "Signature calculations for
trailing headers" pages; TestSigner checks that code against the examples
those pages publish, so a failure elsewhere is the server's, not the
signer's."""
import base64
import contextlib
import datetime
import hashlib
import hmac
import http.client
import io
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import unittest.mock
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
import zlib

import boto3
import botocore
import botocore.auth
import botocore.exceptions
from botocore.config import Config

from slipway_server import ServerTestCase, SlipwayServer, slipway_binary

REGION = "us-east-1"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you "
                      "provided.")
BOTOCORE_VERSION = tuple(int(x) for x in re.findall(r"\d+", botocore.__version__)[:3])


# --- checksums ---------------------------------------------------------------------------

def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def b64(raw):
    return base64.b64encode(raw).decode()


def checksum_b64(algorithm, data):
    """The base64 value S3 reports as Checksum<ALGORITHM> for `data`."""
    if algorithm == "CRC32":
        return b64(zlib.crc32(data).to_bytes(4, "big"))
    if algorithm == "CRC32C":
        return b64(crc32c(data).to_bytes(4, "big"))
    if algorithm == "SHA256":
        return b64(hashlib.sha256(data).digest())
    if algorithm == "SHA1":
        return b64(hashlib.sha1(data).digest())
    raise ValueError(algorithm)


def md5_b64(data):
    return b64(hashlib.md5(data).digest())


def etag(data):
    return '"' + hashlib.md5(data).hexdigest() + '"'


# --- SigV4 and aws-chunked by hand ------------------------------------------------------

def _hmac(key, msg):
    return hmac.new(key, msg.encode() if isinstance(msg, str) else msg, hashlib.sha256).digest()


def signing_key(secret, date, region=REGION, service="s3"):
    k = _hmac(("AWS4" + secret).encode(), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def sigv4_headers(access_key, secret, method, path, headers, payload_hash, query="",
                  amz_date=None, region=REGION):
    """Signs a request whose headers are all signed. `path` is sent as
    given (already URI-encoded); `query` is already canonical. Returns
    (headers with Authorization, signing key, scope, seed signature)."""
    amz_date = amz_date or datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y%m%dT%H%M%SZ")
    h = {k.lower(): str(v) for k, v in headers.items()}
    h["x-amz-date"] = amz_date
    h["x-amz-content-sha256"] = payload_hash
    names = sorted(h)
    creq = "\n".join([method, path, query] + [f"{n}:{h[n].strip()}" for n in names] +
                     ["", ";".join(names), payload_hash])
    scope = f"{amz_date[:8]}/{region}/s3/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    key = signing_key(secret, amz_date[:8], region)
    signature = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                          f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return h, key, scope, signature


def chunk_signature(key, amz_date, scope, previous, data):
    sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, EMPTY_SHA256,
                     hashlib.sha256(data).hexdigest()])
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


def trailer_signature(key, amz_date, scope, previous, trailers):
    canonical = "".join(f"{name}:{value}\n" for name, value in sorted(trailers))
    sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous,
                     hashlib.sha256(canonical.encode()).hexdigest()])
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


def aws_chunked(chunks, signer=None, trailers=None, tamper=None, bad_trailer_signature=False):
    """An aws-chunked body: each chunk of `chunks`, then the final empty one,
    then the trailers (list of (name, value)) and the closing empty line.

    signer: (key, amz_date, scope, seed signature) to sign chunks (and the
    trailers); None for unsigned chunks. tamper: (chunk index, byte index):
    that byte is changed after its chunk was signed."""
    out = bytearray()
    previous = signer[3] if signer else None
    for i, data in enumerate(list(chunks) + [b""]):
        if signer:
            previous = chunk_signature(signer[0], signer[1], signer[2], previous, data)
            out += f"{len(data):x};chunk-signature={previous}\r\n".encode()
        else:
            out += f"{len(data):x}\r\n".encode()
        if tamper and tamper[0] == i:
            data = bytearray(data)
            data[tamper[1]] ^= 0x01
        if data:
            out += bytes(data) + b"\r\n"
    for name, value in trailers or ():
        out += f"{name}:{value}\r\n".encode()
    if trailers and signer:
        sig = trailer_signature(signer[0], signer[1], signer[2], previous, trailers)
        if bad_trailer_signature:
            sig = sig[:-1] + ("0" if sig[-1] != "0" else "1")
        out += f"x-amz-trailer-signature:{sig}\r\n".encode()
    out += b"\r\n"
    return bytes(out)


def split(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)]


def s3_error(body):
    """(Code, Message) of an S3 XML error body."""
    root = ET.fromstring(body)
    return root.findtext("Code"), root.findtext("Message")


def send_raw(port, method, path, headers, body=b"", pieces=None, timeout=30):
    """Sends one request with http.client (in `pieces` when given); returns
    (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        for piece in pieces or ([body] if body else []):
            conn.send(piece)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@contextlib.contextmanager
def resolve_to_loopback(*suffixes):
    """Makes host names ending in one of `suffixes` resolve to 127.0.0.1 in
    this process (virtual-hosted buckets are sub-domains)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, bytes):
            host = host.decode()
        if isinstance(host, str) and any(host == s or host.endswith("." + s) for s in suffixes):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    with unittest.mock.patch.object(socket, "getaddrinfo", getaddrinfo):
        yield


def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1; (cert, key) paths."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


class TlsSlipwayServer(SlipwayServer):
    """A SlipwayServer serving HTTPS with a self-signed certificate."""

    def __init__(self, cert, key, *extra_args, **kwargs):
        super().__init__("--tls-cert", cert, "--tls-key", key, *extra_args, **kwargs)
        self.cafile = cert

    @property
    def endpoint(self):
        return f"https://127.0.0.1:{self.port}"

    def start(self, timeout=20):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [slipway_binary(), "server", "--listen", f"127.0.0.1:{self.port}",
             "--data", self.data_dir, *self.extra_args],
            stdout=self.log, stderr=self.log)
        ctx = ssl.create_default_context(cafile=self.cafile)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"slipway exited with {self.proc.returncode}: "
                                   f"{self.read_log()}")
            try:
                with urllib.request.urlopen(self.endpoint + "/_slipway/health", timeout=1,
                                            context=ctx) as r:
                    if r.status == 200:
                        self._load_credentials()
                        return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("slipway did not become ready: " + self.read_log())

    def client(self, service, **kwargs):
        return boto3.session.Session().client(
            service, endpoint_url=self.endpoint, region_name=REGION, verify=self.cafile,
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
            config=Config(retries={"max_attempts": 1}), **kwargs)


class HeaderRecorder:
    """Remembers the headers of each request a client sends for an operation."""

    def __init__(self, client, operation):
        self.sent = []
        client.meta.events.register(f"before-send.s3.{operation}", self._record)

    def _record(self, request, **kwargs):
        self.sent.append({k.lower(): (v.decode() if isinstance(v, bytes) else v)
                          for k, v in request.headers.items()})

    @property
    def last(self):
        return self.sent[-1]


def pipe_reader(data):
    """An io.BufferedReader over a pipe a thread fills with `data`: a body
    that can be neither sized nor rewound."""
    r, w = os.pipe()

    def fill():
        try:
            with open(w, "wb", closefd=True) as f:
                f.write(data)
        except BrokenPipeError:
            pass

    threading.Thread(target=fill, daemon=True).start()
    return io.BufferedReader(io.FileIO(r, "rb"))


class ReadOnlyBody:
    """A file-like body with read() and nothing else (no seek, tell, len)."""

    def __init__(self, data):
        self._f = io.BytesIO(data)

    def read(self, n=-1):
        return self._f.read(n)


def have_crt_checksums():
    try:
        from botocore.compat import HAS_CRT
    except ImportError:
        return False
    return bool(HAS_CRT)


# --- the signer itself ---------------------------------------------------------------------

class TestSigner(unittest.TestCase):
    """The hand-made signer reproduces AWS's published examples, so that the
    tests below exercise the server rather than this file."""

    SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    DATE = "20130524T000000Z"
    SCOPE = "20130524/us-east-1/s3/aws4_request"

    def test_seed_and_chunk_signatures(self):
        headers, key, scope, seed = sigv4_headers(
            "AKIAIOSFODNN7EXAMPLE", self.SECRET, "PUT", "/examplebucket/chunkObject.txt",
            {"host": "s3.amazonaws.com", "content-encoding": "aws-chunked",
             "content-length": "66824", "x-amz-decoded-content-length": "66560",
             "x-amz-storage-class": "REDUCED_REDUNDANCY"},
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", amz_date=self.DATE)
        self.assertEqual(scope, self.SCOPE)
        self.assertEqual(seed, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
        body = aws_chunked([b"a" * 65536, b"a" * 1024], (key, self.DATE, scope, seed))
        self.assertEqual(len(body), 66824)
        for sig in ("ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
                    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
                    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"):
            self.assertIn(f";chunk-signature={sig}\r\n".encode(), body)
        self.assertTrue(body.endswith(b"0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71"
                                      b"ea724fed81ceb9323e279d449df9\r\n\r\n"))

    def test_trailer_signature(self):
        key = signing_key(self.SECRET, "20130524")
        seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
        body = aws_chunked([b"a" * 65536, b"a" * 1024], (key, self.DATE, self.SCOPE, seed),
                           trailers=[("x-amz-checksum-crc32c", "sOO8/Q==")])
        self.assertIn(b"0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f8"
                      b"5863f992\r\n", body)
        self.assertTrue(body.endswith(
            b"x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:"
            b"d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n"))
        self.assertEqual(checksum_b64("CRC32C", b"a" * 66560), "sOO8/Q==")


# --- the server ----------------------------------------------------------------------------

class S3TransportCase(ServerTestCase):
    BUCKET = "transport"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.s3 = cls.srv.client("s3")
        cls.s3.create_bucket(Bucket=cls.BUCKET)

    def path(self, key):
        return f"/{self.BUCKET}/{urllib.parse.quote(key, safe='/~')}"

    def signed_put(self, key, headers, payload_hash, secret=None, query=""):
        headers = dict(headers)
        headers["host"] = f"127.0.0.1:{self.srv.port}"
        return sigv4_headers(self.srv.access_key, secret or self.srv.secret_key, "PUT",
                             self.path(key), headers, payload_hash, query=query)

    def chunked_put(self, key, chunks, mode="STREAMING-AWS4-HMAC-SHA256-PAYLOAD", trailers=None,
                    trailer_names=None, decoded_length=None, tamper=None, cut=None,
                    bad_trailer_signature=False, pieces=None, extra_headers=None, query=""):
        """PUTs `chunks` as an aws-chunked body; returns (status, headers, body).
        cut: drop that many bytes from the end of the encoded body (and from
        Content-Length)."""
        data_len = sum(len(c) for c in chunks)
        signed = mode.startswith("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        # The encoded length does not depend on the signatures: encode once
        # with a dummy signer to learn it, then sign the real headers.
        dummy = (b"k" * 32, "20000101T000000Z", "x", "0" * 64) if signed else None
        encoded_len = len(aws_chunked(chunks, dummy, trailers)) - (cut or 0)
        headers = {
            "content-encoding": "aws-chunked",
            "content-length": str(encoded_len),
            "x-amz-decoded-content-length": str(data_len if decoded_length is None
                                                else decoded_length),
        }
        if trailer_names:
            headers["x-amz-trailer"] = trailer_names
        headers.update(extra_headers or {})
        h, sk, scope, seed = self.signed_put(key, headers, mode, query=query)
        body = aws_chunked(chunks, (sk, h["x-amz-date"], scope, seed) if signed else None,
                           trailers, tamper=tamper, bad_trailer_signature=bad_trailer_signature)
        if cut:
            body = body[:-cut]
        self.assertEqual(len(body), encoded_len)
        target = self.path(key) + ("?" + query if query else "")
        if pieces:
            step = max(1, len(body) // pieces)
            return send_raw(self.srv.port, "PUT", target, h,
                            pieces=[body[i:i + step] for i in range(0, len(body), step)])
        return send_raw(self.srv.port, "PUT", target, h, body)

    def assertS3Error(self, resp, status, code, message=None):
        st, _, body = resp
        self.assertEqual(st, status, body)
        got_code, got_message = s3_error(body)
        self.assertEqual(got_code, code, body)
        if message is not None:
            self.assertEqual(got_message, message, body)

    def assertOk(self, resp, data):
        st, headers, body = resp
        self.assertEqual(st, 200, body)
        self.assertEqual(headers.get("etag"), etag(data), headers)

    def body_of(self, key, **kwargs):
        return self.s3.get_object(Bucket=self.BUCKET, Key=key, **kwargs)["Body"].read()

    def assertNoSuchKey(self, key):
        self.assertClientError(self.s3.get_object, "NoSuchKey", "The specified key does not exist.",
                               404, Bucket=self.BUCKET, Key=key)


class TestSignedChunks(S3TransportCase):
    def test_round_trip(self):
        data = os.urandom(200_000)
        resp = self.chunked_put("signed/round-trip", split(data, 65536))
        self.assertOk(resp, data)
        self.assertEqual(self.body_of("signed/round-trip"), data)
        head = self.s3.head_object(Bucket=self.BUCKET, Key="signed/round-trip")
        self.assertEqual(head["ContentLength"], len(data))

    def test_aws_chunked_is_not_the_objects_encoding(self):
        # aws-chunked is a transfer detail: S3 does not keep it as the
        # object's Content-Encoding, and keeps any real encoding listed with it.
        data = os.urandom(1000)
        self.assertOk(self.chunked_put("signed/encoding-plain", [data]), data)
        head = self.s3.head_object(Bucket=self.BUCKET, Key="signed/encoding-plain")
        self.assertNotIn("ContentEncoding", head)
        for listed in ("aws-chunked,gzip", "gzip,aws-chunked"):
            with self.subTest(content_encoding=listed):
                key = f"signed/encoding-{listed}"
                self.assertOk(self.chunked_put(key, [data],
                                               extra_headers={"content-encoding": listed}), data)
                head = self.s3.head_object(Bucket=self.BUCKET, Key=key)
                self.assertEqual(head.get("ContentEncoding"), "gzip", head)

    def test_body_arriving_in_small_pieces(self):
        data = os.urandom(70_000)
        resp = self.chunked_put("signed/pieces", [data[:9000], data[9000:]], pieces=97)
        self.assertOk(resp, data)
        self.assertEqual(self.body_of("signed/pieces"), data)

    def test_empty_object(self):
        self.assertOk(self.chunked_put("signed/empty", []), b"")
        self.assertEqual(self.body_of("signed/empty"), b"")

    def test_tampered_chunk_keeps_the_old_version(self):
        key = "signed/tampered"
        self.s3.put_object(Bucket=self.BUCKET, Key=key, Body=b"version one")
        data = os.urandom(150_000)
        resp = self.chunked_put(key, split(data, 65536), tamper=(1, 100))
        self.assertS3Error(resp, 403, "SignatureDoesNotMatch")
        self.assertEqual(self.body_of(key), b"version one")

    def test_tampered_chunk_creates_nothing(self):
        key = "signed/tampered-new"
        resp = self.chunked_put(key, split(os.urandom(100_000), 65536), tamper=(0, 0))
        self.assertS3Error(resp, 403, "SignatureDoesNotMatch")
        self.assertNoSuchKey(key)

    def test_tampered_final_chunk_signature(self):
        # The final empty chunk is signed too: a body whose data all verifies
        # but whose final signature is wrong is refused.
        key = "signed/bad-final"
        data = os.urandom(10_000)
        h, sk, scope, seed = self.signed_put(key, {
            "content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
            "content-length": str(len(aws_chunked([data], (b"k" * 32, "x", "x", "0" * 64))))},
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        body = aws_chunked([data], (sk, h["x-amz-date"], scope, seed))
        final = body.rindex(b"0;chunk-signature=") + len(b"0;chunk-signature=")
        body = body[:final] + (b"1" if body[final:final + 1] == b"0" else b"0") + body[final + 1:]
        self.assertS3Error(send_raw(self.srv.port, "PUT", self.path(key), h, body), 403,
                           "SignatureDoesNotMatch")
        self.assertNoSuchKey(key)

    def test_chunks_signed_with_another_key_are_refused(self):
        # Header signature right, chunk chain seeded from a different secret.
        key = "signed/foreign-chunks"
        data = os.urandom(5000)
        h, _, scope, seed = self.signed_put(key, {
            "content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
            "content-length": str(len(aws_chunked([data], (b"k" * 32, "x", "x", "0" * 64))))},
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        other = signing_key("W" * 40, h["x-amz-date"][:8])
        body = aws_chunked([data], (other, h["x-amz-date"], scope, seed))
        self.assertS3Error(send_raw(self.srv.port, "PUT", self.path(key), h, body), 403,
                           "SignatureDoesNotMatch")
        self.assertNoSuchKey(key)

    def test_truncated_body_is_incomplete(self):
        # x-amz-decoded-content-length promises more than the chunks carry.
        key = "signed/short"
        data = os.urandom(50_000)
        resp = self.chunked_put(key, [data], decoded_length=100_000)
        self.assertS3Error(resp, 400, "IncompleteBody")
        self.assertNoSuchKey(key)

    def test_body_ending_inside_a_chunk_is_incomplete(self):
        key = "signed/cut"
        self.s3.put_object(Bucket=self.BUCKET, Key=key, Body=b"kept")
        data = os.urandom(50_000)
        # Drop the final chunk, the CRLF and 1,000 bytes of data.
        final_len = len(b"0;chunk-signature=") + 64 + 4
        resp = self.chunked_put(key, [data], cut=final_len + 2 + 1000)
        self.assertS3Error(resp, 400, "IncompleteBody")
        self.assertEqual(self.body_of(key), b"kept")

    def test_upload_part(self):
        # UploadPart streams like PutObject: a signed part goes in, a
        # tampered one is refused and leaves the upload without it.
        key = "signed/multipart"
        upload_id = self.s3.create_multipart_upload(Bucket=self.BUCKET, Key=key)["UploadId"]

        def query(n):
            return (f"partNumber={n}&uploadId="
                    f"{urllib.parse.quote(upload_id, safe='-_.~')}")

        part1 = os.urandom(5 * 1024 * 1024)
        part2 = os.urandom(300_000)
        resp = self.chunked_put(key, split(part1, 1024 * 1024), query=query(1))
        self.assertOk(resp, part1)
        resp = self.chunked_put(key, split(part2, 65536), query=query(2), tamper=(2, 7))
        self.assertS3Error(resp, 403, "SignatureDoesNotMatch")
        parts = self.s3.list_parts(Bucket=self.BUCKET, Key=key, UploadId=upload_id)["Parts"]
        self.assertEqual([(p["PartNumber"], p["Size"], p["ETag"]) for p in parts],
                         [(1, len(part1), etag(part1))])
        resp = self.chunked_put(key, split(part2, 65536), query=query(2))
        self.assertOk(resp, part2)
        self.s3.complete_multipart_upload(
            Bucket=self.BUCKET, Key=key, UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag(part1)},
                                       {"PartNumber": 2, "ETag": etag(part2)}]})
        self.assertEqual(self.body_of(key), part1 + part2)

    def test_signed_trailer(self):
        key = "signed/trailer"
        data = os.urandom(100_000)
        crc = checksum_b64("CRC32", data)
        resp = self.chunked_put(key, split(data, 65536),
                                mode="STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                                trailers=[("x-amz-checksum-crc32", crc)],
                                trailer_names="x-amz-checksum-crc32")
        self.assertOk(resp, data)
        self.assertEqual(resp[1].get("x-amz-checksum-crc32"), crc, resp[1])
        out = self.s3.get_object(Bucket=self.BUCKET, Key=key, ChecksumMode="ENABLED")
        self.assertEqual(out["Body"].read(), data)
        self.assertEqual(out["ChecksumCRC32"], crc)

    def test_signed_trailer_with_wrong_trailer_signature(self):
        key = "signed/trailer-forged"
        data = os.urandom(20_000)
        resp = self.chunked_put(key, [data], mode="STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                                trailers=[("x-amz-checksum-crc32", checksum_b64("CRC32", data))],
                                trailer_names="x-amz-checksum-crc32",
                                bad_trailer_signature=True)
        self.assertS3Error(resp, 403, "SignatureDoesNotMatch")
        self.assertNoSuchKey(key)

    def test_signed_trailer_with_wrong_checksum(self):
        # Signed correctly, but the checksum it carries is not the body's.
        key = "signed/trailer-bad-crc"
        data = os.urandom(20_000)
        resp = self.chunked_put(key, [data], mode="STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                                trailers=[("x-amz-checksum-crc32", checksum_b64("CRC32", b"x"))],
                                trailer_names="x-amz-checksum-crc32")
        self.assertS3Error(resp, 400, "BadDigest")
        self.assertNoSuchKey(key)


class TestUnsignedTrailer(S3TransportCase):
    MODE = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

    def test_correct_trailer(self):
        key = "unsigned/ok"
        data = os.urandom(150_000)
        crc = checksum_b64("CRC32", data)
        resp = self.chunked_put(key, split(data, 65536), mode=self.MODE,
                                trailers=[("x-amz-checksum-crc32", crc)],
                                trailer_names="x-amz-checksum-crc32")
        self.assertOk(resp, data)
        out = self.s3.get_object(Bucket=self.BUCKET, Key=key, ChecksumMode="ENABLED")
        self.assertEqual(out["Body"].read(), data)
        self.assertEqual(out["ChecksumCRC32"], crc)
        head = self.s3.head_object(Bucket=self.BUCKET, Key=key, ChecksumMode="ENABLED")
        self.assertEqual(head["ChecksumCRC32"], crc)

    def test_crc32c_and_sha256_trailers(self):
        data = os.urandom(70_000)
        for alg in ("CRC32C", "SHA256"):
            with self.subTest(alg=alg):
                key = f"unsigned/{alg}"
                value = checksum_b64(alg, data)
                name = f"x-amz-checksum-{alg.lower()}"
                resp = self.chunked_put(key, split(data, 65536), mode=self.MODE,
                                        trailers=[(name, value)], trailer_names=name)
                self.assertOk(resp, data)
                out = self.s3.get_object(Bucket=self.BUCKET, Key=key, ChecksumMode="ENABLED")
                self.assertEqual(out["Body"].read(), data)
                self.assertEqual(out[f"Checksum{alg}"], value)

    def test_wrong_trailer_value(self):
        key = "unsigned/bad"
        self.s3.put_object(Bucket=self.BUCKET, Key=key + "-old", Body=b"old")
        data = os.urandom(50_000)
        resp = self.chunked_put(key, [data], mode=self.MODE,
                                trailers=[("x-amz-checksum-crc32", checksum_b64("CRC32", b"y"))],
                                trailer_names="x-amz-checksum-crc32")
        self.assertS3Error(resp, 400, "BadDigest")
        self.assertNoSuchKey(key)
        # Over an existing key the old bytes stay.
        resp = self.chunked_put(key + "-old", [data], mode=self.MODE,
                                trailers=[("x-amz-checksum-crc32", checksum_b64("CRC32", b"y"))],
                                trailer_names="x-amz-checksum-crc32")
        self.assertS3Error(resp, 400, "BadDigest")
        self.assertEqual(self.body_of(key + "-old"), b"old")

    def http_chunked_put(self, key, mode, data, trailers, trailer_names):
        """An aws-chunked body framed with Transfer-Encoding: chunked and no
        Content-Length, as botocore sends it (Transfer-Encoding unsigned)."""
        headers = {"content-encoding": "aws-chunked",
                   "x-amz-decoded-content-length": str(len(data)),
                   "x-amz-trailer": trailer_names}
        h, sk, scope, seed = self.signed_put(key, headers, mode)
        signer = (sk, h["x-amz-date"], scope, seed) if mode.startswith("STREAMING-AWS4") else None
        body = aws_chunked(split(data, 65536), signer, trailers)
        h["transfer-encoding"] = "chunked"
        framed = b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n"
                          for p in split(body, 50_000)) + b"0\r\n\r\n"
        return send_raw(self.srv.port, "PUT", self.path(key), h, framed)

    def test_transfer_encoding_chunked(self):
        # What botocore sends over HTTPS: no Content-Length, the length of
        # the object in x-amz-decoded-content-length.
        data = os.urandom(150_000)
        crc = checksum_b64("CRC32", data)
        for mode in (self.MODE, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"):
            with self.subTest(mode=mode):
                key = f"unsigned/te-chunked-{mode}"
                resp = self.http_chunked_put(key, mode, data, [("x-amz-checksum-crc32", crc)],
                                             "x-amz-checksum-crc32")
                self.assertOk(resp, data)
                out = self.s3.get_object(Bucket=self.BUCKET, Key=key, ChecksumMode="ENABLED")
                self.assertEqual(out["Body"].read(), data)
                self.assertEqual(out["ChecksumCRC32"], crc)

    def test_truncated(self):
        key = "unsigned/short"
        data = os.urandom(10_000)
        resp = self.chunked_put(key, [data], mode=self.MODE, decoded_length=20_000,
                                trailers=[("x-amz-checksum-crc32", checksum_b64("CRC32", data))],
                                trailer_names="x-amz-checksum-crc32")
        self.assertS3Error(resp, 400, "IncompleteBody")
        self.assertNoSuchKey(key)


class TestPlainBodies(S3TransportCase):
    def test_payload_hash_mismatch(self):
        key = "plain/sha-mismatch"
        self.s3.put_object(Bucket=self.BUCKET, Key=key, Body=b"before")
        body = b"the body actually sent"
        h, *_ = self.signed_put(key, {"content-length": str(len(body))},
                                hashlib.sha256(b"another body").hexdigest())
        self.assertS3Error(send_raw(self.srv.port, "PUT", self.path(key), h, body), 400,
                           "XAmzContentSHA256Mismatch")
        self.assertEqual(self.body_of(key), b"before")
        h, *_ = self.signed_put(key + "-new", {"content-length": str(len(body))},
                                hashlib.sha256(b"another body").hexdigest())
        self.assertS3Error(send_raw(self.srv.port, "PUT", self.path(key + "-new"), h, body), 400,
                           "XAmzContentSHA256Mismatch")
        self.assertNoSuchKey(key + "-new")

    def test_matching_payload_hash(self):
        key = "plain/sha-ok"
        body = os.urandom(3000)
        h, *_ = self.signed_put(key, {"content-length": str(len(body))},
                                hashlib.sha256(body).hexdigest())
        self.assertOk(send_raw(self.srv.port, "PUT", self.path(key), h, body), body)
        self.assertEqual(self.body_of(key), body)

    def test_transfer_encoding_chunked_without_length(self):
        key = "plain/no-length"
        h, *_ = self.signed_put(key, {}, "UNSIGNED-PAYLOAD")
        h["transfer-encoding"] = "chunked"  # unsigned, as botocore leaves it
        resp = send_raw(self.srv.port, "PUT", self.path(key), h,
                        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        self.assertS3Error(resp, 411, "MissingContentLength",
                           "You must provide the Content-Length HTTP header.")
        self.assertNoSuchKey(key)

    def test_refused_before_the_body(self):
        # A 2 GB PUT with a wrong signature is answered from its headers: the
        # client has sent none of the body when the 403 arrives.
        key = "plain/huge-forged"
        h, *_ = self.signed_put(key, {"content-length": str(2 * 1024 ** 3)}, "UNSIGNED-PAYLOAD",
                                secret="W" * 40)
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=3)
        try:
            conn.putrequest("PUT", self.path(key), skip_host=True, skip_accept_encoding=True)
            for name, value in h.items():
                conn.putheader(name, value)
            started = time.monotonic()
            conn.endheaders()
            resp = conn.getresponse()
            body = resp.read()
            elapsed = time.monotonic() - started
        finally:
            conn.close()
        self.assertLess(elapsed, 2.0)
        self.assertEqual(resp.status, 403, body)
        code, message = s3_error(body)
        self.assertEqual(code, "SignatureDoesNotMatch", body)
        self.assertTrue(message.startswith(SIGNATURE_MISMATCH), message)
        self.assertNoSuchKey(key)

    def test_unknown_key_refused_before_the_body(self):
        key = "plain/huge-unknown-key"
        headers = {"content-length": str(2 * 1024 ** 3),
                   "host": f"127.0.0.1:{self.srv.port}"}
        h, *_ = sigv4_headers("AKIAIOSFODNN7EXAMPLE", "W" * 40, "PUT", self.path(key), headers,
                              "UNSIGNED-PAYLOAD")
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=3)
        try:
            conn.putrequest("PUT", self.path(key), skip_host=True, skip_accept_encoding=True)
            for name, value in h.items():
                conn.putheader(name, value)
            conn.endheaders()
            resp = conn.getresponse()
            body = resp.read()
        finally:
            conn.close()
        self.assertEqual(resp.status, 403, body)
        self.assertEqual(s3_error(body), (
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records."), body)

    def test_wrong_content_md5(self):
        key = "plain/md5"
        self.assertClientError(self.s3.put_object, "BadDigest",
                               "The Content-MD5 you specified did not match what we received.",
                               400, Bucket=self.BUCKET, Key=key, Body=b"some bytes",
                               ContentMD5=md5_b64(b"other bytes"))
        self.assertNoSuchKey(key)
        self.s3.put_object(Bucket=self.BUCKET, Key=key, Body=b"some bytes",
                           ContentMD5=md5_b64(b"some bytes"))
        self.assertEqual(self.body_of(key), b"some bytes")

    def test_wrong_content_md5_raw(self):
        # The same through a streamed raw PUT (UNSIGNED-PAYLOAD), old object kept.
        key = "plain/md5-raw"
        self.s3.put_object(Bucket=self.BUCKET, Key=key, Body=b"old")
        body = os.urandom(4096)
        h, *_ = self.signed_put(key, {"content-length": str(len(body)),
                                      "content-md5": md5_b64(body[:-1])}, "UNSIGNED-PAYLOAD")
        self.assertS3Error(send_raw(self.srv.port, "PUT", self.path(key), h, body), 400,
                           "BadDigest")
        self.assertEqual(self.body_of(key), b"old")


class TestBoto3Checksums(S3TransportCase):
    """What boto3 sends for flexible checksums over plain HTTP: the checksum
    in a header, the body signed or UNSIGNED-PAYLOAD."""

    ALGORITHMS = ("CRC32", "CRC32C", "SHA256")

    def skip_without_crt(self, alg):
        if alg == "CRC32C" and BOTOCORE_VERSION >= (1, 30) and not have_crt_checksums():
            self.skipTest("this botocore computes CRC32C only with awscrt, which is not "
                          "installed")

    def test_put_object(self):
        data = os.urandom(300_000)
        for alg in self.ALGORITHMS:
            with self.subTest(alg=alg):
                self.skip_without_crt(alg)
                key = f"boto3/put-{alg}"
                out = self.s3.put_object(Bucket=self.BUCKET, Key=key, Body=data,
                                         ChecksumAlgorithm=alg)
                self.assertEqual(out[f"Checksum{alg}"], checksum_b64(alg, data))
                got = self.s3.get_object(Bucket=self.BUCKET, Key=key, ChecksumMode="ENABLED")
                self.assertEqual(got["Body"].read(), data)
                self.assertEqual(got[f"Checksum{alg}"], checksum_b64(alg, data))

    def test_wrong_checksum_header(self):
        key = "boto3/wrong-crc"
        self.assertClientError(self.s3.put_object, "BadDigest", status=400, Bucket=self.BUCKET,
                               Key=key, Body=b"abc", ChecksumCRC32=checksum_b64("CRC32", b"abd"))
        self.assertNoSuchKey(key)

    def test_upload_fileobj_from_pipe(self):
        data = os.urandom(1_500_000)
        for alg in self.ALGORITHMS:
            with self.subTest(alg=alg):
                self.skip_without_crt(alg)
                key = f"boto3/pipe-{alg}"
                with pipe_reader(data) as body:
                    self.s3.upload_fileobj(body, self.BUCKET, key,
                                           ExtraArgs={"ChecksumAlgorithm": alg})
                got = self.s3.get_object(Bucket=self.BUCKET, Key=key, ChecksumMode="ENABLED")
                self.assertEqual(got["Body"].read(), data)
                self.assertEqual(got[f"Checksum{alg}"], checksum_b64(alg, data))


class TestBoto3ChecksumsOverTls(unittest.TestCase):
    """Over HTTPS botocore sends flexible checksums as aws-chunked bodies with
    an unsigned trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER), with
    Transfer-Encoding: chunked and no Content-Length, as it does to AWS."""

    BUCKET = "tls-transport"

    @classmethod
    def setUpClass(cls):
        if not shutil.which("openssl"):
            raise unittest.SkipTest("no openssl command to make a certificate with")
        cls.tmp = tempfile.mkdtemp(prefix="slipway-tls-")
        cert, key = make_certificate(cls.tmp)
        cls.srv = TlsSlipwayServer(cert, key).start()
        cls.s3 = cls.srv.client("s3")
        cls.s3.create_bucket(Bucket=cls.BUCKET)
        cls.sent = HeaderRecorder(cls.s3, "PutObject")

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def skip_without_crt(self, alg):
        if alg == "CRC32C" and BOTOCORE_VERSION >= (1, 30) and not have_crt_checksums():
            self.skipTest("this botocore computes CRC32C only with awscrt, which is not "
                          "installed")

    def assertTrailerForm(self, headers, alg):
        self.assertEqual(headers.get("x-amz-content-sha256"), "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                         headers)
        self.assertEqual(headers.get("content-encoding"), "aws-chunked", headers)
        self.assertEqual(headers.get("x-amz-trailer"), f"x-amz-checksum-{alg.lower()}", headers)

    def test_put_object(self):
        data = os.urandom(2_500_000)  # botocore's chunks are 1 MB: three of them
        for alg in TestBoto3Checksums.ALGORITHMS:
            with self.subTest(alg=alg):
                self.skip_without_crt(alg)
                key = f"tls/put-{alg}"
                out = self.s3.put_object(Bucket=self.BUCKET, Key=key, Body=data,
                                         ChecksumAlgorithm=alg)
                self.assertTrailerForm(self.sent.last, alg)
                self.assertEqual(out[f"Checksum{alg}"], checksum_b64(alg, data))
                got = self.s3.get_object(Bucket=self.BUCKET, Key=key, ChecksumMode="ENABLED")
                self.assertEqual(got["Body"].read(), data)
                self.assertEqual(got[f"Checksum{alg}"], checksum_b64(alg, data))

    def test_default_checksum(self):
        # botocore 1.36 and later add a CRC32 to every PutObject unless told not to.
        if BOTOCORE_VERSION < (1, 36):
            self.skipTest(f"botocore {botocore.__version__} adds no checksum by default (1.36 "
                          "started to)")
        data = b"default checksum"
        self.s3.put_object(Bucket=self.BUCKET, Key="tls/default", Body=data)
        self.assertTrailerForm(self.sent.last, "CRC32")
        got = self.s3.get_object(Bucket=self.BUCKET, Key="tls/default", ChecksumMode="ENABLED")
        self.assertEqual(got["Body"].read(), data)
        self.assertEqual(got["ChecksumCRC32"], checksum_b64("CRC32", data))

    def test_read_only_body(self):
        # A body botocore can neither size nor rewind: with ContentLength
        # given, it still sends aws-chunked with x-amz-decoded-content-length.
        data = os.urandom(1_200_000)

        class Unframeable(Exception):
            pass

        def refuse_unframeable(request, **kwargs):
            names = {k.lower() for k in request.headers.keys()}
            if "content-length" in names and "transfer-encoding" in names:
                raise Unframeable()

        self.s3.meta.events.register("before-send.s3.PutObject", refuse_unframeable)
        try:
            self.s3.put_object(Bucket=self.BUCKET, Key="tls/read-only", Body=ReadOnlyBody(data),
                               ContentLength=len(data), ChecksumAlgorithm="CRC32")
        except Unframeable:
            self.skipTest(f"botocore {botocore.__version__} sends both Content-Length and "
                          "Transfer-Encoding: chunked, and no x-amz-decoded-content-length, for "
                          "a body it cannot rewind: no server can frame that request")
        finally:
            self.s3.meta.events.unregister("before-send.s3.PutObject", refuse_unframeable)
        self.assertTrailerForm(self.sent.last, "CRC32")
        self.assertEqual(self.sent.last.get("x-amz-decoded-content-length"), str(len(data)))
        got = self.s3.get_object(Bucket=self.BUCKET, Key="tls/read-only", ChecksumMode="ENABLED")
        self.assertEqual(got["Body"].read(), data)
        self.assertEqual(got["ChecksumCRC32"], checksum_b64("CRC32", data))

    def test_upload_fileobj_from_pipe(self):
        data = os.urandom(1_500_000)
        for alg in TestBoto3Checksums.ALGORITHMS:
            with self.subTest(alg=alg):
                self.skip_without_crt(alg)
                key = f"tls/pipe-{alg}"
                with pipe_reader(data) as body:
                    self.s3.upload_fileobj(body, self.BUCKET, key,
                                           ExtraArgs={"ChecksumAlgorithm": alg})
                self.assertTrailerForm(self.sent.last, alg)
                got = self.s3.get_object(Bucket=self.BUCKET, Key=key, ChecksumMode="ENABLED")
                self.assertEqual(got["Body"].read(), data)
                self.assertEqual(got[f"Checksum{alg}"], checksum_b64(alg, data))

    def test_cli_cp(self):
        src = os.path.join(self.tmp, "cli-up.bin")
        dst = os.path.join(self.tmp, "cli-down.bin")
        data = os.urandom(3_000_000)
        with open(src, "wb") as f:
            f.write(data)
        env = self.srv.aws_env(AWS_CA_BUNDLE=self.srv.cafile)
        self.srv.aws("s3", "cp", src, f"s3://{self.BUCKET}/tls/cli.bin", env=env)
        self.srv.aws("s3", "cp", f"s3://{self.BUCKET}/tls/cli.bin", dst, env=env)
        with open(dst, "rb") as f:
            self.assertEqual(f.read(), data)


class TestSigV2(S3TransportCase):
    BUCKET = "sigv2-transport"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.v2 = cls.client_for("s3")

    @classmethod
    def client_for(cls, signature_version):
        return boto3.session.Session().client(
            "s3", endpoint_url=cls.srv.endpoint, region_name=REGION,
            aws_access_key_id=cls.srv.access_key, aws_secret_access_key=cls.srv.secret_key,
            config=Config(retries={"max_attempts": 1}, signature_version=signature_version))

    def test_put_get_list_delete(self):
        data = os.urandom(5000)
        out = self.v2.put_object(Bucket=self.BUCKET, Key="v2/a b+c.bin", Body=data,
                                 ContentType="application/x-test", Metadata={"who": "v2"})
        self.assertEqual(out["ETag"], etag(data))
        got = self.v2.get_object(Bucket=self.BUCKET, Key="v2/a b+c.bin")
        self.assertEqual(got["Body"].read(), data)
        self.assertEqual(got["ContentType"], "application/x-test")
        self.assertEqual(got["Metadata"], {"who": "v2"})
        self.assertEqual(self.v2.get_object(Bucket=self.BUCKET, Key="v2/a b+c.bin",
                                            Range="bytes=0-3")["Body"].read(), data[:4])
        self.v2.delete_object(Bucket=self.BUCKET, Key="v2/a b+c.bin")
        self.assertNoSuchKey("v2/a b+c.bin")

    def test_list_objects_v2(self):
        self.v2.put_object(Bucket=self.BUCKET, Key="listed/one", Body=b"1")
        self.v2.put_object(Bucket=self.BUCKET, Key="listed/two", Body=b"22")
        signed = []
        real = botocore.auth.HmacV1Auth.canonical_string

        def spy(auth, *args, **kwargs):
            s = real(auth, *args, **kwargs)
            signed.append(s)
            return s

        with unittest.mock.patch.object(botocore.auth.HmacV1Auth, "canonical_string", spy):
            try:
                out = self.v2.list_objects_v2(Bucket=self.BUCKET, Prefix="listed/")
            except botocore.exceptions.ClientError:
                if signed and "?list-type=2" in signed[-1].splitlines()[-1]:
                    self.skipTest(f"botocore {botocore.__version__} signs a path-style "
                                  "ListObjectsV2 as '/bucket?list-type=2' under SigV2, which "
                                  "S3 does not (boto/boto3#4433)")
                raise
        self.assertEqual([(o["Key"], o["Size"]) for o in out["Contents"]],
                         [("listed/one", 1), ("listed/two", 2)])
        out = self.v2.list_objects(Bucket=self.BUCKET, Prefix="listed/")
        self.assertEqual([o["Key"] for o in out["Contents"]], ["listed/one", "listed/two"])

    def test_wrong_secret(self):
        bad = boto3.session.Session().client(
            "s3", endpoint_url=self.srv.endpoint, region_name=REGION,
            aws_access_key_id=self.srv.access_key, aws_secret_access_key="W" * 40,
            config=Config(retries={"max_attempts": 1}, signature_version="s3"))
        resp = self.assertClientError(bad.get_object, "SignatureDoesNotMatch", status=403,
                                      Bucket=self.BUCKET, Key="whatever")
        self.assertTrue(resp["Error"]["Message"].startswith(SIGNATURE_MISMATCH), resp)
        self.assertClientError(bad.put_object, "SignatureDoesNotMatch", status=403,
                               Bucket=self.BUCKET, Key="v2/forged", Body=b"x")
        self.assertNoSuchKey("v2/forged")

    def presign(self, signature_version, key, expires=3600, method="get_object"):
        client = self.client_for(signature_version)
        return client.generate_presigned_url(method, Params={"Bucket": self.BUCKET, "Key": key},
                                             ExpiresIn=expires)

    def fetch(self, url):
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def test_presigned_get(self):
        data = os.urandom(2000)
        self.s3.put_object(Bucket=self.BUCKET, Key="presigned/obj key.bin", Body=data)
        for version, marker in (("s3", "Signature="), ("s3v4", "X-Amz-Signature=")):
            with self.subTest(version=version):
                url = self.presign(version, "presigned/obj key.bin")
                self.assertIn(marker, url)
                self.assertEqual(self.fetch(url), (200, data))

    def test_default_presign(self):
        # Whichever version this botocore presigns with by default, it works.
        data = b"default presign"
        self.s3.put_object(Bucket=self.BUCKET, Key="presigned/default", Body=data)
        url = self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.BUCKET, "Key": "presigned/default"})
        self.assertEqual(self.fetch(url), (200, data))

    def test_presigned_put(self):
        for version in ("s3", "s3v4"):
            with self.subTest(version=version):
                key = f"presigned/put-{version}"
                data = os.urandom(3000)
                url = urllib.parse.urlsplit(self.presign(version, key, method="put_object"))
                # http.client rather than urllib, which would add a Content-Type
                # the URL was not signed with (SigV2 signs Content-Type).
                status, headers, body = send_raw(
                    self.srv.port, "PUT", f"{url.path}?{url.query}",
                    {"Host": url.netloc, "Content-Length": str(len(data))}, data)
                self.assertEqual(status, 200, body)
                self.assertEqual(headers.get("etag"), etag(data), headers)
                self.assertEqual(self.body_of(key), data)

    def test_expired(self):
        self.s3.put_object(Bucket=self.BUCKET, Key="presigned/expiring", Body=b"x")
        urls = {v: self.presign(v, "presigned/expiring", expires=1) for v in ("s3", "s3v4")}
        time.sleep(2.2)
        for version, url in urls.items():
            with self.subTest(version=version):
                status, body = self.fetch(url)
                self.assertEqual(status, 403, body)
                self.assertEqual(s3_error(body), ("AccessDenied", "Request has expired"), body)

    def test_altered_key(self):
        self.s3.put_object(Bucket=self.BUCKET, Key="presigned/one", Body=b"one")
        self.s3.put_object(Bucket=self.BUCKET, Key="presigned/two", Body=b"two")
        for version in ("s3", "s3v4"):
            with self.subTest(version=version):
                url = self.presign(version, "presigned/one")
                altered = url.replace("/presigned/one?", "/presigned/two?")
                self.assertNotEqual(url, altered)
                status, body = self.fetch(altered)
                self.assertEqual(status, 403, body)
                code, message = s3_error(body)
                self.assertEqual(code, "SignatureDoesNotMatch", body)
                self.assertTrue(message.startswith(SIGNATURE_MISMATCH), message)

    def test_cli_presign(self):
        data = os.urandom(1500)
        self.s3.put_object(Bucket=self.BUCKET, Key="presigned/cli.bin", Body=data)
        _, out, _ = self.srv.aws("s3", "presign", f"s3://{self.BUCKET}/presigned/cli.bin",
                                 "--expires-in", "300")
        url = out.strip()
        self.assertTrue(url.startswith(self.srv.endpoint + f"/{self.BUCKET}/presigned/cli.bin?"),
                        url)
        self.assertEqual(self.fetch(url), (200, data))
        if shutil.which("curl"):
            p = subprocess.run(["curl", "-sS", "--fail", url], capture_output=True, timeout=30)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout, data)
        # Altered, it is refused.
        status, body = self.fetch(url.replace("cli.bin?", "cli.bim?"))
        self.assertEqual(status, 403, body)
        self.assertEqual(s3_error(body)[0], "SignatureDoesNotMatch", body)


class TestVirtualHost(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = SlipwayServer().start()
        cls.other = SlipwayServer("--s3-domain", "s3.slipway.test").start()

    @classmethod
    def tearDownClass(cls):
        for srv in (cls.srv, cls.other):
            srv.stop()
            srv.cleanup()

    def vclient(self, srv, host, signature_version="s3v4"):
        client = boto3.session.Session().client(
            "s3", endpoint_url=f"http://{host}:{srv.port}", region_name=REGION,
            aws_access_key_id=srv.access_key, aws_secret_access_key=srv.secret_key,
            config=Config(retries={"max_attempts": 1}, signature_version=signature_version,
                          s3={"addressing_style": "virtual"}))
        if hasattr(client, "close"):
            self.addCleanup(client.close)
        hosts = []
        client.meta.events.register(
            "before-send.s3", lambda request, **kw: hosts.append(urllib.parse.urlsplit(
                request.url).hostname))
        return client, hosts

    def exercise(self, client, hosts, bucket, suffix):
        client.create_bucket(Bucket=bucket)
        self.assertEqual(hosts[-1], f"{bucket}.{suffix}")
        data = os.urandom(4000)
        client.put_object(Bucket=bucket, Key="dir/obj", Body=data)
        client.put_object(Bucket=bucket, Key="top", Body=b"t")
        self.assertEqual(hosts[-1], f"{bucket}.{suffix}")
        listed = client.list_objects_v2(Bucket=bucket)
        self.assertEqual([o["Key"] for o in listed["Contents"]], ["dir/obj", "top"])
        self.assertEqual(client.get_object(Bucket=bucket, Key="dir/obj")["Body"].read(), data)
        self.assertEqual(client.head_object(Bucket=bucket, Key="dir/obj")["ContentLength"], 4000)
        url = client.generate_presigned_url("get_object", Params={"Bucket": bucket,
                                                                   "Key": "dir/obj"})
        self.assertTrue(url.startswith(f"http://{bucket}.{suffix}:"), url)
        with urllib.request.urlopen(url, timeout=10) as r:
            self.assertEqual(r.read(), data)
        client.delete_object(Bucket=bucket, Key="top")
        self.assertEqual([o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]],
                         ["dir/obj"])
        return data

    def test_localhost(self):
        with resolve_to_loopback("localhost"):
            client, hosts = self.vclient(self.srv, "localhost")
            data = self.exercise(client, hosts, "vhost-bucket", "localhost")
        # The same bucket, path style.
        path = self.srv.client("s3")
        self.assertEqual(path.get_object(Bucket="vhost-bucket", Key="dir/obj")["Body"].read(),
                         data)

    def test_localhost_sigv2(self):
        with resolve_to_loopback("localhost"):
            client, hosts = self.vclient(self.srv, "localhost", "s3")
            self.srv.client("s3").create_bucket(Bucket="vhost-v2")
            data = os.urandom(1000)
            client.put_object(Bucket="vhost-v2", Key="k", Body=data)
            self.assertEqual(hosts[-1], "vhost-v2.localhost")
            self.assertEqual(client.get_object(Bucket="vhost-v2", Key="k")["Body"].read(), data)
            url = client.generate_presigned_url("get_object", Params={"Bucket": "vhost-v2",
                                                                       "Key": "k"})
            with urllib.request.urlopen(url, timeout=10) as r:
                self.assertEqual(r.read(), data)

    def test_custom_domain(self):
        with resolve_to_loopback("s3.slipway.test", "localhost"):
            client, hosts = self.vclient(self.other, "s3.slipway.test")
            data = self.exercise(client, hosts, "custom-domain", "s3.slipway.test")
            self.assertEqual(self.other.client("s3").get_object(
                Bucket="custom-domain", Key="dir/obj")["Body"].read(), data)
            # On this server "<bucket>.localhost" is no virtual host: the
            # request is path style, "/dir/obj" naming bucket "dir".
            local, _ = self.vclient(self.other, "localhost")
            self.assertClientError(local.get_object, "NoSuchBucket", Bucket="custom-domain",
                                   Key="dir/obj")

    def assertClientError(self, call, code, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            call(**kwargs)
        self.assertEqual(cm.exception.response["Error"]["Code"], code, cm.exception.response)

    def test_path_only(self):
        # --s3-domain "" turns virtual hosts off altogether.
        with SlipwayServer("--s3-domain", "") as srv, resolve_to_loopback("localhost"):
            srv.client("s3").create_bucket(Bucket="path-only")
            srv.client("s3").put_object(Bucket="path-only", Key="k", Body=b"v")
            client, _ = self.vclient(srv, "localhost")
            self.assertClientError(client.get_object, "NoSuchBucket", Bucket="path-only", Key="k")


class TestReads(S3TransportCase):
    BUCKET = "reads"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = bytes(range(256)) * 4 + b"tail!"
        cls.s3.put_object(Bucket=cls.BUCKET, Key="ranged", Body=cls.data)
        cls.s3.put_object(Bucket=cls.BUCKET, Key="empty", Body=b"")

    def get_range(self, spec, key="ranged"):
        return self.s3.get_object(Bucket=self.BUCKET, Key=key, Range=spec)

    def test_ranges(self):
        size = len(self.data)
        cases = [
            ("bytes=0-9", 0, 9),
            ("bytes=-5", size - 5, size - 1),
            ("bytes=10-", 10, size - 1),
            ("bytes=1000-1028", 1000, 1028),
            ("bytes=1020-99999", 1020, size - 1),
            ("bytes=-99999", 0, size - 1),
        ]
        for spec, first, last in cases:
            with self.subTest(range=spec):
                out = self.get_range(spec)
                self.assertEqual(out["ResponseMetadata"]["HTTPStatusCode"], 206)
                self.assertEqual(out["ContentRange"], f"bytes {first}-{last}/{size}")
                self.assertEqual(out["ContentLength"], last - first + 1)
                self.assertEqual(out["Body"].read(), self.data[first:last + 1])
        self.assertEqual(self.get_range("bytes=-5")["Body"].read(), b"tail!")

    def test_unsatisfiable_range(self):
        spec = f"bytes={len(self.data)}-"
        resp = self.assertClientError(self.get_range, "InvalidRange",
                                      "The requested range is not satisfiable", spec=spec)
        # S3's error carries what was asked and the object's size.
        self.assertEqual(resp["Error"].get("RangeRequested"), spec, resp)
        self.assertEqual(resp["Error"].get("ActualObjectSize"), str(len(self.data)), resp)
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 416, resp)
        self.assertClientError(self.get_range, "InvalidRange", status=416, spec="bytes=0-",
                               key="empty")

    def test_range_over_the_wire(self):
        url = self.s3.generate_presigned_url("get_object", Params={"Bucket": self.BUCKET,
                                                                    "Key": "ranged"})
        req = urllib.request.Request(url, headers={"Range": "bytes=5-14"})
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 206)
            self.assertEqual(r.headers["Content-Range"], f"bytes 5-14/{len(self.data)}")
            self.assertEqual(r.headers["Content-Length"], "10")
            self.assertEqual(r.headers["Accept-Ranges"], "bytes")
            self.assertEqual(r.read(), self.data[5:15])

    def raw_head(self, key):
        """HEAD over a bare socket: (status line, headers, bytes after them)."""
        url = self.s3.generate_presigned_url("head_object", Params={"Bucket": self.BUCKET,
                                                                     "Key": key})
        parts = urllib.parse.urlsplit(url)
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=5) as s:
            s.sendall(f"HEAD {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                      f"Connection: close\r\n\r\n".encode())
            received = b""
            while True:
                try:
                    piece = s.recv(65536)
                except socket.timeout:
                    break
                if not piece:
                    break
                received += piece
        head, _, rest = received.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return lines[0], headers, rest

    def test_head(self):
        status, headers, rest = self.raw_head("ranged")
        self.assertIn(" 200 ", status + " ")
        self.assertEqual(headers.get("content-length"), str(len(self.data)), headers)
        self.assertEqual(headers.get("etag"), etag(self.data), headers)
        self.assertEqual(rest, b"")
        out = self.s3.head_object(Bucket=self.BUCKET, Key="ranged")
        self.assertEqual(out["ContentLength"], len(self.data))
        self.assertEqual(out["ETag"], etag(self.data))

    def test_empty_object(self):
        out = self.s3.get_object(Bucket=self.BUCKET, Key="empty")
        self.assertEqual(out["Body"].read(), b"")
        self.assertEqual(out["ContentLength"], 0)
        self.assertEqual(out["ETag"], '"d41d8cd98f00b204e9800998ecf8427e"')
        status, headers, rest = self.raw_head("empty")
        self.assertIn(" 200 ", status + " ")
        self.assertEqual(headers.get("content-length"), "0", headers)
        self.assertEqual(rest, b"")
        url = self.s3.generate_presigned_url("get_object", Params={"Bucket": self.BUCKET,
                                                                    "Key": "empty"})
        with urllib.request.urlopen(url, timeout=10) as r:
            self.assertEqual(r.headers["Content-Length"], "0")
            self.assertEqual(r.read(), b"")

    def test_head_missing(self):
        self.assertClientError(self.s3.head_object, "404", status=404, Bucket=self.BUCKET,
                               Key="no-such-key")


if __name__ == "__main__":
    unittest.main()
