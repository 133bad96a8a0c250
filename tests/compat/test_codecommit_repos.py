"""CodeCommit repositories and branches through boto3 and the aws CLI:
create (with the clone URL pointing at this server, in the request's
region), get, batch get, list with sorting and paging, rename,
description, default branch, tags, delete, and CodeCommit's own errors
for bad names and arguments."""
import json
import time
import unittest
import uuid

from slipway_server import ServerTestCase

ACCOUNT = "000000000000"
REGION = "us-east-1"


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class CodeCommitCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cc = cls.srv.client("codecommit")

    def create(self, name, **kwargs):
        meta = self.cc.create_repository(repositoryName=name, **kwargs)["repositoryMetadata"]
        self.addCleanup(self.cc.delete_repository, repositoryName=name)
        return meta


class TestRepositories(CodeCommitCase):
    def test_create_get_delete(self):
        name = unique("app")
        meta = self.create(name, repositoryDescription="the app", tags={"team": "web"})
        self.assertEqual(meta["repositoryName"], name)
        self.assertEqual(meta["Arn"], f"arn:aws:codecommit:{REGION}:{ACCOUNT}:{name}")
        self.assertEqual(meta["accountId"], ACCOUNT)
        self.assertEqual(meta["cloneUrlHttp"], f"{self.srv.endpoint}/v1/repos/{name}")
        self.assertEqual(meta["repositoryDescription"], "the app")
        self.assertNotIn("defaultBranch", meta)
        uuid.UUID(meta["repositoryId"])
        got = self.cc.get_repository(repositoryName=name)["repositoryMetadata"]
        self.assertEqual(got["repositoryId"], meta["repositoryId"])
        self.assertEqual(got["creationDate"], meta["creationDate"])
        self.assertClientError(self.cc.create_repository, "RepositoryNameExistsException",
                               f"Repository named {name} already exists",
                               repositoryName=name)
        deleted = self.cc.delete_repository(repositoryName=name)
        self.assertEqual(deleted["repositoryId"], meta["repositoryId"])
        self.assertClientError(self.cc.get_repository, "RepositoryDoesNotExistException",
                               f"{name} does not exist", repositoryName=name)
        self.assertNotIn("repositoryId", self.cc.delete_repository(repositoryName=name))

    def test_other_region_clone_url(self):
        west = self.srv.client("codecommit", region="us-west-2")
        name = unique("west")
        meta = west.create_repository(repositoryName=name)["repositoryMetadata"]
        self.addCleanup(west.delete_repository, repositoryName=name)
        self.assertEqual(meta["cloneUrlHttp"], f"{self.srv.endpoint}/us-west-2/v1/repos/{name}")
        self.assertEqual(meta["Arn"], f"arn:aws:codecommit:us-west-2:{ACCOUNT}:{name}")
        # Repositories are per region.
        self.assertClientError(self.cc.get_repository, "RepositoryDoesNotExistException",
                               repositoryName=name)

    def test_bad_names(self):
        for bad in ("a b", "x.git", "a" * 101, "sl/ash"):
            self.assertClientError(self.cc.create_repository, "InvalidRepositoryNameException",
                                   repositoryName=bad)
        self.assertClientError(self.cc.create_repository,
                               "InvalidRepositoryDescriptionException",
                               repositoryName=unique("d"), repositoryDescription="x" * 1001)
        self.assertClientError(self.cc.create_repository, "InvalidSystemTagUsageException",
                               repositoryName=unique("t"), tags={"aws:owner": "me"})
        self.assertClientError(self.cc.list_repositories, "InvalidContinuationTokenException",
                               nextToken="nonsense")

    def test_list_sort_and_rename(self):
        prefix = unique("ls")
        names = [f"{prefix}-{c}" for c in "bac"]
        for n in names:
            self.create(n)
            time.sleep(0.002)
        listed = [r["repositoryName"] for r in
                  self.cc.list_repositories(sortBy="repositoryName", order="descending")
                  ["repositories"] if r["repositoryName"].startswith(prefix)]
        self.assertEqual(listed, sorted(names, reverse=True))
        listed = [r["repositoryName"] for r in
                  self.cc.list_repositories(sortBy="lastModifiedDate")["repositories"]
                  if r["repositoryName"].startswith(prefix)]
        self.assertEqual(listed, names)
        # Paginators see every repository once.
        seen = [r["repositoryName"] for page in
                self.cc.get_paginator("list_repositories").paginate()
                for r in page["repositories"]]
        self.assertEqual(len(seen), len(set(seen)))

        old = names[0]
        new = f"{prefix}-renamed"
        before = self.cc.get_repository(repositoryName=old)["repositoryMetadata"]
        self.cc.update_repository_name(oldName=old, newName=new)
        self.addCleanup(self.cc.delete_repository, repositoryName=new)
        after = self.cc.get_repository(repositoryName=new)["repositoryMetadata"]
        self.assertEqual(after["repositoryId"], before["repositoryId"])
        self.assertTrue(after["cloneUrlHttp"].endswith(f"/v1/repos/{new}"))
        self.assertClientError(self.cc.get_repository, "RepositoryDoesNotExistException",
                               repositoryName=old)
        self.assertClientError(self.cc.update_repository_name, "RepositoryNameExistsException",
                               oldName=new, newName=names[1])

    def test_batch_get(self):
        name = unique("bg")
        self.create(name)
        resp = self.cc.batch_get_repositories(repositoryNames=[name, "missing-one"])
        self.assertEqual([r["repositoryName"] for r in resp["repositories"]], [name])
        self.assertEqual(resp["repositoriesNotFound"], ["missing-one"])
        # AWS's documented limit: "Currently, this number is 100."
        resp = self.cc.batch_get_repositories(
            repositoryNames=[name] + [f"r{i}" for i in range(99)])
        self.assertEqual(len(resp["repositories"]), 1)
        self.assertEqual(len(resp["repositoriesNotFound"]), 99)
        self.assertClientError(self.cc.batch_get_repositories,
                               "MaximumRepositoryNamesExceededException",
                               repositoryNames=[f"r{i}" for i in range(101)])

    def test_description_and_tags(self):
        name = unique("tg")
        arn = self.create(name)["Arn"]
        self.cc.update_repository_description(repositoryName=name,
                                              repositoryDescription="changed")
        self.assertEqual(self.cc.get_repository(repositoryName=name)["repositoryMetadata"]
                         ["repositoryDescription"], "changed")
        self.cc.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
        self.cc.untag_resource(resourceArn=arn, tagKeys=["a"])
        self.assertEqual(self.cc.list_tags_for_resource(resourceArn=arn)["tags"], {"b": "2"})
        self.assertClientError(self.cc.list_tags_for_resource, "InvalidResourceArnException",
                               resourceArn="arn:aws:s3:::bucket")
        self.assertClientError(self.cc.tag_resource, "TooManyTagsException",
                               resourceArn=arn, tags={f"k{i}": "v" for i in range(50)})


