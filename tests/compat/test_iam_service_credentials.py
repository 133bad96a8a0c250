"""IAM service-specific credentials (CodeCommit's git credentials) through
boto3 and the aws CLI: create, list, reset, update, delete, the quota of
two per service, unsupported services, DeleteUser's conflict and
authorization.

Messages and codes are AWS's own (IAM API reference and what the service
answers); slipway must match them.
"""
import datetime
import json
import unittest

from slipway_server import ServerTestCase

ACCOUNT = "000000000000"
CODECOMMIT = "codecommit.amazonaws.com"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


class ServiceCredentialCase(ServerTestCase):
    def create(self, user, service=CODECOMMIT):
        return self.iam.create_service_specific_credential(
            UserName=user, ServiceName=service)["ServiceSpecificCredential"]

    def listed(self, **kwargs):
        return self.iam.list_service_specific_credentials(**kwargs)["ServiceSpecificCredentials"]


class TestServiceCredentials(ServiceCredentialCase):
    def test_lifecycle(self):
        self.iam.create_user(UserName="gitter")
        cred = self.create("gitter")
        cred_id = cred["ServiceSpecificCredentialId"]
        self.assertRegex(cred_id, r"^ACCA[A-Z0-9]{17}$")
        self.assertEqual(cred["UserName"], "gitter")
        self.assertEqual(cred["ServiceName"], CODECOMMIT)
        self.assertEqual(cred["ServiceUserName"], f"gitter-at-{ACCOUNT}")
        self.assertEqual(cred["Status"], "Active")
        self.assertEqual(len(cred["ServicePassword"]), 44)
        self.assertIsInstance(cred["CreateDate"], datetime.datetime)

        listed = self.listed(UserName="gitter")
        self.assertEqual(len(listed), 1)
        meta = listed[0]
        self.assertNotIn("ServicePassword", meta)
        self.assertEqual(meta["ServiceSpecificCredentialId"], cred_id)
        self.assertEqual(meta["ServiceUserName"], f"gitter-at-{ACCOUNT}")
        self.assertEqual(meta["ServiceName"], CODECOMMIT)
        self.assertEqual(meta["Status"], "Active")
        self.assertEqual(meta["CreateDate"], cred["CreateDate"])

        reset = self.iam.reset_service_specific_credential(
            UserName="gitter", ServiceSpecificCredentialId=cred_id)["ServiceSpecificCredential"]
        self.assertEqual(reset["ServiceSpecificCredentialId"], cred_id)
        self.assertEqual(reset["ServiceUserName"], cred["ServiceUserName"])
        self.assertEqual(len(reset["ServicePassword"]), 44)
        self.assertNotEqual(reset["ServicePassword"], cred["ServicePassword"])

        self.iam.update_service_specific_credential(
            UserName="gitter", ServiceSpecificCredentialId=cred_id, Status="Inactive")
        self.assertEqual(self.listed(UserName="gitter")[0]["Status"], "Inactive")
        self.iam.update_service_specific_credential(
            UserName="gitter", ServiceSpecificCredentialId=cred_id, Status="Active")
        self.assertEqual(self.listed(UserName="gitter")[0]["Status"], "Active")

        self.iam.delete_service_specific_credential(
            UserName="gitter", ServiceSpecificCredentialId=cred_id)
        self.assertEqual(self.listed(UserName="gitter"), [])
        self.assertClientError(
            self.iam.delete_service_specific_credential, "NoSuchEntity",
            f"No such credential {cred_id} exists", 404,
            UserName="gitter", ServiceSpecificCredentialId=cred_id)
        self.assertClientError(
            self.iam.reset_service_specific_credential, "NoSuchEntity",
            f"No such credential {cred_id} exists", 404,
            UserName="gitter", ServiceSpecificCredentialId=cred_id)

    def test_two_per_service(self):
        self.iam.create_user(UserName="twice")
        first = self.create("twice")
        second = self.create("twice")
        self.assertEqual(first["ServiceUserName"], f"twice-at-{ACCOUNT}")
        self.assertEqual(second["ServiceUserName"], f"twice+1-at-{ACCOUNT}")
        self.assertClientError(
            self.iam.create_service_specific_credential, "LimitExceeded",
            "Cannot exceed quota for ServiceSpecificCredentialsPerUser: 2", 409,
            UserName="twice", ServiceName=CODECOMMIT)
        self.assertEqual(
            sorted(c["ServiceSpecificCredentialId"]
                   for c in self.listed(UserName="twice", ServiceName=CODECOMMIT)),
            sorted([first["ServiceSpecificCredentialId"], second["ServiceSpecificCredentialId"]]))

    def test_unknown_user(self):
        self.assertClientError(
            self.iam.create_service_specific_credential, "NoSuchEntity",
            "The user with name ghost cannot be found.", 404,
            UserName="ghost", ServiceName=CODECOMMIT)
        self.assertClientError(
            self.iam.list_service_specific_credentials, "NoSuchEntity",
            "The user with name ghost cannot be found.", 404, UserName="ghost")

    def test_unsupported_service(self):
        self.iam.create_user(UserName="cassie")
        self.assertClientError(
            self.iam.create_service_specific_credential, "NotSupportedService",
            "No such service cassandra.amazonaws.com is supported for Service Specific "
            "Credentials", 404, UserName="cassie", ServiceName="cassandra.amazonaws.com")
        self.assertClientError(
            self.iam.list_service_specific_credentials, "NotSupportedService",
            "No such service s3.amazonaws.com is supported for Service Specific Credentials",
            404, UserName="cassie", ServiceName="s3.amazonaws.com")
        self.assertEqual(self.listed(UserName="cassie"), [])

    def test_list_without_name_is_the_caller(self):
        self.iam.create_user(UserName="selfie")
        self.iam.attach_user_policy(UserName="selfie", PolicyArn=ADMIN_POLICY)
        key = self.iam.create_access_key(UserName="selfie")["AccessKey"]
        cred = self.create("selfie")
        iam = self.srv.client("iam", access_key=key["AccessKeyId"],
                              secret_key=key["SecretAccessKey"])
        listed = iam.list_service_specific_credentials()["ServiceSpecificCredentials"]
        self.assertEqual([c["ServiceSpecificCredentialId"] for c in listed],
                         [cred["ServiceSpecificCredentialId"]])
        self.assertEqual(listed[0]["UserName"], "selfie")
        # The admin's own list holds none of selfie's.
        self.assertNotIn(cred["ServiceSpecificCredentialId"],
                         [c["ServiceSpecificCredentialId"] for c in self.listed()])

    def test_delete_user_conflicts_while_credentials_exist(self):
        self.iam.create_user(UserName="leaver")
        cred = self.create("leaver")
        self.assertClientError(self.iam.delete_user, "DeleteConflict",
                               "Cannot delete entity, must remove referenced objects first.", 409,
                               UserName="leaver")
        self.iam.delete_service_specific_credential(
            UserName="leaver", ServiceSpecificCredentialId=cred["ServiceSpecificCredentialId"])
        self.iam.delete_user(UserName="leaver")

    def test_user_without_permission_is_denied(self):
        self.iam.create_user(UserName="nopriv")
        key = self.iam.create_access_key(UserName="nopriv")["AccessKey"]
        iam = self.srv.client("iam", access_key=key["AccessKeyId"],
                              secret_key=key["SecretAccessKey"])
        resp = self.assertClientError(iam.create_service_specific_credential, "AccessDenied",
                                      None, 403, UserName="nopriv", ServiceName=CODECOMMIT)
        self.assertIn("iam:CreateServiceSpecificCredential on resource: "
                      f"arn:aws:iam::{ACCOUNT}:user/nopriv", resp["Error"]["Message"])
        self.assertEqual(self.listed(UserName="nopriv"), [])


