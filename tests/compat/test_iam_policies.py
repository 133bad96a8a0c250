"""IAM managed policies through boto3 and the aws CLI: customer managed
policies and their versions, AWS managed policies, ListPolicies filters
and paging, ListEntitiesForPolicy, attachment and boundary counts,
permissions boundaries, and policy validation as IAM words it.
"""
import datetime
import json
import os
import tempfile
import unittest

import botocore.exceptions

from slipway_server import ServerTestCase, SlipwayServer

ACCOUNT = "000000000000"
AWS = "arn:aws:iam::aws:policy/"
READONLY_POLICY = AWS + "ReadOnlyAccess"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}


def policy(*actions, resource="*"):
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}]}


def local_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT}:policy{path}{name}"


class PolicyCase(ServerTestCase):
    """One server per test class."""

    def create(self, name, doc=None, **kwargs):
        return self.iam.create_policy(PolicyName=name,
                                      PolicyDocument=json.dumps(doc or policy("s3:GetObject")),
                                      **kwargs)["Policy"]


class TestCustomerPolicies(PolicyCase):
    def test_create_get(self):
        doc = policy("codebuild:StartBuild", resource="arn:aws:codebuild:*:*:project/web-*")
        tags = [{"Key": "team", "Value": "ci"}]
        created = self.create("start-builds", doc, Path="/ci/", Description="starts builds",
                              Tags=tags)
        self.assertEqual(created["PolicyName"], "start-builds")
        self.assertEqual(created["Arn"], local_arn("start-builds", "/ci/"))
        self.assertEqual(created["Path"], "/ci/")
        self.assertRegex(created["PolicyId"], r"^ANPA[A-Z0-9]{17}$")
        self.assertEqual(created["DefaultVersionId"], "v1")
        self.assertEqual(created["AttachmentCount"], 0)
        self.assertEqual(created["PermissionsBoundaryUsageCount"], 0)
        self.assertTrue(created["IsAttachable"])
        self.assertIsInstance(created["CreateDate"], datetime.datetime)

        got = self.iam.get_policy(PolicyArn=created["Arn"])["Policy"]
        for field in ("PolicyName", "PolicyId", "Arn", "Path", "DefaultVersionId",
                      "CreateDate", "UpdateDate"):
            self.assertEqual(got[field], created[field], field)
        self.assertEqual(got["Description"], "starts builds")
        self.assertEqual(got["Tags"], tags)

        version = self.iam.get_policy_version(PolicyArn=created["Arn"],
                                              VersionId="v1")["PolicyVersion"]
        # The document comes back URL-encoded; botocore decodes it into a dict.
        self.assertEqual(version["Document"], doc)
        self.assertTrue(version["IsDefaultVersion"])
        self.assertEqual(version["VersionId"], "v1")

    def test_names_are_unique_in_the_account(self):
        self.create("dup-name")
        for name, path in [("dup-name", "/"), ("DUP-NAME", "/other/")]:
            with self.subTest(path=path):
                self.assertClientError(
                    self.iam.create_policy, "EntityAlreadyExists",
                    f"A policy called {name} already exists. Duplicate names are not allowed.",
                    409, PolicyName=name, Path=path,
                    PolicyDocument=json.dumps(policy("s3:GetObject")))

    def test_missing_policy(self):
        arn = local_arn("nothing-here")
        for call, kwargs in [(self.iam.get_policy, {}), (self.iam.delete_policy, {}),
                             (self.iam.list_policy_versions, {}),
                             (self.iam.list_entities_for_policy, {}),
                             (self.iam.get_policy_version, {"VersionId": "v1"})]:
            with self.subTest(call=call.__name__):
                self.assertClientError(call, "NoSuchEntity", f"Policy {arn} was not found.", 404,
                                       PolicyArn=arn, **kwargs)
        # The path is part of the ARN.
        self.create("pathed", Path="/a/")
        self.assertClientError(self.iam.get_policy, "NoSuchEntity",
                               f"Policy {local_arn('pathed')} was not found.", 404,
                               PolicyArn=local_arn("pathed"))

    def test_validation_in_iams_words(self):
        cases = [
            ("not json", "Syntax errors in policy."),
            (json.dumps({"Version": "2008-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}),
             "Policy document must be version 2012-10-17 or greater."),
            (json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject"}]}),
             "Policy statement must contain resources."),
            (json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]}),
             "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        ]
        for i, (doc, message) in enumerate(cases):
            with self.subTest(message=message):
                self.assertClientError(self.iam.create_policy, "MalformedPolicyDocument",
                                       message, 400, PolicyName=f"bad-{i}", PolicyDocument=doc)
        names = [p["PolicyName"] for p in self.iam.list_policies(Scope="Local")["Policies"]]
        self.assertFalse([n for n in names if n.startswith("bad-")])

    def test_size_quota(self):
        # IAM quotas: a managed policy holds 6,144 characters, white space not counted.
        def doc(n):
            return policy("s3:GetObject",
                          resource=[f"arn:aws:s3:::bucket-{i:05d}/*" for i in range(n)])
        big, small = doc(250), doc(180)
        self.assertGreater(len(json.dumps(big, separators=(",", ":"))), 6144)
        self.assertClientError(self.iam.create_policy, "LimitExceeded",
                               "Cannot exceed quota for PolicySize: 6144", 409,
                               PolicyName="too-big", PolicyDocument=json.dumps(big))
        pretty = json.dumps(small, indent=8)
        self.assertGreater(len(pretty), 6144)
        self.assertLess(len(json.dumps(small, separators=(",", ":"))), 6144)
        arn = self.iam.create_policy(PolicyName="pretty", PolicyDocument=pretty)["Policy"]["Arn"]
        self.assertEqual(self.iam.get_policy_version(PolicyArn=arn, VersionId="v1")[
            "PolicyVersion"]["Document"], small)

    def test_cli_create_from_file(self):
        doc = policy("codepipeline:PutApprovalResult",
                     resource="arn:aws:codepipeline:us-east-1:000000000000:app/Prod/*")
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(doc, f, indent=2)
        try:
            created = self.srv.aws_json("iam", "create-policy", "--policy-name", "approve-prod",
                                        "--policy-document", f"file://{f.name}")["Policy"]
        finally:
            os.unlink(f.name)
        self.assertEqual(created["Arn"], local_arn("approve-prod"))
        version = self.srv.aws_json("iam", "get-policy-version", "--policy-arn", created["Arn"],
                                    "--version-id", "v1")["PolicyVersion"]
        self.assertEqual(version["Document"], doc)
        rc, _, err = self.srv.aws("iam", "create-policy", "--policy-name", "from-path",
                                  "--policy-document", "policy.json", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("An error occurred (MalformedPolicyDocument) when calling the CreatePolicy "
                      "operation: Syntax errors in policy.", err)


class TestVersions(PolicyCase):
    def test_version_lifecycle(self):
        arn = self.create("versioned")["Arn"]
        v2_doc = policy("s3:PutObject")
        v2 = self.iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(v2_doc))[
            "PolicyVersion"]
        self.assertEqual(v2["VersionId"], "v2")
        self.assertFalse(v2["IsDefaultVersion"])
        self.assertNotIn("Document", v2)
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"], "v1")

        v3 = self.iam.create_policy_version(PolicyArn=arn, SetAsDefault=True,
                                            PolicyDocument=json.dumps(policy("s3:ListBucket")))[
            "PolicyVersion"]
        self.assertEqual(v3["VersionId"], "v3")
        self.assertTrue(v3["IsDefaultVersion"])
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"], "v3")

        versions = self.iam.list_policy_versions(PolicyArn=arn)
        self.assertFalse(versions["IsTruncated"])
        self.assertEqual([(v["VersionId"], v["IsDefaultVersion"]) for v in versions["Versions"]],
                         [("v3", True), ("v2", False), ("v1", False)])
        page = self.iam.list_policy_versions(PolicyArn=arn, MaxItems=2)
        self.assertTrue(page["IsTruncated"])
        rest = self.iam.list_policy_versions(PolicyArn=arn, Marker=page["Marker"])
        self.assertEqual([v["VersionId"] for v in rest["Versions"]], ["v1"])

        self.iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
        got = self.iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]
        self.assertTrue(got["IsDefaultVersion"])
        self.assertEqual(got["Document"], v2_doc)
        self.assertFalse(self.iam.get_policy_version(PolicyArn=arn, VersionId="v3")[
            "PolicyVersion"]["IsDefaultVersion"])

        self.assertClientError(self.iam.delete_policy_version, "DeleteConflict",
                               "Cannot delete the default version of a policy.", 409,
                               PolicyArn=arn, VersionId="v2")
        self.iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
        self.assertClientError(
            self.iam.get_policy_version, "NoSuchEntity",
            f"Policy {arn} version v1 does not exist or is not attachable.", 404,
            PolicyArn=arn, VersionId="v1")
        self.assertClientError(
            self.iam.set_default_policy_version, "NoSuchEntity",
            f"Policy {arn} version v1 does not exist or is not attachable.", 404,
            PolicyArn=arn, VersionId="v1")
        # Version ids are never reused.
        v4 = self.iam.create_policy_version(PolicyArn=arn,
                                            PolicyDocument=json.dumps(policy("s3:GetObject")))
        self.assertEqual(v4["PolicyVersion"]["VersionId"], "v4")

    def test_five_versions_at_most(self):
        arn = self.create("five")["Arn"]
        for _ in range(4):
            self.iam.create_policy_version(PolicyArn=arn,
                                           PolicyDocument=json.dumps(policy("s3:GetObject")))
        self.assertClientError(
            self.iam.create_policy_version, "LimitExceeded",
            "A managed policy can have up to 5 versions. Before you create a new version, you "
            "must delete an existing version.", 409,
            PolicyArn=arn, PolicyDocument=json.dumps(policy("s3:GetObject")))
        self.assertEqual(len(self.iam.list_policy_versions(PolicyArn=arn)["Versions"]), 5)

    def test_new_version_is_validated(self):
        arn = self.create("checked")["Arn"]
        self.assertClientError(self.iam.create_policy_version, "MalformedPolicyDocument",
                               "Syntax errors in policy.", 400,
                               PolicyArn=arn, PolicyDocument="{")
        self.assertEqual(len(self.iam.list_policy_versions(PolicyArn=arn)["Versions"]), 1)

    def test_delete_policy_rules(self):
        arn = self.create("deletable")["Arn"]
        self.iam.create_policy_version(PolicyArn=arn, SetAsDefault=True,
                                       PolicyDocument=json.dumps(policy("s3:GetObject")))
        self.assertClientError(
            self.iam.delete_policy, "DeleteConflict",
            "This policy has more than one version. Before you delete a policy, you must delete "
            "the policy's versions. The default version is deleted with the policy.", 409,
            PolicyArn=arn)
        self.iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
        self.iam.create_user(UserName="holder")
        self.iam.attach_user_policy(UserName="holder", PolicyArn=arn)
        self.assertClientError(self.iam.delete_policy, "DeleteConflict",
                               "Cannot delete a policy attached to entities.", 409, PolicyArn=arn)
        self.iam.detach_user_policy(UserName="holder", PolicyArn=arn)
        self.iam.put_user_permissions_boundary(UserName="holder", PermissionsBoundary=arn)
        self.assertClientError(self.iam.delete_policy, "DeleteConflict",
                               "Cannot delete a policy attached to entities.", 409, PolicyArn=arn)
        self.iam.delete_user_permissions_boundary(UserName="holder")
        self.iam.delete_policy(PolicyArn=arn)
        self.assertClientError(self.iam.get_policy, "NoSuchEntity",
                               f"Policy {arn} was not found.", 404, PolicyArn=arn)
        # The name is free again, with a new id and a fresh v1.
        again = self.create("deletable")
        self.assertEqual(again["DefaultVersionId"], "v1")
        self.assertEqual(len(self.iam.list_policy_versions(PolicyArn=arn)["Versions"]), 1)


