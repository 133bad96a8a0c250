#include "base/common.h"
#include "services/events/pattern.h"
#include "base/alloc.h"
#include "base/err.h"

#include <arpa/inet.h>
#include <math.h>

/*
 * A pattern compiles to a tree of nodes (one per pattern object). A node
 * holds fields (a name and either a child node or a leaf of matchers) and
 * $or groups (alternative nodes matched against the same event object).
 * Matching walks the event alongside the tree: no parsing and no
 * allocation per match. Semantics follow AWS's Ruler: an event array
 * matches when any element does (and fields of one pattern object must be
 * satisfied by the same array element); objects are not leaf values;
 * event keys containing dots match nested pattern paths.
 */

#define PATTERN_MAX_OR_COMBINATIONS 1000
#define PATTERN_KEY_MAX             8192
/* Numbers compare as millionths within AWS's range, as AWS does. */
#define NUM_LIMIT 5000000000.0
#define NUM_SCALE 1000000.0

enum op {
    OP_EXACT_STR,
    OP_EXACT_NUM,
    OP_NULL,
    OP_TRUE,
    OP_FALSE,
    OP_PREFIX,
    OP_PREFIX_IC,
    OP_SUFFIX,
    OP_SUFFIX_IC,
    OP_EQ_IC,
    OP_WILDCARD,
    OP_NUMERIC,
    OP_CIDR,
    OP_EXISTS,
    OP_ABSENT,
    OP_AB_STR,
    OP_AB_NUM,
    OP_AB_PREFIX,
    OP_AB_SUFFIX,
    OP_AB_IC,
    OP_AB_WILDCARD,
};

struct str {
    char *s;
    size_t len;
    /*
     * Wildcards only: `s` holds the literal bytes (escapes removed) of the
     * nseg segments between the '*'s, seg[i] their lengths, and kmp[] each
     * segment's Knuth-Morris-Pratt failure table, so matching is linear.
     */
    size_t *seg;
    size_t nseg;
    size_t *kmp;
};

struct matcher {
    enum op op;
    struct str *strs; /* lowercased for the ignore-case forms */
    size_t nstrs;
    int64_t *nums; /* millionths, OP_AB_NUM */
    size_t nnums;
    double num; /* OP_EXACT_NUM */
    bool num_scaled;
    int64_t num_micro;
    bool has_lo, lo_open, has_hi, hi_open;
    int64_t lo, hi;
    int ip_len; /* 4 or 16 for OP_CIDR and IP-shaped OP_EXACT_STR */
    uint8_t ip_lo[16], ip_hi[16];
};

struct leaf {
    struct matcher *m;
    size_t n;
    bool has_absent;
};

struct node;

struct field {
    char *name;
    struct node *child;
    struct leaf *leaf;
};

struct or_group {
    struct node **alts;
    size_t n;
};

struct node {
    struct field *fields;
    size_t nfields;
    struct or_group *ors;
    size_t nors;
};

struct event_pattern {
    struct node *root;
};

/* ---- compile ---- */

struct compiler {
    struct buf *msg;
    bool failed;
};

static int fail(struct compiler *c, const char *fmt, ...) PRINTF_LIKE(2, 3);

static int fail(struct compiler *c, const char *fmt, ...)
{
    if (!c->failed && c->msg) {
        buf_reset(c->msg);
        buf_adds(c->msg, "Event pattern is not valid. Reason: ");
        va_list ap;
        va_start(ap, fmt);
        buf_vaddf(c->msg, fmt, ap);
        va_end(ap);
    }
    c->failed = true;
    return ERR_INVALID;
}

static void node_free(struct node *n);

static void matcher_release(struct matcher *m)
{
    for (size_t i = 0; i < m->nstrs; i++) {
        free(m->strs[i].s);
        free(m->strs[i].seg);
        free(m->strs[i].kmp);
    }
    free(m->strs);
    free(m->nums);
}

static void leaf_free(struct leaf *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        matcher_release(&l->m[i]);
    free(l->m);
    free(l);
}

static void node_free(struct node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nfields; i++) {
        free(n->fields[i].name);
        node_free(n->fields[i].child);
        leaf_free(n->fields[i].leaf);
    }
    free(n->fields);
    for (size_t i = 0; i < n->nors; i++) {
        for (size_t j = 0; j < n->ors[i].n; j++)
            node_free(n->ors[i].alts[j]);
        free(n->ors[i].alts);
    }
    free(n->ors);
    free(n);
}

