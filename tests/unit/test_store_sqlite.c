/*
 * The state store over SQLite (src/store/store.c, store_sqlite.c): opening,
 * migrations, documents, transactions and concurrency.
 */
#include "base/common.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "store/store.h"

#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cmocka.h>

#define T0 1700000000000LL

struct fixture {
    char *dir;
    struct store *st;
};

static int remove_entry(const char *path, const struct stat *sb UNUSED, int flag UNUSED,
                        struct FTW *ftw UNUSED)
{
    return remove(path);
}

static char *tmpdir_make(void)
{
    char tmpl[] = "/tmp/slipway-store-XXXXXX";
    if (!mkdtemp(tmpl))
        return NULL;
    return xstrdup(tmpl);
}

static void tmpdir_remove(char *dir)
{
    if (dir)
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    f->dir = tmpdir_make();
    if (!f->dir)
        return -1;
    clock_set_fake(T0);
    if (store_open(&f->st, f->dir, NULL) < 0) {
        fprintf(stderr, "store_open: %s\n", err_msg());
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_free(f->st);
    tmpdir_remove(f->dir);
    free(f);
    clock_set_fake(0);
    return 0;
}

/* Runs one SQL text on the database file directly, as a tool outside
 * slipway would; for setting up states the store refuses to create. */
static void raw_exec(const char *dir, const char *sql)
{
    char *path = xasprintf("%s/state.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "raw_exec: %s\n", msg);
    sqlite3_free(msg);
    assert_int_equal(rc, SQLITE_OK);
    sqlite3_close(db);
    free(path);
}

static int put(struct store *st, struct store_tx *tx, const char *kind, const char *scope,
               const char *name, const char *body)
{
    return store_doc_insert(NULL, st, tx, kind, scope, name, body, strlen(body));
}

static bool doc_exists(struct store *st, const char *kind, const char *scope, const char *name)
{
    struct store_doc doc;
    int r = store_doc_get(&doc, st, NULL, kind, scope, name);
    if (r == 0)
        store_doc_release(&doc);
    else
        assert_int_equal(r, ERR_NOT_FOUND);
    return r == 0;
}

/* --- Opening and migrations ---------------------------------------------- */

static void test_open_creates_schema(void **state)
{
    struct fixture *f = *state;
    int version = -1;
    struct stat st;

    assert_string_equal(store_backend_name(f->st), "sqlite");
    assert_int_equal(store_schema_version(&version, f->st), 0);
    assert_int_equal(version, store_schema_latest(f->st));
    assert_true(version >= 1);
    assert_int_equal(store_integrity_check(f->st), 0);

    char *path = xasprintf("%s/state.db", f->dir);
    assert_int_equal(stat(path, &st), 0);
    free(path);

    sqlite3 *db;
    sqlite3_stmt *stmt;
    path = xasprintf("%s/state.db", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "wal");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    free(path);
}

static void test_open_creates_missing_dir(void **state UNUSED)
{
    char *base = tmpdir_make();
    char *dir = xasprintf("%s/data", base);
    struct store *st;
    struct stat sb;

    assert_int_equal(store_open(&st, dir, NULL), 0);
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    store_free(st);
    free(dir);
    tmpdir_remove(base);
}

static void test_open_refuses_file_as_dir(void **state)
{
    struct fixture *f = *state;
    struct store *st = NULL;
    char *file = xasprintf("%s/plain", f->dir);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(store_open(&st, file, NULL), ERR_INVALID);
    assert_null(st);
    assert_int_equal(store_open(&st, "", NULL), ERR_INVALID);
    free(file);
}

static void test_reopen_keeps_data_and_version(void **state)
{
    struct fixture *f = *state;
    int before = 0, after = 0;

    assert_int_equal(put(f->st, NULL, "iam.user", "000000000000", "alice", "{\"a\":1}"), 0);
    assert_int_equal(store_schema_version(&before, f->st), 0);
    store_free(f->st);
    f->st = NULL;

    assert_int_equal(store_open(&f->st, f->dir, NULL), 0);
    assert_int_equal(store_schema_version(&after, f->st), 0);
    assert_int_equal(before, after);
    assert_true(doc_exists(f->st, "iam.user", "000000000000", "alice"));
    assert_int_equal(store_integrity_check(f->st), 0);
}

static void test_newer_schema_refused(void **state)
{
    struct fixture *f = *state;
    struct store *st = NULL;
    int latest = store_schema_latest(f->st);
    store_free(f->st);
    f->st = NULL;

    char *sql = xasprintf("UPDATE schema_version SET version = %d", latest + 1);
    raw_exec(f->dir, sql);
    free(sql);
    assert_int_equal(store_open(&st, f->dir, NULL), ERR_UNSUPPORTED);
    assert_null(st);
    assert_non_null(strstr(err_msg(), "newer"));

    /* Refusing must not have changed the file: the same binary still
     * refuses, and putting the version back makes it open again. */
    assert_int_equal(store_open(&st, f->dir, NULL), ERR_UNSUPPORTED);
    sql = xasprintf("UPDATE schema_version SET version = %d", latest);
    raw_exec(f->dir, sql);
    free(sql);
    assert_int_equal(store_open(&f->st, f->dir, NULL), 0);
}

static void test_migrates_from_version_zero(void **state UNUSED)
{
    /* A database that has the version record but nothing else, as if a
     * first start had died right after creating it. */
    char *dir = tmpdir_make();
    struct store *st;
    int version = 0;

    FILE *fp;
    char *path = xasprintf("%s/state.db", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    free(path);
    raw_exec(dir, "CREATE TABLE schema_version (id INTEGER PRIMARY KEY CHECK (id = 1),"
                  " version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1, 0);");
    assert_int_equal(store_open(&st, dir, NULL), 0);
    assert_int_equal(store_schema_version(&version, st), 0);
    assert_int_equal(version, store_schema_latest(st));
    assert_int_equal(put(st, NULL, "k", "s", "n", "{}"), 0);
    store_free(st);
    tmpdir_remove(dir);
}

static void test_integrity_check_detects_damage(void **state)
{
    struct fixture *f = *state;
    char body[512];
    memset(body, 'x', sizeof(body));
    body[0] = '"';
    body[sizeof(body) - 2] = '"';
    body[sizeof(body) - 1] = '\0';
    for (int i = 0; i < 400; i++) {
        char name[32];
        snprintf(name, sizeof(name), "doc-%04d", i);
        assert_int_equal(put(f->st, NULL, "k", "s", name, body), 0);
    }
    store_free(f->st);
    f->st = NULL;

    /* Overwrite a page in the middle of the file with garbage. */
    char *path = xasprintf("%s/state.db", f->dir);
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    assert_true(size > 16 * 4096);
    char junk[4096];
    memset(junk, 0x5a, sizeof(junk));
    fseek(fp, (size / 4096 / 2) * 4096, SEEK_SET);
    fwrite(junk, 1, sizeof(junk), fp);
    fclose(fp);
    free(path);

    int r = store_open(&f->st, f->dir, NULL);
    if (r == 0)
        r = store_integrity_check(f->st);
    assert_int_equal(r, ERR_INTERNAL);
}

static void test_sync_normal_option(void **state UNUSED)
{
    char *dir = tmpdir_make();
    struct store *st;
    struct store_options opts = {.sync = STORE_SYNC_NORMAL, .max_connections = 2};
    assert_int_equal(store_open(&st, dir, &opts), 0);
    assert_int_equal(put(st, NULL, "k", "s", "n", "[1,2]"), 0);
    assert_true(doc_exists(st, "k", "s", "n"));
    store_free(st);
    tmpdir_remove(dir);
}

/* --- Documents ------------------------------------------------------------- */

static void test_doc_insert_get(void **state)
{
    struct fixture *f = *state;
    struct store_doc doc;
    int64_t version = 0;
    const char *body = "{\"UserName\":\"alice\",\"Path\":\"/\"}";

    assert_int_equal(store_doc_insert(&version, f->st, NULL, "iam.user", "000000000000", "alice",
                                      body, strlen(body)),
                     0);
    assert_int_equal(version, 1);
    assert_int_equal(store_doc_get(&doc, f->st, NULL, "iam.user", "000000000000", "alice"), 0);
    assert_string_equal(doc.name, "alice");
    assert_string_equal(doc.body, body);
    assert_int_equal(doc.body_len, strlen(body));
    assert_int_equal(doc.version, 1);
    assert_int_equal(doc.created_ms, T0);
    assert_int_equal(doc.updated_ms, T0);
    store_doc_release(&doc);
    store_doc_release(&doc);
    store_doc_release(NULL);

    /* Keys are exact: another kind, scope or name is another document. */
    assert_false(doc_exists(f->st, "iam.role", "000000000000", "alice"));
    assert_false(doc_exists(f->st, "iam.user", "111111111111", "alice"));
    assert_false(doc_exists(f->st, "iam.user", "000000000000", "Alice"));
}

static void test_doc_insert_exists(void **state)
{
    struct fixture *f = *state;
    struct store_doc doc;
    int64_t version = 77;

    assert_int_equal(put(f->st, NULL, "iam.user", "a", "bob", "{\"v\":1}"), 0);
    assert_int_equal(
        store_doc_insert(&version, f->st, NULL, "iam.user", "a", "bob", "{\"v\":2}", 7),
        ERR_EXISTS);
    assert_int_equal(version, 77);
    assert_non_null(strstr(err_msg(), "'bob'"));
    assert_int_equal(store_doc_get(&doc, f->st, NULL, "iam.user", "a", "bob"), 0);
    assert_string_equal(doc.body, "{\"v\":1}");
    store_doc_release(&doc);
}

static void test_doc_get_not_found(void **state)
{
    struct fixture *f = *state;
    struct store_doc doc = {.version = 42};
    assert_int_equal(store_doc_get(&doc, f->st, NULL, "iam.user", "a", "nobody"), ERR_NOT_FOUND);
    assert_int_equal(doc.version, 42);
    assert_null(doc.body);
    assert_non_null(strstr(err_msg(), "'nobody'"));
}

static void test_doc_update_versions(void **state)
{
    struct fixture *f = *state;
    struct store_doc doc;
    int64_t version = 0;

    assert_int_equal(put(f->st, NULL, "k", "s", "n", "{\"v\":1}"), 0);
    clock_set_fake(T0 + 5000);
    assert_int_equal(store_doc_update(&version, f->st, NULL, "k", "s", "n", 1, "{\"v\":2}", 7), 0);
    assert_int_equal(version, 2);

    /* A writer that read version 1 has lost the race. */
    version = 0;
    assert_int_equal(store_doc_update(&version, f->st, NULL, "k", "s", "n", 1, "{\"v\":3}", 7),
                     ERR_CONFLICT);
    assert_int_equal(version, 0);
    assert_non_null(strstr(err_msg(), "version 2"));
    assert_int_equal(store_doc_update(&version, f->st, NULL, "k", "s", "missing", 1, "{}", 2),
                     ERR_NOT_FOUND);
    assert_int_equal(store_doc_update(&version, f->st, NULL, "k", "s", "n", 0, "{}", 2),
                     ERR_INVALID);

    assert_int_equal(store_doc_get(&doc, f->st, NULL, "k", "s", "n"), 0);
    assert_string_equal(doc.body, "{\"v\":2}");
    assert_int_equal(doc.version, 2);
    assert_int_equal(doc.created_ms, T0);
    assert_int_equal(doc.updated_ms, T0 + 5000);
    store_doc_release(&doc);
}

static void test_doc_upsert(void **state)
{
    struct fixture *f = *state;
    struct store_doc doc;
    int64_t version = 0;

    assert_int_equal(store_doc_upsert(&version, f->st, NULL, "k", "s", "n", "1", 1), 0);
    assert_int_equal(version, 1);
    clock_set_fake(T0 + 1);
    assert_int_equal(store_doc_upsert(&version, f->st, NULL, "k", "s", "n", "2", 1), 0);
    assert_int_equal(version, 2);
    assert_int_equal(store_doc_upsert(NULL, f->st, NULL, "k", "s", "n", "3", 1), 0);
    assert_int_equal(store_doc_get(&doc, f->st, NULL, "k", "s", "n"), 0);
    assert_string_equal(doc.body, "3");
    assert_int_equal(doc.version, 3);
    assert_int_equal(doc.created_ms, T0);
    assert_int_equal(doc.updated_ms, T0 + 1);
    store_doc_release(&doc);
}

static void test_doc_delete(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(store_doc_delete(f->st, NULL, "k", "s", "n", 0), ERR_NOT_FOUND);
    assert_int_equal(put(f->st, NULL, "k", "s", "n", "{}"), 0);
    assert_int_equal(store_doc_update(NULL, f->st, NULL, "k", "s", "n", 1, "[]", 2), 0);
    assert_int_equal(store_doc_delete(f->st, NULL, "k", "s", "n", 1), ERR_CONFLICT);
    assert_true(doc_exists(f->st, "k", "s", "n"));
    assert_int_equal(store_doc_delete(f->st, NULL, "k", "s", "n", 2), 0);
    assert_false(doc_exists(f->st, "k", "s", "n"));
    assert_int_equal(store_doc_delete(f->st, NULL, "k", "s", "n", 0), ERR_NOT_FOUND);

    assert_int_equal(put(f->st, NULL, "k", "s", "m", "{}"), 0);
    assert_int_equal(store_doc_delete(f->st, NULL, "k", "s", "m", 0), 0);
    assert_int_equal(store_doc_delete(f->st, NULL, "k", "s", "m", -1), ERR_INVALID);
    /* A name can be reused after deletion and starts over at version 1. */
    int64_t version = 0;
    assert_int_equal(store_doc_insert(&version, f->st, NULL, "k", "s", "m", "{}", 2), 0);
    assert_int_equal(version, 1);
}

static void test_doc_delete_prefix(void **state)
{
    struct fixture *f = *state;
    size_t count = 99;

    assert_int_equal(put(f->st, NULL, "cc.branch", "acct", "repo1/main", "{}"), 0);
    assert_int_equal(put(f->st, NULL, "cc.branch", "acct", "repo1/dev", "{}"), 0);
    assert_int_equal(put(f->st, NULL, "cc.branch", "acct", "repo10/main", "{}"), 0);
    assert_int_equal(put(f->st, NULL, "cc.branch", "other", "repo1/main", "{}"), 0);
    assert_int_equal(put(f->st, NULL, "cc.tag", "acct", "repo1/v1", "{}"), 0);

    assert_int_equal(store_doc_delete_prefix(&count, f->st, NULL, "cc.branch", "acct", "repo1/"),
                     0);
    assert_int_equal(count, 2);
    assert_true(doc_exists(f->st, "cc.branch", "acct", "repo10/main"));
    assert_true(doc_exists(f->st, "cc.branch", "other", "repo1/main"));
    assert_true(doc_exists(f->st, "cc.tag", "acct", "repo1/v1"));
    assert_int_equal(store_doc_delete_prefix(&count, f->st, NULL, "cc.branch", "acct", "repo1/"),
                     0);
    assert_int_equal(count, 0);
    assert_int_equal(store_doc_delete_prefix(&count, f->st, NULL, "cc.branch", "acct", ""),
                     ERR_INVALID);
    assert_int_equal(store_doc_delete_prefix(NULL, f->st, NULL, "cc.branch", "acct", "repo"), 0);
    assert_false(doc_exists(f->st, "cc.branch", "acct", "repo10/main"));
}

static void test_doc_invalid_input(void **state)
{
    struct fixture *f = *state;
    struct store_doc doc;
    char name[STORE_NAME_MAX + 2];

    assert_int_equal(put(f->st, NULL, "", "s", "n", "{}"), ERR_INVALID);
    assert_int_equal(put(f->st, NULL, "k", "", "n", "{}"), ERR_INVALID);
    assert_int_equal(put(f->st, NULL, "k", "s", "", "{}"), ERR_INVALID);
    assert_int_equal(put(f->st, NULL, NULL, "s", "n", "{}"), ERR_INVALID);
    assert_int_equal(store_doc_get(&doc, f->st, NULL, "k", "s", NULL), ERR_INVALID);

    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    assert_int_equal(put(f->st, NULL, "k", "s", name, "{}"), ERR_LIMIT);
    name[STORE_NAME_MAX] = '\0';
    assert_int_equal(put(f->st, NULL, "k", "s", name, "{}"), 0);

    assert_int_equal(put(f->st, NULL, "k", "s", "bad\xff", "{}"), ERR_INVALID);
    assert_int_equal(put(f->st, NULL, "k", "s", "\xc3(", "{}"), ERR_INVALID);
    assert_int_equal(put(f->st, NULL, "k", "s", "caf\xc3\xa9", "{}"), 0);

    /* Bodies must be JSON: checked by the database itself. */
    assert_int_equal(put(f->st, NULL, "k", "s", "j1", "{"), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "JSON"));
    assert_int_equal(put(f->st, NULL, "k", "s", "j2", "not json"), ERR_INVALID);
    assert_int_equal(store_doc_insert(NULL, f->st, NULL, "k", "s", "j3", "{}\0x", 4), ERR_INVALID);
    assert_int_equal(store_doc_insert(NULL, f->st, NULL, "k", "s", "j4", NULL, 0), ERR_INVALID);
    assert_int_equal(store_doc_upsert(NULL, f->st, NULL, "k", "s", "j5", "[", 1), ERR_INVALID);
    assert_int_equal(put(f->st, NULL, "k", "s", "j6", "{\"ok\":true}"), 0);
    assert_false(doc_exists(f->st, "k", "s", "j1"));

    char *big = xmalloc(STORE_BODY_MAX + 2);
    memset(big, ' ', STORE_BODY_MAX + 1);
    big[0] = '1';
    big[STORE_BODY_MAX + 1] = '\0';
    assert_int_equal(store_doc_insert(NULL, f->st, NULL, "k", "s", "big", big, STORE_BODY_MAX + 1),
                     ERR_LIMIT);
    assert_int_equal(store_doc_insert(NULL, f->st, NULL, "k", "s", "big", big, STORE_BODY_MAX), 0);
    free(big);

    /* A transaction of another store is refused, not used. */
    char *dir2 = tmpdir_make();
    struct store *other;
    struct store_tx *tx;
    assert_int_equal(store_open(&other, dir2, NULL), 0);
    assert_int_equal(store_tx_begin(&tx, other), 0);
    assert_int_equal(put(f->st, tx, "k", "s", "cross", "{}"), ERR_INVALID);
    store_tx_rollback(tx);
    store_free(other);
    tmpdir_remove(dir2);
}

/* --- Listing ------------------------------------------------------------- */

static void list_all(struct buf *names, struct store *st, const char *kind, const char *scope,
                     const char *prefix, const char *after, size_t limit, size_t *pages)
{
    struct store_doc_query q = {
        .kind = kind, .scope = scope, .prefix = prefix, .after = after, .limit = limit};
    char *cursor = after ? xstrdup(after) : NULL;
    *pages = 0;
    for (;;) {
        struct store_doc_page page;
        q.after = cursor;
        assert_int_equal(store_doc_list(&page, st, NULL, &q), 0);
        (*pages)++;
        assert_true(page.len <= (limit ? limit : STORE_LIST_MAX));
        for (size_t i = 0; i < page.len; i++) {
            buf_adds(names, page.items[i].name);
            buf_addch(names, ' ');
        }
        free(cursor);
        cursor = page.len ? xstrdup(page.items[page.len - 1].name) : NULL;
        bool more = page.more;
        if (more)
            assert_int_equal(page.len, limit);
        store_doc_page_release(&page);
        if (!more)
            break;
    }
    free(cursor);
}

static void test_doc_list_pagination(void **state)
{
    struct fixture *f = *state;
    _cleanup_buf_ struct buf names = BUF_INIT;
    _cleanup_buf_ struct buf want = BUF_INIT;
    size_t pages;

    /* Inserted out of order; listed in byte order. */
    for (int i = 24; i >= 0; i--) {
        char name[32];
        snprintf(name, sizeof(name), "user-%02d", i);
        assert_int_equal(put(f->st, NULL, "iam.user", "acct", name, "{}"), 0);
    }
    assert_int_equal(put(f->st, NULL, "iam.user", "acct", "admin", "{}"), 0);
    assert_int_equal(put(f->st, NULL, "iam.user", "acct", "user", "{}"), 0);
    assert_int_equal(put(f->st, NULL, "iam.user", "acct", "userz", "{}"), 0);
    assert_int_equal(put(f->st, NULL, "iam.user", "acct", "\xc3\xa9t\xc3\xa9", "{}"), 0);
    assert_int_equal(put(f->st, NULL, "iam.user", "other", "user-99", "{}"), 0);
    assert_int_equal(put(f->st, NULL, "iam.role", "acct", "user-98", "{}"), 0);

    for (int i = 0; i < 25; i++)
        buf_addf(&want, "user-%02d ", i);

    list_all(&names, f->st, "iam.user", "acct", "user-", NULL, 10, &pages);
    assert_string_equal(names.data, want.data);
    assert_int_equal(pages, 3);

    /* Exactly one page's worth leaves no empty trailing page... */
    buf_reset(&names);
    list_all(&names, f->st, "iam.user", "acct", "user-", NULL, 25, &pages);
    assert_string_equal(names.data, want.data);
    assert_int_equal(pages, 1);

    /* ...and limit 0 means the maximum. */
    buf_reset(&names);
    list_all(&names, f->st, "iam.user", "acct", "user-", NULL, 0, &pages);
    assert_string_equal(names.data, want.data);

    /* Whole scope, prefix-free, including the non-ASCII name last. */
    buf_reset(&names);
    list_all(&names, f->st, "iam.user", "acct", NULL, NULL, 7, &pages);
    assert_string_equal(names.data,
                        "admin user user-00 user-01 user-02 user-03 user-04 user-05 "
                        "user-06 user-07 user-08 user-09 user-10 user-11 user-12 "
                        "user-13 user-14 user-15 user-16 user-17 user-18 user-19 "
                        "user-20 user-21 user-22 user-23 user-24 userz \xc3\xa9t\xc3\xa9 ");
    assert_int_equal(pages, 5);

    /* A cursor inside the prefix range continues after it; one before the
     * range starts at the range; one after it yields nothing. */
    buf_reset(&names);
    list_all(&names, f->st, "iam.user", "acct", "user-", "user-21", 2, &pages);
    assert_string_equal(names.data, "user-22 user-23 user-24 ");
    buf_reset(&names);
    list_all(&names, f->st, "iam.user", "acct", "user-2", "admin", 100, &pages);
    assert_string_equal(names.data, "user-20 user-21 user-22 user-23 user-24 ");
    buf_reset(&names);
    list_all(&names, f->st, "iam.user", "acct", "user-", "zzz", 100, &pages);
    assert_string_equal(names.data, "");

    /* An empty prefix or cursor means none. */
    buf_reset(&names);
    list_all(&names, f->st, "iam.user", "other", "", "", 100, &pages);
    assert_string_equal(names.data, "user-99 ");

    /* A page carries the documents themselves. */
    struct store_doc_page page;
    struct store_doc_query q = {.kind = "iam.user", .scope = "acct", .prefix = "adm", .limit = 5};
    assert_int_equal(store_doc_list(&page, f->st, NULL, &q), 0);
    assert_int_equal(page.len, 1);
    assert_false(page.more);
    assert_string_equal(page.items[0].name, "admin");
    assert_string_equal(page.items[0].body, "{}");
    assert_int_equal(page.items[0].version, 1);
    store_doc_page_release(&page);
    store_doc_page_release(NULL);

    q.kind = "";
    assert_int_equal(store_doc_list(&page, f->st, NULL, &q), ERR_INVALID);
    assert_int_equal(store_doc_list(&page, f->st, NULL, NULL), ERR_INVALID);
}

static void test_doc_count(void **state)
{
    struct fixture *f = *state;
    size_t count = 99;

    assert_int_equal(store_doc_count(&count, f->st, NULL, "iam.policy", "acct", NULL), 0);
    assert_int_equal(count, 0);
    assert_int_equal(put(f->st, NULL, "iam.policy", "acct", "role-a/p1", "{}"), 0);
    assert_int_equal(put(f->st, NULL, "iam.policy", "acct", "role-a/p2", "{}"), 0);
    assert_int_equal(put(f->st, NULL, "iam.policy", "acct", "role-ab/p1", "{}"), 0);
    assert_int_equal(put(f->st, NULL, "iam.policy", "acct2", "role-a/p1", "{}"), 0);
    assert_int_equal(store_doc_count(&count, f->st, NULL, "iam.policy", "acct", NULL), 0);
    assert_int_equal(count, 3);
    assert_int_equal(store_doc_count(&count, f->st, NULL, "iam.policy", "acct", ""), 0);
    assert_int_equal(count, 3);
    assert_int_equal(store_doc_count(&count, f->st, NULL, "iam.policy", "acct", "role-a/"), 0);
    assert_int_equal(count, 2);
    assert_int_equal(store_doc_count(&count, f->st, NULL, "iam.policy", "acct", "role-c/"), 0);
    assert_int_equal(count, 0);
}

/* --- Transactions -------------------------------------------------------- */

static void test_tx_commit_is_atomic(void **state)
{
    struct fixture *f = *state;
    struct store_tx *tx;

    assert_int_equal(store_tx_begin(&tx, f->st), 0);
    assert_int_equal(put(f->st, tx, "iam.user", "acct", "carol", "{}"), 0);
    assert_int_equal(put(f->st, tx, "iam.access_key", "acct", "AKIA1", "{\"user\":\"carol\"}"), 0);
    /* Not visible outside before commit (another connection reads the last
     * committed state). */
    assert_false(doc_exists(f->st, "iam.user", "acct", "carol"));
    /* Visible inside. */
    struct store_doc doc;
    assert_int_equal(store_doc_get(&doc, f->st, tx, "iam.user", "acct", "carol"), 0);
    store_doc_release(&doc);
    assert_int_equal(store_tx_commit(tx), 0);
    assert_true(doc_exists(f->st, "iam.user", "acct", "carol"));
    assert_true(doc_exists(f->st, "iam.access_key", "acct", "AKIA1"));
}

static void test_tx_rollback_discards(void **state)
{
    struct fixture *f = *state;
    struct store_tx *tx;

    assert_int_equal(store_tx_begin(&tx, f->st), 0);
    assert_int_equal(put(f->st, tx, "iam.user", "acct", "dave", "{}"), 0);
    assert_int_equal(put(f->st, tx, "iam.access_key", "acct", "AKIA2", "{}"), 0);
    store_tx_rollback(tx);
    store_tx_rollback(NULL);
    assert_false(doc_exists(f->st, "iam.user", "acct", "dave"));
    assert_false(doc_exists(f->st, "iam.access_key", "acct", "AKIA2"));
    assert_int_equal(store_tx_commit(NULL), ERR_INVALID);
}

/* The shape of an API handler: any failure returns early and the cleanup
 * rolls back. */
static int create_user_with_key(struct store *st, const char *user, const char *key)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    int r;
    if ((r = store_tx_begin(&tx, st)) < 0)
        return r;
    if ((r = put(st, tx, "iam.user", "acct", user, "{}")) < 0)
        return r;
    if ((r = put(st, tx, "iam.access_key", "acct", key, "{}")) < 0)
        return r;
    return store_tx_commit(TAKE_PTR(tx));
}

static void test_tx_cleanup_rolls_back(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(create_user_with_key(f->st, "erin", "AKIA3"), 0);
    /* The key exists already: the user created before it must vanish. */
    assert_int_equal(create_user_with_key(f->st, "frank", "AKIA3"), ERR_EXISTS);
    assert_false(doc_exists(f->st, "iam.user", "acct", "frank"));
    assert_true(doc_exists(f->st, "iam.user", "acct", "erin"));
}

static void test_tx_continues_after_expected_error(void **state)
{
    struct fixture *f = *state;
    struct store_tx *tx;

    assert_int_equal(put(f->st, NULL, "k", "s", "x", "{}"), 0);
    assert_int_equal(store_tx_begin(&tx, f->st), 0);
    assert_int_equal(put(f->st, tx, "k", "s", "a", "{}"), 0);
    assert_int_equal(put(f->st, tx, "k", "s", "x", "{}"), ERR_EXISTS);
    assert_int_equal(put(f->st, tx, "k", "s", "b", "{"), ERR_INVALID);
    assert_int_equal(store_doc_update(NULL, f->st, tx, "k", "s", "x", 9, "{}", 2), ERR_CONFLICT);
    assert_int_equal(store_doc_delete(f->st, tx, "k", "s", "nope", 0), ERR_NOT_FOUND);
    assert_int_equal(put(f->st, tx, "k", "s", "c", "{}"), 0);
    assert_int_equal(store_tx_commit(tx), 0);
    assert_true(doc_exists(f->st, "k", "s", "a"));
    assert_false(doc_exists(f->st, "k", "s", "b"));
    assert_true(doc_exists(f->st, "k", "s", "c"));
}

/* "Delete the role only if no policy is attached": the count and the delete
 * see one state, because no other writer can commit in between. */
static int delete_role(struct store *st, const char *role)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    size_t attached;
    int r;
    if ((r = store_tx_begin(&tx, st)) < 0)
        return r;
    char *prefix = xasprintf("%s/", role);
    r = store_doc_count(&attached, st, tx, "iam.role_policy", "acct", prefix);
    free(prefix);
    if (r < 0)
        return r;
    if (attached > 0)
        return err_set(ERR_CONFLICT, "role '%s' has %zu policies attached", role, attached);
    if ((r = store_doc_delete(st, tx, "iam.role", "acct", role, 0)) < 0)
        return r;
    return store_tx_commit(TAKE_PTR(tx));
}

