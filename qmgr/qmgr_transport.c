/*
 * NAME
 *	qmgr_transport - per-transport configuration, state and scheduling
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_transport_init(const char *master_cf_path);
 *	struct qmgr_transport *qmgr_transport_find(const char *name);
 *	struct qmgr_transport *qmgr_transport_get(const char *name);
 *	void	qmgr_transport_configure(struct qmgr_transport *transport,
 *			const struct argv *overrides, const char *command,
 *			int maxproc);
 *	struct qmgr_transport *qmgr_transport_list(void);
 *	int	qmgr_transport_has_room(const struct qmgr_transport *transport);
 *	void	qmgr_transport_unavailable(struct qmgr_transport *transport,
 *			const char *reason);
 *	void	qmgr_transport_enable_all(void);
 *	long	qmgr_transport_min_run_delay(void);
 *	struct qmgr_entry *qmgr_transport_select_entry(
 *			struct qmgr_transport *transport, int64_t now);
 *	void	qmgr_transport_kick(struct qmgr_transport *transport);
 *	void	qmgr_transport_drain_all(void);
 *	void	qmgr_transport_set_weights(const char *spec);
 *	int	qmgr_transport_weight(int prio);
 *	void	qmgr_feedback_parse(struct qmgr_feedback *fb, const char *text);
 *	void	qmgr_transport_free_all(void);
 * DESCRIPTION
 *	A transport is a master.cf service that delivers mail. Its settings
 *	are read when qmgr first routes mail to it: qmgr_transport_get()
 *	finds or creates it, taking the process limit from the maxproc
 *	column of its master.cf "unix" line (default_process_limit for "-"
 *	or when the service is not in master.cf) and every other setting
 *	with qmgr_transport_configure() from, in order: the -o overrides
 *	on its master.cf line (NAME=value or TRANSPORT_NAME=value; also
 *	COMMAND_NAME=value, e.g. "-o smtp_destination_concurrency_limit=5"
 *	on a clone of smtp), main.cf TRANSPORT_NAME, main.cf NAME, main.cf
 *	default_NAME. The per-transport names are
 *	destination_concurrency_limit, initial_destination_concurrency,
 *	destination_concurrency_failed_cohort_limit,
 *	destination_concurrency_positive_feedback and _negative_feedback,
 *	destination_rate_delay (which also limits concurrency to 1),
 *	destination_message_rate_limit and _burst,
 *	destination_recipient_limit, minimal_backoff_time,
 *	maximal_backoff_time, queue_run_delay and delivery_priority. A
 *	transport named in defer_transports is marked deferred.
 *
 *	Positive feedback: when destination_concurrency_positive_feedback
 *	is set nowhere, a destination's window grows by one per window of
 *	successful deliveries (1/concurrency), as the Postern contract
 *	says; an explicit value has Postfix's meaning ("1": one per
 *	success, "1/concurrency", "1/N").
 *
 *	qmgr_transport_select_entry() picks the next delivery of a
 *	transport: for each class the next ready destination in
 *	round-robin order, then a class by smooth weighted round robin
 *	over qmgr_priority_weights among the classes that have one. It
 *	returns NULL when nothing can start now, arming a timer for the
 *	earliest moment a waiting destination becomes ready.
 *	qmgr_transport_drain_all() starts deliveries for every transport
 *	that was kicked (new work, a finished delivery, a timer), up to
 *	its process limit.
 *
 *	qmgr_transport_unavailable() handles a transport whose socket
 *	cannot be reached: for transport_retry_time its queued and newly
 *	routed recipients are deferred with "mail transport unavailable".
 *	qmgr_transport_enable_all() (flush) forgets that, dead
 *	destinations and throttle pauses, keeping adapted windows.
 * SEE ALSO
 *	qmgr_queue(3), qmgr_deliver(3), mastercf(3), params(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/events.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/mail_proto.h>
#include <global/mastercf.h>
#include <global/params.h>

#include "qmgr.h"

static struct mastercf *qmgr_mcf;	/* master.cf, or NULL */
static struct qmgr_transport *qmgr_transports;
static struct htable *qmgr_transport_table;
static int qmgr_weights[QMGR_PRIO_COUNT] = {8, 4, 1};
static long qmgr_run_delay;		/* smallest queue_run_delay */

