/*
 * NAME
 *	qmgr_queue - per-destination queues: window, slow start, dead, throttle
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	struct qmgr_queue *qmgr_queue_find(struct qmgr_transport *transport,
 *			const char *name);
 *	struct qmgr_queue *qmgr_queue_create(struct qmgr_transport *transport,
 *			const char *name, const char *nexthop);
 *	void	qmgr_queue_release(struct qmgr_queue *queue);
 *	void	qmgr_queue_free(struct qmgr_queue *queue);
 *	void	qmgr_queue_sweep(int64_t now);
 *
 *	int	qmgr_queue_ready(struct qmgr_queue *queue, int64_t now,
 *			int64_t *wake);
 *	void	qmgr_queue_started(struct qmgr_queue *queue, int64_t now);
 *	void	qmgr_queue_finished(struct qmgr_queue *queue, int64_t now);
 *	void	qmgr_queue_success(struct qmgr_queue *queue);
 *	int	qmgr_queue_latency(struct qmgr_queue *queue, double seconds);
 *	int	qmgr_queue_failure(struct qmgr_queue *queue, int count_cohort);
 *	void	qmgr_queue_kill(struct qmgr_queue *queue, int64_t now,
 *			const char *status, const char *reason);
 *	void	qmgr_queue_throttle(struct qmgr_queue *queue, int64_t now,
 *			const char *reply);
 *	void	qmgr_queue_resume(struct qmgr_queue *queue, int keep_window);
 *
 *	void	qmgr_queue_ring_add(struct qmgr_queue *queue, int prio);
 *	void	qmgr_queue_ring_remove(struct qmgr_queue *queue, int prio);
 *	void	qmgr_queue_forget_all(struct qmgr_transport *transport);
 *	int	qmgr_queue_match_site(const struct qmgr_queue *queue,
 *			const char *site);
 * DESCRIPTION
 *	A queue is one destination of one transport. Its concurrency
 *	window starts at the transport's initial destination concurrency
 *	(slow start) and follows the delivery results:
 * .IP success
 *	qmgr_queue_success(): the failed-cohort count is reset and the
 *	window grows by the positive feedback (by default one per window
 *	of successes) up to the destination concurrency limit.
 * .IP failure
 *	qmgr_queue_failure() for a delivery that could not connect or
 *	greet (DEL_STAT_DEST_DEAD): with count_cohort, 1/window is added
 *	to the pseudo-cohort failure count, and when that reaches the
 *	failed cohort limit the result is QMGR_QUEUE_BECAME_DEAD and the
 *	window is left alone; otherwise the window shrinks by the negative
 *	feedback, never below 1.
 * .IP dead
 *	qmgr_queue_kill() marks the destination dead for the transport's
 *	minimal_backoff_time, logs a warning, and defers its queued
 *	recipients with the failure's status and reason; while dead, new
 *	recipients for it are deferred at once by the caller. After the
 *	timer qmgr_queue_resume() revives it with the initial
 *	concurrency; a flush revives it keeping the window it had.
 * .IP throttle
 *	qmgr_queue_throttle() (DEL_STAT_THROTTLED) halves the window (not
 *	below 1), pauses new deliveries for smtp_throttle_backoff, and logs
 *	"throttled: transport=T destination=D concurrency=N (was M):
 *	REPLY". It never counts towards the dead state.
 * .IP latency
 *	qmgr_queue_latency() watches successful deliveries: when one takes
 *	at least a second and more than smtp_latency_throttle_factor times
 *	the destination's moving average (after a few deliveries to learn
 *	it), the window shrinks by one, at most once per window of
 *	deliveries, and the result is 1 (the caller then skips the positive
 *	feedback); otherwise 0. Slow answers without errors thus lower the
 *	concurrency gently.
 * .PP
 *	qmgr_queue_ready() tells whether a delivery may start now: the
 *	window is not full, the destination is neither dead nor paused,
 *	destination_rate_delay has passed since the last start, and the
 *	message rate bucket holds a token. When the answer is no because of
 *	time, the earliest time it changes is folded into *wake (0 = none).
 *	qmgr_queue_started() and qmgr_queue_finished() account one
 *	delivery (busy count, rate delay clock, token).
 *
 *	The ring functions keep a queue in its transport's per-class
 *	round-robin ring while it has todo entries of that class.
 *	qmgr_queue_release() frees a queue that holds nothing worth
 *	keeping; qmgr_queue_sweep() does that for every idle queue whose
 *	timers have passed. qmgr_queue_match_site() compares the nexthop,
 *	without brackets and port, with a site name.
 * DIAGNOSTICS
 *	Panics on a busy count below zero or freeing a busy queue.
 * SEE ALSO
 *	qmgr_transport(3), qmgr_entry(3), qmgr_defer(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/events.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/params.h>

#include "qmgr.h"

/* qmgr_queue_find - look up a destination */
struct qmgr_queue *
qmgr_queue_find(struct qmgr_transport *t, const char *name)
{
	return (htable_find(t->queues, name));
}

