/*
 * NAME
 *	cleanup_priority - the priority class of a message
 * SYNOPSIS
 *	#include "cleanup.h"
 *
 *	void	cleanup_priority_init(void);
 *	int	cleanup_priority_envelope(struct cleanup_state *state);
 *	int	cleanup_priority_finish(struct cleanup_state *state);
 *	int	cleanup_priority_parse(const char *name);
 *	const char *cleanup_priority_name(int prio);
 * DESCRIPTION
 *	Every message gets one of the classes high, normal or bulk, which
 *	qmgr(8) uses to import and schedule it; it is stored as the PRIO
 *	record of the queue file, where postqueue -j and postcat show it.
 *	The rules, in order:
 * .IP \(bu
 *	the first match in priority_maps of the sender address, then of
 *	the sender domain (the null sender is not looked up);
 * .IP \(bu
 *	else the highest class matched by any final recipient (after
 *	virtual alias expansion, including the recipients extracted from
 *	the headers by sendmail -t): the recipient address and the
 *	recipient domain are both looked up in priority_maps, and a
 *	recipient routed (transport_maps and the other rules of resolve(3))
 *	to a transport with a delivery_priority setting counts as a match
 *	of that class;
 * .IP \(bu
 *	else default_delivery_priority, or bulk when the message has a
 *	"Precedence: bulk", "list" or "junk" header.
 * .PP
 *	A transport's class comes from, first found: -o
 *	COMMAND_delivery_priority on a clone's master.cf line (e.g.
 *	smtp_delivery_priority on a clone of smtp), -o
 *	SERVICE_delivery_priority, -o delivery_priority, main.cf
 *	SERVICE_delivery_priority; the same order qmgr(8) uses. Table keys
 *	are lowercased; values are class names in any case.
 *
 *	cleanup_priority_init() opens priority_maps and reads master.cf
 *	and main.cf for transport classes (before any chroot). It may be
 *	called again to start over with the current parameters.
 *
 *	cleanup_priority_envelope() runs when the envelope is about to be
 *	written and sets state->env.priority. The Precedence header and
 *	the extracted recipients are not known yet; when they may still
 *	change the class, the record written is long enough for any
 *	outcome. cleanup_priority_finish() runs when the file is complete
 *	and flushed, before it is committed: it decides the final class
 *	and, when that differs from the record written, rewrites the
 *	record in place. A shorter class name is preceded by an empty
 *	PRIO record so the envelope keeps its length; readers take the
 *	last PRIO record.
 *
 *	Both return 0, or -1 with the message failed (CLEANUP_STAT_WRITE,
 *	a temporary error: the client is told to try again later, so a
 *	table that cannot be searched never misclassifies mail).
 *
 *	cleanup_priority_parse() maps "high", "normal", "bulk" (any case,
 *	surrounding blanks allowed) to CLEANUP_PRIO_HIGH, _NORMAL, _BULK,
 *	anything else to CLEANUP_PRIO_NONE. cleanup_priority_name() is the
 *	reverse (NULL for CLEANUP_PRIO_NONE).
 * DIAGNOSTICS
 *	A table value that is not a class: a warning naming the key and
 *	the value; the lookup counts as no match. A bad class in master.cf
 *	or main.cf: a warning at start-up; the setting is ignored. A failed
 *	lookup: a warning with the queue ID and the message is refused
 *	with a temporary error.
 * SEE ALSO
 *	qmgr(8), resolve(3), maps(3), record(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/cleanup_client.h>
#include <global/mail_proto.h>
#include <global/maps.h>
#include <global/mastercf.h>
#include <global/params.h>
#include <global/resolve.h>

#include <strings.h>
#include <unistd.h>

#include "cleanup.h"

static struct maps *cleanup_prio_maps;		/* priority_maps, or NULL */
static struct htable *cleanup_prio_transports;	/* name -> class */
static struct resolve *cleanup_prio_resolve;	/* when that is not empty */
static int cleanup_prio_default = CLEANUP_PRIO_NORMAL;

static int cleanup_prio_values[] = {
	CLEANUP_PRIO_NONE, CLEANUP_PRIO_BULK, CLEANUP_PRIO_NORMAL,
	CLEANUP_PRIO_HIGH,
};

static const char *const cleanup_prio_names[] = {
	NULL, MAIL_PRIO_BULK, MAIL_PRIO_NORMAL, MAIL_PRIO_HIGH,
};

