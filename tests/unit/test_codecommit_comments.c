/*
 * CodeCommit comments, reactions and triggers, through the operation table
 * as the server calls them, on a repository whose commits are written with
 * libgit2: posting on compared commits and pull requests, replies,
 * idempotency tokens, updates and deletion by author, listing pages,
 * reactions, events in the outbox, triggers, and what a deleted
 * repository leaves behind.
 */
#include "base/common.h"
#include "aws/api.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "server/services.h"
#include "services/codecommit/codecommit.h"
#include "services/codecommit/comments.h"
#include "services/common/record.h"
#include "store/store.h"

#include <git2.h>
#include <setjmp.h>

#include <cmocka.h>

#include "codecommit_fixture.h"

#define REGION "us-east-1"

struct fixture {
    struct cc_fixture cc;
    struct principal other;     /* a second user, also allowed everything */
    char c1[GIT_OID_HEXSZ + 1]; /* a.txt (3 lines), dir/x.txt */
    char c2[GIT_OID_HEXSZ + 1]; /* a.txt (5 lines), b.txt, dir/x.txt */
    char repository_id[CODECOMMIT_ID_LEN + 1];
};

static void blob_add(git_treebuilder *tb, git_repository *git, const char *name, const char *text)
{
    git_oid oid;
    assert_int_equal(git_blob_create_from_buffer(&oid, git, text, strlen(text)), 0);
    assert_int_equal(git_treebuilder_insert(NULL, tb, name, &oid, GIT_FILEMODE_BLOB), 0);
}

static void commit_write(char out[GIT_OID_HEXSZ + 1], git_repository *git, const char *a,
                         bool with_b, const git_commit *parent)
{
    git_treebuilder *sub = NULL, *root = NULL;
    git_oid sub_oid, tree_oid, commit_oid;
    assert_int_equal(git_treebuilder_new(&sub, git, NULL), 0);
    blob_add(sub, git, "x.txt", "x\n");
    assert_int_equal(git_treebuilder_write(&sub_oid, sub), 0);
    assert_int_equal(git_treebuilder_new(&root, git, NULL), 0);
    blob_add(root, git, "a.txt", a);
    if (with_b)
        blob_add(root, git, "b.txt", "bee\n");
    assert_int_equal(git_treebuilder_insert(NULL, root, "dir", &sub_oid, GIT_FILEMODE_TREE), 0);
    assert_int_equal(git_treebuilder_write(&tree_oid, root), 0);
    git_tree *tree = NULL;
    assert_int_equal(git_tree_lookup(&tree, git, &tree_oid), 0);
    git_signature *sig = NULL;
    assert_int_equal(git_signature_new(&sig, "T", "t@example.com", 1700000000, 0), 0);
    const git_commit *parents[1] = {parent};
    assert_int_equal(git_commit_create(&commit_oid, git, "refs/heads/main", sig, sig, NULL,
                                       "change", tree, parent ? 1 : 0, parents),
                     0);
    git_oid_tostr(out, GIT_OID_HEXSZ + 1, &commit_oid);
    git_signature_free(sig);
    git_tree_free(tree);
    git_treebuilder_free(sub);
    git_treebuilder_free(root);
}

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    if (iam_fixture_open(&f->cc.iam, "cc-comments") < 0)
        return -1;
    cc_fixture_user(&f->other, &f->cc, "other", "other");

    json_t *out = NULL;
    if (cc_call(&f->cc, "CreateRepository", json_pack("{s:s}", "repositoryName", "repo"), &out) <
        0) {
        fprintf(stderr, "CreateRepository: %s %s\n", f->cc.code, f->cc.message);
        return -1;
    }
    snprintf(f->repository_id, sizeof(f->repository_id), "%s",
             json_string_value(
                 json_object_get(json_object_get(out, "repositoryMetadata"), "repositoryId")));
    json_decref(out);

    struct codecommit_repo loc;
    git_libgit2_init();
    git_repository *git = NULL;
    assert_int_equal(cc_fixture_repo(&loc, &git, &f->cc, "repo"), 0);
    commit_write(f->c1, git, "one\ntwo\nthree\n", false, NULL);
    git_commit *first = NULL;
    git_oid oid;
    git_oid_fromstr(&oid, f->c1);
    assert_int_equal(git_commit_lookup(&first, git, &oid), 0);
    commit_write(f->c2, git, "one\ntwo\nthree\nfour\nfive", true, first);
    git_commit_free(first);
    git_repository_free(git);
    git_libgit2_shutdown();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    iam_fixture_close(f->cc.iam);
    free(f);
    return 0;
}

static json_t *compared(struct fixture *f, const char *content, const char *path, int64_t line,
                        const char *version)
{
    json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "repositoryName", "repo", "beforeCommitId",
                           f->c1, "afterCommitId", f->c2, "content", content);
    if (path) {
        json_t *loc = json_pack("{s:s}", "filePath", path);
        if (line)
            json_object_set_new(loc, "filePosition", json_integer(line));
        if (version)
            json_object_set_new(loc, "relativeFileVersion", json_string(version));
        json_object_set_new(in, "location", loc);
    }
    return in;
}

/* How many comment events the outbox holds. */
static size_t comment_events(struct fixture *f)
{
    json_t *all = cc_events(&f->cc);
    size_t n = 0, i;
    json_t *e;
    json_array_foreach(all, i, e)
    {
        if (strncmp(cc_str(e, "detail-type") ?: "", "CodeCommit Comment", 18) == 0)
            n++;
    }
    json_decref(all);
    return n;
}

