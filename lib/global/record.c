/*
 * NAME
 *	record - typed, length-prefixed queue file records
 * DESCRIPTION
 *	See record.h for the format. This file has the buffered record
 *	reader and writer on a plain file descriptor, the fixed-width
 *	records and the in-place updates; qfile.c checks whole files and
 *	reads and writes envelopes.
 *
 *	The reader never allocates more than the data actually present:
 *	a record that claims a huge length grows its buffer only as bytes
 *	arrive, so a corrupt length cannot exhaust memory before the
 *	truncation is noticed.
 */
#include <util/sys_defs.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>
#include <global/record.h>

#define REC_IO_BUFSIZE	8192

struct rec_io {
	int	fd;
	int	mode;			/* REC_READ or REC_WRITE */
	off_t	base;			/* file offset of buf[0] */
	size_t	len;			/* bytes in buf */
	size_t	pos;			/* read position in buf */
	int	error;			/* sticky write errno, 0 if none */
	struct buf *why;		/* last error, for rec_error() */
	unsigned char buf[REC_IO_BUFSIZE];
};

struct rec_type_info {
	int	type;
	const char *name;
};

static const struct rec_type_info rec_types[] = {
	{REC_TYPE_SIZE, "message_size"},
	{REC_TYPE_TIME, "message_arrival_time"},
	{REC_TYPE_FROM, "sender"},
	{REC_TYPE_FULL, "sender_fullname"},
	{REC_TYPE_PRIO, "priority"},
	{REC_TYPE_ATTR, "named_attribute"},
	{REC_TYPE_WARN, "warning_message_time"},
	{REC_TYPE_ORCP, "original_recipient"},
	{REC_TYPE_DORC, "dsn_original_recipient"},
	{REC_TYPE_NTFY, "dsn_notify_flags"},
	{REC_TYPE_RCPT, "recipient"},
	{REC_TYPE_DONE, "done_recipient"},
	{REC_TYPE_MESG, "message_content"},
	{REC_TYPE_NORM, "regular_text"},
	{REC_TYPE_CONT, "continued_text"},
	{REC_TYPE_XTRA, "extracted_info"},
	{REC_TYPE_END, "message_end"},
};

/* rec_type_name - printable name of a record type */
const char *
rec_type_name(int type)
{
	size_t	i;

	for (i = 0; i < ARRAY_LEN(rec_types); i++)
		if (rec_types[i].type == type)
			return (rec_types[i].name);
	if (type == REC_TYPE_EOF)
		return ("end_of_file");
	if (type == REC_TYPE_ERROR)
		return ("error");
	return ("unknown");
}

/* rec_type_valid - is this a record type of the format */
bool
rec_type_valid(int type)
{
	size_t	i;

	for (i = 0; i < ARRAY_LEN(rec_types); i++)
		if (rec_types[i].type == type)
			return (true);
	return (false);
}

/* rec_open - buffered record I/O on a descriptor */
struct rec_io *
rec_open(int fd, int mode)
{
	struct rec_io *rp;
	off_t	offset;

	if (mode != REC_READ && mode != REC_WRITE)
		msg_panic("rec_open: bad mode %d", mode);
	rp = xmalloc(sizeof(*rp));
	rp->fd = fd;
	rp->mode = mode;
	offset = lseek(fd, 0, SEEK_CUR);
	rp->base = offset < 0 ? 0 : offset;
	rp->len = rp->pos = 0;
	rp->error = 0;
	rp->why = buf_new(80);
	return (rp);
}

static void rec_fail(struct rec_io *, int, const char *,...) PRINTFLIKE(3, 4);

/* rec_fail - record an error reason */
static void
rec_fail(struct rec_io *rp, int err, const char *fmt,...)
{
	va_list	ap;

	buf_reset(rp->why);
	va_start(ap, fmt);
	buf_vappendf(rp->why, fmt, ap);
	va_end(ap);
	errno = err;
}

/* rec_error - why the last operation failed */
const char *
rec_error(const struct rec_io *rp)
{
	return (buf_len(rp->why) ? buf_str(rp->why) : "no error");
}

/* rec_tell - offset of the next record */
off_t
rec_tell(const struct rec_io *rp)
{
	return (rp->base + (off_t) (rp->mode == REC_READ ? rp->pos : rp->len));
}

/* rec_write_all - write(2) everything, retrying short writes */
static ssize_t
rec_write_all(int fd, const void *data, size_t len)
{
	const char *cp = data;
	ssize_t	n;
	size_t	done = 0;

	while (done < len) {
		if ((n = write(fd, cp + done, len - done)) < 0) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		done += (size_t) n;
	}
	return ((ssize_t) done);
}

