/*
 * NAME
 *	anvil - Postern session count and request rate control
 * SYNOPSIS
 *	anvil [generic daemon options] (started by master(8))
 * DESCRIPTION
 *	anvil counts, for each client identity "service:address", the
 *	connections open now and the connections, messages (MAIL FROM) and
 *	recipients (RCPT TO) in the current anvil_rate_time_unit. smtpd(8)
 *	reports those events and compares the answers with its
 *	smtpd_client_*_limit parameters. anvil is meant for protection
 *	against run-away clients (accidental denial of service), with
 *	generous limits, not for steady-state rate limiting.
 *
 *	One anvil process (master.cf: process limit 1) serves every smtpd
 *	process over private/anvil, through the multi_server skeleton. A
 *	connection reported by an smtpd process counts as open until that
 *	process reports its end or disconnects from anvil (e.g. because it
 *	crashed), so counts cannot leak.
 *
 *	Every anvil_status_update_time, and when it exits, anvil logs the
 *	highest connection count and rates seen since the last report, as
 *	Postfix does ("statistics: max connection rate 12/60s for
 *	(smtp:192.0.2.1) at Nov 22 13:30:01").
 *
 *	The protocol is in anvil_clnt(3).
 * SECURITY
 *	anvil holds no secrets and needs no privileges; it trusts its
 *	clients (the private/ directory keeps others out) but checks every
 *	request: a malformed one drops that client's connection.
 * DIAGNOSTICS
 *	Problems are logged.
 * PARAMETERS
 *	anvil_rate_time_unit (60s), anvil_status_update_time (600s).
 *	anvil never exits because of max_use (its counters would be lost);
 *	max_idle applies when no smtpd process is connected.
 * SEE ALSO
 *	smtpd(8), anvil_clnt(3), docs/man/anvil.8.md
 */
#include <util/sys_defs.h>
#include <limits.h>
#include <time.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/attr.h>
#include <util/buf.h>
#include <util/events.h>
#include <util/htable.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/anvil_clnt.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include <server/server.h>
#include "anvil.h"

 /*
  * Per client stream: whether it got the protocol hello, and the
  * identities whose connections it reported (one entry per connection).
  */
struct anvil_local {
	bool	has_hello;
	struct argv *connected;
};

static struct anvil_table *anvil_counts;
static struct htable *anvil_locals;	/* "%p" of the stream -> local */

typedef int (*anvil_request_fn) (struct stream *client, struct anvil_local *local,
				         const char *ident);

/* anvil_key - the locals key of a stream */
static const char *
anvil_key(char *buf, size_t len, const struct stream *client)
{
	snprintf(buf, len, "%p", (const void *) client);
	return (buf);
}

/* anvil_local_get - per-stream state, created on first use */
static struct anvil_local *
anvil_local_get(const struct stream *client)
{
	char	key[32];
	struct anvil_local *local;

	anvil_key(key, sizeof(key), client);
	if ((local = htable_find(anvil_locals, key)) == NULL) {
		local = xcalloc(1, sizeof(*local));
		local->connected = argv_new(2);
		htable_enter(anvil_locals, key, local);
	}
	return (local);
}

/* anvil_reply - hello before the first reply, then the reply */
static int
anvil_reply(struct stream *client, struct anvil_local *local, const struct attr *list)
{
	if (!local->has_hello) {
		if (attr_send_proto(client, MAIL_PROTO_ANVIL) < 0)
			return (-1);
		local->has_hello = true;
	}
	return (attr_print(client, ATTR_FLAG_FLUSH, list));
}

/* anvil_connect - a new connection */
static int
anvil_connect(struct stream *client, struct anvil_local *local, const char *ident)
{
	int	count;
	int	rate;

	anvil_table_connect(anvil_counts, ident, time(NULL), &count, &rate);
	argv_add(local->connected, ident);
	return (anvil_reply(client, local, ATTR_LIST(
					ATTR_INT(MAIL_ATTR_STATUS, ANVIL_STAT_OK),
					     ATTR_INT(MAIL_ATTR_COUNT, count),
					     ATTR_INT(ANVIL_ATTR_RATE, rate))));
}

/* anvil_forget - remove one connection of ident from the stream's list */
static bool
anvil_forget(struct anvil_local *local, const char *ident)
{
	size_t	i;
	char   *last;

	for (i = 0; i < local->connected->argc; i++) {
		if (strcmp(local->connected->argv[i], ident) == 0) {
			last = local->connected->argv[local->connected->argc - 1];
			local->connected->argv[local->connected->argc - 1] = local->connected->argv[i];
			local->connected->argv[i] = last;
			argv_truncate(local->connected, local->connected->argc - 1);
			return (true);
		}
	}
	return (false);
}

/* anvil_disconnect - a connection ended */
static int
anvil_disconnect(struct stream *client, struct anvil_local *local, const char *ident)
{
	int	status = ANVIL_STAT_OK;

	if (!anvil_forget(local, ident)
	    || anvil_table_disconnect(anvil_counts, ident, time(NULL)) < 0) {
		msg_warn("%s: disconnect for %s without connect", stream_name(client), ident);
		status = ANVIL_STAT_FAIL;
	}
	return (anvil_reply(client, local, ATTR_LIST(ATTR_INT(MAIL_ATTR_STATUS, status))));
}

/* anvil_message - one MAIL FROM */
static int
anvil_message(struct stream *client, struct anvil_local *local, const char *ident)
{
	int	rate;

	anvil_table_message(anvil_counts, ident, time(NULL), &rate);
	return (anvil_reply(client, local, ATTR_LIST(
					ATTR_INT(MAIL_ATTR_STATUS, ANVIL_STAT_OK),
					     ATTR_INT(ANVIL_ATTR_RATE, rate))));
}

