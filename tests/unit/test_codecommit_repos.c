/*
 * CodeCommit repositories, branches and ref events, called in process
 * through the operation table as the server calls them: the records and
 * the bare repositories on disk, names and limits, listing, renames,
 * deletion, tags, branches, and the events every ref change leaves in the
 * outbox, including those found by start-up reconciliation.
 */
#include "base/common.h"
#include "aws/api.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/codecommit/codecommit.h"
#include "services/codecommit/codecommit_internal.h"
#include "services/common/record.h"
#include "store/store.h"
#include "iam_fixture.h"

#include <setjmp.h>
#include <dirent.h>
#include <sys/stat.h>

#include <cmocka.h>

struct fixture {
    struct iam_fixture *iam;
    char code[128];
    char message[1024];
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    if (iam_fixture_open(&f->iam, "codecommit") < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    iam_fixture_close(f->iam);
    free(f);
    return 0;
}

/* Runs a codecommit operation as the admin with JSON text params. */
static int call(struct fixture *f, const char *op, const char *params, json_t **out)
{
    struct iam_fixture_result res;
    json_t *in = json_loads(params, 0, NULL);
    if (!in)
        fail_msg("bad params %s", params);
    int rc = iam_fixture_invoke(&res, f->iam, NULL, "codecommit", op, in, NULL, out);
    if (!res.found)
        fail_msg("no such operation %s", op);
    snprintf(f->code, sizeof(f->code), "%s", res.code);
    snprintf(f->message, sizeof(f->message), "%s", res.message);
    return rc;
}

static void expect_error(struct fixture *f, const char *op, const char *params, const char *code)
{
    json_t *out = NULL;
    int rc = call(f, op, params, &out);
    if (rc == 0)
        fail_msg("%s %s succeeded, expected %s", op, params, code);
    json_decref(out);
    assert_string_equal(f->code, code);
}

static json_t *ok(struct fixture *f, const char *op, const char *params)
{
    json_t *out = NULL;
    if (call(f, op, params, &out) < 0)
        fail_msg("%s %s: %s %s", op, params, f->code, f->message);
    return out;
}

static void create(struct fixture *f, const char *name)
{
    char params[256];
    snprintf(params, sizeof(params), "{\"repositoryName\": \"%s\"}", name);
    json_decref(ok(f, "CreateRepository", params));
}

static void repo_dir(char *out, size_t size, struct fixture *f, const char *id)
{
    snprintf(out, size, "%s/codecommit/%s.git", f->iam->dir, id);
}

static bool dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A commit with one file written straight into the repository, as a push
 * would leave it; returns its id. */
static void commit_on_disk(git_oid *out, struct fixture *f, const char *name, const char *refname,
                           const git_oid *parent_id, const char *content)
{
    struct codecommit_repo loc;
    assert_int_equal(
        codecommit_repo_find(&loc, f->iam->st, f->iam->dir, IAM_FIXTURE_ACCOUNT, "us-east-1", name),
        0);
    cc_git_init();
    git_repository *git = NULL;
    assert_int_equal(git_repository_open_bare(&git, loc.path), 0);
    git_oid blob, tree;
    assert_int_equal(git_blob_create_from_buffer(&blob, git, content, strlen(content)), 0);
    git_treebuilder *tb = NULL;
    assert_int_equal(git_treebuilder_new(&tb, git, NULL), 0);
    assert_int_equal(git_treebuilder_insert(NULL, tb, "README", &blob, GIT_FILEMODE_BLOB), 0);
    assert_int_equal(git_treebuilder_write(&tree, tb), 0);
    git_treebuilder_free(tb);
    git_tree *t = NULL;
    assert_int_equal(git_tree_lookup(&t, git, &tree), 0);
    git_signature *sig = NULL;
    assert_int_equal(git_signature_new(&sig, "Test", "test@example.com", 1700000000, 0), 0);
    git_commit *parent = NULL;
    if (parent_id)
        assert_int_equal(git_commit_lookup(&parent, git, parent_id), 0);
    const git_commit *parents[1] = {parent};
    assert_int_equal(git_commit_create(out, git, refname, sig, sig, NULL, "test commit\n", t,
                                       parent ? 1 : 0, parents),
                     0);
    git_commit_free(parent);
    git_signature_free(sig);
    git_tree_free(t);
    git_repository_free(git);
}

/* The outbox's events, oldest first, as objects; marks them delivered so
 * the next call sees only newer ones. */
static json_t *drain_events(struct fixture *f)
{
    struct store_event_batch batch = {0};
    assert_int_equal(store_outbox_fetch(&batch, f->iam->st, NULL, 0, 0), 0);
    json_t *events = json_array();
    for (size_t i = 0; i < batch.len; i++) {
        json_array_append_new(events, json_loads(batch.items[i].body, 0, NULL));
        assert_int_equal(store_outbox_mark_delivered(f->iam->st, NULL, batch.items[i].seq), 0);
    }
    store_event_batch_release(&batch);
    return events;
}

static const char *detail_str(json_t *event, const char *name)
{
    return json_string_value(json_object_get(json_object_get(event, "detail"), name));
}

static void test_create_get_delete(void **state)
{
    struct fixture *f = *state;
    json_t *out = ok(f, "CreateRepository",
                     "{\"repositoryName\": \"app\", \"repositoryDescription\": \"the app\", "
                     "\"tags\": {\"team\": \"web\"}}");
    json_t *meta = json_object_get(out, "repositoryMetadata");
    const char *id = json_string_value(json_object_get(meta, "repositoryId"));
    assert_non_null(id);
    assert_string_equal(json_string_value(json_object_get(meta, "Arn")),
                        "arn:aws:codecommit:us-east-1:000000000000:app");
    assert_string_equal(json_string_value(json_object_get(meta, "repositoryDescription")),
                        "the app");
    /* A call without an HTTP request names localhost; the default region
     * needs no prefix. */
    assert_string_equal(json_string_value(json_object_get(meta, "cloneUrlHttp")),
                        "http://localhost/v1/repos/app");
    assert_null(json_object_get(meta, "defaultBranch"));
    char dir[4200];
    repo_dir(dir, sizeof(dir), f, id);
    assert_true(dir_exists(dir));
    git_repository *git = NULL;
    assert_int_equal(git_repository_open_bare(&git, dir), 0);
    assert_true(git_repository_is_bare(git));
    /* Empty, with HEAD naming main (git_repository_is_empty() wants the
     * configured default name, so look at the refs instead). */
    git_reference *head = NULL;
    assert_int_equal(git_reference_lookup(&head, git, "HEAD"), 0);
    assert_string_equal(git_reference_symbolic_target(head), "refs/heads/main");
    git_reference_free(head);
    git_reference *main_ref = NULL;
    assert_int_equal(git_reference_lookup(&main_ref, git, "refs/heads/main"), GIT_ENOTFOUND);
    git_repository_free(git);

    json_t *got = ok(f, "GetRepository", "{\"repositoryName\": \"app\"}");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(got, "repositoryMetadata"), "repositoryId")),
                        id);
    json_decref(got);

    expect_error(f, "CreateRepository", "{\"repositoryName\": \"app\"}",
                 "RepositoryNameExistsException");

    json_t *del = ok(f, "DeleteRepository", "{\"repositoryName\": \"app\"}");
    assert_string_equal(json_string_value(json_object_get(del, "repositoryId")), id);
    json_decref(del);
    assert_false(dir_exists(dir));
    expect_error(f, "GetRepository", "{\"repositoryName\": \"app\"}",
                 "RepositoryDoesNotExistException");
    /* Deleting what is gone answers without an id. */
    del = ok(f, "DeleteRepository", "{\"repositoryName\": \"app\"}");
    assert_null(json_object_get(del, "repositoryId"));
    json_decref(del);
    json_decref(out);
}

