#include "base/common.h"
#include "aws/model.h"

/* Lookups over the services compiled into the binary (gen/models_gen.c). */

const struct model_service *model_service_find(const char *name)
{
    for (size_t i = 0; i < model_service_count; i++)
        if (strcmp(model_services[i]->name, name) == 0)
            return model_services[i];
    return NULL;
}

const struct model_service *model_service_by_target_prefix(const char *prefix, size_t len)
{
    for (size_t i = 0; i < model_service_count; i++) {
        const char *tp = model_services[i]->target_prefix;
        if (tp && strlen(tp) == len && memcmp(tp, prefix, len) == 0)
            return model_services[i];
    }
    return NULL;
}

const struct model_service *model_service_by_signing_name(const char *name, size_t len)
{
    for (size_t i = 0; i < model_service_count; i++) {
        const char *sn = model_services[i]->signing_name;
        if (sn && strlen(sn) == len && memcmp(sn, name, len) == 0)
            return model_services[i];
    }
    return NULL;
}
