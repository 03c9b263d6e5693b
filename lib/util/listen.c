/*
 * NAME
 *	listen - listening endpoints: UNIX and TCP sockets, fifos
 * SYNOPSIS
 *	#include <util/iostuff.h>
 *
 *	int	unix_listen(const char *path, int backlog, int blocking);
 *	int	inet_listen(const char *spec, int backlog, int blocking);
 *	int	fifo_listen(const char *path, mode_t mode);
 *	int	sock_accept(int listen_fd);
 *	int	host_port_split(const char *spec, struct buf *host,
 *			struct buf *port, struct buf *why);
 * DESCRIPTION
 *	The server side of iostuff(3); see iostuff.h for the contract.
 *	Every descriptor returned here is close-on-exec, so services do
 *	not leak listeners into the programs they run.
 * SEE ALSO
 *	iostuff.h
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <netdb.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <util/buf.h>
#include <util/iostuff.h>

/* listen_fail - close fd keeping errno, return -1 */
static int
listen_fail(int fd)
{
	int	saved = errno;

	if (fd >= 0)
		(void) close(fd);
	errno = saved;
	return (-1);
}

/* listen_finish - listen() and set the blocking mode */
static int
listen_finish(int fd, int backlog, int blocking)
{
	if (listen(fd, backlog) < 0 || non_blocking(fd, !blocking) < 0)
		return (listen_fail(fd));
	return (fd);
}

/* unix_listen - listen on a UNIX-domain stream socket */
int
unix_listen(const char *path, int backlog, int blocking)
{
	struct sockaddr_un sun;
	size_t	len = strlen(path);
	int	fd;

	if (len == 0 || len >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return (-1);
	if (unlink(path) < 0 && errno != ENOENT)
		return (listen_fail(fd));
	if (bind(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0)
		return (listen_fail(fd));
	/* Access control is done with the directory (private/, public/). */
	if (chmod(path, 0666) < 0)
		return (listen_fail(fd));
	return (listen_finish(fd, backlog, blocking));
}

/* host_port_bracket - "[host]" or "[host]:port" */
static int
host_port_bracket(const char *spec, struct buf *host, struct buf *port,
		          struct buf *why)
{
	const char *end = strchr(spec, ']');

	if (end == NULL || end == spec + 1) {
		if (why)
			buf_printf(why, "\"%s\": %s", spec, end ? "empty address"
				   : "missing \"]\"");
		return (-1);
	}
	if (end[1] != 0 && (end[1] != ':' || end[2] == 0)) {
		if (why)
			buf_printf(why, "\"%s\": expected \":port\" after \"]\"", spec);
		return (-1);
	}
	buf_reset(host);
	buf_catn(host, spec + 1, (size_t) (end - spec - 1));
	buf_cpy(port, end[1] ? end + 2 : "");
	return (0);
}

/* host_port_split - parse [host]:port, host:port, [host], port */
int
host_port_split(const char *spec, struct buf *host, struct buf *port,
		        struct buf *why)
{
	const char *colon;
	int	ret;

	if (spec[0] == '[')
		ret = host_port_bracket(spec, host, port, why);
	else if (strchr(spec, ']') != NULL) {
		if (why)
			buf_printf(why, "\"%s\": unbalanced \"]\"", spec);
		ret = -1;
	} else if ((colon = strchr(spec, ':')) == NULL) {
		buf_reset(host);
		buf_cpy(port, spec);
		ret = spec[0] ? 0 : -1;
		if (ret < 0 && why)
			buf_cpy(why, "empty port");
	} else if (strchr(colon + 1, ':') != NULL) {
		if (why)
			buf_printf(why, "\"%s\": IPv6 address must be in [brackets]", spec);
		ret = -1;
	} else if (colon[1] == 0) {
		if (why)
			buf_printf(why, "\"%s\": empty port", spec);
		ret = -1;
	} else {
		buf_reset(host);
		buf_catn(host, spec, (size_t) (colon - spec));
		buf_cpy(port, colon + 1);
		ret = 0;
	}
	if (ret < 0)
		errno = EINVAL;
	return (ret);
}

/* inet_listen_addr - bind and listen on one resolved address */
static int
inet_listen_addr(const struct addrinfo *ai, int backlog, int blocking)
{
	int	fd;
	int	on = 1;

	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return (-1);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
		return (listen_fail(fd));
	if (ai->ai_family == AF_INET6
	    && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
		return (listen_fail(fd));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		return (listen_fail(fd));
	return (listen_finish(fd, backlog, blocking));
}

/* inet_listen - listen on TCP host:port */
int
inet_listen(const char *spec, int backlog, int blocking)
{
	struct buf *host = buf_new(64);
	struct buf *port = buf_new(16);
	struct addrinfo hints, *res = NULL;
	const char *hp;
	int	fd = -1;
	int	saved;

	if (host_port_split(spec, host, port, NULL) < 0)
		goto out;
	hp = buf_len(host) == 0 || strcmp(buf_str(host), "*") == 0 ?
		"0.0.0.0" : buf_str(host);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (getaddrinfo(hp, buf_str(port), &hints, &res) != 0 || res == NULL) {
		errno = EADDRNOTAVAIL;
		goto out;
	}
	fd = inet_listen_addr(res, backlog, blocking);
out:
	saved = errno;
	if (res)
		freeaddrinfo(res);
	buf_free(host);
	buf_free(port);
	errno = saved;
	return (fd);
}

/* fifo_listen - create (if needed) and open a named pipe for reading */
int
fifo_listen(const char *path, mode_t mode)
{
	struct stat st;
	int	fd;

	if (mkfifo(path, mode) < 0 && errno != EEXIST)
		return (-1);
	if (lstat(path, &st) < 0)
		return (-1);
	if (!S_ISFIFO(st.st_mode)) {
		errno = EINVAL;
		return (-1);
	}
	if ((fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0)
		return (-1);
	if (fstat(fd, &st) < 0)
		return (listen_fail(fd));
	if (!S_ISFIFO(st.st_mode)) {
		(void) close(fd);
		errno = EINVAL;
		return (-1);
	}
	if (fchmod(fd, mode) < 0)
		return (listen_fail(fd));
	return (fd);
}

/* sock_accept - one connection, transient failures as EAGAIN */
int
sock_accept(int listen_fd)
{
	int	fd;

	for (;;) {
		if ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
			return (fd);
		switch (errno) {
		case EINTR:
			continue;
		case ECONNABORTED:
		case EPROTO:
		case ENETDOWN:
		case ENOPROTOOPT:
		case EHOSTDOWN:
		case ENONET:
		case EHOSTUNREACH:
		case EOPNOTSUPP:
		case ENETUNREACH:
		case EWOULDBLOCK:
			errno = EAGAIN;
			return (-1);
		default:
			return (-1);
		}
	}
}
