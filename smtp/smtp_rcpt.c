/*
 * NAME
 *	smtp_rcpt - per-recipient bookkeeping of one delivery request
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	void	smtp_rcpt_init(struct smtp_state *state);
 *	void	smtp_rcpt_free(struct smtp_state *state);
 *	void	smtp_rcpt_report(struct smtp_state *state,
 *				struct smtp_rcpt *rcpt, int status,
 *				const char *dsn, const char *relay, int code,
 *				const char *fmt, ...);
 *	void	smtp_rcpt_soft(struct smtp_rcpt *rcpt, const char *dsn,
 *				const char *relay, int code, const char *fmt, ...);
 *	void	smtp_rcpt_fail_pending(struct smtp_state *state,
 *				const char *dsn, const char *relay, int code,
 *				const char *fmt, ...);
 *	void	smtp_rcpt_flush(struct smtp_state *state);
 *	void	smtp_rcpt_throttle(struct smtp_state *state,
 *				const struct smtp_reply *reply, int class_bits);
 * DESCRIPTION
 *	A recipient is PENDING until its outcome is final; then it is
 *	reported to qmgr (and logged) exactly once and becomes DONE.
 *
 *	smtp_rcpt_report() reports a final outcome at once: status 0
 *	(delivered), DELIVER_STAT_BOUNCE, or DELIVER_STAT_DEFER.
 *
 *	smtp_rcpt_soft() records a temporary failure without reporting
 *	it: the recipient stays PENDING so that the next mail exchanger or
 *	fallback relay can still take it; a later failure replaces the
 *	record. smtp_rcpt_flush() reports every recipient still PENDING as
 *	deferred with its last recorded failure.
 *
 *	smtp_rcpt_fail_pending() applies one failure to every PENDING
 *	recipient: a 5.x.x status is reported at once (bounced), a 4.x.x
 *	one recorded as above.
 *
 *	smtp_rcpt_throttle() notes a reply that matched a throttle pattern
 *	(class_bits from smtp_reply_classify()): the final status will
 *	carry DEL_STAT_THROTTLED with the first such reply.
 * SEE ALSO
 *	deliver_request(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/msg.h>

#include "smtp.h"

/* smtp_rcpt_init - recipients of the request */
void
smtp_rcpt_init(struct smtp_state *state)
{
	size_t	i;

	state->rcpt_count = state->req->rcpt_count;
	state->rcpt = xcalloc(state->rcpt_count + 1, sizeof(*state->rcpt));
	for (i = 0; i < state->rcpt_count; i++)
		state->rcpt[i].drcpt = state->req->rcpt + i;
	state->rcpt_left = state->rcpt_count;
}

/* smtp_rcpt_forget - drop a recorded soft failure */
static void
smtp_rcpt_forget(struct smtp_rcpt *rcpt)
{
	free(rcpt->soft_reason);
	free(rcpt->soft_relay);
	rcpt->soft_reason = rcpt->soft_relay = NULL;
	rcpt->has_soft = 0;
}

/* smtp_rcpt_free - release the recipients */
void
smtp_rcpt_free(struct smtp_state *state)
{
	size_t	i;

	for (i = 0; i < state->rcpt_count; i++)
		smtp_rcpt_forget(state->rcpt + i);
	free(state->rcpt);
	state->rcpt = NULL;
	state->rcpt_count = state->rcpt_left = 0;
}

/* smtp_rcpt_vreport - report one final outcome */
static void
smtp_rcpt_vreport(struct smtp_state *state, struct smtp_rcpt *rcpt, int status,
		          const char *dsn, const char *relay, int code,
		          const char *fmt, va_list ap)
{
	struct buf *reason = buf_new(100);
	struct deliver_rcpt owed = *rcpt->drcpt;
	const char *action = NULL;

	if (rcpt->state == SMTP_RCPT_DONE)
		msg_panic("smtp_rcpt_report: %s reported twice", rcpt->drcpt->address);
	buf_vappendf(reason, fmt, ap);

	/*
	 * RFC 3461: a server without DSN support cannot notify on success, so
	 * we report "relayed"; one with DSN got NOTIFY and takes over.
	 */
	if (status == DELIVER_STAT_OK && state->is_relayed
	    && (owed.dsn_notify & DSN_NOTIFY_SUCCESS))
		action = DSN_ACTION_RELAYED;
	else
		owed.dsn_notify &= ~DSN_NOTIFY_SUCCESS;
	state->req->delay_xfer = -1;
	if (deliver_status_rcpt_reply(state->qmgr, state->req, &owed, status,
				      dsn, action, reason->data, relay, code) < 0)
		state->qmgr_failed = 1;
	rcpt->state = SMTP_RCPT_DONE;
	state->rcpt_left--;
	smtp_rcpt_forget(rcpt);
	buf_free(reason);
}

