/*
 * libFuzzer target for the streaming secret masker (src/runtime/mask.c).
 *
 * Input: a count byte, then per secret a length byte and that many bytes,
 * then a byte seeding the write sizes, then the text. The text is masked
 * three ways: in one write, byte by byte, and in random pieces. The run
 * aborts if the three differ, if they differ from a naive longest-match
 * reference, if a secret survives in the output (unless it contains '*',
 * which the replacement itself could form), or if more than the longest
 * secret less one byte is ever held back.
 */
#include "base/common.h"
#include "base/alloc.h"
#include "runtime/mask.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SECRETS_MAX  8
#define FUZZ_SECRET_EXTRA 29
#define FUZZ_TEXT_MAX     4096

struct fuzz_out {
    uint8_t *data;
    size_t len, alloc;
};

static int fuzz_emit(void *ctx, const void *data, size_t len)
{
    struct fuzz_out *out = ctx;
    if (len == 0)
        abort();
    ALLOC_GROW(out->data, out->len + len, out->alloc);
    memcpy(out->data + out->len, data, len);
    out->len += len;
    return 0;
}

static void fuzz_write(struct masker *m, const uint8_t *text, size_t len, size_t piece,
                       uint32_t seed, size_t longest, struct fuzz_out *out)
{
    size_t at = 0;
    while (at < len) {
        size_t n = piece;
        if (n == 0) {
            seed = seed * 1103515245u + 12345u;
            n = 1 + (seed >> 16) % 17;
        }
        if (n > len - at)
            n = len - at;
        if (masker_write(m, text + at, n, fuzz_emit, out) < 0)
            abort();
        if (masker_held(m) >= longest)
            abort();
        at += n;
    }
    if (masker_flush(m, fuzz_emit, out) < 0 || masker_held(m) != 0)
        abort();
}

static bool fuzz_same(const struct fuzz_out *a, const struct fuzz_out *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t at = 0;
    size_t count = 1 + data[at++] % FUZZ_SECRETS_MAX;
    const uint8_t *secrets[FUZZ_SECRETS_MAX];
    size_t lens[FUZZ_SECRETS_MAX];
    size_t longest = 0;
    struct masker *m;
    masker_new(&m);
    for (size_t k = 0; k < count; k++) {
        if (at >= size)
            goto done;
        lens[k] = MASKER_SECRET_MIN + data[at++] % FUZZ_SECRET_EXTRA;
        if (lens[k] > size - at)
            goto done;
        secrets[k] = data + at;
        at += lens[k];
        if (masker_add(m, (const char *)secrets[k], lens[k]) < 0)
            abort();
        if (lens[k] > longest)
            longest = lens[k];
    }
    uint32_t seed = at < size ? data[at++] : 0;
    const uint8_t *text = data + at;
    size_t text_len = size - at;
    if (text_len > FUZZ_TEXT_MAX)
        text_len = FUZZ_TEXT_MAX;

    struct fuzz_out whole = {0}, bytewise = {0}, pieces = {0}, reference = {0};
    fuzz_write(m, text, text_len, text_len ? text_len : 1, 0, longest, &whole);
    fuzz_write(m, text, text_len, 1, 0, longest, &bytewise);
    fuzz_write(m, text, text_len, 0, seed, longest, &pieces);

    for (size_t i = 0; i < text_len;) {
        size_t best = 0;
        for (size_t k = 0; k < count; k++)
            if (lens[k] > best && lens[k] <= text_len - i &&
                memcmp(text + i, secrets[k], lens[k]) == 0)
                best = lens[k];
        fuzz_emit(&reference, best ? (const void *)"***" : text + i, best ? 3 : 1);
        i += best ? best : 1;
    }

    if (!fuzz_same(&whole, &reference) || !fuzz_same(&bytewise, &whole) ||
        !fuzz_same(&pieces, &whole))
        abort();
    for (size_t k = 0; k < count && whole.len; k++)
        if (!memchr(secrets[k], '*', lens[k]) && memmem(whole.data, whole.len, secrets[k], lens[k]))
            abort();
    free(whole.data);
    free(bytewise.data);
    free(pieces.data);
    free(reference.data);
done:
    masker_free(m);
    return 0;
}
