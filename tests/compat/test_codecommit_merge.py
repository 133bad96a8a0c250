"""CodeCommit merges through boto3 and the aws CLI: fast-forward, squash and
three-way merges of branches made with PutFile/CreateCommit, conflicts at
file and line level with their metadata and merge hunks, resolution by
strategy and by conflictResolution entries, unreferenced merge commits,
merge options, GetMergeCommit, and CodeCommit's errors for bad input."""
import base64
import unittest
import uuid

from slipway_server import ServerTestCase

TEXT5 = "one\ntwo\nthree\nfour\nfive\n"
WHO = {"authorName": "Maria", "email": "maria@example.com"}


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def with_line(line, text):
    lines = TEXT5.splitlines(keepends=True)
    lines[line - 1] = text + "\n"
    return "".join(lines)


class MergeCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cc = cls.srv.client("codecommit")

    def setUp(self):
        self.repo = unique("merge")
        self.cc.create_repository(repositoryName=self.repo)
        self.addCleanup(self.cc.delete_repository, repositoryName=self.repo)
        first = self.cc.put_file(repositoryName=self.repo, branchName="main",
                                 fileContent=TEXT5.encode(), filePath="a.txt",
                                 **{"name": "Test", "email": "t@example.com"})
        self.base = first["commitId"]
        self.cc.create_branch(repositoryName=self.repo, branchName="feature",
                              commitId=self.base)

    def put(self, branch, path, text):
        parent = self.tip(branch)
        return self.cc.put_file(repositoryName=self.repo, branchName=branch,
                                fileContent=text.encode(), filePath=path,
                                parentCommitId=parent, name="Test",
                                email="t@example.com")["commitId"]

    def tip(self, branch):
        return self.cc.get_branch(repositoryName=self.repo,
                                  branchName=branch)["branch"]["commitId"]

    def content(self, commit, path):
        return self.cc.get_file(repositoryName=self.repo, commitSpecifier=commit,
                                filePath=path)["fileContent"].decode()

    def parents(self, commit):
        return self.cc.get_commit(repositoryName=self.repo,
                                  commitId=commit)["commit"]["parents"]

    def args(self, **kw):
        return {"repositoryName": self.repo, "sourceCommitSpecifier": "feature",
                "destinationCommitSpecifier": "main", **kw}


class TestMerges(MergeCase):
    def test_fast_forward(self):
        child = self.put("feature", "b.txt", "bee\n")
        out = self.cc.merge_branches_by_fast_forward(**self.args())
        self.assertEqual(out["commitId"], child)
        self.assertEqual(self.tip("main"), child)
        # Diverged now: a fast-forward is refused and main stays.
        self.put("main", "c.txt", "sea\n")
        self.put("feature", "d.txt", "dee\n")
        before = self.tip("main")
        self.assertClientError(self.cc.merge_branches_by_fast_forward,
                               "ManualMergeRequiredException", **self.args())
        self.assertEqual(self.tip("main"), before)

    def test_squash_line_level(self):
        self.put("main", "a.txt", with_line(1, "MAIN"))
        self.put("feature", "a.txt", with_line(5, "FEATURE"))
        main_before = self.tip("main")
        # FILE_LEVEL (the default): both changed a.txt.
        self.assertClientError(self.cc.merge_branches_by_squash,
                               "ManualMergeRequiredException", **self.args(**WHO))
        self.assertEqual(self.tip("main"), main_before)
        out = self.cc.merge_branches_by_squash(
            **self.args(conflictDetailLevel="LINE_LEVEL", commitMessage="squash", **WHO))
        self.assertEqual(self.tip("main"), out["commitId"])
        self.assertEqual(self.parents(out["commitId"]), [main_before])
        self.assertEqual(self.content(out["commitId"], "a.txt"),
                         "MAIN\ntwo\nthree\nfour\nFEATURE\n")
        commit = self.cc.get_commit(repositoryName=self.repo, commitId=out["commitId"])["commit"]
        self.assertEqual(commit["author"]["name"], "Maria")
        self.assertEqual(commit["message"].strip(), "squash")
        self.assertEqual(commit["treeId"], out["treeId"])

    def test_three_way_and_merge_commit(self):
        self.put("main", "m.txt", "main\n")
        src = self.put("feature", "f.txt", "feature\n")
        main_before = self.tip("main")
        # No author given: the caller's name, as CodeCommit does.
        out = self.cc.merge_branches_by_three_way(**self.args())
        self.assertEqual(sorted(self.parents(out["commitId"])), sorted([main_before, src]))
        self.assertEqual(self.tip("main"), out["commitId"])
        mc = self.cc.get_merge_commit(**self.args())
        self.assertEqual(mc["mergedCommitId"], out["commitId"])
        self.assertEqual(mc["sourceCommitId"], src)
        self.assertEqual(mc["baseCommitId"], src)

    def test_target_branch(self):
        self.put("feature", "f.txt", "feature\n")
        self.cc.create_branch(repositoryName=self.repo, branchName="release",
                              commitId=self.base)
        out = self.cc.merge_branches_by_fast_forward(
            **self.args(destinationCommitSpecifier="release", targetBranch="release"))
        self.assertEqual(self.tip("release"), out["commitId"])
        self.assertEqual(self.tip("main"), self.base)
        self.assertClientError(self.cc.merge_branches_by_fast_forward,
                               "BranchDoesNotExistException", **self.args(targetBranch="nope"))


