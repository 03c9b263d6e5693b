/*
 * NAME
 *	bounce_dsn - compose a delivery status notification (RFC 3464)
 * SYNOPSIS
 *	#include "bounce.h"
 *
 *	void	bounce_dsn_compose(const struct bounce_info *info,
 *			const struct bounce_rcpt *rcpts, size_t count,
 *			const struct bounce_original *orig,
 *			bounce_line_fn fn, void *ctx);
 *	void	bounce_dsn_date(struct buf *out, time_t when);
 *	void	bounce_dsn_diag(struct bounce_rcpt *rcpt, const char *relay);
 *	void	bounce_dsn_wrap(const char *text, bounce_line_fn fn, void *ctx);
 *	void	bounce_rcpt_free(struct bounce_rcpt *rcpt);
 * DESCRIPTION
 *	The text follows Postfix's default bounce templates word for word,
 *	so that people and scripts that know Postfix's notifications
 *	recognise Postern's. Everything the notification depends on comes
 *	in through the arguments: this module reads no parameters, no
 *	clock and no files, so a test can check its output byte for byte.
 *
 *	A success notice (BOUNCE_KIND_SUCCESS, RFC 3461 NOTIFY=SUCCESS)
 *	has Postfix's "Successful Mail Delivery Report" subject and text;
 *	each recipient carries its own action (delivered, relayed,
 *	expanded) and a relayed one the next hop's reply as
 *	"Diagnostic-Code: smtp; 250 ...".
 *
 *	Text that comes from outside (reasons, remote replies) is reduced
 *	to printable ASCII in the human-readable and delivery-status
 *	parts (both are us-ascii); other bytes become '?'.
 * SEE ALSO
 *	RFC 3462 (multipart/report), RFC 3464 (message/delivery-status)
 */
#include <util/sys_defs.h>
#include <strings.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <global/address.h>
#include <global/dsn.h>

#include "bounce.h"

#define BOUNCE_WRAP_LENGTH	79	/* as Postfix's bounce_print_wrap() */
#define BOUNCE_WRAP_INDENT	4

 /*
  * Output state: the line being formatted and where it goes.
  */
struct bounce_out {
	bounce_line_fn fn;
	void   *ctx;
	struct buf *line;
	struct buf *scratch;
};

 /*
  * Template texts (Postfix's bounce.cf defaults). The first line, "This
  * is the mail system at host ...", is formatted separately.
  */
static const char *const bounce_failure_text[] = {
	"I'm sorry to have to inform you that your message could not",
	"be delivered to one or more recipients. It's attached below.",
	0,
};

static const char *const bounce_delay_banner[] = {
	"####################################################################",
	"# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #",
	"####################################################################",
	0,
};

static const char *const bounce_success_text[] = {
	"Your message was successfully delivered to the destination(s)",
	"listed below. If the message was delivered to mailbox you will",
	"receive no further notifications. Otherwise you may still receive",
	"notifications of mail delivery errors from other systems.",
	"",
	"                   The mail system",
	0,
};

static const char *const bounce_closing_text[] = {
	"If you do so, please include this problem report. You can",
	"delete your own text from the attached returned message.",
	"",
	"                   The mail system",
	0,
};

static void bounce_put(struct bounce_out *, const char *,...) PRINTFLIKE(2, 3);

/* bounce_put - format and emit one line */
static void
bounce_put(struct bounce_out *out, const char *fmt,...)
{
	va_list	ap;

	buf_reset(out->line);
	va_start(ap, fmt);
	buf_vappendf(out->line, fmt, ap);
	va_end(ap);
	out->fn(buf_str(out->line), buf_len(out->line), out->ctx);
}

/* bounce_put_lines - emit a NULL-terminated list of lines */
static void
bounce_put_lines(struct bounce_out *out, const char *const *lines)
{
	while (*lines)
		bounce_put(out, "%s", *lines++);
}

/* bounce_ascii - printable ASCII copy of text, other bytes as '?' */
static const char *
bounce_ascii(struct buf *out, const char *text)
{
	const unsigned char *cp;

	buf_reset(out);
	for (cp = (const unsigned char *) (text ? text : ""); *cp; cp++)
		buf_putc(out, (*cp >= 0x20 && *cp < 0x7f) ? *cp : '?');
	return (buf_str(out));
}

