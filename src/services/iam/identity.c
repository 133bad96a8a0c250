#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "base/common.h"
#include "services/iam/iam.h"
#include "services/iam/iam_internal.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/err.h"
#include "base/ids.h"
#include "services/common/record.h"

#define ADMIN_USER_NAME "admin"

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static int attachment_exists(bool *out, struct store *st, const char *kind, const char *account,
                             const char *owner, const char *policy_arn)
{
    struct buf name = BUF_INIT;
    iam_key(&name, owner, policy_arn);
    int rc = record_exists(out, st, NULL, kind, account, name.data);
    buf_release(&name);
    return rc;
}

/* Whether one of the user's groups has AdministratorAccess attached. */
static int group_admin(bool *out, struct store *st, const char *account, const char *user_name)
{
    struct buf prefix = BUF_INIT;
    iam_key(&prefix, user_name, "");
    json_t *groups;
    int rc =
        record_list(&groups, NULL, st, NULL, IAM_KIND_USER_GROUP, account, prefix.data, NULL, 0);
    buf_release(&prefix);
    if (rc < 0)
        return rc;
    bool admin = false;
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        const char *group = json_string_value(json_object_get(g, "GroupName"));
        if (!group)
            continue;
        if ((rc = attachment_exists(&admin, st, IAM_KIND_GROUP_ATTACHMENT, account, group,
                                    IAM_ADMIN_POLICY_ARN)) < 0 ||
            admin)
            break;
    }
    json_decref(groups);
    if (rc == 0)
        *out = admin;
    return rc;
}

int iam_user_principal(struct principal *out, struct store *st, const char *account,
                       const char *user_name)
{
    json_t *user;
    struct buf key = BUF_INIT;
    iam_key(&key, user_name, NULL);
    int rc = record_get(&user, NULL, st, NULL, IAM_KIND_USER, account, key.data);
    buf_release(&key);
    if (rc == ERR_NOT_FOUND)
        return err_set(ERR_NOT_FOUND, "the user '%s' no longer exists", user_name);
    if (rc < 0)
        return rc;
    struct principal p = {.type = PRINCIPAL_USER};
    copy_str(p.account_id, sizeof(p.account_id), account);
    copy_str(p.arn, sizeof(p.arn), json_string_value(json_object_get(user, "Arn")));
    copy_str(p.user_id, sizeof(p.user_id), json_string_value(json_object_get(user, "UserId")));
    copy_str(p.name, sizeof(p.name), json_string_value(json_object_get(user, "UserName")));
    json_decref(user);
    rc = attachment_exists(&p.admin, st, IAM_KIND_USER_ATTACHMENT, account, user_name,
                           IAM_ADMIN_POLICY_ARN);
    if (rc == 0 && !p.admin)
        rc = group_admin(&p.admin, st, account, user_name);
    if (rc < 0)
        return rc;
    *out = p;
    return 0;
}

/* GetSessionToken's credentials act as the user, while the user exists. */
static int user_session_credential(struct iam_credential *out, struct store *st, json_t *s,
                                   const char *access_key_id)
{
    struct iam_credential c = {.active = true};
    const char *account = json_string_value(json_object_get(s, "AccountId"));
    const char *user = json_string_value(json_object_get(s, "UserName"));
    int rc = iam_user_principal(&c.principal, st, account ? account : "", user ? user : "");
    if (rc < 0)
        return rc;
    c.principal.session_token_user = true;
    copy_str(c.principal.access_key_id, sizeof(c.principal.access_key_id), access_key_id);
    copy_str(c.secret_access_key, sizeof(c.secret_access_key),
             json_string_value(json_object_get(s, "SecretAccessKey")));
    copy_str(c.session_token, sizeof(c.session_token),
             json_string_value(json_object_get(s, "SessionToken")));
    c.expires_ms = json_integer_value(json_object_get(s, "Expiration"));
    *out = c;
    return 0;
}

