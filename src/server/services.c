#include "base/common.h"
#include "server/services.h"
#include "services/cloudtrail/cloudtrail.h"
#include "services/codecommit/codecommit.h"
#include "services/events/events.h"
#include "services/iam/iam.h"
#include "services/logs/logs.h"
#include "services/s3/s3.h"
#include "services/secretsmanager/secretsmanager.h"
#include "services/ssm/ssm.h"
#include "services/sts/sts.h"

static const struct api_service *const services[] = {
    &cloudtrail_api_service, &codecommit_api_service, &events_api_service,         &iam_api_service,
    &logs_api_service,       &s3_api_service,         &secretsmanager_api_service, &ssm_api_service,
    &sts_api_service,
};

const struct api_service *services_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(services); i++)
        if (strcmp(services[i]->name, name) == 0)
            return services[i];
    return NULL;
}

const struct api_operation *services_operation(const struct api_service *svc, const char *operation)
{
    if (!svc)
        return NULL;
    size_t lo = 0, hi = svc->operation_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(svc->operations[mid].name, operation);
        if (c == 0)
            return &svc->operations[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