static char *post(struct fixture *f, json_t *in)
{
    json_t *out = NULL;
    if (cc_call(&f->cc, "PostCommentForComparedCommit", in, &out) < 0)
        fail_msg("post: %s %s", f->cc.code, f->cc.message);
    char *id = xstrdup(cc_str(json_object_get(out, "comment"), "commentId"));
    json_decref(out);
    return id;
}

static void test_post_and_get(void **state)
{
    struct fixture *f = *state;
    json_t *out = NULL;
    assert_int_equal(cc_call(&f->cc, "PostCommentForComparedCommit",
                             compared(f, "why?", "a.txt", 5, "AFTER"), &out),
                     0);
    assert_string_equal(cc_str(out, "repositoryName"), "repo");
    assert_string_equal(cc_str(out, "beforeCommitId"), f->c1);
    assert_string_equal(cc_str(out, "afterCommitId"), f->c2);
    assert_int_equal(strlen(cc_str(out, "beforeBlobId")), 40);
    assert_int_equal(strlen(cc_str(out, "afterBlobId")), 40);
    assert_string_not_equal(cc_str(out, "beforeBlobId"), cc_str(out, "afterBlobId"));
    json_t *loc = json_object_get(out, "location");
    assert_string_equal(cc_str(loc, "filePath"), "a.txt");
    assert_int_equal(json_integer_value(json_object_get(loc, "filePosition")), 5);
    assert_string_equal(cc_str(loc, "relativeFileVersion"), "AFTER");
    json_t *c = json_object_get(out, "comment");
    const char *id = cc_str(c, "commentId");
    assert_int_equal(strlen(id), 36);
    assert_string_equal(cc_str(c, "content"), "why?");
    assert_string_equal(cc_str(c, "authorArn"), f->cc.iam->admin.arn);
    assert_true(json_is_false(json_object_get(c, "deleted")));
    assert_int_equal(json_integer_value(json_object_get(c, "creationDate")), IAM_FIXTURE_T0);
    assert_int_equal(json_object_size(json_object_get(c, "reactionCounts")), 0);

    json_t *got = NULL;
    assert_int_equal(cc_call(&f->cc, "GetComment", json_pack("{s:s}", "commentId", id), &got), 0);
    assert_true(json_equal(json_object_get(got, "comment"), c));
    json_decref(got);

    json_t *e = cc_last_event(&f->cc, "CodeCommit Comment on Commit", NULL);
    json_t *d = json_object_get(e, "detail");
    assert_string_equal(cc_str(e, "source"), "aws.codecommit");
    assert_string_equal(cc_str(d, "event"), "commentOnCommitCreated");
    assert_string_equal(cc_str(d, "commentId"), id);
    assert_string_equal(cc_str(d, "repositoryId"), f->repository_id);
    assert_string_equal(cc_str(d, "afterCommitId"), f->c2);
    assert_string_equal(cc_str(d, "beforeCommitId"), f->c1);
    assert_string_equal(cc_str(d, "callerUserArn"), f->cc.iam->admin.arn);
    json_decref(e);

    /* A comment on the whole comparison, and one on the first commit. */
    json_decref(out);
    assert_int_equal(
        cc_call(&f->cc, "PostCommentForComparedCommit", compared(f, "ok", NULL, 0, NULL), &out), 0);
    assert_null(json_object_get(out, "location"));
    assert_null(json_object_get(out, "afterBlobId"));
    json_decref(out);
    assert_int_equal(cc_call(&f->cc, "PostCommentForComparedCommit",
                             json_pack("{s:s, s:s, s:s}", "repositoryName", "repo", "afterCommitId",
                                       f->c1, "content", "first"),
                             &out),
                     0);
    assert_null(json_object_get(out, "beforeCommitId"));
    json_decref(out);
}

static void test_post_errors(void **state)
{
    struct fixture *f = *state;
    const char *op = "PostCommentForComparedCommit";
    cc_expect_error(&f->cc, op, compared(f, "", NULL, 0, NULL), "CommentContentRequiredException");
    json_t *in = compared(f, "x", NULL, 0, NULL);
    json_object_del(in, "content");
    cc_expect_error(&f->cc, op, in, "CommentContentRequiredException");

    char *big = xmalloc(CC_COMMENT_CONTENT_MAX + 2);
    memset(big, 'a', CC_COMMENT_CONTENT_MAX + 1);
    big[CC_COMMENT_CONTENT_MAX + 1] = '\0';
    cc_expect_error(&f->cc, op, compared(f, big, NULL, 0, NULL),
                    "CommentContentSizeLimitExceededException");
    big[CC_COMMENT_CONTENT_MAX] = '\0';
    free(post(f, compared(f, big, NULL, 0, NULL)));
    /* Characters, not bytes: 10,240 two-byte characters fit. */
    struct buf wide = BUF_INIT;
    for (int i = 0; i < CC_COMMENT_CONTENT_MAX; i++)
        buf_adds(&wide, "\xc3\xa9");
    free(post(f, compared(f, wide.data, NULL, 0, NULL)));
    buf_release(&wide);
    free(big);

    in = compared(f, "x", NULL, 0, NULL);
    json_object_del(in, "afterCommitId");
    cc_expect_error(&f->cc, op, in, "CommitIdRequiredException");
    in = compared(f, "x", NULL, 0, NULL);
    json_object_set_new(in, "afterCommitId", json_string("main"));
    cc_expect_error(&f->cc, op, in, "InvalidCommitIdException");
    in = compared(f, "x", NULL, 0, NULL);
    json_object_set_new(in, "beforeCommitId",
                        json_string("0123456789012345678901234567890123456789"));
    cc_expect_error(&f->cc, op, in, "CommitDoesNotExistException");
    in = compared(f, "x", NULL, 0, NULL);
    json_object_set_new(in, "beforeCommitId", json_string(f->c2));
    cc_expect_error(&f->cc, op, in, "BeforeCommitIdAndAfterCommitIdAreSameException");

    cc_expect_error(&f->cc, op, compared(f, "x", "", 1, "AFTER"), "PathRequiredException");
    cc_expect_error(&f->cc, op, compared(f, "x", "../a.txt", 1, "AFTER"), "InvalidPathException");
    cc_expect_error(&f->cc, op, compared(f, "x", "nope.txt", 1, "AFTER"),
                    "PathDoesNotExistException");
    cc_expect_error(&f->cc, op, compared(f, "x", "b.txt", 1, "BEFORE"),
                    "PathDoesNotExistException");
    cc_expect_error(&f->cc, op, compared(f, "x", "dir", 1, "AFTER"),
                    "InvalidFileLocationException");
    cc_expect_error(&f->cc, op, compared(f, "x", "a.txt", 6, "AFTER"),
                    "InvalidFilePositionException");
    cc_expect_error(&f->cc, op, compared(f, "x", "a.txt", 4, "BEFORE"),
                    "InvalidFilePositionException");
}

