/*
 * NAME
 *	qmgr_bounce - bounced recipients and requests to the bounce service
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_bounce_recipient(struct qmgr_message *message,
 *			size_t index, const char *relay, const char *status,
 *			const char *reason);
 *	void	qmgr_bounce_request(struct qmgr_message *message,
 *			const char *request, qmgr_bounce_fn callback);
 * DESCRIPTION
 *	qmgr_bounce_recipient() records a recipient that failed for good:
 *	an entry in bounce/ID (see qmgr_logfile_append()); the caller marks
 *	the recipient done in the queue file.
 *
 *	qmgr_bounce_request() asks the bounce service, without blocking,
 *	for a notice about the message: BOUNCE_REQ_FLUSH (non-delivery
 *	notice from bounce/ID, through bounce_service_name),
 *	BOUNCE_REQ_EXPIRE (the message expired: bounce/ID and defer/ID
 *	entries, through defer_service_name) or BOUNCE_REQ_WARN (delay
 *	warning from defer/ID, through defer_service_name) or
 *	BOUNCE_REQ_TRACE (success notice from trace/ID, through
 *	trace_service_name). The request is
 *	{request, queue_name, queue_id, sender, dsn_envid, dsn_ret,
 *	encoding, smtputf8} after the service's {proto=bounce} hello; the
 *	answer is {status}: the conversation of bounce_client(3), driven by
 *	the event loop instead of waiting. callback(message, status) runs
 *	once: status 0
 *	when the service took the request, -1 when it could not be reached,
 *	failed, or broke the protocol (logged as a warning).
 * SEE ALSO
 *	bounce(8), bounce_client(3), qmgr_active(3), qmgr_ipc(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/attr.h>
#include <util/msg.h>
#include <global/mail_proto.h>
#include <global/params.h>

#include "qmgr.h"

struct qmgr_bounce_state {
	struct qmgr_message *message;
	qmgr_bounce_fn callback;
	char   *request;
	int	got_hello;
};

/* qmgr_bounce_recipient - append a bounce logfile entry */
void
qmgr_bounce_recipient(struct qmgr_message *message, size_t index,
		              const char *relay, const char *status,
		              const char *reason)
{
	(void) qmgr_logfile_append(MAIL_QUEUE_BOUNCE, message->queue_id,
				   message->env.rcpts + index, status, "failed",
				   reason, relay);
	message->has_bounce_log = 1;
	message->rcpt_state[index] = QMGR_RCPT_BOUNCED;
}

/* qmgr_bounce_finish - report and clean up once */
static void
qmgr_bounce_finish(struct qmgr_ipc *ipc, struct qmgr_bounce_state *st,
		           int status, const char *why)
{
	struct qmgr_message *message = st->message;

	if (status != 0)
		msg_warn("%s: %s request to %s failed: %s", message->queue_id,
			 st->request, qmgr_ipc_name(ipc), why);
	qmgr_ipc_close(ipc);
	message->bounce_ipc = NULL;
	free(st->request);
	st->callback(message, status);
	free(st);
}

/* qmgr_bounce_event - the bounce service answered (or not) */
static void
qmgr_bounce_event(struct qmgr_ipc *ipc, int event, void *ctx)
{
	struct qmgr_bounce_state *st = ctx;
	struct buf *why;
	int	status = -1;

	if (event != QMGR_IPC_LIST) {
		qmgr_bounce_finish(ipc, st, -1, event == QMGR_IPC_EOF ?
			      "connection closed early" : qmgr_ipc_error(ipc));
		return;
	}
	why = buf_new(100);
	if (!st->got_hello) {
		st->got_hello = 1;
		if (attr_expect_proto(qmgr_ipc_stream(ipc), MAIL_PROTO_BOUNCE, why) < 0)
			qmgr_bounce_finish(ipc, st, -1, buf_str(why));
	} else if (attr_scan_full(qmgr_ipc_stream(ipc), ATTR_FLAG_MORE, 0,
			     ATTR_LIST(SCAN_INT(BOUNCE_ATTR_STATUS, &status)),
				  why) != 1) {
		qmgr_bounce_finish(ipc, st, -1, buf_str(why));
	} else {
		qmgr_bounce_finish(ipc, st, status == 0 ? 0 : -1,
				   "service reported failure");
	}
	buf_free(why);
}

/* qmgr_bounce_send - print the request */
static void
qmgr_bounce_send(struct qmgr_ipc *ipc, const struct qmgr_message *message,
		         const char *request)
{
	(void) attr_print(qmgr_ipc_stream(ipc), ATTR_FLAG_NONE, ATTR_LIST(
		ATTR_STR(BOUNCE_ATTR_REQ, request),
		ATTR_STR(BOUNCE_ATTR_QUEUE, MAIL_QUEUE_ACTIVE),
		ATTR_STR(BOUNCE_ATTR_QUEUE_ID, message->queue_id),
		ATTR_STR(BOUNCE_ATTR_SENDER, message->env.sender),
		ATTR_STR(BOUNCE_ATTR_DSN_ENVID,
			 qmgr_message_attr_str(message, MAIL_ATTR_DSN_ENVID, "")),
		ATTR_INT(BOUNCE_ATTR_DSN_RET,
			 qmgr_message_attr_int(message, MAIL_ATTR_DSN_RET)),
		ATTR_STR(BOUNCE_ATTR_ENCODING,
			 qmgr_message_attr_str(message, MAIL_ATTR_ENCODING, "")),
		ATTR_INT(BOUNCE_ATTR_SMTPUTF8,
			 qmgr_message_attr_int(message, MAIL_ATTR_SMTPUTF8))));
}

/* qmgr_bounce_request - ask the bounce service for a notice */
void
qmgr_bounce_request(struct qmgr_message *message, const char *request,
		            qmgr_bounce_fn callback)
{
	struct qmgr_bounce_state *st;
	struct buf *path = buf_new(64);
	struct buf *why = buf_new(100);
	struct qmgr_ipc *ipc;

	buf_printf(path, "%s/%s", MAIL_CLASS_PRIVATE,
		   strcmp(request, BOUNCE_REQ_FLUSH) == 0 ? var_bounce_service_name
		   : strcmp(request, BOUNCE_REQ_TRACE) == 0 ? var_trace_service_name
		   : var_defer_service_name);
	if ((ipc = qmgr_ipc_connect(buf_str(path), why)) == NULL) {
		msg_warn("%s: %s request: %s", message->queue_id, request,
			 buf_str(why));
		buf_free(path);
		buf_free(why);
		callback(message, -1);
		return;
	}
	st = xcalloc(1, sizeof(*st));
	st->message = message;
	st->callback = callback;
	st->request = xstrdup(request);
	message->bounce_ipc = ipc;
	qmgr_bounce_send(ipc, message, request);
	qmgr_ipc_start(ipc, (int) var_ipc_timeout, qmgr_bounce_event, st);
	buf_free(path);
	buf_free(why);
}
