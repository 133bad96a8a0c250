#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/ids.h"
#include "services/common/record.h"

/*
 * Managed policies: the account's own (customer managed, with versions)
 * and AWS's (compiled in, aws_policies.c), behind one lookup by ARN.
 *
 *   iam.policy          ACCOUNT / POLICY_NAME                 (folded)
 *   iam.policy_version  ACCOUNT / POLICY_NAME "/" VERSION_ID  {VersionId, Document, CreateDate}
 *
 * A policy name is unique in its account whatever its path, as in IAM.
 * AttachmentCount and PermissionsBoundaryUsageCount are counted from the
 * policy's index entries (attachments.c, boundaries.c), so they cannot
 * drift from the attachments themselves.
 */

#define VERSION_LIMIT_MESSAGE                                                                      \
    "A managed policy can have up to 5 versions. Before you create a new version, you must "       \
    "delete an existing version."

json_t *iam_aws_policy_record(const struct iam_aws_policy *p)
{
    struct buf arn = BUF_INIT;
    iam_aws_policy_arn(&arn, p);
    json_t *rec =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:b}", "PolicyName", p->name,
                  "PolicyId", p->id, "Arn", arn.data, "Path", p->path, "DefaultVersionId",
                  p->version, "Description", p->description, "CreateDate", (json_int_t)p->create_ms,
                  "UpdateDate", (json_int_t)p->update_ms, "IsAttachable", p->attachable, "_aws", 1);
    buf_release(&arn);
    return rec;
}

static bool policy_is_aws(json_t *policy)
{
    return json_is_true(json_object_get(policy, "_aws"));
}

int iam_policy_find(json_t **out, int64_t *version, struct api_call *call, struct store_tx *tx,
                    const char *arn)
{
    if (version)
        *version = 0;
    const struct iam_aws_policy *aws = iam_aws_policy_find(arn);
    if (aws) {
        *out = iam_aws_policy_record(aws);
        return 0;
    }
    /* arn:aws:iam::ACCOUNT:policy/PATH/NAME, in the caller's account. */
    struct buf prefix = BUF_INIT;
    buf_addf(&prefix, "arn:aws:iam::%s:policy/", call->account_id);
    bool ours = strncmp(arn, prefix.data, prefix.len) == 0;
    buf_release(&prefix);
    if (!ours)
        return ERR_NOT_FOUND;
    struct buf key = BUF_INIT;
    iam_key(&key, iam_policy_name_of(arn), NULL);
    json_t *rec;
    int rc =
        record_get(&rec, version, call->store, tx, IAM_KIND_POLICY, call->account_id, key.data);
    buf_release(&key);
    if (rc < 0)
        return rc;
    if (strcmp(iam_str(rec, "Arn") ?: "", arn) != 0) {
        json_decref(rec);
        return ERR_NOT_FOUND;
    }
    *out = rec;
    return 0;
}

int iam_policy_version_text(char **out, struct store *st, struct store_tx *tx, const char *account,
                            json_t *policy, const char *version_id)
{
    if (policy_is_aws(policy)) {
        const struct iam_aws_policy *p = iam_aws_policy_find(iam_str(policy, "Arn"));
        if (!p || strcmp(p->version, version_id) != 0)
            return ERR_NOT_FOUND;
        *out = xstrdup(p->document);
        return 0;
    }
    struct buf key = BUF_INIT;
    iam_key(&key, iam_str(policy, "PolicyName"), version_id);
    json_t *rec;
    int rc = record_get(&rec, NULL, st, tx, IAM_KIND_POLICY_VERSION, account, key.data);
    buf_release(&key);
    if (rc < 0)
        return rc;
    *out = xstrdup(iam_str(rec, "Document") ?: "");
    json_decref(rec);
    return 0;
}

