#include <jansson.h>

#include "base/common.h"
#include "aws/proto_rest.h"
#include "aws/proto_xml.h"
#include "aws/protocol_impl.h"
#include "base/alloc.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/jsonw.h"
#include "base/xml.h"

/*
 * awsQuery: requests are form-encoded parameters (a POST body of type
 * application/x-www-form-urlencoded, or the query string of a GET) whose
 * dotted names follow the input shape; responses are XML wrapped in
 * <OpResponse><OpResult> with the request id in <ResponseMetadata>.
 *
 * The parameters are read into a tree by their dotted names ("Tags",
 * "member", "1", "Key"), then the tree is walked along the input shape.
 * Parameters the shape does not name (Action, Version, the X-Amz-* of a
 * presigned request, anything unknown) are left out of the params; list
 * items are ordered by their index, which need not be contiguous.
 */

/* Every one of these is under the client's control, so each is bounded. */
#define QUERY_MAX_PARAMS    1000
#define QUERY_MAX_NAME_LEN  512
#define QUERY_MAX_VALUE_LEN (1u << 20)
#define QUERY_MAX_INDEX     1000000

struct form_param {
    char *name;
    char *value;
    size_t value_len;
};

struct form {
    struct form_param *params;
    size_t count;
    size_t alloc;
};

static void form_release(struct form *f)
{
    for (size_t i = 0; i < f->count; i++) {
        free(f->params[i].name);
        free(f->params[i].value);
    }
    free(f->params);
    memset(f, 0, sizeof(*f));
}

/* Decodes one form-encoded component (percent escapes, '+' as space). */
static int form_unescape(struct buf *out, const char *s, size_t len, size_t offset,
                         const char *source)
{
    buf_reset(out);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%' && s[i] != '+') {
            run++;
            continue;
        }
        buf_add(out, s + i - run, run);
        run = 0;
        if (s[i] == '+') {
            buf_addch(out, ' ');
            continue;
        }
        int hi = i + 2 < len ? hex_digit_value(s[i + 1]) : -1;
        int lo = i + 2 < len ? hex_digit_value(s[i + 2]) : -1;
        if (hi < 0 || lo < 0)
            return err_set(ERR_INVALID, "%s: malformed percent-encoding at byte %zu", source,
                           offset + i + 1);
        buf_addch(out, hi << 4 | lo);
        i += 2;
    }
    buf_add(out, s + len - run, run);
    return 0;
}

static int compare_params(const void *a, const void *b)
{
    return strcmp(((const struct form_param *)a)->name, ((const struct form_param *)b)->name);
}

/* Adds the parameters of `s` (a query string or form body) to `f`. */
static int form_parse(struct form *f, const char *s, size_t len, const char *source)
{
    struct buf name = BUF_INIT, value = BUF_INIT;
    int rc = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *amp = memchr(s + pos, '&', len - pos);
        size_t end = amp ? (size_t)(amp - s) : len;
        if (end == pos) {
            pos++;
            continue;
        }
        if (f->count >= QUERY_MAX_PARAMS) {
            rc = err_set(ERR_LIMIT, "request has more than %d parameters (at most %d are accepted)",
                         QUERY_MAX_PARAMS, QUERY_MAX_PARAMS);
            goto done;
        }
        const char *eq = memchr(s + pos, '=', end - pos);
        size_t name_end = eq ? (size_t)(eq - s) : end;
        if ((rc = form_unescape(&name, s + pos, name_end - pos, pos, source)) < 0)
            goto done;
        if (name.len == 0) {
            rc = err_set(ERR_INVALID, "%s: parameter without a name at byte %zu", source, pos + 1);
            goto done;
        }
        if (name.len > QUERY_MAX_NAME_LEN) {
            rc = err_set(ERR_LIMIT, "%s: parameter name '%.64s...' is longer than %d bytes", source,
                         name.data, QUERY_MAX_NAME_LEN);
            goto done;
        }
        if (memchr(name.data, '\0', name.len) || !utf8_valid(name.data, name.len)) {
            rc = err_set(ERR_INVALID, "%s: parameter name at byte %zu is not valid UTF-8 text",
                         source, pos + 1);
            goto done;
        }
        if (eq &&
            (rc = form_unescape(&value, eq + 1, end - name_end - 1, name_end + 1, source)) < 0)
            goto done;
        if (!eq)
            buf_reset(&value);
        if (value.len > QUERY_MAX_VALUE_LEN) {
            rc = err_set(ERR_LIMIT, "parameter '%s' is longer than %u bytes", name.data,
                         QUERY_MAX_VALUE_LEN);
            goto done;
        }
        ALLOC_GROW(f->params, f->count + 1, f->alloc);
        struct form_param *p = &f->params[f->count++];
        p->name = xstrndup(name.data, name.len);
        p->value_len = value.len;
        p->value = xmemdup(value.data, value.len + 1);
        pos = end + 1;
    }
