#include "base/common.h"
#include "services/logs/logs_internal.h"
#include "aws/arn.h"
#include "base/alloc.h"
#include "base/err.h"
#include "services/common/record.h"

/* PutRetentionPolicy's accepted values, in AWS's order. */
static const int retention_days[] = {1,   3,   5,   7,   14,   30,   60,   90,   120,  150,  180,
                                     365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};

/* TooManyTagsException past AWS's 50 tags on one resource. */
static int tags_check(struct api_call *call, size_t total)
{
    if (total > LOGS_TAGS_MAX)
        return api_error(call, ERR_LIMIT, "TooManyTagsException",
                         "A resource can have no more than %d tags.", LOGS_TAGS_MAX);
    return 0;
}

int logs_create_log_group(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = logs_str(in, "logGroupName");
    json_t *tags = json_object_get(in, "tags");
    int rc = logs_authorize_group(call, name);
    /* Tags at creation need a tagging permission too, either of the two. */
    if (rc == 0 && json_object_size(tags)) {
        struct buf arn = BUF_INIT;
        logs_group_arn(&arn, call, name);
        rc = api_authorize(call, "logs:TagResource", arn.data);
        if (rc < 0) {
            call->error_code[0] = '\0';
            rc = api_authorize(call, "logs:TagLogGroup", arn.data);
        }
        buf_release(&arn);
    }
    if (rc < 0)
        return rc;
    /* AWS reserves the "aws/" prefix for its own groups ("/aws/..." is fine). */
    if (strncmp(name, "aws/", 4) == 0)
        return logs_invalid(call, "Log group names cannot start with 'aws/'.");
    if ((rc = tags_check(call, json_object_size(tags))) < 0)
        return rc;
    const char *kms = logs_str(in, "kmsKeyId");
    if (kms && strncmp(kms, "arn:", 4) != 0)
        return logs_invalid(call, "Invalid KMS key ARN: %s", kms);

    char scope[LOGS_SCOPE_MAX];
    logs_scope(scope, call);
    json_t *rec = logs_group_record_new(name, call->now_ms);
    if (tags)
        json_object_set(rec, "tags", tags);
    if (logs_str(in, "logGroupClass"))
        json_object_set_new(rec, "logGroupClass", json_string(logs_str(in, "logGroupClass")));
    if (kms)
        json_object_set_new(rec, "kmsKeyId", json_string(kms));
    if (logs_bool(in, "deletionProtectionEnabled"))
        json_object_set_new(rec, "deletionProtectionEnabled", json_true());

    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) == 0 &&
        (rc = logs_group_insert(call->store, tx, scope, name, rec)) == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    json_decref(rec);
    if (rc == ERR_EXISTS)
        return api_error(call, ERR_EXISTS, "ResourceAlreadyExistsException",
                         "The specified log group already exists");
    return rc;
}

int logs_delete_log_group(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = logs_str(in, "logGroupName");
    int rc = logs_authorize_group(call, name);
    if (rc < 0)
        return rc;
    char scope[LOGS_SCOPE_MAX];
    logs_scope(scope, call);
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *rec = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0 ||
        (rc = logs_group_record(&rec, NULL, call, tx, name)) < 0)
        return rc;
    if (logs_bool(rec, "deletionProtectionEnabled"))
        rc = api_error(call, ERR_INVALID, "ValidationException",
                       "Cannot delete log group %s because deletion protection is enabled", name);
    json_decref(rec);
    /* The document, the streams and every event go in one transaction. */
    if (rc == 0 && (rc = store_doc_delete(call->store, tx, LOGS_KIND_GROUP, scope, name, 0)) == 0 &&
        (rc = store_log_group_delete(call->store, tx, scope, name)) == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    return logs_not_found_as(call, rc, false);
}

