#include <jansson.h>

#include "base/common.h"
#include "aws/api.h"
#include "aws/proto_rest.h"
#include "aws/proto_xml.h"
#include "aws/protocol_impl.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/jsonw.h"

/* Output nesting beyond this is a handler bug (a cycle), not data. */
#define XML_WRITE_MAX_DEPTH 100

static bool is_ascii_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- writing ---- */

/*
 * Whether a response carries member `m` in its body: botocore reads every
 * member that is not a header or the status code from there, URI and
 * query-string members included (a shape may serve as input and output).
 */
static bool in_response_body(const struct model_member *m)
{
    return m->location != LOC_HEADER && m->location != LOC_HEADERS && m->location != LOC_STATUSCODE;
}

static bool member_flattened(const struct model_member *m)
{
    return (m->flags & MEMBER_F_FLATTENED) || (m->shape->flags & SHAPE_F_FLATTENED);
}

const char *xml_shape_element_name(const struct model_member *m)
{
    if (m->shape->type == SHAPE_LIST && member_flattened(m) && m->shape->member->location_name)
        return m->shape->member->location_name;
    return model_member_wire_name(m);
}

static void write_namespace(struct xml_writer *w, const struct model_member *m)
{
    const char *prefix = m->xml_ns_prefix, *uri = m->xml_ns_uri;
    if (!uri) {
        prefix = m->shape->xml_ns_prefix;
        uri = m->shape->xml_ns_uri;
    }
    if (!uri)
        return;
    if (prefix && prefix[0]) {
        char *attr = xasprintf("xmlns:%s", prefix);
        xml_writer_attr(w, attr, uri, strlen(uri));
        free(attr);
    } else {
        xml_writer_attr(w, "xmlns", uri, strlen(uri));
    }
}

static int write_value(struct xml_writer *w, const char *name, const struct model_member *m,
                       json_t *value, int depth);

/* Pre-encoded JSON (api.h) has no XML form: a handler bug, named. */
static int raw_json_refused(json_t *value, const char *name)
{
    size_t len;
    if (api_json_raw_text(value, &len))
        return err_set(ERR_INTERNAL, "output '%s' is pre-encoded JSON, which only JSON bodies take",
                       name);
    return 0;
}

static int write_members(struct xml_writer *w, const struct model_shape *shape, json_t *value,
                         int depth)
{
    if (!json_is_object(value))
        return err_set(ERR_INTERNAL, "output '%s' must be an object", shape->name);
    if (raw_json_refused(value, shape->name) < 0)
        return ERR_INTERNAL;
    struct buf text = BUF_INIT;
    int rc = 0;
    /* Attributes first, while the start tag is still open. */
    for (uint32_t i = 0; i < shape->member_count; i++) {
        const struct model_member *m = &shape->members[i];
        json_t *v = json_object_get(value, m->name);
        if (!(m->flags & MEMBER_F_XML_ATTRIBUTE) || !in_response_body(m) || !v || json_is_null(v))
            continue;
        buf_reset(&text);
        char what[256];
        snprintf(what, sizeof(what), "output attribute '%s' of '%s'", model_member_wire_name(m),
                 shape->name);
        rc = rest_scalar_text(&text, m->shape, rest_timestamp_format(m, TS_ISO8601), v, what);
        if (rc < 0)
            goto done;
        xml_writer_attr(w, model_member_wire_name(m), text.data, text.len);
    }
    for (uint32_t i = 0; i < shape->member_count; i++) {
        const struct model_member *m = &shape->members[i];
        json_t *v = json_object_get(value, m->name);
        if ((m->flags & MEMBER_F_XML_ATTRIBUTE) || !in_response_body(m) || !v || json_is_null(v))
            continue;
        if ((rc = write_value(w, xml_shape_element_name(m), m, v, depth + 1)) < 0)
            goto done;
    }
done:
    buf_release(&text);
    return rc;
}