#define CLEANUP_PRIO_WIDEST	MAIL_PRIO_NORMAL	/* longest name */

/* cleanup_priority_parse - class name to CLEANUP_PRIO_* */

int
cleanup_priority_parse(const char *name)
{
	size_t	len;
	int	prio;

	if (name == 0)
		return (CLEANUP_PRIO_NONE);
	name += strspn(name, " \t");
	len = strlen(name);
	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t'))
		len--;
	for (prio = CLEANUP_PRIO_BULK; prio <= CLEANUP_PRIO_HIGH; prio++)
		if (strlen(cleanup_prio_names[prio]) == len
		    && strncasecmp(name, cleanup_prio_names[prio], len) == 0)
			return (prio);
	return (CLEANUP_PRIO_NONE);
}

/* cleanup_priority_name - CLEANUP_PRIO_* to class name */

const char *
cleanup_priority_name(int prio)
{
	if (prio < CLEANUP_PRIO_NONE || prio > CLEANUP_PRIO_HIGH)
		msg_panic("cleanup_priority_name: bad class %d", prio);
	return (cleanup_prio_names[prio]);
}

/* cleanup_priority_service_value - a transport's setting, or NULL */

static const char *
cleanup_priority_service_value(const struct mastercf_entry *e,
			       struct buf *key)
{
	const char *value = 0;

	if (strcmp(e->command, e->service) != 0) {
		buf_printf(key, "%s_delivery_priority", e->command);
		value = mastercf_override(e, buf_str(key));
	}
	if (value == 0) {
		buf_printf(key, "%s_delivery_priority", e->service);
		value = mastercf_override(e, buf_str(key));
	}
	if (value == 0)
		value = mastercf_override(e, "delivery_priority");
	if (value == 0) {
		buf_printf(key, "%s_delivery_priority", e->service);
		if (params_is_set(buf_str(key)))
			value = params_get(buf_str(key));
	}
	return (value);
}

/* cleanup_priority_service - note one transport's class, if any */

static void
cleanup_priority_service(const struct mastercf_entry *e)
{
	struct buf *key = buf_new(64);
	struct buf *text = buf_new(16);
	struct buf *why = buf_new(64);
	const char *value;
	int	prio;

	if ((value = cleanup_priority_service_value(e, key)) != 0) {
		if (params_expand_text(value, text, why) < 0)
			buf_cpy(text, value);
		prio = cleanup_priority_parse(buf_str(text));
		if (prio == CLEANUP_PRIO_NONE)
			msg_warn("transport %s: bad delivery_priority \"%s\";"
				 " ignored", e->service, buf_str(text));
		else
			(void) htable_enter(cleanup_prio_transports, e->service,
					    cleanup_prio_values + prio);
	}
	buf_free(why);
	buf_free(text);
	buf_free(key);
}

/* cleanup_priority_transports - classes from master.cf and main.cf */

static void
cleanup_priority_transports(void)
{
	struct buf *path = buf_new(64);
	struct buf *why = buf_new(64);
	struct mastercf *mcf;
	size_t	i;

	cleanup_prio_transports = htable_new(8);
	buf_printf(path, "%s/master.cf", params_config_dir());
	if ((mcf = mastercf_load(buf_str(path), why)) == 0) {
		msg_warn("%s; no transport has a delivery_priority", buf_str(why));
	} else {
		for (i = 0; i < mcf->count; i++)
			if (mcf->entries[i].type == MASTERCF_UNIX)
				cleanup_priority_service(mcf->entries + i);
		mastercf_free(mcf);
	}
	if (htable_count(cleanup_prio_transports) > 0)
		cleanup_prio_resolve = resolve_create();
	buf_free(why);
	buf_free(path);
}

/* cleanup_priority_init - open the tables */

void
cleanup_priority_init(void)
{
	if (cleanup_prio_maps)
		maps_free(cleanup_prio_maps);
	if (cleanup_prio_transports)
		htable_free(cleanup_prio_transports, NULL);
	if (cleanup_prio_resolve)
		resolve_free(cleanup_prio_resolve);
	cleanup_prio_maps = 0;
	cleanup_prio_resolve = 0;
	cleanup_prio_default = cleanup_priority_parse(var_default_delivery_priority);
	if (cleanup_prio_default == CLEANUP_PRIO_NONE) {
		msg_warn("bad default_delivery_priority \"%s\"; using %s",
			 var_default_delivery_priority, MAIL_PRIO_NORMAL);
		cleanup_prio_default = CLEANUP_PRIO_NORMAL;
	}
	if (*var_priority_maps)
		cleanup_prio_maps = maps_create("priority_maps", var_priority_maps, 0);
	cleanup_priority_transports();
}

