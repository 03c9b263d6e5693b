/*
 * NAME
 *	local_command - deliver by piping the message into a command
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_command(struct local_state *state, const char *command,
 *			const struct local_user *as);
 *	const char *local_command_exit_status(int code, const char **text);
 * DESCRIPTION
 *	local_command() runs command with /bin/sh -c (or with
 *	local_command_shell, e.g. "/usr/sbin/smrsh -c") as the user as
 *	(all IDs changed for good in the child; an unprivileged local(8)
 *	runs it as itself), in command_execution_directory or else the
 *	user's home directory, in a new session, with standard input the
 *	message (From_ line, Return-Path:, X-Original-To:, Delivered-To:
 *	as prepend_delivered_header says) and standard output and error
 *	captured. The environment is what Postfix gives: HOME, LOGNAME,
 *	USER, SHELL, PATH, SENDER, RECIPIENT, LOCAL, EXTENSION, DOMAIN,
 *	ORIGINAL_RECIPIENT, plus the export_environment variables that are
 *	set. command_time_limit bounds the run; then the whole session is
 *	killed.
 *
 *	The result, recorded with local_leaf() as Postfix words it:
 *	exit 0 is "delivered to command: COMMAND"; a sysexits.h code gets
 *	its status and text ("user unknown", 5.1.1; EX_TEMPFAIL "temporary
 *	failure", 4.3.0 deferred); any other exit code bounces with 5.3.0
 *	"Command died with status N: "COMMAND""; a signal defers with 4.3.0
 *	"Command died with signal N"; the time limit bounces with 5.3.0
 *	"Command time limit exceeded". Up to LOCAL_OUTPUT_LIMIT bytes of
 *	the command's output follow as ". Command output: ...".
 *
 *	local_command_exit_status() returns the status code of a sysexits
 *	exit code and its text in *text, or NULL for other codes.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/params.h>

#include "local.h"

 /*
  * Postfix's sys_exits table.
  */
static const struct {
	int	code;
	const char *dsn;
	const char *text;
}	local_sys_exits[] = {
	{EX_USAGE, "5.3.0", "command line usage error"},
	{EX_DATAERR, "5.6.0", "data format error"},
	{EX_NOINPUT, "5.3.0", "cannot open input"},
	{EX_NOUSER, "5.1.1", "user unknown"},
	{EX_NOHOST, "5.1.2", "host name unknown"},
	{EX_UNAVAILABLE, "5.3.0", "service unavailable"},
	{EX_SOFTWARE, "5.3.0", "internal software error"},
	{EX_OSERR, "4.3.0", "system resource problem"},
	{EX_OSFILE, "5.3.0", "critical OS file missing"},
	{EX_CANTCREAT, "5.2.0", "can't create user output file"},
	{EX_IOERR, "5.3.0", "input/output error"},
	{EX_TEMPFAIL, "4.3.0", "temporary failure"},
	{EX_PROTOCOL, "5.5.0", "remote error in protocol"},
	{EX_NOPERM, "5.7.0", "permission denied"},
	{EX_CONFIG, "5.3.5", "local configuration error"},
};

/* local_command_exit_status - sysexits code to status and text */
const char *
local_command_exit_status(int code, const char **text)
{
	size_t	i;

	for (i = 0; i < ARRAY_LEN(local_sys_exits); i++) {
		if (local_sys_exits[i].code == code) {
			*text = local_sys_exits[i].text;
			return (local_sys_exits[i].dsn);
		}
	}
	return (NULL);
}

