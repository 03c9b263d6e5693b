/*
 * NAME
 *	deliver_request - delivery agent side of the qmgr delivery protocol
 * SYNOPSIS
 *	#include <global/deliver_request.h>
 * DESCRIPTION
 *	See deliver_request.h. Reading a request, reporting per-recipient
 *	results (with the Postfix-shaped log line) and the closing status.
 * DIAGNOSTICS
 *	Peer errors are returned through why; agent bugs (bad status
 *	values) panic.
 * SEE ALSO
 *	deliver_request(3), attr(3), dsn(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/attr.h>
#include <util/msg.h>
#include <global/deliver_request.h>
#include <global/dsn.h>
#include <global/params.h>
#include <global/queue.h>

#include <ctype.h>

#define DELIVER_STR_LIMIT	(64 * 1024)	/* any one string value */
#define MILLION			1000000L

/* deliver_request_init - empty request */
static void
deliver_request_init(struct deliver_request *req)
{
	memset(req, 0, sizeof(*req));
	req->delay_xfer = -1;
}

/* deliver_request_hello - send {proto=deliver} */
int
deliver_request_hello(struct stream *stream)
{
	return attr_send_proto(stream, MAIL_PROTO_DELIVER);
}

/* deliver_request_free - release a request */
void
deliver_request_free(struct deliver_request *req)
{
	size_t	i;

	for (i = 0; i < req->rcpt_count; i++) {
		free(req->rcpt[i].address);
		free(req->rcpt[i].orig_address);
	}
	free(req->rcpt);
	free(req->queue_name);
	free(req->queue_id);
	free(req->nexthop);
	free(req->transport);
	free(req->encoding);
	free(req->sender);
	free(req->dsn_envid);
	free(req->log_ident);
	free(req->priority);
	deliver_request_init(req);
}

 /*
  * The string attributes of the request list and where they go.
  */
struct deliver_str_field {
	const char *name;
	int	is_optional;
	size_t	offset;			/* of the char * in the request */
};

static const struct deliver_str_field deliver_str_fields[] = {
	{DELIVER_ATTR_QUEUE, 0, offsetof(struct deliver_request, queue_name)},
	{DELIVER_ATTR_QUEUE_ID, 0, offsetof(struct deliver_request, queue_id)},
	{DELIVER_ATTR_NEXTHOP, 0, offsetof(struct deliver_request, nexthop)},
	{DELIVER_ATTR_TRANSPORT, 0, offsetof(struct deliver_request, transport)},
	{DELIVER_ATTR_ENCODING, 1, offsetof(struct deliver_request, encoding)},
	{DELIVER_ATTR_SENDER, 0, offsetof(struct deliver_request, sender)},
	{DELIVER_ATTR_DSN_ENVID, 1, offsetof(struct deliver_request, dsn_envid)},
	{DELIVER_ATTR_LOG_IDENT, 1, offsetof(struct deliver_request, log_ident)},
	{DELIVER_ATTR_PRIORITY, 1, offsetof(struct deliver_request, priority)},
};

#define DELIVER_NSTR	ARRAY_LEN(deliver_str_fields)

/* deliver_str_slot - the char * a field fills */
static char **
deliver_str_slot(struct deliver_request *req, size_t i)
{
	return ((char **) ((char *) req + deliver_str_fields[i].offset));
}

