/*
 * NAME
 *	smtp_proto - the SMTP conversation: EHLO, mail transactions, QUIT
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	int	smtp_chat(struct smtp_state *state,
 *				struct smtp_session *session, long timeout,
 *				struct smtp_reply *reply, const char *stage,
 *				const char *fmt, ...);
 *	int	smtp_helo(struct smtp_state *state,
 *				struct smtp_session *session);
 *	void	smtp_parse_ehlo(struct smtp_session *session,
 *				const char *line);
 *	void	smtp_xfer(struct smtp_state *state,
 *				struct smtp_session *session);
 *	int	smtp_rset(struct smtp_session *session);
 *	void	smtp_session_quit(struct smtp_session *session);
 *	void	smtp_session_trouble(struct smtp_state *state,
 *				struct smtp_session *session,
 *				enum smtp_read_status status, const char *stage,
 *				const char *detail);
 * DESCRIPTION
 *	smtp_chat() sends one command (unless fmt is NULL) and reads the
 *	reply, both within timeout seconds. It returns 0 when a reply was
 *	read (whatever its code), else -1 after smtp_session_trouble().
 *
 *	smtp_helo() sends EHLO (HELO when smtp_never_send_ehlo, or when the
 *	server rejects EHLO with 5xx) and records the server's extensions
 *	with smtp_parse_ehlo(). A 4xx (or a HELO that fails) fails the
 *	pending recipients for this server. 0 or -1.
 *
 *	smtp_xfer() runs mail transactions over a ready session for every
 *	pending recipient not yet tried in this session. One transaction:
 *	a message bigger than the server's SIZE is refused early (5.3.4);
 *	MAIL FROM (SIZE=, BODY=8BITMIME, SMTPUTF8, RET=, ENVID= as the
 *	server's extensions allow), one RCPT TO per recipient (NOTIFY=,
 *	ORCPT=), DATA, the content (smtp_text.c), the final dot. With
 *	PIPELINING the commands go out in groups of SMTP_PIPE_GROUP and the
 *	replies are read afterwards, in order. A 2xx at the end of DATA
 *	delivers the accepted recipients; 4xx replies record a temporary
 *	failure (the recipient may still go to another server), 5xx
 *	replies bounce. A "452 4.5.3 too many recipients" leaves the
 *	recipient for the next transaction on the same connection. A 421,
 *	a time-out, a lost connection or a malformed reply ends the
 *	session. Replies that match smtp_throttle_reply_patterns set
 *	DEL_STAT_THROTTLED.
 *
 *	smtp_rset() sends RSET and expects 250 (the probe before a cached
 *	connection is reused); 0 or -1 (the session is then broken).
 *	smtp_session_quit() sends QUIT (its reply is read only when
 *	smtp_skip_quit_response is off) unless the session is broken, and
 *	closes it.
 *
 *	smtp_session_trouble() ends a session after a time-out, a lost
 *	connection or a protocol error while doing stage, in Postfix's
 *	words ("conversation with host[addr] timed out while sending
 *	message body"), as a temporary failure of every pending recipient.
 * SEE ALSO
 *	RFC 5321, RFC 2920 (PIPELINING), RFC 1870 (SIZE), RFC 6152
 *	(8BITMIME), RFC 3461 (DSN), RFC 6531 (SMTPUTF8)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <global/address.h>
#include <global/params.h>

#include <strings.h>

#include "smtp.h"

#define SMTP_PIPE_GROUP		100	/* commands written before reading */

#define SMTP_STAGE_EHLO		"performing the EHLO handshake"
#define SMTP_STAGE_HELO		"performing the HELO handshake"
#define SMTP_STAGE_MAIL		"sending MAIL FROM"
#define SMTP_STAGE_RCPT		"sending RCPT TO"
#define SMTP_STAGE_DATA		"sending DATA command"
#define SMTP_STAGE_BODY		"sending message body"
#define SMTP_STAGE_DOT		"sending end of data -- message may be sent more than once"
#define SMTP_STAGE_RSET		"sending RSET"

 /*
  * One mail transaction in progress.
  */
