#include "base/common.h"
#include "services/codecommit/comments.h"

#include <ctype.h>
#include <strings.h>

#include "aws/pagination.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/ids.h"
#include "services/codecommit/approval_rules.h"
#include "services/codecommit/text.h"
#include "services/common/event.h"
#include "services/common/record.h"

/*
 * Comments on the comparison of two commits and on pull requests. A
 * comment is one record under its repository's id (so a rename leaves it
 * where it is and a deleted repository takes its comments along) and an
 * index record under its own id, for the operations that name only the
 * comment. A reply inherits its parent's comparison and location, so the
 * listings group a thread together. Every change writes its EventBridge
 * event to the outbox in the same transaction.
 */

/* Pull requests belong to pull_requests.c: comments only read them, through
 * cc_pr_open() (approval_rules.h). */

#define TOKEN_MAX             256
#define COMMENTS_PAGE_DEFAULT 100
#define COMMENTS_PAGE_MAX     500
#define DETAIL_TYPE_COMMIT    "CodeCommit Comment on Commit"
#define DETAIL_TYPE_PULL      "CodeCommit Comment on Pull Request"

static bool is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

static bool is_full_hex_id(const char *s)
{
    if (strlen(s) != GIT_OID_HEXSZ)
        return false;
    for (size_t i = 0; i < GIT_OID_HEXSZ; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* ---- the Comment shape and events ---------------------------------------- */

json_t *cc_comment_json(const struct api_call *call, const json_t *record)
{
    json_t *c = json_object();
    static const char *const copied[] = {"commentId",    "content",           "inReplyTo",
                                         "creationDate", "lastModifiedDate",  "authorArn",
                                         "deleted",      "clientRequestToken"};
    for (size_t i = 0; i < ARRAY_SIZE(copied); i++) {
        json_t *v = json_object_get(record, copied[i]);
        if (v)
            json_object_set(c, copied[i], v);
    }
    json_t *callers = json_array();
    json_t *counts = json_object();
    json_t *reactions = json_object_get(record, "reactions");
    const char *who;
    json_t *value;
    json_object_foreach(reactions, who, value)
    {
        const char *code = json_string_value(value);
        if (!code)
            continue;
        json_int_t n = json_integer_value(json_object_get(counts, code));
        json_object_set_new(counts, code, json_integer(n + 1));
        if (strcmp(who, cc_caller_arn(call)) == 0)
            json_array_append_new(callers, json_string(code));
    }
    json_object_set_new(c, "callerReactions", callers);
    json_object_set_new(c, "reactionCounts", counts);
    return c;
}

int cc_comment_event_append(int64_t *seq_out, struct api_call *call, struct store_tx *tx,
                            const struct codecommit_repo *repo, const json_t *record,
                            const char *detail_type, const char *event, const json_t *extra)
{
    json_t *detail =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "event", event, "repositoryName", repo->name,
                  "repositoryId", repo->id, "commentId", cc_str(record, "commentId") ?: "",
                  "callerUserArn", cc_caller_arn(call));
    static const char *const copied[] = {"beforeCommitId", "afterCommitId", "inReplyTo",
                                         "pullRequestId"};
    for (size_t i = 0; i < ARRAY_SIZE(copied); i++) {
        json_t *v = json_object_get(record, copied[i]);
        if (v)
            json_object_set(detail, copied[i], v);
    }
    const char *pr = cc_str(record, "pullRequestId");
    struct buf body = BUF_INIT;
    buf_addf(&body,
             "A %s event occurred in the following AWS CodeCommit repository: %s. The user: %s "
             "made a comment or replied to a comment.",
             pr ? "pull request" : "commit", repo->name, cc_caller_arn(call));
    if (pr)
        buf_addf(&body, " The comment was made on the following Pull Request: %s.", pr);
    else
        buf_addf(&body, " The comment was made on the following comparison: %s and %s.",
                 cc_str(record, "beforeCommitId") ?: "(none)",
                 cc_str(record, "afterCommitId") ?: "");
    json_object_set_new(detail, "notificationBody", json_string(body.data));
    buf_release(&body);
    if (extra)
        json_object_update(detail, (json_t *)extra);

    const struct event_source src = {.source = "aws.codecommit",
                                     .detail_type = detail_type,
                                     .account = repo->account_id,
                                     .region = repo->region};
    return event_append(seq_out, call->store, tx, &src, json_pack("[s]", repo->arn), detail);
}

/* ---- finding comments ----------------------------------------------------- */

static int comment_id_check(struct api_call *call, const char *comment_id)
{
    if (!comment_id || !comment_id[0])
        return api_error(call, ERR_INVALID, "CommentIdRequiredException",
                         "The comment ID is missing or null. A comment ID is required.");
    if (!is_uuid(comment_id))
        return api_error(call, ERR_INVALID, "InvalidCommentIdException",
                         "The comment ID '%.64s' is not in a valid format. Make sure that you "
                         "have provided the full comment ID.",
                         comment_id);
    return 0;
}

static int comment_missing(struct api_call *call, const char *comment_id)
{
    return api_error(call, ERR_NOT_FOUND, "CommentDoesNotExistException",
                     "No comment exists with the provided ID '%s'. Verify that you have used "
                     "the correct ID, and then try again.",
                     comment_id);
}

int cc_comment_open(struct cc_comment *out, struct api_call *call, const char *comment_id)
{
    memset(out, 0, sizeof(*out));
    int rc = comment_id_check(call, comment_id);
    if (rc < 0)
        return rc;
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    json_t *index = NULL;
    rc = record_get(&index, NULL, call->store, NULL, CC_KIND_COMMENT_ID, scope, comment_id);
    if (rc == ERR_NOT_FOUND)
        return comment_missing(call, comment_id);
    if (rc < 0)
        return rc;
    char repository_id[CODECOMMIT_ID_LEN + 1];
    snprintf(repository_id, sizeof(repository_id), "%s", cc_str(index, "repositoryId") ?: "");
    json_decref(index);

    json_t *where = NULL;
    rc = record_get(&where, NULL, call->store, NULL, CC_KIND_REPOSITORY_ID, "all", repository_id);
    if (rc == ERR_NOT_FOUND)
        return comment_missing(call, comment_id);
    if (rc < 0)
        return rc;
    char name[CODECOMMIT_NAME_MAX + 1];
    snprintf(name, sizeof(name), "%s", cc_str(where, "repositoryName") ?: "");
    json_decref(where);

    rc = cc_repo_open(&out->repo, call, name, NULL);
    if (rc < 0) {
        if (strcmp(call->error_code, "RepositoryDoesNotExistException") == 0)
            return comment_missing(call, comment_id);
        return rc;
    }
    snprintf(out->name, sizeof(out->name), "%s/%s", repository_id, comment_id);
    rc = record_get(&out->record, &out->version, call->store, NULL, CC_KIND_COMMENT, scope,
                    out->name);
    if (rc < 0) {
        cc_comment_close(out);
        return rc == ERR_NOT_FOUND ? comment_missing(call, comment_id) : rc;
    }
    return 0;
}

void cc_comment_close(struct cc_comment *c)
{
    if (!c)
        return;
    cc_repo_close(&c->repo);
    json_decref(c->record);
    memset(c, 0, sizeof(*c));
}

/* ---- checking what a new comment is about --------------------------------- */

static int content_check(struct api_call *call, const char *content)
{
    if (!content || !content[0])
        return api_error(call, ERR_INVALID, "CommentContentRequiredException",
                         "The comment is empty. You must provide some content for a comment. "
                         "The content cannot be null.");
    if (cc_char_count(content) > CC_COMMENT_CONTENT_MAX)
        return api_error(call, ERR_INVALID, "CommentContentSizeLimitExceededException",
                         "The comment is too large. Comments are limited to 10,240 characters.");
    return 0;
}

static int token_check(struct api_call *call, const char *token)
{
    if (token && (!token[0] || strlen(token) > TOKEN_MAX))
        return api_error(call, ERR_INVALID, "InvalidClientRequestTokenException",
                         "The client request token is not valid: it must have 1 to %d "
                         "characters.",
                         TOKEN_MAX);
    return 0;
}

/* A full commit id naming a commit of the repository. */
static int commit_id_check(git_commit **out, struct api_call *call, git_repository *git,
                           const char *id, const char *member)
{
    if (!id || !id[0])
        return api_error(call, ERR_INVALID, "CommitIdRequiredException",
                         "A commit ID was not specified (%s).", member);
    if (!is_full_hex_id(id))
        return api_error(call, ERR_INVALID, "InvalidCommitIdException",
                         "The specified commit ID '%.64s' is not valid (%s): use a full commit ID.",
                         id, member);
    git_oid oid;
    if (git_oid_fromstr(&oid, id) < 0 || git_commit_lookup(out, git, &oid) < 0)
        return api_error(call, ERR_NOT_FOUND, "CommitDoesNotExistException",
                         "The specified commit '%s' does not exist in the repository (%s).", id,
                         member);
    return 0;
}

static int path_check(struct api_call *call, const char *path)
{
    if (!path || !path[0])
        return api_error(call, ERR_INVALID, "PathRequiredException",
                         "The filePath for a location cannot be null.");
    const char *p = path;
    bool bad = strlen(path) > 4096;
    while (!bad && *p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            bad = true;
        p += len + (slash ? 1 : 0);
        if (slash && !*p)
            bad = true;
    }
    if (bad)
        return api_error(call, ERR_INVALID, "InvalidPathException",
                         "The specified path '%.256s' is not valid.", path);
    return 0;
}

/* The blob of `path` in `commit`, or false when it has none there. */
static int blob_at(git_oid *out, bool *found, bool *is_blob, const git_commit *commit,
                   const char *path)
{
    *found = false;
    *is_blob = false;
    if (!commit)
        return 0;
    git_tree *tree = NULL;
    if (git_commit_tree(&tree, commit) < 0)
        return err_set(ERR_INTERNAL, "cannot read a tree: %s", git_error_last()->message);
    git_tree_entry *entry = NULL;
    int rc = git_tree_entry_bypath(&entry, tree, path);
    if (rc == 0) {
        *found = true;
        *is_blob = git_tree_entry_type(entry) == GIT_OBJECT_BLOB;
        git_oid_cpy(out, git_tree_entry_id(entry));
        git_tree_entry_free(entry);
    }
    git_tree_free(tree);
    return 0;
}

static int64_t blob_lines(git_repository *git, const git_oid *oid)
{
    git_blob *blob = NULL;
    if (git_blob_lookup(&blob, git, oid) < 0)
        return -1;
    const char *data = git_blob_rawcontent(blob);
    git_object_size_t size = git_blob_rawsize(blob);
    int64_t lines = 0;
    for (git_object_size_t i = 0; i < size; i++)
        if (data[i] == '\n')
            lines++;
    if (size && data[size - 1] != '\n')
        lines++;
    git_blob_free(blob);
    return lines;
}

/*
 * Checks a Location against the compared commits and fills in the blob
 * ids of the file on either side. `*norm_out` is the location as stored.
 */
static int location_check(json_t **norm_out, char before_blob[GIT_OID_HEXSZ + 1],
                          char after_blob[GIT_OID_HEXSZ + 1], struct api_call *call,
                          git_repository *git, const git_commit *before, const git_commit *after,
                          const json_t *location)
{
    before_blob[0] = after_blob[0] = '\0';
    *norm_out = NULL;
    if (!location)
        return 0;
    const char *path = cc_str(location, "filePath");
    int rc = path_check(call, path);
    if (rc < 0)
        return rc;
    const char *version = cc_str(location, "relativeFileVersion");
    if (!version)
        version = "AFTER";
    bool on_before = strcmp(version, "BEFORE") == 0;
    if (!on_before && strcmp(version, "AFTER") != 0)
        return api_error(call, ERR_INVALID, "InvalidRelativeFileVersionEnumException",
                         "The relativeFileVersion '%.32s' is not valid: use BEFORE or AFTER.",
                         version);
    if (on_before && !before)
        return api_error(call, ERR_INVALID, "InvalidRelativeFileVersionEnumException",
                         "The relativeFileVersion BEFORE is not valid without a before commit.");

    git_oid before_oid, after_oid;
    bool before_found, before_is_blob, after_found, after_is_blob;
    if ((rc = blob_at(&before_oid, &before_found, &before_is_blob, before, path)) < 0 ||
        (rc = blob_at(&after_oid, &after_found, &after_is_blob, after, path)) < 0)
        return rc;
    bool found = on_before ? before_found : after_found;
    bool is_blob = on_before ? before_is_blob : after_is_blob;
    if (!found)
        return api_error(call, ERR_NOT_FOUND, "PathDoesNotExistException",
                         "The specified path '%s' does not exist in the %s commit.", path,
                         on_before ? "before" : "after");
    if (!is_blob)
        return api_error(call, ERR_INVALID, "InvalidFileLocationException",
                         "The location of the file is not valid: '%s' is not a file.", path);
    json_t *position = json_object_get(location, "filePosition");
    if (position) {
        json_int_t line = json_integer_value(position);
        int64_t lines = blob_lines(git, on_before ? &before_oid : &after_oid);
        if (lines < 0)
            return cc_git_fail(call, "cannot read the file");
        if (line < 1 || line > lines)
            return api_error(call, ERR_INVALID, "InvalidFilePositionException",
                             "The position %lld is not valid: '%s' has %lld lines in the %s "
                             "commit.",
                             (long long)line, path, (long long)lines,
                             on_before ? "before" : "after");
    }
    if (before_found && before_is_blob)
        git_oid_tostr(before_blob, GIT_OID_HEXSZ + 1, &before_oid);
    if (after_found && after_is_blob)
        git_oid_tostr(after_blob, GIT_OID_HEXSZ + 1, &after_oid);
    json_t *norm = json_pack("{s:s, s:s}", "filePath", path, "relativeFileVersion", version);
    if (position)
        json_object_set(norm, "filePosition", position);
    *norm_out = norm;
    return 0;
}

/* ---- posting -------------------------------------------------------------- */

struct comment_post {
    const char *content;
    const char *token;
    const char *in_reply_to;
    const char *pull_request_id;
    const char *before;
    const char *after;
    const char *before_blob;
    const char *after_blob;
    const json_t *location;
};

/*
 * Writes a new comment (or, for a token seen before with the same
 * request, finds the one it wrote) and its event. *record_out is the
 * comment as stored.
 */
static int comment_post(json_t **record_out, struct api_call *call, struct cc_repo *repo,
                        const struct comment_post *p)
{
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    json_t *request =
        json_pack("{s:s, s:s}", "content", p->content, "authorArn", cc_caller_arn(call));
    static const struct {
        const char *key;
        size_t offset;
    } members[] = {
        {"inReplyTo", offsetof(struct comment_post, in_reply_to)},
        {"pullRequestId", offsetof(struct comment_post, pull_request_id)},
        {"beforeCommitId", offsetof(struct comment_post, before)},
        {"afterCommitId", offsetof(struct comment_post, after)},
    };
    for (size_t i = 0; i < ARRAY_SIZE(members); i++) {
        const char *v = *(const char *const *)((const char *)p + members[i].offset);
        if (v)
            json_object_set_new(request, members[i].key, json_string(v));
    }
    if (p->location)
        json_object_set(request, "location", (json_t *)p->location);

    _cleanup_store_tx_ struct store_tx *tx = NULL;
    int rc = store_tx_begin(&tx, call->store);
    if (rc < 0) {
        json_decref(request);
        return rc;
    }
    struct buf token_name = BUF_INIT;
    if (p->token) {
        buf_addf(&token_name, "%s/%s", repo->loc.id, p->token);
        json_t *seen = NULL;
        rc =
            record_get(&seen, NULL, call->store, tx, CC_KIND_COMMENT_TOKEN, scope, token_name.data);
        if (rc == 0) {
            bool same = json_equal(json_object_get(seen, "request"), request);
            char name[CODECOMMIT_ID_LEN * 2 + 2];
            snprintf(name, sizeof(name), "%s/%s", repo->loc.id, cc_str(seen, "commentId") ?: "");
            json_decref(seen);
            json_decref(request);
            buf_release(&token_name);
            if (!same)
                return api_error(call, ERR_CONFLICT, "IdempotencyParameterMismatchException",
                                 "The client request token '%s' was used before with other "
                                 "parameters and cannot be reused.",
                                 p->token);
            rc = record_get(record_out, NULL, call->store, tx, CC_KIND_COMMENT, scope, name);
            return rc == ERR_NOT_FOUND ? comment_missing(call, name) : rc;
        }
        if (rc != ERR_NOT_FOUND) {
            json_decref(request);
            buf_release(&token_name);
            return rc;
        }
    }

    char id[UUID_TEXT_LEN];
    uuid_v4(id);
    json_t *record = json_pack(
        "{s:s, s:s, s:s, s:I, s:I, s:s, s:b, s:{}}", "commentId", id, "repositoryId", repo->loc.id,
        "content", p->content, "creationDate", (json_int_t)call->now_ms, "lastModifiedDate",
        (json_int_t)call->now_ms, "authorArn", cc_caller_arn(call), "deleted", 0, "reactions");
    if (p->token)
        json_object_set_new(record, "clientRequestToken", json_string(p->token));
    for (size_t i = 0; i < ARRAY_SIZE(members); i++) {
        json_t *v = json_object_get(request, members[i].key);
        if (v)
            json_object_set(record, members[i].key, v);
    }
    if (p->before_blob && p->before_blob[0])
        json_object_set_new(record, "beforeBlobId", json_string(p->before_blob));
    if (p->after_blob && p->after_blob[0])
        json_object_set_new(record, "afterBlobId", json_string(p->after_blob));
    if (p->location)
        json_object_set(record, "location", (json_t *)p->location);

    char name[CODECOMMIT_ID_LEN * 2 + 2];
    snprintf(name, sizeof(name), "%s/%s", repo->loc.id, id);
    json_t *index = json_pack("{s:s}", "repositoryId", repo->loc.id);
    /* The event's sequence number orders the comments: commit order, even
     * within one millisecond. */
    int64_t seq = 0;
    rc = cc_comment_event_append(
        &seq, call, tx, &repo->loc, record,
        p->pull_request_id ? DETAIL_TYPE_PULL : DETAIL_TYPE_COMMIT,
        p->pull_request_id ? "commentOnPullRequestCreated" : "commentOnCommitCreated", NULL);
    json_object_set_new(record, "seq", json_integer(seq));
    if (rc == 0)
        rc = record_insert(call->store, tx, CC_KIND_COMMENT, scope, name, record);
    if (rc == 0)
        rc = record_insert(call->store, tx, CC_KIND_COMMENT_ID, scope, id, index);
    if (rc == 0 && p->token) {
        json_t *seen = json_pack("{s:s, s:O}", "commentId", id, "request", request);
        rc = record_insert(call->store, tx, CC_KIND_COMMENT_TOKEN, scope, token_name.data, seen);
        json_decref(seen);
    }
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    json_decref(index);
    json_decref(request);
    buf_release(&token_name);
    if (rc < 0) {
        json_decref(record);
        return rc;
    }
    *record_out = record;
    return 0;
}

/* The members of the Post* outputs that describe what was commented on. */
static json_t *post_output(const struct api_call *call, const struct cc_repo *repo,
                           const json_t *record)
{
    json_t *out = json_pack("{s:s}", "repositoryName", repo->loc.name);
    static const char *const copied[] = {"pullRequestId", "beforeCommitId", "afterCommitId",
                                         "beforeBlobId",  "afterBlobId",    "location"};
    for (size_t i = 0; i < ARRAY_SIZE(copied); i++) {
        json_t *v = json_object_get(record, copied[i]);
        if (v)
            json_object_set(out, copied[i], v);
    }
    json_object_set_new(out, "comment", cc_comment_json(call, record));
    return out;
}

int cc_post_comment_for_compared_commit(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_repo repo;
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    const char *before_id = cc_str(in, "beforeCommitId");
    const char *after_id = cc_str(in, "afterCommitId");
    const char *content = cc_str(in, "content");
    const char *token = cc_str(in, "clientRequestToken");
    git_commit *before = NULL, *after = NULL;
    json_t *location = NULL, *record = NULL;
    char before_blob[GIT_OID_HEXSZ + 1], after_blob[GIT_OID_HEXSZ + 1];
    if ((rc = token_check(call, token)) < 0 || (rc = content_check(call, content)) < 0)
        goto done;
    if ((rc = commit_id_check(&after, call, repo.git, after_id, "afterCommitId")) < 0)
        goto done;
    if (before_id &&
        (rc = commit_id_check(&before, call, repo.git, before_id, "beforeCommitId")) < 0)
        goto done;
    if (before_id && strcmp(before_id, after_id) == 0) {
        rc = api_error(call, ERR_INVALID, "BeforeCommitIdAndAfterCommitIdAreSameException",
                       "The before commit ID and the after commit ID are the same, which is not "
                       "valid. The before commit ID and the after commit ID must be different "
                       "commit IDs.");
        goto done;
    }
    if ((rc = location_check(&location, before_blob, after_blob, call, repo.git, before, after,
                             json_object_get(in, "location"))) < 0)
        goto done;
    char before_hex[GIT_OID_HEXSZ + 1] = "", after_hex[GIT_OID_HEXSZ + 1];
    if (before)
        git_oid_tostr(before_hex, sizeof(before_hex), git_commit_id(before));
    git_oid_tostr(after_hex, sizeof(after_hex), git_commit_id(after));
    struct comment_post p = {
        .content = content,
        .token = token,
        .before = before ? before_hex : NULL,
        .after = after_hex,
        .before_blob = before_blob,
        .after_blob = after_blob,
        .location = location,
    };
    if ((rc = comment_post(&record, call, &repo, &p)) == 0)
        *out = post_output(call, &repo, record);
done:
    json_decref(record);
    json_decref(location);
    git_commit_free(before);
    git_commit_free(after);
    cc_repo_close(&repo);
    return rc;
}

/* ---- pull requests (read only) ------------------------------------------ */

/* The pull request's target in repository `repo`, or NULL (borrowed). */
static json_t *pull_request_target(const json_t *pr, const struct codecommit_repo *repo)
{
    size_t i;
    json_t *target;
    json_array_foreach(json_object_get(pr, "pullRequestTargets"), i, target)
    {
        const char *id = cc_str(target, "repositoryId");
        const char *name = cc_str(target, "repositoryName");
        if ((id && strcmp(id, repo->id) == 0) || (!id && name && strcmp(name, repo->name) == 0))
            return target;
    }
    return NULL;
}

static int not_associated(struct api_call *call, const char *pr_id, const char *name)
{
    return api_error(call, ERR_INVALID, "RepositoryNotAssociatedWithPullRequestException",
                     "The repository %s does not contain any pull requests with the ID %s.", name,
                     pr_id);
}

/* The pull request a request names, in the repository it names
 * (RepositoryNotAssociatedWithPullRequestException otherwise). */
static int pull_request_open(struct cc_pr *pr, json_t **target_out, struct api_call *call,
                             const char *pr_id, const char *name)
{
    int rc = cc_pr_open(pr, call, pr_id, NULL, NULL);
    if (rc < 0)
        return rc;
    json_t *target = pull_request_target(pr->record, &pr->repo.loc);
    if (name && (rc = cc_repo_name_check(call, name)) < 0) {
        cc_pr_close(pr);
        return rc;
    }
    if (!target || (name && strcmp(name, pr->repo.loc.name) != 0)) {
        rc = not_associated(call, pr_id, name ? name : pr->repo.loc.name);
        cc_pr_close(pr);
        return rc;
    }
    *target_out = target;
    return 0;
}

int cc_post_comment_for_pull_request(struct api_call *call, json_t *in, json_t **out)
{
    const char *pr_id = cc_str(in, "pullRequestId");
    const char *name = cc_str(in, "repositoryName");
    if (pr_id && pr_id[0] && (!name || !name[0]))
        return cc_repo_name_check(call, name);
    struct cc_pr pr;
    json_t *target = NULL;
    int rc = pull_request_open(&pr, &target, call, pr_id, name);
    if (rc < 0)
        return rc;
    struct cc_repo *repo = &pr.repo;
    const char *before_id = cc_str(in, "beforeCommitId");
    const char *after_id = cc_str(in, "afterCommitId");
    const char *content = cc_str(in, "content");
    const char *token = cc_str(in, "clientRequestToken");
    git_commit *before = NULL, *after = NULL;
    json_t *location = NULL, *record = NULL;
    char before_blob[GIT_OID_HEXSZ + 1], after_blob[GIT_OID_HEXSZ + 1];
    if ((rc = token_check(call, token)) < 0 || (rc = content_check(call, content)) < 0)
        goto done;
    if ((rc = commit_id_check(&before, call, repo->git, before_id, "beforeCommitId")) < 0 ||
        (rc = commit_id_check(&after, call, repo->git, after_id, "afterCommitId")) < 0)
        goto done;
    if (strcmp(before_id, after_id) == 0) {
        rc = api_error(call, ERR_INVALID, "BeforeCommitIdAndAfterCommitIdAreSameException",
                       "The before commit ID and the after commit ID are the same, which is not "
                       "valid. The before commit ID and the after commit ID must be different "
                       "commit IDs.");
        goto done;
    }
    /* The comparison must be the pull request's: its destination (or the
     * merge base) before, its source after. */
    const char *dest = cc_str(target, "destinationCommit");
    const char *base = cc_str(target, "mergeBase");
    const char *source = cc_str(target, "sourceCommit");
    if (!((dest && strcasecmp(dest, before_id) == 0) ||
          (base && strcasecmp(base, before_id) == 0))) {
        rc = api_error(call, ERR_INVALID, "InvalidCommitIdException",
                       "The before commit '%s' is not the destination commit of pull request "
                       "%s.",
                       before_id, pr_id);
        goto done;
    }
    if (!source || strcasecmp(source, after_id) != 0) {
        rc = api_error(call, ERR_INVALID, "InvalidCommitIdException",
                       "The after commit '%s' is not the source commit of pull request %s.",
                       after_id, pr_id);
        goto done;
    }
    if ((rc = location_check(&location, before_blob, after_blob, call, repo->git, before, after,
                             json_object_get(in, "location"))) < 0)
        goto done;
    char before_hex[GIT_OID_HEXSZ + 1], after_hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(before_hex, sizeof(before_hex), git_commit_id(before));
    git_oid_tostr(after_hex, sizeof(after_hex), git_commit_id(after));
    struct comment_post p = {
        .content = content,
        .token = token,
        .pull_request_id = pr_id,
        .before = before_hex,
        .after = after_hex,
        .before_blob = before_blob,
        .after_blob = after_blob,
        .location = location,
    };
    if ((rc = comment_post(&record, call, repo, &p)) == 0)
        *out = post_output(call, repo, record);
done:
    json_decref(record);
    json_decref(location);
    git_commit_free(before);
    git_commit_free(after);
    cc_pr_close(&pr);
    return rc;
}

int cc_post_comment_reply(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_comment parent;
    int rc = cc_comment_open(&parent, call, cc_str(in, "inReplyTo"));
    if (rc < 0)
        return rc;
    const char *content = cc_str(in, "content");
    const char *token = cc_str(in, "clientRequestToken");
    json_t *record = NULL;
    if ((rc = token_check(call, token)) < 0 || (rc = content_check(call, content)) < 0)
        goto done;
    struct comment_post p = {
        .content = content,
        .token = token,
        .in_reply_to = cc_str(parent.record, "commentId"),
        .pull_request_id = cc_str(parent.record, "pullRequestId"),
        .before = cc_str(parent.record, "beforeCommitId"),
        .after = cc_str(parent.record, "afterCommitId"),
        .before_blob = cc_str(parent.record, "beforeBlobId"),
        .after_blob = cc_str(parent.record, "afterBlobId"),
        .location = json_object_get(parent.record, "location"),
    };
    if ((rc = comment_post(&record, call, &parent.repo, &p)) == 0)
        *out = json_pack("{s:o}", "comment", cc_comment_json(call, record));
done:
    json_decref(record);
    cc_comment_close(&parent);
    return rc;
}

/* ---- reading, changing ---------------------------------------------------- */

int cc_get_comment(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_comment c;
    int rc = cc_comment_open(&c, call, cc_str(in, "commentId"));
    if (rc < 0)
        return rc;
    *out = json_pack("{s:o}", "comment", cc_comment_json(call, c.record));
    cc_comment_close(&c);
    return 0;
}

static int comment_deleted(struct api_call *call, const char *id)
{
    return api_error(call, ERR_INVALID, "CommentDeletedException",
                     "The comment %s has already been deleted. You cannot edit or delete a "
                     "deleted comment.",
                     id);
}

int cc_comment_store(struct api_call *call, struct cc_comment *c, const char *detail_type,
                     const char *event, const json_t *extra)
{
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    int rc = store_tx_begin(&tx, call->store);
    if (rc < 0)
        return rc;
    rc = record_update(call->store, tx, CC_KIND_COMMENT, scope, c->name, c->version, c->record);
    if (rc == ERR_CONFLICT || rc == ERR_NOT_FOUND)
        return api_error(call, ERR_CONFLICT, "CommentDoesNotExistException",
                         "The comment %s was changed or deleted by another request; try again.",
                         cc_str(c->record, "commentId"));
    if (rc == 0 && event)
        rc = cc_comment_event_append(NULL, call, tx, &c->repo.loc, c->record, detail_type, event,
                                     extra);
    if (rc < 0)
        return rc;
    return store_tx_commit(TAKE_PTR(tx));
}

/* cc_comment_store() with, when `event_suffix` is set, the comment's
 * "commentOn...<suffix>" event. */
static int comment_store(struct api_call *call, struct cc_comment *c, const char *event_suffix)
{
    if (!event_suffix)
        return cc_comment_store(call, c, NULL, NULL, NULL);
    bool pr = json_object_get(c->record, "pullRequestId") != NULL;
    char event[64];
    snprintf(event, sizeof(event), "commentOn%s%s", pr ? "PullRequest" : "Commit", event_suffix);
    return cc_comment_store(call, c, pr ? DETAIL_TYPE_PULL : DETAIL_TYPE_COMMIT, event, NULL);
}

/* Ends a change of c->record: lastModifiedDate now, stored with its
 * "...Updated" event, and answered as {"comment": ...}. */
static int comment_change_finish(struct api_call *call, struct cc_comment *c, json_t **out)
{
    json_object_set_new(c->record, "lastModifiedDate", json_integer(call->now_ms));
    int rc = comment_store(call, c, "Updated");
    if (rc == 0)
        *out = json_pack("{s:o}", "comment", cc_comment_json(call, c->record));
    return rc;
}

int cc_update_comment(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_comment c;
    int rc = cc_comment_open(&c, call, cc_str(in, "commentId"));
    if (rc < 0)
        return rc;
    const char *content = cc_str(in, "content");
    if ((rc = content_check(call, content)) < 0)
        goto done;
    if (json_is_true(json_object_get(c.record, "deleted"))) {
        rc = comment_deleted(call, c.name + CODECOMMIT_ID_LEN + 1);
        goto done;
    }
    if (strcmp(cc_str(c.record, "authorArn") ?: "", cc_caller_arn(call)) != 0) {
        rc = api_error(call, ERR_DENIED, "CommentNotCreatedByCallerException",
                       "You cannot modify or delete this comment. Only comment authors can "
                       "modify or delete their comments.");
        goto done;
    }
    json_object_set_new(c.record, "content", json_string(content));
    rc = comment_change_finish(call, &c, out);
done:
    cc_comment_close(&c);
    return rc;
}

int cc_delete_comment_content(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_comment c;
    int rc = cc_comment_open(&c, call, cc_str(in, "commentId"));
    if (rc < 0)
        return rc;
    if (json_is_true(json_object_get(c.record, "deleted"))) {
        rc = comment_deleted(call, c.name + CODECOMMIT_ID_LEN + 1);
        goto done;
    }
    json_object_del(c.record, "content");
    json_object_set_new(c.record, "deleted", json_true());
    rc = comment_change_finish(call, &c, out);
done:
    cc_comment_close(&c);
    return rc;
}

/* ---- listing -------------------------------------------------------------- */

static int max_results_get(int64_t *out, struct api_call *call, const json_t *in, int64_t def,
                           int64_t max)
{
    json_t *v = json_object_get(in, "maxResults");
    if (!v) {
        *out = def;
        return 0;
    }
    json_int_t n = json_integer_value(v);
    if (n < 1 || n > max)
        return api_error(call, ERR_INVALID, "InvalidMaxResultsException",
                         "The specified number of maximum results (%lld) is not valid: it must "
                         "be between 1 and %lld.",
                         (long long)n, (long long)max);
    *out = n;
    return 0;
}

/* Comments in the order they were written (their "seq"). */
static void sort_key(char *out, size_t size, const json_t *record)
{
    snprintf(out, size, "%020lld/%s", (long long)json_integer_value(json_object_get(record, "seq")),
             cc_str(record, "commentId") ?: "");
}

static int comment_order(const void *a, const void *b)
{
    char ka[80], kb[80];
    sort_key(ka, sizeof(ka), *(json_t *const *)a);
    sort_key(kb, sizeof(kb), *(json_t *const *)b);
    return strcmp(ka, kb);
}

typedef bool (*comment_filter_fn)(const json_t *record, const void *ctx);

/*
 * One page of the comments of repository `repo` that `keep`, in creation
 * order, grouped by comparison and location: an array of groups, each
 * with `group_members` of its first comment and "comments". Sets the
 * output's "nextToken" when more follow.
 */
static int comments_page(json_t *out, const char *groups_member, struct api_call *call,
                         const struct cc_repo *repo, const json_t *in, comment_filter_fn keep,
                         const void *ctx, const char *const *group_members, size_t member_count)
{
    int64_t limit = 0;
    int rc = max_results_get(&limit, call, in, COMMENTS_PAGE_DEFAULT, COMMENTS_PAGE_MAX);
    if (rc < 0)
        return rc;
    char *after = NULL;
    const char *token = cc_str(in, "nextToken");
    if (token && pagination_token_decode(&after, token) < 0)
        return api_error(call, ERR_INVALID, "InvalidContinuationTokenException",
                         "The specified continuation token is not valid.");

    char scope[CC_SCOPE_MAX], prefix[CODECOMMIT_ID_LEN + 2];
    cc_scope(scope, call);
    snprintf(prefix, sizeof(prefix), "%s/", repo->loc.id);
    json_t *kept = json_array();
    char *list_after = NULL;
    for (;;) {
        json_t *page = NULL;
        bool more = false;
        rc = record_list(&page, &more, call->store, NULL, CC_KIND_COMMENT, scope, prefix,
                         list_after, 0);
        if (rc < 0)
            break;
        size_t i;
        json_t *item;
        json_array_foreach(page, i, item)
        {
            if (keep(item, ctx))
                json_array_append(kept, item);
        }
        free(list_after);
        list_after = NULL;
        size_t n = json_array_size(page);
        if (n)
            list_after = xstrdup(cc_str(json_array_get(page, n - 1), "_name") ?: "");
        json_decref(page);
        if (!more || !n)
            break;
    }
    free(list_after);
    if (rc < 0) {
        free(after);
        json_decref(kept);
        return rc;
    }

    size_t n = json_array_size(kept);
    json_t **items = xcalloc(n ? n : 1, sizeof(*items));
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get(kept, i);
    qsort(items, n, sizeof(*items), comment_order);

    json_t *groups = json_array();
    json_t *group_index = json_object(); /* group key -> position in groups */
    size_t taken = 0, i = 0;
    for (; i < n && (int64_t)taken < limit; i++) {
        char key[80];
        sort_key(key, sizeof(key), items[i]);
        if (after && strcmp(key, after) <= 0)
            continue;
        json_t *gkey = json_array();
        for (size_t m = 0; m < member_count; m++) {
            json_t *v = json_object_get(items[i], group_members[m]);
            json_array_append(gkey, v ? v : json_null());
        }
        char *gtext = json_dumps(gkey, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        json_decref(gkey);
        json_t *pos = json_object_get(group_index, gtext);
        json_t *group;
        if (pos) {
            group = json_array_get(groups, (size_t)json_integer_value(pos));
        } else {
            group = json_pack("{s:s}", "repositoryName", repo->loc.name);
            for (size_t m = 0; m < member_count; m++) {
                json_t *v = json_object_get(items[i], group_members[m]);
                if (v)
                    json_object_set(group, group_members[m], v);
            }
            json_object_set_new(group, "comments", json_array());
            json_object_set_new(group_index, gtext,
                                json_integer((json_int_t)json_array_size(groups)));
            json_array_append_new(groups, group);
        }
        free(gtext);
        json_array_append_new(json_object_get(group, "comments"), cc_comment_json(call, items[i]));
        taken++;
    }
    /* Skip what the token had already passed, to see whether more follow. */
    bool more = false;
    for (size_t j = i; j < n; j++) {
        char key[80];
        sort_key(key, sizeof(key), items[j]);
        if (!after || strcmp(key, after) > 0) {
            more = true;
            break;
        }
    }
    if (more && i > 0) {
        char key[80];
        sort_key(key, sizeof(key), items[i - 1]);
        struct buf next = BUF_INIT;
        pagination_token_encode(&next, key);
        json_object_set_new(out, "nextToken", json_string(next.data));
        buf_release(&next);
    }
    json_object_set_new(out, groups_member, groups);
    json_decref(group_index);
    free(items);
    json_decref(kept);
    free(after);
    return 0;
}

struct compared_filter {
    const char *before;
    const char *after;
};

static bool compared_keep(const json_t *record, const void *ctx)
{
    const struct compared_filter *f = ctx;
    if (json_object_get(record, "pullRequestId"))
        return false;
    const char *before = cc_str(record, "beforeCommitId");
    const char *after = cc_str(record, "afterCommitId");
    if (!after || strcmp(after, f->after) != 0)
        return false;
    if (!f->before)
        return before == NULL;
    return before && strcmp(before, f->before) == 0;
}

int cc_get_comments_for_compared_commit(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_repo repo;
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    const char *before_id = cc_str(in, "beforeCommitId");
    const char *after_id = cc_str(in, "afterCommitId");
    git_commit *before = NULL, *after = NULL;
    json_t *result = json_object();
    if ((rc = commit_id_check(&after, call, repo.git, after_id, "afterCommitId")) < 0)
        goto done;
    if (before_id &&
        (rc = commit_id_check(&before, call, repo.git, before_id, "beforeCommitId")) < 0)
        goto done;
    char before_hex[GIT_OID_HEXSZ + 1], after_hex[GIT_OID_HEXSZ + 1];
    if (before)
        git_oid_tostr(before_hex, sizeof(before_hex), git_commit_id(before));
    git_oid_tostr(after_hex, sizeof(after_hex), git_commit_id(after));
    struct compared_filter f = {.before = before ? before_hex : NULL, .after = after_hex};
    static const char *const members[] = {"beforeCommitId", "afterCommitId", "beforeBlobId",
                                          "afterBlobId", "location"};
    rc = comments_page(result, "commentsForComparedCommitData", call, &repo, in, compared_keep, &f,
                       members, ARRAY_SIZE(members));
done:
    git_commit_free(before);
    git_commit_free(after);
    cc_repo_close(&repo);
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    *out = result;
    return 0;
}

struct pull_filter {
    const char *pull_request_id;
    const char *before;
    const char *after;
};

static bool pull_keep(const json_t *record, const void *ctx)
{
    const struct pull_filter *f = ctx;
    const char *pr = cc_str(record, "pullRequestId");
    if (!pr || strcmp(pr, f->pull_request_id) != 0)
        return false;
    if (f->before && strcmp(cc_str(record, "beforeCommitId") ?: "", f->before) != 0)
        return false;
    if (f->after && strcmp(cc_str(record, "afterCommitId") ?: "", f->after) != 0)
        return false;
    return true;
}

int cc_get_comments_for_pull_request(struct api_call *call, json_t *in, json_t **out)
{
    const char *pr_id = cc_str(in, "pullRequestId");
    const char *name = cc_str(in, "repositoryName");
    const char *before_id = cc_str(in, "beforeCommitId");
    const char *after_id = cc_str(in, "afterCommitId");
    /* The repository and the two commits come together or not at all. */
    if (pr_id && pr_id[0] && !name && (before_id || after_id))
        return api_error(call, ERR_INVALID, "RepositoryNameRequiredException",
                         "A repository name is required when beforeCommitId and afterCommitId "
                         "are specified.");
    if (pr_id && pr_id[0] && name && (!before_id || !after_id))
        return api_error(call, ERR_INVALID, "CommitIdRequiredException",
                         "beforeCommitId and afterCommitId are required when a repository name "
                         "is specified.");
    struct cc_pr pr;
    json_t *target = NULL;
    int rc = pull_request_open(&pr, &target, call, pr_id, name);
    if (rc < 0)
        return rc;
    json_t *result = json_object();
    git_commit *before = NULL, *after = NULL;
    char before_hex[GIT_OID_HEXSZ + 1], after_hex[GIT_OID_HEXSZ + 1];
    struct pull_filter f = {.pull_request_id = pr_id};
    if (before_id) {
        if ((rc = commit_id_check(&before, call, pr.repo.git, before_id, "beforeCommitId")) < 0 ||
            (rc = commit_id_check(&after, call, pr.repo.git, after_id, "afterCommitId")) < 0)
            goto done;
        git_oid_tostr(before_hex, sizeof(before_hex), git_commit_id(before));
        git_oid_tostr(after_hex, sizeof(after_hex), git_commit_id(after));
        f.before = before_hex;
        f.after = after_hex;
    }
    static const char *const members[] = {"pullRequestId", "beforeCommitId", "afterCommitId",
                                          "beforeBlobId",  "afterBlobId",    "location"};
    rc = comments_page(result, "commentsForPullRequestData", call, &pr.repo, in, pull_keep, &f,
                       members, ARRAY_SIZE(members));
done:
    git_commit_free(before);
    git_commit_free(after);
    cc_pr_close(&pr);
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    *out = result;
    return 0;
}

/* ---- repository deletion -------------------------------------------------- */

int cc_comments_forget_repository(struct store *st, struct store_tx *tx,
                                  const struct api_call *call, const char *repository_id)
{
    char scope[CC_SCOPE_MAX], prefix[CODECOMMIT_ID_LEN + 2];
    cc_scope(scope, call);
    snprintf(prefix, sizeof(prefix), "%s/", repository_id);
    json_t *names = NULL;
    int rc = record_list_names(&names, st, tx, CC_KIND_COMMENT, scope, prefix);
    if (rc < 0)
        return rc;
    size_t i;
    json_t *name;
    json_array_foreach(names, i, name)
    {
        const char *comment_id = json_string_value(name) + strlen(prefix);
        rc = store_doc_delete(st, tx, CC_KIND_COMMENT_ID, scope, comment_id, 0);
        if (rc < 0 && rc != ERR_NOT_FOUND)
            break;
        rc = 0;
    }
    json_decref(names);
    if (rc == 0)
        rc = store_doc_delete_prefix(NULL, st, tx, CC_KIND_COMMENT, scope, prefix);
    if (rc == 0)
        rc = store_doc_delete_prefix(NULL, st, tx, CC_KIND_COMMENT_TOKEN, scope, prefix);
    return rc;
}
