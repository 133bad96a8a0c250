/*
 * Policy evaluation (reference_policies_evaluation-logic.md,
 * reference_policies_evaluation-logic-cross-account.md,
 * access_policies_boundaries.md):
 *
 *   1. An explicit Deny in any applicable policy decides.
 *   2. Same account: an Allow in an identity policy (narrowed by the
 *      permissions boundary and the session policies) or in the resource
 *      policy suffices. A resource policy that names the caller itself (its
 *      user, session or federated-user ARN, "*", its service) is not
 *      narrowed; one that names a session's role ARN is narrowed by the
 *      boundary and session policies only; one that names the account
 *      delegates to the account, whose identity policies must allow.
 *      A role trust policy must itself allow (the documented exception).
 *   3. Cross-account: the caller's account (identity, boundary, session)
 *      and the resource policy must both allow.
 *   4. Otherwise an implicit deny.
 */
#include "base/common.h"

#include "aws/policy_internal.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"

/* How a resource-policy statement named the caller; larger is stronger. */
enum match_kind {
    MATCH_NONE,
    MATCH_ACCOUNT, /* the caller's account: a delegation to its IAM */
    MATCH_ROLE,    /* a session's role (or a federated user's IAM user) */
    MATCH_DIRECT,  /* the caller itself, "*", its service */
};

#define SCRATCH_STACK 4096

/* Where variables expand: a stack area, then the heap for long values. */
struct scratch {
    char *data;
    size_t len;
    size_t cap;
    char stack[SCRATCH_STACK];
};

struct eval {
    const struct policy_request *req;
    struct policy_result *out;

    char action[POLICY_ACTION_MAX + 1];
    const char *service;
    size_t service_len;
    const char *name;
    size_t name_len;
    uint64_t service_bit;

    const char *resource;
    size_t resource_len;
    const char *field[ARN_FIELDS];
    size_t field_len[ARN_FIELDS];
    int nfields;

    /* set while a statement's action matched: its missing keys count */
    bool collect_missing;

    char now_text[TIME_TEXT_MAX];
    char epoch_text[32];

    /* the values of the key a condition tests */
    const char *values[POLICY_CONTEXT_MAX];
    uint32_t value_lens[POLICY_CONTEXT_MAX];

    struct scratch scratch;
};

/* ---- scratch ---------------------------------------------------------------------- */

static void scratch_init(struct scratch *s)
{
    s->data = s->stack;
    s->len = 0;
    s->cap = sizeof(s->stack);
}

static void scratch_release(struct scratch *s)
{
    if (s->data != s->stack)
        free(s->data);
}

static void scratch_add(struct scratch *s, const char *text, size_t len)
{
    if (s->len + len > s->cap) {
        size_t cap = s->cap * 2 > s->len + len ? s->cap * 2 : s->len + len;
        if (s->data == s->stack) {
            s->data = xmalloc(cap);
            memcpy(s->data, s->stack, s->len);
        } else {
            s->data = xrealloc(s->data, cap);
        }
        s->cap = cap;
    }
    memcpy(s->data + s->len, text, len);
    s->len += len;
}

static void scratch_add_escaped(struct scratch *s, const char *text, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '*' || text[i] == '?' || text[i] == '\\') {
            scratch_add(s, text + start, i - start);
            scratch_add(s, "\\", 1);
            start = i;
        }
    }
    scratch_add(s, text + start, len - start);
}

/* ---- the result ------------------------------------------------------------------- */

static void record_match(struct eval *ev, enum policy_source source, size_t policy, size_t index,
                         const struct pol_stmt *st)
{
    struct policy_result *out = ev->out;
    if (out->matched_count == POLICY_RESULT_MATCHES_MAX) {
        out->matched_truncated = true;
        return;
    }
    struct policy_statement_ref *ref = &out->matched[out->matched_count++];
    ref->source = source;
    ref->policy = (uint32_t)policy;
    ref->statement = (uint32_t)index;
    ref->sid = st->sid;
    ref->deny = st->deny;
}

