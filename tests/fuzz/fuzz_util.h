/*
 * NAME
 *	fuzz_util - shared helpers of the libFuzzer targets
 * SYNOPSIS
 *	#include "fuzz_util.h"
 *
 *	void	fuzz_init(void);
 *	char	*fuzz_string(const uint8_t *data, size_t len);
 *	char	*fuzz_line(const uint8_t **data, size_t *len);
 *	int	fuzz_memfd(const char *name);
 *	const char *fuzz_memfd_fill(int fd, const uint8_t *data, size_t len);
 *	struct stream *fuzz_stream_open(struct fuzz_input *in);
 *	struct stream *fuzz_stream_sink(struct buf *out);
 *	void	fuzz_stream_close(struct stream *s);
 *	NORETURN void fuzz_fail(const char *fmt, ...);
 * DESCRIPTION
 *	fuzz_init() prepares the library for fuzzing, once per process:
 *	logging goes nowhere (a fuzzer logs a warning per bad input), and
 *	msg_fatal() aborts instead of exiting, because library code must
 *	never exit on bad input: that is a finding like a crash.
 *
 *	fuzz_string() returns a malloc()ed null-terminated copy of the
 *	input, cut at the first null byte, exactly as large as it needs to
 *	be so that AddressSanitizer sees every read past its end.
 *	fuzz_line() does the same for the next line of input (up to a
 *	newline, which is not included) and advances *data and *len past
 *	it; NULL when the input is used up.
 *
 *	fuzz_memfd() creates an anonymous in-memory file (memfd_create);
 *	fuzz_memfd_fill() replaces its contents with the input, rewinds it
 *	and returns a path that opens it ("/proc/self/fd/N") for code that
 *	wants a file name.
 *
 *	fuzz_stream_open() returns a read stream that delivers in->data, at
 *	most in->chunk bytes per read (0: all at once), so that a reader
 *	meets short reads at every position; in->pos counts what was
 *	delivered and in must stay valid while the stream is open.
 *	fuzz_stream_sink() returns a write stream that appends to out.
 *	fuzz_stream_close() frees either.
 *
 *	fuzz_fail() reports a broken invariant on standard error and
 *	aborts, which libFuzzer records as a crash with its input.
 */
#ifndef POSTERN_FUZZ_UTIL_H
#define POSTERN_FUZZ_UTIL_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/stream.h>

struct fuzz_input {
	const uint8_t *data;
	size_t	len;
	size_t	pos;			/* bytes delivered so far */
	size_t	chunk;			/* bytes per read, 0 = no limit */
};

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

void	fuzz_init(void);
char   *fuzz_string(const uint8_t *data, size_t len);
char   *fuzz_line(const uint8_t **data, size_t *len);
int	fuzz_memfd(const char *name);
const char *fuzz_memfd_fill(int fd, const uint8_t *data, size_t len);
struct stream *fuzz_stream_open(struct fuzz_input *in);
struct stream *fuzz_stream_sink(struct buf *out);
void	fuzz_stream_close(struct stream *s);
NORETURN void fuzz_fail(const char *fmt, ...) PRINTFLIKE(1, 2);

#endif
