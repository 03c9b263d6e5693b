/*
 * NAME
 *	local_copy - copy the message out of the queue file
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_content_each(int qfd, long data_offset,
 *			local_content_fn fn, void *ctx, struct buf *why);
 *	int	local_header_scan(int qfd, long data_offset,
 *			struct htable *delivered, struct buf *why);
 *	int	local_copy(int qfd, long data_offset, int out_fd, int flags,
 *			const struct local_copy_attr *attr, struct buf *why);
 *	void	local_copy_attr_init(struct local_copy_attr *attr,
 *			const struct local_state *state, int flags);
 *	int	local_copy_flags(int flags, const char *hdr_class);
 * DESCRIPTION
 *	local_content_each() reads the content segment that starts with
 *	the MESG record at data_offset and calls fn for each NORM (end of
 *	a line) and CONT (piece of a long line) record until XTRA. It
 *	returns 0 at the end, a non-zero value fn returned to stop early,
 *	or LOCAL_COPY_ERR_READ with a reason in why.
 *
 *	local_header_scan() adds the value of every Delivered-To: header,
 *	lowercased and without surrounding blanks, to delivered (value
 *	NULL), for mail forwarding loop detection.
 *
 *	local_copy() writes the message to out_fd as Postfix's mail_copy()
 *	does, with "\n" line endings. flags (LOCAL_COPY_*) ask for a
 *	"From sender  date" line first (the null sender is MAILER-DAEMON;
 *	the date is attr->now in asctime() form), then Return-Path:
 *	<sender>, X-Original-To: and Delivered-To: headers (lowercase),
 *	quoting of lines that begin with "From " as ">From " (mbox), and
 *	an empty line after the message (mbox). With attr->limit > 0 the
 *	output stops with EFBIG before attr->start plus the bytes written
 *	would exceed it (mailbox_size_limit). It returns LOCAL_COPY_OK,
 *	LOCAL_COPY_ERR_READ (queue file problem; why says what) or
 *	LOCAL_COPY_ERR_WRITE (errno says why).
 *
 *	local_copy_attr_init() fills attr for the recipient in state:
 *	sender, X-Original-To from the original recipient, Delivered-To
 *	the address being delivered, now, and mailbox_size_limit as the
 *	limit. local_copy_flags() removes LOCAL_COPY_DELIVERED when
 *	hdr_class ("command", "file", "forward") is not in
 *	prepend_delivered_header, and LOCAL_COPY_ORIG_RCPT when
 *	enable_original_recipient is off.
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/stream.h>
#include <global/address.h>
#include <global/params.h>
#include <global/record.h>

#include "local.h"

 /*
  * State of one copy.
  */
struct local_copy_state {
	struct stream *out;
	int	flags;
	int	at_line_start;
	long	written;
	long	room;			/* bytes allowed, -1 = no limit */
};

/* local_content_each - walk the content records */
int
local_content_each(int qfd, long data_offset, local_content_fn fn, void *ctx,
		           struct buf *why)
{
	struct rec_io *rp;
	struct buf *data = buf_new(512);
	int	type;
	int	ret = 0;

	if (lseek(qfd, (off_t) data_offset, SEEK_SET) < 0) {
		buf_printf(why, "queue file seek: %m");
		buf_free(data);
		return (LOCAL_COPY_ERR_READ);
	}
	rp = rec_open(qfd, REC_READ);
	if (rec_get(rp, data, REC_ENVELOPE_LIMIT, NULL) != REC_TYPE_MESG) {
		buf_printf(why, "no message content at offset %ld", data_offset);
		ret = LOCAL_COPY_ERR_READ;
	}
	while (ret == 0) {
		type = rec_get(rp, data, REC_LEN_MAX, NULL);
		if (type == REC_TYPE_XTRA)
			break;
		if (type != REC_TYPE_NORM && type != REC_TYPE_CONT) {
			buf_printf(why, "queue file read error: %s",
				   rec_error(rp) ? rec_error(rp) : "unexpected record type");
			ret = LOCAL_COPY_ERR_READ;
			break;
		}
		ret = fn(type, buf_str(data), buf_len(data), ctx);
	}
	(void) rec_close(rp);
	buf_free(data);
	return (ret);
}

 /*
  * Header scan state.
  */
