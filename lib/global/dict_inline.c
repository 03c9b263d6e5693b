/*
 * NAME
 *	dict_inline - a small table written inside the parameter value
 * SYNOPSIS
 *	#include <global/dict.h>
 *
 *	struct dict *dict_inline_open(const char *name, int flags,
 *		struct buf *why);
 * DESCRIPTION
 *	An inline:{ key=value, ... } table lists its entries in the spec
 *	itself, separated by commas or white space. An entry that needs
 *	white space is written in braces: { key = value with spaces }, where
 *	the blanks around "=", key and value are dropped. Keys are lowercased
 *	with DICT_FLAG_FOLD; when a key appears twice the first entry wins.
 * DIAGNOSTICS
 *	Bad syntax (missing braces, an entry without "=", an empty key or
 *	value, an empty table) fails the open with a reason that quotes the
 *	spec; a duplicate key draws a warning.
 * SEE ALSO
 *	dict(3), dict_texthash(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>
#include <util/argv.h>
#include <global/dict.h>

#define DICT_INLINE_NEED	"need \"inline:{name=value...}\""

/* dict_inline_entry - parse "key=value" and add it */
static int
dict_inline_entry(struct dict *dict, char *entry, struct buf *why)
{
	char   *inside;
	char   *eq;
	char   *key;
	char   *value;

	if (*entry == '{' && dict_unbrace(entry, &inside) == 0)
		entry = inside;
	if ((eq = strchr(entry, '=')) == NULL) {
		buf_printf(why, "missing '=' after attribute name: "
			   "\"inline:%s\"; " DICT_INLINE_NEED, dict->name);
		return (-1);
	}
	*eq = 0;
	key = dict_trim(entry);
	value = dict_trim(eq + 1);
	if (*key == 0 || *value == 0) {
		buf_printf(why, "empty %s in \"inline:%s\"; " DICT_INLINE_NEED,
			   *key == 0 ? "name" : "value", dict->name);
		return (-1);
	}
	if (dict_texthash_enter(dict, key, value) > 0)
		msg_warn("inline:%s: duplicate entry: \"%s\"", dict->name,
			 buf_str(dict->fold_buf));
	return (0);
}

/* dict_inline_parse - split the spec and add every entry */
static int
dict_inline_parse(struct dict *dict, char *inside, struct buf *why)
{
	struct argv *entries = argv_new(8);
	size_t	i;
	int	status = 0;

	if (dict_split_list(inside, ", \t\r\n", entries, why) < 0
	    || entries->argc == 0) {
		buf_printf(why, "bad syntax: \"inline:%s\"; " DICT_INLINE_NEED,
			   dict->name);
		status = -1;
	}
	for (i = 0; status == 0 && i < entries->argc; i++)
		status = dict_inline_entry(dict, entries->argv[i], why);
	argv_free(entries);
	return (status);
}

/* dict_inline_open - build the table from the spec */
struct dict *
dict_inline_open(const char *name, int flags, struct buf *why)
{
	struct dict *dict = dict_texthash_new("inline", name, flags);
	char   *copy = xstrdup(name);
	char   *inside;
	int	status;

	if (dict_unbrace(copy, &inside) < 0) {
		buf_printf(why, "bad syntax: \"inline:%s\"; " DICT_INLINE_NEED, name);
		status = -1;
	} else {
		status = dict_inline_parse(dict, inside, why);
	}
	free(copy);
	if (status < 0) {
		dict_close(dict);
		return (NULL);
	}
	return (dict);
}
