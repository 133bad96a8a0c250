#include "base/common.h"
#include "services/ssm/ssm_internal.h"
#include "aws/arn.h"
#include "aws/pagination.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/regex.h"
#include "services/common/record.h"
#include "store/master_key.h"
#include "store/store.h"

#include <ctype.h>
#include <strings.h>

#define NAME_RULES                                                                                 \
    "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as "  \
    "a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as " \
    "a mix of letters, numbers and the following 3 symbols .-_"

static void scope_of(char out[SSM_SCOPE_MAX], const struct api_call *call)
{
    snprintf(out, SSM_SCOPE_MAX, "%s/%s", call->account_id, call->region);
}

static const char *str(json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

/* arn:aws:ssm:REGION:ACCOUNT:parameter/NAME, one slash whether NAME has one or not. */
static void param_arn(struct buf *out, const struct api_call *call, const char *name)
{
    struct buf resource = BUF_INIT;
    buf_addf(&resource, "parameter%s%s", name[0] == '/' ? "" : "/", name);
    arn_format(out, "ssm", call->region, call->account_id, resource.data);
    buf_release(&resource);
}

static int authorize_as(struct api_call *call, const char *action, const char *name)
{
    struct buf arn = BUF_INIT;
    param_arn(&arn, call, name);
    int rc = api_authorize(call, action, arn.data);
    buf_release(&arn);
    return rc;
}

static int authorize_name(struct api_call *call, const char *name)
{
    char action[96];
    api_action_name(action, sizeof(action), call);
    return authorize_as(call, action, name);
}

static int invalid(struct api_call *call, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int invalid(struct api_call *call, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return api_error(call, ERR_INVALID, "ValidationException", "%s", msg);
}

static int not_found(struct api_call *call, const char *name)
{
    return api_error(call, ERR_NOT_FOUND, "ParameterNotFound", "Parameter %s not found.", name);
}

static bool prefixed_reserved(const char *s)
{
    return strncasecmp(s, "aws", 3) == 0 || strncasecmp(s, "ssm", 3) == 0;
}

/* The name rules of PutParameter: characters, reserved prefixes, hierarchy. */
static int name_check(struct api_call *call, const char *name)
{
    struct buf arn = BUF_INIT;
    param_arn(&arn, call, name);
    size_t arn_len = arn.len;
    buf_release(&arn);
    if (!*name)
        return invalid(call, "%s", NAME_RULES);
    if (arn_len > SSM_ARN_MAX)
        return invalid(call,
                       "Parameter name: can't be longer than %d characters, including the full "
                       "length of the parameter ARN",
                       SSM_ARN_MAX);
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.-/", *p))
            return invalid(call, "%s", NAME_RULES);
    if (prefixed_reserved(name[0] == '/' ? name + 1 : name))
        return invalid(call, "%s", NAME_RULES);
    if (!strchr(name, '/'))
        return 0;
    if (name[0] != '/')
        return invalid(call, "Parameter name must be a fully qualified name.");
    if (strstr(name, "//") || name[strlen(name) - 1] == '/')
        return invalid(call, "%s", NAME_RULES);
    size_t levels = 0;
    for (const char *p = name; *p; p++)
        levels += *p == '/';
    if (levels > SSM_LEVELS_MAX)
        return api_error(call, ERR_LIMIT, "HierarchyLevelLimitExceededException",
                         "A hierarchy can have a maximum of %d levels. For more information, "
                         "see Requirements and constraints for parameter names in the Amazon "
                         "Web Services Systems Manager User Guide.",
                         SSM_LEVELS_MAX);
    return 0;
}

/* A label's own rules (AWS's): the invalid ones are reported, not failed. */
static bool label_valid(const char *label)
{
    size_t len = strlen(label);
    if (len == 0 || len > SSM_LABEL_LEN_MAX || isdigit((unsigned char)label[0]) ||
        prefixed_reserved(label))
        return false;
    for (const char *p = label; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
            return false;
    return true;
}

/* "NAME", "NAME:VERSION" or "NAME:LABEL". */
struct selector {
    struct buf name;
    int64_t version;   /* 0: none */
    const char *label; /* points into `text`; NULL: none */
    const char *text;  /* ":..." or NULL */
};

static int selector_parse(struct selector *sel, const char *in)
{
    buf_init(&sel->name);
    sel->version = 0;
    sel->label = sel->text = NULL;
    const char *colon = strchr(in, ':');
    if (!colon) {
        buf_adds(&sel->name, in);
        return 0;
    }
    buf_add(&sel->name, in, (size_t)(colon - in));
    sel->text = colon;
    const char *rest = colon + 1;
    if (!*rest || strchr(rest, ':'))
        return ERR_INVALID;
    if (isdigit((unsigned char)*rest)) {
        int64_t v = 0;
        for (const char *p = rest; *p; p++) {
            if (!isdigit((unsigned char)*p) || v > 1000000)
                return ERR_INVALID;
            v = v * 10 + (*p - '0');
        }
        sel->version = v;
    } else {
        sel->label = rest;
    }
    return 0;
}

static json_t *versions_of(json_t *rec)
{
    return json_object_get(rec, "Versions");
}

static json_t *latest_of(json_t *rec)
{
    json_t *versions = versions_of(rec);
    return json_array_get(versions, json_array_size(versions) - 1);
}

static int64_t version_no(json_t *ver)
{
    return json_integer_value(json_object_get(ver, "Version"));
}

static json_t *version_find(json_t *rec, int64_t version)
{
    size_t i;
    json_t *v;
    json_array_foreach(versions_of(rec), i, v) if (version_no(v) == version) return v;
    return NULL;
}

static bool has_label(json_t *ver, const char *label)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(ver, "Labels"), i,
                       l) if (strcmp(json_string_value(l), label) == 0) return true;
    return false;
}

static json_t *label_find(json_t *rec, const char *label)
{
    size_t i;
    json_t *v;
    json_array_foreach(versions_of(rec), i, v) if (has_label(v, label)) return v;
    return NULL;
}

static void seal_context(struct buf *out, const struct api_call *call, const char *name,
                         int64_t version)
{
    buf_addf(out, "ssm/%s/%s/%s/%" PRId64, call->account_id, call->region, name, version);
}

/*
 * The value a reader sees: plain for String and StringList; for SecureString
 * the plaintext when decrypting, else the sealed text's base64 (what stands
 * in for AWS's KMS ciphertext blob).
 */
static int value_out(json_t **out, struct api_call *call, const char *name, json_t *ver,
                     bool decrypt)
{
    const char *sealed = str(ver, "Sealed");
    if (!sealed) {
        *out = json_incref(json_object_get(ver, "Value"));
        return 0;
    }
    if (!decrypt) {
        *out = json_string(strncmp(sealed, "v1.", 3) == 0 ? sealed + 3 : sealed);
        return 0;
    }
    struct buf ctx = BUF_INIT, plain = BUF_INIT;
    seal_context(&ctx, call, name, version_no(ver));
    int rc = master_key_open(&plain, call->master_key, ctx.data, sealed, strlen(sealed));
    if (rc == 0)
        *out = json_stringn(plain.data, plain.len);
    else
        rc = api_error(call, ERR_INTERNAL, "InternalServerError",
                       "the value of parameter '%s' could not be opened", name);
    buf_release(&ctx);
    explicit_bzero(plain.data, plain.len);
    buf_release(&plain);
    return rc;
}

static int parameter_out(json_t **out, struct api_call *call, const char *name, json_t *ver,
                         bool decrypt, const char *selector)
{
    json_t *value = NULL;
    int rc = value_out(&value, call, name, ver, decrypt);
    if (rc < 0)
        return rc;
    struct buf arn = BUF_INIT;
    param_arn(&arn, call, name);
    json_t *p = json_pack("{s:s, s:O, s:o, s:O, s:O, s:s, s:O}", "Name", name, "Type",
                          json_object_get(ver, "Type"), "Value", value, "Version",
                          json_object_get(ver, "Version"), "LastModifiedDate",
                          json_object_get(ver, "LastModifiedDate"), "ARN", arn.data, "DataType",
                          json_object_get(ver, "DataType"));
    if (selector)
        json_object_set_new(p, "Selector", json_string(selector));
    buf_release(&arn);
    *out = p;
    return 0;
}

/* The version fields ParameterMetadata and ParameterHistory share. */
static void common_fields(json_t *out, json_t *ver)
{
    static const char *const fields[] = {
        "Type",    "KeyId", "LastModifiedDate", "LastModifiedUser", "Description", "AllowedPattern",
        "Version", "Tier",  "DataType"};
    for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
        json_t *v = json_object_get(ver, fields[i]);
        if (v)
            json_object_set(out, fields[i], v);
    }
    json_object_set_new(out, "Policies", json_array());
}

