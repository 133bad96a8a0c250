#include "base/common.h"
#include "services/events/events_internal.h"
#include "aws/arn.h"
#include "aws/pagination.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/common/record.h"
#include "store/store.h"

#include <string.h>

void events_scope(char out[EVENTS_SCOPE_MAX], const struct api_call *call)
{
    snprintf(out, EVENTS_SCOPE_MAX, "%s/%s", call->account_id, call->region);
}

void events_bus_arn(struct buf *out, const struct api_call *call, const char *bus)
{
    struct buf resource = BUF_INIT;
    buf_addf(&resource, "event-bus/%s", bus);
    arn_format(out, "events", call->region, call->account_id, resource.data);
    buf_release(&resource);
}

void events_rule_arn(struct buf *out, const struct api_call *call, const char *bus,
                     const char *rule)
{
    struct buf resource = BUF_INIT;
    if (strcmp(bus, EVENTS_DEFAULT_BUS) == 0)
        buf_addf(&resource, "rule/%s", rule);
    else
        buf_addf(&resource, "rule/%s/%s", bus, rule);
    arn_format(out, "events", call->region, call->account_id, resource.data);
    buf_release(&resource);
}

void events_rule_key(struct buf *out, const char *bus, const char *rule)
{
    buf_addf(out, "%s/%s", bus, rule);
}

int events_bus_resolve(struct api_call *call, char out[EVENTS_BUS_NAME_MAX],
                       const char *name_or_arn)
{
    if (!name_or_arn) {
        snprintf(out, EVENTS_BUS_NAME_MAX, "%s", EVENTS_DEFAULT_BUS);
        return 0;
    }
    const char *name = name_or_arn;
    if (strncmp(name_or_arn, "arn:", 4) == 0) {
        struct arn arn;
        if (arn_parse(&arn, name_or_arn) < 0 || strcmp(arn.service, "events") != 0 ||
            strncmp(arn.resource, "event-bus/", 10) != 0)
            return api_error(call, ERR_INVALID, "ValidationException",
                             "Parameter %s is not valid. Reason: it is not an event bus ARN.",
                             name_or_arn);
        name = arn.resource + 10;
        if (strcmp(arn.account, call->account_id) != 0 || strcmp(arn.region, call->region) != 0)
            return api_error(call, ERR_NOT_FOUND, "ResourceNotFoundException",
                             "Event bus %s does not exist.", name);
    }
    if (!*name || strlen(name) >= EVENTS_BUS_NAME_MAX)
        return api_error(call, ERR_INVALID, "ValidationException",
                         "Parameter EventBusName is not valid.");
    snprintf(out, EVENTS_BUS_NAME_MAX, "%s", name);
    return 0;
}

static json_t *default_bus(struct api_call *call)
{
    struct buf arn = BUF_INIT;
    events_bus_arn(&arn, call, EVENTS_DEFAULT_BUS);
    json_t *rec =
        json_pack("{s:s, s:s, s:{}}", "Name", EVENTS_DEFAULT_BUS, "Arn", arn.data, "Tags");
    buf_release(&arn);
    if (!rec)
        abort();
    return rec;
}

int events_bus_get(json_t **out, int64_t *version_out, struct api_call *call, struct store_tx *tx,
                   const char *bus)
{
    char scope[EVENTS_SCOPE_MAX];
    events_scope(scope, call);
    int64_t version = 0;
    json_t *rec = NULL;
    int rc = record_get(&rec, &version, call->store, tx, EVENTS_KIND_BUS, scope, bus);
    if (rc == ERR_NOT_FOUND && strcmp(bus, EVENTS_DEFAULT_BUS) == 0) {
        rec = default_bus(call);
        version = 0;
    } else if (rc == ERR_NOT_FOUND) {
        return api_error(call, ERR_NOT_FOUND, "ResourceNotFoundException",
                         "Event bus %s does not exist.", bus);
    } else if (rc < 0) {
        return rc;
    }
    *out = rec;
    if (version_out)
        *version_out = version;
    return 0;
}

int events_bus_put(struct api_call *call, struct store_tx *tx, const char *bus, int64_t version,
                   json_t *rec)
{
    char scope[EVENTS_SCOPE_MAX];
    events_scope(scope, call);
    if (version == 0)
        return record_insert(call->store, tx, EVENTS_KIND_BUS, scope, bus, rec);
    return record_update(call->store, tx, EVENTS_KIND_BUS, scope, bus, version, rec);
}

