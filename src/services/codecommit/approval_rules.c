#include "base/common.h"
#include "services/codecommit/approval_rules.h"

#include <ctype.h>

#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/ids.h"
#include "services/codecommit/text.h"
#include "services/common/record.h"

/*
 * Approval rules of pull requests and how approvals satisfy them.
 *
 * Content (version 2018-11-08):
 *   {"Version": "2018-11-08",
 *    "DestinationReferences": ["refs/heads/main"],     (templates only)
 *    "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 2,
 *                    "ApprovalPoolMembers": [...]}]}
 * A pool member is either a principal ARN, IAM user, assumed role session
 * or federated user, where '*' matches anything
 * ("arn:aws:sts::123456789012:assumed-role/Reviewers/" followed by '*'), or
 * "CodeCommitApprovers:ACCOUNT:NAME", any principal of ACCOUNT whose user
 * name, federated user name or role session name is NAME (with '*'
 * wildcards). A statement without a pool counts approvals from anyone.
 * A rule is satisfied when each of its statements has its number of
 * approvals from the current revision; a pull request is approved when all
 * its rules are.
 */

#define CONTENT_VERSION  "2018-11-08"
#define STATEMENTS_MAX   50
#define POOL_MEMBERS_MAX 500
#define DESTINATIONS_MAX 100

void cc_content_sha256(char out[65], const char *content)
{
    uint8_t digest[SHA256_LEN];
    sha256(digest, content, strlen(content));
    hex_encode(out, digest, SHA256_LEN);
}

static bool account_ok(const char *s, size_t len)
{
    if (len != 12)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool pool_member_ok(const char *m)
{
    size_t len = strlen(m);
    if (len == 0 || len > 1024)
        return false;
    if (strncmp(m, "CodeCommitApprovers:", 20) == 0) {
        const char *acct = m + 20;
        const char *colon = strchr(acct, ':');
        return colon && account_ok(acct, (size_t)(colon - acct)) && colon[1] &&
               !strchr(colon + 1, ':');
    }
    static const char *const prefixes[] = {"arn:aws:iam::", "arn:aws:sts::"};
    for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
        size_t plen = strlen(prefixes[i]);
        if (strncmp(m, prefixes[i], plen) != 0)
            continue;
        const char *acct = m + plen;
        const char *colon = strchr(acct, ':');
        if (!colon || !account_ok(acct, (size_t)(colon - acct)))
            return false;
        const char *resource = colon + 1;
        if (i == 0)
            return strncmp(resource, "user/", 5) == 0 && resource[5];
        return (strncmp(resource, "assumed-role/", 13) == 0 && strchr(resource + 13, '/')) ||
               (strncmp(resource, "federated-user/", 15) == 0 && resource[15]);
    }
    return false;
}

static int content_invalid(struct api_call *call, const char *code, const char *why)
{
    return api_error(call, ERR_INVALID, code, "The content for the approval rule is not valid: %s",
                     why);
}

