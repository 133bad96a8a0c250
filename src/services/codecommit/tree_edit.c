#include "base/common.h"
#include "services/codecommit/tree_edit.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

/*
 * Tree edits: the base tree is loaded into memory only along the paths the
 * edits touch (a folder's entries are read when an edit walks into it), the
 * edits are checked against it all before any is applied, then applied in
 * an order that lets one commit delete a file and put a folder of the same
 * name, and the folders that changed are written bottom-up with tree
 * builders. Untouched folders keep their ids.
 */

#define GITKEEP ".gitkeep"

/* ---- paths and modes ------------------------------------------------------- */

/*
 * A component git refuses as a tree entry because some file system reads it
 * as ".git": ".git" itself, and NTFS's spellings of it (".git.", ".git ",
 * "git~1", ".git:stream", ".git\\x"), any case. libgit2's tree builder
 * rejects them (core.protectNTFS is on by default), so they must be an
 * invalid path here rather than a failure to write the tree.
 */
static bool component_is_dotgit(const char *p, size_t n)
{
    size_t start;
    if (n >= 4 && strncasecmp(p, ".git", 4) == 0)
        start = 4;
    else if (n >= 5 && strncasecmp(p, "git~1", 5) == 0)
        start = 5;
    else
        return false;
    for (size_t i = start; i < n; i++) {
        if (p[i] == ':' || p[i] == '\\')
            return true;
        if (p[i] != '.' && p[i] != ' ')
            return false;
    }
    return true;
}

int cc_path_read(char *out, size_t size, struct api_call *call, const char *path,
                 const char *member, bool trailing_slashes)
{
    while (*path == '/')
        path++;
    size_t len = strlen(path);
    if (trailing_slashes)
        while (len > 0 && path[len - 1] == '/')
            len--;
    if (len >= size)
        return api_error(call, ERR_INVALID, "InvalidPathException",
                         "The specified path is not valid: it is longer than %zu bytes (%s)",
                         size - 1, member);
    memcpy(out, path, len);
    out[len] = '\0';
    return len ? cc_path_check(call, out, member) : 0;
}

int cc_path_check(struct api_call *call, const char *path, const char *member)
{
    if (!member)
        member = "filePath";
    if (!path || !path[0])
        return api_error(call, ERR_INVALID, "PathRequiredException",
                         "The folderPath for a location cannot be null (%s)", member);
    size_t len = strlen(path);
    const char *why = NULL;
    if (len > CC_PATH_MAX)
        why = "it is too long";
    else if (path[0] == '/')
        why = "it must be relative to the root of the repository";
    else if (path[len - 1] == '/')
        why = "it ends with a slash";
    for (size_t i = 0; !why && i < len; i++)
        if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
            why = "it contains a control character";
    for (const char *p = path; !why && *p;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0)
            why = "it has an empty component";
        else if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            why = "it has a '.' or '..' component";
        else if (component_is_dotgit(p, n))
            why = "it has a '.git' component";
        else if (n > 255)
            why = "a component is longer than 255 bytes";
        p += n + (slash ? 1 : 0);
        if (!slash)
            break;
    }
    if (why)
        return api_error(call, ERR_INVALID, "InvalidPathException",
                         "The specified path '%s' is not valid: %s (%s)", path, why, member);
    return 0;
}

int cc_file_mode_parse(git_filemode_t *out, const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "NORMAL") == 0)
        *out = GIT_FILEMODE_BLOB;
    else if (strcmp(name, "EXECUTABLE") == 0)
        *out = GIT_FILEMODE_BLOB_EXECUTABLE;
    else if (strcmp(name, "SYMLINK") == 0)
        *out = GIT_FILEMODE_LINK;
    else
        return -1;
    return 0;
}

const char *cc_file_mode_name(git_filemode_t mode)
{
    switch (mode) {
    case GIT_FILEMODE_BLOB:
        return "NORMAL";
    case GIT_FILEMODE_BLOB_EXECUTABLE:
        return "EXECUTABLE";
    case GIT_FILEMODE_LINK:
        return "SYMLINK";
    default:
        return NULL;
    }
}

