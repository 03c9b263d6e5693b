/*
 * NAME
 *	test_smtpd_parse - unit tests for SMTP command parsing
 * DESCRIPTION
 *	Case tables for every reply code smtpd_parse can produce, and for
 *	the values it extracts from MAIL FROM and RCPT TO.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/buf.h>
#include <global/dsn.h>
#include "smtpd/smtpd.h"

/* Case tables leave trailing fields out: they are zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct mail_case {
	const char *name;
	const char *args;
	int	flags;
	const char *reply;		/* NULL: success */
	const char *sender;
	long	size;
	int	encoding;
	bool	smtputf8;
	int	ret;
	const char *envid;
};

static const struct mail_case mail_cases[] = {
	{"plain", "FROM:<a@example.com>", 0, NULL, "a@example.com", -1},
	{"lower case from", "from:<a@example.com>", 0, NULL, "a@example.com", -1},
	{"space after colon", "FROM: <a@example.com>", 0, NULL, "a@example.com", -1},
	{"null sender", "FROM:<>", 0, NULL, "", -1},
	{"no brackets", "FROM:a@example.com", 0, NULL, "a@example.com", -1},
	{"no brackets strict", "FROM:a@example.com", SMTPD_PARSE_STRICT,
	"501 5.1.7 Bad sender address syntax"},
	{"size", "FROM:<a@b.example> SIZE=12345", 0, NULL, "a@b.example", 12345},
	{"size overflow", "FROM:<a@b.example> SIZE=99999999999999999999999", 0, NULL,
	"a@b.example", SMTPD_SIZE_OVERFLOW},
	{"bad size", "FROM:<a@b.example> SIZE=12x", 0, "501 5.5.4 Bad message size syntax"},
	{"empty size", "FROM:<a@b.example> SIZE=", 0, "501 5.5.4 Bad message size syntax"},
	{"body 8bit", "FROM:<a@b.example> BODY=8BITMIME", 0, NULL, "a@b.example", -1,
	SMTPD_ENC_8BITMIME},
	{"body 7bit", "FROM:<a@b.example> body=7bit", 0, NULL, "a@b.example", -1,
	SMTPD_ENC_7BIT},
	{"body binary", "FROM:<a@b.example> BODY=BINARYMIME", 0,
	"555 5.5.4 Unsupported option: BODY=BINARYMIME"},
	{"body 8bit not offered", "FROM:<a@b.example> BODY=8BITMIME", SMTPD_PARSE_NO_8BIT,
	"555 5.5.4 Unsupported option: BODY=8BITMIME"},
	{"smtputf8", "FROM:<a@b.example> SMTPUTF8", 0, NULL, "a@b.example", -1, 0, true},
	{"smtputf8 off", "FROM:<a@b.example> SMTPUTF8", SMTPD_PARSE_NO_UTF8,
	"555 5.5.4 Unsupported option: SMTPUTF8"},
	{"ret full", "FROM:<a@b.example> RET=FULL", 0, NULL, "a@b.example", -1, 0, false,
	DSN_RET_FULL},
	{"ret hdrs", "FROM:<a@b.example> RET=hdrs ENVID=abc+2Bd", 0, NULL, "a@b.example", -1,
	0, false, DSN_RET_HDRS, "abc+d"},
	{"bad ret", "FROM:<a@b.example> RET=ALL", 0, "501 5.5.4 Bad RET parameter syntax"},
	{"double ret", "FROM:<a@b.example> RET=FULL RET=HDRS", 0,
	"501 5.5.4 Bad RET parameter syntax"},
	{"bad envid", "FROM:<a@b.example> ENVID=a+zz", 0, "501 5.5.4 Bad ENVID parameter syntax"},
	{"double envid", "FROM:<a@b.example> ENVID=a ENVID=b", 0,
	"501 5.5.4 Bad ENVID parameter syntax"},
	{"dsn disabled", "FROM:<a@b.example> RET=FULL", SMTPD_PARSE_NO_DSN,
	"501 5.7.1 DSN support is disabled"},
	{"unknown option", "FROM:<a@b.example> AUTH=<>", 0, "555 5.5.4 Unsupported option: AUTH=<>"},
	{"no from", "<a@b.example>", 0, "501 5.5.4 Syntax: MAIL FROM:<address>"},
	{"to instead of from", "TO:<a@b.example>", 0, "501 5.5.4 Syntax: MAIL FROM:<address>"},
	{"empty", "", 0, "501 5.5.4 Syntax: MAIL FROM:<address>"},
	{"from without address", "FROM:", 0, "501 5.5.4 Syntax: MAIL FROM:<address>"},
	{"unterminated", "FROM:<a@b.example", 0, "501 5.1.7 Bad sender address syntax"},
	{"junk after path", "FROM:<a@b.example>junk", 0, "501 5.1.7 Bad sender address syntax"},
	{"control char", "FROM:<a\001b@b.example>", 0, "501 5.1.7 Bad sender address syntax"},
};

