/*
 * NAME
 *	mail_flow - in_flow_delay tokens
 * DESCRIPTION
 *	See mail_flow.h. A token is one byte of value 'T'; the value means
 *	nothing, only the count does. Before using a descriptor the module
 *	checks that it is a pipe, so a command that happens to have
 *	descriptor 3 open on something else never reads from it.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <util/iostuff.h>
#include <global/mail_flow.h>

/* mail_flow_fd_ok - is fd an end of a pipe? */
static int
mail_flow_fd_ok(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		errno = EBADF;
		return (0);
	}
	return (1);
}

/* mail_flow_get - take up to count tokens, no waiting */
ssize_t
mail_flow_get(ssize_t count)
{
	char	tokens[MAIL_FLOW_MAX];
	ssize_t	n;

	if (count <= 0) {
		errno = EINVAL;
		return (-1);
	}
	if (count > MAIL_FLOW_MAX)
		count = MAIL_FLOW_MAX;
	if (!mail_flow_fd_ok(MAIL_FLOW_READ_FD))
		return (-1);
	do {
		n = read(MAIL_FLOW_READ_FD, tokens, (size_t) count);
	} while (n < 0 && errno == EINTR);
	if (n == 0) {
		errno = EAGAIN;
		return (-1);
	}
	return (n);
}

/* mail_flow_put - add count tokens */
ssize_t
mail_flow_put(ssize_t count)
{
	char	tokens[MAIL_FLOW_MAX];
	ssize_t	n;
	ssize_t	done = 0;

	if (count <= 0) {
		errno = EINVAL;
		return (-1);
	}
	if (!mail_flow_fd_ok(MAIL_FLOW_WRITE_FD))
		return (-1);
	memset(tokens, 'T', sizeof(tokens));
	while (done < count) {
		n = count - done > MAIL_FLOW_MAX ? MAIL_FLOW_MAX : count - done;
		n = write(MAIL_FLOW_WRITE_FD, tokens, (size_t) n);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		done += n;
	}
	return (count);
}

/* mail_flow_count - tokens waiting in the pipe */
ssize_t
mail_flow_count(void)
{
	int	count;

	if (!mail_flow_fd_ok(MAIL_FLOW_READ_FD))
		return (-1);
	if (ioctl(MAIL_FLOW_READ_FD, FIONREAD, &count) < 0)
		return (-1);
	return (count);
}

/* mail_flow_now_ms - monotonic milliseconds */
static int64_t
mail_flow_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* mail_flow_wait - wait at most timeout_ms for one token */
int
mail_flow_wait(long timeout_ms)
{
	int64_t	deadline = mail_flow_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int64_t	left;

	if (!mail_flow_fd_ok(MAIL_FLOW_READ_FD))
		return (-1);
	for (;;) {
		if (mail_flow_get(1) == 1)
			return (0);
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return (-1);
		left = deadline - mail_flow_now_ms();
		if (left <= 0)
			break;
		/* Another process may take the token first: loop. */
		if (read_wait(MAIL_FLOW_READ_FD, (long) left) < 0 && errno != ETIMEDOUT)
			return (-1);
	}
	errno = ETIMEDOUT;
	return (-1);
}
