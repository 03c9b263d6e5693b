/*
 * NAME
 *	smtpd - private interfaces of the SMTP server
 * SYNOPSIS
 *	#include "smtpd.h"
 * DESCRIPTION
 *	The SMTP server is split by topic, as Postfix's smtpd is:
 * .IP smtpd_parse.c
 *	command line and ESMTP parameter parsing (pure, no I/O).
 * .IP smtpd_dot.c
 *	end-of-data detection, dot-unstuffing and the SMTP smuggling
 *	defense, one line at a time (pure, no I/O).
 * .IP smtpd_net.c
 *	client address matching against mynetworks-style lists.
 * .IP smtpd_domain.c
 *	domain lists such as mydestination and relay_domains.
 * .IP smtpd_check.c
 *	access restrictions (smtpd_*_restrictions): the lists.
 * .IP smtpd_access.c
 *	check_*_access lookup tables.
 * .IP smtpd_resolve.c
 *	address classes, relay authorization and recipient validation
 *	(local_recipient_maps, relay_recipient_maps).
 * .IP smtpd_state.c
 *	the session: replies, command input, limits, error counting,
 *	statistics and the connect/disconnect log lines.
 * .IP smtpd_cmd.c
 *	the verb dispatch table and the commands.
 * .IP smtpd_data.c
 *	DATA: streaming message content to cleanup.
 * .IP smtpd_tls.c
 *	STARTTLS with OpenSSL.
 * .IP smtpd_anvil.c
 *	per-client limits through the anvil service.
 * SEE ALSO
 *	smtpd(8)
 */
#ifndef POSTERN_SMTPD_H
#define POSTERN_SMTPD_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/argv.h>

struct stream;
struct cleanup_client;
struct smtpd_tls;
struct smtpd_check;
struct resolve;

 /*
  * smtpd_parse.c: MAIL FROM and RCPT TO arguments.
  */
#define SMTPD_ENC_NONE		0
#define SMTPD_ENC_7BIT		1
#define SMTPD_ENC_8BITMIME	2

struct smtpd_mail_args {
	struct buf *sender;		/* internal form, "" = null sender */
	long	size;			/* SIZE=, -1 when absent */
	int	encoding;		/* SMTPD_ENC_* */
	bool	smtputf8;		/* SMTPUTF8 */
	int	dsn_ret;		/* DSN_RET_*, 0 when absent */
	struct buf *dsn_envid;		/* decoded ENVID, "" when absent */
	int	notes;			/* ADDRESS_NOTE_* of the path */
};

struct smtpd_rcpt_args {
	struct buf *rcpt;		/* internal form */
	int	dsn_notify;		/* DSN_NOTIFY_*, 0 when absent */
	struct buf *dsn_orcpt;		/* "type;address" decoded, "" when absent */
	int	notes;			/* ADDRESS_NOTE_* of the path */
};

 /*
  * Parser options.
  */
#define SMTPD_PARSE_STRICT	(1 << 0)	/* strict_rfc821_envelopes */
#define SMTPD_PARSE_NO_DSN	(1 << 1)	/* DSN not offered */
#define SMTPD_PARSE_NO_UTF8	(1 << 2)	/* SMTPUTF8 not offered */
#define SMTPD_PARSE_NO_8BIT	(1 << 3)	/* 8BITMIME not offered */

#define SMTPD_SIZE_OVERFLOW	(-2)		/* SIZE= too big for a long */

void	smtpd_mail_args_init(struct smtpd_mail_args *args);
void	smtpd_mail_args_reset(struct smtpd_mail_args *args);
void	smtpd_mail_args_free(struct smtpd_mail_args *args);
void	smtpd_rcpt_args_init(struct smtpd_rcpt_args *args);
void	smtpd_rcpt_args_free(struct smtpd_rcpt_args *args);

const char *smtpd_parse_verb(const char *line, struct buf *verb);
int	smtpd_parse_hello(const char *args, struct buf *name, struct buf *reply,
		const char *verb);
int	smtpd_parse_mail(const char *args, int flags,
		struct smtpd_mail_args *out, struct buf *reply);
int	smtpd_parse_rcpt(const char *args, int flags,
		struct smtpd_rcpt_args *out, struct buf *reply);
int	smtpd_parse_vrfy(const char *args, int flags, struct buf *addr,
		struct buf *reply);
