/*
 * Secrets Manager: secrets as one record each (kind "secretsmanager.secret",
 * scope "ACCOUNT/REGION", named by the secret's name), holding the secret's
 * metadata and its versions; every version's value is sealed with the
 * master key under the context "secretsmanager/ACCOUNT/REGION/NAME/VERSION".
 *
 * A secret scheduled for deletion also has an entry in a global index
 * (kind "secretsmanager.purge", scope "all", named "DUE/ACCOUNT/REGION/NAME"
 * with DUE the zero-padded deletion time), which the purge task walks in
 * name, that is time, order.
 */
#include "base/common.h"
#include "services/secretsmanager/secretsmanager_internal.h"
#include "aws/arn.h"
#include "aws/pagination.h"
#include "aws/policy.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/ids.h"
#include "services/common/record.h"
#include "store/master_key.h"
#include "store/store.h"

#include <ctype.h>
#include <strings.h>
#include <inttypes.h>

#define SM_KIND         "secretsmanager.secret"
#define SM_KIND_PURGE   "secretsmanager.purge"
#define SM_PURGE_SCOPE  "all"
#define SM_SCOPE_MAX    (STORE_SCOPE_MAX + 1)
#define SM_VERSIONS_MAX 100
#define SM_TAGS_MAX     50
#define SM_PURGE_BATCH  64
#define SM_LIST_SCAN    1000
#define DAY_MS          86400000LL
#define SM_ARN_MAX      2048
#define SM_SORTED_MAX   10001

#define MSG_NOT_FOUND "Secrets Manager can't find the specified secret."
#define MSG_DELETED                                                                                \
    "You can't perform this operation on the secret because it was marked for deletion."

