/*
 * modelgen: compiles stripped service models into C
 * tables, so the server has its models without parsing anything at start.
 *
 *   modelgen OUT.c MODEL.json...
 *
 * Each model is read with model_load, the same loader tests use, so the
 * compiled tables and loaded models cannot disagree about what a model
 * means. The output is written to a temporary file and renamed.
 */
#include <libgen.h>

#include "base/common.h"
#include "aws/model_load.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

static void emit_str(struct buf *out, const char *s)
{
    if (!s) {
        buf_adds(out, "NULL");
        return;
    }
    buf_addch(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_addf(out, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            buf_addf(out, "\\%03o", *p);
        else if (*p == '?')
            buf_adds(out, "\\?"); /* no trigraphs */
        else
            buf_addch(out, *p);
    }
    buf_addch(out, '"');
}

static void emit_shape_ref(struct buf *out, const struct model_service *svc, const char *id,
                           const struct model_shape *s)
{
    if (!s)
        buf_adds(out, "NULL");
    else
        buf_addf(out, "&%s_shapes[%td]", id, s - svc->shapes);
}

static void emit_member(struct buf *out, const struct model_service *svc, const char *id,
                        const struct model_member *m)
{
    buf_adds(out, "{.name = ");
    emit_str(out, m->name);
    buf_adds(out, ", .shape = ");
    emit_shape_ref(out, svc, id, m->shape);
    if (m->location_name) {
        buf_adds(out, ", .location_name = ");
        emit_str(out, m->location_name);
    }
    if (m->query_name) {
        buf_adds(out, ", .query_name = ");
        emit_str(out, m->query_name);
    }
    if (m->xml_ns_prefix) {
        buf_adds(out, ", .xml_ns_prefix = ");
        emit_str(out, m->xml_ns_prefix);
    }
    if (m->xml_ns_uri) {
        buf_adds(out, ", .xml_ns_uri = ");
        emit_str(out, m->xml_ns_uri);
    }
    buf_addf(out, ", .flags = %u, .location = %u, .timestamp_format = %u}", m->flags, m->location,
             m->timestamp_format);
}

static void emit_double(struct buf *out, double v)
{
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%.17g", v);
    buf_adds(out, tmp);
    if (!strpbrk(tmp, ".eEni"))
        buf_adds(out, ".0");
}

static void emit_service(struct buf *out, const struct model_service *svc, const char *id)
{
    uint32_t ns = svc->shape_count;
    buf_addf(out, "\n/* ---- %s ---- */\n", svc->name);
    buf_addf(out, "static const struct model_shape %s_shapes[%u];\n", id, ns ? ns : 1);

    for (uint32_t i = 0; i < ns; i++) {
        const struct model_shape *s = &svc->shapes[i];
        if (s->enum_count) {
            buf_addf(out, "static const char *const %s_enum_%u[] = {", id, i);
            for (uint32_t j = 0; j < s->enum_count; j++) {
                if (j)
                    buf_adds(out, ", ");
                emit_str(out, s->enum_values[j]);
            }
            buf_adds(out, "};\n");
        }
        if (s->type == SHAPE_STRUCTURE && s->member_count) {
            buf_addf(out, "static const struct model_member %s_members_%u[] = {\n", id, i);
            for (uint32_t j = 0; j < s->member_count; j++) {
                buf_adds(out, "    ");
                emit_member(out, svc, id, &s->members[j]);
                buf_adds(out, ",\n");
            }
            buf_adds(out, "};\n");
        }
        if (s->type == SHAPE_LIST || s->type == SHAPE_MAP) {
            buf_addf(out, "static const struct model_member %s_parts_%u[] = {\n", id, i);
            if (s->type == SHAPE_LIST) {
                buf_adds(out, "    ");
                emit_member(out, svc, id, s->member);
                buf_adds(out, ",\n");
            } else {
                buf_adds(out, "    ");
                emit_member(out, svc, id, s->key);
                buf_adds(out, ",\n    ");
                emit_member(out, svc, id, s->value);
                buf_adds(out, ",\n");
            }
            buf_adds(out, "};\n");
        }
    }

    buf_addf(out, "static const struct model_shape %s_shapes[%u] = {\n", id, ns ? ns : 1);
    for (uint32_t i = 0; i < ns; i++) {
        const struct model_shape *s = &svc->shapes[i];
        buf_adds(out, "    {.name = ");
        emit_str(out, s->name);
        buf_addf(out, ", .type = %u, .timestamp_format = %u, .flags = %u", s->type,
                 s->timestamp_format, s->flags);
        if (s->flags & SHAPE_F_HAS_MIN) {
            buf_adds(out, ", .min = ");
            emit_double(out, s->min);
        }
        if (s->flags & SHAPE_F_HAS_MAX) {
            buf_adds(out, ", .max = ");
            emit_double(out, s->max);
        }
        if (s->pattern) {
            buf_adds(out, ", .pattern = ");
            emit_str(out, s->pattern);
        }
        if (s->enum_count)
            buf_addf(out, ", .enum_values = %s_enum_%u, .enum_count = %u", id, i, s->enum_count);
        if (s->type == SHAPE_STRUCTURE && s->member_count)
            buf_addf(out, ", .members = %s_members_%u, .member_count = %u", id, i, s->member_count);
        if (s->payload) {
            buf_adds(out, ", .payload = ");
            emit_str(out, s->payload);
        }
        if (s->type == SHAPE_LIST)
            buf_addf(out, ", .member = &%s_parts_%u[0]", id, i);
        if (s->type == SHAPE_MAP)
            buf_addf(out, ", .key = &%s_parts_%u[0], .value = &%s_parts_%u[1]", id, i, id, i);
        if (s->location_name) {
            buf_adds(out, ", .location_name = ");
            emit_str(out, s->location_name);
        }
        if (s->xml_ns_prefix) {
            buf_adds(out, ", .xml_ns_prefix = ");
            emit_str(out, s->xml_ns_prefix);
        }
        if (s->xml_ns_uri) {
            buf_adds(out, ", .xml_ns_uri = ");
            emit_str(out, s->xml_ns_uri);
        }
        if (s->error_code) {
            buf_adds(out, ", .error_code = ");
            emit_str(out, s->error_code);
            buf_addf(out, ", .error_status = %u", s->error_status);
        }
        buf_adds(out, "},\n");
    }
    buf_adds(out, "};\n");

    for (uint32_t i = 0; i < svc->operation_count; i++) {
        const struct model_operation *op = &svc->operations[i];
        if (!op->error_count)
            continue;
        buf_addf(out, "static const struct model_shape *const %s_errors_%u[] = {", id, i);
        for (uint32_t j = 0; j < op->error_count; j++) {
            if (j)
                buf_adds(out, ", ");
            emit_shape_ref(out, svc, id, op->errors[j]);
        }
        buf_adds(out, "};\n");
    }
    buf_addf(out, "static const struct model_operation %s_operations[%u] = {\n", id,
             svc->operation_count ? svc->operation_count : 1);
    for (uint32_t i = 0; i < svc->operation_count; i++) {
        const struct model_operation *op = &svc->operations[i];
        buf_adds(out, "    {.name = ");
        emit_str(out, op->name);
        buf_adds(out, ", .http_method = ");
        emit_str(out, op->http_method);
        buf_adds(out, ", .request_uri = ");
        emit_str(out, op->request_uri);
        buf_addf(out, ", .response_code = %u, .flags = %u", op->response_code, op->flags);
        buf_adds(out, ", .input = ");
        emit_shape_ref(out, svc, id, op->input);
        buf_adds(out, ", .output = ");
        emit_shape_ref(out, svc, id, op->output);
        if (op->input_location_name) {
            buf_adds(out, ", .input_location_name = ");
            emit_str(out, op->input_location_name);
        }
        if (op->input_xml_ns_uri) {
            buf_adds(out, ", .input_xml_ns_uri = ");
            emit_str(out, op->input_xml_ns_uri);
        }
        if (op->result_wrapper) {
            buf_adds(out, ", .result_wrapper = ");
            emit_str(out, op->result_wrapper);
        }
        if (op->error_count)
            buf_addf(out, ", .errors = %s_errors_%u, .error_count = %u", id, i, op->error_count);
        if (op->host_prefix) {
            buf_adds(out, ", .host_prefix = ");
            emit_str(out, op->host_prefix);
        }
        buf_adds(out, "},\n");
    }
    buf_adds(out, "};\n");

    buf_addf(out, "static const struct model_service %s_service = {\n    .name = ", id);
    emit_str(out, svc->name);
    buf_addf(out, ",\n    .protocol = %u,\n    .api_version = ", svc->protocol);
    emit_str(out, svc->api_version);
    buf_adds(out, ",\n    .json_version = ");
    emit_str(out, svc->json_version);
    buf_adds(out, ",\n    .target_prefix = ");
    emit_str(out, svc->target_prefix);
    buf_adds(out, ",\n    .endpoint_prefix = ");
    emit_str(out, svc->endpoint_prefix);
    buf_adds(out, ",\n    .signing_name = ");
    emit_str(out, svc->signing_name);
    buf_adds(out, ",\n    .service_id = ");
    emit_str(out, svc->service_id);
    buf_adds(out, ",\n    .xml_namespace = ");
    emit_str(out, svc->xml_namespace);
    buf_addf(out, ",\n    .global_endpoint = %s,\n", svc->global_endpoint ? "true" : "false");
    buf_addf(out, "    .operations = %s_operations,\n    .operation_count = %u,\n", id,
             svc->operation_count);
    buf_addf(out, "    .shapes = %s_shapes,\n    .shape_count = %u,\n};\n", id, svc->shape_count);
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: modelgen OUT.c MODEL.json...\n");
        return 2;
    }
    const char *out_path = argv[1];
    int nmodels = argc - 2;
    char **paths = argv + 2;
    qsort(paths, (size_t)nmodels, sizeof(*paths), compare_paths);

    struct buf out = BUF_INIT;
    buf_adds(&out, "/* Generated by tools/modelgen.c from models/. Do not edit. */\n"
                   "#include \"base/common.h\"\n#include \"aws/model.h\"\n");

    char **ids = xcalloc((size_t)nmodels + 1, sizeof(*ids));
    for (int i = 0; i < nmodels; i++) {
        char *copy = xstrdup(paths[i]);
        char *base = basename(copy);
        char *dot = strrchr(base, '.');
        if (dot)
            *dot = '\0';
        struct model_service *svc;
        if (model_load_file(&svc, paths[i], base) < 0) {
            fprintf(stderr, "modelgen: %s: %s\n", paths[i], err_msg());
            return 1;
        }
        ids[i] = xasprintf("m_%s", base);
        for (char *p = ids[i]; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
                *p = '_';
        emit_service(&out, svc, ids[i]);
        model_service_free(svc);
        free(copy);
    }
    buf_addf(&out, "\nconst struct model_service *const model_services[%d] = {\n",
             nmodels ? nmodels : 1);
    for (int i = 0; i < nmodels; i++)
        buf_addf(&out, "    &%s_service,\n", ids[i]);
    buf_addf(&out, "};\nconst size_t model_service_count = %d;\n", nmodels);

    char *tmp = xasprintf("%s.tmp", out_path);
    FILE *f = fopen(tmp, "w");
    if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0) {
        fprintf(stderr, "modelgen: cannot write '%s': %s\n", tmp, strerror(errno));
        return 1;
    }
    if (rename(tmp, out_path) != 0) {
        fprintf(stderr, "modelgen: cannot rename to '%s': %s\n", out_path, strerror(errno));
        return 1;
    }
    for (int i = 0; i < nmodels; i++)
        free(ids[i]);
    free(ids);
    free(tmp);
    buf_release(&out);
    return 0;
}
