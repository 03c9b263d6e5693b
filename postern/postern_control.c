/*
 * NAME
 *	postern_control - start, stop and signal master
 * SYNOPSIS
 *	#include "postern.h"
 *
 *	const char *postern_pid_file(struct buf *path);
 *	int	postern_running(pid_t *pid);
 *	void	postern_start(int foreground);
 *	void	postern_stop(void);
 *	void	postern_abort(void);
 *	void	postern_reload(void);
 *	void	postern_status(void);
 *	void	postern_flush(void);
 * DESCRIPTION
 *	These implement the commands of postern(1) that talk to master.
 *	Whether master runs is decided by its lock on
 *	queue_directory/pid/master.pid, never by the pid in the file alone.
 *	Each function exits with the command's status: 0 on success, 1 when
 *	the system is (not) running as required, as Postfix's postfix
 *	command does.
 */
#include <util/sys_defs.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/mail_proto.h>
#include <global/mail_trigger.h>
#include <global/params.h>
#include <server/master_proto.h>
#include "postern.h"

#define POSTERN_STOP_WAIT_MS	30000	/* master itself gives up after 10s */
#define POSTERN_KILL_WAIT_MS	5000
#define POSTERN_ABORT_WAIT_MS	10000

/* postern_pid_file - where master keeps its lock */
const char *
postern_pid_file(struct buf *path)
{
	if (*var_process_id_directory == '/')
		buf_printf(path, "%s/master.pid", var_process_id_directory);
	else
		buf_printf(path, "%s/%s/master.pid", var_queue_directory,
			   var_process_id_directory);
	return (buf_str(path));
}

/* postern_running - 1 with master's pid, 0 when not running */
int
postern_running(pid_t *pid)
{
	struct buf *path = buf_new(100);
	int	ret;

	ret = master_pid_test(postern_pid_file(path), pid);
	if (ret < 0)
		msg_fatal("cannot test %s: %m", buf_str(path));
	buf_free(path);
	return (ret);
}

/* postern_need_running - fatal unless master runs; returns its pid */
static pid_t
postern_need_running(void)
{
	pid_t	pid = 0;

	if (!postern_running(&pid))
		msg_fatal("the Postern mail system is not running");
	return (pid);
}

/* postern_sleep_ms - a short pause */
static void
postern_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* postern_wait_gone - wait until master released its lock */
static int
postern_wait_gone(long ms)
{
	for (; ms > 0; ms -= 100) {
		if (!postern_running(NULL))
			return (1);
		postern_sleep_ms(100);
	}
	return (!postern_running(NULL));
}

/* postern_master_argv - command line for master */
static void
postern_master_argv(struct argv *argv, struct buf *path, const char *mode)
{
	int	i;

	buf_printf(path, "%s/master", var_daemon_directory);
	argv_add(argv, "master");
	argv_add(argv, "-c");
	argv_add(argv, params_config_dir());
	argv_add(argv, mode);
	for (i = 0; i < msg_verbose; i++)
		argv_add(argv, "-v");
}

/* postern_start - check, then start master (in the foreground: exec it) */
void
postern_start(int foreground)
{
	struct argv *argv = argv_new(8);
	struct buf *path = buf_new(100);
	pid_t	pid;
	int	status;

	postern_check(POSTERN_CHECK_REPORT);
	if (postern_running(NULL))
		msg_fatal("the Postern mail system is already running");
	postern_master_argv(argv, path, foreground ? "-d" : "-w");
	if (foreground) {
		msg_info("starting the Postern mail system in the foreground");
		execv(buf_str(path), argv->argv);
		msg_fatal("exec %s: %m", buf_str(path));
	}
	msg_info("starting the Postern mail system");
	if ((pid = fork()) < 0)
		msg_fatal("fork: %m");
	if (pid == 0) {
		execv(buf_str(path), argv->argv);
		msg_fatal("exec %s: %m", buf_str(path));
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			msg_fatal("waitpid: %m");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		msg_fatal("the Postern mail system did not start (see the messages above)");
	exit(0);
}

/* postern_kill - signal master */
static void
postern_kill(pid_t pid, int sig)
{
	if (kill(pid, sig) < 0)
		msg_fatal("cannot signal master process %ld: %m", (long) pid);
}

/* postern_stop - graceful stop; force after a while */
void
postern_stop(void)
{
	pid_t	pid = postern_need_running();

	msg_info("stopping the Postern mail system");
	postern_kill(pid, SIGTERM);
	if (postern_wait_gone(POSTERN_STOP_WAIT_MS))
		exit(0);
	msg_warn("stopping the Postern mail system with force");
	if (getpgid(pid) == pid)
		kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	if (!postern_wait_gone(POSTERN_KILL_WAIT_MS))
		msg_fatal("master process %ld did not stop", (long) pid);
	exit(0);
}

/* postern_abort - stop at once */
void
postern_abort(void)
{
	pid_t	pid = postern_need_running();

	msg_info("aborting the Postern mail system");
	postern_kill(pid, SIGQUIT);
	if (!postern_wait_gone(POSTERN_ABORT_WAIT_MS)) {
		if (getpgid(pid) == pid)
			kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		postern_wait_gone(POSTERN_KILL_WAIT_MS);
	}
	exit(0);
}

/* postern_reload - check the configuration, then SIGHUP */
void
postern_reload(void)
{
	pid_t	pid = postern_need_running();

	postern_check(POSTERN_CHECK_REPORT);
	msg_info("refreshing the Postern mail system");
	postern_kill(pid, SIGHUP);
	exit(0);
}

/* postern_status - running or not */
void
postern_status(void)
{
	pid_t	pid = 0;

	if (postern_running(&pid)) {
		msg_info("the Postern mail system is running: PID: %ld", (long) pid);
		exit(0);
	}
	msg_info("the Postern mail system is not running");
	exit(1);
}

/* postern_flush - ask qmgr to deliver the deferred mail now */
void
postern_flush(void)
{
	static const char req[] = {
		QMGR_REQ_FLUSH_DEAD, QMGR_REQ_SCAN_ALL,
		QMGR_REQ_SCAN_DEFERRED, QMGR_REQ_SCAN_INCOMING,
	};

	if (!postern_running(NULL))
		msg_fatal("cannot flush mail queue - mail system is down");
	if (mail_trigger(MAIL_CLASS_PUBLIC, var_queue_service_name, req, sizeof(req)) < 0)
		msg_fatal("cannot flush mail queue: %s/%s: %m", MAIL_CLASS_PUBLIC,
			  var_queue_service_name);
	exit(0);
}
