/*
 * NAME
 *	master_signal - signals, stop and abort
 * SYNOPSIS
 *	#include "master.h"
 *
 *	int	master_stopping;
 *
 *	void	master_signal_init(void);
 *	void	master_stop(int sig);
 *	void	master_stop_poll(void);
 * DESCRIPTION
 *	Signal handlers only write the signal number into a self-pipe; the
 *	event loop reads it and acts outside signal context:
 * .IP SIGCHLD
 *	reap children.
 * .IP SIGHUP
 *	reload (master_conf_refresh()).
 * .IP "SIGTERM, SIGINT"
 *	graceful stop: close the listeners and status pipes, send SIGTERM
 *	to every child, wait up to MASTER_STOP_GRACE_MS for them, then
 *	SIGKILL what is left, and exit.
 * .IP SIGQUIT
 *	abort (postern abort): SIGKILL every child and exit at once.
 * .PP
 *	master_stop() starts a stop; master_stop_poll() is called by the
 *	main loop while stopping and exits when the children are gone or
 *	the grace time is over.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
#include <util/events.h>
#include <util/msg.h>
#include "master.h"

int	master_stopping;
static int master_sig_pipe[2] = {-1, -1};
static int64_t master_stop_deadline;

/* master_sig_handler - wake up the event loop with the signal number */
static void
master_sig_handler(int sig)
{
	int	saved_errno = errno;
	unsigned char ch = (unsigned char) sig;

	if (write(master_sig_pipe[1], &ch, 1) < 0) {
		/* pipe full: the loop is behind anyway */ ;
	}
	errno = saved_errno;
}

/* master_sig_event - act on the signals that arrived */
static void
master_sig_event(int event, void *ctx)
{
	unsigned char sigs[64];
	ssize_t	n;
	ssize_t	i;

	(void) event;
	(void) ctx;
	while ((n = read(master_sig_pipe[0], sigs, sizeof(sigs))) > 0) {
		for (i = 0; i < n; i++) {
			switch (sigs[i]) {
			case SIGCHLD:
				master_reap();
				break;
			case SIGHUP:
				if (!master_stopping)
					master_conf_refresh();
				break;
			default:
				master_stop(sigs[i]);
				break;
			}
		}
	}
}

/* master_signal_init - install the handlers */
void
master_signal_init(void)
{
	static const int sigs[] = {SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGQUIT};
	struct sigaction sa;
	size_t	i;

	if (pipe2(master_sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		msg_fatal("pipe: %m");
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = master_sig_handler;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	for (i = 0; i < ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	event_enable_read(master_sig_pipe[0], master_sig_event, NULL);
}

/* master_stop - begin a graceful stop (or an abort) */
void
master_stop(int sig)
{
	struct master_serv *serv;

	if (master_stopping) {
		if (sig == SIGQUIT && master_stopping != SIGQUIT) {
			master_stopping = SIGQUIT;
			master_signal_children(SIGKILL);
			master_stop_deadline = event_time_update();
		}
		return;
	}
	master_stopping = sig;
	msg_info("terminating on signal %d", sig);
	for (serv = master_head; serv; serv = serv->next) {
		master_listen_close(serv, 0);
		master_status_close(serv);
		master_wakeup_stop(serv);
		master_unthrottle_cancel(serv);
	}
	master_signal_children(sig == SIGQUIT ? SIGKILL : SIGTERM);
	master_stop_deadline = event_time_update()
	    + (sig == SIGQUIT ? 0 : MASTER_STOP_GRACE_MS);
}

/* master_stop_kill - SIGKILL the stragglers and wait for them, bounded */
static void
master_stop_kill(void)
{
	int	tries;

	if (master_child_count() > 0 && master_stopping != SIGQUIT)
		msg_warn("killing %zu process(es) that did not stop within %d seconds",
			 master_child_count(), MASTER_STOP_GRACE_MS / 1000);
	master_signal_children(SIGKILL);
	for (tries = 0; tries < 100 && master_child_count() > 0; tries++) {
		master_reap();
		if (master_child_count() > 0)
			usleep(20000);
	}
}

/* master_stop_poll - exit once the children are gone or time is up */
void
master_stop_poll(void)
{
	master_reap();
	if (master_child_count() > 0 && event_time_update() < master_stop_deadline)
		return;
	if (master_child_count() > 0)
		master_stop_kill();
	exit(0);
}
