#include "base/common.h"
#include "services/codecommit/merge.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/codecommit/tree_edit.h"

/*
 * The merge engine: two commits merged with libgit2 (the destination as
 * "ours", the source as "theirs", no rename detection, as CodeCommit shows
 * adds, modifies and deletes only), conflicts found at the requested
 * detail level and resolved by strategy or by the caller's
 * conflictResolution, and the result written as a commit, with the target
 * branch moved by compare-and-swap.
 */

#define RESOLUTION_ENTRIES_MAX 100

/* ---- input enums ---------------------------------------------------------- */

int cc_merge_detail_parse(enum cc_conflict_detail *out, struct api_call *call, const char *name)
{
    if (!name || strcmp(name, "FILE_LEVEL") == 0)
        *out = CC_DETAIL_FILE_LEVEL;
    else if (strcmp(name, "LINE_LEVEL") == 0)
        *out = CC_DETAIL_LINE_LEVEL;
    else
        return api_error(call, ERR_INVALID, "InvalidConflictDetailLevelException",
                         "The specified conflict detail level '%s' is not valid: use FILE_LEVEL "
                         "or LINE_LEVEL",
                         name);
    return 0;
}

/* The index of `name` in `names` (`count` of them), or -1. */
static int name_index(const char *const *names, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    return -1;
}

int cc_merge_resolution_parse(enum cc_conflict_resolution *out, struct api_call *call,
                              const char *name)
{
    static const char *const names[] = {"NONE", "ACCEPT_SOURCE", "ACCEPT_DESTINATION", "AUTOMERGE"};
    if (!name) {
        *out = CC_RESOLUTION_NONE;
        return 0;
    }
    int i = name_index(names, ARRAY_SIZE(names), name);
    if (i >= 0) {
        *out = (enum cc_conflict_resolution)i;
        return 0;
    }
    return api_error(call, ERR_INVALID, "InvalidConflictResolutionStrategyException",
                     "The specified conflict resolution strategy '%s' is not valid: use NONE, "
                     "ACCEPT_SOURCE, ACCEPT_DESTINATION or AUTOMERGE",
                     name);
}

static const char *const option_names[] = {
    [CC_MERGE_FAST_FORWARD] = "FAST_FORWARD_MERGE",
    [CC_MERGE_SQUASH] = "SQUASH_MERGE",
    [CC_MERGE_THREE_WAY] = "THREE_WAY_MERGE",
};

const char *cc_merge_option_name(enum cc_merge_strategy strategy)
{
    return option_names[strategy];
}

int cc_merge_option_parse(enum cc_merge_strategy *out, struct api_call *call, const char *name)
{
    if (!name || !name[0])
        return api_error(call, ERR_INVALID, "MergeOptionRequiredException",
                         "A merge option or strategy is required (mergeOption)");
    int i = name_index(option_names, ARRAY_SIZE(option_names), name);
    if (i >= 0) {
        *out = (enum cc_merge_strategy)i;
        return 0;
    }
    return api_error(call, ERR_INVALID, "InvalidMergeOptionException",
                     "The specified merge option '%s' is not valid: use FAST_FORWARD_MERGE, "
                     "SQUASH_MERGE or THREE_WAY_MERGE",
                     name);
}

/* ---- the merge -------------------------------------------------------------- */

void cc_merge_release(struct cc_merge *m)
{
    if (!m)
        return;
    git_commit_free(m->source);
    git_commit_free(m->destination);
    git_index_free(m->index);
    for (size_t i = 0; i < m->conflict_count; i++)
        free(m->conflicts[i].path);
    free(m->conflicts);
    memset(m, 0, sizeof(*m));
}

int cc_merge_prepare(struct cc_merge *out, struct api_call *call, git_repository *git,
                     const char *source, const char *source_member, const char *destination,
                     const char *destination_member)
{
    memset(out, 0, sizeof(*out));
    int rc = cc_commit_resolve(&out->source, call, git, source, source_member);
    if (rc == 0)
        rc = cc_commit_resolve(&out->destination, call, git, destination, destination_member);
    if (rc < 0) {
        cc_merge_release(out);
        return rc;
    }
    const git_oid *src = git_commit_id(out->source);
    const git_oid *dst = git_commit_id(out->destination);
    int found = git_merge_base(&out->base, git, dst, src);
    if (found == 0)
        out->has_base = true;
    else if (found != GIT_ENOTFOUND) {
        rc = cc_git_fail(call, "cannot find the merge base");
        cc_merge_release(out);
        return rc;
    }
    if (git_oid_equal(src, dst)) {
        out->fast_forward = out->up_to_date = true;
    } else if (out->has_base) {
        out->fast_forward = git_oid_equal(&out->base, dst);
        out->up_to_date = git_oid_equal(&out->base, src);
    }
    return 0;
}

