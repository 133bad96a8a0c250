/*
 * libFuzzer target for the JSONPath check of PutTargets' InputPath and
 * InputPathsMap (src/services/events/targets.c). Beyond not crashing: an
 * accepted path starts with '$', and the answer is the same twice.
 */
#include "base/common.h"
#include "base/alloc.h"
#include "services/events/events_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 512)
        return 0;
    char *path = xmalloc(size + 1);
    memcpy(path, data, size);
    path[size] = 0;
    bool valid = events_json_path_valid(path);
    if (valid != events_json_path_valid(path) || (valid && path[0] != '$'))
        abort();
    free(path);
    return 0;
}
