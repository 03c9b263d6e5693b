/*
 * NAME
 *	bounce_notify - gather recipients, compose and queue notifications
 * SYNOPSIS
 *	#include "bounce.h"
 *
 *	int	bounce_notify(const struct bounce_req *req);
 * DESCRIPTION
 *	bounce_notify() carries out one flush, warn or expire request:
 * .IP flush
 *	Every recipient in bounce/ID gets Action: failed; the notification
 *	returns the whole message, or its headers when the sender asked
 *	for RET=HDRS or the message is larger than bounce_size_limit.
 * .IP expire
 *	As flush, plus every recipient in defer/ID that the queue file
 *	still lists as not done (Action: failed with its last deferral
 *	reason and status, as Postfix reports expired mail), plus every
 *	open recipient without any log entry ("4.4.7", "message
 *	expired").
 * .IP warn
 *	Every open recipient in defer/ID gets Action: delayed with
 *	Will-Retry-Until; only the headers are returned.
 * .IP trace
 *	A success notice (RFC 3461 NOTIFY=SUCCESS): every recipient in
 *	trace/ID with the action qmgr logged there (delivered, relayed,
 *	expanded); the headers are returned unless the sender asked for
 *	RET=FULL, as Postfix does. Only recipients that asked for SUCCESS
 *	are included. Mail from the null sender never gets one, and there
 *	are no postmaster copies. trace/ID is removed afterwards.
 * .PP
 *	A recipient appears once, with its last log entry. Recipients whose
 *	DSN NOTIFY excludes the event (NEVER, or a list without FAILURE or
 *	DELAY) are left out; with none left nothing is sent.
 *
 *	The notification goes through cleanup(8) with the null sender to
 *	the original sender. Mail from the null sender gets none (no
 *	loops): it is logged and dropped, or with "2bounce" (failures) or
 *	"delay" (warnings) in notify_classes reported to
 *	2bounce_notice_recipient or delay_notice_recipient with sender
 *	double_bounce_sender; a failed notice from double_bounce_sender
 *	itself is discarded with a warning. With "bounce" or "delay" in
 *	notify_classes the postmaster also gets a copy (headers only) of
 *	each sender notification.
 *
 *	After a flush or expire whose notification was queued (or not
 *	needed), bounce/ID is removed.
 *
 *	Logging, as Postfix: "ID: sender non-delivery notification: NEWID",
 *	"ID: sender delivery status notification: NEWID",
 *	"ID: sender delay notification: NEWID", "ID: postmaster
 *	non-delivery notification: NEWID", "ID: postmaster delay
 *	notification: NEWID".
 * DIAGNOSTICS
 *	A queue file or logfile that cannot be read, or a cleanup service
 *	that cannot be reached: a warning and -1 (try again later).
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <strings.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/bounce_client.h>
#include <global/cleanup_client.h>
#include <global/dsn.h>
#include <global/logfile.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include <global/queue.h>
#include <global/record.h>

#include "bounce.h"

 /*
  * The recipients of one notification, at most one per key.
  */
struct bounce_set {
	struct bounce_rcpt *rcpts;
	size_t	count;
	size_t	cap;
	struct htable *index;		/* key -> (void *) (index + 1) */
	const struct qfile_envelope *env;	/* or NULL when the file is gone */
	const char *action;		/* DSN_ACTION_FAILED or _DELAYED */
	int	open_only;		/* skip recipients done in the file */
	int	notify_bit;		/* DSN_NOTIFY_FAILURE or _DELAY */
	struct buf *key;
};

 /*
  * One queued notification: where its lines go.
  */
struct bounce_sink {
	struct cleanup_client *cl;
};

/* bounce_set_init - empty set */
static void
bounce_set_init(struct bounce_set *set, const struct qfile_envelope *env,
		        const char *action, int notify_bit)
{
	memset(set, 0, sizeof(*set));
	set->index = htable_new(16);
	set->env = env;
	set->action = action;
	set->notify_bit = notify_bit;
	set->key = buf_new(64);
}

/* bounce_set_free - release everything */
static void
bounce_set_free(struct bounce_set *set)
{
	size_t	i;

	for (i = 0; i < set->count; i++)
		bounce_rcpt_free(set->rcpts + i);
	free(set->rcpts);
	htable_free(set->index, NULL);
	buf_free(set->key);
}

