/*
 * NAME
 *	test_sendmail_args - the sendmail command line
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <global/dsn.h>

#include "sendmail/sendmail.h"

/* ct_parse - parse a NULL-terminated argument list */
static int
ct_parse(struct sendmail_opts *opts, const char *argv0, const char *const *args,
	 struct buf *why)
{
	static char *argv[32];		/* opts->recipients points here */
	int	argc = 0;

	argv[argc++] = (char *) argv0;
	while (*args)
		argv[argc++] = (char *) *args++;
	argv[argc] = 0;
	sendmail_opts_init(opts, argv0);
	buf_reset(why);
	return (sendmail_parse_args(opts, argc, argv, why));
}

/* test_enqueue_options - the common submission options */
static void
test_enqueue_options(void **state)
{
	const char *args[] = {"-t", "-i", "-f", "<>", "-FJoe Doe", "-N",
		"success,delay", "-Rhdrs", "-V", "env-1", "-B", "8bitmime", "-v",
		"-v", "a@example.com", "b@example.com", NULL};
	struct sendmail_opts opts;
	struct buf *why = buf_new(64);

	(void) state;
	assert_int_equal(ct_parse(&opts, "/usr/sbin/sendmail", args, why), 0);
	assert_int_equal(opts.mode, SENDMAIL_MODE_ENQUEUE);
	assert_true(opts.extract && opts.dot_ok);
	assert_string_equal(opts.sender, "<>");
	assert_string_equal(opts.full_name, "Joe Doe");
	assert_int_equal(opts.dsn_notify, DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY);
	assert_int_equal(opts.dsn_ret, DSN_RET_HDRS);
	assert_string_equal(opts.dsn_envid, "env-1");
	assert_string_equal(opts.encoding, "8BITMIME");
	assert_int_equal(opts.verbose, 2);
	assert_int_equal(opts.nrcpt, 2);
	assert_string_equal(opts.recipients[0], "a@example.com");
	assert_string_equal(opts.recipients[1], "b@example.com");
	sendmail_opts_free(&opts);
	buf_free(why);
}

/* test_grouped_and_ignored - grouped letters, -o forms, ignored options */
static void
test_grouped_and_ignored(void **state)
{
	const char *args[] = {"-oi", "-oem", "-odb", "-o7", "-oA/etc/aliases2",
		"-tirsender@example.com", "-G", "-U", "-m", "-n", "-x", "-L",
		"label", "-O", "Opt=1", "-h", "5", "-e", "x", "-p", "smtp",
		"-X", "/tmp/log", "-C", "/etc/postern", "--", "-notanoption", NULL};
	struct sendmail_opts opts;
	struct buf *why = buf_new(64);

	(void) state;
	assert_int_equal(ct_parse(&opts, "sendmail", args, why), 0);
	assert_true(opts.dot_ok && opts.extract);
	assert_string_equal(opts.sender, "sender@example.com");
	assert_int_equal(opts.alias_files->argc, 1);
	assert_string_equal(opts.alias_files->argv[0], "/etc/aliases2");
	assert_string_equal(opts.config_dir, "/etc/postern");
	assert_int_equal(opts.nrcpt, 1);
	assert_string_equal(opts.recipients[0], "-notanoption");
	sendmail_opts_free(&opts);
	buf_free(why);
}

/* test_modes - -b letters, -q forms, program names */
static void
test_modes(void **state)
{
	static const struct {
		const char *argv0;
		const char *arg;
		enum sendmail_mode mode;
		const char *site;
	}	cases[] = {
		{"sendmail", "-bp", SENDMAIL_MODE_MAILQ, 0},
		{"sendmail", "-bi", SENDMAIL_MODE_NEWALIASES, 0},
		{"sendmail", "-I", SENDMAIL_MODE_NEWALIASES, 0},
		{"sendmail", "-bs", SENDMAIL_MODE_SMTP, 0},
		{"sendmail", "-bm", SENDMAIL_MODE_ENQUEUE, 0},
		{"sendmail", "-bd", SENDMAIL_MODE_DAEMON, 0},
		{"sendmail", "-q", SENDMAIL_MODE_FLUSH, 0},
		{"sendmail", "-qRexample.com", SENDMAIL_MODE_FLUSH, "example.com"},
		{"sendmail", "-q30m", SENDMAIL_MODE_ENQUEUE, 0},
		{"/usr/bin/mailq", "-v", SENDMAIL_MODE_MAILQ, 0},
		{"newaliases", "-v", SENDMAIL_MODE_NEWALIASES, 0},
	};
	struct sendmail_opts opts;
	struct buf *why = buf_new(64);
	const char *args[2];
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		args[0] = cases[i].arg;
		args[1] = 0;
		assert_int_equal(ct_parse(&opts, cases[i].argv0, args, why), 0);
		if (opts.mode != cases[i].mode)
			fail_msg("%s %s: mode %d", cases[i].argv0, cases[i].arg, opts.mode);
		if (cases[i].site)
			assert_string_equal(opts.site, cases[i].site);
		else
			assert_null(opts.site);
		sendmail_opts_free(&opts);
	}
	buf_free(why);
}

/* test_bad_usage - every error has a reason */
static void
test_bad_usage(void **state)
{
	static const struct {
		const char *args[3];
		const char *why;
	}	cases[] = {
		{{"-Z"}, "invalid option -- 'Z'"},
		{{"-f"}, "option requires an argument -- 'f'"},
		{{"-N", "sometimes"}, "bad -N option value: sometimes"},
		{{"-N", "never,success"}, "bad -N option value: never,success"},
		{{"-R", "body"}, "bad -R option value: body"},
		{{"-B", "binary"}, "-B option needs 8BITMIME or 7BIT"},
		{{"-bv"}, "unsupported: -bv"},
		{{"-qR"}, "-qR option needs a site"},
		{{"-V", "a\tb"}, "-V option requires printable text of at most 100 bytes"},
	};
	struct sendmail_opts opts;
	struct buf *why = buf_new(64);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(ct_parse(&opts, "sendmail", cases[i].args, why), -1);
		assert_string_equal(buf_str(why), cases[i].why);
		sendmail_opts_free(&opts);
	}
	buf_free(why);
}

/* test_config_dir - -C takes a directory or a file in one */
static void
test_config_dir(void **state)
{
	struct buf *dir = buf_new(64);

	(void) state;
	assert_int_equal(sendmail_config_dir("/etc", dir), 0);
	assert_string_equal(buf_str(dir), "/etc");
	assert_int_equal(sendmail_config_dir("/etc/passwd", dir), 0);
	assert_string_equal(buf_str(dir), "/etc");
	assert_int_equal(sendmail_config_dir("/nonexistent/main.cf", dir), -1);
	buf_free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enqueue_options),
		cmocka_unit_test(test_grouped_and_ignored),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_bad_usage),
		cmocka_unit_test(test_config_dir),
	};

	return (cmocka_run_group_tests_name("sendmail_args", tests, NULL, NULL));
}
