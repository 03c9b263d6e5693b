/*
 * NAME
 *	qmgr_deliver - hand an entry to a delivery agent, act on the results
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_deliver(struct qmgr_transport *transport,
 *			struct qmgr_entry *entry);
 *	int	qmgr_deliver_count(void);
 * DESCRIPTION
 *	qmgr_deliver() connects to private/TRANSPORT without blocking and
 *	sends one delivery request: the message's queue ID, content offset
 *	and size, the nexthop, the sender and DSN details, and the entry's
 *	recipients with their record offsets. The agent's hello
 *	{proto=deliver} is checked when it arrives. Then, as each reply
 *	list comes in:
 * .IP "recipient {offset, status, dsn_status, reason, relay, ...}"
 *	status 0: the recipient is marked done in the queue file at once
 *	(rec_mark_done()), so a crash can never deliver it twice; when the
 *	agent's dsn_notify still asks for SUCCESS (and the sender is not
 *	null), an entry with its dsn_action (delivered, relayed, expanded)
 *	goes to trace/ID first, for the success notice. Status
 *	5: an entry in bounce/ID, then marked done; with soft_bounce = yes
 *	it is a deferral instead. Any other status: an entry in defer/ID
 *	and a retry time proposed from the transport's schedule (plus
 *	smtp_throttle_backoff when the delivery was throttled). The agent
 *	logs these recipients itself.
 * .IP "final {status, flags, reply}"
 *	The destination's window gets its feedback: DEL_STAT_THROTTLED
 *	throttles it, DEL_STAT_DEST_DEAD counts as a failed delivery (and
 *	may kill the destination, with the reason of this delivery),
 *	anything else is a success (unless it was much slower than usual,
 *	see qmgr_queue_latency()). Status -1 is an agent failure.
 * .PP
 *	Recipients the agent did not report (status -1, the connection
 *	broke, a protocol error, no answer within daemon_timeout) are
 *	deferred by the queue manager with "delivery agent failed" or
 *	"unknown mail transport error", and the destination gets negative
 *	feedback that does not count towards the dead state.
 *
 *	When the agent's socket is missing or refuses connections, the
 *	transport is unavailable for transport_retry_time (see
 *	qmgr_transport(3)); when its backlog is full the entry waits and
 *	the transport is tried again a moment later.
 *
 *	qmgr_deliver_count() is the number of deliveries in progress.
 * DIAGNOSTICS
 *	Warnings for an unreachable transport, a protocol violation by an
 *	agent, an unknown recipient offset, and a failed rec_mark_done().
 * SEE ALSO
 *	qmgr_ipc(3), qmgr_queue(3), qmgr_defer(3), qmgr_bounce(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/attr.h>
#include <util/events.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/dsn.h>
#include <global/mail_proto.h>
#include <global/metrics_snapshot.h>
#include <global/params.h>
#include <global/record.h>

#include "qmgr.h"

#define QMGR_CONNECT_RETRY_MS	200	/* backlog full: try again */

 /*
  * One recipient result from the agent.
  */
struct qmgr_result {
	int	status;			/* DELIVER_STAT_* */
	const char *dsn_status;		/* or NULL */
	const char *action;		/* or NULL */
	int	notify;			/* DSN_NOTIFY_* still owed */
	const char *reason;
	const char *relay;
};

struct qmgr_delivery {
	struct qmgr_entry *entry;
	struct qmgr_transport *transport;
	struct qmgr_ipc *ipc;
	int	got_hello;
	unsigned char *reported;	/* per entry recipient */
	int	deferred;		/* recipients deferred by the agent */
	char   *fail_status;		/* first deferral: kills a dead site */
	char   *fail_reason;
	int64_t	started;		/* ms */
};

static int qmgr_deliver_active;

/* qmgr_deliver_count - deliveries in progress */
int
qmgr_deliver_count(void)
{
	return (qmgr_deliver_active);
}

/* qmgr_deliver_encoding - the delivery protocol's encoding word */
static const char *
qmgr_deliver_encoding(const struct qmgr_message *message)
{
	const char *value = qmgr_message_attr_str(message, MAIL_ATTR_ENCODING, "");

	return (strchr(value, '8') != NULL ? "8bit" : "7bit");
}

