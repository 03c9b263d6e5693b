/*
 * NAME
 *	postsuper_struct - queue structure check and repair (-s, -p)
 * SYNOPSIS
 *	#include "postsuper.h"
 * DESCRIPTION
 *	See postsuper(1). One queue is walked with its hash subdirectories
 *	(never below maildrop, whose directory local users can write). For
 *	each entry:
 * .IP \(bu
 *	a directory that is not a hash level, or a hash level deeper than
 *	hash_queue_depth once emptied, is removed when it is empty;
 * .IP \(bu
 *	something that is not a regular file (a symbolic link, a fifo) is
 *	removed;
 * .IP \(bu
 *	a temporary file (name "tmp.*", or a message file without its owner
 *	execute bit) older than PS_TEMP_AGE is removed (-s and -p);
 * .IP \(bu
 *	a file whose name is not a queue ID gets one made of its arrival
 *	time and inode number, in the same queue when its content is good,
 *	in corrupt/ when not (logfiles with bad names are only reported);
 * .IP \(bu
 *	a file in the wrong hash directory moves where its ID says;
 * .IP \(bu
 *	a message file that cannot be read, or that rec_check_file() (or,
 *	in maildrop, the maildrop(3) grammar) finds damaged, moves to
 *	corrupt/ with a warning that names the problem.
 * .PP
 *	While master runs, files in the active queue are left alone.
 * SEE ALSO
 *	postsuper(1), record(3), maildrop(3)
 */
#include <util/sys_defs.h>
#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <util/msg.h>
#include <global/mail_proto.h>
#include <global/maildrop.h>
#include <global/queue.h>
#include <global/record.h>

#include "postsuper.h"

#define PS_IS(q, name)	(strcmp((q), (name)) == 0)

/* ps_checked_queue - queues whose files get a content check */

static int
ps_checked_queue(const char *queue)
{
	return (postsuper_is_message_queue(queue)
		&& !PS_IS(queue, MAIL_QUEUE_CORRUPT) && !PS_IS(queue, MAIL_QUEUE_SAVED));
}

/* ps_is_hash_name - one letter or digit: a hash directory level */