class TestAwsManagedPolicies(PolicyCase):
    NAMED = ["AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "IAMFullAccess",
             "IAMReadOnlyAccess", "AWSCodeBuildAdminAccess", "AWSCodeBuildDeveloperAccess",
             "AWSCodeBuildReadOnlyAccess", "AWSCodePipeline_FullAccess",
             "AWSCodePipeline_ReadOnlyAccess", "AWSCodePipelineApproverAccess",
             "AWSCodeCommitPowerUser", "AWSCodeCommitFullAccess", "AWSCodeCommitReadOnly",
             "AWSCodeDeployFullAccess", "AWSCodeDeployReadOnlyAccess",
             "AWSCodeDeployDeployerAccess", "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess",
             "CloudWatchLogsFullAccess", "CloudWatchLogsReadOnlyAccess", "SecretsManagerReadWrite",
             "AmazonSSMReadOnlyAccess", "AmazonEventBridgeFullAccess", "AmazonSNSFullAccess",
             "AWSCloudTrail_FullAccess"]

    def all_aws(self):
        paginator = self.iam.get_paginator("list_policies")
        return [p for page in paginator.paginate(Scope="AWS") for p in page["Policies"]]

    def test_listed_with_their_arns(self):
        listed = {p["Arn"]: p for p in self.all_aws()}
        for name in self.NAMED:
            with self.subTest(name=name):
                p = listed[AWS + name]
                self.assertEqual(p["PolicyName"], name)
                self.assertEqual(p["Path"], "/")
                self.assertRegex(p["DefaultVersionId"], r"^v[1-9][0-9]*$")
                self.assertTrue(p["IsAttachable"])
                self.assertRegex(p["PolicyId"], r"^ANPA[A-Z0-9]{17}$")
        # The service roles' policies live under service-role/.
        self.assertEqual(listed[AWS + "service-role/AWSCodeDeployRole"]["Path"], "/service-role/")
        self.assertIn(AWS + "service-role/AmazonEC2RoleforAWSCodeDeploy", listed)
        # Nothing of the account's among them.
        self.create("mine-not-aws")
        self.assertNotIn(local_arn("mine-not-aws"), {p["Arn"] for p in self.all_aws()})

    def test_well_known_ids_and_versions(self):
        admin = self.iam.get_policy(PolicyArn=AWS + "AdministratorAccess")["Policy"]
        self.assertEqual(admin["PolicyId"], "ANPAIWMBCKSKIEE64ZLYK")
        self.assertEqual(admin["DefaultVersionId"], "v1")
        self.assertEqual(admin["Description"],
                         "Provides full access to AWS services and resources.")
        self.assertEqual(admin["CreateDate"],
                         datetime.datetime(2015, 2, 6, 18, 39, 46, tzinfo=datetime.timezone.utc))

    def test_documents(self):
        admin = self.iam.get_policy_version(PolicyArn=AWS + "AdministratorAccess",
                                            VersionId="v1")["PolicyVersion"]
        self.assertEqual(admin["Document"]["Statement"],
                         [{"Effect": "Allow", "Action": "*", "Resource": "*"}])
        power = self.iam.get_policy(PolicyArn=AWS + "PowerUserAccess")["Policy"]
        doc = self.iam.get_policy_version(PolicyArn=power["Arn"],
                                          VersionId=power["DefaultVersionId"])["PolicyVersion"]
        first = doc["Document"]["Statement"][0]
        self.assertEqual(first["NotAction"], ["iam:*", "organizations:*", "account:*"])
        self.assertTrue(doc["IsDefaultVersion"])
        read = self.iam.get_policy(PolicyArn=AWS + "AWSCodeBuildReadOnlyAccess")["Policy"]
        actions = self.iam.get_policy_version(
            PolicyArn=read["Arn"], VersionId=read["DefaultVersionId"])["PolicyVersion"][
            "Document"]["Statement"][0]["Action"]
        self.assertIn("codebuild:BatchGet*", actions)
        self.assertNotIn("codebuild:*", actions)
        versions = self.iam.list_policy_versions(PolicyArn=AWS + "AmazonS3ReadOnlyAccess")
        self.assertEqual(len(versions["Versions"]), 1)
        self.assertTrue(versions["Versions"][0]["IsDefaultVersion"])
        self.assertClientError(
            self.iam.get_policy_version, "NoSuchEntity",
            f"Policy {AWS}AdministratorAccess version v9 does not exist or is not attachable.",
            404, PolicyArn=AWS + "AdministratorAccess", VersionId="v9")

    def test_cannot_be_changed(self):
        for call, kwargs in [(self.iam.delete_policy, {}),
                             (self.iam.create_policy_version,
                              {"PolicyDocument": json.dumps(policy("s3:*"))}),
                             (self.iam.tag_policy, {"Tags": [{"Key": "a", "Value": "b"}]})]:
            with self.subTest(call=call.__name__):
                self.assertClientError(call, "InvalidInput", status=400,
                                       PolicyArn=AWS + "ReadOnlyAccess", **kwargs)

    def test_unknown_aws_policy(self):
        self.assertClientError(self.iam.get_policy, "NoSuchEntity",
                               f"Policy {AWS}NotARealPolicy was not found.", 404,
                               PolicyArn=AWS + "NotARealPolicy")

    def test_service_role_policy_attaches_with_its_path(self):
        self.iam.create_role(RoleName="deploy-role", AssumeRolePolicyDocument=json.dumps(TRUST))
        arn = AWS + "service-role/AWSCodeDeployRole"
        self.iam.attach_role_policy(RoleName="deploy-role", PolicyArn=arn)
        self.assertEqual(self.iam.list_attached_role_policies(RoleName="deploy-role")[
            "AttachedPolicies"], [{"PolicyName": "AWSCodeDeployRole", "PolicyArn": arn}])
        self.assertEqual(self.iam.list_attached_role_policies(
            RoleName="deploy-role", PathPrefix="/service-role/")["AttachedPolicies"],
            [{"PolicyName": "AWSCodeDeployRole", "PolicyArn": arn}])
        self.assertClientError(
            self.iam.attach_role_policy, "NoSuchEntity",
            f"Policy {AWS}AWSCodeDeployRole does not exist or is not attachable.", 404,
            RoleName="deploy-role", PolicyArn=AWS + "AWSCodeDeployRole")

    def test_service_linked_role_policies_are_not_attachable(self):
        arn = AWS + "aws-service-role/AWSCodeStarNotificationsServiceRolePolicy"
        self.assertFalse(self.iam.get_policy(PolicyArn=arn)["Policy"]["IsAttachable"])
        self.iam.create_user(UserName="slr-policy-user")
        self.assertClientError(self.iam.attach_user_policy, "PolicyNotAttachable",
                               "Cannot attach a Service Role Policy to a Customer Role.", 400,
                               UserName="slr-policy-user", PolicyArn=arn)


