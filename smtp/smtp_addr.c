/*
 * NAME
 *	smtp_addr - the ordered list of server addresses to try
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	int	smtp_addr_prefer_parse(const char *text);
 *	int	smtp_addr_list_build(struct smtp_addr_list *out,
 *				const struct dns_hostlist *hosts, int limit,
 *				int prefer, int randomize, smtp_random_fn rnd,
 *				const char *myhostname);
 *	void	smtp_addr_list_free(struct smtp_addr_list *list);
 * DESCRIPTION
 *	smtp_addr_list_build() turns the exchangers of a destination
 *	(dns_lookup_hosts(), in ascending preference) into the addresses
 *	the client tries, in order:
 * .IP \(bu
 *	When myhostname is not NULL and one of the exchangers is this host,
 *	that exchanger and every one with the same or a higher preference
 *	value are dropped (RFC 5321 section 5.1); if nothing is left the
 *	result is -1: mail for the destination loops back to this host.
 * .IP \(bu
 *	Exchangers are tried in ascending preference; with randomize,
 *	exchangers of equal preference are shuffled (rnd() returns a non
 *	negative random number; random() when NULL).
 * .IP \(bu
 *	Each exchanger's addresses follow each other: IPv4 first with
 *	SMTP_PREFER_IPV4, IPv6 first with SMTP_PREFER_IPV6, else in DNS
 *	order (shuffled with randomize).
 * .IP \(bu
 *	At most limit addresses (smtp_mx_address_limit; 0: no limit).
 * .PP
 *	It returns the number of addresses (0 only when hosts is empty).
 *	smtp_addr_prefer_parse() maps smtp_address_preference ("any",
 *	"ipv4", "ipv6") to SMTP_PREFER_*, or -1.
 * SEE ALSO
 *	dns(3), RFC 5321 section 5
 */
#include <util/sys_defs.h>
#include <util/alloc.h>

#include <strings.h>
#include <sys/socket.h>

#include "smtp.h"

/* smtp_addr_prefer_parse - smtp_address_preference value */
int
smtp_addr_prefer_parse(const char *text)
{
	if (text == NULL || *text == 0 || strcasecmp(text, "any") == 0)
		return (SMTP_PREFER_ANY);
	if (strcasecmp(text, "ipv4") == 0)
		return (SMTP_PREFER_IPV4);
	if (strcasecmp(text, "ipv6") == 0)
		return (SMTP_PREFER_IPV6);
	return (-1);
}

/* smtp_addr_shuffle - Fisher-Yates over an index array */
static void
smtp_addr_shuffle(size_t *index, size_t count, smtp_random_fn rnd)
{
	size_t	i, j, tmp;

	for (i = count; i > 1; i--) {
		j = (size_t) rnd() % i;
		tmp = index[i - 1];
		index[i - 1] = index[j];
		index[j] = tmp;
	}
}

/* smtp_addr_append - one address */
static void
smtp_addr_append(struct smtp_addr_list *out, const struct dns_host *host,
		         const struct dns_addr *addr)
{
	struct smtp_addr *a;

	out->addr = xreallocarray(out->addr, out->count + 1, sizeof(*out->addr));
	a = out->addr + out->count++;
	a->host = xstrdup(host->name);
	a->pref = host->pref;
	a->addr = *addr;
}

/* smtp_addr_host - the addresses of one exchanger */
static void
smtp_addr_host(struct smtp_addr_list *out, const struct dns_host *host,
	               int prefer, int randomize, smtp_random_fn rnd, size_t limit)
{
	size_t *index = xcalloc(host->addr_count + 1, sizeof(*index));
	size_t	i;
	int	pass, family;

	for (i = 0; i < host->addr_count; i++)
		index[i] = i;
	if (randomize)
		smtp_addr_shuffle(index, host->addr_count, rnd);
	for (pass = 0; pass < 2; pass++) {
		family = prefer == SMTP_PREFER_IPV4 ? (pass ? AF_INET6 : AF_INET) :
			prefer == SMTP_PREFER_IPV6 ? (pass ? AF_INET : AF_INET6) : 0;
		if (family == 0 && pass > 0)
			break;
		for (i = 0; i < host->addr_count; i++) {
			if (limit > 0 && out->count >= limit)
				break;
			if (family == 0 || host->addr[index[i]].family == family)
				smtp_addr_append(out, host, host->addr + index[i]);
		}
	}
	free(index);
}

/* smtp_addr_self_cut - drop exchangers at or after this host's preference */
static size_t
smtp_addr_self_cut(const struct dns_hostlist *hosts, const char *myhostname)
{
	size_t	i;

	if (myhostname == NULL || *myhostname == 0)
		return (hosts->count);
	for (i = 0; i < hosts->count; i++) {
		if (strcasecmp(hosts->host[i].name, myhostname) == 0) {
			while (i > 0 && hosts->host[i - 1].pref == hosts->host[i].pref)
				i--;
			return (i);
		}
	}
	return (hosts->count);
}

/* smtp_addr_list_build - addresses in the order to try them */
int
smtp_addr_list_build(struct smtp_addr_list *out, const struct dns_hostlist *hosts,
		             int limit, int prefer, int randomize, smtp_random_fn rnd,
		             const char *myhostname)
{
	size_t	usable = smtp_addr_self_cut(hosts, myhostname);
	size_t *order;
	size_t	i, j;

	memset(out, 0, sizeof(*out));
	if (usable == 0 && hosts->count > 0)
		return (-1);
	if (rnd == NULL)
		rnd = random;
	order = xcalloc(usable + 1, sizeof(*order));
	for (i = 0; i < usable; i++)
		order[i] = i;
	for (i = 0; randomize && i < usable; i = j) {
		for (j = i + 1; j < usable && hosts->host[j].pref == hosts->host[i].pref; j++)
			 /* void */ ;
		smtp_addr_shuffle(order + i, j - i, rnd);
	}
	for (i = 0; i < usable; i++) {
		if (limit > 0 && out->count >= (size_t) limit)
			break;
		smtp_addr_host(out, hosts->host + order[i], prefer, randomize, rnd,
			       limit > 0 ? (size_t) limit : 0);
	}
	free(order);
	return ((int) out->count);
}

/* smtp_addr_list_free - release the list */
void
smtp_addr_list_free(struct smtp_addr_list *list)
{
	size_t	i;

	for (i = 0; i < list->count; i++)
		free(list->addr[i].host);
	free(list->addr);
	memset(list, 0, sizeof(*list));
}
