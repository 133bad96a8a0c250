#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>

#include "base/common.h"
#include "base/crypto.h"
#include "base/err.h"

static EVP_MD *md_sha256;
static EVP_MD *md_md5;
static EVP_MD *md_sha1;
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;
/* Frees each thread's digest context when the thread ends. */
static pthread_key_t md_ctx_key;

static void md_ctx_free(void *ctx)
{
    EVP_MD_CTX_free(ctx);
}

static void crypto_fetch(void)
{
    if (pthread_key_create(&md_ctx_key, md_ctx_free) != 0)
        abort();
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    if (!md_sha256 || !md_md5 || !md_sha1) {
        fprintf(stderr, "fatal: OpenSSL has no SHA256, SHA1 or MD5\n");
        abort();
    }
}

void crypto_init(void)
{
    pthread_once(&crypto_once, crypto_fetch);
}

/* One digest context per thread, reused: allocation per call is measurable. */
static _Thread_local EVP_MD_CTX *thread_md_ctx;

static EVP_MD_CTX *md_ctx(void)
{
    if (!thread_md_ctx) {
        thread_md_ctx = EVP_MD_CTX_new();
        if (!thread_md_ctx || pthread_setspecific(md_ctx_key, thread_md_ctx) != 0)
            abort();
    }
    return thread_md_ctx;
}

static void digest(const EVP_MD *md, uint8_t *out, const void *data, size_t len)
{
    crypto_init();
    EVP_MD_CTX *ctx = md_ctx();
    if (!EVP_DigestInit_ex(ctx, md, NULL) || !EVP_DigestUpdate(ctx, data, len) ||
        !EVP_DigestFinal_ex(ctx, out, NULL))
        abort();
}

void sha256(uint8_t out[SHA256_LEN], const void *data, size_t len)
{
    crypto_init();
    digest(md_sha256, out, data, len);
}

void md5(uint8_t out[MD5_LEN], const void *data, size_t len)
{
    crypto_init();
    digest(md_md5, out, data, len);
}

void sha1(uint8_t out[SHA1_LEN], const void *data, size_t len)
{
    crypto_init();
    digest(md_sha1, out, data, len);
}

/* HMAC (RFC 2104) over a prefetched digest with a 64-byte block, without per-call fetches. */
static void hmac(const EVP_MD *md, size_t md_len, uint8_t *out, const void *key, size_t key_len,
                 const void *data, size_t len)
{
    enum { BLOCK = 64 };
    uint8_t k[BLOCK] = {0};
    uint8_t pad[BLOCK];
    uint8_t inner[EVP_MAX_MD_SIZE];

    crypto_init();
    if (key_len > BLOCK)
        digest(md, k, key, key_len);
    else if (key_len)
        memcpy(k, key, key_len);

    EVP_MD_CTX *ctx = md_ctx();
    for (int i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    if (!EVP_DigestInit_ex(ctx, md, NULL) || !EVP_DigestUpdate(ctx, pad, BLOCK) ||
        !EVP_DigestUpdate(ctx, data, len) || !EVP_DigestFinal_ex(ctx, inner, NULL))
        abort();
    for (int i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    if (!EVP_DigestInit_ex(ctx, md, NULL) || !EVP_DigestUpdate(ctx, pad, BLOCK) ||
        !EVP_DigestUpdate(ctx, inner, md_len) || !EVP_DigestFinal_ex(ctx, out, NULL))
        abort();
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(pad, sizeof(pad));
}

void hmac_sha256(uint8_t out[SHA256_LEN], const void *key, size_t key_len, const void *data,
                 size_t len)
{
    crypto_init();
    hmac(md_sha256, SHA256_LEN, out, key, key_len, data, len);
}

void hmac_sha1(uint8_t out[SHA1_LEN], const void *key, size_t key_len, const void *data, size_t len)
{
    crypto_init();
    hmac(md_sha1, SHA1_LEN, out, key, key_len, data, len);
}

void pbkdf2_sha256(uint8_t *out, size_t out_len, const char *password, const uint8_t *salt,
                   size_t salt_len, int iterations)
{
    crypto_init();
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, iterations,
                          md_sha256, (int)out_len, out) != 1)
        abort(); /* only fails when out of memory */
}

struct sha256_ctx {
    EVP_MD_CTX *md;
};

struct sha256_ctx *sha256_begin(void)
{
    crypto_init();
    struct sha256_ctx *ctx = malloc(sizeof(*ctx));
    if (!ctx || !(ctx->md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(ctx->md, md_sha256, NULL))
        abort();
    return ctx;
}

void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len)
{
    if (!EVP_DigestUpdate(ctx->md, data, len))
        abort();
}

void sha256_end(struct sha256_ctx *ctx, uint8_t out[SHA256_LEN])
{
    if (!EVP_DigestFinal_ex(ctx->md, out, NULL))
        abort();
    EVP_MD_CTX_free(ctx->md);
    free(ctx);
}

