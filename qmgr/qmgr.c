/*
 * NAME
 *	qmgr - the queue manager
 * SYNOPSIS
 *	qmgr [generic daemon options]
 * DESCRIPTION
 *	qmgr(8) moves mail from the incoming and deferred queues into the
 *	active queue, routes each recipient to a transport and destination
 *	(resolve(3): mydestination, relay_domains, transport_maps,
 *	relayhost, the *_transport parameters), hands deliveries to the
 *	agents (smtp, local, error, retry, discard, and clones) over their
 *	private/ sockets, and finishes each message: removed when done,
 *	bounced, expired, or deferred with a retry time.
 *
 *	It schedules with Postfix's controls: per-transport process limits
 *	(master.cf maxproc), per-destination concurrency windows with slow
 *	start and pseudo-cohort dead detection, rate delay, recipient
 *	limits, round robin among destinations; and Postern's: priority
 *	classes with weighted fair share and an active-queue reserve for
 *	non-bulk mail, per-transport retry schedules, retry jitter, a
 *	deferred import limit, message rate limits, and adaptive throttling
 *	on throttle replies. qmgr never blocks: agent and bounce
 *	conversations run on the event loop, queue scans run in slices.
 *
 *	On start, files left in active/ go back to incoming/. Requests on
 *	public/qmgr (as Postfix): "I" or "W" scan incoming, "D" scan
 *	deferred, "A" scan deferred ignoring retry times, "F" flush:
 *	forget dead and throttled destinations (keeping their adapted
 *	concurrency) and re-admit all deferred mail now, also mail held by
 *	defer_transports (as Postfix's sendmail -q). "s" SITE NUL flushes
 *	one destination domain, "i" ID NUL re-admits one message. master
 *	wakes qmgr every wakeup seconds of its master.cf line; qmgr also
 *	scans deferred/ every queue_run_delay (the smallest of the global
 *	and the per-transport values).
 *
 *	Log lines (Postfix's shape): "ID: from=<s>, size=N, nrcpt=N (queue
 *	active)", "ID: removed", "ID: from=<s>, status=expired, returned to
 *	sender", "ID: to=<r>, relay=none, delay=..., delays=...,
 *	dsn=4.3.2, status=deferred (deferred transport)" for recipients
 *	deferred without an agent; warnings "throttled: transport=T
 *	destination=D concurrency=N (was M): REPLY" and "dead destination:
 *	transport=T destination=D ...". About once a second qmgr publishes
 *	its state and counters in private/qmgr.stats for "postern metrics"
 *	and metrics(8).
 * SECURITY
 *	qmgr runs as mail_owner, may be chrooted, and handles no input from
 *	outside the mail system; queue files and agent replies are parsed
 *	strictly.
 * DIAGNOSTICS
 *	Problems are logged; a bad master.cf leaves default transport
 *	settings, unreachable transports are retried after
 *	transport_retry_time.
 * PARAMETERS
 *	qmgr_message_active_limit (20000), qmgr_message_recipient_limit
 *	(20000), qmgr_deferred_import_limit (5000), qmgr_priority_weights
 *	(high:8, normal:4, bulk:1), qmgr_priority_reserve (20%),
 *	default_delivery_priority (normal), queue_run_delay (300s),
 *	minimal_backoff_time (300s), maximal_backoff_time (4000s),
 *	backoff_jitter (10%), maximal_queue_lifetime (5d),
 *	bounce_queue_lifetime (5d), delay_warning_time (0h), soft_bounce
 *	(no), defer_transports, transport_retry_time (60s),
 *	initial_destination_concurrency (5),
 *	default_destination_concurrency_limit (20),
 *	default_destination_concurrency_failed_cohort_limit (1),
 *	default_destination_rate_delay (0s),
 *	default_destination_recipient_limit (50),
 *	default_destination_message_rate_limit (0),
 *	smtp_throttle_backoff (60s), in_flow_delay (1s),
 *	default_process_limit (100), and the TRANSPORT_ forms of the
 *	per-transport ones, in main.cf or as -o on the transport's
 *	master.cf line.
 * SEE ALSO
 *	docs/man/qmgr.8.md, master(8), resolve(3)
 */
#include <util/sys_defs.h>
#include <sys/resource.h>
#include <util/buf.h>
#include <util/events.h>
#include <util/msg.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include <global/queue.h>
#include <server/server.h>

#include "qmgr.h"

#define QMGR_SCAN_BUDGET	200	/* directory entries per iteration */

/* qmgr_deferred_timer - periodic deferred scan and housekeeping */
static void
qmgr_deferred_timer(int event, void *ctx)
{
	(void) event;
	(void) ctx;
	qmgr_scan_request(QMGR_SCAN_DEFERRED, 0);
	qmgr_queue_sweep(event_time_ms());
	event_request_timer(qmgr_deferred_timer, NULL,
			    qmgr_transport_min_run_delay() * 1000L);
}

/*
 * One wake-up request may hold several items ("FADI" from postern flush):
 * they are merged into one scan request per queue, so a flush does not
 * start a second deferred pass behind the first.
 */
