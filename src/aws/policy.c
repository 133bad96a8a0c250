/*
 * Policy documents: validation in IAM's order and words, then compilation
 * into the form policy_eval.c evaluates (see policy_internal.h).
 *
 * IAM reports only the first problem it finds, in a fixed order of passes:
 * the JSON grammar ("Syntax errors in policy."), the Version, the legacy
 * parser (exact Effect spelling, dates, ARN shapes), principals, Sids,
 * then the presence and form of actions and resources. The passes below
 * follow that order so a document with several problems gets the message
 * IAM would give.
 *
 * The messages are IAM's MalformedPolicyDocument texts, copied exactly
 * (capitals and final periods included) because clients and people
 * compare them with what AWS answers.
 */
#include "base/common.h"

#include <jansson.h>

#include "aws/policy_internal.h"
#include "base/alloc.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/jsonw.h"

#define MSG_SYNTAX         "Syntax errors in policy."
#define MSG_VERSION        "Policy document must be version 2012-10-17 or greater."
#define MSG_LEGACY         "The policy failed legacy parsing"
#define MSG_NO_PRINCIPAL   "Policy document should not specify a principal."
#define MSG_NEED_PRINCIPAL "Missing required field Principal"
#define MSG_TRUST_PRINCIPAL                                                                        \
    "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in "   \
    "policy has a statement with no principals!"
#define MSG_SID_UNIQUE "Statement IDs (SID) in a single policy must be unique."
#define MSG_SID_ALNUM                                                                              \
    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "      \
    "expression [0-9A-Za-z]*"
#define MSG_NO_ACTIONS      "Policy statement must contain actions."
#define MSG_NO_RESOURCES    "Policy statement must contain resources."
#define MSG_VENDOR          "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
#define MSG_ONE_COLON       "Actions/Condition can contain only one colon."
#define MSG_RESOURCE_VENDOR "Resource vendor must be fully qualified and cannot contain regexes."
#define MSG_IAM_PATH                                                                               \
    "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, " \
    "instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, "            \
    "oidc-provider/, report/, access-report/."
#define MSG_TRUST_ACTION "AssumeRole policy may only specify STS AssumeRole actions."

/* ---- size ------------------------------------------------------------------------- */

size_t policy_size(const char *document, size_t len)
{
    size_t size = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)document[i];
        if ((c & 0xc0) == 0x80)
            continue; /* a UTF-8 continuation byte: the character was counted */
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            continue;
        }
        size++;
    }
    return size;
}

/* ---- the document as JSON --------------------------------------------------------- */

struct checker {
    const struct policy_options *opts;
    json_t *root;
    json_t **stmts;
    size_t stmt_count;
    bool variables;
    bool compiling; /* validated already: principals are not looked up again */
    struct buf msg; /* a formatted message */
};

static bool is_string_or_strings(json_t *v)
{
    if (json_is_string(v))
        return true;
    if (!json_is_array(v))
        return false;
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item))
            return false;
    }
    return true;
}

/* The strings of an element that is a string or an array of strings. */
static size_t element_count(json_t *v)
{
    return json_is_string(v) ? 1 : json_array_size(v);
}

static const char *element_at(json_t *v, size_t i, size_t *len)
{
    json_t *s = json_is_string(v) ? v : json_array_get(v, i);
    *len = json_string_length(s);
    return json_string_value(s);
}

static bool key_in(const char *key, const char *const *names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(key, names[i]) == 0)
            return true;
    return false;
}

/* ---- condition operators ---------------------------------------------------------- */

static const struct {
    const char *name;
    uint8_t type;
    bool negated;
} cond_ops[] = {
    {"StringEquals", CT_STRING_EQUALS, false},
    {"StringNotEquals", CT_STRING_EQUALS, true},
    {"StringEqualsIgnoreCase", CT_STRING_EQUALS_IGNORE_CASE, false},
    {"StringNotEqualsIgnoreCase", CT_STRING_EQUALS_IGNORE_CASE, true},
    {"StringLike", CT_STRING_LIKE, false},
    {"StringNotLike", CT_STRING_LIKE, true},
    {"NumericEquals", CT_NUMERIC_EQUALS, false},
    {"NumericNotEquals", CT_NUMERIC_EQUALS, true},
    {"NumericLessThan", CT_NUMERIC_LESS_THAN, false},
    {"NumericLessThanEquals", CT_NUMERIC_LESS_THAN_EQUALS, false},
    {"NumericGreaterThan", CT_NUMERIC_GREATER_THAN, false},
    {"NumericGreaterThanEquals", CT_NUMERIC_GREATER_THAN_EQUALS, false},
    {"DateEquals", CT_DATE_EQUALS, false},
    {"DateNotEquals", CT_DATE_EQUALS, true},
    {"DateLessThan", CT_DATE_LESS_THAN, false},
    {"DateLessThanEquals", CT_DATE_LESS_THAN_EQUALS, false},
    {"DateGreaterThan", CT_DATE_GREATER_THAN, false},
    {"DateGreaterThanEquals", CT_DATE_GREATER_THAN_EQUALS, false},
    {"Bool", CT_BOOL, false},
    {"BinaryEquals", CT_BINARY_EQUALS, false},
    {"IpAddress", CT_IP_ADDRESS, false},
    {"NotIpAddress", CT_IP_ADDRESS, true},
    {"ArnEquals", CT_ARN_LIKE, false},
    {"ArnLike", CT_ARN_LIKE, false},
    {"ArnNotEquals", CT_ARN_LIKE, true},
    {"ArnNotLike", CT_ARN_LIKE, true},
    {"Null", CT_NULL, false},
};

struct cond_op {
    uint8_t type;
    uint8_t set;
    bool negated;
    bool if_exists;
};

