"""CodeCommit files, commits and differences through boto3 and the aws CLI:
PutFile on an empty repository (which starts its default branch), the
parent-commit rules, GetFile / GetFolder / GetBlob / GetCommit /
BatchGetCommits, DeleteFile with and without keepEmptyFolders,
CreateCommit with puts, deletes, moves and mode changes, GetDifferences
with paging and path filters, ListFileCommitHistory; and bad input (paths
with "..", absolute paths, ".git", a 7 MB file, a stale parent, bad
emails and modes), each checked to leave the branch where it was."""
import base64
import os
import tempfile
import threading
import unittest
import uuid

import botocore.exceptions

from slipway_server import ServerTestCase

MB = 1024 * 1024


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class FilesCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cc = cls.srv.client("codecommit")
        cls.caller = cls.sts.get_caller_identity()["Arn"]

    def repo(self):
        name = unique("files")
        self.cc.create_repository(repositoryName=name)
        self.addCleanup(self.cc.delete_repository, repositoryName=name)
        return name

    def tip(self, repo, branch="main"):
        return self.cc.get_branch(repositoryName=repo, branchName=branch)["branch"]["commitId"]

    def seeded(self):
        """A repository with one commit on main: README.md and src/app.py."""
        repo = self.repo()
        out = self.cc.create_commit(
            repositoryName=repo, branchName="main", commitMessage="seed",
            authorName="Seeder", email="seed@example.com",
            putFiles=[{"filePath": "README.md", "fileContent": b"# app\n"},
                      {"filePath": "src/app.py", "fileContent": b"print('hi')\n",
                       "fileMode": "EXECUTABLE"}])
        return repo, out["commitId"]


