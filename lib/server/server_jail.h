/*
 * NAME
 *	server_jail - logging set-up, chroot and privilege drop for daemons
 * SYNOPSIS
 *	#include <server/server_jail.h>
 *
 *	void	server_jail_logging(struct server *srv);
 *	void	server_jail_enter(struct server *srv);
 *	int	server_jail_lookup(const char *user, uid_t *uid, gid_t *gid,
 *			struct buf *why);
 * DESCRIPTION
 *	server_jail_logging() points logging where it belongs, from the
 *	current parameters: syslog_name and myhostname for the line
 *	prefix; maillog_file when set; long lines on standard error when
 *	master runs in the foreground (MASTER_ENV_LOG_STDERR); else syslog.
 *	It can be called again after overrides changed those parameters.
 *
 *	server_jail_enter() is the one place where a daemon gives up
 *	privileges. When the process runs as root: unless master said to
 *	keep root (-u), look up mail_owner and initialise its groups; then
 *	chroot to queue_directory if master.cf says so (-r); then set the
 *	group and user IDs to mail_owner's and make sure root cannot be
 *	regained. Not running as root: nothing to do (an instance started
 *	by an ordinary user runs as that user, without chroot).
 *
 *	server_jail_lookup() finds a user's IDs; it returns 0, or -1 with
 *	a reason in why for an unknown user or one with user ID 0.
 * DIAGNOSTICS
 *	Every failure of server_jail_enter() is fatal.
 */
#ifndef POSTERN_SERVER_JAIL_H
#define POSTERN_SERVER_JAIL_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <server/server_private.h>

void	server_jail_logging(struct server *srv);
void	server_jail_enter(struct server *srv);
int	server_jail_lookup(const char *user, uid_t *uid, gid_t *gid, struct buf *why);

#endif
