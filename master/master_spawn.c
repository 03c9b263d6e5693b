/*
 * NAME
 *	master_spawn - start, count, reap and throttle service processes
 * SYNOPSIS
 *	#include "master.h"
 *
 *	void	master_spawn_init(void);
 *	void	master_avail_listen(struct master_serv *serv);
 *	void	master_avail_off(struct master_serv *serv);
 *	void	master_reap(void);
 *	void	master_retire(struct master_serv *serv);
 *	void	master_throttle(struct master_serv *serv);
 *	void	master_unthrottle_cancel(struct master_serv *serv);
 *	void	master_signal_children(int sig);
 *	size_t	master_child_count(void);
 *	struct master_proc *master_proc_find(pid_t pid);
 * DESCRIPTION
 *	master_spawn_init() creates the in_flow token pipe and the process
 *	table.
 *
 *	master_avail_listen() applies master_should_listen(): when a
 *	service has no available process and room for one more, master
 *	watches its listeners, and the first client (or wake-up) that shows
 *	up starts a process. A new process counts as available until it
 *	reports otherwise, so one client starts one process. When every
 *	process is busy at the limit and clients are waiting, master warns
 *	as Postfix does (at most every MASTER_LIMIT_WARN_SEC seconds).
 *	master_avail_off() stops watching.
 *
 *	master_reap() collects exited children. An exit other than status
 *	0 is logged ("process PATH pid N exit status S" or "... killed by
 *	signal S"); a process that failed before it served anyone
 *	throttles its service for service_throttle_time: no new process is
 *	started until then ("PATH: bad command startup -- throttling").
 *
 *	master_retire() detaches the processes of a service: they finish
 *	their work and exit on their own, and no longer count.
 *	master_signal_children() signals every child.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <util/events.h>
#include <util/htable.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include "master.h"

#define MASTER_LISTEN_OFF	0
#define MASTER_LISTEN_SPAWN	1	/* start a process for the next client */
#define MASTER_LISTEN_LIMIT	2	/* at the limit: warn if clients wait */

static struct htable *master_procs;
static int master_flow[2] = {-1, -1};

/* master_proc_key - table key of a pid */
static const char *
master_proc_key(char *key, size_t size, pid_t pid)
{
	snprintf(key, size, "%ld", (long) pid);
	return (key);
}

/* master_proc_find - the child with this pid, or NULL */
struct master_proc *
master_proc_find(pid_t pid)
{
	char	key[32];

	return (htable_find(master_procs, master_proc_key(key, sizeof(key), pid)));
}

/* master_proc_free - htable value destructor */
static void
master_proc_free(void *ptr)
{
	struct master_proc *proc = ptr;

	free(proc->path);
	free(proc);
}

/* master_spawn_init - flow pipe and process table */
void
master_spawn_init(void)
{
	if (pipe2(master_flow, O_CLOEXEC | O_NONBLOCK) < 0)
		msg_fatal("create in_flow pipe: %m");
	master_procs = htable_new(64);
}

/* master_child_fds - put the inherited descriptors in place */
static void
master_child_fds(const struct master_serv *serv)
{
	int	src[3 + MASTER_LISTEN_MAX];
	int	tmp[3 + MASTER_LISTEN_MAX];
	int	count = 3 + serv->listen_count;
	int	i;

	src[0] = master_flow[0];
	src[1] = master_flow[1];
	src[2] = serv->status_fd[1];
	for (i = 0; i < serv->listen_count; i++)
		src[3 + i] = serv->listen_fd[i];
	/* First move everything above the targets, so no dup2() clobbers a source. */
	for (i = 0; i < count; i++)
		if ((tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, MASTER_FLOW_READ + count)) < 0)
			msg_fatal("dup descriptor %d: %m", src[i]);
	for (i = 0; i < count; i++)
		if (dup2(tmp[i], MASTER_FLOW_READ + i) < 0)
			msg_fatal("dup2 descriptor %d: %m", tmp[i]);
}

/* master_child_exec - in the child: signals, descriptors, exec */
static NORETURN void
master_child_exec(const struct master_serv *serv, const sigset_t *mask)
{
	static const int sigs[] = {SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGCHLD, SIGPIPE};
	struct sigaction sa;
	size_t	i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_LEN(sigs); i++) {
		/* Keyboard signals are for master alone when it runs in the foreground. */
		sa.sa_handler = master_settings.is_foreground
		    && (sigs[i] == SIGINT || sigs[i] == SIGQUIT) ? SIG_IGN : SIG_DFL;
		sigaction(sigs[i], &sa, NULL);
	}
	sigprocmask(SIG_SETMASK, mask, NULL);
	master_child_fds(serv);
	execv(serv->path, serv->argv->argv);
	msg_fatal("exec %s: %m", serv->path);
}

/* master_spawn - start one process of a service */
static void
master_spawn(struct master_serv *serv)
{
	struct master_proc *proc;
	sigset_t all, old;
	char	key[32];
	pid_t	pid;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0)
		master_child_exec(serv, &old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		msg_warn("fork: %m");
		master_throttle(serv);
		return;
	}
	proc = xcalloc(1, sizeof(*proc));
	proc->pid = pid;
	proc->serv = serv;
	proc->path = xstrdup(serv->path);
	proc->is_avail = 1;
	htable_enter(master_procs, master_proc_key(key, sizeof(key), pid), proc);
	serv->total_proc++;
	serv->avail_proc++;
	serv->is_used = 1;
	msg_debug(1, "service %s: started %s pid %ld (%d of %d)", serv->name,
		  serv->path, (long) pid, serv->total_proc, serv->max_proc);
}

