#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_internal.h"
#include "base/alloc.h"
#include "base/crypto.h"
#include "base/err.h"
#include "services/common/record.h"

/*
 * What applies to a principal, for the authorization path: documents and
 * stable identities, read from the records the IAM operations keep. The
 * helpers shared with the operations take an api_call for its store and
 * account; here one is made up with just those two.
 */

/* A boundary that cannot be read must not widen access: it allows nothing. */
#define DENY_ALL                                                                                   \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\","            \
    "\"Resource\":\"*\"}]}"

void iam_policy_doc_release(struct iam_policy_doc *doc)
{
    if (!doc)
        return;
    free(doc->id);
    free(doc->name);
    free(doc->arn);
    free(doc->version_id);
    free(doc->entity);
    free(doc->document);
    memset(doc, 0, sizeof(*doc));
}

void iam_policy_docs_release(struct iam_policy_docs *docs)
{
    if (!docs)
        return;
    for (size_t i = 0; i < docs->count; i++)
        iam_policy_doc_release(&docs->items[i]);
    free(docs->items);
    iam_policy_doc_release(docs->boundary);
    free(docs->boundary);
    memset(docs, 0, sizeof(*docs));
}

void iam_role_trust_release(struct iam_role_trust *trust)
{
    if (!trust)
        return;
    free(trust->id);
    free(trust->document);
    free(trust->role_arn);
    free(trust->role_id);
    free(trust->role_name);
    memset(trust, 0, sizeof(*trust));
}

/* "#" and 16 hex digits of the document's SHA-256. */
static void digest_add(struct buf *out, const char *document)
{
    uint8_t digest[SHA256_LEN];
    char hex[2 * SHA256_LEN + 1];
    sha256(digest, document, strlen(document));
    hex_encode(hex, digest, SHA256_LEN);
    buf_addf(out, "#%.16s", hex);
}

static const char *entity_source_type(enum iam_policy_source source)
{
    switch (source) {
    case IAM_POLICY_USER_INLINE:
        return "user";
    case IAM_POLICY_GROUP_INLINE:
        return "group";
    default:
        return "role";
    }
}

static void doc_inline(struct iam_policy_doc *out, enum iam_policy_source source,
                       const char *entity, const char *name, const char *document)
{
    struct buf id = BUF_INIT;
    buf_addf(&id, "inline:%s/%s/%s", entity_source_type(source), entity, name);
    digest_add(&id, document);
    *out = (struct iam_policy_doc){
        .source = source,
        .id = buf_detach(&id, NULL),
        .name = xstrdup(name),
        .entity = xstrdup(entity),
        .document = xstrdup(document),
    };
}

/* The default version of a managed policy; ERR_NOT_FOUND when it is gone. */
static int doc_managed(struct iam_policy_doc *out, struct api_call *call, const char *arn,
                       const char *entity)
{
    json_t *policy;
    int rc = iam_policy_find(&policy, NULL, call, NULL, arn);
    if (rc < 0)
        return rc;
    const char *version = iam_str(policy, "DefaultVersionId") ?: "v1";
    char *text;
    if ((rc = iam_policy_version_text(&text, call->store, NULL, call->account_id, policy,
                                      version)) == 0) {
        struct buf id = BUF_INIT;
        buf_addf(&id, "%s:%s", arn, version);
        digest_add(&id, text);
        *out = (struct iam_policy_doc){
            .source = json_is_true(json_object_get(policy, "_aws")) ? IAM_POLICY_AWS_MANAGED
                                                                    : IAM_POLICY_CUSTOMER_MANAGED,
            .id = buf_detach(&id, NULL),
            .name = xstrdup(iam_str(policy, "PolicyName") ?: iam_policy_name_of(arn)),
            .arn = xstrdup(arn),
            .version_id = xstrdup(version),
            .entity = entity ? xstrdup(entity) : NULL,
            .document = text,
        };
    }
    json_decref(policy);
    return rc;
}