/* rec_flush - write buffered output */
int
rec_flush(struct rec_io *rp)
{
	if (rp->mode != REC_WRITE)
		return (0);
	if (rp->error) {
		errno = rp->error;
		return (-1);
	}
	if (rp->len > 0 && rec_write_all(rp->fd, rp->buf, rp->len) < 0) {
		rp->error = errno;
		rec_fail(rp, rp->error, "write error at offset %lld: %m",
			 (long long) rp->base);
		return (-1);
	}
	rp->base += (off_t) rp->len;
	rp->len = 0;
	return (0);
}

/* rec_close - flush and free, leaving the descriptor open */
int
rec_close(struct rec_io *rp)
{
	int	status;

	if (rp == NULL)
		return (0);
	status = rec_flush(rp);
	buf_free(rp->why);
	free(rp);
	return (status);
}

/* rec_seek - reposition */
int
rec_seek(struct rec_io *rp, off_t offset)
{
	if (rec_flush(rp) < 0)
		return (-1);
	if (offset < 0) {
		rec_fail(rp, EINVAL, "seek to negative offset %lld", (long long) offset);
		return (-1);
	}
	if (lseek(rp->fd, offset, SEEK_SET) < 0) {
		rec_fail(rp, errno, "seek to offset %lld: %m", (long long) offset);
		return (-1);
	}
	rp->base = offset;
	rp->len = rp->pos = 0;
	return (0);
}

/* rec_write_bytes - append bytes to the output */
static int
rec_write_bytes(struct rec_io *rp, const void *data, size_t len)
{
	if (rp->len + len > sizeof(rp->buf) && rec_flush(rp) < 0)
		return (-1);
	if (len >= sizeof(rp->buf)) {
		if (rec_write_all(rp->fd, data, len) < 0) {
			rp->error = errno;
			rec_fail(rp, rp->error, "write error at offset %lld: %m",
				 (long long) rp->base);
			return (-1);
		}
		rp->base += (off_t) len;
		return (0);
	}
	memcpy(rp->buf + rp->len, data, len);
	rp->len += len;
	return (0);
}

/* rec_put - append one record */
int
rec_put(struct rec_io *rp, int type, const void *data, size_t len)
{
	unsigned char head[1 + REC_LEN_BYTES];
	size_t	hlen = 0;
	size_t	rest = len;

	if (rp->mode != REC_WRITE)
		msg_panic("rec_put: stream not open for writing");
	if (rp->error) {
		errno = rp->error;
		return (-1);
	}
	if (type < 0 || type > 255 || len > REC_LEN_MAX) {
		rec_fail(rp, EINVAL, "bad record type %d or length %zu", type, len);
		return (-1);
	}
	head[hlen++] = (unsigned char) type;
	do {
		head[hlen] = rest & 0x7f;
		rest >>= 7;
		if (rest)
			head[hlen] |= 0x80;
		hlen++;
	} while (rest);
	if (rec_write_bytes(rp, head, hlen) < 0
	    || (len > 0 && rec_write_bytes(rp, data, len) < 0))
		return (-1);
	return (0);
}

/* rec_fprintf - append a record with formatted data */
int
rec_fprintf(struct rec_io *rp, int type, const char *fmt,...)
{
	struct buf *data = buf_new(100);
	va_list	ap;
	int	status;

	va_start(ap, fmt);
	buf_vappendf(data, fmt, ap);
	va_end(ap);
	status = rec_put(rp, type, buf_str(data), buf_len(data));
	buf_free(data);
	return (status);
}

/* rec_put_text - one text line as CONT pieces and a final NORM */
int
rec_put_text(struct rec_io *rp, const char *text, size_t len, size_t chunk)
{
	while (chunk > 0 && len > chunk) {
		if (rec_put(rp, REC_TYPE_CONT, text, chunk) < 0)
			return (-1);
		text += chunk;
		len -= chunk;
	}
	return (rec_put(rp, REC_TYPE_NORM, text, len));
}

/* rec_fill - refill the read buffer; 1 data, 0 end of file, -1 error */
static int
rec_fill(struct rec_io *rp)
{
	ssize_t	n;

	rp->base += (off_t) rp->pos;
	rp->len = rp->pos = 0;
	do {
		n = read(rp->fd, rp->buf, sizeof(rp->buf));
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		rec_fail(rp, errno, "read error at offset %lld: %m",
			 (long long) rp->base);
		return (-1);
	}
	rp->len = (size_t) n;
	return (n > 0);
}

/* rec_getc - next byte, REC_TYPE_EOF or REC_TYPE_ERROR */
static int
rec_getc(struct rec_io *rp)
{
	int	status;

	if (rp->pos >= rp->len && (status = rec_fill(rp)) <= 0)
		return (status == 0 ? REC_TYPE_EOF : REC_TYPE_ERROR);
	return (rp->buf[rp->pos++]);
}

