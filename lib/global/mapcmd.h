/*
 * NAME
 *	mapcmd - what postmap and postalias have in common
 * SYNOPSIS
 *	#include <global/mapcmd.h>
 *
 *	int	mapcmd_options(int argc, char **argv, struct mapcmd *cmd,
 *		struct mapcmd_args *args, struct buf *why);
 *	int	mapcmd_run(const struct mapcmd *cmd,
 *		const struct mapcmd_args *args, char **specs, struct buf *why);
 *	void	mapcmd_catch_signals(void);
 *	char	*mapcmd_spec(const char *arg, const char *default_type);
 *	int	mapcmd_build(const struct mapcmd *cmd, const char *spec,
 *		int incremental, struct buf *why);
 *	int	mapcmd_query(const struct mapcmd *cmd, char **specs,
 *		const char *key, FILE *out, struct buf *why);
 *	int	mapcmd_query_stream(const struct mapcmd *cmd, char **specs,
 *		FILE *in, FILE *out, struct buf *why);
 *	int	mapcmd_delete(const struct mapcmd *cmd, char **specs,
 *		const char *key, struct buf *why);
 *	int	mapcmd_delete_stream(const struct mapcmd *cmd, char **specs,
 *		FILE *in, struct buf *why);
 *	int	mapcmd_dump(const struct mapcmd *cmd, const char *spec,
 *		FILE *out, struct buf *why);
 *	int	mapcmd_parse_postmap(const char *line, struct buf *key,
 *		struct buf *value, struct buf *why);
 * DESCRIPTION
 *	struct mapcmd describes one command: the dict flags (DICT_FLAG_FOLD
 *	unless -f, DICT_FLAG_DUP_REPLACE for -r), whether duplicates are
 *	silent (-w), how an input line becomes a key and value, the text
 *	between key and value on output ("\t" for postmap, ":\t" for
 *	postalias), and entries added to every table built.
 *
 *	mapcmd_options() parses the command line both commands share,
 *	[-firsvw] [-c config_dir] [-d key] [-q key] map..., into args and
 *	cmd. It returns the index of the first map argument, or -1 with why
 *	for a usage error. mapcmd_run() then does what the options say for
 *	the specs (NULL-terminated) and returns the exit status: for -q and
 *	-d 0 when something was found and 1 when not, else 0.
 *
 *	mapcmd_catch_signals() makes SIGHUP, SIGINT, SIGQUIT and SIGTERM
 *	remove the temporary file of a table being built before the
 *	process dies.
 *
 *	mapcmd_spec() turns a command argument into a "type:name" spec,
 *	adding default_type when the argument has none; free() the result.
 *
 *	mapcmd_build() makes the table spec from its source file NAME (or,
 *	incremental, adds the lines on standard input to the existing table)
 *	and installs it atomically. Bad lines and duplicate keys draw
 *	warnings "FILE, line N: ..." and are skipped.
 *
 *	mapcmd_query() looks key up in each table of the NULL-terminated
 *	specs in turn and prints the first value found. mapcmd_query_stream()
 *	does this for every line of in, printing "key SEP value". Both
 *	return 1 when something was found, 0 when not.
 *
 *	mapcmd_delete() removes key from every table of specs (each rewritten
 *	atomically); mapcmd_delete_stream() removes every key read from in.
 *	Both return 1 when something was removed, 0 when not.
 *
 *	mapcmd_dump() prints every entry of one table as "key SEP value".
 *
 *	mapcmd_parse_postmap() is postmap's line syntax, "key whitespace
 *	value".
 *
 *	All return -1 with why on a fatal error: a table or file that cannot
 *	be opened, read or written, or a lookup error.
 * SEE ALSO
 *	dict(3), postmap(1), postalias(1)
 */
#ifndef POSTERN_MAPCMD_H
#define POSTERN_MAPCMD_H

#include <util/sys_defs.h>
#include <util/buf.h>

typedef int (*mapcmd_parse_fn) (const char *line, struct buf *key,
				        struct buf *value, struct buf *why);

struct mapcmd_entry {
	const char *key;
	const char *value;
};

struct mapcmd {
	int	dict_flags;		/* DICT_FLAG_FOLD, DICT_FLAG_DUP_REPLACE */
	int	quiet_dups;		/* -w: no duplicate warnings */
	mapcmd_parse_fn parse;		/* input line to key and value */
	const char *separator;		/* between key and value on output */
	const struct mapcmd_entry *extra;	/* added to every table built */
};

enum mapcmd_mode {
	MAPCMD_BUILD, MAPCMD_QUERY, MAPCMD_DELETE, MAPCMD_DUMP,
};

struct mapcmd_args {
	enum mapcmd_mode mode;
	const char *key;		/* -q or -d argument */
	const char *config_dir;		/* -c */
	int	incremental;		/* -i */
	int	verbose;		/* number of -v */
};

int	mapcmd_options(int argc, char **argv, struct mapcmd *cmd,
		               struct mapcmd_args *args, struct buf *why);
int	mapcmd_run(const struct mapcmd *cmd, const struct mapcmd_args *args,
		           char **specs, struct buf *why);
void	mapcmd_catch_signals(void);
char   *mapcmd_spec(const char *arg, const char *default_type);
int	mapcmd_build(const struct mapcmd *cmd, const char *spec, int incremental,
		             struct buf *why);
int	mapcmd_query(const struct mapcmd *cmd, char **specs, const char *key,
		             FILE *out, struct buf *why);
int	mapcmd_query_stream(const struct mapcmd *cmd, char **specs, FILE *in,
			            FILE *out, struct buf *why);
int	mapcmd_delete(const struct mapcmd *cmd, char **specs, const char *key,
		              struct buf *why);
int	mapcmd_delete_stream(const struct mapcmd *cmd, char **specs, FILE *in,
			             struct buf *why);
int	mapcmd_dump(const struct mapcmd *cmd, const char *spec, FILE *out,
		            struct buf *why);
int	mapcmd_parse_postmap(const char *line, struct buf *key, struct buf *value,
			             struct buf *why);

#endif
