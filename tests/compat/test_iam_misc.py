"""IAM through boto3 and the aws CLI: user inline policies, tags, role
updates, user renames, access key last use, instance profiles, login
profiles, service-linked roles and GetAccountAuthorizationDetails
(src/services/iam/login_profiles.c, service_linked_roles.c and others).
"""
import datetime
import json
import unittest

import botocore.exceptions

from slipway_server import ServerTestCase, SlipwayServer

ACCOUNT = "000000000000"
AWS = "arn:aws:iam::aws:policy/"
READONLY_POLICY = AWS + "ReadOnlyAccess"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}
S3_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


class MiscCase(ServerTestCase):
    """One server per test class."""

    def role(self, name, **kwargs):
        return self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST),
                                    **kwargs)["Role"]


class TestUserPolicies(MiscCase):
    def test_inline_lifecycle(self):
        self.iam.create_user(UserName="inline-u")
        self.iam.put_user_policy(UserName="inline-u", PolicyName="read",
                                 PolicyDocument=json.dumps(S3_READ))
        got = self.iam.get_user_policy(UserName="INLINE-U", PolicyName="read")
        self.assertEqual((got["UserName"], got["PolicyName"], got["PolicyDocument"]),
                         ("inline-u", "read", S3_READ))
        self.assertEqual(self.iam.list_user_policies(UserName="inline-u")["PolicyNames"],
                         ["read"])
        self.assertClientError(self.iam.delete_user, "DeleteConflict",
                               "Cannot delete entity, must delete policies first.", 409,
                               UserName="inline-u")
        self.iam.delete_user_policy(UserName="inline-u", PolicyName="read")
        self.assertClientError(self.iam.get_user_policy, "NoSuchEntity",
                               "The user policy with name read cannot be found.", 404,
                               UserName="inline-u", PolicyName="read")
        self.iam.delete_user(UserName="inline-u")

    def test_errors(self):
        self.assertClientError(self.iam.put_user_policy, "NoSuchEntity",
                               "The user with name ghost cannot be found.", 404,
                               UserName="ghost", PolicyName="p",
                               PolicyDocument=json.dumps(S3_READ))
        self.iam.create_user(UserName="small")
        # IAM quotas: a user's inline policies hold 2048 characters in all.
        doc = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "s3:GetObject",
            "Resource": [f"arn:aws:s3:::bucket-{i:05d}/*" for i in range(50)]}]})
        self.iam.put_user_policy(UserName="small", PolicyName="one", PolicyDocument=doc)
        self.assertClientError(self.iam.put_user_policy, "LimitExceeded",
                               "Maximum policy size of 2048 bytes exceeded for user small", 409,
                               UserName="small", PolicyName="two", PolicyDocument=doc)

    def test_cli(self):
        self.srv.aws("iam", "create-user", "--user-name", "cli-inline")
        self.srv.aws("iam", "put-user-policy", "--user-name", "cli-inline", "--policy-name",
                     "read", "--policy-document", json.dumps(S3_READ))
        got = self.srv.aws_json("iam", "get-user-policy", "--user-name", "cli-inline",
                                "--policy-name", "read")
        self.assertEqual(got["PolicyDocument"], S3_READ)


