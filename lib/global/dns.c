/*
 * NAME
 *	dns - asynchronous DNS queries with libunbound
 * SYNOPSIS
 *	#include <global/dns.h>
 * DESCRIPTION
 *	The resolver context, single asynchronous queries, and decoding of
 *	A, AAAA and MX record data. See dns.h; dns_lookup.c builds mail
 *	exchanger lists on top of this.
 *
 *	libunbound runs in threaded asynchronous mode: ub_resolve_async()
 *	hands a query to the resolver thread, whose answers make ub_fd()
 *	readable; ub_process() then calls our completion function, which
 *	turns the ub_result into a struct dns_reply for the caller.
 * DIAGNOSTICS
 *	Errors are returned; nothing is logged except at verbose levels.
 * SEE ALSO
 *	dns(3), libunbound(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/events.h>
#include <util/msg.h>
#include <global/dns.h>

#include <poll.h>
#include <time.h>
#include <unbound.h>

#define DNS_CLASS_IN	1
#define DNS_NAME_MAX	253		/* text form, no trailing dot */
#define DNS_RCODE_NXDOMAIN 3

struct dns_query {
	struct dns_ctx *ctx;
	int	async_id;
	char   *name;
	int	type;
	dns_callback_fn fn;
	void   *arg;
	struct dns_query *prev;
	struct dns_query *next;
};

struct dns_ctx {
	struct ub_ctx *ub;
	struct dns_query *pending;	/* queries without a callback yet */
	size_t	pending_count;
	int	is_event_enabled;
};

/* dns_ctx_create - resolver context from a config file or resolv.conf */
struct dns_ctx *
dns_ctx_create(const char *config_file, struct buf *why)
{
	struct dns_ctx *ctx;
	struct ub_ctx *ub;
	int	err;

	if ((ub = ub_ctx_create()) == NULL) {
		buf_cpy(why, "cannot create a resolver context");
		return (NULL);
	}
	if ((err = ub_ctx_async(ub, 1)) != 0) {
		buf_printf(why, "resolver: %s", ub_strerror(err));
		ub_ctx_delete(ub);
		return (NULL);
	}
	if (config_file && *config_file) {
		if ((err = ub_ctx_config(ub, config_file)) != 0) {
			buf_printf(why, "resolver configuration %s: %s",
				   config_file, ub_strerror(err));
			ub_ctx_delete(ub);
			return (NULL);
		}
	} else if ((err = ub_ctx_resolvconf(ub, NULL)) != 0) {
		/* Without resolv.conf, unbound recurses by itself. */
		msg_debug(1, "dns: /etc/resolv.conf: %s", ub_strerror(err));
	}
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->ub = ub;
	return (ctx);
}

/* dns_query_unlink - remove a query from the pending list */
static void
dns_query_unlink(struct dns_query *q)
{
	struct dns_ctx *ctx = q->ctx;

	if (q->prev)
		q->prev->next = q->next;
	else
		ctx->pending = q->next;
	if (q->next)
		q->next->prev = q->prev;
	ctx->pending_count--;
}

/* dns_query_free - release a finished query */
static void
dns_query_free(struct dns_query *q)
{
	free(q->name);
	free(q);
}

/* dns_reply_free_rr - release decoded records */
static void
dns_reply_free_rr(struct dns_rr *rr, size_t count)
{
	size_t	i;

	for (i = 0; i < count; i++)
		free(rr[i].name);
	free(rr);
}

/* dns_reply_records - decode the records of an answer */
static void
dns_reply_records(struct dns_reply *reply, const struct ub_result *result)
{
	struct dns_rr *rr;
	size_t	n = 0;
	size_t	i;

	for (i = 0; result->data[i] != NULL; i++)
		 /* void */ ;
	rr = xcalloc(i + 1, sizeof(*rr));
	for (i = 0; result->data[i] != NULL; i++) {
		if (result->len[i] < 0
		    || dns_parse_rr(reply->type, (unsigned char *) result->data[i],
				    (size_t) result->len[i], rr + n) < 0) {
			msg_debug(1, "dns: %s %s: malformed record skipped",
				  reply->qname, dns_type_name(reply->type));
			continue;
		}
		n++;
	}
	reply->rr = rr;
	reply->count = n;
}

