/*
 * The git route's parsers of client input (src/server/git_route.c): the
 * receive-pack command list at the start of a push body, fed whole and a
 * byte at a time; the credential helper's signed password, against what
 * awscli computes; HTTP Basic credentials; the helper's user name; the
 * repository paths and the services they ask for.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include "base/common.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/err.h"
#include "server/git_route.h"
#include "server/git_route_internal.h"

#include "iam_fixture.h"

#include <cmocka.h>

#define ZERO_ID "0000000000000000000000000000000000000000"
#define ID_A    "bab42791061e6a50b773adfff0f7bfafdeacef85"
#define ID_B    "78799ee1a8b1ae525d304ac8aefd1a0eea51d95e"
#define ID_C    "c815070e1d095bedccac75da3fd05f901c314951"
#define CAPS    "report-status side-band-64k quiet object-format=sha1 agent=git/2.39.5"

/*
 * Command lists as git 2.39.5 sent them (`git push` to a local bare
 * repository through a --receive-pack wrapper that saved its stdin; the
 * pack after the flush-pkt cut off). The first creates three branches,
 * the second updates one and deletes another, the third is a signed push
 * (`git push --signed`, a throwaway ed25519 key).
 */
static const char push_create[] =
    "00af" ZERO_ID " " ID_A " refs/heads/main\0 report-status-v2 side-band-64k quiet "
    "object-format=sha1 agent=git/2.39.5"
    "0068" ZERO_ID " " ID_A " refs/heads/feature"
    "0064" ZERO_ID " " ID_A " refs/heads/old"
    "0000PACK";
static const char push_update_delete[] =
    "00af" ID_A " " ID_B " refs/heads/main\0 report-status-v2 side-band-64k quiet "
    "object-format=sha1 agent=git/2.39.5"
    "0064" ID_A " " ZERO_ID " refs/heads/old"
    "0000";
static const char push_signed[] =
    "0057push-cert\0 report-status-v2 side-band-64k quiet object-format=sha1 agent=git/2.39.5"
    "001ccertificate version 0.1\n"
    "002apusher t@example.com 1795322801 +0000\n"
    "0022pushee /tmp/gitcap/remote.git\n"
    "003enonce 1795322801-e20b731337a61fd4b09206990a3ae1dda67a9083\n"
    "0005\n"
    "0066" ID_B " " ID_C " refs/heads/main\n"
    "0068" ZERO_ID " " ID_C " refs/heads/signed\n"
    "0022-----BEGIN PGP SIGNATURE-----\n"
    "0005\n"
    "0045iIQEABYIACwWIQRPSnsdZDBc+w9gD1ED8FZk7wwYngUCawJzsQ4cdEBleGFtcGxl\n"
    "0045LmNvbQAKCRAD8FZk7wwYnrBDAQDcHQvu3PwjLZLiwDbwbn2zCVEtoRakZcCqQAq9\n"
    "0039nNAcXgEA3EkrnZx9asXPugSboBNTpSNYx2sW7EWSnvCfYWmU4wU=\n"
    "000a=p8Mh\n"
    "0020-----END PGP SIGNATURE-----\n"
    "0012push-cert-end\n"
    "0000";

/* Appends one pkt-line with `len` bytes of payload. */
static void pkt(struct buf *b, const char *payload, size_t len)
{
    buf_addf(b, "%04zx", len + 4);
    buf_add(b, payload, len);
}

static void pkts(struct buf *b, const char *payload)
{
    pkt(b, payload, strlen(payload));
}

/*
 * Feeds `data` whole into `whole` and a byte at a time into another
 * parser, and checks the two agree before returning `whole` (released by
 * the caller).
 */
static void parse_both(struct git_push_commands *whole, const char *data, size_t len)
{
    struct git_push_commands bytes;
    git_push_commands_init(whole);
    git_push_commands_init(&bytes);
    git_push_commands_feed(whole, data, len);
    for (size_t i = 0; i < len; i++)
        git_push_commands_feed(&bytes, data + i, 1);
    assert_int_equal(whole->done, bytes.done);
    assert_int_equal(whole->failed, bytes.failed);
    assert_string_equal(whole->error, bytes.error);
    assert_int_equal(whole->ref_count, bytes.ref_count);
    for (size_t i = 0; i < whole->ref_count; i++)
        assert_string_equal(whole->refs[i], bytes.refs[i]);
    git_push_commands_release(&bytes);
}

static void assert_refs(const char *data, size_t len, size_t count, ...)
{
    struct git_push_commands cmds;
    parse_both(&cmds, data, len);
    if (cmds.failed)
        fail_msg("refused: %s", cmds.error);
    assert_true(cmds.done);
    assert_int_equal(cmds.ref_count, count);
    va_list ap;
    va_start(ap, count);
    for (size_t i = 0; i < count; i++)
        assert_string_equal(cmds.refs[i], va_arg(ap, const char *));
    va_end(ap);
    git_push_commands_release(&cmds);
}

static void assert_refused(const char *data, size_t len, const char *error)
{
    struct git_push_commands cmds;
    parse_both(&cmds, data, len);
    assert_true(cmds.failed);
    assert_string_equal(cmds.error, error);
    git_push_commands_release(&cmds);
}

static void test_push_commands_real(void **state)
{
    (void)state;
    assert_refs(push_create, sizeof(push_create) - 1, 3, "refs/heads/main", "refs/heads/feature",
                "refs/heads/old");
    assert_refs(push_update_delete, sizeof(push_update_delete) - 1, 2, "refs/heads/main",
                "refs/heads/old");
    assert_refs(push_signed, sizeof(push_signed) - 1, 2, "refs/heads/main", "refs/heads/signed");

    /* What follows the flush-pkt (the pack) is not looked at. */
    struct git_push_commands cmds;
    parse_both(&cmds, push_create, sizeof(push_create) - 1);
    assert_true(cmds.done);
    assert_int_equal(cmds.total, sizeof(push_create) - 1 - strlen("PACK"));
    git_push_commands_release(&cmds);
}