class TestTags(MiscCase):
    def check_tagging(self, tag, untag, list_tags, **target):
        tag(Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "ci"}], **target)
        self.assertEqual(list_tags(**target)["Tags"],
                         [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "ci"}])
        # Keys are unique regardless of case: "ENV" replaces "env".
        tag(Tags=[{"Key": "ENV", "Value": "prod"}], **target)
        tags = list_tags(**target)
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in tags["Tags"]),
                         [("ENV", "prod"), ("team", "ci")])
        self.assertFalse(tags["IsTruncated"])
        page = list_tags(MaxItems=1, **target)
        self.assertTrue(page["IsTruncated"])
        self.assertEqual(len(page["Tags"]), 1)
        rest = list_tags(Marker=page["Marker"], **target)
        self.assertEqual(len(rest["Tags"]), 1)
        untag(TagKeys=["env", "not-there"], **target)
        self.assertEqual(list_tags(**target)["Tags"], [{"Key": "team", "Value": "ci"}])

    def test_user_tags(self):
        self.iam.create_user(UserName="tag-user")
        self.check_tagging(self.iam.tag_user, self.iam.untag_user, self.iam.list_user_tags,
                           UserName="tag-user")
        self.assertEqual(self.iam.get_user(UserName="tag-user")["User"]["Tags"],
                         [{"Key": "team", "Value": "ci"}])

    def test_role_tags(self):
        self.role("tag-role")
        self.check_tagging(self.iam.tag_role, self.iam.untag_role, self.iam.list_role_tags,
                           RoleName="tag-role")
        self.assertEqual(self.iam.get_role(RoleName="tag-role")["Role"]["Tags"],
                         [{"Key": "team", "Value": "ci"}])

    def test_policy_tags(self):
        arn = self.iam.create_policy(PolicyName="tag-policy",
                                     PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
        self.check_tagging(self.iam.tag_policy, self.iam.untag_policy, self.iam.list_policy_tags,
                           PolicyArn=arn)
        self.assertEqual(self.iam.get_policy(PolicyArn=arn)["Policy"]["Tags"],
                         [{"Key": "team", "Value": "ci"}])

    def test_instance_profile_tags(self):
        self.iam.create_instance_profile(InstanceProfileName="tag-profile")
        self.check_tagging(self.iam.tag_instance_profile, self.iam.untag_instance_profile,
                           self.iam.list_instance_profile_tags,
                           InstanceProfileName="tag-profile")

    def test_fifty_tags_at_most(self):
        self.iam.create_user(UserName="many-tags")
        self.iam.tag_user(UserName="many-tags",
                          Tags=[{"Key": f"k{i:02d}", "Value": "v"} for i in range(50)])
        # Replacing one of the fifty is fine, a fifty-first is not.
        self.iam.tag_user(UserName="many-tags", Tags=[{"Key": "K00", "Value": "w"}])
        self.assertClientError(self.iam.tag_user, "LimitExceeded",
                               "Cannot exceed quota for TagsPerUser: 50", 409,
                               UserName="many-tags", Tags=[{"Key": "one-more", "Value": "v"}])
        self.assertEqual(len(self.iam.list_user_tags(UserName="many-tags")["Tags"]), 50)
        self.role("many-tags-role")
        self.iam.tag_role(RoleName="many-tags-role",
                          Tags=[{"Key": f"k{i:02d}", "Value": "v"} for i in range(49)])
        self.assertClientError(self.iam.tag_role, "LimitExceeded",
                               "Cannot exceed quota for TagsPerRole: 50", 409,
                               RoleName="many-tags-role",
                               Tags=[{"Key": "a", "Value": "v"}, {"Key": "b", "Value": "v"}])
        self.assertEqual(len(self.iam.list_role_tags(RoleName="many-tags-role")["Tags"]), 49)

    def test_duplicate_keys_in_one_call(self):
        self.iam.create_user(UserName="dup-tags")
        self.assertClientError(
            self.iam.tag_user, "InvalidInput",
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400,
            UserName="dup-tags", Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
        self.assertClientError(
            self.iam.create_user, "InvalidInput",
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400,
            UserName="dup-tags-2", Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}])
        self.assertClientError(self.iam.get_user, "NoSuchEntity", status=404,
                               UserName="dup-tags-2")
        self.assertClientError(self.iam.tag_user, "InvalidInput", status=400,
                               UserName="dup-tags", Tags=[{"Key": "aws:reserved", "Value": "x"}])

    def test_missing_targets(self):
        self.assertClientError(self.iam.tag_role, "NoSuchEntity",
                               "The role with name ghost cannot be found.", 404,
                               RoleName="ghost", Tags=[{"Key": "a", "Value": "b"}])
        self.assertClientError(self.iam.list_instance_profile_tags, "NoSuchEntity",
                               "Instance Profile ghost cannot be found.", 404,
                               InstanceProfileName="ghost")


