#include "base/common.h"
#include "services/s3/s3_internal.h"
#include "base/alloc.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/log.h"
#include "services/common/record.h"

/*
 * Lifecycle configurations and the task that applies them.
 *
 * Supported actions: Expiration (Days, Date, ExpiredObjectDeleteMarker),
 * NoncurrentVersionExpiration (NoncurrentDays, NewerNoncurrentVersions),
 * AbortIncompleteMultipartUpload; filters by prefix, tags and object size.
 * Transitions are refused (slipway has one storage class).
 *
 * Ages count as S3 counts them: the day an action is due is the midnight
 * UTC that follows the start time (creation, becoming noncurrent,
 * initiation) plus the rule's days: an object created 2014-01-15 10:30 UTC
 * under "Days: 3" expires from 2014-01-19 00:00 UTC. The task runs
 * actions that are due; it does not wait for the next midnight itself.
 */

#define S3_LIFECYCLE_RULES_MAX 1000
#define S3_LIFECYCLE_ID_MAX    255
/* Object or upload records one run examines before yielding. */
#define S3_LIFECYCLE_BATCH  256
#define S3_LIFECYCLE_PAGE   64
#define DAY_MS              86400000LL
#define CURSOR_NAME         "cursor"
#define LIFECYCLE_COMPONENT "s3.lifecycle"

#define MSG_MALFORMED_XML                                                                          \
    "The XML you provided was not well-formed or did not validate against our published schema"

static const char *str(const json_t *obj, const char *name)
{
    return s3_bucket_str(obj, name);
}

static bool has(const json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    return v && !json_is_null(v);
}

/* ---- the configuration ------------------------------------------------------ */

static int malformed_xml(struct api_call *call)
{
    return api_error(call, ERR_INVALID, "MalformedXML", MSG_MALFORMED_XML);
}

static int invalid_argument(struct api_call *call, const char *msg)
{
    return api_error(call, ERR_INVALID, "InvalidArgument", "%s", msg);
}

static int invalid_request(struct api_call *call, const char *msg)
{
    return api_error(call, ERR_INVALID, "InvalidRequest", "%s", msg);
}

static int tags_check(struct api_call *call, const json_t *tags)
{
    size_t i;
    json_t *tag;
    json_array_foreach(tags, i, tag)
    {
        const char *key = str(tag, "Key");
        const char *value = str(tag, "Value") ?: "";
        if (!key || !*key || strlen(key) > 128 || strlen(value) > 256)
            return invalid_argument(call, "The TagKey you have provided is invalid");
        for (size_t j = 0; j < i; j++)
            if (strcmp(key, str(json_array_get(tags, j), "Key") ?: "") == 0)
                return invalid_request(call, "Duplicate Tag Keys are not allowed.");
    }
    return 0;
}

static int sizes_check(struct api_call *call, const json_t *obj)
{
    json_t *gt = json_object_get(obj, "ObjectSizeGreaterThan");
    json_t *lt = json_object_get(obj, "ObjectSizeLessThan");
    if (gt && json_integer_value(gt) < 0)
        return invalid_argument(call, "'ObjectSizeGreaterThan' must be a non-negative integer");
    if (lt && json_integer_value(lt) <= 0)
        return invalid_argument(call, "'ObjectSizeLessThan' must be a positive integer");
    if (gt && lt && json_integer_value(gt) >= json_integer_value(lt))
        return invalid_argument(call,
                                "'ObjectSizeGreaterThan' must be less than 'ObjectSizeLessThan'");
    return 0;
}