/* qmgr_deliver_flags - request flags: more mail waits for the nexthop */
static int
qmgr_deliver_flags(const struct qmgr_entry *e)
{
	return (e->queue->todo_count > 0 ? DEL_REQ_FLAG_CONN_STORE : 0);
}

/* qmgr_deliver_request - print the request into the conversation */
static void
qmgr_deliver_request(struct qmgr_ipc *ipc, const struct qmgr_entry *e)
{
	const struct qmgr_message *m = e->message;
	struct stream *s = qmgr_ipc_stream(ipc);
	const struct qfile_rcpt *r;
	size_t	i;

	(void) attr_print(s, ATTR_FLAG_NONE, ATTR_LIST(
		ATTR_INT(DELIVER_ATTR_FLAGS, qmgr_deliver_flags(e)),
		ATTR_STR(DELIVER_ATTR_QUEUE, MAIL_QUEUE_ACTIVE),
		ATTR_STR(DELIVER_ATTR_QUEUE_ID, m->queue_id),
		ATTR_LONG(DELIVER_ATTR_DATA_OFFSET, (long) m->env.mesg_offset),
		ATTR_LONG(DELIVER_ATTR_DATA_SIZE, (long) m->env.size),
		ATTR_STR(DELIVER_ATTR_NEXTHOP, e->queue->nexthop),
		ATTR_STR(DELIVER_ATTR_TRANSPORT, e->queue->transport->name),
		ATTR_STR(DELIVER_ATTR_ENCODING, qmgr_deliver_encoding(m)),
		ATTR_INT(DELIVER_ATTR_SMTPUTF8,
			 qmgr_message_attr_int(m, MAIL_ATTR_SMTPUTF8)),
		ATTR_STR(DELIVER_ATTR_SENDER, m->env.sender),
		ATTR_STR(DELIVER_ATTR_DSN_ENVID,
			 qmgr_message_attr_str(m, MAIL_ATTR_DSN_ENVID, "")),
		ATTR_INT(DELIVER_ATTR_DSN_RET,
			 qmgr_message_attr_int(m, MAIL_ATTR_DSN_RET)),
		ATTR_STR(DELIVER_ATTR_LOG_IDENT,
			 qmgr_message_attr_str(m, MAIL_ATTR_LOG_IDENT, m->queue_id)),
		ATTR_LONG(DELIVER_ATTR_ARRIVAL_TIME, (long) m->env.arrival),
		ATTR_LONG(DELIVER_ATTR_ARRIVAL_USEC, m->env.arrival_usec),
		ATTR_LONG(DELIVER_ATTR_ACTIVE_TIME, (long) m->active_time.tv_sec),
		ATTR_LONG(DELIVER_ATTR_ACTIVE_USEC, (long) m->active_time.tv_usec),
		ATTR_STR(DELIVER_ATTR_PRIORITY, qmgr_prio_name(e->prio)),
		ATTR_INT(DELIVER_ATTR_RCPT_COUNT, (int) e->rcpt_count)));
	for (i = 0; i < e->rcpt_count; i++) {
		r = m->env.rcpts + e->rcpts[i];
		(void) attr_print(s, ATTR_FLAG_NONE, ATTR_LIST(
			ATTR_LONG(DELIVER_ATTR_OFFSET, (long) r->offset),
			ATTR_STR(DELIVER_ATTR_ADDRESS, r->address),
			ATTR_STR(DELIVER_ATTR_ORIG_ADDRESS, r->orig ? r->orig : ""),
			ATTR_INT(DELIVER_ATTR_DSN_NOTIFY, r->notify)));
	}
}

/* qmgr_deliver_mark_done - the recipient is finished in the file */
static void
qmgr_deliver_mark_done(struct qmgr_message *m, size_t index)
{
	int	fd = qmgr_message_fd(m);

	if (fd < 0 || rec_mark_done(fd, m->env.rcpts[index].offset) < 0)
		msg_warn("%s: mark recipient %s done at offset %lld: %m",
			 m->queue_id, m->env.rcpts[index].address,
			 (long long) m->env.rcpts[index].offset);
}

