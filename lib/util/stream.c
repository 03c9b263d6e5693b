/*
 * NAME
 *	stream - buffered I/O over a file descriptor, with deadlines
 * SYNOPSIS
 *	#include <util/stream.h>
 * DESCRIPTION
 *	Implementation of stream(3); the interface is documented in
 *	stream.h. A stream has one read buffer and one write buffer. Input
 *	is consumed from rbuf[rpos..rend); output collects in wbuf[0..wlen)
 *	until full or flushed. All descriptor I/O goes through
 *	stream_io_read() and stream_io_write(), which apply the time limits
 *	and call either the plain system calls or the hooks installed with
 *	stream_set_io().
 *
 *	Errors are sticky: after an I/O error or a timeout every operation
 *	fails (restoring the errno of the original failure) until
 *	stream_clearerr().
 * SEE ALSO
 *	iostuff(3) for read_wait() and write_wait()
 */
#include <util/sys_defs.h>
#include <limits.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>
#include <util/iostuff.h>
#include <util/stream.h>

#define STREAM_BUFSIZE	8192

struct stream {
	int	fd;
	int	flags;			/* STREAM_READ / STREAM_WRITE */
	int	is_socket;		/* use send(MSG_NOSIGNAL) */
	unsigned char *rbuf;
	size_t	rcap, rpos, rend;
	unsigned char *wbuf;
	size_t	wcap, wlen;
	int	is_error;
	int	is_eof;
	int	is_timeout;
	int	saved_errno;		/* errno of the sticky error */
	long	timeout_ms;		/* per wait, -1 = none */
	int64_t	deadline;		/* absolute monotonic ms, 0 = none */
	char   *name;
	stream_read_fn read_fn;
	stream_write_fn write_fn;
	void   *io_ctx;
	struct buf *fmt;		/* stream_printf scratch */
};

/* stream_now_ms - monotonic clock in milliseconds */
static int64_t
stream_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* stream_fail - record a sticky error (errno already set) */
static void
stream_fail(struct stream *s)
{
	s->saved_errno = errno;
	s->is_error = 1;
	if (errno == ETIMEDOUT)
		s->is_timeout = 1;
}

/* stream_refuse - fail an operation on a stream already in error */
static int
stream_refuse(const struct stream *s)
{
	errno = s->saved_errno ? s->saved_errno : EIO;
	return (-1);
}

/* stream_fdopen - wrap a descriptor */
struct stream *
stream_fdopen(int fd, int flags)
{
	struct stream *s;
	struct stat st;
	char	name[32];

	if (fd < 0 || (flags & (STREAM_READ | STREAM_WRITE)) == 0
	    || (flags & ~(STREAM_READ | STREAM_WRITE)) != 0)
		msg_panic("stream_fdopen: bad fd %d or flags 0x%x", fd, flags);
	s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->flags = flags;
	s->is_socket = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
	if (flags & STREAM_READ) {
		s->rcap = STREAM_BUFSIZE;
		s->rbuf = xmalloc(s->rcap);
	}
	if (flags & STREAM_WRITE) {
		s->wcap = STREAM_BUFSIZE;
		s->wbuf = xmalloc(s->wcap);
	}
	s->timeout_ms = -1;
	snprintf(name, sizeof(name), "fd %d", fd);
	s->name = xstrdup(name);
	return (s);
}

/* stream_free - flush and destroy, leaving the descriptor open */
int
stream_free(struct stream *s)
{
	int	ret = 0;
	int	saved;

	if (s->wlen > 0 && stream_flush(s) < 0)
		ret = -1;
	else if (s->is_error)
		ret = stream_refuse(s);
	saved = errno;
	buf_free(s->fmt);
	free(s->rbuf);
	free(s->wbuf);
	free(s->name);
	free(s);
	errno = saved;
	return (ret);
}

