/*
 * Streamed request bodies (src/server/upload_sink.c): plain and aws-chunked
 * bodies into a sealed blob writer, hashed on the way, with the failures S3
 * answers for truncated, overlong and mis-framed bodies.
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
#include "server/upload_sink.h"
#include "store/blob.h"

#include <cmocka.h>

#define HELLO_DIGEST "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
/* md5("hello") */
#define HELLO_MD5 "5d41402abc4b2a76b9719d911017c592"

struct fixture {
    char *dir;
    struct blob_store *bs;
};

static int remove_entry(const char *path, const struct stat *sb UNUSED, int flag UNUSED,
                        struct FTW *ftw UNUSED)
{
    return remove(path);
}

static int setup(void **state)
{
    char tmpl[] = "/tmp/slipway-sink-XXXXXX";
    struct fixture *f = xcalloc(1, sizeof(*f));
    if (!mkdtemp(tmpl))
        return -1;
    f->dir = xstrdup(tmpl);
    if (blob_store_open(&f->bs, f->dir) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    blob_store_free(f->bs);
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f->dir);
    free(f);
    return 0;
}

static void assert_md5(const struct api_upload *up, const char *hex)
{
    char got[33];
    hex_encode(got, up->md5, 16);
    assert_string_equal(got, hex);
}

/* Commits the upload's writer and checks the blob holds `want`. */
static void assert_blob(struct fixture *f, struct api_upload *up, const char *want)
{
    char digest[BLOB_DIGEST_LEN + 1];
    assert_int_equal(blob_writer_commit(digest, up->writer, NULL), 0);
    up->writer = NULL;
    assert_string_equal(digest, up->digest);
    struct buf b = BUF_INIT;
    assert_int_equal(blob_store_get(&b, f->bs, digest), 0);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    buf_release(&b);
}

static void test_plain_body_in_pieces(void **state)
{
    struct fixture *f = *state;
    struct upload_sink_options opts = {
        .framing = UPLOAD_PLAIN, .declared_length = 5, .checksum_algorithm = "CRC32"};
    struct upload_sink *s;
    assert_int_equal(upload_sink_new(&s, f->bs, &opts), 0);
    assert_int_equal(upload_sink_write(s, "he", 2), 0);
    assert_int_equal(upload_sink_write(s, "llo", 3), 0);
    struct api_upload up;
    const char *code = NULL;
    assert_int_equal(upload_sink_finish(&up, &code, s), 0);
    assert_int_equal(up.size, 5);
    assert_string_equal(up.digest, HELLO_DIGEST);
    assert_md5(&up, HELLO_MD5);
    assert_string_equal(up.checksum_algorithm, "CRC32");
    /* crc32("hello") = 3610a686 */
    assert_string_equal(up.checksum, "NhCmhg==");
    assert_blob(f, &up, "hello");
    upload_sink_free(s);
}

static void test_sha256_checksum_is_the_digest(void **state)
{
    struct fixture *f = *state;
    struct upload_sink_options opts = {
        .framing = UPLOAD_PLAIN, .declared_length = 5, .checksum_algorithm = "SHA256"};
    struct upload_sink *s;
    assert_int_equal(upload_sink_new(&s, f->bs, &opts), 0);
    assert_int_equal(upload_sink_write(s, "hello", 5), 0);
    struct api_upload up;
    const char *code = NULL;
    assert_int_equal(upload_sink_finish(&up, &code, s), 0);
    assert_string_equal(up.checksum, "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=");
    blob_writer_abort(up.writer);
    upload_sink_free(s);
}

