/* Streaming secret masking (src/runtime/mask.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/common.h"
#include "base/alloc.h"
#include "base/err.h"
#include "runtime/mask.h"

/* Collects everything a masker emits. */
struct sink {
    char *data;
    size_t len, alloc;
    int calls;
    int fail_after; /* fail the calls after this many, 0 never, -1 all */
};

static int sink_emit(void *ctx, const void *data, size_t len)
{
    struct sink *s = ctx;
    assert_true(len > 0);
    if (s->fail_after < 0 || (s->fail_after && s->calls >= s->fail_after))
        return err_set(ERR_IO, "sink refused");
    s->calls++;
    ALLOC_GROW(s->data, s->len + len + 1, s->alloc);
    memcpy(s->data + s->len, data, len);
    s->len += len;
    s->data[s->len] = '\0';
    return 0;
}

static void sink_reset(struct sink *s)
{
    free(s->data);
    *s = (struct sink){0};
}

static struct masker *masker_with(const char *const *secrets, size_t count)
{
    struct masker *m;
    assert_int_equal(masker_new(&m), 0);
    for (size_t i = 0; i < count; i++)
        assert_int_equal(masker_add(m, secrets[i], strlen(secrets[i])), 0);
    return m;
}

/* The straightforward definition: longest secret at each position, else the byte. */
static void reference_mask(struct sink *out, const char *const *secrets, const size_t *lens,
                           size_t count, const char *in, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t best = 0;
        for (size_t k = 0; k < count; k++)
            if (lens[k] > best && lens[k] <= len - i && memcmp(in + i, secrets[k], lens[k]) == 0)
                best = lens[k];
        if (best) {
            sink_emit(out, "***", 3);
            i += best;
        } else {
            sink_emit(out, in + i, 1);
            i++;
        }
    }
}

/* Masks `in` written in pieces cut at the given offsets (ascending), then flushed. */
static void mask_split(struct sink *out, struct masker *m, const char *in, size_t len,
                       const size_t *cuts, size_t ncuts)
{
    size_t at = 0;
    for (size_t c = 0; c <= ncuts; c++) {
        size_t end = c < ncuts ? cuts[c] : len;
        assert_int_equal(masker_write(m, in + at, end - at, sink_emit, out), 0);
        at = end;
    }
    assert_int_equal(masker_flush(m, sink_emit, out), 0);
}

static void assert_masks_to(const char *const *secrets, size_t count, const char *in, size_t in_len,
                            const char *want, size_t want_len)
{
    struct masker *m = masker_with(secrets, count);
    struct sink whole = {0}, bytewise = {0}, split = {0};

    mask_split(&whole, m, in, in_len, NULL, 0);
    assert_int_equal(whole.len, want_len);
    assert_memory_equal(whole.data ? whole.data : "", want, want_len);

    size_t *cuts = xmalloc((in_len + 1) * sizeof(*cuts));
    for (size_t i = 1; i < in_len; i++)
        cuts[i - 1] = i;
    mask_split(&bytewise, m, in, in_len, cuts, in_len ? in_len - 1 : 0);
    assert_int_equal(bytewise.len, want_len);
    assert_memory_equal(bytewise.data ? bytewise.data : "", want, want_len);

    /* Every 2-split, including empty first and last pieces. */
    for (size_t cut = 0; cut <= in_len; cut++) {
        mask_split(&split, m, in, in_len, &cut, 1);
        assert_int_equal(split.len, want_len);
        assert_memory_equal(split.data ? split.data : "", want, want_len);
        sink_reset(&split);
    }
    free(cuts);
    sink_reset(&whole);
    sink_reset(&bytewise);
    masker_free(m);
}

#define MASKS_TO(secrets, in, want)                                                                \
    assert_masks_to(secrets, ARRAY_SIZE(secrets), in, sizeof(in) - 1, want, sizeof(want) - 1)

static void test_secret_in_longer_line(void **state)
{
    (void)state;
    static const char *const secrets[] = {"hunter2!"};
    MASKS_TO(secrets, "password=hunter2! and again hunter2!\n", "password=*** and again ***\n");
    MASKS_TO(secrets, "hunter2!", "***");
    MASKS_TO(secrets, "hunter2hunter2!!", "hunter2***!");
}

