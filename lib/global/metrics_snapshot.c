/*
 * NAME
 *	metrics_snapshot - the queue manager's state and counters for metrics
 * DESCRIPTION
 *	See metrics_snapshot.h. This file builds snapshots in memory and
 *	writes them; metrics_snapshot_read.c reads them back.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <global/metrics_snapshot.h>
#include <global/metrics_private.h>

const double metrics_delay_bounds[METRICS_DELAY_BOUNDS] = {
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 14400, 86400,
};

static const char *const metrics_state_names[METRICS_DEST_STATE_COUNT] = {
	"ok", "throttled", "dead",
};

static const char *const metrics_status_names[METRICS_STATUS_COUNT] = {
	"sent", "deferred", "bounced", "expired",
};

/* metrics_dest_state_name - "ok", "throttled" or "dead" */
const char *
metrics_dest_state_name(enum metrics_dest_state state)
{
	if ((unsigned) state >= METRICS_DEST_STATE_COUNT)
		msg_panic("metrics_dest_state_name: bad state %d", (int) state);
	return (metrics_state_names[state]);
}

/* metrics_status_name - "sent", "deferred", "bounced" or "expired" */
const char *
metrics_status_name(enum metrics_status status)
{
	if ((unsigned) status >= METRICS_STATUS_COUNT)
		msg_panic("metrics_status_name: bad status %d", (int) status);
	return (metrics_status_names[status]);
}

/* metrics_encode - append a name with %XX escapes */
void
metrics_encode(struct buf *out, const char *name)
{
	const unsigned char *cp;

	for (cp = (const unsigned char *) name; *cp; cp++) {
		if (*cp > 0x20 && *cp < 0x7f && *cp != '%')
			buf_putc(out, *cp);
		else
			buf_appendf(out, "%%%02X", *cp);
	}
}

/* metrics_key - table key: encoded names and an optional plain suffix */
const char *
metrics_key(struct buf *key, const char *first, const char *second,
	    const char *suffix)
{
	buf_reset(key);
	metrics_encode(key, first);
	buf_putc(key, ' ');
	metrics_encode(key, second);
	if (suffix != NULL) {
		buf_putc(key, ' ');
		buf_cat(key, suffix);
	}
	return (buf_str(key));
}

/* metrics_name_ok - a non-empty name that is not too long */
int
metrics_name_ok(const char *name)
{
	return (name != NULL && *name != 0
		&& strnlen(name, METRICS_LABEL_MAXLEN + 1) <= METRICS_LABEL_MAXLEN);
}

/* metrics_einval - fail with EINVAL */
static int
metrics_einval(void)
{
	errno = EINVAL;
	return (-1);
}

/* A constructor of a new entry from its two names. */
typedef void *(*metrics_make_fn) (const char *, const char *);

/* metrics_find - look up a key, entering a new value from make_fn if absent */
static void *
metrics_find(struct htable *table, const char *key, metrics_make_fn make_fn,
	     const char *a, const char *b)
{
	void   *value;

	if ((value = htable_find(table, key)) == NULL) {
		value = make_fn(a, b);
		htable_enter(table, key, value);
	}
	return (value);
}

/* metrics_active_make - new zeroed active entry */
static void *
metrics_active_make(const char *transport, const char *priority)
{
	struct metrics_active *act = xcalloc(1, sizeof(*act));

	act->transport = xstrdup(transport);
	act->priority = xstrdup(priority);
	return (act);
}

/* metrics_dest_make - new destination entry */
static void *
metrics_dest_make(const char *transport, const char *destination)
{
	struct metrics_dest *dest = xcalloc(1, sizeof(*dest));

	dest->transport = xstrdup(transport);
	dest->destination = xstrdup(destination);
	return (dest);
}

/* metrics_delivery_make - new delivery counter (status set by the caller) */
static void *
metrics_delivery_make(const char *transport, const char *unused)
{
	struct metrics_delivery *del = xcalloc(1, sizeof(*del));

	(void) unused;
	del->transport = xstrdup(transport);
	return (del);
}

/* metrics_delay_make - new empty histogram */
static void *
metrics_delay_make(const char *transport, const char *priority)
{
	struct metrics_delay *delay = xcalloc(1, sizeof(*delay));

	delay->transport = xstrdup(transport);
	delay->priority = xstrdup(priority);
	return (delay);
}

/* metrics_active_get - find or create an active entry */
struct metrics_active *
metrics_active_get(struct metrics_snapshot *snap, const char *transport,
		   const char *priority)
{
	struct buf *key = buf_new(64);
	struct metrics_active *act;

	act = metrics_find(snap->active, metrics_key(key, transport, priority, NULL),
			   metrics_active_make, transport, priority);
	buf_free(key);
	return (act);
}

