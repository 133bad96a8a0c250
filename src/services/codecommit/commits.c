#include "base/common.h"
#include "services/codecommit/codecommit_internal.h"

#include <ctype.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/jsonw.h"
#include "services/codecommit/tree_edit.h"

/*
 * Commits: how a specifier names one (shared by every handler that takes a
 * commit, branch or tag), how one is shown (the Commit shape), and
 * GetCommit / BatchGetCommits.
 */

#define COMMIT_SPECIFIER_MAX 1024
#define BATCH_COMMITS_MAX    100

/* True when the call's operation declares error `code`. */
bool cc_op_lists_error(const struct api_call *call, const char *code)
{
    if (!call->op)
        return false;
    for (uint32_t i = 0; i < call->op->error_count; i++) {
        const struct model_shape *e = call->op->errors[i];
        if (strcmp(e->error_code ? e->error_code : e->name, code) == 0)
            return true;
    }
    return false;
}

static bool all_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

static int not_found(struct api_call *call, const char *spec, const char *member)
{
    return api_error(call, ERR_NOT_FOUND, "CommitDoesNotExistException",
                     "The specified commit '%s' does not exist (%s)", spec, member);
}

static int not_commit(struct api_call *call, const char *spec, const char *member)
{
    return api_error(call, ERR_INVALID, "InvalidCommitException",
                     "The specified commit '%s' is not valid: it does not name a commit (%s)", spec,
                     member);
}

/* The commit `obj` is or points to (a tag is peeled); consumes `obj`. */
static int peel_commit(git_commit **out, struct api_call *call, git_object *obj, const char *spec,
                       const char *member)
{
    git_object *peeled = NULL;
    int rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
    git_object_free(obj);
    if (rc < 0)
        return not_commit(call, spec, member);
    *out = (git_commit *)peeled;
    return 0;
}

static int resolve_ref(git_commit **out, struct api_call *call, git_repository *git,
                       const char *refname, const char *spec, const char *member)
{
    git_reference *ref = NULL;
    if (git_reference_lookup(&ref, git, refname) < 0)
        return 1;
    git_object *obj = NULL;
    int rc = git_reference_peel(&obj, ref, GIT_OBJECT_ANY);
    git_reference_free(ref);
    if (rc < 0)
        return not_found(call, spec, member);
    return peel_commit(out, call, obj, spec, member);
}

int cc_commit_resolve(git_commit **out, struct api_call *call, git_repository *git,
                      const char *spec, const char *member)
{
    if (!spec || !spec[0])
        return api_error(call, ERR_INVALID, "CommitRequiredException",
                         "A commit must be specified (%s)", member);
    size_t len = strlen(spec);
    if (len > COMMIT_SPECIFIER_MAX) {
        if (cc_op_lists_error(call, "InvalidCommitIdException"))
            return api_error(call, ERR_INVALID, "InvalidCommitIdException",
                             "The specified commit ID is not valid (%s)", member);
        return not_commit(call, "(too long)", member);
    }

    /* A full object id names that object, before any ref of that name. */
    if (len == GIT_OID_HEXSZ && all_hex(spec, len)) {
        git_oid oid;
        git_object *obj = NULL;
        if (git_oid_fromstr(&oid, spec) == 0 &&
            git_object_lookup(&obj, git, &oid, GIT_OBJECT_ANY) == 0)
            return peel_commit(out, call, obj, spec, member);
        return not_found(call, spec, member);
    }

    char refname[COMMIT_SPECIFIER_MAX + 16];
    int rc;
    if (strcmp(spec, "HEAD") == 0) {
        /* HEAD is the default branch's tip. */
        git_reference *head = NULL;
        if (git_repository_head(&head, git) < 0)
            return not_found(call, spec, member);
        git_object *obj = NULL;
        rc = git_reference_peel(&obj, head, GIT_OBJECT_ANY);
        git_reference_free(head);
        if (rc < 0)
            return not_found(call, spec, member);
        return peel_commit(out, call, obj, spec, member);
    }
    int full_ref = 0;
    if (strncmp(spec, "refs/", 5) == 0 && git_reference_name_is_valid(&full_ref, spec) == 0 &&
        full_ref) {
        rc = resolve_ref(out, call, git, spec, spec, member);
        if (rc <= 0)
            return rc;
    }
    static const char *const prefixes[] = {"refs/heads/", "refs/tags/"};
    for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
        snprintf(refname, sizeof(refname), "%s%s", prefixes[i], spec);
        int valid = 0;
        if (git_reference_name_is_valid(&valid, refname) < 0 || !valid)
            continue;
        rc = resolve_ref(out, call, git, refname, spec, member);
        if (rc <= 0)
            return rc;
    }

    /* An abbreviated commit id. */
    if (len >= GIT_OID_MINPREFIXLEN && len < GIT_OID_HEXSZ && all_hex(spec, len)) {
        git_oid oid;
        git_object *obj = NULL;
        if (git_oid_fromstrn(&oid, spec, len) < 0)
            return not_found(call, spec, member);
        rc = git_object_lookup_prefix(&obj, git, &oid, len, GIT_OBJECT_ANY);
        if (rc == GIT_EAMBIGUOUS) {
            /* Only commits count: a blob sharing the prefix is no
             * ambiguity to the caller. */
            rc = git_object_lookup_prefix(&obj, git, &oid, len, GIT_OBJECT_COMMIT);
            if (rc == GIT_EAMBIGUOUS)
                return api_error(call, ERR_INVALID, "InvalidCommitException",
                                 "The commit ID '%s' is ambiguous (%s)", spec, member);
        }
        if (rc == 0)
            return peel_commit(out, call, obj, spec, member);
    }
    return not_found(call, spec, member);
}

