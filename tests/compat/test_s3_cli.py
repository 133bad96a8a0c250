"""The aws CLI's high-level s3 commands against slipway, as people use them
for their own work: mb, cp -r, sync (only what changed, --delete), ls,
mv, cp from stdin, rm --recursive and rb; and unsigned requests."""
import hashlib
import os
import subprocess
import tempfile
import urllib.error
import urllib.request

import boto3
import botocore.exceptions
from botocore import UNSIGNED
from botocore.config import Config

from slipway_server import ServerTestCase


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def tree_digest(root):
    """{relative path: sha256} of every file below root."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return out


class TestS3Cli(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.s3 = cls.srv.client("s3")

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def keys(self, bucket):
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(o["Key"] for p in pages for o in p.get("Contents", []))

    def make_tree(self):
        src = os.path.join(self.tmp.name, "src")
        write(os.path.join(src, "a.txt"), b"alpha\n")
        write(os.path.join(src, "dir/b.bin"), os.urandom(300_000))
        write(os.path.join(src, "dir/deeper/c.json"), b'{"c": 1}\n')
        write(os.path.join(src, "space name.txt"), b"spaces survive\n")
        return src

    def test_cp_recursive_and_back(self):
        self.srv.aws("s3", "mb", "s3://cli-cp")
        src = self.make_tree()
        self.srv.aws("s3", "cp", "--recursive", src, "s3://cli-cp/tree/")
        self.assertEqual(self.keys("cli-cp"), [
            "tree/a.txt", "tree/dir/b.bin", "tree/dir/deeper/c.json", "tree/space name.txt"])
        dst = os.path.join(self.tmp.name, "dst")
        self.srv.aws("s3", "cp", "--recursive", "s3://cli-cp/tree/", dst)
        self.assertEqual(tree_digest(dst), tree_digest(src))

    def test_sync_uploads_only_what_changed_and_deletes(self):
        self.srv.aws("s3", "mb", "s3://cli-sync")
        src = self.make_tree()
        _, out, _ = self.srv.aws("s3", "sync", src, "s3://cli-sync/site")
        self.assertEqual(out.count("upload:"), 4, out)

        # Nothing changed: nothing is sent (sync compares size and time).
        _, out, _ = self.srv.aws("s3", "sync", src, "s3://cli-sync/site")
        self.assertEqual(out.count("upload:"), 0, out)

        write(os.path.join(src, "a.txt"), b"alpha, longer now\n")
        os.remove(os.path.join(src, "dir/deeper/c.json"))
        _, out, _ = self.srv.aws("s3", "sync", "--delete", src, "s3://cli-sync/site")
        self.assertEqual(out.count("upload:"), 1, out)
        self.assertIn("a.txt", out)
        self.assertEqual(out.count("delete:"), 1, out)
        self.assertEqual(self.keys("cli-sync"), [
            "site/a.txt", "site/dir/b.bin", "site/space name.txt"])
        body = self.s3.get_object(Bucket="cli-sync", Key="site/a.txt")["Body"].read()
        self.assertEqual(body, b"alpha, longer now\n")

        # And down again into an empty folder.
        dst = os.path.join(self.tmp.name, "down")
        self.srv.aws("s3", "sync", "s3://cli-sync/site", dst)
        self.assertEqual(tree_digest(dst), tree_digest(src))

    def test_ls_mv_stdin_rm_recursive_rb(self):
        self.srv.aws("s3", "mb", "s3://cli-misc")
        src = self.make_tree()
        self.srv.aws("s3", "cp", "--recursive", src, "s3://cli-misc/")

        _, out, _ = self.srv.aws("s3", "ls", "s3://cli-misc/")
        self.assertIn("PRE dir/", out)
        self.assertIn("a.txt", out)
        self.assertNotIn("b.bin", out)  # below a common prefix
        _, out, _ = self.srv.aws("s3", "ls", "--recursive", "s3://cli-misc/")
        self.assertIn("dir/deeper/c.json", out)
        self.assertIn(" 300000 dir/b.bin", out)

        self.srv.aws("s3", "mv", "s3://cli-misc/a.txt", "s3://cli-misc/moved/a.txt")
        self.assertIn("moved/a.txt", self.keys("cli-misc"))
        self.assertNotIn("a.txt", self.keys("cli-misc"))

        # "-" reads the object from stdin.
        cmd = ["aws", "--endpoint-url", self.srv.endpoint, "s3", "cp", "-",
               "s3://cli-misc/from-stdin.txt"]
        p = subprocess.run(cmd, input=b"piped in\n", env=self.srv.aws_env(),
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        body = self.s3.get_object(Bucket="cli-misc", Key="from-stdin.txt")["Body"].read()
        self.assertEqual(body, b"piped in\n")

        # rb refuses a bucket with objects; rm --recursive empties it.
        code, _, err = self.srv.aws("s3", "rb", "s3://cli-misc", check=False)
        self.assertNotEqual(code, 0)
        self.assertIn("BucketNotEmpty", err)
        _, out, _ = self.srv.aws("s3", "rm", "--recursive", "s3://cli-misc/")
        self.assertEqual(out.count("delete:"), 5, out)
        self.assertEqual(self.keys("cli-misc"), [])
        self.srv.aws("s3", "rb", "s3://cli-misc")
        names = [b["Name"] for b in self.s3.list_buckets()["Buckets"]]
        self.assertNotIn("cli-misc", names)


class TestAnonymous(ServerTestCase):
    """slipway has no anonymous principal: an unsigned S3 request is refused
    in S3's own error format, which S3 clients parse."""

    def test_unsigned_get_is_access_denied(self):
        s3 = self.srv.client("s3")
        s3.create_bucket(Bucket="no-public")
        s3.put_object(Bucket="no-public", Key="k", Body=b"private")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(f"{self.srv.endpoint}/no-public/k", timeout=10)
        self.assertEqual(cm.exception.code, 403)
        body = cm.exception.read()
        self.assertIn(b"<Code>AccessDenied</Code>", body)
        self.assertNotIn(b"private", body)

        unsigned = boto3.session.Session().client(
            "s3", endpoint_url=self.srv.endpoint, region_name="us-east-1",
            config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            unsigned.get_object(Bucket="no-public", Key="k")
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")
