/*
 * NAME
 *	master_proto - child to master status records
 * DESCRIPTION
 *	See master_proto.h. A record is written with one write() of
 *	sizeof(struct master_status) bytes, less than PIPE_BUF, so records
 *	from different children never interleave.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <unistd.h>
#include <server/master_proto.h>

/* master_status_send - tell master this process is available or taken */
int
master_status_send(int fd, pid_t pid, int status)
{
	struct master_status st;
	ssize_t	n;

	memset(&st, 0, sizeof(st));
	st.pid = (int32_t) pid;
	st.status = status;
	do {
		n = write(fd, &st, sizeof(st));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return (-1);
	if ((size_t) n != sizeof(st)) {
		errno = EIO;
		return (-1);
	}
	return (0);
}

/* master_status_recv - read one status record */
int
master_status_recv(int fd, struct master_status *st)
{
	ssize_t	n;

	do {
		n = read(fd, st, sizeof(*st));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return ((errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1);
	if (n == 0)
		return (-1);
	if ((size_t) n != sizeof(*st) || st->pid <= 0
	    || (st->status != MASTER_STAT_TAKEN && st->status != MASTER_STAT_AVAIL)) {
		errno = EPROTO;
		return (-1);
	}
	return (1);
}

/* master_pid_test - does a master hold the pid file lock? */
int
master_pid_test(const char *pid_file, pid_t *holder)
{
	struct flock lock;
	int	fd;
	int	ret;

	if ((fd = open(pid_file, O_RDONLY | O_CLOEXEC)) < 0)
		return (errno == ENOENT ? 0 : -1);
	memset(&lock, 0, sizeof(lock));
	lock.l_type = F_WRLCK;
	lock.l_whence = SEEK_SET;
	ret = fcntl(fd, F_GETLK, &lock);
	close(fd);
	if (ret < 0)
		return (-1);
	if (lock.l_type == F_UNLCK)
		return (0);
	if (holder)
		*holder = lock.l_pid;
	return (1);
}
