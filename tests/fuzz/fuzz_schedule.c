/*
 * libFuzzer target for EventBridge schedule expressions
 * (src/services/events/schedule.c). The input is the expression; its first
 * bytes (when there are at least 8 after a NUL) give the start time. Beyond
 * not crashing or leaking: a refused expression gets PutRule's message, and
 * the firings of an accepted one strictly increase and land on whole
 * minutes (cron) or on the origin's grid (rate).
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/events/schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The model's limit on ScheduleExpression, with room for refusals past it. */
#define FUZZ_TEXT_MAX 512
#define FUZZ_FIRINGS  6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t text_len = nul ? (size_t)(nul - data) : size;
    if (text_len > FUZZ_TEXT_MAX)
        return 0;
    char text[FUZZ_TEXT_MAX + 1];
    memcpy(text, data, text_len);
    text[text_len] = '\0';

    /* 2024-01-01T00:00:00Z plus up to ~2^40 ms (about 35 years) either way. */
    int64_t after = 1704067200000LL;
    if (nul && size - text_len - 1 >= 8) {
        uint64_t raw;
        memcpy(&raw, nul + 1, sizeof(raw));
        after += (int64_t)(raw % (UINT64_C(1) << 41)) - (INT64_C(1) << 40);
    }
    int64_t origin = after - 12345;

    struct schedule *s = NULL;
    struct buf message = BUF_INIT;
    int rc = schedule_parse(&s, &message, text);
    if (rc < 0) {
        if (rc != ERR_INVALID || s ||
            strcmp(message.data, "Parameter ScheduleExpression is not valid."))
            abort();
        buf_release(&message);
        return 0;
    }
    bool is_rate = strncmp(text, "rate(", 5) == 0;
    int64_t at = after;
    for (int i = 0; i < FUZZ_FIRINGS; i++) {
        int64_t next = schedule_next(s, origin, at);
        if (next == -1)
            break;
        if (next <= at)
            abort();
        if (!is_rate && next % 60000 != 0)
            abort();
        if (is_rate && (next - origin) % 60000 != 0)
            abort();
        at = next;
    }
    schedule_free(s);
    buf_release(&message);
    return 0;
}
