/*
 * NAME
 *	qmgr_message - bring a queue file into the active queue
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_message_init(void);
 *	int	qmgr_message_import(const char *queue_name, const char *id,
 *			int flags);
 *	void	qmgr_message_assign(struct qmgr_message *message);
 *	void	qmgr_message_free(struct qmgr_message *message);
 *	int	qmgr_message_fd(struct qmgr_message *message);
 *	void	qmgr_message_close(struct qmgr_message *message);
 *	struct qmgr_message *qmgr_message_find(const char *id);
 *	void	qmgr_message_walk(void (*fn)(const struct qmgr_message *,
 *			void *), void *ctx);
 *	int	qmgr_message_count(void);
 *	int	qmgr_message_count_prio(int prio);
 *	long	qmgr_message_rcpt_count(void);
 *	const char *qmgr_message_attr_str(const struct qmgr_message *message,
 *			const char *name, const char *fallback);
 *	int	qmgr_message_attr_int(const struct qmgr_message *message,
 *			const char *name);
 *	int	qmgr_prio_parse(const char *name);
 *	const char *qmgr_prio_name(int prio);
 * DESCRIPTION
 *	qmgr_message_init() opens the resolver (resolve(3)) with the
 *	current parameters; call it before any chroot.
 *
 *	qmgr_message_import() moves queue_name/ID to active/, reads its
 *	envelope, removes a stale defer logfile (a new attempt writes a
 *	new one), logs "ID: from=<sender>, size=N, nrcpt=N (queue
 *	active)" and assigns the recipients. It returns 1 when the file
 *	was imported, 0 when it was skipped: already active, gone, or
 *	unreadable (moved to corrupt/ with a warning). flags are
 *	QMGR_MSG_DFXP (deliver through defer_transports: a flush) and
 *	QMGR_MSG_UNTHROTTLE (revive the message's dead destinations).
 *
 *	qmgr_message_assign() routes every recipient that is not done:
 *	resolve to (transport, nexthop); defer at once when resolving
 *	failed ("4.3.0"), when the transport is in defer_transports
 *	("4.3.2 deferred transport", unless QMGR_MSG_DFXP), when the
 *	transport cannot be reached, or when the destination is dead (its
 *	reason); otherwise add the recipient to an entry of the
 *	destination's queue (the nexthop; the recipient address for a
 *	transport with recipient limit 1) in the message's class, or the
 *	transport's delivery_priority class. A message with nothing left
 *	to deliver is finished at once.
 *
 *	qmgr_message_fd() opens active/ID read-write on first use (for
 *	rec_mark_done() and WARN updates) and qmgr_message_close() closes
 *	it; the descriptor is held only while deliveries run, so the
 *	number of open files follows the number of agents, not the size
 *	of the active queue. qmgr_message_free() forgets a message.
 *
 *	qmgr_message_walk() visits every active message (metrics).
 *	The counters tell the scanner how full the active queue is: all
 *	messages, messages per class, and recipients in memory.
 *	qmgr_message_attr_str() and qmgr_message_attr_int() return an
 *	envelope attribute (ATTR record); a DSN RET value may be numeric or
 *	FULL/HDRS. qmgr_prio_parse() maps "high", "normal", "bulk" to a class (-1 for
 *	anything else); qmgr_prio_name() the reverse.
 * DIAGNOSTICS
 *	Unreadable files and failed moves are logged as warnings.
 * SEE ALSO
 *	qmgr_scan(3), resolve(3), record(3)
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <util/events.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/address.h>
#include <global/dsn.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include <global/queue.h>
#include <global/resolve.h>

#include "qmgr.h"

static struct htable *qmgr_messages;	/* queue ID -> message */
static struct qmgr_message *qmgr_message_head;
static int qmgr_message_total;
static int qmgr_message_per_prio[QMGR_PRIO_COUNT];
static long qmgr_message_rcpts;
static struct resolve *qmgr_resolver;
static struct resolve_reply qmgr_reply;

