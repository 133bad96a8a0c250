"""STS through boto3 and the aws CLI: who am I, signature and key failures,
and AssumeRole with the temporary credentials it hands out."""
import datetime
import json
import unittest

import botocore.exceptions

from slipway_server import ServerTestCase, SlipwayServer

ACCOUNT = "000000000000"
ADMIN_ARN = f"arn:aws:iam::{ACCOUNT}:user/admin"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
INVALID_TOKEN = "The security token included in the request is invalid."
SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you "
                      "provided.")

TRUST_ACCOUNT = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole",
    }],
}
TRUST_SERVICE_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "codebuild.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }],
}


class StsCase(ServerTestCase):
    @classmethod
    def make_role(cls, name, trust=TRUST_ACCOUNT, **kwargs):
        return cls.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                                   **kwargs)["Role"]

    def session_client(self, service, creds, **overrides):
        args = {"access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"],
                "session_token": creds["SessionToken"]}
        args.update(overrides)
        return self.srv.client(service, **args)

    def assertExpiresIn(self, expiration, seconds, slack=120):
        self.assertIsInstance(expiration, datetime.datetime)
        now = datetime.datetime.now(datetime.timezone.utc)
        delta = (expiration - now).total_seconds()
        self.assertGreater(delta, seconds - slack, expiration)
        self.assertLess(delta, seconds + slack, expiration)


