/*
 * NAME
 *	mail_proto - names of queues, services, IPC protocols and attributes
 * SYNOPSIS
 *	#include <global/mail_proto.h>
 * DESCRIPTION
 *	This header is the one place where Postern spells the names that
 *	programs exchange: queue directory names, service (socket) names,
 *	the protocol names that open every attribute conversation
 *	("proto=<name>"), attribute names, status values and the one-byte
 *	trigger requests. A name used on both ends of a socket lives here
 *	and nowhere else, so a typo is a compile error and not a protocol
 *	mismatch.
 *
 *	Attribute names follow Postfix's spelling where Postfix has the
 *	same attribute, so that log lines and showq output read the same.
 * SEE ALSO
 *	queue(3), record(3), dsn(3)
 */
#ifndef POSTERN_MAIL_PROTO_H
#define POSTERN_MAIL_PROTO_H

 /*
  * Queue directory names, relative to queue_directory.
  */
#define MAIL_QUEUE_MAILDROP	"maildrop"
#define MAIL_QUEUE_INCOMING	"incoming"
#define MAIL_QUEUE_ACTIVE	"active"
#define MAIL_QUEUE_DEFERRED	"deferred"
#define MAIL_QUEUE_HOLD		"hold"
#define MAIL_QUEUE_CORRUPT	"corrupt"
#define MAIL_QUEUE_BOUNCE	"bounce"
#define MAIL_QUEUE_DEFER	"defer"
#define MAIL_QUEUE_TRACE	"trace"
#define MAIL_QUEUE_SAVED	"saved"

 /*
  * Other directories below queue_directory.
  */
#define MAIL_CLASS_PRIVATE	"private"	/* daemon sockets */
#define MAIL_CLASS_PUBLIC	"public"	/* sockets local users may reach */
#define MAIL_DIR_PID		"pid"

 /*
  * Service names: the socket name in private/ or public/ and the
  * master.cf service name.
  */
#define MAIL_SERVICE_CLEANUP	"cleanup"
#define MAIL_SERVICE_QMGR	"qmgr"
#define MAIL_SERVICE_PICKUP	"pickup"
#define MAIL_SERVICE_SHOWQ	"showq"
#define MAIL_SERVICE_BOUNCE	"bounce"
#define MAIL_SERVICE_DEFER	"defer"
#define MAIL_SERVICE_TRACE	"trace"
#define MAIL_SERVICE_ANVIL	"anvil"
#define MAIL_SERVICE_SMTP	"smtp"
#define MAIL_SERVICE_RELAY	"relay"
#define MAIL_SERVICE_LOCAL	"local"
#define MAIL_SERVICE_ERROR	"error"
#define MAIL_SERVICE_RETRY	"retry"
#define MAIL_SERVICE_DISCARD	"discard"
#define MAIL_SERVICE_METRICS	"metrics"

 /*
  * Protocol names: the value of the first attribute (MAIL_ATTR_PROTO) of
  * every conversation on an internal socket.
  */
#define MAIL_PROTO_CLEANUP	"cleanup"	/* smtpd/pickup/bounce -> cleanup */
#define MAIL_PROTO_QMGR		"qmgr"		/* postqueue -> qmgr requests */
#define MAIL_PROTO_DELIVER	"deliver"	/* qmgr -> delivery agents */
#define MAIL_PROTO_SHOWQ	"showq"		/* postqueue/mailq -> showq */
#define MAIL_PROTO_BOUNCE	"bounce"	/* qmgr/agents -> bounce/defer/trace */
#define MAIL_PROTO_ANVIL	"anvil"		/* smtpd -> anvil */
#define MAIL_PROTO_MASTER	"master"	/* child <-> master status */
#define MAIL_PROTO_METRICS	"metrics"	/* metrics -> qmgr snapshots */

 /*
  * Attribute names. Protocol and request framing.
  */
#define MAIL_ATTR_PROTO		"proto"
#define MAIL_ATTR_REQ		"request"
#define MAIL_ATTR_NREQ		"nrequest"
#define MAIL_ATTR_STATUS	"status"
#define MAIL_ATTR_FLAGS		"flags"
#define MAIL_ATTR_WHY		"reason"
#define MAIL_ATTR_COUNT		"count"

 /*
  * Message identity and envelope.
  */
