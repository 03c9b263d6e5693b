/*
 * NAME
 *	test_metrics_http - unit tests for the HTTP side of metrics(8)
 * DESCRIPTION
 *	Whole requests through a socket pair (status per case, limits,
 *	timeouts), routing, and the response header block.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>
#include <sys/socket.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <util/stream.h>
#include "metrics/metrics.h"

/* read_request - feed text to metrics_http_read(); status or route result */
static int
read_request(const char *text, size_t len, int keep_open, struct buf *path)
{
	struct metrics_http_request req;
	struct stream *client;
	int	fds[2];
	int	status;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	assert_int_equal(write(fds[1], text, len), (ssize_t) len);
	if (!keep_open)
		assert_int_equal(shutdown(fds[1], SHUT_WR), 0);
	client = stream_fdopen(fds[0], STREAM_READ | STREAM_WRITE);
	metrics_http_init(&req);
	status = metrics_http_read(client, &req);
	if (status == 0)
		status = metrics_http_route(&req);
	if (path != NULL)
		buf_cpy(path, buf_str(req.path));
	metrics_http_done(&req);
	stream_close(client);
	close(fds[1]);
	return (status);
}

/* test_requests - one status per request text */
static void
test_requests(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		int	want;
	}	cases[] = {
		{"get 1.1", "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200},
		{"get 1.0 no host", "GET /metrics HTTP/1.0\r\n\r\n", 200},
		{"bare LF", "GET /metrics HTTP/1.1\nHost: x\nAccept: */*\n\n", 200},
		{"head", "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200},
		{"query", "GET /metrics?name[]=x HTTP/1.1\r\nHost: x\r\n\r\n", 200},
		{"absolute", "GET http://127.0.0.1:9100/metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200},
		{"leading CRLF", "\r\n\r\nGET /metrics HTTP/1.0\r\n\r\n", 200},
		{"host case", "GET /metrics HTTP/1.1\r\nhOsT: x\r\n\r\n", 200},
		{"empty value", "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Empty:\r\n\r\n", 200},
		{"other path", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 404},
		{"trailing slash", "GET /metrics/ HTTP/1.1\r\nHost: x\r\n\r\n", 404},
		{"prefix", "GET /metricsx HTTP/1.1\r\nHost: x\r\n\r\n", 404},
		{"asterisk", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 405},
		{"post", "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 405},
		{"lower-case get", "get /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405},
		{"no host 1.1", "GET /metrics HTTP/1.1\r\n\r\n", 400},
		{"two hosts", "GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"two hosts 1.0", "GET /metrics HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400},
		{"http 0.9", "GET /metrics\r\n\r\n", 400},
		{"http 2", "GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n", 505},
		{"http 1.2", "GET /metrics HTTP/1.2\r\nHost: x\r\n\r\n", 505},
		{"bad version", "GET /metrics HTTP/1.10\r\nHost: x\r\n\r\n", 400},
		{"lower http", "GET /metrics http/1.1\r\nHost: x\r\n\r\n", 400},
		{"double space", "GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"trailing space", "GET /metrics HTTP/1.1 \r\nHost: x\r\n\r\n", 400},
		{"relative", "GET metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"no authority", "GET http:///metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"bad method", "G(T /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"control in target", "GET /met\x01rics HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"8-bit target", "GET /m\xC3\xA9trics HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"folded header", "GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400},
		{"space before colon", "GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n", 400},
		{"no colon", "GET /metrics HTTP/1.1\r\nHost x\r\n\r\n", 400},
		{"control in value", "GET /metrics HTTP/1.1\r\nHost: x\x7f\r\n\r\n", 400},
		{"too many empty", "\r\n\r\n\r\n\r\n\r\nGET /metrics HTTP/1.0\r\n\r\n", 400},
		{"cut in header", "GET /metrics HTTP/1.1\r\nHost: x\r\n", 400},
		{"cut in line", "GET /metrics HTTP/1.1\r\nHo", 400},
		{"cut request line", "GET /metr", 400},
		{"nothing", "", -1},
	};
	struct buf *path = buf_new(32);
	size_t	i;
	int	got;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		got = read_request(cases[i].text, strlen(cases[i].text), 0, path);
		if (got != cases[i].want)
			fail_msg("case \"%s\": status %d, want %d", cases[i].name, got,
				 cases[i].want);
	}
	assert_int_equal(read_request("GET http://h:1?x HTTP/1.1\r\nHost: h\r\n\r\n",
				      38, 0, path), 404);
	assert_string_equal(buf_str(path), "/");
	buf_free(path);
}

/* test_null_byte - a NUL inside a line is refused */
static void
test_null_byte(void **state)
{
	static const char text[] = "GET /metrics HTTP/1.1\r\nHost: a\0b\r\n\r\n";

	(void) state;
	assert_int_equal(read_request(text, sizeof(text) - 1, 0, NULL), 400);
}

/* test_limits - request line, header bytes and header line count */
static void
test_limits(void **state)
{
	struct buf *text = buf_new(20000);
	int	i;

	(void) state;
	buf_printf(text, "GET /%0*d HTTP/1.1\r\nHost: x\r\n\r\n",
		   METRICS_HTTP_LINE_MAX - 15, 0);
	assert_int_equal(read_request(buf_str(text), buf_len(text), 0, NULL), 404);
	buf_printf(text, "GET /%0*d HTTP/1.1\r\nHost: x\r\n\r\n",
		   METRICS_HTTP_LINE_MAX, 0);
	assert_int_equal(read_request(buf_str(text), buf_len(text), 0, NULL), 414);

	buf_printf(text, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: %0*d\r\n\r\n",
		   METRICS_HTTP_HEADER_MAX - 20, 0);
	assert_int_equal(read_request(buf_str(text), buf_len(text), 0, NULL), 200);
	buf_printf(text, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: %0*d\r\n\r\n",
		   METRICS_HTTP_HEADER_MAX, 0);
	assert_int_equal(read_request(buf_str(text), buf_len(text), 0, NULL), 431);
	buf_printf(text, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: %0*d\r\nX-B: %0*d\r\n\r\n",
		   METRICS_HTTP_HEADER_MAX / 2, 0, METRICS_HTTP_HEADER_MAX / 2, 0);
	assert_int_equal(read_request(buf_str(text), buf_len(text), 0, NULL), 431);

	buf_cpy(text, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
	for (i = 1; i < METRICS_HTTP_HEADER_LINES; i++)
		buf_appendf(text, "X-%d: y\r\n", i);
	assert_int_equal(read_request(buf_str(text), buf_len(text) + 0, 0, NULL), 400);
	buf_cat(text, "\r\n");
	assert_int_equal(read_request(buf_str(text), buf_len(text), 0, NULL), 200);
	buf_truncate(text, buf_len(text) - 2);
	buf_cat(text, "X-last: y\r\n\r\n");
	assert_int_equal(read_request(buf_str(text), buf_len(text), 0, NULL), 431);
	buf_free(text);
}

/* test_timeout - a client that stops sending gets 408 */
static void
test_timeout(void **state)
{
	static const char text[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
	time_t	start = time(NULL);

	(void) state;
	assert_int_equal(read_request(text, sizeof(text) - 1, 1, NULL), 408);
	assert_true(time(NULL) - start >= METRICS_HTTP_TIMEOUT - 1);
	assert_true(time(NULL) - start <= METRICS_HTTP_TIMEOUT + 2);
}

/* test_response - status line and headers */
static void
test_response(void **state)
{
	struct buf *out = buf_new(100);

	(void) state;
	metrics_http_response(out, 200, "text/plain; version=0.0.4", 12, 0);
	assert_string_equal(buf_str(out),
			    "HTTP/1.1 200 OK\r\n"
			    "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
			    "Content-Type: text/plain; version=0.0.4\r\n"
			    "Content-Length: 12\r\n"
			    "Connection: close\r\n\r\n");
	buf_reset(out);
	metrics_http_response(out, 405, "text/plain", 0, 1700000000);
	assert_string_equal(buf_str(out),
			    "HTTP/1.1 405 Method Not Allowed\r\n"
			    "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
			    "Content-Type: text/plain\r\n"
			    "Content-Length: 0\r\n"
			    "Allow: GET, HEAD\r\n"
			    "Connection: close\r\n\r\n");
	assert_string_equal(metrics_http_reason(431), "Request Header Fields Too Large");
	assert_string_equal(metrics_http_reason(999), "Unknown");
	buf_free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_null_byte),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_response),
	};

	return (cmocka_run_group_tests_name("metrics_http", tests, NULL, NULL));
}