static int write_value(struct xml_writer *w, const char *name, const struct model_member *m,
                       json_t *value, int depth)
{
    const struct model_shape *s = m->shape;
    int rc = 0;
    if (depth > XML_WRITE_MAX_DEPTH)
        return err_set(ERR_INTERNAL, "output nests deeper than %d at '%s'", XML_WRITE_MAX_DEPTH,
                       name);
    if ((rc = raw_json_refused(value, name)) < 0)
        return rc;
    switch (s->type) {
    case SHAPE_STRUCTURE:
        xml_writer_start(w, name);
        write_namespace(w, m);
        rc = write_members(w, s, value, depth);
        xml_writer_end(w);
        return rc;
    case SHAPE_LIST: {
        if (!json_is_array(value))
            return err_set(ERR_INTERNAL, "output '%s' must be an array", name);
        bool flat = member_flattened(m);
        const char *item_name = flat ? name : s->member->location_name ?: "member";
        if (!flat) {
            xml_writer_start(w, name);
            write_namespace(w, m);
        }
        size_t i;
        json_t *item;
        json_array_foreach(value, i, item)
        {
            if (json_is_null(item))
                continue;
            if ((rc = write_value(w, item_name, s->member, item, depth + 1)) < 0)
                return rc;
        }
        if (!flat)
            xml_writer_end(w);
        return 0;
    }
    case SHAPE_MAP: {
        if (!json_is_object(value))
            return err_set(ERR_INTERNAL, "output '%s' must be an object", name);
        bool flat = member_flattened(m);
        const char *key_name = s->key->location_name ?: "key";
        const char *value_name = s->value->location_name ?: "value";
        if (!flat) {
            xml_writer_start(w, name);
            write_namespace(w, m);
        }
        const char *key;
        json_t *item;
        json_object_foreach(value, key, item)
        {
            if (json_is_null(item))
                continue;
            xml_writer_start(w, flat ? name : "entry");
            if (flat)
                write_namespace(w, m);
            json_t *key_value = json_string(key);
            rc = write_value(w, key_name, s->key, key_value, depth + 1);
            json_decref(key_value);
            if (rc < 0)
                return rc;
            if ((rc = write_value(w, value_name, s->value, item, depth + 1)) < 0)
                return rc;
            xml_writer_end(w);
        }
        if (!flat)
            xml_writer_end(w);
        return 0;
    }
    default: {
        struct buf text = BUF_INIT;
        char what[256];
        snprintf(what, sizeof(what), "output element '%s'", name);
        rc = rest_scalar_text(&text, s, rest_timestamp_format(m, TS_ISO8601), value, what);
        if (rc == 0) {
            xml_writer_start(w, name);
            write_namespace(w, m);
            xml_writer_text(w, text.data, text.len);
            xml_writer_end(w);
        }
        buf_release(&text);
        return rc;
    }
    }
}

int xml_shape_write_members(struct xml_writer *w, const struct model_shape *shape, json_t *value)
{
    return write_members(w, shape, value, 0);
}

int xml_shape_write_value(struct xml_writer *w, const char *name, const struct model_member *member,
                          json_t *value)
{
    return write_value(w, name, member, value, 0);
}

/* ---- reading ---- */

static int node_error(const struct xml_node *node, const char *source, const char *fmt, ...)
    PRINTF_LIKE(3, 4);
static int node_error(const struct xml_node *node, const char *source, const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return err_set(ERR_INVALID, "%s:%" PRIu32 ":%" PRIu32 ": %s", source, node->line, node->column,
                   what);
}

static int read_scalar(json_t **out, const struct xml_node *node, const char *text, size_t len,
                       const struct model_member *m, const char *source)
{
    const struct model_shape *s = m->shape;
    struct buf clean = BUF_INIT;
    if (s->type == SHAPE_BLOB) {
        /* Base64 in XML is often wrapped; whitespace carries no data. */
        for (size_t i = 0; i < len; i++)
            if (!is_ascii_space(text[i]))
                buf_addch(&clean, text[i]);
        text = clean.data;
        len = clean.len;
    } else if (s->type != SHAPE_STRING) {
        /* Pretty-printed documents put whitespace around numbers and flags. */
        while (len > 0 && is_ascii_space(text[0]))
            text++, len--;
        while (len > 0 && is_ascii_space(text[len - 1]))
            len--;
    }
    char where[400];
    snprintf(where, sizeof(where), "%s:%" PRIu32 ":%" PRIu32 ": element '%s'", source, node->line,
             node->column, node->name);
    int rc = rest_scalar_parse(out, s, text, len, where);
    buf_release(&clean);
    return rc;
}

