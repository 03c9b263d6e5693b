/*
 * NAME
 *	dict - one lookup table behind a common interface
 * DESCRIPTION
 *	See dict.h. This file holds the type registry, the wrappers that
 *	fold keys and check which operations a type offers, and the text
 *	helpers that the table types and postmap share.
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>
#include <util/argv.h>
#include <global/dict.h>

struct dict_type {
	const char *name;
	struct dict *(*open) (const char *name, int flags, struct buf *why);
	struct dict *(*build) (const char *name, int flags, int how,
			               const struct stat *like, struct buf *why);
	int	open_error;		/* what an open failure means */
};

static const struct dict_type dict_types[] = {
	{"hash", dict_hash_open, dict_hash_build, DICT_ERR_RETRY},
	{"texthash", dict_texthash_open, NULL, DICT_ERR_RETRY},
	{"cidr", dict_cidr_open, NULL, DICT_ERR_RETRY},
	{"inline", dict_inline_open, NULL, DICT_ERR_CONFIG},
	{"static", dict_static_open, NULL, DICT_ERR_CONFIG},
	{"unix", dict_unix_open, NULL, DICT_ERR_CONFIG},
};

#define DICT_PROXY_PREFIX	"proxy:"

/* dict_spec_split - split "type:name" into a type entry and the name */
static const struct dict_type *
dict_spec_split(const char *spec, const char **name, struct buf *why)
{
	const char *colon;
	size_t	len;
	size_t	i;

	if (strncmp(spec, DICT_PROXY_PREFIX, strlen(DICT_PROXY_PREFIX)) == 0)
		spec += strlen(DICT_PROXY_PREFIX);
	colon = strchr(spec, ':');
	if (colon == NULL || colon == spec || colon[1] == 0) {
		buf_printf(why, "open dictionary: expecting \"type:name\" form "
			   "instead of \"%s\"", spec);
		return (NULL);
	}
	len = (size_t) (colon - spec);
	*name = colon + 1;
	for (i = 0; i < ARRAY_LEN(dict_types); i++)
		if (strlen(dict_types[i].name) == len
		    && strncmp(dict_types[i].name, spec, len) == 0)
			return (&dict_types[i]);
	buf_printf(why, "unsupported dictionary type: %.*s", (int) len, spec);
	return (NULL);
}

/* dict_open - open a table for lookups */
struct dict *
dict_open(const char *spec, int flags, int *error, struct buf *why)
{
	const struct dict_type *type;
	const char *name;
	struct dict *dict;

	if ((type = dict_spec_split(spec, &name, why)) == NULL) {
		if (error)
			*error = DICT_ERR_CONFIG;
		return (NULL);
	}
	if ((dict = type->open(name, flags, why)) == NULL && error)
		*error = type->open_error;
	return (dict);
}

/* dict_build - open a table for writing */
struct dict *
dict_build(const char *spec, int flags, int how, const struct stat *like,
	   struct buf *why)
{
	const struct dict_type *type;
	const char *name;

	if ((type = dict_spec_split(spec, &name, why)) == NULL)
		return (NULL);
	if (type->build == NULL) {
		buf_printf(why, "unsupported map type for this operation: %s",
			   type->name);
		return (NULL);
	}
	return (type->build(name, flags, how, like, why));
}

/* dict_key - the key as the table wants it: lowercased or as is */
static const char *
dict_key(struct dict *dict, const char *key)
{
	if (dict->flags & DICT_FLAG_FOLD)
		return (dict_fold(dict->fold_buf, key));
	return (key);
}

/* dict_unsupported - fail an operation the type does not offer */
static int
dict_unsupported(struct dict *dict, const char *what)
{
	dict->error = DICT_ERR_CONFIG;
	buf_printf(dict->why, "table %s:%s: %s operation is not supported",
		   dict->type, dict->name, what);
	return (-1);
}

/* dict_get - look up one key */
const char *
dict_get(struct dict *dict, const char *key)
{
	dict->error = DICT_ERR_NONE;
	return (dict->lookup(dict, dict_key(dict, key)));
}

/* dict_put - add or replace one entry */
int
dict_put(struct dict *dict, const char *key, const char *value)
{
	dict->error = DICT_ERR_NONE;
	if (dict->update == NULL)
		return (dict_unsupported(dict, "update"));
	return (dict->update(dict, dict_key(dict, key), value));
}

/* dict_del - remove one entry */
int
dict_del(struct dict *dict, const char *key)
{
	dict->error = DICT_ERR_NONE;
	if (dict->remove == NULL)
		return (dict_unsupported(dict, "delete"));
	return (dict->remove(dict, dict_key(dict, key)));
}

/* dict_seq - walk all entries */
int
dict_seq(struct dict *dict, int first, const char **key, const char **value)
{
	dict->error = DICT_ERR_NONE;
	if (dict->sequence == NULL)
		return (dict_unsupported(dict, "sequence"));
	return (dict->sequence(dict, first, key, value));
}

/* dict_commit - make a built table visible to readers */
int
dict_commit(struct dict *dict, struct buf *why)
{
	if (dict->commit == NULL) {
		buf_printf(why, "table %s:%s: commit operation is not supported",
			   dict->type, dict->name);
		return (-1);
	}
	return (dict->commit(dict, why));
}

/* dict_close - close a table, discarding an uncommitted build */
void
dict_close(struct dict *dict)
{
	if (dict != NULL)
		dict->close(dict);
}

