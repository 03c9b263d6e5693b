/*
 * NAME
 *	qmgr_ipc - non-blocking attribute conversations over the event loop
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	struct qmgr_ipc *qmgr_ipc_connect(const char *path, struct buf *why);
 *	struct stream *qmgr_ipc_stream(struct qmgr_ipc *ipc);
 *	void	qmgr_ipc_start(struct qmgr_ipc *ipc, int timeout_s,
 *			qmgr_ipc_fn fn, void *ctx);
 *	void	qmgr_ipc_close(struct qmgr_ipc *ipc);
 *	const char *qmgr_ipc_name(const struct qmgr_ipc *ipc);
 *	const char *qmgr_ipc_error(const struct qmgr_ipc *ipc);
 *	ssize_t	qmgr_ipc_list_len(const char *data, size_t len,
 *			struct buf *why);
 * DESCRIPTION
 *	The queue manager talks to delivery agents and to the bounce
 *	service with the attribute protocol (attr(3)) but must never wait
 *	for a peer. This module keeps both directions in memory: attr(3)
 *	writes to and reads from a memory-backed stream, and the event
 *	loop moves the bytes.
 *
 *	qmgr_ipc_connect() connects to the UNIX-domain socket path
 *	without blocking. It returns NULL with errno: EAGAIN when the
 *	listener's backlog is full (try again soon), anything else when the
 *	service is not there; why says "connect to PATH: reason".
 *
 *	qmgr_ipc_stream() is the stream to attr_print() the request to and
 *	to attr_scan() replies from. qmgr_ipc_start() sends what was
 *	printed and starts reading; each time one complete attribute list
 *	has arrived, fn(ipc, QMGR_IPC_LIST, ctx) is called and must read
 *	exactly that list with attr_scan() (or a relative). At end of
 *	input between lists fn gets QMGR_IPC_EOF; after an I/O error, a
 *	malformed list, input that ends inside a list, or timeout_s
 *	seconds without input, QMGR_IPC_ERROR (qmgr_ipc_error() says why).
 *	After EOF or ERROR no further call comes; the callback then closes
 *	the conversation. The callback may call qmgr_ipc_close() at any
 *	time, also from within a QMGR_IPC_LIST call.
 *
 *	qmgr_ipc_list_len() checks the framing of one list at the start of
 *	data: it returns the list's length when it is complete, 0 when
 *	more bytes are needed, and -1 (why set) when the framing is broken:
 *	an unknown type byte, a bad name length, a value over the limit or
 *	too many items.
 * DIAGNOSTICS
 *	Nothing is logged here; callers log with qmgr_ipc_error().
 * SEE ALSO
 *	attr(3), events(3), qmgr_deliver(3), qmgr_bounce(3)
 */
#include <util/sys_defs.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/attr.h>
#include <util/buf.h>
#include <util/events.h>
#include <util/stream.h>

#include "qmgr.h"

#define QMGR_IPC_READ_CHUNK	16384

struct qmgr_ipc {
	int	fd;
	char   *name;
	struct stream *mem;		/* attr(3) side, memory backed */
	struct buf *out;		/* request bytes */
	size_t	out_done;		/* bytes written */
	struct buf *in;			/* reply bytes */
	size_t	in_ready;		/* end of lists released to the stream */
	size_t	in_used;		/* bytes the stream has taken */
	qmgr_ipc_fn fn;
	void   *ctx;
	int	timeout_s;
	int	in_callback;
	int	is_closed;		/* close requested */
	int	is_finished;		/* EOF or ERROR delivered */
	struct buf *error;
};

/* qmgr_ipc_mem_read - the stream reads released reply bytes */
static ssize_t
qmgr_ipc_mem_read(int fd, void *buf, size_t len, long timeout_ms, void *ctx)
{
	struct qmgr_ipc *ipc = ctx;
	size_t	n = ipc->in_ready - ipc->in_used;

	(void) fd;
	(void) timeout_ms;
	if (n > len)
		n = len;
	memcpy(buf, ipc->in->data + ipc->in_used, n);
	ipc->in_used += n;
	return ((ssize_t) n);
}

/* qmgr_ipc_mem_write - the stream writes request bytes */
static ssize_t
qmgr_ipc_mem_write(int fd, const void *buf, size_t len, long timeout_ms,
		           void *ctx)
{
	struct qmgr_ipc *ipc = ctx;

	(void) fd;
	(void) timeout_ms;
	buf_catn(ipc->out, buf, len);
	return ((ssize_t) len);
}

