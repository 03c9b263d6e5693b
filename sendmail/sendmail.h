/*
 * NAME
 *	sendmail - private interfaces of sendmail(1) and postdrop(1)
 * SYNOPSIS
 *	#include "sendmail.h"
 *
 *	void	sendmail_opts_init(struct sendmail_opts *opts, const char *argv0);
 *	void	sendmail_opts_free(struct sendmail_opts *opts);
 *	int	sendmail_parse_args(struct sendmail_opts *opts, int argc,
 *			char **argv, struct buf *why);
 *	int	sendmail_config_dir(const char *arg, struct buf *dir);
 *
 *	int	sendmail_envelope(struct rec_io *out,
 *			const struct sendmail_opts *opts, const char *sender,
 *			struct buf *why);
 *	int	sendmail_copy(FILE *in, struct rec_io *out, int flags,
 *			size_t line_limit, struct buf *why);
 *
 *	int	postdrop_copy(struct rec_io *in, struct rec_io *out,
 *			long size_limit, struct buf *why);
 * DESCRIPTION
 *	sendmail_opts_init() sets the defaults; the mode follows the
 *	program name (mailq: SENDMAIL_MODE_MAILQ, newaliases:
 *	SENDMAIL_MODE_NEWALIASES, else SENDMAIL_MODE_ENQUEUE).
 *	sendmail_parse_args() reads Postfix sendmail's options and the
 *	recipient arguments; it returns 0, or -1 with a reason such as
 *	"invalid option -- 'Z'". Options Postfix accepts and ignores are
 *	ignored here too.
 *
 *	sendmail_config_dir() turns the argument of -C (a directory, or a
 *	main.cf file) into the configuration directory.
 *
 *	sendmail_envelope() writes the envelope records of a submission:
 *	full name, sender, attributes (flags for -t, DSN envelope ID and
 *	RET, body type) and one recipient group per address of the
 *	recipient arguments (each may hold a comma separated list), then
 *	MESG. It returns the number of recipients, or -1 with why.
 *
 *	sendmail_copy() reads a message from in and writes it as content
 *	records: one NORM per line without its line end (CR LF and bare
 *	LF both end a line; a CR elsewhere stays), lines longer than
 *	line_limit as CONT pieces and a final NORM. Unless flags has
 *	SENDMAIL_COPY_DOT_OK a line with a single "." ends the input. A
 *	leading "From " line (a mailbox postmark) is dropped. It then
 *	writes XTRA and END, and returns 0, or -1 with why on a read or
 *	write error.
 *
 *	postdrop_copy() copies a record stream from sendmail to a maildrop
 *	file, after a TIME record of its own, checking every record with
 *	maildrop(3): it returns 0 when the stream was complete and valid,
 *	-1 with why otherwise (the caller removes the file), -2 with why
 *	when the file grew beyond size_limit bytes (0: no limit).
 * SEE ALSO
 *	sendmail(1), postdrop(1), maildrop(3)
 */
#ifndef POSTERN_SENDMAIL_H
#define POSTERN_SENDMAIL_H

#include <util/sys_defs.h>
#include <util/argv.h>
#include <util/buf.h>
#include <global/record.h>

enum sendmail_mode {
	SENDMAIL_MODE_ENQUEUE,		/* -bm, the default */
	SENDMAIL_MODE_MAILQ,		/* -bp, mailq */
	SENDMAIL_MODE_NEWALIASES,	/* -bi, -I, newaliases */
	SENDMAIL_MODE_SMTP,		/* -bs */
	SENDMAIL_MODE_FLUSH,		/* -q, -qRsite */
	SENDMAIL_MODE_DAEMON,		/* -bd, -bl */
};

#define SENDMAIL_COPY_DOT_OK	(1 << 0)	/* -i, -oi */

struct sendmail_opts {
	enum sendmail_mode mode;
	const char *config_dir;		/* -C, -c */
	const char *sender;		/* -f, -r; NULL: the user */
	const char *full_name;		/* -F */
	int	extract;		/* -t */
	int	dot_ok;			/* -i, -oi */
	int	dsn_notify;		/* -N: DSN_NOTIFY_* mask, 0 none */
	int	dsn_ret;		/* -R: DSN_RET_*, 0 none */
	const char *dsn_envid;		/* -V */
	const char *encoding;		/* -B: 7BIT or 8BITMIME */
	const char *site;		/* -qRsite */
	int	verbose;		/* -v count */
	struct argv *alias_files;	/* -oAfile */
	char  **recipients;		/* the rest of argv */
	int	nrcpt;
};

void	sendmail_opts_init(struct sendmail_opts *opts, const char *argv0);
void	sendmail_opts_free(struct sendmail_opts *opts);
int	sendmail_parse_args(struct sendmail_opts *opts, int argc, char **argv,
		struct buf *why);
int	sendmail_config_dir(const char *arg, struct buf *dir);

int	sendmail_envelope(struct rec_io *out, const struct sendmail_opts *opts,
		const char *sender, struct buf *why);
int	sendmail_copy(FILE *in, struct rec_io *out, int flags,
		size_t line_limit, struct buf *why);

int	postdrop_copy(struct rec_io *in, struct rec_io *out, long size_limit,
		struct buf *why);

#endif
