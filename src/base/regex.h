#ifndef SLIPWAY_BASE_REGEX_H
#define SLIPWAY_BASE_REGEX_H

#include "base/common.h"

/*
 * Regular expressions with the syntax and meaning of java.util.regex, the
 * dialect of the "pattern" constraints in AWS service models, and the
 * semantics of Java's String.matches(): the whole value must match.
 *
 * Supported: literals and escapes (\t \n \r \f \a \e \0oct \xhh \x{h..h}
 * \uhhhh incl. surrogate pairs, \cX, \Q..\E, escaped metacharacters),
 * predefined classes \d \D \s \S \w \W \h \H \v \V (ASCII, as Java without
 * UNICODE_CHARACTER_CLASS), character classes with ranges, negation, nested
 * classes (union) and && (intersection), \p{..} / \P{..} for Unicode general
 * categories (L, Lu, N, Nd, Z, ... with or without "Is") and the POSIX
 * names (Lower, Upper, ASCII, Alpha, Digit, Alnum, Punct, Graph, Print,
 * Blank, Cntrl, XDigit, Space; ASCII only, as in Java), `.`, anchors ^ $ \A
 * \z \Z \b \B, groups (capturing, (?:..), (?<name>..)), inline flags i s m
 * ((?i) and (?i:..)), alternation, greedy and lazy quantifiers, lookahead
 * and lookbehind, and backreferences \n / \k<name> to groups of at most
 * REGEX_BACKREF_LEN_MAX characters.
 * Not supported (compile fails with ERR_INVALID): possessive quantifiers,
 * atomic groups, flags d u x U, \G \R \X \N{..}, scripts and blocks in \p.
 *
 * Matching works on UTF-8 by code point (a malformed byte reads as U+FFFD,
 * as Java's decoder would give) and never backtracks: a Pike VM simulation
 * whose cost is O(text length x program size), lookarounds included. Every
 * size a pattern controls is bounded, so a pattern from a model or from a
 * fuzzer cannot make compilation or matching run away.
 *
 * A compiled regex is immutable: one may be shared by any number of threads.
 */

#define REGEX_PATTERN_MAX     8192   /* bytes of pattern text */
#define REGEX_PROGRAM_MAX     262144 /* instructions after expanding {n,m} */
#define REGEX_NESTING_MAX     64     /* depth of groups and classes */
#define REGEX_BACKREF_LEN_MAX 64     /* longest match of a backreferenced group */
#define REGEX_BACKREF_GROUPS  4      /* distinct groups that backreferences name */

struct regex;

/*
 * Compiles `len` bytes of `pattern`. Returns 0 and a regex owned by the
 * caller (free with regex_free), ERR_INVALID for bad or unsupported syntax,
 * or ERR_LIMIT when the pattern passes one of the limits above; the message
 * gives the offset in the pattern where the problem is.
 */
int regex_compile(struct regex **out, const char *pattern, size_t len);

/*
 * Whether the whole of `text` matches. Returns 0 and sets *matched_out, or
 * ERR_LIMIT when a pattern with backreferences would need more than a
 * bounded number of live states for this text (then nothing is written).
 */
int regex_match(bool *matched_out, const struct regex *re, const char *text, size_t len);

/* regex_match() for callers that treat "could not decide" as no match. */
bool regex_matches(const struct regex *re, const char *text, size_t len);

void regex_free(struct regex *re);

#endif