/* qmgr_queue_create - a new destination in slow start */
struct qmgr_queue *
qmgr_queue_create(struct qmgr_transport *t, const char *name,
		          const char *nexthop)
{
	struct qmgr_queue *q = xcalloc(1, sizeof(*q));

	q->name = xstrdup(name);
	q->nexthop = xstrdup(nexthop);
	q->transport = t;
	q->window = t->init_conc;
	q->tokens = t->msg_rate_burst;
	q->tokens_at = event_time_ms();
	htable_enter(t->queues, q->name, q);
	return (q);
}

static void qmgr_queue_resume_event(int event, void *ctx);

/* qmgr_queue_free - forget a destination */
void
qmgr_queue_free(struct qmgr_queue *q)
{
	int	prio;

	if (q->busy != 0 || q->todo_count != 0)
		msg_panic("qmgr_queue_free: queue %s busy %d todo %d",
			  q->name, q->busy, q->todo_count);
	for (prio = 0; prio < QMGR_PRIO_COUNT; prio++)
		qmgr_queue_ring_remove(q, prio);
	event_cancel_timer(qmgr_queue_resume_event, q);
	htable_delete(q->transport->queues, q->name, NULL);
	free(q->dead_status);
	free(q->dead_reason);
	free(q->nexthop);
	free(q->name);
	free(q);
}

/* qmgr_queue_idle - nothing queued, nothing remembered */
static int
qmgr_queue_idle(const struct qmgr_queue *q, int64_t now)
{
	const struct qmgr_transport *t = q->transport;

	return (q->busy == 0 && q->todo_count == 0 && !q->is_dead
		&& q->pause_until <= now && q->next_start <= now
		&& !q->is_throttled
		&& (t->msg_rate_count == 0 || q->tokens >= t->msg_rate_burst));
}

/* qmgr_queue_release - free the queue if it holds nothing */
void
qmgr_queue_release(struct qmgr_queue *q)
{
	if (qmgr_queue_idle(q, event_time_ms()))
		qmgr_queue_free(q);
}

/* qmgr_queue_sweep - free every idle queue */
void
qmgr_queue_sweep(int64_t now)
{
	struct qmgr_transport *t;
	struct htable_entry **list;
	size_t	i;

	for (t = qmgr_transport_list(); t != NULL; t = t->next) {
		list = htable_list(t->queues);
		for (i = 0; list[i] != NULL; i++) {
			struct qmgr_queue *q = list[i]->value;

			if (q->is_throttled && q->pause_until <= now
			    && q->busy == 0 && q->todo_count == 0)
				q->is_throttled = 0;
			if (qmgr_queue_idle(q, now))
				qmgr_queue_free(q);
		}
		free(list);
	}
}

/* qmgr_queue_forget_all - free every queue of a transport (exit, tests) */
void
qmgr_queue_forget_all(struct qmgr_transport *t)
{
	struct htable_entry **list = htable_list(t->queues);
	size_t	i;

	for (i = 0; list[i] != NULL; i++) {
		struct qmgr_queue *q = list[i]->value;

		q->busy = q->todo_count = 0;
		qmgr_queue_free(q);
	}
	free(list);
}

/* qmgr_queue_wake_min - fold a time into *wake */
static void
qmgr_queue_wake_min(int64_t *wake, int64_t when)
{
	if (*wake == 0 || when < *wake)
		*wake = when;
}

/* qmgr_queue_refill - add the tokens earned since the last refill */
static void
qmgr_queue_refill(struct qmgr_queue *q, int64_t now)
{
	const struct qmgr_transport *t = q->transport;
	double	per_ms;

	if (t->msg_rate_count == 0 || now <= q->tokens_at)
		return;
	per_ms = (double) t->msg_rate_count / ((double) t->msg_rate_period * 1000.0);
	q->tokens += (double) (now - q->tokens_at) * per_ms;
	if (q->tokens > t->msg_rate_burst)
		q->tokens = t->msg_rate_burst;
	q->tokens_at = now;
}

/* qmgr_queue_ready - may a delivery start now? */
int
qmgr_queue_ready(struct qmgr_queue *q, int64_t now, int64_t *wake)
{
	const struct qmgr_transport *t = q->transport;
	double	per_ms;

	if (q->is_dead || q->busy >= q->window)
		return (0);
	if (q->pause_until > now) {
		qmgr_queue_wake_min(wake, q->pause_until);
		return (0);
	}
	if (q->next_start > now) {
		qmgr_queue_wake_min(wake, q->next_start);
		return (0);
	}
	if (t->msg_rate_count > 0) {
		qmgr_queue_refill(q, now);
		if (q->tokens < 1.0) {
			per_ms = (double) t->msg_rate_count
				/ ((double) t->msg_rate_period * 1000.0);
			qmgr_queue_wake_min(wake, now + 1
					+ (int64_t) ((1.0 - q->tokens) / per_ms));
			return (0);
		}
	}
	return (1);
}

