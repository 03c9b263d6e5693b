/*
 * NAME
 *	postern_check - check and repair an instance (postern check,
 *	set-permissions)
 * SYNOPSIS
 *	#include "postern.h"
 *
 *	int	postern_check(int flags);
 * DESCRIPTION
 *	postern_check() verifies what an instance needs before master can
 *	run it, and returns the number of problems it reported:
 * .IP \(bu
 *	mail_owner and setgid_group exist (fatal when running as root; a
 *	warning otherwise, since an instance started by an ordinary user
 *	runs as that user);
 * .IP \(bu
 *	master.cf parses (fatal, with file and line) and every program it
 *	names can be executed (warning);
 * .IP \(bu
 *	main.cf names only known parameters (warning, with a "did you mean"
 *	suggestion; the backoff time aliases get a note);
 * .IP \(bu
 *	queue_directory and every directory below it exist, with hash
 *	subdirectories for hashed queues: missing ones are created with the
 *	right owner and mode; existing ones with wrong ownership or mode
 *	are reported (POSTERN_CHECK_REPORT) or repaired
 *	(POSTERN_CHECK_FIX, postern set-permissions, which also gives
 *	queue files back to mail_owner); data_directory likewise.
 */
#include <util/sys_defs.h>
#include <grp.h>
#include <pwd.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/mastercf.h>
#include <global/params.h>
#include <global/queue.h>
#include "postern.h"

static struct postern_ids postern_ids;
static const char *postern_owner_name;
static const char *postern_group_name;
static int postern_problems;

/* postern_member - is the running user in group gid? */
static int
postern_member(gid_t gid)
{
	gid_t	groups[256];
	int	n = getgroups((int) ARRAY_LEN(groups), groups);
	int	i;

	if (getegid() == gid)
		return (1);
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return (1);
	return (0);
}

/* postern_account_problem - fatal as root, a warning otherwise */
static void
postern_account_problem(const char *text)
{
	if (geteuid() == 0)
		msg_fatal("%s", text);
	msg_warn("%s (not needed: the instance runs as the current user)", text);
	postern_problems++;
}

/* postern_check_accounts - mail_owner and setgid_group */
static void
postern_check_accounts(void)
{
	struct buf *text = buf_new(100);
	struct passwd *pw = getpwnam(var_mail_owner);
	struct group *gr = getgrnam(var_setgid_group);

	postern_ids.root_uid = geteuid();
	postern_ids.mail_uid = geteuid();
	postern_ids.mail_gid = getegid();
	postern_ids.setgid_gid = getegid();
	postern_owner_name = geteuid() == 0 ? var_mail_owner : (pw && pw->pw_uid == geteuid()
		? var_mail_owner : "the current user");
	postern_group_name = var_setgid_group;
	if (pw == NULL) {
		buf_printf(text, "file %s: parameter mail_owner: unknown user name value: %s",
			   params_config_file(), var_mail_owner);
		postern_account_problem(buf_str(text));
	} else if (geteuid() == 0) {
		if (pw->pw_uid == 0)
			msg_fatal("file %s: parameter mail_owner: user %s has privileged user ID: 0",
				  params_config_file(), var_mail_owner);
		postern_ids.mail_uid = pw->pw_uid;
		postern_ids.mail_gid = pw->pw_gid;
	}
	if (gr == NULL) {
		buf_printf(text, "file %s: parameter setgid_group: unknown group name: %s",
			   params_config_file(), var_setgid_group);
		postern_account_problem(buf_str(text));
	} else {
		postern_ids.setgid_gid = gr->gr_gid;
		postern_ids.check_setgid = geteuid() == 0 || postern_member(gr->gr_gid);
	}
	buf_free(text);
}

/* postern_report_param - one params_check_names() finding */
static void
postern_report_param(const struct params_issue *issue, void *ctx)
{
	struct buf *text = buf_new(100);

	(void) ctx;
	params_issue_format(issue, text);
	if (issue->is_alias) {
		msg_info("%s", buf_str(text));
	} else {
		msg_warn("%s", buf_str(text));
		postern_problems++;
	}
	buf_free(text);
}