static void test_bad_input(void **state)
{
    struct fixture *f = *state;
    expect_error(f, "CreateRepository", "{}", "RepositoryNameRequiredException");
    expect_error(f, "CreateRepository", "{\"repositoryName\": \"a b\"}",
                 "InvalidRepositoryNameException");
    expect_error(f, "CreateRepository", "{\"repositoryName\": \"x.git\"}",
                 "InvalidRepositoryNameException");
    char name[128];
    memset(name, 'a', 101);
    name[101] = '\0';
    char params[256];
    snprintf(params, sizeof(params), "{\"repositoryName\": \"%s\"}", name);
    expect_error(f, "CreateRepository", params, "InvalidRepositoryNameException");

    struct buf big = BUF_INIT;
    buf_adds(&big, "{\"repositoryName\": \"d\", \"repositoryDescription\": \"");
    for (int i = 0; i < 1001; i++)
        buf_addch(&big, 'x');
    buf_adds(&big, "\"}");
    expect_error(f, "CreateRepository", big.data, "InvalidRepositoryDescriptionException");
    buf_release(&big);
    expect_error(f, "CreateRepository", "{\"repositoryName\": \"t\", \"tags\": {\"aws:x\": \"1\"}}",
                 "InvalidSystemTagUsageException");
    expect_error(f, "CreateRepository",
                 "{\"repositoryName\": \"k\", \"kmsKeyId\": \"arn:aws:kms:us-east-1:1:key/x\"}",
                 "EncryptionKeyInvalidIdException");
    expect_error(f, "ListRepositories", "{\"sortBy\": \"size\"}", "InvalidSortByException");
    expect_error(f, "ListRepositories", "{\"order\": \"up\"}", "InvalidOrderException");
    expect_error(f, "ListRepositories", "{\"nextToken\": \"garbage\"}",
                 "InvalidContinuationTokenException");
    /* Nothing was created by any of these. */
    json_t *list = ok(f, "ListRepositories", "{}");
    assert_int_equal(json_array_size(json_object_get(list, "repositories")), 0);
    json_decref(list);
    char codecommit_dir[4200];
    snprintf(codecommit_dir, sizeof(codecommit_dir), "%s/codecommit", f->iam->dir);
    size_t entries = 0;
    DIR *d = opendir(codecommit_dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            entries += e->d_name[0] != '.';
        closedir(d);
    }
    assert_int_equal(entries, 0);
}

