/*
 * NAME
 *	test_iostuff - unit tests for descriptor, socket and trigger helpers
 * DESCRIPTION
 *	Flags, readiness waits with time limits, complete and timed writes,
 *	UNIX-domain and TCP listen/connect on loopback (IPv6 ::1 when the
 *	host has it, else skipped with a note), address formatting and
 *	parsing, connection refusals and timeouts, fifo and socket
 *	triggers.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <util/buf.h>
#include <util/iostuff.h>

static char tmpdir[] = "/tmp/test_iostuff.XXXXXX";

/* now_ms - monotonic milliseconds */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* tmp_path - a name in the test directory */
static const char *
tmp_path(struct buf *bp, const char *name)
{
	return (buf_str(buf_printf(bp, "%s/%s", tmpdir, name)));
}

/* setup - a private temporary directory */
static int
setup(void **state)
{
	(void) state;
	signal(SIGPIPE, SIG_IGN);
	return (mkdtemp(tmpdir) ? 0 : -1);
}

/* teardown - remove what the tests left */
static int
teardown(void **state)
{
	struct buf *bp = buf_new(64);

	(void) state;
	buf_printf(bp, "rm -rf '%s'", tmpdir);
	if (system(buf_str(bp)) != 0)
		return (-1);
	buf_free(bp);
	return (0);
}