/* "ForAnyValue:StringLikeIfExists" -> its parts; false for an unknown name. */
static bool cond_op_parse(struct cond_op *out, const char *name)
{
    struct cond_op op = {.set = SET_NONE};
    size_t len = strlen(name);
    if (strncmp(name, "ForAnyValue:", 12) == 0) {
        op.set = SET_ANY;
        name += 12;
        len -= 12;
    } else if (strncmp(name, "ForAllValues:", 13) == 0) {
        op.set = SET_ALL;
        name += 13;
        len -= 13;
    }
    if (len > 8 && memcmp(name + len - 8, "IfExists", 8) == 0) {
        op.if_exists = true;
        len -= 8;
    }
    for (size_t i = 0; i < ARRAY_SIZE(cond_ops); i++) {
        if (strlen(cond_ops[i].name) == len && memcmp(cond_ops[i].name, name, len) == 0) {
            /* Null tests presence itself: IfExists makes no sense on it */
            if (cond_ops[i].type == CT_NULL && op.if_exists)
                return false;
            op.type = cond_ops[i].type;
            op.negated = cond_ops[i].negated;
            *out = op;
            return true;
        }
    }
    return false;
}

static bool is_date_type(uint8_t type)
{
    return type >= CT_DATE_EQUALS && type <= CT_DATE_GREATER_THAN_EQUALS;
}

/* Condition values: strings, and numbers and booleans, whose quotes the
 * grammar makes optional. */
static bool is_condition_scalar(json_t *v)
{
    return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

static bool is_condition_values(json_t *v)
{
    if (is_condition_scalar(v))
        return true;
    if (!json_is_array(v))
        return false;
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        if (!is_condition_scalar(item))
            return false;
    }
    return true;
}

/* A condition value as text, into `tmp` for numbers and booleans. */
static const char *condition_value_text(json_t *v, char tmp[DOUBLE_TEXT_MAX], size_t *len)
{
    if (json_is_string(v)) {
        *len = json_string_length(v);
        return json_string_value(v);
    }
    if (json_is_boolean(v)) {
        const char *s = json_is_true(v) ? "true" : "false";
        *len = strlen(s);
        return s;
    }
    if (json_is_integer(v))
        snprintf(tmp, DOUBLE_TEXT_MAX, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else
        double_shortest(tmp, json_real_value(v));
    *len = strlen(tmp);
    return tmp;
}

/* ---- pass 1: grammar -------------------------------------------------------------- */

static bool principal_syntax_ok(json_t *p)
{
    static const char *const types[] = {"AWS", "Service", "Federated", "CanonicalUser"};
    if (json_is_string(p))
        return strcmp(json_string_value(p), "*") == 0;
    if (!json_is_object(p))
        return false;
    const char *key;
    json_t *value;
    json_object_foreach(p, key, value)
    {
        if (!key_in(key, types, ARRAY_SIZE(types)) || !is_string_or_strings(value))
            return false;
    }
    return true;
}

static bool condition_syntax_ok(json_t *cond)
{
    if (!json_is_object(cond))
        return false;
    const char *op_name;
    json_t *body;
    json_object_foreach(cond, op_name, body)
    {
        if (!json_is_object(body))
            return false;
        const char *key;
        json_t *values;
        json_object_foreach(body, key, values)
        {
            if (!is_condition_values(values))
                return false;
        }
        /* IAM ignores an unknown operator only when it tests nothing */
        struct cond_op op;
        if (!cond_op_parse(&op, op_name) && json_object_size(body) > 0)
            return false;
    }
    return true;
}

static bool statement_syntax_ok(json_t *st)
{
    static const char *const fields[] = {"Sid",          "Effect",      "Principal",
                                         "NotPrincipal", "Action",      "NotAction",
                                         "Resource",     "NotResource", "Condition"};
    if (!json_is_object(st))
        return false;
    const char *key;
    json_t *value;
    json_object_foreach(st, key, value)
    {
        if (!key_in(key, fields, ARRAY_SIZE(fields)))
            return false;
    }
    json_t *effect = json_object_get(st, "Effect");
    if (!json_is_string(effect) || (strcasecmp(json_string_value(effect), "Allow") != 0 &&
                                    strcasecmp(json_string_value(effect), "Deny") != 0))
        return false;
    static const char *const pairs[][2] = {
        {"Action", "NotAction"}, {"Resource", "NotResource"}, {"Principal", "NotPrincipal"}};
    for (size_t i = 0; i < ARRAY_SIZE(pairs); i++)
        if (json_object_get(st, pairs[i][0]) && json_object_get(st, pairs[i][1]))
            return false;
    static const char *const lists[] = {"Action", "NotAction", "Resource", "NotResource"};
    for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
        json_t *v = json_object_get(st, lists[i]);
        if (v && !is_string_or_strings(v))
            return false;
    }
    json_t *sid = json_object_get(st, "Sid");
    if (sid && !json_is_string(sid))
        return false;
    static const char *const principals[] = {"Principal", "NotPrincipal"};
    for (size_t i = 0; i < ARRAY_SIZE(principals); i++) {
        json_t *v = json_object_get(st, principals[i]);
        if (v && !principal_syntax_ok(v))
            return false;
    }
    json_t *cond = json_object_get(st, "Condition");
    return !cond || condition_syntax_ok(cond);
}

static bool grammar_ok(struct checker *c)
{
    static const char *const top[] = {"Version", "Id", "Statement"};
    const char *key;
    json_t *value;
    json_object_foreach(c->root, key, value)
    {
        if (!key_in(key, top, ARRAY_SIZE(top)))
            return false;
    }
    json_t *version = json_object_get(c->root, "Version");
    if (version) {
        if (!json_is_string(version))
            return false;
        if (strcmp(json_string_value(version), "2012-10-17") == 0)
            c->variables = true;
        else if (strcmp(json_string_value(version), "2008-10-17") != 0)
            return false;
    }
    json_t *id = json_object_get(c->root, "Id");
    if (id && !json_is_string(id))
        return false;
    json_t *statement = json_object_get(c->root, "Statement");
    if (json_is_object(statement)) {
        c->stmts = xmalloc(sizeof(*c->stmts));
        c->stmts[0] = statement;
        c->stmt_count = 1;
    } else if (json_is_array(statement) && json_array_size(statement) > 0) {
        c->stmt_count = json_array_size(statement);
        c->stmts = xcalloc(c->stmt_count, sizeof(*c->stmts));
        for (size_t i = 0; i < c->stmt_count; i++)
            c->stmts[i] = json_array_get(statement, i);
    } else {
        return false;
    }
    for (size_t i = 0; i < c->stmt_count; i++)
        if (!statement_syntax_ok(c->stmts[i]))
            return false;
    return true;
}