int cc_branch_name_check(struct api_call *call, const char *name, const char *member)
{
    if (!name || !name[0])
        return api_error(call, ERR_INVALID, "BranchNameRequiredException",
                         "A branch name is required, but was not specified (%s)", member);
    char refname[300];
    int valid = 0;
    size_t len = strlen(name);
    if (len <= 256) {
        snprintf(refname, sizeof(refname), "refs/heads/%s", name);
        if (git_reference_name_is_valid(&valid, refname) < 0)
            valid = 0;
    }
    /* CodeCommit also refuses "@" and names of exactly 40 hexadecimal
     * digits: a commit specifier that spells a commit id names the commit,
     * so such a branch could never be named. */
    if (valid && (strcmp(name, "@") == 0 || (len == GIT_OID_HEXSZ && all_hex(name, len))))
        valid = 0;
    if (!valid || strncmp(name, "refs/", 5) == 0)
        return api_error(call, ERR_INVALID, "InvalidBranchNameException",
                         "The specified reference name '%s' is not valid (%s)", name, member);
    return 0;
}

json_t *cc_text_json(const char *text)
{
    size_t len = strlen(text);
    if (utf8_valid(text, len))
        return json_stringn(text, len);
    /* Pushed commits may carry any bytes: each invalid one becomes U+FFFD. */
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_sequence_len((const unsigned char *)text + i, len - i);
        if (n == 0) {
            buf_add(&b, "\xef\xbf\xbd", 3);
            i++;
        } else {
            buf_add(&b, text + i, n);
            i += n;
        }
    }
    json_t *s = json_stringn(b.data, b.len);
    buf_release(&b);
    return s;
}

static json_t *user_json(const git_signature *sig)
{
    /* AWS's UserInfo.date: "<unix seconds> <+-HHMM>", git's own form. */
    int offset = sig->when.offset;
    char sign = offset < 0 ? '-' : '+';
    if (offset < 0)
        offset = -offset;
    char date[64];
    snprintf(date, sizeof(date), "%lld %c%02d%02d", (long long)sig->when.time, sign, offset / 60,
             offset % 60);
    return json_pack("{s:o, s:o, s:s}", "name", cc_text_json(sig->name ? sig->name : ""), "email",
                     cc_text_json(sig->email ? sig->email : ""), "date", date);
}

