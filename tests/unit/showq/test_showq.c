/*
 * NAME
 *	test_showq - queue listing: envelopes, defer logs, walk, protocol
 * DESCRIPTION
 *	A temporary queue directory with real queue files (written with
 *	record(3)) and maildrop files: the order of queues and recipients,
 *	done recipients left out, deferral reasons from defer/ID (last
 *	reason wins, logfile order first), incomplete and damaged files
 *	skipped (with a warning for damage), transports resolved; the
 *	attribute protocol round trip over a socket pair, the end marker,
 *	and malformed server replies.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/attr.h>
#include <util/msg.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include <global/queue.h>
#include <global/record.h>
#include "showq/showq.h"

#define T0	((time_t) 1700000000)

static char sq_dir[256];
static char sq_old[1024];
static struct buf *sq_log;

/* sq_capture - keep log lines */
static void
sq_capture(enum msg_level level, const char *text, void *ctx)
{
	(void) level;
	(void) ctx;
	buf_appendf(sq_log, "%s\n", text);
}

/* sq_setup - an empty queue directory */
static int
sq_setup(void **state)
{
	static const char *const dirs[] = {
		"maildrop", "incoming", "active", "deferred", "hold", "defer", NULL,
	};
	struct buf *why = buf_new(64);
	int	i;

	(void) state;
	if (getcwd(sq_old, sizeof(sq_old)) == NULL)
		return (-1);
	snprintf(sq_dir, sizeof(sq_dir), "/tmp/test_showq.XXXXXX");
	if (mkdtemp(sq_dir) == NULL || chdir(sq_dir) < 0)
		return (-1);
	showq_qfile_reset();			/* a new working directory */
	params_reset_defaults();
	(void) params_override("myhostname=test.example", why);
	(void) params_override("mydestination=localhost", why);
	queue_set_hash(1, "deferred, defer");
	for (i = 0; dirs[i]; i++)
		if (queue_mkdirs(dirs[i], 0700) < 0)
			return (-1);
	sq_log = sq_log ? sq_log : buf_new(256);
	buf_reset(sq_log);
	msg_set_capture(sq_capture, NULL);
	msg_to_stderr(MSG_STDERR_OFF);
	buf_free(why);
	return (0);
}

/* sq_teardown - remove the directory */
static int
sq_teardown(void **state)
{
	struct buf *cmd = buf_new(64);

	(void) state;
	msg_set_capture(NULL, NULL);
	if (chdir(sq_old) < 0)
		return (-1);
	buf_printf(cmd, "rm -rf %s", sq_dir);
	if (system(buf_str(cmd)) != 0)
		return (-1);
	buf_free(cmd);
	return (0);
}

