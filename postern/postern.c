/*
 * NAME
 *	postern - Postern control program
 * SYNOPSIS
 *	postern [-v] [-c config_dir] command
 * DESCRIPTION
 *	postern starts, stops and checks a Postern instance, as Postfix's
 *	postfix command does. Commands:
 * .IP check
 *	check the configuration and the queue directory tree: create
 *	missing queue directories (with hash subdirectories) with the
 *	right owner and mode, and report wrong ownership or permissions,
 *	a missing mail_owner or setgid_group, unknown main.cf parameters
 *	(with a "did you mean" suggestion) and master.cf errors.
 * .IP start
 *	check, then start master(8) in the background; return once it is
 *	up and listening, or fail with its reason.
 * .IP start-fg
 *	check, then run master in the foreground (logs to standard error
 *	unless maillog_file is set; Ctrl-C stops it).
 * .IP stop
 *	stop gracefully: running processes get SIGTERM; master waits for
 *	them. After 30 seconds master and its processes are killed.
 * .IP abort
 *	stop at once: every process is killed.
 * .IP reload
 *	check, then make master re-read main.cf and master.cf; running
 *	processes finish their current client and exit.
 * .IP status
 *	"the Postern mail system is running: PID: N" (exit status 0) or
 *	"... is not running" (exit status 1).
 * .IP flush
 *	ask qmgr to retry all deferred mail now, forgetting dead and
 *	throttled destinations.
 * .IP set-permissions
 *	repair the ownership and modes of the queue directory tree, and
 *	give queue files back to mail_owner.
 * .PP
 *	Any other command C runs daemon_directory/postern-C, when that
 *	exists, with the same -c option and the remaining arguments.
 *
 *	Options: -c config_dir (default $MAIL_CONFIG, else /etc/postern),
 *	-v (more verbose; passed on to master).
 * DIAGNOSTICS
 *	Messages go to standard error (and to maillog_file when set). The
 *	exit status is 0 on success and 1 otherwise; start fails when the
 *	system already runs, stop, abort, reload and status when it does not.
 * SEE ALSO
 *	master(8)
 */
#include <util/sys_defs.h>
#include <limits.h>
#include <unistd.h>
#include <sys/stat.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/cmd_init.h>
#include <global/params.h>
#include "postern.h"

#define POSTERN_USAGE	"postern start (or start-fg, stop, abort, reload, " \
			"status, check, set-permissions, flush)"

/* postern_check_cmd - postern check */
static void
postern_check_cmd(void)
{
	postern_check(POSTERN_CHECK_REPORT);
}

/* postern_fix_cmd - postern set-permissions */
static void
postern_fix_cmd(void)
{
	postern_check(POSTERN_CHECK_FIX);
}

/* postern_start_cmd - postern start */
static void
postern_start_cmd(void)
{
	postern_start(0);
}

/* postern_start_fg_cmd - postern start-fg */
static void
postern_start_fg_cmd(void)
{
	postern_start(1);
}

static const struct postern_cmd {
	const char *name;
	void	(*fn) (void);
}	postern_cmds[] = {
	{"check", postern_check_cmd},
	{"set-permissions", postern_fix_cmd},
	{"start", postern_start_cmd},
	{"start-fg", postern_start_fg_cmd},
	{"stop", postern_stop},
	{"abort", postern_abort},
	{"reload", postern_reload},
	{"status", postern_status},
	{"flush", postern_flush},
};

/* postern_extension - run daemon_directory/postern-COMMAND if present */
static void
postern_extension(const char *cmd, char **args)
{
	struct buf *path = buf_new(100);
	struct argv *argv = argv_new(8);

	buf_printf(path, "%s/postern-%s", var_daemon_directory, cmd);
	if (strchr(cmd, '/') != NULL || access(buf_str(path), X_OK) < 0)
		msg_fatal("unknown command: '%s'. Usage: %s", cmd, POSTERN_USAGE);
	argv_add(argv, buf_str(path));
	argv_add(argv, "-c");
	argv_add(argv, params_config_dir());
	for (; *args; args++)
		argv_add(argv, *args);
	execv(buf_str(path), argv->argv);
	msg_fatal("exec %s: %m", buf_str(path));
}

/* postern_config_dir - -c made absolute; main.cf must exist */
static char *
postern_config_dir(const char *given)
{
	char	path[PATH_MAX];
	const char *dir = config_dir_resolve(given);

	if (realpath(dir, path) == NULL)
		msg_fatal("configuration directory %s: %m", dir);
	return (xstrdup(path));
}

/* main - parse options, dispatch */
int
main(int argc, char **argv)
{
	const char *config_dir = NULL;
	char   *abs_dir;
	struct stat st;
	size_t	i;
	int	ch;

	msg_init(argv[0]);
	while ((ch = getopt(argc, argv, "+c:vD")) != -1) {
		if (ch == 'c')
			config_dir = optarg;
		else if (ch == 'v')
			msg_verbose++;
		else if (ch != 'D')
			msg_fatal("usage: postern [-v] [-c config_dir] command");
	}
	if (optind >= argc)
		msg_fatal("usage: postern [-v] [-c config_dir] command");
	abs_dir = postern_config_dir(config_dir);
	cmd_init(argv[0], abs_dir);
	free(abs_dir);
	if (stat(params_config_file(), &st) < 0)
		msg_fatal("open %s: %m", params_config_file());
	for (i = 0; i < ARRAY_LEN(postern_cmds); i++) {
		if (strcmp(argv[optind], postern_cmds[i].name) == 0) {
			postern_cmds[i].fn();
			exit(0);
		}
	}
	postern_extension(argv[optind], argv + optind + 1);
}