static void record_missing(struct eval *ev, const struct pol_key *key)
{
    struct policy_result *out = ev->out;
    if (!ev->collect_missing)
        return;
    for (size_t i = 0; i < out->missing_count; i++)
        if (strlen(out->missing[i]) == key->len &&
            strncasecmp(out->missing[i], key->name, key->len) == 0)
            return;
    if (out->missing_count < POLICY_RESULT_MISSING_MAX)
        out->missing[out->missing_count++] = key->name;
}

/* ---- condition keys ----------------------------------------------------------------- */

static const char *derived_value(struct eval *ev, uint8_t id)
{
    const struct policy_principal *p = &ev->req->principal;
    bool signed_in = p->type != POLICY_PRINCIPAL_ANONYMOUS && p->type != POLICY_PRINCIPAL_SERVICE &&
                     p->type != POLICY_PRINCIPAL_WEB_IDENTITY;
    switch (id) {
    case DK_USERNAME:
        return p->type == POLICY_PRINCIPAL_USER ? p->name : NULL;
    case DK_USERID:
        if (p->type == POLICY_PRINCIPAL_ANONYMOUS)
            return "anonymous";
        /* the root user's id is its account's */
        if (p->type == POLICY_PRINCIPAL_ROOT && !p->user_id)
            return p->account;
        return p->user_id;
    case DK_PRINCIPAL_ARN:
        /* a role session answers with its role (condition-keys.md) */
        if (p->type == POLICY_PRINCIPAL_ASSUMED_ROLE)
            return p->parent_arn;
        return signed_in ? p->arn : NULL;
    case DK_PRINCIPAL_ACCOUNT:
        if (p->type == POLICY_PRINCIPAL_ANONYMOUS)
            return "anonymous";
        return signed_in ? p->account : NULL;
    case DK_PRINCIPAL_TYPE:
        switch (p->type) {
        case POLICY_PRINCIPAL_ANONYMOUS:
            return "Anonymous";
        case POLICY_PRINCIPAL_ROOT:
            return "Account";
        case POLICY_PRINCIPAL_USER:
            return "User";
        case POLICY_PRINCIPAL_ASSUMED_ROLE:
            return "AssumedRole";
        case POLICY_PRINCIPAL_FEDERATED_USER:
            return "FederatedUser";
        default:
            return NULL;
        }
    case DK_PRINCIPAL_SERVICE_NAME:
        return p->type == POLICY_PRINCIPAL_SERVICE ? p->service : NULL;
    case DK_PRINCIPAL_IS_AWS_SERVICE:
        if (p->type == POLICY_PRINCIPAL_ANONYMOUS)
            return NULL;
        return p->type == POLICY_PRINCIPAL_SERVICE ? "true" : "false";
    case DK_CURRENT_TIME:
        if (!ev->req->now_ms)
            return NULL;
        if (!ev->now_text[0])
            time_format_iso8601(ev->now_text, ev->req->now_ms - ev->req->now_ms % 1000);
        return ev->now_text;
    case DK_EPOCH_TIME:
        if (!ev->req->now_ms)
            return NULL;
        if (!ev->epoch_text[0])
            snprintf(ev->epoch_text, sizeof(ev->epoch_text), "%" PRId64, ev->req->now_ms / 1000);
        return ev->epoch_text;
    case DK_RESOURCE_ACCOUNT:
        if (ev->req->resource_account)
            return ev->req->resource_account;
        return signed_in ? p->account : NULL;
    }
    return NULL;
}

static bool entry_is(const struct policy_context_entry *e, const struct pol_key *key)
{
    return e->key_hash == key->hash && e->key_len == key->len &&
           strncasecmp(e->key, key->name, key->len) == 0;
}

/* Every value of `key`, into ev->values; returns how many. */
static size_t key_values(struct eval *ev, const struct pol_key *key)
{
    size_t n = 0;
    const struct policy_context *ctx = ev->req->context;
    for (size_t i = 0; ctx && i < ctx->count; i++) {
        const struct policy_context_entry *e = &ctx->entries[i];
        if (entry_is(e, key)) {
            ev->values[n] = e->value;
            ev->value_lens[n] = e->value_len;
            n++;
        }
    }
    if (n == 0 && key->derived) {
        const char *v = derived_value(ev, key->derived);
        if (v) {
            ev->values[0] = v;
            ev->value_lens[0] = (uint32_t)strlen(v);
            n = 1;
        }
    }
    return n;
}

