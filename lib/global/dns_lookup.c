/*
 * NAME
 *	dns_lookup - mail exchangers of a domain, with their addresses
 * SYNOPSIS
 *	#include <global/dns.h>
 *
 *	int	dns_lookup_flags(const char *inet_protocols,
 *				const char *host_lookup, const char *support_level,
 *				struct buf *why);
 *	int	dns_lookup_hosts(struct dns_ctx *ctx, const char *name,
 *				int flags, long timeout_ms,
 *				struct dns_hostlist *out, struct dsn *why);
 *	void	dns_hostlist_free(struct dns_hostlist *list);
 * DESCRIPTION
 *	See dns.h. The MX query runs first; then the A and AAAA queries of
 *	all exchangers run at the same time, and getaddrinfo() fills in
 *	for hosts that DNS could not resolve when native lookups are on.
 * DIAGNOSTICS
 *	Errors are returned in why, in Postfix's words.
 * SEE ALSO
 *	dns(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/msg.h>
#include <global/address.h>
#include <global/dns.h>

#include <netdb.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define DNS_STAT_NOTFOUND	"5.4.4"
#define DNS_STAT_RETRY		"4.4.3"
#define DNS_STAT_NULLMX		"5.1.10"
#define DNS_ERR_PREFIX		"Host or domain name not found. Name service error for"

struct dns_lookup {
	struct dns_ctx *ctx;
	const char *name;
	int	flags;
	struct dns_hostlist *out;
	struct dsn *why;
	int	mx_status;		/* DNS_* of the MX query */
	int	saw_retry;		/* an address lookup failed temporarily */
	struct buf *retry_why;		/* its reason */
	struct buf *notfound_why;	/* last permanent address failure */
};

/* dns_lookup_flags - map the parameters to DNS_LOOKUP_* flags */
int
dns_lookup_flags(const char *inet_protocols, const char *host_lookup,
		         const char *support_level, struct buf *why)
{
	struct argv *words;
	int	flags = 0;
	size_t	i;

	words = argv_split(inet_protocols, ", \t\r\n");
	for (i = 0; i < words->argc; i++) {
		if (strcasecmp(words->argv[i], "all") == 0)
			flags |= DNS_LOOKUP_IPV4 | DNS_LOOKUP_IPV6;
		else if (strcasecmp(words->argv[i], "ipv4") == 0)
			flags |= DNS_LOOKUP_IPV4;
		else if (strcasecmp(words->argv[i], "ipv6") == 0)
			flags |= DNS_LOOKUP_IPV6;
		else {
			buf_printf(why, "inet_protocols: unknown protocol \"%s\"",
				   words->argv[i]);
			argv_free(words);
			return (-1);
		}
	}
	argv_free(words);
	if ((flags & (DNS_LOOKUP_IPV4 | DNS_LOOKUP_IPV6)) == 0) {
		buf_cpy(why, "inet_protocols: no protocol given");
		return (-1);
	}
	words = argv_split(host_lookup, ", \t\r\n");
	for (i = 0; i < words->argc; i++) {
		if (strcasecmp(words->argv[i], "dns") == 0)
			flags |= DNS_LOOKUP_DNS;
		else if (strcasecmp(words->argv[i], "native") == 0)
			flags |= DNS_LOOKUP_NATIVE;
		else {
			buf_printf(why, "smtp_host_lookup: unknown method \"%s\"",
				   words->argv[i]);
			argv_free(words);
			return (-1);
		}
	}
	argv_free(words);
	if ((flags & (DNS_LOOKUP_DNS | DNS_LOOKUP_NATIVE)) == 0) {
		buf_cpy(why, "smtp_host_lookup: no lookup method given");
		return (-1);
	}
	if (support_level == NULL || *support_level == 0
	    || strcasecmp(support_level, "enabled") == 0)
		return (flags | DNS_LOOKUP_MX);
	if (strcasecmp(support_level, "dnssec") == 0)
		return (flags | DNS_LOOKUP_MX | DNS_LOOKUP_DNSSEC);
	if (strcasecmp(support_level, "disabled") == 0)
		return ((flags & ~DNS_LOOKUP_DNS) | DNS_LOOKUP_NATIVE);
	buf_printf(why, "smtp_dns_support_level: unknown level \"%s\"",
		   support_level);
	return (-1);
}

