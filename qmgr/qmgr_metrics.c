/*
 * NAME
 *	qmgr_metrics - publish the queue manager's state for metrics(8)
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_metrics_init(void);
 *	void	qmgr_metrics_result(const struct qmgr_transport *transport,
 *			int status, const char *dsn_status);
 *	void	qmgr_metrics_delay(const struct qmgr_transport *transport,
 *			int prio, double seconds);
 *	void	qmgr_metrics_publish(void);
 * DESCRIPTION
 *	qmgr keeps one metrics_snapshot(3) for its life and writes it to
 *	METRICS_SNAPSHOT_FILE about once a second (a timer armed by
 *	qmgr_metrics_init()); "postern metrics" and the metrics service
 *	render it.
 *
 *	qmgr_metrics_result() counts one recipient result: status is a
 *	metrics_status (sent, deferred, bounced, expired), the DSN class
 *	comes from dsn_status ("4.4.1" -> 4). transport may be NULL
 *	("none": deferred before routing). qmgr_metrics_delay() records
 *	the delay of a delivered recipient, from arrival to delivery.
 *
 *	qmgr_metrics_publish() rebuilds the state part: active messages
 *	per (transport, priority class), counted once per transport that
 *	has work queued for the message ("none" while a message is being
 *	finished), the window and state (ok, throttled, dead) of every
 *	destination, the active queue limit and the in_flow tokens; then
 *	writes the file.
 * DIAGNOSTICS
 *	A failed write is logged once per failure streak.
 * SEE ALSO
 *	metrics_snapshot(3), metrics(8)
 */
#include <util/sys_defs.h>
#include <util/events.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/mail_flow.h>
#include <global/metrics_snapshot.h>
#include <global/params.h>

#include "qmgr.h"

#define QMGR_METRICS_INTERVAL	1000	/* ms between publications */

static struct metrics_snapshot *qmgr_snap;
static int qmgr_metrics_failing;

/* qmgr_metrics_name - a transport's label */
static const char *
qmgr_metrics_name(const struct qmgr_transport *t)
{
	return (t != NULL ? t->name : "none");
}

/* qmgr_metrics_result - count one recipient result */
void
qmgr_metrics_result(const struct qmgr_transport *t, int status,
		            const char *dsn_status)
{
	int	dsn_class = (dsn_status && *dsn_status) ? *dsn_status - '0' : 4;

	if (qmgr_snap == NULL)
		return;
	if (dsn_class != 2 && dsn_class != 4 && dsn_class != 5)
		dsn_class = status == METRICS_STATUS_SENT ? 2
			: status == METRICS_STATUS_DEFERRED ? 4 : 5;
	(void) metrics_snapshot_count_delivery(qmgr_snap, qmgr_metrics_name(t),
					       (enum metrics_status) status,
					       dsn_class);
}

/* qmgr_metrics_delay - one delivery delay */
void
qmgr_metrics_delay(const struct qmgr_transport *t, int prio, double seconds)
{
	if (qmgr_snap != NULL)
		(void) metrics_snapshot_observe_delay(qmgr_snap, qmgr_metrics_name(t),
						  qmgr_prio_name(prio), seconds);
}

/* qmgr_metrics_message - count one message per transport it waits for */
static void
qmgr_metrics_message(const struct qmgr_message *m, void *ctx)
{
	const struct qmgr_transport *seen[8];
	const struct qmgr_transport *t;
	size_t	i, j, nseen = 0;
	int	dup;

	(void) ctx;
	for (i = 0; i < m->env.rcpt_count; i++) {
		if (m->rcpt_state[i] != QMGR_RCPT_QUEUED || m->rcpt_transport == NULL
		    || (t = m->rcpt_transport[i]) == NULL)
			continue;
		for (j = 0, dup = 0; j < nseen && !dup; j++)
			dup = (seen[j] == t);
		if (dup || nseen == ARRAY_LEN(seen))
			continue;
		seen[nseen++] = t;
		(void) metrics_snapshot_add_active(qmgr_snap, t->name,
						   qmgr_prio_name(m->prio), 1);
	}
	if (nseen == 0)
		(void) metrics_snapshot_add_active(qmgr_snap, "none",
						   qmgr_prio_name(m->prio), 1);
}

/* qmgr_metrics_destinations - every destination's window and state */
static void
qmgr_metrics_destinations(int64_t now)
{
	struct qmgr_transport *t;
	struct htable_entry **list;
	const struct qmgr_queue *q;
	enum metrics_dest_state state;
	size_t	i;

	for (t = qmgr_transport_list(); t != NULL; t = t->next) {
		list = htable_list(t->queues);
		for (i = 0; list[i] != NULL; i++) {
			q = list[i]->value;
			state = q->is_dead ? METRICS_DEST_DEAD
				: (q->pause_until > now || q->is_throttled)
				? METRICS_DEST_THROTTLED : METRICS_DEST_OK;
			(void) metrics_snapshot_add_destination(qmgr_snap, t->name,
							  q->name, q->window, state);
		}
		free(list);
	}
}

/* qmgr_metrics_publish - rebuild the state and write the file */
void
qmgr_metrics_publish(void)
{
	if (qmgr_snap == NULL)
		return;
	metrics_snapshot_clear_state(qmgr_snap);
	metrics_snapshot_set_active_limit(qmgr_snap, var_qmgr_message_active_limit);
	metrics_snapshot_set_inflow(qmgr_snap, (long) mail_flow_count());
	qmgr_message_walk(qmgr_metrics_message, NULL);
	qmgr_metrics_destinations(event_time_ms());
	if (metrics_snapshot_write(qmgr_snap, METRICS_SNAPSHOT_FILE) < 0) {
		if (!qmgr_metrics_failing)
			msg_warn("write %s: %m", METRICS_SNAPSHOT_FILE);
		qmgr_metrics_failing = 1;
	} else {
		qmgr_metrics_failing = 0;
	}
}

/* qmgr_metrics_timer - publish, then again later */
static void
qmgr_metrics_timer(int event, void *ctx)
{
	(void) event;
	(void) ctx;
	qmgr_metrics_publish();
	event_request_timer(qmgr_metrics_timer, NULL, QMGR_METRICS_INTERVAL);
}

/* qmgr_metrics_init - start counting and publishing */
void
qmgr_metrics_init(void)
{
	if (qmgr_snap == NULL)
		qmgr_snap = metrics_snapshot_new();
	event_request_timer(qmgr_metrics_timer, NULL, QMGR_METRICS_INTERVAL);
}
