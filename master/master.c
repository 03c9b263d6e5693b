/*
 * NAME
 *	master - Postern supervisor daemon
 * SYNOPSIS
 *	master [-dtvw] [-c config_dir] [-e exit_time]
 * DESCRIPTION
 *	master is the one long-lived process of a Postern instance; every
 *	other daemon is its child. It reads main.cf and master.cf, creates
 *	every listening socket itself (inet services on their master.cf
 *	address or on each of inet_interfaces, IPv4 and IPv6; unix services
 *	under queue_directory/private or public; fifos), and starts service
 *	processes on demand, handing each the listener, the in_flow token
 *	pipe and a status pipe (master_proto(3)). A service gets a new
 *	process when all of its processes are busy and it is below its
 *	master.cf process limit (- means default_process_limit, 0 no
 *	limit). Processes exit on their own after max_idle or max_use and
 *	are replaced as needed. master.cf wakeup timers wake up services
 *	such as qmgr and pickup.
 *
 *	A process that exits abnormally is logged with its exit status or
 *	signal; a service whose process fails before serving anyone is
 *	throttled for service_throttle_time, so a crash loop cannot eat the
 *	machine.
 *
 *	Started by root, master keeps root to bind ports and spawn; every
 *	service switches to mail_owner and chroots as its master.cf line
 *	says ("unpriv n" keeps root). Started by an ordinary user,
 *	everything runs as that user.
 *
 *	Only one master runs per instance: it holds an fcntl() lock on
 *	queue_directory/pid/master.pid.
 *
 *	Options:
 * .IP "-c config_dir"
 *	read main.cf and master.cf there (default: $MAIL_CONFIG, else
 *	/etc/postern).
 * .IP -d
 *	stay in the foreground (postern start-fg); log to standard error
 *	in long form unless maillog_file is set; the services do the same.
 * .IP "-e exit_time"
 *	stop gracefully after exit_time seconds (tests).
 * .IP -t
 *	test mode: exit with status 0 when no master of this instance runs,
 *	1 when one does.
 * .IP -v
 *	verbose logging, passed on to the services.
 * .IP -w
 *	start in the background and return only when master is up (exit
 *	status 0) or has failed (status 1, with the reason on standard
 *	error). Without -w and -d, master detaches and returns at once.
 * .PP
 *	Signals: SIGHUP re-reads the configuration; running processes
 *	finish their current client and exit, connections in progress are
 *	kept. SIGTERM (and SIGINT) stops gracefully: processes get SIGTERM
 *	and master waits for them (at most 10 seconds). SIGQUIT (postern
 *	abort) kills every process at once.
 * SECURITY
 *	master runs as root when started by root. It parses only its own
 *	configuration files and never reads data from the network.
 * DIAGNOSTICS
 *	Logs "daemon started -- version V, configuration DIR", "reload --
 *	version V, configuration DIR", "terminating on signal N", each
 *	abnormal child exit ("warning: process PATH pid N exit status S" /
 *	"... killed by signal S"), each throttle ("warning: PATH: bad
 *	command startup -- throttling") and process limit warnings. Errors
 *	in main.cf or master.cf are fatal at start-up (with file and line)
 *	and keep the running configuration at reload.
 * PARAMETERS
 *	queue_directory, daemon_directory, process_id_directory,
 *	default_process_limit, service_throttle_time, inet_interfaces,
 *	inet_protocols, master_service_disable, import_environment,
 *	maillog_file, syslog_name, mail_version.
 * SEE ALSO
 *	postern(1), master_proto(3), server(3)
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <util/events.h>
#include <util/msg.h>
#include <global/cmd_init.h>
#include <global/mastercf.h>
#include <global/params.h>
#include "master.h"

struct master_settings master_settings;

struct master_opts {
	const char *config_dir;
	int	foreground;
	int	wait;
	int	test;
	long	exit_time;
};

/* master_usage - complain about the command line */
static NORETURN void
master_usage(void)
{
	msg_fatal("usage: master [-dtvw] [-c config_dir] [-e exit_time]");
}

/* master_options - parse the command line */
static void
master_options(int argc, char **argv, struct master_opts *opts)
{
	char   *end;
	int	ch;

	memset(opts, 0, sizeof(*opts));
	while ((ch = getopt(argc, argv, "c:de:tvw")) != -1) {
		switch (ch) {
		case 'c':
			opts->config_dir = optarg;
			break;
		case 'd':
			opts->foreground = 1;
			break;
		case 'e':
			opts->exit_time = strtol(optarg, &end, 10);
			if (*end || end == optarg || opts->exit_time <= 0)
				master_usage();
			break;
		case 't':
			opts->test = 1;
			break;
		case 'v':
			msg_verbose++;
			break;
		case 'w':
			opts->wait = 1;
			break;
		default:
			master_usage();
		}
	}
	if (optind != argc)
		master_usage();
}

