/*
 * NAME
 *	cleanup_client - hand one message to the cleanup service
 * SYNOPSIS
 *	#include <global/cleanup_client.h>
 *
 *	struct cleanup_client *cleanup_open(int flags, struct buf *why);
 *	const char *cleanup_queue_id(const struct cleanup_client *cl);
 *
 *	int	cleanup_sender(struct cleanup_client *cl, const char *sender);
 *	int	cleanup_full_name(struct cleanup_client *cl, const char *name);
 *	int	cleanup_arrival(struct cleanup_client *cl, time_t when);
 *	int	cleanup_attr(struct cleanup_client *cl, const char *name,
 *			const char *value);
 *	int	cleanup_rcpt(struct cleanup_client *cl, const char *rcpt,
 *			const char *orig_rcpt, const char *dsn_orcpt,
 *			int dsn_notify);
 *	int	cleanup_content(struct cleanup_client *cl, const char *line,
 *			size_t len, int type);
 *	int	cleanup_record(struct cleanup_client *cl, int type,
 *			const char *data, size_t len);
 *
 *	int	cleanup_finish(struct cleanup_client *cl, struct buf *reason);
 *	void	cleanup_abort(struct cleanup_client *cl);
 *
 *	const char *cleanup_strerror(int status);
 *	const struct cleanup_stat_detail *cleanup_stat_detail(int status);
 * DESCRIPTION
 *	This module is the client side of the cleanup protocol, used by
 *	smtpd, pickup and bounce to turn one message into a queue file in
 *	incoming/. The calls follow the order of a message:
 *
 *	cleanup_open() connects to public/cleanup (master.cf marks the
 *	service not private, as Postfix's does; mail_connect() finds it
 *	below queue_directory), waits for the
 *	queue ID that cleanup assigns (cleanup may first wait up to
 *	in_flow_delay for a flow token, so this call can take that long)
 *	and sends the CLEANUP_FLAG_* processing flags. It returns NULL with
 *	a reason in why when the service cannot be reached or cannot create
 *	a queue file; treat that as CLEANUP_STAT_WRITE (451 4.3.0).
 *
 *	cleanup_queue_id() is the queue ID of the file being written, for
 *	log lines ("ID: client=...") before the message is complete.
 *
 *	Envelope: cleanup_sender() once ("" is the null sender <>);
 *	cleanup_full_name() the sender's full name (sendmail -F);
 *	cleanup_arrival() the arrival time when it is not "now" (pickup
 *	passes the maildrop file's posting time); cleanup_attr() one named
 *	attribute with a MAIL_ATTR_* name from mail_proto.h: the SMTP
 *	client's MAIL_ATTR_CLIENT_NAME, _CLIENT_ADDR, _CLIENT_PORT,
 *	MAIL_ATTR_HELO_NAME and MAIL_ATTR_PROTO_NAME (ESMTP, SMTP, ...) for
 *	the Received: header, MAIL_ATTR_DSN_ENVID, MAIL_ATTR_DSN_RET,
 *	MAIL_ATTR_ENCODING (7BIT, 8BITMIME), MAIL_ATTR_SMTPUTF8,
 *	MAIL_ATTR_LOG_IDENT, MAIL_ATTR_SASL_METHOD, MAIL_ATTR_SASL_USERNAME,
 *	CLEANUP_ATTR_UID (pickup: the submitting user);
 *	cleanup_rcpt() one envelope recipient (internal form), with the
 *	original recipient as the client gave it (NULL when the same), the
 *	DSN ORCPT parameter as "type;address" (NULL when none) and its DSN
 *	NOTIFY bits (DSN_NOTIFY_* from dsn.h; 0 when none was given).
 *
 *	Content: cleanup_content() once per line of the message, headers
 *	first, then the empty line, then the body, WITHOUT the line end.
 *	A line longer than the caller's buffer is passed in pieces: every
 *	piece but the last with type CLEANUP_LINE_CONT, the last (or only)
 *	piece with CLEANUP_LINE_NORM. cleanup itself splits lines longer
 *	than line_length_limit, as Postfix does. SMTP dot-unstuffing is the
 *	caller's job.
 *
 *	cleanup_record() sends one queue file record as it is (a record
 *	type of record.h); pickup uses it to stream a maildrop file that it
 *	has validated. cleanup checks every record again.
 *
 *	cleanup adds the Received: header itself (from the client
 *	attributes: "from HELO (NAME [ADDR]) by ... with PROTOCOL"; without
 *	them "by HOST (Postern, from userid UID)" or "by HOST (Postern)"),
 *	so callers must not write one.
 *
 *	cleanup_finish() ends the message, waits for cleanup's verdict and
 *	frees the client. It returns CLEANUP_STAT_OK only after cleanup has
 *	made the queue file durable (file and directory fsync'ed, mode
 *	0700) and woken qmgr. Otherwise it returns a non-zero mask of
 *	CLEANUP_STAT_* bits and leaves a human-readable reason in reason
 *	(which may be NULL). cleanup_abort() drops the connection instead;
 *	cleanup then removes the half-written queue file.
 *
 *	The envelope and content calls return 0, or -1 when the connection
 *	to cleanup failed; after a failure the later calls do nothing and
 *	cleanup_finish() reports CLEANUP_STAT_WRITE, so a caller may send a
 *	whole message and check only the final status.
 *
 *	cleanup_strerror() turns a status into Postfix's short text
 *	("queue file write error"); cleanup_stat_detail() gives the SMTP
 *	reply code and enhanced status code that smtpd sends for it. The
 *	table, first match wins (as Postfix's cleanup_strerror.c):
 *
 *	    status               smtp  dsn    text
 *	    CLEANUP_STAT_DEFER   451   4.7.1  service unavailable
 *	    CLEANUP_STAT_PROXY   451   4.3.0  queue file write error
 *	    CLEANUP_STAT_BAD     451   4.3.0  internal protocol error
 *	    CLEANUP_STAT_RCPT    550   5.1.0  no recipients specified
 *	    CLEANUP_STAT_HOPS    554   5.4.0  too many hops
 *	    CLEANUP_STAT_SIZE    552   5.3.4  message file too big
 *	    CLEANUP_STAT_CONT    550   5.7.1  message content rejected
 *	    CLEANUP_STAT_WRITE   451   4.3.0  queue file write error
 *	    CLEANUP_STAT_NOPERM  550   5.7.1  service denied
 *	    CLEANUP_STAT_OK      250   2.0.0  Success
 *
 *	smtpd answers "CODE DSN Error: TEXT" (with the reason when cleanup
 *	gave a more specific one for _CONT), e.g. "451 4.3.0 Error: queue
 *	file write error" for a full disk or queue_minfree, "552 5.3.4
 *	Error: message file too big" for message_size_limit.
 *
 *	Flags for cleanup_open():
 * .IP CLEANUP_FLAG_BOUNCE
 *	Return undeliverable mail (too big, too many hops, no recipients)
 *	to the sender instead of failing; cleanup_finish() then says OK
 *	(pickup: the maildrop file must not be retried forever).
 * .IP CLEANUP_FLAG_FILTER
 *	Apply header_checks.
 * .IP CLEANUP_FLAG_HOLD
 *	Put the message in the hold queue instead of incoming.
 * .IP CLEANUP_FLAG_MAP_OK
 *	Apply virtual_alias_maps to the recipients (smtpd, pickup; bounce
 *	leaves it out only where Postfix does).
 * .IP CLEANUP_FLAG_SMTPUTF8
 *	The client asked for SMTPUTF8.
 * .IP CLEANUP_FLAG_LOCAL
 *	Local submission (pickup): unqualified header addresses are
 *	qualified with myorigin as well as envelope addresses.
 * .IP CLEANUP_FLAG_EXTRACT
 *	Add the recipients of the (Resent-)To:, Cc: and Bcc: headers to
 *	the envelope recipients (sendmail -t, passed on by pickup).
 * .IP CLEANUP_FLAG_MASK_SMTPD
 *	What smtpd normally passes (MAP_OK | FILTER).
 * .IP CLEANUP_FLAG_MASK_PICKUP
 *	What pickup passes (MAP_OK | FILTER | BOUNCE | LOCAL).
 * DIAGNOSTICS
 *	Failures are returned, never logged here, except a warning when the
 *	cleanup service breaks the protocol.
 * SEE ALSO
 *	cleanup(8), smtpd(8), pickup(8), mail_trigger(3)
 */