/* metrics_dest_get - find or create a destination entry */
struct metrics_dest *
metrics_dest_get(struct metrics_snapshot *snap, const char *transport,
		 const char *destination)
{
	struct buf *key = buf_new(64);
	struct metrics_dest *dest;

	dest = metrics_find(snap->destinations,
			    metrics_key(key, transport, destination, NULL),
			    metrics_dest_make, transport, destination);
	buf_free(key);
	return (dest);
}

/* metrics_delivery_get - find or create a delivery counter */
struct metrics_delivery *
metrics_delivery_get(struct metrics_snapshot *snap, const char *transport,
		     enum metrics_status status, int dsn_class)
{
	struct buf *key = buf_new(64);
	char	class_text[2] = {(char) ('0' + dsn_class), 0};
	struct metrics_delivery *del;

	del = metrics_find(snap->deliveries,
			   metrics_key(key, transport, metrics_status_name(status),
				       class_text),
			   metrics_delivery_make, transport, NULL);
	del->status = status;
	del->dsn_class = dsn_class;
	buf_free(key);
	return (del);
}

/* metrics_delay_get - find or create a histogram */
struct metrics_delay *
metrics_delay_get(struct metrics_snapshot *snap, const char *transport,
		  const char *priority)
{
	struct buf *key = buf_new(64);
	struct metrics_delay *delay;

	delay = metrics_find(snap->delays, metrics_key(key, transport, priority, NULL),
			     metrics_delay_make, transport, priority);
	buf_free(key);
	return (delay);
}

/* metrics_active_free - htable value destructor */
static void
metrics_active_free(void *ptr)
{
	struct metrics_active *act = ptr;

	free(act->transport);
	free(act->priority);
	free(act);
}

/* metrics_dest_free - htable value destructor */
static void
metrics_dest_free(void *ptr)
{
	struct metrics_dest *dest = ptr;

	free(dest->transport);
	free(dest->destination);
	free(dest);
}

/* metrics_delivery_free - htable value destructor */
static void
metrics_delivery_free(void *ptr)
{
	struct metrics_delivery *del = ptr;

	free(del->transport);
	free(del);
}

/* metrics_delay_free - htable value destructor */
static void
metrics_delay_free(void *ptr)
{
	struct metrics_delay *delay = ptr;

	free(delay->transport);
	free(delay->priority);
	free(delay);
}

/* metrics_snapshot_new - empty snapshot of this process, now */
struct metrics_snapshot *
metrics_snapshot_new(void)
{
	struct metrics_snapshot *snap = xcalloc(1, sizeof(*snap));

	snap->pid = (long) getpid();
	snap->started = time(NULL);
	snap->written = snap->started;
	snap->inflow_tokens = -1;
	snap->active = htable_new(16);
	snap->destinations = htable_new(64);
	snap->deliveries = htable_new(16);
	snap->delays = htable_new(16);
	return (snap);
}

/* metrics_snapshot_free - destroy a snapshot */
void
metrics_snapshot_free(struct metrics_snapshot *snap)
{
	if (snap == NULL)
		return;
	htable_free(snap->active, metrics_active_free);
	htable_free(snap->destinations, metrics_dest_free);
	htable_free(snap->deliveries, metrics_delivery_free);
	htable_free(snap->delays, metrics_delay_free);
	free(snap);
}

/* metrics_snapshot_clear_state - forget active counts and destinations */
void
metrics_snapshot_clear_state(struct metrics_snapshot *snap)
{
	if (snap == NULL)
		msg_panic("metrics_snapshot_clear_state: null snapshot");
	htable_free(snap->active, metrics_active_free);
	htable_free(snap->destinations, metrics_dest_free);
	snap->active = htable_new(16);
	snap->destinations = htable_new(64);
}

/* metrics_snapshot_set_active_limit - qmgr_message_active_limit */
void
metrics_snapshot_set_active_limit(struct metrics_snapshot *snap, long limit)
{
	if (snap == NULL)
		msg_panic("metrics_snapshot_set_active_limit: null snapshot");
	snap->active_limit = limit < 0 ? 0 : limit;
}

/* metrics_snapshot_set_inflow - tokens in the flow pipe, -1 unknown */
void
metrics_snapshot_set_inflow(struct metrics_snapshot *snap, long tokens)
{
	if (snap == NULL)
		msg_panic("metrics_snapshot_set_inflow: null snapshot");
	snap->inflow_tokens = tokens < 0 ? -1 : tokens;
}

