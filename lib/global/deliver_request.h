/*
 * NAME
 *	deliver_request - delivery agent side of the qmgr delivery protocol
 * SYNOPSIS
 *	#include <global/deliver_request.h>
 *
 *	int	deliver_request_hello(struct stream *stream);
 *	int	deliver_request_read(struct stream *stream,
 *				struct deliver_request *req, struct buf *why);
 *	void	deliver_request_free(struct deliver_request *req);
 *
 *	int	deliver_status_rcpt(struct stream *stream,
 *				struct deliver_request *req,
 *				const struct deliver_rcpt *rcpt, int status,
 *				const char *dsn_status, const char *action,
 *				const char *reason, const char *relay);
 *	int	deliver_status_rcpt_reply(struct stream *stream,
 *				struct deliver_request *req,
 *				const struct deliver_rcpt *rcpt, int status,
 *				const char *dsn_status, const char *action,
 *				const char *reason, const char *relay,
 *				int reply_code);
 *	int	deliver_status_final(struct stream *stream, int status,
 *				int flags, const char *reply);
 *
 *	void	deliver_request_delays(const struct deliver_request *req,
 *				struct buf *out);
 *	void	deliver_delay_format(struct buf *out, long usec);
 *	const char *deliver_status_word(int status);
 * DESCRIPTION
 *	This module is the delivery agent's half of the conversation with
 *	qmgr on private/<transport> (smtp, relay, local, error, retry,
 *	discard and cloned transports). It is shared by every agent.
 *
 *	A conversation: the agent accepts the connection and calls
 *	deliver_request_hello(), which sends {proto=deliver}. Then, for
 *	each request qmgr sends on that connection (one, or several in
 *	sequence), the agent calls deliver_request_read(), delivers,
 *	reports every recipient exactly once with deliver_status_rcpt()
 *	(in any order) and ends the request with deliver_status_final().
 *
 *	deliver_request_read() reads one request list and its rcpt_count
 *	recipient lists into req. Attributes it does not know are read
 *	and ignored, so qmgr may send more than an old agent needs;
 *	arrival_usec, active_time, active_usec, encoding, smtputf8,
 *	dsn_envid, dsn_ret, log_ident, priority and, per recipient,
 *	orig_address and dsn_notify are optional. It fills req (which it initialises; release with
 *	deliver_request_free(), also after a failed read). It returns 1
 *	when a request was read, 0 when qmgr hung up cleanly before a new
 *	request (end of the conversation), or -1 with a reason in why
 *	(which may be NULL) for a protocol violation, a read error or
 *	timeout, or a request that fails validation: no recipients, more
 *	than DELIVER_RCPT_LIMIT, a negative offset or size, a queue id
 *	that is not a safe file name, an empty recipient address. After -1
 *	the conversation is out of step and must be dropped. The time of
 *	the hand-off (when the request was read) is stored in req->handoff.
 *
 *	deliver_status_rcpt() sends one recipient result to qmgr and writes
 *	the Postfix-shaped log line:
 *
 *	    ID: to=<rcpt>, [orig_to=<orig>, ]relay=R, delay=D,
 *	        delays=a/b/c/d, dsn=X.Y.Z, status=WORD (reason)
 *
 *	status is DELIVER_STAT_OK (0, logged "sent"), DELIVER_STAT_DEFER
 *	(4, "deferred") or DELIVER_STAT_BOUNCE (5, "bounced"). With
 *	soft_bounce = yes a bounce is turned into a deferral: the status
 *	sent to qmgr becomes 4, the DSN class 4 and the action "delayed",
 *	and the log says status=SOFTBOUNCE. dsn_status must be a valid
 *	enhanced status code whose class agrees with status; action NULL
 *	means the usual action for the class (delivered, delayed, failed);
 *	relay NULL means "none". Newlines and other control characters in
 *	reason are replaced by spaces in both the log and the reply.
 *	deliver_status_rcpt_reply() also passes the remote SMTP reply code
 *	(0 when there was none) for qmgr's throttling and metrics.
 *
 *	Success notices (RFC 3461 NOTIFY=SUCCESS). The result carries
 *	rcpt->dsn_notify back to qmgr as dsn_notify, and the action.
 *	When a delivered recipient's dsn_notify still has
 *	DSN_NOTIFY_SUCCESS, qmgr records a success entry in trace/ID with
 *	that action (delivered, relayed or expanded) and bounce(8) later
 *	sends the sender a success notice. An agent that hands the
 *	responsibility on (smtp to a next hop that announced DSN, local
 *	to a forwarded copy) reports a copy of the recipient with that
 *	bit cleared, as Postfix's agents clear it.
 *
 *	Delays. a = arrival to entry into the active queue (req->active_time
 *	when qmgr sent it, else 0), b = from then to the hand-off to the
 *	agent, c = req->delay_conn (microseconds the agent spent on DNS,
 *	connection setup, greeting, EHLO and TLS; the agent sets it, 0 by
 *	default), d = the rest up to the status report (or req->delay_xfer
 *	when the agent set it to a value >= 0). delay = now - arrival. The
 *	numbers are formatted as Postfix does: one decimal at 1 s and
 *	above, otherwise up to delay_logging_resolution_limit decimals with
 *	two significant digits ("0.4", "0.05", "0"). The same c and d go to
 *	qmgr as delay_conn and delay_xfer. deliver_request_delays() formats
 *	"delay=D, delays=a/b/c/d" for the present moment into out, and
 *	deliver_delay_format() appends one such number. When
 *	the agent sets req->conn_use above 1 (the delivery used a cached
 *	connection for the Nth time), the log line has ", conn_use=N"
 *	after relay=, as Postfix's.
 *
 *	deliver_status_final() sends the closing list {status, flags,
 *	reply}: status 0 when the request was processed (the per-recipient
 *	results are authoritative) or -1 when the agent failed; flags is a
 *	mask of DEL_STAT_* bits; reply (NULL = "") is the reply that set
 *	DEL_STAT_THROTTLED. It flushes the stream.
 *
 *	The deliver_status_* functions return 0, or -1 when the stream
 *	failed (the log line is written all the same).
 *
 *	deliver_status_word() returns "sent", "deferred" or "bounced".
 * WIRE FORMAT
 *	The DELIVER_ATTR_* macros below are the attribute names of this
 *	protocol; qmgr must use the same macros. They follow
 *	global/mail_proto.h where that header has the name and add the
 *	rest here.
 * DIAGNOSTICS
 *	Panic: an invalid status or dsn_status, or a status that disagrees
 *	with the DSN class (a bug in the agent). Protocol errors are
 *	reported through why.
 * SEE ALSO
 *	attr(3), dsn(3), mail_proto.h, qmgr(8), smtp(8), local(8)
 */
