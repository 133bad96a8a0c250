/*
 * The request path in process (src/server/api_route.c): requests signed
 * with slipway's own SigV4 signer at a fixed clock go through
 * api_route_handle() exactly as the HTTP server hands them over. Covers
 * what the compat suites cannot reach without waiting: temporary
 * credentials refused once they expire.
 */
#include "base/common.h"
#include "aws/sigv4.h"
#include "base/crypto.h"
#include "server/api_route.h"
#include "server/authorizer.h"
#include "services/iam/iam_api.h"
#include "iam_fixture.h"

#include <setjmp.h>

#include <cmocka.h>

struct fixture {
    struct iam_fixture *iam;
    struct api_route route;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    if (iam_fixture_open(&f->iam, "route") < 0)
        return -1;
    authorizer_install(f->iam->st);
    f->route = (struct api_route){
        .store = f->iam->st,
        .default_account_id = IAM_FIXTURE_ACCOUNT,
        .default_region = "us-east-1",
    };
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

struct credentials {
    const char *key;
    const char *secret;
    const char *token;
};

/* Sends sts GetCallerIdentity signed with `creds` at the fixed clock;
 * returns the HTTP status and leaves the body in `resp`. */
static int call_sts(struct fixture *f, const struct credentials *creds, struct http_response *resp)
{
    static const char body[] = "Action=GetCallerIdentity&Version=2011-06-15";
    char hash[2 * SHA256_LEN + 1];
    uint8_t digest[SHA256_LEN];
    sha256(digest, body, sizeof(body) - 1);
    hex_encode(hash, digest, SHA256_LEN);

    struct header_field headers[8] = {
        {"Host", 4, "127.0.0.1:4566", 14},
        {"Content-Type", 12, "application/x-www-form-urlencoded", 33},
    };
    size_t n = 2;
    struct sigv4_request sreq = {
        .method = "POST", .path = "/", .headers = headers, .header_count = n, .payload_hash = hash};
    struct sigv4_signer signer = {
        .access_key_id = creds->key,
        .secret_access_key = creds->secret,
        .session_token = creds->token,
        .region = "us-east-1",
        .service = "sts",
        .time_ms = clock_now_ms(),
    };
    struct sigv4_signature sig;
    sigv4_signature_init(&sig);
    assert_int_equal(sigv4_sign(&sig, &signer, &sreq), 0);
    headers[n++] =
        (struct header_field){"Authorization", 13, sig.authorization.data, sig.authorization.len};
    headers[n++] = (struct header_field){"X-Amz-Date", 10, sig.amz_date, strlen(sig.amz_date)};
    if (creds->token)
        headers[n++] =
            (struct header_field){"X-Amz-Security-Token", 20, creds->token, strlen(creds->token)};

    struct http_request req = {
        .method = "POST",
        .target = "/",
        .path = "/",
        .headers = headers,
        .header_count = n,
        .body = body,
        .body_len = sizeof(body) - 1,
        .request_id = "test-request",
        .remote_addr = "127.0.0.1",
    };
    http_response_init(resp);
    api_route_handle(&f->route, &req, resp);
    sigv4_signature_release(&sig);
    return resp->status;
}

static void test_admin_key(void **state)
{
    struct fixture *f = *state;
    json_t *out = NULL;
    assert_int_equal(
        iam_fixture_call(f->iam, NULL, "iam", "CreateAccessKey", "{\"UserName\":\"admin\"}", &out),
        0);
    json_t *key = json_object_get(out, "AccessKey");
    struct credentials creds = {json_string_value(json_object_get(key, "AccessKeyId")),
                                json_string_value(json_object_get(key, "SecretAccessKey")), NULL};
    struct http_response resp;
    assert_int_equal(call_sts(f, &creds, &resp), 200);
    assert_non_null(strstr(resp.body.data, "arn:aws:iam::000000000000:user/admin"));
    http_response_release(&resp);

    /* The same request with a wrong secret: refused, in the query protocol's words. */
    creds.secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    assert_int_equal(call_sts(f, &creds, &resp), 403);
    assert_non_null(strstr(resp.body.data, "<Code>SignatureDoesNotMatch</Code>"));
    http_response_release(&resp);
    json_decref(out);
}

static void test_session_refused_once_expired(void **state)
{
    struct fixture *f = *state;
    static const char trust[] =
        "{\"RoleName\":\"short\",\"AssumeRolePolicyDocument\":\"{\\\"Version\\\":"
        "\\\"2012-10-17\\\",\\\"Statement\\\":[{\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":"
        "{\\\"AWS\\\":\\\"arn:aws:iam::000000000000:root\\\"},\\\"Action\\\":"
        "\\\"sts:AssumeRole\\\"}]}\"}";
    assert_int_equal(iam_fixture_call(f->iam, NULL, "iam", "CreateRole", trust, NULL), 0);
    struct iam_credential session;
    struct iam_session_spec spec = {.account_id = IAM_FIXTURE_ACCOUNT,
                                    .role_name = "short",
                                    .session_name = "s1",
                                    .expires_ms = IAM_FIXTURE_T0 + 900 * 1000};
    assert_int_equal(iam_session_create(&session, f->iam->st, &spec), 0);
    struct credentials creds = {session.principal.access_key_id, session.secret_access_key,
                                session.session_token};

    struct http_response resp;
    assert_int_equal(call_sts(f, &creds, &resp), 200);
    assert_non_null(strstr(resp.body.data, "assumed-role/short/s1"));
    http_response_release(&resp);

    /* One second past the expiry, signed at that time: refused. */
    clock_set_fake(IAM_FIXTURE_T0 + 901 * 1000);
    assert_int_equal(call_sts(f, &creds, &resp), 403);
    assert_non_null(strstr(resp.body.data, "<Code>ExpiredToken</Code>"));
    assert_non_null(
        strstr(resp.body.data, "The security token included in the request is expired"));
    http_response_release(&resp);

    /* A wrong token is refused as invalid, whatever the time. */
    struct credentials wrong = creds;
    wrong.token = "not-the-token";
    clock_set_fake(IAM_FIXTURE_T0);
    assert_int_equal(call_sts(f, &wrong, &resp), 403);
    assert_non_null(strstr(resp.body.data, "<Code>InvalidClientTokenId</Code>"));
    http_response_release(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_admin_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_refused_once_expired, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
