#include "base/common.h"
#include "services/codecommit/codecommit_internal.h"

#include <ctype.h>

#include "base/err.h"
#include "services/codecommit/tree_edit.h"

/*
 * Files and folders: reading them at a commit (GetFile, GetFolder,
 * GetBlob) and writing commits that change them (PutFile, DeleteFile,
 * CreateCommit). A write checks everything, edits the tip's tree
 * (tree_edit.c), writes the commit and then moves the branch with
 * cc_ref_move(), only if it still points at the parent the caller named.
 */

#define FILE_ENTRIES_MAX 100 /* CreateCommit: put + delete + set-mode entries */

/* ---- reading ---------------------------------------------------------------- */

/*
 * The commit a read names: `spec`, or the tip of the default branch when
 * `spec` is NULL.
 */
static int read_commit(git_commit **out, struct api_call *call, struct cc_repo *repo,
                       const char *spec)
{
    if (spec)
        return cc_commit_resolve(out, call, repo->git, spec, "commitSpecifier");
    const char *def = cc_str(repo->record, "defaultBranch");
    if (!def)
        return api_error(call, ERR_NOT_FOUND, "CommitDoesNotExistException",
                         "The repository %s has no commits: name a commitSpecifier",
                         repo->loc.name);
    return cc_commit_resolve(out, call, repo->git, def, "commitSpecifier (default branch)");
}

/*
 * A path as reads take it: leading slashes are allowed ("/src/a.c" names
 * the file of the root folder's "src"), and a folder may end in one. The
 * rest must pass cc_path_check(). `out` becomes the path without them, ""
 * for the root folder (when `folder`).
 */
static int read_path(char *out, size_t size, struct api_call *call, const char *path,
                     const char *member, bool folder)
{
    if (!path || !path[0])
        return api_error(call, ERR_INVALID, "PathRequiredException",
                         "The path is required, but was not specified (%s)", member);
    int rc = cc_path_read(out, size, call, path, member, folder);
    if (rc == 0 && !out[0] && !folder)
        return api_error(call, ERR_INVALID, "InvalidPathException",
                         "The specified path '%s' is not valid: it names no file (%s)", path,
                         member);
    return rc;
}

static void hex_of(char out[GIT_OID_HEXSZ + 1], const git_oid *oid)
{
    git_oid_tostr(out, GIT_OID_HEXSZ + 1, oid);
}

/*
 * The size of blob `id` from its header alone: 0, or 1 when there is no
 * blob of that id. A blob a push brought may be any size; only one that
 * fits the limit is read into memory.
 */
static int blob_size(git_object_size_t *out, git_repository *git, const git_oid *id)
{
    git_odb *odb = NULL;
    size_t len = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    int rc = git_repository_odb(&odb, git);
    if (rc == 0)
        rc = git_odb_read_header(&len, &type, odb, id);
    git_odb_free(odb);
    if (rc == GIT_ENOTFOUND || (rc == 0 && type != GIT_OBJECT_BLOB))
        return 1;
    if (rc < 0)
        return err_set(ERR_INTERNAL, "cannot read an object header: %s", cc_git_message());
    *out = (git_object_size_t)len;
    return 0;
}

/* What GetFile and GetFolder read from: a path at a commit of a repository. */
struct path_at_commit {
    struct cc_repo repo;
    char path[CC_PATH_MAX + 1];
    git_commit *commit;
    git_tree *tree; /* the commit's root tree */
};

static void path_at_commit_close(struct path_at_commit *at)
{
    git_tree_free(at->tree);
    git_commit_free(at->commit);
    cc_repo_close(&at->repo);
}

/*
 * Opens the repository, checks the path in input member `member` (a folder
 * when `folder`) and resolves commitSpecifier (default: the default
 * branch) to its commit and tree. On failure nothing is left to close.
 */
static int path_at_commit_open(struct path_at_commit *at, struct api_call *call, json_t *in,
                               const char *member, bool folder)
{
    memset(at, 0, sizeof(*at));
    int rc = cc_repo_open(&at->repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc == 0)
        rc = read_path(at->path, sizeof(at->path), call, cc_str(in, member), member, folder);
    if (rc == 0)
        rc = read_commit(&at->commit, call, &at->repo, cc_str(in, "commitSpecifier"));
    if (rc == 0 && git_commit_tree(&at->tree, at->commit) < 0)
        rc = cc_git_fail(call, "cannot read the commit's tree");
    if (rc < 0)
        path_at_commit_close(at);
    return rc;
}