/* local_command_env - the environment of the command */
static void
local_command_env(const struct local_state *state, const struct local_user *as)
{
	const struct deliver_rcpt *rcpt = state->rcpt;
	struct buf *user = buf_new(64);
	struct buf *ext = buf_new(64);
	struct buf *domain = buf_new(64);
	struct argv *keep = argv_split(var_export_environment, ARGV_LIST_DELIMS);
	struct argv *saved = argv_new(8);
	size_t	i;
	const char *value;

	for (i = 0; i < keep->argc; i++) {
		value = getenv(keep->argv[i]);
		argv_add(saved, value ? value : "");
	}
	(void) clearenv();
	for (i = 0; i < keep->argc; i++)
		if (*saved->argv[i])
			(void) setenv(keep->argv[i], saved->argv[i], 1);
	local_split_address(state->address, user, ext, domain);
	(void) setenv("HOME", as->home, 1);
	(void) setenv("LOGNAME", as->name, 1);
	(void) setenv("USER", as->name, 1);
	(void) setenv("SHELL", *as->shell ? as->shell : "/bin/sh", 1);
	(void) setenv("PATH", "/usr/bin:/bin", 1);
	(void) setenv("SENDER", state->msg->req->sender, 1);
	(void) setenv("RECIPIENT", state->address, 1);
	(void) setenv("LOCAL", buf_str(user), 1);
	if (buf_len(ext))
		(void) setenv("EXTENSION", buf_str(ext), 1);
	if (buf_len(domain))
		(void) setenv("DOMAIN", buf_str(domain), 1);
	(void) setenv("ORIGINAL_RECIPIENT", (rcpt->orig_address && *rcpt->orig_address)
		      ? rcpt->orig_address : rcpt->address, 1);
	argv_free(keep);
	argv_free(saved);
	buf_free(user);
	buf_free(ext);
	buf_free(domain);
}

/* local_command_child - the child: become the user and exec */
static NORETURN void
local_command_child(const struct local_state *state, const char *command,
		            const struct local_user *as, int in_fd, int out_fd)
{
	struct argv *args;
	const char *dir;

	(void) setsid();
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(EX_OSERR);
	if (close_range(3, ~0U, 0) < 0) {
		int	fd;

		for (fd = 3; fd < 1024; fd++)
			(void) close(fd);
	}
	(void) signal(SIGPIPE, SIG_DFL);
	/* Users without a passwd entry ("#UID") get their primary group only. */
	if (local_is_privileged()
	    && (setgid(as->gid) < 0
		|| (*as->name == '#' ? setgroups(1, &as->gid) : initgroups(as->name, as->gid)) < 0
		|| setuid(as->uid) < 0))
		_exit(EX_OSERR);
	local_command_env(state, as);
	dir = *var_command_execution_directory ? var_command_execution_directory : as->home;
	if (chdir(dir) < 0 && chdir("/") < 0)
		_exit(EX_OSERR);
	if (*var_local_command_shell) {
		args = argv_split(var_local_command_shell, " \t");
		argv_add(args, command);
	} else {
		args = argv_split("/bin/sh -c", " ");
		argv_add(args, command);
	}
	execv(args->argv[0], args->argv);
	_exit(EX_TEMPFAIL);
}

/* local_command_wait - wait for the child within the time limit */
static int
local_command_wait(pid_t pid, int *wstatus)
{
	struct timespec nap = {0, 5 * 1000 * 1000};
	time_t	deadline = time(NULL) + var_command_time_limit;
	pid_t	got;

	for (;;) {
		if ((got = waitpid(pid, wstatus, WNOHANG)) == pid)
			return (0);
		if (got < 0 && errno != EINTR)
			return (-1);
		if (time(NULL) >= deadline) {
			(void) kill(-pid, SIGKILL);
			(void) kill(pid, SIGKILL);
			while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
				 /* void */ ;
			return (1);
		}
		(void) nanosleep(&nap, NULL);
		if (nap.tv_nsec < 100 * 1000 * 1000)
			nap.tv_nsec *= 2;
	}
}

/* local_command_output - what the command said, on one line */
static void
local_command_output(int fd, struct buf *out)
{
	char	text[LOCAL_OUTPUT_LIMIT];
	ssize_t	len = pread(fd, text, sizeof(text), 0);
	ssize_t	i;

	buf_reset(out);
	for (i = 0; i < len; i++)
		buf_putc(out, (text[i] == '\n' || text[i] == '\r' || text[i] == '\t') ? ' '
			 : text[i]);
	while (buf_len(out) > 0 && out->data[buf_len(out) - 1] == ' ')
		buf_truncate(out, buf_len(out) - 1);
}

