#ifndef SLIPWAY_SERVICES_CODECOMMIT_MERGE_H
#define SLIPWAY_SERVICES_CODECOMMIT_MERGE_H

#include "services/codecommit/codecommit_internal.h"

/*
 * The merge engine behind MergeBranchesBy*, CreateUnreferencedMergeCommit
 * and MergePullRequestBy*: one entry point for the three strategies.
 */
enum cc_merge_strategy {
    CC_MERGE_FAST_FORWARD,
    CC_MERGE_SQUASH,
    CC_MERGE_THREE_WAY,
};

struct cc_merge_request {
    enum cc_merge_strategy strategy;
    /* Commit specifiers (branch, tag or commit id), and the input members
     * that named them, for messages. */
    const char *source;
    const char *source_member; /* "sourceCommitSpecifier" */
    const char *destination;
    const char *destination_member; /* "destinationCommitSpecifier" */
    /* The branch that is moved to the result; NULL for an unreferenced
     * merge commit. Moved only if it still points at the destination
     * commit when the merge is written (else ConcurrentReferenceUpdate...). */
    const char *target_branch;
    /* Optional inputs, as the operations name them; NULL when absent. */
    const char *conflict_detail_level; /* FILE_LEVEL | LINE_LEVEL */
    const char
        *conflict_resolution_strategy; /* NONE | ACCEPT_SOURCE | ACCEPT_DESTINATION | AUTOMERGE */
    const char *author_name;
    const char *email;
    const char *commit_message;
    bool keep_empty_folders;
    json_t *conflict_resolution; /* ConflictResolution structure, or NULL */
};

/*
 * Runs the merge: on success *commit_out is the resulting commit (for a
 * fast-forward, the source commit) and *tree_out its tree, and
 * `target_branch`, when set, has been moved (with its event recorded).
 * Fails with the operation's modelled errors (ManualMergeRequiredException,
 * CommitDoesNotExistException, ...), set with api_error().
 *
 * In order:
 *   - conflict_detail_level / conflict_resolution_strategy are checked
 *     (Invalid...Exception), then, except for a fast-forward, the author
 *     inputs (cc_commit_inputs_check) and `conflict_resolution` as a whole
 *     (InvalidPathException, InvalidReplacementTypeException,
 *     ReplacementContentRequiredException, MultipleConflictResolution-
 *     EntriesException, MaximumConflictResolutionEntriesExceededException,
 *     FileModeRequiredException, InvalidFileModeException ...);
 *   - both specifiers are resolved (cc_commit_resolve errors);
 *   - `target_branch`: cc_branch_name_check, BranchNameIsTagNameException,
 *     BranchDoesNotExistException, and InvalidTargetBranchException when it
 *     does not point at the destination commit;
 *   - FAST_FORWARD: the destination must be an ancestor of (or equal to)
 *     the source, else ManualMergeRequiredException; the result is the
 *     source commit;
 *   - any strategy, when the source is already contained in the
 *     destination: the result is the destination commit, nothing is
 *     written and no ref moves;
 *   - SQUASH / THREE_WAY: the trees are merged (see cc_merge_compute);
 *     conflicts named by a replaceContents or deleteFiles entry are
 *     resolved by it, the rest by ACCEPT_SOURCE / ACCEPT_DESTINATION;
 *     any left: ManualMergeRequiredException. Then the entries are applied
 *     as tree edits (setFileModes too), keep_empty_folders keeps folders
 *     the merge emptied (".gitkeep"), and the commit is written with
 *     parents (destination) or (destination, source); the message
 *     defaults to "Merge SOURCE into DESTINATION";
 *   - the branch moves by compare-and-swap from the destination commit:
 *     a concurrent change fails with ConcurrentReferenceUpdateException and
 *     leaves the ref alone (the new objects stay unreferenced).
 */
int cc_merge_run(git_oid *commit_out, git_oid *tree_out, struct api_call *call,
                 struct cc_repo *repo, const struct cc_merge_request *req);

/* ---- the pieces behind the merge operations ------------------------------ */

/* conflictDetailLevel and conflictResolutionStrategy. */
enum cc_conflict_detail {
    CC_DETAIL_FILE_LEVEL, /* a file changed on both sides is a conflict */
    CC_DETAIL_LINE_LEVEL, /* ... only when the changes touch the same lines */
};