class TestConflicts(MergeCase):
    def setUp(self):
        super().setUp()
        self.put("main", "a.txt", with_line(3, "MAIN"))
        self.put("feature", "a.txt", with_line(3, "FEATURE"))

    def test_get_and_describe(self):
        out = self.cc.get_merge_conflicts(**self.args(mergeOption="THREE_WAY_MERGE"))
        self.assertFalse(out["mergeable"])
        self.assertEqual(out["destinationCommitId"], self.tip("main"))
        self.assertEqual(out["baseCommitId"], self.base)
        (meta,) = out["conflictMetadataList"]
        self.assertEqual(meta["filePath"], "a.txt")
        self.assertTrue(meta["contentConflict"])
        self.assertEqual(meta["mergeOperations"], {"source": "M", "destination": "M"})
        self.assertEqual(meta["fileModes"]["base"], "NORMAL")
        self.assertEqual(meta["fileSizes"]["base"], len(TEXT5))
        self.assertEqual(meta["objectTypes"]["source"], "FILE")

        d = self.cc.describe_merge_conflicts(**self.args(mergeOption="SQUASH_MERGE",
                                                         filePath="a.txt"))
        (hunk,) = d["mergeHunks"]
        self.assertTrue(hunk["isConflict"])
        self.assertEqual(base64.b64decode(hunk["source"]["hunkContent"]), b"FEATURE\n")
        self.assertEqual(base64.b64decode(hunk["destination"]["hunkContent"]), b"MAIN\n")
        self.assertEqual(base64.b64decode(hunk["base"]["hunkContent"]), b"three\n")

        b = self.cc.batch_describe_merge_conflicts(
            **self.args(mergeOption="THREE_WAY_MERGE", filePaths=["a.txt", "missing.txt"]))
        self.assertEqual(len(b["conflicts"]), 1)
        self.assertEqual(b["errors"][0]["exceptionName"], "FileDoesNotExistException")

    def test_options(self):
        self.assertEqual(self.cc.get_merge_options(**self.args())["mergeOptions"], [])
        opts = self.cc.get_merge_options(**self.args(conflictResolutionStrategy="ACCEPT_SOURCE"))
        self.assertEqual(opts["mergeOptions"], ["SQUASH_MERGE", "THREE_WAY_MERGE"])

    def test_resolve(self):
        main_before = self.tip("main")
        out = self.cc.create_unreferenced_merge_commit(
            **self.args(mergeOption="THREE_WAY_MERGE",
                        conflictResolutionStrategy="ACCEPT_DESTINATION", **WHO))
        self.assertEqual(self.content(out["commitId"], "a.txt"), with_line(3, "MAIN"))
        self.assertEqual(self.tip("main"), main_before)

        out = self.cc.merge_branches_by_squash(**self.args(
            conflictResolutionStrategy="AUTOMERGE",
            conflictResolution={"replaceContents": [{
                "filePath": "a.txt", "replacementType": "USE_NEW_CONTENT",
                "content": b"resolved\n"}]}, **WHO))
        self.assertEqual(self.content(out["commitId"], "a.txt"), "resolved\n")
        self.assertEqual(self.tip("main"), out["commitId"])

    def test_cli(self):
        rc, _, err = self.srv.aws("codecommit", "merge-branches-by-three-way",
                                  "--repository-name", self.repo,
                                  "--source-commit-specifier", "feature",
                                  "--destination-commit-specifier", "main", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("ManualMergeRequiredException", err)
        out = self.srv.aws_json("codecommit", "get-merge-conflicts",
                                "--repository-name", self.repo,
                                "--source-commit-specifier", "feature",
                                "--destination-commit-specifier", "main",
                                "--merge-option", "SQUASH_MERGE")
        self.assertFalse(out["mergeable"])


class TestBadInput(MergeCase):
    def test_errors(self):
        cc = self.cc
        self.assertClientError(cc.merge_branches_by_squash,
                               "InvalidConflictDetailLevelException",
                               **self.args(conflictDetailLevel="WORD_LEVEL"))
        self.assertClientError(cc.merge_branches_by_three_way,
                               "InvalidConflictResolutionStrategyException",
                               **self.args(conflictResolutionStrategy="MAYBE"))
        self.assertClientError(cc.get_merge_conflicts, "InvalidMergeOptionException",
                               **self.args(mergeOption="OCTOPUS"))
        self.assertClientError(cc.create_unreferenced_merge_commit,
                               "InvalidMergeOptionException",
                               **self.args(mergeOption="FAST_FORWARD_MERGE"))
        self.assertClientError(cc.get_merge_conflicts, "InvalidMaxConflictFilesException",
                               **self.args(mergeOption="SQUASH_MERGE", maxConflictFiles=0))
        self.assertClientError(cc.get_merge_conflicts, "InvalidContinuationTokenException",
                               **self.args(mergeOption="SQUASH_MERGE", nextToken="x"))
        self.assertClientError(cc.describe_merge_conflicts, "FileDoesNotExistException",
                               **self.args(mergeOption="SQUASH_MERGE", filePath="nope"))
        self.assertClientError(cc.merge_branches_by_fast_forward,
                               "CommitDoesNotExistException",
                               **self.args(sourceCommitSpecifier="nosuch"))
        self.assertClientError(cc.merge_branches_by_fast_forward,
                               "RepositoryDoesNotExistException",
                               **dict(self.args(), repositoryName=unique("none")))
        self.assertClientError(cc.merge_branches_by_squash,
                               "MultipleConflictResolutionEntriesException",
                               **self.args(conflictResolution={"deleteFiles": [
                                   {"filePath": "a.txt"}, {"filePath": "a.txt"}]}))
        self.assertClientError(cc.merge_branches_by_squash,
                               "ReplacementContentRequiredException",
                               **self.args(conflictResolution={"replaceContents": [
                                   {"filePath": "a.txt", "replacementType": "USE_NEW_CONTENT"}]}))
        self.assertEqual(self.tip("main"), self.base)


if __name__ == "__main__":
    unittest.main()