/* qmgr_ipc_list_len - length of one complete list, 0 partial, -1 bad */
ssize_t
qmgr_ipc_list_len(const char *data, size_t len, struct buf *why)
{
	const unsigned char *p = (const unsigned char *) data;
	size_t	pos = 0, items = 0, namelen, valuelen;

	for (;;) {
		if (pos >= len)
			return (0);
		if (p[pos] == ATTR_WIRE_END)
			return ((ssize_t) (pos + 1));
		if (p[pos] != ATTR_WIRE_STR && p[pos] != ATTR_WIRE_NUM
		    && p[pos] != ATTR_WIRE_DATA) {
			buf_printf(why, "bad attribute type byte 0x%02x", p[pos]);
			return (-1);
		}
		if (++items > ATTR_COUNT_LIMIT) {
			buf_printf(why, "more than %d attributes", ATTR_COUNT_LIMIT);
			return (-1);
		}
		if (pos + 2 > len)
			return (0);
		namelen = p[pos + 1];
		if (namelen == 0 || namelen > ATTR_NAME_LIMIT) {
			buf_printf(why, "bad attribute name length %zu", namelen);
			return (-1);
		}
		pos += 2 + namelen;
		if (pos + 4 > len)
			return (0);
		valuelen = ((size_t) p[pos] << 24) | ((size_t) p[pos + 1] << 16)
			| ((size_t) p[pos + 2] << 8) | p[pos + 3];
		if (valuelen > ATTR_VALUE_LIMIT) {
			buf_printf(why, "attribute value of %zu bytes", valuelen);
			return (-1);
		}
		pos += 4 + valuelen;
	}
}

/* qmgr_ipc_connect - non-blocking connect to a UNIX-domain socket */
struct qmgr_ipc *
qmgr_ipc_connect(const char *path, struct buf *why)
{
	struct sockaddr_un sun;
	struct qmgr_ipc *ipc;
	size_t	len = strlen(path);
	int	fd, saved;

	if (len == 0 || len >= sizeof(sun.sun_path)) {
		buf_printf(why, "connect to %s: path name too long", path);
		errno = ENAMETOOLONG;
		return (NULL);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		buf_printf(why, "socket: %m");
		return (NULL);
	}
	while (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0) {
		if (errno == EINTR)
			continue;
		saved = errno;
		buf_printf(why, "connect to %s: %m", path);
		(void) close(fd);
		errno = (saved == EINPROGRESS ? EAGAIN : saved);
		return (NULL);
	}
	ipc = xcalloc(1, sizeof(*ipc));
	ipc->fd = fd;
	ipc->name = xstrdup(path);
	ipc->out = buf_new(1024);
	ipc->in = buf_new(1024);
	ipc->error = buf_new(64);
	ipc->mem = stream_fdopen(fd, STREAM_READ | STREAM_WRITE);
	stream_set_name(ipc->mem, path);
	stream_set_io(ipc->mem, qmgr_ipc_mem_read, qmgr_ipc_mem_write, ipc);
	return (ipc);
}

/* qmgr_ipc_stream - where attr(3) reads and writes */
struct stream *
qmgr_ipc_stream(struct qmgr_ipc *ipc)
{
	return (ipc->mem);
}

/* qmgr_ipc_name - the socket path */
const char *
qmgr_ipc_name(const struct qmgr_ipc *ipc)
{
	return (ipc->name);
}

/* qmgr_ipc_error - why the conversation failed */
const char *
qmgr_ipc_error(const struct qmgr_ipc *ipc)
{
	return (buf_str(ipc->error));
}

/* qmgr_ipc_destroy - release everything */
static void
qmgr_ipc_destroy(struct qmgr_ipc *ipc)
{
	event_disable_readwrite(ipc->fd);
	(void) stream_free(ipc->mem);
	(void) close(ipc->fd);
	buf_free(ipc->out);
	buf_free(ipc->in);
	buf_free(ipc->error);
	free(ipc->name);
	free(ipc);
}

static void qmgr_ipc_timeout(int event, void *ctx);

/* qmgr_ipc_close - end the conversation (deferred inside callbacks) */
void
qmgr_ipc_close(struct qmgr_ipc *ipc)
{
	event_cancel_timer(qmgr_ipc_timeout, ipc);
	if (ipc->in_callback) {
		ipc->is_closed = 1;
		event_disable_readwrite(ipc->fd);
		return;
	}
	qmgr_ipc_destroy(ipc);
}

/* qmgr_ipc_call - run the callback; 1 if ipc is gone afterwards */
static int
qmgr_ipc_call(struct qmgr_ipc *ipc, int event)
{
	ipc->in_callback = 1;
	if (event != QMGR_IPC_LIST)
		ipc->is_finished = 1;
	ipc->fn(ipc, event, ipc->ctx);
	ipc->in_callback = 0;
	if (ipc->is_closed) {
		qmgr_ipc_destroy(ipc);
		return (1);
	}
	return (0);
}

