#include <jansson.h>

#include "base/common.h"
#include "services/sts/trust.h"
#include "base/buf.h"

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

static bool statement_applies(json_t *st, const struct principal *caller, const char *action)
{
    if (json_object_get(st, "Condition"))
        return false;
    json_t *actions = json_object_get(st, "Action");
    json_t *not_actions = json_object_get(st, "NotAction");
    if (actions && !any_string(actions, action_matches, action))
        return false;
    if (not_actions && any_string(not_actions, action_matches, action))
        return false;
    if (!actions && !not_actions)
        return false;
    json_t *principal = json_object_get(st, "Principal");
    if (json_is_string(principal))
        return strcmp(json_string_value(principal), "*") == 0;
    json_t *aws = json_object_get(principal, "AWS");
    return aws && any_string(aws, principal_matches, caller);
}

bool sts_trust_allows(const char *trust_policy, const struct principal *caller, const char *action)
{
    json_t *doc = json_loads(trust_policy ? trust_policy : "", 0, NULL);
    json_t *statements = json_object_get(doc, "Statement");
    json_t *single = json_is_object(statements) ? statements : NULL;
    bool allowed = false, denied = false;
    size_t count = single ? 1 : json_array_size(statements);
    for (size_t i = 0; i < count; i++) {
        json_t *st = single ? single : json_array_get(statements, i);
        const char *effect = json_string_value(json_object_get(st, "Effect"));
        if (!effect || !statement_applies(st, caller, action))
            continue;
        if (strcmp(effect, "Deny") == 0)
            denied = true;
        else if (strcmp(effect, "Allow") == 0)
            allowed = true;
    }
    json_decref(doc);
    return allowed && !denied;
}
