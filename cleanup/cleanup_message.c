/*
 * NAME
 *	cleanup_message - message content: header block and body
 * SYNOPSIS
 *	#include "cleanup.h"
 *
 *	void	cleanup_message(struct cleanup_state *state, int type,
 *			const char *data, size_t len);
 *	void	cleanup_message_end(struct cleanup_state *state);
 *	size_t	cleanup_header_name_len(const char *text, size_t len);
 * DESCRIPTION
 *	cleanup_message() takes one content record: a line (NORM) or a
 *	piece of a long line (CONT, more follows). While the message is in
 *	its header block, physical lines are gathered into logical headers
 *	(a line that starts with white space continues the previous
 *	header), each at most header_size_limit bytes (the excess is
 *	discarded, as Postfix does), and handed to cleanup_header() when
 *	complete. The first line that is neither a header nor a
 *	continuation ends the header block: missing headers are added
 *	(cleanup_headers_done()) and, when that line is not the empty line
 *	that separates header and body, an empty line is inserted so the
 *	stored message stays well formed. Body lines are copied as they
 *	come (split at line_length_limit by cleanup_out_text()).
 *
 *	cleanup_message_end() is XTRA, the end of the content: it finishes
 *	a header block that never ended and closes a partial last line.
 *
 *	cleanup_header_name_len() returns the length up to and including
 *	the colon when text starts a header ("Name:" with a name of
 *	printable ASCII other than ':', white space allowed before the
 *	colon), else 0.
 * SEE ALSO
 *	RFC 5322 section 2.2
 */
#include <util/sys_defs.h>
#include <util/msg.h>
#include <global/params.h>

#include "cleanup.h"

/* cleanup_header_name_len - "Name:" prefix length, or 0 */

size_t
cleanup_header_name_len(const char *text, size_t len)
{
	size_t	i = 0;

	while (i < len && text[i] > ' ' && text[i] < 0x7f && text[i] != ':')
		i++;
	if (i == 0)
		return (0);
	while (i < len && (text[i] == ' ' || text[i] == '\t'))
		i++;
	return (i < len && text[i] == ':' ? i + 1 : 0);
}

/* cleanup_header_append - add a piece to the logical header */

static void
cleanup_header_append(struct cleanup_state *state, const char *data,
		      size_t len)
{
	size_t	room;

	if (buf_len(state->header) >= (size_t) var_header_size_limit) {
		state->header_truncated = 1;
		return;
	}
	room = (size_t) var_header_size_limit - buf_len(state->header);
	if (len > room) {
		len = room;
		state->header_truncated = 1;
	}
	buf_catn(state->header, data, len);
}

/* cleanup_body_start - the first line that is not a header */

static void
cleanup_body_start(struct cleanup_state *state, int type, const char *data,
		   size_t len)
{
	if (buf_len(state->header) > 0)
		cleanup_header(state);
	cleanup_headers_done(state);
	state->in_headers = 0;
	if (len > 0 || type == REC_TYPE_CONT)
		cleanup_out_text(state, REC_TYPE_NORM, "", 0);
	cleanup_out_text(state, type, data, len);
}

/* cleanup_message - one content record */

void
cleanup_message(struct cleanup_state *state, int type, const char *data,
		size_t len)
{
	int	line_start = !state->in_line;

	state->in_line = (type == REC_TYPE_CONT);
	if (!state->in_headers) {
		cleanup_out_text(state, type, data, len);
		return;
	}
	if (line_start) {
		if (len > 0 && (data[0] == ' ' || data[0] == '\t')
		    && buf_len(state->header) > 0) {
			cleanup_header_append(state, "\n", 1);
		} else if (cleanup_header_name_len(data, len) > 0) {
			if (buf_len(state->header) > 0)
				cleanup_header(state);
		} else {
			cleanup_body_start(state, type, data, len);
			return;
		}
	}
	cleanup_header_append(state, data, len);
}

/* cleanup_message_end - XTRA: finish headers and the last line */

void
cleanup_message_end(struct cleanup_state *state)
{
	if (state->in_headers) {
		if (state->in_line)
			state->in_line = 0;
		if (buf_len(state->header) > 0)
			cleanup_header(state);
		cleanup_headers_done(state);
		state->in_headers = 0;
	} else if (state->in_line) {
		state->in_line = 0;
		cleanup_out_text(state, REC_TYPE_NORM, "", 0);
	}
}
