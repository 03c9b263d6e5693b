/*
 * NAME
 *	test_mastercf - unit tests for the master.cf parser
 * DESCRIPTION
 *	Columns and their defaults, wakeup and maxproc forms, continuation
 *	lines, -o forms, inet service names, postconf -M layout, the
 *	shipped conf/master.cf, and every error with its line number.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/argv.h>
#include <util/buf.h>
#include <global/mastercf.h>

static const char sample[] =
	"# comment\n"
	"\n"
	"smtp      inet  n       -       n       -       -       smtpd\n"
	"  -o smtpd_client_restrictions=permit_mynetworks,reject\n"
	"127.0.0.1:2525 inet n - y - 10 smtpd -v\n"
	"[::1]:26  inet  n       -       n       -       -       smtpd\n"
	"pickup    unix  n       -       n       60      1       pickup\n"
	"qmgr      unix  -       -       -       300?    1       qmgr\n"
	"   # comment between continuation lines\n"
	"	-oqmgr_message_active_limit=100\n"
	"cleanup   unix  n       -       n       -       0       cleanup\n"
	"bulk      unix  -       -       n       -       -       smtp\n"
	"    -o { smtp_helo_name = bulk sender.example }\n"
	"    -o minimal_backoff_time=30m -o delivery_priority=bulk\n"
	"    -o { delivery_priority = high }\n"
	"pipe      unix  -       n       n       -       -       pipe\n"
	"    flags=R user=nobody { argv=/bin/cat ${recipient} }\n"
	"local     unix  -       n       n       -       -       local\n"
	"postlog   unix-dgram n  -       n       -       1       postlogd\n"
	"hold      fifo  n       -       n       -       -       fifod\n"
	"tlsproxy  pass  n       -       n       -       -       tlsproxy\n";

/* parse_ok - parse text that must be good */
static struct mastercf *
parse_ok(const char *text)
{
	struct buf *why = buf_new(100);
	struct mastercf *mcf = mastercf_parse("master.cf", text, why);

	if (mcf == NULL)
		fail_msg("parse failed: %s", buf_str(why));
	buf_free(why);
	return (mcf);
}

/* test_columns - every column of a sample file */
static void
test_columns(void **state)
{
	struct mastercf *mcf = parse_ok(sample);
	const struct mastercf_entry *ep;

	(void) state;
	assert_int_equal(mcf->count, 12);
	ep = mastercf_find(mcf, "smtp", "inet");
	assert_non_null(ep);
	assert_int_equal(ep->line, 3);
	assert_int_equal(ep->type, MASTERCF_INET);
	assert_false(ep->is_private);
	assert_true(ep->is_unpriv);
	assert_false(ep->is_chroot);
	assert_int_equal(ep->wakeup, 0);
	assert_int_equal(ep->maxproc, -1);
	assert_string_equal(ep->command, "smtpd");
	assert_null(ep->inet_host);
	assert_string_equal(ep->inet_port, "smtp");
	assert_int_equal(ep->overrides->argc, 1);
	assert_string_equal(ep->overrides->argv[0],
			    "smtpd_client_restrictions=permit_mynetworks,reject");
	assert_int_equal(ep->args->argc, 0);

	ep = mastercf_find(mcf, "127.0.0.1:2525", NULL);
	assert_string_equal(ep->inet_host, "127.0.0.1");
	assert_string_equal(ep->inet_port, "2525");
	assert_true(ep->is_chroot);
	assert_int_equal(ep->maxproc, 10);
	assert_string_equal(ep->args->argv[0], "-v");
	ep = mastercf_find(mcf, "[::1]:26", "inet");
	assert_string_equal(ep->inet_host, "::1");
	assert_string_equal(ep->inet_port, "26");

	ep = mastercf_find(mcf, "pickup", "unix");
	assert_false(ep->is_private);
	assert_int_equal(ep->wakeup, 60);
	assert_false(ep->is_wakeup_conditional);
	assert_int_equal(ep->maxproc, 1);
	ep = mastercf_find(mcf, "qmgr", "unix");
	assert_true(ep->is_private);
	assert_false(ep->is_chroot);
	assert_int_equal(ep->wakeup, 300);
	assert_true(ep->is_wakeup_conditional);
	assert_string_equal(ep->overrides->argv[0], "qmgr_message_active_limit=100");
	assert_int_equal(mastercf_find(mcf, "cleanup", NULL)->maxproc, 0);
	assert_int_equal(mastercf_find(mcf, "postlog", NULL)->type, MASTERCF_UNIX_DGRAM);
	assert_int_equal(mastercf_find(mcf, "hold", NULL)->type, MASTERCF_FIFO);
	assert_int_equal(mastercf_find(mcf, "tlsproxy", NULL)->type, MASTERCF_PASS);
	assert_false(mastercf_find(mcf, "local", "unix")->is_unpriv);
	assert_null(mastercf_find(mcf, "smtp", "unix"));
	assert_null(mastercf_find(mcf, "nothing", NULL));
	mastercf_free(mcf);
}

