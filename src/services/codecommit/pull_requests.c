#include "base/common.h"
#include "services/codecommit/approval_rules.h"

#include <ctype.h>

#include "aws/pagination.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"
#include "services/codecommit/text.h"
#include "services/common/record.h"
#include "services/iam/iam.h"

/*
 * Pull requests: one record per pull request (named by its id, a number per
 * account and region), an index entry per pull request under its
 * repository for ListPullRequests, and the client request tokens already
 * used. The branches are the truth about what a pull request proposes: an
 * open pull request is compared with its branches whenever it is read
 * (cc_pr_open), so a push to its source branch shows as a new source commit
 * and revision, and a source merged into its destination outside the pull
 * request closes it as merged.
 */

#define SCOPE_ALL       "all"
#define PR_ID_DIGITS    20
#define LIST_MAX        1000
#define LIST_DEFAULT    100
#define EVENTS_MAX_PAGE 100
#define TOKEN_MAX       256

const char *cc_caller_arn(const struct api_call *call)
{
    return call->principal ? call->principal->arn : "";
}

static void index_name(char *out, size_t size, const char *repository_id, const char *pr_id)
{
    snprintf(out, size, "%s/%0*llu", repository_id, PR_ID_DIGITS,
             (unsigned long long)strtoull(pr_id, NULL, 10));
}

void cc_pr_new_revision(json_t *record, bool keep_approvals)
{
    /* Only the current revision's approvals are kept, so the record does
     * not grow with every push. */
    json_t *kept = NULL;
    const char *old = cc_str(record, "revisionId");
    json_t *approvals = json_object_get(record, "approvals");
    if (keep_approvals && old && json_is_object(json_object_get(approvals, old)))
        kept = json_incref(json_object_get(approvals, old));
    uint8_t seed[32], digest[SHA256_LEN];
    random_bytes(seed, sizeof(seed));
    sha256(digest, seed, sizeof(seed));
    char hex[2 * SHA256_LEN + 1];
    hex_encode(hex, digest, SHA256_LEN);
    json_object_set_new(record, "revisionId", json_string(hex));
    json_t *fresh = json_object();
    if (kept)
        json_object_set_new(fresh, hex, kept);
    json_object_set_new(record, "approvals", fresh);
}

void cc_pr_event_add(json_t *record, const struct api_call *call, const char *type,
                     const char *meta_name, json_t *meta)
{
    json_t *events = json_object_get(record, "events");
    if (!json_is_array(events)) {
        events = json_array();
        json_object_set_new(record, "events", events);
    }
    /* The oldest go when a pull request has had very many events; the
     * record stays bounded. */
    while (json_array_size(events) >= CC_PR_EVENTS_MAX)
        json_array_remove(events, 0);
    json_t *event = json_pack("{s:s, s:I}", "pullRequestEventType", type, "eventDate",
                              (json_int_t)clock_now_ms());
    if (call && cc_caller_arn(call)[0])
        json_object_set_new(event, "actorArn", json_string(cc_caller_arn(call)));
    if (meta_name)
        json_object_set_new(event, meta_name, meta);
    else
        json_decref(meta);
    json_array_append_new(events, event);
}

int cc_pr_require_open(struct api_call *call, const struct cc_pr *pr)
{
    if (strcmp(cc_str(pr->record, "pullRequestStatus") ?: "", "OPEN") != 0)
        return api_error(call, ERR_INVALID, "PullRequestAlreadyClosedException",
                         "The pull request status cannot be updated because it is already "
                         "closed.");
    return 0;
}

