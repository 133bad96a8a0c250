/*
 * The policy evaluation suite: one JSON file per case under
 * $SLIPWAY_SOURCE_DIR/tests/data/policy, each written from a statement of
 * the IAM user guide (named in its "source" field). One TAP line per case.
 *
 * An evaluation case:
 *   "identity": [policy...], "resource": policy, "resource_kind": "resource" | "trust",
 *   "resource_account": "ACCT", "boundary": policy, "session": [policy...],
 *   "request": {"principal": {...}, "action": ..., "resource": ..., "now": ISO-8601,
 *               "context": {"key": "value" | ["v1", "v2"]}},
 *   "expect": "Allowed" | "ImplicitDeny" | "ExplicitDeny",
 *   optionally "expect_matched": [Sid...], "expect_missing": [key...],
 *   "expect_explain": "because no identity-based policy allows the x:Y action".
 * A validation case:
 *   "policy": {...} or "policy_text": "...", "kind": "identity" | "resource" | "trust",
 *   "require_current_version": bool, "size_max": N,
 *   "expect_error": "IAM's message" (and "expect_error_kind": "limit" when not invalid).
 * A policy is a JSON object or, where JSON cannot hold it, a string.
 */
#include "base/common.h"

#include <dirent.h>
#include <setjmp.h>

#include <cmocka.h>
#include <jansson.h>

#include "aws/policy.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"

/* The suite must not shrink unnoticed. */
#define EXPECTED_CASES 300

struct policy_case {
    char *name;
    char *path;
};

static const char *string_member(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* A policy member as document text: an object is serialised, a string is
 * taken as written. */
static char *policy_text(json_t *v)
{
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_non_null(text);
    return text;
}

static enum policy_kind kind_of(const char *s)
{
    if (!s || strcmp(s, "identity") == 0)
        return POLICY_KIND_IDENTITY;
    if (strcmp(s, "resource") == 0)
        return POLICY_KIND_RESOURCE;
    if (strcmp(s, "trust") == 0)
        return POLICY_KIND_TRUST;
    fail_msg("unknown policy kind '%s'", s);
    return POLICY_KIND_IDENTITY;
}

static struct policy *compile_member(json_t *v, enum policy_kind kind, const char *what)
{
    char *text = policy_text(v);
    struct policy_options opts = {.kind = kind};
    struct policy *p = NULL;
    if (policy_compile(&p, text, strlen(text), &opts) != 0)
        fail_msg("%s does not compile: %s", what, err_msg());
    free(text);
    return p;
}

static void run_validation_case(json_t *c)
{
    json_t *doc = json_object_get(c, "policy");
    if (!doc)
        doc = json_object_get(c, "policy_text");
    assert_non_null(doc);
    char *text = policy_text(doc);
    struct policy_options opts = {
        .kind = kind_of(string_member(c, "kind")),
        .require_current_version = json_is_true(json_object_get(c, "require_current_version")),
        .size_max = (size_t)json_integer_value(json_object_get(c, "size_max")),
        .size_quota_name = string_member(c, "size_quota_name"),
    };
    const char *expect = string_member(c, "expect_error");
    int rc = policy_check(text, strlen(text), &opts);
    if (expect == NULL && rc != 0)
        fail_msg("expected a valid policy, got '%s'", err_msg());
    if (expect != NULL) {
        if (rc == 0)
            fail_msg("expected '%s', the policy was accepted", expect);
        if (strcmp(err_msg(), expect) != 0)
            fail_msg("expected '%s', got '%s'", expect, err_msg());
        const char *kind = string_member(c, "expect_error_kind");
        assert_int_equal(rc, kind && strcmp(kind, "limit") == 0 ? ERR_LIMIT : ERR_INVALID);
    }
    free(text);
}

/* Fills what the case leaves out of a principal from its ARN. */
struct principal_text {
    char account[16];
    char name[128];
    char parent[512];
};

static void principal_from_json(struct policy_principal *p, struct principal_text *t, json_t *j)
{
    static const struct {
        const char *name;
        enum policy_principal_type type;
    } types[] = {
        {"anonymous", POLICY_PRINCIPAL_ANONYMOUS},
        {"root", POLICY_PRINCIPAL_ROOT},
        {"user", POLICY_PRINCIPAL_USER},
        {"assumed-role", POLICY_PRINCIPAL_ASSUMED_ROLE},
        {"federated-user", POLICY_PRINCIPAL_FEDERATED_USER},
        {"service", POLICY_PRINCIPAL_SERVICE},
        {"web-identity", POLICY_PRINCIPAL_WEB_IDENTITY},
    };
    const char *type = string_member(j, "type");
    bool found = false;
    assert_non_null(type);
    memset(p, 0, sizeof(*p));
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
        if (strcmp(types[i].name, type) == 0) {
            p->type = types[i].type;
            found = true;
        }
    }
    if (!found)
        fail_msg("unknown principal type '%s'", type);
    p->arn = string_member(j, "arn");
    p->account = string_member(j, "account");
    p->user_id = string_member(j, "user_id");
    p->name = string_member(j, "name");
    p->parent_arn = string_member(j, "parent_arn");
    p->service = string_member(j, "service");
    p->provider = string_member(j, "provider");
    if (!p->arn)
        return;
    /* arn:aws:SVC::ACCT:RESOURCE */
    const char *f = p->arn;
    for (int i = 0; i < 4 && f; i++)
        f = strchr(f, ':') ? strchr(f, ':') + 1 : NULL;
    if (!f)
        return;
    const char *end = strchr(f, ':');
    if (!p->account && end && (size_t)(end - f) < sizeof(t->account)) {
        memcpy(t->account, f, (size_t)(end - f));
        p->account = t->account;
    }
    const char *resource = end ? end + 1 : "";
    const char *last = strrchr(resource, '/');
    if (!p->name && p->type == POLICY_PRINCIPAL_USER && last) {
        snprintf(t->name, sizeof(t->name), "%s", last + 1);
        p->name = t->name;
    }
    if (!p->parent_arn && p->type == POLICY_PRINCIPAL_ASSUMED_ROLE &&
        strncmp(resource, "assumed-role/", 13) == 0 && last) {
        snprintf(t->parent, sizeof(t->parent), "arn:aws:iam::%s:role/%.*s", p->account,
                 (int)(last - resource - 13), resource + 13);
        p->parent_arn = t->parent;
    }
}

