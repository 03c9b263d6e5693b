/*
 * NAME
 *	queue - queue IDs, queue file names and queue file life cycle
 * SYNOPSIS
 *	#include <global/queue.h>
 *
 *	int	queue_set_hash(int depth, const char *names);
 *	int	queue_hashed(const char *queue_name);
 *
 *	void	queue_id_new(struct buf *id, uint64_t unique);
 *	void	queue_id_make(struct buf *id, time_t sec, long usec, uint64_t unique);
 *	bool	queue_id_valid(const char *id);
 *	time_t	queue_id_time(const char *id, long *usec);
 *
 *	bool	queue_name_valid(const char *queue_name);
 *	bool	queue_name_known(const char *queue_name);
 *	const char *queue_path(struct buf *path, const char *queue_name,
 *				const char *id);
 *	const char *queue_dir(struct buf *path, const char *queue_name,
 *				const char *id);
 *	int	queue_mkdirs(const char *queue_name, mode_t mode);
 *
 *	int	queue_create(const char *queue_name, struct buf *id, int *fd);
 *	int	queue_commit(int fd, const char *queue_name, const char *id);
 *	int	queue_open(const char *queue_name, const char *id, int flags);
 *	int	queue_move(const char *id, const char *from, const char *to);
 *	int	queue_remove(const char *queue_name, const char *id);
 *	int	queue_touch(const char *queue_name, const char *id, time_t when);
 *
 *	struct queue_scan *queue_scan_open(const char *queue_name);
 *	void	queue_scan_junk(struct queue_scan *scan, bool yes);
 *	const char *queue_scan_next(struct queue_scan *scan, struct buf *id);
 *	const char *queue_scan_path(const struct queue_scan *scan);
 *	void	queue_scan_close(struct queue_scan *scan);
 * DESCRIPTION
 *	All paths are relative to the queue directory: a program chdir()s
 *	to queue_directory first and then names files as "incoming/ID" or,
 *	for hashed queues, "deferred/A/ID".
 *
 *	Queue IDs (Postfix's enable_long_queue_ids = yes, always on) are
 *	strings of [0-9A-Za-z]. Digit values in that alphabet are in ASCII
 *	order, so fixed-width numbers compare as strings do:
 *
 *	    SSSSSS UUUU I...
 *
 *	SSSSSS is the arrival time in seconds since the epoch, 6 base-62
 *	digits (good until the year 3700); UUUU is the microseconds, 4
 *	base-62 digits; I... is the uniquifier, 1 to 11 base-62 digits
 *	without leading zeros. IDs therefore sort by arrival to the
 *	microsecond, and are QUEUE_ID_MINLEN to QUEUE_ID_MAXLEN long.
 *	queue_create() uses the inode number of the new file as the
 *	uniquifier, as Postfix does: no two files that exist at the same
 *	time on one file system share an inode, and all queues live on one
 *	file system, so no two live queue files can get the same ID
 *	whatever the clock does; an ID is reused only if the clock runs
 *	back to the same microsecond and the inode is recycled as well.
 *	queue_id_new() makes an ID with the current time and the caller's
 *	uniquifier; queue_id_make() with a given time (for tests and tools).
 *
 *	queue_id_valid() accepts exactly that shape (so "../../etc/passwd",
 *	"", "a/b", over-long and non-alphanumeric names are all rejected:
 *	postsuper and postcat check every ID a user gives them with it).
 *	queue_id_time() decodes the arrival time, and the microseconds
 *	when usec is not NULL; it returns -1 for an invalid ID.
 *
 *	Hashed queues. The queues named by queue_set_hash() (default as
 *	Postfix: depth 1, "deferred, defer") keep each file depth levels of
 *	single-character subdirectories down. Level i (0 first) is the
 *	hexadecimal digit (0-9A-F) of bits 4i..4i+3 of the microseconds
 *	field: the fastest-moving part of the ID, so a burst of arrivals
 *	spreads evenly over the 16 directories of each level, and the
 *	directory of an ID is known without reading anything. A file and
 *	its bounce/defer log thus share the same subdirectory names.
 *	queue_set_hash() takes depth 1..QUEUE_HASH_MAXDEPTH and a list of
 *	queue names separated by commas and/or white space; it returns -1
 *	(EINVAL) and changes nothing for a bad depth or name.
 *	queue_hashed() tells whether a queue is hashed.
 *
 *	queue_name_valid() accepts a plausible queue directory name
 *	(1..32 of [a-z0-9_-]); queue_name_known() only the ten queues of
 *	mail_proto.h. queue_path() stores the relative path of a queue file
 *	in path and returns its text; queue_dir() the directory that holds
 *	it. Both return NULL with errno EINVAL for an invalid queue name or
 *	ID. queue_mkdirs() creates the queue directory and, for a hashed
 *	queue, every hash subdirectory, with the given mode; existing
 *	directories are left alone.
 *
 *	queue_create() makes a new, empty, mode 0600 file with a fresh ID:
 *	it creates a temporary file QUEUE/QUEUE_TEMP_PREFIX..., takes its
 *	inode number, and renames it to its final name without ever
 *	replacing an existing file (RENAME_NOREPLACE, else link+unlink),
 *	creating a missing hash directory, retrying on a collision. On
 *	success it returns 0 with the ID in id and a read-write descriptor
 *	(close-on-exec) in fd. A crash between the two steps leaves a
 *	temporary file, which queue_scan_next() skips and postsuper -p
 *	removes.
 *
 *	queue_commit() makes a finished queue file durable: fchmod() to
 *	0700 ("complete"), fsync() the file (data and mode together), then
 *	fsync() the directory that holds its name and, for a hashed queue,
 *	every parent up to the queue directory (a hash directory may be
 *	new, and the temporary name lived at the top). Only after it
 *	returns 0 may a program report success.
 *
 *	queue_open() opens a queue file with open(2) flags (O_CLOEXEC is
 *	added). queue_move() renames a file from one queue to another,
 *	creating a missing hash directory of the target; no directory is
 *	fsync'ed (a crash leaves the file in its older queue, where it is
 *	processed again). queue_remove() unlinks a file. queue_touch() sets
 *	a file's access and modification times (the next retry time of a
 *	deferred message). These return 0, or -1 with errno.
 *
 *	Scanning. queue_scan_open() starts a walk over a queue directory,
 *	descending into single-character subdirectories (up to
 *	QUEUE_HASH_MAXDEPTH levels, whatever the current hash settings, so
 *	files survive a change of hash_queue_depth). It holds one open
 *	directory per level and never the list of names, so it streams
 *	through a million files in constant memory. queue_scan_next()
 *	stores the next queue ID in id and returns its text, or NULL at the
 *	end (errno 0) or on error (errno set); names that are not queue IDs
 *	(temporary files, junk) are skipped unless queue_scan_junk() asked
 *	for them. queue_scan_path() is the relative path of the entry just
 *	returned (where it actually is, which may differ from queue_path()
 *	after a hash change). Files created or removed during a walk may or
 *	may not be seen. queue_scan_open() returns NULL with errno when the
 *	queue directory cannot be opened.
 * DIAGNOSTICS
 *	Library functions return -1 or NULL with errno; nothing is logged
 *	except a warning when a leftover temporary file cannot be removed.
 *	queue_id_new() and queue_path() panic on a NULL buffer.
 * SEE ALSO
 *	record(3) the queue file format, mail_proto(3) queue names
 */
