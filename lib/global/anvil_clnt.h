/*
 * NAME
 *	anvil_clnt - client of the anvil(8) connection and rate limit service
 * SYNOPSIS
 *	#include <global/anvil_clnt.h>
 *
 *	struct anvil_clnt *anvil_clnt_create(const char *path);
 *	int	anvil_clnt_connect(struct anvil_clnt *clnt, const char *service,
 *			const char *addr, int *count, int *rate);
 *	int	anvil_clnt_disconnect(struct anvil_clnt *clnt,
 *			const char *service, const char *addr);
 *	int	anvil_clnt_mail(struct anvil_clnt *clnt, const char *service,
 *			const char *addr, int *rate);
 *	int	anvil_clnt_rcpt(struct anvil_clnt *clnt, const char *service,
 *			const char *addr, int *rate);
 *	int	anvil_clnt_lookup(struct anvil_clnt *clnt, const char *service,
 *			const char *addr, struct anvil_usage *usage);
 *	void	anvil_clnt_free(struct anvil_clnt *clnt);
 * DESCRIPTION
 *	anvil(8) counts, per client identity "service:address", the
 *	connections open now and the connections, MAIL FROM commands and
 *	RCPT TO commands in the current anvil_rate_time_unit. smtpd asks it
 *	and enforces the smtpd_client_*_limit parameters itself.
 *
 *	anvil_clnt_create() makes a client for the UNIX-domain socket path
 *	(usually "private/anvil" relative to queue_directory); it connects
 *	on first use and keeps the connection, because anvil counts a
 *	connection as open for as long as the client that reported it stays
 *	connected (a crashed smtpd cannot leave a count behind). After a
 *	failure the next request reconnects once.
 *
 *	anvil_clnt_connect() reports a new connection and returns the
 *	number open now and the connection rate, both including this one.
 *	anvil_clnt_disconnect() reports its end. anvil_clnt_mail() and
 *	anvil_clnt_rcpt() report one MAIL FROM or RCPT TO and return the
 *	rate including it. anvil_clnt_lookup() reads all four numbers
 *	without changing them. They return ANVIL_STAT_OK, or ANVIL_STAT_FAIL
 *	when anvil cannot be reached or broke the protocol (a warning is
 *	logged; callers then go on without limits).
 *
 *	Protocol (attr(3) lists on a stream socket): the client sends
 *	{request, ident}; before its first reply on a connection the server
 *	sends {proto=anvil}; every reply starts with status:
 *
 *	    connect    -> {status, count, rate}
 *	    disconnect -> {status}
 *	    message    -> {status, rate}
 *	    recipient  -> {status, rate}
 *	    lookup     -> {status, count, rate, message, recipient}
 *
 *	The server speaks second because the multi_server skeleton calls
 *	its service routine only when a client has sent something.
 * SEE ALSO
 *	anvil(8), smtpd(8)
 */
#ifndef POSTERN_ANVIL_CLNT_H
#define POSTERN_ANVIL_CLNT_H

#include <util/sys_defs.h>

#define ANVIL_STAT_OK		0
#define ANVIL_STAT_FAIL		(-1)

 /*
  * Request names and the attributes only anvil uses (the generic ones,
  * request, status and count, are MAIL_ATTR_* in mail_proto.h).
  */
#define ANVIL_REQ_CONNECT	"connect"
#define ANVIL_REQ_DISCONNECT	"disconnect"
#define ANVIL_REQ_MESSAGE	"message"
#define ANVIL_REQ_RCPT		"recipient"
#define ANVIL_REQ_LOOKUP	"lookup"

#define ANVIL_ATTR_IDENT	"ident"
#define ANVIL_ATTR_RATE		"rate"
#define ANVIL_ATTR_MAIL		"message"
#define ANVIL_ATTR_RCPT		"recipient"

#define ANVIL_IDENT_MAX		300	/* service:address */
#define ANVIL_CLNT_TIMEOUT	10	/* seconds per request */

struct anvil_usage {
	int	count;			/* connections open now */
	int	rate;			/* connections this time unit */
	int	mail;			/* MAIL FROM this time unit */
	int	rcpt;			/* RCPT TO this time unit */
};

struct anvil_clnt;

struct anvil_clnt *anvil_clnt_create(const char *path);
int	anvil_clnt_connect(struct anvil_clnt *clnt, const char *service,
		const char *addr, int *count, int *rate);
int	anvil_clnt_disconnect(struct anvil_clnt *clnt, const char *service,
		const char *addr);
int	anvil_clnt_mail(struct anvil_clnt *clnt, const char *service,
		const char *addr, int *rate);
int	anvil_clnt_rcpt(struct anvil_clnt *clnt, const char *service,
		const char *addr, int *rate);
int	anvil_clnt_lookup(struct anvil_clnt *clnt, const char *service,
		const char *addr, struct anvil_usage *usage);
void	anvil_clnt_free(struct anvil_clnt *clnt);

#endif
