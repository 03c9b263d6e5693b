/*
 * NAME
 *	showq_fast - read a well-formed queue file envelope in one gulp
 * SYNOPSIS
 *	#include "showq.h"
 *
 *	int	showq_fast_read(int fd, const struct stat *st,
 *			struct qfile_envelope *env);
 *	void	showq_fast_release(void);
 * DESCRIPTION
 *	qshape and mailq read a million envelopes in a row; most of their
 *	time goes into system calls. qfile_read_envelope() positions and
 *	reads through a buffered record reader (about nine calls per file);
 *	this reader takes the first SHOWQ_FAST_CHUNK bytes with one pread(),
 *	and the extracted segment with a second one only when the content
 *	is larger than that, then decodes the records in memory.
 *
 *	It fills env exactly as qfile_read_envelope() would, but only for a
 *	file that is obviously well formed: records in the order record(3)
 *	prescribes, lengths in shortest form, no null bytes outside
 *	content, a SIZE record that agrees with the recipient count and the
 *	content position, a content pointer that lands on the extracted
 *	segment, END as the last byte (of st->st_size; with st NULL, a read
 *	past it finds nothing). For anything else it returns -1 and
 *	the caller uses qfile_read_envelope(), which checks everything and
 *	explains what is wrong; so this is a shortcut, never a second
 *	opinion about what a queue file is. Each thread has its own buffer;
 *	showq_fast_release() frees the calling thread's.
 * SEE ALSO
 *	record(3)
 */
#include <util/sys_defs.h>
#include <sys/stat.h>
#include <unistd.h>
#include <util/alloc.h>
#include <global/dsn.h>
#include <global/record.h>

#include "showq.h"

#define SHOWQ_FAST_CHUNK	16384

 /*
  * The bytes in memory and where they came from.
  */
struct showq_fast {
	unsigned char buf[SHOWQ_FAST_CHUNK];
	size_t	len;			/* bytes in buf */
	off_t	base;			/* file offset of buf[0] */
	size_t	pos;			/* next record */
	struct buf *data;		/* record data, null-terminated */
	off_t	offset;			/* file offset of the last record */
	char   *orig;			/* recipient group being read */
	char   *dsn_orcpt;
	int	notify;
	long	nrcpt;
};

/* showq_fast_load - bytes from offset on; 0 or -1 */

static int
showq_fast_load(struct showq_fast *fp, int fd, off_t offset)
{
	ssize_t	n;

	if ((n = pread(fd, fp->buf, sizeof(fp->buf), offset)) <= 0)
		return (-1);
	fp->len = (size_t) n;
	fp->base = offset;
	fp->pos = 0;
	return (0);
}

/* showq_fast_next - decode one record; its type, or -1 */

static int
showq_fast_next(struct showq_fast *fp)
{
	const unsigned char *cp = fp->buf + fp->pos;
	size_t	avail = fp->len - fp->pos, len = 0, i;
	int	type;

	if (avail < 2)
		return (-1);
	type = cp[0];
	for (i = 1; i <= REC_LEN_BYTES; i++) {
		if (i >= avail)
			return (-1);
		len |= (size_t) (cp[i] & 0x7f) << (7 * (i - 1));
		if ((cp[i] & 0x80) == 0)
			break;
	}
	if (i > REC_LEN_BYTES || (i > 1 && cp[i] == 0) || len > avail - i - 1)
		return (-1);
	buf_reset(fp->data);
	buf_catn(fp->data, cp + i + 1, len);
	if (memchr(buf_str(fp->data), 0, len) != NULL)
		return (-1);
	fp->offset = fp->base + (off_t) fp->pos;
	fp->pos += i + 1 + len;
	return (type);
}

/* showq_fast_time - "seconds microseconds" */

