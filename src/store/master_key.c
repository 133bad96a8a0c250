#include <fcntl.h>
#include <sys/stat.h>

#include "base/common.h"
#include "store/master_key.h"
#include "base/err.h"

#define SEALED_PREFIX "v1."

static int key_from_env(struct master_key *out, const char *hex)
{
    if (strlen(hex) != 2 * AEAD_KEY_LEN ||
        hex_decode(out->key, sizeof(out->key), hex, 2 * AEAD_KEY_LEN) < 0)
        return err_set(ERR_INVALID, "%s must be %d hex digits", MASTER_KEY_ENV, 2 * AEAD_KEY_LEN);
    return 0;
}

static int read_key_file(struct master_key *out, int fd, const char *path)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return err_set_errno(ERR_IO, "cannot read '%s'", path);
    if (st.st_mode & 077)
        return err_set(ERR_INVALID,
                       "'%s' is readable by other users (mode %03o): it is the key to every "
                       "stored secret; run 'chmod 600 %s'",
                       path, (unsigned)(st.st_mode & 0777), path);
    if (st.st_size != AEAD_KEY_LEN)
        return err_set(ERR_INVALID, "'%s' must hold exactly %d bytes", path, AEAD_KEY_LEN);
    ssize_t n = read(fd, out->key, sizeof(out->key));
    if (n != (ssize_t)sizeof(out->key))
        return err_set_errno(ERR_IO, "cannot read '%s'", path);
    return 0;
}

/* First start: a new random key, written whole or not at all. */
static int create_key_file(struct master_key *out, const char *dir, const char *path)
{
    struct buf tmp = BUF_INIT;
    buf_addf(&tmp, "%s/%s.tmp", dir, MASTER_KEY_FILE);
    random_bytes(out->key, sizeof(out->key));
    int rc = 0;
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = err_set_errno(ERR_IO, "cannot create '%s'", tmp.data);
    } else {
        bool ok =
            write(fd, out->key, sizeof(out->key)) == (ssize_t)sizeof(out->key) && fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
        /* link() does not replace: two first starts racing keep one key. */
        if (!ok || (link(tmp.data, path) < 0 && errno != EEXIST))
            rc = err_set_errno(ERR_IO, "cannot write '%s'", path);
        unlink(tmp.data);
    }
    buf_release(&tmp);
    return rc;
}

int master_key_load(struct master_key *out, const char *dir)
{
    const char *env = getenv(MASTER_KEY_ENV);
    if (env && *env)
        return key_from_env(out, env);
    struct buf path = BUF_INIT;
    buf_addf(&path, "%s/%s", dir, MASTER_KEY_FILE);
    int rc = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(path.data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
            rc = read_key_file(out, fd, path.data);
            close(fd);
            break;
        }
        if (errno != ENOENT) {
            rc = err_set_errno(ERR_IO, "cannot open '%s'", path.data);
            break;
        }
        /* Created here, or by a racing start: read back whichever won. */
        if ((rc = create_key_file(out, dir, path.data)) < 0)
            break;
    }
    buf_release(&path);
    return rc;
}

void master_key_seal(struct buf *out, const struct master_key *k, const char *context,
                     const void *plain, size_t len)
{
    struct buf raw = BUF_INIT;
    aead_seal(&raw, k->key, context, strlen(context), plain, len);
    buf_adds(out, SEALED_PREFIX);
    base64_encode(out, raw.data, raw.len);
    buf_release(&raw);
}

int master_key_open(struct buf *out, const struct master_key *k, const char *context,
                    const char *sealed, size_t len)
{
    size_t plen = strlen(SEALED_PREFIX);
    if (len < plen || memcmp(sealed, SEALED_PREFIX, plen) != 0)
        return err_set(ERR_INVALID, "not a sealed value");
    struct buf raw = BUF_INIT;
    int rc = base64_decode(&raw, sealed + plen, len - plen);
    if (rc == 0)
        rc = aead_open(out, k->key, context, strlen(context), raw.data, raw.len);
    else
        rc = err_set(ERR_INVALID, "not a sealed value");
    buf_release(&raw);
    return rc;
}