/* ---- resources: IAM's checks of the ARN shape ------------------------------------- */

static bool has_wildcard(const char *s, size_t len)
{
    return memchr(s, '*', len) || memchr(s, '?', len);
}

static bool valid_partition(const char *s, size_t len)
{
    static const char *const partitions[] = {"aws",       "aws-cn",    "aws-us-gov", "aws-iso",
                                             "aws-iso-b", "aws-iso-e", "aws-iso-f",  "aws-eusc"};
    if (has_wildcard(s, len))
        return true;
    for (size_t i = 0; i < ARRAY_SIZE(partitions); i++)
        if (strlen(partitions[i]) == len && memcmp(partitions[i], s, len) == 0)
            return true;
    return false;
}

enum resource_verdict { RESOURCE_OK, RESOURCE_LEGACY, RESOURCE_MESSAGE };

/*
 * IAM's checks of one Resource / NotResource string. A message goes to
 * c->msg; RESOURCE_LEGACY is the shape only the legacy parser refuses.
 */
static enum resource_verdict resource_check(struct checker *c, const char *s, size_t len)
{
    if (len == 1 && s[0] == '*')
        return RESOURCE_OK;
    const char *colon = memchr(s, ':', len);
    if (!colon) {
        buf_reset(&c->msg);
        buf_addf(&c->msg, "Resource %.*s must be in ARN format or \"*\".", (int)len, s);
        return RESOURCE_MESSAGE;
    }
    /* IAM reads whatever precedes the first colon as "arn" */
    const char *field[ARN_FIELDS];
    size_t field_len[ARN_FIELDS];
    int n = pol_arn_split(s, len, field, field_len);
    if (!valid_partition(field[1], field_len[1])) {
        const char *rest[4] = {"*", "*", "*", "*"};
        size_t rest_len[4] = {1, 1, 1, 1};
        /* the fields after the partition, the last holding the rest */
        for (int i = 2; i < n && i < ARN_FIELDS; i++) {
            rest[i - 2] = field[i];
            rest_len[i - 2] = field_len[i];
        }
        if (n == 3 && field_len[2] == 0) {
            rest[0] = "*";
            rest_len[0] = 1;
        }
        buf_reset(&c->msg);
        buf_addf(&c->msg,
                 "Partition \"%.*s\" is not valid for resource \"arn:%.*s:%.*s:%.*s:%.*s:%.*s\".",
                 (int)field_len[1], field[1], (int)field_len[1], field[1], (int)rest_len[0],
                 rest[0], (int)rest_len[1], rest[1], (int)rest_len[2], rest[2], (int)rest_len[3],
                 rest[3]);
        return RESOURCE_MESSAGE;
    }
    if (n < 3 || has_wildcard(field[2], field_len[2])) {
        buf_reset(&c->msg);
        buf_adds(&c->msg, MSG_RESOURCE_VENDOR);
        return RESOURCE_MESSAGE;
    }
    bool iam = field_len[2] == 3 && memcmp(field[2], "iam", 3) == 0;
    bool s3 = field_len[2] == 2 && memcmp(field[2], "s3", 2) == 0;
    if ((iam || s3) && n > 3 && field_len[3] > 0) {
        buf_reset(&c->msg);
        buf_addf(&c->msg,
                 iam ? "IAM resource %.*s cannot contain region information."
                     : "Resource %.*s can not contain region information.",
                 (int)len, s);
        return RESOURCE_MESSAGE;
    }
    if (iam && n == ARN_FIELDS) {
        static const char *const starts[] = {"user/",
                                             "federated-user/",
                                             "role/",
                                             "group/",
                                             "instance-profile/",
                                             "mfa/",
                                             "server-certificate/",
                                             "policy/",
                                             "sms-mfa/",
                                             "saml-provider/",
                                             "oidc-provider/",
                                             "report/",
                                             "access-report/"};
        bool ok = field_len[5] == 1 && field[5][0] == '*';
        for (size_t i = 0; !ok && i < ARRAY_SIZE(starts); i++)
            ok = field_len[5] >= strlen(starts[i]) &&
                 memcmp(field[5], starts[i], strlen(starts[i])) == 0;
        if (!ok) {
            buf_reset(&c->msg);
            buf_adds(&c->msg, MSG_IAM_PATH);
            return RESOURCE_MESSAGE;
        }
    }
    size_t colons = 0;
    for (size_t i = 0; i < len; i++)
        colons += s[i] == ':';
    if (field_len[2] == 0 || (colons < 5 && memmem(s, len, "::", 2)))
        return RESOURCE_LEGACY;
    return RESOURCE_OK;
}

/* ---- principals ------------------------------------------------------------------- */