/* The one value of a key used as a variable; NULL when it has none or
 * several (a multivalued key is never a variable). */
static const char *key_single(struct eval *ev, const struct pol_key *key, size_t *len)
{
    const char *found = NULL;
    const struct policy_context *ctx = ev->req->context;
    for (size_t i = 0; ctx && i < ctx->count; i++) {
        const struct policy_context_entry *e = &ctx->entries[i];
        if (entry_is(e, key)) {
            if (found)
                return NULL;
            found = e->value;
            *len = e->value_len;
        }
    }
    if (!found && key->derived && (found = derived_value(ev, key->derived)))
        *len = strlen(found);
    return found;
}

/*
 * Expands a template at the end of the scratch area; false when a
 * variable has neither a value nor a default (the value is then null:
 * nothing equals or is like it).
 */
static bool tmpl_expand(struct eval *ev, const struct pol_tmpl *t, const char **out,
                        size_t *out_len)
{
    struct scratch *s = &ev->scratch;
    size_t start = s->len;
    for (uint32_t i = 0; i < t->count; i++) {
        const struct pol_seg *seg = &t->segs[i];
        if (!seg->is_var) {
            scratch_add(s, seg->text, seg->len);
            continue;
        }
        size_t len = 0;
        const char *value = key_single(ev, &seg->key, &len);
        if (!value) {
            record_missing(ev, &seg->key);
            if (!seg->has_default) {
                s->len = start;
                return false;
            }
            value = seg->text;
            len = seg->len;
        }
        if (t->pattern)
            scratch_add_escaped(s, value, len);
        else
            scratch_add(s, value, len);
    }
    /* the data may have moved while growing: point at it only now */
    *out = s->data + start;
    *out_len = s->len - start;
    return true;
}

/* ---- conditions ------------------------------------------------------------------- */

static bool compare_number(uint8_t type, double request, double policy)
{
    switch (type) {
    case CT_NUMERIC_EQUALS:
        return request == policy;
    case CT_NUMERIC_LESS_THAN:
        return request < policy;
    case CT_NUMERIC_LESS_THAN_EQUALS:
        return request <= policy;
    case CT_NUMERIC_GREATER_THAN:
        return request > policy;
    default:
        return request >= policy;
    }
}

static bool compare_date(uint8_t type, const struct pol_time *request,
                         const struct pol_time *policy)
{
    int c = pol_time_compare(request, policy);
    switch (type) {
    case CT_DATE_EQUALS:
        return c == 0;
    case CT_DATE_LESS_THAN:
        return c < 0;
    case CT_DATE_LESS_THAN_EQUALS:
        return c <= 0;
    case CT_DATE_GREATER_THAN:
        return c > 0;
    default:
        return c >= 0;
    }
}

static bool string_compare(uint8_t type, const char *pat, size_t pat_len, bool expanded,
                           const struct pol_pat *compiled, const char *v, size_t len)
{
    switch (type) {
    case CT_STRING_EQUALS:
        return pat_len == len && memcmp(pat, v, len) == 0;
    case CT_STRING_EQUALS_IGNORE_CASE:
        return pat_len == len && strncasecmp(pat, v, len) == 0;
    default:
        return expanded ? pol_wild_match(pat, pat_len, v, len) : pol_pat_match(compiled, v, len);
    }
}

/* Whether the request value `v` matches any of the condition's values, by
 * the operator's positive sense. */
