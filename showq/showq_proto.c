/*
 * NAME
 *	showq_proto - the showq protocol, both ends
 * SYNOPSIS
 *	#include "showq.h"
 * DESCRIPTION
 *	See showq.h. The client is strict: a list with unknown attributes,
 *	a message list with attributes missing, or a recipient list that is
 *	not exactly {address, reason, transport} is malformed, and the
 *	listing stops there.
 * SEE ALSO
 *	attr(3), showq(8), postqueue(1)
 */
#include <util/sys_defs.h>
#include <util/attr.h>
#include <util/msg.h>
#include <global/mail_proto.h>

#include "showq.h"

#define SHOWQ_MSG_ATTRS		8	/* attributes of a message list */

/* showq_send_msg - one message and its recipients */

int
showq_send_msg(struct stream *s, const struct showq_msg *msg)
{
	const struct showq_rcpt *rcpt;
	size_t	i;

	if (msg->rcpt_count > INT32_MAX)
		msg_panic("showq_send_msg: too many recipients");
	if (attr_print(s, ATTR_FLAG_NONE, ATTR_LIST(
			   ATTR_STR(MAIL_ATTR_QUEUE, buf_str(msg->queue_name)),
			   ATTR_STR(MAIL_ATTR_QUEUE_ID, buf_str(msg->queue_id)),
			   ATTR_LONG(MAIL_ATTR_ARRIVAL_TIME, msg->arrival),
			   ATTR_LONG(MAIL_ATTR_SIZE, msg->size),
			   ATTR_INT(MAIL_ATTR_EXPIRED, msg->forced_expire),
			   ATTR_STR(MAIL_ATTR_SENDER, buf_str(msg->sender)),
			   ATTR_STR(MAIL_ATTR_PRIORITY, buf_str(msg->priority)),
			   ATTR_INT(MAIL_ATTR_RCPT_COUNT, (int) msg->rcpt_count))) < 0)
		return (-1);
	for (i = 0; i < msg->rcpt_count; i++) {
		rcpt = msg->rcpts + i;
		if (attr_print(s, ATTR_FLAG_NONE, ATTR_LIST(
				ATTR_STR(MAIL_ATTR_ADDR, buf_str(rcpt->address)),
				ATTR_STR(MAIL_ATTR_WHY, buf_str(rcpt->reason)),
			ATTR_STR(MAIL_ATTR_TRANSPORT, buf_str(rcpt->transport)))) < 0)
			return (-1);
	}
	return (0);
}

/* showq_send_end - the end marker: an empty list */

int
showq_send_end(struct stream *s)
{
	return (attr_print(s, ATTR_FLAG_FLUSH, ATTR_LIST(ATTR_END)));
}

/* showq_recv_rcpt - one recipient list */

static int
showq_recv_rcpt(struct stream *s, struct showq_msg *msg, struct buf *why)
{
	struct showq_rcpt *rcpt = showq_msg_add_rcpt(msg);

	if (attr_scan_full(s, ATTR_FLAG_NONE, 0, ATTR_LIST(
			       SCAN_STR(MAIL_ATTR_ADDR, rcpt->address),
			       SCAN_STR(MAIL_ATTR_WHY, rcpt->reason),
			    SCAN_STR(MAIL_ATTR_TRANSPORT, rcpt->transport)), why) != 3)
		return (-1);
	return (0);
}

/* showq_recv_msg - one message, or the end marker */

int
showq_recv_msg(struct stream *s, struct showq_msg *msg, struct buf *why)
{
	int	count, rcpt_count = 0, expired = 0;

	showq_msg_reset(msg);
	count = attr_scan_full(s, ATTR_FLAG_NONE, 0, ATTR_LIST(
			       SCAN_OPT_STR(MAIL_ATTR_QUEUE, msg->queue_name),
			       SCAN_OPT_STR(MAIL_ATTR_QUEUE_ID, msg->queue_id),
			    SCAN_OPT_LONG(MAIL_ATTR_ARRIVAL_TIME, &msg->arrival),
			       SCAN_OPT_LONG(MAIL_ATTR_SIZE, &msg->size),
			       SCAN_OPT_INT(MAIL_ATTR_EXPIRED, &expired),
			       SCAN_OPT_STR(MAIL_ATTR_SENDER, msg->sender),
			       SCAN_OPT_STR(MAIL_ATTR_PRIORITY, msg->priority),
			   SCAN_OPT_INT(MAIL_ATTR_RCPT_COUNT, &rcpt_count)), why);
	if (count == 0)
		return (0);
	if (count != SHOWQ_MSG_ATTRS || rcpt_count < 0) {
		if (count > 0)
			buf_cpy(why, "incomplete message attributes");
		return (-1);
	}
	msg->forced_expire = (expired != 0);
	while (rcpt_count-- > 0)
		if (showq_recv_rcpt(s, msg, why) < 0)
			return (-1);
	return (1);
}

/* showq_request - client: ask for the listing, check the hello */

int
showq_request(struct stream *s, struct buf *why)
{
	if (attr_print(s, ATTR_FLAG_FLUSH, ATTR_LIST(
			   ATTR_STR(MAIL_ATTR_REQ, SHOWQ_REQ_LIST))) < 0) {
		buf_printf(why, "send request: %m");
		return (-1);
	}
	return (attr_expect_proto(s, MAIL_PROTO_SHOWQ, why));
}
