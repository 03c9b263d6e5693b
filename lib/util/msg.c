/*
 * NAME
 *	msg - diagnostics in Postfix's log line shape
 * DESCRIPTION
 *	See msg.h. Formatting happens once per call into a static buffer of
 *	fixed size, so logging works even when memory is exhausted; longer
 *	text is truncated.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <util/msg.h>

#define MSG_TEXT_MAX	4000

int	msg_verbose;

static char msg_prog[64] = "postern";
static char msg_syslog_name[64] = "postern";
static char msg_host[256];
static int msg_file_fd = -1;
static int msg_use_syslog;
static enum msg_stderr_style msg_stderr = MSG_STDERR_SHORT;
static msg_capture_fn msg_capture;
static void *msg_capture_ctx;
static msg_exit_fn msg_exit_hook;
static void (*msg_cleanup)(void);

static const char *const msg_prefix[] = {
	"", "warning: ", "error: ", "fatal: ", "panic: ",
};

/* msg_copy_name - bounded copy of a name */
static void
msg_copy_name(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

/* msg_init - set the program name, log to stderr in short form */
void
msg_init(const char *progname)
{
	const char *slash = strrchr(progname, '/');

	msg_copy_name(msg_prog, sizeof(msg_prog), slash ? slash + 1 : progname);
	msg_stderr = MSG_STDERR_SHORT;
}

/* msg_progname - the program name as logged */
const char *
msg_progname(void)
{
	return (msg_prog);
}

/* msg_set_syslog_name - set the first half of "postern/smtpd" */
void
msg_set_syslog_name(const char *name)
{
	msg_copy_name(msg_syslog_name, sizeof(msg_syslog_name), name);
	if (msg_use_syslog) {
		closelog();
		openlog(msg_syslog_name, LOG_PID | LOG_NDELAY, LOG_MAIL);
	}
}

/* msg_set_hostname - set the host shown in log lines */
void
msg_set_hostname(const char *host)
{
	const char *dot = strchr(host, '.');
	size_t	len = dot ? (size_t) (dot - host) : strlen(host);

	if (len >= sizeof(msg_host))
		len = sizeof(msg_host) - 1;
	memcpy(msg_host, host, len);
	msg_host[len] = 0;
}

/* msg_to_file - append log lines to a file; -1 with errno on failure */
int
msg_to_file(const char *path)
{
	int	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return (-1);
	if (msg_file_fd >= 0)
		close(msg_file_fd);
	msg_file_fd = fd;
	return (0);
}

/* msg_to_syslog - also log to syslog(3), facility mail */
void
msg_to_syslog(void)
{
	openlog(msg_syslog_name, LOG_PID | LOG_NDELAY, LOG_MAIL);
	msg_use_syslog = 1;
}

/* msg_to_stderr - choose the stderr form */
void
msg_to_stderr(enum msg_stderr_style style)
{
	msg_stderr = style;
}

/* msg_set_capture - also hand each line to a callback */
void
msg_set_capture(msg_capture_fn fn, void *ctx)
{
	msg_capture = fn;
	msg_capture_ctx = ctx;
}

/* msg_set_exit_hook - replace exit() for fatal errors (tests) */
void
msg_set_exit_hook(msg_exit_fn fn)
{
	msg_exit_hook = fn;
}

/* msg_set_cleanup - run before a fatal exit */
void
msg_set_cleanup(void (*fn)(void))
{
	msg_cleanup = fn;
}

/* msg_long_line - format "Mon DD HH:MM:SS host name/prog[pid]: " */
static size_t
msg_long_line(char *out, size_t size)
{
	time_t	now = time(NULL);
	struct tm tm;
	size_t	n;
	int	m;

	if (msg_host[0] == 0) {
		char	host[256];

		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = 0;
		msg_set_hostname(host);
	}
	localtime_r(&now, &tm);
	n = strftime(out, size, "%b %e %H:%M:%S", &tm);
	m = snprintf(out + n, size - n, " %s %s/%s[%ld]: ", msg_host,
		     msg_syslog_name, msg_prog, (long) getpid());
	return (n + (m > 0 ? (size_t) m : 0));
}

/* msg_sanitize - replace control characters */
static void
msg_sanitize(char *text)
{
	unsigned char *cp;

	for (cp = (unsigned char *) text; *cp; cp++)
		if ((*cp < 0x20 && *cp != '\t') || *cp == 0x7f)
			*cp = '?';
}

/* msg_write - write all of a line, ignoring errors */
static void
msg_write(int fd, const char *data, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		data += n;
		len -= (size_t) n;
	}
}

