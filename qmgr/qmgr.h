/*
 * NAME
 *	qmgr - queue manager internals
 * SYNOPSIS
 *	#include "qmgr.h"
 * DESCRIPTION
 *	The queue manager's in-memory "active queue", after Postfix's
 *	oqmgr with Postern's load controls. One process, one thread, the
 *	event loop; nothing here ever blocks on a peer.
 *
 *	Objects and how they hang together:
 * .IP "struct qmgr_message (qmgr_message.c)"
 *	One queue file in active/: its envelope (qfile_envelope, so sender,
 *	arrival time, recipients with their record offsets), its priority
 *	class, a per-recipient outcome array, and refcount = the number of
 *	its delivery entries still queued or in delivery. When refcount
 *	drops to 0, qmgr_active_done() finishes the message: bounce flush,
 *	expiry or delay warning, then remove or move to deferred/.
 * .IP "struct qmgr_transport (qmgr_transport.c)"
 *	One master.cf service used as a transport (smtp, relay, local,
 *	high-prio...). Its configuration comes from main.cf
 *	SERVICE_name parameters and from the -o overrides on its master.cf
 *	line: process limit (maxproc), destination concurrency limit,
 *	initial concurrency, failed cohort limit, feedback, rate delay,
 *	message rate limit, recipient limit, its retry schedule (struct
 *	qmgr_retry: minimal/maximal backoff, queue_run_delay) and an
 *	optional delivery_priority class. Per transport state: deliveries
 *	in progress, the destination queues by name, and for each priority
 *	class a ring of the queues that hold entries of that class.
 * .IP "struct qmgr_queue (qmgr_queue.c)"
 *	One destination of a transport: the nexthop, or the recipient
 *	itself for a transport with recipient limit 1. It holds the
 *	concurrency window (slow start from initial concurrency, positive
 *	feedback per success, negative feedback per failed delivery,
 *	pseudo-cohort failure count, dead state with its reason and resume
 *	time), the adaptive throttle pause (DEL_STAT_THROTTLED: window
 *	halved, no new delivery until the pause ends, never dead), the
 *	rate delay clock and the message-rate token bucket, and per class a
 *	FIFO of todo entries plus the busy count.
 * .IP "struct qmgr_entry (qmgr_entry.c)"
 *	One delivery job: up to the transport's recipient limit recipients
 *	of one message for one queue, in one priority class (the message
 *	class, or the transport's delivery_priority). It is "todo" until
 *	selected, then "busy" while an agent works on it.
 * .PP
 *	Scheduling (qmgr.c qmgr_loop, qmgr_transport_select_entry): before
 *	each event-loop wait the loop imports a slice of files, then, for
 *	every transport with free processes, picks a class by smooth
 *	weighted round robin (qmgr_priority_weights) among the classes
 *	that have a ready queue, then the next ready queue of that class in
 *	round-robin order, then its oldest entry of that class, and hands
 *	it to qmgr_deliver(). "Ready" means window > busy, not dead, not
 *	paused, rate delay passed and a token in the bucket; the earliest
 *	time a blocked queue becomes ready arms a per-transport timer.
 *
 *	Import (qmgr_scan.c): the incoming and deferred scans walk their
 *	directories in slices, alternating when both run, while the active
 *	queue is below qmgr_message_active_limit and the recipients in
 *	memory below qmgr_message_recipient_limit. Bulk mail may fill at
 *	most (100 - qmgr_priority_reserve)% of the active queue: beyond
 *	that a file's PRIO record is peeked and bulk files stay where they
 *	are. A deferred scan imports at most qmgr_deferred_import_limit
 *	files and only files whose retry time (mtime) has come, unless a
 *	flush asked for all.
 *
 *	Retry schedule (qmgr_active.c): every deferred recipient proposes
 *	a retry time from its transport's schedule, now + clamp(age,
 *	minimal, maximal backoff) (the age doubles by the next attempt),
 *	plus smtp_throttle_backoff when the delivery was throttled; the
 *	message takes the earliest proposal, spread by backoff_jitter
 *	percent, as the mtime of its deferred/ file.
 *
 *	Delivery (qmgr_deliver.c, qmgr_ipc.c): a non-blocking connection
 *	to private/TRANSPORT, the request and the replies buffered in
 *	memory and moved by the event loop; each per-recipient reply is
 *	acted on as it arrives (rec_mark_done() for delivered and bounced
 *	recipients, logfile entries), the final status feeds the
 *	destination window: success, failed delivery (cohorts, dead),
 *	throttle (DEL_STAT_THROTTLED: halve, pause, never dead) or a much
 *	slower than usual success (smtp_latency_throttle_factor: one less).
 *
 *	Completion (qmgr_active.c, qmgr_bounce.c, qmgr_defer.c): bounce,
 *	expiry and delay warning requests go to the bounce service on the
 *	event loop too; then the file is removed or moved to deferred/.
 *
 *	Also: qmgr_flow.c (in_flow tokens), qmgr_log.c (Postfix-shaped
 *	recipient lines for what qmgr defers itself), qmgr_metrics.c (the
 *	state and counters published once a second for metrics).
 *
 *	Extension points: a new per-destination control is a field of
 *	struct qmgr_queue plus a test in qmgr_queue_ready() (it folds its
 *	wake-up time) and an update in qmgr_queue_started()/_finished(); a
 *	new per-transport setting is one lookup in
 *	qmgr_transport_configure(); a new class would grow QMGR_PRIO_COUNT.
 * SEE ALSO
 *	qmgr(8), resolve(3), queue(3), record(3)
 */
