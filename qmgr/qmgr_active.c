/*
 * NAME
 *	qmgr_active - finishing messages: bounce, expire, warn, remove, defer
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_active_init(void);
 *	void	qmgr_active_recover(void);
 *	void	qmgr_active_done(struct qmgr_message *message);
 *
 *	long	qmgr_backoff_delay(long age, const struct qmgr_retry *retry);
 *	long	qmgr_backoff_jitter(long delay, int percent, double uniform);
 *	time_t	qmgr_active_retry_time(struct qmgr_message *message, time_t now);
 *	void	qmgr_active_global_retry(struct qmgr_retry *retry);
 * DESCRIPTION
 *	qmgr_active_recover() runs once at start: every file left in
 *	active/ by an earlier queue manager goes back to incoming/, where
 *	the normal scan picks it up again (its finished recipients are
 *	marked done in the file, so they are not tried again).
 *
 *	qmgr_active_done() is called when a message has no delivery left
 *	queued or running. In steps, each waiting for the bounce service
 *	without blocking:
 * .IP 1.
 *	When some recipient bounced now or earlier (bounce/ID exists), ask
 *	for a non-delivery notice (flush). If that fails the message is
 *	deferred even when nothing else is left, so the notice is retried.
 * .IP 2.
 *	Nothing deferred: when some recipient asked for NOTIFY=SUCCESS and
 *	was delivered, now or earlier (trace/ID exists), ask the trace
 *	service for the success notice (trace); if that fails the message
 *	is deferred so that the notice is retried (until the message is
 *	past its queue lifetime: then a warning). Then remove the queue
 *	file, defer/ID and trace/ID, log "ID: removed".
 * .IP 3.
 *	Deferred, and older than maximal_queue_lifetime
 *	(bounce_queue_lifetime for a null sender): log "ID: from=<s>,
 *	status=expired, returned to sender", ask for the expiry notice,
 *	then finish as in step 2 (or defer it if the request failed).
 * .IP 4.
 *	Deferred, delay_warning_time set, no warning sent yet, and older
 *	than that: ask for a delay warning and record the time in the WARN
 *	record; then move the message to deferred/ with its next retry
 *	time as modification time.
 * .PP
 *	The retry time: each deferred recipient proposed now + clamp(age,
 *	minimal_backoff_time, maximal_backoff_time) of its transport (plus
 *	smtp_throttle_backoff after a throttle); the message takes the
 *	earliest, then backoff_jitter spreads the delay by a random amount
 *	of up to that percentage either way. qmgr_backoff_delay() and
 *	qmgr_backoff_jitter() are that arithmetic (uniform is a number in
 *	[-1, 1]); qmgr_active_retry_time() applies it to a message.
 * DIAGNOSTICS
 *	Failed renames, removals and time updates are logged as warnings;
 *	the file then stays where it is and is recovered at the next start.
 * SEE ALSO
 *	qmgr_bounce(3), qmgr_defer(3), queue(3)
 */
#include <util/sys_defs.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/address.h>
#include <global/mail_proto.h>
#include <global/metrics_snapshot.h>
#include <global/params.h>
#include <global/queue.h>
#include <global/record.h>

#include "qmgr.h"

#define QMGR_DONE_BOUNCE_FAILED	(1 << 0)	/* flush failed: keep the file */

/* qmgr_active_init - seed the jitter */
void
qmgr_active_init(void)
{
	srand48((long) time(NULL) ^ ((long) getpid() << 16));
}

/* qmgr_active_global_retry - the main.cf retry schedule */
void
qmgr_active_global_retry(struct qmgr_retry *retry)
{
	retry->min_backoff = var_minimal_backoff_time;
	retry->max_backoff = var_maximal_backoff_time;
	if (retry->max_backoff < retry->min_backoff)
		retry->max_backoff = retry->min_backoff;
	retry->run_delay = var_queue_run_delay;
}

/* qmgr_backoff_delay - the message age, clamped to the schedule */
long
qmgr_backoff_delay(long age, const struct qmgr_retry *retry)
{
	long	delay = age < 0 ? 0 : age;

	if (delay > retry->max_backoff)
		delay = retry->max_backoff;
	if (delay < retry->min_backoff)
		delay = retry->min_backoff;
	return (delay);
}

/* qmgr_backoff_jitter - spread a delay by up to percent either way */
long
qmgr_backoff_jitter(long delay, int percent, double uniform)
{
	double	spread;

	if (uniform < -1)
		uniform = -1;
	if (uniform > 1)
		uniform = 1;
	if (percent < 0)
		percent = 0;
	if (percent > 100)
		percent = 100;
	spread = (double) delay * percent / 100.0 * uniform;
	delay += (long) (spread < 0 ? spread - 0.5 : spread + 0.5);
	return (delay < 1 ? 1 : delay);
}

