/*
 * NAME
 *	test_local_deliver - unit tests for whole local delivery requests
 * DESCRIPTION
 *	local_request() in a temporary queue directory, answering on one
 *	end of a socket pair, with inline: aliases and a temporary
 *	mail_spool_directory; the mailbox belongs to the user running the
 *	test. Covered: a mailbox delivery and its reply, an unknown user
 *	(5.1.1), an alias, an alias with a good and a bad member (one
 *	result to qmgr, the other destination logged), an alias loop
 *	(5.4.6), a Delivered-To: loop, duplicate destinations in one
 *	request, address verification (nothing written), and a missing
 *	queue file (every recipient deferred).
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/attr.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/deliver_request.h>
#include <global/params.h>
#include <global/queue.h>
#include <global/record.h>

#include "local/local.h"

#define ID	"1xVQiR3p2ojzaU"

static char test_dir[] = "/tmp/test_local_deliver.XXXXXX";
static char old_cwd[4096];
static char me[64];
static long mesg_offset;
static struct argv *infos;

/* capture - keep log lines */
static void
capture(enum msg_level level, const char *text, void *ctx)
{
	(void) ctx;
	if (level == MSG_INFO || level == MSG_WARN)
		argv_add(infos, text);
}

/* write_queue_file - active/ID with an optional extra header */
static void
write_queue_file(const char *header)
{
	struct qfile_envelope env;
	struct rec_io *rp;
	int	fd = open("active/" ID, O_RDWR | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	qfile_envelope_init(&env);
	env.arrival = time(NULL);
	env.sender = xstrdup("s@example.com");
	qfile_envelope_add_rcpt(&env, "r@test.example", NULL, 0);
	rp = rec_open(fd, REC_WRITE);
	assert_int_equal(qfile_write_envelope(rp, &env), 0);
	if (header)
		assert_int_equal(rec_put(rp, REC_TYPE_NORM, header, strlen(header)), 0);
	assert_int_equal(rec_put(rp, REC_TYPE_NORM, "Subject: t", 10), 0);
	assert_int_equal(rec_put(rp, REC_TYPE_NORM, "", 0), 0);
	assert_int_equal(rec_put(rp, REC_TYPE_NORM, "body", 4), 0);
	assert_int_equal(qfile_write_xtra(rp, &env), 0);
	env.size = 20;
	assert_int_equal(qfile_write_end(rp, fd, &env), 0);
	assert_int_equal(rec_close(rp), 0);
	mesg_offset = (long) env.mesg_offset;
	(void) close(fd);
	qfile_envelope_free(&env);
}

/* setup - queue directory, parameters, tables */
static int
setup(void **state)
{
	struct buf *ovr = buf_new(256);
	struct passwd *pw = getpwuid(geteuid());

	(void) state;
	assert_non_null(pw);
	snprintf(me, sizeof(me), "%s", pw->pw_name);
	assert_non_null(getcwd(old_cwd, sizeof(old_cwd)));
	assert_non_null(mkdtemp(test_dir));
	assert_int_equal(chdir(test_dir), 0);
	assert_int_equal(mkdir("active", 0700), 0);
	assert_int_equal(mkdir("spool", 0755), 0);
	params_reset_defaults();
	assert_int_equal(params_override("myhostname=test.example", NULL), 0);
	assert_int_equal(params_override("mydestination=$myhostname", NULL), 0);
	assert_int_equal(params_override("recipient_delimiter=+", NULL), 0);
	buf_printf(ovr, "mail_spool_directory=%s/spool", test_dir);
	assert_int_equal(params_override(buf_str(ovr), NULL), 0);
	buf_printf(ovr, "alias_maps=inline:{ team=%s, loop1=loop2, loop2=loop1, "
		   "{ both = %s, nosuchuser987 } }", me, me);
	assert_int_equal(params_override(buf_str(ovr), NULL), 0);
	assert_int_equal(queue_set_hash(var_hash_queue_depth, var_hash_queue_names), 0);
	(void) local_user_init();
	local_alias_init(var_alias_maps);
	local_resolve_init();
	infos = argv_new(8);
	msg_set_capture(capture, NULL);
	msg_to_stderr(MSG_STDERR_OFF);
	buf_free(ovr);
	return (0);
}

/* teardown - remove the directory */
static int
teardown(void **state)
{
	struct buf *cmd = buf_new(64);

	(void) state;
	assert_int_equal(chdir(old_cwd), 0);
	buf_printf(cmd, "rm -rf %s", test_dir);
	assert_int_equal(system(buf_str(cmd)), 0);
	buf_free(cmd);
	argv_free(infos);
	return (0);
}

 /*
  * One reply from the agent.
  */
struct reply {
	char	status[8];
	char	dsn[16];
	char	reason[256];
	long	offset;
};

/* run_request - local_request() for these recipients; replies in order */
static int
run_request(const char *const *rcpts, size_t count, int flags, struct reply *replies)
{
	struct deliver_request req;
	struct stream *client, *server;
	struct htable *attrs;
	const char *value;
	int	sv[2];
	size_t	i;
	int	final = -99;

	memset(&req, 0, sizeof(req));
	req.flags = flags;
	req.queue_name = xstrdup("active");
	req.queue_id = xstrdup(ID);
	req.data_offset = mesg_offset;
	req.nexthop = xstrdup("test.example");
	req.transport = xstrdup("local");
	req.encoding = xstrdup("");
	req.sender = xstrdup("s@example.com");
	req.dsn_envid = xstrdup("");
	req.log_ident = xstrdup("");
	req.priority = xstrdup("normal");
	gettimeofday(&req.arrival, NULL);
	req.handoff = req.arrival;
	req.delay_xfer = -1;
	req.rcpt = xcalloc(count, sizeof(*req.rcpt));
	req.rcpt_count = count;
	for (i = 0; i < count; i++) {
		req.rcpt[i].offset = 100 + (long) i;
		req.rcpt[i].address = xstrdup(rcpts[i]);
		req.rcpt[i].orig_address = xstrdup("");
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	client = stream_fdopen(sv[0], STREAM_READ);
	server = stream_fdopen(sv[1], STREAM_READ | STREAM_WRITE);
	argv_truncate(infos, 0);
	local_request(server, &req);
	(void) stream_close(server);
	for (i = 0; i <= count; i++) {
		attrs = htable_new(8);
		assert_true(attr_scan_dynamic(client, ATTR_FLAG_NONE, 0, attrs, NULL) > 0);
		if (i == count) {
			final = atoi(htable_find(attrs, "status"));
		} else {
			snprintf(replies[i].status, sizeof(replies[i].status), "%s",
				 (char *) htable_find(attrs, "status"));
			snprintf(replies[i].dsn, sizeof(replies[i].dsn), "%s",
				 (char *) htable_find(attrs, "dsn_status"));
			value = htable_find(attrs, "reason");
			snprintf(replies[i].reason, sizeof(replies[i].reason), "%s", value);
			replies[i].offset = atol(htable_find(attrs, "offset"));
		}
		htable_free(attrs, free);
	}
	(void) stream_close(client);
	deliver_request_free(&req);
	return (final);
}

/* mailbox_count - "From " lines in the test user's mailbox */
static int
mailbox_count(void)
{
	struct buf *p = buf_new(64);
	char	text[8192];
	ssize_t	n = 0;
	int	fd, count = 0;
	char   *cp;

	buf_printf(p, "spool/%s", me);
	if ((fd = open(buf_str(p), O_RDONLY)) >= 0) {
		n = read(fd, text, sizeof(text) - 1);
		(void) close(fd);
	}
	text[n > 0 ? n : 0] = 0;
	for (cp = text; (cp = strstr(cp, "From s@example.com  ")) != NULL; cp++)
		count++;
	buf_free(p);
	return (count);
}

/* logged - some captured line contains text */
static int
logged(const char *text)
{
	size_t	i;

	for (i = 0; i < infos->argc; i++)
		if (strstr(infos->argv[i], text))
			return (1);
	return (0);
}

/* test_mailbox_and_unknown - one good, one unknown recipient */
static void
test_mailbox_and_unknown(void **state)
{
	struct buf *a = buf_new(64);
	const char *rcpts[2];
	struct reply r[2];

	(void) state;
	write_queue_file(NULL);
	buf_printf(a, "%s@test.example", me);
	rcpts[0] = buf_str(a);
	rcpts[1] = "nosuchuser987@test.example";
	assert_int_equal(run_request(rcpts, 2, 0, r), 0);
	assert_string_equal(r[0].status, "0");
	assert_string_equal(r[0].reason, "delivered to mailbox");
	assert_int_equal(r[0].offset, 100);
	assert_string_equal(r[1].status, "5");
	assert_string_equal(r[1].dsn, "5.1.1");
	assert_string_equal(r[1].reason, "unknown user: \"nosuchuser987\"");
	assert_int_equal(mailbox_count(), 1);
	assert_true(logged("relay=local"));
	buf_free(a);
}

/* test_aliases - alias, mixed alias, alias loop */
static void
test_aliases(void **state)
{
	const char *team[] = {"Team+x@test.example"};
	const char *both[] = {"both@test.example"};
	const char *loop[] = {"loop1@test.example"};
	struct reply r[1];
	struct buf *want = buf_new(128);

	(void) state;
	write_queue_file(NULL);
	assert_int_equal(run_request(team, 1, 0, r), 0);
	assert_string_equal(r[0].status, "0");
	assert_int_equal(mailbox_count(), 2);

	assert_int_equal(run_request(both, 1, 0, r), 0);
	assert_string_equal(r[0].status, "5");
	assert_string_equal(r[0].reason, "unknown user: \"nosuchuser987\"");
	assert_int_equal(mailbox_count(), 3);
	buf_printf(want, "to=<%s@test.example>, orig_to=<both@test.example>, relay=local", me);
	assert_true(logged(buf_str(want)));
	assert_true(logged("status=sent (delivered to mailbox)"));
	assert_true(logged("to=<nosuchuser987@test.example>, orig_to=<both@test.example>"));

	assert_int_equal(run_request(loop, 1, 0, r), 0);
	assert_string_equal(r[0].status, "5");
	assert_string_equal(r[0].dsn, "5.4.6");
	assert_non_null(strstr(r[0].reason, "mail forwarding loop for"));
	assert_true(logged("possible mail forwarding loop"));
	buf_free(want);
}

/* test_duplicates - two recipients, one mailbox, one delivery */
static void
test_duplicates(void **state)
{
	struct buf *a = buf_new(64);
	const char *rcpts[2];
	struct reply r[2];

	(void) state;
	write_queue_file(NULL);
	buf_printf(a, "%s@test.example", me);
	rcpts[0] = buf_str(a);
	rcpts[1] = "team@test.example";
	assert_int_equal(run_request(rcpts, 2, 0, r), 0);
	assert_string_equal(r[0].status, "0");
	assert_string_equal(r[1].status, "0");
	assert_string_equal(r[1].reason, "delivered to a destination served earlier");
	assert_int_equal(mailbox_count(), 4);
	buf_free(a);
}

/* test_delivered_to_loop - the message was here before */
static void
test_delivered_to_loop(void **state)
{
	struct buf *a = buf_new(64), *h = buf_new(64);
	const char *rcpts[1];
	struct reply r[1];

	(void) state;
	buf_printf(h, "Delivered-To: %s@Test.Example", me);
	write_queue_file(buf_str(h));
	buf_printf(a, "%s@test.example", me);
	rcpts[0] = buf_str(a);
	assert_int_equal(run_request(rcpts, 1, 0, r), 0);
	assert_string_equal(r[0].status, "5");
	assert_string_equal(r[0].dsn, "5.4.6");
	assert_int_equal(mailbox_count(), 4);
	buf_free(a);
	buf_free(h);
}

/* test_verify - a probe writes nothing */
static void
test_verify(void **state)
{
	const char *team[] = {"team@test.example"};
	struct reply r[1];

	(void) state;
	write_queue_file(NULL);
	assert_int_equal(run_request(team, 1, DEL_REQ_FLAG_VERIFY, r), 0);
	assert_string_equal(r[0].status, "0");
	assert_string_equal(r[0].reason, "delivers to mailbox");
	assert_int_equal(mailbox_count(), 4);
}

/* test_no_queue_file - every recipient deferred */
static void
test_no_queue_file(void **state)
{
	const char *rcpts[] = {"a@test.example", "b@test.example"};
	struct reply r[2];

	(void) state;
	assert_int_equal(unlink("active/" ID), 0);
	assert_int_equal(run_request(rcpts, 2, 0, r), 0);
	assert_string_equal(r[0].status, "4");
	assert_string_equal(r[1].status, "4");
	assert_string_equal(r[0].dsn, "4.3.0");
	assert_non_null(strstr(r[0].reason, "cannot open queue file active/" ID));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mailbox_and_unknown),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_delivered_to_loop),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_no_queue_file),
	};

	return (cmocka_run_group_tests_name("local_deliver", tests, setup, teardown));
}
