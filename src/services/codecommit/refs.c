#include "base/common.h"
#include "services/codecommit/codecommit_internal.h"
#include "services/codecommit/approval_rules.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "services/common/event.h"
#include "services/common/record.h"

/*
 * Ref state and its events. Git moves refs in two ways here: pushes, inside
 * `git http-backend`, and API calls, through libgit2. Either way the move
 * reaches the disk first; then the refs are read back and compared with
 * the state last recorded (CC_KIND_REFS), and every difference becomes a
 * "CodeCommit Repository State Change" event in the outbox, in the
 * transaction that records the new state. The store transaction admits one
 * writer at a time, so records are serial: a ref's events come in the
 * order its values were recorded, each event's old commit is the previous
 * event's new one, and a crash between the move and the record is made
 * good by codecommit_reconcile() at start-up. Two pushes to one branch
 * landing within the same record are reported as one update, from the
 * first old commit to the last new one (docs/codecommit.md).
 */

#define SCOPE_ALL "all"

/* The branches and tags on disk, {"refs/heads/main": "<commit id>"}. */
static int disk_refs(json_t **out, git_repository *git)
{
    git_reference_iterator *it = NULL;
    if (git_reference_iterator_glob_new(&it, git, "refs/*") < 0)
        return err_set(ERR_INTERNAL, "cannot list refs: %s", cc_git_message());
    json_t *refs = json_object();
    git_reference *ref;
    int rc;
    while ((rc = git_reference_next(&ref, it)) == 0) {
        const char *name = git_reference_name(ref);
        bool wanted = strncmp(name, "refs/heads/", 11) == 0 || strncmp(name, "refs/tags/", 10) == 0;
        if (wanted && git_reference_type(ref) == GIT_REFERENCE_DIRECT) {
            /* A tag names its commit in events, annotated or not. */
            git_object *peeled = NULL;
            const git_oid *oid = git_reference_target(ref);
            if (git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT) == 0)
                oid = git_object_id(peeled);
            char hex[GIT_OID_HEXSZ + 1];
            git_oid_tostr(hex, sizeof(hex), oid);
            json_object_set_new(refs, name, json_string(hex));
            git_object_free(peeled);
        }
        git_reference_free(ref);
    }
    git_reference_iterator_free(it);
    if (rc != GIT_ITEROVER) {
        json_decref(refs);
        return err_set(ERR_INTERNAL, "cannot list refs: %s", cc_git_message());
    }
    *out = refs;
    return 0;
}

static int ref_event_append(struct store *st, struct store_tx *tx,
                            const struct codecommit_repo *repo, const char *caller_arn,
                            const char *kind, const char *refname, const char *old_id,
                            const char *new_id)
{
    bool branch = strncmp(refname, "refs/heads/", 11) == 0;
    const char *short_name = refname + (branch ? 11 : 10);
    json_t *detail =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "event", kind, "repositoryName", repo->name,
                  "repositoryId", repo->id, "referenceType", branch ? "branch" : "tag",
                  "referenceName", short_name, "referenceFullName", refname);
    if (new_id)
        json_object_set_new(detail, "commitId", json_string(new_id));
    if (old_id)
        json_object_set_new(detail, "oldCommitId", json_string(old_id));
    if (caller_arn && caller_arn[0])
        json_object_set_new(detail, "callerUserArn", json_string(caller_arn));

    const struct event_source src = {
        .source = "aws.codecommit",
        .detail_type = "CodeCommit Repository State Change",
        .account = repo->account_id,
        .region = repo->region,
    };
    return event_append(NULL, st, tx, &src, json_pack("[s]", repo->arn), detail);
}

/*
 * An empty repository's first branch becomes its default branch (HEAD), as
 * CodeCommit does, preferring "main" and then "master" when one push
 * brings several.
 */
