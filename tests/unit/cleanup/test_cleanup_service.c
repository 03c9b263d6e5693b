/*
 * NAME
 *	test_cleanup_service - cleanup_client(3) against the real service
 * DESCRIPTION
 *	A child process listens on public/cleanup in the test's queue
 *	directory and runs cleanup_service() for each connection; the test
 *	talks to it through the client library, as smtpd and pickup do.
 */
#include "cleanup_test.c"

#include <util/iostuff.h>
#include <util/stream.h>
#include <global/cleanup_client.h>
#include <global/mail_proto.h>
#include <sys/wait.h>
#include <dirent.h>

/* ct_child_capture - the server's log lines go to server.log */
static void
ct_child_capture(enum msg_level level, const char *text, void *ctx)
{
	FILE   *fp = fopen("server.log", "a");

	(void) level;
	(void) ctx;
	if (fp) {
		fprintf(fp, "%s\n", text);
		fclose(fp);
	}
}

/* ct_server_logged - did the server log text? */
static int
ct_server_logged(const char *text)
{
	char	buf[8192];
	FILE   *fp = fopen("server.log", "r");
	size_t	n = 0;

	if (fp) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = 0;
	return (strstr(buf, text) != 0);
}

/* ct_server - serve count connections in a child; returns its pid */
static pid_t
ct_server(int count)
{
	struct stream *client;
	pid_t	pid;
	int	lfd, fd;

	(void) unlink("public/cleanup");
	if ((lfd = unix_listen("public/cleanup", 10, 1)) < 0)
		fail_msg("listen: %s", strerror(errno));
	fflush(NULL);
	if ((pid = fork()) < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		msg_set_capture(ct_child_capture, NULL);
		alarm(30);			/* never outlive a failed test */
		while (count-- > 0) {
			if ((fd = sock_accept(lfd)) < 0) {
				count++;
				continue;
			}
			client = stream_fdopen(fd, STREAM_READ | STREAM_WRITE);
			cleanup_service(client, "cleanup", NULL);
			(void) stream_close(client);
		}
		_exit(0);
	}
	close(lfd);
	return (pid);
}

