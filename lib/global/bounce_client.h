/*
 * NAME
 *	bounce_client - ask the bounce service for a delivery status notification
 * SYNOPSIS
 *	#include <global/bounce_client.h>
 *
 *	int	bounce_request(const char *service, int timeout_s,
 *			const struct bounce_request *req, struct buf *why);
 * DESCRIPTION
 *	qmgr uses this module to have bounce(8) turn the logfiles of a
 *	message (bounce/ID, defer/ID, see logfile(3)) into a notification
 *	to the sender. The conversation on private/SERVICE (bounce, defer
 *	or trace) is:
 *
 *	    bounce -> client   {proto=bounce}
 *	    client -> bounce   {request, queue_name, queue_id, sender,
 *	                        dsn_envid, dsn_ret, encoding, smtputf8}
 *	    bounce -> client   {status}
 *
 *	request is BOUNCE_REQ_FLUSH (send a non-delivery notification for
 *	the recipients in bounce/ID, then remove that file),
 *	BOUNCE_REQ_WARN (a delay warning for the recipients in defer/ID),
 *	BOUNCE_REQ_EXPIRE (the message is too old: a non-delivery
 *	notification for bounce/ID and defer/ID, and for every recipient
 *	still open in the queue file) or BOUNCE_REQ_TRACE (a success
 *	notice, RFC 3461 NOTIFY=SUCCESS, for the recipients in trace/ID,
 *	then remove that file). queue_name and queue_id name the
 *	queue file, which bounce reads for the arrival time, original
 *	recipients and the content to return. status is 0 when the
 *	notification was queued or was not needed, -1 when the client
 *	should try again later.
 *
 *	bounce_request() connects to private/SERVICE relative to the
 *	current directory (queue_directory), sends the request and waits at
 *	most timeout_s seconds for each step. It returns the status, or -1
 *	with a reason in why (when not NULL) if the service could not be
 *	reached or broke the protocol.
 * SEE ALSO
 *	bounce(8), logfile(3), attr(3)
 */
#ifndef POSTERN_BOUNCE_CLIENT_H
#define POSTERN_BOUNCE_CLIENT_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <global/mail_proto.h>

 /*
  * Attribute names of the request.
  */
#define BOUNCE_ATTR_REQ		MAIL_ATTR_REQ		/* "request" */
#define BOUNCE_ATTR_QUEUE	MAIL_ATTR_QUEUE		/* "queue_name" */
#define BOUNCE_ATTR_QUEUE_ID	MAIL_ATTR_QUEUE_ID	/* "queue_id" */
#define BOUNCE_ATTR_SENDER	MAIL_ATTR_SENDER	/* "sender" */
#define BOUNCE_ATTR_DSN_ENVID	"dsn_envid"
#define BOUNCE_ATTR_DSN_RET	"dsn_ret"
#define BOUNCE_ATTR_ENCODING	MAIL_ATTR_ENCODING	/* "encoding" */
#define BOUNCE_ATTR_SMTPUTF8	MAIL_ATTR_SMTPUTF8	/* "smtputf8" */
#define BOUNCE_ATTR_STATUS	MAIL_ATTR_STATUS	/* "status" */

 /*
  * Request names.
  */
#define BOUNCE_REQ_FLUSH	"flush"
#define BOUNCE_REQ_WARN		"warn"
#define BOUNCE_REQ_EXPIRE	"expire"
#define BOUNCE_REQ_TRACE	"trace"

struct bounce_request {
	const char *request;		/* BOUNCE_REQ_* */
	const char *queue_name;		/* where the message is, e.g. "active" */
	const char *queue_id;
	const char *sender;		/* "" for the null sender */
	const char *dsn_envid;		/* NULL or "" when none */
	int	dsn_ret;		/* DSN_RET_*, 0 = unspecified */
	const char *encoding;		/* "7bit", "8bit", NULL or "" */
	int	smtputf8;
};

int	bounce_request(const char *service, int timeout_s,
		               const struct bounce_request *req, struct buf *why);

#endif
