/*
 * NAME
 *	test_postsuper - delete, hold, release, requeue, structure repair
 * DESCRIPTION
 *	A temporary queue directory with real queue files: each by-ID
 *	operation and its ALL form, scoping to queues, files left alone
 *	while they may be in delivery or still being written, the maildrop
 *	copy of a requeued message (checked against maildrop(3) and
 *	compared record by record), requeue refusals that leave nothing
 *	behind, and each repair of -s and -p.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <global/dsn.h>
#include <global/mail_proto.h>
#include <global/maildrop.h>
#include <global/params.h>
#include <global/queue.h>
#include <global/record.h>
#include "postsuper/postsuper.h"

#define T0	((time_t) 1700000000)

static char ps_dir[256];
static char ps_old[1024];
static struct buf *ps_log;
static struct ps_state ps;

/* ps_capture - keep log lines */
static void
ps_capture(enum msg_level level, const char *text, void *ctx)
{
	(void) level;
	(void) ctx;
	buf_appendf(ps_log, "%s\n", text);
}

/* setup - an empty queue directory */
static int
setup(void **state)
{
	static const char *const dirs[] = {"maildrop", "incoming", "active",
		"deferred", "hold", "corrupt", "defer", "bounce", "trace", NULL};
	int	i;

	(void) state;
	if (getcwd(ps_old, sizeof(ps_old)) == NULL)
		return (-1);
	snprintf(ps_dir, sizeof(ps_dir), "/tmp/test_postsuper.XXXXXX");
	if (mkdtemp(ps_dir) == NULL || chdir(ps_dir) < 0)
		return (-1);
	params_reset_defaults();
	queue_set_hash(1, "deferred, defer");
	for (i = 0; dirs[i]; i++)
		if (queue_mkdirs(dirs[i], 0700) < 0)
			return (-1);
	ps_log = ps_log ? ps_log : buf_new(256);
	buf_reset(ps_log);
	msg_set_capture(ps_capture, NULL);
	msg_to_stderr(MSG_STDERR_OFF);
	memset(&ps, 0, sizeof(ps));
	ps.now = time(NULL);
	ps.path = buf_new(64);
	ps.path2 = buf_new(64);
	ps.why = buf_new(64);
	return (0);
}

/* teardown - remove the directory */
static int
teardown(void **state)
{
	struct buf *cmd = buf_new(64);

	(void) state;
	msg_set_capture(NULL, NULL);
	buf_free(ps.path);
	buf_free(ps.path2);
	buf_free(ps.why);
	if (chdir(ps_old) < 0)
		return (-1);
	buf_printf(cmd, "rm -rf %s", ps_dir);
	if (system(buf_str(cmd)) != 0)
		return (-1);
	buf_free(cmd);
	return (0);
}

