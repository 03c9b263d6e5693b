/*
 * NAME
 *	qmgr_scan - incoming and deferred queue scans, in slices
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_scan_init(void);
 *	void	qmgr_scan_request(int which, int flags);
 *	void	qmgr_scan_site(const char *site);
 *	void	qmgr_scan_queue_id(const char *id);
 *	int	qmgr_scan_run(int budget, int *from_incoming);
 *	int	qmgr_scan_pending(void);
 *	int	qmgr_scan_incoming_busy(void);
 *	int	qmgr_scan_may_import(int prio);
 *	int	qmgr_scan_limit_check(int active, long rcpts, int bulk_active,
 *			int prio, int active_limit, long rcpt_limit, int reserve);
 *	void	qmgr_scan_bulk_left(void);
 * DESCRIPTION
 *	Two scans feed the active queue: QMGR_SCAN_INCOMING (new mail)
 *	and QMGR_SCAN_DEFERRED (mail whose retry time has come). A scan is
 *	a walk over its queue directory (queue_scan(3), constant memory);
 *	qmgr_scan_run() advances the open walks by at most budget
 *	directory entries, alternating between the two when both are open
 *	so neither starves, and imports eligible files with
 *	qmgr_message_import(). It returns the number of imports and adds
 *	those from incoming/ to *from_incoming. It stops early, keeping the
 *	walks open, while the active queue is full: qmgr_message_active_limit
 *	messages, or qmgr_message_recipient_limit recipients in memory
 *	(one message is always let in).
 *
 *	Eligible: a complete file (owner execute bit set: cleanup sets mode
 *	0700 when the file is durable); from deferred/ only when its
 *	modification time (the retry time) has come, unless the scan was
 *	requested with QMGR_SCAN_ALL (flush) or the file has a recipient
 *	in a domain named by a site flush. A time-driven deferred scan
 *	imports at most qmgr_deferred_import_limit files and then ends;
 *	the rest wait for the next scan.
 *
 *	Priority reserve: bulk messages may occupy at most (100 -
 *	qmgr_priority_reserve)% of qmgr_message_active_limit. Beyond that
 *	the scan peeks at each file's PRIO record and leaves bulk files
 *	where they are; once a bulk message leaves the active queue
 *	(qmgr_scan_bulk_left()) the scan that skipped them runs again.
 *	qmgr_scan_limit_check() is that arithmetic (prio -1 for a file
 *	whose class is not known yet); qmgr_scan_may_import() applies it
 *	to the current counts.
 *
 *	qmgr_scan_request() starts a scan or, when that scan is running,
 *	asks for another pass after it (files added behind the cursor are
 *	seen then). flags: QMGR_SCAN_START, QMGR_SCAN_ALL (ignore retry
 *	times), QMGR_SCAN_DFXP (imported mail goes through defer_transports),
 *	QMGR_SCAN_UNTHROTTLE (revive dead destinations of imported mail).
 *	qmgr_scan_site() flushes one destination domain (postqueue -s):
 *	its dead or throttled queues are revived and a deferred pass
 *	imports every file with a pending recipient in that domain.
 *	qmgr_scan_queue_id() re-admits one deferred message now
 *	(postqueue -i).
 *
 *	qmgr_scan_pending() is true when a walk could make progress now
 *	(the event loop should not sleep); qmgr_scan_incoming_busy() when
 *	the incoming walk is open.
 * DIAGNOSTICS
 *	Directory errors are logged as warnings and end the pass.
 * SEE ALSO
 *	qmgr_message(3), queue(3)
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/address.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include <global/queue.h>
#include <global/record.h>

#include "qmgr.h"

#define QMGR_SCAN_BY_TIME	(1 << 8)	/* import files whose time came */

struct qmgr_scan {
	const char *queue;
	struct queue_scan *walk;	/* open pass, or NULL */
	int	flags;			/* of the open pass */
	int	next_flags;		/* requested pass after this one */
	struct argv *sites;		/* site flush domains of the open pass */
	struct argv *next_sites;
	int	imported;		/* in the open pass */
	int	skipped_bulk;		/* bulk files left behind this pass */
	int	bulk_waiting;		/* a pass skipped bulk files */
	int	bulk_flags;		/* flags of that pass */
};

