#include "base/common.h"
#include "services/events/events_internal.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/ids.h"
#include "services/common/record.h"
#include "store/store.h"

#include <string.h>

/* AWS's "Calculating PutEvents event entry size". */
static size_t entry_size(json_t *entry)
{
    size_t size = json_object_get(entry, "Time") ? 14 : 0;
    static const char *const members[] = {"Source", "DetailType", "Detail"};
    for (size_t i = 0; i < ARRAY_SIZE(members); i++)
        size += json_string_length(json_object_get(entry, members[i]));
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(entry, "Resources"), i, r) size += json_string_length(r);
    return size;
}

/* The bus an entry names, without failing the call: "" with `message` set
 * when it names none of ours. */
static void entry_bus(char out[EVENTS_BUS_NAME_MAX], struct buf *message,
                      const struct api_call *call, const char *name_or_arn)
{
    out[0] = 0;
    if (!name_or_arn) {
        snprintf(out, EVENTS_BUS_NAME_MAX, "%s", EVENTS_DEFAULT_BUS);
        return;
    }
    const char *name = name_or_arn;
    if (strncmp(name_or_arn, "arn:", 4) == 0) {
        struct buf prefix = BUF_INIT;
        buf_addf(&prefix, "arn:aws:events:%s:%s:event-bus/", call->region, call->account_id);
        bool ours = strncmp(name_or_arn, prefix.data, prefix.len) == 0;
        name = name_or_arn + (ours ? prefix.len : 0);
        buf_release(&prefix);
        if (!ours) {
            const char *slash = strrchr(name_or_arn, '/');
            buf_addf(message, "Event bus %s does not exist.", slash ? slash + 1 : name_or_arn);
            return;
        }
    }
    if (!*name || strlen(name) >= EVENTS_BUS_NAME_MAX) {
        buf_addf(message, "Event bus %s does not exist.", name);
        return;
    }
    snprintf(out, EVENTS_BUS_NAME_MAX, "%s", name);
}

static void entry_failed(json_t *results, const char *code, const char *message)
{
    json_array_append_new(results,
                          json_pack("{s:s, s:s}", "ErrorCode", code, "ErrorMessage", message));
}

static bool bus_exists(struct api_call *call, struct store_tx *tx, const char *bus)
{
    if (strcmp(bus, EVENTS_DEFAULT_BUS) == 0)
        return true;
    char scope[EVENTS_SCOPE_MAX];
    events_scope(scope, call);
    bool exists = false;
    record_exists(&exists, call->store, tx, EVENTS_KIND_BUS, scope, bus);
    return exists;
}

int events_put_events(struct api_call *call, json_t *in, json_t **out)
{
    int rc;
    json_t *entries = json_object_get(in, "Entries");
    if (json_object_get(in, "EndpointId"))
        return api_error(call, ERR_INVALID, "ValidationException",
                         "EndpointId (global endpoints) is not supported by slipway: leave it "
                         "out");
    size_t total = 0, i;
    json_t *entry;
    json_array_foreach(entries, i, entry) total += entry_size(entry);
    /* Authorize every bus named before anything is accepted. */
    json_array_foreach(entries, i, entry)
    {
        char bus[EVENTS_BUS_NAME_MAX];
        struct buf message = BUF_INIT;
        const char *given = events_str(entry, "EventBusName");
        entry_bus(bus, &message, call, given);
        buf_release(&message);
        struct buf arn = BUF_INIT;
        /* A bus not ours is authorized as given: its entry's error must not
         * answer a caller who may not put events at all. */
        if (bus[0])
            events_bus_arn(&arn, call, bus);
        else
            buf_adds(&arn, strncmp(given, "arn:", 4) == 0 ? given : "*");
        rc = api_authorize(call, "events:PutEvents", arn.data);
        buf_release(&arn);
        if (rc < 0)
            return rc;
    }
    if (json_array_size(entries) == 0 && (rc = api_authorize(call, "events:PutEvents", "*")) < 0)
        return rc;
    if (total > EVENTS_PUT_SIZE_MAX)
        return api_error(call, ERR_INVALID, "ValidationException",
                         "Total size of the entries in the request is over the limit.");
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *results = json_array();
    size_t failed = 0;
    json_array_foreach(entries, i, entry)
    {
        const char *source = events_str(entry, "Source"),
                   *detail_type = events_str(entry, "DetailType"),
                   *detail = events_str(entry, "Detail");
        char bus[EVENTS_BUS_NAME_MAX];
        struct buf message = BUF_INIT;
        entry_bus(bus, &message, call, events_str(entry, "EventBusName"));
        json_t *parsed = NULL;
        if (!source || !*source) {
            entry_failed(results, "InvalidArgument",
                         "Parameter Source is not valid. Reason: Source is a required argument.");
        } else if (!detail_type || !*detail_type) {
            entry_failed(results, "InvalidArgument",
                         "Parameter DetailType is not valid. Reason: DetailType is a required "
                         "argument.");
        } else if (!detail || !*detail) {
            entry_failed(results, "InvalidArgument",
                         "Parameter Detail is not valid. Reason: Detail is a required argument.");
        } else if (strncmp(source, "aws.", 4) == 0) {
            entry_failed(results, "NotAuthorizedForSourceException",
                         "Not authorized for the source.");
        } else if (!(parsed =
                         json_loadb(detail, json_string_length(json_object_get(entry, "Detail")),
                                    JSON_REJECT_DUPLICATES, NULL)) ||
                   !json_is_object(parsed)) {
            entry_failed(results, "MalformedDetail", "Detail is malformed.");
        } else if (!bus[0]) {
            entry_failed(results, "ResourceNotFoundException", message.data);
        } else if (!bus_exists(call, tx, bus)) {
            buf_reset(&message);
            buf_addf(&message, "Event bus %s does not exist.", bus);
            entry_failed(results, "ResourceNotFoundException", message.data);
        } else {
            char id[UUID_TEXT_LEN], when[TIME_TEXT_MAX];
            uuid_v4(id);
            json_t *time = json_object_get(entry, "Time");
            int64_t at = time ? (int64_t)json_integer_value(time) : call->now_ms;
            time_format_iso8601(when, at - (((at % 1000) + 1000) % 1000));
            json_t *resources = json_object_get(entry, "Resources");
            resources = resources ? json_incref(resources) : json_array();
            json_t *event =
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:O, s:s}", "version", "0",
                          "id", id, "detail-type", detail_type, "source", source, "account",
                          call->account_id, "time", when, "region", call->region, "resources",
                          resources, "detail", parsed, EVENTS_OUTBOX_BUS_KEY, bus);
            if (!event)
                abort();
            char *text = json_dumps(event, JSON_COMPACT);
            json_decref(event);
            if (!text)
                abort();
            rc = store_outbox_append(NULL, call->store, tx, text, strlen(text));
            free(text);
            if (rc < 0) {
                json_decref(parsed);
                buf_release(&message);
                json_decref(results);
                return rc;
            }
            json_array_append_new(results, json_pack("{s:s}", "EventId", id));
        }
        if (json_object_get(json_array_get(results, i), "ErrorCode"))
            failed++;
        json_decref(parsed);
        buf_release(&message);
    }
    if ((rc = store_tx_commit(TAKE_PTR(tx))) < 0) {
        json_decref(results);
        return rc;
    }
    *out = json_pack("{s:I, s:o}", "FailedEntryCount", (json_int_t)failed, "Entries", results);
    return 0;
}
