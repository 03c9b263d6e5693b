/*
 * NAME
 *	dict_cidr - tables of network/prefix patterns
 * SYNOPSIS
 *	#include <global/dict.h>
 *
 *	struct dict *dict_cidr_open(const char *name, int flags,
 *		struct buf *why);
 * DESCRIPTION
 *	A cidr:NAME table is the file NAME with one rule per logical line,
 *	"pattern whitespace result", in postmap(1) source syntax (comments,
 *	continuation lines). A pattern is an IPv4 or IPv6 address, optionally
 *	in [], optionally followed by /prefix-length; an address alone
 *	matches only itself. "!pattern" matches every address of the same
 *	family that the pattern does not. A lookup key is an address; rules
 *	are tried in file order and the first match wins. A key that is not
 *	an address matches nothing.
 * DIAGNOSTICS
 *	A bad rule is skipped with a warning that gives the file name, the
 *	line number and the reason, as Postfix: bad address pattern, bad
 *	mask value or length, non-null host address bits, no lookup result.
 *	An unreadable file is an error.
 * SEE ALSO
 *	dict(3), cidr_table(5) in Postfix
 */
#include <util/sys_defs.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>
#include <global/dict.h>

struct dict_cidr_rule {
	int	family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* network, host bits zero */
	int	prefix;			/* number of network bits */
	int	negate;			/* "!pattern" */
	char   *value;
};

struct dict_cidr {
	struct dict dict;
	struct dict_cidr_rule *rules;
	size_t	count;
	size_t	cap;
};

/* dict_cidr_addr - parse an address; its length in bytes, or 0 */
static size_t
dict_cidr_addr(const char *text, int *family, unsigned char *addr)
{
	if (strchr(text, ':') != NULL) {
		*family = AF_INET6;
		return (inet_pton(AF_INET6, text, addr) == 1 ? 16 : 0);
	}
	*family = AF_INET;
	return (inet_pton(AF_INET, text, addr) == 1 ? 4 : 0);
}

/* dict_cidr_match - does addr fall in the rule's network? */
static int
dict_cidr_match(const struct dict_cidr_rule *rule, const unsigned char *addr)
{
	int	full = rule->prefix / 8;
	int	rest = rule->prefix % 8;
	unsigned char mask;

	if (memcmp(rule->addr, addr, (size_t) full) != 0)
		return (0);
	if (rest == 0)
		return (1);
	mask = (unsigned char) (0xff << (8 - rest));
	return ((rule->addr[full] & mask) == (addr[full] & mask));
}

/* dict_cidr_lookup - first rule that matches the address */
static const char *
dict_cidr_lookup(struct dict *dict, const char *key)
{
	struct dict_cidr *dc = (struct dict_cidr *) dict;
	unsigned char addr[16];
	int	family;
	size_t	i;

	if (dict_cidr_addr(key, &family, addr) == 0)
		return (NULL);
	for (i = 0; i < dc->count; i++)
		if (dc->rules[i].family == family
		    && dict_cidr_match(&dc->rules[i], addr) != dc->rules[i].negate)
			return (dc->rules[i].value);
	return (NULL);
}

/* dict_cidr_close - free the rules */
static void
dict_cidr_close(struct dict *dict)
{
	struct dict_cidr *dc = (struct dict_cidr *) dict;
	size_t	i;

	for (i = 0; i < dc->count; i++)
		free(dc->rules[i].value);
	free(dc->rules);
	dict_free(dict);
}

/* dict_cidr_host_bits - clear host bits; 1 if any were set */
static int
dict_cidr_host_bits(unsigned char *addr, size_t len, int prefix)
{
	int	had = 0;
	size_t	i;
	int	bits;
	unsigned char mask;

	for (i = 0; i < len; i++) {
		bits = prefix - (int) i * 8;
		mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (unsigned char) (0xff << (8 - bits));
		if (addr[i] & ~mask)
			had = 1;
		addr[i] &= mask;
	}
	return (had);
}

/* dict_cidr_prefix - parse the text after "/"; -1 and why when bad */
static int
dict_cidr_prefix(const char *text, const char *pattern, size_t len,
		 struct buf *why)
{
	const char *cp;
	long	value;

