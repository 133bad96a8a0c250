#include "base/common.h"
#include "services/codecommit/codecommit_internal.h"

#include "aws/pagination.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

/* Branches: the refs under refs/heads of the repository, moved through cc_ref_move(). */

#define BRANCHES_PAGE 100

static void branch_ref(char *out, size_t size, const char *branch)
{
    snprintf(out, size, "refs/heads/%s", branch);
}

static int branch_required(struct api_call *call, const char *branch)
{
    if (!branch || !branch[0])
        return api_error(call, ERR_INVALID, "BranchNameRequiredException",
                         "A branch name is required, but was not specified.");
    return cc_branch_name_check(call, branch, "branchName");
}

/* The tip of a branch: ERR_NOT_FOUND with BranchDoesNotExistException. */
static int branch_tip(git_oid *out, struct api_call *call, git_repository *git, const char *branch)
{
    char refname[300];
    branch_ref(refname, sizeof(refname), branch);
    git_reference *ref = NULL;
    int rc = git_reference_lookup(&ref, git, refname);
    if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC)
        return api_error(call, ERR_NOT_FOUND, "BranchDoesNotExistException",
                         "Branch %s does not exist", branch);
    if (rc < 0)
        return cc_git_fail(call, "cannot read the branch");
    if (git_reference_type(ref) != GIT_REFERENCE_DIRECT) {
        git_reference_free(ref);
        return api_error(call, ERR_NOT_FOUND, "BranchDoesNotExistException",
                         "Branch %s does not exist", branch);
    }
    git_oid_cpy(out, git_reference_target(ref));
    git_reference_free(ref);
    return 0;
}

int cc_create_branch(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *branch = cc_str(in, "branchName");
    const char *commit_id = cc_str(in, "commitId");
    struct cc_repo repo;
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    if ((rc = branch_required(call, branch)) < 0)
        goto done;
    if (!commit_id || !commit_id[0]) {
        rc = api_error(call, ERR_INVALID, "CommitIdRequiredException",
                       "A commit ID is required, but was not specified.");
        goto done;
    }
    size_t len = strlen(commit_id);
    git_oid oid;
    if (len > GIT_OID_HEXSZ || git_oid_fromstrn(&oid, commit_id, len) < 0) {
        rc = api_error(call, ERR_INVALID, "InvalidCommitIdException",
                       "The specified commit ID is not valid: %s", commit_id);
        goto done;
    }
    git_commit *commit = NULL;
    if (git_commit_lookup_prefix(&commit, repo.git, &oid, len) < 0) {
        rc = api_error(call, ERR_NOT_FOUND, "CommitDoesNotExistException",
                       "Could not find commit %s in repository %s", commit_id, repo.loc.name);
        goto done;
    }
    git_oid_cpy(&oid, git_commit_id(commit));
    git_commit_free(commit);
    char refname[300];
    branch_ref(refname, sizeof(refname), branch);
    rc = cc_ref_move(call, &repo, refname, NULL, &oid, "CreateBranch");
    if (rc == ERR_CONFLICT)
        rc = api_error(call, ERR_EXISTS, "BranchNameExistsException",
                       "Cannot create branch. Branch %s already exists.", branch);
done:
    cc_repo_close(&repo);
    return rc;
}

int cc_get_branch(struct api_call *call, json_t *in, json_t **out)
{
    const char *branch = cc_str(in, "branchName");
    struct cc_repo repo;
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    git_oid tip;
    if ((rc = branch_required(call, branch)) == 0 &&
        (rc = branch_tip(&tip, call, repo.git, branch)) == 0) {
        char hex[GIT_OID_HEXSZ + 1];
        git_oid_tostr(hex, sizeof(hex), &tip);
        *out = json_pack("{s:{s:s, s:s}}", "branch", "branchName", branch, "commitId", hex);
    }
    cc_repo_close(&repo);
    return rc;
}