static void test_post_errors_more(void **state)
{
    struct fixture *f = *state;
    const char *op = "PostCommentForComparedCommit";
    json_t *in = compared(f, "x", "a.txt", -1, "AFTER");
    cc_expect_error(&f->cc, op, in, "InvalidFilePositionException");
    cc_expect_error(&f->cc, op, compared(f, "x", "a.txt", 1, "SIDEWAYS"),
                    "InvalidRelativeFileVersionEnumException");
    in = compared(f, "x", "a.txt", 1, "BEFORE");
    json_object_del(in, "beforeCommitId");
    cc_expect_error(&f->cc, op, in, "InvalidRelativeFileVersionEnumException");
    in = compared(f, "x", NULL, 0, NULL);
    json_object_set_new(in, "repositoryName", json_string("missing"));
    cc_expect_error(&f->cc, op, in, "RepositoryDoesNotExistException");
    in = compared(f, "x", NULL, 0, NULL);
    json_object_set_new(in, "clientRequestToken", json_string(""));
    cc_expect_error(&f->cc, op, in, "InvalidClientRequestTokenException");
    /* Nothing was written by the failures above. */
    assert_int_equal(comment_events(f), 0);
}

static void test_idempotency(void **state)
{
    struct fixture *f = *state;
    json_t *in = compared(f, "once", "a.txt", 1, "BEFORE");
    json_object_set_new(in, "clientRequestToken", json_string("tok-1"));
    json_t *again = json_deep_copy(in);
    json_t *changed = json_deep_copy(in);
    json_object_set_new(changed, "content", json_string("twice"));
    char *first = post(f, in);
    char *second = post(f, again);
    assert_string_equal(first, second);
    cc_expect_error(&f->cc, "PostCommentForComparedCommit", changed,
                    "IdempotencyParameterMismatchException");
    assert_int_equal(comment_events(f), 1);
    free(first);
    free(second);
}

static void test_reply_update_delete(void **state)
{
    struct fixture *f = *state;
    char *id = post(f, compared(f, "parent", "a.txt", 2, "AFTER"));
    json_t *out = NULL;
    assert_int_equal(cc_call_as(&f->cc, &f->other, "PostCommentReply",
                                json_pack("{s:s, s:s}", "inReplyTo", id, "content", "reply"), &out),
                     0);
    json_t *reply = json_object_get(out, "comment");
    assert_string_equal(cc_str(reply, "inReplyTo"), id);
    assert_string_equal(cc_str(reply, "authorArn"), f->other.arn);
    char *reply_id = xstrdup(cc_str(reply, "commentId"));
    json_decref(out);
    json_t *e = cc_last_event(&f->cc, "CodeCommit Comment on Commit", NULL);
    assert_string_equal(cc_str(json_object_get(e, "detail"), "inReplyTo"), id);
    json_decref(e);

    cc_expect_error(&f->cc, "PostCommentReply",
                    json_pack("{s:s, s:s}", "inReplyTo", "nope", "content", "x"),
                    "InvalidCommentIdException");
    cc_expect_error(&f->cc, "PostCommentReply",
                    json_pack("{s:s, s:s}", "inReplyTo", "00000000-0000-4000-8000-000000000000",
                              "content", "x"),
                    "CommentDoesNotExistException");
    cc_expect_error(&f->cc, "PostCommentReply", json_pack("{s:s}", "content", "x"),
                    "CommentIdRequiredException");

    /* Only the author changes a comment. */
    assert_true(cc_call_as(&f->cc, &f->other, "UpdateComment",
                           json_pack("{s:s, s:s}", "commentId", id, "content", "mine now"),
                           NULL) < 0);
    assert_string_equal(f->cc.code, "CommentNotCreatedByCallerException");
    clock_set_fake(IAM_FIXTURE_T0 + 5000);
    assert_int_equal(cc_call(&f->cc, "UpdateComment",
                             json_pack("{s:s, s:s}", "commentId", id, "content", "edited"), &out),
                     0);
    json_t *c = json_object_get(out, "comment");
    assert_string_equal(cc_str(c, "content"), "edited");
    assert_int_equal(json_integer_value(json_object_get(c, "lastModifiedDate")),
                     IAM_FIXTURE_T0 + 5000);
    assert_int_equal(json_integer_value(json_object_get(c, "creationDate")), IAM_FIXTURE_T0);
    json_decref(out);
    e = cc_last_event(&f->cc, "CodeCommit Comment on Commit", NULL);
    assert_string_equal(cc_str(json_object_get(e, "detail"), "event"), "commentOnCommitUpdated");
    json_decref(e);
    cc_expect_error(&f->cc, "UpdateComment",
                    json_pack("{s:s, s:s}", "commentId", id, "content", ""),
                    "CommentContentRequiredException");

    assert_int_equal(
        cc_call(&f->cc, "DeleteCommentContent", json_pack("{s:s}", "commentId", id), &out), 0);
    c = json_object_get(out, "comment");
    assert_true(json_is_true(json_object_get(c, "deleted")));
    assert_null(json_object_get(c, "content"));
    json_decref(out);
    assert_int_equal(cc_call(&f->cc, "GetComment", json_pack("{s:s}", "commentId", id), &out), 0);
    assert_true(json_is_true(json_object_get(json_object_get(out, "comment"), "deleted")));
    json_decref(out);
    cc_expect_error(&f->cc, "UpdateComment",
                    json_pack("{s:s, s:s}", "commentId", id, "content", "x"),
                    "CommentDeletedException");
    cc_expect_error(&f->cc, "DeleteCommentContent", json_pack("{s:s}", "commentId", id),
                    "CommentDeletedException");
    cc_expect_error(&f->cc, "PutCommentReaction",
                    json_pack("{s:s, s:s}", "commentId", id, "reactionValue", ":thumbsup:"),
                    "CommentDeletedException");
    free(id);
    free(reply_id);
}