done:
    buf_release(&name);
    buf_release(&value);
    return rc;
}

/* Is this Content-Type (parameters ignored) the form type? */
static bool is_form_type(const struct header_field *h)
{
    static const char form_type[] = "application/x-www-form-urlencoded";
    size_t n = sizeof(form_type) - 1;
    if (h->value_len < n || strncasecmp(h->value, form_type, n) != 0)
        return false;
    for (size_t i = n; i < h->value_len; i++) {
        if (h->value[i] == ';')
            return true;
        if (h->value[i] != ' ' && h->value[i] != '\t')
            return false;
    }
    return true;
}

/* Reads all parameters of a request: its query string, then a form body. */
static int form_read(struct form *out, const struct aws_request *req)
{
    struct form f = {0};
    int rc;
    if (req->query && (rc = form_parse(&f, req->query, strlen(req->query), "query string")) < 0)
        goto fail;
    if (req->body_len > 0) {
        const struct header_field *ct = aws_request_header(req, "Content-Type");
        if (ct && !is_form_type(ct)) {
            rc = err_set(ERR_INVALID,
                         "Content-Type '%.*s' is not supported: awsQuery requests are "
                         "'application/x-www-form-urlencoded'",
                         (int)(ct->value_len > 100 ? 100 : ct->value_len), ct->value);
            goto fail;
        }
        if ((rc = form_parse(&f, req->body, req->body_len, "request body")) < 0)
            goto fail;
    }
    if (f.count > 1)
        qsort(f.params, f.count, sizeof(*f.params), compare_params);
    for (size_t i = 1; i < f.count; i++) {
        if (strcmp(f.params[i - 1].name, f.params[i].name) == 0) {
            rc = err_set(ERR_INVALID, "parameter '%s' is given more than once", f.params[i].name);
            goto fail;
        }
    }
    *out = f;
    return 0;
fail:
    form_release(&f);
    return rc;
}

static const struct form_param *form_get(const struct form *f, const char *name)
{
    struct form_param key = {.name = (char *)name};
    if (f->count == 0)
        return NULL;
    return bsearch(&key, f->params, f->count, sizeof(*f->params), compare_params);
}

/* ---- the parameter tree ---- */

struct form_node {
    const char *seg; /* points into a parameter name; not NUL-terminated */
    size_t seg_len;
    const struct form_param *param; /* the parameter whose name ends here */
    struct form_node *first;
    struct form_node *last;
    struct form_node *next;
    uint64_t index; /* the segment as a list index, for sorting */
};

static void form_node_free(struct form_node *node)
{
    while (node) {
        struct form_node *next = node->next;
        form_node_free(node->first);
        free(node);
        node = next;
    }
}

static struct form_node *form_node_child(const struct form_node *node, const char *seg, size_t len)
{
    for (struct form_node *c = node->first; c; c = c->next)
        if (c->seg_len == len && memcmp(c->seg, seg, len) == 0)
            return c;
    return NULL;
}