/* The tree of commit `id`, or NULL for none. */
static int commit_tree(git_tree **out, struct api_call *call, git_repository *git,
                       const git_oid *id)
{
    *out = NULL;
    if (!id)
        return 0;
    git_commit *commit = NULL;
    if (git_commit_lookup(&commit, git, id) < 0)
        return cc_git_fail(call, "cannot read a commit");
    int rc = git_commit_tree(out, commit);
    git_commit_free(commit);
    return rc < 0 ? cc_git_fail(call, "cannot read a tree") : 0;
}

void cc_merge_side_at(struct cc_merge_side *out, git_tree *tree, const char *path)
{
    memset(out, 0, sizeof(*out));
    git_tree_entry *e = NULL;
    if (!tree || git_tree_entry_bypath(&e, tree, path) < 0)
        return;
    out->present = true;
    out->type = git_tree_entry_type(e);
    out->mode = git_tree_entry_filemode(e);
    git_oid_cpy(&out->id, git_tree_entry_id(e));
    git_tree_entry_free(e);
}

static bool side_same(const struct cc_merge_side *a, const struct cc_merge_side *b)
{
    if (a->present != b->present)
        return false;
    return !a->present || (a->mode == b->mode && git_oid_equal(&a->id, &b->id));
}

static int path_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The paths a diff between two trees touches, sorted. */
static int changed_paths(char ***out, size_t *count_out, struct api_call *call, git_repository *git,
                         git_tree *from, git_tree *to)
{
    git_diff *diff = NULL;
    git_diff_options opts;
    git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
    if (git_diff_tree_to_tree(&diff, git, from, to, &opts) < 0)
        return cc_git_fail(call, "cannot compare trees");
    size_t n = git_diff_num_deltas(diff);
    char **paths = xcalloc(n ? n : 1, sizeof(*paths));
    for (size_t i = 0; i < n; i++) {
        const git_diff_delta *d = git_diff_get_delta(diff, i);
        paths[i] = xstrdup(d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path);
    }
    git_diff_free(diff);
    qsort(paths, n, sizeof(*paths), path_cmp);
    *out = paths;
    *count_out = n;
    return 0;
}

static void paths_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

static void index_entry_from(git_index_entry *e, const char *path, const struct cc_merge_side *side,
                             int stage)
{
    memset(e, 0, sizeof(*e));
    e->path = path;
    e->mode = side->mode;
    git_oid_cpy(&e->id, &side->id);
    GIT_INDEX_ENTRY_STAGE_SET(e, stage);
}

/*
 * FILE_LEVEL: a path both sides changed, differently, is a conflict even
 * when git merged its lines; it goes back into the index as one.
 */
static int file_level_conflicts(struct cc_merge *m, struct api_call *call, git_repository *git,
                                git_tree *base, git_tree *ours, git_tree *theirs)
{
    char **mine = NULL, **other = NULL;
    size_t mine_n = 0, other_n = 0;
    int rc = changed_paths(&mine, &mine_n, call, git, base, ours);
    if (rc == 0)
        rc = changed_paths(&other, &other_n, call, git, base, theirs);
    for (size_t i = 0; rc == 0 && i < other_n; i++) {
        const char *path = other[i];
        if (!bsearch(&path, mine, mine_n, sizeof(*mine), path_cmp))
            continue;
        const git_index_entry *a = NULL, *o = NULL, *t = NULL;
        if (git_index_conflict_get(&a, &o, &t, m->index, path) == 0)
            continue;
        struct cc_merge_side sb, so, st;
        cc_merge_side_at(&sb, base, path);
        cc_merge_side_at(&so, ours, path);
        cc_merge_side_at(&st, theirs, path);
        if (side_same(&so, &st))
            continue;
        git_index_entry eb, eo, et;
        index_entry_from(&eb, path, &sb, 1);
        index_entry_from(&eo, path, &so, 2);
        index_entry_from(&et, path, &st, 3);
        git_index_remove(m->index, path, 0);
        bool blob_b = sb.present && sb.type != GIT_OBJECT_TREE;
        bool blob_o = so.present && so.type != GIT_OBJECT_TREE;
        bool blob_t = st.present && st.type != GIT_OBJECT_TREE;
        if (git_index_conflict_add(m->index, blob_b ? &eb : NULL, blob_o ? &eo : NULL,
                                   blob_t ? &et : NULL) < 0)
            rc = cc_git_fail(call, "cannot record a conflict");
    }
    paths_free(mine, mine_n);
    paths_free(other, other_n);
    return rc;
}

