/*
 * NAME
 *	cleanup_client - hand one message to the cleanup service
 * SYNOPSIS
 *	#include <global/cleanup_client.h>
 * DESCRIPTION
 *	See cleanup_client.h for the interface. The conversation on
 *	public/cleanup, in attr(3) lists:
 *
 *	    server: {proto=cleanup}
 *	    server: {status=0, queue_id=ID}   or {status=S, reason=TEXT}, close
 *	    client: {flags=F}
 *	    client: {record_type=T, data=BYTES}...   one per queue file record
 *	    client: {record_type=END, data=""}
 *	    server: {status=S, reason=TEXT}
 *
 *	The client side sends records in the order of a queue file: the
 *	envelope (FROM, FULL, TIME, ATTR, ORCP/DORC/NTFY/RCPT groups), MESG,
 *	the content (NORM/CONT), XTRA, END; cleanup checks the order. A
 *	client that hangs up before END aborts the message.
 * SEE ALSO
 *	cleanup(8), attr(3), record(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/attr.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/cleanup_client.h>
#include <global/mail_proto.h>
#include <global/mail_trigger.h>
#include <global/params.h>
#include <global/record.h>

#include <unistd.h>

struct cleanup_client {
	struct stream *stream;		/* to public/cleanup */
	char   *queue_id;		/* as cleanup assigned */
	int	in_content;		/* MESG sent */
	int	failed;			/* a write failed: CLEANUP_STAT_WRITE */
	struct buf *scratch;		/* record data being formatted */
};

 /*
  * Postfix's table, first match wins: the order decides which bit of a
  * multi-bit status is reported.
  */
static const struct cleanup_stat_detail cleanup_stat_table[] = {
	{CLEANUP_STAT_DEFER, 451, "4.7.1", "service unavailable"},
	{CLEANUP_STAT_PROXY, 451, "4.3.0", "queue file write error"},
	{CLEANUP_STAT_BAD, 451, "4.3.0", "internal protocol error"},
	{CLEANUP_STAT_RCPT, 550, "5.1.0", "no recipients specified"},
	{CLEANUP_STAT_HOPS, 554, "5.4.0", "too many hops"},
	{CLEANUP_STAT_SIZE, 552, "5.3.4", "message file too big"},
	{CLEANUP_STAT_CONT, 550, "5.7.1", "message content rejected"},
	{CLEANUP_STAT_WRITE, 451, "4.3.0", "queue file write error"},
	{CLEANUP_STAT_NOPERM, 550, "5.7.1", "service denied"},
};

static const struct cleanup_stat_detail cleanup_stat_ok = {
	CLEANUP_STAT_OK, 250, "2.0.0", "Success",
};

/* cleanup_stat_detail - SMTP reply details for a status */

const struct cleanup_stat_detail *
cleanup_stat_detail(int status)
{
	size_t	i;

	if (status == CLEANUP_STAT_OK)
		return (&cleanup_stat_ok);
	for (i = 0; i < ARRAY_LEN(cleanup_stat_table); i++)
		if (status & cleanup_stat_table[i].status)
			return (&cleanup_stat_table[i]);
	/* Unknown bits: the safe answer is a temporary error. */
	return (&cleanup_stat_table[2]);
}

/* cleanup_strerror - Postfix's short text for a status */

const char *
cleanup_strerror(int status)
{
	return (cleanup_stat_detail(status)->text);
}

/* cleanup_client_free - release a client and its connection */

static void
cleanup_client_free(struct cleanup_client *cl)
{
	if (cl->stream)
		(void) stream_close(cl->stream);
	free(cl->queue_id);
	buf_free(cl->scratch);
	free(cl);
}

/* cleanup_hello - read the server's greeting and the queue ID */

static int
cleanup_hello(struct cleanup_client *cl, struct buf *why)
{
	struct buf *id = buf_new(32);
	struct buf *reason = buf_new(64);
	int	status = -1;

	if (attr_expect_proto(cl->stream, MAIL_PROTO_CLEANUP, why) < 0
	    || attr_scan_full(cl->stream, ATTR_FLAG_NONE, 0, ATTR_LIST(
				    SCAN_INT(MAIL_ATTR_STATUS, &status),
				    SCAN_OPT_STR(MAIL_ATTR_QUEUE_ID, id),
				    SCAN_OPT_STR(MAIL_ATTR_WHY, reason)),
			      why) < 0) {
		status = -1;
	} else if (status != CLEANUP_STAT_OK) {
		if (why)
			buf_cpy(why, buf_len(reason) ? buf_str(reason) :
				cleanup_strerror(status));
		status = -1;
	} else if (buf_len(id) == 0) {
		if (why)
			buf_cpy(why, "cleanup service sent no queue ID");
		status = -1;
	} else {
		cl->queue_id = buf_steal(id);
		id = 0;
	}
	if (id)
		buf_free(id);
	buf_free(reason);
	return (status);
}

/* cleanup_open - connect to cleanup and start a message */