/* local_command_result - record the outcome */
static int
local_command_result(struct local_state *state, const char *command,
		             int waited, int wstatus, const struct buf *output)
{
	const char *sep = buf_len(output) ? ". Command output: " : "";
	const char *dsn;
	const char *text;
	int	code;

	if (waited == 1)
		return (local_leaf(state, DELIVER_STAT_BOUNCE, "5.3.0",
				   "Command time limit exceeded: \"%s\"%s%s", command, sep,
				   buf_str(output)));
	if (WIFSIGNALED(wstatus))
		return (local_leaf(state, DELIVER_STAT_DEFER, "4.3.0",
				   "Command died with signal %d: \"%s\"%s%s",
				   WTERMSIG(wstatus), command, sep, buf_str(output)));
	if ((code = WEXITSTATUS(wstatus)) == 0)
		return (local_leaf(state, DELIVER_STAT_OK, "2.0.0",
				   "delivered to command: %s", command));
	if ((dsn = local_command_exit_status(code, &text)) != NULL)
		return (local_leaf(state, dsn[0] == '4' ? DELIVER_STAT_DEFER : DELIVER_STAT_BOUNCE,
				   dsn, "%s%s%s", text, sep, buf_str(output)));
	return (local_leaf(state, DELIVER_STAT_BOUNCE, "5.3.0",
			   "Command died with status %d: \"%s\"%s%s", code, command, sep,
			   buf_str(output)));
}

/* local_command - pipe the message into command as user as */
int
local_command(struct local_state *state, const char *command,
	              const struct local_user *as)
{
	struct local_copy_attr attr;
	int	flags = local_copy_flags(LOCAL_COPY_COMMAND, "command");
	struct buf *why = buf_new(100);
	int	in_fd = -1;
	int	out_fd = -1;
	int	wstatus = 0;
	int	waited;
	int	status;
	pid_t	pid;

	if (state->msg->is_verify) {
		status = local_leaf(state, DELIVER_STAT_OK, "2.0.0",
				    "delivers to command: %s", command);
		goto out;
	}
	if ((in_fd = memfd_create("local-message", MFD_CLOEXEC)) < 0
	    || (out_fd = memfd_create("local-output", MFD_CLOEXEC)) < 0) {
		status = local_leaf(state, DELIVER_STAT_DEFER, "4.3.0",
				    "cannot create a message buffer: %m");
		goto out;
	}
	local_copy_attr_init(&attr, state, flags);
	attr.limit = 0;
	if (local_copy(state->msg->qfd, state->msg->req->data_offset, in_fd, flags,
		       &attr, why) != LOCAL_COPY_OK || lseek(in_fd, 0, SEEK_SET) < 0) {
		status = local_leaf(state, DELIVER_STAT_DEFER, "4.3.0",
				    "cannot copy message for command: %s",
				    buf_len(why) ? buf_str(why) : strerror(errno));
		goto out;
	}
	if ((pid = fork()) < 0) {
		status = local_leaf(state, DELIVER_STAT_DEFER, "4.3.0", "fork: %m");
		goto out;
	}
	if (pid == 0)
		local_command_child(state, command, as, in_fd, out_fd);
	if ((waited = local_command_wait(pid, &wstatus)) < 0) {
		status = local_leaf(state, DELIVER_STAT_DEFER, "4.3.0", "waitpid: %m");
		goto out;
	}
	local_command_output(out_fd, why);
	status = local_command_result(state, command, waited, wstatus, why);
out:
	if (in_fd >= 0)
		(void) close(in_fd);
	if (out_fd >= 0)
		(void) close(out_fd);
	buf_free(why);
	return (status);
}
