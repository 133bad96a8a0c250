/*
 * CodeCommit's files, commits and differences: tree edits against a real
 * repository (paths, empty folders, conflicts), then the handlers called in
 * process through the operation table (PutFile, DeleteFile, CreateCommit,
 * GetFile, GetFolder, GetBlob, GetCommit, BatchGetCommits, GetDifferences,
 * ListFileCommitHistory), checking git state through the API.
 */
#include "base/common.h"
#include "aws/api.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/codecommit/tree_edit.h"
#include "iam_fixture.h"

#include <setjmp.h>

#include <cmocka.h>

struct fixture {
    struct iam_fixture *iam;
    git_repository *git; /* a scratch repository for tree edits */
    struct api_call call;
    char code[128];
    char message[1024];
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    if (iam_fixture_open(&f->iam, "codecommit_files") < 0)
        return -1;
    cc_git_init();
    struct buf path = BUF_INIT;
    buf_addf(&path, "%s/scratch.git", f->iam->dir);
    if (git_repository_init(&f->git, path.data, 1) < 0)
        return -1;
    buf_release(&path);
    f->call.request_id = "test";
    f->call.account_id = IAM_FIXTURE_ACCOUNT;
    f->call.region = "us-east-1";
    f->call.now_ms = IAM_FIXTURE_T0;
    f->call.principal = &f->iam->admin;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    git_repository_free(f->git);
    iam_fixture_close(f->iam);
    free(f);
    return 0;
}

/* Runs a codecommit operation as the admin; `params` is JSON text. */
static int call(struct fixture *f, const char *op, json_t *in, json_t **out)
{
    struct iam_fixture_result res;
    if (out)
        *out = NULL;
    int rc = iam_fixture_invoke(&res, f->iam, NULL, "codecommit", op, in, NULL, out);
    if (!res.found)
        fail_msg("no such operation %s", op);
    snprintf(f->code, sizeof(f->code), "%s", res.code);
    snprintf(f->message, sizeof(f->message), "%s", res.message);
    return rc;
}

static json_t *ok(struct fixture *f, const char *op, json_t *in)
{
    json_t *out = NULL;
    int rc = call(f, op, in, &out);
    if (rc < 0)
        fail_msg("%s failed: %s %s", op, f->code, f->message);
    return out ? out : json_object();
}

static void fails(struct fixture *f, const char *op, json_t *in, const char *code)
{
    json_t *out = NULL;
    int rc = call(f, op, in, &out);
    json_decref(out);
    if (rc >= 0)
        fail_msg("%s succeeded; expected %s", op, code);
    if (strcmp(f->code, code) != 0)
        fail_msg("%s failed with %s (%s); expected %s", op, f->code, f->message, code);
}

/* ---- tree edits --------------------------------------------------------------- */

static const char *edit_error(struct fixture *f)
{
    return f->call.error_code;
}

/* Applies edits to `base` (a tree id, or NULL); returns the new tree. */
static int apply(struct fixture *f, git_oid *out, const git_oid *base, struct cc_tree_edit *edits,
                 size_t count, bool keep)
{
    git_tree *tree = NULL;
    if (base)
        assert_int_equal(git_tree_lookup(&tree, f->git, base), 0);
    memset(f->call.error_code, 0, sizeof(f->call.error_code));
    struct cc_tree_edit_options o = {.keep_empty_folders = keep};
    int rc = cc_tree_edit_apply(out, &f->call, f->git, tree, edits, count, &o);
    git_tree_free(tree);
    return rc;
}

static struct cc_tree_edit put(const char *path, const char *content)
{
    return (struct cc_tree_edit){.kind = CC_EDIT_PUT_CONTENT,
                                 .path = path,
                                 .content = content,
                                 .content_len = strlen(content)};
}

static struct cc_tree_edit del(const char *path)
{
    return (struct cc_tree_edit){.kind = CC_EDIT_DELETE, .path = path};
}

/* The entry at `path` of tree `id`: its mode, or 0 when absent. */
static git_filemode_t mode_at(struct fixture *f, const git_oid *id, const char *path)
{
    git_tree *tree = NULL;
    assert_int_equal(git_tree_lookup(&tree, f->git, id), 0);
    git_tree_entry *e = NULL;
    git_filemode_t mode = 0;
    if (git_tree_entry_bypath(&e, tree, path) == 0)
        mode = git_tree_entry_filemode(e);
    git_tree_entry_free(e);
    git_tree_free(tree);
    return mode;
}

static void test_path_check(void **state)
{
    struct fixture *f = *state;
    static const char *const good[] = {"a",           "a/b.txt", "dir/sub/file",   ".gitignore",
                                       "a/.github/x", "x..y",    "spaces in name", ".git.x",
                                       "git~2",       "x.git",   "git~1x"};
    for (size_t i = 0; i < ARRAY_SIZE(good); i++)
        assert_int_equal(cc_path_check(&f->call, good[i], "filePath"), 0);
    static const char *const bad[] = {"/abs", "a/../b", "..", "a/./b", ".git/config", "x/.GIT/y",
                                      "a//b", "dir/", "a\nb", "./a", "tab\there",
                                      /* what NTFS reads as ".git" */
                                      ".git.", "a/.GIT /b", "git~1/x", "GIT~1", ".git:x", ".git. .",
                                      ".git\\x"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_int_equal(cc_path_check(&f->call, bad[i], "filePath"), ERR_INVALID);
        assert_string_equal(f->call.error_code, "InvalidPathException");
    }
    assert_int_equal(cc_path_check(&f->call, "", "filePath"), ERR_INVALID);
    assert_string_equal(f->call.error_code, "PathRequiredException");
    assert_int_equal(cc_path_check(&f->call, NULL, "filePath"), ERR_INVALID);
    assert_string_equal(f->call.error_code, "PathRequiredException");
    char *longp = xcalloc(1, CC_PATH_MAX + 2);
    for (size_t i = 0; i < CC_PATH_MAX + 1; i++)
        longp[i] = (i % 100 == 99) ? '/' : 'a';
    assert_int_equal(cc_path_check(&f->call, longp, "filePath"), ERR_INVALID);
    free(longp);
}

