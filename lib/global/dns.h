/*
 * NAME
 *	dns - asynchronous DNS lookups (libunbound) and mail exchanger lists
 * SYNOPSIS
 *	#include <global/dns.h>
 *
 *	Resolver context
 *	struct dns_ctx *dns_ctx_create(const char *config_file,
 *				struct buf *why);
 *	void	dns_ctx_free(struct dns_ctx *ctx);
 *	int	dns_ctx_fd(const struct dns_ctx *ctx);
 *	int	dns_ctx_process(struct dns_ctx *ctx);
 *	size_t	dns_ctx_pending(const struct dns_ctx *ctx);
 *	int	dns_ctx_wait(struct dns_ctx *ctx, long timeout_ms);
 *	void	dns_ctx_cancel(struct dns_ctx *ctx, const char *why);
 *	void	dns_ctx_event_enable(struct dns_ctx *ctx);
 *	void	dns_ctx_event_disable(struct dns_ctx *ctx);
 *
 *	Single queries
 *	int	dns_query(struct dns_ctx *ctx, const char *name, int type,
 *				dns_callback_fn fn, void *arg, struct buf *why);
 *	const char *dns_type_name(int type);
 *	int	dns_parse_rr(int type, const unsigned char *data, size_t len,
 *				struct dns_rr *rr);
 *	int	dns_parse_name(const unsigned char *data, size_t len,
 *				struct buf *name);
 *
 *	Mail exchangers and addresses
 *	int	dns_lookup_flags(const char *inet_protocols,
 *				const char *host_lookup, const char *support_level,
 *				struct buf *why);
 *	int	dns_lookup_hosts(struct dns_ctx *ctx, const char *name,
 *				int flags, long timeout_ms,
 *				struct dns_hostlist *out, struct dsn *why);
 *	void	dns_hostlist_free(struct dns_hostlist *list);
 *	int	dns_addr_parse(const char *text, struct dns_addr *addr);
 * DESCRIPTION
 *	A struct dns_ctx wraps one libunbound context in asynchronous mode
 *	(a resolver thread does the work; results arrive through a pipe).
 *	dns_ctx_create() configures it from config_file, an unbound.conf(5)
 *	style file (the smtp_dns_resolver_config parameter: tests point it
 *	at a DNS server on loopback with a forward-zone or stub-zone), or,
 *	when config_file is NULL or empty, from /etc/resolv.conf. It
 *	returns NULL with a reason in why when the file is unusable.
 *
 *	dns_query() starts one query for name and type (DNS_TYPE_A, _AAAA,
 *	_MX) and returns at once: 0, or -1 with why. fn(reply, arg) runs
 *	later, from dns_ctx_process(), dns_ctx_wait() or dns_ctx_cancel(),
 *	with the outcome; reply and its contents are freed when fn
 *	returns. A reply has a status: DNS_OK (records in rr[]), DNS_NODATA
 *	(the name exists without records of that type), DNS_NOTFOUND
 *	(NXDOMAIN), DNS_RETRY (SERVFAIL, REFUSED, a time-out, a DNSSEC
 *	failure, a resolver error: try again later) or DNS_INVAL (an
 *	invalid name); reply->why describes failures ("Host not found",
 *	"Host not found, try again").
 *
 *	dns_ctx_fd() is the descriptor that becomes readable when answers
 *	wait; dns_ctx_process() then runs the callbacks of the finished
 *	queries (0, or -1 on a resolver failure). dns_ctx_event_enable()
 *	registers the descriptor with events(3) so that a daemon's event
 *	loop does this by itself; dns_ctx_event_disable() undoes it.
 *	dns_ctx_pending() counts queries without a callback yet.
 *	dns_ctx_wait() processes answers until none is pending, waiting at
 *	most timeout_ms milliseconds (-1: no limit) for the descriptor; on
 *	expiry it cancels what is left (their callbacks get DNS_RETRY,
 *	"Host not found, try again (timed out)") and returns -1 with errno
 *	ETIMEDOUT, else 0. dns_ctx_cancel() cancels every pending query in
 *	the same way with the given reason.
 *
 *	dns_lookup_hosts() is what an SMTP client needs: the list of mail
 *	exchangers for a domain, each with its addresses. flags is a mask
 *	of DNS_LOOKUP_* bits, usually from dns_lookup_flags(), which maps
 *	inet_protocols ("all", "ipv4", "ipv6", "ipv4, ipv6"),
 *	smtp_host_lookup ("dns", "native", "dns, native") and
 *	smtp_dns_support_level ("", "enabled", "dnssec", "disabled": no
 *	DNS at all) to flags, or returns -1 with a reason. With
 *	DNS_LOOKUP_MX it looks up the MX records of name first:
 * .IP \(bu
 *	no MX records: the domain itself is the only exchanger, with
 *	preference 0 (the implicit MX of RFC 5321 section 5.1);
 * .IP \(bu
 *	a null MX (RFC 7505: one MX with the root as target) or any MX
 *	record with an empty target: DNS_NULLMX, status 5.1.10, "Domain
 *	D does not accept mail (nullMX)";
 * .IP \(bu
 *	NXDOMAIN: DNS_NOTFOUND, status 5.4.4, "Host or domain name not
 *	found. Name service error for name=D type=MX: Host not found";
 * .IP \(bu
 *	SERVFAIL, a time-out and other temporary trouble: DNS_RETRY, status
 *	4.4.3, "... type=MX: Host not found, try again".
 * .PP
 *	Then it looks up the addresses of every exchanger at once (A with
 *	DNS_LOOKUP_IPV4, AAAA with DNS_LOOKUP_IPV6, by DNS with
 *	DNS_LOOKUP_DNS, by getaddrinfo() - /etc/hosts and the system's
 *	resolver - with DNS_LOOKUP_NATIVE; with both, native is tried for
 *	a host that DNS could not resolve). Without DNS_LOOKUP_MX, name
 *	itself is the one host. A name that is an IPv4 or IPv6 address is
 *	used as it is. Exchangers without any address are dropped; when
 *	none is left the result is DNS_RETRY (4.4.3) if any lookup failed
 *	temporarily, else DNS_NOTFOUND (5.4.4) naming the last host and
 *	type that failed. The whole lookup takes at most timeout_ms.
 *
 *	On success (DNS_OK) out holds the exchangers in ascending
 *	preference, equal preferences in the order the DNS gave them
 *	(callers randomise), and out->is_secure tells whether every answer
 *	was DNSSEC validated. On failure why holds status and reason (as
 *	dsn_set(), action "delayed" or "failed") and out is empty. Release
 *	out with dns_hostlist_free() either way.
 *
 *	dns_parse_rr() decodes the data of one A, AAAA or MX record into rr
 *	(rr->name is malloc()ed for MX: "" for the root) and returns 0, or
 *	-1 for a malformed record. dns_parse_name() decodes an uncompressed
 *	wire-format domain name that fills exactly len bytes into name
 *	("" for the root, no trailing dot) and returns 0, or -1 when a
 *	label is too long, a compression pointer appears, the name is too
 *	long or does not end where the data ends. dns_addr_parse() fills
 *	addr from an IPv4 or IPv6 address literal (no brackets) and
 *	returns 0, or -1 when text is not one.
 * DIAGNOSTICS
 *	Library code: errors are returned.
 * SEE ALSO
 *	libunbound(3), RFC 1035, RFC 5321 section 5, RFC 7505
 */
