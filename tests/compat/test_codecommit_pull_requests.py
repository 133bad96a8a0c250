"""CodeCommit pull requests through boto3 and the aws CLI: creation with
idempotency tokens, reading and listing, events, title/description/status
updates, a pushed source branch showing as a new revision, merges by the
three strategies and outside the pull request, approval rules, approvals
by another user, overrides, approval rule templates with their
associations, and CodeCommit's errors for bad input."""
import json
import re
import unittest
import uuid

from slipway_server import ServerTestCase

WHO = {"name": "Test", "email": "t@example.com"}


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def rule(n, pool=None, dests=None):
    statement = {"Type": "Approvers", "NumberOfApprovalsNeeded": n}
    if pool is not None:
        statement["ApprovalPoolMembers"] = pool
    doc = {"Version": "2018-11-08", "Statements": [statement]}
    if dests is not None:
        doc["DestinationReferences"] = dests
    return json.dumps(doc)


class PullRequestCase(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cc = cls.srv.client("codecommit")
        cls.me = cls.sts.get_caller_identity()["Arn"]
        # A second person, to approve.
        name = unique("reviewer")
        cls.iam.create_user(UserName=name)
        cls.iam.put_user_policy(UserName=name, PolicyName="cc", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "codecommit:*", "Resource": "*"}]}))
        key = cls.iam.create_access_key(UserName=name)["AccessKey"]
        cls.reviewer = cls.srv.client("codecommit", access_key=key["AccessKeyId"],
                                      secret_key=key["SecretAccessKey"])
        cls.reviewer_name = name
        cls.reviewer_arn = cls.iam.get_user(UserName=name)["User"]["Arn"]

    def setUp(self):
        self.repo = unique("pr")
        self.cc.create_repository(repositoryName=self.repo)
        self.addCleanup(self.cc.delete_repository, repositoryName=self.repo)
        self.base = self.cc.put_file(repositoryName=self.repo, branchName="main",
                                     fileContent=b"one\n", filePath="a.txt", **WHO)["commitId"]
        self.cc.create_branch(repositoryName=self.repo, branchName="feature",
                              commitId=self.base)
        self.feature = self.put("feature", "b.txt", "bee\n")

    def put(self, branch, path, text):
        return self.cc.put_file(repositoryName=self.repo, branchName=branch,
                                fileContent=text.encode(), filePath=path,
                                parentCommitId=self.tip(branch), **WHO)["commitId"]

    def tip(self, branch):
        return self.cc.get_branch(repositoryName=self.repo,
                                  branchName=branch)["branch"]["commitId"]

    def create(self, title="Add b", source="feature", destination="main", **kw):
        return self.cc.create_pull_request(
            title=title, targets=[{"repositoryName": self.repo, "sourceReference": source,
                                   "destinationReference": destination}], **kw)["pullRequest"]

    def get(self, pr_id):
        return self.cc.get_pull_request(pullRequestId=pr_id)["pullRequest"]


