/*
 * NAME
 *	dsn_split - split "X.Y.Z text" into a status code and its text
 * SYNOPSIS
 *	#include <global/dsn_split.h>
 *
 *	const char *dsn_split(char status[DSN_STATUS_SIZE],
 *			const char *def_status, const char *text);
 * DESCRIPTION
 *	dsn_split() looks for an enhanced status code (RFC 3463) at the
 *	start of text, as the error(8), retry and discard(8) agents do with
 *	their next-hop text ("5.1.1 no such user"). When there is one,
 *	followed by white space or the end, it is copied to status and
 *	the result points at the text after it and its white space;
 *	otherwise status gets def_status and the result is text with
 *	leading white space skipped. def_status must be a valid code.
 * DIAGNOSTICS
 *	Panic: an invalid def_status.
 * SEE ALSO
 *	dsn(3)
 */
#ifndef POSTERN_DSN_SPLIT_H
#define POSTERN_DSN_SPLIT_H

#include <util/sys_defs.h>
#include <global/dsn.h>

const char *dsn_split(char status[DSN_STATUS_SIZE], const char *def_status,
		              const char *text);

#endif