static void test_edit_put_and_delete(void **state)
{
    struct fixture *f = *state;
    git_oid t1, t2, t3, t4;
    struct cc_tree_edit e1[] = {put("a/b/c.txt", "one"), put("top.txt", "top")};
    assert_int_equal(apply(f, &t1, NULL, e1, 2, false), 0);
    assert_int_equal(e1[0].result, CC_EDIT_ADDED);
    assert_int_equal(mode_at(f, &t1, "a/b/c.txt"), GIT_FILEMODE_BLOB);
    assert_int_equal(mode_at(f, &t1, "a/b"), GIT_FILEMODE_TREE);

    /* Same content again: unchanged, same tree. */
    struct cc_tree_edit e2[] = {put("a/b/c.txt", "one")};
    assert_int_equal(apply(f, &t2, &t1, e2, 1, false), 0);
    assert_int_equal(e2[0].result, CC_EDIT_UNCHANGED);
    assert_true(git_oid_equal(&t1, &t2));
    assert_false(cc_tree_edit_changed(e2, 1));

    /* Mode change only: updated. */
    struct cc_tree_edit e3[] = {put("a/b/c.txt", "one")};
    e3[0].mode = GIT_FILEMODE_BLOB_EXECUTABLE;
    assert_int_equal(apply(f, &t2, &t1, e3, 1, false), 0);
    assert_int_equal(e3[0].result, CC_EDIT_UPDATED);
    assert_int_equal(mode_at(f, &t2, "a/b/c.txt"), GIT_FILEMODE_BLOB_EXECUTABLE);

    /* Deleting the last file of a/b removes a/b and a. */
    struct cc_tree_edit e4[] = {del("a/b/c.txt")};
    assert_int_equal(apply(f, &t3, &t1, e4, 1, false), 0);
    assert_int_equal(e4[0].result, CC_EDIT_DELETED);
    assert_int_equal(mode_at(f, &t3, "a"), 0);
    assert_int_equal(mode_at(f, &t3, "top.txt"), GIT_FILEMODE_BLOB);

    /* keepEmptyFolders keeps a/b with a .gitkeep. */
    struct cc_tree_edit e5[] = {del("a/b/c.txt")};
    assert_int_equal(apply(f, &t4, &t1, e5, 1, true), 0);
    assert_int_equal(mode_at(f, &t4, "a/b/.gitkeep"), GIT_FILEMODE_BLOB);
    assert_int_equal(mode_at(f, &t4, "a/b/c.txt"), 0);

    /* Deleting a missing file. */
    struct cc_tree_edit e6[] = {del("nope.txt")};
    assert_int_equal(apply(f, &t4, &t1, e6, 1, false), ERR_NOT_FOUND);
    assert_string_equal(edit_error(f), "FileDoesNotExistException");
    struct cc_tree_edit e6b[] = {del("top.txt/x")};
    assert_int_equal(apply(f, &t4, &t1, e6b, 1, false), ERR_NOT_FOUND);
    assert_string_equal(edit_error(f), "FileDoesNotExistException");
    struct cc_tree_edit e7[] = {del("a/b")};
    assert_int_equal(apply(f, &t4, &t1, e7, 1, false), ERR_NOT_FOUND);
    assert_string_equal(edit_error(f), "FileDoesNotExistException");
}