static const char *str(json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

static int64_t num(json_t *obj, const char *name, int64_t fallback)
{
    json_t *v = json_object_get(obj, name);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : fallback;
}

static bool flag(json_t *obj, const char *name, bool fallback)
{
    json_t *v = json_object_get(obj, name);
    return json_is_boolean(v) ? json_is_true(v) : fallback;
}

static void sm_scope(char out[SM_SCOPE_MAX], const char *account, const char *region)
{
    snprintf(out, SM_SCOPE_MAX, "%s/%s", account, region);
}

static int invalid_parameter(struct api_call *call, const char *msg)
{
    return api_error(call, ERR_INVALID, "InvalidParameterException", "%s", msg);
}

static int invalid_request(struct api_call *call, const char *msg)
{
    return api_error(call, ERR_INVALID, "InvalidRequestException", "%s", msg);
}

static int not_found(struct api_call *call)
{
    return api_error(call, ERR_NOT_FOUND, "ResourceNotFoundException", MSG_NOT_FOUND);
}

static bool deleted(json_t *rec)
{
    return json_object_get(rec, "DeletedDate") != NULL;
}

/* --- Lookup and authorization ------------------------------------------ */

/*
 * Finds the record for a SecretId: a name, a full ARN or an ARN without the
 * random suffix. *rec_out is NULL (and 0 returned) when there is none.
 */
static int secret_find(json_t **rec_out, int64_t *version_out, struct api_call *call,
                       struct store_tx *tx, const char *id)
{
    char scope[SM_SCOPE_MAX];
    sm_scope(scope, call->account_id, call->region);
    *rec_out = NULL;
    json_t *rec = NULL;
    int rc;
    if (strncmp(id, "arn:", 4) != 0) {
        rc = record_get(&rec, version_out, call->store, tx, SM_KIND, scope, id);
        if (rc == 0)
            *rec_out = rec;
        return rc == ERR_NOT_FOUND ? 0 : rc;
    }
    const char *res = strstr(id, ":secret:");
    if (!res)
        return 0;
    res += strlen(":secret:");
    size_t len = strlen(res);
    /* A full ARN: the name is followed by "-" and six characters. */
    if (len > 7 && res[len - 7] == '-') {
        char *name = xstrndup(res, len - 7);
        rc = record_get(&rec, version_out, call->store, tx, SM_KIND, scope, name);
        free(name);
        if (rc == 0 && strcmp(str(rec, "ARN"), id) == 0) {
            *rec_out = rec;
            return 0;
        }
        json_decref(rec);
        rec = NULL;
        if (rc < 0 && rc != ERR_NOT_FOUND)
            return rc;
    }
    /* A partial ARN: the name alone. */
    rc = record_get(&rec, version_out, call->store, tx, SM_KIND, scope, res);
    if (rc == ERR_NOT_FOUND)
        return 0;
    if (rc < 0)
        return rc;
    const char *arn = str(rec, "ARN");
    size_t id_len = strlen(id);
    if (strncmp(arn, id, id_len) == 0 && strlen(arn) == id_len + 7 && arn[id_len] == '-')
        *rec_out = rec;
    else
        json_decref(rec);
    return 0;
}

/*
 * Asks whether the caller may do `action` on the secret `arn` (`rec` NULL
 * when it does not exist), with the secret's resource policy and its tags
 * as aws:ResourceTag conditions.
 */
static int secret_authorize(struct api_call *call, const char *action, const char *arn, json_t *rec)
{
    const char *policy = rec ? str(rec, "ResourcePolicy") : NULL;
    json_t *tags = rec ? json_object_get(rec, "Tags") : NULL;
    size_t n = 0, count = json_array_size(tags);
    struct api_condition *conds = xcalloc(count + 1, sizeof(*conds));
    char **keys = xcalloc(count + 1, sizeof(*keys));
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        struct buf key = BUF_INIT;
        buf_addf(&key, "aws:ResourceTag/%s", str(t, "Key"));
        keys[n] = buf_detach(&key, NULL);
        conds[n] = (struct api_condition){keys[n], str(t, "Value")};
        n++;
    }
    char policy_id[SM_ARN_MAX + 40] = "";
    if (policy)
        snprintf(policy_id, sizeof(policy_id), "secretsmanager:%s#%" PRId64, arn,
                 num(rec, "PolicyRevision", 0));
    struct api_authz req = {
        .action = action,
        .resource = arn,
        .resource_policy = policy,
        .resource_policy_id = policy ? policy_id : NULL,
        .conditions = conds,
        .condition_count = n,
    };
    int rc = api_authorize_request(call, &req);
    for (i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    free(conds);
    return rc;
}

/*
 * Finds the secret `id` and asks whether the caller may do `action` on it
 * (on the ARN it would have when there is none, so that a caller without
 * permission learns nothing of its existence). ResourceNotFoundException
 * when it does not exist.
 */
static int secret_open(json_t **rec_out, int64_t *version_out, struct api_call *call,
                       struct store_tx *tx, const char *id, const char *action)
{
    json_t *rec = NULL;
    int rc = secret_find(&rec, version_out, call, tx, id);
    if (rc < 0)
        return rc;
    struct buf arn = BUF_INIT;
    if (rec)
        buf_adds(&arn, str(rec, "ARN"));
    else if (strncmp(id, "arn:", 4) == 0)
        buf_adds(&arn, id);
    else {
        struct buf res = BUF_INIT;
        buf_addf(&res, "secret:%s", id);
        arn_format(&arn, "secretsmanager", call->region, call->account_id, res.data);
        buf_release(&res);
    }
    char own_action[96];
    if (!action) {
        api_action_name(own_action, sizeof(own_action), call);
        action = own_action;
    }
    rc = secret_authorize(call, action, arn.data, rec);
    buf_release(&arn);
    if (rc == 0 && !rec)
        rc = not_found(call);
    if (rc < 0) {
        json_decref(rec);
        return rc;
    }
    *rec_out = rec;
    return 0;
}

/*
 * The start of every change to one secret: the transaction, then the secret
 * the request's SecretId names (authorized for the call's action) within it.
 * On failure *tx is still the caller's to roll back.
 */
static int secret_begin_change(struct store_tx **tx, json_t **rec, int64_t *version,
                               struct api_call *call, json_t *in)
{
    int rc = store_tx_begin(tx, call->store);
    if (rc < 0)
        return rc;
    return secret_open(rec, version, call, *tx, str(in, "SecretId"), NULL);
}

/* --- Versions and stages ----------------------------------------------- */

static json_t *versions(json_t *rec)
{
    json_t *v = json_object_get(rec, "Versions");
    if (!v) {
        v = json_object();
        json_object_set_new(rec, "Versions", v);
    }
    return v;
}

static bool stages_has(json_t *stages, const char *stage)
{
    size_t i;
    json_t *s;
    json_array_foreach(stages, i, s)
    {
        if (strcmp(json_string_value(s), stage) == 0)
            return true;
    }
    return false;
}

static void stages_remove(json_t *stages, const char *stage)
{
    for (size_t i = json_array_size(stages); i-- > 0;) {
        if (strcmp(json_string_value(json_array_get(stages, i)), stage) == 0)
            json_array_remove(stages, i);
    }
}

/* The version holding `stage`, NULL when none does. */
static const char *stage_holder(json_t *rec, const char *stage)
{
    const char *vid;
    json_t *v;
    json_object_foreach(versions(rec), vid, v)
    {
        if (stages_has(json_object_get(v, "Stages"), stage))
            return vid;
    }
    return NULL;
}

/*
 * Attaches `stage` to version `to`, taking it from whichever version held
 * it; AWSCURRENT leaves AWSPREVIOUS on the version it left.
 */
static void stage_move(json_t *rec, const char *stage, const char *to)
{
    const char *from = stage_holder(rec, stage);
    if (from && strcmp(from, to) == 0)
        return;
    json_t *vs = versions(rec);
    if (from) {
        stages_remove(json_object_get(json_object_get(vs, from), "Stages"), stage);
        if (strcmp(stage, "AWSCURRENT") == 0)
            stage_move(rec, "AWSPREVIOUS", from);
    }
    json_t *target = json_object_get(json_object_get(vs, to), "Stages");
    if (!stages_has(target, stage))
        json_array_append_new(target, json_string(stage));
}

/* Drops the oldest versions without stages beyond SM_VERSIONS_MAX. */
static void versions_prune(json_t *rec)
{
    json_t *vs = versions(rec);
    while (json_object_size(vs) > SM_VERSIONS_MAX) {
        const char *oldest = NULL, *vid;
        int64_t oldest_ms = INT64_MAX;
        json_t *v;
        json_object_foreach(vs, vid, v)
        {
            if (json_array_size(json_object_get(v, "Stages")) == 0 &&
                num(v, "CreatedDate", 0) < oldest_ms) {
                oldest = vid;
                oldest_ms = num(v, "CreatedDate", 0);
            }
        }
        if (!oldest)
            return;
        json_object_del(vs, oldest);
    }
}

static void seal_context(struct buf *out, struct api_call *call, const char *name, const char *vid)
{
    buf_addf(out, "secretsmanager/%s/%s/%s/%s", call->account_id, call->region, name, vid);
}

/* The plaintext of a version into `out`; *binary_out says which kind. */
static int version_open(struct buf *out, bool *binary_out, struct api_call *call, json_t *rec,
                        const char *vid)
{
    json_t *v = json_object_get(versions(rec), vid);
    const char *sealed = str(v, "Sealed");
    if (!sealed)
        return api_error(call, ERR_INTERNAL, "DecryptionFailure", "version '%s' has no value", vid);
    struct buf ctx = BUF_INIT;
    seal_context(&ctx, call, str(rec, "Name"), vid);
    int rc = master_key_open(out, call->master_key, ctx.data, sealed, strlen(sealed));
    buf_release(&ctx);
    if (rc < 0)
        return api_error(call, ERR_INTERNAL, "DecryptionFailure",
                         "Secrets Manager can't decrypt the protected secret text using the "
                         "provided KMS key.");
    *binary_out = flag(v, "Binary", false);
    return 0;
}

/* The value an input carries: SecretString or SecretBinary, or neither. */
struct secret_value {
    json_t *value; /* borrowed; NULL when the input carries none */
    bool binary;
};

static int value_from_input(struct secret_value *out, struct api_call *call, json_t *in)
{
    json_t *s = json_object_get(in, "SecretString");
    json_t *b = json_object_get(in, "SecretBinary");
    if (s && b)
        return invalid_parameter(call, "You can't specify both a binary secret value and a "
                                       "string secret value in the same secret.");
    out->value = s ? s : b;
    out->binary = b != NULL;
    return 0;
}

/*
 * Adds version `vid` with `value` and `stages` (AWSCURRENT when NULL) to the
 * record. When the version exists already with the same value, nothing
 * changes (a retried request); with another value it is
 * ResourceExistsException.
 */
static int version_add(struct api_call *call, json_t *rec, const char *vid,
                       const struct secret_value *value, json_t *stages)
{
    json_t *vs = versions(rec);
    json_t *existing = json_object_get(vs, vid);
    if (existing) {
        struct buf plain = BUF_INIT;
        bool binary = false;
        int rc = version_open(&plain, &binary, call, rec, vid);
        bool same = rc == 0 && binary == value->binary &&
                    plain.len == json_string_length(value->value) &&
                    memcmp(plain.data, json_string_value(value->value), plain.len) == 0;
        buf_release(&plain);
        if (rc < 0)
            return rc;
        if (!same)
            return api_error(call, ERR_EXISTS, "ResourceExistsException",
                             "You can't modify an existing version, you can only create a new "
                             "version.");
        return 0;
    }
    struct buf ctx = BUF_INIT, sealed = BUF_INIT;
    seal_context(&ctx, call, str(rec, "Name"), vid);
    master_key_seal(&sealed, call->master_key, ctx.data, json_string_value(value->value),
                    json_string_length(value->value));
    json_t *v = json_pack("{s:I, s:[], s:s, s:b}", "CreatedDate", (json_int_t)call->now_ms,
                          "Stages", "Sealed", sealed.data, "Binary", value->binary);
    buf_release(&ctx);
    buf_release(&sealed);
    json_object_set_new(vs, vid, v);
    if (json_array_size(stages)) {
        size_t i;
        json_t *s;
        json_array_foreach(stages, i, s)
        {
            stage_move(rec, json_string_value(s), vid);
        }
    } else {
        stage_move(rec, "AWSCURRENT", vid);
    }
    versions_prune(rec);
    json_object_set_new(rec, "LastChangedDate", json_integer(call->now_ms));
    return 0;
}

static void version_id_choose(char out[65], json_t *in)
{
    const char *token = str(in, "ClientRequestToken");
    if (token)
        snprintf(out, 65, "%s", token);
    else
        uuid_v4(out);
}

/* --- Outputs -------------------------------------------------------------- */

static json_t *versions_to_stages(json_t *rec)
{
    json_t *map = json_object();
    const char *vid;
    json_t *v;
    json_object_foreach(versions(rec), vid, v)
    {
        json_t *stages = json_object_get(v, "Stages");
        if (json_array_size(stages))
            json_object_set(map, vid, stages);
    }
    return map;
}

/* DescribeSecret's output and ListSecrets' entries. */
static json_t *secret_describe(json_t *rec, const char *map_member)
{
    json_t *o = json_pack("{s:O, s:O}", "ARN", json_object_get(rec, "ARN"), "Name",
                          json_object_get(rec, "Name"));
    static const char *const copied[] = {"Description",      "KmsKeyId",    "LastChangedDate",
                                         "LastAccessedDate", "DeletedDate", "CreatedDate"};
    for (size_t i = 0; i < ARRAY_SIZE(copied); i++) {
        json_t *v = json_object_get(rec, copied[i]);
        if (v)
            json_object_set(o, copied[i], v);
    }
    if (json_array_size(json_object_get(rec, "Tags")))
        json_object_set(o, "Tags", json_object_get(rec, "Tags"));
    json_object_set_new(o, map_member, versions_to_stages(rec));
    return o;
}

static json_t *arn_name(json_t *rec)
{
    return json_pack("{s:O, s:O}", "ARN", json_object_get(rec, "ARN"), "Name",
                     json_object_get(rec, "Name"));
}

/* --- Tags ----------------------------------------------------------------- */

static void tags_merge(json_t *rec, json_t *tags)
{
    json_t *have = json_object_get(rec, "Tags");
    if (!have) {
        have = json_array();
        json_object_set_new(rec, "Tags", have);
    }
    size_t i, j;
    json_t *t, *h;
    json_array_foreach(tags, i, t)
    {
        const char *key = str(t, "Key");
        if (!key)
            continue;
        bool replaced = false;
        json_array_foreach(have, j, h)
        {
            if (strcmp(str(h, "Key"), key) == 0) {
                json_object_set_new(h, "Value", json_string(str(t, "Value") ?: ""));
                replaced = true;
            }
        }
        if (!replaced)
            json_array_append_new(
                have, json_pack("{s:s, s:s}", "Key", key, "Value", str(t, "Value") ?: ""));
    }
}

static int tags_check(struct api_call *call, json_t *rec)
{
    if (json_array_size(json_object_get(rec, "Tags")) > SM_TAGS_MAX)
        return api_error(call, ERR_LIMIT, "ValidationException",
                         "Number of tags exceeds the limit of %d tags per secret", SM_TAGS_MAX);
    return 0;
}

/* --- Writes ------------------------------------------------------------ */

static int secret_write(struct api_call *call, struct store_tx *tx, json_t *rec, int64_t version)
{
    char scope[SM_SCOPE_MAX];
    sm_scope(scope, call->account_id, call->region);
    return record_update(call->store, tx, SM_KIND, scope, str(rec, "Name"), version, rec);
}

static bool name_valid(const char *name)
{
    for (const char *p = name; *p; p++) {
        if (!isalnum((unsigned char)*p) && !strchr("/_+=.@-", *p))
            return false;
    }
    return *name != '\0';
}

int sm_create_secret(struct api_call *call, json_t *in, json_t **out)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    const char *name = str(in, "Name");
    char scope[SM_SCOPE_MAX];
    sm_scope(scope, call->account_id, call->region);

    /* The ARN it will have: "secret:NAME-" and six random characters. */
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    uint8_t rnd[6];
    random_bytes(rnd, sizeof(rnd));
    struct buf res = BUF_INIT, arn = BUF_INIT;
    buf_addf(&res, "secret:%s-", name);
    for (size_t i = 0; i < sizeof(rnd); i++)
        buf_addch(&res, alphabet[rnd[i] % (sizeof(alphabet) - 1)]);
    arn_format(&arn, "secretsmanager", call->region, call->account_id, res.data);
    buf_release(&res);
    int rc = api_authorize(call, "secretsmanager:CreateSecret", arn.data);
    if (rc == 0 && json_array_size(json_object_get(in, "Tags")))
        rc = api_authorize(call, "secretsmanager:TagResource", arn.data);
    if (rc < 0)
        goto done;
    if (!name_valid(name)) {
        rc = invalid_parameter(call, "Invalid name. Must be a valid name containing "
                                     "alphanumeric characters, or any of the following: "
                                     "-/_+=.@!");
        goto done;
    }
    if (json_array_size(json_object_get(in, "AddReplicaRegions"))) {
        rc = invalid_request(call, "replication to other regions is not supported by slipway");
        goto done;
    }
    struct secret_value value;
    if ((rc = value_from_input(&value, call, in)) < 0)
        goto done;
    char vid[65];
    version_id_choose(vid, in);

    json_t *rec = NULL;
    if ((rc = store_tx_begin(&tx, call->store)) < 0)
        goto done;
    int64_t version = 0;
    rc = record_get(&rec, &version, call->store, tx, SM_KIND, scope, name);
    if (rc == 0) {
        /* A retry of this very request succeeds again; anything else fails. */
        if (deleted(rec))
            rc = invalid_request(call, "You can't create this secret because a secret with "
                                       "this name is already scheduled for deletion.");
        else if (value.value && json_object_get(versions(rec), vid) &&
                 (rc = version_add(call, rec, vid, &value, NULL)) == 0)
            *out = json_pack("{s:O, s:O, s:s}", "ARN", json_object_get(rec, "ARN"), "Name",
                             json_object_get(rec, "Name"), "VersionId", vid);
        else if (rc == 0 || rc == ERR_EXISTS)
            rc = api_error(call, ERR_EXISTS, "ResourceExistsException",
                           "The operation failed because the secret %s already exists.", name);
        json_decref(rec);
        goto done;
    }
    if (rc != ERR_NOT_FOUND)
        goto done;
    rec = json_pack("{s:s, s:s, s:I, s:I, s:{}}", "Name", name, "ARN", arn.data, "CreatedDate",
                    (json_int_t)call->now_ms, "LastChangedDate", (json_int_t)call->now_ms,
                    "Versions");
    if (str(in, "Description"))
        json_object_set(rec, "Description", json_object_get(in, "Description"));
    if (str(in, "KmsKeyId") && *str(in, "KmsKeyId"))
        json_object_set(rec, "KmsKeyId", json_object_get(in, "KmsKeyId"));
    tags_merge(rec, json_object_get(in, "Tags"));
    if ((rc = tags_check(call, rec)) == 0 &&
        (!value.value || (rc = version_add(call, rec, vid, &value, NULL)) == 0) &&
        (rc = record_insert(call->store, tx, SM_KIND, scope, name, rec)) == 0 &&
        (rc = store_tx_commit(TAKE_PTR(tx))) == 0) {
        *out = arn_name(rec);
        if (value.value)
            json_object_set_new(*out, "VersionId", json_string(vid));
    }
    json_decref(rec);
done:
    buf_release(&arn);
    return rc;
}

