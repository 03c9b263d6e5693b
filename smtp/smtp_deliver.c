/*
 * NAME
 *	smtp_deliver - one delivery request: nexthop, fallback relays, status
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	void	smtp_deliver(struct stream *qmgr, struct deliver_request *req);
 *	long	smtp_elapsed_us(const struct deliver_request *req);
 * DESCRIPTION
 *	smtp_deliver() delivers one request read from qmgr: it opens the
 *	queue file (queue_name/queue_id, read-only), tries the request's
 *	nexthop and then, for recipients that are still deferred, each
 *	smtp_fallback_relay in turn (smtp_connect.c), defers whatever is
 *	left with its last recorded reason, and sends the final status.
 *	Its flags: DEL_STAT_THROTTLED when a reply matched
 *	smtp_throttle_reply_patterns (the reply goes along),
 *	DEL_STAT_CONN_REUSED when a cached connection was used, and
 *	DEL_STAT_DEST_DEAD when no server could be reached or greeted us
 *	(connection failures, bad greetings, temporary DNS failures) and
 *	nothing was a throttle: a throttle never marks a destination dead.
 *	When the queue file cannot be opened the final status is -1
 *	(agent failure) and nothing is reported per recipient.
 *
 *	smtp_elapsed_us() is the time since the request was read.
 * SEE ALSO
 *	deliver_request(3), smtp(8)
 */
#include <util/sys_defs.h>
#include <util/argv.h>
#include <util/msg.h>
#include <global/queue.h>

#include <fcntl.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include "smtp.h"

/* smtp_elapsed_us - microseconds since the hand-off */
long
smtp_elapsed_us(const struct deliver_request *req)
{
	struct timeval now;
	long	us;

	gettimeofday(&now, NULL);
	us = (long) (now.tv_sec - req->handoff.tv_sec) * 1000000L
		+ (long) (now.tv_usec - req->handoff.tv_usec);
	return (us > 0 ? us : 0);
}

/* smtp_deliver_sites - the nexthop, then the fallback relays */
static struct argv *
smtp_deliver_sites(const struct deliver_request *req)
{
	struct argv *sites = argv_new(4);
	size_t	i;

	argv_add(sites, req->nexthop);
	for (i = 0; smtp_conf.fallback && i < smtp_conf.fallback->argc; i++)
		if (strcasecmp(smtp_conf.fallback->argv[i], req->nexthop) != 0)
			argv_add(sites, smtp_conf.fallback->argv[i]);
	return (sites);
}

/* smtp_deliver_flags - the final status flags */
static int
smtp_deliver_flags(const struct smtp_state *state)
{
	int	flags = state->final_flags;

	if (!state->any_session && state->dead_candidate
	    && (flags & DEL_STAT_THROTTLED) == 0)
		flags |= DEL_STAT_DEST_DEAD;
	return (flags);
}

/* smtp_deliver - deliver one request */
void
smtp_deliver(struct stream *qmgr, struct deliver_request *req)
{
	struct smtp_state state;
	struct argv *sites;
	size_t	i;

	memset(&state, 0, sizeof(state));
	state.qmgr = qmgr;
	state.req = req;
	state.throttle_reply = buf_new(100);
	req->conn_use = 0;
	req->delay_conn = 0;
	smtp_rcpt_init(&state);
	state.content_fd = queue_open(req->queue_name, req->queue_id, O_RDONLY);
	if (state.content_fd < 0) {
		msg_warn("%s: cannot open queue file %s/%s: %m", req->queue_id,
			 req->queue_name, req->queue_id);
		(void) deliver_status_final(qmgr, DELIVER_FINAL_FAIL, 0, "");
	} else {
		sites = smtp_deliver_sites(req);
		for (i = 0; i < sites->argc && state.rcpt_left > 0; i++) {
			state.is_final_site = (i + 1 == sites->argc);
			smtp_connect_site(&state, sites->argv[i]);
		}
		argv_free(sites);
		smtp_rcpt_flush(&state);
		(void) close(state.content_fd);
		if (deliver_status_final(qmgr, DELIVER_FINAL_OK, smtp_deliver_flags(&state),
					 state.throttle_reply->data) < 0)
			state.qmgr_failed = 1;
		if (state.qmgr_failed)
			msg_warn("%s: lost connection with %s while reporting delivery status",
				 req->queue_id, stream_name(qmgr));
	}
	smtp_rcpt_free(&state);
	buf_free(state.throttle_reply);
}
