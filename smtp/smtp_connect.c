/*
 * NAME
 *	smtp_connect - find, connect to and greet the servers of a nexthop
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	int	smtp_nexthop_parse(const char *nexthop, struct buf *host,
 *				int *port, int *use_mx, struct buf *why);
 *	void	smtp_connect_site(struct smtp_state *state, const char *site);
 *
 *	struct smtp_session *smtp_session_new(int fd, const char *dest,
 *				const char *host, const char *addr, int port);
 *	void	smtp_session_close(struct smtp_session *session);
 * DESCRIPTION
 *	smtp_nexthop_parse() reads a nexthop as Postfix writes it:
 *	"domain" and "domain:port" (MX lookup), "[host]" and "[host]:port"
 *	(no MX lookup: host is a name or an address), the port a number or
 *	a service name, 25 by default. It returns 0, or -1 with a reason.
 *
 *	smtp_connect_site() delivers what is pending of the request to one
 *	nexthop (the request's own, or a fallback relay). It first tries an
 *	idle cached connection to that nexthop (RSET probe). Otherwise it
 *	looks up the mail exchangers (dns_lookup_hosts()), orders their
 *	addresses (smtp_addr.c) and tries them in turn: a connection that
 *	fails (smtp_connect_timeout), a greeting that is not 2xx, a failed
 *	EHLO/HELO or an unusable TLS session records a temporary failure
 *	for the pending recipients and moves on to the next address; a
 *	session that works carries mail transactions (smtp_proto.c), after
 *	which recipients that the server deferred move on, too, until
 *	smtp_mx_session_limit sessions were used. A DNS failure that is
 *	permanent (NXDOMAIN, null MX) bounces the pending recipients.
 *	Afterwards a healthy connection is cached (smtp_session_cache.c)
 *	or closed with QUIT.
 *
 *	smtp_session_new() wraps a connected socket; smtp_session_close()
 *	closes it without a QUIT.
 * DIAGNOSTICS
 *	Each failed connection or greeting is logged (as Postfix's
 *	"connect to host[addr]:port: Connection refused").
 * SEE ALSO
 *	smtp(8), dns(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <global/address.h>
#include <global/params.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>

#include "smtp.h"

#define SMTP_PORT		25
#define SMTP_DNS_TIMEOUT_MS	20000	/* one whole MX and address lookup */

/* smtp_port_parse - a port number or service name */
static int
smtp_port_parse(const char *text, struct buf *why)
{
	struct servent *sp;
	char   *end;
	long	port;

	if (*text >= '0' && *text <= '9') {
		errno = 0;
		port = strtol(text, &end, 10);
		if (*end == 0 && errno == 0 && port > 0 && port <= 65535)
			return ((int) port);
	} else if ((sp = getservbyname(text, "tcp")) != NULL) {
		return (ntohs((unsigned short) sp->s_port));
	} else if (strcmp(text, "smtp") == 0) {
		return (SMTP_PORT);
	}
	buf_printf(why, "bad port \"%.50s\"", text);
	return (-1);
}

/* smtp_nexthop_parse - [host]:port, host:port, host */
int
smtp_nexthop_parse(const char *nexthop, struct buf *host, int *port,
		           int *use_mx, struct buf *why)
{
	const char *end, *colon;
	struct dns_addr addr;

	*port = SMTP_PORT;
	*use_mx = (*nexthop != '[');
	if (*nexthop == '[') {
		if ((end = strchr(nexthop, ']')) == NULL) {
			buf_printf(why, "missing ']' in \"%.100s\"", nexthop);
			return (-1);
		}
		buf_reset(host);
		buf_catn(host, nexthop + 1, (size_t) (end - nexthop - 1));
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != 0 && colon == NULL) {
			buf_printf(why, "text after ']' in \"%.100s\"", nexthop);
			return (-1);
		}
		if (strncasecmp(host->data, "ipv6:", 5) == 0)
			buf_cpy(host, host->data + 5);
	} else {
		colon = strchr(nexthop, ':');
		if (colon && strchr(colon + 1, ':')) {
			buf_printf(why, "IPv6 address without brackets in \"%.100s\"", nexthop);
			return (-1);
		}
		buf_reset(host);
		buf_catn(host, nexthop, colon ? (size_t) (colon - nexthop) : strlen(nexthop));
	}
	if (colon && (*port = smtp_port_parse(colon + 1, why)) < 0)
		return (-1);
	if (dns_addr_parse(host->data, &addr) < 0 && !address_domain_valid(host->data)) {
		buf_printf(why, "bad host name \"%.100s\"", host->data);
		return (-1);
	}
	return (0);
}

