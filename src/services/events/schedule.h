#ifndef SLIPWAY_SERVICES_EVENTS_SCHEDULE_H
#define SLIPWAY_SERVICES_EVENTS_SCHEDULE_H

#include "base/buf.h"
#include "base/common.h"

/*
 * EventBridge schedule expressions: "rate(5 minutes)" and
 * "cron(0 12 * * ? *)" with AWS's semantics (UTC; six fields: minutes,
 * hours, day-of-month, month, day-of-week, year; `?`, `L`, `W`, `#`,
 * ranges, lists, increments, JAN-DEC and SUN-SAT names; one of
 * day-of-month and day-of-week must be `?`).
 */
struct schedule;

/*
 * Parses `text`. Returns 0, or ERR_INVALID with `message_out` (when not
 * NULL) holding AWS's ValidationException message for PutRule
 * ("Parameter ScheduleExpression is not valid."); err_msg() then says
 * which part is wrong, for logs. `*out` is written only on success and
 * owned by the caller (schedule_free()). The text is not retained.
 */
int schedule_parse(struct schedule **out, struct buf *message_out, const char *text);

/*
 * The first time the schedule fires strictly after `after_ms` (ms since
 * the epoch, UTC), or -1 when it never fires again (a cron whose years are
 * past). A rate schedule fires every period counted from `origin_ms` (when
 * the rule was created or last enabled): origin_ms + k * period, k >= 1.
 * Takes times as arguments and reads no clock; bounded work (a calendar walk
 * of at most 1970-2199, never minute by minute).
 */
int64_t schedule_next(const struct schedule *s, int64_t origin_ms, int64_t after_ms);

void schedule_free(struct schedule *s);

#endif
