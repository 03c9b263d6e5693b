/*
 * NAME
 *	test_qmgr_scan - unit tests for queue scans and import limits
 * DESCRIPTION
 *	Real queue files in a temporary queue directory: the incoming scan
 *	imports complete files only, stops at qmgr_message_active_limit and
 *	moves unreadable files to corrupt/; the deferred scan honours retry
 *	times, qmgr_deferred_import_limit per scan and QMGR_SCAN_ALL; bulk
 *	mail stays out of the reserved share of the active queue; a
 *	defer_transports recipient goes back to deferred/ with a defer
 *	logfile entry and a future retry time; and the limit arithmetic.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include <global/queue.h>
#include <global/record.h>

#include "qmgr/qmgr.h"

static char test_dir[] = "/tmp/test_qmgr_scan.XXXXXX";
static char old_dir[4096];
static struct buf *log_text;

static const char *queues[] = {
	MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_DEFERRED,
	MAIL_QUEUE_CORRUPT, MAIL_QUEUE_DEFER, MAIL_QUEUE_BOUNCE,
};

/* capture - keep every line */
static void
capture(enum msg_level level, const char *text, void *ctx)
{
	(void) level;
	(void) ctx;
	buf_appendf(log_text, "%s\n", text);
}

/* count_lines - how often text occurs in the log */
static int
count_lines(const char *text)
{
	const char *cp = buf_str(log_text);
	int	n = 0;

	while ((cp = strstr(cp, text)) != NULL) {
		n++;
		cp++;
	}
	return (n);
}

/* set - one parameter */
static void
set(const char *name_eq_value)
{
	struct buf *why = buf_new(64);

	if (params_override(name_eq_value, why) != 0)
		fail_msg("%s: %s", name_eq_value, buf_str(why));
	buf_free(why);
}

/* make_file - a complete queue file in incoming; returns its ID */
static char *
make_file(const char *prio, const char *rcpt, int complete)
{
	struct qfile_envelope env;
	struct buf *id = buf_new(32);
	struct rec_io *rp;
	int	fd;

	qfile_envelope_init(&env);
	env.arrival = time(NULL) - 10;
	env.sender = xstrdup("sender@example.org");
	env.priority = prio ? xstrdup(prio) : NULL;
	qfile_envelope_add_rcpt(&env, rcpt, NULL, 0);
	assert_int_equal(queue_create(MAIL_QUEUE_INCOMING, id, &fd), 0);
	rp = rec_open(fd, REC_WRITE);
	assert_int_equal(qfile_write_envelope(rp, &env), 0);
	assert_int_equal(rec_put_text(rp, "Subject: x", 10, 0), 0);
	assert_int_equal(qfile_write_xtra(rp, &env), 0);
	env.size = 11;
	assert_int_equal(qfile_write_end(rp, fd, &env), 0);
	assert_int_equal(rec_close(rp), 0);
	if (complete)
		assert_int_equal(queue_commit(fd, MAIL_QUEUE_INCOMING, buf_str(id)), 0);
	(void) close(fd);
	qfile_envelope_free(&env);
	return (buf_steal(id));
}

/* make_deferred - a file in deferred with a retry time */
static char *
make_deferred(const char *rcpt, time_t when)
{
	char   *id = make_file(NULL, rcpt, 1);

	assert_int_equal(queue_move(id, MAIL_QUEUE_INCOMING, MAIL_QUEUE_DEFERRED), 0);
	assert_int_equal(queue_touch(MAIL_QUEUE_DEFERRED, id, when), 0);
	return (id);
}

/* count_files - files in a queue */
static int
count_files(const char *queue)
{
	struct queue_scan *scan = queue_scan_open(queue);
	struct buf *id = buf_new(32);
	int	n = 0;

	assert_non_null(scan);
	while (queue_scan_next(scan, id) != NULL)
		n++;
	queue_scan_close(scan);
	buf_free(id);
	return (n);
}

/* drain_scans - run the scans to their end */
static void
drain_scans(void)
{
	int	i;

	for (i = 0; i < 100 && qmgr_scan_pending(); i++)
		(void) qmgr_scan_run(1000, NULL);
}

/* rm_entry - nftw callback */
static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return (remove(path));
}

