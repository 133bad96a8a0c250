"""SSM Parameter Store through boto3 and the aws CLI: versions and
selectors, SecureString sealed at rest (no plaintext anywhere in the data
directory), AWS's errors and limits, paths and filters with paging,
history, labels, tags, and an IAM policy scoped to one hierarchy."""
import json
import os
import unittest
import uuid

from slipway_server import ServerTestCase

ACCOUNT = "000000000000"
REGION = "us-east-1"
ARN = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter"
EXISTS = ("The parameter already exists. To overwrite this request value, set the "
          "overwrite option in the request to true.")


class SsmCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ssm = cls.srv.client("ssm")

    def put(self, name, value, type_="String", **kwargs):
        resp = self.ssm.put_parameter(Name=name, Value=value, Type=type_, **kwargs)
        self.addCleanup(self.delete, name)
        return resp

    def delete(self, name):
        self.ssm.delete_parameters(Names=[name])


class TestParameters(SsmCase):
    def test_put_get_overwrite(self):
        resp = self.put("/compat/app/url", "http://a")
        self.assertEqual(resp["Version"], 1)
        self.assertEqual(resp["Tier"], "Standard")
        self.assertClientError(self.ssm.put_parameter, "ParameterAlreadyExists", EXISTS,
                               status=400, Name="/compat/app/url", Value="x", Type="String")
        self.assertEqual(self.ssm.put_parameter(Name="/compat/app/url", Value="http://b",
                                                Overwrite=True)["Version"], 2)
        p = self.ssm.get_parameter(Name="/compat/app/url")["Parameter"]
        self.assertEqual((p["Value"], p["Version"], p["Type"]), ("http://b", 2, "String"))
        self.assertEqual(p["ARN"], f"{ARN}/compat/app/url")
        self.assertEqual(p["DataType"], "text")
        self.assertIsNotNone(p["LastModifiedDate"].year)
        old = self.ssm.get_parameter(Name="/compat/app/url:1")["Parameter"]
        self.assertEqual((old["Value"], old["Selector"], old["Name"]),
                         ("http://a", ":1", "/compat/app/url"))
        self.assertClientError(self.ssm.get_parameter, "ParameterVersionNotFound",
                               Name="/compat/app/url:5")
        self.assertClientError(self.ssm.get_parameter, "ParameterNotFound", Name="/compat/none")

    def test_arn_without_slash(self):
        self.put("compatplain", "v", "StringList")
        p = self.ssm.get_parameter(Name="compatplain")["Parameter"]
        self.assertEqual(p["ARN"], f"{ARN}/compatplain")
        self.assertEqual(p["Type"], "StringList")

    def test_get_parameters_and_delete(self):
        self.put("/compat/many/a", "1")
        self.put("/compat/many/b", "2")
        resp = self.ssm.get_parameters(Names=["/compat/many/a", "/compat/many/b:1",
                                              "/compat/many/zz"])
        self.assertEqual(sorted(p["Name"] for p in resp["Parameters"]),
                         ["/compat/many/a", "/compat/many/b"])
        self.assertEqual(resp["InvalidParameters"], ["/compat/many/zz"])
        self.ssm.delete_parameter(Name="/compat/many/a")
        self.assertClientError(self.ssm.delete_parameter, "ParameterNotFound",
                               Name="/compat/many/a")
        resp = self.ssm.delete_parameters(Names=["/compat/many/b", "/compat/many/a"])
        self.assertEqual(resp["DeletedParameters"], ["/compat/many/b"])
        self.assertEqual(resp["InvalidParameters"], ["/compat/many/a"])
        # Versions start again at 1 after a delete.
        self.assertEqual(self.put("/compat/many/a", "again")["Version"], 1)

    def test_names_and_limits(self):
        for bad in ("awsname", "/ssm/x", "/compat/a b", "compat/rel", "/compat//x"):
            self.assertClientError(self.ssm.put_parameter, "ValidationException", Name=bad,
                                   Value="v", Type="String")
        deep = "/" + "/".join(str(i) for i in range(1, 17))
        self.assertClientError(self.ssm.put_parameter, "HierarchyLevelLimitExceededException",
                               Name=deep, Value="v", Type="String")
        self.assertClientError(self.ssm.put_parameter, "ValidationException",
                               Name="/compat/big", Value="x" * 4097, Type="String")
        resp = self.put("/compat/big", "x" * 4097, Tier="Advanced")
        self.assertEqual(resp["Tier"], "Advanced")
        self.assertClientError(self.ssm.put_parameter, "ValidationException",
                               Name="/compat/big", Value="x" * 8193, Overwrite=True)
        self.assertClientError(self.ssm.put_parameter, "ParameterPatternMismatchException",
                               Name="/compat/num", Value="abc", Type="String",
                               AllowedPattern="^[0-9]+$")
        self.put("/compat/num", "123", AllowedPattern="^[0-9]+$")
        self.assertClientError(self.ssm.put_parameter, "ParameterPatternMismatchException",
                               Name="/compat/num", Value="12a", Overwrite=True)
        self.assertClientError(self.ssm.put_parameter, "ValidationException",
                               Name="/compat/num", Value="1", Overwrite=True,
                               Tags=[{"Key": "k", "Value": "v"}])

    def test_version_limit(self):
        self.put("/compat/versions", "0")
        for i in range(1, 100):
            self.ssm.put_parameter(Name="/compat/versions", Value=str(i), Overwrite=True)
        self.assertEqual(self.ssm.put_parameter(Name="/compat/versions", Value="100",
                                                Overwrite=True)["Version"], 101)
        self.assertClientError(self.ssm.get_parameter, "ParameterVersionNotFound",
                               Name="/compat/versions:1")
        self.ssm.label_parameter_version(Name="/compat/versions", ParameterVersion=2,
                                         Labels=["pinned"])
        self.assertClientError(self.ssm.put_parameter, "ParameterMaxVersionLimitExceeded",
                               Name="/compat/versions", Value="x", Overwrite=True)

    def test_cli_put_exists(self):
        self.addCleanup(self.delete, "/compat/cli/put")
        out = self.srv.aws_json("ssm", "put-parameter", "--name", "/compat/cli/put",
                                "--value", "a,b", "--type", "StringList")
        self.assertEqual(out["Version"], 1)
        rc, _, err = self.srv.aws("ssm", "put-parameter", "--name", "/compat/cli/put",
                                  "--value", "c", "--type", "StringList", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn(f"(ParameterAlreadyExists) when calling the PutParameter operation: "
                      f"{EXISTS}", err)


class TestSecureString(SsmCase):
    def test_sealed_at_rest(self):
        marker = "slipway-marker-" + uuid.uuid4().hex
        self.put("/compat/secret", marker, "SecureString")
        self.ssm.put_parameter(Name="/compat/secret", Value=marker + "-2", Overwrite=True)
        p = self.ssm.get_parameter(Name="/compat/secret", WithDecryption=True)["Parameter"]
        self.assertEqual((p["Value"], p["Type"]), (marker + "-2", "SecureString"))
        hidden = self.ssm.get_parameter(Name="/compat/secret:1")["Parameter"]["Value"]
        self.assertNotIn(marker, hidden)
        history = self.ssm.get_parameter_history(Name="/compat/secret",
                                                 WithDecryption=True)["Parameters"]
        self.assertEqual([h["Value"] for h in history], [marker, marker + "-2"])
        self.assertEqual(history[0]["KeyId"], "alias/aws/ssm")
        meta = self.ssm.describe_parameters(ParameterFilters=[
            {"Key": "Name", "Values": ["/compat/secret"]}])["Parameters"]
        self.assertEqual(meta[0]["KeyId"], "alias/aws/ssm")
        needle = marker.encode()
        for root, _, files in os.walk(self.srv.data_dir):
            for name in files:
                with open(os.path.join(root, name), "rb") as fh:
                    self.assertNotIn(needle, fh.read(), os.path.join(root, name))

    def test_cli_decryption(self):
        self.put("/compat/cli/secret", "cli-value", "SecureString", KeyId="alias/mine")
        out = self.srv.aws_json("ssm", "get-parameter", "--name", "/compat/cli/secret",
                                "--with-decryption")
        self.assertEqual(out["Parameter"]["Value"], "cli-value")
        out = self.srv.aws_json("ssm", "get-parameter", "--name", "/compat/cli/secret")
        self.assertNotEqual(out["Parameter"]["Value"], "cli-value")



class TestPathsAndDescribe(SsmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for i in range(12):
            cls.ssm.put_parameter(Name=f"/tree/a/p{i:02d}", Value=str(i), Type="String")
        cls.ssm.put_parameter(Name="/tree/a/deep/x", Value="x", Type="SecureString")
        cls.ssm.put_parameter(Name="/tree/b", Value="b", Type="String",
                              Tags=[{"Key": "team", "Value": "blue"}])

    def test_one_level_and_paging(self):
        paginator = self.ssm.get_paginator("get_parameters_by_path")
        names = [p["Name"] for page in paginator.paginate(Path="/tree/a")
                 for p in page["Parameters"]]
        self.assertEqual(names, [f"/tree/a/p{i:02d}" for i in range(12)])
        first = self.ssm.get_parameters_by_path(Path="/tree/a", MaxResults=5)
        self.assertEqual(len(first["Parameters"]), 5)
        self.assertIn("NextToken", first)

    def test_recursive_and_filters(self):
        resp = self.ssm.get_parameters_by_path(
            Path="/tree", Recursive=True, WithDecryption=True,
            ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}])
        self.assertEqual([(p["Name"], p["Value"]) for p in resp["Parameters"]],
                         [("/tree/a/deep/x", "x")])
        resp = self.ssm.get_parameters_by_path(
            Path="/", Recursive=True,
            ParameterFilters=[{"Key": "tag:team", "Values": ["blue"]}])
        self.assertEqual([p["Name"] for p in resp["Parameters"]], ["/tree/b"])
        self.assertClientError(self.ssm.get_parameters_by_path, "InvalidFilterKey",
                               Path="/tree", ParameterFilters=[{"Key": "Name",
                                                                "Values": ["x"]}])

    def test_describe(self):
        paginator = self.ssm.get_paginator("describe_parameters")
        names = [p["Name"] for page in paginator.paginate(
            ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": ["/tree"]}],
            PaginationConfig={"PageSize": 4}) for p in page["Parameters"]]
        self.assertEqual(len(names), 14)
        resp = self.ssm.describe_parameters(Filters=[{"Key": "Name", "Values": ["/tree/b"]}])
        self.assertEqual([p["Name"] for p in resp["Parameters"]], ["/tree/b"])
        # ParameterMetadata.ARN is newer than Debian's botocore, which drops it.
        if "ARN" in self.ssm.meta.service_model.shape_for("ParameterMetadata").members:
            self.assertEqual(resp["Parameters"][0]["ARN"], f"{ARN}/tree/b")
        resp = self.ssm.describe_parameters(ParameterFilters=[
            {"Key": "Name", "Option": "BeginsWith", "Values": ["/tree/a/p1"]}])
        self.assertEqual(len(resp["Parameters"]), 2)
        self.assertClientError(self.ssm.describe_parameters, "ValidationException",
                               Filters=[{"Key": "Name", "Values": ["x"]}],
                               ParameterFilters=[{"Key": "Name", "Values": ["x"]}])

    def test_cli_by_path(self):
        out = self.srv.aws_json("ssm", "get-parameters-by-path", "--path", "/tree",
                                "--recursive")
        self.assertEqual(len(out["Parameters"]), 14)