static void test_no_match_is_byte_exact(void **state)
{
    (void)state;
    static const char *const secrets[] = {"s3cr3t"};
    /* NULs, invalid UTF-8 and near misses pass through untouched. */
    MASKS_TO(secrets, "a\0b\xff\xfe\xc3(s3cr3 \0s3cr\n3t\x80",
             "a\0b\xff\xfe\xc3(s3cr3 \0s3cr\n3t\x80");
    MASKS_TO(secrets, "", "");
}

static void test_overlapping_and_nested(void **state)
{
    (void)state;
    /* One secret a prefix of another: the longest match wins. */
    static const char *const prefix[] = {"abcd", "abcdefgh"};
    MASKS_TO(prefix, "xabcdefghx", "x***x");
    MASKS_TO(prefix, "xabcdefgx", "x***efgx");
    /* A secret inside another. */
    static const char *const inner[] = {"bcde", "abcdefg"};
    MASKS_TO(inner, "abcdefg", "***");
    MASKS_TO(inner, "abcdefx", "a***fx");
    /* Overlapping: the leftmost wins, scanning goes on after it. */
    static const char *const overlap[] = {"abcd", "cdefgh"};
    MASKS_TO(overlap, "abcdefgh", "***efgh");
    MASKS_TO(overlap, "abccdefgh", "abc***");
    /* A secret that overlaps itself. */
    static const char *const self[] = {"aaaa"};
    MASKS_TO(self, "aaaaaaaaaa", "******aa");
    /* Leftmost beats longer-but-later. */
    static const char *const later[] = {"xaaa", "aaaaaaaa"};
    MASKS_TO(later, "xaaaaaaaaaa", "***aaaaaaa");
}

static void test_adjacent_secrets(void **state)
{
    (void)state;
    static const char *const secrets[] = {"alpha1", "beta22"};
    MASKS_TO(secrets, "alpha1beta22alpha1", "*********");
    MASKS_TO(secrets, "alpha1 beta22", "*** ***");
}

static void test_secret_with_newlines_and_nul(void **state)
{
    (void)state;
    static const char *const secrets[] = {"-----BEGIN KEY-----\nMIIB\n-----END KEY-----"};
    MASKS_TO(secrets, "key:\n-----BEGIN KEY-----\nMIIB\n-----END KEY-----\ndone\n",
             "key:\n***\ndone\n");

    struct masker *m;
    masker_new(&m);
    assert_int_equal(masker_add(m, "ab\0cd", 5), 0);
    struct sink out = {0};
    masker_write(m, "xab\0cdx ab", 10, sink_emit, &out);
    masker_flush(m, sink_emit, &out);
    assert_int_equal(out.len, 8);
    assert_memory_equal(out.data, "x***x ab", 8);
    sink_reset(&out);
    masker_free(m);
}

static void test_holds_back_only_a_possible_prefix(void **state)
{
    (void)state;
    static const char *const secrets[] = {"secret-token", "abcd"};
    struct masker *m = masker_with(secrets, ARRAY_SIZE(secrets));
    struct sink out = {0};

    /* Only "secr" could still become a secret. */
    assert_int_equal(masker_write(m, "log: secr", 9, sink_emit, &out), 0);
    assert_int_equal(out.len, 5);
    assert_memory_equal(out.data, "log: ", 5);
    assert_int_equal(masker_held(m), 4);

    /* The prefix broke off: everything goes out at once, nothing held. */
    assert_int_equal(masker_write(m, "ecy\n", 4, sink_emit, &out), 0);
    assert_string_equal(out.data, "log: secrecy\n");
    assert_int_equal(masker_held(m), 0);

    /* A whole secret that no longer one extends goes out at once. */
    assert_int_equal(masker_write(m, "abcd", 4, sink_emit, &out), 0);
    assert_int_equal(masker_held(m), 0);
    assert_string_equal(out.data, "log: secrecy\n***");

    /* The end of a partial match that is itself a new start. */
    assert_int_equal(masker_write(m, "secret-abc", 10, sink_emit, &out), 0);
    assert_int_equal(masker_held(m), 3);
    assert_string_equal(out.data, "log: secrecy\n***secret-");

    /* Never more than the longest secret less one. */
    assert_int_equal(masker_write(m, "secret-toke", 11, sink_emit, &out), 0);
    assert_int_equal(masker_held(m), strlen("secret-token") - 1);
    assert_int_equal(masker_flush(m, sink_emit, &out), 0);
    assert_string_equal(out.data, "log: secrecy\n***secret-abcsecret-toke");
    assert_int_equal(masker_held(m), 0);
    sink_reset(&out);
    masker_free(m);
}

