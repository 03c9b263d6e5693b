/*
 * NAME
 *	smtpd_cmd - SMTP verbs: the dispatch table and the commands
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int	smtpd_cmd_dispatch(struct smtpd_state *state);
 *	const struct smtpd_cmd *smtpd_cmd_find(const char *verb, int *index);
 *	const struct smtpd_cmd *smtpd_cmd_at(int index);
 *	void	smtpd_cmd_ehlo_list(struct smtpd_state *state, struct argv *out);
 * DESCRIPTION
 *	smtpd_cmd_dispatch() handles the command line in state->buffer: it
 *	finds the verb in the table {name, check, action, flags}, runs the
 *	check (a precondition such as "MAIL needs HELO"), then the action,
 *	and counts the outcome for the disconnect statistics. A failed
 *	check or action counts as an error (smtpd_hard_error_limit);
 *	commands flagged SMTPD_CMD_FLAG_LIMIT beyond
 *	smtpd_junk_command_limit do too. With smtpd_tls_security_level =
 *	encrypt only the commands flagged SMTPD_CMD_FLAG_PRE_TLS work
 *	before STARTTLS ("530 5.7.0 Must issue a STARTTLS command first").
 *
 *	Replies, as Postfix 3.7's where Postfix has the command:
 *
 *	    HELO/EHLO  250 $myhostname (EHLO lists the extensions:
 *	               PIPELINING, SIZE N, STARTTLS when offered,
 *	               ENHANCEDSTATUSCODES, 8BITMIME, DSN, SMTPUTF8;
 *	               smtpd_discard_ehlo_keywords removes some)
 *	    MAIL       250 2.1.0 Ok
 *	               503 5.5.1 Error: send HELO/EHLO first
 *	               503 5.5.1 Error: nested MAIL command
 *	               552 5.3.4 Message size exceeds fixed limit
 *	    RCPT       250 2.1.5 Ok
 *	               503 5.5.1 Error: need MAIL command
 *	               452 4.5.3 Error: too many recipients
 *	               451 4.3.0 Error: queue file write error
 *	    DATA       354 End data with <CR><LF>.<CR><LF>
 *	               503 5.5.1 Error: need RCPT command (no MAIL)
 *	               554 5.5.1 Error: no valid recipients
 *	               501 5.5.4 Syntax: DATA
 *	    RSET, NOOP 250 2.0.0 Ok (501 5.5.4 Syntax: RSET/NOOP with arguments)
 *	    VRFY       252 2.0.0 Cannot VRFY user, but will accept message
 *	               and attempt delivery (no address is ever confirmed);
 *	               502 5.5.1 VRFY command is disabled with
 *	               disable_vrfy_command = yes
 *	    HELP       214 2.0.0 Commands: ...
 *	    QUIT       221 2.0.0 Bye
 *	    STARTTLS   220 2.0.0 Ready to start TLS
 *	    unknown    502 5.5.2 Error: command not recognized
 *	    empty line 500 5.5.2 Error: bad syntax
 *	    GET, POST, CONNECT, binary garbage
 *	               521 5.7.0 Error: I can break rules, too. Goodbye.
 *	               (and the connection is closed; logged as "warning:
 *	               non-SMTP command from CLIENT: LINE")
 *
 *	The queue file is opened at the first accepted recipient (as
 *	Postfix's smtpd_delay_open_until_valid_rcpt), which is when
 *	"ID: client=CLIENT" is logged.
 *
 *	smtpd_cmd_find() returns a verb's table entry and its index (for
 *	statistics), smtpd_cmd_at() the entry at an index (NULL past the
 *	end). smtpd_cmd_ehlo_list() lists the EHLO keywords for a session.
 */
#include <util/sys_defs.h>
#include <strings.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/cleanup_client.h>
#include <global/dsn.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include "smtpd.h"

/* cmd_need_helo - MAIL before HELO/EHLO when smtpd_helo_required */
static int
cmd_need_helo(struct smtpd_state *state)
{
	if (var_smtpd_helo_required && state->helo_name == NULL) {
		smtpd_reply(state, "503 5.5.1 Error: send HELO/EHLO first");
		return (-1);
	}
	return (0);
}

/* cmd_need_mail - RCPT outside a transaction */
static int
cmd_need_mail(struct smtpd_state *state)
{
	if (!state->in_mail) {
		smtpd_reply(state, "503 5.5.1 Error: need MAIL command");
		return (-1);
	}
	return (0);
}

