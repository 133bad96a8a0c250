/*
 * Crash consistency of CompleteMultipartUpload (src/services/s3/multipart.c):
 * a child process completes an upload and is killed with SIGKILL at a
 * random moment (while it concatenates the parts, commits the blob, or
 * runs the transaction), several rounds. After each kill the parent checks
 * that the data directory holds either the upload with all its parts and
 * no object, or the object with the right bytes and ETag and no upload,
 * never a half of each, and that every blob reference count matches the
 * records naming the blob. The seed (SLIPWAY_CRASH_SEED) is printed.
 */
#include "base/common.h"
#include "s3_object_fixture.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>

#include <cmocka.h>

#define ROUNDS 8
#define MIB    (1024 * 1024)
#define PARTS  3

static const size_t part_sizes[PARTS] = {5 * MIB, 5 * MIB, 4096};

struct round {
    char key[32];
    char upload_id[S3_UPLOAD_ID_LEN + 1];
    char parts_json[1024];
    char etag[64];
    uint8_t *data; /* the whole object */
    size_t size;
};

static const char *str(const json_t *o, const char *name)
{
    const char *s = json_string_value(json_object_get(o, name));
    return s ? s : "";
}

/* An upload with PARTS parts of a pattern that differs per round. */
static void prepare(struct s3o_fixture *f, struct round *r, int n)
{
    snprintf(r->key, sizeof(r->key), "crash-%d", n);
    json_t *out = NULL;
    char params[512];
    snprintf(params, sizeof(params), "{\"Bucket\":\"bkt\",\"Key\":\"%s\"}", r->key);
    assert_int_equal(s3o_call(f, "CreateMultipartUpload", params, &out), 0);
    snprintf(r->upload_id, sizeof(r->upload_id), "%s", str(out, "UploadId"));
    json_decref(out);
    r->size = 0;
    for (int i = 0; i < PARTS; i++)
        r->size += part_sizes[i];
    r->data = xmalloc(r->size);
    for (size_t i = 0; i < r->size; i++)
        r->data[i] = (uint8_t)((i * 31 + (size_t)n * 7) >> 3);
    struct buf parts = BUF_INIT, md5s = BUF_INIT;
    size_t off = 0;
    for (int i = 0; i < PARTS; i++) {
        snprintf(params, sizeof(params),
                 "{\"Bucket\":\"bkt\",\"Key\":\"%s\",\"UploadId\":\"%s\",\"PartNumber\":%d}",
                 r->key, r->upload_id, i + 1);
        assert_int_equal(s3o_call_full(f, NULL, "UploadPart", params, r->data + off, part_sizes[i],
                                       NULL, &out, NULL),
                         0);
        char *etag = json_dumps(json_object_get(out, "ETag"), JSON_ENCODE_ANY);
        buf_addf(&parts, "%s{\"PartNumber\":%d,\"ETag\":%s}", i ? "," : "", i + 1, etag);
        free(etag);
        json_decref(out);
        uint8_t raw[MD5_LEN];
        md5(raw, r->data + off, part_sizes[i]);
        buf_add(&md5s, raw, MD5_LEN);
        off += part_sizes[i];
    }
    snprintf(r->parts_json, sizeof(r->parts_json), "%s", parts.data);
    uint8_t raw[MD5_LEN];
    char hex[2 * MD5_LEN + 1];
    md5(raw, md5s.data, md5s.len);
    hex_encode(hex, raw, MD5_LEN);
    snprintf(r->etag, sizeof(r->etag), "\"%s-%d\"", hex, PARTS);
    buf_release(&parts);
    buf_release(&md5s);
}

/* The child: its own store and blob store over the same directory. */
NORETURN static void child_complete(const char *dir, const struct principal *admin,
                                    const struct round *r)
{
    struct store *st;
    struct blob_store *bs;
    if (store_open(&st, dir, NULL) < 0 || blob_store_open(&bs, dir) < 0)
        _exit(2);
    /* Admins only: the parent's authorizer holds the parent's store. */
    api_set_authorizer(NULL);
    struct api_call call = {
        .request_id = "CRASH",
        .service = model_service_find("s3"),
        .principal = admin,
        .account_id = admin->account_id,
        .region = "us-east-1",
        .partition = "aws",
        .store = st,
        .blobs = bs,
        .now_ms = clock_now_ms(),
        .source_ip = "127.0.0.1",
        .download = {.fd = -1},
    };
    call.op = model_operation_find(call.service, "CompleteMultipartUpload",
                                   strlen("CompleteMultipartUpload"));
    char *params = xasprintf("{\"Bucket\":\"bkt\",\"Key\":\"%s\",\"UploadId\":\"%s\","
                             "\"MultipartUpload\":{\"Parts\":[%s]}}",
                             r->key, r->upload_id, r->parts_json);
    json_t *in = json_loads(params, 0, NULL);
    json_t *out = NULL;
    int rc = s3_complete_multipart_upload(&call, in, &out);
    _exit(rc == 0 ? 0 : 3);
}