/* A Filter holds one predicate, or And with several. */
static int filter_check(bool *tagged_out, struct api_call *call, const json_t *filter)
{
    static const char *const predicates[] = {"Prefix", "Tag", "ObjectSizeGreaterThan",
                                             "ObjectSizeLessThan", "And"};
    int n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(predicates); i++)
        n += has(filter, predicates[i]);
    if (n > 1)
        return malformed_xml(call);
    int rc;
    json_t *tag = json_object_get(filter, "Tag");
    if (tag) {
        json_t *one = json_pack("[O]", tag);
        rc = tags_check(call, one);
        json_decref(one);
        if (rc < 0)
            return rc;
    }
    if ((rc = sizes_check(call, filter)) < 0)
        return rc;
    json_t *and = json_object_get(filter, "And");
    if (and) {
        if (!has(and, "Prefix") && json_array_size(json_object_get(and, "Tags")) == 0 &&
            !has(and, "ObjectSizeGreaterThan") && !has(and, "ObjectSizeLessThan"))
            return malformed_xml(call);
        if ((rc = tags_check(call, json_object_get(and, "Tags"))) < 0 ||
            (rc = sizes_check(call, and)) < 0)
            return rc;
    }
    *tagged_out = tag || json_array_size(json_object_get(and, "Tags")) > 0;
    return 0;
}

static int expiration_check(struct api_call *call, const json_t *expiration, bool tagged)
{
    if (!expiration)
        return 0;
    int n = has(expiration, "Days") + has(expiration, "Date") +
            has(expiration, "ExpiredObjectDeleteMarker");
    if (n != 1)
        return malformed_xml(call);
    json_t *days = json_object_get(expiration, "Days");
    if (days && json_integer_value(days) <= 0)
        return invalid_argument(call, "'Days' for Expiration action must be a positive integer");
    json_t *date = json_object_get(expiration, "Date");
    if (date && json_integer_value(date) % DAY_MS != 0)
        return invalid_argument(call, "'Date' must be at midnight GMT");
    if (json_is_true(json_object_get(expiration, "ExpiredObjectDeleteMarker")) && tagged)
        return invalid_request(call, "ExpiredObjectDeleteMarker cannot be specified with tags");
    return 0;
}

static void rule_id_new(char out[49])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    uint8_t bytes[48];
    random_bytes(bytes, sizeof(bytes));
    for (size_t i = 0; i < sizeof(bytes); i++)
        out[i] = alphabet[bytes[i] & 31];
    out[48] = '\0';
}

static int rule_check(struct api_call *call, json_t *rule, json_t *rules, size_t index)
{
    const char *id = str(rule, "ID");
    if (id && strlen(id) > S3_LIFECYCLE_ID_MAX)
        return invalid_argument(call, "ID length should not exceed allowed limit of 255");
    for (size_t j = 0; id && j < index; j++)
        if (strcmp(id, str(json_array_get(rules, j), "ID") ?: "") == 0)
            return invalid_argument(call,
                                    "Rule ID must be unique. Found same ID for more than one rule");
    const char *status = str(rule, "Status");
    if (!status || (strcmp(status, "Enabled") != 0 && strcmp(status, "Disabled") != 0))
        return malformed_xml(call);
    /* Exactly one of Filter and the legacy Prefix. */
    if (has(rule, "Filter") == has(rule, "Prefix"))
        return malformed_xml(call);
    bool tagged = false;
    int rc;
    if (has(rule, "Filter") &&
        (rc = filter_check(&tagged, call, json_object_get(rule, "Filter"))) < 0)
        return rc;
    bool transitions = json_array_size(json_object_get(rule, "Transitions")) > 0 ||
                       json_array_size(json_object_get(rule, "NoncurrentVersionTransitions")) > 0;
    if (!has(rule, "Expiration") && !has(rule, "NoncurrentVersionExpiration") &&
        !has(rule, "AbortIncompleteMultipartUpload") && !transitions)
        return invalid_request(call, "At least one action needs to be specified in a rule");
    if ((rc = expiration_check(call, json_object_get(rule, "Expiration"), tagged)) < 0)
        return rc;
    json_t *noncurrent = json_object_get(rule, "NoncurrentVersionExpiration");
    if (noncurrent) {
        if (json_integer_value(json_object_get(noncurrent, "NoncurrentDays")) <= 0)
            return invalid_argument(call, "'NoncurrentDays' for NoncurrentVersionExpiration "
                                          "action must be a positive integer");
        json_t *newer = json_object_get(noncurrent, "NewerNoncurrentVersions");
        if (newer && (json_integer_value(newer) < 0 || json_integer_value(newer) > 100))
            return invalid_argument(call, "'NewerNoncurrentVersions' for "
                                          "NoncurrentVersionExpiration action must be between 0 "
                                          "and 100");
    }
    json_t *abort_upload = json_object_get(rule, "AbortIncompleteMultipartUpload");
    if (abort_upload) {
        if (json_integer_value(json_object_get(abort_upload, "DaysAfterInitiation")) <= 0)
            return invalid_argument(call, "'DaysAfterInitiation' for "
                                          "AbortIncompleteMultipartUpload action must be a "
                                          "positive integer");
        if (tagged)
            return invalid_request(call, "AbortIncompleteMultipartUpload cannot be specified "
                                         "with Tags.");
    }
    if (transitions)
        return api_error(call, ERR_UNSUPPORTED, "NotImplemented",
                         "lifecycle transitions are not supported by slipway: it has one storage "
                         "class");
    if (!id) {
        char generated[49];
        rule_id_new(generated);
        json_object_set_new(rule, "ID", json_string(generated));
    }
    return 0;
}

