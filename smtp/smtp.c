/*
 * NAME
 *	smtp - Postern SMTP delivery agent
 * SYNOPSIS
 *	smtp [generic daemon options]
 * DESCRIPTION
 *	smtp(8) delivers mail over SMTP for qmgr(8). It runs as the
 *	master.cf services smtp, relay and any cloned transport (e.g.
 *	high-prio); each process serves delivery requests on
 *	private/<service>, one after another, answering with one status
 *	per recipient and a final status (deliver_request(3)).
 *
 *	For each request it looks up the nexthop's mail exchangers (MX,
 *	then A/AAAA; "[host]" skips the MX lookup), tries their addresses
 *	in preference order, speaks ESMTP with PIPELINING, SIZE, 8BITMIME,
 *	DSN and STARTTLS as smtp_tls_security_level asks, and tries the
 *	fallback relays for what is left deferred. Connections are kept
 *	for smtp_connection_cache_time_limit and reused by the next request
 *	for the same nexthop. Replies matching smtp_throttle_reply_patterns
 *	tell qmgr to slow down (DEL_STAT_THROTTLED); a destination where no
 *	server could be reached is reported dead (DEL_STAT_DEST_DEAD).
 *
 *	Each recipient gets one log line as Postfix's smtp(8) writes it:
 *	"ID: to=<rcpt>, relay=host[addr]:port, delay=.., delays=a/b/c/d,
 *	dsn=X.Y.Z, status=sent (250 2.0.0 Ok: queued as ...)".
 * SECURITY
 *	smtp(8) runs as mail_owner and talks to untrusted servers. It reads
 *	queue files read-only and never writes them.
 * DIAGNOSTICS
 *	Problems are logged to maillog_file or syslog. A bad TLS, DNS or
 *	address configuration is fatal at start.
 * PARAMETERS
 *	smtp_connect_timeout (30s), smtp_helo_timeout (300s),
 *	smtp_mail_timeout (300s), smtp_rcpt_timeout (300s),
 *	smtp_data_init_timeout (120s), smtp_data_xfer_timeout (180s),
 *	smtp_data_done_timeout (600s), smtp_rset_timeout (20s),
 *	smtp_quit_timeout (300s), smtp_starttls_timeout (300s),
 *	smtp_helo_name ($myhostname), smtp_line_length_limit (998),
 *	smtp_mx_address_limit (5), smtp_mx_session_limit (2),
 *	smtp_fallback_relay ($fallback_relay), smtp_host_lookup (dns),
 *	smtp_dns_support_level, smtp_dns_resolver_config, inet_protocols,
 *	smtp_address_preference (any), smtp_randomize_addresses (yes),
 *	smtp_skip_5xx_greeting (yes), smtp_never_send_ehlo (no),
 *	smtp_skip_quit_response (yes), smtp_discard_ehlo_keywords,
 *	smtp_connection_cache_on_demand (yes),
 *	smtp_connection_cache_destinations,
 *	smtp_connection_cache_time_limit (2s),
 *	smtp_connection_reuse_time_limit (300s),
 *	smtp_connection_reuse_count_limit (0), smtp_tls_security_level,
 *	smtp_tls_CAfile, smtp_tls_CApath, smtp_tls_cert_file,
 *	smtp_tls_key_file, smtp_tls_protocols,
 *	smtp_tls_mandatory_protocols, smtp_tls_verify_cert_match,
 *	smtp_tls_secure_cert_match, smtp_throttle_reply_patterns,
 *	soft_bounce, ipc_timeout.
 * SEE ALSO
 *	qmgr(8), master(8), deliver_request(3), docs/man/smtp.8.md
 */
#include <util/sys_defs.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <global/deliver_request.h>
#include <global/params.h>
#include <server/server.h>

#include <time.h>

#include "smtp.h"

#define SMTP_WAIT_SLICE_MS	1000

/* smtp_wait_request - wait for qmgr, closing idle connections meanwhile */
static int
smtp_wait_request(struct stream *client)
{
	time_t	deadline = time(NULL) + var_ipc_timeout;
	long	wait;

	/* Wake up every second: master may ask us to finish (reload, stop). */
	while (stream_pending(client) == 0 && !server_is_stopping()) {
		smtp_session_cache_expire();
		if (time(NULL) >= deadline)
			return (-1);
		wait = smtp_session_cache_wait_ms();
		if (wait < 0 || wait > SMTP_WAIT_SLICE_MS)
			wait = SMTP_WAIT_SLICE_MS;
		if (read_wait(stream_fd(client), wait) == 0)
			return (0);
	}
	return (server_is_stopping() && stream_pending(client) == 0 ? -1 : 0);
}

/* smtp_service - one qmgr connection: one or more requests */
static void
smtp_service(struct stream *client, const char *service, char **argv)
{
	struct deliver_request req;
	struct buf *why = buf_new(100);
	int	ret;

	(void) service;
	(void) argv;
	stream_set_timeout(client, (int) var_ipc_timeout);
	if (deliver_request_hello(client) < 0) {
		buf_free(why);
		return;
	}
	while (!server_is_stopping() && smtp_wait_request(client) == 0) {
		if ((ret = deliver_request_read(client, &req, why)) <= 0) {
			if (ret < 0)
				msg_warn("%s: bad delivery request: %s",
					 stream_name(client), why->data);
			deliver_request_free(&req);
			break;
		}
		smtp_deliver(client, &req);
		deliver_request_free(&req);
	}
	buf_free(why);
}

/* smtp_pre_init - TLS context while files are still reachable */
static void
smtp_pre_init(const char *service, char **argv)
{
	struct buf *why = buf_new(100);

	(void) service;
	(void) argv;
	if (smtp_init_tls(why) < 0)
		msg_fatal("%s", why->data);
	buf_free(why);
}

/* smtp_post_init - the rest of the configuration */
static void
smtp_post_init(const char *service, char **argv)
{
	struct buf *why = buf_new(100);

	(void) service;
	(void) argv;
	if (smtp_init(why) < 0)
		msg_fatal("%s", why->data);
	/* A broken resolver configuration is a start-up error, not a deferral. */
	if ((smtp_conf.dns_flags & (DNS_LOOKUP_DNS | DNS_LOOKUP_MX))
	    && smtp_init_dns(why) == NULL)
		msg_fatal("%s", why->data);
	buf_free(why);
}

/* smtp_loop - close idle connections on time */
static long
smtp_loop(void)
{
	smtp_session_cache_expire();
	return (smtp_session_cache_wait_ms());
}

/* smtp_exit - say goodbye to the cached servers */
static void
smtp_exit(void)
{
	smtp_session_cache_close_all();
	smtp_init_free();
}

/* main - hand the callbacks to the single-client skeleton */
int
main(int argc, char **argv)
{
	static const struct server_ops ops = {
		.name = "smtp",
		.service = smtp_service,
		.pre_init = smtp_pre_init,
		.post_init = smtp_post_init,
		.loop = smtp_loop,
		.on_exit = smtp_exit,
	};

	return (single_server_main(argc, argv, &ops));
}
