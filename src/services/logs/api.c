#include "base/common.h"
#include "services/logs/logs.h"
#include "services/logs/logs_internal.h"
#include "aws/arn.h"
#include "aws/pagination.h"
#include "base/err.h"
#include "services/common/record.h"

/* In name order: the server finds entries by binary search. */
static const struct api_operation logs_operations[] = {
    {"CreateLogGroup", logs_create_log_group, NULL},
    {"CreateLogStream", logs_create_log_stream, NULL},
    {"DeleteLogGroup", logs_delete_log_group, NULL},
    {"DeleteLogStream", logs_delete_log_stream, NULL},
    {"DeleteRetentionPolicy", logs_delete_retention_policy, NULL},
    {"DescribeLogGroups", logs_describe_log_groups, NULL},
    {"DescribeLogStreams", logs_describe_log_streams, NULL},
    {"FilterLogEvents", logs_filter_log_events, NULL},
    {"GetLogEvents", logs_get_log_events, NULL},
    {"ListTagsForResource", logs_list_tags_for_resource, NULL},
    {"ListTagsLogGroup", logs_list_tags_log_group, NULL},
    {"PutLogEvents", logs_put_log_events, NULL},
    {"PutLogGroupDeletionProtection", logs_put_deletion_protection, NULL},
    {"PutRetentionPolicy", logs_put_retention_policy, NULL},
    {"TagLogGroup", logs_tag_log_group, NULL},
    {"TagResource", logs_tag_resource, NULL},
    {"TestMetricFilter", logs_test_metric_filter, NULL},
    {"UntagLogGroup", logs_untag_log_group, NULL},
    {"UntagResource", logs_untag_resource, NULL},
};

const struct api_service logs_api_service = {
    .name = "logs",
    .operations = logs_operations,
    .operation_count = ARRAY_SIZE(logs_operations),
};

void logs_scope(char out[LOGS_SCOPE_MAX], const struct api_call *call)
{
    snprintf(out, LOGS_SCOPE_MAX, "%s/%s", call->account_id, call->region);
}

void logs_group_arn(struct buf *out, const struct api_call *call, const char *group)
{
    struct buf resource = BUF_INIT;
    buf_addf(&resource, "log-group:%s", group);
    arn_format(out, "logs", call->region, call->account_id, resource.data);
    buf_release(&resource);
}

void logs_stream_arn(struct buf *out, const struct api_call *call, const char *group,
                     const char *stream)
{
    struct buf resource = BUF_INIT;
    buf_addf(&resource, "log-group:%s:log-stream:%s", group, stream);
    arn_format(out, "logs", call->region, call->account_id, resource.data);
    buf_release(&resource);
}

int logs_authorize_group(struct api_call *call, const char *group)
{
    return logs_authorize_stream(call, group, "");
}

int logs_authorize_stream(struct api_call *call, const char *group, const char *stream)
{
    char action[96];
    struct buf arn = BUF_INIT;
    api_action_name(action, sizeof(action), call);
    logs_stream_arn(&arn, call, group, stream);
    int rc = api_authorize(call, action, arn.data);
    buf_release(&arn);
    return rc;
}

int logs_invalid(struct api_call *call, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return api_error(call, ERR_INVALID, "InvalidParameterException", "%s", msg);
}

int logs_group_not_found(struct api_call *call)
{
    return api_error(call, ERR_NOT_FOUND, "ResourceNotFoundException",
                     "The specified log group does not exist.");
}

int logs_stream_not_found(struct api_call *call)
{
    return api_error(call, ERR_NOT_FOUND, "ResourceNotFoundException",
                     "The specified log stream does not exist.");
}

int logs_not_found_as(struct api_call *call, int rc, bool stream_level)
{
    if (rc != ERR_NOT_FOUND)
        return rc;
    /* The store says which is missing: "no log group ..." or "no log stream ...". */
    if (stream_level && strstr(err_msg(), "no log stream"))
        return logs_stream_not_found(call);
    return logs_group_not_found(call);
}

