#include "base/common.h"
#include "services/codecommit/approval_rules.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/ids.h"
#include "services/codecommit/text.h"
#include "services/common/record.h"

/*
 * Approval rule templates of an account and region, one record each, named
 * by template name, holding the ids of the repositories it is associated
 * with (ids, since repositories can be renamed). A pull request created in
 * an associated repository gets a rule from each template whose
 * DestinationReferences name its destination branch or that has none
 * (cc_template_rules); changing or removing a template later leaves the
 * rules of existing pull requests alone, as on CodeCommit.
 */

#define SCOPE_ALL    "all"
#define LIST_MAX     100
#define LIST_DEFAULT 100

static int authorize_templates(struct api_call *call)
{
    char action[128];
    api_action_name(action, sizeof(action), call);
    return api_authorize(call, action, "*");
}

static int name_check(struct api_call *call, const char *name)
{
    if (!name || !name[0])
        return api_error(call, ERR_INVALID, "ApprovalRuleTemplateNameRequiredException",
                         "An approval rule template name is required, but was not specified.");
    if (cc_char_count(name) > 100 || strchr(name, '/'))
        return api_error(call, ERR_INVALID, "InvalidApprovalRuleTemplateNameException",
                         "The name of the approval rule template is not valid. Template names "
                         "must be between 1 and 100 valid characters in length.");
    return 0;
}

/* Authorization on the account's templates, then `name`'s check. */
static int template_named(struct api_call *call, const char *name)
{
    int rc = authorize_templates(call);
    return rc < 0 ? rc : name_check(call, name);
}

static int content_check(struct api_call *call, const char *content, const char *member)
{
    (void)member;
    if (!content || !content[0])
        return api_error(call, ERR_INVALID, "ApprovalRuleTemplateContentRequiredException",
                         "The content for the approval rule template is empty. You must "
                         "provide some content for an approval rule template. The content "
                         "cannot be null.");
    if (cc_char_count(content) > CC_RULE_CONTENT_MAX)
        return api_error(call, ERR_INVALID, "InvalidApprovalRuleTemplateContentException",
                         "The content of the approval rule template is not valid: more than "
                         "%d characters.",
                         CC_RULE_CONTENT_MAX);
    return cc_approval_content_check(call, content, true,
                                     "InvalidApprovalRuleTemplateContentException");
}

static int description_check(struct api_call *call, const char *description)
{
    if (description && cc_char_count(description) > 1000)
        return api_error(call, ERR_INVALID, "InvalidApprovalRuleTemplateDescriptionException",
                         "The description for the approval rule template is not valid because "
                         "it exceeds the maximum characters allowed for a description (1000).");
    return 0;
}

static int template_get(json_t **out, int64_t *version, struct api_call *call, struct store_tx *tx,
                        const char *name)
{
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    int rc = record_get(out, version, call->store, tx, CC_KIND_APPROVAL_TEMPLATE, scope, name);
    if (rc == ERR_NOT_FOUND)
        return api_error(call, ERR_NOT_FOUND, "ApprovalRuleTemplateDoesNotExistException",
                         "The specified approval rule template '%s' does not exist.", name);
    return rc;
}

/* The ApprovalRuleTemplate shape. */
static json_t *template_json(const json_t *t)
{
    json_t *out = json_object();
    static const char *const copied[] = {"approvalRuleTemplateId",
                                         "approvalRuleTemplateName",
                                         "approvalRuleTemplateDescription",
                                         "approvalRuleTemplateContent",
                                         "ruleContentSha256",
                                         "lastModifiedDate",
                                         "creationDate",
                                         "lastModifiedUser"};
    for (size_t i = 0; i < ARRAY_SIZE(copied); i++) {
        json_t *v = json_object_get(t, copied[i]);
        if (v)
            json_object_set(out, copied[i], v);
    }
    return out;
}

static int template_count(size_t *out, struct api_call *call, struct store_tx *tx)
{
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    return store_doc_count(out, call->store, tx, CC_KIND_APPROVAL_TEMPLATE, scope, NULL);
}

/* Stores template `t` under its name in *tx, with its event `event`, and
 * commits. */
