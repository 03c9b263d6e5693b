/*
 * NAME
 *	test_deliver_request - unit tests for the agent side of the delivery protocol
 * DESCRIPTION
 *	Over a socket pair: the hello; a full request with recipients and
 *	a minimal one (optional attributes absent, unknown ones ignored);
 *	bad requests (unsafe queue id, no recipients, bad offsets, empty
 *	address, a missing attribute, end of file inside the recipients);
 *	clean end of file; per-recipient results as qmgr reads them, with
 *	the Postfix-shaped log line (orig_to, conn_use, control characters
 *	in the reason), soft_bounce, the closing status; Postfix's delay
 *	formatting and the a/b/c/d split.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <regex.h>
#include <unistd.h>
#include <sys/socket.h>
#include <util/attr.h>
#include <util/msg.h>
#include <global/dsn.h>
#include <global/deliver_request.h>
#include <global/params.h>

static struct buf *logged;
static struct stream *qmgr_end;		/* what qmgr holds */
static struct stream *agent_end;	/* what the agent holds */

/* capture - collect log lines */
static void
capture(enum msg_level level, const char *text, void *ctx)
{
	(void) ctx;
	(void) level;
	buf_appendf(logged, "%s\n", text);
}

/* setup - a connected pair, defaults, captured log */
static int
setup(void **state)
{
	int	fds[2];

	(void) state;
	params_reset_defaults();
	logged = buf_new(100);
	msg_to_stderr(MSG_STDERR_OFF);
	msg_set_capture(capture, NULL);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	qmgr_end = stream_fdopen(fds[0], STREAM_READ | STREAM_WRITE);
	agent_end = stream_fdopen(fds[1], STREAM_READ | STREAM_WRITE);
	stream_set_timeout(qmgr_end, 5);
	stream_set_timeout(agent_end, 5);
	return (0);
}

/* teardown - close both ends */
static int
teardown(void **state)
{
	(void) state;
	if (qmgr_end)
		stream_close(qmgr_end);
	stream_close(agent_end);
	qmgr_end = NULL;
	msg_set_capture(NULL, NULL);
	buf_free(logged);
	return (0);
}

/* send_request - qmgr's request list with a queue id and count */
static void
send_request(const char *queue_id, int rcpt_count, int full)
{
	if (full)
		assert_int_equal(attr_print(qmgr_end, ATTR_FLAG_NONE, ATTR_LIST(
				 ATTR_INT(DELIVER_ATTR_FLAGS, DEL_REQ_FLAG_CONN_STORE),
				 ATTR_STR(DELIVER_ATTR_QUEUE, "active"),
				 ATTR_STR(DELIVER_ATTR_QUEUE_ID, queue_id),
				 ATTR_LONG(DELIVER_ATTR_DATA_OFFSET, 321),
				 ATTR_LONG(DELIVER_ATTR_DATA_SIZE, 1000),
				 ATTR_STR(DELIVER_ATTR_NEXTHOP, "example.com"),
				 ATTR_STR(DELIVER_ATTR_TRANSPORT, "relay"),
				 ATTR_STR(DELIVER_ATTR_ENCODING, "8bit"),
				 ATTR_INT(DELIVER_ATTR_SMTPUTF8, 1),
				 ATTR_STR(DELIVER_ATTR_SENDER, "s@example.org"),
				 ATTR_STR(DELIVER_ATTR_DSN_ENVID, "env1"),
				 ATTR_INT(DELIVER_ATTR_DSN_RET, 2),
				 ATTR_STR(DELIVER_ATTR_LOG_IDENT, queue_id),
				 ATTR_LONG(DELIVER_ATTR_ARRIVAL_TIME, 1700000000),
				 ATTR_LONG(DELIVER_ATTR_ARRIVAL_USEC, 250000),
				 ATTR_LONG(DELIVER_ATTR_ACTIVE_TIME, 1700000001),
				 ATTR_LONG(DELIVER_ATTR_ACTIVE_USEC, 5),
				 ATTR_STR(DELIVER_ATTR_PRIORITY, "high"),
				 ATTR_STR("future_attribute", "ignored"),
				 ATTR_INT(DELIVER_ATTR_RCPT_COUNT, rcpt_count))), 0);
	else
		assert_int_equal(attr_print(qmgr_end, ATTR_FLAG_NONE, ATTR_LIST(
				 ATTR_INT(DELIVER_ATTR_FLAGS, 0),
				 ATTR_STR(DELIVER_ATTR_QUEUE, "active"),
				 ATTR_STR(DELIVER_ATTR_QUEUE_ID, queue_id),
				 ATTR_LONG(DELIVER_ATTR_DATA_OFFSET, 100),
				 ATTR_LONG(DELIVER_ATTR_DATA_SIZE, 0),
				 ATTR_STR(DELIVER_ATTR_NEXTHOP, "[127.0.0.1]:25"),
				 ATTR_STR(DELIVER_ATTR_TRANSPORT, "smtp"),
				 ATTR_STR(DELIVER_ATTR_SENDER, ""),
				 ATTR_LONG(DELIVER_ATTR_ARRIVAL_TIME, 1700000000),
				 ATTR_INT(DELIVER_ATTR_RCPT_COUNT, rcpt_count))), 0);
}

