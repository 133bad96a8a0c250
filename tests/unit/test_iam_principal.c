/*
 * What IAM hands the authorization path: the policies that apply to a
 * principal (iam_principal_policies), a role's trust policy, a managed
 * policy's document, and the credential cache following changes at once.
 * The records are made through the IAM handlers themselves, called in
 * process as the server calls them.
 */
#include "base/common.h"
#include "aws/api.h"
#include "aws/policy.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
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
#define S3_READ                                                                                    \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"                 \
    "\"s3:GetObject\",\"Resource\":\"*\"}]}"
#define S3_WRITE                                                                                   \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"                 \
    "\"s3:PutObject\",\"Resource\":\"*\"}]}"
#define TRUST                                                                                      \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"              \
    "{\"Service\":\"codebuild.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"
#define MINE_ARN "arn:aws:iam::" ACCOUNT ":policy/mine"

struct fixture {
    struct iam_fixture *iam;
    struct store *st;
    struct principal admin;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    if (iam_fixture_open(&f->iam, "iam") < 0)
        return -1;
    f->st = f->iam->st;
    f->admin = f->iam->admin;
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

/* Runs one IAM operation as the admin; `params` is JSON text. */
static int run(struct fixture *f, const char *op, const char *params, json_t **out)
{
    return iam_fixture_call(f->iam, NULL, "iam", op, params, out);
}

#define RUN_OK(f, op, params)                                                                      \
    do {                                                                                           \
        int rc_ = run(f, op, params, NULL);                                                        \
        if (rc_ < 0)                                                                               \
            fail_msg("%s: %s", op, err_msg());                                                     \
    } while (0)

static const struct iam_policy_doc *find_doc(const struct iam_policy_docs *docs, const char *name)
{
    for (size_t i = 0; i < docs->count; i++)
        if (strcmp(docs->items[i].name, name) == 0)
            return &docs->items[i];
    return NULL;
}

static struct principal user_principal(const char *name)
{
    struct principal p = {.type = PRINCIPAL_USER};
    snprintf(p.account_id, sizeof(p.account_id), "%s", ACCOUNT);
    snprintf(p.name, sizeof(p.name), "%s", name);
    snprintf(p.arn, sizeof(p.arn), "arn:aws:iam::%s:user/%s", ACCOUNT, name);
    return p;
}

/* Every document handed out compiles as an identity policy. */
static void assert_compiles(const struct iam_policy_doc *doc)
{
    struct policy_options opts = {.kind = POLICY_KIND_IDENTITY};
    struct policy *p = NULL;
    if (policy_compile(&p, doc->document, strlen(doc->document), &opts) < 0)
        fail_msg("%s: %s", doc->id, err_msg());
    policy_free(p);
}

static void make_user_with_everything(struct fixture *f)
{
    RUN_OK(f, "CreateUser", "{\"UserName\":\"Dev\"}");
    RUN_OK(f, "PutUserPolicy",
           "{\"UserName\":\"dev\",\"PolicyName\":\"own\",\"PolicyDocument\":"
           "\"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\","
           "\\\"Action\\\":\\\"s3:GetObject\\\",\\\"Resource\\\":\\\"*\\\"}]}\"}");
    json_t *params = json_pack("{s:s, s:s}", "PolicyName", "mine", "PolicyDocument", S3_READ);
    char *text = json_dumps(params, 0);
    RUN_OK(f, "CreatePolicy", text);
    free(text);
    json_decref(params);
    RUN_OK(f, "AttachUserPolicy", "{\"UserName\":\"dev\",\"PolicyArn\":\"" MINE_ARN "\"}");
    RUN_OK(f, "AttachUserPolicy",
           "{\"UserName\":\"dev\",\"PolicyArn\":\"arn:aws:iam::aws:policy/ReadOnlyAccess\"}");
    RUN_OK(f, "CreateGroup", "{\"GroupName\":\"team\"}");
    params = json_pack("{s:s, s:s, s:s}", "GroupName", "team", "PolicyName", "group-own",
                       "PolicyDocument", S3_WRITE);
    text = json_dumps(params, 0);
    RUN_OK(f, "PutGroupPolicy", text);
    free(text);
    json_decref(params);
    RUN_OK(f, "AttachGroupPolicy",
           "{\"GroupName\":\"team\",\"PolicyArn\":\"arn:aws:iam::aws:policy/ReadOnlyAccess\"}");
    RUN_OK(f, "AttachGroupPolicy",
           "{\"GroupName\":\"team\",\"PolicyArn\":"
           "\"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\"}");
    RUN_OK(f, "AddUserToGroup", "{\"GroupName\":\"team\",\"UserName\":\"dev\"}");
    RUN_OK(f, "PutUserPermissionsBoundary",
           "{\"UserName\":\"dev\",\"PermissionsBoundary\":\"" MINE_ARN "\"}");
}

static void test_user_policies(void **state)
{
    struct fixture *f = *state;
    make_user_with_everything(f);
    struct principal p = user_principal("dev");
    struct iam_policy_docs docs;
    assert_int_equal(iam_principal_policies(&docs, f->st, &p), 0);

    /* own, mine, ReadOnlyAccess (once, though attached twice), group-own,
     * AmazonS3ReadOnlyAccess. */
    assert_int_equal(docs.count, 5);
    const struct iam_policy_doc *own = find_doc(&docs, "own");
    assert_non_null(own);
    assert_int_equal(own->source, IAM_POLICY_USER_INLINE);
    assert_string_equal(own->entity, "Dev");
    assert_null(own->arn);
    assert_true(strncmp(own->id, "inline:user/Dev/own#", 20) == 0);
    assert_int_equal(strlen(own->id), 20 + 16);

    const struct iam_policy_doc *mine = find_doc(&docs, "mine");
    assert_non_null(mine);
    assert_int_equal(mine->source, IAM_POLICY_CUSTOMER_MANAGED);
    assert_string_equal(mine->arn, MINE_ARN);
    assert_string_equal(mine->version_id, "v1");
    assert_string_equal(mine->document, S3_READ);
    assert_true(strncmp(mine->id, MINE_ARN ":v1#", strlen(MINE_ARN) + 4) == 0);

    const struct iam_policy_doc *readonly = find_doc(&docs, "ReadOnlyAccess");
    assert_non_null(readonly);
    assert_int_equal(readonly->source, IAM_POLICY_AWS_MANAGED);
    assert_string_equal(readonly->arn, "arn:aws:iam::aws:policy/ReadOnlyAccess");

    const struct iam_policy_doc *group = find_doc(&docs, "group-own");
    assert_non_null(group);
    assert_int_equal(group->source, IAM_POLICY_GROUP_INLINE);
    assert_string_equal(group->entity, "team");
    assert_string_equal(group->document, S3_WRITE);
    assert_non_null(find_doc(&docs, "AmazonS3ReadOnlyAccess"));

    assert_non_null(docs.boundary);
    assert_string_equal(docs.boundary->arn, MINE_ARN);
    assert_string_equal(docs.boundary->document, S3_READ);
    for (size_t i = 0; i < docs.count; i++)
        assert_compiles(&docs.items[i]);
    assert_compiles(docs.boundary);

    /* A new default version gives the policy a new identity. */
    char *old_id = xstrdup(mine->id);
    iam_policy_docs_release(&docs);
    json_t *params = json_pack("{s:s, s:s, s:b}", "PolicyArn", MINE_ARN, "PolicyDocument", S3_WRITE,
                               "SetAsDefault", 1);
    char *text = json_dumps(params, 0);
    RUN_OK(f, "CreatePolicyVersion", text);
    free(text);
    json_decref(params);
    assert_int_equal(iam_principal_policies(&docs, f->st, &p), 0);
    mine = find_doc(&docs, "mine");
    assert_string_equal(mine->version_id, "v2");
    assert_string_equal(mine->document, S3_WRITE);
    assert_string_not_equal(mine->id, old_id);
    assert_string_equal(docs.boundary->version_id, "v2");
    free(old_id);
    iam_policy_docs_release(&docs);

    /* Leaving the group takes the group's policies away. */
    RUN_OK(f, "RemoveUserFromGroup", "{\"GroupName\":\"team\",\"UserName\":\"dev\"}");
    assert_int_equal(iam_principal_policies(&docs, f->st, &p), 0);
    assert_int_equal(docs.count, 3);
    assert_null(find_doc(&docs, "group-own"));
    iam_policy_docs_release(&docs);
}

static void test_identities_are_stable(void **state)
{
    struct fixture *f = *state;
    make_user_with_everything(f);
    struct principal p = user_principal("dev");
    struct iam_policy_docs a, b;
    assert_int_equal(iam_principal_policies(&a, f->st, &p), 0);
    assert_int_equal(iam_principal_policies(&b, f->st, &p), 0);
    assert_int_equal(a.count, b.count);
    for (size_t i = 0; i < a.count; i++)
        assert_string_equal(a.items[i].id, b.items[i].id);
    iam_policy_docs_release(&a);
    iam_policy_docs_release(&b);
}

static void test_role_session_policies_and_trust(void **state)
{
    struct fixture *f = *state;
    json_t *params = json_pack("{s:s, s:s, s:s, s:i}", "RoleName", "Builder", "Path", "/ci/",
                               "AssumeRolePolicyDocument", TRUST, "MaxSessionDuration", 7200);
    char *text = json_dumps(params, 0);
    RUN_OK(f, "CreateRole", text);
    free(text);
    json_decref(params);
    params = json_pack("{s:s, s:s, s:s}", "RoleName", "builder", "PolicyName", "logs",
                       "PolicyDocument", S3_WRITE);
    text = json_dumps(params, 0);
    RUN_OK(f, "PutRolePolicy", text);
    free(text);
    json_decref(params);
    RUN_OK(f, "AttachRolePolicy",
           "{\"RoleName\":\"builder\",\"PolicyArn\":"
           "\"arn:aws:iam::aws:policy/AWSCodeBuildDeveloperAccess\"}");

    struct principal p = {.type = PRINCIPAL_ASSUMED_ROLE};
    snprintf(p.account_id, sizeof(p.account_id), "%s", ACCOUNT);
    snprintf(p.name, sizeof(p.name), "Builder");
    struct iam_policy_docs docs;
    assert_int_equal(iam_principal_policies(&docs, f->st, &p), 0);
    assert_int_equal(docs.count, 2);
    assert_null(docs.boundary);
    const struct iam_policy_doc *inline_doc = find_doc(&docs, "logs");
    assert_non_null(inline_doc);
    assert_int_equal(inline_doc->source, IAM_POLICY_ROLE_INLINE);
    assert_true(strncmp(inline_doc->id, "inline:role/Builder/logs#", 25) == 0);
    assert_non_null(find_doc(&docs, "AWSCodeBuildDeveloperAccess"));
    iam_policy_docs_release(&docs);

    struct iam_role_trust trust;
    assert_int_equal(iam_role_trust_policy(&trust, f->st, ACCOUNT, "builder"), 0);
    assert_string_equal(trust.role_arn, "arn:aws:iam::" ACCOUNT ":role/ci/Builder");
    assert_string_equal(trust.role_name, "Builder");
    assert_string_equal(trust.document, TRUST);
    assert_int_equal(trust.max_session_seconds, 7200);
    assert_true(strncmp(trust.role_id, "AROA", 4) == 0);
    assert_true(strncmp(trust.id, "trust:AROA", 10) == 0);
    struct policy_options opts = {.kind = POLICY_KIND_TRUST};
    assert_int_equal(policy_check(trust.document, strlen(trust.document), &opts), 0);
    iam_role_trust_release(&trust);
    assert_int_equal(iam_role_trust_policy(&trust, f->st, ACCOUNT, "nobody"), ERR_NOT_FOUND);
}

static void test_policy_document_get(void **state)
{
    struct fixture *f = *state;
    struct iam_policy_doc doc;
    assert_int_equal(
        iam_policy_document_get(&doc, f->st, "arn:aws:iam::aws:policy/AdministratorAccess"), 0);
    assert_int_equal(doc.source, IAM_POLICY_AWS_MANAGED);
    assert_string_equal(doc.version_id, "v1");
    assert_non_null(strstr(doc.document, "\"Action\":\"*\""));
    iam_policy_doc_release(&doc);
    assert_int_equal(iam_policy_document_get(&doc, f->st,
                                             "arn:aws:iam::aws:policy/service-role/"
                                             "AWSCodeDeployRole"),
                     0);
    iam_policy_doc_release(&doc);
    assert_int_equal(iam_policy_document_get(&doc, f->st, "arn:aws:iam::aws:policy/Nope"),
                     ERR_NOT_FOUND);
    assert_int_equal(iam_policy_document_get(&doc, f->st, MINE_ARN), ERR_NOT_FOUND);
    make_user_with_everything(f);
    assert_int_equal(iam_policy_document_get(&doc, f->st, MINE_ARN), 0);
    assert_string_equal(doc.document, S3_READ);
    iam_policy_doc_release(&doc);
}

static void test_gone_principal(void **state)
{
    struct fixture *f = *state;
    struct principal p = user_principal("ghost");
    struct iam_policy_docs docs;
    assert_int_equal(iam_principal_policies(&docs, f->st, &p), ERR_NOT_FOUND);
    struct principal root = {.type = PRINCIPAL_ROOT};
    assert_int_equal(iam_principal_policies(&docs, f->st, &root), 0);
    assert_int_equal(docs.count, 0);
    assert_null(docs.boundary);
}

static void test_credential_cache_follows_group_changes(void **state)
{
    struct fixture *f = *state;
    RUN_OK(f, "CreateUser", "{\"UserName\":\"ops\"}");
    json_t *key;
    assert_int_equal(run(f, "CreateAccessKey", "{\"UserName\":\"ops\"}", &key), 0);
    const char *id =
        json_string_value(json_object_get(json_object_get(key, "AccessKey"), "AccessKeyId"));
    struct iam_credential cred;
    assert_int_equal(iam_credential_lookup(&cred, f->st, id), 0);
    assert_false(cred.principal.admin);

    RUN_OK(f, "CreateGroup", "{\"GroupName\":\"admins\"}");
    RUN_OK(f, "AttachGroupPolicy",
           "{\"GroupName\":\"admins\",\"PolicyArn\":"
           "\"arn:aws:iam::aws:policy/AdministratorAccess\"}");
    RUN_OK(f, "AddUserToGroup", "{\"GroupName\":\"admins\",\"UserName\":\"ops\"}");
    assert_int_equal(iam_credential_lookup(&cred, f->st, id), 0);
    assert_true(cred.principal.admin);

    RUN_OK(f, "DetachGroupPolicy",
           "{\"GroupName\":\"admins\",\"PolicyArn\":"
           "\"arn:aws:iam::aws:policy/AdministratorAccess\"}");
    assert_int_equal(iam_credential_lookup(&cred, f->st, id), 0);
    assert_false(cred.principal.admin);

    /* A renamed user's key resolves to the new name at once. */
    RUN_OK(f, "UpdateUser", "{\"UserName\":\"ops\",\"NewUserName\":\"sre\"}");
    assert_int_equal(iam_credential_lookup(&cred, f->st, id), 0);
    assert_string_equal(cred.principal.name, "sre");
    assert_string_equal(cred.principal.arn, "arn:aws:iam::" ACCOUNT ":user/sre");
    json_decref(key);
}

static void test_access_key_used(void **state)
{
    struct fixture *f = *state;
    RUN_OK(f, "CreateUser", "{\"UserName\":\"worker\"}");
    json_t *key;
    assert_int_equal(run(f, "CreateAccessKey", "{\"UserName\":\"worker\"}", &key), 0);
    const char *id =
        json_string_value(json_object_get(json_object_get(key, "AccessKey"), "AccessKeyId"));
    assert_int_equal(iam_access_key_used(f->st, id, "codebuild", "eu-west-1", T0 + 5000), 0);
    struct buf params = BUF_INIT;
    buf_addf(&params, "{\"AccessKeyId\":\"%s\"}", id);
    json_t *out;
    assert_int_equal(run(f, "GetAccessKeyLastUsed", params.data, &out), 0);
    json_t *used = json_object_get(out, "AccessKeyLastUsed");
    assert_string_equal(json_string_value(json_object_get(used, "ServiceName")), "codebuild");
    assert_string_equal(json_string_value(json_object_get(used, "Region")), "eu-west-1");
    assert_int_equal(json_integer_value(json_object_get(used, "LastUsedDate")), T0 + 5000);
    assert_string_equal(json_string_value(json_object_get(out, "UserName")), "worker");
    json_decref(out);
    buf_release(&params);
    json_decref(key);
}

/* Expired sessions' records are deleted; live ones stay. */
static void test_sessions_purge(void **state)
{
    struct fixture *f = *state;
    RUN_OK(f, "CreateRole",
           "{\"RoleName\":\"purged\",\"AssumeRolePolicyDocument\":\"{\\\"Version\\\":"
           "\\\"2012-10-17\\\",\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\","
           "\\\"Principal\\\":{\\\"Service\\\":\\\"codebuild.amazonaws.com\\\"},"
           "\\\"Action\\\":\\\"sts:AssumeRole\\\"}]}\"}");
    struct iam_credential early, late;
    struct iam_session_spec spec = {.account_id = ACCOUNT,
                                    .role_name = "purged",
                                    .session_name = "s1",
                                    .expires_ms = T0 + 1000};
    assert_int_equal(iam_session_create(&early, f->st, &spec), 0);
    spec.expires_ms = T0 + 3600 * 1000;
    assert_int_equal(iam_session_create(&late, f->st, &spec), 0);
    size_t purged = 99;
    assert_int_equal(iam_sessions_purge(&purged, f->st, T0 + 2000), 0);
    assert_int_equal(purged, 1);
    struct iam_credential c;
    assert_int_equal(iam_credential_lookup(&c, f->st, early.principal.access_key_id),
                     ERR_NOT_FOUND);
    assert_int_equal(iam_credential_lookup(&c, f->st, late.principal.access_key_id), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_user_policies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identities_are_stable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_role_session_policies_and_trust, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_document_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gone_principal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credential_cache_follows_group_changes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_access_key_used, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sessions_purge, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