static int template_insert(struct api_call *call, struct store_tx **tx, json_t *t,
                           const char *event)
{
    const char *name = cc_str(t, "approvalRuleTemplateName");
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    int rc = record_insert(call->store, *tx, CC_KIND_APPROVAL_TEMPLATE, scope, name, t);
    if (rc == ERR_EXISTS)
        rc = api_error(call, ERR_EXISTS, "ApprovalRuleTemplateNameAlreadyExistsException",
                       "An approval rule template with the name '%s' already exists in this "
                       "Region.",
                       name);
    if (rc == 0)
        rc = cc_template_outbox(call, *tx, t, event, NULL);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(*tx));
    return rc;
}

int cc_create_approval_rule_template(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = cc_str(in, "approvalRuleTemplateName");
    const char *content = cc_str(in, "approvalRuleTemplateContent");
    const char *description = cc_str(in, "approvalRuleTemplateDescription");
    int rc = template_named(call, name);
    if (rc == 0)
        rc = content_check(call, content, "approvalRuleTemplateContent");
    if (rc == 0)
        rc = description_check(call, description);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    size_t count = 0;
    if ((rc = template_count(&count, call, tx)) < 0)
        return rc;
    if (count >= CC_TEMPLATES_MAX)
        return api_error(call, ERR_LIMIT, "NumberOfRuleTemplatesExceededException",
                         "The maximum number of approval rule templates (%d) has been exceeded "
                         "for this Region.",
                         CC_TEMPLATES_MAX);
    char id[UUID_TEXT_LEN], sha[65];
    uuid_v4(id);
    cc_content_sha256(sha, content);
    int64_t now = clock_now_ms();
    json_t *t =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:[]}", "approvalRuleTemplateId", id,
                  "approvalRuleTemplateName", name, "approvalRuleTemplateDescription",
                  description ?: "", "approvalRuleTemplateContent", content, "ruleContentSha256",
                  sha, "creationDate", (json_int_t)now, "lastModifiedDate", (json_int_t)now,
                  "lastModifiedUser", cc_caller_arn(call), "repositoryIds");
    rc = template_insert(call, &tx, t, "approvalRuleTemplateCreated");
    if (rc == 0)
        *out = json_pack("{s:o}", "approvalRuleTemplate", template_json(t));
    json_decref(t);
    return rc;
}

int cc_get_approval_rule_template(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = cc_str(in, "approvalRuleTemplateName");
    int rc = template_named(call, name);
    json_t *t = NULL;
    if (rc == 0)
        rc = template_get(&t, NULL, call, NULL, name);
    if (rc < 0)
        return rc;
    *out = json_pack("{s:o}", "approvalRuleTemplate", template_json(t));
    json_decref(t);
    return 0;
}

int cc_delete_approval_rule_template(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = cc_str(in, "approvalRuleTemplateName");
    int rc = template_named(call, name);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *t = NULL;
    int64_t version = 0;
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    rc = record_get(&t, &version, call->store, tx, CC_KIND_APPROVAL_TEMPLATE, scope, name);
    if (rc == ERR_NOT_FOUND) {
        /* Deleted before: CodeCommit answers 200 without content. */
        *out = json_object();
        return 0;
    }
    if (rc < 0)
        return rc;
    if (json_array_size(json_object_get(t, "repositoryIds")) > 0) {
        json_decref(t);
        return api_error(call, ERR_CONFLICT, "ApprovalRuleTemplateInUseException",
                         "The approval rule template '%s' is associated with one or more "
                         "repositories. You cannot delete a template that is associated with a "
                         "repository. Remove all associations, and then try again.",
                         name);
    }
    rc = store_doc_delete(call->store, tx, CC_KIND_APPROVAL_TEMPLATE, scope, name, version);
    if (rc == 0)
        rc = cc_template_outbox(call, tx, t, "approvalRuleTemplateDeleted", NULL);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0)
        *out = json_pack("{s:O}", "approvalRuleTemplateId",
                         json_object_get(t, "approvalRuleTemplateId"));
    json_decref(t);
    return rc;
}

ssize_t cc_template_repository_index(const json_t *t, const char *repository_id)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(t, "repositoryIds"), i, v)
    {
        if (strcmp(json_string_value(v) ?: "", repository_id) == 0)
            return (ssize_t)i;
    }
    return -1;
}

