/*
 * NAME
 *	queue_scan - stream the files of a queue, hash directories included
 * DESCRIPTION
 *	See queue.h. The walk keeps one DIR handle per level, so memory
 *	does not grow with the number of files.
 */
#include <util/sys_defs.h>
#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>
#include <global/queue.h>

struct queue_scan {
	DIR    *dirs[QUEUE_HASH_MAXDEPTH + 1];
	size_t	path_len[QUEUE_HASH_MAXDEPTH + 1];
	int	level;			/* index of the innermost open dir */
	bool	junk;			/* also return names that are not IDs */
	struct buf *path;		/* directory of dirs[level] */
	struct buf *entry;		/* path of the entry last returned */
};

/* queue_scan_open - start walking a queue */
struct queue_scan *
queue_scan_open(const char *queue_name)
{
	struct queue_scan *scan;
	DIR    *dir;

	if (!queue_name_valid(queue_name)) {
		errno = EINVAL;
		return (NULL);
	}
	if ((dir = opendir(queue_name)) == NULL)
		return (NULL);
	scan = xcalloc(1, sizeof(*scan));
	scan->dirs[0] = dir;
	scan->level = 0;
	scan->path = buf_new(64);
	scan->entry = buf_new(64);
	buf_cpy(scan->path, queue_name);
	scan->path_len[0] = buf_len(scan->path);
	return (scan);
}

/* queue_scan_junk - also report names that are not queue IDs */
void
queue_scan_junk(struct queue_scan *scan, bool yes)
{
	scan->junk = yes;
}

/* queue_scan_type - file type of a directory entry: DT_REG, DT_DIR... */
static int
queue_scan_type(struct queue_scan *scan, const struct dirent *dp)
{
	struct stat st;

	if (dp->d_type != DT_UNKNOWN)
		return (dp->d_type);
	if (fstatat(dirfd(scan->dirs[scan->level]), dp->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0)
		return (DT_UNKNOWN);
	if (S_ISDIR(st.st_mode))
		return (DT_DIR);
	return (S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN);
}

/* queue_scan_is_hash - name of a hash directory: one letter or digit */
static bool
queue_scan_is_hash(const char *name)
{
	int	ch = (unsigned char) name[0];

	return (name[1] == 0 && ((ch >= '0' && ch <= '9')
				 || (ch >= 'A' && ch <= 'Z')
				 || (ch >= 'a' && ch <= 'z')));
}

/* queue_scan_push - descend into a hash directory */
static void
queue_scan_push(struct queue_scan *scan, const char *name)
{
	DIR    *dir;
	int	fd;

	fd = openat(dirfd(scan->dirs[scan->level]), name,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		/* Removed meanwhile, or unreadable: postsuper -s reports it. */
		if (fd >= 0)
			(void) close(fd);
		return;
	}
	buf_truncate(scan->path, scan->path_len[scan->level]);
	buf_appendf(scan->path, "/%s", name);
	scan->level++;
	scan->dirs[scan->level] = dir;
	scan->path_len[scan->level] = buf_len(scan->path);
}

/* queue_scan_pop - leave the innermost directory */
static void
queue_scan_pop(struct queue_scan *scan)
{
	(void) closedir(scan->dirs[scan->level]);
	scan->dirs[scan->level] = NULL;
	scan->level--;
}

/* queue_scan_next - next queue file, NULL at the end or on error */
const char *
queue_scan_next(struct queue_scan *scan, struct buf *id)
{
	struct dirent *dp;
	int	type;

	while (scan->level >= 0) {
		errno = 0;
		if ((dp = readdir(scan->dirs[scan->level])) == NULL) {
			if (errno != 0)
				return (NULL);
			queue_scan_pop(scan);
			continue;
		}
		if (dp->d_name[0] == '.' && (dp->d_name[1] == 0
			|| (dp->d_name[1] == '.' && dp->d_name[2] == 0)))
			continue;
		type = queue_scan_type(scan, dp);
		if (type == DT_DIR) {
			if (queue_scan_is_hash(dp->d_name)
			    && scan->level < QUEUE_HASH_MAXDEPTH)
				queue_scan_push(scan, dp->d_name);
			continue;
		}
		if (type != DT_REG || (!scan->junk && !queue_id_valid(dp->d_name)))
			continue;
		buf_cpy(id, dp->d_name);
		buf_truncate(scan->entry, 0);
		buf_catn(scan->entry, buf_str(scan->path), scan->path_len[scan->level]);
		buf_appendf(scan->entry, "/%s", dp->d_name);
		return (buf_str(id));
	}
	errno = 0;
	return (NULL);
}

/* queue_scan_path - relative path of the entry last returned */
const char *
queue_scan_path(const struct queue_scan *scan)
{
	return (buf_str(scan->entry));
}

/* queue_scan_close - end a walk */
void
queue_scan_close(struct queue_scan *scan)
{
	if (scan == NULL)
		return;
	while (scan->level >= 0)
		queue_scan_pop(scan);
	buf_free(scan->path);
	buf_free(scan->entry);
	free(scan);
}