static int form_tree_build(struct form_node **root_out, const struct form *f)
{
    struct form_node *root = xcalloc(1, sizeof(*root));
    for (size_t i = 0; i < f->count; i++) {
        const char *name = f->params[i].name;
        struct form_node *node = root;
        const char *seg = name;
        for (;;) {
            const char *dot = strchr(seg, '.');
            size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
            if (len == 0) {
                form_node_free(root);
                return err_set(ERR_INVALID, "parameter name '%s' has an empty part", name);
            }
            struct form_node *child = form_node_child(node, seg, len);
            if (!child) {
                child = xcalloc(1, sizeof(*child));
                child->seg = seg;
                child->seg_len = len;
                if (node->last)
                    node->last->next = child;
                else
                    node->first = child;
                node->last = child;
            }
            node = child;
            if (!dot)
                break;
            seg = dot + 1;
        }
        node->param = &f->params[i];
    }
    *root_out = root;
    return 0;
}

/* ---- decoding along the shape ---- */

struct decoder {
    struct buf path; /* the parameter name of the node being decoded */
};

static int decode_node(json_t **out, struct decoder *d, const struct form_node *node,
                       const struct model_member *m);

/* path += "." + seg, returning the old length to restore. */
static size_t path_push(struct decoder *d, const char *seg, size_t len)
{
    size_t old = d->path.len;
    if (old)
        buf_addch(&d->path, '.');
    buf_add(&d->path, seg, len);
    return old;
}

static bool member_is_flat(const struct model_member *m)
{
    return (m->flags & MEMBER_F_FLATTENED) || (m->shape->flags & SHAPE_F_FLATTENED);
}

static int decode_structure(json_t **out, struct decoder *d, const struct form_node *node,
                            const struct model_shape *shape)
{
    json_t *result = json_object();
    for (uint32_t i = 0; i < shape->member_count; i++) {
        const struct model_member *m = &shape->members[i];
        const char *seg = model_member_wire_name(m);
        const struct form_node *child = form_node_child(node, seg, strlen(seg));
        /*
         * A flattened list whose items have a locationName: Smithy clients
         * send "Member.1", botocore sends "ItemName.1"; take either.
         */
        if (!child && m->shape->type == SHAPE_LIST && member_is_flat(m) &&
            m->shape->member->location_name) {
            seg = m->shape->member->location_name;
            child = form_node_child(node, seg, strlen(seg));
        }
        if (!child)
            continue;
        size_t old = path_push(d, seg, strlen(seg));
        json_t *v;
        int rc = decode_node(&v, d, child, m);
        buf_setlen(&d->path, old);
        if (rc < 0) {
            json_decref(result);
            return rc;
        }
        json_object_set_new(result, m->name, v);
    }
    *out = result;
    return 0;
}

static int compare_index(const void *a, const void *b)
{
    uint64_t x = (*(struct form_node *const *)a)->index;
    uint64_t y = (*(struct form_node *const *)b)->index;
    return x < y ? -1 : x > y;
}

/*
 * The numbered children of a list or map node ("1", "2", ...), sorted by
 * number. `parent` may be NULL (no items).
 */
static int collect_items(struct form_node ***items_out, size_t *count_out, struct decoder *d,
                         const struct form_node *parent)
{
    size_t count = 0;
    for (const struct form_node *c = parent ? parent->first : NULL; c; c = c->next)
        count++;
    struct form_node **items = xcalloc(count ? count : 1, sizeof(*items));
    size_t n = 0;
    for (struct form_node *c = parent ? parent->first : NULL; c; c = c->next) {
        uint64_t index = 0;
        bool ok = c->seg_len <= 7;
        for (size_t i = 0; ok && i < c->seg_len; i++) {
            ok = c->seg[i] >= '0' && c->seg[i] <= '9';
            index = index * 10 + (uint64_t)(c->seg[i] - '0');
        }
        if (!ok || index == 0 || index > QUERY_MAX_INDEX) {
            free(items);
            return err_set(ERR_INVALID, "parameter '%s.%.*s' is not a list index from 1 to %d",
                           d->path.data, (int)c->seg_len, c->seg, QUERY_MAX_INDEX);
        }
        c->index = index;
        items[n++] = c;
    }
    if (n > 1)
        qsort(items, n, sizeof(*items), compare_index);
    for (size_t i = 1; i < n; i++) {
        if (items[i]->index == items[i - 1]->index) {
            int rc = err_set(ERR_INVALID, "parameter '%s' has index %" PRIu64 " more than once",
                             d->path.data, items[i]->index);
            free(items);
            return rc;
        }
    }
    *items_out = items;
    *count_out = n;
    return 0;
}