/* smtp_session_new - wrap a connected socket */
struct smtp_session *
smtp_session_new(int fd, const char *dest, const char *host, const char *addr,
		         int port)
{
	struct smtp_session *session = xcalloc(1, sizeof(*session));
	struct buf *text = buf_new(100);

	session->stream = stream_fdopen(fd, STREAM_READ | STREAM_WRITE);
	session->dest = xstrdup(dest);
	session->host = xstrdup(host);
	session->addr = xstrdup(addr);
	session->port = port;
	buf_printf(text, "%s[%s]", host, addr);
	session->namaddr = xstrdup(text->data);
	buf_appendf(text, ":%d", port);
	session->relay = xstrdup(text->data);
	stream_set_name(session->stream, session->relay);
	session->created = time(NULL);
	buf_free(text);
	return (session);
}

/* smtp_session_close - close without QUIT */
void
smtp_session_close(struct smtp_session *session)
{
	if (session->tls)
		tls_session_stop(session->tls, session->stream, !session->is_broken);
	(void) stream_close(session->stream);
	free(session->dest);
	free(session->host);
	free(session->addr);
	free(session->namaddr);
	free(session->relay);
	free(session);
}

/* smtp_session_release - cache a healthy session, else QUIT */
static void
smtp_session_release(struct smtp_state *state, struct smtp_session *session)
{
	if (!session->is_broken
	    && smtp_session_cache_wanted(session->dest, state->req->flags))
		smtp_session_cache_store(session);
	else
		smtp_session_quit(session);
}

/* smtp_connect_sock - TCP connection to one address */
static int
smtp_connect_sock(struct smtp_state *state, const struct smtp_addr *addr,
		          int port, int is_last)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int	fd, err;

	memset(&ss, 0, sizeof(ss));
	if (addr->addr.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *) &ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short) port);
		sin->sin_addr = addr->addr.in.v4;
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short) port);
		sin6->sin6_addr = addr->addr.in.v6;
		len = sizeof(*sin6);
	}
	if ((fd = sock_connect((struct sockaddr *) &ss, len,
			       (int) smtp_conf.connect_timeout)) >= 0) {
		/* The stream flushes whole commands; do not let Nagle hold the
		 * last piece of DATA back until the peer's delayed ACK. */
		int	on = 1;

		(void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		return (fd);
	}
	err = errno;
	state->dead_candidate = 1;
	smtp_rcpt_fail_pending(state, "4.4.1", "none", 0,
			       "connect to %s[%s]:%d: %s", addr->host,
			       addr->addr.text, port, strerror(err));
	if (!is_last)
		msg_info("connect to %s[%s]:%d: %s", addr->host, addr->addr.text,
			 port, strerror(err));
	return (-1);
}

/* smtp_greeting - read the 220 banner */
static int
smtp_greeting(struct smtp_state *state, struct smtp_session *session, int is_last)
{
	struct smtp_reply reply;
	struct buf *why = buf_new(100);
	enum smtp_read_status status;
	int	bits, ret = 0;

	smtp_reply_init(&reply);
	stream_set_deadline(session->stream, var_smtp_helo_timeout * 1000L);
	if ((status = smtp_reply_read(session->stream, &reply, why)) != SMTP_READ_OK) {
		state->dead_candidate = 1;
		smtp_session_trouble(state, session, status,
				     "receiving the initial server greeting", why->data);
		ret = -1;
	} else if (reply.code / 100 != 2) {
		bits = smtp_reply_classify(&reply, smtp_conf.throttle);
		smtp_rcpt_throttle(state, &reply, bits);
		if ((bits & SMTP_CLASS_THROTTLE) == 0)
			state->dead_candidate = 1;
		if (reply.code >= 500 && var_smtp_skip_5xx_greeting)
			reply.dsn[0] = '4';
		if (reply.code < 400)
			snprintf(reply.dsn, sizeof(reply.dsn), "4.5.0");
		smtp_rcpt_fail_pending(state, reply.dsn, session->relay, reply.code,
				       "host %s refused to talk to me: %s",
				       session->namaddr, reply.text->data);
		if (!is_last)
			msg_info("host %s refused to talk to me: %s",
				 session->namaddr, reply.text->data);
		ret = -1;
	}
	smtp_reply_free(&reply);
	buf_free(why);
	return (ret);
}

/* smtp_connect_addr - connect, greet, EHLO and TLS for one address */
static struct smtp_session *
smtp_connect_addr(struct smtp_state *state, const char *site,
		          const struct smtp_addr *addr, int port,
		          const char *domain, int is_last)
{
	struct smtp_session *session;
	int	attempt, fd, tls;

	for (attempt = 0; attempt < 2; attempt++) {
		state->req->delay_conn = smtp_elapsed_us(state->req);
		if ((fd = smtp_connect_sock(state, addr, port, is_last)) < 0)
			return (NULL);
		session = smtp_session_new(fd, site, addr->host, addr->addr.text, port);
		session->use_count = 1;
		state->session_seq++;
		if (smtp_greeting(state, session, is_last) < 0
		    || smtp_helo(state, session) < 0) {
			state->req->delay_conn = smtp_elapsed_us(state->req);
			smtp_session_quit(session);
			return (NULL);
		}
		tls = smtp_tls_start(state, session, domain, attempt == 0);
		state->req->delay_conn = smtp_elapsed_us(state->req);
		if (tls == SMTP_TLS_OK)
			return (session);
		smtp_session_quit(session);
		if (tls != SMTP_TLS_RETRY_PLAIN)
			return (NULL);
	}
	return (NULL);
}

