/*
 * NAME
 *	test_stream - unit tests for buffered streams with deadlines
 * DESCRIPTION
 *	Lines (CRLF, bare LF, partial, limit), push-back, exact reads,
 *	formatted output, time limits that really expire, large transfers
 *	through a forked peer over a socketpair and a pipe, I/O hooks,
 *	file positioning, and the sticky error state.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <signal.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <util/iostuff.h>
#include <util/stream.h>

/* now_ms - monotonic milliseconds */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* feed - a read stream over one end of a socketpair or a pipe holding data */
static struct stream *
feed(const char *data, size_t len, int use_pipe, int keep_open, int *peer)
{
	int	fds[2];

	if (use_pipe)
		assert_int_equal(pipe(fds), 0);
	else
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	assert_int_equal(write_full(fds[1], data, len), (ssize_t) len);
	if (keep_open)
		*peer = fds[1];
	else
		close(fds[1]);
	return (stream_fdopen(fds[0], STREAM_READ));
}

struct line_want {
	int	ret;
	const char *text;
};

struct line_case {
	const char *name;
	const char *input;
	size_t	limit;
	struct line_want want[6];	/* ends with ret 0 */
};

static const struct line_case line_cases[] = {
	{"crlf lf eof-partial", "abc\r\ndef\nghi", 100, {
		{STREAM_LINE_CRLF, "abc"}, {STREAM_LINE_LF, "def"},
		{STREAM_LINE_EOF_PARTIAL, "ghi"}, {STREAM_LINE_EOF, ""}}},
	{"empty lines", "\r\n\n", 100, {
		{STREAM_LINE_CRLF, ""}, {STREAM_LINE_LF, ""}, {STREAM_LINE_EOF, ""}}},
	{"bare cr stays in data", "a\rb\r\nc\r\rd\n", 100, {
		{STREAM_LINE_CRLF, "a\rb"}, {STREAM_LINE_LF, "c\r\rd"},
		{STREAM_LINE_EOF, ""}}},
	{"limit splits", "abcdefghij\r\n", 4, {
		{STREAM_LINE_PARTIAL, "abcd"}, {STREAM_LINE_PARTIAL, "efgh"},
		{STREAM_LINE_CRLF, "ij"}, {STREAM_LINE_EOF, ""}}},
	{"exactly limit then crlf", "abcd\r\nx\n", 4, {
		{STREAM_LINE_CRLF, "abcd"}, {STREAM_LINE_LF, "x"},
		{STREAM_LINE_EOF, ""}}},
	{"exactly limit then lf", "abcd\nx\r\n", 4, {
		{STREAM_LINE_LF, "abcd"}, {STREAM_LINE_CRLF, "x"},
		{STREAM_LINE_EOF, ""}}},
	{"cr at limit then lf", "abc\r\n", 4, {
		{STREAM_LINE_CRLF, "abc"}, {STREAM_LINE_EOF, ""}}},
	{"cr after limit not lf", "abcd\rxy\n", 4, {
		{STREAM_LINE_PARTIAL, "abcd"}, {STREAM_LINE_LF, "\rxy"},
		{STREAM_LINE_EOF, ""}}},
	{"limit then eof", "abcd", 4, {
		{STREAM_LINE_EOF_PARTIAL, "abcd"}, {STREAM_LINE_EOF, ""}}},
	{"limit 1", "ab\r\n", 1, {
		{STREAM_LINE_PARTIAL, "a"}, {STREAM_LINE_CRLF, "b"},
		{STREAM_LINE_EOF, ""}}},
	{"no practical limit", "ab\r\ncd\n", SIZE_MAX, {
		{STREAM_LINE_CRLF, "ab"}, {STREAM_LINE_LF, "cd"},
		{STREAM_LINE_EOF, ""}}},
	{"lone cr at eof", "ab\r", 100, {
		{STREAM_LINE_EOF_PARTIAL, "ab\r"}, {STREAM_LINE_EOF, ""}}},
};

