/*
 * NAME
 *	maildrop - the maildrop file format (sendmail, postdrop, pickup)
 * SYNOPSIS
 *	#include <global/maildrop.h>
 *
 *	void	maildrop_check_init(struct maildrop_check *mc, int has_time);
 *	int	maildrop_check_record(struct maildrop_check *mc, int type,
 *			const char *data, size_t len, struct buf *why);
 *	int	maildrop_check_eof(struct maildrop_check *mc, struct buf *why);
 * DESCRIPTION
 *	A local submission travels as queue file records (record(3)):
 *	sendmail writes them to postdrop's standard input, postdrop checks
 *	them and stores them in maildrop/ID with its own arrival time in
 *	front, and pickup checks them again before it hands them to
 *	cleanup. The grammar:
 *
 *	    file    = [TIME] envelope MESG content XTRA END
 *	    envelope = *(FULL / FROM / ATTR / rcpt)   (exactly one FROM,
 *	                                             at most one FULL)
 *	    rcpt    = [ORCP] [NTFY] RCPT
 *	    content = *(NORM / CONT)                 (no partial last line)
 *
 *	TIME ("seconds microseconds") is there in maildrop files and not
 *	in sendmail's output. MESG, XTRA and END carry no data. ATTR
 *	records are "name=value" with these names only:
 *	MAIL_ATTR_FLAGS (a decimal mask of CLEANUP_FLAG_EXTRACT for
 *	sendmail -t), MAIL_ATTR_DSN_NOTIFY (a DSN_NOTIFY_* mask for the
 *	recipients that -t extracts), MAIL_ATTR_DSN_ENVID (printable, at most
 *	DSN_ENVID_MAX bytes), MAIL_ATTR_DSN_RET (DSN_RET_FULL or
 *	DSN_RET_HDRS in decimal), MAIL_ATTR_ENCODING (7BIT or 8BITMIME).
 *	NTFY is a decimal DSN_NOTIFY_* mask. Sender, full name and
 *	recipients have no control characters and at most
 *	MAILDROP_TEXT_LIMIT bytes; content records at most
 *	MAILDROP_LINE_LIMIT. A file without RCPT is valid only with the
 *	extract flag.
 *
 *	maildrop_check_init() starts checking a stream; has_time says
 *	whether it must begin with TIME. maildrop_check_record() checks the
 *	next record and returns 0, or -1 with a reason in why (e.g.
 *	"unexpected content record in envelope"). maildrop_check_eof()
 *	checks that the stream ended after END; 0 or -1 with why.
 *
 *	The checker's fields after END describe the file: flags, sender
 *	presence and recipient count.
 * SEE ALSO
 *	record(3), sendmail(1), postdrop(1), pickup(8)
 */
#ifndef POSTERN_MAILDROP_H
#define POSTERN_MAILDROP_H

#include <util/sys_defs.h>
#include <util/buf.h>

#define MAILDROP_TEXT_LIMIT	4096	/* sender, recipient, full name */
#define MAILDROP_LINE_LIMIT	(64 * 1024)	/* one content record */

enum maildrop_phase {
	MAILDROP_PHASE_TIME,		/* expecting TIME */
	MAILDROP_PHASE_ENVELOPE,
	MAILDROP_PHASE_CONTENT,
	MAILDROP_PHASE_XTRA,		/* after XTRA, expecting END */
	MAILDROP_PHASE_END,		/* END seen */
};

struct maildrop_check {
	enum maildrop_phase phase;
	int	nfrom;
	int	nfull;
	int	group;			/* ORCP/NTFY seen before RCPT */
	int	in_line;		/* last content record was CONT */
	long	nrcpt;
	int	flags;			/* from the flags attribute */
	long	nrecords;
};

void	maildrop_check_init(struct maildrop_check *mc, int has_time);
int	maildrop_check_record(struct maildrop_check *mc, int type,
		const char *data, size_t len, struct buf *why);
int	maildrop_check_eof(struct maildrop_check *mc, struct buf *why);

#endif
