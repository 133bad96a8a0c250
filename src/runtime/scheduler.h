#ifndef SLIPWAY_RUNTIME_SCHEDULER_H
#define SLIPWAY_RUNTIME_SCHEDULER_H

#include "base/common.h"

/*
 * Periodic housekeeping: expiring log events past their retention, applying
 * S3 lifecycle rules, reclaiming expired job leases, collecting unreferenced
 * blobs. One thread runs every registered task when it falls due; a task
 * that fails is logged and tried again at its next period, so a task must be
 * safe to run again after a failure (each does its work in transactions).
 *
 * Tasks run one after another, never concurrently with themselves, and
 * should do a bounded amount of work per run (a batch), returning 1 when
 * work remains so the scheduler runs them again at once.
 */

struct scheduler;

/*
 * A task: returns 0 when done for this period, 1 when more work is waiting
 * (run again soon), or a negative err kind with err_msg() set.
 */
typedef int (*scheduler_task_fn)(void *ctx, int64_t now_ms);

#define SCHEDULER_TASKS_MAX 32

int scheduler_new(struct scheduler **out);
/*
 * Registers a task run every `period_ms`, first at start + period_ms (or at
 * once with `run_at_start`). `name` is a static string for logs. Only before
 * scheduler_start().
 */
void scheduler_add(struct scheduler *s, const char *name, int64_t period_ms, bool run_at_start,
                   scheduler_task_fn fn, void *ctx);
/* Starts the thread. */
int scheduler_start(struct scheduler *s);
/* Runs every due task once on the calling thread (tests). */
void scheduler_run_due(struct scheduler *s, int64_t now_ms);
/* Stops the thread (waiting for a task in progress) and frees. Accepts NULL. */
void scheduler_free(struct scheduler *s);

#endif
