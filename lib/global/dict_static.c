/*
 * NAME
 *	dict_static - a table that returns one value for every key
 * SYNOPSIS
 *	#include <global/dict.h>
 *
 *	struct dict *dict_static_open(const char *name, int flags,
 *		struct buf *why);
 * DESCRIPTION
 *	static:VALUE answers VALUE for any key. static:{ text with spaces }
 *	answers the text inside the braces without the blanks next to them.
 * DIAGNOSTICS
 *	An empty value or unbalanced braces fail the open.
 * SEE ALSO
 *	dict(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <global/dict.h>

struct dict_static {
	struct dict dict;
	char   *value;
};

/* dict_static_lookup - every key has the one value */
static const char *
dict_static_lookup(struct dict *dict, const char *key)
{
	(void) key;
	return (((struct dict_static *) dict)->value);
}

/* dict_static_close - free the table */
static void
dict_static_close(struct dict *dict)
{
	free(((struct dict_static *) dict)->value);
	dict_free(dict);
}

/* dict_static_open - take the value from the spec */
struct dict *
dict_static_open(const char *name, int flags, struct buf *why)
{
	struct dict_static *ds;
	char   *copy = xstrdup(name);
	char   *value = copy;

	if (*copy == '{' && dict_unbrace(copy, &value) < 0) {
		buf_printf(why, "bad syntax: \"static:%s\"; need \"static:{value}\"", name);
		free(copy);
		return (NULL);
	}
	if (*value == 0) {
		buf_printf(why, "empty value: \"static:%s\"", name);
		free(copy);
		return (NULL);
	}
	ds = (struct dict_static *) dict_alloc(sizeof(*ds), "static", name,
					    flags & ~DICT_FLAG_FOLD);
	ds->value = xstrdup(value);
	free(copy);
	ds->dict.lookup = dict_static_lookup;
	ds->dict.close = dict_static_close;
	return (&ds->dict);
}