int events_rule_get(json_t **out, int64_t *version_out, struct api_call *call, struct store_tx *tx,
                    const char *bus, const char *rule)
{
    char scope[EVENTS_SCOPE_MAX];
    events_scope(scope, call);
    struct buf key = BUF_INIT;
    events_rule_key(&key, bus, rule);
    int rc = record_get(out, version_out, call->store, tx, EVENTS_KIND_RULE, scope, key.data);
    buf_release(&key);
    if (rc == ERR_NOT_FOUND)
        return api_error(call, ERR_NOT_FOUND, "ResourceNotFoundException",
                         "Rule %s does not exist on EventBus %s.", rule, bus);
    return rc;
}

int events_rule_unmanaged(struct api_call *call, json_t *rec, bool has_force, bool force)
{
    if (!json_object_get(rec, "ManagedBy") || (has_force && force))
        return 0;
    if (has_force)
        return api_error(call, ERR_CONFLICT, "ManagedRuleException",
                         "%s is a managed rule. Set 'force' parameter to true to override.",
                         events_str(rec, "Name"));
    return api_error(call, ERR_CONFLICT, "ManagedRuleException",
                     "%s is a managed rule: only the service managing it may change it.",
                     events_str(rec, "Name"));
}

int events_tags_merge(struct api_call *call, json_t *tags, json_t *tag_list)
{
    size_t i;
    json_t *tag;
    json_array_foreach(tag_list, i, tag)
    {
        const char *key = events_str(tag, "Key"), *value = events_str(tag, "Value");
        if (!key || !value)
            return api_error(call, ERR_INVALID, "ValidationException",
                             "Tags must have a Key and a Value.");
        if (strncmp(key, "aws:", 4) == 0)
            return api_error(call, ERR_INVALID, "ValidationException",
                             "Invalid tag key '%s': the prefix 'aws:' is reserved.", key);
        json_object_set_new(tags, key, json_string(value));
    }
    if (json_object_size(tags) > EVENTS_TAGS_MAX)
        return api_error(call, ERR_LIMIT, "LimitExceededException",
                         "The resource can have at most %d tags.", EVENTS_TAGS_MAX);
    return 0;
}

json_t *events_tags_list(json_t *tags)
{
    json_t *list = json_array();
    const char *key;
    json_t *value;
    json_object_foreach(tags, key, value)
        json_array_append_new(list, json_pack("{s:s, s:O}", "Key", key, "Value", value));
    return list;
}

static int authorize_bus(struct api_call *call, const char *bus)
{
    char action[96];
    api_action_name(action, sizeof(action), call);
    struct buf arn = BUF_INIT;
    events_bus_arn(&arn, call, bus);
    int rc = api_authorize(call, action, arn.data);
    buf_release(&arn);
    return rc;
}

static int unsupported(struct api_call *call, const char *member)
{
    return api_error(call, ERR_INVALID, "ValidationException",
                     "%s is not supported by slipway: leave it out", member);
}

int events_create_event_bus(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = events_str(in, "Name");
    int rc;
    if ((rc = authorize_bus(call, name)) < 0)
        return rc;
    if (json_object_get(in, "EventSourceName"))
        return unsupported(call, "EventSourceName (partner event buses)");
    if (json_object_get(in, "KmsKeyIdentifier"))
        return unsupported(call, "KmsKeyIdentifier");
    if (json_object_get(in, "LogConfig"))
        return unsupported(call, "LogConfig");
    if (json_object_get(in, "DeadLetterConfig"))
        return unsupported(call, "DeadLetterConfig on an event bus (slipway has no SQS)");
    if (strcmp(name, EVENTS_DEFAULT_BUS) == 0)
        return api_error(call, ERR_EXISTS, "ResourceAlreadyExistsException",
                         "Event bus default already exists.");
    if (strchr(name, '/'))
        return api_error(call, ERR_INVALID, "ValidationException",
                         "Event bus name must not contain '/'.");
    if (strncmp(name, "aws.", 4) == 0)
        return api_error(call, ERR_INVALID, "ValidationException",
                         "Event bus name must not start with 'aws.'.");
    char scope[EVENTS_SCOPE_MAX];
    events_scope(scope, call);
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    size_t count = 0;
    bool default_stored = false;
    if ((rc = store_doc_count(&count, call->store, tx, EVENTS_KIND_BUS, scope, NULL)) < 0 ||
        (rc = record_exists(&default_stored, call->store, tx, EVENTS_KIND_BUS, scope,
                            EVENTS_DEFAULT_BUS)) < 0)
        return rc;
    count -= default_stored && count > 0;
    if (count >= EVENTS_BUSES_MAX)
        return api_error(call, ERR_LIMIT, "LimitExceededException",
                         "The requested resource exceeds the maximum number allowed.");
    struct buf arn = BUF_INIT;
    events_bus_arn(&arn, call, name);
    json_t *rec =
        json_pack("{s:s, s:s, s:I, s:I, s:{}}", "Name", name, "Arn", arn.data, "CreationTime",
                  (json_int_t)call->now_ms, "LastModifiedTime", (json_int_t)call->now_ms, "Tags");
    if (events_str(in, "Description"))
        json_object_set(rec, "Description", json_object_get(in, "Description"));
    if ((rc = events_tags_merge(call, json_object_get(rec, "Tags"), json_object_get(in, "Tags"))) <
        0)
        goto done;
    rc = record_insert(call->store, tx, EVENTS_KIND_BUS, scope, name, rec);
    if (rc == ERR_EXISTS)
        rc = api_error(call, ERR_EXISTS, "ResourceAlreadyExistsException",
                       "Event bus %s already exists.", name);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0) {
        *out = json_pack("{s:s}", "EventBusArn", arn.data);
        if (events_str(in, "Description"))
            json_object_set(*out, "Description", json_object_get(in, "Description"));
    }
