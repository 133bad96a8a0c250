#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "services/iam/iam_internal.h"
#include "base/err.h"
#include "services/common/record.h"

/*
 * Tags of users, roles, customer managed policies and instance profiles,
 * kept in the entity's record as "Tags" [{Key, Value}]. Keys are unique
 * regardless of case, as in IAM: tagging with "Env" replaces "env".
 */

/* The operation tables point at these, to say what a tag call is about. */
const enum iam_tag_target iam_tag_targets[] = {IAM_TAG_USER, IAM_TAG_ROLE, IAM_TAG_POLICY,
                                               IAM_TAG_INSTANCE_PROFILE};

struct tag_target {
    enum iam_tag_target type;
    const char *kind;
    const char *quota; /* "TagsPerUser" */
    struct buf key;
    json_t *record;
    int64_t version;
};

static const char *target_param(enum iam_tag_target type)
{
    switch (type) {
    case IAM_TAG_USER:
        return "UserName";
    case IAM_TAG_ROLE:
        return "RoleName";
    case IAM_TAG_POLICY:
        return "PolicyArn";
    case IAM_TAG_INSTANCE_PROFILE:
        return "InstanceProfileName";
    }
    return "";
}

static int target_authorize(struct api_call *call, enum iam_tag_target type, const char *id)
{
    switch (type) {
    case IAM_TAG_USER:
        return iam_entity_authorize(call, &iam_user_entity, id);
    case IAM_TAG_ROLE:
        return iam_entity_authorize(call, &iam_role_entity, id);
    case IAM_TAG_POLICY:
        return iam_authorize(call, id);
    case IAM_TAG_INSTANCE_PROFILE:
        break;
    }
    return iam_instance_profile_authorize(call, id);
}

static void target_release(struct tag_target *t)
{
    buf_release(&t->key);
    json_decref(t->record);
}

static int target_load(struct tag_target *t, struct api_call *call, struct store_tx *tx,
                       enum iam_tag_target type, const char *id)
{
    *t = (struct tag_target){.type = type, .key = BUF_INIT};
    int rc;
    switch (type) {
    case IAM_TAG_USER:
    case IAM_TAG_ROLE: {
        const struct iam_entity_kind *k =
            type == IAM_TAG_USER ? &iam_user_entity : &iam_role_entity;
        t->kind = k->kind;
        t->quota = type == IAM_TAG_USER ? "TagsPerUser" : "TagsPerRole";
        iam_key(&t->key, id, NULL);
        return iam_entity_get(&t->record, &t->version, call, tx, k, id);
    }
    case IAM_TAG_POLICY:
        t->kind = IAM_KIND_POLICY;
        t->quota = "TagsPerPolicy";
        rc = iam_policy_find(&t->record, &t->version, call, tx, id);
        if (rc == ERR_NOT_FOUND)
            return api_error(call, rc, "NoSuchEntity", "Policy %s was not found.", id);
        if (rc == 0 && json_is_true(json_object_get(t->record, "_aws")))
            return api_error(call, ERR_INVALID, "InvalidInput",
                             "Policy %s is an AWS managed policy and cannot be changed.", id);
        if (rc == 0)
            iam_key(&t->key, iam_str(t->record, "PolicyName"), NULL);
        return rc;
    case IAM_TAG_INSTANCE_PROFILE:
        t->kind = IAM_KIND_INSTANCE_PROFILE;
        t->quota = "TagsPerInstanceProfile";
        iam_key(&t->key, id, NULL);
        rc = record_get(&t->record, &t->version, call->store, tx, t->kind, call->account_id,
                        t->key.data);
        if (rc == ERR_NOT_FOUND)
            return api_error(call, rc, "NoSuchEntity", "Instance Profile %s cannot be found.", id);
        return rc;
    }
    return ERR_INTERNAL;
}