/* deliver_request_scan - read the request list proper */
static int
deliver_request_scan(struct stream *stream, struct deliver_request *req,
		             int *rcpt_count, struct buf *why)
{
	struct attr list[DELIVER_NSTR + 12];
	struct buf *strs[DELIVER_NSTR];
	long	arrival_sec = 0, arrival_usec = 0;
	long	active_sec = 0, active_usec = 0;
	size_t	i, n = 0;
	int	ret;

	for (i = 0; i < DELIVER_NSTR; i++) {
		strs[i] = buf_new(64);
		list[n++] = (struct attr) {
			.type = ATTR_TYPE_SCAN_STR, .name = deliver_str_fields[i].name,
			.is_optional = deliver_str_fields[i].is_optional,
			.u.buf = strs[i],
		};
	}
	list[n++] = (struct attr) SCAN_INT(DELIVER_ATTR_FLAGS, &req->flags);
	list[n++] = (struct attr) SCAN_LONG(DELIVER_ATTR_DATA_OFFSET, &req->data_offset);
	list[n++] = (struct attr) SCAN_LONG(DELIVER_ATTR_DATA_SIZE, &req->data_size);
	list[n++] = (struct attr) SCAN_OPT_INT(DELIVER_ATTR_SMTPUTF8, &req->smtputf8);
	list[n++] = (struct attr) SCAN_OPT_INT(DELIVER_ATTR_DSN_RET, &req->dsn_ret);
	list[n++] = (struct attr) SCAN_LONG(DELIVER_ATTR_ARRIVAL_TIME, &arrival_sec);
	list[n++] = (struct attr) SCAN_OPT_LONG(DELIVER_ATTR_ARRIVAL_USEC, &arrival_usec);
	list[n++] = (struct attr) SCAN_OPT_LONG(DELIVER_ATTR_ACTIVE_TIME, &active_sec);
	list[n++] = (struct attr) SCAN_OPT_LONG(DELIVER_ATTR_ACTIVE_USEC, &active_usec);
	list[n++] = (struct attr) SCAN_INT(DELIVER_ATTR_RCPT_COUNT, rcpt_count);
	list[n++] = (struct attr) ATTR_END;

	ret = attr_scan_full(stream, ATTR_FLAG_MORE, DELIVER_STR_LIMIT, list, why);
	for (i = 0; i < DELIVER_NSTR; i++)
		*deliver_str_slot(req, i) = buf_steal(strs[i]);
	req->arrival.tv_sec = arrival_sec;
	req->arrival.tv_usec = arrival_usec;
	req->active.tv_sec = active_sec;
	req->active.tv_usec = active_usec;
	return (ret);
}

/* deliver_request_check - validate the request list */
static int
deliver_request_check(const struct deliver_request *req, int rcpt_count,
		              struct buf *why)
{
	if (!queue_id_valid(req->queue_id)) {
		buf_printf(why, "bad queue id \"%.100s\"", req->queue_id);
		return (-1);
	}
	if (!queue_name_valid(req->queue_name)) {
		buf_printf(why, "%s: bad queue name \"%.100s\"",
			   req->queue_id, req->queue_name);
		return (-1);
	}
	if (req->data_offset <= 0 || req->data_size < 0) {
		buf_printf(why, "%s: bad data offset %ld or size %ld",
			   req->queue_id, req->data_offset, req->data_size);
		return (-1);
	}
	if (rcpt_count <= 0 || rcpt_count > DELIVER_RCPT_LIMIT) {
		buf_printf(why, "%s: bad recipient count %d",
			   req->queue_id, rcpt_count);
		return (-1);
	}
	if (req->arrival.tv_sec < 0 || req->arrival.tv_usec < 0
	    || req->arrival.tv_usec >= MILLION || req->active.tv_sec < 0
	    || req->active.tv_usec < 0 || req->active.tv_usec >= MILLION) {
		buf_printf(why, "%s: bad arrival or active time", req->queue_id);
		return (-1);
	}
	return (0);
}

/* deliver_rcpt_scan - read one recipient list */
static int
deliver_rcpt_scan(struct stream *stream, struct deliver_request *req,
		          struct deliver_rcpt *rcpt, struct buf *why)
{
	struct buf *addr = buf_new(64);
	struct buf *orig = buf_new(64);
	int	ret;

	rcpt->offset = -1;
	ret = attr_scan_full(stream, ATTR_FLAG_MORE, DELIVER_STR_LIMIT, ATTR_LIST(
			 SCAN_LONG(DELIVER_ATTR_OFFSET, &rcpt->offset),
			 SCAN_STR(DELIVER_ATTR_ADDRESS, addr),
			 SCAN_OPT_STR(DELIVER_ATTR_ORIG_ADDRESS, orig),
			 SCAN_OPT_INT(DELIVER_ATTR_DSN_NOTIFY, &rcpt->dsn_notify)),
			 why);
	rcpt->address = buf_steal(addr);
	rcpt->orig_address = buf_steal(orig);
	if (ret < 0)
		return (-1);
	if (rcpt->offset <= 0 || *rcpt->address == 0) {
		buf_printf(why, "%s: bad recipient (offset %ld, address \"%.100s\")",
			   req->queue_id, rcpt->offset, rcpt->address);
		return (-1);
	}
	return (0);
}

/* deliver_request_read_why - deliver_request_read() with a why buffer */
static int
deliver_request_read_why(struct stream *stream, struct deliver_request *req,
			         struct buf *why)
{
	int	rcpt_count = 0;
	int	i;

	deliver_request_init(req);
	if (deliver_request_scan(stream, req, &rcpt_count, why) < 0)
		return (errno == ENODATA ? 0 : -1);
	if (deliver_request_check(req, rcpt_count, why) < 0)
		return (-1);
	req->rcpt = xcalloc((size_t) rcpt_count, sizeof(*req->rcpt));
	for (i = 0; i < rcpt_count; i++) {
		req->rcpt_count = (size_t) i + 1;
		if (deliver_rcpt_scan(stream, req, req->rcpt + i, why) < 0)
			return (-1);
	}
	gettimeofday(&req->handoff, NULL);
	return (1);
}

