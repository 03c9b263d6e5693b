/*
 * NAME
 *	test_metrics - unit tests for metrics_snapshot and metrics_format
 * DESCRIPTION
 *	Exposition text against a golden copy, label escaping, number
 *	formats, cumulative histogram buckets, snapshot write/read round
 *	trips, rejection of corrupt snapshot files, freshness, queue
 *	directory scans, and bad arguments to the snapshot API.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <util/htable.h>
#include <global/queue.h>
#include <global/metrics_snapshot.h>
#include <global/metrics_format.h>

static char top_dir[] = "/tmp/test_metrics.XXXXXX";
static char old_cwd[4096];

/* remove_entry - nftw callback that removes everything */
static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return (remove(path));
}

/* setup - fresh directory as cwd with private/ */
static int
setup(void **state)
{
	(void) state;
	memcpy(top_dir + strlen(top_dir) - 6, "XXXXXX", 6);
	if (getcwd(old_cwd, sizeof(old_cwd)) == NULL || mkdtemp(top_dir) == NULL
	    || chdir(top_dir) < 0 || mkdir("private", 0700) < 0)
		return (-1);
	return (0);
}

/* teardown - leave and remove the directory */
static int
teardown(void **state)
{
	(void) state;
	if (chdir(old_cwd) < 0)
		return (-1);
	return (nftw(top_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS));
}

/* write_text - create a file with the given content */
static void
write_text(const char *path, const char *text)
{
	int	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
	assert_int_equal(close(fd), 0);
}

/* sample_snapshot - a snapshot with one of everything, entered out of order */
static struct metrics_snapshot *
sample_snapshot(void)
{
	struct metrics_snapshot *snap = metrics_snapshot_new();

	snap->pid = 4242;
	snap->started = 1700000000;
	metrics_snapshot_set_active_limit(snap, 20000);
	metrics_snapshot_set_inflow(snap, 7);
	assert_int_equal(metrics_snapshot_set_active(snap, "smtp", "normal", 5), 0);
	assert_int_equal(metrics_snapshot_set_active(snap, "high-prio", "high", 2), 0);
	assert_int_equal(metrics_snapshot_add_destination(snap, "smtp", "example.com",
						   4, METRICS_DEST_OK), 0);
	assert_int_equal(metrics_snapshot_add_destination(snap, "smtp", "[127.0.0.1]:2526",
					       1, METRICS_DEST_THROTTLED), 0);
	assert_int_equal(metrics_snapshot_count_delivery(snap, "smtp",
					       METRICS_STATUS_SENT, 2), 0);
	assert_int_equal(metrics_snapshot_count_delivery(snap, "smtp",
					       METRICS_STATUS_SENT, 2), 0);
	assert_int_equal(metrics_snapshot_count_delivery(snap, "smtp",
					   METRICS_STATUS_DEFERRED, 4), 0);
	assert_int_equal(metrics_snapshot_observe_delay(snap, "smtp", "normal", 0.05), 0);
	assert_int_equal(metrics_snapshot_observe_delay(snap, "smtp", "normal", 2), 0);
	assert_int_equal(metrics_snapshot_observe_delay(snap, "smtp", "normal", 1e6), 0);
	return (snap);
}

/* sample_queues - fixed queue statistics */
static void
sample_queues(struct metrics_queues *queues)
{
	static const long counts[METRICS_QUEUE_COUNT] = {0, 3, 1, 12, 0};
	static const double ages[METRICS_QUEUE_COUNT] = {0, 1.5, 0.25, 3600, 0};
	int	i;

	for (i = 0; i < METRICS_QUEUE_COUNT; i++) {
		queues->queue[i].is_scanned = 1;
		queues->queue[i].messages = counts[i];
		queues->queue[i].oldest_age = ages[i];
	}
}