/*
 * The node holding a list's or map's numbered items: the node itself when
 * flattened, else its "member"/"entry" child. Fails when the node has
 * anything else.
 */
static int container_items(const struct form_node **items_out, struct decoder *d,
                           const struct form_node *node, const char *wrapper, bool flat)
{
    if (flat || !node->first) {
        *items_out = node->first ? node : NULL;
        return 0;
    }
    for (const struct form_node *c = node->first; c; c = c->next) {
        if (c->seg_len != strlen(wrapper) || memcmp(c->seg, wrapper, c->seg_len) != 0)
            return err_set(ERR_INVALID,
                           "parameter '%s.%.*s' is not expected: items of '%s' are "
                           "named '%s.%s.N'",
                           d->path.data, (int)c->seg_len, c->seg, d->path.data, d->path.data,
                           wrapper);
        if (c->param)
            return err_set(ERR_INVALID, "parameter '%s.%s' needs an index: '%s.%s.1'", d->path.data,
                           wrapper, d->path.data, wrapper);
    }
    *items_out = node->first;
    return 0;
}

static int decode_list(json_t **out, struct decoder *d, const struct form_node *node,
                       const struct model_member *m)
{
    const struct model_shape *s = m->shape;
    const char *wrapper = s->member->location_name ?: "member";
    bool flat = member_is_flat(m);
    const struct form_node *parent;
    int rc;
    if ((rc = container_items(&parent, d, node, wrapper, flat)) < 0)
        return rc;
    size_t base = d->path.len;
    if (!flat)
        path_push(d, wrapper, strlen(wrapper));
    struct form_node **items;
    size_t count;
    if ((rc = collect_items(&items, &count, d, parent)) < 0) {
        buf_setlen(&d->path, base);
        return rc;
    }
    json_t *result = json_array();
    for (size_t i = 0; i < count; i++) {
        size_t old = path_push(d, items[i]->seg, items[i]->seg_len);
        json_t *item;
        rc = decode_node(&item, d, items[i], s->member);
        buf_setlen(&d->path, old);
        if (rc < 0)
            break;
        json_array_append_new(result, item);
    }
    buf_setlen(&d->path, base);
    free(items);
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    *out = result;
    return 0;
}

static int decode_map(json_t **out, struct decoder *d, const struct form_node *node,
                      const struct model_member *m)
{
    const struct model_shape *s = m->shape;
    const char *key_name = s->key->location_name ?: "key";
    const char *value_name = s->value->location_name ?: "value";
    bool flat = member_is_flat(m);
    const struct form_node *parent;
    int rc;
    if ((rc = container_items(&parent, d, node, "entry", flat)) < 0)
        return rc;
    size_t base = d->path.len;
    if (!flat)
        path_push(d, "entry", 5);
    struct form_node **items;
    size_t count;
    if ((rc = collect_items(&items, &count, d, parent)) < 0) {
        buf_setlen(&d->path, base);
        return rc;
    }
    json_t *result = json_object();
    for (size_t i = 0; i < count && rc == 0; i++) {
        size_t entry_len = path_push(d, items[i]->seg, items[i]->seg_len);
        const struct form_node *k = form_node_child(items[i], key_name, strlen(key_name));
        const struct form_node *v = form_node_child(items[i], value_name, strlen(value_name));
        if (!k || !v) {
            rc = err_set(ERR_INVALID, "parameter '%s.%s' is missing", d->path.data,
                         k ? value_name : key_name);
            break;
        }
        json_t *key, *value;
        size_t old = path_push(d, key_name, strlen(key_name));
        rc = decode_node(&key, d, k, s->key);
        buf_setlen(&d->path, old);
        if (rc < 0)
            break;
        if (!json_is_string(key)) {
            json_decref(key);
            rc = err_set(ERR_INVALID, "map keys of '%s' are not strings", s->name);
            break;
        }
        if (json_object_get(result, json_string_value(key))) {
            rc = err_set(ERR_INVALID, "parameter '%s' has key '%.64s' more than once", d->path.data,
                         json_string_value(key));
            json_decref(key);
            break;
        }
        old = path_push(d, value_name, strlen(value_name));
        rc = decode_node(&value, d, v, s->value);
        buf_setlen(&d->path, old);
        if (rc == 0)
            json_object_set_new(result, json_string_value(key), value);
        json_decref(key);
        buf_setlen(&d->path, entry_len);
    }
    buf_setlen(&d->path, base);
    free(items);
    if (rc < 0) {
        json_decref(result);
        return rc;
    }
    *out = result;
    return 0;
}