static bool is_hex(const char *s, size_t len)
{
    if (strlen(s) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

int cc_revision_check(struct api_call *call, const struct cc_pr *pr, const char *revision_id,
                      bool current)
{
    if (!revision_id || !revision_id[0])
        return api_error(call, ERR_INVALID, "RevisionIdRequiredException",
                         "A revision ID is required, but was not provided.");
    if (!is_hex(revision_id, 64))
        return api_error(call, ERR_INVALID, "InvalidRevisionIdException",
                         "The revision ID '%s' is not valid. Use GetPullRequest to determine "
                         "the value.",
                         revision_id);
    if (current && strcmp(revision_id, cc_str(pr->record, "revisionId") ?: "") != 0)
        return api_error(call, ERR_CONFLICT, "RevisionNotCurrentException",
                         "The revision ID provided in the request does not match the current "
                         "revision ID. Use GetPullRequest to retrieve the current revision ID.");
    return 0;
}

/* ---- reading -------------------------------------------------------------- */

static int pr_id_check(struct api_call *call, const char *id)
{
    if (!id || !id[0])
        return api_error(call, ERR_INVALID, "PullRequestIdRequiredException",
                         "A pull request ID is required, but none was provided.");
    size_t len = strlen(id);
    bool digits = len <= 19 && id[0] != '0';
    for (size_t i = 0; digits && i < len; i++)
        digits = isdigit((unsigned char)id[i]);
    if (!digits)
        return api_error(call, ERR_INVALID, "InvalidPullRequestIdException",
                         "The pull request ID '%s' is not valid. Make sure that you have "
                         "provided the full ID.",
                         id);
    return 0;
}

static int oid_of(git_oid *out, const json_t *record, const char *member)
{
    const char *hex = cc_str(record, member);
    if (!hex || git_oid_fromstr(out, hex) < 0)
        return -1;
    return 0;
}

static void set_oid(json_t *record, const char *member, const git_oid *oid)
{
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof(hex), oid);
    json_object_set_new(record, member, json_string(hex));
}

/*
 * Brings an open pull request up to date with its branches; *changed says
 * whether the record changed (and then `tx` holds its events).
 */
/* The tips of the pull request's branches; a deleted branch reads as the
 * commit recorded last. */
static int pr_tips(git_oid *src, git_oid *dst, const struct cc_pr *pr)
{
    const json_t *r = pr->record;
    git_oid src_old, dst_old;
    if (oid_of(&src_old, r, "sourceCommit") < 0 || oid_of(&dst_old, r, "destinationCommit") < 0)
        return err_set(ERR_INTERNAL, "pull request %s: commits not recorded",
                       cc_str(r, "pullRequestId"));
    if (git_reference_name_to_id(src, pr->repo.git, cc_str(r, "sourceReference")) < 0)
        git_oid_cpy(src, &src_old);
    if (git_reference_name_to_id(dst, pr->repo.git, cc_str(r, "destinationReference")) < 0)
        git_oid_cpy(dst, &dst_old);
    return 0;
}

/* Whether an open pull request's branches moved since it was recorded. */
static bool pr_stale(const struct cc_pr *pr)
{
    if (strcmp(cc_str(pr->record, "pullRequestStatus") ?: "", "OPEN") != 0)
        return false;
    git_oid src, dst;
    if (pr_tips(&src, &dst, pr) < 0)
        return false;
    char src_hex[GIT_OID_HEXSZ + 1], dst_hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(src_hex, sizeof(src_hex), &src);
    git_oid_tostr(dst_hex, sizeof(dst_hex), &dst);
    return strcmp(src_hex, cc_str(pr->record, "sourceCommit") ?: "") != 0 ||
           strcmp(dst_hex, cc_str(pr->record, "destinationCommit") ?: "") != 0;
}

/*
 * Brings an open pull request up to date with its branches; *changed says
 * whether the record changed (and then `tx` holds its events). `pusher`:
 * the call made by whoever moved the branches, the events' actor; false
 * when that is not known (the call only reads the pull request).
 */
static int pr_sync(bool *changed, struct api_call *call, struct store_tx *tx, struct cc_pr *pr,
                   bool pusher)
{
    *changed = false;
    json_t *r = pr->record;
    if (strcmp(cc_str(r, "pullRequestStatus") ?: "", "OPEN") != 0)
        return 0;
    git_oid src_old, dst_old, src, dst;
    int rc = pr_tips(&src, &dst, pr);
    if (rc < 0)
        return rc;
    oid_of(&src_old, r, "sourceCommit");
    oid_of(&dst_old, r, "destinationCommit");
    bool src_moved = !git_oid_equal(&src, &src_old);
    bool dst_moved = !git_oid_equal(&dst, &dst_old);
    if (!src_moved && !dst_moved)
        return 0;

    git_oid base;
    bool has_base = git_merge_base(&base, pr->repo.git, &src, &dst) == 0;
    int64_t now = clock_now_ms();
    set_oid(r, "destinationCommit", &dst);
    if (has_base)
        set_oid(r, "mergeBase", &base);
    else
        json_object_del(r, "mergeBase");
    json_object_set_new(r, "lastActivityDate", json_integer(now));
    const struct api_call *actor = pusher ? call : NULL;
    if (src_moved) {
        char before[GIT_OID_HEXSZ + 1], after[GIT_OID_HEXSZ + 1];
        git_oid_tostr(before, sizeof(before), &src_old);
        git_oid_tostr(after, sizeof(after), &src);
        set_oid(r, "sourceCommit", &src);
        cc_pr_new_revision(r, false);
        json_t *meta = json_pack("{s:s, s:s, s:s}", "repositoryName", pr->repo.loc.name,
                                 "beforeCommitId", before, "afterCommitId", after);
        if (has_base)
            json_object_set(meta, "mergeBase", json_object_get(r, "mergeBase"));
        cc_pr_event_add(r, actor, "PULL_REQUEST_SOURCE_REFERENCE_UPDATED",
                        "pullRequestSourceReferenceUpdatedEventMetadata", meta);
        rc = cc_pr_outbox(call, tx, pr, "pullRequestSourceBranchUpdated", NULL);
        if (rc < 0)
            return rc;
    }
    /* The source reached the destination without the pull request: it was
     * merged outside it, and CodeCommit closes it as merged. */
    if (git_oid_equal(&src, &dst) || git_graph_descendant_of(pr->repo.git, &dst, &src) == 1) {
        json_object_set_new(r, "pullRequestStatus", json_string("CLOSED"));
        json_object_set_new(r, "mergeMetadata", json_pack("{s:b}", "isMerged", 1));
        cc_pr_new_revision(r, true);
        json_t *meta = json_pack("{s:s, s:s, s:O}", "repositoryName", pr->repo.loc.name,
                                 "destinationReference", cc_str(r, "destinationReference"),
                                 "mergeMetadata", json_object_get(r, "mergeMetadata"));
        cc_pr_event_add(r, actor, "PULL_REQUEST_MERGE_STATE_CHANGED",
                        "pullRequestMergedStateChangedEventMetadata", meta);
        rc = cc_pr_outbox(call, tx, pr, "pullRequestMergeStatusUpdated", NULL);
        if (rc < 0)
            return rc;
    }
    *changed = true;
    return 0;
}

static int pr_read(struct cc_pr *out, struct api_call *call, const char *id, const char *action,
                   struct store_tx *tx)
{
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    int rc =
        record_get(&out->record, &out->version, call->store, tx, CC_KIND_PULL_REQUEST, scope, id);
    json_t *where = NULL;
    if (rc == 0)
        rc = record_get(&where, NULL, call->store, tx, CC_KIND_REPOSITORY_ID, SCOPE_ALL,
                        cc_str(out->record, "repositoryId") ?: "-");
    if (rc == ERR_NOT_FOUND) {
        /* Nothing names a resource to authorize against; the caller must
         * at least be allowed the action somewhere. */
        char own[128];
        if (!action) {
            api_action_name(own, sizeof(own), call);
            action = own;
        }
        int authz = api_authorize(call, action, "*");
        if (authz < 0)
            return authz;
        return api_error(call, ERR_NOT_FOUND, "PullRequestDoesNotExistException",
                         "The pull request ID %s could not be found. Make sure that you have "
                         "specified the correct repository name and pull request ID, and then "
                         "try again.",
                         id);
    }
    if (rc < 0)
        return rc;
    char name[CODECOMMIT_NAME_MAX + 1];
    snprintf(name, sizeof(name), "%s", cc_str(where, "repositoryName") ?: "");
    json_decref(where);
    return cc_repo_open(&out->repo, call, name, action);
}

int cc_pr_open(struct cc_pr *out, struct api_call *call, const char *pull_request_id,
               const char *action, struct store_tx *tx)
{
    memset(out, 0, sizeof(*out));
    int rc = pr_id_check(call, pull_request_id);
    if (rc < 0)
        return rc;
    if ((rc = pr_read(out, call, pull_request_id, action, tx)) < 0) {
        cc_pr_close(out);
        return rc;
    }
    bool changed = false;
    if (tx) {
        rc = pr_sync(&changed, call, tx, out, false);
        if (rc == 0 && changed)
            rc = cc_pr_save(call, tx, out);
    } else if (pr_stale(out)) {
        /* Only a pull request behind its branches needs the writer. */
        _cleanup_store_tx_ struct store_tx *own = NULL;
        rc = store_tx_begin(&own, call->store);
        if (rc == 0) {
            /* Re-read inside the transaction, so two readers do not both
             * record the same move. */
            json_decref(out->record);
            out->record = NULL;
            char scope[CC_SCOPE_MAX];
            cc_scope(scope, call);
            rc = record_get(&out->record, &out->version, call->store, own, CC_KIND_PULL_REQUEST,
                            scope, pull_request_id);
        }
        if (rc == 0)
            rc = pr_sync(&changed, call, own, out, false);
        if (rc == 0 && changed)
            rc = cc_pr_save(call, own, out);
        if (rc == 0 && changed)
            rc = store_tx_commit(TAKE_PTR(own));
    }
    if (rc < 0)
        cc_pr_close(out);
    return rc;
}

void cc_pr_close(struct cc_pr *pr)
{
    if (!pr)
        return;
    json_decref(pr->record);
    cc_repo_close(&pr->repo);
    memset(pr, 0, sizeof(*pr));
}

/*
 * The record carries its target in the PullRequest shape too, plus the
 * repository id, for the comments (comments.c reads pull request records).
 */
static void targets_mirror(struct cc_pr *pr)
{
    json_t *r = pr->record;
    json_t *target = json_pack("{s:s, s:s}", "repositoryId", cc_str(r, "repositoryId") ?: "",
                               "repositoryName", pr->repo.loc.name);
    static const char *const members[] = {"sourceReference",   "destinationReference",
                                          "destinationCommit", "sourceCommit",
                                          "mergeBase",         "mergeMetadata"};
    for (size_t i = 0; i < ARRAY_SIZE(members); i++) {
        json_t *v = json_object_get(r, members[i]);
        if (v)
            json_object_set(target, members[i], v);
    }
    json_object_set_new(r, "pullRequestTargets", json_pack("[o]", target));
}

int cc_pr_save(struct api_call *call, struct store_tx *tx, struct cc_pr *pr)
{
    targets_mirror(pr);
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    const char *id = cc_str(pr->record, "pullRequestId");
    int rc =
        record_update(call->store, tx, CC_KIND_PULL_REQUEST, scope, id, pr->version, pr->record);
    /* Every caller read the record in `tx` (cc_pr_open() with a
     * transaction, or a re-read in one), and no other writer commits inside
     * a transaction (store.h): another version is a fault here, not another
     * request's change, so it answers InternalFailure rather than an error
     * the operation's model does not declare. */
    if (rc == ERR_CONFLICT)
        return err_set(ERR_INTERNAL,
                       "pull request %s: version %lld of its record changed inside the "
                       "transaction that read it",
                       id, (long long)pr->version);
    if (rc < 0)
        return rc;
    pr->version++;
    char name[CC_SCOPE_MAX + 64];
    index_name(name, sizeof(name), cc_str(pr->record, "repositoryId"), id);
    json_t *entry = json_pack("{s:s, s:s, s:s}", "pullRequestId", id, "pullRequestStatus",
                              cc_str(pr->record, "pullRequestStatus"), "authorArn",
                              cc_str(pr->record, "authorArn") ?: "");
    rc = record_upsert(call->store, tx, CC_KIND_PULL_REQUEST_INDEX, scope, name, entry);
    json_decref(entry);
    return rc;
}

json_t *cc_pr_json(const struct cc_pr *pr)
{
    const json_t *r = pr->record;
    json_t *out = json_object();
    static const char *const copied[] = {"pullRequestId",      "title",        "description",
                                         "lastActivityDate",   "creationDate", "authorArn",
                                         "clientRequestToken", "revisionId",   "pullRequestStatus"};
    for (size_t i = 0; i < ARRAY_SIZE(copied); i++) {
        json_t *v = json_object_get(r, copied[i]);
        if (v)
            json_object_set(out, copied[i], v);
    }
    json_t *target = json_pack("{s:s}", "repositoryName", pr->repo.loc.name);
    static const char *const target_members[] = {"sourceReference",   "destinationReference",
                                                 "destinationCommit", "sourceCommit",
                                                 "mergeBase",         "mergeMetadata"};
    for (size_t i = 0; i < ARRAY_SIZE(target_members); i++) {
        json_t *v = json_object_get(r, target_members[i]);
        if (v)
            json_object_set(target, target_members[i], v);
    }
    json_object_set_new(out, "pullRequestTargets", json_pack("[o]", target));
    json_t *rules = json_object_get(r, "approvalRules");
    json_object_set_new(out, "approvalRules", rules ? json_deep_copy(rules) : json_array());
    return out;
}

/* ---- CreatePullRequest ---------------------------------------------------- */

/* A branch named by a target: "main" or "refs/heads/main", as a full ref. */
static int target_ref(char *out, size_t size, struct api_call *call, git_repository *git,
                      const char *name, git_oid *oid_out)
{
    if (!name || !name[0])
        return api_error(call, ERR_INVALID, "ReferenceNameRequiredException",
                         "A reference name is required, but none was provided.");
    if (strncmp(name, "refs/", 5) == 0 && strncmp(name, "refs/heads/", 11) != 0)
        return api_error(call, ERR_INVALID, "ReferenceTypeNotSupportedException",
                         "The reference '%s' is not a supported type: only branches can be "
                         "the source or destination of a pull request.",
                         name);
    if (strncmp(name, "refs/heads/", 11) == 0)
        snprintf(out, size, "%s", name);
    else
        snprintf(out, size, "refs/heads/%s", name);
    int valid = 0;
    if (strlen(name) > 256 || git_reference_name_is_valid(&valid, out) < 0 || !valid ||
        strlen(out) <= 11)
        return api_error(call, ERR_INVALID, "InvalidReferenceNameException",
                         "The reference name '%s' is not valid. Reference names must conform "
                         "to the Git references format (for example, refs/heads/main).",
                         name);
    git_reference *ref = NULL;
    if (git_reference_lookup(&ref, git, out) < 0)
        return api_error(call, ERR_NOT_FOUND, "ReferenceDoesNotExistException",
                         "The reference '%s' does not exist in the repository.", name);
    git_object *peeled = NULL;
    int rc = git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT);
    git_reference_free(ref);
    if (rc < 0)
        return api_error(call, ERR_INVALID, "ReferenceTypeNotSupportedException",
                         "The reference '%s' does not point at a commit.", name);
    git_oid_cpy(oid_out, git_object_id(peeled));
    git_object_free(peeled);
    return 0;
}

