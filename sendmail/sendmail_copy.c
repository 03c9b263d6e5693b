/*
 * NAME
 *	sendmail_copy - a submission as queue file records
 * SYNOPSIS
 *	#include "sendmail.h"
 *
 *	int	sendmail_envelope(struct rec_io *out,
 *			const struct sendmail_opts *opts, const char *sender,
 *			struct buf *why);
 *	int	sendmail_copy(FILE *in, struct rec_io *out, int flags,
 *			size_t line_limit, struct buf *why);
 * DESCRIPTION
 *	See sendmail.h. The records follow the maildrop(3) grammar, so
 *	postdrop accepts them; anything a user could slip in that the
 *	grammar forbids (control characters in addresses or the full
 *	name) is refused or replaced here already.
 * SEE ALSO
 *	sendmail(1), maildrop(3)
 */
#include <util/sys_defs.h>
#include <global/address.h>
#include <global/cleanup_client.h>
#include <global/mail_proto.h>
#include <global/maildrop.h>

#include "sendmail.h"

/* sendmail_has_ctrl - does text contain control characters? */

static int
sendmail_has_ctrl(const char *text)
{
	for (; *text; text++)
		if ((unsigned char) *text < 0x20 || *text == 0x7f)
			return (1);
	return (0);
}

/* sendmail_full_name - the full name without control characters */

static int
sendmail_full_name(struct rec_io *out, const char *name)
{
	struct buf *clean = buf_new(64);
	int	status;

	for (; *name && buf_len(clean) < MAILDROP_TEXT_LIMIT; name++)
		buf_putc(clean, (unsigned char) *name < 0x20 || *name == 0x7f ?
			 ' ' : *name);
	status = rec_put(out, REC_TYPE_FULL, buf_str(clean), buf_len(clean));
	buf_free(clean);
	return (status);
}

/* sendmail_attrs - flags and DSN attributes */

static int
sendmail_attrs(struct rec_io *out, const struct sendmail_opts *opts)
{
	if (opts->extract
	    && rec_fprintf(out, REC_TYPE_ATTR, "%s=%d", MAIL_ATTR_FLAGS,
			   CLEANUP_FLAG_EXTRACT) < 0)
		return (-1);
	if (opts->extract && opts->dsn_notify
	    && rec_fprintf(out, REC_TYPE_ATTR, "%s=%d", MAIL_ATTR_DSN_NOTIFY,
			   opts->dsn_notify) < 0)
		return (-1);
	if (opts->dsn_envid
	    && rec_fprintf(out, REC_TYPE_ATTR, "%s=%s", MAIL_ATTR_DSN_ENVID,
			   opts->dsn_envid) < 0)
		return (-1);
	if (opts->dsn_ret
	    && rec_fprintf(out, REC_TYPE_ATTR, "%s=%d", MAIL_ATTR_DSN_RET,
			   opts->dsn_ret) < 0)
		return (-1);
	if (opts->encoding
	    && rec_fprintf(out, REC_TYPE_ATTR, "%s=%s", MAIL_ATTR_ENCODING,
			   opts->encoding) < 0)
		return (-1);
	return (0);
}

/* sendmail_rcpt_arg - the addresses of one recipient argument */

static int
sendmail_rcpt_arg(struct rec_io *out, const struct sendmail_opts *opts,
		  const char *arg, struct buf *why)
{
	struct argv *addrs = argv_new(2);
	size_t	i;
	int	count = 0;

	/*
	 * Check the raw argument before parsing: the address parser reads a
	 * line break as white space and a following "Name:" as group syntax,
	 * so "user@a\nBcc: other@b" would silently become "other@b".
	 */
	if (sendmail_has_ctrl(arg)) {
		argv_free(addrs);
		buf_printf(why, "bad recipient address: control character in "
			   "argument: %s", arg);
		return (-1);
	}
	if (address_parse_list(arg, addrs, why) < 0) {
		argv_free(addrs);
		buf_printf(why, "bad recipient address syntax: %s", arg);
		return (-1);
	}
	for (i = 0; i < addrs->argc; i++) {
		if (*addrs->argv[i] == 0)
			continue;
		if (sendmail_has_ctrl(addrs->argv[i])
		    || strlen(addrs->argv[i]) > MAILDROP_TEXT_LIMIT) {
			buf_printf(why, "bad recipient address: %s", arg);
			count = -1;
			break;
		}
		if ((opts->dsn_notify
		     && rec_fprintf(out, REC_TYPE_NTFY, "%d", opts->dsn_notify) < 0)
		    || rec_fprintf(out, REC_TYPE_RCPT, "%s", addrs->argv[i]) < 0) {
			buf_printf(why, "write: %s", rec_error(out));
			count = -1;
			break;
		}
		count++;
	}
	argv_free(addrs);
	return (count);
}

/* sendmail_envelope - envelope records and MESG */