static int session_credential(struct iam_credential *out, struct store *st,
                              const char *access_key_id)
{
    json_t *s;
    int rc = record_get(&s, NULL, st, NULL, IAM_KIND_SESSION, IAM_SCOPE_GLOBAL, access_key_id);
    if (rc < 0)
        return rc;
    if (json_is_string(json_object_get(s, "UserName"))) {
        rc = user_session_credential(out, st, s, access_key_id);
        json_decref(s);
        return rc;
    }
    struct iam_credential c = {.active = true};
    const char *account = json_string_value(json_object_get(s, "AccountId"));
    const char *role = json_string_value(json_object_get(s, "RoleName"));
    c.principal.type = PRINCIPAL_ASSUMED_ROLE;
    copy_str(c.principal.account_id, sizeof(c.principal.account_id), account);
    copy_str(c.principal.arn, sizeof(c.principal.arn),
             json_string_value(json_object_get(s, "AssumedRoleArn")));
    copy_str(c.principal.user_id, sizeof(c.principal.user_id),
             json_string_value(json_object_get(s, "AssumedRoleId")));
    copy_str(c.principal.name, sizeof(c.principal.name), role);
    copy_str(c.principal.access_key_id, sizeof(c.principal.access_key_id), access_key_id);
    copy_str(c.secret_access_key, sizeof(c.secret_access_key),
             json_string_value(json_object_get(s, "SecretAccessKey")));
    copy_str(c.session_token, sizeof(c.session_token),
             json_string_value(json_object_get(s, "SessionToken")));
    c.expires_ms = json_integer_value(json_object_get(s, "Expiration"));
    /* Copies, for after `s` is released. */
    char account_id[ACCOUNT_ID_LEN + 1], role_name[128];
    bool named = account && role;
    copy_str(account_id, sizeof(account_id), account);
    copy_str(role_name, sizeof(role_name), role);
    account = account_id;
    role = role_name;
    json_decref(s);
    if (!named)
        return err_set(ERR_NOT_FOUND, "session '%s' names no role", access_key_id);

    /* A session belongs to the role it was issued for, by its unique id: once
     * that role is deleted the session is void, and a new role of the same
     * name does not inherit it (AWS ties sessions to the role id too). */
    json_t *current;
    if ((rc = iam_role_get(&current, st, account, role)) < 0)
        return rc;
    const char *role_id = json_string_value(json_object_get(current, "RoleId"));
    copy_str(c.principal.role_arn, sizeof(c.principal.role_arn),
             json_string_value(json_object_get(current, "Arn")));
    size_t id_len = strcspn(c.principal.user_id, ":");
    bool same =
        role_id && strlen(role_id) == id_len && strncmp(role_id, c.principal.user_id, id_len) == 0;
    json_decref(current);
    if (!same)
        return err_set(ERR_NOT_FOUND, "the role of session '%s' no longer exists", access_key_id);
    if ((rc = attachment_exists(&c.principal.admin, st, IAM_KIND_ROLE_ATTACHMENT, account, role,
                                IAM_ADMIN_POLICY_ARN)) < 0)
        return rc;
    *out = c;
    return 0;
}

static int credential_load(struct iam_credential *out, struct store *st, const char *access_key_id)
{
    if (strncmp(access_key_id, "ASIA", 4) == 0)
        return session_credential(out, st, access_key_id);

    json_t *key;
    int rc = record_get(&key, NULL, st, NULL, IAM_KIND_ACCESS_KEY, IAM_SCOPE_GLOBAL, access_key_id);
    if (rc < 0)
        return rc;
    struct iam_credential c = {0};
    const char *account = json_string_value(json_object_get(key, "AccountId"));
    const char *user = json_string_value(json_object_get(key, "UserName"));
    const char *status = json_string_value(json_object_get(key, "Status"));
    copy_str(c.secret_access_key, sizeof(c.secret_access_key),
             json_string_value(json_object_get(key, "SecretAccessKey")));
    c.active = status && strcmp(status, "Active") == 0;
    rc = iam_user_principal(&c.principal, st, account ? account : "", user ? user : "");
    json_decref(key);
    if (rc < 0)
        return rc;
    copy_str(c.principal.access_key_id, sizeof(c.principal.access_key_id), access_key_id);
    *out = c;
    return 0;
}

/*
 * Resolved credentials, cached: every signed request needs one, and the
 * records behind it change rarely. A write that could change what a key
 * resolves to (key status, deletion, attachments, groups) calls
 * iam_identity_changed() after its commit, which makes every entry stale;
 * a lookup records the generation it started under, so a lookup racing a
 * change cannot store the old state as new. Entries also age out after
 * CACHE_TTL_MS, which bounds staleness should another process write.
 */
#define CACHE_SLOTS  256
#define CACHE_TTL_MS 10000

struct cache_slot {
    pthread_mutex_t lock;
    bool used;
    uint64_t generation;
    int64_t stored_ms;
    struct iam_credential cred;
};

static struct cache_slot cache[CACHE_SLOTS];
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t identity_generation = 1;

static void cache_init(void)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        pthread_mutex_init(&cache[i].lock, NULL);
}