static json_t *metadata_out(struct api_call *call, json_t *rec)
{
    const char *name = str(rec, "Name");
    struct buf arn = BUF_INIT;
    param_arn(&arn, call, name);
    json_t *m = json_pack("{s:s, s:s}", "Name", name, "ARN", arn.data);
    buf_release(&arn);
    common_fields(m, latest_of(rec));
    return m;
}

static int record_load(json_t **out, int64_t *version, struct api_call *call, struct store_tx *tx,
                       const char *name)
{
    char scope[SSM_SCOPE_MAX];
    scope_of(scope, call);
    if (strlen(name) > STORE_NAME_MAX || !*name)
        return not_found(call, name);
    int rc = record_get(out, version, call->store, tx, SSM_KIND_PARAMETER, scope, name);
    if (rc == ERR_NOT_FOUND)
        return not_found(call, name);
    return rc;
}

/* --- PutParameter ------------------------------------------------------ */

static int data_type_check(struct api_call *call, const char *type)
{
    if (strcmp(type, "text") == 0 || strcmp(type, "aws:ec2:image") == 0 ||
        strcmp(type, "aws:ssm:integration") == 0)
        return 0;
    return invalid(call,
                   "The following data type is not supported: %s (Data type names are all "
                   "lowercase.)",
                   type);
}

static int pattern_check(struct api_call *call, const char *pattern, const char *value)
{
    struct regex *re = NULL;
    if (regex_compile(&re, pattern, strlen(pattern)) < 0)
        return api_error(call, ERR_INVALID, "InvalidAllowedPatternException",
                         "The allowed pattern %s is not a valid regular expression.", pattern);
    bool matched = regex_matches(re, value, strlen(value));
    regex_free(re);
    if (!matched)
        return api_error(call, ERR_INVALID, "ParameterPatternMismatchException",
                         "Parameter value, cannot be validated against allowedPattern: %s",
                         pattern);
    return 0;
}

/* Adds what one kept field of the new version is: the request's, else the old one's. */
static void keep_field(json_t *ver, const char *field, json_t *in, json_t *old)
{
    json_t *v = json_object_get(in, field);
    if (!v && old)
        v = json_object_get(old, field);
    if (v)
        json_object_set(ver, field, v);
}

static int tags_check(struct api_call *call, json_t *tags)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        const char *key = str(t, "Key");
        if (!key || !str(t, "Value"))
            return invalid(call, "a tag needs a Key and a Value");
        if (strncasecmp(key, "aws:", 4) == 0)
            return invalid(call, "tag keys can't start with 'aws:': %s", key);
    }
    return 0;
}