/* send_rcpt - one recipient list */
static void
send_rcpt(long offset, const char *addr, const char *orig)
{
	if (orig)
		assert_int_equal(attr_print(qmgr_end, ATTR_FLAG_NONE, ATTR_LIST(
				 ATTR_LONG(DELIVER_ATTR_OFFSET, offset),
				 ATTR_STR(DELIVER_ATTR_ADDRESS, addr),
				 ATTR_STR(DELIVER_ATTR_ORIG_ADDRESS, orig),
				 ATTR_INT(DELIVER_ATTR_DSN_NOTIFY, 6))), 0);
	else
		assert_int_equal(attr_print(qmgr_end, ATTR_FLAG_NONE, ATTR_LIST(
				 ATTR_LONG(DELIVER_ATTR_OFFSET, offset),
				 ATTR_STR(DELIVER_ATTR_ADDRESS, addr))), 0);
	assert_int_equal(stream_flush(qmgr_end), 0);
}

/* test_hello - {proto=deliver} */
static void
test_hello(void **state)
{
	struct buf *why = buf_new(10);

	(void) state;
	assert_int_equal(deliver_request_hello(agent_end), 0);
	assert_int_equal(attr_expect_proto(qmgr_end, MAIL_PROTO_DELIVER, why), 0);
	buf_free(why);
}

/* test_read_full - every attribute */
static void
test_read_full(void **state)
{
	struct deliver_request req;
	struct buf *why = buf_new(10);

	(void) state;
	send_request("1xVR5G000uGG", 2, 1);
	send_rcpt(50, "a@example.com", "A@Example.com");
	send_rcpt(70, "b@example.com", NULL);
	assert_int_equal(deliver_request_read(agent_end, &req, why), 1);
	assert_int_equal(req.flags, DEL_REQ_FLAG_CONN_STORE);
	assert_string_equal(req.queue_id, "1xVR5G000uGG");
	assert_string_equal(req.queue_name, "active");
	assert_int_equal(req.data_offset, 321);
	assert_int_equal(req.data_size, 1000);
	assert_string_equal(req.nexthop, "example.com");
	assert_string_equal(req.transport, "relay");
	assert_string_equal(req.encoding, "8bit");
	assert_int_equal(req.smtputf8, 1);
	assert_string_equal(req.sender, "s@example.org");
	assert_string_equal(req.dsn_envid, "env1");
	assert_int_equal(req.dsn_ret, 2);
	assert_int_equal(req.arrival.tv_sec, 1700000000);
	assert_int_equal(req.arrival.tv_usec, 250000);
	assert_int_equal(req.active.tv_sec, 1700000001);
	assert_string_equal(req.priority, "high");
	assert_int_equal(req.rcpt_count, 2);
	assert_int_equal(req.rcpt[0].offset, 50);
	assert_string_equal(req.rcpt[0].orig_address, "A@Example.com");
	assert_int_equal(req.rcpt[0].dsn_notify, 6);
	assert_string_equal(req.rcpt[1].address, "b@example.com");
	assert_string_equal(req.rcpt[1].orig_address, "");
	assert_true(req.handoff.tv_sec > 0);
	assert_int_equal(req.delay_xfer, -1);
	deliver_request_free(&req);
	assert_null(req.queue_id);
	buf_free(why);
}