class TestPutFile(FilesCase):
    def test_empty_repository_then_parent_rules(self):
        repo = self.repo()
        first = self.cc.put_file(repositoryName=repo, branchName="main", filePath="a/b.txt",
                                 fileContent=b"one\n", commitMessage="add b",
                                 name="Ann", email="ann@example.com")
        self.assertEqual(self.tip(repo), first["commitId"])
        meta = self.cc.get_repository(repositoryName=repo)["repositoryMetadata"]
        self.assertEqual(meta["defaultBranch"], "main")
        commit = self.cc.get_commit(repositoryName=repo, commitId=first["commitId"])["commit"]
        self.assertEqual(commit["parents"], [])
        self.assertEqual(commit["message"], "add b")
        self.assertEqual(commit["treeId"], first["treeId"])
        self.assertEqual(commit["author"]["name"], "Ann")
        self.assertEqual(commit["author"]["email"], "ann@example.com")
        seconds, zone = commit["author"]["date"].split(" ")
        self.assertTrue(seconds.isdigit() and zone == "+0000", commit["author"])

        self.assertClientError(self.cc.put_file, "ParentCommitIdRequiredException",
                               repositoryName=repo, branchName="main", filePath="c.txt",
                               fileContent=b"c")
        second = self.cc.put_file(repositoryName=repo, branchName="main", filePath="c.txt",
                                  fileContent=b"c", parentCommitId=first["commitId"])
        self.assertClientError(self.cc.put_file, "ParentCommitIdOutdatedException",
                               repositoryName=repo, branchName="main", filePath="d.txt",
                               fileContent=b"d", parentCommitId=first["commitId"])
        self.assertClientError(self.cc.put_file, "SameFileContentException",
                               repositoryName=repo, branchName="main", filePath="c.txt",
                               fileContent=b"c", parentCommitId=second["commitId"])
        self.assertClientError(self.cc.put_file, "ParentCommitDoesNotExistException",
                               repositoryName=repo, branchName="main", filePath="d.txt",
                               fileContent=b"d", parentCommitId="0" * 40)
        self.assertClientError(self.cc.put_file, "InvalidParentCommitIdException",
                               repositoryName=repo, branchName="main", filePath="d.txt",
                               fileContent=b"d", parentCommitId="not-a-commit")
        self.assertClientError(self.cc.put_file, "BranchDoesNotExistException",
                               repositoryName=repo, branchName="dev", filePath="d.txt",
                               fileContent=b"d", parentCommitId=second["commitId"])
        self.assertEqual(self.tip(repo), second["commitId"])

        # Without a name, the caller's ARN is the author; without a message,
        # a default one says what happened; without an email, it is blank.
        commit = self.cc.get_commit(repositoryName=repo, commitId=second["commitId"])["commit"]
        self.assertEqual(commit["author"]["name"], self.caller)
        self.assertEqual(commit["committer"]["name"], self.caller)
        self.assertEqual(commit["author"]["email"], "")
        self.assertEqual(commit["message"], "Added c.txt")
        self.assertEqual(commit["parents"], [first["commitId"]])

        # A mode change alone is a change.
        third = self.cc.put_file(repositoryName=repo, branchName="main", filePath="c.txt",
                                 fileContent=b"c", fileMode="EXECUTABLE",
                                 parentCommitId=second["commitId"])
        got = self.cc.get_file(repositoryName=repo, filePath="c.txt")
        self.assertEqual(got["fileMode"], "EXECUTABLE")
        self.assertEqual(got["commitId"], third["commitId"])
        self.assertEqual(got["blobId"], third["blobId"])

    def test_bad_input_changes_nothing(self):
        repo, seed = self.seeded()
        base = dict(repositoryName=repo, branchName="main", parentCommitId=seed)
        for path in ["../x", "/abs/x", ".git/config", "a/.git/x", "a//b", "a/./b", "dir/"]:
            self.assertClientError(self.cc.put_file, "InvalidPathException", filePath=path,
                                   fileContent=b"x", **base)
        self.assertClientError(self.cc.put_file, "FileContentSizeLimitExceededException",
                               filePath="big.bin", fileContent=b"\0" * (7 * MB), **base)
        self.assertClientError(self.cc.put_file, "InvalidEmailException", filePath="x",
                               fileContent=b"x", email="nobody", **base)
        self.assertClientError(self.cc.put_file, "CommitMessageLengthExceededException",
                               filePath="x", fileContent=b"x",
                               commitMessage="m" * (256 * 1024 + 1), **base)
        self.assertClientError(self.cc.put_file, "InvalidBranchNameException", filePath="x",
                               fileContent=b"x", **dict(base, branchName="bad..name"))
        self.assertClientError(self.cc.put_file, "FileNameConflictsWithDirectoryNameException",
                               filePath="src", fileContent=b"x", **base)
        self.assertClientError(self.cc.put_file, "DirectoryNameConflictsWithFileNameException",
                               filePath="README.md/x", fileContent=b"x", **base)
        self.assertClientError(self.cc.put_file, "FileContentRequiredException",
                               filePath="empty", fileContent=b"", **base)
        # A message that is not UTF-8 (a lone surrogate) is refused as a whole
        # request, before any commit.
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.cc.put_file(filePath="u.txt", fileContent=b"u", commitMessage="bad \udc80",
                             **base)
        self.assertEqual(cm.exception.response["Error"]["Code"], "SerializationException")
        self.assertEqual(self.tip(repo), seed)
        folder = self.cc.get_folder(repositoryName=repo, folderPath="/")
        self.assertEqual(sorted(f["relativePath"] for f in folder["files"]), ["README.md"])

    def test_concurrent_writers_on_one_parent(self):
        repo, seed = self.seeded()
        results = []

        def write(i):
            client = self.srv.client("codecommit")
            try:
                client.put_file(repositoryName=repo, branchName="main", filePath=f"w{i}",
                                fileContent=b"w", parentCommitId=seed)
                results.append("ok")
            except botocore.exceptions.ClientError as e:
                results.append(e.response["Error"]["Code"])

        threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), ["ParentCommitIdOutdatedException"] * 5 + ["ok"])
        tip = self.tip(repo)
        diffs = self.cc.get_differences(repositoryName=repo, beforeCommitSpecifier=seed,
                                        afterCommitSpecifier=tip)["differences"]
        self.assertEqual(len(diffs), 1)
        self.assertEqual(self.cc.get_commit(repositoryName=repo, commitId=tip)["commit"]["parents"],
                         [seed])

    def test_six_megabytes_is_allowed(self):
        repo, seed = self.seeded()
        data = os.urandom(6 * MB)
        out = self.cc.put_file(repositoryName=repo, branchName="main", filePath="big.bin",
                               fileContent=data, parentCommitId=seed)
        got = self.cc.get_blob(repositoryName=repo, blobId=out["blobId"])
        self.assertEqual(got["content"], data)


