/*
 * NAME
 *	trigger - one-shot wake-up requests to trigger servers
 * SYNOPSIS
 *	#include <util/iostuff.h>
 *
 *	int	unix_trigger(const char *path, const char *buf, size_t len,
 *			int timeout_s);
 *	int	fifo_trigger(const char *path, const char *buf, size_t len,
 *			int timeout_s);
 * DESCRIPTION
 *	A trigger is a few bytes (usually one, see global/mail_proto.h)
 *	written to a service that watches a UNIX socket or a fifo, as
 *	Postfix's pickup and qmgr do. The sender does not wait for an
 *	answer; the bytes stay in the socket or pipe until the server
 *	reads them, also after the sender closed its end.
 *
 *	Both functions connect or open without blocking, write with
 *	timed_write() and close; a server that does not read within
 *	timeout_s seconds (0: wait as long as it takes) makes them fail
 *	with ETIMEDOUT.
 * SEE ALSO
 *	iostuff.h
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <unistd.h>
#include <util/iostuff.h>

/* trigger_send - write the request and close, keeping errno */
static int
trigger_send(int fd, const char *buf, size_t len, int timeout_s)
{
	long	timeout_ms = timeout_s > 0 ? (long) timeout_s * 1000 : -1;
	int	ret = 0;
	int	saved = 0;

	if (timed_write(fd, buf, len, timeout_ms) < 0) {
		ret = -1;
		saved = errno;
	}
	if (close(fd) < 0 && ret == 0 && errno != EINTR) {
		ret = -1;
		saved = errno;
	}
	if (ret < 0)
		errno = saved;
	return (ret);
}

/* unix_trigger - wake up a server on a UNIX-domain socket */
int
unix_trigger(const char *path, const char *buf, size_t len, int timeout_s)
{
	int	fd;

	if ((fd = unix_connect(path, 0, timeout_s)) < 0)
		return (-1);
	return (trigger_send(fd, buf, len, timeout_s));
}

/* fifo_trigger - wake up a server on a fifo */
int
fifo_trigger(const char *path, const char *buf, size_t len, int timeout_s)
{
	int	fd;

	/* O_NONBLOCK: fail with ENXIO instead of hanging without a reader. */
	if ((fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return (-1);
	return (trigger_send(fd, buf, len, timeout_s));
}
