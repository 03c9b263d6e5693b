/*
 * NAME
 *	test_local_misc - unit tests for local(8) helpers
 * DESCRIPTION
 *	Address splitting with recipient_delimiter (one and several
 *	characters, owner- and -request), forward_path expansion
 *	(undefined names skip an element), maildir file names, the
 *	sysexits table, delivery class lists, how the results of
 *	several destinations decide a recipient's status, and the DSN
 *	action and NOTIFY that go back to qmgr.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sysexits.h>
#include <sys/socket.h>
#include <util/argv.h>
#include <util/attr.h>
#include <util/buf.h>
#include <util/stream.h>
#include <util/msg.h>
#include <global/deliver_request.h>
#include <global/params.h>

#include "local/local.h"

static struct argv *warnings;

/* capture - keep warnings */
static void
capture(enum msg_level level, const char *text, void *ctx)
{
	(void) ctx;
	if (level == MSG_WARN)
		argv_add(warnings, text);
}

/* setup - defaults */
static int
setup(void **state)
{
	(void) state;
	params_reset_defaults();
	warnings = argv_new(2);
	msg_set_capture(capture, NULL);
	msg_to_stderr(MSG_STDERR_OFF);
	return (0);
}

/* teardown - release */
static int
teardown(void **state)
{
	(void) state;
	argv_free(warnings);
	return (0);
}

struct split_case {
	const char *delim;
	const char *address;
	const char *user, *ext, *domain;
};

static const struct split_case split_cases[] = {
	{"", "User+Ext@Example.COM", "user+ext", "", "example.com"},
	{"+", "User+Ext@Example.COM", "user", "ext", "example.com"},
	{"+", "user+a+b@x", "user", "a+b", "x"},
	{"+", "+lead@x", "+lead", "", "x"},
	{"+", "plain", "plain", "", ""},
	{"+-", "a-b+c@x", "a", "b+c", "x"},
	{"-", "owner-list@x", "owner-list", "", "x"},
	{"-", "list-request@x", "list-request", "", "x"},
	{"-", "owner-list-extra@x", "owner-list-extra", "", "x"},
	{"-", "a-b@x", "a", "b", "x"},
	{"-", "MAILER-DAEMON@x", "mailer-daemon", "", "x"},
	{"-", "double-bounce@x", "double-bounce", "", "x"},
	{"+", "Postmaster+x@x", "postmaster", "x", "x"},
	{"+", "\"quoted\"@x", "\"quoted\"", "", "x"},
};

/* test_split_address - the case table */
static void
test_split_address(void **state)
{
	struct buf *u = buf_new(32), *e = buf_new(32), *d = buf_new(32);
	struct buf *why = buf_new(32);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(split_cases); i++) {
		const struct split_case *c = split_cases + i;

		buf_printf(why, "recipient_delimiter=%s", c->delim);
		assert_int_equal(params_override(buf_str(why), NULL), 0);
		local_split_address(c->address, u, e, d);
		if (strcmp(buf_str(u), c->user) || strcmp(buf_str(e), c->ext)
		    || strcmp(buf_str(d), c->domain))
			fail_msg("%s with \"%s\": got %s/%s/%s", c->address, c->delim,
				 buf_str(u), buf_str(e), buf_str(d));
	}
	buf_free(u);
	buf_free(e);
	buf_free(d);
	buf_free(why);
}

/* test_path_expand - forward_path elements */
static void
test_path_expand(void **state)
{
	struct local_user user = {(char *) "joe", 1000, 1000, (char *) "/home/joe",
	(char *) "/bin/sh"};
	struct buf *out = buf_new(64);

	(void) state;
	assert_int_equal(params_override("recipient_delimiter=+", NULL), 0);
	assert_int_equal(local_path_expand(out, "$home/.forward", &user, "joe@x", ""), 0);
	assert_string_equal(buf_str(out), "/home/joe/.forward");
	assert_int_equal(local_path_expand(out, "$home/.forward${recipient_delimiter}${extension}",
					   &user, "joe+lists@x", "lists"), 0);
	assert_string_equal(buf_str(out), "/home/joe/.forward+lists");
	/* No extension: both names are undefined, the element is skipped. */
	assert_int_equal(local_path_expand(out, "$home/.forward${recipient_delimiter}${extension}",
					   &user, "joe@x", ""), -1);
	assert_int_equal(local_path_expand(out, "/var/fwd/${user}${extension?-x}${domain:none}",
					   &user, "joe@x", ""), 0);
	assert_string_equal(buf_str(out), "/var/fwd/joex");
	assert_int_equal(local_path_expand(out, "/f/$$$user/$local", &user, "Joe@x", ""), 0);
	assert_string_equal(buf_str(out), "/f/$joe/joe");
	assert_int_equal(local_path_expand(out, "$nosuchname/x", &user, "joe@x", ""), -1);
	assert_int_equal(local_path_expand(out, "${home", &user, "joe@x", ""), -1);
	buf_free(out);
}

/* test_maildir_name - unique name shape */
static void
test_maildir_name(void **state)
{
	struct buf *out = buf_new(64);

	(void) state;
	local_maildir_name(out, 1700000000, 123456, 4242, 7, "host.example");
	assert_string_equal(buf_str(out), "1700000000.M123456P4242Q7.host.example");
	local_maildir_name(out, 1, 0, 1, 0, "a/b:c");
	assert_string_equal(buf_str(out), "1.M0P1Q0.a\\057b\\072c");
	buf_free(out);
}