/* stream_close - flush, close the descriptor, destroy */
int
stream_close(struct stream *s)
{
	int	fd = s->fd;
	int	ret = stream_free(s);
	int	saved = errno;

	if (close(fd) < 0 && errno != EINTR) {
		ret = -1;
		saved = errno;
	}
	errno = saved;
	return (ret);
}

/* stream_set_timeout - per-wait limit in seconds, 0 = none */
void
stream_set_timeout(struct stream *s, int seconds)
{
	if (seconds < 0)
		msg_panic("stream_set_timeout: negative timeout %d", seconds);
	s->timeout_ms = seconds > 0 ? (long) seconds * 1000 : -1;
}

/* stream_set_timeout_ms - per-wait limit in milliseconds, 0 = none */
void
stream_set_timeout_ms(struct stream *s, long ms)
{
	if (ms < 0)
		msg_panic("stream_set_timeout_ms: negative timeout %ld", ms);
	s->timeout_ms = ms > 0 ? ms : -1;
}

/* stream_set_deadline - overall deadline ms from now, 0 = none */
void
stream_set_deadline(struct stream *s, long ms)
{
	if (ms < 0)
		msg_panic("stream_set_deadline: negative deadline %ld", ms);
	s->deadline = ms > 0 ? stream_now_ms() + ms : 0;
}

/* stream_set_name - name for diagnostics */
void
stream_set_name(struct stream *s, const char *name)
{
	free(s->name);
	s->name = xstrdup(name);
}

/* stream_set_io - install read/write hooks (NULL = system call) */
void
stream_set_io(struct stream *s, stream_read_fn read_fn,
	              stream_write_fn write_fn, void *ctx)
{
	s->read_fn = read_fn;
	s->write_fn = write_fn;
	s->io_ctx = ctx;
}

/* stream_wait_ms - the wait allowed for the next system call */
static long
stream_wait_ms(const struct stream *s)
{
	long	wait = s->timeout_ms;
	int64_t	left;

	if (s->deadline != 0) {
		left = s->deadline - stream_now_ms();
		if (left < 0)
			left = 0;
		if (wait < 0 || left < wait)
			wait = (long) left;
	}
	return (wait);
}

/* stream_raw_read - read() with poll()-based waiting */
static ssize_t
stream_raw_read(int fd, void *buf, size_t len, long timeout_ms)
{
	ssize_t	n;

	for (;;) {
		if (timeout_ms >= 0 && read_wait(fd, timeout_ms) < 0)
			return (-1);
		if ((n = read(fd, buf, len)) >= 0)
			return (n);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return (-1);
		if (timeout_ms < 0 && read_wait(fd, -1) < 0)
			return (-1);
	}
}

/* stream_raw_write - write()/send() with poll()-based waiting */
static ssize_t
stream_raw_write(struct stream *s, const void *buf, size_t len,
		         long timeout_ms)
{
	ssize_t	n;

	int	sflags = MSG_NOSIGNAL;

	/*
	 * With a time limit, the write after poll() must not block: sockets
	 * get MSG_DONTWAIT, and for pipes poll() promises room for PIPE_BUF
	 * bytes. Regular files never block for long.
	 */
	if (timeout_ms >= 0) {
		sflags |= MSG_DONTWAIT;
		if (!s->is_socket && len > PIPE_BUF)
			len = PIPE_BUF;
	}
	for (;;) {
		if (timeout_ms >= 0 && write_wait(s->fd, timeout_ms) < 0)
			return (-1);
		if (s->is_socket)
			n = send(s->fd, buf, len, sflags);
		else
			n = write(s->fd, buf, len);
		if (n >= 0)
			return (n);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return (-1);
		if (timeout_ms < 0 && write_wait(s->fd, -1) < 0)
			return (-1);
	}
}