static bool all_digits(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(s, prefix, n) == 0;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* A user or role's unique id: AIDA... (users), AROA... (roles). */
static bool is_unique_id(const char *s, size_t len)
{
    if (len < 16 || len > 128 || (!starts_with(s, len, "AIDA") && !starts_with(s, len, "AROA")))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

/*
 * Classifies an "AWS" principal: an account, an ARN naming a user, role,
 * role session or federated user, or a unique id. Wildcards never appear
 * inside a principal (reference_policies_elements_principal.md).
 */
static bool aws_principal_parse(struct pol_principal *out, const char *s, size_t len)
{
    if (len == 1 && s[0] == '*') {
        out->type = PP_ANY;
        return true;
    }
    if (len == 12 && all_digits(s, len)) {
        out->type = PP_ACCOUNT;
        out->text = s;
        out->len = 12;
        return true;
    }
    if (is_unique_id(s, len)) {
        out->type = PP_UNIQUE_ID;
        out->text = s;
        out->len = (uint32_t)len;
        return true;
    }
    if (has_wildcard(s, len) || !starts_with(s, len, "arn:"))
        return false;
    const char *f[ARN_FIELDS];
    size_t fl[ARN_FIELDS];
    if (pol_arn_split(s, len, f, fl) != ARN_FIELDS || !valid_partition(f[1], fl[1]) || fl[3] != 0 ||
        fl[4] != 12 || !all_digits(f[4], 12))
        return false;
    bool iam = fl[2] == 3 && memcmp(f[2], "iam", 3) == 0;
    bool sts = fl[2] == 3 && memcmp(f[2], "sts", 3) == 0;
    const char *r = f[5];
    size_t rl = fl[5];
    if (iam && rl == 4 && memcmp(r, "root", 4) == 0) {
        out->type = PP_ACCOUNT;
        out->text = f[4];
        out->len = 12;
        return true;
    }
    bool ok = false;
    if (iam && (starts_with(r, rl, "user/") || starts_with(r, rl, "role/")))
        ok = !ends_with(r, rl, "/") && rl > 5;
    else if (sts && starts_with(r, rl, "assumed-role/")) {
        const char *rest = r + 13;
        const char *slash = memchr(rest, '/', rl - 13);
        ok = slash && slash > rest && slash + 1 < r + rl;
    } else if (sts && starts_with(r, rl, "federated-user/"))
        ok = rl > 15;
    if (!ok)
        return false;
    out->type = PP_ARN;
    out->text = s;
    out->len = (uint32_t)len;
    return true;
}

static bool service_principal_ok(const char *s, size_t len)
{
    static const char *const domains[] = {".amazonaws.com", ".amazonaws.com.cn", ".amazon.com"};
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '-'))
            return false;
    }
    for (size_t i = 0; i < ARRAY_SIZE(domains); i++) {
        size_t n = strlen(domains[i]);
        if (len > n && ends_with(s, len, domains[i]) && s[0] != '.')
            return true;
    }
    return false;
}

static bool federated_principal_ok(const char *s, size_t len)
{
    if (starts_with(s, len, "arn:")) {
        const char *f[ARN_FIELDS];
        size_t fl[ARN_FIELDS];
        return !has_wildcard(s, len) && pol_arn_split(s, len, f, fl) == ARN_FIELDS &&
               (starts_with(f[5], fl[5], "saml-provider/") ||
                starts_with(f[5], fl[5], "oidc-provider/"));
    }
    bool dot = false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '-' || ch == '/' || ch == ':' || ch == '_'))
            return false;
        dot |= ch == '.';
    }
    return dot;
}

static bool canonical_user_ok(const char *s, size_t len)
{
    if (len != 64)
        return false;
    for (size_t i = 0; i < len; i++)
        if (hex_digit_value((unsigned char)s[i]) < 0)
            return false;
    return true;
}

/*
 * Parses one principal value of type `type_key`; false when IAM would
 * refuse it, with the message in c->msg.
 */
static bool principal_value_parse(struct checker *c, struct pol_principal *out,
                                  const char *type_key, const char *s, size_t len)
{
    bool ok = false;
    struct pol_principal p = {.text = s, .len = (uint32_t)len};
    if (strcmp(type_key, "AWS") == 0) {
        ok = aws_principal_parse(&p, s, len);
        if (ok && p.type == PP_ARN && c->opts->principal_exists && !c->compiling &&
            memmem(s, len, ":iam::", 6) && !c->opts->principal_exists(c->opts->principal_ctx, s))
            ok = false;
    } else if (strcmp(type_key, "Service") == 0) {
        p.type = PP_SERVICE;
        ok = service_principal_ok(s, len);
    } else if (strcmp(type_key, "Federated") == 0) {
        p.type = PP_FEDERATED;
        ok = federated_principal_ok(s, len);
    } else {
        p.type = PP_CANONICAL_USER;
        /* only S3 bucket policies know canonical users */
        ok = c->opts->kind == POLICY_KIND_RESOURCE && canonical_user_ok(s, len);
    }
    if (!ok) {
        buf_reset(&c->msg);
        buf_adds(&c->msg, "Invalid principal in policy: \"");
        for (const char *k = type_key; *k; k++)
            buf_addch(&c->msg, *k >= 'a' && *k <= 'z' ? *k - 'a' + 'A' : *k);
        buf_addf(&c->msg, "\":\"%.*s\"", (int)len, s);
        return false;
    }
    *out = p;
    return true;
}

static size_t principal_entry_count(json_t *p)
{
    if (json_is_string(p))
        return 1;
    size_t n = 0;
    const char *key;
    json_t *value;
    json_object_foreach(p, key, value)
    {
        n += element_count(value);
    }
    return n;
}

/* ---- the passes after the grammar ------------------------------------------------- */

static int fail(const char *msg)
{
    return err_set(ERR_INVALID, "%s", msg);
}

static int legacy_pass(struct checker *c)
{
    for (size_t i = 0; i < c->stmt_count; i++) {
        json_t *st = c->stmts[i];
        const char *effect = json_string_value(json_object_get(st, "Effect"));
        /* the grammar took any case; the legacy parser wants it exact */
        if (strcmp(effect, "Allow") != 0 && strcmp(effect, "Deny") != 0)
            return fail(MSG_LEGACY);
        json_t *cond = json_object_get(st, "Condition");
        const char *op_name;
        json_t *body;
        json_object_foreach(cond, op_name, body)
        {
            struct cond_op op;
            if (!cond_op_parse(&op, op_name) || !is_date_type(op.type))
                continue;
            const char *key;
            json_t *values;
            json_object_foreach(body, key, values)
            {
                size_t n = json_is_array(values) ? json_array_size(values) : 1;
                for (size_t k = 0; k < n; k++) {
                    json_t *v = json_is_array(values) ? json_array_get(values, k) : values;
                    char tmp[DOUBLE_TEXT_MAX];
                    size_t len;
                    const char *text = condition_value_text(v, tmp, &len);
                    struct pol_time t;
                    if (pol_parse_date(&t, text, len) < 0)
                        return fail(MSG_LEGACY);
                }
            }
        }
        static const char *const resources[] = {"Resource", "NotResource"};
        for (size_t r = 0; r < ARRAY_SIZE(resources); r++) {
            json_t *v = json_object_get(st, resources[r]);
            for (size_t k = 0; v && k < element_count(v); k++) {
                size_t len;
                const char *s = element_at(v, k, &len);
                if (resource_check(c, s, len) == RESOURCE_LEGACY)
                    return fail(MSG_LEGACY);
            }
        }
    }
    return 0;
}

