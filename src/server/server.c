#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include "base/common.h"
#include "server/server.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/log.h"
#include "http/httpd.h"
#include "server/api_route.h"
#include "server/authorizer.h"
#include "server/git_route.h"
#include "runtime/scheduler.h"
#include "services/cloudtrail/cloudtrail.h"
#include "services/iam/iam.h"
#include "services/logs/logs.h"
#include "services/s3/s3.h"
#include "services/secretsmanager/secretsmanager.h"
#include "store/blob.h"
#include "services/codecommit/codecommit.h"
#include "store/master_key.h"
#include "store/store.h"

/* How long a stop waits for requests in flight. */
#define SHUTDOWN_GRACE_MS 10000

/* How often the housekeeping tasks run. */
#define RECLAIM_EVERY_MS   (15 * 1000)
#define RETENTION_EVERY_MS (60 * 1000)
#define LIFECYCLE_EVERY_MS (60 * 1000)
#define BLOB_GC_EVERY_MS   (60 * 1000)
#define SECRETS_EVERY_MS   (60 * 1000)
#define GIT_REFS_EVERY_MS  (60 * 1000)

/* scheduler_task_fn: requeues jobs whose workers stopped renewing. */
static int reclaim_task(void *ctx, int64_t now_ms)
{
    (void)now_ms;
    size_t count;
    return store_job_reclaim(&count, ctx, NULL);
}

static int start_scheduler(struct scheduler **out, struct store *store, struct s3_context *s3,
                           struct codecommit_context *codecommit)
{
    struct scheduler *sched;
    scheduler_new(&sched);
    scheduler_add(sched, "job-reclaim", RECLAIM_EVERY_MS, true, reclaim_task, store);
    scheduler_add(sched, "logs-retention", RETENTION_EVERY_MS, true, logs_retention_task, store);
    scheduler_add(sched, "s3-lifecycle", LIFECYCLE_EVERY_MS, true, s3_lifecycle_task, s3);
    scheduler_add(sched, "s3-blob-gc", BLOB_GC_EVERY_MS, true, s3_blob_gc_task, s3);
    scheduler_add(sched, "secretsmanager-purge", SECRETS_EVERY_MS, true, secretsmanager_purge_task,
                  store);
    scheduler_add(sched, "codecommit-reconcile", GIT_REFS_EVERY_MS, false,
                  codecommit_reconcile_task, codecommit);
    int rc = scheduler_start(sched);
    if (rc < 0) {
        scheduler_free(sched);
        return rc;
    }
    *out = sched;
    return 0;
}

static void internal_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
    (void)ctx;
    if (strcmp(req->path, "/_slipway/health") == 0) {
        static const char ok[] = "{\"status\":\"ok\"}";
        http_response_set(resp, 200, "application/json", ok, sizeof(ok) - 1);
        return;
    }
    static const char missing[] = "{\"message\":\"no such slipway endpoint\"}";
    http_response_set(resp, 404, "application/json", missing, sizeof(missing) - 1);
}

static int write_file_atomic(const char *path, const char *text, mode_t mode)
{
    struct buf tmp = BUF_INIT;
    buf_addf(&tmp, "%s.tmp", path);
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    int rc = 0;
    if (fd < 0) {
        rc = err_set_errno(ERR_IO, "cannot write '%s'", tmp.data);
    } else {
        size_t len = strlen(text);
        bool ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
        if (!ok || rename(tmp.data, path) != 0) {
            rc = err_set_errno(ERR_IO, "cannot write '%s'", path);
            unlink(tmp.data);
        }
    }
    buf_release(&tmp);
    return rc;
}

/*
 * The data directory holds every secret key and session in its database:
 * it must be the server user's alone. An existing directory that others
 * can enter is refused rather than silently changed.
 */
static int make_data_dir(const char *dir)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return err_set_errno(ERR_IO, "cannot create the data directory '%s'", dir);
    struct stat st;
    if (stat(dir, &st) != 0)
        return err_set_errno(ERR_IO, "cannot read the data directory '%s'", dir);
    if (!S_ISDIR(st.st_mode))
        return err_set(ERR_INVALID, "the data directory '%s' is not a directory", dir);
    if (st.st_mode & 077)
        return err_set(ERR_INVALID,
                       "the data directory '%s' is open to other users (mode %03o): it holds "
                       "credentials; run 'chmod 700 %s'",
                       dir, (unsigned)(st.st_mode & 0777), dir);
    return 0;
}

