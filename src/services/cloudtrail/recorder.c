#include <pthread.h>
#include <stdatomic.h>

#include "base/common.h"
#include "services/cloudtrail/cloudtrail.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/ids.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "store/store.h"

/* How deep redaction follows nested values; deeper ones are hidden. */
#define REDACT_DEPTH_MAX 32
/* Longest user agent recorded (AWS records up to 1 KB of it). */
#define USER_AGENT_MAX 1024
/* How often the writer logs the count of records dropped. */
#define DROP_LOG_EVERY_MS 10000
/* Bytes a queued record weighs beyond its request body. */
#define ENTRY_OVERHEAD 1024

bool cloudtrail_read_only(const char *operation)
{
    static const char *const prefixes[] = {
        "BatchGet", "Describe", "Filter", "Get",      "Head", "List",
        "Lookup",   "Query",    "Search", "Simulate", "Test",
    };
    for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(operation, prefixes[i], n) == 0 &&
            (operation[n] == '\0' || (operation[n] >= 'A' && operation[n] <= 'Z')))
            return true;
    }
    return false;
}

bool cloudtrail_data_event(const struct model_service *svc, const struct model_operation *op)
{
    if (!op || strcmp(svc->name, "s3") != 0)
        return false;
    static const char *const listings[] = {"DeleteObjects", "ListMultipartUploads",
                                           "ListObjectVersions", "ListObjects", "ListObjectsV2"};
    for (size_t i = 0; i < ARRAY_SIZE(listings); i++)
        if (strcmp(op->name, listings[i]) == 0)
            return true;
    /* Object-level: the operation addresses a key. */
    return op->input && model_member_find(op->input, "Key", 3) != NULL;
}

void cloudtrail_scope(char out[CLOUDTRAIL_SCOPE_MAX], const char *account_id, const char *region)
{
    snprintf(out, CLOUDTRAIL_SCOPE_MAX, CLOUDTRAIL_SCOPE_PREFIX "%s/%s", account_id, region);
}

/* --- Records ------------------------------------------------------------- */

/*
 * Records are written as JSON text straight from the decoded values,
 * redacting on the way: no copy of the tree is made (the writer thread
 * builds tens of thousands of records a second).
 */

static bool shape_hidden(const struct model_shape *shape)
{
    return shape && ((shape->flags & SHAPE_F_SENSITIVE) || shape->type == SHAPE_BLOB);
}

static void write_hidden(struct buf *out)
{
    buf_adds(out, "\"" CLOUDTRAIL_HIDDEN "\"");
}

static void write_redacted(struct buf *out, const struct model_shape *shape, json_t *v, int depth);

/* A value without a shape (a document, a member the model does not name). */
static void write_plain(struct buf *out, json_t *v, int depth)
{
    write_redacted(out, NULL, v, depth);
}

/* AWS spells members lowerCamelCase in records: "UserName" -> "userName"
 * (a name starting with two capitals, "KMSKeyId", is kept). */
static void write_member_name(struct buf *out, const char *key)
{
    size_t len = strlen(key);
    char name[256];
    if (len >= 2 && len < sizeof(name) && key[0] >= 'A' && key[0] <= 'Z' &&
        !(key[1] >= 'A' && key[1] <= 'Z')) {
        memcpy(name, key, len + 1);
        name[0] = (char)(name[0] - 'A' + 'a');
        jsonw_string(out, name, len);
        return;
    }
    jsonw_string(out, key, len);
}

/*
 * Writes decoded value `v` of `shape`, with every sensitive value, every
 * blob and every streaming member written as CLOUDTRAIL_HIDDEN.
 */
