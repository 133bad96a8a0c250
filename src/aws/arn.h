#ifndef SLIPWAY_AWS_ARN_H
#define SLIPWAY_AWS_ARN_H

#include "base/buf.h"

/*
 * ARNs: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE. slipway's partition
 * is always "aws", so ARNs copied to or from AWS read the same.
 */

#define ARN_PARTITION "aws"

/* Appends "arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE" (region may be ""). */
void arn_format(struct buf *out, const char *service, const char *region, const char *account,
                const char *resource);

struct arn {
    char partition[16];
    char service[64];
    char region[32];
    char account[16];
    const char *resource; /* points into the parsed string */
};

/* Splits an ARN; ERR_INVALID with a message when it is not one. */
int arn_parse(struct arn *out, const char *s);

#endif