class TestPullRequests(PullRequestCase):
    def test_create_get_shape(self):
        pr = self.create(description="please review")
        self.assertTrue(pr["pullRequestId"].isdigit())
        self.assertEqual(pr["pullRequestStatus"], "OPEN")
        self.assertEqual(pr["authorArn"], self.me)
        self.assertRegex(pr["revisionId"], r"^[0-9a-f]{64}$")
        self.assertEqual(pr["approvalRules"], [])
        target = pr["pullRequestTargets"][0]
        self.assertEqual(target["repositoryName"], self.repo)
        self.assertEqual(target["sourceReference"], "refs/heads/feature")
        self.assertEqual(target["destinationReference"], "refs/heads/main")
        self.assertEqual(target["sourceCommit"], self.feature)
        self.assertEqual(target["destinationCommit"], self.base)
        self.assertEqual(target["mergeBase"], self.base)
        self.assertEqual(target["mergeMetadata"], {"isMerged": False})
        got = self.get(pr["pullRequestId"])
        self.assertEqual(got["title"], "Add b")
        self.assertEqual(got["description"], "please review")
        self.assertEqual(got["revisionId"], pr["revisionId"])
        # Ids grow per account.
        second = self.create(title="again")
        self.assertGreater(int(second["pullRequestId"]), int(pr["pullRequestId"]))

    def test_create_errors(self):
        t = [{"repositoryName": self.repo, "sourceReference": "feature",
              "destinationReference": "main"}]
        self.assertClientError(self.cc.create_pull_request, "TitleRequiredException",
                               title="", targets=t)
        self.assertClientError(self.cc.create_pull_request, "InvalidTitleException",
                               title="x" * 151, targets=t)
        self.assertClientError(self.cc.create_pull_request, "InvalidDescriptionException",
                               title="x", description="d" * 10241, targets=t)
        self.assertClientError(self.cc.create_pull_request, "TargetsRequiredException",
                               title="x", targets=[])
        self.assertClientError(self.cc.create_pull_request,
                               "MultipleRepositoriesInPullRequestException",
                               title="x", targets=t + t)
        same = [{"repositoryName": self.repo, "sourceReference": "main",
                 "destinationReference": "refs/heads/main"}]
        self.assertClientError(self.cc.create_pull_request,
                               "SourceAndDestinationAreSameException", title="x", targets=same)
        gone = [{"repositoryName": self.repo, "sourceReference": "nope",
                 "destinationReference": "main"}]
        self.assertClientError(self.cc.create_pull_request, "ReferenceDoesNotExistException",
                               title="x", targets=gone)
        tag = [{"repositoryName": self.repo, "sourceReference": "refs/tags/v1",
                "destinationReference": "main"}]
        self.assertClientError(self.cc.create_pull_request,
                               "ReferenceTypeNotSupportedException", title="x", targets=tag)
        bad = [{"repositoryName": self.repo, "sourceReference": "a..b",
                "destinationReference": "main"}]
        self.assertClientError(self.cc.create_pull_request, "InvalidReferenceNameException",
                               title="x", targets=bad)
        missing = [{"repositoryName": unique("none"), "sourceReference": "feature",
                    "destinationReference": "main"}]
        self.assertClientError(self.cc.create_pull_request, "RepositoryDoesNotExistException",
                               title="x", targets=missing)
        self.assertEqual(self.cc.list_pull_requests(repositoryName=self.repo)["pullRequestIds"],
                         [])

    def test_limits_count_characters(self):
        # AWS's limits are in characters: 150 three-byte characters are a
        # valid title, 151 are not; the same for descriptions (10,240).
        title = "\u65e5" * 150
        pr = self.create(title=title)
        self.assertEqual(pr["title"], title)
        pid = pr["pullRequestId"]
        with self.assertRaises(self.cc.exceptions.InvalidTitleException):
            self.cc.update_pull_request_title(pullRequestId=pid, title=title + "x")
        description = "\u00e9" * 10240
        got = self.cc.update_pull_request_description(pullRequestId=pid,
                                                      description=description)
        self.assertEqual(got["pullRequest"]["description"], description)
        name = "\u65e5" * 100
        out = self.cc.create_pull_request_approval_rule(
            pullRequestId=pid, approvalRuleName=name, approvalRuleContent=rule(1))
        self.assertEqual(out["approvalRule"]["approvalRuleName"], name)

    def test_idempotency_token(self):
        token = str(uuid.uuid4())
        first = self.create(clientRequestToken=token)
        again = self.create(clientRequestToken=token)
        self.assertEqual(again["pullRequestId"], first["pullRequestId"])
        self.assertEqual(again["clientRequestToken"], token)
        self.assertClientError(self.cc.create_pull_request,
                               "IdempotencyParameterMismatchException", title="other",
                               clientRequestToken=token,
                               targets=[{"repositoryName": self.repo,
                                         "sourceReference": "feature",
                                         "destinationReference": "main"}])
        ids = self.cc.list_pull_requests(repositoryName=self.repo)["pullRequestIds"]
        self.assertEqual(ids, [first["pullRequestId"]])

    def test_get_errors(self):
        self.assertClientError(self.cc.get_pull_request, "InvalidPullRequestIdException",
                               pullRequestId="abc")
        self.assertClientError(self.cc.get_pull_request, "PullRequestDoesNotExistException",
                               pullRequestId="999999999")
        self.assertClientError(self.cc.get_pull_request, "PullRequestIdRequiredException",
                               pullRequestId="")

    def test_list_filters_and_pages(self):
        a = self.create(title="a")["pullRequestId"]
        b = self.create(title="b")["pullRequestId"]
        self.cc.update_pull_request_status(pullRequestId=a, pullRequestStatus="CLOSED")
        out = self.cc.list_pull_requests(repositoryName=self.repo)
        self.assertEqual(sorted(out["pullRequestIds"]), sorted([a, b]))
        self.assertEqual(self.cc.list_pull_requests(
            repositoryName=self.repo, pullRequestStatus="CLOSED")["pullRequestIds"], [a])
        self.assertEqual(self.cc.list_pull_requests(
            repositoryName=self.repo, pullRequestStatus="OPEN")["pullRequestIds"], [b])
        self.assertEqual(self.cc.list_pull_requests(
            repositoryName=self.repo, authorArn=self.reviewer_arn)["pullRequestIds"], [])
        page = self.cc.list_pull_requests(repositoryName=self.repo, maxResults=1)
        self.assertEqual(len(page["pullRequestIds"]), 1)
        rest = self.cc.list_pull_requests(repositoryName=self.repo, maxResults=1,
                                          nextToken=page["nextToken"])
        self.assertEqual(sorted(page["pullRequestIds"] + rest["pullRequestIds"]),
                         sorted([a, b]))
        self.assertNotIn("nextToken", rest)
        self.assertClientError(self.cc.list_pull_requests, "InvalidMaxResultsException",
                               repositoryName=self.repo, maxResults=0)
        self.assertClientError(self.cc.list_pull_requests, "InvalidContinuationTokenException",
                               repositoryName=self.repo, nextToken="garbage")
        self.assertClientError(self.cc.list_pull_requests, "InvalidAuthorArnException",
                               repositoryName=self.repo, authorArn="someone")
        acct = self.me.split(":")[4]
        self.assertClientError(self.cc.list_pull_requests, "AuthorDoesNotExistException",
                               repositoryName=self.repo,
                               authorArn=f"arn:aws:iam::{acct}:user/{unique('ghost')}")
        # The CLI's paginator reaches everything.
        out = self.srv.aws_json("codecommit", "list-pull-requests", "--repository-name",
                                self.repo, "--page-size", "1")
        self.assertEqual(sorted(out["pullRequestIds"]), sorted([a, b]))

    def test_principal_lookup_needs_authorization(self):
        # Whether a user exists is not told to a caller without the right.
        pid = self.create()["pullRequestId"]
        name = unique("outsider")
        self.iam.create_user(UserName=name)
        self.iam.put_user_policy(UserName=name, PolicyName="cc", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "codecommit:GetRepository",
                           "Resource": "*"}]}))
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        outsider = self.srv.client("codecommit", access_key=key["AccessKeyId"],
                                   secret_key=key["SecretAccessKey"])
        acct = self.me.split(":")[4]
        ghost = f"arn:aws:iam::{acct}:user/{unique('ghost')}"
        for arn in (ghost, self.reviewer_arn):
            self.assertClientError(outsider.list_pull_requests, "AccessDeniedException",
                                   repositoryName=self.repo, authorArn=arn)
            self.assertClientError(outsider.describe_pull_request_events,
                                   "AccessDeniedException", pullRequestId=pid, actorArn=arn)

    def test_updates_and_status(self):
        pr = self.create()
        pid, rev = pr["pullRequestId"], pr["revisionId"]
        out = self.cc.update_pull_request_title(pullRequestId=pid, title="New title")
        self.assertEqual(out["pullRequest"]["title"], "New title")
        self.assertNotEqual(out["pullRequest"]["revisionId"], rev)
        out = self.cc.update_pull_request_description(pullRequestId=pid, description="more")
        self.assertEqual(out["pullRequest"]["description"], "more")
        self.assertClientError(self.cc.update_pull_request_title, "TitleRequiredException",
                               pullRequestId=pid, title="")
        self.assertClientError(self.cc.update_pull_request_status,
                               "InvalidPullRequestStatusUpdateException", pullRequestId=pid,
                               pullRequestStatus="OPEN")
        out = self.cc.update_pull_request_status(pullRequestId=pid, pullRequestStatus="CLOSED")
        self.assertEqual(out["pullRequest"]["pullRequestStatus"], "CLOSED")
        self.assertClientError(self.cc.update_pull_request_status,
                               "InvalidPullRequestStatusUpdateException", pullRequestId=pid,
                               pullRequestStatus="OPEN")
        self.assertClientError(self.cc.update_pull_request_title,
                               "PullRequestAlreadyClosedException", pullRequestId=pid,
                               title="late")
        events = self.cc.describe_pull_request_events(pullRequestId=pid)["pullRequestEvents"]
        types = [e["pullRequestEventType"] for e in events]
        self.assertEqual(types, ["PULL_REQUEST_CREATED", "PULL_REQUEST_STATUS_CHANGED"])
        created = events[0]["pullRequestCreatedEventMetadata"]
        self.assertEqual(created["sourceCommitId"], self.feature)
        self.assertEqual(created["destinationCommitId"], self.base)
        self.assertEqual(events[1]["pullRequestStatusChangedEventMetadata"],
                         {"pullRequestStatus": "CLOSED"})
        self.assertEqual(events[1]["actorArn"], self.me)
        only = self.cc.describe_pull_request_events(
            pullRequestId=pid, pullRequestEventType="PULL_REQUEST_STATUS_CHANGED")
        self.assertEqual(len(only["pullRequestEvents"]), 1)
        page = self.cc.describe_pull_request_events(pullRequestId=pid, maxResults=1)
        self.assertEqual(len(page["pullRequestEvents"]), 1)
        rest = self.cc.describe_pull_request_events(pullRequestId=pid, maxResults=1,
                                                    nextToken=page["nextToken"])
        self.assertEqual(rest["pullRequestEvents"][0]["pullRequestEventType"],
                         "PULL_REQUEST_STATUS_CHANGED")
        self.assertClientError(self.cc.describe_pull_request_events,
                               "InvalidMaxResultsException", pullRequestId=pid,
                               maxResults=101)
        acct = self.me.split(":")[4]
        self.assertClientError(self.cc.describe_pull_request_events,
                               "ActorDoesNotExistException", pullRequestId=pid,
                               actorArn=f"arn:aws:iam::{acct}:user/{unique('ghost')}")
        self.assertEqual(self.cc.describe_pull_request_events(
            pullRequestId=pid, actorArn=self.reviewer_arn)["pullRequestEvents"], [])

    def test_source_push_is_a_new_revision(self):
        pr = self.create()
        pid = pr["pullRequestId"]
        newer = self.put("feature", "c.txt", "sea\n")
        got = self.get(pid)
        self.assertEqual(got["pullRequestTargets"][0]["sourceCommit"], newer)
        self.assertNotEqual(got["revisionId"], pr["revisionId"])
        events = self.cc.describe_pull_request_events(
            pullRequestId=pid,
            pullRequestEventType="PULL_REQUEST_SOURCE_REFERENCE_UPDATED")["pullRequestEvents"]
        self.assertEqual(len(events), 1)
        meta = events[0]["pullRequestSourceReferenceUpdatedEventMetadata"]
        self.assertEqual(meta["beforeCommitId"], self.feature)
        self.assertEqual(meta["afterCommitId"], newer)
        # The old revision cannot be merged.
        self.assertClientError(self.cc.merge_pull_request_by_fast_forward,
                               "TipOfSourceReferenceIsDifferentException",
                               pullRequestId=pid, repositoryName=self.repo,
                               sourceCommitId=self.feature)

    def test_merged_outside_closes(self):
        pid = self.create()["pullRequestId"]
        self.cc.merge_branches_by_fast_forward(repositoryName=self.repo,
                                               sourceCommitSpecifier="feature",
                                               destinationCommitSpecifier="main")
        # Listing sees it closed before anyone reads it.
        self.assertEqual(self.cc.list_pull_requests(
            repositoryName=self.repo, pullRequestStatus="OPEN")["pullRequestIds"], [])
        self.assertEqual(self.cc.list_pull_requests(
            repositoryName=self.repo, pullRequestStatus="CLOSED")["pullRequestIds"], [pid])
        got = self.get(pid)
        self.assertEqual(got["pullRequestStatus"], "CLOSED")
        self.assertTrue(got["pullRequestTargets"][0]["mergeMetadata"]["isMerged"])


