"""CodeCommit comments and reactions judged by boto3 and the aws CLI, on
commits pushed with the real `git`: comments on compared commits with
locations (blob ids, lines), replies, idempotency tokens, edits and
deletion by their author only, paging, emoji reactions by two users, and
AWS's errors for bad input; comments on pull requests when the server has
pull requests."""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import uuid


from slipway_server import ServerTestCase

SHA_MISSING = "0123456789abcdef0123456789abcdef01234567"


class CommentsCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cc = cls.srv.client("codecommit")
        cls.home = tempfile.mkdtemp(prefix="slipway-git-home-")
        cls.tmp = tempfile.mkdtemp(prefix="slipway-comments-")
        cls.cc.create_repository(repositoryName="talk")
        work = os.path.join(cls.tmp, "work")
        cls.git("clone", "-q", cls.url("talk"), work)
        os.makedirs(os.path.join(work, "dir"))
        cls.write(work, "dir/x.txt", "x\n")
        cls.write(work, "a.txt", "one\ntwo\nthree\n")
        cls.git("add", "-A", cwd=work)
        cls.git("commit", "-q", "-m", "first", cwd=work)
        cls.c1 = cls.git("rev-parse", "HEAD", cwd=work).strip()
        cls.write(work, "a.txt", "one\ntwo\nthree\nfour\nfive\n")
        cls.write(work, "b.txt", "bee\n")
        cls.git("add", "-A", cwd=work)
        cls.git("commit", "-q", "-m", "second", cwd=work)
        cls.c2 = cls.git("rev-parse", "HEAD", cwd=work).strip()
        cls.git("push", "-q", "origin", "HEAD:main", cwd=work)

        # A second user, allowed CodeCommit.
        cls.iam.create_user(UserName="reviewer")
        cls.iam.put_user_policy(UserName="reviewer", PolicyName="cc", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "codecommit:*", "Resource": "*"}]}))
        key = cls.iam.create_access_key(UserName="reviewer")["AccessKey"]
        cls.other = cls.srv.client("codecommit", access_key=key["AccessKeyId"],
                                   secret_key=key["SecretAccessKey"])
        cls.other_arn = cls.srv.client(
            "sts", access_key=key["AccessKeyId"],
            secret_key=key["SecretAccessKey"]).get_caller_identity()["Arn"]
        cls.me = cls.sts.get_caller_identity()["Arn"]

    @classmethod
    def url(cls, name):
        return f"http://127.0.0.1:{cls.srv.port}/v1/repos/{name}"

    @staticmethod
    def write(work, path, text):
        with open(os.path.join(work, path), "w") as f:
            f.write(text)

    @classmethod
    def git(cls, *args, cwd=None):
        helper = f"!{sys.executable} -m awscli codecommit credential-helper --ignore-host-check $@"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": cls.home,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
            "AWS_ACCESS_KEY_ID": cls.srv.access_key,
            "AWS_SECRET_ACCESS_KEY": cls.srv.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }
        cmd = ["git", "-c", f"credential.helper={helper}", "-c", "credential.UseHttpPath=true",
               *args]
        p = subprocess.run(cmd, cwd=cwd or cls.tmp, env=env, capture_output=True, text=True,
                           timeout=120)
        if p.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {p.stderr}")
        return p.stdout

    def post(self, content, location=None, client=None, **kwargs):
        args = dict(repositoryName="talk", beforeCommitId=self.c1, afterCommitId=self.c2,
                    content=content, **kwargs)
        if location:
            args["location"] = location
        return (client or self.cc).post_comment_for_compared_commit(**args)