/* qmgr_transport_set_weights - parse qmgr_priority_weights */
void
qmgr_transport_set_weights(const char *spec)
{
	struct argv *items = argv_split(spec, ARGV_LIST_DELIMS);
	char   *colon;
	long	weight;
	int	prio;
	size_t	i;

	for (i = 0; i < items->argc; i++) {
		if ((colon = strchr(items->argv[i], ':')) == NULL)
			continue;
		*colon = 0;
		prio = qmgr_prio_parse(items->argv[i]);
		if (prio >= 0 && params_parse_int(colon + 1, &weight) == 0
		    && weight >= 1 && weight <= 1000000)
			qmgr_weights[prio] = (int) weight;
		else
			msg_warn("qmgr_priority_weights: ignoring \"%s:%s\"",
				 items->argv[i], colon + 1);
	}
	argv_free(items);
}

/* qmgr_transport_weight - weight of a class */
int
qmgr_transport_weight(int prio)
{
	return (qmgr_weights[prio]);
}

/* qmgr_feedback_parse - "1", "1/concurrency", "1/N" */
void
qmgr_feedback_parse(struct qmgr_feedback *fb, const char *text)
{
	const char *slash = strchr(text, '/');
	char   *end;
	double	value = strtod(text, &end);
	long	denom;

	fb->value = 1;
	fb->per_window = 0;
	if (end == text || value <= 0 || value > 1
	    || (slash == NULL && *end != 0) || (slash != NULL && end != slash)) {
		msg_warn("bad concurrency feedback \"%s\"; using 1", text);
		return;
	}
	fb->value = value;
	if (slash == NULL)
		return;
	if (strcmp(slash + 1, "concurrency") == 0) {
		fb->per_window = 1;
	} else if (params_parse_int(slash + 1, &denom) == 0 && denom > 0) {
		fb->value = value / (double) denom;
	} else {
		msg_warn("bad concurrency feedback \"%s\"; using 1", text);
		fb->value = 1;
	}
}

/* qmgr_transport_ovr_cmd - COMMAND_name in the overrides, or NULL */
static const char *
qmgr_transport_ovr_cmd(const struct argv *overrides, const char *command,
		               const char *name, const char *suffix)
{
	struct buf *key;
	const char *found = NULL;
	size_t	i, len;

	if (overrides == NULL || command == NULL || strcmp(command, name) == 0)
		return (NULL);
	key = buf_new(64);
	buf_printf(key, "%s_%s=", command, suffix);
	len = buf_len(key);
	for (i = 0; i < overrides->argc; i++)
		if (strncmp(overrides->argv[i], buf_str(key), len) == 0)
			found = overrides->argv[i] + len;
	buf_free(key);
	return (found);
}

/* qmgr_transport_int - one integer setting */
static int
qmgr_transport_int(const struct argv *overrides, const char *command,
		           const char *name, const char *suffix, int fallback)
{
	const char *text = qmgr_transport_ovr_cmd(overrides, command, name, suffix);
	long	value;

	if (text != NULL && params_parse_int(text, &value) == 0
	    && value >= 0 && value <= INT32_MAX)
		return ((int) value);
	return (params_service_int_ovr(overrides, name, suffix, fallback));
}

/* qmgr_transport_time - one time setting, seconds */
static long
qmgr_transport_time(const struct argv *overrides, const char *command,
		            const char *name, const char *suffix, long fallback)
{
	const char *text = qmgr_transport_ovr_cmd(overrides, command, name, suffix);
	long	value;

	if (text != NULL && params_parse_time(text, 's', &value) == 0)
		return (value);
	return (params_service_time_ovr(overrides, name, suffix, fallback));
}

/* qmgr_transport_str - one string setting */
static const char *
qmgr_transport_str(const struct argv *overrides, const char *command,
		           const char *name, const char *suffix,
		           const char *fallback)
{
	const char *text = qmgr_transport_ovr_cmd(overrides, command, name, suffix);

	if (text != NULL)
		return (text);
	return (params_service_str_ovr(overrides, name, suffix, fallback));
}

/* qmgr_transport_is_set - was a per-transport setting given anywhere? */
static int
qmgr_transport_is_set(const struct argv *overrides, const char *command,
		              const char *name, const char *suffix, int use_default)
{
	struct buf *key = buf_new(64);
	size_t	i, len = strlen(suffix);
	const char *item;
	int	found = 0;

	buf_printf(key, "%s_%s=", name, suffix);
	for (i = 0; overrides != NULL && i < overrides->argc; i++) {
		item = overrides->argv[i];
		if ((strncmp(item, suffix, len) == 0 && item[len] == '=')
		    || strncmp(item, buf_str(key), buf_len(key)) == 0)
			found = 1;
	}
	found |= qmgr_transport_ovr_cmd(overrides, command, name, suffix) != NULL;
	buf_printf(key, "%s_%s", name, suffix);
	found |= params_is_set(buf_str(key));
	buf_printf(key, "default_%s", suffix);
	found |= use_default && params_is_set(buf_str(key));
	buf_free(key);
	return (found);
}