static void test_list_rename(void **state)
{
    struct fixture *f = *state;
    create(f, "b");
    create(f, "a");
    create(f, "c");
    json_t *list = ok(f, "ListRepositories", "{\"order\": \"descending\"}");
    json_t *repos = json_object_get(list, "repositories");
    assert_int_equal(json_array_size(repos), 3);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(repos, 0), "repositoryName")), "c");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(repos, 2), "repositoryName")), "a");
    json_decref(list);

    json_t *before = ok(f, "GetRepository", "{\"repositoryName\": \"a\"}");
    json_decref(ok(f, "UpdateRepositoryName", "{\"oldName\": \"a\", \"newName\": \"z\"}"));
    expect_error(f, "GetRepository", "{\"repositoryName\": \"a\"}",
                 "RepositoryDoesNotExistException");
    json_t *after = ok(f, "GetRepository", "{\"repositoryName\": \"z\"}");
    assert_true(
        json_equal(json_object_get(json_object_get(before, "repositoryMetadata"), "repositoryId"),
                   json_object_get(json_object_get(after, "repositoryMetadata"), "repositoryId")));
    json_decref(before);
    json_decref(after);
    /* Renaming onto a taken name changes nothing. */
    expect_error(f, "UpdateRepositoryName", "{\"oldName\": \"z\", \"newName\": \"b\"}",
                 "RepositoryNameExistsException");
    json_decref(ok(f, "GetRepository", "{\"repositoryName\": \"z\"}"));
    json_decref(ok(f, "GetRepository", "{\"repositoryName\": \"b\"}"));

    json_decref(ok(f, "UpdateRepositoryDescription",
                   "{\"repositoryName\": \"z\", \"repositoryDescription\": \"new\"}"));
    json_t *got = ok(f, "GetRepository", "{\"repositoryName\": \"z\"}");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(got, "repositoryMetadata"), "repositoryDescription")),
                        "new");
    json_decref(got);

    json_t *batch = ok(f, "BatchGetRepositories", "{\"repositoryNames\": [\"z\", \"nope\"]}");
    assert_int_equal(json_array_size(json_object_get(batch, "repositories")), 1);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(batch, "repositoriesNotFound"), 0)),
        "nope");
    json_decref(batch);
}