static int conflicts_list(struct cc_merge *m, struct api_call *call, git_tree *base, git_tree *ours,
                          git_tree *theirs)
{
    git_index_conflict_iterator *it = NULL;
    if (git_index_conflict_iterator_new(&it, m->index) < 0)
        return cc_git_fail(call, "cannot list conflicts");
    const git_index_entry *a, *o, *t;
    size_t cap = 0;
    int rc;
    while ((rc = git_index_conflict_next(&a, &o, &t, it)) == 0) {
        const char *path = a ? a->path : o ? o->path : t->path;
        if (m->conflict_count == cap) {
            cap = cap ? cap * 2 : 16;
            m->conflicts = xrealloc(m->conflicts, cap * sizeof(*m->conflicts));
        }
        struct cc_merge_conflict *c = &m->conflicts[m->conflict_count++];
        c->path = xstrdup(path);
        cc_merge_side_at(&c->base, base, path);
        cc_merge_side_at(&c->destination, ours, path);
        cc_merge_side_at(&c->source, theirs, path);
    }
    git_index_conflict_iterator_free(it);
    if (rc != GIT_ITEROVER)
        return cc_git_fail(call, "cannot list conflicts");
    /* The iterator goes in index order, which is path order already;
     * sorting keeps that promise whatever the index does. */
    if (m->conflict_count)
        qsort(m->conflicts, m->conflict_count, sizeof(*m->conflicts), path_cmp);
    return 0;
}

struct tree_walk_ctx {
    git_index *index;
    const char *prefix;
    int rc;
};

static int add_subtree_entry(const char *root, const git_tree_entry *e, void *payload)
{
    struct tree_walk_ctx *ctx = payload;
    if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
        return 0;
    struct buf path = BUF_INIT;
    buf_addf(&path, "%s/%s%s", ctx->prefix, root, git_tree_entry_name(e));
    git_index_entry ie;
    memset(&ie, 0, sizeof(ie));
    ie.path = path.data;
    ie.mode = git_tree_entry_filemode(e);
    git_oid_cpy(&ie.id, git_tree_entry_id(e));
    ctx->rc = git_index_add(ctx->index, &ie);
    buf_release(&path);
    return ctx->rc < 0 ? -1 : 0;
}

int cc_merge_accept(struct cc_merge *m, struct api_call *call, git_repository *git, size_t c,
                    bool source)
{
    struct cc_merge_conflict *conflict = &m->conflicts[c];
    const struct cc_merge_side *side = source ? &conflict->source : &conflict->destination;
    const char *path = conflict->path;
    /* Nothing to remove is fine: a conflict over a folder has no entries. */
    git_index_conflict_remove(m->index, path);
    git_index_remove(m->index, path, 0);
    int rc = 0;
    if (side->present && side->type == GIT_OBJECT_TREE) {
        /* The side's folder wins: its files, and nothing else there. */
        git_index_remove_directory(m->index, path, 0);
        git_tree *tree = NULL;
        if (git_tree_lookup(&tree, git, &side->id) < 0)
            return cc_git_fail(call, "cannot read a tree");
        struct tree_walk_ctx ctx = {.index = m->index, .prefix = path};
        if (git_tree_walk(tree, GIT_TREEWALK_PRE, add_subtree_entry, &ctx) < 0 || ctx.rc < 0)
            rc = cc_git_fail(call, "cannot resolve a conflict");
        git_tree_free(tree);
    } else if (side->present) {
        git_index_remove_directory(m->index, path, 0);
        git_index_entry e;
        index_entry_from(&e, path, side, 0);
        if (git_index_add(m->index, &e) < 0)
            rc = cc_git_fail(call, "cannot resolve a conflict");
    }
    if (rc < 0)
        return rc;
    free(conflict->path);
    memmove(conflict, conflict + 1, (m->conflict_count - c - 1) * sizeof(*conflict));
    m->conflict_count--;
    return 0;
}

struct cc_merge_conflict *cc_merge_conflict_find(struct cc_merge *m, const char *path)
{
    for (size_t i = 0; i < m->conflict_count; i++)
        if (strcmp(m->conflicts[i].path, path) == 0)
            return &m->conflicts[i];
    return NULL;
}

int cc_merge_compute(struct cc_merge *m, struct api_call *call, git_repository *git,
                     enum cc_conflict_detail detail, enum cc_conflict_resolution resolution)
{
    git_tree *base = NULL, *ours = NULL, *theirs = NULL;
    int rc = commit_tree(&base, call, git, m->has_base ? &m->base : NULL);
    if (rc == 0)
        rc = commit_tree(&ours, call, git, git_commit_id(m->destination));
    if (rc == 0)
        rc = commit_tree(&theirs, call, git, git_commit_id(m->source));
    if (rc < 0)
        goto done;

