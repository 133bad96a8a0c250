#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/common.h"
#include "base/err.h"
#include "http/httpd.h"
#include "server/config.h"

static int parse(struct server_config *cfg, const char **args)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"server";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    server_config_init(cfg);
    return server_config_parse(cfg, argc, argv);
}

static void test_defaults(void **state)
{
    (void)state;
    struct server_config cfg;
    const char *args[] = {NULL};
    assert_int_equal(parse(&cfg, args), 0);
    assert_string_equal(cfg.listen, "127.0.0.1:4566");
    assert_string_equal(cfg.data_dir, "./.slipway");
    assert_string_equal(cfg.auth, "strict");
    assert_string_equal(cfg.account_id, "000000000000");
    assert_int_equal(cfg.max_body_bytes, 16777216);
    assert_int_equal(cfg.request_seconds, 300);
    server_config_release(&cfg);
}

static void test_options(void **state)
{
    (void)state;
    struct server_config cfg;
    const char *args[] = {"--listen",     "[::1]:0",   "--account-id",
                          "123456789012", "--workers", "3",
                          "--auth",       "open",      NULL};
    assert_int_equal(parse(&cfg, args), 0);
    assert_string_equal(cfg.listen, "[::1]:0");
    assert_int_equal(cfg.workers, 3);
    assert_string_equal(cfg.auth, "open");
    server_config_release(&cfg);
}

static void expect_invalid(const char **args, const char *needle)
{
    struct server_config cfg;
    assert_int_equal(parse(&cfg, args), ERR_INVALID);
    if (!strstr(err_msg(), needle))
        fail_msg("'%s' does not mention '%s'", err_msg(), needle);
    server_config_release(&cfg);
}

static void test_refusals(void **state)
{
    (void)state;
    const char *a1[] = {"--listen", "10.0.0.1:4566", NULL};
    expect_invalid(a1, "--tls-cert");
    const char *a2[] = {"--listen", "0.0.0.0:1", "--allow-plain-http", "--auth", "open", NULL};
    expect_invalid(a2, "loopback");
    const char *a3[] = {"--auth", "lax", NULL};
    expect_invalid(a3, "'lax'");
    const char *a4[] = {"--account-id", "1234", NULL};
    expect_invalid(a4, "12 digits");
    const char *a5[] = {"--workers", "many", NULL};
    expect_invalid(a5, "--workers");
    const char *a6[] = {"--tls-cert", "a.pem", NULL};
    expect_invalid(a6, "together");
    const char *a7[] = {"--nope", NULL};
    expect_invalid(a7, "'--nope'");
    const char *a8[] = {"stray", NULL};
    expect_invalid(a8, "'stray'");
}

static void test_loopback_detection(void **state)
{
    (void)state;
    assert_true(http_listen_is_loopback("127.0.0.1:4566"));
    assert_true(http_listen_is_loopback("127.8.9.1:1"));
    assert_true(http_listen_is_loopback("[::1]:4566"));
    assert_true(http_listen_is_loopback("localhost:80"));
    assert_false(http_listen_is_loopback("0.0.0.0:4566"));
    assert_false(http_listen_is_loopback("[::]:4566"));
    assert_false(http_listen_is_loopback("192.168.1.2:4566"));
    assert_false(http_listen_is_loopback("garbage"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_loopback_detection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