static int principal_pass(struct checker *c)
{
    for (size_t i = 0; i < c->stmt_count; i++) {
        json_t *st = c->stmts[i];
        json_t *principal = json_object_get(st, "Principal");
        json_t *not_principal = json_object_get(st, "NotPrincipal");
        switch (c->opts->kind) {
        case POLICY_KIND_IDENTITY:
            if (principal || not_principal)
                return fail(MSG_NO_PRINCIPAL);
            break;
        case POLICY_KIND_RESOURCE:
            if (!principal && !not_principal)
                return fail(MSG_NEED_PRINCIPAL);
            break;
        case POLICY_KIND_TRUST:
            /* The guide rules NotPrincipal out of trust policies; a Deny
             * with it only ever narrows who may assume the role, and is
             * accepted so such trust policies keep working. */
            if (not_principal &&
                strcmp(json_string_value(json_object_get(st, "Effect")), "Deny") != 0)
                return fail("Has prohibited field NotPrincipal");
            if (json_object_get(st, "Resource"))
                return fail("Has prohibited field Resource");
            if (json_object_get(st, "NotResource"))
                return fail("Has prohibited field NotResource");
            if (principal_entry_count(principal ? principal : not_principal) == 0)
                return fail(MSG_TRUST_PRINCIPAL);
            break;
        }
    }
    return 0;
}

