/*
 * NAME
 *	logfile - per-message delivery logs: defer/ID, bounce/ID
 * SYNOPSIS
 *	#include <global/logfile.h>
 *
 *	void	logfile_entry_init(struct logfile_entry *entry);
 *	void	logfile_entry_free(struct logfile_entry *entry);
 *
 *	int	logfile_read(const char *queue_name, const char *id,
 *			logfile_fn fn, void *ctx);
 *	int	logfile_parse(struct stream *stream, const char *name,
 *			logfile_fn fn, void *ctx);
 *
 *	void	logfile_format(struct buf *out,
 *			const struct logfile_entry *entry);
 *	int	logfile_append(const char *queue_name, const char *id,
 *			const struct logfile_entry *entry, struct buf *why);
 * DESCRIPTION
 *	qmgr appends one entry per recipient result to defer/ID (temporary
 *	failures) or bounce/ID (permanent failures); bounce(8) reads them
 *	to build delivery status notifications and showq reads defer/ID
 *	for the reasons that mailq shows. The queues are hashed like the
 *	mail queues (queue_path()).
 *
 *	An entry is a block of "name=value" lines ended by an empty line:
 *
 *	    recipient=user@example.com
 *	    orig_recipient=user@example.com
 *	    offset=1234
 *	    dsn_notify=0
 *	    status=4.4.1
 *	    action=delayed
 *	    reason=connect to x[192.0.2.1]:25: Connection refused
 *	    relay=x[192.0.2.1]:25
 *	    time=1700000000
 *
 *	Values are single lines. A value of recipient or orig_recipient
 *	written in angle brackets has them removed. Optional names the
 *	reader also knows: diag_type, diag_text (e.g. "smtp", "550 5.1.1
 *	User unknown"), mta_type, mta_name (e.g. "dns", "mx.example.com").
 *	Other names are ignored, so a newer writer can add information
 *	without breaking an older reader.
 *
 *	logfile_read() opens QUEUE/ID (hashed as the queue says; the
 *	caller runs in queue_directory) and calls fn for each complete
 *	entry, in file order; fn returns 0 to go on or non-zero to stop.
 *	The entry and its strings are valid only during the call. It
 *	returns the number of entries passed to fn, or -1 with errno when
 *	the file cannot be opened (ENOENT: no such log) or read.
 *	logfile_parse() does the same on an open stream; name is used in
 *	diagnostics.
 *
 *	The reader is forgiving where a crash or a bad hand could have
 *	damaged a file, and says so: a line without "=", a line longer
 *	than LOGFILE_LINE_LIMIT, a bad number, or an entry without a
 *	recipient draws a warning "NAME, line N: ..." and is skipped;
 *	the rest of the file is still read. A last entry without its empty
 *	line (a partial write) is still passed on when it has a recipient.
 *
 *	logfile_format() formats one entry, empty line included, replacing
 *	control characters in values by spaces. logfile_append() appends
 *	one entry with a single write() to QUEUE/ID (created mode 0600,
 *	with a missing hash directory), and fsyncs it; it returns 0, or -1
 *	with errno and a reason in why.
 * SEE ALSO
 *	bounce(8), qmgr(8), queue(3)
 */
#ifndef POSTERN_LOGFILE_H
#define POSTERN_LOGFILE_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/stream.h>
#include <time.h>

#define LOGFILE_LINE_LIMIT	(64 * 1024)

 /*
  * Attribute names in the file.
  */
#define LOGFILE_ATTR_RCPT	"recipient"
#define LOGFILE_ATTR_ORCPT	"orig_recipient"
#define LOGFILE_ATTR_OFFSET	"offset"
#define LOGFILE_ATTR_NOTIFY	"dsn_notify"
#define LOGFILE_ATTR_STATUS	"status"
#define LOGFILE_ATTR_ACTION	"action"
#define LOGFILE_ATTR_REASON	"reason"
#define LOGFILE_ATTR_RELAY	"relay"
#define LOGFILE_ATTR_TIME	"time"
#define LOGFILE_ATTR_DTYPE	"diag_type"
#define LOGFILE_ATTR_DTEXT	"diag_text"
#define LOGFILE_ATTR_MTYPE	"mta_type"
#define LOGFILE_ATTR_MNAME	"mta_name"

 /*
  * One entry. String members are NULL when the line was absent.
  */
struct logfile_entry {
	char   *recipient;
	char   *orig_recipient;
	long	offset;			/* -1 when absent */
	int	dsn_notify;		/* DSN_NOTIFY_* mask, 0 = unspecified */
	char   *status;			/* "4.4.1" */
	char   *action;			/* "delayed", "failed" */
	char   *reason;
	char   *relay;
	time_t	time;			/* 0 when absent */
	char   *diag_type;
	char   *diag_text;
	char   *mta_type;
	char   *mta_name;
};

typedef int (*logfile_fn) (const struct logfile_entry *entry, void *ctx);

void	logfile_entry_init(struct logfile_entry *entry);
void	logfile_entry_free(struct logfile_entry *entry);
int	logfile_read(const char *queue_name, const char *id, logfile_fn fn,
		             void *ctx);
int	logfile_parse(struct stream *stream, const char *name, logfile_fn fn,
		              void *ctx);
void	logfile_format(struct buf *out, const struct logfile_entry *entry);
int	logfile_append(const char *queue_name, const char *id,
		               const struct logfile_entry *entry, struct buf *why);

#endif