/* test_read_minimal - optional attributes absent; two requests in a row */
static void
test_read_minimal(void **state)
{
	struct deliver_request req;
	struct buf *why = buf_new(10);

	(void) state;
	send_request("AAAAAA0000B", 1, 0);
	send_rcpt(9, "x@y", NULL);
	send_request("AAAAAA0000C", 1, 0);
	send_rcpt(19, "z@y", NULL);
	assert_int_equal(deliver_request_read(agent_end, &req, why), 1);
	assert_string_equal(req.encoding, "");
	assert_string_equal(req.sender, "");
	assert_int_equal(req.active.tv_sec, 0);
	deliver_request_free(&req);
	assert_int_equal(deliver_request_read(agent_end, &req, why), 1);
	assert_string_equal(req.queue_id, "AAAAAA0000C");
	deliver_request_free(&req);
	stream_close(qmgr_end);
	qmgr_end = NULL;
	assert_int_equal(deliver_request_read(agent_end, &req, why), 0);
	deliver_request_free(&req);
	buf_free(why);
}

/* read_bad - one bad request; the reason must contain want */
static void
read_bad(const char *want)
{
	struct deliver_request req;
	struct buf *why = buf_new(10);

	assert_int_equal(deliver_request_read(agent_end, &req, why), -1);
	if (strstr(why->data, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", why->data, want);
	deliver_request_free(&req);
	buf_free(why);
}

/* test_read_bad - requests that must be refused */
static void
test_read_bad(void **state)
{
	(void) state;
	send_request("../../etc/passwd", 1, 0);
	send_rcpt(9, "x@y", NULL);
	read_bad("bad queue id");
	teardown(NULL);
	setup(NULL);
	send_request("AAAAAA0000B", 0, 0);
	stream_flush(qmgr_end);
	read_bad("bad recipient count");
	teardown(NULL);
	setup(NULL);
	send_request("AAAAAA0000B", 1, 0);
	send_rcpt(0, "x@y", NULL);
	read_bad("bad recipient");
	teardown(NULL);
	setup(NULL);
	send_request("AAAAAA0000B", 1, 0);
	send_rcpt(10, "", NULL);
	read_bad("bad recipient");
	teardown(NULL);
	setup(NULL);
	assert_int_equal(attr_print(qmgr_end, ATTR_FLAG_FLUSH, ATTR_LIST(
				ATTR_STR(DELIVER_ATTR_QUEUE_ID, "AAAAAA0000B"),
				ATTR_INT(DELIVER_ATTR_RCPT_COUNT, 1))), 0);
	read_bad("missing");
	teardown(NULL);
	setup(NULL);
	send_request("AAAAAA0000B", 2, 0);
	send_rcpt(10, "x@y", NULL);
	stream_close(qmgr_end);
	qmgr_end = NULL;
	read_bad("");
}

static int last_notify;			/* dsn_notify of the last result */

/* read_result - qmgr reads one recipient result */
static void
read_result(long *offset, int *status, struct buf *dsn, struct buf *action,
	            struct buf *reason, struct buf *relay, int *code)
{
	long	dconn = -1, dxfer = -1;

	assert_int_equal(stream_flush(agent_end), 0);
	assert_int_equal(attr_scan(qmgr_end, ATTR_FLAG_NONE, ATTR_LIST(
			      SCAN_LONG(DELIVER_ATTR_OFFSET, offset),
			      SCAN_INT(DELIVER_ATTR_STATUS, status),
			      SCAN_STR(DELIVER_ATTR_DSN_STATUS, dsn),
			      SCAN_STR(DELIVER_ATTR_DSN_ACTION, action),
			      SCAN_INT(DELIVER_ATTR_RESULT_NOTIFY, &last_notify),
			      SCAN_STR(DELIVER_ATTR_REASON, reason),
			      SCAN_STR(DELIVER_ATTR_RELAY, relay),
			      SCAN_LONG(DELIVER_ATTR_DELAY_CONN, &dconn),
			      SCAN_LONG(DELIVER_ATTR_DELAY_XFER, &dxfer),
			      SCAN_INT(DELIVER_ATTR_REPLY_CODE, code))), 10);
	assert_true(dconn >= 0 && dxfer >= 0);
}

/* log_matches - a POSIX extended regular expression against the log */
static int
log_matches(const char *pattern)
{
	regex_t	re;
	int	ret;

	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB | REG_NEWLINE), 0);
	ret = regexec(&re, logged->data, 0, NULL, 0) == 0;
	regfree(&re);
	if (!ret)
		print_message("log was: %s\n", logged->data);
	return (ret);
}