struct local_scan {
	struct htable *delivered;
	struct buf *line;
	long	bytes;
};

/* local_scan_record - collect Delivered-To: values until the body */
static int
local_scan_record(int type, const char *data, size_t len, void *ctx)
{
	struct local_scan *scan = ctx;
	static const char name[] = "delivered-to:";
	const char *cp;
	const char *end;
	char   *lc;

	if ((scan->bytes += (long) len) > var_header_size_limit)
		return (1);
	buf_catn(scan->line, data, len);
	if (type == REC_TYPE_CONT)
		return (0);
	if (buf_len(scan->line) == 0)
		return (1);			/* end of headers */
	if (strncasecmp(buf_str(scan->line), name, sizeof(name) - 1) == 0) {
		cp = buf_str(scan->line) + sizeof(name) - 1;
		cp += strspn(cp, " \t");
		for (end = cp + strlen(cp); end > cp && isspace((unsigned char) end[-1]); end--)
			 /* void */ ;
		if (end > cp) {
			struct buf *value = buf_new((size_t) (end - cp) + 1);

			for (; cp < end; cp++)
				buf_putc(value, tolower((unsigned char) *cp));
			for (lc = buf_str(value); *lc == '<'; lc++)
				 /* void */ ;
			if (lc[0] && lc[strlen(lc) - 1] == '>')
				lc[strlen(lc) - 1] = 0;
			(void) htable_enter(scan->delivered, lc, NULL);
			buf_free(value);
		}
	}
	buf_reset(scan->line);
	return (0);
}

/* local_header_scan - Delivered-To: values of the message */
int
local_header_scan(int qfd, long data_offset, struct htable *delivered,
		          struct buf *why)
{
	struct local_scan scan;
	int	ret;

	scan.delivered = delivered;
	scan.line = buf_new(256);
	scan.bytes = 0;
	ret = local_content_each(qfd, data_offset, local_scan_record, &scan, why);
	buf_free(scan.line);
	return (ret == LOCAL_COPY_ERR_READ ? -1 : 0);
}

/* local_copy_write - bytes to the output, within the limit */
static int
local_copy_write(struct local_copy_state *cs, const char *data, size_t len)
{
	if (cs->room >= 0) {
		if ((long) len > cs->room - cs->written) {
			errno = EFBIG;
			return (-1);
		}
	}
	cs->written += (long) len;
	return (stream_write(cs->out, data, len));
}

/* local_copy_record - one content record */
static int
local_copy_record(int type, const char *data, size_t len, void *ctx)
{
	struct local_copy_state *cs = ctx;

	if (cs->at_line_start && (cs->flags & LOCAL_COPY_QUOTE)
	    && len >= 5 && strncmp(data, "From ", 5) == 0
	    && local_copy_write(cs, ">", 1) < 0)
		return (LOCAL_COPY_ERR_WRITE);
	if (local_copy_write(cs, data, len) < 0)
		return (LOCAL_COPY_ERR_WRITE);
	cs->at_line_start = (type == REC_TYPE_NORM);
	if (cs->at_line_start && local_copy_write(cs, "\n", 1) < 0)
		return (LOCAL_COPY_ERR_WRITE);
	return (0);
}

/* local_copy_line - a formatted line of our own */
static int
local_copy_line(struct local_copy_state *cs, struct buf *line)
{
	buf_putc(line, '\n');
	return (local_copy_write(cs, buf_str(line), buf_len(line)));
}