#ifndef POSTERN_QMGR_H
#define POSTERN_QMGR_H

#include <util/sys_defs.h>
#include <sys/time.h>
#include <util/buf.h>
#include <util/argv.h>
#include <util/htable.h>
#include <global/record.h>
#include <global/deliver_request.h>
#include <global/bounce_client.h>

 /*
  * Priority classes, best first. The index is used for arrays.
  */
#define QMGR_PRIO_HIGH		0
#define QMGR_PRIO_NORMAL	1
#define QMGR_PRIO_BULK		2
#define QMGR_PRIO_COUNT		3


 /*
  * Per-recipient outcome in memory (message->rcpt_state).
  */
#define QMGR_RCPT_TODO		0	/* not tried in this pass */
#define QMGR_RCPT_QUEUED	1	/* in an entry */
#define QMGR_RCPT_DONE		2	/* delivered, or done before import */
#define QMGR_RCPT_BOUNCED	3	/* failed, in bounce/ID */
#define QMGR_RCPT_DEFERRED	4	/* deferred, in defer/ID */

 /*
  * A retry schedule (per transport; the global one from main.cf).
  */
struct qmgr_retry {
	long	min_backoff;		/* seconds */
	long	max_backoff;		/* seconds */
	long	run_delay;		/* deferred scan interval, seconds */
};

 /*
  * Concurrency feedback: value, or value/concurrency.
  */
struct qmgr_feedback {
	double	value;
	int	per_window;		/* divide by the window */
};

struct qmgr_queue;
struct qmgr_entry;
struct qmgr_message;
struct qmgr_ipc;

struct qmgr_transport {
	char   *name;
	/* Configuration. */
	int	proc_limit;		/* agents at once, 0 = no limit */
	int	dest_limit;		/* per-destination concurrency, 0 = none */
	int	init_conc;		/* initial destination concurrency */
	int	cohort_limit;		/* failed cohorts before dead, 0 = never */
	struct qmgr_feedback pos_feedback;
	struct qmgr_feedback neg_feedback;
	long	rate_delay_ms;		/* destination_rate_delay */
	long	msg_rate_count;		/* message rate: count per period, 0 = none */
	long	msg_rate_period;	/* seconds */
	int	msg_rate_burst;		/* bucket size */
	int	rcpt_limit;		/* recipients per delivery, 0 = none */
	struct qmgr_retry retry;	/* retry schedule */
	int	prio;			/* delivery_priority class, -1 = none */
	int	is_deferred;		/* listed in defer_transports */
	/* State. */
	int	busy;			/* deliveries in progress */
	struct htable *queues;		/* name -> struct qmgr_queue */
	struct qmgr_queue *ring[QMGR_PRIO_COUNT];	/* queues with todo */
	int	wrr[QMGR_PRIO_COUNT];	/* smooth weighted round robin */
	int	needs_drain;		/* something changed */
	int64_t	unavail_until;		/* connect failed: ms, 0 = available */
	char   *unavail_reason;
	int64_t	wake_at;		/* armed transport timer, 0 = none */
	int64_t	connect_retry_at;	/* backlog was full: ms, 0 = none */
	struct qmgr_transport *next;	/* all transports */
};

