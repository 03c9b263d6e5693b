/*
 * NAME
 *	discard_agent - deliver by dropping the message
 * SYNOPSIS
 *	#include "discard.h"
 * DESCRIPTION
 *	See discard.h.
 */
#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/deliver_request.h>
#include <global/dsn.h>
#include <global/dsn_split.h>
#include <global/params.h>

#include "discard.h"

/* discard_outcome - status code and reason */
const char *
discard_outcome(const char *nexthop, char status[DSN_STATUS_SIZE])
{
	const char *text = dsn_split(status, "2.0.0", nexthop ? nexthop : "");

	/* A delivered recipient is always class 2, whatever the text says. */
	if (dsn_class(status) != 2)
		status[0] = '2';
	return (*text ? text : "discarded");
}

/* discard_request - one request: every recipient is done */
static int
discard_request(struct stream *client, struct deliver_request *req)
{
	char	status[DSN_STATUS_SIZE];
	const char *reason = discard_outcome(req->nexthop, status);
	size_t	i;

	for (i = 0; i < req->rcpt_count; i++)
		if (deliver_status_rcpt(client, req, req->rcpt + i, DELIVER_STAT_OK,
					status, NULL, reason, "none") < 0)
			return (-1);
	return (deliver_status_final(client, DELIVER_FINAL_OK, 0, ""));
}

/* discard_service - one connection from qmgr */
void
discard_service(struct stream *client)
{
	struct deliver_request req;
	struct buf *why = buf_new(100);
	int	n;

	stream_set_timeout(client, (int) var_ipc_timeout);
	if (deliver_request_hello(client) < 0) {
		msg_warn("%s: send greeting: %m", stream_name(client));
		buf_free(why);
		return;
	}
	while ((n = deliver_request_read(client, &req, why)) > 0) {
		n = discard_request(client, &req);
		deliver_request_free(&req);
		if (n < 0) {
			msg_warn("%s: reply to qmgr: %m", stream_name(client));
			break;
		}
	}
	if (n < 0 && buf_len(why) > 0)
		msg_warn("%s: bad delivery request: %s", stream_name(client), buf_str(why));
	deliver_request_free(&req);
	buf_free(why);
}
