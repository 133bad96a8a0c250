#ifndef SLIPWAY_SERVICES_CODECOMMIT_TEXT_H
#define SLIPWAY_SERVICES_CODECOMMIT_TEXT_H

#include <stddef.h>

/*
 * Text as CodeCommit measures it. Its limits ("up to 150 characters") count
 * characters, which for the UTF-8 text of a request are code points, not
 * bytes: every byte that does not continue a sequence starts one.
 */
static inline size_t cc_char_count(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

#endif
