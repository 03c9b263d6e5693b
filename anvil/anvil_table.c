/*
 * NAME
 *	anvil_table - per-client connection counts and event rates
 * SYNOPSIS
 *	#include "anvil.h"
 *
 *	struct anvil_table *anvil_table_new(long unit);
 *	void	anvil_table_connect(struct anvil_table *t, const char *ident,
 *			time_t now, int *count, int *rate);
 *	int	anvil_table_disconnect(struct anvil_table *t, const char *ident,
 *			time_t now);
 *	void	anvil_table_message(struct anvil_table *t, const char *ident,
 *			time_t now, int *rate);
 *	void	anvil_table_rcpt(struct anvil_table *t, const char *ident,
 *			time_t now, int *rate);
 *	void	anvil_table_lookup(struct anvil_table *t, const char *ident,
 *			time_t now, struct anvil_usage *usage);
 *	size_t	anvil_table_expire(struct anvil_table *t, time_t now);
 *	size_t	anvil_table_size(const struct anvil_table *t);
 *	void	anvil_table_stats(struct anvil_table *t, struct argv *lines);
 *	void	anvil_table_free(struct anvil_table *t);
 * DESCRIPTION
 *	The bookkeeping of anvil(8), without I/O so it can be tested with
 *	a made-up clock. An entry per client identity ("smtp:192.0.2.1")
 *	holds the number of connections open now and, for the current time
 *	window of unit seconds (anvil_rate_time_unit), the number of
 *	connections, messages and recipients. A window starts with the
 *	first event after the previous one expired, as in Postfix: rates
 *	are "events since the window began", not a sliding average.
 *
 *	anvil_table_connect() counts a new connection and returns the open
 *	count and connection rate including it. anvil_table_disconnect()
 *	counts one connection less; it returns -1 when the identity had no
 *	open connection. anvil_table_message() and anvil_table_rcpt() count
 *	one MAIL FROM or RCPT TO and return the rate including it.
 *	anvil_table_lookup() returns the numbers without counting.
 *
 *	anvil_table_expire() removes entries that have no open connection
 *	and whose window has expired and returns how many it removed.
 *	anvil_table_size() is the number of entries.
 *
 *	The table remembers the highest connection count and the highest
 *	connection, message and recipient rates, with the identity and
 *	time; anvil_table_stats() appends Postfix's statistics lines for
 *	them ("statistics: max connection rate 3/60s for (smtp:1.2.3.4) at
 *	Nov 22 13:30:01", "... max connection count ...", "... max message
 *	rate ...", "... max recipient rate ...", "statistics: max cache size
 *	N at ...") to lines and forgets them.
 */
#include <util/sys_defs.h>
#include <time.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/htable.h>
#include "anvil.h"

struct anvil_entry {
	int	count;			/* connections open now */
	int	rate;			/* connections in this window */
	int	mail;			/* MAIL FROM in this window */
	int	rcpt;			/* RCPT TO in this window */
	time_t	start;			/* window start */
};

struct anvil_max {
	int	value;
	char   *ident;
	time_t	when;
};

struct anvil_table {
	struct htable *entries;
	long	unit;
	struct anvil_max max_rate;
	struct anvil_max max_count;
	struct anvil_max max_mail;
	struct anvil_max max_rcpt;
	size_t	max_cache;
	time_t	max_cache_when;
};

/* anvil_table_new - an empty table */
struct anvil_table *
anvil_table_new(long unit)
{
	struct anvil_table *t = xcalloc(1, sizeof(*t));

	t->entries = htable_new(100);
	t->unit = unit > 0 ? unit : 1;
	return (t);
}

/* anvil_max_update - remember a new maximum */
static void
anvil_max_update(struct anvil_max *max, int value, const char *ident, time_t now)
{
	if (value <= max->value)
		return;
	max->value = value;
	free(max->ident);
	max->ident = xstrdup(ident);
	max->when = now;
}

/* anvil_entry_get - the entry of an identity, its window current */
static struct anvil_entry *
anvil_entry_get(struct anvil_table *t, const char *ident, time_t now)
{
	struct anvil_entry *e;

	if ((e = htable_find(t->entries, ident)) == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->start = now;
		htable_enter(t->entries, ident, e);
		if (htable_count(t->entries) > t->max_cache) {
			t->max_cache = htable_count(t->entries);
			t->max_cache_when = now;
		}
	}
	if (now - e->start >= t->unit || now < e->start) {
		e->start = now;
		e->rate = e->mail = e->rcpt = 0;
	}
	return (e);
}

