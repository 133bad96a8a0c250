#include <jansson.h>

#include "base/common.h"
#include "aws/model_load.h"
#include "base/alloc.h"
#include "base/err.h"

/*
 * A loaded service owns every allocation made for it; they are recorded in
 * `allocs` and freed together.
 */
struct loaded_service {
    struct model_service svc;
    void **allocs;
    size_t alloc_count;
    size_t alloc_cap;
};

static void *own(struct loaded_service *ls, void *p)
{
    ALLOC_GROW(ls->allocs, ls->alloc_count + 1, ls->alloc_cap);
    ls->allocs[ls->alloc_count++] = p;
    return p;
}

static const char *own_str(struct loaded_service *ls, const char *s)
{
    return s ? own(ls, xstrdup(s)) : NULL;
}

static const char *get_str(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool get_bool(json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

static int parse_type(const char *type)
{
    static const struct {
        const char *name;
        enum shape_type type;
    } types[] = {
        {"structure", SHAPE_STRUCTURE},
        {"list", SHAPE_LIST},
        {"map", SHAPE_MAP},
        {"string", SHAPE_STRING},
        {"boolean", SHAPE_BOOLEAN},
        {"integer", SHAPE_INTEGER},
        {"long", SHAPE_LONG},
        {"float", SHAPE_FLOAT},
        {"double", SHAPE_DOUBLE},
        {"bigInteger", SHAPE_BIGINTEGER},
        {"bigDecimal", SHAPE_BIGDECIMAL},
        {"timestamp", SHAPE_TIMESTAMP},
        {"blob", SHAPE_BLOB},
        {"character", SHAPE_STRING},
        {"byte", SHAPE_INTEGER},
        {"short", SHAPE_INTEGER},
    };
    for (size_t i = 0; i < ARRAY_SIZE(types); i++)
        if (strcmp(types[i].name, type) == 0)
            return types[i].type;
    return -1;
}

static int parse_timestamp_format(const char *s)
{
    if (!s)
        return TS_DEFAULT;
    if (strcmp(s, "iso8601") == 0)
        return TS_ISO8601;
    if (strcmp(s, "rfc822") == 0)
        return TS_RFC822;
    if (strcmp(s, "unixTimestamp") == 0)
        return TS_UNIX;
    return -1;
}

static int parse_location(const char *s)
{
    if (!s)
        return LOC_BODY;
    if (strcmp(s, "header") == 0)
        return LOC_HEADER;
    if (strcmp(s, "headers") == 0)
        return LOC_HEADERS;
    if (strcmp(s, "uri") == 0)
        return LOC_URI;
    if (strcmp(s, "querystring") == 0)
        return LOC_QUERYSTRING;
    if (strcmp(s, "statusCode") == 0)
        return LOC_STATUSCODE;
    return -1;
}

static int compare_shapes(const void *a, const void *b)
{
    return strcmp(((const struct model_shape *)a)->name, ((const struct model_shape *)b)->name);
}

static int compare_operations(const void *a, const void *b)
{
    return strcmp(((const struct model_operation *)a)->name,
                  ((const struct model_operation *)b)->name);
}

static const struct model_shape *resolve(const struct model_service *svc, json_t *ref,
                                         const char *where)
{
    const char *name = get_str(ref, "shape");
    if (!name) {
        err_set(ERR_INVALID, "%s: missing 'shape' reference", where);
        return NULL;
    }
    const struct model_shape *s = model_shape_find(svc, name);
    if (!s)
        err_set(ERR_INVALID, "%s: unknown shape '%s'", where, name);
    return s;
}

static int load_member(struct loaded_service *ls, struct model_member *m, const char *name,
                       json_t *def, const char *where)
{
    m->name = own_str(ls, name);
    m->shape = resolve(&ls->svc, def, where);
    if (!m->shape)
        return ERR_INVALID;
    m->location_name = own_str(ls, get_str(def, "locationName"));
    m->query_name = own_str(ls, get_str(def, "queryName"));
    json_t *ns = json_object_get(def, "xmlNamespace");
    if (json_is_object(ns)) {
        m->xml_ns_prefix = own_str(ls, get_str(ns, "prefix"));
        m->xml_ns_uri = own_str(ls, get_str(ns, "uri"));
    } else if (json_is_string(ns)) {
        m->xml_ns_uri = own_str(ls, json_string_value(ns));
    }
    int loc = parse_location(get_str(def, "location"));
    if (loc < 0)
        return err_set(ERR_INVALID, "%s: unknown location '%s'", where, get_str(def, "location"));
    m->location = (uint8_t)loc;
    int tsf = parse_timestamp_format(get_str(def, "timestampFormat"));
    if (tsf < 0)
        return err_set(ERR_INVALID, "%s: unknown timestampFormat", where);
    m->timestamp_format = (uint8_t)tsf;
    static const struct {
        const char *key;
        uint16_t flag;
    } flags[] = {
        {"xmlAttribute", MEMBER_F_XML_ATTRIBUTE},
        {"flattened", MEMBER_F_FLATTENED},
        {"idempotencyToken", MEMBER_F_IDEMPOTENCY_TOKEN},
        {"jsonvalue", MEMBER_F_JSONVALUE},
        {"hostLabel", MEMBER_F_HOST_LABEL},
        {"eventpayload", MEMBER_F_EVENTPAYLOAD},
        {"streaming", MEMBER_F_STREAMING},
    };
    for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
        if (get_bool(def, flags[i].key))
            m->flags |= flags[i].flag;
    return 0;
}

static struct model_member *load_single(struct loaded_service *ls, json_t *def, const char *part,
                                        const char *shape_name)
{
    char where[512];
    snprintf(where, sizeof(where), "shape '%s' %s", shape_name, part);
    if (!json_is_object(def)) {
        err_set(ERR_INVALID, "%s: missing", where);
        return NULL;
    }
    struct model_member *m = own(ls, xcalloc(1, sizeof(*m)));
    if (load_member(ls, m, part, def, where) < 0)
        return NULL;
    return m;
}

static int load_shape_body(struct loaded_service *ls, struct model_shape *s, json_t *def)
{
    const char *name = s->name;
    char where[512];

    int tsf = parse_timestamp_format(get_str(def, "timestampFormat"));
    if (tsf < 0)
        return err_set(ERR_INVALID, "shape '%s': unknown timestampFormat", name);
    s->timestamp_format = (uint8_t)tsf;

    json_t *v;
    if ((v = json_object_get(def, "min")) && json_is_number(v)) {
        s->min = json_number_value(v);
        s->flags |= SHAPE_F_HAS_MIN;
    }
    if ((v = json_object_get(def, "max")) && json_is_number(v)) {
        s->max = json_number_value(v);
        s->flags |= SHAPE_F_HAS_MAX;
    }
    s->pattern = own_str(ls, get_str(def, "pattern"));
    s->payload = own_str(ls, get_str(def, "payload"));
    s->location_name = own_str(ls, get_str(def, "locationName"));
    json_t *ns = json_object_get(def, "xmlNamespace");
    if (json_is_object(ns)) {
        s->xml_ns_prefix = own_str(ls, get_str(ns, "prefix"));
        s->xml_ns_uri = own_str(ls, get_str(ns, "uri"));
    }

    static const struct {
        const char *key;
        uint16_t flag;
    } flags[] = {
        {"flattened", SHAPE_F_FLATTENED},
        {"sensitive", SHAPE_F_SENSITIVE},
        {"streaming", SHAPE_F_STREAMING},
        {"exception", SHAPE_F_EXCEPTION},
        {"union", SHAPE_F_UNION},
        {"document", SHAPE_F_DOCUMENT},
        {"eventstream", SHAPE_F_EVENTSTREAM},
        {"event", SHAPE_F_EVENT},
        {"fault", SHAPE_F_FAULT},
        {"requiresLength", SHAPE_F_REQUIRES_LENGTH},
    };
    for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
        if (get_bool(def, flags[i].key))
            s->flags |= flags[i].flag;

    json_t *enums = json_object_get(def, "enum");
    if (json_is_array(enums) && json_array_size(enums) > 0) {
        size_t n = json_array_size(enums);
        const char **vals = own(ls, xcalloc(n, sizeof(*vals)));
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(enums, i);
            if (!json_is_string(e))
                return err_set(ERR_INVALID, "shape '%s': enum value %zu is not a string", name, i);
            vals[i] = own_str(ls, json_string_value(e));
        }
        s->enum_values = vals;
        s->enum_count = (uint32_t)n;
    }

    if (s->flags & SHAPE_F_EXCEPTION) {
        json_t *error = json_object_get(def, "error");
        const char *code = get_str(error, "code");
        s->error_code = own_str(ls, code ? code : name);
        json_t *status = json_object_get(error, "httpStatusCode");
        s->error_status = json_is_integer(status)      ? (uint16_t)json_integer_value(status)
                          : (s->flags & SHAPE_F_FAULT) ? 500
                                                       : 400;
        if (get_bool(error, "senderFault"))
            s->flags |= SHAPE_F_SENDER_FAULT;
    }

    switch (s->type) {
    case SHAPE_STRUCTURE: {
        json_t *members = json_object_get(def, "members");
        size_t n = json_is_object(members) ? json_object_size(members) : 0;
        struct model_member *ms = own(ls, xcalloc(n ? n : 1, sizeof(*ms)));
        size_t i = 0;
        const char *mname;
        json_t *mdef;
        json_object_foreach(members, mname, mdef)
        {
            snprintf(where, sizeof(where), "shape '%s' member '%s'", name, mname);
            if (load_member(ls, &ms[i], mname, mdef, where) < 0)
                return ERR_INVALID;
            i++;
        }
        json_t *required = json_object_get(def, "required");
        for (size_t r = 0; r < json_array_size(required); r++) {
            const char *rname = json_string_value(json_array_get(required, r));
            bool found = false;
            for (size_t j = 0; rname && j < n; j++) {
                if (strcmp(ms[j].name, rname) == 0) {
                    ms[j].flags |= MEMBER_F_REQUIRED;
                    found = true;
                }
            }
            if (!found)
                return err_set(ERR_INVALID, "shape '%s': required member '%s' is not a member",
                               name, rname ? rname : "?");
        }
        s->members = ms;
        s->member_count = (uint32_t)n;
        break;
    }
    case SHAPE_LIST:
        if (!(s->member = load_single(ls, json_object_get(def, "member"), "member", name)))
            return ERR_INVALID;
        if (s->flags & SHAPE_F_FLATTENED)
            ((struct model_member *)s->member)->flags |= MEMBER_F_FLATTENED;
        break;
    case SHAPE_MAP:
        if (!(s->key = load_single(ls, json_object_get(def, "key"), "key", name)) ||
            !(s->value = load_single(ls, json_object_get(def, "value"), "value", name)))
            return ERR_INVALID;
        break;
    default:
        break;
    }
    return 0;
}

static int load_operation(struct loaded_service *ls, struct model_operation *op, const char *name,
                          json_t *def)
{
    char where[512];
    snprintf(where, sizeof(where), "operation '%s'", name);
    op->name = own_str(ls, name);
    json_t *http = json_object_get(def, "http");
    op->http_method = own_str(ls, get_str(http, "method") ? get_str(http, "method") : "POST");
    op->request_uri = own_str(ls, get_str(http, "requestUri") ? get_str(http, "requestUri") : "/");
    json_t *rc = json_object_get(http, "responseCode");
    op->response_code = json_is_integer(rc) ? (uint16_t)json_integer_value(rc) : 0;

    json_t *input = json_object_get(def, "input");
    if (json_is_object(input)) {
        if (!(op->input = resolve(&ls->svc, input, where)))
            return ERR_INVALID;
        op->input_location_name = own_str(ls, get_str(input, "locationName"));
        json_t *ns = json_object_get(input, "xmlNamespace");
        if (json_is_object(ns))
            op->input_xml_ns_uri = own_str(ls, get_str(ns, "uri"));
    }
    json_t *output = json_object_get(def, "output");
    if (json_is_object(output)) {
        if (!(op->output = resolve(&ls->svc, output, where)))
            return ERR_INVALID;
        op->result_wrapper = own_str(ls, get_str(output, "resultWrapper"));
    }
    json_t *errors = json_object_get(def, "errors");
    size_t n = json_array_size(errors);
    if (n) {
        const struct model_shape **errs = own(ls, xcalloc(n, sizeof(*errs)));
        for (size_t i = 0; i < n; i++)
            if (!(errs[i] = resolve(&ls->svc, json_array_get(errors, i), where)))
                return ERR_INVALID;
        op->errors = errs;
        op->error_count = (uint32_t)n;
    }
    op->host_prefix = own_str(ls, get_str(json_object_get(def, "endpoint"), "hostPrefix"));
    if (get_bool(def, "httpChecksumRequired") ||
        get_bool(json_object_get(def, "httpChecksum"), "requestChecksumRequired"))
        op->flags |= OP_F_HTTP_CHECKSUM_REQUIRED;
    const char *authtype = get_str(def, "authtype");
    json_t *auth = json_object_get(def, "auth");
    if ((authtype && strcmp(authtype, "none") == 0) ||
        (json_array_size(auth) == 1 &&
         strcmp(json_string_value(json_array_get(auth, 0)) ?: "", "smithy.api#noAuth") == 0))
        op->flags |= OP_F_AUTH_NONE;
    if (get_bool(def, "idempotent"))
        op->flags |= OP_F_IDEMPOTENT;
    if (get_bool(def, "unsignedPayload"))
        op->flags |= OP_F_UNSIGNED_PAYLOAD;
    return 0;
}

static int load_metadata(struct loaded_service *ls, json_t *meta)
{
    struct model_service *svc = &ls->svc;
    const char *protocol = get_str(meta, "protocol");
    if (!protocol)
        return err_set(ERR_INVALID, "metadata: missing 'protocol'");
    if (strcmp(protocol, "json") == 0)
        svc->protocol = PROTO_JSON;
    else if (strcmp(protocol, "query") == 0)
        svc->protocol = PROTO_QUERY;
    else if (strcmp(protocol, "rest-xml") == 0)
        svc->protocol = PROTO_REST_XML;
    else if (strcmp(protocol, "rest-json") == 0)
        svc->protocol = PROTO_REST_JSON;
    else if (strcmp(protocol, "ec2") == 0)
        svc->protocol = PROTO_EC2;
    else
        return err_set(ERR_INVALID, "metadata: unsupported protocol '%s'", protocol);
    svc->api_version = own_str(ls, get_str(meta, "apiVersion"));
    svc->json_version = own_str(ls, get_str(meta, "jsonVersion"));
    svc->target_prefix = own_str(ls, get_str(meta, "targetPrefix"));
    svc->endpoint_prefix = own_str(ls, get_str(meta, "endpointPrefix"));
    const char *signing = get_str(meta, "signingName");
    svc->signing_name = own_str(ls, signing ? signing : get_str(meta, "endpointPrefix"));
    svc->service_id = own_str(ls, get_str(meta, "serviceId"));
    svc->xml_namespace = own_str(ls, get_str(meta, "xmlNamespace"));
    svc->global_endpoint = get_str(meta, "globalEndpoint") != NULL;
    return 0;
}

int model_load(struct model_service **out, json_t *root, const char *name)
{
    struct loaded_service *ls = xcalloc(1, sizeof(*ls));
    struct model_service *svc = &ls->svc;
    int rc;

    svc->name = own_str(ls, name);
    if ((rc = load_metadata(ls, json_object_get(root, "metadata"))) < 0)
        goto fail;

    /* Pass 1: every shape exists, sorted, so references can be resolved. */
    json_t *shapes = json_object_get(root, "shapes");
    size_t n = json_is_object(shapes) ? json_object_size(shapes) : 0;
    struct model_shape *ss = own(ls, xcalloc(n ? n : 1, sizeof(*ss)));
    size_t i = 0;
    const char *sname;
    json_t *sdef;
    json_object_foreach(shapes, sname, sdef)
    {
        const char *type = get_str(sdef, "type");
        int t = type ? parse_type(type) : -1;
        if (t < 0) {
            rc = err_set(ERR_INVALID, "shape '%s': unknown type '%s'", sname, type ? type : "");
            goto fail;
        }
        ss[i].name = own_str(ls, sname);
        ss[i].type = (uint8_t)t;
        i++;
    }
    qsort(ss, n, sizeof(*ss), compare_shapes);
    svc->shapes = ss;
    svc->shape_count = (uint32_t)n;

    /* Pass 2: bodies, with references resolved. */
    for (i = 0; i < n; i++) {
        if ((rc = load_shape_body(ls, &ss[i], json_object_get(shapes, ss[i].name))) < 0)
            goto fail;
    }

    json_t *ops = json_object_get(root, "operations");
    size_t nops = json_is_object(ops) ? json_object_size(ops) : 0;
    struct model_operation *os = own(ls, xcalloc(nops ? nops : 1, sizeof(*os)));
    i = 0;
    const char *oname;
    json_t *odef;
    json_object_foreach(ops, oname, odef)
    {
        if ((rc = load_operation(ls, &os[i], oname, odef)) < 0)
            goto fail;
        i++;
    }
    qsort(os, nops, sizeof(*os), compare_operations);
    svc->operations = os;
    svc->operation_count = (uint32_t)nops;

    *out = svc;
    return 0;
fail:
    model_service_free(svc);
    return rc;
}

int model_load_file(struct model_service **out, const char *path, const char *name)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        return err_set(ERR_INVALID, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    int rc = model_load(out, root, name);
    json_decref(root);
    return rc;
}

void model_service_free(struct model_service *svc)
{
    if (!svc)
        return;
    struct loaded_service *ls = (struct loaded_service *)svc;
    for (size_t i = 0; i < ls->alloc_count; i++)
        free(ls->allocs[i]);
    free(ls->allocs);
    free(ls);
}