int sm_put_secret_value(struct api_call *call, json_t *in, json_t **out)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *rec = NULL;
    int64_t version;
    int rc;
    if ((rc = secret_begin_change(&tx, &rec, &version, call, in)) < 0)
        return rc;
    struct secret_value value;
    char vid[65];
    version_id_choose(vid, in);
    if ((rc = value_from_input(&value, call, in)) < 0)
        goto done;
    if (!value.value) {
        rc = invalid_parameter(call, "You must provide either SecretString or SecretBinary.");
        goto done;
    }
    if (deleted(rec)) {
        rc = invalid_request(call, MSG_DELETED);
        goto done;
    }
    bool existed = json_object_get(versions(rec), vid) != NULL;
    if ((rc = version_add(call, rec, vid, &value, json_object_get(in, "VersionStages"))) < 0)
        goto done;
    if (!existed && ((rc = secret_write(call, tx, rec, version)) < 0 ||
                     (rc = store_tx_commit(TAKE_PTR(tx))) < 0))
        goto done;
    *out = arn_name(rec);
    json_object_set_new(*out, "VersionId", json_string(vid));
    json_object_set(*out, "VersionStages",
                    json_object_get(json_object_get(versions(rec), vid), "Stages"));
done:
    json_decref(rec);
    return rc;
}

int sm_update_secret(struct api_call *call, json_t *in, json_t **out)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *rec = NULL;
    int64_t version;
    int rc;
    if ((rc = secret_begin_change(&tx, &rec, &version, call, in)) < 0)
        return rc;
    struct secret_value value;
    char vid[65];
    version_id_choose(vid, in);
    if ((rc = value_from_input(&value, call, in)) < 0)
        goto done;
    if (deleted(rec)) {
        rc = invalid_request(call, MSG_DELETED);
        goto done;
    }
    if (json_object_get(in, "Description"))
        json_object_set(rec, "Description", json_object_get(in, "Description"));
    if (str(in, "KmsKeyId")) {
        if (*str(in, "KmsKeyId"))
            json_object_set(rec, "KmsKeyId", json_object_get(in, "KmsKeyId"));
        else
            json_object_del(rec, "KmsKeyId");
    }
    json_object_set_new(rec, "LastChangedDate", json_integer(call->now_ms));
    if (value.value && (rc = version_add(call, rec, vid, &value, NULL)) < 0)
        goto done;
    if ((rc = secret_write(call, tx, rec, version)) < 0 || (rc = store_tx_commit(TAKE_PTR(tx))) < 0)
        goto done;
    *out = arn_name(rec);
    if (value.value)
        json_object_set_new(*out, "VersionId", json_string(vid));
