/*
 * NAME
 *	showq_scan - walk the queues and describe each message
 * SYNOPSIS
 *	#include "showq.h"
 * DESCRIPTION
 *	See showq.h. One queue file is open at a time and one envelope is
 *	in memory, so the walk needs constant memory however large the
 *	queue is. Paths are relative: the caller runs in queue_directory.
 * SEE ALSO
 *	queue(3) queue_scan_open(), showq(8)
 */
#include <util/sys_defs.h>
#include <sys/stat.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <global/address.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include <global/queue.h>
#include <global/resolve.h>

#include "showq.h"

const char *const showq_queue_order[] = {
	MAIL_QUEUE_MAILDROP,
	MAIL_QUEUE_ACTIVE,
	MAIL_QUEUE_INCOMING,
	MAIL_QUEUE_DEFERRED,
	MAIL_QUEUE_HOLD,
	NULL,
};

 /*
  * Position of a deferred recipient: its defer logfile entry, then its
  * place in the queue file.
  */
struct showq_order {
	size_t	entry;
	size_t	rcpt;
};

struct showq_scan {
	int	flags;
	struct resolve *resolve;	/* SHOWQ_SCAN_TRANSPORT */
	struct resolve_reply reply;
	struct qfile_envelope env;
	struct showq_defer *defer;
	struct showq_msg msg;
	struct showq_order *order;
	size_t	order_cap;
	struct buf *id;
	struct buf *why;
};

/* showq_scan_create - walker state */

struct showq_scan *
showq_scan_create(int flags)
{
	struct showq_scan *sp = xcalloc(1, sizeof(*sp));

	sp->flags = flags;
	if (flags & SHOWQ_SCAN_TRANSPORT) {
		sp->resolve = resolve_create();
		resolve_reply_init(&sp->reply);
	}
	qfile_envelope_init(&sp->env);
	sp->defer = showq_defer_new();
	showq_msg_init(&sp->msg);
	sp->id = buf_new(32);
	sp->why = buf_new(100);
	return (sp);
}

/* showq_scan_free - release the walker */

void
showq_scan_free(struct showq_scan *sp)
{
	if (sp->resolve) {
		resolve_reply_free(&sp->reply);
		resolve_free(sp->resolve);
	}
	qfile_envelope_free(&sp->env);
	showq_defer_free(sp->defer);
	showq_msg_free(&sp->msg);
	free(sp->order);
	buf_free(sp->id);
	buf_free(sp->why);
	free(sp);
}

/* showq_order_cmp - defer logfile order, then queue file order */

static int
showq_order_cmp(const void *a, const void *b)
{
	const struct showq_order *x = a, *y = b;

	if (x->entry != y->entry)
		return (x->entry < y->entry ? -1 : 1);
	return (x->rcpt < y->rcpt ? -1 : x->rcpt > y->rcpt);
}

/* showq_scan_add - one recipient into the message */

static void
showq_scan_add(struct showq_scan *sp, const char *address, const char *reason)
{
	struct showq_rcpt *rcpt = showq_msg_add_rcpt(&sp->msg);

	(void) address_quote(rcpt->address, address);
	if (reason)
		buf_cpy(rcpt->reason, reason);
	if (sp->resolve && resolve_addr(sp->resolve, address, &sp->reply) == 0)
		buf_cpy(rcpt->transport, buf_str(sp->reply.transport));
}

/* showq_scan_rcpts - pending recipients, deferred ones first */

static void
showq_scan_rcpts(struct showq_scan *sp)
{
	const struct qfile_envelope *env = &sp->env;
	size_t	i, n = 0;
	ssize_t	entry;

	if (env->rcpt_count > sp->order_cap) {
		sp->order_cap = env->rcpt_count;
		sp->order = xreallocarray(sp->order, sp->order_cap, sizeof(*sp->order));
	}
	for (i = 0; i < env->rcpt_count; i++) {
		if (env->rcpts[i].is_done)
			continue;
		if ((entry = showq_defer_find(sp->defer, env->rcpts[i].address)) >= 0) {
			sp->order[n].entry = (size_t) entry;
			sp->order[n++].rcpt = i;
		}
	}
	qsort(sp->order, n, sizeof(*sp->order), showq_order_cmp);
	for (i = 0; i < n; i++)
		showq_scan_add(sp, env->rcpts[sp->order[i].rcpt].address,
			       showq_defer_reason(sp->defer, sp->order[i].entry));
	for (i = 0; i < env->rcpt_count; i++)
		if (!env->rcpts[i].is_done
		    && showq_defer_find(sp->defer, env->rcpts[i].address) < 0)
			showq_scan_add(sp, env->rcpts[i].address, NULL);
}

/* showq_scan_describe - fill in the message from its envelope */

static void
showq_scan_describe(struct showq_scan *sp, const char *queue_name,
		    const char *id, const struct stat *st)
{
	struct showq_msg *msg = &sp->msg;
	const struct qfile_envelope *env = &sp->env;

	showq_msg_reset(msg);
	buf_cpy(msg->queue_name, queue_name);
	buf_cpy(msg->queue_id, id);
	msg->arrival = (long) (env->arrival > 0 ? env->arrival : st->st_mtime);
	msg->size = (long) env->size;
	msg->forced_expire = (st->st_mode & S_IXGRP) != 0;
	if (*env->sender == 0)
		buf_cpy(msg->sender, var_empty_address_recipient);
	else
		(void) address_quote(msg->sender, env->sender);
	buf_cpy(msg->priority, env->priority ? env->priority
		: var_default_delivery_priority);
	if (strcmp(queue_name, MAIL_QUEUE_MAILDROP) != 0)
		(void) showq_defer_read(sp->defer, id);
	else
		showq_defer_reset(sp->defer);
	showq_scan_rcpts(sp);
}

/* showq_scan_file - one queue file; -1 when fn says stop */

static int
showq_scan_file(struct showq_scan *sp, const char *queue_name,
		const char *path, showq_msg_fn fn, void *ctx)
{
	struct stat st;
	int	fd, status;

	if ((fd = showq_qfile_open(path, &st)) < 0) {
		if (errno != ENOENT && errno != EAGAIN)
			msg_warn("open %s: %m", path);
		return (0);
	}
	status = showq_qfile_read(fd, queue_name, &st, &sp->env, sp->why);
	(void) close(fd);
	if (status < 0) {
		msg_warn("%s: %s", path, buf_str(sp->why));
		return (0);
	}
	showq_scan_describe(sp, queue_name, buf_str(sp->id), &st);
	return (fn(&sp->msg, ctx));
}

/* showq_scan_run - every message of the queues, in order */

int
showq_scan_run(struct showq_scan *sp, const char *const *queues,
	       showq_msg_fn fn, void *ctx)
{
	struct queue_scan *scan;
	int	status = 0;

	if (queues == NULL)
		queues = showq_queue_order;
	showq_qfile_reset();			/* no directory from a past walk */
	for (; status == 0 && *queues; queues++) {
		if ((scan = queue_scan_open(*queues)) == NULL) {
			if (errno != ENOENT)
				msg_warn("open queue %s: %m", *queues);
			continue;
		}
		while (status == 0 && queue_scan_next(scan, sp->id) != NULL)
			status = showq_scan_file(sp, *queues, queue_scan_path(scan),
						 fn, ctx);
		if (status == 0 && errno != 0)
			msg_warn("read queue %s: %m", *queues);
		queue_scan_close(scan);
	}
	showq_qfile_reset();
	return (status);
}
