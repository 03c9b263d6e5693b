/*
 * NAME
 *	testsvc - diagnostic service for exercising master(8)
 * SYNOPSIS
 *	testsvc [skeleton options] single|multi|trigger|crash [delay_ms]
 * DESCRIPTION
 *	testsvc is a small daemon for checking an instance's process
 *	management: run it from master.cf like any service, e.g.
 *
 *	    echo   unix  -  -  n  -  2  testsvc single
 *	    2526   inet  n  -  n  -  2  testsvc single
 *	    crashy unix  -  -  n  -  -  testsvc crash
 *	    tick   unix  -  -  n  10 1  testsvc trigger
 *
 *	Modes:
 * .IP single
 *	single_server: greet each client with one line describing the
 *	process ("testsvc ready service=S pid=N uid=N gid=N groups=G
 *	cwd=DIR max_idle=N max_use=N flow=yes|no", flow telling whether
 *	descriptors 3 and 4 are the in_flow pipe), then echo every line back as
 *	"echo: LINE" until the client sends "quit" or closes. A client
 *	that stays connected keeps its process busy, which is how tests
 *	fill a service up to its process limit.
 * .IP multi
 *	echo under multi_server (no greeting): one process serves many
 *	clients.
 * .IP trigger
 *	trigger_server: log every wake-up request as "trigger: service S
 *	received N byte(s): TEXT".
 * .IP crash
 *	exit with a fatal error right after start, before serving anyone:
 *	master must throttle the service.
 * .PP
 *	delay_ms, when given, delays each echo reply that long.
 * SECURITY
 *	Runs with the privileges master gives it; it reads nothing but its
 *	clients' lines (bounded) and writes nothing but its replies and logs.
 * SEE ALSO
 *	master(8), server(3)
 */
#include <util/sys_defs.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <util/buf.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/params.h>
#include <server/server.h>
#include <server/server_private.h>	/* server_args_parse() for the mode */

#define TESTSVC_LINE_MAX	1000

static long testsvc_delay_ms;

/* testsvc_groups - the supplementary groups, for the greeting */
static void
testsvc_groups(struct buf *out)
{
	gid_t	groups[64];
	int	n = getgroups((int) ARRAY_LEN(groups), groups);
	int	i;

	buf_reset(out);
	for (i = 0; i < n; i++)
		buf_appendf(out, "%s%ld", i ? "," : "", (long) groups[i]);
	if (n <= 0)
		buf_cpy(out, "-");
}

/* testsvc_flow - are descriptors 3 and 4 the in_flow pipe? */
static const char *
testsvc_flow(void)
{
	struct stat r, w;

	if (fstat(3, &r) < 0 || fstat(4, &w) < 0 || !S_ISFIFO(r.st_mode)
	    || !S_ISFIFO(w.st_mode) || r.st_ino != w.st_ino)
		return ("no");
	return ("yes");
}

/* testsvc_greet - describe this process to the client */
static void
testsvc_greet(struct stream *client)
{
	struct buf *groups = buf_new(64);
	char	cwd[PATH_MAX];

	testsvc_groups(groups);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "?");
	stream_printf(client, "testsvc ready service=%s pid=%ld uid=%ld gid=%ld "
		      "groups=%s cwd=%s max_idle=%ld max_use=%d flow=%s\n",
		      server_service_name, (long) getpid(), (long) getuid(),
		      (long) getgid(), buf_str(groups), cwd, var_max_idle, var_max_use,
		      testsvc_flow());
	stream_flush(client);
	buf_free(groups);
}

/* testsvc_sleep - the configured reply delay */
static void
testsvc_sleep(void)
{
	struct timespec ts;

	if (testsvc_delay_ms <= 0)
		return;
	ts.tv_sec = testsvc_delay_ms / 1000;
	ts.tv_nsec = (testsvc_delay_ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* testsvc_echo - answer one line; 0 when the client is done */
static int
testsvc_echo(struct stream *client, struct buf *line)
{
	if (stream_get_line(client, line, TESTSVC_LINE_MAX) == STREAM_LINE_EOF)
		return (0);
	if (strcmp(buf_str(line), "quit") == 0)
		return (0);
	testsvc_sleep();
	stream_printf(client, "echo: %s\n", buf_str(line));
	return (stream_flush(client) == 0);
}

/* testsvc_single - serve one client until it leaves */
static void
testsvc_single(struct stream *client, const char *service, char **argv)
{
	struct buf *line = buf_new(100);

	(void) service;
	(void) argv;
	stream_set_timeout(client, 3600);
	testsvc_greet(client);
	while (testsvc_echo(client, line))
		 /* void */ ;
	buf_free(line);
}

/* testsvc_multi - one request of a multi_server client */
static void
testsvc_multi(struct stream *client, const char *service, char **argv)
{
	struct buf *line = buf_new(100);

	(void) service;
	(void) argv;
	if (!testsvc_echo(client, line))
		server_disconnect(client);
	buf_free(line);
}

/* testsvc_trigger - log one wake-up request */
static void
testsvc_trigger(const char *buf, size_t len, const char *service, char **argv)
{
	struct buf *text = buf_new(64);

	(void) argv;
	buf_catn(text, buf, len);
	msg_info("trigger: service %s received %zu byte(s): %s", service, len,
		 buf_str(text));
	buf_free(text);
}

/* testsvc_crash - fail at start, before any client */
static void
testsvc_crash(const char *service, char **argv)
{
	(void) argv;
	msg_fatal("service %s: crash mode: exiting at start", service);
}

/* testsvc_delay - optional delay argument */
static void
testsvc_delay(const char *service, char **argv)
{
	(void) service;
	if (argv[0] && argv[1])
		testsvc_delay_ms = atol(argv[1]);
}

/* main - pick the skeleton by mode */
int
main(int argc, char **argv)
{
	static const struct server_ops single = {
		.name = "testsvc", .service = testsvc_single, .pre_init = testsvc_delay,
	};
	static const struct server_ops multi = {
		.name = "testsvc", .service = testsvc_multi, .pre_init = testsvc_delay,
	};
	static const struct server_ops trigger = {
		.name = "testsvc", .trigger = testsvc_trigger,
	};
	static const struct server_ops crash = {
		.name = "testsvc", .service = testsvc_single, .post_init = testsvc_crash,
	};
	struct server_args args;
	struct buf *why = buf_new(100);
	const char *mode = "single";

	if (server_args_parse(argc, argv, &args, why) == 0 && args.args[0] != NULL)
		mode = args.args[0];
	server_args_free(&args);
	buf_free(why);
	if (strcmp(mode, "multi") == 0)
		return (multi_server_main(argc, argv, &multi));
	if (strcmp(mode, "trigger") == 0)
		return (trigger_server_main(argc, argv, &trigger));
	if (strcmp(mode, "crash") == 0)
		return (single_server_main(argc, argv, &crash));
	return (single_server_main(argc, argv, &single));
}
