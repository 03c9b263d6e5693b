/*
 * NAME
 *	smtpd_state - SMTP session state, replies, input and limits
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	void	smtpd_state_init(struct smtpd_state *state,
 *			struct stream *client, const char *service,
 *			const char *addr, const char *port);
 *	void	smtpd_state_free(struct smtpd_state *state);
 *	void	smtpd_state_reset_mail(struct smtpd_state *state);
 *	void	smtpd_state_check_ctx(const struct smtpd_state *state,
 *			struct smtpd_check_ctx *ctx);
 *
 *	void	smtpd_reply(struct smtpd_state *state, const char *fmt, ...);
 *	int	smtpd_flush(struct smtpd_state *state);
 *	int	smtpd_read_command(struct smtpd_state *state);
 *	void	smtpd_session(struct smtpd_state *state);
 *
 *	void	smtpd_log_reject(struct smtpd_state *state, const char *cmd,
 *			const char *reply, const char *rcpt);
 *	void	smtpd_log_lost(struct smtpd_state *state);
 *	void	smtpd_log_disconnect(struct smtpd_state *state);
 * DESCRIPTION
 *	One SMTP session from banner to disconnect.
 *
 *	smtpd_state_init() sets up the session for a client address
 *	(the client's host name is always "unknown": smtpd does no DNS
 *	lookups); smtpd_state_free() releases it, aborting an unfinished
 *	queue file. smtpd_state_reset_mail() ends a mail transaction (RSET,
 *	HELO, after DATA).
 *
 *	smtpd_reply() formats one reply line and queues it for the client;
 *	control characters (which could only come from client input that a
 *	reply quotes) become '?'. Replies are flushed before smtpd waits
 *	for input, so a pipelining client gets its replies in one write.
 *	Once smtpd_soft_error_limit errors have been counted, each error
 *	reply (4xx, 5xx) is delayed by smtpd_error_sleep_time.
 *
 *	smtpd_read_command() reads the next command line into
 *	state->buffer. It waits at most smtpd_timeout for input; on time
 *	out it answers "421 4.4.2 $myhostname Error: timeout exceeded" and
 *	logs "timeout after STAGE from CLIENT". A line longer than
 *	line_length_limit is read to its end and refused with "500 5.5.2
 *	Error: line too long", a line with a null byte with "500 5.5.2
 *	Error: bad syntax". With smtpd_forbid_bare_newline = reject, a
 *	command ending in a bare LF is refused with "$code 5.5.2 Error:
 *	bare <LF> received". While master asks the process to stop and
 *	no mail transaction is open, it answers "421 4.3.2 $myhostname
 *	Service shutting down, closing transmission channel". It returns 0
 *	for a command, 1 for a line that was refused here (read the next),
 *	-1 when the session is over.
 *
 *	smtpd_session() runs the session: anvil connection limits, the
 *	banner "220 $smtpd_banner", commands until QUIT, a lost client or
 *	smtpd_hard_error_limit errors ("421 4.7.0 $myhostname Error: too
 *	many errors"), and the log lines "connect from CLIENT", "lost
 *	connection after STAGE from CLIENT" and "disconnect from CLIENT
 *	ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5" (per command ok/total
 *	when some failed, as Postfix).
 *
 *	smtpd_log_reject() logs a refused command as Postfix does:
 *	"ID: reject: RCPT from CLIENT: REPLY; from=<sender> to=<rcpt>
 *	proto=ESMTP helo=<name>" (NOQUEUE before the queue file exists).
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/cleanup_client.h>
#include <global/params.h>
#include <server/server.h>
#include "smtpd.h"

#define SMTPD_WAIT_SLICE_MS	1000	/* check for shutdown this often */