int cc_get_file(struct api_call *call, json_t *in, json_t **out)
{
    struct path_at_commit at;
    int rc = path_at_commit_open(&at, call, in, "filePath", false);
    if (rc < 0)
        return rc;
    const char *path = at.path;
    git_tree_entry *entry = NULL;
    git_blob *blob = NULL;
    if (git_tree_entry_bypath(&entry, at.tree, path) < 0 ||
        !cc_file_mode_name(git_tree_entry_filemode(entry))) {
        rc = api_error(call, ERR_NOT_FOUND, "FileDoesNotExistException",
                       "The specified file '%s' does not exist at this commit", path);
        goto done;
    }
    git_object_size_t size = 0;
    if ((rc = blob_size(&size, at.repo.git, git_tree_entry_id(entry))) != 0) {
        if (rc > 0)
            rc = err_set(ERR_INTERNAL, "the blob of '%s' is missing from the repository", path);
        goto done;
    }
    if (size > CC_BLOB_MAX) {
        rc = api_error(call, ERR_LIMIT, "FileTooLargeException",
                       "The file '%s' is %llu bytes, over the %d bytes GetFile returns; clone "
                       "the repository to read it",
                       path, (unsigned long long)size, CC_BLOB_MAX);
        goto done;
    }
    if (git_blob_lookup(&blob, at.repo.git, git_tree_entry_id(entry)) < 0) {
        rc = cc_git_fail(call, "cannot read the file");
        goto done;
    }
    char commit_hex[GIT_OID_HEXSZ + 1], blob_hex[GIT_OID_HEXSZ + 1];
    hex_of(commit_hex, git_commit_id(at.commit));
    hex_of(blob_hex, git_tree_entry_id(entry));
    *out =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "commitId", commit_hex, "blobId", blob_hex,
                  "filePath", cc_str(in, "filePath"), "fileMode",
                  cc_file_mode_name(git_tree_entry_filemode(entry)), "fileSize", (json_int_t)size,
                  "fileContent", json_stringn_nocheck(git_blob_rawcontent(blob), (size_t)size));
done:
    git_blob_free(blob);
    git_tree_entry_free(entry);
    path_at_commit_close(&at);
    return rc;
}

static char *join_path(const char *folder, const char *name)
{
    size_t n = strlen(folder) + strlen(name) + 2;
    char *s = malloc(n);
    if (!s)
        abort();
    snprintf(s, n, "%s%s%s", folder, folder[0] ? "/" : "", name);
    return s;
}

int cc_get_folder(struct api_call *call, json_t *in, json_t **out)
{
    struct path_at_commit at;
    int rc = path_at_commit_open(&at, call, in, "folderPath", true);
    if (rc < 0)
        return rc;
    const char *path = at.path;
    git_tree *folder = NULL;
    git_tree_entry *entry = NULL;
    if (!path[0]) {
        folder = at.tree;
        at.tree = NULL;
    } else if (git_tree_entry_bypath(&entry, at.tree, path) < 0 ||
               git_tree_entry_filemode(entry) != GIT_FILEMODE_TREE) {
        rc = api_error(call, ERR_NOT_FOUND, "FolderDoesNotExistException",
                       "The specified folder '%s' does not exist at this commit", path);
        goto done;
    } else if (git_tree_lookup(&folder, at.repo.git, git_tree_entry_id(entry)) < 0) {
        rc = cc_git_fail(call, "cannot read the folder");
        goto done;
    }

    json_t *sub_folders = json_array(), *files = json_array(), *links = json_array(),
           *modules = json_array();
    size_t n = git_tree_entrycount(folder);
    for (size_t i = 0; i < n; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(folder, i);
        const char *name = git_tree_entry_name(e);
        char hex[GIT_OID_HEXSZ + 1];
        hex_of(hex, git_tree_entry_id(e));
        char *abs = join_path(path, name);
        git_filemode_t mode = git_tree_entry_filemode(e);
        /* Pushed trees may hold names that are not UTF-8. */
        json_t *item = json_pack("{s:o, s:o}", "absolutePath", cc_text_json(abs), "relativePath",
                                 cc_text_json(name));
        free(abs);
        switch (mode) {
        case GIT_FILEMODE_TREE:
            json_object_set_new(item, "treeId", json_string(hex));
            json_array_append_new(sub_folders, item);
            break;
        case GIT_FILEMODE_COMMIT:
            json_object_set_new(item, "commitId", json_string(hex));
            json_array_append_new(modules, item);
            break;
        case GIT_FILEMODE_LINK:
            json_object_set_new(item, "blobId", json_string(hex));
            json_object_set_new(item, "fileMode", json_string("SYMLINK"));
            json_array_append_new(links, item);
            break;
        default:
            json_object_set_new(item, "blobId", json_string(hex));
            json_object_set_new(
                item, "fileMode",
                json_string(cc_file_mode_name(mode) ? cc_file_mode_name(mode) : "NORMAL"));
            json_array_append_new(files, item);
            break;
        }
    }
    char commit_hex[GIT_OID_HEXSZ + 1], tree_hex[GIT_OID_HEXSZ + 1];
    hex_of(commit_hex, git_commit_id(at.commit));
    hex_of(tree_hex, git_tree_id(folder));
    *out = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "commitId", commit_hex, "folderPath",
                     cc_str(in, "folderPath"), "treeId", tree_hex, "subFolders", sub_folders,
                     "files", files, "symbolicLinks", links, "subModules", modules);
