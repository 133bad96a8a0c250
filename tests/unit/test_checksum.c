#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/common.h"
#include "base/buf.h"
#include "base/checksum.h"
#include "base/crypto.h"
#include "base/err.h"

/* Bit-at-a-time references, written straight from the definitions. */
static uint64_t crc_bitwise(const uint8_t *p, size_t len, uint64_t poly, uint64_t all_ones)
{
    uint64_t r = all_ones;
    for (size_t i = 0; i < len; i++) {
        r ^= p[i];
        for (int bit = 0; bit < 8; bit++)
            r = (r & 1) ? (r >> 1) ^ poly : r >> 1;
    }
    return r ^ all_ones;
}

static uint32_t ref_crc32(const void *p, size_t len)
{
    return (uint32_t)crc_bitwise(p, len, 0xedb88320, 0xffffffff);
}

static uint32_t ref_crc32c(const void *p, size_t len)
{
    return (uint32_t)crc_bitwise(p, len, 0x82f63b78, 0xffffffff);
}

static uint64_t ref_crc64nvme(const void *p, size_t len)
{
    return crc_bitwise(p, len, UINT64_C(0x9a6c9329ac4bc9b5), UINT64_MAX);
}

/* A reproducible pseudo-random stream (xorshift64*), so failures repeat. */
static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(0x2545f4914f6cdd1d);
}

static void fill_random(uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(rng() >> 56);
}

/* The standard check values: the CRC of the nine ASCII digits "123456789". */
static void test_check_values(void **state)
{
    (void)state;
    const char *check = "123456789";
    assert_int_equal(crc32_update(0, check, 9), 0xcbf43926);
    assert_int_equal(crc32c_update(0, check, 9), 0xe3069283);
    assert_true(crc64nvme_update(0, check, 9) == UINT64_C(0xae8b14860a799888));
    assert_int_equal(crc32_update_portable(0, check, 9), 0xcbf43926);
    assert_int_equal(crc32c_update_portable(0, check, 9), 0xe3069283);
    assert_true(crc64nvme_update_portable(0, check, 9) == UINT64_C(0xae8b14860a799888));
    assert_int_equal(crc32_update(0, "", 0), 0);
    assert_int_equal(crc32c_update(0, NULL, 0), 0);
    assert_true(crc64nvme_update(0, "", 0) == 0);
    /* 32 bytes of zeros, from RFC 3720 (iSCSI) appendix B.4, for CRC32C. */
    uint8_t zeros[32] = {0};
    assert_int_equal(crc32c_update(0, zeros, sizeof(zeros)), 0x8a9136aa);
    uint8_t ones[32];
    memset(ones, 0xff, sizeof(ones));
    assert_int_equal(crc32c_update(0, ones, sizeof(ones)), 0x62a8ab43);
}

/*
 * Every implementation against the bitwise reference at every length up to
 * past the folding thresholds, and at odd alignments, so the table tails,
 * the 64-byte fold loop, the 16-byte folds and the handover to the tables
 * are all crossed.
 */
static void test_against_reference(void **state)
{
    (void)state;
    enum { MAX = 1200 };
    static uint8_t buf[MAX + 16];
    fill_random(buf, sizeof(buf));
    for (size_t align = 0; align < 8; align += 3) {
        for (size_t len = 0; len <= MAX; len += (len < 300 ? 1 : 37)) {
            const uint8_t *p = buf + align;
            uint32_t c32 = ref_crc32(p, len), c32c = ref_crc32c(p, len);
            uint64_t c64 = ref_crc64nvme(p, len);
            assert_int_equal(crc32_update(0, p, len), c32);
            assert_int_equal(crc32_update_portable(0, p, len), c32);
            assert_int_equal(crc32c_update(0, p, len), c32c);
            assert_int_equal(crc32c_update_portable(0, p, len), c32c);
            assert_true(crc64nvme_update(0, p, len) == c64);
            assert_true(crc64nvme_update_portable(0, p, len) == c64);
        }
    }
}

