"""CodeCommit across kill -9: a ref that reached the disk but not the store
(git moved it, the server died before recording it) gets its event and its
place in the API when the server starts again, and a server killed in the
middle of a push leaves a sound repository whose recorded refs match the
disk after the restart, with an event for every ref that moved."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

from slipway_server import SlipwayServer

GIT = shutil.which("git")


def git(*args, cwd=None, check=True, timeout=120):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": cwd or "/tmp",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    p = subprocess.run([GIT, *args], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {p.stderr}")
    return p.stdout.strip()


class TestCrash(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="slipway-cc-crash-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.data = os.path.join(self.tmp, "data")
        os.mkdir(self.data, 0o700)
        self.srv = SlipwayServer(data_dir=self.data).start()
        # Whichever server is current at the end (restart() replaces it).
        self.addCleanup(lambda: self.srv.stop())

    def restart(self):
        self.srv.stop()
        self.srv = SlipwayServer(data_dir=self.data, port=self.srv.port).start()

    def events(self, repo):
        db = sqlite3.connect(f"file:{os.path.join(self.data, 'state.db')}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT body FROM outbox ORDER BY seq").fetchall()
        finally:
            db.close()
        out = []
        for (body,) in rows:
            e = json.loads(body)
            if (e.get("detail-type") == "CodeCommit Repository State Change"
                    and e["detail"].get("repositoryName") == repo):
                out.append(e["detail"])
        return out

    def disk_refs(self, bare):
        lines = git("--git-dir", bare, "for-each-ref", "--format=%(refname) %(objectname)")
        return dict(line.split() for line in lines.splitlines() if line)

    def work_tree(self, name, files=1, size=10):
        work = os.path.join(self.tmp, name)
        git("init", "-q", "-b", "main", work)
        for i in range(files):
            with open(os.path.join(work, f"f{i}.bin"), "wb") as f:
                f.write(os.urandom(size))
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", "content", cwd=work)
        return work

    def test_ref_moved_while_down(self):
        cc = self.srv.client("codecommit")
        meta = cc.create_repository(repositoryName="down")["repositoryMetadata"]
        bare = os.path.join(self.data, "codecommit", meta["repositoryId"] + ".git")
        self.srv.stop(sig=signal.SIGKILL)
        # What a push leaves when the server dies between git's ref update
        # and its record: the ref on disk, nothing in the store.
        work = self.work_tree("w")
        head = git("rev-parse", "HEAD", cwd=work)
        git("push", "-q", bare, "main", cwd=work)
        self.assertEqual(self.events("down"), [])
        self.restart()
        cc = self.srv.client("codecommit")
        self.assertEqual(cc.get_branch(repositoryName="down", branchName="main")
                         ["branch"]["commitId"], head)
        self.assertEqual(cc.get_repository(repositoryName="down")["repositoryMetadata"]
                         ["defaultBranch"], "main")
        events = self.events("down")
        self.assertEqual([(e["event"], e["referenceFullName"], e["commitId"]) for e in events],
                         [("referenceCreated", "refs/heads/main", head)])
        self.assertNotIn("callerUserArn", events[0])
        # A second start finds nothing more to record.
        self.restart()
        self.assertEqual(len(self.events("down")), 1)

    def test_killed_mid_push(self):
        cc = self.srv.client("codecommit")
        iam = self.srv.client("iam")
        meta = cc.create_repository(repositoryName="mid")["repositoryMetadata"]
        bare = os.path.join(self.data, "codecommit", meta["repositoryId"] + ".git")
        cred = iam.create_service_specific_credential(
            UserName="admin", ServiceName="codecommit.amazonaws.com")["ServiceSpecificCredential"]
        userinfo = (urllib.parse.quote(cred["ServiceUserName"], safe="") + ":" +
                    urllib.parse.quote(cred["ServicePassword"], safe=""))
        url = f"http://{userinfo}@127.0.0.1:{self.srv.port}/v1/repos/mid"
        first = self.work_tree("first")
        git("push", "-q", url, "main", cwd=first)
        # A 30 MB push to a new branch, killed while the pack is on its way
        # or being stored.
        work = self.work_tree("big", files=30, size=1_000_000)
        result = {}

        def push():
            p = subprocess.run([GIT, "push", "-q", url, "main:big"], cwd=work,
                               capture_output=True, text=True, timeout=120,
                               env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                    "HOME": work, "GIT_TERMINAL_PROMPT": "0"})
            result["rc"] = p.returncode

        t = threading.Thread(target=push)
        t.start()
        time.sleep(0.4)
        self.srv.stop(sig=signal.SIGKILL)
        t.join(120)
        # Whatever git the dead server had started may still finish; wait
        # until the repository is quiet before starting again.
        for _ in range(100):
            busy = subprocess.run(["pgrep", "-f", meta["repositoryId"]],
                                  capture_output=True).returncode == 0
            if not busy:
                break
            time.sleep(0.1)
        self.restart()
        git("--git-dir", bare, "fsck", "--strict", "--no-dangling")
        disk = self.disk_refs(bare)
        cc = self.srv.client("codecommit")
        api = {f"refs/heads/{b}": cc.get_branch(repositoryName="mid", branchName=b)
               ["branch"]["commitId"]
               for b in cc.list_branches(repositoryName="mid")["branches"]}
        self.assertEqual(api, disk)
        # Every ref on disk has its creation event, with its commit.
        created = {e["referenceFullName"]: e["commitId"] for e in self.events("mid")
                   if e["event"] == "referenceCreated"}
        self.assertEqual(created, disk)
        # The push either happened or not; a failed client means no branch
        # only if git never stored it.
        if result.get("rc") == 0:
            self.assertIn("refs/heads/big", disk)


if __name__ == "__main__":
    unittest.main()
