/*
 * NAME
 *	sendmail - Postern to Sendmail compatibility interface
 * SYNOPSIS
 *	sendmail [options] [recipient ...]
 *	mailq [options]
 *	newaliases [options]
 * DESCRIPTION
 *	sendmail reads a message from standard input and submits it for
 *	delivery: it writes the message as queue file records to postdrop
 *	-r, which stores it in the maildrop queue, whence pickup(8) hands it
 *	to cleanup(8). This works while the mail system is stopped; the
 *	message then waits in maildrop. As mailq it lists the queue, as
 *	newaliases it rebuilds the alias databases.
 *
 *	Lines end in LF or CR LF (the CR is removed); lines longer than
 *	line_length_limit are stored in pieces; a leading "From " line is
 *	dropped. Unless -i is given, a line with only "." ends the message.
 *
 *	Options (as Postfix's sendmail; -G -L -m -n -O -U -X -e -h -p -x,
 *	-o7 -o8 -oem -odb and other -o options are accepted and ignored):
 * .IP "-B 7BIT|8BITMIME"
 *	The message body type.
 * .IP "-bd, -bl"
 *	Start the mail system (postern start).
 * .IP -bi
 *	Rebuild the alias databases (postalias on alias_database, or the
 *	files of -oA options), as newaliases. Also -I.
 * .IP -bm
 *	Read a message and submit it (the default).
 * .IP -bp
 *	List the queue (postqueue -p), as mailq.
 * .IP -bs
 *	Speak SMTP on standard input and output (smtpd -S).
 * .IP "-C dir, -c dir"
 *	The configuration directory (for -C also a main.cf file).
 * .IP "-F name"
 *	The sender's full name, for a From: header that cleanup adds.
 *	Default: the NAME environment variable.
 * .IP "-f sender, -r sender"
 *	The envelope sender; "<>" or "" is the null sender. Default: the
 *	login name of the user (qualified by cleanup with myorigin).
 * .IP "-i, -oi"
 *	A line with a single "." does not end the message.
 * .IP "-N never|delay,failure,success"
 *	DSN notification for every recipient.
 * .IP "-q, -qRsite"
 *	Flush the queue (postqueue -f), or mail for a site (postqueue -s).
 * .IP "-R full|hdrs"
 *	DSN: how much of the message to return.
 * .IP -t
 *	Also send to the recipients of the To:, Cc: and Bcc: headers
 *	(Resent- ones when present), in addition to those on the command
 *	line; Bcc: headers are removed.
 * .IP "-V envid"
 *	DSN envelope ID.
 * .IP -v
 *	Verbose: report the queue ID.
 * SECURITY
 *	sendmail runs with the user's privileges; it never writes the
 *	queue itself. postdrop checks everything it is given.
 * DIAGNOSTICS
 *	Problems go to standard error as "sendmail: fatal: ...". The exit
 *	status is 0 on success and 75 (EX_TEMPFAIL) after any fatal error,
 *	command line errors included; "USER(UID): message file too big"
 *	when message_size_limit is exceeded.
 * PARAMETERS
 *	alias_database, command_directory, daemon_directory,
 *	line_length_limit, message_size_limit (enforced by postdrop).
 * SEE ALSO
 *	postdrop(1), pickup(8), cleanup(8), postqueue(1), postalias(1)
 */
#include <util/sys_defs.h>
#include <util/argv.h>
#include <util/alloc.h>
#include <util/attr.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/cleanup_client.h>
#include <global/cmd_init.h>
#include <global/mail_proto.h>
#include <global/params.h>

#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sendmail.h"

#define SENDMAIL_EX_TEMPFAIL	75

/* sendmail_exit - every fatal error exits with EX_TEMPFAIL */

static void
sendmail_exit(int status)
{
	(void) status;
	exit(SENDMAIL_EX_TEMPFAIL);
}

/* sendmail_exec - run another program in place of this one */

