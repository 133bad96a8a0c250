#include "base/common.h"
#include "base/ids.h"
#include "base/crypto.h"

void uuid_v4(char out[UUID_TEXT_LEN])
{
    uint8_t b[16];
    random_bytes(b, sizeof(b));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    char hex[33];
    hex_encode(hex, b, sizeof(b));
    snprintf(out, UUID_TEXT_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
             hex + 20);
}

static void random_from(char *out, size_t n, const char *alphabet, size_t alphabet_len)
{
    uint8_t r[64];
    while (n > 0) {
        size_t chunk = n < sizeof(r) ? n : sizeof(r);
        random_bytes(r, chunk);
        for (size_t i = 0; i < chunk; i++) {
            /* Rejection sampling keeps the distribution uniform. */
            if (r[i] >= 256 - 256 % alphabet_len)
                continue;
            *out++ = alphabet[r[i] % alphabet_len];
            n--;
        }
    }
}

void aws_id(char *out, const char *prefix, size_t total_len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    size_t plen = strlen(prefix);
    memcpy(out, prefix, plen);
    random_from(out + plen, total_len - plen, alphabet, 32);
    out[total_len] = '\0';
}

void aws_secret_key(char out[SECRET_KEY_LEN + 1])
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    random_from(out, SECRET_KEY_LEN, alphabet, 64);
    out[SECRET_KEY_LEN] = '\0';
}
