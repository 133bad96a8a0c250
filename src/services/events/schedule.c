/*
 * EventBridge schedule expressions. A cron expression is parsed into one
 * bit set per field plus a "day rule" for the day-of-month / day-of-week
 * pair (exactly one of them is `?`), and the next firing is found by
 * walking years, months and days of the calendar rather than minutes:
 * at most 230 years x 366 days are visited (each in O(1)), so even a
 * schedule that never fires again answers at once.
 *
 * AWS's dialect is Quartz's minus the seconds field. Where the user guide
 * is silent this follows Quartz (wrapping ranges "20-2", "L" alone in
 * day-of-week meaning Saturday, "LW", "L-3", names case-insensitive); the
 * choices are listed in docs/events.md.
 */
#include "base/common.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/events/schedule.h"

#define SCHEDULE_INVALID_MESSAGE "Parameter ScheduleExpression is not valid."

#define YEAR_MIN 1970
#define YEAR_MAX 2199

#define MS_PER_MINUTE   60000LL
#define MINUTES_PER_DAY 1440LL

/* Java's Integer.MAX_VALUE, on the guess that AWS reads the value as an int. */
#define RATE_VALUE_MAX 2147483647LL

/* Values 0..255 relative to the field's minimum. */
struct bitset {
    uint64_t w[4];
};

static void bitset_add(struct bitset *b, int bit)
{
    b->w[bit >> 6] |= UINT64_C(1) << (bit & 63);
}

static bool bitset_has(const struct bitset *b, int bit)
{
    return (b->w[bit >> 6] >> (bit & 63)) & 1;
}

enum day_rule {
    DAY_MONTH_SET,         /* day-of-month list, day-of-week `?` */
    DAY_MONTH_LAST,        /* `L` or `L-n`: the last day minus `day_offset` */
    DAY_MONTH_LASTWEEKDAY, /* `LW`: the last Monday-Friday of the month */
    DAY_MONTH_NEAREST,     /* `nW`: the weekday nearest day `day_value` */
    DAY_WEEK_SET,          /* day-of-week list, day-of-month `?` */
    DAY_WEEK_LAST,         /* `nL`: the last weekday `day_value` of the month */
    DAY_WEEK_NTH,          /* `n#k`: the `day_nth`-th weekday `day_value` */
};

enum schedule_kind { SCHEDULE_RATE, SCHEDULE_CRON };

struct schedule {
    enum schedule_kind kind;
    int64_t period_ms;
    struct bitset minutes; /* bit = minute */
    struct bitset hours;   /* bit = hour */
    struct bitset months;  /* bit = month - 1 */
    struct bitset years;   /* bit = year - YEAR_MIN */
    struct bitset mdays;   /* bit = day - 1, for DAY_MONTH_SET */
    struct bitset wdays;   /* bit = weekday - 1 (SUN = 0), for DAY_WEEK_SET */
    enum day_rule day_rule;
    int day_value;
    int day_offset;
    int day_nth;
};

struct field_spec {
    const char *name;
    int min, max;
    int increment_max;
    bool wraps;
    const char *const *names; /* 3-letter names of min..max, or NULL */
};

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const weekday_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

/* Increment limits are Quartz's ("Increment > 60" for minutes and so on). */
static const struct field_spec minutes_spec = {"minutes", 0, 59, 59, true, NULL};
static const struct field_spec hours_spec = {"hours", 0, 23, 23, true, NULL};
static const struct field_spec mdays_spec = {"day-of-month", 1, 31, 31, true, NULL};
static const struct field_spec months_spec = {"month", 1, 12, 12, true, month_names};
static const struct field_spec wdays_spec = {"day-of-week", 1, 7, 7, true, weekday_names};
static const struct field_spec years_spec = {"year", YEAR_MIN, YEAR_MAX, YEAR_MAX - YEAR_MIN,
                                             false,  NULL};

/* A non-owning slice of the expression: one field, or the rest of one. */
struct cursor {
    const char *p;
    const char *end;
};

