/*
 * NAME
 *	connect - client connections with time limits
 * SYNOPSIS
 *	#include <util/iostuff.h>
 *
 *	int	unix_connect(const char *path, int blocking, int timeout_s);
 *	int	inet_connect(const char *host, const char *port, int timeout_s);
 *	int	sock_connect(const struct sockaddr *sa, socklen_t len,
 *			int timeout_s);
 * DESCRIPTION
 *	The client side of iostuff(3); see iostuff.h for the contract.
 *
 *	TCP connections use a non-blocking connect() and wait for
 *	writability with poll(), then read the outcome from SO_ERROR.
 *
 *	A UNIX-domain connect() does not complete in the background on
 *	Linux: when the server's backlog is full a non-blocking connect()
 *	fails with EAGAIN. unix_connect() then retries with a short,
 *	growing pause until the time limit.
 * SEE ALSO
 *	iostuff.h
 */
#include <util/sys_defs.h>
#include <netdb.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <util/iostuff.h>

/* connect_fail - close fd keeping errno, return -1 */
static int
connect_fail(int fd)
{
	int	saved = errno;

	(void) close(fd);
	errno = saved;
	return (-1);
}

/* connect_now_ms - monotonic clock in milliseconds */
static int64_t
connect_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* unix_connect_retry - non-blocking connect, retried while backlog is full */
static int
unix_connect_retry(int fd, const struct sockaddr_un *sun, int timeout_s)
{
	int64_t	end = connect_now_ms() + (int64_t) timeout_s * 1000;
	struct timespec pause = {0, 1000000};

	for (;;) {
		if (connect(fd, (const struct sockaddr *) sun, sizeof(*sun)) == 0)
			return (0);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return (-1);
		if (connect_now_ms() >= end) {
			errno = ETIMEDOUT;
			return (-1);
		}
		(void) nanosleep(&pause, NULL);
		if (pause.tv_nsec < 64000000)
			pause.tv_nsec *= 2;
	}
}

/* unix_connect - connect to a UNIX-domain stream socket */
int
unix_connect(const char *path, int blocking, int timeout_s)
{
	struct sockaddr_un sun;
	size_t	len = strlen(path);
	int	fd;
	int	ret;

	if (len == 0 || len >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return (-1);
	if (timeout_s > 0) {
		if (non_blocking(fd, 1) < 0)
			return (connect_fail(fd));
		ret = unix_connect_retry(fd, &sun, timeout_s);
	} else {
		while ((ret = connect(fd, (struct sockaddr *) &sun, sizeof(sun))) < 0
		       && errno == EINTR)
			 /* void */ ;
	}
	if (ret < 0 || non_blocking(fd, !blocking) < 0)
		return (connect_fail(fd));
	return (fd);
}

/* sock_connect_wait - wait for a non-blocking connect to finish */
static int
sock_connect_wait(int fd, int timeout_s)
{
	int	err = 0;
	socklen_t len = sizeof(err);

	if (write_wait(fd, timeout_s > 0 ? (long) timeout_s * 1000 : -1) < 0)
		return (-1);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return (-1);
	if (err != 0) {
		errno = err;
		return (-1);
	}
	return (0);
}

/* sock_connect - connect to one address with a time limit */
int
sock_connect(const struct sockaddr *sa, socklen_t len, int timeout_s)
{
	int	fd;

	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return (-1);
	if (non_blocking(fd, 1) < 0)
		return (connect_fail(fd));
	if (connect(fd, sa, len) < 0) {
		if (errno != EINPROGRESS && errno != EINTR)
			return (connect_fail(fd));
		if (sock_connect_wait(fd, timeout_s) < 0)
			return (connect_fail(fd));
	}
	if (non_blocking(fd, 0) < 0)
		return (connect_fail(fd));
	return (fd);
}

/* inet_connect - resolve host and port, try each address */
int
inet_connect(const char *host, const char *port, int timeout_s)
{
	struct addrinfo hints, *res = NULL, *ai;
	char	bare[256];
	size_t	len = strlen(host);
	int	fd = -1;
	int	saved = EADDRNOTAVAIL;

	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		if (len - 2 >= sizeof(bare)) {
			errno = ENAMETOOLONG;
			return (-1);
		}
		memcpy(bare, host + 1, len - 2);
		bare[len - 2] = 0;
		host = bare;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		res = NULL;
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		if ((fd = sock_connect(ai->ai_addr, ai->ai_addrlen, timeout_s)) < 0)
			saved = errno;
	}
	if (res)
		freeaddrinfo(res);
	if (fd < 0)
		errno = saved;
	return (fd);
}
