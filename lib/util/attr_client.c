/*
 * NAME
 *	attr_client - conversations over the attribute protocol
 * SYNOPSIS
 *	#include <util/attr.h>
 *
 *	int	attr_send_proto(struct stream *s, const char *proto);
 *	int	attr_expect_proto(struct stream *s, const char *proto,
 *			struct buf *why);
 *	int	attr_transact(struct stream *s, const struct attr *request,
 *			int reply_flags, const struct attr *reply,
 *			struct buf *why);
 *	int	attr_request(const char *path, int timeout_s, const char *proto,
 *			const struct attr *request, int reply_flags,
 *			const struct attr *reply, struct buf *why);
 * DESCRIPTION
 *	The protocol hello and request/reply helpers of attr(3); see
 *	attr.h for the contract. Problems go to why when the caller gives
 *	one, else to the log as warnings.
 * SEE ALSO
 *	attr.c
 */
#include <util/sys_defs.h>
#include <util/msg.h>
#include <util/buf.h>
#include <util/stream.h>
#include <util/iostuff.h>
#include <util/attr.h>

/* attr_client_fail - report a problem to why or the log; return -1 */
static int PRINTFLIKE(3, 4)
attr_client_fail(struct buf *why, int err, const char *fmt,...)
{
	int	saved = errno;			/* for %m */
	struct buf *text = buf_new(100);
	va_list	ap;

	errno = saved;
	va_start(ap, fmt);
	buf_vappendf(text, fmt, ap);
	va_end(ap);
	if (why)
		buf_cpy(why, buf_str(text));
	else
		msg_warn("%s", buf_str(text));
	buf_free(text);
	errno = err;
	return (-1);
}

/* attr_send_proto - the server's hello: {proto=NAME} */
int
attr_send_proto(struct stream *s, const char *proto)
{
	return (attr_print(s, ATTR_FLAG_FLUSH,
			   ATTR_LIST(ATTR_STR(ATTR_NAME_PROTO, proto))));
}

/* attr_expect_proto - read the hello and check the protocol name */
int
attr_expect_proto(struct stream *s, const char *proto, struct buf *why)
{
	struct buf *got = buf_new(32);
	struct buf *problem = buf_new(100);
	int	ret = 0;

	if (attr_scan_full(s, ATTR_FLAG_NONE, ATTR_NAME_LIMIT,
			   ATTR_LIST(SCAN_STR(ATTR_NAME_PROTO, got)), problem) < 0)
		ret = attr_client_fail(why, errno, "%s: protocol hello: %s",
				       stream_name(s), errno == ENODATA ?
				       "connection closed" : buf_str(problem));
	else if (strcmp(buf_str(got), proto) != 0)
		ret = attr_client_fail(why, EPROTO, "%s: protocol \"%.100s\", expected \"%s\"",
				       stream_name(s), buf_str(got), proto);
	buf_free(got);
	buf_free(problem);
	return (ret);
}

/* attr_transact - send a request, read the reply */
int
attr_transact(struct stream *s, const struct attr *request, int reply_flags,
	              const struct attr *reply, struct buf *why)
{
	struct buf *problem;
	int	ret;

	if (attr_print(s, ATTR_FLAG_FLUSH, request) < 0) {
		if (stream_timed_out(s))
			return (attr_client_fail(why, errno, "%s: timeout while sending request",
						 stream_name(s)));
		return (attr_client_fail(why, errno, "%s: write error: %m", stream_name(s)));
	}
	problem = buf_new(100);
	if ((ret = attr_scan_full(s, reply_flags, 0, reply, problem)) < 0)
		ret = attr_client_fail(why, errno, "%s: reply: %s", stream_name(s),
				       errno == ENODATA ? "connection closed"
				       : buf_str(problem));
	buf_free(problem);
	return (ret);
}

/* attr_request - connect, check hello, send, read reply, disconnect */
int
attr_request(const char *path, int timeout_s, const char *proto,
	             const struct attr *request, int reply_flags,
	             const struct attr *reply, struct buf *why)
{
	struct stream *s;
	int	fd;
	int	ret;
	int	saved;

	if ((fd = unix_connect(path, 1, timeout_s)) < 0)
		return (attr_client_fail(why, errno, "connect to %s: %m", path));
	s = stream_fdopen(fd, STREAM_READ | STREAM_WRITE);
	stream_set_name(s, path);
	stream_set_timeout(s, timeout_s > 0 ? timeout_s : 0);
	if (proto != NULL && attr_expect_proto(s, proto, why) < 0)
		ret = -1;
	else
		ret = attr_transact(s, request, reply_flags, reply, why);
	saved = errno;
	(void) stream_close(s);
	errno = saved;
	return (ret);
}
