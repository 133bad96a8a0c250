/*
 * CodeCommit merges, called in process through the operation table:
 * fast-forward, squash and three-way merges of branches written straight
 * into the repository with libgit2, conflicts at file and line level,
 * resolution strategies and conflictResolution entries, unreferenced merge
 * commits, merge options, merge hunks, and bad input (merge.c,
 * merge_api.c, merge_conflicts.c).
 */
#include "base/common.h"
#include "aws/api.h"
#include "aws/pagination.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/codecommit/codecommit.h"
#include "services/codecommit/codecommit_internal.h"

#include <setjmp.h>

#include <cmocka.h>

#include "codecommit_fixture.h"

struct fixture {
    struct cc_fixture cc;
    git_repository *git;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    if (iam_fixture_open(&f->cc.iam, "ccmerge") < 0)
        return -1;
    *state = f;
    struct iam_fixture_result res;
    json_t *out = NULL;
    if (iam_fixture_invoke(&res, f->cc.iam, NULL, "codecommit", "CreateRepository",
                           json_pack("{s:s}", "repositoryName", "app"), NULL, &out) < 0) {
        fprintf(stderr, "CreateRepository: %s\n", res.message);
        return -1;
    }
    json_decref(out);
    struct codecommit_repo loc;
    cc_git_init();
    return cc_fixture_repo(&loc, &f->git, &f->cc, "app");
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    git_repository_free(f->git);
    iam_fixture_close(f->cc.iam);
    free(f);
    return 0;
}

/*
 * A commit of the files in `files` ("path", "content", ..., NULL) on top
 * of `parent` (NULL: a root commit), set as branch `branch`.
 */
static void commit_files(git_oid *out, struct fixture *f, const char *branch,
                         const git_oid *parent_id, const char *const *files)
{
    git_index *idx = NULL;
    assert_int_equal(git_index_new(&idx), 0);
    for (size_t i = 0; files[i]; i += 2) {
        git_index_entry e;
        memset(&e, 0, sizeof(e));
        e.path = files[i];
        e.mode = GIT_FILEMODE_BLOB;
        assert_int_equal(
            git_blob_create_from_buffer(&e.id, f->git, files[i + 1], strlen(files[i + 1])), 0);
        assert_int_equal(git_index_add(idx, &e), 0);
    }
    git_oid tree_id;
    assert_int_equal(git_index_write_tree_to(&tree_id, idx, f->git), 0);
    git_index_free(idx);
    git_tree *tree = NULL;
    assert_int_equal(git_tree_lookup(&tree, f->git, &tree_id), 0);
    git_signature *sig = NULL;
    assert_int_equal(git_signature_new(&sig, "Test", "test@example.com", 1700000000, 0), 0);
    git_commit *parent = NULL;
    if (parent_id)
        assert_int_equal(git_commit_lookup(&parent, f->git, parent_id), 0);
    const git_commit *parents[1] = {parent};
    char refname[256];
    snprintf(refname, sizeof(refname), "refs/heads/%s", branch);
    assert_int_equal(git_commit_create(out, f->git, NULL, sig, sig, NULL, "test\n", tree,
                                       parent ? 1 : 0, parents),
                     0);
    git_reference *ref = NULL;
    assert_int_equal(git_reference_create(&ref, f->git, refname, out, 1, NULL), 0);
    git_reference_free(ref);
    git_commit_free(parent);
    git_signature_free(sig);
    git_tree_free(tree);
}

static void branch_tip(git_oid *out, struct fixture *f, const char *branch)
{
    char refname[256];
    snprintf(refname, sizeof(refname), "refs/heads/%s", branch);
    assert_int_equal(git_reference_name_to_id(out, f->git, refname), 0);
}

static char *hex(const git_oid *id)
{
    char *s = xmalloc(GIT_OID_HEXSZ + 1);
    git_oid_tostr(s, GIT_OID_HEXSZ + 1, id);
    return s;
}