/* qmgr_queue_started - one delivery begins */
void
qmgr_queue_started(struct qmgr_queue *q, int64_t now)
{
	const struct qmgr_transport *t = q->transport;

	q->busy++;
	if (t->rate_delay_ms > 0)
		q->next_start = now + t->rate_delay_ms;
	if (t->msg_rate_count > 0) {
		qmgr_queue_refill(q, now);
		q->tokens -= 1.0;
	}
}

/* qmgr_queue_finished - one delivery ended */
void
qmgr_queue_finished(struct qmgr_queue *q, int64_t now)
{
	(void) now;
	if (q->busy <= 0)
		msg_panic("qmgr_queue_finished: queue %s: busy %d", q->name, q->busy);
	q->busy--;
	qmgr_transport_kick(q->transport);
}

/* qmgr_queue_feedback - one feedback amount at the current window */
static double
qmgr_queue_feedback(const struct qmgr_feedback *fb, int window)
{
	return (fb->per_window ? fb->value / (window > 0 ? window : 1) : fb->value);
}

/* qmgr_queue_success - positive feedback */
void
qmgr_queue_success(struct qmgr_queue *q)
{
	const struct qmgr_transport *t = q->transport;
	double	fb;

	q->fail_cohorts = 0;
	if (q->is_dead)
		qmgr_queue_resume(q, 1);
	if (t->dest_limit > 0 && q->window >= t->dest_limit)
		return;
	fb = qmgr_queue_feedback(&t->pos_feedback, q->window);
	q->success += fb;
	while (q->success + fb / 2 >= 1.0) {
		q->window += 1;
		q->success -= 1.0;
		q->failure = 0;
	}
	if (t->dest_limit > 0 && q->window > t->dest_limit)
		q->window = t->dest_limit;
}

#define QMGR_LATENCY_SAMPLES	5	/* deliveries before judging */
#define QMGR_LATENCY_FLOOR	1.0	/* seconds: faster is never slow */
#define QMGR_LATENCY_WEIGHT	0.2	/* of a new sample in the average */

/* qmgr_queue_latency - cut the window when deliveries get much slower */
int
qmgr_queue_latency(struct qmgr_queue *q, double seconds)
{
	int	cut = 0;

	if (seconds < 0)
		seconds = 0;
	if (q->lat_samples >= QMGR_LATENCY_SAMPLES && seconds >= QMGR_LATENCY_FLOOR
	    && seconds > var_smtp_latency_throttle_factor * q->lat_avg
	    && q->lat_since_cut >= q->window) {
		msg_debug(1, "transport %s destination %s: delivery took %.1fs "
			  "(average %.1fs): concurrency %d -> %d",
			  q->transport->name, q->nexthop, seconds, q->lat_avg,
			  q->window, q->window > 1 ? q->window - 1 : 1);
		if (q->window > 1)
			q->window--;
		q->success = 0;
		q->lat_since_cut = 0;
		cut = 1;
	}
	q->lat_avg = q->lat_samples == 0 ? seconds
		: (1 - QMGR_LATENCY_WEIGHT) * q->lat_avg + QMGR_LATENCY_WEIGHT * seconds;
	q->lat_samples++;
	q->lat_since_cut++;
	return (cut);
}

/* qmgr_queue_failure - negative feedback; may declare the site dead */
int
qmgr_queue_failure(struct qmgr_queue *q, int count_cohort)
{
	const struct qmgr_transport *t = q->transport;
	double	fb;

	if (q->is_dead)
		return (QMGR_QUEUE_OK);
	if (count_cohort) {
		q->fail_cohorts += 1.0 / (q->window > 0 ? q->window : 1);
		if (t->cohort_limit > 0 && q->fail_cohorts >= t->cohort_limit)
			return (QMGR_QUEUE_BECAME_DEAD);
	}
	fb = qmgr_queue_feedback(&t->neg_feedback, q->window);
	q->failure += fb;
	while (q->failure + fb / 2 >= 1.0) {
		q->window -= 1;
		q->success = 0;
		q->failure -= 1.0;
	}
	if (q->window < 1)
		q->window = 1;
	return (QMGR_QUEUE_OK);
}

/* qmgr_queue_resume_event - the dead period is over */
static void
qmgr_queue_resume_event(int event, void *ctx)
{
	(void) event;
	qmgr_queue_resume(ctx, 0);
	qmgr_queue_release(ctx);
}