class TestComments(CommentsCase):
    def test_post_get_with_location(self):
        resp = self.post("why five lines?", {"filePath": "a.txt", "filePosition": 5,
                                             "relativeFileVersion": "AFTER"})
        self.assertEqual(resp["repositoryName"], "talk")
        self.assertEqual(resp["beforeCommitId"], self.c1)
        self.assertEqual(resp["afterCommitId"], self.c2)
        self.assertEqual(len(resp["beforeBlobId"]), 40)
        self.assertNotEqual(resp["beforeBlobId"], resp["afterBlobId"])
        self.assertEqual(resp["location"], {"filePath": "a.txt", "filePosition": 5,
                                            "relativeFileVersion": "AFTER"})
        c = resp["comment"]
        uuid.UUID(c["commentId"])
        self.assertEqual(c["content"], "why five lines?")
        self.assertEqual(c["authorArn"], self.me)
        self.assertFalse(c["deleted"])
        self.assertEqual(c["reactionCounts"], {})
        self.assertEqual(c["callerReactions"], [])
        got = self.cc.get_comment(commentId=c["commentId"])["comment"]
        self.assertEqual(got["content"], "why five lines?")
        self.assertEqual(got["creationDate"], c["creationDate"])

    def test_cli(self):
        out = self.srv.aws_json(
            "codecommit", "post-comment-for-compared-commit", "--repository-name", "talk",
            "--before-commit-id", self.c1, "--after-commit-id", self.c2, "--content", "cli",
            "--location", "filePath=a.txt,filePosition=2,relativeFileVersion=BEFORE")
        self.assertEqual(out["location"]["relativeFileVersion"], "BEFORE")
        cid = out["comment"]["commentId"]
        got = self.srv.aws_json("codecommit", "get-comment", "--comment-id", cid)
        self.assertEqual(got["comment"]["content"], "cli")
        rc, _, err = self.srv.aws("codecommit", "get-comment", "--comment-id",
                                  str(uuid.uuid4()), check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("CommentDoesNotExistException", err)

    def test_post_errors(self):
        post = self.cc.post_comment_for_compared_commit
        base = dict(repositoryName="talk", beforeCommitId=self.c1, afterCommitId=self.c2)
        self.assertClientError(post, "CommentContentRequiredException", content="", **base)
        self.assertClientError(post, "CommentContentSizeLimitExceededException",
                               content="x" * 10241, **base)
        self.post("y" * 10240)
        self.assertClientError(post, "CommitDoesNotExistException", content="x",
                               repositoryName="talk", afterCommitId=SHA_MISSING)
        self.assertClientError(post, "InvalidCommitIdException", content="x",
                               repositoryName="talk", afterCommitId="main")
        self.assertClientError(post, "BeforeCommitIdAndAfterCommitIdAreSameException",
                               content="x", repositoryName="talk", beforeCommitId=self.c2,
                               afterCommitId=self.c2)
        self.assertClientError(post, "RepositoryDoesNotExistException", content="x",
                               repositoryName="nope", afterCommitId=self.c2)
        loc = lambda **kw: dict(content="x", location=kw, **base)  # noqa: E731
        self.assertClientError(post, "PathDoesNotExistException",
                               **loc(filePath="missing.txt", filePosition=1,
                                     relativeFileVersion="AFTER"))
        self.assertClientError(post, "PathDoesNotExistException",
                               **loc(filePath="b.txt", filePosition=1,
                                     relativeFileVersion="BEFORE"))
        self.assertClientError(post, "InvalidFilePositionException",
                               **loc(filePath="a.txt", filePosition=6,
                                     relativeFileVersion="AFTER"))
        self.assertClientError(post, "InvalidFileLocationException",
                               **loc(filePath="dir", relativeFileVersion="AFTER"))
        self.assertClientError(post, "InvalidPathException",
                               **loc(filePath="../a.txt", relativeFileVersion="AFTER"))
        self.assertClientError(post, "InvalidRelativeFileVersionEnumException",
                               **loc(filePath="a.txt", relativeFileVersion="SIDEWAYS"))

    def test_idempotency(self):
        token = str(uuid.uuid4())
        a = self.post("once", clientRequestToken=token)["comment"]
        b = self.post("once", clientRequestToken=token)["comment"]
        self.assertEqual(a["commentId"], b["commentId"])
        self.assertEqual(a["clientRequestToken"], token)
        self.assertClientError(self.post, "IdempotencyParameterMismatchException",
                               content="changed", clientRequestToken=token)

    def test_reply_update_delete(self):
        parent = self.post("parent", {"filePath": "a.txt", "filePosition": 1,
                                      "relativeFileVersion": "AFTER"})["comment"]["commentId"]
        reply = self.other.post_comment_reply(inReplyTo=parent, content="reply")["comment"]
        self.assertEqual(reply["inReplyTo"], parent)
        self.assertEqual(reply["authorArn"], self.other_arn)
        self.assertClientError(self.other.update_comment, "CommentNotCreatedByCallerException",
                               commentId=parent, content="mine now")
        upd = self.cc.update_comment(commentId=parent, content="edited")["comment"]
        self.assertEqual(upd["content"], "edited")
        self.assertClientError(self.cc.update_comment, "CommentContentRequiredException",
                               commentId=parent, content="")
        deleted = self.cc.delete_comment_content(commentId=parent)["comment"]
        self.assertTrue(deleted["deleted"])
        self.assertNotIn("content", deleted)
        self.assertTrue(self.cc.get_comment(commentId=parent)["comment"]["deleted"])
        self.assertClientError(self.cc.update_comment, "CommentDeletedException",
                               commentId=parent, content="again")
        self.assertClientError(self.cc.delete_comment_content, "CommentDeletedException",
                               commentId=parent)
        self.assertClientError(self.cc.get_comment, "InvalidCommentIdException",
                               commentId="not-a-comment")
        self.assertClientError(self.cc.post_comment_reply, "CommentDoesNotExistException",
                               inReplyTo=str(uuid.uuid4()), content="x")


class TestListing(CommentsCase):
    def test_groups_and_pages(self):
        self.cc.create_repository(repositoryName="listing")
        # Comments on the first commit alone (no before commit) in "talk".
        first = self.cc.post_comment_for_compared_commit(
            repositoryName="talk", afterCommitId=self.c1, content="c1 only",
            location={"filePath": "a.txt", "filePosition": 3,
                      "relativeFileVersion": "AFTER"})["comment"]["commentId"]
        general = self.cc.post_comment_for_compared_commit(
            repositoryName="talk", afterCommitId=self.c1, content="general")["comment"]
        self.cc.post_comment_reply(inReplyTo=first, content="re")
        data = self.cc.get_comments_for_compared_commit(
            repositoryName="talk", afterCommitId=self.c1)["commentsForComparedCommitData"]
        self.assertEqual(len(data), 2)
        self.assertEqual(data[0]["location"]["filePath"], "a.txt")
        self.assertNotIn("beforeCommitId", data[0])
        self.assertEqual([c["content"] for c in data[0]["comments"]], ["c1 only", "re"])
        self.assertEqual(data[1]["comments"][0]["commentId"], general["commentId"])

        page = self.cc.get_comments_for_compared_commit(
            repositoryName="talk", afterCommitId=self.c1, maxResults=1)
        self.assertIn("nextToken", page)
        paginator = self.cc.get_paginator("get_comments_for_compared_commit")
        seen = [c["content"] for p in paginator.paginate(
                    repositoryName="talk", afterCommitId=self.c1,
                    PaginationConfig={"PageSize": 1})
                for g in p["commentsForComparedCommitData"] for c in g["comments"]]
        self.assertEqual(seen, ["c1 only", "general", "re"])
        out = self.srv.aws_json("codecommit", "get-comments-for-compared-commit",
                                "--repository-name", "talk", "--after-commit-id", self.c1)
        self.assertEqual(sum(len(g["comments"]) for g in out["commentsForComparedCommitData"]),
                         3)

        self.assertClientError(self.cc.get_comments_for_compared_commit,
                               "InvalidMaxResultsException", repositoryName="talk",
                               afterCommitId=self.c1, maxResults=0)
        self.assertClientError(self.cc.get_comments_for_compared_commit,
                               "InvalidContinuationTokenException", repositoryName="talk",
                               afterCommitId=self.c1, nextToken="bogus")
        self.assertClientError(self.cc.get_comments_for_compared_commit,
                               "CommitDoesNotExistException", repositoryName="talk",
                               afterCommitId=SHA_MISSING)
        # Another repository has none of them.
        self.assertClientError(self.cc.get_comments_for_compared_commit,
                               "CommitDoesNotExistException", repositoryName="listing",
                               afterCommitId=self.c1)


class TestReactions(CommentsCase):
    def test_reactions(self):
        cid = self.post("react to me")["comment"]["commentId"]
        self.cc.put_comment_reaction(commentId=cid, reactionValue=":thumbsup:")
        self.other.put_comment_reaction(commentId=cid, reactionValue="\U0001F44D")
        self.cc.put_comment_reaction(commentId=cid, reactionValue="U+1F44E")  # replaces
        c = self.cc.get_comment(commentId=cid)["comment"]
        self.assertEqual(c["reactionCounts"], {":thumbsup:": 1, ":thumbsdown:": 1})
        self.assertEqual(c["callerReactions"], [":thumbsdown:"])
        resp = self.cc.get_comment_reactions(commentId=cid)
        got = {r["reaction"]["shortCode"]: r for r in resp["reactionsForComment"]}
        self.assertEqual(got[":thumbsup:"]["reactionUsers"], [self.other_arn])
        self.assertEqual(got[":thumbsup:"]["reaction"]["unicode"], "U+1F44D")
        self.assertEqual(got[":thumbsup:"]["reaction"]["emoji"], "\U0001F44D")
        self.assertEqual(got[":thumbsdown:"]["reactionUsers"], [self.me])
        self.assertEqual(got[":thumbsdown:"]["reactionsFromDeletedUsersCount"], 0)
        mine = self.cc.get_comment_reactions(commentId=cid, reactionUserArn=self.me)
        self.assertEqual(len(mine["reactionsForComment"]), 1)

        self.assertClientError(self.cc.put_comment_reaction, "InvalidReactionValueException",
                               commentId=cid, reactionValue=":not-an-emoji:")
        self.assertClientError(self.cc.get_comment_reactions, "InvalidReactionUserArnException",
                               commentId=cid, reactionUserArn="someone")
        self.assertClientError(self.cc.get_comment_reactions, "InvalidMaxResultsException",
                               commentId=cid, maxResults=1001)
        self.assertClientError(self.cc.put_comment_reaction, "CommentDoesNotExistException",
                               commentId=str(uuid.uuid4()), reactionValue=":thumbsup:")
        # "none" takes a reaction back.
        self.cc.put_comment_reaction(commentId=cid, reactionValue="none")
        c = self.cc.get_comment(commentId=cid)["comment"]
        self.assertEqual(c["reactionCounts"], {":thumbsup:": 1})
        self.assertEqual(c["callerReactions"], [])

    def test_cli_reaction(self):
        cid = self.post("cli reaction")["comment"]["commentId"]
        self.srv.aws("codecommit", "put-comment-reaction", "--comment-id", cid,
                     "--reaction-value", ":heart:")
        out = self.srv.aws_json("codecommit", "get-comment-reactions", "--comment-id", cid)
        self.assertEqual(out["reactionsForComment"][0]["reaction"]["shortCode"], ":heart:")


class TestPullRequestComments(CommentsCase):
    def test_unknown_pull_request(self):
        self.assertClientError(self.cc.post_comment_for_pull_request,
                               "PullRequestDoesNotExistException", pullRequestId="4242",
                               repositoryName="talk", beforeCommitId=self.c1,
                               afterCommitId=self.c2, content="x")
        self.assertClientError(self.cc.post_comment_for_pull_request,
                               "InvalidPullRequestIdException", pullRequestId="abc",
                               repositoryName="talk", beforeCommitId=self.c1,
                               afterCommitId=self.c2, content="x")
        self.assertClientError(self.cc.get_comments_for_pull_request,
                               "PullRequestDoesNotExistException", pullRequestId="4242")
        self.assertClientError(self.cc.get_comments_for_pull_request,
                               "CommitIdRequiredException", pullRequestId="4242",
                               repositoryName="talk")

    def test_pull_request(self):
        work = os.path.join(self.tmp, "pr")
        self.git("clone", "-q", self.url("talk"), work)
        self.git("checkout", "-q", "-b", "feature", cwd=work)
        self.write(work, "b.txt", "bee\nsting\n")
        self.git("commit", "-q", "-am", "feature", cwd=work)
        source = self.git("rev-parse", "HEAD", cwd=work).strip()
        self.git("push", "-q", "origin", "feature", cwd=work)
        pr = self.cc.create_pull_request(title="t", targets=[{
            "repositoryName": "talk", "sourceReference": "feature",
            "destinationReference": "main"}])["pullRequest"]
        pr_id = pr["pullRequestId"]
        target = pr["pullRequestTargets"][0]
        self.assertEqual(target["sourceCommit"], source)
        resp = self.cc.post_comment_for_pull_request(
            pullRequestId=pr_id, repositoryName="talk", beforeCommitId=target["destinationCommit"],
            afterCommitId=source, content="lgtm",
            location={"filePath": "b.txt", "filePosition": 2, "relativeFileVersion": "AFTER"})
        self.assertEqual(resp["pullRequestId"], pr_id)
        cid = resp["comment"]["commentId"]
        self.cc.post_comment_reply(inReplyTo=cid, content="thanks")
        data = self.cc.get_comments_for_pull_request(
            pullRequestId=pr_id)["commentsForPullRequestData"]
        self.assertEqual(len(data), 1)
        self.assertEqual([c["content"] for c in data[0]["comments"]], ["lgtm", "thanks"])
        self.assertClientError(self.cc.post_comment_for_pull_request, "InvalidCommitIdException",
                               pullRequestId=pr_id, repositoryName="talk",
                               beforeCommitId=self.c1, afterCommitId=self.c2, content="x")


if __name__ == "__main__":
    unittest.main()