static int lifecycle_change(struct api_call *call, json_t *doc, void *ctx)
{
    (void)call;
    if (ctx)
        json_object_set(doc, "Lifecycle", ctx);
    else
        json_object_del(doc, "Lifecycle");
    return 0;
}

static const char *minimum_size(const json_t *lifecycle)
{
    return str(lifecycle, "TransitionDefaultMinimumObjectSize") ?: "all_storage_classes_128K";
}

int s3_put_bucket_lifecycle_configuration(struct api_call *call, json_t *in, json_t **out)
{
    json_t *doc;
    int rc = s3_bucket_access(&doc, call, in, "s3:PutLifecycleConfiguration");
    if (rc < 0)
        return rc;
    json_decref(doc);
    json_t *rules = json_object_get(json_object_get(in, "LifecycleConfiguration"), "Rules");
    if (!json_is_array(rules) || json_array_size(rules) == 0 ||
        json_array_size(rules) > S3_LIFECYCLE_RULES_MAX)
        return malformed_xml(call);
    rules = json_deep_copy(rules);
    size_t i;
    json_t *rule;
    json_array_foreach(rules, i, rule)
    {
        if (!json_is_object(rule))
            rc = malformed_xml(call);
        else
            rc = rule_check(call, rule, rules, i);
        if (rc < 0) {
            json_decref(rules);
            return rc;
        }
    }
    json_t *lifecycle = json_pack("{s:o}", "Rules", rules);
    const char *size = str(in, "TransitionDefaultMinimumObjectSize");
    if (size)
        json_object_set_new(lifecycle, "TransitionDefaultMinimumObjectSize", json_string(size));
    rc = s3_bucket_update(call, str(in, "Bucket"), lifecycle_change, lifecycle);
    if (rc == 0)
        *out = json_pack("{s:s}", "TransitionDefaultMinimumObjectSize", minimum_size(lifecycle));
    json_decref(lifecycle);
    return rc;
}

int s3_get_bucket_lifecycle_configuration(struct api_call *call, json_t *in, json_t **out)
{
    json_t *doc;
    int rc = s3_bucket_access(&doc, call, in, "s3:GetLifecycleConfiguration");
    if (rc < 0)
        return rc;
    json_t *lifecycle = json_object_get(doc, "Lifecycle");
    if (!lifecycle)
        rc = api_error(call, ERR_NOT_FOUND, "NoSuchLifecycleConfiguration",
                       "The lifecycle configuration does not exist");
    else
        *out = json_pack("{s:O, s:s}", "Rules", json_object_get(lifecycle, "Rules"),
                         "TransitionDefaultMinimumObjectSize", minimum_size(lifecycle));
    json_decref(doc);
    return rc;
}

int s3_delete_bucket_lifecycle(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    json_t *doc;
    /* AWS documents s3:PutLifecycleConfiguration as the permission this needs. */
    int rc = s3_bucket_access(&doc, call, in, "s3:PutLifecycleConfiguration");
    if (rc < 0)
        return rc;
    json_decref(doc);
    return s3_bucket_update(call, str(in, "Bucket"), lifecycle_change, NULL);
}

/* ---- evaluation ----------------------------------------------------------- */