static int read_value(json_t **out, const struct xml_node *node, const struct model_member *m,
                      const char *source);

/* Adds the <key>/<value> pair inside `entry` to map `result`. */
static int read_map_entry(json_t *result, const struct xml_node *entry,
                          const struct model_member *m, const char *source)
{
    const struct model_shape *s = m->shape;
    const char *key_name = s->key->location_name ?: "key";
    const struct xml_node *k = xml_child(entry, key_name);
    const struct xml_node *v = xml_child(entry, s->value->location_name ?: "value");
    json_t *key, *val;
    int rc;
    if (!k)
        return node_error(entry, source, "map entry '%s' has no '%s' element", entry->name,
                          key_name);
    if (s->key->shape->type != SHAPE_STRING)
        return node_error(k, source, "map keys of '%s' are not strings", s->name);
    if ((rc = read_value(&key, k, s->key, source)) < 0)
        return rc;
    if (!v) {
        val = json_null();
    } else if ((rc = read_value(&val, v, s->value, source)) < 0) {
        json_decref(key);
        return rc;
    }
    json_object_set_new(result, json_string_value(key), val);
    json_decref(key);
    return 0;
}

/* The items of a flattened list or map: `first` and its same-named siblings. */
static int read_flattened(json_t **out, const struct xml_node *first, const struct model_member *m,
                          const char *source)
{
    const struct model_shape *s = m->shape;
    json_t *result = s->type == SHAPE_LIST ? json_array() : json_object();
    for (const struct xml_node *n = first; n; n = xml_next_named(n)) {
        int rc;
        if (s->type == SHAPE_LIST) {
            json_t *item;
            rc = read_value(&item, n, s->member, source);
            if (rc == 0)
                json_array_append_new(result, item);
        } else {
            rc = read_map_entry(result, n, m, source);
        }
        if (rc < 0) {
            json_decref(result);
            return rc;
        }
    }
    *out = result;
    return 0;
}

int xml_shape_read_structure(json_t **out, const struct xml_node *node,
                             const struct model_shape *shape, const char *source)
{
    json_t *result = json_object();
    int rc;
    for (uint32_t i = 0; i < shape->member_count; i++) {
        const struct model_member *m = &shape->members[i];
        if (m->location != LOC_BODY)
            continue;
        json_t *v = NULL;
        if (m->flags & MEMBER_F_XML_ATTRIBUTE) {
            const char *name = model_member_wire_name(m);
            const struct xml_attr *a = xml_attr_find(node, name);
            if (!a) {
                /* Match "xsi:type" whatever prefix the document chose. */
                const char *colon = strchr(name, ':');
                for (uint32_t j = 0; colon && j < node->attr_count; j++) {
                    const char *an = strchr(node->attrs[j].name, ':');
                    if (an && strcmp(an, colon) == 0)
                        a = &node->attrs[j];
                }
            }
            if (!a)
                continue;
            char where[400];
            snprintf(where, sizeof(where), "%s:%" PRIu32 ":%" PRIu32 ": attribute '%s'", source,
                     node->line, node->column, a->name);
            rc = rest_scalar_parse(&v, m->shape, a->value, a->value_len, where);
        } else {
            const struct xml_node *child = xml_child(node, model_member_wire_name(m));
            /*
             * Other names a client may use: botocore names a flattened
             * list's items by the list member's locationName, and any
             * member by its target shape's locationName.
             */
            if (!child && m->shape->type == SHAPE_LIST && member_flattened(m) &&
                m->shape->member->location_name)
                child = xml_child(node, m->shape->member->location_name);
            if (!child && !m->location_name && m->shape->location_name)
                child = xml_child(node, m->shape->location_name);
            if (!child)
                continue;
            if ((m->shape->type == SHAPE_LIST || m->shape->type == SHAPE_MAP) &&
                member_flattened(m))
                rc = read_flattened(&v, child, m, source);
            else
                rc = read_value(&v, child, m, source);
        }
        if (rc < 0) {
            json_decref(result);
            return rc;
        }
        json_object_set_new(result, m->name, v);
    }
    *out = result;
    return 0;
}

