/*
 * NAME
 *	smtpd_data - receive message content and hand it to cleanup
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int	smtpd_data_receive(struct smtpd_state *state);
 * DESCRIPTION
 *	smtpd_data_receive() answers DATA with 354, reads the content line
 *	by line (pieces of at most line_length_limit bytes; longer lines
 *	reach cleanup as CONT pieces and a closing NORM record), applies
 *	end-of-data detection, dot-unstuffing and the SMTP smuggling
 *	defense of smtpd_dot(3) with the session's smtpd_forbid_bare_newline
 *	mode, and streams the lines to cleanup.
 *
 *	The reply comes only after the whole content was read:
 * .IP "250 2.0.0 Ok: queued as ID"
 *	only after cleanup_finish() reported success, which means the
 *	queue file and its directory entry are on disk (fsync) with mode
 *	0700.
 * .IP "552 5.3.4 Error: message file too big"
 *	more than message_size_limit bytes arrived (smtpd stops sending
 *	content to cleanup at the limit and drops the queue file).
 * .IP "550 5.5.2 Error: bare <LF> received"
 *	a content line ended in a bare LF and smtpd_forbid_bare_newline is
 *	reject (the code is smtpd_forbid_bare_newline_reject_code).
 * .IP "451 4.3.0 Error: queue file write error"
 *	and the other cleanup status replies of cleanup_client(3): the
 *	cleanup service failed, the disk is full, or queue_minfree.
 * .PP
 *	When the client goes away or times out in the middle of the
 *	content, the queue file is abandoned (cleanup removes it) and
 *	nothing is queued.
 *
 *	It returns 0 when the message was queued, -1 otherwise.
 */
#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/cleanup_client.h>
#include <global/params.h>
#include "smtpd.h"

#define DATA_OK		0
#define DATA_TOO_BIG	1
#define DATA_BARE_LF	2

/* data_ending - stream line end to smtpd_dot line end */
static int
data_ending(int stream_ret)
{
	switch (stream_ret) {
	case STREAM_LINE_CRLF:
		return (SMTPD_DOT_LINE_CRLF);
	case STREAM_LINE_LF:
		return (SMTPD_DOT_LINE_LF);
	case STREAM_LINE_PARTIAL:
		return (SMTPD_DOT_LINE_PART);
	default:
		return (-1);
	}
}

/* data_read - read content until the end; -1 when the client is gone */
static int
data_read(struct smtpd_state *state, struct smtpd_dot *dot, int *verdict)
{
	struct buf *line = buf_new(1024);
	const char *out;
	size_t	out_len;
	int	ending;
	int	type;
	int	ret = 0;

	for (;;) {
		ending = data_ending(stream_get_line(state->client, line,
					      (size_t) var_line_length_limit));
		if (ending < 0) {
			ret = smtpd_input_failed(state);
			break;
		}
		type = smtpd_dot_line(dot, buf_str(line), buf_len(line), ending, &out, &out_len);
		if (type == SMTPD_DOT_END)
			break;
		state->data_bytes += (long) out_len + (type == SMTPD_DOT_NORM ? 2 : 0);
		if (var_message_size_limit > 0 && state->data_bytes > var_message_size_limit)
			*verdict = DATA_TOO_BIG;
		if (ending == SMTPD_DOT_LINE_LF && dot->mode == SMTPD_BARE_NL_REJECT
		    && *verdict == DATA_OK)
			*verdict = DATA_BARE_LF;
		if (*verdict == DATA_OK)
			cleanup_content(state->cleanup, out, out_len,
					type == SMTPD_DOT_CONT ? CLEANUP_LINE_CONT
					: CLEANUP_LINE_NORM);
	}
	buf_free(line);
	return (ret);
}

/* data_refuse - the message cannot be queued */
static int PRINTFLIKE(2, 3)
data_refuse(struct smtpd_state *state, const char *fmt, ...)
{
	va_list	ap;

	cleanup_abort(state->cleanup);
	state->cleanup = NULL;
	buf_reset(state->reply);
	va_start(ap, fmt);
	buf_vappendf(state->reply, fmt, ap);
	va_end(ap);
	smtpd_log_reject(state, SMTPD_AFTER_EOM, buf_str(state->reply), NULL);
	smtpd_reply_buf(state, state->reply);
	return (-1);
}

/* data_finish - ask cleanup for the verdict and answer */
static int
data_finish(struct smtpd_state *state)
{
	struct buf *reason = buf_new(64);
	const struct cleanup_stat_detail *detail;
	int	status;

	status = cleanup_finish(state->cleanup, reason);
	state->cleanup = NULL;
	if (status == CLEANUP_STAT_OK) {
		smtpd_reply(state, "250 2.0.0 Ok: queued as %s", state->queue_id);
		buf_free(reason);
		return (0);
	}
	detail = cleanup_stat_detail(status);
	if ((status & CLEANUP_STAT_CONT) && buf_len(reason) > 0)
		smtpd_reply(state, "%d %s %s", detail->smtp, detail->dsn, buf_str(reason));
	else
		smtpd_reply(state, "%d %s Error: %s", detail->smtp, detail->dsn, detail->text);
	msg_info("%s: %s: %s from %s: %s", state->queue_id, detail->smtp / 100 == 4 ?
		 "defer" : "reject", SMTPD_AFTER_EOM, state->namaddr,
		 buf_len(reason) ? buf_str(reason) : detail->text);
	buf_free(reason);
	return (-1);
}

/* smtpd_data_receive - DATA */
int
smtpd_data_receive(struct smtpd_state *state)
{
	struct smtpd_dot dot;
	int	verdict = DATA_OK;
	int	ret;

	smtpd_reply(state, "354 End data with <CR><LF>.<CR><LF>");
	if (smtpd_flush(state) < 0)
		return (smtpd_input_failed(state));
	state->where = SMTPD_AFTER_DATA;
	state->in_data = true;
	state->data_bytes = 0;
	stream_set_timeout(state->client, (int) var_smtpd_timeout);
	smtpd_dot_init(&dot, state->bare_nl_mode, !state->got_bare_lf);
	ret = data_read(state, &dot, &verdict);
	state->in_data = false;
	if (ret < 0) {
		smtpd_state_reset_mail(state);
		return (-1);
	}
	state->where = SMTPD_AFTER_EOM;
	if (verdict == DATA_TOO_BIG)
		ret = data_refuse(state, "552 5.3.4 Error: message file too big");
	else if (verdict == DATA_BARE_LF)
		ret = data_refuse(state, "%d 5.5.2 Error: bare <LF> received",
				  var_smtpd_forbid_bare_newline_reject_code);
	else
		ret = data_finish(state);
	smtpd_state_reset_mail(state);
	return (ret);
}
