/*
 * NAME
 *	master_status - busy/idle reports of service processes
 * SYNOPSIS
 *	#include "master.h"
 *
 *	int	master_status_open(struct master_serv *serv);
 *	void	master_status_close(struct master_serv *serv);
 * DESCRIPTION
 *	Each service has one status pipe; its processes write fixed-size
 *	records (master_proto(3)) to the write end, master reads the other
 *	end from the event loop and keeps the service's count of available
 *	processes. The write end stays blocking (a child never loses a
 *	report because master is slow); master's end is non-blocking.
 *
 *	master_status_close() closes both ends. Processes still holding the
 *	write end see the pipe break and finish up (reload, stop).
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <unistd.h>
#include <util/events.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include "master.h"

/* master_status_apply - one report */
static void
master_status_apply(struct master_serv *serv, const struct master_status *st)
{
	struct master_proc *proc = master_proc_find((pid_t) st->pid);

	if (proc == NULL || proc->serv != serv)
		return;				/* reaped or retired already */
	if (st->status == MASTER_STAT_TAKEN && proc->is_avail) {
		proc->is_avail = 0;
		proc->use_count++;
		serv->avail_proc--;
	} else if (st->status == MASTER_STAT_AVAIL && !proc->is_avail) {
		proc->is_avail = 1;
		serv->avail_proc++;
	}
}

/* master_status_event - the status pipe is readable */
static void
master_status_event(int event, void *ctx)
{
	struct master_serv *serv = ctx;
	struct master_status st;
	int	n;

	(void) event;
	while ((n = master_status_recv(serv->status_fd[0], &st)) > 0)
		master_status_apply(serv, &st);
	if (n < 0)
		msg_warn("service %s: bad status report: %m", serv->name);
	master_avail_listen(serv);
}

/* master_status_open - create a service's status pipe */
int
master_status_open(struct master_serv *serv)
{
	if (pipe2(serv->status_fd, O_CLOEXEC) < 0)
		return (-1);
	non_blocking(serv->status_fd[0], 1);
	event_enable_read(serv->status_fd[0], master_status_event, serv);
	return (0);
}

/* master_status_close - close a service's status pipe */
void
master_status_close(struct master_serv *serv)
{
	if (serv->status_fd[0] >= 0) {
		event_disable_read(serv->status_fd[0]);
		close(serv->status_fd[0]);
	}
	if (serv->status_fd[1] >= 0)
		close(serv->status_fd[1]);
	serv->status_fd[0] = serv->status_fd[1] = -1;
}