done:
    git_tree_entry_free(entry);
    git_tree_free(folder);
    path_at_commit_close(&at);
    return rc;
}

static bool is_object_id(const char *s)
{
    if (strlen(s) != GIT_OID_HEXSZ)
        return false;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s))
            return false;
    return true;
}

int cc_get_blob(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_repo repo _cleanup_cc_repo_ = {0};
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    const char *id = cc_str(in, "blobId");
    if (!id || !id[0])
        return api_error(call, ERR_INVALID, "BlobIdRequiredException",
                         "A blob ID is required, but was not specified.");
    git_oid oid;
    if (!is_object_id(id) || git_oid_fromstr(&oid, id) < 0)
        return api_error(call, ERR_INVALID, "InvalidBlobIdException",
                         "The specified blob ID '%s' is not valid: a blob ID is 40 hexadecimal "
                         "digits",
                         id);
    git_object_size_t size = 0;
    rc = blob_size(&size, repo.git, &oid);
    if (rc < 0)
        return rc;
    git_blob *blob = NULL;
    if (rc > 0 || (size <= CC_BLOB_MAX && git_blob_lookup(&blob, repo.git, &oid) < 0))
        return api_error(call, ERR_NOT_FOUND, "BlobIdDoesNotExistException",
                         "The specified blob '%s' does not exist in %s", id, repo.loc.name);
    if (size > CC_BLOB_MAX)
        return api_error(call, ERR_LIMIT, "FileTooLargeException",
                         "The blob '%s' is %llu bytes, over the %d bytes GetBlob returns", id,
                         (unsigned long long)size, CC_BLOB_MAX);
    *out = json_pack("{s:o}", "content",
                     json_stringn_nocheck(git_blob_rawcontent(blob), (size_t)size));
    git_blob_free(blob);
    return 0;
}

/* ---- writing ---------------------------------------------------------------- */

/* What a write starts from: the branch, its tip (the parent), its tree. */
struct write_base {
    char refname[300];
    git_commit *parent; /* NULL: a first commit, in an empty repository */
    git_tree *tree;
};

static void write_base_release(struct write_base *w)
{
    git_tree_free(w->tree);
    git_commit_free(w->parent);
    memset(w, 0, sizeof(*w));
}

static bool repository_has_branches(git_repository *git)
{
    git_reference_iterator *it = NULL;
    if (git_reference_iterator_glob_new(&it, git, "refs/heads/*") < 0)
        return true;
    git_reference *ref = NULL;
    bool any = git_reference_next(&ref, it) == 0;
    git_reference_free(ref);
    git_reference_iterator_free(it);
    return any;
}

/*
 * The branch a write goes to and the parent the caller named:
 *   - the branch exists: parentCommitId is required and must be its tip;
 *   - it does not: allowed only in an empty repository (which it then
 *     starts), without a parent.
 */
