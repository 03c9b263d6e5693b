/*
 * NAME
 *	test_qmgr_ipc - unit tests for non-blocking attribute conversations
 * DESCRIPTION
 *	qmgr_ipc_list_len() on complete, partial and broken framing, and
 *	whole conversations over a real UNIX-domain socket through the
 *	event loop: request out, lists in one by one (also when they arrive
 *	byte by byte), end of file between lists, a list cut short, a
 *	timeout, a missing socket, and closing from inside the callback.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <unistd.h>
#include <util/attr.h>
#include <util/buf.h>
#include <util/events.h>
#include <util/iostuff.h>
#include <util/stream.h>

#include "qmgr/qmgr.h"

static char test_dir[] = "/tmp/test_qmgr_ipc.XXXXXX";
static struct buf *sock_path;

struct conv {
	int	lists;
	int	events[8];
	int	values[8];
	int	finished;
	int	close_after;		/* close after this many lists */
};

/* wire - one list {name=value} (number) in wire format */
static size_t
wire(unsigned char *out, const char *name, int value)
{
	char	num[16];
	size_t	n = strlen(name), v, pos = 0;

	v = (size_t) snprintf(num, sizeof(num), "%d", value);
	out[pos++] = 'N';
	out[pos++] = (unsigned char) n;
	memcpy(out + pos, name, n);
	pos += n;
	out[pos++] = 0;
	out[pos++] = 0;
	out[pos++] = 0;
	out[pos++] = (unsigned char) v;
	memcpy(out + pos, num, v);
	pos += v;
	out[pos++] = 0;
	return (pos);
}

/* test_list_len - framing checks */
static void
test_list_len(void **state)
{
	unsigned char buf[64];
	struct buf *why = buf_new(64);
	size_t	len = wire(buf, "status", 42), i;

	(void) state;
	assert_int_equal(qmgr_ipc_list_len((char *) buf, len, why), (ssize_t) len);
	assert_int_equal(qmgr_ipc_list_len((char *) buf, len + 5, why), (ssize_t) len);
	for (i = 0; i < len; i++)
		assert_int_equal(qmgr_ipc_list_len((char *) buf, i, why), 0);
	assert_int_equal(qmgr_ipc_list_len("", 1, why), 1);
	buf[0] = 'Q';
	assert_int_equal(qmgr_ipc_list_len((char *) buf, len, why), -1);
	assert_non_null(strstr(buf_str(why), "type byte"));
	buf[0] = 'S';
	buf[1] = 0;
	assert_int_equal(qmgr_ipc_list_len((char *) buf, len, why), -1);
	buf[1] = 6;
	buf[8] = 0x7f;			/* value length over the limit */
	assert_int_equal(qmgr_ipc_list_len((char *) buf, len, why), -1);
	buf_free(why);
}

/* on_event - record what arrived */
static void
on_event(struct qmgr_ipc *ipc, int event, void *ctx)
{
	struct conv *c = ctx;
	int	value = -1;

	if (c->lists < 8)
		c->events[c->lists] = event;
	if (event == QMGR_IPC_LIST) {
		if (attr_scan(qmgr_ipc_stream(ipc), ATTR_FLAG_NONE,
			      ATTR_LIST(SCAN_INT("status", &value))) != 1)
			value = -2;
		if (c->lists < 8)
			c->values[c->lists] = value;
		c->lists++;
		if (c->close_after && c->lists == c->close_after) {
			c->finished = 1;
			qmgr_ipc_close(ipc);
		}
		return;
	}
	c->lists++;
	c->finished = 1;
	qmgr_ipc_close(ipc);
}

/* run_until - the event loop until the conversation ended (bounded) */
static void
run_until(struct conv *c, int ms)
{
	int64_t	end = event_time_update() + ms;

	while (!c->finished && event_time_update() < end)
		event_loop(20);
}

/* server - a listening socket and an accepted client */
static int
server_accept(int lfd)
{
	int	fd;

	assert_int_equal(read_wait(lfd, 2000), 0);
	fd = sock_accept(lfd);
	assert_true(fd >= 0);
	return (fd);
}

