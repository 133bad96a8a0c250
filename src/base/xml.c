#include "base/common.h"
#include "base/xml.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/jsonw.h"

const struct xml_limits xml_default_limits = {
    .max_size = 8u << 20,
    .max_depth = XML_MAX_DEPTH,
    .max_elements = 100000,
    .max_attrs = 64,
    .max_name_len = 256,
};

/*
 * The document's memory: a chain of chunks freed together. Under
 * AddressSanitizer every allocation gets a chunk of its own, so that an
 * overrun of one string is caught instead of landing in its neighbour.
 */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_PASSTHROUGH 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_PASSTHROUGH 1
#endif
#endif

#define ARENA_CHUNK_SIZE 16384

struct arena_chunk {
    struct arena_chunk *next;
    size_t used;
    size_t size;
    max_align_t data[];
};

struct xml_arena {
    struct arena_chunk *chunks;
};

static void *arena_alloc(struct xml_arena *a, size_t size)
{
    size_t align = _Alignof(max_align_t);
    size = (size + align - 1) / align * align;
    struct arena_chunk *c = a->chunks;
#ifndef ARENA_PASSTHROUGH
    if (c && c->size - c->used >= size) {
        void *p = (char *)c->data + c->used;
        c->used += size;
        return p;
    }
    size_t chunk = size > ARENA_CHUNK_SIZE / 4 ? size : ARENA_CHUNK_SIZE;
#else
    size_t chunk = size;
#endif
    c = xmalloc(sizeof(*c) + chunk);
    c->size = chunk;
    c->used = size;
    /* A big allocation goes behind the current chunk, which keeps its room. */
    if (a->chunks && chunk == size) {
        c->next = a->chunks->next;
        a->chunks->next = c;
    } else {
        c->next = a->chunks;
        a->chunks = c;
    }
    return c->data;
}