static const char *const qmgr_prio_names[QMGR_PRIO_COUNT] = {
	MAIL_PRIO_HIGH, MAIL_PRIO_NORMAL, MAIL_PRIO_BULK,
};

/* qmgr_prio_parse - class name to index */
int
qmgr_prio_parse(const char *name)
{
	int	prio;

	for (prio = 0; name != NULL && prio < QMGR_PRIO_COUNT; prio++)
		if (strcasecmp(name, qmgr_prio_names[prio]) == 0)
			return (prio);
	return (-1);
}

/* qmgr_prio_name - index to class name */
const char *
qmgr_prio_name(int prio)
{
	return (prio >= 0 && prio < QMGR_PRIO_COUNT ? qmgr_prio_names[prio]
		: MAIL_PRIO_NORMAL);
}

/* qmgr_message_init - resolver and tables */
void
qmgr_message_init(void)
{
	if (qmgr_messages == NULL)
		qmgr_messages = htable_new(1024);
	if (qmgr_resolver == NULL) {
		qmgr_resolver = resolve_create();
		resolve_reply_init(&qmgr_reply);
	}
}

/* qmgr_message_attr_str - an envelope attribute, or fallback */
const char *
qmgr_message_attr_str(const struct qmgr_message *message, const char *name,
		              const char *fallback)
{
	const char *value = qfile_envelope_attr(&message->env, name);

	return (value != NULL && *value != 0 ? value : fallback);
}

/* qmgr_message_attr_int - an integer envelope attribute, 0 if absent */
int
qmgr_message_attr_int(const struct qmgr_message *message, const char *name)
{
	const char *value = qfile_envelope_attr(&message->env, name);
	int	ret;

	if (value == NULL || *value == 0)
		return (0);
	if (strcmp(name, MAIL_ATTR_DSN_RET) == 0
	    && (ret = dsn_ret_parse(value)) > 0)
		return (ret);
	return (atoi(value));
}

/* qmgr_message_count - messages in the active queue */
int
qmgr_message_count(void)
{
	return (qmgr_message_total);
}

/* qmgr_message_count_prio - messages of one class */
int
qmgr_message_count_prio(int prio)
{
	return (qmgr_message_per_prio[prio]);
}

/* qmgr_message_rcpt_count - recipients in memory */
long
qmgr_message_rcpt_count(void)
{
	return (qmgr_message_rcpts);
}

/* qmgr_message_walk - call fn for every active message */
void
qmgr_message_walk(void (*fn) (const struct qmgr_message *, void *), void *ctx)
{
	const struct qmgr_message *m;

	for (m = qmgr_message_head; m != NULL; m = m->next)
		fn(m, ctx);
}

/* qmgr_message_find - an active message by ID */
struct qmgr_message *
qmgr_message_find(const char *id)
{
	return (qmgr_messages ? htable_find(qmgr_messages, id) : NULL);
}

/* qmgr_message_fd - the active file, opened read-write on demand */
int
qmgr_message_fd(struct qmgr_message *message)
{
	if (message->fd < 0
	    && (message->fd = queue_open(MAIL_QUEUE_ACTIVE, message->queue_id,
					 O_RDWR)) < 0)
		msg_warn("%s: open %s file: %m", message->queue_id,
			 MAIL_QUEUE_ACTIVE);
	return (message->fd);
}

/* qmgr_message_close - close the active file */
void
qmgr_message_close(struct qmgr_message *message)
{
	if (message->fd >= 0) {
		(void) close(message->fd);
		message->fd = -1;
	}
}

/* qmgr_message_corrupt - set an unreadable file aside */
static void
qmgr_message_corrupt(const char *id, const char *why)
{
	msg_warn("%s: %s; saving corrupt file from queue %s to queue %s",
		 id, why, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_CORRUPT);
	if (queue_move(id, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_CORRUPT) < 0)
		msg_warn("%s: move to %s queue: %m", id, MAIL_QUEUE_CORRUPT);
}

