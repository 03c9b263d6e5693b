/*
 * NAME
 *	iostuff - descriptor flags, readiness waits and complete writes
 * SYNOPSIS
 *	#include <util/iostuff.h>
 *
 *	int	non_blocking(int fd, int on);
 *	int	close_on_exec(int fd, int on);
 *	int	read_wait(int fd, long timeout_ms);
 *	int	write_wait(int fd, long timeout_ms);
 *	ssize_t	write_full(int fd, const void *buf, size_t len);
 *	ssize_t	timed_write(int fd, const void *buf, size_t len, long timeout_ms);
 * DESCRIPTION
 *	The descriptor-level part of iostuff(3); see iostuff.h for the
 *	whole interface. Waits use poll() on the monotonic clock and are
 *	restarted with the remaining time after a signal.
 *
 *	Writes to sockets use send() with MSG_NOSIGNAL, so a peer that went
 *	away yields EPIPE and not a SIGPIPE; other descriptors use write().
 *	timed_write() waits for writability before each write and then
 *	writes without blocking: MSG_DONTWAIT on sockets, at most PIPE_BUF
 *	bytes (which poll() promises room for) on pipes and fifos.
 * SEE ALSO
 *	listen.c, connect.c, trigger.c, sock_addr.c
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <limits.h>
#include <unistd.h>
#include <sys/socket.h>
#include <util/iostuff.h>

/* iostuff_now_ms - monotonic clock in milliseconds */
static int64_t
iostuff_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* iostuff_flag - set or clear one flag with fcntl(), return the old state */
static int
iostuff_flag(int fd, int get_cmd, int set_cmd, int flag, int on)
{
	int	flags;

	if ((flags = fcntl(fd, get_cmd)) < 0)
		return (-1);
	if (fcntl(fd, set_cmd, on ? flags | flag : flags & ~flag) < 0)
		return (-1);
	return ((flags & flag) != 0);
}

/* non_blocking - set or clear O_NONBLOCK */
int
non_blocking(int fd, int on)
{
	return (iostuff_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on));
}

/* close_on_exec - set or clear FD_CLOEXEC */
int
close_on_exec(int fd, int on)
{
	return (iostuff_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on));
}

/* iostuff_wait - poll one descriptor for events within timeout_ms */
static int
iostuff_wait(int fd, short events, long timeout_ms)
{
	struct pollfd pfd;
	int64_t	end = timeout_ms < 0 ? 0 : iostuff_now_ms() + timeout_ms;
	int64_t	left;
	int	n;

	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		left = timeout_ms < 0 ? -1 : end - iostuff_now_ms();
		if (timeout_ms >= 0 && left < 0)
			left = 0;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int) left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return (-1);
		if (n == 0) {
			if (timeout_ms >= 0 && iostuff_now_ms() >= end) {
				errno = ETIMEDOUT;
				return (-1);
			}
			continue;			/* INT_MAX clamp expired */
		}
		if (pfd.revents & POLLNVAL) {
			errno = EBADF;
			return (-1);
		}
		return (0);
	}
}

/* read_wait - wait until readable (or hang-up/error) */
int
read_wait(int fd, long timeout_ms)
{
	return (iostuff_wait(fd, POLLIN, timeout_ms));
}

/* write_wait - wait until writable (or error) */
int
write_wait(int fd, long timeout_ms)
{
	return (iostuff_wait(fd, POLLOUT, timeout_ms));
}

/* iostuff_write - one write, send(MSG_NOSIGNAL) on sockets */
static ssize_t
iostuff_write(int fd, const void *buf, size_t len, int *is_socket,
	              int is_timed)
{
	ssize_t	n;

	/* After poll() a timed write must not block: see timed_write(). */
	if (*is_socket) {
		n = send(fd, buf, len, MSG_NOSIGNAL | (is_timed ? MSG_DONTWAIT : 0));
		if (n >= 0 || errno != ENOTSOCK)
			return (n);
		*is_socket = 0;
	}
	return (write(fd, buf, is_timed && len > PIPE_BUF ? PIPE_BUF : len));
}

/* timed_write - write everything, each wait bounded by timeout_ms */
ssize_t
timed_write(int fd, const void *buf, size_t len, long timeout_ms)
{
	const char *cp = buf;
	size_t	done = 0;
	int	is_socket = 1;
	ssize_t	n;

	while (done < len) {
		if (timeout_ms >= 0 && write_wait(fd, timeout_ms) < 0)
			return (-1);
		n = iostuff_write(fd, cp + done, len - done, &is_socket,
				  timeout_ms >= 0);
		if (n > 0) {
			done += (size_t) n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (write_wait(fd, timeout_ms) < 0)
				return (-1);
			continue;
		}
		if (n == 0)
			errno = EIO;
		return (-1);
	}
	return ((ssize_t) len);
}

/* write_full - write everything, waiting as long as it takes */
ssize_t
write_full(int fd, const void *buf, size_t len)
{
	return (timed_write(fd, buf, len, -1));
}