static bool value_matches_any(struct eval *ev, const struct pol_cond *c, const char *v, size_t len)
{
    switch (c->type) {
    case CT_STRING_EQUALS:
    case CT_STRING_EQUALS_IGNORE_CASE:
    case CT_STRING_LIKE:
        for (uint32_t k = 0; k < c->value_count; k++) {
            const struct pol_cval *pv = &c->values[k];
            if (pv->tmpl) {
                const char *pat;
                size_t pat_len, mark = ev->scratch.len;
                bool ok = tmpl_expand(ev, pv->tmpl, &pat, &pat_len) &&
                          string_compare(c->type, pat, pat_len, true, NULL, v, len);
                ev->scratch.len = mark;
                if (ok)
                    return true;
            } else if (string_compare(c->type, pv->u.str.s, pv->u.str.len, false, &pv->u.str, v,
                                      len)) {
                return true;
            }
        }
        return false;
    case CT_NUMERIC_EQUALS:
    case CT_NUMERIC_LESS_THAN:
    case CT_NUMERIC_LESS_THAN_EQUALS:
    case CT_NUMERIC_GREATER_THAN:
    case CT_NUMERIC_GREATER_THAN_EQUALS: {
        double x;
        if (pol_parse_number(&x, v, len) < 0)
            return false;
        for (uint32_t k = 0; k < c->value_count; k++)
            if (c->values[k].valid && compare_number(c->type, x, c->values[k].u.num))
                return true;
        return false;
    }
    case CT_DATE_EQUALS:
    case CT_DATE_LESS_THAN:
    case CT_DATE_LESS_THAN_EQUALS:
    case CT_DATE_GREATER_THAN:
    case CT_DATE_GREATER_THAN_EQUALS: {
        struct pol_time t;
        if (pol_parse_date(&t, v, len) < 0)
            return false;
        for (uint32_t k = 0; k < c->value_count; k++)
            if (c->values[k].valid && compare_date(c->type, &t, &c->values[k].u.date))
                return true;
        return false;
    }
    case CT_BOOL: {
        bool b;
        if (pol_parse_bool(&b, v, len) < 0)
            return false;
        for (uint32_t k = 0; k < c->value_count; k++) {
            const struct pol_cval *pv = &c->values[k];
            bool want;
            if (pv->tmpl) {
                const char *text;
                size_t text_len, mark = ev->scratch.len;
                bool ok = tmpl_expand(ev, pv->tmpl, &text, &text_len) &&
                          pol_parse_bool(&want, text, text_len) == 0;
                ev->scratch.len = mark;
                if (ok && want == b)
                    return true;
            } else if (pv->valid && pv->u.boolean == b) {
                return true;
            }
        }
        return false;
    }
    case CT_BINARY_EQUALS: {
        struct buf decoded = BUF_INIT;
        bool found = false;
        if (base64_decode(&decoded, v, len) == 0) {
            for (uint32_t k = 0; !found && k < c->value_count; k++) {
                const struct pol_cval *pv = &c->values[k];
                found = pv->valid && pv->u.bin.len == decoded.len &&
                        memcmp(pv->u.bin.data, decoded.data, decoded.len) == 0;
            }
        } else {
            err_clear();
        }
        buf_release(&decoded);
        return found;
    }
    case CT_IP_ADDRESS: {
        struct pol_ipnet ip;
        if (pol_parse_ip(&ip, v, len) < 0)
            return false;
        for (uint32_t k = 0; k < c->value_count; k++)
            if (c->values[k].valid && pol_ipnet_contains(&c->values[k].u.ip, &ip))
                return true;
        return false;
    }
    case CT_ARN_LIKE: {
        const char *field[ARN_FIELDS];
        size_t field_len[ARN_FIELDS];
        /* ARN operators compare ARNs: anything else never matches */
        if (len < 4 || memcmp(v, "arn:", 4) != 0 ||
            pol_arn_split(v, len, field, field_len) != ARN_FIELDS)
            return false;
        for (uint32_t k = 0; k < c->value_count; k++) {
            const struct pol_cval *pv = &c->values[k];
            if (pv->tmpl) {
                const char *pat;
                size_t pat_len, mark = ev->scratch.len;
                bool ok =
                    tmpl_expand(ev, pv->tmpl, &pat, &pat_len) &&
                    pol_arn_match_expanded(pat, pat_len, field, field_len, ARN_FIELDS, v, len);
                ev->scratch.len = mark;
                if (ok)
                    return true;
            } else if (pol_arn_match(&pv->u.arn, field, field_len, ARN_FIELDS, v, len)) {
                return true;
            }
        }
        return false;
    }
    }
    return false;
}

/*
 * One condition: a key under one operator (reference_policies_multi-value-
 * conditions.md). Values in the policy are ORed; a negated operator holds
 * when no value matches. Without a set operator the request's values are
 * ORed too; ForAnyValue needs one request value to pass, ForAllValues
 * every one, and an empty request set makes ForAllValues true and
 * ForAnyValue false.
 */
