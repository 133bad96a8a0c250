#include "base/common.h"
#include "services/codecommit/codecommit_internal.h"

#include "aws/pagination.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/codecommit/tree_edit.h"

/*
 * Differences between two commits (GetDifferences) and the history of one
 * file (ListFileCommitHistory). Both page with opaque tokens that carry the
 * commits they were made for and the position reached, so a token replayed
 * against other inputs is refused rather than misread.
 */

#define DIFFERENCES_PAGE_DEFAULT 100
#define DIFFERENCES_PAGE_MAX     1000
#define HISTORY_PAGE_DEFAULT     100
#define HISTORY_PAGE_MAX         1000
/* Commits ListFileCommitHistory walks at most, so one call stays bounded. */
#define HISTORY_WALK_MAX 100000

static void hex_of(char out[GIT_OID_HEXSZ + 1], const git_oid *oid)
{
    git_oid_tostr(out, GIT_OID_HEXSZ + 1, oid);
}

/* A page size member: absent gives `def`, below 1 fails, above `max` is
 * served as `max`. */
static int page_size(size_t *out, struct api_call *call, json_t *in, const char *member, size_t def,
                     size_t max)
{
    json_t *v = json_object_get(in, member);
    if (!v) {
        *out = def;
        return 0;
    }
    json_int_t n = json_integer_value(v);
    if (!json_is_integer(v) || n < 1)
        return api_error(call, ERR_INVALID, "InvalidMaxResultsException",
                         "The specified number of maximum results is not valid: %s must be at "
                         "least 1",
                         member);
    *out = (size_t)n > max ? max : (size_t)n;
    return 0;
}

/*
 * The position a token carries, for the inputs `binding` describes: 0 and
 * *pos (0 without a token), or InvalidContinuationTokenException.
 */
static int token_position(size_t *pos, struct api_call *call, const char *token,
                          const char *binding)
{
    *pos = 0;
    if (!token)
        return 0;
    char *key = NULL;
    if (pagination_token_decode(&key, token) < 0)
        return api_error(call, ERR_INVALID, "InvalidContinuationTokenException",
                         "The specified continuation token is not valid.");
    size_t blen = strlen(binding);
    char *end = NULL;
    unsigned long long n = 0;
    bool ok = strncmp(key, binding, blen) == 0 && key[blen] == '|';
    if (ok) {
        errno = 0;
        n = strtoull(key + blen + 1, &end, 10);
        ok = errno == 0 && end != key + blen + 1 && *end == '\0';
    }
    free(key);
    if (!ok)
        return api_error(call, ERR_INVALID, "InvalidContinuationTokenException",
                         "The specified continuation token is not valid for this request.");
    *pos = (size_t)n;
    return 0;
}

static json_t *token_json(const char *binding, size_t pos)
{
    struct buf key = BUF_INIT, token = BUF_INIT;
    buf_addf(&key, "%s|%zu", binding, pos);
    pagination_token_encode(&token, key.data);
    json_t *s = json_string(token.data);
    buf_release(&key);
    buf_release(&token);
    return s;
}

/* Binds a token to its inputs without carrying them: a digest of them. */
static void binding_of(struct buf *out, const char *const *parts, size_t count)
{
    /* FNV-1a over the parts, each ended by a NUL; enough to tell inputs
     * apart, the token being no secret. */
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < count; i++) {
        const char *p = parts[i] ? parts[i] : "";
        for (; *p; p++) {
            h ^= (unsigned char)*p;
            h *= 1099511628211ULL;
        }
        h ^= 0xff;
        h *= 1099511628211ULL;
    }
    buf_addf(out, "%016llx", (unsigned long long)h);
}

/* ---- GetDifferences ---------------------------------------------------------- */

/* A path filter: checked, without leading or trailing slashes. */
static int diff_path(char *out, size_t size, struct api_call *call, const char *path,
                     const char *member)
{
    out[0] = '\0';
    if (!path)
        return 0;
    return cc_path_read(out, size, call, path, member, true);
}

static int path_exists(bool *out, git_tree *tree, const char *path)
{
    git_tree_entry *e = NULL;
    *out = tree && git_tree_entry_bypath(&e, tree, path) == 0;
    git_tree_entry_free(e);
    return 0;
}

