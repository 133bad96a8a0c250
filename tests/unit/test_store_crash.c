/*
 * Crash consistency: a child process writes documents in transactions,
 * events, blobs and jobs as fast as it can and is killed with SIGKILL at a
 * random moment, several rounds over the same data directory. After each
 * kill the parent checks what a restarted server would rely on:
 *
 *   - the database passes its integrity check;
 *   - every transaction is wholly present or wholly absent, and every one
 *     the child saw commit is present;
 *   - no half-written blob is visible: each blob's bytes hash to its name,
 *     and every blob the child saw stored is there;
 *   - no claimed job is lost: once its lease expires it is reclaimed,
 *     claimed again and completed.
 *
 * The child reports each completed step on a pipe; a step is reported only
 * after it returned success, so a report is proof of commit. The seed
 * (SLIPWAY_CRASH_SEED to repeat a run) is printed.
 */
#include "base/common.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"
#include "store/blob.h"
#include "store/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#define ROUNDS      12
#define ROUND_ITERS 100000
#define LEASE_MS    60000
#define DOC_KIND    "crash.doc"
#define DOC_SCOPE   "000000000000/us-east-1"

enum record_type {
    REC_TX = 'T',
    REC_BLOB = 'B',
    REC_ENQUEUED = 'E',
    REC_CLAIMED = 'C',
    REC_DONE = 'D',
};

/* Fixed-size and smaller than PIPE_BUF, so each write is atomic. */
struct record {
    char type;
    int64_t value;
    char digest[BLOB_DIGEST_LEN + 1];
};

/* What the child reported, across all rounds. */
struct reported {
    int64_t *groups;
    size_t groups_len, groups_alloc;
    char (*digests)[BLOB_DIGEST_LEN + 1];
    size_t digests_len, digests_alloc;
    int64_t *enqueued;
    size_t enqueued_len, enqueued_alloc;
    int64_t *claimed;
    size_t claimed_len, claimed_alloc;
    int64_t *done;
    size_t done_len, done_alloc;
};

static int remove_entry(const char *path, const struct stat *sb UNUSED, int flag UNUSED,
                        struct FTW *ftw UNUSED)
{
    return remove(path);
}

static void fill_pattern(uint8_t *data, size_t len, uint64_t seed)
{
    for (size_t i = 0; i < len; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        data[i] = (uint8_t)(seed >> 33);
    }
}

/* --- The child ----------------------------------------------------------- */

static void report(int fd, char type, int64_t value, const char *digest)
{
    struct record rec = {.type = type, .value = value};
    if (digest)
        memcpy(rec.digest, digest, BLOB_DIGEST_LEN + 1);
    if (write(fd, &rec, sizeof(rec)) != (ssize_t)sizeof(rec))
        _exit(4);
}

static NORETURN void child_fail(const char *what)
{
    fprintf(stderr, "crash child: %s: %s\n", what, err_msg());
    _exit(3);
}

/* One transaction: three documents and an event, all tagged with `group`. */
static int write_group(struct store *st, int64_t group)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    _cleanup_buf_ struct buf body = BUF_INIT;
    static const char *const parts[] = {"a", "b", "c"};
    int r;

    /* Bodies of a few KiB make a transaction span several pages. */
    buf_addf(&body, "{\"g\":%" PRId64 ",\"pad\":\"", group);
    for (int64_t i = 0; i < 500 + group % 2000; i++)
        buf_addch(&body, (char)('a' + i % 26));
    buf_adds(&body, "\"}");

    if ((r = store_tx_begin(&tx, st)) < 0)
        return r;
    for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
        char name[64];
        snprintf(name, sizeof(name), "g%" PRId64 "/%s", group, parts[i]);
        if ((r = store_doc_insert(NULL, st, tx, DOC_KIND, DOC_SCOPE, name, body.data, body.len)) <
            0)
            return r;
    }
    char event[64];
    snprintf(event, sizeof(event), "{\"g\":%" PRId64 "}", group);
    if ((r = store_outbox_append(NULL, st, tx, event, strlen(event))) < 0)
        return r;
    return store_tx_commit(TAKE_PTR(tx));
}

static int write_blob(char digest[BLOB_DIGEST_LEN + 1], struct blob_store *bs, int64_t group)
{
    if (group % 5 == 4) {
        /* A large streamed blob: the likeliest to be cut mid-write. */
        _cleanup_blob_writer_ struct blob_writer *w = NULL;
        uint8_t chunk[65536];
        int r;
        if ((r = blob_writer_begin(&w, bs)) < 0)
            return r;
        for (int i = 0; i < 24; i++) {
            fill_pattern(chunk, sizeof(chunk), (uint64_t)group * 100 + (uint64_t)i);
            if ((r = blob_writer_write(w, chunk, sizeof(chunk))) < 0)
                return r;
        }
        return blob_writer_commit(digest, TAKE_PTR(w), NULL);
    }
    size_t len = 1 + (size_t)(group * 7919 % 200000);
    uint8_t *data = xmalloc(len);
    fill_pattern(data, len, (uint64_t)group);
    int r = blob_store_put(digest, bs, data, len);
    free(data);
    return r;
}