static const char golden_up[] =
"# HELP postern_qmgr_up 1 when the queue manager published fresh data, else 0.\n"
"# TYPE postern_qmgr_up gauge\n"
"postern_qmgr_up 1\n"
"# HELP postern_qmgr_start_time_seconds Start time of the queue manager, seconds since the epoch.\n"
"# TYPE postern_qmgr_start_time_seconds gauge\n"
"postern_qmgr_start_time_seconds 1700000000\n"
"# HELP postern_queue_messages Messages in each queue directory.\n"
"# TYPE postern_queue_messages gauge\n"
"postern_queue_messages{queue=\"maildrop\"} 0\n"
"postern_queue_messages{queue=\"incoming\"} 3\n"
"postern_queue_messages{queue=\"active\"} 1\n"
"postern_queue_messages{queue=\"deferred\"} 12\n"
"postern_queue_messages{queue=\"hold\"} 0\n"
"# HELP postern_queue_oldest_age_seconds Age of the oldest message in each queue directory, 0 when empty.\n"
"# TYPE postern_queue_oldest_age_seconds gauge\n"
"postern_queue_oldest_age_seconds{queue=\"maildrop\"} 0\n"
"postern_queue_oldest_age_seconds{queue=\"incoming\"} 1.5\n"
"postern_queue_oldest_age_seconds{queue=\"active\"} 0.25\n"
"postern_queue_oldest_age_seconds{queue=\"deferred\"} 3600\n"
"postern_queue_oldest_age_seconds{queue=\"hold\"} 0\n"
"# HELP postern_active_messages Messages in the active queue by transport and priority class.\n"
"# TYPE postern_active_messages gauge\n"
"postern_active_messages{transport=\"high-prio\",priority=\"high\"} 2\n"
"postern_active_messages{transport=\"smtp\",priority=\"normal\"} 5\n"
"# HELP postern_active_limit Active queue limit (qmgr_message_active_limit).\n"
"# TYPE postern_active_limit gauge\n"
"postern_active_limit 20000\n"
"# HELP postern_inflow_tokens In-flow tokens waiting in the flow pipe.\n"
"# TYPE postern_inflow_tokens gauge\n"
"postern_inflow_tokens 7\n"
"# HELP postern_destination_concurrency Concurrency window of each destination.\n"
"# TYPE postern_destination_concurrency gauge\n"
"postern_destination_concurrency{transport=\"smtp\",destination=\"[127.0.0.1]:2526\"} 1\n"
"postern_destination_concurrency{transport=\"smtp\",destination=\"example.com\"} 4\n"
"# HELP postern_destination_state State of each destination: 1 for the current one of ok, throttled, dead.\n"
"# TYPE postern_destination_state gauge\n"
"postern_destination_state{transport=\"smtp\",destination=\"[127.0.0.1]:2526\",state=\"ok\"} 0\n"
"postern_destination_state{transport=\"smtp\",destination=\"[127.0.0.1]:2526\",state=\"throttled\"} 1\n"
"postern_destination_state{transport=\"smtp\",destination=\"[127.0.0.1]:2526\",state=\"dead\"} 0\n"
"postern_destination_state{transport=\"smtp\",destination=\"example.com\",state=\"ok\"} 1\n"
"postern_destination_state{transport=\"smtp\",destination=\"example.com\",state=\"throttled\"} 0\n"
"postern_destination_state{transport=\"smtp\",destination=\"example.com\",state=\"dead\"} 0\n"
"# HELP postern_deliveries_total Recipient delivery results since the queue manager started.\n"
"# TYPE postern_deliveries_total counter\n"
"postern_deliveries_total{transport=\"smtp\",status=\"deferred\",dsn_class=\"4\"} 1\n"
"postern_deliveries_total{transport=\"smtp\",status=\"sent\",dsn_class=\"2\"} 2\n"
"# HELP postern_delivery_delay_seconds Delay from arrival to delivery, by transport and priority class.\n"
"# TYPE postern_delivery_delay_seconds histogram\n"
"postern_delivery_delay_seconds_bucket{transport=\"smtp\",priority=\"normal\",le=\"0.1\"} 1\n"
"postern_delivery_delay_seconds_bucket{transport=\"smtp\",priority=\"normal\",le=\"0.25\"} 1\n"
"postern_delivery_delay_seconds_bucket{transport=\"smtp\",priority=\"normal\",le=\"0.5\"} 1\n"
"postern_delivery_delay_seconds_bucket{transport=\"smtp\",priority=\"normal\",le=\"1\"} 1\n"
"postern_delivery_delay_seconds_bucket{transport=\"smtp\",priority=\"normal\",le=\"2.5\"} 2\n"
"postern_delivery_delay_seconds_bucket{transport=\"smtp\",priority=\"normal\",le=\"5\"} 2\n"
"postern_delivery_delay_seconds_bucket{transport=\"smtp\",priority=\"normal\",le=\"10\"} 2\n"
"postern_delivery_delay_seconds_bucket{transport=\"smtp\",priority=\"normal\",le=\"30\"} 2\n"
"postern_delivery_delay_seconds_bucket{transport=\"smtp\",priority=\"normal\",le=\"60\"} 2\n"
"postern_delivery_delay_seconds_bucket{transport=\"smtp\",priority=\"normal\",le=\"300\"} 2\n"
"postern_delivery_delay_seconds_bucket{transport=\"smtp\",priority=\"normal\",le=\"1800\"} 2\n"
"postern_delivery_delay_seconds_bucket{transport=\"smtp\",priority=\"normal\",le=\"3600\"} 2\n"
"postern_delivery_delay_seconds_bucket{transport=\"smtp\",priority=\"normal\",le=\"14400\"} 2\n"
"postern_delivery_delay_seconds_bucket{transport=\"smtp\",priority=\"normal\",le=\"86400\"} 2\n"
"postern_delivery_delay_seconds_bucket{transport=\"smtp\",priority=\"normal\",le=\"+Inf\"} 3\n"
"postern_delivery_delay_seconds_sum{transport=\"smtp\",priority=\"normal\"} 1000002.05\n"
"postern_delivery_delay_seconds_count{transport=\"smtp\",priority=\"normal\"} 3\n";

