/*
 * NAME
 *	queue_file - create, commit, move and remove queue files
 * DESCRIPTION
 *	See queue.h. The durability rules of ARCHITECTURE.md live here:
 *	a new file is renamed into place without replacing anything, made
 *	0700 and fsync'ed together with its directory by queue_commit();
 *	moves are plain renames without a directory fsync.
 */
#include <util/sys_defs.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <util/msg.h>
#include <util/buf.h>
#include <global/queue.h>

#define QUEUE_TEMP_TRIES	100	/* temporary name collisions */
#define QUEUE_NAME_TRIES	1000	/* final name collisions */

/* queue_mkdir - create one directory; an existing one is fine */
static int
queue_mkdir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0)
		return (errno == EEXIST ? 0 : -1);
	/* The exact mode, whatever the umask (maildrop is group-writable). */
	return (chmod(path, mode));
}

/* queue_mkdirs_level - create the hash subdirectories below path */
static int
queue_mkdirs_level(struct buf *path, int levels, mode_t mode)
{
	size_t	len = buf_len(path);
	int	i;

	for (i = 0; i < 16; i++) {
		buf_truncate(path, len);
		buf_appendf(path, "/%X", (unsigned) i);
		if (queue_mkdir(buf_str(path), mode) < 0)
			return (-1);
		if (levels > 1 && queue_mkdirs_level(path, levels - 1, mode) < 0)
			return (-1);
	}
	buf_truncate(path, len);
	return (0);
}

/* queue_mkdirs - create a queue directory and its hash subdirectories */
int
queue_mkdirs(const char *queue_name, mode_t mode)
{
	struct buf *path;
	int	depth, status;

	if (!queue_name_valid(queue_name)) {
		errno = EINVAL;
		return (-1);
	}
	if (queue_mkdir(queue_name, mode) < 0)
		return (-1);
	if ((depth = queue_hashed(queue_name)) == 0)
		return (0);
	path = buf_new(64);
	buf_cpy(path, queue_name);
	status = queue_mkdirs_level(path, depth, mode);
	buf_free(path);
	return (status);
}

/* queue_mkhash - create the missing hash directories of dir */
static int
queue_mkhash(const char *queue_name, const char *dir)
{
	struct stat st;
	struct buf *path;
	const char *cp;
	int	status = 0;

	/* Hash directories get the permissions of the queue directory. */
	if (stat(queue_name, &st) < 0)
		return (-1);
	path = buf_new(64);
	for (cp = dir + strlen(queue_name); status == 0 && *cp == '/'; cp += 2) {
		buf_catn(buf_cpy(path, ""), dir, (size_t) (cp - dir) + 2);
		status = queue_mkdir(buf_str(path), st.st_mode & 07777);
	}
	buf_free(path);
	return (status);
}

/* queue_rename_new - rename without replacing an existing file */
static int
queue_rename_new(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return (0);
	if (errno != EINVAL && errno != ENOSYS)
		return (-1);
	/* File systems without RENAME_NOREPLACE: link() never replaces. */
	if (link(from, to) < 0)
		return (-1);
	if (unlink(from) < 0)
		msg_warn("remove temporary file %s: %m", from);
	return (0);
}

/* queue_create_temp - open an exclusive temporary file in a queue */
static int
queue_create_temp(const char *queue_name, struct buf *temp)
{
	static unsigned counter;
	int	fd, tries;

	for (tries = 0; tries < QUEUE_TEMP_TRIES; tries++) {
		buf_printf(temp, "%s/%s%ld.%u", queue_name, QUEUE_TEMP_PREFIX,
			   (long) getpid(), counter++);
		fd = open(buf_str(temp), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			  QUEUE_MODE_WRITING);
		if (fd >= 0 || errno != EEXIST)
			return (fd);
	}
	errno = EEXIST;
	return (-1);
}

/* queue_create_name - give the temporary file its final ID */
static int
queue_create_name(const char *queue_name, const char *temp, ino_t inode,
		  struct buf *id)
{
	struct buf *path = buf_new(64);
	struct buf *dir = buf_new(64);
	bool	made_dirs = false, need_id = true;
	int	tries, status = -1;

	for (tries = 0; tries < QUEUE_NAME_TRIES; tries++) {
		if (need_id) {
			queue_id_new(id, (uint64_t) inode);
			queue_path(path, queue_name, buf_str(id));
		}
		if ((status = queue_rename_new(temp, buf_str(path))) == 0)
			break;
		/* A missing hash directory: create it, retry the same name. */
		if (errno == ENOENT && !made_dirs && queue_hashed(queue_name)) {
			made_dirs = true;
			need_id = false;
			queue_dir(dir, queue_name, buf_str(id));
			if (queue_mkhash(queue_name, buf_str(dir)) < 0)
				break;
			continue;
		}
		if (errno != EEXIST)
			break;
		need_id = true;
		made_dirs = false;
	}
	buf_free(path);
	buf_free(dir);
	return (status);
}