/* qmgr_active_retry_time - the message's next attempt, jitter applied */
time_t
qmgr_active_retry_time(struct qmgr_message *message, time_t now)
{
	long	delay;

	if (message->retry_time == 0)
		qmgr_defer_propose(message, NULL, 0);
	delay = (long) (message->retry_time - now);
	if (delay < 1)
		delay = 1;
	return (now + qmgr_backoff_jitter(delay, var_backoff_jitter,
					  2.0 * drand48() - 1.0));
}

/* qmgr_active_has_log - does QUEUE/ID (bounce, trace) exist? */
static int
qmgr_active_has_log(const struct qmgr_message *message, const char *queue_name)
{
	struct buf *path = buf_new(100);
	struct stat st;
	int	found;

	found = (queue_path(path, queue_name, message->queue_id) != NULL
		 && stat(buf_str(path), &st) == 0);
	buf_free(path);
	return (found);
}

/* qmgr_active_log_ready - is there a QUEUE/ID logfile to report from?
 * One appended to in this pass (written) is synced first. */
static int
qmgr_active_log_ready(const struct qmgr_message *message, int written,
		      const char *queue_name)
{
	if (written) {
		(void) qmgr_logfile_sync(queue_name, message->queue_id);
		return (1);
	}
	return (qmgr_active_has_log(message, queue_name));
}

/* qmgr_active_remove - the message is finished: remove it */
static void
qmgr_active_remove(struct qmgr_message *message)
{
	const char *id = message->queue_id;

	qmgr_message_close(message);
	if (queue_remove(MAIL_QUEUE_ACTIVE, id) < 0 && errno != ENOENT) {
		msg_warn("%s: remove %s file: %m", id, MAIL_QUEUE_ACTIVE);
	} else {
		if (queue_remove(MAIL_QUEUE_DEFER, id) < 0 && errno != ENOENT)
			msg_warn("%s: remove %s file: %m", id, MAIL_QUEUE_DEFER);
		if (queue_remove(MAIL_QUEUE_TRACE, id) < 0 && errno != ENOENT)
			msg_warn("%s: remove %s file: %m", id, MAIL_QUEUE_TRACE);
		msg_info("%s: removed", id);
	}
	qmgr_message_free(message);
}

/* qmgr_active_defer - move the message to deferred/ until its retry time */
static void
qmgr_active_defer(struct qmgr_message *message)
{
	const char *id = message->queue_id;
	time_t	now = time(NULL);
	time_t	when = qmgr_active_retry_time(message, now);

	if (message->has_defer_log)
		(void) qmgr_logfile_sync(MAIL_QUEUE_DEFER, id);
	/*
	 * Done marks are not fsync'ed (as in Postfix): after a power failure
	 * a recipient may be delivered twice, never lost.
	 */
	qmgr_message_close(message);
	/* ENOENT: postsuper -d removed it meanwhile; nothing to keep. */
	if (queue_touch(MAIL_QUEUE_ACTIVE, id, when) < 0 && errno != ENOENT)
		msg_warn("%s: set retry time: %m", id);
	if (queue_move(id, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_DEFERRED) < 0
	    && errno != ENOENT)
		msg_warn("%s: move to %s queue: %m", id, MAIL_QUEUE_DEFERRED);
	msg_debug(1, "%s: deferred until %ld (in %lds)", id, (long) when,
		  (long) (when - now));
	qmgr_message_free(message);
}

/* qmgr_active_has_deferred - was any recipient deferred? */
static int
qmgr_active_has_deferred(const struct qmgr_message *message)
{
	size_t	i;

	for (i = 0; i < message->env.rcpt_count; i++)
		if (message->rcpt_state[i] == QMGR_RCPT_DEFERRED
		    || message->rcpt_state[i] == QMGR_RCPT_QUEUED
		    || message->rcpt_state[i] == QMGR_RCPT_TODO)
			return (1);
	return (0);
}

/* qmgr_active_expired - is the message past its queue lifetime? */
static int
qmgr_active_expired(const struct qmgr_message *message, time_t now)
{
	long	lifetime = *message->env.sender ? var_maximal_queue_lifetime
	: var_bounce_queue_lifetime;

	return (now - message->env.arrival >= lifetime);
}

/* qmgr_active_warn_due - should a delay warning go out now? */
static int
qmgr_active_warn_due(const struct qmgr_message *message, time_t now)
{
	return (var_delay_warning_time > 0 && message->env.warn_time == 0
		&& message->env.warn_offset >= 0
		&& now - message->env.arrival >= var_delay_warning_time);
}

/* qmgr_active_count_expired - metrics for the recipients given up */
static void
qmgr_active_count_expired(const struct qmgr_message *message)
{
	size_t	i;

	for (i = 0; i < message->env.rcpt_count; i++)
		if (message->rcpt_state[i] == QMGR_RCPT_DEFERRED)
			qmgr_metrics_result(message->rcpt_transport[i],
					    METRICS_STATUS_EXPIRED, "5.4.7");
}

