#ifndef SLIPWAY_SERVICES_CODECOMMIT_APPROVAL_RULES_H
#define SLIPWAY_SERVICES_CODECOMMIT_APPROVAL_RULES_H

#include "services/codecommit/codecommit_internal.h"

/*
 * Pull requests, their approval rules and the approval rule templates:
 * what pull_requests.c, pull_request_merge.c, approval_rules.c,
 * approval_templates.c and pr_events.c share. The records are described in
 * codecommit_internal.h.
 */

#define CC_KIND_PULL_REQUEST       "codecommit.pull_request"
#define CC_KIND_PULL_REQUEST_INDEX "codecommit.pull_request_index"
#define CC_KIND_PULL_REQUEST_TOKEN "codecommit.pull_request_token"
#define CC_KIND_PULL_REQUEST_SEQ   "codecommit.pull_request_seq"
#define CC_KIND_APPROVAL_TEMPLATE  "codecommit.approval_rule_template"

/* AWS's quotas. */
#define CC_OPEN_PULL_REQUESTS_MAX 1000 /* per repository */
#define CC_PR_RULES_MAX           25   /* approval rules per pull request */
#define CC_TEMPLATES_MAX          1000 /* per account and region */
#define CC_REPO_TEMPLATES_MAX     25   /* templates associated with a repository */
#define CC_APPROVALS_NEEDED_MAX   200
#define CC_BATCH_REPOSITORIES_MAX 100
#define CC_PR_EVENTS_MAX          10000 /* kept per pull request */
#define CC_TITLE_MAX              150
#define CC_PR_DESCRIPTION_MAX     10240
#define CC_RULE_NAME_MAX          100
#define CC_RULE_CONTENT_MAX       3000

/*
 * A pull request read for an operation: its record, the repository it
 * belongs to (checked, authorized for the call's action and opened), and
 * the record brought up to date with the branches (see cc_pr_open).
 */
struct cc_pr {
    json_t *record;
    int64_t version;
    struct cc_repo repo;
};

/*
 * Reads pull request in->pullRequestId: PullRequestIdRequiredException,
 * InvalidPullRequestIdException, PullRequestDoesNotExistException; then
 * opens its repository authorizing `action` (NULL: the call's own).
 * An open pull request whose source branch moved gets the new source
 * commit and a new revision; one whose source commit reached its
 * destination branch outside the pull request is closed as merged; those
 * changes are written, with their events, in `tx` (or a transaction of its
 * own when NULL). Release with cc_pr_close(), which accepts a zeroed one.
 */
int cc_pr_open(struct cc_pr *out, struct api_call *call, const char *pull_request_id,
               const char *action, struct store_tx *tx);
void cc_pr_close(struct cc_pr *pr);

/*
 * Writes the record back (and its repository index entry) in `tx`, which
 * must be the transaction the record was read in (cc_pr_open() with `tx`),
 * so that no other request can change it in between.
 */
int cc_pr_save(struct api_call *call, struct store_tx *tx, struct cc_pr *pr);

/*
 * Begins a transaction in *tx and opens pull request `pull_request_id` in
 * it (cc_pr_open()), for a change. On failure *tx may hold the
 * transaction: declare it _cleanup_store_tx_.
 */
int cc_pr_begin(struct cc_pr *pr, struct store_tx **tx, struct api_call *call,
                const char *pull_request_id);

/*
 * Ends a change begun with cc_pr_begin(): the record's lastActivityDate
 * now, cc_pr_save(), the EventBridge event `event` with `extra` (consumed;
 * no event when `event` is NULL), and the commit of *tx.
 */
int cc_pr_finish(struct api_call *call, struct store_tx **tx, struct cc_pr *pr, const char *event,
                 json_t *extra);

/*
 * Paging of the listings of pull requests and templates: in->maxResults
 * (1 to `most`, `fallback` when absent) or InvalidMaxResultsException;
 * the position in->nextToken names (*after_out, NULL without a token;
 * the caller frees) or InvalidContinuationTokenException; and the
 * nextToken of an output whose page ends at `last`.
 */
int cc_max_results(int *out, struct api_call *call, const json_t *in, int most, int fallback);
int cc_token_in(char **after_out, struct api_call *call, const json_t *in);
void cc_token_out(json_t *out, const char *last);

/* Where template record `t` lists repository `repository_id` among its
 * "repositoryIds"; -1 when it does not. */
