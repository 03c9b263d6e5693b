/*
 * NAME
 *	mail_trigger - wake up a service, connect to a service
 * DESCRIPTION
 *	See mail_trigger.h.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <util/buf.h>
#include <util/iostuff.h>
#include <global/params.h>
#include <global/mail_trigger.h>

/* mail_in_queue_dir - is the current directory queue_directory? */
static int
mail_in_queue_dir(void)
{
	struct stat here;
	struct stat queue;

	if (var_queue_directory == 0 || *var_queue_directory != '/')
		return (1);
	if (stat(var_queue_directory, &queue) < 0)
		return (1);			/* chrooted: it is "/" now */
	if (stat(".", &here) < 0)
		return (0);
	return (here.st_dev == queue.st_dev && here.st_ino == queue.st_ino);
}

/* mail_service_path - path of a service socket */
const char *
mail_service_path(struct buf *path, const char *class_dir, const char *service)
{
	if (mail_in_queue_dir())
		buf_printf(path, "%s/%s", class_dir, service);
	else
		buf_printf(path, "%s/%s/%s", var_queue_directory, class_dir, service);
	return (buf_str(path));
}

/* mail_trigger_timeout - trigger_timeout as an int of seconds */
static int
mail_trigger_timeout(void)
{
	if (var_trigger_timeout <= 0)
		return (10);
	return (var_trigger_timeout > 3600 ? 3600 : (int) var_trigger_timeout);
}

/* mail_dgram_trigger - send the request as one datagram */
static int
mail_dgram_trigger(const char *path, const char *buf, size_t len)
{
	struct sockaddr_un sun;
	int	fd;
	ssize_t	n;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return (-1);
	n = sendto(fd, buf, len, 0, (struct sockaddr *) &sun, sizeof(sun));
	close(fd);
	return (n == (ssize_t) len ? 0 : -1);
}

/* mail_trigger - send a wake-up request to a service */
int
mail_trigger(const char *class_dir, const char *service, const char *buf,
	     size_t len)
{
	struct buf *path = buf_new(100);
	struct stat st;
	int	status;

	mail_service_path(path, class_dir, service);
	if (stat(buf_str(path), &st) < 0) {
		status = -1;
	} else if (S_ISFIFO(st.st_mode)) {
		status = fifo_trigger(buf_str(path), buf, len, mail_trigger_timeout());
	} else if (S_ISSOCK(st.st_mode)) {
		status = unix_trigger(buf_str(path), buf, len, mail_trigger_timeout());
		if (status < 0 && errno == EPROTOTYPE)
			status = mail_dgram_trigger(buf_str(path), buf, len);
	} else {
		errno = ENOTSOCK;
		status = -1;
	}
	buf_free(path);
	return (status);
}

/* mail_connect - connect to a service's stream socket */
int
mail_connect(const char *class_dir, const char *service, long timeout_s)
{
	struct buf *path = buf_new(100);
	int	fd;
	int	saved_errno;

	if (timeout_s < 0)
		timeout_s = 0;
	if (timeout_s > 86400)
		timeout_s = 86400;
	fd = unix_connect(mail_service_path(path, class_dir, service), 1, (int) timeout_s);
	saved_errno = errno;
	buf_free(path);
	errno = saved_errno;
	return (fd);
}
