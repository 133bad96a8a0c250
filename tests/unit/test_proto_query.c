/*
 * awsQuery beyond what botocore's protocol vectors cover: malformed forms,
 * the limits, type errors that name the parameter, routing failures, and
 * the response and error envelopes, against the compiled IAM and SNS
 * models.
 */
#include "base/common.h"

#include <jansson.h>
#include <setjmp.h>
#include <cmocka.h>

#include "aws/protocol.h"
#include "aws/protocol_impl.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/xml.h"

static const struct header_field form_headers[] = {
    {"Content-Type", 12, "application/x-www-form-urlencoded; charset=utf-8", 48},
};

static struct aws_request form_request(const char *body, size_t len)
{
    return (struct aws_request){
        .method = "POST",
        .path = "/",
        .headers = form_headers,
        .header_count = ARRAY_SIZE(form_headers),
        .body = body,
        .body_len = len,
    };
}

static const struct model_service *service(const char *name)
{
    const struct model_service *svc = model_service_find(name);
    if (!svc)
        fail_msg("model '%s' is not compiled in", name);
    return svc;
}

static const struct model_operation *operation(const struct model_service *svc, const char *name)
{
    const struct model_operation *op = model_operation_find(svc, name, strlen(name));
    assert_non_null(op);
    return op;
}

/* Matches and decodes `body` for IAM; returns the params or NULL on error. */
static json_t *decode_iam(const char *body, int *rc_out)
{
    const struct model_service *iam = service("iam");
    struct aws_request req = form_request(body, strlen(body));
    const struct model_operation *op;
    int rc = query_protocol_match(&op, iam, &req);
    json_t *params = NULL;
    if (rc == 0)
        rc = query_protocol_decode(&params, iam, op, &req);
    *rc_out = rc;
    return rc == 0 ? params : NULL;
}

static void expect_error(const char *body, int kind, const char *needle)
{
    int rc;
    json_t *params = decode_iam(body, &rc);
    if (rc != kind) {
        json_decref(params);
        fail_msg("expected %d for '%.80s', got %d (%s)", kind, body, rc, err_msg());
    }
    if (!strstr(err_msg(), needle))
        fail_msg("message '%s' lacks '%s'", err_msg(), needle);
}

static void test_decode_nested_lists_in_index_order(void **state)
{
    (void)state;
    int rc;
    json_t *params = decode_iam("Action=CreateRole&Version=2010-05-08&RoleName=r+1%2Fx"
                                "&MaxSessionDuration=3600&Tags.member.10.Key=k10"
                                "&Tags.member.10.Value=v10&Tags.member.2.Key=k2"
                                "&Tags.member.2.Value=&Tags.member.9.Key=k9",
                                &rc);
    if (rc != 0)
        fail_msg("decode failed: %s", err_msg());
    assert_string_equal(json_string_value(json_object_get(params, "RoleName")), "r 1/x");
    assert_int_equal(json_integer_value(json_object_get(params, "MaxSessionDuration")), 3600);
    json_t *tags = json_object_get(params, "Tags");
    assert_int_equal(json_array_size(tags), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(tags, 0), "Key")), "k2");
    assert_string_equal(json_string_value(json_object_get(json_array_get(tags, 0), "Value")), "");
    assert_string_equal(json_string_value(json_object_get(json_array_get(tags, 1), "Key")), "k9");
    assert_null(json_object_get(json_array_get(tags, 1), "Value"));
    assert_string_equal(json_string_value(json_object_get(json_array_get(tags, 2), "Key")), "k10");
    assert_null(json_object_get(params, "Action"));
    json_decref(params);
}

static void test_decode_empty_list_and_get(void **state)
{
    (void)state;
    int rc;
    json_t *params = decode_iam("Action=CreateRole&RoleName=r&Tags=", &rc);
    assert_int_equal(rc, 0);
    assert_true(json_is_array(json_object_get(params, "Tags")));
    assert_int_equal(json_array_size(json_object_get(params, "Tags")), 0);
    json_decref(params);

    const struct model_service *iam = service("iam");
    struct aws_request req = {
        .method = "GET", .path = "/", .query = "Action=GetRole&Version=2010-05-08&RoleName=admin"};
    const struct model_operation *op;
    assert_int_equal(query_protocol_match(&op, iam, &req), 0);
    assert_string_equal(op->name, "GetRole");
    assert_int_equal(query_protocol_decode(&params, iam, op, &req), 0);
    assert_string_equal(json_string_value(json_object_get(params, "RoleName")), "admin");
    json_decref(params);
}

