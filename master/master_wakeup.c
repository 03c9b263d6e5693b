/*
 * NAME
 *	master_wakeup - master.cf wakeup timers
 * SYNOPSIS
 *	#include "master.h"
 *
 *	void	master_wakeup_start(struct master_serv *serv);
 *	void	master_wakeup_stop(struct master_serv *serv);
 * DESCRIPTION
 *	A service with a wakeup time (qmgr, pickup) gets a wake-up request
 *	(TRIGGER_REQ_WAKEUP) right after start and then every wakeup
 *	seconds, written to its own listener: into the fifo, as a
 *	datagram, or over a fresh connection to its UNIX-domain socket.
 *	That is an ordinary client for master's spawn logic, so the first
 *	wake-up also starts the service's process. A conditional wakeup
 *	("300?") is only sent once a process of the service has run. No
 *	wake-up is sent while the service is throttled. Nothing here
 *	blocks: a full socket backlog or fifo just skips one wake-up.
 */
#include <util/sys_defs.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <util/events.h>
#include <util/msg.h>
#include <global/mail_proto.h>
#include "master.h"

/* master_wakeup_socket - one request to a UNIX-domain socket, no waiting */
static int
master_wakeup_socket(const char *path, int type)
{
	struct sockaddr_un sun;
	char	req = TRIGGER_REQ_WAKEUP;
	int	fd;
	int	ok;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return (-1);
	if (type == SOCK_DGRAM)
		ok = sendto(fd, &req, 1, 0, (struct sockaddr *) &sun, sizeof(sun)) == 1;
	else
		ok = connect(fd, (struct sockaddr *) &sun, sizeof(sun)) == 0
		    && write(fd, &req, 1) == 1;
	close(fd);
	return (ok ? 0 : -1);
}

/* master_wakeup_send - one wake-up request */
static void
master_wakeup_send(struct master_serv *serv)
{
	char	req = TRIGGER_REQ_WAKEUP;
	int	ret = -1;

	switch (serv->type) {
	case MASTERCF_FIFO:
		ret = write(serv->listen_fd[0], &req, 1) == 1 ? 0 : -1;
		break;
	case MASTERCF_UNIX:
		ret = master_wakeup_socket(serv->listen_specs->argv[0], SOCK_STREAM);
		break;
	case MASTERCF_UNIX_DGRAM:
		ret = master_wakeup_socket(serv->listen_specs->argv[0], SOCK_DGRAM);
		break;
	default:
		return;
	}
	if (ret < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		msg_warn("service %s: wakeup %s: %m", serv->name, serv->desc);
}

/* master_wakeup_event - time for a wake-up */
static void
master_wakeup_event(int event, void *ctx)
{
	struct master_serv *serv = ctx;

	(void) event;
	if (!master_stopping && !serv->is_throttled && serv->listen_count > 0
	    && (!serv->wakeup_cond || serv->is_used))
		master_wakeup_send(serv);
	event_request_timer(master_wakeup_event, serv, serv->wakeup * 1000L);
}

/* master_wakeup_start - first wake-up now, then every wakeup seconds */
void
master_wakeup_start(struct master_serv *serv)
{
	if (serv->wakeup > 0)
		event_request_timer(master_wakeup_event, serv, 0);
}

/* master_wakeup_stop - no more wake-ups for a service */
void
master_wakeup_stop(struct master_serv *serv)
{
	event_cancel_timer(master_wakeup_event, serv);
}
