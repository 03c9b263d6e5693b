/*
 * NAME
 *	metrics - Prometheus metrics over HTTP
 * SYNOPSIS
 *	metrics [generic daemon options]	(started by master(8))
 * DESCRIPTION
 *	metrics(8) answers HTTP GET /metrics with the same Prometheus text
 *	exposition that "postern metrics" prints (see metrics_format(3)):
 *	queue directory sizes and oldest ages, and, from the snapshot the
 *	queue manager publishes every second in
 *	queue_directory/private/qmgr.stats, the active queue by transport
 *	and priority class, in_flow tokens, per-destination concurrency and
 *	state, delivery results and delay histograms.
 *
 *	It is an inet service, listening on loopback by default:
 *
 *	    127.0.0.1:9100 inet n - n - - metrics
 *
 *	One request per connection. GET /metrics (or HEAD) gets 200 with
 *	Content-Type "text/plain; version=0.0.4; charset=utf-8"; any
 *	other path 404, any other method 405, a malformed request 400
 *	(also an HTTP/1.1 request without a Host header), a request not
 *	complete within 10 seconds 408, a request line over 1024 bytes 414,
 *	header lines over 8192 bytes in all (or more than 64) 431, an HTTP
 *	version other than 1.0 and 1.1 505. Every response closes the
 *	connection.
 * SECURITY
 *	metrics runs as mail_owner and may be chrooted (it only needs
 *	queue_directory). It parses untrusted network input with strict
 *	limits and takes nothing else from the client. The metrics tell
 *	who receives mail (destination names), so keep the listener on
 *	loopback or behind a firewall; there is no authentication.
 * DIAGNOSTICS
 *	A queue directory or snapshot that cannot be read is logged as a
 *	warning and left out of the answer (postern_qmgr_up 0 for the
 *	snapshot). Bad requests are logged with -v only.
 * PARAMETERS
 *	queue_directory, qmgr_message_active_limit (postern_active_limit
 *	while qmgr is down), and the generic daemon parameters (max_idle,
 *	max_use, daemon_timeout).
 * SEE ALSO
 *	postern(1) metrics, metrics_format(3), metrics_snapshot(3),
 *	qmgr(8), docs/man/metrics.8.md
 */
#include <util/sys_defs.h>
#include <sys/socket.h>
#include <util/buf.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/metrics_format.h>
#include <global/metrics_snapshot.h>
#include <global/params.h>
#include <server/server.h>
#include "metrics.h"

#define METRICS_LINGER_MS	1000	/* drain unread input after an error */
#define METRICS_LINGER_BYTES	65536

/* metrics_body - the answer's body for a status */
static const char *
metrics_body(int status, struct buf *body)
{
	struct buf *why;

	if (status != 200) {
		buf_printf(body, "%d %s\n", status, metrics_http_reason(status));
		return ("text/plain; charset=utf-8");
	}
	why = buf_new(100);
	if (metrics_collect(body, METRICS_SNAPSHOT_FILE,
			    var_qmgr_message_active_limit, why) < 0)
		msg_warn("%s", buf_str(why));
	buf_free(why);
	return (METRICS_CONTENT_TYPE);
}

/* metrics_linger - after an error, let the client read the answer */
static void
metrics_linger(struct stream *client)
{
	char	junk[4096];
	size_t	total = 0;
	ssize_t	n;

	(void) shutdown(stream_fd(client), SHUT_WR);
	stream_clearerr(client);
	stream_set_deadline(client, METRICS_LINGER_MS);
	while (total < METRICS_LINGER_BYTES
	       && (n = stream_read(client, junk, sizeof(junk))) > 0)
		total += (size_t) n;
}

/* metrics_log_request - a refused request, with -v */
static void
metrics_log_request(struct stream *client, int status)
{
	struct buf *addr;
	int	port;

	if (msg_verbose == 0)
		return;
	addr = buf_new(64);
	if (peer_address(stream_fd(client), addr, &port) < 0)
		buf_cpy(addr, "unknown");
	msg_info("request from %s: %d %s", buf_str(addr), status,
		 metrics_http_reason(status));
	buf_free(addr);
}

/* metrics_service - one HTTP connection */
static void
metrics_service(struct stream *client, const char *service, char **argv)
{
	struct metrics_http_request req;
	struct buf *body = buf_new(8192);
	struct buf *head = buf_new(256);
	const char *content_type;
	int	status;

	(void) service;
	(void) argv;
	metrics_http_init(&req);
	if ((status = metrics_http_read(client, &req)) >= 0) {
		if (status == 0)
			status = metrics_http_route(&req);
		if (status != 200)
			metrics_log_request(client, status);
		content_type = metrics_body(status, body);
		metrics_http_response(head, status, content_type, buf_len(body),
				      time(NULL));
		stream_clearerr(client);
		stream_set_deadline(client, METRICS_HTTP_WRITE_TIMEOUT * 1000L);
		(void) stream_write(client, buf_str(head), buf_len(head));
		if (req.method != METRICS_HTTP_HEAD)
			(void) stream_write(client, buf_str(body), buf_len(body));
		if (stream_flush(client) == 0 && status != 200)
			metrics_linger(client);
	}
	metrics_http_done(&req);
	buf_free(body);
	buf_free(head);
}

/* metrics_pre_init - no arguments */
static void
metrics_pre_init(const char *service, char **argv)
{
	(void) service;
	if (argv[0])
		msg_fatal("unexpected command-line argument: %s", argv[0]);
}

int
main(int argc, char **argv)
{
	static const struct server_ops ops = {
		.name = "metrics",
		.service = metrics_service,
		.pre_init = metrics_pre_init,
	};

	return (single_server_main(argc, argv, &ops));
}
