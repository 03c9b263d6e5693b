/*
 * NAME
 *	test_master_argv - unit tests for master's pure decisions
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <sys/wait.h>
#include <util/argv.h>
#include <util/buf.h>
#include <global/mastercf.h>
#include "master/master.h"

/* parse_one - one master.cf line into a parsed file */
static struct mastercf *
parse_one(const char *text)
{
	struct buf *why = buf_new(10);
	struct mastercf *mcf = mastercf_parse("master.cf", text, why);

	if (mcf == NULL)
		fail_msg("parse: %s", buf_str(why));
	buf_free(why);
	return (mcf);
}

/* joined - an argv as one string */
static const char *
joined(struct buf *out, const struct argv *argv)
{
	size_t	i;

	buf_reset(out);
	for (i = 0; i < argv->argc; i++)
		buf_appendf(out, "%s%s", i ? " " : "", argv->argv[i]);
	return (buf_str(out));
}

/* test_argv_build - command lines for typical master.cf lines */
static void
test_argv_build(void **state)
{
	static const struct {
		const char *line;
		int	listen_count;
		int	verbose;
		const char *want;
	}	cases[] = {
		{"smtp inet n - n - - smtpd", 1, 0, "smtpd -n smtp -t inet"},
		{"25 inet n - n - - smtpd -o smtpd_tls_security_level=none -v", 2, 0,
		"smtpd -n 25 -t inet -s 2 -o smtpd_tls_security_level=none -v"},
		{"local unix - n n - - local", 1, 0, "local -n local -t unix -u"},
		{"jail unix - - y - - /usr/x/jailed arg1", 1, 1,
		"jailed -n jail -t unix -r -v arg1"},
		{"qmgr fifo n - n 300 1 qmgr", 1, 2, "qmgr -n qmgr -t fifo -v -v"},
	};
	struct buf *out = buf_new(100);
	struct mastercf *mcf;
	struct argv *argv;
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		mcf = parse_one(cases[i].line);
		argv = argv_new(4);
		master_argv_build(argv, mcf->entries, cases[i].listen_count, cases[i].verbose);
		assert_string_equal(joined(out, argv), cases[i].want);
		argv_free(argv);
		mastercf_free(mcf);
	}
	buf_free(out);
}

/* test_program_path - relative to daemon_directory unless absolute */
static void
test_program_path(void **state)
{
	struct buf *path = buf_new(10);

	(void) state;
	master_program_path(path, "/usr/libexec/postern", "smtpd");
	assert_string_equal(buf_str(path), "/usr/libexec/postern/smtpd");
	master_program_path(path, "/usr/libexec/postern", "/opt/filter");
	assert_string_equal(buf_str(path), "/opt/filter");
	buf_free(path);
}

/* specs - master_inet_specs() as one string, or "ERROR: why" */
static const char *
specs(struct buf *out, const char *host, const char *interfaces,
      const char *protocols, int have_ipv6)
{
	struct argv *list = argv_new(4);
	struct buf *why = buf_new(10);

	if (master_inet_specs(list, host, "25", interfaces, protocols, have_ipv6, why) < 0)
		buf_printf(out, "ERROR: %s", buf_str(why));
	else
		joined(out, list);
	argv_free(list);
	buf_free(why);
	return (buf_str(out));
}

/* test_inet_specs - listen addresses from master.cf and inet_interfaces */
static void
test_inet_specs(void **state)
{
	struct buf *out = buf_new(100);

	(void) state;
	assert_string_equal(specs(out, NULL, "all", "all", 1), "0.0.0.0:25 [::]:25");
	assert_string_equal(specs(out, NULL, "all", "all", 0), "0.0.0.0:25");
	assert_string_equal(specs(out, NULL, "all", "ipv4", 1), "0.0.0.0:25");
	assert_string_equal(specs(out, NULL, "all", "ipv6", 1), "[::]:25");
	assert_string_equal(specs(out, NULL, "loopback-only", "all", 1), "127.0.0.1:25 [::1]:25");
	assert_string_equal(specs(out, NULL, "127.0.0.1, [::1] 192.0.2.1", "ipv4", 1),
			    "127.0.0.1:25 192.0.2.1:25");
	assert_string_equal(specs(out, NULL, "mail.example.com", "all", 1), "mail.example.com:25");
	assert_string_equal(specs(out, NULL, "ALL", "IPv4, ipv6", 1), "0.0.0.0:25 [::]:25");
	/* A host in master.cf wins over inet_interfaces. */
	assert_string_equal(specs(out, "127.0.0.2", "all", "all", 1), "127.0.0.2:25");
	assert_string_equal(specs(out, "::1", "all", "ipv4", 1), "[::1]:25");
	assert_string_equal(specs(out, "*", "127.0.0.1", "all", 1), "127.0.0.1:25");
	/* Bad input. */
	assert_non_null(strstr(specs(out, NULL, "all", "ipv7", 1), "bad inet_protocols value: ipv7"));
	assert_non_null(strstr(specs(out, NULL, "all", "ipv6", 0), "IPv6 is not supported"));
	assert_non_null(strstr(specs(out, NULL, "all", "", 1), "enables no protocol"));
	assert_non_null(strstr(specs(out, NULL, "::1", "ipv4", 1), "no address to listen on"));
	assert_non_null(strstr(specs(out, NULL, "", "all", 1), "no address to listen on"));
	buf_free(out);
}

