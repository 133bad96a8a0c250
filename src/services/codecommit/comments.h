#ifndef SLIPWAY_SERVICES_CODECOMMIT_COMMENTS_H
#define SLIPWAY_SERVICES_CODECOMMIT_COMMENTS_H

#include "services/codecommit/codecommit_internal.h"
#include "store/store.h"

/*
 * Comments (on compared commits and on pull requests), their reactions,
 * and repository triggers. Records, scope "ACCOUNT/REGION":
 *
 *   CC_KIND_COMMENT        "<repositoryId>/<commentId>": the comment as
 *                          stored: "commentId", "repositoryId", "content"
 *                          (absent once deleted), "inReplyTo",
 *                          "creationDate", "lastModifiedDate" (ms),
 *                          "authorArn", "deleted", "clientRequestToken",
 *                          "beforeCommitId", "afterCommitId",
 *                          "beforeBlobId", "afterBlobId", "location",
 *                          "pullRequestId", "reactions" {callerArn:
 *                          shortCode}, "seq" (the outbox sequence number
 *                          of its creation event: the comments' order).
 *   CC_KIND_COMMENT_ID     "<commentId>": {"repositoryId"}, to find a
 *                          comment by its id alone.
 *   CC_KIND_COMMENT_TOKEN  "<repositoryId>/<clientRequestToken>":
 *                          {"commentId", "request"}, the request that
 *                          first used the token (idempotency).
 *   CC_KIND_TRIGGERS       "<repositoryId>": {"configurationId",
 *                          "triggers": [RepositoryTrigger...]}.
 */
#define CC_KIND_COMMENT       "codecommit.comment"
#define CC_KIND_COMMENT_ID    "codecommit.comment_id"
#define CC_KIND_COMMENT_TOKEN "codecommit.comment_token"
#define CC_KIND_TRIGGERS      "codecommit.triggers"

/* Comments are limited to 10,240 characters (code points). */
#define CC_COMMENT_CONTENT_MAX 10240

/* A comment found by id, its repository checked, authorized and open. */
struct cc_comment {
    struct cc_repo repo;
    json_t *record;
    int64_t version;
    char name[CODECOMMIT_ID_LEN * 2 + 2]; /* "<repositoryId>/<commentId>" */
};

/*
 * Finds comment `comment_id` for the call's operation: CommentIdRequired-
 * Exception, InvalidCommentIdException (not a UUID), CommentDoesNotExist-
 * Exception, then authorization on the comment's repository. Release with
 * cc_comment_close() (which accepts a zeroed one).
 */
int cc_comment_open(struct cc_comment *out, struct api_call *call, const char *comment_id);
void cc_comment_close(struct cc_comment *c);

/* The API's Comment shape for a stored comment, as the caller sees it
 * (callerReactions). */
json_t *cc_comment_json(const struct api_call *call, const json_t *record);

/*
 * Appends an aws.codecommit event about comment `record` of `repo` to the
 * outbox in `tx`: `detail_type` "CodeCommit Comment on Commit" ...,
 * `event` "commentOnCommitCreated" ...; `extra` (may be NULL, borrowed)
 * adds members to the detail. `seq_out` (may be NULL) gets the event's
 * outbox sequence number.
 */
int cc_comment_event_append(int64_t *seq_out, struct api_call *call, struct store_tx *tx,
                            const struct codecommit_repo *repo, const json_t *record,
                            const char *detail_type, const char *event, const json_t *extra);

/*
 * Writes changed comment c->record back, over the version cc_comment_open()
 * read (CommentDoesNotExistException when another request changed or
 * deleted it meanwhile), with event `event` of `detail_type` (none when
 * `event` is NULL; `extra` as for cc_comment_event_append()), in one
 * transaction.
 */
int cc_comment_store(struct api_call *call, struct cc_comment *c, const char *detail_type,
                     const char *event, const json_t *extra);

/* A reaction CodeCommit supports. */
struct cc_reaction {
    const char *emoji;      /* UTF-8 */
    const char *short_code; /* ":thumbsup:" */
    const char *unicode;    /* "U+1F44D" */
};

/* The reaction that `value` names by emoji, short code or Unicode value;
 * NULL when it is none of the supported ones. */
const struct cc_reaction *cc_reaction_find(const char *value);

/* Removes the comments, reactions, tokens and triggers of a deleted
 * repository, inside the deleting transaction. */
int cc_comments_forget_repository(struct store *st, struct store_tx *tx,
                                  const struct api_call *call, const char *repository_id);
int cc_triggers_forget_repository(struct store *st, struct store_tx *tx,
                                  const struct api_call *call, const char *repository_id);

#endif
