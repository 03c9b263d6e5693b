/*
 * NAME
 *	server_common - start-up, event loop and shutdown of every skeleton
 * DESCRIPTION
 *	See server_private.h and server.h. The process has one server
 *	state, kept here. Signals only set flags and write a byte to a
 *	self-pipe that the event loop watches, so a signal that arrives
 *	while the loop waits ends the wait at once, and one that arrives
 *	during a callback is seen right after it.
 *
 *	How a child learns that it must stop:
 * .IP \(bu
 *	master closes the read end of the status pipe (reload, stop, or
 *	master died): the status descriptor reports an error, or a status
 *	write fails with EPIPE. The process finishes its current client
 *	(multi_server: all connected clients) and exits.
 * .IP \(bu
 *	SIGHUP: the same.
 * .IP \(bu
 *	SIGTERM: exit as soon as the current callback returns.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/events.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <global/cmd_init.h>
#include <global/params.h>
#include <server/server_private.h>
#include <server/server_jail.h>

const char *server_service_name = "";

static struct server server_state;
static volatile sig_atomic_t server_got_hup;
static volatile sig_atomic_t server_got_term;
static int server_stopping;
static int server_sig_pipe[2] = {-1, -1};

/* server_is_stopping - has this process been asked to finish? */
int
server_is_stopping(void)
{
	return (server_stopping || server_got_hup || server_got_term);
}

/* server_is_terminating - SIGTERM: exit after the current callback */
int
server_is_terminating(void)
{
	return (server_got_term != 0);
}

/* server_is_standalone - running without master (-S)? */
int
server_is_standalone(void)
{
	return (server_state.args.standalone);
}

/* server_signal - note the signal and wake up the event loop */
static void
server_signal(int sig)
{
	int	saved_errno = errno;
	char	ch = (char) sig;

	if (sig == SIGTERM)
		server_got_term = 1;
	else
		server_got_hup = 1;
	if (server_sig_pipe[1] >= 0 && write(server_sig_pipe[1], &ch, 1) < 0) {
		/* pipe full: a wake-up is pending anyway */ ;
	}
	errno = saved_errno;
}

/* server_sig_event - drain the self-pipe; the flags are already set */
static void
server_sig_event(int event, void *ctx)
{
	char	junk[64];

	(void) event;
	(void) ctx;
	while (read(server_sig_pipe[0], junk, sizeof(junk)) > 0)
		 /* void */ ;
}

/* server_signals - install the handlers */
static void
server_signals(struct server *srv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGXFSZ, &sa, NULL);
	if (srv->args.standalone)
		return;
	if (pipe2(server_sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		msg_fatal("pipe: %m");
	sa.sa_handler = server_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	event_enable_read(server_sig_pipe[0], server_sig_event, srv);
}

/* server_master_event - the status pipe broke: master wants us gone */
static void
server_master_event(int event, void *ctx)
{
	(void) event;
	(void) ctx;
	server_stopping = 1;
	event_disable_read(MASTER_STATUS_FD);
}

/* server_notify - send a status record; a broken pipe means stop */
static void
server_notify(struct server *srv, int status)
{
	if (srv->args.standalone || server_stopping)
		return;
	if (master_status_send(MASTER_STATUS_FD, getpid(), status) < 0) {
		if (errno != EPIPE)
			msg_warn("status to master: %m");
		server_stopping = 1;
	}
}

/* server_taken - tell master we serve a client */
void
server_taken(struct server *srv)
{
	server_notify(srv, MASTER_STAT_TAKEN);
}

/* server_avail - tell master we wait for a client */
void
server_avail(struct server *srv)
{
	server_notify(srv, MASTER_STAT_AVAIL);
}

/* server_idle_event - max_idle passed without a client */
static void
server_idle_event(int event, void *ctx)
{
	struct server *srv = ctx;

	(void) event;
	msg_debug(1, "idle timeout -- exiting");
	server_exit(srv);
}

/* server_idle_start - arm the max_idle timer */
void
server_idle_start(struct server *srv)
{
	if (srv->kind == SERVER_TRIGGER || srv->args.standalone)
		return;
	event_request_timer(server_idle_event, srv, var_max_idle * 1000L);
}

/* server_idle_stop - disarm the max_idle timer */
void
server_idle_stop(struct server *srv)
{
	event_cancel_timer(server_idle_event, srv);
}

/* server_watchdog_start - abort a callback that hangs */
void
server_watchdog_start(void)
{
	long	limit = var_daemon_timeout;

	if (limit <= 0)
		return;
	alarm(limit > 0x7fffffffL ? 0x7fffffffU : (unsigned) limit);
}

/* server_watchdog_stop - the callback returned */
void
server_watchdog_stop(void)
{
	alarm(0);
}

/* server_listen_enable - watch every listening descriptor */
void
server_listen_enable(struct server *srv, event_fn fn)
{
	int	i;

	for (i = 0; i < srv->listen_count; i++)
		event_enable_read(srv->listen_fd[i], fn, srv);
	srv->listen_enabled = 1;
}

/* server_listen_disable - stop watching the listeners */
void
server_listen_disable(struct server *srv)
{
	int	i;

	if (!srv->listen_enabled)
		return;
	for (i = 0; i < srv->listen_count; i++)
		event_disable_read(srv->listen_fd[i]);
	srv->listen_enabled = 0;
}

/* server_check_fd - is fd open, and of the expected kind? */
static void
server_check_fd(int fd, int want_fifo, const char *what)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		msg_fatal("descriptor %d (%s) is not open: not started by master? "
			  "use -S for stand-alone mode", fd, what);
	if (want_fifo && !S_ISFIFO(st.st_mode))
		msg_fatal("descriptor %d (%s) is not a pipe: not started by master? "
			  "use -S for stand-alone mode", fd, what);
}