static struct qmgr_scan qmgr_scans[2] = {
	{.queue = MAIL_QUEUE_INCOMING},
	{.queue = MAIL_QUEUE_DEFERRED},
};
static int qmgr_scan_turn;
static struct buf *qmgr_scan_id;

/* qmgr_scan_init - scratch storage */
void
qmgr_scan_init(void)
{
	int	i;

	if (qmgr_scan_id == NULL)
		qmgr_scan_id = buf_new(32);
	for (i = 0; i < 2; i++) {
		if (qmgr_scans[i].sites == NULL)
			qmgr_scans[i].sites = argv_new(1);
		if (qmgr_scans[i].next_sites == NULL)
			qmgr_scans[i].next_sites = argv_new(1);
	}
}

/* qmgr_scan_limit_check - may one more file of class prio come in? */
int
qmgr_scan_limit_check(int active, long rcpts, int bulk_active, int prio,
		              int active_limit, long rcpt_limit, int reserve)
{
	long	bulk_cap;

	if (active >= active_limit)
		return (0);
	if (active > 0 && rcpts >= rcpt_limit)
		return (0);
	if (prio == QMGR_PRIO_BULK) {
		bulk_cap = (long) active_limit * (100 - reserve) / 100;
		if (bulk_cap < 1)
			bulk_cap = 1;
		if (bulk_active >= bulk_cap)
			return (0);
	}
	return (1);
}

/* qmgr_scan_may_import - the limit check with the current counts */
int
qmgr_scan_may_import(int prio)
{
	return (qmgr_scan_limit_check(qmgr_message_count(),
				      qmgr_message_rcpt_count(),
				      qmgr_message_count_prio(QMGR_PRIO_BULK),
				      prio, var_qmgr_message_active_limit,
				      var_qmgr_message_recipient_limit,
				      var_qmgr_priority_reserve));
}

/* qmgr_scan_open - start a pass with the requested flags */
static void
qmgr_scan_open(struct qmgr_scan *scan)
{
	struct argv *swap;

	scan->flags = scan->next_flags;
	scan->next_flags = 0;
	swap = scan->sites;
	scan->sites = scan->next_sites;
	scan->next_sites = swap;
	argv_truncate(scan->next_sites, 0);
	scan->imported = 0;
	scan->skipped_bulk = 0;
	if ((scan->walk = queue_scan_open(scan->queue)) == NULL)
		msg_warn("open %s queue: %m", scan->queue);
	msg_debug(1, "start %s queue scan, flags 0x%x", scan->queue, scan->flags);
}

/* qmgr_scan_close - end the pass; start a requested next one */
static void
qmgr_scan_close(struct qmgr_scan *scan)
{
	if (scan->walk != NULL) {
		queue_scan_close(scan->walk);
		scan->walk = NULL;
	}
	if (scan->skipped_bulk > 0) {
		scan->bulk_waiting = 1;
		scan->bulk_flags = scan->flags & ~QMGR_SCAN_START;
	}
	msg_debug(1, "end %s queue scan: %d imported", scan->queue, scan->imported);
	if (scan->next_flags != 0)
		qmgr_scan_open(scan);
}

/* qmgr_scan_request - start a scan, or ask for another pass */
void
qmgr_scan_request(int which, int flags)
{
	struct qmgr_scan *scan = qmgr_scans + which;

	if (which == QMGR_SCAN_DEFERRED && (flags & QMGR_SCAN_ALL) == 0)
		flags |= QMGR_SCAN_BY_TIME;
	if (which == QMGR_SCAN_INCOMING)
		flags |= QMGR_SCAN_BY_TIME;
	scan->next_flags |= flags | QMGR_SCAN_START;
	if (scan->walk == NULL)
		qmgr_scan_open(scan);
}

