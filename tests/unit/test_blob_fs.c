/*
 * The filesystem blob store (src/store/blob.c, blob_fs.c): content addressing, streaming, atomic
 * visibility, digest checks and crash leftovers.
 */
#include "base/common.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/err.h"
#include "store/blob.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cmocka.h>

#define HELLO_DIGEST "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
#define EMPTY_DIGEST "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

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
    char tmpl[] = "/tmp/slipway-blob-XXXXXX";
    struct fixture *f = xcalloc(1, sizeof(*f));
    if (!mkdtemp(tmpl))
        return -1;
    f->dir = xstrdup(tmpl);
    if (blob_store_open(&f->bs, f->dir) < 0) {
        fprintf(stderr, "blob_store_open: %s\n", err_msg());
        return -1;
    }
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

static size_t count_entries(const char *path)
{
    DIR *dir = opendir(path);
    assert_non_null(dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir)))
        if (e->d_name[0] != '.')
            n++;
    closedir(dir);
    return n;
}

static size_t tmp_entries(struct fixture *f)
{
    char *path = xasprintf("%s/blobs/tmp", f->dir);
    size_t n = count_entries(path);
    free(path);
    return n;
}

static void fill_pattern(uint8_t *data, size_t len, uint32_t seed)
{
    for (size_t i = 0; i < len; i++) {
        seed = seed * 1103515245u + 12345u;
        data[i] = (uint8_t)(seed >> 16);
    }
}

static void test_put_get(void **state)
{
    struct fixture *f = *state;
    char digest[BLOB_DIGEST_LEN + 1];
    _cleanup_buf_ struct buf got = BUF_INIT;
    uint64_t size = 0;
    bool exists = false;
    struct stat st;

    assert_int_equal(blob_store_put(digest, f->bs, "hello", 5), 0);
    assert_string_equal(digest, HELLO_DIGEST);

    /* Where it lives, and that only its owner can read it. */
    char *path = xasprintf("%s/blobs/2c/%s", f->dir, HELLO_DIGEST + 2);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    free(path);

    buf_adds(&got, "prefix:");
    assert_int_equal(blob_store_get(&got, f->bs, HELLO_DIGEST), 0);
    assert_string_equal(got.data, "prefix:hello");
    assert_int_equal(blob_store_size(&size, f->bs, HELLO_DIGEST), 0);
    assert_int_equal(size, 5);
    assert_int_equal(blob_store_exists(&exists, f->bs, HELLO_DIGEST), 0);
    assert_true(exists);

    /* The same bytes again: same name, one copy. */
    assert_int_equal(blob_store_put(digest, f->bs, "hello", 5), 0);
    assert_string_equal(digest, HELLO_DIGEST);
    path = xasprintf("%s/blobs/2c", f->dir);
    assert_int_equal(count_entries(path), 1);
    free(path);
    assert_int_equal(tmp_entries(f), 0);
}

static void test_empty_blob(void **state)
{
    struct fixture *f = *state;
    char digest[BLOB_DIGEST_LEN + 1];
    _cleanup_buf_ struct buf got = BUF_INIT;

    assert_int_equal(blob_store_put(digest, f->bs, "", 0), 0);
    assert_string_equal(digest, EMPTY_DIGEST);
    assert_int_equal(blob_store_get(&got, f->bs, EMPTY_DIGEST), 0);
    assert_int_equal(got.len, 0);
}

static void test_open_fd(void **state)
{
    struct fixture *f = *state;
    char digest[BLOB_DIGEST_LEN + 1];
    char text[16] = {0};
    uint64_t size = 0;
    int fd = -1;

    assert_int_equal(blob_store_put(digest, f->bs, "hello", 5), 0);
    assert_int_equal(blob_store_open_fd(&fd, &size, f->bs, digest), 0);
    assert_int_equal(size, 5);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(read(fd, text, sizeof(text)), 5);
    assert_string_equal(text, "hello");
    /* Read-only. */
    assert_int_equal(write(fd, "x", 1), -1);
    close(fd);
    assert_int_equal(blob_store_open_fd(&fd, NULL, f->bs, digest), 0);
    close(fd);
}

static void test_not_found(void **state)
{
    struct fixture *f = *state;
    _cleanup_buf_ struct buf got = BUF_INIT;
    uint64_t size = 99;
    bool exists = true;
    int fd = -7;

    assert_int_equal(blob_store_get(&got, f->bs, HELLO_DIGEST), ERR_NOT_FOUND);
    assert_int_equal(got.len, 0);
    assert_int_equal(blob_store_size(&size, f->bs, HELLO_DIGEST), ERR_NOT_FOUND);
    assert_int_equal(size, 99);
    assert_int_equal(blob_store_open_fd(&fd, &size, f->bs, HELLO_DIGEST), ERR_NOT_FOUND);
    assert_int_equal(fd, -7);
    assert_int_equal(blob_store_delete(f->bs, HELLO_DIGEST), ERR_NOT_FOUND);
    assert_int_equal(blob_store_exists(&exists, f->bs, HELLO_DIGEST), 0);
    assert_false(exists);
}

