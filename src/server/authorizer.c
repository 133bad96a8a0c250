#include <pthread.h>
#include <stdatomic.h>

#include "base/common.h"
#include "server/authorizer.h"
#include "aws/api.h"
#include "aws/policy.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "services/iam/iam.h"

/*
 * A principal's compiled policies, shared by the requests that use them.
 * The cache holds one reference; each evaluation takes one while it runs,
 * so a slot can be refilled while an older set is still being read.
 */
struct principal_policies {
    atomic_int refs;
    uint64_t generation;
    int64_t built_ms;
    char key[PRINCIPAL_ARN_MAX + 40];
    struct policy **identity;
    size_t identity_count;
    struct policy *boundary;
    /* The session's own policies (AssumeRole's Policy and PolicyArns). */
    struct policy **session;
    size_t session_count;
    /* The principal's tags (the user's, or the role's and the session's),
     * as condition keys ("aws:PrincipalTag/team") and values, held here so
     * evaluations can borrow them. */
    char **tag_keys;
    char **tag_values;
    size_t tag_count;
    /* aws:SourceIdentity of a role session, NULL when it has none. */
    char *source_identity;
};

#define CACHE_SLOTS 128
/* Bounds staleness should another process change IAM records. */
#define CACHE_TTL_MS 10000

static struct {
    pthread_mutex_t lock;
    struct principal_policies *set;
} cache[CACHE_SLOTS];

static struct store *authz_store;

static void policies_unref(struct principal_policies *pp)
{
    if (!pp || atomic_fetch_sub(&pp->refs, 1) != 1)
        return;
    for (size_t i = 0; i < pp->identity_count; i++)
        policy_free(pp->identity[i]);
    free(pp->identity);
    for (size_t i = 0; i < pp->session_count; i++)
        policy_free(pp->session[i]);
    free(pp->session);
    for (size_t i = 0; i < pp->tag_count; i++) {
        free(pp->tag_keys[i]);
        free(pp->tag_values[i]);
    }
    free(pp->tag_keys);
    free(pp->tag_values);
    free(pp->source_identity);
    policy_free(pp->boundary);
    free(pp);
}

/* Compiles a stored document. IAM validated it when it was stored; one that
 * no longer compiles (a newer, stricter parser) grants nothing, and says so. */
static struct policy *compile_stored(const struct iam_policy_doc *doc)
{
    struct policy_options opts = {.kind = POLICY_KIND_IDENTITY};
    struct policy *p = NULL;
    if (policy_compile(&p, doc->document, strlen(doc->document), &opts) < 0) {
        log_warn("authz", "policy '%s' does not compile and is ignored: %s", doc->id, err_msg());
        return NULL;
    }
    return p;
}

static int build_policies(struct principal_policies **out, const struct principal *principal,
                          const char *key, uint64_t generation)
{
    struct iam_policy_docs docs;
    int rc = iam_principal_policies(&docs, authz_store, principal);
    if (rc < 0)
        return rc;
    struct principal_policies *pp = xcalloc(1, sizeof(*pp));
    atomic_init(&pp->refs, 1);
    pp->generation = generation;
    pp->built_ms = clock_now_ms();
    snprintf(pp->key, sizeof(pp->key), "%s", key);
    pp->identity = xcalloc(docs.count ? docs.count : 1, sizeof(*pp->identity));
    for (size_t i = 0; i < docs.count; i++) {
        struct policy *p = compile_stored(&docs.items[i]);
        if (p)
            pp->identity[pp->identity_count++] = p;
    }
    if (docs.boundary) {
        pp->boundary = compile_stored(docs.boundary);
        if (!pp->boundary) {
            /* A boundary that cannot be read must not widen access. */
            struct policy_options opts = {.kind = POLICY_KIND_IDENTITY};
            static const char nothing[] = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
                                          "\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]}";
            if (policy_compile(&pp->boundary, nothing, sizeof(nothing) - 1, &opts) < 0)
                abort();
        }
    }
    iam_policy_docs_release(&docs);

    json_t *session;
    if ((rc = iam_session_policies(&session, authz_store, principal->access_key_id)) < 0) {
        policies_unref(pp);
        return rc;
    }
    size_t n = json_array_size(session);
    pp->session = xcalloc(n ? n : 1, sizeof(*pp->session));
    for (size_t i = 0; i < n; i++) {
        const char *text = json_string_value(json_array_get(session, i));
        struct policy_options opts = {.kind = POLICY_KIND_IDENTITY};
        struct policy *p = NULL;
        /* A session policy that no longer compiles must narrow to nothing,
         * not vanish and leave the session wider than it was made. */
        if (!text || policy_compile(&p, text, strlen(text), &opts) < 0) {
            static const char nothing[] = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
                                          "\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]}";
            if (policy_compile(&p, nothing, sizeof(nothing) - 1, &opts) < 0)
                abort();
        }
        pp->session[pp->session_count++] = p;
    }
    json_decref(session);

    json_t *tags;
    if ((rc = iam_principal_tags(&tags, authz_store, principal)) < 0) {
        policies_unref(pp);
        return rc;
    }
    size_t ntags = json_object_size(tags);
    pp->tag_keys = xcalloc(ntags ? ntags : 1, sizeof(*pp->tag_keys));
    pp->tag_values = xcalloc(ntags ? ntags : 1, sizeof(*pp->tag_values));
    const char *tag;
    json_t *value;
    json_object_foreach(tags, tag, value)
    {
        pp->tag_keys[pp->tag_count] = xasprintf("aws:PrincipalTag/%s", tag);
        pp->tag_values[pp->tag_count] = xstrdup(json_string_value(value) ?: "");
        pp->tag_count++;
    }
    json_decref(tags);
    if ((rc = iam_session_source_identity(&pp->source_identity, authz_store,
                                          principal->access_key_id)) < 0) {
        policies_unref(pp);
        return rc;
    }
    *out = pp;
    return 0;
}