/* rec_get_length - decode the length; -1 with a reason on error */
static int
rec_get_length(struct rec_io *rp, off_t start, size_t *lenp)
{
	size_t	len = 0;
	int	i, ch;

	for (i = 0; i < REC_LEN_BYTES; i++) {
		if ((ch = rec_getc(rp)) == REC_TYPE_ERROR)
			return (-1);
		if (ch == REC_TYPE_EOF) {
			rec_fail(rp, EINVAL, "offset %lld: record length past end of file",
				 (long long) start);
			return (-1);
		}
		len |= (size_t) (ch & 0x7f) << (7 * i);
		if ((ch & 0x80) == 0) {
			if (i > 0 && ch == 0) {
				rec_fail(rp, EINVAL, "offset %lld: non-canonical record length",
					 (long long) start);
				return (-1);
			}
			*lenp = len;
			return (0);
		}
	}
	rec_fail(rp, EINVAL, "offset %lld: record length exceeds %lu bytes",
		 (long long) start, (unsigned long) REC_LEN_MAX);
	return (-1);
}

/* rec_get_data - read len bytes of record data */
static int
rec_get_data(struct rec_io *rp, off_t start, struct buf *data, size_t len)
{
	size_t	need = len, chunk;
	int	status;

	while (need > 0) {
		if (rp->pos >= rp->len && (status = rec_fill(rp)) <= 0) {
			if (status == 0)
				rec_fail(rp, EINVAL, "offset %lld: record length %zu past end of file",
					 (long long) start, len);
			return (-1);
		}
		chunk = rp->len - rp->pos < need ? rp->len - rp->pos : need;
		buf_catn(data, rp->buf + rp->pos, chunk);
		rp->pos += chunk;
		need -= chunk;
	}
	return (0);
}

/* rec_get - read one record */
int
rec_get(struct rec_io *rp, struct buf *data, size_t limit, off_t *offset)
{
	off_t	start;
	size_t	len;
	int	type;

	if (rp->mode != REC_READ)
		msg_panic("rec_get: stream not open for reading");
	buf_reset(data);
	start = rec_tell(rp);
	if (offset != NULL)
		*offset = start;
	if ((type = rec_getc(rp)) < 0)
		return (type);
	if (rec_get_length(rp, start, &len) < 0)
		return (REC_TYPE_ERROR);
	if (len > limit) {
		rec_fail(rp, EFBIG, "offset %lld: record length %zu exceeds limit %zu",
			 (long long) start, len, limit);
		return (REC_TYPE_ERROR);
	}
	if (rec_get_data(rp, start, data, len) < 0)
		return (REC_TYPE_ERROR);
	return (type);
}

/* rec_fixed_ok - value fits a fixed-width field */
static bool
rec_fixed_ok(long long value)
{
	return (value >= 0 && value <= 999999999999999LL);
}

/* rec_put_size - the SIZE record */
int
rec_put_size(struct rec_io *rp, const struct rec_size *size)
{
	if (!rec_fixed_ok(size->content_size) || !rec_fixed_ok(size->content_offset)
	    || !rec_fixed_ok(size->rcpt_count)) {
		rec_fail(rp, EINVAL, "size record value out of range");
		return (-1);
	}
	return (rec_fprintf(rp, REC_TYPE_SIZE, "%*lld %*lld %*ld",
			    REC_FIXED_WIDTH, (long long) size->content_size,
			    REC_FIXED_WIDTH, (long long) size->content_offset,
			    REC_FIXED_WIDTH, size->rcpt_count));
}

/* rec_put_warn - the WARN record */
int
rec_put_warn(struct rec_io *rp, time_t when)
{
	if (!rec_fixed_ok(when)) {
		rec_fail(rp, EINVAL, "warning time out of range");
		return (-1);
	}
	return (rec_fprintf(rp, REC_TYPE_WARN, "%*lld", REC_FIXED_WIDTH,
			    (long long) when));
}

/* rec_put_mesg - the MESG record */
int
rec_put_mesg(struct rec_io *rp, off_t xtra_offset)
{
	if (!rec_fixed_ok(xtra_offset)) {
		rec_fail(rp, EINVAL, "content pointer out of range");
		return (-1);
	}
	return (rec_fprintf(rp, REC_TYPE_MESG, "%*lld", REC_FIXED_WIDTH,
			    (long long) xtra_offset));
}

/* rec_parse_fixed - one fixed-width number: blanks then digits */
int
rec_parse_fixed(const char *data, size_t len, long long *value)
{
	long long result = 0;
	size_t	i = 0;

	if (len != REC_FIXED_WIDTH)
		goto bad;
	while (i < len && data[i] == ' ')
		i++;
	if (i == len)
		goto bad;
	for (; i < len; i++) {
		if (data[i] < '0' || data[i] > '9')
			goto bad;
		result = result * 10 + (data[i] - '0');
	}
	*value = result;
	return (0);
bad:
	errno = EINVAL;
	return (-1);
}