static void lower_ascii(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            s[i] = (char)(s[i] - 'A' + 'a');
}

static void add_str(struct matcher *m, const char *s, size_t len, bool lower)
{
    m->strs = xrealloc(m->strs, (m->nstrs + 1) * sizeof(*m->strs));
    char *copy = xmemdup(s, len + 1);
    if (lower)
        lower_ascii(copy, len);
    m->strs[m->nstrs] = (struct str){.s = copy, .len = len};
    m->nstrs++;
}

/*
 * Adds wildcard `s` (checked by check_wildcard()) as its literal segments,
 * each with its KMP failure table.
 */
static void add_wildcard(struct matcher *m, const char *s, size_t len)
{
    add_str(m, s, len, false);
    struct str *w = &m->strs[m->nstrs - 1];
    size_t stars = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '*')
            stars++;
    }
    w->seg = xcalloc(stars + 1, sizeof(*w->seg));
    w->nseg = stars + 1;
    size_t out = 0, seg = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '*') {
            seg++;
            continue;
        }
        if (s[i] == '\\' && i + 1 < len)
            i++;
        w->s[out++] = s[i];
        w->seg[seg]++;
    }
    w->len = out;
    w->s[out] = '\0';
    w->kmp = xcalloc(out ? out : 1, sizeof(*w->kmp));
    for (size_t i = 0, off = 0; i < w->nseg; off += w->seg[i], i++) {
        const char *p = w->s + off;
        size_t *f = w->kmp + off;
        for (size_t j = 1, k = 0; j < w->seg[i]; j++) {
            while (k > 0 && p[j] != p[k])
                k = f[k - 1];
            if (p[j] == p[k])
                k++;
            f[j] = k;
        }
    }
}

/* Whether `d` is within AWS's numeric range; sets its millionths. */
static bool to_micro(double d, int64_t *out)
{
    if (!isfinite(d) || d < -NUM_LIMIT || d > NUM_LIMIT)
        return false;
    *out = (int64_t)llround(d * NUM_SCALE);
    return true;
}

static int number_in_range(struct compiler *c, json_t *v, int64_t *out)
{
    if (!to_micro(json_number_value(v), out))
        return fail(c, "Value must be between -5.0E9 and 5.0E9, inclusive");
    return 0;
}

/* Parses a literal IPv4 or IPv6 address; returns its length or 0. */
static int parse_ip(const char *s, size_t len, uint8_t out[16])
{
    char tmp[64];
    if (len == 0 || len >= sizeof(tmp) || memchr(s, '\0', len))
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (inet_pton(AF_INET, tmp, out) == 1)
        return 4;
    if (strchr(tmp, ':') && inet_pton(AF_INET6, tmp, out) == 1)
        return 16;
    return 0;
}

static int compile_cidr(struct compiler *c, struct matcher *m, const char *text, size_t len)
{
    const char *slash = memchr(text, '/', len);
    if (!slash || memchr(slash + 1, '/', len - (size_t)(slash + 1 - text)) || slash == text ||
        (size_t)(slash + 1 - text) == len)
        return fail(c, "Malformed CIDR, one '/' required");
    const char *bits_s = slash + 1;
    size_t bits_len = len - (size_t)(bits_s - text);
    long bits = 0;
    size_t i = 0;
    bool neg = false;
    if (bits_s[0] == '-' || bits_s[0] == '+') {
        neg = bits_s[0] == '-';
        i = 1;
    }
    if (i == bits_len || bits_len - i > 9)
        return fail(c, "Malformed CIDR, mask bits must be an integer");
    for (; i < bits_len; i++) {
        if (bits_s[i] < '0' || bits_s[i] > '9')
            return fail(c, "Malformed CIDR, mask bits must be an integer");
        bits = bits * 10 + (bits_s[i] - '0');
    }
    if (neg && bits > 0)
        return fail(c, "Malformed CIDR, mask bits must not be negative");
    uint8_t ip[16];
    size_t ip_text_len = (size_t)(slash - text);
    int n = parse_ip(text, ip_text_len, ip);
    if (!n)
        return fail(c, "Nonstandard IP address: %.*s", (int)ip_text_len, text);
    if (n == 4 && bits > 31)
        return fail(c, "IPv4 mask bits must be < 32");
    if (n == 16 && bits > 127)
        return fail(c, "IPv6 mask bits must be < 128");
    m->op = OP_CIDR;
    m->ip_len = n;
    memcpy(m->ip_lo, ip, (size_t)n);
    /* AWS keeps the given address as the bottom and sets the host bits at the top. */
    long host = n * 8 - bits;
    for (int b = n - 1; b >= 0; b--, host -= 8) {
        if (host >= 8)
            m->ip_hi[b] = 0xff;
        else if (host <= 0)
            m->ip_hi[b] = ip[b];
        else
            m->ip_hi[b] = (uint8_t)(ip[b] | ((1u << host) - 1));
    }
    return 0;
}

