/*
 * NAME
 *	master_listen - the listening sockets and fifos of services
 * SYNOPSIS
 *	#include "master.h"
 *
 *	int	master_listen_open(struct master_serv *serv, struct buf *why);
 *	void	master_listen_close(struct master_serv *serv, int unlink_path);
 *	void	master_listen_adopt(struct master_serv *to,
 *			struct master_serv *from);
 * DESCRIPTION
 *	master_listen_open() creates every listener of a service: one TCP
 *	socket per inet address, a UNIX-domain stream socket (unix, pass),
 *	a fifo (mode 0622, as Postfix's public/pickup), or a UNIX-domain
 *	datagram socket (unix-dgram). Paths are relative to
 *	queue_directory, where master runs. All descriptors are
 *	non-blocking and close-on-exec; master hands them to children
 *	explicitly. It returns 0, or -1 with a reason in why, after
 *	closing what it opened.
 *
 *	master_listen_close() closes a service's listeners, and removes its
 *	socket or fifo file when unlink_path is set (a service removed by
 *	a reload). master_listen_adopt() moves the open listeners of one
 *	service to its successor after a reload.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <util/buf.h>
#include <util/events.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include "master.h"

/* master_dgram_listen - bind a UNIX-domain datagram socket */
static int
master_dgram_listen(const char *path)
{
	struct sockaddr_un sun;
	int	fd;
	int	saved_errno;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return (-1);
	if ((unlink(path) < 0 && errno != ENOENT)
	    || bind(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0
	    || chmod(path, 0666) < 0) {
		saved_errno = errno;
		close(fd);
		errno = saved_errno;
		return (-1);
	}
	return (fd);
}

/* master_listen_one - open one listener */
static int
master_listen_one(const struct master_serv *serv, const char *spec)
{
	switch (serv->type) {
	case MASTERCF_INET:
		return (inet_listen(spec, MASTER_BACKLOG, 0));
	case MASTERCF_UNIX:
	case MASTERCF_PASS:
		return (unix_listen(spec, MASTER_BACKLOG, 0));
	case MASTERCF_FIFO:
		return (fifo_listen(spec, 0622));
	case MASTERCF_UNIX_DGRAM:
		return (master_dgram_listen(spec));
	}
	errno = EINVAL;
	return (-1);
}

/* master_listen_why - a clear reason for a listener that failed */
static void
master_listen_why(const struct master_serv *serv, const char *spec, struct buf *why)
{
	int	err = errno;

	buf_printf(why, "service %s (master.cf line %d): cannot listen on %s: %s",
		   serv->name, serv->line, spec, strerror(err));
	if (err == EACCES && serv->type == MASTERCF_INET && geteuid() != 0)
		buf_cat(why, " (a port below 1024 needs root privileges; "
			"use a higher port when running as an ordinary user)");
	else if (err == EADDRINUSE)
		buf_cat(why, " (another program already listens there)");
	else if (err == ENOENT && serv->type != MASTERCF_INET)
		buf_cat(why, " (run \"postern check\" to create the queue directories)");
}

/* master_listen_open - create every listener of a service */
int
master_listen_open(struct master_serv *serv, struct buf *why)
{
	size_t	i;
	int	fd;

	for (i = 0; i < serv->listen_specs->argc; i++) {
		fd = master_listen_one(serv, serv->listen_specs->argv[i]);
		if (fd < 0) {
			master_listen_why(serv, serv->listen_specs->argv[i], why);
			master_listen_close(serv, 0);
			return (-1);
		}
		serv->listen_fd[serv->listen_count++] = fd;
	}
	msg_debug(1, "service %s: listening on %s", serv->name, serv->listen_sig);
	return (0);
}

/* master_listen_close - close the listeners */
void
master_listen_close(struct master_serv *serv, int unlink_path)
{
	int	i;

	master_avail_off(serv);
	for (i = 0; i < serv->listen_count; i++)
		close(serv->listen_fd[i]);
	if (unlink_path && serv->listen_count > 0 && serv->type != MASTERCF_INET
	    && unlink(serv->listen_specs->argv[0]) < 0 && errno != ENOENT)
		msg_warn("remove %s: %m", serv->listen_specs->argv[0]);
	serv->listen_count = 0;
}

/* master_listen_adopt - hand open listeners to a successor */
void
master_listen_adopt(struct master_serv *to, struct master_serv *from)
{
	int	i;

	master_avail_off(from);
	for (i = 0; i < from->listen_count; i++)
		to->listen_fd[i] = from->listen_fd[i];
	to->listen_count = from->listen_count;
	from->listen_count = 0;
}