class TestRead(FilesCase):
    def test_get_file_folder_blob_commits(self):
        repo, seed = self.seeded()
        got = self.cc.get_file(repositoryName=repo, filePath="src/app.py")
        self.assertEqual(got["fileContent"], b"print('hi')\n")
        self.assertEqual(got["fileMode"], "EXECUTABLE")
        self.assertEqual(got["fileSize"], 12)
        self.assertEqual(got["commitId"], seed)
        by_tag_or_abbrev = self.cc.get_file(repositoryName=repo, filePath="/src/app.py",
                                            commitSpecifier=seed[:8])
        self.assertEqual(by_tag_or_abbrev["blobId"], got["blobId"])
        self.assertEqual(
            self.cc.get_file(repositoryName=repo, filePath="README.md",
                             commitSpecifier="refs/heads/main")["commitId"], seed)
        self.assertClientError(self.cc.get_file, "FileDoesNotExistException",
                               repositoryName=repo, filePath="nope.txt")
        self.assertClientError(self.cc.get_file, "FileDoesNotExistException",
                               repositoryName=repo, filePath="src")
        self.assertClientError(self.cc.get_file, "CommitDoesNotExistException",
                               repositoryName=repo, filePath="README.md",
                               commitSpecifier="no-such-branch")
        self.assertClientError(self.cc.get_file, "InvalidCommitException",
                               repositoryName=repo, filePath="README.md",
                               commitSpecifier=got["blobId"])

        root = self.cc.get_folder(repositoryName=repo, folderPath="/")
        self.assertEqual(root["commitId"], seed)
        self.assertEqual([f["absolutePath"] for f in root["files"]], ["README.md"])
        self.assertEqual(root["files"][0]["fileMode"], "NORMAL")
        self.assertEqual([d["absolutePath"] for d in root["subFolders"]], ["src"])
        self.assertEqual(root["symbolicLinks"], [])
        self.assertEqual(root["subModules"], [])
        src = self.cc.get_folder(repositoryName=repo, folderPath="src")
        self.assertEqual(src["treeId"], root["subFolders"][0]["treeId"])
        self.assertEqual(src["files"][0]["absolutePath"], "src/app.py")
        self.assertEqual(src["files"][0]["relativePath"], "app.py")
        self.assertClientError(self.cc.get_folder, "FolderDoesNotExistException",
                               repositoryName=repo, folderPath="nope")

        blob = self.cc.get_blob(repositoryName=repo, blobId=got["blobId"])
        self.assertEqual(blob["content"], b"print('hi')\n")
        self.assertClientError(self.cc.get_blob, "InvalidBlobIdException",
                               repositoryName=repo, blobId="xyz")
        self.assertClientError(self.cc.get_blob, "BlobIdDoesNotExistException",
                               repositoryName=repo, blobId="1" * 40)

        commit = self.cc.get_commit(repositoryName=repo, commitId=seed)["commit"]
        self.assertEqual(commit["commitId"], seed)
        self.assertEqual(commit["author"]["name"], "Seeder")
        self.assertEqual(commit["committer"]["email"], "seed@example.com")
        self.assertClientError(self.cc.get_commit, "CommitIdDoesNotExistException",
                               repositoryName=repo, commitId="2" * 40)
        self.assertClientError(self.cc.get_commit, "InvalidCommitIdException",
                               repositoryName=repo, commitId="main")
        batch = self.cc.batch_get_commits(repositoryName=repo, commitIds=[seed, "3" * 40])
        self.assertEqual([c["commitId"] for c in batch["commits"]], [seed])
        self.assertEqual(batch["errors"][0]["commitId"], "3" * 40)
        self.assertClientError(self.cc.batch_get_commits, "CommitIdsLimitExceededException",
                               repositoryName=repo, commitIds=[seed] * 101)

    def test_empty_repository(self):
        repo = self.repo()
        self.assertClientError(self.cc.get_file, "CommitDoesNotExistException",
                               repositoryName=repo, filePath="a")