static int write_base_open(struct write_base *w, struct api_call *call, struct cc_repo *repo,
                           const char *branch, const char *parent_id)
{
    memset(w, 0, sizeof(*w));
    int rc = cc_branch_name_check(call, branch, "branchName");
    if (rc < 0)
        return rc;
    snprintf(w->refname, sizeof(w->refname), "refs/heads/%s", branch);
    git_reference *ref = NULL;
    if (git_reference_lookup(&ref, repo->git, w->refname) < 0) {
        char tag[300];
        snprintf(tag, sizeof(tag), "refs/tags/%s", branch);
        git_reference *t = NULL;
        if (git_reference_lookup(&t, repo->git, tag) == 0) {
            git_reference_free(t);
            return api_error(call, ERR_INVALID, "BranchNameIsTagNameException",
                             "The specified branch name '%s' is a tag name, not a branch", branch);
        }
        if (repository_has_branches(repo->git))
            return api_error(call, ERR_NOT_FOUND, "BranchDoesNotExistException",
                             "The branch '%s' does not exist in %s", branch, repo->loc.name);
        if (parent_id && parent_id[0])
            return api_error(call, ERR_NOT_FOUND, "ParentCommitDoesNotExistException",
                             "The parent commit ID '%s' does not exist: %s is empty", parent_id,
                             repo->loc.name);
        return 0;
    }
    git_object *tip = NULL;
    rc = git_reference_peel(&tip, ref, GIT_OBJECT_COMMIT);
    git_reference_free(ref);
    if (rc < 0)
        return cc_git_fail(call, "cannot read the branch");
    w->parent = (git_commit *)tip;
    if (!parent_id || !parent_id[0]) {
        rc = api_error(call, ERR_INVALID, "ParentCommitIdRequiredException",
                       "A parent commit ID is required: the branch '%s' exists; name its tip "
                       "commit (GetBranch)",
                       branch);
        goto fail;
    }
    git_oid oid;
    if (!is_object_id(parent_id) || git_oid_fromstr(&oid, parent_id) < 0) {
        rc = api_error(call, ERR_INVALID, "InvalidParentCommitIdException",
                       "The parent commit ID '%s' is not valid: it must be the full ID of the "
                       "tip commit of the branch",
                       parent_id);
        goto fail;
    }
    git_commit *named = NULL;
    if (git_commit_lookup(&named, repo->git, &oid) < 0) {
        rc = api_error(call, ERR_NOT_FOUND, "ParentCommitDoesNotExistException",
                       "The parent commit ID '%s' does not exist in %s", parent_id, repo->loc.name);
        goto fail;
    }
    git_commit_free(named);
    if (!git_oid_equal(&oid, git_commit_id(w->parent))) {
        char tip_hex[GIT_OID_HEXSZ + 1];
        hex_of(tip_hex, git_commit_id(w->parent));
        rc = api_error(call, ERR_CONFLICT, "ParentCommitIdOutdatedException",
                       "The parent commit ID '%s' is not the tip of branch '%s' (%s): get the "
                       "branch again and retry",
                       parent_id, branch, tip_hex);
        goto fail;
    }
    if (git_commit_tree(&w->tree, w->parent) < 0) {
        rc = cc_git_fail(call, "cannot read the parent's tree");
        goto fail;
    }
    return 0;
fail:
    write_base_release(w);
    return rc;
}

/* The message of a commit whose caller gave none ("Added src/a.c"): AWS
 * writes a default one too. */
static char *default_message(const char *verb, const char *what)
{
    size_t n = strlen(verb) + strlen(what) + 2;
    char *s = malloc(n);
    if (!s)
        abort();
    snprintf(s, n, "%s %s", verb, what);
    return s;
}

/*
 * Writes the commit of `tree` on the base and moves the branch to it, if
 * the branch is still where the base found it.
 */
static int write_finish(git_oid *commit_out, struct api_call *call, struct cc_repo *repo,
                        struct write_base *w, const git_oid *tree, const char *name,
                        const char *email, const char *message)
{
    const git_commit *parents[1] = {w->parent};
    int rc = cc_commit_write(commit_out, call, repo->git, tree, parents, w->parent ? 1 : 0, name,
                             email, message);
    if (rc < 0)
        return rc;
    rc = cc_ref_move(call, repo, w->refname, w->parent ? git_commit_id(w->parent) : NULL,
                     commit_out, "slipway: commit (API)");
    if (rc == ERR_CONFLICT)
        return api_error(call, ERR_CONFLICT, "ParentCommitIdOutdatedException",
                         "The branch '%s' moved while this commit was written: get the branch "
                         "again and retry",
                         w->refname + 11);
    return rc;
}