static void test_tags(void **state)
{
    struct fixture *f = *state;
    create(f, "tagged");
    const char *arn = "arn:aws:codecommit:us-east-1:000000000000:tagged";
    char params[512];
    snprintf(params, sizeof(params),
             "{\"resourceArn\": \"%s\", \"tags\": {\"a\": \"1\", \"b\": \"2\"}}", arn);
    json_decref(ok(f, "TagResource", params));
    snprintf(params, sizeof(params), "{\"resourceArn\": \"%s\", \"tagKeys\": [\"a\"]}", arn);
    json_decref(ok(f, "UntagResource", params));
    snprintf(params, sizeof(params), "{\"resourceArn\": \"%s\"}", arn);
    json_t *tags = ok(f, "ListTagsForResource", params);
    json_t *expected = json_pack("{s:{s:s}}", "tags", "b", "2");
    assert_true(json_equal(tags, expected));
    json_decref(expected);
    json_decref(tags);
    expect_error(f, "ListTagsForResource", "{\"resourceArn\": \"arn:aws:s3:::bucket\"}",
                 "InvalidResourceArnException");
    expect_error(f, "ListTagsForResource",
                 "{\"resourceArn\": \"arn:aws:codecommit:us-east-1:000000000000:gone\"}",
                 "RepositoryDoesNotExistException");
    expect_error(f, "ListTagsForResource", "{}", "ResourceArnRequiredException");
}

static void test_branches_and_events(void **state)
{
    struct fixture *f = *state;
    create(f, "app");
    json_t *events = drain_events(f);
    assert_int_equal(json_array_size(events), 0);
    json_decref(events);

    /* A push of main, as git http-backend leaves it, then its record. */
    git_oid first;
    commit_on_disk(&first, f, "app", "refs/heads/main", NULL, "one\n");
    struct codecommit_repo loc;
    assert_int_equal(codecommit_repo_find(&loc, f->iam->st, f->iam->dir, IAM_FIXTURE_ACCOUNT,
                                          "us-east-1", "app"),
                     0);
    assert_int_equal(codecommit_refs_record(f->iam->st, &loc, "arn:aws:iam::000000000000:user/u"),
                     0);
    char first_hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(first_hex, sizeof(first_hex), &first);
    events = drain_events(f);
    assert_int_equal(json_array_size(events), 1);
    json_t *e = json_array_get(events, 0);
    assert_string_equal(json_string_value(json_object_get(e, "detail-type")),
                        "CodeCommit Repository State Change");
    assert_string_equal(json_string_value(json_object_get(e, "source")), "aws.codecommit");
    assert_string_equal(detail_str(e, "event"), "referenceCreated");
    assert_string_equal(detail_str(e, "referenceName"), "main");
    assert_string_equal(detail_str(e, "referenceType"), "branch");
    assert_string_equal(detail_str(e, "commitId"), first_hex);
    assert_string_equal(detail_str(e, "callerUserArn"), "arn:aws:iam::000000000000:user/u");
    assert_null(detail_str(e, "oldCommitId"));
    json_decref(events);
    /* Recording again finds nothing new. */
    assert_int_equal(codecommit_refs_record(f->iam->st, &loc, NULL), 0);
    events = drain_events(f);
    assert_int_equal(json_array_size(events), 0);
    json_decref(events);

    /* The first branch became the default. */
    json_t *got = ok(f, "GetRepository", "{\"repositoryName\": \"app\"}");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(got, "repositoryMetadata"), "defaultBranch")),
                        "main");
    json_decref(got);

    char params[256];
    snprintf(params, sizeof(params),
             "{\"repositoryName\": \"app\", \"branchName\": \"dev\", \"commitId\": \"%s\"}",
             first_hex);
    json_decref(ok(f, "CreateBranch", params));
    expect_error(f, "CreateBranch", params, "BranchNameExistsException");
    events = drain_events(f);
    assert_int_equal(json_array_size(events), 1);
    assert_string_equal(detail_str(json_array_get(events, 0), "event"), "referenceCreated");
    assert_string_equal(detail_str(json_array_get(events, 0), "referenceName"), "dev");
    assert_string_equal(detail_str(json_array_get(events, 0), "callerUserArn"), f->iam->admin.arn);
    json_decref(events);
    expect_error(f, "CreateBranch",
                 "{\"repositoryName\": \"app\", \"branchName\": \"x\", \"commitId\": "
                 "\"0123456789012345678901234567890123456789\"}",
                 "CommitDoesNotExistException");
    expect_error(f, "CreateBranch",
                 "{\"repositoryName\": \"app\", \"branchName\": \"x\", \"commitId\": \"zz\"}",
                 "InvalidCommitIdException");
    expect_error(f, "CreateBranch", "{\"repositoryName\": \"app\", \"branchName\": \"x\"}",
                 "CommitIdRequiredException");

    json_t *branch = ok(f, "GetBranch", "{\"repositoryName\": \"app\", \"branchName\": \"dev\"}");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(branch, "branch"), "commitId")),
        first_hex);
    json_decref(branch);
    expect_error(f, "GetBranch", "{\"repositoryName\": \"app\", \"branchName\": \"nope\"}",
                 "BranchDoesNotExistException");
    json_t *list = ok(f, "ListBranches", "{\"repositoryName\": \"app\"}");
    json_t *expected = json_pack("{s:[s, s]}", "branches", "dev", "main");
    assert_true(json_equal(list, expected));
    json_decref(expected);
    json_decref(list);

    expect_error(f, "DeleteBranch", "{\"repositoryName\": \"app\", \"branchName\": \"main\"}",
                 "DefaultBranchCannotBeDeletedException");
    json_t *deleted =
        ok(f, "DeleteBranch", "{\"repositoryName\": \"app\", \"branchName\": \"dev\"}");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(deleted, "deletedBranch"), "commitId")),
        first_hex);
    json_decref(deleted);
    events = drain_events(f);
    assert_int_equal(json_array_size(events), 1);
    assert_string_equal(detail_str(json_array_get(events, 0), "event"), "referenceDeleted");
    assert_string_equal(detail_str(json_array_get(events, 0), "oldCommitId"), first_hex);
    json_decref(events);

    json_decref(ok(f, "UpdateDefaultBranch",
                   "{\"repositoryName\": \"app\", \"defaultBranchName\": \"main\"}"));
    expect_error(f, "UpdateDefaultBranch",
                 "{\"repositoryName\": \"app\", \"defaultBranchName\": \"gone\"}",
                 "BranchDoesNotExistException");
}