/* dns_hostlist_free - release a host list */
void
dns_hostlist_free(struct dns_hostlist *list)
{
	size_t	i;

	for (i = 0; i < list->count; i++) {
		free(list->host[i].name);
		free(list->host[i].addr);
	}
	free(list->host);
	memset(list, 0, sizeof(*list));
}

/* dns_host_add - append an exchanger */
static struct dns_host *
dns_host_add(struct dns_hostlist *list, const char *name, int pref)
{
	struct dns_host *host;

	list->host = xreallocarray(list->host, list->count + 1, sizeof(*list->host));
	host = list->host + list->count++;
	memset(host, 0, sizeof(*host));
	host->name = xstrdup(name);
	host->pref = pref;
	return (host);
}

/* dns_host_add_addr - append an address unless known or too many */
static void
dns_host_add_addr(struct dns_host *host, const struct dns_addr *addr)
{
	size_t	i;

	if (host->addr_count >= DNS_ADDR_LIMIT)
		return;
	for (i = 0; i < host->addr_count; i++)
		if (strcmp(host->addr[i].text, addr->text) == 0)
			return;
	host->addr = xreallocarray(host->addr, host->addr_count + 1,
				   sizeof(*host->addr));
	host->addr[host->addr_count++] = *addr;
}

/* dns_lookup_now_ms - monotonic milliseconds */
static long long
dns_lookup_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* dns_lookup_left - milliseconds left before deadline */
static long
dns_lookup_left(long long deadline)
{
	long long left;

	if (deadline < 0)
		return (-1);
	left = deadline - dns_lookup_now_ms();
	return (left > 0 ? (long) left : 0);
}

/* dns_mx_cmp - order by preference, then by arrival */
static int
dns_mx_cmp(const void *a, const void *b)
{
	const struct dns_rr *ra = *(const struct dns_rr *const *) a;
	const struct dns_rr *rb = *(const struct dns_rr *const *) b;

	if (ra->pref != rb->pref)
		return (ra->pref < rb->pref ? -1 : 1);
	return (ra < rb ? -1 : ra > rb);
}

/* dns_mx_hosts - the exchangers of an MX answer, in preference order */
static void
dns_mx_hosts(struct dns_lookup *lk, const struct dns_reply *reply)
{
	const struct dns_rr **sorted;
	size_t	i;

	for (i = 0; i < reply->count; i++) {
		if (*reply->rr[i].name == 0) {
			lk->mx_status = DNS_NULLMX;
			dsn_set(lk->why, DNS_STAT_NULLMX, DSN_ACTION_FAILED,
			      "Domain %s does not accept mail (nullMX)", lk->name);
			return;
		}
	}
	sorted = xcalloc(reply->count, sizeof(*sorted));
	for (i = 0; i < reply->count; i++)
		sorted[i] = reply->rr + i;
	qsort(sorted, reply->count, sizeof(*sorted), dns_mx_cmp);
	for (i = 0; i < reply->count && lk->out->count < DNS_HOST_LIMIT; i++) {
		if (!address_domain_valid(sorted[i]->name)) {
			msg_warn("dns: %s: malformed MX host name \"%.100s\" skipped",
				 lk->name, sorted[i]->name);
			continue;
		}
		(void) dns_host_add(lk->out, sorted[i]->name, sorted[i]->pref);
	}
	free(sorted);
	if (lk->out->count == 0) {
		lk->mx_status = DNS_NOTFOUND;
		dsn_set(lk->why, DNS_STAT_NOTFOUND, DSN_ACTION_FAILED,
			"%s name=%s type=MX: Malformed or unexpected name server reply",
			DNS_ERR_PREFIX, lk->name);
	}
}

