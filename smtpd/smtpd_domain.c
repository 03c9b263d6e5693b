/*
 * NAME
 *	smtpd_domain - domain lists (mydestination, relay_domains, ...)
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	struct smtpd_domain *smtpd_domain_new(const char *title,
 *			const char *list, int flags, struct buf *why);
 *	int	smtpd_domain_match(struct smtpd_domain *list,
 *			const char *domain);
 *	void	smtpd_domain_free(struct smtpd_domain *list);
 * DESCRIPTION
 *	A domain list is the value of mydestination, relay_domains or
 *	virtual_alias_domains: patterns separated by commas or white space,
 *	tried in order, the first match wins (as Postfix's domain_list):
 * .IP example.com
 *	the domain itself; with SMTPD_DOMAIN_PARENT (Postfix's
 *	parent_domain_matches_subdomains, which by default covers
 *	relay_domains) also every subdomain.
 * .IP .example.com
 *	every subdomain of example.com.
 * .IP type:table
 *	a table whose keys are domains (the value does not matter); with
 *	SMTPD_DOMAIN_PARENT the parent domains are looked up too, else
 *	".parent" keys.
 * .IP /file/name
 *	more patterns from the file (# starts a comment).
 * .IP !pattern
 *	a match of pattern makes the result "no match".
 * .PP
 *	Names are compared without regard to case; a trailing dot of the
 *	domain is ignored.
 *
 *	smtpd_domain_match() returns 1 for a match, 0 for none and -1 when
 *	a table lookup failed (the caller must defer).
 * DIAGNOSTICS
 *	smtpd_domain_new() returns NULL with a reason in why for an empty
 *	"!" pattern, unbalanced braces or an unreadable file.
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <strings.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <global/dict.h>
#include <global/maps.h>
#include "smtpd.h"

struct smtpd_domain_rule {
	char   *pattern;		/* lowercase name, ".name" or NULL */
	struct maps *maps;		/* or a table */
	bool	negate;
};

struct smtpd_domain {
	char   *title;
	int	flags;
	struct smtpd_domain_rule *rules;
	size_t	count;
	size_t	cap;
};

#define DOMAIN_FILE_DEPTH	5

static int domain_add_list(struct smtpd_domain *list, const char *text,
			           int depth, struct buf *why);

/* domain_is_table - "type:name" */
static bool
domain_is_table(const char *pattern)
{
	const char *cp = pattern;

	if (!isalpha((unsigned char) *cp))
		return (false);
	while (isalnum((unsigned char) *cp) || *cp == '_')
		cp++;
	return (*cp == ':' && cp[1] != 0);
}

/* domain_add_file - patterns from a file */
static int
domain_add_file(struct smtpd_domain *list, const char *path, int depth,
		        struct buf *why)
{
	FILE   *fp;
	char	line[1024];
	char   *hash;
	int	ret = 0;

	if (depth >= DOMAIN_FILE_DEPTH) {
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
		ret = domain_add_list(list, line, depth + 1, why);
	}
	fclose(fp);
	return (ret);
}

/* domain_add_pattern - one list element */
static int
domain_add_pattern(struct smtpd_domain *list, const char *pattern, int depth,
		           struct buf *why)
{
	struct smtpd_domain_rule rule = {0};
	char   *cp;

	if (*pattern == '/')
		return (domain_add_file(list, pattern, depth, why));
	if ((rule.negate = (*pattern == '!')) != 0)
		pattern++;
	if (*pattern == 0) {
		buf_cpy(why, "empty pattern after \"!\"");
		return (-1);
	}
	if (domain_is_table(pattern)) {
		rule.maps = maps_create(list->title, pattern, 0);
	} else {
		rule.pattern = xstrdup(pattern);
		for (cp = rule.pattern; *cp; cp++)
			*cp = (char) tolower((unsigned char) *cp);
		if (cp > rule.pattern + 1 && cp[-1] == '.')
			cp[-1] = 0;
	}
	if (list->count == list->cap) {
		list->cap = list->cap ? 2 * list->cap : 8;
		list->rules = xreallocarray(list->rules, list->cap, sizeof(*list->rules));
	}
	list->rules[list->count++] = rule;
	return (0);
}