static bool sid_alnum(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

static int sid_pass(struct checker *c)
{
    for (size_t i = 0; i < c->stmt_count; i++) {
        const char *sid = json_string_value(json_object_get(c->stmts[i], "Sid"));
        if (!sid || !*sid)
            continue;
        for (size_t k = 0; k < i; k++) {
            const char *other = json_string_value(json_object_get(c->stmts[k], "Sid"));
            if (other && strcmp(sid, other) == 0)
                return fail(MSG_SID_UNIQUE);
        }
    }
    /* IAM's own policies take letters and digits only; services with
     * resource policies (S3, SNS) also take spaces and more */
    if (c->opts->kind == POLICY_KIND_RESOURCE)
        return 0;
    for (size_t i = 0; i < c->stmt_count; i++) {
        const char *sid = json_string_value(json_object_get(c->stmts[i], "Sid"));
        if (sid && !sid_alnum(sid))
            return fail(MSG_SID_ALNUM);
    }
    return 0;
}

static json_t *either(json_t *st, const char *a, const char *b)
{
    json_t *v = json_object_get(st, a);
    return v ? v : json_object_get(st, b);
}

static int presence_pass(struct checker *c)
{
    for (size_t i = 0; i < c->stmt_count; i++) {
        json_t *actions = either(c->stmts[i], "Action", "NotAction");
        if (!actions || element_count(actions) == 0)
            return fail(MSG_NO_ACTIONS);
    }
    if (c->opts->kind == POLICY_KIND_TRUST)
        return 0;
    for (size_t i = 0; i < c->stmt_count; i++) {
        json_t *resources = either(c->stmts[i], "Resource", "NotResource");
        if (!resources || element_count(resources) == 0)
            return fail(MSG_NO_RESOURCES);
    }
    return 0;
}

static int resource_pass(struct checker *c)
{
    for (size_t i = 0; i < c->stmt_count; i++) {
        json_t *v = either(c->stmts[i], "Resource", "NotResource");
        for (size_t k = 0; v && k < element_count(v); k++) {
            size_t len;
            const char *s = element_at(v, k, &len);
            if (resource_check(c, s, len) == RESOURCE_MESSAGE)
                return fail(c->msg.data);
        }
    }
    return 0;
}

static bool vendor_char_ok(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.' || ch == '*' || ch == '?';
}

static int action_pass(struct checker *c)
{
    for (size_t i = 0; i < c->stmt_count; i++) {
        json_t *v = either(c->stmts[i], "Action", "NotAction");
        for (size_t k = 0; k < element_count(v); k++) {
            size_t len;
            const char *s = element_at(v, k, &len);
            if (len == 1 && s[0] == '*')
                continue;
            const char *colon = memchr(s, ':', len);
            if (!colon)
                return fail(MSG_VENDOR);
            if (memchr(colon + 1, ':', len - (size_t)(colon - s) - 1))
                return fail(MSG_ONE_COLON);
            size_t vendor_len = (size_t)(colon - s);
            bool ok = vendor_len > 0;
            for (size_t j = 0; ok && j < vendor_len; j++)
                ok = vendor_char_ok(s[j]);
            if (!ok) {
                buf_reset(&c->msg);
                buf_addf(&c->msg, "Vendor %.*s is not valid", (int)vendor_len, s);
                return fail(c->msg.data);
            }
            if (c->opts->kind == POLICY_KIND_TRUST &&
                !(vendor_len == 3 && strncasecmp(s, "sts", 3) == 0) &&
                !(vendor_len == 1 && s[0] == '*'))
                return fail(MSG_TRUST_ACTION);
        }
    }
    return 0;
}

static int principal_value_pass(struct checker *c)
{
    for (size_t i = 0; i < c->stmt_count; i++) {
        json_t *p = either(c->stmts[i], "Principal", "NotPrincipal");
        if (!p || json_is_string(p))
            continue;
        const char *type_key;
        json_t *values;
        json_object_foreach(p, type_key, values)
        {
            for (size_t k = 0; k < element_count(values); k++) {
                size_t len;
                const char *s = element_at(values, k, &len);
                struct pol_principal parsed;
                if (!principal_value_parse(c, &parsed, type_key, s, len))
                    return fail(c->msg.data);
            }
        }
    }
    return 0;
}

static int validate(struct checker *c)
{
    int rc;
    if (!grammar_ok(c))
        return fail(MSG_SYNTAX);
    if (c->opts->require_current_version && !c->variables)
        return fail(MSG_VERSION);
    if ((rc = legacy_pass(c)) < 0 || (rc = principal_pass(c)) < 0 || (rc = sid_pass(c)) < 0 ||
        (rc = presence_pass(c)) < 0 || (rc = resource_pass(c)) < 0 || (rc = action_pass(c)) < 0 ||
        (rc = principal_value_pass(c)) < 0)
        return rc;
    return 0;
}

/* ---- compilation ------------------------------------------------------------------ */

static bool var_key_char_ok(char ch)
{
    return ch != '{' && ch != '}' && ch != '$' && ch != ',' && ch != '\'' && ch != '\0';
}

static void trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

struct var_ref {
    enum { VAR_KEY, VAR_LITERAL } kind;
    const char *key;
    size_t key_len;
    const char *def; /* VAR_KEY: the default, NULL when none; VAR_LITERAL: the character */
    size_t def_len;
};

/*
 * Reads the variable whose "${" is at s[0]; returns its length including
 * the braces, 0 when the text there is not a variable (and stays literal).
 */
static size_t var_parse(struct var_ref *out, const char *s, size_t len)
{
    const char *close = memchr(s + 2, '}', len - 2);
    if (!close)
        return 0;
    const char *in = s + 2;
    size_t in_len = (size_t)(close - in);
    if (in_len == 1 && (*in == '*' || *in == '?' || *in == '$')) {
        out->kind = VAR_LITERAL;
        out->def = in;
        out->def_len = 1;
        return in_len + 3;
    }
    const char *comma = memchr(in, ',', in_len);
    const char *key = in;
    size_t key_len = comma ? (size_t)(comma - in) : in_len;
    trim(&key, &key_len);
    if (key_len == 0)
        return 0;
    for (size_t i = 0; i < key_len; i++)
        if (!var_key_char_ok(key[i]))
            return 0;
    out->kind = VAR_KEY;
    out->key = key;
    out->key_len = key_len;
    out->def = NULL;
    out->def_len = 0;
    if (comma) {
        const char *d = comma + 1;
        size_t d_len = (size_t)(close - d);
        trim(&d, &d_len);
        if (d_len < 2 || d[0] != '\'' || d[d_len - 1] != '\'')
            return 0;
        out->def = d + 1;
        out->def_len = d_len - 2;
    }
    return in_len + 3;
}

static void tmpl_add_literal(struct buf *lit, const char *s, size_t len, bool pattern, bool escape)
{
    if (!pattern)
        buf_add(lit, s, len);
    else if (escape)
        pol_pat_escape(lit, s, len);
    else
        for (size_t i = 0; i < len; i++) {
            if (s[i] == '\\')
                buf_addch(lit, '\\');
            buf_addch(lit, s[i]);
        }
}

struct seg_list {
    struct pol_seg *segs;
    size_t count, alloc;
};

static void seg_flush(struct seg_list *list, struct pol_arena *arena, struct buf *lit)
{
    if (!lit->len)
        return;
    ALLOC_GROW(list->segs, list->count + 1, list->alloc);
    struct pol_seg *seg = &list->segs[list->count++];
    memset(seg, 0, sizeof(*seg));
    seg->text = pol_arena_strndup(arena, lit->data, lit->len);
    seg->len = (uint32_t)lit->len;
    buf_reset(lit);
}

/*
 * Compiles `text` as a template when it holds a variable at or after
 * `from`; *out stays NULL for text without variables.
 */
static int tmpl_compile(struct pol_tmpl **out, struct pol_arena *arena, const char *text,
                        size_t len, size_t from, bool pattern)
{
    struct seg_list list = {0};
    struct buf lit = BUF_INIT;
    size_t vars = 0, i = 0, lit_start = 0;
    int rc = 0;

    tmpl_add_literal(&lit, text, from, pattern, false);
    i = lit_start = from;
    while (i + 1 < len) {
        struct var_ref ref;
        size_t n;
        if (text[i] != '$' || text[i + 1] != '{' || !(n = var_parse(&ref, text + i, len - i))) {
            i++;
            continue;
        }
        tmpl_add_literal(&lit, text + lit_start, i - lit_start, pattern, false);
        if (ref.kind == VAR_LITERAL) {
            tmpl_add_literal(&lit, ref.def, 1, pattern, true);
        } else {
            if (++vars > POLICY_VARIABLES_MAX) {
                rc = err_set(ERR_LIMIT, "policy: more than %d variables in one value",
                             POLICY_VARIABLES_MAX);
                goto done;
            }
            seg_flush(&list, arena, &lit);
            ALLOC_GROW(list.segs, list.count + 1, list.alloc);
            struct pol_seg *seg = &list.segs[list.count++];
            memset(seg, 0, sizeof(*seg));
            seg->is_var = true;
            pol_key_init(&seg->key, pol_arena_strndup(arena, ref.key, ref.key_len), ref.key_len);
            if (ref.def) {
                seg->has_default = true;
                seg->text = pol_arena_strndup(arena, ref.def, ref.def_len);
                seg->len = (uint32_t)ref.def_len;
            }
        }
        i += n;
        lit_start = i;
    }
    if (vars == 0 && list.count == 0 && !memmem(text + from, len - from, "${", 2)) {
        *out = NULL;
        goto done;
    }
    tmpl_add_literal(&lit, text + lit_start, len - lit_start, pattern, false);
    seg_flush(&list, arena, &lit);
    struct pol_tmpl *t = pol_arena_alloc(arena, sizeof(*t));
    t->count = (uint32_t)list.count;
    t->pattern = pattern;
    t->segs = pol_arena_alloc(arena, sizeof(*t->segs) * (list.count ? list.count : 1));
    if (list.count)
        memcpy(t->segs, list.segs, sizeof(*t->segs) * list.count);
    *out = t;
done:
    free(list.segs);
    buf_release(&lit);
    return rc;
}

/* The offset just past the fifth colon (the resource part), or len. */
static size_t resource_part_offset(const char *s, size_t len)
{
    int colons = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == ':' && ++colons == 5)
            return i + 1;
    return len;
}

