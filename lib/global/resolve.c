/*
 * NAME
 *	resolve - recipient address to (transport, nexthop), as trivial-rewrite
 * DESCRIPTION
 *	See resolve.h. A domain list is compiled once into items: plain
 *	names (lowercased), ".name" subdomain patterns, lookup tables and
 *	negations; "/file" elements are replaced by the names in the file.
 *	Interface addresses for the literal check are kept as canonical
 *	inet_ntop() text so "[127.000.000.001]"-style spellings cannot
 *	match by accident and "[IPv6:0::1]" matches "::1".
 */
#include <util/sys_defs.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/address.h>
#include <global/dict.h>
#include <global/maps.h>
#include <global/params.h>
#include <global/resolve.h>

struct resolve_item {
	char   *pattern;		/* name or ".name", lowercased */
	struct maps *maps;		/* or a lookup table */
	int	is_negated;
};

struct resolve_list {
	char   *title;			/* parameter name */
	struct resolve_item *items;
	size_t	count;
	int	parent_match;		/* "x.com" also matches "a.x.com" */
	int	is_broken;		/* a /file element was unreadable */
	struct buf *why;		/* reason of the last failure */
};

struct resolve {
	struct resolve_list *mydestination;
	struct resolve_list *relay_domains;
	struct argv *local_addrs;	/* canonical interface addresses */
	struct buf *local_transport;
	struct buf *local_nexthop;
	struct buf *relay_transport;
	struct buf *relay_nexthop;
	struct buf *default_transport;
	struct buf *default_nexthop;
	char   *relayhost;
	char   *myhostname;
	char   *delimiters;
	struct maps *transport_maps;	/* NULL when empty */
	struct buf *key;		/* scratch */
};

/* resolve_canon_domain - lowercase, drop one trailing dot */
static void
resolve_canon_domain(struct buf *out, const char *domain)
{
	size_t	i;

	buf_cpy(out, domain);
	for (i = 0; i < buf_len(out); i++)
		if (out->data[i] >= 'A' && out->data[i] <= 'Z')
			out->data[i] = (char) (out->data[i] - 'A' + 'a');
	if (buf_len(out) > 1 && out->data[buf_len(out) - 1] == '.')
		buf_truncate(out, buf_len(out) - 1);
}

/* resolve_list_add - append one compiled item */
static void
resolve_list_add(struct resolve_list *list, const char *text, int negated)
{
	struct resolve_item *item;
	struct buf *canon;

	list->items = xreallocarray(list->items, list->count + 1,
				    sizeof(*list->items));
	item = list->items + list->count++;
	item->is_negated = negated;
	item->maps = NULL;
	item->pattern = NULL;
	if (strchr(text, ':') != NULL && *text != '[') {
		item->maps = maps_create(list->title, text, MAPS_FOLD_CASE);
	} else {
		canon = buf_new(64);
		resolve_canon_domain(canon, text);
		item->pattern = buf_steal(canon);
	}
}

/* resolve_list_file - add the names listed in a file */
static void
resolve_list_file(struct resolve_list *list, const char *path, int negated)
{
	FILE   *fp;
	char	line[1024];
	char   *hash;
	struct argv *words;
	size_t	i;

	if ((fp = fopen(path, "r")) == NULL) {
		msg_warn("%s: open %s: %m", list->title, path);
		buf_printf(list->why, "%s: cannot read %s", list->title, path);
		list->is_broken = 1;
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((hash = strchr(line, '#')) != NULL)
			*hash = 0;
		words = argv_split(line, ARGV_LIST_DELIMS);
		for (i = 0; i < words->argc; i++)
			resolve_list_add(list, words->argv[i], negated);
		argv_free(words);
	}
	(void) fclose(fp);
}