/* test_mail - MAIL FROM case table */
static void
test_mail(void **state)
{
	struct smtpd_mail_args args;
	struct buf *reply = buf_new(64);
	const struct mail_case *c;
	size_t	i;
	int	ret;

	(void) state;
	smtpd_mail_args_init(&args);
	for (i = 0; i < ARRAY_LEN(mail_cases); i++) {
		c = mail_cases + i;
		buf_reset(reply);
		ret = smtpd_parse_mail(c->args, c->flags, &args, reply);
		if (c->reply) {
			if (ret != -1 || strcmp(buf_str(reply), c->reply) != 0)
				fail_msg("%s: got %d \"%s\", want \"%s\"", c->name, ret,
					 buf_str(reply), c->reply);
			continue;
		}
		if (ret != 0)
			fail_msg("%s: unexpected failure \"%s\"", c->name, buf_str(reply));
		assert_string_equal(buf_str(args.sender), c->sender);
		assert_int_equal(args.size, c->size);
		assert_int_equal(args.encoding, c->encoding);
		assert_int_equal(args.smtputf8, c->smtputf8);
		assert_int_equal(args.dsn_ret, c->ret);
		assert_string_equal(buf_str(args.dsn_envid), c->envid ? c->envid : "");
	}
	smtpd_mail_args_free(&args);
	buf_free(reply);
}

struct rcpt_case {
	const char *name;
	const char *args;
	int	flags;
	const char *reply;
	const char *rcpt;
	int	notify;
	const char *orcpt;
};

static const struct rcpt_case rcpt_cases[] = {
	{"plain", "TO:<u@example.com>", 0, NULL, "u@example.com"},
	{"lower", "to:<u@example.com>", 0, NULL, "u@example.com"},
	{"postmaster", "TO:<postmaster>", 0, NULL, "postmaster"},
	{"source route removed", "TO:<@relay.example:u@example.com>", 0, NULL, "u@example.com"},
	{"quoted local part", "TO:<\"john doe\"@example.com>", 0, NULL, "john doe@example.com"},
	{"notify", "TO:<u@example.com> NOTIFY=SUCCESS,FAILURE", 0, NULL, "u@example.com",
	DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE},
	{"notify never", "TO:<u@example.com> NOTIFY=NEVER", 0, NULL, "u@example.com",
	DSN_NOTIFY_NEVER},
	{"orcpt", "TO:<u@example.com> ORCPT=rfc822;x+2By@example.com", 0, NULL, "u@example.com",
	0, "rfc822;x+y@example.com"},
	{"bad notify", "TO:<u@example.com> NOTIFY=SOMETIMES", 0,
	"501 5.5.4 Error: Bad NOTIFY parameter syntax"},
	{"never with others", "TO:<u@example.com> NOTIFY=NEVER,SUCCESS", 0,
	"501 5.5.4 Error: Bad NOTIFY parameter syntax"},
	{"double notify", "TO:<u@example.com> NOTIFY=DELAY NOTIFY=DELAY", 0,
	"501 5.5.4 Error: Bad NOTIFY parameter syntax"},
	{"bad orcpt", "TO:<u@example.com> ORCPT=rfc822", 0,
	"501 5.5.4 Error: Bad ORCPT parameter syntax"},
	{"notify without dsn", "TO:<u@example.com> NOTIFY=SUCCESS", SMTPD_PARSE_NO_DSN,
	"555 5.5.4 Unsupported option: NOTIFY=SUCCESS"},
	{"unknown option", "TO:<u@example.com> XFOO=1", 0, "555 5.5.4 Unsupported option: XFOO=1"},
	{"null recipient", "TO:<>", 0, "501 5.1.3 Bad recipient address syntax"},
	{"no to", "<u@example.com>", 0, "501 5.5.4 Syntax: RCPT TO:<address>"},
	{"from instead of to", "FROM:<u@example.com>", 0, "501 5.5.4 Syntax: RCPT TO:<address>"},
	{"empty", "TO:", 0, "501 5.5.4 Syntax: RCPT TO:<address>"},
	{"missing bracket", "TO:<u@example.com", 0, "501 5.1.3 Bad recipient address syntax"},
	{"empty domain", "TO:<u@>", 0, "501 5.1.3 Bad recipient address syntax"},
	{"bad domain", "TO:<u@exa mple.com>", 0, "501 5.1.3 Bad recipient address syntax"},
};