int iam_policy_attachable(struct api_call *call, struct store_tx *tx, const char *arn,
                          bool boundary)
{
    json_t *policy;
    int rc = iam_policy_find(&policy, NULL, call, tx, arn);
    if (rc == ERR_NOT_FOUND)
        return boundary ? api_error(call, rc, "NoSuchEntity",
                                    "Scope ARN: %s does not exist or is not attachable.", arn)
                        : api_error(call, rc, "NoSuchEntity",
                                    "Policy %s does not exist or is not attachable.", arn);
    if (rc < 0)
        return rc;
    if (!json_is_true(json_object_get(policy, "IsAttachable")))
        rc = api_error(call, ERR_INVALID, "PolicyNotAttachable",
                       "Cannot attach a Service Role Policy to a Customer Role.");
    json_decref(policy);
    return rc;
}

int iam_policy_out(json_t **out, struct api_call *call, struct store_tx *tx, json_t *rec,
                   bool detail)
{
    const char *arn = iam_str(rec, "Arn");
    size_t attached, boundaries;
    int rc;
    if ((rc = iam_policy_index_count(&attached, call, tx, IAM_KIND_POLICY_ENTITY, arn)) < 0 ||
        (rc = iam_policy_index_count(&boundaries, call, tx, IAM_KIND_POLICY_BOUNDARY, arn)) < 0)
        return rc;
    json_t *p = json_pack(
        "{s:O, s:O, s:O, s:O, s:O, s:I, s:I, s:O, s:O, s:O}", "PolicyName",
        json_object_get(rec, "PolicyName"), "PolicyId", json_object_get(rec, "PolicyId"), "Arn",
        json_object_get(rec, "Arn"), "Path", json_object_get(rec, "Path"), "DefaultVersionId",
        json_object_get(rec, "DefaultVersionId"), "AttachmentCount", (json_int_t)attached,
        "PermissionsBoundaryUsageCount", (json_int_t)boundaries, "IsAttachable",
        json_object_get(rec, "IsAttachable") ?: json_true(), "CreateDate",
        json_object_get(rec, "CreateDate"), "UpdateDate", json_object_get(rec, "UpdateDate"));
    if (detail) {
        json_t *description = json_object_get(rec, "Description");
        if (description)
            json_object_set(p, "Description", description);
        json_t *tags = json_object_get(rec, "Tags");
        if (json_array_size(tags))
            json_object_set(p, "Tags", tags);
    }
    *out = p;
    return 0;
}

/* Finds a policy for an operation, with IAM's answer when there is none. */
static int policy_get(json_t **out, int64_t *version, struct api_call *call, struct store_tx *tx,
                      const char *arn)
{
    int rc = iam_policy_find(out, version, call, tx, arn);
    if (rc == ERR_NOT_FOUND)
        return api_error(call, rc, "NoSuchEntity", "Policy %s was not found.", arn);
    return rc;
}

/* Finds one of the account's own policies: AWS's cannot be changed. */
static int policy_get_own(json_t **out, int64_t *version, struct api_call *call,
                          struct store_tx *tx, const char *arn)
{
    json_t *policy;
    int rc = policy_get(&policy, version, call, tx, arn);
    if (rc < 0)
        return rc;
    if (policy_is_aws(policy)) {
        json_decref(policy);
        return api_error(call, ERR_INVALID, "InvalidInput",
                         "Policy %s is an AWS managed policy and cannot be changed.", arn);
    }
    *out = policy;
    return 0;
}

static int policy_write(struct api_call *call, struct store_tx *tx, json_t *policy, int64_t version)
{
    struct buf key = BUF_INIT;
    iam_key(&key, iam_str(policy, "PolicyName"), NULL);
    json_t *copy = json_deep_copy(policy);
    json_object_del(copy, "_name");
    int rc =
        record_update(call->store, tx, IAM_KIND_POLICY, call->account_id, key.data, version, copy);
    json_decref(copy);
    buf_release(&key);
    return rc;
}

static int version_insert(struct api_call *call, struct store_tx *tx, const char *policy_name,
                          const char *version_id, const char *document)
{
    struct buf key = BUF_INIT;
    iam_key(&key, policy_name, version_id);
    json_t *v = json_pack("{s:s, s:s, s:I}", "VersionId", version_id, "Document", document,
                          "CreateDate", (json_int_t)call->now_ms);
    int rc = record_insert(call->store, tx, IAM_KIND_POLICY_VERSION, call->account_id, key.data, v);
    json_decref(v);
    buf_release(&key);
    return rc;
}

