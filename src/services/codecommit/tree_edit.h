#ifndef SLIPWAY_SERVICES_CODECOMMIT_TREE_EDIT_H
#define SLIPWAY_SERVICES_CODECOMMIT_TREE_EDIT_H

#include "services/codecommit/codecommit_internal.h"

/*
 * Editing trees the way CodeCommit's file operations do (PutFile,
 * DeleteFile, CreateCommit, and merge conflict resolution): a list of
 * edits applied to a base tree gives a new tree, written to the object
 * database; nothing moves a ref here.
 */

/* Releases a struct cc_repo at the end of its scope. */
#define _cleanup_cc_repo_ __attribute__((cleanup(cc_repo_close)))

/* Paths in file operations: at most this many bytes. */
#define CC_PATH_MAX 4096

/*
 * Checks a file or folder path given in member `member` ("filePath"):
 *   - NULL or empty: PathRequiredException;
 *   - absolute ("/x"), with an empty component ("a//b"), a trailing slash,
 *     a "." or ".." component, a ".git" component (any case, or a
 *     spelling NTFS reads as ".git": ".git.", "git~1", ".git:x"), a NUL
 *     or control byte, or longer than CC_PATH_MAX: InvalidPathException.
 * Returns 0 or the error (set with api_error()).
 */
int cc_path_check(struct api_call *call, const char *path, const char *member);

/*
 * A path as the read operations take it (GetFile, GetFolder, GetDifferences'
 * filters): leading slashes dropped, and trailing ones too when
 * `trailing_slashes`, then copied into `out` (of `size` bytes) and checked
 * with cc_path_check() unless nothing is left, when `out` is "" (the root).
 * A path too long for `out` is refused before it is copied, so it is never
 * cut to a shorter one that names something else.
 */
int cc_path_read(char *out, size_t size, struct api_call *call, const char *path,
                 const char *member, bool trailing_slashes);

/*
 * File modes as the API spells them: "EXECUTABLE", "NORMAL", "SYMLINK".
 * cc_file_mode_parse() returns 0 and the git mode, or -1 when `name` is
 * none of them; cc_file_mode_name() returns NULL for modes that are not a
 * file's (trees, submodules).
 */
int cc_file_mode_parse(git_filemode_t *out, const char *name);
const char *cc_file_mode_name(git_filemode_t mode);

enum cc_edit_kind {
    CC_EDIT_PUT_CONTENT, /* path := `content` */
    CC_EDIT_PUT_BLOB,    /* path := existing blob `blob` */
    CC_EDIT_PUT_SOURCE,  /* path := the file at `source_path` in the base tree;
                            `move` also deletes the source */
    CC_EDIT_DELETE,      /* remove the file at path */
    CC_EDIT_SET_MODE,    /* change the mode of the file at path */
};

enum cc_edit_result {
    CC_EDIT_ADDED,
    CC_EDIT_UPDATED,   /* content or mode changed */
    CC_EDIT_UNCHANGED, /* same content and mode as before */
    CC_EDIT_DELETED,
};

struct cc_tree_edit {
    /* In: */
    enum cc_edit_kind kind;
    const char *path;
    const void *content; /* PUT_CONTENT; may be NULL when content_len is 0 */
    size_t content_len;
    git_oid blob;            /* PUT_BLOB */
    const char *source_path; /* PUT_SOURCE */
    bool move;               /* PUT_SOURCE */
    /* PUT_*: the file's mode, 0 meaning "the mode it has now, else NORMAL"
     * (for PUT_SOURCE: the source's mode); SET_MODE: the new mode. */
    git_filemode_t mode;
    /* Input member names for messages, NULL for the defaults ("filePath",
     * "sourceFile.filePath"). */
    const char *member;

    /* Out, when cc_tree_edit_apply() succeeds: */
    enum cc_edit_result result;
    git_oid result_blob;        /* the file's blob (for DELETE: the removed one) */
    git_filemode_t result_mode; /* the file's mode after (DELETE: before) */
};