/* smtpd_state_init - a new session */
void
smtpd_state_init(struct smtpd_state *state, struct stream *client,
		         const char *service, const char *addr, const char *port)
{
	struct buf *namaddr = buf_new(64);

	memset(state, 0, sizeof(*state));
	state->client = client;
	state->service = service;
	state->name = xstrdup(server_is_standalone() ? "localhost" : "unknown");
	state->addr = xstrdup(addr);
	state->port = xstrdup(port);
	buf_printf(namaddr, "%s[%s]", state->name, state->addr);
	state->namaddr = buf_steal(namaddr);
	state->buffer = buf_new(256);
	state->reply = buf_new(256);
	state->where = SMTPD_AFTER_CONNECT;
	state->protocol = "SMTP";
	state->is_stand_alone = server_is_standalone();
	smtpd_mail_args_init(&state->mail);
	smtpd_rcpt_args_init(&state->rcpt);
}

/* smtpd_state_reset_mail - end the mail transaction */
void
smtpd_state_reset_mail(struct smtpd_state *state)
{
	if (state->cleanup) {
		cleanup_abort(state->cleanup);
		state->cleanup = NULL;
	}
	free(state->queue_id);
	state->queue_id = NULL;
	state->in_mail = false;
	state->rcpt_count = 0;
	state->rcpt_overshoot = 0;
	smtpd_mail_args_reset(&state->mail);
}

/* smtpd_state_free - release a session */
void
smtpd_state_free(struct smtpd_state *state)
{
	smtpd_state_reset_mail(state);
	smtpd_tls_stop(state);
	smtpd_mail_args_free(&state->mail);
	smtpd_rcpt_args_free(&state->rcpt);
	buf_free(state->buffer);
	buf_free(state->reply);
	free(state->helo_name);
	free(state->name);
	free(state->addr);
	free(state->port);
	free(state->namaddr);
}

/* smtpd_state_check_ctx - what the restrictions look at */
void
smtpd_state_check_ctx(const struct smtpd_state *state, struct smtpd_check_ctx *ctx)
{
	ctx->client_name = state->name;
	ctx->client_addr = state->addr;
	ctx->namaddr = state->namaddr;
	ctx->helo = state->helo_name;
	ctx->sender = state->in_mail ? buf_str(state->mail.sender) : NULL;
	ctx->is_sasl = false;
}

/* smtpd_reply_is_error - a 4xx or 5xx reply */
bool
smtpd_reply_is_error(const char *text)
{
	return (text[0] == '4' || text[0] == '5');
}

/* smtpd_reply_buf - queue one reply line */
void
smtpd_reply_buf(struct smtpd_state *state, const struct buf *text)
{
	size_t	i;
	unsigned char ch;

	if (state->is_lost)
		return;
	if (smtpd_reply_is_error(buf_str(text)) && var_smtpd_soft_error_limit > 0
	    && state->error_count >= var_smtpd_soft_error_limit
	    && var_smtpd_error_sleep_time > 0) {
		(void) smtpd_flush(state);
		sleep((unsigned) var_smtpd_error_sleep_time);
	}
	for (i = 0; i < buf_len(text); i++) {
		ch = (unsigned char) text->data[i];
		(void) stream_putc(state->client, (ch < 32 || ch == 127) ? '?' : ch);
	}
	(void) stream_write(state->client, "\r\n", 2);
	if (msg_verbose)
		msg_info("> %s: %s", state->namaddr, buf_str(text));
}

/* smtpd_reply - format and queue one reply line */
void
smtpd_reply(struct smtpd_state *state, const char *fmt, ...)
{
	va_list	ap;
	struct buf *text = buf_new(128);

	va_start(ap, fmt);
	buf_vappendf(text, fmt, ap);
	va_end(ap);
	smtpd_reply_buf(state, text);
	buf_free(text);
}

/* smtpd_flush - send queued replies */
int
smtpd_flush(struct smtpd_state *state)
{
	if (state->is_lost)
		return (-1);
	if (stream_flush(state->client) < 0) {
		state->is_lost = true;
		return (-1);
	}
	return (0);
}

/* smtpd_wait_input - wait for client input, watching for shutdown */
static int
smtpd_wait_input(struct smtpd_state *state)
{
	long	remaining = var_smtpd_timeout * 1000L;
	long	slice;
	int	fd = stream_fd(state->client);

	if (stream_pending(state->client) > 0 || smtpd_tls_pending(state) > 0)
		return (SMTPD_WAIT_OK);
	while (remaining > 0) {
		if (server_is_stopping() && !state->in_mail && !state->is_stand_alone)
			return (SMTPD_WAIT_STOP);
		slice = remaining < SMTPD_WAIT_SLICE_MS ? remaining : SMTPD_WAIT_SLICE_MS;
		if (read_wait(fd, slice) == 0 || errno != ETIMEDOUT)
			return (SMTPD_WAIT_OK);
		remaining -= slice;
	}
	return (SMTPD_WAIT_TIMEOUT);
}

