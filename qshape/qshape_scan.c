/*
 * NAME
 *	qshape_scan - read queue envelopes, in parallel when there are CPUs
 * SYNOPSIS
 *	#include "qshape.h"
 *
 *	struct qshape_scan *qshape_scan_create(const struct qshape_opts *opts,
 *			time_t now, int is_sender, int threads,
 *			qshape_count_fn fn, void *ctx);
 *	void	qshape_scan_queue(struct qshape_scan *sp, const char *queue);
 *	void	qshape_scan_free(struct qshape_scan *sp);
 * DESCRIPTION
 *	Reading a queue is one directory walk and, per file, open, one
 *	pread and close (and fstat only in incoming/ and maildrop/, where a
 *	file may still be being written, or when the quick reader
 *	declines): system calls that several CPUs can make at once. The
 *	calling thread walks the directories and hands batches of file
 *	names to one helper thread per CPU (none when threads is 1);
 *	each helper reads envelopes and turns every message into its age
 *	bucket and the addresses to count (the sender with is_sender, else
 *	the recipients still to be delivered; messages without any are
 *	dropped). The results come back to the calling thread, which alone
 *	calls fn(ctx, bucket, address) for each address and then
 *	fn(ctx, 0, NULL) at the end of each message, and logs the warnings
 *	about files that could not be read. At most a few batches
 *	are in flight: memory stays small whatever the queue size.
 *
 *	qshape_scan_queue() reads one queue: a name below queue_directory
 *	or an absolute path. It changes the working directory. An invalid
 *	name or a queue that cannot be opened is fatal.
 *	qshape_scan_free() waits for the helpers and releases everything.
 * SEE ALSO
 *	qshape(1), queue(3), showq.h (the envelope readers)
 */
#include <util/sys_defs.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <global/params.h>
#include <global/mail_proto.h>
#include <global/queue.h>
#include <showq/showq.h>

#include "qshape.h"

#define QSHAPE_BATCH		256	/* files per batch */
#define QSHAPE_INFLIGHT_PER	4	/* batches in flight per helper */

struct qshape_batch {
	struct qshape_batch *next;
	struct buf *queue;		/* queue name: the envelope format */
	struct buf *paths;		/* absolute paths, null-separated */
	size_t	count;
	struct buf *result;		/* bucket byte, addresses, "" per message */
	struct buf *warnings;		/* one per line */
};

struct qshape_scan {
	struct qshape_opts opts;
	time_t	now;
	int	is_sender;
	qshape_count_fn fn;
	void   *ctx;
	int	nthreads;		/* helpers */
	pthread_t *threads;
	pthread_mutex_t lock;
	pthread_cond_t todo_cond;
	pthread_cond_t done_cond;
	struct qshape_batch *todo;	/* LIFO; order does not matter */
	struct qshape_batch *done;
	struct qshape_batch *spare;
	size_t	inflight;
	int	is_closing;
	struct qshape_batch *cur;	/* being filled */
	struct buf *prefix;		/* absolute directory of the queue */
};

/* qshape_batch_get - an empty batch */

static struct qshape_batch *
qshape_batch_get(struct qshape_scan *sp)
{
	struct qshape_batch *b = sp->spare;

	if (b != NULL) {
		sp->spare = b->next;
	} else {
		b = xcalloc(1, sizeof(*b));
		b->queue = buf_new(16);
		b->paths = buf_new(QSHAPE_BATCH * 64);
		b->result = buf_new(QSHAPE_BATCH * 64);
		b->warnings = buf_new(0);
	}
	buf_reset(b->paths);
	buf_reset(b->result);
	buf_reset(b->warnings);
	b->count = 0;
	b->next = NULL;
	return (b);
}

/* qshape_batch_free - release a batch */

static void
qshape_batch_free(struct qshape_batch *b)
{
	buf_free(b->queue);
	buf_free(b->paths);
	buf_free(b->result);
	buf_free(b->warnings);
	free(b);
}

/* qshape_put_addr - one address: a marker byte (the null sender is
 * empty), the address, its null */

static void
qshape_put_addr(struct buf *result, const char *addr)
{
	buf_putc(result, 'a');
	buf_catn(result, addr, strlen(addr) + 1);
}

/* qshape_trusts_complete - only complete files ever enter this queue */

static int
qshape_trusts_complete(const char *queue)
{
	/* cleanup writes in incoming/, postdrop in maildrop/: files there
	 * may be incomplete; every other queue receives them by rename. */
	return (strcmp(queue, MAIL_QUEUE_INCOMING) != 0
		&& strcmp(queue, MAIL_QUEUE_MAILDROP) != 0);
}

/* qshape_open_read - open and read one envelope; 0, or -1 (errno
 * ENOENT/EAGAIN: gone or incomplete, say nothing) with a warning */

static int
qshape_open_read(struct qshape_batch *b, const char *path,
		 struct qfile_envelope *env, struct buf *why)
{
	const char *queue = buf_str(b->queue);
	struct stat st;
	int	fd, status;

