/*
 * NAME
 *	failfs - make fsync() and write() fail on chosen files (LD_PRELOAD)
 * SYNOPSIS
 *	cc -shared -fPIC -o failfs.so tests/tools/failfs.c -ldl
 *
 *	LD_PRELOAD=/path/failfs.so FAILFS_FSYNC=EIO FAILFS_PATH=/incoming/
 *		FAILFS_PROG=cleanup FAILFS_LOG=/tmp/failfs.log program ...
 * DESCRIPTION
 *	failfs is a fault injector for Postern's integration tests. Loaded
 *	with LD_PRELOAD it wraps fsync(), fdatasync(), write(), pwrite()
 *	and writev(), and makes them fail the way a failing disk or a full
 *	file system does, on the files the environment names; everything
 *	else goes straight to the C library.
 *
 * .IP FAILFS_FSYNC=ERRNO
 *		fsync() and fdatasync() of a matching regular file or
 *		directory fail with ERRNO: a name (EIO, ENOSPC, EDQUOT,
 *		EROFS, EFBIG, EPERM, EBADF, EINVAL) or a decimal number;
 *		anything else leaves fsync alone. Nothing is synced.
 * .IP FAILFS_WRITE_AFTER=N
 *		No matching regular file grows past N bytes: a write that
 *		would end beyond offset N writes what still fits (a short
 *		count, as the kernel does when a disk fills up) and the next
 *		one fails with ENOSPC (or FAILFS_WRITE_ERRNO). Rewriting
 *		bytes below N keeps working, as on a full disk.
 * .IP FAILFS_PATH=SUBSTRING
 *		Only descriptors whose path (the /proc/self/fd link)
 *		contains SUBSTRING are affected. Without it every regular
 *		file (and, for fsync, every directory) is. Sockets, pipes
 *		and terminals are never touched, nor is anything when /proc
 *		cannot be read (e.g. in a chroot without /proc).
 * .IP FAILFS_PROG=NAME
 *		Only a process whose program name (argv[0] without its
 *		directory) is NAME injects faults; in any other process
 *		failfs does nothing at all.
 * .PP
 *	The environment is read once, when the library is loaded.
 * .IP FAILFS_LOG=FILE
 *		Each injected fault appends one line to FILE ("failfs: pid
 *		N prog P: fsync fd F PATH: EIO"), so a test can tell that
 *		the fault fired. The file is opened for each line and
 *		closed again, so no descriptor stays open in the process
 *		and privilege changes in between do not matter as long as
 *		the file is writable by the process at that time.
 * .PP
 *	Without FAILFS_FSYNC and FAILFS_WRITE_AFTER failfs passes every
 *	call through unchanged.
 * BUGS
 *	Writes made inside the C library (stdio buffers flushed by
 *	fwrite(), fclose()) do not go through the wrapped symbols and are
 *	never failed. pwritev(), sync_file_range(), msync() and O_SYNC
 *	writes are not wrapped.
 * SEE ALSO
 *	tests/integration/test_faults_mailin.py, ld.so(8)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#define FAILFS_PATH_MAX	4096
#define FAILFS_FOR_FSYNC 1		/* directories match too */
#define FAILFS_FOR_WRITE 0		/* regular files only */

typedef ssize_t (*failfs_write_fn) (int, const void *, size_t);
typedef ssize_t (*failfs_pwrite_fn) (int, const void *, size_t, off_t);
typedef ssize_t (*failfs_pwrite64_fn) (int, const void *, size_t, off64_t);
typedef ssize_t (*failfs_writev_fn) (int, const struct iovec *, int);
typedef int (*failfs_sync_fn) (int);

static failfs_write_fn real_write;
static failfs_pwrite_fn real_pwrite;
static failfs_pwrite64_fn real_pwrite64;
static failfs_writev_fn real_writev;
static failfs_sync_fn real_fsync;
static failfs_sync_fn real_fdatasync;

static int failfs_ready;		/* settings read */
static int failfs_active;		/* this process injects faults */
static int failfs_fsync_errno;		/* 0: fsync passes */
static long long failfs_write_after = -1;	/* -1: writes pass */
static int failfs_write_errno = ENOSPC;
static const char *failfs_path;
static const char *failfs_log;

static const struct failfs_errno {
	const char *name;
	int	value;
}	failfs_errnos[] = {
	{"EIO", EIO}, {"ENOSPC", ENOSPC}, {"EDQUOT", EDQUOT}, {"EROFS", EROFS},
	{"EFBIG", EFBIG}, {"EPERM", EPERM}, {"EBADF", EBADF}, {"EINVAL", EINVAL},
};

