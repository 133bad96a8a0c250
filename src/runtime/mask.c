/*
 * Streaming secret masking: an Aho-Corasick automaton over the secrets,
 * driven so that it yields leftmost-longest, non-overlapping matches
 * without looking at any byte twice.
 *
 * Positions are absolute offsets in the stream. `decide` is the first
 * position not yet emitted; every byte from there to the end of the input
 * seen so far is held in a ring of at least `longest` bytes. For each held position
 * p, best[p] is the longest secret found so far that starts at p.
 *
 * The automaton's state is kept as the longest suffix of the input from
 * `decide` on that is a prefix of some secret. A position before that
 * suffix can no longer be the start of a longer secret, so its best match
 * is final and it is decided: replaced (jumping past the secret) or emitted
 * as is. After a jump the state drops along its failure links to the
 * longest suffix that starts at or after the new `decide`, which is what an
 * automaton restarted there would have reached; that keeps the usual
 * Aho-Corasick amortisation (depth grows by at most one per byte and each
 * failure step lowers it).
 */
#include "runtime/mask.h"

#include "base/alloc.h"
#include "base/err.h"

#define NODE_NONE    UINT32_MAX
#define MASK_TEXT    "***"
#define OUT_BUF_SIZE 4096

struct masker_node {
    uint32_t fail;  /* longest proper suffix that is a trie node */
    uint32_t out;   /* this node or nearest failure ancestor that is a secret, or NONE */
    uint32_t depth; /* length of the node's string */
    uint32_t first_child, next_sibling;
    uint8_t byte; /* the edge from the parent */
    bool terminal;
};

/* Trie edges in an open-addressed hash table keyed by (node, byte). */
struct masker_edge {
    uint32_t from;
    uint32_t to; /* 0 marks a free slot: the root is nobody's child */
    uint8_t byte;
};

struct masker {
    char **secrets;
    size_t *secret_lens;
    size_t secret_count, secret_alloc, secret_bytes;
    bool dirty; /* secrets changed since the automaton was built */

    struct masker_node *nodes;
    size_t node_count;
    struct masker_edge *edges;
    size_t edge_cap;         /* power of two */
    uint32_t root_next[256]; /* the root's transitions, the most used */
    size_t longest;
    size_t ring_mask; /* ring size (a power of two >= longest) less one */

    uint32_t state;
    uint64_t next;   /* position of the next input byte */
    uint64_t decide; /* first position not yet emitted */
    uint8_t *held;   /* ring of held bytes */
    uint32_t *best;  /* ring of match lengths by start position, 0 for none */

    masker_emit_fn emit;
    void *emit_ctx;
    uint8_t out[OUT_BUF_SIZE];
    size_t out_len;
};

int masker_new(struct masker **out)
{
    *out = xcalloc(1, sizeof(struct masker));
    return 0;
}

static void automaton_release(struct masker *m)
{
    free(m->nodes);
    free(m->edges);
    if (m->held)
        explicit_bzero(m->held, m->ring_mask + 1);
    free(m->held);
    free(m->best);
    m->nodes = NULL;
    m->edges = NULL;
    m->held = NULL;
    m->best = NULL;
    m->node_count = m->edge_cap = m->longest = m->ring_mask = 0;
}

void masker_free(struct masker *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->secret_count; i++) {
        explicit_bzero(m->secrets[i], m->secret_lens[i]);
        free(m->secrets[i]);
    }
    free(m->secrets);
    free(m->secret_lens);
    automaton_release(m);
    explicit_bzero(m->out, sizeof(m->out));
    free(m);
}

int masker_add(struct masker *m, const char *secret, size_t len)
{
    if (len < MASKER_SECRET_MIN)
        return err_set(ERR_INVALID, "secret too short to mask: %zu bytes, at least %d required",
                       len, MASKER_SECRET_MIN);
    for (size_t i = 0; i < m->secret_count; i++)
        if (m->secret_lens[i] == len && memcmp(m->secrets[i], secret, len) == 0)
            return 0;
    if (m->secret_count >= MASKER_SECRETS_MAX)
        return err_set(ERR_LIMIT, "too many secrets to mask: at most %d", MASKER_SECRETS_MAX);
    if (len > MASKER_SECRET_BYTES_MAX - m->secret_bytes)
        return err_set(ERR_LIMIT, "secrets to mask exceed %d bytes in all",
                       MASKER_SECRET_BYTES_MAX);
    if (m->secret_count == m->secret_alloc) {
        ALLOC_GROW(m->secrets, m->secret_count + 1, m->secret_alloc);
        m->secret_lens = xrealloc(m->secret_lens, m->secret_alloc * sizeof(*m->secret_lens));
    }
    m->secrets[m->secret_count] = xmemdup(secret, len);
    m->secret_lens[m->secret_count] = len;
    m->secret_count++;
    m->secret_bytes += len;
    m->dirty = true;
    return 0;
}

