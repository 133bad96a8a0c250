#ifndef SLIPWAY_SERVICES_EVENTS_EVENTS_INTERNAL_H
#define SLIPWAY_SERVICES_EVENTS_EVENTS_INTERNAL_H

#include <jansson.h>

#include "aws/api.h"
#include "services/events/events.h"

/*
 * Records (scope "ACCOUNT/REGION"): see the table each file adds here.
 */

/* A string member of `obj`, NULL when absent or not a string. */
static inline const char *events_str(const json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

/* Authorizes the call's own action on rule `rule` of bus `bus`. */
int events_authorize_rule(struct api_call *call, const char *bus, const char *rule);

/* Handlers, by file. */

/* pattern_api.c */
int events_test_event_pattern(struct api_call *call, json_t *in, json_t **out);

/*
 * Buses, rules, targets, tags, PutEvents (buses.c, rules.c, targets.c,
 * tags.c, put_events.c). Records, scope "ACCOUNT/REGION":
 *
 *   kind EVENTS_KIND_BUS "events.bus", name BUS
 *     {"Name", "Arn", "Description", "CreationTime", "LastModifiedTime" (ms),
 *      "Policy": resource policy text (absent when none), "Tags": {key: value}}
 *     The bus "default" exists in every account and region without a record;
 *     it gets one the first time something is stored on it (policy, tags).
 *   kind EVENTS_KIND_RULE "events.rule", name "BUS/RULE"
 *     {"Name", "EventBusName", "Arn", "EventPattern", "ScheduleExpression",
 *      "State", "Description", "RoleArn", "CreationTime", "Tags": {key: value},
 *      "Targets": [Target members as PutTargets got them, in Id order]}
 *     Bus names never hold '/' (CreateEventBus refuses it), so the last '/'
 *     of a record name separates bus and rule.
 *
 * PutEvents appends each accepted event to the outbox (one transaction per
 * call) as AWS's envelope {"version", "id", "detail-type", "source",
 * "account", "time", "region", "resources", "detail"} plus the member
 * EVENTS_OUTBOX_BUS_KEY holding the bus's name: the delivery engine reads it
 * and removes it before matching and delivering. Events without it (those
 * services append with event_append()) belong to the default bus.
 */
#define EVENTS_KIND_BUS       "events.bus"
#define EVENTS_KIND_RULE      "events.rule"
#define EVENTS_OUTBOX_BUS_KEY "slipway-event-bus"
#define EVENTS_DEFAULT_BUS    "default"
#define EVENTS_SCOPE_MAX      64
#define EVENTS_BUS_NAME_MAX   257
#define EVENTS_BUSES_MAX      100 /* custom buses per account and region */
#define EVENTS_RULES_MAX      300 /* rules per bus */
#define EVENTS_TARGETS_MAX    5   /* targets per rule */
#define EVENTS_TAGS_MAX       50
#define EVENTS_PUT_SIZE_MAX   (256 * 1024)

struct store_tx;
struct buf;

void events_scope(char out[EVENTS_SCOPE_MAX], const struct api_call *call);
void events_bus_arn(struct buf *out, const struct api_call *call, const char *bus);
void events_rule_arn(struct buf *out, const struct api_call *call, const char *bus,
                     const char *rule);
/* "BUS/RULE", the rule's record name. */
void events_rule_key(struct buf *out, const char *bus, const char *rule);
/*
 * What the listings of a bus's rules start with: the bus (EventBusName,
 * default "default", which must exist), the caller allowed `action` on
 * "*", the page size (Limit, 1-100, default 100) and the rule name after
 * which the page starts (NextToken; NULL from the start, owned by the
 * caller: free it).
 */
struct events_list {
    char bus[EVENTS_BUS_NAME_MAX];
    size_t limit;
    char *after;
};
int events_list_begin(struct events_list *out, struct api_call *call, json_t *in,
                      const char *action);

/*
 * The bus named by `name_or_arn` (NULL: the default bus), its name in `out`.
 * An ARN of another account or region, or not an event-bus ARN, fails with
 * ResourceNotFoundException (or ValidationException when malformed).
 */
int events_bus_resolve(struct api_call *call, char out[EVENTS_BUS_NAME_MAX],
                       const char *name_or_arn);
/* The bus's record (the default bus's made up when it has none), or
 * ResourceNotFoundException "Event bus NAME does not exist.". `version_out`
 * is 0 when the record is made up. */
int events_bus_get(json_t **out, int64_t *version_out, struct api_call *call, struct store_tx *tx,
                   const char *bus);
/* Stores a bus record read with events_bus_get() at `version`. */
int events_bus_put(struct api_call *call, struct store_tx *tx, const char *bus, int64_t version,
                   json_t *rec);
/* The rule's record, or ResourceNotFoundException "Rule RULE does not exist
 * on EventBus BUS.". */
int events_rule_get(json_t **out, int64_t *version_out, struct api_call *call, struct store_tx *tx,
                    const char *bus, const char *rule);
/*
 * ManagedRuleException unless the rule record `rec` is the caller's own (no
 * "ManagedBy", which services set on rules they create), or `has_force` and
 * `force` (DeleteRule and RemoveTargets with Force).
 */
int events_rule_unmanaged(struct api_call *call, json_t *rec, bool has_force, bool force);
/* Merges a TagList into the object `tags`, checking AWS's limits. */
int events_tags_merge(struct api_call *call, json_t *tags, json_t *tag_list);
/* A TagList from the object `tags`. */
json_t *events_tags_list(json_t *tags);

/* buses.c */
int events_create_event_bus(struct api_call *call, json_t *in, json_t **out);
int events_delete_event_bus(struct api_call *call, json_t *in, json_t **out);
int events_describe_event_bus(struct api_call *call, json_t *in, json_t **out);
int events_list_event_buses(struct api_call *call, json_t *in, json_t **out);
int events_update_event_bus(struct api_call *call, json_t *in, json_t **out);
int events_put_permission(struct api_call *call, json_t *in, json_t **out);
int events_remove_permission(struct api_call *call, json_t *in, json_t **out);
/* rules.c */
int events_put_rule(struct api_call *call, json_t *in, json_t **out);
int events_describe_rule(struct api_call *call, json_t *in, json_t **out);
int events_list_rules(struct api_call *call, json_t *in, json_t **out);
int events_enable_rule(struct api_call *call, json_t *in, json_t **out);
int events_disable_rule(struct api_call *call, json_t *in, json_t **out);
int events_delete_rule(struct api_call *call, json_t *in, json_t **out);
/* targets.c */
/* The JSONPath subset AWS accepts for InputPath and InputPathsMap: "$", then
 * ".name" steps and "[N]" or "['name']" subscripts. */
bool events_json_path_valid(const char *path);
int events_put_targets(struct api_call *call, json_t *in, json_t **out);
int events_remove_targets(struct api_call *call, json_t *in, json_t **out);
int events_list_targets_by_rule(struct api_call *call, json_t *in, json_t **out);
int events_list_rule_names_by_target(struct api_call *call, json_t *in, json_t **out);
/* tags.c */
int events_tag_resource(struct api_call *call, json_t *in, json_t **out);
int events_untag_resource(struct api_call *call, json_t *in, json_t **out);
int events_list_tags_for_resource(struct api_call *call, json_t *in, json_t **out);
/* put_events.c */
int events_put_events(struct api_call *call, json_t *in, json_t **out);

#endif