/* postern_check_programs - every master.cf program can run */
static void
postern_check_programs(const struct mastercf *mcf)
{
	struct buf *path = buf_new(100);
	const struct mastercf_entry *entry;
	size_t	i;

	for (i = 0; i < mcf->count; i++) {
		entry = mcf->entries + i;
		if (*entry->command == '/')
			buf_cpy(path, entry->command);
		else
			buf_printf(path, "%s/%s", var_daemon_directory, entry->command);
		if (access(buf_str(path), X_OK) < 0) {
			msg_warn("%s, line %d: service %s: cannot execute %s: %m",
				 mcf->path, entry->line, entry->service, buf_str(path));
			postern_problems++;
		}
	}
	buf_free(path);
}

/* postern_check_config - master.cf and main.cf names */
static void
postern_check_config(void)
{
	struct buf *path = buf_new(100);
	struct buf *why = buf_new(100);
	struct argv *refs = argv_new(16);
	struct mastercf *mcf;
	size_t	i, j;

	buf_printf(path, "%s/master.cf", params_config_dir());
	if ((mcf = mastercf_load(buf_str(path), why)) == NULL)
		msg_fatal("%s", buf_str(why));
	buf_free(why);
	for (i = 0; i < mcf->count; i++)
		for (j = 0; mcf->entries[i].overrides && j < mcf->entries[i].overrides->argc; j++)
			argv_add(refs, mcf->entries[i].overrides->argv[j]);
	params_check_names(refs, postern_report_param, NULL);
	postern_check_programs(mcf);
	mastercf_free(mcf);
	argv_free(refs);
	buf_free(path);
}

/* postern_set_owner - chown/chmod a directory as wanted */
static void
postern_set_owner(const char *path, const struct postern_want *want)
{
	gid_t	gid = want->check_gid ? want->gid : (gid_t) -1;

	if (geteuid() == 0) {
		if (chown(path, want->uid, want->uid == postern_ids.mail_uid
			  && !want->check_gid ? postern_ids.mail_gid : gid) < 0)
			msg_warn("chown %s: %m", path);
	} else if (want->check_gid && chown(path, (uid_t) -1, want->gid) < 0) {
		msg_warn("chgrp %s: %m", path);
	}
	if (chmod(path, want->mode) < 0)
		msg_warn("chmod %s: %m", path);
}

/* postern_display - a path as shown in messages (absolute) */
static const char *
postern_display(struct buf *out, const char *path)
{
	if (*path == '/')
		buf_cpy(out, path);
	else if (strcmp(path, ".") == 0)
		buf_cpy(out, var_queue_directory);
	else
		buf_printf(out, "%s/%s", var_queue_directory, path);
	return (buf_str(out));
}

/* postern_check_dir - create, report or repair one directory */
static void
postern_check_dir(const char *path, const struct postern_want *want, int flags)
{
	struct buf *shown = buf_new(100);
	struct argv *problems;
	struct stat st;
	size_t	i;

	postern_display(shown, path);
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT || mkdir(path, want->mode) < 0)
			msg_fatal("create directory %s: %m", buf_str(shown));
		postern_set_owner(path, want);
		msg_debug(1, "created missing directory %s", buf_str(shown));
		buf_free(shown);
		return;
	}
	if (flags & POSTERN_CHECK_FIX) {
		if (S_ISDIR(st.st_mode))
			postern_set_owner(path, want);
		buf_free(shown);
		return;
	}
	problems = argv_new(4);
	if (postern_dir_problems(&st, want, want->uid == postern_ids.mail_uid ?
				 postern_owner_name : geteuid() == 0 ? "root" : "the current user",
				 postern_group_name, buf_str(shown), problems) > 0
	    && (flags & POSTERN_CHECK_REPORT)) {
		for (i = 0; i < problems->argc; i++)
			msg_warn("%s", problems->argv[i]);
	}
	postern_problems += (int) problems->argc;
	argv_free(problems);
	buf_free(shown);
}