struct smtp_txn {
	struct smtp_rcpt **rcpt;	/* the recipients in this transaction */
	size_t	count;
	size_t	accepted;
	int	mail_ok;		/* MAIL FROM accepted */
	int	aborted;		/* stop sending commands */
	int	progress;		/* some recipient was decided */
	int	data_ok;		/* DATA got 354 */
};

/* smtp_session_trouble - time-out, lost connection, protocol error */
void
smtp_session_trouble(struct smtp_state *state, struct smtp_session *session,
		             enum smtp_read_status status, const char *stage,
		             const char *detail)
{
	session->is_broken = 1;
	switch (status) {
	case SMTP_READ_TIMEOUT:
		smtp_rcpt_fail_pending(state, "4.4.2", session->relay, 0,
				       "conversation with %s timed out while %s",
				       session->namaddr, stage);
		break;
	case SMTP_READ_PROTO:
		smtp_rcpt_fail_pending(state, "4.5.0", session->relay, 0,
				       "host %s sent an invalid reply while %s: %s",
				       session->namaddr, stage, detail);
		break;
	default:
		smtp_rcpt_fail_pending(state, "4.4.2", session->relay, 0,
				       "lost connection with %s while %s",
				       session->namaddr, stage);
		break;
	}
}

/* smtp_send - queue one command line (no flush) */
static int
smtp_send(struct smtp_session *session, const char *command)
{
	msg_debug(2, "> %s: %s", session->relay, command);
	if (stream_puts(session->stream, command) < 0
	    || stream_write(session->stream, "\r\n", 2) < 0)
		return (-1);
	return (0);
}

/* smtp_write_trouble - a failed write or flush */
static void
smtp_write_trouble(struct smtp_state *state, struct smtp_session *session,
		           const char *stage)
{
	smtp_session_trouble(state, session, stream_timed_out(session->stream) ?
			     SMTP_READ_TIMEOUT : SMTP_READ_LOST, stage, "");
}

/* smtp_read - read one reply within timeout seconds */
static int
smtp_read(struct smtp_state *state, struct smtp_session *session, long timeout,
	          struct smtp_reply *reply, const char *stage)
{
	struct buf *why = buf_new(100);
	enum smtp_read_status status;

	stream_set_deadline(session->stream, timeout * 1000L);
	status = smtp_reply_read(session->stream, reply, why);
	if (status != SMTP_READ_OK)
		smtp_session_trouble(state, session, status, stage, why->data);
	else
		msg_debug(2, "< %s: %s", session->relay, reply->text->data);
	buf_free(why);
	return (status == SMTP_READ_OK ? 0 : -1);
}

/* smtp_chat - one command and its reply */
int
smtp_chat(struct smtp_state *state, struct smtp_session *session, long timeout,
	          struct smtp_reply *reply, const char *stage, const char *fmt,...)
{
	struct buf *command = buf_new(100);
	va_list	ap;
	int	ret = 0;

	if (fmt) {
		va_start(ap, fmt);
		buf_vappendf(command, fmt, ap);
		va_end(ap);
		stream_set_deadline(session->stream, timeout * 1000L);
		if (smtp_send(session, command->data) < 0
		    || stream_flush(session->stream) < 0) {
			smtp_write_trouble(state, session, stage);
			ret = -1;
		}
	}
	if (ret == 0)
		ret = smtp_read(state, session, timeout, reply, stage);
	buf_free(command);
	return (ret);
}

/* smtp_parse_ehlo - one EHLO reply line: an extension keyword */
void
smtp_parse_ehlo(struct smtp_session *session, const char *line)
{
	static const struct {
		const char *name;
		int	flag;
	} table[] = {
		{"PIPELINING", SMTP_FEAT_PIPELINING}, {"SIZE", SMTP_FEAT_SIZE},
		{"8BITMIME", SMTP_FEAT_8BITMIME}, {"STARTTLS", SMTP_FEAT_STARTTLS},
		{"ENHANCEDSTATUSCODES", SMTP_FEAT_ENHSTATUS}, {"DSN", SMTP_FEAT_DSN},
		{"SMTPUTF8", SMTP_FEAT_SMTPUTF8},
	};
	struct argv *words = argv_split(strlen(line) > 4 ? line + 4 : "", " \t");
	struct argv *discard;
	size_t	i;

	if (words->argc == 0) {
		argv_free(words);
		return;
	}
	discard = argv_split(var_smtp_discard_ehlo_keywords, ", \t\r\n");
	for (i = 0; i < discard->argc; i++)
		if (strcasecmp(discard->argv[i], words->argv[0]) == 0)
			goto out;
	for (i = 0; i < ARRAY_LEN(table); i++) {
		if (strcasecmp(words->argv[0], table[i].name) != 0)
			continue;
		session->features |= table[i].flag;
		if (table[i].flag == SMTP_FEAT_SIZE && words->argc > 1)
			session->size_limit = strtol(words->argv[1], NULL, 10);
		if (session->size_limit < 0)
			session->size_limit = 0;
	}
out:
	argv_free(discard);
	argv_free(words);
}