class TestServiceCredentialsCli(ServiceCredentialCase):
    def test_cli_lifecycle(self):
        self.srv.aws("iam", "create-user", "--user-name", "cli-git")
        cred = self.srv.aws_json("iam", "create-service-specific-credential", "--user-name",
                                 "cli-git", "--service-name",
                                 CODECOMMIT)["ServiceSpecificCredential"]
        self.assertEqual(cred["ServiceUserName"], f"cli-git-at-{ACCOUNT}")
        self.assertEqual(len(cred["ServicePassword"]), 44)
        # The CLI prints timestamps as ISO 8601 text.
        datetime.datetime.fromisoformat(cred["CreateDate"].replace("Z", "+00:00"))
        cred_id = cred["ServiceSpecificCredentialId"]

        listed = self.srv.aws_json("iam", "list-service-specific-credentials", "--user-name",
                                   "cli-git")["ServiceSpecificCredentials"]
        self.assertEqual([c["ServiceSpecificCredentialId"] for c in listed], [cred_id])
        self.assertNotIn("ServicePassword", json.dumps(listed))

        reset = self.srv.aws_json("iam", "reset-service-specific-credential", "--user-name",
                                  "cli-git", "--service-specific-credential-id",
                                  cred_id)["ServiceSpecificCredential"]
        self.assertNotEqual(reset["ServicePassword"], cred["ServicePassword"])

        self.srv.aws("iam", "update-service-specific-credential", "--user-name", "cli-git",
                     "--service-specific-credential-id", cred_id, "--status", "Inactive")
        listed = self.srv.aws_json("iam", "list-service-specific-credentials", "--user-name",
                                   "cli-git", "--service-name",
                                   CODECOMMIT)["ServiceSpecificCredentials"]
        self.assertEqual(listed[0]["Status"], "Inactive")

        rc, _, err = self.srv.aws("iam", "delete-user", "--user-name", "cli-git", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("An error occurred (DeleteConflict) when calling the DeleteUser operation: "
                      "Cannot delete entity, must remove referenced objects first.", err)

        self.srv.aws("iam", "delete-service-specific-credential", "--user-name", "cli-git",
                     "--service-specific-credential-id", cred_id)
        listed = self.srv.aws_json("iam", "list-service-specific-credentials", "--user-name",
                                   "cli-git")["ServiceSpecificCredentials"]
        self.assertEqual(listed, [])
        self.srv.aws("iam", "delete-user", "--user-name", "cli-git")

    def test_cli_unsupported_service(self):
        self.srv.aws("iam", "create-user", "--user-name", "cli-cass")
        rc, out, err = self.srv.aws("iam", "create-service-specific-credential", "--user-name",
                                    "cli-cass", "--service-name", "cassandra.amazonaws.com",
                                    check=False)
        self.assertNotEqual(rc, 0)
        self.assertEqual(out.strip(), "")
        self.assertIn("An error occurred (NotSupportedService) when calling the "
                      "CreateServiceSpecificCredential operation: No such service "
                      "cassandra.amazonaws.com is supported for Service Specific Credentials", err)


if __name__ == "__main__":
    unittest.main()
