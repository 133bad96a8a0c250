#ifndef SLIPWAY_SERVICES_STS_TRUST_H
#define SLIPWAY_SERVICES_STS_TRUST_H

#include "aws/principal.h"

/* What a trust policy is asked about. Strings are borrowed for the call. */
struct sts_trust_request {
    const struct principal *caller;
    const char *action;       /* "sts:AssumeRole" */
    const char *external_id;  /* the request's ExternalId, NULL when it has none */
    const char *session_name; /* RoleSessionName */
};

/*
 * A role's trust policy (AssumeRolePolicyDocument) asked whether it lets
 * the caller perform the action on the role.
 *
 * What is evaluated: Effect, Action / NotAction (with * and ? wildcards,
 * case-insensitive), Principal "*" or {"AWS": ...} naming "*", the caller's
 * account ("000000000000" or "arn:aws:iam::000000000000:root"), the
 * caller's ARN, or for a role session the role's ARN; and Condition blocks
 * with the operators StringEquals, StringNotEquals, StringEqualsIgnoreCase,
 * StringLike and StringNotLike over the keys sts:ExternalId,
 * sts:RoleSessionName, aws:PrincipalArn, aws:PrincipalAccount and
 * aws:PrincipalType. A condition slipway cannot evaluate (another operator
 * or key) is not met, so such a statement grants nothing rather than too
 * much. An explicit Deny wins over any Allow. Service and federated
 * principals never match a caller signing with access keys.
 */
bool sts_trust_allows(const char *trust_policy, const struct sts_trust_request *req);

#endif