class TestDeleteAndCreateCommit(FilesCase):
    def test_delete_file(self):
        repo, seed = self.seeded()
        out = self.cc.delete_file(repositoryName=repo, branchName="main", filePath="src/app.py",
                                  parentCommitId=seed, keepEmptyFolders=True)
        self.assertEqual(out["filePath"], "src/app.py")
        src = self.cc.get_folder(repositoryName=repo, folderPath="src")
        self.assertEqual([f["relativePath"] for f in src["files"]], [".gitkeep"])
        self.assertClientError(self.cc.delete_file, "FileDoesNotExistException",
                               repositoryName=repo, branchName="main", filePath="src/app.py",
                               parentCommitId=out["commitId"])
        repo2, seed2 = self.seeded()
        self.cc.delete_file(repositoryName=repo2, branchName="main", filePath="src/app.py",
                            parentCommitId=seed2)
        self.assertClientError(self.cc.get_folder, "FolderDoesNotExistException",
                               repositoryName=repo2, folderPath="src")

    def test_create_commit(self):
        repo, seed = self.seeded()
        out = self.cc.create_commit(
            repositoryName=repo, branchName="main", parentCommitId=seed,
            putFiles=[{"filePath": "docs/guide.md", "fileContent": b"guide"},
                      {"filePath": "lib/app.py",
                       "sourceFile": {"filePath": "src/app.py", "isMove": True}}],
            deleteFiles=[{"filePath": "README.md"}],
            setFileModes=[])
        self.assertEqual(sorted(f["absolutePath"] for f in out["filesAdded"]),
                         ["docs/guide.md", "lib/app.py"])
        self.assertEqual(sorted(f["absolutePath"] for f in out["filesDeleted"]),
                         ["README.md", "src/app.py"])
        moved = self.cc.get_file(repositoryName=repo, filePath="lib/app.py")
        self.assertEqual(moved["fileMode"], "EXECUTABLE")
        self.assertClientError(self.cc.get_folder, "FolderDoesNotExistException",
                               repositoryName=repo, folderPath="src")
        tip = out["commitId"]
        modes = self.cc.create_commit(repositoryName=repo, branchName="main", parentCommitId=tip,
                                      setFileModes=[{"filePath": "docs/guide.md",
                                                     "fileMode": "SYMLINK"}])
        self.assertEqual(modes["filesUpdated"][0]["fileMode"], "SYMLINK")
        tip = modes["commitId"]
        links = self.cc.get_folder(repositoryName=repo, folderPath="docs")["symbolicLinks"]
        self.assertEqual([l["absolutePath"] for l in links], ["docs/guide.md"])

        bad = dict(repositoryName=repo, branchName="main", parentCommitId=tip)
        self.assertClientError(self.cc.create_commit, "NoChangeException",
                               putFiles=[{"filePath": "docs/guide.md", "fileContent": b"guide",
                                          "fileMode": "SYMLINK"}], **bad)
        self.assertClientError(self.cc.create_commit, "FileEntryRequiredException", **bad)
        self.assertClientError(self.cc.create_commit, "SamePathRequestException",
                               putFiles=[{"filePath": "x", "fileContent": b"1"}],
                               deleteFiles=[{"filePath": "x"}], **bad)
        self.assertClientError(self.cc.create_commit, "PutFileEntryConflictException",
                               putFiles=[{"filePath": "n", "fileContent": b"1"},
                                         {"filePath": "n/m", "fileContent": b"2"}], **bad)
        self.assertClientError(self.cc.create_commit,
                               "FileContentAndSourceFileSpecifiedException",
                               putFiles=[{"filePath": "n", "fileContent": b"1",
                                          "sourceFile": {"filePath": "lib/app.py"}}], **bad)
        self.assertClientError(self.cc.create_commit, "SourceFileOrContentRequiredException",
                               putFiles=[{"filePath": "n"}], **bad)
        self.assertClientError(self.cc.create_commit, "FileDoesNotExistException",
                               deleteFiles=[{"filePath": "nope"}], **bad)
        self.assertClientError(self.cc.create_commit, "MaximumFileEntriesExceededException",
                               putFiles=[{"filePath": f"f{i}", "fileContent": b"x"}
                                         for i in range(101)], **bad)
        self.assertClientError(self.cc.create_commit, "InvalidPathException",
                               deleteFiles=[{"filePath": "../etc/passwd"}], **bad)
        self.assertClientError(self.cc.create_commit, "ParentCommitIdOutdatedException",
                               putFiles=[{"filePath": "z", "fileContent": b"1"}],
                               **dict(bad, parentCommitId=seed))
        self.assertEqual(self.tip(repo), tip)