/* What a client request token stands for: the request's parameters. */
static json_t *request_fingerprint(const char *title, const char *description,
                                   const char *repository_id, const char *source,
                                   const char *destination)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "title", title, "description", description ?: "",
                     "repositoryId", repository_id, "sourceReference", source,
                     "destinationReference", destination);
}

static int count_open(size_t *out, struct api_call *call, struct store_tx *tx,
                      const char *repository_id)
{
    char scope[CC_SCOPE_MAX], prefix[CC_SCOPE_MAX + 64];
    cc_scope(scope, call);
    snprintf(prefix, sizeof(prefix), "%s/", repository_id);
    size_t count = 0;
    char *after = NULL;
    int rc;
    for (;;) {
        json_t *page = NULL;
        bool more = false;
        rc = record_list(&page, &more, call->store, tx, CC_KIND_PULL_REQUEST_INDEX, scope, prefix,
                         after, 0);
        if (rc < 0)
            break;
        size_t i;
        json_t *item;
        json_array_foreach(page, i, item)
        {
            if (strcmp(cc_str(item, "pullRequestStatus") ?: "", "OPEN") == 0)
                count++;
            free(after);
            after = xstrdup(cc_str(item, "_name") ?: "");
        }
        json_decref(page);
        if (!more)
            break;
    }
    free(after);
    *out = count;
    return rc;
}