/* One group as DescribeLogGroups shows it; `stats` NULL for a name-pattern search. */
static json_t *group_out(struct api_call *call, json_t *rec, const struct store_log_group *stats)
{
    const char *name = logs_str(rec, "logGroupName");
    struct buf arn = BUF_INIT, any = BUF_INIT;
    logs_group_arn(&arn, call, name);
    buf_addf(&any, "%s:*", arn.data);
    json_t *g = json_pack("{s:s, s:O, s:s}", "logGroupName", name, "creationTime",
                          json_object_get(rec, "creationTime"), "arn", any.data);
    buf_release(&any);
    if (stats) {
        if (stats->retention_days)
            json_object_set_new(g, "retentionInDays", json_integer(stats->retention_days));
        json_object_set_new(g, "metricFilterCount", json_integer(0));
        json_object_set_new(g, "storedBytes", json_integer(stats->stored_bytes));
        if (logs_str(rec, "kmsKeyId"))
            json_object_set(g, "kmsKeyId", json_object_get(rec, "kmsKeyId"));
        json_object_set(g, "logGroupClass", json_object_get(rec, "logGroupClass"));
        json_object_set_new(g, "logGroupArn", json_string(arn.data));
        if (logs_bool(rec, "deletionProtectionEnabled"))
            json_object_set_new(g, "deletionProtectionEnabled", json_true());
    }
    buf_release(&arn);
    return g;
}

/* Whether a group passes DescribeLogGroups' filters besides the prefix. */
static bool group_wanted(json_t *rec, json_t *in)
{
    const char *pattern = logs_str(in, "logGroupNamePattern");
    const char *cls = logs_str(in, "logGroupClass");
    json_t *idents = json_object_get(in, "logGroupIdentifiers");
    const char *name = logs_str(rec, "logGroupName");
    if (pattern && *pattern && !strstr(name, pattern))
        return false;
    if (cls && strcmp(cls, logs_str(rec, "logGroupClass") ?: "STANDARD") != 0)
        return false;
    if (idents) {
        size_t i;
        json_t *item;
        json_array_foreach(idents, i, item)
        {
            const char *id = json_string_value(item);
            const char *colon = id ? strstr(id, ":log-group:") : NULL;
            if (colon)
                id = colon + strlen(":log-group:");
            size_t len = strlen(id ?: "");
            if (len > 2 && strcmp(id + len - 2, ":*") == 0)
                len -= 2;
            if (id && strlen(name) == len && strncmp(name, id, len) == 0)
                return true;
        }
        return false;
    }
    return true;
}

int logs_describe_log_groups(struct api_call *call, json_t *in, json_t **out)
{
    int rc = logs_authorize_group(call, "");
    if (rc < 0)
        return rc;
    const char *prefix = logs_str(in, "logGroupNamePrefix");
    const char *pattern = logs_str(in, "logGroupNamePattern");
    if (prefix && pattern)
        return logs_invalid(call, "LogGroup name prefix and LogGroup name pattern are mutually "
                                  "exclusive parameters.");
    if (json_object_get(in, "logGroupIdentifiers") && (prefix || pattern))
        return logs_invalid(call, "logGroupIdentifiers cannot be combined with "
                                  "logGroupNamePrefix or logGroupNamePattern.");
    size_t limit;
    if ((rc = logs_describe_limit(&limit, call, in)) < 0)
        return rc;
    char *after = NULL;
    const char *token = logs_str(in, "nextToken");
    if (token && (rc = logs_token_decode(&after, call, token)) < 0)
        return rc;

    char scope[LOGS_SCOPE_MAX];
    logs_scope(scope, call);
    bool filtered =
        pattern || logs_str(in, "logGroupClass") || json_object_get(in, "logGroupIdentifiers");
    json_t *groups = json_array();
    char *last = after; /* the last group examined: the next page starts after it */
    bool more = false, exhausted = false;
    /*
     * A page is the documents of a name range merged with the store's
     * counters of the same range (two queries, not one per group). Filters
     * other than the prefix are applied here, so a filtered page may take
     * several ranges; a page ends when the next wanted group is found.
     */
    while (!more && !exhausted && rc == 0) {
        json_t *docs = NULL;
        struct store_log_group_page stats = {0};
        bool store_more = false;
        size_t fetch = filtered ? 100 : limit - json_array_size(groups);
        if (fetch == 0)
            break;
        rc = record_list(&docs, &store_more, call->store, NULL, LOGS_KIND_GROUP, scope, prefix,
                         last, fetch);
        if (rc == 0 && !pattern)
            rc = store_log_group_list(&stats, call->store, NULL, scope, prefix, last, fetch);
        size_t i, j = 0;
        json_t *rec;
        json_array_foreach(docs, i, rec)
        {
            if (rc < 0)
                break;
            const char *name = logs_str(rec, "logGroupName");
            if (group_wanted(rec, in)) {
                if (json_array_size(groups) == limit) {
                    more = true;
                    break;
                }
                struct store_log_group one;
                const struct store_log_group *counters = NULL;
                while (j < stats.len && strcmp(stats.items[j].name, name) < 0)
                    j++;
                if (j < stats.len && strcmp(stats.items[j].name, name) == 0) {
                    counters = &stats.items[j].group;
                } else if (!pattern) {
                    /* Created between the two reads, or deleted: ask again. */
                    int r = store_log_group_get(&one, call->store, NULL, scope, name);
                    if (r == 0)
                        counters = &one;
                    else if (r != ERR_NOT_FOUND)
                        rc = r;
                }
                if (rc == 0 && (counters || pattern))
                    json_array_append_new(groups, group_out(call, rec, counters));
            }
            free(last);
            last = xstrdup(name);
        }
        exhausted = !store_more && !more;
        /* Unfiltered, the page took exactly what it needed: whether more
         * follow is the store's answer, without reading them. */
        if (!filtered && json_array_size(groups) == limit) {
            more = store_more || more;
            exhausted = !more;
        }
        store_log_group_page_release(&stats);
        json_decref(docs);
    }
    if (rc < 0) {
        free(last);
        json_decref(groups);
        return rc;
    }
    *out = json_pack("{s:o}", "logGroups", groups);
    if (more && last) {
        struct buf next = BUF_INIT;
        logs_token_encode(&next, last);
        json_object_set_new(*out, "nextToken", json_string(next.data));
        buf_release(&next);
    }
    free(last);
    return 0;
}

