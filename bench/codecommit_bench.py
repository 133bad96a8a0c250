#!/usr/bin/env python3
"""CodeCommit figures for docs/PERFORMANCE.md, run by bench/codecommit_run.sh.

Against a running slipway (ENDPOINT, DATA) and, when MOTO is set, a running
moto_server, in the same run:

  git     push and clone of a repository of FILES files / ~SIZE_MB MB through
          slipway's smart HTTP, against git's own transport from a local path
          (the physical limit: the same pack work without any server), the
          median of RUNS runs each. Clones are bare: checking out 10,000
          files is the client's disk work, the same whichever way the pack
          came, and would hide the transport in its noise.
  api     GetFile and GetDifferences latency through boto3 (p50/p99 of CALLS
          calls), with GetRepository as the request-path floor, and moto's
          GetRepository as the peer (moto has no GetFile).
  events  push to event-in-outbox: the event's created_ms minus the moment
          git wrote the ref (the loose ref file's mtime), over PUSHES pushes
          of one small commit each.
"""
import configparser
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

import boto3
from botocore.config import Config

ENDPOINT = os.environ["ENDPOINT"]
DATA = os.environ["DATA"]
MOTO = os.environ.get("MOTO")
FILES = int(os.environ.get("FILES", "10000"))
SIZE_MB = int(os.environ.get("SIZE_MB", "50"))
RUNS = int(os.environ.get("RUNS", "3"))
CALLS = int(os.environ.get("CALLS", "300"))
PUSHES = int(os.environ.get("PUSHES", "20"))
GIT = shutil.which("git")


def credentials():
    cp = configparser.ConfigParser()
    cp.read(os.path.join(DATA, "credentials"))
    return cp["default"]["aws_access_key_id"], cp["default"]["aws_secret_access_key"]


def client(service, endpoint):
    key, secret = credentials()
    return boto3.session.Session().client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
        aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))


def git(*args, cwd=None):
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1",
               HOME=cwd or os.getcwd())
    subprocess.run([GIT, *args], cwd=cwd, env=env, check=True, capture_output=True)