/* msg_emit - send one formatted text to every sink */
static void
msg_emit(enum msg_level level, const char *text)
{
	static const int prio[] = {LOG_INFO, LOG_WARNING, LOG_ERR, LOG_CRIT, LOG_CRIT};
	char	line[MSG_TEXT_MAX + 512];
	size_t	head;
	int	len;

	if (msg_file_fd >= 0 || msg_stderr == MSG_STDERR_LONG) {
		head = msg_long_line(line, sizeof(line));
		len = snprintf(line + head, sizeof(line) - head, "%s%s\n",
			       msg_prefix[level], text);
		len = len < 0 ? 0 : (int) strnlen(line, sizeof(line));
		if (msg_file_fd >= 0)
			msg_write(msg_file_fd, line, (size_t) len);
		if (msg_stderr == MSG_STDERR_LONG)
			msg_write(STDERR_FILENO, line, (size_t) len);
	}
	if (msg_stderr == MSG_STDERR_SHORT) {
		len = snprintf(line, sizeof(line), "%s: %s%s\n", msg_prog,
			       msg_prefix[level], text);
		msg_write(STDERR_FILENO, line, strnlen(line, sizeof(line)));
	}
	if (msg_use_syslog)
		syslog(prio[level], "%s%s", msg_prefix[level], text);
	if (msg_capture)
		msg_capture(level, text, msg_capture_ctx);
}

/* msg_vlog - format and emit at a level */
void
msg_vlog(enum msg_level level, const char *fmt, va_list ap)
{
	char	text[MSG_TEXT_MAX];
	int	saved_errno = errno;

	errno = saved_errno;
	vsnprintf(text, sizeof(text), fmt, ap);
	msg_sanitize(text);
	msg_emit(level, text);
	errno = saved_errno;
}

/* msg_info - informational line */
void
msg_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vlog(MSG_INFO, fmt, ap);
	va_end(ap);
}

/* msg_warn - warning line */
void
msg_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vlog(MSG_WARN, fmt, ap);
	va_end(ap);
}

/* msg_error - error line */
void
msg_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vlog(MSG_ERROR, fmt, ap);
	va_end(ap);
}

/* msg_exit - leave after a fatal error */
static NORETURN void
msg_exit(int status)
{
	static int in_cleanup;

	if (msg_cleanup && !in_cleanup) {
		in_cleanup = 1;
		msg_cleanup();
	}
	if (msg_exit_hook)
		msg_exit_hook(status);
	exit(status);
}

/* msg_fatal - log and exit with status 1 */
void
msg_fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vlog(MSG_FATAL, fmt, ap);
	va_end(ap);
	msg_exit(1);
}

/* msg_fatal_status - log and exit with a given status */
void
msg_fatal_status(int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vlog(MSG_FATAL, fmt, ap);
	va_end(ap);
	msg_exit(status);
}

/* msg_panic - log and abort for a core dump */
void
msg_panic(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	msg_vlog(MSG_PANIC, fmt, ap);
	va_end(ap);
	if (msg_exit_hook)
		msg_exit_hook(2);
	abort();
}

/* msg_debug - log when verbose enough */
void
msg_debug(int level, const char *fmt, ...)
{
	va_list	ap;

	if (msg_verbose < level)
		return;
	va_start(ap, fmt);
	msg_vlog(MSG_INFO, fmt, ap);
	va_end(ap);
}