int cc_approval_content_check(struct api_call *call, const char *content, bool is_template,
                              const char *code)
{
    json_error_t jerr;
    json_t *doc = json_loads(content, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        return content_invalid(call, code, "it is not valid JSON");
    int rc = 0;
    const char *key;
    json_t *v;
    if (!json_is_object(doc)) {
        rc = content_invalid(call, code, "it must be a JSON object");
        goto done;
    }
    json_object_foreach(doc, key, v)
    {
        bool known = strcmp(key, "Version") == 0 || strcmp(key, "Statements") == 0 ||
                     (is_template && strcmp(key, "DestinationReferences") == 0);
        if (!known) {
            char why[200];
            snprintf(why, sizeof(why), "unknown member '%.100s'", key);
            rc = content_invalid(call, code, why);
            goto done;
        }
    }
    if (strcmp(json_string_value(json_object_get(doc, "Version")) ?: "", CONTENT_VERSION) != 0) {
        rc = content_invalid(call, code, "'Version' must be \"" CONTENT_VERSION "\"");
        goto done;
    }
    json_t *dests = json_object_get(doc, "DestinationReferences");
    if (dests) {
        size_t i;
        json_t *d;
        bool ok = json_is_array(dests) && json_array_size(dests) <= DESTINATIONS_MAX;
        json_array_foreach(dests, i, d)
        {
            const char *s = json_string_value(d);
            int valid = 0;
            if (!s || strncmp(s, "refs/heads/", 11) != 0 ||
                git_reference_name_is_valid(&valid, s) < 0 || !valid)
                ok = false;
        }
        if (!ok) {
            rc = content_invalid(call, code,
                                 "'DestinationReferences' must be a list of branch references "
                                 "(refs/heads/NAME)");
            goto done;
        }
    }
    json_t *statements = json_object_get(doc, "Statements");
    if (!json_is_array(statements) || json_array_size(statements) == 0 ||
        json_array_size(statements) > STATEMENTS_MAX) {
        rc = content_invalid(call, code, "'Statements' must be a non-empty list");
        goto done;
    }
    size_t i;
    json_t *st;
    json_array_foreach(statements, i, st)
    {
        if (!json_is_object(st)) {
            rc = content_invalid(call, code, "each statement must be an object");
            goto done;
        }
        json_object_foreach(st, key, v)
        {
            if (strcmp(key, "Type") != 0 && strcmp(key, "NumberOfApprovalsNeeded") != 0 &&
                strcmp(key, "ApprovalPoolMembers") != 0) {
                char why[200];
                snprintf(why, sizeof(why), "unknown statement member '%.100s'", key);
                rc = content_invalid(call, code, why);
                goto done;
            }
        }
        if (strcmp(json_string_value(json_object_get(st, "Type")) ?: "", "Approvers") != 0) {
            rc = content_invalid(call, code, "a statement's 'Type' must be \"Approvers\"");
            goto done;
        }
        json_t *n = json_object_get(st, "NumberOfApprovalsNeeded");
        if (!json_is_integer(n) || json_integer_value(n) < 1 ||
            json_integer_value(n) > CC_APPROVALS_NEEDED_MAX) {
            rc = content_invalid(call, code,
                                 "'NumberOfApprovalsNeeded' must be an integer from 1 to 200");
            goto done;
        }
        json_t *pool = json_object_get(st, "ApprovalPoolMembers");
        if (!pool)
            continue;
        bool ok = json_is_array(pool) && json_array_size(pool) > 0 &&
                  json_array_size(pool) <= POOL_MEMBERS_MAX;
        size_t j;
        json_t *m;
        json_array_foreach(pool, j, m)
        {
            if (!json_is_string(m) || !pool_member_ok(json_string_value(m)))
                ok = false;
        }
        if (!ok) {
            rc = content_invalid(call, code,
                                 "'ApprovalPoolMembers' must list IAM user, assumed role or "
                                 "federated user ARNs or CodeCommitApprovers:ACCOUNT:NAME "
                                 "entries");
            goto done;
        }
    }
done:
    json_decref(doc);
    return rc;
}

/* ---- evaluation --------------------------------------------------------------- */

/*
 * Whether `text` matches `pattern`, in which '*' stands for any run of
 * characters (also none) and every other character, '?' and '[' too, for
 * itself: '*' is the only wildcard CodeCommit documents for pool members.
 * Linear time: the text before the first '*' must start `text`, the text
 * after the last must end it, and each piece between two is looked for
 * (memmem, linear in glibc) after the place the one before it was found.
 */
static bool glob_match(const char *pattern, const char *text)
{
    const char *first = strchr(pattern, '*');
    if (!first)
        return strcmp(pattern, text) == 0;
    const char *last = strrchr(pattern, '*');
    size_t text_len = strlen(text), head = (size_t)(first - pattern), tail = strlen(last + 1);
    if (text_len < head + tail || memcmp(text, pattern, head) != 0 ||
        memcmp(text + text_len - tail, last + 1, tail) != 0)
        return false;
    const char *at = text + head, *end = text + text_len - tail;
    for (const char *piece = first + 1; piece < last;) {
        const char *piece_end = strchr(piece, '*');
        size_t len = (size_t)(piece_end - piece);
        if (len) {
            const char *found = memmem(at, (size_t)(end - at), piece, len);
            if (!found)
                return false;
            at = found + len;
        }
        piece = piece_end + 1;
    }
    return true;
}

/* Whether approver `arn` belongs to pool member `member`. */
static bool pool_member_matches(const char *member, const char *arn)
{
    if (strncmp(member, "CodeCommitApprovers:", 20) != 0)
        return glob_match(member, arn);
    const char *acct = member + 20;
    const char *colon = strchr(acct, ':');
    if (!colon)
        return false;
    /* arn:aws:SERVICE::ACCOUNT:RESOURCE */
    const char *p = arn;
    for (int i = 0; i < 4 && p; i++) {
        p = strchr(p, ':');
        if (p)
            p++;
    }
    if (!p || strncmp(p, acct, (size_t)(colon - acct)) != 0 || p[colon - acct] != ':')
        return false;
    const char *resource = p + (colon - acct) + 1;
    if (strncmp(resource, "user/", 5) != 0 && strncmp(resource, "assumed-role/", 13) != 0 &&
        strncmp(resource, "federated-user/", 15) != 0)
        return false;
    const char *name = strrchr(resource, '/');
    return name && glob_match(colon + 1, name + 1);
}

static bool statement_satisfied(const json_t *statement, const json_t *approvals)
{
    json_int_t needed = json_integer_value(json_object_get(statement, "NumberOfApprovalsNeeded"));
    json_t *pool = json_object_get(statement, "ApprovalPoolMembers");
    json_int_t count = 0;
    const char *arn;
    json_t *state;
    json_object_foreach((json_t *)approvals, arn, state)
    {
        if (strcmp(json_string_value(state) ?: "", "APPROVE") != 0)
            continue;
        bool member = !pool;
        size_t i;
        json_t *m;
        json_array_foreach(pool, i, m)
        {
            if (!member && pool_member_matches(json_string_value(m) ?: "", arn))
                member = true;
        }
        if (member)
            count++;
    }
    return count >= needed;
}

static bool rule_satisfied(const json_t *rule, const json_t *approvals)
{
    json_t *doc = json_loads(cc_str(rule, "approvalRuleContent") ?: "", 0, NULL);
    json_t *statements = json_object_get(doc, "Statements");
    bool ok = json_array_size(statements) > 0;
    size_t i;
    json_t *st;
    json_array_foreach(statements, i, st)
    {
        if (ok && !statement_satisfied(st, approvals))
            ok = false;
    }
    json_decref(doc);
    return ok;
}

json_t *cc_approval_evaluate(const json_t *record)
{
    json_t *approvals =
        json_object_get(json_object_get(record, "approvals"), cc_str(record, "revisionId") ?: "");
    json_t *empty = json_object();
    if (!approvals)
        approvals = empty;
    json_t *satisfied = json_array(), *unsatisfied = json_array();
    size_t i;
    json_t *rule;
    json_array_foreach(json_object_get(record, "approvalRules"), i, rule)
    {
        json_t *name = json_object_get(rule, "approvalRuleName");
        json_array_append(rule_satisfied(rule, approvals) ? satisfied : unsatisfied, name);
    }
    json_decref(empty);
    bool overridden = json_object_get(record, "override") != NULL;
    return json_pack("{s:b, s:b, s:o, s:o}", "approved", json_array_size(unsatisfied) == 0,
                     "overridden", overridden, "approvalRulesSatisfied", satisfied,
                     "approvalRulesNotSatisfied", unsatisfied);
}

bool cc_template_applies(const char *content, const char *refname)
{
    json_t *doc = json_loads(content, 0, NULL);
    json_t *dests = json_object_get(doc, "DestinationReferences");
    bool applies = json_array_size(dests) == 0;
    size_t i;
    json_t *d;
    json_array_foreach(dests, i, d)
    {
        if (!applies && strcmp(json_string_value(d) ?: "", refname) == 0)
            applies = true;
    }
    json_decref(doc);
    return applies;
}

static json_t *rule_new(const struct api_call *call, const char *name, const char *content)
{
    char id[UUID_TEXT_LEN], sha[65];
    uuid_v4(id);
    cc_content_sha256(sha, content);
    int64_t now = clock_now_ms();
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "approvalRuleId", id,
                     "approvalRuleName", name, "approvalRuleContent", content, "ruleContentSha256",
                     sha, "creationDate", (json_int_t)now, "lastModifiedDate", (json_int_t)now,
                     "lastModifiedUser", cc_caller_arn(call));
}