class TestRoleUpdates(MiscCase):
    def test_update_role(self):
        self.role("updatable", Description="first")
        self.iam.update_role(RoleName="updatable", Description="second",
                             MaxSessionDuration=7200)
        got = self.iam.get_role(RoleName="updatable")["Role"]
        self.assertEqual((got["Description"], got["MaxSessionDuration"]), ("second", 7200))
        self.iam.update_role(RoleName="updatable", MaxSessionDuration=3600)
        got = self.iam.get_role(RoleName="updatable")["Role"]
        self.assertEqual((got["Description"], got["MaxSessionDuration"]), ("second", 3600))
        # botocore checks only minimums itself; the maximum is the server's.
        self.assertClientError(
            self.iam.update_role, "ValidationError",
            "1 validation error detected: Value '50000' at 'maxSessionDuration' failed to "
            "satisfy constraint: Member must have value less than or equal to 43200", 400,
            RoleName="updatable", MaxSessionDuration=50000)
        self.assertClientError(self.iam.update_role, "NoSuchEntity",
                               "The role with name ghost cannot be found.", 404,
                               RoleName="ghost", Description="x")

    def test_update_role_description(self):
        self.role("described")
        role = self.iam.update_role_description(RoleName="described",
                                                Description="builds things")["Role"]
        self.assertEqual(role["Description"], "builds things")
        self.assertEqual(role["AssumeRolePolicyDocument"], TRUST)
        self.assertEqual(self.iam.get_role(RoleName="described")["Role"]["Description"],
                         "builds things")

    def test_update_assume_role_policy(self):
        self.role("retrusted")
        new_trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}
        self.iam.update_assume_role_policy(RoleName="retrusted",
                                           PolicyDocument=json.dumps(new_trust))
        self.assertEqual(self.iam.get_role(RoleName="retrusted")["Role"][
            "AssumeRolePolicyDocument"], new_trust)
        self.assertClientError(self.iam.update_assume_role_policy, "MalformedPolicyDocument",
                               "This policy contains invalid Json", 400,
                               RoleName="retrusted", PolicyDocument="trust.json")
        self.assertClientError(
            self.iam.update_assume_role_policy, "MalformedPolicyDocument",
            "AssumeRole policy may only specify STS AssumeRole actions.", 400,
            RoleName="retrusted", PolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"},
                    "Action": "s3:GetObject"}]}))
        self.assertClientError(
            self.iam.update_assume_role_policy, "MalformedPolicyDocument",
            "Has prohibited field Resource", 400,
            RoleName="retrusted", PolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"},
                    "Action": "sts:AssumeRole", "Resource": "*"}]}))
        self.assertEqual(self.iam.get_role(RoleName="retrusted")["Role"][
            "AssumeRolePolicyDocument"], new_trust)

    def test_cli_update_role(self):
        self.role("cli-updatable")
        self.srv.aws("iam", "update-role", "--role-name", "cli-updatable", "--description",
                     "from the cli")
        got = self.srv.aws_json("iam", "get-role", "--role-name", "cli-updatable")["Role"]
        self.assertEqual(got["Description"], "from the cli")


