#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "aws/arn.h"
#include "aws/policy.h"
#include "base/alloc.h"
#include "base/err.h"
#include "services/common/record.h"

/*
 * SimulatePrincipalPolicy and SimulateCustomPolicy answer from the same
 * evaluator that authorizes every call (src/aws/policy.h), so a simulation
 * says what a real request would get.
 */

/* AWS's bound on one simulation: actions x resources evaluated. */
#define SIMULATION_MAX 1000

/* Compiled policies of one simulation, with where each came from. */
struct sim_policies {
    struct policy **items;
    const char **ids;   /* SourcePolicyId */
    const char **types; /* SourcePolicyType */
    size_t count;
    size_t alloc;
};

static void sim_policies_release(struct sim_policies *sp)
{
    for (size_t i = 0; i < sp->count; i++)
        policy_free(sp->items[i]);
    free(sp->items);
    free(sp->ids);
    free(sp->types);
    memset(sp, 0, sizeof(*sp));
}

static int sim_add(struct sim_policies *sp, struct api_call *call, const char *document,
                   const char *id, const char *type, enum policy_kind kind)
{
    struct policy_options opts = {.kind = kind};
    struct policy *p;
    if (policy_compile(&p, document, strlen(document), &opts) < 0)
        return api_error(call, ERR_INVALID, "MalformedPolicyDocument", "%s", err_msg());
    if (sp->count == sp->alloc) {
        sp->alloc = sp->alloc ? 2 * sp->alloc : 8;
        sp->items = xrealloc(sp->items, sp->alloc * sizeof(*sp->items));
        sp->ids = xrealloc(sp->ids, sp->alloc * sizeof(*sp->ids));
        sp->types = xrealloc(sp->types, sp->alloc * sizeof(*sp->types));
    }
    sp->items[sp->count] = p;
    sp->ids[sp->count] = id;
    sp->types[sp->count] = type;
    sp->count++;
    return 0;
}

