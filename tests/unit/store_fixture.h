#ifndef SLIPWAY_TESTS_UNIT_STORE_FIXTURE_H
#define SLIPWAY_TESTS_UNIT_STORE_FIXTURE_H

/*
 * A store in a fresh temporary directory, removed again afterwards, with the
 * wall clock fixed at a given time while it is open. For cmocka setup and
 * teardown functions.
 */
#include "base/common.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"
#include "store/store.h"

#include <ftw.h>
#include <sys/stat.h>

struct store_fixture {
    char *dir;
    struct store *st;
};

static int store_fixture_remove_entry(const char *path, const struct stat *sb UNUSED,
                                      int flag UNUSED, struct FTW *ftw UNUSED)
{
    return remove(path);
}

/* Returns 0, or -1 after printing why. `name` goes into the directory name. */
static inline int store_fixture_open(struct store_fixture *f, const char *name, int64_t now_ms)
{
    char *tmpl = xasprintf("/tmp/slipway-%s-XXXXXX", name);
    if (!mkdtemp(tmpl)) {
        fprintf(stderr, "store fixture: mkdtemp: %s\n", strerror(errno));
        free(tmpl);
        return -1;
    }
    f->dir = tmpl;
    clock_set_fake(now_ms);
    if (store_open(&f->st, f->dir, NULL) < 0) {
        fprintf(stderr, "store fixture: store_open: %s\n", err_msg());
        return -1;
    }
    return 0;
}

static inline void store_fixture_close(struct store_fixture *f)
{
    store_free(f->st);
    nftw(f->dir, store_fixture_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f->dir);
    f->dir = NULL;
    f->st = NULL;
    clock_set_fake(0);
}

#endif