struct qmgr_request {
	int	incoming;		/* QMGR_SCAN_* for incoming, 0 = none */
	int	deferred;		/* QMGR_SCAN_* for deferred, 0 = none */
	int	flush;			/* forget dead and throttled sites */
};

/* qmgr_trigger_arg - the NUL-terminated argument of an 's' or 'i' item */
static size_t
qmgr_trigger_arg(const char *buf, size_t len)
{
	const char *end = memchr(buf, 0, len);
	struct buf *arg = buf_new(64);
	size_t	used = end ? (size_t) (end - buf) + 1 : len;

	buf_catn(arg, buf + 1, (end ? (size_t) (end - buf) : len) - 1);
	if (buf_len(arg) == 0 || strlen(buf_str(arg)) != buf_len(arg))
		msg_warn("empty or malformed '%c' request", buf[0]);
	else if (buf[0] == 's')
		qmgr_scan_site(buf_str(arg));
	else
		qmgr_scan_queue_id(buf_str(arg));
	buf_free(arg);
	return (used);
}

/* qmgr_trigger_item - note one request item; returns bytes used */
static size_t
qmgr_trigger_item(struct qmgr_request *req, const char *buf, size_t len)
{
	switch (buf[0]) {
	case TRIGGER_REQ_WAKEUP:
	case QMGR_REQ_SCAN_INCOMING:
		req->incoming |= QMGR_SCAN_START;
		break;
	case QMGR_REQ_SCAN_DEFERRED:
		req->deferred |= QMGR_SCAN_START;
		break;
	case QMGR_REQ_SCAN_ALL:
		req->deferred |= QMGR_SCAN_START | QMGR_SCAN_ALL;
		break;
	case QMGR_REQ_FLUSH_DEAD:
		req->flush = 1;
		req->deferred |= QMGR_SCAN_START | QMGR_SCAN_ALL | QMGR_SCAN_DFXP
			| QMGR_SCAN_UNTHROTTLE;
		req->incoming |= QMGR_SCAN_START | QMGR_SCAN_DFXP;
		break;
	case 's':
	case 'i':
		return (qmgr_trigger_arg(buf, len));
	case 0:
	case '\n':
		break;
	default:
		msg_warn("ignoring unknown request 0x%02x", (unsigned char) buf[0]);
		break;
	}
	return (1);
}

/* qmgr_trigger - one wake-up request, possibly several items */
static void
qmgr_trigger(const char *buf, size_t len, const char *service, char **argv)
{
	struct qmgr_request req = {0, 0, 0};
	size_t	pos = 0;

	(void) service;
	(void) argv;
	if (len == 0)
		req.incoming = QMGR_SCAN_START;
	while (pos < len)
		pos += qmgr_trigger_item(&req, buf + pos, len - pos);
	if (req.flush)
		qmgr_transport_enable_all();
	if (req.deferred)
		qmgr_scan_request(QMGR_SCAN_DEFERRED, req.deferred);
	if (req.incoming)
		qmgr_scan_request(QMGR_SCAN_INCOMING, req.incoming);
}

/* qmgr_loop - import a slice, start deliveries, feed tokens */
static long
qmgr_loop(void)
{
	int	from_incoming = 0;

	(void) qmgr_scan_run(QMGR_SCAN_BUDGET, &from_incoming);
	qmgr_transport_drain_all();
	qmgr_flow_feed(from_incoming);
	return (qmgr_scan_pending() ? 0 : -1);
}

/* qmgr_pre_init - configuration and tables, before any chroot */
static void
qmgr_pre_init(const char *service, char **argv)
{
	struct buf *path = buf_new(100);

	(void) service;
	(void) argv;
	if (queue_set_hash(var_hash_queue_depth, var_hash_queue_names) < 0)
		msg_fatal("bad hash_queue_depth or hash_queue_names");
	buf_printf(path, "%s/master.cf", params_config_dir());
	qmgr_transport_init(buf_str(path));
	qmgr_message_init();
	qmgr_scan_init();
	qmgr_active_init();
	buf_free(path);
}

/* qmgr_post_init - recover the active queue and start scanning */
static void
qmgr_post_init(const char *service, char **argv)
{
	struct rlimit rl;

	(void) service;
	(void) argv;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void) setrlimit(RLIMIT_NOFILE, &rl);
	}
	qmgr_active_recover();
	if (!server_is_standalone())
		qmgr_metrics_init();
	qmgr_scan_request(QMGR_SCAN_INCOMING, 0);
	qmgr_scan_request(QMGR_SCAN_DEFERRED, 0);
	event_request_timer(qmgr_deferred_timer, NULL,
			    qmgr_transport_min_run_delay() * 1000L);
}

int
main(int argc, char **argv)
{
	static const struct server_ops ops = {
		.name = "qmgr",
		.trigger = qmgr_trigger,
		.pre_init = qmgr_pre_init,
		.post_init = qmgr_post_init,
		.loop = qmgr_loop,
	};

	return (trigger_server_main(argc, argv, &ops));
}
