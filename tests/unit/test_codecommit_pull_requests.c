/*
 * CodeCommit pull requests, approval rules and approval rule templates,
 * called in process through the operation table: creation and its
 * checks, the record brought up to date with a moved source branch,
 * approvals by another principal and what they satisfy, pool member
 * matching, merges, events in the outbox, and forgetting a deleted
 * repository's pull requests (pull_requests.c, pull_request_merge.c,
 * approval_rules.c, approval_templates.c, pr_events.c).
 */
#include "base/common.h"
#include "aws/api.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/err.h"
#include "services/codecommit/approval_rules.h"
#include "services/codecommit/codecommit.h"
#include "services/codecommit/codecommit_internal.h"
#include "services/codecommit/text.h"
#include "services/common/record.h"

#include <malloc.h>
#include <setjmp.h>

#include <cmocka.h>

#include "codecommit_fixture.h"

struct fixture {
    struct cc_fixture cc;
    struct principal reviewer;
    char base[GIT_OID_HEXSZ + 1];
    char feature[GIT_OID_HEXSZ + 1];
};

/* PutFile on `branch`, returning the new commit id in `out`. */
static void put(struct fixture *f, char out[GIT_OID_HEXSZ + 1], const char *branch,
                const char *parent, const char *path, const char *content)
{
    struct buf b64 = BUF_INIT;
    base64_encode(&b64, content, strlen(content));
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "repositoryName", "app", "branchName",
                           branch, "filePath", path, "fileContent", b64.data, "name", "Test",
                           "email", "t@example.com");
    buf_release(&b64);
    if (parent)
        json_object_set_new(in, "parentCommitId", json_string(parent));
    json_t *r = cc_ok(&f->cc, "PutFile", in);
    snprintf(out, GIT_OID_HEXSZ + 1, "%s", cc_str(r, "commitId"));
    json_decref(r);
}

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    if (iam_fixture_open(&f->cc.iam, "ccpr") < 0)
        return -1;
    *state = f;
    /* Another principal of the account, to approve. */
    cc_fixture_user(&f->reviewer, &f->cc, "team/Mary_Major", "Mary_Major");
    json_decref(cc_ok(&f->cc, "CreateRepository", json_pack("{s:s}", "repositoryName", "app")));
    put(f, f->base, "main", NULL, "a.txt", "one\n");
    json_decref(cc_ok(&f->cc, "CreateBranch",
                      json_pack("{s:s, s:s, s:s}", "repositoryName", "app", "branchName", "feature",
                                "commitId", f->base)));
    put(f, f->feature, "feature", f->base, "b.txt", "bee\n");
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    iam_fixture_close(f->cc.iam);
    free(f);
    return 0;
}

static json_t *target(const char *source, const char *destination)
{
    json_t *t = json_pack("{s:s, s:s}", "repositoryName", "app", "sourceReference", source);
    if (destination)
        json_object_set_new(t, "destinationReference", json_string(destination));
    return json_pack("[o]", t);
}

/* CreatePullRequest feature -> main; returns the PullRequest (caller frees). */
static json_t *create(struct fixture *f, const char *title)
{
    json_t *out =
        cc_ok(&f->cc, "CreatePullRequest",
              json_pack("{s:s, s:o}", "title", title, "targets", target("feature", "main")));
    json_t *pr = json_incref(json_object_get(out, "pullRequest"));
    json_decref(out);
    return pr;
}

static json_t *get(struct fixture *f, const char *id)
{
    json_t *out = cc_ok(&f->cc, "GetPullRequest", json_pack("{s:s}", "pullRequestId", id));
    json_t *pr = json_incref(json_object_get(out, "pullRequest"));
    json_decref(out);
    return pr;
}

static const json_t *target_of(const json_t *pr)
{
    return json_array_get(json_object_get(pr, "pullRequestTargets"), 0);
}

