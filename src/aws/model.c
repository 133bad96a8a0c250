#include "base/common.h"
#include "aws/model.h"

const struct model_operation *model_operation_find(const struct model_service *svc,
                                                   const char *name, size_t len)
{
    /* A name with a NUL in it (from untrusted input) names nothing. */
    if (memchr(name, '\0', len))
        return NULL;
    size_t lo = 0, hi = svc->operation_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *cand = svc->operations[mid].name;
        int c = strncmp(cand, name, len);
        if (c == 0 && cand[len] != '\0')
            c = 1;
        if (c == 0)
            return &svc->operations[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct model_shape *model_shape_find(const struct model_service *svc, const char *name)
{
    size_t lo = 0, hi = svc->shape_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(svc->shapes[mid].name, name);
        if (c == 0)
            return &svc->shapes[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct model_member *model_member_find(const struct model_shape *shape, const char *name,
                                             size_t len)
{
    if (memchr(name, '\0', len))
        return NULL;
    for (uint32_t i = 0; i < shape->member_count; i++) {
        const char *cand = shape->members[i].name;
        if (strncmp(cand, name, len) == 0 && cand[len] == '\0')
            return &shape->members[i];
    }
    return NULL;
}

const char *shape_type_name(enum shape_type type)
{
    static const char *const names[] = {
        [SHAPE_STRUCTURE] = "structure",
        [SHAPE_LIST] = "list",
        [SHAPE_MAP] = "map",
        [SHAPE_STRING] = "string",
        [SHAPE_BOOLEAN] = "boolean",
        [SHAPE_INTEGER] = "integer",
        [SHAPE_LONG] = "long",
        [SHAPE_FLOAT] = "float",
        [SHAPE_DOUBLE] = "double",
        [SHAPE_BIGINTEGER] = "bigInteger",
        [SHAPE_BIGDECIMAL] = "bigDecimal",
        [SHAPE_TIMESTAMP] = "timestamp",
        [SHAPE_BLOB] = "blob",
    };
    if ((size_t)type >= ARRAY_SIZE(names))
        return "unknown";
    return names[type];
}