static int tags_merge(struct api_call *call, json_t *rec, json_t *tags)
{
    json_t *have = json_object_get(rec, "Tags");
    if (!have) {
        have = json_object();
        json_object_set_new(rec, "Tags", have);
    }
    json_t *merged = json_deep_copy(have);
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
        json_object_set(merged, str(t, "Key"), json_object_get(t, "Value"));
    if (json_object_size(merged) > SSM_TAGS_MAX) {
        json_decref(merged);
        return api_error(call, ERR_LIMIT, "TooManyTagsError",
                         "A resource can have no more than %d tags.", SSM_TAGS_MAX);
    }
    json_object_set_new(rec, "Tags", merged);
    return 0;
}

int ssm_put_parameter(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = str(in, "Name") ?: "";
    const char *value = str(in, "Value") ?: "";
    json_t *tags = json_object_get(in, "Tags");
    bool overwrite = json_is_true(json_object_get(in, "Overwrite"));
    int rc = authorize_name(call, name);
    if (rc == 0 && json_array_size(tags))
        rc = authorize_as(call, "ssm:AddTagsToResource", name);
    if (rc < 0 || (rc = name_check(call, name)) < 0)
        return rc;
    if (overwrite && json_array_size(tags))
        return invalid(call, "Invalid request: tags and overwrite can't be used together. To "
                             "create a parameter with tags, please remove overwrite flag. To "
                             "update tags for an existing parameter, please use AddTagsToResource "
                             "or RemoveTagsFromResource.");
    if (json_object_get(in, "Policies"))
        return invalid(call, "parameter policies are not supported by slipway");
    if ((rc = tags_check(call, tags)) < 0)
        return rc;
    if (str(in, "DataType") && (rc = data_type_check(call, str(in, "DataType"))) < 0)
        return rc;
    const char *type_in = str(in, "Type");
    if (type_in && strcmp(type_in, "String") != 0 && strcmp(type_in, "StringList") != 0 &&
        strcmp(type_in, "SecureString") != 0)
        return api_error(call, ERR_INVALID, "UnsupportedParameterType",
                         "The parameter type %s is not supported.", type_in);
    size_t value_len = strlen(value);
    if (value_len == 0)
        return invalid(call, "1 validation error detected: Value '' at 'value' failed to satisfy "
                             "constraint: Member must have length greater than or equal to 1");

    char scope[SSM_SCOPE_MAX];
    scope_of(scope, call);
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *rec = NULL;
    int64_t doc_version = 0;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        return rc;
    rc = record_get(&rec, &doc_version, call->store, tx, SSM_KIND_PARAMETER, scope, name);
    if (rc < 0 && rc != ERR_NOT_FOUND)
        return rc;
    json_t *old = rec ? latest_of(rec) : NULL;
    json_t *ver = NULL;
    struct buf ctx = BUF_INIT, sealed = BUF_INIT;
    if (rec && !overwrite) {
        rc = api_error(call, ERR_EXISTS, "ParameterAlreadyExists",
                       "The parameter already exists. To overwrite this request value, set the "
                       "overwrite option in the request to true.");
        goto done;
    }
    const char *type = type_in ?: (old ? str(old, "Type") : NULL);
    if (!type) {
        rc = invalid(call, "A parameter type is required when you create a parameter.");
        goto done;
    }
    bool secure = strcmp(type, "SecureString") == 0;
    if (str(in, "KeyId") && !secure) {
        rc = invalid(call, "KeyId is required for SecureString type parameter only.");
        goto done;
    }
    if (!rec) {
        size_t count = 0;
        if ((rc = store_doc_count(&count, call->store, tx, SSM_KIND_PARAMETER, scope, NULL)) < 0)
            goto done;
        if (count >= SSM_STANDARD_MAX) {
            rc = api_error(call, ERR_LIMIT, "ParameterLimitExceeded",
                           "You have exceeded the number of parameters for this AWS account. "
                           "Delete unnecessary parameters and try again.");
            goto done;
        }
        rec = json_pack("{s:s, s:{}, s:[]}", "Name", name, "Tags", "Versions");
    }

    /* Tier: Intelligent-Tiering picks the cheapest that fits; no downgrade. */
    const char *old_tier = old ? str(old, "Tier") : "Standard";
    const char *tier = str(in, "Tier") ?: old_tier;
    if (strcmp(tier, "Intelligent-Tiering") == 0)
        tier = value_len > SSM_STANDARD_VALUE || strcmp(old_tier, "Advanced") == 0 ? "Advanced"
                                                                                   : "Standard";
    if (strcmp(old_tier, "Advanced") == 0 && strcmp(tier, "Standard") == 0) {
        rc = invalid(call, "This parameter uses the advanced-parameter tier. You can't downgrade "
                           "a parameter from the advanced-parameter tier to the "
                           "standard-parameter tier. If necessary, you can delete the advanced "
                           "parameter and recreate it as a standard parameter.");
        goto done;
    }
    if (strcmp(tier, "Standard") == 0 && value_len > SSM_STANDARD_VALUE) {
        rc = invalid(call,
                     "Standard tier parameters support a maximum parameter value of %d "
                     "characters. To create a larger parameter value, upgrade the parameter to "
                     "use the advanced-parameter tier. For more information, see "
                     "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
                     "parameter-store-advanced-parameters.html",
                     SSM_STANDARD_VALUE);
        goto done;
    }
    if (value_len > SSM_ADVANCED_VALUE) {
        rc = invalid(call,
                     "Advanced tier parameters support a maximum parameter value of %d "
                     "characters.",
                     SSM_ADVANCED_VALUE);
        goto done;
    }

    json_t *versions = versions_of(rec);
    int64_t number = old ? version_no(old) + 1 : 1;
    if (json_array_size(versions) >= SSM_VERSIONS_MAX) {
        json_t *oldest = json_array_get(versions, 0);
        if (json_array_size(json_object_get(oldest, "Labels"))) {
            rc = api_error(call, ERR_LIMIT, "ParameterMaxVersionLimitExceeded",
                           "You attempted to create a new version of %s by calling the "
                           "PutParameter API with the overwrite flag. Version %" PRId64
                           ", the oldest version, can't be deleted because it has a label "
                           "associated with it. Move the label to another version of the "
                           "parameter, and try again.",
                           name, version_no(oldest));
            goto done;
        }
    }

    ver = json_pack("{s:I, s:s, s:s, s:I, s:s, s:[]}", "Version", (json_int_t)number, "Type", type,
                    "Tier", tier, "LastModifiedDate", (json_int_t)call->now_ms, "LastModifiedUser",
                    call->principal ? call->principal->arn : "", "Labels");
    keep_field(ver, "Description", in, old);
    keep_field(ver, "AllowedPattern", in, old);
    keep_field(ver, "DataType", in, old);
    if (!json_object_get(ver, "DataType"))
        json_object_set_new(ver, "DataType", json_string("text"));
    if (secure) {
        const char *key = str(in, "KeyId");
        if (!key && old && strcmp(str(old, "Type"), "SecureString") == 0)
            key = str(old, "KeyId");
        json_object_set_new(ver, "KeyId", json_string(key ?: SSM_DEFAULT_KEY_ID));
    }
    const char *pattern = str(ver, "AllowedPattern");
    if (pattern && (rc = pattern_check(call, pattern, value)) < 0)
        goto done;
    if (secure) {
        seal_context(&ctx, call, name, number);
        master_key_seal(&sealed, call->master_key, ctx.data, value, value_len);
        json_object_set_new(ver, "Sealed", json_string(sealed.data));
    } else {
        json_object_set_new(ver, "Value", json_string(value));
    }
    if (json_array_size(versions) >= SSM_VERSIONS_MAX)
        json_array_remove(versions, 0);
    json_array_append(versions, ver);
    if (json_array_size(tags) && (rc = tags_merge(call, rec, tags)) < 0)
        goto done;

    rc = doc_version
             ? record_update(call->store, tx, SSM_KIND_PARAMETER, scope, name, doc_version, rec)
             : record_insert(call->store, tx, SSM_KIND_PARAMETER, scope, name, rec);
    if (rc == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    if (rc == 0)
        *out = json_pack("{s:I, s:s}", "Version", (json_int_t)number, "Tier", tier);
done:
    json_decref(ver);
    json_decref(rec);
    buf_release(&ctx);
    buf_release(&sealed);
    return rc;
}

/* --- Reading ----------------------------------------------------------- */

/*
 * The version a selector names in `rec`: ParameterVersionNotFound for a
 * missing version, ParameterNotFound for a missing label.
 */
static int select_version(json_t **out, struct api_call *call, json_t *rec,
                          const struct selector *sel, bool report)
{
    json_t *ver = latest_of(rec);
    if (sel->version)
        ver = version_find(rec, sel->version);
    else if (sel->label)
        ver = label_find(rec, sel->label);
    if (ver) {
        *out = ver;
        return 0;
    }
    if (!report)
        return ERR_NOT_FOUND;
    if (sel->version)
        return api_error(call, ERR_NOT_FOUND, "ParameterVersionNotFound",
                         "Systems Manager could not find version %" PRId64
                         " of %s. Verify the version and try again.",
                         sel->version, sel->name.data);
    return api_error(call, ERR_NOT_FOUND, "ParameterNotFound",
                     "Parameter %s with label %s not found.", sel->name.data, sel->label);
}

int ssm_get_parameter(struct api_call *call, json_t *in, json_t **out)
{
    const char *text = str(in, "Name") ?: "";
    struct selector sel;
    int bad = selector_parse(&sel, text);
    int rc = authorize_name(call, sel.name.data);
    json_t *rec = NULL, *ver = NULL, *param = NULL;
    if (rc == 0 && bad < 0)
        rc = invalid(call, "Invalid parameter name or selector: %s", text);
    if (rc == 0 && (rc = record_load(&rec, NULL, call, NULL, sel.name.data)) == 0 &&
        (rc = select_version(&ver, call, rec, &sel, true)) == 0 &&
        (rc = parameter_out(&param, call, sel.name.data, ver,
                            json_is_true(json_object_get(in, "WithDecryption")), sel.text)) == 0)
        *out = json_pack("{s:o}", "Parameter", param);
    json_decref(rec);
    buf_release(&sel.name);
    return rc;
}

int ssm_get_parameters(struct api_call *call, json_t *in, json_t **out)
{
    json_t *names = json_object_get(in, "Names");
    bool decrypt = json_is_true(json_object_get(in, "WithDecryption"));
    size_t i;
    json_t *n;
    int rc = 0;
    json_array_foreach(names, i, n)
    {
        struct selector sel;
        selector_parse(&sel, json_string_value(n) ?: "");
        rc = authorize_name(call, sel.name.data);
        buf_release(&sel.name);
        if (rc < 0)
            return rc;
    }
    if (json_array_size(names) == 0)
        rc = authorize_name(call, "*");
    if (rc < 0)
        return rc;
    json_t *params = json_array(), *invalids = json_array();
    json_array_foreach(names, i, n)
    {
        const char *text = json_string_value(n) ?: "";
        struct selector sel;
        json_t *rec = NULL, *ver = NULL, *param = NULL;
        char scope[SSM_SCOPE_MAX];
        scope_of(scope, call);
        int r = selector_parse(&sel, text);
        if (r == 0 && sel.name.len > 0 && sel.name.len <= STORE_NAME_MAX)
            r = record_get(&rec, NULL, call->store, NULL, SSM_KIND_PARAMETER, scope, sel.name.data);
        else
            r = ERR_NOT_FOUND;
        if (r == 0)
            r = select_version(&ver, call, rec, &sel, false);
        if (r == 0) {
            rc = parameter_out(&param, call, sel.name.data, ver, decrypt, sel.text);
            if (rc == 0)
                json_array_append_new(params, param);
        } else if (r == ERR_NOT_FOUND) {
            json_array_append_new(invalids, json_string(text));
        } else {
            rc = r;
        }
        json_decref(rec);
        buf_release(&sel.name);
        if (rc < 0)
            break;
    }
    if (rc < 0) {
        json_decref(params);
        json_decref(invalids);
        return rc;
    }
    *out = json_pack("{s:o, s:o}", "Parameters", params, "InvalidParameters", invalids);
    return 0;
}

/* --- Filters ----------------------------------------------------------- */

static bool value_in(json_t *values, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) if (s && strcmp(json_string_value(v), s) == 0) return true;
    return false;
}