static void test_event_shapes(void **state)
{
    struct fixture *f = *state;
    json_t *pr = create(f, "shaped");
    json_t *e = cc_last_event(&f->cc, "CodeCommit Pull Request State Change", "pullRequestCreated");
    json_t *d = json_object_get(e, "detail");
    assert_string_equal(cc_str(e, "source"), "aws.codecommit");
    assert_string_equal(json_string_value(json_array_get(json_object_get(e, "resources"), 0)),
                        "arn:aws:codecommit:us-east-1:000000000000:app");
    assert_string_equal(cc_str(d, "pullRequestId"), cc_str(pr, "pullRequestId"));
    assert_string_equal(cc_str(d, "author"), f->cc.iam->admin.arn);
    assert_string_equal(cc_str(d, "callerUserArn"), f->cc.iam->admin.arn);
    assert_string_equal(cc_str(d, "isMerged"), "False");
    assert_string_equal(cc_str(d, "pullRequestStatus"), "Open");
    assert_string_equal(cc_str(d, "sourceCommit"), f->feature);
    assert_string_equal(cc_str(d, "destinationReference"), "refs/heads/main");
    assert_string_equal(cc_str(d, "revisionId"), cc_str(pr, "revisionId"));
    assert_string_equal(cc_str(d, "title"), "shaped");
    /* IAM_FIXTURE_T0 is 2023-11-14T22:13:20Z, a Tuesday. */
    assert_string_equal(cc_str(d, "creationDate"), "Tue Nov 14 22:13:20 UTC 2023");
    assert_string_equal(json_string_value(json_array_get(json_object_get(d, "repositoryNames"), 0)),
                        "app");
    json_decref(e);
    json_decref(pr);

    json_decref(cc_ok(&f->cc, "CreateApprovalRuleTemplate",
                      json_pack("{s:s, s:s}", "approvalRuleTemplateName", "t1",
                                "approvalRuleTemplateContent",
                                "{\"Version\":\"2018-11-08\",\"Statements\":[{\"Type\":"
                                "\"Approvers\",\"NumberOfApprovalsNeeded\":1}]}")));
    json_decref(
        cc_ok(&f->cc, "AssociateApprovalRuleTemplateWithRepository",
              json_pack("{s:s, s:s}", "approvalRuleTemplateName", "t1", "repositoryName", "app")));
    e = cc_last_event(&f->cc, "CodeCommit Approval Rule Template Change",
                      "approvalRuleTemplateAssociatedWithRepository");
    d = json_object_get(e, "detail");
    assert_string_equal(cc_str(d, "approvalRuleTemplateName"), "t1");
    assert_int_equal(strlen(cc_str(d, "approvalRuleTemplateContentSha256")), 64);
    assert_non_null(cc_str(json_object_get(d, "repositories"), "app"));
    assert_int_equal(json_array_size(json_object_get(e, "resources")), 1);
    json_decref(e);
    e = cc_last_event(&f->cc, "CodeCommit Approval Rule Template Change",
                      "approvalRuleTemplateCreated");
    assert_int_equal(
        json_object_size(json_object_get(json_object_get(e, "detail"), "repositories")), 0);
    assert_int_equal(json_array_size(json_object_get(e, "resources")), 0);
    json_decref(e);
}

/*
 * Moving a source branch records the refs and, with them, the pull
 * requests' new state, with who moved it as the actor; a later sync finds
 * nothing more to do.
 */
static void test_sync_repository(void **state)
{
    struct fixture *f = *state;
    json_t *pr = create(f, "synced");
    char id[32];
    snprintf(id, sizeof(id), "%s", cc_str(pr, "pullRequestId"));
    json_decref(pr);
    char newer[GIT_OID_HEXSZ + 1];
    put(f, newer, "feature", f->feature, "c.txt", "sea\n");
    struct codecommit_repo loc;
    git_repository *git = NULL;
    assert_int_equal(cc_fixture_repo(&loc, &git, &f->cc, "app"), 0);
    assert_int_equal(
        cc_pull_requests_sync_repository(f->cc.iam->st, NULL, &loc, git, f->reviewer.arn), 0);
    /* Nothing moved since: nothing more. */
    assert_int_equal(cc_pull_requests_sync_repository(f->cc.iam->st, NULL, &loc, git, NULL), 0);
    git_repository_free(git);
    json_t *e = cc_last_event(&f->cc, "CodeCommit Pull Request State Change",
                              "pullRequestSourceBranchUpdated");
    assert_string_equal(cc_str(json_object_get(e, "detail"), "callerUserArn"),
                        f->cc.iam->admin.arn);
    assert_string_equal(cc_str(json_object_get(e, "detail"), "sourceCommit"), newer);
    json_decref(e);
    assert_int_equal(cc_count_events(&f->cc, "CodeCommit Pull Request State Change",
                                     "pullRequestSourceBranchUpdated"),
                     1);
    json_t *out = cc_ok(&f->cc, "DescribePullRequestEvents",
                        json_pack("{s:s, s:s}", "pullRequestId", id, "pullRequestEventType",
                                  "PULL_REQUEST_SOURCE_REFERENCE_UPDATED"));
    json_t *events = json_object_get(out, "pullRequestEvents");
    assert_int_equal(json_array_size(events), 1);
    assert_string_equal(cc_str(json_array_get(events, 0), "actorArn"), f->cc.iam->admin.arn);
    json_decref(out);
}