static char *arena_strndup(struct xml_arena *a, const char *s, size_t len)
{
    char *p = arena_alloc(a, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

static void arena_free(struct xml_arena *a)
{
    struct arena_chunk *c = a->chunks;
    while (c) {
        struct arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->chunks = NULL;
}

/* ---- parser ---- */

struct parser {
    const char *data;
    size_t len;
    size_t pos;
    const char *source;
    struct xml_limits lim;
    struct xml_doc *doc;
    struct xml_arena *arena;
    /* The line and column of byte `at_offset`; positions only move forward. */
    size_t at_offset;
    uint32_t at_line;
    uint32_t at_column;
    /* Open elements, their last child so far and their character data. */
    struct xml_node *open[XML_MAX_DEPTH];
    struct xml_node *last_child[XML_MAX_DEPTH];
    struct buf text[XML_MAX_DEPTH];
    uint32_t depth;
    uint32_t elements;
    /* Prefixed namespace declarations in scope, innermost last, so a
     * prefix check costs at most XML_MAX_NS_DECLS comparisons whatever the
     * depth; and how many the document has declared in all. */
    struct ns_binding {
        const char *prefix;
        size_t len;
        uint32_t depth;
    } ns[XML_MAX_NS_DECLS];
    uint32_t ns_count;
    uint32_t ns_total;
    /* The attributes of the start tag being read. */
    struct xml_attr *attrs;
    size_t attr_count;
    size_t attr_alloc;
    struct buf value;
};

static void position(struct parser *p, size_t offset, uint32_t *line, uint32_t *column)
{
    if (offset < p->at_offset) {
        p->at_offset = 0;
        p->at_line = 1;
        p->at_column = 1;
    }
    for (size_t i = p->at_offset; i < offset && i < p->len; i++) {
        unsigned char c = (unsigned char)p->data[i];
        if (c == '\n') {
            if (i == 0 || p->data[i - 1] != '\r') {
                p->at_line++;
                p->at_column = 1;
            }
        } else if (c == '\r') {
            p->at_line++;
            p->at_column = 1;
        } else if ((c & 0xc0) != 0x80) {
            p->at_column++;
        }
    }
    p->at_offset = offset;
    *line = p->at_line;
    *column = p->at_column;
}

static int fail_at(struct parser *p, size_t offset, int kind, const char *fmt, ...)
    PRINTF_LIKE(4, 5);
static int fail_at(struct parser *p, size_t offset, int kind, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    uint32_t line, column;
    position(p, offset, &line, &column);
    return err_set(kind, "%s:%" PRIu32 ":%" PRIu32 ": %s", p->source, line, column, what);
}

#define fail(p, ...) fail_at((p), (p)->pos, ERR_INVALID, __VA_ARGS__)

static bool at_end(const struct parser *p)
{
    return p->pos >= p->len;
}

static bool looking_at(const struct parser *p, const char *s)
{
    size_t n = strlen(s);
    return p->len - p->pos >= n && memcmp(p->data + p->pos, s, n) == 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool skip_space(struct parser *p)
{
    size_t start = p->pos;
    while (!at_end(p) && is_space(p->data[p->pos]))
        p->pos++;
    return p->pos > start;
}

/* XML 1.0 production [2] Char. */
static bool is_xml_char(uint32_t cp)
{
    return cp == 0x9 || cp == 0xa || cp == 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
           (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

static bool is_name_start(uint32_t cp)
{
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_' || cp == ':' ||
           (cp >= 0xc0 && cp <= 0xd6) || (cp >= 0xd8 && cp <= 0xf6) ||
           (cp >= 0xf8 && cp <= 0x2ff) || (cp >= 0x370 && cp <= 0x37d) ||
           (cp >= 0x37f && cp <= 0x1fff) || (cp >= 0x200c && cp <= 0x200d) ||
           (cp >= 0x2070 && cp <= 0x218f) || (cp >= 0x2c00 && cp <= 0x2fef) ||
           (cp >= 0x3001 && cp <= 0xd7ff) || (cp >= 0xf900 && cp <= 0xfdcf) ||
           (cp >= 0xfdf0 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0xeffff);
}

static bool is_name_char(uint32_t cp)
{
    return is_name_start(cp) || cp == '-' || cp == '.' || (cp >= '0' && cp <= '9') || cp == 0xb7 ||
           (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x203f && cp <= 0x2040);
}

/*
 * Decodes the character at p->pos into *cp; returns its length in bytes, or
 * fails on invalid UTF-8 or a character XML does not allow.
 */
static int read_char(struct parser *p, uint32_t *cp, size_t *n_out)
{
    const unsigned char *s = (const unsigned char *)p->data + p->pos;
    size_t avail = p->len - p->pos;
    if (s[0] < 0x80) {
        *cp = s[0];
        *n_out = 1;
    } else {
        size_t n = utf8_sequence_len(s, avail);
        if (!n)
            return fail(p, "invalid UTF-8 byte 0x%02x", s[0]);
        uint32_t v = s[0] & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
        for (size_t i = 1; i < n; i++)
            v = v << 6 | (s[i] & 0x3f);
        *cp = v;
        *n_out = n;
    }
    if (!is_xml_char(*cp))
        return fail(p, "character U+%04" PRIX32 " is not allowed in XML", *cp);
    return 0;
}

/* Reads a Name; rejects what the namespaces spec forbids in a QName. */
static int read_name(struct parser *p, const char **name, size_t *len, const char *what)
{
    size_t start = p->pos;
    size_t colon = 0;
    uint32_t cp;
    size_t n;
    if (at_end(p))
        return fail(p, "expected %s, found the end of the input", what);
    int rc = read_char(p, &cp, &n);
    if (rc < 0)
        return rc;
    if (!is_name_start(cp) || cp == ':')
        return fail(p, "expected %s", what);
    p->pos += n;
    while (!at_end(p)) {
        if ((rc = read_char(p, &cp, &n)) < 0)
            return rc;
        if (!is_name_char(cp))
            break;
        if (cp == ':') {
            if (colon)
                return fail(p, "%s has more than one ':'", what);
            colon = p->pos;
        }
        p->pos += n;
        if (p->pos - start > p->lim.max_name_len)
            return fail_at(p, start, ERR_LIMIT, "%s is longer than %" PRIu32 " bytes", what,
                           p->lim.max_name_len);
    }
    if (colon && colon + 1 == p->pos)
        return fail_at(p, start, ERR_INVALID, "%s '%.*s' ends with ':'", what,
                       (int)(p->pos - start), p->data + start);
    *name = p->data + start;
    *len = p->pos - start;
    return 0;
}

static void add_utf8(struct buf *out, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | cp >> 6);
        b[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | cp >> 12);
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | cp >> 18);
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    buf_add(out, b, n);
}

/* Decodes a reference at '&' into `out`: the five predefined entities and
 * character references, nothing else. */
static int read_reference(struct parser *p, struct buf *out)
{
    size_t start = p->pos;
    p->pos++;
    if (!at_end(p) && p->data[p->pos] == '#') {
        p->pos++;
        int base = 10;
        if (!at_end(p) && p->data[p->pos] == 'x') {
            base = 16;
            p->pos++;
        }
        uint32_t cp = 0;
        size_t digits = 0;
        while (!at_end(p)) {
            char c = p->data[p->pos];
            int d = c >= '0' && c <= '9'                 ? c - '0'
                    : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : base == 16 && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                         : -1;
            if (d < 0)
                break;
            if (cp <= 0x10ffff)
                cp = cp * (uint32_t)base + (uint32_t)d;
            digits++;
            p->pos++;
        }
        if (!digits || at_end(p) || p->data[p->pos] != ';')
            return fail_at(p, start, ERR_INVALID, "malformed character reference");
        p->pos++;
        if (!is_xml_char(cp))
            return fail_at(p, start, ERR_INVALID,
                           "character reference '%.*s' is not a character XML allows",
                           (int)(p->pos - start > 16 ? 16 : p->pos - start), p->data + start);
        add_utf8(out, cp);
        return 0;
    }
    static const struct {
        const char *name;
        char c;
    } entities[] = {{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"apos;", '\''}, {"quot;", '"'}};
    for (size_t i = 0; i < ARRAY_SIZE(entities); i++) {
        if (looking_at(p, entities[i].name)) {
            p->pos += strlen(entities[i].name);
            buf_addch(out, entities[i].c);
            return 0;
        }
    }
    size_t end = p->pos;
    while (end < p->len && end - p->pos < 32 && p->data[end] != ';' && !is_space(p->data[end]) &&
           p->data[end] != '<' && p->data[end] != '&')
        end++;
    if (end < p->len && p->data[end] == ';' && end > p->pos)
        return fail_at(p, start, ERR_INVALID,
                       "undefined entity '&%.*s;' (only the five predefined entities are "
                       "allowed)",
                       (int)(end - p->pos), p->data + p->pos);
    return fail_at(p, start, ERR_INVALID, "'&' must be written as '&amp;'");
}

/*
 * Appends character data up to the next '<' to `out`, validating
 * characters, decoding references and normalising line ends.
 */
static int read_chars(struct parser *p, struct buf *out)
{
    size_t run = p->pos;
    int rc;
    while (!at_end(p)) {
        unsigned char c = (unsigned char)p->data[p->pos];
        if (c == '<')
            break;
        if (c >= 0x20 && c < 0x80 && c != '&' && c != ']') {
            p->pos++;
            continue;
        }
        if (c == '\t' || c == '\n') {
            p->pos++;
            continue;
        }
        buf_add(out, p->data + run, p->pos - run);
        if (c == '&') {
            if ((rc = read_reference(p, out)) < 0)
                return rc;
        } else if (c == '\r') {
            buf_addch(out, '\n');
            p->pos++;
            if (!at_end(p) && p->data[p->pos] == '\n')
                p->pos++;
        } else if (c == ']') {
            if (looking_at(p, "]]>"))
                return fail(p, "']]>' is not allowed in character data");
            buf_addch(out, ']');
            p->pos++;
        } else {
            uint32_t cp;
            size_t n;
            if ((rc = read_char(p, &cp, &n)) < 0)
                return rc;
            buf_add(out, p->data + p->pos, n);
            p->pos += n;
        }
        run = p->pos;
    }
    buf_add(out, p->data + run, p->pos - run);
    return 0;
}

/* Checks the characters up to `end` and moves there; for comments and PIs. */
static int skip_checked(struct parser *p, size_t end)
{
    int rc;
    while (p->pos < end) {
        uint32_t cp;
        size_t n;
        if ((rc = read_char(p, &cp, &n)) < 0)
            return rc;
        p->pos += n;
    }
    return 0;
}

static const char *find(const struct parser *p, const char *s)
{
    return memmem(p->data + p->pos, p->len - p->pos, s, strlen(s));
}

static int read_comment(struct parser *p)
{
    size_t start = p->pos;
    p->pos += 4;
    const char *dashes = find(p, "--");
    if (!dashes)
        return fail_at(p, start, ERR_INVALID, "comment is not closed");
    size_t end = (size_t)(dashes - p->data);
    int rc = skip_checked(p, end);
    if (rc < 0)
        return rc;
    if (!looking_at(p, "-->"))
        return fail(p, "'--' is not allowed inside a comment");
    p->pos += 3;
    return 0;
}

static int read_pi(struct parser *p)
{
    size_t start = p->pos;
    p->pos += 2;
    const char *target;
    size_t target_len;
    int rc = read_name(p, &target, &target_len, "processing instruction target");
    if (rc < 0)
        return rc;
    if (target_len == 3 && strncasecmp(target, "xml", 3) == 0)
        return fail_at(p, start, ERR_INVALID,
                       "the XML declaration is only allowed at the start of the document");
    if (!skip_space(p) && !looking_at(p, "?>"))
        return fail(p, "expected whitespace or '?>' after the processing instruction target");
    const char *close = find(p, "?>");
    if (!close)
        return fail_at(p, start, ERR_INVALID, "processing instruction is not closed");
    if ((rc = skip_checked(p, (size_t)(close - p->data))) < 0)
        return rc;
    p->pos += 2;
    return 0;
}

/* A pseudo-attribute of the XML declaration: name="value". */
static int read_decl_value(struct parser *p, const char *name, const char **value, size_t *len)
{
    if (!looking_at(p, name))
        return fail(p, "expected '%s' in the XML declaration", name);
    p->pos += strlen(name);
    skip_space(p);
    if (at_end(p) || p->data[p->pos] != '=')
        return fail(p, "expected '=' after '%s'", name);
    p->pos++;
    skip_space(p);
    if (at_end(p) || (p->data[p->pos] != '"' && p->data[p->pos] != '\''))
        return fail(p, "expected a quoted value for '%s'", name);
    char quote = p->data[p->pos++];
    size_t start = p->pos;
    while (!at_end(p) && p->data[p->pos] != quote) {
        char c = p->data[p->pos];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return fail(p, "invalid character in the value of '%s'", name);
        p->pos++;
    }
    if (at_end(p))
        return fail_at(p, start, ERR_INVALID, "value of '%s' is not closed", name);
    *value = p->data + start;
    *len = p->pos - start;
    p->pos++;
    return 0;
}

static int read_declaration(struct parser *p)
{
    const char *v;
    size_t n;
    int rc;
    p->pos += 5;
    skip_space(p);
    if ((rc = read_decl_value(p, "version", &v, &n)) < 0)
        return rc;
    if (n < 3 || memcmp(v, "1.", 2) != 0 || strspn(v + 2, "0123456789") < n - 2)
        return fail(p, "unsupported XML version '%.*s'", (int)n, v);
    bool space = skip_space(p);
    if (space && looking_at(p, "encoding")) {
        if ((rc = read_decl_value(p, "encoding", &v, &n)) < 0)
            return rc;
        if (!(n == 5 && strncasecmp(v, "utf-8", 5) == 0))
            return fail(p, "unsupported encoding '%.*s' (only UTF-8 is accepted)", (int)n, v);
        space = skip_space(p);
    }
    if (space && looking_at(p, "standalone")) {
        if ((rc = read_decl_value(p, "standalone", &v, &n)) < 0)
            return rc;
        if (!(n == 3 && memcmp(v, "yes", 3) == 0) && !(n == 2 && memcmp(v, "no", 2) == 0))
            return fail(p, "'standalone' must be 'yes' or 'no'");
        skip_space(p);
    }
    if (!looking_at(p, "?>"))
        return fail(p, "expected '?>' to end the XML declaration");
    p->pos += 2;
    return 0;
}

static const char *lookup_in(const struct xml_attr *attrs, size_t count, const char *prefix,
                             size_t prefix_len, bool *found)
{
    for (size_t i = 0; i < count; i++) {
        const char *name = attrs[i].name;
        if (prefix_len == 0
                ? strcmp(name, "xmlns") == 0
                : (strncmp(name, "xmlns:", 6) == 0 && strncmp(name + 6, prefix, prefix_len) == 0 &&
                   name[6 + prefix_len] == '\0')) {
            *found = true;
            return attrs[i].value;
        }
    }
    *found = false;
    return NULL;
}

const char *xml_namespace_lookup(const struct xml_node *node, const char *prefix, size_t prefix_len)
{
    if (prefix_len == 3 && memcmp(prefix, "xml", 3) == 0)
        return "http://www.w3.org/XML/1998/namespace";
    for (; node; node = node->parent) {
        bool found;
        const char *uri = lookup_in(node->attrs, node->attr_count, prefix, prefix_len, &found);
        if (found)
            return uri && uri[0] ? uri : NULL;
    }
    return NULL;
}

const char *xml_node_namespace(const struct xml_node *node)
{
    return xml_namespace_lookup(node, node->name, node->prefix_len);
}

/* A prefixed name must use a prefix that is declared here or above. */
static int check_prefix(struct parser *p, const char *name, size_t offset, bool attribute)
{
    const char *colon = strchr(name, ':');
    if (!colon)
        return 0;
    size_t len = (size_t)(colon - name);
    if (attribute && len == 5 && memcmp(name, "xmlns", 5) == 0)
        return 0;
    if (len == 3 && memcmp(name, "xml", 3) == 0)
        return 0;
    for (uint32_t i = p->ns_count; i-- > 0;)
        if (p->ns[i].len == len && memcmp(p->ns[i].prefix, name, len) == 0)
            return 0;
    return fail_at(p, offset, ERR_INVALID, "namespace prefix '%.*s' is not declared", (int)len,
                   name);
}

/* Brings the start tag's prefixed namespace declarations into scope. */
static int push_namespaces(struct parser *p, const struct xml_node *node, size_t offset)
{
    for (uint32_t i = 0; i < node->attr_count; i++) {
        const char *name = node->attrs[i].name;
        if (strncmp(name, "xmlns:", 6) != 0)
            continue;
        if (p->ns_total >= XML_MAX_NS_DECLS)
            return fail_at(p, offset, ERR_LIMIT,
                           "the document declares more than %d namespace prefixes",
                           XML_MAX_NS_DECLS);
        p->ns_total++;
        p->ns[p->ns_count++] =
            (struct ns_binding){.prefix = name + 6, .len = strlen(name + 6), .depth = p->depth};
    }
    return 0;
}

/* Takes the declarations of the element closing at `depth` out of scope. */
static void pop_namespaces(struct parser *p, uint32_t depth)
{
    while (p->ns_count > 0 && p->ns[p->ns_count - 1].depth >= depth)
        p->ns_count--;
}

static int read_attribute_value(struct parser *p)
{
    buf_reset(&p->value);
    if (at_end(p) || (p->data[p->pos] != '"' && p->data[p->pos] != '\''))
        return fail(p, "expected a quoted attribute value");
    char quote = p->data[p->pos++];
    size_t start = p->pos;
    int rc;
    for (;;) {
        if (at_end(p))
            return fail_at(p, start - 1, ERR_INVALID, "attribute value is not closed");
        unsigned char c = (unsigned char)p->data[p->pos];
        if (c == (unsigned char)quote) {
            p->pos++;
            return 0;
        }
        if (c == '<')
            return fail(p, "'<' is not allowed in an attribute value");
        if (c == '&') {
            if ((rc = read_reference(p, &p->value)) < 0)
                return rc;
            continue;
        }
        /* Attribute-value normalisation: literal whitespace becomes a space. */
        if (c == '\r' || c == '\n' || c == '\t') {
            buf_addch(&p->value, ' ');
            p->pos++;
            if (c == '\r' && !at_end(p) && p->data[p->pos] == '\n')
                p->pos++;
            continue;
        }
        uint32_t cp;
        size_t n;
        if ((rc = read_char(p, &cp, &n)) < 0)
            return rc;
        buf_add(&p->value, p->data + p->pos, n);
        p->pos += n;
    }
}

static void append_child(struct parser *p, struct xml_node *node)
{
    if (p->depth == 0) {
        p->doc->root = node;
        return;
    }
    struct xml_node *parent = p->open[p->depth - 1];
    node->parent = parent;
    if (p->last_child[p->depth - 1])
        p->last_child[p->depth - 1]->next = node;
    else
        parent->first_child = node;
    p->last_child[p->depth - 1] = node;
    parent->child_count++;
}

static void finish_text(struct parser *p, struct xml_node *node, struct buf *text)
{
    if (text && text->len) {
        node->text = arena_strndup(p->arena, text->data, text->len);
        node->text_len = text->len;
        buf_reset(text);
    } else {
        node->text = "";
        node->text_len = 0;
    }
}

static int read_start_tag(struct parser *p)
{
    size_t start = p->pos;
    const char *name;
    size_t name_len;
    int rc;
    p->pos++;
    if ((rc = read_name(p, &name, &name_len, "element name")) < 0)
        return rc;
    if (p->depth >= p->lim.max_depth)
        return fail_at(p, start, ERR_LIMIT, "elements are nested deeper than %" PRIu32,
                       p->lim.max_depth);
    if (p->elements >= p->lim.max_elements)
        return fail_at(p, start, ERR_LIMIT, "document has more than %" PRIu32 " elements",
                       p->lim.max_elements);
    p->elements++;

    struct xml_node *node = arena_alloc(p->arena, sizeof(*node));
    memset(node, 0, sizeof(*node));
    char *qname = arena_strndup(p->arena, name, name_len);
    node->name = qname;
    const char *colon = memchr(qname, ':', name_len);
    node->local_name = colon ? colon + 1 : qname;
    node->prefix_len = colon ? (size_t)(colon - qname) : 0;
    position(p, start, &node->line, &node->column);

    p->attr_count = 0;
    bool empty = false;
    for (;;) {
        bool space = skip_space(p);
        if (at_end(p))
            return fail_at(p, start, ERR_INVALID, "start tag '%s' is not closed", qname);
        if (looking_at(p, "/>")) {
            p->pos += 2;
            empty = true;
            break;
        }
        if (p->data[p->pos] == '>') {
            p->pos++;
            break;
        }
        if (!space)
            return fail(p, "expected whitespace, '>' or '/>' in start tag '%s'", qname);
        size_t attr_start = p->pos;
        const char *aname;
        size_t aname_len;
        if ((rc = read_name(p, &aname, &aname_len, "attribute name")) < 0)
            return rc;
        for (size_t i = 0; i < p->attr_count; i++)
            if (strlen(p->attrs[i].name) == aname_len &&
                memcmp(p->attrs[i].name, aname, aname_len) == 0)
                return fail_at(p, attr_start, ERR_INVALID, "duplicate attribute '%.*s'",
                               (int)aname_len, aname);
        if (p->attr_count >= p->lim.max_attrs)
            return fail_at(p, attr_start, ERR_LIMIT,
                           "element '%s' has more than %" PRIu32 " attributes", qname,
                           p->lim.max_attrs);
        skip_space(p);
        if (at_end(p) || p->data[p->pos] != '=')
            return fail(p, "expected '=' after attribute name '%.*s'", (int)aname_len, aname);
        p->pos++;
        skip_space(p);
        if ((rc = read_attribute_value(p)) < 0)
            return rc;
        if (aname_len > 6 && memcmp(aname, "xmlns:", 6) == 0 && p->value.len == 0)
            return fail_at(p, attr_start, ERR_INVALID, "namespace prefix '%.*s' is bound to ''",
                           (int)(aname_len - 6), aname + 6);
        ALLOC_GROW(p->attrs, p->attr_count + 1, p->attr_alloc);
        struct xml_attr *a = &p->attrs[p->attr_count++];
        a->name = arena_strndup(p->arena, aname, aname_len);
        a->value = arena_strndup(p->arena, p->value.data, p->value.len);
        a->value_len = p->value.len;
    }
    if (p->attr_count) {
        struct xml_attr *attrs = arena_alloc(p->arena, p->attr_count * sizeof(*attrs));
        memcpy(attrs, p->attrs, p->attr_count * sizeof(*attrs));
        node->attrs = attrs;
        node->attr_count = (uint32_t)p->attr_count;
    }
    append_child(p, node);
    if ((rc = push_namespaces(p, node, start)) < 0 ||
        (rc = check_prefix(p, qname, start + 1, false)) < 0)
        return rc;
    for (uint32_t i = 0; i < node->attr_count; i++)
        if ((rc = check_prefix(p, node->attrs[i].name, start, true)) < 0)
            return rc;
    if (empty) {
        pop_namespaces(p, p->depth);
        finish_text(p, node, NULL);
        return 0;
    }
    p->open[p->depth] = node;
    p->last_child[p->depth] = NULL;
    buf_reset(&p->text[p->depth]);
    p->depth++;
    return 0;
}

static int read_end_tag(struct parser *p)
{
    size_t start = p->pos;
    const char *name;
    size_t name_len;
    int rc;
    p->pos += 2;
    if ((rc = read_name(p, &name, &name_len, "element name")) < 0)
        return rc;
    struct xml_node *node = p->open[p->depth - 1];
    if (strlen(node->name) != name_len || memcmp(node->name, name, name_len) != 0)
        return fail_at(p, start, ERR_INVALID,
                       "end tag '%.*s' does not match start tag '%s' at %" PRIu32 ":%" PRIu32,
                       (int)name_len, name, node->name, node->line, node->column);
    skip_space(p);
    if (at_end(p) || p->data[p->pos] != '>')
        return fail(p, "expected '>' to close end tag '%s'", node->name);
    p->pos++;
    p->depth--;
    pop_namespaces(p, p->depth);
    finish_text(p, node, &p->text[p->depth]);
    return 0;
}

/* Comments, processing instructions and whitespace around the root. */
static int read_misc(struct parser *p, bool before_root)
{
    int rc;
    for (;;) {
        skip_space(p);
        if (at_end(p))
            return 0;
        if (looking_at(p, "<!--")) {
            if ((rc = read_comment(p)) < 0)
                return rc;
        } else if (looking_at(p, "<?")) {
            if ((rc = read_pi(p)) < 0)
                return rc;
        } else if (looking_at(p, "<!DOCTYPE")) {
            return fail(p, "DOCTYPE declarations are not allowed");
        } else if (looking_at(p, "<!")) {
            return fail(p, "markup declarations are not allowed");
        } else if (before_root && p->data[p->pos] == '<') {
            return 0;
        } else if (before_root) {
            return fail(p, "expected '<' to start the root element");
        } else {
            return fail(p, "content after the root element");
        }
    }
}

static int read_content(struct parser *p)
{
    int rc;
    while (p->depth > 0) {
        if (at_end(p))
            return fail(p, "element '%s' is not closed", p->open[p->depth - 1]->name);
        struct buf *text = &p->text[p->depth - 1];
        if (p->data[p->pos] != '<') {
            if ((rc = read_chars(p, text)) < 0)
                return rc;
        } else if (looking_at(p, "</")) {
            if ((rc = read_end_tag(p)) < 0)
                return rc;
        } else if (looking_at(p, "<!--")) {
            if ((rc = read_comment(p)) < 0)
                return rc;
        } else if (looking_at(p, "<![CDATA[")) {
            size_t start = p->pos;
            p->pos += 9;
            const char *close = find(p, "]]>");
            if (!close)
                return fail_at(p, start, ERR_INVALID, "CDATA section is not closed");
            size_t end = (size_t)(close - p->data);
            while (p->pos < end) {
                uint32_t cp;
                size_t n;
                if ((rc = read_char(p, &cp, &n)) < 0)
                    return rc;
                if (cp == '\r') {
                    buf_addch(text, '\n');
                    if (p->pos + 1 < end && p->data[p->pos + 1] == '\n')
                        n++;
                } else {
                    buf_add(text, p->data + p->pos, n);
                }
                p->pos += n;
            }
            p->pos += 3;
        } else if (looking_at(p, "<?")) {
            if ((rc = read_pi(p)) < 0)
                return rc;
        } else if (looking_at(p, "<!DOCTYPE")) {
            return fail(p, "DOCTYPE declarations are not allowed");
        } else if (looking_at(p, "<!")) {
            return fail(p, "markup declarations are not allowed");
        } else {
            if ((rc = read_start_tag(p)) < 0)
                return rc;
        }
    }
    return 0;
}

static int parse_document(struct parser *p)
{
    int rc;
    if (p->len > p->lim.max_size)
        return err_set(ERR_LIMIT, "%s: %zu bytes exceed the limit of %zu", p->source, p->len,
                       p->lim.max_size);
    if (looking_at(p, "\xef\xbb\xbf"))
        p->pos += 3;
    else if (looking_at(p, "\xfe\xff") || looking_at(p, "\xff\xfe"))
        return fail(p, "UTF-16 is not supported (only UTF-8 is accepted)");
    if (looking_at(p, "<?xml") && p->len - p->pos > 5 && is_space(p->data[p->pos + 5])) {
        if ((rc = read_declaration(p)) < 0)
            return rc;
    }
    if ((rc = read_misc(p, true)) < 0)
        return rc;
    if (at_end(p))
        return fail(p, "no root element");
    if ((rc = read_start_tag(p)) < 0)
        return rc;
    if ((rc = read_content(p)) < 0)
        return rc;
    return read_misc(p, false);
}

int xml_parse(struct xml_doc **doc_out, const char *data, size_t len, const char *source,
              const struct xml_limits *limits)
{
    struct parser p = {
        .data = data ? data : "",
        .len = data ? len : 0,
        .source = source ? source : "xml",
        .lim = limits ? *limits : xml_default_limits,
        .at_line = 1,
        .at_column = 1,
    };
    if (p.lim.max_depth == 0 || p.lim.max_depth > XML_MAX_DEPTH)
        p.lim.max_depth = XML_MAX_DEPTH;
    struct xml_doc *doc = xcalloc(1, sizeof(*doc));
    doc->arena_ = xcalloc(1, sizeof(*doc->arena_));
    p.doc = doc;
    p.arena = doc->arena_;
    for (size_t i = 0; i < XML_MAX_DEPTH; i++)
        buf_init(&p.text[i]);
    buf_init(&p.value);

    int rc = parse_document(&p);

    for (size_t i = 0; i < XML_MAX_DEPTH; i++)
        buf_release(&p.text[i]);
    buf_release(&p.value);
    free(p.attrs);
    if (rc < 0) {
        xml_doc_free(doc);
        return rc;
    }
    *doc_out = doc;
    return 0;
}

void xml_doc_free(struct xml_doc *doc)
{
    if (!doc)
        return;
    if (doc->arena_) {
        arena_free(doc->arena_);
        free(doc->arena_);
    }
    free(doc);
}

bool xml_is(const struct xml_node *node, const char *local_name)
{
    return strcmp(node->local_name, local_name) == 0;
}

const struct xml_node *xml_child(const struct xml_node *node, const char *local_name)
{
    for (const struct xml_node *c = node->first_child; c; c = c->next)
        if (xml_is(c, local_name))
            return c;
    return NULL;
}

const struct xml_node *xml_next_named(const struct xml_node *node)
{
    for (const struct xml_node *c = node->next; c; c = c->next)
        if (strcmp(c->local_name, node->local_name) == 0)
            return c;
    return NULL;
}

const struct xml_attr *xml_attr_find(const struct xml_node *node, const char *name)
{
    for (uint32_t i = 0; i < node->attr_count; i++)
        if (strcmp(node->attrs[i].name, name) == 0)
            return &node->attrs[i];
    return NULL;
}

/* ---- writer ---- */

#define REPLACEMENT_CHAR "\xef\xbf\xbd"

static void escape(struct buf *out, const char *s, size_t len, bool attribute)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0;
    buf_grow(out, len);
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        bool plain = (c >= 0x20 && c < 0x80 && c != '&' && c != '<' && c != '>' &&
                      !(attribute && c == '"')) ||
                     (!attribute && (c == '\n' || c == '\t'));
        if (plain) {
            run++;
            i++;
            continue;
        }
        buf_add(out, p + i - run, run);
        run = 0;
        if (c >= 0x80) {
            size_t n = utf8_sequence_len(p + i, len - i);
            /* U+FFFE and U+FFFF are valid UTF-8 but not XML characters. */
            if (n == 3 && c == 0xef && p[i + 1] == 0xbf && p[i + 2] >= 0xbe) {
                buf_adds(out, REPLACEMENT_CHAR);
                i += 3;
            } else if (n) {
                buf_add(out, p + i, n);
                i += n;
            } else {
                buf_adds(out, REPLACEMENT_CHAR);
                i++;
            }
            continue;
        }
        switch (c) {
        case '&':
            buf_adds(out, "&amp;");
            break;
        case '<':
            buf_adds(out, "&lt;");
            break;
        case '>':
            buf_adds(out, "&gt;");
            break;
        case '"':
            buf_adds(out, "&quot;");
            break;
        case '\r':
            buf_adds(out, "&#xD;");
            break;
        case '\n':
            buf_adds(out, "&#xA;");
            break;
        case '\t':
            buf_adds(out, "&#x9;");
            break;
        default:
            buf_adds(out, REPLACEMENT_CHAR);
            break;
        }
        i++;
    }
    buf_add(out, p + len - run, run);
}

void xml_escape_text(struct buf *out, const char *s, size_t len)
{
    escape(out, s, len, false);
}

void xml_escape_attr(struct buf *out, const char *s, size_t len)
{
    escape(out, s, len, true);
}

void xml_writer_init(struct xml_writer *w, struct buf *out)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
    buf_init(&w->names_);
}

void xml_writer_release(struct xml_writer *w)
{
    buf_release(&w->names_);
    free(w->offsets_);
    w->offsets_ = NULL;
    w->depth_ = w->alloc_ = 0;
    w->open_tag_ = false;
}

void xml_writer_declaration(struct xml_writer *w)
{
    buf_adds(w->out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
}

static void close_start_tag(struct xml_writer *w)
{
    if (w->open_tag_) {
        buf_addch(w->out, '>');
        w->open_tag_ = false;
    }
}

void xml_writer_start(struct xml_writer *w, const char *name)
{
    close_start_tag(w);
    buf_addch(w->out, '<');
    buf_adds(w->out, name);
    ALLOC_GROW(w->offsets_, w->depth_ + 1, w->alloc_);
    w->offsets_[w->depth_++] = w->names_.len;
    buf_add(&w->names_, name, strlen(name) + 1);
    w->open_tag_ = true;
}

void xml_writer_attr(struct xml_writer *w, const char *name, const char *value, size_t len)
{
    if (!w->open_tag_) {
        fprintf(stderr, "fatal: xml_writer_attr '%s' outside a start tag\n", name);
        abort();
    }
    buf_addch(w->out, ' ');
    buf_adds(w->out, name);
    buf_adds(w->out, "=\"");
    xml_escape_attr(w->out, value, len);
    buf_addch(w->out, '"');
}

void xml_writer_text(struct xml_writer *w, const char *s, size_t len)
{
    if (len == 0)
        return;
    close_start_tag(w);
    xml_escape_text(w->out, s, len);
}

void xml_writer_end(struct xml_writer *w)
{
    if (w->depth_ == 0) {
        fprintf(stderr, "fatal: xml_writer_end without an open element\n");
        abort();
    }
    size_t off = w->offsets_[--w->depth_];
    if (w->open_tag_) {
        buf_adds(w->out, "/>");
        w->open_tag_ = false;
    } else {
        buf_adds(w->out, "</");
        buf_adds(w->out, w->names_.data + off);
        buf_addch(w->out, '>');
    }
    buf_setlen(&w->names_, off);
}

void xml_writer_element(struct xml_writer *w, const char *name, const char *text, size_t len)
{
    xml_writer_start(w, name);
    xml_writer_text(w, text, len);
    xml_writer_end(w);
}

void xml_writer_finish(struct xml_writer *w)
{
    while (w->depth_ > 0)
        xml_writer_end(w);
}