#ifndef POSTERN_DELIVER_REQUEST_H
#define POSTERN_DELIVER_REQUEST_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/stream.h>
#include <global/mail_proto.h>

#include <sys/time.h>

 /*
  * Attribute names. Request list (qmgr -> agent).
  */
#define DELIVER_ATTR_FLAGS		MAIL_ATTR_FLAGS		/* "flags" */
#define DELIVER_ATTR_QUEUE		MAIL_ATTR_QUEUE		/* "queue_name" */
#define DELIVER_ATTR_QUEUE_ID		MAIL_ATTR_QUEUE_ID	/* "queue_id" */
#define DELIVER_ATTR_DATA_OFFSET	"data_offset"
#define DELIVER_ATTR_DATA_SIZE		"data_size"
#define DELIVER_ATTR_NEXTHOP		MAIL_ATTR_NEXTHOP	/* "nexthop" */
#define DELIVER_ATTR_TRANSPORT		MAIL_ATTR_TRANSPORT	/* "transport" */
#define DELIVER_ATTR_ENCODING		MAIL_ATTR_ENCODING	/* "encoding" */
#define DELIVER_ATTR_SMTPUTF8		MAIL_ATTR_SMTPUTF8	/* "smtputf8" */
#define DELIVER_ATTR_SENDER		MAIL_ATTR_SENDER	/* "sender" */
#define DELIVER_ATTR_DSN_ENVID		"dsn_envid"
#define DELIVER_ATTR_DSN_RET		"dsn_ret"
#define DELIVER_ATTR_LOG_IDENT		MAIL_ATTR_LOG_IDENT	/* "log_ident" */
#define DELIVER_ATTR_ARRIVAL_TIME	MAIL_ATTR_ARRIVAL_TIME	/* "arrival_time" */
#define DELIVER_ATTR_ARRIVAL_USEC	"arrival_usec"
#define DELIVER_ATTR_ACTIVE_TIME	"active_time"	/* optional */
#define DELIVER_ATTR_ACTIVE_USEC	"active_usec"	/* optional */
#define DELIVER_ATTR_PRIORITY		MAIL_ATTR_PRIORITY	/* "priority" */
#define DELIVER_ATTR_RCPT_COUNT		"rcpt_count"

 /*
  * Recipient lists (qmgr -> agent), one per recipient.
  */
