/*
 * NAME
 *	discard - private interface of the discard delivery agent
 * SYNOPSIS
 *	#include "discard.h"
 *
 *	const char *discard_outcome(const char *nexthop,
 *			char status[DSN_STATUS_SIZE]);
 *	void	discard_service(struct stream *client);
 * DESCRIPTION
 *	discard_outcome() gives the status code (2.0.0, or the 2.X.X code
 *	the next-hop text starts with) and the reason logged for every
 *	recipient: the next-hop text, or "discarded" when it is empty.
 *
 *	discard_service() serves one connection from qmgr: every recipient
 *	is reported delivered (status=sent, relay=none) and nothing is
 *	delivered anywhere.
 */
#ifndef POSTERN_DISCARD_H
#define POSTERN_DISCARD_H

#include <util/sys_defs.h>
#include <util/stream.h>
#include <global/dsn.h>

const char *discard_outcome(const char *nexthop, char status[DSN_STATUS_SIZE]);
void	discard_service(struct stream *client);

#endif
