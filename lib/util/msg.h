/*
 * NAME
 *	msg - diagnostics in Postfix's log line shape
 * SYNOPSIS
 *	#include <util/msg.h>
 *
 *	extern int msg_verbose;
 *
 *	void	msg_init(const char *progname);
 *	void	msg_set_syslog_name(const char *name);
 *	void	msg_set_hostname(const char *host);
 *	int	msg_to_file(const char *path);
 *	void	msg_to_syslog(void);
 *	void	msg_to_stderr(int style);
 *	void	msg_set_capture(msg_capture_fn fn, void *ctx);
 *	void	msg_set_exit_hook(msg_exit_fn fn);
 *	void	msg_set_cleanup(void (*fn)(void));
 *
 *	void	msg_info(const char *fmt, ...);
 *	void	msg_warn(const char *fmt, ...);
 *	void	msg_error(const char *fmt, ...);
 *	void	msg_fatal(const char *fmt, ...);
 *	void	msg_fatal_status(int status, const char *fmt, ...);
 *	void	msg_panic(const char *fmt, ...);
 *	void	msg_debug(int level, const char *fmt, ...);
 * DESCRIPTION
 *	Every Postern program logs through these functions. A log line has
 *	Postfix's shape:
 *
 *	    Mon DD HH:MM:SS host syslog_name/program[pid]: text
 *
 *	where text is prefixed by "warning: ", "error: ", "fatal: " or
 *	"panic: " for those levels. Control characters in text become '?'.
 *	glibc's %m (strerror(errno)) works in every format.
 *
 *	Sinks can be combined: msg_to_file() appends lines to a file (the
 *	maillog_file parameter; one write() per line, O_APPEND), msg_to_syslog()
 *	sends to syslog(3) with facility mail, and msg_to_stderr() writes to
 *	standard error, either the full line (MSG_STDERR_LONG, for master in
 *	the foreground) or the short command form "program: warning: text"
 *	(MSG_STDERR_SHORT), or turns stderr off (MSG_STDERR_OFF). msg_init()
 *	sets the program name (a path is reduced to its last component) and
 *	enables short stderr output.
 *
 *	msg_set_capture() hands every line (level, text without prefix) to a
 *	callback as well; tests use it to assert on log lines.
 *
 *	msg_fatal() runs the cleanup function, then exits with status 1 (or
 *	the given status); msg_panic() aborts for a core dump. A test may
 *	install an exit hook that is called instead of exit() and may
 *	longjmp() out.
 *
 *	msg_debug() logs only when msg_verbose >= level.
 */
#ifndef POSTERN_MSG_H
#define POSTERN_MSG_H

#include <util/sys_defs.h>

enum msg_level {
	MSG_INFO, MSG_WARN, MSG_ERROR, MSG_FATAL, MSG_PANIC,
};

enum msg_stderr_style {
	MSG_STDERR_OFF, MSG_STDERR_SHORT, MSG_STDERR_LONG,
};

typedef void (*msg_capture_fn)(enum msg_level level, const char *text, void *ctx);
typedef void (*msg_exit_fn)(int status);

extern int msg_verbose;

void	msg_init(const char *progname);
const char *msg_progname(void);
void	msg_set_syslog_name(const char *name);
void	msg_set_hostname(const char *host);
int	msg_to_file(const char *path);
void	msg_to_syslog(void);
void	msg_to_stderr(enum msg_stderr_style style);
void	msg_set_capture(msg_capture_fn fn, void *ctx);
void	msg_set_exit_hook(msg_exit_fn fn);
void	msg_set_cleanup(void (*fn)(void));

void	msg_vlog(enum msg_level level, const char *fmt, va_list ap) PRINTFLIKE(2, 0);
void	msg_info(const char *fmt, ...) PRINTFLIKE(1, 2);
void	msg_warn(const char *fmt, ...) PRINTFLIKE(1, 2);
void	msg_error(const char *fmt, ...) PRINTFLIKE(1, 2);
NORETURN void msg_fatal(const char *fmt, ...) PRINTFLIKE(1, 2);
NORETURN void msg_fatal_status(int status, const char *fmt, ...) PRINTFLIKE(2, 3);
NORETURN void msg_panic(const char *fmt, ...) PRINTFLIKE(1, 2);
void	msg_debug(int level, const char *fmt, ...) PRINTFLIKE(2, 3);

#endif