static int
showq_fast_time(const char *data, struct qfile_envelope *env)
{
	size_t	slen = strspn(data, "0123456789"), ulen;

	if (slen == 0 || slen > 15 || data[slen] != ' ')
		return (-1);
	ulen = strspn(data + slen + 1, "0123456789");
	if (ulen == 0 || ulen > 6 || data[slen + 1 + ulen] != 0)
		return (-1);
	env->arrival = (time_t) strtoll(data, NULL, 10);
	env->arrival_usec = strtol(data + slen + 1, NULL, 10);
	return (0);
}

/* showq_fast_notify - a DSN NOTIFY mask as record(3) allows it, or -1 */

static int
showq_fast_notify(const char *data)
{
	char   *end;
	long	mask;

	if (*data < '0' || *data > '9')
		return (-1);
	mask = strtol(data, &end, 10);
	if (*end != 0 || mask <= 0
	    || (mask & ~(long) (DSN_NOTIFY_NEVER | DSN_NOTIFY_ANY))
	    || ((mask & DSN_NOTIFY_NEVER) && mask != DSN_NOTIFY_NEVER))
		return (-1);
	return ((int) mask);
}

/* showq_fast_attr_ok - name=value with a name of [A-Za-z0-9_-] */

static int
showq_fast_attr_ok(const char *data)
{
	size_t	n = strspn(data, "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

	return (n > 0 && data[n] == '=');
}

/* showq_fast_group - ORCP, DORC, NTFY, RCPT, DONE; -1 when odd */

static int
showq_fast_group(struct showq_fast *fp, struct qfile_envelope *env, int type)
{
	const char *data = buf_str(fp->data);
	struct qfile_rcpt *rcpt;

	switch (type) {
	case REC_TYPE_ORCP:
		if (fp->orig)
			return (-1);
		fp->orig = xstrdup(data);
		return (0);
	case REC_TYPE_DORC:
		if (fp->dsn_orcpt)
			return (-1);
		fp->dsn_orcpt = xstrdup(data);
		return (0);
	case REC_TYPE_NTFY:
		if (fp->notify || (fp->notify = showq_fast_notify(data)) < 0)
			return (-1);
		return (0);
	default:
		if (*data == 0)
			return (-1);
		rcpt = qfile_envelope_add_rcpt(env, data, NULL, fp->notify);
		rcpt->orig = fp->orig;
		rcpt->dsn_orcpt = fp->dsn_orcpt;
		rcpt->offset = fp->offset;
		rcpt->is_done = (type == REC_TYPE_DONE);
		fp->orig = fp->dsn_orcpt = NULL;
		fp->notify = 0;
		fp->nrcpt++;
		return (0);
	}
}

/* showq_fast_common - records allowed in both envelope and extracted */

static int
showq_fast_common(struct showq_fast *fp, struct qfile_envelope *env, int type)
{
	char   *eq;

	switch (type) {
	case REC_TYPE_ATTR:
		if (!showq_fast_attr_ok(buf_str(fp->data)))
			return (-1);
		eq = strchr(buf_str(fp->data), '=');
		*eq = 0;
		qfile_envelope_add_attr(env, buf_str(fp->data), eq + 1);
		return (0);
	case REC_TYPE_ORCP:
	case REC_TYPE_DORC:
	case REC_TYPE_NTFY:
	case REC_TYPE_RCPT:
	case REC_TYPE_DONE:
		return (showq_fast_group(fp, env, type));
	default:
		return (-1);
	}
}

/* showq_fast_envelope - SIZE .. MESG; the content pointer, or -1 */

static off_t
showq_fast_envelope(struct showq_fast *fp, struct qfile_envelope *env,
		    struct rec_size *size)
{
	long long value;
	int	type;

	if (showq_fast_next(fp) != REC_TYPE_SIZE
	    || rec_parse_size(buf_str(fp->data), buf_len(fp->data), size) < 0)
		return (-1);
	while ((type = showq_fast_next(fp)) >= 0) {
		const char *data = buf_str(fp->data);

		switch (type) {
		case REC_TYPE_TIME:
			if (env->arrival || showq_fast_time(data, env) < 0)
				return (-1);
			break;
		case REC_TYPE_FROM:
			if (env->sender)
				return (-1);
			env->sender = xstrdup(data);
			break;
		case REC_TYPE_FULL:
			free(env->full_name);
			env->full_name = xstrdup(data);
			break;
		case REC_TYPE_PRIO:
			free(env->priority);
			env->priority = xstrdup(data);
			break;
		case REC_TYPE_WARN:
			if (rec_parse_fixed(data, buf_len(fp->data), &value) < 0)
				return (-1);
			env->warn_time = (time_t) value;
			env->warn_offset = fp->offset;
			break;
		case REC_TYPE_MESG:
			if (rec_parse_fixed(data, buf_len(fp->data), &value) < 0
			    || fp->orig || fp->dsn_orcpt || fp->notify
			    || env->sender == NULL || env->arrival == 0)
				return (-1);
			env->mesg_offset = fp->offset;
			return ((off_t) value);
		default:
			if (showq_fast_common(fp, env, type) < 0)
				return (-1);
		}
	}
	return (-1);
}

/* showq_fast_at_eof - do the bytes in memory end the file? */

static int
showq_fast_at_eof(const struct showq_fast *fp, int fd, const struct stat *st)
{
	unsigned char byte;

	if (st != NULL)
		return (fp->base + (off_t) fp->len == st->st_size);
	/* Size unknown: a short read ended at the end, else look one further. */
	return (fp->len < sizeof(fp->buf)
		|| pread(fd, &byte, 1, fp->base + (off_t) fp->len) == 0);
}

/* showq_fast_extracted - XTRA .. END at the content pointer */

static int
showq_fast_extracted(struct showq_fast *fp, int fd, off_t xtra,
		     const struct stat *st, struct qfile_envelope *env)
{
	int	type;

	if (xtra >= fp->base && xtra < fp->base + (off_t) fp->len)
		fp->pos = (size_t) (xtra - fp->base);
	else if (showq_fast_load(fp, fd, xtra) < 0)
		return (-1);
	if (showq_fast_next(fp) != REC_TYPE_XTRA || fp->offset != xtra
	    || buf_len(fp->data) != 0)
		return (-1);
	env->xtra_offset = xtra;
	while ((type = showq_fast_next(fp)) >= 0) {
		if (type == REC_TYPE_END)
			return (buf_len(fp->data) == 0 && fp->pos == fp->len
				&& showq_fast_at_eof(fp, fd, st)
				&& !fp->orig && !fp->dsn_orcpt && !fp->notify ? 0 : -1);
		if (showq_fast_common(fp, env, type) < 0)
			return (-1);
	}
	return (-1);
}

static _Thread_local struct showq_fast *showq_fast_state;	/* per thread */

/* showq_fast_release - free this thread's buffer */

void
showq_fast_release(void)
{
	if (showq_fast_state) {
		buf_free(showq_fast_state->data);
		free(showq_fast_state);
		showq_fast_state = NULL;
	}
}

/* showq_fast_read - the envelope of a well-formed queue file, or -1 */

int
showq_fast_read(int fd, const struct stat *st, struct qfile_envelope *env)
{
	struct showq_fast *fp = showq_fast_state;
	struct rec_size size;
	off_t	xtra;
	int	status = -1;

	if (fp == NULL) {
		fp = showq_fast_state = xcalloc(1, sizeof(*fp));
		fp->data = buf_new(256);
	}
	fp->orig = fp->dsn_orcpt = NULL;
	fp->notify = 0;
	fp->nrcpt = 0;
	qfile_envelope_free(env);
	if (showq_fast_load(fp, fd, 0) == 0
	    && (xtra = showq_fast_envelope(fp, env, &size)) > 0
	    && size.content_offset == env->mesg_offset
	    && showq_fast_extracted(fp, fd, xtra, st, env) == 0
	    && fp->nrcpt > 0 && fp->nrcpt == size.rcpt_count) {
		env->size = size.content_size;
		env->rcpt_total = size.rcpt_count;
		status = 0;
	}
	free(fp->orig);
	free(fp->dsn_orcpt);
	if (status < 0)
		qfile_envelope_free(env);
	return (status);
}