int cc_template_rules(json_t **out, const struct api_call *call, struct store_tx *tx,
                      const char *repository_id, const char *refname)
{
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    json_t *rules = json_array();
    char *after = NULL;
    int rc;
    for (;;) {
        json_t *page = NULL;
        bool more = false;
        rc = record_list(&page, &more, call->store, tx, CC_KIND_APPROVAL_TEMPLATE, scope, NULL,
                         after, 0);
        if (rc < 0)
            break;
        size_t i;
        json_t *t;
        json_array_foreach(page, i, t)
        {
            free(after);
            after = strdup(cc_str(t, "_name") ?: "");
            if (!after)
                abort();
            bool associated = false;
            size_t j;
            json_t *v;
            json_array_foreach(json_object_get(t, "repositoryIds"), j, v)
            {
                if (strcmp(json_string_value(v) ?: "", repository_id) == 0)
                    associated = true;
            }
            const char *content = cc_str(t, "approvalRuleTemplateContent") ?: "";
            if (!associated || !cc_template_applies(content, refname))
                continue;
            json_t *rule = rule_new(call, cc_str(t, "approvalRuleTemplateName"), content);
            json_object_set_new(rule, "originApprovalRuleTemplate",
                                json_pack("{s:O, s:O}", "approvalRuleTemplateId",
                                          json_object_get(t, "approvalRuleTemplateId"),
                                          "approvalRuleTemplateName",
                                          json_object_get(t, "approvalRuleTemplateName")));
            json_array_append_new(rules, rule);
        }
        json_decref(page);
        if (!more)
            break;
    }
    free(after);
    if (rc < 0) {
        json_decref(rules);
        return rc;
    }
    *out = rules;
    return 0;
}

