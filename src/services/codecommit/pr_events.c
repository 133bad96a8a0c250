#include "base/common.h"
#include "services/codecommit/approval_rules.h"

#include "aws/arn.h"
#include "base/buf.h"
#include "services/common/event.h"
#include "store/store.h"

/*
 * EventBridge events of pull requests and approval rule templates, in the
 * shape CodeCommit sends them ("Monitoring CodeCommit events in Amazon
 * EventBridge"), appended to the outbox in the transaction of the change.
 * Dates in the details are ISO 8601 (CodeCommit writes a human-readable
 * date there; no consumer can rely on its format).
 */

static int envelope_append(struct api_call *call, struct store_tx *tx, const char *detail_type,
                           json_t *resources, json_t *detail)
{
    const struct event_source src = {.source = "aws.codecommit",
                                     .detail_type = detail_type,
                                     .account = call->account_id,
                                     .region = call->region};
    return event_append(NULL, call->store, tx, &src, resources, detail);
}

/* "Wed Nov 06 19:10:58 UTC 2019" for a time in ms since the epoch. */
static json_t *date_text(json_t *ms_value)
{
    static const char *const days[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t secs = json_integer_value(ms_value) / 1000;
    int64_t day = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        day--;
    }
    /* Civil date from a day count, in 400-year eras of 146097 days that
     * start on March 1st (so the leap day ends a year). */
    int64_t z = day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t mday = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    int64_t weekday = ((day % 7) + 7) % 7;
    char text[64];
    snprintf(text, sizeof(text), "%s %s %02d %02d:%02d:%02d UTC %lld", days[weekday],
             months[month - 1], (int)mday, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60),
             (long long)year);
    return json_string(text);
}

static const char *after_heads(const char *refname)
{
    return strncmp(refname, "refs/heads/", 11) == 0 ? refname + 11 : refname;
}

int cc_pr_outbox(struct api_call *call, struct store_tx *tx, const struct cc_pr *pr,
                 const char *event, json_t *extra)
{
    const json_t *r = pr->record;
    bool open = strcmp(cc_str(r, "pullRequestStatus") ?: "", "OPEN") == 0;
    json_t *merge = json_object_get(r, "mergeMetadata");
    bool merged = json_is_true(json_object_get(merge, "isMerged"));
    json_t *detail = json_object();
    json_object_set_new(detail, "author", json_string(cc_str(r, "authorArn") ?: ""));
    if (cc_caller_arn(call)[0])
        json_object_set_new(detail, "callerUserArn", json_string(cc_caller_arn(call)));
    json_object_set_new(detail, "creationDate", date_text(json_object_get(r, "creationDate")));
    if (cc_str(r, "description"))
        json_object_set_new(detail, "description", json_string(cc_str(r, "description")));
    static const char *const copied[] = {
        "destinationCommit", "destinationReference", "pullRequestId", "revisionId",
        "sourceCommit",      "sourceReference",      "title",         "mergeBase"};
    for (size_t i = 0; i < ARRAY_SIZE(copied); i++) {
        json_t *v = json_object_get(r, copied[i]);
        if (v)
            json_object_set(detail, copied[i], v);
    }
    json_object_set_new(detail, "event", json_string(event));
    json_object_set_new(detail, "isMerged", json_string(merged ? "True" : "False"));
    if (merged && cc_str(merge, "mergeOption"))
        json_object_set(detail, "mergeOption", json_object_get(merge, "mergeOption"));
    json_object_set_new(detail, "lastModifiedDate",
                        date_text(json_object_get(r, "lastActivityDate")));
    json_object_set_new(detail, "pullRequestStatus", json_string(open ? "Open" : "Closed"));
    json_object_set_new(detail, "repositoryNames", json_pack("[s]", pr->repo.loc.name));
    struct buf body = BUF_INIT;
    buf_addf(&body,
             "A pull request event occurred in the following AWS CodeCommit repository: %s. "
             "The user: %s made a change to the pull request %s (%s) from %s to %s. The pull "
             "request is %s.",
             pr->repo.loc.name, cc_caller_arn(call), cc_str(r, "pullRequestId") ?: "",
             cc_str(r, "title") ?: "", after_heads(cc_str(r, "sourceReference") ?: ""),
             after_heads(cc_str(r, "destinationReference") ?: ""),
             merged ? "merged"
             : open ? "open"
                    : "closed");
    json_object_set_new(detail, "notificationBody", json_string(body.data));
    buf_release(&body);
    if (extra) {
        json_object_update(detail, extra);
        json_decref(extra);
    }
    return envelope_append(call, tx, "CodeCommit Pull Request State Change",
                           json_pack("[s]", pr->repo.loc.arn), detail);
}

int cc_template_outbox(struct api_call *call, struct store_tx *tx, const json_t *tmpl,
                       const char *event, json_t *repositories)
{
    json_t *detail = json_object();
    json_object_set(detail, "approvalRuleTemplateContentSha256",
                    json_object_get(tmpl, "ruleContentSha256"));
    json_object_set(detail, "approvalRuleTemplateId",
                    json_object_get(tmpl, "approvalRuleTemplateId"));
    json_object_set(detail, "approvalRuleTemplateName",
                    json_object_get(tmpl, "approvalRuleTemplateName"));
    json_object_set_new(detail, "callerUserArn", json_string(cc_caller_arn(call)));
    json_object_set_new(detail, "creationDate", date_text(json_object_get(tmpl, "creationDate")));
    json_object_set_new(detail, "event", json_string(event));
    json_object_set_new(detail, "lastModifiedDate",
                        date_text(json_object_get(tmpl, "lastModifiedDate")));
    struct buf body = BUF_INIT;
    buf_addf(&body,
             "A approval rule template event occurred in the following AWS CodeCommit account: "
             "%s. User: %s. Additional information: event %s on the approval rule template %s "
             "(ID %s).",
             call->account_id, cc_caller_arn(call), event,
             cc_str(tmpl, "approvalRuleTemplateName") ?: "",
             cc_str(tmpl, "approvalRuleTemplateId") ?: "");
    json_object_set_new(detail, "notificationBody", json_string(body.data));
    buf_release(&body);
    /* {"repository name": "repository id"} of the repositories the change
     * is about; their ARNs are the event's resources. */
    if (!repositories)
        repositories = json_object();
    json_t *resources = json_array();
    const char *name;
    json_t *id;
    json_object_foreach(repositories, name, id)
    {
        struct buf arn = BUF_INIT;
        arn_format(&arn, "codecommit", call->region, call->account_id, name);
        json_array_append_new(resources, json_string(arn.data));
        buf_release(&arn);
    }
    json_object_set_new(detail, "repositories", repositories);
    return envelope_append(call, tx, "CodeCommit Approval Rule Template Change", resources, detail);
}
