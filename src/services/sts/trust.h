#ifndef SLIPWAY_SERVICES_STS_TRUST_H
#define SLIPWAY_SERVICES_STS_TRUST_H

#include "aws/principal.h"

/*
 * A role's trust policy (AssumeRolePolicyDocument) asked whether it lets
 * `caller` perform `action` ("sts:AssumeRole") on the role.
 *
 * What is evaluated: Effect, Action / NotAction (with * and ? wildcards,
 * case-insensitive) and Principal "*" or {"AWS": ...} naming "*", the
 * caller's account ("000000000000" or "arn:aws:iam::000000000000:root"),
 * the caller's ARN, or for a role session the role's ARN. An explicit Deny
 * wins over any Allow. Conditions are not evaluated yet: a statement with
 * a Condition neither allows nor denies, so a conditional trust grants
 * nothing rather than too much. Service and federated principals never
 * match a caller signing with access keys.
 */
bool sts_trust_allows(const char *trust_policy, const struct principal *caller, const char *action);

#endif