/* stream_io_read - one read through the hook or the system call */
static ssize_t
stream_io_read(struct stream *s, void *buf, size_t len)
{
	ssize_t	n;

	for (;;) {
		if (s->read_fn)
			n = s->read_fn(s->fd, buf, len, stream_wait_ms(s), s->io_ctx);
		else
			n = stream_raw_read(s->fd, buf, len, stream_wait_ms(s));
		if (n > 0)
			return (n);
		if (n == 0) {
			s->is_eof = 1;
			return (0);
		}
		if (errno == EINTR)
			continue;
		if ((errno == EAGAIN || errno == EWOULDBLOCK)
		    && read_wait(s->fd, stream_wait_ms(s)) == 0)
			continue;
		stream_fail(s);
		return (-1);
	}
}

/* stream_io_write - one write through the hook or the system call */
static ssize_t
stream_io_write(struct stream *s, const void *buf, size_t len)
{
	ssize_t	n;

	for (;;) {
		if (s->write_fn)
			n = s->write_fn(s->fd, buf, len, stream_wait_ms(s), s->io_ctx);
		else
			n = stream_raw_write(s, buf, len, stream_wait_ms(s));
		if (n > 0)
			return (n);
		if (n == 0)
			errno = EIO;
		else if (errno == EINTR)
			continue;
		else if ((errno == EAGAIN || errno == EWOULDBLOCK)
			 && write_wait(s->fd, stream_wait_ms(s)) == 0)
			continue;
		stream_fail(s);
		return (-1);
	}
}

/* stream_check_read - interface check for input operations */
static void
stream_check_read(const struct stream *s, const char *myname)
{
	if ((s->flags & STREAM_READ) == 0)
		msg_panic("%s: %s: stream not open for reading", myname, s->name);
}

/* stream_fill - read more input after what is buffered; > 0, 0 EOF, -1 */
static ssize_t
stream_fill(struct stream *s)
{
	ssize_t	n;

	if (s->is_error)
		return (stream_refuse(s));
	if (s->rpos == s->rend) {
		s->rpos = s->rend = 0;
	} else if (s->rpos > 0 && s->rend == s->rcap) {
		memmove(s->rbuf, s->rbuf + s->rpos, s->rend - s->rpos);
		s->rend -= s->rpos;
		s->rpos = 0;
	}
	if (s->rend == s->rcap)
		msg_panic("stream_fill: %s: read buffer full", s->name);
	n = stream_io_read(s, s->rbuf + s->rend, s->rcap - s->rend);
	if (n > 0)
		s->rend += (size_t) n;
	return (n);
}

/* stream_getc - next input byte or STREAM_EOF */
int
stream_getc(struct stream *s)
{
	stream_check_read(s, "stream_getc");
	if (s->rpos == s->rend && stream_fill(s) <= 0)
		return (STREAM_EOF);
	return (s->rbuf[s->rpos++]);
}

/* stream_ungetc - push one byte back */
int
stream_ungetc(struct stream *s, int ch)
{
	stream_check_read(s, "stream_ungetc");
	if (ch == STREAM_EOF)
		return (STREAM_EOF);
	if (s->rpos == 0) {
		if (s->rend == s->rcap) {
			s->rcap += 1;
			s->rbuf = xrealloc(s->rbuf, s->rcap);
		}
		memmove(s->rbuf + 1, s->rbuf, s->rend);
		s->rend += 1;
		s->rpos = 1;
	}
	s->rbuf[--s->rpos] = (unsigned char) ch;
	s->is_eof = 0;
	return (ch & 0xff);
}

/* stream_read - what is buffered, or one read's worth */
ssize_t
stream_read(struct stream *s, void *buf, size_t len)
{
	size_t	avail;
	ssize_t	n;

	stream_check_read(s, "stream_read");
	if (len == 0)
		return (0);
	if (s->rpos == s->rend) {
		if (s->is_error)
			return (stream_refuse(s));
		if (len >= s->rcap) {
			s->rpos = s->rend = 0;
			return (stream_io_read(s, buf, len));
		}
		if ((n = stream_fill(s)) <= 0)
			return (n);
	}
	avail = s->rend - s->rpos;
	if (len > avail)
		len = avail;
	memcpy(buf, s->rbuf + s->rpos, len);
	s->rpos += len;
	return ((ssize_t) len);
}