done:
    json_decref(rec);
    buf_release(&arn);
    return rc;
}

/* The output form of a bus record. */
static json_t *bus_view(json_t *rec, bool with_policy)
{
    json_t *view = json_object();
    static const char *const members[] = {"Name", "Arn", "Description", "CreationTime",
                                          "LastModifiedTime"};
    for (size_t i = 0; i < ARRAY_SIZE(members); i++)
        if (json_object_get(rec, members[i]))
            json_object_set(view, members[i], json_object_get(rec, members[i]));
    if (with_policy && json_object_get(rec, "Policy"))
        json_object_set(view, "Policy", json_object_get(rec, "Policy"));
    return view;
}

int events_describe_event_bus(struct api_call *call, json_t *in, json_t **out)
{
    char bus[EVENTS_BUS_NAME_MAX];
    int rc;
    if ((rc = events_bus_resolve(call, bus, events_str(in, "Name"))) < 0)
        return rc;
    if ((rc = authorize_bus(call, bus)) < 0)
        return rc;
    json_t *rec = NULL;
    if ((rc = events_bus_get(&rec, NULL, call, NULL, bus)) < 0)
        return rc;
    *out = bus_view(rec, true);
    json_decref(rec);
    return 0;
}

int events_update_event_bus(struct api_call *call, json_t *in, json_t **out)
{
    char bus[EVENTS_BUS_NAME_MAX];
    int rc;
    if ((rc = events_bus_resolve(call, bus, events_str(in, "Name"))) < 0)
        return rc;
    if ((rc = authorize_bus(call, bus)) < 0)
        return rc;
    if (json_object_get(in, "KmsKeyIdentifier"))
        return unsupported(call, "KmsKeyIdentifier");
    if (json_object_get(in, "LogConfig"))
        return unsupported(call, "LogConfig");
    if (json_object_get(in, "DeadLetterConfig"))
        return unsupported(call, "DeadLetterConfig on an event bus (slipway has no SQS)");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *rec = NULL;
    int64_t version = 0;
    if ((rc = events_bus_get(&rec, &version, call, tx, bus)) < 0)
        return rc;
    if (json_object_get(in, "Description"))
        json_object_set(rec, "Description", json_object_get(in, "Description"));
    json_object_set_new(rec, "LastModifiedTime", json_integer(call->now_ms));
    rc = events_bus_put(call, tx, bus, version, rec);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0) {
        *out = json_pack("{s:O, s:s}", "Arn", json_object_get(rec, "Arn"), "Name", bus);
        if (json_object_get(rec, "Description"))
            json_object_set(*out, "Description", json_object_get(rec, "Description"));
    }
    json_decref(rec);
    return rc;
}