struct collector {
    struct api_call *call;
    struct iam_policy_docs docs;
    size_t alloc;
    json_t *seen; /* managed ARNs already added */
};

static struct iam_policy_doc *collector_slot(struct collector *c)
{
    if (c->docs.count == c->alloc) {
        c->alloc = c->alloc ? 2 * c->alloc : 8;
        c->docs.items = xrealloc(c->docs.items, c->alloc * sizeof(*c->docs.items));
    }
    return &c->docs.items[c->docs.count];
}

/* Adds an entity's inline policies and its attached managed policies. */
static int collect_entity(struct collector *c, const struct iam_entity_kind *k,
                          enum iam_policy_source source, const char *name)
{
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, name, "");
    json_t *inline_records = NULL, *attachments = NULL;
    int rc = iam_records_all(&inline_records, c->call, NULL, k->policy_kind, prefix.data);
    if (rc == 0)
        rc = iam_records_all(&attachments, c->call, NULL, k->attachment_kind, prefix.data);
    buf_release(&prefix);
    size_t i;
    json_t *rec;
    json_array_foreach(rc == 0 ? inline_records : NULL, i, rec)
    {
        doc_inline(collector_slot(c), source, name, iam_str(rec, "PolicyName") ?: "",
                   iam_str(rec, "PolicyDocument") ?: "{}");
        c->docs.count++;
    }
    json_array_foreach(rc == 0 ? attachments : NULL, i, rec)
    {
        const char *arn = iam_str(rec, "PolicyArn") ?: "";
        if (json_object_get(c->seen, arn))
            continue;
        int found = doc_managed(collector_slot(c), c->call, arn, name);
        if (found == 0) {
            c->docs.count++;
            json_object_set_new(c->seen, arn, json_true());
        } else if (found != ERR_NOT_FOUND) {
            rc = found;
            break;
        }
    }
    json_decref(inline_records);
    json_decref(attachments);
    return rc;
}

static int collect_boundary(struct collector *c, json_t *entity, const char *name)
{
    const char *arn = iam_str(entity, "PermissionsBoundary");
    if (!arn)
        return 0;
    struct iam_policy_doc *b = xcalloc(1, sizeof(*b));
    int rc = doc_managed(b, c->call, arn, name);
    if (rc == ERR_NOT_FOUND) {
        struct buf id = BUF_INIT;
        buf_addf(&id, "%s:missing", arn);
        digest_add(&id, DENY_ALL);
        *b = (struct iam_policy_doc){
            .source = IAM_POLICY_CUSTOMER_MANAGED,
            .id = buf_detach(&id, NULL),
            .name = xstrdup(iam_policy_name_of(arn)),
            .arn = xstrdup(arn),
            .entity = xstrdup(name),
            .document = xstrdup(DENY_ALL),
        };
        rc = 0;
    }
    if (rc < 0) {
        free(b);
        return rc;
    }
    c->docs.boundary = b;
    return 0;
}

int iam_principal_policies(struct iam_policy_docs *out, struct store *st, const struct principal *p)
{
    if (p->type == PRINCIPAL_ROOT) {
        *out = (struct iam_policy_docs){0};
        return 0;
    }
    struct api_call call = {.store = st, .account_id = p->account_id};
    struct collector c = {.call = &call, .seen = json_object()};
    const struct iam_entity_kind *k =
        p->type == PRINCIPAL_USER ? &iam_user_entity : &iam_role_entity;
    json_t *entity = NULL, *groups = NULL;
    struct buf key = BUF_INIT;
    iam_key(&key, p->name, NULL);
    int rc = record_get(&entity, NULL, st, NULL, k->kind, p->account_id, key.data);
    if (rc == ERR_NOT_FOUND)
        rc =
            err_set(rc, "the %s '%s' of principal '%s' no longer exists", k->type, p->name, p->arn);
    const char *name = rc == 0 ? iam_str(entity, k->name_field) : NULL;
    if (rc == 0)
        rc = collect_entity(
            &c, k, k == &iam_user_entity ? IAM_POLICY_USER_INLINE : IAM_POLICY_ROLE_INLINE, name);
    if (rc == 0 && k == &iam_user_entity) {
        buf_reset(&key);
        iam_key(&key, name, "");
        rc = iam_records_all(&groups, &call, NULL, IAM_KIND_USER_GROUP, key.data);
        size_t i;
        json_t *g;
        json_array_foreach(rc == 0 ? groups : NULL, i, g)
        {
            rc = collect_entity(&c, &iam_group_entity, IAM_POLICY_GROUP_INLINE,
                                iam_str(g, "GroupName") ?: "");
            if (rc < 0)
                break;
        }
    }
    if (rc == 0)
        rc = collect_boundary(&c, entity, name);
    buf_release(&key);
    json_decref(entity);
    json_decref(groups);
    json_decref(c.seen);
    if (rc < 0) {
        iam_policy_docs_release(&c.docs);
        return rc;
    }
    *out = c.docs;
    return 0;
}

