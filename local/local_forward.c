/*
 * NAME
 *	local_forward - re-submit the message to addresses elsewhere
 * SYNOPSIS
 *	#include "local.h"
 *
 *	void	local_forward_add(struct local_state *state,
 *			const char *address);
 *	int	local_forward_flush(struct local_state *state);
 * DESCRIPTION
 *	An alias, :include: file or .forward that names an address of
 *	another machine sends the message back into the queue, as
 *	Postfix's local(8) does: local_forward_add() collects such an
 *	address (once per request), together with the local address whose
 *	expansion named it; local_forward_flush() then queues one new
 *	message through cleanup(8) per expanded local address, with the
 *	original sender, DSN ENVID and RET, the collected recipients (their
 *	DSN NOTIFY and original recipient copied from the recipient being
 *	delivered), a "Delivered-To: LOCAL-ADDRESS" header (when
 *	prepend_delivered_header lists "forward"; it lets the next
 *	delivery detect a loop) and the original content.
 *
 *	DSN: when the recipient expands into more than one destination
 *	(its other leaves plus the forwarded addresses), its delivery is
 *	reported as "expanded" and the copies go without NOTIFY=SUCCESS
 *	(NEVER when nothing else was asked), as Postfix does; otherwise the
 *	copy keeps the recipient's NOTIFY.
 *
 *	Each forwarded address is recorded with local_leaf() as sent,
 *	"forwarded as NEWID", or deferred (4.3.0) when cleanup could not
 *	take the message.
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <strings.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/cleanup_client.h>
#include <global/dsn.h>
#include <global/mail_proto.h>
#include <global/record.h>

#include "local.h"

 /*
  * Content callback state.
  */
struct local_forward_sink {
	struct cleanup_client *cl;
};

/* local_forward_add - remember a non-local address */
void
local_forward_add(struct local_state *state, const char *address)
{
	struct buf *key = buf_new(64);
	const char *cp;

	buf_cpy(key, "forward ");
	for (cp = address; *cp; cp++)
		buf_putc(key, tolower((unsigned char) *cp));
	if (htable_locate(state->msg->dup, buf_str(key)) == NULL) {
		(void) htable_enter(state->msg->dup, buf_str(key), NULL);
		/* Pairs: address, then the local address that expanded to it. */
		argv_add(state->forward, address);
		argv_add(state->forward, state->address);
	}
	buf_free(key);
}

/* local_forward_record - one content record to cleanup */
static int
local_forward_record(int type, const char *data, size_t len, void *ctx)
{
	struct local_forward_sink *sink = ctx;

	(void) cleanup_content(sink->cl, data, len,
			       type == REC_TYPE_CONT ? CLEANUP_LINE_CONT : CLEANUP_LINE_NORM);
	return (0);
}

/* local_forward_envelope - sender, attributes, recipients of one batch */
static void
local_forward_envelope(struct local_state *state, struct cleanup_client *cl,
		               const char *from_address)
{
	const struct deliver_request *req = state->msg->req;
	const struct deliver_rcpt *rcpt = state->rcpt;
	char	ret[16];
	size_t	i;

	(void) cleanup_sender(cl, req->sender);
	if (req->dsn_envid && *req->dsn_envid)
		(void) cleanup_attr(cl, MAIL_ATTR_DSN_ENVID, req->dsn_envid);
	if (req->dsn_ret) {
		snprintf(ret, sizeof(ret), "%d", req->dsn_ret);
		(void) cleanup_attr(cl, MAIL_ATTR_DSN_RET, ret);
	}
	for (i = 0; i + 1 < state->forward->argc; i += 2)
		if (strcmp(state->forward->argv[i + 1], from_address) == 0)
			(void) cleanup_rcpt(cl, state->forward->argv[i],
					    (rcpt->orig_address && *rcpt->orig_address)
					    ? rcpt->orig_address : rcpt->address,
					    NULL, state->forward_notify);
}

/* local_forward_batch - one new message for the addresses of from_address */
static void
local_forward_batch(struct local_state *state, const char *from_address)
{
	struct local_forward_sink sink;
	struct buf *why = buf_new(100);
	struct buf *newid = buf_new(32);
	struct buf *line = buf_new(128);
	const char *saved = state->address;
	int	status = CLEANUP_STAT_WRITE;
	size_t	i;

	if ((sink.cl = cleanup_open(CLEANUP_FLAG_MAP_OK, why)) != NULL) {
		buf_cpy(newid, cleanup_queue_id(sink.cl));
		local_forward_envelope(state, sink.cl, from_address);
		if (local_copy_flags(LOCAL_COPY_DELIVERED, "forward") & LOCAL_COPY_DELIVERED) {
			const char *cp;

			buf_cpy(line, "Delivered-To: ");
			for (cp = from_address; *cp; cp++)
				buf_putc(line, tolower((unsigned char) *cp));
			(void) cleanup_content(sink.cl, buf_str(line), buf_len(line),
					       CLEANUP_LINE_NORM);
		}
		if (local_content_each(state->msg->qfd, state->msg->req->data_offset,
				       local_forward_record, &sink, why) != 0) {
			cleanup_abort(sink.cl);
		} else
			status = cleanup_finish(sink.cl, why);
	}
	for (i = 0; i + 1 < state->forward->argc; i += 2) {
		if (strcmp(state->forward->argv[i + 1], from_address) != 0)
			continue;
		state->address = state->forward->argv[i];
		if (status == CLEANUP_STAT_OK) {
			(void) local_leaf(state, DELIVER_STAT_OK, "2.0.0", "forwarded as %s",
					  buf_str(newid));
			state->leaves->leaf[state->leaves->count - 1].is_forward = 1;
		} else
			(void) local_leaf(state, DELIVER_STAT_DEFER, "4.3.0",
					  "mail forwarding failed: %s", buf_len(why)
					  ? buf_str(why) : cleanup_strerror(status));
	}
	state->address = saved;
	buf_free(why);
	buf_free(newid);
	buf_free(line);
}

/* local_forward_notify - DSN NOTIFY for the copies, as Postfix's alias.c */
static int
local_forward_notify(const struct local_state *state)
{
	int	notify = state->rcpt->dsn_notify;

	/* Expanded into several destinations: "expanded" covers SUCCESS. */
	if ((notify & DSN_NOTIFY_SUCCESS)
	    && state->leaves->count + state->forward->argc / 2 > 1) {
		notify &= ~DSN_NOTIFY_SUCCESS;
		if (notify == 0)
			notify = DSN_NOTIFY_NEVER;
	}
	return (notify);
}

/* local_forward_flush - queue what was collected */
int
local_forward_flush(struct local_state *state)
{
	struct htable *done = htable_new(4);
	const char *saved = state->address;
	size_t	i;

	state->forward_notify = local_forward_notify(state);

	for (i = 0; i + 1 < state->forward->argc; i += 2) {
		const char *from = state->forward->argv[i + 1];

		if (state->msg->is_verify) {
			state->address = state->forward->argv[i];
			(void) local_leaf(state, DELIVER_STAT_OK, "2.0.0", "forwards to %s",
					  state->forward->argv[i]);
			state->address = saved;
		} else if (htable_locate(done, from) == NULL) {
			(void) htable_enter(done, from, NULL);
			local_forward_batch(state, from);
		}
	}
	htable_free(done, NULL);
	argv_truncate(state->forward, 0);
	return (0);
}