static void write_redacted(struct buf *out, const struct model_shape *shape, json_t *v, int depth)
{
    if (!v) {
        buf_adds(out, "null");
        return;
    }
    if (shape_hidden(shape) || depth > REDACT_DEPTH_MAX) {
        write_hidden(out);
        return;
    }
    size_t raw_len;
    const char *raw = api_json_raw_text(v, &raw_len);
    if (raw) {
        /* Pre-encoded output: decoded again to be redacted like a tree. */
        json_t *parsed = json_loadb(raw, raw_len, JSON_DECODE_ANY, NULL);
        write_redacted(out, shape, parsed, depth + 1);
        json_decref(parsed);
        return;
    }
    if (shape && (shape->flags & SHAPE_F_DOCUMENT))
        shape = NULL;
    const char *key;
    json_t *value;
    size_t i, n = 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        bool structure = shape && shape->type == SHAPE_STRUCTURE;
        bool map = shape && shape->type == SHAPE_MAP;
        bool keys_hidden = map && shape->key && shape_hidden(shape->key->shape);
        buf_addch(out, '{');
        json_object_foreach(v, key, value)
        {
            if (n++)
                buf_addch(out, ',');
            const struct model_shape *value_shape = NULL;
            bool hidden = false;
            if (structure) {
                const struct model_member *m = model_member_find(shape, key, strlen(key));
                value_shape = m ? m->shape : NULL;
                hidden = m && (m->flags & MEMBER_F_STREAMING);
                write_member_name(out, key);
            } else if (keys_hidden) {
                buf_addf(out, "\"" CLOUDTRAIL_HIDDEN "_%zu\"", n - 1);
            } else {
                jsonw_cstr(out, key);
            }
            if (map && shape->value)
                value_shape = shape->value->shape;
            buf_addch(out, ':');
            if (hidden)
                write_hidden(out);
            else
                write_redacted(out, value_shape, value, depth + 1);
        }
        buf_addch(out, '}');
        return;
    }
    case JSON_ARRAY:
        buf_addch(out, '[');
        json_array_foreach(v, i, value)
        {
            if (i)
                buf_addch(out, ',');
            if (shape && shape->type == SHAPE_LIST && shape->member)
                write_redacted(out, shape->member->shape, value, depth + 1);
            else
                write_plain(out, value, depth + 1);
        }
        buf_addch(out, ']');
        return;
    case JSON_STRING:
        jsonw_string(out, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
        buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return;
    case JSON_REAL:
        jsonw_double(out, json_real_value(v));
        return;
    case JSON_TRUE:
        buf_adds(out, "true");
        return;
    case JSON_FALSE:
        buf_adds(out, "false");
        return;
    default:
        buf_adds(out, "null");
        return;
    }
}

/* `,"name":` without printf: records are written by the ten thousand. */
static void write_name(struct buf *out, const char *name)
{
    buf_adds(out, ",\"");
    buf_adds(out, name);
    buf_adds(out, "\":");
}

/* Writes `"name":` and the redacted `value`, or null (and notes it in
 * `omitted`) when its text would be longer than CLOUDTRAIL_ELEMENT_MAX. */
static void write_element(struct buf *out, struct buf *omitted, const char *name,
                          const struct model_shape *shape, json_t *value)
{
    write_name(out, name);
    size_t start = out->len;
    /* AWS records null for an operation without parameters or output. */
    if (json_is_object(value) && json_object_size(value) == 0)
        value = NULL;
    write_redacted(out, shape, value, 0);
    if (out->len - start > CLOUDTRAIL_ELEMENT_MAX) {
        buf_setlen(out, start);
        buf_adds(out, "null");
        buf_addf(omitted, "%s\"%sOmitted\":\"longer than 100 KB\"", omitted->len ? "," : "", name);
    }
}

static void write_field(struct buf *out, const char *name, const char *value)
{
    write_name(out, name);
    jsonw_cstr(out, value ? value : "");
}

/* The assumed role's name and session: ".../assumed-role/ROLE/SESSION". */
static void split_assumed_role(char *role, size_t role_size, const char *arn)
{
    const char *p = strstr(arn, ":assumed-role/");
    role[0] = '\0';
    if (!p)
        return;
    p += strlen(":assumed-role/");
    const char *slash = strchr(p, '/');
    if (slash)
        snprintf(role, role_size, "%.*s", (int)(slash - p), p);
}

