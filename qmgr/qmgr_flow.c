/*
 * NAME
 *	qmgr_flow - in_flow_delay tokens for the input side
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_flow_feed(int imported_incoming);
 *	long	qmgr_flow_wanted(long in_pipe, int active, int active_limit,
 *			int proc_limit, int incoming_busy, int imported);
 * DESCRIPTION
 *	cleanup(8) takes a token from the flow pipe before it accepts a
 *	message and waits up to in_flow_delay when there is none. The
 *	queue manager puts tokens in as it has room, so when delivery falls
 *	behind, acceptance slows down by itself.
 *
 *	qmgr_flow_feed() runs once per event-loop iteration with the number
 *	of messages just imported from incoming/. qmgr_flow_wanted() is
 *	its arithmetic: no tokens while the active queue is full; while
 *	the incoming scan is busy (a backlog) only as many tokens as
 *	messages were just imported; otherwise enough to keep
 *	min(default_process_limit, free active slots) tokens in the pipe.
 *	Nothing is done when in_flow_delay is 0 or the pipe is missing (not
 *	started by master).
 * SEE ALSO
 *	mail_flow(3), cleanup(8)
 */
#include <util/sys_defs.h>
#include <global/mail_flow.h>
#include <global/params.h>

#include "qmgr.h"

/* qmgr_flow_wanted - how many tokens to add now */
long
qmgr_flow_wanted(long in_pipe, int active, int active_limit, int proc_limit,
		         int incoming_busy, int imported)
{
	long	target, want;

	if (active >= active_limit || in_pipe < 0)
		return (0);
	target = active_limit - active;
	if (target > proc_limit)
		target = proc_limit;
	want = target - in_pipe;
	if (incoming_busy && want > imported)
		want = imported;
	return (want > 0 ? want : 0);
}

/* qmgr_flow_feed - top up the flow pipe */
void
qmgr_flow_feed(int imported_incoming)
{
	ssize_t	in_pipe;
	long	want;

	if (var_in_flow_delay <= 0 || (in_pipe = mail_flow_count()) < 0)
		return;
	want = qmgr_flow_wanted((long) in_pipe, qmgr_message_count(),
				var_qmgr_message_active_limit,
				var_default_process_limit,
				qmgr_scan_incoming_busy(), imported_incoming);
	if (want > MAIL_FLOW_MAX)
		want = MAIL_FLOW_MAX;
	if (want > 0)
		(void) mail_flow_put((ssize_t) want);
}