/* run_line_case - check one table entry over a socketpair or a pipe */
static void
run_line_case(const struct line_case *tc, int use_pipe)
{
	struct stream *s = feed(tc->input, strlen(tc->input), use_pipe, 0, NULL);
	struct buf *line = buf_new(10);
	const struct line_want *w;
	int	ret;

	for (w = tc->want; w->ret != 0; w++) {
		ret = stream_get_line(s, line, tc->limit);
		if (ret != w->ret || (ret != STREAM_LINE_EOF
				      && strcmp(buf_str(line), w->text) != 0))
			fail_msg("%s (%s): step %d: got %d \"%s\", want %d \"%s\"",
				 tc->name, use_pipe ? "pipe" : "socket",
				 (int) (w - tc->want), ret, buf_str(line), w->ret, w->text);
		if (ret != STREAM_LINE_EOF)
			assert_true(buf_len(line) <= tc->limit);
	}
	assert_true(stream_eof(s));
	assert_false(stream_error(s));
	buf_free(line);
	assert_int_equal(stream_close(s), 0);
}

/* test_lines - the line table over a socketpair and a pipe */
static void
test_lines(void **state)
{
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(line_cases); i++) {
		run_line_case(line_cases + i, 0);
		run_line_case(line_cases + i, 1);
	}
}

/* test_nul_in_line - embedded null bytes are counted */
static void
test_nul_in_line(void **state)
{
	struct stream *s = feed("a\0b\r\n", 5, 0, 0, NULL);
	struct buf *line = buf_new(10);

	(void) state;
	assert_int_equal(stream_get_line(s, line, 100), STREAM_LINE_CRLF);
	assert_int_equal(buf_len(line), 3);
	assert_memory_equal(buf_str(line), "a\0b", 3);
	buf_free(line);
	stream_close(s);
}

/* test_long_line - lines longer than the internal buffer */
static void
test_long_line(void **state)
{
	size_t	len = 100000;
	char   *data = xmalloc(len + 2);
	struct stream *s;
	struct buf *line = buf_new(10);
	int	peer;
	pid_t	pid;
	int	status;

	(void) state;
	memset(data, 'x', len);
	memcpy(data + len, "\r\n", 2);
	/* The kernel buffer cannot hold it all: a child writes. */
	s = feed("", 0, 0, 1, &peer);
	if ((pid = fork()) == 0) {
		_exit(write_full(peer, data, len + 2) == (ssize_t) len + 2 ? 0 : 1);
	}
	close(peer);
	assert_int_equal(stream_get_line(s, line, len), STREAM_LINE_CRLF);
	assert_int_equal(buf_len(line), len);
	assert_int_equal(stream_get_line(s, line, len), STREAM_LINE_EOF);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	free(data);
	buf_free(line);
	stream_close(s);
}

/* test_getc_ungetc - byte input and push-back */
static void
test_getc_ungetc(void **state)
{
	struct stream *s = feed("ab", 2, 0, 0, NULL);

	(void) state;
	assert_int_equal(stream_ungetc(s, 'z'), 'z');	/* before any read */
	assert_int_equal(stream_getc(s), 'z');
	assert_int_equal(stream_getc(s), 'a');
	assert_int_equal(stream_ungetc(s, 'a'), 'a');
	assert_int_equal(stream_ungetc(s, 'q'), 'q');
	assert_int_equal(stream_pending(s), 3);
	assert_int_equal(stream_getc(s), 'q');
	assert_int_equal(stream_getc(s), 'a');
	assert_int_equal(stream_getc(s), 'b');
	assert_int_equal(stream_getc(s), STREAM_EOF);
	assert_true(stream_eof(s));
	assert_int_equal(stream_ungetc(s, STREAM_EOF), STREAM_EOF);
	assert_int_equal(stream_ungetc(s, 0xff), 0xff);
	assert_false(stream_eof(s));
	assert_int_equal(stream_getc(s), 0xff);
	stream_close(s);
}

