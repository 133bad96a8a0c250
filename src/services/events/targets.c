#include "base/common.h"
#include "services/events/events_internal.h"
#include "aws/arn.h"
#include "aws/pagination.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/common/record.h"
#include "store/store.h"

#include <ctype.h>
#include <string.h>

bool events_json_path_valid(const char *path)
{
    if (!path || path[0] != '$')
        return false;
    const char *p = path + 1;
    while (*p) {
        if (*p == '.') {
            p++;
            const char *start = p;
            for (; *p && *p != '.' && *p != '['; p++)
                if (isspace((unsigned char)*p) || *p == ']' || *p == '\'')
                    return false;
            if (p == start)
                return false;
        } else if (*p == '[') {
            p++;
            if (*p == '\'') {
                const char *close = strchr(p + 1, '\'');
                if (!close || close == p + 1 || close[1] != ']')
                    return false;
                p = close + 2;
            } else {
                const char *start = p;
                while (isdigit((unsigned char)*p))
                    p++;
                if (p == start || *p != ']')
                    return false;
                p++;
            }
        } else {
            return false;
        }
    }
    return true;
}

/*
 * Which target services slipway delivers to. NULL when the ARN is one; else
 * a message for the entry's FailedEntries.
 */
static const char *target_refusal(struct buf *msg, const struct arn *arn)
{
    if (strcmp(arn->service, "logs") == 0 && strncmp(arn->resource, "log-group:", 10) == 0)
        return NULL;
    if (strcmp(arn->service, "events") == 0 &&
        (strncmp(arn->resource, "event-bus/", 10) == 0 ||
         strncmp(arn->resource, "api-destination/", 16) == 0))
        return NULL;
    if (strcmp(arn->service, "sns") == 0 && *arn->resource && !strchr(arn->resource, ':'))
        return NULL;
    if (strcmp(arn->service, "codebuild") == 0 || strcmp(arn->service, "codepipeline") == 0)
        buf_addf(msg,
                 "delivery to '%s' targets is not implemented yet in slipway; supported target "
                 "services are logs (log groups), events (event buses, API destinations) and sns "
                 "(topics)",
                 arn->service);
    else
        buf_addf(msg,
                 "slipway cannot deliver to '%s' targets ('%s'); supported target services are "
                 "logs (log groups), events (event buses, API destinations) and sns (topics)",
                 arn->service, arn->resource);
    return msg->data;
}

static int target_check(struct api_call *call, json_t *target)
{
    const char *id = events_str(target, "Id");
    bool input = json_object_get(target, "Input") != NULL;
    bool input_path = json_object_get(target, "InputPath") != NULL;
    json_t *transformer = json_object_get(target, "InputTransformer");
    if (input + input_path + (transformer != NULL) > 1)
        return api_error(call, ERR_INVALID, "ValidationException",
                         "Only one of Input, InputPath, or InputTransformer must be provided for "
                         "target %s.",
                         id);
    if (input) {
        json_t *input_v = json_object_get(target, "Input");
        json_t *parsed = json_loadb(json_string_value(input_v), json_string_length(input_v),
                                    JSON_DECODE_ANY, NULL);
        if (!parsed)
            return api_error(call, ERR_INVALID, "ValidationException",
                             "Input for target %s is not a valid JSON text.", id);
        json_decref(parsed);
    }
    if (input_path && !events_json_path_valid(events_str(target, "InputPath")))
        return api_error(call, ERR_INVALID, "ValidationException",
                         "InputPath for target %s is not a valid JsonPath.", id);
    if (transformer) {
        const char *key;
        json_t *value;
        json_object_foreach(json_object_get(transformer, "InputPathsMap"), key, value)
        {
            if (!events_json_path_valid(json_string_value(value)))
                return api_error(call, ERR_INVALID, "ValidationException",
                                 "InputPathsMap for target %s: '%s' is not a valid JsonPath.", id,
                                 json_string_value(value));
            if (strncmp(key, "aws.", 4) == 0)
                return api_error(call, ERR_INVALID, "ValidationException",
                                 "InputPathsMap for target %s: the key '%s' is reserved.", id, key);
        }
    }
    struct arn arn;
    const char *role = events_str(target, "RoleArn");
    if (role && (arn_parse(&arn, role) < 0 || strcmp(arn.service, "iam") != 0 ||
                 strncmp(arn.resource, "role/", 5) != 0))
        return api_error(call, ERR_INVALID, "ValidationException",
                         "RoleArn is not valid for target %s.", id);
    /* A dead-letter queue is an SQS queue, and slipway has no SQS: a stored one
     * could never receive anything. */
    if (json_object_get(target, "DeadLetterConfig"))
        return api_error(call, ERR_INVALID, "ValidationException",
                         "DeadLetterConfig (target %s) is not supported by slipway: dead-letter "
                         "queues are SQS queues and slipway has no SQS; leave it out",
                         id);
    return 0;
}