	for (cp = text; isdigit((unsigned char) *cp); cp++)
		 /* void */ ;
	if (*text == 0 || *cp != 0 || cp - text > 3) {
		buf_printf(why, "bad mask value in \"%s\"", pattern);
		return (-1);
	}
	value = strtol(text, NULL, 10);
	if (value > (long) len * 8) {
		buf_printf(why, "bad mask length in \"%s\"", pattern);
		return (-1);
	}
	return ((int) value);
}

/* dict_cidr_pattern - parse "[!][addr]/len" into a rule */
static int
dict_cidr_pattern(char *pattern, struct dict_cidr_rule *rule, struct buf *why)
{
	const char *shown = pattern;
	char   *slash;
	char   *addr = pattern;
	size_t	len;
	char	text[INET6_ADDRSTRLEN];

	if ((rule->negate = (*addr == '!')) != 0)
		shown = ++addr;
	if ((slash = strchr(addr, '/')) != NULL)
		*slash = 0;
	if (*addr == '[' && (len = strlen(addr)) > 2 && addr[len - 1] == ']') {
		addr[len - 1] = 0;
		addr++;
	}
	if ((len = dict_cidr_addr(addr, &rule->family, rule->addr)) == 0) {
		if (slash)
			*slash = '/';
		buf_printf(why, "bad address pattern: \"%s\"", shown);
		return (-1);
	}
	rule->prefix = (int) len * 8;
	if (slash) {
		*slash = '/';
		if ((rule->prefix = dict_cidr_prefix(slash + 1, shown, len, why)) < 0)
			return (-1);
	}
	if (dict_cidr_host_bits(rule->addr, len, rule->prefix)) {
		inet_ntop(rule->family, rule->addr, text, sizeof(text));
		buf_printf(why, "non-null host address bits in \"%s\", perhaps you "
			   "should use \"%s/%d\" instead", shown, text, rule->prefix);
		return (-1);
	}
	return (0);
}

/* dict_cidr_rule - parse one logical line into a rule */
static int
dict_cidr_rule(struct dict_cidr *dc, char *line, struct buf *why)
{
	struct dict_cidr_rule rule;
	char   *pattern;
	char   *value;

	memset(&rule, 0, sizeof(rule));
	if (dict_split_line(line, &pattern, &value) < 0) {
		buf_cpy(why, "no lookup result");
		return (-1);
	}
	if (dict_cidr_pattern(pattern, &rule, why) < 0)
		return (-1);
	if (dc->count == dc->cap) {
		dc->cap = dc->cap ? dc->cap * 2 : 16;
		dc->rules = xreallocarray(dc->rules, dc->cap, sizeof(*dc->rules));
	}
	rule.value = xstrdup(value);
	dc->rules[dc->count++] = rule;
	return (0);
}

/* dict_cidr_load - read all rules */
static int
dict_cidr_load(struct dict_cidr *dc, FILE *fp, struct buf *why)
{
	struct buf *line = buf_new(100);
	struct buf *reason = buf_new(100);
	int	lineno = 0;
	int	first;
	int	status;

	while ((status = dict_read_line(fp, dc->dict.name, line, &lineno, &first)) > 0)
		if (dict_cidr_rule(dc, buf_str(line), reason) < 0)
			msg_warn("cidr map %s, line %d: %s: skipping this rule",
				 dc->dict.name, first, buf_str(reason));
	if (status < 0)
		buf_printf(why, "read %s: %m", dc->dict.name);
	buf_free(reason);
	buf_free(line);
	return (status);
}

/* dict_cidr_open - read NAME */
struct dict *
dict_cidr_open(const char *name, int flags, struct buf *why)
{
	struct dict_cidr *dc;
	FILE   *fp;
	int	status;

	if ((fp = fopen(name, "re")) == NULL) {
		buf_printf(why, "open %s: %m", name);
		return (NULL);
	}
	dc = (struct dict_cidr *) dict_alloc(sizeof(*dc), "cidr", name,
				   (flags & ~DICT_FLAG_FOLD) | DICT_FLAG_PATTERN);
	dc->dict.lookup = dict_cidr_lookup;
	dc->dict.close = dict_cidr_close;
	dc->dict.watch_path = xstrdup(name);
	if (fstat(fileno(fp), &dc->dict.watch_st) < 0)
		msg_warn("fstat %s: %m", name);
	status = dict_cidr_load(dc, fp, why);
	(void) fclose(fp);
	if (status < 0) {
		dict_cidr_close(&dc->dict);
		return (NULL);
	}
	return (&dc->dict);
}