static void write_user_identity(struct buf *out, const struct cloudtrail_call *call)
{
    const struct principal *p = call->principal;
    buf_adds(out, "\"userIdentity\":{");
    if (!p) {
        /* Authentication failed: only what the request claimed is known. */
        buf_adds(out, "\"type\":\"Unknown\"");
        write_field(out, "accountId", call->account_id);
        if (call->claimed_access_key_id && call->claimed_access_key_id[0])
            write_field(out, "accessKeyId", call->claimed_access_key_id);
        buf_addch(out, '}');
        return;
    }
    const char *type = p->type == PRINCIPAL_ROOT           ? "Root"
                       : p->type == PRINCIPAL_ASSUMED_ROLE ? "AssumedRole"
                                                           : "IAMUser";
    buf_addf(out, "\"type\":\"%s\"", type);
    write_field(out, "principalId", p->type == PRINCIPAL_ROOT ? p->account_id : p->user_id);
    write_field(out, "arn", p->arn);
    write_field(out, "accountId", p->account_id);
    write_field(out, "accessKeyId", p->access_key_id);
    if (p->type == PRINCIPAL_USER) {
        write_field(out, "userName", p->name);
        if (p->session_token_user)
            buf_adds(out, ",\"sessionContext\":{\"attributes\":{\"mfaAuthenticated\":\"false\"}}");
    } else if (p->type == PRINCIPAL_ASSUMED_ROLE) {
        char role[128];
        split_assumed_role(role, sizeof(role), p->arn);
        size_t id_len = strcspn(p->user_id, ":");
        buf_adds(out, ",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":");
        jsonw_string(out, p->user_id, id_len);
        write_field(out, "arn", p->role_arn);
        write_field(out, "accountId", p->account_id);
        write_field(out, "userName", role[0] ? role : p->name);
        buf_adds(out, "},\"webIdFederationData\":{},"
                      "\"attributes\":{\"mfaAuthenticated\":\"false\"}}");
    }
    buf_addch(out, '}');
}

void cloudtrail_record_text(struct buf *out, const struct cloudtrail_call *call,
                            const char *event_id)
{
    char when[TIME_TEXT_MAX];
    /* AWS stamps records to the second. */
    time_format_iso8601(when, call->time_ms - call->time_ms % 1000);
    bool read_only = cloudtrail_read_only(call->op->name);
    struct buf omitted = BUF_INIT;

    buf_adds(out, "{\"eventVersion\":\"1.08\",");
    write_user_identity(out, call);
    write_field(out, "eventTime", when);
    buf_adds(out, ",\"eventSource\":\"");
    buf_adds(out, call->service->signing_name ? call->service->signing_name : call->service->name);
    buf_adds(out, ".amazonaws.com\"");
    write_field(out, "eventName", call->op->name);
    write_field(out, "awsRegion", call->region);
    write_field(out, "sourceIPAddress", call->source_ip);
    buf_adds(out, ",\"userAgent\":");
    const char *agent = call->user_agent ? call->user_agent : "";
    jsonw_string(out, agent, strnlen(agent, USER_AGENT_MAX));
    if (call->error_code) {
        write_field(out, "errorCode", call->error_code);
        write_field(out, "errorMessage", call->error_message);
    }
    write_element(out, &omitted, "requestParameters", call->op->input, call->params);
    /* AWS records what a write returned; reads and failures record null. */
    write_element(out, &omitted, "responseElements", call->op->output,
                  read_only || call->error_code ? NULL : call->output);
    if (omitted.len)
        buf_addf(out, ",\"additionalEventData\":{%s}", omitted.data);
    buf_release(&omitted);
    write_field(out, "requestID", call->request_id);
    write_field(out, "eventID", event_id);
    buf_addf(out, ",\"readOnly\":%s", read_only ? "true" : "false");
    buf_adds(out, ",\"eventType\":\"AwsApiCall\",\"managementEvent\":true");
    write_field(out, "recipientAccountId", call->account_id);
    buf_adds(out, ",\"eventCategory\":\"Management\"}");
}

/* --- The queue and its writer -------------------------------------------- */

_Static_assert(CLOUDTRAIL_ROW_BYTES_MAX <= STORE_LOG_MESSAGE_MAX, "a batch row is one log event");

/*
 * One queued call: the call's strings copied, its values referenced. The
 * principal is kept as its strings (a struct principal is kilobytes of
 * fixed arrays, mostly empty) and rebuilt by the writer.
 */
struct trail_entry {
    struct trail_entry *next;
    size_t weight;
    uint64_t seq; /* queue order within a batch (writer only) */
    struct cloudtrail_call call;
    enum principal_type principal_type;
    bool has_principal;
    bool session_token_user;
    bool admin;
    char event_id[UUID_TEXT_LEN];
    char scope[CLOUDTRAIL_SCOPE_MAX];
    /* The strings `call` and the principal point to, one after another. */
    const char *principal_strings[6];
    char text[];
};

struct cloudtrail_recorder {
    struct store *store;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;    /* records arrived, or stop */
    pthread_cond_t written; /* `done` moved */
    struct trail_entry *head, **tail;
    size_t count, bytes;
    uint64_t queued, done;
    bool stopping;
    /* The writer sleeps on `wake`: only then is it worth a signal. */
    bool writer_waiting;
    /* Callers in cloudtrail_recorder_flush: the writer writes at once. */
    unsigned flushers;
    _Atomic uint64_t dropped;
    uint64_t dropped_logged;
    int64_t dropped_logged_ms;
    /* Scopes whose group and stream are known to exist (writer only). */
    char (*scopes)[CLOUDTRAIL_SCOPE_MAX];
    size_t scope_count;
};

static struct cloudtrail_recorder *default_recorder;

void cloudtrail_set_recorder(struct cloudtrail_recorder *rec)
{
    __atomic_store_n(&default_recorder, rec, __ATOMIC_RELEASE);
}

uint64_t cloudtrail_recorder_dropped(const struct cloudtrail_recorder *rec)
{
    return atomic_load(&rec->dropped);
}

/* Longest string copied from a call; longer ones are cut. */
#define STRING_MAX 4096

enum { CALL_STRINGS = 8, PRINCIPAL_STRINGS = 6 };

void cloudtrail_record(struct cloudtrail_recorder *rec, const struct cloudtrail_call *call)
{
    if (!rec || !call->op || cloudtrail_data_event(call->service, call->op))
        return;
    size_t weight = call->body_len + ENTRY_OVERHEAD;
    const struct principal *p = call->principal;
    /* Strings are bounded: a long one is cut (user agent, error message). */
    const char *strings[CALL_STRINGS + PRINCIPAL_STRINGS] = {
        call->claimed_access_key_id,
        call->account_id,
        call->region,
        call->source_ip,
        call->user_agent,
        call->request_id,
        call->error_code,
        call->error_message,
        p ? p->account_id : NULL,
        p ? p->arn : NULL,
        p ? p->user_id : NULL,
        p ? p->access_key_id : NULL,
        p ? p->name : NULL,
        p ? p->role_arn : NULL,
    };
    size_t lens[ARRAY_SIZE(strings)];
    size_t size = 0;
    for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
        lens[i] = strings[i] ? strnlen(strings[i], STRING_MAX) : 0;
        size += strings[i] ? lens[i] + 1 : 0;
    }
    struct trail_entry *e = xmalloc(sizeof(*e) + size);
    char *cursor = e->text;
    const char *copies[ARRAY_SIZE(strings)];
    for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
        if (!strings[i]) {
            copies[i] = NULL;
            continue;
        }
        memcpy(cursor, strings[i], lens[i]);
        cursor[lens[i]] = '\0';
        copies[i] = cursor;
        cursor += lens[i] + 1;
    }
    e->next = NULL;
    e->weight = weight;
    e->call = *call;
    e->call.claimed_access_key_id = copies[0];
    e->call.account_id = copies[1];
    e->call.region = copies[2];
    e->call.source_ip = copies[3];
    e->call.user_agent = copies[4];
    e->call.request_id = copies[5];
    e->call.error_code = copies[6];
    e->call.error_message = copies[7];
    e->call.principal = NULL;
    e->has_principal = p != NULL;
    if (p) {
        e->principal_type = p->type;
        e->session_token_user = p->session_token_user;
        e->admin = p->admin;
        for (size_t i = 0; i < PRINCIPAL_STRINGS; i++)
            e->principal_strings[i] = copies[CALL_STRINGS + i];
    }
    e->call.params = json_incref(call->params);
    /* Reads record no responseElements: their output is not kept. */
    e->call.output =
        cloudtrail_read_only(call->op->name) || call->error_code ? NULL : json_incref(call->output);

    pthread_mutex_lock(&rec->lock);
    bool full = rec->stopping || rec->count >= CLOUDTRAIL_QUEUE_MAX ||
                rec->bytes + weight > CLOUDTRAIL_QUEUE_BYTES_MAX;
    bool wake = false;
    if (!full) {
        *rec->tail = e;
        rec->tail = &e->next;
        rec->count++;
        rec->bytes += weight;
        rec->queued++;
        wake = rec->writer_waiting;
        rec->writer_waiting = false; /* one signal is enough */
    }
    pthread_mutex_unlock(&rec->lock);
    if (wake)
        pthread_cond_signal(&rec->wake);
    if (full) {
        atomic_fetch_add(&rec->dropped, 1);
        json_decref(e->call.params);
        json_decref(e->call.output);
        free(e);
    }
}