/* resolve_list_create - compile a domain list parameter */
static struct resolve_list *
resolve_list_create(const char *title, const char *value, int parent_match)
{
	struct resolve_list *list = xcalloc(1, sizeof(*list));
	struct argv *elems = argv_new(8);
	struct buf *why = buf_new(64);
	const char *elem;
	int	negated;
	size_t	i;

	list->title = xstrdup(title);
	list->parent_match = parent_match;
	list->why = buf_new(64);
	if (dict_split_list(value, ARGV_LIST_DELIMS, elems, why) < 0) {
		msg_warn("%s: %s", title, buf_str(why));
		buf_printf(list->why, "%s: %s", title, buf_str(why));
		list->is_broken = 1;
	}
	for (i = 0; i < elems->argc; i++) {
		elem = elems->argv[i];
		negated = 0;
		while (*elem == '!') {
			negated = !negated;
			elem++;
		}
		if (*elem == 0)
			continue;
		if (*elem == '/')
			resolve_list_file(list, elem, negated);
		else
			resolve_list_add(list, elem, negated);
	}
	argv_free(elems);
	buf_free(why);
	return (list);
}

/* resolve_list_free - release a compiled list */
static void
resolve_list_free(struct resolve_list *list)
{
	size_t	i;

	for (i = 0; i < list->count; i++) {
		free(list->items[i].pattern);
		if (list->items[i].maps)
			maps_free(list->items[i].maps);
	}
	free(list->items);
	free(list->title);
	buf_free(list->why);
	free(list);
}

/* resolve_name_match - does a plain or ".name" pattern match domain? */
static int
resolve_name_match(const struct resolve_list *list, const char *pattern,
		           const char *domain)
{
	size_t	dlen = strlen(domain), plen = strlen(pattern);

	if (*pattern == '.')
		return (dlen > plen && strcmp(domain + dlen - plen, pattern) == 0);
	if (strcmp(domain, pattern) == 0)
		return (1);
	return (list->parent_match && dlen > plen + 1
		&& domain[dlen - plen - 1] == '.'
		&& strcmp(domain + dlen - plen, pattern) == 0);
}

/* resolve_table_match - look up the domain and its parents in a table */
static int
resolve_table_match(struct resolve_list *list, struct maps *maps,
		            const char *domain)
{
	const char *name = domain;
	const char *next;

	for (;;) {
		if (maps_find(maps, name, 0) != NULL)
			return (1);
		if (maps_error(maps) != MAPS_ERR_NONE) {
			buf_printf(list->why, "%s", maps_why(maps));
			return (-1);
		}
		if ((next = strchr(name + (*name == '.'), '.')) == NULL)
			return (0);
		name = list->parent_match ? next + 1 : next;
	}
}

/* resolve_list_match - 1 if domain is in the list, 0 if not, -1 error */
static int
resolve_list_match(struct resolve_list *list, const char *domain)
{
	struct resolve_item *item;
	size_t	i;
	int	hit;

	if (list->is_broken)
		return (-1);
	for (i = 0; i < list->count; i++) {
		item = list->items + i;
		if (item->maps != NULL)
			hit = resolve_table_match(list, item->maps, domain);
		else
			hit = resolve_name_match(list, item->pattern, domain);
		if (hit < 0)
			return (-1);
		if (hit)
			return (item->is_negated ? 0 : 1);
	}
	return (0);
}

/* resolve_addr_text - canonical text of an IPv4/IPv6 address, or NULL */
static const char *
resolve_addr_text(struct buf *out, const char *text)
{
	unsigned char bin[sizeof(struct in6_addr)];
	char	str[INET6_ADDRSTRLEN];
	int	family = strchr(text, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(family, text, bin) != 1
	    || inet_ntop(family, bin, str, sizeof(str)) == NULL)
		return (NULL);
	return (buf_str(buf_cpy(out, str)));
}

