#include "base/common.h"
#include "base/jsonw.h"

#include <math.h>

size_t utf8_sequence_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

bool utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_sequence_len(p + i, len - i);
        if (!n)
            return false;
        i += n;
    }
    return true;
}

void jsonw_string(struct buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    buf_grow(out, len + 2);
    buf_addch(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            run++;
            i++;
            continue;
        }
        buf_add(out, p + i - run, run);
        run = 0;
        if (c >= 0x80) {
            size_t n = utf8_sequence_len(p + i, len - i);
            if (n) {
                buf_add(out, p + i, n);
                i += n;
            } else {
                buf_adds(out, "\\ufffd");
                i++;
            }
            continue;
        }
        switch (c) {
        case '"':
            buf_adds(out, "\\\"");
            break;
        case '\\':
            buf_adds(out, "\\\\");
            break;
        case '\n':
            buf_adds(out, "\\n");
            break;
        case '\r':
            buf_adds(out, "\\r");
            break;
        case '\t':
            buf_adds(out, "\\t");
            break;
        case '\b':
            buf_adds(out, "\\b");
            break;
        case '\f':
            buf_adds(out, "\\f");
            break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_add(out, esc, 6);
        }
        }
        i++;
    }
    buf_add(out, p + len - run, run);
    buf_addch(out, '"');
}

void double_shortest(char out[DOUBLE_TEXT_MAX], double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, DOUBLE_TEXT_MAX, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

void jsonw_double(struct buf *out, double v)
{
    if (isnan(v)) {
        buf_adds(out, "\"NaN\"");
        return;
    }
    if (isinf(v)) {
        buf_adds(out, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    char tmp[DOUBLE_TEXT_MAX];
    double_shortest(tmp, v);
    buf_adds(out, tmp);
    /* Keep a double recognisable as one: 1.0, not 1. */
    if (!strpbrk(tmp, ".eE"))
        buf_adds(out, ".0");
}
