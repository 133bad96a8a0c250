#include "base/common.h"

#include "aws/chunked.h"
#include "aws/sigv4.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/err.h"

#define SCOPE_MAX     256
#define EMPTY_SHA256  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SIG_EXTENSION ";chunk-signature="
#define TRAILER_SIG   "x-amz-trailer-signature"

enum chunked_state {
    ST_CHUNK_HEADER, /* reading "<size>[;ext]" up to CRLF */
    ST_DATA,         /* `remaining` payload bytes of the current chunk */
    ST_DATA_CR,      /* the CRLF after a chunk's data */
    ST_DATA_LF,
    ST_TRAILER,     /* lines after the final chunk, up to an empty one */
    ST_TRAILER_GAP, /* an empty line right after the final chunk: the end, or trailers follow */
    ST_DONE,        /* the final empty line was read; nothing may follow */
    ST_FAILED,
};

struct chunked_decoder {
    enum chunked_state state;
    int (*emit)(void *ctx, const void *data, size_t len);
    void *ctx;

    bool signed_chunks;
    bool trailer;
    uint8_t key[SHA256_LEN];
    char amz_date[SIGV4_AMZ_DATE_LEN + 1];
    char scope[SCOPE_MAX + 1];
    /* The signature the next chunk (or the trailer) chains from. */
    char prev_signature[SIGV4_HEX_LEN + 1];
    /* The signature the current chunk claims, lower-cased. */
    char chunk_signature[SIGV4_HEX_LEN + 1];
    struct sha256_ctx *chunk_hash;

    uint64_t decoded_length; /* UINT64_MAX: unknown */
    uint64_t offset;         /* raw body bytes consumed */
    uint64_t chunk_start;    /* offset of the current chunk's header line */
    uint64_t chunk_index;
    uint64_t remaining;
    uint64_t emitted;

    /* The line being read, its terminating CRLF excluded. */
    char line[CHUNKED_LINE_MAX + 1];
    size_t line_len;
    uint64_t line_start;
    bool line_cr; /* the last byte read into the line was CR */

    /* Trailers: names and values are stored in `trailer_text`, which never moves. */
    struct header_field trailers[CHUNKED_TRAILERS_MAX];
    size_t trailer_count;
    char trailer_text[CHUNKED_TRAILER_BYTES_MAX];
    size_t trailer_text_len;
    char trailer_signature[SIGV4_HEX_LEN + 1];
    bool have_trailer_signature;

    int error; /* the error every call returns once failed */
    char error_msg[512];
};

static int fail(struct chunked_decoder *d, int kind, uint64_t offset, const char *fmt, ...)
    PRINTF_LIKE(4, 5);