/* The content of `path` in commit `commit_hex`, malloc'd, or NULL. */
static char *file_at(struct fixture *f, const char *commit_hex, const char *path)
{
    git_oid id;
    assert_int_equal(git_oid_fromstr(&id, commit_hex), 0);
    git_commit *c = NULL;
    assert_int_equal(git_commit_lookup(&c, f->git, &id), 0);
    git_tree *t = NULL;
    assert_int_equal(git_commit_tree(&t, c), 0);
    git_tree_entry *e = NULL;
    char *text = NULL;
    if (git_tree_entry_bypath(&e, t, path) == 0) {
        git_blob *b = NULL;
        assert_int_equal(git_blob_lookup(&b, f->git, git_tree_entry_id(e)), 0);
        text = xstrndup(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
        git_blob_free(b);
        git_tree_entry_free(e);
    }
    git_tree_free(t);
    git_commit_free(c);
    return text;
}

/* Expects file `path` of commit `commit_hex` to hold `text`. */
static void expect_file(struct fixture *f, const char *commit_hex, const char *path,
                        const char *text)
{
    char *got = file_at(f, commit_hex, path);
    assert_string_equal(got, text);
    free(got);
}

/* Expects branch `branch` at commit `commit_hex`. */
static void expect_tip(struct fixture *f, const char *branch, const char *commit_hex)
{
    git_oid tip;
    branch_tip(&tip, f, branch);
    char *tip_hex = hex(&tip);
    assert_string_equal(tip_hex, commit_hex);
    free(tip_hex);
}

static unsigned parent_count(struct fixture *f, const char *commit_hex)
{
    git_oid id;
    assert_int_equal(git_oid_fromstr(&id, commit_hex), 0);
    git_commit *c = NULL;
    assert_int_equal(git_commit_lookup(&c, f->git, &id), 0);
    unsigned n = git_commit_parentcount(c);
    git_commit_free(c);
    return n;
}

static json_t *merge_in(const char *source, const char *destination)
{
    return json_pack("{s:s, s:s, s:s}", "repositoryName", "app", "sourceCommitSpecifier", source,
                     "destinationCommitSpecifier", destination);
}

static json_t *with(json_t *in, const char *name, json_t *value)
{
    json_object_set_new(in, name, value);
    return in;
}

/* The merge operations' commit inputs. */
static json_t *merge_by(const char *source, const char *destination)
{
    return with(merge_in(source, destination), "email", json_string("maria@example.com"));
}

#define TEXT5 "one\ntwo\nthree\nfour\nfive\n"

/* main: base; feature: base + a new file. */
static void history_linear(struct fixture *f, git_oid *base, git_oid *child)
{
    commit_files(base, f, "main", NULL, (const char *const[]){"a.txt", TEXT5, NULL});
    commit_files(child, f, "feature", base,
                 (const char *const[]){"a.txt", TEXT5, "b.txt", "bee\n", NULL});
}

/* main and feature both change a.txt: lines `main_line` and `feature_line`
 * (1-based) get new text. */
static void history_diverged(struct fixture *f, git_oid *base, int main_line, int feature_line)
{
    const char *lines[] = {"one\n", "two\n", "three\n", "four\n", "five\n"};
    commit_files(base, f, "main", NULL, (const char *const[]){"a.txt", TEXT5, NULL});
    struct buf m = BUF_INIT, s = BUF_INIT;
    for (int i = 0; i < 5; i++) {
        buf_adds(&m, i + 1 == main_line ? "MAIN\n" : lines[i]);
        buf_adds(&s, i + 1 == feature_line ? "FEATURE\n" : lines[i]);
    }
    git_oid tip;
    commit_files(&tip, f, "main", base, (const char *const[]){"a.txt", m.data, NULL});
    commit_files(&tip, f, "feature", base,
                 (const char *const[]){"a.txt", s.data, "f.txt", "feature only\n", NULL});
    buf_release(&m);
    buf_release(&s);
}

static void test_fast_forward(void **state)
{
    struct fixture *f = *state;
    git_oid base, child, tip;
    history_linear(f, &base, &child);
    json_t *out = cc_ok(&f->cc, "MergeBranchesByFastForward", merge_in("feature", "main"));
    char *child_hex = hex(&child);
    assert_string_equal(json_string_value(json_object_get(out, "commitId")), child_hex);
    json_decref(out);
    branch_tip(&tip, f, "main");
    assert_true(git_oid_equal(&tip, &child));

    /* Diverged: no fast-forward, and main stays. */
    git_oid other;
    commit_files(&other, f, "main", &child, (const char *const[]){"a.txt", "changed\n", NULL});
    commit_files(&tip, f, "feature", &child, (const char *const[]){"c.txt", "sea\n", NULL});
    cc_expect_error(&f->cc, "MergeBranchesByFastForward", merge_in("feature", "main"),
                    "ManualMergeRequiredException");
    branch_tip(&tip, f, "main");
    assert_true(git_oid_equal(&tip, &other));
    free(child_hex);
}

static void test_squash_and_three_way(void **state)
{
    struct fixture *f = *state;
    git_oid base, main_before;
    history_diverged(f, &base, 1, 5);
    branch_tip(&main_before, f, "main");
    char *main_hex = hex(&main_before);

    /* Default FILE_LEVEL: a.txt changed on both sides is a conflict. */
    cc_expect_error(&f->cc, "MergeBranchesBySquash", merge_by("feature", "main"),
                    "ManualMergeRequiredException");
    git_oid tip;
    branch_tip(&tip, f, "main");
    assert_true(git_oid_equal(&tip, &main_before));

    /* LINE_LEVEL: different lines merge. */
    json_t *out = cc_ok(
        &f->cc, "MergeBranchesBySquash",
        with(with(merge_by("feature", "main"), "conflictDetailLevel", json_string("LINE_LEVEL")),
             "commitMessage", json_string("squashed")));
    const char *squash = json_string_value(json_object_get(out, "commitId"));
    assert_int_equal(parent_count(f, squash), 1);
    expect_file(f, squash, "a.txt", "MAIN\ntwo\nthree\nfour\nFEATURE\n");
    expect_file(f, squash, "f.txt", "feature only\n");
    expect_tip(f, "main", squash);
    json_decref(out);

    /* Three-way on a fresh destination branch at the old main. */
    git_reference *ref = NULL;
    assert_int_equal(
        git_reference_create(&ref, f->git, "refs/heads/release", &main_before, 0, NULL), 0);
    git_reference_free(ref);
    out = cc_ok(
        &f->cc, "MergeBranchesByThreeWay",
        with(merge_by("feature", "release"), "conflictDetailLevel", json_string("LINE_LEVEL")));
    const char *merge = json_string_value(json_object_get(out, "commitId"));
    assert_int_equal(parent_count(f, merge), 2);
    expect_tip(f, "release", merge);

    /* GetMergeCommit finds the merge commit on release's history. */
    json_t *mc = cc_ok(&f->cc, "GetMergeCommit", merge_in("feature", "release"));
    assert_string_equal(json_string_value(json_object_get(mc, "mergedCommitId")), merge);
    json_decref(mc);
    /* Not merged into main by a merge commit (squash): none. */
    mc = cc_ok(&f->cc, "GetMergeCommit", merge_in("feature", main_hex));
    assert_null(json_object_get(mc, "mergedCommitId"));
    assert_string_equal(json_string_value(json_object_get(mc, "destinationCommitId")), main_hex);
    json_decref(mc);
    json_decref(out);
    free(main_hex);
}

static void test_conflicts_and_options(void **state)
{
    struct fixture *f = *state;
    git_oid base;
    history_diverged(f, &base, 3, 3);

    json_t *in = with(merge_in("feature", "main"), "mergeOption", json_string("THREE_WAY_MERGE"));
    json_t *out = cc_ok(&f->cc, "GetMergeConflicts",
                        with(json_deep_copy(in), "conflictDetailLevel", json_string("LINE_LEVEL")));
    assert_false(json_is_true(json_object_get(out, "mergeable")));
    json_t *list = json_object_get(out, "conflictMetadataList");
    assert_int_equal(json_array_size(list), 1);
    json_t *meta = json_array_get(list, 0);
    assert_string_equal(json_string_value(json_object_get(meta, "filePath")), "a.txt");
    assert_true(json_is_true(json_object_get(meta, "contentConflict")));
    assert_false(json_is_true(json_object_get(meta, "fileModeConflict")));
    assert_int_equal(json_integer_value(json_object_get(meta, "numberOfConflicts")), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(meta, "mergeOperations"), "source")),
        "M");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(meta, "fileSizes"), "base")),
        (json_int_t)strlen(TEXT5));
    assert_non_null(json_object_get(out, "baseCommitId"));
    json_decref(out);

    /* The hunk: line 3 (0-based 2..3) on both sides. */
    out = cc_ok(&f->cc, "DescribeMergeConflicts",
                with(with(json_deep_copy(in), "filePath", json_string("a.txt")),
                     "conflictDetailLevel", json_string("LINE_LEVEL")));
    json_t *hunks = json_object_get(out, "mergeHunks");
    assert_int_equal(json_array_size(hunks), 1);
    json_t *h = json_array_get(hunks, 0);
    assert_true(json_is_true(json_object_get(h, "isConflict")));
    json_t *src = json_object_get(h, "source");
    assert_int_equal(json_integer_value(json_object_get(src, "startLine")), 2);
    assert_int_equal(json_integer_value(json_object_get(src, "endLine")), 3);
    assert_string_equal(json_string_value(json_object_get(src, "hunkContent")),
                        "RkVBVFVSRQo="); /* "FEATURE\n" */
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(h, "destination"), "hunkContent")),
        "TUFJTgo="); /* "MAIN\n" */
    json_decref(out);

    /* Batch: every conflicting file, plus an error for a missing one. */
    out = cc_ok(&f->cc, "BatchDescribeMergeConflicts", json_deep_copy(in));
    assert_int_equal(json_array_size(json_object_get(out, "conflicts")), 1);
    json_decref(out);
    out = cc_ok(&f->cc, "BatchDescribeMergeConflicts",
                with(json_deep_copy(in), "filePaths", json_pack("[s, s]", "a.txt", "nope.txt")));
    assert_int_equal(json_array_size(json_object_get(out, "conflicts")), 1);
    json_t *errors = json_object_get(out, "errors");
    assert_int_equal(json_array_size(errors), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(errors, 0), "exceptionName")),
        "FileDoesNotExistException");
    json_decref(out);

    /* Options: none merge as they are; ACCEPT_SOURCE makes them work. */
    out = cc_ok(&f->cc, "GetMergeOptions", merge_in("feature", "main"));
    assert_int_equal(json_array_size(json_object_get(out, "mergeOptions")), 0);
    json_decref(out);
    out = cc_ok(&f->cc, "GetMergeOptions",
                with(merge_in("feature", "main"), "conflictResolutionStrategy",
                     json_string("ACCEPT_SOURCE")));
    assert_int_equal(json_array_size(json_object_get(out, "mergeOptions")), 2);
    json_decref(out);
    out = cc_ok(&f->cc, "GetMergeOptions", merge_in("main", "main"));
    assert_int_equal(json_array_size(json_object_get(out, "mergeOptions")), 3);
    json_decref(out);

    /* Accepting the source. */
    out = cc_ok(&f->cc, "CreateUnreferencedMergeCommit",
                with(with(with(json_deep_copy(in), "email", json_string("maria@example.com")),
                          "conflictResolutionStrategy", json_string("ACCEPT_SOURCE")),
                     "authorName", json_string("Maria")));
    const char *id = json_string_value(json_object_get(out, "commitId"));
    expect_file(f, id, "a.txt", "one\ntwo\nFEATURE\nfour\nfive\n");
    assert_int_equal(parent_count(f, id), 2);
    json_decref(out);

    /* Explicit resolution: new content for a.txt. */
    json_t *resolution = json_pack("{s:[{s:s, s:s, s:s}]}", "replaceContents", "filePath", "a.txt",
                                   "replacementType", "USE_NEW_CONTENT", "content", "resolved\n");
    git_oid before;
    branch_tip(&before, f, "main");
    out = cc_ok(&f->cc, "MergeBranchesBySquash",
                with(with(merge_by("feature", "main"), "conflictResolutionStrategy",
                          json_string("AUTOMERGE")),
                     "conflictResolution", resolution));
    id = json_string_value(json_object_get(out, "commitId"));
    expect_file(f, id, "a.txt", "resolved\n");
    expect_tip(f, "main", id);
    json_decref(out);
    json_decref(in);
}