static void test_edit_conflicts(void **state)
{
    struct fixture *f = *state;
    git_oid t1, t2;
    struct cc_tree_edit e1[] = {put("dir/file", "x"), put("f", "y")};
    assert_int_equal(apply(f, &t1, NULL, e1, 2, false), 0);

    struct cc_tree_edit onto_folder[] = {put("dir", "z")};
    assert_int_equal(apply(f, &t2, &t1, onto_folder, 1, false), ERR_INVALID);
    assert_string_equal(edit_error(f), "FileNameConflictsWithDirectoryNameException");

    struct cc_tree_edit through_file[] = {put("f/g", "z")};
    assert_int_equal(apply(f, &t2, &t1, through_file, 1, false), ERR_INVALID);
    assert_string_equal(edit_error(f), "DirectoryNameConflictsWithFileNameException");

    /* ... unless the same commit deletes the file. */
    struct cc_tree_edit replace[] = {del("f"), put("f/g", "z")};
    assert_int_equal(apply(f, &t2, &t1, replace, 2, false), 0);
    assert_int_equal(mode_at(f, &t2, "f"), GIT_FILEMODE_TREE);
    assert_int_equal(mode_at(f, &t2, "f/g"), GIT_FILEMODE_BLOB);

    struct cc_tree_edit same[] = {put("x", "1"), put("x", "2")};
    assert_int_equal(apply(f, &t2, &t1, same, 2, false), ERR_INVALID);
    assert_string_equal(edit_error(f), "SamePathRequestException");

    struct cc_tree_edit put_del[] = {put("f", "1"), del("f")};
    assert_int_equal(apply(f, &t2, &t1, put_del, 2, false), ERR_INVALID);
    assert_string_equal(edit_error(f), "SamePathRequestException");

    struct cc_tree_edit file_and_folder[] = {put("n", "1"), put("n/m", "2")};
    assert_int_equal(apply(f, &t2, &t1, file_and_folder, 2, false), ERR_INVALID);
    assert_string_equal(edit_error(f), "PutFileEntryConflictException");

    struct cc_tree_edit bad[] = {put("../x", "1")};
    assert_int_equal(apply(f, &t2, &t1, bad, 1, false), ERR_INVALID);
    assert_string_equal(edit_error(f), "InvalidPathException");

    /* Moves: the source goes, the target comes; .gitkeep may not move. */
    struct cc_tree_edit move[] = {{.kind = CC_EDIT_PUT_SOURCE,
                                   .path = "moved/file",
                                   .source_path = "dir/file",
                                   .move = true}};
    assert_int_equal(apply(f, &t2, &t1, move, 1, false), 0);
    assert_int_equal(mode_at(f, &t2, "dir"), 0);
    assert_int_equal(mode_at(f, &t2, "moved/file"), GIT_FILEMODE_BLOB);
    struct cc_tree_edit move_missing[] = {
        {.kind = CC_EDIT_PUT_SOURCE, .path = "m2", .source_path = "none", .move = true}};
    assert_int_equal(apply(f, &t2, &t1, move_missing, 1, false), ERR_NOT_FOUND);
    assert_string_equal(edit_error(f), "FileDoesNotExistException");

    /* Sizes. */
    char *big = xcalloc(1, CC_FILE_CONTENT_MAX + 2);
    memset(big, 'a', CC_FILE_CONTENT_MAX + 1);
    struct cc_tree_edit too_big[] = {put("big", big)};
    assert_int_equal(apply(f, &t2, &t1, too_big, 1, false), ERR_LIMIT);
    assert_string_equal(edit_error(f), "FileContentSizeLimitExceededException");
    free(big);

    /* Set mode. */
    struct cc_tree_edit mode[] = {
        {.kind = CC_EDIT_SET_MODE, .path = "f", .mode = GIT_FILEMODE_LINK}};
    assert_int_equal(apply(f, &t2, &t1, mode, 1, false), 0);
    assert_int_equal(mode_at(f, &t2, "f"), GIT_FILEMODE_LINK);
}

/* The AWS example: deleting the last file of dir1/dir2/dir3/dir4 removes
 * every folder it empties; submodules are never written through. */
static void test_edit_folders_and_submodules(void **state)
{
    struct fixture *f = *state;
    git_oid t1, t2;
    struct cc_tree_edit e1[] = {put("dir1/keep.txt", "k"), put("dir1/dir2/dir3/dir4/f", "f")};
    assert_int_equal(apply(f, &t1, NULL, e1, 2, false), 0);
    struct cc_tree_edit e2[] = {del("dir1/dir2/dir3/dir4/f")};
    assert_int_equal(apply(f, &t2, &t1, e2, 1, false), 0);
    assert_int_equal(mode_at(f, &t2, "dir1/dir2"), 0);
    assert_int_equal(mode_at(f, &t2, "dir1/keep.txt"), GIT_FILEMODE_BLOB);

    /* A folder receiving more than 6 MB in one commit. */
    char *half = xcalloc(1, 3584 * 1024 + 1);
    memset(half, 'h', 3584 * 1024);
    struct cc_tree_edit e3[] = {put("big/a", half), put("big/b", half)};
    assert_int_equal(apply(f, &t2, &t1, e3, 2, false), ERR_LIMIT);
    assert_string_equal(edit_error(f), "FolderContentSizeLimitExceededException");
    struct cc_tree_edit e4[] = {put("big/a", half), put("other/b", half)};
    assert_int_equal(apply(f, &t2, &t1, e4, 2, false), 0);
    free(half);

    /* A tree with a submodule at "sub". */
    git_treebuilder *bld = NULL;
    git_oid sub_commit, t3;
    git_oid_fromstr(&sub_commit, "1111111111111111111111111111111111111111");
    assert_int_equal(git_treebuilder_new(&bld, f->git, NULL), 0);
    assert_int_equal(git_treebuilder_insert(NULL, bld, "sub", &sub_commit, GIT_FILEMODE_COMMIT), 0);
    assert_int_equal(git_treebuilder_write(&t3, bld), 0);
    git_treebuilder_free(bld);
    struct cc_tree_edit e5[] = {put("sub/x", "x")};
    assert_int_equal(apply(f, &t2, &t3, e5, 1, false), ERR_INVALID);
    assert_string_equal(edit_error(f), "FilePathConflictsWithSubmodulePathException");
    struct cc_tree_edit e6[] = {put("sub", "x")};
    assert_int_equal(apply(f, &t2, &t3, e6, 1, false), ERR_INVALID);
    assert_string_equal(edit_error(f), "FilePathConflictsWithSubmodulePathException");
    struct cc_tree_edit e7[] = {del("sub")};
    assert_int_equal(apply(f, &t2, &t3, e7, 1, false), ERR_NOT_FOUND);
    assert_string_equal(edit_error(f), "FileDoesNotExistException");
    /* Next to it, edits keep the submodule as it is. */
    struct cc_tree_edit e8[] = {put("y", "y")};
    assert_int_equal(apply(f, &t2, &t3, e8, 1, false), 0);
    assert_int_equal(mode_at(f, &t2, "sub"), GIT_FILEMODE_COMMIT);

    /* Set mode to a mode that is not a file's; .gitkeep never moves. */
    struct cc_tree_edit e9[] = {
        {.kind = CC_EDIT_SET_MODE, .path = "dir1/keep.txt", .mode = GIT_FILEMODE_TREE}};
    assert_int_equal(apply(f, &t2, &t1, e9, 1, false), ERR_INVALID);
    assert_string_equal(edit_error(f), "InvalidFileModeException");
    git_oid solo;
    struct cc_tree_edit e10a[] = {put("solo/keep.txt", "k")};
    assert_int_equal(apply(f, &solo, NULL, e10a, 1, false), 0);
    struct cc_tree_edit e10[] = {del("solo/keep.txt")};
    assert_int_equal(apply(f, &t2, &solo, e10, 1, true), 0);
    assert_int_equal(mode_at(f, &t2, "solo/.gitkeep"), GIT_FILEMODE_BLOB);
    assert_int_equal(mode_at(f, &t2, "solo/keep.txt"), 0);
    struct cc_tree_edit e11[] = {
        {.kind = CC_EDIT_PUT_SOURCE, .path = "copy", .source_path = "solo/.gitkeep"}};
    assert_int_equal(apply(f, &t1, &t2, e11, 1, false), ERR_INVALID);
    assert_string_equal(edit_error(f), "RestrictedSourceFileException");
}

