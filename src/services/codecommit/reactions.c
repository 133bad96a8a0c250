#include "base/common.h"
#include "services/codecommit/comments.h"

#include <strings.h>

#include "aws/arn.h"
#include "aws/pagination.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "services/common/record.h"

/*
 * Emoji reactions to comments: one per user per comment, kept in the
 * comment's record ("reactions": {userArn: shortCode}), so a reaction and
 * the comment it belongs to change together.
 */

#define REACTIONS_PAGE_MAX 1000

/* The reactions CodeCommit accepts (its user guide's emoji table). */
static const struct cc_reaction reactions[] = {
    {"\U0001F44D", ":thumbsup:", "U+1F44D"}, {"\U0001F44E", ":thumbsdown:", "U+1F44E"},
    {"\U0001F604", ":smile:", "U+1F604"},    {"\U0001F606", ":laughing:", "U+1F606"},
    {"\U0001F615", ":confused:", "U+1F615"}, {"\u2764", ":heart:", "U+2764"},
    {"\U0001F389", ":tada:", "U+1F389"},     {"\U0001F680", ":rocket:", "U+1F680"},
    {"\U0001F440", ":eyes:", "U+1F440"},     {"\U0001F620", ":angry:", "U+1F620"},
};

const struct cc_reaction *cc_reaction_find(const char *value)
{
    if (!value)
        return NULL;
    for (size_t i = 0; i < ARRAY_SIZE(reactions); i++) {
        const struct cc_reaction *r = &reactions[i];
        if (strcmp(value, r->emoji) == 0 || strcmp(value, r->short_code) == 0 ||
            strcasecmp(value, r->unicode) == 0)
            return r;
        /* The heart is often sent with its emoji presentation selector. */
        size_t len = strlen(r->emoji);
        if (strncmp(value, r->emoji, len) == 0 && strcmp(value + len, "\uFE0F") == 0)
            return r;
    }
    return NULL;
}

static json_t *reaction_json(const struct cc_reaction *r)
{
    return json_pack("{s:s, s:s, s:s}", "emoji", r->emoji, "shortCode", r->short_code, "unicode",
                     r->unicode);
}

int cc_put_comment_reaction(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_comment c;
    int rc = cc_comment_open(&c, call, cc_str(in, "commentId"));
    if (rc < 0)
        return rc;
    const char *value = cc_str(in, "reactionValue");
    const char *who = call->principal ? call->principal->arn : "";
    const struct cc_reaction *r = NULL;
    /* Blank or "none" takes the caller's reaction away. */
    bool removing = value && (!value[0] || strcasecmp(value, "none") == 0);
    if (!value) {
        rc = api_error(call, ERR_INVALID, "ReactionValueRequiredException",
                       "A reaction value is required.");
        goto done;
    }
    if (!removing && !(r = cc_reaction_find(value))) {
        rc = api_error(call, ERR_INVALID, "InvalidReactionValueException",
                       "The value of the reaction '%.64s' is not valid: use one of the emoji, "
                       "short codes (\":thumbsup:\") or Unicode values (\"U+1F44D\") CodeCommit "
                       "supports.",
                       value);
        goto done;
    }
    if (json_is_true(json_object_get(c.record, "deleted"))) {
        rc = api_error(call, ERR_INVALID, "CommentDeletedException",
                       "This comment has already been deleted. You cannot edit or delete a "
                       "deleted comment.");
        goto done;
    }
    json_t *map = json_object_get(c.record, "reactions");
    if (!json_is_object(map)) {
        map = json_object();
        json_object_set_new(c.record, "reactions", map);
    }
    const char *had = cc_str(map, who);
    if (removing ? !had : (had && strcmp(had, r->short_code) == 0)) {
        *out = NULL; /* nothing changes */
        goto done;
    }
    const char *event = had ? "reactionUpdated" : "reactionCreated";
    if (removing)
        json_object_del(map, who);
    else
        json_object_set_new(map, who, json_string(r->short_code));

    /* Only the creation and change of a reaction have events (AWS
     * documents none for taking one away). */
    json_t *extra = NULL;
    if (!removing) {
        struct buf body = BUF_INIT;
        buf_addf(&body,
                 "A reaction event occurred in the following AWS CodeCommit repository: %s. The "
                 "user: %s reacted with %s to comment %s.",
                 c.repo.loc.name, who, r->short_code, cc_str(c.record, "commentId") ?: "");
        extra =
            json_pack("{s:s, s:s, s:s, s:s}", "reactionEmoji", r->emoji, "reactionShortCode",
                      r->short_code, "reactionUnicode", r->unicode, "notificationBody", body.data);
        buf_release(&body);
    }
    rc = cc_comment_store(call, &c, "CodeCommit Comment Reaction Change", removing ? NULL : event,
                          extra);
    json_decref(extra);
    if (rc == 0)
        *out = NULL;
done:
    cc_comment_close(&c);
    return rc;
}

