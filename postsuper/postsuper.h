/*
 * NAME
 *	postsuper - queue maintenance internals
 * SYNOPSIS
 *	#include "postsuper.h"
 *
 *	By queue ID (postsuper_ops.c)
 *	int	postsuper_delete_one(struct ps_state *ps, const char *id);
 *	int	postsuper_hold_one(struct ps_state *ps, const char *id);
 *	int	postsuper_release_one(struct ps_state *ps, const char *id);
 *	int	postsuper_requeue_one(struct ps_state *ps, const char *id);
 *	void	postsuper_all(struct ps_state *ps, int action);
 *
 *	Files (postsuper_ops.c)
 *	int	postsuper_move(struct ps_state *ps, const char *from_path,
 *			const char *to_queue, const char *id);
 *	void	postsuper_remove_logs(struct ps_state *ps, const char *id);
 *	int	postsuper_is_message_queue(const char *queue);
 *
 *	Requeue (postsuper_requeue.c)
 *	int	postsuper_requeue_file(const char *path, struct buf *new_id,
 *			struct buf *why);
 *
 *	Structure (postsuper_struct.c)
 *	void	postsuper_structure(struct ps_state *ps, const char *queue,
 *			int action);
 * DESCRIPTION
 *	All paths are relative to queue_directory, where postsuper runs.
 *	A message file is "complete" when its owner execute bit is set; an
 *	incomplete file belongs to the program that writes it and is never
 *	deleted, moved or requeued by ID or by ALL (-p removes it once it
 *	is older than PS_TEMP_AGE).
 *
 *	While master runs (ps->is_running), a file in the active queue may
 *	be in delivery: qmgr holds its recipients in memory and updates
 *	the file in place. postsuper then leaves it alone and says so
 *	("ID: message is being delivered; not deleted"); stopping the mail
 *	system, or trying again once qmgr moved the message on, works.
 *
 *	postsuper_move() renames a file into another queue (creating a
 *	missing hash directory), refusing to replace an existing file; 0,
 *	or -1 with errno. postsuper_remove_logs() removes the defer,
 *	bounce and trace logfiles of a message.
 *
 *	A requeue first moves the file into hold/ (unless it is there
 *	already), where qmgr never looks, so that qmgr cannot take it while
 *	it is copied: the message ends up queued once, never twice and
 *	never lost. When the copy fails, the file goes back where it was.
 *
 *	postsuper_requeue_file() copies a complete queue file into a new
 *	maildrop file in postdrop's format (new arrival time, the sender,
 *	the recipients still to be delivered with their original recipient
 *	and DSN NOTIFY flags, the DSN envelope ID, RET and body encoding,
 *	the content) and commits it (mode 0700, fsync), so that pickup(8)
 *	and cleanup(8) queue it again with a new queue ID, rewriting the
 *	addresses anew. Every record written is checked with maildrop(3)'s
 *	grammar first, so pickup never sees a file it would refuse. It
 *	returns 0 with the maildrop ID, or -1 with a reason (the original
 *	file is untouched either way; the caller removes it on success).
 *
 *	postsuper_structure() checks one queue (-s, -p): see postsuper(1).
 */
#ifndef POSTERN_POSTSUPER_H
#define POSTERN_POSTSUPER_H

#include <util/sys_defs.h>
#include <time.h>
#include <util/buf.h>

#define PS_ACTION_STRUCT	(1 << 0)	/* -s */
#define PS_ACTION_PURGE		(1 << 1)	/* -p */
#define PS_ACTION_DELETE	(1 << 2)	/* -d */
#define PS_ACTION_HOLD		(1 << 3)	/* -h */
#define PS_ACTION_RELEASE	(1 << 4)	/* -H */
#define PS_ACTION_REQUEUE	(1 << 5)	/* -r */

#define PS_TEMP_AGE	(24 * 60 * 60)	/* stale temporary file, seconds */

struct ps_state {
	const char *const *queues;	/* explicit queue list, or NULL */
	int	is_running;		/* master holds its lock */
	time_t	now;
	unsigned long deleted;
	unsigned long held;
	unsigned long released;
	unsigned long requeued;
	unsigned long busy;		/* active files left alone in ALL mode */
	int	errors;			/* bad input seen: exit status 1 */
	struct buf *path;
	struct buf *path2;
	struct buf *why;
};

int	postsuper_delete_one(struct ps_state *ps, const char *id);
int	postsuper_hold_one(struct ps_state *ps, const char *id);
int	postsuper_release_one(struct ps_state *ps, const char *id);
int	postsuper_requeue_one(struct ps_state *ps, const char *id);
void	postsuper_all(struct ps_state *ps, int action);

int	postsuper_move(struct ps_state *ps, const char *from_path,
		               const char *to_queue, const char *id);
void	postsuper_remove_logs(struct ps_state *ps, const char *id);
int	postsuper_is_message_queue(const char *queue);

int	postsuper_requeue_file(const char *path, struct buf *new_id,
			               struct buf *why);

void	postsuper_structure(struct ps_state *ps, const char *queue, int action);

#endif