static void test_listing(void **state)
{
    struct fixture *f = *state;
    char *a = post(f, compared(f, "on a", "a.txt", 1, "AFTER"));
    char *b = post(f, compared(f, "general", NULL, 0, NULL));
    json_t *out = NULL;
    assert_int_equal(cc_call(&f->cc, "PostCommentReply",
                             json_pack("{s:s, s:s}", "inReplyTo", a, "content", "re a"), NULL),
                     0);
    free(post(f, json_pack("{s:s, s:s, s:s}", "repositoryName", "repo", "afterCommitId", f->c2,
                           "content", "no before")));

    json_t *in = json_pack("{s:s, s:s, s:s}", "repositoryName", "repo", "beforeCommitId", f->c1,
                           "afterCommitId", f->c2);
    assert_int_equal(cc_call(&f->cc, "GetCommentsForComparedCommit", json_deep_copy(in), &out), 0);
    json_t *groups = json_object_get(out, "commentsForComparedCommitData");
    assert_int_equal(json_array_size(groups), 2);
    json_t *g0 = json_array_get(groups, 0);
    assert_string_equal(cc_str(json_object_get(g0, "location"), "filePath"), "a.txt");
    assert_string_equal(cc_str(g0, "repositoryName"), "repo");
    json_t *thread = json_object_get(g0, "comments");
    assert_int_equal(json_array_size(thread), 2);
    assert_string_equal(cc_str(json_array_get(thread, 0), "content"), "on a");
    assert_string_equal(cc_str(json_array_get(thread, 1), "content"), "re a");
    assert_string_equal(
        cc_str(json_array_get(json_object_get(json_array_get(groups, 1), "comments"), 0),
               "commentId"),
        b);
    assert_null(json_object_get(out, "nextToken"));
    json_decref(out);

    /* Pages of two, then one, in the order the comments were written. */
    json_t *paged = json_deep_copy(in);
    json_object_set_new(paged, "maxResults", json_integer(2));
    assert_int_equal(cc_call(&f->cc, "GetCommentsForComparedCommit", json_deep_copy(paged), &out),
                     0);
    groups = json_object_get(out, "commentsForComparedCommitData");
    assert_int_equal(json_array_size(groups), 2);
    const char *token = cc_str(out, "nextToken");
    assert_non_null(token);
    json_object_set_new(paged, "nextToken", json_string(token));
    json_decref(out);
    assert_int_equal(cc_call(&f->cc, "GetCommentsForComparedCommit", paged, &out), 0);
    groups = json_object_get(out, "commentsForComparedCommitData");
    assert_int_equal(json_array_size(groups), 1);
    assert_string_equal(
        cc_str(json_array_get(json_object_get(json_array_get(groups, 0), "comments"), 0),
               "content"),
        "re a");
    assert_null(json_object_get(out, "nextToken"));
    json_decref(out);

    /* Without a before commit: only the comments made without one. */
    assert_int_equal(
        cc_call(&f->cc, "GetCommentsForComparedCommit",
                json_pack("{s:s, s:s}", "repositoryName", "repo", "afterCommitId", f->c2), &out),
        0);
    groups = json_object_get(out, "commentsForComparedCommitData");
    assert_int_equal(json_array_size(groups), 1);
    json_decref(out);

    json_t *bad = json_deep_copy(in);
    json_object_set_new(bad, "maxResults", json_integer(0));
    cc_expect_error(&f->cc, "GetCommentsForComparedCommit", bad, "InvalidMaxResultsException");
    bad = json_deep_copy(in);
    json_object_set_new(bad, "maxResults", json_integer(501));
    cc_expect_error(&f->cc, "GetCommentsForComparedCommit", bad, "InvalidMaxResultsException");
    bad = json_deep_copy(in);
    json_object_set_new(bad, "nextToken", json_string("garbage"));
    cc_expect_error(&f->cc, "GetCommentsForComparedCommit", bad,
                    "InvalidContinuationTokenException");
    bad = json_deep_copy(in);
    json_object_del(bad, "afterCommitId");
    cc_expect_error(&f->cc, "GetCommentsForComparedCommit", bad, "CommitIdRequiredException");
    json_decref(in);
    free(a);
    free(b);
}

