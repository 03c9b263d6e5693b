/*
 * NAME
 *	mail_flow - in_flow_delay tokens
 * SYNOPSIS
 *	#include <global/mail_flow.h>
 *
 *	ssize_t	mail_flow_get(ssize_t count);
 *	ssize_t	mail_flow_put(ssize_t count);
 *	ssize_t	mail_flow_count(void);
 *	int	mail_flow_wait(long timeout_ms);
 * DESCRIPTION
 *	master(8) creates one pipe per instance and hands its ends to every
 *	child as MASTER_FLOW_READ (3) and MASTER_FLOW_WRITE (4), both
 *	non-blocking. The bytes in that pipe are tokens: qmgr puts one for
 *	each message it has room for, cleanup takes one before it accepts a
 *	message, waiting at most in_flow_delay when there is none. So when
 *	delivery falls behind, the input side slows down by itself.
 *
 *	mail_flow_get() takes up to count (at most MAIL_FLOW_MAX) tokens
 *	without waiting and
 *	returns how many it got (at least 1), or -1 when none was there
 *	(errno EAGAIN) or the pipe is not available. mail_flow_put() adds
 *	count tokens and returns count, or -1 when the pipe is full (EAGAIN;
 *	some tokens may have been added) or not available.
 *	mail_flow_count() returns the number of tokens in the pipe, or -1.
 *	mail_flow_wait() waits at most timeout_ms milliseconds (0: do not
 *	wait) for one token and takes it: 0 when it got one, -1 when it
 *	timed out (ETIMEDOUT) or the pipe is not available. A process that
 *	was not started by master (no descriptors 3 and 4) gets -1 (EBADF)
 *	from all of these; callers then simply go on without flow control.
 * SEE ALSO
 *	master(8), master_proto(3)
 */
#ifndef POSTERN_MAIL_FLOW_H
#define POSTERN_MAIL_FLOW_H

#include <util/sys_defs.h>

#define MAIL_FLOW_READ_FD	3	/* = MASTER_FLOW_READ */
#define MAIL_FLOW_WRITE_FD	4	/* = MASTER_FLOW_WRITE */
#define MAIL_FLOW_MAX	4096		/* tokens per call */

ssize_t	mail_flow_get(ssize_t count);
ssize_t	mail_flow_put(ssize_t count);
ssize_t	mail_flow_count(void);
int	mail_flow_wait(long timeout_ms);

#endif