int logs_put_retention_policy(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = logs_str(in, "logGroupName");
    int64_t days = logs_int(in, "retentionInDays", 0);
    int rc = logs_authorize_group(call, name);
    if (rc < 0)
        return rc;
    bool known = false;
    for (size_t i = 0; i < ARRAY_SIZE(retention_days); i++)
        known |= retention_days[i] == days;
    if (!known) {
        struct buf values = BUF_INIT;
        for (size_t i = 0; i < ARRAY_SIZE(retention_days); i++)
            buf_addf(&values, "%s%d", i ? ", " : "", retention_days[i]);
        rc = logs_invalid(call,
                          "1 validation error detected: Value '%" PRId64
                          "' at 'retentionInDays' failed to satisfy constraint: Member must "
                          "satisfy enum value set: [%s]",
                          days, values.data);
        buf_release(&values);
        return rc;
    }
    char scope[LOGS_SCOPE_MAX];
    logs_scope(scope, call);
    rc = store_log_group_set_retention(call->store, NULL, scope, name, (int)days);
    return logs_not_found_as(call, rc, false);
}

int logs_delete_retention_policy(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = logs_str(in, "logGroupName");
    int rc = logs_authorize_group(call, name);
    if (rc < 0)
        return rc;
    char scope[LOGS_SCOPE_MAX];
    logs_scope(scope, call);
    rc = store_log_group_set_retention(call->store, NULL, scope, name, 0);
    return logs_not_found_as(call, rc, false);
}

