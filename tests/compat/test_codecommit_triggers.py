"""CodeCommit repository triggers through boto3 and the aws CLI: stored and
returned as put, a new configurationId on every put, AWS's validation
errors, and TestRepositoryTriggers reporting every trigger as not
delivered (slipway delivers to neither Amazon SNS nor AWS Lambda yet)
instead of a made-up success."""
import json
import unittest

from slipway_server import ServerTestCase

TOPIC = "arn:aws:sns:us-east-1:000000000000:builds"
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:on-push"


def trigger(name="t", dest=TOPIC, events=("all",), branches=("main",), **extra):
    t = {"name": name, "destinationArn": dest, "events": list(events),
         "branches": list(branches)}
    t.update(extra)
    return t


class TestTriggers(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cc = cls.srv.client("codecommit")
        cls.cc.create_repository(repositoryName="trig")

    def put(self, triggers, repo="trig"):
        return self.cc.put_repository_triggers(repositoryName=repo, triggers=triggers)

    def test_put_get_replace(self):
        self.cc.create_repository(repositoryName="replace")
        empty = self.cc.get_repository_triggers(repositoryName="replace")
        self.assertEqual(empty["triggers"], [])
        both = [trigger("sns"),
                trigger("fn", FUNCTION, events=["createReference", "deleteReference"],
                        branches=[], customData="hello")]
        first = self.put(both, repo="replace")["configurationId"]
        got = self.cc.get_repository_triggers(repositoryName="replace")
        self.assertEqual(got["configurationId"], first)
        self.assertEqual(got["triggers"], both)
        second = self.put([trigger("only")], repo="replace")["configurationId"]
        self.assertNotEqual(first, second)
        got = self.cc.get_repository_triggers(repositoryName="replace")
        self.assertEqual([t["name"] for t in got["triggers"]], ["only"])
        self.put([], repo="replace")
        self.assertEqual(self.cc.get_repository_triggers(repositoryName="replace")["triggers"], [])

    def test_multibyte_names_and_long_destination(self):
        # Names (100) and custom data (1,000) are limited in characters.
        t = trigger("\u65e5" * 100, customData="\u00e9" * 1000)
        self.put([t])
        self.assertEqual(self.cc.get_repository_triggers(repositoryName="trig")["triggers"], [t])
        with self.assertRaises(self.cc.exceptions.InvalidRepositoryTriggerNameException):
            self.put([trigger("\u65e5" * 101)])
        with self.assertRaises(self.cc.exceptions.InvalidRepositoryTriggerCustomDataException):
            self.put([trigger(customData="\u00e9" * 1001)])
        # The failure message names the whole destination, past a kilobyte.
        dest = "arn:aws:sns:us-east-1:000000000000:" + "\u65e5" * 400
        out = self.cc.test_repository_triggers(repositoryName="trig",
                                               triggers=[trigger("long", dest)])
        self.assertEqual(len(out["failedExecutions"]), 1)
        self.assertIn(dest, out["failedExecutions"][0]["failureMessage"])
        self.put([])

    def test_cli(self):
        self.srv.aws("codecommit", "put-repository-triggers", "--repository-name", "trig",
                     "--triggers", json.dumps([trigger("cli")]))
        out = self.srv.aws_json("codecommit", "get-repository-triggers", "--repository-name",
                                "trig")
        self.assertEqual(out["triggers"][0]["name"], "cli")
        out = self.srv.aws_json("codecommit", "test-repository-triggers", "--repository-name",
                                "trig", "--triggers", json.dumps([trigger("cli")]))
        self.assertEqual(out["successfulExecutions"], [])
        self.assertEqual(out["failedExecutions"][0]["trigger"], "cli")

    def test_test_triggers_fail_honestly(self):
        resp = self.cc.test_repository_triggers(
            repositoryName="trig", triggers=[trigger("sns"), trigger("fn", FUNCTION)])
        self.assertEqual(resp["successfulExecutions"], [])
        failed = {f["trigger"]: f["failureMessage"] for f in resp["failedExecutions"]}
        self.assertEqual(set(failed), {"sns", "fn"})
        self.assertIn("Amazon SNS", failed["sns"])
        self.assertIn("AWS Lambda", failed["fn"])
        self.assertIn("slipway does not deliver", failed["fn"])

    def test_errors(self):
        put = self.cc.put_repository_triggers
        self.assertClientError(put, "RepositoryDoesNotExistException", repositoryName="nope",
                               triggers=[])
        self.assertClientError(put, "MaximumRepositoryTriggersExceededException",
                               repositoryName="trig",
                               triggers=[trigger(f"t{i}") for i in range(11)])
        self.assertClientError(put, "InvalidRepositoryTriggerNameException",
                               repositoryName="trig", triggers=[trigger("a"), trigger("a")])
        self.assertClientError(put, "RepositoryTriggerNameRequiredException",
                               repositoryName="trig", triggers=[trigger("")])
        self.assertClientError(put, "InvalidRepositoryTriggerDestinationArnException",
                               repositoryName="trig",
                               triggers=[trigger(dest="arn:aws:s3:::bucket")])
        self.assertClientError(put, "InvalidRepositoryTriggerDestinationArnException",
                               repositoryName="trig", triggers=[trigger(dest="topic")])
        self.assertClientError(put, "RepositoryTriggerDestinationArnRequiredException",
                               repositoryName="trig", triggers=[trigger(dest="")])
        self.assertClientError(put, "InvalidRepositoryTriggerRegionException",
                               repositoryName="trig",
                               triggers=[trigger(dest="arn:aws:sns:eu-west-1:000000000000:t")])
        self.assertClientError(put, "InvalidRepositoryTriggerEventsException",
                               repositoryName="trig",
                               triggers=[trigger(events=["all", "createReference"])])
        self.assertClientError(put, "InvalidRepositoryTriggerEventsException",
                               repositoryName="trig", triggers=[trigger(events=["push"])])
        self.assertClientError(put, "RepositoryTriggerEventsListRequiredException",
                               repositoryName="trig", triggers=[trigger(events=[])])
        self.assertClientError(put, "InvalidRepositoryTriggerBranchNameException",
                               repositoryName="trig", triggers=[trigger(branches=["a..b"])])
        self.assertClientError(put, "MaximumBranchesExceededException",
                               repositoryName="trig",
                               triggers=[trigger(branches=[f"b{i}" for i in range(11)])])
        self.assertClientError(put, "InvalidRepositoryTriggerCustomDataException",
                               repositoryName="trig", triggers=[trigger(customData="d" * 1001)])
        no_branches = trigger()
        del no_branches["branches"]
        self.assertClientError(put, "RepositoryTriggerBranchNameListRequiredException",
                               repositoryName="trig", triggers=[no_branches])
        self.assertClientError(self.cc.test_repository_triggers,
                               "RepositoryTriggersListRequiredException",
                               repositoryName="trig", triggers=[])
        # Nothing was stored by the failures.
        self.assertNotIn("a..b", json.dumps(
            self.cc.get_repository_triggers(repositoryName="trig")["triggers"]))

    def test_deleted_repository_forgets_its_triggers(self):
        self.cc.create_repository(repositoryName="gone")
        self.put([trigger("x")], repo="gone")
        self.cc.delete_repository(repositoryName="gone")
        self.cc.create_repository(repositoryName="gone")
        self.assertEqual(self.cc.get_repository_triggers(repositoryName="gone")["triggers"], [])


if __name__ == "__main__":
    unittest.main()