/* deliver_request_read - read one request and its recipients */
int
deliver_request_read(struct stream *stream, struct deliver_request *req,
		             struct buf *why)
{
	struct buf *mywhy = why ? why : buf_new(100);
	int	ret;

	ret = deliver_request_read_why(stream, req, mywhy);
	if (why == NULL) {
		if (ret < 0)
			msg_warn("%s: bad delivery request: %s",
				 stream_name(stream), mywhy->data);
		buf_free(mywhy);
	}
	return (ret);
}

/* deliver_tv_diff - microseconds from a to b, never negative */
static long
deliver_tv_diff(const struct timeval *a, const struct timeval *b)
{
	long	d = (long) (b->tv_sec - a->tv_sec) * MILLION
	+ (long) (b->tv_usec - a->tv_usec);

	return (d > 0 ? d : 0);
}

/* deliver_delay_format - Postfix's format_tv: 2 significant digits */
void
deliver_delay_format(struct buf *out, long usec)
{
	static const long pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
	int	max_dig = var_delay_logging_resolution_limit;
	int	decimals;
	long	unit, rounded;

	if (max_dig < 0 || max_dig > 6)
		max_dig = 2;
	if (usec >= 10 * MILLION)
		decimals = 0;
	else if (usec >= MILLION)
		decimals = 1;
	else
		for (decimals = 1; decimals < 6 && usec < pow10[6 - decimals];
		     decimals++)
			 /* void */ ;
	if (usec < MILLION)
		decimals += 1;			/* second significant digit */
	if (decimals > max_dig)
		decimals = max_dig;
	unit = pow10[6 - decimals];
	rounded = (usec + unit / 2) / unit;	/* in units of 10^-decimals s */
	if (decimals == 0) {
		buf_appendf(out, "%ld", rounded);
		return;
	}
	buf_appendf(out, "%ld", rounded / pow10[decimals]);
	rounded %= pow10[decimals];
	if (rounded == 0)
		return;
	while (rounded % 10 == 0) {
		rounded /= 10;
		decimals--;
	}
	buf_appendf(out, ".%0*ld", decimals, rounded);
}

/* deliver_delays_compute - a/b/c/d and the total, in microseconds */
static void
deliver_delays_compute(const struct deliver_request *req, long delays[4],
		               long *total)
{
	struct timeval now;
	long	since_handoff;

	gettimeofday(&now, NULL);
	*total = deliver_tv_diff(&req->arrival, &now);
	if (req->active.tv_sec > 0) {
		delays[0] = deliver_tv_diff(&req->arrival, &req->active);
		delays[1] = deliver_tv_diff(&req->active, &req->handoff);
	} else {
		delays[0] = 0;
		delays[1] = deliver_tv_diff(&req->arrival, &req->handoff);
	}
	since_handoff = deliver_tv_diff(&req->handoff, &now);
	delays[2] = req->delay_conn > 0 ? req->delay_conn : 0;
	if (req->delay_xfer >= 0)
		delays[3] = req->delay_xfer;
	else
		delays[3] = since_handoff > delays[2] ? since_handoff - delays[2] : 0;
}

/* deliver_request_delays - "delay=D, delays=a/b/c/d" */
void
deliver_request_delays(const struct deliver_request *req, struct buf *out)
{
	long	delays[4], total;
	int	i;

	deliver_delays_compute(req, delays, &total);
	buf_cat(out, "delay=");
	deliver_delay_format(out, total);
	buf_cat(out, ", delays=");
	for (i = 0; i < 4; i++) {
		if (i > 0)
			buf_putc(out, '/');
		deliver_delay_format(out, delays[i]);
	}
}

/* deliver_status_word - log word for a status */
const char *
deliver_status_word(int status)
{
	switch (status) {
	case DELIVER_STAT_OK:
		return ("sent");
	case DELIVER_STAT_DEFER:
		return ("deferred");
	case DELIVER_STAT_BOUNCE:
		return ("bounced");
	default:
		msg_panic("deliver_status_word: bad status %d", status);
	}
}

/* deliver_clean_text - copy text with control characters as spaces */
static const char *
deliver_clean_text(struct buf *out, const char *text)
{
	const unsigned char *cp;

	buf_reset(out);
	for (cp = (const unsigned char *) text; *cp; cp++)
		buf_putc(out, (*cp < 0x20 || *cp == 0x7f) ? ' ' : *cp);
	return (out->data);
}