/* bounce_env_rcpt - the queue file recipient at offset, or NULL */
static const struct qfile_rcpt *
bounce_env_rcpt(const struct qfile_envelope *env, long offset)
{
	size_t	i;

	if (env == NULL || offset < 0)
		return (NULL);
	for (i = 0; i < env->rcpt_count; i++)
		if (env->rcpts[i].offset == (off_t) offset)
			return (env->rcpts + i);
	return (NULL);
}

/* bounce_set_slot - the entry for a key, new or replaced */
static struct bounce_rcpt *
bounce_set_slot(struct bounce_set *set, long offset, const char *address)
{
	const char *cp;
	void   *found;

	if (offset >= 0)
		buf_printf(set->key, "o%ld", offset);
	else {
		buf_cpy(set->key, "a");
		for (cp = address; *cp; cp++)
			buf_putc(set->key, tolower((unsigned char) *cp));
	}
	if ((found = htable_find(set->index, buf_str(set->key))) != NULL) {
		struct bounce_rcpt *old = set->rcpts + ((size_t) found - 1);

		bounce_rcpt_free(old);
		return (old);
	}
	if (set->count == set->cap) {
		set->cap = set->cap ? 2 * set->cap : 8;
		set->rcpts = xreallocarray(set->rcpts, set->cap, sizeof(*set->rcpts));
	}
	memset(set->rcpts + set->count, 0, sizeof(*set->rcpts));
	htable_enter(set->index, buf_str(set->key), (void *) (set->count + 1));
	return (set->rcpts + set->count++);
}

/* bounce_notify_wanted - the DSN NOTIFY mask allows this event */
static int
bounce_notify_wanted(int notify, int bit)
{
	/* RFC 3461: without NOTIFY, failures and delays are reported. */
	if (bit == DSN_NOTIFY_SUCCESS)
		return ((notify & bit) != 0);
	return (notify == 0 || (notify & bit) != 0);
}

/* bounce_fallback_status - the status of an entry without a valid one */
static const char *
bounce_fallback_status(const char *action)
{
	if (strcmp(action, DSN_ACTION_DELAYED) == 0)
		return ("4.0.0");
	if (strcmp(action, DSN_ACTION_FAILED) == 0)
		return ("5.0.0");
	return ("2.0.0");
}

/* bounce_set_add - one recipient with its status; NULL when not wanted */
static struct bounce_rcpt *
bounce_set_add(struct bounce_set *set, long offset, const char *address,
	               const char *orig, int notify, const char *status,
	               const char *reason)
{
	const struct qfile_rcpt *qr = bounce_env_rcpt(set->env, offset);
	struct bounce_rcpt *rcpt;
	const char *fallback = bounce_fallback_status(set->action);

	if (qr && notify == 0)
		notify = qr->notify;
	if (!bounce_notify_wanted(notify, set->notify_bit))
		return (NULL);
	rcpt = bounce_set_slot(set, offset, address);
	rcpt->address = xstrdup(address);
	if (orig && *orig)
		rcpt->orig = xstrdup(orig);
	else if (qr && qr->orig)
		rcpt->orig = xstrdup(qr->orig);
	if (qr && qr->dsn_orcpt)
		rcpt->dsn_orcpt = xstrdup(qr->dsn_orcpt);
	snprintf(rcpt->status, sizeof(rcpt->status), "%s",
		 status && dsn_valid_status(status) ? status : fallback);
	rcpt->action = set->action;
	rcpt->reason = xstrdup(reason && *reason ? reason : "unknown reason");
	return (rcpt);
}

/* bounce_set_entry - logfile callback */
static int
bounce_set_entry(const struct logfile_entry *entry, void *ctx)
{
	struct bounce_set *set = ctx;
	const struct qfile_rcpt *qr = bounce_env_rcpt(set->env, entry->offset);
	struct bounce_rcpt *rcpt;

	if (set->open_only && qr && qr->is_done)
		return (0);
	if ((rcpt = bounce_set_add(set, entry->offset, entry->recipient,
				   entry->orig_recipient, entry->dsn_notify,
				   entry->status, entry->reason)) == NULL)
		return (0);
	if (set->notify_bit == DSN_NOTIFY_SUCCESS)
		rcpt->action = dsn_success_action(entry->action);
	if (entry->diag_type && entry->diag_text) {
		rcpt->diag_type = xstrdup(entry->diag_type);
		rcpt->diag_text = xstrdup(entry->diag_text);
	}
	if (entry->mta_type && entry->mta_name) {
		rcpt->mta_type = xstrdup(entry->mta_type);
		rcpt->mta_name = xstrdup(entry->mta_name);
	}
	bounce_dsn_diag(rcpt, entry->relay);
	return (0);
}