static int file_mode_input(git_filemode_t *out, struct api_call *call, const char *name,
                           const char *member)
{
    *out = 0;
    if (!name)
        return 0;
    if (cc_file_mode_parse(out, name) < 0)
        return api_error(call, ERR_INVALID, "InvalidFileModeException",
                         "The specified file mode '%s' is not valid (%s): use EXECUTABLE, NORMAL "
                         "or SYMLINK",
                         name, member);
    return 0;
}

int cc_put_file(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_repo repo _cleanup_cc_repo_ = {0};
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    const char *name = cc_str(in, "name"), *email = cc_str(in, "email"),
               *message = cc_str(in, "commitMessage");
    rc = cc_commit_inputs_check(call, name, email, message);
    if (rc < 0)
        return rc;
    json_t *content = json_object_get(in, "fileContent");
    if (!json_is_string(content) || json_string_length(content) == 0)
        return api_error(call, ERR_INVALID, "FileContentRequiredException",
                         "The file cannot be added because it is empty: fileContent is required");
    const char *path = cc_str(in, "filePath");
    rc = cc_path_check(call, path, "filePath");
    if (rc < 0)
        return rc;
    struct cc_tree_edit edit = {
        .kind = CC_EDIT_PUT_CONTENT,
        .path = path,
        .content = json_string_value(content),
        .content_len = json_string_length(content),
    };
    rc = file_mode_input(&edit.mode, call, cc_str(in, "fileMode"), "fileMode");
    if (rc < 0)
        return rc;
    /* The size is checked before the branch, as the content is the
     * request's bulk. */
    if (edit.content_len > CC_FILE_CONTENT_MAX)
        return api_error(call, ERR_LIMIT, "FileContentSizeLimitExceededException",
                         "The file '%s' cannot be added because it is too large: %zu bytes, the "
                         "maximum file size is %d bytes",
                         path, edit.content_len, CC_FILE_CONTENT_MAX);

    struct write_base w;
    rc = write_base_open(&w, call, &repo, cc_str(in, "branchName"), cc_str(in, "parentCommitId"));
    if (rc < 0)
        return rc;
    git_oid tree, commit;
    rc = cc_tree_edit_apply(&tree, call, repo.git, w.tree, &edit, 1, NULL);
    if (rc < 0)
        goto done;
    if (edit.result == CC_EDIT_UNCHANGED) {
        rc = api_error(call, ERR_INVALID, "SameFileContentException",
                       "The file '%s' was not added or updated because its content and mode "
                       "are exactly those it has on the branch",
                       path);
        goto done;
    }
    char *fallback = NULL;
    if (!message)
        message = fallback =
            default_message(edit.result == CC_EDIT_ADDED ? "Added" : "Edited", path);
    rc = write_finish(&commit, call, &repo, &w, &tree, name, email, message);
    free(fallback);
    if (rc < 0)
        goto done;
    char commit_hex[GIT_OID_HEXSZ + 1], blob_hex[GIT_OID_HEXSZ + 1], tree_hex[GIT_OID_HEXSZ + 1];
    hex_of(commit_hex, &commit);
    hex_of(blob_hex, &edit.result_blob);
    hex_of(tree_hex, &tree);
    *out = json_pack("{s:s, s:s, s:s}", "commitId", commit_hex, "blobId", blob_hex, "treeId",
                     tree_hex);
done:
    write_base_release(&w);
    return rc;
}

