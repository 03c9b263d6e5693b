/*
 * NAME
 *	test_mail_trigger - unit tests for service wake-ups and connections
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <util/buf.h>
#include <util/iostuff.h>
#include <global/params.h>
#include <global/mail_trigger.h>

static char test_dir[] = "/tmp/test_mail_trigger.XXXXXX";
static char test_cwd[4096];

/* trigger_setup - a queue directory with public/ and private/ */
static int
trigger_setup(void **state)
{
	struct buf *why = buf_new(10);
	struct buf *ovr = buf_new(10);
	char	path[300];

	(void) state;
	if (mkdtemp(test_dir) == NULL || getcwd(test_cwd, sizeof(test_cwd)) == NULL)
		return (-1);
	snprintf(path, sizeof(path), "%s/public", test_dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/private", test_dir);
	mkdir(path, 0755);
	params_reset_defaults();
	buf_printf(ovr, "queue_directory=%s", test_dir);
	if (params_override(buf_str(ovr), why) < 0 || params_override("trigger_timeout=2s", why) < 0)
		return (-1);
	buf_free(why);
	buf_free(ovr);
	return (0);
}

/* rm_path - remove a file below the test directory */
static void
rm_path(const char *rel)
{
	char	path[300];

	snprintf(path, sizeof(path), "%s/%s", test_dir, rel);
	unlink(path);
}

/* trigger_teardown - remove everything */
static int
trigger_teardown(void **state)
{
	char	path[300];

	(void) state;
	if (chdir(test_cwd) < 0)
		return (-1);
	rm_path("public/qmgr");
	rm_path("public/pickup");
	rm_path("public/plain");
	rm_path("private/dgram");
	snprintf(path, sizeof(path), "%s/public", test_dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/private", test_dir);
	rmdir(path);
	rmdir(test_dir);
	return (0);
}

/* test_paths - relative inside queue_directory, absolute elsewhere */
static void
test_paths(void **state)
{
	struct buf *path = buf_new(10);
	char	want[300];

	(void) state;
	assert_int_equal(chdir("/"), 0);
	snprintf(want, sizeof(want), "%s/public/qmgr", test_dir);
	assert_string_equal(mail_service_path(path, "public", "qmgr"), want);
	assert_int_equal(chdir(test_dir), 0);
	assert_string_equal(mail_service_path(path, "public", "qmgr"), "public/qmgr");
	assert_int_equal(chdir("/"), 0);
	buf_free(path);
}

/* test_unix_socket - a wake-up over a stream socket, and a connection */
static void
test_unix_socket(void **state)
{
	char	path[300], buf[16];
	int	lfd, cfd, fd;

	(void) state;
	snprintf(path, sizeof(path), "%s/public/qmgr", test_dir);
	lfd = unix_listen(path, 10, 1);
	assert_true(lfd >= 0);
	assert_int_equal(mail_trigger("public", "qmgr", "FA", 2), 0);
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	assert_int_equal(read(cfd, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "FA", 2);
	close(cfd);
	fd = mail_connect("public", "qmgr", 2);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fd);
	close(lfd);
}

/* test_fifo - a wake-up through a fifo */
static void
test_fifo(void **state)
{
	char	path[300], buf[16];
	int	fd;

	(void) state;
	snprintf(path, sizeof(path), "%s/public/pickup", test_dir);
	fd = fifo_listen(path, 0622);
	assert_true(fd >= 0);
	assert_int_equal(mail_trigger("public", "pickup", "W", 1), 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'W');
	close(fd);
	/* Nobody reading: the trigger fails instead of blocking. */
	assert_int_equal(mail_trigger("public", "pickup", "W", 1), -1);
}

/* test_dgram - a wake-up as a datagram */
static void
test_dgram(void **state)
{
	struct sockaddr_un sun;
	char	buf[16];
	int	fd;

	(void) state;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/private/dgram", test_dir);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *) &sun, sizeof(sun)), 0);
	assert_int_equal(mail_trigger("private", "dgram", "I", 1), 0);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 1);
	assert_int_equal(buf[0], 'I');
	close(fd);
}

/* test_failures - nothing there, or not a socket */
static void
test_failures(void **state)
{
	char	path[300];
	int	fd;

	(void) state;
	assert_int_equal(mail_trigger("public", "nosuch", "W", 1), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(mail_connect("public", "nosuch", 1), -1);
	snprintf(path, sizeof(path), "%s/public/plain", test_dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(mail_trigger("public", "plain", "W", 1), -1);
	assert_int_equal(errno, ENOTSOCK);
	/* A socket file nobody listens on. */
	rm_path("public/qmgr");
	snprintf(path, sizeof(path), "%s/public/qmgr", test_dir);
	fd = unix_listen(path, 1, 1);
	close(fd);
	assert_int_equal(mail_trigger("public", "qmgr", "W", 1), -1);
	assert_int_equal(mail_connect("public", "qmgr", 1), -1);
	assert_int_equal(errno, ECONNREFUSED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_dgram),
		cmocka_unit_test(test_failures),
	};

	return (cmocka_run_group_tests_name("mail_trigger", tests, trigger_setup,
					    trigger_teardown));
}