/* test_exit_status - sysexits codes */
static void
test_exit_status(void **state)
{
	const char *text = NULL;

	(void) state;
	assert_string_equal(local_command_exit_status(EX_NOUSER, &text), "5.1.1");
	assert_string_equal(text, "user unknown");
	assert_string_equal(local_command_exit_status(EX_TEMPFAIL, &text), "4.3.0");
	assert_string_equal(text, "temporary failure");
	assert_string_equal(local_command_exit_status(EX_CONFIG, &text), "5.3.5");
	assert_null(local_command_exit_status(1, &text));
	assert_null(local_command_exit_status(0, &text));
}

/* test_class_mask - allow_mail_to_* lists */
static void
test_class_mask(void **state)
{
	(void) state;
	assert_int_equal(local_class_mask("alias, forward"), LOCAL_EXP_ALIAS | LOCAL_EXP_FORWARD);
	assert_int_equal(local_class_mask("Include"), LOCAL_EXP_INCLUDE);
	assert_int_equal(local_class_mask(""), 0);
	argv_truncate(warnings, 0);
	assert_int_equal(local_class_mask("alias, bogus"), LOCAL_EXP_ALIAS);
	assert_int_equal(warnings->argc, 1);
	assert_non_null(strstr(warnings->argv[0], "unknown delivery class \"bogus\""));
}

/* add_leaf - a result without a state */
static void
add_leaf(struct local_leaves *leaves, int status)
{
	struct local_state st;

	memset(&st, 0, sizeof(st));
	st.address = "x@y";
	st.leaves = leaves;
	(void) local_leaf(&st, status, status == DELIVER_STAT_OK ? "2.0.0" : "5.1.1", "r%zu",
			  leaves->count);
}

/* test_decide - deferral first, then bounce, else the last success */
static void
test_decide(void **state)
{
	struct local_leaves leaves;

	(void) state;
	memset(&leaves, 0, sizeof(leaves));
	assert_int_equal(local_leaves_decide(&leaves), -1);
	add_leaf(&leaves, DELIVER_STAT_OK);
	add_leaf(&leaves, DELIVER_STAT_OK);
	assert_int_equal(local_leaves_decide(&leaves), 1);
	add_leaf(&leaves, DELIVER_STAT_BOUNCE);
	add_leaf(&leaves, DELIVER_STAT_BOUNCE);
	assert_int_equal(local_leaves_decide(&leaves), 2);
	add_leaf(&leaves, DELIVER_STAT_DEFER);
	assert_int_equal(local_leaves_decide(&leaves), 4);
	/* The status code follows the status: 5.1.1 for a deferral is 4.1.1. */
	assert_string_equal(leaves.leaf[4].dsn, "4.1.1");
	assert_string_equal(leaves.leaf[4].reason, "r4");
	local_leaves_free(&leaves);
	assert_int_equal(leaves.count, 0);
}

/* report_case - leaves of one recipient, what qmgr should hear */
struct report_case {
	const char *name;
	int	leaves;			/* successful leaves */
	int	last_is_forward;	/* the last one is a forwarded copy */
	int	notify;			/* the recipient's NOTIFY */
	const char *want_action;
	int	want_notify;
};

static const struct report_case report_cases[] = {
	{"mailbox", 1, 0, DSN_NOTIFY_SUCCESS, "delivered", DSN_NOTIFY_SUCCESS},
	{"two destinations", 2, 0, DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE, "expanded",
	DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE},
	{"mailbox and a copy", 2, 1, DSN_NOTIFY_SUCCESS, "expanded", DSN_NOTIFY_SUCCESS},
	{"only a copy", 1, 1, DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY, "delivered",
	DSN_NOTIFY_DELAY},
	{"no NOTIFY", 1, 0, 0, "delivered", 0},
};

/* report_one - run local_leaves_report() over a socket pair */
static void
report_one(const struct report_case *tc)
{
	struct deliver_request req;
	struct deliver_rcpt rcpt = {10, "r@test.example", "", 0};
	struct local_leaves leaves;
	struct local_msg msg;
	struct buf *action = buf_new(16);
	struct stream *agent, *qmgr;
	int	fds[2], notify = -1, i;

	memset(&req, 0, sizeof(req));
	memset(&msg, 0, sizeof(msg));
	memset(&leaves, 0, sizeof(leaves));
	req.queue_id = "AAAAAA0000B";
	msg.req = &req;
	rcpt.dsn_notify = tc->notify;
	for (i = 0; i < tc->leaves; i++)
		add_leaf(&leaves, DELIVER_STAT_OK);
	leaves.leaf[leaves.count - 1].is_forward = tc->last_is_forward;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	agent = stream_fdopen(fds[0], STREAM_READ | STREAM_WRITE);
	qmgr = stream_fdopen(fds[1], STREAM_READ | STREAM_WRITE);
	stream_set_timeout(qmgr, 5);
	assert_int_equal(local_leaves_report(agent, &msg, &rcpt, &leaves), 0);
	assert_int_equal(stream_flush(agent), 0);
	assert_int_equal(attr_scan(qmgr, ATTR_FLAG_MORE, ATTR_LIST(
			      SCAN_STR(DELIVER_ATTR_DSN_ACTION, action),
			      SCAN_INT(DELIVER_ATTR_RESULT_NOTIFY, &notify))), 2);
	if (strcmp(buf_str(action), tc->want_action) != 0 || notify != tc->want_notify)
		fail_msg("%s: action %s notify %d", tc->name, buf_str(action), notify);
	stream_close(agent);
	stream_close(qmgr);
	local_leaves_free(&leaves);
	buf_free(action);
}

/* test_report_dsn - DSN action and owed NOTIFY of a delivered recipient */
static void
test_report_dsn(void **state)
{
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(report_cases); i++)
		report_one(report_cases + i);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_address),
		cmocka_unit_test(test_path_expand),
		cmocka_unit_test(test_maildir_name),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_class_mask),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_report_dsn),
	};

	return (cmocka_run_group_tests_name("local_misc", tests, setup, teardown));
}