/* qmgr_ipc_fail - report an error once */
static int
qmgr_ipc_fail(struct qmgr_ipc *ipc)
{
	event_disable_readwrite(ipc->fd);
	event_cancel_timer(qmgr_ipc_timeout, ipc);
	return (qmgr_ipc_call(ipc, QMGR_IPC_ERROR));
}

/* qmgr_ipc_timeout - no progress in time */
static void
qmgr_ipc_timeout(int event, void *ctx)
{
	struct qmgr_ipc *ipc = ctx;

	(void) event;
	buf_printf(ipc->error, "timeout after %ds talking to %s",
		   ipc->timeout_s, ipc->name);
	(void) qmgr_ipc_fail(ipc);
}

/* qmgr_ipc_dispatch - hand out complete lists; 1 if ipc is gone */
static int
qmgr_ipc_dispatch(struct qmgr_ipc *ipc)
{
	ssize_t	n;

	while (!ipc->is_finished) {
		n = qmgr_ipc_list_len(ipc->in->data + ipc->in_ready,
				      buf_len(ipc->in) - ipc->in_ready, ipc->error);
		if (n < 0) {
			buf_printf(ipc->error, "%s: malformed reply", ipc->name);
			return (qmgr_ipc_fail(ipc));
		}
		if (n == 0)
			break;
		ipc->in_ready += (size_t) n;
		if (qmgr_ipc_call(ipc, QMGR_IPC_LIST))
			return (1);
	}
	if (ipc->in_used == buf_len(ipc->in) && stream_pending(ipc->mem) == 0) {
		buf_reset(ipc->in);
		ipc->in_used = ipc->in_ready = 0;
	}
	return (0);
}

/* qmgr_ipc_read_event - reply bytes arrived (or end of file) */
static void
qmgr_ipc_read_event(int event, void *ctx)
{
	struct qmgr_ipc *ipc = ctx;
	ssize_t	n;

	(void) event;
	buf_reserve(ipc->in, QMGR_IPC_READ_CHUNK);
	n = read(ipc->fd, ipc->in->data + buf_len(ipc->in), QMGR_IPC_READ_CHUNK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		buf_printf(ipc->error, "read from %s: %m", ipc->name);
		(void) qmgr_ipc_fail(ipc);
		return;
	}
	if (n > 0) {
		ipc->in->len += (size_t) n;
		ipc->in->data[ipc->in->len] = 0;
		event_request_timer(qmgr_ipc_timeout, ipc, ipc->timeout_s * 1000L);
		(void) qmgr_ipc_dispatch(ipc);
		return;
	}
	if (qmgr_ipc_dispatch(ipc) || ipc->is_finished)
		return;
	event_disable_readwrite(ipc->fd);
	event_cancel_timer(qmgr_ipc_timeout, ipc);
	if (buf_len(ipc->in) > ipc->in_ready) {
		buf_printf(ipc->error, "%s: reply ends inside a list", ipc->name);
		(void) qmgr_ipc_call(ipc, QMGR_IPC_ERROR);
	} else {
		(void) qmgr_ipc_call(ipc, QMGR_IPC_EOF);
	}
}

/* qmgr_ipc_write_event - send more request bytes */
static void
qmgr_ipc_write_event(int event, void *ctx)
{
	struct qmgr_ipc *ipc = ctx;
	ssize_t	n;

	(void) event;
	while (ipc->out_done < buf_len(ipc->out)) {
		n = send(ipc->fd, ipc->out->data + ipc->out_done,
			 buf_len(ipc->out) - ipc->out_done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			buf_printf(ipc->error, "write to %s: %m", ipc->name);
			(void) qmgr_ipc_fail(ipc);
			return;
		}
		ipc->out_done += (size_t) n;
	}
	event_disable_write(ipc->fd);
	buf_reset(ipc->out);
	ipc->out_done = 0;
}

/* qmgr_ipc_start - send the printed request, then read replies */
void
qmgr_ipc_start(struct qmgr_ipc *ipc, int timeout_s, qmgr_ipc_fn fn, void *ctx)
{
	ipc->fn = fn;
	ipc->ctx = ctx;
	ipc->timeout_s = timeout_s > 0 ? timeout_s : 1;
	(void) stream_flush(ipc->mem);
	event_enable_read(ipc->fd, qmgr_ipc_read_event, ipc);
	event_request_timer(qmgr_ipc_timeout, ipc, ipc->timeout_s * 1000L);
	if (buf_len(ipc->out) > ipc->out_done)
		event_enable_write(ipc->fd, qmgr_ipc_write_event, ipc);
}