/* test_read_full - exact reads and short input */
static void
test_read_full(void **state)
{
	struct stream *s = feed("0123456789", 10, 1, 0, NULL);
	char	buf[16];

	(void) state;
	assert_int_equal(stream_read_full(s, buf, 4), 4);
	assert_memory_equal(buf, "0123", 4);
	assert_int_equal(stream_read(s, buf, sizeof(buf)), 6);
	assert_int_equal(stream_read(s, buf, sizeof(buf)), 0);
	stream_close(s);

	s = feed("0123", 4, 1, 0, NULL);
	assert_int_equal(stream_read_full(s, buf, 5), -1);
	assert_true(stream_eof(s));
	assert_false(stream_error(s));
	stream_close(s);
}

/* test_pending - bytes read ahead are visible (pipelining, STARTTLS) */
static void
test_pending(void **state)
{
	struct stream *s = feed("STARTTLS\r\nMAIL FROM:<a>\r\n", 25, 0, 0, NULL);
	struct buf *line = buf_new(10);

	(void) state;
	assert_int_equal(stream_pending(s), 0);
	assert_int_equal(stream_get_line(s, line, 100), STREAM_LINE_CRLF);
	assert_string_equal(buf_str(line), "STARTTLS");
	assert_int_equal(stream_pending(s), 15);
	assert_int_equal(stream_get_line(s, line, 100), STREAM_LINE_CRLF);
	assert_int_equal(stream_pending(s), 0);
	buf_free(line);
	stream_close(s);
}

/* test_output - puts, printf, putc and flush reach the peer */
static void
test_output(void **state)
{
	int	fds[2];
	struct stream *s;
	char	buf[64];
	ssize_t	n;

	(void) state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	s = stream_fdopen(fds[0], STREAM_READ | STREAM_WRITE);
	assert_int_equal(stream_puts(s, "250-"), 0);
	assert_int_equal(stream_printf(s, "%s %d", "SIZE", 10240000), 0);
	assert_int_equal(stream_putc(s, '\r'), 0);
	assert_int_equal(stream_write(s, "\n", 1), 0);
	assert_int_equal(stream_write_pending(s), 19);
	assert_int_equal(read_wait(fds[1], 0), -1);	/* nothing sent yet */
	assert_int_equal(stream_flush(s), 0);
	assert_int_equal(stream_write_pending(s), 0);
	n = read(fds[1], buf, sizeof(buf));
	assert_int_equal(n, 19);
	assert_memory_equal(buf, "250-SIZE 10240000\r\n", 19);
	/* stream_close flushes */
	stream_puts(s, "bye");
	assert_int_equal(stream_close(s), 0);
	assert_int_equal(read(fds[1], buf, sizeof(buf)), 3);
	assert_int_equal(read(fds[1], buf, sizeof(buf)), 0);
	close(fds[1]);
}

/* test_read_timeout - a 1-second limit fires, sticky, clearable */
static void
test_read_timeout(void **state)
{
	int	peer;
	struct stream *s = feed("", 0, 0, 1, &peer);
	struct buf *line = buf_new(10);
	int64_t	start;
	int64_t	elapsed;

	(void) state;
	stream_set_timeout(s, 1);
	start = now_ms();
	assert_int_equal(stream_get_line(s, line, 100), STREAM_LINE_EOF);
	elapsed = now_ms() - start;
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(stream_timed_out(s));
	assert_true(stream_error(s));
	assert_false(stream_eof(s));
	assert_true(elapsed >= 950 && elapsed < 3000);
	/* Sticky: fails at once, even with data waiting. */
	assert_int_equal(write(peer, "x\n", 2), 2);
	assert_int_equal(stream_getc(s), STREAM_EOF);
	assert_int_equal(errno, ETIMEDOUT);
	stream_clearerr(s);
	assert_false(stream_timed_out(s));
	assert_int_equal(stream_get_line(s, line, 100), STREAM_LINE_LF);
	assert_string_equal(buf_str(line), "x");
	buf_free(line);
	stream_close(s);
	close(peer);
}