/* When an action `days` days after `since_ms` is due: the next midnight UTC. */
static int64_t due_at(int64_t since_ms, int64_t days)
{
    int64_t t = since_ms + days * DAY_MS;
    return (t / DAY_MS + 1) * DAY_MS;
}

static int64_t int_of(const json_t *obj, const char *name)
{
    return json_integer_value(json_object_get(obj, name));
}

static bool rule_enabled(const json_t *rule)
{
    return strcmp(str(rule, "Status") ?: "", "Enabled") == 0;
}

static bool tags_match(const json_t *want, const json_t *version)
{
    json_t *have = json_object_get(version, "Tags");
    size_t i;
    json_t *tag;
    json_array_foreach(want, i, tag)
    {
        const char *value = str(have, str(tag, "Key") ?: "");
        if (!value || strcmp(value, str(tag, "Value") ?: "") != 0)
            return false;
    }
    return true;
}

/* A delete marker has no size: a size condition never matches it. */
static bool sizes_match(const json_t *obj, const json_t *version)
{
    json_t *gt = json_object_get(obj, "ObjectSizeGreaterThan");
    json_t *lt = json_object_get(obj, "ObjectSizeLessThan");
    if (!gt && !lt)
        return true;
    json_t *size = json_object_get(version, "Size");
    if (!json_is_integer(size))
        return false;
    return (!gt || json_integer_value(size) > json_integer_value(gt)) &&
           (!lt || json_integer_value(size) < json_integer_value(lt));
}

/* The rule's key prefix ("" for all keys). */
static const char *rule_prefix(const json_t *rule)
{
    if (has(rule, "Prefix"))
        return str(rule, "Prefix") ?: "";
    json_t *filter = json_object_get(rule, "Filter");
    if (has(filter, "Prefix"))
        return str(filter, "Prefix") ?: "";
    return str(json_object_get(filter, "And"), "Prefix") ?: "";
}

/* Whether the rule applies to `version` of `key` (NULL version: an upload, by key alone). */
static bool rule_matches(const json_t *rule, const char *key, const json_t *version)
{
    const char *prefix = rule_prefix(rule);
    if (strncmp(key, prefix, strlen(prefix)) != 0)
        return false;
    if (!version)
        return true;
    json_t *filter = json_object_get(rule, "Filter");
    json_t *tag = json_object_get(filter, "Tag");
    if (tag) {
        json_t *one = json_pack("[O]", tag);
        bool ok = tags_match(one, version);
        json_decref(one);
        if (!ok)
            return false;
    }
    json_t *and = json_object_get(filter, "And");
    if (and&&(!tags_match(json_object_get(and, "Tags"), version) || !sizes_match(and, version)))
        return false;
    return sizes_match(filter, version);
}

static bool is_marker(const json_t *version)
{
    return json_is_true(json_object_get(version, "DeleteMarker"));
}

/* What the rules ask for one key. */
struct plan {
    bool expire_current; /* expire the current version (a marker in versioned buckets) */
    json_t *noncurrent;  /* ids of noncurrent versions to delete for good */
    bool remove_marker;  /* the current version is an expired delete marker */
};

static void plan_release(struct plan *p)
{
    json_decref(p->noncurrent);
}

static bool plan_empty(const struct plan *p)
{
    return !p->expire_current && !p->remove_marker && json_array_size(p->noncurrent) == 0;
}

static bool id_listed(const json_t *ids, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        if (strcmp(json_string_value(v), id) == 0)
            return true;
    }
    return false;
}