int iam_create_policy(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = iam_str(in, "PolicyName");
    const char *path = iam_str(in, "Path") ?: "/";
    const char *document = iam_str(in, "PolicyDocument");
    const char *description = iam_str(in, "Description");
    json_t *tags = json_object_get(in, "Tags");
    struct buf arn = BUF_INIT;
    iam_arn(&arn, call->account_id, "policy", path, name);
    int rc = iam_authorize(call, arn.data);
    if (rc < 0 || (rc = iam_document_check(NULL, call, document, IAM_DOC_MANAGED)) < 0 ||
        (rc = iam_tags_check(call, tags)) < 0) {
        buf_release(&arn);
        return rc;
    }
    char id[22];
    aws_id(id, "ANPA", 21);
    json_t *policy = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:i}", "PolicyName", name,
                               "PolicyId", id, "Arn", arn.data, "Path", path, "DefaultVersionId",
                               "v1", "CreateDate", (json_int_t)call->now_ms, "UpdateDate",
                               (json_int_t)call->now_ms, "IsAttachable", 1, "NextVersion", 2);
    buf_release(&arn);
    if (description)
        json_object_set_new(policy, "Description", json_string(description));
    if (json_array_size(tags))
        json_object_set(policy, "Tags", tags);

    _cleanup_store_tx_ struct store_tx *tx = NULL;
    struct buf key = BUF_INIT;
    iam_key(&key, name, NULL);
    if ((rc = store_tx_begin(&tx, call->store)) == 0) {
        rc = record_insert(call->store, tx, IAM_KIND_POLICY, call->account_id, key.data, policy);
        if (rc == ERR_EXISTS)
            rc = api_error(call, rc, "EntityAlreadyExists",
                           "A policy called %s already exists. Duplicate names are not allowed.",
                           name);
        if (rc == 0)
            rc = version_insert(call, tx, name, "v1", document);
        if (rc == 0)
            rc = store_tx_commit(TAKE_PTR(tx));
    }
    buf_release(&key);
    json_t *p = NULL;
    if (rc == 0 && (rc = iam_policy_out(&p, call, NULL, policy, true)) == 0)
        *out = json_pack("{s:o}", "Policy", p);
    json_decref(policy);
    return rc;
}

int iam_get_policy(struct api_call *call, json_t *in, json_t **out)
{
    const char *arn = iam_str(in, "PolicyArn");
    int rc = iam_authorize(call, arn);
    json_t *policy, *p;
    if (rc < 0 || (rc = policy_get(&policy, NULL, call, NULL, arn)) < 0)
        return rc;
    if ((rc = iam_policy_out(&p, call, NULL, policy, true)) == 0)
        *out = json_pack("{s:o}", "Policy", p);
    json_decref(policy);
    return rc;
}

struct list_filter {
    const char *path_prefix;
    bool only_attached;
    const char *usage;
};

/* Adds `policy` (as a ListPolicies item keyed `sort_key`) when it passes the filter. */
static int list_consider(json_t *items, struct api_call *call, const struct list_filter *f,
                         json_t *policy, const char *sort_key)
{
    if (!iam_path_has_prefix(policy, f->path_prefix))
        return 0;
    json_t *p;
    int rc = iam_policy_out(&p, call, NULL, policy, false);
    if (rc < 0)
        return rc;
    if (f->only_attached) {
        json_int_t attached = json_integer_value(json_object_get(p, "AttachmentCount"));
        json_int_t bounding =
            json_integer_value(json_object_get(p, "PermissionsBoundaryUsageCount"));
        bool used = !f->usage                                      ? attached + bounding > 0
                    : strcmp(f->usage, "PermissionsBoundary") == 0 ? bounding > 0
                                                                   : attached > 0;
        if (!used) {
            json_decref(p);
            return 0;
        }
    }
    json_object_set_new(p, "_name", json_string(sort_key));
    json_array_append_new(items, p);
    return 0;
}