static int compile_resource(struct pol_resource *out, struct policy *p, const char *s, size_t len)
{
    if (len == 1 && s[0] == '*') {
        out->any = true;
        return 0;
    }
    pol_arn_compile(&out->arn, &p->arena, s, len);
    if (!p->variables)
        return 0;
    size_t from = resource_part_offset(s, len);
    if (from == len)
        return 0;
    /* only the resource part takes variables: the template is that part */
    return tmpl_compile(&out->tmpl, &p->arena, s + from, len - from, 0, true);
}

static void compile_action(struct pol_action *out, struct pol_stmt *st, struct policy *p,
                           const char *s, size_t len)
{
    if (len == 1 && s[0] == '*') {
        out->all = true;
        st->service_mask = UINT64_MAX;
        return;
    }
    char *lower = pol_arena_strndup(&p->arena, s, len);
    for (size_t i = 0; i < len; i++)
        if (lower[i] >= 'A' && lower[i] <= 'Z')
            lower[i] = (char)(lower[i] - 'A' + 'a');
    const char *colon = memchr(lower, ':', len);
    size_t service_len = (size_t)(colon - lower);
    pol_pat_compile(&out->service, &p->arena, lower, service_len);
    pol_pat_compile(&out->name, &p->arena, colon + 1, len - service_len - 1);
    if (out->service.kind == PAT_EXACT)
        st->service_mask |= pol_service_bit(lower, service_len);
    else
        st->service_mask = UINT64_MAX;
}

static bool string_has_variable(const struct policy *p, const char *s, size_t len)
{
    return p->variables && memmem(s, len, "${", 2);
}

static int compile_value(struct pol_cval *out, struct policy *p, uint8_t type, const char *s,
                         size_t len)
{
    int rc;
    out->valid = true;
    switch (type) {
    case CT_STRING_EQUALS:
    case CT_STRING_EQUALS_IGNORE_CASE:
    case CT_STRING_LIKE: {
        bool pattern = type == CT_STRING_LIKE;
        if (string_has_variable(p, s, len)) {
            if ((rc = tmpl_compile(&out->tmpl, &p->arena, s, len, 0, pattern)) < 0)
                return rc;
            if (out->tmpl)
                return 0;
        }
        if (pattern) {
            pol_pat_compile(&out->u.str, &p->arena, s, len);
        } else {
            out->u.str.kind = PAT_EXACT;
            out->u.str.s = pol_arena_strndup(&p->arena, s, len);
            out->u.str.len = (uint32_t)len;
        }
        return 0;
    }
    case CT_NUMERIC_EQUALS:
    case CT_NUMERIC_LESS_THAN:
    case CT_NUMERIC_LESS_THAN_EQUALS:
    case CT_NUMERIC_GREATER_THAN:
    case CT_NUMERIC_GREATER_THAN_EQUALS:
        out->valid = pol_parse_number(&out->u.num, s, len) == 0;
        return 0;
    case CT_DATE_EQUALS:
    case CT_DATE_LESS_THAN:
    case CT_DATE_LESS_THAN_EQUALS:
    case CT_DATE_GREATER_THAN:
    case CT_DATE_GREATER_THAN_EQUALS:
        out->valid = pol_parse_date(&out->u.date, s, len) == 0;
        return 0;
    case CT_BOOL:
    case CT_NULL:
        /* the operators page lets Bool take variables; Null never does */
        if (type == CT_BOOL && string_has_variable(p, s, len)) {
            if ((rc = tmpl_compile(&out->tmpl, &p->arena, s, len, 0, false)) < 0)
                return rc;
            if (out->tmpl)
                return 0;
        }
        out->valid = pol_parse_bool(&out->u.boolean, s, len) == 0;
        return 0;
    case CT_BINARY_EQUALS: {
        struct buf decoded = BUF_INIT;
        out->valid = base64_decode(&decoded, s, len) == 0;
        if (out->valid) {
            out->u.bin.data =
                (const uint8_t *)pol_arena_strndup(&p->arena, decoded.data, decoded.len);
            out->u.bin.len = (uint32_t)decoded.len;
        }
        buf_release(&decoded);
        err_clear();
        return 0;
    }
    case CT_IP_ADDRESS:
        out->valid = pol_parse_cidr(&out->u.ip, s, len) == 0;
        return 0;
    case CT_ARN_LIKE:
        if (string_has_variable(p, s, len)) {
            if ((rc = tmpl_compile(&out->tmpl, &p->arena, s, len, 0, true)) < 0)
                return rc;
            if (out->tmpl)
                return 0;
        }
        pol_arn_compile(&out->u.arn, &p->arena, s, len);
        return 0;
    }
    return 0;
}

static int compile_conditions(struct pol_stmt *st, struct policy *p, json_t *cond)
{
    size_t count = 0;
    const char *op_name;
    json_t *body;
    json_object_foreach(cond, op_name, body)
    {
        struct cond_op op;
        if (cond_op_parse(&op, op_name))
            count += json_object_size(body);
    }
    st->conds = pol_arena_alloc(&p->arena, sizeof(*st->conds) * (count ? count : 1));
    json_object_foreach(cond, op_name, body)
    {
        struct cond_op op;
        if (!cond_op_parse(&op, op_name))
            continue; /* an unknown operator with nothing under it */
        const char *key;
        json_t *values;
        json_object_foreach(body, key, values)
        {
            struct pol_cond *c = &st->conds[st->cond_count++];
            c->type = op.type;
            c->set = op.set;
            c->negated = op.negated;
            c->if_exists = op.if_exists;
            size_t key_len = strlen(key);
            pol_key_init(&c->key, pol_arena_strndup(&p->arena, key, key_len), key_len);
            size_t n = json_is_array(values) ? json_array_size(values) : 1;
            c->value_count = (uint32_t)n;
            c->values = pol_arena_alloc(&p->arena, sizeof(*c->values) * (n ? n : 1));
            for (size_t k = 0; k < n; k++) {
                json_t *v = json_is_array(values) ? json_array_get(values, k) : values;
                char tmp[DOUBLE_TEXT_MAX];
                size_t len;
                const char *text = condition_value_text(v, tmp, &len);
                int rc = compile_value(&c->values[k], p, op.type, text, len);
                if (rc < 0)
                    return rc;
            }
        }
    }
    return 0;
}