static void test_create_and_checks(void **state)
{
    struct fixture *f = *state;
    size_t before =
        cc_count_events(&f->cc, "CodeCommit Pull Request State Change", "pullRequestCreated");
    json_t *pr = create(f, "Add b");
    const json_t *t = target_of(pr);
    assert_string_equal(cc_str(pr, "pullRequestStatus"), "OPEN");
    assert_string_equal(cc_str(pr, "authorArn"), f->cc.iam->admin.arn);
    assert_int_equal(strlen(cc_str(pr, "revisionId")), 64);
    assert_string_equal(cc_str(t, "sourceReference"), "refs/heads/feature");
    assert_string_equal(cc_str(t, "sourceCommit"), f->feature);
    assert_string_equal(cc_str(t, "destinationCommit"), f->base);
    assert_string_equal(cc_str(t, "mergeBase"), f->base);
    assert_false(json_is_true(json_object_get(json_object_get(t, "mergeMetadata"), "isMerged")));
    assert_int_equal(
        cc_count_events(&f->cc, "CodeCommit Pull Request State Change", "pullRequestCreated"),
        before + 1);
    json_decref(pr);

    /* The destination defaults to the repository's default branch. */
    json_t *out = cc_ok(&f->cc, "CreatePullRequest",
                        json_pack("{s:s, s:o}", "title", "t", "targets", target("feature", NULL)));
    assert_string_equal(
        cc_str(target_of(json_object_get(out, "pullRequest")), "destinationReference"),
        "refs/heads/main");
    json_decref(out);

    cc_expect_error(&f->cc, "CreatePullRequest",
                    json_pack("{s:s, s:o}", "title", "t", "targets", target("main", "main")),
                    "SourceAndDestinationAreSameException");
    cc_expect_error(&f->cc, "CreatePullRequest",
                    json_pack("{s:s, s:o}", "title", "t", "targets", target("gone", "main")),
                    "ReferenceDoesNotExistException");
    cc_expect_error(&f->cc, "CreatePullRequest",
                    json_pack("{s:s, s:o}", "title", "t", "targets", target("", "main")),
                    "ReferenceNameRequiredException");
    cc_expect_error(&f->cc, "CreatePullRequest",
                    json_pack("{s:s, s:o}", "title", "t", "targets", target("refs/tags/x", "main")),
                    "ReferenceTypeNotSupportedException");
    cc_expect_error(&f->cc, "CreatePullRequest", json_pack("{s:s, s:[]}", "title", "t", "targets"),
                    "TargetsRequiredException");
    cc_expect_error(&f->cc, "CreatePullRequest",
                    json_pack("{s:s, s:[{}]}", "title", "t", "targets"), "TargetRequiredException");
    cc_expect_error(&f->cc, "CreatePullRequest",
                    json_pack("{s:s, s:o, s:s}", "title", "t", "targets", target("feature", "main"),
                              "clientRequestToken", ""),
                    "ClientRequestTokenRequiredException");
    cc_expect_error(&f->cc, "GetPullRequest", json_pack("{s:s}", "pullRequestId", "01"),
                    "InvalidPullRequestIdException");
    cc_expect_error(&f->cc, "GetPullRequest", json_pack("{s:s}", "pullRequestId", "77777"),
                    "PullRequestDoesNotExistException");
}