static int
ps_is_hash_name(const char *name)
{
	unsigned char ch = (unsigned char) name[0];

	return (name[1] == 0 && ((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z')
				 || (ch >= 'a' && ch <= 'z')));
}

/* ps_maildrop_check - a maildrop file against its grammar */

static int
ps_maildrop_check(int fd, struct buf *why)
{
	struct maildrop_check mc;
	struct buf *data = buf_new(1024);
	struct rec_io *rp = rec_open(fd, REC_READ);
	off_t	offset = 0;
	int	type, status = 0;

	maildrop_check_init(&mc, 1);
	while ((type = rec_get(rp, data, MAILDROP_LINE_LIMIT, &offset)) >= 0) {
		if (maildrop_check_record(&mc, type, buf_str(data), buf_len(data), why) < 0) {
			buf_printf(data, "offset %lld: %s", (long long) offset, buf_str(why));
			buf_cpy(why, buf_str(data));
			status = -1;
			break;
		}
	}
	if (status == 0 && type == REC_TYPE_ERROR) {
		buf_cpy(why, rec_error(rp));
		status = -1;
	}
	if (status == 0 && maildrop_check_eof(&mc, why) < 0)
		status = -1;
	(void) rec_close(rp);
	buf_free(data);
	return (status);
}

/* ps_check_file - is the content of an open message file good? */

static int
ps_check_file(const char *queue, int fd, struct buf *why)
{
	if (PS_IS(queue, MAIL_QUEUE_MAILDROP))
		return (ps_maildrop_check(fd, why));
	return (rec_check_file(fd, why));
}

/* ps_arrival - arrival time of a message file, else its mtime */

static void
ps_arrival(const char *queue, int fd, const struct stat *st, time_t *sec,
	   long *usec)
{
	struct qfile_envelope env;
	struct buf *why = buf_new(64);
	struct rec_io *rp;
	long long s;
	int	n = 0;

	*sec = st->st_mtime;
	*usec = 0;
	if (PS_IS(queue, MAIL_QUEUE_MAILDROP)) {
		rp = rec_open(fd, REC_READ);
		if (lseek(fd, 0, SEEK_SET) == 0
		    && rec_get(rp, why, REC_ENVELOPE_LIMIT, NULL) == REC_TYPE_TIME
		    && sscanf(buf_str(why), "%lld %ld%n", &s, usec, &n) == 2
		    && s >= 0 && *usec >= 0 && *usec <= 999999)
			*sec = (time_t) s;
		else
			*usec = 0;
		(void) rec_close(rp);
	} else {
		qfile_envelope_init(&env);
		if (qfile_read_envelope(fd, &env, why) == 0) {
			*sec = env.arrival;
			*usec = env.arrival_usec;
		}
		qfile_envelope_free(&env);
	}
	buf_free(why);
}

/* ps_to_corrupt - set a damaged file aside */

static void
ps_to_corrupt(struct ps_state *ps, const char *path, const char *id,
	      const struct stat *st, const char *why)
{
	struct buf *alt = buf_new(32);
	int	status;

	if ((status = postsuper_move(ps, path, MAIL_QUEUE_CORRUPT, id)) < 0
	    && errno == EEXIST) {
		queue_id_make(alt, ps->now, 0, (uint64_t) st->st_ino);
		status = postsuper_move(ps, path, MAIL_QUEUE_CORRUPT, buf_str(alt));
	}
	if (status == 0)
		msg_warn("%s: corrupt queue file (%s): moved to %s", path, why,
			 buf_str(ps->path2));
	else if (errno != ENOENT)
		msg_warn("%s: corrupt queue file (%s); cannot move it to %s: %m",
			 path, why, MAIL_QUEUE_CORRUPT);
	buf_free(alt);
}

/* ps_check_message - content check of a complete message file */

static void
ps_check_message(struct ps_state *ps, const char *queue, const char *path,
		 const char *id, const struct stat *st)
{
	int	fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return;			/* moved on meanwhile */
		buf_printf(ps->why, "cannot open: %m");
		ps_to_corrupt(ps, path, id, st, buf_str(ps->why));
		return;
	}
	if (ps_check_file(queue, fd, ps->why) < 0) {
		(void) close(fd);
		ps_to_corrupt(ps, path, id, st, buf_str(ps->why));
		return;
	}
	(void) close(fd);
}

/* ps_bad_name - give a message file with a bad name a queue ID */

static void
ps_bad_name(struct ps_state *ps, const char *queue, const char *path,
	    const struct stat *st)
{
	struct buf *id = buf_new(32);
	time_t	sec;
	long	usec;
	int	fd, is_good = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		buf_printf(ps->why, "cannot open: %m");
		sec = st->st_mtime;
		usec = 0;
	} else {
		is_good = (ps_check_file(queue, fd, ps->why) == 0);
		ps_arrival(queue, fd, st, &sec, &usec);
		(void) close(fd);
	}
	queue_id_make(id, sec, usec, (uint64_t) st->st_ino);
	if (is_good && postsuper_move(ps, path, queue, buf_str(id)) == 0)
		msg_warn("%s: bad file name: renamed to %s", path, buf_str(ps->path2));
	else if (is_good)
		msg_warn("%s: bad file name; cannot rename it to %s: %m", path,
			 buf_str(ps->path2));
	else
		ps_to_corrupt(ps, path, buf_str(id), st, buf_str(ps->why));
	buf_free(id);
}

/* ps_struct_file - one regular file */