class TestUpdateUser(MiscCase):
    def test_rename_keeps_keys_groups_policies_and_login(self):
        user = self.iam.create_user(UserName="before")["User"]
        key = self.iam.create_access_key(UserName="before")["AccessKey"]
        self.iam.create_group(GroupName="rename-group")
        self.iam.add_user_to_group(GroupName="rename-group", UserName="before")
        self.iam.attach_user_policy(UserName="before", PolicyArn=READONLY_POLICY)
        self.iam.put_user_policy(UserName="before", PolicyName="own",
                                 PolicyDocument=json.dumps(S3_READ))
        self.iam.create_login_profile(UserName="before", Password="Sl1pway!pass")

        self.iam.update_user(UserName="before", NewUserName="after", NewPath="/renamed/")
        self.assertClientError(self.iam.get_user, "NoSuchEntity",
                               "The user with name before cannot be found.", 404,
                               UserName="before")
        got = self.iam.get_user(UserName="after")["User"]
        self.assertEqual(got["UserId"], user["UserId"])
        self.assertEqual(got["Arn"], f"arn:aws:iam::{ACCOUNT}:user/renamed/after")

        keys = self.iam.list_access_keys(UserName="after")["AccessKeyMetadata"]
        self.assertEqual([(k["AccessKeyId"], k["UserName"]) for k in keys],
                         [(key["AccessKeyId"], "after")])
        sts = self.srv.client("sts", access_key=key["AccessKeyId"],
                              secret_key=key["SecretAccessKey"])
        self.assertEqual(sts.get_caller_identity()["Arn"], got["Arn"])
        self.assertEqual(self.iam.get_access_key_last_used(
            AccessKeyId=key["AccessKeyId"])["UserName"], "after")

        self.assertEqual([u["UserName"] for u in
                          self.iam.get_group(GroupName="rename-group")["Users"]], ["after"])
        self.assertEqual(self.iam.list_attached_user_policies(UserName="after")[
            "AttachedPolicies"], [{"PolicyName": "ReadOnlyAccess", "PolicyArn": READONLY_POLICY}])
        users = self.iam.list_entities_for_policy(PolicyArn=READONLY_POLICY)["PolicyUsers"]
        self.assertIn({"UserName": "after", "UserId": user["UserId"]}, users)
        self.assertEqual(self.iam.get_user_policy(UserName="after", PolicyName="own")[
            "UserName"], "after")
        self.assertEqual(self.iam.get_login_profile(UserName="after")["LoginProfile"][
            "UserName"], "after")

    def test_rename_onto_existing_user(self):
        self.iam.create_user(UserName="first-user")
        self.iam.create_user(UserName="second-user")
        self.assertClientError(self.iam.update_user, "EntityAlreadyExists",
                               "User with name Second-User already exists.", 409,
                               UserName="first-user", NewUserName="Second-User")

    def test_path_only(self):
        self.iam.create_user(UserName="mover")
        self.iam.update_user(UserName="mover", NewPath="/ops/")
        self.assertEqual(self.iam.get_user(UserName="mover")["User"]["Arn"],
                         f"arn:aws:iam::{ACCOUNT}:user/ops/mover")

    def test_missing_user(self):
        self.assertClientError(self.iam.update_user, "NoSuchEntity",
                               "The user with name ghost cannot be found.", 404,
                               UserName="ghost", NewPath="/x/")


class TestAccessKeyLastUsed(MiscCase):
    def test_never_used_key(self):
        self.iam.create_user(UserName="idle")
        key = self.iam.create_access_key(UserName="idle")["AccessKey"]
        got = self.iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
        self.assertEqual(got["UserName"], "idle")
        self.assertEqual(got["AccessKeyLastUsed"], {"ServiceName": "N/A", "Region": "N/A"})

    def test_unknown_key(self):
        self.assertClientError(self.iam.get_access_key_last_used, "NoSuchEntity",
                               "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.",
                               404, AccessKeyId="AKIAAAAAAAAAAAAAAAAA")


