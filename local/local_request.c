/*
 * NAME
 *	local_request - one delivery request: recipients, results, reports
 * SYNOPSIS
 *	#include "local.h"
 *
 *	void	local_request(struct stream *client,
 *			struct deliver_request *req);
 *	int	local_leaf(struct local_state *state, int status,
 *			const char *dsn, const char *fmt, ...);
 *	int	local_leaves_decide(const struct local_leaves *leaves);
 *	int	local_leaves_report(struct stream *client,
 *			struct local_msg *msg, const struct deliver_rcpt *rcpt,
 *			const struct local_leaves *leaves);
 *	void	local_leaves_free(struct local_leaves *leaves);
 * DESCRIPTION
 *	local_request() opens the queue file read-only, collects the
 *	message's Delivered-To: headers, delivers each recipient (aliases,
 *	.forward, mailbox; then re-submits collected non-local
 *	addresses), reports each to qmgr and closes the request. When the
 *	queue file cannot be read, every recipient is deferred.
 *
 *	local_leaf() records the result of one final destination for the
 *	address in state->address and returns status (a status code of the
 *	wrong class is corrected to match status).
 *
 *	A recipient can expand into several destinations; qmgr hears one
 *	result per recipient, as with Postfix, where a deferral anywhere
 *	makes the recipient deferred (all its destinations are tried again
 *	later) and otherwise a bounce anywhere makes it bounced.
 *	local_leaves_decide() picks the leaf that speaks for the recipient:
 *	the first deferred one, else the first bounced one, else the last.
 *	local_leaves_report() logs every other leaf in the agent's log line
 *	shape (to=<destination>, orig_to=<recipient>, relay=local) and
 *	reports the deciding leaf through deliver_status_rcpt(), which
 *	logs it the same way. A recipient without leaves (every destination
 *	was already served earlier in the request) is reported delivered.
 *
 *	DSN (RFC 3461 NOTIFY=SUCCESS): a delivered recipient is reported
 *	with action "delivered", or "expanded" when it led to more than one
 *	destination (the forwarded copies then go without SUCCESS, see
 *	local_forward(3)). A recipient whose only destination is a
 *	forwarded copy is reported without SUCCESS in its NOTIFY: the copy
 *	asks for the notice itself.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/deliver_request.h>
#include <global/params.h>
#include <global/queue.h>

#include "local.h"

/* local_leaf - record one destination's result */
int
local_leaf(struct local_state *state, int status, const char *dsn,
	           const char *fmt,...)
{
	struct local_leaves *leaves = state->leaves;
	struct local_leaf *leaf;
	struct buf *reason = buf_new(100);
	va_list	ap;

	va_start(ap, fmt);
	buf_vappendf(reason, fmt, ap);
	va_end(ap);
	if (leaves->count == leaves->cap) {
		leaves->cap = leaves->cap ? 2 * leaves->cap : 4;
		leaves->leaf = xreallocarray(leaves->leaf, leaves->cap, sizeof(*leaves->leaf));
	}
	leaf = leaves->leaf + leaves->count++;
	leaf->address = xstrdup(state->address);
	leaf->status = status;
	snprintf(leaf->dsn, sizeof(leaf->dsn), "%s", dsn_valid_status(dsn) ? dsn : "4.0.0");
	leaf->dsn[0] = status == DELIVER_STAT_OK ? '2' : status == DELIVER_STAT_DEFER ? '4' : '5';
	leaf->reason = buf_steal(reason);
	leaf->is_forward = 0;
	return (status);
}

/* local_leaves_free - release the results */
void
local_leaves_free(struct local_leaves *leaves)
{
	size_t	i;

	for (i = 0; i < leaves->count; i++) {
		free(leaves->leaf[i].address);
		free(leaves->leaf[i].reason);
	}
	free(leaves->leaf);
	memset(leaves, 0, sizeof(*leaves));
}

/* local_leaves_decide - the leaf that speaks for the recipient */
int
local_leaves_decide(const struct local_leaves *leaves)
{
	size_t	i;

	if (leaves->count == 0)
		return (-1);
	for (i = 0; i < leaves->count; i++)
		if (leaves->leaf[i].status == DELIVER_STAT_DEFER)
			return ((int) i);
	for (i = 0; i < leaves->count; i++)
		if (leaves->leaf[i].status == DELIVER_STAT_BOUNCE)
			return ((int) i);
	return ((int) leaves->count - 1);
}

/* local_log_leaf - log a leaf that is not reported to qmgr */
static void
local_log_leaf(const struct deliver_request *req, const char *orig,
	               const struct local_leaf *leaf)
{
	struct buf *line = buf_new(256);
	char	dsn[DSN_STATUS_SIZE];
	const char *word = deliver_status_word(leaf->status);
	const unsigned char *cp;

	snprintf(dsn, sizeof(dsn), "%s", leaf->dsn);
	if (leaf->status == DELIVER_STAT_BOUNCE && var_soft_bounce) {
		dsn[0] = '4';
		word = "SOFTBOUNCE";
	}
	buf_printf(line, "%s: to=<%s>, ", req->queue_id, leaf->address);
	if (strcasecmp(orig, leaf->address) != 0)
		buf_appendf(line, "orig_to=<%s>, ", orig);
	buf_cat(line, "relay=local, ");
	deliver_request_delays(req, line);
	buf_appendf(line, ", dsn=%s, status=%s (", dsn, word);
	for (cp = (const unsigned char *) leaf->reason; *cp; cp++)
		buf_putc(line, (*cp < 0x20 || *cp == 0x7f) ? ' ' : *cp);
	buf_putc(line, ')');
	msg_info("%s", buf_str(line));
	buf_free(line);
}