static bool starts_with_any(json_t *values, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v)
    {
        const char *p = json_string_value(v);
        if (strncmp(s, p, strlen(p)) == 0)
            return true;
    }
    return false;
}

static bool contains_any(json_t *values, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) if (strstr(s, json_string_value(v))) return true;
    return false;
}

/* Whether parameter `name` lies under `path`, one level or any depth below. */
static bool under_path(const char *name, const char *path, bool recursive)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    const char *rest;
    if (len == 1 && path[0] == '/') {
        if (name[0] != '/')
            return false;
        rest = name + 1;
    } else {
        if (strncmp(name, path, len) != 0 || name[len] != '/')
            return false;
        rest = name + len + 1;
    }
    return *rest && (recursive || !strchr(rest, '/'));
}

/*
 * Checks ParameterFilters against what an operation accepts: `by_path`
 * refuses Name, Path and Tier as GetParametersByPath does.
 */
static int filters_check(struct api_call *call, json_t *filters, bool by_path)
{
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f)
    {
        const char *key = str(f, "Key") ?: "";
        const char *option = str(f, "Option");
        json_t *values = json_object_get(f, "Values");
        bool tag = strncmp(key, "tag:", 4) == 0;
        bool known = tag || strcmp(key, "Type") == 0 || strcmp(key, "KeyId") == 0 ||
                     strcmp(key, "Label") == 0 || strcmp(key, "DataType") == 0;
        if (!by_path)
            known = known || strcmp(key, "Name") == 0 || strcmp(key, "Path") == 0 ||
                    strcmp(key, "Tier") == 0;
        if (!known)
            return api_error(call, ERR_INVALID, "InvalidFilterKey",
                             "The following filter key is not valid: %s", key);
        const char *allowed;
        if (strcmp(key, "Name") == 0)
            allowed = "Equals BeginsWith Contains";
        else if (strcmp(key, "Path") == 0)
            allowed = "Recursive OneLevel";
        else if (strcmp(key, "Label") == 0 || strcmp(key, "KeyId") == 0)
            allowed = "Equals BeginsWith";
        else
            allowed = "Equals";
        if (option) {
            const char *hit = strstr(allowed, option);
            size_t len = strlen(option);
            if (!*option || !hit || (hit[len] != ' ' && hit[len] != '\0'))
                return api_error(call, ERR_INVALID, "InvalidFilterOption",
                                 "The following filter option is not valid: %s. Valid options "
                                 "include: [%s].",
                                 option, allowed);
        }
        if (!tag && json_array_size(values) == 0)
            return api_error(call, ERR_INVALID, "InvalidFilterValue",
                             "The following filter values are missing : null for filter key %s.",
                             key);
    }
    return 0;
}