int iam_list_policies(struct api_call *call, json_t *in, json_t **out)
{
    const char *scope = iam_str(in, "Scope") ?: "All";
    struct list_filter f = {
        .path_prefix = iam_str(in, "PathPrefix"),
        .only_attached = json_is_true(json_object_get(in, "OnlyAttached")),
        .usage = iam_str(in, "PolicyUsageFilter"),
    };
    int rc = iam_authorize(call, "*");
    if (rc < 0)
        return rc;
    /* AWS's policies first, by name, then the account's. */
    json_t *items = json_array();
    if (strcmp(scope, "Local") != 0) {
        for (size_t i = 0; rc == 0 && i < iam_aws_policy_count(); i++) {
            const struct iam_aws_policy *p = iam_aws_policy_at(i);
            struct buf sort_key = BUF_INIT;
            buf_addf(&sort_key, "0 %s%s", p->path, p->name);
            json_t *rec = iam_aws_policy_record(p);
            rc = list_consider(items, call, &f, rec, sort_key.data);
            json_decref(rec);
            buf_release(&sort_key);
        }
    }
    if (rc == 0 && strcmp(scope, "AWS") != 0) {
        json_t *records;
        if ((rc = iam_records_all(&records, call, NULL, IAM_KIND_POLICY, NULL)) == 0) {
            size_t i;
            json_t *rec;
            json_array_foreach(records, i, rec)
            {
                struct buf sort_key = BUF_INIT;
                buf_addf(&sort_key, "1 %s", iam_str(rec, "_name"));
                rc = list_consider(items, call, &f, rec, sort_key.data);
                buf_release(&sort_key);
                if (rc < 0)
                    break;
            }
            json_decref(records);
        }
    }
    iam_sort_by_name(items);
    if (rc == 0)
        rc = iam_list_array(out, call, in, items, "Policies");
    json_decref(items);
    return rc;
}

/* The versions of one of the account's policies, all of them. */
static int versions_all(json_t **out, struct api_call *call, struct store_tx *tx, json_t *policy)
{
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, iam_str(policy, "PolicyName"), "");
    int rc = iam_records_all(out, call, tx, IAM_KIND_POLICY_VERSION, prefix.data);
    buf_release(&prefix);
    return rc;
}

int iam_delete_policy(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *arn = iam_str(in, "PolicyArn");
    int rc = iam_authorize(call, arn);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *policy, *versions = NULL;
    if ((rc = policy_get_own(&policy, NULL, call, tx, arn)) < 0)
        return rc;
    size_t attached = 0, bounding = 0;
    if ((rc = iam_policy_index_count(&attached, call, tx, IAM_KIND_POLICY_ENTITY, arn)) == 0 &&
        (rc = iam_policy_index_count(&bounding, call, tx, IAM_KIND_POLICY_BOUNDARY, arn)) == 0 &&
        (rc = versions_all(&versions, call, tx, policy)) == 0) {
        if (attached + bounding > 0)
            rc = api_error(call, ERR_CONFLICT, "DeleteConflict",
                           "Cannot delete a policy attached to entities.");
        else if (json_array_size(versions) > 1)
            rc = api_error(call, ERR_CONFLICT, "DeleteConflict",
                           "This policy has more than one version. Before you delete a policy, "
                           "you must delete the policy's versions. The default version is "
                           "deleted with the policy.");
    }
    struct buf key = BUF_INIT, prefix = BUF_INIT;
    iam_key(&key, iam_str(policy, "PolicyName"), NULL);
    iam_key(&prefix, iam_str(policy, "PolicyName"), "");
    if (rc == 0)
        rc = store_doc_delete_prefix(NULL, call->store, tx, IAM_KIND_POLICY_VERSION,
                                     call->account_id, prefix.data);
    if (rc == 0)
        rc = store_doc_delete(call->store, tx, IAM_KIND_POLICY, call->account_id, key.data, 0);
    if (rc == 0)
        rc = iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
    buf_release(&key);
    buf_release(&prefix);
    json_decref(versions);
    json_decref(policy);
    return rc;
}