static int fail(struct chunked_decoder *d, int kind, uint64_t offset, const char *fmt, ...)
{
    char what[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(d->error_msg, sizeof(d->error_msg), "aws-chunked body at offset %" PRIu64 ": %s",
             offset, what);
    d->error = kind;
    d->state = ST_FAILED;
    return err_set(kind, "%s", d->error_msg);
}

/* A failure that was reported by someone else (the emit callback). */
static int fail_passthrough(struct chunked_decoder *d, int rc)
{
    snprintf(d->error_msg, sizeof(d->error_msg), "%s", err_msg());
    d->error = rc;
    d->state = ST_FAILED;
    return rc;
}

static bool is_hex_signature(const char *s, size_t len)
{
    if (len != SIGV4_HEX_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        if (hex_digit_value((unsigned char)s[i]) < 0)
            return false;
    return true;
}

static void lower_copy(char *dst, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        dst[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i]);
    dst[len] = '\0';
}

/* RFC 9110 tchar: what a trailer name and a chunk extension name consist of. */
static bool is_tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

int chunked_decoder_new(struct chunked_decoder **out, const struct chunked_options *opts,
                        int (*emit)(void *ctx, const void *data, size_t len), void *ctx)
{
    if (opts->signed_chunks) {
        if (!opts->amz_date || strlen(opts->amz_date) != SIGV4_AMZ_DATE_LEN)
            return err_set(ERR_INVALID, "signed aws-chunked decoding needs the request's "
                                        "x-amz-date");
        if (!opts->scope || !opts->scope[0] || strlen(opts->scope) > SCOPE_MAX)
            return err_set(ERR_INVALID, "signed aws-chunked decoding needs the credential scope");
        if (!opts->seed_signature ||
            !is_hex_signature(opts->seed_signature, strlen(opts->seed_signature)))
            return err_set(ERR_INVALID, "signed aws-chunked decoding needs the seed signature as "
                                        "64 hex digits");
    }

    struct chunked_decoder *d = xcalloc(1, sizeof(*d));
    d->state = ST_CHUNK_HEADER;
    d->emit = emit;
    d->ctx = ctx;
    d->signed_chunks = opts->signed_chunks;
    d->trailer = opts->trailer;
    d->decoded_length = opts->decoded_length;
    if (d->signed_chunks) {
        memcpy(d->key, opts->signing_key, sizeof(d->key));
        memcpy(d->amz_date, opts->amz_date, SIGV4_AMZ_DATE_LEN + 1);
        snprintf(d->scope, sizeof(d->scope), "%s", opts->scope);
        lower_copy(d->prev_signature, opts->seed_signature, SIGV4_HEX_LEN);
    }
    *out = d;
    return 0;
}

void chunked_decoder_free(struct chunked_decoder *d)
{
    if (!d)
        return;
    if (d->chunk_hash) {
        uint8_t discard[SHA256_LEN];
        sha256_end(d->chunk_hash, discard);
    }
    explicit_bzero(d->key, sizeof(d->key));
    free(d);
}

uint64_t chunked_decoder_decoded_length(const struct chunked_decoder *d)
{
    return d->emitted;
}

size_t chunked_decoder_trailers(const struct chunked_decoder *d, const struct header_field **out)
{
    *out = d->trailers;
    return d->state == ST_DONE ? d->trailer_count : 0;
}

/* HMAC-SHA256 of a string to sign, as lower-case hex, compared in constant time. */
static bool signature_matches(const struct chunked_decoder *d, const struct buf *sts,
                              const char *claimed)
{
    uint8_t mac[SHA256_LEN];
    char hex[SIGV4_HEX_LEN + 1];

    hmac_sha256(mac, d->key, sizeof(d->key), sts->data, sts->len);
    hex_encode(hex, mac, sizeof(mac));
    return secure_equal(hex, claimed, SIGV4_HEX_LEN);
}

/* Check the current chunk's signature over the hash of its data; on success it becomes the chain.
 */
static int chunk_verify(struct chunked_decoder *d)
{
    uint8_t digest[SHA256_LEN];
    char data_hash[SIGV4_HEX_LEN + 1];
    struct buf sts = BUF_INIT;

    if (d->chunk_hash) {
        sha256_end(d->chunk_hash, digest);
        d->chunk_hash = NULL;
    } else {
        sha256(digest, "", 0);
    }
    hex_encode(data_hash, digest, sizeof(digest));
    buf_addf(&sts, "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n%s\n" EMPTY_SHA256 "\n%s", d->amz_date,
             d->scope, d->prev_signature, data_hash);
    bool ok = signature_matches(d, &sts, d->chunk_signature);
    buf_release(&sts);
    if (!ok)
        return fail(d, ERR_DENIED, d->chunk_start,
                    "the chunk-signature of chunk %" PRIu64 " does not match its data",
                    d->chunk_index);
    memcpy(d->prev_signature, d->chunk_signature, sizeof(d->prev_signature));
    return 0;
}

static int compare_trailers(const void *a, const void *b)
{
    const struct header_field *x = *(const struct header_field *const *)a;
    const struct header_field *y = *(const struct header_field *const *)b;
    return strcmp(x->name, y->name);
}

static int trailer_verify(struct chunked_decoder *d)
{
    const struct header_field *sorted[CHUNKED_TRAILERS_MAX];
    struct buf canonical = BUF_INIT, sts = BUF_INIT;
    uint8_t digest[SHA256_LEN];
    char hash[SIGV4_HEX_LEN + 1];

    if (!d->have_trailer_signature)
        return fail(d, ERR_INVALID, d->line_start,
                    "the trailers end without an 'x-amz-trailer-signature'");
    for (size_t i = 0; i < d->trailer_count; i++)
        sorted[i] = &d->trailers[i];
    qsort(sorted, d->trailer_count, sizeof(sorted[0]), compare_trailers);
    for (size_t i = 0; i < d->trailer_count; i++) {
        buf_add(&canonical, sorted[i]->name, sorted[i]->name_len);
        buf_addch(&canonical, ':');
        buf_add(&canonical, sorted[i]->value, sorted[i]->value_len);
        buf_addch(&canonical, '\n');
    }
    sha256(digest, canonical.data, canonical.len);
    hex_encode(hash, digest, sizeof(digest));
    buf_addf(&sts, "AWS4-HMAC-SHA256-TRAILER\n%s\n%s\n%s\n%s", d->amz_date, d->scope,
             d->prev_signature, hash);
    bool ok = signature_matches(d, &sts, d->trailer_signature);
    buf_release(&canonical);
    buf_release(&sts);
    if (!ok)
        return fail(d, ERR_DENIED, d->line_start,
                    "the x-amz-trailer-signature does not match the trailers");
    return 0;
}

/* "<hex size>[;chunk-signature=<sig>]" (signed) or "<hex size>[;ext[=value]]..." (unsigned). */
static int parse_chunk_header(struct chunked_decoder *d)
{
    const char *p = d->line, *end = d->line + d->line_len;
    uint64_t size = 0;

    d->chunk_start = d->line_start;
    if (p == end || hex_digit_value((unsigned char)*p) < 0)
        return fail(d, ERR_INVALID, d->line_start, "chunk %" PRIu64 " has no hex size",
                    d->chunk_index);
    for (; p < end && hex_digit_value((unsigned char)*p) >= 0; p++) {
        size = size * 16 + (uint64_t)hex_digit_value((unsigned char)*p);
        if (size > CHUNKED_CHUNK_MAX)
            return fail(d, ERR_INVALID, d->line_start,
                        "chunk %" PRIu64 " is larger than the limit of %u bytes", d->chunk_index,
                        CHUNKED_CHUNK_MAX);
    }

    if (d->signed_chunks) {
        size_t ext = strlen(SIG_EXTENSION);
        if ((size_t)(end - p) != ext + SIGV4_HEX_LEN || memcmp(p, SIG_EXTENSION, ext) != 0 ||
            !is_hex_signature(p + ext, SIGV4_HEX_LEN))
            return fail(d, ERR_INVALID, d->line_start + (uint64_t)(p - d->line),
                        "chunk %" PRIu64 " needs ';chunk-signature=' and 64 hex digits after its "
                        "size",
                        d->chunk_index);
        lower_copy(d->chunk_signature, p + ext, SIGV4_HEX_LEN);
    } else {
        /* Extensions are ignored but must be well formed: ;name[=token or quoted string]. */
        while (p < end) {
            while (p < end && is_ows(*p))
                p++;
            if (p == end)
                break;
            const char *ext_start = p;
            if (*p++ != ';')
                goto bad_extension;
            while (p < end && is_ows(*p))
                p++;
            if (p == end || !is_tchar((unsigned char)*p))
                goto bad_extension;
            while (p < end && is_tchar((unsigned char)*p))
                p++;
            while (p < end && is_ows(*p))
                p++;
            if (p == end || *p != '=')
                continue;
            p++;
            while (p < end && is_ows(*p))
                p++;
            if (p < end && *p == '"') {
                for (p++; p < end && *p != '"'; p++)
                    if (*p == '\\' && p + 1 < end)
                        p++;
                if (p == end)
                    goto bad_extension;
                p++;
            } else {
                if (p == end || !is_tchar((unsigned char)*p))
                    goto bad_extension;
                while (p < end && is_tchar((unsigned char)*p))
                    p++;
            }
            continue;
        bad_extension:
            return fail(d, ERR_INVALID, d->line_start + (uint64_t)(ext_start - d->line),
                        "chunk %" PRIu64 " has a malformed chunk extension", d->chunk_index);
        }
    }

    if (d->decoded_length != UINT64_MAX && size > d->decoded_length - d->emitted)
        return fail(d, ERR_INVALID, d->line_start,
                    "chunk %" PRIu64 " makes the payload longer than the %" PRIu64
                    " bytes of x-amz-decoded-content-length",
                    d->chunk_index, d->decoded_length);
    d->remaining = size;
    if (size == 0) {
        if (d->signed_chunks) {
            int rc = chunk_verify(d);
            if (rc < 0)
                return rc;
        }
        d->state = ST_TRAILER;
        return 0;
    }
    if (d->signed_chunks)
        d->chunk_hash = sha256_begin();
    d->state = ST_DATA;
    return 0;
}

/* One trailer line, "name:value". */
static int parse_trailer(struct chunked_decoder *d)
{
    const char *p = d->line, *end = d->line + d->line_len;
    const char *colon = memchr(p, ':', d->line_len);

    if (!d->trailer)
        return fail(d, ERR_INVALID, d->line_start,
                    "bytes after the final chunk, and the upload declares no trailer");
    if (!colon || colon == p)
        return fail(d, ERR_INVALID, d->line_start, "trailer line is not 'name:value'");
    for (const char *q = p; q < colon; q++)
        if (!is_tchar((unsigned char)*q))
            return fail(d, ERR_INVALID, d->line_start + (uint64_t)(q - p),
                        "trailer name has an invalid character");
    const char *value = colon + 1, *value_end = end;
    while (value < value_end && is_ows(*value))
        value++;
    while (value_end > value && is_ows(value_end[-1]))
        value_end--;
    for (const char *q = value; q < value_end; q++)
        if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
            return fail(d, ERR_INVALID, d->line_start + (uint64_t)(q - p),
                        "trailer value has a control character");

    size_t name_len = (size_t)(colon - p), value_len = (size_t)(value_end - value);
    char name[CHUNKED_LINE_MAX + 1];
    lower_copy(name, p, name_len);

    if (d->have_trailer_signature)
        return fail(d, ERR_INVALID, d->line_start,
                    "trailer '%s' follows the x-amz-trailer-signature", name);
    if (strcmp(name, TRAILER_SIG) == 0) {
        if (d->signed_chunks && !is_hex_signature(value, value_len))
            return fail(d, ERR_INVALID, d->line_start,
                        "x-amz-trailer-signature is not 64 hex digits");
        if (d->signed_chunks) {
            lower_copy(d->trailer_signature, value, SIGV4_HEX_LEN);
            d->have_trailer_signature = true;
        }
        return 0;
    }
    for (size_t i = 0; i < d->trailer_count; i++)
        if (strcmp(d->trailers[i].name, name) == 0)
            return fail(d, ERR_INVALID, d->line_start, "trailer '%s' appears more than once", name);
    if (d->trailer_count == CHUNKED_TRAILERS_MAX)
        return fail(d, ERR_INVALID, d->line_start, "more than %d trailers", CHUNKED_TRAILERS_MAX);
    if (name_len + value_len + 2 > sizeof(d->trailer_text) - d->trailer_text_len)
        return fail(d, ERR_INVALID, d->line_start, "trailers longer than %d bytes",
                    CHUNKED_TRAILER_BYTES_MAX);

    char *stored = d->trailer_text + d->trailer_text_len;
    memcpy(stored, name, name_len + 1);
    memcpy(stored + name_len + 1, value, value_len);
    stored[name_len + 1 + value_len] = '\0';
    d->trailer_text_len += name_len + value_len + 2;
    d->trailers[d->trailer_count++] = (struct header_field){
        .name = stored,
        .name_len = name_len,
        .value = stored + name_len + 1,
        .value_len = value_len,
    };
    return 0;
}

/* A complete line in d->line: what it means depends on where we are. */
static int line_done(struct chunked_decoder *d)
{
    if (d->state == ST_CHUNK_HEADER)
        return parse_chunk_header(d);

    /* ST_TRAILER or ST_TRAILER_GAP */
    if (d->line_len > 0) {
        d->state = ST_TRAILER;
        return parse_trailer(d);
    }
    bool first_line = d->trailer_count == 0 && !d->have_trailer_signature;
    if (d->state == ST_TRAILER && d->trailer && first_line) {
        /* "0;...\r\n\r\n": the end, unless trailers follow (AWS's example has them there). */
        d->state = ST_TRAILER_GAP;
        return 0;
    }
    if (d->trailer && d->signed_chunks) {
        int rc = trailer_verify(d);
        if (rc < 0)
            return rc;
    }
    d->state = ST_DONE;
    return 0;
}

/* Read line bytes; returns the bytes consumed, or a negative error. */
static ptrdiff_t read_line(struct chunked_decoder *d, const uint8_t *p, size_t len)
{
    size_t i = 0;

    if (d->line_len == 0 && !d->line_cr)
        d->line_start = d->offset;
    while (i < len) {
        uint8_t c = p[i++];
        if (d->line_cr) {
            if (c != '\n')
                return fail(d, ERR_INVALID, d->offset + i - 1, "CR not followed by LF");
            d->line_cr = false;
            d->line[d->line_len] = '\0';
            d->offset += i;
            int rc = line_done(d);
            if (rc < 0)
                return rc;
            d->line_len = 0;
            return (ptrdiff_t)i;
        }
        if (c == '\r') {
            d->line_cr = true;
            continue;
        }
        if (c == '\n' || c == '\0')
            return fail(d, ERR_INVALID, d->offset + i - 1,
                        c == '\n' ? "LF without CR" : "NUL byte in a line");
        if (d->line_len == CHUNKED_LINE_MAX)
            return fail(d, ERR_INVALID, d->line_start,
                        d->state == ST_CHUNK_HEADER ? "chunk header line longer than %d bytes"
                                                    : "trailer line longer than %d bytes",
                        CHUNKED_LINE_MAX);
        d->line[d->line_len++] = (char)c;
    }
    d->offset += i;
    return (ptrdiff_t)i;
}

int chunked_decoder_feed(struct chunked_decoder *d, const void *data, size_t len)
{
    const uint8_t *p = data;

    if (d->state == ST_FAILED)
        return err_set(d->error, "%s", d->error_msg);
    while (len > 0) {
        switch (d->state) {
        case ST_CHUNK_HEADER:
        case ST_TRAILER:
        case ST_TRAILER_GAP: {
            ptrdiff_t n = read_line(d, p, len);
            if (n < 0)
                return (int)n;
            p += n;
            len -= (size_t)n;
            break;
        }
        case ST_DATA: {
            size_t n = len < d->remaining ? len : (size_t)d->remaining;
            if (d->chunk_hash)
                sha256_update(d->chunk_hash, p, n);
            if (d->emit) {
                int rc = d->emit(d->ctx, p, n);
                if (rc < 0)
                    return fail_passthrough(d, rc);
            }
            d->emitted += n;
            d->remaining -= n;
            d->offset += n;
            p += n;
            len -= n;
            if (d->remaining == 0) {
                if (d->signed_chunks) {
                    int rc = chunk_verify(d);
                    if (rc < 0)
                        return rc;
                }
                d->state = ST_DATA_CR;
            }
            break;
        }
        case ST_DATA_CR:
        case ST_DATA_LF: {
            char want = d->state == ST_DATA_CR ? '\r' : '\n';
            if (*p != want)
                return fail(d, ERR_INVALID, d->offset, "chunk %" PRIu64 " is not followed by CRLF",
                            d->chunk_index);
            d->offset++;
            p++;
            len--;
            if (d->state == ST_DATA_LF) {
                d->chunk_index++;
                d->state = ST_CHUNK_HEADER;
            } else {
                d->state = ST_DATA_LF;
            }
            break;
        }
        case ST_DONE:
            return fail(d, ERR_INVALID, d->offset, "bytes after the end of the body");
        case ST_FAILED:
            return err_set(d->error, "%s", d->error_msg);
        }
    }
    return 0;
}

int chunked_decoder_finish(struct chunked_decoder *d)
{
    switch (d->state) {
    case ST_FAILED:
        return err_set(d->error, "%s", d->error_msg);
    case ST_TRAILER_GAP:
        /* The empty line after the final chunk was the end after all. */
        if (d->signed_chunks)
            return fail(d, ERR_INVALID, d->offset,
                        "the body ends without an 'x-amz-trailer-signature'");
        d->state = ST_DONE;
        break;
    case ST_DONE:
        break;
    case ST_TRAILER:
        return fail(d, ERR_INVALID, d->offset,
                    d->trailer ? "the body ends inside the trailers"
                               : "the body ends without the empty line after the final chunk");
    case ST_CHUNK_HEADER:
        if (d->line_len == 0 && !d->line_cr)
            return fail(d, ERR_INVALID, d->offset, "the body ends before the final chunk");
        /* fall through */
    default:
        return fail(d, ERR_INVALID, d->offset, "the body ends inside chunk %" PRIu64,
                    d->chunk_index);
    }
    if (d->decoded_length != UINT64_MAX && d->emitted != d->decoded_length)
        return fail(d, ERR_INVALID, d->offset,
                    "the payload has %" PRIu64
                    " bytes but x-amz-decoded-content-length says %" PRIu64,
                    d->emitted, d->decoded_length);
    return 0;
}
