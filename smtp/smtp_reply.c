/*
 * NAME
 *	smtp_reply - SMTP reply parser, reader and classifier
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	void	smtp_reply_init(struct smtp_reply *reply);
 *	void	smtp_reply_reset(struct smtp_reply *reply);
 *	void	smtp_reply_free(struct smtp_reply *reply);
 *	int	smtp_reply_add_line(struct smtp_reply *reply, const char *line,
 *				size_t len, struct buf *why);
 *	enum smtp_read_status smtp_reply_read(struct stream *stream,
 *				struct smtp_reply *reply, struct buf *why);
 *	int	smtp_reply_classify(const struct smtp_reply *reply,
 *				const struct smtp_throttle *throttle);
 *	int	smtp_reply_is_split(const struct smtp_reply *reply);
 *
 *	struct smtp_throttle *smtp_throttle_create(const char *patterns);
 *	int	smtp_throttle_match(const struct smtp_throttle *throttle,
 *				const char *text);
 *	void	smtp_throttle_free(struct smtp_throttle *throttle);
 * DESCRIPTION
 *	smtp_reply_add_line() adds one reply line (without its line end)
 *	to reply and returns 1 when more lines follow ("250-..."), 0 when
 *	this was the last line ("250 ..." or just "250"), or -1 with a
 *	reason in why for a malformed line: not three digits 200..599,
 *	not followed by a space, hyphen or the end, a control character,
 *	a code that differs from the previous line's (RFC 5321 4.2.1),
 *	more than SMTP_REPLY_LINES_LIMIT lines. The reply's code is that
 *	of its last line; its text is all lines joined by single spaces,
 *	as Postfix logs it ("550-5.7.1 first 550 5.7.1 second"), and each
 *	line as received is in reply->line (EHLO keywords); its dsn is
 *	the enhanced status code of the first line when it agrees with the
 *	reply class, else 2.0.0, 4.0.0 or 5.0.0.
 *
 *	smtp_reply_read() reads one whole reply from stream within the
 *	stream's time limits. It returns SMTP_READ_OK, SMTP_READ_TIMEOUT,
 *	SMTP_READ_LOST (end of file or read error), or SMTP_READ_PROTO (a
 *	malformed line, or one longer than SMTP_REPLY_LINE_LIMIT), with a
 *	reason in why.
 *
 *	smtp_reply_classify() returns SMTP_CLASS_OK, _DEFER or _BOUNCE for
 *	the reply class, plus SMTP_CLASS_CLOSE for 421, SMTP_CLASS_SPLIT
 *	for "452 4.5.3" or a 452 about too many recipients (the remaining
 *	recipients go into a new transaction: never a throttle), and
 *	SMTP_CLASS_THROTTLE when the reply text matches one of the
 *	throttle patterns (throttle may be NULL).
 *
 *	smtp_throttle_create() compiles smtp_throttle_reply_patterns: a
 *	list separated by commas or newlines (white space inside a
 *	pattern is part of it) of shell-style patterns, matched without
 *	regard to case against the whole reply text. smtp_throttle_match()
 *	tells whether text matches any of them.
 * SEE ALSO
 *	RFC 5321 section 4.2, RFC 2034, RFC 3463
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/msg.h>
#include <global/dsn.h>

#include <ctype.h>
#include <fnmatch.h>
#include <strings.h>

#include "smtp.h"

struct smtp_throttle {
	struct argv *patterns;
};

/* smtp_reply_init - empty reply */
void
smtp_reply_init(struct smtp_reply *reply)
{
	memset(reply, 0, sizeof(*reply));
	reply->text = buf_new(100);
	reply->line = argv_new(1);
}

/* smtp_reply_reset - forget the previous reply */
void
smtp_reply_reset(struct smtp_reply *reply)
{
	reply->code = 0;
	reply->dsn[0] = 0;
	reply->lines = 0;
	reply->is_done = 0;
	buf_reset(reply->text);
	argv_truncate(reply->line, 0);
}

/* smtp_reply_free - release a reply */
void
smtp_reply_free(struct smtp_reply *reply)
{
	buf_free(reply->text);
	argv_free(reply->line);
	reply->text = NULL;
	reply->line = NULL;
}

/* smtp_reply_code - the code at the start of a line, or -1 */
static int
smtp_reply_code(const char *line, size_t len)
{
	if (len < 3 || line[0] < '2' || line[0] > '5'
	    || !isdigit((unsigned char) line[1]) || !isdigit((unsigned char) line[2]))
		return (-1);
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return (-1);
	return ((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
}

/* smtp_reply_set_dsn - status from the first line */
static void
smtp_reply_set_dsn(struct smtp_reply *reply)
{
	struct dsn dsn;

	dsn_init(&dsn);
	if (reply->code >= 300 && reply->code < 400)
		snprintf(reply->dsn, sizeof(reply->dsn), "2.0.0");
	else if (dsn_from_reply(&dsn, reply->text->data) == 0)
		snprintf(reply->dsn, sizeof(reply->dsn), "%s", dsn.status);
	else
		snprintf(reply->dsn, sizeof(reply->dsn), "%d.0.0", reply->code / 100);
	dsn_free(&dsn);
}

/* smtp_reply_add_line - one line of a reply */
int
smtp_reply_add_line(struct smtp_reply *reply, const char *line, size_t len,
		            struct buf *why)
{
	size_t	i;
	int	code;

	if (reply->is_done)
		msg_panic("smtp_reply_add_line: reply already complete");
	if ((code = smtp_reply_code(line, len)) < 0) {
		buf_cpy(why, "malformed reply line");
		return (-1);
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char) line[i] < ' ' && line[i] != '\t') {
			buf_cpy(why, "control character in reply");
			return (-1);
		}
	}
	if (reply->lines > 0 && code != reply->code) {
		buf_printf(why, "reply line code %d differs from %d", code,
			   reply->code);
		return (-1);
	}
	if (++reply->lines > SMTP_REPLY_LINES_LIMIT) {
		buf_printf(why, "more than %d reply lines", SMTP_REPLY_LINES_LIMIT);
		return (-1);
	}
	if (reply->text->len > 0)
		buf_putc(reply->text, ' ');
	buf_catn(reply->text, line, len);
	argv_addn(reply->line, line, len);
	reply->code = code;
	if (len > 3 && line[3] == '-')
		return (1);
	reply->is_done = 1;
	smtp_reply_set_dsn(reply);
	return (0);
}