static void test_tx_conditional_delete(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(put(f->st, NULL, "iam.role", "acct", "builder", "{}"), 0);
    assert_int_equal(put(f->st, NULL, "iam.role_policy", "acct", "builder/s3", "{}"), 0);
    assert_int_equal(delete_role(f->st, "builder"), ERR_CONFLICT);
    assert_true(doc_exists(f->st, "iam.role", "acct", "builder"));
    assert_int_equal(store_doc_delete(f->st, NULL, "iam.role_policy", "acct", "builder/s3", 0), 0);
    assert_int_equal(delete_role(f->st, "builder"), 0);
    assert_false(doc_exists(f->st, "iam.role", "acct", "builder"));
    assert_int_equal(delete_role(f->st, "builder"), ERR_NOT_FOUND);
}

static void test_tx_self_deadlock_times_out(void **state UNUSED)
{
    char *dir = tmpdir_make();
    struct store *st;
    struct store_tx *tx;
    struct store_options opts = {.busy_timeout_ms = 100};

    assert_int_equal(store_open(&st, dir, &opts), 0);
    assert_int_equal(store_tx_begin(&tx, st), 0);
    /* Writing outside the transaction it holds: the documented misuse ends
     * in a timeout, not a hang. */
    int64_t start = clock_mono_ns();
    assert_int_equal(put(st, NULL, "k", "s", "n", "{}"), ERR_TIMEOUT);
    assert_true(clock_mono_ns() - start >= 90 * 1000000LL);
    /* Reading outside it is fine. */
    assert_false(doc_exists(st, "k", "s", "n"));
    assert_int_equal(put(st, tx, "k", "s", "n", "{}"), 0);
    assert_int_equal(store_tx_commit(tx), 0);
    assert_true(doc_exists(st, "k", "s", "n"));
    store_free(st);
    tmpdir_remove(dir);
}