/* ct_server_wait - the child must exit cleanly */
static void
ct_server_wait(pid_t pid)
{
	int	status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ct_queue_dir - point queue_directory at the test directory */
static void
ct_queue_dir(void)
{
	char	cwd[512];
	struct buf *setting = buf_new(64);

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	buf_printf(setting, "queue_directory=%s", cwd);
	ct_override(buf_str(setting));
	buf_free(setting);
}

/* ct_incoming_count - files in incoming/ */
static int
ct_incoming_count(void)
{
	DIR    *dir = opendir("incoming");
	struct dirent *de;
	int	n = 0;

	assert_non_null(dir);
	while ((de = readdir(dir)) != 0)
		n += (de->d_name[0] != '.');
	closedir(dir);
	return (n);
}

/* test_round_trip - a message through client and service */
static void
test_round_trip(void **state)
{
	struct buf *why = buf_new(64);
	struct cleanup_client *cl;
	struct ct_file *qf;
	char   *id;
	pid_t	pid;

	(void) state;
	ct_queue_dir();
	pid = ct_server(1);
	cl = cleanup_open(CLEANUP_FLAG_MASK_SMTPD, why);
	if (cl == 0)
		fail_msg("cleanup_open: %s", buf_str(why));
	id = xstrdup(cleanup_queue_id(cl));
	assert_int_equal(cleanup_attr(cl, MAIL_ATTR_CLIENT_ADDR, "127.0.0.1"), 0);
	assert_int_equal(cleanup_attr(cl, MAIL_ATTR_CLIENT_NAME, "localhost"), 0);
	assert_int_equal(cleanup_attr(cl, MAIL_ATTR_PROTO_NAME, "ESMTP"), 0);
	assert_int_equal(cleanup_sender(cl, "s@example.com"), 0);
	assert_int_equal(cleanup_rcpt(cl, "r@example.com", "R@Example.com",
				      "rfc822;R@Example.com", 2), 0);
	assert_int_equal(cleanup_content(cl, "Subject: rt", 11, CLEANUP_LINE_NORM), 0);
	assert_int_equal(cleanup_content(cl, "", 0, CLEANUP_LINE_NORM), 0);
	assert_int_equal(cleanup_content(cl, "long ", 5, CLEANUP_LINE_CONT), 0);
	assert_int_equal(cleanup_content(cl, "line", 4, CLEANUP_LINE_NORM), 0);
	assert_int_equal(cleanup_finish(cl, why), CLEANUP_STAT_OK);
	ct_server_wait(pid);
	qf = ct_load("incoming", id);
	assert_int_equal(qf->check, 0);
	assert_int_equal(qf->mode, 0700);
	assert_true(ct_find(qf, REC_TYPE_DORC, "rfc822;R@Example.com") > 0);
	assert_true(ct_find(qf, REC_TYPE_ORCP, "R@Example.com") > 0);
	assert_true(ct_find(qf, REC_TYPE_NTFY, "2") > 0);
	assert_true(ct_find(qf, REC_TYPE_CONT, "long ") > 0);
	assert_true(ct_find(qf, REC_TYPE_NORM, "line") > 0);
	/* 127.0.0.1 is a local interface: missing headers are added. */
	assert_true(ct_find(qf, REC_TYPE_NORM, "From: s@example.com") > 0);
	ct_free(qf);
	free(id);
	buf_free(why);
}

/* test_abort - a client that goes away leaves nothing behind */
static void
test_abort(void **state)
{
	struct buf *why = buf_new(64);
	struct cleanup_client *cl;
	pid_t	pid;

	(void) state;
	ct_queue_dir();
	pid = ct_server(1);
	cl = cleanup_open(CLEANUP_FLAG_NONE, why);
	assert_non_null(cl);
	assert_int_equal(cleanup_sender(cl, "s@example.com"), 0);
	assert_int_equal(cleanup_rcpt(cl, "r@example.com", NULL, NULL, 0), 0);
	assert_int_equal(cleanup_content(cl, "Subject: gone", 13, CLEANUP_LINE_NORM), 0);
	cleanup_abort(cl);
	ct_server_wait(pid);
	assert_int_equal(ct_incoming_count(), 0);
	buf_free(why);
}

/* test_rejects - size limit and protocol errors come back with reasons */
static void
test_rejects(void **state)
{
	struct buf *why = buf_new(64);
	struct cleanup_client *cl;
	char	line[600];
	pid_t	pid;

	(void) state;
	ct_queue_dir();
	ct_override("message_size_limit=500");
	memset(line, 'q', sizeof(line));
	pid = ct_server(2);
	cl = cleanup_open(CLEANUP_FLAG_NONE, why);
	assert_non_null(cl);
	(void) cleanup_sender(cl, "s@example.com");
	(void) cleanup_rcpt(cl, "r@example.com", NULL, NULL, 0);
	(void) cleanup_content(cl, line, sizeof(line), CLEANUP_LINE_NORM);
	assert_int_equal(cleanup_finish(cl, why), CLEANUP_STAT_SIZE);
	assert_string_equal(buf_str(why), "message file too big");
	cl = cleanup_open(CLEANUP_FLAG_NONE, why);
	assert_non_null(cl);
	(void) cleanup_rcpt(cl, "r@example.com", NULL, NULL, 0);
	assert_int_equal(cleanup_finish(cl, why), CLEANUP_STAT_BAD);
	assert_string_equal(buf_str(why), "message without sender");
	ct_server_wait(pid);
	assert_int_equal(ct_incoming_count(), 0);
	assert_true(ct_server_logged("message rejected: message without sender"));
	buf_free(why);
}

/* ct_only_incoming - the ID of the one file in incoming/ */
static char *
ct_only_incoming(void)
{
	DIR    *dir = opendir("incoming");
	struct dirent *de;
	char   *id = 0;

	assert_non_null(dir);
	while ((de = readdir(dir)) != 0)
		if (de->d_name[0] != '.') {
			assert_null(id);
			id = xstrdup(de->d_name);
		}
	closedir(dir);
	assert_non_null(id);
	return (id);
}

/* ct_send_big - a message over message_size_limit */
static int
ct_send_big(int flags, const char *sender, struct buf *why)
{
	struct cleanup_client *cl = cleanup_open(flags, why);
	char	line[3000];

	assert_non_null(cl);
	memset(line, 'q', sizeof(line));
	(void) cleanup_sender(cl, sender);
	(void) cleanup_rcpt(cl, "r@example.com", NULL, NULL, 0);
	(void) cleanup_content(cl, "Subject: big one", 16, CLEANUP_LINE_NORM);
	(void) cleanup_content(cl, "", 0, CLEANUP_LINE_NORM);
	(void) cleanup_content(cl, line, sizeof(line), CLEANUP_LINE_NORM);
	return (cleanup_finish(cl, why));
}

/* test_bounce - pickup's flag: too big mail goes back to the sender */
static void
test_bounce(void **state)
{
	struct buf *why = buf_new(64);
	struct ct_file *qf;
	char   *id;
	int	i;
	pid_t	pid;

	(void) state;
	ct_queue_dir();
	ct_override("message_size_limit=2500");
	pid = ct_server(2);
	assert_int_equal(ct_send_big(CLEANUP_FLAG_MASK_PICKUP, "s@example.com", why),
			 CLEANUP_STAT_OK);
	id = ct_only_incoming();
	qf = ct_load("incoming", id);
	assert_int_equal(qf->check, 0);
	assert_true(ct_find(qf, REC_TYPE_FROM, "") >= 0);
	assert_true(ct_find(qf, REC_TYPE_RCPT, "s@example.com") >= 0);
	assert_true(ct_find(qf, REC_TYPE_NORM, "Subject: Undelivered Mail Returned to Sender") > 0);
	assert_true(ct_find(qf, REC_TYPE_NORM, "Status: 5.3.4") > 0);
	assert_true(ct_find(qf, REC_TYPE_NORM, "Final-Recipient: rfc822; r@example.com") > 0);
	assert_true(ct_find(qf, REC_TYPE_NORM, "<r@example.com>: message file too big") > 0);
	i = ct_find(qf, REC_TYPE_NORM, "Content-Type: text/rfc822-headers");
	assert_true(i > 0);
	assert_true(ct_find(qf, REC_TYPE_NORM, "Subject: big one") > i);
	ct_free(qf);
	/* The null sender gets no notification. */
	assert_int_equal(queue_remove("incoming", id), 0);
	assert_int_equal(ct_send_big(CLEANUP_FLAG_MASK_PICKUP, "", why), CLEANUP_STAT_OK);
	ct_server_wait(pid);
	assert_int_equal(ct_incoming_count(), 0);
	assert_true(ct_server_logged("status=bounced (message file too big)"));
	assert_true(ct_server_logged("sender non-delivery notification: "));
	assert_true(ct_server_logged("discarding undeliverable mail from the null sender"));
	free(id);
	buf_free(why);
}

/* test_minfree - queue_minfree refuses before a file is made */
static void
test_minfree(void **state)
{
	struct buf *why = buf_new(64);
	pid_t	pid;

	(void) state;
	ct_queue_dir();
	ct_override("queue_minfree=9223372036854775807");
	pid = ct_server(1);
	assert_null(cleanup_open(CLEANUP_FLAG_NONE, why));
	assert_string_equal(buf_str(why), "4.3.1 Insufficient system storage");
	ct_server_wait(pid);
	assert_true(ct_server_logged("insufficient system storage"));
	assert_int_equal(ct_incoming_count(), 0);
	buf_free(why);
}

/* test_no_service - connection failure is reported, not fatal */
static void
test_no_service(void **state)
{
	struct buf *why = buf_new(64);

	(void) state;
	ct_queue_dir();
	assert_null(cleanup_open(CLEANUP_FLAG_NONE, why));
	assert_non_null(strstr(buf_str(why), "connect to public/cleanup"));
	buf_free(why);
}

/* test_stat_detail - Postfix's reply table, first match wins */
static void
test_stat_detail(void **state)
{
	static const struct {
		int	status;
		int	smtp;
		const char *dsn;
		const char *text;
	}	cases[] = {
		{CLEANUP_STAT_OK, 250, "2.0.0", "Success"},
		{CLEANUP_STAT_WRITE, 451, "4.3.0", "queue file write error"},
		{CLEANUP_STAT_SIZE, 552, "5.3.4", "message file too big"},
		{CLEANUP_STAT_CONT, 550, "5.7.1", "message content rejected"},
		{CLEANUP_STAT_BAD, 451, "4.3.0", "internal protocol error"},
		{CLEANUP_STAT_HOPS, 554, "5.4.0", "too many hops"},
		{CLEANUP_STAT_RCPT, 550, "5.1.0", "no recipients specified"},
		{CLEANUP_STAT_DEFER, 451, "4.7.1", "service unavailable"},
		{CLEANUP_STAT_NOPERM, 550, "5.7.1", "service denied"},
		{CLEANUP_STAT_SIZE | CLEANUP_STAT_WRITE, 552, "5.3.4", "message file too big"},
		{CLEANUP_STAT_DEFER | CLEANUP_STAT_SIZE, 451, "4.7.1", "service unavailable"},
		{1 << 20, 451, "4.3.0", "internal protocol error"},
	};
	const struct cleanup_stat_detail *d;
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		d = cleanup_stat_detail(cases[i].status);
		assert_int_equal(d->smtp, cases[i].smtp);
		assert_string_equal(d->dsn, cases[i].dsn);
		assert_string_equal(d->text, cases[i].text);
		assert_string_equal(cleanup_strerror(cases[i].status), cases[i].text);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_abort, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_rejects, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_bounce, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_minfree, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_no_service, ct_setup, ct_teardown),
		cmocka_unit_test(test_stat_detail),
	};

	return (cmocka_run_group_tests_name("cleanup_service", tests, NULL, NULL));
}