/* resolve_add_sockaddr - remember one interface address */
static void
resolve_add_sockaddr(struct resolve *rp, const struct sockaddr *sa)
{
	char	str[INET6_ADDRSTRLEN];
	const void *addr;

	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		addr = &((const struct sockaddr_in *) (const void *) sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		addr = &((const struct sockaddr_in6 *) (const void *) sa)->sin6_addr;
	else
		return;
	if (inet_ntop(sa->sa_family, addr, str, sizeof(str)) != NULL)
		argv_add(rp->local_addrs, str);
}

/* resolve_add_all_interfaces - every address of this host */
static void
resolve_add_all_interfaces(struct resolve *rp)
{
	struct ifaddrs *list, *ifa;

	if (getifaddrs(&list) < 0) {
		msg_warn("resolve: getifaddrs: %m");
		return;
	}
	for (ifa = list; ifa != NULL; ifa = ifa->ifa_next)
		resolve_add_sockaddr(rp, ifa->ifa_addr);
	freeifaddrs(list);
}

/* resolve_add_host - the addresses of one inet_interfaces element */
static void
resolve_add_host(struct resolve *rp, const char *host)
{
	struct addrinfo hints, *res, *ai;
	struct buf *text = buf_new(64);
	char   *bare = xstrdup(host);
	size_t	len = strlen(bare);

	if (len > 1 && bare[0] == '[' && bare[len - 1] == ']') {
		bare[len - 1] = 0;
		memmove(bare, bare + 1, len - 1);
	}
	if (resolve_addr_text(text, bare) != NULL) {
		argv_add(rp->local_addrs, buf_str(text));
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(bare, NULL, &hints, &res) == 0) {
			for (ai = res; ai != NULL; ai = ai->ai_next)
				resolve_add_sockaddr(rp, ai->ai_addr);
			freeaddrinfo(res);
		} else {
			msg_warn("resolve: cannot find the address of interface %s",
				 host);
		}
	}
	buf_free(text);
	free(bare);
}

/* resolve_add_interfaces - inet_interfaces or proxy_interfaces */
static void
resolve_add_interfaces(struct resolve *rp, const char *value)
{
	struct argv *names = argv_split(value, ARGV_LIST_DELIMS);
	size_t	i;

	for (i = 0; i < names->argc; i++) {
		if (strcasecmp(names->argv[i], "all") == 0) {
			resolve_add_all_interfaces(rp);
		} else if (strcasecmp(names->argv[i], "loopback-only") == 0) {
			argv_add(rp->local_addrs, "127.0.0.1");
			argv_add(rp->local_addrs, "::1");
		} else {
			resolve_add_host(rp, names->argv[i]);
		}
	}
	argv_free(names);
}

/* resolve_split - "transport:nexthop" at the first ':' */
void
resolve_split(const char *value, struct buf *transport, struct buf *nexthop)
{
	const char *colon = strchr(value, ':');

	if (colon == NULL) {
		buf_cpy(transport, value);
		buf_reset(nexthop);
	} else {
		buf_reset(transport);
		buf_catn(transport, value, (size_t) (colon - value));
		buf_cpy(nexthop, colon + 1);
	}
}

/* resolve_create - snapshot the routing parameters */
struct resolve *
resolve_create(void)
{
	struct resolve *rp = xcalloc(1, sizeof(*rp));

	rp->mydestination = resolve_list_create("mydestination",
						var_mydestination, 0);
	rp->relay_domains = resolve_list_create("relay_domains",
						var_relay_domains, 1);
	rp->local_addrs = argv_new(8);
	resolve_add_interfaces(rp, var_inet_interfaces);
	resolve_add_interfaces(rp, var_proxy_interfaces);
	rp->local_transport = buf_new(32);
	rp->local_nexthop = buf_new(32);
	rp->relay_transport = buf_new(32);
	rp->relay_nexthop = buf_new(32);
	rp->default_transport = buf_new(32);
	rp->default_nexthop = buf_new(32);
	resolve_split(var_local_transport, rp->local_transport, rp->local_nexthop);
	resolve_split(var_relay_transport, rp->relay_transport, rp->relay_nexthop);
	resolve_split(var_default_transport, rp->default_transport,
		      rp->default_nexthop);
	rp->relayhost = xstrdup(var_relayhost);
	rp->myhostname = xstrdup(var_myhostname);
	rp->delimiters = xstrdup(var_recipient_delimiter);
	if (*var_transport_maps != 0)
		rp->transport_maps = maps_create("transport_maps",
						 var_transport_maps, MAPS_FOLD_CASE);
	rp->key = buf_new(100);
	return (rp);
}