int cc_delete_file(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_repo repo _cleanup_cc_repo_ = {0};
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    const char *name = cc_str(in, "name"), *email = cc_str(in, "email"),
               *message = cc_str(in, "commitMessage");
    rc = cc_commit_inputs_check(call, name, email, message);
    if (rc < 0)
        return rc;
    const char *path = cc_str(in, "filePath");
    rc = cc_path_check(call, path, "filePath");
    if (rc < 0)
        return rc;
    const char *branch = cc_str(in, "branchName");
    rc = cc_branch_name_check(call, branch, "branchName");
    if (rc < 0)
        return rc;
    const char *parent = cc_str(in, "parentCommitId");
    struct write_base w;
    rc = write_base_open(&w, call, &repo, branch, parent);
    if (rc < 0)
        return rc;
    if (!w.parent) {
        /* An empty repository has no file to delete. */
        rc = api_error(call, ERR_NOT_FOUND, "BranchDoesNotExistException",
                       "The branch '%s' does not exist in %s", branch, repo.loc.name);
        goto done;
    }
    struct cc_tree_edit edit = {.kind = CC_EDIT_DELETE, .path = path};
    struct cc_tree_edit_options opts = {.keep_empty_folders =
                                            json_is_true(json_object_get(in, "keepEmptyFolders"))};
    git_oid tree, commit;
    rc = cc_tree_edit_apply(&tree, call, repo.git, w.tree, &edit, 1, &opts);
    if (rc < 0)
        goto done;
    char *fallback = NULL;
    if (!message)
        message = fallback = default_message("Deleted", path);
    rc = write_finish(&commit, call, &repo, &w, &tree, name, email, message);
    free(fallback);
    if (rc < 0)
        goto done;
    char commit_hex[GIT_OID_HEXSZ + 1], blob_hex[GIT_OID_HEXSZ + 1], tree_hex[GIT_OID_HEXSZ + 1];
    hex_of(commit_hex, &commit);
    hex_of(blob_hex, &edit.result_blob);
    hex_of(tree_hex, &tree);
    *out = json_pack("{s:s, s:s, s:s, s:s}", "commitId", commit_hex, "blobId", blob_hex, "treeId",
                     tree_hex, "filePath", path);
done:
    write_base_release(&w);
    return rc;
}

static json_t *file_metadata(const char *path, const git_oid *blob, git_filemode_t mode)
{
    char hex[GIT_OID_HEXSZ + 1];
    hex_of(hex, blob);
    const char *m = cc_file_mode_name(mode);
    return json_pack("{s:s, s:s, s:s}", "absolutePath", path, "blobId", hex, "fileMode",
                     m ? m : "NORMAL");
}

/* The edits of CreateCommit's putFiles, deleteFiles and setFileModes. */
static int commit_edits(struct cc_tree_edit **out, size_t *count_out, struct api_call *call,
                        json_t *in)
{
    json_t *puts = json_object_get(in, "putFiles"), *dels = json_object_get(in, "deleteFiles"),
           *modes = json_object_get(in, "setFileModes");
    size_t n = json_array_size(puts) + json_array_size(dels) + json_array_size(modes);
    if (n == 0)
        return api_error(call, ERR_INVALID, "FileEntryRequiredException",
                         "The commit cannot be created because no files have been specified as "
                         "added, updated, deleted or changed (putFiles, deleteFiles, "
                         "setFileModes)");
    if (n > FILE_ENTRIES_MAX)
        return api_error(call, ERR_LIMIT, "MaximumFileEntriesExceededException",
                         "The commit changes %zu files; a commit can change at most %d", n,
                         FILE_ENTRIES_MAX);
    struct cc_tree_edit *edits = calloc(n, sizeof(*edits));
    if (!edits)
        abort();
    size_t k = 0, i;
    json_t *v;
    int rc = 0;
    json_array_foreach(puts, i, v)
    {
        struct cc_tree_edit *e = &edits[k++];
        e->path = cc_str(v, "filePath");
        e->member = "putFiles.filePath";
        json_t *content = json_object_get(v, "fileContent");
        json_t *source = json_object_get(v, "sourceFile");
        if (content && source) {
            rc = api_error(call, ERR_INVALID, "FileContentAndSourceFileSpecifiedException",
                           "The commit cannot be created because both a source file and file "
                           "content have been specified for '%s'",
                           e->path ? e->path : "");
            goto fail;
        }
        if (!content && !source) {
            rc = api_error(call, ERR_INVALID, "SourceFileOrContentRequiredException",
                           "The commit cannot be created because no source file or file content "
                           "has been specified for '%s'",
                           e->path ? e->path : "");
            goto fail;
        }
        if (content) {
            e->kind = CC_EDIT_PUT_CONTENT;
            e->content = json_string_value(content);
            e->content_len = json_string_length(content);
        } else {
            e->kind = CC_EDIT_PUT_SOURCE;
            e->source_path = cc_str(source, "filePath");
            e->move = json_is_true(json_object_get(source, "isMove"));
        }
        rc = file_mode_input(&e->mode, call, cc_str(v, "fileMode"), "putFiles.fileMode");
        if (rc < 0)
            goto fail;
    }
    json_array_foreach(dels, i, v)
    {
        struct cc_tree_edit *e = &edits[k++];
        e->kind = CC_EDIT_DELETE;
        e->path = cc_str(v, "filePath");
        e->member = "deleteFiles.filePath";
    }
    json_array_foreach(modes, i, v)
    {
        struct cc_tree_edit *e = &edits[k++];
        e->kind = CC_EDIT_SET_MODE;
        e->path = cc_str(v, "filePath");
        e->member = "setFileModes.filePath";
        const char *mode = cc_str(v, "fileMode");
        if (!mode) {
            rc = api_error(call, ERR_INVALID, "FileModeRequiredException",
                           "The commit cannot be created because no file mode has been "
                           "specified for '%s' (setFileModes.fileMode)",
                           e->path ? e->path : "");
            goto fail;
        }
        rc = file_mode_input(&e->mode, call, mode, "setFileModes.fileMode");
        if (rc < 0)
            goto fail;
    }
    *out = edits;
    *count_out = n;
    return 0;
fail:
    free(edits);
    return rc;
}