/* ---- approval rule handlers ----------------------------------------------------- */

static int rule_name_check(struct api_call *call, const char *name)
{
    if (!name || !name[0])
        return api_error(call, ERR_INVALID, "ApprovalRuleNameRequiredException",
                         "An approval rule name is required, but was not specified.");
    if (cc_char_count(name) > CC_RULE_NAME_MAX)
        return api_error(call, ERR_INVALID, "InvalidApprovalRuleNameException",
                         "The name for the approval rule is not valid: it must be 1 to %d "
                         "characters.",
                         CC_RULE_NAME_MAX);
    return 0;
}

static int rule_content_check(struct api_call *call, const char *content)
{
    if (!content || !content[0])
        return api_error(call, ERR_INVALID, "ApprovalRuleContentRequiredException",
                         "The content for the approval rule is empty. You must provide some "
                         "content for an approval rule. The content cannot be null.");
    if (cc_char_count(content) > CC_RULE_CONTENT_MAX)
        return api_error(call, ERR_INVALID, "InvalidApprovalRuleContentException",
                         "The content for the approval rule is not valid: more than %d "
                         "characters.",
                         CC_RULE_CONTENT_MAX);
    return cc_approval_content_check(call, content, false, "InvalidApprovalRuleContentException");
}

static json_t *rule_find(const json_t *record, const char *name, size_t *index_out)
{
    size_t i;
    json_t *rule;
    json_array_foreach(json_object_get(record, "approvalRules"), i, rule)
    {
        if (strcmp(cc_str(rule, "approvalRuleName") ?: "", name) == 0) {
            if (index_out)
                *index_out = i;
            return rule;
        }
    }
    return NULL;
}

static json_t *rule_event_meta(const json_t *rule)
{
    return json_pack("{s:O, s:O, s:O}", "approvalRuleName",
                     json_object_get(rule, "approvalRuleName"), "approvalRuleId",
                     json_object_get(rule, "approvalRuleId"), "approvalRuleContent",
                     json_object_get(rule, "approvalRuleContent"));
}

/* What an approval rule event adds to the pull request's detail. */
static json_t *rule_outbox_extra(const json_t *rule)
{
    return json_pack("{s:O, s:O, s:O}", "approvalRuleContentSha256",
                     json_object_get(rule, "ruleContentSha256"), "approvalRuleId",
                     json_object_get(rule, "approvalRuleId"), "approvalRuleName",
                     json_object_get(rule, "approvalRuleName"));
}

/*
 * Opens pull request in->pullRequestId for a change of its rules or
 * approvals in a new transaction: it must be open and, with
 * `at_revision`, at revision in->revisionId.
 */
static int rules_begin(struct cc_pr *pr, struct store_tx **tx, struct api_call *call, json_t *in,
                       bool at_revision)
{
    int rc = cc_pr_begin(pr, tx, call, cc_str(in, "pullRequestId"));
    if (rc == 0)
        rc = cc_pr_require_open(call, pr);
    if (rc == 0 && at_revision)
        rc = cc_revision_check(call, pr, cc_str(in, "revisionId"), true);
    return rc;
}