struct policy_list {
    struct policy **items;
    size_t count;
};

static void compile_list(struct policy_list *list, json_t *arr, const char *what)
{
    list->count = json_array_size(arr);
    list->items = xcalloc(list->count ? list->count : 1, sizeof(*list->items));
    for (size_t i = 0; i < list->count; i++)
        list->items[i] = compile_member(json_array_get(arr, i), POLICY_KIND_IDENTITY, what);
}

static void release_list(struct policy_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        policy_free(list->items[i]);
    free(list->items);
}

/* Context values: strings, or numbers and booleans written as JSON. */
static char *context_text(json_t *v)
{
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (json_is_true(v))
        return xstrdup("true");
    if (json_is_false(v))
        return xstrdup("false");
    if (json_is_integer(v))
        return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    fail_msg("unsupported context value");
    return NULL;
}

static const char *decision_name(enum policy_decision d)
{
    return d == POLICY_ALLOW           ? "Allowed"
           : d == POLICY_EXPLICIT_DENY ? "ExplicitDeny"
                                       : "ImplicitDeny";
}

static void check_string_list(json_t *expect, const char *const *got, size_t count,
                              const char *what)
{
    struct buf have = BUF_INIT;
    for (size_t i = 0; i < count; i++)
        buf_addf(&have, "%s'%s'", i ? ", " : "", got[i]);
    if (json_array_size(expect) != count)
        fail_msg("expected %zu %s, got %zu: %s", json_array_size(expect), what, count, have.data);
    for (size_t i = 0; i < count; i++) {
        const char *want = json_string_value(json_array_get(expect, i));
        if (!want || strcmp(want, got[i]) != 0)
            fail_msg("%s %zu: expected '%s', got %s", what, i, want ? want : "?", have.data);
    }
    buf_release(&have);
}

