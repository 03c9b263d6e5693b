/*
 * NAME
 *	server_accept - take one client from a listener
 * DESCRIPTION
 *	See server_private.h. For a "pass" service the listener is a
 *	UNIX-domain socket over which another process hands over an
 *	already connected client descriptor (SCM_RIGHTS); the skeleton
 *	accepts that connection, receives the descriptor with a short time
 *	limit, and closes the hand-over connection.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <server/server_private.h>

#define SERVER_PASS_WAIT_MS	5000

/* server_recv_fd - receive one descriptor over a UNIX-domain socket */
static int
server_recv_fd(int sock)
{
	union {
		struct cmsghdr hdr;
		char	space[CMSG_SPACE(sizeof(int))];
	}	control;
	struct msghdr msg;
	struct cmsghdr *cmsg;
	struct iovec iov;
	char	byte;
	int	fd;

	memset(&msg, 0, sizeof(msg));
	memset(&control, 0, sizeof(control));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.space;
	msg.msg_controllen = sizeof(control.space);
	if (read_wait(sock, SERVER_PASS_WAIT_MS) < 0)
		return (-1);
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0)
		return (-1);
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET
	    || cmsg->cmsg_type != SCM_RIGHTS
	    || cmsg->cmsg_len != CMSG_LEN(sizeof(int))) {
		errno = EPROTO;
		return (-1);
	}
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return (fd);
}

/* server_accept - one client descriptor, or -1 */
int
server_accept(struct server *srv, int listen_fd)
{
	int	fd;
	int	passed;

	if ((fd = sock_accept(listen_fd)) < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			msg_warn("accept connection: %m");
		return (-1);
	}
	if (!srv->is_pass)
		return (fd);
	passed = server_recv_fd(fd);
	if (passed < 0)
		msg_warn("receive passed connection: %m");
	close(fd);
	if (passed >= 0)
		non_blocking(passed, 0);
	return (passed);
}
