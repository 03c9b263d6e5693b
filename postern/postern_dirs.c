/*
 * NAME
 *	postern_dirs - the queue directory tree and its expected permissions
 * SYNOPSIS
 *	#include "postern.h"
 *
 *	const struct postern_dir postern_dirs[];
 *
 *	void	postern_dir_want(const struct postern_dir *dir,
 *			const struct postern_ids *ids, struct postern_want *want);
 *	int	postern_dir_problems(const struct stat *st,
 *			const struct postern_want *want, const char *owner_name,
 *			const char *group_name, const char *path,
 *			struct argv *problems);
 *	void	postern_hash_subdirs(struct argv *out, int depth);
 * DESCRIPTION
 *	postern_dirs lists every directory below queue_directory with its
 *	mode, owner and group, as Postfix's postfix-files does:
 *
 *	    .         0755 root        queue_directory itself
 *	    maildrop  0730 mail_owner  setgid_group (postdrop writes here)
 *	    public    0710 mail_owner  setgid_group (sendmail triggers)
 *	    pid       0755 root        master.pid (a file root signals)
 *	    private   0700 mail_owner  daemon sockets
 *	    incoming active deferred hold corrupt bounce defer trace saved
 *	              0700 mail_owner  queues
 *
 *	"root" means the running user when the instance runs as an ordinary
 *	user, and so does mail_owner then.
 *
 *	postern_dir_want() turns an entry into the expected mode, owner and
 *	group. postern_dir_problems() compares what stat() found and
 *	appends one line per problem to problems ("not owned by postern:
 *	PATH", "not owned by group postdrop: PATH", "wrong permissions 0777
 *	(expected 0700): PATH", "not a directory: PATH"); it returns the
 *	number of problems.
 *
 *	postern_hash_subdirs() appends the relative names of the hash
 *	subdirectories of a queue with the given depth, parents before
 *	children ("0", "0/0", ... for depth 2).
 */
#include <util/sys_defs.h>
#include <util/argv.h>
#include <util/buf.h>
#include "postern.h"

const struct postern_dir postern_dirs[POSTERN_DIR_COUNT] = {
	{".", 0755, POSTERN_OWN_ROOT, POSTERN_GRP_ANY, 0},
	{"maildrop", 0730, POSTERN_OWN_MAIL, POSTERN_GRP_SETGID, 1},
	{"incoming", 0700, POSTERN_OWN_MAIL, POSTERN_GRP_ANY, 1},
	{"active", 0700, POSTERN_OWN_MAIL, POSTERN_GRP_ANY, 1},
	{"deferred", 0700, POSTERN_OWN_MAIL, POSTERN_GRP_ANY, 1},
	{"hold", 0700, POSTERN_OWN_MAIL, POSTERN_GRP_ANY, 1},
	{"corrupt", 0700, POSTERN_OWN_MAIL, POSTERN_GRP_ANY, 1},
	{"bounce", 0700, POSTERN_OWN_MAIL, POSTERN_GRP_ANY, 1},
	{"defer", 0700, POSTERN_OWN_MAIL, POSTERN_GRP_ANY, 1},
	{"trace", 0700, POSTERN_OWN_MAIL, POSTERN_GRP_ANY, 1},
	{"saved", 0700, POSTERN_OWN_MAIL, POSTERN_GRP_ANY, 1},
	{"pid", 0755, POSTERN_OWN_ROOT, POSTERN_GRP_ANY, 0},
	{"private", 0700, POSTERN_OWN_MAIL, POSTERN_GRP_ANY, 0},
	{"public", 0710, POSTERN_OWN_MAIL, POSTERN_GRP_SETGID, 0},
};

/* postern_dir_want - expected mode, owner and group of a directory */
void
postern_dir_want(const struct postern_dir *dir, const struct postern_ids *ids,
		 struct postern_want *want)
{
	want->mode = dir->mode;
	want->uid = dir->owner == POSTERN_OWN_ROOT ? ids->root_uid : ids->mail_uid;
	want->gid = ids->setgid_gid;
	want->check_gid = dir->group == POSTERN_GRP_SETGID && ids->check_setgid;
}

/* postern_dir_problems - what is wrong with an existing directory */
int
postern_dir_problems(const struct stat *st, const struct postern_want *want,
		     const char *owner_name, const char *group_name,
		     const char *path, struct argv *problems)
{
	struct buf *line = buf_new(100);
	int	count = 0;

	if (!S_ISDIR(st->st_mode)) {
		buf_printf(line, "not a directory: %s", path);
		argv_add(problems, buf_str(line));
		buf_free(line);
		return (1);
	}
	if (st->st_uid != want->uid) {
		buf_printf(line, "not owned by %s: %s", owner_name, path);
		argv_add(problems, buf_str(line));
		count++;
	}
	if (want->check_gid && st->st_gid != want->gid) {
		buf_printf(line, "not owned by group %s: %s", group_name, path);
		argv_add(problems, buf_str(line));
		count++;
	}
	if ((st->st_mode & 07777) != want->mode) {
		buf_printf(line, "wrong permissions %04o (expected %04o): %s",
			   (unsigned) (st->st_mode & 07777), (unsigned) want->mode, path);
		argv_add(problems, buf_str(line));
		count++;
	}
	buf_free(line);
	return (count);
}

/* postern_hash_level - one level of hash subdirectories below prefix */
static void
postern_hash_level(struct argv *out, const char *prefix, int levels)
{
	struct buf *name = buf_new(16);
	int	i;

	for (i = 0; i < 16; i++) {
		buf_printf(name, "%s%s%X", prefix, *prefix ? "/" : "", (unsigned) i);
		argv_add(out, buf_str(name));
		if (levels > 1)
			postern_hash_level(out, buf_str(name), levels - 1);
	}
	buf_free(name);
}

/* postern_hash_subdirs - the hash subdirectories of a queue */
void
postern_hash_subdirs(struct argv *out, int depth)
{
	if (depth > 0)
		postern_hash_level(out, "", depth);
}
