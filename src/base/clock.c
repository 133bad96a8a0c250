#include "base/common.h"
#include "base/clock.h"
#include "base/err.h"

#include <stdatomic.h>

static _Atomic int64_t fake_now_ms;

int64_t clock_now_ms(void)
{
    int64_t fake = atomic_load_explicit(&fake_now_ms, memory_order_relaxed);
    if (fake)
        return fake;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_set_fake(int64_t ms)
{
    atomic_store(&fake_now_ms, ms);
}

int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void split(int64_t ms, struct tm *tm, int *millis)
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    *millis = (int)(ms - secs * 1000);
    time_t t = (time_t)secs;
    gmtime_r(&t, tm);
}

void time_format_iso8601(char out[TIME_TEXT_MAX], int64_t ms)
{
    struct tm tm;
    int millis;
    split(ms, &tm, &millis);
    size_t n = strftime(out, TIME_TEXT_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
    if (millis)
        snprintf(out + n, TIME_TEXT_MAX - n, ".%03dZ", millis);
    else
        snprintf(out + n, TIME_TEXT_MAX - n, "Z");
}

void time_format_iso8601_ms(char out[TIME_TEXT_MAX], int64_t ms)
{
    struct tm tm;
    int millis;
    split(ms, &tm, &millis);
    size_t n = strftime(out, TIME_TEXT_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, TIME_TEXT_MAX - n, ".%03dZ", millis);
}

void time_format_http(char out[TIME_TEXT_MAX], int64_t ms)
{
    static const char days[][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    int millis;
    split(ms, &tm, &millis);
    snprintf(out, TIME_TEXT_MAX, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
             tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void time_format_amz(char out[TIME_TEXT_MAX], int64_t ms)
{
    struct tm tm;
    int millis;
    split(ms, &tm, &millis);
    strftime(out, TIME_TEXT_MAX, "%Y%m%dT%H%M%SZ", &tm);
}

/* Reads exactly `n` digits at *p. */
static bool digits(const char **p, const char *end, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (*p >= end || **p < '0' || **p > '9')
            return false;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return true;
}

static bool expect(const char **p, const char *end, char c)
{
    if (*p >= end || **p != c)
        return false;
    (*p)++;
    return true;
}

static bool fields_valid(const struct tm *tm)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return tm->tm_mon >= 0 && tm->tm_mon < 12 && tm->tm_mday >= 1 &&
           tm->tm_mday <= mdays[tm->tm_mon] && tm->tm_hour <= 23 && tm->tm_min <= 59 &&
           tm->tm_sec <= 60;
}

static int invalid(const char *what, const char *s, size_t len)
{
    return err_set(ERR_INVALID, "'%.*s' is not a valid %s timestamp", (int)(len > 64 ? 64 : len), s,
                   what);
}

int time_parse_iso8601(int64_t *ms_out, const char *s, size_t len)
{
    const char *p = s, *end = s + len;
    struct tm tm = {0};
    int year, mon, millis = 0;
    if (!digits(&p, end, 4, &year) || !expect(&p, end, '-') || !digits(&p, end, 2, &mon) ||
        !expect(&p, end, '-') || !digits(&p, end, 2, &tm.tm_mday))
        return invalid("ISO 8601", s, len);
    if (p >= end || (*p != 'T' && *p != 't' && *p != ' '))
        return invalid("ISO 8601", s, len);
    p++;
    if (!digits(&p, end, 2, &tm.tm_hour) || !expect(&p, end, ':') ||
        !digits(&p, end, 2, &tm.tm_min) || !expect(&p, end, ':') || !digits(&p, end, 2, &tm.tm_sec))
        return invalid("ISO 8601", s, len);
    if (p < end && *p == '.') {
        p++;
        int scale = 100, n = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            millis += (*p - '0') * scale;
            scale /= 10;
            p++;
            n++;
        }
        if (n == 0)
            return invalid("ISO 8601", s, len);
    }
    int offset_min = 0;
    if (p < end && (*p == 'Z' || *p == 'z')) {
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (!digits(&p, end, 2, &oh))
            return invalid("ISO 8601", s, len);
        expect(&p, end, ':');
        if (!digits(&p, end, 2, &om))
            return invalid("ISO 8601", s, len);
        offset_min = sign * (oh * 60 + om);
    } else {
        return invalid("ISO 8601", s, len);
    }
    if (p != end)
        return invalid("ISO 8601", s, len);
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    if (!fields_valid(&tm))
        return invalid("ISO 8601", s, len);
    time_t t = timegm(&tm);
    *ms_out = ((int64_t)t - offset_min * 60) * 1000 + millis;
    return 0;
}

int time_parse_http(int64_t *ms_out, const char *s, size_t len)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const char *p = s, *end = s + len;
    struct tm tm = {0};
    int year;
    /* "Sun, 30 Aug 2015 12:36:00 GMT" */
    if (len < 29 || p[3] != ',' || p[4] != ' ')
        return invalid("HTTP date", s, len);
    p += 5;
    if (!digits(&p, end, 2, &tm.tm_mday) || !expect(&p, end, ' ') || end - p < 4)
        return invalid("HTTP date", s, len);
    const char *m = NULL;
    for (int i = 0; i < 12; i++)
        if (memcmp(p, months + 3 * i, 3) == 0)
            m = months + 3 * i, tm.tm_mon = i;
    if (!m)
        return invalid("HTTP date", s, len);
    p += 3;
    if (!expect(&p, end, ' ') || !digits(&p, end, 4, &year) || !expect(&p, end, ' ') ||
        !digits(&p, end, 2, &tm.tm_hour) || !expect(&p, end, ':') ||
        !digits(&p, end, 2, &tm.tm_min) || !expect(&p, end, ':') ||
        !digits(&p, end, 2, &tm.tm_sec) || !expect(&p, end, ' ') || end - p != 3 ||
        memcmp(p, "GMT", 3) != 0)
        return invalid("HTTP date", s, len);
    tm.tm_year = year - 1900;
    if (!fields_valid(&tm))
        return invalid("HTTP date", s, len);
    *ms_out = (int64_t)timegm(&tm) * 1000;
    return 0;
}

int time_parse_amz(int64_t *ms_out, const char *s, size_t len)
{
    const char *p = s, *end = s + len;
    struct tm tm = {0};
    int year, mon;
    if (!digits(&p, end, 4, &year) || !digits(&p, end, 2, &mon) ||
        !digits(&p, end, 2, &tm.tm_mday) || !expect(&p, end, 'T') ||
        !digits(&p, end, 2, &tm.tm_hour) || !digits(&p, end, 2, &tm.tm_min) ||
        !digits(&p, end, 2, &tm.tm_sec) || !expect(&p, end, 'Z') || p != end)
        return invalid("X-Amz-Date", s, len);
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    if (!fields_valid(&tm))
        return invalid("X-Amz-Date", s, len);
    *ms_out = (int64_t)timegm(&tm) * 1000;
    return 0;
}