/*
 * Whether a parameter passes every filter; *ver_out is the version that
 * passed (the labelled one for a Label filter, else the latest).
 */
static bool filters_match(json_t **ver_out, json_t *rec, json_t *filters)
{
    const char *name = str(rec, "Name");
    json_t *ver = latest_of(rec);
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f)
    {
        const char *key = str(f, "Key");
        const char *option = str(f, "Option") ?: "Equals";
        json_t *values = json_object_get(f, "Values");
        bool ok;
        if (strcmp(key, "Name") == 0) {
            if (strcmp(option, "BeginsWith") == 0)
                ok = starts_with_any(values, name);
            else if (strcmp(option, "Contains") == 0)
                ok = contains_any(values, name);
            else
                ok = value_in(values, name);
        } else if (strcmp(key, "Path") == 0) {
            bool recursive = strcmp(str(f, "Option") ?: "OneLevel", "Recursive") == 0;
            size_t j;
            json_t *p;
            ok = false;
            json_array_foreach(values, j, p) ok =
                ok || under_path(name, json_string_value(p), recursive);
        } else if (strcmp(key, "Label") == 0) {
            size_t j;
            json_t *l;
            json_t *found = NULL;
            json_array_foreach(values, j, l) if (!found) found =
                label_find(rec, json_string_value(l));
            ok = found != NULL;
            if (found)
                ver = found;
        } else if (strncmp(key, "tag:", 4) == 0) {
            const char *tag = str(json_object_get(rec, "Tags"), key + 4);
            ok = tag && (json_array_size(values) == 0 || value_in(values, tag));
        } else if (strcmp(key, "KeyId") == 0 && strcmp(option, "BeginsWith") == 0) {
            const char *k = str(ver, "KeyId");
            ok = k && starts_with_any(values, k);
        } else {
            ok = value_in(values, str(ver, key));
        }
        if (!ok)
            return false;
    }
    *ver_out = ver;
    return true;
}

