/*
 * NAME
 *	anvil_clnt - client of the anvil(8) service
 * SYNOPSIS
 *	#include <global/anvil_clnt.h>
 * DESCRIPTION
 *	See anvil_clnt.h.
 * DIAGNOSTICS
 *	A failed request is logged with msg_warn() and returned as
 *	ANVIL_STAT_FAIL.
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/attr.h>
#include <util/buf.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/mail_proto.h>
#include <global/anvil_clnt.h>

struct anvil_clnt {
	char   *path;
	struct stream *stream;		/* or NULL when not connected */
	bool	has_hello;		/* {proto=anvil} seen */
};

/* anvil_clnt_create - a client for the socket path */
struct anvil_clnt *
anvil_clnt_create(const char *path)
{
	struct anvil_clnt *clnt = xcalloc(1, sizeof(*clnt));

	clnt->path = xstrdup(path);
	return (clnt);
}

/* anvil_clnt_close - drop the connection */
static void
anvil_clnt_close(struct anvil_clnt *clnt)
{
	if (clnt->stream)
		(void) stream_close(clnt->stream);
	clnt->stream = NULL;
	clnt->has_hello = false;
}

/* anvil_clnt_open - connect when not connected */
static int
anvil_clnt_open(struct anvil_clnt *clnt, struct buf *why)
{
	int	fd;

	if (clnt->stream)
		return (0);
	if ((fd = unix_connect(clnt->path, 1, ANVIL_CLNT_TIMEOUT)) < 0) {
		buf_printf(why, "connect to %s: %m", clnt->path);
		return (-1);
	}
	clnt->stream = stream_fdopen(fd, STREAM_READ | STREAM_WRITE);
	stream_set_name(clnt->stream, clnt->path);
	stream_set_timeout(clnt->stream, ANVIL_CLNT_TIMEOUT);
	return (0);
}

/* anvil_clnt_try - one attempt at a request */
static int
anvil_clnt_try(struct anvil_clnt *clnt, const struct attr *request,
	           const struct attr *reply, struct buf *why)
{
	if (anvil_clnt_open(clnt, why) < 0)
		return (-1);
	if (attr_print(clnt->stream, ATTR_FLAG_FLUSH, request) < 0) {
		buf_printf(why, "write to %s: %m", clnt->path);
		return (-1);
	}
	if (!clnt->has_hello) {
		if (attr_expect_proto(clnt->stream, MAIL_PROTO_ANVIL, why) < 0)
			return (-1);
		clnt->has_hello = true;
	}
	return (attr_scan_full(clnt->stream, ATTR_FLAG_NONE, ANVIL_IDENT_MAX,
			       reply, why) < 0 ? -1 : 0);
}

/* anvil_clnt_request - a request, reconnecting once after a failure */
static int
anvil_clnt_request(struct anvil_clnt *clnt, const struct attr *request,
		           const struct attr *reply, const int *status)
{
	struct buf *why = buf_new(64);
	int	attempt;
	int	ret = -1;

	for (attempt = 0; ret < 0 && attempt < 2; attempt++) {
		buf_reset(why);
		if ((ret = anvil_clnt_try(clnt, request, reply, why)) < 0)
			anvil_clnt_close(clnt);
	}
	if (ret < 0) {
		msg_warn("anvil service: %s", buf_str(why));
	} else if (*status != ANVIL_STAT_OK) {
		msg_warn("anvil service %s: request failed with status %d",
			 clnt->path, *status);
		ret = -1;
	}
	buf_free(why);
	return (ret < 0 ? ANVIL_STAT_FAIL : ANVIL_STAT_OK);
}

/* anvil_clnt_ident - "service:addr" */
static const char *
anvil_clnt_ident(struct buf *ident, const char *service, const char *addr)
{
	return (buf_str(buf_printf(ident, "%s:%s", service, addr)));
}

