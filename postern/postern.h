/*
 * NAME
 *	postern - private interfaces of the postern command
 * SYNOPSIS
 *	#include "postern.h"
 * DESCRIPTION
 *	postern_dirs.c describes the queue directory tree (pure functions,
 *	unit tested); postern_check.c checks and repairs the instance;
 *	postern_control.c starts, stops and signals master.
 */
#ifndef POSTERN_POSTERN_H
#define POSTERN_POSTERN_H

#include <util/sys_defs.h>
#include <sys/stat.h>
#include <util/argv.h>
#include <util/buf.h>

/* Who owns a directory. */
enum postern_owner {
	POSTERN_OWN_ROOT,		/* root (the running user when not root) */
	POSTERN_OWN_MAIL,		/* mail_owner */
};

/* Which group a directory must have. */
enum postern_group {
	POSTERN_GRP_ANY,		/* not checked */
	POSTERN_GRP_SETGID,		/* setgid_group */
};

/* One directory of the queue tree, relative to queue_directory. */
struct postern_dir {
	const char *name;
	mode_t	mode;
	enum postern_owner owner;
	enum postern_group group;
	int	is_queue;		/* holds queue files (hashable) */
};

/* Resolved IDs for the checks. */
struct postern_ids {
	uid_t	root_uid;		/* owner of root-owned dirs */
	uid_t	mail_uid;
	gid_t	mail_gid;
	gid_t	setgid_gid;
	int	check_setgid;		/* can we expect setgid_group? */
};

struct postern_want {
	mode_t	mode;
	uid_t	uid;
	gid_t	gid;
	int	check_gid;
};

#define POSTERN_DIR_COUNT	14

extern const struct postern_dir postern_dirs[POSTERN_DIR_COUNT];

/* postern_dirs.c */
void	postern_dir_want(const struct postern_dir *dir, const struct postern_ids *ids,
			         struct postern_want *want);
int	postern_dir_problems(const struct stat *st, const struct postern_want *want,
			             const char *owner_name, const char *group_name,
			             const char *path, struct argv *problems);
void	postern_hash_subdirs(struct argv *out, int depth);

/* postern_check.c */
#define POSTERN_CHECK_REPORT	(1 << 0)	/* print warnings */
#define POSTERN_CHECK_FIX	(1 << 1)	/* set-permissions */
int	postern_check(int flags);

/* postern_control.c */
const char *postern_pid_file(struct buf *path);
int	postern_running(pid_t *pid);
NORETURN void postern_start(int foreground);
NORETURN void postern_stop(void);
NORETURN void postern_abort(void);
NORETURN void postern_reload(void);
NORETURN void postern_status(void);
NORETURN void postern_flush(void);

#endif