/*
 * Template names in name order after `after`, those associated with
 * `repository_id` only when it is set: up to `limit`, *more when others
 * follow. Read in `tx` when it is not NULL, so that a count made for a
 * change holds until that change commits.
 */
static int template_names(json_t **out, bool *more_out, struct api_call *call, struct store_tx *tx,
                          const char *after, int limit, const char *repository_id)
{
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    json_t *names = json_array();
    char *last = after ? xstrdup(after) : NULL;
    bool more = true;
    int rc = 0;
    while (more) {
        json_t *page = NULL;
        rc = record_list(&page, &more, call->store, tx, CC_KIND_APPROVAL_TEMPLATE, scope, NULL,
                         last, 0);
        if (rc < 0)
            break;
        size_t i;
        json_t *t;
        bool full = false;
        json_array_foreach(page, i, t)
        {
            bool wanted = !repository_id || cc_template_repository_index(t, repository_id) >= 0;
            if (!wanted) {
                free(last);
                last = xstrdup(cc_str(t, "_name") ?: "");
                continue;
            }
            if (json_array_size(names) >= (size_t)limit) {
                full = true;
                break;
            }
            free(last);
            last = xstrdup(cc_str(t, "_name") ?: "");
            json_array_append_new(names, json_string(last));
        }
        json_decref(page);
        if (full) {
            more = true;
            break;
        }
    }
    free(last);
    if (rc < 0) {
        json_decref(names);
        return rc;
    }
    *out = names;
    *more_out = more;
    return 0;
}

int cc_list_approval_rule_templates(struct api_call *call, json_t *in, json_t **out)
{
    int limit = 0;
    int rc = authorize_templates(call);
    if (rc == 0)
        rc = cc_max_results(&limit, call, in, LIST_MAX, LIST_DEFAULT);
    char *after = NULL;
    if (rc == 0)
        rc = cc_token_in(&after, call, in);
    if (rc < 0)
        return rc;
    json_t *names = NULL;
    bool more = false;
    rc = template_names(&names, &more, call, NULL, after, limit, NULL);
    free(after);
    if (rc < 0)
        return rc;
    *out = json_pack("{s:o}", "approvalRuleTemplateNames", names);
    if (more && json_array_size(names))
        cc_token_out(*out, json_string_value(json_array_get(names, json_array_size(names) - 1)));
    return 0;
}

int cc_list_associated_approval_rule_templates_for_repository(struct api_call *call, json_t *in,
                                                              json_t **out)
{
    int limit = 0;
    int rc = cc_max_results(&limit, call, in, LIST_MAX, LIST_DEFAULT);
    if (rc < 0)
        return rc;
    struct cc_repo repo;
    if ((rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL)) < 0)
        return rc;
    char *after = NULL;
    json_t *names = NULL;
    bool more = false;
    rc = cc_token_in(&after, call, in);
    if (rc == 0)
        rc = template_names(&names, &more, call, NULL, after, limit, repo.loc.id);
    free(after);
    cc_repo_close(&repo);
    if (rc < 0)
        return rc;
    *out = json_pack("{s:o}", "approvalRuleTemplateNames", names);
    if (more && json_array_size(names))
        cc_token_out(*out, json_string_value(json_array_get(names, json_array_size(names) - 1)));
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cc_list_repositories_for_approval_rule_template(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = cc_str(in, "approvalRuleTemplateName");
    int limit = 0;
    int rc = template_named(call, name);
    if (rc == 0)
        rc = cc_max_results(&limit, call, in, LIST_MAX, LIST_DEFAULT);
    char *after = NULL;
    if (rc == 0)
        rc = cc_token_in(&after, call, in);
    json_t *t = NULL;
    if (rc == 0)
        rc = template_get(&t, NULL, call, NULL, name);
    if (rc < 0) {
        free(after);
        return rc;
    }
    /* The current names of the associated repositories, in name order. */
    json_t *ids = json_object_get(t, "repositoryIds");
    size_t n = 0;
    char **repo_names = xcalloc(json_array_size(ids) + 1, sizeof(*repo_names));
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        json_t *where = NULL;
        if (record_get(&where, NULL, call->store, NULL, CC_KIND_REPOSITORY_ID, SCOPE_ALL,
                       json_string_value(v) ?: "-") == 0)
            repo_names[n++] = xstrdup(cc_str(where, "repositoryName") ?: "");
        json_decref(where);
    }
    qsort(repo_names, n, sizeof(*repo_names), compare_names);
    json_t *list = json_array();
    bool more = false;
    for (i = 0; i < n; i++) {
        if (after && strcmp(repo_names[i], after) <= 0)
            continue;
        if (json_array_size(list) >= (size_t)limit) {
            more = true;
            break;
        }
        json_array_append_new(list, json_string(repo_names[i]));
    }
    for (i = 0; i < n; i++)
        free(repo_names[i]);
    free(repo_names);
    free(after);
    json_decref(t);
    *out = json_pack("{s:o}", "repositoryNames", list);
    if (more)
        cc_token_out(*out, json_string_value(json_array_get(list, json_array_size(list) - 1)));
    return 0;
}

