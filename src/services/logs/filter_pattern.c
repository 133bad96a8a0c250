#include "base/common.h"
#include "services/logs/filter_pattern.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/regex.h"

#include <ctype.h>
#include <math.h>

/*
 * The filter pattern language: a parser (one cursor over the text, one
 * function per construct) and a matcher per kind of pattern. See the
 * header for the syntax.
 */

/* Fields of a space-delimited event considered at most. */
#define DELIMITED_FIELDS_MAX 256

enum pattern_kind {
    PATTERN_ALL,
    PATTERN_TERMS,
    PATTERN_REGEX,
    PATTERN_JSON,
    PATTERN_DELIMITED,
};

enum term_mode {
    TERM_REQUIRED,
    TERM_OPTIONAL, /* ?term */
    TERM_EXCLUDED, /* -term */
};

struct term {
    char *text;
    size_t len;
    enum term_mode mode;
};

/* A value to compare with: text (with * wildcards), a number, or a regex. */
enum value_kind {
    VALUE_TEXT,
    VALUE_NUMBER,
    VALUE_REGEX,
};

struct value {
    enum value_kind kind;
    char *text; /* VALUE_TEXT, and the literal of VALUE_NUMBER */
    size_t len;
    bool wildcard; /* text holds '*' */
    double number;
    struct regex *regex;
};

enum compare_op {
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_GT,
    OP_LE,
    OP_GE,
    OP_IS_TRUE,
    OP_IS_FALSE,
    OP_IS_NULL,
    OP_NOT_EXISTS,
};

enum step_kind {
    STEP_KEY,
    STEP_INDEX,
    STEP_ANY, /* [*]: any element */
};

struct step {
    enum step_kind kind;
    char *key;
    size_t index;
};

/* A JSON condition tree: && and || nodes over comparisons. */
enum node_kind {
    NODE_AND,
    NODE_OR,
    NODE_COMPARE,
};

struct node {
    enum node_kind kind;
    struct node *left, *right;
    /* NODE_COMPARE */
    struct step *steps;
    size_t step_count;
    enum compare_op op;
    struct value value;
};

/* One slot of a space-delimited pattern: "...", or a name with conditions. */
struct field {
    bool ellipsis;
    char *name;
    /* Conditions on the field, as a tree of NODE_AND / NODE_OR / NODE_COMPARE
     * (whose steps are unused); NULL when any value will do. */
    struct node *cond;
};

struct filter_pattern {
    enum pattern_kind kind;
    struct term *terms;
    size_t term_count;
    bool has_optional;
    struct regex *regex; /* PATTERN_REGEX */
    struct node *json;   /* PATTERN_JSON */
    struct field *fields;
    size_t field_count;
    bool has_ellipsis;
};

/* ---- freeing -------------------------------------------------------------------- */

static void value_release(struct value *v)
{
    free(v->text);
    regex_free(v->regex);
    *v = (struct value){0};
}

static void node_free(struct node *n)
{
    if (!n)
        return;
    node_free(n->left);
    node_free(n->right);
    for (size_t i = 0; i < n->step_count; i++)
        free(n->steps[i].key);
    free(n->steps);
    value_release(&n->value);
    free(n);
}

void filter_pattern_free(struct filter_pattern *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->term_count; i++)
        free(p->terms[i].text);
    free(p->terms);
    regex_free(p->regex);
    node_free(p->json);
    for (size_t i = 0; i < p->field_count; i++) {
        free(p->fields[i].name);
        node_free(p->fields[i].cond);
    }
    free(p->fields);
    free(p);
}

/* ---- the cursor ----------------------------------------------------------------- */

struct parser {
    const char *text;
    size_t len;
    size_t pos;
    int depth;
    int regexes;
    struct filter_pattern *p;
};

static int parse_error(const struct parser *ps, const char *what)
{
    return err_set(ERR_INVALID, "%s at offset %zu of the filter pattern", what, ps->pos);
}

static bool at_end(const struct parser *ps)
{
    return ps->pos >= ps->len;
}