/* test_status - results, log lines, soft_bounce, final */
static void
test_status(void **state)
{
	struct deliver_request req;
	struct buf *dsn = buf_new(10), *action = buf_new(10), *reason = buf_new(10);
	struct buf *relay = buf_new(10), *reply = buf_new(10);
	long	offset;
	int	status, code, flags;

	(void) state;
	send_request("1xVR5G000uGG", 2, 1);
	send_rcpt(50, "a@example.com", "orig@example.com");
	send_rcpt(70, "b@example.com", "B@example.com");
	assert_int_equal(deliver_request_read(agent_end, &req, NULL), 1);
	req.conn_use = 2;
	assert_int_equal(deliver_status_rcpt_reply(agent_end, &req, req.rcpt, 0, "2.0.0", NULL,
		      "250 2.0.0 Ok: queued as X", "mx[192.0.2.1]:25", 250), 0);
	read_result(&offset, &status, dsn, action, reason, relay, &code);
	assert_int_equal(offset, 50);
	assert_int_equal(status, 0);
	assert_string_equal(action->data, "delivered");
	assert_int_equal(last_notify, 6);	/* SUCCESS|FAILURE goes back */
	assert_int_equal(code, 250);
	assert_true(log_matches("^1xVR5G000uGG: to=<a@example\\.com>, orig_to=<orig@example\\.com>, "
				"relay=mx\\[192\\.0\\.2\\.1\\]:25, conn_use=2, delay=[0-9.]+, "
			     "delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2\\.0\\.0, "
				"status=sent \\(250 2\\.0\\.0 Ok: queued as X\\)$"));
	buf_reset(logged);
	req.conn_use = 1;
	var_soft_bounce = 1;
	assert_int_equal(deliver_status_rcpt(agent_end, &req, req.rcpt + 1, 5, "5.1.1", NULL,
		   "host mx said: 550 5.1.1 no\r\nsuch user", NULL), 0);
	read_result(&offset, &status, dsn, action, reason, relay, &code);
	assert_int_equal(status, 4);
	assert_string_equal(dsn->data, "4.1.1");
	assert_string_equal(action->data, "delayed");
	assert_string_equal(relay->data, "none");
	assert_string_equal(reason->data, "host mx said: 550 5.1.1 no  such user");
	assert_true(log_matches("to=<b@example\\.com>, relay=none, delay=.*dsn=4\\.1\\.1, "
				"status=SOFTBOUNCE \\(host mx said"));
	assert_null(strstr(logged->data, "orig_to"));	/* only the case differs */
	buf_reset(logged);
	var_soft_bounce = 0;
	req.rcpt[0].dsn_notify = DSN_NOTIFY_FAILURE;	/* the agent took SUCCESS on */
	assert_int_equal(deliver_status_rcpt(agent_end, &req, req.rcpt, 0, "2.0.0",
					     DSN_ACTION_RELAYED, "250 Ok", NULL), 0);
	read_result(&offset, &status, dsn, action, reason, relay, &code);
	assert_string_equal(action->data, "relayed");
	assert_int_equal(last_notify, DSN_NOTIFY_FAILURE);
	assert_int_equal(deliver_status_rcpt(agent_end, &req, req.rcpt + 1, 5, "5.1.1",
					     NULL, "bounced", NULL), 0);
	read_result(&offset, &status, dsn, action, reason, relay, &code);
	assert_int_equal(status, 5);
	assert_string_equal(action->data, "failed");
	assert_true(log_matches("dsn=5\\.1\\.1, status=bounced \\(bounced\\)"));
	assert_int_equal(deliver_status_rcpt(agent_end, &req, req.rcpt, 4, "4.4.1",
					     NULL, "connect to x", NULL), 0);
	read_result(&offset, &status, dsn, action, reason, relay, &code);
	assert_string_equal(action->data, "delayed");
	assert_true(log_matches("status=deferred \\(connect to x\\)"));
	assert_int_equal(deliver_status_final(agent_end, DELIVER_FINAL_OK,
					      DEL_STAT_THROTTLED, "421 4.7.0 slow\ndown"), 0);
	assert_int_equal(attr_scan(qmgr_end, ATTR_FLAG_NONE, ATTR_LIST(
				SCAN_INT(DELIVER_ATTR_STATUS, &status),
				SCAN_INT(DELIVER_ATTR_FLAGS, &flags),
				SCAN_STR(DELIVER_ATTR_REPLY, reply))), 3);
	assert_int_equal(status, 0);
	assert_int_equal(flags, DEL_STAT_THROTTLED);
	assert_string_equal(reply->data, "421 4.7.0 slow down");
	assert_string_equal(deliver_status_word(4), "deferred");
	deliver_request_free(&req);
	buf_free(dsn);
	buf_free(action);
	buf_free(reason);
	buf_free(relay);
	buf_free(reply);
}

