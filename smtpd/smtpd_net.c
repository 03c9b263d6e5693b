/*
 * NAME
 *	smtpd_net - client address lists (mynetworks and friends)
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	struct smtpd_net *smtpd_net_new(const char *title, const char *list,
 *			struct buf *why);
 *	int	smtpd_net_match(struct smtpd_net *net, const char *addr);
 *	void	smtpd_net_free(struct smtpd_net *net);
 * DESCRIPTION
 *	A network list is the value of mynetworks,
 *	smtpd_client_event_limit_exceptions or
 *	smtpd_forbid_bare_newline_exclusions: patterns separated by commas
 *	or white space, tried in order, the first match wins:
 * .IP "1.2.3.4, [2001:db8::1], 2001:db8::1"
 *	one address.
 * .IP "1.2.3.0/24, [2001:db8::]/32, 2001:db8::/32"
 *	a network; the host bits must be zero.
 * .IP type:table
 *	a lookup table searched with the client address as the key (a
 *	cidr: table matches networks); any value is a match.
 * .IP /file/name
 *	more patterns, read from the file (# starts a comment).
 * .IP !pattern
 *	a match of pattern makes the result "no match" and ends the search.
 * .IP "host.name, .domain"
 *	host name patterns. smtpd does not look up client names (every
 *	client is "unknown"), so these never match; they draw a warning.
 * .PP
 *	smtpd_net_new() parses list; title (the parameter name) prefixes
 *	diagnostics. smtpd_net_match() returns 1 for a match, 0 for none,
 *	-1 when a table lookup failed (the caller defers). An IPv4-mapped
 *	IPv6 address (::ffff:1.2.3.4) matches as its IPv4 address.
 * DIAGNOSTICS
 *	smtpd_net_new() returns NULL with a reason in why for a malformed
 *	address or prefix, non-zero host bits (as Postfix: "non-null host
 *	address bits in "1.2.3.4/24", perhaps you should use "1.2.3.0/24"
 *	instead"), or an unreadable file.
 */
#include <util/sys_defs.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/dict.h>
#include <global/maps.h>
#include "smtpd.h"

#define NET_ADDR	1	/* address or network */
#define NET_TABLE	2	/* type:table */
#define NET_HOST	3	/* host name pattern: never matches */

struct smtpd_net_rule {
	int	kind;			/* NET_* */
	bool	negate;			/* !pattern */
	int	family;			/* AF_INET, AF_INET6 */
	unsigned char addr[16];		/* network, host bits zero */
	int	prefix;			/* network bits */
	struct maps *maps;		/* NET_TABLE */
};

struct smtpd_net {
	char   *title;
	struct smtpd_net_rule *rules;
	size_t	count;
	size_t	cap;
};

#define NET_FILE_DEPTH	5		/* nested /file/name lists */

static int net_add_list(struct smtpd_net *net, const char *list, int depth,
			        struct buf *why);

/* net_parse_addr - address text (brackets removed) to bytes */
static int
net_parse_addr(const char *text, int *family, unsigned char *addr)
{
	if (strchr(text, ':') != NULL) {
		*family = AF_INET6;
		return (inet_pton(AF_INET6, text, addr) == 1 ? 0 : -1);
	}
	*family = AF_INET;
	return (inet_pton(AF_INET, text, addr) == 1 ? 0 : -1);
}

/* net_mask_ok - whether the host bits below prefix are zero */
static bool
net_mask_ok(const unsigned char *addr, int bytes, int prefix)
{
	int	bit;

	for (bit = prefix; bit < bytes * 8; bit++)
		if (addr[bit / 8] & (0x80 >> (bit % 8)))
			return (false);
	return (true);
}

/* net_suggest - the pattern with host bits cleared, for the diagnostic */
static void
net_suggest(struct buf *out, const struct smtpd_net_rule *rule, bool brackets)
{
	unsigned char copy[16];
	char	text[INET6_ADDRSTRLEN];
	int	bit;

	memcpy(copy, rule->addr, sizeof(copy));
	for (bit = rule->prefix; bit < (rule->family == AF_INET ? 32 : 128); bit++)
		copy[bit / 8] &= ~(0x80 >> (bit % 8));
	inet_ntop(rule->family, copy, text, sizeof(text));
	buf_printf(out, brackets ? "[%s]/%d" : "%s/%d", text, rule->prefix);
}