static void test_bad_digests_refused(void **state)
{
    struct fixture *f = *state;
    _cleanup_buf_ struct buf got = BUF_INIT;
    uint64_t size;
    bool exists;
    int fd;
    const char *bad[] = {
        "",
        "2cf24dba",
        HELLO_DIGEST "0",
        "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982g",
        "../../../../../../../../../../../../../../../../../../etc/passwd",
        "2c/f24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b98",
        NULL,
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_false(blob_digest_valid(bad[i]));
        assert_int_equal(blob_store_get(&got, f->bs, bad[i]), ERR_INVALID);
        assert_int_equal(blob_store_size(&size, f->bs, bad[i]), ERR_INVALID);
        assert_int_equal(blob_store_exists(&exists, f->bs, bad[i]), ERR_INVALID);
        assert_int_equal(blob_store_open_fd(&fd, NULL, f->bs, bad[i]), ERR_INVALID);
        assert_int_equal(blob_store_delete(f->bs, bad[i]), ERR_INVALID);
    }
    assert_true(blob_digest_valid(HELLO_DIGEST));

    struct blob_writer *w;
    char digest[BLOB_DIGEST_LEN + 1];
    assert_int_equal(blob_writer_begin(&w, f->bs), 0);
    assert_int_equal(blob_writer_write(w, "hello", 5), 0);
    assert_int_equal(blob_writer_commit(digest, w, "nope"), ERR_INVALID);
    assert_int_equal(tmp_entries(f), 0);
}

static void test_delete(void **state)
{
    struct fixture *f = *state;
    char digest[BLOB_DIGEST_LEN + 1];
    bool exists = true;

    assert_int_equal(blob_store_put(digest, f->bs, "hello", 5), 0);
    assert_int_equal(blob_store_delete(f->bs, digest), 0);
    assert_int_equal(blob_store_exists(&exists, f->bs, digest), 0);
    assert_false(exists);
    assert_int_equal(blob_store_delete(f->bs, digest), ERR_NOT_FOUND);
    /* And it can be stored again. */
    assert_int_equal(blob_store_put(digest, f->bs, "hello", 5), 0);
    assert_int_equal(blob_store_exists(&exists, f->bs, digest), 0);
    assert_true(exists);
}

static void test_streaming_put(void **state)
{
    struct fixture *f = *state;
    const size_t len = 3 * 1024 * 1024 + 17;
    uint8_t *data = xmalloc(len);
    uint8_t raw[SHA256_LEN];
    char want[BLOB_DIGEST_LEN + 1], digest[BLOB_DIGEST_LEN + 1];
    _cleanup_buf_ struct buf got = BUF_INIT;
    struct blob_writer *w;

    fill_pattern(data, len, 42);
    sha256(raw, data, len);
    hex_encode(want, raw, sizeof(raw));

    assert_int_equal(blob_writer_begin(&w, f->bs), 0);
    assert_int_equal(tmp_entries(f), 1);
    for (size_t off = 0; off < len;) {
        size_t n = (off / 7919) % 3 == 0 ? 1 : 65536 + 3;
        if (n > len - off)
            n = len - off;
        assert_int_equal(blob_writer_write(w, data + off, n), 0);
        off += n;
        if (off == 1) {
            /* Mid-write, nothing under a digest name exists yet. */
            bool exists = true;
            assert_int_equal(blob_store_exists(&exists, f->bs, want), 0);
            assert_false(exists);
        }
    }
    assert_int_equal(blob_writer_write(w, data, 0), 0);
    assert_int_equal(blob_writer_commit(digest, w, want), 0);
    assert_string_equal(digest, want);
    assert_int_equal(tmp_entries(f), 0);

    assert_int_equal(blob_store_get(&got, f->bs, digest), 0);
    assert_int_equal(got.len, len);
    assert_memory_equal(got.data, data, len);

    /* Without an expected digest, too. */
    assert_int_equal(blob_writer_begin(&w, f->bs), 0);
    assert_int_equal(blob_writer_write(w, "hello", 5), 0);
    assert_int_equal(blob_writer_commit(digest, w, NULL), 0);
    assert_string_equal(digest, HELLO_DIGEST);
    free(data);
}

static void test_streaming_digest_mismatch(void **state)
{
    struct fixture *f = *state;
    char digest[BLOB_DIGEST_LEN + 1] = "untouched";
    struct blob_writer *w;
    bool exists = true;

    assert_int_equal(blob_writer_begin(&w, f->bs), 0);
    assert_int_equal(blob_writer_write(w, "hellp", 5), 0);
    assert_int_equal(blob_writer_commit(digest, w, HELLO_DIGEST), ERR_INVALID);
    assert_string_equal(digest, "untouched");
    assert_non_null(strstr(err_msg(), HELLO_DIGEST));
    assert_int_equal(blob_store_exists(&exists, f->bs, HELLO_DIGEST), 0);
    assert_false(exists);
    assert_int_equal(tmp_entries(f), 0);
}