static bool mode_is_file(git_filemode_t mode)
{
    return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE ||
           mode == GIT_FILEMODE_LINK;
}

/* ---- the tree in memory ---------------------------------------------------- */

struct node {
    char *name;
    git_filemode_t mode;
    git_oid oid;
    bool loaded; /* a folder whose entries are in `children` */
    bool dirty;  /* a folder whose id must be recomputed */
    struct node **children;
    size_t count, cap;
};

struct tree_mem {
    git_repository *git;
    struct node root;
};

static void node_release(struct node *n)
{
    for (size_t i = 0; i < n->count; i++) {
        node_release(n->children[i]);
        free(n->children[i]);
    }
    free(n->children);
    free(n->name);
    memset(n, 0, sizeof(*n));
}

static struct node *node_add(struct node *dir, const char *name, size_t len, git_filemode_t mode,
                             const git_oid *oid)
{
    if (dir->count == dir->cap) {
        dir->cap = dir->cap ? dir->cap * 2 : 8;
        dir->children = xrealloc(dir->children, dir->cap * sizeof(*dir->children));
    }
    struct node *n = xcalloc(1, sizeof(*n));
    n->name = xstrndup(name, len);
    n->mode = mode;
    if (oid)
        git_oid_cpy(&n->oid, oid);
    dir->children[dir->count++] = n;
    return n;
}

static int node_load(struct tree_mem *t, struct node *dir)
{
    if (dir->loaded)
        return 0;
    dir->loaded = true;
    if (git_oid_is_zero(&dir->oid))
        return 0;
    git_tree *tree = NULL;
    if (git_tree_lookup(&tree, t->git, &dir->oid) < 0)
        return err_set(ERR_INTERNAL, "cannot read a tree: %s", cc_git_message());
    size_t n = git_tree_entrycount(tree);
    for (size_t i = 0; i < n; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(tree, i);
        const char *name = git_tree_entry_name(e);
        node_add(dir, name, strlen(name), git_tree_entry_filemode(e), git_tree_entry_id(e));
    }
    git_tree_free(tree);
    return 0;
}

static struct node *node_child(struct node *dir, const char *name, size_t len, size_t *index_out)
{
    for (size_t i = 0; i < dir->count; i++)
        if (strlen(dir->children[i]->name) == len &&
            memcmp(dir->children[i]->name, name, len) == 0) {
            if (index_out)
                *index_out = i;
            return dir->children[i];
        }
    return NULL;
}

/*
 * Walks `path`: *out is the node it names, NULL when absent. When a
 * component on the way is not a folder, *blocker_out is its node and
 * *blocker_len the length of the path up to it.
 */
static int tree_find(struct node **out, struct node **blocker_out, size_t *blocker_len,
                     struct tree_mem *t, const char *path)
{
    struct node *dir = &t->root;
    *out = NULL;
    *blocker_out = NULL;
    for (const char *p = path;;) {
        int rc = node_load(t, dir);
        if (rc < 0)
            return rc;
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        struct node *child = node_child(dir, p, n, NULL);
        if (!child)
            return 0;
        if (!slash) {
            *out = child;
            return 0;
        }
        if (child->mode != GIT_FILEMODE_TREE) {
            *blocker_out = child;
            *blocker_len = (size_t)(slash - path);
            return 0;
        }
        dir = child;
        p = slash + 1;
    }
}

/* Puts a file at `path`, making the folders on the way. */
static int tree_put(struct tree_mem *t, const char *path, const git_oid *oid, git_filemode_t mode)
{
    struct node *dir = &t->root;
    for (const char *p = path;;) {
        int rc = node_load(t, dir);
        if (rc < 0)
            return rc;
        dir->dirty = true;
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        size_t index = 0;
        struct node *child = node_child(dir, p, n, &index);
        if (!slash) {
            if (!child)
                child = node_add(dir, p, n, mode, oid);
            git_oid_cpy(&child->oid, oid);
            child->mode = mode;
            return 0;
        }
        if (child && child->mode != GIT_FILEMODE_TREE) {
            /* Checked before: only a file deleted by this same edit list
             * stands here. */
            node_release(child);
            free(child);
            dir->children[index] = dir->children[--dir->count];
            child = NULL;
        }
        if (!child) {
            child = node_add(dir, p, n, GIT_FILEMODE_TREE, NULL);
            child->loaded = true;
        }
        dir = child;
        p = slash + 1;
    }
}