/* bounce_set_read - add the entries of one logfile; -1 on read error */
static int
bounce_set_read(struct bounce_set *set, const char *queue_name, const char *id,
		        int open_only)
{
	set->open_only = open_only;
	if (logfile_read(queue_name, id, bounce_set_entry, set) < 0 && errno != ENOENT) {
		msg_warn("%s: read %s log: %m", id, queue_name);
		return (-1);
	}
	return (0);
}

/* bounce_set_open_rcpts - expire: open recipients without a log entry */
static void
bounce_set_open_rcpts(struct bounce_set *set)
{
	const struct qfile_envelope *env = set->env;
	size_t	i;

	if (env == NULL)
		return;
	for (i = 0; i < env->rcpt_count; i++) {
		const struct qfile_rcpt *qr = env->rcpts + i;

		buf_printf(set->key, "o%lld", (long long) qr->offset);
		if (qr->is_done || htable_find(set->index, buf_str(set->key)))
			continue;
		(void) bounce_set_add(set, (long) qr->offset, qr->address, qr->orig,
				      qr->notify, "4.4.7", "message expired");
	}
}

/* bounce_sink_line - one line to cleanup */
static void
bounce_sink_line(const char *line, size_t len, void *ctx)
{
	struct bounce_sink *sink = ctx;

	(void) cleanup_content(sink->cl, line, len, CLEANUP_LINE_NORM);
}

/* bounce_send - queue one notification; 0 or -1 */
static int
bounce_send(const struct bounce_info *info, const struct bounce_set *set,
	            const struct bounce_original *orig, const char *env_sender,
	            const char *what)
{
	struct bounce_sink sink;
	struct buf *why = buf_new(100);
	struct buf *newid = buf_new(32);
	int	status;

	if ((sink.cl = cleanup_open(CLEANUP_FLAG_MASK_BOUNCE, why)) == NULL) {
		msg_warn("%s: cannot queue %s: %s", info->queue_id, what, buf_str(why));
		buf_free(why);
		buf_free(newid);
		return (-1);
	}
	buf_cpy(newid, cleanup_queue_id(sink.cl));
	(void) cleanup_sender(sink.cl, env_sender);
	(void) cleanup_rcpt(sink.cl, info->to, NULL, NULL, 0);
	bounce_dsn_compose(info, set->rcpts, set->count, orig, bounce_sink_line, &sink);
	if ((status = cleanup_finish(sink.cl, why)) == CLEANUP_STAT_OK)
		msg_info("%s: %s: %s", info->queue_id, what, buf_str(newid));
	else
		msg_warn("%s: cannot queue %s: %s", info->queue_id, what,
			 buf_len(why) ? buf_str(why) : cleanup_strerror(status));
	buf_free(why);
	buf_free(newid);
	return (status == CLEANUP_STAT_OK ? 0 : -1);
}

/* bounce_has_class - notify_classes contains name */
static int
bounce_has_class(const char *name)
{
	struct argv *classes = argv_split(var_notify_classes, ARGV_LIST_DELIMS);
	size_t	i;
	int	found = 0;

	for (i = 0; i < classes->argc && !found; i++)
		found = (strcasecmp(classes->argv[i], name) == 0);
	argv_free(classes);
	return (found);
}

/* bounce_qualify - address@myhostname unless it has a domain */
static const char *
bounce_qualify(struct buf *out, const char *addr)
{
	buf_cpy(out, addr);
	if (*addr && strrchr(addr, '@') == NULL)
		buf_appendf(out, "@%s", var_myhostname);
	return (buf_str(out));
}

/* bounce_is_double_bounce_sender - sender is our double_bounce_sender */
static int
bounce_is_double_bounce_sender(const char *sender)
{
	size_t	len = strlen(var_double_bounce_sender);

	return (strncasecmp(sender, var_double_bounce_sender, len) == 0
		&& (sender[len] == 0 || sender[len] == '@'));
}

