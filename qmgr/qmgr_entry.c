/*
 * NAME
 *	qmgr_entry - delivery jobs: a message's recipients for one destination
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	struct qmgr_entry *qmgr_entry_create(struct qmgr_queue *queue,
 *			struct qmgr_message *message, int prio);
 *	void	qmgr_entry_add_rcpt(struct qmgr_entry *entry, size_t index);
 *	struct qmgr_entry *qmgr_entry_last_todo(struct qmgr_queue *queue,
 *			struct qmgr_message *message, int prio);
 *	struct qmgr_entry *qmgr_entry_select(struct qmgr_queue *queue,
 *			int prio);
 *	void	qmgr_entry_unselect(struct qmgr_entry *entry);
 *	void	qmgr_entry_done(struct qmgr_entry *entry);
 * DESCRIPTION
 *	An entry carries up to the transport's recipient limit recipients
 *	of one message to one queue in one priority class. New entries go
 *	to the tail of the queue's todo list for their class (FIFO within
 *	a class); the queue enters its transport's ring for that class.
 *
 *	qmgr_entry_create() makes an empty todo entry and counts it in the
 *	message's refcount. qmgr_entry_add_rcpt() adds a recipient (an
 *	index into the message's envelope). qmgr_entry_last_todo() returns
 *	the newest todo entry of that queue and class when it belongs to
 *	the message and has room for another recipient, so recipients of
 *	one message are batched.
 *
 *	qmgr_entry_select() takes the oldest todo entry of a class for
 *	delivery: it becomes busy and the queue counts a delivery started.
 *	qmgr_entry_unselect() puts a busy entry back at the head (the
 *	agent could not be reached yet). qmgr_entry_done() retires an
 *	entry, busy or todo: the queue may be released and, when it was
 *	the message's last entry, the message is finished with
 *	qmgr_active_done().
 * DIAGNOSTICS
 *	Panics on an empty todo list or a refcount below zero.
 * SEE ALSO
 *	qmgr_queue(3), qmgr_message(3), qmgr_active(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/events.h>
#include <util/msg.h>

#include "qmgr.h"

/* qmgr_entry_create - a new todo entry at the tail */
struct qmgr_entry *
qmgr_entry_create(struct qmgr_queue *q, struct qmgr_message *message, int prio)
{
	struct qmgr_entry *e = xcalloc(1, sizeof(*e));

	e->message = message;
	e->queue = q;
	e->prio = prio;
	e->prev = q->todo_tail[prio];
	if (q->todo_tail[prio] != NULL)
		q->todo_tail[prio]->next = e;
	else
		q->todo_head[prio] = e;
	q->todo_tail[prio] = e;
	q->todo_count++;
	message->refcount++;
	qmgr_queue_ring_add(q, prio);
	qmgr_transport_kick(q->transport);
	return (e);
}

/* qmgr_entry_add_rcpt - one more recipient */
void
qmgr_entry_add_rcpt(struct qmgr_entry *e, size_t index)
{
	if (e->rcpt_count == e->rcpt_cap) {
		e->rcpt_cap = e->rcpt_cap ? 2 * e->rcpt_cap : 4;
		e->rcpts = xreallocarray(e->rcpts, e->rcpt_cap, sizeof(*e->rcpts));
	}
	e->rcpts[e->rcpt_count++] = index;
}

/* qmgr_entry_last_todo - the entry to add a message's recipient to */
struct qmgr_entry *
qmgr_entry_last_todo(struct qmgr_queue *q, struct qmgr_message *message,
		             int prio)
{
	struct qmgr_entry *e = q->todo_tail[prio];
	int	limit = q->transport->rcpt_limit;

	if (e == NULL || e->message != message)
		return (NULL);
	if (limit > 0 && e->rcpt_count >= (size_t) limit)
		return (NULL);
	return (e);
}

/* qmgr_entry_unlink - take an entry off its todo list */
static void
qmgr_entry_unlink(struct qmgr_entry *e)
{
	struct qmgr_queue *q = e->queue;
	int	prio = e->prio;

	if (q->todo_count <= 0)
		msg_panic("qmgr_entry_unlink: queue %s: empty todo list", q->name);
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		q->todo_head[prio] = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		q->todo_tail[prio] = e->prev;
	e->prev = e->next = NULL;
	q->todo_count--;
	if (q->todo_head[prio] == NULL)
		qmgr_queue_ring_remove(q, prio);
}

/* qmgr_entry_select - take the oldest entry of a class for delivery */
struct qmgr_entry *
qmgr_entry_select(struct qmgr_queue *q, int prio)
{
	struct qmgr_entry *e = q->todo_head[prio];

	if (e == NULL)
		msg_panic("qmgr_entry_select: queue %s: no entry of class %d",
			  q->name, prio);
	qmgr_entry_unlink(e);
	e->is_busy = 1;
	e->message->busy++;
	qmgr_queue_started(q, event_time_ms());
	return (e);
}

/* qmgr_entry_unselect - put a busy entry back at the head */
void
qmgr_entry_unselect(struct qmgr_entry *e)
{
	struct qmgr_queue *q = e->queue;
	int	prio = e->prio;

	if (!e->is_busy)
		msg_panic("qmgr_entry_unselect: entry is not busy");
	e->is_busy = 0;
	e->message->busy--;
	q->busy--;
	e->prev = NULL;
	e->next = q->todo_head[prio];
	if (q->todo_head[prio] != NULL)
		q->todo_head[prio]->prev = e;
	else
		q->todo_tail[prio] = e;
	q->todo_head[prio] = e;
	q->todo_count++;
	qmgr_queue_ring_add(q, prio);
}

/* qmgr_entry_done - retire an entry; may finish its message */
void
qmgr_entry_done(struct qmgr_entry *e)
{
	struct qmgr_message *message = e->message;
	struct qmgr_queue *q = e->queue;

	if (e->is_busy) {
		qmgr_queue_finished(q, event_time_ms());
		if (--message->busy == 0)
			qmgr_message_close(message);
	} else {
		qmgr_entry_unlink(e);
	}
	free(e->rcpts);
	free(e);
	qmgr_queue_release(q);
	if (message->refcount <= 0)
		msg_panic("qmgr_entry_done: %s: refcount %d", message->queue_id,
			  message->refcount);
	if (--message->refcount == 0)
		qmgr_active_done(message);
}
