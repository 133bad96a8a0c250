#include "base/common.h"
#include "services/codecommit/codecommit_internal.h"

#include <pthread.h>

#include "aws/arn.h"
#include "aws/validate.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/common/record.h"

/*
 * What every CodeCommit handler starts with: the named repository, checked,
 * authorized and opened; and the small shared pieces (scopes, libgit2
 * errors, commit specifiers).
 */

void cc_scope(char out[CC_SCOPE_MAX], const struct api_call *call)
{
    snprintf(out, CC_SCOPE_MAX, "%s/%s", call->account_id, call->region);
}

const char *cc_str(const json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

static pthread_once_t git_once = PTHREAD_ONCE_INIT;

static void git_init_once(void)
{
    if (git_libgit2_init() < 0)
        abort();
    /* The server owns every repository it opens; nothing is shared with
     * other users, so git's ownership check has nothing to protect. */
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
}

void cc_git_init(void)
{
    pthread_once(&git_once, git_init_once);
}

const char *cc_git_message(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown error";
}

int cc_git_fail(struct api_call *call, const char *what)
{
    (void)call;
    return err_set(ERR_INTERNAL, "%s: %s", what, cc_git_message());
}

/* ---- repositories ---------------------------------------------------------- */

int cc_repo_name_check(struct api_call *call, const char *name)
{
    if (!name || !name[0])
        return api_error(call, ERR_INVALID, "RepositoryNameRequiredException",
                         "A repository name is required, but was not specified.");
    size_t len = strlen(name);
    bool matched = false;
    if (len > CODECOMMIT_NAME_MAX || validate_pattern(&matched, "[\\w\\.-]+", name, len) < 0 ||
        !matched || (len >= 4 && strcmp(name + len - 4, ".git") == 0))
        return api_error(call, ERR_INVALID, "InvalidRepositoryNameException",
                         "The repository name is not valid. Repository names can be any valid "
                         "combination of letters, numbers, periods, underscores, and dashes "
                         "between 1 and 100 characters in length, and cannot end in .git. Names "
                         "are case sensitive.");
    return 0;
}

static void repo_path(char *out, size_t size, const char *data_dir, const char *id)
{
    snprintf(out, size, "%s/%s/%s.git", data_dir ? data_dir : ".", CC_DIR, id);
}

static void repo_arn(char *out, size_t size, const char *region, const char *account,
                     const char *name)
{
    struct buf arn = BUF_INIT;
    arn_format(&arn, "codecommit", region, account, name);
    snprintf(out, size, "%s", arn.data);
    buf_release(&arn);
}

void cc_repo_locate(struct codecommit_repo *out, const struct api_call *call, const json_t *record)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->account_id, sizeof(out->account_id), "%s", call->account_id);
    snprintf(out->region, sizeof(out->region), "%s", call->region);
    snprintf(out->name, sizeof(out->name), "%s", cc_str(record, "repositoryName") ?: "");
    snprintf(out->id, sizeof(out->id), "%s", cc_str(record, "repositoryId") ?: "");
    repo_arn(out->arn, sizeof(out->arn), out->region, out->account_id, out->name);
    repo_path(out->path, sizeof(out->path), call->data_dir, out->id);
}

int codecommit_repo_find(struct codecommit_repo *out, struct store *st, const char *data_dir,
                         const char *account_id, const char *region, const char *name)
{
    char scope[CC_SCOPE_MAX];
    snprintf(scope, sizeof(scope), "%s/%s", account_id, region);
    json_t *record = NULL;
    int rc = record_get(&record, NULL, st, NULL, CC_KIND_REPOSITORY, scope, name);
    if (rc == ERR_NOT_FOUND)
        return err_set(ERR_NOT_FOUND, "%s does not exist", name);
    if (rc < 0)
        return rc;
    struct api_call where = {.account_id = account_id, .region = region, .data_dir = data_dir};
    cc_repo_locate(out, &where, record);
    json_decref(record);
    return 0;
}

int cc_repo_open(struct cc_repo *out, struct api_call *call, const char *name, const char *action)
{
    memset(out, 0, sizeof(*out));
    int rc = cc_repo_name_check(call, name);
    if (rc < 0)
        return rc;
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    json_t *record = NULL;
    int64_t version = 0;
    rc = record_get(&record, &version, call->store, NULL, CC_KIND_REPOSITORY, scope, name);
    char arn[200];
    repo_arn(arn, sizeof(arn), call->region, call->account_id, name);
    /* Authorization comes first, so existence does not leak to a caller
     * who may not ask. */
    char own[128];
    if (!action) {
        api_action_name(own, sizeof(own), call);
        action = own;
    }
    int authz = api_authorize(call, action, arn);
    if (authz < 0) {
        json_decref(record);
        return authz;
    }
    if (rc == ERR_NOT_FOUND)
        return api_error(call, ERR_NOT_FOUND, "RepositoryDoesNotExistException",
                         "%s does not exist", name);
    if (rc < 0)
        return rc;
    cc_repo_locate(&out->loc, call, record);
    out->record = record;
    out->version = version;
    cc_git_init();
    if (git_repository_open_bare(&out->git, out->loc.path) < 0) {
        rc = cc_git_fail(call, "cannot open the repository");
        cc_repo_close(out);
        return rc;
    }
    return 0;
}

void cc_repo_close(struct cc_repo *repo)
{
    if (!repo)
        return;
    git_repository_free(repo->git);
    json_decref(repo->record);
    memset(repo, 0, sizeof(*repo));
}

json_t *cc_repo_metadata(const struct api_call *call, const json_t *record)
{
    struct codecommit_repo loc;
    cc_repo_locate(&loc, call, record);
    json_t *meta = json_object();
    json_object_set_new(meta, "accountId", json_string(call->account_id));
    static const char *const copied[] = {"repositoryId", "repositoryName", "repositoryDescription",
                                         "defaultBranch"};
    for (size_t i = 0; i < ARRAY_SIZE(copied); i++) {
        json_t *v = json_object_get(record, copied[i]);
        if (v)
            json_object_set(meta, copied[i], v);
    }
    static const char *const dates[] = {"creationDate", "lastModifiedDate"};
    for (size_t i = 0; i < ARRAY_SIZE(dates); i++) {
        json_t *v = json_object_get(record, dates[i]);
        if (v)
            json_object_set(meta, dates[i], v);
    }
    json_object_set_new(meta, "Arn", json_string(loc.arn));

    /* The clone URL is the address the caller reached this server by; a
     * region other than the server's own is a path prefix. */
    const struct header_field *host = call->http ? aws_request_header(call->http, "host") : NULL;
    bool tls = call->secure_transport;
    struct buf url = BUF_INIT;
    bool other_region = call->default_region && strcmp(call->default_region, call->region) != 0;
    buf_addf(&url, "%s://%.*s%s%s/v1/repos/%s", tls ? "https" : "http",
             host ? (int)host->value_len : 9, host ? host->value : "localhost",
             other_region ? "/" : "", other_region ? call->region : "", loc.name);
    json_object_set_new(meta, "cloneUrlHttp", json_string(url.data));
    buf_release(&url);
    return meta;
}