/* Counts references to each digest from object versions and parts. */
static void check_refs(struct s3o_fixture *f)
{
    json_t *counts = json_object();
    const char *kinds[] = {S3_KIND_OBJECT, S3_KIND_PART};
    for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
        json_t *recs = NULL;
        bool more = false;
        assert_int_equal(record_list(&recs, &more, f->s3->st, NULL, kinds[k], "bkt", NULL, NULL, 0),
                         0);
        assert_false(more);
        size_t i;
        json_t *rec;
        json_array_foreach(recs, i, rec)
        {
            json_t *versions = json_object_get(rec, "Versions");
            json_t *list = versions ? versions : json_pack("[O]", rec);
            size_t j;
            json_t *v;
            json_array_foreach(list, j, v)
            {
                const char *d = str(v, "Digest");
                if (*d)
                    json_object_set_new(
                        counts, d,
                        json_integer(json_integer_value(json_object_get(counts, d)) + 1));
            }
            if (!versions)
                json_decref(list);
        }
        json_decref(recs);
    }
    /* Every counted blob has that count, and exists on disk. */
    const char *digest;
    json_t *n;
    json_object_foreach(counts, digest, n)
    {
        json_t *rec = NULL;
        assert_int_equal(record_get(&rec, NULL, f->s3->st, NULL, S3_KIND_BLOB, S3_SCOPE, digest),
                         0);
        if (json_integer_value(json_object_get(rec, "refs")) != json_integer_value(n))
            fail_msg("blob %s: refs %" JSON_INTEGER_FORMAT ", named %" JSON_INTEGER_FORMAT, digest,
                     json_integer_value(json_object_get(rec, "refs")), json_integer_value(n));
        json_decref(rec);
        bool exists = false;
        assert_int_equal(blob_store_exists(&exists, f->blobs, digest), 0);
        assert_true(exists);
    }
    json_decref(counts);
}

static void test_complete_killed(void **state)
{
    (void)state;
    struct s3o_fixture *f;
    assert_int_equal(s3o_fixture_open(&f, "s3crash"), 0);
    assert_int_equal(s3o_call(f, "CreateBucket", "{\"Bucket\":\"bkt\"}", NULL), 0);
    const char *seed_env = getenv("SLIPWAY_CRASH_SEED");
    unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10) : (unsigned)time(NULL);
    printf("# SLIPWAY_CRASH_SEED=%u\n", seed);
    srand(seed);

    int completed = 0, interrupted = 0;
    for (int n = 0; n < ROUNDS; n++) {
        struct round r;
        prepare(f, &r, n);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            child_complete(f->s3->iam->dir, &f->s3->admin, &r);
        /* Early rounds kill soon, later ones may let it finish. */
        useconds_t delay = (useconds_t)(rand() % (5000 + n * 25000));
        usleep(delay);
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);

        char params[256];
        snprintf(params, sizeof(params), "{\"Bucket\":\"bkt\",\"Key\":\"%s\",\"UploadId\":\"%s\"}",
                 r.key, r.upload_id);
        json_t *parts = NULL;
        int upload_rc = s3o_call(f, "ListParts", params, &parts);
        snprintf(params, sizeof(params), "{\"Bucket\":\"bkt\",\"Key\":\"%s\"}", r.key);
        json_t *out = NULL;
        struct buf body = BUF_INIT;
        int object_rc = s3o_call_full(f, NULL, "GetObject", params, NULL, 0, NULL, &out, &body);
        if (upload_rc == 0) {
            /* Not completed: the upload whole, no object. */
            assert_int_equal(json_array_size(json_object_get(parts, "Parts")), PARTS);
            assert_int_equal(object_rc, ERR_NOT_FOUND);
            interrupted++;
        } else {
            /* Completed: the object whole, no upload. */
            assert_string_equal(f->code, "");
            assert_int_equal(object_rc, 0);
            assert_string_equal(str(out, "ETag"), r.etag);
            assert_int_equal(body.len, r.size);
            assert_memory_equal(body.data, r.data, r.size);
            completed++;
        }
        if (upload_rc == 0) {
            /* The upload still completes after the crash. */
            char *cp = xasprintf("{\"Bucket\":\"bkt\",\"Key\":\"%s\",\"UploadId\":\"%s\","
                                 "\"MultipartUpload\":{\"Parts\":[%s]}}",
                                 r.key, r.upload_id, r.parts_json);
            assert_int_equal(s3o_call(f, "CompleteMultipartUpload", cp, NULL), 0);
            free(cp);
        }
        check_refs(f);
        json_decref(parts);
        json_decref(out);
        buf_release(&body);
        free(r.data);
    }
    printf("# %d rounds interrupted, %d completed before the kill\n", interrupted, completed);
    assert_int_equal(store_integrity_check(f->s3->st), 0);
    s3o_fixture_close(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_killed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