/* test_overrides - -o forms, braces, last value wins */
static void
test_overrides(void **state)
{
	struct mastercf *mcf = parse_ok(sample);
	const struct mastercf_entry *ep = mastercf_find(mcf, "bulk", "unix");

	(void) state;
	assert_int_equal(ep->overrides->argc, 4);
	assert_string_equal(ep->overrides->argv[0], "smtp_helo_name=bulk sender.example");
	assert_string_equal(ep->overrides->argv[1], "minimal_backoff_time=30m");
	assert_string_equal(ep->overrides->argv[3], "delivery_priority=high");
	assert_string_equal(mastercf_override(ep, "delivery_priority"), "high");
	assert_string_equal(mastercf_override(ep, "smtp_helo_name"), "bulk sender.example");
	assert_null(mastercf_override(ep, "delivery"));
	assert_null(mastercf_override(ep, "nothing"));
	ep = mastercf_find(mcf, "pipe", "unix");
	assert_int_equal(ep->args->argc, 3);
	assert_string_equal(ep->args->argv[0], "flags=R");
	assert_string_equal(ep->args->argv[2], "argv=/bin/cat ${recipient}");
	mastercf_free(mcf);
}

/* test_format - postconf -M layout, plain and folded */
static void
test_format(void **state)
{
	struct mastercf *mcf = parse_ok(sample);
	struct buf *out = buf_new(100);

	(void) state;
	mastercf_format(mastercf_find(mcf, "pickup", NULL), 0, out);
	assert_string_equal(buf_str(out),
		"pickup     unix  n       -       n       60      1       pickup");
	buf_reset(out);
	mastercf_format(mastercf_find(mcf, "127.0.0.1:2525", NULL), 0, out);
	assert_string_equal(buf_str(out),
		"127.0.0.1:2525 inet n    -       y       -       10      smtpd -v");
	buf_reset(out);
	mastercf_format(mastercf_find(mcf, "bulk", NULL), 0, out);
	assert_string_equal(buf_str(out),
		"bulk       unix  -       -       n       -       -       smtp "
		"-o { smtp_helo_name = bulk sender.example } -o minimal_backoff_time=30m "
		"-o delivery_priority=bulk -o delivery_priority=high");
	buf_reset(out);
	mastercf_format(mastercf_find(mcf, "pipe", NULL), 1, out);
	assert_string_equal(buf_str(out),
		"pipe       unix  -       n       n       -       -       pipe\n"
		"  flags=R user=nobody { argv=/bin/cat ${recipient} }");
	buf_reset(out);
	mastercf_format(mastercf_find(mcf, "qmgr", NULL), 1, out);
	assert_string_equal(buf_str(out),
		"qmgr       unix  -       -       -       300?    1       qmgr\n"
		"  -o qmgr_message_active_limit=100");
	buf_free(out);
	mastercf_free(mcf);
}