static struct cache_slot *cache_slot_for(const char *access_key_id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)access_key_id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return &cache[h % CACHE_SLOTS];
}

void iam_identity_changed(void)
{
    atomic_fetch_add(&identity_generation, 1);
}

uint64_t iam_identity_generation(void)
{
    return atomic_load(&identity_generation);
}

int iam_credential_lookup(struct iam_credential *out, struct store *st, const char *access_key_id)
{
    pthread_once(&cache_once, cache_init);
    struct cache_slot *slot = cache_slot_for(access_key_id);
    uint64_t generation = atomic_load(&identity_generation);
    int64_t now = clock_now_ms();

    pthread_mutex_lock(&slot->lock);
    bool hit = slot->used && slot->generation == generation &&
               now - slot->stored_ms < CACHE_TTL_MS &&
               strcmp(slot->cred.principal.access_key_id, access_key_id) == 0;
    if (hit)
        *out = slot->cred;
    pthread_mutex_unlock(&slot->lock);
    if (hit)
        return 0;

    struct iam_credential c;
    int rc = credential_load(&c, st, access_key_id);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&slot->lock);
    slot->used = true;
    slot->generation = generation;
    slot->stored_ms = now;
    slot->cred = c;
    pthread_mutex_unlock(&slot->lock);
    *out = c;
    return 0;
}

int iam_admin_principal(struct principal *out, struct store *st, const char *account_id)
{
    return iam_user_principal(out, st, account_id, ADMIN_USER_NAME);
}

/* Reads aws_access_key_id from the [default] profile of a credentials file. */
static bool read_default_key(char *key_out, size_t size, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[512];
    bool in_default = false, found = false;
    while (fgets(line, sizeof(line), f)) {
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '[') {
            in_default = strncmp(p, "[default]", 9) == 0;
            continue;
        }
        if (!in_default || strncmp(p, "aws_access_key_id", 17) != 0)
            continue;
        p = strchr(p, '=');
        if (!p)
            continue;
        p++;
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " \t\r\n");
        if (n > 0 && n < size) {
            memcpy(key_out, p, n);
            key_out[n] = '\0';
            found = true;
        }
    }
    fclose(f);
    return found;
}

static int write_credentials(const char *path, const char *key_id, const char *secret)
{
    struct buf tmp = BUF_INIT;
    buf_addf(&tmp, "%s.tmp", path);
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        int rc = err_set_errno(ERR_IO, "cannot write '%s'", tmp.data);
        buf_release(&tmp);
        return rc;
    }
    struct buf text = BUF_INIT;
    buf_addf(&text,
             "# slipway admin credentials, written at first start\n"
             "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
             key_id, secret);
    bool ok = write(fd, text.data, text.len) == (ssize_t)text.len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    buf_release(&text);
    int rc = 0;
    if (!ok || rename(tmp.data, path) != 0) {
        rc = err_set_errno(ERR_IO, "cannot write '%s'", path);
        unlink(tmp.data);
    }
    buf_release(&tmp);
    return rc;
}

int iam_bootstrap_admin(struct store *st, const char *account_id, const char *region,
                        const char *credentials_path)
{
    (void)region;
    int rc;
    bool exists;
    if ((rc = record_exists(&exists, st, NULL, IAM_KIND_USER, account_id, ADMIN_USER_NAME)) < 0)
        return rc;
    if (!exists) {
        _cleanup_store_tx_ struct store_tx *tx = NULL;
        if ((rc = store_tx_begin(&tx, st)) < 0)
            return rc;
        json_t *user = iam_user_new(account_id, ADMIN_USER_NAME, "/", clock_now_ms());
        rc = record_insert(st, tx, IAM_KIND_USER, account_id, ADMIN_USER_NAME, user);
        json_decref(user);
        if (rc < 0 && rc != ERR_EXISTS)
            return rc;
        if (rc == 0) {
            if ((rc = iam_attachment_put(st, tx, &iam_user_entity, account_id, ADMIN_USER_NAME,
                                         IAM_ADMIN_POLICY_ARN)) < 0)
                return rc;
        }
        if ((rc = store_tx_commit(TAKE_PTR(tx))) < 0)
            return rc;
    }

    char key_id[64];
    if (read_default_key(key_id, sizeof(key_id), credentials_path)) {
        struct iam_credential c;
        if (iam_credential_lookup(&c, st, key_id) == 0 && c.active &&
            strcmp(c.principal.account_id, account_id) == 0 &&
            strcmp(c.principal.name, ADMIN_USER_NAME) == 0)
            return 0;
    }

    /* The file is missing or names a key that is gone: issue a new one,
     * making room if the admin already has the maximum. */
    json_t *key = NULL;
    {
        _cleanup_store_tx_ struct store_tx *tx = NULL;
        if ((rc = store_tx_begin(&tx, st)) < 0)
            return rc;
        if ((rc = iam_user_keys_trim(st, tx, account_id, ADMIN_USER_NAME, 1)) < 0)
            return rc;
        if ((rc = iam_access_key_create(&key, st, tx, account_id, ADMIN_USER_NAME,
                                        clock_now_ms())) < 0)
            return rc;
        if ((rc = iam_identity_changed_rc(store_tx_commit(TAKE_PTR(tx)))) < 0) {
            json_decref(key);
            return rc;
        }
    }
    rc = write_credentials(credentials_path, json_string_value(json_object_get(key, "AccessKeyId")),
                           json_string_value(json_object_get(key, "SecretAccessKey")));
    json_decref(key);
    return rc;
}

