/*
 * NAME
 *	smtp_session_cache - idle SMTP connections kept for the next request
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	int	smtp_session_cache_wanted(const char *dest, int req_flags);
 *	void	smtp_session_cache_store(struct smtp_session *session);
 *	struct smtp_session *smtp_session_cache_find(const char *dest);
 *	long	smtp_session_cache_wait_ms(void);
 *	void	smtp_session_cache_expire(void);
 *	void	smtp_session_cache_close_all(void);
 *	size_t	smtp_session_cache_count(void);
 * DESCRIPTION
 *	smtp(8) serves delivery requests one after another in one process,
 *	so connection reuse needs no separate service: after a delivery
 *	the connection stays open, idle, in this process, for at most
 *	smtp_connection_cache_time_limit, and the next request for the same
 *	nexthop takes it (after an RSET probe, see smtp_connect.c). At most
 *	SMTP_CACHE_LIMIT connections are kept; the oldest goes first.
 *
 *	smtp_session_cache_wanted() tells whether connections to dest are
 *	cached at all: when smtp_connection_cache_on_demand is on (the
 *	default) and qmgr said more mail for the nexthop waits
 *	(DEL_REQ_FLAG_CONN_STORE), or when dest is one of
 *	smtp_connection_cache_destinations (whatever the flag says).
 *
 *	smtp_session_cache_store() keeps session, or closes it (with QUIT)
 *	when it is broken, has been used smtp_connection_reuse_count_limit
 *	times (0: no limit) or is older than
 *	smtp_connection_reuse_time_limit. An older idle connection to the
 *	same destination is closed. smtp_session_cache_find() removes and
 *	returns the idle connection for dest, or NULL.
 *
 *	smtp_session_cache_wait_ms() is the time until the next connection
 *	expires (-1: none cached); smtp_session_cache_expire() closes the
 *	expired ones, smtp_session_cache_close_all() every one.
 * SEE ALSO
 *	smtp(8)
 */
#include <util/sys_defs.h>
#include <util/msg.h>
#include <global/params.h>

#include <strings.h>
#include <time.h>

#include "smtp.h"

static struct smtp_session *smtp_cache[SMTP_CACHE_LIMIT];
static size_t smtp_cache_count;

/* smtp_cache_now - monotonic milliseconds */
static long long
smtp_cache_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* smtp_cache_remove - take entry i out of the cache */
static struct smtp_session *
smtp_cache_remove(size_t i)
{
	struct smtp_session *session = smtp_cache[i];

	smtp_cache[i] = smtp_cache[--smtp_cache_count];
	smtp_cache[smtp_cache_count] = NULL;
	return (session);
}

/* smtp_session_cache_wanted - cache connections to dest? */
int
smtp_session_cache_wanted(const char *dest, int req_flags)
{
	size_t	i;

	if (var_smtp_connection_cache_on_demand && (req_flags & DEL_REQ_FLAG_CONN_STORE))
		return (1);
	for (i = 0; smtp_conf.cache_dests && i < smtp_conf.cache_dests->argc; i++)
		if (strcasecmp(smtp_conf.cache_dests->argv[i], dest) == 0)
			return (1);
	return (0);
}

/* smtp_session_cache_store - keep an idle connection */
void
smtp_session_cache_store(struct smtp_session *session)
{
	size_t	i, oldest = 0;

	if (session->is_broken
	    || (var_smtp_connection_reuse_count_limit > 0
		&& session->use_count >= var_smtp_connection_reuse_count_limit)
	    || time(NULL) - session->created >= var_smtp_connection_reuse_time_limit) {
		smtp_session_quit(session);
		return;
	}
	for (i = 0; i < smtp_cache_count; i++) {
		if (strcasecmp(smtp_cache[i]->dest, session->dest) == 0) {
			smtp_session_quit(smtp_cache_remove(i));
			break;
		}
	}
	if (smtp_cache_count >= SMTP_CACHE_LIMIT) {
		for (i = 1; i < smtp_cache_count; i++)
			if (smtp_cache[i]->idle_deadline < smtp_cache[oldest]->idle_deadline)
				oldest = i;
		smtp_session_quit(smtp_cache_remove(oldest));
	}
	session->idle_deadline = smtp_cache_now()
		+ var_smtp_connection_cache_time_limit * 1000LL;
	smtp_cache[smtp_cache_count++] = session;
	msg_debug(1, "smtp: cached connection to %s for %s", session->relay,
		  session->dest);
}

/* smtp_session_cache_find - the idle connection for dest, or NULL */
struct smtp_session *
smtp_session_cache_find(const char *dest)
{
	size_t	i;

	smtp_session_cache_expire();
	for (i = 0; i < smtp_cache_count; i++)
		if (strcasecmp(smtp_cache[i]->dest, dest) == 0)
			return (smtp_cache_remove(i));
	return (NULL);
}

/* smtp_session_cache_wait_ms - time until the next expiry */
long
smtp_session_cache_wait_ms(void)
{
	long long now = smtp_cache_now();
	long long first = -1;
	size_t	i;

	for (i = 0; i < smtp_cache_count; i++)
		if (first < 0 || smtp_cache[i]->idle_deadline < first)
			first = smtp_cache[i]->idle_deadline;
	if (first < 0)
		return (-1);
	return (first > now ? (long) (first - now) : 0);
}

/* smtp_session_cache_expire - close what has been idle too long */
void
smtp_session_cache_expire(void)
{
	long long now = smtp_cache_now();
	size_t	i = 0;

	while (i < smtp_cache_count) {
		if (smtp_cache[i]->idle_deadline <= now)
			smtp_session_quit(smtp_cache_remove(i));
		else
			i++;
	}
}

/* smtp_session_cache_close_all - close every idle connection */
void
smtp_session_cache_close_all(void)
{
	while (smtp_cache_count > 0)
		smtp_session_quit(smtp_cache_remove(smtp_cache_count - 1));
}

/* smtp_session_cache_count - idle connections kept */
size_t
smtp_session_cache_count(void)
{
	return (smtp_cache_count);
}
