#include "base/common.h"
#include "services/common/event.h"

#include "base/clock.h"
#include "base/ids.h"

int event_append(int64_t *seq_out, struct store *st, struct store_tx *tx,
                 const struct event_source *src, json_t *resources, json_t *detail)
{
    int64_t now_ms = clock_now_ms();
    char id[UUID_TEXT_LEN], when[TIME_TEXT_MAX];
    uuid_v4(id);
    time_format_iso8601(when, now_ms - now_ms % 1000);
    json_t *event = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "version", "0", "id",
                              id, "detail-type", src->detail_type, "source", src->source, "account",
                              src->account ? src->account : "", "time", when, "region",
                              src->region ? src->region : "", "resources",
                              resources ? resources : json_array(), "detail", detail);
    if (!event)
        abort();
    char *text = json_dumps(event, JSON_COMPACT);
    json_decref(event);
    if (!text)
        abort();
    int rc = store_outbox_append(seq_out, st, tx, text, strlen(text));
    free(text);
    return rc;
}