static int max_results(size_t *out, struct api_call *call, json_t *in, int64_t max)
{
    json_t *v = json_object_get(in, "MaxResults");
    int64_t n = v ? (int64_t)json_integer_value(v) : max;
    if (n < 1 || n > max)
        return invalid(call,
                       "1 validation error detected: Value '%" PRId64
                       "' at 'maxResults' failed to satisfy constraint: Member must have value "
                       "less than or equal to %" PRId64,
                       n, max);
    *out = (size_t)n;
    return 0;
}

/*
 * Walks the scope's parameters in name order from after `token` under
 * `prefix`, keeping up to `limit` that `keep` accepts; sets *next to the
 * last name kept when more may follow.
 */
typedef int (*keep_fn)(json_t **item_out, struct api_call *call, json_t *rec, void *ctx);

static int param_scan(json_t *items, char **next, struct api_call *call, const char *prefix,
                      const char *token, size_t limit, keep_fn keep, void *ctx)
{
    char scope[SSM_SCOPE_MAX];
    scope_of(scope, call);
    char *after = NULL;
    int rc = 0;
    if (token && pagination_token_decode(&after, token) < 0)
        return api_error(call, ERR_INVALID, "InvalidNextToken", "The nextToken is not valid.");
    *next = NULL;
    bool more = true;
    while (more && rc == 0) {
        json_t *docs = NULL;
        if ((rc = record_list(&docs, &more, call->store, NULL, SSM_KIND_PARAMETER, scope, prefix,
                              after, 200)) < 0)
            break;
        size_t i;
        json_t *rec;
        json_array_foreach(docs, i, rec)
        {
            const char *name = str(rec, "Name");
            if (json_array_size(items) == limit) {
                *next = after ? xstrdup(after) : NULL;
                more = false;
                break;
            }
            free(after);
            after = xstrdup(name);
            json_t *item = NULL;
            if ((rc = keep(&item, call, rec, ctx)) < 0)
                break;
            if (item)
                json_array_append_new(items, item);
        }
        json_decref(docs);
    }
    free(after);
    return rc;
}

struct by_path {
    const char *path;
    bool recursive;
    bool decrypt;
    json_t *filters;
};

static int by_path_keep(json_t **item_out, struct api_call *call, json_t *rec, void *ctx)
{
    struct by_path *bp = ctx;
    json_t *ver = NULL;
    const char *name = str(rec, "Name");
    if (!under_path(name, bp->path, bp->recursive) || !filters_match(&ver, rec, bp->filters))
        return 0;
    return parameter_out(item_out, call, name, ver, bp->decrypt, NULL);
}

static void page_out(json_t *out, const char *member, json_t *items, char *next)
{
    json_object_set_new(out, member, items);
    if (next) {
        struct buf token = BUF_INIT;
        pagination_token_encode(&token, next);
        json_object_set_new(out, "NextToken", json_string(token.data));
        buf_release(&token);
        free(next);
    }
}

int ssm_get_parameters_by_path(struct api_call *call, json_t *in, json_t **out)
{
    const char *path = str(in, "Path") ?: "";
    int rc = authorize_name(call, path);
    if (rc < 0)
        return rc;
    if (path[0] != '/')
        return invalid(call, "The parameter doesn't meet the parameter name requirements. The "
                             "parameter name must begin with a forward slash \"/\".");
    struct by_path bp = {
        .path = path,
        .recursive = json_is_true(json_object_get(in, "Recursive")),
        .decrypt = json_is_true(json_object_get(in, "WithDecryption")),
        .filters = json_object_get(in, "ParameterFilters"),
    };
    size_t limit;
    if ((rc = max_results(&limit, call, in, 10)) < 0 ||
        (rc = filters_check(call, bp.filters, true)) < 0)
        return rc;
    struct buf prefix = BUF_INIT;
    buf_adds(&prefix, path);
    while (prefix.len > 1 && prefix.data[prefix.len - 1] == '/')
        buf_setlen(&prefix, prefix.len - 1);
    if (prefix.len > 1)
        buf_addch(&prefix, '/');
    json_t *items = json_array();
    char *next = NULL;
    rc =
        param_scan(items, &next, call, prefix.data, str(in, "NextToken"), limit, by_path_keep, &bp);
    buf_release(&prefix);
    if (rc < 0) {
        json_decref(items);
        free(next);
        return rc;
    }
    *out = json_object();
    page_out(*out, "Parameters", items, next);
    return 0;
}

/* DescribeParameters' older Filters as ParameterFilters (Equals). */
static json_t *filters_from_legacy(json_t *legacy)
{
    json_t *filters = json_array();
    size_t i;
    json_t *f;
    json_array_foreach(legacy, i, f)
        json_array_append_new(filters, json_pack("{s:O, s:O}", "Key", json_object_get(f, "Key"),
                                                 "Values", json_object_get(f, "Values")));
    return filters;
}

static int describe_keep(json_t **item_out, struct api_call *call, json_t *rec, void *ctx)
{
    json_t *ver = NULL;
    if (filters_match(&ver, rec, ctx))
        *item_out = metadata_out(call, rec);
    return 0;
}

