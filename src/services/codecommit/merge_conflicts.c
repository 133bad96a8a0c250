#include "base/common.h"
#include "services/codecommit/codecommit_internal.h"

#include <errno.h>
#include <stdlib.h>

#include "aws/pagination.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/err.h"
#include "services/codecommit/merge.h"
#include "services/codecommit/tree_edit.h"

/*
 * GetMergeConflicts, DescribeMergeConflicts, BatchDescribeMergeConflicts:
 * the conflicts the merge engine finds, with each file's metadata and its
 * merge hunks (a three-way comparison of the base, destination and source
 * versions by lines: the regions each side changed, a conflict where both
 * changed the same base lines differently).
 */

#define CONFLICT_FILES_DEFAULT 100
#define MERGE_HUNKS_DEFAULT    1000
/* The largest offset a token can carry: far past any list, and far enough
 * from SIZE_MAX that offset + page size cannot wrap. */
#define TOKEN_OFFSET_MAX ((size_t)1 << 31)

/* ---- input ---------------------------------------------------------------- */

static int max_member(int64_t *out, struct api_call *call, const json_t *in, const char *name,
                      const char *code, int64_t fallback)
{
    const json_t *v = json_object_get(in, name);
    *out = fallback;
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return api_error(call, ERR_INVALID, code, "The value of %s must be a positive number",
                         name);
    *out = json_integer_value(v) < fallback ? json_integer_value(v) : fallback;
    return 0;
}

/* nextToken: an offset into the sorted list the previous page came from. */
static int token_offset(size_t *out, struct api_call *call, const json_t *in)
{
    const char *token = cc_str(in, "nextToken");
    *out = 0;
    if (!token)
        return 0;
    char *after = NULL;
    if (pagination_token_decode(&after, token) < 0)
        return api_error(call, ERR_INVALID, "InvalidContinuationTokenException",
                         "The specified continuation token is not valid (nextToken)");
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(after, &end, 10);
    bool ok =
        end != after && *end == '\0' && errno == 0 && after[0] != '-' && n <= TOKEN_OFFSET_MAX;
    free(after);
    if (!ok)
        return api_error(call, ERR_INVALID, "InvalidContinuationTokenException",
                         "The specified continuation token is not valid (nextToken)");
    *out = (size_t)n;
    return 0;
}

static void token_set(json_t *out, size_t offset)
{
    char text[32];
    snprintf(text, sizeof(text), "%zu", offset);
    struct buf token = BUF_INIT;
    pagination_token_encode(&token, text);
    json_object_set_new(out, "nextToken", json_string(token.data));
    buf_release(&token);
}

static void oid_set(json_t *obj, const char *name, const git_oid *id)
{
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof(hex), id);
    json_object_set_new(obj, name, json_string(hex));
}

static void commit_ids_set(json_t *out, const struct cc_merge *m)
{
    oid_set(out, "destinationCommitId", git_commit_id(m->destination));
    oid_set(out, "sourceCommitId", git_commit_id(m->source));
    if (m->has_base)
        oid_set(out, "baseCommitId", &m->base);
}

/* ---- one file's three versions ---------------------------------------------- */

struct version {
    const struct cc_merge_side *side;
    git_blob *blob; /* files only */
    const char *data;
    size_t len;
    bool binary;
};

struct file_view {
    const char *path;
    struct cc_merge_side sides[3]; /* base, destination, source */
    struct version v[3];
    bool in_conflict;
};

enum { BASE, DEST, SRC };

static void file_view_release(struct file_view *f)
{
    for (int i = 0; i < 3; i++)
        git_blob_free(f->v[i].blob);
}

static int tree_of(git_tree **out, git_repository *git, const git_oid *commit_id)
{
    *out = NULL;
    if (!commit_id)
        return 0;
    git_commit *c = NULL;
    if (git_commit_lookup(&c, git, commit_id) < 0)
        return -1;
    int rc = git_commit_tree(out, c);
    git_commit_free(c);
    return rc;
}

