/*
 * libFuzzer target for policy documents (src/aws/policy*.c): the input is
 * compiled as an identity, a resource and a trust policy, and whatever
 * compiles is evaluated against requests from every kind of principal. A
 * NUL byte, if present, ends the document; the rest is a request value
 * (resource ARN and context values), so the fuzzer reaches the matchers
 * with text of its choosing. Beyond not crashing, two invariants: a
 * failed compile leaves its output alone, and evaluation is deterministic.
 */
#include "base/common.h"

#include "aws/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps each run short; real policies are far smaller. */
#define FUZZ_DOCUMENT_MAX (32 * 1024)
#define FUZZ_VALUE_MAX    1024

static void evaluate_all(const struct policy *policy, const char *value)
{
    static const struct policy_principal principals[] = {
        {.type = POLICY_PRINCIPAL_USER,
         .arn = "arn:aws:iam::111122223333:user/alice",
         .account = "111122223333",
         .user_id = "AIDAEXAMPLE0000000001",
         .name = "alice"},
        {.type = POLICY_PRINCIPAL_ASSUMED_ROLE,
         .arn = "arn:aws:sts::111122223333:assumed-role/deploy/ci",
         .account = "111122223333",
         .user_id = "AROAEXAMPLE0000000001:ci",
         .parent_arn = "arn:aws:iam::111122223333:role/deploy"},
        {.type = POLICY_PRINCIPAL_ROOT,
         .arn = "arn:aws:iam::444455556666:root",
         .account = "444455556666",
         .user_id = "444455556666"},
        {.type = POLICY_PRINCIPAL_FEDERATED_USER,
         .arn = "arn:aws:sts::111122223333:federated-user/bob",
         .account = "111122223333",
         .parent_arn = "arn:aws:iam::111122223333:user/bob"},
        {.type = POLICY_PRINCIPAL_SERVICE, .service = "codebuild.amazonaws.com"},
        {.type = POLICY_PRINCIPAL_WEB_IDENTITY, .provider = "accounts.google.com"},
        {.type = POLICY_PRINCIPAL_ANONYMOUS},
    };
    static const char *const actions[] = {"s3:GetObject", "sts:AssumeRole", "iam:CreateAccessKey"};
    static const char *const keys[] = {"aws:SourceIp",
                                       "aws:CurrentTime",
                                       "aws:TagKeys",
                                       "aws:PrincipalTag/team",
                                       "s3:prefix",
                                       "aws:SourceArn",
                                       "aws:MultiFactorAuthPresent",
                                       "s3:max-keys"};
    struct policy_context *ctx = malloc(sizeof(*ctx));
    if (!ctx)
        abort();
    policy_context_init(ctx);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        policy_context_add(ctx, keys[i], value);
    policy_context_add(ctx, "aws:TagKeys", "");

    const struct policy *identity[] = {policy};
    for (size_t p = 0; p < sizeof(principals) / sizeof(principals[0]); p++) {
        for (size_t a = 0; a < sizeof(actions) / sizeof(actions[0]); a++) {
            struct policy_request req = {
                .principal = principals[p],
                .action = actions[a],
                .resource = value[0] ? value : "arn:aws:s3:::bucket/key",
                .resource_account = a == 1 ? "999999999999" : NULL,
                .now_ms = INT64_C(1600000000000),
                .context = ctx,
            };
            struct policy_set set = {0};
            if (policy_get_kind(policy) == POLICY_KIND_IDENTITY) {
                set.identity = identity;
                set.identity_count = 1;
                set.boundary = a == 2 ? policy : NULL;
                set.session = a == 0 ? identity : NULL;
                set.session_count = a == 0;
            } else {
                set.resource = policy;
            }
            struct policy_result first, again;
            int rc = policy_evaluate(&first, &set, &req);
            if (policy_evaluate(&again, &set, &req) != rc)
                abort();
            if (rc == 0 &&
                (first.decision != again.decision || first.matched_count != again.matched_count ||
                 first.missing_count != again.missing_count))
                abort();
        }
    }
    free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *input = (const char *)data;
    const char *nul = memchr(input, '\0', size);
    size_t doc_len = nul ? (size_t)(nul - input) : size;
    if (doc_len > FUZZ_DOCUMENT_MAX)
        return 0;
    size_t value_len = nul ? size - doc_len - 1 : 0;
    if (value_len > FUZZ_VALUE_MAX)
        value_len = FUZZ_VALUE_MAX;
    char value[FUZZ_VALUE_MAX + 1];
    memcpy(value, nul ? nul + 1 : "", value_len);
    value[value_len] = '\0';

    static const enum policy_kind kinds[] = {POLICY_KIND_IDENTITY, POLICY_KIND_RESOURCE,
                                             POLICY_KIND_TRUST};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        struct policy_options opts = {.kind = kinds[k], .size_max = k == 0 ? 6144 : 0};
        struct policy *policy = (struct policy *)&opts;
        if (policy_compile(&policy, input, doc_len, &opts) != 0) {
            if (policy != (struct policy *)&opts)
                abort();
            continue;
        }
        evaluate_all(policy, value);
        policy_free(policy);
    }
    return 0;
}
