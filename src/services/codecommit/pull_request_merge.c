#include "base/common.h"
#include "services/codecommit/approval_rules.h"

#include <ctype.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "services/codecommit/merge.h"
#include "services/common/record.h"

/*
 * MergePullRequestByFastForward / BySquash / ByThreeWay: the pull request's
 * source commit is merged into its destination branch by the merge engine
 * (which moves the branch and records its event), then the pull request is
 * closed with its merge metadata. The merge is refused unless the source
 * branch is still where the caller saw it and the approval rules are
 * satisfied or overridden.
 */

static const char *option_name(enum cc_merge_strategy strategy)
{
    switch (strategy) {
    case CC_MERGE_FAST_FORWARD:
        return "FAST_FORWARD_MERGE";
    case CC_MERGE_SQUASH:
        return "SQUASH_MERGE";
    case CC_MERGE_THREE_WAY:
        return "THREE_WAY_MERGE";
    }
    return "";
}

static int repository_matches(struct api_call *call, const struct cc_pr *pr, const char *name)
{
    int rc = cc_repo_name_check(call, name);
    if (rc < 0)
        return rc;
    if (strcmp(name, pr->repo.loc.name) == 0)
        return 0;
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    bool exists = false;
    if ((rc = record_exists(&exists, call->store, NULL, CC_KIND_REPOSITORY, scope, name)) < 0)
        return rc;
    if (!exists)
        return api_error(call, ERR_NOT_FOUND, "RepositoryDoesNotExistException",
                         "%s does not exist", name);
    return api_error(call, ERR_INVALID, "RepositoryNotAssociatedWithPullRequestException",
                     "The repository '%s' does not contain any pull requests with the pull "
                     "request ID %s. Use GetPullRequest to verify the correct repository name for "
                     "the pull request ID.",
                     name, cc_str(pr->record, "pullRequestId"));
}

static int source_check(struct api_call *call, const struct cc_pr *pr, const char *commit_id)
{
    if (!commit_id)
        return 0;
    bool hex = strlen(commit_id) == GIT_OID_HEXSZ;
    for (size_t i = 0; hex && commit_id[i]; i++)
        hex = isxdigit((unsigned char)commit_id[i]);
    if (!hex)
        return api_error(call, ERR_INVALID, "InvalidCommitIdException",
                         "The specified commit ID '%s' is not valid.", commit_id);
    if (strcasecmp(commit_id, cc_str(pr->record, "sourceCommit") ?: "") != 0)
        return api_error(call, ERR_CONFLICT, "TipOfSourceReferenceIsDifferentException",
                         "The tip of the source branch in the destination repository does not "
                         "match the tip of the source branch specified in your request. The pull "
                         "request might have been updated. Make sure that you have the latest "
                         "changes.");
    return 0;
}

static int approvals_check(struct api_call *call, const struct cc_pr *pr)
{
    json_t *evaluation = cc_approval_evaluate(pr->record);
    bool ok = json_is_true(json_object_get(evaluation, "approved")) ||
              json_is_true(json_object_get(evaluation, "overridden"));
    json_decref(evaluation);
    if (!ok)
        return api_error(call, ERR_INVALID, "PullRequestApprovalRulesNotSatisfiedException",
                         "The pull request cannot be merged because one or more approval rules "
                         "applied to the pull request have conditions that have not been met.");
    return 0;
}

/* Closes the merged pull request: record, event and outbox in one transaction. */
static int pr_close_merged(struct api_call *call, struct cc_pr *pr, enum cc_merge_strategy strategy,
                           const git_oid *result)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    int rc = store_tx_begin(&tx, call->store);
    if (rc < 0)
        return rc;
    /* The record as it is now, not brought up to date with the branches:
     * the merge just moved the destination, and it is this merge, not one
     * outside the pull request, that the record must tell. */
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    json_t *fresh = NULL;
    int64_t version = 0;
    rc = record_get(&fresh, &version, call->store, tx, CC_KIND_PULL_REQUEST, scope,
                    cc_str(pr->record, "pullRequestId"));
    if (rc < 0)
        return rc;
    /* Another merge of this pull request closed it meanwhile: it told the
     * story already, and this one must not tell it again. */
    if (strcmp(cc_str(fresh, "pullRequestStatus") ?: "", "OPEN") != 0) {
        json_decref(fresh);
        return api_error(call, ERR_CONFLICT, "PullRequestAlreadyClosedException",
                         "The pull request %s was merged or closed by another request while "
                         "this one was merging it.",
                         cc_str(pr->record, "pullRequestId"));
    }
    json_decref(pr->record);
    pr->record = fresh;
    pr->version = version;
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof(hex), result);
    json_t *r = pr->record;
    json_object_set_new(r, "pullRequestStatus", json_string("CLOSED"));
    json_object_set_new(r, "mergeMetadata",
                        json_pack("{s:b, s:s, s:s, s:s}", "isMerged", 1, "mergedBy",
                                  cc_caller_arn(call), "mergeCommitId", hex, "mergeOption",
                                  option_name(strategy)));
    json_object_set_new(r, "lastActivityDate", json_integer(clock_now_ms()));
    cc_pr_new_revision(r, true);
    cc_pr_event_add(r, call, "PULL_REQUEST_MERGE_STATE_CHANGED",
                    "pullRequestMergedStateChangedEventMetadata",
                    json_pack("{s:s, s:O, s:O}", "repositoryName", pr->repo.loc.name,
                              "destinationReference", json_object_get(r, "destinationReference"),
                              "mergeMetadata", json_object_get(r, "mergeMetadata")));
    rc = cc_pr_save(call, tx, pr);
    if (rc == 0)
        rc = cc_pr_outbox(call, tx, pr, "pullRequestMergeStatusUpdated", NULL);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    return rc;
}