/* ---- updates -------------------------------------------------------------------- */

/* Reads a template for a change in `tx`. */
static int template_begin(json_t **t, int64_t *version, struct store_tx **tx, struct api_call *call,
                          const char *name)
{
    int rc = store_tx_begin(tx, call->store);
    if (rc == 0)
        rc = template_get(t, version, call, *tx, name);
    return rc;
}

/* A template changed now by the caller. */
static void template_touch(json_t *t, const struct api_call *call)
{
    json_object_set_new(t, "lastModifiedDate", json_integer(clock_now_ms()));
    json_object_set_new(t, "lastModifiedUser", json_string(cc_caller_arn(call)));
}

static int template_finish(json_t *t, int64_t version, struct store_tx **tx, struct api_call *call,
                           json_t *extra, json_t **out)
{
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    template_touch(t, call);
    int rc = record_update(call->store, *tx, CC_KIND_APPROVAL_TEMPLATE, scope,
                           cc_str(t, "approvalRuleTemplateName"), version, t);
    if (rc == 0)
        rc = cc_template_outbox(call, *tx, t, "approvalRuleTemplateUpdated", extra);
    else
        json_decref(extra);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(*tx));
    if (rc == 0)
        *out = json_pack("{s:o}", "approvalRuleTemplate", template_json(t));
    return rc;
}

int cc_update_approval_rule_template_content(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = cc_str(in, "approvalRuleTemplateName");
    const char *content = cc_str(in, "newRuleContent");
    const char *existing = cc_str(in, "existingRuleContentSha256");
    int rc = template_named(call, name);
    if (rc == 0)
        rc = content_check(call, content, "newRuleContent");
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *t = NULL;
    int64_t version = 0;
    rc = template_begin(&t, &version, &tx, call, name);
    if (rc == 0 && existing && strcmp(existing, cc_str(t, "ruleContentSha256") ?: "") != 0)
        rc = api_error(call, ERR_CONFLICT, "InvalidRuleContentSha256Exception",
                       "The SHA-256 hash signature for the rule content is not valid: it does "
                       "not match the template's current content.");
    if (rc == 0) {
        char sha[65];
        cc_content_sha256(sha, content);
        json_object_set_new(t, "approvalRuleTemplateContent", json_string(content));
        json_object_set_new(t, "ruleContentSha256", json_string(sha));
        rc = template_finish(t, version, &tx, call, NULL, out);
    }
    json_decref(t);
    return rc;
}

int cc_update_approval_rule_template_description(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = cc_str(in, "approvalRuleTemplateName");
    const char *description = cc_str(in, "approvalRuleTemplateDescription");
    int rc = template_named(call, name);
    if (rc == 0 && !description)
        rc = api_error(call, ERR_INVALID, "InvalidApprovalRuleTemplateDescriptionException",
                       "The description for the approval rule template is required.");
    if (rc == 0)
        rc = description_check(call, description);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *t = NULL;
    int64_t version = 0;
    rc = template_begin(&t, &version, &tx, call, name);
    if (rc == 0) {
        json_object_set_new(t, "approvalRuleTemplateDescription", json_string(description));
        rc = template_finish(t, version, &tx, call, NULL, out);
    }
    json_decref(t);
    return rc;
}

