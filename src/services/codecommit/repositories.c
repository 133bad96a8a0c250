#include "base/common.h"
#include "services/codecommit/codecommit_internal.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "aws/arn.h"
#include "aws/pagination.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/ids.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "services/codecommit/approval_rules.h"
#include "services/codecommit/comments.h"
#include "services/common/record.h"

/*
 * Repositories: the metadata records and the bare repositories on disk.
 * A repository is created on disk first, under its new id, and then
 * recorded; a failure in between leaves an unreferenced directory, never a
 * record without its repository. Deletion removes the records first, then
 * the directory.
 */

#define TAGS_MAX        50
#define TAG_KEY_MAX     128
#define TAG_VALUE_MAX   256
#define BATCH_NAMES_MAX 100 /* MaximumRepositoryNamesExceededException's number */
#define LIST_PAGE       1000

/* A text's length as AWS's limits count it: in characters, not bytes. */
static size_t text_length(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t count = 0;
    for (size_t i = 0; i < len; count++) {
        size_t n = p[i] < 0x80 ? 1 : utf8_sequence_len(p + i, len - i);
        i += n ? n : 1;
    }
    return count;
}

static int description_check(struct api_call *call, const char *description)
{
    if (description && text_length(description, strlen(description)) > CC_DESCRIPTION_MAX)
        return api_error(call, ERR_INVALID, "InvalidRepositoryDescriptionException",
                         "The description for the repository is not valid. Repository "
                         "descriptions can be up to %d characters in length.",
                         CC_DESCRIPTION_MAX);
    return 0;
}

static int tags_check(struct api_call *call, json_t *tags, size_t have)
{
    if (!tags)
        return 0;
    if (!json_is_object(tags))
        return api_error(call, ERR_INVALID, "InvalidTagsMapException",
                         "The map of tags is not valid.");
    if (have + json_object_size(tags) > TAGS_MAX)
        return api_error(call, ERR_LIMIT, "TooManyTagsException",
                         "The maximum number of tags for a CodeCommit resource is %d.", TAGS_MAX);
    const char *key;
    json_t *value;
    json_object_foreach(tags, key, value)
    {
        size_t klen = text_length(key, strlen(key));
        if (klen == 0 || klen > TAG_KEY_MAX || !json_is_string(value) ||
            text_length(json_string_value(value), json_string_length(value)) > TAG_VALUE_MAX)
            return api_error(call, ERR_INVALID, "InvalidTagsMapException",
                             "The map of tags is not valid: tag keys are 1 to %d characters "
                             "and values up to %d characters.",
                             TAG_KEY_MAX, TAG_VALUE_MAX);
        if (strncasecmp(key, "aws:", 4) == 0)
            return api_error(call, ERR_INVALID, "InvalidSystemTagUsageException",
                             "The tag key '%s' is not valid: the prefix 'aws:' is reserved for "
                             "system use.",
                             key);
    }
    return 0;
}

/* A bare repository at `path`, configured for serving over smart HTTP. */
static int repository_init(struct api_call *call, const char *path)
{
    git_repository_init_options opts;
    git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    opts.flags =
        GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
    opts.mode = GIT_REPOSITORY_INIT_SHARED_UMASK;
    opts.initial_head = "main";
    git_repository *git = NULL;
    if (git_repository_init_ext(&git, path, &opts) < 0)
        return cc_git_fail(call, "cannot create the repository");
    git_config *cfg = NULL;
    int rc = git_repository_config(&cfg, git);
    static const struct {
        const char *name;
        bool value;
    } settings[] = {
        /* Pushes come authenticated through the server (REMOTE_USER). */
        {"http.receivepack", true},
        {"http.uploadpack", true},
        /* Partial clones and fetching a commit by id, as CodeCommit allows. */
        {"uploadpack.allowFilter", true},
        {"uploadpack.allowReachableSHA1InWant", true},
        /* Deleting or rewriting history is the pusher's right, as on
         * CodeCommit; IAM policies are what protect branches. */
        {"receive.denyDeletes", false},
        {"receive.denyNonFastForwards", false},
        {"core.logAllRefUpdates", true},
    };
    for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(settings); i++)
        rc = git_config_set_bool(cfg, settings[i].name, settings[i].value);
    git_config_free(cfg);
    git_repository_free(git);
    if (rc < 0)
        return cc_git_fail(call, "cannot configure the repository");
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Removes a repository directory; failures are logged, not fatal: the
 * records are gone already and a leftover directory harms nothing. */