/* ---- handlers ---------------------------------------------------------------- */

static void create_repo(struct fixture *f, const char *name)
{
    json_decref(ok(f, "CreateRepository", json_pack("{s:s}", "repositoryName", name)));
}

static char *put_file(struct fixture *f, const char *repo, const char *branch, const char *path,
                      const char *content, const char *parent)
{
    json_t *in = json_pack("{s:s, s:s, s:s, s:s%}", "repositoryName", repo, "branchName", branch,
                           "filePath", path, "fileContent", content, strlen(content));
    if (parent)
        json_object_set_new(in, "parentCommitId", json_string(parent));
    json_t *out = ok(f, "PutFile", in);
    char *id = xstrdup(json_string_value(json_object_get(out, "commitId")));
    json_decref(out);
    return id;
}

static char *branch_tip(struct fixture *f, const char *repo, const char *branch)
{
    json_t *out =
        ok(f, "GetBranch", json_pack("{s:s, s:s}", "repositoryName", repo, "branchName", branch));
    char *id =
        xstrdup(json_string_value(json_object_get(json_object_get(out, "branch"), "commitId")));
    json_decref(out);
    return id;
}

static void test_put_get_file(void **state)
{
    struct fixture *f = *state;
    create_repo(f, "files");
    /* An empty repository: no parent, the branch is created. */
    char *c1 = put_file(f, "files", "main", "src/hello.txt", "hello", NULL);
    char *tip = branch_tip(f, "files", "main");
    assert_string_equal(tip, c1);
    free(tip);
    json_t *repo = ok(f, "GetRepository", json_pack("{s:s}", "repositoryName", "files"));
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(repo, "repositoryMetadata"), "defaultBranch")),
                        "main");
    json_decref(repo);

    /* Once the branch exists, the parent is required and must be the tip. */
    fails(f, "PutFile",
          json_pack("{s:s, s:s, s:s, s:s}", "repositoryName", "files", "branchName", "main",
                    "filePath", "b.txt", "fileContent", "b"),
          "ParentCommitIdRequiredException");
    char *c2 = put_file(f, "files", "main", "b.txt", "b", c1);
    fails(f, "PutFile",
          json_pack("{s:s, s:s, s:s, s:s, s:s}", "repositoryName", "files", "branchName", "main",
                    "filePath", "c.txt", "fileContent", "c", "parentCommitId", c1),
          "ParentCommitIdOutdatedException");
    fails(f, "PutFile",
          json_pack("{s:s, s:s, s:s, s:s, s:s}", "repositoryName", "files", "branchName", "main",
                    "filePath", "c.txt", "fileContent", "c", "parentCommitId", "xyz"),
          "InvalidParentCommitIdException");
    fails(f, "PutFile",
          json_pack("{s:s, s:s, s:s, s:s, s:s}", "repositoryName", "files", "branchName", "main",
                    "filePath", "b.txt", "fileContent", "b", "parentCommitId", c2),
          "SameFileContentException");
    fails(f, "PutFile",
          json_pack("{s:s, s:s, s:s, s:s, s:s}", "repositoryName", "files", "branchName", "main",
                    "filePath", ".git/config", "fileContent", "x", "parentCommitId", c2),
          "InvalidPathException");
    fails(f, "PutFile",
          json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "repositoryName", "files", "branchName",
                    "main", "filePath", "e.txt", "fileContent", "x", "parentCommitId", c2, "email",
                    "not an email"),
          "InvalidEmailException");
    fails(f, "PutFile",
          json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "repositoryName", "files", "branchName",
                    "main", "filePath", "e.txt", "fileContent", "x", "parentCommitId", c2,
                    "fileMode", "WRITABLE"),
          "InvalidFileModeException");
    fails(f, "PutFile",
          json_pack("{s:s, s:s, s:s, s:s, s:s}", "repositoryName", "files", "branchName", "other",
                    "filePath", "e.txt", "fileContent", "x", "parentCommitId", c2),
          "BranchDoesNotExistException");
    tip = branch_tip(f, "files", "main");
    assert_string_equal(tip, c2); /* nothing moved */
    free(tip);

    json_t *out =
        ok(f, "GetFile",
           json_pack("{s:s, s:s}", "repositoryName", "files", "filePath", "src/hello.txt"));
    assert_string_equal(json_string_value(json_object_get(out, "fileContent")), "hello");
    assert_string_equal(json_string_value(json_object_get(out, "fileMode")), "NORMAL");
    assert_int_equal(json_integer_value(json_object_get(out, "fileSize")), 5);
    assert_string_equal(json_string_value(json_object_get(out, "commitId")), c2);
    char *blob = xstrdup(json_string_value(json_object_get(out, "blobId")));
    json_decref(out);
    out = ok(f, "GetBlob", json_pack("{s:s, s:s}", "repositoryName", "files", "blobId", blob));
    assert_string_equal(json_string_value(json_object_get(out, "content")), "hello");
    json_decref(out);
    free(blob);
    fails(f, "GetBlob", json_pack("{s:s, s:s}", "repositoryName", "files", "blobId", "zz"),
          "InvalidBlobIdException");
    fails(f, "GetBlob",
          json_pack("{s:s, s:s}", "repositoryName", "files", "blobId",
                    "0123456789012345678901234567890123456789"),
          "BlobIdDoesNotExistException");
    /* At the first commit, b.txt did not exist. */
    fails(f, "GetFile",
          json_pack("{s:s, s:s, s:s}", "repositoryName", "files", "filePath", "b.txt",
                    "commitSpecifier", c1),
          "FileDoesNotExistException");
    /* Abbreviated ids name commits too. */
    char abbrev[8];
    snprintf(abbrev, sizeof(abbrev), "%.7s", c1);
    out = ok(f, "GetFile",
             json_pack("{s:s, s:s, s:s}", "repositoryName", "files", "filePath", "/src/hello.txt",
                       "commitSpecifier", abbrev));
    assert_string_equal(json_string_value(json_object_get(out, "commitId")), c1);
    json_decref(out);
    fails(f, "GetFile",
          json_pack("{s:s, s:s, s:s}", "repositoryName", "files", "filePath", "b.txt",
                    "commitSpecifier", "no-such-branch"),
          "CommitDoesNotExistException");

    out = ok(f, "GetFolder", json_pack("{s:s, s:s}", "repositoryName", "files", "folderPath", "/"));
    assert_int_equal(json_array_size(json_object_get(out, "subFolders")), 1);
    assert_int_equal(json_array_size(json_object_get(out, "files")), 1);
    json_t *sub = json_array_get(json_object_get(out, "subFolders"), 0);
    assert_string_equal(json_string_value(json_object_get(sub, "absolutePath")), "src");
    json_decref(out);
    fails(f, "GetFolder", json_pack("{s:s, s:s}", "repositoryName", "files", "folderPath", "b.txt"),
          "FolderDoesNotExistException");

    /* GetCommit: full ids only. */
    out = ok(f, "GetCommit", json_pack("{s:s, s:s}", "repositoryName", "files", "commitId", c2));
    json_t *commit = json_object_get(out, "commit");
    assert_string_equal(json_string_value(json_array_get(json_object_get(commit, "parents"), 0)),
                        c1);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(commit, "author"), "date")),
        "1700000000 +0000");
    json_decref(out);
    fails(f, "GetCommit", json_pack("{s:s, s:s}", "repositoryName", "files", "commitId", abbrev),
          "InvalidCommitIdException");
    out = ok(f, "BatchGetCommits",
             json_pack("{s:s, s:[s, s, s]}", "repositoryName", "files", "commitIds", c1, c2,
                       "0123456789012345678901234567890123456789"));
    assert_int_equal(json_array_size(json_object_get(out, "commits")), 2);
    assert_int_equal(json_array_size(json_object_get(out, "errors")), 1);
    json_decref(out);

    /* DeleteFile. */
    out = ok(f, "DeleteFile",
             json_pack("{s:s, s:s, s:s, s:s}", "repositoryName", "files", "branchName", "main",
                       "filePath", "src/hello.txt", "parentCommitId", c2));
    json_decref(out);
    fails(f, "GetFolder", json_pack("{s:s, s:s}", "repositoryName", "files", "folderPath", "src"),
          "FolderDoesNotExistException");
    free(c1);
    free(c2);
}

