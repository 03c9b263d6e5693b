/*
 * NAME
 *	showq - queue listing shared by showq(8), postqueue(1) and qshape(1)
 * SYNOPSIS
 *	#include "showq.h"
 *
 *	Reading one queue or maildrop file
 *	int	showq_qfile_open(const char *path, struct stat *st);
int	showq_qfile_open_only(const char *path);
int	showq_qfile_check(int fd, struct stat *st);
 *	int	showq_qfile_open_only(const char *path);
 *	int	showq_qfile_check(int fd, struct stat *st);
 *	void	showq_qfile_reset(void);
 *	int	showq_qfile_read(int fd, const char *queue_name,
 *			const struct stat *st, struct qfile_envelope *env,
 *			struct buf *why);
 *	int	showq_fast_read(int fd, const struct stat *st,
 *			struct qfile_envelope *env);
 *	void	showq_fast_release(void);
 *
 *	Deferral reasons (defer/ID)
 *	struct showq_defer *showq_defer_new(void);
 *	int	showq_defer_read(struct showq_defer *dp, const char *id);
 *	void	showq_defer_reset(struct showq_defer *dp);
 *	ssize_t	showq_defer_find(const struct showq_defer *dp,
 *			const char *address);
 *	size_t	showq_defer_count(const struct showq_defer *dp);
 *	const char *showq_defer_address(const struct showq_defer *dp,
 *			size_t index);
 *	const char *showq_defer_reason(const struct showq_defer *dp,
 *			size_t index);
 *	void	showq_defer_free(struct showq_defer *dp);
 *
 *	Messages
 *	void	showq_msg_init(struct showq_msg *msg);
 *	void	showq_msg_reset(struct showq_msg *msg);
 *	struct showq_rcpt *showq_msg_add_rcpt(struct showq_msg *msg);
 *	void	showq_msg_free(struct showq_msg *msg);
 *
 *	Walking the queues
 *	struct showq_scan *showq_scan_create(int flags);
 *	int	showq_scan_run(struct showq_scan *sp,
 *			const char *const *queues, showq_msg_fn fn, void *ctx);
 *	void	showq_scan_free(struct showq_scan *sp);
 *	extern const char *const showq_queue_order[];
 *
 *	Text
 *	void	showq_printable(struct buf *out, const char *text);
 *	void	showq_json_quote(struct buf *out, const char *text);
 *
 *	The showq protocol
 *	void	showq_printable(struct buf *out, const char *text);
void	showq_json_quote(struct buf *out, const char *text);

int	showq_send_msg(struct stream *s, const struct showq_msg *msg);
 *	int	showq_send_end(struct stream *s);
 *	int	showq_recv_msg(struct stream *s, struct showq_msg *msg,
 *			struct buf *why);
 *	int	showq_request(struct stream *s, struct buf *why);
 * DESCRIPTION
 *	A struct showq_msg is one message as mailq shows it: queue name,
 *	queue ID, arrival time, message size (the content size of the
 *	SIZE record; the file size for a maildrop file), whether it was
 *	force-expired (group execute bit on the queue file, as Postfix's
 *	postsuper -e sets it), the sender in external (quoted) form with
 *	the null sender as MAILER-DAEMON, its priority class, and each
 *	recipient still to be delivered with the reason of its last
 *	deferral ("" when none) and the transport it resolves to ("" when
 *	unknown). Address bytes are passed on as they are; the clients make
 *	them printable for their output format.
 *
 *	showq_qfile_open() opens a queue file read-only without following
 *	symbolic links and returns the descriptor, or -1 with errno. It
 *	fails with EAGAIN for a file that is not complete yet (owner
 *	execute bit not set: still being written) and with EINVAL for
 *	something that is not a regular file; st receives the file status.
 *	showq_qfile_open_only() and showq_qfile_check() are its two halves,
 *	for a reader that can do without the status of a file it can read
 *	(qshape: showq_fast_read() with st NULL).
 *	It keeps the directory of the last file open, so that the files of
 *	one directory are opened relative to it; showq_qfile_reset()
 *	forgets that directory and must be called after a chdir();
 *	showq_scan_run() calls it before and after each walk.
 *	showq_qfile_read() reads the envelope of an open file (st: its
 *	status from showq_qfile_open()): a queue file or, for queue_name
 *	"maildrop", a maildrop file (TIME, sender, recipients up to MESG;
 *	the size is the file size). It returns 0 or -1 with a reason. Queue
 *	files go through showq_fast_read() (see showq_fast.c: one or two
 *	pread() calls for a well-formed file), and through
 *	qfile_read_envelope() when that declines, which checks everything
 *	and says what is wrong.
 *
 *	showq_defer_read() loads defer/ID with logfile(3) (the entries qmgr
 *	appends: recipient=, reason=, ... ended by an empty line); a
 *	missing logfile is an empty one. It returns 0, or -1 (with a
 *	warning) when the logfile cannot be read. Each distinct address is
 *	one entry, numbered in the order the addresses first appeared;
 *	the last reason logged for an address wins. showq_defer_find()
 *	returns the entry number of an address or -1;
 *	showq_defer_address() and showq_defer_reason() return the address
 *	and reason of an entry. showq_defer_reset() empties the table.
 *
 *	showq_scan_run() walks the queues (default showq_queue_order:
 *	maildrop active incoming deferred hold, Postfix's order) one file
 *	at a time and calls fn for each complete message with at least an
 *	envelope; fn returns 0 to go on, -1 to stop the walk (the result is
 *	then -1). Unreadable or malformed files are skipped with a warning.
 *	Recipients are listed in the order Postfix's showq lists them:
 *	first those named in the defer logfile, in logfile order, then the
 *	others in queue file order; recipients already done are left out.
 *	With SHOWQ_SCAN_TRANSPORT each recipient's transport is resolved
 *	with resolve(3) (call showq_scan_create() before any chroot).
 *
 *	showq_printable() appends text with control characters and bytes
 *	that are not part of valid UTF-8 replaced by '?' (mailq output).
 *	showq_json_quote() appends text escaped for a JSON string: '"' and
 *	backslash, the short escapes for backspace, form feed, newline,
 *	carriage return and tab, other control characters and every byte
 *	that is not part of valid UTF-8 as a \u00XX escape of the byte, so
 *	the result is valid JSON for any input.
 *
 *	The protocol (public/showq): the client sends {request=list}; the
 *	server answers {proto=showq}, then for each message one list
 *	{queue_name, queue_id, arrival_time, size, expired, sender,
 *	priority, recipient_count} followed by recipient_count lists
 *	{address, reason, transport}, and finally an empty list.
 *	showq_recv_msg() returns 1 for a message, 0 at the end marker, -1
 *	for a malformed or broken stream (why says what).
 *	showq_request() is the client side of the opening: request and
 *	hello; 0 or -1 with why.
 * SEE ALSO
 *	showq(8), postqueue(1), qshape(1), record(3), queue(3)
 */