static void test_decode_map(void **state)
{
    (void)state;
    const struct model_service *sns = service("sns");
    const char *body = "Action=CreateTopic&Name=t&Attributes.entry.2.key=DisplayName"
                       "&Attributes.entry.2.value=Hello&Attributes.entry.1.key=Policy"
                       "&Attributes.entry.1.value=%7B%7D";
    struct aws_request req = form_request(body, strlen(body));
    const struct model_operation *op;
    json_t *params;
    assert_int_equal(query_protocol_match(&op, sns, &req), 0);
    assert_int_equal(query_protocol_decode(&params, sns, op, &req), 0);
    json_t *attrs = json_object_get(params, "Attributes");
    assert_string_equal(json_string_value(json_object_get(attrs, "DisplayName")), "Hello");
    assert_string_equal(json_string_value(json_object_get(attrs, "Policy")), "{}");
    json_decref(params);

    const char *dup = "Action=CreateTopic&Name=t&Attributes.entry.1.key=A"
                      "&Attributes.entry.1.value=1&Attributes.entry.2.key=A"
                      "&Attributes.entry.2.value=2";
    req = form_request(dup, strlen(dup));
    assert_int_equal(query_protocol_decode(&params, sns, op, &req), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "parameter 'Attributes.entry.2' has key 'A' more than once"));

    const char *no_value = "Action=CreateTopic&Name=t&Attributes.entry.1.key=A";
    req = form_request(no_value, strlen(no_value));
    assert_int_equal(query_protocol_decode(&params, sns, op, &req), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "parameter 'Attributes.entry.1.value' is missing"));
}

static void test_type_errors_name_the_parameter(void **state)
{
    (void)state;
    expect_error("Action=CreateRole&RoleName=r&MaxSessionDuration=1h", ERR_INVALID,
                 "parameter 'MaxSessionDuration'");
    expect_error("Action=CreateRole&RoleName=r&MaxSessionDuration=99999999999", ERR_INVALID,
                 "parameter 'MaxSessionDuration'");
    expect_error("Action=CreateRole&RoleName=r&Tags.member.1=x", ERR_INVALID,
                 "parameter 'Tags.member.1' must be a structure, not a single value");
    expect_error("Action=CreateRole&RoleName.x=r", ERR_INVALID,
                 "parameter 'RoleName' must be a string, not a structure (found 'RoleName.x')");
    expect_error("Action=CreateRole&RoleName=r&Tags=x", ERR_INVALID,
                 "parameter 'Tags' must be a list, not a single value");
    expect_error("Action=CreateRole&RoleName=r&Tags.member.0.Key=k", ERR_INVALID,
                 "parameter 'Tags.member.0' is not a list index");
    expect_error("Action=CreateRole&RoleName=r&Tags.member.one.Key=k", ERR_INVALID,
                 "parameter 'Tags.member.one' is not a list index");
    expect_error("Action=CreateRole&RoleName=r&Tags.item.1.Key=k", ERR_INVALID,
                 "parameter 'Tags.item' is not expected");
    expect_error("Action=CreateRole&RoleName=r&Tags.member.1.Key=a&Tags.member.01.Key=b",
                 ERR_INVALID, "parameter 'Tags.member' has index 1 more than once");
    expect_error("Action=CreateRole&RoleName=%ff", ERR_INVALID,
                 "parameter 'RoleName': value is not valid UTF-8");
}

static void test_bad_form_encoding(void **state)
{
    (void)state;
    expect_error("Action=CreateRole&RoleName=a%2", ERR_INVALID,
                 "request body: malformed percent-encoding at byte 29");
    expect_error("Action=CreateRole&RoleName=%zz", ERR_INVALID, "malformed percent-encoding");
    expect_error("Action=CreateRole&=x", ERR_INVALID, "parameter without a name at byte 19");
    expect_error("Action=CreateRole&RoleName=a&RoleName=b", ERR_INVALID,
                 "parameter 'RoleName' is given more than once");
    expect_error("Action=CreateRole&Tags..Key=a", ERR_INVALID,
                 "parameter name 'Tags..Key' has an empty part");
    expect_error("Action=CreateRole&%00=a", ERR_INVALID, "is not valid UTF-8 text");

    const struct model_service *iam = service("iam");
    static const struct header_field json_headers[] = {
        {"Content-Type", 12, "application/json", 16},
    };
    struct aws_request req = {.method = "POST",
                              .path = "/",
                              .headers = json_headers,
                              .header_count = 1,
                              .body = "{}",
                              .body_len = 2};
    const struct model_operation *op;
    assert_int_equal(query_protocol_match(&op, iam, &req), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "Content-Type 'application/json' is not supported"));
}

