/*
 * NAME
 *	bounce_service - the bounce protocol, server side
 * SYNOPSIS
 *	#include "bounce.h"
 *
 *	void	bounce_service(struct stream *client);
 * DESCRIPTION
 *	bounce_service() greets a client with {proto=bounce} and then
 *	serves its requests in sequence until it hangs up (see
 *	bounce_client(3) for the conversation). Each request is checked
 *	before anything is done: a known request name, a valid queue name
 *	and queue ID (they become file names), a sender. Besides the names
 *	of bounce_client.h, the mail_proto.h spellings "envelope_id" and
 *	"ret_flags" are accepted for the DSN ENVID and RET.
 * DIAGNOSTICS
 *	A malformed request is logged and answered with status -1, and the
 *	connection is dropped.
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/attr.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/bounce_client.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include <global/queue.h>
#include <server/server.h>

#include "bounce.h"

 /*
  * The requests this service knows.
  */
static const char *const bounce_requests[] = {
	BOUNCE_REQ_FLUSH, BOUNCE_REQ_WARN, BOUNCE_REQ_EXPIRE, BOUNCE_REQ_TRACE, 0,
};

/* bounce_attr - first of two attribute names that is present */
static const char *
bounce_attr(struct htable *attrs, const char *name, const char *alias)
{
	const char *value = htable_find(attrs, name);

	if (value == NULL && alias != NULL)
		value = htable_find(attrs, alias);
	return (value);
}

/* bounce_int - an optional small non-negative number */
static int
bounce_int(const char *value, int *out)
{
	char   *end;
	long	n;

	if (value == NULL || *value == 0) {
		*out = 0;
		return (0);
	}
	errno = 0;
	n = strtol(value, &end, 10);
	if (errno || *end || n < 0 || n > 1000000)
		return (-1);
	*out = (int) n;
	return (0);
}

/* bounce_known_request - the request name is in the table */
static int
bounce_known_request(const char *name)
{
	const char *const *cpp;

	for (cpp = bounce_requests; *cpp; cpp++)
		if (strcmp(*cpp, name) == 0)
			return (1);
	return (0);
}

/* bounce_parse - a request from its attributes; 0 or -1 with why */
static int
bounce_parse(struct htable *attrs, struct bounce_req *req, struct buf *why)
{
	const char *value;

	memset(req, 0, sizeof(*req));
	req->service = server_service_name;
	if ((req->request = htable_find(attrs, BOUNCE_ATTR_REQ)) == NULL
	    || !bounce_known_request(req->request))
		return (buf_printf(why, "bad or missing request \"%s\"",
			      req->request ? req->request : ""), -1);
	if ((req->queue_name = htable_find(attrs, BOUNCE_ATTR_QUEUE)) == NULL
	    || !queue_name_valid(req->queue_name))
		return (buf_printf(why, "bad or missing queue name"), -1);
	if ((req->queue_id = htable_find(attrs, BOUNCE_ATTR_QUEUE_ID)) == NULL
	    || !queue_id_valid(req->queue_id))
		return (buf_printf(why, "bad or missing queue ID"), -1);
	if ((req->sender = htable_find(attrs, BOUNCE_ATTR_SENDER)) == NULL)
		return (buf_printf(why, "missing sender"), -1);
	req->dsn_envid = bounce_attr(attrs, BOUNCE_ATTR_DSN_ENVID, MAIL_ATTR_DSN_ENVID);
	if ((value = bounce_attr(attrs, BOUNCE_ATTR_DSN_RET, MAIL_ATTR_DSN_RET)) != NULL
	    && bounce_int(value, &req->dsn_ret) < 0)
		return (buf_printf(why, "bad dsn_ret \"%s\"", value), -1);
	if (bounce_int(htable_find(attrs, BOUNCE_ATTR_SMTPUTF8), &req->smtputf8) < 0)
		return (buf_printf(why, "bad smtputf8 value"), -1);
	if ((req->encoding = htable_find(attrs, BOUNCE_ATTR_ENCODING)) == NULL)
		req->encoding = "";
	return (0);
}

/* bounce_one_request - read, check and serve one request; 1, 0 or -1 */
static int
bounce_one_request(struct stream *client)
{
	struct htable *attrs = htable_new(16);
	struct buf *why = buf_new(100);
	struct bounce_req req;
	int	status;
	int	ret = -1;

	if (attr_scan_dynamic(client, ATTR_FLAG_NONE, 0, attrs, why) < 0) {
		if (errno == ENODATA)
			ret = 0;
		else
			msg_warn("%s: %s", stream_name(client), buf_str(why));
		goto out;
	}
	if (bounce_parse(attrs, &req, why) < 0) {
		msg_warn("%s: bad request: %s", stream_name(client), buf_str(why));
		(void) attr_print(client, ATTR_FLAG_FLUSH, ATTR_LIST(
				  ATTR_INT(BOUNCE_ATTR_STATUS, -1)));
		goto out;
	}
	status = bounce_notify(&req);
	if (attr_print(client, ATTR_FLAG_FLUSH, ATTR_LIST(
				ATTR_INT(BOUNCE_ATTR_STATUS, status))) < 0) {
		msg_warn("%s: %s: reply to client: %m", req.queue_id, stream_name(client));
		goto out;
	}
	ret = 1;
out:
	htable_free(attrs, free);
	buf_free(why);
	return (ret);
}

/* bounce_service - one client connection */
void
bounce_service(struct stream *client)
{
	int	count = 0;

	stream_set_timeout(client, (int) var_ipc_timeout);
	if (attr_send_proto(client, MAIL_PROTO_BOUNCE) < 0) {
		msg_warn("%s: send greeting: %m", stream_name(client));
		return;
	}
	while (bounce_one_request(client) > 0 && ++count < 1000 && !server_is_stopping())
		 /* void */ ;
}
