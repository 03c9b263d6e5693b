/*
 * NAME
 *	postdrop_copy - check and store a submission in a maildrop file
 * SYNOPSIS
 *	#include "sendmail.h"
 *
 *	int	postdrop_copy(struct rec_io *in, struct rec_io *out,
 *			long size_limit, struct buf *why);
 * DESCRIPTION
 *	postdrop_copy() writes a TIME record with the current time, then
 *	copies the records of in (from sendmail, not trusted) to out (the
 *	new maildrop file) one by one, checking each against the
 *	maildrop(3) grammar, until in ends. It returns 0 when the stream
 *	was complete and valid and everything was written (out is
 *	flushed), -1 with a reason for bad input or a write error, and -2
 *	when out grew beyond size_limit bytes (0: no limit). The caller
 *	owns both files and removes out on failure.
 * SEE ALSO
 *	postdrop(1), maildrop(3)
 */
#include <util/sys_defs.h>
#include <util/msg.h>
#include <global/maildrop.h>

#include <sys/time.h>

#include "sendmail.h"

/* postdrop_put - write one checked record */

static int
postdrop_put(struct rec_io *out, int type, const struct buf *data,
	     long size_limit, struct buf *why)
{
	if (rec_put(out, type, buf_str(data), buf_len(data)) < 0) {
		buf_printf(why, "write: %s", rec_error(out));
		return (-1);
	}
	if (size_limit > 0 && rec_tell(out) > size_limit) {
		buf_printf(why, "message file too big");
		return (-2);
	}
	return (0);
}

/* postdrop_copy_records - the copy loop */

static int
postdrop_copy_records(struct rec_io *in, struct rec_io *out, long size_limit,
		      struct maildrop_check *mc, struct buf *data,
		      struct buf *why)
{
	int	type, status;

	for (;;) {
		type = rec_get(in, data, MAILDROP_LINE_LIMIT, NULL);
		if (type == REC_TYPE_EOF)
			return (maildrop_check_eof(mc, why));
		if (type == REC_TYPE_ERROR) {
			buf_printf(why, "read: %s", rec_error(in));
			return (-1);
		}
		if (maildrop_check_record(mc, type, buf_str(data), buf_len(data), why) < 0)
			return (-1);
		if ((status = postdrop_put(out, type, data, size_limit, why)) < 0)
			return (status);
	}
}

/* postdrop_copy - TIME, then the checked copy */

int
postdrop_copy(struct rec_io *in, struct rec_io *out, long size_limit,
	      struct buf *why)
{
	struct maildrop_check mc;
	struct buf *data = buf_new(1024);
	struct timeval tv;
	int	status;

	maildrop_check_init(&mc, 1);
	gettimeofday(&tv, NULL);
	buf_printf(data, "%lld %ld", (long long) tv.tv_sec, (long) tv.tv_usec);
	if (maildrop_check_record(&mc, REC_TYPE_TIME, buf_str(data), buf_len(data), why) < 0)
		msg_panic("postdrop_copy: own time record rejected: %s", buf_str(why));
	status = postdrop_put(out, REC_TYPE_TIME, data, size_limit, why);
	if (status == 0)
		status = postdrop_copy_records(in, out, size_limit, &mc, data, why);
	if (status == 0 && rec_flush(out) < 0) {
		buf_printf(why, "write: %s", rec_error(out));
		status = -1;
	}
	buf_free(data);
	return (status);
}