int iam_group_policies(struct iam_policy_docs *out, struct store *st, const char *account_id,
                       const char *group_name)
{
    struct api_call call = {.store = st, .account_id = account_id};
    struct collector c = {.call = &call, .seen = json_object()};
    json_t *group = NULL;
    struct buf key = BUF_INIT;
    iam_key(&key, group_name, NULL);
    int rc = record_get(&group, NULL, st, NULL, iam_group_entity.kind, account_id, key.data);
    buf_release(&key);
    if (rc == ERR_NOT_FOUND)
        rc = err_set(rc, "the group '%s' does not exist", group_name);
    if (rc == 0)
        rc = collect_entity(&c, &iam_group_entity, IAM_POLICY_GROUP_INLINE,
                            iam_str(group, iam_group_entity.name_field));
    json_decref(group);
    json_decref(c.seen);
    if (rc < 0) {
        iam_policy_docs_release(&c.docs);
        return rc;
    }
    *out = c.docs;
    return 0;
}

int iam_role_trust_policy(struct iam_role_trust *out, struct store *st, const char *account_id,
                          const char *role_name)
{
    json_t *role;
    int rc = iam_role_get(&role, st, account_id, role_name);
    if (rc < 0)
        return rc;
    const char *document = iam_str(role, "AssumeRolePolicyDocument") ?: "{}";
    struct buf id = BUF_INIT;
    buf_addf(&id, "trust:%s", iam_str(role, "RoleId") ?: "");
    digest_add(&id, document);
    *out = (struct iam_role_trust){
        .id = buf_detach(&id, NULL),
        .document = xstrdup(document),
        .role_arn = xstrdup(iam_str(role, "Arn") ?: ""),
        .role_id = xstrdup(iam_str(role, "RoleId") ?: ""),
        .role_name = xstrdup(iam_str(role, "RoleName") ?: role_name),
        .max_session_seconds = json_integer_value(json_object_get(role, "MaxSessionDuration")),
    };
    json_decref(role);
    return 0;
}

int iam_policy_document_get(struct iam_policy_doc *out, struct store *st, const char *policy_arn)
{
    /* arn:aws:iam::ACCOUNT:policy/...: the account the ARN names. */
    static const char prefix[] = "arn:aws:iam::";
    char account[ACCOUNT_ID_LEN + 1] = "";
    if (strncmp(policy_arn, prefix, sizeof(prefix) - 1) == 0) {
        const char *start = policy_arn + sizeof(prefix) - 1;
        const char *colon = strchr(start, ':');
        if (colon && (size_t)(colon - start) <= ACCOUNT_ID_LEN) {
            memcpy(account, start, (size_t)(colon - start));
            account[colon - start] = '\0';
        }
    }
    struct api_call call = {.store = st, .account_id = account};
    int rc = doc_managed(out, &call, policy_arn, NULL);
    if (rc == ERR_NOT_FOUND)
        return err_set(rc, "policy '%s' does not exist", policy_arn);
    return rc;
}
