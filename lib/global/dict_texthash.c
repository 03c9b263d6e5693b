/*
 * NAME
 *	dict_texthash - postmap source text read into memory
 * SYNOPSIS
 *	#include <global/dict.h>
 *
 *	struct dict *dict_texthash_open(const char *name, int flags,
 *		struct buf *why);
 *	struct dict *dict_texthash_new(const char *type, const char *name,
 *		int flags);
 *	int	dict_texthash_enter(struct dict *dict, const char *key,
 *		const char *value);
 * DESCRIPTION
 *	A texthash:NAME table is the file NAME in postmap(1) input syntax,
 *	"key whitespace value" per logical line, read into an in-memory hash
 *	table when opened. Nothing needs to be built, at the cost of reading
 *	the whole file in every process that opens it.
 *
 *	Keys are lowercased with DICT_FLAG_FOLD. When a key appears twice the
 *	first entry wins. Entries are listed in key order by dict_seq().
 *
 *	dict_texthash_new() and dict_texthash_enter() give other in-memory
 *	types (inline) the same table: a new empty dict of the given type,
 *	and one entry added to it (key folded with DICT_FLAG_FOLD), with the
 *	result 0 when added and 1 when the key was there already (kept).
 * DIAGNOSTICS
 *	Malformed lines and duplicate keys draw warnings that give the file
 *	name and line number; the rest of the file is still used. An
 *	unreadable file is an error.
 * SEE ALSO
 *	dict(3), postmap(1)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>
#include <util/htable.h>
#include <global/dict.h>

struct dict_texthash {
	struct dict dict;
	struct htable *table;
	struct htable_entry **list;	/* sorted snapshot for dict_seq() */
	size_t	next;			/* sequence position in list */
};

/* dict_texthash_lookup - find one key */
static const char *
dict_texthash_lookup(struct dict *dict, const char *key)
{
	struct dict_texthash *dt = (struct dict_texthash *) dict;

	return (htable_find(dt->table, key));
}

/* dict_texthash_compare - order entries by key */
static int
dict_texthash_compare(const void *a, const void *b)
{
	const struct htable_entry *const *ea = a;
	const struct htable_entry *const *eb = b;

	return (strcmp((*ea)->key, (*eb)->key));
}

/* dict_texthash_sequence - walk the entries in key order */
static int
dict_texthash_sequence(struct dict *dict, int first, const char **key,
		       const char **value)
{
	struct dict_texthash *dt = (struct dict_texthash *) dict;

	if (first || dt->list == NULL) {
		free(dt->list);
		dt->list = htable_list(dt->table);
		qsort(dt->list, htable_count(dt->table), sizeof(*dt->list),
		      dict_texthash_compare);
		dt->next = 0;
	}
	if (dt->list[dt->next] == NULL)
		return (1);
	*key = dt->list[dt->next]->key;
	*value = dt->list[dt->next]->value;
	dt->next++;
	return (0);
}

/* dict_texthash_close - free the table */
static void
dict_texthash_close(struct dict *dict)
{
	struct dict_texthash *dt = (struct dict_texthash *) dict;

	htable_free(dt->table, free);
	free(dt->list);
	dict_free(dict);
}

/* dict_texthash_enter - add one entry unless the key exists */
int
dict_texthash_enter(struct dict *dict, const char *key, const char *value)
{
	struct dict_texthash *dt = (struct dict_texthash *) dict;

	if (dict->close != dict_texthash_close)
		msg_panic("dict_texthash_enter: %s:%s is not in memory",
			  dict->type, dict->name);
	key = (dict->flags & DICT_FLAG_FOLD) ? dict_fold(dict->fold_buf, key)
		: buf_str(buf_cpy(dict->fold_buf, key));
	if (htable_locate(dt->table, key) != NULL)
		return (1);
	htable_enter(dt->table, key, xstrdup(value));
	return (0);
}

/* dict_texthash_new - an empty in-memory table */
struct dict *
dict_texthash_new(const char *type, const char *name, int flags)
{
	struct dict_texthash *dt;

	dt = (struct dict_texthash *) dict_alloc(sizeof(*dt), type, name, flags);
	dt->dict.lookup = dict_texthash_lookup;
	dt->dict.sequence = dict_texthash_sequence;
	dt->dict.close = dict_texthash_close;
	dt->table = htable_new(100);
	return (&dt->dict);
}

/* dict_texthash_add - enter one source line */
static void
dict_texthash_add(struct dict_texthash *dt, char *line, int lineno)
{
	char   *key;
	char   *value;

	if (dict_split_line(line, &key, &value) < 0) {
		msg_warn("%s, line %d: expected format: key whitespace value "
			 "-- ignoring this line", dt->dict.name, lineno);
		return;
	}
	if (dict_texthash_enter(&dt->dict, key, value) > 0)
		msg_warn("%s, line %d: duplicate entry: \"%s\"",
			 dt->dict.name, lineno, buf_str(dt->dict.fold_buf));
}

/* dict_texthash_load - read the whole source file */
static int
dict_texthash_load(struct dict_texthash *dt, FILE *fp, struct buf *why)
{
	struct buf *line = buf_new(100);
	int	lineno = 0;
	int	first;
	int	status;

	while ((status = dict_read_line(fp, dt->dict.name, line, &lineno, &first)) > 0)
		dict_texthash_add(dt, buf_str(line), first);
	if (status < 0)
		buf_printf(why, "read %s: %m", dt->dict.name);
	buf_free(line);
	return (status);
}

/* dict_texthash_open - read NAME into memory */
struct dict *
dict_texthash_open(const char *name, int flags, struct buf *why)
{
	struct dict_texthash *dt;
	FILE   *fp;
	int	status;

	if ((fp = fopen(name, "re")) == NULL) {
		buf_printf(why, "open database %s: %m", name);
		return (NULL);
	}
	dt = (struct dict_texthash *) dict_texthash_new("texthash", name, flags);
	dt->dict.watch_path = xstrdup(name);
	if (fstat(fileno(fp), &dt->dict.watch_st) < 0)
		msg_warn("fstat %s: %m", name);
	status = dict_texthash_load(dt, fp, why);
	(void) fclose(fp);
	if (status < 0) {
		dict_texthash_close(&dt->dict);
		return (NULL);
	}
	return (&dt->dict);
}
