#include "base/common.h"

#include <openssl/evp.h>
#include <pthread.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CHECKSUM_X86 1
#endif

#include "base/alloc.h"
#include "base/checksum.h"
#include "base/crypto.h"
#include "base/err.h"

/*
 * All three CRCs are reflected (least significant bit first), so one
 * table-driven scheme serves them: the register holds the remainder, bit 0
 * the coefficient of the highest power. The public functions invert on the
 * way in and out (initial value and final XOR all ones).
 */
#define CRC32_POLY     UINT32_C(0xedb88320)
#define CRC32C_POLY    UINT32_C(0x82f63b78)
#define CRC64NVME_POLY UINT64_C(0x9a6c9329ac4bc9b5)

static uint32_t crc32_table[8][256];
static uint32_t crc32c_table[8][256];
static uint64_t crc64nvme_table[8][256];

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/*
 * Slicing-by-8: table[k][b] is the register after byte b followed by k zero
 * bytes, so eight bytes are folded in with eight independent look-ups
 * instead of eight dependent ones.
 */
static void crc32_tables_fill(uint32_t table[8][256], uint32_t poly)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t r = i;
        for (int bit = 0; bit < 8; bit++)
            r = (r & 1) ? (r >> 1) ^ poly : r >> 1;
        table[0][i] = r;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++)
            table[k][i] = (table[k - 1][i] >> 8) ^ table[0][table[k - 1][i] & 0xff];
}

static void crc64_tables_fill(uint64_t table[8][256], uint64_t poly)
{
    for (uint64_t i = 0; i < 256; i++) {
        uint64_t r = i;
        for (int bit = 0; bit < 8; bit++)
            r = (r & 1) ? (r >> 1) ^ poly : r >> 1;
        table[0][i] = r;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++)
            table[k][i] = (table[k - 1][i] >> 8) ^ table[0][table[k - 1][i] & 0xff];
}

static uint32_t crc32_slice8(const uint32_t t[8][256], uint32_t r, const uint8_t *p, size_t len)
{
    while (len && ((uintptr_t)p & 7)) {
        r = (r >> 8) ^ t[0][(r ^ *p++) & 0xff];
        len--;
    }
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t v = load_le64(p) ^ r;
        r = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^
            t[4][(v >> 24) & 0xff] ^ t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^
            t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
    }
    while (len--)
        r = (r >> 8) ^ t[0][(r ^ *p++) & 0xff];
    return r;
}

static uint64_t crc64_slice8(const uint64_t t[8][256], uint64_t r, const uint8_t *p, size_t len)
{
    while (len && ((uintptr_t)p & 7)) {
        r = (r >> 8) ^ t[0][(r ^ *p++) & 0xff];
        len--;
    }
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t v = load_le64(p) ^ r;
        r = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^
            t[4][(v >> 24) & 0xff] ^ t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^
            t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
    }
    while (len--)
        r = (r >> 8) ^ t[0][(r ^ *p++) & 0xff];
    return r;
}

/* Register-to-register functions, one per CRC and implementation. */
typedef uint64_t crc_fn(uint64_t r, const uint8_t *p, size_t len);

static uint64_t crc32_portable(uint64_t r, const uint8_t *p, size_t len)
{
    return crc32_slice8(crc32_table, (uint32_t)r, p, len);
}

static uint64_t crc32c_portable(uint64_t r, const uint8_t *p, size_t len)
{
    return crc32_slice8(crc32c_table, (uint32_t)r, p, len);
}

static uint64_t crc64nvme_portable(uint64_t r, const uint8_t *p, size_t len)
{
    return crc64_slice8(crc64nvme_table, r, p, len);
}

static crc_fn *crc32_impl = crc32_portable;
static crc_fn *crc32c_impl = crc32c_portable;
static crc_fn *crc64nvme_impl = crc64nvme_portable;
static const char *accel_name = "none";