/* cmd_need_rcpt - DATA without MAIL or without recipients */
static int
cmd_need_rcpt(struct smtpd_state *state)
{
	if (!state->in_mail) {
		smtpd_reply(state, "503 5.5.1 Error: need RCPT command");
		return (-1);
	}
	if (state->rcpt_count == 0) {
		smtpd_reply(state, "554 5.5.1 Error: no valid recipients");
		return (-1);
	}
	return (0);
}

/* cmd_keyword_discarded - smtpd_discard_ehlo_keywords */
static bool
cmd_keyword_discarded(const char *keyword)
{
	struct argv *list = argv_split(var_smtpd_discard_ehlo_keywords, ARGV_LIST_DELIMS);
	bool	hit = false;
	size_t	i;

	for (i = 0; !hit && i < list->argc; i++)
		hit = (strcasecmp(list->argv[i], keyword) == 0);
	argv_free(list);
	return (hit);
}

/* cmd_parse_flags - which ESMTP parameters the session accepts */
static int
cmd_parse_flags(void)
{
	int	flags = 0;

	if (var_strict_rfc821_envelopes)
		flags |= SMTPD_PARSE_STRICT;
	if (cmd_keyword_discarded("DSN"))
		flags |= SMTPD_PARSE_NO_DSN;
	if (!var_smtputf8_enable || cmd_keyword_discarded("SMTPUTF8"))
		flags |= SMTPD_PARSE_NO_UTF8;
	if (cmd_keyword_discarded("8BITMIME"))
		flags |= SMTPD_PARSE_NO_8BIT;
	return (flags);
}

/* smtpd_cmd_ehlo_list - the EHLO keywords for this session */
void
smtpd_cmd_ehlo_list(struct smtpd_state *state, struct argv *out)
{
	struct buf *size = buf_new(32);
	static const char *const plain[] = {
		"ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8",
	};
	size_t	i;

	if (!cmd_keyword_discarded("PIPELINING"))
		argv_add(out, "PIPELINING");
	if (!cmd_keyword_discarded("SIZE")) {
		if (var_message_size_limit > 0)
			buf_printf(size, "SIZE %ld", var_message_size_limit);
		else
			buf_cpy(size, "SIZE");
		argv_add(out, buf_str(size));
	}
	if (!state->is_tls && smtpd_tls_available() && !cmd_keyword_discarded("STARTTLS"))
		argv_add(out, "STARTTLS");
	for (i = 0; i < ARRAY_LEN(plain); i++)
		if (!cmd_keyword_discarded(plain[i])
		    && (strcmp(plain[i], "SMTPUTF8") != 0 || var_smtputf8_enable))
			argv_add(out, plain[i]);
	buf_free(size);
}

/* cmd_hello_common - HELO/EHLO argument and session reset */
static int
cmd_hello_common(struct smtpd_state *state, const char *args, const char *verb)
{
	struct buf *name = buf_new(64);
	struct smtpd_check_ctx ctx;

	if (smtpd_parse_hello(args, name, state->reply, verb) < 0) {
		smtpd_reply_buf(state, state->reply);
		buf_free(name);
		return (-1);
	}
	smtpd_state_reset_mail(state);
	free(state->helo_name);
	state->helo_name = buf_steal(name);
	if (!var_smtpd_delay_reject && !state->is_stand_alone) {
		smtpd_state_check_ctx(state, &ctx);
		if (smtpd_check_helo(state->check, &ctx, state->reply) == SMTPD_CHECK_REJECT) {
			smtpd_log_reject(state, verb, buf_str(state->reply), NULL);
			smtpd_reply_buf(state, state->reply);
			return (-1);
		}
	}
	return (0);
}

/* cmd_helo - HELO */
static int
cmd_helo(struct smtpd_state *state, const char *args)
{
	if (cmd_hello_common(state, args, "HELO") < 0)
		return (-1);
	state->protocol = state->is_tls ? "SMTPS" : "SMTP";
	smtpd_reply(state, "250 %s", var_myhostname);
	return (0);
}

/* cmd_ehlo - EHLO */
static int
cmd_ehlo(struct smtpd_state *state, const char *args)
{
	struct argv *list;
	size_t	i;

	if (cmd_hello_common(state, args, "EHLO") < 0)
		return (-1);
	state->protocol = state->is_tls ? "ESMTPS" : "ESMTP";
	list = argv_new(10);
	smtpd_cmd_ehlo_list(state, list);
	smtpd_reply(state, "250%c%s", list->argc ? '-' : ' ', var_myhostname);
	for (i = 0; i < list->argc; i++)
		smtpd_reply(state, "250%c%s", i + 1 < list->argc ? '-' : ' ', list->argv[i]);
	argv_free(list);
	return (0);
}