static NORETURN void
sendmail_exec(const char *dir, const char *prog, struct argv *args)
{
	struct buf *path = buf_new(128);

	buf_printf(path, "%s/%s", dir, prog);
	execv(buf_str(path), args->argv);
	msg_fatal("execute %s: %m", buf_str(path));
}

/* sendmail_other_mode - modes that run another program */

static NORETURN void
sendmail_other_mode(const struct sendmail_opts *opts)
{
	struct argv *args = argv_new(8);
	size_t	i;

	switch (opts->mode) {
	case SENDMAIL_MODE_MAILQ:
		argv_add(args, "postqueue");
		argv_add(args, "-p");
		break;
	case SENDMAIL_MODE_FLUSH:
		argv_add(args, "postqueue");
		argv_add(args, opts->site ? "-s" : "-f");
		if (opts->site)
			argv_add(args, opts->site);
		break;
	case SENDMAIL_MODE_DAEMON:
		argv_add(args, "postern");
		argv_add(args, "start");
		break;
	case SENDMAIL_MODE_SMTP:
		argv_add(args, "smtpd");
		argv_split_append(args, "-S -n smtp -t unix", " ");
		sendmail_exec(var_daemon_directory, "smtpd", args);
	case SENDMAIL_MODE_NEWALIASES:
		argv_add(args, "postalias");
		if (opts->alias_files->argc > 0)
			for (i = 0; i < opts->alias_files->argc; i++)
				argv_add(args, opts->alias_files->argv[i]);
		else
			argv_split_append(args, var_alias_database, ARGV_LIST_DELIMS);
		if (args->argc == 1)
			exit(0);
		break;
	default:
		msg_panic("sendmail_other_mode: mode %d", opts->mode);
	}
	sendmail_exec(var_command_directory, args->argv[0], args);
}

/* sendmail_sender - the envelope sender */

static const char *
sendmail_sender(const struct sendmail_opts *opts, struct buf *buf)
{
	struct passwd *pw;
	size_t	len;

	if (opts->sender) {
		buf_cpy(buf, opts->sender);
		len = buf_len(buf);
		if (len >= 2 && buf_str(buf)[0] == '<' && buf_str(buf)[len - 1] == '>') {
			buf_cpy(buf, opts->sender + 1);
			buf_truncate(buf, len - 2);
		}
		return (buf_str(buf));
	}
	if ((pw = getpwuid(getuid())) == 0)
		msg_fatal("no login name for user ID %ld", (long) getuid());
	return (buf_cpy(buf, pw->pw_name)->data);
}

/* sendmail_postdrop - start postdrop -r with pipes both ways */

static pid_t
sendmail_postdrop(int *to_fd, int *from_fd)
{
	int	in_pipe[2], out_pipe[2];
	struct buf *path = buf_new(128);
	pid_t	pid;

	if (pipe(in_pipe) < 0 || pipe(out_pipe) < 0)
		msg_fatal("pipe: %m");
	buf_printf(path, "%s/postdrop", var_command_directory);
	if ((pid = fork()) < 0)
		msg_fatal("fork: %m");
	if (pid == 0) {
		if (dup2(in_pipe[0], 0) < 0 || dup2(out_pipe[1], 1) < 0)
			msg_fatal("dup2: %m");
		close(in_pipe[0]);
		close(in_pipe[1]);
		close(out_pipe[0]);
		close(out_pipe[1]);
		execl(buf_str(path), "postdrop", "-r", (char *) 0);
		msg_fatal("execute %s: %m", buf_str(path));
	}
	close(in_pipe[0]);
	close(out_pipe[1]);
	*to_fd = in_pipe[1];
	*from_fd = out_pipe[0];
	buf_free(path);
	return (pid);
}

/* sendmail_reply - postdrop's verdict and exit status */

