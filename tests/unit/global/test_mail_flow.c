/*
 * NAME
 *	test_mail_flow - unit tests for in_flow_delay tokens
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <global/mail_flow.h>

/* flow_setup - a token pipe on descriptors 3 and 4, as master gives it */
static int
flow_setup(void **state)
{
	int	fds[2];

	(void) state;
	if (pipe2(fds, O_NONBLOCK) < 0)
		return (-1);
	if (dup2(fds[0], MAIL_FLOW_READ_FD) < 0 || dup2(fds[1], MAIL_FLOW_WRITE_FD) < 0)
		return (-1);
	if (fds[0] != MAIL_FLOW_READ_FD && fds[0] != MAIL_FLOW_WRITE_FD)
		close(fds[0]);
	if (fds[1] != MAIL_FLOW_READ_FD && fds[1] != MAIL_FLOW_WRITE_FD)
		close(fds[1]);
	return (0);
}

/* flow_teardown - close the pipe */
static int
flow_teardown(void **state)
{
	(void) state;
	close(MAIL_FLOW_READ_FD);
	close(MAIL_FLOW_WRITE_FD);
	return (0);
}

/* now_ms - monotonic milliseconds */
static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000L + ts.tv_nsec / 1000000L);
}

/* test_put_get_count - tokens in, tokens out */
static void
test_put_get_count(void **state)
{
	(void) state;
	assert_int_equal(mail_flow_count(), 0);
	assert_int_equal(mail_flow_get(1), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(mail_flow_put(10), 10);
	assert_int_equal(mail_flow_count(), 10);
	assert_int_equal(mail_flow_get(3), 3);
	assert_int_equal(mail_flow_get(100), 7);	/* up to count */
	assert_int_equal(mail_flow_count(), 0);
	/* More than one chunk at once. */
	assert_int_equal(mail_flow_put(MAIL_FLOW_MAX + 5), MAIL_FLOW_MAX + 5);
	assert_int_equal(mail_flow_count(), MAIL_FLOW_MAX + 5);
	assert_int_equal(mail_flow_get(MAIL_FLOW_MAX * 2), MAIL_FLOW_MAX);
	assert_int_equal(mail_flow_get(MAIL_FLOW_MAX), 5);
}

/* test_bad_counts - zero and negative counts are refused */
static void
test_bad_counts(void **state)
{
	(void) state;
	assert_int_equal(mail_flow_put(0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(mail_flow_get(-1), -1);
	assert_int_equal(errno, EINVAL);
}

/* test_wait - a token ends the wait, no token times out */
static void
test_wait(void **state)
{
	long	start;

	(void) state;
	start = now_ms();
	assert_int_equal(mail_flow_wait(200), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(now_ms() - start >= 190);
	assert_int_equal(mail_flow_wait(0), -1);
	assert_int_equal(mail_flow_put(2), 2);
	start = now_ms();
	assert_int_equal(mail_flow_wait(5000), 0);
	assert_true(now_ms() - start < 1000);
	assert_int_equal(mail_flow_count(), 1);
}

/* test_full_pipe - put into a full pipe fails with EAGAIN */
static void
test_full_pipe(void **state)
{
	ssize_t	n;
	int	i;

	(void) state;
	for (i = 0; i < 10000; i++)
		if ((n = mail_flow_put(MAIL_FLOW_MAX)) < 0)
			break;
	assert_true(i < 10000);
	assert_int_equal(errno, EAGAIN);
	assert_true(mail_flow_count() > 0);
}

/* test_no_pipe - a process not started by master gets EBADF */
static void
test_no_pipe(void **state)
{
	int	fd;

	(void) state;
	close(MAIL_FLOW_READ_FD);
	close(MAIL_FLOW_WRITE_FD);
	assert_int_equal(mail_flow_get(1), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(mail_flow_put(1), -1);
	assert_int_equal(mail_flow_count(), -1);
	assert_int_equal(mail_flow_wait(10), -1);
	/* A regular file on descriptor 3 is never read as tokens. */
	fd = open("/dev/null", O_RDWR);
	assert_int_equal(dup2(fd, MAIL_FLOW_READ_FD), MAIL_FLOW_READ_FD);
	assert_int_equal(dup2(fd, MAIL_FLOW_WRITE_FD), MAIL_FLOW_WRITE_FD);
	if (fd != MAIL_FLOW_READ_FD && fd != MAIL_FLOW_WRITE_FD)
		close(fd);
	assert_int_equal(mail_flow_get(1), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(mail_flow_put(1), -1);
	assert_int_equal(errno, EBADF);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get_count, flow_setup, flow_teardown),
		cmocka_unit_test_setup_teardown(test_bad_counts, flow_setup, flow_teardown),
		cmocka_unit_test_setup_teardown(test_wait, flow_setup, flow_teardown),
		cmocka_unit_test_setup_teardown(test_full_pipe, flow_setup, flow_teardown),
		cmocka_unit_test_setup_teardown(test_no_pipe, flow_setup, flow_teardown),
	};

	return (cmocka_run_group_tests_name("mail_flow", tests, NULL, NULL));
}
