/*
 * NAME
 *	qmgr_defer - deferred recipients and the defer/bounce logfiles
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_defer_recipient(struct qmgr_message *message, size_t index,
 *			struct qmgr_transport *transport, const char *relay,
 *			const char *status, const char *reason);
 *	void	qmgr_defer_entry(struct qmgr_entry *entry, const char *status,
 *			const char *reason);
 *	void	qmgr_defer_todo(struct qmgr_queue *queue, const char *status,
 *			const char *reason);
 *	void	qmgr_defer_transport(struct qmgr_transport *transport,
 *			const char *status, const char *reason);
 *	void	qmgr_defer_propose(struct qmgr_message *message,
 *			struct qmgr_transport *transport, long extra);
 *
 *	int	qmgr_logfile_append(const char *queue_name, const char *id,
 *			const struct qfile_rcpt *rcpt, const char *status,
 *			const char *action, const char *reason,
 *			const char *relay);
 *	int	qmgr_logfile_sync(const char *queue_name, const char *id);
 * DESCRIPTION
 *	qmgr_defer_recipient() is the queue manager deferring a recipient
 *	itself, without a delivery agent: it logs "status=deferred
 *	(reason)" with relay=RELAY (usually "none"), appends an entry to
 *	defer/ID and proposes the message's next retry time from the
 *	transport's retry schedule (the main.cf schedule when transport is
 *	NULL). qmgr_defer_entry() does that for every recipient of an entry
 *	and retires it; qmgr_defer_todo() for every queued entry of a
 *	destination (it died); qmgr_defer_transport() for every queued
 *	entry of a transport (it cannot be reached).
 *
 *	qmgr_defer_propose() records that a recipient of the message was
 *	deferred under a transport's schedule: the candidate retry time is
 *	now + clamp(age, minimal_backoff, maximal_backoff) + extra
 *	seconds, and the message keeps the earliest candidate.
 *
 *	qmgr_logfile_append() appends one entry for a recipient result to
 *	queue_name/ID (defer or bounce, hashed like the queue), formatted
 *	by logfile_format(), in one write with O_APPEND:
 *
 *	    recipient=ADDR
 *	    orig_recipient=ADDR
 *	    offset=N
 *	    dsn_notify=N
 *	    status=4.4.1
 *	    action=delayed
 *	    reason=TEXT
 *	    relay=RELAY
 *	    time=SECONDS
 *	    (empty line)
 *
 *	Control characters in values become spaces. Unlike logfile_append()
 *	it does not fsync each entry (a dead destination may defer
 *	thousands of recipients in one go); qmgr_logfile_sync() fsyncs the
 *	logfile once, before the message is moved on. Both return 0 or -1 (a
 *	warning is logged).
 * SEE ALSO
 *	qmgr_active(3), qmgr_bounce(3), bounce(8)
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <global/logfile.h>
#include <global/mail_proto.h>
#include <global/metrics_snapshot.h>
#include <global/params.h>
#include <global/queue.h>

#include "qmgr.h"

/* qmgr_logfile_open - open for append, creating a missing hash directory */
static int
qmgr_logfile_open(const char *queue_name, const char *id)
{
	struct buf *path = buf_new(100);
	int	fd;

	if (queue_path(path, queue_name, id) == NULL) {
		buf_free(path);
		return (-1);
	}
	fd = open(buf_str(path), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT && queue_mkdirs(queue_name, 0700) == 0)
		fd = open(buf_str(path), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			  0600);
	buf_free(path);
	return (fd);
}

