#include "base/common.h"
#include "services/iam/iam.h"
#include "aws/arn.h"
#include "aws/policy.h"
#include "base/err.h"

/*
 * iam:PassRole, as the services that take a role check it when a project,
 * pipeline, deployment group or rule is created with one: the caller must
 * be allowed iam:PassRole on the role (with iam:PassedToService naming the
 * service), and the role's trust policy must let the service assume it.
 */

/* Whether `service` ("codebuild.amazonaws.com") may assume the role. */
static int trust_allows_service(bool *out, const struct iam_role_trust *trust, const char *service,
                                int64_t now_ms)
{
    struct policy_options opts = {.kind = POLICY_KIND_TRUST};
    struct policy *p;
    int rc = policy_compile(&p, trust->document, strlen(trust->document), &opts);
    if (rc < 0)
        return rc;
    struct policy_request req = {
        .principal = {.type = POLICY_PRINCIPAL_SERVICE, .arn = service, .service = service},
        .action = "sts:AssumeRole",
        .resource = trust->role_arn,
        .now_ms = now_ms,
    };
    struct policy_set set = {.resource = p};
    struct policy_result result;
    rc = policy_evaluate(&result, &set, &req);
    policy_free(p);
    if (rc < 0)
        return rc;
    *out = result.decision == POLICY_ALLOW;
    return 0;
}

int iam_pass_role(struct api_call *call, const char *role_arn, const char *service)
{
    struct arn arn;
    if (arn_parse(&arn, role_arn) < 0 || strcmp(arn.service, "iam") != 0 ||
        strncmp(arn.resource, "role/", 5) != 0)
        return err_set(ERR_INVALID, "'%s' is not a role ARN", role_arn);
    const char *name = strrchr(arn.resource, '/') + 1;
    struct iam_role_trust trust;
    int rc = iam_role_trust_policy(&trust, call->store, arn.account, name);
    if (rc == 0 && strcasecmp(trust.role_arn, role_arn) != 0) {
        iam_role_trust_release(&trust);
        rc = ERR_NOT_FOUND;
    }
    if (rc == ERR_NOT_FOUND)
        return err_set(ERR_NOT_FOUND, "the role '%s' does not exist", role_arn);
    if (rc < 0)
        return rc;

    struct api_condition passed = {"iam:PassedToService", service};
    struct api_authz authz = {
        .action = "iam:PassRole",
        .resource = trust.role_arn,
        .resource_account = strcmp(arn.account, call->account_id) != 0 ? arn.account : NULL,
        .conditions = &passed,
        .condition_count = 1,
    };
    if ((rc = api_authorize_request(call, &authz)) < 0) {
        iam_role_trust_release(&trust);
        return rc;
    }
    bool trusted = false;
    rc = trust_allows_service(&trusted, &trust, service, call->now_ms);
    if (rc == 0 && !trusted)
        rc = err_set(ERR_DENIED, "%s is not authorized to perform: sts:AssumeRole on resource: %s",
                     service, trust.role_arn);
    iam_role_trust_release(&trust);
    return rc;
}