static void test_create_commit_and_differences(void **state)
{
    struct fixture *f = *state;
    create_repo(f, "cc");
    json_t *out =
        ok(f, "CreateCommit",
           json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}", "repositoryName",
                     "cc", "branchName", "main", "commitMessage", "first", "putFiles", "filePath",
                     "a.txt", "fileContent", "a", "filePath", "d/b.txt", "fileContent", "b",
                     "filePath", "d/c.txt", "fileContent", "c"));
    char *c1 = xstrdup(json_string_value(json_object_get(out, "commitId")));
    assert_int_equal(json_array_size(json_object_get(out, "filesAdded")), 3);
    json_decref(out);

    fails(f, "CreateCommit",
          json_pack("{s:s, s:s, s:s}", "repositoryName", "cc", "branchName", "main",
                    "parentCommitId", c1),
          "FileEntryRequiredException");
    fails(f, "CreateCommit",
          json_pack("{s:s, s:s, s:s, s:[{s:s}]}", "repositoryName", "cc", "branchName", "main",
                    "parentCommitId", c1, "putFiles", "filePath", "x"),
          "SourceFileOrContentRequiredException");
    fails(f, "CreateCommit",
          json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "repositoryName", "cc", "branchName", "main",
                    "parentCommitId", c1, "putFiles", "filePath", "a.txt", "fileContent", "a"),
          "NoChangeException");
    fails(f, "CreateCommit",
          json_pack("{s:s, s:s, s:s, s:[{s:s}]}", "repositoryName", "cc", "branchName", "main",
                    "parentCommitId", c1, "setFileModes", "filePath", "a.txt"),
          "FileModeRequiredException");
    json_t *many = json_array();
    for (int i = 0; i < 101; i++) {
        char p[32];
        snprintf(p, sizeof(p), "f%d", i);
        json_array_append_new(many, json_pack("{s:s, s:s}", "filePath", p, "fileContent", "x"));
    }
    fails(f, "CreateCommit",
          json_pack("{s:s, s:s, s:s, s:o}", "repositoryName", "cc", "branchName", "main",
                    "parentCommitId", c1, "putFiles", many),
          "MaximumFileEntriesExceededException");

    out =
        ok(f, "CreateCommit",
           json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}], s:[{s:s}], s:[{s:s, s:s}]}", "repositoryName",
                     "cc", "branchName", "main", "parentCommitId", c1, "putFiles", "filePath",
                     "a.txt", "fileContent", "A", "deleteFiles", "filePath", "d/b.txt",
                     "setFileModes", "filePath", "d/c.txt", "fileMode", "EXECUTABLE"));
    char *c2 = xstrdup(json_string_value(json_object_get(out, "commitId")));
    assert_int_equal(json_array_size(json_object_get(out, "filesUpdated")), 2);
    assert_int_equal(json_array_size(json_object_get(out, "filesDeleted")), 1);
    json_decref(out);

    /* Differences, one per page. */
    json_t *all = json_array();
    const char *token = NULL;
    char *held = NULL;
    for (int page = 0; page < 10; page++) {
        json_t *in =
            json_pack("{s:s, s:s, s:s, s:i}", "repositoryName", "cc", "beforeCommitSpecifier", c1,
                      "afterCommitSpecifier", c2, "MaxResults", 1);
        if (token)
            json_object_set_new(in, "NextToken", json_string(token));
        out = ok(f, "GetDifferences", in);
        json_array_extend(all, json_object_get(out, "differences"));
        free(held);
        held = json_string_value(json_object_get(out, "NextToken"))
                   ? xstrdup(json_string_value(json_object_get(out, "NextToken")))
                   : NULL;
        token = held;
        json_decref(out);
        if (!token)
            break;
    }
    assert_int_equal(json_array_size(all), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(all, 0), "changeType")),
                        "M");
    assert_string_equal(json_string_value(json_object_get(json_array_get(all, 1), "changeType")),
                        "D");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(all, 2), "afterBlob"), "mode")),
                        "100755");
    json_decref(all);

    /* Without a before commit: everything as added; paths filter. */
    out = ok(f, "GetDifferences",
             json_pack("{s:s, s:s}", "repositoryName", "cc", "afterCommitSpecifier", "main"));
    assert_int_equal(json_array_size(json_object_get(out, "differences")), 2);
    json_decref(out);
    out = ok(f, "GetDifferences",
             json_pack("{s:s, s:s, s:s, s:s, s:s}", "repositoryName", "cc", "beforeCommitSpecifier",
                       c1, "afterCommitSpecifier", c2, "afterPath", "d", "beforePath", "d"));
    assert_int_equal(json_array_size(json_object_get(out, "differences")), 2);
    json_decref(out);
    fails(f, "GetDifferences",
          json_pack("{s:s, s:s, s:s}", "repositoryName", "cc", "afterCommitSpecifier", c2,
                    "afterPath", "nowhere"),
          "PathDoesNotExistException");
    fails(f, "GetDifferences",
          json_pack("{s:s, s:s, s:s}", "repositoryName", "cc", "afterCommitSpecifier", c2,
                    "NextToken", "garbage"),
          "InvalidContinuationTokenException");
    fails(f, "GetDifferences",
          json_pack("{s:s, s:s, s:i}", "repositoryName", "cc", "afterCommitSpecifier", c2,
                    "MaxResults", 0),
          "InvalidMaxResultsException");
    fails(f, "GetDifferences", json_pack("{s:s}", "repositoryName", "cc"),
          "CommitRequiredException");

    /* The history of a.txt: two versions, the second a child of the first. */
    out = ok(f, "ListFileCommitHistory",
             json_pack("{s:s, s:s}", "repositoryName", "cc", "filePath", "a.txt"));
    json_t *dag = json_object_get(out, "revisionDag");
    assert_int_equal(json_array_size(dag), 2);
    json_t *older = json_array_get(dag, 1);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(older, "commit"), "commitId")), c1);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(older, "revisionChildren"), 0)), c2);
    json_decref(out);
    out = ok(
        f, "ListFileCommitHistory",
        json_pack("{s:s, s:s, s:i}", "repositoryName", "cc", "filePath", "a.txt", "maxResults", 1));
    assert_int_equal(json_array_size(json_object_get(out, "revisionDag")), 1);
    const char *next = json_string_value(json_object_get(out, "nextToken"));
    assert_non_null(next);
    json_t *out2 = ok(f, "ListFileCommitHistory",
                      json_pack("{s:s, s:s, s:i, s:s}", "repositoryName", "cc", "filePath", "a.txt",
                                "maxResults", 1, "nextToken", next));
    json_t *v = json_array_get(json_object_get(out2, "revisionDag"), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(v, "commit"), "commitId")), c1);
    assert_null(json_object_get(out2, "nextToken"));
    json_decref(out2);
    json_decref(out);
    free(c1);
    free(c2);
}