int iam_tags_check(struct api_call *call, json_t *tags)
{
    size_t n = json_array_size(tags);
    for (size_t i = 0; i < n; i++) {
        const char *key = iam_str(json_array_get(tags, i), "Key") ?: "";
        if (strncasecmp(key, "aws:", 4) == 0)
            return api_error(call, ERR_INVALID, "InvalidInput",
                             "Tag keys beginning with 'aws:' are reserved for AWS use.");
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(key, iam_str(json_array_get(tags, j), "Key") ?: "") == 0)
                return api_error(call, ERR_INVALID, "InvalidInput",
                                 "Duplicate tag keys found. Please note that Tag keys are case "
                                 "insensitive.");
    }
    return 0;
}

/* Removes the tag whose key is `key` in any case; true when there was one. */
static bool tags_remove(json_t *tags, const char *key)
{
    for (size_t i = 0; i < json_array_size(tags); i++) {
        if (strcasecmp(iam_str(json_array_get(tags, i), "Key") ?: "", key) == 0) {
            json_array_remove(tags, i);
            return true;
        }
    }
    return false;
}

static int target_write(struct api_call *call, struct store_tx *tx, struct tag_target *t)
{
    return record_update(call->store, tx, t->kind, call->account_id, t->key.data, t->version,
                         t->record);
}

int iam_tag(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    enum iam_tag_target type = *(const enum iam_tag_target *)call->op_ctx;
    const char *id = iam_str(in, target_param(type));
    json_t *tags = json_object_get(in, "Tags");
    int rc = target_authorize(call, type, id);
    if (rc < 0 || (rc = iam_tags_check(call, tags)) < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    struct tag_target t;
    if ((rc = target_load(&t, call, tx, type, id)) == 0) {
        json_t *merged = json_object_get(t.record, "Tags");
        merged = json_is_array(merged) ? json_deep_copy(merged) : json_array();
        size_t i;
        json_t *item;
        json_array_foreach(tags, i, item)
        {
            tags_remove(merged, iam_str(item, "Key"));
            json_array_append(merged, item);
        }
        if (json_array_size(merged) > IAM_TAGS_PER_ENTITY)
            rc = api_error(call, ERR_LIMIT, "LimitExceeded", "Cannot exceed quota for %s: %d",
                           t.quota, IAM_TAGS_PER_ENTITY);
        json_object_set_new(t.record, "Tags", merged);
        if (rc == 0)
            rc = target_write(call, tx, &t);
    }
    target_release(&t);
    if (rc < 0)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

int iam_untag(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    enum iam_tag_target type = *(const enum iam_tag_target *)call->op_ctx;
    const char *id = iam_str(in, target_param(type));
    json_t *keys = json_object_get(in, "TagKeys");
    int rc = target_authorize(call, type, id);
    if (rc < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    struct tag_target t;
    if ((rc = target_load(&t, call, tx, type, id)) == 0) {
        json_t *tags = json_object_get(t.record, "Tags");
        bool changed = false;
        size_t i;
        json_t *key;
        json_array_foreach(keys, i, key)
        {
            if (json_is_array(tags) && tags_remove(tags, json_string_value(key)))
                changed = true;
        }
        if (changed)
            rc = target_write(call, tx, &t);
    }
    target_release(&t);
    if (rc < 0)
        return rc;
    return iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)));
}

int iam_list_tags(struct api_call *call, json_t *in, json_t **out)
{
    enum iam_tag_target type = *(const enum iam_tag_target *)call->op_ctx;
    const char *id = iam_str(in, target_param(type));
    int rc = target_authorize(call, type, id);
    if (rc < 0)
        return rc;
    struct tag_target t;
    if ((rc = target_load(&t, call, NULL, type, id)) < 0) {
        target_release(&t);
        return rc;
    }
    /* Pages by position: tags keep the order they were added in. */
    json_t *items = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(t.record, "Tags"), i, item)
    {
        char position[24];
        snprintf(position, sizeof(position), "%06zu", i);
        json_t *copy = json_pack("{s:O, s:O, s:s}", "Key", json_object_get(item, "Key"), "Value",
                                 json_object_get(item, "Value"), "_name", position);
        json_array_append_new(items, copy);
    }
    target_release(&t);
    rc = iam_list_array(out, call, in, items, "Tags");
    json_decref(items);
    return rc;
}