const char *logs_str(json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

int64_t logs_int(json_t *obj, const char *name, int64_t fallback)
{
    json_t *v = json_object_get(obj, name);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : fallback;
}

bool logs_bool(json_t *obj, const char *name)
{
    return json_is_true(json_object_get(obj, name));
}

/* "arn:aws:logs:REGION:ACCOUNT:log-group:NAME" with an optional ":*". */
static int group_from_arn(const char **out, struct buf *storage, struct api_call *call,
                          const char *text)
{
    struct arn arn;
    if (arn_parse(&arn, text) < 0 || strcmp(arn.service, "logs") != 0 ||
        strncmp(arn.resource, "log-group:", 10) != 0 || !arn.resource[10])
        return logs_invalid(call, "Invalid log group identifier: %s", text);
    if (strcmp(arn.account, call->account_id) != 0 || strcmp(arn.region, call->region) != 0)
        return logs_group_not_found(call);
    const char *name = arn.resource + 10;
    size_t len = strlen(name);
    if (len > 2 && strcmp(name + len - 2, ":*") == 0)
        len -= 2;
    if (memchr(name, ':', len))
        return logs_invalid(call, "Invalid log group identifier: %s", text);
    buf_reset(storage);
    buf_add(storage, name, len);
    *out = storage->data;
    return 0;
}

int logs_group_param(const char **out, struct buf *storage, struct api_call *call, json_t *in)
{
    const char *name = logs_str(in, "logGroupName");
    const char *ident = logs_str(in, "logGroupIdentifier");
    if (name && ident)
        return logs_invalid(call, "LogGroup name and LogGroup ARN are mutually exclusive "
                                  "parameters.");
    if (!name && !ident)
        return logs_invalid(call, "Either LogGroup ARN or LogGroup name should be provided.");
    if (name) {
        *out = name;
        return 0;
    }
    if (strncmp(ident, "arn:", 4) == 0)
        return group_from_arn(out, storage, call, ident);
    *out = ident;
    return 0;
}

json_t *logs_group_record_new(const char *group, int64_t now_ms)
{
    return json_pack("{s:s, s:I, s:s, s:{}}", "logGroupName", group, "creationTime",
                     (json_int_t)now_ms, "logGroupClass", "STANDARD", "tags");
}

int logs_group_record(json_t **out, int64_t *version, struct api_call *call, struct store_tx *tx,
                      const char *group)
{
    char scope[LOGS_SCOPE_MAX];
    logs_scope(scope, call);
    int rc = record_get(out, version, call->store, tx, LOGS_KIND_GROUP, scope, group);
    if (rc == ERR_NOT_FOUND)
        return logs_group_not_found(call);
    return rc;
}

int logs_group_insert(struct store *st, struct store_tx *tx, const char *scope, const char *group,
                      json_t *rec)
{
    int rc = record_insert(st, tx, LOGS_KIND_GROUP, scope, group, rec);
    if (rc == 0)
        rc = store_log_group_create(st, tx, scope, group);
    return rc;
}

void logs_token_encode(struct buf *out, const char *key)
{
    pagination_token_encode(out, key);
}

int logs_token_decode(char **key_out, struct api_call *call, const char *token)
{
    if (pagination_token_decode(key_out, token) < 0)
        return logs_invalid(call, "The specified nextToken is invalid.");
    return 0;
}

int logs_describe_limit(size_t *out, struct api_call *call, json_t *in)
{
    int64_t limit = logs_int(in, "limit", LOGS_DESCRIBE_LIMIT_MAX);
    /* The model bounds it too; the server's validation answers first. */
    if (limit < 1 || limit > LOGS_DESCRIBE_LIMIT_MAX)
        return logs_invalid(call,
                            "1 validation error detected: Value '%" PRId64
                            "' at 'limit' failed to satisfy constraint: Member must have value "
                            "less than or equal to %d",
                            limit, LOGS_DESCRIBE_LIMIT_MAX);
    *out = (size_t)limit;
    return 0;
}