/* queue_create - new mode 0600 queue file with a fresh ID */
int
queue_create(const char *queue_name, struct buf *id, int *fdp)
{
	struct buf *temp;
	struct stat st;
	int	fd, saved_errno;

	if (id == NULL || fdp == NULL)
		msg_panic("queue_create: null argument");
	if (!queue_name_valid(queue_name)) {
		errno = EINVAL;
		return (-1);
	}
	temp = buf_new(64);
	if ((fd = queue_create_temp(queue_name, temp)) < 0) {
		buf_free(temp);
		return (-1);
	}
	/* The umask must not make a file we are writing unreadable. */
	if (fchmod(fd, QUEUE_MODE_WRITING) < 0 || fstat(fd, &st) < 0
	    || queue_create_name(queue_name, buf_str(temp), st.st_ino, id) < 0) {
		saved_errno = errno;
		if (unlink(buf_str(temp)) < 0 && errno != ENOENT)
			msg_warn("remove temporary file %s: %m", buf_str(temp));
		(void) close(fd);
		buf_free(temp);
		errno = saved_errno;
		return (-1);
	}
	buf_free(temp);
	*fdp = fd;
	return (0);
}

/* queue_fsync_dir - fsync a directory */
static int
queue_fsync_dir(const char *dir)
{
	int	fd, status, saved_errno;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return (-1);
	status = fsync(fd);
	saved_errno = errno;
	(void) close(fd);
	errno = saved_errno;
	return (status);
}

/* queue_commit - mark a queue file complete and make it durable */
int
queue_commit(int fd, const char *queue_name, const char *id)
{
	struct buf *dir = buf_new(64);
	int	status = -1;

	if (queue_dir(dir, queue_name, id) == NULL)
		goto out;
	if (fchmod(fd, QUEUE_MODE_COMPLETE) < 0 || fsync(fd) < 0)
		goto out;
	/*
	 * The directory of the name, then each parent up to the queue
	 * directory: a hash directory may be new, and the temporary name
	 * lived at the top.
	 */
	for (;;) {
		if (queue_fsync_dir(buf_str(dir)) < 0)
			goto out;
		if (buf_len(dir) <= strlen(queue_name))
			break;
		buf_truncate(dir, buf_len(dir) - 2);
	}
	status = 0;
out:
	buf_free(dir);
	return (status);
}

/* queue_open - open a queue file */
int
queue_open(const char *queue_name, const char *id, int flags)
{
	struct buf *path = buf_new(64);
	int	fd = -1;

	if (queue_path(path, queue_name, id) != NULL)
		fd = open(buf_str(path), flags | O_CLOEXEC, QUEUE_MODE_WRITING);
	buf_free(path);
	return (fd);
}

/* queue_move - rename a queue file into another queue */
int
queue_move(const char *id, const char *from, const char *to)
{
	struct buf *old_path = buf_new(64);
	struct buf *new_path = buf_new(64);
	struct buf *dir = buf_new(64);
	int	status = -1;

	if (queue_path(old_path, from, id) == NULL
	    || queue_path(new_path, to, id) == NULL)
		goto out;
	if ((status = rename(buf_str(old_path), buf_str(new_path))) == 0)
		goto out;
	/* ENOENT: either the file is gone or a hash directory is missing. */
	if (errno == ENOENT && queue_hashed(to)
	    && access(buf_str(old_path), F_OK) == 0) {
		queue_dir(dir, to, id);
		if (queue_mkhash(to, buf_str(dir)) == 0)
			status = rename(buf_str(old_path), buf_str(new_path));
	}
out:
	buf_free(old_path);
	buf_free(new_path);
	buf_free(dir);
	return (status);
}

/* queue_remove - remove a queue file */
int
queue_remove(const char *queue_name, const char *id)
{
	struct buf *path = buf_new(64);
	int	status = -1;

	if (queue_path(path, queue_name, id) != NULL)
		status = unlink(buf_str(path));
	buf_free(path);
	return (status);
}

/* queue_touch - set a queue file's access and modification time */
int
queue_touch(const char *queue_name, const char *id, time_t when)
{
	struct buf *path = buf_new(64);
	struct timespec times[2];
	int	status = -1;

	times[0].tv_sec = times[1].tv_sec = when;
	times[0].tv_nsec = times[1].tv_nsec = 0;
	if (queue_path(path, queue_name, id) != NULL)
		status = utimensat(AT_FDCWD, buf_str(path), times, 0);
	buf_free(path);
	return (status);
}
