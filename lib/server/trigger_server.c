/*
 * NAME
 *	trigger_server - skeleton for daemons that act on wake-up requests
 * DESCRIPTION
 *	See server.h. On a fifo or datagram socket a request is what one
 *	read() returns. On a stream socket the skeleton accepts the
 *	connection, waits (in the event loop, at most trigger_timeout) for
 *	the client's bytes, reads once, closes, and then calls trigger():
 *	a client that connects and sends nothing cannot stall the daemon.
 *	max_idle and max_use do not apply (see server.h).
 */
#include <util/sys_defs.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/events.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <global/params.h>
#include <server/server_private.h>

struct trigger_client {
	struct server *srv;
	int	fd;
};

/* trigger_server_call - run the trigger callback for one request */
static void
trigger_server_call(struct server *srv, const char *buf, size_t len)
{
	server_taken(srv);
	srv->in_callback = 1;
	server_watchdog_start();
	srv->ops->trigger(buf, len, server_service_name, srv->args.args);
	server_watchdog_stop();
	srv->in_callback = 0;
	srv->use_count++;
	server_avail(srv);
}

/* trigger_server_read - a fifo or datagram socket is readable */
static void
trigger_server_read(int event, void *ctx)
{
	struct server *srv = ctx;
	char	buf[SERVER_TRIGGER_MAX];
	ssize_t	n;
	int	i;

	(void) event;
	if (server_is_stopping())
		return;
	for (i = 0; i < srv->listen_count; i++) {
		n = read(srv->listen_fd[i], buf, sizeof(buf));
		if (n > 0)
			trigger_server_call(srv, buf, (size_t) n);
		else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			msg_fatal("read %s: %m", server_service_name);
	}
}

static void trigger_client_timeout(int event, void *ctx);

/* trigger_client_done - read what is there, close, then act on it */
static void
trigger_client_done(struct trigger_client *tc, int event)
{
	struct server *srv = tc->srv;
	char	buf[SERVER_TRIGGER_MAX];
	ssize_t	n = 0;

	event_disable_readwrite(tc->fd);
	event_cancel_timer(trigger_client_timeout, tc);
	if (event != EVENT_TIME) {
		do {
			n = read(tc->fd, buf, sizeof(buf));
		} while (n < 0 && errno == EINTR);
	}
	close(tc->fd);
	free(tc);
	srv->clients--;
	if (n > 0 && !server_is_terminating())
		trigger_server_call(srv, buf, (size_t) n);
}

/* trigger_client_timeout - the client sent nothing in time */
static void
trigger_client_timeout(int event, void *ctx)
{
	trigger_client_done(ctx, event);
}

/* trigger_client_ready - the client sent its request (or hung up) */
static void
trigger_client_ready(int event, void *ctx)
{
	trigger_client_done(ctx, event);
}

/* trigger_server_accept - a stream listener is readable */
static void
trigger_server_accept(int event, void *ctx)
{
	struct server *srv = ctx;
	struct trigger_client *tc;
	int	fd = -1;
	int	i;

	(void) event;
	if (server_is_stopping())
		return;
	for (i = 0; i < srv->listen_count && fd < 0; i++)
		if (read_wait(srv->listen_fd[i], 0) == 0)
			fd = server_accept(srv, srv->listen_fd[i]);
	if (fd < 0)
		return;
	tc = xmalloc(sizeof(*tc));
	tc->srv = srv;
	tc->fd = fd;
	srv->clients++;
	event_enable_read(fd, trigger_client_ready, tc);
	event_request_timer(trigger_client_timeout, tc, var_trigger_timeout * 1000L);
}

/* trigger_server_main - skeleton entry point */
int
trigger_server_main(int argc, char **argv, const struct server_ops *ops)
{
	struct server *srv;

	if (ops->trigger == NULL)
		msg_panic("trigger_server_main: no trigger callback");
	srv = server_init(argc, argv, ops, SERVER_TRIGGER);
	if (srv->args.standalone) {
		srv->in_callback = 1;
		ops->trigger("", 0, server_service_name, srv->args.args);
		srv->in_callback = 0;
		server_exit(srv);
	}
	server_listen_enable(srv, srv->is_stream ? trigger_server_accept : trigger_server_read);
	server_run(srv);
}