static size_t edge_slot(size_t cap, uint32_t from, uint8_t byte)
{
    uint64_t h = ((uint64_t)from << 8 | byte) * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 32) & (cap - 1);
}

static uint32_t edge_get(const struct masker *m, uint32_t from, uint8_t byte)
{
    for (size_t i = edge_slot(m->edge_cap, from, byte);; i = (i + 1) & (m->edge_cap - 1)) {
        const struct masker_edge *e = &m->edges[i];
        if (e->to == 0)
            return 0;
        if (e->from == from && e->byte == byte)
            return e->to;
    }
}

static void edge_put(struct masker *m, uint32_t from, uint8_t byte, uint32_t to)
{
    size_t i = edge_slot(m->edge_cap, from, byte);
    while (m->edges[i].to != 0)
        i = (i + 1) & (m->edge_cap - 1);
    m->edges[i] = (struct masker_edge){.from = from, .to = to, .byte = byte};
}

static void automaton_build(struct masker *m)
{
    automaton_release(m);
    /* At most one node per secret byte plus the root; the limits keep this small. */
    size_t max_nodes = m->secret_bytes + 1;
    m->nodes = xcalloc(max_nodes, sizeof(*m->nodes));
    m->edge_cap = 16;
    while (m->edge_cap < 2 * max_nodes)
        m->edge_cap *= 2;
    m->edges = xcalloc(m->edge_cap, sizeof(*m->edges));
    m->nodes[0] = (struct masker_node){.first_child = NODE_NONE, .next_sibling = NODE_NONE};
    m->node_count = 1;

    for (size_t s = 0; s < m->secret_count; s++) {
        const uint8_t *bytes = (const uint8_t *)m->secrets[s];
        uint32_t node = 0;
        for (size_t k = 0; k < m->secret_lens[s]; k++) {
            uint32_t child = edge_get(m, node, bytes[k]);
            if (!child) {
                child = (uint32_t)m->node_count++;
                m->nodes[child] = (struct masker_node){
                    .depth = m->nodes[node].depth + 1,
                    .byte = bytes[k],
                    .first_child = NODE_NONE,
                    .next_sibling = m->nodes[node].first_child,
                };
                m->nodes[node].first_child = child;
                edge_put(m, node, bytes[k], child);
            }
            node = child;
        }
        m->nodes[node].terminal = true;
        if (m->secret_lens[s] > m->longest)
            m->longest = m->secret_lens[s];
    }

    /* Breadth first, so a node's failure target is finished before the node. */
    uint32_t *queue = xmalloc(m->node_count * sizeof(*queue));
    size_t head = 0, tail = 0;
    m->nodes[0].fail = 0;
    m->nodes[0].out = NODE_NONE;
    queue[tail++] = 0;
    while (head < tail) {
        uint32_t u = queue[head++];
        for (uint32_t c = m->nodes[u].first_child; c != NODE_NONE; c = m->nodes[c].next_sibling) {
            struct masker_node *child = &m->nodes[c];
            uint32_t fail = 0;
            if (u != 0) {
                for (uint32_t f = m->nodes[u].fail;; f = m->nodes[f].fail) {
                    uint32_t g = edge_get(m, f, child->byte);
                    if (g) {
                        fail = g;
                        break;
                    }
                    if (f == 0)
                        break;
                }
            }
            child->fail = fail;
            child->out = child->terminal ? c : m->nodes[fail].out;
            queue[tail++] = c;
        }
    }
    free(queue);

    for (unsigned b = 0; b < 256; b++)
        m->root_next[b] = edge_get(m, 0, (uint8_t)b);
    size_t ring = 1;
    while (ring < m->longest)
        ring *= 2;
    m->ring_mask = ring - 1;
    m->held = xcalloc(ring, 1);
    m->best = xcalloc(ring, sizeof(*m->best));
}

static int out_drain(struct masker *m)
{
    if (m->out_len == 0)
        return 0;
    size_t len = m->out_len;
    m->out_len = 0;
    return m->emit(m->emit_ctx, m->out, len);
}