/* A large buffer through the accelerated path and the tables must agree. */
static void test_large_agrees(void **state)
{
    (void)state;
    size_t len = 3 * 1024 * 1024 + 77;
    uint8_t *p = malloc(len);
    assert_non_null(p);
    fill_random(p, len);
    assert_int_equal(crc32_update(0, p, len), crc32_update_portable(0, p, len));
    assert_int_equal(crc32c_update(0, p, len), crc32c_update_portable(0, p, len));
    assert_true(crc64nvme_update(0, p, len) == crc64nvme_update_portable(0, p, len));
    free(p);
}

/* Feeding in pieces at random boundaries gives the same CRCs and digests. */
static void test_split_feeding(void **state)
{
    (void)state;
    size_t len = 200000;
    uint8_t *p = malloc(len);
    assert_non_null(p);
    fill_random(p, len);

    struct checksum_set *whole = checksum_set_new(CHECKSUM_ALL);
    checksum_set_update(whole, p, len);
    checksum_set_finish(whole);

    for (int round = 0; round < 20; round++) {
        struct checksum_set *set = checksum_set_new(CHECKSUM_ALL);
        uint32_t c32 = 0, c32c = 0;
        uint64_t c64 = 0;
        for (size_t off = 0; off < len;) {
            size_t n = (size_t)(rng() % (round < 10 ? 300 : 70000));
            if (n > len - off)
                n = len - off;
            c32 = crc32_update(c32, p + off, n);
            c32c = crc32c_update(c32c, p + off, n);
            c64 = crc64nvme_update(c64, p + off, n);
            checksum_set_update(set, p + off, n);
            off += n;
        }
        checksum_set_finish(set);
        assert_int_equal(c32, crc32_update(0, p, len));
        assert_int_equal(c32c, crc32c_update(0, p, len));
        assert_true(c64 == crc64nvme_update(0, p, len));
        for (unsigned a = CHECKSUM_MD5; a <= CHECKSUM_CRC64NVME; a <<= 1) {
            uint8_t d1[CHECKSUM_MAX_LEN], d2[CHECKSUM_MAX_LEN];
            size_t n1 = checksum_set_digest(whole, a, d1);
            size_t n2 = checksum_set_digest(set, a, d2);
            assert_int_equal(n1, checksum_length(a));
            assert_int_equal(n1, n2);
            assert_memory_equal(d1, d2, n1);
        }
        checksum_set_free(set);
    }
    checksum_set_free(whole);
    free(p);
}

static void assert_base64(const struct checksum_set *set, enum checksum_algorithm a,
                          const char *expected)
{
    struct buf b = BUF_INIT;
    assert_int_equal(checksum_set_base64(&b, set, a), 0);
    assert_string_equal(b.data, expected);
    buf_release(&b);
}

/*
 * S3's base64 forms. "Hello world" is the input of the AWS SDKs' shared
 * flexible-checksum test cases; the 66560 bytes of 'a' are the object of
 * the S3 API Reference's "Signature calculations for trailing headers"
 * example, whose trailer is x-amz-checksum-crc32c:sOO8/Q==.
 */
