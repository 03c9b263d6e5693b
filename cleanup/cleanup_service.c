/*
 * NAME
 *	cleanup_service - one client conversation
 * SYNOPSIS
 *	#include "cleanup.h"
 *
 *	void	cleanup_service(struct stream *client, const char *service,
 *			char **argv);
 *	void	cleanup_fatal_remove(void);
 * DESCRIPTION
 *	cleanup_service() serves one client of the cleanup protocol
 *	(cleanup_client(3)): greeting, flow token, queue file, records,
 *	verdict. A client that goes away or breaks the protocol before END
 *	aborts the message: its file is removed.
 *
 *	cleanup_fatal_remove() removes the file of the message being
 *	received, for fatal errors and process exit.
 * SEE ALSO
 *	cleanup(8), cleanup_client(3)
 */
#include <util/sys_defs.h>
#include <util/attr.h>
#include <util/msg.h>
#include <global/cleanup_client.h>
#include <global/mail_flow.h>
#include <global/mail_proto.h>
#include <global/params.h>

#include "cleanup.h"

 /*
  * The message being received, for removal when the process dies.
  */
static struct cleanup_state *cleanup_current;

/* cleanup_fatal_remove - do not leave a half file behind on a fatal error */

void
cleanup_fatal_remove(void)
{
	if (cleanup_current)
		cleanup_out_remove(cleanup_current);
}

/* cleanup_hello - assign a queue ID, or say why not */

static int
cleanup_hello(struct stream *client, struct cleanup_state *state)
{
	struct buf *why = buf_new(64);
	int	status;

	if (var_in_flow_delay > 0)
		(void) mail_flow_wait(var_in_flow_delay * 1000);
	if (cleanup_out_space_ok(why) < 0) {
		msg_warn("%s", buf_str(why));
		cleanup_state_error(state, CLEANUP_STAT_WRITE,
				    "4.3.1 Insufficient system storage");
	} else
		(void) cleanup_out_open(state);
	if (state->errs)
		status = attr_print(client, ATTR_FLAG_FLUSH, ATTR_LIST(
				    ATTR_INT(MAIL_ATTR_STATUS, state->errs),
				    ATTR_STR(MAIL_ATTR_WHY, buf_str(state->reason))));
	else
		status = attr_print(client, ATTR_FLAG_FLUSH, ATTR_LIST(
				    ATTR_INT(MAIL_ATTR_STATUS, CLEANUP_STAT_OK),
				    ATTR_STR(MAIL_ATTR_QUEUE_ID, buf_str(state->queue_id))));
	buf_free(why);
	return (state->errs || status < 0 ? -1 : 0);
}

/* cleanup_read - the flags, then records until END */

static int
cleanup_read(struct stream *client, struct cleanup_state *state)
{
	struct buf *data = buf_new(1024);
	int	flags = 0;
	int	type = 0;
	int	status = 0;

	if (attr_scan(client, ATTR_FLAG_NONE, ATTR_LIST(
			      SCAN_INT(MAIL_ATTR_FLAGS, &flags))) < 0)
		status = -1;
	else if (flags & ~CLEANUP_FLAG_MASK)
		cleanup_state_error(state, CLEANUP_STAT_BAD,
				    "bad processing flags 0x%x", flags);
	else
		state->flags = flags;
	while (status == 0 && state->phase != CLEANUP_PHASE_DONE) {
		if (attr_scan(client, ATTR_FLAG_NONE, ATTR_LIST(
				      SCAN_INT(CLEANUP_ATTR_REC_TYPE, &type),
				      SCAN_DATA(MAIL_ATTR_DATA, data))) < 0)
			status = -1;
		else
			cleanup_input(state, type, buf_str(data), buf_len(data));
	}
	buf_free(data);
	return (status);
}

/* cleanup_done - commit, bounce or discard; the client's status */

static int
cleanup_done(struct cleanup_state *state)
{
	const char *id = buf_str(state->queue_id);

	if (state->errs == 0 && (state->flags & CLEANUP_FLAG_DISCARD)) {
		msg_info("%s: discard: message discarded as requested", id);
		cleanup_out_remove(state);
		return (CLEANUP_STAT_OK);
	}
	if (state->errs == 0 && cleanup_out_finish(state) == 0)
		return (CLEANUP_STAT_OK);
	if ((state->flags & CLEANUP_FLAG_BOUNCE)
	    && (state->errs & CLEANUP_STAT_MASK_CANT_BOUNCE) == 0) {
		if (cleanup_bounce(state) == 0) {
			cleanup_out_remove(state);
			msg_info("%s: removed", id);
			return (CLEANUP_STAT_OK);
		}
		/* No notification queued: the client must try again. */
		state->errs |= CLEANUP_STAT_WRITE;
	}
	if (state->errs & CLEANUP_STAT_BAD)
		msg_warn("%s: message rejected: %s", id, buf_str(state->reason));
	cleanup_out_remove(state);
	return (state->errs);
}

/* cleanup_service - one message from one client */

void
cleanup_service(struct stream *client, const char *service, char **argv)
{
	struct cleanup_state *state = cleanup_state_new(CLEANUP_FLAG_NONE);
	int	status;

	(void) service;
	(void) argv;
	stream_set_timeout(client, (int) var_ipc_timeout);
	cleanup_current = state;
	if (attr_send_proto(client, MAIL_PROTO_CLEANUP) == 0
	    && cleanup_hello(client, state) == 0) {
		if (cleanup_read(client, state) < 0) {
			/* The client went away or broke the protocol: abort. */
			cleanup_out_remove(state);
		} else {
			status = cleanup_done(state);
			(void) attr_print(client, ATTR_FLAG_FLUSH, ATTR_LIST(
				      ATTR_INT(MAIL_ATTR_STATUS, status),
				      ATTR_STR(MAIL_ATTR_WHY, status ?
					       buf_str(state->reason) : "")));
		}
	}
	cleanup_out_remove(state);
	cleanup_current = 0;
	cleanup_state_free(state);
}