    git_merge_options opts;
    git_merge_options_init(&opts, GIT_MERGE_OPTIONS_VERSION);
    opts.flags = 0; /* no rename detection */
    opts.file_favor = GIT_MERGE_FILE_FAVOR_NORMAL;
    if (git_merge_trees(&m->index, git, base, ours, theirs, &opts) < 0) {
        rc = cc_git_fail(call, "cannot merge the trees");
        goto done;
    }
    if (detail == CC_DETAIL_FILE_LEVEL && resolution != CC_RESOLUTION_AUTOMERGE &&
        (rc = file_level_conflicts(m, call, git, base, ours, theirs)) < 0)
        goto done;
    if ((rc = conflicts_list(m, call, base, ours, theirs)) < 0)
        goto done;
    if (resolution == CC_RESOLUTION_ACCEPT_SOURCE ||
        resolution == CC_RESOLUTION_ACCEPT_DESTINATION) {
        while (m->conflict_count && rc == 0)
            rc = cc_merge_accept(m, call, git, 0, resolution == CC_RESOLUTION_ACCEPT_SOURCE);
    }
done:
    git_tree_free(base);
    git_tree_free(ours);
    git_tree_free(theirs);
    return rc;
}

int cc_merge_find_merged(git_oid *out, bool *found_out, struct api_call *call, git_repository *git,
                         const struct cc_merge *m)
{
    *found_out = false;
    if (!m->up_to_date)
        return 0;
    const git_oid *src = git_commit_id(m->source);
    /* Walk the destination's first parents back while they still contain
     * the source: the last one that does, if it is not the source itself,
     * is the commit that merged it. */
    git_commit *cur = NULL;
    if (git_commit_dup(&cur, m->destination) < 0)
        return cc_git_fail(call, "cannot read a commit");
    git_oid last;
    git_oid_cpy(&last, git_commit_id(cur));
    int rc = 0;
    for (;;) {
        const git_oid *id = git_commit_id(cur);
        if (git_oid_equal(id, src)) {
            git_commit_free(cur);
            return 0; /* on the first-parent line: a fast-forward */
        }
        if (git_commit_parentcount(cur) == 0)
            break;
        git_commit *parent = NULL;
        if (git_commit_parent(&parent, cur, 0) < 0) {
            rc = cc_git_fail(call, "cannot read a commit");
            break;
        }
        const git_oid *pid = git_commit_id(parent);
        int contains = git_oid_equal(pid, src) ? 1 : git_graph_descendant_of(git, pid, src);
        if (contains < 0) {
            git_commit_free(parent);
            rc = cc_git_fail(call, "cannot walk the history");
            break;
        }
        git_oid_cpy(&last, id);
        git_commit_free(cur);
        cur = parent;
        if (!contains) {
            git_oid_cpy(out, &last);
            *found_out = true;
            break;
        }
    }
    git_commit_free(cur);
    return rc;
}

/* ---- conflictResolution ------------------------------------------------------ */

enum replacement {
    KEEP_BASE,
    KEEP_SOURCE,
    KEEP_DESTINATION,
    USE_NEW_CONTENT,
};

static int resolution_paths_unique(struct api_call *call, const char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(paths[i], paths[j]) == 0)
                return api_error(call, ERR_INVALID, "MultipleConflictResolutionEntriesException",
                                 "More than one conflict resolution entry exists for '%s'",
                                 paths[i]);
    return 0;
}

static const json_t *resolution_list(const json_t *res, const char *name)
{
    const json_t *v = json_object_get(res, name);
    return json_is_array(v) ? v : NULL;
}

/*
 * Turns the conflictResolution input into tree edits (to apply to the
 * merged tree) after checking it whole. `edits` has room for
 * RESOLUTION_ENTRIES_MAX entries plus `spare`.
 */
