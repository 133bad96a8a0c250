#include "base/common.h"
#include "base/alloc.h"
#include "base/crypto.h"
#include "base/err.h"
#include "store/blob.h"
#include "store/blob_backend.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

/*
 * Filesystem blob backend: `<dir>/blobs/ab/<62 more hex digits>`.
 *
 * A writer fills `<dir>/blobs/tmp/<random>.tmp`, then at commit fsyncs it,
 * renames it to its digest and fsyncs the directory that now holds the
 * name. After the rename the blob is complete on disk and under its final
 * name; before it, nothing under a digest name exists. rename() replaces
 * atomically, so a concurrent writer of the same bytes is harmless.
 *
 * Every writer holds an exclusive flock() on its temporary file. The sweep
 * at open removes only temporary files it can lock, i.e. those whose writer
 * is dead (the kernel drops a dead process's locks), so opening a second
 * store on a live directory never destroys a write in progress.
 */

#define FANOUT_LEN     2
#define TMP_NAME_BYTES 16

struct fs_blob_store {
    struct blob_store base;
    char *root;
    int root_fd;
    int tmp_fd;
};

struct fs_blob_writer {
    struct blob_writer base;
    int fd;
    char tmp_name[TMP_NAME_BYTES * 2 + 5];
};

static struct fs_blob_store *fs_of(struct blob_store *bs)
{
    return (struct fs_blob_store *)bs;
}

/* "ab" and "cdef..." of a digest, for the *at() calls. */
struct blob_path {
    char dir[FANOUT_LEN + 1];
    char file[BLOB_DIGEST_LEN - FANOUT_LEN + 1];
};

static void blob_path_of(struct blob_path *path, const char *digest)
{
    memcpy(path->dir, digest, FANOUT_LEN);
    path->dir[FANOUT_LEN] = '\0';
    memcpy(path->file, digest + FANOUT_LEN, BLOB_DIGEST_LEN - FANOUT_LEN + 1);
}

static int mkdir_synced(int parent_fd, const char *name, const char *parent_path)
{
    if (mkdirat(parent_fd, name, 0700) == 0) {
        /* A new directory entry is durable only once its parent is synced. */
        if (fsync(parent_fd) < 0)
            return err_set_errno(ERR_IO, "cannot sync directory '%s'", parent_path);
        return 0;
    }
    if (errno != EEXIST)
        return err_set_errno(ERR_IO, "cannot create directory '%s/%s'", parent_path, name);
    return 0;
}

/* Removes temporary files whose writers are gone. */
static void sweep_temporaries(struct fs_blob_store *fs)
{
    int dup_fd = fcntl(fs->tmp_fd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0)
        return;
    DIR *dir = fdopendir(dup_fd);
    if (!dir) {
        close(dup_fd);
        return;
    }
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        if (entry->d_name[0] == '.')
            continue;
        _cleanup_close_ int fd =
            openat(fs->tmp_fd, entry->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
            /* Not a file we could have written (a symlink, say): nothing a
             * writer holds, so it goes too. */
            if (errno == ELOOP)
                unlinkat(fs->tmp_fd, entry->d_name, 0);
            continue;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            unlinkat(fs->tmp_fd, entry->d_name, 0);
    }
    closedir(dir);
}

static void fs_free(struct blob_store *bs)
{
    struct fs_blob_store *fs = fs_of(bs);
    if (fs->root_fd >= 0)
        close(fs->root_fd);
    if (fs->tmp_fd >= 0)
        close(fs->tmp_fd);
    free(fs->root);
    free(fs);
}