static json_t *version_out(json_t *policy, json_t *version, bool with_document)
{
    const char *id = iam_str(version, "VersionId");
    json_t *v = json_pack("{s:s, s:b, s:O}", "VersionId", id, "IsDefaultVersion",
                          strcmp(id, iam_str(policy, "DefaultVersionId") ?: "") == 0, "CreateDate",
                          json_object_get(version, "CreateDate"));
    if (with_document)
        json_object_set_new(v, "Document", iam_policy_document_out(iam_str(version, "Document")));
    return v;
}

int iam_create_policy_version(struct api_call *call, json_t *in, json_t **out)
{
    const char *arn = iam_str(in, "PolicyArn");
    const char *document = iam_str(in, "PolicyDocument");
    bool set_default = json_is_true(json_object_get(in, "SetAsDefault"));
    int rc = iam_authorize(call, arn);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *policy, *versions = NULL;
    int64_t version;
    if ((rc = policy_get_own(&policy, &version, call, tx, arn)) < 0)
        return rc;
    if ((rc = versions_all(&versions, call, tx, policy)) == 0 &&
        json_array_size(versions) >= IAM_VERSIONS_PER_POLICY)
        rc = api_error(call, ERR_LIMIT, "LimitExceeded", VERSION_LIMIT_MESSAGE);
    json_decref(versions);
    if (rc == 0)
        rc = iam_document_check(NULL, call, document, IAM_DOC_MANAGED);

    json_int_t next = json_integer_value(json_object_get(policy, "NextVersion"));
    char version_id[32];
    snprintf(version_id, sizeof(version_id), "v%" JSON_INTEGER_FORMAT, next > 0 ? next : 2);
    if (rc == 0)
        rc = version_insert(call, tx, iam_str(policy, "PolicyName"), version_id, document);
    if (rc == 0) {
        json_object_set_new(policy, "NextVersion", json_integer(next + 1));
        if (set_default) {
            json_object_set_new(policy, "DefaultVersionId", json_string(version_id));
            json_object_set_new(policy, "UpdateDate", json_integer(call->now_ms));
        }
        rc = policy_write(call, tx, policy, version);
    }
    if (rc == 0)
        rc = iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
    if (rc == 0) {
        json_t *v = json_pack("{s:s, s:I}", "VersionId", version_id, "CreateDate",
                              (json_int_t)call->now_ms);
        *out = json_pack("{s:o}", "PolicyVersion", version_out(policy, v, false));
        json_decref(v);
    }
    json_decref(policy);
    return rc;
}

/* Reads one version of a policy, with IAM's answer when there is none. */
static int version_get(json_t **out, struct api_call *call, struct store_tx *tx, json_t *policy,
                       const char *version_id)
{
    int rc;
    if (policy_is_aws(policy)) {
        /* AWS's policies have their default version only, made when last updated. */
        char *text;
        if ((rc = iam_policy_version_text(&text, call->store, tx, call->account_id, policy,
                                          version_id)) == 0) {
            *out = json_pack("{s:s, s:s, s:O}", "VersionId", version_id, "Document", text,
                             "CreateDate", json_object_get(policy, "UpdateDate"));
            free(text);
        }
    } else {
        struct buf key = BUF_INIT;
        iam_key(&key, iam_str(policy, "PolicyName"), version_id);
        rc = record_get(out, NULL, call->store, tx, IAM_KIND_POLICY_VERSION, call->account_id,
                        key.data);
        buf_release(&key);
    }
    if (rc == ERR_NOT_FOUND)
        return api_error(call, rc, "NoSuchEntity",
                         "Policy %s version %s does not exist or is not attachable.",
                         iam_str(policy, "Arn"), version_id);
    return rc;
}

