/*
 * NAME
 *	metrics_format - Prometheus text exposition of queue and qmgr metrics
 * SYNOPSIS
 *	#include <global/metrics_format.h>
 *
 *	extern const char *const metrics_queue_names[METRICS_QUEUE_COUNT];
 *
 *	int	metrics_queues_scan(struct metrics_queues *queues,
 *			const struct timeval *now, struct buf *why);
 *	void	metrics_format(struct buf *out,
 *			const struct metrics_queues *queues,
 *			const struct metrics_snapshot *snap, long active_limit);
 *	int	metrics_collect(struct buf *out, const char *snapshot_path,
 *			long active_limit, struct buf *why);
 *
 *	void	metrics_label_escape(struct buf *out, const char *value);
 *	void	metrics_format_number(struct buf *out, double value);
 * DESCRIPTION
 *	These functions produce what "postern metrics" prints and what the
 *	metrics(8) service answers to GET /metrics: the Prometheus text
 *	exposition format, version 0.0.4 (content type "text/plain;
 *	version=0.0.4"), every family with # HELP and # TYPE lines:
 * .IP "postern_qmgr_up (gauge)"
 *	1 when the queue manager's snapshot was fresh, else 0 (qmgr not
 *	running, stuck, or its snapshot unreadable); the families marked
 *	(qmgr) below are then left out.
 * .IP "postern_qmgr_start_time_seconds (gauge, qmgr)"
 *	when the queue manager whose counters are shown started; counters
 *	start again from zero after a qmgr restart.
 * .IP "postern_queue_messages{queue} (gauge)"
 * .IP "postern_queue_oldest_age_seconds{queue} (gauge)"
 *	the number of files in the maildrop, incoming, active, deferred
 *	and hold queue directories, and the age of the oldest one (0 for
 *	an empty queue): from the arrival time in the queue ID, or the
 *	modification time for maildrop files. A queue that cannot be read
 *	is left out.
 * .IP "postern_active_messages{transport,priority} (gauge, qmgr)"
 * .IP "postern_active_limit (gauge)"
 *	qmgr_message_active_limit: qmgr's value, or active_limit when
 *	there is no fresh snapshot.
 * .IP "postern_inflow_tokens (gauge, qmgr)"
 *	in_flow tokens waiting in the flow pipe (left out when qmgr could
 *	not tell).
 * .IP "postern_destination_concurrency{transport,destination} (gauge, qmgr)"
 * .IP "postern_destination_state{transport,destination,state} (gauge, qmgr)"
 *	1 for the current state (ok, throttled or dead), 0 for the other
 *	two.
 * .IP "postern_deliveries_total{transport,status,dsn_class} (counter, qmgr)"
 * .IP "postern_delivery_delay_seconds{transport,priority} (histogram, qmgr)"
 *	_bucket{le} (cumulative), _sum and _count.
 * .PP
 *	Series appear in a fixed order (families as above, labels sorted),
 *	so the output of two runs can be compared.
 *
 *	metrics_queues_scan() counts the queue directories, relative to
 *	the current directory (queue_directory). It returns 0, or -1 when
 *	a queue could not be read (its is_scanned stays 0; the reasons, one
 *	per queue, go to why separated by "; ").
 *
 *	metrics_format() appends the exposition text to out. snap is NULL
 *	when there is no fresh snapshot.
 *
 *	metrics_collect() does the whole job for a reader running in
 *	queue_directory: scan the queues, read snapshot_path
 *	(METRICS_SNAPSHOT_FILE), ignore it when stale, and format. It
 *	always fills out; it returns -1 with the reasons in why when a
 *	queue could not be read or the snapshot exists but is unreadable or
 *	corrupt, else 0 (a missing or stale snapshot is normal: qmgr down).
 *
 *	metrics_label_escape() appends a label value escaped as the format
 *	wants (backslash, double quote and newline as \e\e, \e" and \en);
 *	bytes that are not UTF-8 become U+FFFD. metrics_format_number()
 *	appends a sample value: integers without a fraction, others in the
 *	shortest form that reads back exactly, +Inf, -Inf and NaN.
 * SEE ALSO
 *	metrics_snapshot(3), metrics(8), postern(1)
 */
#ifndef POSTERN_METRICS_FORMAT_H
#define POSTERN_METRICS_FORMAT_H

#include <util/sys_defs.h>
#include <sys/time.h>
#include <util/buf.h>
#include <global/metrics_snapshot.h>

#define METRICS_QUEUE_COUNT	5
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

extern const char *const metrics_queue_names[METRICS_QUEUE_COUNT];

/* One queue directory. */
struct metrics_queue_stat {
	int	is_scanned;		/* 0: could not be read */
	long	messages;
	double	oldest_age;		/* seconds; 0 when empty */
};

struct metrics_queues {
	struct metrics_queue_stat queue[METRICS_QUEUE_COUNT];	/* by metrics_queue_names */
};

int	metrics_queues_scan(struct metrics_queues *queues, const struct timeval *now,
			            struct buf *why);
void	metrics_format(struct buf *out, const struct metrics_queues *queues,
		               const struct metrics_snapshot *snap, long active_limit);
int	metrics_collect(struct buf *out, const char *snapshot_path, long active_limit,
			        struct buf *why);

void	metrics_label_escape(struct buf *out, const char *value);
void	metrics_format_number(struct buf *out, double value);

#endif