/* qmgr_message_read - the envelope of active/ID, or -1 */
static int
qmgr_message_read(struct qmgr_message *message)
{
	struct buf *why = buf_new(100);
	int	fd, ret;

	if ((fd = queue_open(MAIL_QUEUE_ACTIVE, message->queue_id, O_RDONLY)) < 0) {
		buf_printf(why, "open: %m");
		ret = -1;
	} else {
		ret = qfile_read_envelope(fd, &message->env, why);
		(void) close(fd);
	}
	if (ret < 0)
		qmgr_message_corrupt(message->queue_id, buf_str(why));
	buf_free(why);
	return (ret);
}

/* qmgr_message_link - count a message in */
static void
qmgr_message_link(struct qmgr_message *message)
{
	size_t	i;

	htable_enter(qmgr_messages, message->queue_id, message);
	message->next = qmgr_message_head;
	if (qmgr_message_head != NULL)
		qmgr_message_head->prev = message;
	qmgr_message_head = message;
	qmgr_message_total++;
	qmgr_message_per_prio[message->prio]++;
	for (i = 0; i < message->env.rcpt_count; i++)
		if (!message->env.rcpts[i].is_done)
			qmgr_message_rcpts++;
}

/* qmgr_message_alloc - an empty message */
static struct qmgr_message *
qmgr_message_alloc(const char *queue_name, const char *id, int flags)
{
	struct qmgr_message *message = xcalloc(1, sizeof(*message));

	message->queue_id = xstrdup(id);
	message->from_queue = xstrdup(queue_name);
	message->flags = flags;
	message->fd = -1;
	qfile_envelope_init(&message->env);
	gettimeofday(&message->active_time, NULL);
	return (message);
}

/* qmgr_message_release - free the memory of a message */
static void
qmgr_message_release(struct qmgr_message *message)
{
	qmgr_message_close(message);
	qfile_envelope_free(&message->env);
	free(message->rcpt_state);
	free(message->rcpt_transport);
	free(message->from_queue);
	free(message->queue_id);
	free(message);
}

/* qmgr_message_log - the "(queue active)" line */
static void
qmgr_message_log(const struct qmgr_message *message)
{
	struct buf *sender = buf_new(100);

	msg_info("%s: from=<%s>, size=%lld, nrcpt=%ld (queue active)",
		 message->queue_id, address_quote(sender, message->env.sender),
		 (long long) message->env.size, message->env.rcpt_total);
	buf_free(sender);
}

/* qmgr_message_import - move a file to active and schedule it */
int
qmgr_message_import(const char *queue_name, const char *id, int flags)
{
	struct qmgr_message *message;

	if (qmgr_message_find(id) != NULL)
		return (0);
	if (queue_move(id, queue_name, MAIL_QUEUE_ACTIVE) < 0) {
		if (errno != ENOENT)
			msg_warn("%s: move from %s to %s queue: %m", id, queue_name,
				 MAIL_QUEUE_ACTIVE);
		return (0);
	}
	message = qmgr_message_alloc(queue_name, id, flags);
	if (qmgr_message_read(message) < 0) {
		qmgr_message_release(message);
		return (0);
	}
	if (queue_remove(MAIL_QUEUE_DEFER, id) < 0 && errno != ENOENT)
		msg_warn("%s: remove %s file: %m", id, MAIL_QUEUE_DEFER);
	message->prio = qmgr_prio_parse(message->env.priority);
	if (message->prio < 0)
		message->prio = qmgr_prio_parse(var_default_delivery_priority);
	if (message->prio < 0)
		message->prio = QMGR_PRIO_NORMAL;
	message->rcpt_state = xcalloc(message->env.rcpt_count + 1, 1);
	message->rcpt_transport = xcalloc(message->env.rcpt_count + 1,
					  sizeof(*message->rcpt_transport));
	qmgr_message_link(message);
	qmgr_message_log(message);
	qmgr_message_assign(message);
	return (1);
}

/* qmgr_message_queue_name - the queue a recipient goes to */
static const char *
qmgr_message_queue_name(struct qmgr_transport *t, const char *addr,
			        struct buf *scratch)
{
	size_t	i;