int events_delete_event_bus(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = events_str(in, "Name");
    int rc;
    if ((rc = authorize_bus(call, name)) < 0)
        return rc;
    if (strcmp(name, EVENTS_DEFAULT_BUS) == 0)
        return api_error(call, ERR_INVALID, "ValidationException",
                         "Cannot delete event bus default.");
    char scope[EVENTS_SCOPE_MAX];
    events_scope(scope, call);
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    /* AWS deletes a bus's rules (and their targets) with it; deleting a bus
     * that does not exist succeeds. */
    struct buf prefix = BUF_INIT;
    buf_addf(&prefix, "%s/", name);
    size_t dropped = 0;
    rc = store_doc_delete_prefix(&dropped, call->store, tx, EVENTS_KIND_RULE, scope, prefix.data);
    buf_release(&prefix);
    if (rc < 0)
        return rc;
    rc = store_doc_delete(call->store, tx, EVENTS_KIND_BUS, scope, name, 0);
    if (rc < 0 && rc != ERR_NOT_FOUND)
        return rc;
    return store_tx_commit(TAKE_PTR(tx));
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

int events_list_event_buses(struct api_call *call, json_t *in, json_t **out)
{
    int rc;
    if ((rc = api_authorize(call, "events:ListEventBuses", "*")) < 0)
        return rc;
    const char *prefix = events_str(in, "NamePrefix");
    const char *token = events_str(in, "NextToken");
    json_int_t limit = json_integer_value(json_object_get(in, "Limit"));
    if (limit <= 0 || limit > 100)
        limit = 100;
    char *after = NULL;
    if (token && pagination_token_decode(&after, token) < 0)
        return api_error(call, ERR_INVALID, "ValidationException", "The NextToken is not valid.");
    char scope[EVENTS_SCOPE_MAX];
    events_scope(scope, call);
    json_t *names = NULL;
    if ((rc = record_list_names(&names, call->store, NULL, EVENTS_KIND_BUS, scope, NULL)) < 0) {
        free(after);
        return rc;
    }
    bool has_default = false;
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) has_default |=
        strcmp(json_string_value(n), EVENTS_DEFAULT_BUS) == 0;
    if (!has_default)
        json_array_append_new(names, json_string(EVENTS_DEFAULT_BUS));
    size_t count = json_array_size(names);
    json_t **sorted = xcalloc(count ? count : 1, sizeof(*sorted));
    for (i = 0; i < count; i++)
        sorted[i] = json_array_get(names, i);
    qsort(sorted, count, sizeof(*sorted), name_cmp);
    json_t *buses = json_array();
    const char *last = NULL;
    bool more = false;
    for (i = 0; i < count && rc == 0; i++) {
        const char *name = json_string_value(sorted[i]);
        if (prefix && strncmp(name, prefix, strlen(prefix)) != 0)
            continue;
        if (after && strcmp(name, after) <= 0)
            continue;
        if ((json_int_t)json_array_size(buses) >= limit) {
            more = true;
            break;
        }
        json_t *rec = NULL;
        if ((rc = events_bus_get(&rec, NULL, call, NULL, name)) == ERR_NOT_FOUND) {
            rc = 0; /* deleted meanwhile */
            continue;
        }
        if (rc < 0)
            break;
        json_array_append_new(buses, bus_view(rec, true));
        json_decref(rec);
        last = name;
    }
    if (rc == 0) {
        *out = json_pack("{s:o}", "EventBuses", buses);
        buses = NULL;
        if (more && last) {
            struct buf next = BUF_INIT;
            pagination_token_encode(&next, last);
            json_object_set_new(*out, "NextToken", json_string(next.data));
            buf_release(&next);
        }
    }
    json_decref(buses);
    free(sorted);
    json_decref(names);
    free(after);
    return rc;
}

/* --- Bus policies ---------------------------------------------------- */

static json_t *statement_build(struct api_call *call, json_t *in, const char *bus)
{
    const char *principal = events_str(in, "Principal");
    struct buf arn = BUF_INIT;
    events_bus_arn(&arn, call, bus);
    json_t *st = json_pack("{s:s, s:s}", "Sid", events_str(in, "StatementId"), "Effect", "Allow");
    if (strcmp(principal, "*") == 0) {
        json_object_set_new(st, "Principal", json_string("*"));
    } else {
        struct buf root = BUF_INIT;
        buf_addf(&root, "arn:aws:iam::%s:root", principal);
        json_object_set_new(st, "Principal", json_pack("{s:s}", "AWS", root.data));
        buf_release(&root);
    }
    json_object_set(st, "Action", json_object_get(in, "Action"));
    json_object_set_new(st, "Resource", json_string(arn.data));
    json_t *cond = json_object_get(in, "Condition");
    if (cond)
        json_object_set_new(st, "Condition",
                            json_pack("{s:{s:O}}", events_str(cond, "Type"),
                                      events_str(cond, "Key"), json_object_get(cond, "Value")));
    buf_release(&arn);
    return st;
}