/* Reads, changes with `change` and writes back a group's document in one transaction. */
static int group_change(struct api_call *call, const char *name,
                        int (*change)(struct api_call *call, json_t *rec, json_t *in), json_t *in)
{
    char scope[LOGS_SCOPE_MAX];
    logs_scope(scope, call);
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *rec = NULL;
    int64_t version;
    int rc;
    if ((rc = store_tx_begin(&tx, call->store)) < 0 ||
        (rc = logs_group_record(&rec, &version, call, tx, name)) < 0)
        return rc;
    if ((rc = change(call, rec, in)) == 0 &&
        (rc = record_update(call->store, tx, LOGS_KIND_GROUP, scope, name, version, rec)) == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    json_decref(rec);
    return rc;
}

static int protection_set(struct api_call *call, json_t *rec, json_t *in)
{
    (void)call;
    if (logs_bool(in, "deletionProtectionEnabled"))
        json_object_set_new(rec, "deletionProtectionEnabled", json_true());
    else
        json_object_del(rec, "deletionProtectionEnabled");
    return 0;
}

int logs_put_deletion_protection(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    struct buf storage = BUF_INIT;
    const char *name;
    int rc = logs_group_param(&name, &storage, call, in);
    if (rc == 0 && (rc = logs_authorize_group(call, name)) == 0)
        rc = group_change(call, name, protection_set, in);
    buf_release(&storage);
    return rc;
}

/* ---- tags ---------------------------------------------------------------------- */

/* What a tagging call sees in `in`: its tags to add ("tags" object) or keys to remove. */
static int tags_add(struct api_call *call, json_t *rec, json_t *in)
{
    json_t *current = json_object_get(rec, "tags");
    if (!json_is_object(current)) {
        current = json_object();
        json_object_set_new(rec, "tags", current);
    }
    json_t *tags = json_object_get(in, "tags");
    size_t added = 0;
    const char *key;
    json_t *value;
    json_object_foreach(tags, key, value)
    {
        if (!json_object_get(current, key))
            added++;
    }
    int rc = tags_check(call, json_object_size(current) + added);
    if (rc < 0)
        return rc;
    json_object_update(current, tags);
    return 0;
}

static int tags_remove(struct api_call *call, json_t *rec, json_t *in)
{
    (void)call;
    json_t *current = json_object_get(rec, "tags");
    json_t *keys = json_object_get(in, "tagKeys");
    if (!keys)
        keys = json_object_get(in, "tags");
    size_t i;
    json_t *key;
    json_array_foreach(keys, i, key)
    {
        if (json_is_string(key))
            json_object_del(current, json_string_value(key));
    }
    return 0;
}

/*
 * The group a tagging call's resourceArn names: "arn:aws:logs:REGION:
 * ACCOUNT:log-group:NAME" (destinations cannot be tagged here: slipway
 * has none). Authorizes the call on the ARN as given.
 */
static int resource_group(const char **out, struct buf *storage, struct api_call *call, json_t *in)
{
    const char *text = logs_str(in, "resourceArn");
    char action[96];
    api_action_name(action, sizeof(action), call);
    int rc = api_authorize(call, action, text);
    if (rc < 0)
        return rc;
    struct arn arn;
    if (arn_parse(&arn, text) < 0 || strcmp(arn.service, "logs") != 0)
        return logs_invalid(call, "Invalid resource ARN: %s", text);
    if (strncmp(arn.resource, "log-group:", 10) != 0 || !arn.resource[10] ||
        strchr(arn.resource + 10, ':') || strcmp(arn.account, call->account_id) != 0 ||
        strcmp(arn.region, call->region) != 0)
        return api_error(call, ERR_NOT_FOUND, "ResourceNotFoundException",
                         "The specified resource does not exist.");
    buf_reset(storage);
    buf_adds(storage, arn.resource + 10);
    *out = storage->data;
    return 0;
}

static int tags_of(json_t **out, struct api_call *call, const char *name)
{
    json_t *rec;
    int rc = logs_group_record(&rec, NULL, call, NULL, name);
    if (rc < 0)
        return rc;
    json_t *tags = json_object_get(rec, "tags");
    *out = json_pack("{s:O}", "tags", json_is_object(tags) ? tags : json_object());
    json_decref(rec);
    return 0;
}

int logs_tag_resource(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    struct buf storage = BUF_INIT;
    const char *name;
    int rc = resource_group(&name, &storage, call, in);
    if (rc == 0)
        rc = group_change(call, name, tags_add, in);
    buf_release(&storage);
    return rc;
}

int logs_untag_resource(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    struct buf storage = BUF_INIT;
    const char *name;
    int rc = resource_group(&name, &storage, call, in);
    if (rc == 0)
        rc = group_change(call, name, tags_remove, in);
    buf_release(&storage);
    return rc;
}

int logs_list_tags_for_resource(struct api_call *call, json_t *in, json_t **out)
{
    struct buf storage = BUF_INIT;
    const char *name;
    int rc = resource_group(&name, &storage, call, in);
    if (rc == 0)
        rc = tags_of(out, call, name);
    buf_release(&storage);
    return rc;
}

int logs_tag_log_group(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = logs_str(in, "logGroupName");
    int rc = logs_authorize_group(call, name);
    return rc < 0 ? rc : group_change(call, name, tags_add, in);
}

int logs_untag_log_group(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = logs_str(in, "logGroupName");
    int rc = logs_authorize_group(call, name);
    return rc < 0 ? rc : group_change(call, name, tags_remove, in);
}

int logs_list_tags_log_group(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = logs_str(in, "logGroupName");
    int rc = logs_authorize_group(call, name);
    return rc < 0 ? rc : tags_of(out, call, name);
}