#ifdef CHECKSUM_X86
/*
 * Folding with carry-less multiplication (the method of Intel's "Fast CRC
 * Computation for Generic Polynomials Using PCLMULQDQ"): the data is
 * consumed 64 bytes at a time into four 128-bit accumulators, each kept
 * congruent modulo P to the part of the message it has absorbed, by
 * multiplying it forward by x^512 (two 64x64 products with x^k mod P). At
 * the end the accumulators are folded into one, and the register is the
 * CRC of those 16 bytes from a zero register, which the tables (or crc32
 * instructions) finish along with the tail. So no Barrett reduction and no
 * per-polynomial code: only the constants differ, and they are computed at
 * start-up from the polynomial.
 *
 * With reflected operands a carry-less product comes out one bit short of
 * the reflected 128-bit form, which the constants absorb by using
 * x^(k-1) mod P for a shift of k bits.
 */
struct fold_constants {
    uint64_t k512_lo, k512_hi; /* x^(512+64-1), x^(512-1) mod P */
    uint64_t k128_lo, k128_hi; /* x^(128+64-1), x^(128-1) mod P */
};

static struct fold_constants crc32_fold, crc32c_fold, crc64nvme_fold;

static uint64_t reflect64(uint64_t v)
{
    uint64_t r = 0;
    for (int i = 0; i < 64; i++, v >>= 1)
        r = (r << 1) | (v & 1);
    return r;
}

/* x^n mod P in the reflected 64-bit form; P given reflected, of degree `width`. */
static uint64_t xpow_mod(unsigned n, uint64_t reflected_poly, unsigned width)
{
    uint64_t poly = reflect64(reflected_poly) >> (64 - width); /* unreflected, x^width implied */
    uint64_t top = UINT64_C(1) << (width - 1);
    uint64_t mask = width == 64 ? UINT64_MAX : (UINT64_C(1) << width) - 1;
    uint64_t v = 1;
    for (unsigned i = 0; i < n; i++)
        v = ((v & top) ? (v << 1) ^ poly : v << 1) & mask;
    return reflect64(v);
}

static void fold_constants_init(struct fold_constants *k, uint64_t reflected_poly, unsigned width)
{
    k->k512_lo = xpow_mod(512 + 64 - 1, reflected_poly, width);
    k->k512_hi = xpow_mod(512 - 1, reflected_poly, width);
    k->k128_lo = xpow_mod(128 + 64 - 1, reflected_poly, width);
    k->k128_hi = xpow_mod(128 - 1, reflected_poly, width);
}

__attribute__((target("pclmul,sse2"))) static inline __m128i fold128(__m128i x, __m128i k,
                                                                     __m128i next)
{
    __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

#define FOLD_MIN 128 /* below this the tables (or crc32 instructions) are as fast */

/* Needs len >= 64; `finish` completes the register over the last bytes. */
__attribute__((target("pclmul,sse2"))) static uint64_t
crc_fold(const struct fold_constants *c, crc_fn *finish, uint64_t r, const uint8_t *p, size_t len)
{
    const __m128i k512 = _mm_set_epi64x((long long)c->k512_hi, (long long)c->k512_lo);
    const __m128i k128 = _mm_set_epi64x((long long)c->k128_hi, (long long)c->k128_lo);
    __m128i x0 = _mm_loadu_si128((const __m128i *)p);
    __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));

    /* The register enters as the first bytes of the message, as in the tables. */
    x0 = _mm_xor_si128(x0, _mm_cvtsi64_si128((long long)r));
    for (p += 64, len -= 64; len >= 64; p += 64, len -= 64) {
        x0 = fold128(x0, k512, _mm_loadu_si128((const __m128i *)p));
        x1 = fold128(x1, k512, _mm_loadu_si128((const __m128i *)(p + 16)));
        x2 = fold128(x2, k512, _mm_loadu_si128((const __m128i *)(p + 32)));
        x3 = fold128(x3, k512, _mm_loadu_si128((const __m128i *)(p + 48)));
    }
    x0 = fold128(x0, k128, x1);
    x0 = fold128(x0, k128, x2);
    x0 = fold128(x0, k128, x3);
    for (; len >= 16; p += 16, len -= 16)
        x0 = fold128(x0, k128, _mm_loadu_si128((const __m128i *)p));

    uint8_t acc[16];
    _mm_storeu_si128((__m128i *)acc, x0);
    r = finish(0, acc, sizeof(acc));
    return finish(r, p, len);
}