static void test_reactions(void **state)
{
    struct fixture *f = *state;
    char *id = post(f, compared(f, "react", NULL, 0, NULL));
    const char *op = "PutCommentReaction";
    assert_int_equal(
        cc_call(&f->cc, op, json_pack("{s:s, s:s}", "commentId", id, "reactionValue", ":thumbsup:"),
                NULL),
        0);
    json_t *e = cc_last_event(&f->cc, "CodeCommit Comment Reaction Change", NULL);
    assert_string_equal(cc_str(json_object_get(e, "detail"), "event"), "reactionCreated");
    assert_string_equal(cc_str(json_object_get(e, "detail"), "reactionShortCode"), ":thumbsup:");
    json_decref(e);
    /* The other user by emoji, then the admin changes by Unicode value. */
    assert_int_equal(
        cc_call_as(&f->cc, &f->other, op,
                   json_pack("{s:s, s:s}", "commentId", id, "reactionValue", "\xF0\x9F\x91\x8D"),
                   NULL),
        0);
    assert_int_equal(cc_call(&f->cc, op,
                             json_pack("{s:s, s:s}", "commentId", id, "reactionValue", "U+1F44E"),
                             NULL),
                     0);
    e = cc_last_event(&f->cc, "CodeCommit Comment Reaction Change", NULL);
    assert_string_equal(cc_str(json_object_get(e, "detail"), "event"), "reactionUpdated");
    json_decref(e);

    json_t *out = NULL;
    assert_int_equal(cc_call(&f->cc, "GetComment", json_pack("{s:s}", "commentId", id), &out), 0);
    json_t *c = json_object_get(out, "comment");
    json_t *counts = json_object_get(c, "reactionCounts");
    assert_int_equal(json_integer_value(json_object_get(counts, ":thumbsup:")), 1);
    assert_int_equal(json_integer_value(json_object_get(counts, ":thumbsdown:")), 1);
    json_t *mine = json_object_get(c, "callerReactions");
    assert_int_equal(json_array_size(mine), 1);
    assert_string_equal(json_string_value(json_array_get(mine, 0)), ":thumbsdown:");
    json_decref(out);

    assert_int_equal(
        cc_call(&f->cc, "GetCommentReactions", json_pack("{s:s}", "commentId", id), &out), 0);
    json_t *list = json_object_get(out, "reactionsForComment");
    assert_int_equal(json_array_size(list), 2);
    json_t *first = json_array_get(list, 0);
    assert_string_equal(cc_str(json_object_get(first, "reaction"), "shortCode"), ":thumbsup:");
    assert_string_equal(cc_str(json_object_get(first, "reaction"), "unicode"), "U+1F44D");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(first, "reactionUsers"), 0)),
        f->other.arn);
    assert_int_equal(json_integer_value(json_object_get(first, "reactionsFromDeletedUsersCount")),
                     0);
    json_decref(out);

    /* A page of one, then the rest. */
    assert_int_equal(cc_call(&f->cc, "GetCommentReactions",
                             json_pack("{s:s, s:i}", "commentId", id, "maxResults", 1), &out),
                     0);
    assert_int_equal(json_array_size(json_object_get(out, "reactionsForComment")), 1);
    json_t *next = json_pack("{s:s, s:s}", "commentId", id, "nextToken", cc_str(out, "nextToken"));
    json_decref(out);
    assert_int_equal(cc_call(&f->cc, "GetCommentReactions", next, &out), 0);
    list = json_object_get(out, "reactionsForComment");
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(cc_str(json_object_get(json_array_get(list, 0), "reaction"), "shortCode"),
                        ":thumbsdown:");
    json_decref(out);

    assert_int_equal(
        cc_call(&f->cc, "GetCommentReactions",
                json_pack("{s:s, s:s}", "commentId", id, "reactionUserArn", f->other.arn), &out),
        0);
    assert_int_equal(json_array_size(json_object_get(out, "reactionsForComment")), 1);
    json_decref(out);

    cc_expect_error(&f->cc, "GetCommentReactions",
                    json_pack("{s:s, s:s}", "commentId", id, "reactionUserArn", "bob"),
                    "InvalidReactionUserArnException");
    cc_expect_error(&f->cc, "GetCommentReactions",
                    json_pack("{s:s, s:i}", "commentId", id, "maxResults", 0),
                    "InvalidMaxResultsException");
    cc_expect_error(&f->cc, op, json_pack("{s:s, s:s}", "commentId", id, "reactionValue", ":poop:"),
                    "InvalidReactionValueException");
    cc_expect_error(&f->cc, op, json_pack("{s:s}", "commentId", id),
                    "ReactionValueRequiredException");

    /* Blank takes the caller's reaction away. */
    assert_int_equal(
        cc_call(&f->cc, op, json_pack("{s:s, s:s}", "commentId", id, "reactionValue", ""), NULL),
        0);
    assert_int_equal(cc_call(&f->cc, "GetComment", json_pack("{s:s}", "commentId", id), &out), 0);
    counts = json_object_get(json_object_get(out, "comment"), "reactionCounts");
    assert_null(json_object_get(counts, ":thumbsdown:"));
    assert_int_equal(
        json_array_size(json_object_get(json_object_get(out, "comment"), "callerReactions")), 0);
    json_decref(out);
    free(id);
}

