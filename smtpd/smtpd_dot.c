/*
 * NAME
 *	smtpd_dot - end of DATA, dot-unstuffing and the smuggling defense
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int	smtpd_dot_mode(const char *value);
 *	void	smtpd_dot_init(struct smtpd_dot *dot, int mode, bool start_crlf);
 *	int	smtpd_dot_line(struct smtpd_dot *dot, const char *data,
 *			size_t len, int ending, const char **out,
 *			size_t *out_len);
 * DESCRIPTION
 *	The SMTP client ends message content with CR LF "." CR LF (RFC 5321
 *	section 4.1.1.4) and doubles a leading dot of every content line.
 *	SMTP smuggling (CVE-2023-51764 and friends) exploits servers that
 *	also accept other line ends around the dot, e.g. LF "." LF or
 *	LF "." CR LF: a second message hidden in the first one's content
 *	would be received as a separate transaction. This module decides,
 *	one line at a time, what is content and what ends the data.
 *
 *	smtpd_dot_mode() maps a smtpd_forbid_bare_newline value to a mode:
 *	"normal" and "yes" give SMTPD_BARE_NL_NORMAL, "reject" gives
 *	SMTPD_BARE_NL_REJECT, "no" gives SMTPD_BARE_NL_NO; anything else
 *	is -1.
 *
 *	smtpd_dot_init() starts a message; start_crlf tells whether the
 *	DATA command line itself ended in CR LF (the CR LF before the
 *	first line).
 *
 *	smtpd_dot_line() takes one piece of input as stream_get_line()
 *	delivers it: data without the line end, and how it ended:
 *	SMTPD_DOT_LINE_CRLF, SMTPD_DOT_LINE_LF (a bare LF), or
 *	SMTPD_DOT_LINE_PART (a piece of a line longer than the caller's
 *	limit; the rest follows). It returns SMTPD_DOT_END when the data
 *	ended, otherwise the content to store in *out and *out_len with
 *	SMTPD_DOT_NORM (a whole line, or the last piece of one) or
 *	SMTPD_DOT_CONT (a piece, more of the line follows): the cleanup
 *	record types.
 *
 *	The rules:
 * .IP \(bu
 *	Only a line consisting of one "." ends the data, and only a whole
 *	line: a piece that continues a longer line never does.
 * .IP \(bu
 *	In modes NORMAL and REJECT that line must end in CR LF and the
 *	line before it (or the DATA command) must have ended in CR LF too:
 *	LF "." LF, LF "." CR LF and CR LF "." LF never end the data. Such
 *	a "." line is content and is kept as "." (it was not dot-stuffed).
 *	Lines ending in a bare LF are otherwise content like any other
 *	line (NORMAL stores them as lines, as Postfix 3.9 does); in
 *	REJECT mode the caller refuses the message when bare_lf > 0.
 * .IP \(bu
 *	In mode NO (smtpd_forbid_bare_newline = no, and clients listed in
 *	smtpd_forbid_bare_newline_exclusions) a bare LF counts as a line
 *	end everywhere, so "." LF ends the data: Postfix's old behaviour.
 * .IP \(bu
 *	A bare CR is never a line end in any mode: "\r.\r" is content.
 * .IP \(bu
 *	Any other line that starts with "." loses that dot.
 * .PP
 *	dot->bare_lf counts the lines that ended in a bare LF, dot->lines
 *	all complete lines.
 * SEE ALSO
 *	Postfix smtpd_forbid_bare_newline (3.9), RFC 5321 section 4.5.2
 */
#include <util/sys_defs.h>
#include <strings.h>
#include "smtpd.h"

/* smtpd_dot_mode - smtpd_forbid_bare_newline value to mode */
int
smtpd_dot_mode(const char *value)
{
	if (strcasecmp(value, "normal") == 0 || strcasecmp(value, "yes") == 0)
		return (SMTPD_BARE_NL_NORMAL);
	if (strcasecmp(value, "reject") == 0)
		return (SMTPD_BARE_NL_REJECT);
	if (strcasecmp(value, "no") == 0)
		return (SMTPD_BARE_NL_NO);
	return (-1);
}

/* smtpd_dot_init - start of message content */
void
smtpd_dot_init(struct smtpd_dot *dot, int mode, bool start_crlf)
{
	dot->mode = mode;
	dot->prev_crlf = start_crlf;
	dot->in_line = false;
	dot->bare_lf = 0;
	dot->lines = 0;
}

/* dot_is_end - whether a lone "." line ends the data */
static bool
dot_is_end(const struct smtpd_dot *dot, int ending)
{
	if (dot->mode == SMTPD_BARE_NL_NO)
		return (true);
	return (ending == SMTPD_DOT_LINE_CRLF && dot->prev_crlf);
}

/* dot_line_done - account for a complete line */
static int
dot_line_done(struct smtpd_dot *dot, int ending)
{
	if (ending == SMTPD_DOT_LINE_PART) {
		dot->in_line = true;
		return (SMTPD_DOT_CONT);
	}
	dot->in_line = false;
	dot->lines++;
	if (ending == SMTPD_DOT_LINE_LF)
		dot->bare_lf++;
	dot->prev_crlf = (ending == SMTPD_DOT_LINE_CRLF);
	return (SMTPD_DOT_NORM);
}

/* smtpd_dot_line - classify one line or piece of content */
int
smtpd_dot_line(struct smtpd_dot *dot, const char *data, size_t len,
		       int ending, const char **out, size_t *out_len)
{
	if (ending != SMTPD_DOT_LINE_CRLF && ending != SMTPD_DOT_LINE_LF
	    && ending != SMTPD_DOT_LINE_PART)
		return (-1);
	*out = data;
	*out_len = len;
	if (!dot->in_line && len > 0 && data[0] == '.') {
		if (len == 1 && ending != SMTPD_DOT_LINE_PART) {
			if (dot_is_end(dot, ending))
				return (SMTPD_DOT_END);
		} else {
			*out = data + 1;
			*out_len = len - 1;
		}
	}
	return (dot_line_done(dot, ending));
}