/* postern_chown_files - set-permissions: queue files back to mail_owner */
static void
postern_chown_files(const char *dir)
{
	struct buf *path = buf_new(100);
	struct dirent *dp;
	struct stat st;
	DIR    *dirp;

	if (geteuid() != 0 || (dirp = opendir(dir)) == NULL) {
		buf_free(path);
		return;
	}
	while ((dp = readdir(dirp)) != NULL) {
		if (dp->d_name[0] == '.')
			continue;
		buf_printf(path, "%s/%s", dir, dp->d_name);
		if (lstat(buf_str(path), &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			postern_chown_files(buf_str(path));
		else if (S_ISREG(st.st_mode) && st.st_uid != postern_ids.mail_uid
			 && lchown(buf_str(path), postern_ids.mail_uid, (gid_t) -1) < 0)
			msg_warn("chown %s: %m", buf_str(path));
	}
	closedir(dirp);
	buf_free(path);
}

/* postern_check_queue - one entry of the tree, with hash subdirectories */
static void
postern_check_queue(const struct postern_dir *dir, int flags)
{
	struct postern_want want;
	struct argv *subdirs;
	struct buf *path;
	size_t	i;

	postern_dir_want(dir, &postern_ids, &want);
	postern_check_dir(dir->name, &want, flags);
	if (!dir->is_queue)
		return;
	subdirs = argv_new(16);
	path = buf_new(64);
	postern_hash_subdirs(subdirs, queue_hashed(dir->name));
	for (i = 0; i < subdirs->argc; i++) {
		buf_printf(path, "%s/%s", dir->name, subdirs->argv[i]);
		postern_check_dir(buf_str(path), &want, flags);
	}
	if ((flags & POSTERN_CHECK_FIX) && strcmp(dir->name, "maildrop") != 0)
		postern_chown_files(dir->name);
	argv_free(subdirs);
	buf_free(path);
}

/* postern_mkdir_parents - create the missing parents of an absolute path */
static void
postern_mkdir_parents(const char *path)
{
	struct buf *part = buf_new(100);
	const char *cp;

	for (cp = strchr(path + 1, '/'); cp != NULL; cp = strchr(cp + 1, '/')) {
		buf_reset(part);
		buf_catn(part, path, (size_t) (cp - path));
		if (mkdir(buf_str(part), 0755) < 0 && errno != EEXIST)
			msg_fatal("create directory %s: %m", buf_str(part));
	}
	buf_free(part);
}

/* postern_check_tree - the queue directory tree and data_directory */
static void
postern_check_tree(int flags)
{
	struct postern_dir data = {"", 0700, POSTERN_OWN_MAIL, POSTERN_GRP_ANY, 0};
	struct postern_want want;
	size_t	i;

	if (*var_queue_directory != '/')
		msg_fatal("file %s: parameter queue_directory: not an absolute path: %s",
			  params_config_file(), var_queue_directory);
	postern_mkdir_parents(var_queue_directory);
	if (mkdir(var_queue_directory, 0755) < 0 && errno != EEXIST)
		msg_fatal("create directory %s: %m", var_queue_directory);
	if (chdir(var_queue_directory) < 0)
		msg_fatal("chdir %s: %m", var_queue_directory);
	if (queue_set_hash(var_hash_queue_depth, var_hash_queue_names) < 0)
		msg_fatal("file %s: bad hash_queue_depth (%d) or hash_queue_names (%s)",
			  params_config_file(), var_hash_queue_depth, var_hash_queue_names);
	for (i = 0; i < POSTERN_DIR_COUNT; i++)
		postern_check_queue(postern_dirs + i, flags);
	if (*var_data_directory == '/') {
		postern_dir_want(&data, &postern_ids, &want);
		postern_mkdir_parents(var_data_directory);
		postern_check_dir(var_data_directory, &want, flags);
	}
}

/* postern_check - check (and create, or repair) the instance */
int
postern_check(int flags)
{
	postern_problems = 0;
	postern_check_accounts();
	postern_check_config();
	postern_check_tree(flags);
	return (postern_problems);
}
