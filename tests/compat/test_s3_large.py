"""Large S3 objects: a 200 MB file through multipart upload and ranged
download (aws CLI and boto3), a 1 GB single PUT and GET that must stream
(the server's RSS is watched), and kill -9 in the middle of a PUT or of a
CompleteMultipartUpload, after which the key holds the old object or the
new one, never part of one.

Files are generated on disk in 1 MB pieces and hashed as they are written
or read, so the test itself never holds an object in memory."""
import hashlib
import http.client
import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import unittest.mock
import urllib.parse

import boto3
import botocore.exceptions
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

import slipway_server
from slipway_server import SlipwayServer

MB = 1024 * 1024
REGION = "us-east-1"


def write_random_file(path, size, seed=None):
    """Writes `size` pseudo-random bytes to `path` in 1 MB pieces; returns
    their SHA-256 (hex)."""
    rng = random.Random(seed)
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(MB, left)
            piece = rng.randbytes(n) if seed is not None else os.urandom(n)
            h.update(piece)
            f.write(piece)
            left -= n
    return h.hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            piece = f.read(MB)
            if not piece:
                return h.hexdigest()
            h.update(piece)


def sha256_stream(body):
    h = hashlib.sha256()
    n = 0
    for piece in iter(lambda: body.read(MB), b""):
        h.update(piece)
        n += len(piece)
    return h.hexdigest(), n


def s3_client(srv, **config):
    return boto3.session.Session().client(
        "s3", endpoint_url=srv.endpoint, region_name=REGION,
        aws_access_key_id=srv.access_key, aws_secret_access_key=srv.secret_key,
        config=Config(retries={"max_attempts": 1}, **config))