/* test_conversation - request out, lists in, EOF at the end */
static void
test_conversation(void **state)
{
	struct conv c = {0};
	struct buf *why = buf_new(64);
	unsigned char out[128];
	struct qmgr_ipc *ipc;
	struct stream *s;
	int	lfd, fd, got = -1;
	size_t	len = 0, i;

	(void) state;
	lfd = unix_listen(buf_str(sock_path), 5, 0);
	assert_true(lfd >= 0);
	ipc = qmgr_ipc_connect(buf_str(sock_path), why);
	assert_non_null(ipc);
	(void) attr_print(qmgr_ipc_stream(ipc), ATTR_FLAG_NONE,
			  ATTR_LIST(ATTR_INT("request", 7)));
	qmgr_ipc_start(ipc, 10, on_event, &c);
	fd = server_accept(lfd);
	event_loop(50);
	s = stream_fdopen(fd, STREAM_READ);
	stream_set_timeout(s, 2);
	assert_int_equal(attr_scan(s, ATTR_FLAG_NONE,
				   ATTR_LIST(SCAN_INT("request", &got))), 1);
	assert_int_equal(got, 7);
	(void) stream_free(s);
	len += wire(out + len, "status", 1);
	len += wire(out + len, "status", 2);
	/* The second half of the bytes one at a time. */
	assert_int_equal(write_full(fd, out, len / 2 + 3), (ssize_t) (len / 2 + 3));
	event_loop(50);
	for (i = len / 2 + 3; i < len; i++) {
		assert_int_equal(write(fd, out + i, 1), 1);
		event_loop(5);
	}
	(void) close(fd);
	run_until(&c, 2000);
	assert_int_equal(c.lists, 3);
	assert_int_equal(c.events[0], QMGR_IPC_LIST);
	assert_int_equal(c.values[0], 1);
	assert_int_equal(c.values[1], 2);
	assert_int_equal(c.events[2], QMGR_IPC_EOF);
	(void) close(lfd);
	buf_free(why);
}

/* test_truncated - the peer leaves in the middle of a list */
static void
test_truncated(void **state)
{
	struct conv c = {0};
	struct buf *why = buf_new(64);
	unsigned char out[64];
	struct qmgr_ipc *ipc;
	int	lfd, fd;
	size_t	len;

	(void) state;
	lfd = unix_listen(buf_str(sock_path), 5, 0);
	ipc = qmgr_ipc_connect(buf_str(sock_path), why);
	assert_non_null(ipc);
	qmgr_ipc_start(ipc, 10, on_event, &c);
	fd = server_accept(lfd);
	len = wire(out, "status", 5);
	assert_int_equal(write_full(fd, out, len - 2), (ssize_t) (len - 2));
	(void) close(fd);
	run_until(&c, 2000);
	assert_int_equal(c.lists, 1);
	assert_int_equal(c.events[0], QMGR_IPC_ERROR);
	(void) close(lfd);
	buf_free(why);
}

/* test_timeout_and_close - silence ends it; closing inside a callback */
static void
test_timeout_and_close(void **state)
{
	struct conv c = {0}, d = {0};
	struct buf *why = buf_new(64);
	unsigned char out[64];
	struct qmgr_ipc *ipc;
	int	lfd, fd, fd2;
	size_t	len;

	(void) state;
	lfd = unix_listen(buf_str(sock_path), 5, 0);
	ipc = qmgr_ipc_connect(buf_str(sock_path), why);
	qmgr_ipc_start(ipc, 1, on_event, &c);
	fd = server_accept(lfd);
	run_until(&c, 3000);
	assert_int_equal(c.lists, 1);
	assert_int_equal(c.events[0], QMGR_IPC_ERROR);
	(void) close(fd);
	/* Two lists at once; the callback closes after the first. */
	d.close_after = 1;
	ipc = qmgr_ipc_connect(buf_str(sock_path), why);
	qmgr_ipc_start(ipc, 10, on_event, &d);
	fd2 = server_accept(lfd);
	len = wire(out, "status", 8);
	len += wire(out + len, "status", 9);
	assert_int_equal(write_full(fd2, out, len), (ssize_t) len);
	run_until(&d, 2000);
	assert_int_equal(d.lists, 1);
	assert_int_equal(d.values[0], 8);
	(void) close(fd2);
	(void) close(lfd);
	/* Nobody listens: an error with a reason, not a crash. */
	(void) unlink(buf_str(sock_path));
	assert_null(qmgr_ipc_connect(buf_str(sock_path), why));
	assert_true(errno == ENOENT || errno == ECONNREFUSED);
	assert_non_null(strstr(buf_str(why), "connect to"));
	buf_free(why);
}

/* setup - a private directory for the socket */
static int
setup(void **state)
{
	(void) state;
	if (mkdtemp(test_dir) == NULL)
		return (-1);
	sock_path = buf_new(64);
	buf_printf(sock_path, "%s/agent", test_dir);
	return (0);
}

/* teardown - remove it */
static int
teardown(void **state)
{
	(void) state;
	(void) unlink(buf_str(sock_path));
	(void) rmdir(test_dir);
	buf_free(sock_path);
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_len),
		cmocka_unit_test(test_conversation),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_timeout_and_close),
	};

	return (cmocka_run_group_tests_name("qmgr_ipc", tests, setup, teardown));
}