/* Paths that must be refused as input, not fail inside git or be cut to
 * fit: NTFS's spellings of ".git" and paths over the limit. */
static void test_path_input(void **state)
{
    struct fixture *f = *state;
    create_repo(f, "paths");
    char *c1 = put_file(f, "paths", "main", "a.txt", "a", NULL);
    fails(f, "PutFile",
          json_pack("{s:s, s:s, s:s, s:s, s:s}", "repositoryName", "paths", "branchName", "main",
                    "filePath", ".git./config", "fileContent", "x", "parentCommitId", c1),
          "InvalidPathException");
    fails(f, "CreateCommit",
          json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "repositoryName", "paths", "branchName",
                    "main", "parentCommitId", c1, "putFiles", "filePath", "x/GIT~1/hooks/post",
                    "fileContent", "x"),
          "InvalidPathException");
    char *tip = branch_tip(f, "paths", "main");
    assert_string_equal(tip, c1);
    free(tip);

    /* 4,200 bytes of valid components: over CC_PATH_MAX, so invalid,
     * whatever a prefix of it would name. */
    struct buf longp = BUF_INIT;
    while (longp.len < 4200)
        buf_adds(&longp, "abcdefghij/");
    buf_adds(&longp, "f");
    fails(f, "GetFile", json_pack("{s:s, s:s}", "repositoryName", "paths", "filePath", longp.data),
          "InvalidPathException");
    fails(f, "GetFolder",
          json_pack("{s:s, s:s}", "repositoryName", "paths", "folderPath", longp.data),
          "InvalidPathException");
    fails(f, "GetDifferences",
          json_pack("{s:s, s:s, s:s}", "repositoryName", "paths", "afterCommitSpecifier", "main",
                    "afterPath", longp.data),
          "InvalidPathException");
    fails(f, "GetDifferences",
          json_pack("{s:s, s:s, s:s}", "repositoryName", "paths", "afterCommitSpecifier", "main",
                    "beforePath", longp.data),
          "InvalidPathException");
    buf_release(&longp);
    /* Leading and trailing slashes do not count against the limit. */
    struct buf slashes = BUF_INIT;
    for (int i = 0; i < 5000; i++)
        buf_addch(&slashes, '/');
    json_t *out =
        ok(f, "GetFolder",
           json_pack("{s:s, s:s}", "repositoryName", "paths", "folderPath", slashes.data));
    assert_int_equal(json_array_size(json_object_get(out, "files")), 1);
    json_decref(out);
    buf_release(&slashes);
    free(c1);
}