/* smtp_reply_printable - a short, safe excerpt for diagnostics */
static void
smtp_reply_printable(struct buf *out, const char *data, size_t len)
{
	size_t	i;

	for (i = 0; i < len && i < 40; i++) {
		unsigned char ch = (unsigned char) data[i];

		if (ch >= ' ' && ch < 0x7f && ch != '\\' && ch != '"')
			buf_putc(out, ch);
		else
			buf_appendf(out, "\\x%02x", ch);
	}
	if (len > 40)
		buf_cat(out, "...");
}

/* smtp_reply_read - read one complete reply */
enum smtp_read_status
smtp_reply_read(struct stream *stream, struct smtp_reply *reply, struct buf *why)
{
	struct buf *line = buf_new(100);
	enum smtp_read_status status = SMTP_READ_OK;
	int	how, more;

	smtp_reply_reset(reply);
	buf_reset(why);
	do {
		how = stream_get_line(stream, line, SMTP_REPLY_LINE_LIMIT);
		if (how == STREAM_LINE_EOF || how == STREAM_LINE_EOF_PARTIAL) {
			status = stream_timed_out(stream) ? SMTP_READ_TIMEOUT : SMTP_READ_LOST;
			if (status == SMTP_READ_LOST && stream_error(stream))
				buf_printf(why, "%m");
			break;
		}
		if (how == STREAM_LINE_PARTIAL) {
			status = SMTP_READ_PROTO;
			buf_printf(why, "reply line longer than %d bytes",
				   SMTP_REPLY_LINE_LIMIT);
			break;
		}
		if ((more = smtp_reply_add_line(reply, line->data, line->len, why)) < 0) {
			status = SMTP_READ_PROTO;
			buf_cat(why, ": \"");
			smtp_reply_printable(why, line->data, line->len);
			buf_cat(why, "\"");
			break;
		}
	} while (more);
	buf_free(line);
	return (status);
}

/* smtp_reply_is_split - "452 4.5.3" or 452 about too many recipients */
int
smtp_reply_is_split(const struct smtp_reply *reply)
{
	if (reply->code != 452)
		return (0);
	if (strcmp(reply->dsn, "4.5.3") == 0)
		return (1);
	return (strcasestr(reply->text->data, "too many recipients") != NULL);
}

/* smtp_reply_classify - class and special meanings of a reply */
int
smtp_reply_classify(const struct smtp_reply *reply,
		            const struct smtp_throttle *throttle)
{
	int	bits;

	if (reply->code < 400)
		return (SMTP_CLASS_OK);
	bits = reply->code < 500 ? SMTP_CLASS_DEFER : SMTP_CLASS_BOUNCE;
	if (reply->code == 421)
		bits |= SMTP_CLASS_CLOSE;
	if (smtp_reply_is_split(reply))
		return (bits | SMTP_CLASS_SPLIT);
	if (throttle && smtp_throttle_match(throttle, reply->text->data))
		bits |= SMTP_CLASS_THROTTLE;
	return (bits);
}

/* smtp_throttle_create - compile the throttle patterns */
struct smtp_throttle *
smtp_throttle_create(const char *patterns)
{
	struct smtp_throttle *throttle = xcalloc(1, sizeof(*throttle));
	struct argv *items = argv_split(patterns ? patterns : "", ",\r\n");
	const char *start, *end;
	size_t	i;

	throttle->patterns = argv_new(items->argc + 1);
	for (i = 0; i < items->argc; i++) {
		start = items->argv[i];
		while (*start == ' ' || *start == '\t')
			start++;
		end = start + strlen(start);
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end > start)
			argv_addn(throttle->patterns, start, (size_t) (end - start));
	}
	argv_free(items);
	return (throttle);
}

/* smtp_throttle_match - does text match any pattern? */
int
smtp_throttle_match(const struct smtp_throttle *throttle, const char *text)
{
	size_t	i;

	for (i = 0; i < throttle->patterns->argc; i++)
		if (fnmatch(throttle->patterns->argv[i], text, FNM_CASEFOLD) == 0)
			return (1);
	return (0);
}

/* smtp_throttle_free - release the patterns */
void
smtp_throttle_free(struct smtp_throttle *throttle)
{
	if (throttle == NULL)
		return;
	argv_free(throttle->patterns);
	free(throttle);
}