/*
 * Opens pull request in->pullRequestId to read it at revision
 * in->revisionId, which with `current` must be its current one; closed
 * again on failure.
 */
static int rules_read(struct cc_pr *pr, struct api_call *call, json_t *in, bool current)
{
    int rc = cc_pr_open(pr, call, cc_str(in, "pullRequestId"), NULL, NULL);
    if (rc == 0 && (rc = cc_revision_check(call, pr, cc_str(in, "revisionId"), current)) < 0)
        cc_pr_close(pr);
    return rc;
}

int cc_create_pull_request_approval_rule(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = cc_str(in, "approvalRuleName");
    const char *content = cc_str(in, "approvalRuleContent");
    int rc = rule_name_check(call, name);
    if (rc == 0)
        rc = rule_content_check(call, content);
    if (rc < 0)
        return rc;
    struct cc_pr pr = {0};
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    rc = rules_begin(&pr, &tx, call, in, false);
    if (rc == 0 && rule_find(pr.record, name, NULL))
        rc = api_error(call, ERR_EXISTS, "ApprovalRuleNameAlreadyExistsException",
                       "An approval rule with the name '%s' already exists on this pull "
                       "request. Approval rule names must be unique within the scope of a pull "
                       "request.",
                       name);
    json_t *rules = json_object_get(pr.record, "approvalRules");
    if (rc == 0 && json_array_size(rules) >= CC_PR_RULES_MAX)
        rc = api_error(call, ERR_LIMIT, "NumberOfRulesExceededException",
                       "The approval rule cannot be added. The pull request has the maximum "
                       "number of approval rules associated with it (%d).",
                       CC_PR_RULES_MAX);
    if (rc == 0) {
        if (!json_is_array(rules)) {
            rules = json_array();
            json_object_set_new(pr.record, "approvalRules", rules);
        }
        json_t *rule = rule_new(call, name, content);
        json_array_append_new(rules, rule);
        cc_pr_event_add(pr.record, call, "PULL_REQUEST_APPROVAL_RULE_CREATED",
                        "approvalRuleEventMetadata", rule_event_meta(rule));
        json_t *result = json_pack("{s:O}", "approvalRule", rule);
        rc =
            cc_pr_finish(call, &tx, &pr, "pullRequestApprovalRuleCreated", rule_outbox_extra(rule));
        if (rc == 0)
            *out = result;
        else
            json_decref(result);
    }
    cc_pr_close(&pr);
    return rc;
}

int cc_delete_pull_request_approval_rule(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = cc_str(in, "approvalRuleName");
    int rc = rule_name_check(call, name);
    if (rc < 0)
        return rc;
    struct cc_pr pr = {0};
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    rc = rules_begin(&pr, &tx, call, in, false);
    size_t index = 0;
    json_t *rule = rc == 0 ? rule_find(pr.record, name, &index) : NULL;
    if (rc == 0 && !rule) {
        /* Deleted before: CodeCommit answers 200 without content. */
        *out = json_object();
        cc_pr_close(&pr);
        return 0;
    }
    if (rc == 0 && json_object_get(rule, "originApprovalRuleTemplate"))
        rc = api_error(call, ERR_INVALID, "CannotDeleteApprovalRuleFromTemplateException",
                       "The approval rule '%s' cannot be deleted from the pull request because "
                       "it was created by an approval rule template and applied to the pull "
                       "request automatically.",
                       name);
    if (rc == 0) {
        json_t *id = json_incref(json_object_get(rule, "approvalRuleId"));
        cc_pr_event_add(pr.record, call, "PULL_REQUEST_APPROVAL_RULE_DELETED",
                        "approvalRuleEventMetadata", rule_event_meta(rule));
        /* The event's members are read before the removal frees the rule. */
        json_t *extra = rule_outbox_extra(rule);
        json_array_remove(json_object_get(pr.record, "approvalRules"), index);
        rule = NULL;
        rc = cc_pr_finish(call, &tx, &pr, "pullRequestApprovalRuleDeleted", extra);
        if (rc == 0)
            *out = json_pack("{s:O}", "approvalRuleId", id);
        json_decref(id);
    }
    cc_pr_close(&pr);
    return rc;
}