static json_t *blob_metadata(const git_diff_file *f)
{
    char hex[GIT_OID_HEXSZ + 1], mode[16];
    hex_of(hex, &f->id);
    snprintf(mode, sizeof(mode), "%06o", (unsigned)f->mode);
    return json_pack("{s:s, s:o, s:s}", "blobId", hex, "path", cc_text_json(f->path), "mode", mode);
}

int cc_get_differences(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_repo repo _cleanup_cc_repo_ = {0};
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    size_t limit = 0, pos = 0;
    rc = page_size(&limit, call, in, "MaxResults", DIFFERENCES_PAGE_DEFAULT, DIFFERENCES_PAGE_MAX);
    if (rc < 0)
        return rc;
    char before_path[CC_PATH_MAX + 1], after_path[CC_PATH_MAX + 1];
    rc = diff_path(before_path, sizeof(before_path), call, cc_str(in, "beforePath"), "beforePath");
    if (rc < 0)
        return rc;
    rc = diff_path(after_path, sizeof(after_path), call, cc_str(in, "afterPath"), "afterPath");
    if (rc < 0)
        return rc;

    git_commit *before = NULL, *after = NULL;
    git_tree *before_tree = NULL, *after_tree = NULL;
    git_diff *diff = NULL;
    rc = cc_commit_resolve(&after, call, repo.git, cc_str(in, "afterCommitSpecifier"),
                           "afterCommitSpecifier");
    if (rc < 0)
        goto done;
    const char *before_spec = cc_str(in, "beforeCommitSpecifier");
    if (before_spec) {
        rc = cc_commit_resolve(&before, call, repo.git, before_spec, "beforeCommitSpecifier");
        if (rc < 0)
            goto done;
    }
    if (git_commit_tree(&after_tree, after) < 0 ||
        (before && git_commit_tree(&before_tree, before) < 0)) {
        rc = cc_git_fail(call, "cannot read the commits' trees");
        goto done;
    }
    /* A filter names something of either side: a folder the after commit
     * adds is a path of the comparison as much as one it removes. */
    const char *filters[2][2] = {{before_path, "beforePath"}, {after_path, "afterPath"}};
    for (size_t k = 0; k < 2; k++) {
        if (!filters[k][0][0])
            continue;
        bool in_before = false, in_after = false;
        path_exists(&in_before, before_tree, filters[k][0]);
        path_exists(&in_after, after_tree, filters[k][0]);
        if (!in_before && !in_after) {
            rc = api_error(call, ERR_NOT_FOUND, "PathDoesNotExistException",
                           "The specified path '%s' does not exist in either commit (%s)",
                           filters[k][0], filters[k][1]);
            goto done;
        }
    }

    char before_hex[GIT_OID_HEXSZ + 1] = "", after_hex[GIT_OID_HEXSZ + 1];
    if (before)
        hex_of(before_hex, git_commit_id(before));
    hex_of(after_hex, git_commit_id(after));
    struct buf binding = BUF_INIT;
    const char *parts[] = {"differences", before_hex, after_hex, before_path, after_path};
    binding_of(&binding, parts, ARRAY_SIZE(parts));
    rc = token_position(&pos, call, cc_str(in, "NextToken"), binding.data);
    if (rc < 0) {
        buf_release(&binding);
        goto done;
    }

    git_diff_options opts;
    git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
    /* Paths as given, not globs; a folder names what is under it. A file
     * that becomes a link is one modification; renames stay D + A. */
    opts.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH | GIT_DIFF_INCLUDE_TYPECHANGE;
    char *specs[2];
    size_t nspecs = 0;
    if (before_path[0])
        specs[nspecs++] = before_path;
    if (after_path[0] && (!before_path[0] || strcmp(after_path, before_path) != 0))
        specs[nspecs++] = after_path;
    opts.pathspec.strings = specs;
    opts.pathspec.count = nspecs;
    if (git_diff_tree_to_tree(&diff, repo.git, before_tree, after_tree, &opts) < 0) {
        buf_release(&binding);
        rc = cc_git_fail(call, "cannot compare the commits");
        goto done;
    }
    size_t n = git_diff_num_deltas(diff);
    json_t *differences = json_array();
    size_t i = pos;
    for (; i < n && json_array_size(differences) < limit; i++) {
        const git_diff_delta *d = git_diff_get_delta(diff, i);
        json_t *item = json_object();
        const char *type = "M";
        switch (d->status) {
        case GIT_DELTA_ADDED:
            type = "A";
            break;
        case GIT_DELTA_DELETED:
            type = "D";
            break;
        default:
            break;
        }
        if (d->status != GIT_DELTA_ADDED)
            json_object_set_new(item, "beforeBlob", blob_metadata(&d->old_file));
        if (d->status != GIT_DELTA_DELETED)
            json_object_set_new(item, "afterBlob", blob_metadata(&d->new_file));
        json_object_set_new(item, "changeType", json_string(type));
        json_array_append_new(differences, item);
    }
    *out = json_pack("{s:o}", "differences", differences);
    if (i < n)
        json_object_set_new(*out, "NextToken", token_json(binding.data, i));
    buf_release(&binding);
    rc = 0;
done:
    git_diff_free(diff);
    git_tree_free(before_tree);
    git_tree_free(after_tree);
    git_commit_free(before);
    git_commit_free(after);
    return rc;
}