int ssm_describe_parameters(struct api_call *call, json_t *in, json_t **out)
{
    int rc = api_authorize(call, "ssm:DescribeParameters", "*");
    if (rc < 0)
        return rc;
    json_t *legacy = json_object_get(in, "Filters");
    json_t *filters = json_object_get(in, "ParameterFilters");
    if (legacy && filters)
        return invalid(call, "You can use either Filters or ParameterFilters in a single "
                             "request.");
    size_t limit;
    if ((rc = max_results(&limit, call, in, 50)) < 0)
        return rc;
    json_t *wanted = legacy ? filters_from_legacy(legacy) : json_incref(filters);
    size_t i;
    json_t *f;
    json_array_foreach(legacy, i, f)
    {
        const char *key = str(f, "Key") ?: "";
        if (strcmp(key, "Name") != 0 && strcmp(key, "Type") != 0 && strcmp(key, "KeyId") != 0) {
            json_decref(wanted);
            return api_error(call, ERR_INVALID, "InvalidFilterKey",
                             "The following filter key is not valid: %s", key);
        }
    }
    if ((rc = filters_check(call, wanted, false)) < 0) {
        json_decref(wanted);
        return rc;
    }
    json_t *items = json_array();
    char *next = NULL;
    rc = param_scan(items, &next, call, NULL, str(in, "NextToken"), limit, describe_keep, wanted);
    json_decref(wanted);
    if (rc < 0) {
        json_decref(items);
        free(next);
        return rc;
    }
    *out = json_object();
    page_out(*out, "Parameters", items, next);
    return 0;
}

int ssm_get_parameter_history(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = str(in, "Name") ?: "";
    bool decrypt = json_is_true(json_object_get(in, "WithDecryption"));
    int rc = authorize_name(call, name);
    size_t limit;
    if (rc < 0 || (rc = max_results(&limit, call, in, 50)) < 0)
        return rc;
    int64_t after = 0;
    const char *token = str(in, "NextToken");
    if (token) {
        char *key = NULL;
        if (pagination_token_decode(&key, token) < 0)
            return api_error(call, ERR_INVALID, "InvalidNextToken", "The nextToken is not valid.");
        after = strtoll(key, NULL, 10);
        free(key);
    }
    json_t *rec = NULL;
    if ((rc = record_load(&rec, NULL, call, NULL, name)) < 0)
        return rc;
    json_t *items = json_array();
    char *next = NULL;
    size_t i;
    json_t *ver;
    json_array_foreach(versions_of(rec), i, ver)
    {
        if (version_no(ver) <= after)
            continue;
        if (json_array_size(items) == limit) {
            next = xstrdup(
                json_string_value(json_object_get(json_array_get(items, limit - 1), "_Version")));
            break;
        }
        json_t *value = NULL;
        if ((rc = value_out(&value, call, name, ver, decrypt)) < 0)
            break;
        json_t *h = json_pack("{s:s, s:o, s:O}", "Name", name, "Value", value, "Labels",
                              json_object_get(ver, "Labels"));
        common_fields(h, ver);
        char number[32];
        snprintf(number, sizeof(number), "%" PRId64, version_no(ver));
        json_object_set_new(h, "_Version", json_string(number));
        json_array_append_new(items, h);
    }
    json_array_foreach(items, i, ver) json_object_del(ver, "_Version");
    json_decref(rec);
    if (rc < 0) {
        json_decref(items);
        free(next);
        return rc;
    }
    *out = json_object();
    page_out(*out, "Parameters", items, next);
    return 0;
}

/* --- Deleting ---------------------------------------------------------- */

static int delete_one(struct api_call *call, const char *name)
{
    char scope[SSM_SCOPE_MAX];
    scope_of(scope, call);
    if (!*name || strlen(name) > STORE_NAME_MAX)
        return ERR_NOT_FOUND;
    return store_doc_delete(call->store, NULL, SSM_KIND_PARAMETER, scope, name, 0);
}

int ssm_delete_parameter(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = str(in, "Name") ?: "";
    int rc = authorize_name(call, name);
    if (rc < 0)
        return rc;
    rc = delete_one(call, name);
    if (rc == ERR_NOT_FOUND)
        return not_found(call, name);
    return rc;
}

int ssm_delete_parameters(struct api_call *call, json_t *in, json_t **out)
{
    json_t *names = json_object_get(in, "Names");
    size_t i;
    json_t *n;
    int rc = json_array_size(names) ? 0 : authorize_name(call, "*");
    json_array_foreach(names, i, n) if (rc == 0) rc =
        authorize_name(call, json_string_value(n) ?: "");
    if (rc < 0)
        return rc;
    json_t *deleted = json_array(), *invalids = json_array();
    json_array_foreach(names, i, n)
    {
        const char *name = json_string_value(n) ?: "";
        int r = delete_one(call, name);
        if (r == 0)
            json_array_append(deleted, n);
        else if (r == ERR_NOT_FOUND)
            json_array_append(invalids, n);
        else
            rc = r;
        if (rc < 0)
            break;
    }
    if (rc < 0) {
        json_decref(deleted);
        json_decref(invalids);
        return rc;
    }
    *out = json_pack("{s:o, s:o}", "DeletedParameters", deleted, "InvalidParameters", invalids);
    return 0;
}

/* --- Labels ------------------------------------------------------------ */

/* Reads, changes with `change` and writes back one parameter, in one transaction. */
typedef int (*change_fn)(json_t **out, struct api_call *call, json_t *rec, json_t *in);