static void run_evaluation_case(json_t *c)
{
    struct policy_list identity, session;
    struct policy *resource = NULL, *boundary = NULL;
    json_t *req = json_object_get(c, "request");
    const char *expect = string_member(c, "expect");

    assert_non_null(req);
    assert_non_null(expect);
    compile_list(&identity, json_object_get(c, "identity"), "an identity policy");
    compile_list(&session, json_object_get(c, "session"), "a session policy");
    if (json_object_get(c, "resource"))
        resource = compile_member(json_object_get(c, "resource"),
                                  kind_of(string_member(c, "resource_kind")
                                              ? string_member(c, "resource_kind")
                                              : "resource"),
                                  "the resource policy");
    if (json_object_get(c, "boundary"))
        boundary =
            compile_member(json_object_get(c, "boundary"), POLICY_KIND_IDENTITY, "the boundary");

    struct policy_request r = {0};
    struct principal_text text;
    principal_from_json(&r.principal, &text, json_object_get(req, "principal"));
    r.action = string_member(req, "action");
    r.resource = string_member(req, "resource");
    r.resource_account = string_member(c, "resource_account");
    const char *now = string_member(req, "now");
    if (now)
        assert_int_equal(time_parse_iso8601(&r.now_ms, now, strlen(now)), 0);

    struct policy_context *ctx = xmalloc(sizeof(*ctx));
    char **owned = xcalloc(POLICY_CONTEXT_MAX, sizeof(*owned));
    size_t owned_count = 0;
    policy_context_init(ctx);
    const char *key;
    json_t *value;
    json_object_foreach(json_object_get(req, "context"), key, value)
    {
        size_t n = json_is_array(value) ? json_array_size(value) : 1;
        for (size_t i = 0; i < n; i++) {
            char *v = context_text(json_is_array(value) ? json_array_get(value, i) : value);
            owned[owned_count++] = v;
            assert_int_equal(policy_context_add(ctx, key, v), 0);
        }
    }
    r.context = ctx;

    struct policy_set set = {
        .identity = (const struct policy *const *)identity.items,
        .identity_count = identity.count,
        .resource = resource,
        .boundary = boundary,
        .session = (const struct policy *const *)session.items,
        .session_count = session.count,
    };
    struct policy_result result;
    if (policy_evaluate(&result, &set, &r) != 0)
        fail_msg("evaluation failed: %s", err_msg());
    if (strcmp(decision_name(result.decision), expect) != 0)
        fail_msg("expected %s, got %s", expect, decision_name(result.decision));

    json_t *matched = json_object_get(c, "expect_matched");
    if (matched) {
        const char *sids[POLICY_RESULT_MATCHES_MAX];
        for (size_t i = 0; i < result.matched_count; i++)
            sids[i] = result.matched[i].sid;
        check_string_list(matched, sids, result.matched_count, "matched statements");
    }
    json_t *missing = json_object_get(c, "expect_missing");
    if (missing)
        check_string_list(missing, result.missing, result.missing_count, "missing keys");
    const char *explain = string_member(c, "expect_explain");
    if (explain) {
        struct buf b = BUF_INIT;
        policy_result_explain(&b, &result, r.action);
        if (strcmp(b.data, explain) != 0)
            fail_msg("expected the reason '%s', got '%s'", explain, b.data);
        buf_release(&b);
    }

    for (size_t i = 0; i < owned_count; i++)
        free(owned[i]);
    free(owned);
    free(ctx);
    release_list(&identity);
    release_list(&session);
    policy_free(resource);
    policy_free(boundary);
}

static void test_case(void **state)
{
    const struct policy_case *pc = *state;
    json_error_t jerr;
    json_t *c = json_load_file(pc->path, 0, &jerr);
    if (!c)
        fail_msg("%s:%d: %s", pc->path, jerr.line, jerr.text);
    const char *source = string_member(c, "source");
    if (!source || !*source)
        fail_msg("%s: every case names the guide page it comes from in \"source\"", pc->name);
    if (json_object_get(c, "expect_error") || json_object_get(c, "policy") ||
        json_object_get(c, "policy_text"))
        run_validation_case(c);
    else
        run_evaluation_case(c);
    json_decref(c);
}

static int compare_cases(const void *a, const void *b)
{
    return strcmp(((const struct policy_case *)a)->name, ((const struct policy_case *)b)->name);
}

int main(void)
{
    const char *root = getenv("SLIPWAY_SOURCE_DIR");
    if (!root) {
        fprintf(stderr, "error: SLIPWAY_SOURCE_DIR is not set; the policy cases are needed\n");
        return 1;
    }
    char *dir_path = xasprintf("%s/tests/data/policy", root);
    DIR *dir = opendir(dir_path);
    if (!dir) {
        fprintf(stderr, "error: cannot open '%s': %s\n", dir_path, strerror(errno));
        free(dir_path);
        return 1;
    }
    struct policy_case *cases = NULL;
    size_t count = 0, alloc = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        ALLOC_GROW(cases, count + 1, alloc);
        cases[count].name = xstrndup(de->d_name, len - 5);
        cases[count].path = xasprintf("%s/%s", dir_path, de->d_name);
        count++;
    }
    closedir(dir);
    free(dir_path);
    if (count < EXPECTED_CASES) {
        fprintf(stderr, "error: %zu policy cases, expected at least %d\n", count, EXPECTED_CASES);
        return 1;
    }
    qsort(cases, count, sizeof(*cases), compare_cases);

    struct CMUnitTest *tests = xcalloc(count, sizeof(*tests));
    for (size_t i = 0; i < count; i++) {
        tests[i].name = cases[i].name;
        tests[i].test_func = test_case;
        tests[i].initial_state = &cases[i];
    }
    int failed = _cmocka_run_group_tests("policy_cases", tests, count, NULL, NULL);
    for (size_t i = 0; i < count; i++) {
        free(cases[i].name);
        free(cases[i].path);
    }
    free(cases);
    free(tests);
    return failed ? 1 : 0;
}