#ifndef POSTERN_DNS_H
#define POSTERN_DNS_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <global/dsn.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#define DNS_TYPE_A	1
#define DNS_TYPE_MX	15
#define DNS_TYPE_AAAA	28

#define DNS_OK		0
#define DNS_NOTFOUND	1	/* NXDOMAIN */
#define DNS_NODATA	2	/* name exists, no record of the type */
#define DNS_RETRY	3	/* temporary failure */
#define DNS_INVAL	4	/* invalid name */
#define DNS_NULLMX	5	/* the domain accepts no mail (RFC 7505) */

#define DNS_LOOKUP_MX		(1 << 0)	/* MX first */
#define DNS_LOOKUP_IPV4		(1 << 1)	/* A records */
#define DNS_LOOKUP_IPV6		(1 << 2)	/* AAAA records */
#define DNS_LOOKUP_DNS		(1 << 3)	/* addresses by DNS */
#define DNS_LOOKUP_NATIVE	(1 << 4)	/* addresses by getaddrinfo */
#define DNS_LOOKUP_DNSSEC	(1 << 5)	/* smtp_dns_support_level dnssec */

#define DNS_HOST_LIMIT		100	/* exchangers looked at */
#define DNS_ADDR_LIMIT		32	/* addresses per exchanger */

struct dns_ctx;

struct dns_addr {
	int	family;			/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	}	in;
	char	text[INET6_ADDRSTRLEN];	/* "192.0.2.1", "2001:db8::1" */
};

struct dns_rr {
	int	type;			/* DNS_TYPE_* */
	int	pref;			/* MX preference */
	char   *name;			/* MX target, "" for the root */
	struct dns_addr addr;		/* A, AAAA */
};

struct dns_reply {
	const char *qname;
	int	type;
	int	status;			/* DNS_OK ... */
	int	rcode;			/* DNS response code */
	int	is_secure;		/* DNSSEC validated */
	const char *why;		/* failure text */
	struct dns_rr *rr;
	size_t	count;
};

typedef void (*dns_callback_fn)(const struct dns_reply *reply, void *arg);

struct dns_host {
	char   *name;
	int	pref;
	struct dns_addr *addr;
	size_t	addr_count;
};

struct dns_hostlist {
	struct dns_host *host;
	size_t	count;
	int	is_secure;
};

struct dns_ctx *dns_ctx_create(const char *config_file, struct buf *why);
void	dns_ctx_free(struct dns_ctx *ctx);
int	dns_ctx_fd(const struct dns_ctx *ctx);
int	dns_ctx_process(struct dns_ctx *ctx);
size_t	dns_ctx_pending(const struct dns_ctx *ctx);
int	dns_ctx_wait(struct dns_ctx *ctx, long timeout_ms);
void	dns_ctx_cancel(struct dns_ctx *ctx, const char *why);
void	dns_ctx_event_enable(struct dns_ctx *ctx);
void	dns_ctx_event_disable(struct dns_ctx *ctx);

int	dns_query(struct dns_ctx *ctx, const char *name, int type,
		          dns_callback_fn fn, void *arg, struct buf *why);
const char *dns_type_name(int type);
int	dns_parse_rr(int type, const unsigned char *data, size_t len,
		             struct dns_rr *rr);
int	dns_parse_name(const unsigned char *data, size_t len, struct buf *name);

int	dns_lookup_flags(const char *inet_protocols, const char *host_lookup,
			         const char *support_level, struct buf *why);
int	dns_lookup_hosts(struct dns_ctx *ctx, const char *name, int flags,
			         long timeout_ms, struct dns_hostlist *out,
			         struct dsn *why);
void	dns_hostlist_free(struct dns_hostlist *list);
int	dns_addr_parse(const char *text, struct dns_addr *addr);

#endif
