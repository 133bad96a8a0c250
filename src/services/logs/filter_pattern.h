#ifndef SLIPWAY_SERVICES_LOGS_FILTER_PATTERN_H
#define SLIPWAY_SERVICES_LOGS_FILTER_PATTERN_H

#include <jansson.h>

#include "base/common.h"

/*
 * CloudWatch Logs filter patterns (FilterLogEvents, TestMetricFilter), as
 * AWS's "Filter pattern syntax" documents them:
 *
 *   ""  or  " "              every event
 *   ERROR Exception          events containing every term (case-sensitive
 *                            substrings; terms are separated by spaces)
 *   "INTERNAL SERVER ERROR"  a quoted phrase, also for terms with
 *                            non-alphanumeric characters (\" and \\ escape)
 *   ?ERROR ?WARN             at least one of the ?-terms
 *   ERROR -DEBUG             not containing a -term
 *   %regex%                  a regular expression found anywhere in the
 *                            event (AWS's subset: no parentheses)
 *   { $.a.b[0] = "x*" }      JSON events: = and != on strings (with *
 *                            wildcards) and numbers, < > <= >= on numbers,
 *                            IS TRUE / IS FALSE / IS NULL, NOT EXISTS,
 *                            %regex% values, && before ||, parentheses
 *   [ip, user, ..., status=4*, bytes>1000]
 *                            space-delimited events: one field per word
 *                            ("..." and [...] in the event are one word),
 *                            "..." in the pattern any number of fields,
 *                            conditions joined with && and || per field
 *
 * A pattern is untrusted input: every size is bounded (FILTER_PATTERN_MAX
 * bytes, FILTER_TERMS_MAX terms, FILTER_DEPTH_MAX nesting) and matching
 * never backtracks beyond a bound (wildcards are matched greedily segment
 * by segment; regexes use the linear-time engine of base/regex.h).
 * A compiled pattern is immutable and may be shared by threads.
 */

#define FILTER_PATTERN_MAX 1024
#define FILTER_TERMS_MAX   64
#define FILTER_DEPTH_MAX   16
#define FILTER_REGEX_MAX   2

struct filter_pattern;

/*
 * Compiles `len` bytes of `text`. Returns 0 and a pattern the caller frees
 * with filter_pattern_free(), or ERR_INVALID / ERR_LIMIT with a message
 * saying what is wrong and where.
 */
int filter_pattern_parse(struct filter_pattern **out, const char *text, size_t len);

/* Whether the event `message` matches. */
bool filter_pattern_match(const struct filter_pattern *p, const char *message, size_t len);

/*
 * filter_pattern_match() that also fills `extracted` (an object) with the
 * values a space-delimited pattern's named fields took, "$name": "value",
 * as TestMetricFilter reports them. Term and JSON patterns extract nothing.
 */
bool filter_pattern_match_extract(const struct filter_pattern *p, const char *message, size_t len,
                                  json_t *extracted);

void filter_pattern_free(struct filter_pattern *p);

#endif