/* AWS's wildcard rules: no "**"; backslash escapes only '*' and '\'. */
static int check_wildcard(struct compiler *c, const char *s, size_t len)
{
    /* AWS counts positions from its quoted form, so they start at 1. */
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '*') {
            if (i + 1 < len && s[i + 1] == '*')
                return fail(c, "Consecutive wildcard characters at pos %zu", i + 1);
        } else if (s[i] == '\\') {
            if (i + 1 < len && (s[i + 1] == '*' || s[i + 1] == '\\')) {
                i++;
                continue;
            }
            return fail(c, "Invalid escape character at pos %zu", i + 1);
        }
    }
    return 0;
}

static int compile_numeric(struct compiler *c, struct matcher *m, json_t *arr)
{
    m->op = OP_NUMERIC;
    size_t n = json_array_size(arr);
    json_t *op = json_array_get(arr, 0);
    if (!json_is_string(op))
        return fail(c, "Invalid member in numeric match: %s",
                    n == 0 ? "]"
                           : (json_is_array(op)    ? "["
                              : json_is_object(op) ? "{"
                                                   : "value"));
    const char *o = json_string_value(op);
    json_t *val = json_array_get(arr, 1);
    bool is_num = json_is_number(val);
    if (!strcmp(o, "=")) {
        if (!is_num)
            return fail(c, "Value of equals must be numeric");
        if (n > 2)
            return fail(c, "Too many elements in numeric expression");
        if (number_in_range(c, val, &m->lo) < 0)
            return ERR_INVALID;
        m->hi = m->lo;
        m->has_lo = m->has_hi = true;
        return 0;
    }
    bool lower = !strcmp(o, ">=") || !strcmp(o, ">");
    bool upper = !strcmp(o, "<=") || !strcmp(o, "<");
    if (!lower && !upper)
        return fail(c, "Unrecognized numeric range operator: %s", o);
    if (!is_num)
        return fail(c, "Value of %s must be numeric", o);
    int64_t v;
    if (number_in_range(c, val, &v) < 0)
        return ERR_INVALID;
    if (upper) {
        if (n > 2)
            return fail(c, "Too many elements in numeric expression");
        m->has_hi = true;
        m->hi = v;
        m->hi_open = o[1] == '\0';
        return 0;
    }
    m->has_lo = true;
    m->lo = v;
    m->lo_open = o[1] == '\0';
    if (n == 2)
        return 0;
    json_t *op2 = json_array_get(arr, 2);
    if (!json_is_string(op2))
        return fail(c, "Bad value in numeric range: %s",
                    json_is_number(op2)  ? "number"
                    : json_is_array(op2) ? "["
                                         : "value");
    const char *o2 = json_string_value(op2);
    if (strcmp(o2, "<") && strcmp(o2, "<="))
        return fail(c, "Bad numeric range operator: %s", o2);
    json_t *val2 = json_array_get(arr, 3);
    if (!json_is_number(val2))
        return fail(c, "Value of %s must be numeric", o2);
    if (n > 4)
        return fail(c, "Too many terms in numeric range expression");
    if (number_in_range(c, val2, &m->hi) < 0)
        return ERR_INVALID;
    m->has_hi = true;
    m->hi_open = o2[1] == '\0';
    return 0;
}

static const char *ab_type_error(enum op op)
{
    if (op == OP_AB_IC)
        return "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
               "supported.";
    if (op == OP_AB_WILDCARD)
        return "wildcard match pattern must be a string";
    return "prefix/suffix match pattern must be a string";
}

