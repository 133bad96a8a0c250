"""IAM through boto3 and the aws CLI: users, access keys, roles, inline and
attached role policies, paging, quotas, validation and authorization.

Messages and codes are AWS's own (IAM API reference, IAM user guide, and
what the service answers); slipway must match them, not the other way round.
"""
import datetime
import json
import os
import tempfile
import unittest

import botocore.exceptions

from slipway_server import ServerTestCase, SlipwayServer

ACCOUNT = "000000000000"
ADMIN_ARN = f"arn:aws:iam::{ACCOUNT}:user/admin"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
READONLY_POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole",
    }],
}
S3_READ = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "ReadArtifacts",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::artifacts", "arn:aws:s3:::artifacts/*"],
    }],
}


def denied_message(principal_arn, action, resource):
    return (f"User: {principal_arn} is not authorized to perform: {action} on resource: "
            f"{resource} because no identity-based policy allows the {action} action")


class IamCase(ServerTestCase):
    """One server per test class."""

    def assertRecent(self, when, slack=300):
        self.assertIsInstance(when, datetime.datetime)
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertLess(abs((when - now).total_seconds()), slack, when)

    def user_with_key(self, name, **kwargs):
        self.iam.create_user(UserName=name, **kwargs)
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        return key

    def client_for(self, service, key, token=None):
        return self.srv.client(service, access_key=key["AccessKeyId"],
                               secret_key=key["SecretAccessKey"], session_token=token)


class TestUsers(IamCase):
    def test_create_and_get_user(self):
        user = self.iam.create_user(UserName="alice")["User"]
        self.assertEqual(user["UserName"], "alice")
        self.assertEqual(user["Path"], "/")
        self.assertEqual(user["Arn"], f"arn:aws:iam::{ACCOUNT}:user/alice")
        self.assertRegex(user["UserId"], r"^AIDA[A-Z0-9]{17}$")
        self.assertRecent(user["CreateDate"])

        got = self.iam.get_user(UserName="alice")["User"]
        for field in ("UserName", "Path", "Arn", "UserId", "CreateDate"):
            self.assertEqual(got[field], user[field], field)

    def test_create_user_with_path(self):
        user = self.iam.create_user(UserName="builder", Path="/ci/bots/")["User"]
        self.assertEqual(user["Path"], "/ci/bots/")
        self.assertEqual(user["Arn"], f"arn:aws:iam::{ACCOUNT}:user/ci/bots/builder")
        self.assertEqual(self.iam.get_user(UserName="builder")["User"]["Arn"], user["Arn"])

    def test_create_user_with_tags(self):
        tags = [{"Key": "team", "Value": "platform"}, {"Key": "env", "Value": "dev"}]
        user = self.iam.create_user(UserName="tagged", Tags=tags)["User"]
        self.assertEqual(user["Tags"], tags)
        self.assertEqual(self.iam.get_user(UserName="tagged")["User"]["Tags"], tags)

    def test_get_user_without_name_is_the_caller(self):
        me = self.iam.get_user()["User"]
        self.assertEqual(me["UserName"], "admin")
        self.assertEqual(me["Arn"], ADMIN_ARN)
        self.assertEqual(me["Path"], "/")
        self.assertEqual(me["UserId"], self.sts.get_caller_identity()["UserId"])

    def test_names_are_found_whatever_their_case(self):
        user = self.iam.create_user(UserName="MixedCase")["User"]
        got = self.iam.get_user(UserName="mixedcase")["User"]
        self.assertEqual(got["UserName"], "MixedCase")
        self.assertEqual(got["UserId"], user["UserId"])

    def test_user_already_exists(self):
        self.iam.create_user(UserName="dup")
        self.assertClientError(self.iam.create_user, "EntityAlreadyExists",
                               "User with name dup already exists.", 409, UserName="dup")

    def test_user_names_are_not_distinguished_by_case(self):
        # IAM user guide: "you cannot create two users named TESTUSER and testuser".
        self.iam.create_user(UserName="CaseUser")
        self.assertClientError(self.iam.create_user, "EntityAlreadyExists",
                               "User with name caseuser already exists.", 409,
                               UserName="caseuser")

    def test_get_missing_user(self):
        self.assertClientError(self.iam.get_user, "NoSuchEntity",
                               "The user with name nobody cannot be found.", 404,
                               UserName="nobody")

    def test_delete_user_conflicts_then_not_found(self):
        key = self.user_with_key("leaving")
        self.assertClientError(self.iam.delete_user, "DeleteConflict",
                               "Cannot delete entity, must delete access keys first.", 409,
                               UserName="leaving")
        self.iam.delete_access_key(UserName="leaving", AccessKeyId=key["AccessKeyId"])
        self.iam.attach_user_policy(UserName="leaving", PolicyArn=READONLY_POLICY)
        self.assertClientError(self.iam.delete_user, "DeleteConflict",
                               "Cannot delete entity, must detach all policies first.", 409,
                               UserName="leaving")
        # Still there after the refusals.
        self.assertEqual(self.iam.get_user(UserName="leaving")["User"]["UserName"], "leaving")
        self.iam.detach_user_policy(UserName="leaving", PolicyArn=READONLY_POLICY)
        self.iam.delete_user(UserName="leaving")
        self.assertClientError(self.iam.get_user, "NoSuchEntity",
                               "The user with name leaving cannot be found.", 404,
                               UserName="leaving")
        self.assertClientError(self.iam.delete_user, "NoSuchEntity",
                               "The user with name leaving cannot be found.", 404,
                               UserName="leaving")
        names = [u["UserName"] for u in self.iam.list_users()["Users"]]
        self.assertNotIn("leaving", names)

    def test_name_can_be_reused_after_delete(self):
        first = self.iam.create_user(UserName="phoenix")["User"]
        self.iam.delete_user(UserName="phoenix")
        second = self.iam.create_user(UserName="phoenix")["User"]
        self.assertNotEqual(first["UserId"], second["UserId"])

    def test_user_policy_attachments(self):
        self.iam.create_user(UserName="attached")
        self.iam.attach_user_policy(UserName="attached", PolicyArn=READONLY_POLICY)
        self.iam.attach_user_policy(UserName="attached", PolicyArn=READONLY_POLICY)
        got = self.iam.list_attached_user_policies(UserName="attached")
        self.assertEqual(got["AttachedPolicies"],
                         [{"PolicyName": "ReadOnlyAccess", "PolicyArn": READONLY_POLICY}])
        self.assertFalse(got["IsTruncated"])
        self.assertClientError(
            self.iam.attach_user_policy, "NoSuchEntity",
            "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.",
            404, UserName="attached", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")
        self.assertClientError(self.iam.attach_user_policy, "NoSuchEntity",
                               "The user with name ghost cannot be found.", 404,
                               UserName="ghost", PolicyArn=READONLY_POLICY)
        self.iam.detach_user_policy(UserName="attached", PolicyArn=READONLY_POLICY)
        self.assertEqual(
            self.iam.list_attached_user_policies(UserName="attached")["AttachedPolicies"], [])
        self.assertClientError(self.iam.detach_user_policy, "NoSuchEntity",
                               f"Policy {READONLY_POLICY} was not found.", 404,
                               UserName="attached", PolicyArn=READONLY_POLICY)


class TestListUsers(IamCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Interleave two paths so that a page filtered after the fact would
        # come out short or empty.
        cls.team = []
        for i in range(7):
            path = "/team/" if i % 2 == 0 else "/other/"
            name = f"pager-{i}"
            cls.iam.create_user(UserName=name, Path=path)
            if path == "/team/":
                cls.team.append(name)
        cls.all_names = {"admin"} | {f"pager-{i}" for i in range(7)}

    def collect(self, page_size, **kwargs):
        pages, marker = [], None
        while True:
            args = dict(kwargs, MaxItems=page_size)
            if marker:
                args["Marker"] = marker
            resp = self.iam.list_users(**args)
            pages.append(resp)
            if not resp["IsTruncated"]:
                self.assertNotIn("Marker", resp)
                return pages
            self.assertTrue(resp["Marker"])
            marker = resp["Marker"]
            self.assertLess(len(pages), 50, "paging does not end")

    def test_list_all(self):
        resp = self.iam.list_users()
        self.assertFalse(resp["IsTruncated"])
        self.assertNotIn("Marker", resp)
        self.assertEqual({u["UserName"] for u in resp["Users"]}, self.all_names)
        for u in resp["Users"]:
            self.assertTrue(u["Arn"].startswith(f"arn:aws:iam::{ACCOUNT}:user/"), u)
            self.assertIsInstance(u["CreateDate"], datetime.datetime)

    def test_pages_of_three(self):
        pages = self.collect(3)
        sizes = [len(p["Users"]) for p in pages]
        self.assertEqual(sizes, [3, 3, 2])
        self.assertEqual([p["IsTruncated"] for p in pages], [True, True, False])
        names = [u["UserName"] for p in pages for u in p["Users"]]
        self.assertEqual(len(names), len(set(names)), "a user came twice")
        self.assertEqual(set(names), self.all_names)

    def test_path_prefix(self):
        resp = self.iam.list_users(PathPrefix="/team/")
        self.assertEqual(sorted(u["UserName"] for u in resp["Users"]), sorted(self.team))
        self.assertFalse(resp["IsTruncated"])
        for u in resp["Users"]:
            self.assertEqual(u["Path"], "/team/")
        self.assertEqual(self.iam.list_users(PathPrefix="/nowhere/")["Users"], [])

    def test_path_prefix_pages_are_full(self):
        pages = self.collect(1, PathPrefix="/team/")
        self.assertEqual([len(p["Users"]) for p in pages], [1] * len(self.team))
        self.assertEqual(sorted(u["UserName"] for p in pages for u in p["Users"]),
                         sorted(self.team))

    def test_paginator(self):
        paginator = self.iam.get_paginator("list_users")
        names = [u["UserName"] for page in paginator.paginate(PaginationConfig={"PageSize": 2})
                 for u in page["Users"]]
        self.assertEqual(sorted(names), sorted(self.all_names))

    def test_cli_paginates(self):
        out = self.srv.aws_json("iam", "list-users", "--page-size", "2")
        self.assertEqual({u["UserName"] for u in out["Users"]}, self.all_names)


class TestAccessKeys(IamCase):
    def test_new_key_authenticates_as_the_user(self):
        user = self.iam.create_user(UserName="keyholder")["User"]
        key = self.iam.create_access_key(UserName="keyholder")["AccessKey"]
        self.assertEqual(key["UserName"], "keyholder")
        self.assertEqual(key["Status"], "Active")
        self.assertRegex(key["AccessKeyId"], r"^AKIA[A-Z0-9]{16}$")
        self.assertEqual(len(key["SecretAccessKey"]), 40)
        self.assertRecent(key["CreateDate"])

        ident = self.client_for("sts", key).get_caller_identity()
        self.assertEqual(ident["Arn"], user["Arn"])
        self.assertEqual(ident["UserId"], user["UserId"])
        self.assertEqual(ident["Account"], ACCOUNT)

    def test_quota_of_two_keys(self):
        self.iam.create_user(UserName="twokeys")
        k1 = self.iam.create_access_key(UserName="twokeys")["AccessKey"]
        k2 = self.iam.create_access_key(UserName="twokeys")["AccessKey"]
        self.assertNotEqual(k1["AccessKeyId"], k2["AccessKeyId"])
        self.assertClientError(self.iam.create_access_key, "LimitExceeded",
                               "Cannot exceed quota for AccessKeysPerUser: 2", 409,
                               UserName="twokeys")
        listed = self.iam.list_access_keys(UserName="twokeys")
        self.assertFalse(listed["IsTruncated"])
        self.assertEqual(sorted(k["AccessKeyId"] for k in listed["AccessKeyMetadata"]),
                         sorted([k1["AccessKeyId"], k2["AccessKeyId"]]))
        for meta in listed["AccessKeyMetadata"]:
            self.assertEqual(meta["UserName"], "twokeys")
            self.assertEqual(meta["Status"], "Active")
            self.assertNotIn("SecretAccessKey", meta)
            self.assertIsInstance(meta["CreateDate"], datetime.datetime)
        # Freeing a slot makes room again.
        self.iam.delete_access_key(UserName="twokeys", AccessKeyId=k1["AccessKeyId"])
        self.iam.create_access_key(UserName="twokeys")

    def test_key_for_missing_user(self):
        self.assertClientError(self.iam.create_access_key, "NoSuchEntity",
                               "The user with name ghost cannot be found.", 404,
                               UserName="ghost")
        self.assertClientError(self.iam.list_access_keys, "NoSuchEntity",
                               "The user with name ghost cannot be found.", 404,
                               UserName="ghost")

    def test_list_access_keys_without_name_is_the_caller(self):
        keys = self.iam.list_access_keys()["AccessKeyMetadata"]
        self.assertIn(self.srv.access_key, [k["AccessKeyId"] for k in keys])
        for k in keys:
            self.assertEqual(k["UserName"], "admin")

    def test_inactive_key_is_refused_until_reactivated(self):
        key = self.user_with_key("sleepy")
        sts = self.client_for("sts", key)
        sts.get_caller_identity()
        self.iam.update_access_key(UserName="sleepy", AccessKeyId=key["AccessKeyId"],
                                   Status="Inactive")
        meta = self.iam.list_access_keys(UserName="sleepy")["AccessKeyMetadata"]
        self.assertEqual([(m["AccessKeyId"], m["Status"]) for m in meta],
                         [(key["AccessKeyId"], "Inactive")])
        self.assertClientError(sts.get_caller_identity, "InvalidClientTokenId",
                               "The security token included in the request is invalid.", 403)
        self.iam.update_access_key(UserName="sleepy", AccessKeyId=key["AccessKeyId"],
                                   Status="Active")
        self.assertEqual(sts.get_caller_identity()["Arn"],
                         f"arn:aws:iam::{ACCOUNT}:user/sleepy")

    def test_update_unknown_key(self):
        self.iam.create_user(UserName="nokeys")
        self.assertClientError(
            self.iam.update_access_key, "NoSuchEntity",
            "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.", 404,
            UserName="nokeys", AccessKeyId="AKIAAAAAAAAAAAAAAAAA", Status="Inactive")

    def test_key_of_another_user_is_not_found(self):
        key = self.user_with_key("owner1")
        self.iam.create_user(UserName="owner2")
        self.assertClientError(
            self.iam.delete_access_key, "NoSuchEntity",
            f"The Access Key with id {key['AccessKeyId']} cannot be found.", 404,
            UserName="owner2", AccessKeyId=key["AccessKeyId"])
        # And the key still works.
        self.client_for("sts", key).get_caller_identity()

    def test_deleted_key_stops_working(self):
        key = self.user_with_key("revoked")
        sts = self.client_for("sts", key)
        sts.get_caller_identity()
        self.iam.delete_access_key(UserName="revoked", AccessKeyId=key["AccessKeyId"])
        self.assertEqual(self.iam.list_access_keys(UserName="revoked")["AccessKeyMetadata"], [])
        self.assertClientError(sts.get_caller_identity, "InvalidClientTokenId",
                               "The security token included in the request is invalid.", 403)
        self.assertClientError(
            self.iam.delete_access_key, "NoSuchEntity",
            f"The Access Key with id {key['AccessKeyId']} cannot be found.", 404,
            UserName="revoked", AccessKeyId=key["AccessKeyId"])


class TestRoles(IamCase):
    def create_role(self, name, doc=TRUST, **kwargs):
        return self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(doc),
                                    **kwargs)["Role"]

    def test_create_get_role(self):
        role = self.create_role("deployer", Description="deploys things")
        self.assertEqual(role["RoleName"], "deployer")
        self.assertEqual(role["Path"], "/")
        self.assertEqual(role["Arn"], f"arn:aws:iam::{ACCOUNT}:role/deployer")
        self.assertRegex(role["RoleId"], r"^AROA[A-Z0-9]{17}$")
        self.assertRecent(role["CreateDate"])
        # botocore decodes the URL-encoded document back into a dict.
        self.assertEqual(role["AssumeRolePolicyDocument"], TRUST)

        got = self.iam.get_role(RoleName="deployer")["Role"]
        for field in ("RoleName", "Path", "Arn", "RoleId", "CreateDate"):
            self.assertEqual(got[field], role[field], field)
        self.assertEqual(got["AssumeRolePolicyDocument"], TRUST)
        self.assertEqual(got["Description"], "deploys things")
        self.assertEqual(got["MaxSessionDuration"], 3600)

    def test_role_with_path_and_session_duration(self):
        role = self.create_role("svc-role", Path="/service-role/", MaxSessionDuration=7200)
        self.assertEqual(role["Arn"], f"arn:aws:iam::{ACCOUNT}:role/service-role/svc-role")
        self.assertEqual(self.iam.get_role(RoleName="svc-role")["Role"]["MaxSessionDuration"],
                         7200)

    def test_document_with_unicode_and_reserved_characters(self):
        doc = {
            "Version": "2012-10-17",
            "Statement": [{
                # IAM takes letters and digits only in a Sid; the reserved
                # characters go in a condition value instead.
                "Sid": "OddChars",
                "Effect": "Allow",
                "Principal": {"Service": "codebuild.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:PrincipalTag/name": "Zoë café / 100% +&=?#"}},
            }],
        }
        self.iam.create_role(RoleName="odd-doc",
                             AssumeRolePolicyDocument=json.dumps(doc, ensure_ascii=False))
        self.assertEqual(self.iam.get_role(RoleName="odd-doc")["Role"]["AssumeRolePolicyDocument"],
                         doc)

    def test_role_already_exists(self):
        self.create_role("twice")
        self.assertClientError(self.iam.create_role, "EntityAlreadyExists",
                               "Role with name twice already exists.", 409,
                               RoleName="twice", AssumeRolePolicyDocument=json.dumps(TRUST))
        self.assertClientError(self.iam.create_role, "EntityAlreadyExists",
                               "Role with name TWICE already exists.", 409,
                               RoleName="TWICE", AssumeRolePolicyDocument=json.dumps(TRUST))

    def test_malformed_trust_policy(self):
        self.assertClientError(self.iam.create_role, "MalformedPolicyDocument",
                               "This policy contains invalid Json", 400,
                               RoleName="broken", AssumeRolePolicyDocument='{"Version": ')
        self.assertClientError(self.iam.get_role, "NoSuchEntity",
                               "The role with name broken cannot be found.", 404,
                               RoleName="broken")

    def test_trust_policy_size_quota(self):
        # IAM quotas: a trust policy holds 2048 characters, white space not counted.
        def trust_with(n):
            return {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "sts:AssumeRole",
                "Principal": {"AWS": [f"arn:aws:iam::{i:012d}:root" for i in range(n)]}}]}
        small, big = trust_with(40), trust_with(80)
        self.assertLess(len(json.dumps(small, separators=(",", ":"))), 2048)
        self.assertGreater(len(json.dumps(big, separators=(",", ":"))), 2048)
        self.assertClientError(self.iam.create_role, "LimitExceeded",
                               "Cannot exceed quota for ACLSizePerRole: 2048", 409,
                               RoleName="big-trust", AssumeRolePolicyDocument=json.dumps(big))
        pretty = json.dumps(small, indent=8)
        self.assertGreater(len(pretty), 2048)
        role = self.iam.create_role(RoleName="pretty-trust",
                                    AssumeRolePolicyDocument=pretty)["Role"]
        self.assertEqual(role["AssumeRolePolicyDocument"], small)

    def test_trust_naming_a_missing_principal(self):
        # IAM refuses a trust policy that names a user or role it cannot find.
        ghost = f"arn:aws:iam::{ACCOUNT}:user/ghost"
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": ghost}}]}
        self.assertClientError(self.iam.create_role, "MalformedPolicyDocument",
                               f'Invalid principal in policy: "AWS":"{ghost}"', 400,
                               RoleName="haunted", AssumeRolePolicyDocument=json.dumps(trust))
        self.iam.create_user(UserName="ghost")
        self.iam.create_role(RoleName="haunted", AssumeRolePolicyDocument=json.dumps(trust))

    def test_inline_policies_share_one_size_quota(self):
        # IAM quotas: a role's inline policies hold 10240 characters in all.
        self.create_role("inline-quota")

        def policy(n):
            return {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "s3:GetObject",
                "Resource": [f"arn:aws:s3:::bucket-{i:05d}/*" for i in range(n)]}]}
        doc = json.dumps(policy(200))
        self.assertGreater(len(doc), 5200)
        self.assertLess(len(doc), 7000)
        self.iam.put_role_policy(RoleName="inline-quota", PolicyName="first",
                                 PolicyDocument=doc)
        # Replacing a policy does not count it twice.
        self.iam.put_role_policy(RoleName="inline-quota", PolicyName="first",
                                 PolicyDocument=doc)
        self.assertClientError(
            self.iam.put_role_policy, "LimitExceeded",
            "Maximum policy size of 10240 bytes exceeded for role inline-quota", 409,
            RoleName="inline-quota", PolicyName="second", PolicyDocument=doc)
        self.assertEqual(self.iam.list_role_policies(RoleName="inline-quota")["PolicyNames"],
                         ["first"])

    def test_get_missing_role(self):
        self.assertClientError(self.iam.get_role, "NoSuchEntity",
                               "The role with name nope cannot be found.", 404,
                               RoleName="nope")
        self.assertClientError(self.iam.delete_role, "NoSuchEntity",
                               "The role with name nope cannot be found.", 404,
                               RoleName="nope")

    def test_list_roles_pages(self):
        made = {f"lister-{i}" for i in range(5)}
        for name in made:
            self.create_role(name, Path="/listed/")
        seen, marker, pages = [], None, 0
        while True:
            args = {"MaxItems": 2, "PathPrefix": "/listed/"}
            if marker:
                args["Marker"] = marker
            resp = self.iam.list_roles(**args)
            pages += 1
            self.assertLessEqual(len(resp["Roles"]), 2)
            seen += [r["RoleName"] for r in resp["Roles"]]
            for r in resp["Roles"]:
                self.assertEqual(r["AssumeRolePolicyDocument"], TRUST)
            if not resp["IsTruncated"]:
                break
            marker = resp["Marker"]
            self.assertLess(pages, 20)
        self.assertEqual(pages, 3)
        self.assertEqual(sorted(seen), sorted(made))
        everything = {r["RoleName"] for r in self.iam.list_roles()["Roles"]}
        self.assertTrue(made <= everything)

    def test_inline_role_policies(self):
        self.create_role("inline")
        self.iam.put_role_policy(RoleName="inline", PolicyName="read-artifacts",
                                 PolicyDocument=json.dumps(S3_READ))
        got = self.iam.get_role_policy(RoleName="inline", PolicyName="read-artifacts")
        self.assertEqual(got["RoleName"], "inline")
        self.assertEqual(got["PolicyName"], "read-artifacts")
        self.assertEqual(got["PolicyDocument"], S3_READ)

        # Put again replaces.
        other = {"Version": "2012-10-17",
                 "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
        self.iam.put_role_policy(RoleName="inline", PolicyName="read-artifacts",
                                 PolicyDocument=json.dumps(other))
        self.iam.put_role_policy(RoleName="inline", PolicyName="another",
                                 PolicyDocument=json.dumps(S3_READ))
        self.assertEqual(self.iam.get_role_policy(RoleName="inline",
                                                  PolicyName="read-artifacts")["PolicyDocument"],
                         other)
        listed = self.iam.list_role_policies(RoleName="inline")
        self.assertEqual(sorted(listed["PolicyNames"]), ["another", "read-artifacts"])
        self.assertFalse(listed["IsTruncated"])

        self.iam.delete_role_policy(RoleName="inline", PolicyName="another")
        self.assertEqual(self.iam.list_role_policies(RoleName="inline")["PolicyNames"],
                         ["read-artifacts"])
        self.assertClientError(self.iam.get_role_policy, "NoSuchEntity",
                               "The role policy with name another cannot be found.", 404,
                               RoleName="inline", PolicyName="another")
        self.assertClientError(self.iam.delete_role_policy, "NoSuchEntity",
                               "The role policy with name another cannot be found.", 404,
                               RoleName="inline", PolicyName="another")

    def test_inline_policy_errors(self):
        self.create_role("strict")
        # Only trust policies get "This policy contains invalid Json"; IAM
        # answers text that is not JSON in a permissions policy so.
        self.assertClientError(self.iam.put_role_policy, "MalformedPolicyDocument",
                               "Syntax errors in policy.", 400,
                               RoleName="strict", PolicyName="p", PolicyDocument="not json")
        self.assertEqual(self.iam.list_role_policies(RoleName="strict")["PolicyNames"], [])
        self.assertClientError(self.iam.put_role_policy, "NoSuchEntity",
                               "The role with name ghost cannot be found.", 404,
                               RoleName="ghost", PolicyName="p",
                               PolicyDocument=json.dumps(S3_READ))

    def test_attached_role_policies(self):
        self.create_role("managed")
        self.iam.attach_role_policy(RoleName="managed", PolicyArn=ADMIN_POLICY)
        self.iam.attach_role_policy(RoleName="managed", PolicyArn=READONLY_POLICY)
        got = self.iam.list_attached_role_policies(RoleName="managed")
        self.assertFalse(got["IsTruncated"])
        self.assertEqual(sorted(got["AttachedPolicies"], key=lambda p: p["PolicyName"]), [
            {"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN_POLICY},
            {"PolicyName": "ReadOnlyAccess", "PolicyArn": READONLY_POLICY},
        ])
        self.assertClientError(
            self.iam.attach_role_policy, "NoSuchEntity",
            "Policy arn:aws:iam::aws:policy/NotARealPolicy does not exist or is not attachable.",
            404, RoleName="managed", PolicyArn="arn:aws:iam::aws:policy/NotARealPolicy")
        self.assertClientError(self.iam.attach_role_policy, "NoSuchEntity",
                               "The role with name ghost cannot be found.", 404,
                               RoleName="ghost", PolicyArn=ADMIN_POLICY)

        self.iam.detach_role_policy(RoleName="managed", PolicyArn=ADMIN_POLICY)
        self.assertEqual(self.iam.list_attached_role_policies(RoleName="managed")[
            "AttachedPolicies"], [{"PolicyName": "ReadOnlyAccess", "PolicyArn": READONLY_POLICY}])
        self.assertClientError(self.iam.detach_role_policy, "NoSuchEntity",
                               f"Policy {ADMIN_POLICY} was not found.", 404,
                               RoleName="managed", PolicyArn=ADMIN_POLICY)

    def test_managed_policy_quota_and_attachment_pages(self):
        # IAM quotas: 10 managed policies per role by default.
        self.create_role("crowded")
        names = ["AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "IAMFullAccess",
                 "AWSCodeBuildAdminAccess", "AWSCodeBuildDeveloperAccess",
                 "AWSCodeBuildReadOnlyAccess", "AWSCodePipeline_FullAccess",
                 "AWSCodePipeline_ReadOnlyAccess", "AWSCodeCommitPowerUser"]
        for name in names:
            self.iam.attach_role_policy(RoleName="crowded",
                                        PolicyArn=f"arn:aws:iam::aws:policy/{name}")
        self.assertClientError(self.iam.attach_role_policy, "LimitExceeded",
                               "Cannot exceed quota for PoliciesPerRole: 10", 409,
                               RoleName="crowded",
                               PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
        # Attaching one that is attached already is no new attachment.
        self.iam.attach_role_policy(RoleName="crowded", PolicyArn=ADMIN_POLICY)
        seen, marker = [], None
        while True:
            args = {"RoleName": "crowded", "MaxItems": 4}
            if marker:
                args["Marker"] = marker
            resp = self.iam.list_attached_role_policies(**args)
            self.assertLessEqual(len(resp["AttachedPolicies"]), 4)
            seen += [p["PolicyName"] for p in resp["AttachedPolicies"]]
            if not resp["IsTruncated"]:
                break
            marker = resp["Marker"]
        self.assertEqual(sorted(seen), sorted(names))

    def test_delete_role_conflicts(self):
        self.create_role("sticky")
        self.iam.put_role_policy(RoleName="sticky", PolicyName="inline",
                                 PolicyDocument=json.dumps(S3_READ))
        self.assertClientError(self.iam.delete_role, "DeleteConflict",
                               "Cannot delete entity, must delete policies first.", 409,
                               RoleName="sticky")
        self.iam.delete_role_policy(RoleName="sticky", PolicyName="inline")
        self.iam.attach_role_policy(RoleName="sticky", PolicyArn=READONLY_POLICY)
        self.assertClientError(self.iam.delete_role, "DeleteConflict",
                               "Cannot delete entity, must detach all policies first.", 409,
                               RoleName="sticky")
        self.iam.detach_role_policy(RoleName="sticky", PolicyArn=READONLY_POLICY)
        self.iam.delete_role(RoleName="sticky")
        self.assertClientError(self.iam.get_role, "NoSuchEntity",
                               "The role with name sticky cannot be found.", 404,
                               RoleName="sticky")
        self.assertNotIn("sticky", [r["RoleName"] for r in self.iam.list_roles()["Roles"]])


class TestValidation(IamCase):
    def test_role_name_with_space(self):
        self.assertClientError(
            self.iam.create_role, "ValidationError",
            "1 validation error detected: Value 'bad name' at 'roleName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", 400,
            RoleName="bad name", AssumeRolePolicyDocument=json.dumps(TRUST))

    def test_role_name_too_long(self):
        name = "r" * 65
        self.assertClientError(
            self.iam.create_role, "ValidationError",
            f"1 validation error detected: Value '{name}' at 'roleName' failed to satisfy "
            "constraint: Member must have length less than or equal to 64", 400,
            RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
        # 64 is fine.
        self.iam.create_role(RoleName="r" * 64, AssumeRolePolicyDocument=json.dumps(TRUST))

    def test_user_name_too_long(self):
        name = "u" * 65
        self.assertClientError(
            self.iam.create_user, "ValidationError",
            f"1 validation error detected: Value '{name}' at 'userName' failed to satisfy "
            "constraint: Member must have length less than or equal to 64", 400,
            UserName=name)

    def test_path_pattern(self):
        self.assertClientError(
            self.iam.create_user, "ValidationError",
            "1 validation error detected: Value 'no-slashes' at 'path' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)", 400,
            UserName="pathless", Path="no-slashes")

    def test_max_items_out_of_range(self):
        # botocore checks only minimums itself; the maximum is the server's.
        self.assertClientError(
            self.iam.list_users, "ValidationError",
            "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy "
            "constraint: Member must have value less than or equal to 1000", 400,
            MaxItems=1001)

    def test_nothing_created_by_invalid_requests(self):
        self.assertNotIn("bad name", [r["RoleName"] for r in self.iam.list_roles()["Roles"]])


class TestAuthorization(IamCase):
    def test_user_without_policies_is_denied(self):
        key = self.user_with_key("intern")
        iam = self.client_for("iam", key)
        arn = f"arn:aws:iam::{ACCOUNT}:user/intern"
        self.assertClientError(
            iam.list_users, "AccessDenied",
            denied_message(arn, "iam:ListUsers", f"arn:aws:iam::{ACCOUNT}:user/"), 403)
        self.assertClientError(
            iam.list_roles, "AccessDenied",
            denied_message(arn, "iam:ListRoles", f"arn:aws:iam::{ACCOUNT}:role/"), 403)
        resp = self.assertClientError(iam.create_user, "AccessDenied", None, 403,
                                      UserName="escalate")
        self.assertIn(f"User: {arn} is not authorized to perform: iam:CreateUser on resource: "
                      f"arn:aws:iam::{ACCOUNT}:user/escalate", resp["Error"]["Message"])
        # Nothing happened.
        self.assertClientError(self.iam.get_user, "NoSuchEntity", None, 404, UserName="escalate")
        # GetCallerIdentity needs no permission.
        self.assertEqual(self.client_for("sts", key).get_caller_identity()["Arn"], arn)

    def test_administrator_access_allows_and_detaching_denies_again(self):
        key = self.user_with_key("operator")
        iam = self.client_for("iam", key)
        self.iam.attach_user_policy(UserName="operator", PolicyArn=ADMIN_POLICY)
        names = [u["UserName"] for u in iam.list_users()["Users"]]
        self.assertIn("operator", names)
        self.assertIn("admin", names)
        self.assertEqual(iam.get_user()["User"]["UserName"], "operator")
        iam.create_user(UserName="made-by-operator")
        self.iam.get_user(UserName="made-by-operator")

        self.iam.detach_user_policy(UserName="operator", PolicyArn=ADMIN_POLICY)
        self.assertClientError(iam.list_users, "AccessDenied", None, 403)

    def test_other_managed_policy_is_not_admin(self):
        key = self.user_with_key("reader")
        self.iam.attach_user_policy(UserName="reader", PolicyArn=READONLY_POLICY)
        self.assertClientError(self.client_for("iam", key).create_user, "AccessDenied", None,
                               403, UserName="not-by-reader")


class TestUnimplemented(IamCase):
    def test_unimplemented_operation_names_itself(self):
        resp = self.assertClientError(self.iam.create_account_alias, "NotImplemented", None, 501,
                                      AccountAlias="devs")
        self.assertIn("CreateAccountAlias", resp["Error"]["Message"])
        resp = self.assertClientError(self.iam.list_account_aliases, "NotImplemented", None, 501)
        self.assertIn("ListAccountAliases", resp["Error"]["Message"])

    def test_cli_unimplemented_operation_fails(self):
        rc, out, err = self.srv.aws("iam", "create-account-alias", "--account-alias", "devs",
                                    check=False)
        self.assertNotEqual(rc, 0)
        self.assertEqual(out.strip(), "")
        self.assertIn("when calling the CreateAccountAlias operation: ", err)
        message = err.split("when calling the CreateAccountAlias operation: ", 1)[1]
        self.assertIn("CreateAccountAlias", message)


class TestCli(IamCase):
    def test_user_lifecycle(self):
        user = self.srv.aws_json("iam", "create-user", "--user-name", "cli-user",
                                 "--path", "/cli/")["User"]
        self.assertEqual(user["Arn"], f"arn:aws:iam::{ACCOUNT}:user/cli/cli-user")
        got = self.srv.aws_json("iam", "get-user", "--user-name", "cli-user")["User"]
        self.assertEqual(got["UserId"], user["UserId"])
        # The CLI prints timestamps as ISO 8601 text.
        datetime.datetime.fromisoformat(got["CreateDate"])
        me = self.srv.aws_json("iam", "get-user")["User"]
        self.assertEqual(me["Arn"], ADMIN_ARN)

        key = self.srv.aws_json("iam", "create-access-key", "--user-name",
                                "cli-user")["AccessKey"]
        env = self.srv.aws_env(AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                               AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
        _, out, _ = self.srv.aws("sts", "get-caller-identity", env=env)
        self.assertEqual(json.loads(out)["Arn"], user["Arn"])

        rc, _, err = self.srv.aws("iam", "delete-user", "--user-name", "cli-user", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("An error occurred (DeleteConflict) when calling the DeleteUser "
                      "operation: Cannot delete entity, must delete access keys first.", err)
        self.srv.aws("iam", "delete-access-key", "--user-name", "cli-user",
                     "--access-key-id", key["AccessKeyId"])
        self.srv.aws("iam", "delete-user", "--user-name", "cli-user")
        rc, _, err = self.srv.aws("iam", "get-user", "--user-name", "cli-user", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("An error occurred (NoSuchEntity) when calling the GetUser operation: "
                      "The user with name cli-user cannot be found.", err)

    def test_role_from_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(TRUST, f, indent=2)
        try:
            role = self.srv.aws_json("iam", "create-role", "--role-name", "cli-role",
                                     "--assume-role-policy-document", f"file://{f.name}")["Role"]
        finally:
            os.unlink(f.name)
        self.assertEqual(role["AssumeRolePolicyDocument"], TRUST)
        self.srv.aws("iam", "attach-role-policy", "--role-name", "cli-role",
                     "--policy-arn", ADMIN_POLICY)
        self.srv.aws("iam", "put-role-policy", "--role-name", "cli-role", "--policy-name",
                     "inline", "--policy-document", json.dumps(S3_READ))
        got = self.srv.aws_json("iam", "get-role-policy", "--role-name", "cli-role",
                                "--policy-name", "inline")
        self.assertEqual(got["PolicyDocument"], S3_READ)
        attached = self.srv.aws_json("iam", "list-attached-role-policies", "--role-name",
                                     "cli-role")["AttachedPolicies"]
        self.assertEqual(attached, [{"PolicyName": "AdministratorAccess",
                                     "PolicyArn": ADMIN_POLICY}])
        roles = self.srv.aws_json("iam", "list-roles")["Roles"]
        self.assertIn("cli-role", [r["RoleName"] for r in roles])

    def test_malformed_document_cli(self):
        # The classic mistake: a path without file:// is sent as the document.
        rc, _, err = self.srv.aws("iam", "create-role", "--role-name", "cli-bad",
                                  "--assume-role-policy-document", "trust.json", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("An error occurred (MalformedPolicyDocument) when calling the CreateRole "
                      "operation: This policy contains invalid Json", err)


if __name__ == "__main__":
    unittest.main()