int
sendmail_envelope(struct rec_io *out, const struct sendmail_opts *opts,
		  const char *sender, struct buf *why)
{
	int	count = 0, n, i;

	if (sendmail_has_ctrl(sender) || strlen(sender) > MAILDROP_TEXT_LIMIT) {
		buf_printf(why, "bad sender address: %s", sender);
		return (-1);
	}
	if ((opts->full_name && sendmail_full_name(out, opts->full_name) < 0)
	    || rec_fprintf(out, REC_TYPE_FROM, "%s", sender) < 0
	    || sendmail_attrs(out, opts) < 0) {
		buf_printf(why, "write: %s", rec_error(out));
		return (-1);
	}
	for (i = 0; i < opts->nrcpt; i++) {
		if ((n = sendmail_rcpt_arg(out, opts, opts->recipients[i], why)) < 0)
			return (-1);
		count += n;
	}
	if (rec_put(out, REC_TYPE_MESG, "", 0) < 0) {
		buf_printf(why, "write: %s", rec_error(out));
		return (-1);
	}
	return (count);
}

 /*
  * Line assembly state for sendmail_copy().
  */
struct sendmail_line {
	struct buf *buf;		/* current piece */
	int	pieces;			/* CONT records written for this line */
	int	first_line;		/* no line completed yet */
};

/* sendmail_line_end - a complete line; 1 when it ends the input */

static int
sendmail_line_end(struct sendmail_line *ln, struct rec_io *out, int flags)
{
	int	first = ln->first_line;

	ln->first_line = 0;
	if (ln->pieces == 0) {
		if ((flags & SENDMAIL_COPY_DOT_OK) == 0
		    && strcmp(buf_str(ln->buf), ".") == 0)
			return (1);
		if (first && strncmp(buf_str(ln->buf), "From ", 5) == 0) {
			buf_reset(ln->buf);
			return (0);
		}
	}
	ln->pieces = 0;
	if (rec_put(out, REC_TYPE_NORM, buf_str(ln->buf), buf_len(ln->buf)) < 0)
		return (-1);
	buf_reset(ln->buf);
	return (0);
}

/* sendmail_line_add - one byte of a line, flushing full pieces */

static int
sendmail_line_add(struct sendmail_line *ln, struct rec_io *out, int ch,
		  size_t line_limit)
{
	if (buf_len(ln->buf) >= line_limit) {
		if (rec_put(out, REC_TYPE_CONT, buf_str(ln->buf), buf_len(ln->buf)) < 0)
			return (-1);
		buf_reset(ln->buf);
		ln->pieces++;
		ln->first_line = 0;
	}
	buf_putc(ln->buf, ch);
	return (0);
}

/* sendmail_copy_lines - the read loop; 0 or -1 */

static int
sendmail_copy_lines(FILE *in, struct rec_io *out, int flags,
		    size_t line_limit, struct sendmail_line *ln)
{
	int	ch, pending_cr = 0, status;

	while ((ch = getc(in)) != EOF) {
		if (ch == '\n') {
			pending_cr = 0;
			if ((status = sendmail_line_end(ln, out, flags)) != 0)
				return (status > 0 ? 0 : -1);
			continue;
		}
		if (pending_cr && sendmail_line_add(ln, out, '\r', line_limit) < 0)
			return (-1);
		if ((pending_cr = (ch == '\r')) != 0)
			continue;
		if (sendmail_line_add(ln, out, ch, line_limit) < 0)
			return (-1);
	}
	if (ferror(in))
		return (-1);
	if (pending_cr && sendmail_line_add(ln, out, '\r', line_limit) < 0)
		return (-1);
	if ((buf_len(ln->buf) > 0 || ln->pieces > 0)
	    && sendmail_line_end(ln, out, flags) < 0)
		return (-1);
	return (0);
}

/* sendmail_copy - the message content, XTRA, END */

int
sendmail_copy(FILE *in, struct rec_io *out, int flags, size_t line_limit,
	      struct buf *why)
{
	struct sendmail_line ln;
	int	status;

	if (line_limit == 0 || line_limit > MAILDROP_LINE_LIMIT)
		line_limit = MAILDROP_LINE_LIMIT;
	ln.buf = buf_new(256);
	ln.pieces = 0;
	ln.first_line = 1;
	status = sendmail_copy_lines(in, out, flags, line_limit, &ln);
	if (status < 0 && ferror(in))
		buf_printf(why, "read message: %s", strerror(errno));
	else if (status < 0)
		buf_printf(why, "write: %s", rec_error(out));
	else if (rec_put(out, REC_TYPE_XTRA, "", 0) < 0
		 || rec_put(out, REC_TYPE_END, "", 0) < 0
		 || rec_flush(out) < 0) {
		buf_printf(why, "write: %s", rec_error(out));
		status = -1;
	}
	buf_free(ln.buf);
	return (status);
}
