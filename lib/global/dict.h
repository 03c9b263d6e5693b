/*
 * NAME
 *	dict - one lookup table behind a common interface
 * SYNOPSIS
 *	#include <global/dict.h>
 *
 *	struct dict *dict_open(const char *spec, int flags, int *error,
 *		struct buf *why);
 *	struct dict *dict_build(const char *spec, int flags, int how,
 *		const struct stat *like, struct buf *why);
 *	const char *dict_get(struct dict *dict, const char *key);
 *	int	dict_put(struct dict *dict, const char *key, const char *value);
 *	int	dict_del(struct dict *dict, const char *key);
 *	int	dict_seq(struct dict *dict, int first, const char **key,
 *		const char **value);
 *	int	dict_commit(struct dict *dict, struct buf *why);
 *	void	dict_close(struct dict *dict);
 *	void	dict_build_abort(void);
 *
 *	int	dict_read_line(FILE *fp, const char *path, struct buf *line,
 *		int *lineno, int *first_line);
 *	int	dict_split_line(char *line, char **key, char **value);
 *	int	dict_split_list(const char *text, const char *delims,
 *		struct argv *out, struct buf *why);
 *	int	dict_unbrace(char *text, char **inside);
 *	char	*dict_trim(char *text);
 *	const char *dict_fold(struct buf *out, const char *key);
 *
 *	struct dict *dict_alloc(size_t size, const char *type, const char *name,
 *		int flags);
 *	void	dict_free(struct dict *dict);
 * DESCRIPTION
 *	A dict is one table, named by a Postfix "type:name" spec. The types
 *	are hash (Berkeley DB file name.db built by postmap), texthash (the
 *	postmap source text read into memory), inline:{ key=value, ... },
 *	static:value, cidr (network/prefix patterns, first match wins) and
 *	unix:passwd.byname / unix:group.byname. A "proxy:" in front of a spec is accepted and
 *	ignored: Postern has no proxymap service, every process opens its
 *	tables itself.
 *
 *	dict_open() opens a table for lookups. On failure it returns NULL,
 *	says why, and sets *error (when not NULL) to DICT_ERR_CONFIG for a
 *	spec that can never work (unknown type, bad syntax) or DICT_ERR_RETRY
 *	for a file that is missing or unreadable now.
 *
 *	dict_build() opens a table for writing, which only hash supports. A
 *	hash table is written to a temporary file in the same directory and
 *	dict_commit() renames it over name.db, so readers see the old table
 *	or the new one, never a half-built one. DICT_BUILD_COPY starts from
 *	the entries of the existing table (postmap -i, -d); with
 *	DICT_BUILD_MUST_EXIST a missing table is an error. like, when not
 *	NULL, is the source file whose group and other read permissions (and,
 *	for root, owner) a new table takes; an existing table keeps its own.
 *	Builders of one directory are serialised by a lock on the directory.
 *	dict_close() without dict_commit() discards the temporary file.
 *	dict_build_abort() does that from a signal handler (it is
 *	async-signal-safe); temporary files that a killed builder left
 *	behind are removed by the next build of the same table.
 *
 *	dict_get() returns the value for key, or NULL with dict->error set to
 *	DICT_ERR_NONE (not found) or a DICT_ERR_* code and dict->why. The
 *	value stays valid until the next call on the same dict. Keys are
 *	lowercased first when the dict has DICT_FLAG_FOLD (as Postfix does
 *	for all but pattern tables).
 *
 *	dict_put() returns 0 when stored, 1 when the key exists and was kept
 *	(unless DICT_FLAG_DUP_REPLACE), -1 on error (dict->why). dict_del()
 *	returns 0 when deleted, 1 when not found, -1 on error. dict_seq()
 *	walks all entries (first non-zero to start): 0 with key and value
 *	set, 1 at the end, -1 on error or when the type cannot be walked.
 *
 *	Helpers shared by the types and by postmap: dict_read_line() reads
 *	one logical line of a table source file: lines that begin with white
 *	space continue the previous line, empty, all-blank and "#" comment
 *	lines are skipped. A logical line that begins with white space draws
 *	a warning and is skipped. *lineno counts physical lines (start at 0);
 *	it returns 1 with *first_line set to the number of the logical
 *	line's first physical line, 0 at end of file, -1 on read error.
 *	dict_split_line() splits "key whitespace value" in place, trimming
 *	the value; -1 when either part is empty. dict_split_list() splits a
 *	list at delims outside {} braces (-1 for unbalanced braces), keeping
 *	the braces in the pieces. dict_unbrace() strips one pair of
 *	enclosing braces and the white space inside them.
 *	dict_trim() strips leading and trailing white space in place.
 *	dict_fold() returns key lowercased in out.
 *
 *	dict_alloc() and dict_free() are for table types only. A type whose
 *	content comes from a file sets watch_path to that file and watch_st
 *	to fstat() of the descriptor it read, so maps(3) can tell when the
 *	file has been replaced or changed.
 * DIAGNOSTICS
 *	Warnings (bad source lines, duplicate entries) are logged with the
 *	file name and line number.
 */