#define MAIL_ATTR_QUEUE		"queue_name"
#define MAIL_ATTR_QUEUE_ID	"queue_id"
#define MAIL_ATTR_SENDER	"sender"
#define MAIL_ATTR_FULL_NAME	"full_name"
#define MAIL_ATTR_RCPT		"recipient"
#define MAIL_ATTR_ORCPT		"original_recipient"
#define MAIL_ATTR_RCPT_COUNT	"recipient_count"
#define MAIL_ATTR_OFFSET	"offset"
#define MAIL_ATTR_SIZE		"size"
#define MAIL_ATTR_TIME		"time"
#define MAIL_ATTR_CREATE_TIME	"create_time"
#define MAIL_ATTR_ARRIVAL_TIME	"arrival_time"
#define MAIL_ATTR_MESSAGE_ID	"message_id"
#define MAIL_ATTR_PRIORITY	"priority"
#define MAIL_ATTR_ENCODING	"encoding"
#define MAIL_ATTR_SMTPUTF8	"smtputf8"
#define MAIL_ATTR_LOG_IDENT	"log_ident"
#define MAIL_ATTR_RULE		"rule"
#define MAIL_ATTR_ADDR		"address"
#define MAIL_ATTR_ERRTO		"errors-to"
#define MAIL_ATTR_DATA		"data"		/* a chunk of message content */

 /*
  * Routing and delivery.
  */
#define MAIL_ATTR_TRANSPORT	"transport"
#define MAIL_ATTR_NEXTHOP	"nexthop"
#define MAIL_ATTR_RELAY		"relay"
#define MAIL_ATTR_DELAY		"delay"
#define MAIL_ATTR_DELAYS	"delays"
#define MAIL_ATTR_SITE		"site"
#define MAIL_ATTR_DEST_STATUS	"destination_status"	/* site failed as a whole */
#define MAIL_ATTR_CONN_STATUS	"connection_status"	/* session failed */
#define MAIL_ATTR_THROTTLE	"throttle"	/* reply matched a throttle pattern */
#define MAIL_ATTR_ADDR_STATUS	"recipient_status"
#define MAIL_ATTR_TRACE_FLAGS	"trace_flags"
#define MAIL_ATTR_EXPIRED	"expired"

 /*
  * Delivery status notification (RFC 3461/3464) attributes.
  */
#define MAIL_ATTR_DSN_STATUS	"dsn_status"
#define MAIL_ATTR_ACTION	"action"
#define MAIL_ATTR_DSN_DTYPE	"diag_type"
#define MAIL_ATTR_DSN_DTEXT	"diag_text"
#define MAIL_ATTR_DSN_MTYPE	"mta_type"
#define MAIL_ATTR_DSN_MNAME	"mta_name"
#define MAIL_ATTR_DSN_ENVID	"envelope_id"
#define MAIL_ATTR_DSN_RET	"ret_flags"
#define MAIL_ATTR_DSN_NOTIFY	"notify_flags"
#define MAIL_ATTR_DSN_ORCPT	"dsn_orig_rcpt"

 /*
  * The SMTP client that handed us a message (smtpd -> cleanup).
  */
#define MAIL_ATTR_CLIENT	"client"
#define MAIL_ATTR_CLIENT_NAME	"client_name"
#define MAIL_ATTR_CLIENT_ADDR	"client_address"
#define MAIL_ATTR_CLIENT_PORT	"client_port"
#define MAIL_ATTR_HELO_NAME	"helo_name"
#define MAIL_ATTR_PROTO_NAME	"protocol_name"
#define MAIL_ATTR_SASL_METHOD	"sasl_method"
#define MAIL_ATTR_SASL_USERNAME	"sasl_username"

 /*
  * Generic status values carried in MAIL_ATTR_STATUS.
  */
#define MAIL_STAT_OK		0	/* success */
#define MAIL_STAT_DEFER		1	/* temporary failure, try again */
#define MAIL_STAT_BOUNCE	2	/* permanent failure */
#define MAIL_STAT_FAIL		(-1)	/* protocol or system error */

 /*
  * Message priority classes (CONTRACT section 6).
  */
#define MAIL_PRIO_HIGH		"high"
#define MAIL_PRIO_NORMAL	"normal"
#define MAIL_PRIO_BULK		"bulk"

 /*
  * One-byte trigger requests written to a trigger service (qmgr, pickup).
  */
#define TRIGGER_REQ_WAKEUP	'W'	/* look around */
#define QMGR_REQ_SCAN_INCOMING	'I'	/* scan the incoming queue */
#define QMGR_REQ_SCAN_DEFERRED	'D'	/* scan the deferred queue */
#define QMGR_REQ_SCAN_ALL	'A'	/* ignore deferred queue file times */
#define QMGR_REQ_FLUSH_DEAD	'F'	/* forget dead and throttled sites */

#endif
