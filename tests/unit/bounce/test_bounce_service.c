/*
 * NAME
 *	test_bounce_service - unit tests for the bounce protocol server side
 * DESCRIPTION
 *	bounce_service() on one end of a socket pair: the greeting, a
 *	request with nothing to report (status 0, no cleanup needed),
 *	several requests on one connection, and bad requests (unknown
 *	request, unsafe queue ID, missing sender, bad dsn_ret) that are
 *	answered with status -1 and end the conversation.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <util/argv.h>
#include <util/attr.h>
#include <util/buf.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/bounce_client.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include <global/queue.h>

#include "bounce/bounce.h"

static char test_dir[] = "/tmp/test_bounce_service.XXXXXX";
static char old_cwd[4096];
static struct argv *warnings;

/* capture - keep warnings */
static void
capture(enum msg_level level, const char *text, void *ctx)
{
	(void) ctx;
	if (level == MSG_WARN)
		argv_add(warnings, text);
}

/* setup - defaults, an empty queue directory */
static int
setup(void **state)
{
	(void) state;
	params_reset_defaults();
	warnings = argv_new(4);
	msg_set_capture(capture, NULL);
	msg_to_stderr(MSG_STDERR_OFF);
	assert_non_null(getcwd(old_cwd, sizeof(old_cwd)));
	assert_non_null(mkdtemp(test_dir));
	assert_int_equal(chdir(test_dir), 0);
	return (0);
}

/* teardown - clean up */
static int
teardown(void **state)
{
	(void) state;
	assert_int_equal(chdir(old_cwd), 0);
	(void) rmdir(test_dir);
	argv_free(warnings);
	return (0);
}

/* put_request - one request list on the client end */
static void
put_request(struct stream *client, const char *request, const char *id,
	        const char *sender, const char *ret)
{
	struct attr list[10];
	int	n = 0;

	list[n++] = (struct attr) ATTR_STR(BOUNCE_ATTR_REQ, request);
	list[n++] = (struct attr) ATTR_STR(BOUNCE_ATTR_QUEUE, "active");
	list[n++] = (struct attr) ATTR_STR(BOUNCE_ATTR_QUEUE_ID, id);
	if (sender)
		list[n++] = (struct attr) ATTR_STR(BOUNCE_ATTR_SENDER, sender);
	if (ret)
		list[n++] = (struct attr) ATTR_STR(BOUNCE_ATTR_DSN_RET, ret);
	list[n++] = (struct attr) ATTR_STR(MAIL_ATTR_DSN_ENVID, "ENV");
	list[n++] = (struct attr) ATTR_INT(BOUNCE_ATTR_SMTPUTF8, 0);
	list[n] = (struct attr) ATTR_END;
	assert_int_equal(attr_print(client, ATTR_FLAG_FLUSH, list), 0);
}

/* converse - send requests, run the server, collect statuses */
static int
converse(void (*fill)(struct stream *), int *statuses, int max)
{
	int	sv[2];
	struct stream *client, *server;
	struct buf *why = buf_new(64);
	int	count = 0;
	int	status;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	client = stream_fdopen(sv[0], STREAM_READ | STREAM_WRITE);
	server = stream_fdopen(sv[1], STREAM_READ | STREAM_WRITE);
	fill(client);
	assert_int_equal(shutdown(sv[0], SHUT_WR), 0);
	bounce_service(server);
	(void) stream_close(server);
	assert_int_equal(attr_expect_proto(client, MAIL_PROTO_BOUNCE, why), 0);
	while (count < max && attr_scan_full(client, ATTR_FLAG_NONE, 0, ATTR_LIST(
				 SCAN_INT(BOUNCE_ATTR_STATUS, &status)), why) == 1)
		statuses[count++] = status;
	(void) stream_close(client);
	buf_free(why);
	return (count);
}

/* fill_nothing_to_do - three requests for a message without logs */
static void
fill_nothing_to_do(struct stream *client)
{
	put_request(client, BOUNCE_REQ_FLUSH, "1xVQiR3p2ojzaU", "s@example.com", "2");
	put_request(client, BOUNCE_REQ_WARN, "1xVQiR3p2ojzaU", "", NULL);
	put_request(client, BOUNCE_REQ_TRACE, "1xVQiR3p2ojzaU", "s@example.com", "1");
}

/* test_nothing_to_do - no logfile, no queue file: done, status 0 */
static void
test_nothing_to_do(void **state)
{
	int	statuses[4];

	(void) state;
	assert_int_equal(converse(fill_nothing_to_do, statuses, 4), 3);
	assert_int_equal(statuses[0], 0);
	assert_int_equal(statuses[1], 0);
	assert_int_equal(statuses[2], 0);
	assert_true(warnings->argc >= 1);
	assert_non_null(strstr(warnings->argv[0], "message is gone"));
	argv_truncate(warnings, 0);
}

/* fill_bad_request - unknown request, then one that is never read */
static void
fill_bad_request(struct stream *client)
{
	put_request(client, "explode", "1xVQiR3p2ojzaU", "s@example.com", NULL);
	put_request(client, BOUNCE_REQ_FLUSH, "1xVQiR3p2ojzaU", "s@example.com", NULL);
}

/* fill_bad_id - a queue ID that is a path */
static void
fill_bad_id(struct stream *client)
{
	put_request(client, BOUNCE_REQ_FLUSH, "../../etc/passwd", "s@example.com", NULL);
}

/* fill_no_sender - sender missing */
static void
fill_no_sender(struct stream *client)
{
	put_request(client, BOUNCE_REQ_EXPIRE, "1xVQiR3p2ojzaU", NULL, NULL);
}

/* fill_bad_ret - dsn_ret not a number */
static void
fill_bad_ret(struct stream *client)
{
	put_request(client, BOUNCE_REQ_FLUSH, "1xVQiR3p2ojzaU", "s@example.com", "FULL!");
}

 /*
  * Bad requests and the warning each must draw.
  */
static const struct {
	void	(*fill) (struct stream *);
	const char *warning;
}	bad_cases[] = {
	{fill_bad_request, "bad request: bad or missing request \"explode\""},
	{fill_bad_id, "bad request: bad or missing queue ID"},
	{fill_no_sender, "bad request: missing sender"},
	{fill_bad_ret, "bad request: bad dsn_ret \"FULL!\""},
};

/* test_bad_requests - status -1 and the conversation ends */
static void
test_bad_requests(void **state)
{
	int	statuses[4];
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(bad_cases); i++) {
		argv_truncate(warnings, 0);
		assert_int_equal(converse(bad_cases[i].fill, statuses, 4), 1);
		assert_int_equal(statuses[0], -1);
		assert_int_equal(warnings->argc, 1);
		assert_non_null(strstr(warnings->argv[0], bad_cases[i].warning));
	}
	argv_truncate(warnings, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_to_do),
		cmocka_unit_test(test_bad_requests),
	};

	return (cmocka_run_group_tests_name("bounce_service", tests, setup, teardown));
}