/* anvil_rcpt - one RCPT TO */
static int
anvil_rcpt(struct stream *client, struct anvil_local *local, const char *ident)
{
	int	rate;

	anvil_table_rcpt(anvil_counts, ident, time(NULL), &rate);
	return (anvil_reply(client, local, ATTR_LIST(
					ATTR_INT(MAIL_ATTR_STATUS, ANVIL_STAT_OK),
					     ATTR_INT(ANVIL_ATTR_RATE, rate))));
}

/* anvil_lookup - all numbers, unchanged */
static int
anvil_lookup(struct stream *client, struct anvil_local *local, const char *ident)
{
	struct anvil_usage usage;

	anvil_table_lookup(anvil_counts, ident, time(NULL), &usage);
	return (anvil_reply(client, local, ATTR_LIST(
					ATTR_INT(MAIL_ATTR_STATUS, ANVIL_STAT_OK),
					     ATTR_INT(MAIL_ATTR_COUNT, usage.count),
					     ATTR_INT(ANVIL_ATTR_RATE, usage.rate),
					     ATTR_INT(ANVIL_ATTR_MAIL, usage.mail),
					     ATTR_INT(ANVIL_ATTR_RCPT, usage.rcpt))));
}

static const struct {
	const char *name;
	anvil_request_fn fn;
} anvil_requests[] = {
	{ANVIL_REQ_CONNECT, anvil_connect},
	{ANVIL_REQ_DISCONNECT, anvil_disconnect},
	{ANVIL_REQ_MESSAGE, anvil_message},
	{ANVIL_REQ_RCPT, anvil_rcpt},
	{ANVIL_REQ_LOOKUP, anvil_lookup},
};

/* anvil_dispatch - run one request; -1 drops the client */
static int
anvil_dispatch(struct stream *client, const char *request, const char *ident)
{
	size_t	i;

	for (i = 0; i < ARRAY_LEN(anvil_requests); i++)
		if (strcmp(request, anvil_requests[i].name) == 0)
			return (anvil_requests[i].fn(client, anvil_local_get(client), ident));
	msg_warn("%s: unknown request \"%.100s\"", stream_name(client), request);
	return (-1);
}

/* anvil_service - one request from an smtpd process */
static void
anvil_service(struct stream *client, const char *service, char **argv)
{
	struct buf *request = buf_new(32);
	struct buf *ident = buf_new(64);
	struct buf *why = buf_new(64);

	(void) service;
	(void) argv;
	if (attr_scan_full(client, ATTR_FLAG_NONE, ANVIL_IDENT_MAX, ATTR_LIST(
					      SCAN_STR(MAIL_ATTR_REQ, request),
					SCAN_STR(ANVIL_ATTR_IDENT, ident)), why) < 0) {
		if (errno != ENODATA)
			msg_warn("%s: %s", stream_name(client), buf_str(why));
		server_disconnect(client);
	} else if (anvil_dispatch(client, buf_str(request), buf_str(ident)) < 0) {
		server_disconnect(client);
	}
	buf_free(request);
	buf_free(ident);
	buf_free(why);
}

/* anvil_pre_disconnect - connections of a departing client end too */
static void
anvil_pre_disconnect(struct stream *client)
{
	char	key[32];
	struct anvil_local *local;
	size_t	i;

	anvil_key(key, sizeof(key), client);
	if ((local = htable_find(anvil_locals, key)) == NULL)
		return;
	for (i = 0; i < local->connected->argc; i++)
		(void) anvil_table_disconnect(anvil_counts, local->connected->argv[i], time(NULL));
	argv_free(local->connected);
	htable_delete(anvil_locals, key, free);
}

/* anvil_log_stats - the statistics lines */
static void
anvil_log_stats(void)
{
	struct argv *lines = argv_new(6);
	size_t	i;

	anvil_table_stats(anvil_counts, lines);
	for (i = 0; i < lines->argc; i++)
		msg_info("%s", lines->argv[i]);
	argv_free(lines);
}

/* anvil_status_update - periodic statistics and clean-up */
static void
anvil_status_update(int event, void *ctx)
{
	(void) event;
	(void) ctx;
	anvil_log_stats();
	event_request_timer(anvil_status_update, NULL, var_anvil_status_update_time * 1000L);
}

/* anvil_expire - drop idle entries every time unit */
static void
anvil_expire(int event, void *ctx)
{
	(void) event;
	(void) ctx;
	(void) anvil_table_expire(anvil_counts, time(NULL));
	event_request_timer(anvil_expire, NULL, var_anvil_rate_time_unit * 1000L);
}

/* anvil_post_init - tables and timers */
static void
anvil_post_init(const char *service, char **argv)
{
	(void) service;
	(void) argv;
	anvil_counts = anvil_table_new(var_anvil_rate_time_unit);
	anvil_locals = htable_new(50);
	var_max_use = INT_MAX;
	event_request_timer(anvil_status_update, NULL, var_anvil_status_update_time * 1000L);
	event_request_timer(anvil_expire, NULL, var_anvil_rate_time_unit * 1000L);
}

/* anvil_on_exit - last statistics */
static void
anvil_on_exit(void)
{
	if (anvil_counts)
		anvil_log_stats();
}

int
main(int argc, char **argv)
{
	static const struct server_ops ops = {
		.name = "anvil",
		.service = anvil_service,
		.post_init = anvil_post_init,
		.pre_disconnect = anvil_pre_disconnect,
		.on_exit = anvil_on_exit,
	};

	return (multi_server_main(argc, argv, &ops));
}
