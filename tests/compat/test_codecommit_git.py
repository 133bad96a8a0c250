"""CodeCommit's git transport (smart HTTP through git http-backend) judged
by the real `git` binary: clone, push, fetch, shallow clones, tags, force
pushes, branch deletion, protocol v2; both credential kinds (the aws CLI's
credential helper and IAM service-specific credentials); 401 for wrong
credentials, 403 for a user without codecommit:GitPush and for a branch a
policy protects (codecommit:References); the /<region>/v1/repos/ form;
two pushes racing on one branch; and a ~100 MB push and clone in bounded
server memory (LARGE: test_large_push_and_clone, 10 to 25 s)."""
import base64
import json
import os
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.error
import urllib.parse
import urllib.request


from slipway_server import ServerTestCase

GIT = "git"


class TestCodeCommitGit(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cc = cls.srv.client("codecommit")
        cls.home = tempfile.mkdtemp(prefix="slipway-git-home-")

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    # --- helpers ---------------------------------------------------------

    def repo(self, name, region="us-east-1"):
        cc = self.cc if region == "us-east-1" else self.srv.client("codecommit", region=region)
        meta = cc.create_repository(repositoryName=name)["repositoryMetadata"]
        return meta

    def url(self, name, region=None, userinfo=""):
        host = f"127.0.0.1:{self.srv.port}"
        if userinfo:
            host = userinfo + "@" + host
        prefix = f"/{region}" if region else ""
        return f"http://{host}{prefix}/v1/repos/{name}"

    def env(self, access_key=None, secret_key=None, token=None, region="us-east-1"):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
            "AWS_ACCESS_KEY_ID": access_key or self.srv.access_key,
            "AWS_SECRET_ACCESS_KEY": secret_key or self.srv.secret_key,
            "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }
        if token:
            env["AWS_SESSION_TOKEN"] = token
        return env

    def helper_args(self):
        # The aws CLI of the interpreter running the tests (pip's awscli,
        # or Debian's v2 under /usr/bin/python3).
        helper = f"!{sys.executable} -m awscli codecommit credential-helper --ignore-host-check $@"
        return ["-c", f"credential.helper={helper}", "-c", "credential.UseHttpPath=true"]

    def git(self, *args, cwd=None, env=None, helper=True, check=True, timeout=120):
        cmd = [GIT, *(self.helper_args() if helper else []), *args]
        p = subprocess.run(cmd, cwd=cwd or self.tmp.name, env=env or self.env(),
                           capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({p.returncode}):\n{p.stderr}\n"
                                 f"server log:\n{self.srv.read_log()[-2000:]}")
        return p

    def commit(self, work, path, text, message=None):
        with open(os.path.join(work, path), "w") as f:
            f.write(text)
        self.git("add", path, cwd=work, helper=False)
        self.git("commit", "-q", "-m", message or f"edit {path}", cwd=work, helper=False)
        return self.git("rev-parse", "HEAD", cwd=work, helper=False).stdout.strip()

    def clone(self, url, dest, *extra, env=None):
        path = os.path.join(self.tmp.name, dest)
        self.git("clone", "-q", *extra, url, path, env=env)
        return path

    def server_repo(self, meta):
        return os.path.join(self.srv.data_dir, "codecommit", meta["repositoryId"] + ".git")

    def remote_ref(self, url, ref, env=None):
        out = self.git("ls-remote", url, ref, env=env).stdout.split()
        return out[0] if out else None

    def make_user(self, name, policy):
        self.iam.create_user(UserName=name)
        self.iam.put_user_policy(UserName=name, PolicyName="git",
                                 PolicyDocument=json.dumps(policy))
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        return self.env(key["AccessKeyId"], key["SecretAccessKey"])

    # --- the protocol ----------------------------------------------------

    def test_empty_clone_push_clone_fetch(self):
        self.repo("basic")
        url = self.url("basic")
        a = self.clone(url, "a")
        self.assertEqual(os.listdir(a), [".git"])
        first = self.commit(a, "README", "hello\n")
        self.git("push", "-q", "origin", "HEAD:main", cwd=a)
        self.assertEqual(self.remote_ref(url, "refs/heads/main"), first)

        b = self.clone(url, "b")
        with open(os.path.join(b, "README")) as f:
            self.assertEqual(f.read(), "hello\n")
        second = self.commit(a, "README", "hello again\n")
        self.git("push", "-q", "origin", "HEAD:main", cwd=a)
        self.git("fetch", "-q", "origin", cwd=b)
        self.assertEqual(self.git("rev-parse", "origin/main", cwd=b, helper=False).stdout.strip(),
                         second)
        # The API sees what the push did.
        branch = self.cc.get_branch(repositoryName="basic", branchName="main")["branch"]
        self.assertEqual(branch["commitId"], second)

    def test_shallow_tags_force_push_and_delete(self):
        self.repo("history")
        url = self.url("history")
        a = self.clone(url, "a")
        for i in range(5):
            self.commit(a, "n", f"{i}\n")
        self.git("tag", "v1", cwd=a, helper=False)
        self.git("tag", "-a", "v1-annotated", "-m", "release", cwd=a, helper=False)
        self.git("push", "-q", "origin", "HEAD:main", "--tags", cwd=a)

        shallow = self.clone(url, "shallow", "--depth", "1")
        count = self.git("rev-list", "--count", "HEAD", cwd=shallow, helper=False).stdout.strip()
        self.assertEqual(count, "1")
        self.assertEqual(self.git("cat-file", "-t", "v1-annotated", cwd=a,
                                  helper=False).stdout.strip(), "tag")
        tags = self.git("ls-remote", "--tags", url).stdout
        self.assertIn("refs/tags/v1\n", tags)
        self.assertIn("refs/tags/v1-annotated", tags)

        # Force push: history rewritten.
        self.git("reset", "-q", "--hard", "HEAD~2", cwd=a, helper=False)
        rewritten = self.commit(a, "other", "x\n")
        p = self.git("push", "origin", "HEAD:main", cwd=a, check=False)
        self.assertNotEqual(p.returncode, 0)  # not a fast-forward
        self.git("push", "-q", "--force", "origin", "HEAD:main", cwd=a)
        self.assertEqual(self.remote_ref(url, "refs/heads/main"), rewritten)

        # A branch made and deleted by push.
        self.git("push", "-q", "origin", "HEAD:refs/heads/topic", cwd=a)
        self.assertEqual(self.remote_ref(url, "refs/heads/topic"), rewritten)
        self.git("push", "-q", "origin", "--delete", "topic", cwd=a)
        self.assertIsNone(self.remote_ref(url, "refs/heads/topic"))
        names = self.cc.list_branches(repositoryName="history")["branches"]
        self.assertEqual(names, ["main"])

    def test_protocol_v2(self):
        self.repo("v2")
        url = self.url("v2")
        a = self.clone(url, "a")
        self.commit(a, "f", "v2\n")
        self.git("push", "-q", "origin", "HEAD:main", cwd=a)
        env = self.env()
        env["GIT_TRACE_PACKET"] = "1"
        p = self.git("-c", "protocol.version=2", "clone", url, os.path.join(self.tmp.name, "b"),
                     env=env)
        self.assertIn("version 2", p.stderr)
        self.assertIn("ls-refs", p.stderr)

    # --- authentication --------------------------------------------------

    def test_unauthenticated_and_wrong_credentials(self):
        self.repo("locked")
        # No credentials: 401 with a Basic challenge, for a repository that
        # exists and for one that does not alike.
        for name in ("locked", "no-such-repo"):
            req = urllib.request.Request(self.url(name) + "/info/refs?service=git-upload-pack")
            with self.assertRaises(urllib.error.HTTPError) as cm:
                urllib.request.urlopen(req, timeout=10)
            self.assertEqual(cm.exception.code, 401)
            self.assertIn("Basic", cm.exception.headers.get("WWW-Authenticate", ""))
        # A wrong password: still 401 (git says authentication failed).
        auth = base64.b64encode(b"nobody:wrong").decode()
        req = urllib.request.Request(self.url("locked") + "/info/refs?service=git-upload-pack",
                                     headers={"Authorization": "Basic " + auth})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req, timeout=10)
        self.assertEqual(cm.exception.code, 401)
        p = self.git("clone", self.url("locked", userinfo="nobody:wrong"),
                     os.path.join(self.tmp.name, "x"), helper=False, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("Authentication failed", p.stderr)
        # A wrong secret through the helper: refused too.
        p = self.git("clone", self.url("locked"), os.path.join(self.tmp.name, "y"),
                     env=self.env(secret_key="x" * 40), check=False)
        self.assertNotEqual(p.returncode, 0)
        # Authenticated, repository absent: 404.
        p = self.git("ls-remote", self.url("no-such-repo"), check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("not found", p.stderr.lower())

    def test_service_specific_credentials(self):
        self.repo("svc")
        self.iam.create_user(UserName="svc-user")
        self.iam.put_user_policy(UserName="svc-user", PolicyName="git", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["codecommit:GitPull",
                                                         "codecommit:GitPush"],
                           "Resource": "*"}]}))
        cred = self.iam.create_service_specific_credential(
            UserName="svc-user", ServiceName="codecommit.amazonaws.com")
        cred = cred["ServiceSpecificCredential"]
        userinfo = (urllib.parse.quote(cred["ServiceUserName"], safe="") + ":" +
                    urllib.parse.quote(cred["ServicePassword"], safe=""))
        url = self.url("svc", userinfo=userinfo)
        a = self.clone(url, "a", env=self.env())
        head = self.commit(a, "f", "svc\n")
        self.git("push", "-q", "origin", "HEAD:main", cwd=a, helper=False)
        self.assertEqual(self.remote_ref(self.url("svc"), "refs/heads/main"), head)
        bad = self.url("svc", userinfo=urllib.parse.quote(cred["ServiceUserName"], safe="") +
                       ":wrong-password")
        p = self.git("ls-remote", bad, helper=False, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("Authentication failed", p.stderr)

    def test_temporary_credentials(self):
        self.repo("temp")
        creds = self.sts.get_session_token()["Credentials"]
        env = self.env(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        a = self.clone(self.url("temp"), "a", env=env)
        self.commit(a, "f", "t\n")
        self.git("push", "-q", "origin", "HEAD:main", cwd=a, env=env)

    # --- authorization ---------------------------------------------------

    def test_pull_only_user_cannot_push(self):
        meta = self.repo("readonly")
        url = self.url("readonly")
        a = self.clone(url, "a")
        self.commit(a, "f", "1\n")
        self.git("push", "-q", "origin", "HEAD:main", cwd=a)

        reader = self.make_user("reader", {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "codecommit:GitPull",
                           "Resource": meta["Arn"]}]})
        b = self.clone(url, "b", env=reader)
        self.commit(b, "f", "2\n")
        p = self.git("push", "origin", "HEAD:main", cwd=b, env=reader, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("403", p.stderr)

        nobody = self.make_user("nobody", {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "codecommit:GitPull",
                           "Resource": "arn:aws:codecommit:us-east-1:000000000000:other"}]})
        p = self.git("ls-remote", url, env=nobody, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("403", p.stderr)

    def test_protected_branch(self):
        meta = self.repo("protected")
        url = self.url("protected")
        a = self.clone(url, "a")
        base = self.commit(a, "f", "1\n")
        self.git("push", "-q", "origin", "HEAD:main", cwd=a)
        # The policy of AWS's "Limit pushes and merges to branches".
        dev = self.make_user("dev", {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["codecommit:GitPull", "codecommit:GitPush"],
                 "Resource": meta["Arn"]},
                {"Effect": "Deny", "Action": ["codecommit:GitPush", "codecommit:DeleteBranch",
                                              "codecommit:PutFile", "codecommit:Merge*"],
                 "Resource": meta["Arn"],
                 "Condition": {
                     "StringEqualsIfExists": {"codecommit:References": ["refs/heads/main"]},
                     "Null": {"codecommit:References": "false"}}}]})
        b = self.clone(url, "b", env=dev)
        self.commit(b, "f", "2\n")
        p = self.git("push", "origin", "HEAD:main", cwd=b, env=dev, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("403", p.stderr)
        self.assertEqual(self.remote_ref(url, "refs/heads/main"), base)
        # Other branches are open to the same user.
        self.git("push", "-q", "origin", "HEAD:refs/heads/feature", cwd=b, env=dev)
        # One push naming main among others is refused whole.
        p = self.git("push", "origin", "HEAD:refs/heads/feature2", "HEAD:main", cwd=b, env=dev,
                     check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIsNone(self.remote_ref(url, "refs/heads/feature2"))

    # --- addressing ------------------------------------------------------

    def test_region_path(self):
        self.repo("west", region="us-west-2")
        env = self.env(region="us-west-2")
        url = self.url("west", region="us-west-2")
        a = self.clone(url, "a", env=env)
        head = self.commit(a, "f", "west\n")
        self.git("push", "-q", "origin", "HEAD:main", cwd=a, env=env)
        self.assertEqual(self.remote_ref(url, "refs/heads/main", env=env), head)
        west = self.srv.client("codecommit", region="us-west-2")
        self.assertEqual(west.get_branch(repositoryName="west", branchName="main")
                         ["branch"]["commitId"], head)
        # The default-region path does not reach it.
        p = self.git("ls-remote", self.url("west"), check=False)
        self.assertNotEqual(p.returncode, 0)

    # --- concurrency -----------------------------------------------------

    def test_racing_pushes(self):
        meta = self.repo("race")
        url = self.url("race")
        a = self.clone(url, "a")
        base = self.commit(a, "f", "base\n")
        self.git("push", "-q", "origin", "HEAD:main", cwd=a)
        works = []
        for i in range(2):
            w = self.clone(url, f"w{i}")
            # Enough content that the two requests overlap.
            with open(os.path.join(w, "blob"), "wb") as f:
                f.write(os.urandom(2_000_000))
            self.git("add", "blob", cwd=w, helper=False)
            self.commit(w, "f", f"racer {i}\n")
            works.append(w)
        results = [None, None]
        start = threading.Barrier(2)

        def push(i):
            start.wait()
            results[i] = self.git("push", "origin", "HEAD:main", cwd=works[i], check=False)

        threads = [threading.Thread(target=push, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ok = [r.returncode == 0 for r in results]
        self.assertEqual(sorted(ok), [False, True], [r.stderr for r in results])
        winner = ok.index(True)
        head = self.git("rev-parse", "HEAD", cwd=works[winner], helper=False).stdout.strip()
        self.assertEqual(self.remote_ref(url, "refs/heads/main"), head)
        self.assertNotEqual(head, base)
        subprocess.run([GIT, "--git-dir", self.server_repo(meta), "fsck", "--strict"],
                       check=True, capture_output=True, env=self.env())

    # --- size (LARGE) ----------------------------------------------------

    def test_large_push_and_clone(self):
        """LARGE: ~100 MB of random content pushed and cloned back (about
        10 to 25 s on 2 cores). The server streams both ways: its peak
        memory grows by far less than the pack it carried. Speed is
        measured in bench/codecommit_run.sh, not asserted here."""
        self.repo("large")
        url = self.url("large")
        a = self.clone(url, "a")
        with open(os.path.join(a, "big.bin"), "wb") as f:
            for _ in range(100):
                f.write(os.urandom(1_000_000))
        self.git("add", "big.bin", cwd=a, helper=False)
        head = self.commit(a, "note", "large\n")
        rss_before = self.server_memory_kb("VmRSS")
        self.git("push", "-q", "origin", "HEAD:main", cwd=a, timeout=300)
        b = self.clone(url, "b")
        self.assertEqual(self.git("rev-parse", "HEAD", cwd=b, helper=False).stdout.strip(), head)
        self.assertEqual(os.path.getsize(os.path.join(b, "big.bin")), 100_000_000)
        peak = self.server_memory_kb("VmHWM")
        self.assertLess(peak - rss_before, 40_000,
                        f"the server's peak RSS grew by {(peak - rss_before) // 1000} MB "
                        "while carrying a 100 MB pack")

    def server_memory_kb(self, field):
        with open(f"/proc/{self.srv.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise AssertionError(f"no {field} in /proc/{self.srv.proc.pid}/status")

if __name__ == "__main__":
    unittest.main()
