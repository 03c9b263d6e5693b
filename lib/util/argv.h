/*
 * NAME
 *	argv - growable string arrays
 * SYNOPSIS
 *	#include <util/argv.h>
 *
 *	struct argv *argv_new(size_t hint);
 *	void	argv_add(struct argv *argvp, const char *str);
 *	void	argv_addn(struct argv *argvp, const char *str, size_t len);
 *	struct argv *argv_split(const char *str, const char *delims);
 *	struct argv *argv_split_append(struct argv *argvp, const char *str, const char *delims);
 *	void	argv_truncate(struct argv *argvp, size_t len);
 *	void	argv_free(struct argv *argvp);
 * DESCRIPTION
 *	A struct argv owns copies of its strings; argv[argc] is always NULL,
 *	so the array can be passed to execv(). argv_split() breaks a string
 *	at any of the delimiter characters, skipping empty fields (the
 *	Postfix list convention, e.g. delims ", \t\r\n").
 */
#ifndef POSTERN_ARGV_H
#define POSTERN_ARGV_H

#include <util/sys_defs.h>

struct argv {
	char  **argv;
	size_t	argc;
	size_t	cap;
};

#define ARGV_LIST_DELIMS	", \t\r\n"

struct argv *argv_new(size_t hint);
void	argv_add(struct argv *argvp, const char *str);
void	argv_addn(struct argv *argvp, const char *str, size_t len);
struct argv *argv_split(const char *str, const char *delims);
struct argv *argv_split_append(struct argv *argvp, const char *str, const char *delims);
void	argv_truncate(struct argv *argvp, size_t len);
void	argv_free(struct argv *argvp);

#endif