static void entry_free(struct trail_entry *e)
{
    json_decref(e->call.params);
    json_decref(e->call.output);
    free(e);
}

/* Rebuilds the entry's principal into `p` (the writer's scratch). */
static void entry_principal(struct principal *p, const struct trail_entry *e)
{
    char *fields[PRINCIPAL_STRINGS] = {p->account_id,    p->arn,  p->user_id,
                                       p->access_key_id, p->name, p->role_arn};
    size_t sizes[PRINCIPAL_STRINGS] = {sizeof(p->account_id), sizeof(p->arn),
                                       sizeof(p->user_id),    sizeof(p->access_key_id),
                                       sizeof(p->name),       sizeof(p->role_arn)};
    p->type = e->principal_type;
    p->session_token_user = e->session_token_user;
    p->admin = e->admin;
    for (size_t i = 0; i < PRINCIPAL_STRINGS; i++)
        snprintf(fields[i], sizes[i], "%s", e->principal_strings[i] ? e->principal_strings[i] : "");
}

/* Creates the scope's group and stream unless they are known to exist. */
static int ensure_scope(struct cloudtrail_recorder *rec, struct store_tx *tx, const char *scope)
{
    for (size_t i = 0; i < rec->scope_count; i++)
        if (strcmp(rec->scopes[i], scope) == 0)
            return 0;
    struct store_log_group group;
    int rc = store_log_group_get(&group, rec->store, tx, scope, CLOUDTRAIL_GROUP);
    if (rc == ERR_NOT_FOUND) {
        if ((rc = store_log_group_create(rec->store, tx, scope, CLOUDTRAIL_GROUP)) < 0 ||
            (rc = store_log_group_set_retention(rec->store, tx, scope, CLOUDTRAIL_GROUP,
                                                CLOUDTRAIL_RETENTION_DAYS)) < 0 ||
            (rc = store_log_stream_create(rec->store, tx, scope, CLOUDTRAIL_GROUP,
                                          CLOUDTRAIL_STREAM)) < 0)
            return rc;
    } else if (rc < 0) {
        return rc;
    }
    return 0;
}