/* domain_add_list - all elements of a list */
static int
domain_add_list(struct smtpd_domain *list, const char *text, int depth,
		        struct buf *why)
{
	struct argv *items = argv_new(8);
	size_t	i;
	int	ret;

	ret = dict_split_list(text, ARGV_LIST_DELIMS, items, why);
	for (i = 0; ret == 0 && i < items->argc; i++)
		ret = domain_add_pattern(list, items->argv[i], depth, why);
	argv_free(items);
	return (ret);
}

/* smtpd_domain_new - parse a domain list */
struct smtpd_domain *
smtpd_domain_new(const char *title, const char *text, int flags,
		         struct buf *why)
{
	struct smtpd_domain *list = xcalloc(1, sizeof(*list));
	struct buf *err = buf_new(64);

	list->title = xstrdup(title);
	list->flags = flags;
	if (domain_add_list(list, text, 0, err) < 0) {
		buf_printf(why, "%s: %s", title, buf_str(err));
		buf_free(err);
		smtpd_domain_free(list);
		return (NULL);
	}
	buf_free(err);
	return (list);
}

/* domain_name_match - a name pattern against a lowercase domain */
static bool
domain_name_match(const struct smtpd_domain *list, const char *pattern,
		          const char *domain)
{
	size_t	plen = strlen(pattern);
	size_t	dlen = strlen(domain);

	if (*pattern == '.')
		return (dlen > plen && strcmp(domain + dlen - plen, pattern) == 0);
	if (strcmp(domain, pattern) == 0)
		return (true);
	return ((list->flags & SMTPD_DOMAIN_PARENT) && dlen > plen
		&& domain[dlen - plen - 1] == '.'
		&& strcmp(domain + dlen - plen, pattern) == 0);
}

/* domain_table_match - a table against a domain and its parents */
static int
domain_table_match(const struct smtpd_domain *list, struct maps *maps,
		           const char *domain)
{
	const char *cp;
	struct buf *key;
	int	hit = 0;

	if (maps_find(maps, domain, 0) != NULL)
		return (1);
	if (maps_error(maps) != MAPS_ERR_NONE)
		return (-1);
	key = buf_new(64);
	for (cp = strchr(domain, '.'); hit == 0 && cp != NULL; cp = strchr(cp + 1, '.')) {
		buf_cpy(key, (list->flags & SMTPD_DOMAIN_PARENT) ? cp + 1 : cp);
		if (buf_len(key) == 0 || strcmp(buf_str(key), ".") == 0)
			break;
		if (maps_find(maps, buf_str(key), 0) != NULL)
			hit = 1;
		else if (maps_error(maps) != MAPS_ERR_NONE)
			hit = -1;
	}
	buf_free(key);
	return (hit);
}

/* smtpd_domain_match - search the list for a domain */
int
smtpd_domain_match(struct smtpd_domain *list, const char *domain)
{
	struct buf *name = buf_new(64);
	const struct smtpd_domain_rule *rule;
	size_t	i;
	int	hit = 0;
	char   *cp;

	buf_cpy(name, domain);
	for (cp = buf_str(name); *cp; cp++)
		*cp = (char) tolower((unsigned char) *cp);
	if (buf_len(name) > 1 && name->data[name->len - 1] == '.')
		buf_truncate(name, buf_len(name) - 1);
	for (i = 0; i < list->count; i++) {
		rule = list->rules + i;
		if (rule->maps)
			hit = domain_table_match(list, rule->maps, buf_str(name));
		else
			hit = domain_name_match(list, rule->pattern, buf_str(name));
		if (hit != 0) {
			if (hit > 0 && rule->negate)
				hit = 0;
			break;
		}
	}
	buf_free(name);
	return (hit);
}

/* smtpd_domain_free - release a domain list */
void
smtpd_domain_free(struct smtpd_domain *list)
{
	size_t	i;

	if (list == NULL)
		return;
	for (i = 0; i < list->count; i++) {
		free(list->rules[i].pattern);
		if (list->rules[i].maps)
			maps_free(list->rules[i].maps);
	}
	free(list->rules);
	free(list->title);
	free(list);
}
