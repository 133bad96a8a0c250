#include <pthread.h>

#include "base/common.h"
#include "runtime/scheduler.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"

struct scheduler_task {
    const char *name;
    int64_t period_ms;
    int64_t due_ms;
    scheduler_task_fn fn;
    void *ctx;
};

struct scheduler {
    struct scheduler_task tasks[SCHEDULER_TASKS_MAX];
    size_t task_count;
    pthread_t thread;
    bool started;
    bool stopping;
    pthread_mutex_t lock;
    pthread_cond_t wake;
};

int scheduler_new(struct scheduler **out)
{
    struct scheduler *s = xcalloc(1, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &attr);
    pthread_condattr_destroy(&attr);
    *out = s;
    return 0;
}

void scheduler_add(struct scheduler *s, const char *name, int64_t period_ms, bool run_at_start,
                   scheduler_task_fn fn, void *ctx)
{
    /* A fixed table sized for the tasks slipway registers: more is a bug. */
    if (s->task_count == SCHEDULER_TASKS_MAX)
        abort();
    int64_t now = clock_now_ms();
    s->tasks[s->task_count++] = (struct scheduler_task){
        .name = name,
        .period_ms = period_ms,
        .due_ms = run_at_start ? now : now + period_ms,
        .fn = fn,
        .ctx = ctx,
    };
}

/* A task with more work waiting runs again after this pause. */
#define SCHEDULER_AGAIN_MS 10

static void run_task(struct scheduler_task *t, int64_t now_ms)
{
    err_clear();
    int rc = t->fn(t->ctx, now_ms);
    if (rc < 0) {
        log_write(LOG_WARN, "scheduler", NULL, "task '%s' failed: %s", t->name, err_msg());
        t->due_ms = now_ms + t->period_ms;
    } else {
        t->due_ms = now_ms + (rc > 0 ? SCHEDULER_AGAIN_MS : t->period_ms);
    }
}

void scheduler_run_due(struct scheduler *s, int64_t now_ms)
{
    for (size_t i = 0; i < s->task_count; i++)
        if (s->tasks[i].due_ms <= now_ms)
            run_task(&s->tasks[i], now_ms);
}

static void *scheduler_main(void *arg)
{
    struct scheduler *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        int64_t now = clock_now_ms();
        int64_t next = now + 60000;
        pthread_mutex_unlock(&s->lock);
        scheduler_run_due(s, now);
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < s->task_count; i++)
            if (s->tasks[i].due_ms < next)
                next = s->tasks[i].due_ms;
        int64_t wait_ms = next - clock_now_ms();
        if (wait_ms <= 0 || s->stopping)
            continue;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += wait_ms / 1000;
        ts.tv_nsec += (wait_ms % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&s->wake, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int scheduler_start(struct scheduler *s)
{
    int rc = pthread_create(&s->thread, NULL, scheduler_main, s);
    if (rc != 0) {
        errno = rc;
        return err_set_errno(ERR_IO, "cannot start the scheduler thread");
    }
    s->started = true;
    return 0;
}

void scheduler_free(struct scheduler *s)
{
    if (!s)
        return;
    if (s->started) {
        pthread_mutex_lock(&s->lock);
        s->stopping = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
    }
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