static void test_s3_base64(void **state)
{
    (void)state;
    struct checksum_set *set = checksum_set_new(CHECKSUM_ALL);
    assert_int_equal(checksum_set_algorithms(set), CHECKSUM_ALL);
    checksum_set_update(set, "Hello ", 6);
    checksum_set_update(set, "world", 5);
    checksum_set_finish(set);
    checksum_set_finish(set); /* a second call changes nothing */
    assert_base64(set, CHECKSUM_CRC32, "i9aeUg==");
    assert_base64(set, CHECKSUM_CRC32C, "crUfeA==");
    assert_base64(set, CHECKSUM_CRC64NVME, "OOJZ0D8xKts=");
    assert_base64(set, CHECKSUM_SHA1, "e1AsOh9IyGCa4hLN+2Od7jlnP14=");
    assert_base64(set, CHECKSUM_SHA256, "ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=");
    assert_base64(set, CHECKSUM_MD5, "PiWWCnnbxptnTNTsZ6csYg==");

    /* Reset starts over: the empty input. */
    checksum_set_reset(set);
    checksum_set_finish(set);
    assert_base64(set, CHECKSUM_CRC32, "AAAAAA==");
    assert_base64(set, CHECKSUM_CRC64NVME, "AAAAAAAAAAA=");
    assert_base64(set, CHECKSUM_MD5, "1B2M2Y8AsgTpgAmY7PhCfg==");
    checksum_set_free(set);

    static uint8_t a[66560];
    memset(a, 'a', sizeof(a));
    set = checksum_set_new(CHECKSUM_CRC32C | CHECKSUM_CRC32);
    checksum_set_update(set, a, sizeof(a));
    checksum_set_finish(set);
    assert_base64(set, CHECKSUM_CRC32C, "sOO8/Q==");
    assert_base64(set, CHECKSUM_CRC32, "sK4Y7A==");

    /* Algorithms the set does not compute are refused. */
    struct buf b = BUF_INIT;
    uint8_t d[CHECKSUM_MAX_LEN];
    assert_int_equal(checksum_set_base64(&b, set, CHECKSUM_SHA256), ERR_INVALID);
    assert_int_equal(b.len, 0);
    assert_int_equal(checksum_set_digest(set, CHECKSUM_MD5, d), 0);
    assert_int_equal(checksum_set_digest(set, CHECKSUM_CRC32 | CHECKSUM_CRC32C, d), 0);
    checksum_set_free(set);
    checksum_set_free(NULL);

    /* Not finished yet: nothing to read. */
    set = checksum_set_new(CHECKSUM_CRC32);
    assert_int_equal(checksum_set_digest(set, CHECKSUM_CRC32, d), 0);
    checksum_set_free(set);
}

static void test_compute_and_names(void **state)
{
    (void)state;
    uint8_t d[CHECKSUM_MAX_LEN];
    char hex[2 * CHECKSUM_MAX_LEN + 1];

    assert_int_equal(checksum_compute(d, CHECKSUM_CRC64NVME, "123456789", 9), 8);
    hex_encode(hex, d, 8);
    assert_string_equal(hex, "ae8b14860a799888");
    assert_int_equal(checksum_compute(d, CHECKSUM_CRC32, "123456789", 9), 4);
    hex_encode(hex, d, 4);
    assert_string_equal(hex, "cbf43926");
    assert_int_equal(checksum_compute(d, CHECKSUM_SHA1, "abc", 3), 20);
    hex_encode(hex, d, 20);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_int_equal(checksum_compute(d, CHECKSUM_SHA256 | CHECKSUM_MD5, "abc", 3), 0);

    enum checksum_algorithm a;
    assert_int_equal(checksum_from_name(&a, "crc64nvme", 9), 0);
    assert_int_equal(a, CHECKSUM_CRC64NVME);
    assert_int_equal(checksum_from_name(&a, "CRC32C", 6), 0);
    assert_int_equal(a, CHECKSUM_CRC32C);
    assert_int_equal(checksum_from_name(&a, "CRC32", 5), 0);
    assert_int_equal(a, CHECKSUM_CRC32);
    assert_int_equal(checksum_from_name(&a, "SHA256", 6), 0);
    assert_int_equal(a, CHECKSUM_SHA256);
    assert_int_equal(checksum_from_name(&a, "MD5", 3), ERR_INVALID);
    assert_int_equal(checksum_from_name(&a, "CRC3", 4), ERR_INVALID);
    assert_int_equal(checksum_from_name(&a, "", 0), ERR_INVALID);
    assert_string_equal(checksum_name(CHECKSUM_CRC64NVME), "CRC64NVME");
    assert_string_equal(checksum_header(CHECKSUM_CRC32C), "x-amz-checksum-crc32c");
    assert_null(checksum_header(CHECKSUM_MD5));
    assert_null(checksum_name(0));
    assert_int_equal(checksum_length(CHECKSUM_SHA1), 20);
    assert_non_null(checksum_accel());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_values), cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_large_agrees), cmocka_unit_test(test_split_feeding),
        cmocka_unit_test(test_s3_base64),    cmocka_unit_test(test_compute_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
