/*
 * NAME
 *	stream - buffered I/O over a file descriptor, with deadlines
 * SYNOPSIS
 *	#include <util/stream.h>
 *
 *	struct stream *stream_fdopen(int fd, int flags);
 *	int	stream_close(struct stream *s);
 *	int	stream_free(struct stream *s);
 *
 *	void	stream_set_timeout(struct stream *s, int seconds);
 *	void	stream_set_timeout_ms(struct stream *s, long ms);
 *	void	stream_set_deadline(struct stream *s, long ms);
 *	void	stream_set_name(struct stream *s, const char *name);
 *	void	stream_set_io(struct stream *s, stream_read_fn read_fn,
 *			stream_write_fn write_fn, void *ctx);
 *
 *	int	stream_getc(struct stream *s);
 *	int	stream_ungetc(struct stream *s, int ch);
 *	ssize_t	stream_read(struct stream *s, void *buf, size_t len);
 *	ssize_t	stream_read_full(struct stream *s, void *buf, size_t len);
 *	int	stream_get_line(struct stream *s, struct buf *line, size_t limit);
 *
 *	int	stream_write(struct stream *s, const void *data, size_t len);
 *	int	stream_putc(struct stream *s, int ch);
 *	int	stream_puts(struct stream *s, const char *str);
 *	int	stream_printf(struct stream *s, const char *fmt, ...);
 *	int	stream_flush(struct stream *s);
 *
 *	off_t	stream_seek(struct stream *s, off_t offset, int whence);
 *	off_t	stream_tell(struct stream *s);
 *
 *	int	stream_error(const struct stream *s);
 *	int	stream_eof(const struct stream *s);
 *	int	stream_timed_out(const struct stream *s);
 *	void	stream_clearerr(struct stream *s);
 *	int	stream_fd(const struct stream *s);
 *	const char *stream_name(const struct stream *s);
 *	size_t	stream_pending(const struct stream *s);
 *	size_t	stream_write_pending(const struct stream *s);
 * DESCRIPTION
 *	A stream buffers reads and writes on one file descriptor: a socket
 *	(SMTP, internal IPC), a pipe, or a regular file (queue files).
 *	The descriptor may be blocking or non-blocking: the stream waits
 *	with poll() and retries on EAGAIN, and restarts on EINTR.
 *
 *	stream_fdopen() wraps fd; flags is STREAM_READ, STREAM_WRITE or
 *	both. It never fails (memory exhaustion is fatal). stream_close()
 *	flushes pending output, closes the descriptor and frees the stream;
 *	it returns -1 (with errno) when the flush or close failed or the
 *	stream was already in error state (so a failed write earlier is
 *	never lost), else 0. stream_free() does the same but leaves the
 *	descriptor open.
 *
 *	Time limits. stream_set_timeout() bounds every single wait for the
 *	descriptor: each read or write system call waits at most that many
 *	seconds (0, the default: wait forever). stream_set_timeout_ms() is
 *	the same in milliseconds. stream_set_deadline() in addition sets an
 *	overall deadline ms milliseconds from now (monotonic clock) that
 *	bounds all operations until it is changed (0: no deadline); use it
 *	for "the whole SMTP command must arrive within N seconds". When a
 *	limit expires the operation fails with errno ETIMEDOUT and
 *	stream_timed_out() becomes true (as does stream_error()).
 *
 *	Input. stream_getc() returns the next byte (0..255) or STREAM_EOF
 *	(-1) on end of file, error or timeout. stream_ungetc() pushes one
 *	byte back (it is read next; pushing back several works, last in
 *	first out) and clears the end-of-file state; it returns ch, or
 *	STREAM_EOF when ch is STREAM_EOF. stream_read() returns what is
 *	buffered or, when the buffer is empty, what one read delivers: at
 *	least 1 and at most len bytes, 0 at end of file, -1 on error.
 *	stream_read_full() reads exactly len bytes and returns len, or -1
 *	on end of file (stream_eof() true), error or timeout.
 *
 *	stream_get_line() reads one line into line (replacing its content)
 *	WITHOUT the line terminator, never storing more than limit bytes
 *	(limit > 0). It returns how the line ended:
 * .IP STREAM_LINE_CRLF
 *	the line ended in CR LF (the CR is removed).
 * .IP STREAM_LINE_LF
 *	the line ended in a bare LF (the SMTP smuggling defense needs to
 *	know). A CR elsewhere in the line stays in the data.
 * .IP STREAM_LINE_PARTIAL
 *	limit bytes were stored and no terminator seen yet: the rest of
 *	the line follows in the next call(s). A CR LF pair is never split
 *	across two calls, so a line of exactly limit bytes followed by CR
 *	LF is returned as STREAM_LINE_CRLF.
 * .IP STREAM_LINE_EOF_PARTIAL
 *	end of file after at least one byte without a terminator.
 * .IP STREAM_LINE_EOF
 *	(-1) end of file before any byte, error, or timeout.
 * .PP
 *	Output. stream_write() appends len bytes, stream_putc() one byte,
 *	stream_puts() a string (no newline is added), stream_printf() a
 *	formatted string. They return 0, or -1 when the stream is in error
 *	(output is flushed when the buffer fills, so a write may block up
 *	to the time limits). stream_flush() writes out everything buffered;
 *	it returns 0 or -1. A stream in error state refuses further output
 *	until stream_clearerr().
 *
 *	Files. stream_seek() flushes output, discards buffered input and
 *	repositions the descriptor (lseek() semantics); stream_tell()
 *	returns the logical position (accounting for buffered data). Both
 *	return -1 on error.
 *
 *	State. stream_error() is true after an I/O error or timeout,
 *	stream_eof() after end of file was read, stream_timed_out() after
 *	a time limit expired; stream_clearerr() resets all three.
 *	stream_fd() returns the descriptor. stream_pending() returns the
 *	number of bytes read from the descriptor but not yet consumed
 *	(SMTP pipelining checks and the STARTTLS injection defense: input
 *	that arrived before TLS starts must be discarded or refused).
 *	stream_write_pending() returns the bytes buffered for output.
 *	stream_set_name() sets a name for diagnostics, e.g. "private/qmgr"
 *	or "client[1.2.3.4]"; the default is "fd N".
 *
 *	Layering. stream_set_io() replaces the raw read and write calls,
 *	e.g. with TLS (NULL keeps the plain system call for that
 *	direction). The functions get the descriptor, the buffer, the
 *	remaining wait in milliseconds (-1 = no limit) and ctx. They must
 *	do their own waiting within that time (plain descriptors use
 *	poll(); TLS must wait for whatever direction the TLS library asks
 *	for) and return the byte count (> 0), 0 for end of file (read
 *	only), or -1 with errno set (ETIMEDOUT on expiry; EINTR and EAGAIN
 *	are retried by the stream). Call stream_flush() before switching.
 * DIAGNOSTICS
 *	Interface violations (reading a write-only stream, writing a
 *	read-only one, limit 0, negative times) panic. I/O errors are
 *	reported through
 *	return values, errno, and the state functions.
 * SEE ALSO
 *	attr(3), the IPC format over streams
 */
