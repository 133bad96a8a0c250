#include "base/common.h"
#include "aws/api.h"
#include "base/err.h"

static int authorize_admin_only(struct api_call *call, const struct api_authz *req);

static authorize_fn authorizer = authorize_admin_only;

void api_set_authorizer(authorize_fn fn)
{
    authorizer = fn ? fn : authorize_admin_only;
}

static int authorize_admin_only(struct api_call *call, const struct api_authz *req)
{
    const struct principal *principal = call->principal;
    if (principal->admin || principal->type == PRINCIPAL_ROOT ||
        strcmp(req->action, "sts:GetCallerIdentity") == 0)
        return 0;
    return err_set(ERR_DENIED,
                   "User: %s is not authorized to perform: %s on resource: %s because no "
                   "identity-based policy allows the %s action",
                   principal->arn, req->action, req->resource, req->action);
}

int api_error(struct api_call *call, int kind, const char *code, const char *fmt, ...)
{
    snprintf(call->error_code, sizeof(call->error_code), "%s", code);
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return err_set(kind, "%s", msg);
}

void api_action_name(char *out, size_t size, const struct api_call *call)
{
    const char *prefix =
        call->service->signing_name ? call->service->signing_name : call->service->name;
    snprintf(out, size, "%s:%s", prefix, call->op ? call->op->name : "");
}