static void remember_scope(struct cloudtrail_recorder *rec, const char *scope)
{
    for (size_t i = 0; i < rec->scope_count; i++)
        if (strcmp(rec->scopes[i], scope) == 0)
            return;
    rec->scopes = xrealloc(rec->scopes, (rec->scope_count + 1) * sizeof(*rec->scopes));
    snprintf(rec->scopes[rec->scope_count++], CLOUDTRAIL_SCOPE_MAX, "%s", scope);
}

/* Scope, then time, then queue order. */
static int entry_cmp(const void *a, const void *b)
{
    const struct trail_entry *x = *(struct trail_entry *const *)a;
    const struct trail_entry *y = *(struct trail_entry *const *)b;
    int c = strcmp(x->scope, y->scope);
    if (c)
        return c;
    if (x->call.time_ms != y->call.time_ms)
        return x->call.time_ms < y->call.time_ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A batch row being built: bytes [start, end) of the writer's text. */
struct row {
    size_t start, end;
    int64_t first_ms, last_ms;
};

struct writer_scratch {
    struct principal principal;
    struct buf text; /* the rows of one scope, one after another */
    struct row *rows;
    size_t row_cap;
    struct store_log_input *inputs;
    size_t input_cap;
};

/* Appends record line "TIME_MS JSON" for `e` to the scratch text. */
static void write_line(struct writer_scratch *w, const struct trail_entry *e)
{
    struct cloudtrail_call call = e->call;
    if (e->has_principal) {
        entry_principal(&w->principal, e);
        call.principal = &w->principal;
    }
    buf_addf(&w->text, "%" PRId64 " ", call.time_ms);
    cloudtrail_record_text(&w->text, &call, e->event_id);
}

/*
 * Appends the records of one scope (sorted by time) as batch rows: each
 * row holds whole record lines, at most CLOUDTRAIL_ROW_BYTES_MAX bytes,
 * whose times lie within CLOUDTRAIL_ROW_SPAN_MS of each other; the row is
 * stamped with its newest record's time.
 */
static int append_scope(struct cloudtrail_recorder *rec, struct store_tx *tx,
                        struct writer_scratch *w, struct trail_entry **entries, size_t n)
{
    const char *scope = entries[0]->scope;
    int rc = ensure_scope(rec, tx, scope);
    if (rc < 0)
        return rc;
    buf_reset(&w->text);
    size_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        size_t before = w->text.len;
        if (rows)
            buf_addch(&w->text, '\n');
        write_line(w, entries[i]);
        int64_t t = entries[i]->call.time_ms;
        struct row *r = rows ? &w->rows[rows - 1] : NULL;
        if (r && (w->text.len - r->start > CLOUDTRAIL_ROW_BYTES_MAX ||
                  t - r->first_ms > CLOUDTRAIL_ROW_SPAN_MS)) {
            /* Starts a new row with this record, without the separator. */
            size_t line = before + 1, len = w->text.len - line;
            memmove(w->text.data + before, w->text.data + line, len);
            buf_setlen(&w->text, before + len);
            r = NULL;
        }
        if (!r) {
            if (rows == w->row_cap) {
                w->row_cap = w->row_cap ? 2 * w->row_cap : 16;
                w->rows = xrealloc(w->rows, w->row_cap * sizeof(*w->rows));
            }
            r = &w->rows[rows++];
            r->start = before;
            r->first_ms = t;
        }
        r->end = w->text.len;
        r->last_ms = t;
    }
    if (rows > w->input_cap) {
        w->input_cap = rows;
        w->inputs = xrealloc(w->inputs, rows * sizeof(*w->inputs));
    }
    for (size_t i = 0; i < rows; i++)
        w->inputs[i] = (struct store_log_input){.timestamp_ms = w->rows[i].last_ms,
                                                .message = w->text.data + w->rows[i].start,
                                                .message_len = w->rows[i].end - w->rows[i].start};
    for (size_t done = 0; done < rows && rc == 0; done += STORE_LOG_BATCH_MAX) {
        size_t count = rows - done < STORE_LOG_BATCH_MAX ? rows - done : STORE_LOG_BATCH_MAX;
        rc = store_log_append(NULL, rec->store, tx, scope, CLOUDTRAIL_GROUP, CLOUDTRAIL_STREAM,
                              w->inputs + done, count);
    }
    return rc;
}

