/*
 * NAME
 *	iostuff - descriptor, socket, fifo and trigger utilities
 * SYNOPSIS
 *	#include <util/iostuff.h>
 *
 *	int	non_blocking(int fd, int on);
 *	int	close_on_exec(int fd, int on);
 *	int	read_wait(int fd, long timeout_ms);
 *	int	write_wait(int fd, long timeout_ms);
 *	ssize_t	write_full(int fd, const void *buf, size_t len);
 *	ssize_t	timed_write(int fd, const void *buf, size_t len, long timeout_ms);
 *
 *	int	unix_listen(const char *path, int backlog, int blocking);
 *	int	inet_listen(const char *spec, int backlog, int blocking);
 *	int	fifo_listen(const char *path, mode_t mode);
 *	int	sock_accept(int listen_fd);
 *
 *	int	unix_connect(const char *path, int blocking, int timeout_s);
 *	int	inet_connect(const char *host, const char *port, int timeout_s);
 *	int	sock_connect(const struct sockaddr *sa, socklen_t len,
 *			int timeout_s);
 *
 *	int	unix_trigger(const char *path, const char *buf, size_t len,
 *			int timeout_s);
 *	int	fifo_trigger(const char *path, const char *buf, size_t len,
 *			int timeout_s);
 *
 *	int	host_port_split(const char *spec, struct buf *host,
 *			struct buf *port, struct buf *why);
 *	int	sockaddr_format(const struct sockaddr *sa, socklen_t len,
 *			struct buf *addr, int *port);
 *	int	peer_address(int fd, struct buf *addr, int *port);
 *	int	local_address(int fd, struct buf *addr, int *port);
 * DESCRIPTION
 *	Small system-call helpers shared by master, the server skeletons,
 *	the clients of internal services and the SMTP programs. All return
 *	-1 with errno set on failure and restart on EINTR.
 *
 *	non_blocking() and close_on_exec() set (on != 0) or clear the
 *	O_NONBLOCK / FD_CLOEXEC flag; they return the previous state (0 or
 *	1) or -1.
 *
 *	read_wait() and write_wait() wait until fd is readable / writable
 *	(hang-up and error count as ready, so the next I/O call reports
 *	them) for at most timeout_ms milliseconds (-1: forever). They
 *	return 0, or -1 with errno ETIMEDOUT on expiry.
 *
 *	write_full() writes all len bytes, waiting when a non-blocking fd
 *	is full; it returns len or -1. timed_write() is the same but gives
 *	up with ETIMEDOUT when one wait exceeds timeout_ms.
 *
 *	unix_listen() creates a UNIX-domain stream socket at path (a stale
 *	socket or other file of that name is removed first), sets its mode
 *	to 0666 (access control is the job of the directory, as in
 *	Postfix: private/ vs public/), and listens. inet_listen() listens
 *	on TCP; spec is "host:port", "[address]:port" (IPv6 literals),
 *	":port", "*:port" or just "port" (a number or service name). An
 *	empty or "*" host means 0.0.0.0; "[::]:port" is the IPv6 wildcard.
 *	The socket has SO_REUSEADDR and, for IPv6, IPV6_V6ONLY, so one
 *	socket serves exactly one address: callers that listen on several
 *	addresses (master, inet_interfaces) open one socket each. A host
 *	name that resolves to several addresses uses the first. Both
 *	return the listening descriptor, close-on-exec, and non-blocking
 *	unless blocking is non-zero.
 *
 *	fifo_listen() creates the named pipe path with mode if it does not
 *	exist (an existing non-fifo is an error) and opens it read-write and
 *	non-blocking, so it never reports end of file when writers go away.
 *
 *	sock_accept() accepts one connection on a listening socket; the new
 *	descriptor is close-on-exec and blocking. It returns -1 with EAGAIN
 *	when no connection is pending (another process took it, or the
 *	client gave up: ECONNABORTED and friends are mapped to EAGAIN).
 *
 *	unix_connect() connects to the UNIX-domain socket path, waiting at
 *	most timeout_s seconds (0: no limit) when the server's backlog is
 *	full. inet_connect() resolves host (a name or an address literal,
 *	with or without [brackets]) and port (number or service name) and
 *	tries each address in turn, each attempt bounded by timeout_s.
 *	sock_connect() connects to one address with a timeout. All three
 *	return a close-on-exec descriptor (inet/sock: blocking; unix: as
 *	the blocking argument says) or -1 with errno (ETIMEDOUT,
 *	ECONNREFUSED, ...; EADDRNOTAVAIL with no other cause when host does
 *	not resolve).
 *
 *	unix_trigger() and fifo_trigger() deliver a wake-up request (usually
 *	one byte, see global/mail_proto.h) to a trigger server listening on
 *	a UNIX socket or a fifo, and close the connection. They never
 *	block longer than timeout_s seconds. fifo_trigger() fails with ENXIO
 *	when nobody has the fifo open for reading. Both return 0 or -1.
 *
 *	host_port_split() parses the syntax above into host (brackets
 *	removed; empty when absent) and port: "[host]:port" and "host:port"
 *	give both, "[host]" gives an empty port, and a lone word without
 *	':' is a port (listen syntax; nexthop parsers check for ':' or '['
 *	themselves). It returns 0, or -1 with EINVAL and a reason in why
 *	(when not NULL) for bad syntax: an unbalanced bracket, text after
 *	']' other than ":port", an empty port after ':', or a bare IPv6
 *	address (more than one ':' outside brackets).
 *
 *	sockaddr_format() formats an IPv4 or IPv6 address as text ("1.2.3.4",
 *	"::1"; an IPv4-mapped IPv6 address is shown as IPv4) into addr
 *	(replacing its content) and stores the port when port is not NULL.
 *	It fails with EAFNOSUPPORT for other families (UNIX sockets).
 *	peer_address() and local_address() do this for the remote and local
 *	end of a connected socket.
 * SEE ALSO
 *	stream(3), events(3)
 */
#ifndef POSTERN_IOSTUFF_H
#define POSTERN_IOSTUFF_H

#include <util/sys_defs.h>
#include <sys/socket.h>
#include <util/buf.h>

int	non_blocking(int fd, int on);
int	close_on_exec(int fd, int on);
int	read_wait(int fd, long timeout_ms);
int	write_wait(int fd, long timeout_ms);
ssize_t	write_full(int fd, const void *buf, size_t len);
ssize_t	timed_write(int fd, const void *buf, size_t len, long timeout_ms);

int	unix_listen(const char *path, int backlog, int blocking);
int	inet_listen(const char *spec, int backlog, int blocking);
int	fifo_listen(const char *path, mode_t mode);
int	sock_accept(int listen_fd);

int	unix_connect(const char *path, int blocking, int timeout_s);
int	inet_connect(const char *host, const char *port, int timeout_s);
int	sock_connect(const struct sockaddr *sa, socklen_t len, int timeout_s);

int	unix_trigger(const char *path, const char *buf, size_t len, int timeout_s);
int	fifo_trigger(const char *path, const char *buf, size_t len, int timeout_s);

int	host_port_split(const char *spec, struct buf *host, struct buf *port,
			        struct buf *why);
int	sockaddr_format(const struct sockaddr *sa, socklen_t len,
			        struct buf *addr, int *port);
int	peer_address(int fd, struct buf *addr, int *port);
int	local_address(int fd, struct buf *addr, int *port);

#endif