class TestInstanceProfiles(MiscCase):
    def test_lifecycle(self):
        profile = self.iam.create_instance_profile(InstanceProfileName="web-hosts",
                                                   Path="/hosts/")["InstanceProfile"]
        self.assertEqual(profile["Arn"],
                         f"arn:aws:iam::{ACCOUNT}:instance-profile/hosts/web-hosts")
        self.assertRegex(profile["InstanceProfileId"], r"^AIPA[A-Z0-9]{17}$")
        self.assertEqual(profile["Roles"], [])
        self.assertIsInstance(profile["CreateDate"], datetime.datetime)
        self.assertClientError(self.iam.create_instance_profile, "EntityAlreadyExists",
                               "Instance Profile WEB-HOSTS already exists.", 409,
                               InstanceProfileName="WEB-HOSTS")

        role = self.role("web-role")
        self.iam.add_role_to_instance_profile(InstanceProfileName="web-hosts",
                                              RoleName="web-role")
        got = self.iam.get_instance_profile(InstanceProfileName="web-hosts")["InstanceProfile"]
        self.assertEqual([r["RoleName"] for r in got["Roles"]], ["web-role"])
        self.assertEqual(got["Roles"][0]["Arn"], role["Arn"])
        self.assertEqual(got["Roles"][0]["AssumeRolePolicyDocument"], TRUST)
        for_role = self.iam.list_instance_profiles_for_role(RoleName="web-role")
        self.assertEqual([p["InstanceProfileName"] for p in for_role["InstanceProfiles"]],
                         ["web-hosts"])

        self.role("other-role")
        self.assertClientError(
            self.iam.add_role_to_instance_profile, "LimitExceeded",
            "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1", 409,
            InstanceProfileName="web-hosts", RoleName="other-role")
        self.assertClientError(self.iam.delete_role, "DeleteConflict",
                               "Cannot delete entity, must remove roles from instance profile "
                               "first.", 409, RoleName="web-role")
        self.assertClientError(self.iam.delete_instance_profile, "DeleteConflict",
                               "Cannot delete entity, must remove roles from instance profile "
                               "first.", 409, InstanceProfileName="web-hosts")

        self.iam.remove_role_from_instance_profile(InstanceProfileName="web-hosts",
                                                   RoleName="web-role")
        self.assertEqual(self.iam.list_instance_profiles_for_role(RoleName="web-role")[
            "InstanceProfiles"], [])
        self.assertClientError(self.iam.remove_role_from_instance_profile, "NoSuchEntity",
                               "The role with name web-role cannot be found.", 404,
                               InstanceProfileName="web-hosts", RoleName="web-role")
        self.iam.delete_role(RoleName="web-role")
        self.iam.delete_instance_profile(InstanceProfileName="web-hosts")
        self.assertClientError(self.iam.get_instance_profile, "NoSuchEntity",
                               "Instance Profile web-hosts cannot be found.", 404,
                               InstanceProfileName="web-hosts")

    def test_missing(self):
        self.assertClientError(self.iam.add_role_to_instance_profile, "NoSuchEntity",
                               "Instance Profile nope cannot be found.", 404,
                               InstanceProfileName="nope", RoleName="x")
        self.iam.create_instance_profile(InstanceProfileName="roleless")
        self.assertClientError(self.iam.add_role_to_instance_profile, "NoSuchEntity",
                               "The role with name ghost cannot be found.", 404,
                               InstanceProfileName="roleless", RoleName="ghost")

    def test_list_with_paths_and_pages(self):
        for i in range(3):
            self.iam.create_instance_profile(InstanceProfileName=f"fleet-{i}", Path="/fleet/")
        first = self.iam.list_instance_profiles(PathPrefix="/fleet/", MaxItems=2)
        self.assertTrue(first["IsTruncated"])
        rest = self.iam.list_instance_profiles(PathPrefix="/fleet/", Marker=first["Marker"])
        self.assertEqual([p["InstanceProfileName"] for p in
                          first["InstanceProfiles"] + rest["InstanceProfiles"]],
                         ["fleet-0", "fleet-1", "fleet-2"])

    def test_cli(self):
        out = self.srv.aws_json("iam", "create-instance-profile", "--instance-profile-name",
                                "cli-profile")
        self.assertEqual(out["InstanceProfile"]["InstanceProfileName"], "cli-profile")
        names = [p["InstanceProfileName"] for p in
                 self.srv.aws_json("iam", "list-instance-profiles")["InstanceProfiles"]]
        self.assertIn("cli-profile", names)