/* The three versions of `path`; false in *exists_out when no side has it. */
static int file_view_load(struct file_view *f, bool *exists_out, struct api_call *call,
                          git_repository *git, struct cc_merge *m, const char *path)
{
    memset(f, 0, sizeof(*f));
    f->path = path;
    const struct cc_merge_conflict *c = cc_merge_conflict_find(m, path);
    if (c) {
        f->sides[BASE] = c->base;
        f->sides[DEST] = c->destination;
        f->sides[SRC] = c->source;
        f->in_conflict = true;
    } else {
        const git_oid *ids[3] = {m->has_base ? &m->base : NULL, git_commit_id(m->destination),
                                 git_commit_id(m->source)};
        for (int i = 0; i < 3; i++) {
            git_tree *tree = NULL;
            if (tree_of(&tree, git, ids[i]) < 0)
                return cc_git_fail(call, "cannot read a tree");
            cc_merge_side_at(&f->sides[i], tree, path);
            git_tree_free(tree);
        }
    }
    *exists_out = f->sides[BASE].present || f->sides[DEST].present || f->sides[SRC].present;
    for (int i = 0; i < 3; i++) {
        struct version *v = &f->v[i];
        v->side = &f->sides[i];
        if (!v->side->present || v->side->type != GIT_OBJECT_BLOB)
            continue;
        if (git_blob_lookup(&v->blob, git, &v->side->id) < 0)
            return cc_git_fail(call, "cannot read a file");
        v->data = git_blob_rawcontent(v->blob);
        v->len = (size_t)git_blob_rawsize(v->blob);
        v->binary = git_blob_is_binary(v->blob);
    }
    return 0;
}

/* ---- merge hunks ------------------------------------------------------------- */

struct lines {
    size_t count;
    size_t *start; /* count + 1 offsets */
};

static void lines_split(struct lines *out, const char *data, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (data[i] == '\n')
            n++;
    if (len && data[len - 1] != '\n')
        n++;
    out->count = n;
    out->start = xcalloc(n + 1, sizeof(*out->start));
    size_t k = 0;
    for (size_t i = 0; i < len && k < n; i++) {
        if (i == 0 || data[i - 1] == '\n')
            out->start[k++] = i;
    }
    out->start[n] = len;
}

/* A change of one side against the base, 0-based half-open line ranges. */
struct change {
    size_t o_start, o_end;
    size_t n_start, n_end;
};

static int changes_of(struct change **out, size_t *count_out, struct api_call *call,
                      const struct version *base, const struct version *other)
{
    git_diff_options opts;
    git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
    opts.context_lines = 0;
    opts.interhunk_lines = 0;
    opts.flags = GIT_DIFF_FORCE_TEXT;
    git_patch *patch = NULL;
    if (git_patch_from_buffers(&patch, base->data, base->len, NULL, other->data, other->len, NULL,
                               &opts) < 0)
        return cc_git_fail(call, "cannot compare file versions");
    size_t n = git_patch_num_hunks(patch);
    struct change *changes = xcalloc(n ? n : 1, sizeof(*changes));
    for (size_t i = 0; i < n; i++) {
        const git_diff_hunk *h = NULL;
        size_t lines = 0;
        if (git_patch_get_hunk(&h, &lines, patch, i) < 0) {
            free(changes);
            git_patch_free(patch);
            return cc_git_fail(call, "cannot compare file versions");
        }
        struct change *c = &changes[i];
        c->o_start = h->old_lines ? (size_t)h->old_start - 1 : (size_t)h->old_start;
        c->o_end = c->o_start + (size_t)h->old_lines;
        c->n_start = h->new_lines ? (size_t)h->new_start - 1 : (size_t)h->new_start;
        c->n_end = c->n_start + (size_t)h->new_lines;
    }
    git_patch_free(patch);
    *out = changes;
    *count_out = n;
    return 0;
}

static bool touches(const struct change *c, size_t s, size_t e)
{
    return c->o_start < e || (c->o_start == e && (c->o_start == c->o_end || s == e));
}

static json_t *hunk_detail(const struct version *v, const struct lines *l, size_t from, size_t to)
{
    if (from > l->count)
        from = l->count;
    if (to > l->count)
        to = l->count;
    if (to < from)
        to = from;
    struct buf b64 = BUF_INIT;
    base64_encode(&b64, v->data ? v->data + l->start[from] : "", l->start[to] - l->start[from]);
    json_t *d = json_pack("{s:I, s:I, s:s}", "startLine", (json_int_t)from, "endLine",
                          (json_int_t)to, "hunkContent", b64.data);
    buf_release(&b64);
    return d;
}

static bool same_lines(const struct version *a, const struct lines *la, size_t a0, size_t a1,
                       const struct version *b, const struct lines *lb, size_t b0, size_t b1)
{
    size_t alen = la->start[a1] - la->start[a0], blen = lb->start[b1] - lb->start[b0];
    return alen == blen &&
           (alen == 0 || memcmp(a->data + la->start[a0], b->data + lb->start[b0], alen) == 0);
}

