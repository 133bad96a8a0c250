#ifndef SLIPWAY_BASE_JSONW_H
#define SLIPWAY_BASE_JSONW_H

#include "base/buf.h"

/*
 * Small helpers for writing JSON text straight into a buf, for the hot
 * paths (log lines, protocol encoders) where building a DOM first would
 * cost an allocation per value.
 */

/* Appends `s` as a quoted JSON string; bytes that are not valid UTF-8 are
 * written as U+FFFD so the output is always valid JSON. */
void jsonw_string(struct buf *out, const char *s, size_t len);
static inline void jsonw_cstr(struct buf *out, const char *s)
{
    jsonw_string(out, s, strlen(s));
}
/* Appends a double the way JSON wants it: shortest round-trip form,
 * "NaN"/"Infinity"/"-Infinity" as strings (AWS's convention). */
void jsonw_double(struct buf *out, double v);

/* The shortest "%g" text of a finite double that reads back as the same
 * value (15 to 17 significant digits). */
#define DOUBLE_TEXT_MAX 32
void double_shortest(char out[DOUBLE_TEXT_MAX], double v);

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
size_t utf8_sequence_len(const unsigned char *s, size_t avail);
/* True when the whole buffer is valid UTF-8. */
bool utf8_valid(const char *s, size_t len);

#endif
