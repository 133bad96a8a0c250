#include "base/common.h"
#include "aws/validate.h"

#include <math.h>
#include <pthread.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/jsonw.h"
#include "base/regex.h"

/* ---- compiled patterns, shared by all threads ------------------------------ */

/*
 * Keyed by the pattern text rather than the shape: models built at run time
 * (tests, tools) free their shapes, and the same text recurs across shapes.
 * Entries live until validate_cache_clear(), so a regex handed out stays
 * valid after the lock is dropped.
 */
#define PATTERN_CACHE_MAX 4096

struct pattern_entry {
    char *pattern; /* NULL: free slot */
    uint64_t hash;
    struct regex *re; /* NULL when the pattern does not compile */
    char *error;      /* why it does not */
};

static pthread_rwlock_t cache_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct pattern_entry *cache_slots;
static size_t cache_cap, cache_count;

static uint64_t hash_text(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

/* Under the lock. */
static struct pattern_entry *cache_find(const char *pattern, uint64_t hash)
{
    if (!cache_cap)
        return NULL;
    for (size_t i = hash & (cache_cap - 1);; i = (i + 1) & (cache_cap - 1)) {
        struct pattern_entry *e = &cache_slots[i];
        if (!e->pattern)
            return NULL;
        if (e->hash == hash && !strcmp(e->pattern, pattern))
            return e;
    }
}

/* Under the write lock; takes `entry`'s strings and regex. */
static void cache_insert(const struct pattern_entry *entry)
{
    if ((cache_count + 1) * 2 > cache_cap) {
        size_t cap = cache_cap ? cache_cap * 2 : 64;
        struct pattern_entry *slots = xcalloc(cap, sizeof(*slots));
        for (size_t i = 0; i < cache_cap; i++) {
            if (!cache_slots[i].pattern)
                continue;
            size_t j = cache_slots[i].hash & (cap - 1);
            while (slots[j].pattern)
                j = (j + 1) & (cap - 1);
            slots[j] = cache_slots[i];
        }
        free(cache_slots);
        cache_slots = slots;
        cache_cap = cap;
    }
    size_t j = entry->hash & (cache_cap - 1);
    while (cache_slots[j].pattern)
        j = (j + 1) & (cache_cap - 1);
    cache_slots[j] = *entry;
    cache_count++;
}

/*
 * The compiled form of `pattern`. *owned_out is set when the cache is full
 * and the caller must free the regex.
 */
static int pattern_get(const struct regex **re_out, struct regex **owned_out, const char *pattern)
{
    uint64_t hash = hash_text(pattern);
    *owned_out = NULL;

    pthread_rwlock_rdlock(&cache_lock);
    const struct pattern_entry *found = cache_find(pattern, hash);
    struct pattern_entry hit = found ? *found : (struct pattern_entry){0};
    pthread_rwlock_unlock(&cache_lock);
    if (hit.pattern) {
        if (!hit.re)
            return err_set(ERR_INVALID, "pattern '%s': %s", pattern, hit.error);
        *re_out = hit.re;
        return 0;
    }

    /* compiled outside the lock; if another thread got there first, its copy wins */
    struct pattern_entry entry = {.hash = hash};
    if (regex_compile(&entry.re, pattern, strlen(pattern)) < 0)
        entry.error = xstrdup(err_msg());
    pthread_rwlock_wrlock(&cache_lock);
    found = cache_find(pattern, hash);
    if (found) {
        regex_free(entry.re);
        free(entry.error);
        entry = *found;
    } else if (cache_count < PATTERN_CACHE_MAX) {
        entry.pattern = xstrdup(pattern);
        cache_insert(&entry);
    } else {
        *owned_out = entry.re;
    }
    pthread_rwlock_unlock(&cache_lock);
    if (!entry.re) {
        int rc = err_set(ERR_INVALID, "pattern '%s': %s", pattern,
                         entry.error ? entry.error : "does not compile");
        if (!entry.pattern)
            free(entry.error);
        return rc;
    }
    *re_out = entry.re;
    return 0;
}

int validate_pattern(bool *matched_out, const char *pattern, const char *text, size_t len)
{
    const struct regex *re = NULL;
    struct regex *owned;
    int rc = pattern_get(&re, &owned, pattern);
    if (rc < 0)
        return rc;
    rc = regex_match(matched_out, re, text, len);
    regex_free(owned);
    return rc;
}

void validate_cache_clear(void)
{
    pthread_rwlock_wrlock(&cache_lock);
    for (size_t i = 0; i < cache_cap; i++) {
        free(cache_slots[i].pattern);
        free(cache_slots[i].error);
        regex_free(cache_slots[i].re);
    }
    free(cache_slots);
    cache_slots = NULL;
    cache_cap = cache_count = 0;
    pthread_rwlock_unlock(&cache_lock);
}

/* ---- value text, as AWS's Java service would print it ---------------------- */

/*
 * Double.toString(): decimal between 1e-3 and 1e7 with at least one digit
 * after the point, "computerized scientific" (1.0E10) otherwise, with the
 * fewest digits that read back to the same double.
 */
static void java_double(struct buf *out, double d)
{
    if (isnan(d)) {
        buf_adds(out, "NaN");
        return;
    }
    if (isinf(d)) {
        buf_adds(out, d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (d == 0) {
        buf_adds(out, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    char text[40];
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(text, sizeof(text), "%.*e", precision - 1, d);
        if (strtod(text, NULL) == d)
            break;
    }
    /* text is [-]d[.ddd]e[+-]xx */
    char digits[24];
    size_t ndigits = 0;
    const char *p = text;
    bool negative = *p == '-';
    if (negative)
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[ndigits++] = *p;
    while (ndigits > 1 && digits[ndigits - 1] == '0')
        ndigits--;
    long exponent = strtol(p + 1, NULL, 10);
    if (negative)
        buf_addch(out, '-');
    if (exponent >= -3 && exponent < 7) {
        if (exponent < 0) {
            buf_adds(out, "0.");
            for (long i = -1; i > exponent; i--)
                buf_addch(out, '0');
            buf_add(out, digits, ndigits);
            return;
        }
        size_t whole = (size_t)exponent + 1;
        for (size_t i = 0; i < whole; i++)
            buf_addch(out, i < ndigits ? digits[i] : '0');
        buf_addch(out, '.');
        if (ndigits > whole)
            buf_add(out, digits + whole, ndigits - whole);
        else
            buf_addch(out, '0');
        return;
    }
    buf_addch(out, digits[0]);
    buf_addch(out, '.');
    if (ndigits > 1)
        buf_add(out, digits + 1, ndigits - 1);
    else
        buf_addch(out, '0');
    buf_addf(out, "E%ld", exponent);
}

static bool is_float_type(uint8_t type)
{
    return type == SHAPE_FLOAT || type == SHAPE_DOUBLE || type == SHAPE_BIGDECIMAL;
}

static bool is_integer_type(uint8_t type)
{
    return type == SHAPE_INTEGER || type == SHAPE_LONG || type == SHAPE_BIGINTEGER;
}

/* A model bound: "5" for integer shapes and lengths, "5.0" for floating ones. */
static void add_bound(struct buf *out, double bound, bool floating)
{
    if (floating)
        java_double(out, bound);
    else if (fabs(bound) < 9e18)
        buf_addf(out, "%lld", (long long)bound);
    else
        buf_addf(out, "%.0f", bound);
}

/* Lower camel case: "RoleName" -> "roleName", as AWS names members in messages. */
static void add_member_name(struct buf *out, const char *name)
{
    if (*name >= 'A' && *name <= 'Z') {
        buf_addch(out, *name + ('a' - 'A'));
        name++;
    }
    buf_adds(out, name);
}

/*
 * Java's toString of the decoded value: lists "[a, b]", maps and
 * structures "{k=v, ...}", blobs as the ByteBuffer AWS shows. Sets
 * *sensitive when any part of the value has a sensitive shape.
 */
/*
 * How much of a value a message quotes. A request may carry megabytes in one
 * member; the message names the member and quotes the start of the value.
 * Rendering stops once this much is written, so the cost is bounded too.
 */
#define VALUE_ECHO_MAX 1024

static void render_value(struct buf *out, bool *sensitive, const struct model_shape *shape,
                         json_t *value, unsigned depth)
{
    if (shape->flags & SHAPE_F_SENSITIVE)
        *sensitive = true;
    if (out->len > VALUE_ECHO_MAX)
        return;
    if (!value || json_is_null(value)) {
        buf_adds(out, "null");
        return;
    }
    if (depth > VALIDATE_DEPTH_MAX) {
        buf_adds(out, "...");
        return;
    }
    const char *sep = "";
    switch (shape->type) {
    case SHAPE_LIST:
        if (!json_is_array(value))
            break;
        buf_addch(out, '[');
        for (size_t i = 0; i < json_array_size(value) && out->len <= VALUE_ECHO_MAX;
             i++, sep = ", ") {
            buf_adds(out, sep);
            render_value(out, sensitive, shape->member->shape, json_array_get(value, i), depth + 1);
        }
        buf_addch(out, ']');
        return;
    case SHAPE_MAP: {
        if (!json_is_object(value))
            break;
        const char *key;
        json_t *item;
        if (shape->key->shape->flags & SHAPE_F_SENSITIVE)
            *sensitive = true;
        buf_addch(out, '{');
        json_object_foreach(value, key, item)
        {
            buf_adds(out, sep);
            buf_adds(out, key);
            buf_addch(out, '=');
            render_value(out, sensitive, shape->value->shape, item, depth + 1);
            sep = ", ";
        }
        buf_addch(out, '}');
        return;
    }
    case SHAPE_STRUCTURE:
        if (!json_is_object(value))
            break;
        buf_addch(out, '{');
        for (uint32_t i = 0; i < shape->member_count; i++) {
            const struct model_member *m = &shape->members[i];
            json_t *item = json_object_get(value, m->name);
            if (!item || json_is_null(item))
                continue;
            buf_adds(out, sep);
            add_member_name(out, m->name);
            buf_addch(out, '=');
            render_value(out, sensitive, m->shape, item, depth + 1);
            sep = ", ";
        }
        buf_addch(out, '}');
        return;
    case SHAPE_BLOB:
        if (!json_is_string(value))
            break;
        buf_addf(out, "java.nio.HeapByteBuffer[pos=0 lim=%zu cap=%zu]", json_string_length(value),
                 json_string_length(value));
        return;
    default:
        break;
    }
    /* the service holds numbers in the shape's Java type: 2 for a double prints "2.0" */
    if (is_float_type(shape->type) && json_is_number(value))
        java_double(out, json_number_value(value));
    else if (is_integer_type(shape->type) && json_is_real(value) &&
             fabs(json_real_value(value)) < 9e18)
        buf_addf(out, "%lld", (long long)json_real_value(value));
    else if (json_is_string(value))
        buf_add(out, json_string_value(value),
                json_string_length(value) < VALUE_ECHO_MAX + 1 ? json_string_length(value)
                                                               : VALUE_ECHO_MAX + 1);
    else if (json_is_integer(value))
        buf_addf(out, "%" PRId64, (int64_t)json_integer_value(value));
    else if (json_is_real(value))
        java_double(out, json_real_value(value));
    else if (json_is_boolean(value))
        buf_adds(out, json_is_true(value) ? "true" : "false");
    else
        buf_adds(out, "...");
}

/* ---- the checks -------------------------------------------------------------- */

/* The constraints of one shape, in the order AWS lists them. */
enum constraint {
    C_LENGTH_MAX = 1u << 0,
    C_LENGTH_MIN = 1u << 1,
    C_VALUE_MAX = 1u << 2,
    C_VALUE_MIN = 1u << 3,
    C_PATTERN = 1u << 4,
    C_ENUM = 1u << 5,
};

static void describe_constraint(struct buf *out, const struct model_shape *shape, unsigned which)
{
    switch (which) {
    case C_LENGTH_MAX:
        buf_adds(out, "Member must have length less than or equal to ");
        add_bound(out, shape->max, false);
        break;
    case C_LENGTH_MIN:
        buf_adds(out, "Member must have length greater than or equal to ");
        add_bound(out, shape->min, false);
        break;
    case C_VALUE_MAX:
        buf_adds(out, "Member must have value less than or equal to ");
        add_bound(out, shape->max, is_float_type(shape->type));
        break;
    case C_VALUE_MIN:
        buf_adds(out, "Member must have value greater than or equal to ");
        add_bound(out, shape->min, is_float_type(shape->type));
        break;
    case C_PATTERN:
        buf_adds(out, "Member must satisfy regular expression pattern: ");
        buf_adds(out, shape->pattern);
        break;
    case C_ENUM:
        buf_adds(out, "Member must satisfy enum value set: [");
        for (uint32_t i = 0; i < shape->enum_count; i++) {
            if (i)
                buf_adds(out, ", ");
            buf_adds(out, shape->enum_values[i]);
        }
        buf_addch(out, ']');
        break;
    }
}

/* Every constraint `shape` has, for "Member must satisfy constraint: [...]". */
static unsigned shape_constraints(const struct model_shape *shape)
{
    unsigned all = 0;
    bool length = shape->type == SHAPE_STRING || shape->type == SHAPE_BLOB ||
                  shape->type == SHAPE_LIST || shape->type == SHAPE_MAP;
    bool range = is_integer_type(shape->type) || is_float_type(shape->type);
    if (length || range) {
        if (shape->flags & SHAPE_F_HAS_MAX)
            all |= length ? C_LENGTH_MAX : C_VALUE_MAX;
        if (shape->flags & SHAPE_F_HAS_MIN)
            all |= length ? C_LENGTH_MIN : C_VALUE_MIN;
    }
    if (shape->type == SHAPE_STRING && shape->pattern)
        all |= C_PATTERN;
    if (shape->type == SHAPE_STRING && shape->enum_count)
        all |= C_ENUM;
    return all;
}

static size_t utf8_count(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t count = 0;
    for (size_t i = 0; i < len; count++) {
        size_t n = p[i] < 0x80 ? 1 : utf8_sequence_len(p + i, len - i);
        i += n ? n : 1;
    }
    return count;
}

static unsigned check_length(const struct model_shape *shape, size_t length)
{
    unsigned failed = 0;
    if ((shape->flags & SHAPE_F_HAS_MAX) && (double)length > shape->max)
        failed |= C_LENGTH_MAX;
    if ((shape->flags & SHAPE_F_HAS_MIN) && (double)length < shape->min)
        failed |= C_LENGTH_MIN;
    return failed;
}

/* The constraints a string (a value, or a map key) breaks. */
static unsigned check_string(const struct model_shape *shape, const char *s, size_t len)
{
    unsigned failed = check_length(shape, utf8_count(s, len));
    if (shape->pattern) {
        bool matched = false;
        /* a pattern that cannot be decided (ERR_LIMIT) counts as unmet */
        int rc = validate_pattern(&matched, shape->pattern, s, len);
        if ((rc == 0 && !matched) || rc == ERR_LIMIT)
            failed |= C_PATTERN;
    }
    if (shape->enum_count) {
        bool found = false;
        for (uint32_t i = 0; i < shape->enum_count && !found; i++)
            found = strlen(shape->enum_values[i]) == len && !memcmp(shape->enum_values[i], s, len);
        if (!found)
            failed |= C_ENUM;
    }
    return failed;
}

static bool number_value(double *out, json_t *value)
{
    if (json_is_number(value)) {
        *out = json_number_value(value);
        return true;
    }
    /* floating values may travel as these strings */
    const char *s = json_string_value(value);
    if (!s)
        return false;
    if (!strcmp(s, "Infinity"))
        *out = INFINITY;
    else if (!strcmp(s, "-Infinity"))
        *out = -INFINITY;
    else if (!strcmp(s, "NaN"))
        *out = NAN;
    else
        return false;
    return true;
}

/* The constraints a non-container value breaks; 0 for a value of the wrong type. */
static unsigned check_scalar(const struct model_shape *shape, json_t *value)
{
    switch (shape->type) {
    case SHAPE_STRING:
        if (!json_is_string(value))
            return 0;
        return check_string(shape, json_string_value(value), json_string_length(value));
    case SHAPE_BLOB:
        if (!json_is_string(value))
            return 0;
        return check_length(shape, json_string_length(value));
    default:
        break;
    }
    double v;
    if (!(is_integer_type(shape->type) || is_float_type(shape->type)) || !number_value(&v, value))
        return 0;
    /* NaN compares false both ways and passes, as the primitive comparisons do */
    unsigned failed = 0;
    if (json_is_integer(value)) {
        json_int_t i = json_integer_value(value);
        if ((shape->flags & SHAPE_F_HAS_MAX) && shape->max < 9.2e18 && i > (json_int_t)shape->max)
            failed |= C_VALUE_MAX;
        if ((shape->flags & SHAPE_F_HAS_MIN) && shape->min > -9.2e18 && i < (json_int_t)shape->min)
            failed |= C_VALUE_MIN;
        return failed;
    }
    if ((shape->flags & SHAPE_F_HAS_MAX) && v > shape->max)
        failed |= C_VALUE_MAX;
    if ((shape->flags & SHAPE_F_HAS_MIN) && v < shape->min)
        failed |= C_VALUE_MIN;
    return failed;
}

static bool is_container(const struct model_shape *shape)
{
    return shape->type == SHAPE_STRUCTURE || shape->type == SHAPE_LIST || shape->type == SHAPE_MAP;
}

struct validator {
    struct buf errors; /* "; "-separated */
    unsigned count;
    struct buf path;
    bool too_deep;
    struct buf deep_path; /* where the nesting limit was hit */
};

static bool validator_done(const struct validator *v)
{
    return v->count >= VALIDATE_ERRORS_MAX || v->too_deep;
}

/*
 * Starts "Value '<value>' at '<path>' failed to satisfy constraint: " and
 * leaves the constraint text to the caller. `value` NULL: "Value null".
 */
static struct buf *error_begin(struct validator *v, const struct model_shape *shape, json_t *value)
{
    if (v->count++)
        buf_adds(&v->errors, "; ");
    if (!value || json_is_null(value)) {
        buf_adds(&v->errors, "Value null");
    } else {
        struct buf text = BUF_INIT;
        bool sensitive = false;
        render_value(&text, &sensitive, shape, value, 0);
        if (sensitive) {
            buf_adds(&v->errors, "Value");
        } else {
            buf_adds(&v->errors, "Value '");
            if (text.len > VALUE_ECHO_MAX) {
                /* Cut at a character boundary. */
                size_t cut = VALUE_ECHO_MAX;
                while (cut > 0 && ((unsigned char)text.data[cut] & 0xc0) == 0x80)
                    cut--;
                buf_add(&v->errors, text.data, cut);
                buf_adds(&v->errors, "...");
            } else {
                buf_add(&v->errors, text.data, text.len);
            }
            buf_addch(&v->errors, '\'');
        }
        buf_release(&text);
    }
    buf_addf(&v->errors, " at '%s' failed to satisfy constraint: ", v->path.data);
    return &v->errors;
}

/* One error per broken constraint of a value checked on its own. */
static void report_each(struct validator *v, const struct model_shape *shape, json_t *value,
                        unsigned failed)
{
    for (unsigned c = 1; c <= C_ENUM && !validator_done(v); c <<= 1)
        if (failed & c)
            describe_constraint(error_begin(v, shape, value), shape, c);
}

/* One error for a collection whose elements break `element`'s constraints. */
static void report_elements(struct validator *v, const struct model_shape *shape, json_t *value,
                            const char *what, const struct model_shape *element)
{
    if (validator_done(v))
        return;
    struct buf *out = error_begin(v, shape, value);
    buf_adds(out, what);
    buf_adds(out, " must satisfy constraint: [");
    unsigned all = shape_constraints(element);
    const char *sep = "";
    for (unsigned c = 1; c <= C_ENUM; c <<= 1) {
        if (!(all & c))
            continue;
        buf_adds(out, sep);
        describe_constraint(out, element, c);
        sep = ", ";
    }
    buf_addch(out, ']');
}

static size_t path_push(struct validator *v)
{
    size_t mark = v->path.len;
    if (mark)
        buf_addch(&v->path, '.');
    return mark;
}

static void validate_value(struct validator *v, const struct model_shape *shape, json_t *value,
                           unsigned depth);

static void validate_structure(struct validator *v, const struct model_shape *shape, json_t *value,
                               unsigned depth)
{
    if (!json_is_object(value))
        return;
    for (uint32_t i = 0; i < shape->member_count && !validator_done(v); i++) {
        const struct model_member *m = &shape->members[i];
        json_t *item = json_object_get(value, m->name);
        size_t mark = path_push(v);
        add_member_name(&v->path, m->name);
        if (!item || json_is_null(item)) {
            if (m->flags & MEMBER_F_REQUIRED)
                buf_adds(error_begin(v, m->shape, NULL), "Member must not be null");
        } else {
            validate_value(v, m->shape, item, depth + 1);
        }
        buf_setlen(&v->path, mark);
    }
}

static void validate_list(struct validator *v, const struct model_shape *shape, json_t *value,
                          unsigned depth)
{
    if (!json_is_array(value))
        return;
    report_each(v, shape, value, check_length(shape, json_array_size(value)));
    const struct model_shape *element = shape->member->shape;
    if (!is_container(element)) {
        for (size_t i = 0; i < json_array_size(value); i++) {
            json_t *item = json_array_get(value, i);
            if (!json_is_null(item) && check_scalar(element, item)) {
                report_elements(v, shape, value, "Member", element);
                break;
            }
        }
        return;
    }
    for (size_t i = 0; i < json_array_size(value) && !validator_done(v); i++) {
        json_t *item = json_array_get(value, i);
        if (json_is_null(item))
            continue;
        size_t mark = path_push(v);
        buf_addf(&v->path, "%zu.member", i + 1);
        validate_value(v, element, item, depth + 1);
        buf_setlen(&v->path, mark);
    }
}

static void validate_map(struct validator *v, const struct model_shape *shape, json_t *value,
                         unsigned depth)
{
    if (!json_is_object(value))
        return;
    report_each(v, shape, value, check_length(shape, json_object_size(value)));
    const struct model_shape *key_shape = shape->key->shape;
    const struct model_shape *element = shape->value->shape;
    const char *key;
    json_t *item;
    json_object_foreach(value, key, item)
    {
        if (check_string(key_shape, key, strlen(key))) {
            report_elements(v, shape, value, "Map keys", key_shape);
            break;
        }
    }
    if (!is_container(element)) {
        json_object_foreach(value, key, item)
        {
            if (!json_is_null(item) && check_scalar(element, item)) {
                report_elements(v, shape, value, "Map value", element);
                break;
            }
        }
        return;
    }
    json_object_foreach(value, key, item)
    {
        if (validator_done(v))
            break;
        if (json_is_null(item))
            continue;
        size_t mark = path_push(v);
        buf_addf(&v->path, "%s.member", key);
        validate_value(v, element, item, depth + 1);
        buf_setlen(&v->path, mark);
    }
}

static void validate_value(struct validator *v, const struct model_shape *shape, json_t *value,
                           unsigned depth)
{
    if (validator_done(v))
        return;
    if (depth > VALIDATE_DEPTH_MAX) {
        v->too_deep = true;
        buf_add(&v->deep_path, v->path.data, v->path.len);
        return;
    }
    switch (shape->type) {
    case SHAPE_STRUCTURE:
        validate_structure(v, shape, value, depth);
        break;
    case SHAPE_LIST:
        validate_list(v, shape, value, depth);
        break;
    case SHAPE_MAP:
        validate_map(v, shape, value, depth);
        break;
    default:
        report_each(v, shape, value, check_scalar(shape, value));
        break;
    }
}

int validate_params(struct buf *message_out, const struct model_shape *input, json_t *params)
{
    if (!input)
        return 0;
    json_t *empty = NULL;
    if (!params)
        params = empty = json_object();
    struct validator v = {.errors = BUF_INIT, .path = BUF_INIT, .deep_path = BUF_INIT};
    validate_value(&v, input, params, 0);
    json_decref(empty);

    int rc = 0;
    struct buf message = BUF_INIT;
    if (v.too_deep) {
        buf_addf(&message, "request nests deeper than %d levels at '%s'", VALIDATE_DEPTH_MAX,
                 v.deep_path.data);
    } else if (v.count) {
        buf_addf(&message, "%u validation error%s detected: ", v.count, v.count > 1 ? "s" : "");
        buf_add(&message, v.errors.data, v.errors.len);
    }
    if (message.len) {
        rc = err_set(ERR_INVALID, "%s", message.data);
        if (message_out)
            buf_add(message_out, message.data, message.len);
    }
    buf_release(&message);
    buf_release(&v.errors);
    buf_release(&v.path);
    buf_release(&v.deep_path);
    return rc;
}