/* smtp_connect_cached - deliver over an idle cached connection */
static int
smtp_connect_cached(struct smtp_state *state, const char *site)
{
	struct smtp_session *session;

	if ((session = smtp_session_cache_find(site)) == NULL)
		return (0);
	if (smtp_rset(session) < 0) {
		msg_debug(1, "smtp: cached connection to %s failed the RSET probe",
			  session->relay);
		session->is_broken = 1;
		smtp_session_quit(session);
		return (0);
	}
	session->use_count++;
	state->req->conn_use = session->use_count;
	state->req->delay_conn = smtp_elapsed_us(state->req);
	state->final_flags |= DEL_STAT_CONN_REUSED;
	state->any_session = 1;
	state->site_sessions++;
	state->session_seq++;
	smtp_xfer(state, session);
	if (session->is_broken) {
		smtp_session_quit(session);
		return (0);
	}
	smtp_session_release(state, session);
	return (1);
}

/* smtp_connect_resolve - the addresses of a nexthop, or fail recipients */
static int
smtp_connect_resolve(struct smtp_state *state, const char *host, int use_mx,
		             struct smtp_addr_list *list)
{
	struct dns_hostlist hosts;
	struct dns_ctx *ctx = NULL;
	struct buf *why = buf_new(100);
	struct dsn dsn;
	int	flags = smtp_conf.dns_flags & ~(use_mx ? 0 : DNS_LOOKUP_MX);
	int	status, ret = -1;

	dsn_init(&dsn);
	if ((flags & (DNS_LOOKUP_DNS | DNS_LOOKUP_MX))
	    && (ctx = smtp_init_dns(why)) == NULL) {
		msg_warn("%s", why->data);
		smtp_rcpt_fail_pending(state, "4.3.5", "none", 0,
				       "DNS resolver unavailable: %s", why->data);
	} else if ((status = dns_lookup_hosts(ctx, host, flags, SMTP_DNS_TIMEOUT_MS,
					      &hosts, &dsn)) != DNS_OK) {
		/* A destination that cannot be found may go to a fallback relay. */
		if (status == DNS_NOTFOUND && !state->is_final_site)
			dsn.status[0] = '4';
		if (dsn.status[0] == '4')
			state->dead_candidate = 1;
		smtp_rcpt_fail_pending(state, dsn.status, "none", 0, "%s", dsn.reason);
	} else {
		if (smtp_addr_list_build(list, &hosts, var_smtp_mx_address_limit,
					 smtp_conf.prefer, var_smtp_randomize_addresses,
				   NULL, use_mx ? var_myhostname : NULL) < 0)
			smtp_rcpt_fail_pending(state, "5.4.6", "none", 0,
				   "mail for %s loops back to myself", host);
		else
			ret = 0;
		dns_hostlist_free(&hosts);
	}
	dsn_free(&dsn);
	buf_free(why);
	return (ret);
}

/* smtp_connect_site - deliver pending recipients to one nexthop */
void
smtp_connect_site(struct smtp_state *state, const char *site)
{
	struct buf *host = buf_new(100);
	struct buf *why = buf_new(100);
	struct smtp_addr_list list;
	struct smtp_session *session;
	int	port, use_mx;
	size_t	i;

	memset(&list, 0, sizeof(list));
	state->site_sessions = 0;
	if (smtp_nexthop_parse(site, host, &port, &use_mx, why) < 0) {
		msg_warn("%s: bad nexthop \"%s\": %s", state->req->queue_id, site, why->data);
		smtp_rcpt_fail_pending(state, "4.3.5", "none", 0,
				       "bad nexthop \"%s\": %s", site, why->data);
	} else if (smtp_connect_cached(state, site) == 0
		   && state->rcpt_left > 0
		   && smtp_connect_resolve(state, host->data, use_mx, &list) == 0) {
		for (i = 0; i < list.count && state->rcpt_left > 0; i++) {
			session = smtp_connect_addr(state, site, list.addr + i, port,
				   host->data, i + 1 == list.count && state->is_final_site);
			if (session == NULL)
				continue;
			state->any_session = 1;
			state->site_sessions++;
			smtp_xfer(state, session);
			smtp_session_release(state, session);
			if (var_smtp_mx_session_limit > 0
			    && state->site_sessions >= var_smtp_mx_session_limit)
				break;
		}
	}
	smtp_addr_list_free(&list);
	buf_free(host);
	buf_free(why);
}
