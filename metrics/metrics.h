/*
 * NAME
 *	metrics - private interfaces of the metrics service
 * SYNOPSIS
 *	#include "metrics.h"
 *
 *	void	metrics_http_init(struct metrics_http_request *req);
 *	void	metrics_http_done(struct metrics_http_request *req);
 *	int	metrics_http_read(struct stream *client,
 *			struct metrics_http_request *req);
 *	int	metrics_http_request_line(struct metrics_http_request *req,
 *			const char *line);
 *	int	metrics_http_header(struct metrics_http_request *req,
 *			const char *line);
 *	int	metrics_http_route(const struct metrics_http_request *req);
 *	void	metrics_http_response(struct buf *out, int status,
 *			const char *content_type, size_t body_len, time_t now);
 *	const char *metrics_http_reason(int status);
 * DESCRIPTION
 *	metrics_http.c is the small HTTP/1.0 and HTTP/1.1 server side of
 *	metrics(8): one request per connection, no request body, no
 *	keep-alive (every response says "Connection: close").
 *
 *	metrics_http_read() reads the request line and the header lines
 *	from client within METRICS_HTTP_TIMEOUT seconds in all, and
 *	returns 0 when they are well-formed, an HTTP error status to
 *	answer with (400 malformed, 408 too slow, 414 request line longer
 *	than METRICS_HTTP_LINE_MAX, 431 header lines longer than
 *	METRICS_HTTP_HEADER_MAX bytes or more than METRICS_HTTP_HEADER_LINES,
 *	505 an HTTP version other than 1.0 and 1.1), or -1 when the client
 *	sent nothing or went away (no answer). Up to
 *	METRICS_HTTP_EMPTY_LINES empty lines before the request line are
 *	ignored; lines may end in CR LF or LF.
 *
 *	metrics_http_request_line() and metrics_http_header() parse one
 *	line each and return 0 or an error status; they are what
 *	metrics_http_read() uses, separate for tests.
 *
 *	metrics_http_route() decides the answer to a well-formed request:
 *	400 for HTTP/1.1 without exactly one Host header, 405 for a method
 *	other than GET and HEAD, 404 for a path other than
 *	METRICS_HTTP_PATH (origin form "/metrics" or absolute form
 *	"http://host/metrics"; a query string is ignored), else 200.
 *
 *	metrics_http_response() appends the status line and headers of a
 *	response (Date, Content-Type, Content-Length, Connection: close,
 *	and Allow for 405), ending with the empty line.
 *	metrics_http_reason() returns the reason phrase of a status.
 * SEE ALSO
 *	metrics(8)
 */
#ifndef POSTERN_METRICS_H
#define POSTERN_METRICS_H

#include <util/sys_defs.h>
#include <time.h>
#include <util/buf.h>
#include <util/stream.h>

#define METRICS_HTTP_PATH	"/metrics"
#define METRICS_HTTP_TIMEOUT	10	/* seconds to receive a request */
#define METRICS_HTTP_WRITE_TIMEOUT 60	/* seconds to send a response */
#define METRICS_HTTP_LINE_MAX	1024	/* request line bytes */
#define METRICS_HTTP_HEADER_MAX	8192	/* all header line bytes */
#define METRICS_HTTP_HEADER_LINES 64	/* header lines */
#define METRICS_HTTP_EMPTY_LINES 4	/* ignored before the request line */

enum metrics_http_method {
	METRICS_HTTP_GET,
	METRICS_HTTP_HEAD,
	METRICS_HTTP_OTHER,
};

struct metrics_http_request {
	enum metrics_http_method method;
	struct buf *path;		/* target without query, origin form */
	int	minor;			/* HTTP/1.minor */
	int	host_count;		/* Host header lines */
	size_t	header_bytes;
	int	header_lines;
};

void	metrics_http_init(struct metrics_http_request *req);
void	metrics_http_done(struct metrics_http_request *req);
int	metrics_http_read(struct stream *client, struct metrics_http_request *req);
int	metrics_http_request_line(struct metrics_http_request *req, const char *line);
int	metrics_http_header(struct metrics_http_request *req, const char *line);
int	metrics_http_route(const struct metrics_http_request *req);
void	metrics_http_response(struct buf *out, int status, const char *content_type,
			              size_t body_len, time_t now);
const char *metrics_http_reason(int status);

#endif