/* Removes the entry at `path` (which exists) and no folder. */
static void tree_remove(struct tree_mem *t, const char *path)
{
    struct node *dir = &t->root;
    for (const char *p = path;;) {
        dir->dirty = true;
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        size_t index = 0;
        struct node *child = node_child(dir, p, n, &index);
        if (!child)
            return;
        if (!slash) {
            node_release(child);
            free(child);
            dir->children[index] = dir->children[--dir->count];
            return;
        }
        dir = child;
        p = slash + 1;
    }
}

/*
 * After deleting `path`: its folder, when left empty, is removed with every
 * parent it empties, or kept with an empty ".gitkeep".
 */
static int tree_settle(struct tree_mem *t, const char *path, bool keep, const git_oid *empty_blob)
{
    char folder[CC_PATH_MAX + 1];
    snprintf(folder, sizeof(folder), "%s", path);
    for (;;) {
        char *slash = strrchr(folder, '/');
        if (!slash)
            return 0; /* the root stays, empty or not */
        *slash = '\0';
        struct node *n = NULL, *blocker = NULL;
        size_t blen = 0;
        int rc = tree_find(&n, &blocker, &blen, t, folder);
        if (rc < 0)
            return rc;
        if (!n || n->mode != GIT_FILEMODE_TREE)
            return 0;
        rc = node_load(t, n);
        if (rc < 0)
            return rc;
        if (n->count > 0)
            return 0;
        if (keep) {
            char gitkeep[CC_PATH_MAX + 16];
            snprintf(gitkeep, sizeof(gitkeep), "%s/%s", folder, GITKEEP);
            return tree_put(t, gitkeep, empty_blob, GIT_FILEMODE_BLOB);
        }
        tree_remove(t, folder);
    }
}

static int node_write(struct tree_mem *t, struct node *dir)
{
    if (!dir->dirty)
        return 0;
    git_treebuilder *bld = NULL;
    if (git_treebuilder_new(&bld, t->git, NULL) < 0)
        return err_set(ERR_INTERNAL, "cannot build a tree: %s", cc_git_message());
    int rc = 0;
    for (size_t i = 0; i < dir->count && rc == 0; i++) {
        struct node *c = dir->children[i];
        if (c->mode == GIT_FILEMODE_TREE) {
            rc = node_write(t, c);
            if (rc < 0)
                break;
            /* A folder emptied by edits that did not settle it (a
             * submodule's neighbour, say) has no place in git. */
            if (c->loaded && c->count == 0)
                continue;
        }
        if (git_treebuilder_insert(NULL, bld, c->name, &c->oid, c->mode) < 0)
            rc = err_set(ERR_INTERNAL, "cannot add '%s' to a tree: %s", c->name, cc_git_message());
    }
    if (rc == 0 && git_treebuilder_write(&dir->oid, bld) < 0)
        rc = err_set(ERR_INTERNAL, "cannot write a tree: %s", cc_git_message());
    git_treebuilder_free(bld);
    if (rc == 0)
        dir->dirty = false;
    return rc;
}

/* ---- checks ---------------------------------------------------------------- */

static const char *edit_member(const struct cc_tree_edit *e)
{
    return e->member ? e->member : "filePath";
}

/* True when some edit removes `path` (a deletion or the source of a move). */
static bool removed_by_edits(const struct cc_tree_edit *edits, size_t count, const char *path,
                             size_t len)
{
    for (size_t i = 0; i < count; i++) {
        const char *p = NULL;
        if (edits[i].kind == CC_EDIT_DELETE)
            p = edits[i].path;
        else if (edits[i].kind == CC_EDIT_PUT_SOURCE && edits[i].move)
            p = edits[i].source_path;
        if (p && strlen(p) == len && memcmp(p, path, len) == 0)
            return true;
    }
    return false;
}