__attribute__((target("sse4.2"))) static uint64_t crc32c_sse42(uint64_t r, const uint8_t *p,
                                                               size_t len)
{
    while (len && ((uintptr_t)p & 7)) {
        r = _mm_crc32_u8((uint32_t)r, *p++);
        len--;
    }
    for (; len >= 8; p += 8, len -= 8)
        r = _mm_crc32_u64(r, load_le64(p));
    while (len--)
        r = _mm_crc32_u8((uint32_t)r, *p++);
    return r;
}

static uint64_t crc32_pclmul(uint64_t r, const uint8_t *p, size_t len)
{
    if (len < FOLD_MIN)
        return crc32_portable(r, p, len);
    return crc_fold(&crc32_fold, crc32_portable, r, p, len);
}

static uint64_t crc32c_pclmul(uint64_t r, const uint8_t *p, size_t len)
{
    if (len < FOLD_MIN)
        return crc32c_sse42(r, p, len);
    return crc_fold(&crc32c_fold, crc32c_sse42, r, p, len);
}

static uint64_t crc64nvme_pclmul(uint64_t r, const uint8_t *p, size_t len)
{
    if (len < FOLD_MIN)
        return crc64nvme_portable(r, p, len);
    return crc_fold(&crc64nvme_fold, crc64nvme_portable, r, p, len);
}
#endif

static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    crc32_tables_fill(crc32_table, CRC32_POLY);
    crc32_tables_fill(crc32c_table, CRC32C_POLY);
    crc64_tables_fill(crc64nvme_table, CRC64NVME_POLY);
#ifdef CHECKSUM_X86
    __builtin_cpu_init();
    bool sse42 = __builtin_cpu_supports("sse4.2");
    bool pclmul = __builtin_cpu_supports("pclmul");
    if (pclmul && sse42) {
        fold_constants_init(&crc32_fold, CRC32_POLY, 32);
        fold_constants_init(&crc32c_fold, CRC32C_POLY, 32);
        fold_constants_init(&crc64nvme_fold, CRC64NVME_POLY, 64);
        crc32_impl = crc32_pclmul;
        crc32c_impl = crc32c_pclmul;
        crc64nvme_impl = crc64nvme_pclmul;
        accel_name = "pclmul sse4.2";
    } else if (sse42) {
        crc32c_impl = crc32c_sse42;
        accel_name = "sse4.2";
    }
#endif
}

static inline void crc_ready(void)
{
    pthread_once(&crc_once, crc_init);
}

uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
    crc_ready();
    return ~(uint32_t)crc32_impl(~crc, data, len);
}

uint32_t crc32c_update(uint32_t crc, const void *data, size_t len)
{
    crc_ready();
    return ~(uint32_t)crc32c_impl(~crc, data, len);
}

uint64_t crc64nvme_update(uint64_t crc, const void *data, size_t len)
{
    crc_ready();
    return ~crc64nvme_impl(~crc, data, len);
}

uint32_t crc32_update_portable(uint32_t crc, const void *data, size_t len)
{
    crc_ready();
    return ~(uint32_t)crc32_portable(~crc, data, len);
}

uint32_t crc32c_update_portable(uint32_t crc, const void *data, size_t len)
{
    crc_ready();
    return ~(uint32_t)crc32c_portable(~crc, data, len);
}

