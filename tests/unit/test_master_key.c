/*
 * Secrets at rest (src/base/crypto.c aead_*, src/store/master_key.c): AES-256-GCM
 * round trips, tampering, wrong key and wrong context refused, and the key
 * file's life cycle (created once, 0600, refused when others can read it,
 * the environment's key preferred).
 */
#include <dirent.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include "base/common.h"
#include "base/alloc.h"
#include "base/crypto.h"
#include "base/err.h"
#include "store/master_key.h"

#include <cmocka.h>

static int remove_entry(const char *path, const struct stat *sb UNUSED, int flag UNUSED,
                        struct FTW *ftw UNUSED)
{
    return remove(path);
}

static char *make_dir(void)
{
    char tmpl[] = "/tmp/slipway-mkey-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    return xstrdup(tmpl);
}

static void remove_dir(char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

static void test_aead_round_trip_and_tamper(void **state)
{
    (void)state;
    uint8_t key[AEAD_KEY_LEN], other[AEAD_KEY_LEN];
    random_bytes(key, sizeof(key));
    random_bytes(other, sizeof(other));
    static const char plain[] = "db-password=hunter2";
    struct buf sealed = BUF_INIT, out = BUF_INIT;
    aead_seal(&sealed, key, "ctx", 3, plain, strlen(plain));
    assert_int_equal(sealed.len, strlen(plain) + AEAD_OVERHEAD);
    /* The ciphertext does not contain the plaintext. */
    assert_null(memmem(sealed.data, sealed.len, "hunter2", 7));

    assert_int_equal(aead_open(&out, key, "ctx", 3, sealed.data, sealed.len), 0);
    assert_int_equal(out.len, strlen(plain));
    assert_memory_equal(out.data, plain, out.len);

    /* Every single-byte change is refused, and leaves `out` as it was. */
    for (size_t i = 0; i < sealed.len; i++) {
        buf_reset(&out);
        sealed.data[i] ^= 0x01;
        assert_int_equal(aead_open(&out, key, "ctx", 3, sealed.data, sealed.len), ERR_INVALID);
        assert_int_equal(out.len, 0);
        sealed.data[i] ^= 0x01;
    }
    assert_int_equal(aead_open(&out, other, "ctx", 3, sealed.data, sealed.len), ERR_INVALID);
    assert_int_equal(aead_open(&out, key, "cty", 3, sealed.data, sealed.len), ERR_INVALID);
    assert_int_equal(aead_open(&out, key, "ctx", 3, sealed.data, AEAD_OVERHEAD - 1), ERR_INVALID);

    /* Two seals of the same value differ (a fresh nonce each time). */
    struct buf again = BUF_INIT;
    aead_seal(&again, key, "ctx", 3, plain, strlen(plain));
    assert_false(again.len == sealed.len && memcmp(again.data, sealed.data, sealed.len) == 0);
    buf_release(&again);

    /* Empty values seal too. */
    buf_reset(&sealed);
    buf_reset(&out);
    aead_seal(&sealed, key, "", 0, "", 0);
    assert_int_equal(aead_open(&out, key, "", 0, sealed.data, sealed.len), 0);
    assert_int_equal(out.len, 0);
    buf_release(&sealed);
    buf_release(&out);
}

static void test_sealed_text(void **state)
{
    (void)state;
    struct master_key k;
    random_bytes(k.key, sizeof(k.key));
    struct buf text = BUF_INIT, out = BUF_INIT;
    master_key_seal(&text, &k, "ssm/000000000000/us-east-1/db/1", "s3cr3t", 6);
    assert_true(strncmp(text.data, "v1.", 3) == 0);
    assert_null(strstr(text.data, "s3cr3t"));
    assert_int_equal(
        master_key_open(&out, &k, "ssm/000000000000/us-east-1/db/1", text.data, text.len), 0);
    assert_string_equal(out.data, "s3cr3t");
    /* Moved to another record, it does not open. */
    buf_reset(&out);
    assert_int_equal(
        master_key_open(&out, &k, "ssm/000000000000/us-east-1/db/2", text.data, text.len),
        ERR_INVALID);
    assert_int_equal(master_key_open(&out, &k, "x", "plain", 5), ERR_INVALID);
    assert_int_equal(master_key_open(&out, &k, "x", "v1.!!!", 6), ERR_INVALID);
    buf_release(&text);
    buf_release(&out);
}

static void test_key_file(void **state)
{
    (void)state;
    unsetenv(MASTER_KEY_ENV);
    char *dir = make_dir();
    struct master_key a, b;
    assert_int_equal(master_key_load(&a, dir), 0);
    char *path = xasprintf("%s/%s", dir, MASTER_KEY_FILE);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, AEAD_KEY_LEN);
    /* The next start reads the same key. */
    assert_int_equal(master_key_load(&b, dir), 0);
    assert_memory_equal(a.key, b.key, AEAD_KEY_LEN);
    /* No temporary file is left. */
    char *tmp = xasprintf("%s/%s.tmp", dir, MASTER_KEY_FILE);
    assert_int_not_equal(access(tmp, F_OK), 0);
    free(tmp);

    /* A key file others can read is refused, not silently used. */
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(master_key_load(&b, dir), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "chmod 600"));
    assert_int_equal(chmod(path, 0600), 0);

    /* The environment's key wins; a malformed one is an error. */
    setenv(MASTER_KEY_ENV, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 1);
    assert_int_equal(master_key_load(&b, dir), 0);
    assert_int_equal(b.key[0], 0x00);
    assert_int_equal(b.key[1], 0x11);
    assert_int_equal(b.key[31], 0xff);
    setenv(MASTER_KEY_ENV, "short", 1);
    assert_int_equal(master_key_load(&b, dir), ERR_INVALID);
    unsetenv(MASTER_KEY_ENV);

    /* A truncated key file is refused. */
    assert_int_equal(truncate(path, 5), 0);
    assert_int_equal(master_key_load(&b, dir), ERR_INVALID);
    free(path);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aead_round_trip_and_tamper),
        cmocka_unit_test(test_sealed_text),
        cmocka_unit_test(test_key_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
