/*
 * NAME
 *	metrics_http - the minimal HTTP server side of metrics(8)
 * SYNOPSIS
 *	#include "metrics.h"
 * DESCRIPTION
 *	See metrics.h. Only what a Prometheus scraper, curl or a browser
 *	needs: one GET (or HEAD) per connection, strict parsing with
 *	limits on size and time, and no request bodies (the connection
 *	is closed after the response, so a body is never read).
 * SECURITY
 *	This parses untrusted network input. Every line has a length
 *	limit, the header a total limit, the whole request a deadline.
 */
#include <util/sys_defs.h>
#include <strings.h>
#include <util/buf.h>
#include <util/stream.h>
#include "metrics.h"

/* metrics_http_init - empty request */
void
metrics_http_init(struct metrics_http_request *req)
{
	memset(req, 0, sizeof(*req));
	req->method = METRICS_HTTP_OTHER;
	req->path = buf_new(64);
}

/* metrics_http_done - release a request */
void
metrics_http_done(struct metrics_http_request *req)
{
	buf_free(req->path);
	req->path = NULL;
}

/* metrics_http_is_tchar - RFC 9110 token character */
static int
metrics_http_is_tchar(int ch)
{
	return ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z')
		|| (ch >= 'A' && ch <= 'Z') || (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch)));
}

/* metrics_http_is_token - non-empty run of token characters of length len */
static int
metrics_http_is_token(const char *str, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (!metrics_http_is_tchar((unsigned char) str[i]))
			return (0);
	return (len > 0);
}

/* metrics_http_version - "HTTP/1.0" or "HTTP/1.1": 0, else status */
static int
metrics_http_version(struct metrics_http_request *req, const char *version)
{
	if (strncmp(version, "HTTP/", 5) != 0 || strlen(version) != 8
	    || version[5] < '0' || version[5] > '9' || version[6] != '.'
	    || version[7] < '0' || version[7] > '9')
		return (400);
	if (version[5] != '1' || version[7] > '1')
		return (505);
	req->minor = version[7] - '0';
	return (0);
}

/* metrics_http_target - store the path of a request target: 0 or 400 */
static int
metrics_http_target(struct metrics_http_request *req, const char *target,
		    size_t len)
{
	const char *path = target;
	const char *end = target + len;
	size_t	i;

	for (i = 0; i < len; i++)
		if ((unsigned char) target[i] <= 0x20 || (unsigned char) target[i] >= 0x7f)
			return (400);
	if (len >= 7 && strncasecmp(target, "http://", 7) == 0)
		path = target + 7;
	else if (len >= 8 && strncasecmp(target, "https://", 8) == 0)
		path = target + 8;
	else if (*target != '/' && !(len == 1 && *target == '*'))
		return (400);
	if (path != target) {
		/* Absolute form: skip the authority. */
		while (path < end && *path != '/' && *path != '?')
			path++;
		if (path == target + 7 || path == target + 8)
			return (400);
	}
	buf_reset(req->path);
	if (path == end || *path == '?')
		buf_putc(req->path, '/');
	while (path < end && *path != '?')
		buf_putc(req->path, *path++);
	return (0);
}

/* metrics_http_request_line - METHOD SP TARGET SP VERSION */
int
metrics_http_request_line(struct metrics_http_request *req, const char *line)
{
	const char *sp1, *sp2;
	int	status;

	if ((sp1 = strchr(line, ' ')) == NULL
	    || !metrics_http_is_token(line, (size_t) (sp1 - line))
	    || (sp2 = strchr(sp1 + 1, ' ')) == NULL || sp2 == sp1 + 1
	    || strchr(sp2 + 1, ' ') != NULL)
		return (400);
	if ((status = metrics_http_version(req, sp2 + 1)) != 0)
		return (status);
	if ((status = metrics_http_target(req, sp1 + 1, (size_t) (sp2 - sp1 - 1))) != 0)
		return (status);
	if (sp1 - line == 3 && strncmp(line, "GET", 3) == 0)
		req->method = METRICS_HTTP_GET;
	else if (sp1 - line == 4 && strncmp(line, "HEAD", 4) == 0)
		req->method = METRICS_HTTP_HEAD;
	else
		req->method = METRICS_HTTP_OTHER;
	return (0);
}