static void test_short_and_long_bodies(void **state)
{
    struct fixture *f = *state;
    struct upload_sink_options opts = {.framing = UPLOAD_PLAIN, .declared_length = 6};
    struct upload_sink *s;
    struct api_upload up;
    const char *code = NULL;

    assert_int_equal(upload_sink_new(&s, f->bs, &opts), 0);
    assert_int_equal(upload_sink_write(s, "hello", 5), 0);
    assert_int_equal(upload_sink_finish(&up, &code, s), ERR_INVALID);
    assert_string_equal(code, "IncompleteBody");
    assert_non_null(strstr(err_msg(), "5 of 6"));
    upload_sink_free(s);

    opts.declared_length = 4;
    assert_int_equal(upload_sink_new(&s, f->bs, &opts), 0);
    assert_int_equal(upload_sink_write(s, "hello", 5), ERR_INVALID);
    /* Everything after a failure is dropped and the failure stays. */
    assert_int_equal(upload_sink_write(s, "x", 1), ERR_INVALID);
    code = NULL;
    assert_int_equal(upload_sink_finish(&up, &code, s), ERR_INVALID);
    assert_string_equal(code, "IncompleteBody");
    upload_sink_free(s);
}

static void test_unsigned_chunked_with_trailer(void **state)
{
    struct fixture *f = *state;
    struct upload_sink_options opts = {.framing = UPLOAD_CHUNKED,
                                       .trailer = true,
                                       .declared_length = 5,
                                       .checksum_algorithm = "CRC32"};
    static const char body[] = "3\r\nhel\r\n2\r\nlo\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
    struct upload_sink *s;
    assert_int_equal(upload_sink_new(&s, f->bs, &opts), 0);
    /* One byte at a time: framing may be split anywhere. */
    for (size_t i = 0; i < sizeof(body) - 1; i++)
        assert_int_equal(upload_sink_write(s, body + i, 1), 0);
    struct api_upload up;
    const char *code = NULL;
    assert_int_equal(upload_sink_finish(&up, &code, s), 0);
    assert_int_equal(up.size, 5);
    assert_string_equal(up.checksum, "NhCmhg==");
    const struct header_field *trailers;
    assert_int_equal(upload_sink_trailers(s, &trailers), 1);
    assert_int_equal(trailers[0].name_len, strlen("x-amz-checksum-crc32"));
    assert_memory_equal(trailers[0].name, "x-amz-checksum-crc32", trailers[0].name_len);
    assert_memory_equal(trailers[0].value, "NhCmhg==", trailers[0].value_len);
    assert_blob(f, &up, "hello");
    upload_sink_free(s);
}

static void test_chunked_framing_errors(void **state)
{
    struct fixture *f = *state;
    struct upload_sink_options opts = {.framing = UPLOAD_CHUNKED, .declared_length = 5};
    struct upload_sink *s;
    struct api_upload up;
    const char *code = NULL;

    /* Not hex where a chunk size belongs. */
    assert_int_equal(upload_sink_new(&s, f->bs, &opts), 0);
    assert_true(upload_sink_write(s, "zz\r\nhello\r\n", 11) < 0);
    assert_true(upload_sink_finish(&up, &code, s) < 0);
    assert_string_equal(code, "IncompleteBody");
    upload_sink_free(s);

    /* The body ends before its final chunk. */
    code = NULL;
    assert_int_equal(upload_sink_new(&s, f->bs, &opts), 0);
    assert_int_equal(upload_sink_write(s, "5\r\nhello\r\n", 10), 0);
    assert_true(upload_sink_finish(&up, &code, s) < 0);
    assert_string_equal(code, "IncompleteBody");
    upload_sink_free(s);
}

static void test_free_discards_unfinished(void **state)
{
    struct fixture *f = *state;
    struct upload_sink_options opts = {.framing = UPLOAD_PLAIN, .declared_length = 5};
    struct upload_sink *s;
    assert_int_equal(upload_sink_new(&s, f->bs, &opts), 0);
    assert_int_equal(upload_sink_write(s, "hel", 3), 0);
    upload_sink_free(s);
    bool exists = true;
    assert_int_equal(blob_store_exists(&exists, f->bs, HELLO_DIGEST), 0);
    assert_false(exists);
    /* No temporary file is left behind. */
    char *tmp = xasprintf("%s/blobs/tmp", f->dir);
    DIR *d = opendir(tmp);
    assert_non_null(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)))
        files += e->d_name[0] != '.';
    closedir(d);
    free(tmp);
    assert_int_equal(files, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain_body_in_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sha256_checksum_is_the_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_and_long_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsigned_chunked_with_trailer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chunked_framing_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_discards_unfinished, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