/* dns_mx_done - MX query callback */
static void
dns_mx_done(const struct dns_reply *reply, void *arg)
{
	struct dns_lookup *lk = arg;

	lk->mx_status = reply->status;
	lk->out->is_secure = reply->is_secure;
	switch (reply->status) {
	case DNS_OK:
		dns_mx_hosts(lk, reply);
		break;
	case DNS_NODATA:
		(void) dns_host_add(lk->out, lk->name, 0);
		break;
	case DNS_RETRY:
		dsn_set(lk->why, DNS_STAT_RETRY, DSN_ACTION_DELAYED,
			"%s name=%s type=MX: %s", DNS_ERR_PREFIX, lk->name,
			reply->why);
		break;
	default:
		dsn_set(lk->why, DNS_STAT_NOTFOUND, DSN_ACTION_FAILED,
			"%s name=%s type=MX: %s", DNS_ERR_PREFIX, lk->name,
			reply->why);
		break;
	}
}

/* One address query: which host it is for. */
struct dns_addr_query {
	struct dns_lookup *lk;
	size_t	host_index;
};

/* dns_addr_done - A/AAAA query callback */
static void
dns_addr_done(const struct dns_reply *reply, void *arg)
{
	struct dns_addr_query *aq = arg;
	struct dns_lookup *lk = aq->lk;
	struct dns_host *host = lk->out->host + aq->host_index;
	size_t	i;

	if (!reply->is_secure)
		lk->out->is_secure = 0;
	if (reply->status == DNS_OK) {
		for (i = 0; i < reply->count; i++)
			dns_host_add_addr(host, &reply->rr[i].addr);
	} else if (reply->status == DNS_RETRY) {
		lk->saw_retry = 1;
		buf_printf(lk->retry_why, "%s name=%s type=%s: %s", DNS_ERR_PREFIX,
			   reply->qname, dns_type_name(reply->type), reply->why);
	} else {
		buf_printf(lk->notfound_why, "%s name=%s type=%s: %s", DNS_ERR_PREFIX,
			   reply->qname, dns_type_name(reply->type), reply->why);
	}
	free(aq);
}

/* dns_addr_start - start the address queries of one host */
static void
dns_addr_start(struct dns_lookup *lk, size_t index)
{
	static const int types[] = {DNS_TYPE_A, DNS_TYPE_AAAA};
	static const int need[] = {DNS_LOOKUP_IPV4, DNS_LOOKUP_IPV6};
	struct dns_addr_query *aq;
	struct buf *qwhy = buf_new(100);
	size_t	i;

	for (i = 0; i < ARRAY_LEN(types); i++) {
		if ((lk->flags & need[i]) == 0)
			continue;
		aq = xmalloc(sizeof(*aq));
		aq->lk = lk;
		aq->host_index = index;
		if (dns_query(lk->ctx, lk->out->host[index].name, types[i],
			      dns_addr_done, aq, qwhy) < 0) {
			buf_printf(lk->notfound_why, "%s name=%s type=%s: %s",
				   DNS_ERR_PREFIX, lk->out->host[index].name,
				   dns_type_name(types[i]), qwhy->data);
			free(aq);
		}
	}
	buf_free(qwhy);
}

/* dns_native_lookup - getaddrinfo() for one host */
static void
dns_native_lookup(struct dns_lookup *lk, struct dns_host *host)
{
	struct addrinfo hints, *res, *ai;
	struct dns_addr addr;
	int	both = DNS_LOOKUP_IPV4 | DNS_LOOKUP_IPV6;
	int	err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = (lk->flags & both) == both ? AF_UNSPEC :
		(lk->flags & DNS_LOOKUP_IPV4) ? AF_INET : AF_INET6;
	if ((err = getaddrinfo(host->name, NULL, &hints, &res)) != 0) {
		if (err == EAI_AGAIN || err == EAI_FAIL || err == EAI_SYSTEM) {
			lk->saw_retry = 1;
			buf_printf(lk->retry_why, "%s name=%s type=A: Host not found, try again",
				   DNS_ERR_PREFIX, host->name);
		} else {
			buf_printf(lk->notfound_why, "%s name=%s type=A: Host not found",
				   DNS_ERR_PREFIX, host->name);
		}
		return;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		memset(&addr, 0, sizeof(addr));
		addr.family = ai->ai_family;
		if (ai->ai_family == AF_INET)
			addr.in.v4 = ((struct sockaddr_in *) ai->ai_addr)->sin_addr;
		else if (ai->ai_family == AF_INET6)
			addr.in.v6 = ((struct sockaddr_in6 *) ai->ai_addr)->sin6_addr;
		else
			continue;
		inet_ntop(addr.family, &addr.in, addr.text, sizeof(addr.text));
		dns_host_add_addr(host, &addr);
	}
	freeaddrinfo(res);
}