int cc_update_approval_rule_template_name(struct api_call *call, json_t *in, json_t **out)
{
    const char *old_name = cc_str(in, "oldApprovalRuleTemplateName");
    const char *new_name = cc_str(in, "newApprovalRuleTemplateName");
    int rc = template_named(call, old_name);
    if (rc == 0)
        rc = name_check(call, new_name);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *t = NULL;
    int64_t version = 0;
    rc = template_begin(&t, &version, &tx, call, old_name);
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    if (rc == 0 && strcmp(old_name, new_name) != 0) {
        rc = store_doc_delete(call->store, tx, CC_KIND_APPROVAL_TEMPLATE, scope, old_name, version);
        json_object_set_new(t, "approvalRuleTemplateName", json_string(new_name));
        template_touch(t, call);
        if (rc == 0)
            rc = template_insert(call, &tx, t, "approvalRuleTemplateUpdated");
    }
    if (rc == 0)
        *out = json_pack("{s:o}", "approvalRuleTemplate", template_json(t));
    json_decref(t);
    return rc;
}

/* ---- associations ---------------------------------------------------------------- */

/* Adds or removes `repository_id` in the template's list; *changed says whether it did. */
static int association_set(bool *changed, struct api_call *call, struct store_tx *tx, json_t *t,
                           const char *repository_id, bool associate)
{
    *changed = false;
    json_t *ids = json_object_get(t, "repositoryIds");
    if (!json_is_array(ids)) {
        ids = json_array();
        json_object_set_new(t, "repositoryIds", ids);
    }
    ssize_t at = cc_template_repository_index(t, repository_id);
    if (at >= 0 && !associate) {
        json_array_remove(ids, (size_t)at);
        *changed = true;
    }
    if (at >= 0 || !associate)
        return 0;
    /* The repository's own limit: templates naming it. */
    json_t *names = NULL;
    bool more = false;
    int rc =
        template_names(&names, &more, call, tx, NULL, CC_REPO_TEMPLATES_MAX + 1, repository_id);
    if (rc < 0)
        return rc;
    size_t count = json_array_size(names);
    json_decref(names);
    if (count >= CC_REPO_TEMPLATES_MAX)
        return api_error(call, ERR_LIMIT, "MaximumRuleTemplatesAssociatedWithRepositoryException",
                         "The maximum number of approval rule templates for a repository has "
                         "been exceeded. You cannot associate more than %d approval rule "
                         "templates with a repository.",
                         CC_REPO_TEMPLATES_MAX);
    json_array_append_new(ids, json_string(repository_id));
    *changed = true;
    return 0;
}

static int associate_one(struct api_call *call, json_t *in, bool associate)
{
    const char *name = cc_str(in, "approvalRuleTemplateName");
    struct cc_repo repo;
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    if ((rc = name_check(call, name)) < 0) {
        cc_repo_close(&repo);
        return rc;
    }
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *t = NULL;
    int64_t version = 0;
    bool changed = false;
    rc = template_begin(&t, &version, &tx, call, name);
    if (rc == 0)
        rc = association_set(&changed, call, tx, t, repo.loc.id, associate);
    if (rc == 0 && changed) {
        char scope[CC_SCOPE_MAX];
        cc_scope(scope, call);
        rc = record_update(call->store, tx, CC_KIND_APPROVAL_TEMPLATE, scope, name, version, t);
        if (rc == 0)
            rc = cc_template_outbox(call, tx, t,
                                    associate ? "approvalRuleTemplateAssociatedWithRepository"
                                              : "approvalRuleTemplateDisassociatedFromRepository",
                                    json_pack("{s:s}", repo.loc.name, repo.loc.id));
        if (rc == 0)
            rc = store_tx_commit(TAKE_PTR(tx));
    }
    json_decref(t);
    cc_repo_close(&repo);
    return rc;
}

int cc_associate_approval_rule_template_with_repository(struct api_call *call, json_t *in,
                                                        json_t **out)
{
    int rc = associate_one(call, in, true);
    if (rc == 0)
        *out = NULL;
    return rc;
}