/* smtp_helo_fail - EHLO/HELO refused */
static void
smtp_helo_fail(struct smtp_state *state, struct smtp_session *session,
	               struct smtp_reply *reply, const char *command)
{
	int	bits = smtp_reply_classify(reply, smtp_conf.throttle);

	smtp_rcpt_throttle(state, reply, bits);
	if ((bits & SMTP_CLASS_THROTTLE) == 0)
		state->dead_candidate = 1;
	session->is_broken = 1;
	smtp_rcpt_fail_pending(state, reply->dsn, session->relay, reply->code,
			       "host %s said: %s (in reply to %s command)",
			       session->namaddr, reply->text->data, command);
}

/* smtp_helo - EHLO, or HELO */
int
smtp_helo(struct smtp_state *state, struct smtp_session *session)
{
	struct smtp_reply reply;
	size_t	i;
	int	ret = -1;

	smtp_reply_init(&reply);
	session->features = 0;
	session->size_limit = 0;
	if (!var_smtp_never_send_ehlo) {
		if (smtp_chat(state, session, var_smtp_helo_timeout, &reply,
			      SMTP_STAGE_EHLO, "EHLO %s", var_smtp_helo_name) < 0)
			goto out;
		if (reply.code / 100 == 2) {
			session->features |= SMTP_FEAT_ESMTP;
			for (i = 1; i < reply.line->argc; i++)
				smtp_parse_ehlo(session, reply.line->argv[i]);
			ret = 0;
			goto out;
		}
		if (reply.code / 100 != 5) {
			smtp_helo_fail(state, session, &reply, "EHLO");
			goto out;
		}
	}
	if (smtp_chat(state, session, var_smtp_helo_timeout, &reply,
		      SMTP_STAGE_HELO, "HELO %s", var_smtp_helo_name) < 0)
		goto out;
	if (reply.code / 100 == 2)
		ret = 0;
	else
		smtp_helo_fail(state, session, &reply, "HELO");
out:
	if (ret < 0)
		state->dead_candidate = 1;
	smtp_reply_free(&reply);
	return (ret);
}

/* smtp_rset - RSET probe without a request context */
int
smtp_rset(struct smtp_session *session)
{
	struct smtp_reply reply;
	struct buf *why = buf_new(100);
	int	ret = -1;

	smtp_reply_init(&reply);
	stream_set_deadline(session->stream, var_smtp_rset_timeout * 1000L);
	if (smtp_send(session, "RSET") == 0 && stream_flush(session->stream) == 0
	    && smtp_reply_read(session->stream, &reply, why) == SMTP_READ_OK
	    && reply.code / 100 == 2) {
		session->need_rset = 0;
		ret = 0;
	} else {
		session->is_broken = 1;
	}
	smtp_reply_free(&reply);
	buf_free(why);
	return (ret);
}

/* smtp_session_quit - QUIT (unless broken) and close */
void
smtp_session_quit(struct smtp_session *session)
{
	struct smtp_reply reply;
	struct buf *why;

	if (!session->is_broken) {
		stream_set_deadline(session->stream, var_smtp_quit_timeout * 1000L);
		if (smtp_send(session, "QUIT") < 0 || stream_flush(session->stream) < 0) {
			session->is_broken = 1;
		} else if (!var_smtp_skip_quit_response) {
			smtp_reply_init(&reply);
			why = buf_new(100);
			(void) smtp_reply_read(session->stream, &reply, why);
			smtp_reply_free(&reply);
			buf_free(why);
		}
	}
	smtp_session_close(session);
}

