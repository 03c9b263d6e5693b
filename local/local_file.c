/*
 * NAME
 *	local_file - deliver to a file or maildir named by an alias
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_file(struct local_state *state, const char *path);
 * DESCRIPTION
 *	local_file() delivers to an absolute path found in an alias,
 *	:include: file or .forward, as Postfix does: a path ending in "/"
 *	is a maildir, anything else a file that gets the message appended
 *	in mbox format (From_ line, Return-Path:, X-Original-To:,
 *	Delivered-To:, >From quoting, locked like a mailbox).
 *
 *	Only expansions listed in allow_mail_to_files (default "alias,
 *	forward") may deliver to files; others bounce with 5.7.1 "mail to
 *	file is restricted". The delivery runs with the privileges of the
 *	expansion's owner (the alias table's owner, the :include: file's
 *	owner, the .forward user), root being replaced by default_privs;
 *	an unprivileged local(8) writes as itself. An executable file is
 *	refused (5.7.1), as Postfix does. Each path is written once per
 *	request.
 *
 *	The result is recorded with local_leaf(): "delivered to file:
 *	PATH", "delivered to maildir", or "cannot append message to file
 *	PATH: REASON".
 */
#include <util/sys_defs.h>
#include <sys/stat.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/params.h>

#include "local.h"

/* local_file_write - copy into an open file */
static int
local_file_write(struct local_state *state, struct local_mbox *mb,
		         char dsn[DSN_STATUS_SIZE], struct buf *why)
{
	struct local_copy_attr attr;
	int	flags = local_copy_flags(LOCAL_COPY_MBOX, "file");
	struct stat st;
	int	ret;

	if (fstat(local_mbox_fd(mb), &st) == 0 && (st.st_mode & S_IXUSR)) {
		snprintf(dsn, DSN_STATUS_SIZE, "5.7.1");
		buf_printf(why, "executable destination file");
		return (-1);
	}
	local_copy_attr_init(&attr, state, flags);
	attr.start = local_mbox_size(mb);
	ret = local_copy(state->msg->qfd, state->msg->req->data_offset,
			 local_mbox_fd(mb), flags, &attr, why);
	if (ret == LOCAL_COPY_ERR_WRITE) {
		snprintf(dsn, DSN_STATUS_SIZE, "%s", local_mbox_error_dsn(errno, "4.2.0"));
		buf_printf(why, "error writing message: %m");
	} else if (ret == LOCAL_COPY_ERR_READ)
		snprintf(dsn, DSN_STATUS_SIZE, "4.3.0");
	return (ret == LOCAL_COPY_OK ? 0 : -1);
}

/* local_file_mbox - append to path as user */
static int
local_file_mbox(struct local_state *state, const char *path,
		        const struct local_user *as)
{
	struct buf *why = buf_new(100);
	char	dsn[DSN_STATUS_SIZE] = "4.2.0";
	struct local_mbox *mb = NULL;
	int	ok = 0;
	int	status;

	if (local_priv_enter(as) < 0)
		buf_printf(why, "cannot switch to user %s: %m", as->name);
	else {
		if ((mb = local_mbox_open(path, 0, (uid_t) -1, (gid_t) -1, dsn, why)) != NULL) {
			ok = (local_file_write(state, mb, dsn, why) == 0);
			if (local_mbox_close(mb, ok, why) < 0)
				ok = 0;
		}
		local_priv_leave();
	}
	if (ok)
		status = local_leaf(state, DELIVER_STAT_OK, "2.0.0", "delivered to file: %s", path);
	else
		status = local_leaf(state, dsn_class(dsn) == 5 ? DELIVER_STAT_BOUNCE
				    : DELIVER_STAT_DEFER, dsn,
				    "cannot append message to file %s: %s", path, buf_str(why));
	buf_free(why);
	return (status);
}

/* local_file - deliver to /file or /maildir/ */
int
local_file(struct local_state *state, const char *path)
{
	struct local_user as;
	struct buf *key = buf_new(64);
	int	status;

	if ((state->exp_type & local_class_mask(var_allow_mail_to_files)) == 0) {
		buf_free(key);
		return (local_leaf(state, DELIVER_STAT_BOUNCE, "5.7.1",
				   "mail to file is restricted"));
	}
	buf_printf(key, "file %s", path);
	if (htable_locate(state->msg->dup, buf_str(key)) != NULL) {
		buf_free(key);
		return (DELIVER_STAT_OK);
	}
	(void) htable_enter(state->msg->dup, buf_str(key), NULL);
	buf_free(key);
	if (state->msg->is_verify)
		return (local_leaf(state, DELIVER_STAT_OK, "2.0.0", "delivers to file: %s", path));
	if (state->owner == NULL || local_user_privs_for(state->owner, &as) < 0)
		return (local_leaf(state, DELIVER_STAT_DEFER, "4.3.5",
				   "mail system configuration error: no privileges for file delivery"));
	if (path[strlen(path) - 1] == '/')
		status = local_maildir(state, path, &as, 1);
	else
		status = local_file_mbox(state, path, &as);
	local_user_free(&as);
	return (status);
}