class TestLoginProfiles(MiscCase):
    def test_lifecycle(self):
        self.iam.create_user(UserName="console")
        profile = self.iam.create_login_profile(UserName="console", Password="Corr3ct-horse",
                                                PasswordResetRequired=True)["LoginProfile"]
        self.assertEqual(profile["UserName"], "console")
        self.assertTrue(profile["PasswordResetRequired"])
        self.assertNotIn("Password", profile)
        self.assertIsInstance(profile["CreateDate"], datetime.datetime)
        self.assertClientError(self.iam.create_login_profile, "EntityAlreadyExists",
                               "Login Profile for user console already exists.", 409,
                               UserName="console", Password="Corr3ct-horse")

        got = self.iam.get_login_profile(UserName="console")["LoginProfile"]
        self.assertEqual(got, profile)
        self.iam.update_login_profile(UserName="console", PasswordResetRequired=False)
        self.assertFalse(self.iam.get_login_profile(UserName="console")["LoginProfile"][
            "PasswordResetRequired"])
        self.iam.update_login_profile(UserName="console", Password="Anoth3r-pass")

        self.assertClientError(self.iam.delete_user, "DeleteConflict",
                               "Cannot delete entity, must delete login profile first.", 409,
                               UserName="console")
        self.iam.delete_login_profile(UserName="console")
        self.assertClientError(self.iam.get_login_profile, "NoSuchEntity",
                               "Login Profile for User console cannot be found.", 404,
                               UserName="console")
        self.assertClientError(self.iam.delete_login_profile, "NoSuchEntity",
                               "Login Profile for User console cannot be found.", 404,
                               UserName="console")
        self.iam.delete_user(UserName="console")

    def test_password_policy(self):
        self.iam.create_user(UserName="weak")
        self.assertClientError(self.iam.create_login_profile, "PasswordPolicyViolation",
                               "Password should have a minimum length of 8", 400,
                               UserName="weak", Password="Sh0rt!")
        self.assertClientError(self.iam.create_login_profile, "PasswordPolicyViolation",
                               status=400, UserName="weak", Password="alllowercase")
        self.assertClientError(self.iam.get_login_profile, "NoSuchEntity", status=404,
                               UserName="weak")
        self.assertClientError(self.iam.create_login_profile, "NoSuchEntity",
                               "The user with name ghost cannot be found.", 404,
                               UserName="ghost", Password="Corr3ct-horse")

    def test_password_is_not_stored_in_clear(self):
        self.iam.create_user(UserName="hashed")
        self.iam.create_login_profile(UserName="hashed", Password="Unmistakable-Pa55word")
        with open(f"{self.srv.data_dir}/state.db", "rb") as f:
            data = f.read()
        for name in ("state.db-wal",):
            try:
                with open(f"{self.srv.data_dir}/{name}", "rb") as f:
                    data += f.read()
            except OSError:
                pass
        self.assertNotIn(b"Unmistakable-Pa55word", data)
        self.assertIn(b"PBKDF2-HMAC-SHA256", data)