/*
 * Grows the region [s, *e) of base lines by the next change of one side,
 * changes[*next] (of `count`), when it touches the region: its lines join
 * the region, its growth in lines adds to *delta, *any is set and *next
 * moves on. Whether the region took it.
 */
static bool region_absorb(size_t *e, long long *delta, bool *any, const struct change *changes,
                          size_t count, size_t *next, size_t s)
{
    if (*next >= count || !touches(&changes[*next], s, *e))
        return false;
    const struct change *c = &changes[(*next)++];
    if (c->o_end > *e)
        *e = c->o_end;
    *delta += (long long)(c->n_end - c->n_start) - (long long)(c->o_end - c->o_start);
    *any = true;
    return true;
}

/*
 * The merge hunks of a text file (all of them, in order) and how many are
 * conflicts. Files that are not text on every side have none.
 */
static int hunks_of(json_t **out, size_t *conflicts_out, struct api_call *call,
                    const struct file_view *f)
{
    *out = json_array();
    *conflicts_out = 0;
    for (int i = 0; i < 3; i++) {
        const struct cc_merge_side *s = &f->sides[i];
        if ((s->present && s->type != GIT_OBJECT_BLOB) || f->v[i].binary)
            return 0;
    }
    const struct version *base = &f->v[BASE], *dst = &f->v[DEST], *src = &f->v[SRC];
    struct change *dc = NULL, *sc = NULL;
    size_t dn = 0, sn = 0;
    int rc = changes_of(&dc, &dn, call, base, dst);
    if (rc == 0)
        rc = changes_of(&sc, &sn, call, base, src);
    if (rc < 0) {
        free(dc);
        return rc;
    }
    struct lines lb, ld, ls;
    lines_split(&lb, base->data, base->len);
    lines_split(&ld, dst->data, dst->len);
    lines_split(&ls, src->data, src->len);

    size_t i = 0, j = 0;
    long long d_delta = 0, s_delta = 0; /* line offsets of each side before the region */
    while (i < dn || j < sn) {
        bool take_d = j >= sn || (i < dn && dc[i].o_start <= sc[j].o_start);
        const struct change *first = take_d ? &dc[i] : &sc[j];
        size_t s = first->o_start, e = first->o_end;
        long long d_in = 0, s_in = 0;
        bool d_any = false, s_any = false;
        for (;;) {
            bool grown_d = region_absorb(&e, &d_in, &d_any, dc, dn, &i, s);
            bool grown_s = region_absorb(&e, &s_in, &s_any, sc, sn, &j, s);
            if (!grown_d && !grown_s)
                break;
        }
        size_t d0 = (size_t)((long long)s + d_delta), d1 = (size_t)((long long)e + d_delta + d_in);
        size_t s0 = (size_t)((long long)s + s_delta), s1 = (size_t)((long long)e + s_delta + s_in);
        bool conflict = d_any && s_any && !same_lines(dst, &ld, d0, d1, src, &ls, s0, s1);
        if (conflict)
            (*conflicts_out)++;
        json_t *hunk = json_pack("{s:b}", "isConflict", conflict);
        json_object_set_new(hunk, "source", hunk_detail(src, &ls, s0, s1));
        json_object_set_new(hunk, "destination", hunk_detail(dst, &ld, d0, d1));
        if (f->sides[BASE].present)
            json_object_set_new(hunk, "base", hunk_detail(base, &lb, s, e));
        json_array_append_new(*out, hunk);
        d_delta += d_in;
        s_delta += s_in;
    }
    free(lb.start);
    free(ld.start);
    free(ls.start);
    free(dc);
    free(sc);
    return 0;
}

/* ---- metadata ------------------------------------------------------------------ */

static const char *object_type_name(const struct cc_merge_side *s)
{
    if (s->type == GIT_OBJECT_TREE)
        return "DIRECTORY";
    if (s->type == GIT_OBJECT_COMMIT)
        return "GIT_LINK";
    return s->mode == GIT_FILEMODE_LINK ? "SYMBOLIC_LINK" : "FILE";
}

static const char *operation_of(const struct cc_merge_side *base, const struct cc_merge_side *s)
{
    if (!base->present)
        return s->present ? "A" : NULL;
    if (!s->present)
        return "D";
    if (base->mode != s->mode || !git_oid_equal(&base->id, &s->id))
        return "M";
    return NULL;
}