	if ((fd = showq_qfile_open_only(path)) < 0) {
		if (errno != ENOENT)
			buf_appendf(b->warnings, "open %s: %m\n", path);
		return (-1);
	}
	/* A million files: skip fstat() when the file tells all by itself. */
	if (qshape_trusts_complete(queue) && showq_fast_read(fd, NULL, env) == 0) {
		(void) close(fd);
		return (0);
	}
	if (showq_qfile_check(fd, &st) < 0) {
		if (errno != EAGAIN)
			buf_appendf(b->warnings, "open %s: %m\n", path);
		(void) close(fd);
		return (-1);
	}
	status = showq_qfile_read(fd, queue, &st, env, why);
	(void) close(fd);
	if (status < 0)
		buf_appendf(b->warnings, "%s: %s\n", path, buf_str(why));
	return (status);
}

/* qshape_read_file - one file into the batch result */

static void
qshape_read_file(const struct qshape_scan *sp, struct qshape_batch *b,
		 const char *path, struct qfile_envelope *env, struct buf *why)
{
	size_t	i, pending = 0;

	if (qshape_open_read(b, path, env, why) < 0)
		return;
	for (i = 0; i < env->rcpt_count; i++)
		pending += !env->rcpts[i].is_done;
	if (pending == 0)
		return;
	buf_putc(b->result, qshape_bucket(&sp->opts, sp->now, env->arrival));
	if (sp->is_sender) {
		qshape_put_addr(b->result, env->sender);
	} else {
		for (i = 0; i < env->rcpt_count; i++)
			if (!env->rcpts[i].is_done)
				qshape_put_addr(b->result, env->rcpts[i].address);
	}
	buf_putc(b->result, 0);
}

/* qshape_read_batch - every file of a batch */

static void
qshape_read_batch(const struct qshape_scan *sp, struct qshape_batch *b)
{
	struct qfile_envelope env;
	struct buf *why = buf_new(100);
	const char *path = buf_str(b->paths);
	size_t	i;

	qfile_envelope_init(&env);
	for (i = 0; i < b->count; i++, path += strlen(path) + 1)
		qshape_read_file(sp, b, path, &env, why);
	qfile_envelope_free(&env);
	buf_free(why);
}

/* qshape_worker - helper thread: batches until told to stop */

static void *
qshape_worker(void *arg)
{
	struct qshape_scan *sp = arg;
	struct qshape_batch *b;

	for (;;) {
		pthread_mutex_lock(&sp->lock);
		while (sp->todo == NULL && !sp->is_closing)
			pthread_cond_wait(&sp->todo_cond, &sp->lock);
		if ((b = sp->todo) == NULL) {
			pthread_mutex_unlock(&sp->lock);
			break;
		}
		sp->todo = b->next;
		pthread_mutex_unlock(&sp->lock);
		qshape_read_batch(sp, b);
		pthread_mutex_lock(&sp->lock);
		b->next = sp->done;
		sp->done = b;
		pthread_cond_signal(&sp->done_cond);
		pthread_mutex_unlock(&sp->lock);
	}
	showq_qfile_reset();
	showq_fast_release();
	return (NULL);
}

/* qshape_apply - hand one finished batch to the caller */

static void
qshape_apply(struct qshape_scan *sp, struct qshape_batch *b)
{
	const char *cp = buf_str(b->result), *end = cp + buf_len(b->result);
	const char *line, *nl;
	int	bucket;

	for (line = buf_str(b->warnings); (nl = strchr(line, '\n')) != NULL; line = nl + 1)
		msg_warn("%.*s", (int) (nl - line), line);
	while (cp < end) {
		bucket = (unsigned char) *cp++;
		for (; *cp == 'a'; cp += strlen(cp) + 1)
			sp->fn(sp->ctx, bucket, cp + 1);
		cp++;				/* end of message */
		sp->fn(sp->ctx, 0, NULL);
	}
	b->next = sp->spare;
	sp->spare = b;
}

/* qshape_collect - apply finished batches; wait for one when asked */

static void
qshape_collect(struct qshape_scan *sp, int wait)
{
	struct qshape_batch *list, *next;

	pthread_mutex_lock(&sp->lock);
	while (wait && sp->done == NULL && sp->inflight > 0)
		pthread_cond_wait(&sp->done_cond, &sp->lock);
	list = sp->done;
	sp->done = NULL;
	pthread_mutex_unlock(&sp->lock);
	for (; list; list = next) {
		next = list->next;
		sp->inflight--;
		qshape_apply(sp, list);
	}
}

/* qshape_submit - the current batch goes to a helper (or is read here) */