/* ---- ListFileCommitHistory ---------------------------------------------------- */

struct revision {
    git_oid commit;
    char *path;   /* the file's path here (renames followed) */
    git_oid blob; /* zero when the file is absent */
    bool version; /* the file changed here */
    size_t *last; /* the versions this commit's file comes from */
    size_t last_count;
    size_t *children; /* versions: the later versions derived from it */
    size_t child_count;
};

struct history {
    struct revision *revs; /* newest first (topological) */
    size_t count;
    size_t *order; /* indexes sorted by commit id, for lookups */
};

static int by_commit(const void *a, const void *b, void *arg)
{
    const struct history *h = arg;
    const struct revision *ra = &h->revs[*(const size_t *)a];
    const struct revision *rb = &h->revs[*(const size_t *)b];
    return git_oid_cmp(&ra->commit, &rb->commit);
}

static ssize_t history_find(const struct history *h, const git_oid *commit)
{
    size_t lo = 0, hi = h->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = git_oid_cmp(&h->revs[h->order[mid]].commit, commit);
        if (c == 0)
            return (ssize_t)h->order[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static void history_release(struct history *h)
{
    for (size_t i = 0; i < h->count; i++) {
        free(h->revs[i].path);
        free(h->revs[i].last);
        free(h->revs[i].children);
    }
    free(h->revs);
    free(h->order);
    memset(h, 0, sizeof(*h));
}

static void add_unique(size_t **set, size_t *count, size_t v)
{
    for (size_t i = 0; i < *count; i++)
        if ((*set)[i] == v)
            return;
    size_t *grown = realloc(*set, (*count + 1) * sizeof(**set));
    if (!grown)
        abort();
    *set = grown;
    (*set)[(*count)++] = v;
}

static int blob_at(git_oid *out, git_commit *commit, const char *path)
{
    memset(out, 0, sizeof(*out));
    git_tree *tree = NULL;
    if (git_commit_tree(&tree, commit) < 0)
        return -1;
    git_tree_entry *e = NULL;
    if (git_tree_entry_bypath(&e, tree, path) == 0) {
        git_filemode_t mode = git_tree_entry_filemode(e);
        if (mode != GIT_FILEMODE_TREE && mode != GIT_FILEMODE_COMMIT)
            git_oid_cpy(out, git_tree_entry_id(e));
    }
    git_tree_entry_free(e);
    git_tree_free(tree);
    return 0;
}

/*
 * Where the file at `path` of `commit` was in its parent number `p`: *out
 * is the path it was renamed (or copied with a rename) from, NULL when it
 * is not a rename there.
 */
static int rename_source(char **out, git_repository *git, git_commit *commit, unsigned p,
                         const char *path)
{
    *out = NULL;
    git_commit *parent = NULL;
    git_tree *old_tree = NULL, *new_tree = NULL;
    git_diff *diff = NULL;
    int rc = -1;
    if (git_commit_parent(&parent, commit, p) < 0 || git_commit_tree(&old_tree, parent) < 0 ||
        git_commit_tree(&new_tree, commit) < 0)
        goto done;
    git_tree_entry *e = NULL;
    if (git_tree_entry_bypath(&e, old_tree, path) == 0) {
        git_tree_entry_free(e);
        rc = 0; /* the parent has the path: no rename */
        goto done;
    }
    if (git_diff_tree_to_tree(&diff, git, old_tree, new_tree, NULL) < 0)
        goto done;
    git_diff_find_options find;
    git_diff_find_options_init(&find, GIT_DIFF_FIND_OPTIONS_VERSION);
    find.flags = GIT_DIFF_FIND_RENAMES;
    if (git_diff_find_similar(diff, &find) < 0)
        goto done;
    size_t n = git_diff_num_deltas(diff);
    for (size_t i = 0; i < n; i++) {
        const git_diff_delta *d = git_diff_get_delta(diff, i);
        if (d->status == GIT_DELTA_RENAMED && strcmp(d->new_file.path, path) == 0) {
            *out = xstrdup(d->old_file.path);
            break;
        }
    }
    rc = 0;
done:
    git_diff_free(diff);
    git_tree_free(new_tree);
    git_tree_free(old_tree);
    git_commit_free(parent);
    return rc;
}

/*
 * Walks the history of `start` and works out the versions of `path`: the
 * commits where its content or its path differs from every parent's,
 * renames followed. Each version's children are the versions that came
 * from it.
 */
static int history_build(struct history *h, struct api_call *call, git_repository *git,
                         const git_oid *start, const char *path)
{
    memset(h, 0, sizeof(*h));
    git_revwalk *walk = NULL;
    if (git_revwalk_new(&walk, git) < 0 || git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL) < 0 ||
        git_revwalk_push(walk, start) < 0) {
        git_revwalk_free(walk);
        return cc_git_fail(call, "cannot walk the history");
    }
    size_t cap = 0;
    git_oid oid;
    int rc;
    while ((rc = git_revwalk_next(&oid, walk)) == 0) {
        if (h->count == HISTORY_WALK_MAX) {
            git_revwalk_free(walk);
            return api_error(call, ERR_LIMIT, "TipsDivergenceExceededException",
                             "The history is longer than the %d commits this operation walks",
                             HISTORY_WALK_MAX);
        }
        if (h->count == cap) {
            cap = cap ? cap * 2 : 64;
            struct revision *grown = realloc(h->revs, cap * sizeof(*grown));
            if (!grown)
                abort();
            h->revs = grown;
        }
        struct revision *r = &h->revs[h->count++];
        memset(r, 0, sizeof(*r));
        git_oid_cpy(&r->commit, &oid);
    }
    git_revwalk_free(walk);
    if (rc != GIT_ITEROVER)
        return cc_git_fail(call, "cannot walk the history");

    h->order = malloc((h->count ? h->count : 1) * sizeof(*h->order));
    if (!h->order)
        abort();
    for (size_t i = 0; i < h->count; i++)
        h->order[i] = i;
    qsort_r(h->order, h->count, sizeof(*h->order), by_commit, h);

    /* Newest first: a commit's path is its children's, so known before
     * the commit is reached; where the file appears, the parent's path is
     * the one it was renamed from, if it was. */
    for (size_t i = 0; i < h->count; i++) {
        struct revision *r = &h->revs[i];
        if (!r->path)
            r->path = xstrdup(path);
        git_commit *c = NULL;
        if (git_commit_lookup(&c, git, &r->commit) < 0 || blob_at(&r->blob, c, r->path) < 0) {
            git_commit_free(c);
            return cc_git_fail(call, "cannot read a commit");
        }
        unsigned np = git_commit_parentcount(c);
        for (unsigned p = 0; p < np; p++) {
            ssize_t pi = history_find(h, git_commit_parent_id(c, p));
            if (pi < 0 || h->revs[pi].path)
                continue;
            char *parent_path = NULL;
            if (!git_oid_is_zero(&r->blob) && rename_source(&parent_path, git, c, p, r->path) < 0) {
                git_commit_free(c);
                return cc_git_fail(call, "cannot compare a commit with its parent");
            }
            h->revs[pi].path = parent_path ? parent_path : xstrdup(r->path);
        }
        git_commit_free(c);
    }

    /* Oldest first: a commit's parents are settled before it. */
    for (size_t k = h->count; k-- > 0;) {
        struct revision *r = &h->revs[k];
        git_commit *c = NULL;
        if (git_commit_lookup(&c, git, &r->commit) < 0)
            return cc_git_fail(call, "cannot read a commit");
        bool present = !git_oid_is_zero(&r->blob);
        bool same_as_a_parent = false;
        unsigned np = git_commit_parentcount(c);
        for (unsigned p = 0; p < np; p++) {
            ssize_t pi = history_find(h, git_commit_parent_id(c, p));
            if (pi >= 0 && git_oid_equal(&h->revs[pi].blob, &r->blob) &&
                strcmp(h->revs[pi].path, r->path) == 0)
                same_as_a_parent = true;
        }
        r->version = present && !same_as_a_parent;
        for (unsigned p = 0; p < np; p++) {
            ssize_t pi = history_find(h, git_commit_parent_id(c, p));
            if (pi < 0)
                continue;
            struct revision *pr = &h->revs[pi];
            bool from = r->version
                            ? !git_oid_is_zero(&pr->blob)
                            : git_oid_equal(&pr->blob, &r->blob) && strcmp(pr->path, r->path) == 0;
            if (!from)
                continue;
            for (size_t j = 0; j < pr->last_count; j++) {
                if (r->version)
                    add_unique(&h->revs[pr->last[j]].children, &h->revs[pr->last[j]].child_count,
                               k);
                else
                    add_unique(&r->last, &r->last_count, pr->last[j]);
            }
        }
        if (r->version)
            add_unique(&r->last, &r->last_count, k);
        git_commit_free(c);
    }
    return 0;
}

int cc_list_file_commit_history(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_repo repo _cleanup_cc_repo_ = {0};
    int rc = cc_repo_open(&repo, call, cc_str(in, "repositoryName"), NULL);
    if (rc < 0)
        return rc;
    const char *path = cc_str(in, "filePath");
    while (path && *path == '/')
        path++;
    rc = cc_path_check(call, path, "filePath");
    if (rc < 0)
        return rc;
    size_t limit = 0, pos = 0;
    rc = page_size(&limit, call, in, "maxResults", HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX);
    if (rc < 0)
        return rc;
    git_commit *start = NULL;
    const char *spec = cc_str(in, "commitSpecifier");
    if (spec)
        rc = cc_commit_resolve(&start, call, repo.git, spec, "commitSpecifier");
    else if (cc_str(repo.record, "defaultBranch"))
        rc = cc_commit_resolve(&start, call, repo.git, cc_str(repo.record, "defaultBranch"),
                               "commitSpecifier (default branch)");
    else
        rc = api_error(call, ERR_NOT_FOUND, "CommitDoesNotExistException",
                       "The repository %s has no commits", repo.loc.name);
    if (rc < 0)
        return rc;
    char start_hex[GIT_OID_HEXSZ + 1];
    hex_of(start_hex, git_commit_id(start));
    struct buf binding = BUF_INIT;
    const char *parts[] = {"history", start_hex, path};
    binding_of(&binding, parts, ARRAY_SIZE(parts));
    rc = token_position(&pos, call, cc_str(in, "nextToken"), binding.data);
    struct history h = {0};
    if (rc < 0)
        goto done;
    rc = history_build(&h, call, repo.git, git_commit_id(start), path);
    if (rc < 0)
        goto done;
    json_t *dag = json_array();
    size_t seen = 0, i = 0;
    for (; i < h.count && json_array_size(dag) < limit; i++) {
        struct revision *r = &h.revs[i];
        if (!r->version)
            continue;
        if (seen++ < pos)
            continue;
        git_commit *c = NULL;
        if (git_commit_lookup(&c, repo.git, &r->commit) < 0) {
            json_decref(dag);
            rc = cc_git_fail(call, "cannot read a commit");
            goto done;
        }
        char blob_hex[GIT_OID_HEXSZ + 1];
        hex_of(blob_hex, &r->blob);
        json_t *children = json_array();
        for (size_t j = 0; j < r->child_count; j++) {
            char hex[GIT_OID_HEXSZ + 1];
            hex_of(hex, &h.revs[r->children[j]].commit);
            json_array_append_new(children, json_string(hex));
        }
        json_array_append_new(dag, json_pack("{s:o, s:s, s:o, s:o}", "commit", cc_commit_json(c),
                                             "blobId", blob_hex, "path", cc_text_json(r->path),
                                             "revisionChildren", children));
        git_commit_free(c);
    }
    /* More versions after this page? */
    bool more = false;
    for (size_t j = i; j < h.count && !more; j++)
        more = h.revs[j].version;
    *out = json_pack("{s:o}", "revisionDag", dag);
    if (more)
        json_object_set_new(*out, "nextToken", token_json(binding.data, pos + limit));
    rc = 0;
done:
    history_release(&h);
    buf_release(&binding);
    git_commit_free(start);
    return rc;
}