/* make_file - a queue file at path; rcpt i done when bit i of done */
static void
make_file(const char *path, const char *const *rcpts, unsigned done,
	  const char *long_line, mode_t mode, int has_xtra)
{
	struct qfile_envelope env;
	struct rec_io *rp;
	struct qfile_rcpt *rcpt;
	int	fd, i;

	qfile_envelope_init(&env);
	env.arrival = T0;
	env.arrival_usec = 42;
	env.sender = xstrdup("sender@example.org");
	env.full_name = xstrdup("Sender Name");
	env.priority = xstrdup("high");
	qfile_envelope_add_attr(&env, MAIL_ATTR_DSN_ENVID, "ENV123");
	qfile_envelope_add_attr(&env, MAIL_ATTR_DSN_RET, "2");
	qfile_envelope_add_attr(&env, MAIL_ATTR_ENCODING, "8BITMIME");
	qfile_envelope_add_attr(&env, MAIL_ATTR_CLIENT_NAME, "client.example");
	for (i = 0; rcpts[i]; i++) {
		rcpt = qfile_envelope_add_rcpt(&env, rcpts[i], i == 0 ? "Orig@Example.com"
					       : NULL, i == 1 ? DSN_NOTIFY_SUCCESS : 0);
		if (i == 1)
			rcpt->dsn_orcpt = xstrdup("rfc822;x@example.com");
	}
	assert_true((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) >= 0);
	rp = rec_open(fd, REC_WRITE);
	assert_int_equal(qfile_write_envelope(rp, &env), 0);
	assert_int_equal(rec_put_text(rp, "Subject: requeue", 16, 0), 0);
	assert_int_equal(rec_put_text(rp, "", 0, 0), 0);
	if (long_line)
		assert_int_equal(rec_put_text(rp, long_line, strlen(long_line), 100000), 0);
	assert_int_equal(rec_put_text(rp, "last line", 9, 0), 0);
	assert_int_equal(qfile_write_xtra(rp, &env), 0);
	if (has_xtra) {
		rcpt = qfile_envelope_add_rcpt(&env, "extracted@example.com", NULL, 0);
		assert_int_equal(qfile_write_rcpt(rp, &env, rcpt), 0);
	}
	env.size = 100;
	assert_int_equal(qfile_write_end(rp, fd, &env), 0);
	assert_int_equal(rec_close(rp), 0);
	for (i = 0; rcpts[i]; i++)
		if (done & (1u << i))
			assert_int_equal(rec_mark_done(fd, env.rcpts[i].offset), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	qfile_envelope_free(&env);
}

/* make_queued - a complete message file of id in queue */
static const char *
make_queued(const char *queue, struct buf *id, int n)
{
	static const char *const rcpts[] = {"a@example.com", NULL};
	struct buf *path = buf_new(64);

	queue_id_make(id, T0 + n, 17 * n, (uint64_t) n + 1);
	assert_non_null(queue_dir(path, queue, buf_str(id)));
	(void) mkdir(buf_str(path), 0700);
	queue_path(path, queue, buf_str(id));
	make_file(buf_str(path), rcpts, 0, NULL, 0700, 1);
	buf_free(path);
	return (buf_str(id));
}

/* exists - is there a file in queue for id? */
static int
exists(const char *queue, const char *id)
{
	struct buf *path = buf_new(64);
	int	ok;

	queue_path(path, queue, id);
	ok = (access(buf_str(path), F_OK) == 0);
	buf_free(path);
	return (ok);
}

/* touch_log - a logfile of a message */
static void
touch_log(const char *queue, const char *id)
{
	struct buf *path = buf_new(64);
	int	fd;

	queue_dir(path, queue, id);
	(void) mkdir(buf_str(path), 0700);
	queue_path(path, queue, id);
	assert_true((fd = open(buf_str(path), O_WRONLY | O_CREAT, 0600)) >= 0);
	close(fd);
	buf_free(path);
}

/* test_delete - by ID with logfiles, unknown IDs, scoping, busy files */
static void
test_delete(void **state)
{
	struct buf *a = buf_new(32), *b = buf_new(32), *c = buf_new(32);

	(void) state;
	make_queued(MAIL_QUEUE_DEFERRED, a, 1);
	touch_log(MAIL_QUEUE_DEFER, buf_str(a));
	touch_log(MAIL_QUEUE_BOUNCE, buf_str(a));
	make_queued(MAIL_QUEUE_HOLD, b, 2);
	make_queued(MAIL_QUEUE_ACTIVE, c, 3);
	assert_int_equal(postsuper_delete_one(&ps, buf_str(a)), 1);
	assert_false(exists(MAIL_QUEUE_DEFERRED, buf_str(a)));
	assert_false(exists(MAIL_QUEUE_DEFER, buf_str(a)));
	assert_false(exists(MAIL_QUEUE_BOUNCE, buf_str(a)));
	assert_non_null(strstr(buf_str(ps_log), "removed"));
	/* Gone already, never existed: nothing to do, nothing said. */
	buf_reset(ps_log);
	assert_int_equal(postsuper_delete_one(&ps, buf_str(a)), 0);
	assert_string_equal(buf_str(ps_log), "");
	/* Scoped to the deferred queue: the held message stays. */
	ps.queues = (const char *const[]) {MAIL_QUEUE_DEFERRED, NULL};
	assert_int_equal(postsuper_delete_one(&ps, buf_str(b)), 0);
	assert_true(exists(MAIL_QUEUE_HOLD, buf_str(b)));
	ps.queues = NULL;
	/* In delivery while the system runs: left alone, with a warning. */
	ps.is_running = 1;
	assert_int_equal(postsuper_delete_one(&ps, buf_str(c)), 0);
	assert_true(exists(MAIL_QUEUE_ACTIVE, buf_str(c)));
	assert_non_null(strstr(buf_str(ps_log), "message is being delivered; not deleted"));
	postsuper_all(&ps, PS_ACTION_DELETE);
	assert_int_equal(ps.deleted, 1);	/* the held one */
	assert_int_equal(ps.busy, 1);
	assert_true(exists(MAIL_QUEUE_ACTIVE, buf_str(c)));
	ps.is_running = 0;
	assert_int_equal(postsuper_delete_one(&ps, buf_str(c)), 1);
	buf_free(a);
	buf_free(b);
	buf_free(c);
}

/* test_hold_release - hold, release, being-written files */
static void
test_hold_release(void **state)
{
	struct buf *a = buf_new(32), *b = buf_new(32), *path = buf_new(64);
	struct stat st;

	(void) state;
	make_queued(MAIL_QUEUE_DEFERRED, a, 1);
	assert_int_equal(postsuper_hold_one(&ps, buf_str(a)), 1);
	assert_true(exists(MAIL_QUEUE_HOLD, buf_str(a)));
	assert_int_equal(postsuper_hold_one(&ps, buf_str(a)), 0);	/* on hold */
	queue_path(path, MAIL_QUEUE_HOLD, buf_str(a));
	assert_int_equal(utime(buf_str(path), NULL), 0);
	ps.now = T0;
	assert_int_equal(postsuper_release_one(&ps, buf_str(a)), 1);
	queue_path(path, MAIL_QUEUE_DEFERRED, buf_str(a));
	assert_int_equal(stat(buf_str(path), &st), 0);
	assert_int_equal(st.st_mtime, T0);	/* due at once */
	/* A file still being written is not touched. */
	make_queued(MAIL_QUEUE_INCOMING, b, 2);
	queue_path(path, MAIL_QUEUE_INCOMING, buf_str(b));
	assert_int_equal(chmod(buf_str(path), 0600), 0);
	assert_int_equal(postsuper_hold_one(&ps, buf_str(b)), 0);
	postsuper_all(&ps, PS_ACTION_HOLD);
	assert_int_equal(ps.held, 1);		/* a, from deferred */
	assert_true(exists(MAIL_QUEUE_INCOMING, buf_str(b)));
	postsuper_all(&ps, PS_ACTION_RELEASE);
	assert_int_equal(ps.released, 1);
	assert_true(exists(MAIL_QUEUE_DEFERRED, buf_str(a)));
	buf_free(a);
	buf_free(b);
	buf_free(path);
}

/* test_move - never replaces a file, creates hash directories */
static void
test_move(void **state)
{
	struct buf *a = buf_new(32), *path = buf_new(64), *dir = buf_new(64);

	(void) state;
	make_queued(MAIL_QUEUE_HOLD, a, 5);
	queue_dir(dir, MAIL_QUEUE_DEFERRED, buf_str(a));
	(void) rmdir(buf_str(dir));
	queue_path(path, MAIL_QUEUE_HOLD, buf_str(a));
	assert_int_equal(postsuper_move(&ps, buf_str(path), MAIL_QUEUE_DEFERRED,
					buf_str(a)), 0);
	make_queued(MAIL_QUEUE_HOLD, a, 5);
	assert_int_equal(postsuper_move(&ps, buf_str(path), MAIL_QUEUE_DEFERRED,
					buf_str(a)), -1);
	assert_int_equal(errno, EEXIST);
	assert_true(exists(MAIL_QUEUE_HOLD, buf_str(a)));
	buf_free(a);
	buf_free(path);
	buf_free(dir);
}

/* read_records - type letters and data of a file, for comparison */
static void
read_records(const char *path, struct buf *out)
{
	struct buf *data = buf_new(1024);
	struct rec_io *rp;
	int	fd, type;

	assert_true((fd = open(path, O_RDONLY)) >= 0);
	rp = rec_open(fd, REC_READ);
	while ((type = rec_get(rp, data, REC_LEN_MAX, NULL)) >= 0)
		if (type == REC_TYPE_TIME)
			buf_appendf(out, "T (now)\n");
		else
			buf_appendf(out, "%c %zu %.40s\n", type, buf_len(data),
				    buf_str(data));
	assert_int_equal(type, REC_TYPE_EOF);
	rec_close(rp);
	close(fd);
	buf_free(data);
}

/* test_requeue - the maildrop copy */
static void
test_requeue(void **state)
{
	static const char *const rcpts[] = {"one@example.com", "two@example.com",
	"done@example.com", NULL};
	struct buf *id = buf_new(32), *new_id = buf_new(32), *path = buf_new(64);
	struct buf *got = buf_new(1024), *line = buf_new(200000);
	struct stat st;

	(void) state;
	while (buf_len(line) < 150000)
		buf_cat(line, "0123456789");
	queue_id_make(id, T0, 3, 9);
	queue_path(path, MAIL_QUEUE_DEFERRED, buf_str(id));
	(void) mkdir("deferred/3", 0700);
	make_file(buf_str(path), rcpts, 4, buf_str(line), 0700, 1);
	assert_int_equal(postsuper_requeue_file(buf_str(path), new_id, ps.why), 0);
	assert_true(exists(MAIL_QUEUE_DEFERRED, buf_str(id)));	/* caller removes */
	queue_path(path, MAIL_QUEUE_MAILDROP, buf_str(new_id));
	assert_int_equal(stat(buf_str(path), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	read_records(buf_str(path), got);
	assert_string_equal(buf_str(got),
			    "T (now)\n"
			    "F 11 Sender Name\n"
			    "S 18 sender@example.org\n"
			    "A 18 envelope_id=ENV123\n"
			    "A 11 ret_flags=2\n"
			    "A 17 encoding=8BITMIME\n"
			    "O 16 Orig@Example.com\n"
			    "R 15 one@example.com\n"
			    "Y 1 2\n"	/* DSN_NOTIFY_SUCCESS */
			    "R 15 two@example.com\n"
			    "R 21 extracted@example.com\n"
			    "M 0 \n"
			    "N 16 Subject: requeue\n"
			    "N 0 \n"
			    "L 65536 0123456789012345678901234567890123456789\n"
			    "L 34464 6789012345678901234567890123456789012345\n"
			    "N 50000 0123456789012345678901234567890123456789\n"
			    "N 9 last line\n"
			    "X 0 \n"
			    "E 0 \n");
	buf_free(got);
	buf_free(line);
	buf_free(id);
	buf_free(new_id);
	buf_free(path);
}

/* count_files - files in a directory */
static int
count_files(const char *dir)
{
	struct buf *cmd = buf_new(64);
	FILE   *fp;
	int	n = -1;

	buf_printf(cmd, "find %s -type f | wc -l", dir);
	if ((fp = popen(buf_str(cmd), "r")) != NULL) {
		if (fscanf(fp, "%d", &n) != 1)
			n = -1;
		pclose(fp);
	}
	buf_free(cmd);
	return (n);
}

/* test_requeue_refused - damaged or finished files stay, nothing new */
static void
test_requeue_refused(void **state)
{
	static const char *const rcpts[] = {"one@example.com", NULL};
	static const char *const bad[] = {"ctl\001char@example.com", NULL};
	struct buf *id = buf_new(32), *new_id = buf_new(32), *path = buf_new(64);
	int	fd;

	(void) state;
	queue_id_make(id, T0, 0, 1);
	queue_path(path, MAIL_QUEUE_HOLD, buf_str(id));
	make_file(buf_str(path), rcpts, 1, NULL, 0700, 0);		/* all done */
	assert_int_equal(postsuper_requeue_file(buf_str(path), new_id, ps.why), -1);
	assert_non_null(strstr(buf_str(ps.why), "no recipients"));
	make_file(buf_str(path), bad, 0, NULL, 0700, 0);
	assert_int_equal(postsuper_requeue_file(buf_str(path), new_id, ps.why), -1);
	assert_non_null(strstr(buf_str(ps.why), "recipient"));
	assert_true((fd = open(buf_str(path), O_WRONLY | O_TRUNC)) >= 0);
	assert_int_equal(write(fd, "C\005abcde", 7), 7);
	close(fd);
	assert_int_equal(postsuper_requeue_file(buf_str(path), new_id, ps.why), -1);
	assert_non_null(strstr(buf_str(ps.why), "corrupt queue file"));
	assert_int_equal(postsuper_requeue_file("hold/nonexistent", new_id, ps.why), -1);
	assert_int_equal(count_files("maildrop"), 0);
	/* By ID: the file stays where it was, with a warning. */
	assert_int_equal(postsuper_requeue_one(&ps, buf_str(id)), 0);
	assert_true(exists(MAIL_QUEUE_HOLD, buf_str(id)));
	assert_non_null(strstr(buf_str(ps_log), "cannot requeue"));
	buf_free(id);
	buf_free(new_id);
	buf_free(path);
}

/* test_requeue_ops - by ID and ALL, logfiles */
static void
test_requeue_ops(void **state)
{
	struct buf *a = buf_new(32), *b = buf_new(32);

	(void) state;
	make_queued(MAIL_QUEUE_DEFERRED, a, 1);
	touch_log(MAIL_QUEUE_DEFER, buf_str(a));
	make_queued(MAIL_QUEUE_HOLD, b, 2);
	assert_int_equal(postsuper_requeue_one(&ps, buf_str(a)), 1);
	assert_false(exists(MAIL_QUEUE_DEFERRED, buf_str(a)));
	assert_false(exists(MAIL_QUEUE_DEFER, buf_str(a)));
	assert_int_equal(count_files("maildrop"), 1);
	postsuper_all(&ps, PS_ACTION_REQUEUE);
	assert_int_equal(ps.requeued, 1);
	assert_false(exists(MAIL_QUEUE_HOLD, buf_str(b)));
	assert_int_equal(count_files("maildrop"), 2);
	buf_free(a);
	buf_free(b);
}

/* put - a file with bytes and mode, optionally old */
static void
put(const char *path, const char *data, mode_t mode, int is_old)
{
	int	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	struct timeval tv[2] = {{T0 - 3 * 86400, 0}, {T0 - 3 * 86400, 0}};

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t) strlen(data));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	if (is_old)
		assert_int_equal(utimes(path, tv), 0);
}

/* test_structure - every repair of -s and -p */
static void
test_structure(void **state)
{
	struct buf *a = buf_new(32), *b = buf_new(32), *path = buf_new(64);

	(void) state;
	ps.now = T0;
	/* Misplaced: a deferred file at the top level. */
	make_queued(MAIL_QUEUE_INCOMING, a, 1);
	queue_path(path, MAIL_QUEUE_INCOMING, buf_str(a));
	buf_printf(ps.path, "deferred/%s", buf_str(a));
	assert_int_equal(rename(buf_str(path), buf_str(ps.path)), 0);
	/* Damaged, bad name, stale and young temporary files, a link. */
	queue_id_make(b, T0, 5, 77);
	buf_printf(path, "incoming/%s", buf_str(b));
	put(buf_str(path), "C\003ab", 0700, 0);
	make_queued(MAIL_QUEUE_HOLD, b, 3);
	queue_path(path, MAIL_QUEUE_HOLD, buf_str(b));
	assert_int_equal(rename(buf_str(path), "hold/restored.from.backup"), 0);
	put("hold/broken name", "junk", 0700, 0);
	put("incoming/tmp.123", "x", 0600, 1);
	put("incoming/tmp.456", "x", 0600, 0);
	assert_int_equal(symlink("/etc/passwd", "deferred/link"), 0);
	assert_int_equal(mkdir("deferred/stray", 0700), 0);
	assert_int_equal(mkdir("active/Z", 0700), 0);

	postsuper_structure(&ps, MAIL_QUEUE_DEFERRED, PS_ACTION_STRUCT);
	postsuper_structure(&ps, MAIL_QUEUE_INCOMING, PS_ACTION_STRUCT);
	postsuper_structure(&ps, MAIL_QUEUE_HOLD, PS_ACTION_STRUCT);
	postsuper_structure(&ps, MAIL_QUEUE_ACTIVE, PS_ACTION_STRUCT);
	assert_true(exists(MAIL_QUEUE_DEFERRED, buf_str(a)));
	assert_true(exists(MAIL_QUEUE_CORRUPT, buf_str(b)) || count_files("corrupt") == 2);
	assert_int_equal(count_files("corrupt"), 2);	/* damaged, broken name */
	assert_int_equal(count_files("hold"), 1);	/* restored, renamed */
	assert_int_equal(access("hold/restored.from.backup", F_OK), -1);
	assert_int_equal(access("incoming/tmp.123", F_OK), -1);
	assert_int_equal(access("incoming/tmp.456", F_OK), 0);
	assert_int_equal(access("deferred/link", F_OK), -1);
	assert_int_equal(access("deferred/stray", F_OK), -1);
	assert_int_equal(access("active/Z", F_OK), -1);
	assert_non_null(strstr(buf_str(ps_log), "corrupt queue file (offset"));
	assert_non_null(strstr(buf_str(ps_log), "bad file name: renamed to hold/"));
	/* -p alone: only temporary files. */
	put("incoming/tmp.789", "x", 0600, 1);
	postsuper_structure(&ps, MAIL_QUEUE_INCOMING, PS_ACTION_PURGE);
	assert_int_equal(access("incoming/tmp.789", F_OK), -1);
	buf_free(a);
	buf_free(b);
	buf_free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requeue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requeue_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requeue_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_structure, setup, teardown),
	};

	return (cmocka_run_group_tests_name("postsuper", tests, NULL, NULL));
}