static void
qshape_submit(struct qshape_scan *sp)
{
	struct qshape_batch *b = sp->cur;

	sp->cur = NULL;
	if (b == NULL || b->count == 0) {
		if (b) {
			b->next = sp->spare;
			sp->spare = b;
		}
		return;
	}
	if (sp->nthreads == 0) {
		qshape_read_batch(sp, b);
		qshape_apply(sp, b);
		return;
	}
	while (sp->inflight >= (size_t) sp->nthreads * QSHAPE_INFLIGHT_PER)
		qshape_collect(sp, 1);
	pthread_mutex_lock(&sp->lock);
	b->next = sp->todo;
	sp->todo = b;
	sp->inflight++;
	pthread_cond_signal(&sp->todo_cond);
	pthread_mutex_unlock(&sp->lock);
	qshape_collect(sp, 0);
}

/* qshape_scan_create - reader with threads helpers (none for 1) */

struct qshape_scan *
qshape_scan_create(const struct qshape_opts *opts, time_t now, int is_sender,
		   int threads, qshape_count_fn fn, void *ctx)
{
	struct qshape_scan *sp = xcalloc(1, sizeof(*sp));
	int	i;

	sp->opts = *opts;
	sp->now = now;
	sp->is_sender = is_sender;
	sp->fn = fn;
	sp->ctx = ctx;
	sp->prefix = buf_new(100);
	pthread_mutex_init(&sp->lock, NULL);
	pthread_cond_init(&sp->todo_cond, NULL);
	pthread_cond_init(&sp->done_cond, NULL);
	sp->threads = xcalloc((size_t) (threads > 1 ? threads : 1), sizeof(pthread_t));
	for (i = 0; threads > 1 && i < threads; i++) {
		if (pthread_create(sp->threads + i, NULL, qshape_worker, sp) != 0)
			break;			/* fewer helpers is fine */
		sp->nthreads++;
	}
	return (sp);
}

/* qshape_scan_enter - change to the directory that holds a queue */

static const char *
qshape_scan_enter(struct qshape_scan *sp, const char *queue, struct buf *name)
{
	struct buf *dir = buf_new(100);
	char	cwd[4096];
	char   *slash;

	buf_cpy(dir, queue);
	while (buf_len(dir) > 1 && buf_str(dir)[buf_len(dir) - 1] == '/')
		buf_truncate(dir, buf_len(dir) - 1);
	if (*queue != '/') {
		buf_cpy(name, buf_str(dir));
		buf_cpy(dir, var_queue_directory);
	} else {
		slash = strrchr(buf_str(dir), '/');
		buf_cpy(name, slash + 1);
		buf_truncate(dir, slash == buf_str(dir) ? 1 : (size_t) (slash - buf_str(dir)));
	}
	if (!queue_name_valid(buf_str(name)))
		msg_fatal("invalid queue name: %s", queue);
	if (chdir(buf_str(dir)) < 0)
		msg_fatal("chdir %s: %m", buf_str(dir));
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		msg_fatal("getcwd: %m");
	buf_cpy(sp->prefix, cwd);
	buf_free(dir);
	return (buf_str(name));
}

/* qshape_scan_queue - every file of one queue */

void
qshape_scan_queue(struct qshape_scan *sp, const char *queue)
{
	struct buf *name = buf_new(32), *id = buf_new(32);
	struct queue_scan *scan;

	qshape_scan_enter(sp, queue, name);
	if ((scan = queue_scan_open(buf_str(name))) == NULL)
		msg_fatal("open queue %s: %m", queue);
	while (queue_scan_next(scan, id) != NULL) {
		if (sp->cur == NULL) {
			sp->cur = qshape_batch_get(sp);
			buf_cpy(sp->cur->queue, buf_str(name));
		}
		buf_appendf(sp->cur->paths, "%s/%s", buf_str(sp->prefix),
			    queue_scan_path(scan));
		buf_putc(sp->cur->paths, 0);
		if (++sp->cur->count == QSHAPE_BATCH)
			qshape_submit(sp);
	}
	if (errno != 0)
		msg_fatal("read queue %s: %m", queue);
	queue_scan_close(scan);
	qshape_submit(sp);
	buf_free(name);
	buf_free(id);
}

/* qshape_scan_free - wait for the helpers, release everything */

void
qshape_scan_free(struct qshape_scan *sp)
{
	struct qshape_batch *b;
	int	i;

	qshape_submit(sp);
	while (sp->inflight > 0)
		qshape_collect(sp, 1);
	pthread_mutex_lock(&sp->lock);
	sp->is_closing = 1;
	pthread_cond_broadcast(&sp->todo_cond);
	pthread_mutex_unlock(&sp->lock);
	for (i = 0; i < sp->nthreads; i++)
		pthread_join(sp->threads[i], NULL);
	while ((b = sp->spare) != NULL) {
		sp->spare = b->next;
		qshape_batch_free(b);
	}
	pthread_mutex_destroy(&sp->lock);
	pthread_cond_destroy(&sp->todo_cond);
	pthread_cond_destroy(&sp->done_cond);
	showq_qfile_reset();
	showq_fast_release();
	free(sp->threads);
	buf_free(sp->prefix);
	free(sp);
}