uint64_t crc64nvme_update_portable(uint64_t crc, const void *data, size_t len)
{
    crc_ready();
    return ~crc64nvme_portable(~crc, data, len);
}

const char *checksum_accel(void)
{
    crc_ready();
    return accel_name;
}

/* Names and sizes, indexed by bit number. */
enum { ALG_COUNT = 6 };

static const struct {
    const char *name;
    const char *header;
    size_t length;
} algorithms[ALG_COUNT] = {
    {"MD5", NULL, 16},
    {"SHA1", "x-amz-checksum-sha1", 20},
    {"SHA256", "x-amz-checksum-sha256", 32},
    {"CRC32", "x-amz-checksum-crc32", 4},
    {"CRC32C", "x-amz-checksum-crc32c", 4},
    {"CRC64NVME", "x-amz-checksum-crc64nvme", 8},
};

/* The bit number of a single algorithm, or -1. */
static int alg_index(unsigned algorithm)
{
    if (algorithm == 0 || (algorithm & (algorithm - 1)) || algorithm > CHECKSUM_CRC64NVME)
        return -1;
    return __builtin_ctz(algorithm);
}

const char *checksum_name(enum checksum_algorithm algorithm)
{
    int i = alg_index(algorithm);
    return i < 0 ? NULL : algorithms[i].name;
}

const char *checksum_header(enum checksum_algorithm algorithm)
{
    int i = alg_index(algorithm);
    return i < 0 ? NULL : algorithms[i].header;
}

size_t checksum_length(enum checksum_algorithm algorithm)
{
    int i = alg_index(algorithm);
    return i < 0 ? 0 : algorithms[i].length;
}

int checksum_from_name(enum checksum_algorithm *out, const char *name, size_t len)
{
    /* MD5 is left out: S3 accepts only the flexible checksums by name. */
    for (int i = 1; i < ALG_COUNT; i++) {
        if (strlen(algorithms[i].name) == len && strncasecmp(name, algorithms[i].name, len) == 0) {
            *out = (enum checksum_algorithm)(1u << i);
            return 0;
        }
    }
    return err_set(ERR_INVALID, "'%.*s' is not a checksum algorithm", len > 64 ? 64 : (int)len,
                   name);
}

/* The message digests come from OpenSSL, fetched once per process. */
enum { MD_MD5, MD_SHA1, MD_SHA256, MD_COUNT };
static EVP_MD *md_algorithms[MD_COUNT];
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch(void)
{
    static const char *const names[MD_COUNT] = {"MD5", "SHA1", "SHA256"};
    for (int i = 0; i < MD_COUNT; i++) {
        md_algorithms[i] = EVP_MD_fetch(NULL, names[i], NULL);
        if (!md_algorithms[i]) {
            fprintf(stderr, "fatal: OpenSSL has no %s\n", names[i]);
            abort();
        }
    }
}

struct checksum_set {
    unsigned algorithms;
    bool finished;
    EVP_MD_CTX *md[MD_COUNT];
    uint32_t crc32;
    uint32_t crc32c;
    uint64_t crc64nvme;
    uint8_t digest[ALG_COUNT][CHECKSUM_MAX_LEN];
};

struct checksum_set *checksum_set_new(unsigned algorithms_wanted)
{
    struct checksum_set *set = xcalloc(1, sizeof(*set));

    crc_ready();
    pthread_once(&md_once, md_fetch);
    set->algorithms = algorithms_wanted & CHECKSUM_ALL;
    for (int i = 0; i < MD_COUNT; i++) {
        if (!(set->algorithms & (1u << i)))
            continue;
        if (!(set->md[i] = EVP_MD_CTX_new()))
            abort();
    }
    checksum_set_reset(set);
    return set;
}

void checksum_set_free(struct checksum_set *set)
{
    if (!set)
        return;
    for (int i = 0; i < MD_COUNT; i++)
        EVP_MD_CTX_free(set->md[i]);
    free(set);
}