/* smtp_mail_command - MAIL FROM with the parameters the server takes */
static void
smtp_mail_command(struct smtp_state *state, struct smtp_session *session,
		          struct buf *cmd)
{
	struct deliver_request *req = state->req;
	struct buf *tmp = buf_new(100);

	buf_printf(cmd, "MAIL FROM:<%s>", address_quote(tmp, req->sender));
	if (session->features & SMTP_FEAT_SIZE)
		buf_appendf(cmd, " SIZE=%ld", req->data_size);
	if ((session->features & SMTP_FEAT_8BITMIME) && req->encoding
	    && strcasecmp(req->encoding, "8bit") == 0)
		buf_cat(cmd, " BODY=8BITMIME");
	if ((session->features & SMTP_FEAT_SMTPUTF8) && req->smtputf8)
		buf_cat(cmd, " SMTPUTF8");
	if (session->features & SMTP_FEAT_DSN) {
		if (dsn_ret_str(req->dsn_ret))
			buf_appendf(cmd, " RET=%s", dsn_ret_str(req->dsn_ret));
		if (req->dsn_envid && *req->dsn_envid)
			buf_appendf(cmd, " ENVID=%s", dsn_xtext_encode(tmp, req->dsn_envid));
	}
	buf_free(tmp);
}

/* smtp_rcpt_command - RCPT TO with DSN parameters */
static void
smtp_rcpt_command(struct smtp_session *session, const struct smtp_rcpt *rcpt,
		          struct buf *cmd)
{
	struct buf *tmp = buf_new(100);

	buf_printf(cmd, "RCPT TO:<%s>", address_quote(tmp, rcpt->drcpt->address));
	if (session->features & SMTP_FEAT_DSN) {
		if (rcpt->drcpt->dsn_notify && dsn_notify_str(tmp, rcpt->drcpt->dsn_notify))
			buf_appendf(cmd, " NOTIFY=%s", tmp->data);
		if (rcpt->drcpt->orig_address && *rcpt->drcpt->orig_address) {
			struct buf *quoted = buf_new(100);

			address_quote(quoted, rcpt->drcpt->orig_address);
			buf_appendf(cmd, " ORCPT=rfc822;%s",
				    dsn_xtext_encode(tmp, quoted->data));
			buf_free(quoted);
		}
	}
	buf_free(tmp);
}

/* smtp_txn_fail_rcpt - a failure reply for one recipient */
static void
smtp_txn_fail_rcpt(struct smtp_state *state, struct smtp_session *session,
		           struct smtp_rcpt *rcpt, const struct smtp_reply *reply,
		           const char *command)
{
	rcpt->session_seq = state->session_seq;
	if (reply->code >= 500)
		smtp_rcpt_report(state, rcpt, DELIVER_STAT_BOUNCE, reply->dsn,
				 session->relay, reply->code,
				 "host %s said: %s (in reply to %s command)",
				 session->namaddr, reply->text->data, command);
	else
		smtp_rcpt_soft(rcpt, reply->dsn, session->relay, reply->code,
			       "host %s said: %s (in reply to %s command)",
			       session->namaddr, reply->text->data, command);
}

/* smtp_txn_reply - note throttle and 421 of a reply */
static int
smtp_txn_reply(struct smtp_state *state, struct smtp_session *session,
	               const struct smtp_reply *reply)
{
	int	bits = smtp_reply_classify(reply, smtp_conf.throttle);

	smtp_rcpt_throttle(state, reply, bits);
	if (bits & SMTP_CLASS_CLOSE)
		session->is_broken = 1;
	return (bits);
}

/* smtp_txn_close - the server said 421: everyone pending waits */
static void
smtp_txn_close(struct smtp_state *state, struct smtp_session *session,
	               const struct smtp_reply *reply, const char *command)
{
	session->is_broken = 1;
	smtp_rcpt_fail_pending(state, reply->dsn, session->relay, reply->code,
			       "host %s said: %s (in reply to %s command)",
			       session->namaddr, reply->text->data, command);
}

