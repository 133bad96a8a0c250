#include "base/common.h"
#include "services/events/events_internal.h"
#include "aws/pagination.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/common/record.h"
#include "services/events/pattern.h"
#include "services/events/schedule.h"
#include "store/store.h"

#include <string.h>

int events_authorize_rule(struct api_call *call, const char *bus, const char *rule)
{
    char action[96];
    api_action_name(action, sizeof(action), call);
    struct buf arn = BUF_INIT;
    events_rule_arn(&arn, call, bus, rule);
    int rc = api_authorize(call, action, arn.data);
    buf_release(&arn);
    return rc;
}

static int pattern_check(struct api_call *call, const char *text, size_t len)
{
    struct event_pattern *pattern = NULL;
    struct buf message = BUF_INIT;
    int rc = event_pattern_compile(&pattern, &message, text, len);
    if (rc < 0)
        rc = api_error(call, ERR_INVALID, "InvalidEventPatternException", "%s",
                       message.len ? message.data : "Event pattern is not valid.");
    event_pattern_free(pattern);
    buf_release(&message);
    return rc;
}

static int schedule_check(struct api_call *call, const char *text)
{
    struct schedule *s = NULL;
    struct buf message = BUF_INIT;
    int rc = schedule_parse(&s, &message, text);
    if (rc < 0)
        rc = api_error(call, ERR_INVALID, "ValidationException", "%s",
                       message.len ? message.data : "Parameter ScheduleExpression is not valid.");
    schedule_free(s);
    buf_release(&message);
    return rc;
}

/* The members PutRule sets; the others (Tags, Targets, CreationTime) stay. */
static const char *const rule_members[] = {"EventPattern", "ScheduleExpression", "Description",
                                           "RoleArn"};

int events_put_rule(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = events_str(in, "Name");
    char bus[EVENTS_BUS_NAME_MAX];
    int rc;
    if ((rc = events_bus_resolve(call, bus, events_str(in, "EventBusName"))) < 0)
        return rc;
    if ((rc = events_authorize_rule(call, bus, name)) < 0)
        return rc;
    const char *pattern = events_str(in, "EventPattern");
    const char *schedule = events_str(in, "ScheduleExpression");
    if ((!pattern || !*pattern) && (!schedule || !*schedule))
        return api_error(call, ERR_INVALID, "ValidationException",
                         "Parameter(s) EventPattern or ScheduleExpression must be specified.");
    if (schedule && *schedule && strcmp(bus, EVENTS_DEFAULT_BUS) != 0)
        return api_error(call, ERR_INVALID, "ValidationException",
                         "ScheduleExpression is supported only on the default event bus.");
    if (pattern && *pattern &&
        (rc = pattern_check(call, pattern,
                            json_string_length(json_object_get(in, "EventPattern")))) < 0)
        return rc;
    /* Both are checked whole: a NUL would hide what follows it. */
    if (schedule &&
        strlen(schedule) != json_string_length(json_object_get(in, "ScheduleExpression")))
        return api_error(call, ERR_INVALID, "ValidationException",
                         "Parameter ScheduleExpression is not valid.");
    if (schedule && *schedule && (rc = schedule_check(call, schedule)) < 0)
        return rc;
    const char *state = events_str(in, "State");
    char scope[EVENTS_SCOPE_MAX];
    events_scope(scope, call);
    struct buf key = BUF_INIT, arn = BUF_INIT;
    events_rule_key(&key, bus, name);
    events_rule_arn(&arn, call, bus, name);
    json_t *rec = NULL, *bus_rec = NULL;
    int64_t version = 0;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        goto done;
    if ((rc = events_bus_get(&bus_rec, NULL, call, tx, bus)) < 0)
        goto done;
    rc = record_get(&rec, &version, call->store, tx, EVENTS_KIND_RULE, scope, key.data);
    if (rc == ERR_NOT_FOUND) {
        size_t count = 0;
        struct buf prefix = BUF_INIT;
        buf_addf(&prefix, "%s/", bus);
        rc = store_doc_count(&count, call->store, tx, EVENTS_KIND_RULE, scope, prefix.data);
        buf_release(&prefix);
        if (rc < 0)
            goto done;
        if (count >= EVENTS_RULES_MAX) {
            rc = api_error(call, ERR_LIMIT, "LimitExceededException",
                           "The requested resource exceeds the maximum number allowed.");
            goto done;
        }
        version = 0;
        rec = json_pack("{s:s, s:s, s:s, s:s, s:I, s:{}, s:[]}", "Name", name, "EventBusName", bus,
                        "Arn", arn.data, "State", state ? state : "ENABLED", "CreationTime",
                        (json_int_t)call->now_ms, "Tags", "Targets");
        if ((rc = events_tags_merge(call, json_object_get(rec, "Tags"),
                                    json_object_get(in, "Tags"))) < 0)
            goto done;
    } else if (rc < 0) {
        goto done;
    } else if ((rc = events_rule_unmanaged(call, rec, false, false)) < 0) {
        goto done;
    } else {
        /* Updating a rule leaves its tags (TagResource changes them) and,
         * without State, its state. */
        if (state)
            json_object_set_new(rec, "State", json_string(state));
    }
    for (size_t i = 0; i < ARRAY_SIZE(rule_members); i++) {
        const char *v = events_str(in, rule_members[i]);
        if (v && *v)
            json_object_set_new(rec, rule_members[i], json_string(v));
        else
            json_object_del(rec, rule_members[i]);
    }
    if (version == 0)
        rc = record_insert(call->store, tx, EVENTS_KIND_RULE, scope, key.data, rec);
    else
        rc = record_update(call->store, tx, EVENTS_KIND_RULE, scope, key.data, version, rec);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0)
        *out = json_pack("{s:s}", "RuleArn", arn.data);