bool	smtpd_parse_is_forbidden(const char *verb);

 /*
  * smtpd_dot.c: DATA lines.
  */
#define SMTPD_BARE_NL_NO	0	/* bare LF is a line end (unsafe) */
#define SMTPD_BARE_NL_NORMAL	1	/* accept bare LF, only CRLF.CRLF ends */
#define SMTPD_BARE_NL_REJECT	2	/* bare LF makes the message fail */

#define SMTPD_DOT_LINE_CRLF	1	/* line ended in CR LF */
#define SMTPD_DOT_LINE_LF	2	/* line ended in a bare LF */
#define SMTPD_DOT_LINE_PART	3	/* piece of a longer line */

#define SMTPD_DOT_NORM		0	/* content: the (last piece of a) line */
#define SMTPD_DOT_CONT		1	/* content: a piece, the line goes on */
#define SMTPD_DOT_END		2	/* end of data: no content */

struct smtpd_dot {
	int	mode;			/* SMTPD_BARE_NL_* */
	bool	prev_crlf;		/* previous line ended in CR LF */
	bool	in_line;		/* previous piece was a partial line */
	long	bare_lf;		/* lines that ended in a bare LF */
	long	lines;			/* complete lines seen */
};

int	smtpd_dot_mode(const char *value);
void	smtpd_dot_init(struct smtpd_dot *dot, int mode, bool start_crlf);
int	smtpd_dot_line(struct smtpd_dot *dot, const char *data, size_t len,
		int ending, const char **out, size_t *out_len);

 /*
  * smtpd_net.c: address lists such as mynetworks.
  */
struct smtpd_net;

struct smtpd_net *smtpd_net_new(const char *title, const char *list,
		struct buf *why);
int	smtpd_net_match(struct smtpd_net *net, const char *addr);
void	smtpd_net_free(struct smtpd_net *net);

 /*
  * smtpd_domain.c: domain lists such as mydestination.
  */
#define SMTPD_DOMAIN_PARENT	(1 << 0)	/* "example.com" matches subdomains */

struct smtpd_domain;

struct smtpd_domain *smtpd_domain_new(const char *title, const char *list,
		int flags, struct buf *why);
int	smtpd_domain_match(struct smtpd_domain *list, const char *domain);
void	smtpd_domain_free(struct smtpd_domain *list);

 /*
  * smtpd_check.c: access restrictions. The client and transaction facts
  * the checks look at.
  */
struct smtpd_check_ctx {
	const char *client_name;	/* "unknown" */
	const char *client_addr;	/* printable address */
	const char *namaddr;		/* name[addr] */
	const char *helo;		/* or NULL */
	const char *sender;		/* internal form, or NULL before MAIL */
	bool	is_sasl;		/* authenticated (never, for now) */
};

#define SMTPD_CHECK_DUNNO	0	/* no decision */
#define SMTPD_CHECK_OK		1	/* permitted */
#define SMTPD_CHECK_REJECT	2	/* rejected: reply holds the text */

struct smtpd_check *smtpd_check_new(struct buf *why);
void	smtpd_check_free(struct smtpd_check *chk);
int	smtpd_check_client(struct smtpd_check *chk,
		const struct smtpd_check_ctx *ctx, struct buf *reply);
int	smtpd_check_helo(struct smtpd_check *chk,
		const struct smtpd_check_ctx *ctx, struct buf *reply);
int	smtpd_check_mail(struct smtpd_check *chk,
		const struct smtpd_check_ctx *ctx, struct buf *reply);
int	smtpd_check_rcpt(struct smtpd_check *chk,
		const struct smtpd_check_ctx *ctx, const char *rcpt,
		struct buf *reply);
int	smtpd_check_vrfy(struct smtpd_check *chk,
		const struct smtpd_check_ctx *ctx, const char *rcpt,
		struct buf *reply);
int	smtpd_check_size(long size, struct buf *reply);
int	smtpd_check_mynetworks(struct smtpd_check *chk, const char *addr);
int	smtpd_check_bare_nl_excluded(struct smtpd_check *chk, const char *addr);
int	smtpd_check_event_exempt(struct smtpd_check *chk, const char *addr);

 /*
  * Internals of the restriction evaluator, shared by smtpd_check.c (the
  * lists), smtpd_access.c (check_*_access tables) and smtpd_resolve.c
  * (address classes and recipient validation).
  */