/* bounce_postmaster - a notice to the postmaster, sender double-bounce */
static int
bounce_postmaster(struct bounce_info *info, const struct bounce_set *set,
		          const struct bounce_original *orig, const char *rcpt)
{
	struct buf *to = buf_new(64);
	struct buf *from = buf_new(64);
	struct bounce_original headers = *orig;
	int	ret;

	info->is_postmaster = 1;
	info->to = bounce_qualify(to, rcpt);
	/* A postmaster copy of a sender notice carries the headers only. */
	if (*info->sender && headers.ret == BOUNCE_RETURN_FULL)
		headers.ret = BOUNCE_RETURN_HEADERS;
	ret = bounce_send(info, set, &headers, bounce_qualify(from, var_double_bounce_sender),
			  info->kind == BOUNCE_KIND_DELAY ? "postmaster delay notification"
			  : "postmaster non-delivery notification");
	buf_free(to);
	buf_free(from);
	return (ret);
}

/* bounce_null_sender - a notice about mail from the null sender */
static int
bounce_null_sender(struct bounce_info *info, const struct bounce_set *set,
		           const struct bounce_original *orig)
{
	int	is_delay = (info->kind == BOUNCE_KIND_DELAY);

	if (info->kind == BOUNCE_KIND_SUCCESS) {
		msg_info("%s: delivery status notification for mail from the null"
			 " sender discarded", info->queue_id);
		return (0);
	}
	if (!bounce_has_class(is_delay ? "delay" : "2bounce")) {
		msg_info("%s: %s for mail from the null sender discarded",
			 info->queue_id, is_delay ? "delay notification"
			 : "non-delivery notification");
		return (0);
	}
	return (bounce_postmaster(info, set, orig, is_delay ? var_delay_notice_recipient
				  : var_2bounce_notice_recipient));
}

/* bounce_success_notice - the sender's success notice, no copies */
static int
bounce_success_notice(struct bounce_info *info, const struct bounce_set *set,
		              const struct bounce_original *orig)
{
	if (bounce_is_double_bounce_sender(info->sender)) {
		msg_info("%s: delivery status notification for mail from %s discarded",
			 info->queue_id, var_double_bounce_sender);
		return (0);
	}
	info->to = info->sender;
	return (bounce_send(info, set, orig, "", "sender delivery status notification"));
}

/* bounce_deliver_notices - the sender notice and postmaster copies */
static int
bounce_deliver_notices(struct bounce_info *info, const struct bounce_set *set,
		               const struct bounce_original *orig)
{
	int	is_delay = (info->kind == BOUNCE_KIND_DELAY);

	if (*info->sender == 0)
		return (bounce_null_sender(info, set, orig));
	if (info->kind == BOUNCE_KIND_SUCCESS)
		return (bounce_success_notice(info, set, orig));
	if (!is_delay && bounce_is_double_bounce_sender(info->sender)) {
		msg_warn("%s: undeliverable postmaster notification discarded",
			 info->queue_id);
		return (0);
	}
	info->to = info->sender;
	if (bounce_send(info, set, orig, "", is_delay ? "sender delay notification"
			: "sender non-delivery notification") < 0)
		return (-1);
	/* The sender has been told: a failed copy is not retried. */
	if (bounce_has_class(is_delay ? "delay" : "bounce"))
		(void) bounce_postmaster(info, set, orig, is_delay ? var_delay_notice_recipient
					 : var_bounce_notice_recipient);
	return (0);
}

/* bounce_kind - what a request reports */
static enum bounce_kind
bounce_kind(const char *request)
{
	if (strcmp(request, BOUNCE_REQ_WARN) == 0)
		return (BOUNCE_KIND_DELAY);
	if (strcmp(request, BOUNCE_REQ_TRACE) == 0)
		return (BOUNCE_KIND_SUCCESS);
	return (BOUNCE_KIND_FAILURE);
}

/* bounce_info_init - the constant part of a notification */
static void
bounce_info_init(struct bounce_info *info, const struct bounce_req *req,
		         const struct qfile_envelope *env, int is_available)
{
	long	lifetime = *req->sender ? var_maximal_queue_lifetime : var_bounce_queue_lifetime;

	memset(info, 0, sizeof(*info));
	info->kind = bounce_kind(req->request);
	info->queue_id = req->queue_id;
	info->sender = req->sender;
	info->hostname = var_myhostname;
	info->mail_name = var_mail_name;
	info->postmaster = "postmaster";
	info->envid = req->dsn_envid;
	info->encoding = (req->smtputf8 || strncasecmp(req->encoding, "8bit", 4) == 0)
		? "8bit" : "7bit";
	info->arrival = is_available ? env->arrival : 0;
	info->now = time(NULL);
	info->warn_hours = var_delay_warning_time / 3600;
	info->lifetime_days = lifetime / 86400;
	if (info->arrival > 0)
		info->retry_until = info->arrival + lifetime;
}

