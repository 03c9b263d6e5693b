/*
 * NAME
 *	local_mailbox - deliver to a user's mailbox
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_mailbox(struct local_state *state,
 *			const struct local_user *user);
 * DESCRIPTION
 *	local_mailbox() delivers the message to the mailbox of user, the
 *	way Postfix's local(8) does, in this order:
 * .IP mailbox_command
 *	when set, the command gets the message on standard input, run as
 *	the user (root: as default_privs), with the environment of
 *	local(8) commands.
 * .IP home_mailbox
 *	when set, the mailbox is relative to the user's home directory:
 *	a name ending in "/" is a maildir (e.g. "Maildir/"), anything else
 *	an mbox file; both are written with the user's privileges.
 * .IP mail_spool_directory
 *	otherwise the mbox file mail_spool_directory/USER. As root, the
 *	file and its lock are made with root privileges (the spool
 *	directory is usually not writable by users), a new file is given
 *	to the user, and the message is written as the user.
 * .PP
 *	An mbox gets the "From sender date" line, Return-Path:,
 *	X-Original-To: and Delivered-To: headers (as
 *	prepend_delivered_header and enable_original_recipient say), ">From"
 *	quoting and an empty line after the message; it is locked as
 *	local_mbox(3) describes, fsync'ed, and truncated back to its old
 *	size when anything fails. With strict_mailbox_ownership (the
 *	default) an existing mbox must belong to the recipient (to the
 *	running user when local runs unprivileged), else delivery is
 *	deferred with a warning.
 *
 *	A mailbox is delivered to once per request even when several
 *	aliases lead to it. The result is recorded with local_leaf():
 *	"delivered to mailbox", "delivered to maildir", "delivered to
 *	command: ...", or "cannot update mailbox PATH for user USER.
 *	REASON" (deferred, or bounced with 5.2.2 when the mailbox is full).
 */
#include <util/sys_defs.h>
#include <unistd.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/params.h>

#include "local.h"

/* local_mailbox_write - copy into an open mbox */
static int
local_mailbox_write(struct local_state *state, struct local_mbox *mb,
		            const struct local_user *user, char dsn[DSN_STATUS_SIZE],
		            struct buf *why)
{
	struct local_copy_attr attr;
	int	flags = local_copy_flags(LOCAL_COPY_MBOX, "file");
	uid_t	want = local_is_privileged() ? user->uid : geteuid();
	int	ret;

	if (var_strict_mailbox_ownership && local_mbox_owner(mb) != want) {
		msg_warn("specify \"strict_mailbox_ownership = no\" to ignore mailbox ownership mismatch");
		buf_printf(why, "destination is not owned by recipient");
		return (-1);
	}
	local_copy_attr_init(&attr, state, flags);
	attr.start = local_mbox_size(mb);
	if (local_priv_enter(user) < 0) {
		buf_printf(why, "cannot switch to user %s: %m", user->name);
		return (-1);
	}
	ret = local_copy(state->msg->qfd, state->msg->req->data_offset,
			 local_mbox_fd(mb), flags, &attr, why);
	local_priv_leave();
	if (ret == LOCAL_COPY_ERR_WRITE) {
		snprintf(dsn, DSN_STATUS_SIZE, "%s", local_mbox_error_dsn(errno, "4.2.0"));
		buf_printf(why, "error writing message: %m");
	} else if (ret == LOCAL_COPY_ERR_READ)
		snprintf(dsn, DSN_STATUS_SIZE, "4.3.0");
	return (ret == LOCAL_COPY_OK ? 0 : -1);
}

/* local_mailbox_mbox - deliver to an mbox file */
static int
local_mailbox_mbox(struct local_state *state, const char *path, int is_spool,
		           const struct local_user *user)
{
	struct buf *why = buf_new(100);
	char	dsn[DSN_STATUS_SIZE] = "4.2.0";
	struct local_mbox *mb;
	int	as_user = !is_spool || !local_is_privileged();
	int	ok = 0;
	int	status;

	/* Spool files are created as root and given to the user. */
	if (as_user && local_priv_enter(user) < 0) {
		buf_printf(why, "cannot switch to user %s: %m", user->name);
		mb = NULL;
	} else {
		mb = local_mbox_open(path, is_spool, as_user ? (uid_t) -1 : user->uid,
				     user->gid, dsn, why);
		if (as_user)
			local_priv_leave();
	}
	if (mb != NULL) {
		ok = (local_mailbox_write(state, mb, user, dsn, why) == 0);
		if (as_user && local_priv_enter(user) < 0)
			msg_panic("cannot switch to user %s: %m", user->name);
		if (local_mbox_close(mb, ok, why) < 0)
			ok = 0;
		if (as_user)
			local_priv_leave();
	}
	if (ok)
		status = local_leaf(state, DELIVER_STAT_OK, "2.0.0", "delivered to mailbox");
	else
		status = local_leaf(state, dsn_class(dsn) == 5 ? DELIVER_STAT_BOUNCE
				    : DELIVER_STAT_DEFER, dsn,
				    "cannot update mailbox %s for user %s. %s",
				    path, user->name, buf_str(why));
	buf_free(why);
	return (status);
}

/* local_mailbox_command - mailbox_command as the user */
static int
local_mailbox_command(struct local_state *state, const struct local_user *user)
{
	struct local_user as;
	int	status;

	if (local_user_privs_for(user, &as) < 0)
		return (local_leaf(state, DELIVER_STAT_DEFER, "4.3.5",
				   "mail system configuration error: bad default_privs"));
	status = local_command(state, var_mailbox_command, &as);
	local_user_free(&as);
	return (status);
}

/* local_mailbox - deliver to the mailbox of user */
int
local_mailbox(struct local_state *state, const struct local_user *user)
{
	struct buf *key = buf_new(64);
	struct buf *path = buf_new(128);
	int	status;

	buf_printf(key, "mailbox %s", user->name);
	if (htable_locate(state->msg->dup, buf_str(key)) != NULL) {
		status = DELIVER_STAT_OK;		/* once per request */
		goto out;
	}
	(void) htable_enter(state->msg->dup, buf_str(key), NULL);
	if (state->msg->is_verify) {
		status = local_leaf(state, DELIVER_STAT_OK, "2.0.0", "delivers to mailbox");
	} else if (*var_mailbox_command) {
		status = local_mailbox_command(state, user);
	} else if (*var_home_mailbox) {
		buf_printf(path, "%s/%s", user->home, var_home_mailbox);
		if (var_home_mailbox[strlen(var_home_mailbox) - 1] == '/')
			status = local_maildir(state, buf_str(path), user, 0);
		else
			status = local_mailbox_mbox(state, buf_str(path), 0, user);
	} else {
		buf_printf(path, "%s/%s", var_mail_spool_directory, user->name);
		status = local_mailbox_mbox(state, buf_str(path), 1, user);
	}
out:
	buf_free(key);
	buf_free(path);
	return (status);
}