#define DELIVER_ATTR_OFFSET		MAIL_ATTR_OFFSET	/* "offset" */
#define DELIVER_ATTR_ADDRESS		MAIL_ATTR_ADDR		/* "address" */
#define DELIVER_ATTR_ORIG_ADDRESS	"orig_address"
#define DELIVER_ATTR_DSN_NOTIFY		"dsn_notify"

 /*
  * Per-recipient results (agent -> qmgr).
  */
#define DELIVER_ATTR_STATUS		MAIL_ATTR_STATUS	/* "status" */
#define DELIVER_ATTR_DSN_STATUS		MAIL_ATTR_DSN_STATUS	/* "dsn_status" */
#define DELIVER_ATTR_DSN_ACTION		"dsn_action"
#define DELIVER_ATTR_RESULT_NOTIFY	DELIVER_ATTR_DSN_NOTIFY	/* owed NOTIFY mask */
#define DELIVER_ATTR_REASON		MAIL_ATTR_WHY		/* "reason" */
#define DELIVER_ATTR_RELAY		MAIL_ATTR_RELAY		/* "relay" */
#define DELIVER_ATTR_DELAY_CONN		"delay_conn"
#define DELIVER_ATTR_DELAY_XFER		"delay_xfer"
#define DELIVER_ATTR_REPLY_CODE		"reply_code"

 /*
  * Final list (agent -> qmgr): status, flags and reply.
  */
#define DELIVER_ATTR_REPLY		"reply"

 /*
  * Request flags (qmgr -> agent).
  */
#define DEL_REQ_FLAG_VERIFY	(1 << 0)	/* probe only, do not deliver */
#define DEL_REQ_FLAG_CONN_STORE	(1 << 1)	/* more mail for this nexthop waits */

 /*
  * Final flags (agent -> qmgr).
  */
#define DEL_STAT_DEST_DEAD	0x1	/* no host could be connected or greeted */
#define DEL_STAT_THROTTLED	0x2	/* a reply matched smtp_throttle_reply_patterns */
#define DEL_STAT_CONN_REUSED	0x4	/* the delivery used a cached connection */

 /*
  * Per-recipient status values.
  */
#define DELIVER_STAT_OK		0
#define DELIVER_STAT_DEFER	4
#define DELIVER_STAT_BOUNCE	5

 /*
  * Final status values.
  */
#define DELIVER_FINAL_OK	0
#define DELIVER_FINAL_FAIL	(-1)

#define DELIVER_RCPT_LIMIT	100000	/* recipients in one request */

struct deliver_rcpt {
	long	offset;			/* REC_TYPE_RCPT record: the key */
	char   *address;
	char   *orig_address;		/* "" when none */
	int	dsn_notify;		/* DSN_NOTIFY_* mask, 0 = unspecified */
};

struct deliver_request {
	int	flags;			/* DEL_REQ_FLAG_* */
	char   *queue_name;		/* "active" */
	char   *queue_id;
	long	data_offset;		/* REC_TYPE_MESG record */
	long	data_size;		/* content bytes */
	char   *nexthop;
	char   *transport;
	char   *encoding;		/* "7bit", "8bit" or "" */
	int	smtputf8;
	char   *sender;			/* "" for the null sender */
	char   *dsn_envid;
	int	dsn_ret;		/* DSN_RET_*, 0 = unspecified */
	char   *log_ident;
	struct timeval arrival;		/* message arrival */
	struct timeval active;		/* entry into the active queue, or 0 */
	char   *priority;		/* high, normal, bulk */
	struct deliver_rcpt *rcpt;	/* recipients */
	size_t	rcpt_count;
	/* Agent side state, not on the wire. */
	struct timeval handoff;		/* when the request was read */
	long	delay_conn;		/* us of connection setup (agent sets) */
	long	delay_xfer;		/* us of transmission, -1 = compute */
	int	conn_use;		/* > 1: logged as conn_use=N (reuse) */
};

int	deliver_request_hello(struct stream *stream);
int	deliver_request_read(struct stream *stream, struct deliver_request *req,
			             struct buf *why);
void	deliver_request_free(struct deliver_request *req);

int	deliver_status_rcpt(struct stream *stream, struct deliver_request *req,
			            const struct deliver_rcpt *rcpt, int status,
			            const char *dsn_status, const char *action,
			            const char *reason, const char *relay);
int	deliver_status_rcpt_reply(struct stream *stream,
			             struct deliver_request *req,
			             const struct deliver_rcpt *rcpt, int status,
			             const char *dsn_status, const char *action,
			             const char *reason, const char *relay,
			                  int reply_code);
int	deliver_status_final(struct stream *stream, int status, int flags,
			             const char *reply);

void	deliver_request_delays(const struct deliver_request *req,
			               struct buf *out);
void	deliver_delay_format(struct buf *out, long usec);
const char *deliver_status_word(int status);

#endif