#define SMTPD_CHECK_LISTS	5	/* client helo sender relay recipient */
#define SMTPD_CHECK_MAX_DEPTH	20	/* access values naming restrictions */

struct maps;
struct htable;

struct smtpd_check {
	struct argv *lists[SMTPD_CHECK_LISTS];
	struct htable *tables;		/* access table spec -> struct maps * */
	struct smtpd_net *mynetworks;
	struct smtpd_net *bare_nl_exclusions;
	struct smtpd_net *event_exceptions;
	struct smtpd_domain *mydestination;
	struct smtpd_domain *relay_domains;
	struct smtpd_domain *virtual_domains;
	struct maps *local_rcpt_maps;	/* NULL: no validation */
	struct maps *relay_rcpt_maps;
	struct maps *virtual_maps;
	struct resolve *resolver;	/* qmgr's address classes: [literal] */
};

struct smtpd_check_job {
	struct smtpd_check *chk;
	const struct smtpd_check_ctx *ctx;
	const char *rcpt;		/* or NULL outside RCPT/VRFY */
	const char *reply_name;		/* what the current list is about */
	const char *reply_class;
	struct buf *reply;
	int	depth;
};

int	smtpd_check_reply(struct smtpd_check_job *job, int code, const char *dsn,
		const char *fmt, ...) PRINTFLIKE(4, 5);
int	smtpd_check_config_error(struct smtpd_check_job *job);
int	smtpd_check_lookup_error(struct smtpd_check_job *job, const char *name);
struct maps *smtpd_check_table(struct smtpd_check *chk, const char *spec);
int	smtpd_check_list(struct smtpd_check_job *job, char **items, size_t count);

int	smtpd_access_client(struct smtpd_check_job *job, const char *table);
int	smtpd_access_helo(struct smtpd_check_job *job, const char *table);
int	smtpd_access_sender(struct smtpd_check_job *job, const char *table);
int	smtpd_access_recipient(struct smtpd_check_job *job, const char *table);

#define SMTPD_CLASS_LOCAL	1	/* mydestination, our [address] */
#define SMTPD_CLASS_VIRTUAL	2	/* virtual_alias_domains */
#define SMTPD_CLASS_RELAY	3	/* relay_domains */
#define SMTPD_CLASS_DEFAULT	4	/* anything else */
#define SMTPD_CLASS_ERROR	(-1)	/* lookup failed */

int	smtpd_resolve_class(struct smtpd_check *chk, const char *addr);
int	smtpd_resolve_auth(struct smtpd_check_job *job);
int	smtpd_resolve_unauth(struct smtpd_check_job *job, int code, const char *dsn);
int	smtpd_resolve_unlisted(struct smtpd_check_job *job, const char *addr,
		const char *what);

 /*
  * smtpd_state.c: the session.
  */
#define SMTPD_AFTER_CONNECT	"CONNECT"	/* stage names for logging */
#define SMTPD_AFTER_DATA	"DATA"
#define SMTPD_AFTER_EOM		"END-OF-MESSAGE"

#define SMTPD_WAIT_OK		0	/* input is there */
#define SMTPD_WAIT_TIMEOUT	1	/* smtpd_timeout expired */
#define SMTPD_WAIT_STOP		2	/* master asked us to finish */

struct smtpd_cmd_stat {
	int	ok;
	int	total;
};

#define SMTPD_CMD_MAX		16	/* room in the statistics array */

