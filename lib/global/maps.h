/*
 * NAME
 *	maps - search a list of lookup tables
 * SYNOPSIS
 *	#include <global/maps.h>
 *
 *	struct maps *maps_create(const char *title, const char *spec_list,
 *		int flags);
 *	const char *maps_find(struct maps *maps, const char *key, int flags);
 *	int	maps_error(const struct maps *maps);
 *	const char *maps_why(const struct maps *maps);
 *	const char *maps_title(const struct maps *maps);
 *	size_t	maps_count(const struct maps *maps);
 *	int	maps_check(struct maps *maps, struct buf *why);
 *	void	maps_free(struct maps *maps);
 * DESCRIPTION
 *	A maps object is the value of a parameter such as transport_maps: a
 *	list of "type:name" tables separated by commas or white space, e.g.
 *	"hash:/etc/postern/transport, inline:{ a=b, { c = d e } },
 *	static:relay". Braces keep their commas and spaces. The types are
 *	those of dict(3): hash, texthash, inline, static, cidr, unix.
 *	title (usually the parameter name) prefixes diagnostics. A NULL or
 *	empty list gives a maps object that finds nothing.
 *
 *	maps_create() never fails: a table that cannot be opened is logged
 *	("TYPE:NAME is unavailable. reason") and stays in the list, so
 *	every lookup that reaches it fails with an error instead of silently
 *	skipping it. Keys are lowercased before lookups (as Postfix does)
 *	unless flags has MAPS_NO_FOLD; MAPS_FOLD_CASE asks for the default
 *	explicitly.
 *
 *	maps_find() searches the tables in order and returns the first value
 *	found. NULL means either "not found" (maps_error() is MAPS_ERR_NONE)
 *	or a failed lookup (maps_error() is MAPS_ERR_RETRY or
 *	MAPS_ERR_CONFIG, maps_why() says why): a caller must then defer the
 *	work (4xx), never treat the key as unknown. An empty key is never
 *	found. flags MAPS_FIND_FIXED skips pattern tables (cidr),
 *	MAPS_FIND_PATTERN searches only them, 0 searches all. The result
 *	stays valid until the next maps_find() on the same maps.
 *
 *	Tables backed by a file (hash: NAME.db; texthash, cidr: NAME) are
 *	reopened when the file changes, checked at most once a second, so a
 *	long-running process sees what postmap writes; while the new file
 *	cannot be opened the old table stays in use. A table that could not
 *	be opened is retried the same way.
 *
 *	maps_check() returns -1 and says why when some table is unavailable
 *	now (for programs that want to stop at start-up), else 0.
 *	maps_count() is the number of tables in the list.
 * DIAGNOSTICS
 *	Open failures, failed lookups and failed reopens are logged with
 *	msg_warn() and the table's type:name.
 * SEE ALSO
 *	dict(3), postmap(1)
 */
#ifndef POSTERN_MAPS_H
#define POSTERN_MAPS_H

#include <util/sys_defs.h>
#include <util/buf.h>

/* maps_create() flags */
#define MAPS_FOLD_CASE		(1 << 0)	/* lowercase keys (default) */
#define MAPS_NO_FOLD		(1 << 1)	/* keep the case of keys */

/* maps_find() flags */
#define MAPS_FIND_FIXED		(1 << 0)	/* only fixed-string tables */
#define MAPS_FIND_PATTERN	(1 << 1)	/* only pattern tables */

/* maps_error() results */
#define MAPS_ERR_NONE		0
#define MAPS_ERR_RETRY		(-1)	/* table unavailable: defer */
#define MAPS_ERR_CONFIG		(-2)	/* bad table spec: defer */

struct maps;

struct maps *maps_create(const char *title, const char *spec_list, int flags);
const char *maps_find(struct maps *maps, const char *key, int flags);
int	maps_error(const struct maps *maps);
const char *maps_why(const struct maps *maps);
const char *maps_title(const struct maps *maps);
size_t	maps_count(const struct maps *maps);
int	maps_check(struct maps *maps, struct buf *why);
void	maps_free(struct maps *maps);

#endif