/* setup - a fresh queue directory and parameters */
static int
setup(void **state)
{
	size_t	i;

	(void) state;
	if (getcwd(old_dir, sizeof(old_dir)) == NULL)
		return (-1);
	memcpy(test_dir + strlen(test_dir) - 6, "XXXXXX", 6);
	if (mkdtemp(test_dir) == NULL || chdir(test_dir) < 0)
		return (-1);
	for (i = 0; i < ARRAY_LEN(queues); i++)
		if (queue_mkdirs(queues[i], 0700) < 0)
			return (-1);
	log_text = buf_new(1024);
	msg_set_capture(capture, NULL);
	params_reset_defaults();
	set("default_transport=fake");
	set("transport_maps=inline:{ held.example=held: }");
	set("defer_transports=held");
	set("minimal_backoff_time=100s");
	set("backoff_jitter=0");
	set("myhostname=mail.example.org");
	qmgr_transport_init(NULL);
	qmgr_message_init();
	qmgr_scan_init();
	return (0);
}

/* teardown - finish what is active, remove the directory */
static int
teardown(void **state)
{
	struct qmgr_transport *t;

	(void) state;
	drain_scans();
	for (t = qmgr_transport_list(); t != NULL; t = t->next)
		qmgr_defer_transport(t, "4.0.0", "test over");
	assert_int_equal(qmgr_message_count(), 0);
	qmgr_transport_free_all();
	msg_set_capture(NULL, NULL);
	buf_free(log_text);
	if (chdir(old_dir) < 0)
		return (-1);
	return (nftw(test_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS));
}

/* test_incoming - complete files only; the active limit; corrupt files */
static void
test_incoming(void **state)
{
	struct buf *path = buf_new(64);
	char   *ids[6];
	FILE   *fp;
	int	i;

	(void) state;
	var_qmgr_message_active_limit = 3;
	for (i = 0; i < 5; i++)
		ids[i] = make_file(NULL, "u@remote.example", 1);
	ids[5] = make_file(NULL, "u@remote.example", 0);
	queue_path(path, MAIL_QUEUE_INCOMING, "1xVQdV0dcojxQs");
	fp = fopen(buf_str(path), "w");
	assert_non_null(fp);
	fputs("this is not a queue file", fp);
	fclose(fp);
	assert_int_equal(chmod(buf_str(path), 0700), 0);
	qmgr_scan_request(QMGR_SCAN_INCOMING, 0);
	(void) qmgr_scan_run(1000, NULL);
	assert_int_equal(qmgr_message_count(), 3);
	assert_false(qmgr_scan_pending());
	assert_int_equal(count_lines("(queue active)"), 3);
	assert_int_equal(count_lines("nrcpt=1 (queue active)"), 3);
	var_qmgr_message_active_limit = 100;
	drain_scans();
	assert_int_equal(qmgr_message_count(), 5);
	assert_int_equal(count_files(MAIL_QUEUE_CORRUPT), 1);
	assert_int_equal(count_lines("saving corrupt file"), 1);
	assert_int_equal(count_files(MAIL_QUEUE_INCOMING), 1);	/* mode 0600 */
	for (i = 0; i < 6; i++)
		free(ids[i]);
	buf_free(path);
}

/* test_deferred - retry times, the import limit, scan all */
static void
test_deferred(void **state)
{
	time_t	now = time(NULL);
	char   *ids[6];
	int	i;

	(void) state;
	var_qmgr_deferred_import_limit = 2;
	for (i = 0; i < 5; i++)
		ids[i] = make_deferred("u@remote.example", now - 5);
	ids[5] = make_deferred("u@remote.example", now + 3600);
	qmgr_scan_request(QMGR_SCAN_DEFERRED, 0);
	drain_scans();
	assert_int_equal(qmgr_message_count(), 2);
	assert_int_equal(count_lines("import limit 2 reached"), 1);
	qmgr_scan_request(QMGR_SCAN_DEFERRED, 0);
	drain_scans();
	qmgr_scan_request(QMGR_SCAN_DEFERRED, 0);
	drain_scans();
	assert_int_equal(qmgr_message_count(), 5);
	assert_int_equal(count_files(MAIL_QUEUE_DEFERRED), 1);
	qmgr_scan_request(QMGR_SCAN_DEFERRED, QMGR_SCAN_ALL);
	drain_scans();
	assert_int_equal(qmgr_message_count(), 6);
	for (i = 0; i < 6; i++)
		free(ids[i]);
}