static int read_value(json_t **out, const struct xml_node *node, const struct model_member *m,
                      const char *source)
{
    const struct model_shape *s = m->shape;
    int rc;
    switch (s->type) {
    case SHAPE_STRUCTURE:
        return xml_shape_read_structure(out, node, s, source);
    case SHAPE_LIST: {
        json_t *result = json_array();
        for (const struct xml_node *c = node->first_child; c; c = c->next) {
            json_t *item;
            if ((rc = read_value(&item, c, s->member, source)) < 0) {
                json_decref(result);
                return rc;
            }
            json_array_append_new(result, item);
        }
        *out = result;
        return 0;
    }
    case SHAPE_MAP: {
        json_t *result = json_object();
        for (const struct xml_node *entry = node->first_child; entry; entry = entry->next) {
            if ((rc = read_map_entry(result, entry, m, source)) < 0) {
                json_decref(result);
                return rc;
            }
        }
        *out = result;
        return 0;
    }
    default:
        if (node->first_child)
            return node_error(node->first_child, source,
                              "element '%s' must hold a %s, not element '%s'", node->name,
                              shape_type_name(s->type), node->first_child->name);
        return read_scalar(out, node, node->text, node->text_len, m, source);
    }
}

int xml_shape_read_value(json_t **out, const struct xml_node *node,
                         const struct model_member *member, const char *source)
{
    return read_value(out, node, member, source);
}

/* ---- restXml ---- */

/*
 * restXml: the REST bindings of proto_rest.c with XML bodies. The body is
 * one element holding the body members (its name is the input's
 * locationName on the way in, which is not checked, and the output shape's
 * locationName or name on the way out); a structure payload member is the
 * whole document instead, a blob or string payload the raw body. Errors
 * are S3's: <Error><Code/><Message/><RequestId/></Error>.
 */

static const char *const xml_content_type = "application/xml";

static bool has_body_members(const struct model_shape *shape, bool response)
{
    for (uint32_t i = 0; shape && i < shape->member_count; i++) {
        const struct model_member *m = &shape->members[i];
        if (response ? in_response_body(m) : m->location == LOC_BODY)
            return true;
    }
    return false;
}

static int parse_body(struct xml_doc **doc_out, const struct aws_request *req)
{
    return xml_parse(doc_out, req->body, req->body_len, "request body", NULL);
}

static int decode_payload(json_t *params, const struct model_member *payload,
                          const struct aws_request *req)
{
    if (rest_payload_is_raw(payload))
        return rest_decode_raw_payload(params, payload, req);
    if (req->body_len == 0)
        return 0;
    struct xml_doc *doc;
    int rc = parse_body(&doc, req);
    if (rc < 0)
        return rc;
    json_t *value;
    rc = xml_shape_read_value(&value, doc->root, payload, "request body");
    xml_doc_free(doc);
    if (rc < 0)
        return rc;
    json_object_set_new(params, payload->name, value);
    return 0;
}

static int decode_body_members(json_t *params, const struct model_shape *input,
                               const struct aws_request *req)
{
    if (req->body_len == 0 || !has_body_members(input, false))
        return 0;
    struct xml_doc *doc;
    int rc = parse_body(&doc, req);
    if (rc < 0)
        return rc;
    json_t *body;
    rc = xml_shape_read_structure(&body, doc->root, input, "request body");
    xml_doc_free(doc);
    if (rc < 0)
        return rc;
    json_object_update(params, body);
    json_decref(body);
    return 0;
}

int restxml_decode(json_t **params_out, const struct model_service *svc,
                   const struct model_operation *op, const struct aws_request *req)
{
    (void)svc;
    json_t *params = json_object();
    const struct model_member *payload = rest_payload_member(op->input);
    int rc = rest_decode_bindings(params, op, req);
    if (rc == 0 && op->input)
        rc = payload ? decode_payload(params, payload, req)
                     : decode_body_members(params, op->input, req);
    if (rc < 0) {
        json_decref(params);
        return rc;
    }
    *params_out = params;
    return 0;
}