#ifdef __SANITIZE_ADDRESS__
/* The sanitizer's allocation hooks (libasan exports them; GCC ships no
 * header declaring them). */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
static volatile bool watching;
static volatile size_t largest;

static void note_malloc(const volatile void *ptr, size_t size)
{
    (void)ptr;
    if (watching && size > largest)
        largest = size;
}

static void note_free(const volatile void *ptr)
{
    (void)ptr;
}
#endif

/* A blob over the limit, as a push could bring, is refused from its size
 * alone: never read into memory. */
static void test_large_blob_not_loaded(void **state)
{
    struct fixture *f = *state;
    create_repo(f, "large");
    char *c1 = put_file(f, "large", "main", "a.txt", "a", NULL);
    json_t *meta = ok(f, "GetRepository", json_pack("{s:s}", "repositoryName", "large"));
    struct buf path = BUF_INIT;
    buf_addf(&path, "%s/codecommit/%s.git", f->iam->dir,
             json_string_value(
                 json_object_get(json_object_get(meta, "repositoryMetadata"), "repositoryId")));
    json_decref(meta);
    git_repository *git = NULL;
    assert_int_equal(git_repository_open_bare(&git, path.data), 0);
    buf_release(&path);
    size_t big_len = 2 * (size_t)CC_BLOB_MAX;
    char *big = xcalloc(1, big_len);
    git_oid big_id, tree_id, commit_id, parent_id;
    assert_int_equal(git_blob_create_from_buffer(&big_id, git, big, big_len), 0);
    free(big);
    git_treebuilder *bld = NULL;
    assert_int_equal(git_treebuilder_new(&bld, git, NULL), 0);
    assert_int_equal(git_treebuilder_insert(NULL, bld, "big.bin", &big_id, GIT_FILEMODE_BLOB), 0);
    assert_int_equal(git_treebuilder_write(&tree_id, bld), 0);
    git_treebuilder_free(bld);
    git_tree *tree = NULL;
    git_commit *parent = NULL;
    git_signature *sig = NULL;
    assert_int_equal(git_oid_fromstr(&parent_id, c1), 0);
    assert_int_equal(git_commit_lookup(&parent, git, &parent_id), 0);
    assert_int_equal(git_tree_lookup(&tree, git, &tree_id), 0);
    assert_int_equal(git_signature_new(&sig, "t", "t@example.com", 1700000000, 0), 0);
    const git_commit *parents[1] = {parent};
    assert_int_equal(git_commit_create(&commit_id, git, "refs/heads/main", sig, sig, NULL, "big\n",
                                       tree, 1, parents),
                     0);
    git_signature_free(sig);
    git_tree_free(tree);
    git_commit_free(parent);
    git_repository_free(git);
    char big_hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(big_hex, sizeof(big_hex), &big_id);

#ifdef __SANITIZE_ADDRESS__
    __sanitizer_install_malloc_and_free_hooks(note_malloc, note_free);
    largest = 0;
    watching = true;
#endif
    fails(f, "GetBlob", json_pack("{s:s, s:s}", "repositoryName", "large", "blobId", big_hex),
          "FileTooLargeException");
    fails(f, "GetFile", json_pack("{s:s, s:s}", "repositoryName", "large", "filePath", "big.bin"),
          "FileTooLargeException");
#ifdef __SANITIZE_ADDRESS__
    watching = false;
    if (largest >= (size_t)CC_BLOB_MAX)
        fail_msg("a %zu-byte allocation: the oversized blob was read", (size_t)largest);
#endif
    /* A commit or a tree id is no blob. */
    char tree_hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(tree_hex, sizeof(tree_hex), &tree_id);
    fails(f, "GetBlob", json_pack("{s:s, s:s}", "repositoryName", "large", "blobId", tree_hex),
          "BlobIdDoesNotExistException");
    free(c1);
}

