#ifndef SLIPWAY_AWS_POLICY_INTERNAL_H
#define SLIPWAY_AWS_POLICY_INTERNAL_H

/*
 * The compiled form of a policy, shared by the compiler (policy.c), the
 * value parsers and matchers (policy_match.c) and the evaluator
 * (policy_eval.c). Not for use outside those files.
 */

#include "aws/policy.h"

/* ---- arena: every compiled policy lives in one ---------------------------------- */

struct pol_arena_block;
struct pol_arena {
    struct pol_arena_block *head;
};

void *pol_arena_alloc(struct pol_arena *arena, size_t size);
char *pol_arena_strndup(struct pol_arena *arena, const char *s, size_t len);
void pol_arena_release(struct pol_arena *arena);

/* ---- wildcard patterns ------------------------------------------------------------ */

enum pol_pat_kind {
    PAT_ANY,    /* "*": anything */
    PAT_EXACT,  /* no wildcard: `s` is the literal text */
    PAT_PREFIX, /* literal text then one trailing '*': `s` is the literal part */
    PAT_WILD,   /* general: `s` is in matcher form (see pol_wild_match) */
};

struct pol_pat {
    const char *s;
    uint32_t len;
    uint8_t kind;
};

/*
 * Matches `text` against a pattern in matcher form: '*' any run, '?' any
 * one byte, '\' makes the next byte literal (the form policy variables
 * expand into, so a value holding '*' stays literal).
 */
bool pol_wild_match(const char *pat, size_t pat_len, const char *text, size_t text_len);
bool pol_pat_match(const struct pol_pat *pat, const char *text, size_t len);
/* Classifies policy text (where '*' and '?' are wildcards) into a pattern. */
void pol_pat_compile(struct pol_pat *out, struct pol_arena *arena, const char *text, size_t len);
/* Appends `text` in matcher form, every byte literal. */
void pol_pat_escape(struct buf *out, const char *text, size_t len);

/* ---- condition keys and policy variables ---------------------------------------- */

/* Keys the evaluator can answer from the request when the context lacks them. */
enum pol_derived_key {
    DK_NONE,
    DK_USERNAME,
    DK_USERID,
    DK_PRINCIPAL_ARN,
    DK_PRINCIPAL_ACCOUNT,
    DK_PRINCIPAL_TYPE,
    DK_PRINCIPAL_SERVICE_NAME,
    DK_PRINCIPAL_IS_AWS_SERVICE,
    DK_CURRENT_TIME,
    DK_EPOCH_TIME,
    DK_RESOURCE_ACCOUNT,
};

struct pol_key {
    const char *name; /* as written in the policy */
    uint32_t len;
    uint32_t hash; /* pol_key_hash() of the name */
    uint8_t derived;
};

/* FNV-1a over the ASCII-lower-cased bytes: keys compare case-insensitively. */
uint32_t pol_key_hash(const char *s, size_t len);
void pol_key_init(struct pol_key *key, const char *name, size_t len);

/* One piece of a string with variables: literal text, or a variable. */
struct pol_seg {
    const char *text; /* literal: in the template's form; variable: default value */
    uint32_t len;
    bool is_var;
    bool has_default;
    struct pol_key key; /* variables only */
};

/*
 * A string with ${...} variables. In pattern form (Resource, StringLike,
 * ArnLike) literal segments are in matcher form and values are escaped on
 * expansion; in plain form (StringEquals, Bool) everything is literal.
 */
struct pol_tmpl {
    struct pol_seg *segs;
    uint32_t count;
    bool pattern;
};

/* ---- ARN patterns ----------------------------------------------------------------- */

#define ARN_FIELDS 6

/* An ARN pattern split at its first five colons; missing fields are "*". */
struct pol_arn {
    struct pol_pat field[ARN_FIELDS];
    struct pol_pat whole; /* for values that are not six-field ARNs */
};

/* Splits `text` into up to six fields (the last holds the rest); returns
 * the number of fields found. */
int pol_arn_split(const char *text, size_t len, const char *field[ARN_FIELDS],
                  size_t field_len[ARN_FIELDS]);
void pol_arn_compile(struct pol_arn *out, struct pol_arena *arena, const char *text, size_t len);
/* Matches a pattern given in matcher form (an expanded template). */
bool pol_arn_match_expanded(const char *pat, size_t pat_len, const char *const field[ARN_FIELDS],
                            const size_t field_len[ARN_FIELDS], int nfields, const char *text,
                            size_t len);