static int resolution_edits(struct cc_tree_edit **edits_out, size_t *count_out,
                            struct api_call *call, const json_t *res, git_tree *base,
                            git_tree *ours, git_tree *theirs, size_t spare)
{
    *edits_out = NULL;
    *count_out = 0;
    if (!res)
        return 0;
    if (!json_is_object(res))
        return api_error(call, ERR_INVALID, "InvalidConflictResolutionException",
                         "The conflict resolution must be a structure (conflictResolution)");
    const json_t *replace = resolution_list(res, "replaceContents");
    const json_t *deletes = resolution_list(res, "deleteFiles");
    const json_t *modes = resolution_list(res, "setFileModes");
    size_t total = json_array_size(replace) + json_array_size(deletes) + json_array_size(modes);
    if (total > RESOLUTION_ENTRIES_MAX)
        return api_error(call, ERR_INVALID, "MaximumConflictResolutionEntriesExceededException",
                         "The number of conflict resolution entries (%zu) exceeds the limit of %d",
                         total, RESOLUTION_ENTRIES_MAX);
    struct cc_tree_edit *edits = xcalloc(total + spare + 1, sizeof(*edits));
    const char **content_paths = xcalloc(total + 1, sizeof(*content_paths));
    const char **mode_paths = xcalloc(total + 1, sizeof(*mode_paths));
    size_t n = 0, content_n = 0, mode_n = 0;
    int rc = 0;
    size_t i;
    const json_t *item;

    json_array_foreach(replace, i, item)
    {
        const char *path = cc_str(item, "filePath");
        const char *type = cc_str(item, "replacementType");
        if ((rc = cc_path_check(call, path, "conflictResolution.replaceContents.filePath")) < 0)
            goto fail;
        if (!type || !type[0]) {
            rc = api_error(call, ERR_INVALID, "ReplacementTypeRequiredException",
                           "A replacement type is required for '%s'", path);
            goto fail;
        }
        static const char *const types[] = {"KEEP_BASE", "KEEP_SOURCE", "KEEP_DESTINATION",
                                            "USE_NEW_CONTENT"};
        int kind = name_index(types, ARRAY_SIZE(types), type);
        if (kind < 0) {
            rc = api_error(call, ERR_INVALID, "InvalidReplacementTypeException",
                           "The replacement type '%s' for '%s' is not valid: use KEEP_BASE, "
                           "KEEP_SOURCE, KEEP_DESTINATION or USE_NEW_CONTENT",
                           type, path);
            goto fail;
        }
        const json_t *content = json_object_get(item, "content");
        const char *mode_name = cc_str(item, "fileMode");
        git_filemode_t mode = 0;
        if (mode_name && cc_file_mode_parse(&mode, mode_name) < 0) {
            rc = api_error(call, ERR_INVALID, "InvalidFileModeException",
                           "The file mode '%s' for '%s' is not valid: use EXECUTABLE, NORMAL or "
                           "SYMLINK",
                           mode_name, path);
            goto fail;
        }
        struct cc_tree_edit *e = &edits[n];
        e->path = path;
        e->mode = mode;
        e->member = "conflictResolution.replaceContents.filePath";
        if (kind == USE_NEW_CONTENT) {
            if (!json_is_string(content)) {
                rc = api_error(call, ERR_INVALID, "ReplacementContentRequiredException",
                               "USE_NEW_CONTENT was specified for '%s', but no replacement "
                               "content has been provided",
                               path);
                goto fail;
            }
            e->kind = CC_EDIT_PUT_CONTENT;
            e->content = json_string_value(content);
            e->content_len = json_string_length(content);
        } else {
            if (content) {
                rc = api_error(call, ERR_INVALID, "InvalidReplacementContentException",
                               "Replacement content for '%s' is only allowed with "
                               "USE_NEW_CONTENT, not %s",
                               path, type);
                goto fail;
            }
            git_tree *from = kind == KEEP_BASE ? base : kind == KEEP_SOURCE ? theirs : ours;
            struct cc_merge_side side;
            cc_merge_side_at(&side, from, path);
            if (side.present && side.type != GIT_OBJECT_BLOB) {
                rc = api_error(call, ERR_INVALID, "InvalidConflictResolutionException",
                               "'%s' is not a file in the %s", path,
                               kind == KEEP_BASE     ? "merge base"
                               : kind == KEEP_SOURCE ? "source"
                                                     : "destination");
                goto fail;
            }
            if (side.present) {
                e->kind = CC_EDIT_PUT_BLOB;
                git_oid_cpy(&e->blob, &side.id);
                if (!e->mode)
                    e->mode = side.mode;
            } else {
                /* That version has no file there: keeping it deletes it. */
                e->kind = CC_EDIT_DELETE;
                e->mode = 0;
            }
        }
        content_paths[content_n++] = path;
        n++;
    }
    json_array_foreach(deletes, i, item)
    {
        const char *path = cc_str(item, "filePath");
        if ((rc = cc_path_check(call, path, "conflictResolution.deleteFiles.filePath")) < 0)
            goto fail;
        edits[n].kind = CC_EDIT_DELETE;
        edits[n].path = path;
        edits[n].member = "conflictResolution.deleteFiles.filePath";
        content_paths[content_n++] = path;
        n++;
    }
    json_array_foreach(modes, i, item)
    {
        const char *path = cc_str(item, "filePath");
        const char *mode_name = cc_str(item, "fileMode");
        if ((rc = cc_path_check(call, path, "conflictResolution.setFileModes.filePath")) < 0)
            goto fail;
        if (!mode_name || !mode_name[0]) {
            rc = api_error(call, ERR_INVALID, "FileModeRequiredException",
                           "A file mode is required for '%s' (setFileModes)", path);
            goto fail;
        }
        git_filemode_t mode = 0;
        if (cc_file_mode_parse(&mode, mode_name) < 0) {
            rc = api_error(call, ERR_INVALID, "InvalidFileModeException",
                           "The file mode '%s' for '%s' is not valid: use EXECUTABLE, NORMAL or "
                           "SYMLINK",
                           mode_name, path);
            goto fail;
        }
        edits[n].kind = CC_EDIT_SET_MODE;
        edits[n].path = path;
        edits[n].mode = mode;
        edits[n].member = "conflictResolution.setFileModes.filePath";
        mode_paths[mode_n++] = path;
        n++;
    }
    if ((rc = resolution_paths_unique(call, content_paths, content_n)) < 0 ||
        (rc = resolution_paths_unique(call, mode_paths, mode_n)) < 0)
        goto fail;
    free(content_paths);
    free(mode_paths);
    *edits_out = edits;
    *count_out = n;
    return 0;
fail:
    free(content_paths);
    free(mode_paths);
    free(edits);
    return rc;
}

