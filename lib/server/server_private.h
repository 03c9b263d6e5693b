/*
 * NAME
 *	server_private - what the three server skeletons share
 * SYNOPSIS
 *	#include <server/server_private.h>
 *
 *	int	server_args_parse(int argc, char **argv,
 *			struct server_args *args, struct buf *why);
 *	void	server_args_free(struct server_args *args);
 *	int	server_type_is_stream(const char *type);
 *
 *	struct server *server_init(int argc, char **argv,
 *			const struct server_ops *ops, enum server_kind kind);
 *	NORETURN void server_run(struct server *srv);
 *	NORETURN void server_exit(struct server *srv);
 *	void	server_taken(struct server *srv);
 *	void	server_avail(struct server *srv);
 *	void	server_idle_start(struct server *srv);
 *	void	server_idle_stop(struct server *srv);
 *	void	server_watchdog_start(void);
 *	void	server_watchdog_stop(void);
 *	void	server_listen_enable(struct server *srv, event_fn fn);
 *	void	server_listen_disable(struct server *srv);
 *	int	server_accept(struct server *srv, int listen_fd);
 * DESCRIPTION
 *	server_args_parse() parses the command line master passes a child
 *	(master_proto(3)) into args without side effects: it returns 0, or
 *	-1 with a reason in why for an unknown option, a missing option
 *	argument, a bad -s count, an override without "=", or a missing -n
 *	or -t when not stand-alone. args->args points into argv.
 *	server_type_is_stream() is true for service types whose clients
 *	connect (unix, inet, pass), false for fifo and unix-dgram.
 *
 *	server_init() does everything before the event loop (see server(3))
 *	and returns the process's one server state. server_run() runs the
 *	event loop until the process should exit, then exits through
 *	server_exit(), which calls on_exit and exits with status 0.
 *
 *	server_taken() and server_avail() tell master the process is busy
 *	or waiting; a closed status pipe makes the process stop.
 *	server_idle_start() arms the max_idle timer (not for trigger
 *	servers), server_idle_stop() disarms it. The watchdog functions arm
 *	and disarm a daemon_timeout alarm around callbacks.
 *	server_listen_enable() registers fn for every listening descriptor
 *	(ctx: the server), server_listen_disable() removes them.
 *	server_accept() accepts one client on a stream listener (for a pass
 *	service it receives the passed descriptor) and returns a blocking
 *	descriptor, or -1 when there was nothing to accept.
 */
#ifndef POSTERN_SERVER_PRIVATE_H
#define POSTERN_SERVER_PRIVATE_H

#include <util/sys_defs.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/events.h>
#include <server/server.h>
#include <server/master_proto.h>

enum server_kind {
	SERVER_SINGLE,
	SERVER_MULTI,
	SERVER_TRIGGER,
};

struct server_args {
	const char *service;		/* -n */
	const char *type;		/* -t */
	int	listen_count;		/* -s, default 1 */
	int	keep_root;		/* -u */
	int	chroot;			/* -r */
	int	standalone;		/* -S */
	int	verbose;		/* -v count */
	const char *config_dir;		/* -c */
	struct argv *overrides;		/* -o name=value */
	char  **args;			/* the rest, NULL-terminated */
};

struct server {
	const struct server_ops *ops;
	enum server_kind kind;
	struct server_args args;
	const char *name;		/* ops->name or argv[0] */
	int	listen_fd[MASTER_LISTEN_MAX];
	int	listen_count;
	int	is_stream;		/* clients connect (vs fifo/dgram) */
	int	is_pass;		/* descriptors arrive over a socket */
	int	listen_enabled;
	long	use_count;		/* clients (single, multi) */
	int	clients;		/* connected now */
	int	in_callback;
};

int	server_args_parse(int argc, char **argv, struct server_args *args,
			          struct buf *why);
void	server_args_free(struct server_args *args);
int	server_type_is_stream(const char *type);

struct server *server_init(int argc, char **argv, const struct server_ops *ops,
			           enum server_kind kind);
NORETURN void server_run(struct server *srv);
NORETURN void server_exit(struct server *srv);
void	server_taken(struct server *srv);
void	server_avail(struct server *srv);
void	server_idle_start(struct server *srv);
void	server_idle_stop(struct server *srv);
void	server_watchdog_start(void);
void	server_watchdog_stop(void);
void	server_listen_enable(struct server *srv, event_fn fn);
void	server_listen_disable(struct server *srv);
int	server_accept(struct server *srv, int listen_fd);
int	server_is_terminating(void);

#endif