/* qmgr_active_trace_done - the success notice was requested */
static void
qmgr_active_trace_done(struct qmgr_message *message, int status)
{
	/* Failed: keep the message (nothing open) so the notice is retried. */
	if (status == 0)
		qmgr_active_remove(message);
	else if (qmgr_active_expired(message, time(NULL))) {
		msg_warn("%s: success notification not sent: message expired",
			 message->queue_id);
		qmgr_active_remove(message);
	} else
		qmgr_active_defer(message);
}

/* qmgr_active_finish - success notice when one is owed, then remove */
static void
qmgr_active_finish(struct qmgr_message *message)
{
	if (qmgr_active_log_ready(message, message->has_trace_log, MAIL_QUEUE_TRACE)) {
		qmgr_bounce_request(message, BOUNCE_REQ_TRACE, qmgr_active_trace_done);
		return;
	}
	qmgr_active_remove(message);
}

/* qmgr_active_expire_done - the expiry notice was requested */
static void
qmgr_active_expire_done(struct qmgr_message *message, int status)
{
	if (status == 0)
		qmgr_active_finish(message);
	else
		qmgr_active_defer(message);
}

/* qmgr_active_warn_done - the delay warning was requested */
static void
qmgr_active_warn_done(struct qmgr_message *message, int status)
{
	time_t	now = time(NULL);
	int	fd;

	if (status == 0 && (fd = qmgr_message_fd(message)) >= 0) {
		if (rec_update_warn(fd, message->env.warn_offset, now) < 0)
			msg_warn("%s: update warning time: %m", message->queue_id);
		else
			message->env.warn_time = now;
	}
	qmgr_active_defer(message);
}

/* qmgr_active_decide - after the bounce step: remove, expire, defer */
static void
qmgr_active_decide(struct qmgr_message *message)
{
	struct buf *sender;
	time_t	now = time(NULL);

	if (!qmgr_active_has_deferred(message)) {
		if (message->done_stage & QMGR_DONE_BOUNCE_FAILED)
			qmgr_active_defer(message);
		else
			qmgr_active_finish(message);
		return;
	}
	if (qmgr_active_expired(message, now)) {
		sender = buf_new(100);
		msg_info("%s: from=<%s>, status=expired, returned to sender",
			 message->queue_id, address_quote(sender, message->env.sender));
		buf_free(sender);
		qmgr_active_count_expired(message);
		if (message->has_defer_log)
			(void) qmgr_logfile_sync(MAIL_QUEUE_DEFER, message->queue_id);
		qmgr_bounce_request(message, BOUNCE_REQ_EXPIRE,
				    qmgr_active_expire_done);
		return;
	}
	if (qmgr_active_warn_due(message, now)) {
		if (message->has_defer_log)
			(void) qmgr_logfile_sync(MAIL_QUEUE_DEFER, message->queue_id);
		qmgr_bounce_request(message, BOUNCE_REQ_WARN, qmgr_active_warn_done);
		return;
	}
	qmgr_active_defer(message);
}

/* qmgr_active_flush_done - the non-delivery notice was requested */
static void
qmgr_active_flush_done(struct qmgr_message *message, int status)
{
	if (status != 0)
		message->done_stage |= QMGR_DONE_BOUNCE_FAILED;
	qmgr_active_decide(message);
}

/* qmgr_active_done - the message has nothing in progress */
void
qmgr_active_done(struct qmgr_message *message)
{
	if (message->refcount != 0)
		msg_panic("qmgr_active_done: %s: refcount %d", message->queue_id,
			  message->refcount);
	message->done_stage = 0;
	if (qmgr_active_log_ready(message, message->has_bounce_log, MAIL_QUEUE_BOUNCE)) {
		qmgr_bounce_request(message, BOUNCE_REQ_FLUSH, qmgr_active_flush_done);
		return;
	}
	qmgr_active_decide(message);
}

/* qmgr_active_recover - move what a previous qmgr left back to incoming */
void
qmgr_active_recover(void)
{
	struct queue_scan *scan;
	struct buf *id = buf_new(32);
	int	moved = 0;

	if ((scan = queue_scan_open(MAIL_QUEUE_ACTIVE)) == NULL) {
		msg_warn("open %s queue: %m", MAIL_QUEUE_ACTIVE);
		buf_free(id);
		return;
	}
	while (queue_scan_next(scan, id) != NULL) {
		if (queue_move(buf_str(id), MAIL_QUEUE_ACTIVE, MAIL_QUEUE_INCOMING) < 0)
			msg_warn("%s: move from %s to %s queue: %m", buf_str(id),
				 MAIL_QUEUE_ACTIVE, MAIL_QUEUE_INCOMING);
		else
			moved++;
	}
	queue_scan_close(scan);
	if (moved > 0)
		msg_info("moved %d message(s) from %s back to %s", moved,
			 MAIL_QUEUE_ACTIVE, MAIL_QUEUE_INCOMING);
	buf_free(id);
}
