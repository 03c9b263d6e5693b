/*
 * NAME
 *	mastercf - master.cf parser
 * SYNOPSIS
 *	#include <global/mastercf.h>
 * DESCRIPTION
 *	See mastercf.h. A logical line is split into words at blanks, tabs,
 *	CR and LF; a word that begins with "{" runs to its matching "}"
 *	and loses those characters at both ends. The first seven words are
 *	the fixed columns, the eighth the command, the rest arguments and
 *	-o overrides. mastercf_format() braces an item that is empty, holds
 *	such a character or starts with "-o" or "{", and one that starts
 *	with "#" or other white space when its braces balance (else it
 *	stays bare and, folded, on the command line), so that its output
 *	parses back to the same entry.
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <fcntl.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/mastercf.h>

#define MASTERCF_COLUMNS	8	/* service .. command */

static const char *const mastercf_column_names[MASTERCF_COLUMNS] = {
	"service", "type", "private", "unpriv", "chroot", "wakeup", "maxproc",
	"command",
};

static const char *const mastercf_type_names[] = {
	[MASTERCF_UNIX] = "unix",
	[MASTERCF_INET] = "inet",
	[MASTERCF_FIFO] = "fifo",
	[MASTERCF_PASS] = "pass",
	[MASTERCF_UNIX_DGRAM] = "unix-dgram",
};

/* postconf -M column positions (service, type, private, ..., command). */
static const size_t mastercf_goal[MASTERCF_COLUMNS] = {
	0, 11, 17, 25, 33, 41, 49, 57,
};

/* Parser state for one file. */
struct mcf_parse {
	const char *path;
	int	line;			/* first line of the logical line */
	struct buf *why;
	struct mastercf *mcf;
	size_t	cap;
};

/* One word of a logical line. */
struct mcf_word {
	char   *text;
	int	is_braced;
};

/* mcf_error - "PATH, line N: reason" */
static int PRINTFLIKE(2, 3)
mcf_error(struct mcf_parse *mp, const char *fmt, ...)
{
	va_list	ap;

	buf_printf(mp->why, "%s, line %d: ", mp->path, mp->line);
	va_start(ap, fmt);
	buf_vappendf(mp->why, fmt, ap);
	va_end(ap);
	return (-1);
}

/* mastercf_type_name - text of a service type */
const char *
mastercf_type_name(enum mastercf_type type)
{
	return (mastercf_type_names[type]);
}

/* mcf_is_blank - one of the characters that separate words */
static int
mcf_is_blank(int ch)
{
	return (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n');
}

/* mcf_trim - copy of text[0..len) without surrounding white space */
static char *
mcf_trim(const char *text, size_t len)
{
	while (len > 0 && mcf_is_blank(*text)) {
		text++;
		len--;
	}
	while (len > 0 && mcf_is_blank(text[len - 1]))
		len--;
	return (xstrndup(text, len));
}

/* mcf_split - words of a logical line; count in *nwords */
static struct mcf_word *
mcf_split(struct mcf_parse *mp, const char *text, size_t *nwords)
{
	struct mcf_word *words = NULL;
	size_t	n = 0, cap = 0, len;
	const char *cp = text, *start;
	int	depth;

	for (;;) {
		while (mcf_is_blank(*cp))
			cp++;
		if (*cp == 0)
			break;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			words = xreallocarray(words, cap, sizeof(*words));
		}
		start = cp;
		if (*cp == '{') {
			for (depth = 0; *cp; cp++) {
				if (*cp == '{')
					depth++;
				else if (*cp == '}' && --depth == 0)
					break;
			}
			if (*cp != '}') {
				words[n].text = NULL;
				*nwords = n;
				(void) mcf_error(mp, "missing '}' in \"%s\"", start);
				return (words);
			}
			words[n].text = mcf_trim(start + 1, (size_t) (cp - start - 1));
			words[n++].is_braced = 1;
			cp++;
			if (*cp && !mcf_is_blank(*cp)) {
				*nwords = n;
				(void) mcf_error(mp, "text after '}' in \"%s\"", start);
				return (words);
			}
			continue;
		}
		len = strcspn(cp, " \t\r\n");
		words[n].text = xstrndup(cp, len);
		words[n++].is_braced = 0;
		cp += len;
	}
	*nwords = n;
	return (words);
}

