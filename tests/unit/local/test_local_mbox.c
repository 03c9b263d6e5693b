/*
 * NAME
 *	test_local_mbox - unit tests for locked mbox access
 * DESCRIPTION
 *	In a temporary directory: a new mbox is created mode 0600, a
 *	commit keeps the data and removes the lock, a failed delivery is
 *	truncated back; a busy dot lock, a stale one (removed and logged),
 *	a kernel lock held by another process, a symbolic link, a file
 *	with two links and a directory are all refused with the right
 *	status code; write errors map to status codes.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/params.h>

#include "local/local.h"

static char test_dir[] = "/tmp/test_local_mbox.XXXXXX";
static struct argv *infos;

/* capture - keep informational lines */
static void
capture(enum msg_level level, const char *text, void *ctx)
{
	(void) ctx;
	if (level == MSG_INFO)
		argv_add(infos, text);
}

/* path - a name in the test directory */
static const char *
path(const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/%s", test_dir, name);
	return (buf);
}

/* setup - directory, parameters */
static int
setup(void **state)
{
	(void) state;
	assert_non_null(mkdtemp(test_dir));
	params_reset_defaults();
	assert_int_equal(params_override("deliver_lock_attempts=0", NULL), 0);
	assert_int_equal(params_override("stale_lock_time=60s", NULL), 0);
	infos = argv_new(2);
	msg_set_capture(capture, NULL);
	msg_to_stderr(MSG_STDERR_OFF);
	return (0);
}

/* teardown - remove what is left */
static int
teardown(void **state)
{
	struct buf *cmd = buf_new(64);

	(void) state;
	buf_printf(cmd, "rm -rf %s", test_dir);
	assert_int_equal(system(buf_str(cmd)), 0);
	buf_free(cmd);
	argv_free(infos);
	return (0);
}

/* file_size - size of a file, -1 if missing */
static long
file_size(const char *name)
{
	struct stat st;

	return (stat(path(name), &st) == 0 ? (long) st.st_size : -1);
}