done:
    json_decref(rec);
    json_decref(bus_rec);
    buf_release(&key);
    buf_release(&arn);
    return rc;
}

static json_t *rule_view(json_t *rec)
{
    static const char *const members[] = {
        "Name",        "Arn",     "EventPattern", "ScheduleExpression", "State",
        "Description", "RoleArn", "ManagedBy",    "EventBusName"};
    json_t *view = json_object();
    for (size_t i = 0; i < ARRAY_SIZE(members); i++)
        if (json_object_get(rec, members[i]))
            json_object_set(view, members[i], json_object_get(rec, members[i]));
    return view;
}

int events_describe_rule(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = events_str(in, "Name");
    char bus[EVENTS_BUS_NAME_MAX];
    int rc;
    if ((rc = events_bus_resolve(call, bus, events_str(in, "EventBusName"))) < 0)
        return rc;
    if ((rc = events_authorize_rule(call, bus, name)) < 0)
        return rc;
    json_t *rec = NULL;
    if ((rc = events_rule_get(&rec, NULL, call, NULL, bus, name)) < 0)
        return rc;
    *out = rule_view(rec);
    json_object_set_new(*out, "CreatedBy", json_string(call->account_id));
    json_decref(rec);
    return 0;
}

int events_list_begin(struct events_list *out, struct api_call *call, json_t *in,
                      const char *action)
{
    memset(out, 0, sizeof(*out));
    int rc;
    if ((rc = events_bus_resolve(call, out->bus, events_str(in, "EventBusName"))) < 0)
        return rc;
    if ((rc = api_authorize(call, action, "*")) < 0)
        return rc;
    json_t *bus_rec = NULL;
    if ((rc = events_bus_get(&bus_rec, NULL, call, NULL, out->bus)) < 0)
        return rc;
    json_decref(bus_rec);
    json_int_t limit = json_integer_value(json_object_get(in, "Limit"));
    out->limit = limit <= 0 || limit > 100 ? 100 : (size_t)limit;
    const char *token = events_str(in, "NextToken");
    if (token && pagination_token_decode(&out->after, token) < 0)
        return api_error(call, ERR_INVALID, "ValidationException", "The NextToken is not valid.");
    return 0;
}