/* A replaceContents or deleteFiles entry names this path. */
static bool resolution_covers(const struct cc_tree_edit *edits, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (edits[i].kind != CC_EDIT_SET_MODE && strcmp(edits[i].path, path) == 0)
            return true;
    return false;
}

/* ---- writing the result -------------------------------------------------------- */

/* True when `tree` has something at `path`. */
static bool tree_has(git_tree *tree, const char *path)
{
    git_tree_entry *e = NULL;
    if (git_tree_entry_bypath(&e, tree, path) < 0)
        return false;
    git_tree_entry_free(e);
    return true;
}

/*
 * keepEmptyFolders: every folder of the destination that the merge leaves
 * without files gets an empty ".gitkeep", added to `edits` (which has room).
 * Returns the new count.
 */
static size_t keep_folders(struct cc_tree_edit *edits, size_t n, size_t room, char ***owned,
                           size_t *owned_n, git_tree *ours, git_tree *merged, char **deleted,
                           size_t deleted_n)
{
    for (size_t i = 0; i < deleted_n && n < room; i++) {
        char *dir = xstrdup(deleted[i]);
        char *slash;
        while ((slash = strrchr(dir, '/')) != NULL) {
            *slash = '\0';
            if (!tree_has(ours, dir) || tree_has(merged, dir))
                break;
            /* The deepest emptied folder keeps the path alive. */
            struct buf keep = BUF_INIT;
            buf_addf(&keep, "%s/.gitkeep", dir);
            bool seen = false;
            for (size_t k = 0; k < n; k++)
                if (strcmp(edits[k].path, keep.data) == 0)
                    seen = true;
            if (!seen) {
                *owned = xrealloc(*owned, (*owned_n + 1) * sizeof(**owned));
                (*owned)[(*owned_n)++] = buf_detach(&keep, NULL);
                edits[n].kind = CC_EDIT_PUT_CONTENT;
                edits[n].path = (*owned)[*owned_n - 1];
                edits[n].content = "";
                edits[n].content_len = 0;
                n++;
            }
            buf_release(&keep);
            break;
        }
        free(dir);
    }
    return n;
}

static int manual_merge_required(struct api_call *call, const struct cc_merge *m)
{
    return api_error(call, ERR_CONFLICT, "ManualMergeRequiredException",
                     "The merge cannot be completed automatically: %zu file(s) have conflicts, "
                     "the first '%s'; resolve them with conflictResolution or merge manually",
                     m->conflict_count, m->conflicts[0].path);
}