int cc_get_comment_reactions(struct api_call *call, json_t *in, json_t **out)
{
    struct cc_comment c;
    int rc = cc_comment_open(&c, call, cc_str(in, "commentId"));
    if (rc < 0)
        return rc;
    const char *user = cc_str(in, "reactionUserArn");
    char *after = NULL;
    json_int_t limit = REACTIONS_PAGE_MAX;
    json_t *v = json_object_get(in, "maxResults");
    if (v) {
        limit = json_integer_value(v);
        if (limit < 1 || limit > REACTIONS_PAGE_MAX) {
            rc = api_error(call, ERR_INVALID, "InvalidMaxResultsException",
                           "The specified number of maximum results (%lld) is not valid: it must "
                           "be between 1 and %d.",
                           (long long)limit, REACTIONS_PAGE_MAX);
            goto done;
        }
    }
    if (user) {
        struct arn parsed;
        if (arn_parse(&parsed, user) < 0 ||
            (strcmp(parsed.service, "iam") != 0 && strcmp(parsed.service, "sts") != 0)) {
            err_clear();
            rc = api_error(call, ERR_INVALID, "InvalidReactionUserArnException",
                           "The Amazon Resource Name (ARN) of the user or identity '%.256s' is "
                           "not valid.",
                           user);
            goto done;
        }
    }
    const char *token = cc_str(in, "nextToken");
    if (token && pagination_token_decode(&after, token) < 0) {
        rc = api_error(call, ERR_INVALID, "InvalidContinuationTokenException",
                       "The specified continuation token is not valid.");
        goto done;
    }
    if (json_is_true(json_object_get(c.record, "deleted"))) {
        rc = api_error(call, ERR_INVALID, "CommentDeletedException",
                       "This comment has already been deleted.");
        goto done;
    }

    /* One entry per reaction value, in the table's order; a page holds
     * whole entries, the token names the last one given. */
    json_t *map = json_object_get(c.record, "reactions");
    json_t *list = json_array();
    bool started = after == NULL, more = false;
    const char *last = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(reactions); i++) {
        const struct cc_reaction *r = &reactions[i];
        if (!started) {
            started = strcmp(after, r->short_code) == 0;
            continue;
        }
        json_t *users = json_array();
        const char *who;
        json_t *value;
        json_object_foreach(map, who, value)
        {
            if (strcmp(json_string_value(value) ?: "", r->short_code) != 0)
                continue;
            if (user && strcmp(user, who) != 0)
                continue;
            json_array_append_new(users, json_string(who));
        }
        if (json_array_size(users) == 0) {
            json_decref(users);
            continue;
        }
        if ((json_int_t)json_array_size(list) == limit) {
            json_decref(users);
            more = true;
            break;
        }
        json_array_append_new(list, json_pack("{s:o, s:o, s:i}", "reaction", reaction_json(r),
                                              "reactionUsers", users,
                                              "reactionsFromDeletedUsersCount", 0));
        last = r->short_code;
    }
    if (!started) {
        json_decref(list);
        rc = api_error(call, ERR_INVALID, "InvalidContinuationTokenException",
                       "The specified continuation token is not valid.");
        goto done;
    }
    *out = json_pack("{s:o}", "reactionsForComment", list);
    if (more && last) {
        struct buf next = BUF_INIT;
        pagination_token_encode(&next, last);
        json_object_set_new(*out, "nextToken", json_string(next.data));
        buf_release(&next);
    }
done:
    free(after);
    cc_comment_close(&c);
    return rc;
}