static int fs_writer_begin(struct blob_writer **out, struct blob_store *bs)
{
    struct fs_blob_store *fs = fs_of(bs);
    struct fs_blob_writer *w = xcalloc(1, sizeof(*w));
    uint8_t raw[TMP_NAME_BYTES];

    /* A sweep by another store may unlink the file between our create and
     * our lock; then the file we hold has no name, and we start over. */
    for (int attempt = 0;; attempt++) {
        random_bytes(raw, sizeof(raw));
        hex_encode(w->tmp_name, raw, sizeof(raw));
        memcpy(w->tmp_name + TMP_NAME_BYTES * 2, ".tmp", 5);
        w->fd = openat(fs->tmp_fd, w->tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (w->fd < 0) {
            int r = err_set_errno(ERR_IO, "cannot create '%s/tmp/%s'", fs->root, w->tmp_name);
            free(w);
            return r;
        }
        struct stat st;
        if (flock(w->fd, LOCK_EX) == 0 && fstat(w->fd, &st) == 0 && st.st_nlink > 0)
            break;
        close(w->fd);
        if (attempt == 3) {
            free(w);
            return err_set(ERR_IO, "cannot hold a temporary file in '%s/tmp'", fs->root);
        }
    }
    *out = &w->base;
    return 0;
}

static int fs_writer_write(struct blob_writer *base, const void *data, size_t len)
{
    struct fs_blob_writer *w = (struct fs_blob_writer *)base;
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(w->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return err_set_errno(ERR_IO, "cannot write blob to '%s/tmp/%s'",
                                 fs_of(w->base.store)->root, w->tmp_name);
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fs_writer_sync(struct blob_writer *base)
{
    struct fs_blob_writer *w = (struct fs_blob_writer *)base;
    if (fdatasync(w->fd) < 0)
        return err_set_errno(ERR_IO, "cannot sync blob '%s/tmp/%s'", fs_of(w->base.store)->root,
                             w->tmp_name);
    return 0;
}

static void fs_writer_abort(struct blob_writer *base)
{
    struct fs_blob_writer *w = (struct fs_blob_writer *)base;
    unlinkat(fs_of(w->base.store)->tmp_fd, w->tmp_name, 0);
    close(w->fd);
    free(w);
}

static int fs_writer_commit(struct blob_writer *base, const char *digest)
{
    struct fs_blob_writer *w = (struct fs_blob_writer *)base;
    struct fs_blob_store *fs = fs_of(w->base.store);
    _cleanup_close_ int dir_fd = -1;
    struct blob_path path;
    int r;

    blob_path_of(&path, digest);
    /* Data first, then the name: the rename must never reach the disk
     * before the bytes it names. */
    if (fsync(w->fd) < 0) {
        r = err_set_errno(ERR_IO, "cannot sync blob '%s'", digest);
        goto fail;
    }
    if ((r = mkdir_synced(fs->root_fd, path.dir, fs->root)) < 0)
        goto fail;
    dir_fd = openat(fs->root_fd, path.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        r = err_set_errno(ERR_IO, "cannot open directory '%s/%s'", fs->root, path.dir);
        goto fail;
    }
    if (renameat(fs->tmp_fd, w->tmp_name, dir_fd, path.file) < 0) {
        r = err_set_errno(ERR_IO, "cannot store blob '%s'", digest);
        goto fail;
    }
    close(w->fd);
    free(w);
    if (fsync(dir_fd) < 0)
        return err_set_errno(ERR_IO, "cannot sync directory '%s/%s'", fs->root, path.dir);
    return 0;

fail:
    fs_writer_abort(&w->base);
    return r;
}

static int fs_open_fd(int *fd_out, uint64_t *size_out, struct blob_store *bs, const char *digest)
{
    struct fs_blob_store *fs = fs_of(bs);
    struct blob_path path;
    char rel[BLOB_DIGEST_LEN + 2];
    struct stat st;

    blob_path_of(&path, digest);
    snprintf(rel, sizeof(rel), "%s/%s", path.dir, path.file);
    int fd = openat(fs->root_fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return err_set(ERR_NOT_FOUND, "blob '%s' does not exist", digest);
        return err_set_errno(ERR_IO, "cannot open blob '%s'", digest);
    }
    if (fstat(fd, &st) < 0) {
        int r = err_set_errno(ERR_IO, "cannot stat blob '%s'", digest);
        close(fd);
        return r;
    }
    *fd_out = fd;
    if (size_out)
        *size_out = (uint64_t)st.st_size;
    return 0;
}

static int fs_size(uint64_t *size_out, struct blob_store *bs, const char *digest)
{
    struct fs_blob_store *fs = fs_of(bs);
    struct blob_path path;
    char rel[BLOB_DIGEST_LEN + 2];
    struct stat st;

    blob_path_of(&path, digest);
    snprintf(rel, sizeof(rel), "%s/%s", path.dir, path.file);
    if (fstatat(fs->root_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return err_set(ERR_NOT_FOUND, "blob '%s' does not exist", digest);
        return err_set_errno(ERR_IO, "cannot stat blob '%s'", digest);
    }
    if (!S_ISREG(st.st_mode))
        return err_set(ERR_IO, "blob '%s' is not a regular file", digest);
    *size_out = (uint64_t)st.st_size;
    return 0;
}

static int fs_remove(struct blob_store *bs, const char *digest)
{
    struct fs_blob_store *fs = fs_of(bs);
    struct blob_path path;
    char rel[BLOB_DIGEST_LEN + 2];

    blob_path_of(&path, digest);
    snprintf(rel, sizeof(rel), "%s/%s", path.dir, path.file);
    if (unlinkat(fs->root_fd, rel, 0) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return err_set(ERR_NOT_FOUND, "blob '%s' does not exist", digest);
        return err_set_errno(ERR_IO, "cannot delete blob '%s'", digest);
    }
    /* Not synced: a delete lost to power loss leaves a complete blob that
     * the next collection deletes again; nothing half-done is exposed. */
    return 0;
}

static const struct blob_backend fs_backend = {
    .name = "fs",
    .free = fs_free,
    .writer_begin = fs_writer_begin,
    .writer_write = fs_writer_write,
    .writer_sync = fs_writer_sync,
    .writer_commit = fs_writer_commit,
    .writer_abort = fs_writer_abort,
    .open_fd = fs_open_fd,
    .size = fs_size,
    .remove = fs_remove,
};

int blob_fs_open(struct blob_store **out, const char *dir)
{
    int r;
    _cleanup_close_ int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
        return err_set_errno(ERR_IO, "cannot open data directory '%s'", dir);

    struct fs_blob_store *fs = xcalloc(1, sizeof(*fs));
    fs->base.backend = &fs_backend;
    fs->root = xasprintf("%s/blobs", dir);
    fs->root_fd = fs->tmp_fd = -1;

    if ((r = mkdir_synced(dir_fd, "blobs", dir)) < 0)
        goto fail;
    fs->root_fd = openat(dir_fd, "blobs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fs->root_fd < 0) {
        r = err_set_errno(ERR_IO, "cannot open '%s'", fs->root);
        goto fail;
    }
    if ((r = mkdir_synced(fs->root_fd, "tmp", fs->root)) < 0)
        goto fail;
    fs->tmp_fd = openat(fs->root_fd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fs->tmp_fd < 0) {
        r = err_set_errno(ERR_IO, "cannot open '%s/tmp'", fs->root);
        goto fail;
    }
    sweep_temporaries(fs);
    *out = &fs->base;
    return 0;

fail:
    fs_free(&fs->base);
    return r;
}
