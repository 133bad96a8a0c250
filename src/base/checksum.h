#ifndef SLIPWAY_BASE_CHECKSUM_H
#define SLIPWAY_BASE_CHECKSUM_H

#include "base/common.h"
#include "base/buf.h"

/*
 * The checksums S3 computes over object data: the CRCs of its flexible
 * checksums (x-amz-checksum-crc32, -crc32c, -crc64nvme), SHA-1 and SHA-256
 * (x-amz-checksum-sha1, -sha256) and MD5 (Content-MD5 and the ETag).
 *
 * Objects stream through these at disk speed, so the CRCs are table-driven
 * (slicing-by-8) with faster paths chosen at run time on x86-64: CRC32C by
 * the SSE4.2 crc32 instruction, and all three by PCLMULQDQ folding when the
 * CPU has it. The portable versions stay callable for tests and benchmarks.
 */

/* One bit each, so a set of algorithms is an OR of them. */
enum checksum_algorithm {
    CHECKSUM_MD5 = 1 << 0,
    CHECKSUM_SHA1 = 1 << 1,
    CHECKSUM_SHA256 = 1 << 2,
    CHECKSUM_CRC32 = 1 << 3,
    CHECKSUM_CRC32C = 1 << 4,
    CHECKSUM_CRC64NVME = 1 << 5,
};

#define CHECKSUM_ALL                                                                               \
    (CHECKSUM_MD5 | CHECKSUM_SHA1 | CHECKSUM_SHA256 | CHECKSUM_CRC32 | CHECKSUM_CRC32C |           \
     CHECKSUM_CRC64NVME)
/* The longest digest (SHA-256), and the longest base64 form with its terminator. */
#define CHECKSUM_MAX_LEN    32
#define CHECKSUM_BASE64_MAX 45

/*
 * Incremental CRCs in the zlib convention: start with 0 and pass each
 * result back in with the next piece; the value after the last piece is the
 * checksum. The initial and final inversions are done inside, so
 * crc32_update(crc32_update(0, a, n), b, m) equals the CRC of a then b.
 *
 *   CRC32      IEEE 802.3, reflected polynomial 0xedb88320 (as zlib's crc32)
 *   CRC32C     Castagnoli, reflected polynomial 0x82f63b78 (iSCSI, ext4)
 *   CRC64NVME  reflected polynomial 0x9a6c9329ac4bc9b5 (0xad93d23594c93659
 *              unreflected), initial value and final XOR all ones
 *              (CRC-64/NVME, the one S3 added)
 */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);
uint32_t crc32c_update(uint32_t crc, const void *data, size_t len);
uint64_t crc64nvme_update(uint64_t crc, const void *data, size_t len);

/* The same by the portable slicing-by-8 tables only, for tests and benchmarks. */
uint32_t crc32_update_portable(uint32_t crc, const void *data, size_t len);
uint32_t crc32c_update_portable(uint32_t crc, const void *data, size_t len);
uint64_t crc64nvme_update_portable(uint64_t crc, const void *data, size_t len);

/* The accelerated paths this CPU takes, for logs and benchmarks: "pclmul sse4.2" or "none". */
const char *checksum_accel(void);

/*
 * The name S3 uses for an algorithm in x-amz-checksum-algorithm and
 * x-amz-sdk-checksum-algorithm ("CRC32", "CRC32C", "CRC64NVME", "SHA1",
 * "SHA256"; "MD5" for MD5, which S3 does not accept there).
 */
const char *checksum_name(enum checksum_algorithm algorithm);
/* The header that carries it: "x-amz-checksum-crc32" ...; NULL for MD5. */
const char *checksum_header(enum checksum_algorithm algorithm);
/* The algorithm an S3 name designates, either case; 0 or ERR_INVALID. */
int checksum_from_name(enum checksum_algorithm *out, const char *name, size_t len);
/* Raw digest length: 4 (CRC32, CRC32C), 8 (CRC64NVME), 16, 20 or 32. */
size_t checksum_length(enum checksum_algorithm algorithm);

/*
 * One stream of bytes fed to several checksums at once. The digest state is
 * owned by the set: create with checksum_set_new(), free with
 * checksum_set_free(), which accepts NULL.
 *
 *     struct checksum_set *set = checksum_set_new(CHECKSUM_MD5 | CHECKSUM_CRC32);
 *     checksum_set_update(set, data, len);   ... as often as needed
 *     checksum_set_finish(set);
 *     checksum_set_base64(&b64, set, CHECKSUM_CRC32);
 *
 * The results are the raw digests with the CRCs in big-endian byte order,
 * which is what S3 base64-encodes ("123456789" -> CRC32 cbf43926 ->
 * "y/Q5Jg==").
 */
struct checksum_set;

/* `algorithms` is an OR of enum checksum_algorithm; 0 makes a set that computes nothing. */
struct checksum_set *checksum_set_new(unsigned algorithms);
void checksum_set_free(struct checksum_set *set);
/* The algorithms the set computes. */
unsigned checksum_set_algorithms(const struct checksum_set *set);
/* Feed the next piece; must not be called after checksum_set_finish(). */
void checksum_set_update(struct checksum_set *set, const void *data, size_t len);
/* Complete every digest. Calling it again does nothing. */
void checksum_set_finish(struct checksum_set *set);
/* Start over with the same algorithms, as if new. */
void checksum_set_reset(struct checksum_set *set);
/*
 * After checksum_set_finish(): the raw digest of one algorithm into `out`,
 * which has room for checksum_length(algorithm) bytes (CHECKSUM_MAX_LEN
 * always suffices), and its length; 0, with `out` untouched, when the set
 * does not compute it or is not finished.
 */
size_t checksum_set_digest(const struct checksum_set *set, enum checksum_algorithm algorithm,
                           uint8_t *out);
/*
 * The same in S3's base64 form, appended to `out`. Returns 0, or
 * ERR_INVALID (with `out` untouched) when the set does not compute it or is
 * not finished.
 */
int checksum_set_base64(struct buf *out, const struct checksum_set *set,
                        enum checksum_algorithm algorithm);

/* One-shot: the raw digest of `data` into `out` (sized as above); returns its length, 0 for no
 * single algorithm. */
size_t checksum_compute(uint8_t *out, enum checksum_algorithm algorithm, const void *data,
                        size_t len);

#endif