/* cleanup_priority_fail - a table could not be searched: try again later */

static int
cleanup_priority_fail(struct cleanup_state *state, const char *what,
		      const char *key, const char *why)
{
	msg_warn("%s: %s lookup of %s failed: %s", buf_str(state->queue_id),
		 what, key, why);
	cleanup_state_error(state, CLEANUP_STAT_WRITE, "4.3.0 %s lookup failure",
			    what);
	return (-1);
}

/* cleanup_priority_find - one key: CLEANUP_PRIO_*, or -1 on failure */

static int
cleanup_priority_find(struct cleanup_state *state, const char *key)
{
	const char *value;
	int	prio;

	if (cleanup_prio_maps == 0 || *key == 0)
		return (CLEANUP_PRIO_NONE);
	if ((value = maps_find(cleanup_prio_maps, key, 0)) == 0) {
		if (maps_error(cleanup_prio_maps) == MAPS_ERR_NONE)
			return (CLEANUP_PRIO_NONE);
		return (cleanup_priority_fail(state, "priority_maps", key,
					      maps_why(cleanup_prio_maps)));
	}
	if ((prio = cleanup_priority_parse(value)) == CLEANUP_PRIO_NONE)
		msg_warn("%s: priority_maps: key %s: bad priority class \"%s\";"
			 " ignored", buf_str(state->queue_id), key, value);
	return (prio);
}

/* cleanup_priority_address - the address, then its domain */

static int
cleanup_priority_address(struct cleanup_state *state, const char *addr,
			 int first_only)
{
	const char *at = strrchr(addr, '@');
	int	prio, domain_prio;

	if ((prio = cleanup_priority_find(state, addr)) < 0)
		return (-1);
	if ((first_only && prio != CLEANUP_PRIO_NONE) || at == 0)
		return (prio);
	if ((domain_prio = cleanup_priority_find(state, at + 1)) < 0)
		return (-1);
	return (domain_prio > prio ? domain_prio : prio);
}

/* cleanup_priority_transport - the class of the recipient's transport */

static int
cleanup_priority_transport(struct cleanup_state *state, const char *addr)
{
	struct resolve_reply reply;
	const int *prio;
	int	ret;

	if (cleanup_prio_resolve == 0)
		return (CLEANUP_PRIO_NONE);
	resolve_reply_init(&reply);
	if (resolve_addr(cleanup_prio_resolve, addr, &reply) < 0) {
		ret = cleanup_priority_fail(state, "transport", addr,
					    buf_str(reply.why));
	} else {
		prio = htable_find(cleanup_prio_transports, buf_str(reply.transport));
		ret = prio ? *prio : CLEANUP_PRIO_NONE;
	}
	resolve_reply_free(&reply);
	return (ret);
}

/* cleanup_priority_rcpts - raise *best to the best recipient class */

static int
cleanup_priority_rcpts(struct cleanup_state *state,
		       const struct qfile_envelope *env, int *best)
{
	const char *addr;
	size_t	i;
	int	prio;

	for (i = 0; i < env->rcpt_count && *best < CLEANUP_PRIO_HIGH; i++) {
		addr = env->rcpts[i].address;
		if ((prio = cleanup_priority_address(state, addr, 0)) < 0)
			return (-1);
		if (prio > *best)
			*best = prio;
		if (*best == CLEANUP_PRIO_HIGH)
			break;
		if ((prio = cleanup_priority_transport(state, addr)) < 0)
			return (-1);
		if (prio > *best)
			*best = prio;
	}
	return (0);
}

/* cleanup_priority_decide - recipients, else the (Precedence) default */

static int
cleanup_priority_decide(const struct cleanup_state *state)
{
	if (state->prio_rcpt != CLEANUP_PRIO_NONE)
		return (state->prio_rcpt);
	if (state->precedence != 0)
		return (CLEANUP_PRIO_BULK);
	return (cleanup_prio_default);
}

/* cleanup_priority_set - the class in the envelope */