#ifndef POSTERN_SHOWQ_H
#define POSTERN_SHOWQ_H

#include <util/sys_defs.h>
#include <sys/stat.h>
#include <util/buf.h>
#include <util/stream.h>
#include <global/record.h>

#define SHOWQ_REQ_LIST		"list"	/* the one request */
#define SHOWQ_EMPTY_SENDER	"MAILER-DAEMON"

struct showq_rcpt {
	struct buf *address;
	struct buf *reason;
	struct buf *transport;
};

struct showq_msg {
	struct buf *queue_name;
	struct buf *queue_id;
	long	arrival;
	long	size;
	int	forced_expire;
	struct buf *sender;
	struct buf *priority;
	struct showq_rcpt *rcpts;
	size_t	rcpt_count;
	size_t	rcpt_cap;		/* entries with allocated bufs */
};

struct showq_defer;
struct showq_scan;

typedef int (*showq_msg_fn) (const struct showq_msg *msg, void *ctx);

#define SHOWQ_SCAN_TRANSPORT	(1 << 0)	/* resolve transports */

extern const char *const showq_queue_order[];

int	showq_qfile_open(const char *path, struct stat *st);
int	showq_qfile_open_only(const char *path);
int	showq_qfile_check(int fd, struct stat *st);
void	showq_qfile_reset(void);
int	showq_qfile_read(int fd, const char *queue_name, const struct stat *st,
			         struct qfile_envelope *env, struct buf *why);
int	showq_fast_read(int fd, const struct stat *st, struct qfile_envelope *env);
void	showq_fast_release(void);

struct showq_defer *showq_defer_new(void);
int	showq_defer_read(struct showq_defer *dp, const char *id);
void	showq_defer_reset(struct showq_defer *dp);
ssize_t	showq_defer_find(const struct showq_defer *dp, const char *address);
size_t	showq_defer_count(const struct showq_defer *dp);
const char *showq_defer_address(const struct showq_defer *dp, size_t index);
const char *showq_defer_reason(const struct showq_defer *dp, size_t index);
void	showq_defer_free(struct showq_defer *dp);

void	showq_msg_init(struct showq_msg *msg);
void	showq_msg_reset(struct showq_msg *msg);
struct showq_rcpt *showq_msg_add_rcpt(struct showq_msg *msg);
void	showq_msg_free(struct showq_msg *msg);

struct showq_scan *showq_scan_create(int flags);
int	showq_scan_run(struct showq_scan *sp, const char *const *queues,
		               showq_msg_fn fn, void *ctx);
void	showq_scan_free(struct showq_scan *sp);

void	showq_printable(struct buf *out, const char *text);
void	showq_json_quote(struct buf *out, const char *text);

int	showq_send_msg(struct stream *s, const struct showq_msg *msg);
int	showq_send_end(struct stream *s);
int	showq_recv_msg(struct stream *s, struct showq_msg *msg, struct buf *why);
int	showq_request(struct stream *s, struct buf *why);

#endif