/* mcf_words_free - release split words */
static void
mcf_words_free(struct mcf_word *words, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(words[i].text);
	free(words);
}

/* mcf_flag - y, n or - (default) */
static int
mcf_flag(struct mcf_parse *mp, const char *text, int column, int def, int *flag)
{
	if (strcmp(text, "-") == 0)
		*flag = def;
	else if (strcmp(text, "y") == 0)
		*flag = 1;
	else if (strcmp(text, "n") == 0)
		*flag = 0;
	else
		return (mcf_error(mp, "bad %s field \"%s\" (use y, n or -)",
				  mastercf_column_names[column], text));
	return (0);
}

/* mcf_number - non-negative decimal, bounded */
static int
mcf_number(const char *text, size_t len, int *value)
{
	long	n = 0;
	size_t	i;

	if (len == 0 || len > 9)
		return (-1);
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char) text[i]))
			return (-1);
		n = n * 10 + (text[i] - '0');
	}
	*value = (int) n;
	return (0);
}

/* mcf_wakeup - "-", "N" or "N?" */
static int
mcf_wakeup(struct mcf_parse *mp, const char *text, struct mastercf_entry *ep)
{
	size_t	len = strlen(text);

	ep->wakeup = 0;
	ep->is_wakeup_conditional = 0;
	if (strcmp(text, "-") == 0)
		return (0);
	if (len > 0 && text[len - 1] == '?') {
		ep->is_wakeup_conditional = 1;
		len--;
	}
	if (mcf_number(text, len, &ep->wakeup) < 0)
		return (mcf_error(mp, "bad wakeup field \"%s\" (use seconds, "
				  "seconds followed by ?, or -)", text));
	return (0);
}

/* mcf_maxproc - "-" (default, -1) or a number (0 = no limit) */
static int
mcf_maxproc(struct mcf_parse *mp, const char *text, struct mastercf_entry *ep)
{
	if (strcmp(text, "-") == 0) {
		ep->maxproc = -1;
		return (0);
	}
	if (mcf_number(text, strlen(text), &ep->maxproc) < 0)
		return (mcf_error(mp, "bad maxproc field \"%s\" (use a number or -)",
				  text));
	return (0);
}

/* mcf_type - the transport type column */
static int
mcf_type(struct mcf_parse *mp, const char *text, struct mastercf_entry *ep)
{
	size_t	i;

	for (i = 0; i < ARRAY_LEN(mastercf_type_names); i++) {
		if (strcmp(text, mastercf_type_names[i]) == 0) {
			ep->type = (enum mastercf_type) i;
			return (0);
		}
	}
	return (mcf_error(mp, "bad type field \"%s\" (use unix, inet, fifo, "
			  "pass or unix-dgram)", text));
}

/* mcf_port_ok - port number 1-65535 or a service name */
static int
mcf_port_ok(const char *port)
{
	int	num;
	const char *cp;

	if (*port == 0)
		return (0);
	if (isdigit((unsigned char) *port))
		return (mcf_number(port, strlen(port), &num) == 0 && num >= 1
			&& num <= 65535);
	for (cp = port; *cp; cp++)
		if (!isalnum((unsigned char) *cp) && *cp != '-' && *cp != '_')
			return (0);
	return (1);
}

/* mcf_inet - "port", "host:port", "[addr]:port" */
static int
mcf_inet(struct mcf_parse *mp, struct mastercf_entry *ep)
{
	const char *name = ep->service, *colon, *close;

	if (*name == '[') {
		if ((close = strchr(name, ']')) == NULL || close[1] != ':'
		    || close == name + 1)
			return (mcf_error(mp, "bad inet service \"%s\" "
					  "(use [address]:port)", name));
		ep->inet_host = xstrndup(name + 1, (size_t) (close - name - 1));
		ep->inet_port = xstrdup(close + 2);
	} else if ((colon = strrchr(name, ':')) != NULL) {
		if (colon == name || memchr(name, ':', (size_t) (colon - name)))
			return (mcf_error(mp, "bad inet service \"%s\" (use "
				"host:port, or [address]:port for IPv6)", name));
		ep->inet_host = xstrndup(name, (size_t) (colon - name));
		ep->inet_port = xstrdup(colon + 1);
	} else {
		ep->inet_port = xstrdup(name);
	}
	if (!mcf_port_ok(ep->inet_port))
		return (mcf_error(mp, "bad port \"%s\" in inet service \"%s\"",
				  ep->inet_port, name));
	return (0);
}

