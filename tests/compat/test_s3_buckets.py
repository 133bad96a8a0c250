"""S3 buckets through boto3 and the aws CLI: create, head, list, locate and
delete buckets; versioning, tags, policies (enforced by the IAM evaluator),
lifecycle and notification configurations, with AWS's error codes."""
import json
import unittest

import botocore.exceptions

from slipway_server import ServerTestCase, model_has

ACCOUNT = "000000000000"
MALFORMED_XML = ("The XML you provided was not well-formed or did not validate against our "
                 "published schema")


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class S3Case(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.s3 = cls.srv.client("s3")

    def bucket(self, name, **kwargs):
        self.s3.create_bucket(Bucket=name, **kwargs)
        return name

    def user(self, name, *policy_arns):
        self.iam.create_user(UserName=name)
        for arn in policy_arns:
            self.iam.attach_user_policy(UserName=name, PolicyArn=arn)
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        return self.srv.client("s3", access_key=key["AccessKeyId"],
                               secret_key=key["SecretAccessKey"])

    def assertDenied(self, call, action, **kwargs):
        resp = self.assertClientError(call, "AccessDenied", status=403, **kwargs)
        self.assertIn(f"is not authorized to perform: {action}", resp["Error"]["Message"])
        return resp["Error"]["Message"]


class TestBuckets(S3Case):
    def test_create_head_list_delete(self):
        out = self.s3.create_bucket(Bucket="first-bucket")
        self.assertEqual(out["Location"], "/first-bucket")
        self.bucket("another.bucket")
        head = self.s3.head_bucket(Bucket="first-bucket")
        self.assertEqual(head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"],
                         "us-east-1")
        if model_has(self.s3, "HeadBucket", "BucketRegion", output=True):
            self.assertEqual(head["BucketRegion"], "us-east-1")
        listed = self.s3.list_buckets()
        names = [b["Name"] for b in listed["Buckets"]]
        self.assertEqual(names, sorted(names))
        self.assertIn("first-bucket", names)
        self.assertEqual(len(listed["Owner"]["ID"]), 64)
        self.assertIn("CreationDate", listed["Buckets"][0])
        self.assertIsNone(self.s3.get_bucket_location(Bucket="first-bucket")["LocationConstraint"])
        self.s3.delete_bucket(Bucket="first-bucket")
        # HEAD errors have no body: botocore reports the status.
        resp = self.assertClientError(self.s3.head_bucket, "404", status=404,
                                      Bucket="first-bucket")
        self.assertEqual(resp["Error"]["Message"], "Not Found")
        self.assertClientError(self.s3.delete_bucket, "NoSuchBucket",
                               "The specified bucket does not exist", 404, Bucket="first-bucket")
        self.assertClientError(self.s3.get_bucket_tagging, "NoSuchBucket", status=404,
                               Bucket="no-such-bucket")

    def test_recreate_in_us_east_1_answers_200(self):
        self.bucket("twice-bucket")
        self.assertEqual(self.s3.create_bucket(Bucket="twice-bucket")["Location"],
                         "/twice-bucket")

    def test_other_region(self):
        eu = self.srv.client("s3", region="eu-west-1")
        eu.create_bucket(Bucket="eu-bucket",
                         CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        self.assertEqual(eu.get_bucket_location(Bucket="eu-bucket")["LocationConstraint"],
                         "eu-west-1")
        head = self.s3.head_bucket(Bucket="eu-bucket")
        self.assertEqual(head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"],
                         "eu-west-1")
        self.assertClientError(
            eu.create_bucket, "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it.",
            409, Bucket="eu-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        if not model_has(self.s3, "ListBuckets", "BucketRegion"):
            return  # this botocore cannot send the filter (added in 1.35)
        listed = self.s3.list_buckets(BucketRegion="eu-west-1")
        self.assertEqual([(b["Name"], b["BucketRegion"]) for b in listed["Buckets"]],
                         [("eu-bucket", "eu-west-1")])

    def test_location_constraints(self):
        self.assertClientError(
            self.srv.client("s3", region="eu-west-1").create_bucket,
            "IllegalLocationConstraintException",
            "The unspecified location constraint is incompatible for the region specific "
            "endpoint this request was sent to.", 400, Bucket="nowhere-bucket")
        self.assertClientError(
            self.s3.create_bucket, "IllegalLocationConstraintException",
            "The eu-central-1 location constraint is incompatible for the region specific "
            "endpoint this request was sent to.", 400, Bucket="nowhere-bucket",
            CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})

    # us-east-1 is not in the model's enum; S3 answers its own code for it.
    def test_us_east_1_named_as_constraint(self):
        self.assertClientError(
            self.s3.create_bucket, "InvalidLocationConstraint",
            "The specified location-constraint is not valid", 400, Bucket="nowhere-bucket",
            CreateBucketConfiguration={"LocationConstraint": "us-east-1"})

    def test_invalid_names(self):
        for name in ("ab", "-abc", "abc-", "Upper-Case", "a..b", "192.168.1.10", "xn--abc",
                     "my-s3alias-bucket-s3alias", "x" * 64, "under_score"):
            with self.subTest(name=name):
                self.assertClientError(self.s3.create_bucket, "InvalidBucketName",
                                       "The specified bucket is not valid.", 400, Bucket=name)

    def test_list_buckets_pages(self):
        if not self.s3.can_paginate("list_buckets"):
            self.skipTest("this botocore has no ListBuckets paging (MaxBuckets came in 1.35)")
        for name in ("page-a", "page-b", "page-c"):
            self.bucket(name)
        pages = self.s3.get_paginator("list_buckets").paginate(
            Prefix="page-", PaginationConfig={"PageSize": 2})
        seen = [[b["Name"] for b in page["Buckets"]] for page in pages]
        self.assertEqual(seen, [["page-a", "page-b"], ["page-c"]])

    def test_versioning(self):
        name = self.bucket("versioned-bucket")
        out = self.s3.get_bucket_versioning(Bucket=name)
        self.assertNotIn("Status", out)
        self.s3.put_bucket_versioning(Bucket=name,
                                      VersioningConfiguration={"Status": "Enabled"})
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=name)["Status"], "Enabled")
        self.s3.put_bucket_versioning(Bucket=name,
                                      VersioningConfiguration={"Status": "Suspended"})
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=name)["Status"], "Suspended")

    def test_tags(self):
        name = self.bucket("tagged-bucket")
        self.assertClientError(self.s3.get_bucket_tagging, "NoSuchTagSet",
                               "The TagSet does not exist", 404, Bucket=name)
        tags = [{"Key": "team", "Value": "ci"}, {"Key": "cost center", "Value": "a/b@c"}]
        self.s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})
        self.assertEqual(self.s3.get_bucket_tagging(Bucket=name)["TagSet"], tags)
        self.assertClientError(self.s3.put_bucket_tagging, "InvalidTag",
                               "Cannot provide multiple Tags with the same key", 400,
                               Bucket=name, Tagging={"TagSet": [{"Key": "a", "Value": "1"},
                                                                {"Key": "a", "Value": "2"}]})
        self.assertClientError(self.s3.put_bucket_tagging, "InvalidTag",
                               "System tags cannot be added/updated by requester", 400,
                               Bucket=name, Tagging={"TagSet": [{"Key": "aws:x", "Value": "1"}]})
        self.assertClientError(self.s3.put_bucket_tagging, "InvalidTag",
                               "Bucket tags cannot be greater than 50", 400, Bucket=name,
                               Tagging={"TagSet": [{"Key": f"k{i}", "Value": "v"}
                                                   for i in range(51)]})
        self.s3.delete_bucket_tagging(Bucket=name)
        self.assertClientError(self.s3.get_bucket_tagging, "NoSuchTagSet", Bucket=name)

    def test_delete_refused_while_not_empty(self):
        name = self.bucket("full-bucket")
        try:
            self.s3.put_object(Bucket=name, Key="k", Body=b"hello")
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] == "NotImplemented":
                self.skipTest("PutObject is not implemented yet")
            raise
        self.assertClientError(self.s3.delete_bucket, "BucketNotEmpty",
                               "The bucket you tried to delete is not empty", 409, Bucket=name)
        self.s3.delete_object(Bucket=name, Key="k")
        self.s3.delete_bucket(Bucket=name)

    def test_versioned_bucket_with_markers_is_not_empty(self):
        name = self.bucket("markers-bucket")
        self.s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        try:
            self.s3.delete_object(Bucket=name, Key="never-written")
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] == "NotImplemented":
                self.skipTest("DeleteObject is not implemented yet")
            raise
        # The delete marker alone keeps the bucket.
        self.assertClientError(self.s3.delete_bucket, "BucketNotEmpty",
                               "The bucket you tried to delete is not empty. You must delete all "
                               "versions in the bucket.", 409, Bucket=name)


