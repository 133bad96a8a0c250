"""Starts a slipway server for a test suite: random port, fresh data dir.

    with SlipwayServer() as srv:
        iam = srv.client("iam")
        srv.aws("sts", "get-caller-identity")
"""
import configparser
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

import boto3
import botocore.exceptions
from botocore.config import Config


def _repo_root():
    return os.environ.get("SLIPWAY_SOURCE_DIR") or os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def slipway_binary():
    env = os.environ.get("SLIPWAY_BIN")
    if env:
        return env
    for build in ("build-test", "build"):
        path = os.path.join(_repo_root(), build, "slipway")
        if os.path.exists(path):
            return path
    raise RuntimeError("no slipway binary: set SLIPWAY_BIN or run make")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlipwayServer:
    def __init__(self, *extra_args, data_dir=None, port=None):
        self.extra_args = list(extra_args)
        self.own_data = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="slipway-test-")
        self.port = port or free_port()
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "server.log")

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=20):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [slipway_binary(), "server", "--listen", f"127.0.0.1:{self.port}",
             "--data", self.data_dir, *self.extra_args],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"slipway exited with {self.proc.returncode}: {self.read_log()}")
            try:
                with urllib.request.urlopen(self.endpoint + "/_slipway/health", timeout=1) as r:
                    if r.status == 200:
                        self._load_credentials()
                        return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("slipway did not become ready: " + self.read_log())

    def _load_credentials(self):
        cp = configparser.ConfigParser()
        cp.read(os.path.join(self.data_dir, "credentials"))
        self.access_key = cp["default"]["aws_access_key_id"]
        self.secret_key = cp["default"]["aws_secret_access_key"]

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def cleanup(self):
        if self.own_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self.cleanup()

    def client(self, service, access_key=None, secret_key=None, session_token=None,
               region="us-east-1"):
        return boto3.session.Session().client(
            service, endpoint_url=self.endpoint, region_name=region,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            aws_session_token=session_token,
            config=Config(retries={"max_attempts": 1}))

    def aws_env(self, **overrides):
        env = dict(os.environ)
        for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE",
                  "AWS_SHARED_CREDENTIALS_FILE"):
            env.pop(k, None)
        env.update({
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_PAGER": "",
        })
        env.update(overrides)
        return env

    def aws(self, *args, env=None, check=True):
        """Runs the aws CLI; returns (returncode, stdout, stderr).

        The CLI v2 adds "(reached max retries: N)" to its error line; it is
        removed so that tests read the same text from v1 and v2."""
        cmd = ["aws", "--endpoint-url", self.endpoint, "--output", "json", *args]
        p = subprocess.run(cmd, env=env or self.aws_env(), capture_output=True, text=True,
                           timeout=60)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr}")
        stderr = re.sub(r" \(reached max retries: \d+\)", "", p.stderr)
        return p.returncode, p.stdout, stderr

    def aws_json(self, *args):
        return json.loads(self.aws(*args)[1] or "{}")


def model_has(client, operation, member, output=False):
    """Whether this botocore's model of `operation` knows `member` in its
    input (or output). Debian's boto3 1.26 predates members the current
    models have, and neither sends nor parses them."""
    op = client.meta.service_model.operation_model(operation)
    shape = op.output_shape if output else op.input_shape
    return shape is not None and member in shape.members


class ServerTestCase(unittest.TestCase):
    """A test class with one server for all its tests, the admin's iam and
    sts clients, and an assertion for AWS errors."""

    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.srv = SlipwayServer(*cls.server_args).start()
        cls.iam = cls.srv.client("iam")
        cls.sts = cls.srv.client("sts")

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()

    def assertClientError(self, call, code, message=None, status=None, **kwargs):
        """Calls `call(**kwargs)` expecting the AWS error `code` (and, when
        given, exactly `message` and HTTP `status`); returns the response."""
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            call(**kwargs)
        resp = cm.exception.response
        self.assertEqual(resp["Error"]["Code"], code, resp)
        if message is not None:
            self.assertEqual(resp["Error"]["Message"], message, resp)
        if status is not None:
            self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], status, resp)
        return resp