class TestAuthorization(CodeCommitCase):
    def test_rename_needs_both_names(self):
        """A user allowed to rename only repositories named team-* cannot
        rename one out of that set."""
        self.iam.create_user(UserName="renamer")
        self.iam.put_user_policy(UserName="renamer", PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow",
                           "Action": ["codecommit:UpdateRepositoryName",
                                      "codecommit:GetRepository"],
                           "Resource": f"arn:aws:codecommit:{REGION}:{ACCOUNT}:team-*"}]}))
        key = self.iam.create_access_key(UserName="renamer")["AccessKey"]
        cc = self.srv.client("codecommit", access_key=key["AccessKeyId"],
                             secret_key=key["SecretAccessKey"])
        name = unique("team")
        self.create(name)
        self.assertClientError(cc.update_repository_name, "AccessDeniedException",
                               oldName=name, newName=unique("other"))
        self.cc.get_repository(repositoryName=name)
        renamed = unique("team")
        cc.update_repository_name(oldName=name, newName=renamed)
        self.addCleanup(self.cc.delete_repository, repositoryName=renamed)
        self.assertEqual(cc.get_repository(repositoryName=renamed)["repositoryMetadata"]
                         ["repositoryName"], renamed)


class TestBranchesCli(CodeCommitCase):
    def test_cli_flow(self):
        name = unique("cli")
        out = self.srv.aws_json("codecommit", "create-repository", "--repository-name", name)
        self.addCleanup(self.cc.delete_repository, repositoryName=name)
        self.assertEqual(out["repositoryMetadata"]["repositoryName"], name)
        out = self.srv.aws_json("codecommit", "list-branches", "--repository-name", name)
        self.assertEqual(out["branches"], [])
        rc, _, err = self.srv.aws("codecommit", "get-branch", "--repository-name", name,
                                  "--branch-name", "main", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("BranchDoesNotExistException", err)
        rc, _, err = self.srv.aws("codecommit", "create-branch", "--repository-name", name,
                                  "--branch-name", "dev", "--commit-id", "0" * 40, check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("CommitDoesNotExistException", err)
        rc, _, err = self.srv.aws("codecommit", "update-default-branch", "--repository-name",
                                  name, "--default-branch-name", "nope", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("BranchDoesNotExistException", err)


if __name__ == "__main__":
    unittest.main()