static void test_source_moves_and_approvals(void **state)
{
    struct fixture *f = *state;
    json_t *pr = create(f, "approve me");
    char id[32];
    snprintf(id, sizeof(id), "%s", cc_str(pr, "pullRequestId"));
    json_decref(cc_ok(&f->cc, "CreatePullRequestApprovalRule",
                      json_pack("{s:s, s:s, s:s}", "pullRequestId", id, "approvalRuleName", "pool",
                                "approvalRuleContent",
                                "{\"Version\": \"2018-11-08\", \"Statements\": [{\"Type\": "
                                "\"Approvers\", \"NumberOfApprovalsNeeded\": 1, "
                                "\"ApprovalPoolMembers\": [\"CodeCommitApprovers:000000000000:"
                                "Mary_*\"]}]}")));
    json_decref(pr);
    pr = get(f, id);
    char rev[65];
    snprintf(rev, sizeof(rev), "%s", cc_str(pr, "revisionId"));
    json_decref(pr);

    /* The author cannot approve; the reviewer can. */
    cc_expect_error(&f->cc, "UpdatePullRequestApprovalState",
                    json_pack("{s:s, s:s, s:s}", "pullRequestId", id, "revisionId", rev,
                              "approvalState", "APPROVE"),
                    "PullRequestCannotBeApprovedByAuthorException");
    json_decref(cc_ok_as(&f->cc, &f->reviewer, "UpdatePullRequestApprovalState",
                         json_pack("{s:s, s:s, s:s}", "pullRequestId", id, "revisionId", rev,
                                   "approvalState", "APPROVE")));
    json_t *ev = cc_ok(&f->cc, "EvaluatePullRequestApprovalRules",
                       json_pack("{s:s, s:s}", "pullRequestId", id, "revisionId", rev));
    assert_true(json_is_true(json_object_get(json_object_get(ev, "evaluation"), "approved")));
    json_decref(ev);
    assert_true(cc_count_events(&f->cc, "CodeCommit Pull Request State Change",
                                "pullRequestApprovalStateChanged") >= 1);

    /* A push to the source: a new revision, without the approval. */
    char newer[GIT_OID_HEXSZ + 1];
    put(f, newer, "feature", f->feature, "c.txt", "sea\n");
    pr = get(f, id);
    assert_string_equal(cc_str(target_of(pr), "sourceCommit"), newer);
    assert_string_not_equal(cc_str(pr, "revisionId"), rev);
    char rev2[65];
    snprintf(rev2, sizeof(rev2), "%s", cc_str(pr, "revisionId"));
    json_decref(pr);
    assert_int_equal(cc_count_events(&f->cc, "CodeCommit Pull Request State Change",
                                     "pullRequestSourceBranchUpdated"),
                     1);
    cc_expect_error(&f->cc, "EvaluatePullRequestApprovalRules",
                    json_pack("{s:s, s:s}", "pullRequestId", id, "revisionId", rev),
                    "RevisionNotCurrentException");
    ev = cc_ok(&f->cc, "EvaluatePullRequestApprovalRules",
               json_pack("{s:s, s:s}", "pullRequestId", id, "revisionId", rev2));
    assert_false(json_is_true(json_object_get(json_object_get(ev, "evaluation"), "approved")));
    json_decref(ev);
    cc_expect_error(&f->cc, "MergePullRequestByFastForward",
                    json_pack("{s:s, s:s}", "pullRequestId", id, "repositoryName", "app"),
                    "PullRequestApprovalRulesNotSatisfiedException");
    cc_expect_error(&f->cc, "MergePullRequestByFastForward",
                    json_pack("{s:s, s:s, s:s}", "pullRequestId", id, "repositoryName", "app",
                              "sourceCommitId", f->feature),
                    "TipOfSourceReferenceIsDifferentException");

    /* Approved again on the new revision, then merged. */
    json_decref(cc_ok_as(&f->cc, &f->reviewer, "UpdatePullRequestApprovalState",
                         json_pack("{s:s, s:s, s:s}", "pullRequestId", id, "revisionId", rev2,
                                   "approvalState", "APPROVE")));
    json_t *out = cc_ok(&f->cc, "MergePullRequestByThreeWay",
                        json_pack("{s:s, s:s, s:s}", "pullRequestId", id, "repositoryName", "app",
                                  "sourceCommitId", newer));
    const json_t *meta =
        json_object_get(target_of(json_object_get(out, "pullRequest")), "mergeMetadata");
    assert_true(json_is_true(json_object_get(meta, "isMerged")));
    assert_string_equal(cc_str(meta, "mergeOption"), "THREE_WAY_MERGE");
    json_decref(out);
    assert_int_equal(cc_count_events(&f->cc, "CodeCommit Pull Request State Change",
                                     "pullRequestMergeStatusUpdated"),
                     1);
    cc_expect_error_as(&f->cc, &f->reviewer, "UpdatePullRequestApprovalState",
                       json_pack("{s:s, s:s, s:s}", "pullRequestId", id, "revisionId", rev2,
                                 "approvalState", "REVOKE"),
                       "PullRequestAlreadyClosedException");
}

static void test_content_check(void **state)
{
    struct fixture *f = *state;
    struct api_call call = {.account_id = IAM_FIXTURE_ACCOUNT, .region = "us-east-1"};
    static const char *const good[] = {
        "{\"Version\":\"2018-11-08\",\"Statements\":[{\"Type\":\"Approvers\","
        "\"NumberOfApprovalsNeeded\":2}]}",
        "{\"Version\":\"2018-11-08\",\"Statements\":[{\"Type\":\"Approvers\","
        "\"NumberOfApprovalsNeeded\":1,\"ApprovalPoolMembers\":["
        "\"arn:aws:sts::123456789012:assumed-role/Reviewers/*\","
        "\"arn:aws:iam::123456789012:user/Mary_Major\","
        "\"CodeCommitApprovers:123456789012:Li_Juan\"]}]}",
    };
    static const char *const bad[] = {
        "[]",
        "{\"Version\":\"2018-11-08\",\"Statements\":[]}",
        "{\"Version\":\"2018-11-08\",\"Statements\":[{\"Type\":\"Voters\","
        "\"NumberOfApprovalsNeeded\":1}]}",
        "{\"Version\":\"2018-11-08\",\"Statements\":[{\"Type\":\"Approvers\","
        "\"NumberOfApprovalsNeeded\":201}]}",
        "{\"Version\":\"2018-11-08\",\"Statements\":[{\"Type\":\"Approvers\","
        "\"NumberOfApprovalsNeeded\":1,\"ApprovalPoolMembers\":[\"CodeCommitApprovers:12:x\"]}]}",
        "{\"Version\":\"2018-11-08\",\"Statements\":[{\"Type\":\"Approvers\","
        "\"NumberOfApprovalsNeeded\":1,\"ApprovalPoolMembers\":[\"arn:aws:iam::123456789012:"
        "role/R\"]}]}",
        "{\"Version\":\"2018-11-08\",\"Extra\":1,\"Statements\":[{\"Type\":\"Approvers\","
        "\"NumberOfApprovalsNeeded\":1}]}",
    };
    (void)f;
    for (size_t i = 0; i < ARRAY_SIZE(good); i++)
        assert_int_equal(cc_approval_content_check(&call, good[i], false, "X"), 0);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_int_equal(cc_approval_content_check(&call, bad[i], false, "X"), ERR_INVALID);
        assert_string_equal(call.error_code, "X");
        json_decref(call.error_fields);
        call.error_fields = NULL;
    }
    const char *with_dest = "{\"Version\":\"2018-11-08\",\"DestinationReferences\":["
                            "\"refs/heads/main\"],\"Statements\":[{\"Type\":\"Approvers\","
                            "\"NumberOfApprovalsNeeded\":1}]}";
    assert_int_equal(cc_approval_content_check(&call, with_dest, true, "X"), 0);
    assert_int_equal(cc_approval_content_check(&call, with_dest, false, "X"), ERR_INVALID);
    assert_true(cc_template_applies(with_dest, "refs/heads/main"));
    assert_false(cc_template_applies(with_dest, "refs/heads/dev"));
}