ssize_t cc_template_repository_index(const json_t *t, const char *repository_id);

/* The PullRequest shape of the API. */
json_t *cc_pr_json(const struct cc_pr *pr);

/*
 * A new revisionId for the record (every change of the pull request).
 * Approvals are given to a revision: with `keep_approvals` (a change of
 * title, description or status) they carry over to the new one; a new
 * source commit starts without any. Approvals of earlier revisions are
 * dropped.
 */
void cc_pr_new_revision(json_t *record, bool keep_approvals);

/* Appends a PullRequestEvent of `type` with its metadata member
 * `meta_name` (may be NULL; `meta` is consumed), by the caller. */
void cc_pr_event_add(json_t *record, const struct api_call *call, const char *type,
                     const char *meta_name, json_t *meta);

/* The caller's ARN, "" when none. */
const char *cc_caller_arn(const struct api_call *call);

/* Fails with PullRequestAlreadyClosedException when the pull request is closed. */
int cc_pr_require_open(struct api_call *call, const struct cc_pr *pr);

/*
 * Checks a revisionId: RevisionIdRequiredException, InvalidRevisionIdException
 * (not a 64-digit hex id), and with `current`, RevisionNotCurrentException.
 */
int cc_revision_check(struct api_call *call, const struct cc_pr *pr, const char *revision_id,
                      bool current);

/* ---- events (pr_events.c) ---------------------------------------------- */

/*
 * Appends a "CodeCommit Pull Request State Change" event to the outbox in
 * `tx`: the pull request's state plus `extra`'s members (consumed, may be
 * NULL), detail.event = `event` ("pullRequestCreated" ...).
 */
int cc_pr_outbox(struct api_call *call, struct store_tx *tx, const struct cc_pr *pr,
                 const char *event, json_t *extra);

/* A "CodeCommit Approval Rule Template Change" event for `tmpl` (a stored
 * template record) about `repositories` ({"name": "repositoryId"},
 * consumed; NULL for none). */
int cc_template_outbox(struct api_call *call, struct store_tx *tx, const json_t *tmpl,
                       const char *event, json_t *repositories);

/* ---- approval rules (approval_rules.c) --------------------------------- */

/*
 * Checks approval rule content (the 2018-11-08 syntax): failures are
 * `code` (InvalidApprovalRuleContentException or
 * InvalidApprovalRuleTemplateContentException). DestinationReferences is
 * accepted only when `is_template`.
 */
int cc_approval_content_check(struct api_call *call, const char *content, bool is_template,
                              const char *code);

/* Lower-case hex SHA-256 of the content, as ruleContentSha256. */
void cc_content_sha256(char out[65], const char *content);

/*
 * Evaluates the pull request's rules against the approvals of its current
 * revision: the Evaluation shape.
 */
json_t *cc_approval_evaluate(const json_t *record);

/* True when a template's content applies to destination `refname`. */
bool cc_template_applies(const char *content, const char *refname);

/*
 * The approval rules the templates associated with `repository_id` give a
 * new pull request into `refname`: an array of ApprovalRule records.
 */
int cc_template_rules(json_t **out, const struct api_call *call, struct store_tx *tx,
                      const char *repository_id, const char *refname);

/*
 * Brings the open pull requests of `repo` up to date with its branches
 * (new source commits and revisions, pull requests merged outside them
 * closed), with their events, in `tx` (or a transaction of its own, taken
 * only when something moved, when NULL). `caller_arn` is who moved the
 * branches (the events' actor), NULL when unknown. For the ref recording
 * after a push or an API move (refs.c), so the events come when the
 * branch moves, not when the pull request is next read.
 */
int cc_pull_requests_sync_repository(struct store *st, struct store_tx *tx,
                                     const struct codecommit_repo *repo, git_repository *git,
                                     const char *caller_arn);

/*
 * Names the pull request the calling thread is about to merge (NULL when
 * done): the ref recording that the merge's branch move triggers leaves it
 * to the merge, which closes it with its own metadata, instead of closing
 * it as merged outside the pull request.
 */
void cc_pr_merging(const char *pull_request_id);

/*
 * Forgets a deleted repository: its pull requests (with their tokens and
 * index entries) and its template associations. For cc_delete_repository.
 */
int cc_pull_requests_forget_repository(struct store *st, struct store_tx *tx,
                                       const struct api_call *call, const char *repository_id);

#endif