static int ab_set_value(struct compiler *c, struct matcher *m, json_t *v)
{
    if (!json_is_string(v))
        return fail(c, "%s", ab_type_error(m->op));
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if ((m->op == OP_AB_PREFIX || m->op == OP_AB_SUFFIX) && len == 0)
        return fail(c, "Null prefix/suffix not allowed");
    if (m->op == OP_AB_WILDCARD) {
        if (check_wildcard(c, s, len) < 0)
            return ERR_INVALID;
        add_wildcard(m, s, len);
        return 0;
    }
    add_str(m, s, len, m->op == OP_AB_IC);
    return 0;
}

static int compile_anything_but(struct compiler *c, struct matcher *m, json_t *v)
{
    m->op = OP_AB_STR;
    if (json_is_object(v)) {
        const char *key = NULL;
        json_t *inner = NULL;
        void *it = json_object_iter(v);
        if (!it)
            return fail(c, "Anything-But expression name not found");
        key = json_object_iter_key(it);
        inner = json_object_iter_value(it);
        if (!strcmp(key, "equals-ignore-case"))
            m->op = OP_AB_IC;
        else if (!strcmp(key, "prefix"))
            m->op = OP_AB_PREFIX;
        else if (!strcmp(key, "suffix"))
            m->op = OP_AB_SUFFIX;
        else if (!strcmp(key, "wildcard"))
            m->op = OP_AB_WILDCARD;
        else
            return fail(c, "Unsupported anything-but pattern: %s", key);
        if (!json_is_array(inner) && !json_is_string(inner) && !json_is_number(inner))
            return fail(c, "Value of anything-but must be an array or single string/number value.");
        if (json_object_size(v) > 1)
            return fail(c, "Too many elements in numeric expression");
        if (json_is_array(inner)) {
            size_t i;
            json_t *e;
            json_array_foreach(inner, i, e)
            {
                if (ab_set_value(c, m, e) < 0)
                    return ERR_INVALID;
            }
            return 0;
        }
        return ab_set_value(c, m, inner);
    }
    if (json_is_string(v)) {
        add_str(m, json_string_value(v), json_string_length(v), false);
        return 0;
    }
    if (json_is_number(v)) {
        m->op = OP_AB_NUM;
        m->nums = xmalloc(sizeof(*m->nums));
        m->nnums = 1;
        return number_in_range(c, v, &m->nums[0]);
    }
    if (!json_is_array(v))
        return fail(c, "Value of anything-but must be an array or single string/number value.");
    bool has_num = false, has_str = false;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        if (json_is_string(e)) {
            has_str = true;
            add_str(m, json_string_value(e), json_string_length(e), false);
        } else if (json_is_number(e)) {
            has_num = true;
            m->nums = xrealloc(m->nums, (m->nnums + 1) * sizeof(*m->nums));
            if (number_in_range(c, e, &m->nums[m->nnums]) < 0)
                return ERR_INVALID;
            m->nnums++;
        } else {
            return fail(c, "Inside anything but list, start|null|boolean is not supported.");
        }
    }
    if (has_num == has_str)
        return fail(c, "Inside anything but list, either all values are number or string, mixed "
                       "type is not supported");
    if (has_num)
        m->op = OP_AB_NUM;
    return 0;
}

/* {"prefix": {"equals-ignore-case": "x"}} and the suffix form. */
static int compile_affix_ic(struct compiler *c, struct matcher *m, const char *what, json_t *v)
{
    void *it = json_object_iter(v);
    if (!it)
        return fail(c, "%s expression name not found", what[0] == 'p' ? "Prefix" : "Suffix");
    const char *key = json_object_iter_key(it);
    if (strcmp(key, "equals-ignore-case"))
        return fail(c, "Unsupported %s pattern: %s", what, key);
    json_t *s = json_object_iter_value(it);
    if (!json_is_string(s))
        return fail(c, "equals-ignore-case match pattern must be a string");
    if (json_object_size(v) > 1)
        return fail(c, "Only one key allowed in match expression");
    m->op = what[0] == 'p' ? OP_PREFIX_IC : OP_SUFFIX_IC;
    add_str(m, json_string_value(s), json_string_length(s), true);
    return 0;
}