static const char *const side_names[3] = {"base", "destination", "source"};

static json_t *conflict_metadata(const struct file_view *f, size_t hunk_conflicts)
{
    const struct cc_merge_side *b = &f->sides[BASE], *d = &f->sides[DEST], *s = &f->sides[SRC];
    json_t *sizes = json_object(), *modes = json_object(), *types = json_object(),
           *binary = json_object(), *ops = json_object();
    for (int i = 0; i < 3; i++) {
        const struct cc_merge_side *side = &f->sides[i];
        if (!side->present)
            continue;
        json_object_set_new(types, side_names[i], json_string(object_type_name(side)));
        if (side->type != GIT_OBJECT_BLOB)
            continue;
        json_object_set_new(sizes, side_names[i], json_integer((json_int_t)f->v[i].len));
        const char *mode = cc_file_mode_name(side->mode);
        if (mode)
            json_object_set_new(modes, side_names[i], json_string(mode));
        json_object_set_new(binary, side_names[i], json_boolean(f->v[i].binary));
    }
    const char *op = operation_of(b, s);
    if (op)
        json_object_set_new(ops, "source", json_string(op));
    op = operation_of(b, d);
    if (op)
        json_object_set_new(ops, "destination", json_string(op));

    bool both = d->present && s->present;
    bool type_conflict = both && strcmp(object_type_name(d), object_type_name(s)) != 0;
    bool mode_conflict = both && !type_conflict && d->mode != s->mode &&
                         (!b->present || (b->mode != d->mode && b->mode != s->mode));
    bool content_conflict =
        f->in_conflict && !type_conflict && !(both && git_oid_equal(&d->id, &s->id));
    size_t count = 0;
    if (f->in_conflict) {
        count = hunk_conflicts + (mode_conflict ? 1 : 0) + (type_conflict ? 1 : 0);
        if (content_conflict && hunk_conflicts == 0)
            count++;
    }
    json_t *meta = json_object();
    json_object_set_new(meta, "filePath", json_string(f->path));
    json_object_set_new(meta, "fileSizes", sizes);
    json_object_set_new(meta, "fileModes", modes);
    json_object_set_new(meta, "objectTypes", types);
    json_object_set_new(meta, "numberOfConflicts", json_integer((json_int_t)count));
    json_object_set_new(meta, "isBinaryFile", binary);
    json_object_set_new(meta, "contentConflict", json_boolean(content_conflict));
    json_object_set_new(meta, "fileModeConflict", json_boolean(f->in_conflict && mode_conflict));
    json_object_set_new(meta, "objectTypeConflict", json_boolean(f->in_conflict && type_conflict));
    json_object_set_new(meta, "mergeOperations", ops);
    return meta;
}

/* A file's metadata and hunks; `hunks_out` may be NULL. */
static int describe_file(json_t **meta_out, json_t **hunks_out, bool *exists_out,
                         struct api_call *call, git_repository *git, struct cc_merge *m,
                         const char *path)
{
    struct file_view f;
    int rc = file_view_load(&f, exists_out, call, git, m, path);
    json_t *hunks = NULL;
    size_t conflicts = 0;
    if (rc == 0 && *exists_out)
        rc = hunks_of(&hunks, &conflicts, call, &f);
    if (rc == 0 && *exists_out) {
        *meta_out = conflict_metadata(&f, conflicts);
        if (hunks_out)
            *hunks_out = hunks;
        else
            json_decref(hunks);
    } else {
        json_decref(hunks);
    }
    file_view_release(&f);
    return rc;
}

/* ---- the operations ---------------------------------------------------------------- */