static bool condition_holds(struct eval *ev, const struct pol_cond *c)
{
    size_t n = key_values(ev, &c->key);

    if (c->type == CT_NULL) {
        bool absent = true;
        for (size_t i = 0; i < n; i++)
            if (ev->value_lens[i] > 0)
                absent = false;
        for (uint32_t k = 0; k < c->value_count; k++)
            if (c->values[k].valid && c->values[k].u.boolean == absent)
                return true;
        return false;
    }
    if (n == 0) {
        record_missing(ev, &c->key);
        if (c->if_exists || c->set == SET_ALL)
            return true;
        if (c->set == SET_ANY)
            return false;
        return c->negated;
    }
    if (c->set == SET_NONE) {
        bool any = false;
        for (size_t i = 0; !any && i < n; i++)
            any = value_matches_any(ev, c, ev->values[i], ev->value_lens[i]);
        return c->negated ? !any : any;
    }
    /* (variables read keys with key_single(), which leaves ev->values alone) */
    for (size_t i = 0; i < n; i++) {
        /* an empty string is the "null data set" of the guide */
        if (ev->value_lens[i] == 0)
            continue;
        bool m = value_matches_any(ev, c, ev->values[i], ev->value_lens[i]);
        if (c->negated)
            m = !m;
        if (c->set == SET_ANY && m)
            return true;
        if (c->set == SET_ALL && !m)
            return false;
    }
    return c->set == SET_ALL;
}

/* ---- statements ------------------------------------------------------------------- */

static bool action_matches(const struct eval *ev, const struct pol_stmt *st)
{
    bool any = false;
    for (uint32_t i = 0; !any && i < st->action_count; i++) {
        const struct pol_action *a = &st->actions[i];
        any = a->all || (pol_pat_match(&a->service, ev->service, ev->service_len) &&
                         pol_pat_match(&a->name, ev->name, ev->name_len));
    }
    return st->not_action ? !any : any;
}

static bool resource_entry_matches(struct eval *ev, const struct pol_resource *r)
{
    if (r->any)
        return true;
    if (!r->tmpl)
        return pol_arn_match(&r->arn, ev->field, ev->field_len, ev->nfields, ev->resource,
                             ev->resource_len);
    if (ev->nfields < ARN_FIELDS)
        return false;
    for (int i = 0; i < ARN_FIELDS - 1; i++)
        if (!pol_pat_match(&r->arn.field[i], ev->field[i], ev->field_len[i]))
            return false;
    const char *pat;
    size_t pat_len, mark = ev->scratch.len;
    bool ok = tmpl_expand(ev, r->tmpl, &pat, &pat_len) &&
              pol_wild_match(pat, pat_len, ev->field[5], ev->field_len[5]);
    ev->scratch.len = mark;
    return ok;
}

static bool resource_matches(struct eval *ev, const struct pol_stmt *st)
{
    if (!st->has_resource)
        return true; /* a trust statement: its resource is the role */
    bool any = false;
    for (uint32_t i = 0; !any && i < st->resource_count; i++)
        any = resource_entry_matches(ev, &st->resources[i]);
    return st->not_resource ? !any : any;
}

static bool text_is(const char *s, const struct pol_principal *pp)
{
    return s && strlen(s) == pp->len && memcmp(s, pp->text, pp->len) == 0;
}

