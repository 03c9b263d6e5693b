/*
 * NAME
 *	single_server - skeleton for daemons that serve one client at a time
 * DESCRIPTION
 *	See server.h. While the service callback runs the process does not
 *	look at its listeners, so the kernel queues new connections for
 *	other processes of the service (master starts more when none is
 *	available). After each client the process checks whether it should
 *	exit: max_use reached, master asked it to stop, or SIGTERM.
 */
#include <util/sys_defs.h>
#include <poll.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/params.h>
#include <server/server_private.h>

/* single_server_serve - run the service callback for one client */
static void
single_server_serve(struct server *srv, struct stream *client)
{
	srv->in_callback = 1;
	srv->clients = 1;
	server_watchdog_start();
	srv->ops->service(client, server_service_name, srv->args.args);
	if (srv->ops->pre_disconnect)
		srv->ops->pre_disconnect(client);
	server_watchdog_stop();
	srv->clients = 0;
	srv->in_callback = 0;
	srv->use_count++;
}

/* single_server_accept - a listener is readable */
static void
single_server_accept(int event, void *ctx)
{
	struct server *srv = ctx;
	struct stream *client;
	int	listen_fd = -1;
	int	fd;
	int	i;

	(void) event;
	if (server_is_stopping())
		return;
	/* The callback has no fd argument: find a listener with a client. */
	for (i = 0; i < srv->listen_count && listen_fd < 0; i++)
		if (read_wait(srv->listen_fd[i], 0) == 0)
			listen_fd = srv->listen_fd[i];
	if (listen_fd < 0 || (fd = server_accept(srv, listen_fd)) < 0)
		return;
	server_idle_stop(srv);
	server_taken(srv);
	client = stream_fdopen(fd, STREAM_READ | STREAM_WRITE);
	single_server_serve(srv, client);
	stream_close(client);
	if (srv->use_count >= var_max_use || server_is_stopping())
		server_exit(srv);
	server_avail(srv);
	server_idle_start(srv);
}

/* single_server_stdout - write half of a stand-alone stdin/stdout stream */
static ssize_t
single_server_stdout(int fd, const void *buf, size_t len, long timeout_ms,
		     void *ctx)
{
	ssize_t	n;

	(void) fd;
	(void) ctx;
	if (write_wait(STDOUT_FILENO, timeout_ms) < 0)
		return (-1);
	n = write(STDOUT_FILENO, buf, len);
	return (n == 0 ? -1 : n);
}

/* single_server_standalone - serve the client on stdin/stdout, exit */
static NORETURN void
single_server_standalone(struct server *srv)
{
	struct stream *client;
	struct stat st;

	client = stream_fdopen(STDIN_FILENO, STREAM_READ | STREAM_WRITE);
	if (fstat(STDIN_FILENO, &st) < 0 || !S_ISSOCK(st.st_mode))
		stream_set_io(client, NULL, single_server_stdout, NULL);
	stream_set_name(client, "stdin");
	single_server_serve(srv, client);
	if (stream_flush(client) < 0)
		msg_warn("write to standard output: %m");
	stream_free(client);
	server_exit(srv);
}

/* single_server_main - skeleton entry point */
int
single_server_main(int argc, char **argv, const struct server_ops *ops)
{
	struct server *srv;

	if (ops->service == NULL)
		msg_panic("single_server_main: no service callback");
	srv = server_init(argc, argv, ops, SERVER_SINGLE);
	if (srv->args.standalone)
		single_server_standalone(srv);
	if (!srv->is_stream)
		msg_fatal("service %s: type %s is not supported by a single-client server",
			  server_service_name, srv->args.type);
	server_listen_enable(srv, single_server_accept);
	server_run(srv);
}