static inline int out_append(struct masker *m, const void *data, size_t len)
{
    if (m->out_len + len > sizeof(m->out)) {
        int r = out_drain(m);
        if (r < 0)
            return r;
    }
    memcpy(m->out + m->out_len, data, len);
    m->out_len += len;
    return 0;
}

/* Emits the byte at `decide` or the replacement for the secret starting there. */
static int decide_one(struct masker *m)
{
    size_t slot = (size_t)m->decide & m->ring_mask;
    uint32_t match = m->best[slot];
    if (match == 0) {
        m->decide++;
        return out_append(m, &m->held[slot], 1);
    }
    m->decide += match;
    /* Forget partial secrets that began inside the replaced one. */
    while (m->nodes[m->state].depth > m->next - m->decide)
        m->state = m->nodes[m->state].fail;
    return out_append(m, MASK_TEXT, strlen(MASK_TEXT));
}

static int feed_byte(struct masker *m, uint8_t byte)
{
    uint64_t pos = m->next++;
    size_t slot = (size_t)pos & m->ring_mask;
    m->held[slot] = byte;
    m->best[slot] = 0;

    uint32_t s = m->state;
    for (;;) {
        if (s == 0) {
            s = m->root_next[byte];
            break;
        }
        uint32_t g = edge_get(m, s, byte);
        if (g) {
            s = g;
            break;
        }
        s = m->nodes[s].fail;
    }
    m->state = s;

    /*
     * Every secret ending here, longest (earliest start) first. A later end
     * is a longer match for the same start, so overwriting is right.
     */
    for (uint32_t u = m->nodes[s].out; u != NODE_NONE; u = m->nodes[m->nodes[u].fail].out) {
        uint64_t start = m->next - m->nodes[u].depth;
        if (start >= m->decide)
            m->best[(size_t)start & m->ring_mask] = m->nodes[u].depth;
    }

    /*
     * Positions before the live partial match are final; so is its start
     * once it is a whole secret that no longer one extends (which is also
     * what keeps the window within the ring).
     */
    while (m->decide < m->next && (m->decide < m->next - m->nodes[m->state].depth ||
                                   m->nodes[m->state].first_child == NODE_NONE)) {
        int r = decide_one(m);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Builds the automaton after masker_add() and matches held bytes against it. */
static int masker_prepare(struct masker *m)
{
    if (!m->dirty)
        return 0;
    m->dirty = false;
    size_t held_len = (size_t)(m->next - m->decide);
    uint8_t *held = held_len ? xmalloc(held_len) : NULL;
    for (size_t i = 0; i < held_len; i++)
        held[i] = m->held[(size_t)(m->decide + i) & m->ring_mask];
    automaton_build(m);
    m->state = 0;
    m->next = m->decide = 0;
    int r = 0;
    for (size_t i = 0; i < held_len && r == 0; i++)
        r = feed_byte(m, held[i]);
    if (held) {
        explicit_bzero(held, held_len);
        free(held);
    }
    return r;
}

int masker_write(struct masker *m, const void *data, size_t len, masker_emit_fn emit, void *ctx)
{
    if (len == 0)
        return 0;
    if (m->secret_count == 0)
        return emit(ctx, data, len);
    m->emit = emit;
    m->emit_ctx = ctx;
    int r = masker_prepare(m);
    const uint8_t *bytes = data;
    for (size_t i = 0; i < len && r == 0;) {
        if (m->state == 0 && m->decide == m->next && m->root_next[bytes[i]] == 0) {
            /* Nothing held and no secret can start: pass the run through as is. */
            size_t run = i + 1;
            while (run < len && m->root_next[bytes[run]] == 0)
                run++;
            r = out_drain(m);
            if (r == 0)
                r = emit(ctx, bytes + i, run - i);
            m->next += run - i;
            m->decide = m->next;
            i = run;
            continue;
        }
        r = feed_byte(m, bytes[i++]);
    }
    if (r == 0)
        r = out_drain(m);
    m->out_len = 0;
    return r;
}

int masker_flush(struct masker *m, masker_emit_fn emit, void *ctx)
{
    if (m->secret_count == 0)
        return 0;
    m->emit = emit;
    m->emit_ctx = ctx;
    int r = masker_prepare(m);
    while (r == 0 && m->decide < m->next)
        r = decide_one(m);
    if (r == 0)
        r = out_drain(m);
    m->out_len = 0;
    m->state = 0;
    m->next = m->decide = 0;
    return r;
}

size_t masker_held(const struct masker *m)
{
    return (size_t)(m->next - m->decide);
}