/* Appends a batch in one transaction, as a few rows per scope. */
static int write_batch(struct cloudtrail_recorder *rec, struct writer_scratch *w,
                       struct trail_entry **entries, size_t n)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    int rc = store_tx_begin(&tx, rec->store);
    for (size_t i = 0; rc == 0 && i < n;) {
        size_t j = i + 1;
        while (j < n && strcmp(entries[j]->scope, entries[i]->scope) == 0)
            j++;
        rc = append_scope(rec, tx, w, entries + i, j - i);
        i = j;
    }
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0)
        for (size_t i = 0; i < n; i++)
            remember_scope(rec, entries[i]->scope);
    return rc;
}

/* A version 4 UUID from 16 random bytes. */
static void uuid_text(char out[UUID_TEXT_LEN], const uint8_t *random)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t b[16];
    memcpy(b, random, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    char *o = out;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
}

static void *writer_main(void *arg)
{
    struct cloudtrail_recorder *rec = arg;
    struct trail_entry **batch = xcalloc(CLOUDTRAIL_BATCH_MAX, sizeof(*batch));
    struct writer_scratch *w = xcalloc(1, sizeof(*w));
    uint8_t *random = xmalloc(CLOUDTRAIL_BATCH_MAX * 16);
    buf_init(&w->text);
    pthread_mutex_lock(&rec->lock);
    for (;;) {
        while (!rec->head && !rec->stopping) {
            rec->writer_waiting = true;
            pthread_cond_wait(&rec->wake, &rec->lock);
            rec->writer_waiting = false;
        }
        if (!rec->head)
            break; /* stopping, and everything is written */
        if (!rec->stopping && !rec->flushers && rec->count < CLOUDTRAIL_BATCH_MAX) {
            /* Lets a few more records come, so that a commit (and its
             * sync) serves many: not when stopping or asked to flush. */
            pthread_mutex_unlock(&rec->lock);
            struct timespec pause = {0, CLOUDTRAIL_COALESCE_MS * 1000 * 1000};
            nanosleep(&pause, NULL);
            pthread_mutex_lock(&rec->lock);
        }
        size_t n = 0;
        while (rec->head && n < CLOUDTRAIL_BATCH_MAX) {
            struct trail_entry *e = rec->head;
            rec->head = e->next;
            rec->count--;
            rec->bytes -= e->weight;
            batch[n++] = e;
        }
        if (!rec->head)
            rec->tail = &rec->head;
        pthread_mutex_unlock(&rec->lock);

        /* One call for the randomness of every event id of the batch. */
        random_bytes(random, n * 16);
        for (size_t i = 0; i < n; i++) {
            struct trail_entry *e = batch[i];
            e->seq = i;
            uuid_text(e->event_id, random + i * 16);
            cloudtrail_scope(e->scope, e->call.account_id, e->call.region);
        }
        qsort(batch, n, sizeof(*batch), entry_cmp);
        int rc = write_batch(rec, w, batch, n);
        if (rc < 0) {
            /* Once more, after a pause: a busy database is the usual cause. */
            struct timespec pause = {0, 50 * 1000 * 1000};
            nanosleep(&pause, NULL);
            rc = write_batch(rec, w, batch, n);
        }
        if (rc < 0) {
            log_error("cloudtrail", "cannot record %zu events: %s", n, err_msg());
            atomic_fetch_add(&rec->dropped, n);
        }
        for (size_t i = 0; i < n; i++)
            entry_free(batch[i]);
        /* At most one line every DROP_LOG_EVERY_MS, however many go. */
        uint64_t dropped = atomic_load(&rec->dropped);
        int64_t now = clock_mono_ns() / 1000000;
        if (dropped != rec->dropped_logged &&
            (!rec->dropped_logged_ms || now - rec->dropped_logged_ms >= DROP_LOG_EVERY_MS)) {
            rec->dropped_logged_ms = now;
            log_warn("cloudtrail",
                     "%" PRIu64 " events not recorded so far (queue full or store "
                     "errors)",
                     dropped);
            rec->dropped_logged = dropped;
        }

        pthread_mutex_lock(&rec->lock);
        rec->done += n;
        pthread_cond_broadcast(&rec->written);
    }
    pthread_mutex_unlock(&rec->lock);
    buf_release(&w->text);
    free(w->rows);
    free(w->inputs);
    free(w);
    free(random);
    free(batch);
    return NULL;
}

