/*
 * NAME
 *	error_agent - deliver by failing: bounce or defer every recipient
 * SYNOPSIS
 *	#include "error.h"
 * DESCRIPTION
 *	See error.h.
 */
#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/deliver_request.h>
#include <global/dsn.h>
#include <global/dsn_split.h>
#include <global/params.h>

#include "error.h"

/* error_outcome - status, DSN code and reason for every recipient */
int
error_outcome(int mode, const char *nexthop, char status[DSN_STATUS_SIZE],
	              const char **reason)
{
	const char *text;

	if (mode == ERROR_MODE_RETRY) {
		text = dsn_split(status, "4.0.0", nexthop ? nexthop : "");
		if (dsn_class(status) != 4)
			status[0] = '4';
		*reason = *text ? text : "delivery temporarily suspended";
		return (DELIVER_STAT_DEFER);
	}
	text = dsn_split(status, "5.0.0", nexthop ? nexthop : "");
	if (dsn_class(status) == 2)
		status[0] = '5';
	*reason = *text ? text : "mail delivery failed";
	return (dsn_class(status) == 4 ? DELIVER_STAT_DEFER : DELIVER_STAT_BOUNCE);
}

/* error_request - one request: the same outcome for all recipients */
static int
error_request(struct stream *client, struct deliver_request *req, int mode)
{
	char	status[DSN_STATUS_SIZE];
	const char *reason;
	int	result = error_outcome(mode, req->nexthop, status, &reason);
	size_t	i;

	for (i = 0; i < req->rcpt_count; i++)
		if (deliver_status_rcpt(client, req, req->rcpt + i, result, status,
					NULL, reason, "none") < 0)
			return (-1);
	return (deliver_status_final(client, DELIVER_FINAL_OK, 0, ""));
}

/* error_service - one connection from qmgr */
void
error_service(struct stream *client, int mode)
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
		n = error_request(client, &req, mode);
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