/* test_delay_format - Postfix's two significant digits */
static void
test_delay_format(void **state)
{
	static const struct {
		long	usec;
		int	resolution;
		const char *want;
	} cases[] = {
		{0, 2, "0"}, {400000, 2, "0.4"}, {50000, 2, "0.05"}, {4000, 2, "0"},
		{140000, 2, "0.14"}, {1234567, 2, "1.2"}, {12300000, 2, "12"},
		{9960000, 2, "10"}, {996000, 2, "1"}, {1000000, 2, "1"},
		{100000, 2, "0.1"}, {10000, 2, "0.01"}, {4000, 3, "0.004"},
		{1234, 3, "0.001"}, {1234, 6, "0.0012"}, {395000000, 2, "395"},
		{1050000, 2, "1.1"}, {19000, 1, "0"}, {1234567, 0, "1"},
	};
	struct buf *out = buf_new(10);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		var_delay_logging_resolution_limit = cases[i].resolution;
		buf_reset(out);
		deliver_delay_format(out, cases[i].usec);
		if (strcmp(out->data, cases[i].want) != 0)
			fail_msg("%ld us (resolution %d): got %s want %s", cases[i].usec,
				 cases[i].resolution, out->data, cases[i].want);
	}
	buf_free(out);
}

/* test_delays - the a/b/c/d split */
static void
test_delays(void **state)
{
	struct deliver_request req;
	struct buf *out = buf_new(10);

	(void) state;
	memset(&req, 0, sizeof(req));
	gettimeofday(&req.handoff, NULL);
	req.arrival = req.handoff;
	req.arrival.tv_sec -= 2;
	req.active = req.arrival;
	req.active.tv_usec = req.arrival.tv_usec;
	req.active.tv_sec += 0;
	req.active.tv_usec += req.active.tv_usec >= 500000 ? -500000 : 500000;
	if (req.active.tv_usec < req.arrival.tv_usec)
		req.active.tv_sec += 1;
	req.delay_conn = 100000;
	req.delay_xfer = 300000;
	deliver_request_delays(&req, out);
	assert_true(strncmp(out->data, "delay=2, delays=0.5/1.5/0.1/0.3", 32) == 0
		    || strncmp(out->data, "delay=2.1, delays=0.5/1.5/0.1/0.3", 34) == 0);
	req.active.tv_sec = 0;
	req.delay_xfer = -1;
	buf_reset(out);
	deliver_request_delays(&req, out);
	assert_non_null(strstr(out->data, "delays=0/2/0.1/0"));
	buf_free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_minimal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delay_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delays, setup, teardown),
	};

	return (cmocka_run_group_tests_name("deliver_request", tests, NULL, NULL));
}