int cc_disassociate_approval_rule_template_from_repository(struct api_call *call, json_t *in,
                                                           json_t **out)
{
    int rc = associate_one(call, in, false);
    if (rc == 0)
        *out = NULL;
    return rc;
}

static int batch(struct api_call *call, json_t *in, json_t **out, bool associate)
{
    const char *name = cc_str(in, "approvalRuleTemplateName");
    json_t *names = json_object_get(in, "repositoryNames");
    int rc = name_check(call, name);
    if (rc < 0)
        return rc;
    if (json_array_size(names) == 0)
        return api_error(call, ERR_INVALID, "RepositoryNamesRequiredException",
                         "At least one repository name object is required, but was not "
                         "specified.");
    if (json_array_size(names) > CC_BATCH_REPOSITORIES_MAX)
        return api_error(call, ERR_INVALID, "MaximumRepositoryNamesExceededException",
                         "The maximum number of allowed repository names was exceeded. "
                         "Currently, this number is %d.",
                         CC_BATCH_REPOSITORIES_MAX);
    json_t *done = json_array(), *errors = json_array();
    json_t *repos = json_object(); /* name -> id, for the event */
    json_t *ids = json_array();
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *t = NULL;
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        const char *repo_name = json_string_value(v);
        struct cc_repo repo;
        call->error_code[0] = '\0';
        int one = cc_repo_open(&repo, call, repo_name, NULL);
        if (one < 0) {
            json_array_append_new(
                errors, json_pack("{s:s, s:s, s:s}", "repositoryName", repo_name ?: "", "errorCode",
                                  call->error_code[0] ? call->error_code : "InternalFailure",
                                  "errorMessage", err_msg()));
            continue;
        }
        json_object_set_new(repos, repo.loc.name, json_string(repo.loc.id));
        json_array_append_new(ids, json_pack("[s, s]", repo.loc.name, repo.loc.id));
        cc_repo_close(&repo);
    }
    call->error_code[0] = '\0';
    err_clear();
    if (!call->authorized && (rc = authorize_templates(call)) < 0)
        goto out;

    int64_t version = 0;
    if ((rc = template_begin(&t, &version, &tx, call, name)) < 0)
        goto out;
    bool any = false;
    json_array_foreach(ids, i, v)
    {
        const char *repo_name = json_string_value(json_array_get(v, 0));
        bool changed = false;
        int one = association_set(&changed, call, tx, t, json_string_value(json_array_get(v, 1)),
                                  associate);
        if (one < 0) {
            json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "repositoryName", repo_name,
                                                    "errorCode", call->error_code, "errorMessage",
                                                    err_msg()));
            json_object_del(repos, repo_name);
            call->error_code[0] = '\0';
            err_clear();
            continue;
        }
        any = any || changed;
        json_array_append_new(done, json_string(repo_name));
    }
    if (any) {
        char scope[CC_SCOPE_MAX];
        cc_scope(scope, call);
        rc = record_update(call->store, tx, CC_KIND_APPROVAL_TEMPLATE, scope, name, version, t);
        if (rc == 0)
            rc = cc_template_outbox(call, tx, t,
                                    associate
                                        ? "batchAssociateApprovalRuleTemplateWithRepositories"
                                        : "batchDisassociateApprovalRuleTemplateFromRepositories",
                                    json_incref(repos));
        if (rc == 0)
            rc = store_tx_commit(TAKE_PTR(tx));
    }
out:
    json_decref(t);
    json_decref(repos);
    json_decref(ids);
    if (rc < 0) {
        json_decref(done);
        json_decref(errors);
        return rc;
    }
    *out = json_pack("{s:o, s:o}",
                     associate ? "associatedRepositoryNames" : "disassociatedRepositoryNames", done,
                     "errors", errors);
    return 0;
}

int cc_batch_associate_approval_rule_template_with_repositories(struct api_call *call, json_t *in,
                                                                json_t **out)
{
    return batch(call, in, out, true);
}

int cc_batch_disassociate_approval_rule_template_from_repositories(struct api_call *call,
                                                                   json_t *in, json_t **out)
{
    return batch(call, in, out, false);
}