/* failfs_symbol - the next definition of a symbol; abort without one */
static void *
failfs_symbol(const char *name)
{
	void   *sym = dlsym(RTLD_NEXT, name);

	if (sym == NULL)
		abort();			/* no write() to complain with */
	return (sym);
}

/* failfs_errno_value - "EIO" or "5" to an errno value; 0 when unknown */
static int
failfs_errno_value(const char *text)
{
	char   *end;
	long	value;
	size_t	i;

	for (i = 0; i < sizeof(failfs_errnos) / sizeof(failfs_errnos[0]); i++)
		if (strcmp(text, failfs_errnos[i].name) == 0)
			return (failfs_errnos[i].value);
	value = strtol(text, &end, 10);
	return (*text && *end == 0 && value > 0 && value < 4096 ? (int) value : 0);
}

/* failfs_base_name - argv[0] without its directory */
static const char *
failfs_base_name(void)
{
	const char *slash = strrchr(program_invocation_name, '/');

	return (slash ? slash + 1 : program_invocation_name);
}

/*
 * failfs_init - resolve the real functions, read the environment once.
 * It runs as a constructor, before the program can change its environment
 * (Postern's commands and daemons replace theirs early); the wrappers call
 * it as well in case one of them runs first.
 */
__attribute__((constructor)) static void
failfs_init(void)
{
	const char *value;
	char   *end;

	if (failfs_ready)
		return;
	real_write = (failfs_write_fn) failfs_symbol("write");
	real_pwrite = (failfs_pwrite_fn) failfs_symbol("pwrite");
	real_pwrite64 = (failfs_pwrite64_fn) failfs_symbol("pwrite64");
	real_writev = (failfs_writev_fn) failfs_symbol("writev");
	real_fsync = (failfs_sync_fn) failfs_symbol("fsync");
	real_fdatasync = (failfs_sync_fn) failfs_symbol("fdatasync");
	failfs_ready = 1;
	if ((value = getenv("FAILFS_PROG")) != NULL && *value
	    && strcmp(value, failfs_base_name()) != 0)
		return;
	if ((value = getenv("FAILFS_FSYNC")) != NULL && *value)
		failfs_fsync_errno = failfs_errno_value(value);
	if ((value = getenv("FAILFS_WRITE_AFTER")) != NULL && *value) {
		errno = 0;
		failfs_write_after = strtoll(value, &end, 10);
		if (*end != 0 || errno != 0 || failfs_write_after < 0)
			failfs_write_after = -1;
	}
	if ((value = getenv("FAILFS_WRITE_ERRNO")) != NULL && *value
	    && failfs_errno_value(value) != 0)
		failfs_write_errno = failfs_errno_value(value);
	if ((value = getenv("FAILFS_PATH")) != NULL && *value)
		failfs_path = value;
	if ((value = getenv("FAILFS_LOG")) != NULL && *value)
		failfs_log = value;
	failfs_active = failfs_fsync_errno != 0 || failfs_write_after >= 0;
}

/* failfs_fd_path - the path of a descriptor, or NULL */
static const char *
failfs_fd_path(int fd, char *path, size_t size)
{
	char	link[64];
	ssize_t	n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, size - 1)) <= 0)
		return (NULL);
	path[n] = 0;
	return (path);
}

/* failfs_match - is fd a file this process should fail? */
static int
failfs_match(int fd, int for_fsync, char *path, size_t size)
{
	struct stat st;
	int	saved_errno = errno;
	int	hit = 0;

	if (fstat(fd, &st) == 0
	    && (S_ISREG(st.st_mode) || (for_fsync && S_ISDIR(st.st_mode)))
	    && failfs_fd_path(fd, path, size) != NULL)
		hit = failfs_path == NULL || strstr(path, failfs_path) != NULL;
	errno = saved_errno;
	return (hit);
}

/* failfs_errno_name - the name of an errno value for the log */
static const char *
failfs_errno_name(int value)
{
	size_t	i;

	for (i = 0; i < sizeof(failfs_errnos) / sizeof(failfs_errnos[0]); i++)
		if (failfs_errnos[i].value == value)
			return (failfs_errnos[i].name);
	return ("errno");
}

/* failfs_note - one line in FAILFS_LOG about an injected fault */
static void
failfs_note(const char *call, int fd, const char *path, int error)
{
	char	line[FAILFS_PATH_MAX + 200];
	int	saved_errno = errno;
	int	log_fd, len;

	if (failfs_log == NULL)
		return;
	len = snprintf(line, sizeof(line), "failfs: pid %ld prog %s: %s fd %d %s: %s\n",
		       (long) getpid(), failfs_base_name(), call, fd, path,
		       failfs_errno_name(error));
	if (len > (int) sizeof(line) - 1)
		len = (int) sizeof(line) - 1;
	if ((log_fd = open(failfs_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666)) >= 0) {
		(void) real_write(log_fd, line, (size_t) len);
		(void) close(log_fd);
	}
	errno = saved_errno;
}