static const char golden_down[] =
"# HELP postern_qmgr_up 1 when the queue manager published fresh data, else 0.\n"
"# TYPE postern_qmgr_up gauge\n"
"postern_qmgr_up 0\n"
"# HELP postern_queue_messages Messages in each queue directory.\n"
"# TYPE postern_queue_messages gauge\n"
"postern_queue_messages{queue=\"incoming\"} 3\n"
"postern_queue_messages{queue=\"deferred\"} 12\n"
"# HELP postern_queue_oldest_age_seconds Age of the oldest message in each queue directory, 0 when empty.\n"
"# TYPE postern_queue_oldest_age_seconds gauge\n"
"postern_queue_oldest_age_seconds{queue=\"incoming\"} 1.5\n"
"postern_queue_oldest_age_seconds{queue=\"deferred\"} 3600\n"
"# HELP postern_active_limit Active queue limit (qmgr_message_active_limit).\n"
"# TYPE postern_active_limit gauge\n"
"postern_active_limit 500\n";

/* test_format_golden - the whole exposition with fresh qmgr data */
static void
test_format_golden(void **state)
{
	struct metrics_snapshot *snap = sample_snapshot();
	struct metrics_queues queues;
	struct buf *out = buf_new(100);

	(void) state;
	sample_queues(&queues);
	metrics_format(out, &queues, snap, 999);
	assert_string_equal(buf_str(out), golden_up);
	metrics_snapshot_free(snap);
	buf_free(out);
}

/* test_format_qmgr_down - queues only, unreadable queues left out */
static void
test_format_qmgr_down(void **state)
{
	struct metrics_queues queues;
	struct buf *out = buf_new(100);

	(void) state;
	sample_queues(&queues);
	queues.queue[0].is_scanned = 0;
	queues.queue[2].is_scanned = 0;
	queues.queue[4].is_scanned = 0;
	metrics_format(out, &queues, NULL, 500);
	assert_string_equal(buf_str(out), golden_down);
	buf_free(out);
}

/* test_label_escape - backslash, quote, newline, bad UTF-8 */
static void
test_label_escape(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	}	cases[] = {
		{"plain.example", "plain.example"},
		{"a\\b", "a\\\\b"},
		{"say \"hi\"", "say \\\"hi\\\""},
		{"two\nlines", "two\\nlines"},
		{"tab\there", "tab\there"},
		{"caf\xC3\xA9", "caf\xC3\xA9"},
		{"\xE2\x82\xAC euro", "\xE2\x82\xAC euro"},
		{"bad\xFFutf8", "bad\xEF\xBF\xBDutf8"},
		{"cut\xC3", "cut\xEF\xBF\xBD"},
		{"overlong\xC0\xAF", "overlong\xEF\xBF\xBD\xEF\xBF\xBD"},
		{"surrogate\xED\xA0\x80", "surrogate\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
		{"", ""},
	};
	struct buf *out = buf_new(16);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		buf_reset(out);
		metrics_label_escape(out, cases[i].in);
		assert_string_equal(buf_str(out), cases[i].want);
	}
	buf_free(out);
}

