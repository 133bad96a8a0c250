#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "aws/policy.h"
#include "base/err.h"
#include "services/common/record.h"

/*
 * Inline policies of users, groups and roles: records of the entity's
 * policy kind named ENTITY "/" POLICY_NAME holding {<entity name field>,
 * PolicyName, PolicyDocument}.
 */

/* The total size of an entity's inline policies, less the one named `except`. */
static int inline_total(size_t *out, struct api_call *call, struct store_tx *tx,
                        const struct iam_entity_kind *k, const char *owner, const char *except)
{
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, owner, "");
    json_t *records;
    int rc = record_list(&records, NULL, call->store, tx, k->policy_kind, call->account_id,
                         prefix.data, NULL, 0);
    buf_release(&prefix);
    if (rc < 0)
        return rc;
    size_t total = 0, i;
    json_t *rec;
    json_array_foreach(records, i, rec)
    {
        const char *name = iam_str(rec, "PolicyName");
        const char *doc = iam_str(rec, "PolicyDocument") ?: "";
        if (!name || strcmp(name, except) != 0)
            total += policy_size(doc, strlen(doc));
    }
    json_decref(records);
    *out = total;
    return 0;
}

int iam_put_inline_policy(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const struct iam_entity_kind *k = call->op_ctx;
    const char *owner = iam_str(in, k->name_field);
    const char *name = iam_str(in, "PolicyName");
    const char *doc = iam_str(in, "PolicyDocument");
    int rc = iam_entity_authorize(call, k, owner);
    size_t size;
    if (rc < 0 || (rc = iam_document_check(&size, call, doc, IAM_DOC_INLINE)) < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *entity;
    if ((rc = iam_entity_get_for_change(&entity, NULL, call, tx, k, owner)) < 0)
        return rc;
    size_t total;
    if ((rc = inline_total(&total, call, tx, k, owner, name)) == 0 &&
        total + size > (size_t)k->inline_max)
        rc = api_error(call, ERR_LIMIT, "LimitExceeded",
                       "Maximum policy size of %d bytes exceeded for %s %s", k->inline_max, k->type,
                       owner);
    if (rc == 0) {
        struct buf key = BUF_INIT;
        iam_key(&key, owner, name);
        json_t *rec =
            json_pack("{s:O, s:s, s:s}", k->name_field, json_object_get(entity, k->name_field),
                      "PolicyName", name, "PolicyDocument", doc);
        rc = record_upsert(call->store, tx, k->policy_kind, call->account_id, key.data, rec);
        json_decref(rec);
        buf_release(&key);
    }
    json_decref(entity);
    if (rc < 0)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

static int inline_get_record(json_t **out, struct api_call *call, struct store_tx *tx,
                             const struct iam_entity_kind *k, const char *owner, const char *name)
{
    struct buf key = BUF_INIT;
    iam_key(&key, owner, name);
    int rc = record_get(out, NULL, call->store, tx, k->policy_kind, call->account_id, key.data);
    buf_release(&key);
    if (rc == ERR_NOT_FOUND)
        return api_error(call, rc, "NoSuchEntity", "The %s policy with name %s cannot be found.",
                         k->type, name);
    return rc;
}

int iam_get_inline_policy(struct api_call *call, json_t *in, json_t **out)
{
    const struct iam_entity_kind *k = call->op_ctx;
    const char *owner = iam_str(in, k->name_field);
    const char *name = iam_str(in, "PolicyName");
    int rc = iam_entity_authorize(call, k, owner);
    json_t *entity, *rec;
    if (rc < 0 || (rc = iam_entity_get(&entity, NULL, call, NULL, k, owner)) < 0)
        return rc;
    if ((rc = inline_get_record(&rec, call, NULL, k, owner, name)) == 0) {
        *out = json_pack("{s:O, s:O, s:o}", k->name_field, json_object_get(entity, k->name_field),
                         "PolicyName", json_object_get(rec, "PolicyName"), "PolicyDocument",
                         iam_policy_document_out(iam_str(rec, "PolicyDocument") ?: ""));
        json_decref(rec);
    }
    json_decref(entity);
    return rc;
}

int iam_delete_inline_policy(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const struct iam_entity_kind *k = call->op_ctx;
    const char *owner = iam_str(in, k->name_field);
    const char *name = iam_str(in, "PolicyName");
    int rc = iam_entity_authorize(call, k, owner);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *entity, *rec;
    if ((rc = iam_entity_get_for_change(&entity, NULL, call, tx, k, owner)) < 0)
        return rc;
    json_decref(entity);
    if ((rc = inline_get_record(&rec, call, tx, k, owner, name)) < 0)
        return rc;
    json_decref(rec);
    struct buf key = BUF_INIT;
    iam_key(&key, owner, name);
    rc = store_doc_delete(call->store, tx, k->policy_kind, call->account_id, key.data, 0);
    buf_release(&key);
    if (rc < 0)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

int iam_list_inline_policies(struct api_call *call, json_t *in, json_t **out)
{
    const struct iam_entity_kind *k = call->op_ctx;
    json_t *result = json_object(), *page;
    int rc = iam_entity_page(&page, result, call, in, k, iam_str(in, k->name_field), k->policy_kind,
                             NULL, NULL);
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    json_t *names = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(page, i, rec) json_array_append(names, json_object_get(rec, "PolicyName"));
    json_decref(page);
    json_object_set_new(result, "PolicyNames", names);
    *out = result;
    return 0;
}

int iam_inline_policies(json_t **out, struct api_call *call, const struct iam_entity_kind *k,
                        const char *owner)
{
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, owner, "");
    json_t *records;
    int rc = record_list(&records, NULL, call->store, NULL, k->policy_kind, call->account_id,
                         prefix.data, NULL, 0);
    buf_release(&prefix);
    if (rc < 0)
        return rc;
    json_t *list = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(records, i, rec)
    {
        json_array_append_new(
            list, json_pack("{s:O, s:o}", "PolicyName", json_object_get(rec, "PolicyName"),
                            "PolicyDocument",
                            iam_policy_document_out(iam_str(rec, "PolicyDocument") ?: "")));
    }
    json_decref(records);
    *out = list;
    return 0;
}
