#ifndef SLIPWAY_AWS_PRINCIPAL_H
#define SLIPWAY_AWS_PRINCIPAL_H

#include "base/common.h"

/*
 * Who is calling: resolved from the request's access key (a user's
 * long-term key or a session's temporary key) before any handler runs.
 */
enum principal_type {
    PRINCIPAL_USER,
    PRINCIPAL_ASSUMED_ROLE,
    PRINCIPAL_ROOT,
};

#define ACCOUNT_ID_LEN    12
#define PRINCIPAL_ARN_MAX 1024
#define PRINCIPAL_ID_MAX  256

struct principal {
    enum principal_type type;
    char account_id[ACCOUNT_ID_LEN + 1];
    /* arn:aws:iam::ACCOUNT:user/PATH/NAME or
     * arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION */
    char arn[PRINCIPAL_ARN_MAX];
    /* AIDA... for users, AROA...:SESSION for assumed roles */
    char user_id[PRINCIPAL_ID_MAX];
    char access_key_id[32];
    /* The user or role name. */
    char name[128];
    /* Assumed roles: the role's ARN, with its path. */
    char role_arn[PRINCIPAL_ARN_MAX];
    /* A user's GetSessionToken credentials, which AWS keeps away from the
     * IAM API and from most of STS. */
    bool session_token_user;
    /* Set while policy evaluation knows only one rule: principals with
     * AdministratorAccess attached may do anything. */
    bool admin;
};

#endif
