/* Error mapping (api_error_map), ARNs and pagination tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/common.h"
#include "aws/api.h"
#include "aws/arn.h"
#include "aws/pagination.h"
#include "base/err.h"

static struct api_call call_for(const char *service, const char *op)
{
    struct api_call call = {0};
    call.service = model_service_find(service);
    assert_non_null(call.service);
    call.op = model_operation_find(call.service, op, strlen(op));
    assert_non_null(call.op);
    return call;
}

static void test_kind_maps_to_modelled_error(void **state)
{
    (void)state;
    struct aws_error e;
    struct api_call call = call_for("iam", "GetRole");
    api_error_map(&e, &call, ERR_NOT_FOUND, "gone");
    assert_string_equal(e.code, "NoSuchEntity");
    assert_int_equal(e.status, 404);
    assert_non_null(e.shape);
    assert_string_equal(e.message, "gone");

    call = call_for("iam", "CreateRole");
    api_error_map(&e, &call, ERR_EXISTS, "dup");
    assert_string_equal(e.code, "EntityAlreadyExists");
    assert_int_equal(e.status, 409);

    call = call_for("codecommit", "GetRepository");
    api_error_map(&e, &call, ERR_NOT_FOUND, "x");
    assert_string_equal(e.code, "RepositoryDoesNotExistException");
    assert_int_equal(e.status, 400);

    call = call_for("logs", "CreateLogGroup");
    api_error_map(&e, &call, ERR_EXISTS, "x");
    assert_string_equal(e.code, "ResourceAlreadyExistsException");
}

static void test_explicit_code_and_fallbacks(void **state)
{
    (void)state;
    struct aws_error e;
    struct api_call call = call_for("iam", "DeleteRole");
    snprintf(call.error_code, sizeof(call.error_code), "DeleteConflict");
    api_error_map(&e, &call, ERR_CONFLICT, "busy");
    assert_string_equal(e.code, "DeleteConflict");
    assert_int_equal(e.status, 409);

    call = call_for("sts", "GetCallerIdentity");
    api_error_map(&e, &call, ERR_INTERNAL, "boom");
    assert_string_equal(e.code, "InternalFailure");
    assert_int_equal(e.status, 500);
    assert_false(e.sender);

    call = call_for("logs", "DescribeLogGroups");
    api_error_map(&e, &call, ERR_UNSUPPORTED, "no");
    assert_string_equal(e.code, "NotImplemented");
    assert_int_equal(e.status, 501);
}

static void test_arn(void **state)
{
    (void)state;
    struct arn a;
    assert_int_equal(arn_parse(&a, "arn:aws:iam::123456789012:role/path/Name"), 0);
    assert_string_equal(a.service, "iam");
    assert_string_equal(a.region, "");
    assert_string_equal(a.account, "123456789012");
    assert_string_equal(a.resource, "role/path/Name");
    assert_int_equal(arn_parse(&a, "arn:aws:s3:::bucket/key:with:colons"), 0);
    assert_string_equal(a.resource, "bucket/key:with:colons");
    assert_int_equal(arn_parse(&a, "nope"), ERR_INVALID);
    assert_int_equal(arn_parse(&a, "arn:aws:iam"), ERR_INVALID);
    assert_int_equal(arn_parse(&a, "arn:aws:iam::123:"), ERR_INVALID);
    struct buf b = BUF_INIT;
    arn_format(&b, "logs", "us-east-1", "000000000000", "log-group:g");
    assert_string_equal(b.data, "arn:aws:logs:us-east-1:000000000000:log-group:g");
    buf_release(&b);
}

static void test_pagination_tokens(void **state)
{
    (void)state;
    struct buf t = BUF_INIT;
    pagination_token_encode(&t, "user/é");
    char *after = NULL;
    assert_int_equal(pagination_token_decode(&after, t.data), 0);
    assert_string_equal(after, "user/é");
    free(after);
    buf_release(&t);
    assert_int_equal(pagination_token_decode(&after, "garbage!"), ERR_INVALID);
    assert_int_equal(pagination_token_decode(&after, "Zm9v"), ERR_INVALID); /* not ours */
    assert_int_equal(pagination_token_decode(&after, ""), ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_maps_to_modelled_error),
        cmocka_unit_test(test_explicit_code_and_fallbacks),
        cmocka_unit_test(test_arn),
        cmocka_unit_test(test_pagination_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
