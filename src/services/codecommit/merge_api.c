#include "base/common.h"
#include "services/codecommit/codecommit_internal.h"

#include <ctype.h>

#include "base/buf.h"
#include "base/err.h"
#include "services/codecommit/merge.h"
#include "services/codecommit/tree_edit.h"

/*
 * MergeBranchesByFastForward / BySquash / ByThreeWay,
 * CreateUnreferencedMergeCommit, GetMergeOptions and GetMergeCommit: thin
 * handlers over the merge engine (merge.c).
 */

static void oid_set(json_t *obj, const char *name, const git_oid *id)
{
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof(hex), id);
    json_object_set_new(obj, name, json_string(hex));
}

/*
 * The branch a destination specifier names ("main", "refs/heads/main"),
 * or NULL when it names a tag or a commit. The result points into `spec`.
 */
static const char *destination_branch(git_repository *git, const char *spec)
{
    if (!spec || !spec[0])
        return NULL;
    size_t len = strlen(spec);
    bool hex = len == GIT_OID_HEXSZ;
    for (size_t i = 0; hex && i < len; i++)
        hex = isxdigit((unsigned char)spec[i]);
    if (hex)
        return NULL; /* a full id names the commit first */
    const char *name = strncmp(spec, "refs/heads/", 11) == 0 ? spec + 11 : spec;
    if (strncmp(spec, "refs/", 5) == 0 && name == spec)
        return NULL;
    struct buf refname = BUF_INIT;
    buf_addf(&refname, "refs/heads/%s", name);
    git_reference *ref = NULL;
    int valid = 0;
    bool found = git_reference_name_is_valid(&valid, refname.data) == 0 && valid &&
                 git_reference_lookup(&ref, git, refname.data) == 0;
    git_reference_free(ref);
    buf_release(&refname);
    return found ? name : NULL;
}

static bool bool_member(const json_t *in, const char *name)
{
    return json_is_true(json_object_get(in, name));
}

static void request_from_input(struct cc_merge_request *req, const json_t *in,
                               enum cc_merge_strategy strategy)
{
    memset(req, 0, sizeof(*req));
    req->strategy = strategy;
    req->source = cc_str(in, "sourceCommitSpecifier");
    req->source_member = "sourceCommitSpecifier";
    req->destination = cc_str(in, "destinationCommitSpecifier");
    req->destination_member = "destinationCommitSpecifier";
    req->conflict_detail_level = cc_str(in, "conflictDetailLevel");
    req->conflict_resolution_strategy = cc_str(in, "conflictResolutionStrategy");
    req->author_name = cc_str(in, "authorName");
    req->email = cc_str(in, "email");
    req->commit_message = cc_str(in, "commitMessage");
    req->keep_empty_folders = bool_member(in, "keepEmptyFolders");
    req->conflict_resolution = json_object_get(in, "conflictResolution");
}

static json_t *commit_output(const git_oid *commit, const git_oid *tree)
{
    json_t *out = json_object();
    oid_set(out, "commitId", commit);
    oid_set(out, "treeId", tree);
    return out;
}

/*
 * MergeBranchesBy*: the result goes to targetBranch, or, without one, to
 * the branch the destination specifier names; a destination given as a
 * commit or tag without a targetBranch has no branch to move, and the
 * merge commit is written unreferenced (its id is returned).
 */
static int merge_branches(struct api_call *call, json_t *in, json_t **out,
                          enum cc_merge_strategy strategy)
{
    struct cc_repo repo;
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    struct cc_merge_request req;
    request_from_input(&req, in, strategy);
    const json_t *target = json_object_get(in, "targetBranch");
    if (target)
        req.target_branch = json_string_value(target);
    else
        req.target_branch = destination_branch(repo.git, req.destination);
    if (target && (!req.target_branch || !req.target_branch[0])) {
        rc = api_error(call, ERR_INVALID, "BranchNameRequiredException",
                       "A branch name is required, but was not specified (targetBranch)");
    } else {
        git_oid commit, tree;
        rc = cc_merge_run(&commit, &tree, call, &repo, &req);
        if (rc == 0)
            *out = commit_output(&commit, &tree);
    }
    cc_repo_close(&repo);
    return rc;
}

int cc_merge_branches_by_fast_forward(struct api_call *call, json_t *in, json_t **out)
{
    return merge_branches(call, in, out, CC_MERGE_FAST_FORWARD);
}

