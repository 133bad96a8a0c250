/*
 * The matching primitives of policy evaluation: the arena compiled policies
 * live in, wildcard patterns, ARN patterns matched field by field, and the
 * parsers of typed condition values (numbers, dates, booleans, IP ranges).
 */
#include "base/common.h"

#include <arpa/inet.h>
#include <math.h>

#include "aws/policy_internal.h"
#include "base/alloc.h"

/* ---- arena ------------------------------------------------------------------------ */

#define ARENA_BLOCK_SIZE 8192

struct pol_arena_block {
    struct pol_arena_block *next;
    size_t used;
    size_t size;
    max_align_t data[];
};

void *pol_arena_alloc(struct pol_arena *arena, size_t size)
{
    size_t align = sizeof(max_align_t);
    size = (size + align - 1) / align * align;
    struct pol_arena_block *b = arena->head;
    if (!b || b->size - b->used < size) {
        size_t cap = size > ARENA_BLOCK_SIZE ? size : ARENA_BLOCK_SIZE;
        b = xmalloc(sizeof(*b) + cap);
        b->next = arena->head;
        b->used = 0;
        b->size = cap;
        arena->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *pol_arena_strndup(struct pol_arena *arena, const char *s, size_t len)
{
    char *p = pol_arena_alloc(arena, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void pol_arena_release(struct pol_arena *arena)
{
    struct pol_arena_block *b = arena->head;
    while (b) {
        struct pol_arena_block *next = b->next;
        free(b);
        b = next;
    }
    arena->head = NULL;
}

/* ---- wildcard patterns ------------------------------------------------------------ */

/*
 * Iterative matching with one backtrack point (the last '*'): linear in
 * practice and never recursive, so hostile patterns cannot blow the stack
 * or run away exponentially.
 */
bool pol_wild_match(const char *pat, size_t pat_len, const char *text, size_t text_len)
{
    size_t p = 0, t = 0;
    size_t star_p = SIZE_MAX, star_t = 0;

    while (t < text_len) {
        if (p < pat_len && pat[p] == '*') {
            star_p = ++p;
            star_t = t;
            continue;
        }
        if (p < pat_len) {
            char c = pat[p];
            size_t step = 1;
            bool literal = false;
            if (c == '\\' && p + 1 < pat_len) {
                c = pat[p + 1];
                step = 2;
                literal = true;
            }
            if ((!literal && c == '?') || c == text[t]) {
                p += step;
                t++;
                continue;
            }
        }
        if (star_p == SIZE_MAX)
            return false;
        p = star_p;
        t = ++star_t;
    }
    while (p < pat_len && pat[p] == '*')
        p++;
    return p == pat_len;
}

bool pol_pat_match(const struct pol_pat *pat, const char *text, size_t len)
{
    switch (pat->kind) {
    case PAT_ANY:
        return true;
    case PAT_EXACT:
        return len == pat->len && memcmp(pat->s, text, len) == 0;
    case PAT_PREFIX:
        return len >= pat->len && memcmp(pat->s, text, pat->len) == 0;
    default:
        return pol_wild_match(pat->s, pat->len, text, len);
    }
}

void pol_pat_escape(struct buf *out, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '*' || text[i] == '?' || text[i] == '\\')
            buf_addch(out, '\\');
        buf_addch(out, text[i]);
    }
}

void pol_pat_compile(struct pol_pat *out, struct pol_arena *arena, const char *text, size_t len)
{
    size_t stars = 0, questions = 0, backslashes = 0;
    for (size_t i = 0; i < len; i++) {
        stars += text[i] == '*';
        questions += text[i] == '?';
        backslashes += text[i] == '\\';
    }
    out->len = (uint32_t)len;
    if (len == 1 && text[0] == '*') {
        out->kind = PAT_ANY;
        out->s = "";
        out->len = 0;
    } else if (stars == 0 && questions == 0) {
        out->kind = PAT_EXACT;
        out->s = pol_arena_strndup(arena, text, len);
    } else if (stars == 1 && questions == 0 && text[len - 1] == '*') {
        out->kind = PAT_PREFIX;
        out->s = pol_arena_strndup(arena, text, len - 1);
        out->len = (uint32_t)(len - 1);
    } else if (backslashes == 0) {
        out->kind = PAT_WILD;
        out->s = pol_arena_strndup(arena, text, len);
    } else {
        /* a literal backslash must not read as the matcher's escape */
        struct buf b = BUF_INIT;
        for (size_t i = 0; i < len; i++) {
            if (text[i] == '\\')
                buf_addch(&b, '\\');
            buf_addch(&b, text[i]);
        }
        out->kind = PAT_WILD;
        out->s = pol_arena_strndup(arena, b.data, b.len);
        out->len = (uint32_t)b.len;
        buf_release(&b);
    }
}

/* ---- keys --------------------------------------------------------------------------- */

uint32_t pol_key_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        h ^= c;
        h *= 16777619u;
    }
    return h;
}