json_t *cc_commit_json(const git_commit *commit)
{
    char hex[GIT_OID_HEXSZ + 1];
    json_t *c = json_object();
    git_oid_tostr(hex, sizeof(hex), git_commit_id(commit));
    json_object_set_new(c, "commitId", json_string(hex));
    git_oid_tostr(hex, sizeof(hex), git_commit_tree_id(commit));
    json_object_set_new(c, "treeId", json_string(hex));
    json_t *parents = json_array();
    unsigned n = git_commit_parentcount(commit);
    for (unsigned i = 0; i < n; i++) {
        git_oid_tostr(hex, sizeof(hex), git_commit_parent_id(commit, i));
        json_array_append_new(parents, json_string(hex));
    }
    json_object_set_new(c, "parents", parents);
    const char *message = git_commit_message_raw(commit);
    json_object_set_new(c, "message", cc_text_json(message ? message : ""));
    json_object_set_new(c, "author", user_json(git_commit_author(commit)));
    json_object_set_new(c, "committer", user_json(git_commit_committer(commit)));
    json_object_set_new(c, "additionalData", json_string(""));
    return c;
}

/* ---- GetCommit, BatchGetCommits ------------------------------------------- */

/*
 * A commit named by its id, as GetCommit takes it: 0 with the commit, 1
 * when it does not exist, or an error for an id that is not one.
 */
static int commit_by_id(git_commit **out, git_repository *git, const char *id)
{
    git_oid oid;
    if (git_oid_fromstr(&oid, id) < 0)
        return ERR_INVALID;
    if (git_commit_lookup(out, git, &oid) < 0)
        return 1;
    return 0;
}

static bool commit_id_valid(const char *id)
{
    size_t len = strlen(id);
    return len == GIT_OID_HEXSZ && all_hex(id, len);
}

int cc_get_commit(struct api_call *call, json_t *in, json_t **out)
{
    _cleanup_cc_repo_ struct cc_repo repo = {0};
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    const char *id = cc_str(in, "commitId");
    if (!id || !id[0])
        return api_error(call, ERR_INVALID, "CommitIdRequiredException",
                         "A commit ID is required, but was not specified.");
    if (!commit_id_valid(id))
        return api_error(call, ERR_INVALID, "InvalidCommitIdException",
                         "The specified commit ID '%s' is not valid: a commit ID is the full "
                         "40-character SHA-1 of a commit",
                         id);
    git_commit *commit = NULL;
    rc = commit_by_id(&commit, repo.git, id);
    if (rc != 0)
        return api_error(call, ERR_NOT_FOUND, "CommitIdDoesNotExistException",
                         "The specified commit ID '%s' does not exist in %s", id, repo.loc.name);
    *out = json_pack("{s:o}", "commit", cc_commit_json(commit));
    git_commit_free(commit);
    return 0;
}

int cc_batch_get_commits(struct api_call *call, json_t *in, json_t **out)
{
    _cleanup_cc_repo_ struct cc_repo repo = {0};
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    json_t *ids = json_object_get(in, "commitIds");
    if (!json_is_array(ids) || json_array_size(ids) == 0)
        return api_error(call, ERR_INVALID, "CommitIdsListRequiredException",
                         "A list of commit IDs is required, but was either not specified or the "
                         "list was empty.");
    if (json_array_size(ids) > BATCH_COMMITS_MAX)
        return api_error(call, ERR_INVALID, "CommitIdsLimitExceededException",
                         "The maximum number of allowed commit IDs in a batch request is %d.",
                         BATCH_COMMITS_MAX);
    json_t *commits = json_array(), *errors = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        git_commit *commit = NULL;
        if (!commit_id_valid(id)) {
            json_array_append_new(errors,
                                  json_pack("{s:s, s:s, s:s}", "commitId", id ? id : "",
                                            "errorCode", "InvalidCommitIdException", "errorMessage",
                                            "The specified commit ID is not valid."));
            continue;
        }
        if (commit_by_id(&commit, repo.git, id) != 0) {
            json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "commitId", id, "errorCode",
                                                    "CommitIdDoesNotExistException", "errorMessage",
                                                    "The specified commit ID does not exist."));
            continue;
        }
        json_array_append_new(commits, cc_commit_json(commit));
        git_commit_free(commit);
    }
    *out = json_pack("{s:o, s:o}", "commits", commits, "errors", errors);
    return 0;
}