/* net_parse_network - "addr", "addr/len", "[addr]", "[addr]/len" */
static int
net_parse_network(const char *pattern, struct smtpd_net_rule *rule,
		          struct buf *why)
{
	struct buf *host = buf_new(64);
	struct buf *hint;
	const char *slash = strrchr(pattern, '/');
	const char *cp = pattern;
	char   *end;
	long	len;
	bool	brackets = (*cp == '[');
	int	bits;

	buf_catn(host, cp + brackets, (slash ? (size_t) (slash - cp) : strlen(cp)) - brackets);
	if (brackets && (buf_len(host) == 0 || host->data[host->len - 1] != ']')) {
		buf_printf(why, "missing ']' in \"%s\"", pattern);
		buf_free(host);
		return (-1);
	}
	if (brackets)
		buf_truncate(host, buf_len(host) - 1);
	if (net_parse_addr(buf_str(host), &rule->family, rule->addr) < 0) {
		buf_printf(why, "bad address pattern: \"%s\"", pattern);
		buf_free(host);
		return (-1);
	}
	buf_free(host);
	bits = (rule->family == AF_INET ? 32 : 128);
	rule->prefix = bits;
	if (slash) {
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (!isdigit((unsigned char) slash[1]) || *end || errno || len > bits) {
			buf_printf(why, "bad net/mask pattern: \"%s\"", pattern);
			return (-1);
		}
		rule->prefix = (int) len;
	}
	if (!net_mask_ok(rule->addr, bits / 8, rule->prefix)) {
		hint = buf_new(64);
		net_suggest(hint, rule, brackets);
		buf_printf(why, "non-null host address bits in \"%s\", "
			   "perhaps you should use \"%s\" instead",
			   pattern, buf_str(hint));
		buf_free(hint);
		return (-1);
	}
	return (0);
}

/* net_looks_numeric - whether a pattern is meant as an address */
static bool
net_looks_numeric(const char *pattern)
{
	const char *cp;

	if (*pattern == '[' || strchr(pattern, ':') != NULL)
		return (true);
	for (cp = pattern; *cp; cp++)
		if (!isdigit((unsigned char) *cp) && *cp != '.' && *cp != '/')
			return (false);
	return (true);
}

/* net_add_file - patterns from a file */
static int
net_add_file(struct smtpd_net *net, const char *path, int depth,
	         struct buf *why)
{
	FILE   *fp;
	char	line[1024];
	char   *hash;
	int	ret = 0;

	if (depth >= NET_FILE_DEPTH) {
		buf_printf(why, "%s: file list nesting too deep", path);
		return (-1);
	}
	if ((fp = fopen(path, "r")) == NULL) {
		buf_printf(why, "open %s: %m", path);
		return (-1);
	}
	while (ret == 0 && fgets(line, sizeof(line), fp) != NULL) {
		if ((hash = strchr(line, '#')) != NULL)
			*hash = 0;
		ret = net_add_list(net, line, depth + 1, why);
	}
	if (ret == 0 && ferror(fp)) {
		buf_printf(why, "read %s: %m", path);
		ret = -1;
	}
	fclose(fp);
	return (ret);
}

/* net_append - add one rule */
static void
net_append(struct smtpd_net *net, const struct smtpd_net_rule *rule)
{
	if (net->count == net->cap) {
		net->cap = net->cap ? 2 * net->cap : 8;
		net->rules = xreallocarray(net->rules, net->cap, sizeof(*net->rules));
	}
	net->rules[net->count++] = *rule;
}

/* net_is_table - "type:name" with a type made of letters, not IPv6 */
static bool
net_is_table(const char *pattern)
{
	const char *cp = pattern;
	unsigned char bytes[16];
	char   *copy;
	char   *slash;
	bool	is_addr;

	if (!isalpha((unsigned char) *cp))
		return (false);
	while (isalnum((unsigned char) *cp) || *cp == '_')
		cp++;
	if (*cp != ':' || cp[1] == ':' || cp[1] == 0)
		return (false);
	copy = xstrdup(pattern);
	if ((slash = strchr(copy, '/')) != NULL)
		*slash = 0;
	is_addr = (inet_pton(AF_INET6, copy, bytes) == 1);
	free(copy);
	return (!is_addr);
}