static int default_branch_adopt(struct store *st, struct store_tx *tx,
                                const struct codecommit_repo *repo, git_repository *git,
                                json_t *refs)
{
    char scope[CC_SCOPE_MAX];
    snprintf(scope, sizeof(scope), "%s/%s", repo->account_id, repo->region);
    json_t *record = NULL;
    int64_t version = 0;
    int rc = record_get(&record, &version, st, tx, CC_KIND_REPOSITORY, scope, repo->name);
    if (rc == ERR_NOT_FOUND)
        return 0; /* deleted meanwhile */
    if (rc < 0)
        return rc;
    const char *have = cc_str(record, "defaultBranch");
    char refname[300];
    if (have)
        snprintf(refname, sizeof(refname), "refs/heads/%s", have);
    if (have && json_object_get(refs, refname)) {
        json_decref(record);
        return 0;
    }
    const char *chosen = NULL;
    if (json_object_get(refs, "refs/heads/main"))
        chosen = "refs/heads/main";
    else if (json_object_get(refs, "refs/heads/master"))
        chosen = "refs/heads/master";
    else {
        const char *name;
        json_t *v;
        json_object_foreach(refs, name, v)
        {
            if (strncmp(name, "refs/heads/", 11) == 0) {
                chosen = name;
                break;
            }
        }
    }
    /* A default branch that was deleted stays named until another is set,
     * as on CodeCommit; only a repository without one adopts a branch. */
    if (!chosen || have) {
        json_decref(record);
        return 0;
    }
    if (git_repository_set_head(git, chosen) < 0) {
        json_decref(record);
        return err_set(ERR_INTERNAL, "cannot set HEAD: %s", cc_git_message());
    }
    json_object_set_new(record, "defaultBranch", json_string(chosen + 11));
    rc = record_update(st, tx, CC_KIND_REPOSITORY, scope, repo->name, version, record);
    json_decref(record);
    return rc;
}

static int refs_record_in(struct store *st, struct store_tx *tx, const struct codecommit_repo *repo,
                          git_repository *git, const char *caller_arn, size_t *changed_out)
{
    json_t *stored_doc = NULL;
    int rc = record_get(&stored_doc, NULL, st, tx, CC_KIND_REFS, SCOPE_ALL, repo->id);
    if (rc == ERR_NOT_FOUND) {
        stored_doc = json_pack("{s:{}}", "refs");
        rc = 0;
    }
    if (rc < 0)
        return rc;
    json_t *stored = json_object_get(stored_doc, "refs");
    json_t *now = NULL;
    if ((rc = disk_refs(&now, git)) < 0) {
        json_decref(stored_doc);
        return rc;
    }

    size_t changed = 0;
    const char *name;
    json_t *value;
    json_object_foreach(now, name, value)
    {
        const char *old_id = json_string_value(json_object_get(stored, name));
        const char *new_id = json_string_value(value);
        if (old_id && strcmp(old_id, new_id) == 0)
            continue;
        rc = ref_event_append(st, tx, repo, caller_arn,
                              old_id ? "referenceUpdated" : "referenceCreated", name, old_id,
                              new_id);
        if (rc < 0)
            goto done;
        changed++;
    }
    json_object_foreach(stored, name, value)
    {
        if (json_object_get(now, name))
            continue;
        rc = ref_event_append(st, tx, repo, caller_arn, "referenceDeleted", name,
                              json_string_value(value), NULL);
        if (rc < 0)
            goto done;
        changed++;
    }
    if (changed) {
        json_t *doc = json_pack("{s:O}", "refs", now);
        rc = record_upsert(st, tx, CC_KIND_REFS, SCOPE_ALL, repo->id, doc);
        json_decref(doc);
        if (rc == 0)
            rc = default_branch_adopt(st, tx, repo, git, now);
        /* Pull requests whose source moved or was merged outside them
         * change with the branch, in the same transaction. */
        if (rc == 0)
            rc = cc_pull_requests_sync_repository(st, tx, repo, git, caller_arn);
    }
    if (changed_out)
        *changed_out = changed;
done:
    json_decref(now);
    json_decref(stored_doc);
    return rc;
}

int cc_refs_record(struct store *st, struct store_tx *tx, const struct codecommit_repo *repo,
                   git_repository *git, const char *caller_arn)
{
    if (tx)
        return refs_record_in(st, tx, repo, git, caller_arn, NULL);
    _cleanup_store_tx_ struct store_tx *own = NULL;
    int rc = store_tx_begin(&own, st);
    if (rc < 0)
        return rc;
    if ((rc = refs_record_in(st, own, repo, git, caller_arn, NULL)) < 0)
        return rc;
    return store_tx_commit(TAKE_PTR(own));
}

/*
 * Whether the refs on disk are those last recorded, read without taking
 * the writer's lock, so that reconciling an unchanged repository costs no
 * write transaction. A difference is read again inside one.
 */