/* metrics_http_header - NAME ":" VALUE */
int
metrics_http_header(struct metrics_http_request *req, const char *line)
{
	const char *colon;
	const unsigned char *cp;

	if ((colon = strchr(line, ':')) == NULL
	    || !metrics_http_is_token(line, (size_t) (colon - line)))
		return (400);			/* also obsolete line folding */
	for (cp = (const unsigned char *) colon + 1; *cp; cp++)
		if ((*cp < 0x20 && *cp != '\t') || *cp == 0x7f)
			return (400);
	if (colon - line == 4 && strncasecmp(line, "Host", 4) == 0)
		req->host_count++;
	return (0);
}

/* metrics_http_get_line - one line within limit; 0, error status or -1 */
static int
metrics_http_get_line(struct stream *client, struct buf *line, size_t limit,
		      int too_long, int is_first)
{
	switch (stream_get_line(client, line, limit)) {
	case STREAM_LINE_CRLF:
	case STREAM_LINE_LF:
		return (strlen(buf_str(line)) == buf_len(line) ? 0 : 400);
	case STREAM_LINE_PARTIAL:
		return (too_long);
	case STREAM_LINE_EOF_PARTIAL:
		return (400);
	default:
		if (stream_timed_out(client))
			return (408);
		return (is_first ? -1 : 400);
	}
}

/* metrics_http_read_first - the request line, after optional empty lines */
static int
metrics_http_read_first(struct stream *client, struct metrics_http_request *req,
			struct buf *line)
{
	int	status;
	int	empty;

	for (empty = 0; empty <= METRICS_HTTP_EMPTY_LINES; empty++) {
		status = metrics_http_get_line(client, line, METRICS_HTTP_LINE_MAX, 414,
					       empty == 0);
		if (status != 0)
			return (status);
		if (buf_len(line) > 0)
			return (metrics_http_request_line(req, buf_str(line)));
	}
	return (400);
}

/* metrics_http_read - request line and header within the limits */
int
metrics_http_read(struct stream *client, struct metrics_http_request *req)
{
	struct buf *line = buf_new(256);
	int	status;

	stream_set_deadline(client, METRICS_HTTP_TIMEOUT * 1000L);
	status = metrics_http_read_first(client, req, line);
	while (status == 0) {
		status = metrics_http_get_line(client, line, METRICS_HTTP_HEADER_MAX,
					       431, 0);
		if (status != 0 || buf_len(line) == 0)
			break;
		req->header_bytes += buf_len(line);
		if (++req->header_lines > METRICS_HTTP_HEADER_LINES
		    || req->header_bytes > METRICS_HTTP_HEADER_MAX)
			status = 431;
		else
			status = metrics_http_header(req, buf_str(line));
	}
	buf_free(line);
	return (status);
}

/* metrics_http_route - the answer to a well-formed request */
int
metrics_http_route(const struct metrics_http_request *req)
{
	if (req->minor == 1 && req->host_count != 1)
		return (400);
	if (req->host_count > 1)
		return (400);
	if (req->method == METRICS_HTTP_OTHER)
		return (405);
	if (strcmp(buf_str(req->path), METRICS_HTTP_PATH) != 0)
		return (404);
	return (200);
}

/* metrics_http_reason - reason phrase of a status */
const char *
metrics_http_reason(int status)
{
	static const struct {
		int	status;
		const char *reason;
	}	reasons[] = {
		{200, "OK"},
		{400, "Bad Request"},
		{404, "Not Found"},
		{405, "Method Not Allowed"},
		{408, "Request Timeout"},
		{414, "URI Too Long"},
		{431, "Request Header Fields Too Large"},
		{500, "Internal Server Error"},
		{505, "HTTP Version Not Supported"},
	};
	size_t	i;

	for (i = 0; i < ARRAY_LEN(reasons); i++)
		if (reasons[i].status == status)
			return (reasons[i].reason);
	return ("Unknown");
}

/* metrics_http_response - status line and headers */
void
metrics_http_response(struct buf *out, int status, const char *content_type,
		      size_t body_len, time_t now)
{
	char	date[64];
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL
	    || strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		date[0] = 0;
	buf_appendf(out, "HTTP/1.1 %d %s\r\n", status, metrics_http_reason(status));
	if (date[0])
		buf_appendf(out, "Date: %s\r\n", date);
	buf_appendf(out, "Content-Type: %s\r\nContent-Length: %zu\r\n",
		    content_type, body_len);
	if (status == 405)
		buf_cat(out, "Allow: GET, HEAD\r\n");
	buf_cat(out, "Connection: close\r\n\r\n");
}