/* qmgr_transport_rates - rate delay and message rate */
static void
qmgr_transport_rates(struct qmgr_transport *t, const struct argv *ovr,
		             const char *cmd)
{
	const char *rate;
	long	count, period;

	t->rate_delay_ms = 1000L * qmgr_transport_time(ovr, cmd, t->name,
				    "destination_rate_delay",
				    var_default_destination_rate_delay);
	if (t->rate_delay_ms > 0)
		t->dest_limit = 1;
	rate = qmgr_transport_str(ovr, cmd, t->name,
				  "destination_message_rate_limit",
				  var_default_destination_message_rate_limit);
	t->msg_rate_count = t->msg_rate_period = 0;
	if (params_parse_rate(rate, &count, &period) == 0 && count > 0
	    && period > 0) {
		t->msg_rate_count = count;
		t->msg_rate_period = period;
	} else if (params_parse_rate(rate, &count, &period) < 0) {
		msg_warn("transport %s: bad destination_message_rate_limit "
			 "\"%s\"; no limit", t->name, rate);
	}
	t->msg_rate_burst = qmgr_transport_int(ovr, cmd, t->name,
					       "destination_message_rate_burst",
				     var_default_destination_message_rate_burst);
	if (t->msg_rate_burst < 1)
		t->msg_rate_burst = 1;
}

/* qmgr_transport_retry - the transport's retry schedule */
static void
qmgr_transport_retry(struct qmgr_transport *t, const struct argv *ovr,
		             const char *cmd)
{
	t->retry.min_backoff = qmgr_transport_time(ovr, cmd, t->name,
				 "minimal_backoff_time", var_minimal_backoff_time);
	t->retry.max_backoff = qmgr_transport_time(ovr, cmd, t->name,
				 "maximal_backoff_time", var_maximal_backoff_time);
	t->retry.run_delay = qmgr_transport_time(ovr, cmd, t->name,
					 "queue_run_delay", var_queue_run_delay);
	if (t->retry.min_backoff < 1)
		t->retry.min_backoff = 1;
	if (t->retry.max_backoff < t->retry.min_backoff)
		t->retry.max_backoff = t->retry.min_backoff;
	if (t->retry.run_delay < 1)
		t->retry.run_delay = 1;
}

/* qmgr_transport_configure - derive all settings of a transport */
void
qmgr_transport_configure(struct qmgr_transport *t, const struct argv *ovr,
			         const char *cmd, int maxproc)
{
	const char *text;
	struct argv *deferred;
	size_t	i;

	t->proc_limit = maxproc < 0 ? var_default_process_limit : maxproc;
	t->dest_limit = qmgr_transport_int(ovr, cmd, t->name,
					   "destination_concurrency_limit",
				      var_default_destination_concurrency_limit);
	t->init_conc = qmgr_transport_int(ovr, cmd, t->name,
					  "initial_destination_concurrency",
					  var_initial_destination_concurrency);
	t->cohort_limit = qmgr_transport_int(ovr, cmd, t->name,
			    "destination_concurrency_failed_cohort_limit",
		    var_default_destination_concurrency_failed_cohort_limit);
	t->rcpt_limit = qmgr_transport_int(ovr, cmd, t->name,
					   "destination_recipient_limit",
					var_default_destination_recipient_limit);
	text = qmgr_transport_str(ovr, cmd, t->name,
				  "destination_concurrency_positive_feedback", "1");
	qmgr_feedback_parse(&t->pos_feedback, text);
	if (!qmgr_transport_is_set(ovr, cmd, t->name,
			     "destination_concurrency_positive_feedback", 1))
		t->pos_feedback.per_window = 1;
	text = qmgr_transport_str(ovr, cmd, t->name,
				  "destination_concurrency_negative_feedback", "1");
	qmgr_feedback_parse(&t->neg_feedback, text);
	qmgr_transport_rates(t, ovr, cmd);
	qmgr_transport_retry(t, ovr, cmd);
	t->prio = -1;
	if (qmgr_transport_is_set(ovr, cmd, t->name, "delivery_priority", 0))
		t->prio = qmgr_prio_parse(qmgr_transport_str(ovr, cmd, t->name,
				      "delivery_priority", MAIL_PRIO_NORMAL));
	if (t->init_conc < 1)
		t->init_conc = 1;
	if (t->dest_limit > 0 && t->init_conc > t->dest_limit)
		t->init_conc = t->dest_limit;
	deferred = argv_split(var_defer_transports, ARGV_LIST_DELIMS);
	for (i = 0, t->is_deferred = 0; i < deferred->argc; i++)
		t->is_deferred |= strcmp(deferred->argv[i], t->name) == 0;
	argv_free(deferred);
}

