/*
 * libFuzzer target for CloudWatch Logs filter patterns
 * (src/services/logs/filter_pattern.c). The input is a pattern, a NUL
 * byte, then an event to match it against. Beyond not crashing or leaking,
 * matching must be deterministic and extraction must agree with matching.
 */
#include "base/common.h"
#include "services/logs/filter_pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps each run short: events up to AWS's size are fine, but slow to fuzz. */
#define FUZZ_EVENT_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *input = (const char *)data;
    const char *nul = memchr(input, '\0', size);
    size_t pattern_len = nul ? (size_t)(nul - input) : size;
    const char *event = nul ? nul + 1 : "";
    size_t event_len = nul ? size - pattern_len - 1 : 0;
    if (event_len > FUZZ_EVENT_MAX)
        event_len = FUZZ_EVENT_MAX;

    struct filter_pattern *p = NULL;
    if (filter_pattern_parse(&p, input, pattern_len) < 0)
        return 0;
    bool first = filter_pattern_match(p, event, event_len);
    bool again = filter_pattern_match(p, event, event_len);
    json_t *extracted = json_object();
    bool extract = filter_pattern_match_extract(p, event, event_len, extracted);
    if (first != again || first != extract || (!first && json_object_size(extracted)))
        abort();
    json_decref(extracted);
    filter_pattern_free(p);
    return 0;
}