static void test_templates_and_forget(void **state)
{
    struct fixture *f = *state;
    json_decref(cc_ok(&f->cc, "CreateApprovalRuleTemplate",
                      json_pack("{s:s, s:s}", "approvalRuleTemplateName", "main-needs-one",
                                "approvalRuleTemplateContent",
                                "{\"Version\":\"2018-11-08\",\"DestinationReferences\":["
                                "\"refs/heads/main\"],\"Statements\":[{\"Type\":\"Approvers\","
                                "\"NumberOfApprovalsNeeded\":1}]}")));
    assert_int_equal(cc_count_events(&f->cc, "CodeCommit Approval Rule Template Change",
                                     "approvalRuleTemplateCreated"),
                     1);
    json_decref(cc_ok(&f->cc, "AssociateApprovalRuleTemplateWithRepository",
                      json_pack("{s:s, s:s}", "approvalRuleTemplateName", "main-needs-one",
                                "repositoryName", "app")));
    json_t *pr = create(f, "templated");
    json_t *rules = json_object_get(pr, "approvalRules");
    assert_int_equal(json_array_size(rules), 1);
    assert_string_equal(
        cc_str(json_object_get(json_array_get(rules, 0), "originApprovalRuleTemplate"),
               "approvalRuleTemplateName"),
        "main-needs-one");
    char id[32];
    snprintf(id, sizeof(id), "%s", cc_str(pr, "pullRequestId"));
    json_decref(pr);
    cc_expect_error(&f->cc, "DeleteApprovalRuleTemplate",
                    json_pack("{s:s}", "approvalRuleTemplateName", "main-needs-one"),
                    "ApprovalRuleTemplateInUseException");

    /* A deleted repository takes its pull requests and associations along. */
    struct codecommit_repo loc;
    assert_int_equal(cc_fixture_repo(&loc, NULL, &f->cc, "app"), 0);
    struct api_call where = {.account_id = IAM_FIXTURE_ACCOUNT, .region = "us-east-1"};
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    assert_int_equal(store_tx_begin(&tx, f->cc.iam->st), 0);
    assert_int_equal(cc_pull_requests_forget_repository(f->cc.iam->st, tx, &where, loc.id), 0);
    assert_int_equal(store_tx_commit(TAKE_PTR(tx)), 0);
    cc_expect_error(&f->cc, "GetPullRequest", json_pack("{s:s}", "pullRequestId", id),
                    "PullRequestDoesNotExistException");
    json_t *out = cc_ok(&f->cc, "ListPullRequests", json_pack("{s:s}", "repositoryName", "app"));
    assert_int_equal(json_array_size(json_object_get(out, "pullRequestIds")), 0);
    json_decref(out);
    json_decref(cc_ok(&f->cc, "DeleteApprovalRuleTemplate",
                      json_pack("{s:s}", "approvalRuleTemplateName", "main-needs-one")));
}

/* jansson's free, scribbling over what it frees, so a read of a freed
 * value reads garbage instead of what was there. */
static void scribbling_free(void *p)
{
    if (p)
        memset(p, 0xa5, malloc_usable_size(p));
    free(p);
}

/*
 * Deleting an approval rule: its event tells which rule went, read from
 * the rule before it is removed (and freed) from the pull request.
 */
