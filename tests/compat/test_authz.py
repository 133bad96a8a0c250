"""Policy evaluation end to end: what users and role sessions may do is
decided by their IAM policies on every call, through boto3."""
import json
import unittest

import botocore.exceptions

from slipway_server import ServerTestCase, SlipwayServer

ACCOUNT = "000000000000"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class AuthzCase(ServerTestCase):
    def user(self, name, *policy_arns, inline=None, boundary=None):
        kwargs = {"PermissionsBoundary": boundary} if boundary else {}
        self.iam.create_user(UserName=name, **kwargs)
        for arn in policy_arns:
            self.iam.attach_user_policy(UserName=name, PolicyArn=arn)
        if inline:
            self.iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=inline)
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        return lambda service: self.srv.client(service, access_key=key["AccessKeyId"],
                                               secret_key=key["SecretAccessKey"])

    def assertDenied(self, call, action, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            call(**kwargs)
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], "AccessDenied", err)
        self.assertIn(f"is not authorized to perform: {action} on resource:", err["Message"])
        return err["Message"]


class TestIdentityPolicies(AuthzCase):
    def test_read_only_user_lists_but_cannot_create(self):
        client = self.user("reader", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        iam = client("iam")
        self.assertIn("reader", [u["UserName"] for u in iam.list_users()["Users"]])
        iam.get_user(UserName="reader")
        message = self.assertDenied(iam.create_user, "iam:CreateUser", UserName="nope")
        self.assertIn(f"arn:aws:iam::{ACCOUNT}:user/reader", message)
        self.assertIn("because no identity-based policy allows the iam:CreateUser action",
                      message)

    def test_explicit_deny_beats_wildcard_allow(self):
        client = self.user("denied", "arn:aws:iam::aws:policy/AdministratorAccess",
                           inline=doc({"Effect": "Deny", "Action": "iam:DeleteUser",
                                       "Resource": "*"}))
        iam = client("iam")
        iam.create_user(UserName="victim")
        message = self.assertDenied(iam.delete_user, "iam:DeleteUser", UserName="victim")
        self.assertIn("with an explicit deny in an identity-based policy", message)
        iam.list_users()

    def test_resource_scoped_allow(self):
        client = self.user("scoped", inline=doc({
            "Effect": "Allow", "Action": ["iam:GetUser", "iam:CreateAccessKey"],
            "Resource": f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"}))
        iam = client("iam")
        self.assertEqual(iam.get_user(UserName="scoped")["User"]["UserName"], "scoped")
        self.iam.create_user(UserName="someone-else")
        self.assertDenied(iam.get_user, "iam:GetUser", UserName="someone-else")

    def test_group_policies_apply(self):
        self.iam.create_group(GroupName="readers")
        self.iam.attach_group_policy(GroupName="readers",
                                     PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        client = self.user("member")
        iam = client("iam")
        self.assertDenied(iam.list_roles, "iam:ListRoles")
        self.iam.add_user_to_group(GroupName="readers", UserName="member")
        iam.list_roles()
        self.iam.remove_user_from_group(GroupName="readers", UserName="member")
        self.assertDenied(iam.list_roles, "iam:ListRoles")

    def test_permissions_boundary_narrows(self):
        boundary = self.iam.create_policy(PolicyName="only-reads", PolicyDocument=doc({
            "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}))["Policy"]
        client = self.user("bounded", "arn:aws:iam::aws:policy/AdministratorAccess",
                           boundary=boundary["Arn"])
        iam = client("iam")
        iam.list_users()
        message = self.assertDenied(iam.create_user, "iam:CreateUser", UserName="x")
        self.assertIn("permissions boundary", message)

    def test_customer_managed_policy_versions_take_effect(self):
        policy = self.iam.create_policy(PolicyName="versioned", PolicyDocument=doc({
            "Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}))["Policy"]
        client = self.user("versions", policy["Arn"])
        iam = client("iam")
        iam.list_users()
        self.assertDenied(iam.list_roles, "iam:ListRoles")
        self.iam.create_policy_version(PolicyArn=policy["Arn"], SetAsDefault=True,
                                       PolicyDocument=doc({"Effect": "Allow",
                                                           "Action": "iam:ListRoles",
                                                           "Resource": "*"}))
        iam.list_roles()
        self.assertDenied(iam.list_users, "iam:ListUsers")

    def test_principal_tags_of_a_user(self):
        client = self.user("abac", inline=doc({
            "Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}))
        iam = client("iam")
        self.assertDenied(iam.list_roles, "iam:ListRoles")
        self.iam.tag_user(UserName="abac", Tags=[{"Key": "team", "Value": "blue"}])
        iam.list_roles()
        self.iam.tag_user(UserName="abac", Tags=[{"Key": "team", "Value": "red"}])
        self.assertDenied(iam.list_roles, "iam:ListRoles")

    def test_conditions_on_request_facts(self):
        client = self.user("conditional", inline=doc(
            {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
             "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
            {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
            {"Effect": "Allow", "Action": "iam:ListGroups", "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}))
        iam = client("iam")
        iam.list_users()  # from loopback
        self.assertDenied(iam.list_roles, "iam:ListRoles")  # plain HTTP here
        self.assertDenied(iam.list_groups, "iam:ListGroups")  # us-east-1 scope


class TestKeyUse(AuthzCase):
    def test_last_used_is_recorded(self):
        self.iam.create_user(UserName="user-of-keys")
        key = self.iam.create_access_key(UserName="user-of-keys")["AccessKey"]
        before = self.iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
        self.assertNotIn("LastUsedDate", before["AccessKeyLastUsed"])
        self.srv.client("sts", access_key=key["AccessKeyId"],
                        secret_key=key["SecretAccessKey"],
                        region="eu-central-1").get_caller_identity()
        used = self.iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
        self.assertEqual(used["UserName"], "user-of-keys")
        self.assertEqual(used["AccessKeyLastUsed"]["ServiceName"], "sts")
        self.assertEqual(used["AccessKeyLastUsed"]["Region"], "eu-central-1")
        self.assertIn("LastUsedDate", used["AccessKeyLastUsed"])


class TestSimulation(AuthzCase):
    def test_principal_policy_for_a_later_service(self):
        self.user("approver", inline=doc({
            "Effect": "Allow", "Action": "codepipeline:PutApprovalResult",
            "Resource": f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:app/Prod/*"}))
        results = self.iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/approver",
            ActionNames=["codepipeline:PutApprovalResult"],
            ResourceArns=[f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:app/Prod/Approve",
                          f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:app/Beta/Approve"],
        )["EvaluationResults"]
        decisions = {r["EvalResourceName"].split(":")[-1]: r["EvalDecision"] for r in results}
        self.assertEqual(decisions, {"app/Prod/Approve": "allowed",
                                     "app/Beta/Approve": "implicitDeny"})
        prod = [r for r in results if "Prod" in r["EvalResourceName"]][0]
        self.assertEqual([m["SourcePolicyType"] for m in prod["MatchedStatements"]], ["user"])

    def test_group_as_policy_source(self):
        self.iam.create_group(GroupName="approvers")
        self.iam.put_group_policy(GroupName="approvers", PolicyName="approve",
                                  PolicyDocument=doc({
                                      "Effect": "Allow",
                                      "Action": "codepipeline:PutApprovalResult",
                                      "Resource": "*"}))
        results = self.iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:group/approvers",
            ActionNames=["codepipeline:PutApprovalResult", "codepipeline:DeletePipeline"],
        )["EvaluationResults"]
        self.assertEqual({r["EvalActionName"]: r["EvalDecision"] for r in results},
                         {"codepipeline:PutApprovalResult": "allowed",
                          "codepipeline:DeletePipeline": "implicitDeny"})
        self.assertEqual(results[0]["MatchedStatements"][0]["SourcePolicyType"], "group")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.iam.simulate_principal_policy(
                PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:group/nobody", ActionNames=["s3:*"])
        self.assertEqual(cm.exception.response["Error"]["Code"], "NoSuchEntity")

    def test_custom_policy_with_context(self):
        results = self.iam.simulate_custom_policy(
            PolicyInputList=[doc(
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                 "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
                {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"})],
            ActionNames=["s3:GetObject", "s3:DeleteObject", "s3:PutObject"],
            ContextEntries=[{"ContextKeyName": "aws:SourceIp", "ContextKeyType": "ip",
                             "ContextKeyValues": ["10.1.2.3"]}],
        )["EvaluationResults"]
        self.assertEqual({r["EvalActionName"]: r["EvalDecision"] for r in results},
                         {"s3:GetObject": "allowed", "s3:DeleteObject": "explicitDeny",
                          "s3:PutObject": "implicitDeny"})

    def test_missing_context_values_reported(self):
        results = self.iam.simulate_custom_policy(
            PolicyInputList=[doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                                  "Condition": {"StringEquals": {"aws:PrincipalTag/team":
                                                                 "blue"}}})],
            ActionNames=["s3:GetObject"])["EvaluationResults"]
        self.assertEqual(results[0]["EvalDecision"], "implicitDeny")
        self.assertEqual(results[0]["MissingContextValues"], ["aws:PrincipalTag/team"])

    def test_malformed_input_policy(self):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.iam.simulate_custom_policy(PolicyInputList=["{not json"],
                                            ActionNames=["s3:GetObject"])
        self.assertEqual(cm.exception.response["Error"]["Code"], "MalformedPolicyDocument")

    def test_unknown_user(self):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.iam.simulate_principal_policy(
                PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/ghost", ActionNames=["s3:*"])
        self.assertEqual(cm.exception.response["Error"]["Code"], "NoSuchEntity")


class TestRoleSessions(AuthzCase):
    TRUST = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                 "Action": "sts:AssumeRole"})

    def test_session_has_the_role_policies(self):
        self.iam.create_role(RoleName="lister", AssumeRolePolicyDocument=self.TRUST)
        self.iam.put_role_policy(RoleName="lister", PolicyName="p", PolicyDocument=doc({
            "Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}))
        creds = self.sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/lister",
                                     RoleSessionName="s1")["Credentials"]
        iam = self.srv.client("iam", access_key=creds["AccessKeyId"],
                              secret_key=creds["SecretAccessKey"],
                              session_token=creds["SessionToken"])
        iam.list_roles()
        message = self.assertDenied(iam.list_users, "iam:ListUsers")
        self.assertIn(f"arn:aws:sts::{ACCOUNT}:assumed-role/lister/s1", message)

    def test_trust_naming_account_needs_callers_permission(self):
        self.iam.create_role(RoleName="needs-permission", AssumeRolePolicyDocument=self.TRUST)
        client = self.user("no-assume")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            client("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/needs-permission",
                                      RoleSessionName="s1")
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")
        self.iam.put_user_policy(UserName="no-assume", PolicyName="assume", PolicyDocument=doc({
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Resource": f"arn:aws:iam::{ACCOUNT}:role/needs-permission"}))
        client("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/needs-permission",
                                  RoleSessionName="s1")

    def test_trust_naming_user_directly_suffices(self):
        client = self.user("trusted-directly")
        self.iam.create_role(RoleName="direct", AssumeRolePolicyDocument=doc({
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/trusted-directly"},
            "Action": "sts:AssumeRole"}))
        client("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/direct",
                                  RoleSessionName="s1")

    def test_external_id(self):
        self.iam.create_role(RoleName="third-party", AssumeRolePolicyDocument=doc({
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "s3cret"}}}))
        arn = f"arn:aws:iam::{ACCOUNT}:role/third-party"
        for bad in ({}, {"ExternalId": "wrong-id"}):
            with self.assertRaises(botocore.exceptions.ClientError) as cm:
                self.sts.assume_role(RoleArn=arn, RoleSessionName="s1", **bad)
            self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")
        self.sts.assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="s3cret")

    def test_session_policy_narrows_the_session(self):
        self.iam.create_role(RoleName="narrow", AssumeRolePolicyDocument=self.TRUST)
        self.iam.attach_role_policy(RoleName="narrow",
                                    PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        resp = self.sts.assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/narrow", RoleSessionName="s1",
            Policy=doc({"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}))
        self.assertGreater(resp["PackedPolicySize"], 0)
        creds = resp["Credentials"]
        iam = self.srv.client("iam", access_key=creds["AccessKeyId"],
                              secret_key=creds["SecretAccessKey"],
                              session_token=creds["SessionToken"])
        iam.list_roles()
        message = self.assertDenied(iam.list_users, "iam:ListUsers")
        self.assertIn("session policy", message)
        # A managed policy as the session policy.
        creds = self.sts.assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/narrow", RoleSessionName="s2",
            PolicyArns=[{"arn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}])["Credentials"]
        iam = self.srv.client("iam", access_key=creds["AccessKeyId"],
                              secret_key=creds["SecretAccessKey"],
                              session_token=creds["SessionToken"])
        iam.list_users()
        self.assertDenied(iam.create_user, "iam:CreateUser", UserName="x")

    def test_session_tags(self):
        trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                     "Action": ["sts:AssumeRole", "sts:TagSession"]})
        self.iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=trust)
        self.iam.put_role_policy(RoleName="tagged", PolicyName="by-team", PolicyDocument=doc({
            "Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}))
        arn = f"arn:aws:iam::{ACCOUNT}:role/tagged"

        def session(team):
            creds = self.sts.assume_role(RoleArn=arn, RoleSessionName="s1",
                                         Tags=[{"Key": "team", "Value": team}])["Credentials"]
            return self.srv.client("iam", access_key=creds["AccessKeyId"],
                                   secret_key=creds["SecretAccessKey"],
                                   session_token=creds["SessionToken"])

        session("blue").list_roles()
        self.assertDenied(session("red").list_roles, "iam:ListRoles")
        # The role's own tags count too; a session tag of the same key wins.
        self.iam.tag_role(RoleName="tagged", Tags=[{"Key": "team", "Value": "blue"}])
        creds = self.sts.assume_role(RoleArn=arn, RoleSessionName="s2")["Credentials"]
        self.srv.client("iam", access_key=creds["AccessKeyId"],
                        secret_key=creds["SecretAccessKey"],
                        session_token=creds["SessionToken"]).list_roles()
        self.assertDenied(session("red").list_roles, "iam:ListRoles")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.sts.assume_role(RoleArn=arn, RoleSessionName="s1",
                                 Tags=[{"Key": "team", "Value": "a"},
                                       {"Key": "TEAM", "Value": "b"}])
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterValue")

    def test_transitive_tags_follow_role_chaining(self):
        trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                     "Action": ["sts:AssumeRole", "sts:TagSession"]})
        for name in ("first-hop", "second-hop"):
            self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
            self.iam.put_role_policy(RoleName=name, PolicyName="chain", PolicyDocument=doc(
                # Passing tags on (transitive ones too) is sts:TagSession.
                {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
                 "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
                 "Condition": {"StringEquals": {"aws:PrincipalTag/project": "apollo"}}}))
        first = self.sts.assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/first-hop", RoleSessionName="s1",
            Tags=[{"Key": "project", "Value": "apollo"}, {"Key": "temp", "Value": "x"}],
            TransitiveTagKeys=["project"])["Credentials"]
        sts1 = self.srv.client("sts", access_key=first["AccessKeyId"],
                               secret_key=first["SecretAccessKey"],
                               session_token=first["SessionToken"])
        second = sts1.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/second-hop",
                                  RoleSessionName="s2")["Credentials"]
        self.srv.client("iam", access_key=second["AccessKeyId"],
                        secret_key=second["SecretAccessKey"],
                        session_token=second["SessionToken"]).list_roles()
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            sts1.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/second-hop",
                             RoleSessionName="s3", Tags=[{"Key": "Project", "Value": "gemini"}])
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterValue")
        self.assertIn("set transitively", cm.exception.response["Error"]["Message"])
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/first-hop",
                                 RoleSessionName="s4", Tags=[{"Key": "a", "Value": "b"}],
                                 TransitiveTagKeys=["nope"])
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterValue")

    def test_source_identity(self):
        trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                     "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]})
        self.iam.create_role(RoleName="audited", AssumeRolePolicyDocument=trust)
        self.iam.put_role_policy(RoleName="audited", PolicyName="p", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceIdentity": "alice"}}}))
        arn = f"arn:aws:iam::{ACCOUNT}:role/audited"
        resp = self.sts.assume_role(RoleArn=arn, RoleSessionName="s1", SourceIdentity="alice")
        self.assertEqual(resp["SourceIdentity"], "alice")
        creds = resp["Credentials"]
        iam = self.srv.client("iam", access_key=creds["AccessKeyId"],
                              secret_key=creds["SecretAccessKey"],
                              session_token=creds["SessionToken"])
        iam.list_roles()
        sts = self.srv.client("sts", access_key=creds["AccessKeyId"],
                              secret_key=creds["SecretAccessKey"],
                              session_token=creds["SessionToken"])
        # Kept through chaining, and cannot be changed there.
        chained = sts.assume_role(RoleArn=arn, RoleSessionName="s2")
        self.assertEqual(chained["SourceIdentity"], "alice")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            sts.assume_role(RoleArn=arn, RoleSessionName="s3", SourceIdentity="mallory")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationError")
        # A session without it does not get what the condition guards.
        plain = self.sts.assume_role(RoleArn=arn, RoleSessionName="s4")["Credentials"]
        self.assertDenied(self.srv.client("iam", access_key=plain["AccessKeyId"],
                                          secret_key=plain["SecretAccessKey"],
                                          session_token=plain["SessionToken"]).list_roles,
                          "iam:ListRoles")

    def test_source_identity_needs_permission(self):
        self.iam.create_role(RoleName="no-source", AssumeRolePolicyDocument=self.TRUST)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/no-source",
                                 RoleSessionName="s1", SourceIdentity="bob")
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], "AccessDenied")
        self.assertIn("sts:SetSourceIdentity", err["Message"])

    def test_tags_need_tag_session_in_the_trust(self):
        self.iam.create_role(RoleName="untaggable", AssumeRolePolicyDocument=self.TRUST)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/untaggable",
                                 RoleSessionName="s1", Tags=[{"Key": "team", "Value": "x"}])
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], "AccessDenied")
        self.assertIn("sts:TagSession", err["Message"])

    def test_malformed_session_policy(self):
        self.iam.create_role(RoleName="narrow2", AssumeRolePolicyDocument=self.TRUST)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/narrow2",
                                 RoleSessionName="s1", Policy="{nope")
        self.assertEqual(cm.exception.response["Error"]["Code"], "MalformedPolicyDocument")


class TestSessionToken(AuthzCase):
    def test_session_token_acts_as_the_user(self):
        client = self.user("tokened", "arn:aws:iam::aws:policy/AdministratorAccess")
        creds = client("sts").get_session_token(DurationSeconds=900)["Credentials"]
        self.assertRegex(creds["AccessKeyId"], r"^ASIA")
        sts = self.srv.client("sts", access_key=creds["AccessKeyId"],
                              secret_key=creds["SecretAccessKey"],
                              session_token=creds["SessionToken"])
        self.assertEqual(sts.get_caller_identity()["Arn"], f"arn:aws:iam::{ACCOUNT}:user/tokened")
        # Without MFA such credentials cannot call IAM, as on AWS.
        iam = self.srv.client("iam", access_key=creds["AccessKeyId"],
                              secret_key=creds["SecretAccessKey"],
                              session_token=creds["SessionToken"])
        self.assertDenied(iam.list_users, "iam:ListUsers")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            sts.get_session_token()
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")

    def test_roles_cannot_get_session_tokens(self):
        trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                     "Action": "sts:AssumeRole"})
        self.iam.create_role(RoleName="no-tokens", AssumeRolePolicyDocument=trust)
        creds = self.sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/no-tokens",
                                     RoleSessionName="s1")["Credentials"]
        sts = self.srv.client("sts", access_key=creds["AccessKeyId"],
                              secret_key=creds["SecretAccessKey"],
                              session_token=creds["SessionToken"])
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            sts.get_session_token()
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")

    def test_access_key_info(self):
        self.assertEqual(self.sts.get_access_key_info(AccessKeyId=self.srv.access_key)["Account"],
                         ACCOUNT)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.sts.get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationError")


if __name__ == "__main__":
    unittest.main()