static bool is_put(const struct cc_tree_edit *e)
{
    return e->kind == CC_EDIT_PUT_CONTENT || e->kind == CC_EDIT_PUT_BLOB ||
           e->kind == CC_EDIT_PUT_SOURCE;
}

/* `a` is a folder of `b` ("x" and "x/y"). */
static bool is_folder_of(const char *a, const char *b)
{
    size_t n = strlen(a);
    return strncmp(a, b, n) == 0 && b[n] == '/';
}

static int check_paths(struct api_call *call, const struct cc_tree_edit *edits, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        int rc = cc_path_check(call, edits[i].path, edit_member(&edits[i]));
        if (rc < 0)
            return rc;
        if (edits[i].kind == CC_EDIT_PUT_SOURCE) {
            rc = cc_path_check(call, edits[i].source_path, "sourceFile.filePath");
            if (rc < 0)
                return rc;
        }
    }
    /* Each path is the subject of one change: the edits' paths and the
     * sources of moves, which those moves delete. */
    for (size_t i = 0; i < count; i++) {
        const char *pi[2] = {edits[i].path, edits[i].kind == CC_EDIT_PUT_SOURCE && edits[i].move
                                                ? edits[i].source_path
                                                : NULL};
        if (pi[1] && strcmp(pi[0], pi[1]) == 0)
            return api_error(call, ERR_INVALID, "SamePathRequestException",
                             "The commit cannot be created because one or more changes in this "
                             "commit duplicate actions in the same file path: '%s'",
                             pi[0]);
        for (size_t j = i + 1; j < count; j++) {
            const char *pj[2] = {edits[j].path, edits[j].kind == CC_EDIT_PUT_SOURCE && edits[j].move
                                                    ? edits[j].source_path
                                                    : NULL};
            for (size_t a = 0; a < 2; a++)
                for (size_t b = 0; b < 2; b++)
                    if (pi[a] && pj[b] && strcmp(pi[a], pj[b]) == 0)
                        return api_error(call, ERR_INVALID, "SamePathRequestException",
                                         "The commit cannot be created because one or more "
                                         "changes in this commit duplicate actions in the same "
                                         "file path: '%s'",
                                         pi[a]);
            if (is_put(&edits[i]) && is_put(&edits[j]) &&
                (is_folder_of(pi[0], pj[0]) || is_folder_of(pj[0], pi[0])))
                return api_error(call, ERR_INVALID, "PutFileEntryConflictException",
                                 "The commit cannot be created because one or more files "
                                 "specified in the commit reference both a file and a folder: "
                                 "'%s' and '%s'",
                                 pi[0], pj[0]);
        }
    }
    return 0;
}

static int check_sizes(struct api_call *call, const struct cc_tree_edit *edits, size_t count,
                       const struct cc_tree_edit_options *o)
{
    size_t file_max = o && o->file_content_max ? o->file_content_max : CC_FILE_CONTENT_MAX;
    size_t total_max = o && o->total_content_max ? o->total_content_max : CC_COMMIT_CONTENT_MAX;
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        if (edits[i].kind != CC_EDIT_PUT_CONTENT)
            continue;
        if (edits[i].content_len > file_max)
            return api_error(call, ERR_LIMIT, "FileContentSizeLimitExceededException",
                             "The file '%s' cannot be added because it is too large: %zu bytes, "
                             "the maximum file size is %zu bytes",
                             edits[i].path, edits[i].content_len, file_max);
        total += edits[i].content_len;
        if (total > total_max)
            return api_error(call, ERR_LIMIT, "FileContentSizeLimitExceededException",
                             "The commit cannot be created because the combined size of the "
                             "file contents exceeds %zu bytes",
                             total_max);
    }
    /* What one folder receives in one commit. */
    for (size_t i = 0; i < count; i++) {
        if (edits[i].kind != CC_EDIT_PUT_CONTENT)
            continue;
        const char *slash = strrchr(edits[i].path, '/');
        size_t dirlen = slash ? (size_t)(slash - edits[i].path) : 0;
        size_t folder = 0;
        for (size_t j = 0; j < count; j++) {
            if (edits[j].kind != CC_EDIT_PUT_CONTENT)
                continue;
            const char *s2 = strrchr(edits[j].path, '/');
            size_t l2 = s2 ? (size_t)(s2 - edits[j].path) : 0;
            if (l2 == dirlen && strncmp(edits[i].path, edits[j].path, dirlen) == 0)
                folder += edits[j].content_len;
        }
        if (folder > CC_FILE_CONTENT_MAX)
            return api_error(call, ERR_LIMIT, "FolderContentSizeLimitExceededException",
                             "The commit cannot be created because the changes to folder "
                             "'%.*s' exceed %d bytes; split them across several commits",
                             (int)dirlen, edits[i].path, CC_FILE_CONTENT_MAX);
    }
    return 0;
}

