/*
 * NAME
 *	postalias_parse - one aliases(5) entry into a key and a value
 * SYNOPSIS
 *	#include "postalias.h"
 *
 *	int	postalias_parse(const char *line, struct buf *key,
 *		struct buf *value, struct buf *why);
 * DESCRIPTION
 *	See postalias.h. The scanner knows just enough RFC 5322 lexical
 *	structure to find the colon that ends the name: quoted strings,
 *	backslash escapes and (comments) do not end it.
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <util/buf.h>
#include "postalias.h"

/* postalias_copy_quoted - copy "..." as is; returns the char after it */
static const char *
postalias_copy_quoted(const char *cp, struct buf *out)
{
	buf_putc(out, *cp++);
	while (*cp && *cp != '"') {
		if (*cp == '\\' && cp[1])
			buf_putc(out, *cp++);
		buf_putc(out, *cp++);
	}
	if (*cp)
		buf_putc(out, *cp++);
	return (cp);
}

/* postalias_copy_comment - copy (...) with nesting; char after it */
static const char *
postalias_copy_comment(const char *cp, struct buf *out)
{
	int	depth = 0;

	do {
		if (*cp == '\\' && cp[1])
			buf_putc(out, *cp++);
		else if (*cp == '(')
			depth++;
		else if (*cp == ')')
			depth--;
		buf_putc(out, *cp++);
	} while (*cp && depth > 0);
	return (cp);
}

/* postalias_name - the unquoted name up to the colon; NULL if none */
static const char *
postalias_name(const char *cp, struct buf *key)
{
	int	space = 0;

	buf_reset(key);
	for (; *cp && *cp != ':'; cp++) {
		if (isspace((unsigned char) *cp)) {
			space = buf_len(key) > 0;
			continue;
		}
		if (space)
			buf_putc(key, ' ');
		space = 0;
		if (*cp == '"') {
			for (cp++; *cp && *cp != '"'; cp++) {
				if (*cp == '\\' && cp[1])
					cp++;
				buf_putc(key, *cp);
			}
			if (*cp == 0)
				return (NULL);
		} else if (*cp == '\\' && cp[1]) {
			buf_putc(key, *++cp);
		} else {
			buf_putc(key, *cp);
		}
	}
	return (*cp == ':' ? cp + 1 : NULL);
}

/* postalias_value - normalise the white space of the value */
static void
postalias_value(const char *cp, struct buf *value)
{
	int	space = 0;

	buf_reset(value);
	while (*cp) {
		if (isspace((unsigned char) *cp)) {
			space = buf_len(value) > 0;
			cp++;
			continue;
		}
		if (*cp == ',') {
			buf_putc(value, *cp++);
			space = 1;
			continue;
		}
		if (space)
			buf_putc(value, ' ');
		space = 0;
		if (*cp == '"')
			cp = postalias_copy_quoted(cp, value);
		else if (*cp == '(')
			cp = postalias_copy_comment(cp, value);
		else if (*cp == '\\' && isalnum((unsigned char) cp[1])) {
			buf_putc(value, cp[1]);	/* \user: as Postfix, user */
			cp += 2;
		} else
			buf_putc(value, *cp++);
	}
	while (buf_len(value) > 0 && buf_str(value)[buf_len(value) - 1] == ' ')
		buf_truncate(value, buf_len(value) - 1);
}

/* postalias_parse - "name: value, value..." into key and value */
int
postalias_parse(const char *line, struct buf *key, struct buf *value,
		struct buf *why)
{
	const char *rest;

	if ((rest = postalias_name(line, key)) == NULL || buf_len(key) == 0) {
		buf_cpy(why, "need name:value pair");
		return (-1);
	}
	if (strchr(buf_str(key), '@') != NULL) {
		buf_cpy(why, "name must be local");
		return (-1);
	}
	postalias_value(rest, value);
	if (buf_len(value) == 0) {
		buf_cpy(why, "need name:value pair");
		return (-1);
	}
	return (0);
}