/* qmgr_deliver_status_text - a usable DSN status for a result */
static const char *
qmgr_deliver_status_text(struct buf *out, const char *given, int status)
{
	int	want = status == DELIVER_STAT_OK ? 2
	: status == DELIVER_STAT_BOUNCE ? 5 : 4;

	if (given != NULL && dsn_valid_status(given))
		buf_cpy(out, given);
	else
		buf_printf(out, "%d.0.0", want);
	out->data[0] = (char) ('0' + want);
	return (buf_str(out));
}

/* qmgr_deliver_age - seconds since the message arrived */
static double
qmgr_deliver_age(const struct qmgr_message *m)
{
	struct timeval now;

	gettimeofday(&now, NULL);
	return ((double) (now.tv_sec - m->env.arrival)
		+ (double) (now.tv_usec - m->env.arrival_usec) / 1e6);
}

/* qmgr_deliver_trace - a success entry in trace/ID (NOTIFY=SUCCESS) */
static void
qmgr_deliver_trace(struct qmgr_message *m, size_t index, const char *status,
		           const struct qmgr_result *res)
{
	const char *action = dsn_success_action(res->action);

	/* Mail from the null sender never gets a notice (no loops). */
	if ((res->notify & DSN_NOTIFY_SUCCESS) == 0 || *m->env.sender == 0)
		return;
	/* The agent's reason is that of one destination only. */
	if (qmgr_logfile_append(MAIL_QUEUE_TRACE, m->queue_id, m->env.rcpts + index,
				status, action, strcmp(action, DSN_ACTION_EXPANDED) == 0 ?
				"alias expanded" : res->reason, res->relay) == 0)
		m->has_trace_log = 1;
}

/* qmgr_deliver_rcpt_result - act on one recipient's result */
static void
qmgr_deliver_rcpt_result(struct qmgr_delivery *d, size_t slot,
			         const struct qmgr_result *res)
{
	struct qmgr_message *m = d->entry->message;
	size_t	index = d->entry->rcpts[slot];
	struct buf *st = buf_new(16);
	const char *reason = res->reason;
	const char *relay = res->relay;
	int	status = res->status;

	if (status == DELIVER_STAT_BOUNCE && var_soft_bounce)
		status = DELIVER_STAT_DEFER;
	qmgr_deliver_status_text(st, res->dsn_status, status);
	if (status == DELIVER_STAT_OK) {
		qmgr_deliver_trace(m, index, buf_str(st), res);
		qmgr_deliver_mark_done(m, index);
		m->rcpt_state[index] = QMGR_RCPT_DONE;
		qmgr_metrics_result(d->transport, METRICS_STATUS_SENT, buf_str(st));
		qmgr_metrics_delay(d->transport, d->entry->prio, qmgr_deliver_age(m));
	} else if (status == DELIVER_STAT_BOUNCE) {
		qmgr_bounce_recipient(m, index, relay, buf_str(st), reason);
		qmgr_deliver_mark_done(m, index);
		qmgr_metrics_result(d->transport, METRICS_STATUS_BOUNCED, buf_str(st));
	} else {
		qmgr_metrics_result(d->transport, METRICS_STATUS_DEFERRED, buf_str(st));
		(void) qmgr_logfile_append(MAIL_QUEUE_DEFER, m->queue_id,
					   m->env.rcpts + index, buf_str(st),
					   DSN_ACTION_DELAYED, reason, relay);
		m->has_defer_log = 1;
		m->rcpt_state[index] = QMGR_RCPT_DEFERRED;
		d->deferred++;
		if (d->fail_status == NULL) {
			d->fail_status = xstrdup(buf_str(st));
			d->fail_reason = xstrdup(reason);
		}
	}
	d->reported[slot] = 1;
	buf_free(st);
}