/* Limits counted as AWS counts them, the documented batch size, system tags
 * and CodeCommit's own branch name rules. */
static void test_limits_and_names(void **state)
{
    struct fixture *f = *state;
    /* Lengths are in characters: 1000 two-byte characters are a valid
     * description, 1001 are not. */
    struct buf text = BUF_INIT;
    for (int i = 0; i < 1000; i++)
        buf_adds(&text, "\xc3\xa9");
    json_t *in = json_pack("{s:s, s:s}", "repositoryName", "u", "repositoryDescription", text.data);
    json_t *out = NULL;
    assert_int_equal(iam_fixture_invoke(&(struct iam_fixture_result){0}, f->iam, NULL, "codecommit",
                                        "CreateRepository", in, NULL, &out),
                     0);
    json_decref(out);
    buf_adds(&text, "\xc3\xa9");
    in = json_pack("{s:s, s:s}", "repositoryName", "u2", "repositoryDescription", text.data);
    struct iam_fixture_result res;
    assert_int_equal(
        iam_fixture_invoke(&res, f->iam, NULL, "codecommit", "CreateRepository", in, NULL, NULL),
        ERR_INVALID);
    assert_string_equal(res.code, "InvalidRepositoryDescriptionException");
    buf_release(&text);

    /* A tag key of 128 two-byte characters is valid; 129 are not. */
    struct buf key = BUF_INIT;
    for (int i = 0; i < 128; i++)
        buf_adds(&key, "\xc3\xa9");
    const char *arn = "arn:aws:codecommit:us-east-1:000000000000:u";
    in = json_pack("{s:s, s:{s:s}}", "resourceArn", arn, "tags", key.data, "v");
    assert_int_equal(
        iam_fixture_invoke(&res, f->iam, NULL, "codecommit", "TagResource", in, NULL, NULL), 0);
    buf_adds(&key, "\xc3\xa9");
    in = json_pack("{s:s, s:{s:s}}", "resourceArn", arn, "tags", key.data, "v");
    assert_int_equal(
        iam_fixture_invoke(&res, f->iam, NULL, "codecommit", "TagResource", in, NULL, NULL),
        ERR_INVALID);
    assert_string_equal(res.code, "InvalidTagsMapException");
    buf_release(&key);
    /* System tags cannot be removed either. */
    expect_error(f, "UntagResource",
                 "{\"resourceArn\": \"arn:aws:codecommit:us-east-1:000000000000:u\", "
                 "\"tagKeys\": [\"aws:cloudformation:stack-name\"]}",
                 "InvalidSystemTagUsageException");

    /* BatchGetRepositories takes up to 100 names. */
    json_t *names = json_array();
    json_array_append_new(names, json_string("u"));
    for (int i = 1; i < 100; i++) {
        char name[16];
        snprintf(name, sizeof(name), "missing%d", i);
        json_array_append_new(names, json_string(name));
    }
    out = NULL;
    assert_int_equal(iam_fixture_invoke(&res, f->iam, NULL, "codecommit", "BatchGetRepositories",
                                        json_pack("{s:O}", "repositoryNames", names), NULL, &out),
                     0);
    assert_int_equal(json_array_size(json_object_get(out, "repositories")), 1);
    assert_int_equal(json_array_size(json_object_get(out, "repositoriesNotFound")), 99);
    json_decref(out);
    json_array_append_new(names, json_string("one-too-many"));
    assert_int_equal(iam_fixture_invoke(&res, f->iam, NULL, "codecommit", "BatchGetRepositories",
                                        json_pack("{s:o}", "repositoryNames", names), NULL, NULL),
                     ERR_LIMIT);
    assert_string_equal(res.code, "MaximumRepositoryNamesExceededException");

    /* Branch names CodeCommit refuses although git takes them. */
    git_oid first;
    commit_on_disk(&first, f, "u", "refs/heads/main", NULL, "one\n");
    char first_hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(first_hex, sizeof(first_hex), &first);
    static const char *const refused[] = {"0123456789abcdef0123456789abcdef01234567", "@"};
    for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
        char params[256];
        snprintf(params, sizeof(params),
                 "{\"repositoryName\": \"u\", \"branchName\": \"%s\", \"commitId\": \"%s\"}",
                 refused[i], first_hex);
        expect_error(f, "CreateBranch", params, "InvalidBranchNameException");
    }
    /* 39 or 41 hexadecimal digits make an ordinary name. */
    char params[256];
    snprintf(params, sizeof(params),
             "{\"repositoryName\": \"u\", \"branchName\": \"%.39s\", \"commitId\": \"%s\"}",
             "0123456789abcdef0123456789abcdef01234567", first_hex);
    json_decref(ok(f, "CreateBranch", params));
}

