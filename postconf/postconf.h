/*
 * NAME
 *	postconf - private interfaces of the postconf command
 * SYNOPSIS
 *	#include "postconf.h"
 *
 *	int	postconf_show_params(int flags, char **names, struct buf *out);
 *	void	postconf_check_names(const char *config_dir);
 *	int	postconf_show_master(const char *path, int flags, char **selectors,
 *		struct buf *out, struct buf *why);
 *	int	postconf_edit_text(const char *path, const char *text, int mode,
 *		char **args, struct buf *out, struct buf *why);
 *	int	postconf_edit_file(const char *path, int mode, char **args,
 *		struct buf *why);
 * DESCRIPTION
 *	postconf_show_params() appends "name = value" lines (flags below) for
 *	the named parameters, or for all of them when names is NULL or
 *	empty, in Postfix's order (sorted by name). Names that are neither
 *	set nor known draw "NAME: unknown parameter" warnings; the result is
 *	the number of such names, or -1 when expansion failed (out then holds
 *	the reason).
 *
 *	postconf_check_names() warns about unknown names in the loaded
 *	main.cf, with suggestions (names used in CONFIG_DIR/master.cf -o
 *	values count as used).
 *
 *	postconf_show_master() appends the master.cf entries of path in
 *	postconf -M layout; selectors "service" or "service/type" limit the
 *	output. It returns -1 with why when master.cf cannot be read.
 *
 *	postconf_edit_text() applies -e (mode PC_EDIT_SET, args
 *	"name=value"), -X (PC_EDIT_REMOVE, args names) or -# (PC_EDIT_COMMENT)
 *	to main.cf text and appends the new text to out; comments and other
 *	lines stay as they are; a changed parameter keeps its place, a new
 *	one is appended. postconf_edit_file() does that to a file and
 *	replaces it atomically (temporary file, fsync, rename).
 */
#ifndef POSTCONF_H
#define POSTCONF_H

#include <util/sys_defs.h>
#include <util/buf.h>

#define PC_SHOW_DEFAULTS	(1 << 0)	/* -d */
#define PC_SHOW_NONDEFAULT	(1 << 1)	/* -n */
#define PC_SHOW_VALUE_ONLY	(1 << 2)	/* -h */
#define PC_SHOW_EXPAND		(1 << 3)	/* -x */
#define PC_SHOW_FOLD		(1 << 4)	/* -f */

#define PC_EDIT_SET		1		/* -e */
#define PC_EDIT_REMOVE		2		/* -X */
#define PC_EDIT_COMMENT		3		/* -# */

int	postconf_show_params(int flags, char **names, struct buf *out);
void	postconf_check_names(const char *config_dir);
int	postconf_show_master(const char *path, int flags, char **selectors,
		struct buf *out, struct buf *why);
int	postconf_edit_text(const char *path, const char *text, int mode,
		char **args, struct buf *out, struct buf *why);
int	postconf_edit_file(const char *path, int mode, char **args,
		struct buf *why);

#endif