class TestMerges(PullRequestCase):
    def test_fast_forward(self):
        pr = self.create()
        pid = pr["pullRequestId"]
        self.assertClientError(self.cc.merge_pull_request_by_fast_forward,
                               "RepositoryNotAssociatedWithPullRequestException",
                               pullRequestId=pid, repositoryName=self._other_repo())
        self.assertClientError(self.cc.merge_pull_request_by_fast_forward,
                               "InvalidCommitIdException", pullRequestId=pid,
                               repositoryName=self.repo, sourceCommitId="xyz")
        out = self.cc.merge_pull_request_by_fast_forward(
            pullRequestId=pid, repositoryName=self.repo, sourceCommitId=self.feature)
        merged = out["pullRequest"]
        self.assertEqual(merged["pullRequestStatus"], "CLOSED")
        meta = merged["pullRequestTargets"][0]["mergeMetadata"]
        self.assertEqual(meta["isMerged"], True)
        self.assertEqual(meta["mergedBy"], self.me)
        self.assertEqual(meta["mergeOption"], "FAST_FORWARD_MERGE")
        self.assertEqual(meta["mergeCommitId"], self.feature)
        self.assertEqual(self.tip("main"), self.feature)
        self.assertClientError(self.cc.merge_pull_request_by_fast_forward,
                               "PullRequestAlreadyClosedException", pullRequestId=pid,
                               repositoryName=self.repo)
        types = [e["pullRequestEventType"] for e in self.cc.describe_pull_request_events(
            pullRequestId=pid)["pullRequestEvents"]]
        self.assertEqual(types[-1], "PULL_REQUEST_MERGE_STATE_CHANGED")

    def _other_repo(self):
        name = unique("other")
        self.cc.create_repository(repositoryName=name)
        self.addCleanup(self.cc.delete_repository, repositoryName=name)
        return name

    def test_squash_and_three_way(self):
        self.put("main", "m.txt", "main\n")
        pid = self.create()["pullRequestId"]
        self.assertClientError(self.cc.merge_pull_request_by_fast_forward,
                               "ManualMergeRequiredException", pullRequestId=pid,
                               repositoryName=self.repo)
        before = self.tip("main")
        out = self.cc.merge_pull_request_by_squash(pullRequestId=pid, repositoryName=self.repo,
                                                   authorName="Sq", email="sq@example.com")
        meta = out["pullRequest"]["pullRequestTargets"][0]["mergeMetadata"]
        self.assertEqual(meta["mergeOption"], "SQUASH_MERGE")
        tip = self.tip("main")
        self.assertEqual(meta["mergeCommitId"], tip)
        commit = self.cc.get_commit(repositoryName=self.repo, commitId=tip)["commit"]
        self.assertEqual(commit["parents"], [before])

        self.put("feature", "d.txt", "dee\n")
        pid = self.create(title="second")["pullRequestId"]
        out = self.cc.merge_pull_request_by_three_way(pullRequestId=pid,
                                                      repositoryName=self.repo,
                                                      commitMessage="three way")
        tip = self.tip("main")
        commit = self.cc.get_commit(repositoryName=self.repo, commitId=tip)["commit"]
        self.assertEqual(len(commit["parents"]), 2)
        self.assertEqual(commit["message"].strip(), "three way")
        self.assertEqual(out["pullRequest"]["pullRequestTargets"][0]["mergeMetadata"]
                         ["mergeOption"], "THREE_WAY_MERGE")


