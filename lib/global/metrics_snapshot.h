/*
 * NAME
 *	metrics_snapshot - the queue manager's state and counters for metrics
 * SYNOPSIS
 *	#include <global/metrics_snapshot.h>
 *
 *	struct metrics_snapshot *metrics_snapshot_new(void);
 *	void	metrics_snapshot_free(struct metrics_snapshot *snap);
 *	void	metrics_snapshot_clear_state(struct metrics_snapshot *snap);
 *
 *	void	metrics_snapshot_set_active_limit(struct metrics_snapshot *snap,
 *			long limit);
 *	void	metrics_snapshot_set_inflow(struct metrics_snapshot *snap,
 *			long tokens);
 *	int	metrics_snapshot_set_active(struct metrics_snapshot *snap,
 *			const char *transport, const char *priority, long count);
 *	int	metrics_snapshot_add_active(struct metrics_snapshot *snap,
 *			const char *transport, const char *priority, long delta);
 *	int	metrics_snapshot_add_destination(struct metrics_snapshot *snap,
 *			const char *transport, const char *destination,
 *			int concurrency, enum metrics_dest_state state);
 *	int	metrics_snapshot_count_delivery(struct metrics_snapshot *snap,
 *			const char *transport, enum metrics_status status,
 *			int dsn_class);
 *	int	metrics_snapshot_observe_delay(struct metrics_snapshot *snap,
 *			const char *transport, const char *priority,
 *			double seconds);
 *
 *	int	metrics_snapshot_write(struct metrics_snapshot *snap,
 *			const char *path);
 *	struct metrics_snapshot *metrics_snapshot_read(const char *path,
 *			struct buf *why);
 *	struct metrics_snapshot *metrics_snapshot_parse(const char *name,
 *			const char *text, size_t len, struct buf *why);
 *	int	metrics_snapshot_is_fresh(const struct metrics_snapshot *snap,
 *			time_t now);
 *
 *	struct htable_entry **metrics_snapshot_list(const struct htable *table);
 *	const char *metrics_dest_state_name(enum metrics_dest_state state);
 *	const char *metrics_status_name(enum metrics_status status);
 *
 *	extern const double metrics_delay_bounds[METRICS_DELAY_BOUNDS];
 * DESCRIPTION
 *	The queue manager is the only process that knows the active queue,
 *	its destinations and the results of deliveries. It keeps one
 *	snapshot for its whole life and publishes it about once a second
 *	with metrics_snapshot_write() to METRICS_SNAPSHOT_FILE, relative to
 *	queue_directory (qmgr runs there, chrooted or not); the metrics(8)
 *	service and "postern metrics" read it with metrics_snapshot_read()
 *	and render it with metrics_format(3). The file lives in private/,
 *	which belongs to mail_owner: qmgr can write it after dropping
 *	privileges, the metrics service (mail_owner) and root can read it.
 *
 *	A snapshot holds two kinds of data.
 * .IP State
 *	replaced at every publication: the number of active messages per
 *	(transport, priority class), the active queue limit
 *	(qmgr_message_active_limit), the in_flow tokens waiting in the flow
 *	pipe (mail_flow_count(); -1 when unknown), and per destination
 *	(transport, destination) its concurrency window and its state: ok,
 *	throttled (adaptive throttle pause) or dead.
 *	metrics_snapshot_clear_state() forgets the active counts and the
 *	destinations, so that qmgr can rebuild them before each write.
 * .IP Counters
 *	cumulative since the snapshot was created, i.e. since qmgr
 *	started: recipient delivery results per (transport, status,
 *	DSN class) with status sent, deferred, bounced or expired and DSN
 *	class 2, 4 or 5, and per (transport, priority class) a histogram of
 *	delivery delays with the fixed upper bounds metrics_delay_bounds
 *	(seconds) plus +Inf, with the sum and count of the observations.
 *	A qmgr restart starts from zero again; the snapshot records qmgr's
 *	process ID and start time so that readers can tell (Prometheus
 *	treats a decrease as a counter reset).
 * .PP
 *	metrics_snapshot_new() returns an empty snapshot stamped with the
 *	current process ID and time. metrics_snapshot_set_active() sets
 *	and metrics_snapshot_add_active() changes the active count of a
 *	(transport, priority) pair (a count never goes below 0).
 *	metrics_snapshot_add_destination() enters or replaces a destination.
 *	metrics_snapshot_count_delivery() counts one recipient result.
 *	metrics_snapshot_observe_delay() records one delay in seconds (a
 *	negative delay, from a clock step, counts as 0). These return 0, or
 *	-1 with errno EINVAL and change nothing when a name is empty or
 *	longer than METRICS_LABEL_MAXLEN, the DSN class is not 2, 4 or 5, a
 *	concurrency is negative, or a delay is not a finite number.
 *
 *	The snapshot keeps its entries in four hash tables (fields active,
 *	destinations, deliveries, delays), keyed by their encoded labels;
 *	metrics_snapshot_list() returns the entries of one table sorted by
 *	key (the array is NULL-terminated; free() it, not the entries).
 *
 *	metrics_snapshot_write() stamps the snapshot with the current time
 *	and replaces path atomically: it writes path.tmp (mode 0600, no
 *	symbolic link followed) and renames it. It does not fsync: the
 *	file is rewritten every second and worthless after a crash. It
 *	returns 0, or -1 with errno (the temporary file is removed).
 *
 *	metrics_snapshot_read() reads and checks a snapshot file. The
 *	reader is strict: a file that does not have exactly the format
 *	below is rejected as a whole, with a reason "PATH: line N: ..." in
 *	why (errno EINVAL), as is a file larger than
 *	METRICS_SNAPSHOT_MAXSIZE (EFBIG). When the file cannot be opened it
 *	returns NULL with errno from open() (ENOENT: qmgr has not written
 *	one) and the reason in why. metrics_snapshot_parse() checks and
 *	converts text that is already in memory; name is used in reasons.
 *
 *	metrics_snapshot_is_fresh() tells whether a snapshot was written at
 *	most METRICS_SNAPSHOT_MAX_AGE seconds away from now; a stale
 *	snapshot means that qmgr is not running (or is stuck).
 *
 *	metrics_dest_state_name() returns "ok", "throttled" or "dead";
 *	metrics_status_name() "sent", "deferred", "bounced" or "expired".
 * FILE FORMAT
 *	Lines of fields separated by one space, each line ending in a
 *	newline. Names are encoded: bytes other than printable ASCII, the
 *	space and '%' are written as %XX (two upper-case hex digits).
 *	Numbers are decimal; sums are C floating point. The first line is
 *	the magic and version, the last one "end":
 *
 *	    postern-qmgr-stats 1
 *	    pid PID
 *	    started UNIX_SECONDS
 *	    written UNIX_SECONDS
 *	    active_limit N
 *	    inflow_tokens N
 *	    active TRANSPORT PRIORITY COUNT
 *	    destination TRANSPORT DESTINATION CONCURRENCY ok|throttled|dead
 *	    delivery TRANSPORT sent|deferred|bounced|expired 2|4|5 COUNT
 *	    delay TRANSPORT PRIORITY SUM COUNT BUCKET...
 *	    end
 *
 *	The five header lines appear once each, in any order, as do the
 *	entry lines (an entry may not repeat). A delay line has
 *	METRICS_DELAY_BOUNDS + 1 bucket counts, each counting only the
 *	observations of its own bucket (not cumulative; the last is the
 *	+Inf bucket), and they must add up to COUNT.
 * DIAGNOSTICS
 *	Nothing is logged; problems are returned. A NULL snapshot or a
 *	status or state out of range is an interface violation (panic).
 * SEE ALSO
 *	metrics_format(3), metrics(8), qmgr(8)
 */