class TestPolicies(S3Case):
    def test_round_trip_and_validation(self):
        name = self.bucket("policy-bucket")
        self.assertClientError(self.s3.get_bucket_policy, "NoSuchBucketPolicy",
                               "The bucket policy does not exist", 404, Bucket=name)
        text = policy({"Sid": "read", "Effect": "Allow", "Principal": "*",
                       "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"})
        self.s3.put_bucket_policy(Bucket=name, Policy=text)
        self.assertEqual(self.s3.get_bucket_policy(Bucket=name)["Policy"], text)
        cases = [
            ("not json", "Policies must be valid JSON and the first byte must be '{'"),
            (policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                     "Resource": "arn:aws:s3:::other-bucket/*"}), "Policy has invalid resource"),
            (policy({"Effect": "Allow", "Principal": "*", "Action": "iam:GetUser",
                     "Resource": f"arn:aws:s3:::{name}/*"}), "Policy has invalid action"),
            (policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                     "Resource": f"arn:aws:s3:::{name}"}),
             "Action does not apply to any resource(s) in statement"),
            (policy({"Effect": "Allow",
                     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/nobody-here"},
                     "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}),
             "Invalid principal in policy"),
            (policy({"Effect": "Allow", "Principal": {"AWS": "123456789012"},
                     "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}),
             "Invalid principal in policy"),
            (json.dumps({"Version": "2012-10-17"}), "Missing required field Statement"),
        ]
        for text_case, message in cases:
            with self.subTest(message=message):
                self.assertClientError(self.s3.put_bucket_policy, "MalformedPolicy", message,
                                       400, Bucket=name, Policy=text_case)
        self.s3.delete_bucket_policy(Bucket=name)
        self.assertClientError(self.s3.get_bucket_policy, "NoSuchBucketPolicy", Bucket=name)

    def test_policy_grants_another_user(self):
        name = self.bucket("granting-bucket")
        self.s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
        reader = self.user("bucket-reader")
        stranger = self.user("bucket-stranger")
        # No identity policy, no bucket policy: denied.
        self.assertDenied(reader.get_bucket_tagging, "s3:GetBucketTagging", Bucket=name)
        self.s3.put_bucket_policy(Bucket=name, Policy=policy(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/bucket-reader"},
             "Action": ["s3:GetObject", "s3:GetBucketTagging"],
             "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]}))
        self.assertEqual(reader.get_bucket_tagging(Bucket=name)["TagSet"],
                         [{"Key": "a", "Value": "b"}])
        # What the policy does not grant stays denied, for it and for others.
        self.assertDenied(reader.put_bucket_tagging, "s3:PutBucketTagging", Bucket=name,
                          Tagging={"TagSet": []})
        self.assertDenied(stranger.get_bucket_tagging, "s3:GetBucketTagging", Bucket=name)
        self.assertDenied(stranger.list_buckets, "s3:ListAllMyBuckets")

    def test_explicit_deny_beats_the_admin(self):
        name = self.bucket("denying-bucket")
        self.s3.put_bucket_policy(Bucket=name, Policy=policy(
            {"Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteBucket",
                                                           "s3:PutBucketTagging"],
             "Resource": f"arn:aws:s3:::{name}"}))
        message = self.assertDenied(self.s3.delete_bucket, "s3:DeleteBucket", Bucket=name)
        self.assertIn("explicit deny in a resource-based policy", message)
        self.assertDenied(self.s3.put_bucket_tagging, "s3:PutBucketTagging", Bucket=name,
                          Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
        self.s3.head_bucket(Bucket=name)
        self.s3.delete_bucket_policy(Bucket=name)
        self.s3.delete_bucket(Bucket=name)


class TestLifecycle(S3Case):
    def test_round_trip(self):
        name = self.bucket("lifecycle-bucket")
        self.assertClientError(self.s3.get_bucket_lifecycle_configuration,
                               "NoSuchLifecycleConfiguration",
                               "The lifecycle configuration does not exist", 404, Bucket=name)
        rules = [
            {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
             "Expiration": {"Days": 30}},
            {"ID": "old-versions", "Status": "Enabled", "Filter": {},
             "NoncurrentVersionExpiration": {"NoncurrentDays": 7, "NewerNoncurrentVersions": 3},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
            {"ID": "markers", "Status": "Disabled",
             "Filter": {"And": {"Prefix": "tmp/", "ObjectSizeGreaterThan": 10}},
             "Expiration": {"ExpiredObjectDeleteMarker": True}},
        ]
        self.s3.put_bucket_lifecycle_configuration(Bucket=name,
                                                   LifecycleConfiguration={"Rules": rules})
        got = self.s3.get_bucket_lifecycle_configuration(Bucket=name)
        self.assertEqual(got["Rules"], rules)
        self.s3.delete_bucket_lifecycle(Bucket=name)
        self.assertClientError(self.s3.get_bucket_lifecycle_configuration,
                               "NoSuchLifecycleConfiguration", Bucket=name)

    def test_refusals(self):
        name = self.bucket("lifecycle-refusals")
        cases = [
            ({"Status": "Enabled", "Filter": {}}, "InvalidRequest",
             "At least one action needs to be specified in a rule"),
            ({"Status": "Enabled", "Filter": {}, "Expiration": {"Days": 0}}, "InvalidArgument",
             "'Days' for Expiration action must be a positive integer"),
            ({"Status": "Enabled", "Filter": {"Tag": {"Key": "k", "Value": "v"}},
              "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}, "InvalidRequest",
             "AbortIncompleteMultipartUpload cannot be specified with Tags."),
            ({"Status": "Enabled", "Filter": {},
              "Expiration": {"Date": "2030-01-01T12:00:00Z"}}, "InvalidArgument",
             "'Date' must be at midnight GMT"),
            ({"Status": "Enabled", "Filter": {},
              "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]}, "NotImplemented", None),
        ]
        for rule, code, message in cases:
            with self.subTest(code=code, message=message):
                self.assertClientError(self.s3.put_bucket_lifecycle_configuration, code, message,
                                       Bucket=name, LifecycleConfiguration={"Rules": [rule]})


class TestNotifications(S3Case):
    def test_eventbridge_round_trip(self):
        name = self.bucket("notified-bucket")
        out = self.s3.get_bucket_notification_configuration(Bucket=name)
        self.assertNotIn("EventBridgeConfiguration", out)
        self.s3.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}})
        out = self.s3.get_bucket_notification_configuration(Bucket=name)
        self.assertEqual(out["EventBridgeConfiguration"], {})
        self.s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={})
        out = self.s3.get_bucket_notification_configuration(Bucket=name)
        self.assertNotIn("EventBridgeConfiguration", out)

    def test_undeliverable_destinations_are_refused(self):
        name = self.bucket("refusing-bucket")
        queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:builds"
        resp = self.assertClientError(
            self.s3.put_bucket_notification_configuration, "InvalidArgument", status=400,
            Bucket=name, NotificationConfiguration={"QueueConfigurations": [
                {"QueueArn": queue, "Events": ["s3:ObjectCreated:*"]}]})
        message = resp["Error"]["Message"]
        self.assertTrue(message.startswith(
            "Unable to validate the following destination configurations"), message)
        self.assertIn(queue, message)
        self.assertIn("SQS", message)
        # Nothing was stored.
        out = self.s3.get_bucket_notification_configuration(Bucket=name)
        self.assertNotIn("QueueConfigurations", out)


class TestCli(S3Case):
    def test_mb_ls_rb(self):
        self.assertEqual(self.srv.aws("s3", "mb", "s3://cli-bucket")[1].strip(),
                         "make_bucket: cli-bucket")
        self.assertIn("cli-bucket", self.srv.aws("s3", "ls")[1])
        self.assertIsNone(self.srv.aws_json("s3api", "get-bucket-location",
                                            "--bucket", "cli-bucket")["LocationConstraint"])
        self.srv.aws("s3api", "put-bucket-versioning", "--bucket", "cli-bucket",
                     "--versioning-configuration", "Status=Enabled")
        self.assertEqual(self.srv.aws_json("s3api", "get-bucket-versioning",
                                           "--bucket", "cli-bucket")["Status"], "Enabled")
        self.assertEqual(self.srv.aws("s3", "rb", "s3://cli-bucket")[1].strip(),
                         "remove_bucket: cli-bucket")
        rc, _, err = self.srv.aws("s3api", "head-bucket", "--bucket", "cli-bucket", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("An error occurred (404) when calling the HeadBucket operation: Not Found",
                      err)

    def test_rb_refuses_a_full_bucket_and_force_empties_it(self):
        self.srv.aws("s3", "mb", "s3://cli-full")
        try:
            self.s3.put_object(Bucket="cli-full", Key="a/b.txt", Body=b"hello")
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] == "NotImplemented":
                self.skipTest("PutObject is not implemented yet")
            raise
        rc, _, err = self.srv.aws("s3", "rb", "s3://cli-full", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("BucketNotEmpty", err)
        self.assertIn("The bucket you tried to delete is not empty", err)
        rc, out, err = self.srv.aws("s3", "rb", "--force", "s3://cli-full", check=False)
        self.assertEqual(rc, 0, err)
        self.assertIn("remove_bucket: cli-full", out)
        self.assertClientError(self.s3.head_bucket, "404", Bucket="cli-full")

    def test_cli_errors(self):
        rc, _, err = self.srv.aws("s3api", "create-bucket", "--bucket", "ab", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("An error occurred (InvalidBucketName) when calling the CreateBucket "
                      "operation: The specified bucket is not valid.", err)
        self.srv.aws("s3", "mb", "s3://cli-tagged")
        rc, _, err = self.srv.aws("s3api", "get-bucket-tagging", "--bucket", "cli-tagged",
                                  check=False)
        self.assertIn("(NoSuchTagSet) when calling the GetBucketTagging operation: "
                      "The TagSet does not exist", err)
        self.srv.aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", "cli-tagged",
                     "--lifecycle-configuration", json.dumps({"Rules": [
                         {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
                          "Expiration": {"Days": 1}}]}))
        rules = self.srv.aws_json("s3api", "get-bucket-lifecycle-configuration",
                                  "--bucket", "cli-tagged")["Rules"]
        self.assertEqual(rules[0]["ID"], "tmp")


if __name__ == "__main__":
    unittest.main()