static NORETURN void child_run(const char *dir, int fd, int round)
{
    struct store *st;
    struct blob_store *bs;
    char digest[BLOB_DIGEST_LEN + 1];

    if (store_open(&st, dir, NULL) < 0)
        child_fail("store_open");
    if (blob_store_open(&bs, dir) < 0)
        child_fail("blob_store_open");
    for (int64_t i = 0; i < ROUND_ITERS; i++) {
        int64_t group = (int64_t)round * ROUND_ITERS + i;

        if (write_group(st, group) < 0)
            child_fail("transaction");
        report(fd, REC_TX, group, NULL);

        if (write_blob(digest, bs, group) < 0)
            child_fail("blob");
        report(fd, REC_BLOB, 0, digest);

        char payload[64];
        int64_t id;
        struct store_job job;
        snprintf(payload, sizeof(payload), "{\"g\":%" PRId64 "}", group);
        struct store_job_spec spec = {
            .kind = "crash.job", .payload = payload, .payload_len = strlen(payload)};
        if (store_job_enqueue(&id, NULL, st, NULL, &spec) < 0)
            child_fail("enqueue");
        report(fd, REC_ENQUEUED, id, NULL);
        if (store_job_claim(&job, st, NULL, "crash-child", NULL, 0, LEASE_MS) < 0)
            child_fail("claim");
        report(fd, REC_CLAIMED, job.id, NULL);
        /* Every other job is left running: work in flight at the kill. */
        if (group % 2 == 0) {
            if (store_job_complete(st, NULL, job.id, job.lease_token) < 0)
                child_fail("complete");
            report(fd, REC_DONE, job.id, NULL);
        }
        store_job_release(&job);
    }
    _exit(5);
}

/* --- The parent ---------------------------------------------------------- */

static void take_record(struct reported *rep, const struct record *rec)
{
    switch (rec->type) {
    case REC_TX:
        ALLOC_GROW(rep->groups, rep->groups_len + 1, rep->groups_alloc);
        rep->groups[rep->groups_len++] = rec->value;
        break;
    case REC_BLOB:
        ALLOC_GROW(rep->digests, rep->digests_len + 1, rep->digests_alloc);
        memcpy(rep->digests[rep->digests_len++], rec->digest, BLOB_DIGEST_LEN + 1);
        break;
    case REC_ENQUEUED:
        ALLOC_GROW(rep->enqueued, rep->enqueued_len + 1, rep->enqueued_alloc);
        rep->enqueued[rep->enqueued_len++] = rec->value;
        break;
    case REC_CLAIMED:
        ALLOC_GROW(rep->claimed, rep->claimed_len + 1, rep->claimed_alloc);
        rep->claimed[rep->claimed_len++] = rec->value;
        break;
    case REC_DONE:
        ALLOC_GROW(rep->done, rep->done_len + 1, rep->done_alloc);
        rep->done[rep->done_len++] = rec->value;
        break;
    default:
        fail_msg("unknown record type %d", rec->type);
    }
}

/* Reads what is available until `deadline_ns` (0: no deadline) or EOF;
 * returns the number of records taken and sets *eof when the child is
 * gone. */