/* resolve_free - release everything */
void
resolve_free(struct resolve *rp)
{
	resolve_list_free(rp->mydestination);
	resolve_list_free(rp->relay_domains);
	argv_free(rp->local_addrs);
	buf_free(rp->local_transport);
	buf_free(rp->local_nexthop);
	buf_free(rp->relay_transport);
	buf_free(rp->relay_nexthop);
	buf_free(rp->default_transport);
	buf_free(rp->default_nexthop);
	free(rp->relayhost);
	free(rp->myhostname);
	free(rp->delimiters);
	if (rp->transport_maps)
		maps_free(rp->transport_maps);
	buf_free(rp->key);
	free(rp);
}

/* resolve_reply_init - empty reply */
void
resolve_reply_init(struct resolve_reply *reply)
{
	reply->flags = 0;
	reply->transport = buf_new(32);
	reply->nexthop = buf_new(64);
	reply->domain = buf_new(64);
	reply->why = buf_new(64);
}

/* resolve_reply_free - release the reply's buffers */
void
resolve_reply_free(struct resolve_reply *reply)
{
	buf_free(reply->transport);
	buf_free(reply->nexthop);
	buf_free(reply->domain);
	buf_free(reply->why);
	reply->transport = reply->nexthop = reply->domain = reply->why = NULL;
}

/* resolve_is_local_literal - "[addr]" of one of our interfaces? */
static int
resolve_is_local_literal(struct resolve *rp, const char *domain)
{
	struct buf *ip = buf_new(64);
	struct buf *canon = buf_new(64);
	int	found = 0;
	size_t	i;

	if (address_domain_literal(domain, ip) > 0
	    && resolve_addr_text(canon, buf_str(ip)) != NULL) {
		for (i = 0; i < rp->local_addrs->argc && !found; i++)
			found = strcmp(rp->local_addrs->argv[i], buf_str(canon)) == 0;
	}
	buf_free(ip);
	buf_free(canon);
	return (found);
}

/* resolve_local_domain - is this domain delivered locally? */
int
resolve_local_domain(struct resolve *rp, const char *domain)
{
	struct buf *canon = buf_new(64);
	int	ret;

	resolve_canon_domain(canon, domain);
	if (*buf_str(canon) == '[')
		ret = resolve_is_local_literal(rp, buf_str(canon));
	else
		ret = resolve_list_match(rp->mydestination, buf_str(canon));
	buf_free(canon);
	return (ret);
}

/* resolve_relay_domain - is this domain one of relay_domains? */
int
resolve_relay_domain(struct resolve *rp, const char *domain)
{
	struct buf *canon = buf_new(64);
	int	ret;

	resolve_canon_domain(canon, domain);
	ret = resolve_list_match(rp->relay_domains, buf_str(canon));
	buf_free(canon);
	return (ret);
}

/* resolve_fail - a lookup failed: the caller must defer */
static int
resolve_fail(struct resolve_reply *reply, const char *title, const char *why)
{
	reply->flags |= RESOLVE_FLAG_FAIL;
	buf_printf(reply->why, "%s lookup failure: %s", title, why);
	return (-1);
}

/* resolve_remote - relay or default class: transport, then nexthop */
static void
resolve_remote(struct resolve *rp, struct resolve_reply *reply,
	               const struct buf *transport, const struct buf *nexthop)
{
	buf_cpy(reply->transport, buf_str(transport));
	if (buf_len(nexthop) > 0)
		buf_cpy(reply->nexthop, buf_str(nexthop));
	else if (*rp->relayhost != 0)
		buf_cpy(reply->nexthop, rp->relayhost);
	else
		buf_cpy(reply->nexthop, buf_str(reply->domain));
}

/* resolve_class - the address class without transport_maps */
static int
resolve_class(struct resolve *rp, struct resolve_reply *reply)
{
	const char *domain = buf_str(reply->domain);
	int	hit;

	if (*domain == 0 || (hit = resolve_local_domain(rp, domain)) > 0) {
		reply->flags |= RESOLVE_CLASS_LOCAL;
		buf_cpy(reply->transport, buf_str(rp->local_transport));
		if (buf_len(rp->local_nexthop) > 0
		    && strcasecmp(buf_str(rp->local_nexthop), rp->myhostname) != 0)
			buf_cpy(reply->nexthop, buf_str(rp->local_nexthop));
		else
			buf_cpy(reply->nexthop, *domain ? domain : rp->myhostname);
		return (0);
	}
	if (hit < 0)
		return (resolve_fail(reply, "mydestination",
				     buf_str(rp->mydestination->why)));
	if ((hit = resolve_relay_domain(rp, domain)) < 0)
		return (resolve_fail(reply, "relay_domains",
				     buf_str(rp->relay_domains->why)));
	if (hit) {
		reply->flags |= RESOLVE_CLASS_RELAY;
		resolve_remote(rp, reply, rp->relay_transport, rp->relay_nexthop);
	} else {
		reply->flags |= RESOLVE_CLASS_DEFAULT;
		resolve_remote(rp, reply, rp->default_transport, rp->default_nexthop);
	}
	return (0);
}

