"""Secrets Manager through boto3 and the aws CLI: secrets by name and ARN,
versions and staging labels, idempotent retries, ListSecrets filters and
paging, deletion with recovery and the purge, tags, GetRandomPassword,
BatchGetSecretValue, IAM policies scoped to one secret, and values that
never reach the data directory in plaintext."""
import json
import os
import string
import unittest
import uuid

from slipway_server import ServerTestCase, model_has

ACCOUNT = "000000000000"
REGION = "us-east-1"
ARN_PREFIX = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"
NOT_FOUND = "Secrets Manager can't find the specified secret."
MARKED = ("You can't perform this operation on the secret because it was "
          "marked for deletion.")


class SecretsCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sm = cls.srv.client("secretsmanager")

    def make(self, name, **kwargs):
        if "SecretString" not in kwargs and "SecretBinary" not in kwargs:
            kwargs["SecretString"] = "value"
        out = self.sm.create_secret(Name=name, **kwargs)
        self.addCleanup(self.force_delete, name)
        return out

    def force_delete(self, name):
        try:
            self.sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        except self.sm.exceptions.ResourceNotFoundException:
            pass

    def value(self, secret_id, **kwargs):
        return self.sm.get_secret_value(SecretId=secret_id, **kwargs)


class TestSecrets(SecretsCase):
    def test_create_get_by_name_and_arn(self):
        out = self.make("compat/db", SecretString='{"user":"u","password":"p"}',
                        Description="database")
        arn = out["ARN"]
        self.assertTrue(arn.startswith(ARN_PREFIX + "compat/db-"), arn)
        self.assertEqual(len(arn), len(ARN_PREFIX + "compat/db-") + 6)
        for secret_id in ("compat/db", arn, arn[:-7]):
            got = self.value(secret_id)
            self.assertEqual(got["SecretString"], '{"user":"u","password":"p"}')
            self.assertEqual(got["ARN"], arn)
            self.assertEqual(got["VersionStages"], ["AWSCURRENT"])
            self.assertEqual(got["VersionId"], out["VersionId"])
        desc = self.sm.describe_secret(SecretId="compat/db")
        self.assertEqual(desc["Description"], "database")
        self.assertIn("LastAccessedDate", desc)
        self.assertEqual(desc["VersionIdsToStages"], {out["VersionId"]: ["AWSCURRENT"]})
        self.assertClientError(self.sm.get_secret_value, "ResourceNotFoundException", NOT_FOUND,
                               status=400, SecretId="compat/missing")
        self.assertClientError(self.sm.create_secret, "ResourceExistsException",
                               Name="compat/db", SecretString="again")

    def test_binary(self):
        self.make("compat/bin", SecretBinary=b"\x00\x01\xffbytes")
        got = self.value("compat/bin")
        self.assertEqual(got["SecretBinary"], b"\x00\x01\xffbytes")
        self.assertNotIn("SecretString", got)

    def test_idempotent_create_and_put(self):
        token = str(uuid.uuid4())
        a = self.make("compat/idem", SecretString="v", ClientRequestToken=token)
        b = self.sm.create_secret(Name="compat/idem", SecretString="v",
                                  ClientRequestToken=token)
        self.assertEqual(a["ARN"], b["ARN"])
        self.assertEqual(b["VersionId"], token)
        token2 = str(uuid.uuid4())
        self.sm.put_secret_value(SecretId="compat/idem", SecretString="w",
                                 ClientRequestToken=token2)
        self.sm.put_secret_value(SecretId="compat/idem", SecretString="w",
                                 ClientRequestToken=token2)
        self.assertClientError(self.sm.put_secret_value, "ResourceExistsException",
                               SecretId="compat/idem", SecretString="x",
                               ClientRequestToken=token2)
        self.assertEqual(self.value("compat/idem")["SecretString"], "w")
        self.assertEqual(self.value("compat/idem", VersionStage="AWSPREVIOUS")["SecretString"],
                         "v")

    def test_stages(self):
        first = self.make("compat/stages", SecretString="one")["VersionId"]
        second = self.sm.put_secret_value(SecretId="compat/stages",
                                          SecretString="two")["VersionId"]
        pending = self.sm.put_secret_value(SecretId="compat/stages", SecretString="three",
                                           VersionStages=["AWSPENDING"])
        self.assertEqual(pending["VersionStages"], ["AWSPENDING"])
        pending = pending["VersionId"]
        self.assertEqual(self.value("compat/stages")["SecretString"], "two")
        self.assertEqual(self.value("compat/stages", VersionStage="AWSPENDING")["SecretString"],
                         "three")
        self.assertEqual(self.value("compat/stages", VersionId=first)["SecretString"], "one")
        self.assertClientError(self.sm.update_secret_version_stage, "InvalidParameterException",
                               SecretId="compat/stages", VersionStage="AWSCURRENT",
                               MoveToVersionId=pending)
        self.sm.update_secret_version_stage(SecretId="compat/stages", VersionStage="AWSCURRENT",
                                            MoveToVersionId=pending,
                                            RemoveFromVersionId=second)
        self.assertEqual(self.value("compat/stages")["SecretString"], "three")
        self.assertEqual(self.value("compat/stages",
                                    VersionStage="AWSPREVIOUS")["SecretString"], "two")
        versions = self.sm.list_secret_version_ids(SecretId="compat/stages")["Versions"]
        self.assertEqual({v["VersionId"] for v in versions}, {second, pending})
        versions = self.sm.list_secret_version_ids(SecretId="compat/stages",
                                                   IncludeDeprecated=True)["Versions"]
        self.assertEqual({v["VersionId"] for v in versions}, {first, second, pending})

        updated = self.sm.update_secret(SecretId="compat/stages", SecretString="four",
                                        Description="changed")
        self.assertEqual(self.value("compat/stages")["VersionId"], updated["VersionId"])
        self.assertEqual(self.sm.describe_secret(SecretId="compat/stages")["Description"],
                         "changed")

    def test_list_filters_and_pages(self):
        for i in range(5):
            self.make(f"compat-list/p{i}", Tags=[{"Key": "idx", "Value": str(i)}])
        self.make("compat-other/x", Description="other one")
        pages = self.sm.get_paginator("list_secrets").paginate(
            Filters=[{"Key": "name", "Values": ["compat-list/"]}],
            PaginationConfig={"PageSize": 2})
        names = [s["Name"] for page in pages for s in page["SecretList"]]
        self.assertEqual(sorted(names), [f"compat-list/p{i}" for i in range(5)])
        out = self.sm.list_secrets(Filters=[{"Key": "tag-value", "Values": ["3"]}])
        self.assertEqual([s["Name"] for s in out["SecretList"]], ["compat-list/p3"])
        out = self.sm.list_secrets(Filters=[{"Key": "description", "Values": ["other"]}])
        self.assertEqual([s["Name"] for s in out["SecretList"]], ["compat-other/x"])
        entry = out["SecretList"][0]
        name_filter = [{"Key": "name", "Values": ["compat-list/"]}]
        for order, want in (("asc", [0, 1, 2, 3, 4]), ("desc", [4, 3, 2, 1, 0])):
            pages = self.sm.get_paginator("list_secrets").paginate(
                Filters=name_filter, SortOrder=order, PaginationConfig={"PageSize": 2})
            names = [s["Name"] for page in pages for s in page["SecretList"]]
            self.assertEqual(names, [f"compat-list/p{i}" for i in want])
        self.assertIn("SecretVersionsToStages", entry)
        self.assertIn("CreatedDate", entry)

    def test_delete_restore(self):
        self.make("compat/del")
        self.assertClientError(self.sm.delete_secret, "InvalidParameterException",
                               SecretId="compat/del", RecoveryWindowInDays=3)
        out = self.sm.delete_secret(SecretId="compat/del", RecoveryWindowInDays=7)
        self.assertIn("DeletionDate", out)
        self.assertClientError(self.sm.get_secret_value, "InvalidRequestException", MARKED,
                               SecretId="compat/del")
        self.assertIn("DeletedDate", self.sm.describe_secret(SecretId="compat/del"))
        names = [s["Name"] for s in self.sm.list_secrets()["SecretList"]]
        self.assertNotIn("compat/del", names)
        if model_has(self.sm, "ListSecrets", "IncludePlannedDeletion"):
            names = [s["Name"] for s in
                     self.sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]]
            self.assertIn("compat/del", names)
        self.sm.restore_secret(SecretId="compat/del")
        self.assertEqual(self.value("compat/del")["SecretString"], "value")
        self.sm.delete_secret(SecretId="compat/del", ForceDeleteWithoutRecovery=True)
        self.assertClientError(self.sm.get_secret_value, "ResourceNotFoundException", NOT_FOUND,
                               SecretId="compat/del")

    def test_tags(self):
        self.make("compat/tags", Tags=[{"Key": "a", "Value": "1"}])
        self.sm.tag_resource(SecretId="compat/tags", Tags=[{"Key": "b", "Value": "2"},
                                                            {"Key": "a", "Value": "3"}])
        tags = self.sm.describe_secret(SecretId="compat/tags")["Tags"]
        self.assertEqual({t["Key"]: t["Value"] for t in tags}, {"a": "3", "b": "2"})
        self.sm.untag_resource(SecretId="compat/tags", TagKeys=["a"])
        tags = self.sm.describe_secret(SecretId="compat/tags")["Tags"]
        self.assertEqual(tags, [{"Key": "b", "Value": "2"}])

    def test_random_password(self):
        pw = self.sm.get_random_password()["RandomPassword"]
        self.assertEqual(len(pw), 32)
        pw = self.sm.get_random_password(PasswordLength=64, ExcludePunctuation=True,
                                         ExcludeCharacters="abc")["RandomPassword"]
        self.assertEqual(len(pw), 64)
        self.assertFalse(set(pw) & set(string.punctuation + "abc"))
        pw = self.sm.get_random_password(PasswordLength=4, ExcludeNumbers=True,
                                         ExcludeLowercase=True, ExcludeUppercase=True,
                                         ExcludePunctuation=True,
                                         IncludeSpace=True)["RandomPassword"]
        self.assertEqual(pw, "    ")

    def test_batch_get(self):
        if "BatchGetSecretValue" not in self.sm.meta.service_model.operation_names:
            self.skipTest("this botocore predates BatchGetSecretValue")
        self.make("compat-batch/a", SecretString="A")
        self.make("compat-batch/b", SecretString="B")
        out = self.sm.batch_get_secret_value(SecretIdList=["compat-batch/a", "compat-batch/no"])
        self.assertEqual([v["SecretString"] for v in out["SecretValues"]], ["A"])
        self.assertEqual(out["Errors"][0]["ErrorCode"], "ResourceNotFoundException")
        out = self.sm.batch_get_secret_value(
            Filters=[{"Key": "name", "Values": ["compat-batch/"]}])
        self.assertEqual(sorted(v["SecretString"] for v in out["SecretValues"]), ["A", "B"])

    def test_rotate_not_implemented(self):
        self.make("compat/rot")
        resp = self.assertClientError(self.sm.rotate_secret, "NotImplemented",
                                      SecretId="compat/rot")
        self.assertIn("Lambda", resp["Error"]["Message"])

    def test_cli(self):
        self.srv.aws("secretsmanager", "create-secret", "--name", "compat/cli",
                     "--secret-string", "from-cli")
        self.addCleanup(self.force_delete, "compat/cli")
        out = self.srv.aws_json("secretsmanager", "get-secret-value", "--secret-id",
                                "compat/cli")
        self.assertEqual(out["SecretString"], "from-cli")
        rc, _, err = self.srv.aws("secretsmanager", "describe-secret", "--secret-id",
                                  "compat/cli-missing", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("ResourceNotFoundException", err)

    def test_no_plaintext_on_disk(self):
        marker = "slipway-marker-" + uuid.uuid4().hex
        self.make("compat/marker", SecretString=marker)
        self.sm.put_secret_value(SecretId="compat/marker", SecretBinary=marker.encode())
        self.sm.update_secret(SecretId="compat/marker", SecretString=marker + "-2")
        self.assertEqual(self.value("compat/marker")["SecretString"], marker + "-2")
        needle = marker.encode()
        for root, _, files in os.walk(self.srv.data_dir):
            for name in files:
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    self.assertNotIn(needle, f.read(), path)


class TestScopedPolicy(SecretsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.allowed_arn = cls.sm.create_secret(Name="scoped/allowed",
                                               SecretString="yes")["ARN"]
        cls.sm.create_secret(Name="scoped/other", SecretString="no")
        cls.iam.create_user(UserName="secretreader")
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
            "Resource": ARN_PREFIX + "scoped/allowed-??????"}]}
        cls.iam.put_user_policy(UserName="secretreader", PolicyName="one-secret",
                                PolicyDocument=json.dumps(policy))
        key = cls.iam.create_access_key(UserName="secretreader")["AccessKey"]
        cls.scoped = cls.srv.client("secretsmanager", access_key=key["AccessKeyId"],
                                    secret_key=key["SecretAccessKey"])

    def test_policy_scopes_secret(self):
        got = self.scoped.get_secret_value(SecretId="scoped/allowed")
        self.assertEqual(got["SecretString"], "yes")
        self.assertClientError(self.scoped.get_secret_value, "AccessDeniedException",
                               SecretId="scoped/other")
        # No permission says nothing about whether a secret exists.
        self.assertClientError(self.scoped.get_secret_value, "AccessDeniedException",
                               SecretId="scoped/missing")
        self.assertClientError(self.scoped.describe_secret, "AccessDeniedException",
                               SecretId="scoped/allowed")

    def test_resource_policy(self):
        user_arn = self.iam.get_user(UserName="secretreader")["User"]["Arn"]
        arn = self.sm.create_secret(Name="scoped/shared", SecretString="shared")["ARN"]
        self.addCleanup(self.force_delete, "scoped/shared")
        self.assertClientError(self.scoped.get_secret_value, "AccessDeniedException",
                               SecretId="scoped/shared")
        policy = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": user_arn},
            "Action": "secretsmanager:DescribeSecret", "Resource": "*"}]})
        self.sm.put_resource_policy(SecretId="scoped/shared", ResourcePolicy=policy)
        got = self.sm.get_resource_policy(SecretId="scoped/shared")
        self.assertEqual(json.loads(got["ResourcePolicy"]), json.loads(policy))
        self.assertEqual(got["ARN"], arn)
        # The resource policy grants what the user's own policy does not.
        self.assertEqual(self.scoped.describe_secret(SecretId="scoped/shared")["Name"],
                         "scoped/shared")
        self.assertClientError(self.scoped.get_secret_value, "AccessDeniedException",
                               SecretId="scoped/shared")
        self.sm.delete_resource_policy(SecretId="scoped/shared")
        self.assertNotIn("ResourcePolicy", self.sm.get_resource_policy(SecretId="scoped/shared"))
        self.assertClientError(self.scoped.describe_secret, "AccessDeniedException",
                               SecretId="scoped/shared")

        public = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:*",
            "Resource": "*"}]})
        self.assertClientError(self.sm.put_resource_policy, "PublicPolicyException",
                               SecretId="scoped/shared", ResourcePolicy=public,
                               BlockPublicPolicy=True)
        self.assertClientError(self.sm.put_resource_policy, "MalformedPolicyDocumentException",
                               SecretId="scoped/shared", ResourcePolicy="{not json")
        out = self.sm.validate_resource_policy(SecretId="scoped/shared", ResourcePolicy=policy)
        self.assertTrue(out["PolicyValidationPassed"])
        out = self.sm.validate_resource_policy(ResourcePolicy=public)
        self.assertFalse(out["PolicyValidationPassed"])