static size_t drain(bool *eof, struct reported *rep, struct buf *pending, int fd,
                    int64_t deadline_ns)
{
    size_t taken = 0;
    *eof = false;
    for (;;) {
        int timeout = -1;
        if (deadline_ns) {
            int64_t left = deadline_ns - clock_mono_ns();
            if (left <= 0)
                break;
            timeout = (int)(left / 1000000) + 1;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n = poll(&pfd, 1, timeout);
        if (n < 0 && errno == EINTR)
            continue;
        assert_true(n >= 0);
        if (n == 0)
            continue;
        char chunk[4096];
        ssize_t got = read(fd, chunk, sizeof(chunk));
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        assert_true(got >= 0);
        if (got == 0) {
            *eof = true;
            break;
        }
        buf_add(pending, chunk, (size_t)got);
        size_t off = 0;
        while (pending->len - off >= sizeof(struct record)) {
            struct record rec;
            memcpy(&rec, pending->data + off, sizeof(rec));
            take_record(rep, &rec);
            off += sizeof(rec);
            taken++;
        }
        memmove(pending->data, pending->data + off, pending->len - off);
        buf_setlen(pending, pending->len - off);
    }
    return taken;
}

static int64_t group_of(const char *s)
{
    const char *p = strstr(s, "\"g\":");
    if (!p)
        fail_msg("no group in '%s'", s);
    return strtoll(p + 4, NULL, 10);
}

static void check_documents(struct store *st, const struct reported *rep, int rounds)
{
    size_t slots = (size_t)rounds * ROUND_ITERS;
    uint8_t *parts = xcalloc(slots, 1);
    uint8_t *events = xcalloc(slots, 1);
    char *cursor = NULL;

    for (;;) {
        struct store_doc_page page;
        struct store_doc_query q = {
            .kind = DOC_KIND, .scope = DOC_SCOPE, .after = cursor, .limit = 500};
        assert_int_equal(store_doc_list(&page, st, NULL, &q), 0);
        for (size_t i = 0; i < page.len; i++) {
            int64_t group = strtoll(page.items[i].name + 1, NULL, 10);
            assert_true(group >= 0 && (size_t)group < slots);
            assert_int_equal(group_of(page.items[i].body), group);
            parts[group]++;
        }
        free(cursor);
        cursor = page.len ? xstrdup(page.items[page.len - 1].name) : NULL;
        bool more = page.more;
        store_doc_page_release(&page);
        if (!more)
            break;
    }
    free(cursor);

    int64_t after = 0;
    for (;;) {
        struct store_event_batch batch;
        assert_int_equal(store_outbox_fetch(&batch, st, NULL, after, 0), 0);
        for (size_t i = 0; i < batch.len; i++) {
            int64_t group = group_of(batch.items[i].body);
            assert_true(group >= 0 && (size_t)group < slots);
            events[group]++;
            after = batch.items[i].seq;
        }
        size_t len = batch.len;
        store_event_batch_release(&batch);
        if (len == 0)
            break;
    }

    /* All or nothing: three documents and one event, or none of them. */
    for (size_t g = 0; g < slots; g++) {
        if (parts[g] != 0 && parts[g] != 3)
            fail_msg("transaction %zu is partly present: %d of 3 documents", g, parts[g]);
        if (events[g] != (parts[g] ? 1 : 0))
            fail_msg("transaction %zu has %d events for %d documents", g, events[g], parts[g]);
    }
    /* Durable: every commit the child saw is there. */
    for (size_t i = 0; i < rep->groups_len; i++)
        if (parts[rep->groups[i]] != 3)
            fail_msg("committed transaction %" PRId64 " was lost", rep->groups[i]);
    free(parts);
    free(events);
}

static size_t check_blobs(const char *dir, struct blob_store *bs, const struct reported *rep)
{
    char *root = xasprintf("%s/blobs", dir);
    DIR *top = opendir(root);
    size_t visible = 0;
    assert_non_null(top);
    struct dirent *sub;
    while ((sub = readdir(top))) {
        if (sub->d_name[0] == '.')
            continue;
        char *subpath = xasprintf("%s/%s", root, sub->d_name);
        DIR *d = opendir(subpath);
        assert_non_null(d);
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            /* Temporary files of the dead child were swept on open. */
            if (strcmp(sub->d_name, "tmp") == 0)
                fail_msg("temporary file '%s' survived the sweep", e->d_name);
            char *digest = xasprintf("%s%s", sub->d_name, e->d_name);
            if (!blob_digest_valid(digest))
                fail_msg("'%s/%s' is not named by a digest", sub->d_name, e->d_name);
            _cleanup_buf_ struct buf data = BUF_INIT;
            uint8_t raw[SHA256_LEN];
            char actual[BLOB_DIGEST_LEN + 1];
            assert_int_equal(blob_store_get(&data, bs, digest), 0);
            sha256(raw, data.data, data.len);
            hex_encode(actual, raw, sizeof(raw));
            if (strcmp(actual, digest) != 0)
                fail_msg("blob '%s' holds bytes hashing to '%s'", digest, actual);
            free(digest);
            visible++;
        }
        closedir(d);
        free(subpath);
    }
    closedir(top);
    free(root);

    for (size_t i = 0; i < rep->digests_len; i++) {
        bool exists = false;
        assert_int_equal(blob_store_exists(&exists, bs, rep->digests[i]), 0);
        if (!exists)
            fail_msg("stored blob '%s' was lost", rep->digests[i]);
    }
    return visible;
}