struct qmgr_queue {
	char   *name;			/* nexthop, or recipient */
	char   *nexthop;
	struct qmgr_transport *transport;
	/* Concurrency window. */
	int	window;			/* deliveries allowed at once */
	double	success;		/* positive feedback accumulator */
	double	failure;		/* negative feedback accumulator */
	double	fail_cohorts;		/* pseudo-cohort failures */
	int	busy;			/* deliveries in progress */
	/* Dead destination. */
	int	is_dead;
	int	dead_window;		/* window when it died */
	int64_t	dead_until;		/* ms */
	char   *dead_status;		/* DSN status of the failure */
	char   *dead_reason;
	/* Adaptive throttle. */
	int64_t	pause_until;		/* ms, 0 = not paused */
	int	is_throttled;		/* window was halved by a throttle */
	/* Latency watch. */
	double	lat_avg;		/* delivery seconds, moving average */
	int	lat_samples;
	int	lat_since_cut;		/* deliveries since the last cut */
	/* Rate controls. */
	int64_t	next_start;		/* rate delay: ms */
	double	tokens;			/* message rate bucket */
	int64_t	tokens_at;		/* last refill, ms */
	/* Work. */
	struct qmgr_entry *todo_head[QMGR_PRIO_COUNT];
	struct qmgr_entry *todo_tail[QMGR_PRIO_COUNT];
	int	todo_count;
	struct qmgr_queue *ring_prev[QMGR_PRIO_COUNT];
	struct qmgr_queue *ring_next[QMGR_PRIO_COUNT];
	int	in_ring[QMGR_PRIO_COUNT];
};

struct qmgr_entry {
	struct qmgr_message *message;
	struct qmgr_queue *queue;
	int	prio;			/* class of this job */
	size_t *rcpts;			/* indices into message->env.rcpts */
	size_t	rcpt_count;
	size_t	rcpt_cap;
	int	is_busy;		/* handed to an agent */
	struct qmgr_entry *prev;	/* todo list links */
	struct qmgr_entry *next;
};

#define QMGR_MSG_DFXP		(1 << 0)	/* ignore defer_transports */
#define QMGR_MSG_UNTHROTTLE	(1 << 1)	/* revive dead destinations */
#define QMGR_MSG_THROTTLED	(1 << 2)	/* add smtp_throttle_backoff */

struct qmgr_message {
	char   *queue_id;
	char   *from_queue;		/* incoming or deferred */
	struct qfile_envelope env;
	int	prio;			/* message class */
	int	flags;			/* QMGR_MSG_* */
	unsigned char *rcpt_state;	/* QMGR_RCPT_* per env.rcpts[] */
	struct qmgr_transport **rcpt_transport;	/* routed to, or NULL */
	int	refcount;		/* entries queued or busy */
	int	busy;			/* entries in delivery */
	int	fd;			/* active file, O_RDWR, or -1 */
	struct timeval active_time;	/* when it entered active */
	time_t	retry_time;		/* earliest proposed retry, 0 = none */
	int	has_defer_log;		/* appended to defer/ID this pass */
	int	has_bounce_log;		/* appended to bounce/ID this pass */
	int	has_trace_log;		/* appended to trace/ID this pass */
	int	done_stage;		/* qmgr_active_done() progress */
	struct qmgr_ipc *bounce_ipc;	/* pending bounce/defer request */
	struct qmgr_message *prev;	/* all active messages */
	struct qmgr_message *next;
};

 /*
  * qmgr_scan.c
  */
#define QMGR_SCAN_INCOMING	0
#define QMGR_SCAN_DEFERRED	1

#define QMGR_SCAN_START		(1 << 0)	/* start (or restart when done) */
#define QMGR_SCAN_ALL		(1 << 1)	/* ignore retry times */
#define QMGR_SCAN_DFXP		(1 << 2)	/* imported mail ignores defer_transports */
#define QMGR_SCAN_UNTHROTTLE	(1 << 3)	/* imported mail revives dead sites */

void	qmgr_scan_init(void);
void	qmgr_scan_request(int which, int flags);
void	qmgr_scan_site(const char *site);
void	qmgr_scan_queue_id(const char *id);
int	qmgr_scan_run(int budget, int *from_incoming);
int	qmgr_scan_pending(void);
int	qmgr_scan_incoming_busy(void);
int	qmgr_scan_may_import(int prio);
int	qmgr_scan_limit_check(int active, long rcpts, int bulk_active, int prio,
			              int active_limit, long rcpt_limit, int reserve);