static int param_change(json_t **out, struct api_call *call, const char *name, json_t *in,
                        change_fn change)
{
    char scope[SSM_SCOPE_MAX];
    scope_of(scope, call);
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *rec = NULL, *result = NULL;
    int64_t version = 0;
    int rc;
    if ((rc = store_tx_begin(&tx, call->store)) < 0 ||
        (rc = record_load(&rec, &version, call, tx, name)) < 0)
        return rc;
    if ((rc = change(&result, call, rec, in)) == 0 &&
        (rc = record_update(call->store, tx, SSM_KIND_PARAMETER, scope, name, version, rec)) == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
    json_decref(rec);
    if (rc == 0 && out)
        *out = result;
    else
        json_decref(result);
    return rc;
}

static int version_param(json_t **out, struct api_call *call, json_t *rec, json_t *in)
{
    json_t *v = json_object_get(in, "ParameterVersion");
    json_t *ver = v ? version_find(rec, json_integer_value(v)) : latest_of(rec);
    if (!ver)
        return api_error(call, ERR_NOT_FOUND, "ParameterVersionNotFound",
                         "Systems Manager could not find version %" JSON_INTEGER_FORMAT
                         " of %s. Verify the version and try again.",
                         json_integer_value(v), str(rec, "Name"));
    *out = ver;
    return 0;
}

static void label_remove(json_t *ver, const char *label)
{
    json_t *labels = json_object_get(ver, "Labels");
    for (size_t i = 0; i < json_array_size(labels); i++)
        if (strcmp(json_string_value(json_array_get(labels, i)), label) == 0)
            json_array_remove(labels, i--);
}

static int label_change(json_t **out, struct api_call *call, json_t *rec, json_t *in)
{
    json_t *ver = NULL;
    int rc = version_param(&ver, call, rec, in);
    if (rc < 0)
        return rc;
    json_t *invalids = json_array();
    json_t *labels = json_object_get(ver, "Labels");
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(in, "Labels"), i, l)
    {
        const char *label = json_string_value(l);
        if (!label_valid(label)) {
            json_array_append(invalids, l);
            continue;
        }
        if (has_label(ver, label))
            continue;
        size_t j;
        json_t *other;
        json_array_foreach(versions_of(rec), j, other) label_remove(other, label);
        json_array_append(labels, l);
    }
    if (json_array_size(labels) > SSM_LABELS_MAX) {
        json_decref(invalids);
        return api_error(call, ERR_LIMIT, "ParameterVersionLabelLimitExceeded",
                         "A parameter version can have maximum %d labels. Move one or more "
                         "labels to another version and try again.",
                         SSM_LABELS_MAX);
    }
    *out = json_pack("{s:o, s:O}", "InvalidLabels", invalids, "ParameterVersion",
                     json_object_get(ver, "Version"));
    return 0;
}

int ssm_label_parameter_version(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = str(in, "Name") ?: "";
    int rc = authorize_name(call, name);
    if (rc < 0)
        return rc;
    return param_change(out, call, name, in, label_change);
}

static int unlabel_change(json_t **out, struct api_call *call, json_t *rec, json_t *in)
{
    json_t *ver = NULL;
    int rc = version_param(&ver, call, rec, in);
    if (rc < 0)
        return rc;
    json_t *removed = json_array(), *invalids = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(in, "Labels"), i, l)
    {
        const char *label = json_string_value(l);
        if (has_label(ver, label)) {
            label_remove(ver, label);
            json_array_append(removed, l);
        } else {
            json_array_append(invalids, l);
        }
    }
    *out = json_pack("{s:o, s:o}", "RemovedLabels", removed, "InvalidLabels", invalids);
    return 0;
}

int ssm_unlabel_parameter_version(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = str(in, "Name") ?: "";
    int rc = authorize_name(call, name);
    if (rc < 0)
        return rc;
    return param_change(out, call, name, in, unlabel_change);
}

/* --- Tags -------------------------------------------------------------- */

/* The parameter a tagging call names: ResourceType "Parameter" only. */
static int tag_target(const char **name_out, struct api_call *call, json_t *in)
{
    const char *type = str(in, "ResourceType") ?: "";
    const char *id = str(in, "ResourceId") ?: "";
    int rc = authorize_name(call, id);
    if (rc < 0)
        return rc;
    if (strcmp(type, "Parameter") != 0)
        return api_error(call, ERR_INVALID, "InvalidResourceType",
                         "slipway supports tags on resources of type Parameter only, not %s", type);
    *name_out = id;
    return 0;
}

static int tag_resource_missing(struct api_call *call, int rc)
{
    if (rc == ERR_NOT_FOUND)
        return api_error(call, ERR_NOT_FOUND, "InvalidResourceId",
                         "The resource ID is not valid. Verify the ID and try again.");
    return rc;
}

static int tags_add_change(json_t **out, struct api_call *call, json_t *rec, json_t *in)
{
    (void)out;
    return tags_merge(call, rec, json_object_get(in, "Tags"));
}

int ssm_add_tags_to_resource(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = NULL;
    int rc = tag_target(&name, call, in);
    if (rc < 0 || (rc = tags_check(call, json_object_get(in, "Tags"))) < 0)
        return rc;
    return tag_resource_missing(call, param_change(NULL, call, name, in, tags_add_change));
}

static int tags_remove_change(json_t **out, struct api_call *call, json_t *rec, json_t *in)
{
    (void)out;
    (void)call;
    json_t *tags = json_object_get(rec, "Tags");
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(in, "TagKeys"), i, k)
        json_object_del(tags, json_string_value(k));
    return 0;
}

int ssm_remove_tags_from_resource(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    const char *name = NULL;
    int rc = tag_target(&name, call, in);
    if (rc < 0)
        return rc;
    return tag_resource_missing(call, param_change(NULL, call, name, in, tags_remove_change));
}

int ssm_list_tags_for_resource(struct api_call *call, json_t *in, json_t **out)
{
    const char *name = NULL;
    json_t *rec = NULL;
    int rc = tag_target(&name, call, in);
    if (rc < 0)
        return rc;
    if ((rc = record_load(&rec, NULL, call, NULL, name)) < 0) {
        call->error_code[0] = '\0';
        return tag_resource_missing(call, rc);
    }
    json_t *list = json_array();
    const char *key;
    json_t *value;
    json_object_foreach(json_object_get(rec, "Tags"), key, value)
        json_array_append_new(list, json_pack("{s:s, s:O}", "Key", key, "Value", value));
    json_decref(rec);
    *out = json_pack("{s:o}", "TagList", list);
    return 0;
}