/* smtpd_timeout - the client took too long */
void
smtpd_timeout(struct smtpd_state *state)
{
	if (state->in_data)
		msg_info("timeout after %s (%ld bytes) from %s", state->where,
			 state->data_bytes, state->namaddr);
	else
		msg_info("timeout after %s from %s", state->where, state->namaddr);
	smtpd_reply(state, "421 4.4.2 %s Error: timeout exceeded", var_myhostname);
	(void) smtpd_flush(state);
	state->is_lost = true;
}

/* smtpd_log_lost - the client went away */
void
smtpd_log_lost(struct smtpd_state *state)
{
	if (state->in_data)
		msg_info("lost connection after %s (%ld bytes) from %s", state->where,
			 state->data_bytes, state->namaddr);
	else
		msg_info("lost connection after %s from %s", state->where, state->namaddr);
	state->is_lost = true;
}

/* smtpd_input_failed - a read ended the session: timeout or lost */
int
smtpd_input_failed(struct smtpd_state *state)
{
	if (stream_timed_out(state->client))
		smtpd_timeout(state);
	else
		smtpd_log_lost(state);
	return (-1);
}

/* smtpd_skip_line - read and drop the rest of an overlong line */
static int
smtpd_skip_line(struct smtpd_state *state, int *ending)
{
	struct buf *junk = buf_new(256);
	int	ret;

	do {
		ret = stream_get_line(state->client, junk, (size_t) var_line_length_limit);
	} while (ret == STREAM_LINE_PARTIAL);
	buf_free(junk);
	*ending = ret;
	return (ret == STREAM_LINE_CRLF || ret == STREAM_LINE_LF ? 0 : -1);
}

/* smtpd_read_command - the next command line */
int
smtpd_read_command(struct smtpd_state *state)
{
	int	ret;

	if (smtpd_flush(state) < 0)
		return (smtpd_input_failed(state));
	switch (smtpd_wait_input(state)) {
	case SMTPD_WAIT_TIMEOUT:
		smtpd_timeout(state);
		return (-1);
	case SMTPD_WAIT_STOP:
		smtpd_reply(state, "421 4.3.2 %s Service shutting down, "
			    "closing transmission channel", var_myhostname);
		(void) smtpd_flush(state);
		return (-1);
	}
	stream_set_timeout(state->client, (int) var_smtpd_timeout);
	ret = stream_get_line(state->client, state->buffer, (size_t) var_line_length_limit);
	if (ret == STREAM_LINE_PARTIAL) {
		if (smtpd_skip_line(state, &ret) < 0)
			return (smtpd_input_failed(state));
		state->error_count++;
		smtpd_reply(state, "500 5.5.2 Error: line too long");
		return (1);
	}
	if (ret != STREAM_LINE_CRLF && ret != STREAM_LINE_LF)
		return (smtpd_input_failed(state));
	state->got_bare_lf = (ret == STREAM_LINE_LF);
	if (msg_verbose)
		msg_info("< %s: %s", state->namaddr, buf_str(state->buffer));
	if (state->got_bare_lf && state->bare_nl_mode == SMTPD_BARE_NL_REJECT) {
		msg_info("disconnect: bare <LF> received from %s", state->namaddr);
		state->error_count++;
		smtpd_reply(state, "%d 5.5.2 Error: bare <LF> received",
			    var_smtpd_forbid_bare_newline_reject_code);
		return (1);
	}
	if (strlen(buf_str(state->buffer)) != buf_len(state->buffer)) {
		state->error_count++;
		smtpd_reply(state, "500 5.5.2 Error: bad syntax");
		return (1);
	}
	return (0);
}