class TestServiceLinkedRoles(MiscCase):
    def test_create_delete_and_status(self):
        role = self.iam.create_service_linked_role(
            AWSServiceName="codestar-notifications.amazonaws.com")["Role"]
        name = "AWSServiceRoleForCodeStarNotifications"
        self.assertEqual(role["RoleName"], name)
        self.assertEqual(role["Path"], "/aws-service-role/codestar-notifications.amazonaws.com/")
        self.assertEqual(role["Arn"], f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/"
                                      f"codestar-notifications.amazonaws.com/{name}")
        self.assertEqual(role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
                         {"Service": ["codestar-notifications.amazonaws.com"]})
        attached = self.iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        self.assertEqual(attached, [{
            "PolicyName": "AWSCodeStarNotificationsServiceRolePolicy",
            "PolicyArn": AWS + "aws-service-role/AWSCodeStarNotificationsServiceRolePolicy"}])
        self.assertClientError(
            self.iam.create_service_linked_role, "InvalidInput",
            f"Service role name {name} has been taken in this account, please try a different "
            "suffix.", 400, AWSServiceName="codestar-notifications.amazonaws.com")

        task = self.iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
        self.assertTrue(task.startswith(
            f"task/aws-service-role/codestar-notifications.amazonaws.com/{name}/"), task)
        status = self.iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
        self.assertEqual(status["Status"], "SUCCEEDED")
        self.assertClientError(self.iam.get_role, "NoSuchEntity", status=404, RoleName=name)

    def test_linked_roles_cannot_be_edited(self):
        name = self.iam.create_service_linked_role(
            AWSServiceName="cloudtrail.amazonaws.com")["Role"]["RoleName"]
        message = (f"Cannot perform the operation on the protected role '{name}' - this role is "
                   "only modifiable by AWS")
        for call, kwargs in [
            (self.iam.delete_role, {}),
            (self.iam.put_role_policy, {"PolicyName": "p", "PolicyDocument": json.dumps(S3_READ)}),
            (self.iam.attach_role_policy, {"PolicyArn": READONLY_POLICY}),
            (self.iam.update_assume_role_policy, {"PolicyDocument": json.dumps(TRUST)}),
            (self.iam.put_role_permissions_boundary, {"PermissionsBoundary": READONLY_POLICY}),
            (self.iam.update_role, {"MaxSessionDuration": 7200}),
        ]:
            with self.subTest(call=call.__name__):
                self.assertClientError(call, "UnmodifiableEntity", message, 400, RoleName=name,
                                       **kwargs)
        # Its description is the one thing that can change.
        self.iam.update_role_description(RoleName=name, Description="trails")
        self.assertEqual(self.iam.get_role(RoleName=name)["Role"]["Description"], "trails")

    def test_custom_suffix(self):
        role = self.iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com",
                                                   CustomSuffix="deploys")["Role"]
        self.assertEqual(role["RoleName"], "AWSServiceRoleForAutoScaling_deploys")
        self.assertClientError(self.iam.create_service_linked_role, "InvalidInput", status=400,
                               AWSServiceName="events.amazonaws.com", CustomSuffix="x")

    def test_unknown_service_and_plain_roles(self):
        self.assertClientError(self.iam.create_service_linked_role, "InvalidInput", status=400,
                               AWSServiceName="nothing.amazonaws.com")
        self.role("plain")
        self.assertClientError(self.iam.delete_service_linked_role, "InvalidInput", status=400,
                               RoleName="plain")
        self.assertClientError(self.iam.get_service_linked_role_deletion_status, "InvalidInput",
                               status=400, DeletionTaskId="not-a-task")