/* test_flags - non_blocking and close_on_exec report the old state */
static void
test_flags(void **state)
{
	int	fds[2];

	(void) state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(non_blocking(fds[0], 1), 0);
	assert_int_equal(non_blocking(fds[0], 1), 1);
	assert_true(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(non_blocking(fds[0], 0), 1);
	assert_false(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(close_on_exec(fds[0], 1), 0);
	assert_int_equal(close_on_exec(fds[0], 0), 1);
	assert_int_equal(close_on_exec(fds[0], 0), 0);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(non_blocking(fds[0], 1), -1);
	assert_int_equal(errno, EBADF);
}

/* test_waits - read_wait/write_wait readiness and time limits */
static void
test_waits(void **state)
{
	int	fds[2];
	int64_t	start;

	(void) state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write_wait(fds[1], 0), 0);
	start = now_ms();
	assert_int_equal(read_wait(fds[0], 200), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(now_ms() - start >= 190 && now_ms() - start < 2000);
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(read_wait(fds[0], 0), 0);
	assert_int_equal(read_wait(fds[0], -1), 0);
	close(fds[1]);
	close(fds[0]);
	assert_int_equal(read_wait(fds[0], 10), -1);
	assert_int_equal(errno, EBADF);
}

/* test_writes - write_full through a slow reader, timed_write expiry */
static void
test_writes(void **state)
{
	size_t	len = 1024 * 1024;
	char   *data = calloc(1, len);
	char	buf[65536];
	size_t	total = 0;
	ssize_t	n;
	int	fds[2];
	pid_t	pid;
	int64_t	start;

	(void) state;
	assert_int_equal(pipe(fds), 0);
	non_blocking(fds[1], 1);			/* EAGAIN path */
	if ((pid = fork()) == 0) {
		close(fds[0]);
		_exit(write_full(fds[1], data, len) == (ssize_t) len ? 0 : 1);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0)
		total += (size_t) n;
	assert_int_equal(total, len);
	close(fds[0]);
	waitpid(pid, NULL, 0);

	/* Nobody reads: a blocking pipe times out instead of hanging. */
	assert_int_equal(pipe(fds), 0);
	start = now_ms();
	assert_int_equal(timed_write(fds[1], data, len, 300), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(now_ms() - start < 3000);
	close(fds[0]);
	/* Reader gone: EPIPE, no signal death (SIGPIPE ignored in setup). */
	assert_int_equal(write_full(fds[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	close(fds[1]);
	free(data);
}

/* test_unix - listen, connect, accept, stale socket, refusals */
static void
test_unix(void **state)
{
	struct buf *path = buf_new(64);
	struct stat st;
	int	lfd, cfd, afd;
	char	c;

	(void) state;
	tmp_path(path, "sock");
	lfd = unix_listen(buf_str(path), 10, 0);
	assert_true(lfd >= 0);
	assert_int_equal(stat(buf_str(path), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0666);
	assert_true(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(lfd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(sock_accept(lfd), -1);		/* nothing pending */
	assert_int_equal(errno, EAGAIN);
	cfd = unix_connect(buf_str(path), 1, 2);
	assert_true(cfd >= 0);
	assert_false(fcntl(cfd, F_GETFL) & O_NONBLOCK);
	afd = sock_accept(lfd);
	assert_true(afd >= 0);
	assert_true(fcntl(afd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(cfd, "u", 1), 1);
	assert_int_equal(read(afd, &c, 1), 1);
	assert_int_equal(c, 'u');
	assert_int_equal(peer_address(afd, path, NULL), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	close(afd);
	close(cfd);
	close(lfd);
	/* A stale socket file is replaced. */
	tmp_path(path, "sock");
	lfd = unix_listen(buf_str(path), 10, 1);
	assert_true(lfd >= 0);
	assert_false(fcntl(lfd, F_GETFL) & O_NONBLOCK);
	cfd = unix_connect(buf_str(path), 0, 0);
	assert_true(cfd >= 0);
	assert_true(fcntl(cfd, F_GETFL) & O_NONBLOCK);
	close(cfd);
	close(lfd);
	/* Listener gone, and no such file. */
	assert_int_equal(unix_connect(buf_str(path), 1, 1), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(unix_connect(tmp_path(path, "nonexistent"), 1, 1), -1);
	assert_int_equal(errno, ENOENT);
	buf_reset(path);
	while (buf_len(path) < 200)
		buf_cat(path, "/long");
	assert_int_equal(unix_listen(buf_str(path), 1, 1), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	buf_free(path);
}

/* test_unix_backlog - a full backlog makes unix_connect time out */
static void
test_unix_backlog(void **state)
{
	struct buf *path = buf_new(64);
	int	lfd, fd = 0;
	int	fds[64];
	int	n;
	int64_t	start;

	(void) state;
	lfd = unix_listen(tmp_path(path, "busy"), 0, 1);
	assert_true(lfd >= 0);
	start = now_ms();
	for (n = 0; n < 64 && (fd = unix_connect(buf_str(path), 1, 1)) >= 0; n++)
		fds[n] = fd;
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(n >= 1);
	assert_true(now_ms() - start >= 900 && now_ms() - start < 5000);
	while (n-- > 0)
		close(fds[n]);
	close(lfd);
	buf_free(path);
}

/* inet_round_trip - listen on spec, connect, check both addresses */
static void
inet_round_trip(const char *spec, const char *connect_host, const char *want_addr)
{
	struct buf *addr = buf_new(64);
	struct buf *port_text = buf_new(16);
	int	lfd, cfd, afd;
	int	port = 0, peer_port = 0;
	int	on = 0;
	socklen_t len = sizeof(on);

	lfd = inet_listen(spec, 10, 1);
	assert_true(lfd >= 0);
	assert_true(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(getsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, &len), 0);
	assert_true(on);
	assert_int_equal(local_address(lfd, addr, &port), 0);
	assert_string_equal(buf_str(addr), want_addr);
	assert_true(port > 0);
	if (strchr(want_addr, ':')) {
		assert_int_equal(getsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &on, &len), 0);
		assert_true(on);
	}
	buf_printf(port_text, "%d", port);
	cfd = inet_connect(connect_host, buf_str(port_text), 2);
	assert_true(cfd >= 0);
	assert_false(fcntl(cfd, F_GETFL) & O_NONBLOCK);
	afd = sock_accept(lfd);
	assert_true(afd >= 0);
	assert_int_equal(peer_address(afd, addr, &peer_port), 0);
	assert_string_equal(buf_str(addr), want_addr);
	assert_int_equal(local_address(cfd, addr, &port), 0);
	assert_int_equal(port, peer_port);
	close(afd);
	close(cfd);
	close(lfd);
	buf_free(addr);
	buf_free(port_text);
}

/* test_inet4 - TCP on 127.0.0.1 in the accepted spellings */
static void
test_inet4(void **state)
{
	(void) state;
	inet_round_trip("127.0.0.1:0", "127.0.0.1", "127.0.0.1");
	inet_round_trip("[127.0.0.1]:0", "[127.0.0.1]", "127.0.0.1");
	assert_int_equal(inet_listen("127.0.0.1:", 1, 1), -1);
	assert_int_equal(inet_listen("[127.0.0.1:25", 1, 1), -1);
	assert_int_equal(inet_listen("192.0.2.1:0", 1, 1), -1);	/* not ours */
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(inet_listen("no.such.host.invalid:25", 1, 1), -1);
}

/* test_inet_wildcard - port only, "*" and ":port" bind 0.0.0.0 */
static void
test_inet_wildcard(void **state)
{
	const char *specs[] = {"0", "*:0", ":0"};
	struct buf *addr = buf_new(16);
	size_t	i;
	int	lfd;

	(void) state;
	for (i = 0; i < ARRAY_LEN(specs); i++) {
		lfd = inet_listen(specs[i], 5, 0);
		assert_true(lfd >= 0);
		assert_int_equal(local_address(lfd, addr, NULL), 0);
		assert_string_equal(buf_str(addr), "0.0.0.0");
		close(lfd);
	}
	buf_free(addr);
}

/* test_inet6 - TCP on ::1 when the host has IPv6 loopback */
static void
test_inet6(void **state)
{
	int	fd;

	(void) state;
	if ((fd = inet_listen("[::1]:0", 1, 1)) < 0) {
		print_message("no IPv6 loopback (%s): skipping IPv6 tests\n", strerror(errno));
		skip();
	}
	close(fd);
	inet_round_trip("[::1]:0", "::1", "::1");
	inet_round_trip("[::1]:0", "[::1]", "::1");
}

/* test_connect_errors - refused port, unresolvable host, timeout */
static void
test_connect_errors(void **state)
{
	struct buf *addr = buf_new(16);
	struct buf *port = buf_new(16);
	int	lfd;
	int	p = 0;
	int64_t	start;

	(void) state;
	/* Learn a free port, then close it: nobody listens there. */
	lfd = inet_listen("127.0.0.1:0", 1, 1);
	assert_true(lfd >= 0);
	assert_int_equal(local_address(lfd, addr, &p), 0);
	close(lfd);
	buf_printf(port, "%d", p);
	start = now_ms();
	assert_int_equal(inet_connect("127.0.0.1", buf_str(port), 2), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_true(now_ms() - start < 2000);
	assert_int_equal(inet_connect("no.such.host.invalid", "25", 1), -1);
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(inet_connect("127.0.0.1", "no-such-service", 1), -1);
	buf_free(addr);
	buf_free(port);
}

struct split_case {
	const char *spec;
	int	want;
	const char *host;
	const char *port;
};

/* test_host_port_split - the accepted syntax and the errors */
static void
test_host_port_split(void **state)
{
	static const struct split_case cases[] = {
		{"127.0.0.1:25", 0, "127.0.0.1", "25"},
		{"mail.example.com:smtp", 0, "mail.example.com", "smtp"},
		{"[::1]:2525", 0, "::1", "2525"},
		{"[127.0.0.1]", 0, "127.0.0.1", ""},
		{"[2001:db8::1]", 0, "2001:db8::1", ""},
		{"25", 0, "", "25"},
		{"smtp", 0, "", "smtp"},
		{":25", 0, "", "25"},
		{"*:25", 0, "*", "25"},
		{"", -1, 0, 0},
		{"host:", -1, 0, 0},
		{"[::1]:", -1, 0, 0},
		{"[::1", -1, 0, 0},
		{"[]:25", -1, 0, 0},
		{"[::1]x", -1, 0, 0},
		{"::1:25", -1, 0, 0},
		{"host]:25", -1, 0, 0},
	};
	const struct split_case *tc;
	struct buf *host = buf_new(4), *port = buf_new(4), *why = buf_new(4);

	(void) state;
	for (tc = cases; tc < cases + ARRAY_LEN(cases); tc++) {
		buf_reset(why);
		if (host_port_split(tc->spec, host, port, why) != tc->want)
			fail_msg("\"%s\": wrong result (%s)", tc->spec, buf_str(why));
		if (tc->want == 0) {
			assert_string_equal(buf_str(host), tc->host);
			assert_string_equal(buf_str(port), tc->port);
		} else {
			assert_int_equal(errno, EINVAL);
			if (buf_len(why) == 0)
				fail_msg("\"%s\": no reason", tc->spec);
		}
	}
	assert_int_equal(host_port_split("a:b:c", host, port, NULL), -1);
	buf_free(host);
	buf_free(port);
	buf_free(why);
}

/* test_sockaddr_format - v4, v6, v4-mapped, other families */
static void
test_sockaddr_format(void **state)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
	struct buf *addr = buf_new(4);
	int	port = 0;

	(void) state;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(25);
	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	assert_int_equal(sockaddr_format((struct sockaddr *) &sin, sizeof(sin), addr, &port), 0);
	assert_string_equal(buf_str(addr), "192.0.2.7");
	assert_int_equal(port, 25);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(587);
	inet_pton(AF_INET6, "2001:db8::25", &sin6.sin6_addr);
	assert_int_equal(sockaddr_format((struct sockaddr *) &sin6, sizeof(sin6), addr, &port), 0);
	assert_string_equal(buf_str(addr), "2001:db8::25");
	assert_int_equal(port, 587);
	inet_pton(AF_INET6, "::ffff:198.51.100.1", &sin6.sin6_addr);
	assert_int_equal(sockaddr_format((struct sockaddr *) &sin6, sizeof(sin6), addr, NULL), 0);
	assert_string_equal(buf_str(addr), "198.51.100.1");
	/* Truncated length and other families. */
	assert_int_equal(sockaddr_format((struct sockaddr *) &sin6, 8, addr, NULL), -1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_int_equal(sockaddr_format((struct sockaddr *) &sun, sizeof(sun), addr, NULL), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	buf_free(addr);
}

/* test_fifo - fifo_listen, fifo_trigger, no reader, not a fifo */
static void
test_fifo(void **state)
{
	struct buf *path = buf_new(64);
	struct stat st;
	char	buf[8];
	int	fd;

	(void) state;
	tmp_path(path, "pickup");
	/* No fifo yet, and then a fifo nobody reads. */
	assert_int_equal(fifo_trigger(buf_str(path), "W", 1, 1), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(mkfifo(buf_str(path), 0600), 0);
	assert_int_equal(fifo_trigger(buf_str(path), "W", 1, 1), -1);
	assert_int_equal(errno, ENXIO);
	fd = fifo_listen(buf_str(path), 0622);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0622);
	assert_int_equal(fifo_trigger(buf_str(path), "W", 1, 1), 0);
	assert_int_equal(fifo_trigger(buf_str(path), "I", 1, 1), 0);
	assert_int_equal(read_wait(fd, 1000), 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "WI", 2);
	/* Read-write open: no end of file when writers leave. */
	assert_int_equal(read(fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	close(fd);
	/* A regular file of that name is not a fifo. */
	tmp_path(path, "plain");
	close(open(buf_str(path), O_CREAT | O_WRONLY, 0600));
	assert_int_equal(fifo_listen(buf_str(path), 0600), -1);
	assert_int_equal(errno, EINVAL);
	buf_free(path);
}

/* test_unix_trigger - one-byte wake-ups reach a UNIX-socket server */
static void
test_unix_trigger(void **state)
{
	struct buf *path = buf_new(64);
	char	buf[16];
	int	lfd, afd;
	ssize_t	n;

	(void) state;
	lfd = unix_listen(tmp_path(path, "qmgr"), 10, 0);
	assert_true(lfd >= 0);
	/* The sender returns before the server reads. */
	assert_int_equal(unix_trigger(buf_str(path), "I", 1, 2), 0);
	assert_int_equal(unix_trigger(buf_str(path), "sexample.com\0", 13, 2), 0);
	assert_int_equal(read_wait(lfd, 1000), 0);
	afd = sock_accept(lfd);
	assert_true(afd >= 0);
	assert_int_equal(read(afd, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'I');
	assert_int_equal(read(afd, buf, sizeof(buf)), 0);
	close(afd);
	afd = sock_accept(lfd);
	assert_true(afd >= 0);
	n = read(afd, buf, sizeof(buf));
	assert_int_equal(n, 13);
	assert_memory_equal(buf, "sexample.com\0", 13);
	close(afd);
	close(lfd);
	assert_int_equal(unix_trigger(buf_str(path), "I", 1, 1), -1);
	assert_int_equal(errno, ECONNREFUSED);
	buf_free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_waits),
		cmocka_unit_test(test_writes),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_unix_backlog),
		cmocka_unit_test(test_inet4),
		cmocka_unit_test(test_inet_wildcard),
		cmocka_unit_test(test_inet6),
		cmocka_unit_test(test_connect_errors),
		cmocka_unit_test(test_host_port_split),
		cmocka_unit_test(test_sockaddr_format),
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_unix_trigger),
	};

	return (cmocka_run_group_tests_name("iostuff", tests, setup, teardown));
}