def timed(fn):
    # Dirty pages of the previous step would be written back during this
    # one and charge it for their I/O.
    os.sync()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def make_tree(root):
    """FILES files of random bytes (incompressible, so the pack is as big as
    the tree) in 100 folders, committed."""
    per_file = SIZE_MB * 1_000_000 // FILES
    os.makedirs(root)
    git("init", "-q", "-b", "main", root)
    for i in range(FILES):
        folder = os.path.join(root, f"d{i % 100:02d}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"f{i:05d}.bin"), "wb") as f:
            f.write(os.urandom(per_file))
    git("add", "-A", cwd=root)
    # No background gc racing the first timed push: pack the repository
    # now, as a working repository mostly is.
    git("-c", "user.name=bench", "-c", "user.email=bench@example.com", "-c", "gc.auto=0",
        "commit", "-q", "-m", "tree", cwd=root)
    git("repack", "-adq", cwd=root)


def report(label, values, unit="s"):
    med = statistics.median(values)
    runs = ", ".join(f"{v:.3f}" for v in values)
    print(f"   {label}: median {med:.3f} {unit} of {len(values)} ({runs})")
    return med


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def bench_git(cc, iam, work):
    cred = iam.create_service_specific_credential(UserName="admin",
                                                  ServiceName="codecommit.amazonaws.com")
    cred = cred["ServiceSpecificCredential"]
    user = urllib.parse.quote(cred["ServiceUserName"], safe="")
    password = urllib.parse.quote(cred["ServicePassword"], safe="")
    host = ENDPOINT.split("://", 1)[1]
    src = os.path.join(work, "src")
    make_tree(src)
    pack = subprocess.run([GIT, "count-objects", "-vH"], cwd=src, capture_output=True,
                          text=True).stdout
    print(f"== git: {FILES} files, {SIZE_MB} MB of random content "
          f"({' '.join(l for l in pack.splitlines() if l.startswith('size'))})")
    push_sw, push_local, clone_sw, clone_local, clone_hardlink = [], [], [], [], []
    for run in range(RUNS):
        name = f"bench-{run}-{int(time.time() * 1000)}"
        cc.create_repository(repositoryName=name)
        url = f"http://{user}:{password}@{host}/v1/repos/{name}"
        push_sw.append(timed(lambda: git("push", "-q", url, "main", cwd=src)))
        out = os.path.join(work, f"clone-sw-{run}")
        clone_sw.append(timed(lambda: git("clone", "-q", "--bare", url, out)))
        shutil.rmtree(out)
        bare = os.path.join(work, f"local-{run}.git")
        git("init", "-q", "--bare", bare)
        push_local.append(timed(lambda: git("push", "-q", bare, "main", cwd=src)))
        out = os.path.join(work, f"clone-local-{run}")
        clone_local.append(timed(lambda: git("clone", "-q", "--bare", "--no-local", bare, out)))
        shutil.rmtree(out)
        out = os.path.join(work, f"clone-hardlink-{run}")
        clone_hardlink.append(timed(lambda: git("clone", "-q", "--bare", bare, out)))
        shutil.rmtree(out)
        shutil.rmtree(bare)
        cc.delete_repository(repositoryName=name)
    a = report("push through slipway (smart HTTP)", push_sw)
    b = report("push to a local path (git's own transport)", push_local)
    print(f"   push: slipway takes {a / b:.2f}x the local push")
    a = report("clone --bare through slipway (smart HTTP)", clone_sw)
    b = report("clone --bare --no-local from a local path (pack transfer)", clone_local)
    report("clone --bare from a local path (hard links, no pack)", clone_hardlink)
    print(f"   clone: slipway takes {a / b:.2f}x the local pack clone")


def latencies(call, n):
    out = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def line(label, ms):
    print(f"   {label}: p50 {percentile(ms, 50):.2f} ms, p99 {percentile(ms, 99):.2f} ms "
          f"({len(ms)} calls)")


def bench_api(cc):
    name = f"bench-api-{int(time.time() * 1000)}"
    cc.create_repository(repositoryName=name)
    parent = None
    files = [{"filePath": f"src/f{i:03d}.txt", "fileContent": os.urandom(2000).hex().encode()}
             for i in range(100)]
    first = cc.create_commit(repositoryName=name, branchName="main", putFiles=files,
                             commitMessage="a", authorName="bench", email="b@example.com")
    parent = first["commitId"]
    changed = [{"filePath": f"src/f{i:03d}.txt", "fileContent": b"changed %d\n" % i}
               for i in range(10)]
    second = cc.create_commit(repositoryName=name, branchName="main", parentCommitId=parent,
                              putFiles=changed, commitMessage="b", authorName="bench",
                              email="b@example.com")["commitId"]
    print(f"== api: boto3 calls, {CALLS} each, one connection")
    cc.get_repository(repositoryName=name)
    line("GetRepository (request-path floor)",
         latencies(lambda: cc.get_repository(repositoryName=name), CALLS))
    line("GetFile (4 KB file at main)",
         latencies(lambda: cc.get_file(repositoryName=name, filePath="src/f050.txt"), CALLS))
    line("GetDifferences (10 of 100 files changed)",
         latencies(lambda: cc.get_differences(repositoryName=name, beforeCommitSpecifier=parent,
                                              afterCommitSpecifier=second), CALLS))
    cc.delete_repository(repositoryName=name)
    if MOTO:
        moto = client("codecommit", MOTO)
        moto.create_repository(repositoryName=name)
        line("moto_server GetRepository (peer)",
             latencies(lambda: moto.get_repository(repositoryName=name), CALLS))


def bench_events(cc, iam, work):
    cred = iam.create_service_specific_credential(UserName="admin",
                                                  ServiceName="codecommit.amazonaws.com")
    cred = cred["ServiceSpecificCredential"]
    user = urllib.parse.quote(cred["ServiceUserName"], safe="")
    password = urllib.parse.quote(cred["ServicePassword"], safe="")
    host = ENDPOINT.split("://", 1)[1]
    name = f"bench-events-{int(time.time() * 1000)}"
    meta = cc.create_repository(repositoryName=name)["repositoryMetadata"]
    repo_dir = os.path.join(DATA, "codecommit", meta["repositoryId"] + ".git")
    url = f"http://{user}:{password}@{host}/v1/repos/{name}"
    wt = os.path.join(work, "events")
    git("init", "-q", "-b", "main", wt)
    db = sqlite3.connect(f"file:{os.path.join(DATA, 'state.db')}?mode=ro", uri=True)
    lag, push = [], []
    for i in range(PUSHES):
        with open(os.path.join(wt, "n.txt"), "w") as f:
            f.write(f"{i}\n")
        git("add", "n.txt", cwd=wt)
        git("-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m",
            str(i), cwd=wt)
        seq = db.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()[0]
        push.append(timed(lambda: git("push", "-q", url, "main", cwd=wt)) * 1000)
        ref_ns = os.stat(os.path.join(repo_dir, "refs", "heads", "main")).st_mtime_ns
        row = db.execute("SELECT created_ms FROM outbox WHERE seq > ? AND body LIKE ? "
                         "ORDER BY seq LIMIT 1", (seq, f'%"{name}"%')).fetchone()
        if row is None:
            sys.exit("bench: a push left no event in the outbox")
        lag.append(row[0] - ref_ns / 1e6)
    print(f"== events: {PUSHES} pushes of one small commit")
    line("git push (whole client command, 2 HTTP requests)", push)
    line("ref written by git -> event in the outbox", lag)
    cc.delete_repository(repositoryName=name)


def main():
    cc = client("codecommit", ENDPOINT)
    iam = client("iam", ENDPOINT)
    work = tempfile.mkdtemp(prefix="slipway-ccbench-")
    try:
        which = sys.argv[1:] or ["git", "api", "events"]
        if "events" in which:
            bench_events(cc, iam, work)
        if "api" in which:
            bench_api(cc)
        if "git" in which:
            bench_git(cc, iam, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