/* A pull request from "feature" (c2) to "main" (moved back to c1). */
static char *pull_request_create(struct fixture *f)
{
    struct codecommit_repo loc;
    git_libgit2_init();
    git_repository *git = NULL;
    assert_int_equal(cc_fixture_repo(&loc, &git, &f->cc, "repo"), 0);
    git_oid c1, c2;
    git_oid_fromstr(&c1, f->c1);
    git_oid_fromstr(&c2, f->c2);
    git_reference *ref = NULL;
    assert_int_equal(git_reference_create(&ref, git, "refs/heads/feature", &c2, 0, NULL), 0);
    git_reference_free(ref);
    assert_int_equal(git_reference_create(&ref, git, "refs/heads/main", &c1, 1, NULL), 0);
    git_reference_free(ref);
    git_repository_free(git);
    git_libgit2_shutdown();
    json_t *out = NULL;
    if (cc_call(&f->cc, "CreatePullRequest",
                json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "title", "t", "targets", "repositoryName",
                          "repo", "sourceReference", "feature", "destinationReference", "main"),
                &out) < 0)
        fail_msg("CreatePullRequest: %s %s", f->cc.code, f->cc.message);
    char *id = xstrdup(cc_str(json_object_get(out, "pullRequest"), "pullRequestId"));
    json_decref(out);
    return id;
}

static void test_pull_request(void **state)
{
    struct fixture *f = *state;
    char *pr_id = pull_request_create(f);
    const char *op = "PostCommentForPullRequest";
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:i, s:s}}", "pullRequestId", pr_id,
                           "repositoryName", "repo", "beforeCommitId", f->c1, "afterCommitId",
                           f->c2, "content", "lgtm", "location", "filePath", "b.txt",
                           "filePosition", 1, "relativeFileVersion", "AFTER");
    json_t *out = NULL;
    assert_int_equal(cc_call(&f->cc, op, json_deep_copy(in), &out), 0);
    assert_string_equal(cc_str(out, "pullRequestId"), pr_id);
    assert_null(json_object_get(out, "beforeBlobId"));
    assert_non_null(json_object_get(out, "afterBlobId"));
    char *id = xstrdup(cc_str(json_object_get(out, "comment"), "commentId"));
    json_decref(out);
    json_t *e = cc_last_event(&f->cc, "CodeCommit Comment on Pull Request", NULL);
    assert_string_equal(cc_str(json_object_get(e, "detail"), "event"),
                        "commentOnPullRequestCreated");
    assert_string_equal(cc_str(json_object_get(e, "detail"), "pullRequestId"), pr_id);
    json_decref(e);

    json_t *bad = json_deep_copy(in);
    json_object_set_new(bad, "pullRequestId", json_string("4242"));
    cc_expect_error(&f->cc, op, bad, "PullRequestDoesNotExistException");
    bad = json_deep_copy(in);
    json_object_set_new(bad, "pullRequestId", json_string("x7"));
    cc_expect_error(&f->cc, op, bad, "InvalidPullRequestIdException");
    bad = json_deep_copy(in);
    json_object_del(bad, "pullRequestId");
    cc_expect_error(&f->cc, op, bad, "PullRequestIdRequiredException");
    bad = json_deep_copy(in);
    json_object_set_new(bad, "afterCommitId", json_string(f->c1));
    json_object_set_new(bad, "beforeCommitId", json_string(f->c2));
    cc_expect_error(&f->cc, op, bad, "InvalidCommitIdException");
    bad = json_deep_copy(in);
    json_object_del(bad, "beforeCommitId");
    cc_expect_error(&f->cc, op, bad, "CommitIdRequiredException");
    assert_int_equal(
        cc_call(&f->cc, "CreateRepository", json_pack("{s:s}", "repositoryName", "other"), NULL),
        0);
    bad = json_deep_copy(in);
    json_object_set_new(bad, "repositoryName", json_string("other"));
    cc_expect_error(&f->cc, op, bad, "RepositoryNotAssociatedWithPullRequestException");
    json_decref(in);

    assert_int_equal(cc_call(&f->cc, "PostCommentReply",
                             json_pack("{s:s, s:s}", "inReplyTo", id, "content", "thanks"), NULL),
                     0);
    e = cc_last_event(&f->cc, "CodeCommit Comment on Pull Request", NULL);
    assert_string_equal(cc_str(json_object_get(e, "detail"), "inReplyTo"), id);
    json_decref(e);
    /* A comment on the compared commits is not the pull request's. */
    free(post(f, compared(f, "elsewhere", NULL, 0, NULL)));

    assert_int_equal(cc_call(&f->cc, "GetCommentsForPullRequest",
                             json_pack("{s:s}", "pullRequestId", pr_id), &out),
                     0);
    json_t *groups = json_object_get(out, "commentsForPullRequestData");
    assert_int_equal(json_array_size(groups), 1);
    json_t *g = json_array_get(groups, 0);
    assert_string_equal(cc_str(g, "pullRequestId"), pr_id);
    assert_string_equal(cc_str(g, "repositoryName"), "repo");
    assert_int_equal(json_array_size(json_object_get(g, "comments")), 2);
    json_decref(out);
    /* Nothing by none of the two commits. */
    assert_int_equal(
        cc_call(&f->cc, "GetCommentsForPullRequest",
                json_pack("{s:s, s:s, s:s, s:s}", "pullRequestId", pr_id, "repositoryName", "repo",
                          "beforeCommitId", f->c2, "afterCommitId", f->c1),
                &out),
        0);
    assert_int_equal(json_array_size(json_object_get(out, "commentsForPullRequestData")), 0);
    json_decref(out);
    cc_expect_error(&f->cc, "GetCommentsForPullRequest",
                    json_pack("{s:s, s:s}", "pullRequestId", pr_id, "repositoryName", "repo"),
                    "CommitIdRequiredException");
    cc_expect_error(&f->cc, "GetCommentsForPullRequest",
                    json_pack("{s:s, s:s}", "pullRequestId", pr_id, "beforeCommitId", f->c1),
                    "RepositoryNameRequiredException");
    cc_expect_error(&f->cc, "GetCommentsForPullRequest",
                    json_pack("{s:s}", "pullRequestId", "4242"),
                    "PullRequestDoesNotExistException");
    free(id);
    free(pr_id);
}