static void test_pool_exhaustion_times_out(void **state UNUSED)
{
    char *dir = tmpdir_make();
    struct store *st;
    struct store_tx *tx;
    struct store_options opts = {.busy_timeout_ms = 100, .max_connections = 1};
    struct store_doc doc;

    assert_int_equal(store_open(&st, dir, &opts), 0);
    assert_int_equal(store_tx_begin(&tx, st), 0);
    assert_int_equal(store_doc_get(&doc, st, NULL, "k", "s", "n"), ERR_TIMEOUT);
    assert_non_null(strstr(err_msg(), "connections"));
    store_tx_rollback(tx);
    assert_int_equal(store_doc_get(&doc, st, NULL, "k", "s", "n"), ERR_NOT_FOUND);
    store_free(st);
    tmpdir_remove(dir);
}

/* --- Concurrency ----------------------------------------------------------- */

#define COUNTER_THREADS    4
#define COUNTER_INCREMENTS 40

struct counter_arg {
    struct store *st;
    bool use_tx;
    int failures;
    int conflicts;
};

static int counter_read(int64_t *value, int64_t *version, struct store *st, struct store_tx *tx)
{
    struct store_doc doc;
    int r = store_doc_get(&doc, st, tx, "test.counter", "s", "c");
    if (r < 0)
        return r;
    *value = strtoll(doc.body, NULL, 10);
    *version = doc.version;
    store_doc_release(&doc);
    return 0;
}