/* smtpd_log_reject - "ID: reject: CMD from CLIENT: REPLY; from=..." */
void
smtpd_log_reject(struct smtpd_state *state, const char *cmd, const char *reply,
		         const char *rcpt)
{
	struct buf *line = buf_new(256);

	buf_printf(line, "%s: reject: %s from %s: %s;",
		   state->queue_id ? state->queue_id : "NOQUEUE", cmd,
		   state->namaddr, reply);
	if (state->in_mail)
		buf_appendf(line, " from=<%s>", buf_str(state->mail.sender));
	if (rcpt)
		buf_appendf(line, " to=<%s>", rcpt);
	buf_appendf(line, " proto=%s", state->protocol);
	if (state->helo_name)
		buf_appendf(line, " helo=<%s>", state->helo_name);
	msg_info("%s", buf_str(line));
	buf_free(line);
}

/* smtpd_stat_append - "name=ok" or "name=ok/total" */
static void
smtpd_stat_append(struct buf *line, const char *name,
		          const struct smtpd_cmd_stat *stat)
{
	const char *cp;

	if (stat->total == 0)
		return;
	buf_putc(line, ' ');
	for (cp = name; *cp; cp++)
		buf_putc(line, tolower((unsigned char) *cp));
	if (stat->ok == stat->total)
		buf_appendf(line, "=%d", stat->ok);
	else
		buf_appendf(line, "=%d/%d", stat->ok, stat->total);
}

/* smtpd_log_disconnect - the statistics line */
void
smtpd_log_disconnect(struct smtpd_state *state)
{
	struct buf *line = buf_new(256);
	struct smtpd_cmd_stat all = {0, 0};
	const struct smtpd_cmd *cmd;
	int	i;

	buf_printf(line, "disconnect from %s", state->namaddr);
	for (i = 0; (cmd = smtpd_cmd_at(i)) != NULL; i++) {
		smtpd_stat_append(line, cmd->name, state->stats + i);
		all.ok += state->stats[i].ok;
		all.total += state->stats[i].total;
	}
	smtpd_stat_append(line, "unknown", &state->unknown_stat);
	all.ok += state->unknown_stat.ok;
	all.total += state->unknown_stat.total;
	if (all.total == 0)
		buf_cat(line, " commands=0");
	else
		smtpd_stat_append(line, "commands", &all);
	msg_info("%s", buf_str(line));
	buf_free(line);
}

/* smtpd_session_start - limits, then the banner; -1 to hang up */
static int
smtpd_session_start(struct smtpd_state *state)
{
	int	hit;

	if (!state->is_stand_alone) {
		state->is_mynetworks = smtpd_check_mynetworks(state->check, state->addr) > 0;
		hit = smtpd_check_bare_nl_excluded(state->check, state->addr);
		state->bare_nl_mode = hit > 0 ? SMTPD_BARE_NL_NO
			: smtpd_dot_mode(var_smtpd_forbid_bare_newline);
		state->is_event_exempt = smtpd_check_event_exempt(state->check, state->addr) != 0;
		if (smtpd_anvil_connect(state) < 0)
			return (-1);
	} else {
		state->bare_nl_mode = SMTPD_BARE_NL_NO;
	}
	smtpd_reply(state, "220 %s", var_smtpd_banner);
	return (0);
}

/* smtpd_session - serve one client */
void
smtpd_session(struct smtpd_state *state)
{
	int	ret;

	if (!state->is_stand_alone)
		msg_info("connect from %s", state->namaddr);
	if (smtpd_session_start(state) == 0) {
		while (!state->is_quit && !state->is_lost) {
			if (state->error_count >= var_smtpd_hard_error_limit) {
				smtpd_reply(state, "421 4.7.0 %s Error: too many errors",
					    var_myhostname);
				msg_info("too many errors after %s from %s",
					 state->where, state->namaddr);
				break;
			}
			if ((ret = smtpd_read_command(state)) < 0)
				break;
			if (ret == 0)
				smtpd_cmd_dispatch(state);
		}
	}
	(void) smtpd_flush(state);
	smtpd_state_reset_mail(state);
	smtpd_anvil_disconnect(state);
	if (!state->is_stand_alone)
		smtpd_log_disconnect(state);
}
