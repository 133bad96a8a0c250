/*
 * The cost of one authorization: a role session with 50 attached policies
 * of 5 statements each (wildcard actions and ARNs, conditions on region,
 * tags, addresses, time and transport, policy variables, Deny statements
 * that almost apply) asks to start a build. The budget is 20 us
 * per authorized call; the figure printed is the median of several runs.
 *
 *   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=RelWithDebInfo
 *   cmake --build build-rel --target bench_policy && build-rel/bench_policy
 */
#include "base/common.h"

#include "aws/policy.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"

#define POLICIES   50
#define RUNS       15
#define ITERATIONS 20000
#define BUDGET_NS  20000

static const char *const services[] = {
    "codeartifact", "codebuild",  "codepipeline", "codecommit", "codedeploy",
    "logs",         "events",     "sns",          "sqs",        "secretsmanager",
    "ssm",          "cloudwatch", "dynamodb",     "ec2",        "kms",
};

/* Policy i: five statements about one service, shaped like real ones. */
static void policy_text(struct buf *out, int i)
{
    const char *svc = services[i % (int)ARRAY_SIZE(services)];
    buf_reset(out);
    buf_addf(out, "{\"Version\":\"2012-10-17\",\"Statement\":[");
    buf_addf(out,
             "{\"Sid\":\"Read%d\",\"Effect\":\"Allow\",\"Action\":[\"%s:Get*\",\"%s:List*\","
             "\"%s:Describe*\",\"%s:BatchGet*\"],\"Resource\":\"arn:aws:%s:*:111122223333:*\"},",
             i, svc, svc, svc, svc, svc);
    buf_addf(
        out,
        "{\"Sid\":\"Write%d\",\"Effect\":\"Allow\",\"Action\":[\"%s:Create*\",\"%s:Update*\","
        "\"%s:Start*\",\"%s:Put*\"],\"Resource\":[\"arn:aws:%s:us-east-1:111122223333:project/app-%d-*\","
        "\"arn:aws:%s:eu-west-1:111122223333:project/app-%d-*\"],\"Condition\":{"
        "\"StringEquals\":{\"aws:RequestedRegion\":[\"us-east-1\",\"eu-west-1\"]},"
        "\"StringLike\":{\"aws:PrincipalTag/team\":\"team-*\"}}},",
        i, svc, svc, svc, svc, svc, i, svc, i);
    buf_addf(out,
             "{\"Sid\":\"NoProdDelete%d\",\"Effect\":\"Deny\",\"Action\":\"%s:Delete*\","
             "\"Resource\":\"arn:aws:%s:*:*:*prod*\",\"Condition\":{\"NotIpAddress\":"
             "{\"aws:SourceIp\":[\"10.0.0.0/8\",\"2001:db8::/32\"]}}},",
             i, svc, svc);
    buf_addf(
        out,
        "{\"Sid\":\"Tags%d\",\"Effect\":\"Allow\",\"Action\":[\"%s:TagResource\",\"%s:UntagResource\"],"
        "\"Resource\":\"*\",\"Condition\":{\"ForAllValues:StringEquals\":{\"aws:TagKeys\":"
        "[\"team\",\"cost-center\",\"env\"]},\"StringEqualsIfExists\":{\"aws:RequestTag/env\":"
        "[\"dev\",\"prod\"]}}},",
        i, svc, svc);
    if (i == 0)
        /* the classic region guard: NotAction makes it apply to every call */
        buf_addf(out,
                 "{\"Sid\":\"RegionGuard\",\"Effect\":\"Deny\",\"NotAction\":[\"iam:*\",\"sts:*\","
                 "\"cloudfront:*\"],\"Resource\":\"*\",\"Condition\":{\"StringNotEquals\":"
                 "{\"aws:RequestedRegion\":[\"us-east-1\",\"eu-west-1\"]}}}]}");
    else
        buf_addf(out,
                 "{\"Sid\":\"Team%d\",\"Effect\":\"Allow\",\"Action\":\"%s:*\",\"Resource\":"
                 "\"arn:aws:%s:us-east-1:111122223333:project/${aws:PrincipalTag/team}-*\","
                 "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"true\"},"
                 "\"DateLessThan\":{\"aws:CurrentTime\":\"2030-01-01T00:00:00Z\"}}}]}",
                 i, svc, svc);
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Median nanoseconds per evaluation of `req`; -1 if its decision is not `want`. */
static int64_t measure(const struct policy_set *set, const struct policy_request *req,
                       enum policy_decision want)
{
    int64_t runs[RUNS];
    struct policy_result result;
    for (int r = 0; r < RUNS; r++) {
        int64_t start = clock_mono_ns();
        for (int i = 0; i < ITERATIONS; i++) {
            if (policy_evaluate(&result, set, req) != 0 || result.decision != want)
                return -1;
        }
        runs[r] = (clock_mono_ns() - start) / ITERATIONS;
    }
    qsort(runs, RUNS, sizeof(runs[0]), compare_i64);
    return runs[RUNS / 2];
}

int main(void)
{
    struct policy *policies[POLICIES];
    struct policy_options opts = {.kind = POLICY_KIND_IDENTITY, .size_max = 6144};
    struct buf text = BUF_INIT;
    size_t statements = 0;

    int64_t start = clock_mono_ns();
    for (int i = 0; i < POLICIES; i++) {
        policy_text(&text, i);
        if (policy_compile(&policies[i], text.data, text.len, &opts) != 0) {
            fprintf(stderr, "bench_policy: policy %d: %s\n", i, err_msg());
            return 1;
        }
        statements += policy_statement_count(policies[i]);
    }
    int64_t compile_ns = (clock_mono_ns() - start) / POLICIES;
    buf_release(&text);

    struct policy_context ctx;
    policy_context_init(&ctx);
    static const char *const context[][2] = {
        {"aws:RequestedRegion", "us-east-1"},
        {"aws:SourceIp", "10.20.30.40"},
        {"aws:SecureTransport", "true"},
        {"aws:PrincipalTag/team", "team-web"},
        {"aws:PrincipalTag/cost-center", "cc-1234"},
        {"aws:MultiFactorAuthPresent", "false"},
        {"aws:TokenIssueTime", "2026-11-22T09:00:00Z"},
        {"aws:UserAgent", "aws-cli/2.15.0 Python/3.11 Linux/6.1"},
        {"aws:SourceVpc", "vpc-0abc"},
        {"aws:ViaAWSService", "false"},
        {"aws:CalledVia", "codepipeline.amazonaws.com"},
        {"codebuild:source.location", "https://git.example.com/web.git"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(context); i++)
        policy_context_add(&ctx, context[i][0], context[i][1]);

    struct policy_request req = {
        .principal =
            {
                .type = POLICY_PRINCIPAL_ASSUMED_ROLE,
                .arn = "arn:aws:sts::111122223333:assumed-role/builder/ci-42",
                .account = "111122223333",
                .user_id = "AROAEXAMPLEBUILDER001:ci-42",
                .parent_arn = "arn:aws:iam::111122223333:role/service/builder",
            },
        .action = "codebuild:StartBuild",
        .resource = "arn:aws:codebuild:us-east-1:111122223333:project/team-web-api",
        .now_ms = INT64_C(1795338000000),
        .context = &ctx,
    };
    struct policy_set set = {.identity = (const struct policy *const *)policies,
                             .identity_count = POLICIES};

    int64_t allowed = measure(&set, &req, POLICY_ALLOW);
    /* another team's project: nothing allows it, every statement is still tried */
    req.action = "codebuild:DeleteProject";
    req.resource = "arn:aws:codebuild:us-east-1:111122223333:project/team-data-prod";
    int64_t denied = measure(&set, &req, POLICY_IMPLICIT_DENY);
    if (allowed < 0 || denied < 0) {
        fprintf(stderr, "bench_policy: the %s request was not decided as expected\n",
                allowed < 0 ? "allowed" : "denied");
        return 1;
    }
    printf("policy_eval: %d policies, %" PRId64 " ns per authorized call (median of %d runs)\n",
           POLICIES, allowed, RUNS);
    printf("policy_eval: %d policies, %" PRId64 " ns per denied call (median of %d runs)\n",
           POLICIES, denied, RUNS);
    printf("policy_eval: %zu statements; budget %d ns per call: %s\n", statements, BUDGET_NS,
           allowed <= BUDGET_NS ? "within" : "OVER");
    printf("policy_compile: %" PRId64 " ns per policy of 5 statements\n", compile_ns);
    for (int i = 0; i < POLICIES; i++)
        policy_free(policies[i]);
    return allowed <= BUDGET_NS ? 0 : 1;
}
