/*
 * NAME
 *	metrics_format - Prometheus text exposition of queue and qmgr metrics
 * DESCRIPTION
 *	See metrics_format.h.
 */
#include <util/sys_defs.h>
#include <math.h>
#include <sys/stat.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/queue.h>
#include <global/metrics_snapshot.h>
#include <global/metrics_format.h>

const char *const metrics_queue_names[METRICS_QUEUE_COUNT] = {
	"maildrop", "incoming", "active", "deferred", "hold",
};

#define METRICS_MAILDROP	0	/* index: ages from mtime */

/* metrics_why_add - append one reason, "; " separated */
static void
metrics_why_add(struct buf *why, const char *reason)
{
	if (buf_len(why) > 0)
		buf_cat(why, "; ");
	buf_cat(why, reason);
}

/* metrics_file_time - arrival time of one queue file, or -1 if gone */
static double
metrics_file_time(int index, struct queue_scan *scan, const char *id)
{
	struct stat st;
	long	usec;
	time_t	sec;

	if (index == METRICS_MAILDROP) {
		if (stat(queue_scan_path(scan), &st) < 0)
			return (-1);
		return ((double) st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9);
	}
	if ((sec = queue_id_time(id, &usec)) < 0)
		return (-1);
	return ((double) sec + usec / 1e6);
}

/* metrics_queue_scan - count one queue directory */
static int
metrics_queue_scan(int index, struct metrics_queue_stat *stat,
		   const struct timeval *now, struct buf *why)
{
	const char *name = metrics_queue_names[index];
	struct queue_scan *scan;
	struct buf *id = buf_new(32);
	struct buf *reason;
	double	when, oldest = -1;

	memset(stat, 0, sizeof(*stat));
	if ((scan = queue_scan_open(name)) != NULL) {
		while (queue_scan_next(scan, id) != NULL) {
			if ((when = metrics_file_time(index, scan, buf_str(id))) < 0)
				continue;
			stat->messages++;
			if (oldest < 0 || when < oldest)
				oldest = when;
		}
		stat->is_scanned = (errno == 0);
		queue_scan_close(scan);
	}
	if (!stat->is_scanned) {
		reason = buf_new(100);
		buf_printf(reason, "cannot read queue %s: %m", name);
		metrics_why_add(why, buf_str(reason));
		buf_free(reason);
		stat->messages = 0;
	} else if (oldest >= 0) {
		stat->oldest_age = (double) now->tv_sec + now->tv_usec / 1e6 - oldest;
		if (stat->oldest_age < 0)
			stat->oldest_age = 0;
	}
	buf_free(id);
	return (stat->is_scanned ? 0 : -1);
}

/* metrics_queues_scan - count every reported queue directory */
int
metrics_queues_scan(struct metrics_queues *queues, const struct timeval *now,
		    struct buf *why)
{
	int	ret = 0;
	int	i;

	for (i = 0; i < METRICS_QUEUE_COUNT; i++)
		if (metrics_queue_scan(i, &queues->queue[i], now, why) < 0)
			ret = -1;
	return (ret);
}

/* metrics_utf8_len - length of a valid UTF-8 sequence at cp, or 0 */
static int
metrics_utf8_len(const unsigned char *cp)
{
	int	len, i;
	unsigned char lo = 0x80, hi = 0xBF;

	if (cp[0] < 0x80)
		return (1);
	if (cp[0] >= 0xC2 && cp[0] <= 0xDF)
		len = 2;
	else if (cp[0] >= 0xE0 && cp[0] <= 0xEF)
		len = 3;
	else if (cp[0] >= 0xF0 && cp[0] <= 0xF4)
		len = 4;
	else
		return (0);
	if (cp[0] == 0xE0)
		lo = 0xA0;
	else if (cp[0] == 0xED)
		hi = 0x9F;
	else if (cp[0] == 0xF0)
		lo = 0x90;
	else if (cp[0] == 0xF4)
		hi = 0x8F;
	for (i = 1; i < len; i++, lo = 0x80, hi = 0xBF)
		if (cp[i] < lo || cp[i] > hi)
			return (0);
	return (len);
}

