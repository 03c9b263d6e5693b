/*
 * NAME
 *	cleanup_bounce - return mail that cannot be queued to its sender
 * SYNOPSIS
 *	#include "cleanup.h"
 *
 *	int	cleanup_bounce(struct cleanup_state *state);
 * DESCRIPTION
 *	When a client asked for CLEANUP_FLAG_BOUNCE (pickup: a maildrop
 *	file must not be retried forever) and a message failed for a
 *	permanent reason (too big, too many hops, no recipients), the
 *	sender gets a non-delivery notification instead of the client an
 *	error: a multipart/report (RFC 3464) with an explanation, the
 *	delivery status of each recipient and the headers of the message,
 *	queued as a new message from the null sender. Each recipient is
 *	logged as bounced, the way a delivery agent logs it, then "sender
 *	non-delivery notification: NEWID".
 *
 *	cleanup_bounce() must be called while the failed queue file is
 *	still open (its headers are copied from there). It returns 0 when
 *	the notification was queued or is not needed (the null sender gets
 *	none: the message is dropped and logged), -1 when it could not be
 *	queued; the failed message's own state is left alone either way.
 * SEE ALSO
 *	bounce(8), RFC 3464
 */
#include <util/sys_defs.h>
#include <util/msg.h>
#include <global/address.h>
#include <global/cleanup_client.h>
#include <global/params.h>

#include <unistd.h>

#include "cleanup.h"

#define CLEANUP_BOUNCE_HEADER_LIMIT	(64 * 1024)

/* cleanup_bounce_line - feed one content line to the bounce message */

static void
cleanup_bounce_line(struct cleanup_state *bounce, const char *fmt,...)
{
	va_list	ap;

	buf_reset(bounce->scratch);
	va_start(ap, fmt);
	buf_vappendf(bounce->scratch, fmt, ap);
	va_end(ap);
	/* cleanup_message() may reuse scratch: pass a copy. */
	{
		struct buf *copy = buf_new(buf_len(bounce->scratch) + 1);

		buf_cpy(copy, buf_str(bounce->scratch));
		cleanup_input(bounce, REC_TYPE_NORM, buf_str(copy), buf_len(copy));
		buf_free(copy);
	}
}

/* cleanup_bounce_headers - copy the failed message's header block */

static void
cleanup_bounce_headers(struct cleanup_state *state, struct cleanup_state *bounce)
{
	struct rec_io *rp;
	struct buf *data = buf_new(256);
	size_t	copied = 0;
	int	type;

	if (state->out == 0 || rec_flush(state->out) < 0
	    || lseek(state->fd, state->env.mesg_offset, SEEK_SET) < 0) {
		buf_free(data);
		return;
	}
	rp = rec_open(state->fd, REC_READ);
	if (rec_get(rp, data, REC_ENVELOPE_LIMIT, NULL) == REC_TYPE_MESG) {
		while ((type = rec_get(rp, data, REC_ENVELOPE_LIMIT, NULL)) == REC_TYPE_NORM
		       || type == REC_TYPE_CONT) {
			if (type == REC_TYPE_NORM && buf_len(data) == 0)
				break;
			if ((copied += buf_len(data)) > CLEANUP_BOUNCE_HEADER_LIMIT)
				break;
			cleanup_input(bounce, type, buf_str(data), buf_len(data));
		}
	}
	(void) rec_close(rp);
	buf_free(data);
}

/* cleanup_bounce_status - one recipient's delivery status */

static void
cleanup_bounce_status(struct cleanup_state *bounce, const struct qfile_rcpt *rcpt,
		      const char *dsn, const char *reason)
{
	cleanup_bounce_line(bounce, "%s", "");
	cleanup_bounce_line(bounce, "Final-Recipient: rfc822; %s", rcpt->address);
	if (rcpt->orig)
		cleanup_bounce_line(bounce, "Original-Recipient: rfc822;%s", rcpt->orig);
	cleanup_bounce_line(bounce, "Action: failed");
	cleanup_bounce_line(bounce, "Status: %s", dsn);
	cleanup_bounce_line(bounce, "Diagnostic-Code: X-Postern; %s", reason);
}

/* cleanup_bounce_text - the notification body */