static void repository_remove(const char *path)
{
    char doomed[4200];
    snprintf(doomed, sizeof(doomed), "%s.deleted", path);
    const char *target = rename(path, doomed) == 0 ? doomed : path;
    if (nftw(target, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
        log_warn("codecommit", "cannot remove '%s': %s", target, strerror(errno));
}

int cc_create_repository(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = cc_str(in, "repositoryName");
    const char *description = cc_str(in, "repositoryDescription");
    json_t *tags = json_object_get(in, "tags");
    int rc = cc_repo_name_check(call, name);
    if (rc < 0)
        return rc;
    char arn[200];
    struct buf arn_buf = BUF_INIT;
    arn_format(&arn_buf, "codecommit", call->region, call->account_id, name);
    snprintf(arn, sizeof(arn), "%s", arn_buf.data);
    buf_release(&arn_buf);
    if ((rc = api_authorize(call, "codecommit:CreateRepository", arn)) < 0)
        return rc;
    if (json_object_size(tags) && (rc = api_authorize(call, "codecommit:TagResource", arn)) < 0)
        return rc;
    if ((rc = description_check(call, description)) < 0 || (rc = tags_check(call, tags, 0)) < 0)
        return rc;
    const char *kms = cc_str(in, "kmsKeyId");
    if (kms && strcmp(kms, "alias/aws/codecommit") != 0)
        return api_error(call, ERR_INVALID, "EncryptionKeyInvalidIdException",
                         "The encryption key '%s' cannot be used: slipway keeps repositories "
                         "under the server's own storage and does not encrypt them with KMS "
                         "keys; leave kmsKeyId out.",
                         kms);

    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    size_t count = 0;
    if ((rc = store_doc_count(&count, call->store, NULL, CC_KIND_REPOSITORY, scope, NULL)) < 0)
        return rc;
    if (count >= CC_REPOSITORIES_MAX)
        return api_error(call, ERR_LIMIT, "RepositoryLimitExceededException",
                         "A repository limit was exceeded: at most %d repositories per account "
                         "and region.",
                         CC_REPOSITORIES_MAX);
    bool exists = false;
    if ((rc = record_exists(&exists, call->store, NULL, CC_KIND_REPOSITORY, scope, name)) < 0)
        return rc;
    if (exists)
        return api_error(call, ERR_EXISTS, "RepositoryNameExistsException",
                         "Repository named %s already exists", name);

    char id[UUID_TEXT_LEN];
    uuid_v4(id);
    json_t *record = json_pack("{s:s, s:s, s:I, s:I}", "repositoryId", id, "repositoryName", name,
                               "creationDate", (json_int_t)call->now_ms, "lastModifiedDate",
                               (json_int_t)call->now_ms);
    if (description)
        json_object_set_new(record, "repositoryDescription", json_string(description));
    if (json_object_size(tags))
        json_object_set(record, "tags", tags);
    struct codecommit_repo loc;
    cc_repo_locate(&loc, call, record);

    cc_git_init();
    if ((rc = repository_init(call, loc.path)) < 0) {
        json_decref(record);
        repository_remove(loc.path);
        return rc;
    }
    json_t *index = json_pack("{s:s, s:s, s:s}", "accountId", call->account_id, "region",
                              call->region, "repositoryName", name);
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    rc = store_tx_begin(&tx, call->store);
    /* Counted again where no other create can come between. */
    if (rc == 0)
        rc = store_doc_count(&count, call->store, tx, CC_KIND_REPOSITORY, scope, NULL);
    if (rc == 0 && count >= CC_REPOSITORIES_MAX)
        rc = api_error(call, ERR_LIMIT, "RepositoryLimitExceededException",
                       "A repository limit was exceeded: at most %d repositories per account "
                       "and region.",
                       CC_REPOSITORIES_MAX);
    if (rc == 0)
        rc = record_insert(call->store, tx, CC_KIND_REPOSITORY, scope, name, record);
    if (rc == 0)
        rc = record_insert(call->store, tx, CC_KIND_REPOSITORY_ID, "all", id, index);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    json_decref(index);
    if (rc < 0) {
        repository_remove(loc.path);
        json_decref(record);
        if (rc == ERR_EXISTS)
            return api_error(call, ERR_EXISTS, "RepositoryNameExistsException",
                             "Repository named %s already exists", name);
        return rc;
    }
    *out = json_pack("{s:o}", "repositoryMetadata", cc_repo_metadata(call, record));
    json_decref(record);
    return 0;
}

int cc_get_repository(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_repo repo;
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    *out = json_pack("{s:o}", "repositoryMetadata", cc_repo_metadata(call, repo.record));
    cc_repo_close(&repo);
    return 0;
}

int cc_batch_get_repositories(struct api_call *call, json_t *in, json_t **out)
{
    json_t *names = json_object_get(in, "repositoryNames");
    if (!names)
        return api_error(call, ERR_INVALID, "RepositoryNamesRequiredException",
                         "At least one repository name is required, but was not specified.");
    if (json_array_size(names) > BATCH_NAMES_MAX)
        return api_error(call, ERR_LIMIT, "MaximumRepositoryNamesExceededException",
                         "The maximum number of allowed repository names was exceeded. "
                         "Currently, this number is %d.",
                         BATCH_NAMES_MAX);
    size_t i;
    json_t *v;
    int rc;
    json_array_foreach(names, i, v)
    {
        if ((rc = cc_repo_name_check(call, json_string_value(v))) < 0)
            return rc;
    }
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    json_t *found = json_array(), *missing = json_array(), *errors = json_array();
    json_array_foreach(names, i, v)
    {
        const char *name = json_string_value(v);
        struct buf arn = BUF_INIT;
        arn_format(&arn, "codecommit", call->region, call->account_id, name);
        rc = api_authorize(call, "codecommit:BatchGetRepositories", arn.data);
        buf_release(&arn);
        if (rc < 0)
            goto fail;
        json_t *record = NULL;
        rc = record_get(&record, NULL, call->store, NULL, CC_KIND_REPOSITORY, scope, name);
        if (rc == ERR_NOT_FOUND) {
            json_array_append(missing, v);
            json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "repositoryName", name,
                                                    "errorCode", "RepositoryDoesNotExistException",
                                                    "errorMessage", "Repository does not exist"));
            continue;
        }
        if (rc < 0)
            goto fail;
        json_array_append_new(found, cc_repo_metadata(call, record));
        json_decref(record);
    }
    *out = json_pack("{s:o, s:o}", "repositories", found, "repositoriesNotFound", missing);
    /* Clients older than the errors member ignore it. */
    json_object_set_new(*out, "errors", errors);
    return 0;
fail:
    json_decref(found);
    json_decref(missing);
    json_decref(errors);
    return rc;
}