/* metrics_snapshot_set_active - active messages of a transport and class */
int
metrics_snapshot_set_active(struct metrics_snapshot *snap, const char *transport,
			    const char *priority, long count)
{
	if (snap == NULL)
		msg_panic("metrics_snapshot_set_active: null snapshot");
	if (!metrics_name_ok(transport) || !metrics_name_ok(priority) || count < 0)
		return (metrics_einval());
	metrics_active_get(snap, transport, priority)->count = count;
	return (0);
}

/* metrics_snapshot_add_active - change an active count, not below 0 */
int
metrics_snapshot_add_active(struct metrics_snapshot *snap, const char *transport,
			    const char *priority, long delta)
{
	struct metrics_active *act;

	if (snap == NULL)
		msg_panic("metrics_snapshot_add_active: null snapshot");
	if (!metrics_name_ok(transport) || !metrics_name_ok(priority))
		return (metrics_einval());
	act = metrics_active_get(snap, transport, priority);
	if (delta < 0 && -delta > act->count)
		act->count = 0;
	else if (delta > 0 && act->count > LONG_MAX - delta)
		act->count = LONG_MAX;
	else
		act->count += delta;
	return (0);
}

/* metrics_snapshot_add_destination - enter or replace a destination */
int
metrics_snapshot_add_destination(struct metrics_snapshot *snap,
				 const char *transport, const char *destination,
				 int concurrency, enum metrics_dest_state state)
{
	struct metrics_dest *dest;

	if (snap == NULL)
		msg_panic("metrics_snapshot_add_destination: null snapshot");
	if ((unsigned) state >= METRICS_DEST_STATE_COUNT)
		msg_panic("metrics_snapshot_add_destination: bad state %d", (int) state);
	if (!metrics_name_ok(transport) || !metrics_name_ok(destination)
	    || concurrency < 0)
		return (metrics_einval());
	dest = metrics_dest_get(snap, transport, destination);
	dest->concurrency = concurrency;
	dest->state = state;
	return (0);
}

/* metrics_snapshot_count_delivery - one recipient result */
int
metrics_snapshot_count_delivery(struct metrics_snapshot *snap,
				const char *transport, enum metrics_status status,
				int dsn_class)
{
	if (snap == NULL)
		msg_panic("metrics_snapshot_count_delivery: null snapshot");
	if ((unsigned) status >= METRICS_STATUS_COUNT)
		msg_panic("metrics_snapshot_count_delivery: bad status %d", (int) status);
	if (!metrics_name_ok(transport)
	    || (dsn_class != 2 && dsn_class != 4 && dsn_class != 5))
		return (metrics_einval());
	metrics_delivery_get(snap, transport, status, dsn_class)->count++;
	return (0);
}

/* metrics_delay_bucket - index of the bucket that holds seconds */
static int
metrics_delay_bucket(double seconds)
{
	int	i;

	for (i = 0; i < METRICS_DELAY_BOUNDS; i++)
		if (seconds <= metrics_delay_bounds[i])
			break;
	return (i);
}

/* metrics_snapshot_observe_delay - one delivery delay in seconds */
int
metrics_snapshot_observe_delay(struct metrics_snapshot *snap,
			       const char *transport, const char *priority,
			       double seconds)
{
	struct metrics_delay *delay;

	if (snap == NULL)
		msg_panic("metrics_snapshot_observe_delay: null snapshot");
	if (!metrics_name_ok(transport) || !metrics_name_ok(priority)
	    || !isfinite(seconds))
		return (metrics_einval());
	if (seconds < 0)
		seconds = 0;
	delay = metrics_delay_get(snap, transport, priority);
	delay->bucket[metrics_delay_bucket(seconds)]++;
	delay->sum += seconds;
	delay->count++;
	return (0);
}

/* metrics_snapshot_is_fresh - written within METRICS_SNAPSHOT_MAX_AGE of now */
int
metrics_snapshot_is_fresh(const struct metrics_snapshot *snap, time_t now)
{
	if (snap == NULL)
		return (0);
	return (snap->written >= now - METRICS_SNAPSHOT_MAX_AGE
		&& snap->written <= now + METRICS_SNAPSHOT_MAX_AGE);
}

/* metrics_key_compare - qsort comparison of table entries by key */
static int
metrics_key_compare(const void *a, const void *b)
{
	const struct htable_entry *ea = *(const struct htable_entry *const *) a;
	const struct htable_entry *eb = *(const struct htable_entry *const *) b;

	return (strcmp(ea->key, eb->key));
}