void checksum_set_reset(struct checksum_set *set)
{
    for (int i = 0; i < MD_COUNT; i++)
        if (set->md[i] && !EVP_DigestInit_ex(set->md[i], md_algorithms[i], NULL))
            abort();
    set->crc32 = set->crc32c = 0;
    set->crc64nvme = 0;
    set->finished = false;
    memset(set->digest, 0, sizeof(set->digest));
}

unsigned checksum_set_algorithms(const struct checksum_set *set)
{
    return set->algorithms;
}

/*
 * Each algorithm runs over a slice small enough to stay in the L2 cache
 * before the next one starts, so a large piece is read from memory once
 * rather than once per algorithm.
 */
#define SET_SLICE (64 * 1024)

void checksum_set_update(struct checksum_set *set, const void *data, size_t len)
{
    const uint8_t *p = data;
    unsigned a = set->algorithms;

    if (set->finished)
        abort(); /* a caller bug: the digests are already final */
    while (len > 0) {
        size_t n = len < SET_SLICE ? len : SET_SLICE;
        for (int i = 0; i < MD_COUNT; i++)
            if (set->md[i] && !EVP_DigestUpdate(set->md[i], p, n))
                abort();
        if (a & CHECKSUM_CRC32)
            set->crc32 = crc32_update(set->crc32, p, n);
        if (a & CHECKSUM_CRC32C)
            set->crc32c = crc32c_update(set->crc32c, p, n);
        if (a & CHECKSUM_CRC64NVME)
            set->crc64nvme = crc64nvme_update(set->crc64nvme, p, n);
        p += n;
        len -= n;
    }
}

static void put_be(uint8_t *out, uint64_t v, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++)
        out[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

void checksum_set_finish(struct checksum_set *set)
{
    if (set->finished)
        return;
    for (int i = 0; i < MD_COUNT; i++)
        if (set->md[i] && !EVP_DigestFinal_ex(set->md[i], set->digest[i], NULL))
            abort();
    put_be(set->digest[alg_index(CHECKSUM_CRC32)], set->crc32, 4);
    put_be(set->digest[alg_index(CHECKSUM_CRC32C)], set->crc32c, 4);
    put_be(set->digest[alg_index(CHECKSUM_CRC64NVME)], set->crc64nvme, 8);
    set->finished = true;
}

size_t checksum_set_digest(const struct checksum_set *set, enum checksum_algorithm algorithm,
                           uint8_t *out)
{
    int i = alg_index(algorithm);

    if (i < 0 || !set->finished || !(set->algorithms & algorithm))
        return 0;
    memcpy(out, set->digest[i], algorithms[i].length);
    return algorithms[i].length;
}

int checksum_set_base64(struct buf *out, const struct checksum_set *set,
                        enum checksum_algorithm algorithm)
{
    uint8_t digest[CHECKSUM_MAX_LEN];
    size_t len = checksum_set_digest(set, algorithm, digest);

    if (!len)
        return err_set(ERR_INVALID, "checksum '%s' was not computed",
                       checksum_name(algorithm) ? checksum_name(algorithm) : "?");
    base64_encode(out, digest, len);
    return 0;
}

size_t checksum_compute(uint8_t *out, enum checksum_algorithm algorithm, const void *data,
                        size_t len)
{
    int i = alg_index(algorithm);

    if (i < 0)
        return 0;
    switch (algorithm) {
    case CHECKSUM_CRC32:
        put_be(out, crc32_update(0, data, len), 4);
        return 4;
    case CHECKSUM_CRC32C:
        put_be(out, crc32c_update(0, data, len), 4);
        return 4;
    case CHECKSUM_CRC64NVME:
        put_be(out, crc64nvme_update(0, data, len), 8);
        return 8;
    default:
        pthread_once(&md_once, md_fetch);
        if (!EVP_Digest(data, len, out, NULL, md_algorithms[i], NULL))
            abort();
        return algorithms[i].length;
    }
}