/* mcf_override_item - "name=value" from a -o argument */
static int
mcf_override_item(struct mcf_parse *mp, const struct mcf_word *word,
		  struct argv *overrides)
{
	const char *eq = strchr(word->text, '=');
	char   *name, *value;
	struct buf *item;

	if (eq == NULL)
		return (mcf_error(mp, "-o %s: expected name=value (or -o { name = "
				  "value } for a value with spaces)", word->text));
	name = mcf_trim(word->text, (size_t) (eq - word->text));
	value = mcf_trim(eq + 1, strlen(eq + 1));
	if (*name == 0 || strcspn(name, " \t\r\n{}$") != strlen(name)) {
		free(value);
		(void) mcf_error(mp, "-o %s: bad parameter name \"%s\"", word->text, name);
		free(name);
		return (-1);
	}
	item = buf_new(64);
	buf_printf(item, "%s=%s", name, value);
	argv_add(overrides, buf_str(item));
	buf_free(item);
	free(name);
	free(value);
	return (0);
}

/* mcf_arguments - arguments after the command: -o items and the rest */
static int
mcf_arguments(struct mcf_parse *mp, struct mcf_word *words, size_t n,
	      struct mastercf_entry *ep)
{
	struct mcf_word attached;
	size_t	i;

	for (i = MASTERCF_COLUMNS; i < n; i++) {
		if (!words[i].is_braced && strcmp(words[i].text, "-o") == 0) {
			if (++i == n)
				return (mcf_error(mp, "-o at the end of the line: "
						  "expected -o name=value"));
			if (mcf_override_item(mp, words + i, ep->overrides) < 0)
				return (-1);
		} else if (!words[i].is_braced && strncmp(words[i].text, "-o", 2) == 0) {
			attached.text = words[i].text + 2;
			attached.is_braced = 0;
			if (mcf_override_item(mp, &attached, ep->overrides) < 0)
				return (-1);
		} else {
			argv_add(ep->args, words[i].text);
		}
	}
	return (0);
}

/* mcf_columns - the fixed columns */
static int
mcf_columns(struct mcf_parse *mp, struct mcf_word *words, size_t n,
	    struct mastercf_entry *ep)
{
	size_t	i;

	for (i = 0; i < MASTERCF_COLUMNS; i++) {
		if (i >= n)
			return (mcf_error(mp, "missing %s field", mastercf_column_names[i]));
		if (words[i].is_braced)
			return (mcf_error(mp, "unexpected { } in %s field",
					  mastercf_column_names[i]));
	}
	ep->service = xstrdup(words[0].text);
	for (i = 0; i < 5; i++)
		ep->column[i] = xstrdup(words[2 + i].text);
	ep->command = xstrdup(words[7].text);
	if (mcf_type(mp, words[1].text, ep) < 0
	    || mcf_flag(mp, words[2].text, 2, 1, &ep->is_private) < 0
	    || mcf_flag(mp, words[3].text, 3, 1, &ep->is_unpriv) < 0
	    || mcf_flag(mp, words[4].text, 4, 0, &ep->is_chroot) < 0
	    || mcf_wakeup(mp, words[5].text, ep) < 0
	    || mcf_maxproc(mp, words[6].text, ep) < 0)
		return (-1);
	if (ep->type == MASTERCF_INET) {
		ep->is_private = 0;
		return (mcf_inet(mp, ep));
	}
	if (strchr(ep->service, '/') != NULL)
		return (mcf_error(mp, "bad service name \"%s\": \"/\" is not "
				  "allowed", ep->service));
	return (0);
}

/* mcf_entry_free - release one entry's storage */
static void
mcf_entry_free(struct mastercf_entry *ep)
{
	size_t	i;

	free(ep->service);
	free(ep->command);
	free(ep->inet_host);
	free(ep->inet_port);
	for (i = 0; i < ARRAY_LEN(ep->column); i++)
		free(ep->column[i]);
	argv_free(ep->args);
	argv_free(ep->overrides);
}