void hex_encode(char *out, const uint8_t *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = '\0';
}

int hex_digit_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hex_decode(uint8_t *out, size_t out_len, const char *hex, size_t hex_len)
{
    if (hex_len != 2 * out_len)
        return err_set(ERR_INVALID, "hex string has %zu digits, expected %zu", hex_len,
                       2 * out_len);
    for (size_t i = 0; i < out_len; i++) {
        int hi = hex_digit_value(hex[2 * i]), lo = hex_digit_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return err_set(ERR_INVALID, "invalid hex digit at offset %zu", 2 * i);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(struct buf *out, const void *data, size_t len)
{
    const uint8_t *p = data;
    buf_grow(out, (len + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char q[4] = {b64_alphabet[v >> 18], b64_alphabet[(v >> 12) & 63],
                     b64_alphabet[(v >> 6) & 63], b64_alphabet[v & 63]};
        buf_add(out, q, 4);
    }
    if (i < len) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
        char q[4] = {b64_alphabet[v >> 18], b64_alphabet[(v >> 12) & 63],
                     i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=', '='};
        buf_add(out, q, 4);
    }
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int base64_decode(struct buf *out, const char *s, size_t len)
{
    if (len % 4 != 0)
        return err_set(ERR_INVALID, "base64 length %zu is not a multiple of 4", len);
    buf_grow(out, len / 4 * 3);
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            char c = s[i + j];
            if (c == '=' && i + 4 == len && j >= 2) {
                v[j] = 0;
                pad++;
                continue;
            }
            if (pad || (v[j] = b64_value(c)) < 0)
                return err_set(ERR_INVALID, "invalid base64 character at offset %zu", i + j);
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        uint8_t bytes[3] = {(uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
        buf_add(out, bytes, (size_t)(3 - pad));
    }
    return 0;
}

void random_bytes(void *out, size_t len)
{
    if (RAND_bytes(out, (int)len) != 1) {
        fprintf(stderr, "fatal: the random number generator failed\n");
        abort();
    }
}

bool secure_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

static EVP_CIPHER_CTX *aead_ctx(void)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        abort();
    return ctx;
}

void aead_seal(struct buf *out, const uint8_t key[AEAD_KEY_LEN], const void *aad, size_t aad_len,
               const void *plain, size_t len)
{
    uint8_t nonce[AEAD_NONCE_LEN];
    random_bytes(nonce, sizeof(nonce));
    if (len > INT_MAX || aad_len > INT_MAX)
        abort(); /* callers bound what they seal far below this */
    EVP_CIPHER_CTX *ctx = aead_ctx();
    size_t start = out->len;
    buf_grow(out, AEAD_OVERHEAD + len);
    buf_add(out, nonce, sizeof(nonce));
    int n = 0, m = 0;
    uint8_t *dst = (uint8_t *)out->data + out->len;
    if (!EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) ||
        (aad_len && !EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len)) ||
        !EVP_EncryptUpdate(ctx, dst, &n, plain, (int)len) ||
        !EVP_EncryptFinal_ex(ctx, dst + n, &m) ||
        !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, AEAD_TAG_LEN, dst + n + m))
        abort(); /* AES-GCM with valid arguments does not fail */
    out->len = start + AEAD_NONCE_LEN + (size_t)(n + m) + AEAD_TAG_LEN;
    out->data[out->len] = '\0';
    EVP_CIPHER_CTX_free(ctx);
}

int aead_open(struct buf *out, const uint8_t key[AEAD_KEY_LEN], const void *aad, size_t aad_len,
              const void *sealed, size_t len)
{
    if (len < AEAD_OVERHEAD || len > INT_MAX || aad_len > INT_MAX)
        return err_set(ERR_INVALID, "sealed value is malformed");
    const uint8_t *in = sealed;
    size_t clen = len - AEAD_OVERHEAD;
    EVP_CIPHER_CTX *ctx = aead_ctx();
    size_t start = out->len;
    buf_grow(out, clen);
    uint8_t *dst = (uint8_t *)out->data + out->len;
    uint8_t tag[AEAD_TAG_LEN];
    memcpy(tag, in + AEAD_NONCE_LEN + clen, AEAD_TAG_LEN);
    int n = 0, m = 0;
    bool ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, in) &&
              (!aad_len || EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len)) &&
              EVP_DecryptUpdate(ctx, dst, &n, in + AEAD_NONCE_LEN, (int)clen) &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, AEAD_TAG_LEN, tag) &&
              EVP_DecryptFinal_ex(ctx, dst + n, &m) > 0;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        explicit_bzero(dst, clen);
        out->data[start] = '\0';
        return err_set(ERR_INVALID, "sealed value does not open with this key and context");
    }
    out->len = start + (size_t)(n + m);
    out->data[out->len] = '\0';
    return 0;
}
