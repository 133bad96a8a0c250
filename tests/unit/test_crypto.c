#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/common.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/ids.h"

static void test_sha256_and_md5(void **state)
{
    (void)state;
    uint8_t d[SHA256_LEN];
    char hex[2 * SHA256_LEN + 1];
    sha256(d, "abc", 3);
    hex_encode(hex, d, SHA256_LEN);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    struct sha256_ctx *ctx = sha256_begin();
    sha256_update(ctx, "a", 1);
    sha256_update(ctx, "bc", 2);
    uint8_t d2[SHA256_LEN];
    sha256_end(ctx, d2);
    assert_memory_equal(d, d2, SHA256_LEN);
    uint8_t m[MD5_LEN];
    md5(m, "", 0);
    hex_encode(hex, m, MD5_LEN);
    assert_string_equal(hex, "d41d8cd98f00b204e9800998ecf8427e");
}

/* RFC 4231 test cases 1, 2 and 6 (key longer than the block). */
static void test_hmac_rfc4231(void **state)
{
    (void)state;
    uint8_t out[SHA256_LEN];
    char hex[2 * SHA256_LEN + 1];
    uint8_t key1[20];
    memset(key1, 0x0b, sizeof(key1));
    hmac_sha256(out, key1, sizeof(key1), "Hi There", 8);
    hex_encode(hex, out, SHA256_LEN);
    assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    hmac_sha256(out, "Jefe", 4, "what do ya want for nothing?", 28);
    hex_encode(hex, out, SHA256_LEN);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    uint8_t key6[131];
    memset(key6, 0xaa, sizeof(key6));
    const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
    hmac_sha256(out, key6, sizeof(key6), msg, strlen(msg));
    hex_encode(hex, out, SHA256_LEN);
    assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

/* SHA-1 of "abc" (FIPS 180 example) and RFC 2202 HMAC-SHA1 test cases 1, 2 and 6. */
static void test_sha1_and_hmac_sha1(void **state)
{
    (void)state;
    uint8_t out[SHA1_LEN];
    char hex[2 * SHA1_LEN + 1];
    sha1(out, "abc", 3);
    hex_encode(hex, out, SHA1_LEN);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    uint8_t key1[20];
    memset(key1, 0x0b, sizeof(key1));
    hmac_sha1(out, key1, sizeof(key1), "Hi There", 8);
    hex_encode(hex, out, SHA1_LEN);
    assert_string_equal(hex, "b617318655057264e28bc0b6fb378c8ef146be00");
    hmac_sha1(out, "Jefe", 4, "what do ya want for nothing?", 28);
    hex_encode(hex, out, SHA1_LEN);
    assert_string_equal(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    uint8_t key6[80];
    memset(key6, 0xaa, sizeof(key6));
    const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
    hmac_sha1(out, key6, sizeof(key6), msg, strlen(msg));
    hex_encode(hex, out, SHA1_LEN);
    assert_string_equal(hex, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

/* RFC 7914 section 11's PBKDF2-HMAC-SHA256 vector. */
static void test_pbkdf2(void **state)
{
    (void)state;
    uint8_t out[64];
    char hex[129];
    pbkdf2_sha256(out, sizeof(out), "passwd", (const uint8_t *)"salt", 4, 1);
    hex_encode(hex, out, sizeof(out));
    assert_string_equal(hex, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                             "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
}

static void test_hex_and_base64(void **state)
{
    (void)state;
    uint8_t b[3];
    assert_int_equal(hex_decode(b, 3, "00fFa0", 6), 0);
    assert_int_equal(b[1], 0xff);
    assert_int_equal(hex_decode(b, 3, "00fFa", 5), ERR_INVALID);
    assert_int_equal(hex_decode(b, 3, "00fFag", 6), ERR_INVALID);

    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
        struct buf e = BUF_INIT, d = BUF_INIT;
        base64_encode(&e, plain[i], strlen(plain[i]));
        assert_string_equal(e.data, enc[i]);
        assert_int_equal(base64_decode(&d, e.data, e.len), 0);
        assert_string_equal(d.data, plain[i]);
        buf_release(&e);
        buf_release(&d);
    }
    struct buf d = BUF_INIT;
    assert_int_equal(base64_decode(&d, "Zm9", 3), ERR_INVALID);
    assert_int_equal(base64_decode(&d, "Zm=v", 4), ERR_INVALID);
    assert_int_equal(base64_decode(&d, "Zm9!", 4), ERR_INVALID);
    buf_release(&d);
}

static void test_ids(void **state)
{
    (void)state;
    char u1[UUID_TEXT_LEN], u2[UUID_TEXT_LEN];
    uuid_v4(u1);
    uuid_v4(u2);
    assert_int_equal(strlen(u1), 36);
    assert_int_equal(u1[14], '4');
    assert_string_not_equal(u1, u2);
    char key[21];
    aws_id(key, "AKIA", 20);
    assert_int_equal(strlen(key), 20);
    assert_memory_equal(key, "AKIA", 4);
    for (int i = 4; i < 20; i++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", key[i]));
    char secret[SECRET_KEY_LEN + 1];
    aws_secret_key(secret);
    assert_int_equal(strlen(secret), 40);
    assert_true(secure_equal("abc", "abc", 3));
    assert_false(secure_equal("abc", "abd", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_and_md5), cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_pbkdf2),         cmocka_unit_test(test_sha1_and_hmac_sha1),
        cmocka_unit_test(test_hex_and_base64), cmocka_unit_test(test_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