class TestListPolicies(PolicyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for i in range(5):
            cls.iam.create_policy(PolicyName=f"listed-{i}", Path="/team/" if i % 2 else "/",
                                  PolicyDocument=json.dumps(policy("s3:GetObject")))
        cls.iam.create_user(UserName="attacher")
        cls.iam.attach_user_policy(UserName="attacher", PolicyArn=local_arn("listed-1", "/team/"))
        cls.iam.attach_user_policy(UserName="attacher", PolicyArn=READONLY_POLICY)
        cls.iam.put_user_permissions_boundary(UserName="attacher",
                                              PermissionsBoundary=local_arn("listed-2"))

    def names(self, **kwargs):
        paginator = self.iam.get_paginator("list_policies")
        return [p["PolicyName"] for page in paginator.paginate(**kwargs)
                for p in page["Policies"]]

    def test_scopes(self):
        local = self.names(Scope="Local")
        self.assertEqual(local, [f"listed-{i}" for i in range(5)])
        aws = self.names(Scope="AWS")
        self.assertIn("AdministratorAccess", aws)
        self.assertFalse(set(local) & set(aws))
        everything = self.names()
        self.assertEqual(sorted(everything), sorted(local + aws))

    def test_path_prefix(self):
        self.assertEqual(self.names(Scope="Local", PathPrefix="/team/"), ["listed-1", "listed-3"])
        self.assertEqual(self.names(PathPrefix="/service-role/"),
                         ["AWSCodeDeployRole", "AmazonEC2RoleforAWSCodeDeploy"])

    def test_only_attached(self):
        self.assertEqual(self.names(Scope="Local", OnlyAttached=True), ["listed-1", "listed-2"])
        self.assertEqual(self.names(Scope="Local", OnlyAttached=True,
                                    PolicyUsageFilter="PermissionsPolicy"), ["listed-1"])
        self.assertEqual(self.names(Scope="Local", OnlyAttached=True,
                                    PolicyUsageFilter="PermissionsBoundary"), ["listed-2"])
        aws = self.names(Scope="AWS", OnlyAttached=True)
        # The bootstrap admin has AdministratorAccess.
        self.assertEqual(sorted(aws), ["AdministratorAccess", "ReadOnlyAccess"])

    def test_counts(self):
        listed = {p["PolicyName"]: p for p in
                  self.iam.list_policies(Scope="Local", MaxItems=100)["Policies"]}
        self.assertEqual(listed["listed-1"]["AttachmentCount"], 1)
        self.assertEqual(listed["listed-1"]["PermissionsBoundaryUsageCount"], 0)
        self.assertEqual(listed["listed-2"]["PermissionsBoundaryUsageCount"], 1)
        self.assertEqual(listed["listed-0"]["AttachmentCount"], 0)
        self.assertNotIn("Description", listed["listed-0"])

    def test_manual_pages(self):
        first = self.iam.list_policies(Scope="Local", MaxItems=2)
        self.assertTrue(first["IsTruncated"])
        second = self.iam.list_policies(Scope="Local", MaxItems=2, Marker=first["Marker"])
        third = self.iam.list_policies(Scope="Local", MaxItems=2, Marker=second["Marker"])
        self.assertFalse(third["IsTruncated"])
        self.assertEqual([len(p["Policies"]) for p in (first, second, third)], [2, 2, 1])

    def test_cli_lists_aws_policies(self):
        out = self.srv.aws_json("iam", "list-policies", "--scope", "AWS", "--page-size", "7")
        arns = [p["Arn"] for p in out["Policies"]]
        self.assertIn(AWS + "AWSCodePipeline_FullAccess", arns)
        self.assertEqual(len(arns), len(set(arns)))


class TestEntitiesAndCounts(PolicyCase):
    def test_list_entities_and_attachment_count(self):
        arn = self.create("shared")["Arn"]
        self.iam.create_user(UserName="u-one", Path="/people/")
        self.iam.create_group(GroupName="g-one")
        self.iam.create_role(RoleName="r-one", AssumeRolePolicyDocument=json.dumps(TRUST))
        self.iam.attach_user_policy(UserName="u-one", PolicyArn=arn)
        self.iam.attach_group_policy(GroupName="g-one", PolicyArn=arn)
        self.iam.attach_role_policy(RoleName="r-one", PolicyArn=arn)
        self.iam.create_role(RoleName="r-bounded", AssumeRolePolicyDocument=json.dumps(TRUST),
                             PermissionsBoundary=arn)
        got = self.iam.get_policy(PolicyArn=arn)["Policy"]
        self.assertEqual(got["AttachmentCount"], 3)
        self.assertEqual(got["PermissionsBoundaryUsageCount"], 1)

        entities = self.iam.list_entities_for_policy(PolicyArn=arn)
        self.assertEqual([u["UserName"] for u in entities["PolicyUsers"]], ["u-one"])
        self.assertRegex(entities["PolicyUsers"][0]["UserId"], r"^AIDA")
        self.assertEqual([g["GroupName"] for g in entities["PolicyGroups"]], ["g-one"])
        self.assertEqual(sorted(r["RoleName"] for r in entities["PolicyRoles"]),
                         ["r-bounded", "r-one"])
        self.assertFalse(entities["IsTruncated"])

        roles = self.iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role",
                                                  PolicyUsageFilter="PermissionsPolicy")
        self.assertEqual([r["RoleName"] for r in roles["PolicyRoles"]], ["r-one"])
        self.assertEqual(roles["PolicyUsers"], [])
        bounded = self.iam.list_entities_for_policy(PolicyArn=arn,
                                                    PolicyUsageFilter="PermissionsBoundary")
        self.assertEqual([r["RoleName"] for r in bounded["PolicyRoles"]], ["r-bounded"])
        by_path = self.iam.list_entities_for_policy(PolicyArn=arn, PathPrefix="/people/")
        self.assertEqual([u["UserName"] for u in by_path["PolicyUsers"]], ["u-one"])
        self.assertEqual(by_path["PolicyRoles"], [])
        page = self.iam.list_entities_for_policy(PolicyArn=arn, MaxItems=2)
        self.assertTrue(page["IsTruncated"])
        rest = self.iam.list_entities_for_policy(PolicyArn=arn, Marker=page["Marker"])
        total = sum(len(p[k]) for p in (page, rest)
                    for k in ("PolicyUsers", "PolicyGroups", "PolicyRoles"))
        self.assertEqual(total, 4)

        self.iam.detach_group_policy(GroupName="g-one", PolicyArn=arn)
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"], 2)

    def test_counts_of_aws_policies_are_the_accounts(self):
        arn = AWS + "AWSCodeCommitReadOnly"
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"], 0)
        self.iam.create_user(UserName="committer")
        self.iam.attach_user_policy(UserName="committer", PolicyArn=arn)
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"], 1)
        users = self.iam.list_entities_for_policy(PolicyArn=arn)["PolicyUsers"]
        self.assertEqual([u["UserName"] for u in users], ["committer"])