class TestApprovals(PullRequestCase):
    def test_rules_approvals_and_merge(self):
        pr = self.create()
        pid = pr["pullRequestId"]
        created = self.cc.create_pull_request_approval_rule(
            pullRequestId=pid, approvalRuleName="one", approvalRuleContent=rule(1))
        r = created["approvalRule"]
        self.assertEqual(r["approvalRuleName"], "one")
        self.assertEqual(r["lastModifiedUser"], self.me)
        self.assertRegex(r["ruleContentSha256"], r"^[0-9a-f]{64}$")
        self.assertClientError(self.cc.create_pull_request_approval_rule,
                               "ApprovalRuleNameAlreadyExistsException", pullRequestId=pid,
                               approvalRuleName="one", approvalRuleContent=rule(1))
        rev = self.get(pid)["revisionId"]
        ev = self.cc.evaluate_pull_request_approval_rules(pullRequestId=pid,
                                                          revisionId=rev)["evaluation"]
        self.assertEqual(ev["approved"], False)
        self.assertEqual(ev["approvalRulesNotSatisfied"], ["one"])
        self.assertClientError(self.cc.merge_pull_request_by_fast_forward,
                               "PullRequestApprovalRulesNotSatisfiedException",
                               pullRequestId=pid, repositoryName=self.repo)
        self.assertClientError(self.cc.update_pull_request_approval_state,
                               "PullRequestCannotBeApprovedByAuthorException",
                               pullRequestId=pid, revisionId=rev, approvalState="APPROVE")
        self.assertClientError(self.reviewer.update_pull_request_approval_state,
                               "RevisionNotCurrentException", pullRequestId=pid,
                               revisionId="0" * 64, approvalState="APPROVE")
        self.assertClientError(self.reviewer.update_pull_request_approval_state,
                               "InvalidRevisionIdException", pullRequestId=pid,
                               revisionId="nope", approvalState="APPROVE")
        self.assertClientError(self.reviewer.update_pull_request_approval_state,
                               "InvalidApprovalStateException", pullRequestId=pid,
                               revisionId=rev, approvalState="MAYBE")
        self.reviewer.update_pull_request_approval_state(pullRequestId=pid, revisionId=rev,
                                                         approvalState="APPROVE")
        states = self.cc.get_pull_request_approval_states(pullRequestId=pid,
                                                          revisionId=rev)["approvals"]
        self.assertEqual(states, [{"userArn": self.reviewer_arn, "approvalState": "APPROVE"}])
        ev = self.cc.evaluate_pull_request_approval_rules(pullRequestId=pid,
                                                          revisionId=rev)["evaluation"]
        self.assertEqual(ev["approved"], True)
        self.assertEqual(ev["approvalRulesSatisfied"], ["one"])
        # Revoked, then approved again, then merged.
        self.reviewer.update_pull_request_approval_state(pullRequestId=pid, revisionId=rev,
                                                         approvalState="REVOKE")
        self.assertFalse(self.cc.evaluate_pull_request_approval_rules(
            pullRequestId=pid, revisionId=rev)["evaluation"]["approved"])
        self.reviewer.update_pull_request_approval_state(pullRequestId=pid, revisionId=rev,
                                                         approvalState="APPROVE")
        self.cc.merge_pull_request_by_fast_forward(pullRequestId=pid, repositoryName=self.repo)
        self.assertEqual(self.tip("main"), self.feature)
        types = [e["pullRequestEventType"] for e in self.cc.describe_pull_request_events(
            pullRequestId=pid)["pullRequestEvents"]]
        self.assertIn("PULL_REQUEST_APPROVAL_RULE_CREATED", types)
        self.assertEqual(types.count("PULL_REQUEST_APPROVAL_STATE_CHANGED"), 3)

    def test_pool_members(self):
        pid = self.create()["pullRequestId"]
        acct = self.me.split(":")[4]
        self.cc.create_pull_request_approval_rule(
            pullRequestId=pid, approvalRuleName="others",
            approvalRuleContent=rule(1, [f"arn:aws:iam::{acct}:user/nobody-*"]))
        self.cc.create_pull_request_approval_rule(
            pullRequestId=pid, approvalRuleName="by-name",
            approvalRuleContent=rule(1, [f"CodeCommitApprovers:{acct}:{self.reviewer_name}"]))
        rev = self.get(pid)["revisionId"]
        self.reviewer.update_pull_request_approval_state(pullRequestId=pid, revisionId=rev,
                                                         approvalState="APPROVE")
        ev = self.cc.evaluate_pull_request_approval_rules(pullRequestId=pid,
                                                          revisionId=rev)["evaluation"]
        self.assertEqual(ev["approvalRulesSatisfied"], ["by-name"])
        self.assertEqual(ev["approvalRulesNotSatisfied"], ["others"])
        # A push makes a new revision without approvals.
        self.put("feature", "e.txt", "e\n")
        rev2 = self.get(pid)["revisionId"]
        self.assertNotEqual(rev2, rev)
        self.assertEqual(self.cc.get_pull_request_approval_states(
            pullRequestId=pid, revisionId=rev2)["approvals"], [])

    def test_pool_member_wildcard_is_only_star(self):
        # '*' is the only wildcard AWS documents: '?' and '[...]' are literal.
        acct = self.me.split(":")[4]
        name = self.reviewer_name
        cases = [(f"CodeCommitApprovers:{acct}:{name[:3]}*", True),
                 (f"CodeCommitApprovers:{acct}:?{name[1:]}", False),
                 (f"CodeCommitApprovers:{acct}:[{name[0]}]{name[1:]}", False),
                 (f"arn:aws:iam::{acct}:user/*{name[-3:]}", True),
                 (f"arn:aws:iam::{acct}:user/{name[:-1]}?", False)]
        for member, approves in cases:
            with self.subTest(member=member):
                pid = self.create()["pullRequestId"]
                self.cc.create_pull_request_approval_rule(
                    pullRequestId=pid, approvalRuleName="pool",
                    approvalRuleContent=rule(1, [member]))
                rev = self.get(pid)["revisionId"]
                self.reviewer.update_pull_request_approval_state(
                    pullRequestId=pid, revisionId=rev, approvalState="APPROVE")
                ev = self.cc.evaluate_pull_request_approval_rules(
                    pullRequestId=pid, revisionId=rev)["evaluation"]
                self.assertEqual(ev["approved"], approves)
                self.cc.update_pull_request_status(pullRequestId=pid,
                                                   pullRequestStatus="CLOSED")

    def test_rule_content_errors_update_delete(self):
        pid = self.create()["pullRequestId"]
        for content in ["not json", "{}", json.dumps({"Version": "2018-11-08"}),
                        json.dumps({"Version": "2017-01-01", "Statements": [
                            {"Type": "Approvers", "NumberOfApprovalsNeeded": 1}]}),
                        rule(0), rule(1, ["bob"]), rule(1, dests=["refs/heads/main"])]:
            self.assertClientError(self.cc.create_pull_request_approval_rule,
                                   "InvalidApprovalRuleContentException", pullRequestId=pid,
                                   approvalRuleName="r", approvalRuleContent=content)
        self.assertClientError(self.cc.create_pull_request_approval_rule,
                               "InvalidApprovalRuleNameException", pullRequestId=pid,
                               approvalRuleName="n" * 101, approvalRuleContent=rule(1))
        created = self.cc.create_pull_request_approval_rule(
            pullRequestId=pid, approvalRuleName="r", approvalRuleContent=rule(1))["approvalRule"]
        self.assertClientError(self.cc.update_pull_request_approval_rule_content,
                               "InvalidRuleContentSha256Exception", pullRequestId=pid,
                               approvalRuleName="r", newRuleContent=rule(2),
                               existingRuleContentSha256="0" * 64)
        self.assertClientError(self.cc.update_pull_request_approval_rule_content,
                               "ApprovalRuleDoesNotExistException", pullRequestId=pid,
                               approvalRuleName="missing", newRuleContent=rule(2))
        updated = self.cc.update_pull_request_approval_rule_content(
            pullRequestId=pid, approvalRuleName="r", newRuleContent=rule(2),
            existingRuleContentSha256=created["ruleContentSha256"])["approvalRule"]
        self.assertEqual(json.loads(updated["approvalRuleContent"])["Statements"][0]
                         ["NumberOfApprovalsNeeded"], 2)
        self.assertNotEqual(updated["ruleContentSha256"], created["ruleContentSha256"])
        out = self.cc.delete_pull_request_approval_rule(pullRequestId=pid, approvalRuleName="r")
        self.assertEqual(out["approvalRuleId"], created["approvalRuleId"])
        self.assertEqual(self.get(pid)["approvalRules"], [])

    def test_override(self):
        pid = self.create()["pullRequestId"]
        self.cc.create_pull_request_approval_rule(pullRequestId=pid, approvalRuleName="two",
                                                  approvalRuleContent=rule(2))
        rev = self.get(pid)["revisionId"]
        state = self.cc.get_pull_request_override_state(pullRequestId=pid, revisionId=rev)
        self.assertFalse(state["overridden"])
        self.assertClientError(self.cc.override_pull_request_approval_rules,
                               "InvalidOverrideStatusException", pullRequestId=pid,
                               revisionId=rev, overrideStatus="MAYBE")
        self.cc.override_pull_request_approval_rules(pullRequestId=pid, revisionId=rev,
                                                     overrideStatus="OVERRIDE")
        state = self.cc.get_pull_request_override_state(pullRequestId=pid, revisionId=rev)
        self.assertTrue(state["overridden"])
        self.assertEqual(state["overrider"], self.me)
        self.assertClientError(self.cc.override_pull_request_approval_rules,
                               "OverrideAlreadySetException", pullRequestId=pid,
                               revisionId=rev, overrideStatus="OVERRIDE")
        ev = self.cc.evaluate_pull_request_approval_rules(pullRequestId=pid,
                                                          revisionId=rev)["evaluation"]
        self.assertTrue(ev["overridden"])
        self.assertFalse(ev["approved"])
        self.cc.merge_pull_request_by_fast_forward(pullRequestId=pid, repositoryName=self.repo)
        self.assertEqual(self.tip("main"), self.feature)