if __name__ == "__main__":
    unittest.main()


class TestCliEveryOperation(SecretsCase):
    """Each Secrets Manager operation through the aws CLI (v1 here, v2 with
    Debian's), with the errors AWS names."""

    def cli(self, *args):
        return self.srv.aws_json("secretsmanager", *args)

    def cli_error(self, code, *args):
        rc, _, err = self.srv.aws("secretsmanager", *args, check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn(f"({code})", err)
        return err

    def test_walkthrough(self):
        name = "cli-walk/db"
        self.addCleanup(self.force_delete, name)
        arn = self.cli("create-secret", "--name", name, "--secret-string", "one")["ARN"]
        self.assertTrue(arn.startswith(ARN_PREFIX + name + "-"), arn)
        self.cli_error("ResourceExistsException", "create-secret", "--name", name,
                       "--secret-string", "x")
        self.cli_error("ResourceNotFoundException", "get-secret-value", "--secret-id",
                       "cli-walk/none")
        first = self.cli("get-secret-value", "--secret-id", name)
        self.assertEqual(first["SecretString"], "one")

        second = self.cli("put-secret-value", "--secret-id", name, "--secret-string", "two")
        self.assertEqual(self.cli("get-secret-value", "--secret-id", arn)["SecretString"], "two")
        prev = self.cli("get-secret-value", "--secret-id", name, "--version-stage",
                        "AWSPREVIOUS")
        self.assertEqual(prev["SecretString"], "one")
        self.cli("update-secret", "--secret-id", name, "--description", "from the CLI")
        self.assertEqual(self.cli("describe-secret", "--secret-id", name)["Description"],
                         "from the CLI")
        # Move AWSCURRENT back to the first version.
        self.cli("update-secret-version-stage", "--secret-id", name, "--version-stage",
                 "AWSCURRENT", "--move-to-version-id", first["VersionId"],
                 "--remove-from-version-id", second["VersionId"])
        self.assertEqual(self.cli("get-secret-value", "--secret-id", name)["SecretString"], "one")
        versions = self.cli("list-secret-version-ids", "--secret-id", name)["Versions"]
        self.assertEqual(sorted(v["VersionId"] for v in versions),
                         sorted([first["VersionId"], second["VersionId"]]))
        listed = self.cli("list-secrets", "--filters", "Key=name,Values=cli-walk/")
        self.assertEqual([s["Name"] for s in listed["SecretList"]], [name])

        self.srv.aws("secretsmanager", "tag-resource", "--secret-id", name, "--tags",
                     "Key=team,Value=build")
        self.assertEqual(self.cli("describe-secret", "--secret-id", name)["Tags"],
                         [{"Key": "team", "Value": "build"}])
        self.srv.aws("secretsmanager", "untag-resource", "--secret-id", name, "--tag-keys",
                     "team")
        self.assertNotIn("Tags", {k: v for k, v in
                                  self.cli("describe-secret", "--secret-id", name).items()
                                  if v})

        pw = self.cli("get-random-password", "--password-length", "24",
                      "--exclude-punctuation")["RandomPassword"]
        self.assertEqual(len(pw), 24)
        self.assertFalse(set(pw) & set(string.punctuation), pw)

        policy = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
        got = self.cli("validate-resource-policy", "--resource-policy", policy)
        self.assertTrue(got["PolicyValidationPassed"])
        self.cli("put-resource-policy", "--secret-id", name, "--resource-policy", policy)
        got = self.cli("get-resource-policy", "--secret-id", name)
        self.assertEqual(json.loads(got["ResourcePolicy"]), json.loads(policy))
        self.cli("delete-resource-policy", "--secret-id", name)
        self.assertNotIn("ResourcePolicy", self.cli("get-resource-policy", "--secret-id", name))

        rc, _, err = self.srv.aws("secretsmanager", "batch-get-secret-value", "--secret-id-list",
                                  name, check=False)
        if "Invalid choice" not in err:  # Debian's CLI 2.9 predates the operation
            self.assertEqual(rc, 0, err)

        deleted = self.cli("delete-secret", "--secret-id", name, "--recovery-window-in-days", "7")
        self.assertIn("DeletionDate", deleted)
        err = self.cli_error("InvalidRequestException", "get-secret-value", "--secret-id", name)
        self.assertIn("marked for deletion", err)
        self.cli("restore-secret", "--secret-id", name)
        self.assertEqual(self.cli("get-secret-value", "--secret-id", name)["SecretString"], "one")


class TestModelConstraints(SecretsCase):
    def test_constraint_violation_is_validation_exception(self):
        # Secrets Manager names a broken model constraint ValidationException
        # (CloudWatch Logs, for one, says InvalidParameterException).
        resp = self.assertClientError(self.sm.get_random_password, "ValidationException",
                                      status=400, PasswordLength=5000)
        self.assertIn("passwordLength", resp["Error"]["Message"])
