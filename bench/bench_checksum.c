/*
 * Throughput of the checksums S3 object data streams through: each CRC by
 * the path this CPU takes and by the portable tables, the OpenSSL digests,
 * and a checksum_set computing all six at once, over a 256 MB buffer fed in
 * 1 MB pieces (the size botocore's aws-chunked uploads use). The figure is
 * the best of three runs, in MB/s (10^6 bytes per second).
 *
 *   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=RelWithDebInfo
 *   cmake --build build-rel --target bench_checksum && build-rel/bench_checksum
 */
#include "base/common.h"

#include "base/checksum.h"
#include "base/clock.h"

#define BUFFER_SIZE (256u * 1024 * 1024)
#define PIECE       (1024u * 1024)
#define RUNS        3

static volatile uint64_t sink;

typedef void bench_fn(const uint8_t *data, size_t len);

static void run_crc32(const uint8_t *data, size_t len)
{
    uint32_t c = 0;
    for (size_t off = 0; off < len; off += PIECE)
        c = crc32_update(c, data + off, PIECE);
    sink = c;
}

static void run_crc32_portable(const uint8_t *data, size_t len)
{
    uint32_t c = 0;
    for (size_t off = 0; off < len; off += PIECE)
        c = crc32_update_portable(c, data + off, PIECE);
    sink = c;
}

static void run_crc32c(const uint8_t *data, size_t len)
{
    uint32_t c = 0;
    for (size_t off = 0; off < len; off += PIECE)
        c = crc32c_update(c, data + off, PIECE);
    sink = c;
}

static void run_crc32c_portable(const uint8_t *data, size_t len)
{
    uint32_t c = 0;
    for (size_t off = 0; off < len; off += PIECE)
        c = crc32c_update_portable(c, data + off, PIECE);
    sink = c;
}

static void run_crc64nvme(const uint8_t *data, size_t len)
{
    uint64_t c = 0;
    for (size_t off = 0; off < len; off += PIECE)
        c = crc64nvme_update(c, data + off, PIECE);
    sink = c;
}

static void run_crc64nvme_portable(const uint8_t *data, size_t len)
{
    uint64_t c = 0;
    for (size_t off = 0; off < len; off += PIECE)
        c = crc64nvme_update_portable(c, data + off, PIECE);
    sink = c;
}

static void run_set(unsigned algorithms, const uint8_t *data, size_t len)
{
    struct checksum_set *set = checksum_set_new(algorithms);
    uint8_t digest[CHECKSUM_MAX_LEN];
    for (size_t off = 0; off < len; off += PIECE)
        checksum_set_update(set, data + off, PIECE);
    checksum_set_finish(set);
    sink = checksum_set_digest(set, (enum checksum_algorithm)(algorithms & -algorithms), digest);
    checksum_set_free(set);
}

static void run_md5(const uint8_t *data, size_t len)
{
    run_set(CHECKSUM_MD5, data, len);
}

static void run_sha1(const uint8_t *data, size_t len)
{
    run_set(CHECKSUM_SHA1, data, len);
}

static void run_sha256(const uint8_t *data, size_t len)
{
    run_set(CHECKSUM_SHA256, data, len);
}

static void run_md5_crc64nvme(const uint8_t *data, size_t len)
{
    run_set(CHECKSUM_MD5 | CHECKSUM_CRC64NVME, data, len);
}

static void run_all(const uint8_t *data, size_t len)
{
    run_set(CHECKSUM_ALL, data, len);
}

int main(void)
{
    static const struct {
        const char *name;
        bench_fn *fn;
    } cases[] = {
        {"CRC32", run_crc32},
        {"CRC32 (tables)", run_crc32_portable},
        {"CRC32C", run_crc32c},
        {"CRC32C (tables)", run_crc32c_portable},
        {"CRC64NVME", run_crc64nvme},
        {"CRC64NVME (tables)", run_crc64nvme_portable},
        {"MD5", run_md5},
        {"SHA1", run_sha1},
        {"SHA256", run_sha256},
        {"set: MD5 + CRC64NVME", run_md5_crc64nvme},
        {"set: all six", run_all},
    };
    uint8_t *data = malloc(BUFFER_SIZE);
    if (!data)
        abort();
    uint64_t x = 0x243f6a8885a308d3;
    for (size_t i = 0; i < BUFFER_SIZE; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        data[i] = (uint8_t)(x >> 56);
    }

    printf("checksum throughput over %u MB in %u KB pieces, best of %d (accelerated: %s)\n",
           BUFFER_SIZE >> 20, PIECE >> 10, RUNS, checksum_accel());
    printf("| algorithm | MB/s |\n|---|---|\n");
    for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
        int64_t best = INT64_MAX;
        for (int run = 0; run < RUNS; run++) {
            int64_t start = clock_mono_ns();
            cases[c].fn(data, BUFFER_SIZE);
            int64_t ns = clock_mono_ns() - start;
            if (ns < best)
                best = ns;
        }
        printf("| %-22s | %8.0f |\n", cases[c].name, (double)BUFFER_SIZE * 1e3 / (double)best);
    }
    free(data);
    return 0;
}
