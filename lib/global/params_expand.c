/*
 * NAME
 *	params_expand - $name expansion of parameter values
 * SYNOPSIS
 *	#include <global/params_private.h>
 *
 *	int	params_expand_into(const char *text, struct buf *out,
 *		struct params_expand_state *st);
 *	void	params_scan_refs(const char *text, void (*fn)(const char *name,
 *		size_t len, void *ctx), void *ctx);
 * DESCRIPTION
 *	params_expand_into() appends text to out with every reference
 *	replaced: $name, ${name}, $(name), ${name?value}, ${name:value},
 *	${name?{value}}, ${name:{value}}, ${name?{value1}:{value2}}; "$$" is a
 *	literal "$", and a "$" not followed by a name or bracket stays as it
 *	is. Names are resolved with params_resolve(), which detects loops
 *	through st->stack. Only the selected branch of a conditional is
 *	expanded. The result is -1 (st->failed set, st->why explained, the
 *	innermost parameter being expanded named) on an unbalanced bracket,
 *	an empty or bad name, or an error from a referenced value.
 *
 *	params_scan_refs() calls fn for every name referenced in text,
 *	including names inside conditional branches, without expanding.
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <global/params.h>
#include <global/params_private.h>

#define IS_NAME_CHAR(c)	(isalnum((unsigned char) (c)) || (c) == '_')

/* expand_fail - record the first syntax error */
static int
expand_fail(struct params_expand_state *st, const char *reason, const char *text,
	    size_t len)
{
	struct buf *loc;
	const char *name;

	if (!st->failed) {
		loc = buf_new(100);
		if (st->stack->argc > 0) {
			name = st->stack->argv[st->stack->argc - 1];
			params_value_location(name, loc);
			buf_appendf(loc, "parameter %s: ", name);
		}
		buf_printf(st->why, "%s%s in \"%.*s\"", buf_str(loc), reason,
			   (int) len, text);
		buf_free(loc);
	}
	st->failed = 1;
	return (-1);
}

/* match_close - position of the bracket that closes text[0], or NULL */
static const char *
match_close(const char *text)
{
	int	open = *text, close = (open == '{' ? '}' : ')');
	int	depth = 0;

	for (; *text; text++) {
		if (*text == open)
			depth++;
		else if (*text == close && --depth == 0)
			return (text);
	}
	return (NULL);
}

/* skip_space - past blanks */
static const char *
skip_space(const char *cp, const char *end)
{
	while (cp < end && isspace((unsigned char) *cp))
		cp++;
	return (cp);
}

/* expand_part - expand a substring */
static int
expand_part(const char *text, size_t len, struct buf *out,
	    struct params_expand_state *st)
{
	char   *copy = xstrndup(text, len);
	int	ret = params_expand_into(copy, out, st);

	free(copy);
	return (ret);
}

/* split_branches - "{a}:{b}", "{a}" or plain text into one or two parts */
static int
split_branches(const char *body, const char *end, const char **b1, size_t *l1,
	       const char **b2, size_t *l2)
{
	const char *close, *cp;

	*b2 = NULL;
	*l2 = 0;
	if (*body != '{' || (close = match_close(body)) == NULL || close >= end) {
		*b1 = body;
		*l1 = (size_t) (end - body);
		return (0);
	}
	*b1 = body + 1;
	*l1 = (size_t) (close - body - 1);
	cp = skip_space(close + 1, end);
	if (cp == end)
		return (0);
	if (*cp != ':')
		return (-1);
	cp = skip_space(cp + 1, end);
	if (cp == end || *cp != '{' || (close = match_close(cp)) == NULL
	    || skip_space(close + 1, end) != end)
		return (-1);
	*b2 = cp + 1;
	*l2 = (size_t) (close - cp - 1);
	return (0);
}

/* expand_braced - the inside of ${...} or $(...) */
static int
expand_braced(const char *inner, size_t len, struct buf *out,
	      struct params_expand_state *st)
{
	const char *end = inner + len, *cp = inner, *value, *b1, *b2;
	size_t	l1, l2;
	char   *name;
	int	op, is_set;

	while (cp < end && IS_NAME_CHAR(*cp))
		cp++;
	if (cp == inner)
		return (expand_fail(st, "bad or missing parameter name", inner, len));
	name = xstrndup(inner, (size_t) (cp - inner));
	value = params_resolve(name, st);
	free(name);
	if (st->failed)
		return (-1);
	if (cp == end) {
		if (value)
			buf_cat(out, value);
		return (0);
	}
	if ((op = *cp) != '?' && op != ':')
		return (expand_fail(st, "bad character after parameter name", inner, len));
	if (split_branches(cp + 1, end, &b1, &l1, &b2, &l2) < 0
	    || (op == ':' && b2 != NULL))
		return (expand_fail(st, "bad conditional expression", inner, len));
	is_set = (value != NULL && *value != 0);
	if (op == '?' && is_set)
		return (expand_part(b1, l1, out, st));
	if (op == '?' && b2 != NULL)
		return (expand_part(b2, l2, out, st));
	if (op == ':' && !is_set)
		return (expand_part(b1, l1, out, st));
	return (0);
}

/* params_expand_into - append text with references expanded */
int
params_expand_into(const char *text, struct buf *out,
		   struct params_expand_state *st)
{
	const char *cp = text, *start, *close;
	const char *value;
	char   *name;
	size_t	len;

	while (*cp && !st->failed) {
		len = strcspn(cp, "$");
		buf_catn(out, cp, len);
		if (cp[len] == 0)
			break;
		cp += len + 1;
		if (*cp == '$') {
			buf_putc(out, '$');
			cp++;
		} else if (*cp == '{' || *cp == '(') {
			if ((close = match_close(cp)) == NULL)
				return (expand_fail(st, "unbalanced bracket", cp - 1,
						    strlen(cp - 1)));
			if (expand_braced(cp + 1, (size_t) (close - cp - 1), out, st) < 0)
				return (-1);
			cp = close + 1;
		} else if (IS_NAME_CHAR(*cp)) {
			for (start = cp; IS_NAME_CHAR(*cp); cp++)
				 /* void */ ;
			name = xstrndup(start, (size_t) (cp - start));
			value = params_resolve(name, st);
			free(name);
			if (value)
				buf_cat(out, value);
		} else {
			buf_putc(out, '$');
		}
	}
	return (st->failed ? -1 : 0);
}

/* params_scan_refs - report every referenced name */
void
params_scan_refs(const char *text, void (*fn)(const char *name, size_t len,
					       void *ctx), void *ctx)
{
	const char *cp = text, *start;

	while ((cp = strchr(cp, '$')) != NULL) {
		cp++;
		if (*cp == '$') {
			cp++;
			continue;
		}
		if (*cp == '{' || *cp == '(')
			cp++;
		for (start = cp; IS_NAME_CHAR(*cp); cp++)
			 /* void */ ;
		if (cp > start)
			fn(start, (size_t) (cp - start), ctx);
	}
}