/* qmgr_transport_entry - the master.cf unix service of that name */
static const struct mastercf_entry *
qmgr_transport_entry(const char *name)
{
	if (qmgr_mcf == NULL)
		return (NULL);
	return (mastercf_find(qmgr_mcf, name, "unix"));
}

/* qmgr_transport_init - read master.cf once */
void
qmgr_transport_init(const char *master_cf_path)
{
	struct buf *why = buf_new(100);
	const struct mastercf_entry *e;
	long	delay;
	size_t	i;

	if (master_cf_path != NULL
	    && (qmgr_mcf = mastercf_load(master_cf_path, why)) == NULL)
		msg_warn("%s; using default transport settings", buf_str(why));
	buf_free(why);
	qmgr_transport_set_weights(var_qmgr_priority_weights);
	qmgr_run_delay = var_queue_run_delay;
	for (i = 0; qmgr_mcf != NULL && i < qmgr_mcf->count; i++) {
		e = qmgr_mcf->entries + i;
		if (e->type != MASTERCF_UNIX)
			continue;
		delay = qmgr_transport_time(e->overrides, e->command, e->service,
					    "queue_run_delay", var_queue_run_delay);
		if (delay >= 1 && delay < qmgr_run_delay)
			qmgr_run_delay = delay;
	}
	if (qmgr_transport_table == NULL)
		qmgr_transport_table = htable_new(16);
}

/* qmgr_transport_min_run_delay - how often to scan deferred/ */
long
qmgr_transport_min_run_delay(void)
{
	return (qmgr_run_delay > 0 ? qmgr_run_delay : var_queue_run_delay);
}

/* qmgr_transport_find - an existing transport, or NULL */
struct qmgr_transport *
qmgr_transport_find(const char *name)
{
	if (qmgr_transport_table == NULL)
		return (NULL);
	return (htable_find(qmgr_transport_table, name));
}

/* qmgr_transport_get - find or create a transport */
struct qmgr_transport *
qmgr_transport_get(const char *name)
{
	const struct mastercf_entry *e;
	struct qmgr_transport *t;

	if ((t = qmgr_transport_find(name)) != NULL)
		return (t);
	if (qmgr_transport_table == NULL)
		qmgr_transport_table = htable_new(16);
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	t->queues = htable_new(64);
	e = qmgr_transport_entry(name);
	qmgr_transport_configure(t, e ? e->overrides : NULL,
				 e ? e->command : name, e ? e->maxproc : -1);
	htable_enter(qmgr_transport_table, t->name, t);
	t->next = qmgr_transports;
	qmgr_transports = t;
	msg_debug(1, "transport %s: process limit %d, concurrency %d..%d, "
		  "recipients %d, backoff %ld..%lds", t->name, t->proc_limit,
		  t->init_conc, t->dest_limit, t->rcpt_limit,
		  t->retry.min_backoff, t->retry.max_backoff);
	return (t);
}

/* qmgr_transport_list - the first transport (linked by ->next) */
struct qmgr_transport *
qmgr_transport_list(void)
{
	return (qmgr_transports);
}

/* qmgr_transport_has_room - may another agent be started? */
int
qmgr_transport_has_room(const struct qmgr_transport *t)
{
	return (t->proc_limit == 0 || t->busy < t->proc_limit);
}

/* qmgr_transport_wake - a transport timer expired */
static void
qmgr_transport_wake(int event, void *ctx)
{
	struct qmgr_transport *t = ctx;

	(void) event;
	t->wake_at = 0;
	t->needs_drain = 1;
}

/* qmgr_transport_arm - wake up the transport at time at (ms) */
static void
qmgr_transport_arm(struct qmgr_transport *t, int64_t at, int64_t now)
{
	if (t->wake_at != 0 && t->wake_at <= at)
		return;
	t->wake_at = at;
	event_request_timer(qmgr_transport_wake, t, (long) (at > now ? at - now : 0));
}

/* qmgr_transport_kick - something changed: look again */
void
qmgr_transport_kick(struct qmgr_transport *t)
{
	t->needs_drain = 1;
}

