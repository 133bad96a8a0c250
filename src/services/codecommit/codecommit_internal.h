#ifndef SLIPWAY_SERVICES_CODECOMMIT_CODECOMMIT_INTERNAL_H
#define SLIPWAY_SERVICES_CODECOMMIT_CODECOMMIT_INTERNAL_H

#include <git2.h>
#include <jansson.h>

#include "aws/api.h"
#include "services/codecommit/codecommit.h"
#include "store/store.h"

/*
 * Records (scope "ACCOUNT/REGION" unless said otherwise):
 *
 *   CC_KIND_REPOSITORY   named by repository name: the RepositoryMetadata
 *                        members as stored ("repositoryId", "repositoryName",
 *                        "repositoryDescription", "defaultBranch",
 *                        "creationDate", "lastModifiedDate" in ms, "tags"
 *                        {key: value}).
 *   CC_KIND_REPOSITORY_ID  scope "all", named by repositoryId:
 *                        {"accountId", "region", "repositoryName"}, so a
 *                        rename moves one record and start-up can find every
 *                        repository.
 *   CC_KIND_REFS         scope "all", named by repositoryId: {"refs":
 *                        {"refs/heads/main": "<commit id>", ...}}, the ref
 *                        state the events have been written for.
 *   CC_KIND_COMMENT, CC_KIND_COMMENT_ID, CC_KIND_COMMENT_TOKEN,
 *   CC_KIND_TRIGGERS     comments (named "<repositoryId>/<commentId>", with
 *                        their reactions), the comment id index (named by
 *                        commentId), idempotency tokens (named
 *                        "<repositoryId>/<token>") and triggers (named by
 *                        repositoryId): see comments.h.
 *   CC_KIND_PULL_REQUEST, CC_KIND_PULL_REQUEST_INDEX, CC_KIND_PULL_REQUEST_TOKEN,
 *   CC_KIND_PULL_REQUEST_SEQ, CC_KIND_APPROVAL_TEMPLATE
 *                        pull requests (named by pullRequestId, with
 *                        "repositoryId", their approval rules, approvals by
 *                        revision and events, and "pullRequestTargets" in
 *                        the PullRequest shape plus "repositoryId"), their
 *                        index per repository (named "<repositoryId>/<id
 *                        zero-padded to 20 digits>": {"pullRequestId",
 *                        "pullRequestStatus", "authorArn"}), the client
 *                        request tokens CreatePullRequest has seen (named by
 *                        token), the last pullRequestId given ("last"), and
 *                        approval rule templates (named by template name,
 *                        with the "repositoryIds" they are associated with):
 *                        see approval_rules.h.
 *
 * The bare repository of id X is <data>/codecommit/X.git; it never moves.
 */
#define CC_KIND_REPOSITORY    "codecommit.repository"
#define CC_KIND_REPOSITORY_ID "codecommit.repository_id"
#define CC_KIND_REFS          "codecommit.refs"
#define CC_SCOPE_MAX          64
#define CC_DIR                "codecommit"

/* AWS's limits. */
#define CC_REPOSITORIES_MAX   5000 /* per account and region */
#define CC_DESCRIPTION_MAX    1000
#define CC_FILE_CONTENT_MAX   (6 * 1024 * 1024) /* PutFile, CreateCommit, GetFile */
#define CC_BLOB_MAX           (6 * 1024 * 1024)
#define CC_COMMIT_MESSAGE_MAX (256 * 1024)

void cc_scope(char out[CC_SCOPE_MAX], const struct api_call *call);

/* A string member of `obj`, NULL when absent or not a string. */
const char *cc_str(const json_t *obj, const char *name);

/* libgit2, initialised once per process. */
void cc_git_init(void);

/* The last libgit2 error's message, never NULL. */
const char *cc_git_message(void);

/*
 * Fails the call with the last libgit2 error as an internal error naming
 * `what` ("cannot read the tree"); returns ERR_INTERNAL.
 */
int cc_git_fail(struct api_call *call, const char *what);

/*
 * The repository a request names, checked, authorized and opened:
 *   - name missing: RepositoryNameRequiredException;
 *   - not matching the model's pattern or ending in ".git":
 *     InvalidRepositoryNameException;
 *   - absent: RepositoryDoesNotExistException "NAME does not exist";
 *   - api_authorize(action, repository ARN); `action` NULL means the call's
 *     own ("codecommit:GetFile").
 * On success `out` holds the location, the record and the open repository;
 * release it with cc_repo_close() (which accepts a zeroed one).
 */
struct cc_repo {
    struct codecommit_repo loc;
    json_t *record;
    int64_t version;
    git_repository *git;
};
int cc_repo_open(struct cc_repo *out, struct api_call *call, const char *name, const char *action);
void cc_repo_close(struct cc_repo *repo);