class TestHistoryLabelsTags(SsmCase):
    def test_history_and_labels(self):
        self.put("/compat/lab", "v1", Description="first")
        self.ssm.put_parameter(Name="/compat/lab", Value="v2", Overwrite=True)
        self.ssm.put_parameter(Name="/compat/lab", Value="v3", Overwrite=True)
        hist = self.ssm.get_parameter_history(Name="/compat/lab", MaxResults=2)
        self.assertEqual([h["Value"] for h in hist["Parameters"]], ["v1", "v2"])
        self.assertEqual(hist["Parameters"][1]["Description"], "first")
        rest = self.ssm.get_parameter_history(Name="/compat/lab", NextToken=hist["NextToken"])
        self.assertEqual([h["Version"] for h in rest["Parameters"]], [3])

        resp = self.ssm.label_parameter_version(Name="/compat/lab", ParameterVersion=1,
                                                Labels=["prod", "9lives"])
        self.assertEqual((resp["InvalidLabels"], resp["ParameterVersion"]), (["9lives"], 1))
        self.assertEqual(self.ssm.get_parameter(Name="/compat/lab:prod")["Parameter"]["Value"],
                         "v1")
        self.ssm.label_parameter_version(Name="/compat/lab", Labels=["prod"])
        p = self.ssm.get_parameter(Name="/compat/lab:prod")["Parameter"]
        self.assertEqual((p["Value"], p["Selector"]), ("v3", ":prod"))
        hist = self.ssm.get_parameter_history(Name="/compat/lab")["Parameters"]
        self.assertEqual([h["Labels"] for h in hist], [[], [], ["prod"]])
        resp = self.ssm.unlabel_parameter_version(Name="/compat/lab", ParameterVersion=3,
                                                  Labels=["prod", "nope"])
        self.assertEqual((resp["RemovedLabels"], resp["InvalidLabels"]), (["prod"], ["nope"]))
        self.assertClientError(self.ssm.label_parameter_version, "ParameterVersionNotFound",
                               Name="/compat/lab", ParameterVersion=9, Labels=["x"])
        self.assertClientError(self.ssm.get_parameter_history, "ParameterNotFound",
                               Name="/compat/nolab")

    def test_tags(self):
        self.put("/compat/tagged", "v", Tags=[{"Key": "a", "Value": "1"}])
        self.ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/compat/tagged",
                                      Tags=[{"Key": "b", "Value": "2"}])
        self.ssm.remove_tags_from_resource(ResourceType="Parameter",
                                           ResourceId="/compat/tagged", TagKeys=["a"])
        tags = self.ssm.list_tags_for_resource(ResourceType="Parameter",
                                               ResourceId="/compat/tagged")["TagList"]
        self.assertEqual(tags, [{"Key": "b", "Value": "2"}])
        self.assertClientError(self.ssm.list_tags_for_resource, "InvalidResourceId",
                               ResourceType="Parameter", ResourceId="/compat/untagged")
        many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
        self.assertClientError(self.ssm.add_tags_to_resource, "TooManyTagsError",
                               ResourceType="Parameter", ResourceId="/compat/tagged", Tags=many)