struct listed {
    const char *name;
    const char *id;
    int64_t modified;
};

static int listed_by_name(const void *a, const void *b)
{
    return strcmp(((const struct listed *)a)->name, ((const struct listed *)b)->name);
}

static int listed_by_date(const void *a, const void *b)
{
    const struct listed *x = a, *y = b;
    if (x->modified != y->modified)
        return x->modified < y->modified ? -1 : 1;
    return strcmp(x->name, y->name);
}

int cc_list_repositories(struct api_call *call, json_t *in, json_t **out)
{
    int rc = api_authorize(call, "codecommit:ListRepositories", "*");
    if (rc < 0)
        return rc;
    const char *sort_by = cc_str(in, "sortBy");
    const char *order = cc_str(in, "order");
    if (sort_by && strcmp(sort_by, "repositoryName") != 0 &&
        strcmp(sort_by, "lastModifiedDate") != 0)
        return api_error(call, ERR_INVALID, "InvalidSortByException",
                         "The specified sort by value is not valid: use repositoryName or "
                         "lastModifiedDate.");
    if (order && strcmp(order, "ascending") != 0 && strcmp(order, "descending") != 0)
        return api_error(call, ERR_INVALID, "InvalidOrderException",
                         "The specified sort order is not valid: use ascending or descending.");
    size_t offset = 0;
    const char *token = cc_str(in, "nextToken");
    if (token) {
        char *after = NULL, *end = NULL;
        if (pagination_token_decode(&after, token) < 0 || !after ||
            (errno = 0, offset = strtoull(after, &end, 10), errno || *end || end == after)) {
            free(after);
            return api_error(call, ERR_INVALID, "InvalidContinuationTokenException",
                             "The specified continuation token is not valid.");
        }
        free(after);
    }

    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    json_t *all = json_array();
    char *after = NULL;
    for (;;) {
        json_t *page = NULL;
        bool more = false;
        if ((rc = record_list(&page, &more, call->store, NULL, CC_KIND_REPOSITORY, scope, NULL,
                              after, 0)) < 0)
            break;
        json_array_extend(all, page);
        size_t n = json_array_size(page);
        free(after);
        after = n ? xstrdup(cc_str(json_array_get(page, n - 1), "_name")) : NULL;
        json_decref(page);
        if (!more || !after)
            break;
    }
    free(after);
    if (rc < 0) {
        json_decref(all);
        return rc;
    }
    size_t n = json_array_size(all);
    struct listed *items = xcalloc(n ? n : 1, sizeof(*items));
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(all, i);
        items[i] =
            (struct listed){cc_str(r, "repositoryName") ?: "", cc_str(r, "repositoryId") ?: "",
                            json_integer_value(json_object_get(r, "lastModifiedDate"))};
    }
    bool by_date = sort_by && strcmp(sort_by, "lastModifiedDate") == 0;
    qsort(items, n, sizeof(*items), by_date ? listed_by_date : listed_by_name);
    bool descending = order && strcmp(order, "descending") == 0;
    json_t *repos = json_array();
    size_t i;
    for (i = offset; i < n && i < offset + LIST_PAGE; i++) {
        const struct listed *it = &items[descending ? n - 1 - i : i];
        json_array_append_new(
            repos, json_pack("{s:s, s:s}", "repositoryName", it->name, "repositoryId", it->id));
    }
    *out = json_pack("{s:o}", "repositories", repos);
    if (i < n) {
        char next[32];
        snprintf(next, sizeof(next), "%zu", i);
        struct buf tok = BUF_INIT;
        pagination_token_encode(&tok, next);
        json_object_set_new(*out, "nextToken", json_string(tok.data));
        buf_release(&tok);
    }
    free(items);
    json_decref(all);
    return 0;
}