/* cmd_starttls - STARTTLS */
static int
cmd_starttls(struct smtpd_state *state, const char *args)
{
	struct buf *why;

	if (*args) {
		smtpd_reply(state, "501 5.5.4 Syntax: STARTTLS");
		return (-1);
	}
	if (state->is_tls) {
		smtpd_reply(state, "554 5.5.1 Error: TLS already active");
		return (-1);
	}
	if (!smtpd_tls_available()) {
		smtpd_reply(state, "502 5.5.1 Error: command not implemented");
		return (-1);
	}
	if (state->in_mail) {
		smtpd_reply(state, "503 5.5.1 Error: MAIL transaction in progress");
		return (-1);
	}
	smtpd_reply(state, "220 2.0.0 Ready to start TLS");
	why = buf_new(64);
	if (smtpd_tls_start(state, why) < 0) {
		msg_info("%s", buf_str(why));
		smtpd_log_lost(state);
		buf_free(why);
		return (-1);
	}
	buf_free(why);
	smtpd_state_reset_mail(state);
	free(state->helo_name);
	state->helo_name = NULL;
	state->protocol = "SMTP";
	return (0);
}

/* cmd_mail - MAIL FROM */
static int
cmd_mail(struct smtpd_state *state, const char *args)
{
	struct smtpd_check_ctx ctx;

	if (state->in_mail) {
		smtpd_reply(state, "503 5.5.1 Error: nested MAIL command");
		return (-1);
	}
	if (smtpd_parse_mail(args, cmd_parse_flags(), &state->mail, state->reply) < 0) {
		smtpd_reply_buf(state, state->reply);
		return (-1);
	}
	if (smtpd_check_size(state->mail.size, state->reply) < 0) {
		smtpd_log_reject(state, "MAIL", buf_str(state->reply), NULL);
		smtpd_reply_buf(state, state->reply);
		return (-1);
	}
	if (!state->is_stand_alone && smtpd_anvil_mail(state) < 0)
		return (-1);
	state->in_mail = true;
	if (!var_smtpd_delay_reject && !state->is_stand_alone) {
		smtpd_state_check_ctx(state, &ctx);
		if (smtpd_check_client(state->check, &ctx, state->reply) == SMTPD_CHECK_REJECT
		    || smtpd_check_mail(state->check, &ctx, state->reply) == SMTPD_CHECK_REJECT) {
			smtpd_log_reject(state, "MAIL", buf_str(state->reply), NULL);
			smtpd_reply_buf(state, state->reply);
			smtpd_state_reset_mail(state);
			return (-1);
		}
	}
	smtpd_reply(state, "250 2.1.0 Ok");
	return (0);
}

/* cmd_open_queue - the queue file, at the first accepted recipient */
static int
cmd_open_queue(struct smtpd_state *state)
{
	struct smtpd_mail_args *mail = &state->mail;
	struct buf *why = buf_new(64);
	char	ret[16];
	int	flags = CLEANUP_FLAG_MASK_SMTPD;
	struct cleanup_client *cl;

	if (mail->smtputf8)
		flags |= CLEANUP_FLAG_SMTPUTF8;
	if ((cl = cleanup_open(flags, why)) == NULL) {
		msg_warn("%s: cannot open a queue file: %s", state->namaddr, buf_str(why));
		buf_free(why);
		return (-1);
	}
	buf_free(why);
	state->cleanup = cl;
	state->queue_id = xstrdup(cleanup_queue_id(cl));
	msg_info("%s: client=%s", state->queue_id, state->namaddr);
	cleanup_sender(cl, buf_str(mail->sender));
	cleanup_attr(cl, MAIL_ATTR_CLIENT_NAME, state->name);
	cleanup_attr(cl, MAIL_ATTR_CLIENT_ADDR, state->addr);
	cleanup_attr(cl, MAIL_ATTR_CLIENT_PORT, state->port);
	if (state->helo_name)
		cleanup_attr(cl, MAIL_ATTR_HELO_NAME, state->helo_name);
	cleanup_attr(cl, MAIL_ATTR_PROTO_NAME, state->protocol);
	if (buf_len(mail->dsn_envid))
		cleanup_attr(cl, MAIL_ATTR_DSN_ENVID, buf_str(mail->dsn_envid));
	if (mail->dsn_ret) {
		snprintf(ret, sizeof(ret), "%d", mail->dsn_ret);
		cleanup_attr(cl, MAIL_ATTR_DSN_RET, ret);
	}
	if (mail->encoding != SMTPD_ENC_NONE)
		cleanup_attr(cl, MAIL_ATTR_ENCODING,
			     mail->encoding == SMTPD_ENC_8BITMIME ? "8BITMIME" : "7BIT");
	if (mail->smtputf8)
		cleanup_attr(cl, MAIL_ATTR_SMTPUTF8, "1");
	return (0);
}

