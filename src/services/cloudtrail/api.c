#include <inttypes.h>

#include "base/common.h"
#include "services/cloudtrail/cloudtrail.h"
#include "aws/pagination.h"
#include "base/alloc.h"
#include "base/err.h"
#include "store/store.h"

/* How long LookupEvents waits for records still queued. */
#define LOOKUP_FLUSH_MS 2000
/* Records one LookupEvents examines at most; it pages on past them. */
#define LOOKUP_SCAN_MAX 5000
/* Batch rows one store read returns. */
#define LOOKUP_ROWS_PER_READ 4

size_t cloudtrail_row_split(struct cloudtrail_line **lines, size_t *cap, int64_t row_ms,
                            const char *message, size_t len)
{
    size_t n = 0;
    const char *p = message, *end = message + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        int64_t t = row_ms;
        const char *json = p;
        if (p < line_end && *p >= '0' && *p <= '9') {
            int64_t v = 0;
            /* At most 18 digits: a time, never an overflow. */
            while (json < line_end && json - p < 18 && *json >= '0' && *json <= '9')
                v = v * 10 + (*json++ - '0');
            if (json < line_end && *json == ' ') {
                t = v;
                json++;
            } else {
                json = p;
            }
        }
        if (json < line_end) {
            if (n == *cap) {
                *cap = *cap ? 2 * *cap : 64;
                *lines = xrealloc(*lines, *cap * sizeof(**lines));
            }
            (*lines)[n++] = (struct cloudtrail_line){t, json, (size_t)(line_end - json)};
        }
        p = nl ? nl + 1 : end;
    }
    return n;
}

/*
 * The resources an event names, from its requestParameters: (event
 * source, parameter) -> resource type. LookupEvents lists them and
 * matches ResourceType / ResourceName against them.
 */
static const struct {
    const char *source;
    const char *parameter;
    const char *type;
} resource_params[] = {
    {"iam.amazonaws.com", "userName", "AWS::IAM::User"},
    {"iam.amazonaws.com", "roleName", "AWS::IAM::Role"},
    {"iam.amazonaws.com", "groupName", "AWS::IAM::Group"},
    {"iam.amazonaws.com", "policyArn", "AWS::IAM::Policy"},
    {"iam.amazonaws.com", "accessKeyId", "AWS::IAM::AccessKey"},
    {"sts.amazonaws.com", "roleArn", "AWS::IAM::Role"},
    {"s3.amazonaws.com", "bucket", "AWS::S3::Bucket"},
    {"secretsmanager.amazonaws.com", "secretId", "AWS::SecretsManager::Secret"},
    {"secretsmanager.amazonaws.com", "name", "AWS::SecretsManager::Secret"},
    {"ssm.amazonaws.com", "name", "AWS::SSM::Parameter"},
    {"logs.amazonaws.com", "logGroupName", "AWS::Logs::LogGroup"},
    {"codecommit.amazonaws.com", "repositoryName", "AWS::CodeCommit::Repository"},
    {"events.amazonaws.com", "name", "AWS::Events::Rule"},
};