int cc_forget_repository(struct store *st, struct store_tx *tx, const struct api_call *call,
                         const char *repository_id)
{
    static int (*const forget[])(struct store *, struct store_tx *, const struct api_call *,
                                 const char *) = {
        cc_comments_forget_repository,
        cc_triggers_forget_repository,
        cc_pull_requests_forget_repository,
    };
    for (size_t i = 0; i < ARRAY_SIZE(forget); i++) {
        int rc = forget[i](st, tx, call, repository_id);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int cc_delete_repository(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = cc_str(in, "repositoryName");
    struct cc_repo repo;
    int rc = cc_repo_open(&repo, call, name, NULL);
    /* Deleting a repository that is gone already succeeds without an id. */
    if (rc == ERR_NOT_FOUND && strcmp(call->error_code, "RepositoryDoesNotExistException") == 0) {
        call->error_code[0] = '\0';
        *out = json_object();
        return 0;
    }
    if (rc < 0)
        return rc;
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    rc = store_tx_begin(&tx, call->store);
    if (rc == 0) {
        /* Whatever changed meanwhile, the delete wins; a rename or a delete
         * that got there first leaves nothing under this name to delete. */
        json_t *now = NULL;
        rc = record_get(&now, NULL, call->store, tx, CC_KIND_REPOSITORY, scope, name);
        if (rc == 0 && strcmp(cc_str(now, "repositoryId") ?: "", repo.loc.id) != 0)
            rc = ERR_NOT_FOUND;
        json_decref(now);
        if (rc == ERR_NOT_FOUND) {
            cc_repo_close(&repo);
            *out = json_object();
            return 0;
        }
    }
    if (rc == 0)
        rc = store_doc_delete(call->store, tx, CC_KIND_REPOSITORY, scope, name, 0);
    if (rc == 0)
        rc = store_doc_delete(call->store, tx, CC_KIND_REPOSITORY_ID, "all", repo.loc.id, 0);
    if (rc == 0) {
        rc = store_doc_delete(call->store, tx, CC_KIND_REFS, "all", repo.loc.id, 0);
        if (rc == ERR_NOT_FOUND)
            rc = 0;
    }
    if (rc == 0)
        rc = cc_forget_repository(call->store, tx, call, repo.loc.id);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc < 0) {
        cc_repo_close(&repo);
        return rc;
    }
    git_repository_free(repo.git);
    repo.git = NULL;
    repository_remove(repo.loc.path);
    *out = json_pack("{s:s}", "repositoryId", repo.loc.id);
    cc_repo_close(&repo);
    return 0;
}

/* Applies `change` to the named repository's record, read and written in
 * one transaction. */
typedef int (*record_change_fn)(struct api_call *call, struct cc_repo *repo, json_t *record,
                                void *ctx);

static int repository_change(struct api_call *call, const char *name, record_change_fn change,
                             void *ctx)
{
    struct cc_repo repo;
    int rc = cc_repo_open(&repo, call, name, NULL);
    if (rc < 0)
        return rc;
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    /* Read again and written in one transaction: no other change of the
     * record can come between, so none is lost and none makes this fail. */
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *record = NULL;
    int64_t version = 0;
    rc = store_tx_begin(&tx, call->store);
    if (rc == 0) {
        rc = record_get(&record, &version, call->store, tx, CC_KIND_REPOSITORY, scope, name);
        if (rc == ERR_NOT_FOUND)
            rc = api_error(call, ERR_NOT_FOUND, "RepositoryDoesNotExistException",
                           "%s does not exist", name);
    }
    if (rc == 0)
        rc = change(call, &repo, record, ctx);
    if (rc == 0) {
        json_object_set_new(record, "lastModifiedDate", json_integer(call->now_ms));
        rc = record_update(call->store, tx, CC_KIND_REPOSITORY, scope, name, version, record);
    }
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    json_decref(record);
    cc_repo_close(&repo);
    return rc;
}

static int description_change(struct api_call *call, struct cc_repo *repo, json_t *record,
                              void *ctx)
{
    (void)repo;
    const char *description = ctx;
    int rc = description_check(call, description);
    if (rc < 0)
        return rc;
    if (description)
        json_object_set_new(record, "repositoryDescription", json_string(description));
    else
        json_object_del(record, "repositoryDescription");
    return 0;
}

int cc_update_repository_description(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    return repository_change(call, cc_str(in, "repositoryName"), description_change,
                             (void *)cc_str(in, "repositoryDescription"));
}

static int default_branch_change(struct api_call *call, struct cc_repo *repo, json_t *record,
                                 void *ctx)
{
    const char *branch = ctx;
    int rc = cc_branch_name_check(call, branch, "defaultBranchName");
    if (rc < 0)
        return rc;
    char refname[300];
    snprintf(refname, sizeof(refname), "refs/heads/%s", branch);
    git_reference *ref = NULL;
    rc = git_reference_lookup(&ref, repo->git, refname);
    git_reference_free(ref);
    if (rc == GIT_ENOTFOUND)
        return api_error(call, ERR_NOT_FOUND, "BranchDoesNotExistException",
                         "Branch %s does not exist", branch);
    if (rc < 0)
        return cc_git_fail(call, "cannot read the branch");
    json_object_set_new(record, "defaultBranch", json_string(branch));
    return 0;
}

int cc_update_default_branch(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = cc_str(in, "repositoryName");
    const char *branch = cc_str(in, "defaultBranchName");
    if (!branch || !branch[0]) {
        /* Name the repository problem first, as CodeCommit does. */
        int rc = cc_repo_name_check(call, name);
        if (rc < 0)
            return rc;
        return api_error(call, ERR_INVALID, "BranchNameRequiredException",
                         "A branch name is required, but was not specified.");
    }
    int rc = repository_change(call, name, default_branch_change, (void *)branch);
    if (rc < 0)
        return rc;
    /* HEAD follows the record; the record is what the API answers from, so
     * it is written first and HEAD (what a clone checks out) after. */
    struct cc_repo repo;
    if ((rc = cc_repo_open(&repo, call, name, NULL)) < 0)
        return rc;
    char refname[300];
    snprintf(refname, sizeof(refname), "refs/heads/%s", branch);
    if (git_repository_set_head(repo.git, refname) < 0)
        rc = cc_git_fail(call, "cannot point HEAD at the default branch");
    cc_repo_close(&repo);
    return rc;
}

int cc_update_repository_name(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *old_name = cc_str(in, "oldName");
    const char *new_name = cc_str(in, "newName");
    int rc = cc_repo_name_check(call, new_name);
    if (rc < 0)
        return rc;
    struct cc_repo repo;
    if ((rc = cc_repo_open(&repo, call, old_name, NULL)) < 0)
        return rc;
    if (strcmp(old_name, new_name) == 0) {
        cc_repo_close(&repo);
        return 0;
    }
    /* The new name is a resource of its own: a caller allowed to rename
     * only within some names must not escape them (and policies on the new
     * name's ARN start applying to the repository). */
    struct buf new_arn = BUF_INIT;
    arn_format(&new_arn, "codecommit", call->region, call->account_id, new_name);
    rc = api_authorize(call, "codecommit:UpdateRepositoryName", new_arn.data);
    buf_release(&new_arn);
    if (rc < 0) {
        cc_repo_close(&repo);
        return rc;
    }
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    json_t *record = NULL;
    json_t *index = json_pack("{s:s, s:s, s:s}", "accountId", call->account_id, "region",
                              call->region, "repositoryName", new_name);
    /* Read, moved and written in one transaction, so no change made
     * meanwhile is lost. */
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    rc = store_tx_begin(&tx, call->store);
    if (rc == 0) {
        rc = record_get(&record, NULL, call->store, tx, CC_KIND_REPOSITORY, scope, old_name);
        if (rc == ERR_NOT_FOUND)
            rc = api_error(call, ERR_NOT_FOUND, "RepositoryDoesNotExistException",
                           "%s does not exist", old_name);
    }
    if (rc == 0) {
        json_object_set_new(record, "repositoryName", json_string(new_name));
        json_object_set_new(record, "lastModifiedDate", json_integer(call->now_ms));
        rc = store_doc_delete(call->store, tx, CC_KIND_REPOSITORY, scope, old_name, 0);
    }
    if (rc == 0) {
        rc = record_insert(call->store, tx, CC_KIND_REPOSITORY, scope, new_name, record);
        if (rc == ERR_EXISTS)
            rc = api_error(call, ERR_EXISTS, "RepositoryNameExistsException",
                           "Repository named %s already exists", new_name);
    }
    if (rc == 0)
        rc = record_upsert(call->store, tx, CC_KIND_REPOSITORY_ID, "all", repo.loc.id, index);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    json_decref(index);
    json_decref(record);
    cc_repo_close(&repo);
    return rc;
}

/* ---- tags ------------------------------------------------------------------ */

/* The repository a resource ARN names, opened with the call's action. */
static int resource_open(struct cc_repo *out, struct api_call *call, json_t *in)
{
    const char *arn_text = cc_str(in, "resourceArn");
    if (!arn_text || !arn_text[0])
        return api_error(call, ERR_INVALID, "ResourceArnRequiredException",
                         "A valid Amazon Resource Name (ARN) for a CodeCommit resource is "
                         "required, but was not specified.");
    struct arn arn;
    if (arn_parse(&arn, arn_text) < 0 || strcmp(arn.service, "codecommit") != 0 ||
        strcmp(arn.region, call->region) != 0 || strcmp(arn.account, call->account_id) != 0 ||
        cc_repo_name_check(call, arn.resource) < 0) {
        call->error_code[0] = '\0';
        return api_error(call, ERR_INVALID, "InvalidResourceArnException",
                         "The value for the resource ARN is not valid: '%s' is not the ARN of a "
                         "CodeCommit repository in this account and region.",
                         arn_text);
    }
    return cc_repo_open(out, call, arn.resource, NULL);
}

static int tags_add(struct api_call *call, struct cc_repo *repo, json_t *record, void *ctx)
{
    (void)repo;
    json_t *tags = ctx;
    json_t *have = json_object_get(record, "tags");
    json_t *merged = have ? json_deep_copy(have) : json_object();
    json_object_update(merged, tags);
    if (json_object_size(merged) > TAGS_MAX) {
        json_decref(merged);
        return api_error(call, ERR_LIMIT, "TooManyTagsException",
                         "The maximum number of tags for a CodeCommit resource is %d.", TAGS_MAX);
    }
    json_object_set_new(record, "tags", merged);
    return 0;
}

static int tags_remove(struct api_call *call, struct cc_repo *repo, json_t *record, void *ctx)
{
    (void)call;
    (void)repo;
    json_t *keys = ctx;
    json_t *have = json_object_get(record, "tags");
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) json_object_del(have, json_string_value(k));
    return 0;
}