struct cleanup_client *
cleanup_open(int flags, struct buf *why)
{
	struct cleanup_client *cl;
	int	fd;

	if ((flags & ~CLEANUP_FLAG_MASK) != 0)
		msg_panic("cleanup_open: unknown flags 0x%x", flags);
	if ((fd = mail_connect(MAIL_CLASS_PUBLIC, var_cleanup_service_name,
			       var_ipc_timeout)) < 0) {
		if (why)
			buf_printf(why, "connect to %s/%s: %s",
				   MAIL_CLASS_PUBLIC, var_cleanup_service_name,
				   strerror(errno));
		return (NULL);
	}
	cl = xcalloc(1, sizeof(*cl));
	cl->stream = stream_fdopen(fd, STREAM_READ | STREAM_WRITE);
	stream_set_name(cl->stream, MAIL_CLASS_PUBLIC "/" MAIL_SERVICE_CLEANUP);
	stream_set_timeout(cl->stream, (int) var_ipc_timeout);
	cl->scratch = buf_new(256);
	if (cleanup_hello(cl, why) < 0
	    || attr_print(cl->stream, ATTR_FLAG_NONE, ATTR_LIST(
				   ATTR_INT(MAIL_ATTR_FLAGS, flags))) < 0) {
		if (why && buf_len(why) == 0)
			buf_printf(why, "cleanup service: %s", strerror(errno));
		cleanup_client_free(cl);
		return (NULL);
	}
	return (cl);
}

/* cleanup_queue_id - the queue ID being written */

const char *
cleanup_queue_id(const struct cleanup_client *cl)
{
	return (cl->queue_id);
}

/* cleanup_record - send one record */

int
cleanup_record(struct cleanup_client *cl, int type, const char *data,
	       size_t len)
{
	if (cl->failed)
		return (-1);
	if (!rec_type_valid(type))
		msg_panic("cleanup_record: bad record type %d", type);
	if (type == REC_TYPE_MESG)
		cl->in_content = 1;
	if (attr_print(cl->stream, ATTR_FLAG_NONE, ATTR_LIST(
			       ATTR_INT(CLEANUP_ATTR_REC_TYPE, type),
			       ATTR_DATA(MAIL_ATTR_DATA, data, len))) < 0) {
		cl->failed = 1;
		return (-1);
	}
	return (0);
}

/* cleanup_text - send one record with a text value */

static int
cleanup_text(struct cleanup_client *cl, int type, const char *text)
{
	return (cleanup_record(cl, type, text, strlen(text)));
}

/* cleanup_sender - the envelope sender */

int
cleanup_sender(struct cleanup_client *cl, const char *sender)
{
	return (cleanup_text(cl, REC_TYPE_FROM, sender));
}

/* cleanup_full_name - the sender's full name */

int
cleanup_full_name(struct cleanup_client *cl, const char *name)
{
	return (cleanup_text(cl, REC_TYPE_FULL, name));
}

/* cleanup_arrival - the arrival time */

int
cleanup_arrival(struct cleanup_client *cl, time_t when)
{
	buf_printf(cl->scratch, "%lld 0", (long long) when);
	return (cleanup_text(cl, REC_TYPE_TIME, buf_str(cl->scratch)));
}

/* cleanup_attr - one named envelope attribute */

int
cleanup_attr(struct cleanup_client *cl, const char *name, const char *value)
{
	buf_printf(cl->scratch, "%s=%s", name, value);
	return (cleanup_text(cl, REC_TYPE_ATTR, buf_str(cl->scratch)));
}

/* cleanup_rcpt - one envelope recipient with its DSN details */

int
cleanup_rcpt(struct cleanup_client *cl, const char *rcpt,
	     const char *orig_rcpt, const char *dsn_orcpt, int dsn_notify)
{
	if (orig_rcpt != 0)
		(void) cleanup_text(cl, REC_TYPE_ORCP, orig_rcpt);
	if (dsn_orcpt != 0 && *dsn_orcpt != 0)
		(void) cleanup_text(cl, REC_TYPE_DORC, dsn_orcpt);
	if (dsn_notify != 0) {
		buf_printf(cl->scratch, "%d", dsn_notify);
		(void) cleanup_text(cl, REC_TYPE_NTFY, buf_str(cl->scratch));
	}
	return (cleanup_text(cl, REC_TYPE_RCPT, rcpt));
}

/* cleanup_content - one line (or piece of a line) of content */

int
cleanup_content(struct cleanup_client *cl, const char *line, size_t len,
		int type)
{
	if (!cl->in_content && cleanup_record(cl, REC_TYPE_MESG, "", 0) < 0)
		return (-1);
	return (cleanup_record(cl, type == CLEANUP_LINE_CONT ?
			       REC_TYPE_CONT : REC_TYPE_NORM, line, len));
}

/* cleanup_finish - end the message and wait for the verdict */

int
cleanup_finish(struct cleanup_client *cl, struct buf *reason)
{
	struct buf *why = buf_new(64);
	int	status = CLEANUP_STAT_WRITE;

	if (!cl->in_content)
		(void) cleanup_record(cl, REC_TYPE_MESG, "", 0);
	(void) cleanup_record(cl, REC_TYPE_XTRA, "", 0);
	(void) cleanup_record(cl, REC_TYPE_END, "", 0);
	if (!cl->failed && stream_flush(cl->stream) == 0
	    && attr_scan_full(cl->stream, ATTR_FLAG_NONE, 0, ATTR_LIST(
				   SCAN_INT(MAIL_ATTR_STATUS, &status),
				   SCAN_OPT_STR(MAIL_ATTR_WHY, why)),
			      why) >= 0) {
		if (reason)
			buf_cpy(reason, buf_len(why) ? buf_str(why) :
				cleanup_strerror(status));
	} else {
		status = CLEANUP_STAT_WRITE;
		if (reason)
			buf_printf(reason, "lost connection with cleanup service%s%s",
				   buf_len(why) ? ": " : "", buf_str(why));
	}
	buf_free(why);
	cleanup_client_free(cl);
	return (status);
}

/* cleanup_abort - give up on the message; cleanup removes the file */

void
cleanup_abort(struct cleanup_client *cl)
{
	cleanup_client_free(cl);
}