static void test_held_after_partial_inside_a_match(void **state)
{
    (void)state;
    /* "cdef..." started inside the replaced "abcd": nothing after it is a start. */
    static const char *const secrets[] = {"abcd", "cdefgh"};
    struct masker *m = masker_with(secrets, ARRAY_SIZE(secrets));
    struct sink out = {0};
    assert_int_equal(masker_write(m, "abcde", 5, sink_emit, &out), 0);
    assert_string_equal(out.data, "***e");
    assert_int_equal(masker_held(m), 0);
    sink_reset(&out);
    masker_free(m);

    /* A whole secret that a longer one could still extend is held. */
    static const char *const prefix[] = {"abcd", "abcdefgh"};
    m = masker_with(prefix, ARRAY_SIZE(prefix));
    assert_int_equal(masker_write(m, "-abcdef", 7, sink_emit, &out), 0);
    assert_string_equal(out.data, "-");
    assert_int_equal(masker_held(m), 6);
    assert_int_equal(masker_flush(m, sink_emit, &out), 0);
    assert_string_equal(out.data, "-***ef");
    sink_reset(&out);
    masker_free(m);
}

static void test_refuses_short_and_limits(void **state)
{
    (void)state;
    struct masker *m;
    masker_new(&m);
    assert_int_equal(masker_add(m, "abc", 3), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "too short"));
    assert_int_equal(masker_add(m, "", 0), ERR_INVALID);
    assert_int_equal(masker_add(m, "abcd", 4), 0);
    assert_int_equal(masker_add(m, "abcd", 4), 0); /* duplicate */

    char secret[16];
    int added = 1, rc = 0;
    for (int i = 0; rc == 0 && i < MASKER_SECRETS_MAX + 10; i++) {
        int n = snprintf(secret, sizeof(secret), "sec-%d", i);
        rc = masker_add(m, secret, (size_t)n);
        if (rc == 0)
            added++;
    }
    assert_int_equal(rc, ERR_LIMIT);
    assert_int_equal(added, MASKER_SECRETS_MAX);
    masker_free(m);

    masker_new(&m);
    char *big = xmalloc(MASKER_SECRET_BYTES_MAX + 1);
    memset(big, 'z', MASKER_SECRET_BYTES_MAX + 1);
    assert_int_equal(masker_add(m, big, MASKER_SECRET_BYTES_MAX + 1), ERR_LIMIT);
    assert_int_equal(masker_add(m, big, MASKER_SECRET_BYTES_MAX), 0);
    assert_int_equal(masker_add(m, "more", 4), ERR_LIMIT);
    /* The largest secret still masks, split anywhere. */
    struct sink out = {0};
    masker_write(m, "<", 1, sink_emit, &out);
    masker_write(m, big, 1000, sink_emit, &out);
    masker_write(m, big, MASKER_SECRET_BYTES_MAX - 1000, sink_emit, &out);
    masker_write(m, ">", 1, sink_emit, &out);
    masker_flush(m, sink_emit, &out);
    assert_string_equal(out.data, "<***>");
    sink_reset(&out);
    free(big);
    masker_free(m);
}

static void test_no_secrets_passes_through(void **state)
{
    (void)state;
    struct masker *m;
    masker_new(&m);
    struct sink out = {0};
    assert_int_equal(masker_write(m, "a\0b", 3, sink_emit, &out), 0);
    assert_int_equal(masker_flush(m, sink_emit, &out), 0);
    assert_int_equal(out.len, 3);
    assert_memory_equal(out.data, "a\0b", 3);
    sink_reset(&out);
    masker_free(m);
    masker_free(NULL);
}

static void test_secret_added_mid_stream(void **state)
{
    (void)state;
    struct masker *m;
    masker_new(&m);
    struct sink out = {0};
    assert_int_equal(masker_add(m, "tok-1234", 8), 0);
    assert_int_equal(masker_write(m, "x tok-", 6, sink_emit, &out), 0);
    assert_int_equal(masker_held(m), 4);
    /* Held bytes are matched against the new secret as well. */
    assert_int_equal(masker_add(m, "tok-9999-long", 13), 0);
    assert_int_equal(masker_write(m, "9999-long tok-1234", 18, sink_emit, &out), 0);
    assert_int_equal(masker_flush(m, sink_emit, &out), 0);
    assert_string_equal(out.data, "x *** ***");
    sink_reset(&out);
    masker_free(m);
}

