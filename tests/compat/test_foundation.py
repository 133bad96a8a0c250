"""The server itself: start-up, credentials, request ids, SigV4 outcomes,
health, `slipway env`, refusals of unsafe set-ups, graceful stop
(src/server/server.c, api_route.c, src/cli/cmd_server.c, cmd_env.c,
cmd_help.c, cmd_version.c)."""
import json
import os
import signal
import stat
import subprocess
import threading
import time
import unittest
import urllib.request

import botocore.exceptions

from slipway_server import SlipwayServer, free_port, slipway_binary


class TestServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = SlipwayServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()

    def test_health(self):
        with urllib.request.urlopen(self.srv.endpoint + "/_slipway/health") as r:
            self.assertEqual(r.status, 200)
            self.assertEqual(json.loads(r.read()), {"status": "ok"})
            self.assertTrue(r.headers["x-amzn-RequestId"])

    def test_reserved_prefix(self):
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(self.srv.endpoint + "/_slipway/nothing-here")
        self.assertEqual(cm.exception.code, 404)

    def test_credentials_file(self):
        path = os.path.join(self.srv.data_dir, "credentials")
        mode = stat.S_IMODE(os.stat(path).st_mode)
        self.assertEqual(mode, 0o600)
        with open(path) as f:
            text = f.read()
        self.assertIn("[default]", text)
        self.assertRegex(self.srv.access_key, r"^AKIA[A-Z2-7]{16}$")
        self.assertEqual(len(self.srv.secret_key), 40)

    def test_credentials_file_works_as_shared_credentials(self):
        env = self.srv.aws_env(AWS_SHARED_CREDENTIALS_FILE=os.path.join(
            self.srv.data_dir, "credentials"))
        env.pop("AWS_ACCESS_KEY_ID")
        env.pop("AWS_SECRET_ACCESS_KEY")
        _, out, _ = self.srv.aws("sts", "get-caller-identity", env=env)
        self.assertEqual(json.loads(out)["Arn"], "arn:aws:iam::000000000000:user/admin")

    def test_get_caller_identity_cli(self):
        ident = self.srv.aws_json("sts", "get-caller-identity")
        self.assertEqual(ident["Arn"], "arn:aws:iam::000000000000:user/admin")
        self.assertEqual(ident["Account"], "000000000000")
        self.assertRegex(ident["UserId"], r"^AIDA[A-Z2-7]{17}$")

    def test_get_caller_identity_boto3_request_id(self):
        resp = self.srv.client("sts").get_caller_identity()
        meta = resp["ResponseMetadata"]
        self.assertRegex(meta["RequestId"], r"^[0-9a-f-]{36}$")
        self.assertEqual(meta["HTTPHeaders"]["x-amzn-requestid"], meta["RequestId"])

    def test_wrong_secret_is_signature_does_not_match(self):
        sts = self.srv.client("sts", secret_key="x" * 40)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            sts.get_caller_identity()
        self.assertEqual(cm.exception.response["Error"]["Code"], "SignatureDoesNotMatch")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)

    def test_wrong_secret_cli(self):
        env = self.srv.aws_env(AWS_SECRET_ACCESS_KEY="y" * 40)
        rc, _, err = self.srv.aws("sts", "get-caller-identity", env=env, check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("SignatureDoesNotMatch", err)

    def test_unknown_key_json_service_code(self):
        logs = self.srv.client("logs", access_key="AKIAUNKNOWNUNKNOWN00")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            logs.describe_log_groups()
        self.assertEqual(cm.exception.response["Error"]["Code"], "UnrecognizedClientException")

    def test_unsigned_request(self):
        req = urllib.request.Request(self.srv.endpoint + "/", data=b"Action=GetCallerIdentity&Version=2011-06-15",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req)
        self.assertEqual(cm.exception.code, 403)
        self.assertIn(b"MissingAuthenticationToken", cm.exception.read())

    def test_unimplemented_operation_names_itself(self):
        # Operations no issue plans to implement, in a JSON and a query service.
        logs = self.srv.client("logs")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            logs.describe_destinations()
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], "NotImplemented")
        self.assertIn("DescribeDestinations", err["Message"])
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 501)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.srv.client("iam").list_saml_providers()
        self.assertEqual(cm.exception.response["Error"]["Code"], "NotImplemented")
        self.assertIn("ListSAMLProviders", cm.exception.response["Error"]["Message"])

    def test_region_from_scope(self):
        sts = self.srv.client("sts", region="eu-west-1")
        self.assertEqual(sts.get_caller_identity()["Account"], "000000000000")


