/*
 * iam_pass_role: the caller needs iam:PassRole on the role for the service,
 * and the role must trust the service. Records are made through the IAM
 * handlers in process; decisions come from the real authorizer.
 */
#include "base/common.h"
#include "aws/api.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "server/authorizer.h"
#include "services/iam/iam.h"
#include "services/iam/iam_api.h"
#include "store/store.h"
#include "iam_fixture.h"

#include <ftw.h>
#include <setjmp.h>
#include <sys/stat.h>

#include <cmocka.h>

#define ACCOUNT IAM_FIXTURE_ACCOUNT
#define T0      IAM_FIXTURE_T0
#define ROLE(n) "arn:aws:iam::" ACCOUNT ":role/" n

struct fixture {
    struct iam_fixture *iam;
    struct store *st;
    struct principal admin;
};

/* Runs one IAM operation as `who`; `params` is JSON text. */
static int run(struct fixture *f, const struct principal *who, const char *op, const char *params)
{
    int rc = iam_fixture_call(f->iam, who, "iam", op, params, NULL);
    if (rc < 0)
        fail_msg("%s: %s", op, err_msg());
    return rc;
}

static char *trusting(const char *service)
{
    json_t *doc =
        json_pack("{s:s, s:[{s:s, s:{s:s}, s:s}]}", "Version", "2012-10-17", "Statement", "Effect",
                  "Allow", "Principal", "Service", service, "Action", "sts:AssumeRole");
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    json_t *params = json_pack("{s:s}", "AssumeRolePolicyDocument", text);
    free(text);
    char *p = json_dumps(params, JSON_COMPACT);
    json_decref(params);
    return p;
}

static void make_role(struct fixture *f, const char *name, const char *service)
{
    char *params = trusting(service);
    json_t *obj = json_loads(params, 0, NULL);
    json_object_set_new(obj, "RoleName", json_string(name));
    char *text = json_dumps(obj, JSON_COMPACT);
    run(f, &f->admin, "CreateRole", text);
    free(text);
    json_decref(obj);
    free(params);
}

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    if (iam_fixture_open(&f->iam, "passrole") < 0)
        return -1;
    f->st = f->iam->st;
    f->admin = f->iam->admin;
    authorizer_install(f->st);
    make_role(f, "build-role", "codebuild.amazonaws.com");
    make_role(f, "pipeline-role", "codepipeline.amazonaws.com");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    authorizer_shutdown();
    iam_fixture_close(f->iam);
    free(f);
    return 0;
}

/* Calls iam_pass_role as `who`, for a CodeBuild call. */
static int pass(struct fixture *f, const struct principal *who, const char *role,
                const char *service)
{
    struct api_call call = {
        .request_id = "test",
        .service = model_service_find("codebuild"),
        .principal = who,
        .account_id = ACCOUNT,
        .region = "us-east-1",
        .store = f->st,
        .now_ms = T0,
        .source_ip = "127.0.0.1",
    };
    return iam_pass_role(&call, role, service);
}

static struct principal user(struct fixture *f, const char *name, const char *policy)
{
    char params[2048];
    snprintf(params, sizeof(params), "{\"UserName\":\"%s\"}", name);
    run(f, &f->admin, "CreateUser", params);
    if (policy) {
        json_t *p = json_pack("{s:s, s:s, s:s}", "UserName", name, "PolicyName", "p",
                              "PolicyDocument", policy);
        char *text = json_dumps(p, JSON_COMPACT);
        run(f, &f->admin, "PutUserPolicy", text);
        free(text);
        json_decref(p);
    }
    struct principal pr = {.type = PRINCIPAL_USER};
    snprintf(pr.account_id, sizeof(pr.account_id), "%s", ACCOUNT);
    snprintf(pr.name, sizeof(pr.name), "%s", name);
    snprintf(pr.arn, sizeof(pr.arn), "arn:aws:iam::%s:user/%s", ACCOUNT, name);
    snprintf(pr.access_key_id, sizeof(pr.access_key_id), "AKIA%s", name);
    return pr;
}

static void test_admin_passes_a_trusting_role(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(pass(f, &f->admin, ROLE("build-role"), "codebuild.amazonaws.com"), 0);
}

static void test_role_must_trust_the_service(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(pass(f, &f->admin, ROLE("pipeline-role"), "codebuild.amazonaws.com"),
                     ERR_DENIED);
    assert_non_null(strstr(err_msg(), "codebuild.amazonaws.com is not authorized to perform: "
                                      "sts:AssumeRole on resource: " ROLE("pipeline-role")));
}

static void test_caller_needs_pass_role(void **state)
{
    struct fixture *f = *state;
    struct principal nobody = user(f, "nobody", NULL);
    assert_int_equal(pass(f, &nobody, ROLE("build-role"), "codebuild.amazonaws.com"), ERR_DENIED);
    assert_non_null(strstr(err_msg(), "is not authorized to perform: iam:PassRole"));
}

static void test_passed_to_service_condition(void **state)
{
    struct fixture *f = *state;
    struct principal dev =
        user(f, "dev",
             "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
             "\"iam:PassRole\",\"Resource\":\"" ROLE(
                 "*") "\",\"Condition\":{\"StringEquals\":"
                      "{\"iam:PassedToService\":\"codebuild.amazonaws.com\"}}}]}");
    assert_int_equal(pass(f, &dev, ROLE("build-role"), "codebuild.amazonaws.com"), 0);
    assert_int_equal(pass(f, &dev, ROLE("pipeline-role"), "codepipeline.amazonaws.com"),
                     ERR_DENIED);
    assert_non_null(strstr(err_msg(), "iam:PassRole"));
}

static void test_missing_and_malformed_roles(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(pass(f, &f->admin, ROLE("ghost"), "codebuild.amazonaws.com"), ERR_NOT_FOUND);
    assert_int_equal(
        pass(f, &f->admin, "arn:aws:iam::" ACCOUNT ":user/x", "codebuild.amazonaws.com"),
        ERR_INVALID);
    assert_int_equal(pass(f, &f->admin, "not-an-arn", "codebuild.amazonaws.com"), ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admin_passes_a_trusting_role),
        cmocka_unit_test(test_role_must_trust_the_service),
        cmocka_unit_test(test_caller_needs_pass_role),
        cmocka_unit_test(test_passed_to_service_condition),
        cmocka_unit_test(test_missing_and_malformed_roles),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
