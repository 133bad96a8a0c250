/*
 * The receive-pack command list at the start of a push body
 * (git_push_commands_feed in src/server/git_route.c), which decides the
 * refs a push is authorized for. The first byte picks where the body is
 * split in two and seeds the sizes of the pieces of a third run; the rest
 * is the body.
 *
 * The three runs (whole, in two, in pseudo-random pieces, single bytes
 * among them) must agree on the verdict, its message and the refs: the
 * network decides where a body is cut, never the parser. Every ref found
 * must be one a policy can be checked against.
 */
#include "base/common.h"

#include "server/git_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void feed(struct git_push_commands *cmds, const uint8_t *body, size_t len, size_t split,
                 uint32_t seed)
{
    git_push_commands_init(cmds);
    if (seed) {
        uint32_t x = seed | 1;
        for (size_t off = 0; off < len;) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            size_t n = (x & 3) == 0 ? 1 : 1 + x % 509;
            if (n > len - off)
                n = len - off;
            git_push_commands_feed(cmds, (const char *)body + off, n);
            off += n;
        }
        return;
    }
    git_push_commands_feed(cmds, (const char *)body, split);
    git_push_commands_feed(cmds, (const char *)body + split, len - split);
}

static void check_same(const struct git_push_commands *a, const struct git_push_commands *b)
{
    if (a->done != b->done || a->failed != b->failed || strcmp(a->error, b->error) != 0 ||
        a->ref_count != b->ref_count || a->total != b->total) {
        fprintf(stderr, "runs disagree: done %d/%d, failed %d/%d '%s'/'%s', refs %zu/%zu\n",
                a->done, b->done, a->failed, b->failed, a->error, b->error, a->ref_count,
                b->ref_count);
        abort();
    }
    for (size_t i = 0; i < a->ref_count; i++)
        if (strcmp(a->refs[i], b->refs[i]) != 0)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1024 * 1024)
        return 0;
    const uint8_t *body = data + 1;
    size_t len = size - 1;
    size_t split = len * data[0] / 255;

    struct git_push_commands whole, halves, pieces;
    feed(&whole, body, len, len, 0);
    feed(&halves, body, len, split, 0);
    feed(&pieces, body, len, 0, (uint32_t)data[0] * 2654435761u + (uint32_t)len);
    check_same(&whole, &halves);
    check_same(&whole, &pieces);

    if (whole.failed && !whole.error[0])
        abort();
    if (whole.ref_count > GIT_PUSH_REFS_MAX || whole.total > len)
        abort();
    if (!whole.failed && whole.total > GIT_PUSH_COMMANDS_MAX)
        abort();
    for (size_t i = 0; i < whole.ref_count; i++) {
        const char *ref = whole.refs[i];
        if (!ref[0])
            abort();
        for (const char *p = ref; *p; p++)
            if ((unsigned char)*p <= ' ' || *p == 127)
                abort();
    }
    git_push_commands_release(&whole);
    git_push_commands_release(&halves);
    git_push_commands_release(&pieces);
    return 0;
}