/* anvil_table_connect - one more connection */
void
anvil_table_connect(struct anvil_table *t, const char *ident, time_t now,
		            int *count, int *rate)
{
	struct anvil_entry *e = anvil_entry_get(t, ident, now);

	*count = ++e->count;
	*rate = ++e->rate;
	anvil_max_update(&t->max_count, e->count, ident, now);
	anvil_max_update(&t->max_rate, e->rate, ident, now);
}

/* anvil_table_disconnect - one connection less */
int
anvil_table_disconnect(struct anvil_table *t, const char *ident, time_t now)
{
	struct anvil_entry *e = htable_find(t->entries, ident);

	(void) now;
	if (e == NULL || e->count <= 0)
		return (-1);
	e->count--;
	return (0);
}

/* anvil_table_message - one more MAIL FROM */
void
anvil_table_message(struct anvil_table *t, const char *ident, time_t now, int *rate)
{
	struct anvil_entry *e = anvil_entry_get(t, ident, now);

	*rate = ++e->mail;
	anvil_max_update(&t->max_mail, e->mail, ident, now);
}

/* anvil_table_rcpt - one more RCPT TO */
void
anvil_table_rcpt(struct anvil_table *t, const char *ident, time_t now, int *rate)
{
	struct anvil_entry *e = anvil_entry_get(t, ident, now);

	*rate = ++e->rcpt;
	anvil_max_update(&t->max_rcpt, e->rcpt, ident, now);
}

/* anvil_table_lookup - the numbers of an identity */
void
anvil_table_lookup(struct anvil_table *t, const char *ident, time_t now,
		           struct anvil_usage *usage)
{
	struct anvil_entry *e = htable_find(t->entries, ident);

	memset(usage, 0, sizeof(*usage));
	if (e == NULL)
		return;
	usage->count = e->count;
	if (now - e->start < t->unit && now >= e->start) {
		usage->rate = e->rate;
		usage->mail = e->mail;
		usage->rcpt = e->rcpt;
	}
}

/* anvil_table_expire - drop idle entries whose window is over */
size_t
anvil_table_expire(struct anvil_table *t, time_t now)
{
	struct htable_entry **list = htable_list(t->entries);
	struct anvil_entry *e;
	struct argv *dead = argv_new(8);
	size_t	i;
	size_t	removed;

	for (i = 0; list[i] != NULL; i++) {
		e = list[i]->value;
		if (e->count == 0 && (now - e->start >= t->unit || now < e->start))
			argv_add(dead, list[i]->key);
	}
	free(list);
	for (i = 0; i < dead->argc; i++)
		htable_delete(t->entries, dead->argv[i], free);
	removed = dead->argc;
	argv_free(dead);
	return (removed);
}

/* anvil_table_size - number of entries */
size_t
anvil_table_size(const struct anvil_table *t)
{
	return (htable_count(t->entries));
}

/* anvil_stat_line - one statistics line, then forget the maximum */
static void
anvil_stat_line(struct argv *lines, struct anvil_max *max, const char *what,
		        long unit)
{
	struct buf *line;
	char	when[32];
	struct tm *tm;

	if (max->value <= 0)
		return;
	tm = localtime(&max->when);
	strftime(when, sizeof(when), "%b %e %H:%M:%S", tm);
	line = buf_new(128);
	if (unit > 0)
		buf_printf(line, "statistics: max %s %d/%lds for (%s) at %s",
			   what, max->value, unit, max->ident, when);
	else
		buf_printf(line, "statistics: max %s %d for (%s) at %s",
			   what, max->value, max->ident, when);
	argv_add(lines, buf_str(line));
	buf_free(line);
	free(max->ident);
	memset(max, 0, sizeof(*max));
}

/* anvil_table_stats - the statistics lines since the last call */
void
anvil_table_stats(struct anvil_table *t, struct argv *lines)
{
	struct buf *line;
	char	when[32];

	anvil_stat_line(lines, &t->max_rate, "connection rate", t->unit);
	anvil_stat_line(lines, &t->max_count, "connection count", 0);
	anvil_stat_line(lines, &t->max_mail, "message rate", t->unit);
	anvil_stat_line(lines, &t->max_rcpt, "recipient rate", t->unit);
	if (t->max_cache > 0) {
		strftime(when, sizeof(when), "%b %e %H:%M:%S", localtime(&t->max_cache_when));
		line = buf_new(64);
		buf_printf(line, "statistics: max cache size %zu at %s", t->max_cache, when);
		argv_add(lines, buf_str(line));
		buf_free(line);
		t->max_cache = 0;
	}
}

/* anvil_table_free - release everything */
void
anvil_table_free(struct anvil_table *t)
{
	if (t == NULL)
		return;
	htable_free(t->entries, free);
	free(t->max_rate.ident);
	free(t->max_count.ident);
	free(t->max_mail.ident);
	free(t->max_rcpt.ident);
	free(t);
}