static int merge_pull_request(struct api_call *call, json_t *in, json_t **out,
                              enum cc_merge_strategy strategy)
{
    struct cc_pr pr;
    int rc = cc_pr_open(&pr, call, cc_str(in, "pullRequestId"), NULL, NULL);
    if (rc < 0)
        return rc;
    if ((rc = repository_matches(call, &pr, cc_str(in, "repositoryName"))) < 0 ||
        (rc = cc_pr_require_open(call, &pr)) < 0 ||
        (rc = source_check(call, &pr, cc_str(in, "sourceCommitId"))) < 0 ||
        (rc = approvals_check(call, &pr)) < 0)
        goto done;

    const char *dst_ref = cc_str(pr.record, "destinationReference") ?: "";
    const char *dst_branch = strncmp(dst_ref, "refs/heads/", 11) == 0 ? dst_ref + 11 : dst_ref;
    git_oid dst_tip;
    if (git_reference_name_to_id(&dst_tip, pr.repo.git, dst_ref) < 0) {
        rc = api_error(call, ERR_NOT_FOUND, "ReferenceDoesNotExistException",
                       "The destination branch '%s' of the pull request does not exist.",
                       dst_branch);
        goto done;
    }
    struct buf message = BUF_INIT;
    const char *commit_message = cc_str(in, "commitMessage");
    if (strategy != CC_MERGE_FAST_FORWARD && (!commit_message || !commit_message[0])) {
        buf_addf(&message, "Merged pull request %s: %s", cc_str(pr.record, "pullRequestId"),
                 cc_str(pr.record, "title") ?: "");
        commit_message = message.data;
    }
    struct cc_merge_request req = {
        .strategy = strategy,
        .source = cc_str(pr.record, "sourceCommit"),
        .source_member = "sourceCommitId",
        .destination = dst_branch,
        .destination_member = "destinationReference",
        .target_branch = dst_branch,
        .conflict_detail_level = cc_str(in, "conflictDetailLevel"),
        .conflict_resolution_strategy = cc_str(in, "conflictResolutionStrategy"),
        .author_name = cc_str(in, "authorName"),
        .email = cc_str(in, "email"),
        .commit_message = commit_message,
        .keep_empty_folders = json_is_true(json_object_get(in, "keepEmptyFolders")),
        .conflict_resolution = json_object_get(in, "conflictResolution"),
    };
    git_oid result, tree;
    cc_pr_merging(cc_str(pr.record, "pullRequestId"));
    rc = cc_merge_run(&result, &tree, call, &pr.repo, &req);
    cc_pr_merging(NULL);
    buf_release(&message);
    if (rc == 0)
        rc = pr_close_merged(call, &pr, strategy, &result);
    if (rc == 0)
        *out = json_pack("{s:o}", "pullRequest", cc_pr_json(&pr));
done:
    cc_pr_close(&pr);
    return rc;
}

int cc_merge_pull_request_by_fast_forward(struct api_call *call, json_t *in, json_t **out)
{
    return merge_pull_request(call, in, out, CC_MERGE_FAST_FORWARD);
}

int cc_merge_pull_request_by_squash(struct api_call *call, json_t *in, json_t **out)
{
    return merge_pull_request(call, in, out, CC_MERGE_SQUASH);
}

int cc_merge_pull_request_by_three_way(struct api_call *call, json_t *in, json_t **out)
{
    return merge_pull_request(call, in, out, CC_MERGE_THREE_WAY);
}