/* server_master_fds - adopt what master passed */
static void
server_master_fds(struct server *srv)
{
	int	i;

	server_check_fd(MASTER_STATUS_FD, 1, "status pipe");
	close_on_exec(MASTER_STATUS_FD, 1);
	srv->is_stream = server_type_is_stream(srv->args.type);
	srv->is_pass = strcmp(srv->args.type, "pass") == 0;
	srv->listen_count = srv->args.listen_count;
	for (i = 0; i < srv->listen_count; i++) {
		srv->listen_fd[i] = MASTER_LISTEN_FD + i;
		server_check_fd(srv->listen_fd[i], 0, "listener");
		close_on_exec(srv->listen_fd[i], 1);
		non_blocking(srv->listen_fd[i], 1);
	}
	event_enable_read(MASTER_STATUS_FD, server_master_event, srv);
}

/* server_config - load main.cf and the -o overrides */
static void
server_config(struct server *srv)
{
	struct buf *why = buf_new(100);
	size_t	i;

	if (params_load(config_dir_resolve(srv->args.config_dir), why) < 0)
		msg_fatal("%s", buf_str(why));
	server_jail_logging(srv);
	for (i = 0; i < srv->args.overrides->argc; i++)
		if (params_override(srv->args.overrides->argv[i], why) < 0)
			msg_fatal("%s", buf_str(why));
	if (srv->args.overrides->argc > 0)
		server_jail_logging(srv);
	buf_free(why);
}

/* server_init - everything before the event loop */
struct server *
server_init(int argc, char **argv, const struct server_ops *ops,
	    enum server_kind kind)
{
	struct server *srv = &server_state;
	struct buf *why = buf_new(100);
	int	bad_args;

	srv->ops = ops;
	srv->kind = kind;
	srv->name = ops->name ? ops->name : argv[0];
	msg_init(srv->name);
	cmd_fix_fds();
	bad_args = server_args_parse(argc, argv, &srv->args, why);
	msg_verbose += srv->args.verbose;
	server_config(srv);
	if (bad_args < 0)
		msg_fatal("usage: %s", buf_str(why));
	buf_free(why);
	server_service_name = srv->args.service ? srv->args.service : srv->name;
	if (srv->args.standalone == 0)
		server_master_fds(srv);
	server_signals(srv);
	if (chdir(var_queue_directory) < 0)
		msg_fatal("chdir %s: %m", var_queue_directory);
	if (ops->pre_init)
		ops->pre_init(server_service_name, srv->args.args);
	server_jail_enter(srv);
	if (ops->post_init)
		ops->post_init(server_service_name, srv->args.args);
	msg_debug(1, "%s: service %s type %s ready", srv->name, server_service_name,
		  srv->args.type ? srv->args.type : "stand-alone");
	return (srv);
}

/* server_should_exit - time to go? */
static int
server_should_exit(struct server *srv)
{
	if (server_got_term)
		return (1);
	if (!server_is_stopping())
		return (0);
	return (srv->clients == 0 && !srv->in_callback);
}

/* server_run - the event loop; never returns */
void
server_run(struct server *srv)
{
	long	wait;

	server_avail(srv);
	server_idle_start(srv);
	for (;;) {
		if (server_should_exit(srv))
			server_exit(srv);
		if (server_is_stopping())
			server_listen_disable(srv);
		wait = srv->ops->loop ? srv->ops->loop() : -1;
		event_loop(wait);
	}
}

/* server_exit - on_exit, then leave */
void
server_exit(struct server *srv)
{
	static int exiting;

	if (!exiting) {
		exiting = 1;
		if (srv->ops->on_exit)
			srv->ops->on_exit();
	}
	msg_debug(1, "exiting after %ld client(s)", srv->use_count);
	exit(0);
}