/* anvil_clnt_connect - report a connection */
int
anvil_clnt_connect(struct anvil_clnt *clnt, const char *service,
		           const char *addr, int *count, int *rate)
{
	struct buf *ident = buf_new(64);
	int	status = -1;
	int	ret;

	ret = anvil_clnt_request(clnt, ATTR_LIST(
				ATTR_STR(MAIL_ATTR_REQ, ANVIL_REQ_CONNECT),
		    ATTR_STR(ANVIL_ATTR_IDENT, anvil_clnt_ident(ident, service, addr))),
				 ATTR_LIST(SCAN_INT(MAIL_ATTR_STATUS, &status),
					   SCAN_INT(MAIL_ATTR_COUNT, count),
					   SCAN_INT(ANVIL_ATTR_RATE, rate)), &status);
	buf_free(ident);
	return (ret);
}

/* anvil_clnt_disconnect - report the end of a connection */
int
anvil_clnt_disconnect(struct anvil_clnt *clnt, const char *service,
		              const char *addr)
{
	struct buf *ident = buf_new(64);
	int	status = -1;
	int	ret;

	ret = anvil_clnt_request(clnt, ATTR_LIST(
			     ATTR_STR(MAIL_ATTR_REQ, ANVIL_REQ_DISCONNECT),
		    ATTR_STR(ANVIL_ATTR_IDENT, anvil_clnt_ident(ident, service, addr))),
			    ATTR_LIST(SCAN_INT(MAIL_ATTR_STATUS, &status)), &status);
	buf_free(ident);
	return (ret);
}

/* anvil_clnt_event - message and recipient requests */
static int
anvil_clnt_event(struct anvil_clnt *clnt, const char *request,
		         const char *service, const char *addr, int *rate)
{
	struct buf *ident = buf_new(64);
	int	status = -1;
	int	ret;

	ret = anvil_clnt_request(clnt, ATTR_LIST(
					   ATTR_STR(MAIL_ATTR_REQ, request),
		    ATTR_STR(ANVIL_ATTR_IDENT, anvil_clnt_ident(ident, service, addr))),
				 ATTR_LIST(SCAN_INT(MAIL_ATTR_STATUS, &status),
					   SCAN_INT(ANVIL_ATTR_RATE, rate)), &status);
	buf_free(ident);
	return (ret);
}

/* anvil_clnt_mail - report a MAIL FROM */
int
anvil_clnt_mail(struct anvil_clnt *clnt, const char *service,
		        const char *addr, int *rate)
{
	return (anvil_clnt_event(clnt, ANVIL_REQ_MESSAGE, service, addr, rate));
}

/* anvil_clnt_rcpt - report a RCPT TO */
int
anvil_clnt_rcpt(struct anvil_clnt *clnt, const char *service,
		        const char *addr, int *rate)
{
	return (anvil_clnt_event(clnt, ANVIL_REQ_RCPT, service, addr, rate));
}

/* anvil_clnt_lookup - read the counters */
int
anvil_clnt_lookup(struct anvil_clnt *clnt, const char *service,
		          const char *addr, struct anvil_usage *usage)
{
	struct buf *ident = buf_new(64);
	int	status = -1;
	int	ret;

	ret = anvil_clnt_request(clnt, ATTR_LIST(
				 ATTR_STR(MAIL_ATTR_REQ, ANVIL_REQ_LOOKUP),
		    ATTR_STR(ANVIL_ATTR_IDENT, anvil_clnt_ident(ident, service, addr))),
				 ATTR_LIST(SCAN_INT(MAIL_ATTR_STATUS, &status),
					   SCAN_INT(MAIL_ATTR_COUNT, &usage->count),
					   SCAN_INT(ANVIL_ATTR_RATE, &usage->rate),
					   SCAN_INT(ANVIL_ATTR_MAIL, &usage->mail),
					   SCAN_INT(ANVIL_ATTR_RCPT, &usage->rcpt)), &status);
	buf_free(ident);
	return (ret);
}

/* anvil_clnt_free - disconnect and release */
void
anvil_clnt_free(struct anvil_clnt *clnt)
{
	if (clnt == NULL)
		return;
	anvil_clnt_close(clnt);
	free(clnt->path);
	free(clnt);
}