int cloudtrail_recorder_new(struct cloudtrail_recorder **out, struct store *store)
{
    struct cloudtrail_recorder *rec = xcalloc(1, sizeof(*rec));
    rec->store = store;
    rec->tail = &rec->head;
    pthread_mutex_init(&rec->lock, NULL);
    pthread_cond_init(&rec->wake, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&rec->written, &attr);
    pthread_condattr_destroy(&attr);
    int rc = pthread_create(&rec->thread, NULL, writer_main, rec);
    if (rc != 0) {
        pthread_cond_destroy(&rec->written);
        pthread_cond_destroy(&rec->wake);
        pthread_mutex_destroy(&rec->lock);
        free(rec);
        errno = rc;
        return err_set_errno(ERR_INTERNAL, "cannot start the CloudTrail writer");
    }
    *out = rec;
    return 0;
}

int cloudtrail_recorder_flush(struct cloudtrail_recorder *rec, int64_t timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (timeout_ms % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    int rc = 0;
    pthread_mutex_lock(&rec->lock);
    uint64_t target = rec->queued;
    rec->flushers++;
    while (rec->done < target) {
        if (pthread_cond_timedwait(&rec->written, &rec->lock, &deadline) == ETIMEDOUT) {
            rc = err_set(ERR_TIMEOUT, "cloudtrail events are still being written");
            break;
        }
    }
    rec->flushers--;
    pthread_mutex_unlock(&rec->lock);
    return rc;
}

void cloudtrail_recorder_free(struct cloudtrail_recorder *rec)
{
    if (!rec)
        return;
    if (__atomic_load_n(&default_recorder, __ATOMIC_ACQUIRE) == rec)
        cloudtrail_set_recorder(NULL);
    pthread_mutex_lock(&rec->lock);
    rec->stopping = true;
    pthread_cond_signal(&rec->wake);
    pthread_mutex_unlock(&rec->lock);
    pthread_join(rec->thread, NULL);
    uint64_t dropped = atomic_load(&rec->dropped);
    if (dropped)
        log_warn("cloudtrail", "%" PRIu64 " events were not recorded", dropped);
    pthread_cond_destroy(&rec->written);
    pthread_cond_destroy(&rec->wake);
    pthread_mutex_destroy(&rec->lock);
    free(rec->scopes);
    free(rec);
}

struct cloudtrail_recorder *cloudtrail_recorder_get(void)
{
    return __atomic_load_n(&default_recorder, __ATOMIC_ACQUIRE);
}