/* How one Principal entry names the caller. */
static enum match_kind principal_entry_match(const struct policy_principal *who,
                                             const struct pol_principal *pp)
{
    switch (who->type) {
    case POLICY_PRINCIPAL_SERVICE:
        return pp->type == PP_ANY || (pp->type == PP_SERVICE && text_is(who->service, pp))
                   ? MATCH_DIRECT
                   : MATCH_NONE;
    case POLICY_PRINCIPAL_WEB_IDENTITY:
        return pp->type == PP_ANY || (pp->type == PP_FEDERATED && text_is(who->provider, pp))
                   ? MATCH_DIRECT
                   : MATCH_NONE;
    case POLICY_PRINCIPAL_ANONYMOUS:
        return pp->type == PP_ANY ? MATCH_DIRECT : MATCH_NONE;
    default:
        break;
    }
    switch (pp->type) {
    case PP_ANY:
        return MATCH_DIRECT;
    case PP_ACCOUNT:
        return text_is(who->account, pp) ? MATCH_ACCOUNT : MATCH_NONE;
    case PP_ARN:
        if (text_is(who->arn, pp))
            return MATCH_DIRECT;
        if ((who->type == POLICY_PRINCIPAL_ASSUMED_ROLE ||
             who->type == POLICY_PRINCIPAL_FEDERATED_USER) &&
            text_is(who->parent_arn, pp))
            return MATCH_ROLE;
        return MATCH_NONE;
    case PP_UNIQUE_ID: {
        /* IAM stores user and role principals as their unique ids */
        const char *id = who->user_id;
        if (!id)
            return MATCH_NONE;
        if (who->type == POLICY_PRINCIPAL_USER)
            return text_is(id, pp) ? MATCH_DIRECT : MATCH_NONE;
        const char *colon = strchr(id, ':');
        if (who->type == POLICY_PRINCIPAL_ASSUMED_ROLE && colon &&
            (size_t)(colon - id) == pp->len && memcmp(id, pp->text, pp->len) == 0)
            return MATCH_ROLE;
        return MATCH_NONE;
    }
    default:
        return MATCH_NONE;
    }
}

/*
 * Whether a NotPrincipal list leaves the caller out. AWS may check the
 * account, then the role, then the session (elements_notprincipal.md), so
 * the caller is left out only when every link of its chain is listed.
 */
static bool not_principal_excludes(const struct policy_principal *who, const struct pol_stmt *st)
{
    bool account = false, self = false, parent = false;
    for (uint32_t i = 0; i < st->principal_count; i++) {
        const struct pol_principal *pp = &st->principals[i];
        if (pp->type == PP_ANY)
            return true;
        switch (principal_entry_match(who, pp)) {
        case MATCH_ACCOUNT:
            account = true;
            break;
        case MATCH_ROLE:
            parent = true;
            break;
        case MATCH_DIRECT:
            self = true;
            break;
        default:
            break;
        }
    }
    switch (who->type) {
    case POLICY_PRINCIPAL_ROOT:
        return account;
    case POLICY_PRINCIPAL_USER:
    case POLICY_PRINCIPAL_FEDERATED_USER:
        return account && self;
    case POLICY_PRINCIPAL_ASSUMED_ROLE:
        return account && parent && self;
    case POLICY_PRINCIPAL_ANONYMOUS:
        return false;
    default:
        return self;
    }
}

/* Whether the statement applies to the request; how it named the caller. */
static enum match_kind statement_applies(struct eval *ev, const struct pol_stmt *st)
{
    if (!(st->service_mask & ev->service_bit) || !action_matches(ev, st))
        return MATCH_NONE;
    enum match_kind kind = MATCH_DIRECT;
    ev->collect_missing = true;
    if (!resource_matches(ev, st)) {
        kind = MATCH_NONE;
        goto done;
    }
    if (st->has_principal) {
        const struct policy_principal *who = &ev->req->principal;
        if (st->not_principal) {
            if (not_principal_excludes(who, st))
                kind = MATCH_NONE;
        } else {
            kind = MATCH_NONE;
            for (uint32_t i = 0; i < st->principal_count; i++) {
                enum match_kind k = principal_entry_match(who, &st->principals[i]);
                if (k > kind)
                    kind = k;
            }
        }
        if (kind == MATCH_NONE)
            goto done;
    }
    /* every condition runs, so all the keys a matching statement lacks are
     * reported, not just the first */
    bool holds = true;
    for (uint32_t i = 0; i < st->cond_count; i++)
        if (!condition_holds(ev, &st->conds[i]))
            holds = false;
    if (!holds)
        kind = MATCH_NONE;
done:
    ev->collect_missing = false;
    return kind;
}

struct scan {
    bool allow;
    bool deny;
    enum match_kind best; /* the strongest allow */
};

static void scan_policy(struct eval *ev, struct scan *scan, const struct policy *p,
                        enum policy_source source, size_t index)
{
    for (uint32_t i = 0; i < p->stmt_count; i++) {
        const struct pol_stmt *st = &p->stmts[i];
        enum match_kind kind = statement_applies(ev, st);
        if (kind == MATCH_NONE)
            continue;
        record_match(ev, source, index, i, st);
        if (st->deny) {
            scan->deny = true;
        } else {
            scan->allow = true;
            if (kind > scan->best)
                scan->best = kind;
        }
    }
}