/* metrics_label_escape - append a label value as the format wants it */
void
metrics_label_escape(struct buf *out, const char *value)
{
	const unsigned char *cp = (const unsigned char *) value;
	int	len;

	while (*cp) {
		if (*cp == '\\' || *cp == '"') {
			buf_putc(out, '\\');
			buf_putc(out, *cp++);
		} else if (*cp == '\n') {
			buf_cat(out, "\\n");
			cp++;
		} else if ((len = metrics_utf8_len(cp)) == 0) {
			buf_cat(out, "\xEF\xBF\xBD");
			cp++;
		} else {
			buf_catn(out, cp, (size_t) len);
			cp += len;
		}
	}
}

/* metrics_format_number - a sample value that reads back exactly */
void
metrics_format_number(struct buf *out, double value)
{
	char	text[40];
	int	prec;

	if (isnan(value)) {
		buf_cat(out, "NaN");
	} else if (isinf(value)) {
		buf_cat(out, value > 0 ? "+Inf" : "-Inf");
	} else if (value == 0) {
		buf_cat(out, "0");
	} else if (value == floor(value) && fabs(value) < 1e15) {
		buf_appendf(out, "%.0f", value);
	} else {
		for (prec = 15; prec < 17; prec++) {
			snprintf(text, sizeof(text), "%.*g", prec, value);
			if (strtod(text, NULL) == value)
				break;
		}
		if (prec == 17)
			snprintf(text, sizeof(text), "%.17g", value);
		buf_cat(out, text);
	}
}