static int compile_expression(struct compiler *c, struct matcher *m, json_t *obj)
{
    void *it = json_object_iter(obj);
    if (!it)
        return fail(c, "Match expression name not found");
    const char *type = json_object_iter_key(it);
    json_t *v = json_object_iter_value(it);
    int rc = 0;
    bool one_key_checked = false;

    if (!strcmp(type, "exactly")) {
        if (!json_is_string(v))
            return fail(c, "exact match pattern must be a string");
        m->op = OP_EXACT_STR;
        add_str(m, json_string_value(v), json_string_length(v), false);
    } else if (!strcmp(type, "prefix") || !strcmp(type, "suffix")) {
        if (json_is_object(v))
            return compile_affix_ic(c, m, type, v);
        if (!json_is_string(v))
            return fail(c, "%s match pattern must be a string", type);
        m->op = type[0] == 'p' ? OP_PREFIX : OP_SUFFIX;
        add_str(m, json_string_value(v), json_string_length(v), false);
    } else if (!strcmp(type, "numeric")) {
        if (!json_is_array(v))
            return fail(c, "Value of numeric must be an array.");
        rc = compile_numeric(c, m, v);
        if (rc == 0 && json_object_size(obj) > 1)
            return fail(c, "Too many elements in numeric expression");
        one_key_checked = true;
    } else if (!strcmp(type, "anything-but")) {
        rc = compile_anything_but(c, m, v);
        if (rc == 0 && json_object_size(obj) > 1)
            return fail(c, "Too many elements in numeric expression");
        one_key_checked = true;
    } else if (!strcmp(type, "exists")) {
        if (!json_is_boolean(v))
            return fail(c, "exists match pattern must be either true or false.");
        m->op = json_is_true(v) ? OP_EXISTS : OP_ABSENT;
    } else if (!strcmp(type, "cidr")) {
        if (!json_is_string(v))
            return fail(c, "prefix match pattern must be a string");
        rc = compile_cidr(c, m, json_string_value(v), json_string_length(v));
    } else if (!strcmp(type, "equals-ignore-case")) {
        if (!json_is_string(v))
            return fail(c, "equals-ignore-case match pattern must be a string");
        m->op = OP_EQ_IC;
        add_str(m, json_string_value(v), json_string_length(v), true);
    } else if (!strcmp(type, "wildcard")) {
        if (!json_is_string(v))
            return fail(c, "wildcard match pattern must be a string");
        rc = check_wildcard(c, json_string_value(v), json_string_length(v));
        if (rc < 0)
            return rc;
        m->op = OP_WILDCARD;
        add_wildcard(m, json_string_value(v), json_string_length(v));
    } else {
        return fail(c, "Unrecognized match type %s", type);
    }
    if (rc == 0 && !one_key_checked && json_object_size(obj) > 1)
        return fail(c, "Only one key allowed in match expression");
    return rc;
}

static int compile_value(struct compiler *c, struct matcher *m, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return compile_expression(c, m, v);
    case JSON_STRING:
        m->op = OP_EXACT_STR;
        add_str(m, json_string_value(v), json_string_length(v), false);
        m->ip_len = parse_ip(json_string_value(v), json_string_length(v), m->ip_lo);
        return 0;
    case JSON_INTEGER:
    case JSON_REAL:
        m->op = OP_EXACT_NUM;
        m->num = json_number_value(v);
        m->num_scaled = to_micro(m->num, &m->num_micro);
        return 0;
    case JSON_NULL:
        m->op = OP_NULL;
        return 0;
    case JSON_TRUE:
        m->op = OP_TRUE;
        return 0;
    case JSON_FALSE:
        m->op = OP_FALSE;
        return 0;
    default:
        return fail(c, "Match value must be String, number, true, false, or null");
    }
}

static int compile_leaf(struct compiler *c, struct leaf **out, json_t *arr)
{
    size_t n = json_array_size(arr);
    if (n == 0)
        return fail(c, "Empty arrays are not allowed");
    struct leaf *l = xcalloc(1, sizeof(*l));
    l->m = xcalloc(n, sizeof(*l->m));
    *out = l;
    for (size_t i = 0; i < n; i++) {
        l->n = i + 1;
        if (compile_value(c, &l->m[i], json_array_get(arr, i)) < 0)
            return ERR_INVALID;
        if (l->m[i].op == OP_ABSENT)
            l->has_absent = true;
    }
    return 0;
}