/* The default namespace of a service's documents, as S3 writes it. */
static char *service_namespace(const struct model_service *svc)
{
    if (svc->xml_namespace)
        return xstrdup(svc->xml_namespace);
    return xasprintf("http://%s.amazonaws.com/doc/%s/",
                     svc->endpoint_prefix ? svc->endpoint_prefix : svc->name,
                     svc->api_version ? svc->api_version : "");
}

/* Writes a whole document: root element `name` holding structure `shape`. */
static int write_document(struct buf *out, const struct model_service *svc, const char *name,
                          const struct model_member *member, const struct model_shape *shape,
                          json_t *value)
{
    struct xml_writer w;
    int rc;
    xml_writer_init(&w, out);
    xml_writer_declaration(&w);
    if (member && shape->type != SHAPE_STRUCTURE) {
        rc = xml_shape_write_value(&w, name, member, value);
    } else {
        xml_writer_start(&w, name);
        const char *prefix =
            member && member->xml_ns_uri ? member->xml_ns_prefix : shape->xml_ns_prefix;
        const char *uri = member && member->xml_ns_uri ? member->xml_ns_uri : shape->xml_ns_uri;
        _cleanup_free_ char *dflt = NULL;
        if (!uri)
            uri = dflt = service_namespace(svc);
        if (prefix && prefix[0]) {
            _cleanup_free_ char *attr = xasprintf("xmlns:%s", prefix);
            xml_writer_attr(&w, attr, uri, strlen(uri));
        } else {
            xml_writer_attr(&w, "xmlns", uri, strlen(uri));
        }
        rc = xml_shape_write_members(&w, shape, value);
    }
    xml_writer_finish(&w);
    xml_writer_release(&w);
    return rc;
}

/*
 * S3 names its response documents by Smithy xmlName traits that botocore's
 * JSON model does not carry. botocore ignores the root's name, other
 * clients may not; and one document is different in kind: the answer to
 * GetBucketLocation is the bare <LocationConstraint> element, whose text
 * botocore's handler (parse_get_bucket_location) reads from the root.
 */
static const struct s3_document {
    const char *operation;
    const char *root;
    bool root_is_member; /* the root is the structure's only member, as text */
} s3_documents[] = {
    {"CompleteMultipartUpload", "CompleteMultipartUploadResult", false},
    {"CreateMultipartUpload", "InitiateMultipartUploadResult", false},
    {"DeleteObjects", "DeleteResult", false},
    {"GetBucketAccelerateConfiguration", "AccelerateConfiguration", false},
    {"GetBucketAcl", "AccessControlPolicy", false},
    {"GetBucketCors", "CORSConfiguration", false},
    {"GetBucketLifecycleConfiguration", "LifecycleConfiguration", false},
    {"GetBucketLocation", "LocationConstraint", true},
    {"GetBucketLogging", "BucketLoggingStatus", false},
    {"GetBucketNotificationConfiguration", "NotificationConfiguration", false},
    {"GetBucketRequestPayment", "RequestPaymentConfiguration", false},
    {"GetBucketTagging", "Tagging", false},
    {"GetBucketVersioning", "VersioningConfiguration", false},
    {"GetBucketWebsite", "WebsiteConfiguration", false},
    {"GetObjectAcl", "AccessControlPolicy", false},
    {"GetObjectAttributes", "GetObjectAttributesResponse", false},
    {"GetObjectTagging", "Tagging", false},
    {"ListBuckets", "ListAllMyBucketsResult", false},
    {"ListMultipartUploads", "ListMultipartUploadsResult", false},
    {"ListObjectVersions", "ListVersionsResult", false},
    {"ListObjects", "ListBucketResult", false},
    {"ListObjectsV2", "ListBucketResult", false},
    {"ListParts", "ListPartsResult", false},
};