done:
    json_decref(rec);
    return rc;
}

int sm_update_secret_version_stage(struct api_call *call, json_t *in, json_t **out)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *rec = NULL;
    int64_t version;
    int rc;
    if ((rc = secret_begin_change(&tx, &rec, &version, call, in)) < 0)
        return rc;
    const char *stage = str(in, "VersionStage");
    const char *remove = str(in, "RemoveFromVersionId");
    const char *move = str(in, "MoveToVersionId");
    json_t *vs = versions(rec);
    const char *holder = stage_holder(rec, stage);
    if (deleted(rec)) {
        rc = invalid_request(call, MSG_DELETED);
        goto done;
    }
    if ((remove && !json_object_get(vs, remove)) || (move && !json_object_get(vs, move))) {
        rc = invalid_parameter(call, "The specified version doesn't exist.");
        goto done;
    }
    if (remove && (!holder || strcmp(holder, remove) != 0)) {
        rc = invalid_parameter(call, "The staging label is not attached to the version "
                                     "specified in RemoveFromVersionId.");
        goto done;
    }
    if (move && holder && strcmp(holder, move) != 0 && !remove) {
        rc = api_error(call, ERR_INVALID, "InvalidParameterException",
                       "The parameter RemoveFromVersionId can't be empty. Staging label %s is "
                       "currently attached to version %s, so you must explicitly reference "
                       "that version in RemoveFromVersionId.",
                       stage, holder);
        goto done;
    }
    if (!move && strcmp(stage, "AWSCURRENT") == 0) {
        rc = invalid_parameter(call, "You can't remove the staging label AWSCURRENT from a "
                                     "version; move it to another version instead.");
        goto done;
    }
    if (move)
        stage_move(rec, stage, move);
    else if (remove)
        stages_remove(json_object_get(json_object_get(vs, remove), "Stages"), stage);
    versions_prune(rec);
    json_object_set_new(rec, "LastChangedDate", json_integer(call->now_ms));
    if ((rc = secret_write(call, tx, rec, version)) < 0 || (rc = store_tx_commit(TAKE_PTR(tx))) < 0)
        goto done;
    *out = arn_name(rec);
done:
    json_decref(rec);
    return rc;
}

/* --- Reads ---------------------------------------------------------------- */

/* Picks the version a GetSecretValue-style request names, into `vid`. */
static int version_pick(const char **vid_out, struct api_call *call, json_t *rec, const char *vid,
                        const char *stage)
{
    json_t *vs = versions(rec);
    if (vid) {
        json_t *v = json_object_get(vs, vid);
        if (!v)
            return api_error(call, ERR_NOT_FOUND, "ResourceNotFoundException",
                             "Secrets Manager can't find the specified secret value for "
                             "VersionId: %s",
                             vid);
        if (stage && !stages_has(json_object_get(v, "Stages"), stage))
            return api_error(call, ERR_NOT_FOUND, "ResourceNotFoundException",
                             "Secrets Manager can't find the specified secret value for "
                             "VersionId: %s and staging label: %s",
                             vid, stage);
        *vid_out = json_object_iter_key(json_object_iter_at(vs, vid));
        return 0;
    }
    if (!stage)
        stage = "AWSCURRENT";
    const char *holder = stage_holder(rec, stage);
    if (!holder)
        return api_error(call, ERR_NOT_FOUND, "ResourceNotFoundException",
                         "Secrets Manager can't find the specified secret value for staging "
                         "label: %s",
                         stage);
    *vid_out = holder;
    return 0;
}

/* The output of GetSecretValue (and a BatchGetSecretValue entry). */
static int secret_value_out(json_t **out, struct api_call *call, json_t *rec, const char *vid,
                            const char *stage)
{
    if (deleted(rec))
        return invalid_request(call, MSG_DELETED);
    const char *picked = NULL;
    int rc = version_pick(&picked, call, rec, vid, stage);
    if (rc < 0)
        return rc;
    struct buf plain = BUF_INIT;
    bool binary;
    if ((rc = version_open(&plain, &binary, call, rec, picked)) < 0) {
        buf_release(&plain);
        return rc;
    }
    json_t *v = json_object_get(versions(rec), picked);
    json_t *o = arn_name(rec);
    json_object_set_new(o, "VersionId", json_string(picked));
    json_object_set_new(o, binary ? "SecretBinary" : "SecretString",
                        json_stringn_nocheck(plain.data, plain.len));
    json_object_set(o, "VersionStages", json_object_get(v, "Stages"));
    json_object_set(o, "CreatedDate", json_object_get(v, "CreatedDate"));
    buf_release(&plain);
    *out = o;
    return 0;
}

/*
 * Records that the secret was read today: LastAccessedDate is a date (UTC
 * midnight), so a secret read all day costs one write. A concurrent change
 * wins over the stamp (it is tried again at the next read).
 */
static void access_stamp(struct api_call *call, json_t *rec, int64_t version)
{
    int64_t today = call->now_ms - call->now_ms % DAY_MS;
    if (num(rec, "LastAccessedDate", 0) == today)
        return;
    json_object_set_new(rec, "LastAccessedDate", json_integer(today));
    if (secret_write(call, NULL, rec, version) < 0)
        err_clear();
}

int sm_get_secret_value(struct api_call *call, json_t *in, json_t **out)
{
    json_t *rec = NULL;
    int64_t version = 0;
    int rc = secret_open(&rec, &version, call, NULL, str(in, "SecretId"), NULL);
    if (rc < 0)
        return rc;
    rc = secret_value_out(out, call, rec, str(in, "VersionId"), str(in, "VersionStage"));
    if (rc == 0)
        access_stamp(call, rec, version);
    json_decref(rec);
    return rc;
}

int sm_describe_secret(struct api_call *call, json_t *in, json_t **out)
{
    json_t *rec = NULL;
    int rc = secret_open(&rec, NULL, call, NULL, str(in, "SecretId"), NULL);
    if (rc < 0)
        return rc;
    *out = secret_describe(rec, "VersionIdsToStages");
    json_decref(rec);
    return 0;
}

static int version_cmp(const void *a, const void *b)
{
    json_t *va = *(json_t *const *)a, *vb = *(json_t *const *)b;
    int64_t ca = num(va, "CreatedDate", 0), cb = num(vb, "CreatedDate", 0);
    if (ca != cb)
        return ca > cb ? -1 : 1;
    return strcmp(str(va, "VersionId"), str(vb, "VersionId"));
}

