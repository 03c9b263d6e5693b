/*
 * NAME
 *	master_lock - pid file lock and detaching from the terminal
 * SYNOPSIS
 *	#include "master.h"
 *
 *	void	master_lock_pid(const char *pid_dir);
 *	int	master_detach(int wait_for_child);
 *	void	master_detach_done(void);
 * DESCRIPTION
 *	master_lock_pid() creates pid_dir (mode 0755) if needed, locks
 *	pid_dir/master.pid with an fcntl() write lock and writes the
 *	process ID into it. The lock lives as long as the process: a
 *	second master of the same instance stops with "the Postern mail
 *	system is already running".
 *
 *	master_pid_test() (master_proto(3)) tells whether someone holds it.
 *
 *	master_detach() puts master in the background: it forks, and the
 *	child starts a new session. Without wait_for_child the parent
 *	exits at once with status 0. With it (master -w) the parent waits
 *	until the child calls master_detach_done() after a successful
 *	start (exit status 0) or dies first (exit status 1), so whoever
 *	started master learns whether it came up; the child's error
 *	messages reach the same standard error. master_detach_done() also
 *	points descriptors 0, 1 and 2 at /dev/null.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <util/buf.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include "master.h"

#define MASTER_DETACH_WAIT_MS	300000

static int master_lock_fd = -1;
static int master_sync_fd = -1;

/* master_lock_pid - take the instance lock, or refuse to run */
void
master_lock_pid(const char *pid_dir)
{
	struct buf *path = buf_new(100);
	struct flock lock;
	char	text[32];
	int	len;

	if (mkdir(pid_dir, 0755) < 0 && errno != EEXIST)
		msg_fatal("create directory %s: %m", pid_dir);
	buf_printf(path, "%s/master.pid", pid_dir);
	if ((master_lock_fd = open(buf_str(path), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		msg_fatal("open lock file %s: %m", buf_str(path));
	memset(&lock, 0, sizeof(lock));
	lock.l_type = F_WRLCK;
	lock.l_whence = SEEK_SET;
	if (fcntl(master_lock_fd, F_SETLK, &lock) < 0) {
		if (errno == EAGAIN || errno == EACCES)
			msg_fatal("the Postern mail system is already running");
		msg_fatal("lock %s: %m", buf_str(path));
	}
	len = snprintf(text, sizeof(text), "%*ld\n", 10, (long) getpid());
	if (ftruncate(master_lock_fd, 0) < 0
	    || pwrite(master_lock_fd, text, (size_t) len, 0) != len)
		msg_fatal("write %s: %m", buf_str(path));
	buf_free(path);
}

/* master_detach_wait - parent of -w: wait for the child's verdict */
static NORETURN void
master_detach_wait(int fd)
{
	char	ch = 0;
	ssize_t	n = -1;

	if (read_wait(fd, MASTER_DETACH_WAIT_MS) == 0) {
		do {
			n = read(fd, &ch, 1);
		} while (n < 0 && errno == EINTR);
	}
	_exit(n == 1 && ch == 'o' ? 0 : 1);
}

/* master_detach - continue in a background child */
int
master_detach(int wait_for_child)
{
	int	sync[2] = {-1, -1};
	pid_t	pid;

	if (wait_for_child && pipe2(sync, O_CLOEXEC) < 0)
		msg_fatal("pipe: %m");
	if ((pid = fork()) < 0)
		msg_fatal("fork: %m");
	if (pid > 0) {
		if (!wait_for_child)
			_exit(0);
		close(sync[1]);
		master_detach_wait(sync[0]);
	}
	if (wait_for_child) {
		close(sync[0]);
		master_sync_fd = sync[1];
	}
	if (setsid() < 0)
		msg_warn("setsid: %m");
	return (0);
}

/* master_detach_done - start-up succeeded: release the waiting parent */
void
master_detach_done(void)
{
	int	fd;

	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (master_sync_fd >= 0) {
		if (write(master_sync_fd, "o", 1) != 1)
			msg_warn("notify parent process: %m");
		close(master_sync_fd);
		master_sync_fd = -1;
	}
}