static void test_push_commands_forms(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;

    /* Create, update and delete, with the capabilities of the brief's
     * client; the capabilities (anything after the NUL) never count. */
    pkt(&b, ZERO_ID " " ID_A " refs/heads/new\0 " CAPS "\n",
        strlen(ZERO_ID " " ID_A " refs/heads/new") + 3 + strlen(CAPS));
    pkts(&b, ID_A " " ID_B " refs/heads/main\n");
    pkts(&b, ID_B " " ZERO_ID " refs/tags/gone");
    buf_adds(&b, "0000");
    assert_refs(b.data, b.len, 3, "refs/heads/new", "refs/heads/main", "refs/tags/gone");

    /* Capabilities with bytes a ref could never hold. */
    buf_reset(&b);
    pkt(&b, ZERO_ID " " ID_A " refs/heads/x\0\x01 \x7f caps\n",
        strlen(ZERO_ID " " ID_A " refs/heads/x") + 10);
    buf_adds(&b, "0000");
    assert_refs(b.data, b.len, 1, "refs/heads/x");

    /* Shallow lines come before the commands and are not refs. */
    buf_reset(&b);
    pkts(&b, "shallow " ID_C "\n");
    pkts(&b, ID_A " " ID_B " refs/heads/main\n");
    buf_adds(&b, "0000");
    assert_refs(b.data, b.len, 1, "refs/heads/main");

    /* SHA-256 repositories, upper-case hex. */
    char oid256[65], upper[65];
    memset(oid256, 'a', 64);
    oid256[64] = '\0';
    memset(upper, 'F', 64);
    upper[64] = '\0';
    buf_reset(&b);
    struct buf line = BUF_INIT;
    buf_addf(&line, "%s %s refs/heads/main", oid256, upper);
    pkt(&b, line.data, line.len);
    buf_adds(&b, "0000");
    assert_refs(b.data, b.len, 1, "refs/heads/main");
    buf_release(&line);

    /* No commands at all: a bare flush-pkt. Lengths in upper-case hex. */
    assert_refs("0000", 4, 0);
    assert_refs("005A" ID_A " " ID_B " refs0000", 94, 1, "refs");

    /* An empty pkt-line ("0004") among the commands is malformed. */
    assert_refused("00040000", 8, "a push command is malformed");
    buf_release(&b);
}

static void test_push_commands_incomplete(void **state)
{
    (void)state;
    struct git_push_commands cmds;
    /* Cut inside a length, inside a payload, and before the flush-pkt:
     * neither done nor failed, and the route answers "incomplete". */
    size_t cuts[] = {2, 100, sizeof(push_create) - 1 - strlen("0000PACK")};
    for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
        parse_both(&cmds, push_create, cuts[i]);
        assert_false(cmds.done);
        assert_false(cmds.failed);
        git_push_commands_release(&cmds);
    }
    parse_both(&cmds, "", 0);
    assert_false(cmds.done);
    assert_false(cmds.failed);
    git_push_commands_release(&cmds);
}

static void test_push_commands_malformed(void **state)
{
    (void)state;
    const char *form = "the push request is not in pkt-line form";
    const char *length = "the push request has a bad pkt-line length";
    const char *command = "a push command is malformed";
    const char *ref = "a pushed ref name is malformed";

    assert_refused("PACK", 4, form);
    assert_refused("00g0", 4, form);
    assert_refused(" 0a0", 4, form);
    assert_refused("0001", 4, length); /* delim-pkt */
    assert_refused("0002", 4, length); /* response-end-pkt */
    assert_refused("0003", 4, length);
    assert_refused("fff1", 4, length); /* over 65520 */
    assert_refused("ffff", 4, length);

    struct buf b = BUF_INIT;
    pkts(&b, "not a command\n");
    assert_refused(b.data, b.len, command);

    buf_reset(&b);
    pkts(&b, ZERO_ID " " ID_A " ");
    assert_refused(b.data, b.len, command);

    buf_reset(&b);
    pkts(&b, "g000000000000000000000000000000000000000 " ID_A " refs/heads/x");
    assert_refused(b.data, b.len, command);

    buf_reset(&b);
    pkts(&b, ZERO_ID " " ID_A "x refs/heads/x");
    assert_refused(b.data, b.len, command);

    /* The ref name stops at the NUL or the line's end; past them nothing
     * of it may be a space or a control character. */
    const char *bad_refs[] = {"refs/heads/a b", "refs/heads/a\tb", "refs/heads/a\x7f",
                              "refs/heads/a\n", "refs/heads/\x01"};
    for (size_t i = 0; i < ARRAY_SIZE(bad_refs); i++) {
        buf_reset(&b);
        buf_addf(&b, ZERO_ID " " ID_A " %s\n", bad_refs[i]);
        struct buf p = BUF_INIT;
        pkt(&p, b.data, b.len);
        buf_adds(&p, "0000");
        assert_refused(p.data, p.len, ref);
        buf_release(&p);
    }

    /* A malformed command after good ones fails the whole push. */
    buf_reset(&b);
    pkts(&b, ZERO_ID " " ID_A " refs/heads/a");
    pkts(&b, "oops");
    buf_adds(&b, "0000");
    assert_refused(b.data, b.len, command);
    buf_release(&b);
}