static void test_emit_failure_is_returned(void **state)
{
    (void)state;
    static const char *const secrets[] = {"abcd"};
    struct masker *m = masker_with(secrets, 1);
    struct sink out = {.fail_after = 1};
    /* Near misses, so the output goes through the masker's buffer in several calls. */
    char big[3 * 4096];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = "abcx"[i % 4];
    assert_int_equal(masker_write(m, big, sizeof(big), sink_emit, &out), ERR_IO);
    sink_reset(&out);
    /* A run passed through directly reports the failure too. */
    out.fail_after = -1;
    memset(big, 'x', sizeof(big));
    assert_int_equal(masker_write(m, big, sizeof(big), sink_emit, &out), ERR_IO);
    sink_reset(&out);
    masker_free(m);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/*
 * Random secrets and inputs over a small alphabet (with NUL), so that
 * matches, overlaps and nested secrets are common; random writes. The output
 * must equal the reference, whatever the split, and contain no secret.
 */
static void test_random_against_reference(void **state)
{
    (void)state;
    static const char alphabet[] = {'a', 'b', '\0', 'a'};
    for (int round = 0; round < 3000; round++) {
        size_t count = 1 + rng_next() % 5;
        char secrets[5][12];
        size_t lens[5];
        const char *secret_ptrs[5];
        struct masker *m;
        masker_new(&m);
        for (size_t k = 0; k < count; k++) {
            lens[k] = MASKER_SECRET_MIN + rng_next() % 8;
            for (size_t i = 0; i < lens[k]; i++)
                secrets[k][i] = alphabet[rng_next() % ARRAY_SIZE(alphabet)];
            secret_ptrs[k] = secrets[k];
            assert_int_equal(masker_add(m, secrets[k], lens[k]), 0);
        }
        char input[200];
        size_t len = rng_next() % sizeof(input);
        for (size_t i = 0; i < len; i++) {
            /* Sometimes paste a whole secret so long matches occur too. */
            if (rng_next() % 8 == 0) {
                size_t k = rng_next() % count;
                size_t n = lens[k] < len - i ? lens[k] : len - i;
                memcpy(input + i, secrets[k], n);
                i += n - 1;
            } else {
                /* 'c' is in no secret, so some bytes take the pass-through path */
                input[i] = "ab\0c"[rng_next() % 4];
            }
        }

        struct sink want = {0}, got = {0};
        reference_mask(&want, secret_ptrs, lens, count, input, len);
        size_t at = 0;
        while (at < len) {
            size_t n = 1 + rng_next() % (rng_next() % 2 ? 3 : 40);
            if (n > len - at)
                n = len - at;
            assert_int_equal(masker_write(m, input + at, n, sink_emit, &got), 0);
            assert_true(masker_held(m) < 12);
            at += n;
        }
        assert_int_equal(masker_flush(m, sink_emit, &got), 0);
        assert_int_equal(got.len, want.len);
        if (want.len)
            assert_memory_equal(got.data, want.data, want.len);
        for (size_t k = 0; k < count; k++)
            assert_null(memmem(got.data ? got.data : "", got.len, secrets[k], lens[k]));
        sink_reset(&want);
        sink_reset(&got);
        masker_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_in_longer_line),
        cmocka_unit_test(test_no_match_is_byte_exact),
        cmocka_unit_test(test_overlapping_and_nested),
        cmocka_unit_test(test_adjacent_secrets),
        cmocka_unit_test(test_secret_with_newlines_and_nul),
        cmocka_unit_test(test_holds_back_only_a_possible_prefix),
        cmocka_unit_test(test_held_after_partial_inside_a_match),
        cmocka_unit_test(test_refuses_short_and_limits),
        cmocka_unit_test(test_no_secrets_passes_through),
        cmocka_unit_test(test_secret_added_mid_stream),
        cmocka_unit_test(test_emit_failure_is_returned),
        cmocka_unit_test(test_random_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
