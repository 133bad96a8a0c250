#include "base/common.h"
#include "services/events/events_internal.h"
#include "aws/arn.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/common/record.h"
#include "store/store.h"

#include <string.h>

/* What a tagged ARN names: a bus (rule[0] == 0) or a rule. */
struct tag_target {
    char bus[EVENTS_BUS_NAME_MAX];
    char rule[72];
};

static int target_parse(struct tag_target *out, struct api_call *call, const char *text)
{
    struct arn arn;
    memset(out, 0, sizeof(*out));
    if (arn_parse(&arn, text) < 0 || strcmp(arn.service, "events") != 0)
        return api_error(call, ERR_INVALID, "ValidationException",
                         "Parameter ResourceARN is not valid.");
    bool ours = strcmp(arn.account, call->account_id) == 0 && strcmp(arn.region, call->region) == 0;
    const char *res = arn.resource;
    if (strncmp(res, "event-bus/", 10) == 0) {
        if (!res[10] || strlen(res + 10) >= sizeof(out->bus))
            return api_error(call, ERR_INVALID, "ValidationException",
                             "Parameter ResourceARN is not valid.");
        snprintf(out->bus, sizeof(out->bus), "%s", res + 10);
        if (!ours)
            return api_error(call, ERR_NOT_FOUND, "ResourceNotFoundException",
                             "Event bus %s does not exist.", out->bus);
        return 0;
    }
    if (strncmp(res, "rule/", 5) == 0) {
        const char *name = res + 5;
        const char *slash = strrchr(name, '/');
        if (slash) {
            size_t len = (size_t)(slash - name);
            if (len == 0 || len >= sizeof(out->bus))
                return api_error(call, ERR_INVALID, "ValidationException",
                                 "Parameter ResourceARN is not valid.");
            memcpy(out->bus, name, len);
            out->bus[len] = 0;
            name = slash + 1;
        } else {
            snprintf(out->bus, sizeof(out->bus), "%s", EVENTS_DEFAULT_BUS);
        }
        if (!*name || strlen(name) >= sizeof(out->rule))
            return api_error(call, ERR_INVALID, "ValidationException",
                             "Parameter ResourceARN is not valid.");
        snprintf(out->rule, sizeof(out->rule), "%s", name);
        if (!ours)
            return api_error(call, ERR_NOT_FOUND, "ResourceNotFoundException",
                             "Rule %s does not exist on EventBus %s.", out->rule, out->bus);
        return 0;
    }
    return api_error(call, ERR_INVALID, "ValidationException",
                     "Parameter ResourceARN is not valid: tags apply to event buses and rules.");
}

/* Reads the tagged resource's record (in `tx`), applies `change`, stores it. */
static int tags_change(struct api_call *call, json_t *in, bool write,
                       int (*change)(struct api_call *call, json_t *tags, json_t *in),
                       json_t **tags_out)
{
    const char *resource = json_string_value(json_object_get(in, "ResourceARN"));
    struct tag_target target;
    int rc;
    if ((rc = target_parse(&target, call, resource)) < 0)
        return rc;
    char action[96];
    api_action_name(action, sizeof(action), call);
    if ((rc = api_authorize(call, action, resource)) < 0)
        return rc;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if (write && (rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    json_t *rec = NULL;
    int64_t version = 0;
    if (target.rule[0])
        rc = events_rule_get(&rec, &version, call, tx, target.bus, target.rule);
    else
        rc = events_bus_get(&rec, &version, call, tx, target.bus);
    if (rc < 0)
        return rc;
    if (write && target.rule[0] && (rc = events_rule_unmanaged(call, rec, false, false)) < 0)
        goto done;
    json_t *tags = json_object_get(rec, "Tags");
    if (!json_is_object(tags)) {
        tags = json_object();
        json_object_set_new(rec, "Tags", tags);
    }
    if (change && (rc = change(call, tags, in)) < 0)
        goto done;
    if (tags_out)
        *tags_out = events_tags_list(tags);
    if (!write)
        goto done;
    if (target.rule[0]) {
        char scope[EVENTS_SCOPE_MAX];
        events_scope(scope, call);
        struct buf key = BUF_INIT;
        events_rule_key(&key, target.bus, target.rule);
        rc = record_update(call->store, tx, EVENTS_KIND_RULE, scope, key.data, version, rec);
        buf_release(&key);
    } else {
        rc = events_bus_put(call, tx, target.bus, version, rec);
    }
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
done:
    json_decref(rec);
    return rc;
}

static int tags_add(struct api_call *call, json_t *tags, json_t *in)
{
    return events_tags_merge(call, tags, json_object_get(in, "Tags"));
}

static int tags_remove(struct api_call *call, json_t *tags, json_t *in)
{
    (void)call;
    size_t i;
    json_t *key;
    json_array_foreach(json_object_get(in, "TagKeys"), i, key)
        json_object_del(tags, json_string_value(key));
    return 0;
}

int events_tag_resource(struct api_call *call, json_t *in, json_t **out)
{
    int rc = tags_change(call, in, true, tags_add, NULL);
    if (rc == 0)
        *out = json_object();
    return rc;
}

int events_untag_resource(struct api_call *call, json_t *in, json_t **out)
{
    int rc = tags_change(call, in, true, tags_remove, NULL);
    if (rc == 0)
        *out = json_object();
    return rc;
}

int events_list_tags_for_resource(struct api_call *call, json_t *in, json_t **out)
{
    json_t *tags = NULL;
    int rc = tags_change(call, in, false, NULL, &tags);
    if (rc == 0)
        *out = json_pack("{s:o}", "Tags", tags);
    return rc;
}