/* net_add_pattern - one list element */
static int
net_add_pattern(struct smtpd_net *net, const char *pattern, int depth,
		        struct buf *why)
{
	struct smtpd_net_rule rule = {0};

	if (*pattern == '/')
		return (net_add_file(net, pattern, depth, why));
	if ((rule.negate = (*pattern == '!')) != 0)
		pattern++;
	if (*pattern == 0) {
		buf_cpy(why, "empty pattern after \"!\"");
		return (-1);
	}
	if (net_is_table(pattern)) {
		rule.kind = NET_TABLE;
		rule.maps = maps_create(net->title, pattern, 0);
	} else if (net_looks_numeric(pattern)) {
		if (net_parse_network(pattern, &rule, why) < 0)
			return (-1);
		rule.kind = NET_ADDR;
	} else {
		rule.kind = NET_HOST;
		msg_warn("%s: host name pattern \"%s\" never matches: "
			 "smtpd does not look up client host names",
			 net->title, pattern);
	}
	net_append(net, &rule);
	return (0);
}

/* net_add_list - all elements of a list; braces group table specs */
static int
net_add_list(struct smtpd_net *net, const char *list, int depth,
	         struct buf *why)
{
	struct argv *items = argv_new(8);
	size_t	i;
	int	ret;

	ret = dict_split_list(list, ARGV_LIST_DELIMS, items, why);
	for (i = 0; ret == 0 && i < items->argc; i++)
		ret = net_add_pattern(net, items->argv[i], depth, why);
	argv_free(items);
	return (ret);
}

/* smtpd_net_new - parse a network list */
struct smtpd_net *
smtpd_net_new(const char *title, const char *list, struct buf *why)
{
	struct smtpd_net *net = xcalloc(1, sizeof(*net));
	struct buf *err = buf_new(64);

	net->title = xstrdup(title);
	if (net_add_list(net, list, 0, err) < 0) {
		buf_printf(why, "%s: %s", title, buf_str(err));
		buf_free(err);
		smtpd_net_free(net);
		return (NULL);
	}
	buf_free(err);
	return (net);
}

/* net_prefix_match - whether addr is inside rule's network */
static bool
net_prefix_match(const struct smtpd_net_rule *rule, int family,
		         const unsigned char *addr)
{
	int	full = rule->prefix / 8;
	int	rest = rule->prefix % 8;
	unsigned char mask;

	if (family != rule->family)
		return (false);
	if (memcmp(addr, rule->addr, (size_t) full) != 0)
		return (false);
	if (rest == 0)
		return (true);
	mask = (unsigned char) (0xff << (8 - rest));
	return ((addr[full] & mask) == rule->addr[full]);
}

/* net_unmap - IPv4-mapped IPv6 to IPv4 */
static void
net_unmap(int *family, unsigned char *addr)
{
	static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (*family == AF_INET6 && memcmp(addr, prefix, sizeof(prefix)) == 0) {
		memmove(addr, addr + 12, 4);
		*family = AF_INET;
	}
}

/* smtpd_net_match - search the list for a client address */
int
smtpd_net_match(struct smtpd_net *net, const char *addr)
{
	unsigned char bytes[16];
	int	family;
	size_t	i;
	bool	hit;
	struct smtpd_net_rule *rule;

	if (net_parse_addr(addr, &family, bytes) < 0)
		return (0);
	net_unmap(&family, bytes);
	for (i = 0; i < net->count; i++) {
		rule = net->rules + i;
		switch (rule->kind) {
		case NET_ADDR:
			hit = net_prefix_match(rule, family, bytes);
			break;
		case NET_TABLE:
			hit = (maps_find(rule->maps, addr, 0) != NULL);
			if (!hit && maps_error(rule->maps) != MAPS_ERR_NONE)
				return (-1);
			break;
		default:
			hit = false;
			break;
		}
		if (hit)
			return (rule->negate ? 0 : 1);
	}
	return (0);
}

/* smtpd_net_free - release a network list */
void
smtpd_net_free(struct smtpd_net *net)
{
	size_t	i;

	if (net == NULL)
		return;
	for (i = 0; i < net->count; i++)
		if (net->rules[i].maps)
			maps_free(net->rules[i].maps);
	free(net->rules);
	free(net->title);
	free(net);
}
