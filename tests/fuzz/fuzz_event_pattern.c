/*
 * libFuzzer target for EventBridge event patterns
 * (src/services/events/pattern.c). The input is a pattern, a NUL byte,
 * then an event; when the pattern compiles it is matched, twice, and the
 * answers must agree. A refused pattern must carry AWS's message prefix.
 */
#include "base/common.h"
#include "base/buf.h"
#include "services/events/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *input = (const char *)data;
    const char *nul = memchr(input, '\0', size);
    size_t pattern_len = nul ? (size_t)(nul - input) : size;
    const char *event_text = nul ? nul + 1 : "{}";
    size_t event_len = nul ? size - pattern_len - 1 : 2;
    if (pattern_len > 4096)
        return 0;

    struct event_pattern *p = NULL;
    struct buf msg = BUF_INIT;
    if (event_pattern_compile(&p, &msg, input, pattern_len) < 0) {
        if (!msg.data || strncmp(msg.data, "Event pattern is not valid. Reason: ", 36))
            abort();
        buf_release(&msg);
        return 0;
    }
    buf_release(&msg);
    json_t *event = json_loadb(event_text, event_len, JSON_DECODE_INT_AS_REAL, NULL);
    if (event) {
        bool first = event_pattern_match(p, event);
        if (first != event_pattern_match(p, event))
            abort();
        json_decref(event);
    }
    event_pattern_free(p);
    return 0;
}
