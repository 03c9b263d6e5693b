/*
 * NAME
 *	cleanup_envelope - envelope records from the client
 * SYNOPSIS
 *	#include "cleanup.h"
 *
 *	void	cleanup_input(struct cleanup_state *state, int type,
 *			const char *data, size_t len);
 *	void	cleanup_envelope(struct cleanup_state *state, int type,
 *			const char *data, size_t len);
 *	void	cleanup_rcpt_add(struct cleanup_state *state,
 *			struct qfile_envelope *env, const char *addr,
 *			const char *orig, const char *dsn_orcpt, int notify);
 *	void	cleanup_canon(struct buf *out, const char *addr);
 * DESCRIPTION
 *	cleanup_input() takes one record from the client and passes it on
 *	according to where the message is: envelope records until MESG,
 *	content records until XTRA, then END. A record out of order is a
 *	protocol error (CLEANUP_STAT_BAD).
 *
 *	cleanup_envelope() handles the envelope: TIME, FROM, FULL, ATTR
 *	(only the names of the cleanup protocol), and recipient groups
 *	(ORCP, DORC, NTFY, then RCPT). Recipients are kept until MESG; then
 *	they are qualified, expanded with virtual_alias_maps and freed of
 *	duplicates, and the envelope is written.
 *
 *	cleanup_rcpt_add() is that treatment for one recipient, appending
 *	the results to env (the envelope, or the extracted recipients of
 *	sendmail -t). cleanup_canon() qualifies an address without a
 *	domain with @myorigin (append_at_myorigin).
 * SEE ALSO
 *	cleanup_client(3), record(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <global/address.h>
#include <global/cleanup_client.h>
#include <global/dsn.h>
#include <global/mail_proto.h>
#include <global/params.h>

#include <sys/time.h>

#include "cleanup.h"

 /*
  * Named attributes a client may send. Those with is_client feed the
  * Received: header; all are kept in the queue file.
  */
struct cleanup_attr_name {
	const char *name;
	int	is_client;
};

static const struct cleanup_attr_name cleanup_attr_names[] = {
	{MAIL_ATTR_CLIENT_NAME, 1},
	{MAIL_ATTR_CLIENT_ADDR, 1},
	{MAIL_ATTR_CLIENT_PORT, 1},
	{MAIL_ATTR_HELO_NAME, 1},
	{MAIL_ATTR_PROTO_NAME, 1},
	{CLEANUP_ATTR_UID, 1},
	{MAIL_ATTR_SASL_METHOD, 0},
	{MAIL_ATTR_SASL_USERNAME, 0},
	{MAIL_ATTR_LOG_IDENT, 0},
	{MAIL_ATTR_ENCODING, 0},
	{MAIL_ATTR_SMTPUTF8, 0},
	{MAIL_ATTR_DSN_ENVID, 0},
	{MAIL_ATTR_DSN_RET, 0},
	{MAIL_ATTR_ERRTO, 0},
	{MAIL_ATTR_DSN_NOTIFY, 0},
};

#define CLEANUP_TEXT_LIMIT	4096	/* sender, recipient, attribute */

/* cleanup_canon - qualify an address with @myorigin */

void
cleanup_canon(struct buf *out, const char *addr)
{
	buf_cpy(out, addr);
	if (*addr != 0 && var_append_at_myorigin && strrchr(addr, '@') == 0)
		buf_appendf(out, "@%s", var_myorigin);
}

/* cleanup_text_ok - printable enough to keep, not too long */

static int
cleanup_text_ok(const char *data, size_t len)
{
	size_t	i;

	if (len > CLEANUP_TEXT_LIMIT || strlen(data) != len)
		return (0);
	for (i = 0; i < len; i++)
		if ((unsigned char) data[i] < 0x20 || data[i] == 0x7f)
			return (0);
	return (1);
}

/* cleanup_rcpt_keep - one final recipient, unless a duplicate */

static void
cleanup_rcpt_keep(struct cleanup_state *state, struct qfile_envelope *env,
		  const char *addr, const char *orig, const char *dsn_orcpt,
		  int notify)
{
	struct qfile_rcpt *rcpt;

	if (htable_find(state->dups, addr) != 0)
		return;
	if (htable_count(state->dups) < (size_t) var_duplicate_filter_limit)
		(void) htable_enter(state->dups, addr, state);
	rcpt = qfile_envelope_add_rcpt(env, addr, orig, notify);
	if (dsn_orcpt)
		rcpt->dsn_orcpt = xstrdup(dsn_orcpt);
}

/* cleanup_rcpt_add - qualify, expand and add one recipient */

