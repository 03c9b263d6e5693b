/*
 * NAME
 *	smtp_text - message content in SMTP DATA form
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	void	smtp_text_init(struct smtp_text *text, long line_limit);
 *	void	smtp_text_out(struct smtp_text *text, int rec_type,
 *				const char *data, size_t len, struct buf *out);
 *	enum smtp_copy_status smtp_text_copy(int fd, long data_offset,
 *				struct stream *out, long line_limit,
 *				struct buf *why);
 * DESCRIPTION
 *	Queue files store the content as REC_TYPE_NORM records (a line, or
 *	the last piece of one) and REC_TYPE_CONT records (a piece of a long
 *	line). smtp_text_out() appends the DATA form of one record to out:
 *	lines end in CR LF; a line that begins with "." gets another "."
 *	(RFC 5321 section 4.5.2); and, as Postfix's smtp_line_length_limit
 *	says, an output line never exceeds line_limit bytes (0: no limit):
 *	a longer line is broken by inserting CR LF SPACE, the space counting
 *	towards the next output line, which limits the damage to MIME
 *	content. The stuffed dot does not count (the server removes it).
 *	A limit of 1 works as 2. The state in text carries over from a CONT
 *	record to the next one, and a line is broken only when more of it
 *	follows, so the result does not depend on how a line was cut into
 *	records.
 *
 *	smtp_text_copy() reads the content of the queue file open on fd,
 *	starting at data_offset with the REC_TYPE_MESG record and ending at
 *	REC_TYPE_XTRA, and writes it to out (without the final "."). It
 *	returns SMTP_COPY_OK, SMTP_COPY_READ_ERR with a reason in why (a
 *	read error, an unexpected record type, a missing MESG at
 *	data_offset) or SMTP_COPY_WRITE_ERR (errno from the stream; the
 *	stream tells timed out or not).
 * SEE ALSO
 *	record(3), RFC 5321 section 4.5.2 and 4.5.3.1.6
 */
#include <util/sys_defs.h>
#include <util/msg.h>
#include <global/record.h>

#include "smtp.h"

#define SMTP_TEXT_FLUSH		8192	/* write when this much is buffered */

/* smtp_text_init - start of the content */
void
smtp_text_init(struct smtp_text *text, long line_limit)
{
	/* Below 2, a broken line could never make progress. */
	text->line_limit = line_limit <= 0 ? 0 : line_limit < 2 ? 2 : line_limit;
	text->used = 0;
}

/* smtp_text_out - one content record in DATA form */
void
smtp_text_out(struct smtp_text *text, int rec_type, const char *data,
	              size_t len, struct buf *out)
{
	size_t	n;

	if (rec_type != REC_TYPE_NORM && rec_type != REC_TYPE_CONT)
		msg_panic("smtp_text_out: bad record type %d", rec_type);
	while (len > 0) {
		if (text->line_limit > 0 && text->used >= text->line_limit) {
			/* The output line is full and more follows: break it. */
			buf_catn(out, "\r\n ", 3);
			text->used = 1;
		}
		if (text->used == 0 && *data == '.')
			buf_putc(out, '.');
		n = len;
		if (text->line_limit > 0 && (long) n > text->line_limit - text->used)
			n = (size_t) (text->line_limit - text->used);
		buf_catn(out, data, n);
		data += n;
		len -= n;
		text->used += (long) n;
	}
	if (rec_type == REC_TYPE_NORM) {
		buf_catn(out, "\r\n", 2);
		text->used = 0;
	}
}

/* smtp_text_write - write what is buffered */
static int
smtp_text_write(struct stream *out, struct buf *pending)
{
	int	ret = stream_write(out, pending->data, pending->len);

	buf_reset(pending);
	return (ret);
}

/* smtp_text_copy - queue file content to the server */
enum smtp_copy_status
smtp_text_copy(int fd, long data_offset, struct stream *out, long line_limit,
	               struct buf *why)
{
	struct rec_io *rp = rec_open(fd, REC_READ);
	struct buf *data = buf_new(1024);
	struct buf *pending = buf_new(SMTP_TEXT_FLUSH + 1024);
	enum smtp_copy_status status = SMTP_COPY_OK;
	struct smtp_text text;
	int	type, last_type = REC_TYPE_NORM;

	smtp_text_init(&text, line_limit);
	if (rec_seek(rp, data_offset) < 0
	    || (type = rec_get(rp, data, REC_ENVELOPE_LIMIT, NULL)) != REC_TYPE_MESG) {
		buf_printf(why, "no content record at offset %ld", data_offset);
		status = SMTP_COPY_READ_ERR;
		goto out;
	}
	for (;;) {
		type = rec_get(rp, data, REC_ENVELOPE_LIMIT, NULL);
		if (type == REC_TYPE_XTRA)
			break;
		if (type != REC_TYPE_NORM && type != REC_TYPE_CONT) {
			if (type == REC_TYPE_ERROR || type == REC_TYPE_EOF)
				buf_printf(why, "content read error: %s",
					   rec_error(rp) ? rec_error(rp) : "end of file");
			else
				buf_printf(why, "unexpected record type %d in content", type);
			status = SMTP_COPY_READ_ERR;
			goto out;
		}
		smtp_text_out(&text, type, data->data, data->len, pending);
		last_type = type;
		if (pending->len >= SMTP_TEXT_FLUSH && smtp_text_write(out, pending) < 0) {
			status = SMTP_COPY_WRITE_ERR;
			goto out;
		}
	}
	/* A content that ends inside a long line still ends with CR LF. */
	if (last_type == REC_TYPE_CONT)
		smtp_text_out(&text, REC_TYPE_NORM, "", 0, pending);
	if (pending->len > 0 && smtp_text_write(out, pending) < 0)
		status = SMTP_COPY_WRITE_ERR;
out:
	rec_close(rp);
	buf_free(data);
	buf_free(pending);
	return (status);
}