/* qmgr_logfile_append - one recipient entry */
int
qmgr_logfile_append(const char *queue_name, const char *id,
		            const struct qfile_rcpt *rcpt, const char *status,
		            const char *action, const char *reason,
		            const char *relay)
{
	struct buf *entry = buf_new(512);
	struct logfile_entry le;
	int	fd, ret = 0;

	logfile_entry_init(&le);
	le.recipient = rcpt->address;
	le.orig_recipient = rcpt->orig ? rcpt->orig : "";
	le.offset = (long) rcpt->offset;
	le.dsn_notify = rcpt->notify;
	le.status = (char *) status;
	le.action = (char *) action;
	le.reason = (char *) reason;
	le.relay = (char *) relay;
	le.time = time(NULL);
	logfile_format(entry, &le);
	if ((fd = qmgr_logfile_open(queue_name, id)) < 0
	    || write_full(fd, buf_str(entry), buf_len(entry)) < 0) {
		msg_warn("%s: append to %s file: %m", id, queue_name);
		ret = -1;
	}
	if (fd >= 0 && close(fd) < 0 && ret == 0) {
		msg_warn("%s: close %s file: %m", id, queue_name);
		ret = -1;
	}
	buf_free(entry);
	return (ret);
}

/* qmgr_logfile_sync - make a logfile durable */
int
qmgr_logfile_sync(const char *queue_name, const char *id)
{
	int	fd, ret = 0;

	if ((fd = qmgr_logfile_open(queue_name, id)) < 0 || fsync(fd) < 0) {
		msg_warn("%s: sync %s file: %m", id, queue_name);
		ret = -1;
	}
	if (fd >= 0)
		(void) close(fd);
	return (ret);
}

/* qmgr_defer_propose - fold one transport's retry time into the message */
void
qmgr_defer_propose(struct qmgr_message *message, struct qmgr_transport *t,
		           long extra)
{
	struct qmgr_retry global;
	const struct qmgr_retry *retry;
	time_t	now = time(NULL);
	time_t	when;

	if (t != NULL) {
		retry = &t->retry;
	} else {
		qmgr_active_global_retry(&global);
		retry = &global;
	}
	when = now + qmgr_backoff_delay((long) (now - message->env.arrival), retry)
		+ extra;
	if (message->retry_time == 0 || when < message->retry_time)
		message->retry_time = when;
}

/* qmgr_defer_recipient - defer one recipient without an agent */
void
qmgr_defer_recipient(struct qmgr_message *message, size_t index,
		             struct qmgr_transport *t, const char *relay,
		             const char *status, const char *reason)
{
	qmgr_log_recipient(message, index, relay, status, "deferred", reason);
	(void) qmgr_logfile_append(MAIL_QUEUE_DEFER, message->queue_id,
				   message->env.rcpts + index, status,
				   "delayed", reason, relay);
	message->has_defer_log = 1;
	message->rcpt_state[index] = QMGR_RCPT_DEFERRED;
	qmgr_defer_propose(message, t, 0);
	qmgr_metrics_result(t, METRICS_STATUS_DEFERRED, status);
}

/* qmgr_defer_entry - defer every recipient of an entry and retire it */
void
qmgr_defer_entry(struct qmgr_entry *e, const char *status, const char *reason)
{
	size_t	i;

	for (i = 0; i < e->rcpt_count; i++)
		qmgr_defer_recipient(e->message, e->rcpts[i], e->queue->transport,
				     "none", status, reason);
	qmgr_entry_done(e);
}

/* qmgr_defer_todo - defer everything queued for a destination */
void
qmgr_defer_todo(struct qmgr_queue *q, const char *status, const char *reason)
{
	int	n = q->todo_count;
	int	prio;

	/* The queue may be freed with its last entry: count, do not look. */
	for (prio = 0; prio < QMGR_PRIO_COUNT && n > 0; prio++) {
		while (n > 0 && q->todo_head[prio] != NULL) {
			n--;
			qmgr_defer_entry(q->todo_head[prio], status, reason);
		}
	}
}

/* qmgr_defer_transport - defer everything queued for a transport */
void
qmgr_defer_transport(struct qmgr_transport *t, const char *status,
		             const char *reason)
{
	struct htable_entry **list = htable_list(t->queues);
	size_t	i;

	for (i = 0; list[i] != NULL; i++)
		qmgr_defer_todo(list[i]->value, status, reason);
	free(list);
}
