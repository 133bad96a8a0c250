#ifndef SLIPWAY_TESTS_UNIT_CODECOMMIT_FIXTURE_H
#define SLIPWAY_TESTS_UNIT_CODECOMMIT_FIXTURE_H

/*
 * What the CodeCommit unit tests share: an IAM fixture (a store and a data
 * directory, iam_fixture.h) to call CodeCommit operations in, through the
 * operation table as the server does, remembering how the last call
 * failed; and the outbox's events. A test file's own fixture holds a
 * `struct cc_fixture` named `cc`. Include after <cmocka.h>.
 */

#include "base/buf.h"
#include "aws/principal.h"
#include "services/codecommit/codecommit.h"
#include "services/codecommit/codecommit_internal.h"
#include "store/store.h"
#include "iam_fixture.h"

struct cc_fixture {
    struct iam_fixture *iam;
    char code[128];     /* the last failure's AWS code */
    char message[1024]; /* and its message */
};

/* Runs CodeCommit operation `op` as `who` (the admin when NULL); `in` is
 * consumed, *out (when `out` is not NULL) gets the output. A call that
 * succeeds must have asked for authorization. */
static inline int cc_call_as(struct cc_fixture *f, const struct principal *who, const char *op,
                             json_t *in, json_t **out)
{
    struct iam_fixture_result res;
    json_t *result = NULL;
    int rc = iam_fixture_invoke(&res, f->iam, who, "codecommit", op, in, NULL, &result);
    if (!res.found)
        fail_msg("no such operation %s", op);
    if (rc == 0 && !res.authorized)
        fail_msg("%s succeeded without asking for authorization", op);
    snprintf(f->code, sizeof(f->code), "%s", res.code);
    snprintf(f->message, sizeof(f->message), "%s", res.message);
    if (out)
        *out = result;
    else
        json_decref(result);
    return rc;
}

static inline int cc_call(struct cc_fixture *f, const char *op, json_t *in, json_t **out)
{
    return cc_call_as(f, NULL, op, in, out);
}

/* `op` as `who`, which must succeed; returns its output (the caller frees). */
static inline json_t *cc_ok_as(struct cc_fixture *f, const struct principal *who, const char *op,
                               json_t *in)
{
    json_t *out = NULL;
    if (cc_call_as(f, who, op, in, &out) < 0)
        fail_msg("%s: %s %s", op, f->code, f->message);
    return out;
}

static inline json_t *cc_ok(struct cc_fixture *f, const char *op, json_t *in)
{
    return cc_ok_as(f, NULL, op, in);
}

/* `op` as `who`, which must fail with AWS code `code`. */
static inline void cc_expect_error_as(struct cc_fixture *f, const struct principal *who,
                                      const char *op, json_t *in, const char *code)
{
    json_t *out = NULL;
    if (cc_call_as(f, who, op, in, &out) == 0)
        fail_msg("%s succeeded, expected %s", op, code);
    json_decref(out);
    if (strcmp(f->code, code) != 0)
        fail_msg("%s: expected %s, got %s (%s)", op, code, f->code, f->message);
}

static inline void cc_expect_error(struct cc_fixture *f, const char *op, json_t *in,
                                   const char *code)
{
    cc_expect_error_as(f, NULL, op, in, code);
}

/* A second user of the fixture's account, allowed everything as the admin
 * is: "arn:aws:iam::ACCOUNT:user/<path_name>", named `name`. */
static inline void cc_fixture_user(struct principal *out, const struct cc_fixture *f,
                                   const char *path_name, const char *name)
{
    *out = f->iam->admin;
    snprintf(out->arn, sizeof(out->arn), "arn:aws:iam::%s:user/%s", IAM_FIXTURE_ACCOUNT, path_name);
    snprintf(out->name, sizeof(out->name), "%s", name);
}

/* cc_fixture_user() "Long_User" with `depth` folders in its IAM path,
 * for texts that must hold a long ARN whole. */
static inline void cc_fixture_long_user(struct principal *out, const struct cc_fixture *f,
                                        size_t depth)
{
    struct buf path = BUF_INIT;
    for (size_t i = 0; i < depth; i++)
        buf_adds(&path, "division/");
    buf_adds(&path, "Long_User");
    cc_fixture_user(out, f, path.data, "Long_User");
    buf_release(&path);
}

/* Repository `name` of the fixture's account in us-east-1 and, when `git`
 * is not NULL, its bare repository opened with libgit2 (initialized by the
 * caller). Returns 0 or -1. */
static inline int cc_fixture_repo(struct codecommit_repo *loc, git_repository **git,
                                  const struct cc_fixture *f, const char *name)
{
    if (codecommit_repo_find(loc, f->iam->st, f->iam->dir, IAM_FIXTURE_ACCOUNT, "us-east-1", name) <
        0)
        return -1;
    return git && git_repository_open_bare(git, loc->path) < 0 ? -1 : 0;
}

/* `unit` `n` times (the caller frees). */
static inline char *cc_repeat(const char *unit, size_t n)
{
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < n; i++)
        buf_adds(&b, unit);
    return buf_detach(&b, NULL);
}

/* The outbox's events, parsed, oldest first (the caller frees). */
static inline json_t *cc_events(struct cc_fixture *f)
{
    struct store_event_batch batch;
    assert_int_equal(store_outbox_fetch(&batch, f->iam->st, NULL, 0, 0), 0);
    json_t *all = json_array();
    for (size_t i = 0; i < batch.len; i++)
        json_array_append_new(all, json_loads(batch.items[i].body, 0, NULL));
    store_event_batch_release(&batch);
    return all;
}

/* Whether event `e` has detail-type `detail_type` and, unless `event` is
 * NULL, detail.event `event`. */
static inline bool cc_event_is(const json_t *e, const char *detail_type, const char *event)
{
    return strcmp(cc_str(e, "detail-type") ?: "", detail_type) == 0 &&
           (!event || strcmp(cc_str(json_object_get(e, "detail"), "event") ?: "", event) == 0);
}

/* How many outbox events cc_event_is(detail_type, event). */
static inline size_t cc_count_events(struct cc_fixture *f, const char *detail_type,
                                     const char *event)
{
    json_t *all = cc_events(f);
    size_t n = 0, i;
    json_t *e;
    json_array_foreach(all, i, e)
    {
        n += cc_event_is(e, detail_type, event);
    }
    json_decref(all);
    return n;
}

/* The last outbox event that cc_event_is(detail_type, event), which must
 * exist (the caller frees). */
static inline json_t *cc_last_event(struct cc_fixture *f, const char *detail_type,
                                    const char *event)
{
    json_t *all = cc_events(f);
    json_t *found = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(all, i, e)
    {
        if (cc_event_is(e, detail_type, event)) {
            json_decref(found);
            found = json_incref(e);
        }
    }
    json_decref(all);
    assert_non_null(found);
    return found;
}

#endif