/* Checks a repository name as CreateRepository does (see cc_repo_open). */
int cc_repo_name_check(struct api_call *call, const char *name);

/* The location of a stored repository record (ARN, directory). */
void cc_repo_locate(struct codecommit_repo *out, const struct api_call *call, const json_t *record);

/* The RepositoryMetadata the API returns for a record. */
json_t *cc_repo_metadata(const struct api_call *call, const json_t *record);

/*
 * Records the refs of `repo` as they are on disk, with events for every
 * change since the last record, inside `tx` (or a transaction of its own
 * when NULL). `caller_arn` may be NULL. Every handler that moves a ref
 * through libgit2 calls it after the move, with the caller's ARN.
 */
int cc_refs_record(struct store *st, struct store_tx *tx, const struct codecommit_repo *repo,
                   git_repository *git, const char *caller_arn);

/*
 * Moves ref `refname` ("refs/heads/main") from `expected` (NULL: the ref
 * must not exist) to `target`, atomically against concurrent pushes: the
 * move happens only if the ref still points where the caller saw it, else
 * ERR_CONFLICT with err_msg() set. Then records it (cc_refs_record) with
 * the call's principal as the caller.
 */
int cc_ref_move(struct api_call *call, struct cc_repo *repo, const char *refname,
                const git_oid *expected, const git_oid *target, const char *log_message);

/*
 * A commit specifier (a branch name, a full ref, a tag, or a full or
 * abbreviated commit id) resolved to a commit. `member` names the input
 * member for messages ("commitSpecifier", "sourceCommitSpecifier").
 * Errors: CommitRequiredException when `spec` is NULL or empty,
 * CommitDoesNotExistException when it names nothing,
 * InvalidCommitException when it names something that is not a commit.
 */
int cc_commit_resolve(git_commit **out, struct api_call *call, git_repository *git,
                      const char *spec, const char *member);

/* Branch names: the model's 1..256, git's ref name rules, and CodeCommit's
 * own: not "@", not 40 hexadecimal digits. */
int cc_branch_name_check(struct api_call *call, const char *name, const char *member);

/* A commit as the API's Commit shape (commitId, treeId, parents, message,
 * author, committer, additionalData). */
json_t *cc_commit_json(const git_commit *commit);

/* Handlers, by file. */

/* repositories.c */
int cc_create_repository(struct api_call *call, json_t *in, json_t **out);
int cc_get_repository(struct api_call *call, json_t *in, json_t **out);
int cc_batch_get_repositories(struct api_call *call, json_t *in, json_t **out);
int cc_list_repositories(struct api_call *call, json_t *in, json_t **out);
int cc_delete_repository(struct api_call *call, json_t *in, json_t **out);
int cc_update_repository_name(struct api_call *call, json_t *in, json_t **out);
int cc_update_repository_description(struct api_call *call, json_t *in, json_t **out);
int cc_update_default_branch(struct api_call *call, json_t *in, json_t **out);
int cc_tag_resource(struct api_call *call, json_t *in, json_t **out);
int cc_untag_resource(struct api_call *call, json_t *in, json_t **out);
int cc_list_tags_for_resource(struct api_call *call, json_t *in, json_t **out);

/*
 * Removes every record an area keeps for a repository being deleted, inside
 * the deleting transaction (repositories.c calls each area's hook).
 */
int cc_forget_repository(struct store *st, struct store_tx *tx, const struct api_call *call,
                         const char *repository_id);

/* branches.c */
int cc_create_branch(struct api_call *call, json_t *in, json_t **out);
int cc_get_branch(struct api_call *call, json_t *in, json_t **out);
int cc_list_branches(struct api_call *call, json_t *in, json_t **out);
int cc_delete_branch(struct api_call *call, json_t *in, json_t **out);

/* commits.c, files.c, differences.c */
int cc_get_commit(struct api_call *call, json_t *in, json_t **out);
int cc_batch_get_commits(struct api_call *call, json_t *in, json_t **out);
int cc_get_file(struct api_call *call, json_t *in, json_t **out);
int cc_get_folder(struct api_call *call, json_t *in, json_t **out);
int cc_get_blob(struct api_call *call, json_t *in, json_t **out);
int cc_put_file(struct api_call *call, json_t *in, json_t **out);
int cc_delete_file(struct api_call *call, json_t *in, json_t **out);
int cc_create_commit(struct api_call *call, json_t *in, json_t **out);
int cc_get_differences(struct api_call *call, json_t *in, json_t **out);
int cc_list_file_commit_history(struct api_call *call, json_t *in, json_t **out);