static int create_checks(struct api_call *call, json_t *in, json_t **target_out)
{
    const char *title = cc_str(in, "title");
    if (!title || !title[0])
        return api_error(call, ERR_INVALID, "TitleRequiredException",
                         "A pull request title is required. It cannot be empty or null.");
    if (cc_char_count(title) > CC_TITLE_MAX)
        return api_error(call, ERR_INVALID, "InvalidTitleException",
                         "The title of the pull request is not valid. Pull request titles "
                         "cannot exceed %d characters in length.",
                         CC_TITLE_MAX);
    const char *description = cc_str(in, "description");
    if (description && cc_char_count(description) > CC_PR_DESCRIPTION_MAX)
        return api_error(call, ERR_INVALID, "InvalidDescriptionException",
                         "The pull request description is not valid. Descriptions cannot be "
                         "more than %d characters.",
                         CC_PR_DESCRIPTION_MAX);
    json_t *token = json_object_get(in, "clientRequestToken");
    if (token) {
        const char *t = json_string_value(token);
        if (!t || !t[0])
            return api_error(call, ERR_INVALID, "ClientRequestTokenRequiredException",
                             "A client request token is required. A client request token is "
                             "an unique, client-generated idempotency token that, when provided "
                             "in a request, ensures the request cannot be repeated with a "
                             "changed parameter.");
        if (strlen(t) > TOKEN_MAX)
            return api_error(call, ERR_INVALID, "InvalidClientRequestTokenException",
                             "The client request token is not valid: more than %d characters.",
                             TOKEN_MAX);
    }
    json_t *targets = json_object_get(in, "targets");
    if (!targets || json_array_size(targets) == 0)
        return api_error(call, ERR_INVALID, "TargetsRequiredException",
                         "An array of target objects is required. It cannot be empty or null.");
    if (!json_is_array(targets))
        return api_error(call, ERR_INVALID, "InvalidTargetsException",
                         "The targets for the pull request is not valid or not in a valid "
                         "format.");
    if (json_array_size(targets) > 1)
        return api_error(call, ERR_INVALID, "MultipleRepositoriesInPullRequestException",
                         "You cannot include more than one repository in a pull request.");
    json_t *target = json_array_get(targets, 0);
    if (!json_is_object(target) || json_object_size(target) == 0)
        return api_error(call, ERR_INVALID, "TargetRequiredException",
                         "A pull request target is required. It cannot be empty or null.");
    *target_out = target;
    return 0;
}