static void compile_principals(struct pol_stmt *st, struct policy *p, struct checker *c,
                               json_t *principal)
{
    size_t n = principal_entry_count(principal);
    st->principals = pol_arena_alloc(&p->arena, sizeof(*st->principals) * (n ? n : 1));
    if (json_is_string(principal)) {
        st->principals[st->principal_count++].type = PP_ANY;
        return;
    }
    const char *type_key;
    json_t *values;
    json_object_foreach(principal, type_key, values)
    {
        for (size_t k = 0; k < element_count(values); k++) {
            size_t len;
            const char *s = element_at(values, k, &len);
            struct pol_principal parsed;
            if (!principal_value_parse(c, &parsed, type_key, s, len))
                continue; /* validated already */
            struct pol_principal *out = &st->principals[st->principal_count++];
            *out = parsed;
            if (parsed.type != PP_ANY) {
                out->text = pol_arena_strndup(&p->arena, parsed.text, parsed.len);
                out->len = parsed.len;
            }
        }
    }
}

static int compile_statement(struct pol_stmt *st, struct policy *p, struct checker *c, json_t *json)
{
    int rc;
    const char *sid = json_string_value(json_object_get(json, "Sid"));
    st->sid = pol_arena_strndup(&p->arena, sid ? sid : "", sid ? strlen(sid) : 0);
    st->deny = strcmp(json_string_value(json_object_get(json, "Effect")), "Deny") == 0;

    json_t *actions = json_object_get(json, "Action");
    if (!actions) {
        actions = json_object_get(json, "NotAction");
        st->not_action = true;
        /* NotAction can match any service */
        st->service_mask = UINT64_MAX;
    }
    st->action_count = (uint32_t)element_count(actions);
    st->actions = pol_arena_alloc(&p->arena, sizeof(*st->actions) * st->action_count);
    for (size_t k = 0; k < st->action_count; k++) {
        size_t len;
        const char *s = element_at(actions, k, &len);
        compile_action(&st->actions[k], st, p, s, len);
    }

    json_t *resources = json_object_get(json, "Resource");
    if (!resources && (resources = json_object_get(json, "NotResource")))
        st->not_resource = true;
    if (resources) {
        st->has_resource = true;
        st->resource_count = (uint32_t)element_count(resources);
        st->resources = pol_arena_alloc(&p->arena, sizeof(*st->resources) * st->resource_count);
        for (size_t k = 0; k < st->resource_count; k++) {
            size_t len;
            const char *s = element_at(resources, k, &len);
            if ((rc = compile_resource(&st->resources[k], p, s, len)) < 0)
                return rc;
        }
    }

    json_t *principal = json_object_get(json, "Principal");
    if (!principal && (principal = json_object_get(json, "NotPrincipal")))
        st->not_principal = true;
    if (principal) {
        st->has_principal = true;
        compile_principals(st, p, c, principal);
    }

    json_t *cond = json_object_get(json, "Condition");
    if (cond && (rc = compile_conditions(st, p, cond)) < 0)
        return rc;
    return 0;
}

int policy_compile(struct policy **out, const char *document, size_t len,
                   const struct policy_options *options)
{
    if (options->size_max && policy_size(document, len) > options->size_max)
        return err_set(ERR_LIMIT, "Cannot exceed quota for %s: %zu",
                       options->size_quota_name ? options->size_quota_name : "PolicySize",
                       options->size_max);
    if (len > POLICY_DOCUMENT_MAX)
        return err_set(ERR_LIMIT, "policy document is %zu bytes, more than the %d allowed", len,
                       POLICY_DOCUMENT_MAX);

    json_error_t jerr;
    json_t *root = json_loadb(document, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return fail(MSG_SYNTAX);
    }
    struct checker c = {.opts = options, .root = root, .msg = BUF_INIT};
    struct policy *p = NULL;
    int rc = validate(&c);
    if (rc < 0)
        goto done;

    c.compiling = true;
    p = xcalloc(1, sizeof(*p));
    p->kind = options->kind;
    p->variables = c.variables;
    p->stmt_count = (uint32_t)c.stmt_count;
    p->stmts = pol_arena_alloc(&p->arena, sizeof(*p->stmts) * c.stmt_count);
    for (size_t i = 0; i < c.stmt_count; i++) {
        if ((rc = compile_statement(&p->stmts[i], p, &c, c.stmts[i])) < 0) {
            policy_free(p);
            p = NULL;
            goto done;
        }
    }
    *out = p;
done:
    free(c.stmts);
    buf_release(&c.msg);
    json_decref(root);
    return rc;
}

int policy_check(const char *document, size_t len, const struct policy_options *options)
{
    struct policy *p = NULL;
    int rc = policy_compile(&p, document, len, options);
    policy_free(p);
    return rc;
}

void policy_free(struct policy *policy)
{
    if (!policy)
        return;
    pol_arena_release(&policy->arena);
    free(policy);
}

enum policy_kind policy_get_kind(const struct policy *policy)
{
    return policy->kind;
}

size_t policy_statement_count(const struct policy *policy)
{
    return policy->stmt_count;
}

const char *policy_statement_sid(const struct policy *policy, size_t index)
{
    return index < policy->stmt_count ? policy->stmts[index].sid : "";
}