#ifndef POSTERN_CLEANUP_CLIENT_H
#define POSTERN_CLEANUP_CLIENT_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <time.h>

 /*
  * Processing flags for cleanup_open(), also carried in the protocol.
  */
#define CLEANUP_FLAG_NONE	0
#define CLEANUP_FLAG_BOUNCE	(1 << 0)	/* bounce bad mail, say ok */
#define CLEANUP_FLAG_FILTER	(1 << 1)	/* header_checks */
#define CLEANUP_FLAG_HOLD	(1 << 2)	/* put on hold */
#define CLEANUP_FLAG_DISCARD	(1 << 3)	/* accept and drop */
#define CLEANUP_FLAG_MAP_OK	(1 << 5)	/* virtual_alias_maps */
#define CLEANUP_FLAG_SMTPUTF8	(1 << 8)	/* SMTPUTF8 requested */
#define CLEANUP_FLAG_LOCAL	(1 << 12)	/* local submission */
#define CLEANUP_FLAG_EXTRACT	(1 << 13)	/* sendmail -t */
#define CLEANUP_FLAG_MASK	(CLEANUP_FLAG_BOUNCE | CLEANUP_FLAG_FILTER \
	| CLEANUP_FLAG_HOLD | CLEANUP_FLAG_DISCARD | CLEANUP_FLAG_MAP_OK \
	| CLEANUP_FLAG_SMTPUTF8 | CLEANUP_FLAG_LOCAL | CLEANUP_FLAG_EXTRACT)
