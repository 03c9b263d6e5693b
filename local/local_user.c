/*
 * NAME
 *	local_user - passwd lookups and delivery privileges
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_user_init(void);
 *	int	local_is_privileged(void);
 *	int	local_user_lookup(const char *name, struct local_user *user);
 *	int	local_user_by_uid(uid_t uid, struct local_user *user);
 *	void	local_user_free(struct local_user *user);
 *	void	local_user_copy(struct local_user *dst,
 *			const struct local_user *src);
 *	int	local_user_running(struct local_user *user);
 *	int	local_user_privs_for(const struct local_user *owner,
 *			struct local_user *out);
 *	int	local_priv_enter(const struct local_user *user);
 *	void	local_priv_leave(void);
 * DESCRIPTION
 *	local(8) runs as root (master.cf "unpriv n") so that it can write
 *	as each recipient; started by an ordinary user (a test or
 *	development instance) it delivers everything as that user.
 *
 *	local_user_init() notes which case applies; local_is_privileged()
 *	tells. local_user_lookup() and local_user_by_uid() fill user from
 *	the passwd database; they return 0, or -1 with errno 0 for an
 *	unknown user and errno set for a lookup failure (the caller must
 *	defer). local_user_running() describes the running user.
 *
 *	local_user_privs_for() gives the identity for deliveries to files
 *	and commands on behalf of owner: owner itself, except that root is
 *	replaced by default_privs, as Postfix does; without privileges it
 *	is always the running user.
 *
 *	local_priv_enter() switches the effective user, group and group
 *	list to user (the real IDs stay root, so local_priv_leave() can
 *	switch back, as Postfix's set_eugid()); both do nothing when the
 *	process is not privileged. Commands are run by a child that
 *	changes all its IDs for good (local_command.c).
 * DIAGNOSTICS
 *	local_priv_leave() panics when it cannot regain root: continuing
 *	with a recipient's identity would deliver the next message wrongly.
 */
#include <util/sys_defs.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <global/params.h>

#include "local.h"

static int local_privileged;		/* effective root at start */
static gid_t local_saved_gid;		/* group to return to */

/* local_user_init - remember how we run */
int
local_user_init(void)
{
	local_privileged = (geteuid() == 0);
	local_saved_gid = getegid();
	return (0);
}

/* local_is_privileged - root at start */
int
local_is_privileged(void)
{
	return (local_privileged);
}

/* local_user_fill - a struct local_user from a passwd entry */
static void
local_user_fill(struct local_user *user, const struct passwd *pw)
{
	user->name = xstrdup(pw->pw_name);
	user->uid = pw->pw_uid;
	user->gid = pw->pw_gid;
	user->home = xstrdup(pw->pw_dir ? pw->pw_dir : "/");
	user->shell = xstrdup(pw->pw_shell ? pw->pw_shell : "");
}

/* local_user_lookup - passwd entry by name */
int
local_user_lookup(const char *name, struct local_user *user)
{
	struct passwd *pw;

	memset(user, 0, sizeof(*user));
	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		/* glibc reports "not found" with one of these, or none. */
		if (errno == ENOENT || errno == ESRCH || errno == EBADF || errno == EPERM)
			errno = 0;
		return (-1);
	}
	local_user_fill(user, pw);
	return (0);
}

/* local_user_by_uid - passwd entry by user ID */
int
local_user_by_uid(uid_t uid, struct local_user *user)
{
	struct passwd *pw;

	memset(user, 0, sizeof(*user));
	errno = 0;
	if ((pw = getpwuid(uid)) == NULL) {
		if (errno == ENOENT || errno == ESRCH || errno == EBADF || errno == EPERM)
			errno = 0;
		return (-1);
	}
	local_user_fill(user, pw);
	return (0);
}

/* local_user_free - release strings */
void
local_user_free(struct local_user *user)
{
	free(user->name);
	free(user->home);
	free(user->shell);
	memset(user, 0, sizeof(*user));
}

/* local_user_copy - deep copy */
void
local_user_copy(struct local_user *dst, const struct local_user *src)
{
	dst->name = xstrdup(src->name);
	dst->uid = src->uid;
	dst->gid = src->gid;
	dst->home = xstrdup(src->home);
	dst->shell = xstrdup(src->shell);
}

/* local_user_running - the identity of this process */
int
local_user_running(struct local_user *user)
{
	if (local_user_by_uid(geteuid(), user) == 0)
		return (0);
	/* A user without a passwd entry (containers): make one up. */
	user->name = xstrdup("unknown");
	user->uid = geteuid();
	user->gid = getegid();
	user->home = xstrdup("/");
	user->shell = xstrdup("");
	return (0);
}

/* local_user_privs_for - identity for files and commands of owner */
int
local_user_privs_for(const struct local_user *owner, struct local_user *out)
{
	if (!local_privileged)
		return (local_user_running(out));
	if (owner->uid != 0) {
		local_user_copy(out, owner);
		return (0);
	}
	if (local_user_lookup(var_default_privs, out) < 0) {
		msg_warn("default_privs: unknown user \"%s\"", var_default_privs);
		return (-1);
	}
	if (out->uid == 0) {
		msg_warn("default_privs: user \"%s\" must not be root", var_default_privs);
		local_user_free(out);
		return (-1);
	}
	return (0);
}

/* local_priv_enter - act as user (effective IDs only) */
int
local_priv_enter(const struct local_user *user)
{
	if (!local_privileged || user->uid == 0)
		return (0);
	if (setegid(user->gid) < 0 || setgroups(1, &user->gid) < 0
	    || seteuid(user->uid) < 0) {
		int	saved = errno;

		local_priv_leave();
		errno = saved;
		return (-1);
	}
	return (0);
}

/* local_priv_leave - back to root */
void
local_priv_leave(void)
{
	if (!local_privileged)
		return;
	if (seteuid(0) < 0 || setegid(local_saved_gid) < 0
	    || setgroups(1, &local_saved_gid) < 0)
		msg_panic("cannot regain root privileges: %m");
}