static int names_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cc_list_branches(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_repo repo;
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    char *after = NULL;
    const char *token = cc_str(in, "nextToken");
    if (token && (pagination_token_decode(&after, token) < 0 || !after)) {
        cc_repo_close(&repo);
        return api_error(call, ERR_INVALID, "InvalidContinuationTokenException",
                         "The specified continuation token is not valid.");
    }
    git_reference_iterator *it = NULL;
    char **names = NULL;
    size_t n = 0, alloc = 0;
    if (git_reference_iterator_glob_new(&it, repo.git, "refs/heads/*") < 0) {
        rc = cc_git_fail(call, "cannot list branches");
        goto done;
    }
    const char *refname;
    int step;
    while ((step = git_reference_next_name(&refname, it)) == 0) {
        if (n == alloc) {
            alloc = alloc ? 2 * alloc : 64;
            names = xrealloc(names, alloc * sizeof(*names));
        }
        names[n++] = xstrdup(refname + 11);
    }
    git_reference_iterator_free(it);
    if (step != GIT_ITEROVER) {
        rc = cc_git_fail(call, "cannot list branches");
        goto done;
    }
    if (n)
        qsort(names, n, sizeof(*names), names_cmp);
    json_t *branches = json_array();
    size_t i = 0, taken = 0;
    while (i < n && after && strcmp(names[i], after) <= 0)
        i++;
    for (; i < n && taken < BRANCHES_PAGE; i++, taken++)
        json_array_append_new(branches, json_string(names[i]));
    *out = json_pack("{s:o}", "branches", branches);
    if (i < n) {
        struct buf next = BUF_INIT;
        pagination_token_encode(&next, names[i - 1]);
        json_object_set_new(*out, "nextToken", json_string(next.data));
        buf_release(&next);
    }
done:
    for (size_t j = 0; j < n; j++)
        free(names[j]);
    free(names);
    free(after);
    cc_repo_close(&repo);
    return rc;
}

int cc_delete_branch(struct api_call *call, json_t *in, json_t **out)
{
    const char *branch = cc_str(in, "branchName");
    struct cc_repo repo;
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    if ((rc = branch_required(call, branch)) < 0)
        goto done;
    const char *default_branch = cc_str(repo.record, "defaultBranch");
    if (default_branch && strcmp(default_branch, branch) == 0) {
        rc = api_error(call, ERR_CONFLICT, "DefaultBranchCannotBeDeletedException",
                       "The default branch %s cannot be deleted. Set another branch as the "
                       "default first.",
                       branch);
        goto done;
    }
    char refname[300];
    branch_ref(refname, sizeof(refname), branch);
    git_reference *ref = NULL;
    rc = git_reference_lookup(&ref, repo.git, refname);
    if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
        /* Deleting a branch that is not there answers an empty result. */
        *out = json_object();
        rc = 0;
        goto done;
    }
    if (rc < 0) {
        rc = cc_git_fail(call, "cannot read the branch");
        goto done;
    }
    char hex[GIT_OID_HEXSZ + 1] = "";
    if (git_reference_target(ref))
        git_oid_tostr(hex, sizeof(hex), git_reference_target(ref));
    /* The delete compares the ref with the value just read, so a push
     * moving it meanwhile makes it fail rather than lose that push. */
    rc = git_reference_delete(ref);
    git_reference_free(ref);
    if (rc == GIT_EMODIFIED || rc == GIT_ELOCKED) {
        rc = api_error(call, ERR_CONFLICT, "ConcurrentReferenceUpdateException",
                       "The branch %s was changed by another request; try again.", branch);
        goto done;
    }
    if (rc < 0) {
        rc = cc_git_fail(call, "cannot delete the branch");
        goto done;
    }
    if ((rc = cc_refs_record(call->store, NULL, &repo.loc, repo.git,
                             call->principal ? call->principal->arn : NULL)) < 0)
        goto done;
    *out = json_pack("{s:{s:s, s:s}}", "deletedBranch", "branchName", branch, "commitId", hex);
done:
    cc_repo_close(&repo);
    return rc;
}