static void plan_make(struct plan *p, const json_t *rules, const char *key, const json_t *rec,
                      int64_t now_ms)
{
    *p = (struct plan){.noncurrent = json_array()};
    json_t *versions = json_object_get(rec, "Versions");
    size_t count = json_array_size(versions);
    if (count == 0)
        return;
    json_t *current = json_array_get(versions, 0);
    size_t i;
    json_t *rule;
    json_array_foreach(rules, i, rule)
    {
        if (!rule_enabled(rule))
            continue;
        json_t *expiration = json_object_get(rule, "Expiration");
        if (expiration && !is_marker(current) && rule_matches(rule, key, current)) {
            json_t *days = json_object_get(expiration, "Days");
            json_t *date = json_object_get(expiration, "Date");
            if ((days &&
                 due_at(int_of(current, "LastModified"), json_integer_value(days)) <= now_ms) ||
                (date && now_ms >= json_integer_value(date)))
                p->expire_current = true;
        }
        json_t *noncurrent = json_object_get(rule, "NoncurrentVersionExpiration");
        if (noncurrent) {
            int64_t days = int_of(noncurrent, "NoncurrentDays");
            json_t *newer = json_object_get(noncurrent, "NewerNoncurrentVersions");
            for (size_t j = 1; j < count; j++) {
                json_t *v = json_array_get(versions, j);
                /* A version became noncurrent when the next one was written. */
                int64_t since = int_of(json_array_get(versions, j - 1), "LastModified");
                const char *id = str(v, "VersionId");
                if (!id || (newer && (int64_t)(j - 1) < json_integer_value(newer)) ||
                    due_at(since, days) > now_ms || !rule_matches(rule, key, v) ||
                    id_listed(p->noncurrent, id))
                    continue;
                json_array_append_new(p->noncurrent, json_string(id));
            }
        }
    }
    /* A delete marker with no versions left behind it is expired; it goes
     * under ExpiredObjectDeleteMarker, or under Expiration Days once old
     * enough, as on S3. */
    if (!is_marker(current) || count - json_array_size(p->noncurrent) != 1)
        return;
    json_array_foreach(rules, i, rule)
    {
        json_t *expiration = json_object_get(rule, "Expiration");
        if (!rule_enabled(rule) || !expiration || !rule_matches(rule, key, current))
            continue;
        json_t *days = json_object_get(expiration, "Days");
        if (json_is_true(json_object_get(expiration, "ExpiredObjectDeleteMarker")) ||
            (days && due_at(int_of(current, "LastModified"), json_integer_value(days)) <= now_ms))
            p->remove_marker = true;
    }
}

/* ---- the task ---------------------------------------------------------------- */

struct run {
    struct store *st;
    int64_t now_ms;
    size_t budget;
    char request_id[17];
};

static int emit_deleted(struct run *r, struct store_tx *tx, const json_t *bucket_doc,
                        const char *key, const json_t *entry, bool marker_created)
{
    struct s3_event_cause cause = {
        .reason = "Lifecycle Expiration",
        .deletion_type = marker_created ? "Delete Marker Created" : "Permanently Deleted",
        .request_id = r->request_id,
        .requester = "s3.amazonaws.com",
    };
    return s3_event_emit_cause(r->st, tx, NULL, bucket_doc, "Object Deleted", key, entry, &cause);
}

/* Deletes one version (NULL: expires the current one) and emits its event. */
static int expire_one(struct run *r, struct store_tx *tx, const json_t *bucket_doc,
                      const char *bucket, const char *key, const char *version_id)
{
    json_t *entry = NULL;
    bool marker_created = false;
    int rc = s3_object_delete_tx(&entry, &marker_created, r->st, tx, bucket_doc, bucket, key,
                                 version_id, str(bucket_doc, "Owner"), r->now_ms);
    if (rc == 0 && entry)
        rc = emit_deleted(r, tx, bucket_doc, key, entry, marker_created);
    json_decref(entry);
    return rc;
}

/* Applies the rules to one key, re-reading it in the transaction. */
static int object_apply(struct run *r, const char *bucket, const char *key)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    int rc = store_tx_begin(&tx, r->st);
    if (rc < 0)
        return rc;
    json_t *bucket_doc = NULL, *rec = NULL;
    struct plan p = {0};
    if ((rc = record_get(&bucket_doc, NULL, r->st, tx, S3_KIND_BUCKET, S3_SCOPE, bucket)) < 0 ||
        (rc = record_get(&rec, NULL, r->st, tx, S3_KIND_OBJECT, bucket, key)) < 0)
        goto done;
    plan_make(&p, json_object_get(json_object_get(bucket_doc, "Lifecycle"), "Rules"), key, rec,
              r->now_ms);
    if (plan_empty(&p))
        goto done;
    size_t i;
    json_t *id;
    json_array_foreach(p.noncurrent, i, id)
    {
        if ((rc = expire_one(r, tx, bucket_doc, bucket, key, json_string_value(id))) < 0)
            goto done;
    }
    json_t *current = json_array_get(json_object_get(rec, "Versions"), 0);
    if (p.remove_marker)
        rc = expire_one(r, tx, bucket_doc, bucket, key, str(current, "VersionId"));
    else if (p.expire_current)
        rc = expire_one(r, tx, bucket_doc, bucket, key, NULL);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