static int refs_unchanged(bool *out, struct store *st, const struct codecommit_repo *repo,
                          git_repository *git)
{
    json_t *stored = NULL, *now = NULL;
    int rc = record_get(&stored, NULL, st, NULL, CC_KIND_REFS, SCOPE_ALL, repo->id);
    if (rc == ERR_NOT_FOUND) {
        stored = json_pack("{s:{}}", "refs");
        rc = 0;
    }
    if (rc == 0)
        rc = disk_refs(&now, git);
    if (rc == 0)
        *out = json_equal(json_object_get(stored, "refs"), now);
    json_decref(stored);
    json_decref(now);
    return rc;
}

static int record_path(struct store *st, const struct codecommit_repo *repo, const char *caller_arn,
                       size_t *changed_out)
{
    cc_git_init();
    git_repository *git = NULL;
    if (git_repository_open_bare(&git, repo->path) < 0)
        return err_set(ERR_INTERNAL, "cannot open repository '%s': %s", repo->name,
                       cc_git_message());
    bool unchanged = false;
    int rc = refs_unchanged(&unchanged, st, repo, git);
    if (rc < 0 || unchanged) {
        if (changed_out)
            *changed_out = 0;
        git_repository_free(git);
        return rc;
    }
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    rc = store_tx_begin(&tx, st);
    if (rc == 0)
        rc = refs_record_in(st, tx, repo, git, caller_arn, changed_out);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    git_repository_free(git);
    return rc;
}

int codecommit_refs_record(struct store *st, const struct codecommit_repo *repo,
                           const char *caller_arn)
{
    return record_path(st, repo, caller_arn, NULL);
}

int cc_ref_move(struct api_call *call, struct cc_repo *repo, const char *refname,
                const git_oid *expected, const git_oid *target, const char *log_message)
{
    git_reference *ref = NULL;
    int rc;
    if (expected)
        rc = git_reference_create_matching(&ref, repo->git, refname, target, 1, expected,
                                           log_message);
    else
        rc = git_reference_create(&ref, repo->git, refname, target, 0, log_message);
    git_reference_free(ref);
    if (rc == GIT_EEXISTS || rc == GIT_EMODIFIED || rc == GIT_ELOCKED)
        return err_set(ERR_CONFLICT, "'%s' was changed by someone else meanwhile", refname);
    if (rc < 0)
        return cc_git_fail(call, "cannot move the reference");
    return cc_refs_record(call->store, NULL, &repo->loc, repo->git,
                          call->principal ? call->principal->arn : NULL);
}

int codecommit_reconcile_task(void *ctx, int64_t now_ms)
{
    (void)now_ms;
    const struct codecommit_context *cc = ctx;
    size_t changed = 0;
    int rc = codecommit_reconcile(&changed, cc->store, cc->data_dir);
    if (rc == 0 && changed)
        log_info("codecommit", "recorded %zu ref changes made while nobody was recording", changed);
    return rc;
}

int codecommit_reconcile(size_t *changed_out, struct store *st, const char *data_dir)
{
    size_t total = 0;
    char *after = NULL;
    int rc = 0;
    for (;;) {
        json_t *page = NULL;
        bool more = false;
        rc = record_list(&page, &more, st, NULL, CC_KIND_REPOSITORY_ID, SCOPE_ALL, NULL, after, 0);
        if (rc < 0)
            break;
        size_t i;
        json_t *item;
        json_array_foreach(page, i, item)
        {
            struct codecommit_repo repo;
            const char *id = cc_str(item, "_name");
            struct api_call where = {.account_id = cc_str(item, "accountId"),
                                     .region = cc_str(item, "region"),
                                     .data_dir = data_dir};
            if (!id || !where.account_id || !where.region)
                continue;
            json_t *located = json_pack("{s:s, s:s}", "repositoryId", id, "repositoryName",
                                        cc_str(item, "repositoryName") ?: "");
            cc_repo_locate(&repo, &where, located);
            json_decref(located);
            size_t changed = 0;
            if (record_path(st, &repo, NULL, &changed) < 0)
                log_warn("codecommit", "cannot reconcile repository '%s': %s", repo.name,
                         err_msg());
            total += changed;
            free(after);
            after = xstrdup(id);
        }
        json_decref(page);
        if (!more)
            break;
    }
    free(after);
    if (changed_out)
        *changed_out = total;
    return rc;
}