static bool cursor_at(const struct cursor *c, char ch)
{
    return c->p < c->end && *c->p == ch;
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static char upper(char ch)
{
    return (ch >= 'a' && ch <= 'z') ? (char)(ch - 'a' + 'A') : ch;
}

/* Digits only, at most 9 of them (leading zeros are fine, as in Java). */
static int parse_number(int *out, struct cursor *c)
{
    int64_t value = 0;
    int digits = 0;
    while (c->p < c->end && is_digit(*c->p)) {
        if (++digits > 9)
            return ERR_INVALID;
        value = value * 10 + (*c->p - '0');
        c->p++;
    }
    if (!digits)
        return ERR_INVALID;
    *out = (int)value;
    return 0;
}

/* A number or (in month and day-of-week) a 3-letter name, within range. */
static int parse_value(int *out, struct cursor *c, const struct field_spec *spec)
{
    int value;
    if (c->p < c->end && is_alpha(*c->p)) {
        if (!spec->names || c->end - c->p < 3)
            return ERR_INVALID;
        int count = spec->max - spec->min + 1;
        value = -1;
        for (int i = 0; i < count; i++) {
            const char *n = spec->names[i];
            if (upper(c->p[0]) == n[0] && upper(c->p[1]) == n[1] && upper(c->p[2]) == n[2])
                value = spec->min + i;
        }
        if (value < 0)
            return ERR_INVALID;
        c->p += 3;
    } else if (parse_number(&value, c) < 0) {
        return ERR_INVALID;
    }
    if (value < spec->min || value > spec->max)
        return ERR_INVALID;
    *out = value;
    return 0;
}

/*
 * One list item: `*`, `*`/inc, v, v/inc (v to the maximum), a-b, a-b/inc.
 * A range whose end is below its start wraps past the maximum ("20-2").
 */
static int parse_item(struct bitset *set, struct cursor *c, const struct field_spec *spec)
{
    int start, stop, increment = 1;
    if (cursor_at(c, '*')) {
        c->p++;
        start = spec->min;
        stop = spec->max;
    } else {
        if (parse_value(&start, c, spec) < 0)
            return ERR_INVALID;
        stop = start;
        if (cursor_at(c, '-')) {
            c->p++;
            if (parse_value(&stop, c, spec) < 0)
                return ERR_INVALID;
        } else if (cursor_at(c, '/')) {
            stop = spec->max;
        }
    }
    if (cursor_at(c, '/')) {
        c->p++;
        if (parse_number(&increment, c) < 0 || increment < 1 || increment > spec->increment_max)
            return ERR_INVALID;
    }
    if (c->p != c->end)
        return ERR_INVALID;
    int span = spec->max - spec->min + 1;
    int count = stop - start;
    if (count < 0) {
        if (!spec->wraps)
            return ERR_INVALID;
        count += span;
    }
    for (int i = 0; i <= count; i += increment) {
        int value = start + i;
        if (value > spec->max)
            value -= span;
        bitset_add(set, value - spec->min);
    }
    return 0;
}

/*
 * A comma-separated list of items. Like Quartz, whose tokenizer AWS uses,
 * empty items are skipped ("0/5," is "0/5"), but one item is required.
 */
static int parse_list(struct bitset *set, struct cursor field, const struct field_spec *spec)
{
    memset(set, 0, sizeof(*set));
    bool any = false;
    for (;;) {
        const char *comma = memchr(field.p, ',', (size_t)(field.end - field.p));
        struct cursor item = {field.p, comma ? comma : field.end};
        if (item.p != item.end) {
            if (parse_item(set, &item, spec) < 0)
                return ERR_INVALID;
            any = true;
        }
        if (!comma)
            return any ? 0 : ERR_INVALID;
        field.p = comma + 1;
    }
}

static bool field_is(struct cursor field, const char *text)
{
    size_t len = strlen(text);
    if ((size_t)(field.end - field.p) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (upper(field.p[i]) != text[i])
            return false;
    return true;
}

/*
 * The field without leading and trailing commas, which the list parser
 * would skip as empty items: "?," is "?" and "6L," is "6L".
 */
static struct cursor field_trim_commas(struct cursor field)
{
    while (field.p < field.end && *field.p == ',')
        field.p++;
    while (field.end > field.p && field.end[-1] == ',')
        field.end--;
    return field;
}

static bool field_ends_with(struct cursor field, char ch)
{
    return field.end > field.p && upper(field.end[-1]) == ch;
}

/* Day-of-month when day-of-week is `?`: a list, `L`, `L-n`, `LW` or `nW`. */
static int parse_mdays(struct schedule *s, struct cursor list)
{
    struct cursor field = field_trim_commas(list);
    if (field_is(field, "L")) {
        s->day_rule = DAY_MONTH_LAST;
        s->day_offset = 0;
        return 0;
    }
    if (field_is(field, "LW")) {
        s->day_rule = DAY_MONTH_LASTWEEKDAY;
        return 0;
    }
    if (field.end - field.p >= 2 && upper(field.p[0]) == 'L' && field.p[1] == '-') {
        struct cursor rest = {field.p + 2, field.end};
        int offset;
        if (parse_number(&offset, &rest) < 0 || rest.p != rest.end || offset < 1 || offset > 30)
            return ERR_INVALID;
        s->day_rule = DAY_MONTH_LAST;
        s->day_offset = offset;
        return 0;
    }
    if (field_ends_with(field, 'W')) {
        struct cursor rest = {field.p, field.end - 1};
        int day;
        if (parse_number(&day, &rest) < 0 || rest.p != rest.end || day < 1 || day > 31)
            return ERR_INVALID;
        s->day_rule = DAY_MONTH_NEAREST;
        s->day_value = day;
        return 0;
    }
    s->day_rule = DAY_MONTH_SET;
    return parse_list(&s->mdays, list, &mdays_spec);
}

/* Day-of-week when day-of-month is `?`: a list, `L`, `nL` or `n#k`. */
static int parse_wdays(struct schedule *s, struct cursor list)
{
    struct cursor field = field_trim_commas(list);
    if (field_is(field, "L")) {
        /* Quartz: `L` alone is the last day of the week, Saturday. */
        s->day_rule = DAY_WEEK_SET;
        memset(&s->wdays, 0, sizeof(s->wdays));
        bitset_add(&s->wdays, 6);
        return 0;
    }
    const char *hash = memchr(field.p, '#', (size_t)(field.end - field.p));
    if (hash) {
        struct cursor day = {field.p, hash};
        struct cursor nth = {hash + 1, field.end};
        int weekday, n;
        if (parse_value(&weekday, &day, &wdays_spec) < 0 || day.p != day.end ||
            parse_number(&n, &nth) < 0 || nth.p != nth.end || n < 1 || n > 5)
            return ERR_INVALID;
        s->day_rule = DAY_WEEK_NTH;
        s->day_value = weekday;
        s->day_nth = n;
        return 0;
    }
    if (field_ends_with(field, 'L')) {
        struct cursor day = {field.p, field.end - 1};
        int weekday;
        if (parse_value(&weekday, &day, &wdays_spec) < 0 || day.p != day.end)
            return ERR_INVALID;
        s->day_rule = DAY_WEEK_LAST;
        s->day_value = weekday;
        return 0;
    }
    s->day_rule = DAY_WEEK_SET;
    return parse_list(&s->wdays, list, &wdays_spec);
}

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Splits `body` at runs of blanks; returns the number of fields (max + 1 if more). */
static size_t split_fields(struct cursor *fields, size_t max, struct cursor body)
{
    size_t count = 0;
    const char *p = body.p;
    while (p < body.end) {
        while (p < body.end && is_blank(*p))
            p++;
        if (p == body.end)
            break;
        const char *start = p;
        while (p < body.end && !is_blank(*p))
            p++;
        if (count == max)
            return max + 1;
        fields[count].p = start;
        fields[count].end = p;
        count++;
    }
    return count;
}

static int parse_cron(struct schedule *s, struct cursor body)
{
    struct cursor f[6];
    if (split_fields(f, 6, body) != 6)
        return err_set(ERR_INVALID, "cron expression needs 6 fields");
    if (parse_list(&s->minutes, f[0], &minutes_spec) < 0)
        return err_set(ERR_INVALID, "cron expression: bad 'minutes' field");
    if (parse_list(&s->hours, f[1], &hours_spec) < 0)
        return err_set(ERR_INVALID, "cron expression: bad 'hours' field");
    if (parse_list(&s->months, f[3], &months_spec) < 0)
        return err_set(ERR_INVALID, "cron expression: bad 'month' field");
    if (parse_list(&s->years, f[5], &years_spec) < 0)
        return err_set(ERR_INVALID, "cron expression: bad 'year' field");
    bool mday_any = field_is(field_trim_commas(f[2]), "?");
    bool wday_any = field_is(field_trim_commas(f[4]), "?");
    if (mday_any == wday_any)
        return err_set(ERR_INVALID,
                       "cron expression: exactly one of 'day-of-month' and 'day-of-week' "
                       "must be '?'");
    if (wday_any && parse_mdays(s, f[2]) < 0)
        return err_set(ERR_INVALID, "cron expression: bad 'day-of-month' field");
    if (mday_any && parse_wdays(s, f[4]) < 0)
        return err_set(ERR_INVALID, "cron expression: bad 'day-of-week' field");
    return 0;
}

static int parse_rate(struct schedule *s, struct cursor body)
{
    /* Exactly "value unit" with one space: no other blanks anywhere. */
    const char *space = memchr(body.p, ' ', (size_t)(body.end - body.p));
    if (!space)
        return err_set(ERR_INVALID, "rate expression must be 'rate(value unit)'");
    struct cursor f[2] = {{body.p, space}, {space + 1, body.end}};
    if (f[0].p == f[0].end || f[1].p == f[1].end)
        return err_set(ERR_INVALID, "rate expression must be 'rate(value unit)'");
    int64_t value = 0;
    for (const char *p = f[0].p; p < f[0].end; p++) {
        if (!is_digit(*p))
            return err_set(ERR_INVALID, "rate expression: value must be a positive integer");
        value = value * 10 + (*p - '0');
        if (value > RATE_VALUE_MAX)
            return err_set(ERR_INVALID, "rate expression: value is too large");
    }
    if (value < 1)
        return err_set(ERR_INVALID, "rate expression: value must be a positive integer");
    static const struct {
        const char *singular, *plural;
        int64_t ms;
    } units[] = {
        {"minute", "minutes", MS_PER_MINUTE},
        {"hour", "hours", 60 * MS_PER_MINUTE},
        {"day", "days", MINUTES_PER_DAY * MS_PER_MINUTE},
    };
    size_t len = (size_t)(f[1].end - f[1].p);
    for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
        const char *want = value == 1 ? units[i].singular : units[i].plural;
        if (strlen(want) == len && !memcmp(want, f[1].p, len)) {
            s->period_ms = value * units[i].ms;
            return 0;
        }
    }
    return err_set(ERR_INVALID, "rate expression: unit must be minute(s), hour(s) or day(s), "
                                "singular for 1 and plural otherwise");
}

static bool has_wrapper(const char *text, size_t len, const char *prefix, struct cursor *body)
{
    size_t plen = strlen(prefix);
    if (len < plen + 1 || memcmp(text, prefix, plen) || text[len - 1] != ')')
        return false;
    body->p = text + plen;
    body->end = text + len - 1;
    return true;
}

int schedule_parse(struct schedule **out, struct buf *message_out, const char *text)
{
    struct schedule *s = xcalloc(1, sizeof(*s));
    struct cursor body;
    size_t len = text ? strlen(text) : 0;
    int rc;
    if (text && has_wrapper(text, len, "rate(", &body)) {
        s->kind = SCHEDULE_RATE;
        rc = parse_rate(s, body);
    } else if (text && has_wrapper(text, len, "cron(", &body)) {
        s->kind = SCHEDULE_CRON;
        rc = parse_cron(s, body);
    } else {
        rc = err_set(ERR_INVALID, "schedule expression must be 'rate(...)' or 'cron(...)'");
    }
    if (rc < 0) {
        free(s);
        if (message_out) {
            buf_reset(message_out);
            buf_adds(message_out, SCHEDULE_INVALID_MESSAGE);
        }
        return ERR_INVALID;
    }
    *out = s;
    return 0;
}

void schedule_free(struct schedule *s)
{
    free(s);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

/* Days from 1970-01-01 to the first of `month` in `year` (year >= 1970). */
static int64_t days_before(int year, int month)
{
    int64_t days = 0;
    /* Whole years: 365 each plus the leap days between 1970 and year. */
    int y = year - 1;
    days += (int64_t)(year - YEAR_MIN) * 365;
    days += (y / 4 - y / 100 + y / 400) - (1969 / 4 - 1969 / 100 + 1969 / 400);
    for (int m = 1; m < month; m++)
        days += days_in_month(year, m);
    return days;
}

/* SUN = 1 .. SAT = 7; 1970-01-01 was a Thursday. */
static int weekday_of(int64_t days)
{
    return (int)((days % 7 + 7 + 4) % 7) + 1;
}

static bool day_matches(const struct schedule *s, int64_t first_day, int day, int month_days)
{
    int weekday = weekday_of(first_day + day - 1);
    switch (s->day_rule) {
    case DAY_MONTH_SET:
        return bitset_has(&s->mdays, day - 1);
    case DAY_MONTH_LAST:
        return day == month_days - s->day_offset;
    case DAY_MONTH_LASTWEEKDAY: {
        int last = weekday_of(first_day + month_days - 1);
        int target = last == 7 ? month_days - 1 : last == 1 ? month_days - 2 : month_days;
        return day == target;
    }
    case DAY_MONTH_NEAREST: {
        int want = s->day_value;
        if (want > month_days)
            return false;
        int at = weekday_of(first_day + want - 1);
        /* Saturday moves back to Friday, Sunday on to Monday, never out of the month. */
        if (at == 7)
            want = want == 1 ? 3 : want - 1;
        else if (at == 1)
            want = want == month_days ? want - 2 : want + 1;
        return day == want;
    }
    case DAY_WEEK_SET:
        return bitset_has(&s->wdays, weekday - 1);
    case DAY_WEEK_LAST:
        return weekday == s->day_value && day + 7 > month_days;
    case DAY_WEEK_NTH:
        return weekday == s->day_value && (day - 1) / 7 + 1 == s->day_nth;
    }
    return false;
}

/* The smallest set bit >= from and < limit, or -1. */
static int next_bit(const struct bitset *b, int from, int limit)
{
    for (int i = from; i < limit; i++)
        if (bitset_has(b, i))
            return i;
    return -1;
}

static int64_t cron_next(const struct schedule *s, int64_t after_ms)
{
    int64_t minute = floor_div(after_ms, MS_PER_MINUTE) + 1;
    if (minute < 0)
        minute = 0;
    int64_t day0 = minute / MINUTES_PER_DAY;
    int hour0 = (int)(minute % MINUTES_PER_DAY / 60);
    int minute0 = (int)(minute % 60);

    if (day0 >= days_before(YEAR_MAX + 1, 1))
        return -1;
    /* The civil date of day0, from a year estimate that is never too late. */
    int year0 = (int)(YEAR_MIN + day0 / 366);
    while (days_before(year0 + 1, 1) <= day0)
        year0++;
    int month0 = 1;
    while (month0 < 12 && days_before(year0, month0 + 1) <= day0)
        month0++;
    int mday0 = (int)(day0 - days_before(year0, month0)) + 1;

    for (int year = year0; year <= YEAR_MAX; year++) {
        if (!bitset_has(&s->years, year - YEAR_MIN))
            continue;
        for (int month = year == year0 ? month0 : 1; month <= 12; month++) {
            if (!bitset_has(&s->months, month - 1))
                continue;
            bool first_month = year == year0 && month == month0;
            int64_t first_day = days_before(year, month);
            int month_days = days_in_month(year, month);
            for (int day = first_month ? mday0 : 1; day <= month_days; day++) {
                if (!day_matches(s, first_day, day, month_days))
                    continue;
                bool today = first_month && day == mday0;
                for (int hour = next_bit(&s->hours, today ? hour0 : 0, 24); hour >= 0;
                     hour = next_bit(&s->hours, hour + 1, 24)) {
                    int from = today && hour == hour0 ? minute0 : 0;
                    int min = next_bit(&s->minutes, from, 60);
                    if (min >= 0) {
                        int64_t at = (first_day + day - 1) * MINUTES_PER_DAY + hour * 60 + min;
                        return at * MS_PER_MINUTE;
                    }
                }
            }
        }
    }
    return -1;
}

static int64_t rate_next(const struct schedule *s, int64_t origin_ms, int64_t after_ms)
{
    int64_t periods = 1;
    if (after_ms >= origin_ms) {
        int64_t elapsed;
        if (__builtin_sub_overflow(after_ms, origin_ms, &elapsed))
            return -1;
        periods = elapsed / s->period_ms + 1;
    }
    int64_t offset, at;
    if (__builtin_mul_overflow(periods, s->period_ms, &offset) ||
        __builtin_add_overflow(origin_ms, offset, &at))
        return -1;
    return at;
}

int64_t schedule_next(const struct schedule *s, int64_t origin_ms, int64_t after_ms)
{
    if (s->kind == SCHEDULE_RATE)
        return rate_next(s, origin_ms, after_ms);
    return cron_next(s, after_ms);
}