static void scan_list(struct eval *ev, struct scan *scan, const struct policy *const *list,
                      size_t count, enum policy_source source)
{
    for (size_t i = 0; i < count; i++)
        if (list[i])
            scan_policy(ev, scan, list[i], source, i);
}

/* ---- the decision ----------------------------------------------------------------- */

static int eval_init(struct eval *ev, const struct policy_request *req,
                     const struct policy_set *set)
{
    if (!req->action)
        return err_set(ERR_INVALID, "policy: the request has no action");
    size_t len = strlen(req->action);
    if (len > POLICY_ACTION_MAX)
        return err_set(ERR_INVALID, "policy: action '%.32s...' is longer than %d bytes",
                       req->action, POLICY_ACTION_MAX);
    const char *colon = strchr(req->action, ':');
    if (!colon || colon == req->action)
        return err_set(ERR_INVALID, "policy: action '%s' has no service prefix", req->action);
    if (set->identity_count > POLICY_SET_MAX || set->session_count > POLICY_SET_MAX)
        return err_set(ERR_INVALID, "policy: more than %d policies in one list", POLICY_SET_MAX);
    /* action names compare case-insensitively (elements_action.md) */
    for (size_t i = 0; i < len; i++) {
        char c = req->action[i];
        ev->action[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    ev->action[len] = '\0';
    ev->service = ev->action;
    ev->service_len = (size_t)(colon - req->action);
    ev->name = ev->action + ev->service_len + 1;
    ev->name_len = len - ev->service_len - 1;
    ev->service_bit = pol_service_bit(ev->service, ev->service_len);
    ev->resource = req->resource ? req->resource : "*";
    ev->resource_len = strlen(ev->resource);
    ev->nfields = pol_arn_split(ev->resource, ev->resource_len, ev->field, ev->field_len);
    ev->req = req;
    return 0;
}

static bool is_caller_with_policies(enum policy_principal_type type)
{
    return type == POLICY_PRINCIPAL_USER || type == POLICY_PRINCIPAL_ASSUMED_ROLE ||
           type == POLICY_PRINCIPAL_FEDERATED_USER;
}

int policy_evaluate(struct policy_result *out, const struct policy_set *set,
                    const struct policy_request *request)
{
    /* on the stack: evaluation runs on every API call and allocates nothing */
    struct eval ev;
    struct policy_result result;
    int rc;

    memset(&result, 0, sizeof(result));
    ev.out = &result;
    ev.collect_missing = false;
    ev.now_text[0] = '\0';
    ev.epoch_text[0] = '\0';
    scratch_init(&ev.scratch);
    if ((rc = eval_init(&ev, request, set)) < 0)
        goto done;

    const struct policy_principal *who = &request->principal;
    struct scan identity = {0}, resource = {0}, boundary = {0}, session = {0};
    scan_list(&ev, &identity, set->identity, set->identity_count, POLICY_SOURCE_IDENTITY);
    if (set->resource)
        scan_policy(&ev, &resource, set->resource, POLICY_SOURCE_RESOURCE, 0);
    if (set->boundary)
        scan_policy(&ev, &boundary, set->boundary, POLICY_SOURCE_BOUNDARY, 0);
    scan_list(&ev, &session, set->session, set->session_count, POLICY_SOURCE_SESSION);

    if (identity.deny || resource.deny || boundary.deny || session.deny) {
        result.decision = POLICY_EXPLICIT_DENY;
        result.denied_by = identity.deny   ? POLICY_SOURCE_IDENTITY
                           : resource.deny ? POLICY_SOURCE_RESOURCE
                           : boundary.deny ? POLICY_SOURCE_BOUNDARY
                                           : POLICY_SOURCE_SESSION;
        goto decided;
    }

    bool boundary_ok = !set->boundary || boundary.allow;
    bool has_session = set->session_count > 0;
    bool session_ok = !has_session || session.allow;
    bool identity_ok;
    switch (who->type) {
    case POLICY_PRINCIPAL_ROOT:
        identity_ok = true; /* the root user has full access to its account */
        break;
    case POLICY_PRINCIPAL_FEDERATED_USER:
        /* a federated user without a session policy has no permissions */
        identity_ok = identity.allow && boundary_ok && has_session && session.allow;
        break;
    case POLICY_PRINCIPAL_USER:
    case POLICY_PRINCIPAL_ASSUMED_ROLE:
        identity_ok = identity.allow && boundary_ok && session_ok;
        break;
    default:
        identity_ok = false;
        break;
    }

    /* services, web identities and anonymous callers belong to no account */
    bool in_account = is_caller_with_policies(who->type) || who->type == POLICY_PRINCIPAL_ROOT;
    bool cross_account = in_account && request->resource_account && who->account &&
                         strcmp(request->resource_account, who->account) != 0;
    bool trust = set->resource && set->resource->kind == POLICY_KIND_TRUST;
    bool allow;
    if (cross_account) {
        allow = identity_ok && resource.best != MATCH_NONE;
    } else {
        bool via_resource = resource.best == MATCH_DIRECT ||
                            (resource.best == MATCH_ROLE && boundary_ok && session_ok);
        if (trust)
            allow = via_resource || (resource.best != MATCH_NONE && identity_ok);
        else
            allow = identity_ok || via_resource;
    }
    if (allow) {
        result.decision = POLICY_ALLOW;
        goto decided;
    }

    result.decision = POLICY_IMPLICIT_DENY;
    enum policy_source identity_reason = !identity.allow && who->type != POLICY_PRINCIPAL_ROOT
                                             ? POLICY_SOURCE_IDENTITY
                                         : !boundary_ok ? POLICY_SOURCE_BOUNDARY
                                                        : POLICY_SOURCE_SESSION;
    if (cross_account)
        result.denied_by = identity_ok ? POLICY_SOURCE_RESOURCE : identity_reason;
    else if (!in_account || (trust && resource.best == MATCH_NONE))
        result.denied_by = POLICY_SOURCE_RESOURCE;
    else if (resource.best == MATCH_ROLE)
        /* the resource policy allowed the role; what narrowed it decided */
        result.denied_by = !boundary_ok ? POLICY_SOURCE_BOUNDARY : POLICY_SOURCE_SESSION;
    else
        result.denied_by = identity_reason;

decided:
    *out = result;
done:
    scratch_release(&ev.scratch);
    return rc;
}

void policy_result_explain(struct buf *out, const struct policy_result *result, const char *action)
{
    static const char *const explicit_in[] = {"an identity-based policy", "a resource-based policy",
                                              "a permissions boundary", "a session policy"};
    static const char *const no_allow[] = {"identity-based policy", "resource-based policy",
                                           "permissions boundary", "session policy"};
    if (result->decision == POLICY_EXPLICIT_DENY)
        buf_addf(out, "with an explicit deny in %s", explicit_in[result->denied_by]);
    else if (result->decision == POLICY_IMPLICIT_DENY)
        buf_addf(out, "because no %s allows the %s action", no_allow[result->denied_by], action);
}

/* ---- the request context ---------------------------------------------------------- */

void policy_context_init(struct policy_context *ctx)
{
    ctx->count = 0;
}

int policy_context_add(struct policy_context *ctx, const char *key, const char *value)
{
    size_t key_len = strlen(key), value_len = strlen(value);
    if (ctx->count == POLICY_CONTEXT_MAX)
        return err_set(ERR_LIMIT, "policy: more than %d request context values",
                       POLICY_CONTEXT_MAX);
    if (key_len > POLICY_CONTEXT_VALUE_MAX || value_len > POLICY_CONTEXT_VALUE_MAX)
        return err_set(ERR_LIMIT,
                       "policy: context key '%.64s' or its value is longer than %d bytes", key,
                       POLICY_CONTEXT_VALUE_MAX);
    struct policy_context_entry *e = &ctx->entries[ctx->count++];
    e->key = key;
    e->value = value;
    e->key_len = (uint32_t)key_len;
    e->value_len = (uint32_t)value_len;
    e->key_hash = pol_key_hash(key, key_len);
    return 0;
}