int events_list_rules(struct api_call *call, json_t *in, json_t **out)
{
    struct events_list list;
    int rc = events_list_begin(&list, call, in, "events:ListRules");
    if (rc < 0)
        return rc;
    const char *bus = list.bus;
    size_t limit = list.limit;
    char *after = list.after;
    char scope[EVENTS_SCOPE_MAX];
    events_scope(scope, call);
    struct buf prefix = BUF_INIT;
    buf_addf(&prefix, "%s/%s", bus,
             events_str(in, "NamePrefix") ? events_str(in, "NamePrefix") : "");
    json_t *docs = NULL;
    bool more = false;
    rc = record_list(&docs, &more, call->store, NULL, EVENTS_KIND_RULE, scope, prefix.data, after,
                     (size_t)limit);
    buf_release(&prefix);
    free(after);
    if (rc < 0)
        return rc;
    json_t *rules = json_array();
    size_t i;
    json_t *doc;
    json_array_foreach(docs, i, doc) json_array_append_new(rules, rule_view(doc));
    *out = json_pack("{s:o}", "Rules", rules);
    if (more && json_array_size(docs) > 0) {
        struct buf next = BUF_INIT;
        pagination_token_encode(
            &next, events_str(json_array_get(docs, json_array_size(docs) - 1), "_name"));
        json_object_set_new(*out, "NextToken", json_string(next.data));
        buf_release(&next);
    }
    json_decref(docs);
    return 0;
}

static int rule_set_state(struct api_call *call, json_t *in, const char *state)
{
    const char *name = events_str(in, "Name");
    char bus[EVENTS_BUS_NAME_MAX];
    int rc;
    if ((rc = events_bus_resolve(call, bus, events_str(in, "EventBusName"))) < 0)
        return rc;
    if ((rc = events_authorize_rule(call, bus, name)) < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *rec = NULL;
    int64_t version = 0;
    if ((rc = events_rule_get(&rec, &version, call, tx, bus, name)) < 0)
        return rc;
    if ((rc = events_rule_unmanaged(call, rec, false, false)) < 0) {
        json_decref(rec);
        return rc;
    }
    json_object_set_new(rec, "State", json_string(state));
    char scope[EVENTS_SCOPE_MAX];
    events_scope(scope, call);
    struct buf key = BUF_INIT;
    events_rule_key(&key, bus, name);
    rc = record_update(call->store, tx, EVENTS_KIND_RULE, scope, key.data, version, rec);
    buf_release(&key);
    json_decref(rec);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    return rc;
}

int events_enable_rule(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    return rule_set_state(call, in, "ENABLED");
}

int events_disable_rule(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    return rule_set_state(call, in, "DISABLED");
}

int events_delete_rule(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = events_str(in, "Name");
    char bus[EVENTS_BUS_NAME_MAX];
    int rc;
    if ((rc = events_bus_resolve(call, bus, events_str(in, "EventBusName"))) < 0)
        return rc;
    if ((rc = events_authorize_rule(call, bus, name)) < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *bus_rec = NULL;
    if ((rc = events_bus_get(&bus_rec, NULL, call, tx, bus)) < 0)
        return rc;
    json_decref(bus_rec);
    char scope[EVENTS_SCOPE_MAX];
    events_scope(scope, call);
    struct buf key = BUF_INIT;
    events_rule_key(&key, bus, name);
    json_t *rec = NULL;
    rc = record_get(&rec, NULL, call->store, tx, EVENTS_KIND_RULE, scope, key.data);
    if (rc == ERR_NOT_FOUND) {
        rc = 0; /* AWS: deleting a rule that does not exist succeeds */
        goto done;
    }
    if (rc < 0)
        goto done;
    bool force = json_is_true(json_object_get(in, "Force"));
    if ((rc = events_rule_unmanaged(call, rec, true, force)) < 0)
        goto done;
    if (json_array_size(json_object_get(rec, "Targets")) > 0) {
        rc = api_error(call, ERR_INVALID, "ValidationException",
                       "Rule can't be deleted since it has targets.");
        goto done;
    }
    rc = store_doc_delete(call->store, tx, EVENTS_KIND_RULE, scope, key.data, 0);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
done:
    json_decref(rec);
    buf_release(&key);
    return rc;
}