/* Entries that postconf -M output once failed to reproduce, as hex. */
static const char *const roundtrip_hex[] = {
	/* empty argument {} */
	"78 20 75 6e 69 78 20 2d 20 2d 20 2d 20 2d 20 2d 20 63 6d 64 20 7b 7d 0a",
	/* -o { a = b<CR>c } */
	"78 20 75 6e 69 78 20 2d 20 2d 20 2d 20 2d 20 2d 20 63 6d 64 20 2d 6f 20"
	" 7b 20 61 20 3d 20 62 0d 63 20 7d 0a",
	/* argument "-o" from { -o } */
	"78 20 75 6e 69 78 20 2d 20 2d 20 2d 20 2d 20 2d 20 63 6d 64 20 7b 20 2d"
	" 6f 20 7d 0a",
	/* argument starting with # */
	"78 20 75 6e 69 78 20 2d 20 2d 20 2d 20 2d 20 2d 20 63 6d 64 20 23 61 0a",
};

/* hex_text - decode space-separated hex bytes */
static struct buf *
hex_text(const char *hex)
{
	struct buf *text = buf_new(64);
	unsigned int byte;
	int	used;

	while (sscanf(hex, " %2x%n", &byte, &used) == 1) {
		buf_putc(text, (int) byte);
		hex += used;
	}
	return (text);
}

/* assert_argv_equal - same words in the same order */
static void
assert_argv_equal(const struct argv *want, const struct argv *got)
{
	size_t	i;

	assert_int_equal(want->argc, got->argc);
	for (i = 0; i < want->argc; i++)
		assert_string_equal(want->argv[i], got->argv[i]);
}

/* test_format_roundtrip - formatted entries parse back to themselves */
static void
test_format_roundtrip(void **state)
{
	size_t	i;
	int	fold;

	(void) state;
	for (i = 0; i < sizeof(roundtrip_hex) / sizeof(roundtrip_hex[0]); i++) {
		struct buf *text = hex_text(roundtrip_hex[i]);
		struct mastercf *mcf = parse_ok(buf_str(text));

		assert_int_equal(mcf->count, 1);
		for (fold = 0; fold <= 1; fold++) {
			struct buf *out = buf_new(100);
			struct mastercf *again;

			mastercf_format(mcf->entries, fold, out);
			buf_putc(out, '\n');
			again = parse_ok(buf_str(out));
			assert_int_equal(again->count, 1);
			assert_string_equal(again->entries[0].command,
					    mcf->entries[0].command);
			assert_argv_equal(mcf->entries[0].args, again->entries[0].args);
			assert_argv_equal(mcf->entries[0].overrides,
					  again->entries[0].overrides);
			mastercf_free(again);
			buf_free(out);
		}
		mastercf_free(mcf);
		buf_free(text);
	}
}

/* Error cases: text, expected message. */
static const struct {
	const char *text;
	const char *want;
} error_cases[] = {
	{"smtp inet n - n - -\n", "master.cf, line 1: missing command field"},
	{"# c\nsmtp\n", "master.cf, line 2: missing type field"},
	{"x bogus n - n - - cmd\n", "line 1: bad type field \"bogus\""},
	{"x unix q - n - - cmd\n", "line 1: bad private field \"q\" (use y, n or -)"},
	{"x unix - yes n - - cmd\n", "bad unpriv field \"yes\""},
	{"x unix - - Y - - cmd\n", "bad chroot field \"Y\""},
	{"x unix - - n abc - cmd\n", "bad wakeup field \"abc\""},
	{"x unix - - n 10?? - cmd\n", "bad wakeup field \"10??\""},
	{"x unix - - n -5 - cmd\n", "bad wakeup field \"-5\""},
	{"x unix - - n - -1 cmd\n", "bad maxproc field \"-1\""},
	{"x unix - - n - 1x cmd\n", "bad maxproc field \"1x\""},
	{"a/b unix - - n - - cmd\n", "bad service name \"a/b\""},
	{"::25 inet n - n - - smtpd\n", "bad inet service \"::25\""},
	{"[::1]25 inet n - n - - smtpd\n", "bad inet service \"[::1]25\""},
	{"[]:25 inet n - n - - smtpd\n", "bad inet service \"[]:25\""},
	{"host:0 inet n - n - - smtpd\n", "bad port \"0\""},
	{"host:99999 inet n - n - - smtpd\n", "bad port \"99999\""},
	{"host: inet n - n - - smtpd\n", "bad port \"\""},
	{"x unix - - n - - cmd -o\n", "line 1: -o at the end of the line"},
	{"x unix - - n - - cmd -o novalue\n", "-o novalue: expected name=value"},
	{"x unix - - n - - cmd -o =value\n", "bad parameter name \"\""},
	{"x unix - - n - - cmd -o a = b\n", "-o a: expected name=value"},
	{"x unix - - n - - cmd -o { a = b\n", "missing '}'"},
	{"x unix - - n - - cmd {a}b\n", "text after '}'"},
	{"x unix - - n - - {cmd}\n", "unexpected { } in command field"},
	{"  x unix - - n - - cmd\n", "line 1: continuation line"},
	{"x unix - - n - - a\n\n# c\nx unix - - n - - b\n",
	 "master.cf, line 4: duplicate service x/unix (also on line 1)"},
};