static int path_blocked(struct api_call *call, const struct cc_tree_edit *edits, size_t count,
                        const struct cc_tree_edit *e, const struct node *blocker, size_t blen)
{
    if (blocker->mode == GIT_FILEMODE_COMMIT)
        return api_error(call, ERR_INVALID, "FilePathConflictsWithSubmodulePathException",
                         "The path '%s' conflicts with the submodule at '%.*s'", e->path, (int)blen,
                         e->path);
    if (!is_put(e))
        return api_error(call, ERR_NOT_FOUND, "FileDoesNotExistException",
                         "The file '%s' does not exist: '%.*s' is a file (%s)", e->path, (int)blen,
                         e->path, edit_member(e));
    if (removed_by_edits(edits, count, e->path, blen))
        return 0;
    return api_error(call, ERR_INVALID, "DirectoryNameConflictsWithFileNameException",
                     "The file '%s' cannot be added because '%.*s' is a file in this "
                     "repository",
                     e->path, (int)blen, e->path);
}

static int file_missing(struct api_call *call, const char *path, const char *member)
{
    return api_error(call, ERR_NOT_FOUND, "FileDoesNotExistException",
                     "The file '%s' does not exist (%s)", path, member);
}

/* Checks every edit against the base and sets what each puts. */
static int check_against_base(struct api_call *call, struct tree_mem *t, struct cc_tree_edit *edits,
                              size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct cc_tree_edit *e = &edits[i];
        struct node *n = NULL, *blocker = NULL;
        size_t blen = 0;
        int rc = tree_find(&n, &blocker, &blen, t, e->path);
        if (rc < 0)
            return rc;
        if (blocker) {
            rc = path_blocked(call, edits, count, e, blocker, blen);
            if (rc < 0)
                return rc;
        }
        switch (e->kind) {
        case CC_EDIT_DELETE:
        case CC_EDIT_SET_MODE:
            if (!n || !mode_is_file(n->mode))
                return file_missing(call, e->path, edit_member(e));
            e->result_mode = n->mode;
            git_oid_cpy(&e->result_blob, &n->oid);
            if (e->kind == CC_EDIT_SET_MODE) {
                if (!mode_is_file(e->mode))
                    return api_error(call, ERR_INVALID, "InvalidFileModeException",
                                     "The specified file mode permission is not valid (%s)",
                                     edit_member(e));
                e->result = e->mode == n->mode ? CC_EDIT_UNCHANGED : CC_EDIT_UPDATED;
                e->result_mode = e->mode;
            } else {
                e->result = CC_EDIT_DELETED;
            }
            continue;
        case CC_EDIT_PUT_SOURCE: {
            struct node *src = NULL, *sblocker = NULL;
            size_t sblen = 0;
            rc = tree_find(&src, &sblocker, &sblen, t, e->source_path);
            if (rc < 0)
                return rc;
            if (!src || !mode_is_file(src->mode))
                return file_missing(call, e->source_path, "sourceFile.filePath");
            const char *base = strrchr(e->source_path, '/');
            base = base ? base + 1 : e->source_path;
            if (strcmp(base, GITKEEP) == 0)
                return api_error(call, ERR_INVALID, "RestrictedSourceFileException",
                                 "The commit cannot be created because it copies or moves a "
                                 ".gitkeep file: '%s'",
                                 e->source_path);
            git_oid_cpy(&e->result_blob, &src->oid);
            e->result_mode = e->mode ? e->mode : src->mode;
            break;
        }
        case CC_EDIT_PUT_BLOB:
            git_oid_cpy(&e->result_blob, &e->blob);
            break;
        case CC_EDIT_PUT_CONTENT:
            break; /* the blob is written once every check has passed */
        }
        /* A put. */
        if (e->mode && !mode_is_file(e->mode))
            return api_error(call, ERR_INVALID, "InvalidFileModeException",
                             "The specified file mode permission is not valid (%s)",
                             edit_member(e));
        if (n && n->mode == GIT_FILEMODE_TREE)
            return api_error(call, ERR_INVALID, "FileNameConflictsWithDirectoryNameException",
                             "The file '%s' cannot be added because a folder of that name "
                             "exists in this repository",
                             e->path);
        if (n && n->mode == GIT_FILEMODE_COMMIT)
            return api_error(call, ERR_INVALID, "FilePathConflictsWithSubmodulePathException",
                             "The path '%s' is a submodule in this repository", e->path);
        if (e->kind != CC_EDIT_PUT_SOURCE)
            e->result_mode = e->mode ? e->mode : (n ? n->mode : GIT_FILEMODE_BLOB);
        /* result and, for content, result_blob: set when applied */
        e->result = n ? CC_EDIT_UPDATED : CC_EDIT_ADDED;
        if (n && e->kind != CC_EDIT_PUT_CONTENT && git_oid_equal(&n->oid, &e->result_blob) &&
            n->mode == e->result_mode)
            e->result = CC_EDIT_UNCHANGED;
    }
    return 0;
}