struct cc_tree_edit_options {
    /* When a deletion empties a folder: keep it (as CodeCommit does, with
     * an empty ".gitkeep" file in it, since git cannot hold an empty
     * folder) instead of removing it and every parent it empties. */
    bool keep_empty_folders;
    /* Limits; 0 means CodeCommit's defaults (CC_FILE_CONTENT_MAX per file,
     * CC_COMMIT_CONTENT_MAX for the content of all edits together). */
    size_t file_content_max;
    size_t total_content_max;
};

#define CC_COMMIT_CONTENT_MAX (7 * 1024 * 1024) /* CreateCommit's combined content */

/*
 * Applies `edits` to `base` (NULL: the empty tree) in `git` and writes the
 * resulting tree: *tree_out is its id, and each edit's out members are
 * set. Checks, each answered with CodeCommit's exception (api_error()):
 *   - every path (cc_path_check): PathRequiredException,
 *     InvalidPathException;
 *   - two edits on one path, or a move whose source another edit names:
 *     SamePathRequestException;
 *   - two puts where one path is a folder of the other:
 *     PutFileEntryConflictException;
 *   - a content over the per-file limit: FileContentSizeLimitExceededException;
 *     contents together over the total: FileContentSizeLimitExceededException;
 *     one folder receiving more than CC_FILE_CONTENT_MAX:
 *     FolderContentSizeLimitExceededException;
 *   - a put onto an existing folder: FileNameConflictsWithDirectoryNameException;
 *     a path through an existing file: DirectoryNameConflictsWithFileNameException;
 *     a path onto or through a submodule: FilePathConflictsWithSubmodulePathException;
 *   - DELETE / SET_MODE / PUT_SOURCE naming no file of the base:
 *     FileDoesNotExistException; a source named ".gitkeep":
 *     RestrictedSourceFileException;
 *   - SET_MODE with mode 0 or a non-file mode: InvalidFileModeException.
 * A result tree equal to the base is not an error here: the caller decides
 * (SameFileContentException for PutFile, NoChangeException for
 * CreateCommit); see cc_tree_edit_changed().
 * Blobs are written before the tree; on failure nothing references them.
 */
int cc_tree_edit_apply(git_oid *tree_out, struct api_call *call, git_repository *git,
                       const git_tree *base, struct cc_tree_edit *edits, size_t count,
                       const struct cc_tree_edit_options *options);

/* True when some edit changed something (result other than UNCHANGED). */
bool cc_tree_edit_changed(const struct cc_tree_edit *edits, size_t count);

/* ---- writing commits (PutFile, DeleteFile, CreateCommit) ------------------ */

/*
 * Checks the optional author inputs: a name over 1024 bytes
 * (NameLengthExceededException), an email that is not one
 * (InvalidEmailException), a message over CC_COMMIT_MESSAGE_MAX
 * (CommitMessageLengthExceededException).
 */
int cc_commit_inputs_check(struct api_call *call, const char *name, const char *email,
                           const char *message);

/*
 * Writes a commit of `tree` with `parents` (parent_count 0..2), author and
 * committer `name` (NULL or empty: the caller's ARN, as AWS does) and
 * `email` (NULL: blank), dated the call's now_ms (UTC), message `message`
 * (NULL: ""; callers give their operation's default). Does not move any
 * ref.
 */
int cc_commit_write(git_oid *out, struct api_call *call, git_repository *git, const git_oid *tree,
                    const git_commit *const *parents, size_t parent_count, const char *name,
                    const char *email, const char *message);

/* An API text for bytes from git (names, messages): invalid UTF-8 bytes
 * become U+FFFD. */
json_t *cc_text_json(const char *text);

/* True when the call's operation declares error `code`. */
bool cc_op_lists_error(const struct api_call *call, const char *code);

#endif
