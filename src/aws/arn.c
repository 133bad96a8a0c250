#include "base/common.h"
#include "aws/arn.h"
#include "base/err.h"

void arn_format(struct buf *out, const char *service, const char *region, const char *account,
                const char *resource)
{
    buf_addf(out, "arn:%s:%s:%s:%s:%s", ARN_PARTITION, service, region ? region : "",
             account ? account : "", resource);
}

static int copy_field(char *dst, size_t size, const char *start, const char *end, const char *what,
                      const char *s)
{
    size_t n = (size_t)(end - start);
    if (n >= size)
        return err_set(ERR_INVALID, "'%s' is not a valid ARN: %s is too long", s, what);
    memcpy(dst, start, n);
    dst[n] = '\0';
    return 0;
}

int arn_parse(struct arn *out, const char *s)
{
    struct arn a;
    const char *p = s;
    if (strncmp(p, "arn:", 4) != 0)
        return err_set(ERR_INVALID, "'%s' is not a valid ARN: it must start with 'arn:'", s);
    p += 4;
    char *fields[] = {a.partition, a.service, a.region, a.account};
    size_t sizes[] = {sizeof(a.partition), sizeof(a.service), sizeof(a.region), sizeof(a.account)};
    const char *names[] = {"the partition", "the service", "the region", "the account"};
    for (int i = 0; i < 4; i++) {
        const char *colon = strchr(p, ':');
        if (!colon)
            return err_set(ERR_INVALID, "'%s' is not a valid ARN: it has too few parts", s);
        int rc = copy_field(fields[i], sizes[i], p, colon, names[i], s);
        if (rc < 0)
            return rc;
        p = colon + 1;
    }
    if (!a.partition[0] || !a.service[0] || !*p)
        return err_set(ERR_INVALID, "'%s' is not a valid ARN", s);
    a.resource = p;
    *out = a;
    return 0;
}