static const char *str(json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

static json_t *event_resources(json_t *record)
{
    json_t *list = json_array();
    const char *source = str(record, "eventSource");
    json_t *params = json_object_get(record, "requestParameters");
    if (!source || !json_is_object(params))
        return list;
    for (size_t i = 0; i < ARRAY_SIZE(resource_params); i++) {
        const char *value = str(params, resource_params[i].parameter);
        if (value && strcmp(source, resource_params[i].source) == 0 &&
            strcmp(value, CLOUDTRAIL_HIDDEN) != 0)
            json_array_append_new(list, json_pack("{s:s, s:s}", "ResourceType",
                                                  resource_params[i].type, "ResourceName", value));
    }
    return list;
}

/* LookupEvents' Username: the user, the role session, or "root". */
static const char *event_username(json_t *record)
{
    json_t *id = json_object_get(record, "userIdentity");
    const char *type = str(id, "type");
    if (!type)
        return NULL;
    if (strcmp(type, "Root") == 0)
        return "root";
    if (strcmp(type, "AssumedRole") == 0) {
        const char *arn = str(id, "arn");
        const char *slash = arn ? strrchr(arn, '/') : NULL;
        return slash ? slash + 1 : NULL;
    }
    return str(id, "userName");
}

struct lookup_filter {
    const char *key;
    const char *value;
};

static bool matches_string(const char *have, const char *want)
{
    return have && strcmp(have, want) == 0;
}

static bool record_matches(json_t *record, const struct lookup_filter *f)
{
    if (!f->key)
        return true;
    if (strcmp(f->key, "EventId") == 0)
        return matches_string(str(record, "eventID"), f->value);
    if (strcmp(f->key, "EventName") == 0)
        return matches_string(str(record, "eventName"), f->value);
    if (strcmp(f->key, "EventSource") == 0)
        return matches_string(str(record, "eventSource"), f->value);
    if (strcmp(f->key, "ReadOnly") == 0)
        return strcmp(json_is_true(json_object_get(record, "readOnly")) ? "true" : "false",
                      f->value) == 0;
    if (strcmp(f->key, "Username") == 0)
        return matches_string(event_username(record), f->value);
    if (strcmp(f->key, "AccessKeyId") == 0)
        return matches_string(str(json_object_get(record, "userIdentity"), "accessKeyId"),
                              f->value);
    bool by_type = strcmp(f->key, "ResourceType") == 0;
    json_t *resources = event_resources(record);
    bool found = false;
    size_t i;
    json_t *r;
    json_array_foreach(resources, i, r)
    {
        if (matches_string(str(r, by_type ? "ResourceType" : "ResourceName"), f->value))
            found = true;
    }
    json_decref(resources);
    return found;
}

/* store_log_filter_fn: a cheap text test first, then the parsed record. */
static bool lookup_keeps(void *ctx, const char *message, size_t len)
{
    const struct lookup_filter *f = ctx;
    if (!f->key)
        return true;
    if (strcmp(f->key, "ReadOnly") != 0 && !memmem(message, len, f->value, strlen(f->value)))
        return false;
    json_t *record = json_loadb(message, len, 0, NULL);
    bool keep = record && record_matches(record, f);
    json_decref(record);
    return keep;
}

static int lookup_invalid(struct api_call *call, const char *code, const char *message)
{
    return api_error(call, ERR_INVALID, code, "%s", message);
}

/* The filter from LookupAttributes; CloudTrail takes one attribute. */
static int lookup_filter_parse(struct lookup_filter *out, struct api_call *call, json_t *in)
{
    static const char *const keys[] = {"EventId",     "EventName",    "ReadOnly",
                                       "Username",    "ResourceType", "ResourceName",
                                       "EventSource", "AccessKeyId"};
    *out = (struct lookup_filter){0};
    json_t *attrs = json_object_get(in, "LookupAttributes");
    if (!attrs || json_array_size(attrs) == 0)
        return 0;
    if (json_array_size(attrs) > 1)
        return lookup_invalid(call, "InvalidLookupAttributesException",
                              "You cannot specify more than one lookup attribute.");
    json_t *attr = json_array_get(attrs, 0);
    const char *key = str(attr, "AttributeKey"), *value = str(attr, "AttributeValue");
    if (!key || !value)
        return lookup_invalid(call, "InvalidLookupAttributesException",
                              "A lookup attribute needs an AttributeKey and an AttributeValue.");
    bool known = false;
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        known = known || strcmp(key, keys[i]) == 0;
    if (!known)
        return lookup_invalid(call, "InvalidLookupAttributesException",
                              "The attribute key is not valid.");
    if (strlen(value) < 1 || strlen(value) > 2000)
        return lookup_invalid(call, "InvalidLookupAttributesException",
                              "The attribute value must be 1 to 2000 characters long.");
    out->key = key;
    out->value = value;
    return 0;
}

static json_t *event_entry(const struct cloudtrail_line *ev)
{
    json_t *record = json_loadb(ev->json, ev->len, 0, NULL);
    if (!record)
        return NULL;
    json_t *entry = json_object();
    const char *id = str(record, "eventID"), *name = str(record, "eventName");
    const char *source = str(record, "eventSource"), *user = event_username(record);
    const char *key = str(json_object_get(record, "userIdentity"), "accessKeyId");
    json_object_set_new(entry, "EventId", json_string(id ? id : ""));
    json_object_set_new(entry, "EventName", json_string(name ? name : ""));
    json_object_set_new(
        entry, "ReadOnly",
        json_string(json_is_true(json_object_get(record, "readOnly")) ? "true" : "false"));
    if (key && *key)
        json_object_set_new(entry, "AccessKeyId", json_string(key));
    json_object_set_new(entry, "EventTime", json_integer(ev->time_ms - ev->time_ms % 1000));
    json_object_set_new(entry, "EventSource", json_string(source ? source : ""));
    if (user)
        json_object_set_new(entry, "Username", json_string(user));
    json_object_set_new(entry, "Resources", event_resources(record));
    json_object_set_new(entry, "CloudTrailEvent", json_stringn(ev->json, ev->len));
    json_decref(record);
    return entry;
}

static int cloudtrail_lookup_events(struct api_call *call, json_t *in, json_t **out)
{
    int rc = api_authorize(call, "cloudtrail:LookupEvents", "*");
    if (rc < 0)
        return rc;
    struct lookup_filter filter;
    if ((rc = lookup_filter_parse(&filter, call, in)) < 0)
        return rc;
    json_t *max = json_object_get(in, "MaxResults");
    json_int_t limit = max ? json_integer_value(max) : 50;
    if (max && (!json_is_integer(max) || limit < 1 || limit > 50))
        return lookup_invalid(call, "InvalidMaxResultsException",
                              "Value for MaxResults must be between 1 and 50.");
    const char *category = str(in, "EventCategory");
    if (category && strcmp(category, "insight") != 0)
        return lookup_invalid(call, "InvalidEventCategoryException",
                              "The event category is not valid.");
    json_t *start = json_object_get(in, "StartTime"), *end = json_object_get(in, "EndTime");
    int64_t start_ms = start ? (int64_t)json_integer_value(start) : 0;
    int64_t end_ms = end ? (int64_t)json_integer_value(end) : INT64_MAX - 1;
    if (start_ms < 0)
        start_ms = 0;
    if (start && end && start_ms > end_ms)
        return lookup_invalid(call, "InvalidTimeRangeException",
                              "Start time must be before end time.");

    /*
     * Positions are (row timestamp, row id, record index): a token
     * "TS:ID:K" continues with the records before index K of that row,
     * then the rows before it.
     */
    struct store_log_pos from = {INT64_MAX - 1, INT64_MAX};
    struct store_log_pos first_row = {-1, -1};
    size_t first_index = SIZE_MAX;
    const char *token = str(in, "NextToken");
    if (token) {
        char *key = NULL;
        long long ts, id, index = -1;
        int used = 0;
        int fields = 0;
        if (pagination_token_decode(&key, token) == 0)
            fields = sscanf(key, "%lld:%lld:%lld%n", &ts, &id, &index, &used);
        if (fields == 2 && key) /* "TS:ID": strictly before that row */
            sscanf(key, "%lld:%lld%n", &ts, &id, &used);
        if ((fields != 2 && fields != 3) || key[used] != '\0' || ts < 0 || id < 0 ||
            id == INT64_MAX || (fields == 3 && index < 0)) {
            free(key);
            return lookup_invalid(call, "InvalidNextTokenException", "Invalid NextToken.");
        }
        free(key);
        if (fields == 3) {
            from = (struct store_log_pos){ts, id + 1};
            first_row = (struct store_log_pos){ts, id};
            first_index = (size_t)index;
        } else {
            from = (struct store_log_pos){ts, id};
        }
    }

    *out = json_pack("{s:[]}", "Events");
    /* Insight events are not recorded: that category is always empty. */
    if (category)
        return 0;
    struct cloudtrail_recorder *rec = cloudtrail_recorder_get();
    if (rec)
        (void)cloudtrail_recorder_flush(rec, LOOKUP_FLUSH_MS);

    /* EndTime is inclusive; records are stamped to the millisecond. */
    int64_t end_excl = end_ms >= INT64_MAX - 1000 ? INT64_MAX : end_ms + 1000;
    /* A row is stamped with its newest record: rows up to a span later
     * may hold records of the range. */
    int64_t read_end = end_excl >= INT64_MAX - CLOUDTRAIL_ROW_SPAN_MS
                           ? INT64_MAX
                           : end_excl + CLOUDTRAIL_ROW_SPAN_MS;
    char scope[CLOUDTRAIL_SCOPE_MAX];
    cloudtrail_scope(scope, call->account_id, call->region);
    json_t *events = json_object_get(*out, "Events");
    struct cloudtrail_line *lines = NULL;
    size_t cap = 0, scanned = 0;
    bool stop = false;
    char next_key[96] = "";
    while (!stop) {
        struct store_log_read_query q = {
            .scope = scope,
            .group = CLOUDTRAIL_GROUP,
            .stream = CLOUDTRAIL_STREAM,
            .start_ms = start_ms,
            .end_ms = read_end,
            .from = from,
            .backward = true,
            .limit = LOOKUP_ROWS_PER_READ,
        };
        struct store_log_page page = {0};
        rc = store_log_read(&page, call->store, NULL, &q);
        if (rc == ERR_NOT_FOUND) {
            rc = 0; /* nothing recorded in this account and region yet */
            break;
        }
        if (rc < 0)
            break;
        /* The page is in ascending order: newest first is from its end. */
        for (size_t r = page.len; !stop && r-- > 0;) {
            const struct store_log_event *row = &page.items[r];
            size_t n = cloudtrail_row_split(&lines, &cap, row->timestamp_ms, row->message,
                                            row->message_len);
            size_t k = n;
            if (row->timestamp_ms == first_row.timestamp_ms && row->id == first_row.id &&
                first_index < k)
                k = first_index;
            while (k-- > 0) {
                if (json_array_size(events) >= (size_t)limit || scanned >= LOOKUP_SCAN_MAX) {
                    snprintf(next_key, sizeof(next_key), "%" PRId64 ":%" PRId64 ":%zu",
                             row->timestamp_ms, row->id, k + 1);
                    stop = true;
                    break;
                }
                scanned++;
                const struct cloudtrail_line *line = &lines[k];
                if (line->time_ms < start_ms || line->time_ms >= end_excl ||
                    !lookup_keeps(&filter, line->json, line->len))
                    continue;
                json_t *entry = event_entry(line);
                if (entry)
                    json_array_append_new(events, entry);
            }
        }
        first_index = SIZE_MAX;
        if (!page.more)
            stop = true;
        from = page.last;
        store_log_page_release(&page);
    }
    free(lines);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
        return rc;
    }
    if (next_key[0]) {
        struct buf next = BUF_INIT;
        pagination_token_encode(&next, next_key);
        json_object_set_new(*out, "NextToken", json_string(next.data));
        buf_release(&next);
    }
    return 0;
}

/* In name order: the server finds entries by binary search. */
static const struct api_operation cloudtrail_operations[] = {
    {"LookupEvents", cloudtrail_lookup_events, NULL},
};

const struct api_service cloudtrail_api_service = {
    .name = "cloudtrail",
    .operations = cloudtrail_operations,
    .operation_count = ARRAY_SIZE(cloudtrail_operations),
};