/* test_rcpt - RCPT TO case table */
static void
test_rcpt(void **state)
{
	struct smtpd_rcpt_args args;
	struct buf *reply = buf_new(64);
	const struct rcpt_case *c;
	size_t	i;
	int	ret;

	(void) state;
	smtpd_rcpt_args_init(&args);
	for (i = 0; i < ARRAY_LEN(rcpt_cases); i++) {
		c = rcpt_cases + i;
		buf_reset(reply);
		ret = smtpd_parse_rcpt(c->args, c->flags, &args, reply);
		if (c->reply) {
			if (ret != -1 || strcmp(buf_str(reply), c->reply) != 0)
				fail_msg("%s: got %d \"%s\", want \"%s\"", c->name, ret,
					 buf_str(reply), c->reply);
			continue;
		}
		if (ret != 0)
			fail_msg("%s: unexpected failure \"%s\"", c->name, buf_str(reply));
		assert_string_equal(buf_str(args.rcpt), c->rcpt);
		assert_int_equal(args.dsn_notify, c->notify);
		assert_string_equal(buf_str(args.dsn_orcpt), c->orcpt ? c->orcpt : "");
	}
	smtpd_rcpt_args_free(&args);
	buf_free(reply);
}

/* test_verb - verb splitting and forbidden commands */
static void
test_verb(void **state)
{
	struct buf *verb = buf_new(8);
	const char *args;

	(void) state;
	args = smtpd_parse_verb("mail FROM:<a@b>", verb);
	assert_string_equal(buf_str(verb), "MAIL");
	assert_string_equal(args, "FROM:<a@b>");
	args = smtpd_parse_verb("  Quit  ", verb);
	assert_string_equal(buf_str(verb), "QUIT");
	assert_string_equal(args, "");
	args = smtpd_parse_verb("", verb);
	assert_string_equal(buf_str(verb), "");
	args = smtpd_parse_verb("\t", verb);
	assert_string_equal(buf_str(verb), "");
	assert_true(smtpd_parse_is_forbidden("GET"));
	assert_true(smtpd_parse_is_forbidden("POST"));
	assert_true(smtpd_parse_is_forbidden("CONNECT"));
	assert_true(smtpd_parse_is_forbidden("\001\002"));
	assert_true(smtpd_parse_is_forbidden("\xff" "HELO"));
	assert_true(smtpd_parse_is_forbidden("1HELO"));
	assert_false(smtpd_parse_is_forbidden("HELO"));
	assert_false(smtpd_parse_is_forbidden("XYZZY"));
	assert_false(smtpd_parse_is_forbidden(""));
	buf_free(verb);
}

/* test_hello - HELO/EHLO arguments */
static void
test_hello(void **state)
{
	struct buf *name = buf_new(8);
	struct buf *reply = buf_new(8);

	(void) state;
	assert_int_equal(smtpd_parse_hello("client.example", name, reply, "HELO"), 0);
	assert_string_equal(buf_str(name), "client.example");
	assert_int_equal(smtpd_parse_hello("  two   words ", name, reply, "EHLO"), 0);
	assert_string_equal(buf_str(name), "two words");
	assert_int_equal(smtpd_parse_hello("a\001b", name, reply, "EHLO"), 0);
	assert_string_equal(buf_str(name), "a?b");
	assert_int_equal(smtpd_parse_hello("", name, reply, "HELO"), -1);
	assert_string_equal(buf_str(reply), "501 Syntax: HELO hostname");
	assert_int_equal(smtpd_parse_hello("   ", name, reply, "EHLO"), -1);
	assert_string_equal(buf_str(reply), "501 Syntax: EHLO hostname");
	buf_free(name);
	buf_free(reply);
}

/* test_vrfy - VRFY arguments */
static void
test_vrfy(void **state)
{
	struct buf *addr = buf_new(8);
	struct buf *reply = buf_new(8);

	(void) state;
	assert_int_equal(smtpd_parse_vrfy("<u@example.com>", 0, addr, reply), 0);
	assert_string_equal(buf_str(addr), "u@example.com");
	assert_int_equal(smtpd_parse_vrfy("root", SMTPD_PARSE_STRICT, addr, reply), 0);
	assert_string_equal(buf_str(addr), "root");
	assert_int_equal(smtpd_parse_vrfy("", 0, addr, reply), -1);
	assert_string_equal(buf_str(reply), "501 5.5.4 Syntax: VRFY address");
	assert_int_equal(smtpd_parse_vrfy("<>", 0, addr, reply), -1);
	assert_string_equal(buf_str(reply), "501 5.1.3 Bad recipient address syntax");
	assert_int_equal(smtpd_parse_vrfy("a b", 0, addr, reply), -1);
	assert_string_equal(buf_str(reply), "501 5.1.3 Bad recipient address syntax");
	buf_free(addr);
	buf_free(reply);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mail),
		cmocka_unit_test(test_rcpt),
		cmocka_unit_test(test_verb),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_vrfy),
	};

	return (cmocka_run_group_tests_name("smtpd_parse", tests, NULL, NULL));
}