/* metrics_family - # HELP and # TYPE lines */
static void
metrics_family(struct buf *out, const char *name, const char *type,
	       const char *help)
{
	buf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* metrics_series - series name with labels (name, value pairs), then a space */
static void
metrics_series(struct buf *out, const char *name, const char *const *labels)
{
	const char *const *lp;

	buf_cat(out, name);
	if (labels != NULL && labels[0] != NULL) {
		buf_putc(out, '{');
		for (lp = labels; lp[0] != NULL; lp += 2) {
			if (lp != labels)
				buf_putc(out, ',');
			buf_appendf(out, "%s=\"", lp[0]);
			metrics_label_escape(out, lp[1]);
			buf_putc(out, '"');
		}
		buf_putc(out, '}');
	}
	buf_putc(out, ' ');
}

/* metrics_sample - one sample with a floating point value */
static void
metrics_sample(struct buf *out, const char *name, const char *const *labels,
	       double value)
{
	metrics_series(out, name, labels);
	metrics_format_number(out, value);
	buf_putc(out, '\n');
}

/* metrics_sample_count - one sample with an integer value */
static void
metrics_sample_count(struct buf *out, const char *name, const char *const *labels,
		     unsigned long long value)
{
	metrics_series(out, name, labels);
	buf_appendf(out, "%llu\n", value);
}

/* metrics_format_queues - queue sizes and oldest ages */
static void
metrics_format_queues(struct buf *out, const struct metrics_queues *queues)
{
	const char *labels[3] = {"queue", NULL, NULL};
	int	i;

	metrics_family(out, "postern_queue_messages", "gauge",
		       "Messages in each queue directory.");
	for (i = 0; i < METRICS_QUEUE_COUNT; i++) {
		if (!queues->queue[i].is_scanned)
			continue;
		labels[1] = metrics_queue_names[i];
		metrics_sample_count(out, "postern_queue_messages", labels,
				     (unsigned long long) queues->queue[i].messages);
	}
	metrics_family(out, "postern_queue_oldest_age_seconds", "gauge",
		     "Age of the oldest message in each queue directory, 0 when empty.");
	for (i = 0; i < METRICS_QUEUE_COUNT; i++) {
		if (!queues->queue[i].is_scanned)
			continue;
		labels[1] = metrics_queue_names[i];
		metrics_sample(out, "postern_queue_oldest_age_seconds", labels,
			       queues->queue[i].oldest_age);
	}
}

/* metrics_format_active - active queue occupancy */
static void
metrics_format_active(struct buf *out, const struct metrics_snapshot *snap)
{
	struct htable_entry **list, **ep;
	const struct metrics_active *act;
	const char *labels[5] = {"transport", NULL, "priority", NULL, NULL};

	if (htable_count(snap->active) == 0)
		return;
	metrics_family(out, "postern_active_messages", "gauge",
	       "Messages in the active queue by transport and priority class.");
	list = metrics_snapshot_list(snap->active);
	for (ep = list; *ep; ep++) {
		act = (*ep)->value;
		labels[1] = act->transport;
		labels[3] = act->priority;
		metrics_sample_count(out, "postern_active_messages", labels,
				     (unsigned long long) act->count);
	}
	free(list);
}

/* metrics_format_limits - active queue limit and in_flow tokens */
static void
metrics_format_limits(struct buf *out, const struct metrics_snapshot *snap,
		      long active_limit)
{
	metrics_family(out, "postern_active_limit", "gauge",
		       "Active queue limit (qmgr_message_active_limit).");
	metrics_sample_count(out, "postern_active_limit", NULL, (unsigned long long)
		        (snap ? snap->active_limit : active_limit < 0 ? 0 : active_limit));
	if (snap == NULL || snap->inflow_tokens < 0)
		return;
	metrics_family(out, "postern_inflow_tokens", "gauge",
		       "In-flow tokens waiting in the flow pipe.");
	metrics_sample_count(out, "postern_inflow_tokens", NULL,
			     (unsigned long long) snap->inflow_tokens);
}

/* metrics_format_dests - per-destination concurrency and state */
static void
metrics_format_dests(struct buf *out, const struct metrics_snapshot *snap)
{
	struct htable_entry **list, **ep;
	const struct metrics_dest *dest;
	const char *labels[7] = {"transport", NULL, "destination", NULL, "state", NULL, NULL};
	int	state;

	if (htable_count(snap->destinations) == 0)
		return;
	list = metrics_snapshot_list(snap->destinations);
	metrics_family(out, "postern_destination_concurrency", "gauge",
		       "Concurrency window of each destination.");
	for (ep = list; *ep; ep++) {
		dest = (*ep)->value;
		labels[1] = dest->transport;
		labels[3] = dest->destination;
		labels[4] = NULL;
		metrics_sample_count(out, "postern_destination_concurrency", labels,
				     (unsigned long long) dest->concurrency);
	}
	metrics_family(out, "postern_destination_state", "gauge",
	 "State of each destination: 1 for the current one of ok, throttled, dead.");
	for (ep = list; *ep; ep++) {
		dest = (*ep)->value;
		labels[1] = dest->transport;
		labels[3] = dest->destination;
		labels[4] = "state";
		for (state = 0; state < METRICS_DEST_STATE_COUNT; state++) {
			labels[5] = metrics_dest_state_name((enum metrics_dest_state) state);
			metrics_sample_count(out, "postern_destination_state", labels,
					     dest->state == (enum metrics_dest_state) state);
		}
	}
	free(list);
}

/* metrics_format_deliveries - recipient results */
static void
metrics_format_deliveries(struct buf *out, const struct metrics_snapshot *snap)
{
	struct htable_entry **list, **ep;
	const struct metrics_delivery *del;
	const char *labels[7] = {"transport", NULL, "status", NULL, "dsn_class", NULL, NULL};
	char	class_text[2] = {0, 0};

	if (htable_count(snap->deliveries) == 0)
		return;
	metrics_family(out, "postern_deliveries_total", "counter",
		 "Recipient delivery results since the queue manager started.");
	list = metrics_snapshot_list(snap->deliveries);
	for (ep = list; *ep; ep++) {
		del = (*ep)->value;
		class_text[0] = (char) ('0' + del->dsn_class);
		labels[1] = del->transport;
		labels[3] = metrics_status_name(del->status);
		labels[5] = class_text;
		metrics_sample_count(out, "postern_deliveries_total", labels, del->count);
	}
	free(list);
}

/* metrics_format_histogram - buckets (cumulative), sum and count */
static void
metrics_format_histogram(struct buf *out, const struct metrics_delay *delay)
{
	const char *labels[7] = {"transport", delay->transport,
	"priority", delay->priority, "le", NULL, NULL};
	struct buf *bound = buf_new(16);
	unsigned long long total = 0;
	int	i;

	for (i = 0; i <= METRICS_DELAY_BOUNDS; i++) {
		total += delay->bucket[i];
		buf_reset(bound);
		metrics_format_number(bound, i < METRICS_DELAY_BOUNDS ?
				      metrics_delay_bounds[i] : INFINITY);
		labels[5] = buf_str(bound);
		metrics_sample_count(out, "postern_delivery_delay_seconds_bucket",
				     labels, total);
	}
	labels[4] = NULL;
	metrics_sample(out, "postern_delivery_delay_seconds_sum", labels, delay->sum);
	metrics_sample_count(out, "postern_delivery_delay_seconds_count", labels,
			     delay->count);
	buf_free(bound);
}

/* metrics_format_delays - delay histograms */
static void
metrics_format_delays(struct buf *out, const struct metrics_snapshot *snap)
{
	struct htable_entry **list, **ep;

	if (htable_count(snap->delays) == 0)
		return;
	metrics_family(out, "postern_delivery_delay_seconds", "histogram",
		       "Delay from arrival to delivery, by transport and priority class.");
	list = metrics_snapshot_list(snap->delays);
	for (ep = list; *ep; ep++)
		metrics_format_histogram(out, (*ep)->value);
	free(list);
}

/* metrics_format - the whole exposition */
void
metrics_format(struct buf *out, const struct metrics_queues *queues,
	       const struct metrics_snapshot *snap, long active_limit)
{
	metrics_family(out, "postern_qmgr_up", "gauge",
		       "1 when the queue manager published fresh data, else 0.");
	metrics_sample_count(out, "postern_qmgr_up", NULL, snap != NULL);
	if (snap != NULL) {
		metrics_family(out, "postern_qmgr_start_time_seconds", "gauge",
			       "Start time of the queue manager, seconds since the epoch.");
		metrics_sample_count(out, "postern_qmgr_start_time_seconds", NULL,
				     (unsigned long long) snap->started);
	}
	metrics_format_queues(out, queues);
	if (snap != NULL)
		metrics_format_active(out, snap);
	metrics_format_limits(out, snap, active_limit);
	if (snap == NULL)
		return;
	metrics_format_dests(out, snap);
	metrics_format_deliveries(out, snap);
	metrics_format_delays(out, snap);
}

/* metrics_collect - scan, read the snapshot, format */
int
metrics_collect(struct buf *out, const char *snapshot_path, long active_limit,
		struct buf *why)
{
	struct metrics_queues queues;
	struct metrics_snapshot *snap;
	struct buf *reason = buf_new(100);
	struct timeval now;
	int	ret = 0;

	buf_reset(why);
	gettimeofday(&now, NULL);
	if (metrics_queues_scan(&queues, &now, why) < 0)
		ret = -1;
	if ((snap = metrics_snapshot_read(snapshot_path, reason)) == NULL
	    && errno != ENOENT) {
		metrics_why_add(why, buf_str(reason));
		ret = -1;
	}
	if (snap != NULL && !metrics_snapshot_is_fresh(snap, now.tv_sec)) {
		metrics_snapshot_free(snap);
		snap = NULL;
	}
	metrics_format(out, &queues, snap, active_limit);
	metrics_snapshot_free(snap);
	buf_free(reason);
	return (ret);
}