void	qmgr_scan_bulk_left(void);

 /*
  * qmgr_message.c
  */
int	qmgr_message_import(const char *queue_name, const char *id, int flags);
void	qmgr_message_free(struct qmgr_message *message);
int	qmgr_message_fd(struct qmgr_message *message);
void	qmgr_message_close(struct qmgr_message *message);
struct qmgr_message *qmgr_message_find(const char *id);
int	qmgr_message_count(void);
int	qmgr_message_count_prio(int prio);
long	qmgr_message_rcpt_count(void);
int	qmgr_prio_parse(const char *name);
const char *qmgr_prio_name(int prio);
void	qmgr_message_init(void);
const char *qmgr_message_attr_str(const struct qmgr_message *message,
		const char *name, const char *fallback);
int	qmgr_message_attr_int(const struct qmgr_message *message,
		const char *name);
void	qmgr_message_assign(struct qmgr_message *message);
void	qmgr_message_walk(void (*fn) (const struct qmgr_message *, void *),
		void *ctx);

 /*
  * qmgr_transport.c
  */
void	qmgr_transport_init(const char *master_cf_path);
struct qmgr_transport *qmgr_transport_find(const char *name);
struct qmgr_transport *qmgr_transport_get(const char *name);
void	qmgr_transport_configure(struct qmgr_transport *transport,
		const struct argv *overrides, const char *command, int maxproc);
struct qmgr_transport *qmgr_transport_list(void);
int	qmgr_transport_has_room(const struct qmgr_transport *transport);
void	qmgr_transport_unavailable(struct qmgr_transport *transport,
		const char *reason);
void	qmgr_transport_enable_all(void);
long	qmgr_transport_min_run_delay(void);
struct qmgr_entry *qmgr_transport_select_entry(struct qmgr_transport *transport,
		int64_t now);
void	qmgr_transport_kick(struct qmgr_transport *transport);
void	qmgr_transport_drain_all(void);
void	qmgr_transport_set_weights(const char *spec);
int	qmgr_transport_weight(int prio);
void	qmgr_feedback_parse(struct qmgr_feedback *fb, const char *text);
void	qmgr_transport_free_all(void);

 /*
  * qmgr_queue.c
  */
#define QMGR_QUEUE_OK		0
#define QMGR_QUEUE_BECAME_DEAD	1

struct qmgr_queue *qmgr_queue_find(struct qmgr_transport *transport,
		const char *name);
struct qmgr_queue *qmgr_queue_create(struct qmgr_transport *transport,
		const char *name, const char *nexthop);
void	qmgr_queue_release(struct qmgr_queue *queue);
void	qmgr_queue_free(struct qmgr_queue *queue);
void	qmgr_queue_sweep(int64_t now);
int	qmgr_queue_ready(struct qmgr_queue *queue, int64_t now, int64_t *wake);
void	qmgr_queue_started(struct qmgr_queue *queue, int64_t now);
void	qmgr_queue_finished(struct qmgr_queue *queue, int64_t now);
void	qmgr_queue_success(struct qmgr_queue *queue);
int	qmgr_queue_latency(struct qmgr_queue *queue, double seconds);
int	qmgr_queue_failure(struct qmgr_queue *queue, int count_cohort);
void	qmgr_queue_kill(struct qmgr_queue *queue, int64_t now,
		const char *status, const char *reason);
void	qmgr_queue_throttle(struct qmgr_queue *queue, int64_t now,
		const char *reply);
void	qmgr_queue_resume(struct qmgr_queue *queue, int keep_window);
void	qmgr_queue_ring_add(struct qmgr_queue *queue, int prio);
void	qmgr_queue_ring_remove(struct qmgr_queue *queue, int prio);
void	qmgr_queue_forget_all(struct qmgr_transport *transport);
int	qmgr_queue_match_site(const struct qmgr_queue *queue, const char *site);

 /*
  * qmgr_entry.c
  */
struct qmgr_entry *qmgr_entry_create(struct qmgr_queue *queue,
		struct qmgr_message *message, int prio);