static int compile_node(struct compiler *c, struct node **out, json_t *obj, bool in_or,
                        uint64_t *combos);

static int compile_or(struct compiler *c, struct node *n, json_t *arr, uint64_t *combos)
{
    if (!json_is_array(arr))
        return fail(c, "It must be an Array followed with $or.");
    struct or_group *g = &n->ors[n->nors++];
    size_t count = json_array_size(arr);
    g->alts = xcalloc(count ? count : 1, sizeof(*g->alts));
    uint64_t sum = 0;
    for (size_t i = 0; i < count; i++) {
        json_t *alt = json_array_get(arr, i);
        if (!json_is_object(alt))
            return fail(c, "Only JSON object is allowed in array of $or relationship.");
        uint64_t sub = 1;
        g->n = i + 1;
        if (compile_node(c, &g->alts[i], alt, true, &sub) < 0)
            return ERR_INVALID;
        sum += sub;
    }
    if (count < 2)
        return fail(c, "There must have at least 2 Objects in $or relationship.");
    *combos *= sum;
    if (*combos > PATTERN_MAX_OR_COMBINATIONS)
        *combos = PATTERN_MAX_OR_COMBINATIONS + 1;
    return 0;
}

static int compile_node(struct compiler *c, struct node **out, json_t *obj, bool in_or,
                        uint64_t *combos)
{
    struct node *n = xcalloc(1, sizeof(*n));
    *out = n;
    size_t size = json_object_size(obj);
    if (size == 0)
        return fail(c, "Empty objects are not allowed");
    n->fields = xcalloc(size, sizeof(*n->fields));
    n->ors = xcalloc(size, sizeof(*n->ors));
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (!strcmp(key, "$or")) {
            if (compile_or(c, n, v, combos) < 0)
                return ERR_INVALID;
            continue;
        }
        struct field *f = &n->fields[n->nfields++];
        f->name = xstrdup(key);
        if (json_is_object(v)) {
            if (compile_node(c, &f->child, v, in_or, combos) < 0)
                return ERR_INVALID;
        } else if (json_is_array(v)) {
            if (compile_leaf(c, &f->leaf, v) < 0)
                return ERR_INVALID;
        } else {
            return fail(c, "\"%s\" must be an object or an array", key);
        }
    }
    return 0;
}

int event_pattern_compile(struct event_pattern **out, struct buf *message_out, const char *text,
                          size_t len)
{
    struct compiler c = {.msg = message_out};
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_DECODE_INT_AS_REAL | JSON_DECODE_ANY, &jerr);
    if (!root)
        return fail(&c, "%s", jerr.text);
    struct event_pattern *p = xcalloc(1, sizeof(*p));
    int rc;
    if (!json_is_object(root)) {
        rc = fail(&c, "Filter is not an object");
    } else {
        uint64_t combos = 1;
        rc = compile_node(&c, &p->root, root, false, &combos);
        if (rc == 0 && combos > PATTERN_MAX_OR_COMBINATIONS)
            rc = fail(&c, "The total number of $or combinations exceeds %d",
                      PATTERN_MAX_OR_COMBINATIONS);
    }
    json_decref(root);
    if (rc < 0) {
        event_pattern_free(p);
        return ERR_INVALID;
    }
    *out = p;
    return 0;
}

void event_pattern_free(struct event_pattern *pattern)
{
    if (!pattern)
        return;
    node_free(pattern->root);
    free(pattern);
}

/* ---- match ---- */

static bool eq_ic(const char *a, const char *lower, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char ch = a[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch != lower[i])
            return false;
    }
    return true;
}

static _Thread_local size_t wildcard_steps;

size_t event_pattern_wildcard_steps(void)
{
    return wildcard_steps;
}

/* Where segment `p` (failure table `f`) first occurs in t[start, end), or SIZE_MAX. */
static size_t kmp_find(const char *t, size_t start, size_t end, const char *p, const size_t *f,
                       size_t m)
{
    if (m == 0)
        return start;
    size_t k = 0;
    for (size_t i = start; i < end; i++) {
        while (k > 0 && t[i] != p[k]) {
            k = f[k - 1];
            wildcard_steps++;
        }
        wildcard_steps++;
        if (t[i] == p[k] && ++k == m)
            return i + 1 - m;
    }
    return SIZE_MAX;
}