enum cc_conflict_resolution {
    CC_RESOLUTION_NONE,
    CC_RESOLUTION_ACCEPT_SOURCE,
    CC_RESOLUTION_ACCEPT_DESTINATION,
    CC_RESOLUTION_AUTOMERGE, /* line-level merging, then conflictResolution */
};

/*
 * Input enums, NULL meaning the default (FILE_LEVEL, NONE); an unknown
 * value fails with InvalidConflictDetailLevelException,
 * InvalidConflictResolutionStrategyException; mergeOption NULL or empty
 * with MergeOptionRequiredException, unknown with InvalidMergeOptionException.
 */
int cc_merge_detail_parse(enum cc_conflict_detail *out, struct api_call *call, const char *name);
int cc_merge_resolution_parse(enum cc_conflict_resolution *out, struct api_call *call,
                              const char *name);
int cc_merge_option_parse(enum cc_merge_strategy *out, struct api_call *call, const char *name);
/* "FAST_FORWARD_MERGE", "SQUASH_MERGE", "THREE_WAY_MERGE". */
const char *cc_merge_option_name(enum cc_merge_strategy strategy);

/* What one side (base, destination, source) has at a conflicting path. */
struct cc_merge_side {
    bool present;
    git_object_t type; /* BLOB (file or symlink), TREE (folder), COMMIT (submodule) */
    git_filemode_t mode;
    git_oid id;
};

/* What `tree` (may be NULL: nothing) has at `path`. */
void cc_merge_side_at(struct cc_merge_side *out, git_tree *tree, const char *path);

struct cc_merge_conflict {
    char *path;
    struct cc_merge_side base, destination, source;
};

/*
 * The merge of two commits: the destination is "ours", the source
 * "theirs", the base their merge base (none for unrelated histories: the
 * empty tree). cc_merge_prepare() resolves the specifiers (errors as
 * cc_commit_resolve); cc_merge_compute() merges the trees into `index`
 * (paths merged cleanly at stage 0, conflicts as conflict entries) and
 * lists the conflicts, sorted by path:
 *   - FILE_LEVEL: every path the two sides changed differently;
 *   - LINE_LEVEL: what git's merge leaves: changes to the same lines,
 *     modify/delete, mode and type clashes, binary files changed on both
 *     sides;
 *   - ACCEPT_SOURCE / ACCEPT_DESTINATION: the conflicts (at the detail
 *     level) are resolved with that side's version (its absence deletes);
 *     none remain;
 *   - AUTOMERGE: as LINE_LEVEL, whatever the detail level.
 * Release with cc_merge_release() (which accepts a zeroed struct).
 */
struct cc_merge {
    git_commit *source;
    git_commit *destination;
    bool has_base;
    git_oid base;
    bool fast_forward; /* the destination is the source or an ancestor of it */
    bool up_to_date;   /* the source is the destination or an ancestor of it */
    git_index *index;  /* after cc_merge_compute() */
    struct cc_merge_conflict *conflicts;
    size_t conflict_count;
};

int cc_merge_prepare(struct cc_merge *out, struct api_call *call, git_repository *git,
                     const char *source, const char *source_member, const char *destination,
                     const char *destination_member);
int cc_merge_compute(struct cc_merge *m, struct api_call *call, git_repository *git,
                     enum cc_conflict_detail detail, enum cc_conflict_resolution resolution);
void cc_merge_release(struct cc_merge *m);

/* Resolves conflict `c` of `m` with one side's version (false: the
 * destination's) and drops it from the list. */
int cc_merge_accept(struct cc_merge *m, struct api_call *call, git_repository *git, size_t c,
                    bool source);

/* The conflict at `path`, or NULL. */
struct cc_merge_conflict *cc_merge_conflict_find(struct cc_merge *m, const char *path);

/*
 * GetMergeCommit's question: the commit of the destination's first-parent
 * history that brought the source in (the merge commit), when the source
 * was merged into the destination by a merge commit. *found_out is false
 * when the source is not merged, or is on the destination's first-parent
 * line itself (a fast-forward leaves no merge commit).
 */
int cc_merge_find_merged(git_oid *out, bool *found_out, struct api_call *call, git_repository *git,
                         const struct cc_merge *m);

#endif