static void test_delete_rule_event(void **state)
{
    struct fixture *f = *state;
    json_t *pr = create(f, "rules");
    char id[32];
    snprintf(id, sizeof(id), "%s", cc_str(pr, "pullRequestId"));
    json_decref(pr);
    json_t *out = cc_ok(&f->cc, "CreatePullRequestApprovalRule",
                        json_pack("{s:s, s:s, s:s}", "pullRequestId", id, "approvalRuleName",
                                  "gone", "approvalRuleContent",
                                  "{\"Version\":\"2018-11-08\",\"Statements\":[{\"Type\":"
                                  "\"Approvers\",\"NumberOfApprovalsNeeded\":1}]}"));
    char rule_id[64];
    snprintf(rule_id, sizeof(rule_id), "%s",
             cc_str(json_object_get(out, "approvalRule"), "approvalRuleId"));
    json_decref(out);
    json_set_alloc_funcs(malloc, scribbling_free);
    out = cc_ok(&f->cc, "DeletePullRequestApprovalRule",
                json_pack("{s:s, s:s}", "pullRequestId", id, "approvalRuleName", "gone"));
    json_set_alloc_funcs(malloc, free);
    assert_string_equal(cc_str(out, "approvalRuleId"), rule_id);
    json_decref(out);
    json_t *e = cc_last_event(&f->cc, "CodeCommit Pull Request State Change",
                              "pullRequestApprovalRuleDeleted");
    json_t *d = json_object_get(e, "detail");
    assert_string_equal(cc_str(d, "approvalRuleName"), "gone");
    assert_string_equal(cc_str(d, "approvalRuleId"), rule_id);
    assert_int_equal(strlen(cc_str(d, "approvalRuleContentSha256") ?: ""), 64);
    json_decref(e);
}

/*
 * Approval rule content of exactly `chars` characters (code points), most
 * of them three-byte ones: pool members with long Japanese user names,
 * padded with blanks.
 */
static char *content_of_chars(size_t chars)
{
    char *name = cc_repeat("\xe6\x97\xa5", 300); /* U+65E5, 3 bytes */
    struct buf b = BUF_INIT;
    buf_adds(&b, "{\"Version\":\"2018-11-08\",\"Statements\":[{\"Type\":\"Approvers\","
                 "\"NumberOfApprovalsNeeded\":1,\"ApprovalPoolMembers\":[");
    for (int i = 0; i < 8; i++)
        buf_addf(&b, "%s\"arn:aws:iam::%s:user/%d%s\"", i ? "," : "", IAM_FIXTURE_ACCOUNT, i, name);
    buf_adds(&b, "]}]");
    free(name);
    size_t have = cc_char_count(b.data) + 1;
    assert_true(have <= chars);
    for (; have < chars; have++)
        buf_addch(&b, ' ');
    buf_addch(&b, '}');
    assert_int_equal(cc_char_count(b.data), chars);
    return buf_detach(&b, NULL);
}

/* Whether `s` ends with `suffix`. */
static bool ends_with(const char *s, const char *suffix)
{
    size_t len = strlen(s ?: ""), slen = strlen(suffix);
    return s && len >= slen && strcmp(s + len - slen, suffix) == 0;
}

/*
 * Limits AWS states in characters count characters, not bytes: at the
 * limit in three-byte characters passes, one more fails. Notification
 * texts are never cut, also where they pass a kilobyte (a long IAM path,
 * a long multi-byte branch name and title).
 */
