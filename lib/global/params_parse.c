/*
 * NAME
 *	params_parse - value parsers and the main.cf line reader
 * SYNOPSIS
 *	#include <global/params.h>
 *	#include <global/params_private.h>
 * DESCRIPTION
 *	params_parse_time(), params_parse_size(), params_parse_int(),
 *	params_parse_bool(), params_parse_percent(), params_parse_rate() and
 *	params_parse_text() are described in params.h. params_convert()
 *	parses a typed value, checks its limits and explains a failure in
 *	why without a location (the caller adds that).
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <limits.h>
#include <strings.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <global/params.h>
#include <global/params_private.h>

/* parse_digits - unsigned decimal number; end gets the first other char */
static int
parse_digits(const char *text, long *value, const char **end)
{
	long	n = 0;

	if (!isdigit((unsigned char) *text))
		return (-1);
	for (; isdigit((unsigned char) *text); text++) {
		if (n > (LONG_MAX - (*text - '0')) / 10)
			return (-1);
		n = n * 10 + (*text - '0');
	}
	*value = n;
	*end = text;
	return (0);
}

/* unit_seconds - seconds per time unit, 0 for a bad unit */
static long
unit_seconds(int unit)
{
	switch (unit) {
	case 's':
		return (1);
	case 'm':
		return (60);
	case 'h':
		return (3600);
	case 'd':
		return (86400);
	case 'w':
		return (7 * 86400);
	default:
		return (0);
	}
}

/* params_parse_time - "10", "10s", "5m", "2h", "5d", "1w" to seconds */
int
params_parse_time(const char *text, int default_unit, long *seconds)
{
	const char *end;
	long	n, mult;

	if (parse_digits(text, &n, &end) < 0)
		return (-1);
	if (*end == 0)
		mult = unit_seconds(default_unit);
	else if (end[1] == 0)
		mult = unit_seconds(*end);
	else
		return (-1);
	if (mult == 0 || n > LONG_MAX / mult)
		return (-1);
	*seconds = n * mult;
	return (0);
}

/* params_parse_size - a size in bytes */
int
params_parse_size(const char *text, long *bytes)
{
	const char *end;

	if (parse_digits(text, bytes, &end) < 0 || *end != 0)
		return (-1);
	return (0);
}

/* params_parse_int - a decimal integer, optionally signed */
int
params_parse_int(const char *text, long *value)
{
	const char *end;
	int	negative = 0;

	if (*text == '-' || *text == '+')
		negative = (*text++ == '-');
	if (parse_digits(text, value, &end) < 0 || *end != 0)
		return (-1);
	if (negative)
		*value = -*value;
	return (0);
}

/* params_parse_bool - yes/no (also true/false), any case */
int
params_parse_bool(const char *text, int *value)
{
	if (strcasecmp(text, "yes") == 0 || strcasecmp(text, "true") == 0)
		*value = 1;
	else if (strcasecmp(text, "no") == 0 || strcasecmp(text, "false") == 0)
		*value = 0;
	else
		return (-1);
	return (0);
}

/* params_parse_percent - "N%" or "N", 0..100 */
int
params_parse_percent(const char *text, int *percent)
{
	const char *end;
	long	n;

	if (parse_digits(text, &n, &end) < 0)
		return (-1);
	if (*end == '%')
		end++;
	if (*end != 0 || n > 100)
		return (-1);
	*percent = (int) n;
	return (0);
}

/* params_parse_rate - "100/m", "10/2m", "5/s"; "0" is no limit */
int
params_parse_rate(const char *text, long *count, long *per_seconds)
{
	const char *end;
	long	n, period;

	if (parse_digits(text, &n, &end) < 0)
		return (-1);
	if (*end == 0 && n == 0) {
		*count = 0;
		*per_seconds = 0;
		return (0);
	}
	if (*end++ != '/')
		return (-1);
	if (*end == 0)
		return (-1);
	if (unit_seconds(*end) && end[1] == 0)
		period = unit_seconds(*end);
	else if (params_parse_time(end, 's', &period) < 0 || period == 0)
		return (-1);
	*count = n;
	*per_seconds = period;
	return (0);
}

/* convert_limits - check min and max (max 0 = none) */
static int
convert_limits(long value, long min, long max, struct buf *why)
{
	if (value < min) {
		buf_printf(why, "value %ld is below the minimum %ld", value, min);
		return (-1);
	}
	if (max != 0 && value > max) {
		buf_printf(why, "value %ld is above the maximum %ld", value, max);
		return (-1);
	}
	return (0);
}