/* stream_read_full - exactly len bytes or -1 */
ssize_t
stream_read_full(struct stream *s, void *buf, size_t len)
{
	char   *cp = buf;
	size_t	done = 0;
	ssize_t	n;

	while (done < len) {
		if ((n = stream_read(s, cp + done, len - done)) <= 0)
			return (-1);
		done += (size_t) n;
	}
	return ((ssize_t) len);
}

/* stream_peek - byte at offset i of unread input, reading as needed */
static int
stream_peek(struct stream *s, size_t i)
{
	while (s->rend - s->rpos <= i)
		if (stream_fill(s) <= 0)
			return (STREAM_EOF);
	return (s->rbuf[s->rpos + i]);
}

/* stream_line_end - classify a line that ended in LF */
static int
stream_line_end(struct buf *line)
{
	if (line->len > 0 && line->data[line->len - 1] == '\r') {
		buf_truncate(line, line->len - 1);
		return (STREAM_LINE_CRLF);
	}
	return (STREAM_LINE_LF);
}

/* stream_line_full - classify a line that reached its limit */
static int
stream_line_full(struct stream *s, struct buf *line)
{
	int	ch;

	if ((ch = stream_peek(s, 0)) == STREAM_EOF)
		return (s->is_error ? STREAM_LINE_EOF : STREAM_LINE_EOF_PARTIAL);
	if (ch == '\n') {
		s->rpos += 1;
		return (stream_line_end(line));
	}
	/* Do not split a CR LF pair across two calls. */
	if (ch == '\r' && stream_peek(s, 1) == '\n') {
		s->rpos += 2;
		return (STREAM_LINE_CRLF);
	}
	return (STREAM_LINE_PARTIAL);
}

/* stream_get_line - one line without terminator, at most limit bytes */
int
stream_get_line(struct stream *s, struct buf *line, size_t limit)
{
	unsigned char *p;
	unsigned char *nl;
	size_t	avail;
	size_t	room;

	stream_check_read(s, "stream_get_line");
	if (limit == 0)
		msg_panic("stream_get_line: %s: zero limit", s->name);
	buf_reset(line);
	for (;;) {
		if (s->rpos == s->rend && stream_fill(s) <= 0) {
			if (s->is_error || line->len == 0)
				return (STREAM_LINE_EOF);
			return (STREAM_LINE_EOF_PARTIAL);
		}
		p = s->rbuf + s->rpos;
		avail = s->rend - s->rpos;
		room = limit - line->len;
		/* An LF right after limit bytes still ends this line. */
		if ((nl = memchr(p, '\n', avail <= room ? avail : room + 1)) != 0) {
			buf_catn(line, p, (size_t) (nl - p));
			s->rpos += (size_t) (nl - p) + 1;
			return (stream_line_end(line));
		}
		if (avail <= room) {
			buf_catn(line, p, avail);
			s->rpos = s->rend;
			if (avail < room)
				continue;
		} else {
			buf_catn(line, p, room);
			s->rpos += room;
		}
		return (stream_line_full(s, line));
	}
}

/* stream_check_write - interface check for output operations */
static void
stream_check_write(const struct stream *s, const char *myname)
{
	if ((s->flags & STREAM_WRITE) == 0)
		msg_panic("%s: %s: stream not open for writing", myname, s->name);
}

/* stream_write_direct - write len bytes bypassing the buffer */
static int
stream_write_direct(struct stream *s, const unsigned char *data, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = stream_io_write(s, data, len)) < 0)
			return (-1);
		data += n;
		len -= (size_t) n;
	}
	return (0);
}