static json_t *trigger(const char *name, const char *dest)
{
    return json_pack("{s:s, s:s, s:[s], s:[s]}", "name", name, "destinationArn", dest, "branches",
                     "main", "events", "all");
}

#define TOPIC "arn:aws:sns:us-east-1:000000000000:topic"

static void test_triggers(void **state)
{
    struct fixture *f = *state;
    json_t *out = NULL;
    assert_int_equal(cc_call(&f->cc, "GetRepositoryTriggers",
                             json_pack("{s:s}", "repositoryName", "repo"), &out),
                     0);
    assert_int_equal(json_array_size(json_object_get(out, "triggers")), 0);
    json_decref(out);

    json_t *t2 = json_pack("{s:s, s:s, s:s, s:[], s:[s, s]}", "name", "fn", "destinationArn",
                           "arn:aws:lambda:us-east-1:000000000000:function:hook", "customData",
                           "hello", "branches", "events", "createReference", "deleteReference");
    assert_int_equal(cc_call(&f->cc, "PutRepositoryTriggers",
                             json_pack("{s:s, s:[o, o]}", "repositoryName", "repo", "triggers",
                                       trigger("t1", TOPIC), json_incref(t2)),
                             &out),
                     0);
    char *config = xstrdup(cc_str(out, "configurationId"));
    json_decref(out);
    assert_int_equal(cc_call(&f->cc, "GetRepositoryTriggers",
                             json_pack("{s:s}", "repositoryName", "repo"), &out),
                     0);
    assert_string_equal(cc_str(out, "configurationId"), config);
    json_t *list = json_object_get(out, "triggers");
    assert_int_equal(json_array_size(list), 2);
    assert_true(json_equal(json_array_get(list, 1), t2));
    json_decref(out);
    json_decref(t2);

    assert_int_equal(cc_call(&f->cc, "PutRepositoryTriggers",
                             json_pack("{s:s, s:[]}", "repositoryName", "repo", "triggers"), &out),
                     0);
    assert_string_not_equal(cc_str(out, "configurationId"), config);
    json_decref(out);
    free(config);

    const char *op = "PutRepositoryTriggers";
    cc_expect_error(&f->cc, op, json_pack("{s:s}", "repositoryName", "repo"),
                    "RepositoryTriggersListRequiredException");
    json_t *many = json_array();
    for (int i = 0; i < 11; i++) {
        char name[8];
        snprintf(name, sizeof(name), "t%d", i);
        json_array_append_new(many, trigger(name, TOPIC));
    }
    cc_expect_error(&f->cc, op, json_pack("{s:s, s:o}", "repositoryName", "repo", "triggers", many),
                    "MaximumRepositoryTriggersExceededException");
    cc_expect_error(&f->cc, op,
                    json_pack("{s:s, s:[o, o]}", "repositoryName", "repo", "triggers",
                              trigger("same", TOPIC), trigger("same", TOPIC)),
                    "InvalidRepositoryTriggerNameException");
    cc_expect_error(
        &f->cc, op,
        json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers", trigger("", TOPIC)),
        "RepositoryTriggerNameRequiredException");
    cc_expect_error(&f->cc, op,
                    json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers",
                              trigger("t", "arn:aws:s3:::bucket")),
                    "InvalidRepositoryTriggerDestinationArnException");
    cc_expect_error(
        &f->cc, op,
        json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers", trigger("t", "not an arn")),
        "InvalidRepositoryTriggerDestinationArnException");
    cc_expect_error(&f->cc, op,
                    json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers",
                              trigger("t", "arn:aws:sns:eu-west-1:000000000000:topic")),
                    "InvalidRepositoryTriggerRegionException");
    json_t *t = trigger("t", TOPIC);
    json_object_set_new(t, "events", json_pack("[s, s]", "all", "createReference"));
    cc_expect_error(&f->cc, op, json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers", t),
                    "InvalidRepositoryTriggerEventsException");
    t = trigger("t", TOPIC);
    json_object_set_new(t, "events", json_pack("[s]", "push"));
    cc_expect_error(&f->cc, op, json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers", t),
                    "InvalidRepositoryTriggerEventsException");
    t = trigger("t", TOPIC);
    json_object_set_new(t, "events", json_array());
    cc_expect_error(&f->cc, op, json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers", t),
                    "RepositoryTriggerEventsListRequiredException");
    t = trigger("t", TOPIC);
    json_object_set_new(t, "branches", json_pack("[s]", "bad..name"));
    cc_expect_error(&f->cc, op, json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers", t),
                    "InvalidRepositoryTriggerBranchNameException");
    t = trigger("t", TOPIC);
    json_object_del(t, "branches");
    cc_expect_error(&f->cc, op, json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers", t),
                    "RepositoryTriggerBranchNameListRequiredException");
    t = trigger("t", TOPIC);
    json_object_del(t, "destinationArn");
    cc_expect_error(&f->cc, op, json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers", t),
                    "RepositoryTriggerDestinationArnRequiredException");
    t = trigger("t", TOPIC);
    char *data = xmalloc(1002);
    memset(data, 'd', 1001);
    data[1001] = '\0';
    json_object_set_new(t, "customData", json_string(data));
    free(data);
    cc_expect_error(&f->cc, op, json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers", t),
                    "InvalidRepositoryTriggerCustomDataException");

    /* Testing reports each trigger as not delivered. */
    assert_int_equal(cc_call(&f->cc, "TestRepositoryTriggers",
                             json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers",
                                       trigger("t1", TOPIC)),
                             &out),
                     0);
    assert_int_equal(json_array_size(json_object_get(out, "successfulExecutions")), 0);
    json_t *failed = json_object_get(out, "failedExecutions");
    assert_int_equal(json_array_size(failed), 1);
    assert_string_equal(cc_str(json_array_get(failed, 0), "trigger"), "t1");
    assert_non_null(strstr(cc_str(json_array_get(failed, 0), "failureMessage"), "slipway"));
    json_decref(out);
    cc_expect_error(&f->cc, "TestRepositoryTriggers",
                    json_pack("{s:s, s:[]}", "repositoryName", "repo", "triggers"),
                    "RepositoryTriggersListRequiredException");
}

