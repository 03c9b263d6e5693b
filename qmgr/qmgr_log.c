/*
 * NAME
 *	qmgr_log - Postfix-shaped per-recipient log lines of the queue manager
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_log_delay(struct buf *out, double seconds);
 *	void	qmgr_log_recipient(const struct qmgr_message *message,
 *			size_t index, const char *relay, const char *status,
 *			const char *word, const char *reason);
 *	void	qmgr_log_line(struct buf *out,
 *			const struct qmgr_message *message, size_t index,
 *			const char *relay, const char *status, const char *word,
 *			const char *reason, const struct timeval *now);
 * DESCRIPTION
 *	The queue manager logs a recipient line itself only for recipients
 *	it defers or fails without a delivery agent (dead destination,
 *	defer_transports, resolver or agent failure); the agents log the
 *	rest. The shape is Postfix's:
 *
 *	    ID: to=<rcpt>, orig_to=<orig>, relay=none, delay=1.2,
 *	    delays=0.1/1.1/0/0, dsn=4.4.1, status=deferred (reason)
 *
 *	with orig_to only when it differs from to; addresses in external
 *	(quoted) form. delays are: before the active queue, in the active
 *	queue, connection setup (0 here), transmission (0 here).
 *
 *	qmgr_log_delay() appends one delay value as Postfix prints it:
 *	whole seconds (truncated) from 10 s up, one decimal from 1 s, below that at
 *	most two decimals without trailing zeros, "0" below 0.01 s.
 *	qmgr_log_line() formats a whole line (without the program prefix)
 *	into out; qmgr_log_recipient() logs it with msg_info().
 * SEE ALSO
 *	msg(3)
 */
#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/address.h>

#include "qmgr.h"

/* qmgr_log_delay - one delay value */
void
qmgr_log_delay(struct buf *out, double seconds)
{
	long	hundredths;

	if (seconds < 0)
		seconds = 0;
	if (seconds >= 10) {
		buf_appendf(out, "%ld", (long) seconds);
	} else if (seconds >= 1) {
		buf_appendf(out, "%ld.%ld", (long) seconds,
			    (long) (seconds * 10) % 10);
	} else if ((hundredths = (long) (seconds * 100 + 1e-9)) == 0) {
		buf_cat(out, "0");
	} else if (hundredths % 10 == 0) {
		buf_appendf(out, "0.%ld", hundredths / 10);
	} else {
		buf_appendf(out, "0.%02ld", hundredths);
	}
}

/* qmgr_log_elapsed - seconds between two times, never negative */
static double
qmgr_log_elapsed(const struct timeval *from, const struct timeval *to)
{
	double	d = (double) (to->tv_sec - from->tv_sec)
	+ (double) (to->tv_usec - from->tv_usec) / 1e6;

	return (d > 0 ? d : 0);
}

/* qmgr_log_line - format one recipient line */
void
qmgr_log_line(struct buf *out, const struct qmgr_message *message,
	              size_t index, const char *relay, const char *status,
	              const char *word, const char *reason,
	              const struct timeval *now)
{
	const struct qfile_rcpt *rcpt = message->env.rcpts + index;
	struct buf *quoted = buf_new(100);
	struct timeval arrival;

	arrival.tv_sec = message->env.arrival;
	arrival.tv_usec = (suseconds_t) message->env.arrival_usec;
	buf_printf(out, "%s: to=<%s>, ", message->queue_id,
		   address_quote(quoted, rcpt->address));
	if (rcpt->orig != NULL && *rcpt->orig != 0
	    && strcmp(rcpt->orig, rcpt->address) != 0)
		buf_appendf(out, "orig_to=<%s>, ", address_quote(quoted, rcpt->orig));
	buf_appendf(out, "relay=%s, delay=", relay);
	qmgr_log_delay(out, qmgr_log_elapsed(&arrival, now));
	buf_cat(out, ", delays=");
	qmgr_log_delay(out, qmgr_log_elapsed(&arrival, &message->active_time));
	buf_cat(out, "/");
	qmgr_log_delay(out, qmgr_log_elapsed(&message->active_time, now));
	buf_appendf(out, "/0/0, dsn=%s, status=%s (%s)", status, word, reason);
	buf_free(quoted);
}

/* qmgr_log_recipient - log one recipient line now */
void
qmgr_log_recipient(const struct qmgr_message *message, size_t index,
		           const char *relay, const char *status,
		           const char *word, const char *reason)
{
	struct buf *line = buf_new(256);
	struct timeval now;

	gettimeofday(&now, NULL);
	qmgr_log_line(line, message, index, relay, status, word, reason, &now);
	msg_info("%s", buf_str(line));
	buf_free(line);
}