int cc_create_commit(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_repo repo _cleanup_cc_repo_ = {0};
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    const char *name = cc_str(in, "authorName"), *email = cc_str(in, "email"),
               *message = cc_str(in, "commitMessage");
    rc = cc_commit_inputs_check(call, name, email, message);
    if (rc < 0)
        return rc;
    rc = cc_branch_name_check(call, cc_str(in, "branchName"), "branchName");
    if (rc < 0)
        return rc;
    struct cc_tree_edit *edits = NULL;
    size_t count = 0;
    rc = commit_edits(&edits, &count, call, in);
    if (rc < 0)
        return rc;
    struct write_base w;
    rc = write_base_open(&w, call, &repo, cc_str(in, "branchName"), cc_str(in, "parentCommitId"));
    if (rc < 0) {
        free(edits);
        return rc;
    }
    struct cc_tree_edit_options opts = {.keep_empty_folders =
                                            json_is_true(json_object_get(in, "keepEmptyFolders"))};
    git_oid tree, commit;
    rc = cc_tree_edit_apply(&tree, call, repo.git, w.tree, edits, count, &opts);
    if (rc < 0)
        goto done;
    if (!cc_tree_edit_changed(edits, count) ||
        (w.tree && git_oid_equal(&tree, git_tree_id(w.tree)))) {
        rc = api_error(call, ERR_INVALID, "NoChangeException",
                       "No changes were made: the commit cannot be created because it would "
                       "change nothing in the repository");
        goto done;
    }
    char *fallback = NULL;
    if (!message) {
        size_t changed = 0;
        for (size_t i = 0; i < count; i++)
            changed += edits[i].result != CC_EDIT_UNCHANGED;
        char what[64];
        snprintf(what, sizeof(what), "%zu file%s", changed, changed == 1 ? "" : "s");
        message = fallback = default_message("Changed", what);
    }
    rc = write_finish(&commit, call, &repo, &w, &tree, name, email, message);
    free(fallback);
    if (rc < 0)
        goto done;
    json_t *added = json_array(), *updated = json_array(), *deleted = json_array();
    for (size_t i = 0; i < count; i++) {
        struct cc_tree_edit *e = &edits[i];
        switch (e->result) {
        case CC_EDIT_ADDED:
            json_array_append_new(added, file_metadata(e->path, &e->result_blob, e->result_mode));
            break;
        case CC_EDIT_UPDATED:
            json_array_append_new(updated, file_metadata(e->path, &e->result_blob, e->result_mode));
            break;
        case CC_EDIT_DELETED:
            json_array_append_new(deleted, file_metadata(e->path, &e->result_blob, e->result_mode));
            break;
        case CC_EDIT_UNCHANGED:
            break;
        }
        if (e->kind == CC_EDIT_PUT_SOURCE && e->move)
            json_array_append_new(deleted,
                                  file_metadata(e->source_path, &e->result_blob, e->result_mode));
    }
    char commit_hex[GIT_OID_HEXSZ + 1], tree_hex[GIT_OID_HEXSZ + 1];
    hex_of(commit_hex, &commit);
    hex_of(tree_hex, &tree);
    *out = json_pack("{s:s, s:s, s:o, s:o, s:o}", "commitId", commit_hex, "treeId", tree_hex,
                     "filesAdded", added, "filesUpdated", updated, "filesDeleted", deleted);
done:
    write_base_release(&w);
    free(edits);
    return rc;
}