/* The policies given in a request list (PolicyInputList and the like). */
static int sim_add_inputs(struct sim_policies *sp, struct api_call *call, json_t *list,
                          const char *id_prefix, json_t *names)
{
    size_t i;
    json_t *doc;
    json_array_foreach(list, i, doc)
    {
        char *id = xasprintf("%s.%zu", id_prefix, i + 1);
        json_array_append_new(names, json_string(id));
        const char *stable = json_string_value(json_array_get(names, json_array_size(names) - 1));
        free(id);
        int rc = sim_add(sp, call, json_string_value(doc), stable, "none", POLICY_KIND_IDENTITY);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static const char *source_type(enum iam_policy_source source)
{
    switch (source) {
    case IAM_POLICY_USER_INLINE:
        return "user";
    case IAM_POLICY_GROUP_INLINE:
        return "group";
    case IAM_POLICY_ROLE_INLINE:
        return "role";
    case IAM_POLICY_AWS_MANAGED:
        return "aws-managed";
    default:
        return "user-managed";
    }
}

static const char *decision_name(enum policy_decision d)
{
    return d == POLICY_ALLOW           ? "allowed"
           : d == POLICY_EXPLICIT_DENY ? "explicitDeny"
                                       : "implicitDeny";
}

/* ContextEntries as the evaluator's context; values borrowed from `in`. */
static int sim_context(struct policy_context *ctx, struct api_call *call, json_t *entries)
{
    policy_context_init(ctx);
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        const char *key = json_string_value(json_object_get(e, "ContextKeyName"));
        json_t *values = json_object_get(e, "ContextKeyValues");
        size_t j;
        json_t *v;
        json_array_foreach(values, j, v)
        {
            if (policy_context_add(ctx, key, json_string_value(v)) < 0)
                return api_error(call, ERR_INVALID, "InvalidInput", "%s", err_msg());
        }
    }
    return 0;
}

struct simulation {
    struct sim_policies identity;
    struct sim_policies boundary;
    struct policy *resource;
    struct policy_principal principal;
    const char *resource_owner;
};

/* Evaluates every action against every resource into EvaluationResults. */
static int simulate(json_t **out, struct api_call *call, json_t *in, struct simulation *sim)
{
    json_t *actions = json_object_get(in, "ActionNames");
    json_t *resources = json_object_get(in, "ResourceArns");
    size_t nres = json_array_size(resources) ? json_array_size(resources) : 1;
    if (json_array_size(actions) * nres > SIMULATION_MAX)
        return api_error(call, ERR_INVALID, "InvalidInput",
                         "The simulation asks for more than %d evaluations", SIMULATION_MAX);
    struct policy_context ctx;
    int rc = sim_context(&ctx, call, json_object_get(in, "ContextEntries"));
    if (rc < 0)
        return rc;

    struct policy_set set = {
        .identity = (const struct policy *const *)sim->identity.items,
        .identity_count = sim->identity.count,
        .resource = sim->resource,
        .boundary = sim->boundary.count ? sim->boundary.items[0] : NULL,
    };
    json_t *results = json_array();
    size_t a, r;
    json_t *action;
    json_array_foreach(actions, a, action)
    {
        for (r = 0; r < nres; r++) {
            const char *resource =
                json_array_size(resources) ? json_string_value(json_array_get(resources, r)) : "*";
            struct policy_request req = {
                .principal = sim->principal,
                .action = json_string_value(action),
                .resource = resource,
                .resource_account = sim->resource_owner,
                .now_ms = call->now_ms,
                .context = &ctx,
            };
            struct policy_result res;
            if (policy_evaluate(&res, &set, &req) < 0) {
                json_decref(results);
                return api_error(call, ERR_INVALID, "InvalidInput", "%s", err_msg());
            }
            json_t *matched = json_array(), *missing = json_array();
            for (size_t m = 0; m < res.matched_count; m++) {
                const struct policy_statement_ref *ref = &res.matched[m];
                const char *id = "", *type = "none";
                if (ref->source == POLICY_SOURCE_IDENTITY && ref->policy < sim->identity.count) {
                    id = sim->identity.ids[ref->policy];
                    type = sim->identity.types[ref->policy];
                } else if (ref->source == POLICY_SOURCE_BOUNDARY && sim->boundary.count) {
                    id = sim->boundary.ids[0];
                    type = sim->boundary.types[0];
                } else if (ref->source == POLICY_SOURCE_RESOURCE) {
                    id = "ResourcePolicy";
                    type = "resource";
                }
                json_array_append_new(matched, json_pack("{s:s, s:s}", "SourcePolicyId", id,
                                                         "SourcePolicyType", type));
            }
            for (size_t m = 0; m < res.missing_count; m++)
                json_array_append_new(missing, json_string(res.missing[m]));
            json_t *result =
                json_pack("{s:O, s:s, s:s, s:o, s:o}", "EvalActionName", action, "EvalResourceName",
                          resource, "EvalDecision", decision_name(res.decision),
                          "MatchedStatements", matched, "MissingContextValues", missing);
            if (set.boundary)
                json_object_set_new(result, "PermissionsBoundaryDecisionDetail",
                                    json_pack("{s:b}", "AllowedByPermissionsBoundary",
                                              !(res.decision != POLICY_ALLOW &&
                                                res.denied_by == POLICY_SOURCE_BOUNDARY)));
            json_array_append_new(results, result);
        }
    }
    *out = json_pack("{s:o, s:b}", "EvaluationResults", results, "IsTruncated", 0);
    return 0;
}

static int sim_resource_policy(struct simulation *sim, struct api_call *call, json_t *in)
{
    const char *doc = json_string_value(json_object_get(in, "ResourcePolicy"));
    sim->resource_owner = json_string_value(json_object_get(in, "ResourceOwner"));
    if (!doc)
        return 0;
    struct policy_options opts = {.kind = POLICY_KIND_RESOURCE};
    if (policy_compile(&sim->resource, doc, strlen(doc), &opts) < 0)
        return api_error(call, ERR_INVALID, "MalformedPolicyDocument", "%s", err_msg());
    /* An ARN like arn:aws:iam::123456789012:root names an account. */
    struct arn owner;
    if (sim->resource_owner && arn_parse(&owner, sim->resource_owner) == 0) {
        static _Thread_local char account[16];
        snprintf(account, sizeof(account), "%s", owner.account);
        sim->resource_owner = account;
    }
    if (sim->resource_owner && strcmp(sim->resource_owner, call->account_id) == 0)
        sim->resource_owner = NULL;
    return 0;
}

static void simulation_release(struct simulation *sim)
{
    sim_policies_release(&sim->identity);
    sim_policies_release(&sim->boundary);
    policy_free(sim->resource);
}

int iam_simulate_custom_policy(struct api_call *call, json_t *in, json_t **out)
{
    char action[64];
    api_action_name(action, sizeof(action), call);
    int rc = api_authorize(call, action, "*");
    if (rc < 0)
        return rc;
    struct simulation sim = {0};
    json_t *names = json_array();
    const char *caller = json_string_value(json_object_get(in, "CallerArn"));
    sim.principal = (struct policy_principal){
        .type = POLICY_PRINCIPAL_USER,
        .arn = caller ? caller : call->principal->arn,
        .account = call->account_id,
    };
    if ((rc = sim_add_inputs(&sim.identity, call, json_object_get(in, "PolicyInputList"),
                             "PolicyInputList", names)) == 0 &&
        (rc = sim_add_inputs(&sim.boundary, call,
                             json_object_get(in, "PermissionsBoundaryPolicyInputList"),
                             "PermissionsBoundaryPolicyInputList", names)) == 0 &&
        (rc = sim_resource_policy(&sim, call, in)) == 0)
        rc = simulate(out, call, in, &sim);
    simulation_release(&sim);
    json_decref(names);
    return rc;
}

int iam_simulate_principal_policy(struct api_call *call, json_t *in, json_t **out)
{
    char action[64];
    api_action_name(action, sizeof(action), call);
    const char *source = json_string_value(json_object_get(in, "PolicySourceArn"));
    int rc = api_authorize(call, action, source);
    if (rc < 0)
        return rc;

    struct arn arn;
    if (arn_parse(&arn, source) < 0 || strcmp(arn.service, "iam") != 0 ||
        strlen(arn.account) != ACCOUNT_ID_LEN)
        return api_error(call, ERR_INVALID, "InvalidInput", "Invalid ARN %s", source);
    bool user = strncmp(arn.resource, "user/", 5) == 0;
    bool role = strncmp(arn.resource, "role/", 5) == 0;
    bool group = strncmp(arn.resource, "group/", 6) == 0;
    if (!user && !role && !group)
        return api_error(call, ERR_INVALID, "InvalidInput",
                         "PolicySourceArn %s must name a user, a group or a role", source);
    const char *name = strrchr(arn.resource, '/') + 1;

    struct principal p = {.type = user ? PRINCIPAL_USER : PRINCIPAL_ASSUMED_ROLE};
    memcpy(p.account_id, arn.account, ACCOUNT_ID_LEN + 1);
    snprintf(p.arn, sizeof(p.arn), "%s", source);
    snprintf(p.name, sizeof(p.name), "%s", name);
    snprintf(p.role_arn, sizeof(p.role_arn), "%s", role ? source : "");
    struct iam_policy_docs docs;
    rc = group ? iam_group_policies(&docs, call->store, p.account_id, name)
               : iam_principal_policies(&docs, call->store, &p);
    if (rc < 0) {
        if (rc == ERR_NOT_FOUND)
            return api_error(call, rc, "NoSuchEntity", "The %s with name %s cannot be found.",
                             user    ? "user"
                             : group ? "group"
                                     : "role",
                             name);
        return rc;
    }

    struct simulation sim = {0};
    json_t *names = json_array();
    for (size_t i = 0; rc == 0 && i < docs.count; i++) {
        const struct iam_policy_doc *d = &docs.items[i];
        rc = sim_add(&sim.identity, call, d->document, d->arn ? d->arn : d->name,
                     source_type(d->source), POLICY_KIND_IDENTITY);
    }
    if (rc == 0 && docs.boundary)
        rc = sim_add(&sim.boundary, call, docs.boundary->document,
                     docs.boundary->arn ? docs.boundary->arn : docs.boundary->name,
                     source_type(docs.boundary->source), POLICY_KIND_IDENTITY);
    const char *caller = json_string_value(json_object_get(in, "CallerArn"));
    /* A group is simulated as a user that has only the group's policies. */
    sim.principal = (struct policy_principal){
        .type = role ? POLICY_PRINCIPAL_ASSUMED_ROLE : POLICY_PRINCIPAL_USER,
        .arn = caller ? caller : source,
        .account = p.account_id,
        .name = role ? NULL : p.name,
        .parent_arn = role ? source : NULL,
    };
    if (rc == 0 &&
        (rc = sim_add_inputs(&sim.identity, call, json_object_get(in, "PolicyInputList"),
                             "PolicyInputList", names)) == 0 &&
        (rc = sim_add_inputs(&sim.boundary, call,
                             json_object_get(in, "PermissionsBoundaryPolicyInputList"),
                             "PermissionsBoundaryPolicyInputList", names)) == 0 &&
        (rc = sim_resource_policy(&sim, call, in)) == 0)
        rc = simulate(out, call, in, &sim);
    simulation_release(&sim);
    iam_policy_docs_release(&docs);
    json_decref(names);
    return rc;
}