done:
    plan_release(&p);
    json_decref(rec);
    json_decref(bucket_doc);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

static int upload_apply(struct run *r, const char *bucket, const char *upload_id)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    int rc = store_tx_begin(&tx, r->st);
    if (rc == 0)
        rc = s3_upload_abort_tx(r->st, tx, bucket, upload_id);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

static bool upload_due(const json_t *rules, const json_t *upload, int64_t now_ms)
{
    const char *key = str(upload, "Key") ?: "";
    size_t i;
    json_t *rule;
    json_array_foreach(rules, i, rule)
    {
        json_t *abort_upload = json_object_get(rule, "AbortIncompleteMultipartUpload");
        if (rule_enabled(rule) && abort_upload && rule_matches(rule, key, NULL) &&
            due_at(int_of(upload, "Initiated"), int_of(abort_upload, "DaysAfterInitiation")) <=
                now_ms)
            return true;
    }
    return false;
}

/* Whether an enabled rule has one of the actions `actions` names. */
static bool rules_have(const json_t *rules, const char *const *actions, size_t count)
{
    size_t i;
    json_t *rule;
    json_array_foreach(rules, i, rule)
    {
        for (size_t j = 0; j < count; j++)
            if (rule_enabled(rule) && json_object_get(rule, actions[j]))
                return true;
    }
    return false;
}

static bool rules_abort_uploads(const json_t *rules)
{
    static const char *const actions[] = {"AbortIncompleteMultipartUpload"};
    return rules_have(rules, actions, ARRAY_SIZE(actions));
}

static bool rules_expire_objects(const json_t *rules)
{
    static const char *const actions[] = {"Expiration", "NoncurrentVersionExpiration"};
    return rules_have(rules, actions, ARRAY_SIZE(actions));
}

static void log_failure(const char *bucket, const char *what, const char *name, int rc)
{
    log_warn(LIFECYCLE_COMPONENT, "bucket '%s': %s '%s' skipped: %s: %s", bucket, what, name,
             err_kind_name(rc), err_msg());
}

/*
 * One phase ("objects" or "uploads") of one bucket from *after (a malloc'd
 * name or NULL, updated as it goes). Returns 1 when the batch ran out first.
 */
static int phase_run(struct run *r, const char *bucket, const json_t *rules, bool uploads,
                     char **after)
{
    for (;;) {
        if (r->budget == 0)
            return 1;
        json_t *page;
        bool more;
        size_t limit = r->budget < S3_LIFECYCLE_PAGE ? r->budget : S3_LIFECYCLE_PAGE;
        int rc = record_list(&page, &more, r->st, NULL, uploads ? S3_KIND_UPLOAD : S3_KIND_OBJECT,
                             bucket, NULL, *after, limit);
        if (rc < 0)
            return rc;
        size_t i;
        json_t *rec;
        json_array_foreach(page, i, rec)
        {
            const char *name = str(rec, "_name");
            r->budget--;
            if (uploads) {
                if (upload_due(rules, rec, r->now_ms) && (rc = upload_apply(r, bucket, name)) < 0)
                    log_failure(bucket, "upload", name, rc);
            } else {
                struct plan p;
                plan_make(&p, rules, name, rec, r->now_ms);
                if (!plan_empty(&p) && (rc = object_apply(r, bucket, name)) < 0)
                    log_failure(bucket, "key", name, rc);
                plan_release(&p);
            }
            free(*after);
            *after = xstrdup(name);
        }
        json_decref(page);
        if (!more)
            return 0;
    }
}

struct cursor {
    char *bucket;
    bool uploads;
    char *after;
};

static void cursor_release(struct cursor *c)
{
    free(c->bucket);
    free(c->after);
}