/* qmgr_transport_unavailable - cannot reach the transport's socket */
void
qmgr_transport_unavailable(struct qmgr_transport *t, const char *reason)
{
	int64_t	now = event_time_ms();

	t->unavail_until = now + var_transport_retry_time * 1000L;
	free(t->unavail_reason);
	t->unavail_reason = xstrdup(reason);
	qmgr_transport_arm(t, t->unavail_until, now);
	qmgr_defer_transport(t, "4.3.0", reason);
}

/* qmgr_transport_enable_all - flush: forget dead, throttled, unavailable */
void
qmgr_transport_enable_all(void)
{
	struct htable_entry **list;
	struct qmgr_transport *t;
	struct qmgr_queue *q;
	size_t	i;

	for (t = qmgr_transports; t != NULL; t = t->next) {
		t->unavail_until = 0;
		list = htable_list(t->queues);
		for (i = 0; list[i] != NULL; i++) {
			q = list[i]->value;
			if (q->is_dead)
				qmgr_queue_resume(q, 1);
			q->pause_until = 0;
			q->next_start = 0;
		}
		free(list);
		t->needs_drain = 1;
	}
}

/* qmgr_transport_ready_queue - next ready queue of one class, or NULL */
static struct qmgr_queue *
qmgr_transport_ready_queue(struct qmgr_transport *t, int prio, int64_t now,
			           int64_t *wake)
{
	struct qmgr_queue *start = t->ring[prio];
	struct qmgr_queue *q = start;

	if (q == NULL)
		return (NULL);
	do {
		if (qmgr_queue_ready(q, now, wake))
			return (q);
		q = q->ring_next[prio];
	} while (q != start);
	return (NULL);
}

/* qmgr_transport_select_entry - the next delivery to start, or NULL */
struct qmgr_entry *
qmgr_transport_select_entry(struct qmgr_transport *t, int64_t now)
{
	struct qmgr_queue *ready[QMGR_PRIO_COUNT];
	int64_t	wake = 0;
	int	total = 0, best = -1, prio;

	for (prio = 0; prio < QMGR_PRIO_COUNT; prio++) {
		ready[prio] = qmgr_transport_ready_queue(t, prio, now, &wake);
		if (ready[prio] != NULL)
			total += qmgr_weights[prio];
	}
	if (wake != 0)
		qmgr_transport_arm(t, wake, now);
	if (total == 0)
		return (NULL);
	for (prio = 0; prio < QMGR_PRIO_COUNT; prio++) {
		if (ready[prio] == NULL)
			continue;
		t->wrr[prio] += qmgr_weights[prio];
		if (best < 0 || t->wrr[prio] > t->wrr[best])
			best = prio;
	}
	t->wrr[best] -= total;
	t->ring[best] = ready[best]->ring_next[best];
	return (qmgr_entry_select(ready[best], best));
}

/* qmgr_transport_drain - start what can start for one transport */
static void
qmgr_transport_drain(struct qmgr_transport *t, int64_t now)
{
	struct qmgr_entry *entry;

	if (t->unavail_until != 0) {
		if (t->unavail_until > now)
			return;
		t->unavail_until = 0;
	}
	if (t->connect_retry_at != 0) {
		if (t->connect_retry_at > now) {
			qmgr_transport_arm(t, t->connect_retry_at, now);
			return;
		}
		t->connect_retry_at = 0;
	}
	while (qmgr_transport_has_room(t) && t->connect_retry_at == 0
	       && t->unavail_until == 0
	       && (entry = qmgr_transport_select_entry(t, now)) != NULL)
		qmgr_deliver(t, entry);
}

/* qmgr_transport_drain_all - start deliveries where something changed */
void
qmgr_transport_drain_all(void)
{
	struct qmgr_transport *t;
	int64_t	now = event_time_update();

	for (t = qmgr_transports; t != NULL; t = t->next) {
		if (!t->needs_drain)
			continue;
		t->needs_drain = 0;
		qmgr_transport_drain(t, now);
	}
}

/* qmgr_transport_free_all - release every transport (tests, exit) */
void
qmgr_transport_free_all(void)
{
	struct qmgr_transport *t;

	while ((t = qmgr_transports) != NULL) {
		qmgr_transports = t->next;
		qmgr_queue_forget_all(t);
		htable_free(t->queues, NULL);
		event_cancel_timer(qmgr_transport_wake, t);
		free(t->unavail_reason);
		free(t->name);
		free(t);
	}
	if (qmgr_transport_table != NULL) {
		htable_free(qmgr_transport_table, NULL);
		qmgr_transport_table = NULL;
	}
	if (qmgr_mcf != NULL) {
		mastercf_free(qmgr_mcf);
		qmgr_mcf = NULL;
	}
}