/* local_copy_prefix - From_ line and prepended headers */
static int
local_copy_prefix(struct local_copy_state *cs, const struct local_copy_attr *attr)
{
	struct buf *line = buf_new(256);
	struct buf *quoted = buf_new(64);
	char	date[32];
	struct tm tm;
	int	ret = 0;

	if (cs->flags & LOCAL_COPY_FROM) {
		if (localtime_r(&attr->now, &tm) == NULL || asctime_r(&tm, date) == NULL)
			snprintf(date, sizeof(date), "%lld", (long long) attr->now);
		buf_printf(line, "From %s  %.24s", *attr->sender ? attr->sender : "MAILER-DAEMON",
			   date);
		ret |= local_copy_line(cs, line);
	}
	if (cs->flags & LOCAL_COPY_RETURN_PATH) {
		buf_printf(line, "Return-Path: <%s>", address_quote(quoted, attr->sender));
		ret |= local_copy_line(cs, line);
	}
	if ((cs->flags & LOCAL_COPY_ORIG_RCPT) && attr->orig_rcpt && *attr->orig_rcpt) {
		buf_printf(line, "X-Original-To: %s", address_quote(quoted, attr->orig_rcpt));
		ret |= local_copy_line(cs, line);
	}
	if ((cs->flags & LOCAL_COPY_DELIVERED) && attr->delivered_to && *attr->delivered_to) {
		char   *cp;

		buf_printf(line, "Delivered-To: %s", address_quote(quoted, attr->delivered_to));
		for (cp = buf_str(line) + 14; *cp; cp++)
			*cp = (char) tolower((unsigned char) *cp);
		ret |= local_copy_line(cs, line);
	}
	buf_free(line);
	buf_free(quoted);
	return (ret ? -1 : 0);
}

/* local_copy - the message to out_fd */
int
local_copy(int qfd, long data_offset, int out_fd, int flags,
	           const struct local_copy_attr *attr, struct buf *why)
{
	struct local_copy_state cs;
	int	ret;
	int	saved;

	cs.out = stream_fdopen(out_fd, STREAM_WRITE);
	cs.flags = flags;
	cs.at_line_start = 1;
	cs.written = 0;
	cs.room = attr->limit > 0 ? attr->limit - attr->start : -1;
	if (cs.room != -1 && cs.room < 0)
		cs.room = 0;
	if (local_copy_prefix(&cs, attr) < 0)
		ret = LOCAL_COPY_ERR_WRITE;
	else
		ret = local_content_each(qfd, data_offset, local_copy_record, &cs, why);
	if (ret == LOCAL_COPY_OK && (flags & LOCAL_COPY_BLANK)
	    && local_copy_write(&cs, "\n", 1) < 0)
		ret = LOCAL_COPY_ERR_WRITE;
	saved = errno;
	if (ret == LOCAL_COPY_OK && stream_flush(cs.out) < 0) {
		ret = LOCAL_COPY_ERR_WRITE;
		saved = errno;
	}
	if (ret == LOCAL_COPY_OK && stream_error(cs.out)) {
		ret = LOCAL_COPY_ERR_WRITE;
		saved = errno ? errno : EIO;
	}
	/* Callers truncate or remove the output of a failed copy. */
	(void) stream_free(cs.out);
	errno = saved;
	return (ret);
}

/* local_copy_flags - apply prepend_delivered_header and friends */
int
local_copy_flags(int flags, const char *hdr_class)
{
	struct argv *classes = argv_split(var_prepend_delivered_header, ARGV_LIST_DELIMS);
	size_t	i;
	int	found = 0;

	for (i = 0; i < classes->argc && !found; i++)
		found = (strcasecmp(classes->argv[i], hdr_class) == 0);
	argv_free(classes);
	if (!found)
		flags &= ~LOCAL_COPY_DELIVERED;
	if (!var_enable_original_recipient)
		flags &= ~LOCAL_COPY_ORIG_RCPT;
	return (flags);
}

/* local_copy_attr_init - attributes for the recipient in state */
void
local_copy_attr_init(struct local_copy_attr *attr, const struct local_state *state,
		             int flags)
{
	const struct deliver_rcpt *rcpt = state->rcpt;

	(void) flags;
	memset(attr, 0, sizeof(*attr));
	attr->sender = state->msg->req->sender;
	attr->orig_rcpt = (rcpt->orig_address && *rcpt->orig_address)
		? rcpt->orig_address : rcpt->address;
	attr->delivered_to = state->address;
	attr->now = time(NULL);
	attr->limit = var_mailbox_size_limit;
}