int cc_create_pull_request(struct api_call *call, json_t *in, json_t **out)
{
    json_t *target = NULL;
    int rc = create_checks(call, in, &target);
    if (rc < 0)
        return rc;
    const char *title = cc_str(in, "title");
    const char *description = cc_str(in, "description");
    const char *token = cc_str(in, "clientRequestToken");

    struct cc_pr pr = {0};
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    rc = cc_repo_open(&pr.repo, call, cc_str(target, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    char src_ref[300], dst_ref[300];
    git_oid src, dst;
    const char *dst_name = cc_str(target, "destinationReference");
    if (!dst_name)
        dst_name = cc_str(pr.repo.record, "defaultBranch");
    if ((rc = target_ref(src_ref, sizeof(src_ref), call, pr.repo.git,
                         cc_str(target, "sourceReference"), &src)) < 0 ||
        (rc = target_ref(dst_ref, sizeof(dst_ref), call, pr.repo.git, dst_name, &dst)) < 0)
        goto done;
    if (strcmp(src_ref, dst_ref) == 0) {
        rc = api_error(call, ERR_INVALID, "SourceAndDestinationAreSameException",
                       "The source branch and destination branch for the pull request are the "
                       "same. You must specify different branches for the source and "
                       "destination.");
        goto done;
    }

    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        goto done;
    json_t *fingerprint = request_fingerprint(title, description, pr.repo.loc.id, src_ref, dst_ref);
    if (token) {
        json_t *used = NULL;
        rc = record_get(&used, NULL, call->store, tx, CC_KIND_PULL_REQUEST_TOKEN, scope, token);
        if (rc == 0) {
            bool same = json_equal(json_object_get(used, "request"), fingerprint);
            char id[32];
            snprintf(id, sizeof(id), "%s", cc_str(used, "pullRequestId") ?: "");
            json_decref(used);
            json_decref(fingerprint);
            if (!same) {
                rc = api_error(call, ERR_CONFLICT, "IdempotencyParameterMismatchException",
                               "The client request token '%s' has been used in a previous "
                               "request with different parameters and cannot be reused.",
                               token);
                goto done;
            }
            /* The same request again: the pull request it made, as it is. */
            store_tx_rollback(TAKE_PTR(tx));
            cc_repo_close(&pr.repo);
            if ((rc = cc_pr_open(&pr, call, id, NULL, NULL)) < 0)
                goto done;
            *out = json_pack("{s:o}", "pullRequest", cc_pr_json(&pr));
            goto done;
        }
        if (rc != ERR_NOT_FOUND) {
            json_decref(fingerprint);
            goto done;
        }
    }
    size_t open_count = 0;
    if ((rc = count_open(&open_count, call, tx, pr.repo.loc.id)) < 0) {
        json_decref(fingerprint);
        goto done;
    }
    if (open_count >= CC_OPEN_PULL_REQUESTS_MAX) {
        json_decref(fingerprint);
        rc = api_error(call, ERR_LIMIT, "MaximumOpenPullRequestsExceededException",
                       "You cannot create the pull request because the repository has too many "
                       "open pull requests. The maximum number of open pull requests for a "
                       "repository is 1,000.");
        goto done;
    }

    /* The next id of the account and region. */
    json_t *seq = NULL;
    int64_t last = 0;
    rc = record_get(&seq, NULL, call->store, tx, CC_KIND_PULL_REQUEST_SEQ, scope, "last");
    if (rc == 0)
        last = json_integer_value(json_object_get(seq, "last"));
    json_decref(seq);
    if (rc < 0 && rc != ERR_NOT_FOUND) {
        json_decref(fingerprint);
        goto done;
    }
    char id[32];
    snprintf(id, sizeof(id), "%lld", (long long)(last + 1));
    seq = json_pack("{s:I}", "last", (json_int_t)(last + 1));
    rc = record_upsert(call->store, tx, CC_KIND_PULL_REQUEST_SEQ, scope, "last", seq);
    json_decref(seq);
    if (rc < 0) {
        json_decref(fingerprint);
        goto done;
    }

    int64_t now = clock_now_ms();
    json_t *r =
        json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:{s:b}, s:{}}", "pullRequestId",
                  id, "title", title, "creationDate", (json_int_t)now, "lastActivityDate",
                  (json_int_t)now, "pullRequestStatus", "OPEN", "authorArn", cc_caller_arn(call),
                  "repositoryId", pr.repo.loc.id, "sourceReference", src_ref,
                  "destinationReference", dst_ref, "mergeMetadata", "isMerged", 0, "approvals");
    if (description)
        json_object_set_new(r, "description", json_string(description));
    if (token)
        json_object_set_new(r, "clientRequestToken", json_string(token));
    set_oid(r, "sourceCommit", &src);
    set_oid(r, "destinationCommit", &dst);
    git_oid base;
    if (git_merge_base(&base, pr.repo.git, &src, &dst) == 0)
        set_oid(r, "mergeBase", &base);
    cc_pr_new_revision(r, false);
    json_t *rules = NULL;
    if ((rc = cc_template_rules(&rules, call, tx, pr.repo.loc.id, dst_ref)) < 0) {
        json_decref(r);
        json_decref(fingerprint);
        goto done;
    }
    json_object_set_new(r, "approvalRules", rules);
    json_t *meta = json_pack("{s:s, s:O, s:O}", "repositoryName", pr.repo.loc.name,
                             "sourceCommitId", json_object_get(r, "sourceCommit"),
                             "destinationCommitId", json_object_get(r, "destinationCommit"));
    if (json_object_get(r, "mergeBase"))
        json_object_set(meta, "mergeBase", json_object_get(r, "mergeBase"));
    cc_pr_event_add(r, call, "PULL_REQUEST_CREATED", "pullRequestCreatedEventMetadata", meta);
    pr.record = r;
    targets_mirror(&pr);

    rc = record_insert(call->store, tx, CC_KIND_PULL_REQUEST, scope, id, r);
    if (rc == 0) {
        pr.version = 1;
        /* The index entry: cc_pr_save() writes it on every change. */
        char name[CC_SCOPE_MAX + 64];
        index_name(name, sizeof(name), pr.repo.loc.id, id);
        json_t *entry = json_pack("{s:s, s:s, s:s}", "pullRequestId", id, "pullRequestStatus",
                                  "OPEN", "authorArn", cc_caller_arn(call));
        rc = record_insert(call->store, tx, CC_KIND_PULL_REQUEST_INDEX, scope, name, entry);
        json_decref(entry);
    }
    if (rc == 0 && token) {
        json_t *used = json_pack("{s:s, s:s, s:O}", "pullRequestId", id, "repositoryId",
                                 pr.repo.loc.id, "request", fingerprint);
        rc = record_insert(call->store, tx, CC_KIND_PULL_REQUEST_TOKEN, scope, token, used);
        json_decref(used);
    }
    json_decref(fingerprint);
    if (rc == 0)
        rc = cc_pr_outbox(call, tx, &pr, "pullRequestCreated", NULL);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0)
        *out = json_pack("{s:o}", "pullRequest", cc_pr_json(&pr));
done:
    cc_pr_close(&pr);
    return rc;
}

/* ---- GetPullRequest, ListPullRequests, DescribePullRequestEvents ------------- */

int cc_get_pull_request(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_pr pr;
    int rc = cc_pr_open(&pr, call, cc_str(in, "pullRequestId"), NULL, NULL);
    if (rc < 0)
        return rc;
    *out = json_pack("{s:o}", "pullRequest", cc_pr_json(&pr));
    cc_pr_close(&pr);
    return 0;
}

int cc_max_results(int *out, struct api_call *call, const json_t *in, int most, int fallback)
{
    json_t *v = json_object_get(in, "maxResults");
    if (!v) {
        *out = fallback;
        return 0;
    }
    json_int_t n = json_integer_value(v);
    if (!json_is_integer(v) || n < 1 || n > most)
        return api_error(call, ERR_INVALID, "InvalidMaxResultsException",
                         "The specified number of maximum results is not valid: it must be "
                         "between 1 and %d.",
                         most);
    *out = (int)n;
    return 0;
}