static int
sendmail_reply(int from_fd, pid_t pid, struct buf *id, struct buf *reason)
{
	struct stream *st = stream_fdopen(from_fd, STREAM_READ);
	int	status = CLEANUP_STAT_WRITE;
	int	wstat;

	if (attr_scan_full(st, ATTR_FLAG_NONE, 0, ATTR_LIST(
				 SCAN_INT(MAIL_ATTR_STATUS, &status),
				 SCAN_OPT_STR(MAIL_ATTR_QUEUE_ID, id),
				 SCAN_OPT_STR(MAIL_ATTR_WHY, reason)), reason) < 0) {
		status = CLEANUP_STAT_WRITE;
		buf_cpy(reason, "postdrop did not report success");
	}
	(void) stream_close(st);
	while (waitpid(pid, &wstat, 0) < 0)
		if (errno != EINTR)
			msg_fatal("waitpid: %m");
	if (status == 0 && !(WIFEXITED(wstat) && WEXITSTATUS(wstat) == 0)) {
		status = CLEANUP_STAT_WRITE;
		buf_cpy(reason, "postdrop failed");
	}
	return (status);
}

/* sendmail_enqueue - submit the message on standard input */

static void
sendmail_enqueue(const struct sendmail_opts *opts)
{
	struct buf *sender_buf = buf_new(64);
	const char *sender = sendmail_sender(opts, sender_buf);
	struct buf *why = buf_new(64);
	struct buf *reason = buf_new(64);
	struct buf *id = buf_new(32);
	struct rec_io *out;
	int	to_fd, from_fd, status, failed;
	pid_t	pid;

	if (opts->nrcpt == 0 && !opts->extract)
		msg_fatal("Recipient addresses must be specified on the command"
			  " line or via the -t option");
	signal(SIGPIPE, SIG_IGN);
	pid = sendmail_postdrop(&to_fd, &from_fd);
	out = rec_open(to_fd, REC_WRITE);
	failed = (sendmail_envelope(out, opts, sender, why) < 0
		  || sendmail_copy(stdin, out, opts->dot_ok ?
				   SENDMAIL_COPY_DOT_OK : 0,
				   (size_t) var_line_length_limit, why) < 0);
	(void) rec_close(out);
	close(to_fd);
	status = sendmail_reply(from_fd, pid, id, reason);
	if (status != 0 && buf_len(reason) > 0)
		msg_fatal("%s(%ld): %s", sender, (long) getuid(), buf_str(reason));
	if (status != 0 || failed)
		msg_fatal("%s(%ld): %s", sender, (long) getuid(),
			  failed ? buf_str(why) : cleanup_strerror(status));
	if (opts->verbose)
		msg_info("Mail queued for delivery: maildrop/%s", buf_str(id));
	buf_free(id);
	buf_free(reason);
	buf_free(why);
	buf_free(sender_buf);
}

int
main(int argc, char **argv)
{
	struct sendmail_opts opts;
	struct buf *why = buf_new(64);
	struct buf *dir = buf_new(64);
	const char *name = getenv("NAME");

	msg_init("sendmail");
	msg_to_stderr(MSG_STDERR_SHORT);
	msg_set_exit_hook(sendmail_exit);
	sendmail_opts_init(&opts, argv[0]);
	if (sendmail_parse_args(&opts, argc, argv, why) < 0)
		msg_fatal("%s; usage: sendmail [options] [recipient ...]", buf_str(why));
	if (opts.config_dir && sendmail_config_dir(opts.config_dir, dir) < 0)
		msg_fatal("-C %s: %m", opts.config_dir);
	if (opts.full_name == 0 && name && *name)
		opts.full_name = xstrdup(name);
	cmd_init("sendmail", opts.config_dir ? buf_str(dir) : NULL);
	msg_verbose += opts.verbose > 1 ? opts.verbose - 1 : 0;
	if (opts.mode != SENDMAIL_MODE_ENQUEUE)
		sendmail_other_mode(&opts);
	sendmail_enqueue(&opts);
	sendmail_opts_free(&opts);
	buf_free(why);
	buf_free(dir);
	return (0);
}
