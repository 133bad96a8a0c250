#include "base/common.h"
#include "services/codecommit/comments.h"

#include "aws/arn.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/ids.h"
#include "services/codecommit/text.h"
#include "services/common/record.h"

/*
 * Repository triggers: stored and checked as CodeCommit does, but not
 * delivered. Their destinations are Amazon SNS topics and AWS Lambda
 * functions; slipway has no Lambda and no SNS yet, so TestRepositoryTriggers
 * reports every trigger as failed, saying why, and a push runs none of
 * them (docs/codecommit.md).
 */

#define TRIGGERS_MAX         10
#define TRIGGER_BRANCHES_MAX 10
#define TRIGGER_NAME_MAX     100
#define TRIGGER_DATA_MAX     1000

static int trigger_check(struct api_call *call, const json_t *t, json_t *names_seen)
{
    const char *name = cc_str(t, "name");
    if (!name || !name[0])
        return api_error(call, ERR_INVALID, "RepositoryTriggerNameRequiredException",
                         "A name for the trigger is required, but was not specified.");
    bool name_ok = cc_char_count(name) <= TRIGGER_NAME_MAX;
    for (const char *p = name; name_ok && *p; p++)
        name_ok = (unsigned char)*p >= 0x20 && *p != 0x7f;
    if (!name_ok)
        return api_error(call, ERR_INVALID, "InvalidRepositoryTriggerNameException",
                         "The name of the trigger '%.128s' is not valid: use up to %d printable "
                         "characters.",
                         name, TRIGGER_NAME_MAX);
    if (json_object_get(names_seen, name))
        return api_error(call, ERR_INVALID, "InvalidRepositoryTriggerNameException",
                         "The name of the trigger '%s' is not valid: it is used by another "
                         "trigger of the repository.",
                         name);
    json_object_set_new(names_seen, name, json_true());

    const char *dest = cc_str(t, "destinationArn");
    if (!dest || !dest[0])
        return api_error(call, ERR_INVALID, "RepositoryTriggerDestinationArnRequiredException",
                         "A destination ARN for the target service for the trigger '%s' is "
                         "required, but was not specified.",
                         name);
    struct arn arn;
    bool arn_ok = arn_parse(&arn, dest) == 0;
    if (!arn_ok)
        err_clear();
    bool sns = arn_ok && strcmp(arn.service, "sns") == 0 && arn.resource[0] &&
               !strchr(arn.resource, ':') && !strchr(arn.resource, '/');
    bool lambda = arn_ok && strcmp(arn.service, "lambda") == 0 &&
                  strncmp(arn.resource, "function:", 9) == 0 && arn.resource[9];
    if (!arn_ok || (!sns && !lambda) || strlen(arn.account) != 12)
        return api_error(call, ERR_INVALID, "InvalidRepositoryTriggerDestinationArnException",
                         "The destination ARN '%.256s' of trigger '%s' is not valid: it must be "
                         "an Amazon SNS topic or an AWS Lambda function.",
                         dest, name);
    if (strcmp(arn.region, call->region) != 0)
        return api_error(call, ERR_INVALID, "InvalidRepositoryTriggerRegionException",
                         "The region of the destination of trigger '%s' (%s) does not match the "
                         "region of the repository (%s): triggers must be created in the same "
                         "region as their target.",
                         name, arn.region, call->region);

    const char *data = cc_str(t, "customData");
    if (data && cc_char_count(data) > TRIGGER_DATA_MAX)
        return api_error(call, ERR_INVALID, "InvalidRepositoryTriggerCustomDataException",
                         "The custom data of trigger '%s' is not valid: it is limited to %d "
                         "characters.",
                         name, TRIGGER_DATA_MAX);

    json_t *branches = json_object_get(t, "branches");
    if (!branches)
        return api_error(call, ERR_INVALID, "RepositoryTriggerBranchNameListRequiredException",
                         "The trigger '%s' needs a list of branches (empty for all branches), "
                         "but none was specified.",
                         name);
    if (json_array_size(branches) > TRIGGER_BRANCHES_MAX)
        return api_error(call, ERR_INVALID, "MaximumBranchesExceededException",
                         "The number of branches for the trigger '%s' was exceeded: at most %d.",
                         name, TRIGGER_BRANCHES_MAX);
    size_t i;
    json_t *b;
    json_array_foreach(branches, i, b)
    {
        const char *branch = json_string_value(b);
        char refname[300];
        int valid = 0;
        if (branch && branch[0] && strlen(branch) <= 256) {
            snprintf(refname, sizeof(refname), "refs/heads/%s", branch);
            if (git_reference_name_is_valid(&valid, refname) < 0)
                valid = 0;
        }
        if (!valid)
            return api_error(call, ERR_INVALID, "InvalidRepositoryTriggerBranchNameException",
                             "The branch name '%.256s' of trigger '%s' is not valid.",
                             branch ? branch : "", name);
    }

    json_t *events = json_object_get(t, "events");
    if (json_array_size(events) == 0)
        return api_error(call, ERR_INVALID, "RepositoryTriggerEventsListRequiredException",
                         "At least one event for the trigger '%s' is required, but was not "
                         "specified.",
                         name);
    bool all = false;
    json_t *e;
    json_array_foreach(events, i, e)
    {
        const char *event = json_string_value(e);
        static const char *const known[] = {"all", "updateReference", "createReference",
                                            "deleteReference"};
        bool ok = false;
        for (size_t k = 0; event && k < ARRAY_SIZE(known); k++)
            ok = ok || strcmp(event, known[k]) == 0;
        if (!ok)
            return api_error(call, ERR_INVALID, "InvalidRepositoryTriggerEventsException",
                             "The event '%.64s' of trigger '%s' is not valid: use all, "
                             "updateReference, createReference or deleteReference.",
                             event ? event : "", name);
        all = all || strcmp(event, "all") == 0;
    }
    if (all && json_array_size(events) > 1)
        return api_error(call, ERR_INVALID, "InvalidRepositoryTriggerEventsException",
                         "The events of trigger '%s' are not valid: \"all\" cannot be used with "
                         "any other values.",
                         name);
    return 0;
}

