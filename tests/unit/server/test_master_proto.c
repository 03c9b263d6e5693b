/*
 * NAME
 *	test_master_proto - unit tests for the child to master status records
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <server/master_proto.h>

/* test_round_trip - records written by several writers arrive whole */
static void
test_round_trip(void **state)
{
	struct master_status st;
	int	fds[2];

	(void) state;
	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	assert_int_equal(master_status_send(fds[1], 123, MASTER_STAT_TAKEN), 0);
	assert_int_equal(master_status_send(fds[1], 456, MASTER_STAT_AVAIL), 0);
	assert_int_equal(master_status_recv(fds[0], &st), 1);
	assert_int_equal(st.pid, 123);
	assert_int_equal(st.status, MASTER_STAT_TAKEN);
	assert_int_equal(master_status_recv(fds[0], &st), 1);
	assert_int_equal(st.pid, 456);
	assert_int_equal(st.status, MASTER_STAT_AVAIL);
	/* Nothing more: 0, not an error. */
	assert_int_equal(master_status_recv(fds[0], &st), 0);
	close(fds[1]);
	/* Every writer gone: end of file is an error. */
	assert_int_equal(master_status_recv(fds[0], &st), -1);
	close(fds[0]);
}

/* test_bad_records - short or nonsense records are protocol errors */
static void
test_bad_records(void **state)
{
	struct master_status st, bad;
	int	fds[2];

	(void) state;
	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	assert_int_equal(write(fds[1], "abc", 3), 3);
	errno = 0;
	assert_int_equal(master_status_recv(fds[0], &st), -1);
	assert_int_equal(errno, EPROTO);
	memset(&bad, 0, sizeof(bad));
	bad.pid = 99;
	bad.status = 7;
	assert_int_equal(write(fds[1], &bad, sizeof(bad)), (ssize_t) sizeof(bad));
	assert_int_equal(master_status_recv(fds[0], &st), -1);
	assert_int_equal(errno, EPROTO);
	bad.pid = 0;
	bad.status = MASTER_STAT_AVAIL;
	assert_int_equal(write(fds[1], &bad, sizeof(bad)), (ssize_t) sizeof(bad));
	assert_int_equal(master_status_recv(fds[0], &st), -1);
	close(fds[0]);
	/* Reader gone: the writer gets EPIPE (the child then stops). */
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(master_status_send(fds[1], 1, MASTER_STAT_AVAIL), -1);
	assert_int_equal(errno, EPIPE);
	close(fds[1]);
}

/* test_pid_test - the pid file lock tells whether master runs */
static void
test_pid_test(void **state)
{
	char	dir[] = "/tmp/test_master_proto.XXXXXX";
	char	path[200];
	struct flock lock;
	int	ready[2];
	pid_t	child, holder = 0;
	char	ch;
	int	fd;

	(void) state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/master.pid", dir);
	assert_int_equal(master_pid_test(path, &holder), 0);	/* no file */
	fd = open(path, O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(master_pid_test(path, &holder), 0);	/* not locked */
	assert_int_equal(pipe(ready), 0);
	if ((child = fork()) == 0) {
		memset(&lock, 0, sizeof(lock));
		lock.l_type = F_WRLCK;
		lock.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &lock) < 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &ch, 1), 1);
	assert_int_equal(master_pid_test(path, &holder), 1);
	assert_int_equal(holder, child);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(master_pid_test(path, NULL), 0);	/* lock gone with it */
	chmod(dir, 0);
	if (geteuid() != 0)
		assert_int_equal(master_pid_test(path, NULL), -1);
	chmod(dir, 0700);
	close(fd);
	close(ready[0]);
	close(ready[1]);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_pid_test),
	};

	return (cmocka_run_group_tests_name("master_proto", tests, NULL, NULL));
}