bool pol_arn_match(const struct pol_arn *pat, const char *const field[ARN_FIELDS],
                   const size_t field_len[ARN_FIELDS], int nfields, const char *text, size_t len);

/* ---- typed condition values ------------------------------------------------------- */

struct pol_time {
    int64_t sec;
    int32_t nsec;
};

struct pol_ipnet {
    uint8_t family; /* 4 or 6 */
    uint8_t prefix;
    uint8_t addr[16];
};

/* Parsers for policy and request values; 0 or -1. */
int pol_parse_number(double *out, const char *s, size_t len);
int pol_parse_date(struct pol_time *out, const char *s, size_t len);
int pol_parse_bool(bool *out, const char *s, size_t len);
int pol_parse_cidr(struct pol_ipnet *out, const char *s, size_t len);
int pol_parse_ip(struct pol_ipnet *out, const char *s, size_t len);
bool pol_ipnet_contains(const struct pol_ipnet *net, const struct pol_ipnet *ip);
int pol_time_compare(const struct pol_time *a, const struct pol_time *b);

/* ---- conditions ------------------------------------------------------------------- */

enum pol_cond_type {
    CT_STRING_EQUALS,
    CT_STRING_EQUALS_IGNORE_CASE,
    CT_STRING_LIKE,
    CT_NUMERIC_EQUALS,
    CT_NUMERIC_LESS_THAN,
    CT_NUMERIC_LESS_THAN_EQUALS,
    CT_NUMERIC_GREATER_THAN,
    CT_NUMERIC_GREATER_THAN_EQUALS,
    CT_DATE_EQUALS,
    CT_DATE_LESS_THAN,
    CT_DATE_LESS_THAN_EQUALS,
    CT_DATE_GREATER_THAN,
    CT_DATE_GREATER_THAN_EQUALS,
    CT_BOOL,
    CT_BINARY_EQUALS,
    CT_IP_ADDRESS,
    CT_ARN_LIKE,
    CT_NULL,
};

enum pol_set_op { SET_NONE, SET_ANY, SET_ALL };

struct pol_cval {
    bool valid;            /* false: a value that never matches (an unparsable number ...) */
    struct pol_tmpl *tmpl; /* set when the value holds variables */
    union {
        struct pol_pat str; /* String*: EXACT text for the equals forms */
        double num;
        struct pol_time date;
        bool boolean;
        struct pol_ipnet ip;
        struct {
            const uint8_t *data;
            uint32_t len;
        } bin;
        struct pol_arn arn;
    } u;
};

struct pol_cond {
    uint8_t type; /* enum pol_cond_type */
    uint8_t set;  /* enum pol_set_op */
    bool negated;
    bool if_exists;
    struct pol_key key;
    struct pol_cval *values;
    uint32_t value_count;
};

/* ---- statements ------------------------------------------------------------------- */

struct pol_action {
    bool all; /* "*" */
    struct pol_pat service;
    struct pol_pat name;
};

struct pol_resource {
    bool any; /* "*" */
    struct pol_arn arn;
    struct pol_tmpl *tmpl; /* variables in the resource part */
};

enum pol_principal_type {
    PP_ANY,       /* "*" or {"AWS": "*"} */
    PP_ACCOUNT,   /* account id or arn:...:iam::ACCT:root: `text` is the id */
    PP_ARN,       /* user, role, assumed-role or federated-user ARN */
    PP_UNIQUE_ID, /* AIDA... / AROA... */
    PP_SERVICE,
    PP_FEDERATED,
    PP_CANONICAL_USER,
};

struct pol_principal {
    uint8_t type;
    const char *text;
    uint32_t len;
};

struct pol_stmt {
    const char *sid; /* "" when none */
    bool deny;
    bool not_action;
    bool not_resource;
    bool not_principal;
    bool has_resource;  /* trust statements have none: they apply to the role */
    bool has_principal; /* resource and trust statements */
    /* One bit per service an Action names (hash of the lower-cased service);
     * all bits when a service is a wildcard or the statement uses NotAction,
     * so most statements are skipped without matching a pattern. */
    uint64_t service_mask;
    struct pol_action *actions;
    uint32_t action_count;
    struct pol_resource *resources;
    uint32_t resource_count;
    struct pol_principal *principals;
    uint32_t principal_count;
    struct pol_cond *conds;
    uint32_t cond_count;
};

struct policy {
    enum policy_kind kind;
    bool variables; /* Version 2012-10-17: ${...} are variables */
    struct pol_stmt *stmts;
    uint32_t stmt_count;
    struct pol_arena arena;
};

uint64_t pol_service_bit(const char *service, size_t len);

#endif