int cc_tag_resource(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    struct cc_repo repo;
    int rc = resource_open(&repo, call, in);
    if (rc < 0)
        return rc;
    json_t *tags = json_object_get(in, "tags");
    if (!tags)
        rc = api_error(call, ERR_INVALID, "TagsMapRequiredException", "A map of tags is required.");
    else
        rc = tags_check(call, tags, 0);
    char name[CODECOMMIT_NAME_MAX + 1];
    snprintf(name, sizeof(name), "%s", repo.loc.name);
    cc_repo_close(&repo);
    if (rc < 0)
        return rc;
    return repository_change(call, name, tags_add, tags);
}

int cc_untag_resource(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    struct cc_repo repo;
    int rc = resource_open(&repo, call, in);
    if (rc < 0)
        return rc;
    json_t *keys = json_object_get(in, "tagKeys");
    if (!keys)
        rc = api_error(call, ERR_INVALID, "TagKeysListRequiredException",
                       "A list of tag keys is required. The list cannot be empty or null.");
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        size_t len =
            json_is_string(k) ? text_length(json_string_value(k), json_string_length(k)) : 0;
        if (rc == 0 && (len == 0 || len > TAG_KEY_MAX))
            rc = api_error(call, ERR_INVALID, "InvalidTagKeysListException",
                           "The list of tags is not valid: keys are 1 to %d characters.",
                           TAG_KEY_MAX);
        /* System tags are neither set nor removed by callers. */
        if (rc == 0 && strncasecmp(json_string_value(k), "aws:", 4) == 0)
            rc = api_error(call, ERR_INVALID, "InvalidSystemTagUsageException",
                           "The tag key '%s' is not valid: the prefix 'aws:' is reserved for "
                           "system use.",
                           json_string_value(k));
    }
    char name[CODECOMMIT_NAME_MAX + 1];
    snprintf(name, sizeof(name), "%s", repo.loc.name);
    cc_repo_close(&repo);
    if (rc < 0)
        return rc;
    return repository_change(call, name, tags_remove, keys);
}

int cc_list_tags_for_resource(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_repo repo;
    int rc = resource_open(&repo, call, in);
    if (rc < 0)
        return rc;
    const char *token = cc_str(in, "nextToken");
    if (token && token[0]) {
        cc_repo_close(&repo);
        /* All of a repository's tags (at most 50) fit in one page, so no
         * token was ever handed out. */
        return api_error(call, ERR_INVALID, "InvalidContinuationTokenException",
                         "The specified continuation token is not valid.");
    }
    json_t *tags = json_object_get(repo.record, "tags");
    *out = json_pack("{s:o}", "tags", tags ? json_deep_copy(tags) : json_object());
    cc_repo_close(&repo);
    return 0;
}
