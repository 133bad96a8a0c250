/*
 * The compiled model tables (tools/modelgen.c) must say exactly what the
 * JSON models say when loaded at run time (src/aws/model_load.c), and the
 * lookups must find what is there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/common.h"
#include "aws/model.h"
#include "aws/model_load.h"
#include "base/buf.h"
#include "base/err.h"

static const char *source_dir(void)
{
    const char *d = getenv("SLIPWAY_SOURCE_DIR");
    return d ? d : ".";
}

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static void assert_member_eq(const struct model_member *a, const struct model_member *b)
{
    assert_true(str_eq(a->name, b->name));
    assert_true(str_eq(a->shape->name, b->shape->name));
    assert_true(str_eq(a->location_name, b->location_name));
    assert_true(str_eq(a->xml_ns_uri, b->xml_ns_uri));
    assert_int_equal(a->flags, b->flags);
    assert_int_equal(a->location, b->location);
    assert_int_equal(a->timestamp_format, b->timestamp_format);
}

static void assert_shape_eq(const struct model_shape *a, const struct model_shape *b)
{
    assert_true(str_eq(a->name, b->name));
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->flags, b->flags);
    assert_int_equal(a->timestamp_format, b->timestamp_format);
    assert_true(a->min == b->min && a->max == b->max);
    assert_true(str_eq(a->pattern, b->pattern));
    assert_true(str_eq(a->payload, b->payload));
    assert_true(str_eq(a->error_code, b->error_code));
    assert_int_equal(a->error_status, b->error_status);
    assert_int_equal(a->enum_count, b->enum_count);
    for (uint32_t i = 0; i < a->enum_count; i++)
        assert_true(str_eq(a->enum_values[i], b->enum_values[i]));
    assert_int_equal(a->member_count, b->member_count);
    for (uint32_t i = 0; i < a->member_count; i++)
        assert_member_eq(&a->members[i], &b->members[i]);
    if (a->type == SHAPE_LIST)
        assert_member_eq(a->member, b->member);
    if (a->type == SHAPE_MAP) {
        assert_member_eq(a->key, b->key);
        assert_member_eq(a->value, b->value);
    }
}

static void test_compiled_equals_loaded(void **state)
{
    (void)state;
    assert_true(model_service_count >= 13);
    for (size_t s = 0; s < model_service_count; s++) {
        const struct model_service *compiled = model_services[s];
        struct buf path = BUF_INIT;
        buf_addf(&path, "%s/models/%s.json", source_dir(), compiled->name);
        struct model_service *loaded;
        int rc = model_load_file(&loaded, path.data, compiled->name);
        if (rc < 0)
            fail_msg("%s: %s", path.data, err_msg());
        assert_int_equal(compiled->protocol, loaded->protocol);
        assert_true(str_eq(compiled->target_prefix, loaded->target_prefix));
        assert_true(str_eq(compiled->signing_name, loaded->signing_name));
        assert_int_equal(compiled->shape_count, loaded->shape_count);
        for (uint32_t i = 0; i < compiled->shape_count; i++)
            assert_shape_eq(&compiled->shapes[i], &loaded->shapes[i]);
        assert_int_equal(compiled->operation_count, loaded->operation_count);
        for (uint32_t i = 0; i < compiled->operation_count; i++) {
            const struct model_operation *a = &compiled->operations[i], *b = &loaded->operations[i];
            assert_true(str_eq(a->name, b->name));
            assert_true(str_eq(a->http_method, b->http_method));
            assert_true(str_eq(a->request_uri, b->request_uri));
            assert_int_equal(a->flags, b->flags);
            assert_true(a->input == NULL ? b->input == NULL
                                         : str_eq(a->input->name, b->input->name));
            assert_true(a->output == NULL ? b->output == NULL
                                          : str_eq(a->output->name, b->output->name));
            assert_true(str_eq(a->result_wrapper, b->result_wrapper));
            assert_int_equal(a->error_count, b->error_count);
        }
        model_service_free(loaded);
        buf_release(&path);
    }
}

static void test_lookups(void **state)
{
    (void)state;
    const struct model_service *iam = model_service_find("iam");
    assert_non_null(iam);
    assert_int_equal(iam->protocol, PROTO_QUERY);
    assert_ptr_equal(model_service_by_signing_name("iam", 3), iam);
    assert_null(model_service_find("nope"));

    const struct model_service *logs = model_service_by_target_prefix("Logs_20140328", 13);
    assert_non_null(logs);
    assert_string_equal(logs->name, "logs");

    const struct model_operation *op = model_operation_find(iam, "CreateRole", 10);
    assert_non_null(op);
    assert_string_equal(op->input->name, "CreateRoleRequest");
    assert_null(model_operation_find(iam, "CreateRol", 9));
    assert_null(model_operation_find(iam, "CreateRoleX", 11));
    assert_null(model_operation_find(iam, "CreateRole\0x", 12));

    const struct model_member *m = model_member_find(op->input, "RoleName", 8);
    assert_non_null(m);
    assert_true(m->flags & MEMBER_F_REQUIRED);
    assert_null(model_member_find(op->input, "RoleName\0zz", 11));
    assert_string_equal(m->shape->pattern, "[\\w+=,.@-]+");
    assert_true(m->shape->flags & SHAPE_F_HAS_MAX);
    assert_true(m->shape->max == 64);

    const struct model_shape *ex = model_shape_find(iam, "NoSuchEntityException");
    assert_non_null(ex);
    assert_string_equal(ex->error_code, "NoSuchEntity");
    assert_int_equal(ex->error_status, 404);
}

static void test_load_rejects_bad_models(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"metadata\":{}}",
        "{\"metadata\":{\"protocol\":\"json\"},\"shapes\":{\"A\":{\"type\":\"nope\"}}}",
        "{\"metadata\":{\"protocol\":\"json\"},\"shapes\":{\"A\":{\"type\":\"structure\","
        "\"members\":{\"b\":{\"shape\":\"Missing\"}}}}}",
        "{\"metadata\":{\"protocol\":\"json\"},\"shapes\":{\"A\":{\"type\":\"structure\","
        "\"members\":{},\"required\":[\"x\"]}}}",
        "{\"metadata\":{\"protocol\":\"json\"},\"shapes\":{},\"operations\":{\"Op\":{\"input\":"
        "{\"shape\":\"Nope\"}}}}",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        json_t *root = json_loads(bad[i], 0, NULL);
        assert_non_null(root);
        struct model_service *svc = NULL;
        assert_int_equal(model_load(&svc, root, "bad"), ERR_INVALID);
        assert_null(svc);
        assert_true(strlen(err_msg()) > 0);
        json_decref(root);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compiled_equals_loaded),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_load_rejects_bad_models),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