/* ---- applying -------------------------------------------------------------- */

int cc_tree_edit_apply(git_oid *tree_out, struct api_call *call, git_repository *git,
                       const git_tree *base, struct cc_tree_edit *edits, size_t count,
                       const struct cc_tree_edit_options *options)
{
    int rc = check_paths(call, edits, count);
    if (rc < 0)
        return rc;
    rc = check_sizes(call, edits, count, options);
    if (rc < 0)
        return rc;

    struct tree_mem t = {.git = git};
    t.root.mode = GIT_FILEMODE_TREE;
    if (base)
        git_oid_cpy(&t.root.oid, git_tree_id(base));
    else
        t.root.loaded = true;
    bool keep = options && options->keep_empty_folders;
    git_oid empty_blob;

    rc = check_against_base(call, &t, edits, count);
    if (rc < 0)
        goto done;

    for (size_t i = 0; i < count; i++) {
        struct cc_tree_edit *e = &edits[i];
        if (e->kind != CC_EDIT_PUT_CONTENT)
            continue;
        if (git_blob_create_from_buffer(&e->result_blob, git, e->content ? e->content : "",
                                        e->content_len) < 0) {
            rc = err_set(ERR_INTERNAL, "cannot write a blob: %s", cc_git_message());
            goto done;
        }
        if (e->result == CC_EDIT_UPDATED) {
            struct node *n = NULL, *blocker = NULL;
            size_t blen = 0;
            rc = tree_find(&n, &blocker, &blen, &t, e->path);
            if (rc < 0)
                goto done;
            if (n && git_oid_equal(&n->oid, &e->result_blob) && n->mode == e->result_mode)
                e->result = CC_EDIT_UNCHANGED;
        }
    }

    /* Deletions first (a move deletes its source), then modes, then puts. */
    for (size_t i = 0; i < count; i++) {
        if (edits[i].kind == CC_EDIT_DELETE)
            tree_remove(&t, edits[i].path);
        else if (edits[i].kind == CC_EDIT_PUT_SOURCE && edits[i].move)
            tree_remove(&t, edits[i].source_path);
    }
    for (size_t i = 0; i < count; i++)
        if (edits[i].kind == CC_EDIT_SET_MODE && edits[i].result != CC_EDIT_UNCHANGED) {
            rc = tree_put(&t, edits[i].path, &edits[i].result_blob, edits[i].result_mode);
            if (rc < 0)
                goto done;
        }
    for (size_t i = 0; i < count; i++)
        if (is_put(&edits[i])) {
            rc = tree_put(&t, edits[i].path, &edits[i].result_blob, edits[i].result_mode);
            if (rc < 0)
                goto done;
        }
    if (git_blob_create_from_buffer(&empty_blob, git, "", 0) < 0) {
        rc = err_set(ERR_INTERNAL, "cannot write a blob: %s", cc_git_message());
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        const char *gone = NULL;
        if (edits[i].kind == CC_EDIT_DELETE)
            gone = edits[i].path;
        else if (edits[i].kind == CC_EDIT_PUT_SOURCE && edits[i].move)
            gone = edits[i].source_path;
        if (gone) {
            rc = tree_settle(&t, gone, keep, &empty_blob);
            if (rc < 0)
                goto done;
        }
    }
    if (!base)
        t.root.dirty = true;
    rc = node_write(&t, &t.root);
    if (rc < 0)
        goto done;
    git_oid_cpy(tree_out, &t.root.oid);
done:
    node_release(&t.root);
    return rc;
}

