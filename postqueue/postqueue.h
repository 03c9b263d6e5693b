/*
 * NAME
 *	postqueue - output formats of the queue listing
 * SYNOPSIS
 *	#include "postqueue.h"
 *
 *	void	postqueue_text_init(struct postqueue_text *pt);
 *	void	postqueue_text_msg(struct postqueue_text *pt,
 *			const struct showq_msg *msg, struct buf *out);
 *	void	postqueue_text_end(struct postqueue_text *pt, struct buf *out);
 *	void	postqueue_text_free(struct postqueue_text *pt);
 *
 *	void	postqueue_json_msg(const struct showq_msg *msg, struct buf *out);
 *
 *	void	postqueue_asctime(struct buf *out, long when);
 * DESCRIPTION
 *	postqueue_text_*() produce Postfix's mailq layout with long queue
 *	IDs, byte for byte: the heading
 *
 *	    ----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------
 *
 *	before the first message, an empty line between messages, per
 *	message "ID[*!#] size date sender" ("%-17s %8ld %19.19s %s"; * for
 *	the active queue, ! for hold, # when force-expired), then the
 *	recipients indented by 47 columns. When a recipient's deferral
 *	reason differs from the previous recipient's, the reason is shown
 *	in parentheses on a line of its own, right-aligned so that it ends
 *	in column 78 (a longer reason starts in column 1: Postfix does not
 *	fold it); "(reason unavailable)" when a recipient has no reason but
 *	the previous one had. postqueue_text_end() appends
 *	"-- N Kbytes in M Requests." (the sum of the message sizes, in
 *	kilobytes rounded down; "Request." for one) after an empty line,
 *	or "Mail queue is empty". Addresses and reasons are made printable:
 *	control characters and bytes that are not part of valid UTF-8
 *	become '?'.
 *
 *	postqueue_json_msg() appends one JSON object and a newline, with
 *	Postfix's field names and separators: queue_name, queue_id,
 *	arrival_time, message_size, forced_expire, sender, recipients
 *	(address, delay_reason when there is one, transport), then priority;
 *	strings are escaped with showq_json_quote(), so the output is valid
 *	JSON for any input bytes.
 *
 *	postqueue_asctime() appends
 *	the first 19 characters of asctime(3) for a time in the local time
 *	zone ("Mon Nov 23 12:34:56").
 * SEE ALSO
 *	postqueue(1), showq(8)
 */
#ifndef POSTERN_POSTQUEUE_H
#define POSTERN_POSTQUEUE_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <showq/showq.h>

struct postqueue_text {
	unsigned long long bytes;	/* sum of message sizes */
	unsigned long count;		/* messages shown */
	struct buf *reason;		/* previous recipient's reason */
	struct buf *scratch;
	struct buf *date;
	struct buf *id;
};

void	postqueue_text_init(struct postqueue_text *pt);
void	postqueue_text_msg(struct postqueue_text *pt, const struct showq_msg *msg,
			           struct buf *out);
void	postqueue_text_end(struct postqueue_text *pt, struct buf *out);
void	postqueue_text_free(struct postqueue_text *pt);

void	postqueue_json_msg(const struct showq_msg *msg, struct buf *out);

void	postqueue_asctime(struct buf *out, long when);

#endif