static void *counter_thread(void *p)
{
    struct counter_arg *arg = p;
    for (int i = 0; i < COUNTER_INCREMENTS; i++) {
        for (;;) {
            int64_t value, version;
            char body[32];
            struct store_tx *tx = NULL;
            if (arg->use_tx && store_tx_begin(&tx, arg->st) < 0) {
                arg->failures++;
                break;
            }
            if (counter_read(&value, &version, arg->st, tx) < 0) {
                store_tx_rollback(tx);
                arg->failures++;
                break;
            }
            snprintf(body, sizeof(body), "%" PRId64, value + 1);
            int r = store_doc_update(NULL, arg->st, tx, "test.counter", "s", "c", version, body,
                                     strlen(body));
            if (r == 0 && tx)
                r = store_tx_commit(TAKE_PTR(tx));
            store_tx_rollback(tx);
            if (r == 0)
                break;
            if (r == ERR_CONFLICT) {
                arg->conflicts++;
                continue;
            }
            arg->failures++;
            break;
        }
    }
    return NULL;
}

static void run_counter(struct store *st, bool use_tx)
{
    pthread_t threads[COUNTER_THREADS];
    struct counter_arg args[COUNTER_THREADS];
    int64_t value, version;

    assert_int_equal(store_doc_upsert(NULL, st, NULL, "test.counter", "s", "c", "0", 1), 0);
    for (int i = 0; i < COUNTER_THREADS; i++) {
        args[i] = (struct counter_arg){.st = st, .use_tx = use_tx};
        assert_int_equal(pthread_create(&threads[i], NULL, counter_thread, &args[i]), 0);
    }
    int conflicts = 0;
    for (int i = 0; i < COUNTER_THREADS; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(args[i].failures, 0);
        conflicts += args[i].conflicts;
    }
    assert_int_equal(counter_read(&value, &version, st, NULL), 0);
    assert_int_equal(value, COUNTER_THREADS * COUNTER_INCREMENTS);
    /* Inside a transaction the read and the update see one state, so the
     * version check never fails. */
    if (use_tx)
        assert_int_equal(conflicts, 0);
}

static void test_concurrent_optimistic_updates(void **state)
{
    struct fixture *f = *state;
    clock_set_fake(0);
    run_counter(f->st, false);
}

static void test_concurrent_transactions(void **state)
{
    struct fixture *f = *state;
    clock_set_fake(0);
    run_counter(f->st, true);
    assert_int_equal(store_integrity_check(f->st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_schema, setup, teardown),
        cmocka_unit_test(test_open_creates_missing_dir),
        cmocka_unit_test_setup_teardown(test_open_refuses_file_as_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data_and_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test(test_migrates_from_version_zero),
        cmocka_unit_test_setup_teardown(test_integrity_check_detects_damage, setup, teardown),
        cmocka_unit_test(test_sync_normal_option),
        cmocka_unit_test_setup_teardown(test_doc_insert_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_insert_exists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_get_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_update_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_upsert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_delete_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_invalid_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_list_pagination, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_commit_is_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_rollback_discards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_cleanup_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_continues_after_expected_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_conditional_delete, setup, teardown),
        cmocka_unit_test(test_tx_self_deadlock_times_out),
        cmocka_unit_test(test_pool_exhaustion_times_out),
        cmocka_unit_test_setup_teardown(test_concurrent_optimistic_updates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_transactions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
