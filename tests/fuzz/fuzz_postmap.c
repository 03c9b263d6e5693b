/*
 * NAME
 *	fuzz_postmap - libFuzzer target for postmap and postalias input
 * SYNOPSIS
 *	build/fuzz/bin/fuzz_postmap [libFuzzer options] [corpus...]
 * DESCRIPTION
 *	The input is a lookup table source file. It is read the way
 *	postmap(1) and postalias(1) read it: logical lines from
 *	dict_read_line(), each split with dict_split_line() (postmap) and
 *	postalias_parse() (aliases), and the list helpers dict_split_list(),
 *	dict_unbrace() and dict_fold(). The same text is opened as a
 *	texthash: table (through an in-memory file) and every key seen is
 *	looked up; the first line is also opened as an inline: table.
 *
 *	Invariants checked besides memory safety: line numbers increase and
 *	a logical line starts at or before its last physical line, and
 *	never with white space; dict_split_line() yields a non-empty key
 *	without white space and a trimmed non-empty value; postalias_parse()
 *	gives a non-empty key or says why; every key that dict_split_line()
 *	finds is found in the texthash table, and dict_seq() walks no more
 *	entries than there are lines.
 * SEE ALSO
 *	dict(3), postmap(1), postalias(1), tests/fuzz/corpus/fuzz_postmap,
 *	docs/fuzzing.md
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <global/dict.h>
#include "postalias/postalias.h"
#include "fuzz_util.h"

#define FUZZ_POSTMAP_KEYS	64	/* keys looked up per input */

static int fuzz_postmap_fd = -1;

/* fuzz_postmap_split - postmap's view of one logical line */
static void
fuzz_postmap_split(const char *line, struct argv *keys)
{
	char   *copy = xstrdup(line);
	char   *key;
	char   *value;
	const char *cp;

	if (dict_split_line(copy, &key, &value) == 0) {
		if (*key == 0 || *value == 0)
			fuzz_fail("dict_split_line(\"%s\"): empty part", line);
		for (cp = key; *cp; cp++)
			if (isspace((unsigned char) *cp))
				fuzz_fail("dict_split_line(\"%s\"): blank in key", line);
		if (isspace((unsigned char) *value)
		    || isspace((unsigned char) value[strlen(value) - 1]))
			fuzz_fail("dict_split_line(\"%s\"): value not trimmed", line);
		if (keys->argc < FUZZ_POSTMAP_KEYS)
			argv_add(keys, key);
	}
	free(copy);
}

/* fuzz_postmap_alias - postalias's view of one logical line */
static void
fuzz_postmap_alias(const char *line)
{
	struct buf *key = buf_new(100);
	struct buf *value = buf_new(100);
	struct buf *why = buf_new(100);

	if (postalias_parse(line, key, value, why) == 0) {
		if (buf_len(key) == 0)
			fuzz_fail("postalias_parse(\"%s\"): empty name", line);
	} else if (buf_len(why) == 0) {
		fuzz_fail("postalias_parse(\"%s\") failed without a reason", line);
	}
	buf_free(why);
	buf_free(value);
	buf_free(key);
}

/* fuzz_postmap_lists - list helpers on one logical line */
static void
fuzz_postmap_lists(const char *line)
{
	struct argv *parts = argv_new(4);
	struct buf *why = buf_new(100);
	struct buf *folded = buf_new(100);
	char   *copy = xstrdup(line);
	char   *inside;
	size_t	i;

	if (dict_split_list(line, ", \t", parts, why) == 0) {
		for (i = 0; i < parts->argc; i++)
			if (*parts->argv[i] == 0)
				fuzz_fail("dict_split_list(\"%s\"): empty piece", line);
	} else if (buf_len(why) == 0) {
		fuzz_fail("dict_split_list(\"%s\") failed without a reason", line);
	}
	if (dict_unbrace(copy, &inside) == 0 && strlen(inside) + 2 > strlen(line))
		fuzz_fail("dict_unbrace(\"%s\") grew", line);
	if (strlen(dict_fold(folded, line)) != strlen(line))
		fuzz_fail("dict_fold(\"%s\") changed the length", line);
	free(copy);
	buf_free(folded);
	buf_free(why);
	argv_free(parts);
}