	if (t->rcpt_limit != 1)
		return (buf_str(qmgr_reply.nexthop));
	buf_cpy(scratch, addr);
	for (i = 0; i < buf_len(scratch); i++)
		if (scratch->data[i] >= 'A' && scratch->data[i] <= 'Z')
			scratch->data[i] = (char) (scratch->data[i] - 'A' + 'a');
	return (buf_str(scratch));
}

/* qmgr_message_route - resolve one recipient to a live queue, or defer */
static struct qmgr_queue *
qmgr_message_route(struct qmgr_message *message, size_t i, struct buf *scratch)
{
	const char *addr = message->env.rcpts[i].address;
	struct qmgr_transport *t;
	struct qmgr_queue *q;
	const char *name;

	if (resolve_addr(qmgr_resolver, addr, &qmgr_reply) < 0) {
		msg_warn("%s: address resolver failure for %s: %s",
			 message->queue_id, addr, buf_str(qmgr_reply.why));
		qmgr_defer_recipient(message, i, NULL, "none", "4.3.0",
				     "address resolver failure");
		return (NULL);
	}
	t = qmgr_transport_get(buf_str(qmgr_reply.transport));
	message->rcpt_transport[i] = t;
	if (t->is_deferred && (message->flags & QMGR_MSG_DFXP) == 0) {
		qmgr_defer_recipient(message, i, t, "none", "4.3.2",
				     "deferred transport");
		return (NULL);
	}
	if (t->unavail_until > event_time_ms()) {
		qmgr_defer_recipient(message, i, t, "none", "4.3.0",
				     t->unavail_reason);
		return (NULL);
	}
	name = qmgr_message_queue_name(t, addr, scratch);
	if ((q = qmgr_queue_find(t, name)) == NULL)
		q = qmgr_queue_create(t, name, buf_str(qmgr_reply.nexthop));
	if (q->is_dead && (message->flags & QMGR_MSG_UNTHROTTLE))
		qmgr_queue_resume(q, 1);
	if (q->is_dead) {
		qmgr_defer_recipient(message, i, t, "none", q->dead_status,
				     q->dead_reason);
		return (NULL);
	}
	return (q);
}

/* qmgr_message_assign - route every recipient that is not done */
void
qmgr_message_assign(struct qmgr_message *message)
{
	struct buf *scratch = buf_new(100);
	struct qmgr_entry *e;
	struct qmgr_queue *q;
	size_t	i;
	int	prio;

	for (i = 0; i < message->env.rcpt_count; i++) {
		if (message->env.rcpts[i].is_done) {
			message->rcpt_state[i] = QMGR_RCPT_DONE;
			continue;
		}
		if ((q = qmgr_message_route(message, i, scratch)) == NULL)
			continue;
		prio = q->transport->prio >= 0 ? q->transport->prio : message->prio;
		if ((e = qmgr_entry_last_todo(q, message, prio)) == NULL)
			e = qmgr_entry_create(q, message, prio);
		qmgr_entry_add_rcpt(e, i);
		message->rcpt_state[i] = QMGR_RCPT_QUEUED;
	}
	buf_free(scratch);
	if (message->refcount == 0)
		qmgr_active_done(message);
}

/* qmgr_message_free - forget a message that left the active queue */
void
qmgr_message_free(struct qmgr_message *message)
{
	size_t	i;

	if (message->refcount != 0)
		msg_panic("qmgr_message_free: %s: refcount %d", message->queue_id,
			  message->refcount);
	htable_delete(qmgr_messages, message->queue_id, NULL);
	if (message->prev != NULL)
		message->prev->next = message->next;
	else
		qmgr_message_head = message->next;
	if (message->next != NULL)
		message->next->prev = message->prev;
	qmgr_message_total--;
	qmgr_message_per_prio[message->prio]--;
	for (i = 0; i < message->env.rcpt_count; i++)
		if (!message->env.rcpts[i].is_done)
			qmgr_message_rcpts--;
	if (message->prio == QMGR_PRIO_BULK)
		qmgr_scan_bulk_left();
	qmgr_message_release(message);
}
