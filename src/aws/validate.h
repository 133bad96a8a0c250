#ifndef SLIPWAY_AWS_VALIDATE_H
#define SLIPWAY_AWS_VALIDATE_H

#include <jansson.h>

#include "aws/model.h"
#include "base/buf.h"

/*
 * The constraint checks AWS runs on a request before the operation sees
 * it, driven by the input shape: required members, enum values, lengths of
 * strings (in code points), blobs (in bytes), lists and maps, numeric
 * ranges and "pattern" regular expressions (Java syntax, see
 * base/regex.h), with AWS's message text, for example
 *
 *   1 validation error detected: Value 'x!' at 'roleName' failed to satisfy
 *   constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+
 *
 * Paths are lower-camel member names joined by '.'; a list element of a
 * structure is "tags.1.member.key" (1-based) and a map value
 * "attrs.<key>.member". A list of simple values (or a map's keys or
 * values) that fails is reported once, at the list, with every constraint
 * of the element shape: "Member must satisfy constraint: [...]" ("Map keys
 * must ..." / "Map value must ..."). Values of sensitive shapes, or of
 * anything holding one, are never echoed ("Value at 'password' ..."). As
 * AWS does, at most VALIDATE_ERRORS_MAX errors are reported.
 *
 * The values are the decoded parameters described in aws/model.h; a value
 * of the wrong JSON type is the decoder's to refuse and is not checked
 * here. A pattern that does not compile (none of the compiled models have
 * one; test_regex checks) is not enforced.
 */

#define VALIDATE_ERRORS_MAX 10
#define VALIDATE_DEPTH_MAX  64 /* nesting of the decoded value */

/*
 * Checks `params` (an object; NULL counts as {}) against `input` (NULL for
 * an operation without input, which always passes). Returns 0 when the
 * request is valid. Otherwise returns ERR_INVALID and appends the message
 * to `message_out` (when not NULL) and sets it as the thread's error,
 * where err_msg() truncates it at 1023 bytes. The caller answers with its
 * protocol's code: ValidationError for the query protocols (IAM, STS,
 * SNS), ValidationException for the JSON ones.
 *
 * Compiled patterns are cached process-wide; any number of threads may
 * validate at once.
 */
int validate_params(struct buf *message_out, const struct model_shape *input, json_t *params);

/*
 * Whether all of `text` matches a model pattern, through the same cache.
 * Returns 0 and sets *matched_out, ERR_INVALID when the pattern does not
 * compile, or ERR_LIMIT as regex_match() does.
 */
int validate_pattern(bool *matched_out, const char *pattern, const char *text, size_t len);

/* Frees the pattern cache. Only when no thread is validating: tests, shutdown. */
void validate_cache_clear(void);

#endif