/* dns_lookup_addrs - addresses of every exchanger */
static void
dns_lookup_addrs(struct dns_lookup *lk, long long deadline)
{
	struct dns_addr addr;
	size_t	i;

	for (i = 0; i < lk->out->count; i++) {
		if (dns_addr_parse(lk->out->host[i].name, &addr) == 0)
			dns_host_add_addr(lk->out->host + i, &addr);
		else if (lk->ctx && (lk->flags & DNS_LOOKUP_DNS))
			dns_addr_start(lk, i);
	}
	if (lk->ctx && dns_ctx_pending(lk->ctx) > 0)
		(void) dns_ctx_wait(lk->ctx, dns_lookup_left(deadline));
	if (lk->flags & DNS_LOOKUP_NATIVE)
		for (i = 0; i < lk->out->count; i++)
			if (lk->out->host[i].addr_count == 0)
				dns_native_lookup(lk, lk->out->host + i);
}

/* dns_lookup_prune - drop hosts without addresses; report none left */
static int
dns_lookup_prune(struct dns_lookup *lk)
{
	struct dns_hostlist *out = lk->out;
	size_t	i, n = 0;

	for (i = 0; i < out->count; i++) {
		if (out->host[i].addr_count > 0) {
			out->host[n++] = out->host[i];
		} else {
			free(out->host[i].name);
			free(out->host[i].addr);
		}
	}
	out->count = n;
	if (n > 0)
		return (DNS_OK);
	if (lk->saw_retry) {
		dsn_set(lk->why, DNS_STAT_RETRY, DSN_ACTION_DELAYED, "%s",
			lk->retry_why->data);
		return (DNS_RETRY);
	}
	dsn_set(lk->why, DNS_STAT_NOTFOUND, DSN_ACTION_FAILED, "%s",
		lk->notfound_why->len ? lk->notfound_why->data :
		DNS_ERR_PREFIX " the host address: Host not found");
	return (DNS_NOTFOUND);
}

/* dns_lookup_hosts - exchangers of a domain with their addresses */
int
dns_lookup_hosts(struct dns_ctx *ctx, const char *name, int flags,
		         long timeout_ms, struct dns_hostlist *out, struct dsn *why)
{
	struct dns_lookup lk;
	long long deadline = timeout_ms < 0 ? -1 : dns_lookup_now_ms() + timeout_ms;
	struct buf *qwhy = buf_new(100);
	struct dns_addr literal;
	int	status;

	memset(out, 0, sizeof(*out));
	memset(&lk, 0, sizeof(lk));
	lk.ctx = (flags & (DNS_LOOKUP_DNS | DNS_LOOKUP_MX)) ? ctx : NULL;
	lk.name = name;
	lk.flags = flags;
	lk.out = out;
	lk.why = why;
	lk.retry_why = buf_new(100);
	lk.notfound_why = buf_new(100);
	out->is_secure = 1;
	if ((flags & DNS_LOOKUP_MX) && lk.ctx && dns_addr_parse(name, &literal) < 0) {
		if (dns_query(lk.ctx, name, DNS_TYPE_MX, dns_mx_done, &lk, qwhy) < 0) {
			lk.mx_status = DNS_INVAL;
			dsn_set(why, DNS_STAT_NOTFOUND, DSN_ACTION_FAILED,
				"%s name=%s type=MX: %s", DNS_ERR_PREFIX, name,
				qwhy->data);
		} else {
			(void) dns_ctx_wait(lk.ctx, dns_lookup_left(deadline));
		}
		status = lk.mx_status == DNS_NODATA ? DNS_OK : lk.mx_status;
	} else {
		(void) dns_host_add(out, name, 0);
		out->is_secure = 0;
		status = DNS_OK;
	}
	if (status == DNS_OK) {
		dns_lookup_addrs(&lk, deadline);
		status = dns_lookup_prune(&lk);
	}
	if (status != DNS_OK)
		dns_hostlist_free(out);
	buf_free(lk.retry_why);
	buf_free(lk.notfound_why);
	buf_free(qwhy);
	return (status);
}