/* params_convert - parse and range check a typed value */
int
params_convert(enum param_type type, int unit, const char *value,
	       long min, long max, long *result, struct buf *why)
{
	int	flag;

	switch (type) {
	case PARAM_INT:
		if (params_parse_int(value, result) < 0
		    || *result < INT_MIN || *result > INT_MAX) {
			buf_printf(why, "bad numerical value \"%s\"", value);
			return (-1);
		}
		return (convert_limits(*result, min, max, why));
	case PARAM_BOOL:
		if (params_parse_bool(value, &flag) < 0) {
			buf_printf(why, "bad boolean value \"%s\" (use yes or no)", value);
			return (-1);
		}
		*result = flag;
		return (0);
	case PARAM_PCT:
		if (params_parse_percent(value, &flag) < 0) {
			buf_printf(why, "bad percentage \"%s\" (use 0%% to 100%%)", value);
			return (-1);
		}
		*result = flag;
		return (0);
	case PARAM_TIME:
		if (params_parse_time(value, unit, result) < 0) {
			buf_printf(why, "bad time value \"%s\" (use a number with an "
				   "optional unit s, m, h, d or w; default unit %c)",
				   value, unit);
			return (-1);
		}
		return (convert_limits(*result, min, max, why));
	case PARAM_SIZE:
		if (params_parse_size(value, result) < 0) {
			buf_printf(why, "bad size value \"%s\" (use a number of bytes)", value);
			return (-1);
		}
		return (convert_limits(*result, min, max, why));
	default:
		*result = 0;
		return (0);
	}
}

/* Logical-line reader state. */
struct line_state {
	const char *path;
	params_line_fn fn;
	void   *ctx;
	struct buf *why;
	struct buf *text;		/* current logical line */
	int	first;			/* its first physical line, 0 = none */
	int	last;
};

/* trim_end - length of text without trailing white space */
static size_t
trim_end(const char *text, size_t len)
{
	while (len > 0 && isspace((unsigned char) text[len - 1]))
		len--;
	return (len);
}

/* line_flush - hand the pending logical line to the callback */
static int
line_flush(struct line_state *ls)
{
	const char *text = buf_str(ls->text);
	const char *eq, *vp;
	size_t	nlen;
	struct buf *name;
	int	ret;

	if (ls->first == 0)
		return (0);
	if ((eq = strchr(text, '=')) == NULL) {
		buf_printf(ls->why, "%s, line %d: missing '=' after parameter name: \"%s\"",
			   ls->path, ls->first, text);
		return (-1);
	}
	nlen = trim_end(text, (size_t) (eq - text));
	if (nlen == 0 || strcspn(text, " \t$={}#") < nlen) {
		buf_printf(ls->why, "%s, line %d: bad parameter name: \"%.*s\"",
			   ls->path, ls->first, (int) nlen, text);
		return (-1);
	}
	for (vp = eq + 1; *vp == ' ' || *vp == '\t'; vp++)
		 /* void */ ;
	name = buf_new(nlen + 1);
	buf_catn(name, text, nlen);
	ret = ls->fn(buf_str(name), vp, ls->first, ls->last, ls->ctx);
	buf_free(name);
	ls->first = 0;
	buf_reset(ls->text);
	return (ret);
}

/* line_take - one physical line */
static int
line_take(struct line_state *ls, const char *line, size_t len, int lineno)
{
	size_t	skip = 0;

	while (skip < len && isspace((unsigned char) line[skip]))
		skip++;
	if (skip == len || line[skip] == '#')
		return (0);			/* blank or comment */
	len = trim_end(line, len);
	if (skip > 0) {
		if (ls->first == 0) {
			buf_printf(ls->why, "%s, line %d: continuation line "
				   "(starting with white space) without a "
				   "preceding parameter line", ls->path, lineno);
			return (-1);
		}
		buf_putc(ls->text, ' ');
		buf_catn(ls->text, line + skip, len - skip);
		ls->last = lineno;
		return (0);
	}
	if (line_flush(ls) != 0)
		return (-1);
	buf_catn(ls->text, line, len);
	ls->first = ls->last = lineno;
	return (0);
}

/* params_parse_text - split main.cf text into logical lines */
int
params_parse_text(const char *path, const char *text, params_line_fn fn,
		  void *ctx, struct buf *why)
{
	struct line_state ls;
	const char *nl;
	size_t	len;
	int	lineno = 0;
	int	ret = 0;

	ls.path = path;
	ls.fn = fn;
	ls.ctx = ctx;
	ls.why = why;
	ls.text = buf_new(256);
	ls.first = ls.last = 0;
	while (*text && ret == 0) {
		lineno++;
		nl = strchr(text, '\n');
		len = nl ? (size_t) (nl - text) : strlen(text);
		ret = line_take(&ls, text, len, lineno);
		text += len + (nl != NULL);
	}
	if (ret == 0)
		ret = line_flush(&ls);
	buf_free(ls.text);
	return (ret);
}
