/*
 * NAME
 *	showq_msg - one message of a queue listing
 * SYNOPSIS
 *	#include "showq.h"
 * DESCRIPTION
 *	See showq.h. A struct showq_msg is reused from message to message:
 *	showq_msg_reset() empties it but keeps the recipient buffers, so a
 *	listing of a million messages allocates only for the largest one.
 */
#include <util/sys_defs.h>
#include <util/alloc.h>

#include "showq.h"

/* showq_msg_init - empty message */

void
showq_msg_init(struct showq_msg *msg)
{
	memset(msg, 0, sizeof(*msg));
	msg->queue_name = buf_new(16);
	msg->queue_id = buf_new(32);
	msg->sender = buf_new(64);
	msg->priority = buf_new(16);
}

/* showq_msg_reset - forget the content, keep the buffers */

void
showq_msg_reset(struct showq_msg *msg)
{
	buf_reset(msg->queue_name);
	buf_reset(msg->queue_id);
	buf_reset(msg->sender);
	buf_reset(msg->priority);
	msg->arrival = 0;
	msg->size = 0;
	msg->forced_expire = 0;
	msg->rcpt_count = 0;
}

/* showq_msg_add_rcpt - one more (empty) recipient */

struct showq_rcpt *
showq_msg_add_rcpt(struct showq_msg *msg)
{
	struct showq_rcpt *rcpt;

	if (msg->rcpt_count == msg->rcpt_cap) {
		msg->rcpts = xreallocarray(msg->rcpts, msg->rcpt_cap + 8,
					   sizeof(*msg->rcpts));
		for (size_t i = msg->rcpt_cap; i < msg->rcpt_cap + 8; i++) {
			msg->rcpts[i].address = buf_new(64);
			msg->rcpts[i].reason = buf_new(0);
			msg->rcpts[i].transport = buf_new(16);
		}
		msg->rcpt_cap += 8;
	}
	rcpt = msg->rcpts + msg->rcpt_count++;
	buf_reset(rcpt->address);
	buf_reset(rcpt->reason);
	buf_reset(rcpt->transport);
	return (rcpt);
}

/* showq_msg_free - release everything */

void
showq_msg_free(struct showq_msg *msg)
{
	for (size_t i = 0; i < msg->rcpt_cap; i++) {
		buf_free(msg->rcpts[i].address);
		buf_free(msg->rcpts[i].reason);
		buf_free(msg->rcpts[i].transport);
	}
	free(msg->rcpts);
	buf_free(msg->queue_name);
	buf_free(msg->queue_id);
	buf_free(msg->sender);
	buf_free(msg->priority);
	memset(msg, 0, sizeof(*msg));
}