/* Squash and three-way: the merged tree, written. */
static int merged_tree(git_oid *tree_out, struct api_call *call, struct cc_repo *repo,
                       struct cc_merge *m, const struct cc_merge_request *req,
                       enum cc_conflict_detail detail, enum cc_conflict_resolution resolution)
{
    git_repository *git = repo->git;
    git_tree *base = NULL, *ours = NULL, *theirs = NULL, *merged = NULL;
    struct cc_tree_edit *edits = NULL;
    size_t edit_n = 0;
    char **deleted = NULL;
    size_t deleted_n = 0;
    char **owned = NULL;
    size_t owned_n = 0;
    int rc = commit_tree(&base, call, git, m->has_base ? &m->base : NULL);
    if (rc == 0)
        rc = commit_tree(&ours, call, git, git_commit_id(m->destination));
    if (rc == 0)
        rc = commit_tree(&theirs, call, git, git_commit_id(m->source));
    if (rc < 0)
        goto done;
    /* Room for one .gitkeep per deleted path, bounded below. */
    size_t spare = 256;
    if ((rc = resolution_edits(&edits, &edit_n, call, req->conflict_resolution, base, ours, theirs,
                               spare)) < 0)
        goto done;
    /* Strategies other than AUTOMERGE do their work inside the merge;
     * AUTOMERGE merges lines, and leaves the rest to the entries. */
    enum cc_conflict_resolution inner =
        resolution == CC_RESOLUTION_AUTOMERGE ? CC_RESOLUTION_AUTOMERGE : CC_RESOLUTION_NONE;
    if ((rc = cc_merge_compute(m, call, git, detail, inner)) < 0)
        goto done;
    /* Explicit entries first, then the strategy for what is left. */
    for (size_t i = 0; i < m->conflict_count;) {
        const struct cc_merge_conflict *c = &m->conflicts[i];
        if (resolution_covers(edits, edit_n, c->path)) {
            /* The entry acts on a file: start from a side that has one. */
            bool source = !(c->destination.present && c->destination.type == GIT_OBJECT_BLOB);
            if ((rc = cc_merge_accept(m, call, git, i, source)) < 0)
                goto done;
            continue;
        }
        i++;
    }
    if (resolution == CC_RESOLUTION_ACCEPT_SOURCE ||
        resolution == CC_RESOLUTION_ACCEPT_DESTINATION) {
        while (m->conflict_count)
            if ((rc = cc_merge_accept(m, call, git, 0, resolution == CC_RESOLUTION_ACCEPT_SOURCE)) <
                0)
                goto done;
    }
    if (m->conflict_count) {
        rc = manual_merge_required(call, m);
        goto done;
    }
    git_oid tree_id;
    if (git_index_write_tree_to(&tree_id, m->index, git) < 0) {
        rc = cc_git_fail(call, "cannot write the merged tree");
        goto done;
    }
    if (git_tree_lookup(&merged, git, &tree_id) < 0) {
        rc = cc_git_fail(call, "cannot read the merged tree");
        goto done;
    }
    if (req->keep_empty_folders) {
        if ((rc = changed_paths(&deleted, &deleted_n, call, git, ours, merged)) < 0)
            goto done;
        size_t kept = 0;
        for (size_t i = 0; i < deleted_n; i++) {
            if (tree_has(merged, deleted[i]))
                free(deleted[i]);
            else
                deleted[kept++] = deleted[i];
        }
        deleted_n = kept;
        if (!edits)
            edits = xcalloc(spare + 1, sizeof(*edits));
        edit_n = keep_folders(edits, edit_n, edit_n + spare, &owned, &owned_n, ours, merged,
                              deleted, deleted_n);
    }
    if (edit_n) {
        struct cc_tree_edit_options opts = {.keep_empty_folders = req->keep_empty_folders};
        if ((rc = cc_tree_edit_apply(&tree_id, call, git, merged, edits, edit_n, &opts)) < 0)
            goto done;
    }
    git_oid_cpy(tree_out, &tree_id);
done:
    paths_free(deleted, deleted_n);
    paths_free(owned, owned_n);
    free(edits);
    git_tree_free(base);
    git_tree_free(ours);
    git_tree_free(theirs);
    git_tree_free(merged);
    return rc;
}

/* The target branch must exist, be a branch, and be where the destination is. */
static int target_check(struct api_call *call, struct cc_repo *repo, const char *target,
                        const git_oid *destination)
{
    int rc = cc_branch_name_check(call, target, "targetBranch");
    if (rc < 0)
        return rc;
    struct buf refname = BUF_INIT;
    buf_addf(&refname, "refs/heads/%s", target);
    git_reference *ref = NULL;
    rc = git_reference_lookup(&ref, repo->git, refname.data);
    if (rc == GIT_ENOTFOUND) {
        buf_reset(&refname);
        buf_addf(&refname, "refs/tags/%s", target);
        bool tag = git_reference_lookup(&ref, repo->git, refname.data) == 0;
        git_reference_free(ref);
        buf_release(&refname);
        if (tag)
            return api_error(call, ERR_INVALID, "BranchNameIsTagNameException",
                             "The specified branch name '%s' is a tag name (targetBranch)", target);
        return api_error(call, ERR_NOT_FOUND, "BranchDoesNotExistException",
                         "The specified branch '%s' does not exist (targetBranch)", target);
    }
    buf_release(&refname);
    if (rc < 0)
        return cc_git_fail(call, "cannot read the target branch");
    git_object *peeled = NULL;
    rc = git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT);
    git_reference_free(ref);
    if (rc < 0)
        return cc_git_fail(call, "cannot read the target branch");
    bool same = git_oid_equal(git_object_id(peeled), destination);
    git_object_free(peeled);
    if (!same)
        return api_error(call, ERR_INVALID, "InvalidTargetBranchException",
                         "The target branch '%s' does not point at the destination commit: the "
                         "merge is applied to the branch the destination names",
                         target);
    return 0;
}