int cc_token_in(char **after_out, struct api_call *call, const json_t *in)
{
    *after_out = NULL;
    const char *token = cc_str(in, "nextToken");
    if (!token)
        return 0;
    if (pagination_token_decode(after_out, token) < 0)
        return api_error(call, ERR_INVALID, "InvalidContinuationTokenException",
                         "The specified continuation token is not valid.");
    return 0;
}

void cc_token_out(json_t *out, const char *last)
{
    struct buf token = BUF_INIT;
    pagination_token_encode(&token, last);
    json_object_set_new(out, "nextToken", json_string(token.data));
    buf_release(&token);
}

static bool arn_like(const char *s)
{
    return strncmp(s, "arn:", 4) == 0 && strlen(s) > 20 && strlen(s) < PRINCIPAL_ARN_MAX;
}

int cc_list_pull_requests(struct api_call *call, json_t *in, json_t **out)
{
    const char *status = cc_str(in, "pullRequestStatus");
    if (status && strcmp(status, "OPEN") != 0 && strcmp(status, "CLOSED") != 0)
        return api_error(call, ERR_INVALID, "InvalidPullRequestStatusException",
                         "The pull request status '%s' is not valid. The only valid values are "
                         "OPEN and CLOSED.",
                         status);
    const char *author = cc_str(in, "authorArn");
    if (author && !arn_like(author))
        return api_error(call, ERR_INVALID, "InvalidAuthorArnException",
                         "The Amazon Resource Name (ARN) '%s' is not valid.", author);
    int limit = 0;
    int rc = cc_max_results(&limit, call, in, LIST_MAX, LIST_DEFAULT);
    if (rc < 0)
        return rc;
    struct cc_repo repo;
    if ((rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL)) < 0)
        return rc;
    /* Whether a principal exists is the account's business: told only to
     * a caller allowed the call. */
    if (author && !iam_principal_exists(call->store, author)) {
        cc_repo_close(&repo);
        return api_error(call, ERR_NOT_FOUND, "AuthorDoesNotExistException",
                         "The specified Amazon Resource Name (ARN) '%s' does not exist in the "
                         "AWS account.",
                         author);
    }
    /* Status filters must see what the branches say now. */
    if ((rc = cc_pull_requests_sync_repository(call->store, NULL, &repo.loc, repo.git, NULL)) < 0) {
        cc_repo_close(&repo);
        return rc;
    }
    char *after = NULL;
    if ((rc = cc_token_in(&after, call, in)) < 0) {
        cc_repo_close(&repo);
        return rc;
    }
    char scope[CC_SCOPE_MAX], prefix[CC_SCOPE_MAX + 64];
    cc_scope(scope, call);
    snprintf(prefix, sizeof(prefix), "%s/", repo.loc.id);
    if (after && strncmp(after, prefix, strlen(prefix)) != 0) {
        free(after);
        cc_repo_close(&repo);
        return api_error(call, ERR_INVALID, "InvalidContinuationTokenException",
                         "The specified continuation token is not valid.");
    }
    json_t *ids = json_array();
    bool more = true;
    char *last = NULL;
    while (more && json_array_size(ids) < (size_t)limit) {
        json_t *page = NULL;
        rc = record_list(&page, &more, call->store, NULL, CC_KIND_PULL_REQUEST_INDEX, scope, prefix,
                         last ? last : after, 0);
        if (rc < 0)
            break;
        size_t i;
        json_t *item;
        json_array_foreach(page, i, item)
        {
            if (json_array_size(ids) >= (size_t)limit) {
                more = true;
                break;
            }
            free(last);
            last = xstrdup(cc_str(item, "_name") ?: "");
            if (status && strcmp(cc_str(item, "pullRequestStatus") ?: "", status) != 0)
                continue;
            if (author && strcmp(cc_str(item, "authorArn") ?: "", author) != 0)
                continue;
            json_array_append(ids, json_object_get(item, "pullRequestId"));
        }
        json_decref(page);
    }
    free(after);
    cc_repo_close(&repo);
    if (rc < 0) {
        free(last);
        json_decref(ids);
        return rc;
    }
    *out = json_pack("{s:o}", "pullRequestIds", ids);
    if (more && last)
        cc_token_out(*out, last);
    free(last);
    return 0;
}

static const char *const event_types[] = {
    "PULL_REQUEST_CREATED",
    "PULL_REQUEST_STATUS_CHANGED",
    "PULL_REQUEST_SOURCE_REFERENCE_UPDATED",
    "PULL_REQUEST_MERGE_STATE_CHANGED",
    "PULL_REQUEST_APPROVAL_RULE_CREATED",
    "PULL_REQUEST_APPROVAL_RULE_UPDATED",
    "PULL_REQUEST_APPROVAL_RULE_DELETED",
    "PULL_REQUEST_APPROVAL_RULE_OVERRIDDEN",
    "PULL_REQUEST_APPROVAL_STATE_CHANGED",
};