static int decode_node(json_t **out, struct decoder *d, const struct form_node *node,
                       const struct model_member *m)
{
    const struct model_shape *s = m->shape;
    bool container = s->type == SHAPE_STRUCTURE || s->type == SHAPE_LIST || s->type == SHAPE_MAP;
    if (container && node->param) {
        /* "ListArg=" is how clients send an empty list (or map). */
        if (node->param->value_len != 0 || node->first)
            return err_set(ERR_INVALID, "parameter '%s' must be a %s, not a single value",
                           d->path.data, shape_type_name(s->type));
        *out = s->type == SHAPE_LIST ? json_array() : json_object();
        return 0;
    }
    switch (s->type) {
    case SHAPE_STRUCTURE:
        return decode_structure(out, d, node, s);
    case SHAPE_LIST:
        return decode_list(out, d, node, m);
    case SHAPE_MAP:
        return decode_map(out, d, node, m);
    default:
        break;
    }
    if (node->first)
        return err_set(ERR_INVALID,
                       "parameter '%s' must be a %s, not a structure (found '%s.%.*s')",
                       d->path.data, shape_type_name(s->type), d->path.data,
                       (int)node->first->seg_len, node->first->seg);
    char where[QUERY_MAX_NAME_LEN + 32];
    snprintf(where, sizeof(where), "parameter '%s'", d->path.data);
    return rest_scalar_parse(out, s, node->param->value, node->param->value_len, where);
}

/* ---- protocol entry points ---- */

int query_protocol_match(const struct model_operation **op_out, const struct model_service *svc,
                         const struct aws_request *req)
{
    struct form f;
    int rc = form_read(&f, req);
    if (rc < 0)
        return rc;
    const struct form_param *action = form_get(&f, "Action");
    if (!action || action->value_len == 0) {
        form_release(&f);
        return err_set(ERR_NOT_FOUND, "request has no 'Action' parameter");
    }
    /* A name with a NUL in it matches nothing (and must not reach strncmp). */
    const struct model_operation *op =
        strlen(action->value) == action->value_len
            ? model_operation_find(svc, action->value, action->value_len)
            : NULL;
    if (!op) {
        rc = err_set(ERR_NOT_FOUND, "action '%.100s' is not an operation of service '%s'",
                     action->value, svc->name);
        form_release(&f);
        return rc;
    }
    form_release(&f);
    *op_out = op;
    return 0;
}

int query_protocol_decode(json_t **params_out, const struct model_service *svc,
                          const struct model_operation *op, const struct aws_request *req)
{
    (void)svc;
    struct form f;
    int rc = form_read(&f, req);
    if (rc < 0)
        return rc;
    if (!op->input) {
        form_release(&f);
        *params_out = json_object();
        return 0;
    }
    struct form_node *root = NULL;
    if ((rc = form_tree_build(&root, &f)) < 0) {
        form_release(&f);
        return rc;
    }
    struct decoder d = {.path = BUF_INIT};
    json_t *params = NULL;
    rc = decode_structure(&params, &d, root, op->input);
    buf_release(&d.path);
    form_node_free(root);
    form_release(&f);
    if (rc < 0)
        return rc;
    *params_out = params;
    return 0;
}

static char *response_namespace(const struct model_service *svc)
{
    if (svc->xml_namespace)
        return xstrdup(svc->xml_namespace);
    return xasprintf("https://%s.amazonaws.com/doc/%s/",
                     svc->endpoint_prefix ? svc->endpoint_prefix : svc->name,
                     svc->api_version ? svc->api_version : "");
}

static void write_text_element(struct xml_writer *w, const char *name, const char *text)
{
    xml_writer_element(w, name, text, strlen(text));
}

