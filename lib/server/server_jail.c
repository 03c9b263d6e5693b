/*
 * NAME
 *	server_jail - logging set-up, chroot and privilege drop for daemons
 * DESCRIPTION
 *	See server_jail.h. The order matters: the group list is read from
 *	/etc/group before chroot (it is not there afterwards), the group ID
 *	is set before the user ID (afterwards it can no longer be changed).
 */
#include <util/sys_defs.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/params.h>
#include <server/server_jail.h>

/* server_jail_logging - choose the log sinks */
void
server_jail_logging(struct server *srv)
{
	int	to_file = 0;

	msg_set_syslog_name(var_syslog_name);
	if (var_myhostname && *var_myhostname)
		msg_set_hostname(var_myhostname);
	if (var_maillog_file && *var_maillog_file) {
		if (msg_to_file(var_maillog_file) == 0)
			to_file = 1;
		else
			msg_warn("cannot open maillog_file %s: %m", var_maillog_file);
	}
	if (getenv(MASTER_ENV_LOG_STDERR) != NULL) {
		msg_to_stderr(MSG_STDERR_LONG);
		return;
	}
	if (!srv->args.standalone)
		msg_to_stderr(MSG_STDERR_OFF);
	if (!to_file)
		msg_to_syslog();
}

/* server_jail_lookup - user name to IDs, refusing root */
int
server_jail_lookup(const char *user, uid_t *uid, gid_t *gid, struct buf *why)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		buf_printf(why, "file %s: parameter mail_owner: unknown user name value: %s",
			   params_config_file(), user);
		return (-1);
	}
	if (pw->pw_uid == 0) {
		buf_printf(why, "file %s: parameter mail_owner: user %s has privileged user ID: 0",
			   params_config_file(), user);
		return (-1);
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return (0);
}

/* server_jail_ids - become uid/gid for good */
static void
server_jail_ids(uid_t uid, gid_t gid)
{
	if (setgid(gid) < 0)
		msg_fatal("setgid(%ld): %m", (long) gid);
	if (setuid(uid) < 0)
		msg_fatal("setuid(%ld): %m", (long) uid);
	if (setuid(0) == 0 || geteuid() == 0)
		msg_panic("could regain root privileges after setuid(%ld)", (long) uid);
}

/* server_jail_enter - chroot and drop privileges as master.cf says */
void
server_jail_enter(struct server *srv)
{
	struct buf *why;
	uid_t	uid = 0;
	gid_t	gid = 0;
	int	drop = !srv->args.keep_root;

	if (geteuid() != 0)
		return;
	if (drop) {
		why = buf_new(100);
		if (server_jail_lookup(var_mail_owner, &uid, &gid, why) < 0)
			msg_fatal("%s", buf_str(why));
		buf_free(why);
		if (initgroups(var_mail_owner, gid) < 0)
			msg_fatal("initgroups %s: %m", var_mail_owner);
	}
	if (srv->args.chroot) {
		if (chroot(var_queue_directory) < 0)
			msg_fatal("chroot %s: %m", var_queue_directory);
		if (chdir("/") < 0)
			msg_fatal("chdir / in %s: %m", var_queue_directory);
		msg_debug(1, "chroot %s", var_queue_directory);
	}
	if (drop)
		server_jail_ids(uid, gid);
}