int cc_merge_branches_by_squash(struct api_call *call, json_t *in, json_t **out)
{
    return merge_branches(call, in, out, CC_MERGE_SQUASH);
}

int cc_merge_branches_by_three_way(struct api_call *call, json_t *in, json_t **out)
{
    return merge_branches(call, in, out, CC_MERGE_THREE_WAY);
}

int cc_create_unreferenced_merge_commit(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_repo repo;
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    enum cc_merge_strategy strategy;
    rc = cc_merge_option_parse(&strategy, call, cc_str(in, "mergeOption"));
    if (rc == 0 && strategy == CC_MERGE_FAST_FORWARD)
        rc = api_error(call, ERR_INVALID, "InvalidMergeOptionException",
                       "FAST_FORWARD_MERGE creates no merge commit: use SQUASH_MERGE or "
                       "THREE_WAY_MERGE (mergeOption)");
    if (rc == 0) {
        struct cc_merge_request req;
        request_from_input(&req, in, strategy);
        git_oid commit, tree;
        rc = cc_merge_run(&commit, &tree, call, &repo, &req);
        if (rc == 0)
            *out = commit_output(&commit, &tree);
    }
    cc_repo_close(&repo);
    return rc;
}

/* A question about the merge of two commits: GetMergeOptions, GetMergeCommit. */
struct merge_question {
    struct cc_repo repo;
    struct cc_merge m;
    enum cc_conflict_detail detail;
    enum cc_conflict_resolution resolution;
};

/* Opens the repository and resolves the two commits of a merge question;
 * on success, release with question_close(). */
static int question_open(struct merge_question *q, struct api_call *call, const json_t *in)
{
    memset(&q->m, 0, sizeof(q->m));
    int rc = cc_repo_open(&q->repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    rc = cc_merge_detail_parse(&q->detail, call, cc_str(in, "conflictDetailLevel"));
    if (rc == 0)
        rc = cc_merge_resolution_parse(&q->resolution, call,
                                       cc_str(in, "conflictResolutionStrategy"));
    if (rc == 0)
        rc = cc_merge_prepare(&q->m, call, q->repo.git, cc_str(in, "sourceCommitSpecifier"),
                              "sourceCommitSpecifier", cc_str(in, "destinationCommitSpecifier"),
                              "destinationCommitSpecifier");
    if (rc < 0)
        cc_repo_close(&q->repo);
    return rc;
}

static void question_close(struct merge_question *q)
{
    cc_merge_release(&q->m);
    cc_repo_close(&q->repo);
}

static void commit_ids_set(json_t *out, const struct cc_merge *m)
{
    oid_set(out, "sourceCommitId", git_commit_id(m->source));
    oid_set(out, "destinationCommitId", git_commit_id(m->destination));
    if (m->has_base)
        oid_set(out, "baseCommitId", &m->base);
}

int cc_get_merge_options(struct api_call *call, json_t *in, json_t **out)
{
    struct merge_question q;
    int rc = question_open(&q, call, in);
    if (rc < 0)
        return rc;
    rc = cc_merge_compute(&q.m, call, q.repo.git, q.detail, q.resolution);
    if (rc == 0) {
        json_t *options = json_array();
        if (q.m.fast_forward || q.m.up_to_date)
            json_array_append_new(options, json_string("FAST_FORWARD_MERGE"));
        if (q.m.conflict_count == 0) {
            json_array_append_new(options, json_string("SQUASH_MERGE"));
            json_array_append_new(options, json_string("THREE_WAY_MERGE"));
        }
        *out = json_pack("{s:o}", "mergeOptions", options);
        commit_ids_set(*out, &q.m);
        /* Unrelated histories have no merge base; the member is required,
         * and the empty string is the honest answer. */
        if (!q.m.has_base)
            json_object_set_new(*out, "baseCommitId", json_string(""));
    }
    question_close(&q);
    return rc;
}

int cc_get_merge_commit(struct api_call *call, json_t *in, json_t **out)
{
    struct merge_question q;
    int rc = question_open(&q, call, in);
    if (rc < 0)
        return rc;
    git_oid merged;
    bool found = false;
    rc = cc_merge_find_merged(&merged, &found, call, q.repo.git, &q.m);
    if (rc == 0) {
        *out = json_object();
        commit_ids_set(*out, &q.m);
        if (found)
            oid_set(*out, "mergedCommitId", &merged);
    }
    question_close(&q);
    return rc;
}
