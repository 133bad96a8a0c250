#include <jansson.h>

#include "base/common.h"
#include "services/sts/trust.h"

#include "base/buf.h"

/* What a condition evaluates to; UNKNOWN for what this evaluator cannot judge. */
enum cond_result { COND_NOT_MET, COND_MET, COND_UNKNOWN };

static int fold_case(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Policy wildcards: '*' any run, '?' any one character; case-insensitive. */
static bool wildcard_match(const char *pattern, const char *text)
{
    const char *star = NULL, *resume = NULL;
    while (*text) {
        if (*pattern == '*') {
            star = pattern++;
            resume = text;
        } else if (*pattern && (*pattern == '?' || fold_case(*pattern) == fold_case(*text))) {
            pattern++;
            text++;
        } else if (star) {
            pattern = star + 1;
            text = ++resume;
        } else {
            return false;
        }
    }
    while (*pattern == '*')
        pattern++;
    return *pattern == '\0';
}

/* A policy element that is a string or an array of strings, tried in turn. */
static bool any_string(json_t *element, bool (*match)(const char *value, const void *ctx),
                       const void *ctx)
{
    if (json_is_string(element))
        return match(json_string_value(element), ctx);
    size_t i;
    json_t *v;
    json_array_foreach(element, i, v)
    {
        if (json_is_string(v) && match(json_string_value(v), ctx))
            return true;
    }
    return false;
}

static bool action_matches(const char *pattern, const void *ctx)
{
    return wildcard_match(pattern, ctx);
}

static bool principal_matches(const char *value, const void *ctx)
{
    const struct principal *caller = ctx;
    if (strcmp(value, "*") == 0 || strcmp(value, caller->arn) == 0 ||
        strcmp(value, caller->account_id) == 0)
        return true;
    struct buf root = BUF_INIT;
    buf_addf(&root, "arn:aws:iam::%s:root", caller->account_id);
    bool match = strcmp(value, root.data) == 0;
    buf_release(&root);
    if (match || caller->type != PRINCIPAL_ASSUMED_ROLE)
        return match;
    /* A role session is also named by its role: arn:aws:iam::ACCOUNT:role/PATH/NAME. */
    struct buf role = BUF_INIT;
    buf_addf(&role, "arn:aws:iam::%s:role/", caller->account_id);
    const char *slash = strrchr(value, '/');
    match = strncmp(value, role.data, role.len) == 0 && slash &&
            strcasecmp(slash + 1, caller->name) == 0;
    buf_release(&role);
    return match;
}

/* The value of a condition key for this request; NULL when it has none. */
static const char *condition_key_value(const struct sts_trust_request *req, const char *key)
{
    if (strcasecmp(key, "sts:ExternalId") == 0)
        return req->external_id;
    if (strcasecmp(key, "sts:RoleSessionName") == 0)
        return req->session_name;
    if (strcasecmp(key, "aws:PrincipalArn") == 0)
        return req->caller->arn;
    if (strcasecmp(key, "aws:PrincipalAccount") == 0)
        return req->caller->account_id;
    if (strcasecmp(key, "aws:PrincipalType") == 0)
        return req->caller->type == PRINCIPAL_ASSUMED_ROLE ? "AssumedRole"
               : req->caller->type == PRINCIPAL_ROOT       ? "Account"
                                                           : "User";
    return NULL;
}

static bool known_condition_key(const char *key)
{
    static const char *const keys[] = {"sts:ExternalId", "sts:RoleSessionName", "aws:PrincipalArn",
                                       "aws:PrincipalAccount", "aws:PrincipalType"};
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        if (strcasecmp(key, keys[i]) == 0)
            return true;
    return false;
}

enum string_op { OP_EQUALS, OP_EQUALS_IGNORE_CASE, OP_LIKE };

struct condition_test {
    enum string_op op;
    const char *actual;
};

static bool condition_value_matches(const char *expected, const void *ctx)
{
    const struct condition_test *t = ctx;
    switch (t->op) {
    case OP_EQUALS:
        return strcmp(expected, t->actual) == 0;
    case OP_EQUALS_IGNORE_CASE:
        return strcasecmp(expected, t->actual) == 0;
    case OP_LIKE:
        return wildcard_match(expected, t->actual);
    }
    return false;
}

/* One operator block, {"StringEquals": {"sts:ExternalId": "x"}}: every key must match. */
static enum cond_result condition_operator_met(const char *op_name, json_t *keys,
                                               const struct sts_trust_request *req)
{
    static const struct {
        const char *name;
        enum string_op op;
        bool negated;
    } ops[] = {
        {"StringEquals", OP_EQUALS, false},
        {"StringNotEquals", OP_EQUALS, true},
        {"StringEqualsIgnoreCase", OP_EQUALS_IGNORE_CASE, false},
        {"StringLike", OP_LIKE, false},
        {"StringNotLike", OP_LIKE, true},
    };
    size_t which = ARRAY_SIZE(ops);
    for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
        if (strcmp(op_name, ops[i].name) == 0)
            which = i;
    if (which == ARRAY_SIZE(ops) || !json_is_object(keys))
        return COND_UNKNOWN;
    const char *key;
    json_t *expected;
    json_object_foreach(keys, key, expected)
    {
        if (!known_condition_key(key))
            return COND_UNKNOWN;
        const char *actual = condition_key_value(req, key);
        struct condition_test t = {ops[which].op, actual};
        bool any = actual && any_string(expected, condition_value_matches, &t);
        /* A negated operator holds when the key is absent, as in AWS. */
        if (ops[which].negated ? any : !any)
            return COND_NOT_MET;
    }
    return COND_MET;
}

static enum cond_result conditions_met(json_t *condition, const struct sts_trust_request *req)
{
    if (!condition)
        return COND_MET;
    if (!json_is_object(condition))
        return COND_UNKNOWN;
    enum cond_result all = COND_MET;
    const char *op_name;
    json_t *keys;
    json_object_foreach(condition, op_name, keys)
    {
        enum cond_result r = condition_operator_met(op_name, keys, req);
        if (r == COND_NOT_MET)
            return COND_NOT_MET;
        if (r == COND_UNKNOWN)
            all = COND_UNKNOWN;
    }
    return all;
}

/*
 * Whether a statement applies to the request. What this evaluator cannot
 * judge (an operator or condition key it does not know) fails closed: it
 * keeps an Allow from applying and makes a Deny apply.
 */
static bool statement_applies(json_t *st, const struct sts_trust_request *req, bool deny)
{
    json_t *actions = json_object_get(st, "Action");
    json_t *not_actions = json_object_get(st, "NotAction");
    if (actions && !any_string(actions, action_matches, req->action))
        return false;
    if (not_actions && any_string(not_actions, action_matches, req->action))
        return false;
    if (!actions && !not_actions)
        return false;
    json_t *principal = json_object_get(st, "Principal");
    json_t *not_principal = json_object_get(st, "NotPrincipal");
    bool principal_ok;
    if (not_principal) {
        json_t *aws = json_object_get(not_principal, "AWS");
        principal_ok = !(aws && any_string(aws, principal_matches, req->caller));
    } else {
        json_t *aws = json_object_get(principal, "AWS");
        principal_ok = json_is_string(principal)
                           ? strcmp(json_string_value(principal), "*") == 0
                           : aws && any_string(aws, principal_matches, req->caller);
    }
    if (!principal_ok)
        return false;
    enum cond_result met = conditions_met(json_object_get(st, "Condition"), req);
    return met == COND_MET || (deny && met == COND_UNKNOWN);
}

bool sts_trust_allows(const char *trust_policy, const struct sts_trust_request *req)
{
    json_t *doc = json_loads(trust_policy ? trust_policy : "", 0, NULL);
    json_t *statements = json_object_get(doc, "Statement");
    json_t *single = json_is_object(statements) ? statements : NULL;
    bool allowed = false, denied = false;
    size_t count = single ? 1 : json_array_size(statements);
    for (size_t i = 0; i < count; i++) {
        json_t *st = single ? single : json_array_get(statements, i);
        const char *effect = json_string_value(json_object_get(st, "Effect"));
        if (!effect || !statement_applies(st, req, strcmp(effect, "Deny") == 0))
            continue;
        if (strcmp(effect, "Deny") == 0)
            denied = true;
        else if (strcmp(effect, "Allow") == 0)
            allowed = true;
    }
    json_decref(doc);
    return allowed && !denied;
}