void
cleanup_rcpt_add(struct cleanup_state *state, struct qfile_envelope *env,
		 const char *addr, const char *orig, const char *dsn_orcpt,
		 int notify)
{
	struct buf *canon = buf_new(64);
	struct argv *result = argv_new(1);
	size_t	i;

	cleanup_canon(canon, addr);
	if ((state->flags & CLEANUP_FLAG_MAP_OK) == 0)
		argv_add(result, buf_str(canon));
	else if (cleanup_virtual(state, buf_str(canon), result) < 0)
		argv_truncate(result, 0);
	for (i = 0; i < result->argc; i++)
		cleanup_rcpt_keep(state, env, result->argv[i],
				  orig ? orig : (strcmp(result->argv[i], addr) ?
						 addr : NULL),
				  dsn_orcpt, notify);
	argv_free(result);
	buf_free(canon);
}

/* cleanup_envelope_done - MESG: recipients final, write the envelope */

static void
cleanup_envelope_done(struct cleanup_state *state)
{
	struct qfile_rcpt *given = state->env.rcpts;
	size_t	count = state->env.rcpt_count;
	struct timeval tv;
	size_t	i;

	if (state->env.sender == 0) {
		cleanup_state_error(state, CLEANUP_STAT_BAD,
				    "message without sender");
		return;
	}
	if (state->pend_orig || state->pend_dorc || state->pend_notify)
		cleanup_state_error(state, CLEANUP_STAT_BAD,
				    "recipient attributes without recipient");
	cleanup_canon(state->scratch, state->env.sender);
	if (strcmp(buf_str(state->scratch), state->env.sender) != 0) {
		free(state->env.sender);
		state->env.sender = xstrdup(buf_str(state->scratch));
	}
	if (!state->have_time) {
		gettimeofday(&tv, NULL);
		state->env.arrival = tv.tv_sec;
		state->env.arrival_usec = (long) tv.tv_usec;
	}
	state->env.rcpts = 0;
	state->env.rcpt_count = state->env.rcpt_cap = 0;
	for (i = 0; i < count; i++) {
		if (state->errs == 0)
			cleanup_rcpt_add(state, &state->env, given[i].address,
					 given[i].orig, given[i].dsn_orcpt,
					 given[i].notify);
		free(given[i].address);
		free(given[i].orig);
		free(given[i].dsn_orcpt);
	}
	free(given);
	cleanup_out_envelope(state);
}

/* cleanup_notify_value - a decimal DSN_NOTIFY_* mask */

static int
cleanup_notify_value(const char *data, int *mask_out)
{
	char   *end;
	long	mask = strtol(data, &end, 10);

	if (*data < '0' || *data > '9' || *end != 0 || mask <= 0
	    || (mask & ~(long) (DSN_NOTIFY_NEVER | DSN_NOTIFY_ANY))
	    || ((mask & DSN_NOTIFY_NEVER) && mask != DSN_NOTIFY_NEVER))
		return (-1);
	*mask_out = (int) mask;
	return (0);
}

/* cleanup_envelope_attr - one name=value attribute */

static void
cleanup_envelope_attr(struct cleanup_state *state, const char *data)
{
	const char *eq = strchr(data, '=');
	size_t	i;
	char   *name;

	if (eq == 0 || eq == data) {
		cleanup_state_error(state, CLEANUP_STAT_BAD,
				    "malformed attribute record");
		return;
	}
	name = xstrndup(data, (size_t) (eq - data));
	for (i = 0; i < ARRAY_LEN(cleanup_attr_names); i++)
		if (strcmp(name, cleanup_attr_names[i].name) == 0)
			break;
	if (i == ARRAY_LEN(cleanup_attr_names)) {
		cleanup_state_error(state, CLEANUP_STAT_BAD,
				    "unknown attribute \"%s\"", name);
	} else if (strcmp(name, MAIL_ATTR_DSN_NOTIFY) == 0) {
		if (cleanup_notify_value(eq + 1, &state->xtra_notify) < 0)
			cleanup_state_error(state, CLEANUP_STAT_BAD,
					    "malformed notify attribute");
	} else {
		if (cleanup_attr_names[i].is_client)
			free(htable_enter(state->client_attrs, name,
					  xstrdup(eq + 1)));
		if (strcmp(name, CLEANUP_ATTR_UID) != 0)
			qfile_envelope_add_attr(&state->env, name, eq + 1);
	}
	free(name);
}

/* cleanup_envelope_time - TIME "seconds microseconds" */

