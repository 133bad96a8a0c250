#ifndef SLIPWAY_SERVICES_COMMON_EVENT_H
#define SLIPWAY_SERVICES_COMMON_EVENT_H

#include <jansson.h>

#include "store/store.h"

/*
 * The events AWS services send to EventBridge: the envelope around a
 * service's detail, appended to the outbox in the transaction of the change
 * that caused it (store.h), for the event bus to route afterwards.
 */
struct event_source {
    const char *source;      /* "aws.codecommit" */
    const char *detail_type; /* "CodeCommit Repository State Change" */
    const char *account;
    const char *region;
};

/*
 * Appends {"version": "0", "id": <new UUID>, "detail-type", "source",
 * "account", "time": <now, to the second>, "region", "resources", "detail"}
 * to the outbox in `tx`. `resources` (an array of ARNs; NULL for none) and
 * `detail` (an object) are consumed, also on failure. `seq_out` may be NULL.
 */
int event_append(int64_t *seq_out, struct store *st, struct store_tx *tx,
                 const struct event_source *src, json_t *resources, json_t *detail);

#endif