static void
cleanup_bounce_text(struct cleanup_state *state, struct cleanup_state *bounce,
		    const char *dsn)
{
	const char *id = buf_str(state->queue_id);
	const char *reason = buf_str(state->reason);
	struct buf *date = buf_new(64);
	size_t	i;

	cleanup_bounce_line(bounce, "This is a MIME-encapsulated message.");
	cleanup_bounce_line(bounce, "%s", "");
	cleanup_bounce_line(bounce, "--%s/%s", id, var_myhostname);
	cleanup_bounce_line(bounce, "Content-Description: Notification");
	cleanup_bounce_line(bounce, "Content-Type: text/plain; charset=us-ascii");
	cleanup_bounce_line(bounce, "%s", "");
	cleanup_bounce_line(bounce, "This is the mail system at host %s.", var_myhostname);
	cleanup_bounce_line(bounce, "%s", "");
	cleanup_bounce_line(bounce, "I'm sorry to have to inform you that your message could not");
	cleanup_bounce_line(bounce, "be delivered to one or more recipients. Its headers are attached below.");
	cleanup_bounce_line(bounce, "%s", "");
	cleanup_bounce_line(bounce, "                   The mail system");
	cleanup_bounce_line(bounce, "%s", "");
	for (i = 0; i < state->env.rcpt_count; i++)
		cleanup_bounce_line(bounce, "<%s>: %s", state->env.rcpts[i].address, reason);
	if (state->env.rcpt_count == 0)
		cleanup_bounce_line(bounce, "%s", reason);
	cleanup_bounce_line(bounce, "%s", "");
	cleanup_bounce_line(bounce, "--%s/%s", id, var_myhostname);
	cleanup_bounce_line(bounce, "Content-Description: Delivery report");
	cleanup_bounce_line(bounce, "Content-Type: message/delivery-status");
	cleanup_bounce_line(bounce, "%s", "");
	cleanup_bounce_line(bounce, "Reporting-MTA: dns; %s", var_myhostname);
	cleanup_bounce_line(bounce, "X-Postern-Queue-ID: %s", id);
	cleanup_bounce_line(bounce, "X-Postern-Sender: rfc822; %s", state->env.sender);
	cleanup_date(date, state->env.arrival);
	cleanup_bounce_line(bounce, "Arrival-Date: %s", buf_str(date));
	for (i = 0; i < state->env.rcpt_count; i++)
		cleanup_bounce_status(bounce, state->env.rcpts + i, dsn, reason);
	cleanup_bounce_line(bounce, "%s", "");
	cleanup_bounce_line(bounce, "--%s/%s", id, var_myhostname);
	cleanup_bounce_line(bounce, "Content-Description: Undelivered Message Headers");
	cleanup_bounce_line(bounce, "Content-Type: text/rfc822-headers");
	cleanup_bounce_line(bounce, "%s", "");
	cleanup_bounce_headers(state, bounce);
	cleanup_bounce_line(bounce, "%s", "");
	cleanup_bounce_line(bounce, "--%s/%s--", id, var_myhostname);
	buf_free(date);
}

/* cleanup_bounce_message - queue the notification */

static int
cleanup_bounce_message(struct cleanup_state *state, const char *dsn)
{
	struct cleanup_state *bounce = cleanup_state_new(CLEANUP_FLAG_NONE);
	const char *id = buf_str(state->queue_id);
	struct buf *quoted = buf_new(64);
	int	status;

	if (cleanup_out_open(bounce) == 0) {
		cleanup_input(bounce, REC_TYPE_FROM, "", 0);
		cleanup_input(bounce, REC_TYPE_RCPT, state->env.sender,
			       strlen(state->env.sender));
		cleanup_input(bounce, REC_TYPE_MESG, "", 0);
		cleanup_bounce_line(bounce, "From: %s@%s (Mail Delivery System)",
				    var_empty_address_recipient, var_myhostname);
		cleanup_bounce_line(bounce, "Subject: Undelivered Mail Returned to Sender");
		cleanup_bounce_line(bounce, "To: %s", address_quote(quoted, state->env.sender));
		cleanup_bounce_line(bounce, "Auto-Submitted: auto-replied");
		cleanup_bounce_line(bounce, "MIME-Version: 1.0");
		cleanup_bounce_line(bounce, "Content-Type: multipart/report; report-type=delivery-status;");
		cleanup_bounce_line(bounce, "\tboundary=\"%s/%s\"", id, var_myhostname);
		cleanup_bounce_line(bounce, "Content-Transfer-Encoding: 7bit");
		cleanup_bounce_line(bounce, "%s", "");
		cleanup_bounce_text(state, bounce, dsn);
		cleanup_input(bounce, REC_TYPE_XTRA, "", 0);
		cleanup_input(bounce, REC_TYPE_END, "", 0);
	}
	if ((status = cleanup_out_finish(bounce)) == 0)
		msg_info("%s: sender non-delivery notification: %s", id,
			 buf_str(bounce->queue_id));
	else {
		msg_warn("%s: cannot queue sender non-delivery notification: %s",
			 id, buf_str(bounce->reason));
		cleanup_out_remove(bounce);
	}
	buf_free(quoted);
	cleanup_state_free(bounce);
	return (status);
}

/* cleanup_bounce - bounce a failed message to its sender */

int
cleanup_bounce(struct cleanup_state *state)
{
	const struct cleanup_stat_detail *detail = cleanup_stat_detail(state->errs);
	const char *id = buf_str(state->queue_id);
	size_t	i;

	for (i = 0; i < state->env.rcpt_count; i++)
		msg_info("%s: to=<%s>, relay=none, delay=%ld, delays=0/0/0/0,"
			 " dsn=%s, status=bounced (%s)", id,
			 state->env.rcpts[i].address,
			 (long) (time(NULL) - state->env.arrival), detail->dsn,
			 buf_str(state->reason));
	if (state->env.sender == 0 || *state->env.sender == 0) {
		msg_info("%s: discarding undeliverable mail from the null sender (%s)",
			 id, buf_str(state->reason));
		return (0);
	}
	return (cleanup_bounce_message(state, detail->dsn));
}
