/*
 * NAME
 *	resolve - recipient address to (transport, nexthop), as trivial-rewrite
 * SYNOPSIS
 *	#include <global/resolve.h>
 *
 *	struct resolve *resolve_create(void);
 *	void	resolve_free(struct resolve *rp);
 *
 *	void	resolve_reply_init(struct resolve_reply *reply);
 *	void	resolve_reply_free(struct resolve_reply *reply);
 *	int	resolve_addr(struct resolve *rp, const char *addr,
 *			struct resolve_reply *reply);
 *
 *	int	resolve_local_domain(struct resolve *rp, const char *domain);
 *	int	resolve_relay_domain(struct resolve *rp, const char *domain);
 *	void	resolve_split(const char *value, struct buf *transport,
 *			struct buf *nexthop);
 * DESCRIPTION
 *	This module decides where a recipient goes, the way Postfix's
 *	trivial-rewrite(8) resolve service does. Postern has no separate
 *	rewrite daemon: qmgr (and anyone else who needs to know the address
 *	class, e.g. smtpd for relay checks) links it.
 *
 *	resolve_create() takes a snapshot of the routing parameters
 *	(mydestination, inet_interfaces, proxy_interfaces, relay_domains,
 *	relayhost, local_transport, relay_transport, default_transport,
 *	transport_maps, recipient_delimiter, myhostname) and opens the
 *	tables they name. Call it after the parameters are loaded (and,
 *	for a daemon, before any chroot). resolve_free() releases it.
 *
 *	resolve_addr() resolves one internal-form recipient address into
 *	reply (initialised with resolve_reply_init(); each call replaces
 *	its content). The rules, in order:
 * .IP \(bu
 *	The address class. An address without a domain, or whose domain
 *	matches mydestination, or whose domain is an address literal
 *	("[127.0.0.1]", "[IPv6:::1]") of an address in inet_interfaces or
 *	proxy_interfaces ("all": every interface address of this host;
 *	"loopback-only": 127.0.0.1 and ::1) is local: transport and nexthop
 *	from local_transport. The nexthop of the local class is the
 *	recipient domain (for logging; $myhostname for an address without
 *	domain) unless local_transport names an explicit nexthop other than
 *	$myhostname. A domain matching relay_domains (subdomains included,
 *	as Postfix's parent_domain_matches_subdomains) is the relay class:
 *	relay_transport. Everything else is the default class:
 *	default_transport. For the relay and default classes the nexthop is
 *	the one in the transport value ("smtp:[gw]:2525") if any, else
 *	relayhost if set, else the recipient domain.
 * .IP \(bu
 *	transport_maps, when set, override that result. Keys, first match
 *	wins: the full address, the address without its address extension
 *	(recipient_delimiter), the domain, each parent domain as ".parent"
 *	(".b.example.com", ".example.com", ".com"), then "*". A value is
 *	"transport:nexthop" as in Postfix's transport(5): an empty transport
 *	keeps the transport found above, an empty nexthop with a non-empty
 *	transport resets the nexthop to the recipient domain, ":" or an
 *	empty value changes nothing. A value without ":" is a transport
 *	name. "error:text" gives the error transport with the text as
 *	nexthop; "smtp:[host]:port" keeps the port with the host.
 * .PP
 *	Domain lists (mydestination, relay_domains) are Postfix lists:
 *	names separated by commas or white space, "type:table" lookup
 *	tables (the domain, and for relay_domains each parent domain, is
 *	looked up; any value matches), "/file" for a file of names,
 *	".domain" for subdomains only, and "!pattern" to exclude. Domains
 *	are compared without case and without a trailing dot.
 *
 *	resolve_addr() returns 0 with reply->flags holding the class
 *	(RESOLVE_CLASS_LOCAL, RESOLVE_CLASS_RELAY, RESOLVE_CLASS_DEFAULT),
 *	reply->transport, reply->nexthop, and reply->domain (lowercased,
 *	empty when the address has none). When a table lookup failed (a
 *	transport map, a mydestination or relay_domains table) it returns
 *	-1 with RESOLVE_FLAG_FAIL set and reply->why explaining: the caller
 *	must defer the recipient and try again later.
 *
 *	resolve_local_domain() and resolve_relay_domain() tell whether a
 *	domain is local / a relay domain: 1, 0, or -1 on a table error.
 *	resolve_split() splits "transport:nexthop" at the first ':' (a
 *	value without ':' is all transport).
 * DIAGNOSTICS
 *	Unavailable tables are logged by maps(3) and make lookups fail. A
 *	"/file" list element that cannot be read is logged as a warning and
 *	makes every match against that list fail.
 * SEE ALSO
 *	maps(3), transport(5) of Postfix, qmgr(8)
 */
#ifndef POSTERN_RESOLVE_H
#define POSTERN_RESOLVE_H

#include <util/sys_defs.h>
#include <util/buf.h>

#define RESOLVE_CLASS_LOCAL	(1 << 0)
#define RESOLVE_CLASS_RELAY	(1 << 1)
#define RESOLVE_CLASS_DEFAULT	(1 << 2)
#define RESOLVE_CLASS_MASK	(RESOLVE_CLASS_LOCAL | RESOLVE_CLASS_RELAY \
				 | RESOLVE_CLASS_DEFAULT)
#define RESOLVE_FLAG_FAIL	(1 << 8)	/* lookup failed: defer */
#define RESOLVE_FLAG_ROUTED	(1 << 9)	/* a transport_maps entry applied */

struct resolve;

struct resolve_reply {
	int	flags;
	struct buf *transport;
	struct buf *nexthop;
	struct buf *domain;		/* lowercased, no trailing dot */
	struct buf *why;		/* RESOLVE_FLAG_FAIL: reason */
};

struct resolve *resolve_create(void);
void	resolve_free(struct resolve *rp);
void	resolve_reply_init(struct resolve_reply *reply);
void	resolve_reply_free(struct resolve_reply *reply);
int	resolve_addr(struct resolve *rp, const char *addr,
		             struct resolve_reply *reply);
int	resolve_local_domain(struct resolve *rp, const char *domain);
int	resolve_relay_domain(struct resolve *rp, const char *domain);
void	resolve_split(const char *value, struct buf *transport,
		              struct buf *nexthop);

#endif
