/*
 * NAME
 *	error - private interface of the error and retry delivery agents
 * SYNOPSIS
 *	#include "error.h"
 *
 *	int	error_outcome(int mode, const char *nexthop,
 *			char status[DSN_STATUS_SIZE], const char **reason);
 *	void	error_service(struct stream *client, int mode);
 * DESCRIPTION
 *	error_outcome() decides what happens to every recipient of a
 *	request: mode ERROR_MODE_BOUNCE (the error service) bounces with
 *	the next-hop text as the reason and status 5.0.0, or the status
 *	code the text starts with ("5.1.1 no such user"); a 4.X.X code
 *	defers instead, as Postfix's error(8). Mode ERROR_MODE_RETRY (the
 *	retry service) always defers, with 4.0.0 or the 4.X.X code the text
 *	starts with. An empty text gives a fixed reason. The result is the
 *	delivery status (DELIVER_STAT_BOUNCE or DELIVER_STAT_DEFER); status
 *	and *reason (which points into nexthop or at a constant) say why.
 *
 *	error_service() serves one connection from qmgr: every recipient
 *	of every request gets the outcome, logged with relay=none.
 */
#ifndef POSTERN_ERROR_H
#define POSTERN_ERROR_H

#include <util/sys_defs.h>
#include <util/stream.h>
#include <global/dsn.h>

#define ERROR_MODE_BOUNCE	1	/* error */
#define ERROR_MODE_RETRY	2	/* retry */

int	error_outcome(int mode, const char *nexthop,
		              char status[DSN_STATUS_SIZE], const char **reason);
void	error_service(struct stream *client, int mode);

#endif
