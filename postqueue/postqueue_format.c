/*
 * NAME
 *	postqueue_format - mailq text and JSON output
 * SYNOPSIS
 *	#include "postqueue.h"
 * DESCRIPTION
 *	See postqueue.h. The layout constants are Postfix's for
 *	enable_long_queue_ids = yes (showq_compat.c): they are part of the
 *	interface that scripts parse.
 * SEE ALSO
 *	postqueue(1)
 */
#include <util/sys_defs.h>
#include <time.h>

#include "postqueue.h"

#define PQ_STRING_FORMAT	"%-17s %8s %-19s %s\n"
#define PQ_SENDER_FORMAT	"%-17s %8ld %19.19s %s\n"
#define PQ_REASON_COLUMN	76	/* "(reason)" ends in column 78 */

/* postqueue_asctime - "Mon Nov 23 12:34:56" in local time */

void
postqueue_asctime(struct buf *out, long when)
{
	time_t	t = (time_t) when;
	struct tm tm;
	char	text[64];

	if (localtime_r(&t, &tm) == NULL
	    || strftime(text, sizeof(text), "%a %b %e %H:%M:%S", &tm) == 0)
		snprintf(text, sizeof(text), "??");
	buf_cat(out, text);
}

/* postqueue_text_init - nothing shown yet */

void
postqueue_text_init(struct postqueue_text *pt)
{
	pt->bytes = 0;
	pt->count = 0;
	pt->reason = buf_new(128);
	pt->scratch = buf_new(128);
	pt->date = buf_new(32);
	pt->id = buf_new(32);
}

/* postqueue_text_free - release */

void
postqueue_text_free(struct postqueue_text *pt)
{
	buf_free(pt->reason);
	buf_free(pt->scratch);
	buf_free(pt->date);
	buf_free(pt->id);
}

/* postqueue_text_sender - the message line */

static void
postqueue_text_sender(struct postqueue_text *pt, const struct showq_msg *msg,
		      struct buf *out)
{
	const char *queue = buf_str(msg->queue_name);

	buf_cpy(pt->id, buf_str(msg->queue_id));
	if (strcmp(queue, "active") == 0)
		buf_putc(pt->id, '*');
	else if (strcmp(queue, "hold") == 0)
		buf_putc(pt->id, '!');
	if (msg->forced_expire)
		buf_putc(pt->id, '#');
	buf_reset(pt->date);
	postqueue_asctime(pt->date, msg->arrival);
	buf_reset(pt->scratch);
	showq_printable(pt->scratch, buf_str(msg->sender));
	buf_appendf(out, PQ_SENDER_FORMAT, buf_str(pt->id), msg->size,
		    buf_str(pt->date), buf_str(pt->scratch));
}

/* postqueue_text_rcpt - an optional reason line and the recipient */

static void
postqueue_text_rcpt(struct postqueue_text *pt, const struct showq_rcpt *rcpt,
		    struct buf *out)
{
	const char *show;
	int	padding;

	buf_reset(pt->scratch);
	showq_printable(pt->scratch, buf_str(rcpt->reason));
	if (strcmp(buf_str(pt->scratch), buf_str(pt->reason)) != 0) {
		buf_cpy(pt->reason, buf_str(pt->scratch));
		show = buf_len(pt->reason) ? buf_str(pt->reason) : "reason unavailable";
		if ((padding = PQ_REASON_COLUMN - (int) strlen(show)) < 0)
			padding = 0;
		buf_appendf(out, "%*s(%s)\n", padding, "", show);
	}
	buf_reset(pt->scratch);
	showq_printable(pt->scratch, buf_str(rcpt->address));
	buf_appendf(out, PQ_STRING_FORMAT, "", "", "", buf_str(pt->scratch));
}

/* postqueue_text_msg - heading or separator, message, recipients */

void
postqueue_text_msg(struct postqueue_text *pt, const struct showq_msg *msg,
		   struct buf *out)
{
	size_t	i;

	if (pt->count++ > 0)
		buf_putc(out, '\n');
	else
		buf_appendf(out, PQ_STRING_FORMAT, "----Queue ID-----", "--Size--",
			    "---Arrival Time----", "--Sender/Recipient------");
	postqueue_text_sender(pt, msg, out);
	buf_reset(pt->reason);
	for (i = 0; i < msg->rcpt_count; i++)
		postqueue_text_rcpt(pt, msg->rcpts + i, out);
	if (msg->size > 0)
		pt->bytes += (unsigned long long) msg->size;
}

/* postqueue_text_end - the summary line */

void
postqueue_text_end(struct postqueue_text *pt, struct buf *out)
{
	if (pt->count == 0)
		buf_cat(out, "Mail queue is empty\n");
	else
		buf_appendf(out, "\n-- %llu Kbytes in %lu Request%s.\n",
			    pt->bytes / 1024, pt->count, pt->count == 1 ? "" : "s");
}

/* postqueue_json_field - ", \"name\": \"value\"" */

static void
postqueue_json_field(struct buf *out, const char *sep, const char *name,
		     const char *value)
{
	buf_appendf(out, "%s\"%s\": \"", sep, name);
	showq_json_quote(out, value);
	buf_putc(out, '"');
}

/* postqueue_json_msg - one message as one line of JSON */

void
postqueue_json_msg(const struct showq_msg *msg, struct buf *out)
{
	const struct showq_rcpt *rcpt;
	size_t	i;

	postqueue_json_field(out, "{", "queue_name", buf_str(msg->queue_name));
	postqueue_json_field(out, ", ", "queue_id", buf_str(msg->queue_id));
	buf_appendf(out, ", \"arrival_time\": %ld, \"message_size\": %ld, "
		    "\"forced_expire\": %s", msg->arrival, msg->size,
		    msg->forced_expire ? "true" : "false");
	postqueue_json_field(out, ", ", "sender", buf_str(msg->sender));
	buf_cat(out, ", \"recipients\": [");
	for (i = 0; i < msg->rcpt_count; i++) {
		rcpt = msg->rcpts + i;
		postqueue_json_field(out, i ? ", {" : "{", "address",
				     buf_str(rcpt->address));
		if (buf_len(rcpt->reason) > 0)
			postqueue_json_field(out, ", ", "delay_reason",
					     buf_str(rcpt->reason));
		postqueue_json_field(out, ", ", "transport", buf_str(rcpt->transport));
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
	postqueue_json_field(out, ", ", "priority", buf_str(msg->priority));
	buf_cat(out, "}\n");
}