static void test_multibyte_limits_and_long_texts(void **state)
{
    struct fixture *f = *state;
    struct principal who;
    cc_fixture_long_user(&who, &f->cc, 45);
    char *branch = cc_repeat("\xe3\x83\x96", 80); /* U+30D6, 240 bytes */
    json_decref(cc_ok(&f->cc, "CreateBranch",
                      json_pack("{s:s, s:s, s:s}", "repositoryName", "app", "branchName", branch,
                                "commitId", f->feature)));
    char *title = cc_repeat("\xe6\x97\xa5", CC_TITLE_MAX);
    json_t *out =
        cc_ok_as(&f->cc, &who, "CreatePullRequest",
                 json_pack("{s:s, s:o}", "title", title, "targets", target(branch, "main")));
    char id[32];
    snprintf(id, sizeof(id), "%s", cc_str(json_object_get(out, "pullRequest"), "pullRequestId"));
    json_decref(out);
    json_t *e = cc_last_event(&f->cc, "CodeCommit Pull Request State Change", "pullRequestCreated");
    const char *body = cc_str(json_object_get(e, "detail"), "notificationBody");
    assert_non_null(body);
    assert_true(strlen(body) > 1024);
    assert_non_null(strstr(body, title));
    assert_non_null(strstr(body, who.arn));
    assert_true(ends_with(body, "The pull request is open."));
    json_decref(e);

    char *longer = cc_repeat("\xe6\x97\xa5", CC_TITLE_MAX + 1);
    cc_expect_error(&f->cc, "CreatePullRequest",
                    json_pack("{s:s, s:o}", "title", longer, "targets", target(branch, "main")),
                    "InvalidTitleException");
    cc_expect_error(&f->cc, "UpdatePullRequestTitle",
                    json_pack("{s:s, s:s}", "pullRequestId", id, "title", longer),
                    "InvalidTitleException");
    json_decref(cc_ok(&f->cc, "UpdatePullRequestTitle",
                      json_pack("{s:s, s:s}", "pullRequestId", id, "title", title)));
    free(longer);
    char *description = cc_repeat("\xc3\xa9", CC_PR_DESCRIPTION_MAX); /* U+00E9, 2 bytes */
    json_decref(cc_ok(&f->cc, "UpdatePullRequestDescription",
                      json_pack("{s:s, s:s}", "pullRequestId", id, "description", description)));
    free(description);
    description = cc_repeat("\xc3\xa9", CC_PR_DESCRIPTION_MAX + 1);
    cc_expect_error(&f->cc, "UpdatePullRequestDescription",
                    json_pack("{s:s, s:s}", "pullRequestId", id, "description", description),
                    "InvalidDescriptionException");
    free(description);

    /* Approval rules: name and content. */
    char *name = cc_repeat("\xe6\x97\xa5", CC_RULE_NAME_MAX);
    char *content = content_of_chars(CC_RULE_CONTENT_MAX);
    json_decref(cc_ok(&f->cc, "CreatePullRequestApprovalRule",
                      json_pack("{s:s, s:s, s:s}", "pullRequestId", id, "approvalRuleName", name,
                                "approvalRuleContent", content)));
    free(name);
    free(content);
    name = cc_repeat("\xe6\x97\xa5", CC_RULE_NAME_MAX + 1);
    cc_expect_error(&f->cc, "CreatePullRequestApprovalRule",
                    json_pack("{s:s, s:s, s:s}", "pullRequestId", id, "approvalRuleName", name,
                              "approvalRuleContent", "{}"),
                    "InvalidApprovalRuleNameException");
    free(name);
    content = content_of_chars(CC_RULE_CONTENT_MAX + 1);
    cc_expect_error(&f->cc, "CreatePullRequestApprovalRule",
                    json_pack("{s:s, s:s, s:s}", "pullRequestId", id, "approvalRuleName", "r",
                              "approvalRuleContent", content),
                    "InvalidApprovalRuleContentException");
    free(content);

    /* Templates: name, description and content, and the text of their
     * event with a long caller ARN and name. */
    name = cc_repeat("\xe6\x97\xa5", 100);
    content = content_of_chars(CC_RULE_CONTENT_MAX);
    description = cc_repeat("\xc3\xa9", 1000);
    out = cc_ok_as(&f->cc, &who, "CreateApprovalRuleTemplate",
                   json_pack("{s:s, s:s, s:s}", "approvalRuleTemplateName", name,
                             "approvalRuleTemplateContent", content,
                             "approvalRuleTemplateDescription", description));
    char suffix[80];
    snprintf(suffix, sizeof(suffix), "(ID %s).",
             cc_str(json_object_get(out, "approvalRuleTemplate"), "approvalRuleTemplateId"));
    json_decref(out);
    e = cc_last_event(&f->cc, "CodeCommit Approval Rule Template Change",
                      "approvalRuleTemplateCreated");
    body = cc_str(json_object_get(e, "detail"), "notificationBody");
    assert_non_null(body);
    assert_non_null(strstr(body, name));
    assert_true(ends_with(body, suffix));
    json_decref(e);
    free(name);
    free(content);
    free(description);
    name = cc_repeat("\xe6\x97\xa5", 101);
    cc_expect_error(&f->cc, "CreateApprovalRuleTemplate",
                    json_pack("{s:s, s:s}", "approvalRuleTemplateName", name,
                              "approvalRuleTemplateContent", "{}"),
                    "InvalidApprovalRuleTemplateNameException");
    free(name);
    content = content_of_chars(CC_RULE_CONTENT_MAX + 1);
    cc_expect_error(&f->cc, "CreateApprovalRuleTemplate",
                    json_pack("{s:s, s:s}", "approvalRuleTemplateName", "t",
                              "approvalRuleTemplateContent", content),
                    "InvalidApprovalRuleTemplateContentException");
    free(content);
    description = cc_repeat("\xc3\xa9", 1001);
    cc_expect_error(&f->cc, "UpdateApprovalRuleTemplateDescription",
                    json_pack("{s:s, s:s}", "approvalRuleTemplateName", "t",
                              "approvalRuleTemplateDescription", description),
                    "InvalidApprovalRuleTemplateDescriptionException");
    free(description);
    free(title);
    free(branch);
}

/* Approval pool members: '*' is the only wildcard; '?' and '[' stand for
 * themselves. */