/*
 * '*' matches any run. The first segment is anchored at the start, the last
 * at the end, and the middle ones are found leftmost-first in order between
 * them, which is correct for '*'-only globs: O(len(s) + len(pattern)).
 */
static bool wildcard_match(const struct str *w, const char *s, size_t slen)
{
    if (w->nseg == 1) {
        wildcard_steps += w->len;
        return slen == w->len && !memcmp(s, w->s, slen);
    }
    size_t first = w->seg[0], last = w->seg[w->nseg - 1];
    if (slen < first + last)
        return false;
    wildcard_steps += first + last;
    if (memcmp(s, w->s, first) || memcmp(s + slen - last, w->s + w->len - last, last))
        return false;
    size_t pos = first, end = slen - last, off = first;
    for (size_t i = 1; i + 1 < w->nseg; i++) {
        size_t at = kmp_find(s, pos, end, w->s + off, w->kmp + off, w->seg[i]);
        if (at == SIZE_MAX)
            return false;
        pos = at + w->seg[i];
        off += w->seg[i];
    }
    return true;
}

static bool in_range(const struct matcher *m, int64_t v)
{
    if (m->has_lo && (v < m->lo || (m->lo_open && v == m->lo)))
        return false;
    if (m->has_hi && (v > m->hi || (m->hi_open && v == m->hi)))
        return false;
    return true;
}

static bool ip_between(const struct matcher *m, const uint8_t ip[16])
{
    return memcmp(ip, m->ip_lo, (size_t)m->ip_len) >= 0 &&
           memcmp(ip, m->ip_hi, (size_t)m->ip_len) <= 0;
}

static bool str_in_set(const struct matcher *m, const char *s, size_t len)
{
    for (size_t i = 0; i < m->nstrs; i++)
        if (m->strs[i].len == len && !memcmp(m->strs[i].s, s, len))
            return true;
    return false;
}

static bool matcher_match(const struct matcher *m, const json_t *v)
{
    const char *s = json_string_value(v);
    size_t len = s ? json_string_length(v) : 0;
    bool is_num = json_is_number(v);
    int64_t micro = 0;
    bool scaled = is_num && to_micro(json_number_value(v), &micro);

    switch (m->op) {
    case OP_EXACT_STR:
        if (!s)
            return false;
        if (m->strs[0].len == len && !memcmp(m->strs[0].s, s, len))
            return true;
        if (m->ip_len) {
            uint8_t ip[16];
            return parse_ip(s, len, ip) == m->ip_len && !memcmp(ip, m->ip_lo, (size_t)m->ip_len);
        }
        return false;
    case OP_EXACT_NUM:
        if (!is_num)
            return false;
        if (m->num_scaled && scaled)
            return micro == m->num_micro;
        return json_number_value(v) == m->num;
    case OP_NULL:
        return json_is_null(v);
    case OP_TRUE:
        return json_is_true(v);
    case OP_FALSE:
        return json_is_false(v);
    case OP_PREFIX:
        return s && len >= m->strs[0].len && !memcmp(s, m->strs[0].s, m->strs[0].len);
    case OP_PREFIX_IC:
        return s && len >= m->strs[0].len && eq_ic(s, m->strs[0].s, m->strs[0].len);
    case OP_SUFFIX:
        return s && len >= m->strs[0].len &&
               !memcmp(s + len - m->strs[0].len, m->strs[0].s, m->strs[0].len);
    case OP_SUFFIX_IC:
        return s && len >= m->strs[0].len &&
               eq_ic(s + len - m->strs[0].len, m->strs[0].s, m->strs[0].len);
    case OP_EQ_IC:
        return s && len == m->strs[0].len && eq_ic(s, m->strs[0].s, len);
    case OP_WILDCARD:
        return s && wildcard_match(&m->strs[0], s, len);
    case OP_NUMERIC:
        return scaled && in_range(m, micro);
    case OP_CIDR: {
        uint8_t ip[16];
        return s && parse_ip(s, len, ip) == m->ip_len && ip_between(m, ip);
    }
    case OP_EXISTS:
        return true;
    case OP_ABSENT:
        return false;
    case OP_AB_STR:
        return !s || !str_in_set(m, s, len);
    case OP_AB_NUM:
        if (!is_num)
            return true;
        for (size_t i = 0; i < m->nnums; i++)
            if (scaled && m->nums[i] == micro)
                return false;
        return true;
    case OP_AB_PREFIX:
    case OP_AB_SUFFIX:
    case OP_AB_IC:
    case OP_AB_WILDCARD:
        if (!s)
            return true;
        for (size_t i = 0; i < m->nstrs; i++) {
            const struct str *x = &m->strs[i];
            bool hit;
            if (m->op == OP_AB_PREFIX)
                hit = len >= x->len && !memcmp(s, x->s, x->len);
            else if (m->op == OP_AB_SUFFIX)
                hit = len >= x->len && !memcmp(s + len - x->len, x->s, x->len);
            else if (m->op == OP_AB_IC)
                hit = len == x->len && eq_ic(s, x->s, len);
            else
                hit = wildcard_match(x, s, len);
            if (hit)
                return false;
        }
        return true;
    }
    return false;
}

