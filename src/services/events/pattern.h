#ifndef SLIPWAY_SERVICES_EVENTS_PATTERN_H
#define SLIPWAY_SERVICES_EVENTS_PATTERN_H

#include <jansson.h>

#include "base/buf.h"

/*
 * EventBridge's event pattern language, compiled once and matched against
 * many events: exact values, prefix, suffix, equals-ignore-case, wildcard,
 * anything-but (and its prefix / suffix / wildcard / equals-ignore-case
 * forms), numeric ranges, cidr (IPv4 and IPv6), exists, null and empty
 * values, arrays, $or — as AWS documents them.
 *
 * A compiled pattern is immutable: any number of threads may match with it
 * at once.
 */
struct event_pattern;

/*
 * Compiles the pattern `text` (JSON text, `len` bytes). Returns 0, or
 * ERR_INVALID with `message_out` (when not NULL) holding AWS's message for
 * InvalidEventPatternException ("Event pattern is not valid. Reason: ...").
 * Limits on size and complexity are AWS's.
 */
int event_pattern_compile(struct event_pattern **out, struct buf *message_out, const char *text,
                          size_t len);

/* Whether `event` (a parsed event object) matches. */
bool event_pattern_match(const struct event_pattern *pattern, const json_t *event);

void event_pattern_free(struct event_pattern *pattern);

/*
 * For tests: the calling thread's running count of wildcard matching steps
 * (bytes compared), linear in the event string and pattern lengths.
 */
size_t event_pattern_wildcard_steps(void);

#endif