/* test_escape_in_exposition - escaped label values in series lines */
static void
test_escape_in_exposition(void **state)
{
	struct metrics_snapshot *snap = metrics_snapshot_new();
	struct metrics_queues queues;
	struct buf *out = buf_new(100);

	(void) state;
	sample_queues(&queues);
	assert_int_equal(metrics_snapshot_add_destination(snap, "smtp",
			   "we\"ird\\dest\nx", 2, METRICS_DEST_DEAD), 0);
	metrics_format(out, &queues, snap, 0);
	assert_non_null(strstr(buf_str(out),
			       "postern_destination_state{transport=\"smtp\","
			       "destination=\"we\\\"ird\\\\dest\\nx\",state=\"dead\"} 1\n"));
	assert_null(strstr(buf_str(out), "dest\nx"));
	metrics_snapshot_free(snap);
	buf_free(out);
}

/* test_numbers - sample value formats */
static void
test_numbers(void **state)
{
	static const struct {
		double	in;
		const char *want;
	}	cases[] = {
		{0, "0"}, {1, "1"}, {-3, "-3"}, {0.1, "0.1"}, {2.5, "2.5"},
		{1e15, "1e+15"}, {123456789012, "123456789012"},
		{0.30000000000000004, "0.30000000000000004"},
		{1.0 / 3, "0.3333333333333333"},
	};
	struct buf *out = buf_new(16);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		buf_reset(out);
		metrics_format_number(out, cases[i].in);
		assert_string_equal(buf_str(out), cases[i].want);
		assert_true(strtod(buf_str(out), NULL) == cases[i].in);
	}
	buf_reset(out);
	metrics_format_number(out, INFINITY);
	metrics_format_number(out, -INFINITY);
	metrics_format_number(out, NAN);
	assert_string_equal(buf_str(out), "+Inf-InfNaN");
	buf_free(out);
}

/* bucket_value - the value of one _bucket series of the text */
static long
bucket_value(const char *text, const char *le)
{
	struct buf *want = buf_new(100);
	const char *cp;
	long	val = -1;

	buf_printf(want, "postern_delivery_delay_seconds_bucket{transport=\"t\","
		   "priority=\"bulk\",le=\"%s\"} ", le);
	if ((cp = strstr(text, buf_str(want))) != NULL)
		val = strtol(cp + buf_len(want), NULL, 10);
	buf_free(want);
	return (val);
}

/* test_histogram_cumulative - buckets count everything at or below le */
static void
test_histogram_cumulative(void **state)
{
	static const double delays[] = {
		0, 0.1, 0.1000001, 0.3, 1, 1, 7, 29.9, 30, 61, 4000, 90000, 1e9, -5,
	};
	static const struct {
		const char *le;
		long	want;
	}	want[] = {
		{"0.1", 3}, {"0.25", 4}, {"0.5", 5}, {"1", 7}, {"2.5", 7}, {"5", 7},
		{"10", 8}, {"30", 10}, {"60", 10}, {"300", 11}, {"1800", 11},
		{"3600", 11}, {"14400", 12}, {"86400", 12}, {"+Inf", 14},
	};
	struct metrics_snapshot *snap = metrics_snapshot_new();
	struct metrics_queues queues;
	struct buf *out = buf_new(100);
	const struct metrics_delay *delay;
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(delays); i++)
		assert_int_equal(metrics_snapshot_observe_delay(snap, "t", "bulk",
							   delays[i]), 0);
	delay = htable_find(snap->delays, "t bulk");
	assert_non_null(delay);
	assert_int_equal(delay->count, ARRAY_LEN(delays));
	sample_queues(&queues);
	metrics_format(out, &queues, snap, 0);
	for (i = 0; i < ARRAY_LEN(want); i++)
		assert_int_equal(bucket_value(buf_str(out), want[i].le), want[i].want);
	assert_non_null(strstr(buf_str(out),
	   "postern_delivery_delay_seconds_count{transport=\"t\",priority=\"bulk\"} 14\n"));
	assert_true(fabs(delay->sum - (1e9 + 94130.4000001)) < 1e-3);
	metrics_snapshot_free(snap);
	buf_free(out);
}

/* format_of - exposition of a snapshot with the sample queues */
static char *
format_of(const struct metrics_snapshot *snap)
{
	struct metrics_queues queues;
	struct buf *out = buf_new(100);

	sample_queues(&queues);
	metrics_format(out, &queues, snap, 0);
	return (buf_steal(out));
}

