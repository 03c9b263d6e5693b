/*
 * NAME
 *	multi_server - skeleton for daemons that serve many clients at once
 * DESCRIPTION
 *	See server.h. Connected clients are kept in a small array; the
 *	service callback runs whenever a client has input, and again while
 *	input remains buffered in its stream, until the callback calls
 *	server_disconnect() or the buffer is empty. The process reports
 *	itself taken only while a callback runs: it can always take more
 *	clients. After max_use clients it stops accepting and exits when
 *	the last one is gone.
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/events.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/params.h>
#include <server/server_private.h>

struct multi_client {
	struct stream *stream;
	int	fd;
};

static struct server *multi_srv;
static const struct server_ops *multi_ops;	/* the daemon's own */
static struct multi_client *multi_clients;
static size_t multi_count;
static size_t multi_cap;

/* multi_server_find - the slot of a client stream, or -1 */
static ssize_t
multi_server_find(const struct stream *stream)
{
	size_t	i;

	for (i = 0; i < multi_count; i++)
		if (multi_clients[i].stream == stream)
			return ((ssize_t) i);
	return (-1);
}

/* server_disconnect - close a client of a multi_server */
void
server_disconnect(struct stream *client)
{
	ssize_t	slot;

	if (multi_srv == NULL || (slot = multi_server_find(client)) < 0)
		msg_panic("server_disconnect: unknown client stream");
	event_disable_readwrite(multi_clients[slot].fd);
	if (multi_srv->ops->pre_disconnect)
		multi_srv->ops->pre_disconnect(client);
	stream_close(client);
	multi_clients[slot] = multi_clients[--multi_count];
	multi_srv->clients = (int) multi_count;
	if (multi_count == 0)
		server_idle_start(multi_srv);
}

/* multi_server_ready - a client has input */
static void
multi_server_ready(int event, void *ctx)
{
	struct stream *stream = ctx;
	struct server *srv = multi_srv;

	(void) event;
	server_taken(srv);
	srv->in_callback = 1;
	server_watchdog_start();
	do {
		srv->ops->service(stream, server_service_name, srv->args.args);
	} while (multi_server_find(stream) >= 0 && stream_pending(stream) > 0
		 && !server_is_terminating());
	server_watchdog_stop();
	srv->in_callback = 0;
	server_avail(srv);
}

/* multi_server_accept - a listener is readable */
static void
multi_server_accept(int event, void *ctx)
{
	struct server *srv = ctx;
	struct stream *stream;
	int	fd = -1;
	int	i;

	(void) event;
	if (server_is_stopping() || srv->use_count >= var_max_use)
		return;
	for (i = 0; i < srv->listen_count && fd < 0; i++)
		if (read_wait(srv->listen_fd[i], 0) == 0)
			fd = server_accept(srv, srv->listen_fd[i]);
	if (fd < 0)
		return;
	server_idle_stop(srv);
	if (multi_count == multi_cap) {
		multi_cap = multi_cap ? 2 * multi_cap : 16;
		multi_clients = xreallocarray(multi_clients, multi_cap, sizeof(*multi_clients));
	}
	stream = stream_fdopen(fd, STREAM_READ | STREAM_WRITE);
	multi_clients[multi_count].stream = stream;
	multi_clients[multi_count].fd = fd;
	srv->clients = (int) ++multi_count;
	srv->use_count++;
	if (srv->use_count >= var_max_use)
		server_listen_disable(srv);
	event_enable_read(fd, multi_server_ready, stream);
}

/* multi_server_loop - exit after max_use once the last client left */
static long
multi_server_loop(void)
{
	if (multi_srv->use_count >= var_max_use && multi_count == 0)
		server_exit(multi_srv);
	return (multi_ops->loop ? multi_ops->loop() : -1);
}

/* multi_server_main - skeleton entry point */
int
multi_server_main(int argc, char **argv, const struct server_ops *ops)
{
	static struct server_ops wrapped;

	if (ops->service == NULL)
		msg_panic("multi_server_main: no service callback");
	multi_ops = ops;
	wrapped = *ops;
	wrapped.loop = multi_server_loop;
	multi_srv = server_init(argc, argv, &wrapped, SERVER_MULTI);
	if (multi_srv->args.standalone)
		msg_fatal("stand-alone mode is not supported by %s", multi_srv->name);
	if (!multi_srv->is_stream)
		msg_fatal("service %s: type %s is not supported by a multi-client server",
			  server_service_name, multi_srv->args.type);
	server_listen_enable(multi_srv, multi_server_accept);
	server_run(multi_srv);
}