class TestPermissionsBoundaries(PolicyCase):
    def test_user_boundary(self):
        arn = self.create("user-boundary")["Arn"]
        user = self.iam.create_user(UserName="bounded", PermissionsBoundary=arn)["User"]
        expected = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}
        self.assertEqual(user["PermissionsBoundary"], expected)
        self.assertEqual(self.iam.get_user(UserName="bounded")["User"]["PermissionsBoundary"],
                         expected)
        listed = [u for u in self.iam.list_users()["Users"] if u["UserName"] == "bounded"]
        self.assertNotIn("PermissionsBoundary", listed[0])

        self.iam.put_user_permissions_boundary(UserName="bounded",
                                               PermissionsBoundary=READONLY_POLICY)
        self.assertEqual(self.iam.get_user(UserName="bounded")["User"]["PermissionsBoundary"][
            "PermissionsBoundaryArn"], READONLY_POLICY)
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"][
            "PermissionsBoundaryUsageCount"], 0)
        self.iam.delete_user_permissions_boundary(UserName="bounded")
        self.assertNotIn("PermissionsBoundary", self.iam.get_user(UserName="bounded")["User"])
        # A user whose boundary is gone deletes without conflict.
        self.iam.delete_user(UserName="bounded")

    def test_role_boundary(self):
        arn = self.create("role-boundary")["Arn"]
        role = self.iam.create_role(RoleName="bounded-role", PermissionsBoundary=arn,
                                    AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
        self.assertEqual(role["PermissionsBoundary"]["PermissionsBoundaryArn"], arn)
        self.assertEqual(self.iam.get_role(RoleName="bounded-role")["Role"][
            "PermissionsBoundary"]["PermissionsBoundaryArn"], arn)
        self.iam.delete_role_permissions_boundary(RoleName="bounded-role")
        self.assertNotIn("PermissionsBoundary",
                         self.iam.get_role(RoleName="bounded-role")["Role"])
        self.iam.put_role_permissions_boundary(RoleName="bounded-role", PermissionsBoundary=arn)
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"][
            "PermissionsBoundaryUsageCount"], 1)
        # Deleting the role drops its use of the policy.
        self.iam.delete_role(RoleName="bounded-role")
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"][
            "PermissionsBoundaryUsageCount"], 0)
        self.iam.delete_policy(PolicyArn=arn)

    def test_boundary_must_exist(self):
        missing = local_arn("no-such-boundary")
        message = f"Scope ARN: {missing} does not exist or is not attachable."
        self.assertClientError(self.iam.create_user, "NoSuchEntity", message, 404,
                               UserName="unbounded", PermissionsBoundary=missing)
        self.assertClientError(self.iam.get_user, "NoSuchEntity", status=404,
                               UserName="unbounded")
        self.assertClientError(self.iam.create_role, "NoSuchEntity", message, 404,
                               RoleName="unbounded", PermissionsBoundary=missing,
                               AssumeRolePolicyDocument=json.dumps(TRUST))
        self.iam.create_user(UserName="later")
        self.assertClientError(self.iam.put_user_permissions_boundary, "NoSuchEntity", message,
                               404, UserName="later", PermissionsBoundary=missing)
        self.assertClientError(self.iam.put_user_permissions_boundary, "NoSuchEntity",
                               "The user with name nobody cannot be found.", 404,
                               UserName="nobody", PermissionsBoundary=READONLY_POLICY)


if __name__ == "__main__":
    unittest.main()
