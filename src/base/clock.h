#ifndef SLIPWAY_BASE_CLOCK_H
#define SLIPWAY_BASE_CLOCK_H

#include "base/common.h"

/*
 * Wall-clock time and the timestamp formats AWS uses. The wall clock can be
 * replaced for tests (clock_set_fake); everything that stamps or checks
 * times reads it through clock_now_ms().
 */

int64_t clock_now_ms(void);
/* Fix the wall clock at `ms` (Unix epoch milliseconds); 0 restores it. */
void clock_set_fake(int64_t ms);
/* Monotonic nanoseconds, for durations. */
int64_t clock_mono_ns(void);

#define TIME_TEXT_MAX 40

/* "2015-08-30T12:36:00Z", with ".123Z" milliseconds when `ms % 1000`. */
void time_format_iso8601(char out[TIME_TEXT_MAX], int64_t ms);
/* "2015-08-30T12:36:00.000Z": always with milliseconds. */
void time_format_iso8601_ms(char out[TIME_TEXT_MAX], int64_t ms);
/* "Sun, 30 Aug 2015 12:36:00 GMT" (RFC 7231 IMF-fixdate). */
void time_format_http(char out[TIME_TEXT_MAX], int64_t ms);
/* "20150830T123600Z", the SigV4 X-Amz-Date form. */
void time_format_amz(char out[TIME_TEXT_MAX], int64_t ms);

/*
 * Parsers return 0 and epoch milliseconds, or ERR_INVALID. iso8601 accepts
 * "YYYY-MM-DDThh:mm:ss[.fff][Z|+hh:mm]"; http accepts IMF-fixdate; amz
 * accepts exactly "YYYYMMDDThhmmssZ".
 */
int time_parse_iso8601(int64_t *ms_out, const char *s, size_t len);
int time_parse_http(int64_t *ms_out, const char *s, size_t len);
int time_parse_amz(int64_t *ms_out, const char *s, size_t len);

#endif