/* qmgr_deliver_rcpt - one {offset, status, ...} reply list */
static int
qmgr_deliver_rcpt(struct qmgr_delivery *d, struct htable *attrs)
{
	const char *offset = htable_find(attrs, DELIVER_ATTR_OFFSET);
	const char *status = htable_find(attrs, DELIVER_ATTR_STATUS);
	const char *reason = htable_find(attrs, DELIVER_ATTR_REASON);
	const char *relay = htable_find(attrs, DELIVER_ATTR_RELAY);
	const char *notify = htable_find(attrs, DELIVER_ATTR_RESULT_NOTIFY);
	struct qmgr_entry *e = d->entry;
	struct qmgr_result res;
	long long off;
	size_t	slot;

	if (status == NULL) {
		msg_warn("%s: recipient status without %s", qmgr_ipc_name(d->ipc),
			 DELIVER_ATTR_STATUS);
		return (-1);
	}
	off = strtoll(offset, NULL, 10);
	for (slot = 0; slot < e->rcpt_count; slot++)
		if (!d->reported[slot]
		    && (long long) e->message->env.rcpts[e->rcpts[slot]].offset == off)
			break;
	if (slot == e->rcpt_count) {
		msg_warn("%s: %s: status for unknown or repeated recipient offset %s",
			 e->message->queue_id, qmgr_ipc_name(d->ipc), offset);
		return (-1);
	}
	res.status = atoi(status);
	res.dsn_status = htable_find(attrs, DELIVER_ATTR_DSN_STATUS);
	res.action = htable_find(attrs, DELIVER_ATTR_DSN_ACTION);
	res.notify = notify ? atoi(notify) : 0;
	res.reason = reason ? reason : "";
	res.relay = relay && *relay ? relay : "none";
	qmgr_deliver_rcpt_result(d, slot, &res);
	return (0);
}

/* qmgr_deliver_free - release the delivery state */
static void
qmgr_deliver_free(struct qmgr_delivery *d)
{
	free(d->reported);
	free(d->fail_status);
	free(d->fail_reason);
	free(d);
}

/* qmgr_deliver_feedback - tell the destination how it went */
static void
qmgr_deliver_feedback(struct qmgr_delivery *d, int agent_ok, int flags,
		              const char *reply)
{
	struct qmgr_queue *q = d->entry->queue;
	int64_t	now = event_time_update();

	if (!agent_ok) {
		(void) qmgr_queue_failure(q, 0);
	} else if (flags & DEL_STAT_THROTTLED) {
		qmgr_queue_throttle(q, now, reply);
	} else if (flags & DEL_STAT_DEST_DEAD) {
		if (qmgr_queue_failure(q, 1) == QMGR_QUEUE_BECAME_DEAD)
			qmgr_queue_kill(q, now,
					d->fail_status ? d->fail_status : "4.4.1",
					d->fail_reason ? d->fail_reason
					: (reply && *reply ? reply
					   : "destination unreachable"));
	} else if (!qmgr_queue_latency(q, (double) (now - d->started) / 1000.0)) {
		qmgr_queue_success(q);
	}
}

/* qmgr_deliver_done - the delivery is over: account, clean up */
static void
qmgr_deliver_done(struct qmgr_delivery *d, int agent_ok, int flags,
		          const char *reply, const char *unreported)
{
	struct qmgr_entry *e = d->entry;
	struct qmgr_message *m = e->message;
	struct qmgr_transport *t = d->transport;
	size_t	slot;
	long	extra = (agent_ok && (flags & DEL_STAT_THROTTLED)) ?
	var_smtp_throttle_backoff : 0;

	for (slot = 0; slot < e->rcpt_count; slot++)
		if (!d->reported[slot])
			qmgr_defer_recipient(m, e->rcpts[slot], t, "none", "4.3.0",
					     unreported);
	if (d->deferred > 0)
		qmgr_defer_propose(m, t, extra);
	qmgr_deliver_feedback(d, agent_ok, flags, reply);
	qmgr_ipc_close(d->ipc);
	t->busy--;
	qmgr_deliver_active--;
	qmgr_transport_kick(t);
	qmgr_deliver_free(d);
	qmgr_entry_done(e);
}