/* sq_write - a queue file; done: bit i marks recipient i done */
static void
sq_write(const char *queue, const char *id, const char *sender,
	 const char *const *rcpts, unsigned done, mode_t mode)
{
	struct qfile_envelope env;
	struct buf *path = buf_new(64);
	struct rec_io *rp;
	int	fd, i;

	qfile_envelope_init(&env);
	env.arrival = queue_id_time(id, &env.arrival_usec);
	env.sender = xstrdup(sender);
	env.priority = xstrdup("bulk");
	for (i = 0; rcpts[i]; i++)
		qfile_envelope_add_rcpt(&env, rcpts[i], NULL, 0);
	assert_non_null(queue_path(path, queue, id));
	assert_true((fd = open(buf_str(path), O_RDWR | O_CREAT | O_TRUNC, 0600)) >= 0);
	rp = rec_open(fd, REC_WRITE);
	assert_int_equal(qfile_write_envelope(rp, &env), 0);
	assert_int_equal(rec_put_text(rp, "Subject: x", 10, 0), 0);
	assert_int_equal(qfile_write_xtra(rp, &env), 0);
	env.size = 11;
	assert_int_equal(qfile_write_end(rp, fd, &env), 0);
	assert_int_equal(rec_close(rp), 0);
	for (i = 0; rcpts[i]; i++)
		if (done & (1u << i))
			assert_int_equal(rec_mark_done(fd, env.rcpts[i].offset), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	qfile_envelope_free(&env);
	buf_free(path);
}

/* sq_put - a file with given bytes */
static void
sq_put(const char *path, const char *data, size_t len, mode_t mode)
{
	int	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t) len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* sq_maildrop - a maildrop file as postdrop writes it */
static void
sq_maildrop(const char *id)
{
	struct buf *path = buf_new(64);
	struct rec_io *rp;
	int	fd;

	queue_path(path, MAIL_QUEUE_MAILDROP, id);
	fd = open(buf_str(path), O_RDWR | O_CREAT | O_TRUNC, 0700);
	assert_true(fd >= 0);
	rp = rec_open(fd, REC_WRITE);
	rec_fprintf(rp, REC_TYPE_TIME, "%lld 5", (long long) T0 + 300);
	rec_fprintf(rp, REC_TYPE_FROM, "local@test.example");
	rec_fprintf(rp, REC_TYPE_RCPT, "drop@example.com");
	rec_put(rp, REC_TYPE_MESG, "", 0);
	rec_put_text(rp, "hi", 2, 0);
	rec_put(rp, REC_TYPE_XTRA, "", 0);
	rec_put(rp, REC_TYPE_END, "", 0);
	assert_int_equal(rec_close(rp), 0);
	close(fd);
	buf_free(path);
}

/* sq_defer - defer/ID entries: address, reason pairs */
static void
sq_defer(const char *id, const char *text)
{
	struct buf *path = buf_new(64);

	queue_path(path, MAIL_QUEUE_DEFER, id);
	sq_put(buf_str(path), text, strlen(text), 0600);
	buf_free(path);
}

 /*
  * What a walk collected.
  */
struct sq_seen {
	struct buf *text;
	int	stop_after;
	int	count;
};

/* sq_collect - one line per message, one per recipient */
static int
sq_collect(const struct showq_msg *msg, void *ctx)
{
	struct sq_seen *seen = ctx;
	size_t	i;

	buf_appendf(seen->text, "%s %s %ld %ld %d <%s> %s\n",
		    buf_str(msg->queue_name), buf_str(msg->queue_id),
		    msg->arrival, msg->size, msg->forced_expire,
		    buf_str(msg->sender), buf_str(msg->priority));
	for (i = 0; i < msg->rcpt_count; i++)
		buf_appendf(seen->text, "  %s (%s) [%s]\n",
			    buf_str(msg->rcpts[i].address),
			    buf_str(msg->rcpts[i].reason),
			    buf_str(msg->rcpts[i].transport));
	return (++seen->count == seen->stop_after ? -1 : 0);
}

/* sq_id - a queue ID for second s after T0 */
static const char *
sq_id(struct buf *id, int s, long usec, uint64_t unique)
{
	queue_id_make(id, T0 + s, usec, unique);
	return (buf_str(id));
}

/* test_defer_log - parse, last reason wins, odd blocks */
static void
test_defer_log(void **state)
{
	struct showq_defer *dp = showq_defer_new();
	struct buf *id = buf_new(32), *text = buf_new(10000);
	int	i;

	(void) state;
	sq_id(id, 0, 17, 1);
	assert_int_equal(showq_defer_read(dp, buf_str(id)), 0);	/* missing */
	assert_int_equal(showq_defer_count(dp), 0);
	buf_cat(text, "recipient=a@x\nstatus=4.4.1\nreason=first\n\n"
		"recipient=<b@x>\nreason=b reason\n\n"
		"status=4.0.0\nreason=no recipient here\n\n"
		"recipient=a@x\nreason=second\n\n"
		"recipient=c@x\nreason=");
	for (i = 0; i < 9000; i++)
		buf_putc(text, 'z');
	buf_cat(text, "\nrelay=none\n\nrecipient=d@x\nreason=no end");
	sq_defer(buf_str(id), buf_str(text));
	assert_int_equal(showq_defer_read(dp, buf_str(id)), 0);
	assert_int_equal(showq_defer_count(dp), 4);
	assert_string_equal(showq_defer_address(dp, 0), "a@x");
	assert_string_equal(showq_defer_reason(dp, 0), "second");
	assert_int_equal(showq_defer_find(dp, "b@x"), 1);
	assert_string_equal(showq_defer_address(dp, 2), "c@x");
	assert_int_equal(strlen(showq_defer_reason(dp, 2)), 9000);
	assert_string_equal(showq_defer_reason(dp, 3), "no end");
	assert_int_equal(showq_defer_find(dp, "nobody@x"), -1);
	/* An unreadable logfile: a warning, and no reasons. */
	queue_path(text, MAIL_QUEUE_DEFER, buf_str(id));
	assert_int_equal(unlink(buf_str(text)), 0);
	assert_int_equal(mkdir(buf_str(text), 0700), 0);
	assert_int_equal(showq_defer_read(dp, buf_str(id)), -1);
	assert_int_equal(showq_defer_count(dp), 0);
	assert_non_null(strstr(buf_str(sq_log), "read defer/"));
	showq_defer_reset(dp);
	assert_int_equal(showq_defer_count(dp), 0);
	showq_defer_free(dp);
	buf_free(id);
	buf_free(text);
}

/* test_scan - queue order, recipients, skipped files */
static void
test_scan(void **state)
{
	static const char *const r3[] = {"one@example.com", "two@example.com",
	"three@example.com", NULL};
	static const char *const r1[] = {"solo@localhost", NULL};
	struct buf *id = buf_new(32), *id2 = buf_new(32), *path = buf_new(64);
	struct sq_seen seen = {buf_new(1024), 0, 0};
	struct showq_scan *scan;
	struct buf *expect = buf_new(512);
	struct stat st;

	(void) state;
	sq_maildrop(sq_id(id, 300, 5, 9));
	queue_path(path, MAIL_QUEUE_MAILDROP, buf_str(id));
	assert_int_equal(stat(buf_str(path), &st), 0);
	buf_appendf(expect, "maildrop %s 1700000300 %ld 0 <local@test.example> "
		    "normal\n  drop@example.com () [smtp]\n", buf_str(id),
		    (long) st.st_size);
	/* Null sender, group execute bit (force-expired), local transport. */
	sq_write(MAIL_QUEUE_ACTIVE, sq_id(id2, 60, 7, 2), "", r1, 0, 0710);
	buf_appendf(expect, "active %s 1700000060 11 1 <MAILER-DAEMON> bulk\n"
		    "  solo@localhost () [local]\n", buf_str(id2));
	/* Logged recipients first, in logfile order; done ones left out. */
	sq_write(MAIL_QUEUE_DEFERRED, sq_id(id, 0, 3, 1), "odd user@example.org",
		 r3, 2, 0700);
	sq_defer(buf_str(id), "recipient=three@example.com\nreason=refused\n\n"
		 "recipient=one@example.com\nreason=timeout\n\n"
		 "recipient=two@example.com\nreason=done meanwhile\n\n");
	buf_appendf(expect, "deferred %s 1700000000 11 0 <\"odd user\"@example.org> "
		    "bulk\n  three@example.com (refused) [smtp]\n"
		    "  one@example.com (timeout) [smtp]\n", buf_str(id));
	/* Skipped: being written, damaged (with a warning), junk names. */
	sq_write(MAIL_QUEUE_INCOMING, sq_id(id, 1, 1, 3), "x@y", r1, 0, 0600);
	queue_path(path, MAIL_QUEUE_HOLD, sq_id(id, 2, 2, 4));
	sq_put(buf_str(path), "C\001x", 3, 0700);
	sq_put("hold/not-an-id", "junk", 4, 0700);

	scan = showq_scan_create(SHOWQ_SCAN_TRANSPORT);
	assert_int_equal(showq_scan_run(scan, NULL, sq_collect, &seen), 0);
	assert_string_equal(buf_str(seen.text), buf_str(expect));
	assert_non_null(strstr(buf_str(sq_log), buf_str(path)));
	/* The callback can stop the walk. */
	buf_reset(seen.text);
	seen.count = 0;
	seen.stop_after = 1;
	assert_int_equal(showq_scan_run(scan, NULL, sq_collect, &seen), -1);
	assert_int_equal(seen.count, 1);
	/* Queues that do not exist are empty. */
	seen.count = 0;
	assert_int_equal(showq_scan_run(scan, (const char *const[]) {"saved", NULL},
					sq_collect, &seen), 0);
	assert_int_equal(seen.count, 0);
	showq_scan_free(scan);
	buf_free(seen.text);
	buf_free(expect);
	buf_free(id);
	buf_free(id2);
	buf_free(path);
}

/* sq_pair - a connected socket pair as two streams */
static void
sq_pair(struct stream **a, struct stream **b)
{
	int	sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	*a = stream_fdopen(sv[0], STREAM_READ | STREAM_WRITE);
	*b = stream_fdopen(sv[1], STREAM_READ | STREAM_WRITE);
	stream_set_timeout(*a, 5);
	stream_set_timeout(*b, 5);
}

/* test_protocol - request, hello, messages, end marker */
static void
test_protocol(void **state)
{
	struct stream *server, *client;
	struct showq_msg out, in;
	struct buf *why = buf_new(64), *req = buf_new(16);
	struct showq_rcpt *rcpt;

	(void) state;
	sq_pair(&server, &client);
	showq_msg_init(&out);
	showq_msg_init(&in);
	buf_cpy(out.queue_name, "deferred");
	buf_cpy(out.queue_id, "1r31eq03D77");
	out.arrival = T0;
	out.size = 1234;
	out.forced_expire = 1;
	buf_cpy(out.sender, "a\001b@example.com");
	buf_cpy(out.priority, "high");
	rcpt = showq_msg_add_rcpt(&out);
	buf_cpy(rcpt->address, "r@example.com");
	buf_cpy(rcpt->reason, "why");
	buf_cpy(rcpt->transport, "relay");
	rcpt = showq_msg_add_rcpt(&out);
	buf_cpy(rcpt->address, "\xff@example.com");

	assert_int_equal(attr_send_proto(server, MAIL_PROTO_SHOWQ), 0);
	assert_int_equal(showq_request(client, why), 0);
	assert_int_equal(attr_scan(server, ATTR_FLAG_NONE, ATTR_LIST(
				       SCAN_STR(MAIL_ATTR_REQ, req))), 1);
	assert_string_equal(buf_str(req), SHOWQ_REQ_LIST);
	assert_int_equal(showq_send_msg(server, &out), 0);
	assert_int_equal(showq_send_msg(server, &out), 0);
	assert_int_equal(showq_send_end(server), 0);
	assert_int_equal(showq_recv_msg(client, &in, why), 1);
	assert_int_equal(showq_recv_msg(client, &in, why), 1);
	assert_string_equal(buf_str(in.queue_id), "1r31eq03D77");
	assert_int_equal(in.arrival, T0);
	assert_int_equal(in.size, 1234);
	assert_int_equal(in.forced_expire, 1);
	assert_string_equal(buf_str(in.sender), "a\001b@example.com");
	assert_string_equal(buf_str(in.priority), "high");
	assert_int_equal(in.rcpt_count, 2);
	assert_string_equal(buf_str(in.rcpts[0].reason), "why");
	assert_string_equal(buf_str(in.rcpts[0].transport), "relay");
	assert_string_equal(buf_str(in.rcpts[1].address), "\xff@example.com");
	assert_string_equal(buf_str(in.rcpts[1].reason), "");
	assert_int_equal(showq_recv_msg(client, &in, why), 0);
	showq_msg_free(&out);
	showq_msg_free(&in);
	stream_close(server);
	stream_close(client);
	buf_free(why);
	buf_free(req);
}

/* test_protocol_bad - malformed replies are errors, never crashes */
static void
test_protocol_bad(void **state)
{
	struct stream *server, *client;
	struct showq_msg in;
	struct buf *why = buf_new(64);

	(void) state;
	showq_msg_init(&in);
	/* Wrong hello. */
	sq_pair(&server, &client);
	assert_int_equal(attr_send_proto(server, MAIL_PROTO_QMGR), 0);
	assert_int_equal(showq_request(client, why), -1);
	stream_close(server);
	stream_close(client);
	/* A message list with attributes missing. */
	sq_pair(&server, &client);
	attr_print(server, ATTR_FLAG_FLUSH, ATTR_LIST(
			   ATTR_STR(MAIL_ATTR_QUEUE, "deferred"),
			   ATTR_STR(MAIL_ATTR_QUEUE_ID, "1r31eq03D77")));
	assert_int_equal(showq_recv_msg(client, &in, why), -1);
	assert_string_equal(buf_str(why), "incomplete message attributes");
	stream_close(server);
	stream_close(client);
	/* An unknown attribute. */
	sq_pair(&server, &client);
	attr_print(server, ATTR_FLAG_FLUSH, ATTR_LIST(ATTR_STR("bogus", "x")));
	assert_int_equal(showq_recv_msg(client, &in, why), -1);
	stream_close(server);
	stream_close(client);
	/* Fewer recipients than announced: the stream ends. */
	sq_pair(&server, &client);
	attr_print(server, ATTR_FLAG_FLUSH, ATTR_LIST(
			   ATTR_STR(MAIL_ATTR_QUEUE, "deferred"),
			   ATTR_STR(MAIL_ATTR_QUEUE_ID, "1r31eq03D77"),
			   ATTR_LONG(MAIL_ATTR_ARRIVAL_TIME, 1),
			   ATTR_LONG(MAIL_ATTR_SIZE, 2),
			   ATTR_INT(MAIL_ATTR_EXPIRED, 0),
			   ATTR_STR(MAIL_ATTR_SENDER, "s"),
			   ATTR_STR(MAIL_ATTR_PRIORITY, "normal"),
			   ATTR_INT(MAIL_ATTR_RCPT_COUNT, 3)));
	attr_print(server, ATTR_FLAG_FLUSH, ATTR_LIST(
			   ATTR_STR(MAIL_ATTR_ADDR, "a"),
			   ATTR_STR(MAIL_ATTR_WHY, ""),
			   ATTR_STR(MAIL_ATTR_TRANSPORT, "")));
	stream_close(server);
	assert_int_equal(showq_recv_msg(client, &in, why), -1);
	stream_close(client);
	/* Connection closed before the end marker. */
	sq_pair(&server, &client);
	stream_close(server);
	assert_int_equal(showq_recv_msg(client, &in, why), -1);
	stream_close(client);
	showq_msg_free(&in);
	buf_free(why);
}

/* test_qfile_read - both file formats, and what is refused */
static void
test_qfile_read(void **state)
{
	static const char *const r1[] = {"a@example.com", NULL};
	struct qfile_envelope env;
	struct buf *id = buf_new(32), *path = buf_new(64), *why = buf_new(64);
	struct stat st;
	int	fd;

	(void) state;
	qfile_envelope_init(&env);
	sq_maildrop(sq_id(id, 300, 5, 9));
	queue_path(path, MAIL_QUEUE_MAILDROP, buf_str(id));
	assert_true((fd = showq_qfile_open(buf_str(path), &st)) >= 0);
	assert_int_equal(showq_qfile_read(fd, MAIL_QUEUE_MAILDROP, &st, &env, why), 0);
	assert_int_equal(env.arrival, T0 + 300);
	assert_int_equal(env.rcpt_count, 1);
	assert_int_equal(env.size, st.st_size);
	/* A queue file read as maildrop is refused, and vice versa. */
	assert_int_equal(showq_qfile_read(fd, MAIL_QUEUE_DEFERRED, &st, &env, why), -1);
	close(fd);
	sq_write(MAIL_QUEUE_INCOMING, sq_id(id, 1, 1, 3), "x@y", r1, 0, 0700);
	queue_path(path, MAIL_QUEUE_INCOMING, buf_str(id));
	assert_true((fd = showq_qfile_open(buf_str(path), &st)) >= 0);
	assert_int_equal(showq_qfile_read(fd, MAIL_QUEUE_MAILDROP, &st, &env, why), -1);
	assert_non_null(strstr(buf_str(why), "offset 0"));
	close(fd);
	/* Still being written; not a file; a symbolic link. */
	assert_int_equal(chmod(buf_str(path), 0600), 0);
	assert_int_equal(showq_qfile_open(buf_str(path), &st), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(showq_qfile_open("incoming", &st), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(symlink("/etc/passwd", "incoming/link"), 0);
	assert_int_equal(showq_qfile_open("incoming/link", &st), -1);
	assert_int_equal(errno, ELOOP);
	qfile_envelope_free(&env);
	buf_free(id);
	buf_free(path);
	buf_free(why);
}

/* test_fast_no_stat - the quick reader without a file status */
static void
test_fast_no_stat(void **state)
{
	static const char *const r1[] = {"a@example.com", "b@example.com", NULL};
	struct qfile_envelope env;
	struct buf *id = buf_new(32), *path = buf_new(64);
	int	fd;

	(void) state;
	qfile_envelope_init(&env);
	sq_write(MAIL_QUEUE_DEFERRED, sq_id(id, 7, 2, 4), "s@x", r1, 1, 0700);
	queue_path(path, MAIL_QUEUE_DEFERRED, buf_str(id));
	assert_true((fd = showq_qfile_open_only(buf_str(path))) >= 0);
	assert_int_equal(showq_fast_read(fd, NULL, &env), 0);
	assert_int_equal(env.rcpt_count, 2);
	assert_true(env.rcpts[0].is_done && !env.rcpts[1].is_done);
	close(fd);
	/* A byte after END: not a well-formed file, the quick reader declines. */
	assert_true((fd = open(buf_str(path), O_WRONLY | O_APPEND)) >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_true((fd = showq_qfile_open_only(buf_str(path))) >= 0);
	assert_int_equal(showq_fast_read(fd, NULL, &env), -1);
	close(fd);
	qfile_envelope_free(&env);
	buf_free(id);
	buf_free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defer_log, sq_setup, sq_teardown),
		cmocka_unit_test_setup_teardown(test_scan, sq_setup, sq_teardown),
		cmocka_unit_test(test_protocol),
		cmocka_unit_test(test_protocol_bad),
		cmocka_unit_test_setup_teardown(test_qfile_read, sq_setup, sq_teardown),
		cmocka_unit_test_setup_teardown(test_fast_no_stat, sq_setup, sq_teardown),
	};

	return (cmocka_run_group_tests_name("showq", tests, NULL, NULL));
}
