/*
 * NAME
 *	cmd_init - common start-up of Postern commands
 * SYNOPSIS
 *	#include <global/cmd_init.h>
 * DESCRIPTION
 *	See cmd_init.h.
 * SECURITY
 *	Set-id programs (postdrop) get a clean environment and may not be
 *	pointed at an arbitrary configuration directory.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/params.h>
#include <global/cmd_init.h>

#define CMD_SAFE_PATH	"/usr/bin:/bin:/usr/sbin:/sbin"

/* Variables kept in every environment: sanitizer reports. */
static const char *const cmd_keep_always[] = {
	"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
};

/* config_dir_resolve - -c argument, $MAIL_CONFIG or the default */
const char *
config_dir_resolve(const char *config_dir)
{
	const char *env;

	if (config_dir != NULL && *config_dir)
		return (config_dir);
	if ((env = getenv("MAIL_CONFIG")) != NULL && *env)
		return (env);
	return (DEF_CONFIG_DIR);
}

/* cmd_fix_fds - make sure descriptors 0, 1 and 2 are open */
void
cmd_fix_fds(void)
{
	int	fd;

	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			abort();		/* no logging possible yet */
	}
}

/* keep_var - remember NAME=value from the old environment */
static void
keep_var(struct argv *keep, const char *item)
{
	const char *value;
	struct buf *bp;

	if (strchr(item, '=') != NULL) {
		argv_add(keep, item);
		return;
	}
	if ((value = getenv(item)) == NULL)
		return;
	bp = buf_new(64);
	buf_printf(bp, "%s=%s", item, value);
	argv_add(keep, buf_str(bp));
	buf_free(bp);
}

/* cmd_clean_env - replace the environment by a short list */
void
cmd_clean_env(const char *keep_list)
{
	struct argv *names = argv_split(keep_list ? keep_list : "", ", \t\r\n");
	struct argv *keep = argv_new(16);
	char   *eq;
	size_t	i;

	for (i = 0; i < names->argc; i++)
		keep_var(keep, names->argv[i]);
	for (i = 0; i < ARRAY_LEN(cmd_keep_always); i++)
		keep_var(keep, cmd_keep_always[i]);
	if (clearenv() != 0)
		msg_fatal("cannot clear the environment");
	for (i = 0; i < keep->argc; i++) {
		eq = strchr(keep->argv[i], '=');
		*eq = 0;
		if (setenv(keep->argv[i], eq + 1, 1) < 0)
			msg_fatal("setenv %s: %m", keep->argv[i]);
	}
	if (setenv("PATH", CMD_SAFE_PATH, 1) < 0)
		msg_fatal("setenv PATH: %m");
	argv_free(names);
	argv_free(keep);
}

/* is_dir - whether a path is a directory */
static int
is_dir(const char *path)
{
	struct stat st;

	return (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

/* cut_last - cut a path at its last slash; return the last component */
static const char *
cut_last(char *path)
{
	char   *slash = strrchr(path, '/');

	if (slash == NULL)
		return (path);
	*slash = 0;
	return (slash + 1);
}

/* cmd_exe_dirs - daemon and command directories beside this program */
int
cmd_exe_dirs(struct buf *daemon_dir, struct buf *command_dir)
{
	char	exe[4096], parent[4096];
	const char *base;
	ssize_t	n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return (-1);
	exe[n] = 0;
	(void) cut_last(exe);			/* exe: .../bin */
	snprintf(parent, sizeof(parent), "%s", exe);
	base = cut_last(parent);		/* parent: ..., base: bin */
	if (strcmp(base, "bin") == 0 || strcmp(base, "sbin") == 0) {
		buf_cpy(command_dir, exe);
		buf_printf(daemon_dir, "%s/libexec/postern", parent);
		if (!is_dir(buf_str(daemon_dir)))
			buf_printf(daemon_dir, "%s/libexec", parent);
		return (0);
	}
	buf_cpy(daemon_dir, exe);
	if (strcmp(base, "postern") == 0 && strrchr(parent, '/') != NULL
	    && strcmp(strrchr(parent, '/'), "/libexec") == 0)
		(void) cut_last(parent);	/* .../libexec/postern */
	buf_printf(command_dir, "%s/bin", parent);
	return (0);
}

/* cmd_check_alternate - set-id programs only use listed directories */
static void
cmd_check_alternate(const char *config_dir)
{
	struct buf *why;
	struct argv *list;
	size_t	i;
	int	allowed = 0;

	if (getuid() == 0 || (getuid() == geteuid() && getgid() == getegid()))
		return;				/* root and ordinary programs */
	if (strcmp(config_dir, DEF_CONFIG_DIR) == 0)
		return;
	why = buf_new(100);
	if (params_load(DEF_CONFIG_DIR, why) < 0)
		msg_fatal("%s", buf_str(why));
	list = argv_split(var_alternate_config_directories, ", \t\r\n");
	for (i = 0; i < list->argc; i++)
		if (strcmp(list->argv[i], config_dir) == 0)
			allowed = 1;
	argv_free(list);
	buf_free(why);
	if (!allowed)
		msg_fatal("%s: configuration directory not listed in "
			  "alternate_config_directories of %s/main.cf",
			  config_dir, DEF_CONFIG_DIR);
}

/* cmd_init - what every command does first */
void
cmd_init(const char *argv0, const char *config_dir)
{
	struct buf *why = buf_new(100);
	char	reason[1000];
	char   *dir;

	cmd_fix_fds();
	msg_init(argv0);
	msg_to_stderr(MSG_STDERR_SHORT);
	dir = xstrdup(config_dir_resolve(config_dir));
	cmd_check_alternate(dir);
	if (params_load(dir, why) < 0) {
		snprintf(reason, sizeof(reason), "%s", buf_str(why));
		buf_free(why);
		free(dir);
		msg_fatal("%s", reason);
	}
	if (setenv("MAIL_CONFIG", dir, 1) < 0)
		msg_fatal("setenv MAIL_CONFIG: %m");
	cmd_clean_env(var_import_environment);
	msg_set_syslog_name(var_syslog_name);
	msg_set_hostname(var_myhostname);
	if (*var_maillog_file == 0)
		msg_to_syslog();
	else if (msg_to_file(var_maillog_file) < 0)
		msg_warn("cannot open maillog_file %s: %m", var_maillog_file);
	free(dir);
	buf_free(why);
}