static void
cleanup_envelope_time(struct cleanup_state *state, const char *data)
{
	long long sec;
	long	usec;
	int	n = 0;

	if (state->have_time++
	    || sscanf(data, "%lld %ld%n", &sec, &usec, &n) != 2
	    || data[n] != 0 || sec < 0 || usec < 0 || usec > 999999) {
		cleanup_state_error(state, CLEANUP_STAT_BAD,
				    "malformed or duplicate arrival time");
		return;
	}
	state->env.arrival = (time_t) sec;
	state->env.arrival_usec = usec;
}

/* cleanup_envelope_rcpt - RCPT: keep with its pending group */

static void
cleanup_envelope_rcpt(struct cleanup_state *state, const char *data)
{
	struct qfile_rcpt *rcpt;

	if (*data == 0) {
		cleanup_state_error(state, CLEANUP_STAT_BAD, "empty recipient");
		return;
	}
	rcpt = qfile_envelope_add_rcpt(&state->env, data, NULL,
				       state->pend_notify);
	rcpt->orig = state->pend_orig;
	rcpt->dsn_orcpt = state->pend_dorc;
	state->pend_orig = state->pend_dorc = 0;
	state->pend_notify = 0;
	if (state->rcpt_given++ == 0)
		state->first_rcpt = xstrdup(data);
}

/* cleanup_envelope_notify - NTFY: a DSN_NOTIFY_* mask */

static void
cleanup_envelope_notify(struct cleanup_state *state, const char *data)
{
	if (state->pend_notify
	    || cleanup_notify_value(data, &state->pend_notify) < 0)
		cleanup_state_error(state, CLEANUP_STAT_BAD,
				    "malformed notify record");
}

/* cleanup_envelope_once - store a value that may appear once */

static void
cleanup_envelope_once(struct cleanup_state *state, char **target,
		      const char *data, const char *what)
{
	if (*target != 0) {
		cleanup_state_error(state, CLEANUP_STAT_BAD, "duplicate %s", what);
		return;
	}
	*target = xstrdup(data);
}

/* cleanup_envelope - one envelope record */

void
cleanup_envelope(struct cleanup_state *state, int type, const char *data,
		 size_t len)
{
	if (!cleanup_text_ok(data, len)) {
		cleanup_state_error(state, CLEANUP_STAT_BAD,
				    "malformed %s record", rec_type_name(type));
		return;
	}
	switch (type) {
	case REC_TYPE_TIME:
		cleanup_envelope_time(state, data);
		break;
	case REC_TYPE_FROM:
		cleanup_envelope_once(state, &state->env.sender, data, "sender");
		break;
	case REC_TYPE_FULL:
		cleanup_envelope_once(state, &state->env.full_name, data,
				      "full name");
		break;
	case REC_TYPE_ATTR:
		cleanup_envelope_attr(state, data);
		break;
	case REC_TYPE_ORCP:
		cleanup_envelope_once(state, &state->pend_orig, data,
				      "original recipient");
		break;
	case REC_TYPE_DORC:
		cleanup_envelope_once(state, &state->pend_dorc, data,
				      "DSN original recipient");
		break;
	case REC_TYPE_NTFY:
		cleanup_envelope_notify(state, data);
		break;
	case REC_TYPE_RCPT:
		cleanup_envelope_rcpt(state, data);
		break;
	case REC_TYPE_MESG:
		cleanup_envelope_done(state);
		state->phase = CLEANUP_PHASE_CONTENT;
		state->in_headers = 1;
		cleanup_received(state);
		break;
	default:
		cleanup_state_error(state, CLEANUP_STAT_BAD,
				    "unexpected %s record in envelope",
				    rec_type_name(type));
		break;
	}
}

/* cleanup_input - dispatch one record by message phase */

void
cleanup_input(struct cleanup_state *state, int type, const char *data,
	       size_t len)
{
	switch (state->phase) {
	case CLEANUP_PHASE_ENVELOPE:
		cleanup_envelope(state, type, data, len);
		return;
	case CLEANUP_PHASE_CONTENT:
		if (type == REC_TYPE_NORM || type == REC_TYPE_CONT) {
			cleanup_message(state, type, data, len);
			return;
		}
		if (type == REC_TYPE_XTRA) {
			cleanup_message_end(state);
			state->phase = CLEANUP_PHASE_EXTRACTED;
			return;
		}
		break;
	case CLEANUP_PHASE_EXTRACTED:
		if (type == REC_TYPE_END) {
			state->phase = CLEANUP_PHASE_DONE;
			return;
		}
		break;
	case CLEANUP_PHASE_DONE:
		break;
	}
	cleanup_state_error(state, CLEANUP_STAT_BAD, "unexpected %s record",
			    rec_type_name(type));
}
