"""IAM groups through boto3 and the aws CLI: groups and their members,
paging, group inline and attached policies, renames, quotas, the
DeleteConflict rules, and authorization that comes through a group.

Messages and codes are AWS's own (IAM API reference and what the service
answers).
"""
import datetime
import json
import unittest

import botocore.exceptions

from slipway_server import ServerTestCase, SlipwayServer

ACCOUNT = "000000000000"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
READONLY_POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
S3_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"],
                   "Resource": "arn:aws:s3:::artifacts/*"}],
}


class GroupCase(ServerTestCase):
    """One server per test class."""


class TestGroups(GroupCase):
    def test_create_get_group(self):
        group = self.iam.create_group(GroupName="builders", Path="/ci/")["Group"]
        self.assertEqual(group["GroupName"], "builders")
        self.assertEqual(group["Path"], "/ci/")
        self.assertEqual(group["Arn"], f"arn:aws:iam::{ACCOUNT}:group/ci/builders")
        self.assertRegex(group["GroupId"], r"^AGPA[A-Z0-9]{17}$")
        self.assertIsInstance(group["CreateDate"], datetime.datetime)

        got = self.iam.get_group(GroupName="BUILDERS")
        self.assertEqual(got["Group"], group)
        self.assertEqual(got["Users"], [])
        self.assertFalse(got["IsTruncated"])

    def test_group_name_taken_whatever_its_case(self):
        self.iam.create_group(GroupName="Twice")
        self.assertClientError(self.iam.create_group, "EntityAlreadyExists",
                               "Group with name twice already exists.", 409, GroupName="twice")

    def test_missing_group(self):
        for call, kwargs in [
            (self.iam.get_group, {}),
            (self.iam.delete_group, {}),
            (self.iam.update_group, {"NewPath": "/x/"}),
            (self.iam.list_group_policies, {}),
            (self.iam.list_attached_group_policies, {}),
            (self.iam.add_user_to_group, {"UserName": "nobody"}),
        ]:
            with self.subTest(call=call.__name__):
                self.assertClientError(call, "NoSuchEntity",
                                       "The group with name ghost-group cannot be found.", 404,
                                       GroupName="ghost-group", **kwargs)

    def test_list_groups_by_path_with_pages(self):
        made = [f"pg-{i}" for i in range(5)]
        for name in made:
            self.iam.create_group(GroupName=name, Path="/paged/")
        seen, marker, sizes = [], None, []
        while True:
            args = {"PathPrefix": "/paged/", "MaxItems": 2}
            if marker:
                args["Marker"] = marker
            resp = self.iam.list_groups(**args)
            sizes.append(len(resp["Groups"]))
            seen += [g["GroupName"] for g in resp["Groups"]]
            if not resp["IsTruncated"]:
                self.assertNotIn("Marker", resp)
                break
            marker = resp["Marker"]
        self.assertEqual(sizes, [2, 2, 1])
        self.assertEqual(seen, made)
        everything = [g["GroupName"] for g in self.iam.list_groups()["Groups"]]
        self.assertTrue(set(made) <= set(everything))
        self.assertEqual(self.iam.list_groups(PathPrefix="/nowhere/")["Groups"], [])

    def test_bad_marker(self):
        self.assertClientError(self.iam.list_groups, "InvalidInput", status=400,
                               Marker="not-a-marker")

    def test_cli_group_lifecycle(self):
        group = self.srv.aws_json("iam", "create-group", "--group-name", "cli-group")["Group"]
        self.assertEqual(group["Arn"], f"arn:aws:iam::{ACCOUNT}:group/cli-group")
        self.srv.aws("iam", "create-user", "--user-name", "cli-member")
        self.srv.aws("iam", "add-user-to-group", "--group-name", "cli-group",
                     "--user-name", "cli-member")
        got = self.srv.aws_json("iam", "get-group", "--group-name", "cli-group")
        self.assertEqual([u["UserName"] for u in got["Users"]], ["cli-member"])
        rc, _, err = self.srv.aws("iam", "delete-group", "--group-name", "cli-group",
                                  check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("An error occurred (DeleteConflict) when calling the DeleteGroup "
                      "operation: Cannot delete entity, must remove users from group first.", err)
        self.srv.aws("iam", "remove-user-from-group", "--group-name", "cli-group",
                     "--user-name", "cli-member")
        self.srv.aws("iam", "delete-group", "--group-name", "cli-group")
        names = [g["GroupName"] for g in self.srv.aws_json("iam", "list-groups")["Groups"]]
        self.assertNotIn("cli-group", names)


class TestMembership(GroupCase):
    def test_add_list_remove(self):
        self.iam.create_group(GroupName="team")
        self.iam.create_user(UserName="member-a", Path="/people/")
        self.iam.create_user(UserName="member-b")
        self.iam.add_user_to_group(GroupName="team", UserName="member-a")
        self.iam.add_user_to_group(GroupName="team", UserName="MEMBER-B")
        # Adding a member again changes nothing.
        self.iam.add_user_to_group(GroupName="team", UserName="member-a")

        users = self.iam.get_group(GroupName="team")["Users"]
        self.assertEqual([u["UserName"] for u in users], ["member-a", "member-b"])
        self.assertEqual(users[0]["Arn"], f"arn:aws:iam::{ACCOUNT}:user/people/member-a")
        groups = self.iam.list_groups_for_user(UserName="member-a")
        self.assertEqual([g["GroupName"] for g in groups["Groups"]], ["team"])
        self.assertFalse(groups["IsTruncated"])

        self.iam.remove_user_from_group(GroupName="team", UserName="member-a")
        self.assertEqual([u["UserName"] for u in self.iam.get_group(GroupName="team")["Users"]],
                         ["member-b"])
        self.assertEqual(self.iam.list_groups_for_user(UserName="member-a")["Groups"], [])
        self.assertClientError(self.iam.remove_user_from_group, "NoSuchEntity",
                               "The user with name member-a cannot be found.", 404,
                               GroupName="team", UserName="member-a")

    def test_missing_user(self):
        self.iam.create_group(GroupName="lonely")
        self.assertClientError(self.iam.add_user_to_group, "NoSuchEntity",
                               "The user with name ghost cannot be found.", 404,
                               GroupName="lonely", UserName="ghost")
        self.assertClientError(self.iam.list_groups_for_user, "NoSuchEntity",
                               "The user with name ghost cannot be found.", 404,
                               UserName="ghost")

    def test_get_group_pages_its_users(self):
        self.iam.create_group(GroupName="crowd")
        names = [f"crowd-{i}" for i in range(5)]
        for name in names:
            self.iam.create_user(UserName=name)
            self.iam.add_user_to_group(GroupName="crowd", UserName=name)
        first = self.iam.get_group(GroupName="crowd", MaxItems=3)
        self.assertTrue(first["IsTruncated"])
        self.assertEqual(len(first["Users"]), 3)
        self.assertEqual(first["Group"]["GroupName"], "crowd")
        rest = self.iam.get_group(GroupName="crowd", MaxItems=3, Marker=first["Marker"])
        self.assertFalse(rest["IsTruncated"])
        self.assertEqual([u["UserName"] for u in first["Users"] + rest["Users"]], names)
        paginator = self.iam.get_paginator("get_group")
        paged = [u["UserName"] for page in paginator.paginate(
            GroupName="crowd", PaginationConfig={"PageSize": 2}) for u in page["Users"]]
        self.assertEqual(paged, names)

    def test_groups_per_user_quota(self):
        self.iam.create_user(UserName="joiner")
        for i in range(10):
            self.iam.create_group(GroupName=f"quota-{i:02d}")
            self.iam.add_user_to_group(GroupName=f"quota-{i:02d}", UserName="joiner")
        self.iam.create_group(GroupName="quota-10")
        self.assertClientError(self.iam.add_user_to_group, "LimitExceeded",
                               "Cannot exceed quota for GroupsPerUser: 10", 409,
                               GroupName="quota-10", UserName="joiner")
        first = self.iam.list_groups_for_user(UserName="joiner", MaxItems=4)
        self.assertTrue(first["IsTruncated"])
        self.assertEqual(len(first["Groups"]), 4)

    def test_delete_user_in_a_group_conflicts(self):
        self.iam.create_group(GroupName="holds")
        self.iam.create_user(UserName="held")
        self.iam.add_user_to_group(GroupName="holds", UserName="held")
        self.assertClientError(self.iam.delete_user, "DeleteConflict",
                               "Cannot delete entity, must remove users from group first.", 409,
                               UserName="held")
        self.iam.remove_user_from_group(GroupName="holds", UserName="held")
        self.iam.delete_user(UserName="held")
        self.assertEqual(self.iam.get_group(GroupName="holds")["Users"], [])


class TestGroupPolicies(GroupCase):
    def test_inline_policies(self):
        self.iam.create_group(GroupName="inline-g")
        self.iam.put_group_policy(GroupName="inline-g", PolicyName="read",
                                  PolicyDocument=json.dumps(S3_READ))
        got = self.iam.get_group_policy(GroupName="INLINE-G", PolicyName="read")
        self.assertEqual(got["GroupName"], "inline-g")
        self.assertEqual(got["PolicyName"], "read")
        self.assertEqual(got["PolicyDocument"], S3_READ)
        self.iam.put_group_policy(GroupName="inline-g", PolicyName="more",
                                  PolicyDocument=json.dumps(S3_READ))
        listed = self.iam.list_group_policies(GroupName="inline-g")
        self.assertEqual(listed["PolicyNames"], ["more", "read"])
        page = self.iam.list_group_policies(GroupName="inline-g", MaxItems=1)
        self.assertEqual(page["PolicyNames"], ["more"])
        self.assertTrue(page["IsTruncated"])

        self.assertClientError(self.iam.delete_group, "DeleteConflict",
                               "Cannot delete entity, must delete policies first.", 409,
                               GroupName="inline-g")
        self.iam.delete_group_policy(GroupName="inline-g", PolicyName="more")
        self.iam.delete_group_policy(GroupName="inline-g", PolicyName="read")
        self.assertClientError(self.iam.get_group_policy, "NoSuchEntity",
                               "The group policy with name read cannot be found.", 404,
                               GroupName="inline-g", PolicyName="read")
        self.assertClientError(self.iam.delete_group_policy, "NoSuchEntity",
                               "The group policy with name read cannot be found.", 404,
                               GroupName="inline-g", PolicyName="read")
        self.iam.delete_group(GroupName="inline-g")

    def test_inline_policy_validation(self):
        self.iam.create_group(GroupName="strict-g")
        self.assertClientError(self.iam.put_group_policy, "MalformedPolicyDocument",
                               "Syntax errors in policy.", 400, GroupName="strict-g",
                               PolicyName="p", PolicyDocument="{not json")
        self.assertClientError(
            self.iam.put_group_policy, "MalformedPolicyDocument",
            "Policy document should not specify a principal.", 400,
            GroupName="strict-g", PolicyName="p", PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                               "Resource": "*"}]}))
        self.assertEqual(self.iam.list_group_policies(GroupName="strict-g")["PolicyNames"], [])

    def test_inline_size_quota(self):
        # IAM quotas: a group's inline policies hold 5120 characters in all.
        self.iam.create_group(GroupName="full-g")

        def policy(n):
            return json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "s3:GetObject",
                "Resource": [f"arn:aws:s3:::bucket-{i:05d}/*" for i in range(n)]}]})
        doc = policy(100)
        self.assertGreater(len(doc), 2600)
        self.iam.put_group_policy(GroupName="full-g", PolicyName="one", PolicyDocument=doc)
        self.iam.put_group_policy(GroupName="full-g", PolicyName="one", PolicyDocument=doc)
        self.assertClientError(
            self.iam.put_group_policy, "LimitExceeded",
            "Maximum policy size of 5120 bytes exceeded for group full-g", 409,
            GroupName="full-g", PolicyName="two", PolicyDocument=doc)

    def test_attached_policies(self):
        self.iam.create_group(GroupName="managed-g")
        self.iam.attach_group_policy(GroupName="managed-g", PolicyArn=READONLY_POLICY)
        self.iam.attach_group_policy(GroupName="managed-g", PolicyArn=READONLY_POLICY)
        got = self.iam.list_attached_group_policies(GroupName="managed-g")
        self.assertEqual(got["AttachedPolicies"],
                         [{"PolicyName": "ReadOnlyAccess", "PolicyArn": READONLY_POLICY}])
        self.assertEqual(self.iam.list_attached_group_policies(
            GroupName="managed-g", PathPrefix="/service-role/")["AttachedPolicies"], [])
        entities = self.iam.list_entities_for_policy(PolicyArn=READONLY_POLICY,
                                                     EntityFilter="Group")
        self.assertIn("managed-g", [g["GroupName"] for g in entities["PolicyGroups"]])
        self.assertEqual(entities["PolicyUsers"], [])

        self.assertClientError(
            self.iam.attach_group_policy, "NoSuchEntity",
            "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable.", 404,
            GroupName="managed-g", PolicyArn="arn:aws:iam::aws:policy/Nope")
        self.assertClientError(self.iam.delete_group, "DeleteConflict",
                               "Cannot delete entity, must detach all policies first.", 409,
                               GroupName="managed-g")
        self.iam.detach_group_policy(GroupName="managed-g", PolicyArn=READONLY_POLICY)
        self.assertClientError(self.iam.detach_group_policy, "NoSuchEntity",
                               f"Policy {READONLY_POLICY} was not found.", 404,
                               GroupName="managed-g", PolicyArn=READONLY_POLICY)
        self.iam.delete_group(GroupName="managed-g")

    def test_attachment_quota(self):
        self.iam.create_group(GroupName="quota-g")
        names = ["AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "IAMFullAccess",
                 "IAMReadOnlyAccess", "AWSCodeBuildAdminAccess", "AWSCodeBuildDeveloperAccess",
                 "AWSCodeBuildReadOnlyAccess", "AWSCodePipeline_FullAccess",
                 "AWSCodePipeline_ReadOnlyAccess"]
        for name in names:
            self.iam.attach_group_policy(GroupName="quota-g",
                                         PolicyArn=f"arn:aws:iam::aws:policy/{name}")
        self.assertClientError(self.iam.attach_group_policy, "LimitExceeded",
                               "Cannot exceed quota for PoliciesPerGroup: 10", 409,
                               GroupName="quota-g",
                               PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")


class TestUpdateGroup(GroupCase):
    def test_rename_and_move_keep_everything(self):
        self.iam.create_group(GroupName="old-name")
        self.iam.create_user(UserName="stays")
        self.iam.add_user_to_group(GroupName="old-name", UserName="stays")
        self.iam.put_group_policy(GroupName="old-name", PolicyName="inline",
                                  PolicyDocument=json.dumps(S3_READ))
        self.iam.attach_group_policy(GroupName="old-name", PolicyArn=READONLY_POLICY)
        before = self.iam.get_group(GroupName="old-name")["Group"]

        self.iam.update_group(GroupName="old-name", NewGroupName="new-name", NewPath="/moved/")
        self.assertClientError(self.iam.get_group, "NoSuchEntity",
                               "The group with name old-name cannot be found.", 404,
                               GroupName="old-name")
        got = self.iam.get_group(GroupName="new-name")
        self.assertEqual(got["Group"]["GroupId"], before["GroupId"])
        self.assertEqual(got["Group"]["Arn"], f"arn:aws:iam::{ACCOUNT}:group/moved/new-name")
        self.assertEqual([u["UserName"] for u in got["Users"]], ["stays"])
        self.assertEqual([g["GroupName"] for g in
                          self.iam.list_groups_for_user(UserName="stays")["Groups"]],
                         ["new-name"])
        self.assertEqual(self.iam.list_group_policies(GroupName="new-name")["PolicyNames"],
                         ["inline"])
        self.assertEqual(self.iam.get_group_policy(GroupName="new-name",
                                                   PolicyName="inline")["GroupName"], "new-name")
        self.assertEqual(self.iam.list_attached_group_policies(
            GroupName="new-name")["AttachedPolicies"],
            [{"PolicyName": "ReadOnlyAccess", "PolicyArn": READONLY_POLICY}])
        groups = self.iam.list_entities_for_policy(PolicyArn=READONLY_POLICY,
                                                   EntityFilter="Group")["PolicyGroups"]
        self.assertIn({"GroupName": "new-name", "GroupId": before["GroupId"]}, groups)
        self.assertNotIn("old-name", [g["GroupName"] for g in groups])

    def test_rename_onto_existing_group(self):
        self.iam.create_group(GroupName="taken-a")
        self.iam.create_group(GroupName="taken-b")
        self.assertClientError(self.iam.update_group, "EntityAlreadyExists",
                               "Group with name TAKEN-B already exists.", 409,
                               GroupName="taken-a", NewGroupName="TAKEN-B")
        self.assertEqual(self.iam.get_group(GroupName="taken-a")["Group"]["GroupName"],
                         "taken-a")

    def test_change_of_case_only(self):
        self.iam.create_group(GroupName="casey")
        self.iam.update_group(GroupName="casey", NewGroupName="Casey")
        self.assertEqual(self.iam.get_group(GroupName="casey")["Group"]["GroupName"], "Casey")


class TestAccessThroughGroups(GroupCase):
    def test_group_policy_grants_and_membership_revokes(self):
        self.iam.create_group(GroupName="admins")
        self.iam.attach_group_policy(GroupName="admins", PolicyArn=ADMIN_POLICY)
        self.iam.create_user(UserName="operator")
        key = self.iam.create_access_key(UserName="operator")["AccessKey"]
        iam = self.srv.client("iam", access_key=key["AccessKeyId"],
                              secret_key=key["SecretAccessKey"])
        self.assertClientError(iam.list_groups, "AccessDenied", status=403)

        self.iam.add_user_to_group(GroupName="admins", UserName="operator")
        self.assertIn("admins", [g["GroupName"] for g in iam.list_groups()["Groups"]])

        self.iam.remove_user_from_group(GroupName="admins", UserName="operator")
        self.assertClientError(iam.list_groups, "AccessDenied", status=403)

    def test_denied_message_names_the_group_arn(self):
        self.iam.create_group(GroupName="secret", Path="/private/")
        self.iam.create_user(UserName="outsider")
        key = self.iam.create_access_key(UserName="outsider")["AccessKey"]
        iam = self.srv.client("iam", access_key=key["AccessKeyId"],
                              secret_key=key["SecretAccessKey"])
        resp = self.assertClientError(iam.get_group, "AccessDenied", status=403,
                                      GroupName="secret")
        self.assertIn(f"on resource: arn:aws:iam::{ACCOUNT}:group/private/secret",
                      resp["Error"]["Message"])


if __name__ == "__main__":
    unittest.main()