struct smtpd_state {
	/* Connection. */
	struct stream *client;
	const char *service;		/* master.cf service name */
	char   *name;			/* client host name: "unknown" */
	char   *addr;			/* client address, printable */
	char   *port;			/* client port, printable */
	char   *namaddr;		/* name[addr] for logging */
	struct buf *buffer;		/* the current command line */
	struct buf *reply;		/* scratch for replies */
	const char *where;		/* last protocol stage, for logging */
	bool	is_stand_alone;		/* smtpd -S: sendmail -bs */
	bool	is_lost;		/* client went away or timed out */
	bool	is_quit;		/* QUIT seen or session to end */
	bool	in_data;		/* receiving message content */
	long	data_bytes;		/* content bytes received */
	/* Session. */
	char   *helo_name;		/* or NULL */
	const char *protocol;		/* "SMTP" or "ESMTP" (+S with TLS) */
	int	error_count;
	int	junk_cmds;
	int	bare_nl_mode;		/* SMTPD_BARE_NL_* for this client */
	bool	is_mynetworks;		/* client address in $mynetworks */
	bool	is_event_exempt;	/* not subject to anvil limits */
	bool	is_tls;			/* TLS active */
	bool	got_bare_lf;		/* a command line ended in bare LF */
	struct smtpd_tls *tls;
	bool	anvil_connected;	/* anvil knows this connection */
	/* Transaction. */
	bool	in_mail;		/* MAIL accepted */
	struct smtpd_mail_args mail;
	struct smtpd_rcpt_args rcpt;
	struct cleanup_client *cleanup;	/* open after the first recipient */
	char   *queue_id;		/* cleanup's queue ID, or NULL */
	int	rcpt_count;		/* accepted recipients */
	int	rcpt_overshoot;		/* recipients refused over the limit */
	bool	is_cleanup_broken;	/* cleanup failed during the transaction */
	/* Statistics for the disconnect line. */
	struct smtpd_cmd_stat stats[SMTPD_CMD_MAX];
	struct smtpd_cmd_stat unknown_stat;
	/* Checks. */
	struct smtpd_check *check;
};

void	smtpd_state_init(struct smtpd_state *state, struct stream *client,
		const char *service, const char *addr, const char *port);
void	smtpd_state_free(struct smtpd_state *state);
void	smtpd_state_reset_mail(struct smtpd_state *state);
void	smtpd_state_check_ctx(const struct smtpd_state *state,
		struct smtpd_check_ctx *ctx);
void	smtpd_reply(struct smtpd_state *state, const char *fmt, ...)
		PRINTFLIKE(2, 3);
void	smtpd_reply_buf(struct smtpd_state *state, const struct buf *text);
int	smtpd_flush(struct smtpd_state *state);
int	smtpd_read_command(struct smtpd_state *state);
void	smtpd_timeout(struct smtpd_state *state);
int	smtpd_input_failed(struct smtpd_state *state);
bool	smtpd_reply_is_error(const char *text);
void	smtpd_log_reject(struct smtpd_state *state, const char *cmd,
		const char *reply, const char *rcpt);
void	smtpd_log_lost(struct smtpd_state *state);
void	smtpd_log_disconnect(struct smtpd_state *state);
void	smtpd_session(struct smtpd_state *state);

 /*
  * smtpd_cmd.c: the verbs.
  */
typedef int (*smtpd_check_fn)(struct smtpd_state *state);
typedef int (*smtpd_action_fn)(struct smtpd_state *state, const char *args);

#define SMTPD_CMD_FLAG_LIMIT	(1 << 0)	/* counts as a junk command */
#define SMTPD_CMD_FLAG_PRE_TLS	(1 << 1)	/* allowed before STARTTLS */
#define SMTPD_CMD_FLAG_LAST	(1 << 2)	/* must end a pipelined group */

struct smtpd_cmd {
	const char *name;
	smtpd_check_fn check;		/* precondition, or NULL */
	smtpd_action_fn action;		/* 0 = success, -1 = failure */
	int	flags;
};

const struct smtpd_cmd *smtpd_cmd_find(const char *verb, int *index);
const struct smtpd_cmd *smtpd_cmd_at(int index);
int	smtpd_cmd_dispatch(struct smtpd_state *state);
void	smtpd_cmd_ehlo_list(struct smtpd_state *state, struct argv *out);

 /*
  * smtpd_data.c: message content.
  */
int	smtpd_data_receive(struct smtpd_state *state);

 /*
  * smtpd_tls.c: STARTTLS.
  */
#define SMTPD_TLS_NONE		0
#define SMTPD_TLS_MAY		1
#define SMTPD_TLS_ENCRYPT	2

int	smtpd_tls_level(void);
int	smtpd_tls_init(struct buf *why);
int	smtpd_tls_available(void);
int	smtpd_tls_start(struct smtpd_state *state, struct buf *why);
void	smtpd_tls_stop(struct smtpd_state *state);
const char *smtpd_tls_summary(const struct smtpd_state *state);
long	smtpd_tls_pending(const struct smtpd_state *state);

 /*
  * smtpd_anvil.c: per-client limits.
  */
int	smtpd_anvil_connect(struct smtpd_state *state);
void	smtpd_anvil_disconnect(struct smtpd_state *state);
int	smtpd_anvil_mail(struct smtpd_state *state);
int	smtpd_anvil_rcpt(struct smtpd_state *state);

#endif