static int triggers_check(struct api_call *call, const json_t *triggers, bool empty_ok)
{
    if (!triggers || (!empty_ok && json_array_size(triggers) == 0))
        return api_error(call, ERR_INVALID, "RepositoryTriggersListRequiredException",
                         "The list of triggers for the repository is required, but was not "
                         "specified.");
    if (json_array_size(triggers) > TRIGGERS_MAX)
        return api_error(call, ERR_INVALID, "MaximumRepositoryTriggersExceededException",
                         "The number of triggers allowed for the repository was exceeded: at "
                         "most %d.",
                         TRIGGERS_MAX);
    json_t *names = json_object();
    size_t i;
    json_t *t;
    int rc = 0;
    json_array_foreach(triggers, i, t)
    {
        if ((rc = trigger_check(call, t, names)) < 0)
            break;
    }
    json_decref(names);
    return rc;
}

/* A trigger as stored and returned: the members the model has, branches
 * and events always present. */
static json_t *trigger_normalize(const json_t *t)
{
    json_t *n = json_pack("{s:s, s:s, s:O, s:O}", "name", cc_str(t, "name"), "destinationArn",
                          cc_str(t, "destinationArn"), "branches", json_object_get(t, "branches"),
                          "events", json_object_get(t, "events"));
    const char *data = cc_str(t, "customData");
    if (data)
        json_object_set_new(n, "customData", json_string(data));
    return n;
}

int cc_put_repository_triggers(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_repo repo;
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    json_t *triggers = json_object_get(in, "triggers");
    if ((rc = triggers_check(call, triggers, true)) < 0) {
        cc_repo_close(&repo);
        return rc;
    }
    char scope[CC_SCOPE_MAX], configuration_id[UUID_TEXT_LEN];
    cc_scope(scope, call);
    uuid_v4(configuration_id);
    json_t *stored = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(triggers, i, t)
    {
        json_array_append_new(stored, trigger_normalize(t));
    }
    json_t *record =
        json_pack("{s:s, s:o}", "configurationId", configuration_id, "triggers", stored);
    rc = record_upsert(call->store, NULL, CC_KIND_TRIGGERS, scope, repo.loc.id, record);
    json_decref(record);
    cc_repo_close(&repo);
    if (rc < 0)
        return rc;
    *out = json_pack("{s:s}", "configurationId", configuration_id);
    return 0;
}

int cc_get_repository_triggers(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_repo repo;
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    json_t *record = NULL;
    rc = record_get(&record, NULL, call->store, NULL, CC_KIND_TRIGGERS, scope, repo.loc.id);
    cc_repo_close(&repo);
    if (rc == ERR_NOT_FOUND) {
        *out = json_pack("{s:[]}", "triggers");
        return 0;
    }
    if (rc < 0)
        return rc;
    *out = json_pack("{s:O, s:O}", "configurationId", json_object_get(record, "configurationId"),
                     "triggers", json_object_get(record, "triggers"));
    json_decref(record);
    return 0;
}

int cc_test_repository_triggers(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_repo repo;
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    json_t *triggers = json_object_get(in, "triggers");
    rc = triggers_check(call, triggers, false);
    cc_repo_close(&repo);
    if (rc < 0)
        return rc;
    /* Nothing is delivered, so nothing is reported as delivered. */
    json_t *failed = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(triggers, i, t)
    {
        const char *dest = cc_str(t, "destinationArn");
        bool lambda = strstr(dest, ":lambda:") != NULL;
        struct buf message = BUF_INIT;
        buf_addf(&message,
                 "the destination %s cannot be reached: slipway does not deliver repository "
                 "triggers to %s yet",
                 dest, lambda ? "AWS Lambda functions" : "Amazon SNS topics");
        json_array_append_new(failed, json_pack("{s:s, s:s}", "trigger", cc_str(t, "name"),
                                                "failureMessage", message.data));
        buf_release(&message);
    }
    *out = json_pack("{s:[], s:o}", "successfulExecutions", "failedExecutions", failed);
    return 0;
}

int cc_triggers_forget_repository(struct store *st, struct store_tx *tx,
                                  const struct api_call *call, const char *repository_id)
{
    char scope[CC_SCOPE_MAX];
    cc_scope(scope, call);
    int rc = store_doc_delete(st, tx, CC_KIND_TRIGGERS, scope, repository_id, 0);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}
