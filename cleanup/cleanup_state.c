/*
 * NAME
 *	cleanup_state - one message's processing state
 * SYNOPSIS
 *	#include "cleanup.h"
 *
 *	struct cleanup_state *cleanup_state_new(int flags);
 *	void	cleanup_state_free(struct cleanup_state *state);
 *	void	cleanup_state_error(struct cleanup_state *state, int status,
 *			const char *fmt, ...);
 * DESCRIPTION
 *	cleanup_state_new() makes an empty state for one message with the
 *	client's CLEANUP_FLAG_* flags; the queue file is opened separately
 *	(cleanup_out_open()). cleanup_state_free() releases everything; it
 *	closes but does not remove the queue file (cleanup_out_remove()
 *	does).
 *
 *	cleanup_state_error() adds status to the message's errors and, for
 *	the first error only, keeps the formatted reason for the client.
 * SEE ALSO
 *	cleanup(8)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <global/cleanup_client.h>

#include <unistd.h>

#include "cleanup.h"

/* cleanup_state_new - empty state */

struct cleanup_state *
cleanup_state_new(int flags)
{
	struct cleanup_state *state = xcalloc(1, sizeof(*state));

	state->queue_id = buf_new(32);
	state->fd = -1;
	state->flags = flags;
	state->reason = buf_new(64);
	state->phase = CLEANUP_PHASE_ENVELOPE;
	state->now = time(NULL);
	qfile_envelope_init(&state->env);
	qfile_envelope_init(&state->xtra);
	state->dups = htable_new(16);
	state->client_attrs = htable_new(8);
	state->hdr_rcpt = argv_new(4);
	state->hdr_resent_rcpt = argv_new(1);
	state->header = buf_new(256);
	state->scratch = buf_new(256);
	return (state);
}

/* cleanup_state_free - release a state */

void
cleanup_state_free(struct cleanup_state *state)
{
	if (state->out)
		(void) rec_close(state->out);
	if (state->fd >= 0)
		(void) close(state->fd);
	buf_free(state->queue_id);
	buf_free(state->reason);
	qfile_envelope_free(&state->env);
	qfile_envelope_free(&state->xtra);
	free(state->pend_orig);
	free(state->pend_dorc);
	free(state->first_rcpt);
	htable_free(state->dups, NULL);
	htable_free(state->client_attrs, free);
	argv_free(state->hdr_rcpt);
	argv_free(state->hdr_resent_rcpt);
	free(state->precedence);
	buf_free(state->header);
	buf_free(state->scratch);
	free(state);
}

/* cleanup_state_error - record a failure and its first reason */

void
cleanup_state_error(struct cleanup_state *state, int status,
		    const char *fmt,...)
{
	va_list	ap;

	if (status == 0)
		msg_panic("cleanup_state_error: status 0");
	if (state->errs == 0) {
		buf_reset(state->reason);
		va_start(ap, fmt);
		buf_vappendf(state->reason, fmt, ap);
		va_end(ap);
	}
	state->errs |= status;
}