/* qmgr_scan_bulk_left - a bulk message left: retry skipped bulk files */
void
qmgr_scan_bulk_left(void)
{
	int	i;

	struct qmgr_scan *scan;

	if (!qmgr_scan_may_import(QMGR_PRIO_BULK))
		return;
	for (i = 0; i < 2; i++) {
		scan = qmgr_scans + i;
		if (scan->bulk_waiting) {
			scan->bulk_waiting = 0;
			qmgr_scan_request(i, scan->bulk_flags);
		} else if (scan->walk != NULL && scan->skipped_bulk > 0) {
			/* Skipped files lie behind the cursor: another pass. */
			scan->skipped_bulk = 0;
			qmgr_scan_request(i, scan->flags & ~QMGR_SCAN_START);
		}
	}
}

/* qmgr_scan_site - flush one destination domain */
void
qmgr_scan_site(const char *site)
{
	struct qmgr_scan *scan = qmgr_scans + QMGR_SCAN_DEFERRED;
	struct qmgr_transport *t;
	struct htable_entry **list;
	size_t	i;

	for (t = qmgr_transport_list(); t != NULL; t = t->next) {
		list = htable_list(t->queues);
		for (i = 0; list[i] != NULL; i++) {
			struct qmgr_queue *q = list[i]->value;

			if (!qmgr_queue_match_site(q, site))
				continue;
			if (q->is_dead)
				qmgr_queue_resume(q, 1);
			q->pause_until = 0;
			qmgr_transport_kick(t);
		}
		free(list);
	}
	argv_add(scan->next_sites, site);
	scan->next_flags |= QMGR_SCAN_START;
	if (scan->walk == NULL)
		qmgr_scan_open(scan);
}

/* qmgr_scan_queue_id - re-admit one deferred message now */
void
qmgr_scan_queue_id(const char *id)
{
	struct buf *path;

	if (!queue_id_valid(id)) {
		msg_warn("flush request for bad queue ID \"%s\"", id);
		return;
	}
	if (qmgr_message_find(id) != NULL)
		return;
	if (qmgr_scan_may_import(-1)
	    && qmgr_message_import(MAIL_QUEUE_DEFERRED, id,
				   QMGR_MSG_DFXP | QMGR_MSG_UNTHROTTLE) > 0)
		return;
	path = buf_new(64);
	if (queue_path(path, MAIL_QUEUE_DEFERRED, id) != NULL
	    && access(buf_str(path), F_OK) == 0) {
		if (queue_touch(MAIL_QUEUE_DEFERRED, id, time(NULL)) < 0)
			msg_warn("%s: set retry time: %m", id);
		qmgr_scan_request(QMGR_SCAN_DEFERRED, 0);
	} else {
		qmgr_scan_request(QMGR_SCAN_INCOMING, 0);
	}
	buf_free(path);
}

/* qmgr_scan_peek_prio - the class in a file's last PRIO record */
static int
qmgr_scan_peek_prio(const char *path)
{
	struct buf *data = buf_new(64);
	struct rec_io *rp;
	int	fd, type, prio = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		buf_free(data);
		return (-1);
	}
	rp = rec_open(fd, REC_READ);
	while ((type = rec_get(rp, data, REC_ENVELOPE_LIMIT, NULL)) >= 0) {
		/* The last one counts, as in qfile_read_envelope(). */
		if (type == REC_TYPE_PRIO)
			prio = qmgr_prio_parse(buf_str(data));
		if (type == REC_TYPE_RCPT || type == REC_TYPE_DONE
		    || type == REC_TYPE_MESG)
			break;
	}
	(void) rec_close(rp);
	(void) close(fd);
	buf_free(data);
	if (prio < 0)
		prio = qmgr_prio_parse(var_default_delivery_priority);
	return (prio < 0 ? QMGR_PRIO_NORMAL : prio);
}

/* qmgr_scan_site_match - has the file a pending recipient in a site? */
static int
qmgr_scan_site_match(const struct argv *sites, const char *path)
{
	struct qfile_envelope env;
	struct buf *why = buf_new(64), *domain = buf_new(64);
	int	fd, hit = 0;
	size_t	i, j;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		buf_free(why);
		buf_free(domain);
		return (0);
	}
	qfile_envelope_init(&env);
	if (qfile_read_envelope(fd, &env, why) == 0) {
		for (i = 0; i < env.rcpt_count && !hit; i++) {
			if (env.rcpts[i].is_done
			    || address_domain(domain, env.rcpts[i].address) == NULL)
				continue;
			for (j = 0; j < sites->argc && !hit; j++)
				hit = strcasecmp(buf_str(domain), sites->argv[j]) == 0;
		}
	}
	qfile_envelope_free(&env);
	(void) close(fd);
	buf_free(why);
	buf_free(domain);
	return (hit);
}