/* deliver_log_line - the per-recipient log line */
static void
deliver_log_line(const struct deliver_request *req,
		         const struct deliver_rcpt *rcpt, const char *dsn_status,
		         const char *word, const char *reason, const char *relay)
{
	struct buf *line = buf_new(256);

	buf_printf(line, "%s: to=<%s>, ", req->queue_id, rcpt->address);
	if (rcpt->orig_address && *rcpt->orig_address
	    && strcasecmp(rcpt->orig_address, rcpt->address) != 0)
		buf_appendf(line, "orig_to=<%s>, ", rcpt->orig_address);
	buf_appendf(line, "relay=%s, ", relay);
	if (req->conn_use > 1)
		buf_appendf(line, "conn_use=%d, ", req->conn_use);
	deliver_request_delays(req, line);
	buf_appendf(line, ", dsn=%s, status=%s (%s)", dsn_status, word, reason);
	msg_info("%s", line->data);
	buf_free(line);
}

/* deliver_status_rcpt_reply - report one recipient, with a reply code */
int
deliver_status_rcpt_reply(struct stream *stream, struct deliver_request *req,
			          const struct deliver_rcpt *rcpt, int status,
			          const char *dsn_status, const char *action,
			          const char *reason, const char *relay,
			          int reply_code)
{
	char	dsn_buf[DSN_STATUS_SIZE];
	struct buf *clean = buf_new(256);
	const char *word;
	long	delays[4], total;
	int	ret;

	if (!dsn_valid_status(dsn_status) || dsn_class(dsn_status) != (status ? status : 2))
		msg_panic("deliver_status_rcpt: status %d with dsn \"%s\"",
			  status, dsn_status ? dsn_status : "(null)");
	word = deliver_status_word(status);
	snprintf(dsn_buf, sizeof(dsn_buf), "%s", dsn_status);
	if (action == NULL)
		action = dsn_action_for(dsn_status);
	if (status == DELIVER_STAT_BOUNCE && var_soft_bounce) {
		status = DELIVER_STAT_DEFER;
		dsn_buf[0] = '4';
		action = DSN_ACTION_DELAYED;
		word = "SOFTBOUNCE";
	}
	if (relay == NULL || *relay == 0)
		relay = "none";
	deliver_clean_text(clean, reason ? reason : "");
	deliver_log_line(req, rcpt, dsn_buf, word, clean->data, relay);
	deliver_delays_compute(req, delays, &total);
	ret = attr_print(stream, ATTR_FLAG_NONE, ATTR_LIST(
			 ATTR_LONG(DELIVER_ATTR_OFFSET, rcpt->offset),
			 ATTR_INT(DELIVER_ATTR_STATUS, status),
			 ATTR_STR(DELIVER_ATTR_DSN_STATUS, dsn_buf),
			 ATTR_STR(DELIVER_ATTR_DSN_ACTION, action),
			 ATTR_INT(DELIVER_ATTR_RESULT_NOTIFY, rcpt->dsn_notify),
			 ATTR_STR(DELIVER_ATTR_REASON, clean->data),
			 ATTR_STR(DELIVER_ATTR_RELAY, relay),
			 ATTR_LONG(DELIVER_ATTR_DELAY_CONN, delays[2]),
			 ATTR_LONG(DELIVER_ATTR_DELAY_XFER, delays[3]),
			 ATTR_INT(DELIVER_ATTR_REPLY_CODE, reply_code)));
	buf_free(clean);
	return (ret);
}

/* deliver_status_rcpt - report one recipient */
int
deliver_status_rcpt(struct stream *stream, struct deliver_request *req,
		            const struct deliver_rcpt *rcpt, int status,
		            const char *dsn_status, const char *action,
		            const char *reason, const char *relay)
{
	return deliver_status_rcpt_reply(stream, req, rcpt, status, dsn_status,
					 action, reason, relay, 0);
}

/* deliver_status_final - close a request */
int
deliver_status_final(struct stream *stream, int status, int flags,
		             const char *reply)
{
	struct buf *clean = buf_new(100);
	int	ret;

	if (status != DELIVER_FINAL_OK && status != DELIVER_FINAL_FAIL)
		msg_panic("deliver_status_final: bad status %d", status);
	deliver_clean_text(clean, reply ? reply : "");
	ret = attr_print(stream, ATTR_FLAG_FLUSH, ATTR_LIST(
			 ATTR_INT(DELIVER_ATTR_STATUS, status),
			 ATTR_INT(DELIVER_ATTR_FLAGS, flags),
			 ATTR_STR(DELIVER_ATTR_REPLY, clean->data)));
	buf_free(clean);
	return (ret);
}
