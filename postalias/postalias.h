/*
 * NAME
 *	postalias - private interface of the postalias command
 * SYNOPSIS
 *	#include "postalias.h"
 *
 *	int	postalias_parse(const char *line, struct buf *key,
 *		struct buf *value, struct buf *why);
 * DESCRIPTION
 *	postalias_parse() turns one logical line of an aliases(5) file,
 *	"name: value, value...", into a key and a value. The name may be
 *	quoted ("a b": ...; the quotes are removed) and must not contain
 *	"@". The value is the text after the colon with white space
 *	normalised: runs of blanks become one space, no blank before a
 *	comma and one after it; quoted strings, (comments) and values such
 *	as :include:/file, /file and "|command" are kept as written. It
 *	returns 0, or -1 with why ("need name:value pair", "name must be
 *	local").
 */
#ifndef POSTERN_POSTALIAS_H
#define POSTERN_POSTALIAS_H

#include <util/sys_defs.h>
#include <util/buf.h>

int	postalias_parse(const char *line, struct buf *key, struct buf *value,
			        struct buf *why);

#endif
