#include "base/common.h"
#include "services/logs/logs.h"
#include "services/logs/filter_pattern.h"
#include "services/logs/logs_internal.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/clock.h"
#include "base/jsonw.h"

#include <ctype.h>

/* ---- tokens ---------------------------------------------------------------------- */

/*
 * GetLogEvents tokens look like AWS's: "f/" or "b/", 56 digits, "/s". The
 * digits are a position, (timestamp, id) as 19 digits each, and an 18-digit
 * check over the position, direction and stream, so a token from another
 * stream (or made up) is refused instead of read from a wrong place.
 */
#define TOKEN_DIGITS 56
#define CHECK_MOD    1000000000000000000ULL

static uint64_t token_check(const char *scope, const char *group, const char *stream, char dir,
                            struct store_log_pos pos)
{
    uint64_t h = 14695981039346656037ull;
    const char *parts[] = {scope, group, stream};
    for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
        for (const char *p = parts[i]; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
    }
    h = (h ^ (unsigned char)dir) * 1099511628211ull;
    uint64_t values[] = {(uint64_t)pos.timestamp_ms, (uint64_t)pos.id};
    for (size_t i = 0; i < ARRAY_SIZE(values); i++)
        for (int b = 0; b < 8; b++)
            h = (h ^ ((values[i] >> (8 * b)) & 0xff)) * 1099511628211ull;
    return h % CHECK_MOD;
}

static json_t *token_make(const char *scope, const char *group, const char *stream, char dir,
                          struct store_log_pos pos)
{
    char text[TOKEN_DIGITS + 8];
    snprintf(text, sizeof(text), "%c/%019" PRId64 "%019" PRId64 "%018" PRIu64 "/s", dir,
             pos.timestamp_ms, pos.id, token_check(scope, group, stream, dir, pos));
    return json_string(text);
}

static bool digits_value(int64_t *out, const char *s, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > INT64_MAX)
        return false;
    *out = (int64_t)v;
    return true;
}

static int token_parse(char *dir, struct store_log_pos *pos, struct api_call *call,
                       const char *scope, const char *group, const char *stream, const char *token)
{
    size_t len = strlen(token);
    int64_t check = 0;
    if ((len == TOKEN_DIGITS + 2 ||
         (len == TOKEN_DIGITS + 4 && strcmp(token + len - 2, "/s") == 0)) &&
        (token[0] == 'f' || token[0] == 'b') && token[1] == '/' &&
        digits_value(&pos->timestamp_ms, token + 2, 19) && digits_value(&pos->id, token + 21, 19) &&
        digits_value(&check, token + 40, 18) &&
        (uint64_t)check == token_check(scope, group, stream, token[0], *pos)) {
        *dir = token[0];
        return 0;
    }
    return logs_invalid(call, "The specified nextToken is invalid.");
}

/* ---- PutLogEvents ------------------------------------------------------------------ */