class TestAuthorization(SsmCase):
    """A user allowed ssm:* on /team and below only (GetParametersByPath is
    authorized on the path's own ARN, as in AWS)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.iam.create_user(UserName="paramreader")
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "ssm:*",
            "Resource": [f"{ARN}/team", f"{ARN}/team/*"]}]}
        cls.iam.put_user_policy(UserName="paramreader", PolicyName="team",
                                PolicyDocument=json.dumps(policy))
        key = cls.iam.create_access_key(UserName="paramreader")["AccessKey"]
        cls.scoped = cls.srv.client("ssm", access_key=key["AccessKeyId"],
                                    secret_key=key["SecretAccessKey"])
        cls.ssm.put_parameter(Name="/other/x", Value="x", Type="String")

    def test_scoped(self):
        self.scoped.put_parameter(Name="/team/x", Value="t", Type="SecureString")
        self.assertEqual(self.scoped.get_parameter(Name="/team/x", WithDecryption=True)
                         ["Parameter"]["Value"], "t")
        self.assertClientError(self.scoped.get_parameter, "AccessDeniedException",
                               Name="/other/x")
        self.assertClientError(self.scoped.put_parameter, "AccessDeniedException",
                               Name="/other/y", Value="y", Type="String")
        resp = self.scoped.get_parameters_by_path(Path="/team")
        self.assertEqual([p["Name"] for p in resp["Parameters"]], ["/team/x"])
        self.scoped.delete_parameter(Name="/team/x")


if __name__ == "__main__":
    unittest.main()


class TestCliEveryOperation(SsmCase):
    """Each Parameter Store operation through the aws CLI (v1 here, v2 with
    Debian's), with the errors AWS names."""

    def cli(self, *args):
        return self.srv.aws_json("ssm", *args)

    def cli_error(self, code, *args):
        rc, _, err = self.srv.aws("ssm", *args, check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn(f"({code})", err)
        return err

    def test_walkthrough(self):
        p = "/cli-walk/db/url"
        self.addCleanup(self.delete, p)
        self.addCleanup(self.delete, "/cli-walk/db/pass")
        self.assertEqual(self.cli("put-parameter", "--name", p, "--value", "v1", "--type",
                                  "String")["Version"], 1)
        self.cli_error("ParameterAlreadyExists", "put-parameter", "--name", p, "--value", "x",
                       "--type", "String")
        self.assertEqual(self.cli("put-parameter", "--name", p, "--value", "v2", "--type",
                                  "String", "--overwrite")["Version"], 2)
        self.cli("put-parameter", "--name", "/cli-walk/db/pass", "--value", "s3cret",
                 "--type", "SecureString")

        self.assertEqual(self.cli("get-parameter", "--name", p)["Parameter"]["Value"], "v2")
        self.assertEqual(self.cli("get-parameter", "--name", f"{p}:1")["Parameter"]["Value"],
                         "v1")
        self.cli_error("ParameterVersionNotFound", "get-parameter", "--name", f"{p}:9")
        self.cli_error("ParameterNotFound", "get-parameter", "--name", "/cli-walk/none")
        got = self.cli("get-parameter", "--name", "/cli-walk/db/pass", "--with-decryption")
        self.assertEqual(got["Parameter"]["Value"], "s3cret")
        got = self.cli("get-parameters", "--names", p, "/cli-walk/none")
        self.assertEqual([x["Name"] for x in got["Parameters"]], [p])
        self.assertEqual(got["InvalidParameters"], ["/cli-walk/none"])
        got = self.cli("get-parameters-by-path", "--path", "/cli-walk", "--recursive")
        self.assertEqual(sorted(x["Name"] for x in got["Parameters"]),
                         ["/cli-walk/db/pass", p])
        got = self.cli("describe-parameters", "--parameter-filters",
                       "Key=Name,Option=BeginsWith,Values=/cli-walk/")
        self.assertEqual(sorted(x["Name"] for x in got["Parameters"]),
                         ["/cli-walk/db/pass", p])
        got = self.cli("get-parameter-history", "--name", p)
        self.assertEqual([x["Value"] for x in got["Parameters"]], ["v1", "v2"])

        got = self.cli("label-parameter-version", "--name", p, "--parameter-version", "1",
                       "--labels", "stable")
        self.assertEqual(got["InvalidLabels"], [])
        self.assertEqual(self.cli("get-parameter", "--name", f"{p}:stable")["Parameter"]["Value"],
                         "v1")
        got = self.cli("unlabel-parameter-version", "--name", p, "--parameter-version", "1",
                       "--labels", "stable")
        self.assertEqual(got["RemovedLabels"], ["stable"])

        self.srv.aws("ssm", "add-tags-to-resource", "--resource-type", "Parameter",
                     "--resource-id", p, "--tags", "Key=team,Value=build")
        got = self.cli("list-tags-for-resource", "--resource-type", "Parameter",
                       "--resource-id", p)
        self.assertEqual(got["TagList"], [{"Key": "team", "Value": "build"}])
        self.srv.aws("ssm", "remove-tags-from-resource", "--resource-type", "Parameter",
                     "--resource-id", p, "--tag-keys", "team")
        got = self.cli("list-tags-for-resource", "--resource-type", "Parameter",
                       "--resource-id", p)
        self.assertEqual(got["TagList"], [])

        self.srv.aws("ssm", "delete-parameter", "--name", "/cli-walk/db/pass")
        got = self.cli("delete-parameters", "--names", p, "/cli-walk/none")
        self.assertEqual((got["DeletedParameters"], got["InvalidParameters"]),
                         ([p], ["/cli-walk/none"]))
        self.cli_error("ParameterNotFound", "delete-parameter", "--name", p)
