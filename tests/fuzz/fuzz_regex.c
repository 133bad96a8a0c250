/*
 * libFuzzer target for the regex engine (src/base/regex.c). The input is a
 * pattern, a NUL byte, then the text to match. Beyond not crashing and not
 * running away, two invariants are checked: matching is deterministic, and
 * the single-class fast path agrees with the Pike VM, since "(?:P)(?:)"
 * means the same as P but never takes the fast path.
 */
#include "base/common.h"
#include "base/regex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps each run short: the VM costs text length x program size. */
#define FUZZ_TEXT_MAX 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *input = (const char *)data;
    const char *nul = memchr(input, '\0', size);
    size_t pattern_len = nul ? (size_t)(nul - input) : size;
    const char *text = nul ? nul + 1 : "";
    size_t text_len = nul ? size - pattern_len - 1 : 0;
    if (text_len > FUZZ_TEXT_MAX)
        text_len = FUZZ_TEXT_MAX;

    struct regex *re = NULL;
    if (regex_compile(&re, input, pattern_len) < 0)
        return 0;
    bool first = false, again = false;
    int rc = regex_match(&first, re, text, text_len);
    if (regex_match(&again, re, text, text_len) != rc || (rc == 0 && first != again))
        abort();
    regex_free(re);

    /* \Q would swallow the wrapper's closing parenthesis */
    if (rc < 0 || memmem(input, pattern_len, "\\Q", 2))
        return 0;
    char *wrapped = malloc(pattern_len + 8);
    if (!wrapped)
        abort();
    memcpy(wrapped, "(?:", 3);
    memcpy(wrapped + 3, input, pattern_len);
    memcpy(wrapped + 3 + pattern_len, ")(?:)", 5);
    struct regex *vm = NULL;
    if (regex_compile(&vm, wrapped, pattern_len + 8) == 0) {
        bool other = false;
        if (regex_match(&other, vm, text, text_len) == 0 && other != first) {
            fprintf(stderr, "fast path and VM disagree on '%.*s'\n", (int)pattern_len, input);
            abort();
        }
        regex_free(vm);
    }
    free(wrapped);
    return 0;
}