/* local_leaves_action - DSN action and owed NOTIFY of a delivered recipient */
static const char *
local_leaves_action(const struct local_leaves *leaves, int *notify)
{
	/* Postfix: an expansion into several destinations is "expanded". */
	if (leaves->count > 1)
		return (DSN_ACTION_EXPANDED);
	/* A single forwarded copy carries NOTIFY=SUCCESS on by itself. */
	if (leaves->count == 1 && leaves->leaf[0].is_forward)
		*notify &= ~DSN_NOTIFY_SUCCESS;
	return (DSN_ACTION_DELIVERED);
}

/* local_leaves_report - log the leaves, report the recipient */
int
local_leaves_report(struct stream *client, struct local_msg *msg,
		            const struct deliver_rcpt *rcpt,
		            const struct local_leaves *leaves)
{
	struct deliver_rcpt speaker = *rcpt;
	const char *orig = (rcpt->orig_address && *rcpt->orig_address)
	? rcpt->orig_address : rcpt->address;
	const struct local_leaf *leaf;
	const char *action = NULL;
	int	decide = local_leaves_decide(leaves);
	size_t	i;

	if (decide < 0)
		return (deliver_status_rcpt(client, msg->req, rcpt, DELIVER_STAT_OK, "2.0.0",
					    NULL, "delivered to a destination served earlier",
					    "local"));
	for (i = 0; i < leaves->count; i++)
		if ((int) i != decide)
			local_log_leaf(msg->req, orig, leaves->leaf + i);
	leaf = leaves->leaf + decide;
	speaker.address = leaf->address;
	speaker.orig_address = (char *) orig;
	if (leaf->status == DELIVER_STAT_OK)
		action = local_leaves_action(leaves, &speaker.dsn_notify);
	return (deliver_status_rcpt(client, msg->req, &speaker, leaf->status, leaf->dsn,
				    action, leaf->reason, "local"));
}

/* local_request_defer_all - the message cannot be read */
static int
local_request_defer_all(struct stream *client, struct deliver_request *req,
			        const char *reason)
{
	size_t	i;

	for (i = 0; i < req->rcpt_count; i++)
		if (deliver_status_rcpt(client, req, req->rcpt + i, DELIVER_STAT_DEFER,
					"4.3.0", NULL, reason, "local") < 0)
			return (-1);
	return (0);
}

/* local_request_rcpt - deliver and report one recipient */
static int
local_request_rcpt(struct stream *client, struct local_msg *msg,
		           const struct deliver_rcpt *rcpt)
{
	struct local_leaves leaves;
	struct local_state state;
	int	ret;

	memset(&leaves, 0, sizeof(leaves));
	memset(&state, 0, sizeof(state));
	state.msg = msg;
	state.rcpt = rcpt;
	state.address = rcpt->address;
	state.leaves = &leaves;
	state.forward = argv_new(4);
	(void) local_deliver_address(&state, rcpt->address, 0);
	(void) local_forward_flush(&state);
	ret = local_leaves_report(client, msg, rcpt, &leaves);
	argv_free(state.forward);
	local_leaves_free(&leaves);
	return (ret);
}

/* local_request - one request from qmgr */
void
local_request(struct stream *client, struct deliver_request *req)
{
	struct local_msg msg;
	struct buf *why = buf_new(100);
	size_t	i;
	int	ret = 0;

	memset(&msg, 0, sizeof(msg));
	msg.req = req;
	msg.is_verify = (req->flags & DEL_REQ_FLAG_VERIFY) != 0;
	msg.delivered = htable_new(8);
	msg.dup = htable_new(8);
	if ((msg.qfd = queue_open(req->queue_name, req->queue_id, O_RDONLY)) < 0) {
		buf_printf(why, "cannot open queue file %s/%s: %m", req->queue_name,
			   req->queue_id);
		msg_warn("%s: %s", req->queue_id, buf_str(why));
		ret = local_request_defer_all(client, req, buf_str(why));
	} else if (local_header_scan(msg.qfd, req->data_offset, msg.delivered, why) < 0) {
		msg_warn("%s: %s", req->queue_id, buf_str(why));
		ret = local_request_defer_all(client, req, buf_str(why));
	} else {
		for (i = 0; i < req->rcpt_count && ret == 0; i++)
			ret = local_request_rcpt(client, &msg, req->rcpt + i);
	}
	if (ret == 0)
		ret = deliver_status_final(client, DELIVER_FINAL_OK, 0, "");
	if (ret < 0)
		msg_warn("%s: reply to qmgr: %m", req->queue_id);
	if (msg.qfd >= 0)
		(void) close(msg.qfd);
	htable_free(msg.delivered, NULL);
	htable_free(msg.dup, NULL);
	buf_free(why);
}