/* test_errors - each error names the file and line */
static void
test_errors(void **state)
{
	struct buf *why = buf_new(100);
	struct mastercf *mcf;
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(error_cases); i++) {
		mcf = mastercf_parse("master.cf", error_cases[i].text, why);
		if (mcf != NULL)
			fail_msg("case %zu parsed: %s", i, error_cases[i].text);
		if (strstr(buf_str(why), error_cases[i].want) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, buf_str(why),
				 error_cases[i].want);
	}
	mcf = mastercf_load("/nonexistent/master.cf", why);
	assert_null(mcf);
	assert_string_equal(buf_str(why),
			    "open /nonexistent/master.cf: No such file or directory");
	buf_free(why);
}

/* Services the shipped master.cf must have: name, type, wakeup, maxproc, command. */
static const struct {
	const char *service;
	const char *type;
	int	wakeup;
	int	maxproc;
	const char *command;
} shipped[] = {
	{"25", "inet", 0, -1, "smtpd"},
	{"pickup", "unix", 60, 1, "pickup"},
	{"cleanup", "unix", 0, 0, "cleanup"},
	{"qmgr", "unix", 300, 1, "qmgr"},
	{"showq", "unix", 0, -1, "showq"},
	{"bounce", "unix", 0, 0, "bounce"},
	{"defer", "unix", 0, 0, "bounce"},
	{"trace", "unix", 0, 0, "bounce"},
	{"smtp", "unix", 0, -1, "smtp"},
	{"relay", "unix", 0, -1, "smtp"},
	{"local", "unix", 0, -1, "local"},
	{"error", "unix", 0, -1, "error"},
	{"retry", "unix", 0, -1, "error"},
	{"discard", "unix", 0, -1, "discard"},
	{"anvil", "unix", 0, 1, "anvil"},
};

/* test_shipped - conf/master.cf lists every Postern service */
static void
test_shipped(void **state)
{
	struct buf *why = buf_new(100);
	struct mastercf *mcf = mastercf_load("conf/master.cf", why);
	const struct mastercf_entry *ep;
	size_t	i;

	(void) state;
	if (mcf == NULL)
		fail_msg("conf/master.cf: %s", buf_str(why));
	assert_int_equal(mcf->count, ARRAY_LEN(shipped));
	for (i = 0; i < ARRAY_LEN(shipped); i++) {
		ep = mastercf_find(mcf, shipped[i].service, shipped[i].type);
		if (ep == NULL)
			fail_msg("no %s/%s", shipped[i].service, shipped[i].type);
		assert_int_equal(ep->wakeup, shipped[i].wakeup);
		assert_int_equal(ep->maxproc, shipped[i].maxproc);
		assert_string_equal(ep->command, shipped[i].command);
		assert_false(ep->is_chroot);
	}
	assert_false(mastercf_find(mcf, "local", NULL)->is_unpriv);
	assert_false(mastercf_find(mcf, "pickup", NULL)->is_private);
	assert_false(mastercf_find(mcf, "qmgr", NULL)->is_private);
	assert_false(mastercf_find(mcf, "showq", NULL)->is_private);
	assert_true(mastercf_find(mcf, "cleanup", NULL)->is_unpriv);
	mastercf_free(mcf);
	buf_free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_shipped),
	};

	return (cmocka_run_group_tests_name("mastercf", tests, NULL, NULL));
}