static void test_keep_destination_and_unreferenced(void **state)
{
    struct fixture *f = *state;
    git_oid base, before, after;
    history_diverged(f, &base, 2, 2);
    branch_tip(&before, f, "main");
    json_t *resolution = json_pack("{s:[{s:s, s:s}]}", "replaceContents", "filePath", "a.txt",
                                   "replacementType", "KEEP_DESTINATION");
    json_t *out = cc_ok(
        &f->cc, "CreateUnreferencedMergeCommit",
        with(with(with(merge_by("feature", "main"), "mergeOption", json_string("SQUASH_MERGE")),
                  "conflictResolutionStrategy", json_string("AUTOMERGE")),
             "conflictResolution", resolution));
    const char *id = json_string_value(json_object_get(out, "commitId"));
    expect_file(f, id, "a.txt", "one\nMAIN\nthree\nfour\nfive\n");
    assert_int_equal(parent_count(f, id), 1);
    json_decref(out);
    /* Unreferenced: no ref moved. */
    branch_tip(&after, f, "main");
    assert_true(git_oid_equal(&before, &after));
}

static void test_bad_input(void **state)
{
    struct fixture *f = *state;
    git_oid base, child;
    history_linear(f, &base, &child);
    cc_expect_error(&f->cc, "MergeBranchesBySquash",
                    with(merge_by("feature", "main"), "conflictDetailLevel", json_string("WORD")),
                    "InvalidConflictDetailLevelException");
    cc_expect_error(
        &f->cc, "MergeBranchesByThreeWay",
        with(merge_by("feature", "main"), "conflictResolutionStrategy", json_string("MAYBE")),
        "InvalidConflictResolutionStrategyException");
    cc_expect_error(&f->cc, "GetMergeConflicts", merge_in("feature", "main"),
                    "MergeOptionRequiredException");
    cc_expect_error(&f->cc, "GetMergeConflicts",
                    with(merge_in("feature", "main"), "mergeOption", json_string("OCTOPUS")),
                    "InvalidMergeOptionException");
    cc_expect_error(
        &f->cc, "CreateUnreferencedMergeCommit",
        with(merge_by("feature", "main"), "mergeOption", json_string("FAST_FORWARD_MERGE")),
        "InvalidMergeOptionException");
    cc_expect_error(
        &f->cc, "GetMergeConflicts",
        with(with(merge_in("feature", "main"), "mergeOption", json_string("SQUASH_MERGE")),
             "maxConflictFiles", json_integer(0)),
        "InvalidMaxConflictFilesException");
    cc_expect_error(
        &f->cc, "GetMergeConflicts",
        with(with(merge_in("feature", "main"), "mergeOption", json_string("SQUASH_MERGE")),
             "nextToken", json_string("garbage")),
        "InvalidContinuationTokenException");
    /* Offsets a token could carry that would wrap the page arithmetic. */
    static const char *const far[] = {"18446744073709551600", "-1", "4294967296"};
    for (size_t i = 0; i < ARRAY_SIZE(far); i++) {
        struct buf token = BUF_INIT;
        pagination_token_encode(&token, far[i]);
        cc_expect_error(
            &f->cc, "GetMergeConflicts",
            with(with(merge_in("feature", "main"), "mergeOption", json_string("SQUASH_MERGE")),
                 "nextToken", json_string(token.data)),
            "InvalidContinuationTokenException");
        cc_expect_error(
            &f->cc, "BatchDescribeMergeConflicts",
            with(with(merge_in("feature", "main"), "mergeOption", json_string("SQUASH_MERGE")),
                 "nextToken", json_string(token.data)),
            "InvalidContinuationTokenException");
        buf_release(&token);
    }
    cc_expect_error(
        &f->cc, "DescribeMergeConflicts",
        with(with(merge_in("feature", "main"), "mergeOption", json_string("SQUASH_MERGE")),
             "filePath", json_string("missing.txt")),
        "FileDoesNotExistException");
    cc_expect_error(&f->cc, "DescribeMergeConflicts",
                    with(merge_in("feature", "main"), "mergeOption", json_string("SQUASH_MERGE")),
                    "PathRequiredException");
    cc_expect_error(&f->cc, "MergeBranchesByFastForward", merge_in("nosuch", "main"),
                    "CommitDoesNotExistException");
    cc_expect_error(&f->cc, "MergeBranchesByFastForward", merge_in("", "main"),
                    "CommitRequiredException");
    cc_expect_error(&f->cc, "MergeBranchesByFastForward",
                    with(merge_in("feature", "main"), "targetBranch", json_string("gone")),
                    "BranchDoesNotExistException");
    cc_expect_error(&f->cc, "MergeBranchesByFastForward",
                    with(merge_in("feature", "main"), "targetBranch", json_string("feature")),
                    "InvalidTargetBranchException");
    cc_expect_error(&f->cc, "MergeBranchesByFastForward",
                    json_pack("{s:s, s:s, s:s}", "repositoryName", "nope", "sourceCommitSpecifier",
                              "a", "destinationCommitSpecifier", "b"),
                    "RepositoryDoesNotExistException");
    json_t *dup = json_pack("{s:[{s:s, s:s, s:s}, {s:s, s:s}]}", "replaceContents", "filePath",
                            "a.txt", "replacementType", "USE_NEW_CONTENT", "content", "x",
                            "filePath", "a.txt", "replacementType", "KEEP_BASE");
    cc_expect_error(&f->cc, "MergeBranchesBySquash",
                    with(merge_by("feature", "main"), "conflictResolution", dup),
                    "MultipleConflictResolutionEntriesException");
    json_t *nocontent = json_pack("{s:[{s:s, s:s}]}", "replaceContents", "filePath", "a.txt",
                                  "replacementType", "USE_NEW_CONTENT");
    cc_expect_error(&f->cc, "MergeBranchesBySquash",
                    with(merge_by("feature", "main"), "conflictResolution", nocontent),
                    "ReplacementContentRequiredException");
    json_t *badtype = json_pack("{s:[{s:s, s:s}]}", "replaceContents", "filePath", "a.txt",
                                "replacementType", "KEEP_ALL");
    cc_expect_error(&f->cc, "MergeBranchesBySquash",
                    with(merge_by("feature", "main"), "conflictResolution", badtype),
                    "InvalidReplacementTypeException");
    json_t *badpath = json_pack("{s:[{s:s}]}", "deleteFiles", "filePath", "../x");
    cc_expect_error(&f->cc, "MergeBranchesBySquash",
                    with(merge_by("feature", "main"), "conflictResolution", badpath),
                    "InvalidPathException");
    cc_expect_error(&f->cc, "MergeBranchesBySquash",
                    with(merge_by("feature", "main"), "email", json_string("not an <email>")),
                    "InvalidEmailException");
    /* Nothing moved through all that. */
    git_oid tip;
    branch_tip(&tip, f, "main");
    assert_true(git_oid_equal(&tip, &base));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fast_forward, setup, teardown),
        cmocka_unit_test_setup_teardown(test_squash_and_three_way, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflicts_and_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_destination_and_unreferenced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