/* master_avail_event - a client is waiting and nobody is free: spawn */
static void
master_avail_event(int event, void *ctx)
{
	struct master_serv *serv = ctx;

	(void) event;
	if (master_should_listen(serv, master_stopping))
		master_spawn(serv);
	master_avail_listen(serv);
}

/* master_limit_event - clients wait while every process is busy */
static void
master_limit_event(int event, void *ctx)
{
	struct master_serv *serv = ctx;

	(void) event;
	serv->limit_warned = time(NULL);
	msg_warn("service \"%s\" (%s) has reached its process limit \"%d\": "
		 "new clients may experience noticeable delays",
		 serv->name, serv->desc, serv->max_proc);
	msg_warn("to avoid this condition, increase the process count in "
		 "master.cf or reduce the service time per client");
	master_avail_listen(serv);
}

/* master_avail_watch - switch the listener watch to a mode */
static void
master_avail_watch(struct master_serv *serv, int mode)
{
	int	i;

	if (serv->is_listening == mode)
		return;
	for (i = 0; i < serv->listen_count; i++) {
		if (mode == MASTER_LISTEN_OFF)
			event_disable_read(serv->listen_fd[i]);
		else
			event_enable_read(serv->listen_fd[i], mode == MASTER_LISTEN_SPAWN ?
					  master_avail_event : master_limit_event, serv);
	}
	serv->is_listening = mode;
}

/* master_avail_listen - watch the listeners if a process may be started */
void
master_avail_listen(struct master_serv *serv)
{
	int	mode = MASTER_LISTEN_OFF;

	if (master_should_listen(serv, master_stopping))
		mode = MASTER_LISTEN_SPAWN;
	else if (!master_stopping && !serv->is_throttled && master_limit_reached(serv)
		 && time(NULL) >= serv->limit_warned + MASTER_LIMIT_WARN_SEC)
		mode = MASTER_LISTEN_LIMIT;
	master_avail_watch(serv, mode);
}

/* master_avail_off - stop watching a service's listeners */
void
master_avail_off(struct master_serv *serv)
{
	master_avail_watch(serv, MASTER_LISTEN_OFF);
}

/* master_unthrottle_event - the throttle time is over */
static void
master_unthrottle_event(int event, void *ctx)
{
	struct master_serv *serv = ctx;

	(void) event;
	serv->is_throttled = 0;
	msg_debug(1, "service %s: throttle released", serv->name);
	master_avail_listen(serv);
}

/* master_throttle - no new process for a while */
void
master_throttle(struct master_serv *serv)
{
	serv->is_throttled = 1;
	master_avail_listen(serv);
	event_request_timer(master_unthrottle_event, serv, master_settings.throttle_ms);
}

/* master_unthrottle_cancel - forget a pending unthrottle (service goes away) */
void
master_unthrottle_cancel(struct master_serv *serv)
{
	event_cancel_timer(master_unthrottle_event, serv);
}

/* master_reap_one - account for one exited child */
static void
master_reap_one(pid_t pid, int status)
{
	struct master_proc *proc = master_proc_find(pid);
	struct master_serv *serv;
	struct buf *text;
	char	key[32];
	int	normal = master_exit_is_normal(status);

	if (proc == NULL) {
		msg_debug(1, "reaped unknown process %ld", (long) pid);
		return;
	}
	serv = proc->serv;
	if (!normal && !(master_stopping && WIFSIGNALED(status))) {
		text = buf_new(40);
		master_exit_text(text, status);
		msg_warn("process %s pid %ld %s", proc->path, (long) pid, buf_str(text));
		buf_free(text);
	}
	if (serv != NULL) {
		serv->total_proc--;
		if (proc->is_avail)
			serv->avail_proc--;
		if (!normal && proc->use_count == 0 && !serv->is_throttled && !master_stopping) {
			msg_warn("%s: bad command startup -- throttling", serv->path);
			master_throttle(serv);
		}
	}
	htable_delete(master_procs, master_proc_key(key, sizeof(key), pid), master_proc_free);
	if (serv != NULL)
		master_avail_listen(serv);
}

/* master_reap - collect every exited child */
void
master_reap(void)
{
	pid_t	pid;
	int	status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		master_reap_one(pid, status);
}

/* master_retire - let a service's processes go their own way */
void
master_retire(struct master_serv *serv)
{
	struct htable_entry **list = htable_list(master_procs);
	struct htable_entry **ep;
	struct master_proc *proc;

	for (ep = list; *ep; ep++) {
		proc = (*ep)->value;
		if (proc->serv == serv)
			proc->serv = NULL;
	}
	free(list);
	serv->total_proc = serv->avail_proc = 0;
}

/* master_signal_children - signal every child */
void
master_signal_children(int sig)
{
	struct htable_entry **list = htable_list(master_procs);
	struct htable_entry **ep;
	struct master_proc *proc;

	for (ep = list; *ep; ep++) {
		proc = (*ep)->value;
		if (kill(proc->pid, sig) < 0 && errno != ESRCH)
			msg_warn("kill process %ld: %m", (long) proc->pid);
	}
	free(list);
}

/* master_child_count - children not yet reaped */
size_t
master_child_count(void)
{
	return (master_procs ? htable_count(master_procs) : 0);
}