/* qmgr_scan_file - consider one file; 1 when imported */
static int
qmgr_scan_file(struct qmgr_scan *scan, const char *id, const char *path)
{
	struct stat st;
	int	flags = 0, eligible;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)
	    || (st.st_mode & S_IXUSR) == 0 || qmgr_message_find(id) != NULL)
		return (0);
	eligible = (scan->flags & QMGR_SCAN_ALL) != 0
		|| ((scan->flags & QMGR_SCAN_BY_TIME) != 0
		    && (scan->queue == qmgr_scans[QMGR_SCAN_INCOMING].queue
			|| st.st_mtime <= time(NULL)));
	if (!eligible && scan->sites->argc > 0
	    && qmgr_scan_site_match(scan->sites, path)) {
		eligible = 1;
		flags |= QMGR_MSG_DFXP | QMGR_MSG_UNTHROTTLE;
	}
	if (!eligible)
		return (0);
	if (!qmgr_scan_may_import(QMGR_PRIO_BULK)
	    && qmgr_scan_peek_prio(path) == QMGR_PRIO_BULK) {
		scan->skipped_bulk++;
		return (0);
	}
	if (scan->flags & QMGR_SCAN_DFXP)
		flags |= QMGR_MSG_DFXP;
	if (scan->flags & QMGR_SCAN_UNTHROTTLE)
		flags |= QMGR_MSG_UNTHROTTLE;
	return (qmgr_message_import(scan->queue, id, flags));
}

/* qmgr_scan_step - advance one walk by one entry; -1 when it ended */
static int
qmgr_scan_step(struct qmgr_scan *scan)
{
	const char *id;
	int	n;

	errno = 0;
	if ((id = queue_scan_next(scan->walk, qmgr_scan_id)) == NULL) {
		if (errno != 0)
			msg_warn("scan %s queue: %m", scan->queue);
		qmgr_scan_close(scan);
		return (-1);
	}
	n = qmgr_scan_file(scan, id, queue_scan_path(scan->walk));
	scan->imported += n;
	if (n > 0 && scan->queue == qmgr_scans[QMGR_SCAN_DEFERRED].queue
	    && (scan->flags & QMGR_SCAN_ALL) == 0 && scan->sites->argc == 0
	    && scan->imported >= var_qmgr_deferred_import_limit) {
		msg_info("deferred queue scan: import limit %d reached, "
			 "the rest waits for the next scan",
			 var_qmgr_deferred_import_limit);
		qmgr_scan_close(scan);
	}
	return (n);
}

/* qmgr_scan_run - import up to budget directory entries' worth */
int
qmgr_scan_run(int budget, int *from_incoming)
{
	struct qmgr_scan *scan;
	int	imported = 0, n, tries;

	while (budget-- > 0 && qmgr_scan_may_import(-1)) {
		for (tries = 0; tries < 2; tries++) {
			scan = qmgr_scans + qmgr_scan_turn;
			qmgr_scan_turn ^= 1;
			if (scan->walk != NULL)
				break;
		}
		if (scan->walk == NULL)
			break;
		if ((n = qmgr_scan_step(scan)) > 0) {
			imported += n;
			if (scan == qmgr_scans + QMGR_SCAN_INCOMING && from_incoming)
				*from_incoming += n;
		}
	}
	return (imported);
}

/* qmgr_scan_pending - could a walk make progress right now? */
int
qmgr_scan_pending(void)
{
	return ((qmgr_scans[0].walk != NULL || qmgr_scans[1].walk != NULL)
		&& qmgr_scan_may_import(-1));
}

/* qmgr_scan_incoming_busy - is the incoming walk open? */
int
qmgr_scan_incoming_busy(void)
{
	return (qmgr_scans[QMGR_SCAN_INCOMING].walk != NULL);
}