/* metrics_snapshot_list - table entries sorted by key, NULL-terminated */
struct htable_entry **
metrics_snapshot_list(const struct htable *table)
{
	struct htable_entry **list = htable_list(table);

	qsort(list, htable_count(table), sizeof(*list), metrics_key_compare);
	return (list);
}

/* metrics_print_active - file line of an active entry */
static void
metrics_print_active(struct buf *out, const void *value)
{
	const struct metrics_active *act = value;

	buf_cat(out, "active ");
	metrics_encode(out, act->transport);
	buf_putc(out, ' ');
	metrics_encode(out, act->priority);
	buf_appendf(out, " %ld\n", act->count);
}

/* metrics_print_dest - file line of a destination */
static void
metrics_print_dest(struct buf *out, const void *value)
{
	const struct metrics_dest *dest = value;

	buf_cat(out, "destination ");
	metrics_encode(out, dest->transport);
	buf_putc(out, ' ');
	metrics_encode(out, dest->destination);
	buf_appendf(out, " %d %s\n", dest->concurrency,
		    metrics_dest_state_name(dest->state));
}

/* metrics_print_delivery - file line of a delivery counter */
static void
metrics_print_delivery(struct buf *out, const void *value)
{
	const struct metrics_delivery *del = value;

	buf_cat(out, "delivery ");
	metrics_encode(out, del->transport);
	buf_appendf(out, " %s %d %llu\n", metrics_status_name(del->status),
		    del->dsn_class, del->count);
}

/* metrics_print_delay - file line of a histogram */
static void
metrics_print_delay(struct buf *out, const void *value)
{
	const struct metrics_delay *delay = value;
	int	i;

	buf_cat(out, "delay ");
	metrics_encode(out, delay->transport);
	buf_putc(out, ' ');
	metrics_encode(out, delay->priority);
	buf_appendf(out, " %.17g %llu", delay->sum, delay->count);
	for (i = 0; i <= METRICS_DELAY_BOUNDS; i++)
		buf_appendf(out, " %llu", delay->bucket[i]);
	buf_putc(out, '\n');
}

/* metrics_print_table - every entry of a table, sorted */
static void
metrics_print_table(struct buf *out, const struct htable *table,
		    void (*print_fn) (struct buf *, const void *))
{
	struct htable_entry **list = metrics_snapshot_list(table);
	struct htable_entry **ep;

	for (ep = list; *ep; ep++)
		print_fn(out, (*ep)->value);
	free(list);
}

/* metrics_snapshot_print - the whole file text */
static void
metrics_snapshot_print(struct buf *out, const struct metrics_snapshot *snap)
{
	buf_printf(out, "%s %d\n", METRICS_SNAPSHOT_MAGIC, METRICS_SNAPSHOT_VERSION);
	buf_appendf(out, "pid %ld\nstarted %lld\nwritten %lld\n", snap->pid,
		    (long long) snap->started, (long long) snap->written);
	buf_appendf(out, "active_limit %ld\ninflow_tokens %ld\n",
		    snap->active_limit, snap->inflow_tokens);
	metrics_print_table(out, snap->active, metrics_print_active);
	metrics_print_table(out, snap->destinations, metrics_print_dest);
	metrics_print_table(out, snap->deliveries, metrics_print_delivery);
	metrics_print_table(out, snap->delays, metrics_print_delay);
	buf_cat(out, "end\n");
}

/* metrics_write_file - write text to a new temporary file and rename it */
static int
metrics_write_file(const char *tmp, const char *path, const struct buf *text)
{
	int	fd;
	int	err;

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		       0600)) < 0)
		return (-1);
	if (write_full(fd, buf_str(text), buf_len(text)) < 0) {
		err = errno;
		(void) close(fd);
		errno = err;
		return (-1);
	}
	if (close(fd) < 0 || rename(tmp, path) < 0)
		return (-1);
	return (0);
}

/* metrics_snapshot_write - publish a snapshot atomically */
int
metrics_snapshot_write(struct metrics_snapshot *snap, const char *path)
{
	struct buf *text;
	struct buf *tmp;
	int	ret;
	int	err;

	if (snap == NULL || path == NULL)
		msg_panic("metrics_snapshot_write: null argument");
	text = buf_new(4096);
	tmp = buf_new(100);
	snap->written = time(NULL);
	metrics_snapshot_print(text, snap);
	buf_printf(tmp, "%s.tmp", path);
	if ((ret = metrics_write_file(buf_str(tmp), path, text)) < 0) {
		err = errno;
		(void) unlink(buf_str(tmp));
		errno = err;
	}
	buf_free(text);
	buf_free(tmp);
	return (ret);
}