int sm_list_secret_version_ids(struct api_call *call, json_t *in, json_t **out)
{
    json_t *rec = NULL;
    int rc = secret_open(&rec, NULL, call, NULL, str(in, "SecretId"), NULL);
    if (rc < 0)
        return rc;
    size_t start = 0;
    if (str(in, "NextToken")) {
        char *after = NULL;
        char *end = NULL;
        if (pagination_token_decode(&after, str(in, "NextToken")) < 0 ||
            (start = strtoull(after, &end, 10), *end != '\0')) {
            free(after);
            json_decref(rec);
            return api_error(call, ERR_INVALID, "InvalidNextTokenException",
                             "The NextToken value is invalid.");
        }
        free(after);
    }
    size_t max = (size_t)num(in, "MaxResults", 100);
    bool deprecated = flag(in, "IncludeDeprecated", false);
    json_t *vs = versions(rec);
    size_t n = 0;
    json_t **all = xcalloc(json_object_size(vs) + 1, sizeof(*all));
    const char *vid;
    json_t *v;
    json_object_foreach(vs, vid, v)
    {
        json_t *stages = json_object_get(v, "Stages");
        if (!deprecated && json_array_size(stages) == 0)
            continue;
        json_t *e = json_pack("{s:s, s:O}", "VersionId", vid, "CreatedDate",
                              json_object_get(v, "CreatedDate"));
        if (json_array_size(stages))
            json_object_set(e, "VersionStages", stages);
        all[n++] = e;
    }
    qsort(all, n, sizeof(*all), version_cmp);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        if (i >= start && i < start + max)
            json_array_append(list, all[i]);
        json_decref(all[i]);
    }
    free(all);
    *out = arn_name(rec);
    json_object_set_new(*out, "Versions", list);
    if (start + max < n) {
        char pos[32];
        struct buf token = BUF_INIT;
        snprintf(pos, sizeof(pos), "%zu", start + max);
        pagination_token_encode(&token, pos);
        json_object_set_new(*out, "NextToken", json_string(token.data));
        buf_release(&token);
    }
    json_decref(rec);
    return 0;
}

/* --- ListSecrets and its filters ------------------------------------------ */

/* Whether `text` starts with `want`, case-sensitively or not. */
static bool prefix_matches(const char *text, size_t text_len, const char *want, size_t want_len,
                           bool nocase)
{
    if (!text || text_len < want_len)
        return false;
    return nocase ? strncasecmp(text, want, want_len) == 0 : memcmp(text, want, want_len) == 0;
}

/* Where a word ends: at a non-alphanumeric, a lower-to-upper case change,
 * or a change between letter and digit. */
static size_t word_len(const char *s)
{
    size_t n = 0;
    while (isalnum((unsigned char)s[n])) {
        unsigned char c = (unsigned char)s[n], d = (unsigned char)s[n + 1];
        n++;
        if (!isalnum(d) || (islower(c) && isupper(d)) || (isalpha(c) != 0) != (isalpha(d) != 0))
            break;
    }
    return n;
}

/* Whether one of the words of `text` starts with `word`, ignoring case. */
static bool words_match(const char *text, const char *word, size_t len)
{
    if (!text)
        return false;
    for (const char *p = text; *p;) {
        size_t n = word_len(p);
        if (n == 0) {
            p++;
            continue;
        }
        if (prefix_matches(p, n, word, len, true))
            return true;
        p += n;
    }
    return false;
}

/* "all": any word of `want` is a word prefix in the name, description or tags. */
static bool all_matches(json_t *rec, const char *want)
{
    for (const char *p = want; *p;) {
        size_t n = word_len(p);
        if (n == 0) {
            p++;
            continue;
        }
        if (words_match(str(rec, "Name"), p, n) || words_match(str(rec, "Description"), p, n))
            return true;
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(rec, "Tags"), i, t)
        {
            if (words_match(str(t, "Key"), p, n) || words_match(str(t, "Value"), p, n))
                return true;
        }
        p += n;
    }
    return false;
}

/*
 * One filter value against a secret, as AWS documents the keys: prefix
 * matches, case-sensitive but for description; "all" by words, ignoring
 * case.
 */
static bool filter_key_matches(json_t *rec, const char *key, const char *want)
{
    size_t i, len = strlen(want);
    json_t *t;
    if (strcmp(key, "all") == 0)
        return all_matches(rec, want);
    if (strcmp(key, "name") == 0) {
        const char *name = str(rec, "Name");
        return prefix_matches(name, strlen(name), want, len, false);
    }
    if (strcmp(key, "description") == 0) {
        const char *d = str(rec, "Description");
        return d && prefix_matches(d, strlen(d), want, len, true);
    }
    bool tag_key = strcmp(key, "tag-key") == 0;
    if (!tag_key && strcmp(key, "tag-value") != 0)
        return false; /* primary-region, owning-service: nothing has them */
    json_array_foreach(json_object_get(rec, "Tags"), i, t)
    {
        const char *v = str(t, tag_key ? "Key" : "Value");
        if (v && prefix_matches(v, strlen(v), want, len, false))
            return true;
    }
    return false;
}

/* Filters AND together; the values of one filter OR, a "!" value negates. */
static bool filters_match(json_t *rec, json_t *filters)
{
    size_t i, j;
    json_t *f, *v;
    json_array_foreach(filters, i, f)
    {
        const char *key = str(f, "Key");
        if (!key)
            continue;
        bool any = false;
        json_array_foreach(json_object_get(f, "Values"), j, v)
        {
            const char *want = json_string_value(v);
            bool negate = want[0] == '!';
            bool hit = filter_key_matches(rec, key, want + negate);
            if (hit != negate)
                any = true;
        }
        if (!any)
            return false;
    }
    return true;
}

/*
 * Up to `max` records of the caller's secrets that pass the filters, in
 * name order after `after`; *next_out (malloc'd) is where to continue, NULL
 * at the end. Examines at most SM_LIST_SCAN records per call.
 */
static int secrets_list(json_t **out, char **next_out, struct api_call *call, json_t *filters,
                        bool include_deleted, const char *after, size_t max)
{
    char scope[SM_SCOPE_MAX];
    sm_scope(scope, call->account_id, call->region);
    json_t *found = json_array();
    char *cursor = after ? xstrdup(after) : NULL;
    size_t scanned = 0;
    bool more = true;
    while (more && json_array_size(found) < max && scanned < SM_LIST_SCAN) {
        json_t *page = NULL;
        int rc = record_list(&page, &more, call->store, NULL, SM_KIND, scope, NULL, cursor, 100);
        if (rc < 0) {
            free(cursor);
            json_decref(found);
            return rc;
        }
        size_t i;
        json_t *rec;
        json_array_foreach(page, i, rec)
        {
            scanned++;
            free(cursor);
            cursor = xstrdup(str(rec, "_name"));
            if ((!include_deleted && deleted(rec)) || !filters_match(rec, filters))
                continue;
            json_array_append(found, rec);
            if (json_array_size(found) >= max) {
                more = more || i + 1 < json_array_size(page);
                break;
            }
        }
        json_decref(page);
    }
    if (!more) {
        free(cursor);
        cursor = NULL;
    }
    *out = found;
    *next_out = cursor;
    return 0;
}

static int next_token_in(char **after_out, struct api_call *call, json_t *in)
{
    *after_out = NULL;
    const char *token = str(in, "NextToken");
    if (token && pagination_token_decode(after_out, token) < 0)
        return api_error(call, ERR_INVALID, "InvalidNextTokenException",
                         "The NextToken value is invalid.");
    return 0;
}

static void next_token_out(json_t *out, const char *next)
{
    if (!next)
        return;
    struct buf token = BUF_INIT;
    pagination_token_encode(&token, next);
    json_object_set_new(out, "NextToken", json_string(token.data));
    buf_release(&token);
}

/* The ordering ListSecrets' SortBy and SortOrder ask for. */
struct list_order {
    const char *member; /* a record member, "Name" or a date */
    bool desc;
};

static _Thread_local struct list_order order_ctx; /* qsort has no context argument */

static int list_order_cmp(const void *a, const void *b)
{
    json_t *ra = *(json_t *const *)a, *rb = *(json_t *const *)b;
    int c;
    if (strcmp(order_ctx.member, "Name") == 0) {
        c = strcmp(str(ra, "Name"), str(rb, "Name"));
    } else {
        int64_t x = num(ra, order_ctx.member, 0), y = num(rb, order_ctx.member, 0);
        c = x < y ? -1 : x > y;
        if (c == 0)
            c = strcmp(str(ra, "Name"), str(rb, "Name"));
    }
    return order_ctx.desc ? -c : c;
}

/*
 * A sorted listing: every matching secret (at most SM_SORTED_MAX) is read
 * and sorted; the token holds the position in that order.
 */