/* dns_reply_fill - turn a libunbound result into a reply */
static void
dns_reply_fill(struct dns_reply *reply, int err, struct ub_result *result,
	               struct buf *why)
{
	if (err != 0 || result == NULL) {
		reply->status = DNS_RETRY;
		buf_printf(why, "Host not found, try again (%s)",
			   ub_strerror(err));
	} else if (result->bogus) {
		reply->status = DNS_RETRY;
		buf_printf(why, "Host not found, try again (DNSSEC validation failed%s%s)",
			   result->why_bogus ? ": " : "",
			   result->why_bogus ? result->why_bogus : "");
	} else if (result->nxdomain || result->rcode == DNS_RCODE_NXDOMAIN) {
		reply->status = DNS_NOTFOUND;
		buf_cpy(why, "Host not found");
	} else if (result->rcode != 0) {
		reply->status = DNS_RETRY;
		buf_cpy(why, "Host not found, try again");
	} else if (!result->havedata) {
		reply->status = DNS_NODATA;
		buf_cpy(why, "Host found but no data record of requested type");
	} else {
		dns_reply_records(reply, result);
		reply->status = reply->count ? DNS_OK : DNS_RETRY;
		if (reply->count == 0)
			buf_cpy(why, "Host not found, try again (malformed reply)");
	}
	if (result) {
		reply->rcode = result->rcode;
		reply->is_secure = result->secure;
	}
	reply->why = why->data;
}

/* dns_query_finish - run the callback of a finished query, free it */
static void
dns_query_finish(struct dns_query *q, int err, struct ub_result *result,
		         const char *cancel_why)
{
	struct dns_reply reply;
	struct buf *why = buf_new(100);

	memset(&reply, 0, sizeof(reply));
	reply.qname = q->name;
	reply.type = q->type;
	if (cancel_why) {
		reply.status = DNS_RETRY;
		buf_printf(why, "Host not found, try again (%s)", cancel_why);
		reply.why = why->data;
	} else {
		dns_reply_fill(&reply, err, result, why);
	}
	msg_debug(1, "dns: %s %s: status %d %s", q->name,
		  dns_type_name(q->type), reply.status, reply.why ? reply.why : "");
	q->fn(&reply, q->arg);
	dns_reply_free_rr(reply.rr, reply.count);
	buf_free(why);
	if (result)
		ub_resolve_free(result);
	dns_query_free(q);
}

/* dns_ub_done - libunbound completion function */
static void
dns_ub_done(void *mydata, int err, struct ub_result *result)
{
	struct dns_query *q = mydata;

	dns_query_unlink(q);
	dns_query_finish(q, err, result, NULL);
}

/* dns_name_ok - is name worth sending to the resolver? */
static int
dns_name_ok(const char *name)
{
	const unsigned char *cp;
	size_t	len = strlen(name);

	if (len == 0 || len > DNS_NAME_MAX + 1)
		return (0);
	for (cp = (const unsigned char *) name; *cp; cp++)
		if (*cp <= ' ' || *cp == 0x7f || *cp == '\\')
			return (0);
	return (strstr(name, "..") == NULL && *name != '.');
}

/* dns_query - start one asynchronous query */
int
dns_query(struct dns_ctx *ctx, const char *name, int type,
	          dns_callback_fn fn, void *arg, struct buf *why)
{
	struct dns_query *q;
	int	err;

	if (!dns_name_ok(name)) {
		buf_printf(why, "invalid domain name \"%.100s\"", name);
		errno = EINVAL;
		return (-1);
	}
	q = xcalloc(1, sizeof(*q));
	q->ctx = ctx;
	q->name = xstrdup(name);
	q->type = type;
	q->fn = fn;
	q->arg = arg;
	err = ub_resolve_async(ctx->ub, name, type, DNS_CLASS_IN, q,
			       dns_ub_done, &q->async_id);
	if (err != 0) {
		buf_printf(why, "resolver: %s", ub_strerror(err));
		dns_query_free(q);
		errno = EIO;
		return (-1);
	}
	q->next = ctx->pending;
	if (q->next)
		q->next->prev = q;
	ctx->pending = q;
	ctx->pending_count++;
	return (0);
}

/* dns_ctx_fd - descriptor that is readable when answers wait */
int
dns_ctx_fd(const struct dns_ctx *ctx)
{
	return (ub_fd(ctx->ub));
}

/* dns_ctx_process - run the callbacks of finished queries */
int
dns_ctx_process(struct dns_ctx *ctx)
{
	int	err;

	if ((err = ub_process(ctx->ub)) != 0) {
		msg_warn("dns: resolver: %s", ub_strerror(err));
		return (-1);
	}
	return (0);
}

/* dns_ctx_pending - queries without an answer */
size_t
dns_ctx_pending(const struct dns_ctx *ctx)
{
	return (ctx->pending_count);
}

/* dns_ctx_cancel - give up on every pending query */
void
dns_ctx_cancel(struct dns_ctx *ctx, const char *why)
{
	struct dns_query *q;
	int	rounds;

	/* A callback may start new queries; they are cancelled, too. */
	for (rounds = 0; rounds < 100 && (q = ctx->pending) != NULL; rounds++) {
		while ((q = ctx->pending) != NULL) {
			(void) ub_cancel(ctx->ub, q->async_id);
			dns_query_unlink(q);
			dns_query_finish(q, 0, NULL, why);
		}
	}
}