static void default_message(struct buf *out, const struct cc_merge_request *req)
{
    buf_addf(out, "Merge %s into %s", req->source, req->destination);
}

int cc_merge_run(git_oid *commit_out, git_oid *tree_out, struct api_call *call,
                 struct cc_repo *repo, const struct cc_merge_request *req)
{
    enum cc_conflict_detail detail;
    enum cc_conflict_resolution resolution;
    int rc = cc_merge_detail_parse(&detail, call, req->conflict_detail_level);
    if (rc == 0)
        rc = cc_merge_resolution_parse(&resolution, call, req->conflict_resolution_strategy);
    if (rc == 0 && req->strategy != CC_MERGE_FAST_FORWARD)
        rc = cc_commit_inputs_check(call, req->author_name, req->email, req->commit_message);
    if (rc == 0 && req->strategy != CC_MERGE_FAST_FORWARD) {
        /* The entries are checked whole before anything is merged, even
         * when the merge turns out to have nothing to do. */
        struct cc_tree_edit *edits = NULL;
        size_t edit_n = 0;
        rc = resolution_edits(&edits, &edit_n, call, req->conflict_resolution, NULL, NULL, NULL, 0);
        free(edits);
    }
    if (rc < 0)
        return rc;

    struct cc_merge m;
    rc = cc_merge_prepare(
        &m, call, repo->git, req->source,
        req->source_member ? req->source_member : "sourceCommitSpecifier", req->destination,
        req->destination_member ? req->destination_member : "destinationCommitSpecifier");
    if (rc < 0)
        return rc;
    const git_oid *dst = git_commit_id(m.destination);
    if (req->target_branch && (rc = target_check(call, repo, req->target_branch, dst)) < 0)
        goto done;

    git_oid result, tree;
    if (req->strategy == CC_MERGE_FAST_FORWARD || m.up_to_date) {
        if (req->strategy == CC_MERGE_FAST_FORWARD && !m.fast_forward && !m.up_to_date) {
            rc = api_error(call, ERR_CONFLICT, "ManualMergeRequiredException",
                           "The branches cannot be merged by fast-forward: the destination "
                           "'%s' is not an ancestor of the source '%s'",
                           req->destination, req->source);
            goto done;
        }
        /* Nothing of the source is missing from the destination: the
         * destination is the result. */
        git_commit *winner = m.up_to_date ? m.destination : m.source;
        git_oid_cpy(&result, git_commit_id(winner));
        git_oid_cpy(&tree, git_commit_tree_id(winner));
    } else {
        if ((rc = merged_tree(&tree, call, repo, &m, req, detail, resolution)) < 0)
            goto done;
        const git_commit *parents[2] = {m.destination, m.source};
        struct buf message = BUF_INIT;
        if (!req->commit_message || !req->commit_message[0])
            default_message(&message, req);
        rc = cc_commit_write(&result, call, repo->git, &tree, parents,
                             req->strategy == CC_MERGE_THREE_WAY ? 2 : 1, req->author_name,
                             req->email, message.len ? message.data : req->commit_message);
        buf_release(&message);
        if (rc < 0)
            goto done;
    }

    if (req->target_branch && !git_oid_equal(&result, dst)) {
        struct buf refname = BUF_INIT, log = BUF_INIT;
        buf_addf(&refname, "refs/heads/%s", req->target_branch);
        buf_addf(&log, "merge %s (%s)", req->source, cc_merge_option_name(req->strategy));
        rc = cc_ref_move(call, repo, refname.data, dst, &result, log.data);
        if (rc == ERR_CONFLICT)
            rc = api_error(call, ERR_CONFLICT, "ConcurrentReferenceUpdateException",
                           "The merge cannot be completed because the branch '%s' was changed "
                           "meanwhile; try again",
                           req->target_branch);
        buf_release(&refname);
        buf_release(&log);
        if (rc < 0)
            goto done;
    }
    git_oid_cpy(commit_out, &result);
    git_oid_cpy(tree_out, &tree);
done:
    cc_merge_release(&m);
    return rc;
}