/* Opens the repository, checks the common inputs and computes the merge. */
static int conflicts_open(struct cc_repo *repo, struct cc_merge *m,
                          enum cc_merge_strategy *strategy, struct api_call *call, const json_t *in)
{
    memset(m, 0, sizeof(*m));
    int rc = cc_repo_open(repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    enum cc_conflict_detail detail;
    enum cc_conflict_resolution resolution;
    rc = cc_merge_option_parse(strategy, call, cc_str(in, "mergeOption"));
    if (rc == 0)
        rc = cc_merge_detail_parse(&detail, call, cc_str(in, "conflictDetailLevel"));
    if (rc == 0)
        rc = cc_merge_resolution_parse(&resolution, call, cc_str(in, "conflictResolutionStrategy"));
    if (rc == 0)
        rc = cc_merge_prepare(m, call, repo->git, cc_str(in, "sourceCommitSpecifier"),
                              "sourceCommitSpecifier", cc_str(in, "destinationCommitSpecifier"),
                              "destinationCommitSpecifier");
    if (rc == 0 && *strategy != CC_MERGE_FAST_FORWARD)
        rc = cc_merge_compute(m, call, repo->git, detail, resolution);
    if (rc < 0) {
        cc_merge_release(m);
        cc_repo_close(repo);
    }
    return rc;
}

/*
 * The opening of the conflict questions: `rc`, the verdict on the page
 * sizes asked for, then the token's offset into *offset, then the merge
 * (conflicts_open). A caller who may not ask hears about authorization
 * before bad paging.
 */
static int conflicts_begin(struct cc_repo *repo, struct cc_merge *m,
                           enum cc_merge_strategy *strategy, size_t *offset, struct api_call *call,
                           const json_t *in, int rc)
{
    if (rc == 0)
        rc = token_offset(offset, call, in);
    if (rc < 0) {
        struct cc_repo probe;
        int authz = cc_repo_open(&probe, call, cc_str(in, "repositoryName"), NULL);
        cc_repo_close(&probe);
        return authz < 0 ? authz : rc;
    }
    return conflicts_open(repo, m, strategy, call, in);
}

int cc_get_merge_conflicts(struct api_call *call, json_t *in, json_t **out)
{
    int64_t max_files;
    size_t offset;
    int rc = max_member(&max_files, call, in, "maxConflictFiles",
                        "InvalidMaxConflictFilesException", CONFLICT_FILES_DEFAULT);
    struct cc_repo repo;
    struct cc_merge m;
    enum cc_merge_strategy strategy;
    if ((rc = conflicts_begin(&repo, &m, &strategy, &offset, call, in, rc)) < 0)
        return rc;
    json_t *list = json_array();
    bool mergeable;
    if (strategy == CC_MERGE_FAST_FORWARD) {
        mergeable = m.fast_forward || m.up_to_date;
    } else {
        mergeable = m.conflict_count == 0;
        for (size_t i = offset; rc == 0 && i < m.conflict_count && i < offset + (size_t)max_files;
             i++) {
            json_t *meta = NULL;
            bool exists = false;
            rc = describe_file(&meta, NULL, &exists, call, repo.git, &m, m.conflicts[i].path);
            if (rc == 0 && exists)
                json_array_append_new(list, meta);
        }
    }
    if (rc == 0) {
        *out = json_pack("{s:b, s:o}", "mergeable", mergeable, "conflictMetadataList", list);
        commit_ids_set(*out, &m);
        if (strategy != CC_MERGE_FAST_FORWARD && offset + (size_t)max_files < m.conflict_count)
            token_set(*out, offset + (size_t)max_files);
    } else {
        json_decref(list);
    }
    cc_merge_release(&m);
    cc_repo_close(&repo);
    return rc;
}

static int not_for_fast_forward(struct api_call *call)
{
    return api_error(call, ERR_INVALID, "InvalidMergeOptionException",
                     "Merge conflicts cannot be described for FAST_FORWARD_MERGE, which never "
                     "merges files: use SQUASH_MERGE or THREE_WAY_MERGE (mergeOption)");
}

/* A page of hunks: [offset, offset + max) of `all` (consumed). */
static json_t *hunk_page(json_t *all, size_t offset, size_t max, bool *more_out)
{
    json_t *page = json_array();
    size_t n = json_array_size(all);
    for (size_t i = offset; i < n && i < offset + max; i++)
        json_array_append(page, json_array_get(all, i));
    *more_out = offset + max < n;
    json_decref(all);
    return page;
}

int cc_describe_merge_conflicts(struct api_call *call, json_t *in, json_t **out)
{
    int64_t max_hunks;
    size_t offset;
    const char *path = cc_str(in, "filePath");
    int rc = max_member(&max_hunks, call, in, "maxMergeHunks", "InvalidMaxMergeHunksException",
                        MERGE_HUNKS_DEFAULT);
    if (rc == 0)
        rc = token_offset(&offset, call, in);
    if (rc == 0)
        rc = cc_path_check(call, path, "filePath");
    if (rc < 0) {
        struct cc_repo probe;
        int authz = cc_repo_open(&probe, call, cc_str(in, "repositoryName"), NULL);
        cc_repo_close(&probe);
        return authz < 0 ? authz : rc;
    }
    struct cc_repo repo;
    struct cc_merge m;
    enum cc_merge_strategy strategy;
    if ((rc = conflicts_open(&repo, &m, &strategy, call, in)) < 0)
        return rc;
    if (strategy == CC_MERGE_FAST_FORWARD) {
        rc = not_for_fast_forward(call);
        goto done;
    }
    json_t *meta = NULL, *hunks = NULL;
    bool exists = false;
    if ((rc = describe_file(&meta, &hunks, &exists, call, repo.git, &m, path)) < 0)
        goto done;
    if (!exists) {
        rc = api_error(call, ERR_NOT_FOUND, "FileDoesNotExistException",
                       "The file '%s' does not exist in the source, the destination or their "
                       "merge base (filePath)",
                       path);
        goto done;
    }
    bool more = false;
    json_t *page = hunk_page(hunks, offset, (size_t)max_hunks, &more);
    *out = json_pack("{s:o, s:o}", "conflictMetadata", meta, "mergeHunks", page);
    commit_ids_set(*out, &m);
    if (more)
        token_set(*out, offset + (size_t)max_hunks);
done:
    cc_merge_release(&m);
    cc_repo_close(&repo);
    return rc;
}

#define BATCH_FILE_PATHS_MAX 1000

int cc_batch_describe_merge_conflicts(struct api_call *call, json_t *in, json_t **out)
{
    int64_t max_hunks, max_files;
    size_t offset;
    const json_t *paths = json_object_get(in, "filePaths");
    int rc = max_member(&max_hunks, call, in, "maxMergeHunks", "InvalidMaxMergeHunksException",
                        MERGE_HUNKS_DEFAULT);
    if (rc == 0)
        rc = max_member(&max_files, call, in, "maxConflictFiles",
                        "InvalidMaxConflictFilesException", CONFLICT_FILES_DEFAULT);
    struct cc_repo repo;
    struct cc_merge m;
    enum cc_merge_strategy strategy;
    if ((rc = conflicts_begin(&repo, &m, &strategy, &offset, call, in, rc)) < 0)
        return rc;
    if (strategy == CC_MERGE_FAST_FORWARD) {
        rc = not_for_fast_forward(call);
        goto done;
    }
    /* The files asked about, or every conflicting file. */
    size_t total =
        json_is_array(paths) && json_array_size(paths) ? json_array_size(paths) : m.conflict_count;
    bool named = json_is_array(paths) && json_array_size(paths);
    if (named && total > BATCH_FILE_PATHS_MAX) {
        rc = api_error(call, ERR_INVALID, "InvalidPathException",
                       "At most %d file paths can be described at once (filePaths)",
                       BATCH_FILE_PATHS_MAX);
        goto done;
    }
    json_t *conflicts = json_array(), *errors = json_array();
    size_t end = offset + (size_t)max_files < total ? offset + (size_t)max_files : total;
    for (size_t i = offset; i < end; i++) {
        const char *path =
            named ? json_string_value(json_array_get(paths, i)) : m.conflicts[i].path;
        if (named && cc_path_check(call, path, "filePaths") < 0) {
            json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "filePath", path ? path : "",
                                                    "exceptionName", call->error_code, "message",
                                                    err_msg()));
            call->error_code[0] = '\0';
            err_clear();
            continue;
        }
        json_t *meta = NULL, *hunks = NULL;
        bool exists = false;
        if ((rc = describe_file(&meta, &hunks, &exists, call, repo.git, &m, path)) < 0)
            break;
        if (!exists) {
            json_array_append_new(
                errors, json_pack("{s:s, s:s, s:s+}", "filePath", path, "exceptionName",
                                  "FileDoesNotExistException", "message", "The file '", path,
                                  "' does not exist in the source, the destination or their "
                                  "merge base"));
            continue;
        }
        bool more = false;
        json_t *page = hunk_page(hunks, 0, (size_t)max_hunks, &more);
        json_array_append_new(
            conflicts, json_pack("{s:o, s:o}", "conflictMetadata", meta, "mergeHunks", page));
    }
    if (rc < 0) {
        json_decref(conflicts);
        json_decref(errors);
        goto done;
    }
    *out = json_pack("{s:o, s:o}", "conflicts", conflicts, "errors", errors);
    commit_ids_set(*out, &m);
    if (end < total)
        token_set(*out, end);
done:
    cc_merge_release(&m);
    cc_repo_close(&repo);
    return rc;
}
