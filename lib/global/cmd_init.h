/*
 * NAME
 *	cmd_init - common start-up of Postern commands
 * SYNOPSIS
 *	#include <global/cmd_init.h>
 *
 *	void	cmd_init(const char *argv0, const char *config_dir);
 *	const char *config_dir_resolve(const char *config_dir);
 *	void	cmd_clean_env(const char *keep_list);
 *	void	cmd_fix_fds(void);
 *	int	cmd_exe_dirs(struct buf *daemon_dir, struct buf *command_dir);
 * DESCRIPTION
 *	cmd_init() is what every command (sendmail, postqueue, postsuper,
 *	postconf, ...) does before anything else: make sure file
 *	descriptors 0, 1 and 2 are open (on /dev/null if not), start logging
 *	as argv0 (short "program: warning: text" lines on stderr), pick the
 *	configuration directory with config_dir_resolve(), load main.cf
 *	(fatal with the reason on error), export MAIL_CONFIG for programs it
 *	starts, replace the environment by the names in import_environment
 *	(plus the sanitizer option variables and a fixed PATH), set the
 *	syslog name and host name for log lines, and logs also to
 *	maillog_file when that is set (a warning when it cannot be opened),
 *	else to syslog. A set-uid or set-gid program
 *	may only use a configuration directory other than the default when
 *	the default main.cf lists it in alternate_config_directories (a
 *	caller whose real user is root is trusted).
 *
 *	config_dir_resolve() returns config_dir when it is not NULL (the -c
 *	option), else $MAIL_CONFIG when set and not empty, else
 *	DEF_CONFIG_DIR.
 *
 *	cmd_clean_env() replaces the environment by the names in keep_list
 *	(white space or comma separated; "NAME=value" sets a value), keeping
 *	also ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS so sanitizer
 *	builds report from every process, and sets PATH to a fixed safe
 *	value. cmd_fix_fds() opens /dev/null on closed descriptors 0-2.
 *
 *	cmd_exe_dirs() computes the defaults of daemon_directory and
 *	command_directory from the running program (/proc/self/exe): for a
 *	program in a bin/ or sbin/ directory, the command directory is that
 *	directory and the daemon directory is the libexec/postern/ beside it
 *	when that exists, else libexec/; for a program anywhere else (a
 *	daemon in libexec/), the daemon directory is its own directory and
 *	the command directory the bin/ beside it. It returns -1 when the
 *	program's path cannot be found.
 * DIAGNOSTICS
 *	cmd_init() exits through msg_fatal() when main.cf cannot be loaded or
 *	the configuration directory is not allowed.
 * SEE ALSO
 *	params(3), msg(3)
 */
#ifndef POSTERN_CMD_INIT_H
#define POSTERN_CMD_INIT_H

#include <util/sys_defs.h>
#include <util/buf.h>

void	cmd_init(const char *argv0, const char *config_dir);
const char *config_dir_resolve(const char *config_dir);
void	cmd_clean_env(const char *keep_list);
void	cmd_fix_fds(void);
int	cmd_exe_dirs(struct buf *daemon_dir, struct buf *command_dir);

#endif