int events_put_permission(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    char bus[EVENTS_BUS_NAME_MAX];
    int rc;
    if ((rc = events_bus_resolve(call, bus, events_str(in, "EventBusName"))) < 0)
        return rc;
    if ((rc = authorize_bus(call, bus)) < 0)
        return rc;
    const char *policy = events_str(in, "Policy");
    json_t *doc = NULL;
    if (policy) {
        if (json_object_get(in, "Action") || json_object_get(in, "Principal") ||
            json_object_get(in, "StatementId") || json_object_get(in, "Condition"))
            return api_error(call, ERR_INVALID, "ValidationException",
                             "Policy can't be combined with Action, Principal, StatementId or "
                             "Condition.");
        json_error_t jerr;
        doc = json_loads(policy, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(doc) || !json_is_array(json_object_get(doc, "Statement"))) {
            json_decref(doc);
            return api_error(call, ERR_INVALID, "ValidationException",
                             "Policy is not a valid policy document.");
        }
    } else if (!events_str(in, "Action") || !events_str(in, "Principal") ||
               !events_str(in, "StatementId")) {
        return api_error(call, ERR_INVALID, "ValidationException",
                         "Parameters Action, Principal and StatementId are required when Policy "
                         "is not given.");
    } else if (strcmp(events_str(in, "Action"), "events:PutEvents") != 0) {
        return api_error(call, ERR_INVALID, "ValidationException",
                         "Provided value in parameter 'action' is not supported.");
    }
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0) {
        json_decref(doc);
        return rc;
    }
    json_t *rec = NULL;
    int64_t version = 0;
    if ((rc = events_bus_get(&rec, &version, call, tx, bus)) < 0) {
        json_decref(doc);
        return rc;
    }
    if (!doc) {
        const char *old = events_str(rec, "Policy");
        doc = old ? json_loads(old, 0, NULL) : NULL;
        if (!json_is_object(doc) || !json_is_array(json_object_get(doc, "Statement"))) {
            json_decref(doc);
            doc = json_pack("{s:s, s:[]}", "Version", "2012-10-17", "Statement");
        }
        json_t *statements = json_object_get(doc, "Statement");
        const char *sid = events_str(in, "StatementId");
        /* The same StatementId replaces its statement. */
        for (size_t i = 0; i < json_array_size(statements); i++)
            if (json_equal(json_object_get(json_array_get(statements, i), "Sid"),
                           json_object_get(in, "StatementId")) &&
                sid)
                json_array_remove(statements, i--);
        json_array_append_new(statements, statement_build(call, in, bus));
    }
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        abort();
    json_object_set_new(rec, "Policy", json_string(text));
    free(text);
    rc = events_bus_put(call, tx, bus, version, rec);
    json_decref(rec);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    return rc;
}

int events_remove_permission(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    char bus[EVENTS_BUS_NAME_MAX];
    int rc;
    if ((rc = events_bus_resolve(call, bus, events_str(in, "EventBusName"))) < 0)
        return rc;
    if ((rc = authorize_bus(call, bus)) < 0)
        return rc;
    bool all = json_is_true(json_object_get(in, "RemoveAllPermissions"));
    const char *sid = events_str(in, "StatementId");
    if (!all && !sid)
        return api_error(call, ERR_INVALID, "ValidationException",
                         "Parameter StatementId is required unless RemoveAllPermissions is "
                         "true.");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *rec = NULL;
    int64_t version = 0;
    if ((rc = events_bus_get(&rec, &version, call, tx, bus)) < 0)
        return rc;
    const char *policy = events_str(rec, "Policy");
    if (!policy && !all) {
        json_decref(rec);
        return api_error(call, ERR_NOT_FOUND, "ResourceNotFoundException",
                         "EventBus does not have a policy.");
    }
    if (all) {
        json_object_del(rec, "Policy");
    } else {
        json_t *doc = json_loads(policy, 0, NULL);
        json_t *statements = json_object_get(doc, "Statement");
        bool found = false;
        for (size_t i = 0; i < json_array_size(statements); i++) {
            const char *s = events_str(json_array_get(statements, i), "Sid");
            if (s && strcmp(s, sid) == 0) {
                json_array_remove(statements, i--);
                found = true;
            }
        }
        if (!found) {
            json_decref(doc);
            json_decref(rec);
            return api_error(call, ERR_NOT_FOUND, "ResourceNotFoundException",
                             "Statement with the provided id does not exist.");
        }
        if (json_array_size(statements) == 0) {
            json_object_del(rec, "Policy");
        } else {
            char *text = json_dumps(doc, JSON_COMPACT);
            if (!text)
                abort();
            json_object_set_new(rec, "Policy", json_string(text));
            free(text);
        }
        json_decref(doc);
    }
    rc = events_bus_put(call, tx, bus, version, rec);
    json_decref(rec);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    return rc;
}