/* stream_flush - write out buffered output */
int
stream_flush(struct stream *s)
{
	size_t	len;

	if ((s->flags & STREAM_WRITE) == 0 || s->wlen == 0)
		return (s->is_error ? stream_refuse(s) : 0);
	if (s->is_error)
		return (stream_refuse(s));
	len = s->wlen;
	s->wlen = 0;
	if (stream_write_direct(s, s->wbuf, len) < 0)
		return (-1);
	return (0);
}

/* stream_write - buffer output, flushing when full */
int
stream_write(struct stream *s, const void *data, size_t len)
{
	stream_check_write(s, "stream_write");
	if (s->is_error)
		return (stream_refuse(s));
	if (len == 0)
		return (0);
	if (len <= s->wcap - s->wlen) {
		memcpy(s->wbuf + s->wlen, data, len);
		s->wlen += len;
		return (0);
	}
	if (stream_flush(s) < 0)
		return (-1);
	if (len >= s->wcap)
		return (stream_write_direct(s, data, len));
	memcpy(s->wbuf, data, len);
	s->wlen = len;
	return (0);
}

/* stream_putc - one byte */
int
stream_putc(struct stream *s, int ch)
{
	unsigned char c = (unsigned char) ch;

	return (stream_write(s, &c, 1));
}

/* stream_puts - a string, no newline added */
int
stream_puts(struct stream *s, const char *str)
{
	return (stream_write(s, str, strlen(str)));
}

/* stream_vprintf - formatted output */
int
stream_vprintf(struct stream *s, const char *fmt, va_list ap)
{
	if (s->fmt == NULL)
		s->fmt = buf_new(256);
	buf_reset(s->fmt);
	buf_vappendf(s->fmt, fmt, ap);
	return (stream_write(s, buf_str(s->fmt), buf_len(s->fmt)));
}

/* stream_printf - formatted output */
int
stream_printf(struct stream *s, const char *fmt, ...)
{
	va_list	ap;
	int	ret;

	va_start(ap, fmt);
	ret = stream_vprintf(s, fmt, ap);
	va_end(ap);
	return (ret);
}

/* stream_seek - flush, drop input, reposition */
off_t
stream_seek(struct stream *s, off_t offset, int whence)
{
	off_t	pos;

	if (stream_flush(s) < 0)
		return (-1);
	if (whence == SEEK_CUR)
		offset -= (off_t) (s->rend - s->rpos);
	if ((pos = lseek(s->fd, offset, whence)) < 0)
		return (-1);
	s->rpos = s->rend = 0;
	s->is_eof = 0;
	return (pos);
}

/* stream_tell - logical position */
off_t
stream_tell(struct stream *s)
{
	off_t	pos;

	if ((pos = lseek(s->fd, 0, SEEK_CUR)) < 0)
		return (-1);
	return (pos - (off_t) (s->rend - s->rpos) + (off_t) s->wlen);
}

/* stream_error - true after an I/O error or timeout */
int
stream_error(const struct stream *s)
{
	return (s->is_error);
}

/* stream_eof - true after end of file */
int
stream_eof(const struct stream *s)
{
	return (s->is_eof);
}

/* stream_timed_out - true after a time limit expired */
int
stream_timed_out(const struct stream *s)
{
	return (s->is_timeout);
}

/* stream_clearerr - forget error, EOF and timeout */
void
stream_clearerr(struct stream *s)
{
	s->is_error = s->is_eof = s->is_timeout = 0;
	s->saved_errno = 0;
}

/* stream_fd - the descriptor */
int
stream_fd(const struct stream *s)
{
	return (s->fd);
}

/* stream_name - name for diagnostics */
const char *
stream_name(const struct stream *s)
{
	return (s->name);
}

/* stream_pending - unread input bytes in the buffer */
size_t
stream_pending(const struct stream *s)
{
	return (s->rend - s->rpos);
}

/* stream_write_pending - unflushed output bytes */
size_t
stream_write_pending(const struct stream *s)
{
	return (s->wlen);
}