/* FNV-1a over action and resource, for the per-call decision cache. */
static uint64_t decision_key(const char *action, const char *resource)
{
    uint64_t h = 14695981039346656037ull;
    for (const char *p = action; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (const char *p = resource; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

int api_authorize_request(struct api_call *call, const struct api_authz *req)
{
    call->authorized = true;
    /* Only plain questions are remembered: a resource policy or condition
     * keys make each question its own. */
    bool plain = !req->resource_policy && req->condition_count == 0 && !req->resource_account;
    uint64_t key = plain ? decision_key(req->action, req->resource) : 0;
    for (unsigned i = 0; plain && i < call->allowed_count; i++)
        if (call->allowed[i] == key)
            return 0;
    int rc = authorizer(call, req);
    if (rc < 0) {
        /* AWS spells it differently per protocol. */
        const char *code =
            call->service->protocol == PROTO_JSON || call->service->protocol == PROTO_REST_JSON
                ? "AccessDeniedException"
                : "AccessDenied";
        snprintf(call->error_code, sizeof(call->error_code), "%s", code);
        return rc;
    }
    if (plain && call->allowed_count < API_DECISIONS_CACHED)
        call->allowed[call->allowed_count++] = key;
    return 0;
}

json_t *api_json_raw(struct buf *encoded)
{
    json_t *raw = json_object();
    /* The key is not UTF-8 by design (see api.h): set it unchecked. */
    json_object_set_new_nocheck(raw, API_JSON_RAW_KEY,
                                json_stringn_nocheck(encoded->data, encoded->len));
    buf_release(encoded);
    return raw;
}

const char *api_json_raw_text(json_t *v, size_t *len_out)
{
    if (!json_is_object(v) || json_object_size(v) != 1)
        return NULL;
    json_t *text = json_object_get(v, API_JSON_RAW_KEY);
    if (!json_is_string(text))
        return NULL;
    *len_out = json_string_length(text);
    return json_string_value(text);
}

bool api_call_takes_raw_json(const struct api_call *call)
{
    return call->http && call->service &&
           (call->service->protocol == PROTO_JSON || call->service->protocol == PROTO_REST_JSON);
}

int api_authorize(struct api_call *call, const char *action, const char *resource)
{
    struct api_authz req = {.action = action, .resource = resource};
    return api_authorize_request(call, &req);
}

/*
 * The operation's noun: "GetRepository" -> "Repository", "CreateLogGroup"
 * -> "LogGroup". An error naming it ("RepositoryDoesNotExistException")
 * is a better fit than another that merely matches the kind.
 */
static void operation_noun(char *out, size_t size, const char *op)
{
    const char *p = op;
    if (*p)
        p++;
    while (*p && !(*p >= 'A' && *p <= 'Z'))
        p++;
    snprintf(out, size, "%s", *p ? p : op);
}

/* Strips a trailing plural 's' so "Repositories" ~ "Repositor...". */
static bool mentions(const char *code, const char *noun)
{
    size_t n = strlen(noun);
    if (n > 3 && noun[n - 1] == 's')
        n--;
    if (n > 3 && strncmp(noun + n - 2, "ie", 2) == 0)
        n -= 2;
    for (const char *p = code; *p; p++)
        if (strncmp(p, noun, n) == 0)
            return true;
    return false;
}

static const struct model_shape *find_error(const struct model_operation *op,
                                            const char *const *needles)
{
    if (!op)
        return NULL;
    char noun[128];
    operation_noun(noun, sizeof(noun), op->name);
    const struct model_shape *best = NULL;
    int best_score = 0;
    for (size_t n = 0; needles[n]; n++) {
        for (uint32_t i = 0; i < op->error_count; i++) {
            const char *code = op->errors[i]->error_code;
            if (!strstr(code, needles[n]))
                continue;
            int score = 100 - (int)n + (mentions(code, noun) ? 1000 : 0);
            if (score > best_score) {
                best = op->errors[i];
                best_score = score;
            }
        }
    }
    return best;
}

static const struct model_shape *find_error_code(const struct api_call *call, const char *code)
{
    if (call->op)
        for (uint32_t i = 0; i < call->op->error_count; i++)
            if (strcmp(call->op->errors[i]->error_code, code) == 0)
                return call->op->errors[i];
    const struct model_service *svc = call->service;
    for (uint32_t i = 0; i < svc->shape_count; i++)
        if ((svc->shapes[i].flags & SHAPE_F_EXCEPTION) &&
            strcmp(svc->shapes[i].error_code, code) == 0)
            return &svc->shapes[i];
    return NULL;
}

struct generic_error {
    const char *json;
    const char *query;
    const char *rest_xml;
    int status;
};

static struct generic_error generic_for(int kind)
{
    switch (kind) {
    case ERR_NOT_FOUND:
        return (struct generic_error){"ResourceNotFoundException", "NoSuchEntity", "NoSuchKey",
                                      404};
    case ERR_EXISTS:
        return (struct generic_error){"ResourceAlreadyExistsException", "EntityAlreadyExists",
                                      "BucketAlreadyExists", 409};
    case ERR_INVALID:
        return (struct generic_error){"ValidationException", "ValidationError", "InvalidArgument",
                                      400};
    case ERR_CONFLICT:
        return (struct generic_error){"ConflictException", "ConcurrentModification",
                                      "OperationAborted", 409};
    case ERR_DENIED:
        return (struct generic_error){"AccessDeniedException", "AccessDenied", "AccessDenied", 403};
    case ERR_LIMIT:
        return (struct generic_error){"LimitExceededException", "LimitExceeded", "TooManyBuckets",
                                      400};
    case ERR_UNSUPPORTED:
        return (struct generic_error){"NotImplemented", "NotImplemented", "NotImplemented", 501};
    default:
        return (struct generic_error){"InternalFailure", "InternalFailure", "InternalError", 500};
    }
}

void api_error_map(struct aws_error *out, const struct api_call *call, int kind,
                   const char *message)
{
    static const char *const not_found[] = {"NotFound", "NoSuch", "DoesNotExist", NULL};
    static const char *const exists[] = {"AlreadyExists", "Exists", NULL};
    static const char *const invalid[] = {"InvalidInput", "InvalidParameter", "Validation",
                                          "InvalidRequest", NULL};
    static const char *const conflict[] = {"ConcurrentModification", "DeleteConflict", "Conflict",
                                           "ResourceInUse", NULL};
    static const char *const limit[] = {"LimitExceeded", "QuotaExceeded", NULL};
    static const char *const internal[] = {"ServiceFailure", "InternalService", "Internal", NULL};

    memset(out, 0, sizeof(*out));
    out->message = message;
    out->fields = call->error_fields;
    out->sender = true;

    const struct model_shape *shape = NULL;
    if (call->error_code[0]) {
        shape = find_error_code(call, call->error_code);
        out->code = call->error_code;
    } else {
        const char *const *needles = NULL;
        switch (kind) {
        case ERR_NOT_FOUND:
            needles = not_found;
            break;
        case ERR_EXISTS:
            needles = exists;
            break;
        case ERR_INVALID:
            needles = invalid;
            break;
        case ERR_CONFLICT:
            needles = conflict;
            break;
        case ERR_LIMIT:
            needles = limit;
            break;
        case ERR_DENIED:
        case ERR_UNSUPPORTED:
            break;
        default:
            needles = internal;
            break;
        }
        if (needles)
            shape = find_error(call->op, needles);
        if (shape)
            out->code = shape->error_code;
    }

    struct generic_error g = generic_for(kind);
    if (shape) {
        out->shape = shape;
        out->status = shape->error_status ? shape->error_status : g.status;
        out->sender = !(shape->flags & SHAPE_F_FAULT);
    } else {
        out->status = g.status;
        out->sender = g.status < 500;
        if (!out->code) {
            switch (call->service->protocol) {
            case PROTO_QUERY:
                out->code = g.query;
                break;
            case PROTO_REST_XML:
                out->code = g.rest_xml;
                break;
            default:
                out->code = g.json;
                break;
            }
        }
        /* JSON services answer most client errors with 400. */
        if ((call->service->protocol == PROTO_JSON) && g.status < 500)
            out->status = 400;
    }
    if (call->error_status) {
        out->status = call->error_status;
        out->sender = call->error_status < 500;
    }
}