static uint32_t slot_of(const char *key)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % CACHE_SLOTS;
}

/* The caller's compiled policies, with a reference the caller drops. */
static int principal_policies_get(struct principal_policies **out,
                                  const struct principal *principal)
{
    char key[sizeof(((struct principal_policies *)0)->key)];
    snprintf(key, sizeof(key), "%s|%s", principal->arn, principal->access_key_id);
    uint32_t slot = slot_of(key);
    uint64_t generation = iam_identity_generation();
    int64_t now = clock_now_ms();

    pthread_mutex_lock(&cache[slot].lock);
    struct principal_policies *pp = cache[slot].set;
    bool hit = pp && pp->generation == generation && now - pp->built_ms < CACHE_TTL_MS &&
               strcmp(pp->key, key) == 0;
    if (hit)
        atomic_fetch_add(&pp->refs, 1);
    pthread_mutex_unlock(&cache[slot].lock);
    if (hit) {
        *out = pp;
        return 0;
    }

    /* Built outside the lock: it reads the store. The generation was read
     * first, so a change racing this build leaves the entry stale. */
    int rc = build_policies(&pp, principal, key, generation);
    if (rc < 0)
        return rc;
    atomic_fetch_add(&pp->refs, 1);
    pthread_mutex_lock(&cache[slot].lock);
    struct principal_policies *old = cache[slot].set;
    cache[slot].set = pp;
    pthread_mutex_unlock(&cache[slot].lock);
    policies_unref(old);
    *out = pp;
    return 0;
}

static enum policy_principal_type principal_type(const struct principal *p)
{
    switch (p->type) {
    case PRINCIPAL_ROOT:
        return POLICY_PRINCIPAL_ROOT;
    case PRINCIPAL_ASSUMED_ROLE:
        return POLICY_PRINCIPAL_ASSUMED_ROLE;
    default:
        return POLICY_PRINCIPAL_USER;
    }
}

static int deny(struct api_call *call, const struct api_authz *req,
                const struct policy_result *result)
{
    struct buf message = BUF_INIT;
    buf_addf(&message, "User: %s is not authorized to perform: %s on resource: %s ",
             call->principal->arn, req->action, req->resource);
    if (result)
        policy_result_explain(&message, result, req->action);
    int rc = err_set(ERR_DENIED, "%s", message.data);
    buf_release(&message);
    return rc;
}