int server_run(const struct server_config *cfg)
{
    int64_t started_ns = clock_mono_ns();
    log_setup(STDERR_FILENO, server_config_log_level(cfg));
    /* Everything the server writes (state, blobs, credentials) is private. */
    umask(077);
    crypto_init();

    /* Signals are taken by this thread alone, with sigwait(); every thread
     * started later inherits the mask. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct store *store = NULL;
    struct blob_store *blobs = NULL;
    struct scheduler *sched = NULL;
    struct httpd *http = NULL;
    struct cloudtrail_recorder *trail = NULL;
    struct git_route git = {0};
    int exit_code = 1;
    struct buf path = BUF_INIT;

    struct master_key master_key;
    if (make_data_dir(cfg->data_dir) < 0 || store_open(&store, cfg->data_dir, NULL) < 0 ||
        blob_store_open(&blobs, cfg->data_dir) < 0 ||
        master_key_load(&master_key, cfg->data_dir) < 0) {
        log_error("server", "%s", err_msg());
        goto done;
    }
    buf_addf(&path, "%s/%s", cfg->data_dir, SERVER_CREDENTIALS_FILE);
    if (iam_bootstrap_admin(store, cfg->account_id, cfg->region, path.data) < 0) {
        log_error("server", "cannot set up the admin credentials: %s", err_msg());
        goto done;
    }
    authorizer_install(store);
    size_t expired = 0;
    if (iam_sessions_purge(&expired, store, clock_now_ms()) < 0)
        log_warn("server", "cannot purge expired sessions: %s", err_msg());

    /* Refs a crash left moved on disk but unrecorded get their events now. */
    size_t reconciled = 0;
    if (codecommit_reconcile(&reconciled, store, cfg->data_dir) < 0)
        log_warn("server", "cannot reconcile CodeCommit refs: %s", err_msg());
    else if (reconciled)
        log_info("server", "recorded %zu CodeCommit ref changes found at start-up", reconciled);

    struct s3_context s3 = {.store = store, .blobs = blobs};
    struct codecommit_context codecommit = {.store = store, .data_dir = cfg->data_dir};
    if (start_scheduler(&sched, store, &s3, &codecommit) < 0) {
        log_error("server", "%s", err_msg());
        goto done;
    }

    if (strcmp(cfg->cloudtrail, "on") == 0) {
        if (cloudtrail_recorder_new(&trail, store) < 0) {
            log_error("server", "%s", err_msg());
            goto done;
        }
        cloudtrail_set_recorder(trail);
    }

    struct api_route api = {
        .store = store,
        .blobs = blobs,
        .master_key = &master_key,
        .s3_domain = cfg->s3_domain,
        .data_dir = cfg->data_dir,
        .default_account_id = cfg->account_id,
        .default_region = cfg->region,
        .auth_open = strcmp(cfg->auth, "open") == 0,
        .trail = trail,
    };
    /* git smart HTTP goes before the API, which takes every path: its
     * region form ("/<region>/v1/repos/...") is recognised by its match. */
    git = (struct git_route){
        .store = store,
        .data_dir = cfg->data_dir,
        .default_region = cfg->region,
        .default_account_id = cfg->account_id,
        .auth_open = api.auth_open,
    };
    if (git_route_init(&git) < 0)
        log_warn("server", "git over HTTP is unavailable: %s", err_msg());
    const struct http_route routes[] = {
        {"/_slipway/", internal_handle, NULL, NULL, NULL},
        {GIT_ROUTE_PREFIX, git_route_handle, &git, git_route_begin, NULL},
        {"/", git_route_handle, &git, git_route_begin, git_route_match},
        {"/", api_route_handle, &api, api_route_begin, NULL},
    };
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct httpd_config hcfg = {
        .listen = cfg->listen,
        .workers = cfg->workers ? cfg->workers : (unsigned)(cores > 0 ? cores : 2),
        .max_header_bytes = cfg->max_header_bytes,
        .max_body_bytes = cfg->max_body_bytes,
        .timeout_seconds = cfg->timeout_seconds,
        .request_seconds = cfg->request_seconds,
        .tls_cert_file = cfg->tls_cert,
        .tls_key_file = cfg->tls_key,
        .routes = routes,
        .route_count = ARRAY_SIZE(routes),
    };
    if (httpd_start(&http, &hcfg) < 0) {
        log_error("server", "%s", err_msg());
        goto done;
    }

    const char *scheme = cfg->tls_cert ? "https" : "http";
    struct buf endpoint = BUF_INIT;
    buf_addf(&endpoint, "{\"endpoint\":\"%s://%s\",\"region\":\"%s\",\"account_id\":\"%s\"}\n",
             scheme, httpd_address(http), cfg->region, cfg->account_id);
    buf_reset(&path);
    buf_addf(&path, "%s/%s", cfg->data_dir, SERVER_ENDPOINT_FILE);
    if (write_file_atomic(path.data, endpoint.data, 0644) < 0)
        log_warn("server", "%s", err_msg());
    buf_release(&endpoint);

    log_info("server", "listening on %s://%s (ready in %.1f ms)", scheme, httpd_address(http),
             (double)(clock_mono_ns() - started_ns) / 1e6);
    fprintf(stderr,
            "\nslipway is serving on %s://%s\n"
            "  admin credentials: %s/%s\n"
            "  try:  eval \"$(%s env --data %s)\" && aws sts get-caller-identity\n\n",
            scheme, httpd_address(http), cfg->data_dir, SERVER_CREDENTIALS_FILE,
            program_invocation_name, cfg->data_dir);

    int sig = 0;
    sigwait(&signals, &sig);
    log_info("server", "stopping on %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    httpd_stop(http, SHUTDOWN_GRACE_MS);
    http = NULL;
    exit_code = 0;
done:
    httpd_stop(http, 0);
    /* After the last request: every record queued is written now. */
    cloudtrail_recorder_free(trail);
    git_route_release(&git);
    scheduler_free(sched);
    if (store)
        authorizer_shutdown();
    blob_store_free(blobs);
    store_free(store);
    explicit_bzero(&master_key, sizeof(master_key));
    buf_release(&path);
    if (exit_code == 0)
        log_info("server", "stopped");
    return exit_code;
}