/* smtp_txn_mail - the reply to MAIL FROM */
static void
smtp_txn_mail(struct smtp_state *state, struct smtp_session *session,
	              struct smtp_txn *txn, const struct smtp_reply *reply)
{
	size_t	i;

	if (reply->code / 100 == 2) {
		txn->mail_ok = 1;
		return;
	}
	txn->aborted = 1;
	txn->progress = 1;
	if (smtp_txn_reply(state, session, reply) & SMTP_CLASS_CLOSE) {
		smtp_txn_close(state, session, reply, "MAIL FROM");
		return;
	}
	for (i = 0; i < txn->count; i++)
		smtp_txn_fail_rcpt(state, session, txn->rcpt[i], reply, "MAIL FROM");
}

/* smtp_txn_rcpt - the reply to one RCPT TO */
static void
smtp_txn_rcpt(struct smtp_state *state, struct smtp_session *session,
	              struct smtp_txn *txn, struct smtp_rcpt *rcpt,
	              const struct smtp_reply *reply)
{
	int	bits;

	if (!txn->mail_ok)
		return;				/* already failed with MAIL */
	if (reply->code / 100 == 2) {
		rcpt->is_accepted = 1;
		txn->accepted++;
		return;
	}
	bits = smtp_txn_reply(state, session, reply);
	if (bits & SMTP_CLASS_CLOSE) {
		smtp_txn_close(state, session, reply, "RCPT TO");
	} else if (bits & SMTP_CLASS_SPLIT) {
		rcpt->is_split = 1;
		smtp_rcpt_soft(rcpt, reply->dsn, session->relay, reply->code,
			       "host %s said: %s (in reply to RCPT TO command)",
			       session->namaddr, reply->text->data);
	} else {
		txn->progress = 1;
		smtp_txn_fail_rcpt(state, session, rcpt, reply, "RCPT TO");
	}
}

/* smtp_txn_accepted_fail - a failure for every accepted recipient */
static void
smtp_txn_accepted_fail(struct smtp_state *state, struct smtp_session *session,
		               struct smtp_txn *txn, const struct smtp_reply *reply,
		               const char *command)
{
	size_t	i;

	txn->progress = 1;
	if (smtp_txn_reply(state, session, reply) & SMTP_CLASS_CLOSE) {
		smtp_txn_close(state, session, reply, command);
		return;
	}
	for (i = 0; i < txn->count; i++)
		if (txn->rcpt[i]->is_accepted && txn->rcpt[i]->state == SMTP_RCPT_PENDING)
			smtp_txn_fail_rcpt(state, session, txn->rcpt[i], reply, command);
}

/* smtp_txn_data - the reply to DATA */
static void
smtp_txn_data(struct smtp_state *state, struct smtp_session *session,
	              struct smtp_txn *txn, const struct smtp_reply *reply)
{
	if (reply->code == 354) {
		txn->data_ok = 1;
		return;
	}
	if (txn->accepted > 0)
		smtp_txn_accepted_fail(state, session, txn, reply, "DATA");
	else
		(void) smtp_txn_reply(state, session, reply);
}

/* smtp_txn_command - the text of command number i */
static const char *
smtp_txn_command(struct smtp_state *state, struct smtp_session *session,
		         struct smtp_txn *txn, size_t i, struct buf *cmd)
{
	if (i == 0)
		smtp_mail_command(state, session, cmd);
	else if (i <= txn->count)
		smtp_rcpt_command(session, txn->rcpt[i - 1], cmd);
	else
		buf_cpy(cmd, "DATA");
	return (cmd->data);
}

/* smtp_txn_stage - stage text and timeout of command number i */
static const char *
smtp_txn_stage(const struct smtp_txn *txn, size_t i, long *timeout)
{
	if (i == 0) {
		*timeout = var_smtp_mail_timeout;
		return (SMTP_STAGE_MAIL);
	}
	if (i <= txn->count) {
		*timeout = var_smtp_rcpt_timeout;
		return (SMTP_STAGE_RCPT);
	}
	*timeout = var_smtp_data_init_timeout;
	return (SMTP_STAGE_DATA);
}