/* failfs_sync - fsync() and fdatasync() */
static int
failfs_sync(failfs_sync_fn real, const char *call, int fd)
{
	char	path[FAILFS_PATH_MAX];

	if (failfs_active && failfs_fsync_errno
	    && failfs_match(fd, FAILFS_FOR_FSYNC, path, sizeof(path))) {
		failfs_note(call, fd, path, failfs_fsync_errno);
		errno = failfs_fsync_errno;
		return (-1);
	}
	return (real(fd));
}

/* fsync - fails on matching files when FAILFS_FSYNC is set */
int
fsync(int fd)
{
	failfs_init();
	return (failfs_sync(real_fsync, "fsync", fd));
}

/* fdatasync - as fsync() */
int
fdatasync(int fd)
{
	failfs_init();
	return (failfs_sync(real_fdatasync, "fdatasync", fd));
}

/* failfs_room - bytes a write at offset may still put in the file */
static long long
failfs_room(int fd, long long offset, size_t len, const char *call,
	    const char *path)
{
	long long room = failfs_write_after - offset;

	if (room <= 0) {
		failfs_note(call, fd, path, failfs_write_errno);
		errno = failfs_write_errno;
		return (-1);
	}
	return ((unsigned long long) room < len ? room : (long long) len);
}

/* failfs_write_offset - where a write() on fd lands */
static long long
failfs_write_offset(int fd)
{
	struct stat st;
	int	flags = fcntl(fd, F_GETFL);

	if (flags >= 0 && (flags & O_APPEND) && fstat(fd, &st) == 0)
		return ((long long) st.st_size);
	return ((long long) lseek(fd, 0, SEEK_CUR));
}

/* failfs_limit - how much of a write at offset to let through; -1: fail */
static long long
failfs_limit(int fd, long long offset, size_t len, const char *call)
{
	char	path[FAILFS_PATH_MAX];
	int	saved_errno = errno;

	if (!failfs_active || failfs_write_after < 0 || len == 0
	    || !failfs_match(fd, FAILFS_FOR_WRITE, path, sizeof(path)))
		return ((long long) len);
	if (offset < 0)
		offset = failfs_write_offset(fd);
	errno = saved_errno;
	if (offset < 0)
		return ((long long) len);
	return (failfs_room(fd, offset, len, call, path));
}

/* write - stops matching files at FAILFS_WRITE_AFTER bytes */
ssize_t
write(int fd, const void *buf, size_t len)
{
	long long n;

	failfs_init();
	if ((n = failfs_limit(fd, -1, len, "write")) < 0)
		return (-1);
	return (real_write(fd, buf, (size_t) n));
}

/* pwrite - as write(), at an explicit offset */
ssize_t
pwrite(int fd, const void *buf, size_t len, off_t offset)
{
	long long n;

	failfs_init();
	if ((n = failfs_limit(fd, offset < 0 ? 0 : (long long) offset, len, "pwrite")) < 0)
		return (-1);
	return (real_pwrite(fd, buf, (size_t) n, offset));
}

/* pwrite64 - pwrite() of programs built with 64-bit file offsets */
ssize_t
pwrite64(int fd, const void *buf, size_t len, off64_t offset)
{
	long long n;

	failfs_init();
	if ((n = failfs_limit(fd, offset < 0 ? 0 : (long long) offset, len, "pwrite")) < 0)
		return (-1);
	return (real_pwrite64(fd, buf, (size_t) n, offset));
}

/* failfs_iov_total - the length of an I/O vector */
static size_t
failfs_iov_total(const struct iovec *iov, int count)
{
	size_t	total = 0;
	int	i;

	for (i = 0; i < count; i++)
		total += iov[i].iov_len;
	return (total);
}

/* writev - as write(), for a vector */
ssize_t
writev(int fd, const struct iovec *iov, int count)
{
	size_t	total;
	long long n;

	failfs_init();
	if (count <= 0 || iov == NULL)
		return (real_writev(fd, iov, count));
	total = failfs_iov_total(iov, count);
	if ((n = failfs_limit(fd, -1, total, "writev")) < 0)
		return (-1);
	if ((size_t) n == total)
		return (real_writev(fd, iov, count));
	/* A short write at the limit: the first n bytes of the first piece that fits. */
	if ((size_t) n > iov[0].iov_len)
		n = (long long) iov[0].iov_len;
	return (real_write(fd, iov[0].iov_base, (size_t) n));
}
