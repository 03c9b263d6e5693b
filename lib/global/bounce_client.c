/*
 * NAME
 *	bounce_client - ask the bounce service for a delivery status notification
 * DESCRIPTION
 *	See bounce_client.h.
 */
#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/attr.h>
#include <global/mail_proto.h>
#include <global/bounce_client.h>

/* bounce_request - one request to private/SERVICE */
int
bounce_request(const char *service, int timeout_s,
	               const struct bounce_request *req, struct buf *why)
{
	struct buf *path = buf_new(64);
	int	status = -1;
	int	ret;

	buf_printf(path, "%s/%s", MAIL_CLASS_PRIVATE, service);
	ret = attr_request(buf_str(path), timeout_s, MAIL_PROTO_BOUNCE, ATTR_LIST(
			   ATTR_STR(BOUNCE_ATTR_REQ, req->request),
			   ATTR_STR(BOUNCE_ATTR_QUEUE, req->queue_name),
			   ATTR_STR(BOUNCE_ATTR_QUEUE_ID, req->queue_id),
			   ATTR_STR(BOUNCE_ATTR_SENDER, req->sender ? req->sender : ""),
			   ATTR_STR(BOUNCE_ATTR_DSN_ENVID, req->dsn_envid ? req->dsn_envid : ""),
			   ATTR_INT(BOUNCE_ATTR_DSN_RET, req->dsn_ret),
			   ATTR_STR(BOUNCE_ATTR_ENCODING, req->encoding ? req->encoding : ""),
			   ATTR_INT(BOUNCE_ATTR_SMTPUTF8, req->smtputf8)),
			   ATTR_FLAG_NONE, ATTR_LIST(
			   SCAN_INT(BOUNCE_ATTR_STATUS, &status)), why);
	buf_free(path);
	if (ret < 0)
		return (-1);
	if (status != 0 && why)
		buf_printf(why, "%s service failed", service);
	return (status == 0 ? 0 : -1);
}