/* dns_now_ms - monotonic milliseconds */
static long long
dns_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* dns_ctx_wait - process answers until none is pending or time is up */
int
dns_ctx_wait(struct dns_ctx *ctx, long timeout_ms)
{
	long long deadline = timeout_ms < 0 ? -1 : dns_now_ms() + timeout_ms;
	struct pollfd pfd;
	long long left;
	int	n;

	while (ctx->pending_count > 0) {
		left = deadline < 0 ? -1 : deadline - dns_now_ms();
		if (deadline >= 0 && left <= 0)
			break;
		pfd.fd = ub_fd(ctx->ub);
		pfd.events = POLLIN;
		n = poll(&pfd, 1, left < 0 ? -1 : (int) (left > 60000 ? 60000 : left));
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && dns_ctx_process(ctx) < 0)
			break;
	}
	if (ctx->pending_count > 0) {
		dns_ctx_cancel(ctx, deadline >= 0 && dns_now_ms() >= deadline ?
			       "timed out" : "resolver failure");
		errno = ETIMEDOUT;
		return (-1);
	}
	return (0);
}

/* dns_event - event loop callback */
static void
dns_event(int event, void *arg)
{
	(void) event;
	(void) dns_ctx_process((struct dns_ctx *) arg);
}

/* dns_ctx_event_enable - let the event loop process answers */
void
dns_ctx_event_enable(struct dns_ctx *ctx)
{
	event_enable_read(ub_fd(ctx->ub), dns_event, ctx);
	ctx->is_event_enabled = 1;
}

/* dns_ctx_event_disable - stop that */
void
dns_ctx_event_disable(struct dns_ctx *ctx)
{
	if (ctx->is_event_enabled)
		event_disable_read(ub_fd(ctx->ub));
	ctx->is_event_enabled = 0;
}

/* dns_ctx_free - cancel what is pending and destroy the context */
void
dns_ctx_free(struct dns_ctx *ctx)
{
	if (ctx == NULL)
		return;
	dns_ctx_event_disable(ctx);
	dns_ctx_cancel(ctx, "resolver shut down");
	ub_ctx_delete(ctx->ub);
	free(ctx);
}

/* dns_type_name - text for a record type */
const char *
dns_type_name(int type)
{
	switch (type) {
	case DNS_TYPE_A:
		return ("A");
	case DNS_TYPE_AAAA:
		return ("AAAA");
	case DNS_TYPE_MX:
		return ("MX");
	default:
		return ("unknown");
	}
}

/* dns_parse_name - uncompressed wire-format name to text */
int
dns_parse_name(const unsigned char *data, size_t len, struct buf *name)
{
	size_t	pos = 0;
	size_t	label;
	size_t	i;

	buf_reset(name);
	while (pos < len) {
		label = data[pos++];
		if (label == 0)
			return (pos == len ? 0 : -1);
		if (label > 63 || pos + label > len)
			return (-1);		/* also compression pointers */
		if (name->len > 0)
			buf_putc(name, '.');
		for (i = 0; i < label; i++) {
			if (data[pos + i] <= ' ' || data[pos + i] == '.'
			    || data[pos + i] == '\\' || data[pos + i] == 0x7f)
				return (-1);
			buf_putc(name, data[pos + i]);
		}
		pos += label;
		if (name->len > DNS_NAME_MAX)
			return (-1);
	}
	return (-1);				/* no root label */
}

/* dns_parse_rr - decode the data of one A, AAAA or MX record */
int
dns_parse_rr(int type, const unsigned char *data, size_t len,
	             struct dns_rr *rr)
{
	struct buf *name;

	memset(rr, 0, sizeof(*rr));
	rr->type = type;
	switch (type) {
	case DNS_TYPE_A:
		if (len != sizeof(rr->addr.in.v4))
			return (-1);
		rr->addr.family = AF_INET;
		memcpy(&rr->addr.in.v4, data, len);
		inet_ntop(AF_INET, &rr->addr.in.v4, rr->addr.text, sizeof(rr->addr.text));
		return (0);
	case DNS_TYPE_AAAA:
		if (len != sizeof(rr->addr.in.v6))
			return (-1);
		rr->addr.family = AF_INET6;
		memcpy(&rr->addr.in.v6, data, len);
		inet_ntop(AF_INET6, &rr->addr.in.v6, rr->addr.text, sizeof(rr->addr.text));
		return (0);
	case DNS_TYPE_MX:
		if (len < 3)
			return (-1);
		rr->pref = (data[0] << 8) | data[1];
		name = buf_new(64);
		if (dns_parse_name(data + 2, len - 2, name) < 0) {
			buf_free(name);
			return (-1);
		}
		rr->name = buf_steal(name);
		return (0);
	default:
		return (-1);
	}
}

/* dns_addr_parse - an address literal */
int
dns_addr_parse(const char *text, struct dns_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, text, &addr->in.v4) == 1)
		addr->family = AF_INET;
	else if (inet_pton(AF_INET6, text, &addr->in.v6) == 1)
		addr->family = AF_INET6;
	else
		return (-1);
	inet_ntop(addr->family, &addr->in, addr->text, sizeof(addr->text));
	return (0);
}