static int secrets_list_sorted(json_t **out, char **next_out, struct api_call *call, json_t *in,
                               const char *token_pos, size_t max)
{
    size_t start = 0;
    if (token_pos) {
        char *end = NULL;
        if (token_pos[0] != '#' || (start = strtoull(token_pos + 1, &end, 10), *end != '\0'))
            return api_error(call, ERR_INVALID, "InvalidNextTokenException",
                             "The NextToken value is invalid.");
    }
    json_t *all = NULL;
    char *next = NULL;
    int rc = secrets_list(&all, &next, call, json_object_get(in, "Filters"),
                          flag(in, "IncludePlannedDeletion", false), NULL, SM_SORTED_MAX);
    if (rc < 0)
        return rc;
    /* secrets_list() examines a bounded number per call: go on to the end. */
    while (next && json_array_size(all) < SM_SORTED_MAX) {
        json_t *more = NULL;
        char *after = next;
        rc = secrets_list(&more, &next, call, json_object_get(in, "Filters"),
                          flag(in, "IncludePlannedDeletion", false), after,
                          SM_SORTED_MAX - json_array_size(all));
        free(after);
        if (rc < 0) {
            json_decref(all);
            return rc;
        }
        json_array_extend(all, more);
        json_decref(more);
    }
    free(next);
    if (json_array_size(all) >= SM_SORTED_MAX) {
        json_decref(all);
        return api_error(call, ERR_LIMIT, "InvalidRequestException",
                         "sorted listings are limited to %d secrets; narrow them with Filters",
                         SM_SORTED_MAX - 1);
    }
    const char *by = str(in, "SortBy") ?: "created-date";
    static const char *const members[][2] = {{"created-date", "CreatedDate"},
                                             {"last-accessed-date", "LastAccessedDate"},
                                             {"last-changed-date", "LastChangedDate"},
                                             {"name", "Name"}};
    order_ctx.member = "CreatedDate";
    for (size_t i = 0; i < ARRAY_SIZE(members); i++) {
        if (strcmp(by, members[i][0]) == 0)
            order_ctx.member = members[i][1];
    }
    order_ctx.desc = strcmp(str(in, "SortOrder") ?: "desc", "desc") == 0;
    size_t n = json_array_size(all);
    json_t **items = xcalloc(n + 1, sizeof(*items));
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get(all, i);
    qsort(items, n, sizeof(*items), list_order_cmp);
    json_t *page = json_array();
    for (size_t i = start; i < n && i < start + max; i++)
        json_array_append(page, items[i]);
    free(items);
    json_decref(all);
    *next_out = NULL;
    if (start + max < n) {
        struct buf pos = BUF_INIT;
        buf_addf(&pos, "#%zu", start + max);
        *next_out = buf_detach(&pos, NULL);
    }
    *out = page;
    return 0;
}

int sm_list_secrets(struct api_call *call, json_t *in, json_t **out)
{
    int rc = api_authorize(call, "secretsmanager:ListSecrets", "*");
    if (rc < 0)
        return rc;
    char *after = NULL, *next = NULL;
    json_t *found = NULL;
    if ((rc = next_token_in(&after, call, in)) < 0)
        return rc;
    size_t max = (size_t)num(in, "MaxResults", 100);
    if (str(in, "SortBy") || str(in, "SortOrder"))
        rc = secrets_list_sorted(&found, &next, call, in, after, max);
    else if (after && after[0] == '#')
        rc = api_error(call, ERR_INVALID, "InvalidNextTokenException",
                       "The NextToken value is invalid.");
    else
        rc = secrets_list(&found, &next, call, json_object_get(in, "Filters"),
                          flag(in, "IncludePlannedDeletion", false), after, max);
    free(after);
    if (rc < 0)
        return rc;
    json_t *list = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(found, i, rec)
    {
        json_array_append_new(list, secret_describe(rec, "SecretVersionsToStages"));
    }
    json_decref(found);
    *out = json_pack("{s:o}", "SecretList", list);
    next_token_out(*out, next);
    free(next);
    return 0;
}

static void batch_error(json_t *errors, struct api_call *call, const char *id)
{
    json_array_append_new(errors,
                          json_pack("{s:s, s:s, s:s}", "SecretId", id, "ErrorCode",
                                    call->error_code[0] ? call->error_code : "InternalServiceError",
                                    "Message", err_msg()));
    call->error_code[0] = '\0';
    err_clear();
}

int sm_batch_get_secret_value(struct api_call *call, json_t *in, json_t **out)
{
    int rc = api_authorize(call, "secretsmanager:BatchGetSecretValue", "*");
    if (rc < 0)
        return rc;
    json_t *ids = json_object_get(in, "SecretIdList");
    json_t *filters = json_object_get(in, "Filters");
    if ((ids != NULL) == (filters != NULL))
        return invalid_parameter(call, "Either 'SecretIdList' or 'Filters' must be provided, "
                                       "but not both.");
    if (ids && (json_object_get(in, "MaxResults") || json_object_get(in, "NextToken")))
        return invalid_parameter(call, "'MaxResults' and 'NextToken' can only be used with "
                                       "'Filters'.");
    json_t *values = json_array(), *errors = json_array();
    char *next = NULL;
    if (ids) {
        size_t i;
        json_t *id;
        json_array_foreach(ids, i, id)
        {
            json_t *rec = NULL, *value = NULL;
            const char *sid = json_string_value(id);
            if (secret_open(&rec, NULL, call, NULL, sid, "secretsmanager:GetSecretValue") < 0 ||
                secret_value_out(&value, call, rec, NULL, NULL) < 0)
                batch_error(errors, call, sid);
            else
                json_array_append_new(values, value);
            json_decref(rec);
        }
    } else {
        char *after = NULL;
        json_t *found = NULL;
        if ((rc = next_token_in(&after, call, in)) < 0)
            goto fail;
        rc = secrets_list(&found, &next, call, filters, false, after,
                          (size_t)num(in, "MaxResults", 20));
        free(after);
        if (rc < 0)
            goto fail;
        size_t i;
        json_t *rec;
        json_array_foreach(found, i, rec)
        {
            json_t *value = NULL;
            const char *arn = str(rec, "ARN");
            if (api_authorize(call, "secretsmanager:GetSecretValue", arn) < 0 ||
                secret_value_out(&value, call, rec, NULL, NULL) < 0)
                batch_error(errors, call, str(rec, "Name"));
            else
                json_array_append_new(values, value);
        }
        json_decref(found);
    }
    *out = json_pack("{s:o, s:o}", "SecretValues", values, "Errors", errors);
    next_token_out(*out, next);
    free(next);
    return 0;
fail:
    json_decref(values);
    json_decref(errors);
    return rc;
}

/* --- Deletion ------------------------------------------------------------- */

static void purge_key(struct buf *out, const char *account, const char *region, int64_t due_ms,
                      const char *name)
{
    buf_addf(out, "%016" PRId64 "/%s/%s/%s", due_ms, account, region, name);
}

/* Removes the secret's record and its purge index entry for good. */
static int secret_erase(struct store *st, struct store_tx *tx, const char *scope, json_t *rec)
{
    int rc = store_doc_delete(st, tx, SM_KIND, scope, str(rec, "Name"), 0);
    const char *key = str(rec, "PurgeKey");
    if (rc == 0 && key) {
        rc = store_doc_delete(st, tx, SM_KIND_PURGE, SM_PURGE_SCOPE, key, 0);
        if (rc == ERR_NOT_FOUND)
            rc = 0;
    }
    return rc;
}