/* test_unix_path - private/ or public/ */
static void
test_unix_path(void **state)
{
	struct buf *path = buf_new(10);
	struct mastercf *mcf = parse_one("qmgr unix n - n 300 1 qmgr\n"
					 "smtp unix - - n - - smtp\n");

	(void) state;
	assert_string_equal(master_unix_path(path, mcf->entries), "public/qmgr");
	assert_string_equal(master_unix_path(path, mcf->entries + 1), "private/smtp");
	mastercf_free(mcf);
	buf_free(path);
}

/* test_spawn_rule - when master watches for clients to start processes */
static void
test_spawn_rule(void **state)
{
	static const struct {
		int	max, total, avail, throttled, listeners, stopping;
		int	want_listen, want_limit;
	}	cases[] = {
		{2, 0, 0, 0, 1, 0, 1, 0},	/* nothing running: watch */
		{2, 1, 1, 0, 1, 0, 0, 0},	/* one idle: it takes the client */
		{2, 1, 0, 0, 1, 0, 1, 0},	/* one busy, room for one more */
		{2, 2, 0, 0, 1, 0, 0, 1},	/* all busy at the limit */
		{0, 500, 0, 0, 1, 0, 1, 0},	/* 0 = no limit */
		{1, 1, 0, 0, 1, 0, 0, 0},	/* a limit of 1 never warns */
		{2, 0, 0, 1, 1, 0, 0, 0},	/* throttled */
		{2, 0, 0, 0, 0, 0, 0, 0},	/* no listeners */
		{2, 0, 0, 0, 1, 1, 0, 0},	/* stopping */
	};
	struct master_serv serv;
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		memset(&serv, 0, sizeof(serv));
		serv.max_proc = cases[i].max;
		serv.total_proc = cases[i].total;
		serv.avail_proc = cases[i].avail;
		serv.is_throttled = cases[i].throttled;
		serv.listen_count = cases[i].listeners;
		if (master_should_listen(&serv, cases[i].stopping) != cases[i].want_listen)
			fail_msg("case %zu: listen", i);
		if (master_limit_reached(&serv) != cases[i].want_limit)
			fail_msg("case %zu: limit", i);
	}
}

/* test_exit_text - wait status as Postfix logs it */
static void
test_exit_text(void **state)
{
	struct buf *text = buf_new(10);

	(void) state;
	master_exit_text(text, 1 << 8);
	assert_string_equal(buf_str(text), "exit status 1");
	master_exit_text(text, SIGKILL);
	assert_string_equal(buf_str(text), "killed by signal 9");
	master_exit_text(text, SIGSEGV | 0x80);	/* core dumped */
	assert_string_equal(buf_str(text), "killed by signal 11");
	assert_true(master_exit_is_normal(0));
	assert_false(master_exit_is_normal(1 << 8));
	assert_false(master_exit_is_normal(SIGTERM));
	buf_free(text);
}

/* test_disabled - master_service_disable items */
static void
test_disabled(void **state)
{
	(void) state;
	assert_true(master_service_disabled("inet", "smtp", "inet"));
	assert_true(master_service_disabled("pickup.unix, x", "pickup", "unix"));
	assert_true(master_service_disabled("pickup/unix", "pickup", "unix"));
	assert_false(master_service_disabled("pickup.fifo", "pickup", "unix"));
	assert_false(master_service_disabled("pick.unix", "pickup", "unix"));
	assert_false(master_service_disabled("pickupx.unix", "pickup", "unix"));
	assert_false(master_service_disabled("", "smtp", "inet"));
	assert_false(master_service_disabled(NULL, "smtp", "inet"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_build),
		cmocka_unit_test(test_program_path),
		cmocka_unit_test(test_inet_specs),
		cmocka_unit_test(test_unix_path),
		cmocka_unit_test(test_spawn_rule),
		cmocka_unit_test(test_exit_text),
		cmocka_unit_test(test_disabled),
	};

	return (cmocka_run_group_tests_name("master_argv", tests, NULL, NULL));
}