/* test_create_commit_rollback - the normal life of an mbox */
static void
test_create_commit_rollback(void **state)
{
	char	dsn[DSN_STATUS_SIZE];
	struct buf *why = buf_new(64);
	struct local_mbox *mb;
	struct stat st;
	char	box[256];

	(void) state;
	snprintf(box, sizeof(box), "%s", path("user"));
	mb = local_mbox_open(box, 1, (uid_t) -1, (gid_t) -1, dsn, why);
	assert_non_null(mb);
	assert_int_equal(stat(box, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(file_size("user.lock"), 0);	/* dot lock held */
	assert_int_equal(local_mbox_size(mb), 0);
	assert_int_equal(local_mbox_owner(mb), geteuid());
	assert_int_equal(write(local_mbox_fd(mb), "message one\n", 12), 12);
	assert_int_equal(local_mbox_close(mb, 1, why), 0);
	assert_int_equal(file_size("user"), 12);
	assert_int_equal(file_size("user.lock"), -1);

	mb = local_mbox_open(box, 1, (uid_t) -1, (gid_t) -1, dsn, why);
	assert_non_null(mb);
	assert_int_equal(local_mbox_size(mb), 12);
	assert_int_equal(write(local_mbox_fd(mb), "half a mess", 11), 11);
	assert_int_equal(local_mbox_close(mb, 0, why), 0);
	assert_int_equal(file_size("user"), 12);		/* truncated back */
	assert_int_equal(file_size("user.lock"), -1);
	buf_free(why);
}

/* test_dot_locks - busy and stale */
static void
test_dot_locks(void **state)
{
	char	dsn[DSN_STATUS_SIZE];
	struct buf *why = buf_new(64);
	struct local_mbox *mb;
	char	box[256];
	struct timespec old[2] = {{0, 0}, {0, 0}};
	int	fd;

	(void) state;
	snprintf(box, sizeof(box), "%s", path("busy"));
	fd = open(path("busy.lock"), O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	(void) close(fd);
	assert_null(local_mbox_open(box, 1, (uid_t) -1, (gid_t) -1, dsn, why));
	assert_string_equal(dsn, "4.2.0");
	assert_non_null(strstr(buf_str(why), "unable to create lock file"));
	assert_int_equal(file_size("busy.lock"), 0);	/* not ours: left alone */
	assert_int_equal(file_size("busy"), -1);

	old[0].tv_sec = old[1].tv_sec = time(NULL) - 3600;
	assert_int_equal(utimensat(AT_FDCWD, path("busy.lock"), old, 0), 0);
	buf_reset(why);
	argv_truncate(infos, 0);
	mb = local_mbox_open(box, 1, (uid_t) -1, (gid_t) -1, dsn, why);
	assert_non_null(mb);
	assert_int_equal(infos->argc, 1);
	assert_non_null(strstr(infos->argv[0], "removed stale lock file"));
	assert_int_equal(local_mbox_close(mb, 1, why), 0);
	assert_int_equal(file_size("busy.lock"), -1);
	buf_free(why);
}

/* test_kernel_lock - another process holds an fcntl lock */
static void
test_kernel_lock(void **state)
{
	char	dsn[DSN_STATUS_SIZE];
	struct buf *why = buf_new(64);
	int	ready[2], go[2];
	char	box[256];
	char	c;
	pid_t	pid;
	int	status;

	(void) state;
	snprintf(box, sizeof(box), "%s", path("held"));
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	if ((pid = fork()) == 0) {
		struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		int	fd = open(box, O_CREAT | O_WRONLY, 0600);

		if (fd < 0 || fcntl(fd, F_SETLK, &lk) < 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_null(local_mbox_open(box, 1, (uid_t) -1, (gid_t) -1, dsn, why));
	assert_string_equal(dsn, "4.2.0");
	assert_non_null(strstr(buf_str(why), "unable to lock for exclusive access"));
	assert_int_equal(file_size("held.lock"), -1);	/* dot lock released */
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	(void) close(ready[0]);
	(void) close(ready[1]);
	(void) close(go[0]);
	(void) close(go[1]);
	buf_free(why);
}

/* test_refused - things that are not a plain mbox */
static void
test_refused(void **state)
{
	char	dsn[DSN_STATUS_SIZE];
	struct buf *why = buf_new(64);
	char	target[256];
	int	fd;

	(void) state;
	snprintf(target, sizeof(target), "%s", path("target"));
	fd = open(target, O_CREAT | O_WRONLY, 0600);
	(void) close(fd);
	assert_int_equal(symlink(target, path("link")), 0);
	assert_null(local_mbox_open(path("link"), 1, (uid_t) -1, (gid_t) -1, dsn, why));
	assert_string_equal(dsn, "5.2.0");
	assert_non_null(strstr(buf_str(why), "is a symbolic link"));
	assert_int_equal(file_size("link.lock"), -1);

	buf_reset(why);
	assert_int_equal(link(target, path("hard")), 0);
	assert_null(local_mbox_open(path("hard"), 1, (uid_t) -1, (gid_t) -1, dsn, why));
	assert_string_equal(dsn, "5.2.0");
	assert_non_null(strstr(buf_str(why), "not a regular file with one link"));

	buf_reset(why);
	assert_int_equal(mkdir(path("dir"), 0700), 0);
	assert_null(local_mbox_open(path("dir"), 1, (uid_t) -1, (gid_t) -1, dsn, why));
	assert_string_equal(dsn, "4.2.0");
	assert_non_null(strstr(buf_str(why), "cannot open file"));

	buf_reset(why);
	assert_null(local_mbox_open(path("nodir/user"), 1, (uid_t) -1, (gid_t) -1, dsn, why));
	assert_string_equal(dsn, "4.2.0");
	buf_free(why);
}

/* test_error_dsn - write errors */
static void
test_error_dsn(void **state)
{
	(void) state;
	assert_string_equal(local_mbox_error_dsn(EFBIG, "4.2.0"), "5.2.2");
	assert_string_equal(local_mbox_error_dsn(EDQUOT, "4.2.0"), "5.2.2");
	assert_string_equal(local_mbox_error_dsn(ENOSPC, "4.2.0"), "4.3.0");
	assert_string_equal(local_mbox_error_dsn(EIO, "4.2.0"), "4.2.0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_commit_rollback),
		cmocka_unit_test(test_dot_locks),
		cmocka_unit_test(test_kernel_lock),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_error_dsn),
	};

	return (cmocka_run_group_tests_name("local_mbox", tests, setup, teardown));
}