static void test_limits(void **state)
{
    (void)state;
    struct buf body = BUF_INIT;
    buf_adds(&body, "Action=CreateRole&RoleName=r");
    for (int i = 1; i <= 998; i++)
        buf_addf(&body, "&Tags.member.%d.Key=k", i);
    int rc;
    json_t *params = decode_iam(body.data, &rc);
    if (rc != 0)
        fail_msg("1000 parameters must decode: %s", err_msg());
    assert_int_equal(json_array_size(json_object_get(params, "Tags")), 998);
    json_decref(params);
    buf_adds(&body, "&Extra=1");
    expect_error(body.data, ERR_LIMIT,
                 "request has more than 1000 parameters (at most 1000 are accepted)");
    buf_release(&body);

    struct buf name = BUF_INIT;
    buf_adds(&name, "Action=CreateRole&");
    for (int i = 0; i < 600; i++)
        buf_addch(&name, 'N');
    buf_adds(&name, "=1");
    expect_error(name.data, ERR_LIMIT, "is longer than 512 bytes");
    buf_release(&name);

    struct buf value = BUF_INIT;
    buf_adds(&value, "Action=CreateRole&RoleName=");
    for (size_t i = 0; i < (1u << 20) + 1; i++)
        buf_addch(&value, 'v');
    expect_error(value.data, ERR_LIMIT, "parameter 'RoleName' is longer than 1048576 bytes");
    buf_release(&value);
}

static void test_unknown_or_missing_action(void **state)
{
    (void)state;
    expect_error("Action=LaunchRockets&Version=2010-05-08", ERR_NOT_FOUND,
                 "action 'LaunchRockets' is not an operation of service 'iam'");
    expect_error("Version=2010-05-08&RoleName=r", ERR_NOT_FOUND,
                 "request has no 'Action' parameter");
    expect_error("Action=&Version=2010-05-08", ERR_NOT_FOUND, "request has no 'Action' parameter");
    expect_error("Action=CreateRole%00x", ERR_NOT_FOUND, "is not an operation of service 'iam'");
    expect_error("", ERR_NOT_FOUND, "request has no 'Action' parameter");
}

static const struct xml_node *child(const struct xml_node *node, const char *name)
{
    const struct xml_node *c = xml_child(node, name);
    if (!c)
        fail_msg("element '%s' has no child '%s'", node->name, name);
    return c;
}