/* smtp_rcpt_report - report one final outcome */
void
smtp_rcpt_report(struct smtp_state *state, struct smtp_rcpt *rcpt, int status,
		         const char *dsn, const char *relay, int code,
		         const char *fmt,...)
{
	va_list	ap;

	va_start(ap, fmt);
	smtp_rcpt_vreport(state, rcpt, status, dsn, relay, code, fmt, ap);
	va_end(ap);
}

/* smtp_rcpt_vsoft - record a temporary failure */
static void
smtp_rcpt_vsoft(struct smtp_rcpt *rcpt, const char *dsn, const char *relay,
		        int code, const char *fmt, va_list ap)
{
	struct buf *reason = buf_new(100);

	buf_vappendf(reason, fmt, ap);
	smtp_rcpt_forget(rcpt);
	rcpt->has_soft = 1;
	snprintf(rcpt->soft_dsn, sizeof(rcpt->soft_dsn), "%s", dsn);
	rcpt->soft_dsn[0] = '4';
	rcpt->soft_reason = buf_steal(reason);
	rcpt->soft_relay = xstrdup(relay ? relay : "none");
	rcpt->soft_code = code;
}

/* smtp_rcpt_soft - record a temporary failure */
void
smtp_rcpt_soft(struct smtp_rcpt *rcpt, const char *dsn, const char *relay,
	               int code, const char *fmt,...)
{
	va_list	ap;

	va_start(ap, fmt);
	smtp_rcpt_vsoft(rcpt, dsn, relay, code, fmt, ap);
	va_end(ap);
}

/* smtp_rcpt_fail_pending - one failure for everyone still pending */
void
smtp_rcpt_fail_pending(struct smtp_state *state, const char *dsn,
		               const char *relay, int code, const char *fmt,...)
{
	struct smtp_rcpt *rcpt;
	va_list	ap;

	for (rcpt = state->rcpt; rcpt < state->rcpt + state->rcpt_count; rcpt++) {
		if (rcpt->state != SMTP_RCPT_PENDING)
			continue;
		va_start(ap, fmt);
		if (dsn[0] == '5')
			smtp_rcpt_vreport(state, rcpt, DELIVER_STAT_BOUNCE, dsn, relay,
					  code, fmt, ap);
		else
			smtp_rcpt_vsoft(rcpt, dsn, relay, code, fmt, ap);
		va_end(ap);
	}
}

/* smtp_rcpt_flush - defer what is still pending */
void
smtp_rcpt_flush(struct smtp_state *state)
{
	struct smtp_rcpt *rcpt;

	for (rcpt = state->rcpt; rcpt < state->rcpt + state->rcpt_count; rcpt++) {
		if (rcpt->state != SMTP_RCPT_PENDING)
			continue;
		if (!rcpt->has_soft)
			smtp_rcpt_soft(rcpt, "4.3.0", "none", 0,
				       "delivery was not attempted");
		smtp_rcpt_report(state, rcpt, DELIVER_STAT_DEFER, rcpt->soft_dsn,
				 rcpt->soft_relay, rcpt->soft_code, "%s",
				 rcpt->soft_reason);
	}
}

/* smtp_rcpt_throttle - remember a throttle reply */
void
smtp_rcpt_throttle(struct smtp_state *state, const struct smtp_reply *reply,
		           int class_bits)
{
	if ((class_bits & SMTP_CLASS_THROTTLE) == 0)
		return;
	if ((state->final_flags & DEL_STAT_THROTTLED) == 0)
		buf_cpy(state->throttle_reply, reply->text->data);
	state->final_flags |= DEL_STAT_THROTTLED;
}