int query_protocol_encode(struct http_response *resp, const struct model_service *svc,
                          const struct model_operation *op, json_t *output, const char *request_id)
{
    struct buf body = BUF_INIT;
    struct xml_writer w;
    _cleanup_free_ char *ns = response_namespace(svc);
    _cleanup_free_ char *root = xasprintf("%sResponse", op->name);
    int rc = 0;

    xml_writer_init(&w, &body);
    xml_writer_start(&w, root);
    xml_writer_attr(&w, "xmlns", ns, strlen(ns));
    if (op->output) {
        json_t *empty = NULL;
        if (!output)
            output = empty = json_object();
        if (op->result_wrapper)
            xml_writer_start(&w, op->result_wrapper);
        rc = xml_shape_write_members(&w, op->output, output);
        if (op->result_wrapper)
            xml_writer_end(&w);
        json_decref(empty);
    }
    if (rc == 0) {
        xml_writer_start(&w, "ResponseMetadata");
        write_text_element(&w, "RequestId", request_id ? request_id : "");
        xml_writer_end(&w);
        xml_writer_finish(&w);
    }
    xml_writer_release(&w);
    if (rc < 0) {
        buf_release(&body);
        return rc;
    }
    resp->status = 200;
    http_response_add_header(resp, "Content-Type", "text/xml");
    if (request_id)
        http_response_add_header(resp, "x-amzn-RequestId", request_id);
    buf_release(&resp->body);
    resp->body = body;
    return 0;
}

/* Error fields that the <Error> element already carries under fixed names. */
static bool is_error_envelope_name(const char *name)
{
    return strcasecmp(name, "Code") == 0 || strcasecmp(name, "Message") == 0 ||
           strcasecmp(name, "Type") == 0;
}

/*
 * The modelled fields of an error that can go inside <Error>, or NULL. The
 * envelope's own Code/Message/Type are left out, and fields that do not
 * fit their shape drop all fields rather than break the error answer.
 */
static json_t *error_fields(const struct aws_error *err)
{
    if (!err->shape || !json_is_object(err->fields))
        return NULL;
    json_t *fields = json_object();
    for (uint32_t i = 0; i < err->shape->member_count; i++) {
        const struct model_member *m = &err->shape->members[i];
        json_t *v = json_object_get(err->fields, m->name);
        if (v && !is_error_envelope_name(xml_shape_element_name(m)))
            json_object_set(fields, m->name, v);
    }
    struct buf scratch = BUF_INIT;
    struct xml_writer probe;
    xml_writer_init(&probe, &scratch);
    xml_writer_start(&probe, "Error");
    int rc = xml_shape_write_members(&probe, err->shape, fields);
    xml_writer_release(&probe);
    buf_release(&scratch);
    if (rc < 0 || json_object_size(fields) == 0) {
        json_decref(fields);
        return NULL;
    }
    return fields;
}

void query_protocol_encode_error(struct http_response *resp, const struct model_service *svc,
                                 const struct aws_error *err, const char *request_id)
{
    struct buf body = BUF_INIT;
    struct xml_writer w;
    _cleanup_free_ char *ns = response_namespace(svc);
    int status = err->status ? err->status : err->sender ? 400 : 500;

    xml_writer_init(&w, &body);
    xml_writer_start(&w, "ErrorResponse");
    xml_writer_attr(&w, "xmlns", ns, strlen(ns));
    xml_writer_start(&w, "Error");
    json_t *fields = error_fields(err);
    if (fields)
        xml_shape_write_members(&w, err->shape, fields);
    json_decref(fields);
    write_text_element(&w, "Type", err->sender || status < 500 ? "Sender" : "Receiver");
    write_text_element(&w, "Code", err->code ? err->code : "InternalFailure");
    if (err->message)
        write_text_element(&w, "Message", err->message);
    xml_writer_end(&w);
    write_text_element(&w, "RequestId", request_id ? request_id : "");
    xml_writer_finish(&w);
    xml_writer_release(&w);

    resp->status = status;
    http_response_add_header(resp, "Content-Type", "text/xml");
    if (request_id)
        http_response_add_header(resp, "x-amzn-RequestId", request_id);
    buf_release(&resp->body);
    resp->body = body;
}
