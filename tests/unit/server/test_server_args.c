/*
 * NAME
 *	test_server_args - unit tests for the child command line parser
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/argv.h>
#include <util/buf.h>
#include <server/server_private.h>

/* parse - run the parser on a NULL-terminated word list */
static int
parse(char **words, struct server_args *args, struct buf *why)
{
	int	argc = 0;

	while (words[argc])
		argc++;
	buf_reset(why);
	return (server_args_parse(argc, words, args, why));
}

/* test_master_line - what master passes, in full */
static void
test_master_line(void **state)
{
	char   *words[] = {"smtpd", "-n", "smtp", "-t", "inet", "-s", "2", "-u", "-r",
		"-v", "-o", "max_idle=5s", "-o", "syslog_name=postern/sub", "extra",
	"-v", NULL};
	struct server_args args;
	struct buf *why = buf_new(10);

	(void) state;
	assert_int_equal(parse(words, &args, why), 0);
	assert_string_equal(args.service, "smtp");
	assert_string_equal(args.type, "inet");
	assert_int_equal(args.listen_count, 2);
	assert_true(args.keep_root);
	assert_true(args.chroot);
	assert_false(args.standalone);
	assert_int_equal(args.verbose, 1);
	assert_int_equal(args.overrides->argc, 2);
	assert_string_equal(args.overrides->argv[0], "max_idle=5s");
	assert_string_equal(args.overrides->argv[1], "syslog_name=postern/sub");
	/* The first word that is not an option ends the options. */
	assert_string_equal(args.args[0], "extra");
	assert_string_equal(args.args[1], "-v");
	assert_null(args.args[2]);
	server_args_free(&args);
	buf_free(why);
}

/* test_clusters - getopt-style clusters and attached arguments */
static void
test_clusters(void **state)
{
	char   *words[] = {"x", "-uvv", "-nrelay", "-tunix", "-omax_use=1", "--", "-o", NULL};
	struct server_args args;
	struct buf *why = buf_new(10);

	(void) state;
	assert_int_equal(parse(words, &args, why), 0);
	assert_true(args.keep_root);
	assert_int_equal(args.verbose, 2);
	assert_string_equal(args.service, "relay");
	assert_string_equal(args.type, "unix");
	assert_int_equal(args.listen_count, 1);
	assert_string_equal(args.overrides->argv[0], "max_use=1");
	assert_string_equal(args.args[0], "-o");	/* after "--" */
	server_args_free(&args);
	buf_free(why);
}

/* test_standalone - -S needs neither -n nor -t */
static void
test_standalone(void **state)
{
	char   *words[] = {"smtpd", "-S", "-c", "/etc/x", NULL};
	char   *bare[] = {"smtpd", NULL};
	struct server_args args;
	struct buf *why = buf_new(10);

	(void) state;
	assert_int_equal(parse(words, &args, why), 0);
	assert_true(args.standalone);
	assert_string_equal(args.config_dir, "/etc/x");
	assert_null(args.service);
	assert_null(args.args[0]);
	server_args_free(&args);
	assert_int_equal(parse(bare, &args, why), -1);
	assert_non_null(strstr(buf_str(why), "use -S for stand-alone mode"));
	server_args_free(&args);
	buf_free(why);
}

/* test_bad_input - every kind of bad command line */
static void
test_bad_input(void **state)
{
	static const struct {
		char   *words[8];
		const char *want;
	}	cases[] = {
		{{"d", "-n", "s", "-t", "unix", "-x", NULL}, "unknown option: -x"},
		{{"d", "-n", "s", "-t", NULL}, "option -t needs an argument"},
		{{"d", "-n", "s", "-t", "tcp", NULL}, "unknown service type: tcp"},
		{{"d", "-n", "s", "-t", "unix", "-s", "0", NULL}, "bad socket count: 0"},
		{{"d", "-n", "s", "-t", "unix", "-s", "3x", NULL}, "bad socket count: 3x"},
		{{"d", "-n", "s", "-t", "unix", "-s", "999", NULL}, "bad socket count: 999"},
		{{"d", "-n", "s", "-t", "unix", "-o", "novalue", NULL}, "expected name=value"},
		{{"d", "-n", "s", "-t", "unix", "-o", "=x", NULL}, "expected name=value"},
		{{"d", "-n", "", "-t", "unix", NULL}, "empty service name"},
		{{"d", "-t", "unix", NULL}, "missing -n service"},
	};
	struct server_args args;
	struct buf *why = buf_new(10);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(parse((char **) cases[i].words, &args, why), -1);
		if (strstr(buf_str(why), cases[i].want) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, buf_str(why), cases[i].want);
		server_args_free(&args);
	}
	buf_free(why);
}

/* test_types - which types accept connections */
static void
test_types(void **state)
{
	(void) state;
	assert_true(server_type_is_stream("unix"));
	assert_true(server_type_is_stream("inet"));
	assert_true(server_type_is_stream("pass"));
	assert_false(server_type_is_stream("fifo"));
	assert_false(server_type_is_stream("unix-dgram"));
	assert_false(server_type_is_stream("bogus"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_master_line),
		cmocka_unit_test(test_clusters),
		cmocka_unit_test(test_standalone),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_types),
	};

	return (cmocka_run_group_tests_name("server_args", tests, NULL, NULL));
}