/* bounce_gather - the recipients for this request */
static int
bounce_gather(struct bounce_set *set, const struct bounce_req *req)
{
	if (strcmp(req->request, BOUNCE_REQ_WARN) == 0)
		return (bounce_set_read(set, MAIL_QUEUE_DEFER, req->queue_id, 1));
	if (strcmp(req->request, BOUNCE_REQ_TRACE) == 0)
		return (bounce_set_read(set, MAIL_QUEUE_TRACE, req->queue_id, 0));
	if (bounce_set_read(set, MAIL_QUEUE_BOUNCE, req->queue_id, 0) < 0)
		return (-1);
	if (strcmp(req->request, BOUNCE_REQ_EXPIRE) == 0) {
		if (bounce_set_read(set, MAIL_QUEUE_DEFER, req->queue_id, 1) < 0)
			return (-1);
		bounce_set_open_rcpts(set);
	}
	return (0);
}

/* bounce_want - what to return of the original message */
static int
bounce_want(enum bounce_kind kind, int dsn_ret)
{
	/* Postfix: success notices return the headers unless RET=FULL. */
	if (kind == BOUNCE_KIND_SUCCESS)
		return (dsn_ret == DSN_RET_FULL ? BOUNCE_RETURN_FULL : BOUNCE_RETURN_HEADERS);
	return (kind == BOUNCE_KIND_DELAY || dsn_ret == DSN_RET_HDRS
		? BOUNCE_RETURN_HEADERS : BOUNCE_RETURN_FULL);
}

/* bounce_log_queue - the logfile a request consumes, or NULL */
static const char *
bounce_log_queue(enum bounce_kind kind)
{
	if (kind == BOUNCE_KIND_SUCCESS)
		return (MAIL_QUEUE_TRACE);
	return (kind == BOUNCE_KIND_FAILURE ? MAIL_QUEUE_BOUNCE : NULL);
}

/* bounce_set_kind - an empty set for a kind of notice */
static void
bounce_set_kind(struct bounce_set *set, enum bounce_kind kind)
{
	if (kind == BOUNCE_KIND_SUCCESS)
		bounce_set_init(set, NULL, DSN_ACTION_DELIVERED, DSN_NOTIFY_SUCCESS);
	else if (kind == BOUNCE_KIND_DELAY)
		bounce_set_init(set, NULL, DSN_ACTION_DELAYED, DSN_NOTIFY_DELAY);
	else
		bounce_set_init(set, NULL, DSN_ACTION_FAILED, DSN_NOTIFY_FAILURE);
}

/* bounce_notify - carry out one request */
int
bounce_notify(const struct bounce_req *req)
{
	struct qfile_envelope env;
	struct bounce_original orig;
	struct bounce_set set;
	struct bounce_info info;
	struct buf *why = buf_new(100);
	enum bounce_kind kind = bounce_kind(req->request);
	int	want = bounce_want(kind, req->dsn_ret);
	const char *consumed = bounce_log_queue(kind);
	int	ret = -1;

	bounce_set_kind(&set, kind);
	qfile_envelope_init(&env);
	if (bounce_original_load(req->queue_name, req->queue_id, want, var_bounce_size_limit,
				 var_header_size_limit, &env, &orig, why) < 0) {
		if (errno != ENOENT) {
			msg_warn("%s: %s", req->queue_id, buf_str(why));
			goto out;
		}
		msg_warn("%s: message is gone, notification without content: %s",
			 req->queue_id, buf_str(why));
	}
	set.env = orig.is_available ? &env : NULL;
	if (bounce_gather(&set, req) < 0)
		goto out;
	bounce_info_init(&info, req, &env, orig.is_available);
	if (set.count > 0 && bounce_deliver_notices(&info, &set, &orig) < 0)
		goto out;
	if (consumed && queue_remove(consumed, req->queue_id) < 0 && errno != ENOENT)
		msg_warn("%s: remove %s log: %m", req->queue_id, consumed);
	ret = 0;
out:
	bounce_set_free(&set);
	bounce_original_free(&orig);
	qfile_envelope_free(&env);
	buf_free(why);
	return (ret);
}