int iam_session_create(struct iam_credential *out, struct store *st,
                       const struct iam_session_spec *spec)
{
    struct buf arn = BUF_INIT, id = BUF_INIT;
    int rc;
    if (spec->user_name) {
        struct principal user;
        if ((rc = iam_user_principal(&user, st, spec->account_id, spec->user_name)) < 0)
            return rc;
        buf_adds(&arn, user.arn);
        buf_adds(&id, user.user_id);
    } else {
        json_t *role;
        if ((rc = iam_role_get(&role, st, spec->account_id, spec->role_name)) < 0)
            return rc;
        buf_addf(&arn, "arn:aws:sts::%s:assumed-role/%s/%s", spec->account_id, spec->role_name,
                 spec->session_name);
        buf_addf(&id, "%s:%s", json_string_value(json_object_get(role, "RoleId")),
                 spec->session_name);
        json_decref(role);
    }
    char key_id[21], secret[SECRET_KEY_LEN + 1];
    aws_id(key_id, "ASIA", 20);
    aws_secret_key(secret);
    uint8_t raw[96];
    random_bytes(raw, sizeof(raw));
    struct buf token = BUF_INIT;
    base64_encode(&token, raw, sizeof(raw));

    json_t *s = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "AccessKeyId", key_id,
                          "SecretAccessKey", secret, "SessionToken", token.data, "Expiration",
                          (json_int_t)spec->expires_ms, "AccountId", spec->account_id,
                          "AssumedRoleArn", arn.data, "AssumedRoleId", id.data);
    if (spec->user_name) {
        json_object_set_new(s, "UserName", json_string(spec->user_name));
    } else {
        json_object_set_new(s, "RoleName", json_string(spec->role_name));
        json_object_set_new(s, "SessionName", json_string(spec->session_name));
    }
    if (spec->session_policies && json_array_size(spec->session_policies))
        json_object_set(s, "SessionPolicies", spec->session_policies);
    if (spec->session_tags && json_object_size(spec->session_tags))
        json_object_set(s, "SessionTags", spec->session_tags);
    if (spec->transitive_tag_keys && json_array_size(spec->transitive_tag_keys))
        json_object_set(s, "TransitiveTagKeys", spec->transitive_tag_keys);
    if (spec->source_identity)
        json_object_set_new(s, "SourceIdentity", json_string(spec->source_identity));
    rc = record_insert(st, NULL, IAM_KIND_SESSION, IAM_SCOPE_GLOBAL, key_id, s);
    json_decref(s);
    if (rc == 0)
        rc = session_credential(out, st, key_id);
    buf_release(&token);
    buf_release(&arn);
    buf_release(&id);
    return rc;
}

/* A member of a session record, or an empty one when it has none. */
static int session_member(json_t **out, struct store *st, const char *access_key_id,
                          const char *member, bool array)
{
    json_t *s = NULL;
    if (strncmp(access_key_id, "ASIA", 4) == 0) {
        int rc = record_get(&s, NULL, st, NULL, IAM_KIND_SESSION, IAM_SCOPE_GLOBAL, access_key_id);
        if (rc < 0)
            return rc;
    }
    json_t *v = json_object_get(s, member);
    if (array)
        *out = json_is_array(v) ? json_incref(v) : json_array();
    else
        *out = json_is_object(v) ? json_incref(v) : json_object();
    json_decref(s);
    return 0;
}