/* A ref moved on disk whose record a crash prevented: start-up finds it. */
static void test_reconcile(void **state)
{
    struct fixture *f = *state;
    create(f, "app");
    git_oid first, second;
    commit_on_disk(&first, f, "app", "refs/heads/main", NULL, "one\n");
    size_t changed = 0;
    assert_int_equal(codecommit_reconcile(&changed, f->iam->st, f->iam->dir), 0);
    assert_int_equal(changed, 1);
    json_decref(drain_events(f));
    commit_on_disk(&second, f, "app", "refs/heads/main", &first, "two\n");
    assert_int_equal(codecommit_reconcile(&changed, f->iam->st, f->iam->dir), 0);
    assert_int_equal(changed, 1);
    json_t *events = drain_events(f);
    assert_int_equal(json_array_size(events), 1);
    json_t *e = json_array_get(events, 0);
    char first_hex[GIT_OID_HEXSZ + 1], second_hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(first_hex, sizeof(first_hex), &first);
    git_oid_tostr(second_hex, sizeof(second_hex), &second);
    assert_string_equal(detail_str(e, "event"), "referenceUpdated");
    assert_string_equal(detail_str(e, "oldCommitId"), first_hex);
    assert_string_equal(detail_str(e, "commitId"), second_hex);
    assert_null(detail_str(e, "callerUserArn"));
    json_decref(events);
    assert_int_equal(codecommit_reconcile(&changed, f->iam->st, f->iam->dir), 0);
    assert_int_equal(changed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_get_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_rename, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_branches_and_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconcile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_and_names, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