/* test_bulk_reserve - bulk mail stays out of the reserved share */
static void
test_bulk_reserve(void **state)
{
	struct qmgr_transport *t;
	struct qmgr_queue *q;
	char   *ids[14];
	int	i;

	(void) state;
	var_qmgr_message_active_limit = 10;
	var_qmgr_priority_reserve = 20;
	for (i = 0; i < 12; i++)
		ids[i] = make_file(MAIL_PRIO_BULK, "u@bulk.example", 1);
	ids[12] = make_file(MAIL_PRIO_HIGH, "u@vip.example", 1);
	ids[13] = make_file(NULL, "u@plain.example", 1);
	qmgr_scan_request(QMGR_SCAN_INCOMING, 0);
	drain_scans();
	assert_int_equal(qmgr_message_count_prio(QMGR_PRIO_BULK), 8);
	assert_int_equal(qmgr_message_count_prio(QMGR_PRIO_HIGH), 1);
	assert_int_equal(qmgr_message_count_prio(QMGR_PRIO_NORMAL), 1);
	assert_int_equal(count_files(MAIL_QUEUE_INCOMING), 4);
	/* The bulk messages leave: the skipped ones come in. */
	t = qmgr_transport_find("fake");
	assert_non_null(t);
	q = qmgr_queue_find(t, "bulk.example");
	assert_non_null(q);
	qmgr_defer_todo(q, "4.0.0", "make room");
	drain_scans();
	assert_int_equal(qmgr_message_count_prio(QMGR_PRIO_BULK), 4);
	assert_int_equal(count_files(MAIL_QUEUE_INCOMING), 0);
	for (i = 0; i < 14; i++)
		free(ids[i]);
}

/* test_defer_transport - held mail goes back with a reason */
static void
test_defer_transport(void **state)
{
	struct buf *path = buf_new(64);
	char	text[2048];
	struct stat st;
	FILE   *fp;
	char   *id;
	size_t	n;

	(void) state;
	id = make_file(NULL, "u@held.example", 1);
	qmgr_scan_request(QMGR_SCAN_INCOMING, 0);
	drain_scans();
	assert_int_equal(qmgr_message_count(), 0);
	assert_int_equal(count_lines("dsn=4.3.2, status=deferred (deferred transport)"), 1);
	queue_path(path, MAIL_QUEUE_DEFERRED, id);
	assert_int_equal(stat(buf_str(path), &st), 0);
	assert_true(st.st_mtime >= time(NULL) + 95 && st.st_mtime <= time(NULL) + 101);
	queue_path(path, MAIL_QUEUE_DEFER, id);
	fp = fopen(buf_str(path), "r");
	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = 0;
	fclose(fp);
	assert_non_null(strstr(text, "recipient=u@held.example\n"));
	assert_non_null(strstr(text, "status=4.3.2\naction=delayed\n"
			       "reason=deferred transport\nrelay=none\n"));
	/* A flush scan ignores defer_transports: it stays active. */
	qmgr_scan_request(QMGR_SCAN_DEFERRED, QMGR_SCAN_ALL | QMGR_SCAN_DFXP);
	drain_scans();
	assert_int_equal(qmgr_message_count(), 1);
	free(id);
	buf_free(path);
}

/* test_limit_check - the arithmetic */
static void
test_limit_check(void **state)
{
	(void) state;
	assert_true(qmgr_scan_limit_check(0, 0, 0, -1, 10, 100, 20));
	assert_false(qmgr_scan_limit_check(10, 0, 0, -1, 10, 100, 20));
	assert_false(qmgr_scan_limit_check(3, 100, 0, -1, 10, 100, 20));
	assert_true(qmgr_scan_limit_check(0, 500, 0, -1, 10, 100, 20));
	assert_true(qmgr_scan_limit_check(7, 0, 7, QMGR_PRIO_BULK, 10, 100, 20));
	assert_false(qmgr_scan_limit_check(8, 0, 8, QMGR_PRIO_BULK, 10, 100, 20));
	assert_true(qmgr_scan_limit_check(9, 0, 8, QMGR_PRIO_HIGH, 10, 100, 20));
	assert_true(qmgr_scan_limit_check(0, 0, 0, QMGR_PRIO_BULK, 1, 100, 100));
	assert_false(qmgr_scan_limit_check(0, 0, 1, QMGR_PRIO_BULK, 2, 100, 100));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_incoming, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_reserve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defer_transport, setup, teardown),
		cmocka_unit_test(test_limit_check),
	};

	return (cmocka_run_group_tests_name("qmgr_scan", tests, NULL, NULL));
}