static void
ps_struct_file(struct ps_state *ps, const char *queue, const char *path,
	       const char *name, const struct stat *st, int action)
{
	int	is_msg = postsuper_is_message_queue(queue);
	int	is_busy = ps->is_running && PS_IS(queue, MAIL_QUEUE_ACTIVE);

	if (strncmp(name, QUEUE_TEMP_PREFIX, sizeof(QUEUE_TEMP_PREFIX) - 1) == 0
	    || (is_msg && !PS_IS(queue, MAIL_QUEUE_CORRUPT)
		&& (st->st_mode & S_IRWXU) != S_IRWXU)) {
		if (!is_busy && ps->now - st->st_mtime > PS_TEMP_AGE) {
			if (unlink(path) == 0)
				msg_info("%s: removed stale temporary file", path);
			else if (errno != ENOENT)
				msg_warn("remove %s: %m", path);
		}
		return;
	}
	if ((action & PS_ACTION_STRUCT) == 0 || is_busy)
		return;
	if (!queue_id_valid(name)) {
		if (ps_checked_queue(queue))
			ps_bad_name(ps, queue, path, st);
		else
			msg_warn("%s: bogus file name", path);
		return;
	}
	if (queue_path(ps->path, queue, name) != NULL
	    && strcmp(path, buf_str(ps->path)) != 0) {
		if (postsuper_move(ps, path, queue, name) < 0) {
			if (errno != ENOENT)
				msg_warn("%s: cannot move it to %s: %m", path,
					 buf_str(ps->path2));
			return;
		}
		msg_info("%s: moved to %s", path, buf_str(ps->path2));
		path = buf_str(ps->path2);
	}
	if (ps_checked_queue(queue)) {
		buf_cpy(ps->path, path);
		ps_check_message(ps, queue, buf_str(ps->path), name, st);
	}
}

/* ps_struct_entry - one directory entry */

static void ps_struct_dir(struct ps_state *, const char *, const char *, int, int);

static void
ps_struct_entry(struct ps_state *ps, const char *queue, const char *path,
		const char *name, int depth, int action)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		if (!PS_IS(queue, MAIL_QUEUE_MAILDROP) && ps_is_hash_name(name)
		    && depth < QUEUE_HASH_MAXDEPTH) {
			ps_struct_dir(ps, queue, path, depth + 1, action);
			if ((action & PS_ACTION_STRUCT) && depth + 1 > queue_hashed(queue)
			    && rmdir(path) < 0 && errno != ENOTEMPTY && errno != EEXIST
			    && errno != ENOENT)
				msg_warn("remove directory %s: %m", path);
		} else if ((action & PS_ACTION_STRUCT) && rmdir(path) < 0
			   && errno != ENOENT) {
			msg_warn("remove subdirectory %s: %m", path);
		}
	} else if (!S_ISREG(st.st_mode)) {
		if (unlink(path) == 0)
			msg_warn("%s: removed: not a regular file", path);
		else if (errno != ENOENT)
			msg_warn("remove %s: %m", path);
	} else {
		ps_struct_file(ps, queue, path, name, &st, action);
	}
}

/* ps_struct_dir - every entry of one directory level */

static void
ps_struct_dir(struct ps_state *ps, const char *queue, const char *dir,
	      int depth, int action)
{
	struct buf *path = buf_new(64);
	struct dirent *dp;
	DIR    *dirp;

	if ((dirp = opendir(dir)) == NULL) {
		if (errno != ENOENT)
			msg_warn("open directory %s: %m", dir);
		buf_free(path);
		return;
	}
	while ((dp = readdir(dirp)) != NULL) {
		if (strcmp(dp->d_name, ".") == 0 || strcmp(dp->d_name, "..") == 0)
			continue;
		buf_printf(path, "%s/%s", dir, dp->d_name);
		ps_struct_entry(ps, queue, buf_str(path), dp->d_name, depth, action);
	}
	(void) closedir(dirp);
	buf_free(path);
}

/* postsuper_structure - check and repair one queue */

void
postsuper_structure(struct ps_state *ps, const char *queue, int action)
{
	ps_struct_dir(ps, queue, queue, 0, action);
}