static const struct {
    const char *name;
    enum pol_derived_key id;
} derived_keys[] = {
    {"aws:username", DK_USERNAME},
    {"aws:userid", DK_USERID},
    {"aws:PrincipalArn", DK_PRINCIPAL_ARN},
    {"aws:PrincipalAccount", DK_PRINCIPAL_ACCOUNT},
    {"aws:PrincipalType", DK_PRINCIPAL_TYPE},
    {"aws:PrincipalServiceName", DK_PRINCIPAL_SERVICE_NAME},
    {"aws:PrincipalIsAWSService", DK_PRINCIPAL_IS_AWS_SERVICE},
    {"aws:CurrentTime", DK_CURRENT_TIME},
    {"aws:EpochTime", DK_EPOCH_TIME},
    {"aws:ResourceAccount", DK_RESOURCE_ACCOUNT},
};

void pol_key_init(struct pol_key *key, const char *name, size_t len)
{
    key->name = name;
    key->len = (uint32_t)len;
    key->hash = pol_key_hash(name, len);
    key->derived = DK_NONE;
    for (size_t i = 0; i < ARRAY_SIZE(derived_keys); i++) {
        if (strlen(derived_keys[i].name) == len &&
            strncasecmp(derived_keys[i].name, name, len) == 0) {
            key->derived = (uint8_t)derived_keys[i].id;
            break;
        }
    }
}

uint64_t pol_service_bit(const char *service, size_t len)
{
    return UINT64_C(1) << (pol_key_hash(service, len) & 63);
}

/* ---- ARN patterns ----------------------------------------------------------------- */

int pol_arn_split(const char *text, size_t len, const char *field[ARN_FIELDS],
                  size_t field_len[ARN_FIELDS])
{
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i < len && n < ARN_FIELDS - 1; i++) {
        if (text[i] == ':') {
            field[n] = text + start;
            field_len[n] = i - start;
            n++;
            start = i + 1;
        }
    }
    field[n] = text + start;
    field_len[n] = len - start;
    return n + 1;
}

void pol_arn_compile(struct pol_arn *out, struct pol_arena *arena, const char *text, size_t len)
{
    const char *field[ARN_FIELDS];
    size_t field_len[ARN_FIELDS];
    int n = pol_arn_split(text, len, field, field_len);
    for (int i = 0; i < ARN_FIELDS; i++) {
        if (i < n)
            pol_pat_compile(&out->field[i], arena, field[i], field_len[i]);
        else
            pol_pat_compile(&out->field[i], arena, "*", 1);
    }
    pol_pat_compile(&out->whole, arena, text, len);
}

bool pol_arn_match(const struct pol_arn *pat, const char *const field[ARN_FIELDS],
                   const size_t field_len[ARN_FIELDS], int nfields, const char *text, size_t len)
{
    if (nfields < ARN_FIELDS)
        return pol_pat_match(&pat->whole, text, len);
    /* the resource part first: it is where patterns differ most */
    for (int i = ARN_FIELDS - 1; i >= 0; i--)
        if (!pol_pat_match(&pat->field[i], field[i], field_len[i]))
            return false;
    return true;
}

/*
 * Splits a pattern in matcher form at its first five unescaped colons (an
 * escaped byte is never a separator).
 */
static int split_expanded(const char *pat, size_t len, const char *field[ARN_FIELDS],
                          size_t field_len[ARN_FIELDS])
{
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i < len && n < ARN_FIELDS - 1; i++) {
        if (pat[i] == '\\') {
            i++;
            continue;
        }
        if (pat[i] == ':') {
            field[n] = pat + start;
            field_len[n] = i - start;
            n++;
            start = i + 1;
        }
    }
    field[n] = pat + start;
    field_len[n] = len - start;
    return n + 1;
}