static void
cleanup_priority_set(struct cleanup_state *state, const char *name)
{
	free(state->env.priority);
	state->env.priority = xstrdup(name);
}

/* cleanup_priority_envelope - the class as far as the envelope tells */

int
cleanup_priority_envelope(struct cleanup_state *state)
{
	const char *sender = state->env.sender;
	int	prio;

	state->prio_rcpt = CLEANUP_PRIO_NONE;
	state->prio_is_final = 0;
	if (sender != 0 && *sender != 0) {
		if ((prio = cleanup_priority_address(state, sender, 1)) < 0)
			return (-1);
		if (prio != CLEANUP_PRIO_NONE) {
			state->prio_is_final = 1;
			cleanup_priority_set(state, cleanup_priority_name(prio));
			return (0);
		}
	}
	if (cleanup_priority_rcpts(state, &state->env, &state->prio_rcpt) < 0)
		return (-1);
	prio = cleanup_priority_decide(state);

	/*
	 * Without sendmail -t only the Precedence header can still change the
	 * class, to bulk, whose name is not longer than any other. With it,
	 * extracted recipients may give any class: reserve the widest name.
	 */
	if ((state->flags & CLEANUP_FLAG_EXTRACT)
	    && state->prio_rcpt != CLEANUP_PRIO_HIGH)
		cleanup_priority_set(state, CLEANUP_PRIO_WIDEST);
	else
		cleanup_priority_set(state, cleanup_priority_name(prio));
	return (0);
}

/* cleanup_priority_locate - offset of the PRIO record, or -1 */

static off_t
cleanup_priority_locate(int fd, const char *written)
{
	struct buf *data = buf_new(64);
	struct rec_io *rp;
	off_t	offset, found = -1;
	int	type;

	if (lseek(fd, 0, SEEK_SET) < 0) {
		buf_free(data);
		return (-1);
	}
	rp = rec_open(fd, REC_READ);
	while ((type = rec_get(rp, data, REC_ENVELOPE_LIMIT, &offset)) >= 0
	       && type != REC_TYPE_MESG)
		if (type == REC_TYPE_PRIO && strcmp(buf_str(data), written) == 0)
			found = offset;
	(void) rec_close(rp);
	buf_free(data);
	if (found < 0 && type != REC_TYPE_ERROR)
		errno = EINVAL;
	return (found);
}

/* cleanup_priority_rewrite - replace the PRIO record, same length */

static int
cleanup_priority_rewrite(int fd, const char *written, const char *name)
{
	size_t	old_len = strlen(written), new_len = strlen(name);
	unsigned char rec[2 + 2 + 128];
	size_t	n = 0;
	off_t	offset;

	if (old_len >= 128 || new_len > old_len || old_len - new_len == 1
	    || old_len - new_len > 2)
		msg_panic("cleanup_priority_rewrite: cannot replace \"%s\" by \"%s\"",
			  written, name);
	if ((offset = cleanup_priority_locate(fd, written)) < 0)
		return (-1);
	if (new_len < old_len) {
		rec[n++] = REC_TYPE_PRIO;	/* empty: overridden below */
		rec[n++] = 0;
	}
	rec[n++] = REC_TYPE_PRIO;
	rec[n++] = (unsigned char) new_len;
	memcpy(rec + n, name, new_len);
	n += new_len;
	if (pwrite(fd, rec, n, offset) != (ssize_t) n)
		return (-1);
	return (0);
}

/* cleanup_priority_finish - final class, fixed in the file */

int
cleanup_priority_finish(struct cleanup_state *state)
{
	const char *name;

	if (state->prio_is_final || state->env.priority == 0 || state->fd < 0)
		return (0);
	if ((state->flags & CLEANUP_FLAG_EXTRACT)
	    && cleanup_priority_rcpts(state, &state->xtra, &state->prio_rcpt) < 0)
		return (-1);
	name = cleanup_priority_name(cleanup_priority_decide(state));
	if (strcmp(name, state->env.priority) == 0)
		return (0);
	if (cleanup_priority_rewrite(state->fd, state->env.priority, name) < 0) {
		msg_warn("%s: update priority record: %m", buf_str(state->queue_id));
		cleanup_state_error(state, CLEANUP_STAT_WRITE,
				    "queue file write error");
		return (-1);
	}
	cleanup_priority_set(state, name);
	return (0);
}