/* fuzz_postmap_read - every logical line; the number read */
static int
fuzz_postmap_read(const uint8_t *data, size_t len, struct argv *keys,
		          struct buf *first)
{
	FILE   *fp = fmemopen((void *) data, len, "r");
	struct buf *line = buf_new(100);
	int	lineno = 0, prev = 0, first_line, count = 0, status;

	if (fp == NULL)
		fuzz_fail("fmemopen: %s", strerror(errno));
	while ((status = dict_read_line(fp, "fuzz", line, &lineno, &first_line)) > 0) {
		if (first_line <= prev || first_line > lineno)
			fuzz_fail("logical line %d..%d after %d", first_line, lineno, prev);
		if (isspace((unsigned char) *buf_str(line)))
			fuzz_fail("logical line %d starts with white space", first_line);
		prev = lineno;
		if (count++ == 0)
			buf_cpy(first, buf_str(line));
		fuzz_postmap_split(buf_str(line), keys);
		fuzz_postmap_alias(buf_str(line));
		fuzz_postmap_lists(buf_str(line));
	}
	if (status < 0)
		fuzz_fail("dict_read_line on memory failed: %s", strerror(errno));
	buf_free(line);
	fclose(fp);
	return (count);
}

/* fuzz_postmap_walk - dict_seq() over a table; the number of entries */
static int
fuzz_postmap_walk(struct dict *dict)
{
	const char *key, *value;
	int	first = 1, n = 0;

	while (dict_seq(dict, first, &key, &value) == 0) {
		if (key == NULL || value == NULL)
			fuzz_fail("dict_seq gave a NULL key or value");
		first = 0;
		n++;
	}
	return (n);
}

/* fuzz_postmap_texthash - the input as a texthash: table */
static void
fuzz_postmap_texthash(const char *path, const struct argv *keys, int lines)
{
	struct buf *spec = buf_new(100);
	struct buf *why = buf_new(100);
	struct dict *dict;
	size_t	i;

	buf_printf(spec, "texthash:%s", path);
	if ((dict = dict_open(buf_str(spec), DICT_FLAG_FOLD, NULL, why)) == NULL)
		fuzz_fail("open %s: %s", buf_str(spec), buf_str(why));
	for (i = 0; i < keys->argc; i++)
		if (dict_get(dict, keys->argv[i]) == NULL)
			fuzz_fail("texthash lookup of key \"%s\" fails", keys->argv[i]);
	if (fuzz_postmap_walk(dict) > lines)
		fuzz_fail("texthash has more entries than %d lines", lines);
	dict_close(dict);
	buf_free(why);
	buf_free(spec);
}

/* fuzz_postmap_inline - the first line as an inline: table */
static void
fuzz_postmap_inline(const char *line)
{
	struct buf *spec = buf_new(100);
	struct buf *why = buf_new(100);
	struct dict *dict;
	int	error = 0;

	buf_printf(spec, "inline:%s", line);
	if ((dict = dict_open(buf_str(spec), DICT_FLAG_FOLD, &error, why)) != NULL) {
		(void) fuzz_postmap_walk(dict);
		(void) dict_get(dict, line);
		dict_close(dict);
	} else if (buf_len(why) == 0 || error == DICT_ERR_NONE) {
		fuzz_fail("dict_open(\"%s\") failed without a reason", buf_str(spec));
	}
	buf_free(why);
	buf_free(spec);
}

/* LLVMFuzzerInitialize - once per process */
int	LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	fuzz_init();
	fuzz_postmap_fd = fuzz_memfd("postmap");
	return (0);
}

/* LLVMFuzzerTestOneInput - one table source file */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct argv *keys;
	struct buf *first;
	const char *path;
	int	lines;

	if (len == 0)
		return (0);
	keys = argv_new(FUZZ_POSTMAP_KEYS);
	first = buf_new(100);
	lines = fuzz_postmap_read(data, len, keys, first);
	path = fuzz_memfd_fill(fuzz_postmap_fd, data, len);
	fuzz_postmap_texthash(path, keys, lines);
	fuzz_postmap_inline(buf_str(first));
	buf_free(first);
	argv_free(keys);
	return (0);
}