bool pol_arn_match_expanded(const char *pat, size_t pat_len, const char *const field[ARN_FIELDS],
                            const size_t field_len[ARN_FIELDS], int nfields, const char *text,
                            size_t len)
{
    if (nfields < ARN_FIELDS)
        return pol_wild_match(pat, pat_len, text, len);
    const char *pf[ARN_FIELDS];
    size_t pf_len[ARN_FIELDS];
    int n = split_expanded(pat, pat_len, pf, pf_len);
    for (int i = 0; i < ARN_FIELDS; i++) {
        if (i >= n)
            continue; /* a missing field is "*" */
        if (!pol_wild_match(pf[i], pf_len[i], field[i], field_len[i]))
            return false;
    }
    return true;
}

/* ---- numbers ---------------------------------------------------------------------- */

/* Strict decimal: [+-]digits[.digits][e[+-]digits]; strtod alone would also
 * take "inf", "nan", hex and leading blanks. */
int pol_parse_number(double *out, const char *s, size_t len)
{
    char text[64];
    size_t i = 0, digits = 0;
    if (len == 0 || len >= sizeof(text))
        return -1;
    if (s[i] == '+' || s[i] == '-')
        i++;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        i++;
        digits++;
    }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            digits++;
        }
    }
    if (digits == 0)
        return -1;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp_digits = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            exp_digits++;
        }
        if (exp_digits == 0)
            return -1;
    }
    if (i != len)
        return -1;
    memcpy(text, s, len);
    text[len] = '\0';
    double v = strtod(text, NULL);
    if (!isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* ---- dates ------------------------------------------------------------------------ */

/* Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), in 64 bits for IAM's very wide year range. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Reads 1 to `max` digits; returns how many, 0 when none. */
static size_t read_digits(int64_t *out, const char *s, size_t len, size_t pos, size_t max)
{
    int64_t v = 0;
    size_t n = 0;
    while (pos + n < len && n < max && s[pos + n] >= '0' && s[pos + n] <= '9') {
        v = v * 10 + (s[pos + n] - '0');
        n++;
    }
    *out = v;
    return n;
}

/* IAM's range is Java's: the years a long of milliseconds can hold. */
#define YEAR_MIN INT64_C(-292275054)
#define YEAR_MAX INT64_C(292278993)

/*
 * The W3C profile of ISO 8601 that IAM accepts, leniently as IAM does:
 * YYYY[-MM[-DD]][Thh[:mm[:ss[.fraction]]]][Z|+hh[:mm]|-hh[:mm]], 'T' in
 * either case, one-digit fields allowed; or, with neither '-' nor 'T', a
 * count of seconds since the epoch.
 */
int pol_parse_date(struct pol_time *out, const char *s, size_t len)
{
    bool has_t = false, has_dash = false;
    for (size_t i = 0; i < len; i++) {
        has_t |= s[i] == 't' || s[i] == 'T';
        has_dash |= s[i] == '-';
    }
    if (len == 0)
        return -1;
    if (!has_t && !has_dash) {
        int64_t sec = 0;
        for (size_t i = 0; i < len; i++) {
            if (s[i] < '0' || s[i] > '9')
                return -1;
            if (sec > (INT64_MAX - (s[i] - '0')) / 10)
                return -1;
            sec = sec * 10 + (s[i] - '0');
        }
        out->sec = sec;
        out->nsec = 0;
        return 0;
    }

    size_t pos = 0;
    bool negative = false;
    if (s[pos] == '-') {
        negative = true;
        pos++;
    }
    int64_t year, month = 1, day = 1, hour = 0, minute = 0, second = 0, nsec = 0;
    size_t n = read_digits(&year, s, len, pos, 9);
    if (n == 0)
        return -1;
    pos += n;
    if (negative)
        year = -year;
    if (year < YEAR_MIN || year > YEAR_MAX)
        return -1;
    if (pos < len && s[pos] == '-') {
        n = read_digits(&month, s, len, ++pos, 2);
        if (n == 0 || month < 1 || month > 12)
            return -1;
        pos += n;
        if (pos < len && s[pos] == '-') {
            n = read_digits(&day, s, len, ++pos, 2);
            if (n == 0 || day < 1 || day > 31)
                return -1;
            pos += n;
        }
    }
    int64_t offset = 0;
    if (pos < len && (s[pos] == 'T' || s[pos] == 't')) {
        pos++;
        n = read_digits(&hour, s, len, pos, 2);
        pos += n;
        if (n > 0 && hour > 23)
            return -1;
        if (n > 0 && pos < len && s[pos] == ':') {
            n = read_digits(&minute, s, len, ++pos, 2);
            if (n == 0 || minute > 59)
                return -1;
            pos += n;
            if (pos < len && s[pos] == ':') {
                n = read_digits(&second, s, len, ++pos, 2);
                if (n == 0 || second > 59)
                    return -1;
                pos += n;
                if (pos < len && s[pos] == '.') {
                    int64_t frac;
                    n = read_digits(&frac, s, len, ++pos, 10);
                    if (n == 0 || n > 9)
                        return -1;
                    pos += n;
                    nsec = frac;
                    for (size_t k = n; k < 9; k++)
                        nsec *= 10;
                }
            }
        }
        if (pos < len && (s[pos] == 'Z' || s[pos] == 'z')) {
            pos++;
        } else if (pos < len && (s[pos] == '+' || s[pos] == '-')) {
            int sign = s[pos] == '-' ? -1 : 1;
            int64_t oh, om = 0;
            n = read_digits(&oh, s, len, ++pos, 2);
            if (n != 2 || oh > 23)
                return -1;
            pos += n;
            if (pos < len && s[pos] == ':') {
                n = read_digits(&om, s, len, ++pos, 2);
                if (n != 2 || om > 59)
                    return -1;
                pos += n;
            }
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    if (pos != len)
        return -1;
    out->sec =
        days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
    out->nsec = (int32_t)nsec;
    return 0;
}

int pol_time_compare(const struct pol_time *a, const struct pol_time *b)
{
    if (a->sec != b->sec)
        return a->sec < b->sec ? -1 : 1;
    if (a->nsec != b->nsec)
        return a->nsec < b->nsec ? -1 : 1;
    return 0;
}

/* ---- booleans and addresses ------------------------------------------------------- */

int pol_parse_bool(bool *out, const char *s, size_t len)
{
    if (len == 4 && strncasecmp(s, "true", 4) == 0) {
        *out = true;
        return 0;
    }
    if (len == 5 && strncasecmp(s, "false", 5) == 0) {
        *out = false;
        return 0;
    }
    return -1;
}

int pol_parse_ip(struct pol_ipnet *out, const char *s, size_t len)
{
    char text[INET6_ADDRSTRLEN + 1];
    struct pol_ipnet ip = {0};
    if (len == 0 || len >= sizeof(text))
        return -1;
    memcpy(text, s, len);
    text[len] = '\0';
    if (inet_pton(AF_INET, text, ip.addr) == 1) {
        ip.family = 4;
        ip.prefix = 32;
    } else if (inet_pton(AF_INET6, text, ip.addr) == 1) {
        ip.family = 6;
        ip.prefix = 128;
    } else {
        return -1;
    }
    *out = ip;
    return 0;
}

/* "203.0.113.0/24", "2001:DB8:1234:5678::/64"; no prefix means one address. */
int pol_parse_cidr(struct pol_ipnet *out, const char *s, size_t len)
{
    const char *slash = memchr(s, '/', len);
    struct pol_ipnet net;
    if (pol_parse_ip(&net, s, slash ? (size_t)(slash - s) : len) < 0)
        return -1;
    if (slash) {
        int64_t prefix;
        size_t rest = len - (size_t)(slash - s) - 1;
        if (rest == 0 || rest > 3 || read_digits(&prefix, slash + 1, rest, 0, 3) != rest)
            return -1;
        if (prefix > (net.family == 4 ? 32 : 128))
            return -1;
        net.prefix = (uint8_t)prefix;
    }
    *out = net;
    return 0;
}

bool pol_ipnet_contains(const struct pol_ipnet *net, const struct pol_ipnet *ip)
{
    if (net->family != ip->family)
        return false;
    unsigned full = net->prefix / 8, rest = net->prefix % 8;
    if (memcmp(net->addr, ip->addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (net->addr[full] & mask) == (ip->addr[full] & mask);
}