int cc_describe_pull_request_events(struct api_call *call, json_t *in, json_t **out)
{
    const char *type = cc_str(in, "pullRequestEventType");
    if (type) {
        bool known = false;
        for (size_t i = 0; i < ARRAY_SIZE(event_types) && !known; i++)
            known = strcmp(type, event_types[i]) == 0;
        if (!known)
            return api_error(call, ERR_INVALID, "InvalidPullRequestEventTypeException",
                             "The pull request event type '%s' is not valid.", type);
    }
    const char *actor = cc_str(in, "actorArn");
    if (actor && !arn_like(actor))
        return api_error(call, ERR_INVALID, "InvalidActorArnException",
                         "The Amazon Resource Name (ARN) '%s' is not valid.", actor);
    int limit = 0;
    int rc = cc_max_results(&limit, call, in, EVENTS_MAX_PAGE, EVENTS_MAX_PAGE);
    if (rc < 0)
        return rc;
    char *after = NULL;
    if ((rc = cc_token_in(&after, call, in)) < 0)
        return rc;
    /* The token holds the position of the next event. */
    size_t start = 0;
    if (after) {
        char *end = NULL;
        unsigned long long n = strtoull(after, &end, 10);
        bool ok = after[0] && end && *end == '\0';
        free(after);
        if (!ok)
            return api_error(call, ERR_INVALID, "InvalidContinuationTokenException",
                             "The specified continuation token is not valid.");
        start = (size_t)n;
    }
    struct cc_pr pr;
    if ((rc = cc_pr_open(&pr, call, cc_str(in, "pullRequestId"), NULL, NULL)) < 0)
        return rc;
    /* Checked once the caller is known to be allowed (see ListPullRequests). */
    if (actor && !iam_principal_exists(call->store, actor)) {
        cc_pr_close(&pr);
        return api_error(call, ERR_NOT_FOUND, "ActorDoesNotExistException",
                         "The specified Amazon Resource Name (ARN) '%s' does not exist in the "
                         "AWS account.",
                         actor);
    }
    json_t *events = json_object_get(pr.record, "events");
    json_t *list = json_array();
    size_t i = start;
    for (; i < json_array_size(events) && json_array_size(list) < (size_t)limit; i++) {
        json_t *e = json_array_get(events, i);
        if (type && strcmp(cc_str(e, "pullRequestEventType") ?: "", type) != 0)
            continue;
        if (actor && strcmp(cc_str(e, "actorArn") ?: "", actor) != 0)
            continue;
        json_t *copy = json_deep_copy(e);
        json_object_set(copy, "pullRequestId", json_object_get(pr.record, "pullRequestId"));
        json_array_append_new(list, copy);
    }
    *out = json_pack("{s:o}", "pullRequestEvents", list);
    if (i < json_array_size(events)) {
        char pos[32];
        snprintf(pos, sizeof(pos), "%zu", i);
        cc_token_out(*out, pos);
    }
    cc_pr_close(&pr);
    return 0;
}

/* ---- updates ----------------------------------------------------------------- */

int cc_pr_begin(struct cc_pr *pr, struct store_tx **tx, struct api_call *call,
                const char *pull_request_id)
{
    int rc = store_tx_begin(tx, call->store);
    if (rc < 0)
        return rc;
    return cc_pr_open(pr, call, pull_request_id, NULL, *tx);
}

int cc_pr_finish(struct api_call *call, struct store_tx **tx, struct cc_pr *pr, const char *event,
                 json_t *extra)
{
    json_object_set_new(pr->record, "lastActivityDate", json_integer(clock_now_ms()));
    int rc = cc_pr_save(call, *tx, pr);
    if (rc == 0 && event)
        rc = cc_pr_outbox(call, *tx, pr, event, extra);
    else
        json_decref(extra);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(*tx));
    return rc;
}

/* Sets text `member` of an open pull request to `value` (a new revision
 * that keeps the approvals) and answers {"pullRequest": ...}. */
static int pr_text_update(struct api_call *call, json_t *in, json_t **out, const char *member,
                          const char *value)
{
    struct cc_pr pr = {0};
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    int rc = cc_pr_begin(&pr, &tx, call, cc_str(in, "pullRequestId"));
    if (rc == 0)
        rc = cc_pr_require_open(call, &pr);
    if (rc == 0) {
        json_object_set_new(pr.record, member, json_string(value));
        cc_pr_new_revision(pr.record, true);
        rc = cc_pr_finish(call, &tx, &pr, NULL, NULL);
    }
    if (rc == 0)
        *out = json_pack("{s:o}", "pullRequest", cc_pr_json(&pr));
    cc_pr_close(&pr);
    return rc;
}

int cc_update_pull_request_title(struct api_call *call, json_t *in, json_t **out)
{
    const char *title = cc_str(in, "title");
    if (!title || !title[0])
        return api_error(call, ERR_INVALID, "TitleRequiredException",
                         "A pull request title is required. It cannot be empty or null.");
    if (cc_char_count(title) > CC_TITLE_MAX)
        return api_error(call, ERR_INVALID, "InvalidTitleException",
                         "The title of the pull request is not valid. Pull request titles "
                         "cannot exceed %d characters in length.",
                         CC_TITLE_MAX);
    return pr_text_update(call, in, out, "title", title);
}

int cc_update_pull_request_description(struct api_call *call, json_t *in, json_t **out)
{
    const char *description = cc_str(in, "description");
    if (!description)
        return api_error(call, ERR_INVALID, "InvalidDescriptionException",
                         "The pull request description is required.");
    if (cc_char_count(description) > CC_PR_DESCRIPTION_MAX)
        return api_error(call, ERR_INVALID, "InvalidDescriptionException",
                         "The pull request description is not valid. Descriptions cannot be "
                         "more than %d characters.",
                         CC_PR_DESCRIPTION_MAX);
    return pr_text_update(call, in, out, "description", description);
}

int cc_update_pull_request_status(struct api_call *call, json_t *in, json_t **out)
{
    const char *status = cc_str(in, "pullRequestStatus");
    if (!status || !status[0])
        return api_error(call, ERR_INVALID, "PullRequestStatusRequiredException",
                         "A pull request status is required, but none was provided.");
    if (strcmp(status, "OPEN") != 0 && strcmp(status, "CLOSED") != 0)
        return api_error(call, ERR_INVALID, "InvalidPullRequestStatusException",
                         "The pull request status '%s' is not valid. The only valid values are "
                         "OPEN and CLOSED.",
                         status);
    struct cc_pr pr = {0};
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    int rc = cc_pr_begin(&pr, &tx, call, cc_str(in, "pullRequestId"));
    if (rc == 0 && (strcmp(status, "CLOSED") != 0 ||
                    strcmp(cc_str(pr.record, "pullRequestStatus") ?: "", "OPEN") != 0))
        rc = api_error(call, ERR_INVALID, "InvalidPullRequestStatusUpdateException",
                       "The pull request status update is not valid. The only valid update is "
                       "from OPEN to CLOSED.");
    if (rc == 0) {
        json_object_set_new(pr.record, "pullRequestStatus", json_string("CLOSED"));
        cc_pr_new_revision(pr.record, true);
        cc_pr_event_add(pr.record, call, "PULL_REQUEST_STATUS_CHANGED",
                        "pullRequestStatusChangedEventMetadata",
                        json_pack("{s:s}", "pullRequestStatus", "CLOSED"));
        rc = cc_pr_finish(call, &tx, &pr, "pullRequestStatusChanged", NULL);
    }
    if (rc == 0)
        *out = json_pack("{s:o}", "pullRequest", cc_pr_json(&pr));
    cc_pr_close(&pr);
    return rc;
}