/* qmgr_queue_kill - declare the destination dead */
void
qmgr_queue_kill(struct qmgr_queue *q, int64_t now, const char *status,
		        const char *reason)
{
	struct qmgr_transport *t = q->transport;

	q->is_dead = 1;
	q->dead_window = q->window;
	q->dead_until = now + t->retry.min_backoff * 1000L;
	free(q->dead_status);
	free(q->dead_reason);
	q->dead_status = xstrdup(status);
	q->dead_reason = xstrdup(reason);
	msg_warn("dead destination: transport=%s destination=%s "
		 "failed_cohorts=%.1f: %s", t->name, q->nexthop,
		 q->fail_cohorts, reason);
	event_request_timer(qmgr_queue_resume_event, q,
			    t->retry.min_backoff * 1000L);
	qmgr_defer_todo(q, status, reason);
}

/* qmgr_queue_resume - the destination may be tried again */
void
qmgr_queue_resume(struct qmgr_queue *q, int keep_window)
{
	struct qmgr_transport *t = q->transport;

	if (!q->is_dead)
		return;
	event_cancel_timer(qmgr_queue_resume_event, q);
	q->is_dead = 0;
	q->fail_cohorts = 0;
	q->success = q->failure = 0;
	q->window = keep_window ? q->dead_window : t->init_conc;
	if (q->window < 1)
		q->window = 1;
	if (t->dest_limit > 0 && q->window > t->dest_limit)
		q->window = t->dest_limit;
	qmgr_transport_kick(t);
}

/* qmgr_queue_throttle - the destination asked us to slow down */
void
qmgr_queue_throttle(struct qmgr_queue *q, int64_t now, const char *reply)
{
	struct qmgr_transport *t = q->transport;
	int	was = q->window;

	q->window = q->window / 2;
	if (q->window < 1)
		q->window = 1;
	q->success = q->failure = 0;
	q->is_throttled = 1;
	q->pause_until = now + var_smtp_throttle_backoff * 1000L;
	msg_warn("throttled: transport=%s destination=%s concurrency=%d "
		 "(was %d): %s", t->name, q->nexthop, q->window, was,
		 reply && *reply ? reply : "(no reply text)");
	qmgr_transport_kick(t);
}

/* qmgr_queue_ring_add - enter the class ring (at its tail) */
void
qmgr_queue_ring_add(struct qmgr_queue *q, int prio)
{
	struct qmgr_transport *t = q->transport;
	struct qmgr_queue *head = t->ring[prio];

	if (q->in_ring[prio])
		return;
	q->in_ring[prio] = 1;
	if (head == NULL) {
		q->ring_next[prio] = q->ring_prev[prio] = q;
		t->ring[prio] = q;
	} else {
		q->ring_next[prio] = head;
		q->ring_prev[prio] = head->ring_prev[prio];
		head->ring_prev[prio]->ring_next[prio] = q;
		head->ring_prev[prio] = q;
	}
}

/* qmgr_queue_ring_remove - leave the class ring */
void
qmgr_queue_ring_remove(struct qmgr_queue *q, int prio)
{
	struct qmgr_transport *t = q->transport;

	if (!q->in_ring[prio])
		return;
	q->in_ring[prio] = 0;
	if (q->ring_next[prio] == q) {
		t->ring[prio] = NULL;
	} else {
		q->ring_prev[prio]->ring_next[prio] = q->ring_next[prio];
		q->ring_next[prio]->ring_prev[prio] = q->ring_prev[prio];
		if (t->ring[prio] == q)
			t->ring[prio] = q->ring_next[prio];
	}
	q->ring_next[prio] = q->ring_prev[prio] = NULL;
}

/* qmgr_queue_bare - nexthop without brackets and port */
static void
qmgr_queue_bare(struct buf *out, const char *nexthop)
{
	const char *end;

	if (*nexthop == '[' && (end = strchr(nexthop, ']')) != NULL) {
		buf_reset(out);
		buf_catn(out, nexthop + 1, (size_t) (end - nexthop - 1));
	} else {
		buf_cpy(out, nexthop);
		if ((end = strchr(buf_str(out), ':')) != NULL)
			buf_truncate(out, (size_t) (end - buf_str(out)));
	}
}

/* qmgr_queue_match_site - is this the destination a flush names? */
int
qmgr_queue_match_site(const struct qmgr_queue *q, const char *site)
{
	struct buf *a = buf_new(64), *b = buf_new(64);
	int	hit;

	qmgr_queue_bare(a, q->nexthop);
	qmgr_queue_bare(b, site);
	hit = strcasecmp(buf_str(a), buf_str(b)) == 0;
	buf_free(a);
	buf_free(b);
	return (hit);
}