/* bounce_dsn_date - RFC 5322 date with the zone name, as Postfix */
void
bounce_dsn_date(struct buf *out, time_t when)
{
	struct tm tm;
	char	text[128];

	if (localtime_r(&when, &tm) == NULL
	    || strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S %z (%Z)", &tm) == 0)
		snprintf(text, sizeof(text), "%lld", (long long) when);
	buf_cpy(out, text);
}

/* bounce_wrap_emit - flush the line being wrapped */
static void
bounce_wrap_emit(struct buf *line, bounce_line_fn fn, void *ctx)
{
	fn(buf_str(line), buf_len(line), ctx);
	buf_cpy(line, "");
	buf_appendf(line, "%*s", BOUNCE_WRAP_INDENT, "");
}

/* bounce_dsn_wrap - fold text at 79 columns, continuation indented */
void
bounce_dsn_wrap(const char *text, bounce_line_fn fn, void *ctx)
{
	struct buf *line = buf_new(BOUNCE_WRAP_LENGTH + 1);
	size_t	start = 0;		/* where this line's words begin */
	size_t	wlen;

	while (*text) {
		text += strspn(text, " \t");
		if ((wlen = strcspn(text, " \t")) == 0)
			break;
		if (buf_len(line) > start) {
			if (buf_len(line) + 1 + wlen > BOUNCE_WRAP_LENGTH) {
				bounce_wrap_emit(line, fn, ctx);
				start = BOUNCE_WRAP_INDENT;
			} else
				buf_putc(line, ' ');
		}
		buf_catn(line, text, wlen);
		text += wlen;
	}
	if (buf_len(line) > start || start == 0)
		fn(buf_str(line), buf_len(line), ctx);
	buf_free(line);
}

/* bounce_wrap_to_out - bounce_line_fn adapter */
static void
bounce_wrap_to_out(const char *line, size_t len, void *ctx)
{
	struct bounce_out *out = ctx;

	out->fn(line, len, out->ctx);
}

/* bounce_dsn_diag_relayed - a relayed recipient: the next hop's reply */
static void
bounce_dsn_diag_relayed(struct bounce_rcpt *rcpt, const char *relay)
{
	const char *reason = rcpt->reason;
	const char *bracket;

	if (rcpt->action == NULL || strcmp(rcpt->action, DSN_ACTION_RELAYED) != 0
	    || reason == NULL || strspn(reason, "0123456789") != 3
	    || (reason[3] != 0 && reason[3] != ' ' && reason[3] != '-'))
		return;
	rcpt->diag_type = xstrdup("smtp");
	rcpt->diag_text = xstrdup(reason);
	if (relay != NULL && (bracket = strchr(relay, '[')) != NULL && bracket > relay) {
		rcpt->mta_type = xstrdup("dns");
		rcpt->mta_name = xstrndup(relay, (size_t) (bracket - relay));
	}
}

/* bounce_dsn_diag - Remote-MTA and Diagnostic-Code from an SMTP reason */
void
bounce_dsn_diag(struct bounce_rcpt *rcpt, const char *relay)
{
	static const char said[] = "] said: ";
	static const char in_reply[] = " (in reply to ";
	const char *reason = rcpt->reason;
	const char *bracket;
	const char *text;
	const char *tail;
	size_t	len;

	if (rcpt->diag_type == NULL && rcpt->mta_type == NULL)
		bounce_dsn_diag_relayed(rcpt, relay);
	if (rcpt->diag_type != NULL || reason == NULL
	    || strncmp(reason, "host ", 5) != 0
	    || (bracket = strchr(reason + 5, '[')) == NULL
	    || (text = strstr(bracket, said)) == NULL)
		return;
	text += sizeof(said) - 1;
	len = strlen(text);
	if (len > 0 && text[len - 1] == ')' && (tail = strstr(text, in_reply)) != NULL)
		len = (size_t) (tail - text);
	if (len == 0 || bracket == reason + 5)
		return;
	rcpt->mta_type = xstrdup("dns");
	rcpt->mta_name = xstrndup(reason + 5, (size_t) (bracket - reason - 5));
	rcpt->diag_type = xstrdup("smtp");
	rcpt->diag_text = xstrndup(text, len);
}

/* bounce_rcpt_free - release a recipient's strings */
void
bounce_rcpt_free(struct bounce_rcpt *rcpt)
{
	free(rcpt->address);
	free(rcpt->orig);
	free(rcpt->dsn_orcpt);
	free(rcpt->reason);
	free(rcpt->diag_type);
	free(rcpt->diag_text);
	free(rcpt->mta_type);
	free(rcpt->mta_name);
	memset(rcpt, 0, sizeof(*rcpt));
}

/* bounce_subject - the Subject: of a notification */
static const char *
bounce_subject(const struct bounce_info *info)
{
	if (info->kind == BOUNCE_KIND_DELAY)
		return (info->is_postmaster ? "Postmaster Warning: Delayed Mail"
			: "Delayed Mail (still being retried)");
	if (info->kind == BOUNCE_KIND_SUCCESS)
		return ("Successful Mail Delivery Report");
	return (info->is_postmaster ? "Postmaster Copy: Undelivered Mail"
		: "Undelivered Mail Returned to Sender");
}

/* bounce_headers - the message header and the MIME preamble */
static void
bounce_headers(struct bounce_out *out, const struct bounce_info *info,
	               const char *boundary)
{
	struct buf *quoted = buf_new(64);

	bounce_put(out, "From: MAILER-DAEMON@%s (Mail Delivery System)", info->hostname);
	bounce_put(out, "Subject: %s", bounce_subject(info));
	bounce_put(out, "To: %s", address_quote(quoted, info->to));
	bounce_put(out, "Auto-Submitted: auto-replied");
	bounce_put(out, "MIME-Version: 1.0");
	bounce_put(out, "Content-Type: multipart/report; report-type=delivery-status;");
	bounce_put(out, "\tboundary=\"%s\"", boundary);
	bounce_put(out, "Content-Transfer-Encoding: %s", info->encoding);
	bounce_put(out, "%s", "");
	bounce_put(out, "This is a MIME-encapsulated message.");
	bounce_put(out, "%s", "");
	buf_free(quoted);
}

/* bounce_rcpt_text - "<rcpt> (expanded from <orig>): reason", folded */
static void
bounce_rcpt_text(struct bounce_out *out, const struct bounce_rcpt *rcpt)
{
	struct buf *quoted = buf_new(64);
	struct buf *text = buf_new(256);

	buf_printf(text, "<%s>", address_quote(quoted, rcpt->address));
	if (rcpt->orig && *rcpt->orig && strcasecmp(rcpt->orig, rcpt->address) != 0)
		buf_appendf(text, " (expanded from <%s>)", address_quote(quoted, rcpt->orig));
	buf_appendf(text, ": %s", bounce_ascii(out->scratch, rcpt->reason));
	bounce_put(out, "%s", "");
	bounce_dsn_wrap(buf_str(text), bounce_wrap_to_out, out);
	buf_free(quoted);
	buf_free(text);
}

/* bounce_notification - the human-readable part */
static void
bounce_notification(struct bounce_out *out, const struct bounce_info *info,
		            const struct bounce_rcpt *rcpts, size_t count,
		            const char *boundary)
{
	size_t	i;

	bounce_put(out, "--%s", boundary);
	bounce_put(out, "Content-Description: Notification");
	bounce_put(out, "Content-Type: text/plain; charset=us-ascii");
	bounce_put(out, "%s", "");
	bounce_put(out, "This is the mail system at host %s.", info->hostname);
	bounce_put(out, "%s", "");
	if (info->kind == BOUNCE_KIND_DELAY) {
		bounce_put_lines(out, bounce_delay_banner);
		bounce_put(out, "%s", "");
		bounce_put(out, "Your message could not be delivered for more than %ld hour(s).",
			   info->warn_hours);
		bounce_put(out, "It will be retried until it is %ld day(s) old.",
			   info->lifetime_days);
	} else if (info->kind == BOUNCE_KIND_SUCCESS) {
		bounce_put_lines(out, bounce_success_text);
	} else
		bounce_put_lines(out, bounce_failure_text);
	if (info->kind != BOUNCE_KIND_SUCCESS) {
		bounce_put(out, "%s", "");
		bounce_put(out, "For further assistance, please send mail to %s.",
			   info->postmaster);
		bounce_put(out, "%s", "");
		bounce_put_lines(out, bounce_closing_text);
	}
	for (i = 0; i < count; i++)
		bounce_rcpt_text(out, rcpts + i);
	bounce_put(out, "%s", "");
}

/* bounce_rcpt_status - one per-recipient block of the delivery report */
static void
bounce_rcpt_status(struct bounce_out *out, const struct bounce_info *info,
		           const struct bounce_rcpt *rcpt)
{
	struct buf *quoted = buf_new(64);
	struct buf *date = buf_new(64);

	bounce_put(out, "%s", "");
	bounce_put(out, "Final-Recipient: rfc822; %s", address_quote(quoted, rcpt->address));
	if (rcpt->dsn_orcpt && *rcpt->dsn_orcpt)
		bounce_put(out, "Original-Recipient: %s", rcpt->dsn_orcpt);
	else if (rcpt->orig && *rcpt->orig)
		bounce_put(out, "Original-Recipient: rfc822;%s", address_quote(quoted, rcpt->orig));
	bounce_put(out, "Action: %s", rcpt->action);
	bounce_put(out, "Status: %s", rcpt->status);
	if (rcpt->mta_type && rcpt->mta_name)
		bounce_put(out, "Remote-MTA: %s; %s", rcpt->mta_type,
			   bounce_ascii(out->scratch, rcpt->mta_name));
	if (rcpt->diag_type && rcpt->diag_text)
		bounce_put(out, "Diagnostic-Code: %s; %s", rcpt->diag_type,
			   bounce_ascii(out->scratch, rcpt->diag_text));
	else
		bounce_put(out, "Diagnostic-Code: X-%s; %s", info->mail_name,
			   bounce_ascii(out->scratch, rcpt->reason));
	if (strcmp(rcpt->action, DSN_ACTION_DELAYED) == 0 && info->retry_until > 0) {
		bounce_dsn_date(date, info->retry_until);
		bounce_put(out, "Will-Retry-Until: %s", buf_str(date));
	}
	buf_free(quoted);
	buf_free(date);
}

/* bounce_report - the message/delivery-status part */
static void
bounce_report(struct bounce_out *out, const struct bounce_info *info,
	              const struct bounce_rcpt *rcpts, size_t count,
	              const char *boundary)
{
	struct buf *date = buf_new(64);
	struct buf *quoted = buf_new(64);
	size_t	i;

	bounce_put(out, "--%s", boundary);
	bounce_put(out, "Content-Description: Delivery report");
	bounce_put(out, "Content-Type: message/delivery-status");
	bounce_put(out, "%s", "");
	if (info->envid && *info->envid)
		bounce_put(out, "Original-Envelope-Id: %s", bounce_ascii(out->scratch, info->envid));
	bounce_put(out, "Reporting-MTA: dns; %s", info->hostname);
	bounce_put(out, "X-%s-Queue-ID: %s", info->mail_name, info->queue_id);
	if (info->sender && *info->sender)
		bounce_put(out, "X-%s-Sender: rfc822; %s", info->mail_name,
			   address_quote(quoted, info->sender));
	if (info->arrival > 0) {
		bounce_dsn_date(date, info->arrival);
		bounce_put(out, "Arrival-Date: %s", buf_str(date));
	}
	for (i = 0; i < count; i++)
		bounce_rcpt_status(out, info, rcpts + i);
	bounce_put(out, "%s", "");
	buf_free(date);
	buf_free(quoted);
}

/* bounce_original_part - the returned message or its headers */
static void
bounce_original_part(struct bounce_out *out, const struct bounce_info *info,
		             const struct bounce_original *orig,
		             const char *boundary)
{
	int	is_full = (orig->ret == BOUNCE_RETURN_FULL);
	size_t	last = is_full ? orig->lines->argc : orig->header_count;
	size_t	i;

	bounce_put(out, "--%s", boundary);
	bounce_put(out, "Content-Description: %s Message%s",
		   info->kind == BOUNCE_KIND_SUCCESS ? "Delivered" : "Undelivered",
		   is_full ? "" : " Headers");
	bounce_put(out, "Content-Type: %s", is_full ? "message/rfc822" : "text/rfc822-headers");
	if (strcmp(info->encoding, "8bit") == 0)
		bounce_put(out, "Content-Transfer-Encoding: 8bit");
	bounce_put(out, "%s", "");
	for (i = 0; i < last && i < orig->lines->argc; i++)
		out->fn(orig->lines->argv[i], strlen(orig->lines->argv[i]), out->ctx);
	bounce_put(out, "%s", "");
}

/* bounce_dsn_compose - the whole notification */
void
bounce_dsn_compose(const struct bounce_info *info, const struct bounce_rcpt *rcpts,
		           size_t count, const struct bounce_original *orig,
		           bounce_line_fn fn, void *ctx)
{
	struct bounce_out out;
	struct buf *boundary = buf_new(64);

	out.fn = fn;
	out.ctx = ctx;
	out.line = buf_new(256);
	out.scratch = buf_new(256);
	buf_printf(boundary, "%s.%lld/%s", info->queue_id, (long long) info->now,
		   info->hostname);
	bounce_headers(&out, info, buf_str(boundary));
	bounce_notification(&out, info, rcpts, count, buf_str(boundary));
	bounce_report(&out, info, rcpts, count, buf_str(boundary));
	if (orig && orig->is_available && orig->lines)
		bounce_original_part(&out, info, orig, buf_str(boundary));
	bounce_put(&out, "--%s--", buf_str(boundary));
	buf_free(boundary);
	buf_free(out.line);
	buf_free(out.scratch);
}
