#include "base/common.h"
#include "services/events/events.h"
#include "services/events/events_internal.h"

/* In name order: the server finds entries by binary search. */
static const struct api_operation events_operations[] = {
    {"CreateEventBus", events_create_event_bus, NULL},
    {"DeleteEventBus", events_delete_event_bus, NULL},
    {"DeleteRule", events_delete_rule, NULL},
    {"DescribeEventBus", events_describe_event_bus, NULL},
    {"DescribeRule", events_describe_rule, NULL},
    {"DisableRule", events_disable_rule, NULL},
    {"EnableRule", events_enable_rule, NULL},
    {"ListEventBuses", events_list_event_buses, NULL},
    {"ListRuleNamesByTarget", events_list_rule_names_by_target, NULL},
    {"ListRules", events_list_rules, NULL},
    {"ListTagsForResource", events_list_tags_for_resource, NULL},
    {"ListTargetsByRule", events_list_targets_by_rule, NULL},
    {"PutEvents", events_put_events, NULL},
    {"PutPermission", events_put_permission, NULL},
    {"PutRule", events_put_rule, NULL},
    {"PutTargets", events_put_targets, NULL},
    {"RemovePermission", events_remove_permission, NULL},
    {"RemoveTargets", events_remove_targets, NULL},
    {"TagResource", events_tag_resource, NULL},
    {"TestEventPattern", events_test_event_pattern, NULL},
    {"UntagResource", events_untag_resource, NULL},
    {"UpdateEventBus", events_update_event_bus, NULL},
};

const struct api_service events_api_service = {
    .name = "events",
    .operations = events_operations,
    .operation_count = ARRAY_SIZE(events_operations),
};