/* test_deadline - an overall deadline bounds a trickling peer */
static void
test_deadline(void **state)
{
	int	peer;
	struct stream *s = feed("", 0, 0, 1, &peer);
	struct buf *line = buf_new(10);
	int64_t	start;
	pid_t	pid;
	int	i;

	(void) state;
	if ((pid = fork()) == 0) {
		/* One byte per 100 ms, never a newline: each wait succeeds. */
		for (i = 0; i < 30; i++) {
			if (write(peer, "a", 1) != 1)
				_exit(0);
			usleep(100000);
		}
		_exit(0);
	}
	stream_set_timeout(s, 1);
	stream_set_deadline(s, 500);
	start = now_ms();
	assert_int_equal(stream_get_line(s, line, 1000), STREAM_LINE_EOF);
	assert_true(stream_timed_out(s));
	assert_true(now_ms() - start < 1500);
	buf_free(line);
	stream_close(s);
	close(peer);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* test_write_timeout - a peer that never reads makes writes time out */
static void
test_write_timeout(void **state)
{
	int	fds[2];
	struct stream *s;
	char	chunk[65536];
	int64_t	start;
	int	i;
	int	ret = 0;

	(void) state;
	memset(chunk, 'x', sizeof(chunk));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	s = stream_fdopen(fds[0], STREAM_WRITE);	/* blocking fd */
	stream_set_timeout(s, 1);
	start = now_ms();
	for (i = 0; i < 1000 && ret == 0; i++)
		ret = stream_write(s, chunk, sizeof(chunk));
	assert_int_equal(ret, -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(stream_timed_out(s));
	assert_true(now_ms() - start < 4000);
	assert_int_equal(stream_puts(s, "more"), -1);
	assert_int_equal(stream_close(s), -1);
	close(fds[1]);
}

/* big_transfer - a child writes len bytes via a stream; verify them */
static void
big_transfer(int use_pipe, int writer_nonblocking)
{
	size_t	len = 4 * 1024 * 1024 + 123;
	int	fds[2];
	struct stream *s;
	unsigned char *data = xmalloc(len);
	unsigned char *got = xmalloc(len);
	pid_t	pid;
	size_t	i;
	int	status;

	for (i = 0; i < len; i++)
		data[i] = (unsigned char) (i * 7 + (i >> 12));
	if (use_pipe)
		assert_int_equal(pipe(fds), 0);
	else
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		if (writer_nonblocking)
			non_blocking(fds[1], 1);
		s = stream_fdopen(fds[1], STREAM_WRITE);
		stream_set_timeout(s, 10);
		/* Small pieces through the buffer, then one huge direct write. */
		for (i = 0; i < len / 2; i += 1000)
			stream_write(s, data + i, 1000);
		stream_write(s, data + i, len - i);
		_exit(stream_close(s) == 0 ? 0 : 1);
	}
	close(fds[1]);
	s = stream_fdopen(fds[0], STREAM_READ);
	stream_set_timeout(s, 10);
	assert_int_equal(stream_read_full(s, got, len), (ssize_t) len);
	assert_memory_equal(got, data, len);
	assert_int_equal(stream_getc(s), STREAM_EOF);
	assert_true(stream_eof(s));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	free(data);
	free(got);
	stream_close(s);
}

/* test_big_writes - megabytes through socketpair and pipe */
static void
test_big_writes(void **state)
{
	(void) state;
	big_transfer(0, 0);
	big_transfer(0, 1);
	big_transfer(1, 0);
	big_transfer(1, 1);
}

/* xor_read - hook that undoes xor_write */
static ssize_t
xor_read(int fd, void *buf, size_t len, long timeout_ms, void *ctx)
{
	ssize_t	n;
	ssize_t	i;

	if (timeout_ms >= 0 && read_wait(fd, timeout_ms) < 0)
		return (-1);
	if ((n = read(fd, buf, len)) > 0)
		for (i = 0; i < n; i++)
			((unsigned char *) buf)[i] ^= 0x55;
	(*(int *) ctx)++;
	return (n);
}

/* xor_write - hook that scrambles output, one byte at a time */
static ssize_t
xor_write(int fd, const void *buf, size_t len, long timeout_ms, void *ctx)
{
	unsigned char c = *(const unsigned char *) buf ^ 0x55;

	(void) len;
	(void) timeout_ms;
	(*(int *) ctx)++;
	return (write(fd, &c, 1));
}

/* test_io_hooks - stream_set_io replaces both directions */
static void
test_io_hooks(void **state)
{
	int	fds[2];
	struct stream *a, *b;
	struct buf *line = buf_new(10);
	int	calls = 0;

	(void) state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	a = stream_fdopen(fds[0], STREAM_WRITE);
	b = stream_fdopen(fds[1], STREAM_READ);
	stream_set_io(a, NULL, xor_write, &calls);
	stream_set_io(b, xor_read, NULL, &calls);
	stream_puts(a, "hello\r\n");
	assert_int_equal(stream_flush(a), 0);
	assert_int_equal(calls, 7);
	assert_int_equal(stream_get_line(b, line, 100), STREAM_LINE_CRLF);
	assert_string_equal(buf_str(line), "hello");
	assert_true(calls > 7);
	buf_free(line);
	stream_close(a);
	stream_close(b);
}

/* test_file_seek - positions over a regular file */
static void
test_file_seek(void **state)
{
	char	path[] = "/tmp/test_stream.XXXXXX";
	int	fd = mkstemp(path);
	struct stream *s;
	char	buf[8];

	(void) state;
	assert_true(fd >= 0);
	unlink(path);
	s = stream_fdopen(fd, STREAM_READ | STREAM_WRITE);
	stream_puts(s, "0123456789");
	assert_int_equal(stream_tell(s), 10);
	assert_int_equal(stream_seek(s, 2, SEEK_SET), 2);
	assert_int_equal(stream_getc(s), '2');
	assert_int_equal(stream_tell(s), 3);
	assert_int_equal(stream_seek(s, 4, SEEK_CUR), 7);
	assert_int_equal(stream_read_full(s, buf, 3), 3);
	assert_memory_equal(buf, "789", 3);
	assert_int_equal(stream_getc(s), STREAM_EOF);
	assert_true(stream_eof(s));
	assert_int_equal(stream_seek(s, 0, SEEK_SET), 0);
	assert_false(stream_eof(s));
	assert_int_equal(stream_getc(s), '0');
	assert_int_equal(stream_close(s), 0);
}

/* test_peer_gone - writing to a closed peer fails with EPIPE, no signal */
static void
test_peer_gone(void **state)
{
	int	fds[2];
	struct stream *s;

	(void) state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	close(fds[1]);
	s = stream_fdopen(fds[0], STREAM_READ | STREAM_WRITE);
	stream_set_name(s, "client[127.0.0.1]");
	assert_string_equal(stream_name(s), "client[127.0.0.1]");
	assert_int_equal(stream_fd(s), fds[0]);
	stream_puts(s, "x");
	assert_int_equal(stream_flush(s), -1);
	assert_int_equal(errno, EPIPE);
	assert_true(stream_error(s));
	assert_false(stream_timed_out(s));
	assert_int_equal(stream_close(s), -1);	/* the error is not lost */
	assert_int_equal(errno, EPIPE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_nul_in_line),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_getc_ungetc),
		cmocka_unit_test(test_read_full),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_read_timeout),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_write_timeout),
		cmocka_unit_test(test_big_writes),
		cmocka_unit_test(test_io_hooks),
		cmocka_unit_test(test_file_seek),
		cmocka_unit_test(test_peer_gone),
	};

	return (cmocka_run_group_tests_name("stream", tests, NULL, NULL));
}
