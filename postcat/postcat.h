/*
 * NAME
 *	postcat - show the records of a queue file
 * SYNOPSIS
 *	#include "postcat.h"
 *
 *	int	postcat_dump(int fd, const char *path, int flags, FILE *out,
 *			struct buf *why);
 *	int	postcat_is_header(const char *line, size_t len);
 * DESCRIPTION
 *	postcat_dump() reads a queue file (or a maildrop file) from fd, one
 *	record after the other without seeking (so a pipe works too), and
 *	writes what flags ask for to out, in Postfix postcat's layout:
 *
 *	    *** ENVELOPE RECORDS deferred/A/ID ***
 *	    message_size:             312             181               2
 *	    message_arrival_time: Mon Nov 23 12:34:56 2020
 *	    sender: alice@example.org
 *	    recipient: bob@example.com
 *	    done_recipient: carol@example.com
 *	    *** MESSAGE CONTENTS deferred/A/ID ***
 *	    Subject: ...
 *
 *	    body
 *	    *** HEADER EXTRACTED deferred/A/ID ***
 *	    *** MESSAGE FILE END deferred/A/ID ***
 *
 *	Envelope and extracted records are "name: value" with the names of
 *	rec_type_name(); TIME and WARN show as asctime(3) dates (a WARN
 *	of 0, no delay warning sent yet, as 0); ATTR as
 *	"named_attribute: name=value". Content lines are copied as they
 *	are; a CONT piece is joined with the rest of its line.
 *	PC_FLAG_PRINT_ENV shows the envelope and extracted records and the
 *	"***" markers, PC_FLAG_PRINT_HEADER the message headers (up to the
 *	first line that is neither a header nor a continuation line),
 *	PC_FLAG_PRINT_BODY the rest. PC_FLAG_PRINT_OFFSET puts each
 *	record's offset in front ("%9lu "), PC_FLAG_PRINT_RTYPE_DEC its
 *	type as a decimal number ("%3d ").
 *
 *	It returns 0 after the END record, or -1 with a reason that names
 *	the offset ("offset 1234: record length 99999 past end of file",
 *	"offset 0: input is not a valid queue file", "offset 80:
 *	premature end of file (no end record)") after showing what could be
 *	read.
 *
 *	postcat_is_header() tells whether a content line starts a header:
 *	a name of printable characters other than ':' and space, optional
 *	blanks, then ':'.
 * SEE ALSO
 *	postcat(1), record(3)
 */
#ifndef POSTERN_POSTCAT_H
#define POSTERN_POSTCAT_H

#include <util/sys_defs.h>
#include <util/buf.h>

#define PC_FLAG_PRINT_OFFSET	(1 << 1)
#define PC_FLAG_PRINT_ENV	(1 << 2)
#define PC_FLAG_PRINT_HEADER	(1 << 3)
#define PC_FLAG_PRINT_BODY	(1 << 4)
#define PC_FLAG_PRINT_RTYPE_DEC	(1 << 5)
#define PC_MASK_PRINT_TEXT	(PC_FLAG_PRINT_HEADER | PC_FLAG_PRINT_BODY)
#define PC_MASK_PRINT_ALL	(PC_FLAG_PRINT_ENV | PC_MASK_PRINT_TEXT)

int	postcat_dump(int fd, const char *path, int flags, FILE *out, struct buf *why);
int	postcat_is_header(const char *line, size_t len);

#endif