static void failed_add(json_t *failed, const char *id, const char *code, const char *message)
{
    json_array_append_new(failed, json_pack("{s:s, s:s, s:s}", "TargetId", id, "ErrorCode", code,
                                            "ErrorMessage", message));
}

static json_t *target_find(json_t *targets, const char *id, size_t *index_out)
{
    size_t i;
    json_t *t;
    json_array_foreach(targets, i, t)
    {
        if (strcmp(events_str(t, "Id"), id) == 0) {
            if (index_out)
                *index_out = i;
            return t;
        }
    }
    return NULL;
}

static int id_cmp(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "Id")),
                  json_string_value(json_object_get(*(json_t *const *)b, "Id")));
}

static void targets_sort(json_t *targets)
{
    size_t n = json_array_size(targets);
    if (n < 2)
        return;
    json_t **items = calloc(n, sizeof(*items));
    if (!items)
        abort();
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(targets, i));
    qsort(items, n, sizeof(*items), id_cmp);
    json_array_clear(targets);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(targets, items[i]);
    free(items);
}

static int rule_store(struct api_call *call, struct store_tx *tx, const char *bus, const char *rule,
                      int64_t version, json_t *rec)
{
    char scope[EVENTS_SCOPE_MAX];
    events_scope(scope, call);
    struct buf key = BUF_INIT;
    events_rule_key(&key, bus, rule);
    int rc = record_update(call->store, tx, EVENTS_KIND_RULE, scope, key.data, version, rec);
    buf_release(&key);
    return rc;
}

int events_put_targets(struct api_call *call, json_t *in, json_t **out)
{
    const char *rule = events_str(in, "Rule");
    char bus[EVENTS_BUS_NAME_MAX];
    int rc;
    if ((rc = events_bus_resolve(call, bus, events_str(in, "EventBusName"))) < 0)
        return rc;
    if ((rc = events_authorize_rule(call, bus, rule)) < 0)
        return rc;
    json_t *given = json_object_get(in, "Targets");
    size_t i;
    json_t *t;
    json_array_foreach(given, i, t)
    {
        if ((rc = target_check(call, t)) < 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(events_str(json_array_get(given, j), "Id"), events_str(t, "Id")) == 0)
                return api_error(call, ERR_INVALID, "ValidationException",
                                 "The same target Id %s is given twice.", events_str(t, "Id"));
    }
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *rec = NULL;
    int64_t version = 0;
    if ((rc = events_rule_get(&rec, &version, call, tx, bus, rule)) < 0)
        return rc;
    if ((rc = events_rule_unmanaged(call, rec, false, false)) < 0) {
        json_decref(rec);
        return rc;
    }
    json_t *targets = json_object_get(rec, "Targets");
    if (!json_is_array(targets)) {
        targets = json_array();
        json_object_set_new(rec, "Targets", targets);
    }
    json_t *failed = json_array();
    json_array_foreach(given, i, t)
    {
        const char *id = events_str(t, "Id");
        struct arn arn;
        struct buf msg = BUF_INIT;
        const char *refusal = NULL;
        if (arn_parse(&arn, events_str(t, "Arn")) < 0) {
            buf_addf(&msg, "'%s' is not a valid ARN", events_str(t, "Arn"));
            refusal = msg.data;
        } else {
            refusal = target_refusal(&msg, &arn);
        }
        if (refusal) {
            failed_add(failed, id, "ValidationException", refusal);
            buf_release(&msg);
            continue;
        }
        buf_release(&msg);
        size_t at;
        if (target_find(targets, id, &at))
            json_array_set(targets, at, t);
        else
            json_array_append(targets, t);
    }
    if (json_array_size(targets) > EVENTS_TARGETS_MAX) {
        json_decref(failed);
        json_decref(rec);
        return api_error(call, ERR_LIMIT, "LimitExceededException",
                         "The requested resource exceeds the maximum number allowed.");
    }
    targets_sort(targets);
    rc = rule_store(call, tx, bus, rule, version, rec);
    json_decref(rec);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0)
        *out = json_pack("{s:I, s:O}", "FailedEntryCount", (json_int_t)json_array_size(failed),
                         "FailedEntries", failed);
    json_decref(failed);
    return rc;
}