int iam_session_source_identity(char **out, struct store *st, const char *access_key_id)
{
    *out = NULL;
    if (strncmp(access_key_id, "ASIA", 4) != 0)
        return 0;
    json_t *s;
    int rc = record_get(&s, NULL, st, NULL, IAM_KIND_SESSION, IAM_SCOPE_GLOBAL, access_key_id);
    if (rc < 0)
        return rc;
    const char *id = json_string_value(json_object_get(s, "SourceIdentity"));
    if (id)
        *out = xstrdup(id);
    json_decref(s);
    return 0;
}

int iam_session_transitive_tags(json_t **out, struct store *st, const char *access_key_id)
{
    json_t *tags, *keys;
    int rc = session_member(&tags, st, access_key_id, "SessionTags", false);
    if (rc < 0)
        return rc;
    if ((rc = session_member(&keys, st, access_key_id, "TransitiveTagKeys", true)) < 0) {
        json_decref(tags);
        return rc;
    }
    json_t *result = json_object();
    size_t i;
    json_t *key;
    json_array_foreach(keys, i, key)
    {
        json_t *value = json_object_get(tags, json_string_value(key));
        if (value)
            json_object_set(result, json_string_value(key), value);
    }
    json_decref(tags);
    json_decref(keys);
    *out = result;
    return 0;
}

int iam_session_tags(json_t **out, struct store *st, const char *access_key_id)
{
    return session_member(out, st, access_key_id, "SessionTags", false);
}

/* Adds an entity's "Tags" [{Key, Value}] to `tags`, replacing a key of
 * any case that is there already. */
static void merge_tags(json_t *tags, json_t *list)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        const char *key = json_string_value(json_object_get(item, "Key"));
        const char *value = json_string_value(json_object_get(item, "Value"));
        if (!key)
            continue;
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(tags, tmp, k, v)
        {
            if (strcasecmp(k, key) == 0)
                json_object_del(tags, k);
        }
        json_object_set_new(tags, key, json_string(value ? value : ""));
    }
}

int iam_principal_tags(json_t **out, struct store *st, const struct principal *p)
{
    const char *kind = p->type == PRINCIPAL_USER           ? IAM_KIND_USER
                       : p->type == PRINCIPAL_ASSUMED_ROLE ? IAM_KIND_ROLE
                                                           : NULL;
    json_t *tags = json_object();
    if (kind) {
        struct buf key = BUF_INIT;
        iam_key(&key, p->name, NULL);
        json_t *rec;
        int rc = record_get(&rec, NULL, st, NULL, kind, p->account_id, key.data);
        buf_release(&key);
        if (rc == 0) {
            merge_tags(tags, json_object_get(rec, "Tags"));
            json_decref(rec);
        } else if (rc != ERR_NOT_FOUND) {
            json_decref(tags);
            return rc;
        }
    }
    /* A session's own tags win over the role's of the same key. */
    json_t *session;
    int rc = session_member(&session, st, p->access_key_id, "SessionTags", false);
    if (rc < 0) {
        json_decref(tags);
        return rc;
    }
    const char *k;
    json_t *v;
    json_t *as_list = json_array();
    json_object_foreach(session, k, v)
        json_array_append_new(as_list, json_pack("{s:s, s:O}", "Key", k, "Value", v));
    merge_tags(tags, as_list);
    json_decref(as_list);
    json_decref(session);
    *out = tags;
    return 0;
}

int iam_session_policies(json_t **out, struct store *st, const char *access_key_id)
{
    return session_member(out, st, access_key_id, "SessionPolicies", true);
}

int iam_sessions_purge(size_t *count_out, struct store *st, int64_t now_ms)
{
    size_t purged = 0;
    char *after = NULL;
    int rc = 0;
    for (;;) {
        json_t *page;
        bool more = false;
        if ((rc = record_list(&page, &more, st, NULL, IAM_KIND_SESSION, IAM_SCOPE_GLOBAL, NULL,
                              after, 0)) < 0)
            break;
        size_t i;
        json_t *s;
        json_array_foreach(page, i, s)
        {
            const char *name = json_string_value(json_object_get(s, "_name"));
            if (name && json_integer_value(json_object_get(s, "Expiration")) < now_ms &&
                store_doc_delete(st, NULL, IAM_KIND_SESSION, IAM_SCOPE_GLOBAL, name, 0) == 0)
                purged++;
        }
        free(after);
        after = json_array_size(page)
                    ? xstrdup(json_string_value(json_object_get(
                          json_array_get(page, json_array_size(page) - 1), "_name")))
                    : NULL;
        json_decref(page);
        if (!more || !after)
            break;
    }
    free(after);
    if (rc == 0 && count_out)
        *count_out = purged;
    return rc;
}