static const struct s3_document *s3_document_find(const struct model_service *svc,
                                                  const struct model_operation *op)
{
    if (!svc->endpoint_prefix || strcmp(svc->endpoint_prefix, "s3") != 0)
        return NULL;
    for (size_t i = 0; i < ARRAY_SIZE(s3_documents); i++)
        if (strcmp(s3_documents[i].operation, op->name) == 0)
            return &s3_documents[i];
    return NULL;
}

/* <LocationConstraint xmlns="...">eu-west-1</LocationConstraint> */
static int write_member_document(struct buf *out, const struct model_service *svc,
                                 const struct model_shape *shape, const char *root, json_t *value)
{
    const struct model_member *m = model_member_find(shape, root, strlen(root));
    if (!m || m->shape->type == SHAPE_STRUCTURE || m->shape->type == SHAPE_LIST ||
        m->shape->type == SHAPE_MAP)
        return err_set(ERR_INTERNAL, "output '%s' has no scalar member '%s'", shape->name, root);
    struct buf text = BUF_INIT;
    json_t *v = json_object_get(value, m->name);
    char where[256];
    snprintf(where, sizeof(where), "output element '%s'", root);
    int rc = v && !json_is_null(v)
                 ? rest_scalar_text(&text, m->shape, rest_timestamp_format(m, TS_ISO8601), v, where)
                 : 0;
    if (rc == 0) {
        struct xml_writer w;
        _cleanup_free_ char *ns = service_namespace(svc);
        xml_writer_init(&w, out);
        xml_writer_declaration(&w);
        xml_writer_start(&w, root);
        xml_writer_attr(&w, "xmlns", ns, strlen(ns));
        xml_writer_text(&w, text.data, text.len);
        xml_writer_finish(&w);
        xml_writer_release(&w);
    }
    buf_release(&text);
    return rc;
}

static int encode_body(struct http_response *resp, const struct model_service *svc,
                       const struct model_operation *op, const struct model_shape *shape,
                       json_t *value)
{
    const struct model_member *payload = rest_payload_member(shape);
    int rc;
    if (payload && rest_payload_is_raw(payload))
        return rest_encode_raw_payload(resp, payload, value);
    if (payload) {
        json_t *item = json_object_get(value, payload->name);
        if (!item || json_is_null(item))
            return 0;
        const char *name = payload->location_name          ? payload->location_name
                           : payload->shape->location_name ? payload->shape->location_name
                                                           : payload->shape->name;
        rc = write_document(&resp->body, svc, name, payload, payload->shape, item);
    } else if (has_body_members(shape, true)) {
        const struct s3_document *doc = s3_document_find(svc, op);
        const char *name = shape->location_name ? shape->location_name
                           : doc                ? doc->root
                                                : shape->name;
        if (doc && doc->root_is_member)
            rc = write_member_document(&resp->body, svc, shape, doc->root, value);
        else
            rc = write_document(&resp->body, svc, name, NULL, shape, value);
    } else {
        return 0;
    }
    if (rc < 0)
        return rc;
    if (!http_response_header(resp, "Content-Type"))
        http_response_add_header(resp, "Content-Type", xml_content_type);
    return 0;
}

static void add_request_id(struct http_response *resp, const char *request_id)
{
    if (!request_id)
        return;
    /* botocore's RestXMLParser reads these into ResponseMetadata. */
    http_response_add_header(resp, "x-amz-request-id", request_id);
    http_response_add_header(resp, "x-amz-id-2", request_id);
}

/* Moves a staged response's status, headers and body into `resp`. */
static void take_staged(struct http_response *resp, struct http_response *staged)
{
    resp->status = staged->status;
    for (size_t i = 0; i < staged->header_count; i++)
        http_response_add_header(resp, staged->headers[i].name, staged->headers[i].value);
    buf_add(&resp->body, staged->body.data, staged->body.len);
    http_response_release(staged);
}