static void test_push_commands_limits(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    /* 10000 refs pass, 10001 do not. */
    for (int i = 0; i < GIT_PUSH_REFS_MAX; i++) {
        char line[128];
        int n = snprintf(line, sizeof(line), ZERO_ID " " ID_A " refs/heads/b%d", i);
        pkt(&b, line, (size_t)n);
    }
    size_t before_flush = b.len;
    buf_adds(&b, "0000");
    struct git_push_commands cmds;
    git_push_commands_init(&cmds);
    git_push_commands_feed(&cmds, b.data, b.len);
    assert_true(cmds.done);
    assert_int_equal(cmds.ref_count, GIT_PUSH_REFS_MAX);
    assert_string_equal(cmds.refs[GIT_PUSH_REFS_MAX - 1], "refs/heads/b9999");
    git_push_commands_release(&cmds);

    buf_setlen(&b, before_flush);
    pkts(&b, ZERO_ID " " ID_A " refs/heads/one-too-many");
    buf_adds(&b, "0000");
    git_push_commands_init(&cmds);
    git_push_commands_feed(&cmds, b.data, b.len);
    assert_true(cmds.failed);
    assert_string_equal(cmds.error, "a push may change at most 10000 refs");
    git_push_commands_release(&cmds);

    /* At most 4 MB of commands, however they are cut into pkt-lines:
     * here shallow lines, which add no ref. */
    buf_reset(&b);
    char shallow[65516];
    memcpy(shallow, "shallow ", 8);
    memset(shallow + 8, 'a', sizeof(shallow) - 8);
    while (b.len <= GIT_PUSH_COMMANDS_MAX)
        pkt(&b, shallow, sizeof(shallow));
    git_push_commands_init(&cmds);
    git_push_commands_feed(&cmds, b.data, b.len);
    assert_true(cmds.failed);
    assert_string_equal(cmds.error, "the push commands are larger than 4 MB");
    git_push_commands_release(&cmds);

    /* The longest pkt-line, 65520 bytes, is fine. */
    buf_reset(&b);
    pkt(&b, shallow, 65516);
    buf_adds(&b, "0000");
    assert_int_equal(b.len, 65524);
    assert_refs(b.data, b.len, 0);

    /* Once failed or done, the rest is ignored. */
    git_push_commands_init(&cmds);
    git_push_commands_feed(&cmds, "0000", 4);
    git_push_commands_feed(&cmds, "zzzz", 4);
    assert_true(cmds.done);
    assert_false(cmds.failed);
    git_push_commands_release(&cmds);
    buf_release(&b);
}

/* A signed push: its certificate's header, `body_pkts` (framed pkt-lines)
 * after the blank line, a signature, then `end` and a flush-pkt. */
static void signed_push(struct buf *b, const struct buf *body_pkts, const char *end)
{
    buf_reset(b);
    pkt(b, "push-cert\0 " CAPS "\n", strlen("push-cert") + 3 + strlen(CAPS));
    pkts(b, "certificate version 0.1\n");
    pkts(b, "pusher t@example.com 1795322801 +0000\n");
    pkts(b, "nonce 1795322801-e20b731337a61fd4b09206990a3ae1dda67a9083\n");
    pkts(b, "\n");
    buf_add(b, body_pkts->data, body_pkts->len);
    pkts(b, "-----BEGIN PGP SIGNATURE-----\n");
    pkts(b, "iIQEABYIACwWIQRPSnsdZDBc+w9gD1ED8FZk7wwYngUCawJzsQ4cdEBleGFtcGxl\n");
    pkts(b, "-----END PGP SIGNATURE-----\n");
    buf_adds(b, end);
    buf_adds(b, "0000");
}

/*
 * git joins a certificate's pkt-lines into one text and reads its
 * commands line by line (receive-pack.c, queue_commands_from_cert): a
 * command hidden in a pkt-line with other lines, or cut across two, is
 * applied by git, so it must be among the refs the push is authorized
 * for. (Each of these pushes was fed to git 2.39.5's receive-pack, which
 * created the hidden ref.)
 */
static void test_push_commands_certificate(void **state)
{
    (void)state;
    struct buf b = BUF_INIT, body = BUF_INIT;
    const char *end = "0012push-cert-end\n";

    /* A command after a blank line inside one of the header's pkt-lines. */
    buf_reset(&b);
    pkt(&b, "push-cert\0 " CAPS "\n", strlen("push-cert") + 3 + strlen(CAPS));
    pkts(&b, "certificate version 0.1\n");
    pkts(&b, "nonce abc\n\n" ZERO_ID " " ID_C " refs/heads/protected\n");
    pkts(&b, "-----BEGIN PGP SIGNATURE-----\n");
    pkts(&b, "-----END PGP SIGNATURE-----\n");
    buf_adds(&b, end);
    buf_adds(&b, "0000");
    assert_refs(b.data, b.len, 1, "refs/heads/protected");

    /* Two commands in one pkt-line. */
    pkts(&body, ID_B " " ID_C " refs/heads/main\n" ZERO_ID " " ID_C " refs/heads/protected\n");
    signed_push(&b, &body, end);
    assert_refs(b.data, b.len, 2, "refs/heads/main", "refs/heads/protected");

    /* One command cut across three pkt-lines. */
    buf_reset(&body);
    pkts(&body, ZERO_ID " " ID_C);
    pkts(&body, " refs/heads/pro");
    pkts(&body, "tected\n");
    signed_push(&b, &body, end);
    assert_refs(b.data, b.len, 1, "refs/heads/protected");

    /* A line that starts like a shallow line is certificate text too. */
    buf_reset(&body);
    pkts(&body, "shallow " ID_A "\n" ZERO_ID " " ID_C " refs/heads/protected\n");
    signed_push(&b, &body, end);
    assert_refs(b.data, b.len, 1, "refs/heads/protected");

    /* Only "push-cert-end\n" ends a certificate for git; without its
     * newline the text goes on (and joins the next pkt-line) to the
     * flush-pkt, which ends it. */
    buf_reset(&body);
    pkts(&body, ID_B " " ID_C " refs/heads/main\n");
    struct buf tail = BUF_INIT;
    buf_adds(&tail, "0011push-cert-end");
    pkts(&tail, "\n" ZERO_ID " " ID_C " refs/heads/protected");
    signed_push(&b, &body, tail.data);
    buf_release(&tail);
    assert_refs(b.data, b.len, 2, "refs/heads/main", "refs/heads/protected");

    /* Whatever follows a NUL in a certificate's pkt-line is not text. */
    buf_reset(&body);
    pkt(&body, ID_B " " ID_C " refs/heads/main\n\0" ZERO_ID " " ID_C " refs/heads/x\n",
        strlen(ID_B " " ID_C " refs/heads/main\n") + 1 +
            strlen(ZERO_ID " " ID_C " refs/heads/x\n"));
    signed_push(&b, &body, end);
    assert_refs(b.data, b.len, 1, "refs/heads/main");

    /* A certificate command's ref is checked like any other. */
    buf_reset(&body);
    pkts(&body, ZERO_ID " " ID_C " refs/heads/a b\n");
    signed_push(&b, &body, end);
    assert_refused(b.data, b.len, "a pushed ref name is malformed");
    buf_reset(&body);
    pkts(&body, ZERO_ID " " ID_C " \n");
    signed_push(&b, &body, end);
    assert_refused(b.data, b.len, "a pushed ref name is malformed");

    /* Lines that are no commands (the header, the signature) are left to
     * git, which refuses those between the blank line and the signature. */
    buf_reset(&body);
    pkts(&body, "push-option ci.skip\n");
    signed_push(&b, &body, end);
    assert_refs(b.data, b.len, 0);
    buf_release(&b);
    buf_release(&body);
}

