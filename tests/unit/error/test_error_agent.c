/*
 * NAME
 *	test_error_agent - unit tests for the error and retry agents
 * DESCRIPTION
 *	The outcome table (next-hop text -> status, code, reason) for both
 *	modes, then whole conversations over a socket pair: greeting, one
 *	reply per recipient, the final status, several requests on one
 *	connection, and a malformed request that ends the conversation.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <util/argv.h>
#include <util/attr.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/deliver_request.h>
#include <global/params.h>

#include "error/error.h"

struct outcome_case {
	int	mode;
	const char *nexthop;
	int	status;
	const char *dsn;
	const char *reason;
};

static const struct outcome_case cases[] = {
	{ERROR_MODE_BOUNCE, "no such user", DELIVER_STAT_BOUNCE, "5.0.0", "no such user"},
	{ERROR_MODE_BOUNCE, "5.1.1 no such user", DELIVER_STAT_BOUNCE, "5.1.1", "no such user"},
	{ERROR_MODE_BOUNCE, "  5.7.1   denied", DELIVER_STAT_BOUNCE, "5.7.1", "denied"},
	{ERROR_MODE_BOUNCE, "4.3.2 come back later", DELIVER_STAT_DEFER, "4.3.2", "come back later"},
	{ERROR_MODE_BOUNCE, "2.0.0 odd", DELIVER_STAT_BOUNCE, "5.0.0", "odd"},
	{ERROR_MODE_BOUNCE, "5.1.1", DELIVER_STAT_BOUNCE, "5.1.1", "mail delivery failed"},
	{ERROR_MODE_BOUNCE, "", DELIVER_STAT_BOUNCE, "5.0.0", "mail delivery failed"},
	{ERROR_MODE_BOUNCE, "5.1.1x not a code", DELIVER_STAT_BOUNCE, "5.0.0", "5.1.1x not a code"},
	{ERROR_MODE_BOUNCE, "example.com", DELIVER_STAT_BOUNCE, "5.0.0", "example.com"},
	{ERROR_MODE_RETRY, "", DELIVER_STAT_DEFER, "4.0.0", "delivery temporarily suspended"},
	{ERROR_MODE_RETRY, "4.7.1 slow down", DELIVER_STAT_DEFER, "4.7.1", "slow down"},
	{ERROR_MODE_RETRY, "5.1.1 never", DELIVER_STAT_DEFER, "4.1.1", "never"},
	{ERROR_MODE_RETRY, "later", DELIVER_STAT_DEFER, "4.0.0", "later"},
};

/* setup - defaults, no stderr noise */
static int
setup(void **state)
{
	(void) state;
	params_reset_defaults();
	msg_to_stderr(MSG_STDERR_OFF);
	return (0);
}

/* test_outcome - the table */
static void
test_outcome(void **state)
{
	char	dsn[DSN_STATUS_SIZE];
	const char *reason;
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		int	status = error_outcome(cases[i].mode, cases[i].nexthop, dsn, &reason);

		if (status != cases[i].status || strcmp(dsn, cases[i].dsn)
		    || strcmp(reason, cases[i].reason))
			fail_msg("\"%s\": got %d %s \"%s\"", cases[i].nexthop, status, dsn, reason);
	}
}

/* send_request - a request with n recipients */
static void
send_request(struct stream *s, const char *nexthop, int n)
{
	int	i;

	assert_int_equal(attr_print(s, ATTR_FLAG_NONE, ATTR_LIST(
				ATTR_INT(DELIVER_ATTR_FLAGS, 0),
				ATTR_STR(DELIVER_ATTR_QUEUE, "active"),
				ATTR_STR(DELIVER_ATTR_QUEUE_ID, "1xVQiR3p2ojzaU"),
				ATTR_LONG(DELIVER_ATTR_DATA_OFFSET, 100),
				ATTR_LONG(DELIVER_ATTR_DATA_SIZE, 10),
				ATTR_STR(DELIVER_ATTR_NEXTHOP, nexthop),
				ATTR_STR(DELIVER_ATTR_TRANSPORT, "error"),
				ATTR_STR(DELIVER_ATTR_SENDER, "s@example.com"),
				ATTR_LONG(DELIVER_ATTR_ARRIVAL_TIME, 1700000000),
				ATTR_INT(DELIVER_ATTR_RCPT_COUNT, n))), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(attr_print(s, ATTR_FLAG_NONE, ATTR_LIST(
				    ATTR_LONG(DELIVER_ATTR_OFFSET, 1000 + i),
				    ATTR_STR(DELIVER_ATTR_ADDRESS, "u@example.org"))), 0);
	assert_int_equal(stream_flush(s), 0);
}

/* read_list - one reply list; the value of name, or NULL at the end */
static char *
read_list(struct stream *s, const char *name, char *out, size_t len)
{
	struct htable *attrs = htable_new(8);
	const char *value;

	if (attr_scan_dynamic(s, ATTR_FLAG_NONE, 0, attrs, NULL) <= 0) {
		htable_free(attrs, free);
		return (NULL);
	}
	value = htable_find(attrs, name);
	snprintf(out, len, "%s", value ? value : "(none)");
	htable_free(attrs, free);
	return (out);
}

/* test_conversation - two requests on one connection, then a bad one */
static void
test_conversation(void **state)
{
	struct stream *client, *server;
	struct buf *why = buf_new(64);
	char	value[128];
	int	sv[2];

	(void) state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	client = stream_fdopen(sv[0], STREAM_READ | STREAM_WRITE);
	server = stream_fdopen(sv[1], STREAM_READ | STREAM_WRITE);
	send_request(client, "5.1.1 gone", 2);
	send_request(client, "4.4.4 wait", 1);
	assert_int_equal(stream_write(client, "Zbad", 4), 0);	/* bad type byte */
	assert_int_equal(stream_flush(client), 0);
	assert_int_equal(shutdown(sv[0], SHUT_WR), 0);
	error_service(server, ERROR_MODE_BOUNCE);
	(void) stream_close(server);
	assert_int_equal(attr_expect_proto(client, "deliver", why), 0);
	assert_string_equal(read_list(client, "dsn_status", value, sizeof(value)), "5.1.1");
	assert_string_equal(read_list(client, "reason", value, sizeof(value)), "gone");
	assert_string_equal(read_list(client, "status", value, sizeof(value)), "0");
	assert_string_equal(read_list(client, "status", value, sizeof(value)), "4");
	assert_string_equal(read_list(client, "flags", value, sizeof(value)), "0");
	assert_null(read_list(client, "status", value, sizeof(value)));
	(void) stream_close(client);
	buf_free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcome),
		cmocka_unit_test(test_conversation),
	};

	return (cmocka_run_group_tests_name("error_agent", tests, setup, NULL));
}