void	qmgr_entry_add_rcpt(struct qmgr_entry *entry, size_t index);
struct qmgr_entry *qmgr_entry_select(struct qmgr_queue *queue, int prio);
void	qmgr_entry_unselect(struct qmgr_entry *entry);
void	qmgr_entry_done(struct qmgr_entry *entry);
struct qmgr_entry *qmgr_entry_last_todo(struct qmgr_queue *queue,
		struct qmgr_message *message, int prio);

 /*
  * qmgr_deliver.c
  */
void	qmgr_deliver(struct qmgr_transport *transport, struct qmgr_entry *entry);
int	qmgr_deliver_count(void);

 /*
  * qmgr_defer.c
  */
void	qmgr_defer_recipient(struct qmgr_message *message, size_t index,
		struct qmgr_transport *transport, const char *relay,
		const char *status, const char *reason);
void	qmgr_defer_entry(struct qmgr_entry *entry, const char *status,
		const char *reason);
void	qmgr_defer_todo(struct qmgr_queue *queue, const char *status,
		const char *reason);
void	qmgr_defer_transport(struct qmgr_transport *transport,
		const char *status, const char *reason);
void	qmgr_defer_propose(struct qmgr_message *message,
		struct qmgr_transport *transport, long extra);
int	qmgr_logfile_append(const char *queue_name, const char *id,
		const struct qfile_rcpt *rcpt, const char *status,
		const char *action, const char *reason, const char *relay);
int	qmgr_logfile_sync(const char *queue_name, const char *id);

 /*
  * qmgr_bounce.c
  */
typedef void (*qmgr_bounce_fn) (struct qmgr_message *message, int status);

void	qmgr_bounce_recipient(struct qmgr_message *message, size_t index,
		const char *relay, const char *status, const char *reason);
void	qmgr_bounce_request(struct qmgr_message *message, const char *request,
		qmgr_bounce_fn callback);

 /*
  * qmgr_active.c
  */
void	qmgr_active_init(void);
void	qmgr_active_done(struct qmgr_message *message);
long	qmgr_backoff_delay(long age, const struct qmgr_retry *retry);
long	qmgr_backoff_jitter(long delay, int percent, double uniform);
time_t	qmgr_active_retry_time(struct qmgr_message *message, time_t now);
void	qmgr_active_recover(void);
void	qmgr_active_global_retry(struct qmgr_retry *retry);

 /*
  * qmgr_flow.c
  */
void	qmgr_flow_feed(int imported_incoming);
long	qmgr_flow_wanted(long in_pipe, int active, int active_limit,
		                 int proc_limit, int incoming_busy, int imported);

 /*
  * qmgr_metrics.c
  */
void	qmgr_metrics_init(void);
void	qmgr_metrics_result(const struct qmgr_transport *transport, int status,
		const char *dsn_status);
void	qmgr_metrics_delay(const struct qmgr_transport *transport, int prio,
		double seconds);
void	qmgr_metrics_publish(void);

 /*
  * qmgr_log.c
  */
void	qmgr_log_delay(struct buf *out, double seconds);
void	qmgr_log_recipient(const struct qmgr_message *message, size_t index,
		const char *relay, const char *status, const char *word,
		const char *reason);
void	qmgr_log_line(struct buf *out, const struct qmgr_message *message,
		size_t index, const char *relay, const char *status,
		const char *word, const char *reason,
		const struct timeval *now);

 /*
  * qmgr_ipc.c
  */
#define QMGR_IPC_LIST		1	/* a complete list is ready */
#define QMGR_IPC_EOF		2	/* peer closed between lists */
#define QMGR_IPC_ERROR		3	/* I/O error, bad data or timeout */

typedef void (*qmgr_ipc_fn) (struct qmgr_ipc *ipc, int event, void *ctx);

struct qmgr_ipc *qmgr_ipc_connect(const char *path, struct buf *why);
struct stream *qmgr_ipc_stream(struct qmgr_ipc *ipc);
void	qmgr_ipc_start(struct qmgr_ipc *ipc, int timeout_s, qmgr_ipc_fn fn,
		               void *ctx);
void	qmgr_ipc_close(struct qmgr_ipc *ipc);
const char *qmgr_ipc_name(const struct qmgr_ipc *ipc);
const char *qmgr_ipc_error(const struct qmgr_ipc *ipc);
ssize_t	qmgr_ipc_list_len(const char *data, size_t len, struct buf *why);

#endif