class TestTemplates(PullRequestCase):
    def template(self, content, **kw):
        name = unique("tmpl")
        out = self.cc.create_approval_rule_template(approvalRuleTemplateName=name,
                                                    approvalRuleTemplateContent=content, **kw)
        self.addCleanup(self._drop, name)
        return out["approvalRuleTemplate"]

    def _drop(self, name):
        try:
            repos = self.cc.list_repositories_for_approval_rule_template(
                approvalRuleTemplateName=name)["repositoryNames"]
            if repos:
                self.cc.batch_disassociate_approval_rule_template_from_repositories(
                    approvalRuleTemplateName=name, repositoryNames=repos)
            self.cc.delete_approval_rule_template(approvalRuleTemplateName=name)
        except Exception:
            pass

    def test_template_lifecycle(self):
        t = self.template(rule(1), approvalRuleTemplateDescription="one approver")
        name = t["approvalRuleTemplateName"]
        self.assertEqual(t["approvalRuleTemplateDescription"], "one approver")
        self.assertEqual(t["lastModifiedUser"], self.me)
        got = self.cc.get_approval_rule_template(approvalRuleTemplateName=name)
        self.assertEqual(got["approvalRuleTemplate"]["approvalRuleTemplateId"],
                         t["approvalRuleTemplateId"])
        self.assertIn(name, self.cc.list_approval_rule_templates()["approvalRuleTemplateNames"])
        self.assertClientError(self.cc.create_approval_rule_template,
                               "ApprovalRuleTemplateNameAlreadyExistsException",
                               approvalRuleTemplateName=name, approvalRuleTemplateContent=rule(1))
        self.assertClientError(self.cc.create_approval_rule_template,
                               "InvalidApprovalRuleTemplateContentException",
                               approvalRuleTemplateName=unique("bad"),
                               approvalRuleTemplateContent="{}")
        self.assertClientError(self.cc.get_approval_rule_template,
                               "ApprovalRuleTemplateDoesNotExistException",
                               approvalRuleTemplateName=unique("none"))
        self.assertClientError(self.cc.update_approval_rule_template_content,
                               "InvalidRuleContentSha256Exception",
                               approvalRuleTemplateName=name, newRuleContent=rule(2),
                               existingRuleContentSha256="0" * 64)
        out = self.cc.update_approval_rule_template_content(
            approvalRuleTemplateName=name, newRuleContent=rule(2),
            existingRuleContentSha256=t["ruleContentSha256"])["approvalRuleTemplate"]
        self.assertNotEqual(out["ruleContentSha256"], t["ruleContentSha256"])
        out = self.cc.update_approval_rule_template_description(
            approvalRuleTemplateName=name, approvalRuleTemplateDescription="two")
        self.assertEqual(out["approvalRuleTemplate"]["approvalRuleTemplateDescription"], "two")
        new_name = unique("renamed")
        self.addCleanup(self._drop, new_name)
        out = self.cc.update_approval_rule_template_name(oldApprovalRuleTemplateName=name,
                                                         newApprovalRuleTemplateName=new_name)
        self.assertEqual(out["approvalRuleTemplate"]["approvalRuleTemplateId"],
                         t["approvalRuleTemplateId"])
        self.assertClientError(self.cc.get_approval_rule_template,
                               "ApprovalRuleTemplateDoesNotExistException",
                               approvalRuleTemplateName=name)
        out = self.cc.delete_approval_rule_template(approvalRuleTemplateName=new_name)
        self.assertEqual(out["approvalRuleTemplateId"], t["approvalRuleTemplateId"])

    def test_association_applies_to_new_pull_requests(self):
        everywhere = self.template(rule(1))["approvalRuleTemplateName"]
        only_release = self.template(rule(1, dests=["refs/heads/release"]))[
            "approvalRuleTemplateName"]
        self.cc.associate_approval_rule_template_with_repository(
            approvalRuleTemplateName=everywhere, repositoryName=self.repo)
        missing = unique("none")
        out = self.cc.batch_associate_approval_rule_template_with_repositories(
            approvalRuleTemplateName=only_release, repositoryNames=[self.repo, missing])
        self.assertEqual(out["associatedRepositoryNames"], [self.repo])
        self.assertEqual(out["errors"][0]["repositoryName"], missing)
        self.assertEqual(out["errors"][0]["errorCode"], "RepositoryDoesNotExistException")
        assoc = self.cc.list_associated_approval_rule_templates_for_repository(
            repositoryName=self.repo)["approvalRuleTemplateNames"]
        self.assertEqual(sorted(assoc), sorted([everywhere, only_release]))
        self.assertEqual(self.cc.list_repositories_for_approval_rule_template(
            approvalRuleTemplateName=everywhere)["repositoryNames"], [self.repo])
        self.assertClientError(self.cc.delete_approval_rule_template,
                               "ApprovalRuleTemplateInUseException",
                               approvalRuleTemplateName=everywhere)

        pr = self.create()
        rules = pr["approvalRules"]
        self.assertEqual([r["approvalRuleName"] for r in rules], [everywhere])
        self.assertEqual(rules[0]["originApprovalRuleTemplate"]["approvalRuleTemplateName"],
                         everywhere)
        self.assertClientError(self.cc.delete_pull_request_approval_rule,
                               "CannotDeleteApprovalRuleFromTemplateException",
                               pullRequestId=pr["pullRequestId"], approvalRuleName=everywhere)
        self.assertClientError(self.cc.update_pull_request_approval_rule_content,
                               "CannotModifyApprovalRuleFromTemplateException",
                               pullRequestId=pr["pullRequestId"], approvalRuleName=everywhere,
                               newRuleContent=rule(2))

        self.cc.disassociate_approval_rule_template_from_repository(
            approvalRuleTemplateName=everywhere, repositoryName=self.repo)
        self.assertEqual(self.create(title="later")["approvalRules"], [])
        # An existing pull request keeps its rule.
        self.assertEqual(len(self.get(pr["pullRequestId"])["approvalRules"]), 1)
        out = self.cc.batch_disassociate_approval_rule_template_from_repositories(
            approvalRuleTemplateName=only_release, repositoryNames=[self.repo])
        self.assertEqual(out["disassociatedRepositoryNames"], [self.repo])
        self.assertEqual(self.cc.list_associated_approval_rule_templates_for_repository(
            repositoryName=self.repo)["approvalRuleTemplateNames"], [])


    def test_template_bad_input_and_pages(self):
        names = sorted(self.template(rule(1))["approvalRuleTemplateName"] for _ in range(3))
        seen, token = [], None
        while True:
            kw = {"nextToken": token} if token else {}
            page = self.cc.list_approval_rule_templates(maxResults=1, **kw)
            self.assertLessEqual(len(page["approvalRuleTemplateNames"]), 1)
            seen += page["approvalRuleTemplateNames"]
            token = page.get("nextToken")
            if not token:
                break
        for name in names:
            self.assertIn(name, seen)
        self.assertEqual(seen, sorted(seen))
        self.assertClientError(self.cc.list_approval_rule_templates,
                               "InvalidMaxResultsException", maxResults=0)
        self.assertClientError(self.cc.list_approval_rule_templates,
                               "InvalidContinuationTokenException", nextToken="nope")
        self.assertClientError(self.cc.create_approval_rule_template,
                               "InvalidApprovalRuleTemplateNameException",
                               approvalRuleTemplateName="n" * 101,
                               approvalRuleTemplateContent=rule(1))
        self.assertClientError(self.cc.create_approval_rule_template,
                               "InvalidApprovalRuleTemplateDescriptionException",
                               approvalRuleTemplateName=unique("d"),
                               approvalRuleTemplateContent=rule(1),
                               approvalRuleTemplateDescription="d" * 1001)
        self.assertClientError(
            self.cc.batch_associate_approval_rule_template_with_repositories,
            "RepositoryNamesRequiredException", approvalRuleTemplateName=names[0],
            repositoryNames=[])
        self.assertClientError(
            self.cc.batch_associate_approval_rule_template_with_repositories,
            "MaximumRepositoryNamesExceededException", approvalRuleTemplateName=names[0],
            repositoryNames=[f"r{i}" for i in range(101)])
        self.assertClientError(
            self.cc.associate_approval_rule_template_with_repository,
            "ApprovalRuleTemplateDoesNotExistException",
            approvalRuleTemplateName=unique("none"), repositoryName=self.repo)
        self.assertClientError(
            self.cc.associate_approval_rule_template_with_repository,
            "RepositoryDoesNotExistException", approvalRuleTemplateName=names[0],
            repositoryName=unique("none"))
        # The CLI too.
        out = self.srv.aws_json("codecommit", "get-approval-rule-template",
                                "--approval-rule-template-name", names[0])
        self.assertEqual(out["approvalRuleTemplate"]["approvalRuleTemplateName"], names[0])
        rc, _, err = self.srv.aws("codecommit", "create-approval-rule-template",
                                  "--approval-rule-template-name", unique("cli"),
                                  "--approval-rule-template-content", "{}", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("InvalidApprovalRuleTemplateContentException", err)


class TestCli(PullRequestCase):
    def test_cli_create_get(self):
        out = self.srv.aws_json("codecommit", "create-pull-request", "--title", "cli",
                                "--targets",
                                f"repositoryName={self.repo},sourceReference=feature,"
                                "destinationReference=main")
        pid = out["pullRequest"]["pullRequestId"]
        got = self.srv.aws_json("codecommit", "get-pull-request", "--pull-request-id", pid)
        self.assertEqual(got["pullRequest"]["title"], "cli")
        created = got["pullRequest"]["creationDate"]
        self.assertTrue(isinstance(created, (int, float)) or re.match(r"^\d{4}-", created))
        rc, _, err = self.srv.aws("codecommit", "get-pull-request", "--pull-request-id",
                                  "424242424", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("PullRequestDoesNotExistException", err)


if __name__ == "__main__":
    unittest.main()