/* mcf_duplicate - refuse a second service/type pair */
static int
mcf_duplicate(struct mcf_parse *mp, const struct mastercf_entry *ep)
{
	size_t	i;

	for (i = 0; i < mp->mcf->count; i++) {
		if (mp->mcf->entries[i].type == ep->type
		    && strcmp(mp->mcf->entries[i].service, ep->service) == 0)
			return (mcf_error(mp, "duplicate service %s/%s (also on line %d)",
					  ep->service, mastercf_type_name(ep->type),
					  mp->mcf->entries[i].line));
	}
	return (0);
}

/* mcf_logical - parse one logical line into a new entry */
static int
mcf_logical(struct mcf_parse *mp, const char *text)
{
	struct mastercf_entry entry;
	struct mcf_word *words;
	size_t	n;
	int	ret;

	memset(&entry, 0, sizeof(entry));
	entry.args = argv_new(4);
	entry.overrides = argv_new(4);
	entry.line = mp->line;
	words = mcf_split(mp, text, &n);
	ret = buf_len(mp->why) ? -1 : 0;
	if (ret == 0)
		ret = mcf_columns(mp, words, n, &entry);
	if (ret == 0)
		ret = mcf_arguments(mp, words, n, &entry);
	if (ret == 0)
		ret = mcf_duplicate(mp, &entry);
	mcf_words_free(words, n);
	if (ret < 0) {
		mcf_entry_free(&entry);
		return (-1);
	}
	if (mp->mcf->count == mp->cap) {
		mp->cap = mp->cap ? 2 * mp->cap : 32;
		mp->mcf->entries = xreallocarray(mp->mcf->entries, mp->cap,
						 sizeof(entry));
	}
	mp->mcf->entries[mp->mcf->count++] = entry;
	return (0);
}

/* mcf_lines - split text into logical lines and parse each */
static int
mcf_lines(struct mcf_parse *mp, const char *text)
{
	struct buf *logical = buf_new(256);
	const char *nl, *cp;
	size_t	len;
	int	lineno = 0, ret = 0;

	for (; *text && ret == 0; text += len + (nl != NULL)) {
		lineno++;
		nl = strchr(text, '\n');
		len = nl ? (size_t) (nl - text) : strlen(text);
		for (cp = text; cp < text + len && isspace((unsigned char) *cp); cp++)
			 /* void */ ;
		if (cp == text + len || *cp == '#')
			continue;
		if (cp > text && buf_len(logical) == 0) {
			mp->line = lineno;
			ret = mcf_error(mp, "continuation line (starting with white "
					"space) without a preceding service line");
		} else if (cp > text) {
			buf_putc(logical, ' ');
			buf_catn(logical, cp, len - (size_t) (cp - text));
		} else {
			if (buf_len(logical))
				ret = mcf_logical(mp, buf_str(logical));
			buf_reset(logical);
			buf_catn(logical, text, len);
			mp->line = lineno;
		}
	}
	if (ret == 0 && buf_len(logical))
		ret = mcf_logical(mp, buf_str(logical));
	buf_free(logical);
	return (ret);
}

/* mastercf_parse - parse master.cf text */
struct mastercf *
mastercf_parse(const char *path, const char *text, struct buf *why)
{
	struct mcf_parse mp;

	buf_reset(why);
	mp.path = path;
	mp.line = 0;
	mp.why = why;
	mp.cap = 0;
	mp.mcf = xcalloc(1, sizeof(*mp.mcf));
	mp.mcf->path = xstrdup(path);
	if (mcf_lines(&mp, text) < 0) {
		mastercf_free(mp.mcf);
		return (NULL);
	}
	return (mp.mcf);
}

/* mastercf_load - read and parse a master.cf file */
struct mastercf *
mastercf_load(const char *path, struct buf *why)
{
	struct buf *text = buf_new(8192);
	struct mastercf *mcf = NULL;
	char	chunk[8192];
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		buf_printf(why, "open %s: %m", path);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_printf(why, "read %s: %m", path);
			close(fd);
			goto out;
		}
		buf_catn(text, chunk, (size_t) n);
	}
	close(fd);
	mcf = mastercf_parse(path, buf_str(text), why);
