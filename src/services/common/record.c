#include "base/common.h"
#include "services/common/record.h"
#include "base/err.h"

static int parse_body(json_t **out, const struct store_doc *doc, const char *kind)
{
    json_error_t jerr;
    json_t *v = json_loadb(doc->body, doc->body_len, JSON_ALLOW_NUL, &jerr);
    if (!v)
        return err_set(ERR_INTERNAL, "stored %s '%s' is not JSON: %s", kind, doc->name, jerr.text);
    *out = v;
    return 0;
}

static char *dump(json_t *value, size_t *len)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
        abort();
    *len = strlen(text);
    return text;
}

int record_get(json_t **out, int64_t *version_out, struct store *st, struct store_tx *tx,
               const char *kind, const char *scope, const char *name)
{
    struct store_doc doc;
    int rc = store_doc_get(&doc, st, tx, kind, scope, name);
    if (rc < 0)
        return rc;
    json_t *v = NULL;
    rc = parse_body(&v, &doc, kind);
    if (rc == 0) {
        *out = v;
        if (version_out)
            *version_out = doc.version;
    }
    store_doc_release(&doc);
    return rc;
}

int record_exists(bool *out, struct store *st, struct store_tx *tx, const char *kind,
                  const char *scope, const char *name)
{
    struct store_doc doc;
    int rc = store_doc_get(&doc, st, tx, kind, scope, name);
    if (rc == ERR_NOT_FOUND) {
        *out = false;
        return 0;
    }
    if (rc < 0)
        return rc;
    store_doc_release(&doc);
    *out = true;
    return 0;
}

int record_insert(struct store *st, struct store_tx *tx, const char *kind, const char *scope,
                  const char *name, json_t *value)
{
    size_t len;
    char *text = dump(value, &len);
    int rc = store_doc_insert(NULL, st, tx, kind, scope, name, text, len);
    free(text);
    return rc;
}

int record_update(struct store *st, struct store_tx *tx, const char *kind, const char *scope,
                  const char *name, int64_t version, json_t *value)
{
    size_t len;
    char *text = dump(value, &len);
    int rc = store_doc_update(NULL, st, tx, kind, scope, name, version, text, len);
    free(text);
    return rc;
}

int record_upsert(struct store *st, struct store_tx *tx, const char *kind, const char *scope,
                  const char *name, json_t *value)
{
    size_t len;
    char *text = dump(value, &len);
    int rc = store_doc_upsert(NULL, st, tx, kind, scope, name, text, len);
    free(text);
    return rc;
}

int record_list(json_t **out, bool *more_out, struct store *st, struct store_tx *tx,
                const char *kind, const char *scope, const char *prefix, const char *after,
                size_t limit)
{
    struct store_doc_page page;
    struct store_doc_query q = {
        .kind = kind, .scope = scope, .prefix = prefix, .after = after, .limit = limit};
    int rc = store_doc_list(&page, st, tx, &q);
    if (rc < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; i < page.len; i++) {
        json_t *v = NULL;
        if ((rc = parse_body(&v, &page.items[i], kind)) < 0) {
            json_decref(arr);
            store_doc_page_release(&page);
            return rc;
        }
        json_object_set_new(v, "_name", json_string(page.items[i].name));
        json_array_append_new(arr, v);
    }
    if (more_out)
        *more_out = page.more;
    store_doc_page_release(&page);
    *out = arr;
    return 0;
}

int record_list_names(json_t **out, struct store *st, struct store_tx *tx, const char *kind,
                      const char *scope, const char *prefix)
{
    json_t *names = json_array();
    char *after = NULL;
    for (;;) {
        struct store_doc_page page;
        struct store_doc_query q = {
            .kind = kind, .scope = scope, .prefix = prefix, .after = after, .limit = 0};
        int rc = store_doc_list(&page, st, tx, &q);
        if (rc < 0) {
            free(after);
            json_decref(names);
            return rc;
        }
        for (size_t i = 0; i < page.len; i++)
            json_array_append_new(names, json_string(page.items[i].name));
        free(after);
        after = page.len ? strdup(page.items[page.len - 1].name) : NULL;
        bool more = page.more;
        store_doc_page_release(&page);
        if (!more || !after)
            break;
    }
    free(after);
    *out = names;
    return 0;
}