#ifndef POSTERN_METRICS_SNAPSHOT_H
#define POSTERN_METRICS_SNAPSHOT_H

#include <util/sys_defs.h>
#include <time.h>
#include <util/buf.h>
#include <util/htable.h>

#define METRICS_SNAPSHOT_FILE	"private/qmgr.stats"	/* below queue_directory */
#define METRICS_SNAPSHOT_MAGIC	"postern-qmgr-stats"
#define METRICS_SNAPSHOT_VERSION 1
#define METRICS_SNAPSHOT_MAX_AGE 10		/* seconds until stale */
#define METRICS_SNAPSHOT_MAXSIZE (64L * 1024 * 1024)	/* bytes */
#define METRICS_LABEL_MAXLEN	1024		/* bytes of one name */

enum metrics_dest_state {
	METRICS_DEST_OK,
	METRICS_DEST_THROTTLED,
	METRICS_DEST_DEAD,
};
#define METRICS_DEST_STATE_COUNT 3

enum metrics_status {
	METRICS_STATUS_SENT,
	METRICS_STATUS_DEFERRED,
	METRICS_STATUS_BOUNCED,
	METRICS_STATUS_EXPIRED,
};
#define METRICS_STATUS_COUNT	4

#define METRICS_DELAY_BOUNDS	14	/* finite bucket bounds; +Inf extra */
extern const double metrics_delay_bounds[METRICS_DELAY_BOUNDS];