#ifndef POSTERN_STREAM_H
#define POSTERN_STREAM_H

#include <util/sys_defs.h>
#include <util/buf.h>

struct stream;

#define STREAM_READ	(1 << 0)
#define STREAM_WRITE	(1 << 1)

#define STREAM_EOF	(-1)

enum stream_line {
	STREAM_LINE_EOF = -1,
	STREAM_LINE_CRLF = 1,
	STREAM_LINE_LF,
	STREAM_LINE_PARTIAL,
	STREAM_LINE_EOF_PARTIAL,
};

typedef ssize_t (*stream_read_fn)(int fd, void *buf, size_t len,
				          long timeout_ms, void *ctx);
typedef ssize_t (*stream_write_fn)(int fd, const void *buf, size_t len,
				           long timeout_ms, void *ctx);

struct stream *stream_fdopen(int fd, int flags);
int	stream_close(struct stream *s);
int	stream_free(struct stream *s);

void	stream_set_timeout(struct stream *s, int seconds);
void	stream_set_timeout_ms(struct stream *s, long ms);
void	stream_set_deadline(struct stream *s, long ms);
void	stream_set_name(struct stream *s, const char *name);
void	stream_set_io(struct stream *s, stream_read_fn read_fn,
		              stream_write_fn write_fn, void *ctx);

int	stream_getc(struct stream *s);
int	stream_ungetc(struct stream *s, int ch);
ssize_t	stream_read(struct stream *s, void *buf, size_t len);
ssize_t	stream_read_full(struct stream *s, void *buf, size_t len);
int	stream_get_line(struct stream *s, struct buf *line, size_t limit);

int	stream_write(struct stream *s, const void *data, size_t len);
int	stream_putc(struct stream *s, int ch);
int	stream_puts(struct stream *s, const char *str);
int	stream_printf(struct stream *s, const char *fmt, ...) PRINTFLIKE(2, 3);
int	stream_vprintf(struct stream *s, const char *fmt, va_list ap) PRINTFLIKE(2, 0);
int	stream_flush(struct stream *s);

off_t	stream_seek(struct stream *s, off_t offset, int whence);
off_t	stream_tell(struct stream *s);

int	stream_error(const struct stream *s);
int	stream_eof(const struct stream *s);
int	stream_timed_out(const struct stream *s);
void	stream_clearerr(struct stream *s);
int	stream_fd(const struct stream *s);
const char *stream_name(const struct stream *s);
size_t	stream_pending(const struct stream *s);
size_t	stream_write_pending(const struct stream *s);

#endif