static void cursor_load(struct cursor *c, struct store *st)
{
    *c = (struct cursor){0};
    json_t *doc;
    if (record_get(&doc, NULL, st, NULL, S3_KIND_LIFECYCLE, S3_SCOPE, CURSOR_NAME) < 0)
        return;
    if (str(doc, "Bucket"))
        c->bucket = xstrdup(str(doc, "Bucket"));
    c->uploads = strcmp(str(doc, "Phase") ?: "", "uploads") == 0;
    if (str(doc, "After"))
        c->after = xstrdup(str(doc, "After"));
    json_decref(doc);
}

static int cursor_save(struct store *st, const struct cursor *c)
{
    json_t *doc =
        json_pack("{s:s, s:s}", "Bucket", c->bucket, "Phase", c->uploads ? "uploads" : "objects");
    if (c->after)
        json_object_set_new(doc, "After", json_string(c->after));
    int rc = record_upsert(st, NULL, S3_KIND_LIFECYCLE, S3_SCOPE, CURSOR_NAME, doc);
    json_decref(doc);
    return rc;
}

static int cursor_clear(struct store *st)
{
    int rc = store_doc_delete(st, NULL, S3_KIND_LIFECYCLE, S3_SCOPE, CURSOR_NAME, 0);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

/* The first bucket after `after` (NULL: the first of all); *name_out NULL at the end. */
static int bucket_next(char **name_out, struct store *st, const char *after)
{
    json_t *page;
    bool more;
    int rc = record_list(&page, &more, st, NULL, S3_KIND_BUCKET, S3_SCOPE, NULL, after, 1);
    if (rc < 0)
        return rc;
    const char *name = str(json_array_get(page, 0), "_name");
    *name_out = name ? xstrdup(name) : NULL;
    json_decref(page);
    return 0;
}

/* Runs the bucket's phases from the cursor; 1 when the batch ran out. */
static int bucket_run(struct run *r, struct cursor *c)
{
    json_t *doc;
    int rc = record_get(&doc, NULL, r->st, NULL, S3_KIND_BUCKET, S3_SCOPE, c->bucket);
    if (rc == ERR_NOT_FOUND)
        return 0;
    if (rc < 0)
        return rc;
    json_t *rules = json_object_get(json_object_get(doc, "Lifecycle"), "Rules");
    if (json_array_size(rules) > 0) {
        if (!c->uploads) {
            if (rules_expire_objects(rules))
                rc = phase_run(r, c->bucket, rules, false, &c->after);
            if (rc == 0) {
                c->uploads = true;
                free(c->after);
                c->after = NULL;
            }
        }
        if (rc == 0 && c->uploads && rules_abort_uploads(rules))
            rc = phase_run(r, c->bucket, rules, true, &c->after);
    }
    json_decref(doc);
    return rc;
}

int s3_lifecycle_task(void *ctx, int64_t now_ms)
{
    struct s3_context *s3 = ctx;
    struct run r = {.st = s3->store, .now_ms = now_ms, .budget = S3_LIFECYCLE_BATCH};
    uint8_t id[8];
    random_bytes(id, sizeof(id));
    hex_encode(r.request_id, id, sizeof(id));
    for (char *p = r.request_id; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 'a' + 'A' : *p);

    struct cursor c;
    cursor_load(&c, r.st);
    int rc = 0;
    if (!c.bucket)
        rc = bucket_next(&c.bucket, r.st, NULL);
    while (rc == 0 && c.bucket) {
        if ((rc = bucket_run(&r, &c)) != 0)
            break;
        /* Visiting a bucket costs one unit, so that many buckets without
         * rules are bounded work too. */
        if (r.budget > 0)
            r.budget--;
        char *next = NULL;
        if ((rc = bucket_next(&next, r.st, c.bucket)) < 0)
            break;
        free(c.bucket);
        free(c.after);
        c = (struct cursor){.bucket = next};
        if (c.bucket && r.budget == 0)
            rc = 1;
    }
    if (rc == 1) {
        int saved = cursor_save(r.st, &c);
        rc = saved < 0 ? saved : 1;
    } else if (rc == 0) {
        rc = cursor_clear(r.st);
    }
    cursor_release(&c);
    return rc;
}