/* Active messages of one (transport, priority class). */
struct metrics_active {
	char   *transport;
	char   *priority;
	long	count;
};

/* One destination of a transport. */
struct metrics_dest {
	char   *transport;
	char   *destination;
	int	concurrency;
	enum metrics_dest_state state;
};

/* Recipient results of one (transport, status, DSN class). */
struct metrics_delivery {
	char   *transport;
	enum metrics_status status;
	int	dsn_class;
	unsigned long long count;
};

/* Delay histogram of one (transport, priority class). */
struct metrics_delay {
	char   *transport;
	char   *priority;
	unsigned long long bucket[METRICS_DELAY_BOUNDS + 1];	/* not cumulative */
	double	sum;
	unsigned long long count;
};

struct metrics_snapshot {
	long	pid;			/* qmgr process */
	time_t	started;		/* counters since */
	time_t	written;		/* last publication */
	long	active_limit;		/* qmgr_message_active_limit */
	long	inflow_tokens;		/* -1: unknown */
	struct htable *active;		/* struct metrics_active */
	struct htable *destinations;	/* struct metrics_dest */
	struct htable *deliveries;	/* struct metrics_delivery */
	struct htable *delays;		/* struct metrics_delay */
};

struct metrics_snapshot *metrics_snapshot_new(void);
void	metrics_snapshot_free(struct metrics_snapshot *snap);
void	metrics_snapshot_clear_state(struct metrics_snapshot *snap);

void	metrics_snapshot_set_active_limit(struct metrics_snapshot *snap, long limit);
void	metrics_snapshot_set_inflow(struct metrics_snapshot *snap, long tokens);
int	metrics_snapshot_set_active(struct metrics_snapshot *snap, const char *transport,
			            const char *priority, long count);
int	metrics_snapshot_add_active(struct metrics_snapshot *snap, const char *transport,
			            const char *priority, long delta);
int	metrics_snapshot_add_destination(struct metrics_snapshot *snap,
				         const char *transport, const char *destination,
				         int concurrency, enum metrics_dest_state state);
int	metrics_snapshot_count_delivery(struct metrics_snapshot *snap,
				        const char *transport, enum metrics_status status,
				        int dsn_class);
int	metrics_snapshot_observe_delay(struct metrics_snapshot *snap,
				       const char *transport, const char *priority,
				       double seconds);

int	metrics_snapshot_write(struct metrics_snapshot *snap, const char *path);
struct metrics_snapshot *metrics_snapshot_read(const char *path, struct buf *why);
struct metrics_snapshot *metrics_snapshot_parse(const char *name, const char *text,
				                size_t len, struct buf *why);
int	metrics_snapshot_is_fresh(const struct metrics_snapshot *snap, time_t now);

struct htable_entry **metrics_snapshot_list(const struct htable *table);
const char *metrics_dest_state_name(enum metrics_dest_state state);
const char *metrics_status_name(enum metrics_status status);

#endif