static int names_check(const char *group, const char *stream)
{
    size_t glen = strlen(group ?: ""), slen = strlen(stream ?: "");
    if (glen == 0 || glen > 512 || slen == 0 || slen > 512 * 4)
        return err_set(ERR_INVALID, "log group or stream name of %zu / %zu bytes is out of range",
                       glen, slen);
    for (const char *p = group; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-/#", *p))
            return err_set(ERR_INVALID,
                           "log group name '%s' has a character outside "
                           "[.-_/#A-Za-z0-9]",
                           group);
    if (strpbrk(stream, ":*"))
        return err_set(ERR_INVALID, "log stream name '%s' has ':' or '*'", stream);
    return 0;
}

/* Appends inside `tx`, creating the group and stream first when asked to. */
static int append_in(int64_t *uploads, struct store *st, struct store_tx *tx, const char *scope,
                     const char *group, const char *stream, const struct store_log_input *events,
                     size_t count, bool create_missing, int64_t now_ms)
{
    int rc = store_log_append(uploads, st, tx, scope, group, stream, events, count);
    if (rc != ERR_NOT_FOUND || !create_missing)
        return rc;
    struct store_log_group g;
    if ((rc = store_log_group_get(&g, st, tx, scope, group)) == ERR_NOT_FOUND) {
        json_t *rec = logs_group_record_new(group, now_ms);
        rc = logs_group_insert(st, tx, scope, group, rec);
        json_decref(rec);
    }
    if (rc < 0)
        return rc;
    rc = store_log_stream_create(st, tx, scope, group, stream);
    if (rc < 0 && rc != ERR_EXISTS)
        return rc;
    return store_log_append(uploads, st, tx, scope, group, stream, events, count);
}

int logs_append(struct store *st, const char *account_id, const char *region, const char *group,
                const char *stream, const struct logs_event *events, size_t count,
                bool create_missing)
{
    int rc;
    if (!st || !account_id || !region)
        return err_set(ERR_INVALID, "logs_append needs a store, an account and a region");
    if ((rc = names_check(group, stream)) < 0)
        return rc;
    if (count == 0 || !events)
        return err_set(ERR_INVALID, "no log events to append to '%s'", stream);
    if (count > LOGS_APPEND_MAX)
        return err_set(ERR_LIMIT, "%zu log events are more than %d in one append", count,
                       LOGS_APPEND_MAX);

    struct store_log_input *input = xmalloc(count * sizeof(*input));
    for (size_t i = 0; i < count; i++)
        input[i] = (struct store_log_input){events[i].timestamp_ms, events[i].message,
                                            events[i].message_len};
    char scope[LOGS_SCOPE_MAX];
    snprintf(scope, sizeof(scope), "%s/%s", account_id, region);
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    if ((rc = store_tx_begin(&tx, st)) == 0 &&
        (rc = append_in(NULL, st, tx, scope, group, stream, input, count, create_missing,
                        clock_now_ms())) == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    free(input);
    return rc;
}

int logs_retention_task(void *store, int64_t now_ms)
{
    size_t count = 0;
    int rc = store_log_expire(&count, store, NULL, now_ms, LOGS_RETENTION_BATCH);
    if (rc < 0)
        return rc;
    return count == LOGS_RETENTION_BATCH ? 1 : 0;
}

/* Where each event of a batch falls by AWS's time windows. */
struct batch_windows {
    size_t too_old_end; /* events [0, too_old_end) are older than 14 days */
    size_t expired_end; /* events [too_old_end, expired_end) precede the retention */
    size_t too_new_at;  /* events [too_new_at, n) are more than 2 hours ahead */
};

static void batch_classify(struct batch_windows *w, const struct store_log_input *events, size_t n,
                           int64_t now_ms, int retention_days)
{
    *w = (struct batch_windows){0, 0, n};
    int64_t too_old = now_ms - LOGS_PAST_MAX_MS;
    int64_t expired = retention_days ? now_ms - (int64_t)retention_days * 86400000LL : INT64_MIN;
    int64_t too_new = now_ms + LOGS_FUTURE_MAX_MS;
    /* The batch is in chronological order, so each window is a run. */
    for (size_t i = 0; i < n; i++) {
        int64_t ts = events[i].timestamp_ms;
        if (ts < too_old)
            w->too_old_end = i + 1;
        else if (ts < expired)
            w->expired_end = i + 1;
        else if (ts > too_new && w->too_new_at == n)
            w->too_new_at = i;
    }
    if (w->expired_end < w->too_old_end)
        w->expired_end = w->too_old_end;
}

int logs_put_log_events(struct api_call *call, json_t *in, json_t **out)
{
    const char *group = logs_str(in, "logGroupName");
    const char *stream = logs_str(in, "logStreamName");
    json_t *list = json_object_get(in, "logEvents");
    int rc = logs_authorize_stream(call, group, stream);
    if (rc < 0)
        return rc;

    size_t n = json_array_size(list), total = 0;
    if (n == 0)
        return logs_invalid(call, "Log events must not be empty.");
    struct store_log_input *events = xmalloc(n * sizeof(*events));
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(list, i);
        json_t *msg = json_object_get(e, "message");
        events[i] = (struct store_log_input){logs_int(e, "timestamp", 0), json_string_value(msg),
                                             json_string_length(msg)};
        size_t size = events[i].message_len + LOGS_EVENT_OVERHEAD;
        if (size > LOGS_EVENT_BYTES_MAX) {
            free(events);
            return logs_invalid(call, "Log event too large: %zu bytes exceeds limit of %d", size,
                                LOGS_EVENT_BYTES_MAX);
        }
        total += size;
    }
    if (total > LOGS_BATCH_BYTES_MAX) {
        free(events);
        return logs_invalid(call, "Upload too large: %zu bytes exceeds limit of %d", total,
                            LOGS_BATCH_BYTES_MAX);
    }
    for (size_t i = 1; i < n; i++)
        if (events[i].timestamp_ms < events[i - 1].timestamp_ms) {
            free(events);
            return logs_invalid(call, "Log events in a single PutLogEvents request must be in "
                                      "chronological order.");
        }

    char scope[LOGS_SCOPE_MAX];
    logs_scope(scope, call);
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    struct store_log_group g;
    struct store_log_stream s = {0};
    struct batch_windows w;
    int64_t uploads = 0;
    if ((rc = store_tx_begin(&tx, call->store)) < 0 ||
        (rc = logs_not_found_as(call, store_log_group_get(&g, call->store, tx, scope, group),
                                false)) < 0 ||
        (rc = logs_not_found_as(
             call, store_log_stream_get(&s, call->store, tx, scope, group, stream), true)) < 0)
        goto done;
    uploads = s.upload_count;
    batch_classify(&w, events, n, call->now_ms, g.retention_days);
    size_t first = w.expired_end, end = w.too_new_at;
    if (first < end) {
        if (events[end - 1].timestamp_ms - events[first].timestamp_ms > LOGS_BATCH_SPAN_MAX_MS) {
            rc = logs_invalid(call, "The batch of log events in a single PutLogEvents request "
                                    "cannot span more than 24 hours.");
            goto done;
        }
        if ((rc = store_log_append(&uploads, call->store, tx, scope, group, stream, events + first,
                                   end - first)) < 0)
            goto done;
    }
    if ((rc = store_tx_commit(TAKE_PTR(tx))) < 0)
        goto done;

    char token[64];
    snprintf(token, sizeof(token), "%056" PRId64, uploads);
    *out = json_pack("{s:s}", "nextSequenceToken", token);
    if (w.too_old_end || w.expired_end > w.too_old_end || w.too_new_at < n) {
        json_t *info = json_object();
        if (w.too_new_at < n)
            json_object_set_new(info, "tooNewLogEventStartIndex",
                                json_integer((json_int_t)w.too_new_at));
        if (w.too_old_end)
            json_object_set_new(info, "tooOldLogEventEndIndex",
                                json_integer((json_int_t)w.too_old_end));
        if (w.expired_end > w.too_old_end)
            json_object_set_new(info, "expiredLogEventEndIndex",
                                json_integer((json_int_t)w.expired_end));
        json_object_set_new(*out, "rejectedLogEventsInfo", info);
    }
done:
    store_log_stream_release(&s);
    free(events);
    return rc;
}

/* ---- GetLogEvents ------------------------------------------------------------------ */

/* A FilteredLogEvent's eventId: the position as 19 + 19 digits, then 18 zeros. */
#define EVENT_ID_DIGITS 56

/* `v` in exactly `width` decimal digits, zero-padded (v >= 0, < 10^width). */
static void digits_padded(char *out, uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

static void event_id_text(char out[EVENT_ID_DIGITS + 1], const struct store_log_event *e)
{
    /* The store's positions are never negative; snprintf keeps a broken
     * one visible rather than wrapped. */
    if (e->timestamp_ms < 0 || e->id < 0) {
        snprintf(out, EVENT_ID_DIGITS + 1, "%019" PRId64 "%019" PRId64 "%018d", e->timestamp_ms,
                 e->id, 0);
        return;
    }
    digits_padded(out, (uint64_t)e->timestamp_ms, 19);
    digits_padded(out + 19, (uint64_t)e->id, 19);
    memset(out + 38, '0', 18);
    out[EVENT_ID_DIGITS] = '\0';
}

/*
 * The events of a page as OutputLogEvents (or, with `filtered`,
 * FilteredLogEvents). A page holds up to 10,000 events, so this is the
 * hot path of reads: objects are built member by member rather than with
 * json_pack(), and messages, valid UTF-8 by the store's contract, are not
 * checked again. Used for calls made in process; calls from the wire get
 * events_raw()'s text instead.
 */
static json_t *events_out(const struct store_log_page *page, bool filtered)
{
    json_t *list = json_array();
    for (size_t i = 0; i < page->len; i++) {
        const struct store_log_event *e = &page->items[i];
        json_t *o = json_object();
        if (filtered)
            json_object_set_new_nocheck(o, "logStreamName",
                                        json_string_nocheck(e->stream ? e->stream : ""));
        json_object_set_new_nocheck(o, "timestamp", json_integer(e->timestamp_ms));
        json_object_set_new_nocheck(o, "message", json_stringn_nocheck(e->message, e->message_len));
        json_object_set_new_nocheck(o, "ingestionTime", json_integer(e->ingested_ms));
        if (filtered) {
            char id[EVENT_ID_DIGITS + 1];
            event_id_text(id, e);
            json_object_set_new_nocheck(o, "eventId", json_string_nocheck(id));
        }
        json_array_append_new(list, o);
    }
    return list;
}

/* Writes `v` in decimal at `p`; returns the end (at most 20 bytes). Two
 * digits a step, straight into place: 20,000 of these make a page. */
static char *put_int64(char *p, int64_t v)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233"
        "34353637383940414243444546474849505152535455565758596061626364656667"
        "6869707172737475767778798081828384858687888990919293949596979899";
    if (v < 0)
        *p++ = '-';
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t n = 1;
    for (uint64_t bound = 10; n < 20 && u >= bound; bound *= 10)
        n++;
    char *end = p + n, *q = end;
    while (u >= 100) {
        q -= 2;
        memcpy(q, pairs + 2 * (u % 100), 2);
        u /= 100;
    }
    if (u >= 10) {
        q -= 2;
        memcpy(q, pairs + 2 * u, 2);
    } else {
        *--q = (char)('0' + u);
    }
    return end;
}

static char *put_text(char *p, const char *s, size_t len)
{
    memcpy(p, s, len);
    return p + len;
}
#define PUT_LITERAL(p, s) put_text(p, s, sizeof(s) - 1)

/* The fixed parts of an event around the strings: at most this many bytes. */
#define EVENT_FIXED_MAX 160

/*
 * The same list as JSON text, written straight from the page into one
 * buffer: the encoder's output for events_out()'s tree, byte for byte,
 * without a jansson object per event (api_json_raw(); debug builds compare
 * the two on every call). Members go in the model's order, which is
 * alphabetical: eventId, ingestionTime, logStreamName, message, timestamp;
 * timestamp and ingestionTime are longs (epoch milliseconds) in the model,
 * written as integers. Between the strings, the fixed parts go straight
 * into the buffer's room.
 */
static json_t *events_raw(const struct store_log_page *page, bool filtered)
{
    struct buf text = BUF_INIT;
    /* Messages plus members, keys and numbers; escapes may need more. */
    size_t size = 2;
    for (size_t i = 0; i < page->len; i++)
        size += page->items[i].message_len + (filtered ? 192 : 64);
    buf_grow(&text, size);
    buf_addch(&text, '[');
    for (size_t i = 0; i < page->len; i++) {
        const struct store_log_event *e = &page->items[i];
        buf_grow(&text, EVENT_FIXED_MAX);
        char *p = text.data + text.len;
        if (i)
            *p++ = ',';
        if (filtered) {
            p = PUT_LITERAL(p, "{\"eventId\":\"");
            event_id_text(p, e);
            p += EVENT_ID_DIGITS;
            p = PUT_LITERAL(p, "\",\"ingestionTime\":");
            p = put_int64(p, e->ingested_ms);
            p = PUT_LITERAL(p, ",\"logStreamName\":");
            buf_setlen(&text, (size_t)(p - text.data));
            jsonw_cstr(&text, e->stream ? e->stream : "");
            buf_grow(&text, EVENT_FIXED_MAX);
            p = text.data + text.len;
            p = PUT_LITERAL(p, ",\"message\":");
        } else {
            p = PUT_LITERAL(p, "{\"ingestionTime\":");
            p = put_int64(p, e->ingested_ms);
            p = PUT_LITERAL(p, ",\"message\":");
        }
        buf_setlen(&text, (size_t)(p - text.data));
        jsonw_string(&text, e->message, e->message_len);
        buf_grow(&text, EVENT_FIXED_MAX);
        p = text.data + text.len;
        p = PUT_LITERAL(p, ",\"timestamp\":");
        p = put_int64(p, e->timestamp_ms);
        *p++ = '}';
        buf_setlen(&text, (size_t)(p - text.data));
    }
    buf_addch(&text, ']');
    return api_json_raw(&text);
}

/* The `events` member of the call's output. */
static json_t *events_value(const struct api_call *call, const struct store_log_page *page,
                            bool filtered)
{
    return api_call_takes_raw_json(call) ? events_raw(page, filtered) : events_out(page, filtered);
}

int logs_get_log_events(struct api_call *call, json_t *in, json_t **out)
{
    struct buf storage = BUF_INIT;
    const char *group;
    const char *stream = logs_str(in, "logStreamName");
    int rc = logs_group_param(&group, &storage, call, in);
    if (rc == 0)
        rc = logs_authorize_stream(call, group, stream);
    if (rc < 0) {
        buf_release(&storage);
        return rc;
    }

    char scope[LOGS_SCOPE_MAX];
    logs_scope(scope, call);
    int64_t limit = logs_int(in, "limit", LOGS_EVENTS_LIMIT_MAX);
    json_t *end_time = json_object_get(in, "endTime");
    struct store_log_read_query q = {
        .scope = scope,
        .group = group,
        .stream = stream,
        .start_ms = logs_int(in, "startTime", 0),
        .end_ms = logs_int(in, "endTime", 0),
        .limit = (size_t)limit,
        .max_bytes = LOGS_PAGE_BYTES_MAX,
    };
    const char *token = logs_str(in, "nextToken");
    char dir = logs_bool(in, "startFromHead") ? 'f' : 'b';
    bool tokened = token != NULL;
    if (limit < 1 || limit > LOGS_EVENTS_LIMIT_MAX)
        rc = logs_invalid(call,
                          "1 validation error detected: Value '%" PRId64
                          "' at 'limit' failed to satisfy constraint: Member must have "
                          "value less than or equal to %d",
                          limit, LOGS_EVENTS_LIMIT_MAX);
    else if (token)
        rc = token_parse(&dir, &q.from, call, scope, group, stream, token);
    else if (dir == 'b')
        q.from = (struct store_log_pos){INT64_MAX, INT64_MAX};
    q.backward = dir == 'b';

    struct store_log_page page = {0};
    /* endTime is exclusive: an empty range reads nothing, but the stream
     * must still exist. */
    bool empty_range = json_is_integer(end_time) && q.end_ms <= q.start_ms;
    if (rc == 0 && empty_range) {
        struct store_log_stream s;
        rc = store_log_stream_get(&s, call->store, NULL, scope, group, stream);
        store_log_stream_release(&s);
        rc = logs_not_found_as(call, rc, true);
    } else if (rc == 0) {
        rc = logs_not_found_as(call, store_log_read(&page, call->store, NULL, &q), true);
    }
    if (rc == 0) {
        /* The next page either way starts beyond the events returned; with
         * none, the same token comes back (and, without a token, the
         * stream's start, so reading forward from it finds what comes). */
        struct store_log_pos first = q.from, last = q.from;
        if (page.len) {
            first = (struct store_log_pos){page.items[0].timestamp_ms, page.items[0].id};
            last = (struct store_log_pos){page.items[page.len - 1].timestamp_ms,
                                          page.items[page.len - 1].id};
        } else if (!tokened) {
            first = last = (struct store_log_pos){0, 0};
        }
        *out = json_pack("{s:o, s:o, s:o}", "events", events_value(call, &page, false),
                         "nextForwardToken", token_make(scope, group, stream, 'f', last),
                         "nextBackwardToken", token_make(scope, group, stream, 'b', first));
        if (tokened && page.len == 0)
            json_object_set_new(*out, dir == 'f' ? "nextForwardToken" : "nextBackwardToken",
                                json_string(token));
    }
    store_log_page_release(&page);
    buf_release(&storage);
    return rc;
}

/* ---- FilterLogEvents --------------------------------------------------------------- */

static bool pattern_keeps(void *ctx, const char *message, size_t len)
{
    return filter_pattern_match(ctx, message, len);
}

/* A FilterLogEvents nextToken: "e:TIMESTAMP:ID:GROUP", made opaque. */
static int filter_cursor(struct store_log_pos *pos, struct api_call *call, const char *group,
                         const char *token)
{
    char *key = NULL;
    int rc = logs_token_decode(&key, call, token);
    if (rc < 0)
        return rc;
    long long ts = -1, id = -1;
    int used = 0;
    if (sscanf(key, "e:%lld:%lld:%n", &ts, &id, &used) != 2 || used == 0 || ts < 0 || id < 0 ||
        strcmp(key + used, group) != 0)
        rc = logs_invalid(call, "The specified nextToken is invalid.");
    *pos = (struct store_log_pos){ts, id};
    free(key);
    return rc;
}

int logs_filter_log_events(struct api_call *call, json_t *in, json_t **out)
{
    struct buf storage = BUF_INIT;
    const char *group;
    int rc = logs_group_param(&group, &storage, call, in);
    if (rc == 0)
        rc = logs_authorize_group(call, group);
    if (rc < 0) {
        buf_release(&storage);
        return rc;
    }

    json_t *names = json_object_get(in, "logStreamNames");
    const char *prefix = logs_str(in, "logStreamNamePrefix");
    const char *pattern_text = logs_str(in, "filterPattern");
    int64_t limit = logs_int(in, "limit", LOGS_EVENTS_LIMIT_MAX);
    int64_t end_time = logs_int(in, "endTime", -1);
    const char **stream_names = NULL;
    struct filter_pattern *pattern = NULL;
    struct store_log_page page = {0};
    char scope[LOGS_SCOPE_MAX];
    logs_scope(scope, call);

    if (names && prefix) {
        rc = logs_invalid(call, "logStreamNames and logStreamNamePrefix are mutually exclusive "
                                "parameters.");
        goto done;
    }
    if (limit < 1 || limit > LOGS_EVENTS_LIMIT_MAX) {
        rc = logs_invalid(call,
                          "1 validation error detected: Value '%" PRId64
                          "' at 'limit' failed to satisfy constraint: Member must have "
                          "value less than or equal to %d",
                          limit, LOGS_EVENTS_LIMIT_MAX);
        goto done;
    }
    if (pattern_text && filter_pattern_parse(&pattern, pattern_text, strlen(pattern_text)) < 0) {
        rc = logs_invalid(call, "Invalid filter pattern: %s", err_msg());
        goto done;
    }

    struct store_log_read_query q = {
        .scope = scope,
        .group = group,
        .stream_prefix = prefix,
        .start_ms = logs_int(in, "startTime", 0),
        /* endTime is inclusive here ("later than this time are not returned"). */
        .end_ms = end_time >= 0 && end_time < INT64_MAX ? end_time + 1 : 0,
        .limit = (size_t)limit,
        .max_bytes = LOGS_PAGE_BYTES_MAX,
        .scan_max = LOGS_FILTER_SCAN_MAX,
        .filter = pattern ? pattern_keeps : NULL,
        .filter_ctx = pattern,
    };
    if (names) {
        stream_names = xmalloc((json_array_size(names) + 1) * sizeof(*stream_names));
        for (size_t i = 0; i < json_array_size(names); i++)
            stream_names[i] = json_string_value(json_array_get(names, i));
        q.streams = stream_names;
        q.stream_count = json_array_size(names);
    }
    const char *token = logs_str(in, "nextToken");
    if (token && (rc = filter_cursor(&q.from, call, group, token)) < 0)
        goto done;
    bool empty_range = end_time >= 0 && end_time < q.start_ms;
    if (empty_range) {
        struct store_log_group g;
        rc = logs_not_found_as(call, store_log_group_get(&g, call->store, NULL, scope, group),
                               false);
    } else {
        rc = logs_not_found_as(call, store_log_read(&page, call->store, NULL, &q), false);
    }
    if (rc < 0)
        goto done;

    *out =
        json_pack("{s:o, s:[]}", "events", events_value(call, &page, true), "searchedLogStreams");
    if (page.more) {
        struct buf key = BUF_INIT, next = BUF_INIT;
        buf_addf(&key, "e:%" PRId64 ":%" PRId64 ":%s", page.last.timestamp_ms, page.last.id, group);
        logs_token_encode(&next, key.data);
        json_object_set_new(*out, "nextToken", json_string(next.data));
        buf_release(&key);
        buf_release(&next);
    }
done:
    store_log_page_release(&page);
    filter_pattern_free(pattern);
    free(stream_names);
    buf_release(&storage);
    return rc;
}

/* ---- TestMetricFilter -------------------------------------------------------------- */

int logs_test_metric_filter(struct api_call *call, json_t *in, json_t **out)
{
    int rc = api_authorize(call, "logs:TestMetricFilter", "*");
    if (rc < 0)
        return rc;
    const char *text = logs_str(in, "filterPattern") ?: "";
    struct filter_pattern *pattern;
    if (filter_pattern_parse(&pattern, text, strlen(text)) < 0)
        return logs_invalid(call, "Invalid filter pattern: %s", err_msg());
    json_t *matches = json_array();
    size_t i;
    json_t *msg;
    json_array_foreach(json_object_get(in, "logEventMessages"), i, msg)
    {
        json_t *extracted = json_object();
        if (filter_pattern_match_extract(pattern, json_string_value(msg), json_string_length(msg),
                                         extracted))
            json_array_append_new(matches,
                                  json_pack("{s:I, s:O, s:o}", "eventNumber", (json_int_t)(i + 1),
                                            "eventMessage", msg, "extractedValues", extracted));
        else
            json_decref(extracted);
    }
    filter_pattern_free(pattern);
    *out = json_pack("{s:o}", "matches", matches);
    return 0;
}