/* qmgr_deliver_list - one reply list from the agent */
static void
qmgr_deliver_list(struct qmgr_delivery *d)
{
	struct htable *attrs;
	struct buf *why = buf_new(100);
	const char *status, *flags, *reply;

	if (!d->got_hello) {
		d->got_hello = 1;
		if (attr_expect_proto(qmgr_ipc_stream(d->ipc), MAIL_PROTO_DELIVER,
				      why) < 0) {
			msg_warn("%s: %s", qmgr_ipc_name(d->ipc), buf_str(why));
			qmgr_deliver_done(d, 0, 0, "", "unknown mail transport error");
		}
		buf_free(why);
		return;
	}
	attrs = htable_new(16);
	if (attr_scan_dynamic(qmgr_ipc_stream(d->ipc), ATTR_FLAG_NONE, 0,
			      attrs, why) < 0) {
		msg_warn("%s: %s", qmgr_ipc_name(d->ipc), buf_str(why));
		qmgr_deliver_done(d, 0, 0, "", "unknown mail transport error");
	} else if (htable_find(attrs, DELIVER_ATTR_OFFSET) != NULL) {
		if (qmgr_deliver_rcpt(d, attrs) < 0)
			qmgr_deliver_done(d, 0, 0, "", "unknown mail transport error");
	} else if ((status = htable_find(attrs, DELIVER_ATTR_STATUS)) != NULL) {
		flags = htable_find(attrs, DELIVER_ATTR_FLAGS);
		reply = htable_find(attrs, DELIVER_ATTR_REPLY);
		qmgr_deliver_done(d, atoi(status) == 0, flags ? atoi(flags) : 0,
				  reply ? reply : "", "delivery agent failed");
	} else {
		msg_warn("%s: reply without %s or %s", qmgr_ipc_name(d->ipc),
			 DELIVER_ATTR_OFFSET, DELIVER_ATTR_STATUS);
		qmgr_deliver_done(d, 0, 0, "", "unknown mail transport error");
	}
	htable_free(attrs, free);
	buf_free(why);
}

/* qmgr_deliver_event - the conversation progressed */
static void
qmgr_deliver_event(struct qmgr_ipc *ipc, int event, void *ctx)
{
	struct qmgr_delivery *d = ctx;

	if (event == QMGR_IPC_LIST) {
		qmgr_deliver_list(d);
		return;
	}
	if (event == QMGR_IPC_ERROR)
		msg_warn("%s: %s", d->entry->message->queue_id, qmgr_ipc_error(ipc));
	qmgr_deliver_done(d, 0, 0, "", "unknown mail transport error");
}

/* qmgr_deliver_unreachable - the agent's socket cannot be used */
static void
qmgr_deliver_unreachable(struct qmgr_transport *t, struct qmgr_entry *e,
			         const char *why)
{
	int	saved = errno;

	qmgr_entry_unselect(e);
	if (saved == EAGAIN) {
		t->connect_retry_at = event_time_ms() + QMGR_CONNECT_RETRY_MS;
		qmgr_transport_kick(t);
		return;
	}
	msg_warn("connect to transport %s/%s: %s", MAIL_CLASS_PRIVATE, t->name,
		 why);
	qmgr_transport_unavailable(t, "mail transport unavailable");
}

/* qmgr_deliver - start one delivery */
void
qmgr_deliver(struct qmgr_transport *t, struct qmgr_entry *e)
{
	struct buf *path = buf_new(64);
	struct buf *why = buf_new(100);
	struct qmgr_delivery *d;
	struct qmgr_ipc *ipc;
	const char *colon;

	buf_printf(path, "%s/%s", MAIL_CLASS_PRIVATE, t->name);
	if ((ipc = qmgr_ipc_connect(buf_str(path), why)) == NULL) {
		colon = strstr(buf_str(why), ": ");
		qmgr_deliver_unreachable(t, e, colon ? colon + 2 : buf_str(why));
	} else {
		d = xcalloc(1, sizeof(*d));
		d->entry = e;
		d->transport = t;
		d->ipc = ipc;
		d->reported = xcalloc(e->rcpt_count + 1, 1);
		d->started = event_time_update();
		t->busy++;
		qmgr_deliver_active++;
		if (qmgr_message_fd(e->message) < 0)
			msg_warn("%s: delivered recipients cannot be marked done",
				 e->message->queue_id);
		qmgr_deliver_request(ipc, e);
		qmgr_ipc_start(ipc, (int) var_daemon_timeout, qmgr_deliver_event, d);
	}
	buf_free(path);
	buf_free(why);
}