/* cmd_rcpt_check - restrictions for one recipient; 0 accepted */
static int
cmd_rcpt_check(struct smtpd_state *state, const char *rcpt)
{
	struct smtpd_check_ctx ctx;

	if (state->is_stand_alone)
		return (0);
	smtpd_state_check_ctx(state, &ctx);
	if (smtpd_check_rcpt(state->check, &ctx, rcpt, state->reply) != SMTPD_CHECK_REJECT)
		return (0);
	smtpd_log_reject(state, "RCPT", buf_str(state->reply), rcpt);
	smtpd_reply_buf(state, state->reply);
	return (-1);
}

/* cmd_rcpt - RCPT TO */
static int
cmd_rcpt(struct smtpd_state *state, const char *args)
{
	struct smtpd_rcpt_args *rcpt = &state->rcpt;

	if (var_smtpd_recipient_limit > 0 && state->rcpt_count >= var_smtpd_recipient_limit) {
		if (++state->rcpt_overshoot > var_smtpd_recipient_overshoot_limit)
			state->error_count++;
		smtpd_reply(state, "452 4.5.3 Error: too many recipients");
		return (-1);
	}
	if (smtpd_parse_rcpt(args, cmd_parse_flags(), rcpt, state->reply) < 0) {
		smtpd_reply_buf(state, state->reply);
		return (-1);
	}
	if (!state->is_stand_alone && smtpd_anvil_rcpt(state) < 0)
		return (-1);
	if (cmd_rcpt_check(state, buf_str(rcpt->rcpt)) < 0)
		return (-1);
	if (state->cleanup == NULL && cmd_open_queue(state) < 0) {
		smtpd_reply(state, "451 4.3.0 Error: queue file write error");
		return (-1);
	}
	cleanup_rcpt(state->cleanup, buf_str(rcpt->rcpt), NULL,
		     buf_len(rcpt->dsn_orcpt) ? buf_str(rcpt->dsn_orcpt) : NULL,
		     rcpt->dsn_notify);
	state->rcpt_count++;
	smtpd_reply(state, "250 2.1.5 Ok");
	return (0);
}

/* cmd_data - DATA */
static int
cmd_data(struct smtpd_state *state, const char *args)
{
	if (*args) {
		smtpd_reply(state, "501 5.5.4 Syntax: DATA");
		return (-1);
	}
	return (smtpd_data_receive(state));
}

/* cmd_rset - RSET */
static int
cmd_rset(struct smtpd_state *state, const char *args)
{
	if (*args) {
		smtpd_reply(state, "501 5.5.4 Syntax: RSET");
		return (-1);
	}
	smtpd_state_reset_mail(state);
	smtpd_reply(state, "250 2.0.0 Ok");
	return (0);
}

/* cmd_noop - NOOP */
static int
cmd_noop(struct smtpd_state *state, const char *args)
{
	if (*args) {
		smtpd_reply(state, "501 5.5.4 Syntax: NOOP");
		return (-1);
	}
	smtpd_reply(state, "250 2.0.0 Ok");
	return (0);
}

/* cmd_vrfy - VRFY: syntax only, no address is ever confirmed */
static int
cmd_vrfy(struct smtpd_state *state, const char *args)
{
	struct buf *addr;

	if (var_disable_vrfy_command) {
		smtpd_reply(state, "502 5.5.1 VRFY command is disabled");
		return (-1);
	}
	addr = buf_new(64);
	if (smtpd_parse_vrfy(args, cmd_parse_flags(), addr, state->reply) < 0) {
		smtpd_reply_buf(state, state->reply);
		buf_free(addr);
		return (-1);
	}
	buf_free(addr);
	smtpd_reply(state, "252 2.0.0 Cannot VRFY user, but will accept message "
		    "and attempt delivery");
	return (0);
}

/* cmd_help - HELP */
static int
cmd_help(struct smtpd_state *state, const char *args)
{
	(void) args;
	smtpd_reply(state, "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP "
		    "VRFY HELP QUIT%s", smtpd_tls_available() ? " STARTTLS" : "");
	return (0);
}

