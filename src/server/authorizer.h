#ifndef SLIPWAY_SERVER_AUTHORIZER_H
#define SLIPWAY_SERVER_AUTHORIZER_H

struct store;

/*
 * Authorization by IAM policy evaluation: every api_authorize() question
 * is answered from the caller's identity policies (a user's own and its
 * groups', a role's), its permissions boundary, the session's policies and
 * the resource's policy, through the evaluator in src/aws/policy.h.
 *
 * Compiled policy sets are cached per principal and dropped whenever IAM
 * reports a change (iam_identity_changed), so a detach takes effect on the
 * next call. Installs itself with api_set_authorizer().
 */
void authorizer_install(struct store *st);
/* Frees the caches; only when no request is in flight. */
void authorizer_shutdown(void);

#endif
