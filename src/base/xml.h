#ifndef SLIPWAY_BASE_XML_H
#define SLIPWAY_BASE_XML_H

#include "base/common.h"
#include "base/buf.h"

/*
 * A small, strict XML 1.0 parser for untrusted input, and a writer.
 *
 * The parser builds a compact read-only DOM: elements, their attributes and
 * the character data directly inside each element. Names are kept exactly
 * as written ("s3:Key" stays "s3:Key"); xmlns and xmlns:p declarations are
 * ordinary attributes, and xml_namespace_lookup() resolves a prefix against
 * them. Comments and processing instructions are skipped.
 *
 * What it refuses, because request bodies come from anyone: any DOCTYPE
 * (so no DTD, no entity declarations, no external entities, no entity
 * expansion bombs), entity references other than the five predefined ones,
 * invalid UTF-8, characters XML 1.0 does not allow (also through &#...;),
 * encodings other than UTF-8, and anything past the limits below. Errors
 * are ERR_INVALID (malformed) or ERR_LIMIT (too big or too deep), with a
 * message "<source>:<line>:<column>: <problem>"; columns count characters.
 */

/* Hard ceiling on element nesting; xml_limits.max_depth may only lower it. */
#define XML_MAX_DEPTH 64

/* Prefixed namespace declarations a document may make in all. */
#define XML_MAX_NS_DECLS 64

struct xml_limits {
    size_t max_size;       /* bytes of input */
    uint32_t max_depth;    /* element nesting, at most XML_MAX_DEPTH */
    uint32_t max_elements; /* elements in the document */
    uint32_t max_attrs;    /* attributes on one element */
    uint32_t max_name_len; /* bytes in one element or attribute name */
};

/* 8 MiB, depth 64, 100,000 elements, 64 attributes, names of 256 bytes. */
extern const struct xml_limits xml_default_limits;

struct xml_attr {
    const char *name;  /* as written, e.g. "xmlns:s3" or "xsi:type" */
    const char *value; /* decoded and normalised, NUL-terminated */
    size_t value_len;
};

struct xml_node {
    const char *name;       /* qualified name as written */
    const char *local_name; /* the part after the prefix's colon (or name) */
    size_t prefix_len;      /* bytes of the prefix, 0 when none */
    /*
     * Character data directly inside this element (text and CDATA, entity
     * and character references decoded, line ends normalised to "\n"),
     * concatenated when child elements interrupt it. Never NULL; may hold
     * NUL bytes only if the document did (it cannot: they are refused).
     */
    const char *text;
    size_t text_len;
    const struct xml_attr *attrs;
    uint32_t attr_count;
    uint32_t child_count;
    const struct xml_node *parent;
    const struct xml_node *first_child;
    const struct xml_node *next; /* next sibling element */
    uint32_t line;               /* where the start tag begins, 1-based */
    uint32_t column;
};

/* A parsed document; owns every node and string in it. */
struct xml_doc {
    const struct xml_node *root;
    struct xml_arena *arena_;
};

/*
 * Parses `len` bytes at `data` (need not be NUL-terminated). `source` names
 * the input in error messages ("request body"). `limits` may be NULL for
 * xml_default_limits. On success *doc_out is a document the caller frees
 * with xml_doc_free(); `data` may be freed at once.
 */
int xml_parse(struct xml_doc **doc_out, const char *data, size_t len, const char *source,
              const struct xml_limits *limits);
void xml_doc_free(struct xml_doc *doc);

/* The first child element whose local name is `local_name`, or NULL. */
const struct xml_node *xml_child(const struct xml_node *node, const char *local_name);
/* The next sibling after `node` with the same local name, or NULL. */
const struct xml_node *xml_next_named(const struct xml_node *node);
/* True when the node's local name is `local_name`. */
bool xml_is(const struct xml_node *node, const char *local_name);
/* The value of the attribute named exactly `name` (as written), or NULL. */
const struct xml_attr *xml_attr_find(const struct xml_node *node, const char *name);
/*
 * The namespace URI that `prefix` (prefix_len bytes; 0 for the default
 * namespace) is bound to at `node`, searching its xmlns declarations and
 * those of its ancestors; NULL when unbound. "xml" is always bound.
 */
const char *xml_namespace_lookup(const struct xml_node *node, const char *prefix,
                                 size_t prefix_len);
/* The namespace URI of the node's own name, or NULL. */
const char *xml_node_namespace(const struct xml_node *node);

/*
 * Escaping. Text escapes & < > and writes CR as &#xD; so that it survives
 * a parser's line-end normalisation; attribute values also escape " and
 * write TAB and LF as references (a parser would turn them into spaces).
 * Bytes that are not valid UTF-8 and characters XML 1.0 cannot carry at all
 * (controls other than TAB, LF, CR; U+FFFE, U+FFFF) become U+FFFD, so the
 * output is always well-formed.
 */
void xml_escape_text(struct buf *out, const char *s, size_t len);
void xml_escape_attr(struct buf *out, const char *s, size_t len);

/*
 * A streaming writer into a buf. It remembers the open elements, so
 * xml_writer_end() needs no name, and closes a start tag lazily so that
 * attributes can follow xml_writer_start(). Elements without content are
 * written as <a/>. Names are written as given: the caller passes names
 * from the service model, never from input.
 */
struct xml_writer {
    struct buf *out;   /* not owned */
    struct buf names_; /* open element names, NUL-separated */
    size_t *offsets_;
    size_t depth_;
    size_t alloc_;
    bool open_tag_; /* a start tag is waiting for '>' */
};

void xml_writer_init(struct xml_writer *w, struct buf *out);
/* Frees the writer's own memory; `out` keeps what was written. */
void xml_writer_release(struct xml_writer *w);
/* <?xml version="1.0" encoding="UTF-8"?> and a newline. */
void xml_writer_declaration(struct xml_writer *w);
void xml_writer_start(struct xml_writer *w, const char *name);
/* Only directly after xml_writer_start() or another attribute. */
void xml_writer_attr(struct xml_writer *w, const char *name, const char *value, size_t len);
void xml_writer_text(struct xml_writer *w, const char *s, size_t len);
void xml_writer_end(struct xml_writer *w);
/* <name>escaped text</name> */
void xml_writer_element(struct xml_writer *w, const char *name, const char *text, size_t len);
/* Closes every open element. */
void xml_writer_finish(struct xml_writer *w);

#endif