static void test_streaming_abort(void **state)
{
    struct fixture *f = *state;
    struct blob_writer *w;
    bool exists = true;

    assert_int_equal(blob_writer_begin(&w, f->bs), 0);
    assert_int_equal(blob_writer_write(w, "hello", 5), 0);
    blob_writer_abort(w);
    blob_writer_abort(NULL);
    assert_int_equal(tmp_entries(f), 0);
    assert_int_equal(blob_store_exists(&exists, f->bs, HELLO_DIGEST), 0);
    assert_false(exists);

    /* The cleanup helper aborts a writer left behind. */
    {
        _cleanup_blob_writer_ struct blob_writer *scoped = NULL;
        assert_int_equal(blob_writer_begin(&scoped, f->bs), 0);
        assert_int_equal(blob_writer_write(scoped, "x", 1), 0);
        assert_int_equal(tmp_entries(f), 1);
    }
    assert_int_equal(tmp_entries(f), 0);
}

static void test_get_respects_buf_limit(void **state)
{
    struct fixture *f = *state;
    char digest[BLOB_DIGEST_LEN + 1];
    struct buf got = BUF_INIT;

    assert_int_equal(blob_store_put(digest, f->bs, "hello", 5), 0);
    got.max = 6;
    buf_adds(&got, "ab");
    assert_int_equal(blob_store_get(&got, f->bs, digest), ERR_LIMIT);
    assert_string_equal(got.data, "ab");
    got.max = 7;
    assert_int_equal(blob_store_get(&got, f->bs, digest), 0);
    assert_string_equal(got.data, "abhello");
    buf_release(&got);
}

static void test_crash_leftovers_swept_on_open(void **state)
{
    struct fixture *f = *state;
    struct blob_store *second;
    struct blob_writer *live;
    char digest[BLOB_DIGEST_LEN + 1];

    /* A writer of this process is mid-blob (it holds its lock)... */
    assert_int_equal(blob_writer_begin(&live, f->bs), 0);
    assert_int_equal(blob_writer_write(live, "hel", 3), 0);

    /* ...and a dead writer left two files behind, one half-written. */
    char *path = xasprintf("%s/blobs/tmp/deadbeef.tmp", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("half a blo", fp);
    fclose(fp);
    free(path);
    path = xasprintf("%s/blobs/tmp/other.tmp", f->dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    free(path);
    assert_int_equal(tmp_entries(f), 3);

    /* Opening sweeps the dead writer's files but not the live one's. */
    assert_int_equal(blob_store_open(&second, f->dir), 0);
    assert_int_equal(tmp_entries(f), 1);
    assert_int_equal(blob_writer_write(live, "lo", 2), 0);
    assert_int_equal(blob_writer_commit(digest, live, NULL), 0);
    assert_string_equal(digest, HELLO_DIGEST);
    bool exists = false;
    assert_int_equal(blob_store_exists(&exists, second, HELLO_DIGEST), 0);
    assert_true(exists);
    assert_int_equal(tmp_entries(f), 0);
    blob_store_free(second);
    blob_store_free(NULL);
}

#define PUT_THREADS 4

struct putter {
    struct blob_store *bs;
    int failures;
};

static void *putter_thread(void *p)
{
    struct putter *putter = p;
    uint8_t data[4096];
    char digest[BLOB_DIGEST_LEN + 1];
    for (uint32_t i = 0; i < 50; i++) {
        /* Every thread stores the same 50 blobs: concurrent writers of the
         * same bytes must not disturb each other. */
        fill_pattern(data, sizeof(data), i);
        if (blob_store_put(digest, putter->bs, data, sizeof(data)) < 0)
            putter->failures++;
    }
    return NULL;
}

static void test_concurrent_puts(void **state)
{
    struct fixture *f = *state;
    pthread_t threads[PUT_THREADS];
    struct putter putters[PUT_THREADS];

    for (int i = 0; i < PUT_THREADS; i++) {
        putters[i] = (struct putter){.bs = f->bs};
        assert_int_equal(pthread_create(&threads[i], NULL, putter_thread, &putters[i]), 0);
    }
    for (int i = 0; i < PUT_THREADS; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(putters[i].failures, 0);
    }
    for (uint32_t i = 0; i < 50; i++) {
        uint8_t data[4096], raw[SHA256_LEN];
        char digest[BLOB_DIGEST_LEN + 1];
        _cleanup_buf_ struct buf got = BUF_INIT;
        fill_pattern(data, sizeof(data), i);
        sha256(raw, data, sizeof(data));
        hex_encode(digest, raw, sizeof(raw));
        assert_int_equal(blob_store_get(&got, f->bs, digest), 0);
        assert_int_equal(got.len, sizeof(data));
        assert_memory_equal(got.data, data, sizeof(data));
    }
    assert_int_equal(tmp_entries(f), 0);
}

static void test_open_errors(void **state)
{
    struct fixture *f = *state;
    struct blob_store *bs = NULL;
    assert_int_equal(blob_store_open(&bs, ""), ERR_INVALID);
    char *file = xasprintf("%s/plain", f->dir);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(blob_store_open(&bs, file), ERR_IO);
    assert_null(bs);
    free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_blob, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_fd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_digests_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streaming_put, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streaming_digest_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streaming_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_respects_buf_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_leftovers_swept_on_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_puts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
