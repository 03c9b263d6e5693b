/*
 * NAME
 *	fuzz_util - shared helpers of the libFuzzer targets
 * SYNOPSIS
 *	See fuzz_util.h.
 * DESCRIPTION
 *	Input copies, in-memory files and memory-backed streams for the
 *	targets in tests/fuzz, and the process setup they share.
 * DIAGNOSTICS
 *	Setup failures (no memfd, no /dev/null) and broken invariants abort
 *	with a message on standard error.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/msg.h>
#include "fuzz_util.h"

static int fuzz_null_fd = -1;
static char fuzz_last_msg[512];

/* fuzz_capture - remember the last log line for fuzz_exit() */
static void
fuzz_capture(enum msg_level level, const char *text, void *ctx)
{
	(void) level;
	(void) ctx;
	snprintf(fuzz_last_msg, sizeof(fuzz_last_msg), "%s", text);
}

/* fuzz_exit - msg_fatal() or msg_panic() from library code is a finding */
static void
fuzz_exit(int status)
{
	fprintf(stderr, "fuzz: library code called msg_%s(): %s\n",
		status == 2 ? "panic" : "fatal", fuzz_last_msg);
	abort();
}

/* fuzz_init - quiet logging, fatal errors abort */
void
fuzz_init(void)
{
	msg_init("fuzz");
	msg_to_stderr(getenv("FUZZ_VERBOSE") ? MSG_STDERR_SHORT : MSG_STDERR_OFF);
	msg_set_exit_hook(fuzz_exit);
	msg_set_capture(fuzz_capture, NULL);
	if (fuzz_null_fd < 0 && (fuzz_null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		fuzz_fail("open /dev/null: %s", strerror(errno));
}

/* fuzz_fail - report a broken invariant and abort */
void
fuzz_fail(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fputs("fuzz: invariant broken: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/* fuzz_string - exact-size null-terminated copy, cut at a null byte */
char   *
fuzz_string(const uint8_t *data, size_t len)
{
	const uint8_t *nul = memchr(data, 0, len);
	char   *copy;

	if (nul != NULL)
		len = (size_t) (nul - data);
	copy = xmalloc(len + 1);
	if (len > 0)
		memcpy(copy, data, len);
	copy[len] = 0;
	return (copy);
}

/* fuzz_line - the next input line as an exact-size string, or NULL */
char   *
fuzz_line(const uint8_t **data, size_t *len)
{
	const uint8_t *nl;
	size_t	n;
	char   *line;

	if (*len == 0)
		return (NULL);
	nl = memchr(*data, '\n', *len);
	n = nl ? (size_t) (nl - *data) : *len;
	line = fuzz_string(*data, n);
	*data += nl ? n + 1 : n;
	*len -= nl ? n + 1 : n;
	return (line);
}

/* fuzz_memfd - an anonymous in-memory file */
int
fuzz_memfd(const char *name)
{
	int	fd;

	if ((fd = memfd_create(name, MFD_CLOEXEC)) < 0)
		fuzz_fail("memfd_create: %s", strerror(errno));
	return (fd);
}

/* fuzz_memfd_fill - replace the file's content with the input */
const char *
fuzz_memfd_fill(int fd, const uint8_t *data, size_t len)
{
	static char path[64];
	size_t	done = 0;
	ssize_t	n;

	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		fuzz_fail("truncate memfd: %s", strerror(errno));
	while (done < len) {
		if ((n = write(fd, data + done, len - done)) <= 0)
			fuzz_fail("write memfd: %s", strerror(errno));
		done += (size_t) n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		fuzz_fail("rewind memfd: %s", strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return (path);
}

/* fuzz_read - stream read hook: the next piece of the input */
static ssize_t
fuzz_read(int fd, void *buf, size_t len, long timeout_ms, void *ctx)
{
	struct fuzz_input *in = ctx;
	size_t	n = in->len - in->pos;

	(void) fd;
	(void) timeout_ms;
	if (n > len)
		n = len;
	if (in->chunk > 0 && n > in->chunk)
		n = in->chunk;
	if (n > 0)
		memcpy(buf, in->data + in->pos, n);
	in->pos += n;
	return ((ssize_t) n);
}

/* fuzz_write - stream write hook: append to a buffer */
static ssize_t
fuzz_write(int fd, const void *buf, size_t len, long timeout_ms, void *ctx)
{
	(void) fd;
	(void) timeout_ms;
	buf_catn((struct buf *) ctx, buf, len);
	return ((ssize_t) len);
}

/* fuzz_stream_open - a read stream over the input */
struct stream *
fuzz_stream_open(struct fuzz_input *in)
{
	struct stream *s = stream_fdopen(fuzz_null_fd, STREAM_READ);

	stream_set_io(s, fuzz_read, NULL, in);
	stream_set_name(s, "fuzz");
	return (s);
}

/* fuzz_stream_sink - a write stream into a buffer */
struct stream *
fuzz_stream_sink(struct buf *out)
{
	struct stream *s = stream_fdopen(fuzz_null_fd, STREAM_WRITE);

	stream_set_io(s, NULL, fuzz_write, out);
	stream_set_name(s, "sink");
	return (s);
}

/* fuzz_stream_close - free a stream, keeping the shared descriptor */
void
fuzz_stream_close(struct stream *s)
{
	(void) stream_free(s);
}