out:
	buf_free(text);
	return (mcf);
}

/* mastercf_free - release a parsed file */
void
mastercf_free(struct mastercf *mcf)
{
	size_t	i;

	if (mcf == NULL)
		return;
	for (i = 0; i < mcf->count; i++)
		mcf_entry_free(mcf->entries + i);
	free(mcf->entries);
	free(mcf->path);
	free(mcf);
}

/* mastercf_find - entry by service name and type (NULL: any type) */
const struct mastercf_entry *
mastercf_find(const struct mastercf *mcf, const char *service, const char *type)
{
	size_t	i;

	for (i = 0; i < mcf->count; i++) {
		if (strcmp(mcf->entries[i].service, service) == 0
		    && (type == NULL
			|| strcmp(mastercf_type_name(mcf->entries[i].type), type) == 0))
			return (mcf->entries + i);
	}
	return (NULL);
}

/* mastercf_override - value of the last -o name=value, or NULL */
const char *
mastercf_override(const struct mastercf_entry *entry, const char *name)
{
	const char *found = NULL;
	size_t	i, len = strlen(name);

	for (i = 0; i < entry->overrides->argc; i++)
		if (strncmp(entry->overrides->argv[i], name, len) == 0
		    && entry->overrides->argv[i][len] == '=')
			found = entry->overrides->argv[i] + len + 1;
	return (found);
}

/* mcf_item_needs_braces - would item bare not read back as itself? */
static int
mcf_item_needs_braces(const char *item)
{
	return (*item == 0 || item[strcspn(item, " \t\r\n")] != 0
		|| strncmp(item, "-o", 2) == 0 || *item == '{');
}

/* mcf_item_bad_line_start - would item at a line start misread? */
static int
mcf_item_bad_line_start(const char *item)
{
	return (*item == '#' || isspace((unsigned char) *item));
}

/* mcf_item_balanced - can item go inside braces? */
static int
mcf_item_balanced(const char *item)
{
	int	depth = 0;

	for (; *item; item++) {
		if (*item == '{')
			depth++;
		else if (*item == '}' && --depth < 0)
			return (0);
	}
	return (depth == 0);
}

/* mcf_format_item - one argument, braced when bare could misread */
static void
mcf_format_item(struct buf *out, const char *prefix, const char *item)
{
	const char *eq;

	if (!mcf_item_needs_braces(item)
	    && !(mcf_item_bad_line_start(item) && mcf_item_balanced(item))) {
		buf_appendf(out, "%s%s", prefix, item);
	} else if (*prefix && (eq = strchr(item, '=')) != NULL) {
		buf_appendf(out, "%s{ %.*s = %s }", prefix, (int) (eq - item), item,
			    eq + 1);
	} else {
		buf_appendf(out, "%s{ %s }", prefix, item);
	}
}

/* mastercf_format - one entry in postconf -M layout */
void
mastercf_format(const struct mastercf_entry *entry, int fold, struct buf *out)
{
	const char *fields[MASTERCF_COLUMNS];
	size_t	i, start = buf_len(out);
	const char *sep = fold ? "\n  " : " ";
	const char *arg;

	fields[0] = entry->service;
	fields[1] = mastercf_type_name(entry->type);
	for (i = 0; i < 5; i++)
		fields[2 + i] = entry->column[i];
	fields[7] = entry->command;
	for (i = 0; i < MASTERCF_COLUMNS; i++) {
		if (i > 0) {
			do {
				buf_putc(out, ' ');
			} while (buf_len(out) - start < mastercf_goal[i]);
		}
		buf_cat(out, fields[i]);
	}
	for (i = 0; i < entry->overrides->argc; i++) {
		buf_cat(out, sep);
		mcf_format_item(out, "-o ", entry->overrides->argv[i]);
	}
	for (i = 0; i < entry->args->argc; i++) {
		arg = entry->args->argv[i];
		/* Bare, that would start a comment or continue differently. */
		if (i == 0 && mcf_item_bad_line_start(arg) && !mcf_item_balanced(arg))
			buf_cat(out, " ");
		else
			buf_cat(out, i == 0 ? sep : " ");
		mcf_format_item(out, "", arg);
	}
}