/* --- The credential helper's password ------------------------------------ */

/*
 * Produced once with awscli 1.45.11's own code, the clock fixed at
 * 2024-01-02T03:04:05Z:
 *
 *   import datetime; from unittest import mock
 *   from botocore.credentials import Credentials
 *   import awscli.customizations.codecommit as cc
 *   class S:
 *       def get_credentials(self):
 *           return Credentials('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY')
 *   cmd = cc.CodeCommitGetCommand(S())
 *   with mock.patch.object(cc, 'get_current_datetime',
 *                          return_value=datetime.datetime(2024, 1, 2, 3, 4, 5)):
 *       print(cmd.sign_request('us-east-1',
 *           'https://git-codecommit.us-east-1.amazonaws.com/v1/repos/my-repo'))
 *       print(cmd.sign_request('eu-west-1',
 *           'http://127.0.0.1:4566/eu-west-1/v1/repos/Demo_Repo.1'))
 */
#define HELPER_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define HELPER_NOW_MS 1704164645000LL /* 2024-01-02T03:04:05Z */
#define HELPER_PASSWORD_1                                                                          \
    "20240102T030405Z8b142a2b5e9409289916fb319362f981b682746ffbc28722a687e2babdfcace8"
#define HELPER_PASSWORD_2                                                                          \
    "20240102T030405Z3505408af869a16f2a1c72f2048815d4d44a47763b1caa963155a82173b2a9f1"
#define HOST_1 "git-codecommit.us-east-1.amazonaws.com"