class TestAuthorizationDetails(MiscCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        iam = cls.iam
        iam.create_user(UserName="detail-user")
        iam.put_user_policy(UserName="detail-user", PolicyName="own",
                            PolicyDocument=json.dumps(S3_READ))
        iam.create_group(GroupName="detail-group")
        iam.add_user_to_group(GroupName="detail-group", UserName="detail-user")
        iam.attach_group_policy(GroupName="detail-group", PolicyArn=READONLY_POLICY)
        cls.policy_arn = iam.create_policy(PolicyName="detail-policy",
                                           PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
        iam.create_role(RoleName="detail-role", AssumeRolePolicyDocument=json.dumps(TRUST),
                        PermissionsBoundary=cls.policy_arn)
        iam.attach_role_policy(RoleName="detail-role", PolicyArn=cls.policy_arn)
        iam.create_instance_profile(InstanceProfileName="detail-profile")
        iam.add_role_to_instance_profile(InstanceProfileName="detail-profile",
                                         RoleName="detail-role")

    def test_everything(self):
        got = self.iam.get_account_authorization_details()
        self.assertFalse(got["IsTruncated"])
        users = {u["UserName"]: u for u in got["UserDetailList"]}
        self.assertEqual(set(users), {"admin", "detail-user"})
        user = users["detail-user"]
        self.assertEqual(user["GroupList"], ["detail-group"])
        self.assertEqual(user["UserPolicyList"], [{"PolicyName": "own",
                                                   "PolicyDocument": S3_READ}])
        self.assertEqual(user["AttachedManagedPolicies"], [])
        self.assertEqual(users["admin"]["AttachedManagedPolicies"], [
            {"PolicyName": "AdministratorAccess", "PolicyArn": AWS + "AdministratorAccess"}])

        group = {g["GroupName"]: g for g in got["GroupDetailList"]}["detail-group"]
        self.assertEqual(group["AttachedManagedPolicies"],
                         [{"PolicyName": "ReadOnlyAccess", "PolicyArn": READONLY_POLICY}])
        self.assertEqual(group["GroupPolicyList"], [])

        role = {r["RoleName"]: r for r in got["RoleDetailList"]}["detail-role"]
        self.assertEqual(role["AssumeRolePolicyDocument"], TRUST)
        self.assertEqual(role["PermissionsBoundary"]["PermissionsBoundaryArn"], self.policy_arn)
        self.assertEqual([p["InstanceProfileName"] for p in role["InstanceProfileList"]],
                         ["detail-profile"])
        self.assertEqual(role["AttachedManagedPolicies"],
                         [{"PolicyName": "detail-policy", "PolicyArn": self.policy_arn}])

        policies = {p["Arn"]: p for p in got["Policies"]}
        # The account's policies, and AWS's only where the account uses them.
        self.assertEqual(set(policies), {self.policy_arn, AWS + "AdministratorAccess",
                                         READONLY_POLICY})
        mine = policies[self.policy_arn]
        self.assertEqual(mine["AttachmentCount"], 1)
        self.assertEqual(mine["PermissionsBoundaryUsageCount"], 1)
        self.assertEqual(mine["PolicyVersionList"][0]["Document"], S3_READ)
        self.assertTrue(mine["PolicyVersionList"][0]["IsDefaultVersion"])
        admin = policies[AWS + "AdministratorAccess"]["PolicyVersionList"]
        self.assertEqual(admin[0]["Document"]["Statement"][0]["Action"], "*")

    def test_filter(self):
        got = self.iam.get_account_authorization_details(Filter=["Role", "LocalManagedPolicy"])
        self.assertEqual(got["UserDetailList"], [])
        self.assertEqual(got["GroupDetailList"], [])
        self.assertEqual([r["RoleName"] for r in got["RoleDetailList"]], ["detail-role"])
        self.assertEqual([p["Arn"] for p in got["Policies"]], [self.policy_arn])
        aws = self.iam.get_account_authorization_details(Filter=["AWSManagedPolicy"])
        self.assertEqual(sorted(p["PolicyName"] for p in aws["Policies"]),
                         ["AdministratorAccess", "ReadOnlyAccess"])

    def test_pages(self):
        first = self.iam.get_account_authorization_details(MaxItems=2)
        self.assertTrue(first["IsTruncated"])
        self.assertEqual([u["UserName"] for u in first["UserDetailList"]],
                         ["admin", "detail-user"])
        paginator = self.iam.get_paginator("get_account_authorization_details")
        counts = {"UserDetailList": 0, "GroupDetailList": 0, "RoleDetailList": 0, "Policies": 0}
        pages = 0
        for page in paginator.paginate(PaginationConfig={"PageSize": 2}):
            pages += 1
            for k in counts:
                counts[k] += len(page[k])
        self.assertEqual(counts, {"UserDetailList": 2, "GroupDetailList": 1,
                                  "RoleDetailList": 1, "Policies": 3})
        self.assertEqual(pages, 4)

    def test_cli(self):
        out = self.srv.aws_json("iam", "get-account-authorization-details", "--filter", "User")
        self.assertEqual(sorted(u["UserName"] for u in out["UserDetailList"]),
                         ["admin", "detail-user"])


if __name__ == "__main__":
    unittest.main()
