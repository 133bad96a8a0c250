#include "base/common.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/events/events_internal.h"
#include "services/events/pattern.h"

/* The envelope fields AWS requires of a tested event ("resources" is documented but not enforced).
 */
static const char *const required_fields[] = {"id",   "account", "source",
                                              "time", "region",  "detail-type"};

int events_test_event_pattern(struct api_call *call, json_t *in, json_t **out)
{
    int rc = api_authorize(call, "events:TestEventPattern", "*");
    if (rc < 0)
        return rc;
    json_t *pattern_v = json_object_get(in, "EventPattern");
    json_t *event_v = json_object_get(in, "Event");

    json_t *event = json_loadb(json_string_value(event_v), json_string_length(event_v),
                               JSON_DECODE_INT_AS_REAL, NULL);
    bool valid = json_is_object(event);
    for (size_t i = 0; valid && i < ARRAY_SIZE(required_fields); i++)
        valid = json_object_get(event, required_fields[i]) != NULL;
    if (!valid) {
        json_decref(event);
        return api_error(call, ERR_INVALID, "ValidationException", "Parameter Event is not valid.");
    }

    struct event_pattern *pattern = NULL;
    struct buf message = BUF_INIT;
    if (event_pattern_compile(&pattern, &message, json_string_value(pattern_v),
                              json_string_length(pattern_v)) < 0) {
        rc = api_error(call, ERR_INVALID, "InvalidEventPatternException", "%s", message.data);
        buf_release(&message);
        json_decref(event);
        return rc;
    }
    buf_release(&message);
    bool result = event_pattern_match(pattern, event);
    event_pattern_free(pattern);
    json_decref(event);
    *out = json_pack("{s:b}", "Result", result);
    return 0;
}