/* ---- a repository's branches moved ------------------------------------------ */

/* The pull request this thread is merging (see cc_pr_merging()). */
static __thread const char *merging_id;

void cc_pr_merging(const char *pull_request_id)
{
    merging_id = pull_request_id;
}

int cc_pull_requests_sync_repository(struct store *st, struct store_tx *tx,
                                     const struct codecommit_repo *repo, git_repository *git,
                                     const char *caller_arn)
{
    struct principal who;
    memset(&who, 0, sizeof(who));
    snprintf(who.arn, sizeof(who.arn), "%s", caller_arn ?: "");
    struct api_call call = {.account_id = repo->account_id,
                            .region = repo->region,
                            .partition = "aws",
                            .store = st,
                            .principal = caller_arn ? &who : NULL,
                            .download = {.fd = -1}};
    char scope[CC_SCOPE_MAX], prefix[CC_SCOPE_MAX + 64];
    cc_scope(scope, &call);
    snprintf(prefix, sizeof(prefix), "%s/", repo->id);
    _cleanup_store_tx_ struct store_tx *own = NULL;
    struct store_tx *t = tx;
    char *after = NULL;
    int rc;
    for (;;) {
        json_t *page = NULL;
        bool more = false;
        rc = record_list(&page, &more, st, t, CC_KIND_PULL_REQUEST_INDEX, scope, prefix, after, 0);
        if (rc < 0)
            break;
        size_t i;
        json_t *item;
        json_array_foreach(page, i, item)
        {
            free(after);
            after = xstrdup(cc_str(item, "_name") ?: "");
            if (strcmp(cc_str(item, "pullRequestStatus") ?: "", "OPEN") != 0)
                continue;
            const char *id = cc_str(item, "pullRequestId") ?: "";
            if (merging_id && strcmp(id, merging_id) == 0)
                continue;
            struct cc_pr pr;
            memset(&pr, 0, sizeof(pr));
            pr.repo.loc = *repo;
            pr.repo.git = git;
            rc = record_get(&pr.record, &pr.version, st, t, CC_KIND_PULL_REQUEST, scope, id);
            if (rc == 0 && pr_stale(&pr) && !t) {
                /* The writer only once something moved. */
                if ((rc = store_tx_begin(&own, st)) == 0) {
                    t = own;
                    json_decref(pr.record);
                    pr.record = NULL;
                    rc =
                        record_get(&pr.record, &pr.version, st, t, CC_KIND_PULL_REQUEST, scope, id);
                }
            }
            bool changed = false;
            if (rc == 0 && t)
                rc = pr_sync(&changed, &call, t, &pr, caller_arn != NULL);
            if (rc == 0 && changed)
                rc = cc_pr_save(&call, t, &pr);
            json_decref(pr.record);
            if (rc == ERR_NOT_FOUND)
                rc = 0;
            if (rc < 0)
                break;
        }
        json_decref(page);
        if (rc < 0 || !more)
            break;
    }
    free(after);
    json_decref(call.error_fields);
    if (rc == 0 && own)
        rc = store_tx_commit(TAKE_PTR(own));
    return rc;
}

/* ---- forgetting a repository ------------------------------------------------- */

static int forget_pull_requests(struct store *st, struct store_tx *tx, const char *scope,
                                const char *repository_id)
{
    char prefix[CC_SCOPE_MAX + 64];
    snprintf(prefix, sizeof(prefix), "%s/", repository_id);
    json_t *names = NULL;
    int rc = record_list_names(&names, st, tx, CC_KIND_PULL_REQUEST_INDEX, scope, prefix);
    if (rc < 0)
        return rc;
    size_t i;
    json_t *name;
    json_array_foreach(names, i, name)
    {
        const char *slash = strrchr(json_string_value(name), '/');
        char id[32];
        snprintf(id, sizeof(id), "%llu", strtoull(slash ? slash + 1 : "0", NULL, 10));
        json_t *record = NULL;
        if (record_get(&record, NULL, st, tx, CC_KIND_PULL_REQUEST, scope, id) == 0) {
            const char *token = cc_str(record, "clientRequestToken");
            if (token)
                rc = store_doc_delete(st, tx, CC_KIND_PULL_REQUEST_TOKEN, scope, token, 0);
            if (rc == ERR_NOT_FOUND)
                rc = 0;
            if (rc == 0)
                rc = store_doc_delete(st, tx, CC_KIND_PULL_REQUEST, scope, id, 0);
        }
        json_decref(record);
        if (rc < 0)
            break;
    }
    json_decref(names);
    if (rc < 0)
        return rc;
    size_t count = 0;
    return store_doc_delete_prefix(&count, st, tx, CC_KIND_PULL_REQUEST_INDEX, scope, prefix);
}

static int forget_associations(struct store *st, struct store_tx *tx, const char *scope,
                               const char *repository_id)
{
    char *after = NULL;
    int rc;
    for (;;) {
        json_t *page = NULL;
        bool more = false;
        rc = record_list(&page, &more, st, tx, CC_KIND_APPROVAL_TEMPLATE, scope, NULL, after, 0);
        if (rc < 0)
            break;
        size_t i;
        json_t *item;
        json_array_foreach(page, i, item)
        {
            free(after);
            after = xstrdup(cc_str(item, "_name") ?: "");
            ssize_t at = cc_template_repository_index(item, repository_id);
            if (at >= 0) {
                json_array_remove(json_object_get(item, "repositoryIds"), (size_t)at);
                json_object_del(item, "_name");
                rc = record_upsert(st, tx, CC_KIND_APPROVAL_TEMPLATE, scope, after, item);
                if (rc < 0)
                    break;
            }
        }
        json_decref(page);
        if (rc < 0 || !more)
            break;
    }
    free(after);
    return rc;
}

int cc_pull_requests_forget_repository(struct store *st, struct store_tx *tx,
                                       const struct api_call *call, const char *repository_id)
{
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    int rc = forget_pull_requests(st, tx, scope, repository_id);
    if (rc == 0)
        rc = forget_associations(st, tx, scope, repository_id);
    return rc;
}