/* comments, reactions, triggers */
int cc_post_comment_for_compared_commit(struct api_call *call, json_t *in, json_t **out);
int cc_post_comment_for_pull_request(struct api_call *call, json_t *in, json_t **out);
int cc_post_comment_reply(struct api_call *call, json_t *in, json_t **out);
int cc_get_comment(struct api_call *call, json_t *in, json_t **out);
int cc_update_comment(struct api_call *call, json_t *in, json_t **out);
int cc_delete_comment_content(struct api_call *call, json_t *in, json_t **out);
int cc_get_comments_for_compared_commit(struct api_call *call, json_t *in, json_t **out);
int cc_get_comments_for_pull_request(struct api_call *call, json_t *in, json_t **out);
int cc_put_comment_reaction(struct api_call *call, json_t *in, json_t **out);
int cc_get_comment_reactions(struct api_call *call, json_t *in, json_t **out);
int cc_put_repository_triggers(struct api_call *call, json_t *in, json_t **out);
int cc_get_repository_triggers(struct api_call *call, json_t *in, json_t **out);
int cc_test_repository_triggers(struct api_call *call, json_t *in, json_t **out);

/* merge_api.c, merge_conflicts.c */
int cc_merge_branches_by_fast_forward(struct api_call *call, json_t *in, json_t **out);
int cc_merge_branches_by_squash(struct api_call *call, json_t *in, json_t **out);
int cc_merge_branches_by_three_way(struct api_call *call, json_t *in, json_t **out);
int cc_create_unreferenced_merge_commit(struct api_call *call, json_t *in, json_t **out);
int cc_get_merge_options(struct api_call *call, json_t *in, json_t **out);
int cc_get_merge_commit(struct api_call *call, json_t *in, json_t **out);
int cc_get_merge_conflicts(struct api_call *call, json_t *in, json_t **out);
int cc_describe_merge_conflicts(struct api_call *call, json_t *in, json_t **out);
int cc_batch_describe_merge_conflicts(struct api_call *call, json_t *in, json_t **out);

/* pull requests and approvals */
int cc_associate_approval_rule_template_with_repository(struct api_call *call, json_t *in,
                                                        json_t **out);
int cc_batch_associate_approval_rule_template_with_repositories(struct api_call *call, json_t *in,
                                                                json_t **out);
int cc_batch_disassociate_approval_rule_template_from_repositories(struct api_call *call,
                                                                   json_t *in, json_t **out);
int cc_create_approval_rule_template(struct api_call *call, json_t *in, json_t **out);
int cc_create_pull_request(struct api_call *call, json_t *in, json_t **out);
int cc_create_pull_request_approval_rule(struct api_call *call, json_t *in, json_t **out);
int cc_delete_approval_rule_template(struct api_call *call, json_t *in, json_t **out);
int cc_delete_pull_request_approval_rule(struct api_call *call, json_t *in, json_t **out);
int cc_describe_pull_request_events(struct api_call *call, json_t *in, json_t **out);
int cc_disassociate_approval_rule_template_from_repository(struct api_call *call, json_t *in,
                                                           json_t **out);
int cc_evaluate_pull_request_approval_rules(struct api_call *call, json_t *in, json_t **out);
int cc_get_approval_rule_template(struct api_call *call, json_t *in, json_t **out);
int cc_get_pull_request(struct api_call *call, json_t *in, json_t **out);
int cc_get_pull_request_approval_states(struct api_call *call, json_t *in, json_t **out);
int cc_get_pull_request_override_state(struct api_call *call, json_t *in, json_t **out);
int cc_list_approval_rule_templates(struct api_call *call, json_t *in, json_t **out);
int cc_list_associated_approval_rule_templates_for_repository(struct api_call *call, json_t *in,
                                                              json_t **out);
int cc_list_pull_requests(struct api_call *call, json_t *in, json_t **out);
int cc_list_repositories_for_approval_rule_template(struct api_call *call, json_t *in,
                                                    json_t **out);
int cc_merge_pull_request_by_fast_forward(struct api_call *call, json_t *in, json_t **out);
int cc_merge_pull_request_by_squash(struct api_call *call, json_t *in, json_t **out);
int cc_merge_pull_request_by_three_way(struct api_call *call, json_t *in, json_t **out);
int cc_override_pull_request_approval_rules(struct api_call *call, json_t *in, json_t **out);
int cc_update_approval_rule_template_content(struct api_call *call, json_t *in, json_t **out);
int cc_update_approval_rule_template_description(struct api_call *call, json_t *in, json_t **out);
int cc_update_approval_rule_template_name(struct api_call *call, json_t *in, json_t **out);
int cc_update_pull_request_approval_rule_content(struct api_call *call, json_t *in, json_t **out);
int cc_update_pull_request_approval_state(struct api_call *call, json_t *in, json_t **out);
int cc_update_pull_request_description(struct api_call *call, json_t *in, json_t **out);
int cc_update_pull_request_status(struct api_call *call, json_t *in, json_t **out);
int cc_update_pull_request_title(struct api_call *call, json_t *in, json_t **out);

#endif