/* smtp_txn_may_send - may command number i go out now? */
static int
smtp_txn_may_send(const struct smtp_session *session, const struct smtp_txn *txn,
		          size_t i, size_t next_read)
{
	if (txn->aborted)
		return (0);
	if (session->features & SMTP_FEAT_PIPELINING)
		return (i < next_read + SMTP_PIPE_GROUP);
	if (i != next_read)
		return (0);
	/* Without pipelining, DATA only makes sense with a recipient. */
	return (i <= txn->count || txn->accepted > 0);
}

/* smtp_txn_commands - MAIL, RCPTs, DATA with or without pipelining */
static int
smtp_txn_commands(struct smtp_state *state, struct smtp_session *session,
		          struct smtp_txn *txn)
{
	struct smtp_reply reply;
	struct buf *cmd = buf_new(256);
	size_t	total = txn->count + 2, sent = 0, next = 0;
	const char *stage;
	long	timeout;
	int	ret = 0;

	smtp_reply_init(&reply);
	while (next < total && ret == 0) {
		stream_set_deadline(session->stream, var_smtp_mail_timeout * 1000L);
		for (; sent < total && smtp_txn_may_send(session, txn, sent, next); sent++)
			if (smtp_send(session, smtp_txn_command(state, session, txn, sent, cmd)) < 0)
				break;
		if (next == sent)
			break;			/* nothing (more) to read */
		if (stream_flush(session->stream) < 0) {
			smtp_write_trouble(state, session, smtp_txn_stage(txn, sent - 1, &timeout));
			ret = -1;
			break;
		}
		stage = smtp_txn_stage(txn, next, &timeout);
		if (smtp_read(state, session, timeout, &reply, stage) < 0) {
			ret = -1;
			break;
		}
		if (next == 0)
			smtp_txn_mail(state, session, txn, &reply);
		else if (next <= txn->count)
			smtp_txn_rcpt(state, session, txn, txn->rcpt[next - 1], &reply);
		else
			smtp_txn_data(state, session, txn, &reply);
		if (session->is_broken)
			ret = -1;
		next++;
	}
	smtp_reply_free(&reply);
	buf_free(cmd);
	return (ret);
}

/* smtp_txn_dot - the end of DATA and its reply */
static void
smtp_txn_dot(struct smtp_state *state, struct smtp_session *session,
	             struct smtp_txn *txn)
{
	struct smtp_reply reply;
	size_t	i;

	smtp_reply_init(&reply);
	stream_set_timeout(session->stream, 0);
	if (smtp_chat(state, session, var_smtp_data_done_timeout, &reply,
		      SMTP_STAGE_DOT, ".") == 0) {
		if (txn->accepted == 0) {
			(void) smtp_txn_reply(state, session, &reply);
		} else if (reply.code / 100 == 2) {
			txn->progress = 1;
			for (i = 0; i < txn->count; i++) {
				if (!txn->rcpt[i]->is_accepted)
					continue;
				txn->rcpt[i]->session_seq = state->session_seq;
				smtp_rcpt_report(state, txn->rcpt[i], DELIVER_STAT_OK,
						 reply.dsn, session->relay, reply.code,
						 "%s", reply.text->data);
			}
		} else {
			smtp_txn_accepted_fail(state, session, txn, &reply,
					       "end of DATA");
		}
	}
	smtp_reply_free(&reply);
}

/* smtp_txn_body - the content, then the dot */
static void
smtp_txn_body(struct smtp_state *state, struct smtp_session *session,
	              struct smtp_txn *txn)
{
	struct buf *why = buf_new(100);
	enum smtp_copy_status status = SMTP_COPY_OK;

	if (txn->accepted > 0) {
		stream_set_deadline(session->stream, 0);
		stream_set_timeout(session->stream, (int) var_smtp_data_xfer_timeout);
		status = smtp_text_copy(state->content_fd, state->req->data_offset,
					session->stream, var_smtp_line_length_limit, why);
	}
	if (status == SMTP_COPY_READ_ERR) {
		/* Never end a message that we could not read completely. */
		msg_warn("%s: %s: %s", state->req->queue_id, state->req->queue_name,
			 why->data);
		session->is_broken = 1;
		smtp_rcpt_fail_pending(state, "4.3.0", session->relay, 0,
				       "error reading message file: %s", why->data);
	} else if (status == SMTP_COPY_WRITE_ERR) {
		smtp_write_trouble(state, session, SMTP_STAGE_BODY);
	} else {
		smtp_txn_dot(state, session, txn);
	}
	buf_free(why);
}