class TestCallerIdentity(StsCase):
    def test_admin(self):
        ident = self.sts.get_caller_identity()
        self.assertEqual(ident["Arn"], ADMIN_ARN)
        self.assertEqual(ident["Account"], ACCOUNT)
        self.assertEqual(ident["UserId"], self.iam.get_user(UserName="admin")["User"]["UserId"])

    def test_cli(self):
        ident = self.srv.aws_json("sts", "get-caller-identity")
        self.assertEqual(ident, {"UserId": self.sts.get_caller_identity()["UserId"],
                                 "Account": ACCOUNT, "Arn": ADMIN_ARN})

    def test_wrong_secret(self):
        sts = self.srv.client("sts", secret_key="W" * 40)
        resp = self.assertClientError(sts.get_caller_identity, "SignatureDoesNotMatch", None, 403)
        self.assertTrue(resp["Error"]["Message"].startswith(SIGNATURE_MISMATCH), resp)

    def test_unknown_access_key(self):
        sts = self.srv.client("sts", access_key="AKIAIOSFODNN7EXAMPLE")
        self.assertClientError(sts.get_caller_identity, "InvalidClientTokenId", INVALID_TOKEN,
                               403)

    def test_unknown_access_key_cli(self):
        env = self.srv.aws_env(AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE")
        rc, out, err = self.srv.aws("sts", "get-caller-identity", env=env, check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("An error occurred (InvalidClientTokenId) when calling the "
                      f"GetCallerIdentity operation: {INVALID_TOKEN}", err)

    def test_user_without_policies(self):
        # GetCallerIdentity needs no permission at all.
        user = self.iam.create_user(UserName="nobody-special")["User"]
        key = self.iam.create_access_key(UserName="nobody-special")["AccessKey"]
        sts = self.srv.client("sts", access_key=key["AccessKeyId"],
                              secret_key=key["SecretAccessKey"])
        ident = sts.get_caller_identity()
        self.assertEqual((ident["Arn"], ident["UserId"], ident["Account"]),
                         (user["Arn"], user["UserId"], ACCOUNT))


class TestDecodeAuthorizationMessage(StsCase):
    def test_needs_permission_then_answers_invalid(self):
        # slipway encodes no denial, so no message is one it issued; the
        # permission is checked first, as AWS does.
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.sts.decode_authorization_message(EncodedMessage="abc")
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "InvalidAuthorizationMessageException")
        self.iam.create_user(UserName="decoder")
        key = self.iam.create_access_key(UserName="decoder")["AccessKey"]
        sts = self.srv.client("sts", access_key=key["AccessKeyId"],
                              secret_key=key["SecretAccessKey"])
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            sts.decode_authorization_message(EncodedMessage="abc")
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDenied")
        self.assertIn("sts:DecodeAuthorizationMessage", cm.exception.response["Error"]["Message"])


class TestAssumeRole(StsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plain = cls.make_role("plain-role")
        cls.admin = cls.make_role("admin-role")
        cls.iam.attach_role_policy(RoleName="admin-role", PolicyArn=ADMIN_POLICY)
        cls.long = cls.make_role("long-role", MaxSessionDuration=7200)

    def assume(self, role, session="s1", **kwargs):
        return self.sts.assume_role(RoleArn=role["Arn"], RoleSessionName=session, **kwargs)

    def test_credentials(self):
        resp = self.assume(self.plain, "build-42")
        creds = resp["Credentials"]
        self.assertRegex(creds["AccessKeyId"], r"^ASIA[A-Z0-9]{16}$")
        self.assertEqual(len(creds["SecretAccessKey"]), 40)
        self.assertGreater(len(creds["SessionToken"]), 32)
        self.assertExpiresIn(creds["Expiration"], 3600)
        user = resp["AssumedRoleUser"]
        self.assertEqual(user["Arn"], f"arn:aws:sts::{ACCOUNT}:assumed-role/plain-role/build-42")
        self.assertEqual(user["AssumedRoleId"], f"{self.plain['RoleId']}:build-42")

        ident = self.session_client("sts", creds).get_caller_identity()
        self.assertEqual(ident["Arn"], user["Arn"])
        self.assertEqual(ident["UserId"], user["AssumedRoleId"])
        self.assertEqual(ident["Account"], ACCOUNT)

    def test_each_session_gets_new_credentials(self):
        a = self.assume(self.plain, "one")["Credentials"]
        b = self.assume(self.plain, "one")["Credentials"]
        self.assertNotEqual(a["AccessKeyId"], b["AccessKeyId"])
        self.assertNotEqual(a["SessionToken"], b["SessionToken"])
        # Both stay valid.
        self.session_client("sts", a).get_caller_identity()
        self.session_client("sts", b).get_caller_identity()

    def test_wrong_or_missing_session_token(self):
        creds = self.assume(self.plain)["Credentials"]
        other = self.assume(self.plain, "s2")["Credentials"]
        wrong = self.session_client("sts", creds, session_token=other["SessionToken"])
        self.assertClientError(wrong.get_caller_identity, "InvalidClientTokenId", INVALID_TOKEN,
                               403)
        missing = self.srv.client("sts", access_key=creds["AccessKeyId"],
                                  secret_key=creds["SecretAccessKey"])
        self.assertClientError(missing.get_caller_identity, "InvalidClientTokenId",
                               INVALID_TOKEN, 403)
        bad_secret = self.session_client("sts", creds, secret_key="Z" * 40)
        resp = self.assertClientError(bad_secret.get_caller_identity, "SignatureDoesNotMatch",
                                      None, 403)
        self.assertTrue(resp["Error"]["Message"].startswith(SIGNATURE_MISMATCH), resp)

    def test_duration(self):
        creds = self.assume(self.plain, DurationSeconds=900)["Credentials"]
        self.assertExpiresIn(creds["Expiration"], 900)
        creds = self.assume(self.long, DurationSeconds=7200)["Credentials"]
        self.assertExpiresIn(creds["Expiration"], 7200)
        self.session_client("sts", creds).get_caller_identity()

    def test_duration_beyond_max_session_duration(self):
        self.assertClientError(
            self.sts.assume_role, "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            400, RoleArn=self.plain["Arn"], RoleSessionName="s0", DurationSeconds=3601)
        self.assertClientError(
            self.sts.assume_role, "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            400, RoleArn=self.long["Arn"], RoleSessionName="s0", DurationSeconds=7201)

    def test_duration_outside_model_range(self):
        # botocore checks the minimum itself; the maximum is the server's.
        self.assertClientError(
            self.sts.assume_role, "ValidationError",
            "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy "
            "constraint: Member must have value less than or equal to 43200", 400,
            RoleArn=self.long["Arn"], RoleSessionName="s0", DurationSeconds=43201)

    def test_invalid_session_name(self):
        self.assertClientError(
            self.sts.assume_role, "ValidationError",
            "1 validation error detected: Value 'bad session' at 'roleSessionName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
            400, RoleArn=self.plain["Arn"], RoleSessionName="bad session")

    def test_admin_role_can_use_iam_plain_role_cannot(self):
        admin_creds = self.assume(self.admin, "ops")["Credentials"]
        names = [u["UserName"] for u in self.session_client("iam", admin_creds)
                 .list_users()["Users"]]
        self.assertIn("admin", names)

        plain_creds = self.assume(self.plain, "ops")["Credentials"]
        self.assertClientError(
            self.session_client("iam", plain_creds).list_users, "AccessDenied",
            f"User: arn:aws:sts::{ACCOUNT}:assumed-role/plain-role/ops is not authorized to "
            f"perform: iam:ListUsers on resource: arn:aws:iam::{ACCOUNT}:user/ because no "
            "identity-based policy allows the iam:ListUsers action", 403)
        # A session without permissions cannot assume roles either.
        self.assertClientError(self.session_client("sts", plain_creds).assume_role,
                               "AccessDenied", None, 403, RoleArn=self.admin["Arn"],
                               RoleSessionName="escalate")

    def test_iam_user_calls_need_a_name_from_a_role_session(self):
        iam = self.session_client("iam", self.assume(self.admin, "noname")["Credentials"])
        for call in (iam.get_user, iam.list_access_keys):
            self.assertClientError(
                call, "ValidationError",
                "Must specify userName when calling with non-User credentials", 400)
        self.assertEqual(iam.get_user(UserName="admin")["User"]["Arn"], ADMIN_ARN)

    def test_policy_changes_apply_to_live_sessions(self):
        role = self.make_role("revocable-role")
        self.iam.attach_role_policy(RoleName="revocable-role", PolicyArn=ADMIN_POLICY)
        iam = self.session_client("iam", self.assume(role, "live")["Credentials"])
        iam.list_roles()
        self.iam.detach_role_policy(RoleName="revocable-role", PolicyArn=ADMIN_POLICY)
        self.assertClientError(iam.list_roles, "AccessDenied", None, 403)

    def test_deleted_role_voids_its_sessions(self):
        role = self.make_role("doomed-role")
        creds = self.assume(role, "old")["Credentials"]
        sts = self.session_client("sts", creds)
        sts.get_caller_identity()
        self.iam.delete_role(RoleName="doomed-role")
        self.assertClientError(sts.get_caller_identity, "InvalidClientTokenId", INVALID_TOKEN,
                               403)
        # A new role of the same name, even an admin one, does not revive the
        # old session: sessions belong to the role's unique id.
        self.make_role("doomed-role")
        self.iam.attach_role_policy(RoleName="doomed-role", PolicyArn=ADMIN_POLICY)
        self.assertClientError(sts.get_caller_identity, "InvalidClientTokenId", INVALID_TOKEN,
                               403)
        iam = self.session_client("iam", creds)
        self.assertClientError(iam.list_roles, "InvalidClientTokenId", INVALID_TOKEN, 403)
        self.iam.detach_role_policy(RoleName="doomed-role", PolicyArn=ADMIN_POLICY)
        self.iam.delete_role(RoleName="doomed-role")

    def test_trust_deny_the_evaluator_cannot_judge_denies(self):
        # A Deny whose condition or NotPrincipal the trust evaluator cannot
        # prove false must apply: failing open would let these roles be
        # assumed where AWS refuses.
        allow = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                 "Action": "sts:AssumeRole"}
        denies = [
            {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
             "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
            {"Effect": "Deny", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/someone"},
             "Action": "sts:AssumeRole"},
        ]
        self.iam.create_user(UserName="someone")  # IAM refuses unknown principals
        for i, deny in enumerate(denies):
            role = self.make_role(f"deny-{i}", {"Version": "2012-10-17",
                                                "Statement": [allow, deny]})
            self.assertClientError(self.sts.assume_role, "AccessDenied", None, 403,
                                   RoleArn=role["Arn"], RoleSessionName="blocked")

    def test_role_chaining_is_limited_to_one_hour(self):
        admin_creds = self.assume(self.admin, "chain")["Credentials"]
        sts = self.session_client("sts", admin_creds)
        self.assertClientError(
            sts.assume_role, "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed "
            "by role chaining.", 400,
            RoleArn=self.long["Arn"], RoleSessionName="hop", DurationSeconds=7200)
        hop = sts.assume_role(RoleArn=self.long["Arn"], RoleSessionName="hop")
        self.assertEqual(self.session_client("sts", hop["Credentials"])
                         .get_caller_identity()["Arn"],
                         f"arn:aws:sts::{ACCOUNT}:assumed-role/long-role/hop")

    def test_role_with_path(self):
        role = self.make_role("pathed-role", Path="/service-role/")
        resp = self.assume(role, "p1")
        # The assumed-role ARN leaves the path out.
        self.assertEqual(resp["AssumedRoleUser"]["Arn"],
                         f"arn:aws:sts::{ACCOUNT}:assumed-role/pathed-role/p1")

    def test_missing_role_is_access_denied(self):
        arn = f"arn:aws:iam::{ACCOUNT}:role/no-such-role"
        self.assertClientError(
            self.sts.assume_role, "AccessDenied",
            f"User: {ADMIN_ARN} is not authorized to perform: sts:AssumeRole on resource: {arn}",
            403, RoleArn=arn, RoleSessionName="s0")

    def test_role_not_trusting_the_caller_is_access_denied(self):
        role = self.make_role("codebuild-only-role", TRUST_SERVICE_ONLY)
        self.assertClientError(
            self.sts.assume_role, "AccessDenied",
            f"User: {ADMIN_ARN} is not authorized to perform: sts:AssumeRole on resource: "
            f"{role['Arn']}", 403, RoleArn=role["Arn"], RoleSessionName="s0")

    def test_external_id_condition(self):
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "shared-secret-42"}},
        }]}
        role = self.make_role("third-party-role", trust)
        denied = (f"User: {ADMIN_ARN} is not authorized to perform: sts:AssumeRole on "
                  f"resource: {role['Arn']}")
        self.assertClientError(self.sts.assume_role, "AccessDenied", denied, 403,
                               RoleArn=role["Arn"], RoleSessionName="s0")
        self.assertClientError(self.sts.assume_role, "AccessDenied", denied, 403,
                               RoleArn=role["Arn"], RoleSessionName="s0",
                               ExternalId="wrong-secret")
        resp = self.sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s0",
                                    ExternalId="shared-secret-42")
        self.assertEqual(resp["AssumedRoleUser"]["Arn"],
                         f"arn:aws:sts::{ACCOUNT}:assumed-role/third-party-role/s0")

    def test_trust_naming_users_and_explicit_deny(self):
        deputy = self.iam.create_user(UserName="deputy")["User"]
        self.iam.attach_user_policy(UserName="deputy", PolicyArn=ADMIN_POLICY)
        key = self.iam.create_access_key(UserName="deputy")["AccessKey"]
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": [deputy["Arn"], ADMIN_ARN]},
             "Action": "sts:AssumeRole"},
            {"Effect": "Deny", "Principal": {"AWS": ADMIN_ARN}, "Action": "sts:*"},
        ]}
        role = self.make_role("deputy-only-role", trust)
        self.assertClientError(
            self.sts.assume_role, "AccessDenied",
            f"User: {ADMIN_ARN} is not authorized to perform: sts:AssumeRole on resource: "
            f"{role['Arn']}", 403, RoleArn=role["Arn"], RoleSessionName="s0")
        sts = self.srv.client("sts", access_key=key["AccessKeyId"],
                              secret_key=key["SecretAccessKey"])
        resp = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="deputy-session")
        self.assertEqual(resp["AssumedRoleUser"]["Arn"],
                         f"arn:aws:sts::{ACCOUNT}:assumed-role/deputy-only-role/deputy-session")

    def test_role_arn_must_match_the_path(self):
        role = self.make_role("hidden-role", Path="/deep/")
        wrong = f"arn:aws:iam::{ACCOUNT}:role/hidden-role"
        self.assertClientError(
            self.sts.assume_role, "AccessDenied",
            f"User: {ADMIN_ARN} is not authorized to perform: sts:AssumeRole on resource: "
            f"{wrong}", 403, RoleArn=wrong, RoleSessionName="s0")
        self.sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s0")

    def test_user_without_policies_cannot_assume(self):
        self.iam.create_user(UserName="outsider")
        key = self.iam.create_access_key(UserName="outsider")["AccessKey"]
        sts = self.srv.client("sts", access_key=key["AccessKeyId"],
                              secret_key=key["SecretAccessKey"])
        resp = self.assertClientError(sts.assume_role, "AccessDenied", None, 403,
                                      RoleArn=self.admin["Arn"], RoleSessionName="s0")
        self.assertIn(f"User: arn:aws:iam::{ACCOUNT}:user/outsider is not authorized to "
                      f"perform: sts:AssumeRole on resource: {self.admin['Arn']}",
                      resp["Error"]["Message"])

    def test_cli(self):
        out = self.srv.aws_json("sts", "assume-role", "--role-arn", self.admin["Arn"],
                                "--role-session-name", "cli-session")
        creds = out["Credentials"]
        self.assertTrue(creds["AccessKeyId"].startswith("ASIA"))
        env = self.srv.aws_env(AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
                               AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
                               AWS_SESSION_TOKEN=creds["SessionToken"])
        _, text, _ = self.srv.aws("sts", "get-caller-identity", env=env)
        self.assertEqual(json.loads(text)["Arn"],
                         f"arn:aws:sts::{ACCOUNT}:assumed-role/admin-role/cli-session")
        _, text, _ = self.srv.aws("iam", "get-role", "--role-name", "plain-role", env=env)
        self.assertEqual(json.loads(text)["Role"]["Arn"], self.plain["Arn"])


if __name__ == "__main__":
    unittest.main()
