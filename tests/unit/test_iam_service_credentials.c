/*
 * Service-specific credentials (git over HTTPS): the five IAM operations,
 * called in process as the server calls them, and the authentication the
 * git transport asks IAM for (service_credentials.c).
 */
#include "base/common.h"
#include "aws/api.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/common/record.h"
#include "services/iam/iam.h"
#include "store/store.h"
#include "iam_fixture.h"

#include <ftw.h>
#include <setjmp.h>
#include <sys/stat.h>

#include <cmocka.h>

#define ACCOUNT    IAM_FIXTURE_ACCOUNT
#define CODECOMMIT "codecommit.amazonaws.com"

struct fixture {
    struct iam_fixture *iam;
    struct store *st;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    if (iam_fixture_open(&f->iam, "iamcred") < 0)
        return -1;
    f->st = f->iam->st;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    iam_fixture_close(f->iam);
    free(f);
    return 0;
}

/* Runs one IAM operation as `who` (the admin when NULL); `params` is JSON text. */
static int run_as(struct fixture *f, const struct principal *who, const char *op,
                  const char *params, json_t **out)
{
    return iam_fixture_call(f->iam, who, "iam", op, params, out);
}

static json_t *run_ok(struct fixture *f, const char *op, const char *params)
{
    json_t *out = NULL;
    if (run_as(f, NULL, op, params, &out) < 0)
        fail_msg("%s %s: %s", op, params, err_msg());
    return out;
}

/* Runs an operation that must fail with `code`; returns its message. */
static void run_fails(struct fixture *f, const char *op, const char *params, const char *code,
                      const char *message)
{
    struct iam_fixture_result res;
    json_t *in = json_loads(params, 0, NULL);
    assert_non_null(in);
    int rc = iam_fixture_invoke(&res, f->iam, NULL, "iam", op, in, NULL, NULL);
    assert_true(res.found);
    assert_true(rc < 0);
    assert_string_equal(res.code, code);
    if (message)
        assert_string_equal(res.message, message);
}

static void user_create(struct fixture *f, const char *name)
{
    char params[256];
    snprintf(params, sizeof(params), "{\"UserName\":\"%s\"}", name);
    json_decref(run_ok(f, "CreateUser", params));
}

/* Creates a CodeCommit credential for `user`; the caller releases it. */
static json_t *credential_create(struct fixture *f, const char *user)
{
    char params[256];
    snprintf(params, sizeof(params), "{\"UserName\":\"%s\",\"ServiceName\":\"%s\"}", user,
             CODECOMMIT);
    json_t *out = run_ok(f, "CreateServiceSpecificCredential", params);
    json_t *cred = json_incref(json_object_get(out, "ServiceSpecificCredential"));
    json_decref(out);
    assert_non_null(cred);
    return cred;
}