bool cc_tree_edit_changed(const struct cc_tree_edit *edits, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (edits[i].result != CC_EDIT_UNCHANGED)
            return true;
    return false;
}

/* ---- writing commits --------------------------------------------------------- */

#define AUTHOR_NAME_MAX 1024

int cc_commit_inputs_check(struct api_call *call, const char *name, const char *email,
                           const char *message)
{
    if (name && strlen(name) > AUTHOR_NAME_MAX)
        return api_error(call, ERR_INVALID, "NameLengthExceededException",
                         "The user name is not valid because it has exceeded the character "
                         "limit for author names (%d)",
                         AUTHOR_NAME_MAX);
    if (name && (strchr(name, '<') || strchr(name, '>') || strchr(name, '\n')))
        return api_error(call, ERR_INVALID, "NameLengthExceededException",
                         "The user name is not valid: it may not contain '<', '>' or a newline");
    if (email && email[0]) {
        const char *at = strchr(email, '@');
        bool ok = at && at != email && at[1] && !strchr(at + 1, '@') && strlen(email) <= 320;
        for (const char *p = email; ok && *p; p++)
            if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == 0x7f)
                ok = false;
        if (!ok)
            return api_error(call, ERR_INVALID, "InvalidEmailException",
                             "The specified email address '%s' is not valid", email);
    }
    if (message && strlen(message) > CC_COMMIT_MESSAGE_MAX)
        return api_error(call, ERR_LIMIT, "CommitMessageLengthExceededException",
                         "The commit message is too long: the limit is %d bytes",
                         CC_COMMIT_MESSAGE_MAX);
    return 0;
}

int cc_commit_write(git_oid *out, struct api_call *call, git_repository *git, const git_oid *tree,
                    const git_commit *const *parents, size_t parent_count, const char *name,
                    const char *email, const char *message)
{
    /* AWS: "If no name is specified, the user's ARN is used as the author
     * name and committer name"; and an email left out stays blank. */
    if (!name || !name[0])
        name = call->principal && call->principal->arn[0] ? call->principal->arn : "slipway";
    /* Written as text, since libgit2's signatures refuse the empty email
     * a commit without one has ("Name <>"). The time zone of the server is
     * no business of the caller: UTC. */
    struct buf text = BUF_INIT;
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof(hex), tree);
    buf_addf(&text, "tree %s\n", hex);
    for (size_t i = 0; i < parent_count; i++) {
        git_oid_tostr(hex, sizeof(hex), git_commit_id(parents[i]));
        buf_addf(&text, "parent %s\n", hex);
    }
    long long when = (long long)(call->now_ms / 1000);
    buf_addf(&text, "author %s <%s> %lld +0000\n", name, email ? email : "", when);
    buf_addf(&text, "committer %s <%s> %lld +0000\n\n", name, email ? email : "", when);
    if (message)
        buf_adds(&text, message);
    git_odb *odb = NULL;
    int rc = 0;
    if (git_repository_odb(&odb, git) < 0 ||
        git_odb_write(out, odb, text.data, text.len, GIT_OBJECT_COMMIT) < 0)
        rc = err_set(ERR_INTERNAL, "cannot write the commit: %s", cc_git_message());
    git_odb_free(odb);
    buf_release(&text);
    return rc;
}