/* smtp_txn_early - refuse what the server cannot take */
static int
smtp_txn_early(struct smtp_state *state, struct smtp_session *session,
	               struct smtp_txn *txn)
{
	struct deliver_request *req = state->req;
	size_t	i;

	if ((session->features & SMTP_FEAT_SIZE) && session->size_limit > 0
	    && req->data_size > session->size_limit) {
		for (i = 0; i < txn->count; i++)
			smtp_rcpt_report(state, txn->rcpt[i], DELIVER_STAT_BOUNCE, "5.3.4",
					 session->relay, 0,
				 "message size %ld exceeds size limit %ld of server %s",
				    req->data_size, session->size_limit,
					 session->namaddr);
		return (-1);
	}
	if (req->smtputf8 && (session->features & SMTP_FEAT_SMTPUTF8) == 0) {
		for (i = 0; i < txn->count; i++)
			smtp_rcpt_report(state, txn->rcpt[i], DELIVER_STAT_BOUNCE, "5.6.7",
					 session->relay, 0,
			     "SMTPUTF8 is required, but was not offered by host %s",
					 session->namaddr);
		return (-1);
	}
	return (0);
}

/* smtp_txn_run - one whole transaction */
static void
smtp_txn_run(struct smtp_state *state, struct smtp_session *session,
	             struct smtp_txn *txn)
{
	size_t	i;

	if (smtp_txn_early(state, session, txn) < 0) {
		txn->progress = 1;
		return;
	}
	session->need_rset = 1;
	if (smtp_txn_commands(state, session, txn) < 0)
		return;
	if (txn->data_ok) {
		smtp_txn_body(state, session, txn);
		if (!session->is_broken)
			session->need_rset = 0;
	}
	/* Split recipients with nobody accepted: no progress is possible. */
	if (txn->accepted == 0 && !txn->progress) {
		for (i = 0; i < txn->count; i++)
			if (txn->rcpt[i]->is_split)
				txn->rcpt[i]->session_seq = state->session_seq;
	}
}

/* smtp_txn_select - pending recipients not yet tried in this session */
static size_t
smtp_txn_select(struct smtp_state *state, struct smtp_txn *txn)
{
	size_t	i;

	txn->count = 0;
	for (i = 0; i < state->rcpt_count; i++) {
		struct smtp_rcpt *rcpt = state->rcpt + i;

		if (rcpt->state != SMTP_RCPT_PENDING
		    || rcpt->session_seq == state->session_seq)
			continue;
		rcpt->is_accepted = rcpt->is_split = 0;
		txn->rcpt[txn->count++] = rcpt;
	}
	return (txn->count);
}

/* smtp_xfer - transactions until every pending recipient was tried */
void
smtp_xfer(struct smtp_state *state, struct smtp_session *session)
{
	struct smtp_txn txn;
	struct smtp_reply reply;
	size_t	rounds;

	state->is_relayed = (session->features & SMTP_FEAT_DSN) == 0;
	txn.rcpt = xcalloc(state->rcpt_count + 1, sizeof(*txn.rcpt));
	smtp_reply_init(&reply);
	for (rounds = 0; rounds <= state->rcpt_count && !session->is_broken; rounds++) {
		txn.accepted = 0;
		txn.mail_ok = txn.aborted = txn.progress = txn.data_ok = 0;
		if (smtp_txn_select(state, &txn) == 0)
			break;
		if (session->need_rset) {
			if (smtp_chat(state, session, var_smtp_rset_timeout, &reply,
				      SMTP_STAGE_RSET, "RSET") < 0)
				break;
			if (reply.code / 100 != 2) {
				/* Never a reason to bounce: the mail was not refused. */
				reply.dsn[0] = '4';
				smtp_txn_close(state, session, &reply, "RSET");
				break;
			}
			session->need_rset = 0;
		}
		smtp_txn_run(state, session, &txn);
	}
	smtp_reply_free(&reply);
	free(txn.rcpt);
}