/* Tags, full refs, HEAD and object ids that are not commits. */
static void test_commit_specifiers(void **state)
{
    struct fixture *f = *state;
    create_repo(f, "specs");
    char *c1 = put_file(f, "specs", "main", "a.txt", "1", NULL);
    char *c2 = put_file(f, "specs", "main", "a.txt", "2", c1);
    json_t *meta = ok(f, "GetRepository", json_pack("{s:s}", "repositoryName", "specs"));
    struct buf path = BUF_INIT;
    buf_addf(&path, "%s/codecommit/%s.git", f->iam->dir,
             json_string_value(
                 json_object_get(json_object_get(meta, "repositoryMetadata"), "repositoryId")));
    json_decref(meta);
    git_repository *git = NULL;
    assert_int_equal(git_repository_open_bare(&git, path.data), 0);
    char *repo_path = buf_detach(&path, NULL);
    git_oid id1, id2, tag_id;
    git_oid_fromstr(&id1, c1);
    git_oid_fromstr(&id2, c2);
    git_object *o1 = NULL, *o2 = NULL;
    assert_int_equal(git_object_lookup(&o1, git, &id1, GIT_OBJECT_COMMIT), 0);
    assert_int_equal(git_object_lookup(&o2, git, &id2, GIT_OBJECT_COMMIT), 0);
    assert_int_equal(git_tag_create_lightweight(&tag_id, git, "v1", o1, 0), 0);
    git_signature *sig = NULL;
    assert_int_equal(git_signature_new(&sig, "t", "t@example.com", 1700000000, 0), 0);
    assert_int_equal(git_tag_create(&tag_id, git, "v2", o2, sig, "annotated", 0), 0);
    const git_oid *tree_id = git_commit_tree_id((git_commit *)o1);
    char tree_hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(tree_hex, sizeof(tree_hex), tree_id);
    git_signature_free(sig);
    git_object_free(o1);
    git_object_free(o2);
    git_repository_free(git);

    static const struct {
        const char *spec;
        int which; /* 1, 2 */
    } good[] = {{"v1", 1},   {"refs/tags/v1", 1},   {"v2", 2}, {"refs/tags/v2", 2}, {"HEAD", 2},
                {"main", 2}, {"refs/heads/main", 2}};
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        json_t *out = ok(f, "GetFile",
                         json_pack("{s:s, s:s, s:s}", "repositoryName", "specs", "filePath",
                                   "a.txt", "commitSpecifier", good[i].spec));
        assert_string_equal(json_string_value(json_object_get(out, "commitId")),
                            good[i].which == 1 ? c1 : c2);
        json_decref(out);
    }
    fails(f, "GetFile",
          json_pack("{s:s, s:s, s:s}", "repositoryName", "specs", "filePath", "a.txt",
                    "commitSpecifier", tree_hex),
          "InvalidCommitException");
    fails(f, "GetFile",
          json_pack("{s:s, s:s, s:s}", "repositoryName", "specs", "filePath", "a.txt",
                    "commitSpecifier", "0000000000000000000000000000000000000000"),
          "CommitDoesNotExistException");
    fails(f, "GetDifferences",
          json_pack("{s:s, s:s, s:s}", "repositoryName", "specs", "afterCommitSpecifier", "main",
                    "beforeCommitSpecifier", ""),
          "CommitRequiredException");
    /* A write to a tag's name. */
    fails(f, "PutFile",
          json_pack("{s:s, s:s, s:s, s:s, s:s}", "repositoryName", "specs", "branchName", "v1",
                    "filePath", "b.txt", "fileContent", "b", "parentCommitId", c2),
          "BranchNameIsTagNameException");
    /* A blob over 6 MB (as a push could bring) is not served. */
    char *big = xcalloc(1, CC_BLOB_MAX + 1);
    git_oid big_id;
    assert_int_equal(git_repository_open_bare(&git, repo_path), 0);
    assert_int_equal(git_blob_create_from_buffer(&big_id, git, big, CC_BLOB_MAX + 1), 0);
    git_repository_free(git);
    free(big);
    char big_hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(big_hex, sizeof(big_hex), &big_id);
    fails(f, "GetBlob", json_pack("{s:s, s:s}", "repositoryName", "specs", "blobId", big_hex),
          "FileTooLargeException");
    free(repo_path);
    fails(f, "BatchGetCommits", json_pack("{s:s, s:[]}", "repositoryName", "specs", "commitIds"),
          "CommitIdsListRequiredException");
    free(c1);
    free(c2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_path_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit_put_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit_folders_and_submodules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_get_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_commit_and_differences, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_specifiers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_blob_not_loaded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