static void test_pool_member_wildcards(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *member; /* after "arn:aws:iam::ACCOUNT:" or a CodeCommitApprovers entry */
        bool approves;
    } cases[] = {
        {"user/team/Mary_Major", true},
        {"user/team/*", true},
        {"user/*Major", true},
        {"user/*/Mary*Major", true},
        {"user/*Mary*Mary*", false},
        {"user/team/Mary?Major", false},
        {"user/team/[M]ary_Major", false},
        {"user/team/Mary[_]Major", false},
        {"CodeCommitApprovers:" IAM_FIXTURE_ACCOUNT ":Mary*", true},
        {"CodeCommitApprovers:" IAM_FIXTURE_ACCOUNT ":Mary?Major", false},
        {"CodeCommitApprovers:" IAM_FIXTURE_ACCOUNT ":[M]ary_Major", false},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *pr = create(f, "pool");
        char id[32], rev[65];
        snprintf(id, sizeof(id), "%s", cc_str(pr, "pullRequestId"));
        snprintf(rev, sizeof(rev), "%s", cc_str(pr, "revisionId"));
        json_decref(pr);
        struct buf member = BUF_INIT;
        if (strncmp(cases[i].member, "CodeCommitApprovers:", 20) == 0)
            buf_adds(&member, cases[i].member);
        else
            buf_addf(&member, "arn:aws:iam::%s:%s", IAM_FIXTURE_ACCOUNT, cases[i].member);
        json_t *content = json_pack("{s:s, s:[{s:s, s:i, s:[s]}]}", "Version", "2018-11-08",
                                    "Statements", "Type", "Approvers", "NumberOfApprovalsNeeded", 1,
                                    "ApprovalPoolMembers", member.data);
        char *text = json_dumps(content, JSON_COMPACT);
        json_decref(content);
        buf_release(&member);
        json_decref(cc_ok(&f->cc, "CreatePullRequestApprovalRule",
                          json_pack("{s:s, s:s, s:s}", "pullRequestId", id, "approvalRuleName",
                                    "pool", "approvalRuleContent", text)));
        free(text);
        json_decref(cc_ok_as(&f->cc, &f->reviewer, "UpdatePullRequestApprovalState",
                             json_pack("{s:s, s:s, s:s}", "pullRequestId", id, "revisionId", rev,
                                       "approvalState", "APPROVE")));
        json_t *ev = cc_ok(&f->cc, "EvaluatePullRequestApprovalRules",
                           json_pack("{s:s, s:s}", "pullRequestId", id, "revisionId", rev));
        bool approved =
            json_is_true(json_object_get(json_object_get(ev, "evaluation"), "approved"));
        json_decref(ev);
        if (approved != cases[i].approves)
            fail_msg("pool member %s: approved %d, expected %d", cases[i].member, approved,
                     cases[i].approves);
        json_decref(
            cc_ok(&f->cc, "UpdatePullRequestStatus",
                  json_pack("{s:s, s:s}", "pullRequestId", id, "pullRequestStatus", "CLOSED")));
    }
}

/*
 * A pull request record is written back in the transaction that read it,
 * so its version cannot have moved; if it did, that is a fault of the
 * server (InternalFailure), not ConcurrentModificationException, which no
 * CodeCommit operation declares.
 */
static void test_stale_save_is_internal(void **state)
{
    struct fixture *f = *state;
    json_t *created = create(f, "stale");
    char id[32];
    snprintf(id, sizeof(id), "%s", cc_str(created, "pullRequestId"));
    json_decref(created);
    struct api_call call = {.account_id = IAM_FIXTURE_ACCOUNT,
                            .region = "us-east-1",
                            .partition = "aws",
                            .store = f->cc.iam->st,
                            .principal = &f->cc.iam->admin,
                            .download = {.fd = -1}};
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, &call);
    struct cc_pr pr;
    memset(&pr, 0, sizeof(pr));
    assert_int_equal(
        record_get(&pr.record, &pr.version, call.store, NULL, CC_KIND_PULL_REQUEST, scope, id), 0);
    json_decref(cc_ok(&f->cc, "UpdatePullRequestTitle",
                      json_pack("{s:s, s:s}", "pullRequestId", id, "title", "moved")));
    struct store_tx *tx = NULL;
    assert_int_equal(store_tx_begin(&tx, call.store), 0);
    err_clear();
    int rc = cc_pr_save(&call, tx, &pr);
    store_tx_rollback(tx);
    json_decref(pr.record);
    json_decref(call.error_fields);
    assert_int_equal(rc, ERR_INTERNAL);
    assert_string_equal(call.error_code, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_moves_and_approvals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_content_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_repository, setup, teardown),
        cmocka_unit_test_setup_teardown(test_templates_and_forget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_rule_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multibyte_limits_and_long_texts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_member_wildcards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_save_is_internal, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