static char peek(const struct parser *ps)
{
    return at_end(ps) ? '\0' : ps->text[ps->pos];
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void skip_space(struct parser *ps)
{
    while (!at_end(ps) && is_space(ps->text[ps->pos]))
        ps->pos++;
}

static bool accept(struct parser *ps, const char *token)
{
    size_t n = strlen(token);
    if (ps->len - ps->pos >= n && memcmp(ps->text + ps->pos, token, n) == 0) {
        ps->pos += n;
        return true;
    }
    return false;
}

/* A keyword: the word and then something that cannot continue a word. */
static bool accept_word(struct parser *ps, const char *word)
{
    size_t save = ps->pos;
    if (!accept(ps, word))
        return false;
    char c = peek(ps);
    if (isalnum((unsigned char)c) || c == '_') {
        ps->pos = save;
        return false;
    }
    return true;
}

/* "..." with \" and \\ escapes; the cursor is on the opening quote. */
static int parse_quoted(struct parser *ps, struct buf *out)
{
    ps->pos++;
    while (!at_end(ps)) {
        char c = ps->text[ps->pos++];
        if (c == '"')
            return 0;
        if (c == '\\' && !at_end(ps) && (peek(ps) == '"' || peek(ps) == '\\'))
            c = ps->text[ps->pos++];
        buf_addch(out, c);
    }
    return parse_error(ps, "unterminated quoted string");
}

/*
 * %regex%: AWS admits alphanumerics, the symbols : _ # = @ / ; , - and
 * the operators ^ $ ? [ ] { } | \ * + . (no parentheses, no multi-byte
 * characters); slipway also admits spaces. The cursor is on the first %.
 * The regex is found anywhere in the text matched against it.
 */
static int parse_regex(struct parser *ps, struct regex **out)
{
    if (++ps->regexes > FILTER_REGEX_MAX)
        return err_set(ERR_LIMIT, "a filter pattern holds at most %d regular expressions",
                       FILTER_REGEX_MAX);
    size_t start = ++ps->pos;
    while (!at_end(ps) && peek(ps) != '%') {
        char c = peek(ps);
        if (c == '\\' && ps->pos + 1 < ps->len && ps->text[ps->pos + 1] != '%') {
            ps->pos += 2;
            continue;
        }
        if (!isalnum((unsigned char)c) && !strchr(":_#=@/;,- ^$?[]{}|\\*+.", c))
            return parse_error(ps, "a character a filter regex does not allow");
        ps->pos++;
    }
    if (at_end(ps))
        return parse_error(ps, "unterminated regular expression");
    size_t len = ps->pos - start;
    ps->pos++;
    if (len == 0)
        return parse_error(ps, "empty regular expression");
    struct buf wrapped = BUF_INIT;
    buf_adds(&wrapped, "(?s).*(?:");
    buf_add(&wrapped, ps->text + start, len);
    buf_adds(&wrapped, ").*");
    int rc = regex_compile(out, wrapped.data, wrapped.len);
    buf_release(&wrapped);
    if (rc < 0)
        return err_set(rc, "invalid regular expression: %s", err_msg());
    return 0;
}

/* ---- terms ---------------------------------------------------------------------- */

static int parse_terms(struct parser *ps)
{
    struct filter_pattern *p = ps->p;
    size_t alloc = 0;
    for (;;) {
        skip_space(ps);
        if (at_end(ps))
            break;
        enum term_mode mode = TERM_REQUIRED;
        if (peek(ps) == '?' || peek(ps) == '-') {
            mode = peek(ps) == '?' ? TERM_OPTIONAL : TERM_EXCLUDED;
            ps->pos++;
            if (at_end(ps) || is_space(peek(ps)))
                return parse_error(ps, "an operator without a term");
        }
        struct buf text = BUF_INIT;
        if (peek(ps) == '"') {
            int rc = parse_quoted(ps, &text);
            if (rc < 0) {
                buf_release(&text);
                return rc;
            }
            if (!at_end(ps) && !is_space(peek(ps))) {
                buf_release(&text);
                return parse_error(ps, "a quoted term must be followed by a space");
            }
        } else {
            while (!at_end(ps) && !is_space(peek(ps))) {
                if (peek(ps) == '"') {
                    buf_release(&text);
                    return parse_error(ps, "a quote inside an unquoted term");
                }
                buf_addch(&text, ps->text[ps->pos++]);
            }
        }
        if (p->term_count == FILTER_TERMS_MAX) {
            buf_release(&text);
            return err_set(ERR_LIMIT, "a filter pattern holds at most %d terms", FILTER_TERMS_MAX);
        }
        /* "" and " " are AWS's way of writing "every event": a term of
         * nothing but spaces is contained in every message. */
        size_t len = text.len;
        bool blank = true;
        for (size_t i = 0; i < len; i++)
            blank &= is_space(text.data[i]);
        ALLOC_GROW(p->terms, p->term_count + 1, alloc);
        struct term *t = &p->terms[p->term_count++];
        t->mode = mode;
        t->len = blank ? 0 : len;
        t->text = buf_detach(&text, NULL);
        if (mode == TERM_OPTIONAL)
            p->has_optional = true;
    }
    p->kind = p->term_count ? PATTERN_TERMS : PATTERN_ALL;
    return 0;
}

static bool contains(const char *hay, size_t hay_len, const char *needle, size_t len)
{
    return len == 0 || (len <= hay_len && memmem(hay, hay_len, needle, len) != NULL);
}

static bool terms_match(const struct filter_pattern *p, const char *msg, size_t len)
{
    bool any_optional = false;
    for (size_t i = 0; i < p->term_count; i++) {
        const struct term *t = &p->terms[i];
        bool found = contains(msg, len, t->text, t->len);
        switch (t->mode) {
        case TERM_REQUIRED:
            if (!found)
                return false;
            break;
        case TERM_EXCLUDED:
            if (found)
                return false;
            break;
        case TERM_OPTIONAL:
            any_optional |= found;
            break;
        }
    }
    return !p->has_optional || any_optional;
}

/* ---- values and comparisons ----------------------------------------------------- */

static bool parse_number_text(double *out, const char *s, size_t len)
{
    char tmp[64];
    if (len == 0 || len >= sizeof(tmp))
        return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    /* JSON-like numbers only: no hex, inf or nan. */
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)tmp[i]) && !strchr("+-.eE", tmp[i]))
            return false;
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (end != tmp + len || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* Characters that end an unquoted value. */
static bool ends_value(char c, bool delimited)
{
    return is_space(c) || c == ')' || c == '}' || c == '&' || c == '|' ||
           (delimited && (c == ',' || c == ']'));
}

/* A value after a comparison operator: "text", %regex%, a number or a bare word. */
static int parse_value(struct parser *ps, struct value *v, bool numeric_op, bool delimited)
{
    skip_space(ps);
    struct buf text = BUF_INIT;
    bool quoted = false;
    int rc;
    if (peek(ps) == '%') {
        if (numeric_op)
            return parse_error(ps, "a regular expression after a numeric comparison");
        v->kind = VALUE_REGEX;
        return parse_regex(ps, &v->regex);
    }
    if (peek(ps) == '"') {
        quoted = true;
        if ((rc = parse_quoted(ps, &text)) < 0) {
            buf_release(&text);
            return rc;
        }
    } else {
        while (!at_end(ps) && !ends_value(peek(ps), delimited))
            buf_addch(&text, ps->text[ps->pos++]);
    }
    if (!quoted && text.len == 0) {
        buf_release(&text);
        return parse_error(ps, "a comparison without a value");
    }
    bool number = !quoted && parse_number_text(&v->number, text.data, text.len);
    if (numeric_op && !number) {
        buf_release(&text);
        return parse_error(ps, "a numeric comparison needs a number");
    }
    v->kind = number ? VALUE_NUMBER : VALUE_TEXT;
    v->len = text.len;
    v->wildcard = !number && memchr(text.data, '*', text.len) != NULL;
    v->text = buf_detach(&text, NULL);
    return 0;
}

/* Glob match with '*' only: segments found leftmost in order, which is
 * exact for '*'-only patterns and linear in the text. */
static bool wildcard_match(const char *pat, size_t plen, const char *s, size_t slen)
{
    const char *star = memchr(pat, '*', plen);
    if (!star)
        return plen == slen && memcmp(pat, s, slen) == 0;
    size_t head = (size_t)(star - pat);
    if (head > slen || memcmp(pat, s, head) != 0)
        return false;
    pat += head + 1;
    plen -= head + 1;
    s += head;
    slen -= head;
    for (;;) {
        star = memchr(pat, '*', plen);
        if (!star) {
            /* The last segment must end the text. */
            return plen <= slen && memcmp(s + slen - plen, pat, plen) == 0;
        }
        size_t seg = (size_t)(star - pat);
        if (seg > 0) {
            const char *found = seg <= slen ? memmem(s, slen, pat, seg) : NULL;
            if (!found)
                return false;
            slen -= (size_t)(found - s) + seg;
            s = found + seg;
        }
        pat += seg + 1;
        plen -= seg + 1;
    }
}

static bool text_equals(const struct value *v, const char *s, size_t len)
{
    if (v->wildcard)
        return wildcard_match(v->text, v->len, s, len);
    return v->len == len && memcmp(v->text, s, len) == 0;
}

static int compare_numbers(double a, double b)
{
    return a < b ? -1 : a > b;
}

static bool ordered(enum compare_op op, int cmp)
{
    switch (op) {
    case OP_EQ:
        return cmp == 0;
    case OP_NE:
        return cmp != 0;
    case OP_LT:
        return cmp < 0;
    case OP_GT:
        return cmp > 0;
    case OP_LE:
        return cmp <= 0;
    case OP_GE:
        return cmp >= 0;
    default:
        return false;
    }
}

/* Compares a text field (a word of a delimited event, or a JSON string or
 * scalar's text) with a value. */
static bool compare_text(const struct value *v, enum compare_op op, const char *s, size_t len)
{
    switch (v->kind) {
    case VALUE_REGEX: {
        bool m = regex_matches(v->regex, s, len);
        return op == OP_EQ ? m : op == OP_NE ? !m : false;
    }
    case VALUE_NUMBER: {
        double d;
        if (parse_number_text(&d, s, len))
            return ordered(op, compare_numbers(d, v->number));
        /* Not a number: only (in)equality with the literal's text applies. */
        if (op == OP_EQ || op == OP_NE)
            return (op == OP_EQ) == (v->len == len && memcmp(v->text, s, len) == 0);
        return false;
    }
    case VALUE_TEXT:
        if (op == OP_EQ)
            return text_equals(v, s, len);
        if (op == OP_NE)
            return !text_equals(v, s, len);
        return false;
    }
    return false;
}

static enum compare_op parse_operator(struct parser *ps, bool *ok)
{
    *ok = true;
    if (accept(ps, "!="))
        return OP_NE;
    if (accept(ps, "<="))
        return OP_LE;
    if (accept(ps, ">="))
        return OP_GE;
    if (accept(ps, "="))
        return OP_EQ;
    if (accept(ps, "<"))
        return OP_LT;
    if (accept(ps, ">"))
        return OP_GT;
    *ok = false;
    return OP_EQ;
}

static bool numeric_op(enum compare_op op)
{
    return op == OP_LT || op == OP_GT || op == OP_LE || op == OP_GE;
}

/* ---- JSON patterns -------------------------------------------------------------- */

static bool selector_char(char c)
{
    return c && !is_space(c) && !strchr(".[]=!<>()&|{}\"%", c);
}

/* $.a.b[0][*]: the cursor is on '$'. */
static int parse_selector(struct parser *ps, struct node *n)
{
    size_t alloc = 0;
    ps->pos++;
    while (!at_end(ps)) {
        struct step step = {0};
        if (peek(ps) == '.') {
            ps->pos++;
            size_t start = ps->pos;
            while (selector_char(peek(ps)))
                ps->pos++;
            if (ps->pos == start)
                return parse_error(ps, "a property name missing after '.'");
            step.kind = STEP_KEY;
            step.key = xstrndup(ps->text + start, ps->pos - start);
        } else if (peek(ps) == '[') {
            ps->pos++;
            if (accept(ps, "*]")) {
                step.kind = STEP_ANY;
            } else {
                size_t start = ps->pos, index = 0;
                while (isdigit((unsigned char)peek(ps)) && ps->pos - start < 9)
                    index = index * 10 + (size_t)(ps->text[ps->pos++] - '0');
                if (ps->pos == start || !accept(ps, "]"))
                    return parse_error(ps, "an array index must be a number in brackets");
                step.kind = STEP_INDEX;
                step.index = index;
            }
        } else {
            break;
        }
        if (n->step_count == FILTER_TERMS_MAX) {
            free(step.key);
            return err_set(ERR_LIMIT, "a property selector has at most %d steps", FILTER_TERMS_MAX);
        }
        ALLOC_GROW(n->steps, n->step_count + 1, alloc);
        n->steps[n->step_count++] = step;
    }
    if (n->step_count == 0)
        return parse_error(ps, "a property selector must name a property, as in $.name");
    return 0;
}

static int parse_json_or(struct parser *ps, struct node **out);

/* selector op value | selector IS TRUE|FALSE|NULL | selector NOT EXISTS */
static int parse_json_compare(struct parser *ps, struct node **out)
{
    skip_space(ps);
    if (peek(ps) != '$')
        return parse_error(ps, "a property selector ($.name) expected");
    struct node *n = xcalloc(1, sizeof(*n));
    n->kind = NODE_COMPARE;
    int rc = parse_selector(ps, n);
    if (rc < 0)
        goto fail;
    skip_space(ps);
    if (accept_word(ps, "IS")) {
        skip_space(ps);
        if (accept_word(ps, "TRUE"))
            n->op = OP_IS_TRUE;
        else if (accept_word(ps, "FALSE"))
            n->op = OP_IS_FALSE;
        else if (accept_word(ps, "NULL"))
            n->op = OP_IS_NULL;
        else {
            rc = parse_error(ps, "IS must be followed by TRUE, FALSE or NULL");
            goto fail;
        }
    } else if (accept_word(ps, "NOT")) {
        skip_space(ps);
        if (!accept_word(ps, "EXISTS")) {
            rc = parse_error(ps, "NOT must be followed by EXISTS");
            goto fail;
        }
        n->op = OP_NOT_EXISTS;
    } else {
        bool ok;
        n->op = parse_operator(ps, &ok);
        if (!ok) {
            rc = parse_error(ps, "a comparison operator (= != < > <= >=) expected");
            goto fail;
        }
        if ((rc = parse_value(ps, &n->value, numeric_op(n->op), false)) < 0)
            goto fail;
    }
    *out = n;
    return 0;
fail:
    node_free(n);
    return rc;
}

static int parse_json_unary(struct parser *ps, struct node **out)
{
    skip_space(ps);
    if (peek(ps) != '(')
        return parse_json_compare(ps, out);
    if (++ps->depth > FILTER_DEPTH_MAX)
        return err_set(ERR_LIMIT, "a filter pattern nests at most %d parentheses",
                       FILTER_DEPTH_MAX);
    ps->pos++;
    int rc = parse_json_or(ps, out);
    if (rc < 0)
        return rc;
    skip_space(ps);
    if (!accept(ps, ")")) {
        node_free(*out);
        *out = NULL;
        return parse_error(ps, "')' expected");
    }
    ps->depth--;
    return 0;
}

static struct node *node_join(enum node_kind kind, struct node *left, struct node *right)
{
    struct node *n = xcalloc(1, sizeof(*n));
    n->kind = kind;
    n->left = left;
    n->right = right;
    return n;
}

static int parse_json_and(struct parser *ps, struct node **out)
{
    struct node *left = NULL, *right = NULL;
    int rc = parse_json_unary(ps, &left);
    if (rc < 0)
        return rc;
    for (;;) {
        skip_space(ps);
        if (!accept(ps, "&&"))
            break;
        if ((rc = parse_json_unary(ps, &right)) < 0) {
            node_free(left);
            return rc;
        }
        left = node_join(NODE_AND, left, right);
    }
    *out = left;
    return 0;
}

static int parse_json_or(struct parser *ps, struct node **out)
{
    struct node *left = NULL, *right = NULL;
    int rc = parse_json_and(ps, &left);
    if (rc < 0)
        return rc;
    for (;;) {
        skip_space(ps);
        if (!accept(ps, "||"))
            break;
        if ((rc = parse_json_and(ps, &right)) < 0) {
            node_free(left);
            return rc;
        }
        left = node_join(NODE_OR, left, right);
    }
    *out = left;
    return 0;
}

/* The text JSON gives a scalar, for text comparisons with numbers and booleans. */
static void scalar_text(char out[64], json_t *v)
{
    if (json_is_integer(v))
        snprintf(out, 64, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(out, 64, "%.17g", json_real_value(v));
    else if (json_is_true(v))
        snprintf(out, 64, "true");
    else if (json_is_false(v))
        snprintf(out, 64, "false");
    else
        snprintf(out, 64, "null");
}

static bool compare_json_value(const struct node *n, json_t *v)
{
    switch (n->op) {
    case OP_IS_TRUE:
        return json_is_true(v);
    case OP_IS_FALSE:
        return json_is_false(v);
    case OP_IS_NULL:
        return json_is_null(v);
    case OP_NOT_EXISTS:
        return false;
    default:
        break;
    }
    if (json_is_string(v))
        return compare_text(&n->value, n->op, json_string_value(v), json_string_length(v));
    if (json_is_number(v) && n->value.kind == VALUE_NUMBER)
        return ordered(n->op, compare_numbers(json_number_value(v), n->value.number));
    if (json_is_object(v) || json_is_array(v))
        return false;
    char text[64];
    scalar_text(text, v);
    return compare_text(&n->value, n->op, text, strlen(text));
}

/* Follows the selector from step `i`; [*] tries every element. With
 * `exists`, only whether the path leads anywhere. */
static bool json_walk(const struct node *n, json_t *v, size_t i, bool exists)
{
    if (i == n->step_count)
        return exists || compare_json_value(n, v);
    const struct step *step = &n->steps[i];
    switch (step->kind) {
    case STEP_KEY: {
        json_t *child = json_is_object(v) ? json_object_get(v, step->key) : NULL;
        return child && json_walk(n, child, i + 1, exists);
    }
    case STEP_INDEX: {
        json_t *child = json_is_array(v) ? json_array_get(v, step->index) : NULL;
        return child && json_walk(n, child, i + 1, exists);
    }
    case STEP_ANY: {
        size_t k;
        json_t *child;
        json_array_foreach(v, k, child)
        {
            if (json_walk(n, child, i + 1, exists))
                return true;
        }
        return false;
    }
    }
    return false;
}

static bool json_eval(const struct node *n, json_t *root)
{
    switch (n->kind) {
    case NODE_AND:
        return json_eval(n->left, root) && json_eval(n->right, root);
    case NODE_OR:
        return json_eval(n->left, root) || json_eval(n->right, root);
    case NODE_COMPARE:
        if (n->op == OP_NOT_EXISTS)
            return !json_walk(n, root, 0, true);
        return json_walk(n, root, 0, false);
    }
    return false;
}

static bool json_match(const struct filter_pattern *p, const char *msg, size_t len)
{
    size_t i = 0;
    while (i < len && is_space(msg[i]))
        i++;
    /* Only JSON objects and arrays are JSON events. */
    if (i == len || (msg[i] != '{' && msg[i] != '['))
        return false;
    json_t *root = json_loadb(msg, len, JSON_ALLOW_NUL, NULL);
    if (!root)
        return false;
    bool m = json_eval(p->json, root);
    json_decref(root);
    return m;
}

/* ---- space-delimited patterns --------------------------------------------------- */

static bool field_name_char(char c)
{
    return c && !is_space(c) && !strchr(",[]=!<>&|\"%", c);
}

/* [name] op value, inside a field; `name` is the field's own. */
static int parse_field_compare(struct parser *ps, const char *name, struct node **out)
{
    skip_space(ps);
    size_t start = ps->pos;
    while (field_name_char(peek(ps)))
        ps->pos++;
    if (ps->pos > start &&
        (ps->pos - start != strlen(name) || memcmp(ps->text + start, name, strlen(name)) != 0))
        return parse_error(ps, "a condition in a field must name that field");
    skip_space(ps);
    bool ok;
    struct node *n = xcalloc(1, sizeof(*n));
    n->kind = NODE_COMPARE;
    n->op = parse_operator(ps, &ok);
    int rc = ok ? parse_value(ps, &n->value, numeric_op(n->op), true)
                : parse_error(ps, "a comparison operator (= != < > <= >=) expected");
    if (rc < 0) {
        node_free(n);
        return rc;
    }
    *out = n;
    return 0;
}

static int parse_field_and(struct parser *ps, const char *name, struct node **out)
{
    struct node *left = NULL, *right = NULL;
    int rc = parse_field_compare(ps, name, &left);
    while (rc == 0) {
        skip_space(ps);
        if (!accept(ps, "&&"))
            break;
        if ((rc = parse_field_compare(ps, name, &right)) == 0)
            left = node_join(NODE_AND, left, right);
    }
    if (rc < 0) {
        node_free(left);
        return rc;
    }
    *out = left;
    return 0;
}

static int parse_field_or(struct parser *ps, const char *name, struct node **out)
{
    struct node *left = NULL, *right = NULL;
    int rc = parse_field_and(ps, name, &left);
    while (rc == 0) {
        skip_space(ps);
        if (!accept(ps, "||"))
            break;
        if ((rc = parse_field_and(ps, name, &right)) == 0)
            left = node_join(NODE_OR, left, right);
    }
    if (rc < 0) {
        node_free(left);
        return rc;
    }
    *out = left;
    return 0;
}

/* [field, field, ...]: the cursor is on '['. */
static int parse_delimited(struct parser *ps)
{
    struct filter_pattern *p = ps->p;
    size_t alloc = 0;
    ps->pos++;
    for (;;) {
        skip_space(ps);
        if (p->field_count == FILTER_TERMS_MAX)
            return err_set(ERR_LIMIT, "a filter pattern holds at most %d fields", FILTER_TERMS_MAX);
        ALLOC_GROW(p->fields, p->field_count + 1, alloc);
        struct field *f = &p->fields[p->field_count];
        *f = (struct field){0};
        if (accept(ps, "...")) {
            f->ellipsis = true;
            p->has_ellipsis = true;
            p->field_count++;
        } else {
            size_t start = ps->pos;
            while (field_name_char(peek(ps)))
                ps->pos++;
            if (ps->pos == start)
                return parse_error(ps, "a field name or '...' expected");
            f->name = xstrndup(ps->text + start, ps->pos - start);
            p->field_count++;
            skip_space(ps);
            if (peek(ps) != ',' && peek(ps) != ']') {
                int rc = parse_field_or(ps, f->name, &f->cond);
                if (rc < 0)
                    return rc;
            }
        }
        skip_space(ps);
        if (accept(ps, ","))
            continue;
        if (accept(ps, "]"))
            break;
        return parse_error(ps, "',' or ']' expected");
    }
    p->kind = PATTERN_DELIMITED;
    return 0;
}

static bool field_eval(const struct node *n, const char *s, size_t len)
{
    switch (n->kind) {
    case NODE_AND:
        return field_eval(n->left, s, len) && field_eval(n->right, s, len);
    case NODE_OR:
        return field_eval(n->left, s, len) || field_eval(n->right, s, len);
    case NODE_COMPARE:
        return compare_text(&n->value, n->op, s, len);
    }
    return false;
}

struct span {
    const char *at;
    size_t len;
};

/*
 * Splits an event into fields at spaces; "..." and [...] are one field
 * each, without their quotes or brackets. Past DELIMITED_FIELDS_MAX the
 * rest of the event is the last field.
 */
static size_t split_fields(struct span *out, const char *msg, size_t len)
{
    size_t n = 0, i = 0;
    while (i < len) {
        while (i < len && is_space(msg[i]))
            i++;
        if (i == len)
            break;
        if (n == DELIMITED_FIELDS_MAX - 1) {
            size_t end = len;
            while (end > i && is_space(msg[end - 1]))
                end--;
            out[n++] = (struct span){msg + i, end - i};
            break;
        }
        char close = msg[i] == '"' ? '"' : msg[i] == '[' ? ']' : '\0';
        if (close) {
            const char *end = memchr(msg + i + 1, close, len - i - 1);
            size_t stop = end ? (size_t)(end - msg) : len;
            out[n++] = (struct span){msg + i + 1, stop - i - 1};
            i = end ? stop + 1 : len;
            continue;
        }
        size_t start = i;
        while (i < len && !is_space(msg[i]))
            i++;
        out[n++] = (struct span){msg + start, i - start};
    }
    return n;
}

static bool delimited_match(const struct filter_pattern *p, const char *msg, size_t len,
                            json_t *extracted)
{
    struct span *fields = xmalloc(DELIMITED_FIELDS_MAX * sizeof(*fields));
    size_t t = split_fields(fields, msg, len), np = p->field_count;
    bool matched = false;
    if (!p->has_ellipsis && t != np)
        goto done;

    /* ok[i * (t + 1) + j]: pattern fields i.. match event fields j.. */
    size_t width = t + 1;
    bool *ok = xcalloc((np + 1) * width, sizeof(*ok));
    ok[np * width + t] = true;
    for (size_t i = np; i-- > 0;) {
        const struct field *f = &p->fields[i];
        for (size_t j = t + 1; j-- > 0;) {
            bool v;
            if (f->ellipsis)
                v = ok[(i + 1) * width + j] || (j < t && ok[i * width + j + 1]);
            else
                v = j < t && ok[(i + 1) * width + j + 1] &&
                    (!f->cond || field_eval(f->cond, fields[j].at, fields[j].len));
            ok[i * width + j] = v;
        }
    }
    matched = ok[0];
    if (matched && extracted) {
        /* Walk one matching assignment: an ellipsis takes as few fields as it can. */
        size_t i = 0, j = 0;
        while (i < np) {
            const struct field *f = &p->fields[i];
            if (f->ellipsis) {
                if (ok[(i + 1) * width + j])
                    i++;
                else
                    j++;
                continue;
            }
            char key[300];
            snprintf(key, sizeof(key), "$%s", f->name);
            json_object_set_new(extracted, key, json_stringn(fields[j].at, fields[j].len));
            i++;
            j++;
        }
    }
    free(ok);
done:
    free(fields);
    return matched;
}

/* ---- the whole pattern ---------------------------------------------------------- */

int filter_pattern_parse(struct filter_pattern **out, const char *text, size_t len)
{
    if (len > FILTER_PATTERN_MAX)
        return err_set(ERR_LIMIT, "a filter pattern of %zu bytes is longer than %d", len,
                       FILTER_PATTERN_MAX);
    if (len && memchr(text, '\0', len))
        return err_set(ERR_INVALID, "a filter pattern cannot hold a NUL character");

    struct filter_pattern *p = xcalloc(1, sizeof(*p));
    struct parser ps = {.text = text, .len = len, .p = p};
    int rc = 0;
    skip_space(&ps);
    size_t last = len;
    while (last > ps.pos && is_space(text[last - 1]))
        last--;
    if (at_end(&ps)) {
        p->kind = PATTERN_ALL;
    } else if (peek(&ps) == '{') {
        ps.pos++;
        if ((rc = parse_json_or(&ps, &p->json)) == 0) {
            skip_space(&ps);
            if (!accept(&ps, "}"))
                rc = parse_error(&ps, "'}' expected");
        }
        p->kind = PATTERN_JSON;
    } else if (peek(&ps) == '[') {
        rc = parse_delimited(&ps);
    } else if (peek(&ps) == '%' && last - ps.pos >= 2 && text[last - 1] == '%') {
        rc = parse_regex(&ps, &p->regex);
        p->kind = PATTERN_REGEX;
    } else {
        rc = parse_terms(&ps);
    }
    if (rc == 0) {
        skip_space(&ps);
        if (!at_end(&ps))
            rc = parse_error(&ps, "unexpected text after the pattern");
    }
    if (rc < 0) {
        filter_pattern_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

bool filter_pattern_match_extract(const struct filter_pattern *p, const char *message, size_t len,
                                  json_t *extracted)
{
    if (!message)
        message = "";
    switch (p->kind) {
    case PATTERN_ALL:
        return true;
    case PATTERN_TERMS:
        return terms_match(p, message, len);
    case PATTERN_REGEX:
        return regex_matches(p->regex, message, len);
    case PATTERN_JSON:
        return json_match(p, message, len);
    case PATTERN_DELIMITED:
        return delimited_match(p, message, len, extracted);
    }
    return false;
}

bool filter_pattern_match(const struct filter_pattern *p, const char *message, size_t len)
{
    return filter_pattern_match_extract(p, message, len, NULL);
}