int events_remove_targets(struct api_call *call, json_t *in, json_t **out)
{
    const char *rule = events_str(in, "Rule");
    char bus[EVENTS_BUS_NAME_MAX];
    int rc;
    if ((rc = events_bus_resolve(call, bus, events_str(in, "EventBusName"))) < 0)
        return rc;
    if ((rc = events_authorize_rule(call, bus, rule)) < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *rec = NULL;
    int64_t version = 0;
    if ((rc = events_rule_get(&rec, &version, call, tx, bus, rule)) < 0)
        return rc;
    if ((rc = events_rule_unmanaged(call, rec, true, json_is_true(json_object_get(in, "Force")))) <
        0) {
        json_decref(rec);
        return rc;
    }
    json_t *targets = json_object_get(rec, "Targets");
    size_t i;
    json_t *id;
    /* AWS removes the Ids it has and reports none of the others as failed. */
    json_array_foreach(json_object_get(in, "Ids"), i, id)
    {
        size_t at;
        if (target_find(targets, json_string_value(id), &at))
            json_array_remove(targets, at);
    }
    rc = rule_store(call, tx, bus, rule, version, rec);
    json_decref(rec);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0)
        *out = json_pack("{s:i, s:[]}", "FailedEntryCount", 0, "FailedEntries");
    return rc;
}

int events_list_targets_by_rule(struct api_call *call, json_t *in, json_t **out)
{
    const char *rule = events_str(in, "Rule");
    char bus[EVENTS_BUS_NAME_MAX];
    int rc;
    if ((rc = events_bus_resolve(call, bus, events_str(in, "EventBusName"))) < 0)
        return rc;
    if ((rc = events_authorize_rule(call, bus, rule)) < 0)
        return rc;
    json_int_t limit = json_integer_value(json_object_get(in, "Limit"));
    if (limit <= 0 || limit > 100)
        limit = 100;
    char *after = NULL;
    const char *token = events_str(in, "NextToken");
    if (token && pagination_token_decode(&after, token) < 0)
        return api_error(call, ERR_INVALID, "ValidationException", "The NextToken is not valid.");
    json_t *rec = NULL;
    if ((rc = events_rule_get(&rec, NULL, call, NULL, bus, rule)) < 0) {
        free(after);
        return rc;
    }
    json_t *page = json_array();
    bool more = false;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(rec, "Targets"), i, t)
    {
        if (after && strcmp(events_str(t, "Id"), after) <= 0)
            continue;
        if ((json_int_t)json_array_size(page) >= limit) {
            more = true;
            break;
        }
        json_array_append(page, t);
    }
    *out = json_object();
    if (more) {
        struct buf next = BUF_INIT;
        pagination_token_encode(&next,
                                events_str(json_array_get(page, json_array_size(page) - 1), "Id"));
        json_object_set_new(*out, "NextToken", json_string(next.data));
        buf_release(&next);
    }
    json_object_set_new(*out, "Targets", page);
    json_decref(rec);
    free(after);
    return 0;
}

int events_list_rule_names_by_target(struct api_call *call, json_t *in, json_t **out)
{
    const char *target_arn = events_str(in, "TargetArn");
    struct events_list list;
    int rc = events_list_begin(&list, call, in, "events:ListRuleNamesByTarget");
    if (rc < 0)
        return rc;
    const char *bus = list.bus;
    size_t limit = list.limit;
    char *after = list.after;
    char scope[EVENTS_SCOPE_MAX];
    events_scope(scope, call);
    struct buf prefix = BUF_INIT;
    buf_addf(&prefix, "%s/", bus);
    json_t *names = json_array();
    struct buf cursor = BUF_INIT;
    if (after)
        buf_adds(&cursor, after);
    bool more = true, truncated = false;
    while (more && !truncated) {
        json_t *docs = NULL;
        rc = record_list(&docs, &more, call->store, NULL, EVENTS_KIND_RULE, scope, prefix.data,
                         cursor.len ? cursor.data : NULL, 100);
        if (rc < 0)
            break;
        size_t i;
        json_t *doc;
        json_array_foreach(docs, i, doc)
        {
            json_t *t;
            size_t j;
            bool hit = false;
            json_array_foreach(json_object_get(doc, "Targets"), j, t) hit |=
                strcmp(events_str(t, "Arn"), target_arn) == 0;
            if (hit && json_array_size(names) >= limit) {
                truncated = true;
                break;
            }
            buf_reset(&cursor);
            buf_adds(&cursor, events_str(doc, "_name"));
            if (hit)
                json_array_append(names, json_object_get(doc, "Name"));
        }
        if (json_array_size(docs) == 0)
            more = false;
        json_decref(docs);
    }
    if (rc == 0) {
        *out = json_object();
        json_object_set(*out, "RuleNames", names);
        if (truncated) {
            struct buf next = BUF_INIT;
            pagination_token_encode(&next, cursor.data);
            json_object_set_new(*out, "NextToken", json_string(next.data));
            buf_release(&next);
        }
    }
    json_decref(names);
    buf_release(&cursor);
    buf_release(&prefix);
    free(after);
    return rc;
}