class TestDifferences(FilesCase):
    def test_pages_and_paths(self):
        repo, seed = self.seeded()
        after = self.cc.create_commit(
            repositoryName=repo, branchName="main", parentCommitId=seed,
            putFiles=[{"filePath": f"many/f{i:02}.txt", "fileContent": f"{i}".encode()}
                      for i in range(25)] +
                     [{"filePath": "README.md", "fileContent": b"# changed\n"}],
            deleteFiles=[{"filePath": "src/app.py"}])["commitId"]
        pages = self.cc.get_paginator("get_differences").paginate(
            repositoryName=repo, beforeCommitSpecifier=seed, afterCommitSpecifier=after,
            PaginationConfig={"PageSize": 10})
        diffs = [d for page in pages for d in page["differences"]]
        self.assertEqual(len(diffs), 27)
        kinds = {d.get("afterBlob", d.get("beforeBlob"))["path"]: d["changeType"] for d in diffs}
        self.assertEqual(kinds["README.md"], "M")
        self.assertEqual(kinds["src/app.py"], "D")
        self.assertEqual(kinds["many/f07.txt"], "A")
        deleted = [d for d in diffs if d["changeType"] == "D"][0]
        self.assertNotIn("afterBlob", deleted)
        self.assertEqual(deleted["beforeBlob"]["mode"], "100755")

        only = self.cc.get_differences(repositoryName=repo, beforeCommitSpecifier=seed,
                                       afterCommitSpecifier=after, afterPath="many",
                                       beforePath="many")
        self.assertEqual(len(only["differences"]), 25)
        initial = self.cc.get_differences(repositoryName=repo, afterCommitSpecifier=seed)
        self.assertEqual(sorted(d["afterBlob"]["path"] for d in initial["differences"]),
                         ["README.md", "src/app.py"])
        self.assertTrue(all(d["changeType"] == "A" for d in initial["differences"]))
        self.assertClientError(self.cc.get_differences, "PathDoesNotExistException",
                               repositoryName=repo, afterCommitSpecifier=after,
                               afterPath="nowhere")
        self.assertClientError(self.cc.get_differences, "InvalidContinuationTokenException",
                               repositoryName=repo, afterCommitSpecifier=after,
                               NextToken="bm90LW91cnM=")
        self.assertClientError(self.cc.get_differences, "InvalidMaxResultsException",
                               repositoryName=repo, afterCommitSpecifier=after, MaxResults=0)
        self.assertClientError(self.cc.get_differences, "CommitDoesNotExistException",
                               repositoryName=repo, afterCommitSpecifier="nope")

        # A token is bound to the commits it was made for.
        first = self.cc.get_differences(repositoryName=repo, beforeCommitSpecifier=seed,
                                        afterCommitSpecifier=after, MaxResults=5)
        self.assertClientError(self.cc.get_differences, "InvalidContinuationTokenException",
                               repositoryName=repo, afterCommitSpecifier=after,
                               NextToken=first["NextToken"], MaxResults=5)

    def test_file_history(self):
        if "ListFileCommitHistory" not in self.cc.meta.service_model.operation_names:
            self.skipTest("this botocore predates ListFileCommitHistory")
        repo, seed = self.seeded()
        c2 = self.cc.put_file(repositoryName=repo, branchName="main", filePath="README.md",
                              fileContent=b"v2", parentCommitId=seed)["commitId"]
        c3 = self.cc.put_file(repositoryName=repo, branchName="main", filePath="other",
                              fileContent=b"o", parentCommitId=c2)["commitId"]
        c4 = self.cc.put_file(repositoryName=repo, branchName="main", filePath="README.md",
                              fileContent=b"v3", parentCommitId=c3)["commitId"]
        out = self.cc.list_file_commit_history(repositoryName=repo, filePath="README.md")
        dag = out["revisionDag"]
        self.assertEqual([v["commit"]["commitId"] for v in dag], [c4, c2, seed])
        self.assertEqual(dag[0]["revisionChildren"], [])
        self.assertEqual(dag[1]["revisionChildren"], [c4])
        self.assertEqual(dag[2]["revisionChildren"], [c2])
        self.assertEqual(dag[0]["path"], "README.md")
        page = self.cc.list_file_commit_history(repositoryName=repo, filePath="README.md",
                                                maxResults=2)
        self.assertEqual(len(page["revisionDag"]), 2)
        rest = self.cc.list_file_commit_history(repositoryName=repo, filePath="README.md",
                                                maxResults=2, nextToken=page["nextToken"])
        self.assertEqual([v["commit"]["commitId"] for v in rest["revisionDag"]], [seed])
        self.assertNotIn("nextToken", rest)
        older = self.cc.list_file_commit_history(repositoryName=repo, filePath="README.md",
                                                 commitSpecifier=c2)
        self.assertEqual(len(older["revisionDag"]), 2)
        self.assertClientError(self.cc.list_file_commit_history,
                               "InvalidContinuationTokenException", repositoryName=repo,
                               filePath="README.md", nextToken="garbage")

        # A move keeps the history: the versions before it carry the old path.
        c5 = self.cc.create_commit(
            repositoryName=repo, branchName="main", parentCommitId=c4,
            putFiles=[{"filePath": "docs/README.md",
                       "sourceFile": {"filePath": "README.md", "isMove": True}}])["commitId"]
        moved = self.cc.list_file_commit_history(repositoryName=repo,
                                                 filePath="docs/README.md")["revisionDag"]
        self.assertEqual([(v["commit"]["commitId"], v["path"]) for v in moved],
                         [(c5, "docs/README.md"), (c4, "README.md"), (c2, "README.md"),
                          (seed, "README.md")])
        self.assertEqual(moved[1]["revisionChildren"], [c5])
        self.assertEqual(moved[0]["blobId"], moved[1]["blobId"])