int sm_delete_secret(struct api_call *call, json_t *in, json_t **out)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *rec = NULL;
    int64_t version;
    int rc;
    if ((rc = secret_begin_change(&tx, &rec, &version, call, in)) < 0)
        return rc;
    bool force = flag(in, "ForceDeleteWithoutRecovery", false);
    json_t *window = json_object_get(in, "RecoveryWindowInDays");
    char scope[SM_SCOPE_MAX];
    sm_scope(scope, call->account_id, call->region);
    if (force && window) {
        rc = invalid_parameter(call, "You can't use ForceDeleteWithoutRecovery in conjunction "
                                     "with RecoveryWindowInDays.");
        goto done;
    }
    int64_t days = window ? (int64_t)json_integer_value(window) : 30;
    if (!force && (days < 7 || days > 30)) {
        rc = invalid_parameter(call, "The RecoveryWindowInDays value must be between 7 and 30 "
                                     "days (inclusive).");
        goto done;
    }
    if (deleted(rec) && !force) {
        rc = invalid_request(call, MSG_DELETED);
        goto done;
    }
    int64_t due = call->now_ms;
    if (force) {
        rc = secret_erase(call->store, tx, scope, rec);
    } else {
        due = call->now_ms + days * DAY_MS;
        struct buf key = BUF_INIT;
        purge_key(&key, call->account_id, call->region, due, str(rec, "Name"));
        json_object_set_new(rec, "DeletedDate", json_integer(call->now_ms));
        json_object_set_new(rec, "PurgeKey", json_string(key.data));
        rc = store_doc_upsert(NULL, call->store, tx, SM_KIND_PURGE, SM_PURGE_SCOPE, key.data, "{}",
                              2);
        buf_release(&key);
        if (rc == 0)
            rc = secret_write(call, tx, rec, version);
    }
    if (rc < 0 || (rc = store_tx_commit(TAKE_PTR(tx))) < 0)
        goto done;
    *out = arn_name(rec);
    json_object_set_new(*out, "DeletionDate", json_integer(due));
done:
    json_decref(rec);
    return rc;
}

int sm_restore_secret(struct api_call *call, json_t *in, json_t **out)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *rec = NULL;
    int64_t version;
    int rc;
    if ((rc = secret_begin_change(&tx, &rec, &version, call, in)) < 0)
        return rc;
    const char *key = str(rec, "PurgeKey");
    if (key) {
        rc = store_doc_delete(call->store, tx, SM_KIND_PURGE, SM_PURGE_SCOPE, key, 0);
        if (rc < 0 && rc != ERR_NOT_FOUND)
            goto done;
    }
    json_object_del(rec, "PurgeKey");
    json_object_del(rec, "DeletedDate");
    if ((rc = secret_write(call, tx, rec, version)) < 0 || (rc = store_tx_commit(TAKE_PTR(tx))) < 0)
        goto done;
    *out = arn_name(rec);
done:
    json_decref(rec);
    return rc;
}

/* Erases the secret an index entry names, if it is still the one scheduled. */
static int purge_one(struct store *st, const char *key)
{
    /* "DUE/ACCOUNT/REGION/NAME": the name may itself hold slashes. */
    const char *account = strchr(key, '/');
    const char *region = account ? strchr(account + 1, '/') : NULL;
    const char *name = region ? strchr(region + 1, '/') : NULL;
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    int rc = store_tx_begin(&tx, st);
    if (rc < 0)
        return rc;
    if (name) {
        char scope[SM_SCOPE_MAX];
        snprintf(scope, sizeof(scope), "%.*s", (int)(name - account - 1), account + 1);
        json_t *rec = NULL;
        rc = record_get(&rec, NULL, st, tx, SM_KIND, scope, name + 1);
        if (rc == 0 && str(rec, "PurgeKey") && strcmp(str(rec, "PurgeKey"), key) == 0)
            rc = secret_erase(st, tx, scope, rec);
        json_decref(rec);
        if (rc < 0 && rc != ERR_NOT_FOUND)
            return rc;
    }
    rc = store_doc_delete(st, tx, SM_KIND_PURGE, SM_PURGE_SCOPE, key, 0);
    if (rc < 0 && rc != ERR_NOT_FOUND)
        return rc;
    return store_tx_commit(TAKE_PTR(tx));
}

int secretsmanager_purge_task(void *store, int64_t now_ms)
{
    struct store *st = store;
    struct store_doc_page page = {0};
    struct store_doc_query q = {
        .kind = SM_KIND_PURGE,
        .scope = SM_PURGE_SCOPE,
        .limit = SM_PURGE_BATCH,
    };
    int rc = store_doc_list(&page, st, NULL, &q);
    if (rc < 0)
        return rc;
    bool more = page.more;
    for (size_t i = 0; i < page.len; i++) {
        int64_t due = strtoll(page.items[i].name, NULL, 10);
        if (due > now_ms) {
            more = false;
            break;
        }
        if ((rc = purge_one(st, page.items[i].name)) < 0)
            break;
    }
    store_doc_page_release(&page);
    if (rc < 0)
        return rc;
    return more ? 1 : 0;
}

/* --- Tags ----------------------------------------------------------------- */

static int tags_change(struct api_call *call, json_t *in, bool untag)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *rec = NULL;
    int64_t version;
    int rc;
    if ((rc = secret_begin_change(&tx, &rec, &version, call, in)) < 0)
        return rc;
    if (deleted(rec)) {
        rc = invalid_request(call, MSG_DELETED);
        goto done;
    }
    if (untag) {
        json_t *have = json_object_get(rec, "Tags");
        size_t i;
        json_t *key;
        json_array_foreach(json_object_get(in, "TagKeys"), i, key)
        {
            for (size_t j = json_array_size(have); j-- > 0;) {
                if (strcmp(str(json_array_get(have, j), "Key"), json_string_value(key)) == 0)
                    json_array_remove(have, j);
            }
        }
    } else {
        tags_merge(rec, json_object_get(in, "Tags"));
        if ((rc = tags_check(call, rec)) < 0)
            goto done;
    }
    if ((rc = secret_write(call, tx, rec, version)) == 0)
        rc = store_tx_commit(TAKE_PTR(tx));
done:
    json_decref(rec);
    return rc;
}

int sm_tag_resource(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    return tags_change(call, in, false);
}

int sm_untag_resource(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    return tags_change(call, in, true);
}

/* --- RotateSecret ----------------------------------------------------------- */

int sm_rotate_secret_unsupported(struct api_call *call, json_t *in, json_t **out)
{
    (void)out;
    json_t *rec = NULL;
    int rc = secret_open(&rec, NULL, call, NULL, str(in, "SecretId"), NULL);
    if (rc < 0)
        return rc;
    json_decref(rec);
    return api_error(call, ERR_UNSUPPORTED, "NotImplemented",
                     "RotateSecret is not implemented: rotation runs a Lambda function, and "
                     "slipway does not provide Lambda yet");
}

/* --- GetRandomPassword ------------------------------------------------------ */

/* A uniformly random index below `n` (n > 0). */
static size_t random_below(size_t n)
{
    uint32_t limit = UINT32_MAX - UINT32_MAX % (uint32_t)n, r;
    do
        random_bytes(&r, sizeof(r));
    while (r >= limit);
    return r % n;
}