static void test_encode_response(void **state)
{
    (void)state;
    const struct model_service *iam = service("iam");
    const struct model_operation *op = operation(iam, "CreateRole");
    json_t *output = json_pack("{s:{s:s, s:s, s:I, s:[{s:s, s:s}]}}", "Role", "RoleName", "a<b&c",
                               "Arn", "arn:aws:iam::000000000000:role/x", "CreateDate",
                               (json_int_t)1398796238123, "Tags", "Key", "k", "Value", "v");
    struct http_response resp;
    http_response_init(&resp);
    assert_int_equal(query_protocol_encode(&resp, iam, op, output, "req-1"), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(http_response_header(&resp, "Content-Type"), "text/xml");

    struct xml_doc *doc;
    if (xml_parse(&doc, resp.body.data, resp.body.len, "response", NULL) < 0)
        fail_msg("%s\n%s", err_msg(), resp.body.data);
    const struct xml_node *root = doc->root;
    assert_string_equal(root->name, "CreateRoleResponse");
    assert_string_equal(xml_node_namespace(root), "https://iam.amazonaws.com/doc/2010-05-08/");
    const struct xml_node *role = child(child(root, "CreateRoleResult"), "Role");
    assert_string_equal(child(role, "RoleName")->text, "a<b&c");
    assert_string_equal(child(role, "CreateDate")->text, "2014-04-29T18:30:38.123Z");
    const struct xml_node *tag = child(child(role, "Tags"), "member");
    assert_string_equal(child(tag, "Key")->text, "k");
    assert_string_equal(child(child(root, "ResponseMetadata"), "RequestId")->text, "req-1");
    xml_doc_free(doc);
    http_response_release(&resp);

    /* Output that does not fit the model is refused, and `resp` untouched. */
    json_t *bad = json_pack("{s:{s:i}}", "Role", "RoleName", 7);
    http_response_init(&resp);
    assert_int_equal(query_protocol_encode(&resp, iam, op, bad, "req-2"), ERR_INTERNAL);
    assert_int_equal(resp.body.len, 0);
    assert_null(http_response_header(&resp, "Content-Type"));
    http_response_release(&resp);
    json_decref(bad);
    json_decref(output);

    /* An operation without output still answers with its request id. */
    op = operation(iam, "DeleteRole");
    http_response_init(&resp);
    assert_int_equal(query_protocol_encode(&resp, iam, op, NULL, "req-3"), 0);
    assert_string_equal(resp.body.data, "<DeleteRoleResponse "
                                        "xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
                                        "<ResponseMetadata><RequestId>req-3</RequestId>"
                                        "</ResponseMetadata></DeleteRoleResponse>");
    http_response_release(&resp);
}

static void test_encode_error(void **state)
{
    (void)state;
    const struct model_service *iam = service("iam");
    struct aws_error err = {
        .code = "NoSuchEntity",
        .message = "role 'x' <not> found",
        .status = 404,
        .sender = true,
    };
    struct http_response resp;
    http_response_init(&resp);
    query_protocol_encode_error(&resp, iam, &err, "req-9");
    assert_int_equal(resp.status, 404);
    assert_string_equal(http_response_header(&resp, "Content-Type"), "text/xml");
    assert_string_equal(resp.body.data,
                        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
                        "<Error><Type>Sender</Type><Code>NoSuchEntity</Code>"
                        "<Message>role 'x' &lt;not&gt; found</Message></Error>"
                        "<RequestId>req-9</RequestId></ErrorResponse>");
    http_response_release(&resp);

    struct aws_error fault = {.code = "ServiceFailure", .message = "boom", .status = 500};
    http_response_init(&resp);
    query_protocol_encode_error(&resp, iam, &fault, "req-10");
    assert_int_equal(resp.status, 500);
    assert_non_null(strstr(resp.body.data, "<Type>Receiver</Type>"));
    http_response_release(&resp);
}

/*
 * The XML codec the query responses use is shared with restXml; its
 * request side is reached through S3 here.
 */
static void test_xml_body_errors_say_where(void **state)
{
    (void)state;
    const struct model_service *s3 = service("s3");
    const struct model_operation *op = operation(s3, "DeleteObjects");
    const char *bodies[][2] = {
        {"<Delete><Object><Key>a</Key></Object>\n  <Quiet>yes</Quiet></Delete>",
         "request body:2:3: element 'Quiet': 'yes' is not a boolean"},
        {"<Delete><Object><Key>a</Key></Object>\n<Quiet>true</Delete>",
         "request body:2:12: end tag 'Delete' does not match start tag 'Quiet' at 2:1"},
        {"<Delete><Object><Key><b>x</b></Key></Object></Delete>",
         "request body:1:22: element 'Key' must hold a string, not element 'b'"},
        {"<!DOCTYPE d [<!ENTITY e \"x\">]><Delete/>",
         "request body:1:1: DOCTYPE declarations are not allowed"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
        struct aws_request req = {.method = "POST",
                                  .path = "/bucket",
                                  .query = "delete",
                                  .body = bodies[i][0],
                                  .body_len = strlen(bodies[i][0])};
        json_t *params = NULL;
        int rc = restxml_decode(&params, s3, op, &req);
        if (rc != ERR_INVALID || !strstr(err_msg(), bodies[i][1]))
            fail_msg("body %zu: got %d '%s', want '%s'", i, rc, err_msg(), bodies[i][1]);
    }

    const char *ok = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                     "<Object><Key>a&amp;b</Key></Object><Object><Key>c</Key>"
                     "<VersionId>v</VersionId></Object><Quiet> true </Quiet></Delete>";
    struct aws_request req = {
        .method = "POST", .path = "/bucket", .query = "delete", .body = ok, .body_len = strlen(ok)};
    json_t *params = NULL;
    if (restxml_decode(&params, s3, op, &req) < 0)
        fail_msg("%s", err_msg());
    json_t *del = json_object_get(params, "Delete");
    assert_string_equal(json_string_value(json_object_get(params, "Bucket")), "bucket");
    assert_true(json_is_true(json_object_get(del, "Quiet")));
    json_t *objects = json_object_get(del, "Objects");
    assert_int_equal(json_array_size(objects), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(objects, 0), "Key")),
                        "a&b");
    assert_string_equal(json_string_value(json_object_get(json_array_get(objects, 1), "VersionId")),
                        "v");
    json_decref(params);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_nested_lists_in_index_order),
        cmocka_unit_test(test_decode_empty_list_and_get),
        cmocka_unit_test(test_decode_map),
        cmocka_unit_test(test_type_errors_name_the_parameter),
        cmocka_unit_test(test_bad_form_encoding),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_unknown_or_missing_action),
        cmocka_unit_test(test_encode_response),
        cmocka_unit_test(test_encode_error),
        cmocka_unit_test(test_xml_body_errors_say_where),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