class TestCli(FilesCase):
    def test_put_get_delete_with_the_cli(self):
        repo = self.repo()
        with tempfile.NamedTemporaryFile(suffix=".bin", delete=False) as f:
            f.write(b"\x00\x01binary\xff")
            path = f.name
        self.addCleanup(os.unlink, path)
        put = self.srv.aws_json("codecommit", "put-file", "--repository-name", repo,
                                "--branch-name", "main", "--file-path", "bin/data.bin",
                                "--file-content", f"fileb://{path}", "--commit-message", "cli")
        got = self.srv.aws_json("codecommit", "get-file", "--repository-name", repo,
                                "--file-path", "bin/data.bin")
        self.assertEqual(base64.b64decode(got["fileContent"]), b"\x00\x01binary\xff")
        self.assertEqual(got["commitId"], put["commitId"])
        folder = self.srv.aws_json("codecommit", "get-folder", "--repository-name", repo,
                                   "--folder-path", "bin")
        self.assertEqual(folder["files"][0]["blobId"], put["blobId"])
        rc, _, err = self.srv.aws("codecommit", "put-file", "--repository-name", repo,
                                  "--branch-name", "main", "--file-path", "../x",
                                  "--file-content", f"fileb://{path}", "--parent-commit-id",
                                  put["commitId"], check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("InvalidPathException", err)
        diffs = self.srv.aws_json("codecommit", "get-differences", "--repository-name", repo,
                                  "--after-commit-specifier", "main")
        self.assertEqual(diffs["differences"][0]["afterBlob"]["path"], "bin/data.bin")
        more = self.srv.aws_json("codecommit", "create-commit", "--repository-name", repo,
                                 "--branch-name", "main", "--parent-commit-id", put["commitId"],
                                 "--put-files", "filePath=x/1,fileContent=b25l",
                                 "filePath=x/2,fileContent=dHdv", "filePath=x/3,fileContent=My4=")
        self.assertEqual(len(more["filesAdded"]), 3)
        # The CLI follows NextToken by itself: three one-item pages.
        paged = self.srv.aws_json("codecommit", "get-differences", "--repository-name", repo,
                                  "--before-commit-specifier", put["commitId"],
                                  "--after-commit-specifier", "main", "--page-size", "1")
        self.assertEqual([d["afterBlob"]["path"] for d in paged["differences"]],
                         ["x/1", "x/2", "x/3"])
        put = {"commitId": more["commitId"], "blobId": put["blobId"]}
        deleted = self.srv.aws_json("codecommit", "delete-file", "--repository-name", repo,
                                    "--branch-name", "main", "--file-path", "bin/data.bin",
                                    "--parent-commit-id", put["commitId"])
        self.assertEqual(self.tip(repo), deleted["commitId"])
        self.assertEqual(deleted["blobId"], put["blobId"])


if __name__ == "__main__":
    unittest.main()