class TestMultipart200MB(unittest.TestCase):
    SIZE = 200 * MB
    PART = 8 * MB

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="slipway-large-")
        cls.srv = SlipwayServer("--request-timeout", "600").start()
        cls.s3 = s3_client(cls.srv)
        cls.s3.create_bucket(Bucket="large")
        cls.src = os.path.join(cls.tmp, "src.bin")
        cls.digest = write_random_file(cls.src, cls.SIZE)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def assertMultipartObject(self, key):
        head = self.s3.head_object(Bucket="large", Key=key)
        self.assertEqual(head["ContentLength"], self.SIZE)
        # A multipart ETag: "<md5 of the part md5s>-<part count>".
        self.assertRegex(head["ETag"], r'^"[0-9a-f]{32}-\d+"$')
        self.assertEqual(head["ETag"].rstrip('"').rsplit("-", 1)[1], str(self.SIZE // self.PART))
        digest, n = sha256_stream(self.s3.get_object(Bucket="large", Key=key)["Body"])
        self.assertEqual((digest, n), (self.digest, self.SIZE))

    def test_aws_cli(self):
        # The CLI's defaults are 8 MB threshold and 8 MB parts.
        dst = os.path.join(self.tmp, "cli-down.bin")
        self.srv.aws("s3", "cp", self.src, "s3://large/cli.bin")
        self.assertMultipartObject("cli.bin")
        self.srv.aws("s3", "cp", "s3://large/cli.bin", dst)
        try:
            self.assertEqual(os.path.getsize(dst), self.SIZE)
            self.assertEqual(sha256_file(dst), self.digest)
        finally:
            os.unlink(dst)

    def test_boto3_transfer(self):
        dst = os.path.join(self.tmp, "boto3-down.bin")
        config = TransferConfig(multipart_threshold=self.PART, multipart_chunksize=self.PART,
                                max_concurrency=4)
        parts = []
        self.s3.meta.events.register("before-send.s3.UploadPart",
                                     lambda request, **kw: parts.append(request.url))
        self.s3.upload_file(self.src, "large", "boto3.bin", Config=config)
        self.assertEqual(len(parts), self.SIZE // self.PART)
        self.assertMultipartObject("boto3.bin")
        self.s3.download_file("large", "boto3.bin", dst, Config=config)
        try:
            self.assertEqual(os.path.getsize(dst), self.SIZE)
            self.assertEqual(sha256_file(dst), self.digest)
        finally:
            os.unlink(dst)


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class RssSampler:
    """Samples a process's VmRSS every 50 ms on a thread; `peak_kb`."""

    def __init__(self, pid):
        self.pid = pid
        self.peak_kb = vm_rss_kb(pid)
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.peak_kb = max(self.peak_kb, vm_rss_kb(self.pid))
                self.samples += 1
            except (OSError, RuntimeError):
                return
            self._stop.wait(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


@unittest.skipUnless(os.environ.get("SLIPWAY_RELEASE_BIN"),
                     "SLIPWAY_RELEASE_BIN is not set: the memory test needs a release build "
                     "(sanitizer builds keep freed memory on purpose); scripts/test.sh builds "
                     "build/slipway with -DCMAKE_BUILD_TYPE=RelWithDebInfo and exports it")
class TestStreaming1GB(unittest.TestCase):
    """A 1 GB PUT and GET through a release build: its RSS must stay far
    below the object's size."""

    SIZE = 1024 * MB
    BOUND_KB = 200 * 1024  # above idle; a buffering server would need > 1 GB

    @unittest.skipUnless(shutil.which("curl"), "the transfers are made with curl")
    def test_put_and_get_stream(self):
        binary = os.environ["SLIPWAY_RELEASE_BIN"]
        self.assertTrue(os.access(binary, os.X_OK), binary)
        tmp = tempfile.mkdtemp(prefix="slipway-1g-")
        srv = SlipwayServer("--request-timeout", "900")
        self.addCleanup(shutil.rmtree, tmp, True)
        self.addCleanup(srv.cleanup)
        self.addCleanup(srv.stop)
        with unittest.mock.patch.object(slipway_server, "slipway_binary", return_value=binary):
            srv.start()
        s3 = s3_client(srv, signature_version="s3v4")
        s3.create_bucket(Bucket="big")
        src = os.path.join(tmp, "src.bin")
        digest = write_random_file(src, self.SIZE)

        time.sleep(0.5)
        idle_kb = vm_rss_kb(srv.proc.pid)
        put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "big",
                                                                   "Key": "one-gig"},
                                            ExpiresIn=3600)
        with RssSampler(srv.proc.pid) as put_rss:
            p = subprocess.run(["curl", "-sS", "--fail", "-T", src, "-o", "/dev/null",
                                "-w", "%{http_code}", put_url],
                               capture_output=True, text=True, timeout=900)
        self.assertEqual((p.returncode, p.stdout), (0, "200"), p.stderr)
        os.unlink(src)  # keep the test's disk use near 2 GB
        self.assertEqual(s3.head_object(Bucket="big", Key="one-gig")["ContentLength"],
                         self.SIZE)

        get_url = s3.generate_presigned_url("get_object", Params={"Bucket": "big",
                                                                   "Key": "one-gig"},
                                            ExpiresIn=3600)
        dst = os.path.join(tmp, "dst.bin")
        with RssSampler(srv.proc.pid) as get_rss:
            p = subprocess.run(["curl", "-sS", "--fail", "-o", dst, "-w", "%{http_code}",
                                get_url], capture_output=True, text=True, timeout=900)
        self.assertEqual((p.returncode, p.stdout), (0, "200"), p.stderr)
        self.assertEqual(os.path.getsize(dst), self.SIZE)
        self.assertEqual(sha256_file(dst), digest)
        os.unlink(dst)

        self.assertGreater(put_rss.samples, 5)
        self.assertGreater(get_rss.samples, 5)
        self.assertLess(put_rss.peak_kb - idle_kb, self.BOUND_KB,
                        f"PUT: idle {idle_kb} kB, peak {put_rss.peak_kb} kB")
        self.assertLess(get_rss.peak_kb - idle_kb, self.BOUND_KB,
                        f"GET: idle {idle_kb} kB, peak {get_rss.peak_kb} kB")


class DurabilityCase(unittest.TestCase):
    """One server per test, killed with SIGKILL and started again on the
    same data directory and port."""

    BUCKET = "durable"

    def setUp(self):
        self.srv = SlipwayServer()
        self.addCleanup(self.srv.cleanup)
        self.addCleanup(self.srv.stop)
        self.srv.start()
        self.s3 = s3_client(self.srv)
        self.s3.create_bucket(Bucket=self.BUCKET)

    @property
    def presigner(self):
        return s3_client(self.srv, signature_version="s3v4")

    def kill_and_restart(self):
        self.srv.proc.send_signal(signal.SIGKILL)
        self.srv.proc.wait(10)
        self.assertEqual(self.srv.proc.returncode, -signal.SIGKILL)
        self.srv.log.close()
        self.srv.start()
        self.s3 = s3_client(self.srv)

    def assertBlobStoreClean(self):
        """No temporary file survived the restart, and every blob holds the
        bytes its name says."""
        blobs = os.path.join(self.srv.data_dir, "blobs")
        self.assertEqual(os.listdir(os.path.join(blobs, "tmp")), [])
        wrong = []
        for fan in os.listdir(blobs):
            if fan == "tmp":
                continue
            for name in os.listdir(os.path.join(blobs, fan)):
                if sha256_file(os.path.join(blobs, fan, name)) != fan + name:
                    wrong.append(fan + name)
        self.assertEqual(wrong, [], "blobs whose bytes do not hash to their names")

    def raw_put(self, key, length):
        """Opens a PUT of `length` bytes to a presigned URL (SigV4,
        UNSIGNED-PAYLOAD) and returns the connection with its headers sent."""
        url = urllib.parse.urlsplit(self.presigner.generate_presigned_url(
            "put_object", Params={"Bucket": self.BUCKET, "Key": key}, ExpiresIn=600))
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30)
        conn.putrequest("PUT", f"{url.path}?{url.query}", skip_accept_encoding=True)
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        return conn

    def get_bytes(self, key):
        return self.s3.get_object(Bucket=self.BUCKET, Key=key)["Body"].read()


class TestKillDuringPut(DurabilityCase):
    def test_half_sent_body(self):
        v1 = os.urandom(100_000)
        self.s3.put_object(Bucket=self.BUCKET, Key="obj", Body=v1)
        size = 64 * MB
        conn = self.raw_put("obj", size)
        piece = os.urandom(MB)
        for _ in range(size // MB // 2):
            conn.send(piece)
            time.sleep(0.005)
        # Let the server write what it has received.
        time.sleep(0.3)
        tmp = os.path.join(self.srv.data_dir, "blobs", "tmp")
        self.assertEqual(len(os.listdir(tmp)), 1, "the half body is in one temporary file")
        self.kill_and_restart()
        conn.close()
        self.assertEqual(self.get_bytes("obj"), v1)
        listed = self.s3.list_objects_v2(Bucket=self.BUCKET)["Contents"]
        self.assertEqual([(o["Key"], o["Size"]) for o in listed], [("obj", len(v1))])
        self.assertBlobStoreClean()

    def test_half_sent_body_of_a_new_key(self):
        conn = self.raw_put("new", 32 * MB)
        for _ in range(8):
            conn.send(os.urandom(MB))
        time.sleep(0.3)
        self.kill_and_restart()
        conn.close()
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.s3.head_object(Bucket=self.BUCKET, Key="new")
        self.assertEqual(cm.exception.response["Error"]["Code"], "404")
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket=self.BUCKET))
        self.assertBlobStoreClean()

    def test_kill_racing_the_commit(self):
        # The whole body is sent and the kill lands somewhere around the
        # commit: the key holds v1 or v2, whole.
        size = 24 * MB
        for round_, delay in enumerate((0.0, 0.01, 0.03, 0.08, 0.2)):
            v1 = os.urandom(50_000)
            self.s3.put_object(Bucket=self.BUCKET, Key="race", Body=v1)
            rng = random.Random(round_)
            conn = self.raw_put("race", size)
            h = hashlib.sha256()
            for _ in range(size // MB):
                piece = rng.randbytes(MB)
                h.update(piece)
                conn.send(piece)
            time.sleep(delay)
            self.kill_and_restart()
            conn.close()
            got = self.s3.get_object(Bucket=self.BUCKET, Key="race")
            digest, n = sha256_stream(got["Body"])
            with self.subTest(round=round_, delay=delay):
                self.assertIn((digest, n), [(hashlib.sha256(v1).hexdigest(), len(v1)),
                                            (h.hexdigest(), size)])
                self.assertEqual(got["ContentLength"], n)
        self.assertBlobStoreClean()


class TestKillDuringComplete(DurabilityCase):
    PART = 8 * MB
    PARTS = 4

    def upload_parts(self, key, seed):
        rng = random.Random(seed)
        upload_id = self.s3.create_multipart_upload(Bucket=self.BUCKET, Key=key)["UploadId"]
        h = hashlib.sha256()
        parts = []
        for n in range(1, self.PARTS + 1):
            data = rng.randbytes(self.PART)
            h.update(data)
            out = self.s3.upload_part(Bucket=self.BUCKET, Key=key, UploadId=upload_id,
                                      PartNumber=n, Body=data)
            parts.append({"PartNumber": n, "ETag": out["ETag"]})
        return upload_id, parts, h.hexdigest()

    def send_complete(self, key, upload_id, parts):
        """Sends CompleteMultipartUpload to a presigned URL with http.client
        (no retries: boto3 would resend it to the restarted server) and
        returns the connection once the whole request is out."""
        url = urllib.parse.urlsplit(self.presigner.generate_presigned_url(
            "complete_multipart_upload",
            Params={"Bucket": self.BUCKET, "Key": key, "UploadId": upload_id}, ExpiresIn=600))
        body = ('<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
                "".join(f"<Part><PartNumber>{p['PartNumber']}</PartNumber>"
                        f"<ETag>{p['ETag']}</ETag></Part>" for p in parts) +
                "</CompleteMultipartUpload>").encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30)
        conn.request("POST", f"{url.path}?{url.query}", body=body)
        return conn

    def test_kill_racing_complete(self):
        # Completing 4 x 8 MB parts takes the server tens of milliseconds
        # (it concatenates them into one blob): the kills land before,
        # during and after.
        size = self.PART * self.PARTS
        # How long an undisturbed Complete takes here, so that the kills
        # are spread over it whatever the machine's speed.
        upload_id, parts, _ = self.upload_parts("calibration", 99)
        started = time.monotonic()
        conn = self.send_complete("calibration", upload_id, parts)
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200, resp.read())
        took = time.monotonic() - started
        conn.close()
        delays = [0.0] + [took * f for f in (0.2, 0.4, 0.6, 0.8, 1.0, 1.5)] + [took * 3 + 0.1]
        for round_, delay in enumerate(delays):
            key = f"mpu-{round_}"
            self.s3.put_object(Bucket=self.BUCKET, Key=key, Body=b"old version")
            upload_id, parts, digest = self.upload_parts(key, round_)
            conn = self.send_complete(key, upload_id, parts)
            time.sleep(delay)
            self.kill_and_restart()
            conn.close()
            got = self.s3.get_object(Bucket=self.BUCKET, Key=key)
            got_digest, n = sha256_stream(got["Body"])
            uploads = [u["UploadId"] for u in self.s3.list_multipart_uploads(
                Bucket=self.BUCKET, Prefix=key).get("Uploads", [])]
            with self.subTest(round=round_, delay=delay):
                if n == size:
                    self.assertEqual(got_digest, digest)
                    self.assertRegex(got["ETag"], rf'-{self.PARTS}"$')
                    self.assertEqual(uploads, [])
                else:
                    self.assertEqual((got_digest, n),
                                     (hashlib.sha256(b"old version").hexdigest(), 11))
                    self.assertEqual(uploads, [upload_id])
                    listed = self.s3.list_parts(Bucket=self.BUCKET, Key=key, UploadId=upload_id)
                    self.assertEqual([p["PartNumber"] for p in listed["Parts"]],
                                     list(range(1, self.PARTS + 1)))
                    # The upload survived whole: completing it now works.
                    self.s3.complete_multipart_upload(Bucket=self.BUCKET, Key=key,
                                                      UploadId=upload_id,
                                                      MultipartUpload={"Parts": parts})
                    again, n = sha256_stream(
                        self.s3.get_object(Bucket=self.BUCKET, Key=key)["Body"])
                    self.assertEqual((again, n), (digest, size))
        self.assertBlobStoreClean()


if __name__ == "__main__":
    unittest.main()