/* Matches the scalars under `v` (arrays flattened, objects skipped); counts them. */
static bool leaf_values(const struct leaf *l, const json_t *v, size_t *count)
{
    if (json_is_array(v)) {
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e)
        {
            if (leaf_values(l, e, count))
                return true;
        }
        return false;
    }
    if (json_is_object(v))
        return false;
    (*count)++;
    for (size_t i = 0; i < l->n; i++)
        if (matcher_match(&l->m[i], v))
            return true;
    return false;
}

static bool leaf_match(const struct leaf *l, const json_t *v)
{
    size_t count = 0;
    if (v && leaf_values(l, v, &count))
        return true;
    return count == 0 && l->has_absent;
}

static bool node_match(const struct node *n, const json_t *v, char *kb, size_t start);

/*
 * The fields of `n` against object `obj`. kb[start, base) is a dotted prefix
 * its keys carry ("state." for an event key "state.status"); callers' bytes
 * before `start` stay untouched.
 */
static bool node_fields_match(const struct node *n, const json_t *obj, char *kb, size_t start,
                              size_t base)
{
    bool ok = true;
    for (size_t i = 0; ok && i < n->nfields; i++) {
        const struct field *f = &n->fields[i];
        const json_t *v = NULL;
        size_t name_len = strlen(f->name);
        bool fits = base + name_len + 1 < PATTERN_KEY_MAX;
        if (obj && base == start) {
            v = json_object_get(obj, f->name);
        } else if (obj && fits) {
            memcpy(kb + base, f->name, name_len + 1);
            v = json_object_get(obj, kb + start);
        }
        if (f->leaf) {
            ok = leaf_match(f->leaf, v);
        } else if (v) {
            ok = node_match(f->child, v, kb, base);
        } else if (obj && fits) {
            /* Not found: an event key "name.child" may hold the nested path. */
            memcpy(kb + base, f->name, name_len);
            kb[base + name_len] = '.';
            ok = node_fields_match(f->child, obj, kb, start, base + name_len + 1);
        } else {
            ok = node_fields_match(f->child, NULL, kb, base, base);
        }
    }
    for (size_t i = 0; ok && i < n->nors; i++) {
        bool any = false;
        for (size_t j = 0; !any && j < n->ors[i].n; j++)
            any = node_fields_match(n->ors[i].alts[j], obj, kb, start, base);
        ok = any;
    }
    return ok;
}

static bool node_match(const struct node *n, const json_t *v, char *kb, size_t start)
{
    if (json_is_array(v)) {
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e)
        {
            if (node_match(n, e, kb, start))
                return true;
        }
        /* An empty array holds no fields: match as if absent. */
        return json_array_size(v) == 0 && node_fields_match(n, NULL, kb, start, start);
    }
    return node_fields_match(n, json_is_object(v) ? v : NULL, kb, start, start);
}

bool event_pattern_match(const struct event_pattern *pattern, const json_t *event)
{
    if (!pattern || !json_is_object(event))
        return false;
    char kb[PATTERN_KEY_MAX];
    return node_match(pattern->root, event, kb, 0);
}