static void test_helper_signature(void **state)
{
    (void)state;
    const char *path1 = "/v1/repos/my-repo";
    const char *path2 = "/eu-west-1/v1/repos/Demo_Repo.1";
    assert_int_equal(git_sigv4_password_check(HELPER_PASSWORD_1, HELPER_SECRET, "us-east-1", HOST_1,
                                              path1, HELPER_NOW_MS),
                     0);
    /* The helper signs the host without its port. */
    assert_int_equal(git_sigv4_password_check(HELPER_PASSWORD_1, HELPER_SECRET, "us-east-1",
                                              HOST_1 ":443", path1, HELPER_NOW_MS),
                     0);
    assert_int_equal(git_sigv4_password_check(HELPER_PASSWORD_2, HELPER_SECRET, "eu-west-1",
                                              "127.0.0.1:4566", path2, HELPER_NOW_MS),
                     0);
    assert_int_equal(git_sigv4_password_check(HELPER_PASSWORD_2, HELPER_SECRET, "eu-west-1",
                                              "127.0.0.1", path2, HELPER_NOW_MS),
                     0);
    /* Upper-case hex is the same signature. */
    char upper[] = HELPER_PASSWORD_1;
    for (char *p = upper + 16; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    assert_int_equal(
        git_sigv4_password_check(upper, HELPER_SECRET, "us-east-1", HOST_1, path1, HELPER_NOW_MS),
        0);

    /* Anything else signed differs. */
    const struct {
        const char *secret, *region, *host, *path;
    } wrong[] = {
        {"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEz", "us-east-1", HOST_1, "/v1/repos/my-repo"},
        {HELPER_SECRET, "us-west-2", HOST_1, "/v1/repos/my-repo"},
        {HELPER_SECRET, "us-east-1", "git-codecommit.us-west-2.amazonaws.com", "/v1/repos/my-repo"},
        {HELPER_SECRET, "us-east-1", HOST_1, "/v1/repos/my-repo2"},
        {HELPER_SECRET, "us-east-1", HOST_1, "/us-east-1/v1/repos/my-repo"},
        {HELPER_SECRET, "us-east-1", "", "/v1/repos/my-repo"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(wrong); i++) {
        assert_int_equal(git_sigv4_password_check(HELPER_PASSWORD_1, wrong[i].secret,
                                                  wrong[i].region, wrong[i].host, wrong[i].path,
                                                  HELPER_NOW_MS),
                         ERR_DENIED);
        assert_string_equal(err_msg(), "the signature does not match");
    }
    char flipped[] = HELPER_PASSWORD_1;
    flipped[sizeof(flipped) - 2] = flipped[sizeof(flipped) - 2] == '0' ? '1' : '0';
    assert_int_equal(
        git_sigv4_password_check(flipped, HELPER_SECRET, "us-east-1", HOST_1, path1, HELPER_NOW_MS),
        ERR_DENIED);
    /* The same signature with another time in front. */
    char retimed[] = HELPER_PASSWORD_1;
    retimed[14] = '6';
    assert_int_equal(
        git_sigv4_password_check(retimed, HELPER_SECRET, "us-east-1", HOST_1, path1, HELPER_NOW_MS),
        ERR_DENIED);
    assert_string_equal(err_msg(), "the signature does not match");
}

static void test_helper_signature_skew(void **state)
{
    (void)state;
    const char *path = "/v1/repos/my-repo";
    const int64_t skew = 15 * 60 * 1000;
    const int64_t ok[] = {HELPER_NOW_MS - skew, HELPER_NOW_MS + skew, HELPER_NOW_MS + 1};
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
        assert_int_equal(git_sigv4_password_check(HELPER_PASSWORD_1, HELPER_SECRET, "us-east-1",
                                                  HOST_1, path, ok[i]),
                         0);
    const int64_t off[] = {HELPER_NOW_MS - skew - 1, HELPER_NOW_MS + skew + 1, 0,
                           HELPER_NOW_MS + 86400000LL};
    for (size_t i = 0; i < ARRAY_SIZE(off); i++) {
        assert_int_equal(git_sigv4_password_check(HELPER_PASSWORD_1, HELPER_SECRET, "us-east-1",
                                                  HOST_1, path, off[i]),
                         ERR_DENIED);
        assert_string_equal(err_msg(),
                            "the signature is more than 15 minutes off the server's time");
    }
}

static void test_helper_signature_form(void **state)
{
    (void)state;
    const char *path = "/v1/repos/my-repo";
    const char *sig = "8b142a2b5e9409289916fb319362f981b682746ffbc28722a687e2babdfcace8";
    const char *not_signature[] = {
        "",
        "20240102T030405Z",
        "20240102T030405Z8b142a2b5e9409289916fb319362f981b682746ffbc28722a687e2babdfcace",
        "20240102T030405Z8b142a2b5e9409289916fb319362f981b682746ffbc28722a687e2babdfcace80",
        "20240102T030405X8b142a2b5e9409289916fb319362f981b682746ffbc28722a687e2babdfcace8",
        "20240102T030405Z8b142a2b5e9409289916fb319362f981b682746ffbc28722a687e2babdfcaceg",
        "20240102T030405Z8b142a2b5e9409289916fb319362f981b682746ffbc28722a687e2babdfcace ",
    };
    for (size_t i = 0; i < ARRAY_SIZE(not_signature); i++) {
        assert_int_equal(git_sigv4_password_check(not_signature[i], HELPER_SECRET, "us-east-1",
                                                  HOST_1, path, HELPER_NOW_MS),
                         ERR_DENIED);
        assert_string_equal(err_msg(), "the password is not a codecommit signature");
    }
    /* The right form around an impossible time. */
    const char *bad_times[] = {"20241302T030405Z", "20240132T030405Z", "20240102T250405Z",
                               "2024010 T030405Z", "20240102 030405Z", "+0240102T030405Z"};
    for (size_t i = 0; i < ARRAY_SIZE(bad_times); i++) {
        char password[128];
        snprintf(password, sizeof(password), "%s%s", bad_times[i], sig);
        assert_int_equal(git_sigv4_password_check(password, HELPER_SECRET, "us-east-1", HOST_1,
                                                  path, HELPER_NOW_MS),
                         ERR_DENIED);
        assert_string_equal(err_msg(), "the signature's time is malformed");
    }

    /* Which passwords the route takes for the helper's at all. */
    assert_true(git_password_is_signature(HELPER_PASSWORD_1));
    assert_true(git_password_is_signature(
        "20240102T030405Zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"));
    assert_false(git_password_is_signature(""));
    assert_false(git_password_is_signature("20240102T030405Z"));
    /* A service-specific password: 44 characters of base64 and symbols. */
    assert_false(git_password_is_signature("X1pBnFK5iR0H5v2qJ0bEhX7Yw2dG6a9sT3uVcLmNo8E="));
    assert_false(git_password_is_signature(
        "20240102x030405Z8b142a2b5e9409289916fb319362f981b682746ffbc28722a687e2babdfcace8"));
}

/* --- Basic credentials and the helper's user name ------------------------ */

static bool basic(struct buf *decoded, const char **user, const char **password, const char *value)
{
    buf_reset(decoded);
    return git_basic_credentials_parse(decoded, user, password, value, strlen(value));
}

static void test_basic_credentials(void **state)
{
    (void)state;
    struct buf decoded = BUF_INIT;
    const char *user, *password;

    assert_true(basic(&decoded, &user, &password, "Basic dXNlcjpwYXNz")); /* user:pass */
    assert_string_equal(user, "user");
    assert_string_equal(password, "pass");
    /* The scheme in any case, spaces before the credentials. */
    assert_true(basic(&decoded, &user, &password, "bAsIc    dXNlcjpwYXNz"));
    assert_string_equal(user, "user");
    /* The password keeps its colons; the user may be empty; so may both. */
    assert_true(basic(&decoded, &user, &password, "Basic dTpwOnc6")); /* u:p:w: */
    assert_string_equal(user, "u");
    assert_string_equal(password, "p:w:");
    assert_true(basic(&decoded, &user, &password, "Basic OnB3")); /* :pw */
    assert_string_equal(user, "");
    assert_string_equal(password, "pw");
    assert_true(basic(&decoded, &user, &password, "Basic Og==")); /* : */
    assert_string_equal(user, "");
    assert_string_equal(password, "");
    /* What the credential helper sends for a temporary key. */
    assert_true(basic(&decoded, &user, &password,
                      "Basic QUtJREVYQU1QTEUldG9rZW4vKz06MjAyNDAxMDJUMDMwNDA1WmFiYw=="));
    assert_string_equal(user, "AKIDEXAMPLE%token/+=");
    assert_string_equal(password, "20240102T030405Zabc");

    const char *refused[] = {
        "",
        "Basic",
        "Basic ",              /* nothing: no colon */
        "Basic dXNlcnBhc3M=",  /* userpass: no colon */
        "Basic dXNlcjpwYXNz=", /* not a multiple of 4 */
        "Basic dXNlcjpwYXN",   /* truncated */
        "Basic dXNlcjpw YXNz", /* a space inside */
        "Basic dXNlcjpwYXNz ", /* a space after */
        "Basic dXNlcjpwYX*z",  /* not base64 */
        "Basic dQB6cA==",      /* "u\0:p": a NUL */
        "Basic dXNl=jpw",      /* padding inside */
        "Bearer dXNlcjpwYXNz",
        "Basicd XNlcjpwYXNz",
        "Digest username=\"user\"",
    };
    for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
        if (basic(&decoded, &user, &password, refused[i]))
            fail_msg("'%s' was taken", refused[i]);
    }

    /* At most 16384 bytes of header value: "Basic", 3 spaces, 4094 quads
     * ("user:p" and 4092 "aaa"). */
    struct buf value = BUF_INIT;
    buf_adds(&value, "Basic   dXNlcjpw");
    while (value.len < 16384)
        buf_adds(&value, "YWFh");
    assert_int_equal(value.len, 16384);
    buf_reset(&decoded);
    assert_true(git_basic_credentials_parse(&decoded, &user, &password, value.data, value.len));
    assert_string_equal(user, "user");
    assert_int_equal(strlen(password), 1 + 4092 * 3);
    buf_adds(&value, "YWFh");
    buf_reset(&decoded);
    assert_false(git_basic_credentials_parse(&decoded, &user, &password, value.data, value.len));
    /* The length counts, not a NUL: the value is a slice. */
    buf_reset(&decoded);
    assert_true(
        git_basic_credentials_parse(&decoded, &user, &password, "Basic dXNlcjpwYXNzXXXX", 18));
    assert_string_equal(password, "pass");
    buf_release(&value);
    buf_release(&decoded);
}

static void test_helper_user(void **state)
{
    (void)state;
    char key_id[SIGV4_ACCESS_KEY_MAX + 1];
    const char *token = NULL;
    assert_int_equal(git_helper_user_parse(key_id, &token, "AKIDEXAMPLE"), 0);
    assert_string_equal(key_id, "AKIDEXAMPLE");
    assert_string_equal(token, "");
    assert_int_equal(git_helper_user_parse(key_id, &token, "ASIAEXAMPLE%IQoJb3JpZ2luX2VjEJr//+="),
                     0);
    assert_string_equal(key_id, "ASIAEXAMPLE");
    assert_string_equal(token, "IQoJb3JpZ2luX2VjEJr//+=");
    /* The first '%' splits; the token keeps any other. */
    assert_int_equal(git_helper_user_parse(key_id, &token, "ASIA%a%b"), 0);
    assert_string_equal(key_id, "ASIA");
    assert_string_equal(token, "a%b");
    assert_int_equal(git_helper_user_parse(key_id, &token, "ASIA%"), 0);
    assert_string_equal(token, "");

    assert_int_equal(git_helper_user_parse(key_id, &token, ""), ERR_DENIED);
    assert_string_equal(err_msg(), "no such access key");
    assert_int_equal(git_helper_user_parse(key_id, &token, "%token"), ERR_DENIED);
    char long_id[SIGV4_ACCESS_KEY_MAX + 8];
    memset(long_id, 'A', SIGV4_ACCESS_KEY_MAX);
    long_id[SIGV4_ACCESS_KEY_MAX] = '\0';
    assert_int_equal(git_helper_user_parse(key_id, &token, long_id), 0);
    assert_int_equal(strlen(key_id), SIGV4_ACCESS_KEY_MAX);
    memcpy(long_id + SIGV4_ACCESS_KEY_MAX, "A%tok", 6);
    assert_int_equal(git_helper_user_parse(key_id, &token, long_id), ERR_DENIED);
}

/* --- Paths ----------------------------------------------------------------- */

static void test_target_parse(void **state)
{
    (void)state;
    struct git_target t;
    assert_true(git_target_parse(&t, "/v1/repos/my-repo/info/refs", "us-east-1"));
    assert_string_equal(t.region, "us-east-1");
    assert_false(t.region_in_path);
    assert_string_equal(t.name, "my-repo");
    assert_string_equal(t.repo_path, "/v1/repos/my-repo");
    assert_string_equal(t.rest, "/info/refs");

    assert_true(
        git_target_parse(&t, "/eu-west-1/v1/repos/Demo_Repo.1/git-receive-pack", "us-east-1"));
    assert_string_equal(t.region, "eu-west-1");
    assert_true(t.region_in_path);
    assert_string_equal(t.name, "Demo_Repo.1");
    assert_string_equal(t.repo_path, "/eu-west-1/v1/repos/Demo_Repo.1");
    assert_string_equal(t.rest, "/git-receive-pack");

    assert_true(git_target_parse(&t, "/v1/repos/r", "us-east-1"));
    assert_string_equal(t.rest, "");
    assert_true(git_target_parse(&t, "/v1/repos/r/", "us-east-1"));
    assert_string_equal(t.rest, "/");

    /* Names up to 100 characters, regions up to 32. */
    char path[512];
    char name[GIT_NAME_MAX + 2];
    memset(name, 'n', sizeof(name) - 1);
    name[GIT_NAME_MAX] = '\0';
    snprintf(path, sizeof(path), "/v1/repos/%s/info/refs", name);
    assert_true(git_target_parse(&t, path, "us-east-1"));
    assert_int_equal(strlen(t.name), GIT_NAME_MAX);
    name[GIT_NAME_MAX] = 'n';
    name[GIT_NAME_MAX + 1] = '\0';
    snprintf(path, sizeof(path), "/v1/repos/%s/info/refs", name);
    assert_false(git_target_parse(&t, path, "us-east-1"));
    char region[GIT_REGION_MAX + 2];
    memset(region, 'r', sizeof(region) - 1);
    region[GIT_REGION_MAX] = '\0';
    snprintf(path, sizeof(path), "/%s/v1/repos/%s/info/refs", region, "x");
    assert_true(git_target_parse(&t, path, "us-east-1"));
    assert_int_equal(strlen(t.region), GIT_REGION_MAX);
    assert_int_equal(strlen(t.repo_path), GIT_REGION_MAX + strlen("//v1/repos/x"));
    region[GIT_REGION_MAX] = 'r';
    region[GIT_REGION_MAX + 1] = '\0';
    snprintf(path, sizeof(path), "/%s/v1/repos/%s/info/refs", region, "x");
    assert_false(git_target_parse(&t, path, "us-east-1"));
    /* The longest of both still fits repo_path. */
    name[GIT_NAME_MAX] = '\0';
    region[GIT_REGION_MAX] = '\0';
    snprintf(path, sizeof(path), "/%s/v1/repos/%s", region, name);
    assert_true(git_target_parse(&t, path, "us-east-1"));
    assert_string_equal(t.repo_path, path);

    const char *refused[] = {
        "",
        "/",
        "v1/repos/x",
        "/v1/repos/",
        "/v1/repos//info/refs",
        "/v1/repos/a b",
        "/v1/repos/a%20b",
        "/v1/repos/a~b/info/refs",
        "/v1/repos/..\xff",
        "/v1/repo/x",
        "/V1/repos/x",
        "//v1/repos/x",
        "/US-EAST-1/v1/repos/x",
        "/us_east_1/v1/repos/x",
        "/us-east-1/v2/repos/x",
        "/us-east-1/x/v1/repos/x",
        "/us-east-1v1/repos/x",
        "/_slipway/health",
    };
    for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
        if (git_target_parse(&t, refused[i], "us-east-1"))
            fail_msg("'%s' was taken", refused[i]);
}

static void test_target_classify(void **state)
{
    (void)state;
    struct git_target t;
    assert_true(git_target_parse(&t, "/v1/repos/r/info/refs", "us-east-1"));
    assert_true(git_target_classify(&t, "GET", "service=git-upload-pack"));
    assert_true(t.advertisement);
    assert_int_equal(t.service, GIT_UPLOAD_PACK);
    assert_true(git_target_classify(&t, "GET", "service=git-receive-pack"));
    assert_int_equal(t.service, GIT_RECEIVE_PACK);
    assert_false(git_target_classify(&t, "GET", NULL)); /* the dumb protocol */
    assert_false(git_target_classify(&t, "GET", "service=git-upload-archive"));
    assert_false(git_target_classify(&t, "GET", "service=git-upload-pack&x=1"));
    assert_false(git_target_classify(&t, "POST", "service=git-upload-pack"));
    assert_false(git_target_classify(&t, "HEAD", "service=git-upload-pack"));

    assert_true(git_target_parse(&t, "/us-west-2/v1/repos/r/git-receive-pack", "us-east-1"));
    assert_true(git_target_classify(&t, "POST", NULL));
    assert_false(t.advertisement);
    assert_int_equal(t.service, GIT_RECEIVE_PACK);
    assert_false(git_target_classify(&t, "GET", NULL));
    assert_false(git_target_classify(&t, "PUT", NULL));
    assert_true(git_target_parse(&t, "/v1/repos/r/git-upload-pack", "us-east-1"));
    assert_true(git_target_classify(&t, "POST", "x"));
    assert_int_equal(t.service, GIT_UPLOAD_PACK);

    const char *not_served[] = {"/v1/repos/r",
                                "/v1/repos/r/",
                                "/v1/repos/r/HEAD",
                                "/v1/repos/r/objects/info/packs",
                                "/v1/repos/r/git-upload-pack/",
                                "/v1/repos/r/info/refs/"};
    for (size_t i = 0; i < ARRAY_SIZE(not_served); i++) {
        assert_true(git_target_parse(&t, not_served[i], "us-east-1"));
        assert_false(git_target_classify(&t, "POST", NULL));
        assert_false(git_target_classify(&t, "GET", "service=git-upload-pack"));
    }
}

static void test_route_match(void **state)
{
    (void)state;
    struct git_route route = {.default_region = "us-east-1"};
    static const char *const taken[] = {
        "/v1/repos/r/info/refs",
        "/v1/repos/r/anything",
        "/us-east-1/v1/repos/r/info/refs",
        "/eu-west-1/v1/repos/r/git-upload-pack",
        "/eu-west-1/v1/repos/r/git-receive-pack",
    };
    for (size_t i = 0; i < ARRAY_SIZE(taken); i++)
        if (!git_route_match(&route, taken[i]))
            fail_msg("'%s' was not taken", taken[i]);
    /* S3 path-style requests for keys under "v1/repos/" stay the API's. */
    static const char *const left[] = {
        "/my-bucket/v1/repos/notes.txt", "/my-bucket/v1/repos/r/file.txt",
        "/my-bucket/v1/repos/r",         "/backups/v1/repos/r/info/refs/x",
        "/us-east-1/v1/repos/r/HEAD",
    };
    for (size_t i = 0; i < ARRAY_SIZE(left); i++)
        if (git_route_match(&route, left[i]))
            fail_msg("'%s' was taken", left[i]);
}

/* --- The bound on git processes -------------------------------------------- */

static const struct header_field basic_header[] = {
    {"Authorization", 13, "Basic YTpi", 10}, /* a:b; --auth open takes any */
};

static struct http_request info_refs_request(void)
{
    return (struct http_request){
        .method = "GET",
        .target = "/v1/repos/r/info/refs?service=git-upload-pack",
        .path = "/v1/repos/r/info/refs",
        .query = "service=git-upload-pack",
        .headers = basic_header,
        .header_count = ARRAY_SIZE(basic_header),
        .request_id = "test",
        .remote_addr = "127.0.0.1",
    };
}

static enum http_begin_result begin(struct git_route *route, struct http_body_stream *stream,
                                    struct http_response *resp)
{
    struct http_request req = info_refs_request();
    memset(stream, 0, sizeof(*stream));
    http_response_init(resp);
    return git_route_begin(route, &req, stream, resp);
}

static void test_process_bound(void **state)
{
    (void)state;
    struct iam_fixture *f;
    assert_int_equal(iam_fixture_open(&f, "git-route-bound"), 0);
    /* A stand-in for git http-backend that runs until it is killed. */
    char backend[512], repo_root[512];
    snprintf(backend, sizeof(backend), "%s/fake-http-backend", f->dir);
    snprintf(repo_root, sizeof(repo_root), "%s/codecommit", f->dir);
    FILE *script = fopen(backend, "w");
    assert_non_null(script);
    fputs("#!/bin/sh\nprintf 'Content-Type: x/y\\n\\n'\nexec sleep 30\n", script);
    fclose(script);
    chmod(backend, 0755);
    struct git_route route = {
        .store = f->st,
        .data_dir = f->dir,
        .default_region = "us-east-1",
        .default_account_id = IAM_FIXTURE_ACCOUNT,
        .auth_open = true,
        .processes_max = 1,
        .backend = backend,
        .repo_root = repo_root,
        .tmp_dir = f->dir,
        .path_env = (char *)"PATH=/usr/bin:/bin",
    };
    assert_int_equal(iam_fixture_call(f, NULL, "codecommit", "CreateRepository",
                                      "{\"repositoryName\":\"r\"}", NULL),
                     0);

    struct http_body_stream first, second;
    struct http_response resp;
    assert_int_equal(begin(&route, &first, &resp), HTTP_BODY_STREAMED);
    http_response_release(&resp);
    assert_int_equal(atomic_load(&route.processes), 1);
    /* Past the bound: 503, told when to come back, nothing held. */
    assert_int_equal(begin(&route, &second, &resp), HTTP_ANSWERED);
    assert_int_equal(resp.status, 503);
    assert_string_equal(http_response_header(&resp, "Retry-After"), "5");
    assert_null(second.state);
    http_response_release(&resp);
    assert_int_equal(atomic_load(&route.processes), 1);
    /* A request that ends before git runs gives its slot back. */
    first.free(first.state);
    assert_int_equal(atomic_load(&route.processes), 0);

    /* A request that runs git keeps the slot while git runs, after the
     * request's own state is gone (its body is still being sent). */
    assert_int_equal(begin(&route, &first, &resp), HTTP_BODY_STREAMED);
    http_response_release(&resp);
    struct http_request req = info_refs_request();
    req.stream = first.state;
    http_response_init(&resp);
    git_route_handle(&route, &req, &resp);
    assert_int_equal(resp.status, 200);
    assert_non_null(resp.source.read);
    first.free(first.state);
    assert_int_equal(atomic_load(&route.processes), 1);
    struct http_response refused;
    assert_int_equal(begin(&route, &second, &refused), HTTP_ANSWERED);
    assert_int_equal(refused.status, 503);
    http_response_release(&refused);
    /* The client goes: git is killed and reaped, the slot comes back. */
    http_response_release(&resp);
    assert_int_equal(atomic_load(&route.processes), 0);
    assert_int_equal(begin(&route, &second, &resp), HTTP_BODY_STREAMED);
    http_response_release(&resp);
    second.free(second.state);
    assert_int_equal(atomic_load(&route.processes), 0);
    iam_fixture_close(f);
}

/* The fixture's route to a stand-in for git http-backend. */
struct route_fixture {
    struct iam_fixture *f;
    struct git_route route;
    char backend[512];
    char repo_root[512];
};

static void route_fixture_open(struct route_fixture *rf, const char *name)
{
    memset(rf, 0, sizeof(*rf));
    assert_int_equal(iam_fixture_open(&rf->f, name), 0);
    snprintf(rf->backend, sizeof(rf->backend), "%s/fake-http-backend", rf->f->dir);
    snprintf(rf->repo_root, sizeof(rf->repo_root), "%s/codecommit", rf->f->dir);
    FILE *script = fopen(rf->backend, "w");
    assert_non_null(script);
    fputs("#!/bin/sh\nprintf 'Content-Type: x/y\\n\\n'\nexec cat\n", script);
    fclose(script);
    chmod(rf->backend, 0755);
    rf->route = (struct git_route){
        .store = rf->f->st,
        .data_dir = rf->f->dir,
        .default_region = "us-east-1",
        .default_account_id = IAM_FIXTURE_ACCOUNT,
        .processes_max = 8,
        .backend = rf->backend,
        .repo_root = rf->repo_root,
        .tmp_dir = rf->f->dir,
        .path_env = (char *)"PATH=/usr/bin:/bin",
    };
    assert_int_equal(iam_fixture_call(rf->f, NULL, "codecommit", "CreateRepository",
                                      "{\"repositoryName\":\"r\"}", NULL),
                     0);
}

static void test_push_stops_at_denied_commands(void **state)
{
    (void)state;
    struct route_fixture rf;
    route_fixture_open(&rf, "git-route-push-denied");
    /* A user with no policy at all: authenticated, allowed nothing. */
    json_t *out = NULL;
    assert_int_equal(
        iam_fixture_call(rf.f, NULL, "iam", "CreateUser", "{\"UserName\":\"reader\"}", NULL), 0);
    assert_int_equal(iam_fixture_call(rf.f, NULL, "iam", "CreateServiceSpecificCredential",
                                      "{\"UserName\":\"reader\",\"ServiceName\":"
                                      "\"codecommit.amazonaws.com\"}",
                                      &out),
                     0);
    json_t *cred = json_object_get(out, "ServiceSpecificCredential");
    struct buf userpass = BUF_INIT, header = BUF_INIT;
    buf_addf(&userpass, "%s:%s", json_string_value(json_object_get(cred, "ServiceUserName")),
             json_string_value(json_object_get(cred, "ServicePassword")));
    json_decref(out);
    buf_adds(&header, "Basic ");
    base64_encode(&header, userpass.data, userpass.len);
    const struct header_field headers[] = {{"Authorization", 13, header.data, header.len}};
    struct http_request req = {
        .method = "POST",
        .target = "/v1/repos/r/git-receive-pack",
        .path = "/v1/repos/r/git-receive-pack",
        .headers = headers,
        .header_count = ARRAY_SIZE(headers),
        .request_id = "test",
        .remote_addr = "127.0.0.1",
    };
    struct http_body_stream stream = {0};
    struct http_response resp;
    http_response_init(&resp);
    assert_int_equal(git_route_begin(&rf.route, &req, &stream, &resp), HTTP_BODY_STREAMED);
    http_response_release(&resp);
    /* The commands arrive with the start of the pack: the push is refused
     * there, and nothing of it is stored. */
    assert_int_equal(stream.write(stream.state, push_create, sizeof(push_create) - 1), -1);
    req.stream = stream.state;
    http_response_init(&resp);
    git_route_handle(&rf.route, &req, &resp);
    assert_int_equal(resp.status, 403);
    assert_null(resp.source.read);
    http_response_release(&resp);
    stream.free(stream.state);

    /* Commands that do not parse stop the body at once too: 400. */
    memset(&stream, 0, sizeof(stream));
    http_response_init(&resp);
    assert_int_equal(git_route_begin(&rf.route, &req, &stream, &resp), HTTP_BODY_STREAMED);
    http_response_release(&resp);
    assert_int_equal(stream.write(stream.state, "zzzz", 4), -1);
    req.stream = stream.state;
    http_response_init(&resp);
    git_route_handle(&rf.route, &req, &resp);
    assert_int_equal(resp.status, 400);
    http_response_release(&resp);
    stream.free(stream.state);
    assert_int_equal(atomic_load(&rf.route.processes), 0);

    buf_release(&userpass);
    buf_release(&header);
    iam_fixture_close(rf.f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_commands_real),
        cmocka_unit_test(test_push_commands_forms),
        cmocka_unit_test(test_push_commands_incomplete),
        cmocka_unit_test(test_push_commands_malformed),
        cmocka_unit_test(test_push_commands_limits),
        cmocka_unit_test(test_push_commands_certificate),
        cmocka_unit_test(test_helper_signature),
        cmocka_unit_test(test_helper_signature_skew),
        cmocka_unit_test(test_helper_signature_form),
        cmocka_unit_test(test_basic_credentials),
        cmocka_unit_test(test_helper_user),
        cmocka_unit_test(test_target_parse),
        cmocka_unit_test(test_target_classify),
        cmocka_unit_test(test_route_match),
        cmocka_unit_test(test_process_bound),
        cmocka_unit_test(test_push_stops_at_denied_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