int sm_get_random_password(struct api_call *call, json_t *in, json_t **out)
{
    int rc = api_authorize(call, "secretsmanager:GetRandomPassword", "*");
    if (rc < 0)
        return rc;
    static const char punctuation[] = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    const char *exclude = str(in, "ExcludeCharacters") ?: "";
    struct {
        const char *chars;
        bool on;
        char kept[64];
    } sets[] = {
        {"abcdefghijklmnopqrstuvwxyz", !flag(in, "ExcludeLowercase", false), ""},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZ", !flag(in, "ExcludeUppercase", false), ""},
        {"0123456789", !flag(in, "ExcludeNumbers", false), ""},
        {punctuation, !flag(in, "ExcludePunctuation", false), ""},
        {" ", flag(in, "IncludeSpace", false), ""},
    };
    int64_t length = num(in, "PasswordLength", 32);
    bool each = flag(in, "RequireEachIncludedType", true);
    if (length < 1 || length > 4096)
        return invalid_parameter(call, "Password length must be between 1 and 4096.");
    char pool[128];
    size_t pool_len = 0, types = 0;
    for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
        size_t n = 0;
        if (!sets[i].on)
            continue;
        for (const char *c = sets[i].chars; *c; c++) {
            if (!strchr(exclude, *c)) {
                sets[i].kept[n++] = *c;
                pool[pool_len++] = *c;
            }
        }
        sets[i].kept[n] = '\0';
        if (n)
            types++;
    }
    if (pool_len == 0)
        return invalid_parameter(call, "The password can't be generated: every character type "
                                       "is excluded.");
    if (each && (size_t)length < types)
        return invalid_parameter(call, "The password length is too short to include every "
                                       "required character type.");
    char *pw = xmalloc((size_t)length + 1);
    size_t n = 0;
    if (each) {
        for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
            size_t k = strlen(sets[i].kept);
            if (sets[i].on && k)
                pw[n++] = sets[i].kept[random_below(k)];
        }
    }
    while (n < (size_t)length)
        pw[n++] = pool[random_below(pool_len)];
    /* Shuffle, so the required characters are not always first. */
    for (size_t i = n; i > 1; i--) {
        size_t j = random_below(i);
        char t = pw[i - 1];
        pw[i - 1] = pw[j];
        pw[j] = t;
    }
    pw[n] = '\0';
    *out = json_pack("{s:s}", "RandomPassword", pw);
    explicit_bzero(pw, n);
    free(pw);
    return 0;
}

/* --- Resource policies ---------------------------------------------------- */

static int malformed(struct api_call *call, const char *msg)
{
    return api_error(call, ERR_INVALID, "MalformedPolicyDocumentException", "%s", msg);
}

/* Whether a statement's Principal is everyone ("*" or {"AWS": "*"}). */
static bool principal_is_public(json_t *principal)
{
    if (json_is_string(principal))
        return strcmp(json_string_value(principal), "*") == 0;
    json_t *aws = json_object_get(principal, "AWS");
    if (json_is_string(aws))
        return strcmp(json_string_value(aws), "*") == 0;
    size_t i;
    json_t *p;
    json_array_foreach(aws, i, p)
    {
        if (json_is_string(p) && strcmp(json_string_value(p), "*") == 0)
            return true;
    }
    return false;
}

/* A policy that allows anyone, unconditionally. */
static bool policy_is_public(json_t *doc)
{
    json_t *st = json_object_get(doc, "Statement");
    json_t *one = json_is_object(st) ? st : NULL;
    size_t i, n = one ? 1 : json_array_size(st);
    for (i = 0; i < n; i++) {
        json_t *s = one ? one : json_array_get(st, i);
        if (strcmp(str(s, "Effect") ?: "", "Allow") == 0 &&
            principal_is_public(json_object_get(s, "Principal")) &&
            !json_object_size(json_object_get(s, "Condition")))
            return true;
    }
    return false;
}

/*
 * Checks a resource policy: MalformedPolicyDocumentException when it is not
 * JSON, else *problem_out names what the policy engine refuses (NULL when
 * it compiles) in `problem`.
 */
static int policy_examine(const char **problem_out, struct buf *problem, bool *public_out,
                          struct api_call *call, const char *text)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return malformed(call, "This resource policy contains a syntax error.");
    }
    *public_out = policy_is_public(doc);
    json_decref(doc);
    struct policy_options opts = {.kind = POLICY_KIND_RESOURCE};
    *problem_out = NULL;
    int rc = policy_check(text, strlen(text), &opts);
    if (rc == ERR_INVALID || rc == ERR_LIMIT) {
        buf_adds(problem, err_msg());
        *problem_out = problem->data;
        err_clear();
    } else if (rc < 0) {
        return rc;
    }
    return 0;
}

int sm_put_resource_policy(struct api_call *call, json_t *in, json_t **out)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *rec = NULL;
    int64_t version;
    int rc;
    if ((rc = secret_begin_change(&tx, &rec, &version, call, in)) < 0)
        return rc;
    const char *text = str(in, "ResourcePolicy");
    const char *problem = NULL;
    struct buf problem_text = BUF_INIT;
    bool public = false;
    if (deleted(rec)) {
        rc = invalid_request(call, MSG_DELETED);
        goto done;
    }
    if ((rc = policy_examine(&problem, &problem_text, &public, call, text)) < 0)
        goto done;
    if (problem) {
        rc = malformed(call, problem);
        goto done;
    }
    if (public && flag(in, "BlockPublicPolicy", false)) {
        rc = api_error(call, ERR_INVALID, "PublicPolicyException",
                       "This resource policy contains a public principal and would grant "
                       "access to anyone; BlockPublicPolicy refuses it.");
        goto done;
    }
    json_object_set_new(rec, "ResourcePolicy", json_string(text));
    json_object_set_new(rec, "PolicyRevision", json_integer(num(rec, "PolicyRevision", 0) + 1));
    if ((rc = secret_write(call, tx, rec, version)) < 0 || (rc = store_tx_commit(TAKE_PTR(tx))) < 0)
        goto done;
    *out = arn_name(rec);
done:
    buf_release(&problem_text);
    json_decref(rec);
    return rc;
}

int sm_get_resource_policy(struct api_call *call, json_t *in, json_t **out)
{
    json_t *rec = NULL;
    int rc = secret_open(&rec, NULL, call, NULL, str(in, "SecretId"), NULL);
    if (rc < 0)
        return rc;
    *out = arn_name(rec);
    if (str(rec, "ResourcePolicy"))
        json_object_set(*out, "ResourcePolicy", json_object_get(rec, "ResourcePolicy"));
    json_decref(rec);
    return 0;
}

int sm_delete_resource_policy(struct api_call *call, json_t *in, json_t **out)
{
    _cleanup_store_tx_ struct store_tx *tx = NULL;
    json_t *rec = NULL;
    int64_t version;
    int rc;
    if ((rc = secret_begin_change(&tx, &rec, &version, call, in)) < 0)
        return rc;
    if (deleted(rec)) {
        rc = invalid_request(call, MSG_DELETED);
        goto done;
    }
    json_object_del(rec, "ResourcePolicy");
    json_object_set_new(rec, "PolicyRevision", json_integer(num(rec, "PolicyRevision", 0) + 1));
    if ((rc = secret_write(call, tx, rec, version)) < 0 || (rc = store_tx_commit(TAKE_PTR(tx))) < 0)
        goto done;
    *out = arn_name(rec);
done:
    json_decref(rec);
    return rc;
}

int sm_validate_resource_policy(struct api_call *call, json_t *in, json_t **out)
{
    json_t *rec = NULL;
    int rc;
    if (str(in, "SecretId"))
        rc = secret_open(&rec, NULL, call, NULL, str(in, "SecretId"), NULL);
    else
        rc = api_authorize(call, "secretsmanager:ValidateResourcePolicy", "*");
    json_decref(rec);
    if (rc < 0)
        return rc;
    const char *problem = NULL;
    struct buf problem_text = BUF_INIT;
    bool public = false;
    if ((rc = policy_examine(&problem, &problem_text, &public, call, str(in, "ResourcePolicy"))) <
        0) {
        buf_release(&problem_text);
        return rc;
    }
    json_t *errors = json_array();
    if (problem)
        json_array_append_new(errors, json_pack("{s:s, s:s}", "CheckName", "SYNTAX_CHECKING",
                                                "ErrorMessage", problem));
    if (public)
        json_array_append_new(errors, json_pack("{s:s, s:s}", "CheckName", "BLOCK_PUBLIC_POLICY",
                                                "ErrorMessage",
                                                "This resource policy grants access to anyone."));
    *out = json_pack("{s:b, s:o}", "PolicyValidationPassed", json_array_size(errors) == 0,
                     "ValidationErrors", errors);
    buf_release(&problem_text);
    return 0;
}