int iam_get_policy_version(struct api_call *call, json_t *in, json_t **out)
{
    const char *arn = iam_str(in, "PolicyArn");
    const char *version_id = iam_str(in, "VersionId");
    int rc = iam_authorize(call, arn);
    json_t *policy, *version;
    if (rc < 0 || (rc = policy_get(&policy, NULL, call, NULL, arn)) < 0)
        return rc;
    if ((rc = version_get(&version, call, NULL, policy, version_id)) == 0) {
        *out = json_pack("{s:o}", "PolicyVersion", version_out(policy, version, true));
        json_decref(version);
    }
    json_decref(policy);
    return rc;
}

/* A policy's versions as PolicyVersion items, newest first, each with its document or not. */
int iam_policy_versions_out(json_t **out, struct api_call *call, json_t *policy,
                            bool with_documents)
{
    json_t *versions;
    int rc;
    if (policy_is_aws(policy)) {
        json_t *v;
        if ((rc = version_get(&v, call, NULL, policy, iam_str(policy, "DefaultVersionId"))) < 0)
            return rc;
        versions = json_pack("[o]", v);
    } else if ((rc = versions_all(&versions, call, NULL, policy)) < 0) {
        return rc;
    }
    json_t *items = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(versions, i, v)
    {
        /* "v12" sorts after "v9": order by number, newest first. */
        const char *id = iam_str(v, "VersionId") ?: "v0";
        char sort_key[32];
        snprintf(sort_key, sizeof(sort_key), "%012lld", 999999999999LL - strtoll(id + 1, NULL, 10));
        json_t *item = version_out(policy, v, with_documents);
        json_object_set_new(item, "_name", json_string(sort_key));
        json_array_append_new(items, item);
    }
    json_decref(versions);
    iam_sort_by_name(items);
    *out = items;
    return 0;
}

int iam_list_policy_versions(struct api_call *call, json_t *in, json_t **out)
{
    const char *arn = iam_str(in, "PolicyArn");
    int rc = iam_authorize(call, arn);
    json_t *policy, *items;
    if (rc < 0 || (rc = policy_get(&policy, NULL, call, NULL, arn)) < 0)
        return rc;
    rc = iam_policy_versions_out(&items, call, policy, false);
    json_decref(policy);
    if (rc < 0)
        return rc;
    rc = iam_list_array(out, call, in, items, "Versions");
    json_decref(items);
    return rc;
}

int iam_delete_policy_version(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *arn = iam_str(in, "PolicyArn");
    const char *version_id = iam_str(in, "VersionId");
    int rc = iam_authorize(call, arn);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *policy, *version;
    if ((rc = policy_get_own(&policy, NULL, call, tx, arn)) < 0)
        return rc;
    if ((rc = version_get(&version, call, tx, policy, version_id)) == 0) {
        json_decref(version);
        if (strcmp(version_id, iam_str(policy, "DefaultVersionId") ?: "") == 0)
            rc = api_error(call, ERR_CONFLICT, "DeleteConflict",
                           "Cannot delete the default version of a policy.");
    }
    if (rc == 0) {
        struct buf key = BUF_INIT;
        iam_key(&key, iam_str(policy, "PolicyName"), version_id);
        rc = store_doc_delete(call->store, tx, IAM_KIND_POLICY_VERSION, call->account_id, key.data,
                              0);
        buf_release(&key);
    }
    json_decref(policy);
    if (rc < 0)
        return rc;
    return store_tx_commit(TAKE_PTR(tx));
}

int iam_set_default_policy_version(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *arn = iam_str(in, "PolicyArn");
    const char *version_id = iam_str(in, "VersionId");
    int rc = iam_authorize(call, arn);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *policy, *version;
    int64_t record_version;
    if ((rc = policy_get_own(&policy, &record_version, call, tx, arn)) < 0)
        return rc;
    if ((rc = version_get(&version, call, tx, policy, version_id)) == 0) {
        json_decref(version);
        json_object_set_new(policy, "DefaultVersionId", json_string(version_id));
        json_object_set_new(policy, "UpdateDate", json_integer(call->now_ms));
        rc = policy_write(call, tx, policy, record_version);
    }
    json_decref(policy);
    if (rc < 0)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}