#define CLEANUP_FLAG_MASK_SMTPD	(CLEANUP_FLAG_MAP_OK | CLEANUP_FLAG_FILTER)
#define CLEANUP_FLAG_MASK_PICKUP (CLEANUP_FLAG_MAP_OK | CLEANUP_FLAG_FILTER \
	| CLEANUP_FLAG_BOUNCE | CLEANUP_FLAG_LOCAL)
#define CLEANUP_FLAG_MASK_BOUNCE CLEANUP_FLAG_NONE

 /*
  * Completion status bits (Postfix's values).
  */
#define CLEANUP_STAT_OK		0		/* queued */
#define CLEANUP_STAT_BAD	(1 << 0)	/* internal protocol error */
#define CLEANUP_STAT_WRITE	(1 << 1)	/* queue file write error */
#define CLEANUP_STAT_SIZE	(1 << 2)	/* message file too big */
#define CLEANUP_STAT_CONT	(1 << 3)	/* message content rejected */
#define CLEANUP_STAT_HOPS	(1 << 4)	/* too many hops */
#define CLEANUP_STAT_RCPT	(1 << 6)	/* no recipients */
#define CLEANUP_STAT_PROXY	(1 << 7)	/* proxy reject */
#define CLEANUP_STAT_DEFER	(1 << 8)	/* temporary reject */
#define CLEANUP_STAT_NOPERM	(1 << 9)	/* denied by policy */
#define CLEANUP_STAT_MASK_CANT_BOUNCE \
	(CLEANUP_STAT_BAD | CLEANUP_STAT_WRITE | CLEANUP_STAT_DEFER \
	| CLEANUP_STAT_PROXY)

 /*
  * Names used only on the cleanup socket and in queue files written by
  * cleanup; candidates for mail_proto.h. CLEANUP_ATTR_REC_TYPE carries
  * the record type of each record sent; CLEANUP_ATTR_UID (an ATTR
  * record: "uid=1000") is the user ID of a local submission, for the
  * Received: header; CLEANUP_ATTR_PRECEDENCE ("precedence=bulk", in the
  * extracted segment of the queue file) reports a Precedence: bulk,
  * list or junk header for the priority classes.
  */
#define CLEANUP_ATTR_REC_TYPE	"record_type"
#define CLEANUP_ATTR_UID	"uid"
#define CLEANUP_ATTR_PRECEDENCE	"precedence"

 /*
  * Line types for cleanup_content().
  */
#define CLEANUP_LINE_NORM	0	/* the (last piece of a) line */
#define CLEANUP_LINE_CONT	1	/* a piece; the line goes on */

struct cleanup_stat_detail {
	int	status;			/* CLEANUP_STAT_* bit */
	int	smtp;			/* SMTP reply code */
	const char *dsn;		/* enhanced status code */
	const char *text;		/* Postfix's short text */
};

struct cleanup_client;

struct cleanup_client *cleanup_open(int flags, struct buf *why);
const char *cleanup_queue_id(const struct cleanup_client *cl);
int	cleanup_sender(struct cleanup_client *cl, const char *sender);
int	cleanup_full_name(struct cleanup_client *cl, const char *name);
int	cleanup_arrival(struct cleanup_client *cl, time_t when);
int	cleanup_attr(struct cleanup_client *cl, const char *name,
		const char *value);
int	cleanup_rcpt(struct cleanup_client *cl, const char *rcpt,
		const char *orig_rcpt, const char *dsn_orcpt, int dsn_notify);
int	cleanup_content(struct cleanup_client *cl, const char *line,
		size_t len, int type);
int	cleanup_record(struct cleanup_client *cl, int type,
		const char *data, size_t len);
int	cleanup_finish(struct cleanup_client *cl, struct buf *reason);
void	cleanup_abort(struct cleanup_client *cl);

const char *cleanup_strerror(int status);
const struct cleanup_stat_detail *cleanup_stat_detail(int status);

#endif