static void check_jobs(struct store *st, const struct reported *rep, size_t *recovered_out)
{
    struct store_job job;

    for (size_t i = 0; i < rep->enqueued_len; i++) {
        assert_int_equal(store_job_get(&job, st, NULL, rep->enqueued[i]), 0);
        store_job_release(&job);
    }
    for (size_t i = 0; i < rep->done_len; i++) {
        assert_int_equal(store_job_get(&job, st, NULL, rep->done[i]), 0);
        assert_int_equal(job.state, STORE_JOB_DONE);
        store_job_release(&job);
    }

    /* Restart: leases held by the dead child expire and are reclaimed;
     * every job then runs to completion. */
    clock_set_fake(clock_now_ms() + LEASE_MS + 1000);
    size_t reclaimed = 0, recovered = 0;
    assert_int_equal(store_job_reclaim(&reclaimed, st, NULL), 0);
    for (;;) {
        int r = store_job_claim(&job, st, NULL, "recovery", NULL, 0, LEASE_MS);
        if (r == ERR_NOT_FOUND)
            break;
        assert_int_equal(r, 0);
        assert_int_equal(store_job_complete(st, NULL, job.id, job.lease_token), 0);
        store_job_release(&job);
        recovered++;
    }
    clock_set_fake(0);
    assert_true(recovered >= reclaimed);

    for (size_t i = 0; i < rep->claimed_len; i++) {
        assert_int_equal(store_job_get(&job, st, NULL, rep->claimed[i]), 0);
        if (job.state != STORE_JOB_DONE)
            fail_msg("claimed job %" PRId64 " is %s after recovery", job.id,
                     store_job_state_name(job.state));
        store_job_release(&job);
    }
    size_t count = 1;
    assert_int_equal(store_job_count(&count, st, NULL, NULL, STORE_JOB_RUNNING), 0);
    assert_int_equal(count, 0);
    assert_int_equal(store_job_count(&count, st, NULL, NULL, STORE_JOB_QUEUED), 0);
    assert_int_equal(count, 0);
    *recovered_out = recovered;
}

static void reported_release(struct reported *rep)
{
    free(rep->groups);
    free(rep->digests);
    free(rep->enqueued);
    free(rep->claimed);
    free(rep->done);
}

/* The data directory lives in the test state so that teardown removes it
 * even when a check fails half-way. */
static int setup(void **state)
{
    char tmpl[] = "/tmp/slipway-crash-XXXXXX";
    if (!mkdtemp(tmpl))
        return -1;
    *state = xstrdup(tmpl);
    return 0;
}

static int teardown(void **state)
{
    char *dir = *state;
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
    clock_set_fake(0);
    return 0;
}

static void test_kill_during_writes(void **state)
{
    const char *tmpl = *state;
    struct reported rep = {0};
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    const char *env = getenv("SLIPWAY_CRASH_SEED");
    if (env)
        seed = (unsigned)strtoul(env, NULL, 10);
    print_message("# crash test seed %u (SLIPWAY_CRASH_SEED to repeat)\n", seed);

    for (int round = 0; round < ROUNDS; round++) {
        int fds[2];
        _cleanup_buf_ struct buf pending = BUF_INIT;
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child_run(tmpl, fds[1], round);
        }
        close(fds[1]);

        /* Odd rounds die early, perhaps while opening (round 1 is the first
         * to find a database, round 0 may die migrating a new one); even
         * rounds die at a random point of steady writing. */
        int64_t delay_ms = rand_r(&seed) % (round % 2 ? 40 : 400);
        size_t before = rep.groups_len;
        bool eof = false;
        if (round % 2 == 0) {
            /* Wait for the first report, then let it run a while. */
            while (!eof && drain(&eof, &rep, &pending, fds[0], clock_mono_ns() + 10000000LL) == 0)
                ;
        }
        if (!eof)
            drain(&eof, &rep, &pending, fds[0], clock_mono_ns() + delay_ms * 1000000LL);
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
            fail_msg("crash child ended on its own (status %d) before the kill", status);
        drain(&eof, &rep, &pending, fds[0], 0);
        close(fds[0]);

        struct store *st;
        struct blob_store *bs;
        size_t recovered = 0;
        assert_int_equal(store_open(&st, tmpl, NULL), 0);
        assert_int_equal(store_integrity_check(st), 0);
        assert_int_equal(blob_store_open(&bs, tmpl), 0);
        check_documents(st, &rep, round + 1);
        size_t blobs = check_blobs(tmpl, bs, &rep);
        check_jobs(st, &rep, &recovered);
        assert_int_equal(store_integrity_check(st), 0);
        print_message("# round %d: killed after %zu transactions; %zu blobs, %zu jobs recovered\n",
                      round, rep.groups_len - before, blobs, recovered);
        blob_store_free(bs);
        store_free(st);
    }
    /* The rounds did write something worth checking. */
    assert_true(rep.groups_len > 0);
    assert_true(rep.digests_len > 0);
    assert_true(rep.claimed_len > rep.done_len);
    reported_release(&rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kill_during_writes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