/* test_round_trip - write, read, same exposition; odd names survive */
static void
test_round_trip(void **state)
{
	struct metrics_snapshot *snap = sample_snapshot();
	struct metrics_snapshot *back;
	struct buf *why = buf_new(100);
	char   *before, *after;
	struct stat st;
	time_t	now = time(NULL);

	(void) state;
	assert_int_equal(metrics_snapshot_add_destination(snap, "smtp",
		     "sp ace%pct\t\xC3\xA9\"q\\", 3, METRICS_DEST_DEAD), 0);
	assert_int_equal(metrics_snapshot_observe_delay(snap, "x", "high", 0.1), 0);
	assert_int_equal(metrics_snapshot_write(snap, METRICS_SNAPSHOT_FILE), 0);
	assert_int_equal(stat(METRICS_SNAPSHOT_FILE, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(access(METRICS_SNAPSHOT_FILE ".tmp", F_OK), -1);
	back = metrics_snapshot_read(METRICS_SNAPSHOT_FILE, why);
	if (back == NULL)
		fail_msg("read: %s", buf_str(why));
	assert_int_equal(back->pid, 4242);
	assert_int_equal(back->started, 1700000000);
	assert_true(back->written >= now && back->written <= now + 2);
	assert_true(metrics_snapshot_is_fresh(back, now));
	before = format_of(snap);
	after = format_of(back);
	assert_string_equal(after, before);
	free(before);
	free(after);
	metrics_snapshot_free(back);
	metrics_snapshot_free(snap);
	buf_free(why);
}

/* test_clear_state - gauges go, counters stay */
static void
test_clear_state(void **state)
{
	struct metrics_snapshot *snap = sample_snapshot();
	const struct metrics_delivery *del;

	(void) state;
	metrics_snapshot_clear_state(snap);
	assert_int_equal(htable_count(snap->active), 0);
	assert_int_equal(htable_count(snap->destinations), 0);
	assert_int_equal(htable_count(snap->deliveries), 2);
	assert_int_equal(htable_count(snap->delays), 1);
	del = htable_find(snap->deliveries, "smtp sent 2");
	assert_non_null(del);
	assert_int_equal(del->count, 2);
	assert_int_equal(metrics_snapshot_add_active(snap, "smtp", "bulk", 3), 0);
	assert_int_equal(metrics_snapshot_add_active(snap, "smtp", "bulk", -5), 0);
	assert_int_equal(((struct metrics_active *)
			  htable_find(snap->active, "smtp bulk"))->count, 0);
	metrics_snapshot_free(snap);
}

/* test_bad_arguments - EINVAL and nothing changed */
static void
test_bad_arguments(void **state)
{
	struct metrics_snapshot *snap = metrics_snapshot_new();
	char   *long_name = xmalloc(METRICS_LABEL_MAXLEN + 2);

	(void) state;
	memset(long_name, 'a', METRICS_LABEL_MAXLEN + 1);
	long_name[METRICS_LABEL_MAXLEN + 1] = 0;
	errno = 0;
	assert_int_equal(metrics_snapshot_set_active(snap, "", "high", 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(metrics_snapshot_set_active(snap, "smtp", "high", -1), -1);
	assert_int_equal(metrics_snapshot_set_active(snap, NULL, "high", 1), -1);
	assert_int_equal(metrics_snapshot_add_destination(snap, "smtp", long_name, 1,
						    METRICS_DEST_OK), -1);
	assert_int_equal(metrics_snapshot_add_destination(snap, "smtp", "d", -1,
						    METRICS_DEST_OK), -1);
	assert_int_equal(metrics_snapshot_count_delivery(snap, "smtp",
					       METRICS_STATUS_SENT, 3), -1);
	assert_int_equal(metrics_snapshot_count_delivery(snap, "smtp",
					       METRICS_STATUS_SENT, 0), -1);
	assert_int_equal(metrics_snapshot_observe_delay(snap, "smtp", "high", NAN), -1);
	assert_int_equal(metrics_snapshot_observe_delay(snap, "smtp", "high",
							INFINITY), -1);
	assert_int_equal(htable_count(snap->active) + htable_count(snap->destinations)
		      + htable_count(snap->deliveries) + htable_count(snap->delays), 0);
	long_name[METRICS_LABEL_MAXLEN] = 0;
	assert_int_equal(metrics_snapshot_add_destination(snap, "smtp", long_name, 1,
						    METRICS_DEST_OK), 0);
	free(long_name);
	metrics_snapshot_free(snap);
}

#define HEAD	"postern-qmgr-stats 1\npid 7\nstarted 100\nwritten 200\n" \
		"active_limit 10\ninflow_tokens -1\n"
#define BUCKETS0 " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"

/* test_corrupt_rejected - every malformed file is refused with a reason */
static void
test_corrupt_rejected(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		const char *why;
	}	cases[] = {
		{"empty", "", "line 1: empty file"},
		{"not ours", "hello world\n", "line 1: not a queue manager snapshot"},
		{"version", "postern-qmgr-stats 2\n", "line 1: unsupported version \"2\""},
		{"no end", HEAD, "line 7: no end line"},
		{"truncated", HEAD "active smtp high 3", "line 7: incomplete last line"},
		{"after end", HEAD "end\nactive smtp high 3\n", "line 8: text after the end line"},
		{"missing header", "postern-qmgr-stats 1\npid 7\nend\n", "line 3: missing started line"},
		{"duplicate header", HEAD "pid 8\nend\n", "line 7: duplicate pid line"},
		{"bad pid", "postern-qmgr-stats 1\npid 0\n", "line 2: bad pid value \"0\""},
		{"bad inflow", "postern-qmgr-stats 1\ninflow_tokens -2\n", "bad inflow_tokens value"},
		{"plus sign", "postern-qmgr-stats 1\nstarted +5\n", "bad started value"},
		{"leading zero", "postern-qmgr-stats 1\nstarted 05\n", "bad started value"},
		{"unknown", HEAD "frobnicate 1\nend\n", "line 7: unknown line type \"frobnicate\""},
		{"field count", HEAD "active smtp 3\nend\n", "active line has 3 fields, not 4"},
		{"double space", HEAD "active smtp  high 3\nend\n", "line 7: malformed line"},
		{"trailing space", HEAD "end \n", "line 7: malformed line"},
		{"bad count", HEAD "active smtp high -3\nend\n", "bad active count"},
		{"huge count", HEAD "active smtp high 99999999999999999999\nend\n", "bad active count"},
		{"dup active", HEAD "active smtp high 3\nactive smtp high 4\nend\n", "line 8: duplicate active line"},
		{"bad escape", HEAD "active sm%ZZtp high 3\nend\n", "malformed name in active line"},
		{"null escape", HEAD "active sm%00tp high 3\nend\n", "malformed name in active line"},
		{"raw control", HEAD "active sm\ttp high 3\nend\n", "malformed name in active line"},
		{"cut escape", HEAD "active smtp% high 3\nend\n", "malformed name in active line"},
		{"bad state", HEAD "destination smtp d 1 sleepy\nend\n", "bad destination state \"sleepy\""},
		{"bad concurrency", HEAD "destination smtp d 1x ok\nend\n", "bad concurrency"},
		{"dup destination", HEAD "destination smtp d 1 ok\ndestination smtp d 2 dead\nend\n", "duplicate destination line"},
		{"bad status", HEAD "delivery smtp lost 2 1\nend\n", "bad delivery status \"lost\""},
		{"bad class", HEAD "delivery smtp sent 3 1\nend\n", "bad DSN class \"3\""},
		{"dup delivery", HEAD "delivery smtp sent 2 1\ndelivery smtp sent 2 1\nend\n", "duplicate delivery line"},
		{"bucket sum", HEAD "delay smtp high 1.5 2 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0\nend\n", "bucket counts add up to 1, not 2"},
		{"bad sum", HEAD "delay smtp high nan 0" BUCKETS0 "\nend\n", "bad delay sum \"nan\""},
		{"negative sum", HEAD "delay smtp high -1 0" BUCKETS0 "\nend\n", "bad delay sum"},
		{"few buckets", HEAD "delay smtp high 0 0 0 0\nend\n", "delay line has 7 fields, not 20"},
		{"null byte", HEAD "end\n\0", "line 8: null byte in file"},
	};
	static const char good[] = HEAD "delay smtp high 0 0" BUCKETS0 "\nend\n";
	struct metrics_snapshot *snap;
	struct buf *why = buf_new(100);
	size_t	i, len;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		buf_reset(why);
		len = strlen(cases[i].text) + (strcmp(cases[i].name, "null byte") == 0);
		errno = 0;
		snap = metrics_snapshot_parse("qmgr.stats", cases[i].text, len, why);
		if (snap != NULL)
			fail_msg("case \"%s\" was accepted", cases[i].name);
		assert_int_equal(errno, EINVAL);
		if (strstr(buf_str(why), cases[i].why) == NULL
		    || strncmp(buf_str(why), "qmgr.stats: line ", 17) != 0)
			fail_msg("case \"%s\": reason \"%s\", want \"%s\"",
				 cases[i].name, buf_str(why), cases[i].why);
	}
	snap = metrics_snapshot_parse("ok", good, strlen(good), why);
	assert_non_null(snap);
	assert_int_equal(snap->inflow_tokens, -1);
	metrics_snapshot_free(snap);
	buf_free(why);
}

/* test_read_files - missing, corrupt, not regular, symbolic link */
static void
test_read_files(void **state)
{
	struct buf *why = buf_new(100);

	(void) state;
	assert_null(metrics_snapshot_read("private/none", why));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(buf_str(why), "open private/none"));
	write_text("private/bad", "postern-qmgr-stats 1\ngarbage\n");
	buf_reset(why);
	assert_null(metrics_snapshot_read("private/bad", why));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(buf_str(why),
			    "private/bad: line 2: unknown line type \"garbage\"");
	buf_reset(why);
	assert_null(metrics_snapshot_read("private", why));
	assert_int_equal(symlink("bad", "private/link"), 0);
	assert_null(metrics_snapshot_read("private/link", why));
	assert_int_equal(errno, ELOOP);
	buf_free(why);
}

/* test_write_failure - unwritable directory: -1, no leftovers */
static void
test_write_failure(void **state)
{
	struct metrics_snapshot *snap = metrics_snapshot_new();

	(void) state;
	errno = 0;
	assert_int_equal(metrics_snapshot_write(snap, "nodir/qmgr.stats"), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(symlink("/dev/null", "private/qmgr.stats.tmp"), 0);
	assert_int_equal(metrics_snapshot_write(snap, METRICS_SNAPSHOT_FILE), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(access(METRICS_SNAPSHOT_FILE, F_OK), -1);
	metrics_snapshot_free(snap);
}

/* test_freshness - stale in both directions */
static void
test_freshness(void **state)
{
	struct metrics_snapshot *snap = metrics_snapshot_new();

	(void) state;
	snap->written = 1000;
	assert_true(metrics_snapshot_is_fresh(snap, 1000));
	assert_true(metrics_snapshot_is_fresh(snap, 1000 + METRICS_SNAPSHOT_MAX_AGE));
	assert_false(metrics_snapshot_is_fresh(snap, 1001 + METRICS_SNAPSHOT_MAX_AGE));
	assert_false(metrics_snapshot_is_fresh(snap, 999 - METRICS_SNAPSHOT_MAX_AGE));
	assert_false(metrics_snapshot_is_fresh(NULL, 1000));
	metrics_snapshot_free(snap);
}

/* make_queue_file - an empty file named by an ID of the given arrival */
static char *
make_queue_file(const char *dir, time_t when, long usec, uint64_t unique)
{
	struct buf *id = buf_new(32);
	struct buf *path = buf_new(64);

	queue_id_make(id, when, usec, unique);
	buf_printf(path, "%s/%s", dir, buf_str(id));
	write_text(buf_str(path), "");
	buf_free(id);
	return (buf_steal(path));
}

/* make_queues - the five queue directories, deferred hashed */
static void
make_queues(void)
{
	int	i;

	for (i = 0; i < METRICS_QUEUE_COUNT; i++)
		assert_int_equal(mkdir(metrics_queue_names[i], 0700), 0);
	assert_int_equal(mkdir("deferred/3", 0700), 0);
	assert_int_equal(mkdir("deferred/A", 0700), 0);
}

/* test_queue_scan - counts, oldest ages from IDs and maildrop mtimes */
static void
test_queue_scan(void **state)
{
	struct metrics_queues queues;
	struct buf *why = buf_new(100);
	struct timeval now = {.tv_sec = 2000000000, .tv_usec = 500000};
	struct timeval times[2] = {{1999999000, 0}, {1999999000, 0}};
	char   *maildrop;

	(void) state;
	make_queues();
	free(make_queue_file("incoming", 1999999990, 0, 1));
	free(make_queue_file("incoming", 1999999900, 250000, 2));
	free(make_queue_file("deferred/3", 1999990000, 0, 3));
	free(make_queue_file("deferred/A", 1999999999, 0, 4));
	/* maildrop: the file's mtime counts, not the time in its name. */
	maildrop = make_queue_file("maildrop", 1, 0, 5);
	assert_int_equal(utimes(maildrop, times), 0);
	write_text("maildrop/tmp.junk", "");
	write_text("incoming/not-an-id", "");
	assert_int_equal(metrics_queues_scan(&queues, &now, why), 0);
	assert_string_equal(buf_str(why), "");
	assert_int_equal(queues.queue[0].messages, 1);
	assert_true(fabs(queues.queue[0].oldest_age - 1000.5) < 1e-6);
	assert_int_equal(queues.queue[1].messages, 2);
	assert_true(fabs(queues.queue[1].oldest_age - 100.25) < 1e-6);
	assert_int_equal(queues.queue[2].messages, 0);
	assert_true(queues.queue[2].oldest_age == 0);
	assert_int_equal(queues.queue[3].messages, 2);
	assert_true(fabs(queues.queue[3].oldest_age - 10000.5) < 1e-6);
	assert_int_equal(queues.queue[4].messages, 0);
	free(maildrop);
	buf_free(why);
}

/* test_queue_scan_missing - an unreadable queue is reported, others kept */
static void
test_queue_scan_missing(void **state)
{
	struct metrics_queues queues;
	struct buf *why = buf_new(100);
	struct timeval now = {.tv_sec = 2000000000, .tv_usec = 0};

	(void) state;
	make_queues();
	free(make_queue_file("hold", 1999999000, 0, 9));
	assert_int_equal(rmdir("active"), 0);
	assert_int_equal(metrics_queues_scan(&queues, &now, why), -1);
	assert_string_equal(buf_str(why),
			    "cannot read queue active: No such file or directory");
	assert_false(queues.queue[2].is_scanned);
	assert_true(queues.queue[4].is_scanned);
	assert_int_equal(queues.queue[4].messages, 1);
	buf_free(why);
}

/* test_collect - stale and corrupt snapshots mean qmgr down */
static void
test_collect(void **state)
{
	struct metrics_snapshot *snap = sample_snapshot();
	struct buf *out = buf_new(100);
	struct buf *why = buf_new(100);

	(void) state;
	make_queues();
	assert_int_equal(metrics_collect(out, METRICS_SNAPSHOT_FILE, 77, why), 0);
	assert_non_null(strstr(buf_str(out), "postern_qmgr_up 0\n"));
	assert_non_null(strstr(buf_str(out), "postern_active_limit 77\n"));
	assert_non_null(strstr(buf_str(out), "postern_queue_messages{queue=\"hold\"} 0\n"));

	assert_int_equal(metrics_snapshot_write(snap, METRICS_SNAPSHOT_FILE), 0);
	buf_reset(out);
	assert_int_equal(metrics_collect(out, METRICS_SNAPSHOT_FILE, 77, why), 0);
	assert_non_null(strstr(buf_str(out), "postern_qmgr_up 1\n"));
	assert_non_null(strstr(buf_str(out), "postern_active_limit 20000\n"));
	assert_non_null(strstr(buf_str(out), "postern_inflow_tokens 7\n"));

	write_text(METRICS_SNAPSHOT_FILE, HEAD "end\n");	/* written 200: stale */
	buf_reset(out);
	assert_int_equal(metrics_collect(out, METRICS_SNAPSHOT_FILE, 77, why), 0);
	assert_non_null(strstr(buf_str(out), "postern_qmgr_up 0\n"));
	assert_null(strstr(buf_str(out), "postern_inflow_tokens"));

	write_text(METRICS_SNAPSHOT_FILE, HEAD "active x\nend\n");
	buf_reset(out);
	assert_int_equal(metrics_collect(out, METRICS_SNAPSHOT_FILE, 77, why), -1);
	assert_string_equal(buf_str(why), METRICS_SNAPSHOT_FILE
			    ": line 7: active line has 2 fields, not 4");
	assert_non_null(strstr(buf_str(out), "postern_qmgr_up 0\n"));
	assert_non_null(strstr(buf_str(out), "postern_queue_messages{queue=\"active\"} 0\n"));
	metrics_snapshot_free(snap);
	buf_free(out);
	buf_free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_golden),
		cmocka_unit_test(test_format_qmgr_down),
		cmocka_unit_test(test_label_escape),
		cmocka_unit_test(test_escape_in_exposition),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_histogram_cumulative),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test(test_clear_state),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_corrupt_rejected),
		cmocka_unit_test_setup_teardown(test_read_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_failure, setup, teardown),
		cmocka_unit_test(test_freshness),
		cmocka_unit_test_setup_teardown(test_queue_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_scan_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collect, setup, teardown),
	};

	return (cmocka_run_group_tests_name("metrics", tests, NULL, NULL));
}