/*
 * Trigger names and custom data are limited in characters, not bytes; the
 * failure message of TestRepositoryTriggers is never cut, also for a
 * destination past a kilobyte in multi-byte characters.
 */
static void test_triggers_multibyte(void **state)
{
    struct fixture *f = *state;
    const char *op = "PutRepositoryTriggers";
    char *name = cc_repeat("\xe6\x97\xa5", 100); /* U+65E5, 3 bytes */
    char *data = cc_repeat("\xc3\xa9", 1000);    /* U+00E9, 2 bytes */
    json_t *t = trigger(name, TOPIC);
    json_object_set_new(t, "customData", json_string(data));
    json_decref(
        cc_ok(&f->cc, op, json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers", t)));
    free(name);
    free(data);
    name = cc_repeat("\xe6\x97\xa5", 101);
    cc_expect_error(
        &f->cc, op,
        json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers", trigger(name, TOPIC)),
        "InvalidRepositoryTriggerNameException");
    free(name);
    data = cc_repeat("\xc3\xa9", 1001);
    t = trigger("t", TOPIC);
    json_object_set_new(t, "customData", json_string(data));
    cc_expect_error(&f->cc, op, json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers", t),
                    "InvalidRepositoryTriggerCustomDataException");
    free(data);

    char *topic = cc_repeat("\xe6\x97\xa5", 400);
    struct buf dest = BUF_INIT;
    buf_addf(&dest, "arn:aws:sns:us-east-1:000000000000:%s", topic);
    json_t *out = cc_ok(&f->cc, "TestRepositoryTriggers",
                        json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers",
                                  trigger("long", dest.data)));
    json_t *failed = json_object_get(out, "failedExecutions");
    assert_int_equal(json_array_size(failed), 1);
    const char *message = cc_str(json_array_get(failed, 0), "failureMessage");
    assert_non_null(message);
    assert_non_null(strstr(message, dest.data));
    assert_non_null(strstr(message, "Amazon SNS topics yet"));
    json_decref(out);
    buf_release(&dest);
    free(topic);
}

/* The text of a reaction's event holds the whole of a long reactor ARN. */
static void test_reaction_long_arn(void **state)
{
    struct fixture *f = *state;
    char *id = post(f, compared(f, "react", NULL, 0, NULL));
    struct principal who;
    cc_fixture_long_user(&who, &f->cc, 100);
    assert_int_equal(
        cc_call_as(&f->cc, &who, "PutCommentReaction",
                   json_pack("{s:s, s:s}", "commentId", id, "reactionValue", ":rocket:"), NULL),
        0);
    json_t *e = cc_last_event(&f->cc, "CodeCommit Comment Reaction Change", NULL);
    const char *body = cc_str(json_object_get(e, "detail"), "notificationBody");
    assert_non_null(body);
    assert_non_null(strstr(body, who.arn));
    struct buf end = BUF_INIT;
    buf_addf(&end, "to comment %s.", id);
    assert_string_equal(body + strlen(body) - end.len, end.data);
    buf_release(&end);
    json_decref(e);
    free(id);
}

static void test_forget_repository(void **state)
{
    struct fixture *f = *state;
    char *id = post(f, compared(f, "bye", NULL, 0, NULL));
    json_t *in = compared(f, "tok", NULL, 0, NULL);
    json_object_set_new(in, "clientRequestToken", json_string("t"));
    free(post(f, in));
    assert_int_equal(cc_call(&f->cc, "PutRepositoryTriggers",
                             json_pack("{s:s, s:[o]}", "repositoryName", "repo", "triggers",
                                       trigger("t1", TOPIC)),
                             NULL),
                     0);
    struct api_call where = {.account_id = IAM_FIXTURE_ACCOUNT, .region = REGION};
    struct store_tx *tx = NULL;
    assert_int_equal(store_tx_begin(&tx, f->cc.iam->st), 0);
    assert_int_equal(cc_comments_forget_repository(f->cc.iam->st, tx, &where, f->repository_id), 0);
    assert_int_equal(cc_triggers_forget_repository(f->cc.iam->st, tx, &where, f->repository_id), 0);
    assert_int_equal(store_tx_commit(tx), 0);
    char scope[64];
    snprintf(scope, sizeof(scope), "%s/%s", IAM_FIXTURE_ACCOUNT, REGION);
    static const char *const kinds[] = {CC_KIND_COMMENT, CC_KIND_COMMENT_ID, CC_KIND_COMMENT_TOKEN,
                                        CC_KIND_TRIGGERS};
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        size_t n = 1;
        assert_int_equal(store_doc_count(&n, f->cc.iam->st, NULL, kinds[i], scope, NULL), 0);
        assert_int_equal(n, 0);
    }
    cc_expect_error(&f->cc, "GetComment", json_pack("{s:s}", "commentId", id),
                    "CommentDoesNotExistException");
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_post_and_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_errors_more, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_update_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_triggers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_triggers_multibyte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reaction_long_arn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forget_repository, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