int cc_update_pull_request_approval_rule_content(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = cc_str(in, "approvalRuleName");
    const char *content = cc_str(in, "newRuleContent");
    const char *existing = cc_str(in, "existingRuleContentSha256");
    int rc = rule_name_check(call, name);
    if (rc == 0)
        rc = rule_content_check(call, content);
    if (rc < 0)
        return rc;
    struct cc_pr pr = {0};
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    rc = rules_begin(&pr, &tx, call, in, false);
    json_t *rule = rc == 0 ? rule_find(pr.record, name, NULL) : NULL;
    if (rc == 0 && !rule)
        rc = api_error(call, ERR_NOT_FOUND, "ApprovalRuleDoesNotExistException",
                       "The approval rule '%s' does not exist on the pull request.", name);
    if (rc == 0 && json_object_get(rule, "originApprovalRuleTemplate"))
        rc = api_error(call, ERR_INVALID, "CannotModifyApprovalRuleFromTemplateException",
                       "The approval rule '%s' cannot be modified for the pull request because "
                       "it was created by an approval rule template and applied to the pull "
                       "request automatically.",
                       name);
    if (rc == 0 && existing && strcmp(existing, cc_str(rule, "ruleContentSha256") ?: "") != 0)
        rc = api_error(call, ERR_CONFLICT, "InvalidRuleContentSha256Exception",
                       "The SHA-256 hash signature for the rule content is not valid: it does "
                       "not match the rule's current content.");
    if (rc == 0) {
        char sha[65];
        cc_content_sha256(sha, content);
        json_object_set_new(rule, "approvalRuleContent", json_string(content));
        json_object_set_new(rule, "ruleContentSha256", json_string(sha));
        json_object_set_new(rule, "lastModifiedDate", json_integer(clock_now_ms()));
        json_object_set_new(rule, "lastModifiedUser", json_string(cc_caller_arn(call)));
        cc_pr_event_add(pr.record, call, "PULL_REQUEST_APPROVAL_RULE_UPDATED",
                        "approvalRuleEventMetadata", rule_event_meta(rule));
        json_t *result = json_pack("{s:O}", "approvalRule", rule);
        rc =
            cc_pr_finish(call, &tx, &pr, "pullRequestApprovalRuleUpdated", rule_outbox_extra(rule));
        if (rc == 0)
            *out = result;
        else
            json_decref(result);
    }
    cc_pr_close(&pr);
    return rc;
}

/* ---- approvals and overrides ------------------------------------------------------ */

/*
 * Ends a change of the approvals of revision `revision`: the pull
 * request event `type` with metadata `meta_name` {"revisionId", `key`:
 * `value`}, then cc_pr_finish() with EventBridge event `event` {`key`:
 * `value`}.
 */
static int revision_change_finish(struct api_call *call, struct store_tx **tx, struct cc_pr *pr,
                                  const char *revision, const char *type, const char *meta_name,
                                  const char *event, const char *key, const char *value)
{
    cc_pr_event_add(pr->record, call, type, meta_name,
                    json_pack("{s:s, s:s}", "revisionId", revision, key, value));
    return cc_pr_finish(call, tx, pr, event, json_pack("{s:s}", key, value));
}

int cc_update_pull_request_approval_state(struct api_call *call, json_t *in, json_t **out)
{
    const char *state = cc_str(in, "approvalState");
    if (!state || !state[0])
        return api_error(call, ERR_INVALID, "ApprovalStateRequiredException",
                         "An approval state is required, but was not specified.");
    if (strcmp(state, "APPROVE") != 0 && strcmp(state, "REVOKE") != 0)
        return api_error(call, ERR_INVALID, "InvalidApprovalStateException",
                         "The state '%s' for the approval is not valid. Valid values include "
                         "APPROVE and REVOKE.",
                         state);
    struct cc_pr pr = {0};
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    const char *revision = cc_str(in, "revisionId");
    int rc = rules_begin(&pr, &tx, call, in, true);
    const char *me = cc_caller_arn(call);
    if (rc == 0 && strcmp(state, "APPROVE") == 0 &&
        strcmp(me, cc_str(pr.record, "authorArn") ?: "") == 0)
        rc = api_error(call, ERR_INVALID, "PullRequestCannotBeApprovedByAuthorException",
                       "The approval cannot be applied because the user approving the pull "
                       "request matches the user who created the pull request. You cannot "
                       "approve a pull request that you created.");
    if (rc == 0) {
        json_t *approvals = json_object_get(pr.record, "approvals");
        if (!json_is_object(approvals)) {
            approvals = json_object();
            json_object_set_new(pr.record, "approvals", approvals);
        }
        json_t *mine = json_object_get(approvals, revision);
        if (!mine) {
            mine = json_object();
            json_object_set_new(approvals, revision, mine);
        }
        if (strcmp(state, "APPROVE") == 0)
            json_object_set_new(mine, me, json_string("APPROVE"));
        else
            json_object_del(mine, me);
        rc = revision_change_finish(call, &tx, &pr, revision, "PULL_REQUEST_APPROVAL_STATE_CHANGED",
                                    "approvalStateChangedEventMetadata",
                                    "pullRequestApprovalStateChanged", "approvalStatus", state);
    }
    if (rc == 0)
        *out = NULL;
    cc_pr_close(&pr);
    return rc;
}