class TestEnvCommand(unittest.TestCase):
    def test_env_exports_work(self):
        with SlipwayServer() as srv:
            out = subprocess.run([slipway_binary(), "env", "--data", srv.data_dir],
                                 capture_output=True, text=True, check=True).stdout
            self.assertIn(f"export AWS_ENDPOINT_URL='{srv.endpoint}'", out)
            # The endpoint is passed explicitly too: the CLI v1 and v2 before
            # 2.13 (Debian 12's) do not read AWS_ENDPOINT_URL.
            script = out + ('\naws --endpoint-url "$AWS_ENDPOINT_URL" sts get-caller-identity'
                            ' --output json\n')
            env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            env["AWS_CONFIG_FILE"] = "/dev/null"
            env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
            p = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(json.loads(p.stdout)["Arn"], "arn:aws:iam::000000000000:user/admin")

    def test_env_without_data(self):
        p = subprocess.run([slipway_binary(), "env", "--data", "/nonexistent/slipway"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no credentials", p.stderr)
        self.assertEqual(p.stdout, "")


class TestCommandLine(unittest.TestCase):
    def run_slipway(self, *args):
        return subprocess.run([slipway_binary(), *args], capture_output=True, text=True,
                              timeout=20)

    def test_version_and_help(self):
        p = self.run_slipway("version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^slipway \d+\.\d+\.\d+\n$")
        p = self.run_slipway("help")
        self.assertEqual(p.returncode, 0)
        for cmd in ("server", "env", "version", "help"):
            self.assertIn(cmd, p.stdout)
        p = self.run_slipway("server", "--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("--listen", p.stdout)

    def test_unknown_command_and_option(self):
        p = self.run_slipway("frobnicate")
        self.assertEqual(p.returncode, 2)
        self.assertIn("'frobnicate'", p.stderr)
        p = self.run_slipway("server", "--bogus")
        self.assertEqual(p.returncode, 2)
        self.assertIn("'--bogus'", p.stderr)
        self.assertNotIn("usage", p.stderr)

    def test_non_loopback_needs_tls(self):
        p = self.run_slipway("server", "--listen", "0.0.0.0:0", "--data", "/tmp/never-created")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--tls-cert", p.stderr)

    def test_auth_open_refused_off_loopback(self):
        p = self.run_slipway("server", "--listen", "0.0.0.0:0", "--allow-plain-http",
                             "--auth", "open", "--data", "/tmp/never-created")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--auth open", p.stderr)

    def test_open_data_directory_refused(self):
        import tempfile
        d = tempfile.mkdtemp(prefix="slipway-open-")
        os.chmod(d, 0o755)
        try:
            p = self.run_slipway("server", "--listen", "127.0.0.1:0", "--data", d)
            self.assertEqual(p.returncode, 1)
            self.assertIn("chmod 700", p.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, "credentials")))
        finally:
            subprocess.run(["rm", "-rf", d])

    def test_state_files_are_private(self):
        with SlipwayServer() as srv:
            for name in os.listdir(srv.data_dir):
                if name == "server.log":
                    continue
                mode = stat.S_IMODE(os.stat(os.path.join(srv.data_dir, name)).st_mode)
                self.assertEqual(mode & 0o077, 0, f"{name} is mode {oct(mode)}")

    def test_bad_account_id(self):
        p = self.run_slipway("server", "--account-id", "12ab", "--data", "/tmp/never-created")
        self.assertEqual(p.returncode, 2)
        self.assertIn("12 digits", p.stderr)


class TestAuthOpen(unittest.TestCase):
    def test_any_signature_is_admin(self):
        with SlipwayServer("--auth", "open") as srv:
            sts = srv.client("sts", access_key="AKIAANYTHING00000000", secret_key="z" * 40)
            ident = sts.get_caller_identity()
            self.assertEqual(ident["Arn"], "arn:aws:iam::000000000000:user/admin")


class TestAccountId(unittest.TestCase):
    def test_custom_account(self):
        with SlipwayServer("--account-id", "123456789012") as srv:
            ident = srv.client("sts").get_caller_identity()
            self.assertEqual(ident["Account"], "123456789012")
            self.assertEqual(ident["Arn"], "arn:aws:iam::123456789012:user/admin")


class TestRestart(unittest.TestCase):
    def test_credentials_survive_restart(self):
        srv = SlipwayServer()
        try:
            srv.start()
            key = srv.access_key
            user = srv.client("iam").create_user(UserName="keeps")["User"]
            self.assertEqual(srv.stop(), 0)
            srv.start()
            self.assertEqual(srv.access_key, key)
            self.assertEqual(srv.client("iam").get_user(UserName="keeps")["User"]["UserId"],
                             user["UserId"])
        finally:
            srv.stop()
            srv.cleanup()


class TestGracefulStop(unittest.TestCase):
    def test_sigterm_exits_zero_and_finishes_in_flight(self):
        srv = SlipwayServer()
        try:
            srv.start()
            sts = srv.client("sts")
            results = []

            def hammer():
                end = time.time() + 1.0
                while time.time() < end:
                    try:
                        sts.get_caller_identity()
                        results.append("ok")
                    except Exception as e:  # connection refused after the stop
                        results.append(type(e).__name__)
                        return

            threads = [threading.Thread(target=hammer) for _ in range(4)]
            for t in threads:
                t.start()
            time.sleep(0.3)
            self.assertEqual(srv.stop(signal.SIGTERM), 0)
            for t in threads:
                t.join()
            self.assertIn("ok", results)
            # No request that reached the server may have failed mid-flight.
            self.assertNotIn("ClientError", results)
            self.assertIn('"stopped"', srv.read_log())
        finally:
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()


class TestTLS(unittest.TestCase):
    def test_https_with_self_signed_certificate(self):
        import ssl
        import tempfile
        d = tempfile.mkdtemp(prefix="slipway-tls-")
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        srv = SlipwayServer("--tls-cert", cert, "--tls-key", key)
        try:
            # start() polls plain HTTP; poll HTTPS here instead.
            srv.log = open(srv.log_path, "ab")
            srv.proc = subprocess.Popen(
                [slipway_binary(), "server", "--listen", f"127.0.0.1:{srv.port}",
                 "--data", srv.data_dir, "--tls-cert", cert, "--tls-key", key],
                stdout=srv.log, stderr=srv.log)
            ctx = ssl.create_default_context(cafile=cert)
            ctx.check_hostname = False
            url = f"https://127.0.0.1:{srv.port}/_slipway/health"
            deadline = time.time() + 20
            while True:
                try:
                    with urllib.request.urlopen(url, context=ctx, timeout=2) as r:
                        self.assertEqual(r.status, 200)
                        break
                except OSError:
                    if time.time() > deadline:
                        self.fail("no HTTPS answer: " + srv.read_log())
                    time.sleep(0.05)
            srv._load_credentials()
            import boto3
            sts = boto3.client("sts", endpoint_url=f"https://127.0.0.1:{srv.port}",
                               region_name="us-east-1", verify=cert,
                               aws_access_key_id=srv.access_key,
                               aws_secret_access_key=srv.secret_key)
            self.assertEqual(sts.get_caller_identity()["Account"], "000000000000")
            with open(os.path.join(srv.data_dir, "endpoint.json")) as f:
                self.assertTrue(json.load(f)["endpoint"].startswith("https://"))
        finally:
            self.assertEqual(srv.stop(), 0)
            srv.cleanup()
            subprocess.run(["rm", "-rf", d])