/* master_log_init - log sinks for the current parameters */
static void
master_log_init(void)
{
	int	to_file = 0;

	msg_set_syslog_name(var_syslog_name);
	if (*var_myhostname)
		msg_set_hostname(var_myhostname);
	if (*var_maillog_file) {
		if (msg_to_file(var_maillog_file) == 0)
			to_file = 1;
		else
			msg_warn("cannot open maillog_file %s: %m", var_maillog_file);
	}
	if (master_settings.is_foreground && !to_file) {
		msg_to_stderr(MSG_STDERR_LONG);
		setenv(MASTER_ENV_LOG_STDERR, "1", 1);
	} else {
		unsetenv(MASTER_ENV_LOG_STDERR);
		if (!to_file)
			msg_to_syslog();
	}
}

/* master_settings_update - remember what the last good main.cf said */
void
master_settings_update(void)
{
	free(master_settings.version);
	master_settings.version = xstrdup(var_mail_version);
	master_settings.throttle_ms = var_service_throttle_time * 1000L;
	master_log_init();
	if (setenv("MAIL_CONFIG", master_settings.config_dir, 1) < 0)
		msg_fatal("setenv MAIL_CONFIG: %m");
}

/* master_config_dir - the configuration directory, made absolute */
static char *
master_config_dir(const char *given)
{
	char	path[PATH_MAX];
	const char *dir = config_dir_resolve(given);

	if (realpath(dir, path) == NULL)
		msg_fatal("configuration directory %s: %m", dir);
	return (xstrdup(path));
}

/* master_test - -t: is a master of this instance running? */
static NORETURN void
master_test(void)
{
	struct buf *path = buf_new(100);

	buf_printf(path, "%s/%s/master.pid", var_queue_directory, var_process_id_directory);
	exit(master_pid_test(buf_str(path), NULL) > 0 ? 1 : 0);
}

/* master_open_all - listeners and processes of every service */
static void
master_open_all(void)
{
	struct buf *why = buf_new(100);
	struct master_serv *serv;

	for (serv = master_head; serv; serv = serv->next)
		if (master_listen_open(serv, why) < 0)
			msg_fatal("%s", buf_str(why));
	for (serv = master_head; serv; serv = serv->next)
		master_conf_start(serv);
	buf_free(why);
}

/* master_reserve_fds - keep the descriptors children inherit free */
static void
master_reserve_fds(void)
{
	int	fd;
	int	null;

	/*
	 * Children get their descriptors at fixed numbers from 3 up. Holding
	 * those numbers (close-on-exec /dev/null) makes every descriptor master
	 * opens later, the log file included, land above them, so the child's
	 * dup2() calls never clobber one of them.
	 */
	for (fd = MASTER_FLOW_READ; fd < MASTER_LISTEN_FD + MASTER_LISTEN_MAX; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		if ((null = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
			msg_fatal("open /dev/null: %m");
		if (null != fd) {
			if (dup3(null, fd, O_CLOEXEC) < 0)
				msg_fatal("dup3: %m");
			close(null);
		}
	}
}

/* master_exit_event - -e: time is up */
static void
master_exit_event(int event, void *ctx)
{
	(void) event;
	(void) ctx;
	master_stop(SIGTERM);
}

/* master_startup - everything before the main loop */
static void
master_startup(const struct master_opts *opts)
{
	struct buf *why = buf_new(100);
	struct mastercf *mcf;
	struct master_serv *head;

	master_settings.config_dir = master_config_dir(opts->config_dir);
	master_settings.is_foreground = opts->foreground;
	master_settings.verbose = msg_verbose;
	if (params_load(master_settings.config_dir, why) < 0)
		msg_fatal("%s", buf_str(why));
	if (opts->test)
		master_test();
	cmd_clean_env(var_import_environment);
	master_settings_update();
	if (chdir(var_queue_directory) < 0)
		msg_fatal("chdir %s: %m (run \"postern check\" to create it)",
			  var_queue_directory);
	if (master_conf_load(&mcf, &head, why) < 0)
		msg_fatal("%s", buf_str(why));
	master_conf_install(mcf, head);
	if (!opts->foreground)
		master_detach(opts->wait);
	master_lock_pid(var_process_id_directory);
	master_spawn_init();
	master_signal_init();
	master_open_all();
	if (getenv(MASTER_ENV_LOG_STDERR) == NULL)
		msg_to_stderr(MSG_STDERR_OFF);
	msg_info("daemon started -- version %s, configuration %s",
		 master_settings.version, master_settings.config_dir);
	if (!opts->foreground)
		master_detach_done();
	if (opts->exit_time > 0)
		event_request_timer(master_exit_event, NULL, opts->exit_time * 1000L);
	buf_free(why);
}

/* main - the supervisor */
int
main(int argc, char **argv)
{
	struct master_opts opts;

	cmd_fix_fds();
	master_reserve_fds();
	msg_init(argv[0]);
	umask(022);
	master_options(argc, argv, &opts);
	master_startup(&opts);
	for (;;) {
		event_loop(master_stopping ? 100 : -1);
		if (master_stopping)
			master_stop_poll();
	}
}