/* dict_alloc - allocate the common part of a table */
struct dict *
dict_alloc(size_t size, const char *type, const char *name, int flags)
{
	struct dict *dict;

	if (size < sizeof(*dict))
		msg_panic("dict_alloc: bad size %zu", size);
	dict = xcalloc(1, size);
	dict->type = type;
	dict->name = xstrdup(name);
	dict->flags = flags;
	dict->why = buf_new(64);
	dict->fold_buf = buf_new(64);
	return (dict);
}

/* dict_free - free the common part of a table */
void
dict_free(struct dict *dict)
{
	free(dict->name);
	free(dict->watch_path);
	buf_free(dict->why);
	buf_free(dict->fold_buf);
	free(dict);
}

/* dict_fold - lowercase a key into out */
const char *
dict_fold(struct buf *out, const char *key)
{
	const char *cp;

	buf_reset(out);
	for (cp = key; *cp; cp++)
		buf_putc(out, tolower((unsigned char) *cp));
	return (buf_str(out));
}

/* dict_trim - strip leading and trailing white space in place */
char   *
dict_trim(char *text)
{
	char   *end;

	while (isspace((unsigned char) *text))
		text++;
	end = text + strlen(text);
	while (end > text && isspace((unsigned char) end[-1]))
		*--end = 0;
	return (text);
}

/* dict_read_physical - append one physical line to line; 1, 0 at EOF, -1 */
static int
dict_read_physical(FILE *fp, struct buf *line, int *lineno)
{
	size_t	start = buf_len(line);
	int	ch;

	while ((ch = getc(fp)) != EOF && ch != '\n')
		buf_putc(line, ch);
	if (ch == EOF && ferror(fp))
		return (-1);
	if (ch == '\n' || buf_len(line) > start)
		*lineno += 1;
	return (ch == EOF && buf_len(line) == start ? 0 : 1);
}

/* dict_is_blank_or_comment - true for the text of a line to skip */
static int
dict_is_blank_or_comment(const char *text)
{
	while (isspace((unsigned char) *text))
		text++;
	return (*text == 0 || *text == '#');
}

/* dict_continues - peek: does the next physical line continue this one? */
static int
dict_continues(FILE *fp)
{
	int	ch = getc(fp);

	if (ch == EOF)
		return (0);
	ungetc(ch, fp);
	return (ch == '#' || isspace(ch));
}

/* dict_read_logical - read one logical line, maybe starting with blanks */
static int
dict_read_logical(FILE *fp, struct buf *line, int *lineno, int *first)
{
	size_t	start;
	int	status;

	buf_reset(line);
	*first = 0;
	for (;;) {
		start = buf_len(line);
		if ((status = dict_read_physical(fp, line, lineno)) <= 0)
			break;
		if (dict_is_blank_or_comment(buf_str(line) + start))
			buf_truncate(line, start);
		else if (start == 0)
			*first = *lineno;
		if (buf_len(line) > 0 && !dict_continues(fp))
			break;
	}
	if (status < 0)
		return (-1);
	return (buf_len(line) > 0 ? 1 : 0);
}

/* dict_read_line - read one logical line of a table source file */
int
dict_read_line(FILE *fp, const char *path, struct buf *line, int *lineno,
	       int *first_line)
{
	int	status;

	for (;;) {
		status = dict_read_logical(fp, line, lineno, first_line);
		if (status <= 0)
			return (status);
		if (!isspace((unsigned char) buf_str(line)[0]))
			return (1);
		msg_warn("%s, line %d: logical line must not start with "
			 "whitespace: \"%.30s%s\"", path, *first_line,
			 buf_str(line), buf_len(line) > 30 ? "..." : "");
	}
}

/* dict_split_line - split "key whitespace value" in place */
int
dict_split_line(char *line, char **key, char **value)
{
	char   *cp;

	*key = line;
	for (cp = line; *cp && !isspace((unsigned char) *cp); cp++)
		 /* void */ ;
	if (*cp)
		*cp++ = 0;
	*value = dict_trim(cp);
	return (**key == 0 || **value == 0 ? -1 : 0);
}

/* dict_split_list - split at delimiters outside braces */
int
dict_split_list(const char *text, const char *delims, struct argv *out,
		struct buf *why)
{
	const char *start = NULL;
	const char *cp;
	int	depth = 0;

	for (cp = text;; cp++) {
		if (*cp == 0 || (depth == 0 && strchr(delims, *cp) != NULL)) {
			if (start != NULL)
				argv_addn(out, start, (size_t) (cp - start));
			start = NULL;
			if (*cp == 0)
				break;
			continue;
		}
		if (start == NULL)
			start = cp;
		if (*cp == '{')
			depth++;
		else if (*cp == '}' && --depth < 0)
			break;
	}
	if (depth != 0) {
		buf_printf(why, "unbalanced {} in \"%s\"", text);
		return (-1);
	}
	return (0);
}

/* dict_unbrace - strip enclosing braces and the blanks inside them */
int
dict_unbrace(char *text, char **inside)
{
	size_t	len;

	text = dict_trim(text);
	len = strlen(text);
	if (len < 2 || text[0] != '{' || text[len - 1] != '}')
		return (-1);
	text[len - 1] = 0;
	*inside = dict_trim(text + 1);
	return (0);
}