/* cmd_quit - QUIT */
static int
cmd_quit(struct smtpd_state *state, const char *args)
{
	(void) args;
	smtpd_reply(state, "221 2.0.0 Bye");
	state->is_quit = true;
	return (0);
}

static const struct smtpd_cmd smtpd_cmd_table[] = {
	{"HELO", NULL, cmd_helo, SMTPD_CMD_FLAG_PRE_TLS},
	{"EHLO", NULL, cmd_ehlo, SMTPD_CMD_FLAG_PRE_TLS},
	{"STARTTLS", NULL, cmd_starttls, SMTPD_CMD_FLAG_PRE_TLS | SMTPD_CMD_FLAG_LAST},
	{"MAIL", cmd_need_helo, cmd_mail, 0},
	{"RCPT", cmd_need_mail, cmd_rcpt, 0},
	{"DATA", cmd_need_rcpt, cmd_data, SMTPD_CMD_FLAG_LAST},
	{"RSET", NULL, cmd_rset, SMTPD_CMD_FLAG_LIMIT},
	{"NOOP", NULL, cmd_noop, SMTPD_CMD_FLAG_LIMIT | SMTPD_CMD_FLAG_PRE_TLS},
	{"VRFY", NULL, cmd_vrfy, SMTPD_CMD_FLAG_LIMIT | SMTPD_CMD_FLAG_LAST},
	{"HELP", NULL, cmd_help, SMTPD_CMD_FLAG_LIMIT | SMTPD_CMD_FLAG_PRE_TLS},
	{"QUIT", NULL, cmd_quit, SMTPD_CMD_FLAG_PRE_TLS},
};

/* smtpd_cmd_at - the table entry at an index */
const struct smtpd_cmd *
smtpd_cmd_at(int index)
{
	if (index < 0 || (size_t) index >= ARRAY_LEN(smtpd_cmd_table))
		return (NULL);
	return (smtpd_cmd_table + index);
}

/* smtpd_cmd_find - a verb's table entry */
const struct smtpd_cmd *
smtpd_cmd_find(const char *verb, int *index)
{
	size_t	i;

	for (i = 0; i < ARRAY_LEN(smtpd_cmd_table); i++) {
		if (strcmp(verb, smtpd_cmd_table[i].name) == 0) {
			*index = (int) i;
			return (smtpd_cmd_table + i);
		}
	}
	return (NULL);
}

/* cmd_forbidden - an HTTP request or garbage: hang up */
static void
cmd_forbidden(struct smtpd_state *state)
{
	msg_warn("non-SMTP command from %s: %.100s", state->namaddr, buf_str(state->buffer));
	smtpd_reply(state, "521 5.7.0 Error: I can break rules, too. Goodbye.");
	state->unknown_stat.total++;
	state->is_quit = true;
}

/* cmd_run - checks and action of one known command */
static void
cmd_run(struct smtpd_state *state, const struct smtpd_cmd *cmd, int index,
	        const char *args)
{
	state->stats[index].total++;
	if (smtpd_tls_level() == SMTPD_TLS_ENCRYPT && !state->is_tls
	    && !(cmd->flags & SMTPD_CMD_FLAG_PRE_TLS)) {
		smtpd_reply(state, "530 5.7.0 Must issue a STARTTLS command first");
		state->error_count++;
		return;
	}
	if ((cmd->flags & SMTPD_CMD_FLAG_LIMIT)
	    && state->junk_cmds++ > var_smtpd_junk_command_limit)
		state->error_count++;
	if (cmd->check && cmd->check(state) < 0) {
		state->error_count++;
		return;
	}
	state->where = cmd->name;
	if (cmd->action(state, args) == 0)
		state->stats[index].ok++;
	else
		state->error_count++;
}

/* smtpd_cmd_dispatch - run one command line */
int
smtpd_cmd_dispatch(struct smtpd_state *state)
{
	struct buf *verb = buf_new(16);
	const struct smtpd_cmd *cmd;
	const char *args;
	int	index;

	args = smtpd_parse_verb(buf_str(state->buffer), verb);
	if (buf_len(verb) == 0) {
		smtpd_reply(state, "500 5.5.2 Error: bad syntax");
		state->error_count++;
	} else if (smtpd_parse_is_forbidden(buf_str(verb))) {
		cmd_forbidden(state);
	} else if ((cmd = smtpd_cmd_find(buf_str(verb), &index)) == NULL) {
		state->unknown_stat.total++;
		state->error_count++;
		smtpd_reply(state, "502 5.5.2 Error: command not recognized");
	} else {
		cmd_run(state, cmd, index, args);
	}
	buf_free(verb);
	return (0);
}
