/*
 * NAME
 *	test_discard_agent - unit tests for the discard agent
 * DESCRIPTION
 *	The outcome table (next-hop text -> code, reason), then a whole
 *	conversation over a socket pair: every recipient reported sent
 *	with relay none, the final status, and the end of the conversation
 *	when the client hangs up.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <util/attr.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/deliver_request.h>
#include <global/params.h>

#include "discard/discard.h"

static const struct {
	const char *nexthop;
	const char *dsn;
	const char *reason;
}	cases[] = {
	{"", "2.0.0", "discarded"},
	{"silently", "2.0.0", "silently"},
	{"2.6.0 dropped by policy", "2.6.0", "dropped by policy"},
	{"5.1.1 never a failure", "2.1.1", "never a failure"},
	{"example.com", "2.0.0", "example.com"},
};

/* setup - defaults */
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
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		const char *reason = discard_outcome(cases[i].nexthop, dsn);

		if (strcmp(dsn, cases[i].dsn) || strcmp(reason, cases[i].reason))
			fail_msg("\"%s\": got %s \"%s\"", cases[i].nexthop, dsn, reason);
	}
}

/* test_conversation - one request with three recipients */
static void
test_conversation(void **state)
{
	struct stream *client, *server;
	struct buf *why = buf_new(64);
	struct htable *attrs;
	int	sv[2];
	int	i;

	(void) state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	client = stream_fdopen(sv[0], STREAM_READ | STREAM_WRITE);
	server = stream_fdopen(sv[1], STREAM_READ | STREAM_WRITE);
	assert_int_equal(attr_print(client, ATTR_FLAG_NONE, ATTR_LIST(
				ATTR_INT(DELIVER_ATTR_FLAGS, 0),
				ATTR_STR(DELIVER_ATTR_QUEUE, "active"),
				ATTR_STR(DELIVER_ATTR_QUEUE_ID, "1xVQiR3p2ojzaU"),
				ATTR_LONG(DELIVER_ATTR_DATA_OFFSET, 100),
				ATTR_LONG(DELIVER_ATTR_DATA_SIZE, 10),
				ATTR_STR(DELIVER_ATTR_NEXTHOP, "silently"),
				ATTR_STR(DELIVER_ATTR_TRANSPORT, "discard"),
				ATTR_STR(DELIVER_ATTR_SENDER, ""),
				ATTR_LONG(DELIVER_ATTR_ARRIVAL_TIME, 1700000000),
				ATTR_INT(DELIVER_ATTR_RCPT_COUNT, 3))), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(attr_print(client, ATTR_FLAG_NONE, ATTR_LIST(
				    ATTR_LONG(DELIVER_ATTR_OFFSET, 10 + i),
				    ATTR_STR(DELIVER_ATTR_ADDRESS, "x@example.org"))), 0);
	assert_int_equal(stream_flush(client), 0);
	assert_int_equal(shutdown(sv[0], SHUT_WR), 0);
	discard_service(server);
	(void) stream_close(server);
	assert_int_equal(attr_expect_proto(client, "deliver", why), 0);
	for (i = 0; i < 4; i++) {
		attrs = htable_new(8);
		assert_true(attr_scan_dynamic(client, ATTR_FLAG_NONE, 0, attrs, NULL) > 0);
		assert_string_equal(htable_find(attrs, "status"), "0");
		if (i < 3) {
			assert_string_equal(htable_find(attrs, "relay"), "none");
			assert_string_equal(htable_find(attrs, "reason"), "silently");
			assert_int_equal(atoi(htable_find(attrs, "offset")), 10 + i);
		}
		htable_free(attrs, free);
	}
	attrs = htable_new(8);
	assert_int_equal(attr_scan_dynamic(client, ATTR_FLAG_NONE, 0, attrs, NULL), -1);
	htable_free(attrs, free);
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

	return (cmocka_run_group_tests_name("discard_agent", tests, setup, NULL));
}