/* resolve_apply_route - apply one transport_maps value */
static void
resolve_apply_route(struct resolve *rp, struct resolve_reply *reply,
		            const char *value)
{
	struct buf *transport = buf_new(32);
	struct buf *nexthop = buf_new(64);

	resolve_split(value, transport, nexthop);
	if (buf_len(transport) > 0) {
		buf_cpy(reply->transport, buf_str(transport));
		if (buf_len(nexthop) > 0)
			buf_cpy(reply->nexthop, buf_str(nexthop));
		else if (buf_len(reply->domain) > 0)
			buf_cpy(reply->nexthop, buf_str(reply->domain));
		else
			buf_cpy(reply->nexthop, rp->myhostname);
	} else if (buf_len(nexthop) > 0) {
		buf_cpy(reply->nexthop, buf_str(nexthop));
	}
	reply->flags |= RESOLVE_FLAG_ROUTED;
	buf_free(transport);
	buf_free(nexthop);
}

/* resolve_route_find - one transport_maps lookup: 1 found, 0 not, -1 error */
static int
resolve_route_find(struct resolve *rp, struct resolve_reply *reply,
		           const char *key)
{
	const char *value;

	if ((value = maps_find(rp->transport_maps, key, 0)) != NULL) {
		resolve_apply_route(rp, reply, value);
		return (1);
	}
	if (maps_error(rp->transport_maps) != MAPS_ERR_NONE)
		return (resolve_fail(reply, "transport_maps",
				     maps_why(rp->transport_maps)));
	return (0);
}

/* resolve_stripped - the address without its extension, or NULL */
static const char *
resolve_stripped(struct resolve *rp, const char *addr, struct buf *out)
{
	const char *at = strrchr(addr, '@');
	size_t	local_len = at ? (size_t) (at - addr) : strlen(addr);
	size_t	cut;

	if (*rp->delimiters == 0)
		return (NULL);
	cut = strcspn(addr, rp->delimiters);
	if (cut == 0 || cut >= local_len)
		return (NULL);
	buf_reset(out);
	buf_catn(out, addr, cut);
	if (at != NULL)
		buf_cat(out, at);
	return (buf_str(out));
}

/* resolve_routes - the transport_maps keys in Postfix order */
static int
resolve_routes(struct resolve *rp, const char *addr,
	               struct resolve_reply *reply)
{
	const char *domain = buf_str(reply->domain);
	const char *name;
	int	hit;

	if ((hit = resolve_route_find(rp, reply, addr)) != 0)
		return (hit);
	if (resolve_stripped(rp, addr, rp->key) != NULL
	    && (hit = resolve_route_find(rp, reply, buf_str(rp->key))) != 0)
		return (hit);
	for (name = domain; *domain != 0 && name != NULL;
	     name = strchr(name + 1, '.')) {
		if ((hit = resolve_route_find(rp, reply, name)) != 0)
			return (hit);
	}
	return (resolve_route_find(rp, reply, "*"));
}

/* resolve_addr - route one recipient */
int
resolve_addr(struct resolve *rp, const char *addr, struct resolve_reply *reply)
{
	const char *at = strrchr(addr, '@');

	reply->flags = 0;
	buf_reset(reply->transport);
	buf_reset(reply->nexthop);
	buf_reset(reply->why);
	resolve_canon_domain(reply->domain, at ? at + 1 : "");
	if (resolve_class(rp, reply) < 0)
		return (-1);
	if (rp->transport_maps != NULL && resolve_routes(rp, addr, reply) < 0)
		return (-1);
	return (0);
}