static const char *str(json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

/* A change to one credential: `op` with the credential's id and user, plus `extra` members. */
static json_t *credential_op(struct fixture *f, const char *op, const char *user, const char *id,
                             const char *extra)
{
    char params[512];
    snprintf(params, sizeof(params),
             "{\"UserName\":\"%s\",\"ServiceSpecificCredentialId\":\"%s\"%s}", user, id,
             extra ? extra : "");
    return run_ok(f, op, params);
}

static json_t *list(struct fixture *f, const char *params)
{
    json_t *out = run_ok(f, "ListServiceSpecificCredentials", params);
    json_t *items = json_incref(json_object_get(out, "ServiceSpecificCredentials"));
    json_decref(out);
    assert_true(json_is_array(items));
    return items;
}

static int authenticate(struct fixture *f, struct principal *p, const char *user,
                        const char *password, const char *service)
{
    return iam_service_credential_authenticate(p, f->st, user, password, service);
}

static void test_lifecycle(void **state)
{
    struct fixture *f = *state;
    user_create(f, "alice");
    json_t *cred = credential_create(f, "alice");
    const char *id = str(cred, "ServiceSpecificCredentialId");
    assert_string_equal(str(cred, "UserName"), "alice");
    assert_string_equal(str(cred, "ServiceName"), CODECOMMIT);
    assert_string_equal(str(cred, "ServiceUserName"), "alice-at-" ACCOUNT);
    assert_string_equal(str(cred, "Status"), "Active");
    assert_int_equal(strlen(id), 21);
    assert_memory_equal(id, "ACCA", 4);
    assert_int_equal(strlen(str(cred, "ServicePassword")), 44);
    assert_non_null(json_object_get(cred, "CreateDate"));

    /* Listed, never with its password. */
    json_t *items = list(f, "{\"UserName\":\"alice\"}");
    assert_int_equal(json_array_size(items), 1);
    json_t *item = json_array_get(items, 0);
    assert_string_equal(str(item, "ServiceSpecificCredentialId"), id);
    assert_string_equal(str(item, "ServiceUserName"), "alice-at-" ACCOUNT);
    assert_string_equal(str(item, "Status"), "Active");
    assert_null(json_object_get(item, "ServicePassword"));
    json_decref(items);

    struct principal p;
    assert_int_equal(
        authenticate(f, &p, "alice-at-" ACCOUNT, str(cred, "ServicePassword"), CODECOMMIT), 0);
    assert_string_equal(p.name, "alice");
    assert_string_equal(p.account_id, ACCOUNT);
    assert_string_equal(p.arn, "arn:aws:iam::" ACCOUNT ":user/alice");
    assert_int_equal(p.type, PRINCIPAL_USER);
    assert_string_equal(p.access_key_id, "");
    assert_false(p.admin);

    /* Reset: a new password, and the old one stops working at once. */
    json_t *out = credential_op(f, "ResetServiceSpecificCredential", "alice", id, NULL);
    json_t *reset = json_object_get(out, "ServiceSpecificCredential");
    const char *fresh = str(reset, "ServicePassword");
    assert_int_equal(strlen(fresh), 44);
    assert_string_not_equal(fresh, str(cred, "ServicePassword"));
    assert_string_equal(str(reset, "ServiceSpecificCredentialId"), id);
    assert_int_equal(
        authenticate(f, &p, "alice-at-" ACCOUNT, str(cred, "ServicePassword"), CODECOMMIT),
        ERR_DENIED);
    assert_int_equal(authenticate(f, &p, "alice-at-" ACCOUNT, fresh, CODECOMMIT), 0);

    /* Inactive refuses the right password; Active again lets it in. */
    json_decref(credential_op(f, "UpdateServiceSpecificCredential", "alice", id,
                              ",\"Status\":\"Inactive\""));
    items = list(f, "{\"UserName\":\"alice\"}");
    assert_string_equal(str(json_array_get(items, 0), "Status"), "Inactive");
    json_decref(items);
    assert_int_equal(authenticate(f, &p, "alice-at-" ACCOUNT, fresh, CODECOMMIT), ERR_DENIED);
    json_decref(
        credential_op(f, "UpdateServiceSpecificCredential", "alice", id, ",\"Status\":\"Active\""));
    assert_int_equal(authenticate(f, &p, "alice-at-" ACCOUNT, fresh, CODECOMMIT), 0);

    /* Deleted: gone from the list and from authentication. */
    json_decref(credential_op(f, "DeleteServiceSpecificCredential", "alice", id, NULL));
    items = list(f, "{\"UserName\":\"alice\"}");
    assert_int_equal(json_array_size(items), 0);
    json_decref(items);
    assert_int_equal(authenticate(f, &p, "alice-at-" ACCOUNT, fresh, CODECOMMIT), ERR_DENIED);

    char params[256], message[128];
    snprintf(params, sizeof(params),
             "{\"UserName\":\"alice\",\"ServiceSpecificCredentialId\":\"%s\"}", id);
    snprintf(message, sizeof(message), "No such credential %s exists", id);
    run_fails(f, "DeleteServiceSpecificCredential", params, "NoSuchEntity", message);
    run_fails(f, "ResetServiceSpecificCredential", params, "NoSuchEntity", message);
    json_decref(out);
    json_decref(cred);
}

static void test_two_per_service(void **state)
{
    struct fixture *f = *state;
    user_create(f, "bob");
    json_t *first = credential_create(f, "bob");
    json_t *second = credential_create(f, "bob");
    assert_string_equal(str(first, "ServiceUserName"), "bob-at-" ACCOUNT);
    assert_string_equal(str(second, "ServiceUserName"), "bob+1-at-" ACCOUNT);
    run_fails(f, "CreateServiceSpecificCredential",
              "{\"UserName\":\"bob\",\"ServiceName\":\"" CODECOMMIT "\"}", "LimitExceeded",
              "Cannot exceed quota for ServiceSpecificCredentialsPerUser: 2");

    /* Each name authenticates with its own password only. */
    struct principal p;
    assert_int_equal(
        authenticate(f, &p, "bob+1-at-" ACCOUNT, str(second, "ServicePassword"), CODECOMMIT), 0);
    assert_int_equal(
        authenticate(f, &p, "bob+1-at-" ACCOUNT, str(first, "ServicePassword"), CODECOMMIT),
        ERR_DENIED);

    /* A deleted one frees its place. */
    json_decref(credential_op(f, "DeleteServiceSpecificCredential", "bob",
                              str(first, "ServiceSpecificCredentialId"), NULL));
    json_t *third = credential_create(f, "bob");
    assert_string_equal(str(third, "ServiceUserName"), "bob-at-" ACCOUNT);
    json_t *items = list(f, "{\"UserName\":\"bob\",\"ServiceName\":\"" CODECOMMIT "\"}");
    assert_int_equal(json_array_size(items), 2);
    json_decref(items);
    json_decref(first);
    json_decref(second);
    json_decref(third);
}

static void test_unknown_user(void **state)
{
    struct fixture *f = *state;
    run_fails(f, "CreateServiceSpecificCredential",
              "{\"UserName\":\"ghost\",\"ServiceName\":\"" CODECOMMIT "\"}", "NoSuchEntity",
              "The user with name ghost cannot be found.");
    run_fails(f, "ListServiceSpecificCredentials", "{\"UserName\":\"ghost\"}", "NoSuchEntity",
              "The user with name ghost cannot be found.");
    run_fails(f, "UpdateServiceSpecificCredential",
              "{\"UserName\":\"ghost\",\"ServiceSpecificCredentialId\":"
              "\"ACCAAAAAAAAAAAAAAAAAA\",\"Status\":\"Inactive\"}",
              "NoSuchEntity", "The user with name ghost cannot be found.");
}

static void test_unsupported_service(void **state)
{
    struct fixture *f = *state;
    user_create(f, "carol");
    run_fails(f, "CreateServiceSpecificCredential",
              "{\"UserName\":\"carol\",\"ServiceName\":\"cassandra.amazonaws.com\"}",
              "NotSupportedService",
              "No such service cassandra.amazonaws.com is supported for Service Specific "
              "Credentials");
    run_fails(f, "ListServiceSpecificCredentials",
              "{\"UserName\":\"carol\",\"ServiceName\":\"nope.amazonaws.com\"}",
              "NotSupportedService",
              "No such service nope.amazonaws.com is supported for Service Specific Credentials");
    json_t *items = list(f, "{\"UserName\":\"carol\"}");
    assert_int_equal(json_array_size(items), 0);
    json_decref(items);
}

static void test_authenticate_refusals(void **state)
{
    struct fixture *f = *state;
    user_create(f, "dave");
    json_t *cred = credential_create(f, "dave");
    const char *password = str(cred, "ServicePassword");
    struct principal p;
    assert_int_equal(authenticate(f, &p, "dave-at-" ACCOUNT, "wrong", CODECOMMIT), ERR_DENIED);
    assert_int_equal(authenticate(f, &p, "dave-at-" ACCOUNT, "", CODECOMMIT), ERR_DENIED);
    assert_int_equal(authenticate(f, &p, "dave-at-" ACCOUNT, password, "cassandra.amazonaws.com"),
                     ERR_DENIED);
    assert_int_equal(authenticate(f, &p, "nobody-at-" ACCOUNT, password, CODECOMMIT), ERR_DENIED);
    assert_int_equal(authenticate(f, &p, "DAVE-at-" ACCOUNT, password, CODECOMMIT), ERR_DENIED);
    assert_int_equal(authenticate(f, &p, "dave-at-" ACCOUNT, password, CODECOMMIT), 0);

    /* A user gone under its credential (DeleteUser refuses this; the store
     * could still hold it) no longer signs in. */
    assert_int_equal(store_doc_delete(f->st, NULL, "iam.user", ACCOUNT, "dave", 0), 0);
    assert_int_equal(authenticate(f, &p, "dave-at-" ACCOUNT, password, CODECOMMIT), ERR_DENIED);
    json_decref(cred);
}

static void test_delete_user_conflict(void **state)
{
    struct fixture *f = *state;
    user_create(f, "erin");
    json_t *cred = credential_create(f, "erin");
    run_fails(f, "DeleteUser", "{\"UserName\":\"erin\"}", "DeleteConflict",
              "Cannot delete entity, must remove referenced objects first.");
    json_decref(credential_op(f, "DeleteServiceSpecificCredential", "erin",
                              str(cred, "ServiceSpecificCredentialId"), NULL));
    json_decref(run_ok(f, "DeleteUser", "{\"UserName\":\"erin\"}"));
    json_decref(cred);
}

static void test_caller_and_rename(void **state)
{
    struct fixture *f = *state;
    user_create(f, "frank");
    json_t *cred = credential_create(f, "frank");
    const char *id = str(cred, "ServiceSpecificCredentialId");

    /* Without UserName: the caller's own. */
    struct principal frank = {.type = PRINCIPAL_USER, .admin = true};
    snprintf(frank.account_id, sizeof(frank.account_id), "%s", ACCOUNT);
    snprintf(frank.name, sizeof(frank.name), "frank");
    snprintf(frank.arn, sizeof(frank.arn), "arn:aws:iam::%s:user/frank", ACCOUNT);
    json_t *out;
    assert_int_equal(run_as(f, &frank, "ListServiceSpecificCredentials", "{}", &out), 0);
    json_t *items = json_object_get(out, "ServiceSpecificCredentials");
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(str(json_array_get(items, 0), "ServiceSpecificCredentialId"), id);
    json_decref(out);

    /* A renamed user keeps its credentials, under its new name. */
    json_decref(run_ok(f, "UpdateUser", "{\"UserName\":\"frank\",\"NewUserName\":\"franklin\"}"));
    items = list(f, "{\"UserName\":\"franklin\"}");
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(str(json_array_get(items, 0), "UserName"), "franklin");
    assert_string_equal(str(json_array_get(items, 0), "ServiceUserName"), "frank-at-" ACCOUNT);
    json_decref(items);
    struct principal p;
    assert_int_equal(
        authenticate(f, &p, "frank-at-" ACCOUNT, str(cred, "ServicePassword"), CODECOMMIT), 0);
    assert_string_equal(p.name, "franklin");
    json_decref(credential_op(f, "DeleteServiceSpecificCredential", "franklin", id, NULL));
    json_decref(cred);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_per_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authenticate_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_user_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caller_and_rename, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