int cc_get_pull_request_approval_states(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_pr pr;
    int rc = rules_read(&pr, call, in, false);
    if (rc < 0)
        return rc;
    const char *revision = cc_str(in, "revisionId");
    json_t *list = json_array();
    const char *arn;
    json_t *state;
    json_object_foreach(json_object_get(json_object_get(pr.record, "approvals"), revision), arn,
                        state)
    {
        json_array_append_new(list,
                              json_pack("{s:s, s:O}", "userArn", arn, "approvalState", state));
    }
    *out = json_pack("{s:o}", "approvals", list);
    cc_pr_close(&pr);
    return 0;
}

int cc_evaluate_pull_request_approval_rules(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_pr pr;
    int rc = rules_read(&pr, call, in, true);
    if (rc < 0)
        return rc;
    *out = json_pack("{s:o}", "evaluation", cc_approval_evaluate(pr.record));
    cc_pr_close(&pr);
    return 0;
}

int cc_override_pull_request_approval_rules(struct api_call *call, json_t *in, json_t **out)
{
    const char *status = cc_str(in, "overrideStatus");
    if (!status || !status[0])
        return api_error(call, ERR_INVALID, "OverrideStatusRequiredException",
                         "An override status is required, but no value was provided. Valid "
                         "values include OVERRIDE and REVOKE.");
    if (strcmp(status, "OVERRIDE") != 0 && strcmp(status, "REVOKE") != 0)
        return api_error(call, ERR_INVALID, "InvalidOverrideStatusException",
                         "The override status '%s' is not valid. Valid statuses are OVERRIDE "
                         "and REVOKE.",
                         status);
    struct cc_pr pr = {0};
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    const char *revision = cc_str(in, "revisionId");
    int rc = rules_begin(&pr, &tx, call, in, true);
    bool overridden = json_object_get(pr.record, "override") != NULL;
    bool overriding = strcmp(status, "OVERRIDE") == 0;
    if (rc == 0 && overriding && overridden)
        rc = api_error(call, ERR_CONFLICT, "OverrideAlreadySetException",
                       "The pull request has already had its approval rules set to override.");
    if (rc == 0 && overriding == overridden) {
        /* Revoking an override that is not set changes nothing. */
        *out = NULL;
        cc_pr_close(&pr);
        return 0;
    }
    if (rc == 0) {
        if (overriding)
            json_object_set_new(
                pr.record, "override",
                json_pack("{s:s, s:s}", "overrider", cc_caller_arn(call), "revisionId", revision));
        else
            json_object_del(pr.record, "override");
        rc = revision_change_finish(call, &tx, &pr, revision,
                                    "PULL_REQUEST_APPROVAL_RULE_OVERRIDDEN",
                                    "approvalRuleOverriddenEventMetadata",
                                    "pullRequestApprovalRuleOverridden", "overrideStatus", status);
    }
    if (rc == 0)
        *out = NULL;
    cc_pr_close(&pr);
    return rc;
}

int cc_get_pull_request_override_state(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_pr pr;
    int rc = rules_read(&pr, call, in, false);
    if (rc < 0)
        return rc;
    json_t *o = json_object_get(pr.record, "override");
    *out = json_pack("{s:b}", "overridden", o != NULL);
    if (o)
        json_object_set(*out, "overrider", json_object_get(o, "overrider"));
    cc_pr_close(&pr);
    return 0;
}