#ifndef POSTERN_DICT_H
#define POSTERN_DICT_H

#include <util/sys_defs.h>
#include <sys/stat.h>
#include <util/buf.h>
#include <util/argv.h>

#define DICT_FLAG_FOLD		(1 << 0)	/* lowercase keys */
#define DICT_FLAG_DUP_REPLACE	(1 << 1)	/* dict_put() replaces */
#define DICT_FLAG_PATTERN	(1 << 2)	/* set by type: keys are patterns */
#define DICT_FLAG_WARN_STALE	(1 << 3)	/* warn when name.db < name */

#define DICT_ERR_NONE	0
#define DICT_ERR_RETRY	(-1)		/* temporary: try again later */
#define DICT_ERR_CONFIG	(-2)		/* configuration error */

#define DICT_BUILD_COPY		(1 << 0)	/* start from existing entries */
#define DICT_BUILD_MUST_EXIST	(1 << 1)	/* existing table required */

struct dict {
	const char *type;		/* "hash", "cidr", ... */
	char   *name;			/* the part after "type:" */
	int	flags;			/* DICT_FLAG_* */
	int	error;			/* result of the last operation */
	struct buf *why;		/* text for error */
	char   *watch_path;		/* file whose change means reopen */
	struct stat watch_st;		/* that file as it was read */
	struct buf *fold_buf;		/* lowercased key */
	const char *(*lookup)(struct dict *dict, const char *key);
	int	(*update)(struct dict *dict, const char *key, const char *value);
	int	(*remove)(struct dict *dict, const char *key);
	int	(*sequence)(struct dict *dict, int first, const char **key,
			            const char **value);
	int	(*commit)(struct dict *dict, struct buf *why);
	void	(*close)(struct dict *dict);
};

struct dict *dict_open(const char *spec, int flags, int *error, struct buf *why);
struct dict *dict_build(const char *spec, int flags, int how,
			        const struct stat *like, struct buf *why);
const char *dict_get(struct dict *dict, const char *key);
int	dict_put(struct dict *dict, const char *key, const char *value);
int	dict_del(struct dict *dict, const char *key);
int	dict_seq(struct dict *dict, int first, const char **key, const char **value);
int	dict_commit(struct dict *dict, struct buf *why);
void	dict_close(struct dict *dict);
void	dict_build_abort(void);

int	dict_read_line(FILE *fp, const char *path, struct buf *line, int *lineno,
		               int *first_line);
int	dict_split_line(char *line, char **key, char **value);
int	dict_split_list(const char *text, const char *delims, struct argv *out,
			        struct buf *why);
int	dict_unbrace(char *text, char **inside);
char   *dict_trim(char *text);
const char *dict_fold(struct buf *out, const char *key);

struct dict *dict_alloc(size_t size, const char *type, const char *name, int flags);
void	dict_free(struct dict *dict);

/* Per-type entry points, called through dict_open() and dict_build(). */
struct dict *dict_hash_open(const char *name, int flags, struct buf *why);
struct dict *dict_hash_build(const char *name, int flags, int how,
			             const struct stat *like, struct buf *why);
struct dict *dict_texthash_open(const char *name, int flags, struct buf *why);
struct dict *dict_texthash_new(const char *type, const char *name, int flags);
int	dict_texthash_enter(struct dict *dict, const char *key, const char *value);
struct dict *dict_inline_open(const char *name, int flags, struct buf *why);
struct dict *dict_static_open(const char *name, int flags, struct buf *why);
struct dict *dict_cidr_open(const char *name, int flags, struct buf *why);
struct dict *dict_unix_open(const char *name, int flags, struct buf *why);

#endif