/* rec_parse_size - decode SIZE record data */
int
rec_parse_size(const char *data, size_t len, struct rec_size *size)
{
	long long v[3];
	int	i;

	if (len != REC_SIZE_LEN)
		goto bad;
	for (i = 0; i < 3; i++) {
		if (i > 0 && data[i * (REC_FIXED_WIDTH + 1) - 1] != ' ')
			goto bad;
		if (rec_parse_fixed(data + i * (REC_FIXED_WIDTH + 1),
				    REC_FIXED_WIDTH, v + i) < 0)
			goto bad;
	}
	size->content_size = (off_t) v[0];
	size->content_offset = (off_t) v[1];
	size->rcpt_count = (long) v[2];
	return (0);
bad:
	errno = EINVAL;
	return (-1);
}

/* rec_pread_all - pread(2) exactly len bytes */
static int
rec_pread_all(int fd, void *data, size_t len, off_t offset)
{
	ssize_t	n;
	size_t	done = 0;

	while (done < len) {
		n = pread(fd, (char *) data + done, len - done, offset + (off_t) done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EINVAL;	/* past end of file: wrong offset */
			return (-1);
		}
		done += (size_t) n;
	}
	return (0);
}

/* rec_pwrite_all - pwrite(2) exactly len bytes */
static int
rec_pwrite_all(int fd, const void *data, size_t len, off_t offset)
{
	ssize_t	n;
	size_t	done = 0;

	while (done < len) {
		n = pwrite(fd, (const char *) data + done, len - done,
			   offset + (off_t) done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return (-1);
		done += (size_t) n;
	}
	return (0);
}

/* rec_update_fixed - overwrite the data of a fixed-width record */
static int
rec_update_fixed(int fd, off_t offset, int type, const char *data, size_t len)
{
	unsigned char head[2];

	if (offset < 0 || len >= 128) {
		errno = EINVAL;
		return (-1);
	}
	if (rec_pread_all(fd, head, sizeof(head), offset) < 0)
		return (-1);
	/* Refuse to write anywhere but into the record we expect. */
	if (head[0] != type || head[1] != len) {
		errno = EINVAL;
		return (-1);
	}
	return (rec_pwrite_all(fd, data, len, offset + 2));
}

/* rec_update_size - rewrite the SIZE record at offset 0 */
int
rec_update_size(int fd, const struct rec_size *size)
{
	char	data[REC_SIZE_LEN + 1];

	if (!rec_fixed_ok(size->content_size) || !rec_fixed_ok(size->content_offset)
	    || !rec_fixed_ok(size->rcpt_count)) {
		errno = EINVAL;
		return (-1);
	}
	(void) snprintf(data, sizeof(data), "%*lld %*lld %*ld",
			REC_FIXED_WIDTH, (long long) size->content_size,
			REC_FIXED_WIDTH, (long long) size->content_offset,
			REC_FIXED_WIDTH, size->rcpt_count);
	return (rec_update_fixed(fd, 0, REC_TYPE_SIZE, data, REC_SIZE_LEN));
}

/* rec_update_one - rewrite a record holding one fixed-width number */
static int
rec_update_one(int fd, off_t offset, int type, long long value)
{
	char	data[REC_FIXED_WIDTH + 1];

	if (!rec_fixed_ok(value)) {
		errno = EINVAL;
		return (-1);
	}
	(void) snprintf(data, sizeof(data), "%*lld", REC_FIXED_WIDTH, value);
	return (rec_update_fixed(fd, offset, type, data, REC_FIXED_WIDTH));
}

/* rec_update_warn - rewrite the WARN record */
int
rec_update_warn(int fd, off_t offset, time_t when)
{
	return (rec_update_one(fd, offset, REC_TYPE_WARN, (long long) when));
}

/* rec_update_mesg - rewrite the content pointer of the MESG record */
int
rec_update_mesg(int fd, off_t mesg_offset, off_t xtra_offset)
{
	return (rec_update_one(fd, mesg_offset, REC_TYPE_MESG,
			       (long long) xtra_offset));
}

/* rec_mark_done - mark the recipient record at offset as done */
int
rec_mark_done(int fd, off_t offset)
{
	unsigned char type;
	const unsigned char done = REC_TYPE_DONE;

	if (offset < 0) {
		errno = EINVAL;
		return (-1);
	}
	if (rec_pread_all(fd, &type, 1, offset) < 0)
		return (-1);
	if (type == REC_TYPE_DONE)
		return (0);
	if (type != REC_TYPE_RCPT) {
		errno = EINVAL;
		return (-1);
	}
	return (rec_pwrite_all(fd, &done, 1, offset));
}
