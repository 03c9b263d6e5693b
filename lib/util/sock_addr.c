/*
 * NAME
 *	sock_addr - socket addresses as text
 * SYNOPSIS
 *	#include <util/iostuff.h>
 *
 *	int	sockaddr_format(const struct sockaddr *sa, socklen_t len,
 *			struct buf *addr, int *port);
 *	int	peer_address(int fd, struct buf *addr, int *port);
 *	int	local_address(int fd, struct buf *addr, int *port);
 * DESCRIPTION
 *	Numeric address formatting for logging and for smtpd's client
 *	information ("1.2.3.4", "::1"). An IPv4-mapped IPv6 address
 *	(::ffff:1.2.3.4, seen on dual-stack sockets) is shown in its IPv4
 *	form, so access tables and logs see one spelling per client.
 * SEE ALSO
 *	iostuff.h
 */
#include <util/sys_defs.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <util/buf.h>
#include <util/iostuff.h>

/* sockaddr_format - numeric text and port of an IPv4/IPv6 address */
int
sockaddr_format(const struct sockaddr *sa, socklen_t len, struct buf *addr,
		        int *port)
{
	char	text[INET6_ADDRSTRLEN];
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (sa->sa_family == AF_INET && len >= (socklen_t) sizeof(*sin)) {
		sin = (const struct sockaddr_in *) sa;
		if (inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text)) == NULL)
			return (-1);
		if (port)
			*port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t) sizeof(*sin6)) {
		sin6 = (const struct sockaddr_in6 *) sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			if (inet_ntop(AF_INET, sin6->sin6_addr.s6_addr + 12,
				      text, sizeof(text)) == NULL)
				return (-1);
		} else if (inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text)) == NULL)
			return (-1);
		if (port)
			*port = ntohs(sin6->sin6_port);
	} else {
		errno = EAFNOSUPPORT;
		return (-1);
	}
	buf_cpy(addr, text);
	return (0);
}

/* peer_address - remote end of a connected socket */
int
peer_address(int fd, struct buf *addr, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *) &ss, &len) < 0)
		return (-1);
	return (sockaddr_format((struct sockaddr *) &ss, len, addr, port));
}

/* local_address - local end of a socket */
int
local_address(int fd, struct buf *addr, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *) &ss, &len) < 0)
		return (-1);
	return (sockaddr_format((struct sockaddr *) &ss, len, addr, port));
}