#ifndef POSTERN_QUEUE_H
#define POSTERN_QUEUE_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <time.h>

#define QUEUE_ID_TIME_LEN	6	/* seconds, base 62 */
#define QUEUE_ID_USEC_LEN	4	/* microseconds, base 62 */
#define QUEUE_ID_MINLEN		11	/* time + 1 uniquifier digit */
#define QUEUE_ID_MAXLEN		21	/* time + 11 digits for 64 bits */
#define QUEUE_NAME_MAXLEN	32
#define QUEUE_HASH_MAXDEPTH	4
#define QUEUE_TEMP_PREFIX	"tmp."	/* not a queue ID: '.' is not allowed */
#define QUEUE_MODE_WRITING	0600	/* file being written */
#define QUEUE_MODE_COMPLETE	0700	/* file complete and fsync'ed */

struct queue_scan;

int	queue_set_hash(int depth, const char *names);
int	queue_hashed(const char *queue_name);

void	queue_id_new(struct buf *id, uint64_t unique);
void	queue_id_make(struct buf *id, time_t sec, long usec, uint64_t unique);
bool	queue_id_valid(const char *id);
time_t	queue_id_time(const char *id, long *usec);

bool	queue_name_valid(const char *queue_name);
bool	queue_name_known(const char *queue_name);
const char *queue_path(struct buf *path, const char *queue_name, const char *id);
const char *queue_dir(struct buf *path, const char *queue_name, const char *id);
int	queue_mkdirs(const char *queue_name, mode_t mode);

int	queue_create(const char *queue_name, struct buf *id, int *fd);
int	queue_commit(int fd, const char *queue_name, const char *id);
int	queue_open(const char *queue_name, const char *id, int flags);
int	queue_move(const char *id, const char *from, const char *to);
int	queue_remove(const char *queue_name, const char *id);
int	queue_touch(const char *queue_name, const char *id, time_t when);

struct queue_scan *queue_scan_open(const char *queue_name);
void	queue_scan_junk(struct queue_scan *scan, bool yes);
const char *queue_scan_next(struct queue_scan *scan, struct buf *id);
const char *queue_scan_path(const struct queue_scan *scan);
void	queue_scan_close(struct queue_scan *scan);

#endif