int restxml_encode(struct http_response *resp, const struct model_service *svc,
                   const struct model_operation *op, json_t *output, const char *request_id)
{
    buf_reset(&resp->body);
    resp->status = op->response_code ? op->response_code : 200;
    if (op->output) {
        json_t *empty = NULL;
        if (!json_is_object(output))
            output = empty = json_object();
        /* Staged so that a failure leaves `resp` as it was. */
        struct http_response staged;
        http_response_init(&staged);
        staged.status = resp->status;
        int rc = rest_encode_bindings(&staged, op->output, output);
        if (rc == 0)
            rc = encode_body(&staged, svc, op, op->output, output);
        json_decref(empty);
        if (rc < 0) {
            http_response_release(&staged);
            return rc;
        }
        take_staged(resp, &staged);
    }
    add_request_id(resp, request_id);
    return 0;
}

/* Error fields that the <Error> element carries under fixed names. */
static bool is_error_envelope_name(const char *name)
{
    return strcmp(name, "Code") == 0 || strcmp(name, "Message") == 0 ||
           strcmp(name, "RequestId") == 0 || strcmp(name, "HostId") == 0;
}

static void write_error(struct buf *out, const struct aws_error *err, json_t *fields,
                        const char *request_id)
{
    struct xml_writer w;
    xml_writer_init(&w, out);
    xml_writer_declaration(&w);
    xml_writer_start(&w, "Error");
    if (fields && err->shape) {
        xml_shape_write_members(&w, err->shape, fields);
    } else if (fields) {
        /* Fields of an error the model does not describe (S3's
         * RangeRequested, ActualObjectSize, Condition ...): simple values
         * under their own names. */
        const char *name;
        json_t *v;
        json_object_foreach(fields, name, v)
        {
            char number[32];
            const char *text = json_string_value(v);
            if (json_is_integer(v)) {
                snprintf(number, sizeof(number), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                text = number;
            }
            if (text && !is_error_envelope_name(name))
                xml_writer_element(&w, name, text, strlen(text));
        }
    }
    xml_writer_element(&w, "Code", err->code, strlen(err->code));
    if (err->message)
        xml_writer_element(&w, "Message", err->message, strlen(err->message));
    if (request_id) {
        xml_writer_element(&w, "RequestId", request_id, strlen(request_id));
        xml_writer_element(&w, "HostId", request_id, strlen(request_id));
    }
    xml_writer_finish(&w);
    xml_writer_release(&w);
}

void restxml_encode_error(struct http_response *resp, const struct model_service *svc,
                          const struct aws_error *err, const char *request_id)
{
    (void)svc;
    struct aws_error bare = *err;
    bare.code = err->code ? err->code : "InternalError";
    bare.shape = NULL;
    buf_reset(&resp->body);
    resp->status = err->status ? err->status : err->shape ? err->shape->error_status : 400;

    struct http_response staged;
    http_response_init(&staged);
    staged.status = resp->status;
    int rc = -1;
    if (err->shape && json_is_object(err->fields)) {
        /* The body members that do not clash with the envelope's. */
        json_t *fields = json_object();
        for (uint32_t i = 0; i < err->shape->member_count; i++) {
            const struct model_member *m = &err->shape->members[i];
            json_t *v = json_object_get(err->fields, m->name);
            if (v && (!in_response_body(m) || !is_error_envelope_name(xml_shape_element_name(m))))
                json_object_set(fields, m->name, v);
        }
        struct buf probe = BUF_INIT;
        struct xml_writer w;
        xml_writer_init(&w, &probe);
        xml_writer_start(&w, "Error");
        rc = rest_encode_bindings(&staged, err->shape, fields);
        if (rc == 0)
            rc = xml_shape_write_members(&w, err->shape, fields);
        xml_writer_release(&w);
        buf_release(&probe);
        if (rc == 0) {
            bare.shape = err->shape;
            write_error(&staged.body, &bare, fields, request_id);
        }
        json_decref(fields);
    }
    if (rc < 0) {
        /* A field that does not fit its model must not cost the client the
         * error itself: fall back to code and message (and the simple
         * fields of an error the model does not describe). */
        http_response_release(&staged);
        http_response_init(&staged);
        staged.status = resp->status;
        bare.shape = NULL;
        write_error(&staged.body, &bare, err->shape ? NULL : err->fields, request_id);
    }
    take_staged(resp, &staged);
    http_response_add_header(resp, "Content-Type", xml_content_type);
    add_request_id(resp, request_id);
}