static int authorize(struct api_call *call, const struct api_authz *req)
{
    const struct principal *principal = call->principal;
    /* AWS answers these for any caller, whatever its policies say. */
    if (strcmp(req->action, "sts:GetCallerIdentity") == 0)
        return 0;

    /* GetSessionToken credentials without MFA cannot call IAM, nor STS
     * beyond AssumeRole and GetCallerIdentity, as on AWS. */
    if (principal->session_token_user &&
        (strncmp(req->action, "iam:", 4) == 0 ||
         (strncmp(req->action, "sts:", 4) == 0 && strcmp(req->action, "sts:AssumeRole") != 0)))
        return err_set(ERR_DENIED,
                       "User: %s is not authorized to perform: %s on resource: %s because "
                       "credentials from GetSessionToken without MFA cannot call %s",
                       principal->arn, req->action, req->resource,
                       strncmp(req->action, "iam:", 4) == 0 ? "IAM" : "this STS operation");

    struct principal_policies *pp = NULL;
    int rc = 0;
    if (principal->type != PRINCIPAL_ROOT) {
        rc = principal_policies_get(&pp, principal);
        if (rc == ERR_NOT_FOUND)
            return deny(call, req, NULL);
        if (rc < 0)
            return rc;
    }

    struct policy *resource_policy = NULL;
    if (req->resource_policy) {
        struct policy_options opts = {.kind = req->resource_policy_is_trust ? POLICY_KIND_TRUST
                                                                            : POLICY_KIND_RESOURCE};
        if (policy_compile(&resource_policy, req->resource_policy, strlen(req->resource_policy),
                           &opts) < 0) {
            log_warn("authz", "resource policy of '%s' does not compile: %s", req->resource,
                     err_msg());
            resource_policy = NULL;
        }
    }

    static _Thread_local struct policy_context context;
    policy_context_init(&context);
    policy_context_add(&context, "aws:SourceIp", call->source_ip ? call->source_ip : "");
    policy_context_add(&context, "aws:SecureTransport", call->secure_transport ? "true" : "false");
    policy_context_add(&context, "aws:RequestedRegion", call->region ? call->region : "");
    policy_context_add(&context, "aws:MultiFactorAuthPresent", "false");
    for (size_t i = 0; pp && i < pp->tag_count; i++)
        policy_context_add(&context, pp->tag_keys[i], pp->tag_values[i]);
    if (pp && pp->source_identity)
        policy_context_add(&context, "aws:SourceIdentity", pp->source_identity);
    for (size_t i = 0; i < req->condition_count; i++)
        if (policy_context_add(&context, req->conditions[i].key, req->conditions[i].value) < 0) {
            rc = deny(call, req, NULL);
            goto done;
        }

    bool session = principal->type == PRINCIPAL_ASSUMED_ROLE;
    struct policy_request preq = {
        .principal =
            {
                .type = principal_type(principal),
                .arn = principal->arn,
                .account = principal->account_id,
                .user_id = principal->user_id,
                .name = principal->type == PRINCIPAL_USER ? principal->name : NULL,
                .parent_arn = session ? principal->role_arn : NULL,
            },
        .action = req->action,
        .resource = req->resource,
        .resource_account = req->resource_account,
        .now_ms = call->now_ms,
        .context = &context,
    };
    struct policy_set set = {
        .identity = pp ? (const struct policy *const *)pp->identity : NULL,
        .identity_count = pp ? pp->identity_count : 0,
        .resource = resource_policy,
        .boundary = pp ? pp->boundary : NULL,
        .session = pp ? (const struct policy *const *)pp->session : NULL,
        .session_count = pp ? pp->session_count : 0,
    };

    if (principal->type == PRINCIPAL_ROOT && !resource_policy) {
        rc = 0;
        goto done;
    }
    struct policy_result result;
    if ((rc = policy_evaluate(&result, &set, &preq)) < 0) {
        rc = deny(call, req, NULL);
        goto done;
    }
    /* The root user's own account allows it everything that no policy
     * explicitly denies. */
    if (result.decision == POLICY_ALLOW ||
        (principal->type == PRINCIPAL_ROOT && result.decision != POLICY_EXPLICIT_DENY))
        rc = 0;
    else
        rc = deny(call, req, &result);
done:
    policy_free(resource_policy);
    policies_unref(pp);
    return rc;
}

void authorizer_install(struct store *st)
{
    authz_store = st;
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        pthread_mutex_init(&cache[i].lock, NULL);
    api_set_authorizer(authorize);
}

void authorizer_shutdown(void)
{
    api_set_authorizer(NULL);
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        policies_unref(cache[i].set);
        cache[i].set = NULL;
        pthread_mutex_destroy(&cache[i].lock);
    }
    authz_store = NULL;
}
