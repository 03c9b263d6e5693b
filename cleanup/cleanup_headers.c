/*
 * NAME
 *	cleanup_headers - header inspection, removal and insertion
 * SYNOPSIS
 *	#include "cleanup.h"
 *
 *	void	cleanup_received(struct cleanup_state *state);
 *	void	cleanup_header(struct cleanup_state *state);
 *	void	cleanup_headers_done(struct cleanup_state *state);
 *	void	cleanup_extract(struct cleanup_state *state,
 *			const char *value, int is_resent);
 *	void	cleanup_date(struct buf *out, time_t when);
 * DESCRIPTION
 *	cleanup_received() writes the Received: header that opens every
 *	message, in Postfix's shape: for mail from an SMTP client
 *
 *	    Received: from HELO (NAME [ADDRESS])
 *	            by MYHOSTNAME (Postern) with PROTOCOL id QUEUEID
 *	            for <RECIPIENT>; DATE
 *
 *	("for" only with exactly one recipient), for local submissions
 *	"Received: by MYHOSTNAME (Postern, from userid UID)" and "id
 *	QUEUEID; DATE", and without either "by MYHOSTNAME (Postern)".
 *
 *	cleanup_header() handles the complete logical header in
 *	state->header: it counts Received: headers against hopcount_limit,
 *	logs the Message-Id ("ID: message-id=<...>"), notes which of
 *	From:, Date:, Message-Id: and their Resent- forms are present,
 *	collects recipients from (Resent-)To:, Cc: and Bcc: for sendmail
 *	-t, notes Precedence: bulk/list/junk, drops the headers named in
 *	message_drop_headers (Bcc, Content-Length, Resent-Bcc, Return-Path)
 *	and writes the rest.
 *
 *	cleanup_headers_done() runs at the end of the header block. For
 *	local submissions, clients that match local_header_rewrite_clients,
 *	or with always_add_missing_headers, it appends what is missing, in
 *	Postfix's order: (Resent-)Message-Id: <QUEUEID@MYHOSTNAME>,
 *	(Resent-)Date:, (Resent-)From: (the sender, with the full name).
 *	With sendmail -t it turns the collected header recipients into
 *	envelope recipients: those of Resent- headers when there are any,
 *	else those of To:, Cc: and Bcc:.
 *
 *	cleanup_date() formats a time as Postfix's mail_date() does:
 *	"Tue,  1 Nov 2022 13:30:01 +0100 (CET)".
 * SEE ALSO
 *	RFC 5322, cleanup(8)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <global/address.h>
#include <global/cleanup_client.h>
#include <global/mail_proto.h>
#include <global/params.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <strings.h>

#include "cleanup.h"

 /*
  * Headers with a meaning here; the rest is copied untouched.
  */
enum cleanup_hdr_kind {
	CLEANUP_KIND_OTHER,
	CLEANUP_KIND_RECEIVED,
	CLEANUP_KIND_MESSAGE_ID,
	CLEANUP_KIND_RESENT_MESSAGE_ID,
	CLEANUP_KIND_DATE,
	CLEANUP_KIND_RESENT_DATE,
	CLEANUP_KIND_FROM,
	CLEANUP_KIND_RESENT_FROM,
	CLEANUP_KIND_RCPT,		/* To, Cc, Bcc */
	CLEANUP_KIND_RESENT_RCPT,	/* Resent-To, -Cc, -Bcc */
	CLEANUP_KIND_PRECEDENCE,
};

struct cleanup_hdr_info {
	const char *name;
	enum cleanup_hdr_kind kind;
	int	seen_bit;
};

static const struct cleanup_hdr_info cleanup_hdr_table[] = {
	{"received", CLEANUP_KIND_RECEIVED, 0},
	{"message-id", CLEANUP_KIND_MESSAGE_ID, CLEANUP_HDR_MESSAGE_ID},
	{"resent-message-id", CLEANUP_KIND_RESENT_MESSAGE_ID,
	CLEANUP_HDR_RESENT_MESSAGE_ID},
	{"date", CLEANUP_KIND_DATE, CLEANUP_HDR_DATE},
	{"resent-date", CLEANUP_KIND_RESENT_DATE, CLEANUP_HDR_RESENT_DATE},
	{"from", CLEANUP_KIND_FROM, CLEANUP_HDR_FROM},
	{"resent-from", CLEANUP_KIND_RESENT_FROM, CLEANUP_HDR_RESENT_FROM},
	{"to", CLEANUP_KIND_RCPT, CLEANUP_HDR_TO},
	{"cc", CLEANUP_KIND_RCPT, CLEANUP_HDR_TO},
	{"bcc", CLEANUP_KIND_RCPT, 0},
	{"resent-to", CLEANUP_KIND_RESENT_RCPT, 0},
	{"resent-cc", CLEANUP_KIND_RESENT_RCPT, 0},
	{"resent-bcc", CLEANUP_KIND_RESENT_RCPT, 0},
	{"precedence", CLEANUP_KIND_PRECEDENCE, 0},
};

/* cleanup_date - Postfix's mail_date() format */

void
cleanup_date(struct buf *out, time_t when)
{
	struct tm tm;
	char	text[128];
	long	off;

	localtime_r(&when, &tm);
	strftime(text, sizeof(text), "%a, %e %b %Y %H:%M:%S ", &tm);
	buf_cpy(out, text);
	off = tm.tm_gmtoff / 60;
	buf_appendf(out, "%c%02ld%02ld", off < 0 ? '-' : '+',
		    labs(off) / 60, labs(off) % 60);
	if (strftime(text, sizeof(text), "%Z", &tm) > 0)
		buf_appendf(out, " (%s)", text);
}

/* cleanup_client_attr - a client attribute, or NULL */

static const char *
cleanup_client_attr(struct cleanup_state *state, const char *name)
{
	return (htable_find(state->client_attrs, name));
}

/* cleanup_received - the opening Received: header */

void
cleanup_received(struct cleanup_state *state)
{
	const char *addr = cleanup_client_attr(state, MAIL_ATTR_CLIENT_ADDR);
	const char *name = cleanup_client_attr(state, MAIL_ATTR_CLIENT_NAME);
	const char *helo = cleanup_client_attr(state, MAIL_ATTR_HELO_NAME);
	const char *proto = cleanup_client_attr(state, MAIL_ATTR_PROTO_NAME);
	const char *uid = cleanup_client_attr(state, CLEANUP_ATTR_UID);
	const char *id = buf_str(state->queue_id);
	struct buf *hdr = buf_new(256);
	struct buf *date = buf_new(64);
	struct buf *quoted = buf_new(64);

	cleanup_date(date, state->env.arrival);
	if (addr != 0) {
		name = name ? name : "unknown";
		buf_printf(hdr, "Received: from %s (%s [%s%s])\n",
			   helo ? helo : name, name,
			   strchr(addr, ':') ? "IPv6:" : "", addr);
		buf_appendf(hdr, "\tby %s (%s) with %s id %s", var_myhostname,
			    var_mail_name, proto ? proto : "SMTP", id);
		if (state->rcpt_given == 1)
			buf_appendf(hdr, "\n\tfor <%s>; %s",
				    address_quote(quoted, state->first_rcpt),
				    buf_str(date));
		else
			buf_appendf(hdr, ";\n\t%s", buf_str(date));
	} else {
		buf_printf(hdr, "Received: by %s (%s", var_myhostname,
			   var_mail_name);
		if (uid)
			buf_appendf(hdr, ", from userid %s", uid);
		buf_appendf(hdr, ")\n\tid %s; %s", id, buf_str(date));
	}
	cleanup_out_header(state, buf_str(hdr), buf_len(hdr));
	buf_free(quoted);
	buf_free(date);
	buf_free(hdr);
}

/* cleanup_hdr_lookup - what we know about a header name */

static const struct cleanup_hdr_info *
cleanup_hdr_lookup(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < ARRAY_LEN(cleanup_hdr_table); i++)
		if (strlen(cleanup_hdr_table[i].name) == len
		    && strncasecmp(cleanup_hdr_table[i].name, name, len) == 0)
			return (&cleanup_hdr_table[i]);
	return (NULL);
}

/* cleanup_hdr_dropped - is the header in message_drop_headers? */

static int
cleanup_hdr_dropped(const char *name, size_t len)
{
	struct argv *names = argv_split(var_message_drop_headers, ARGV_LIST_DELIMS);
	int	found = 0;
	size_t	i;

	for (i = 0; i < names->argc && !found; i++)
		found = (strlen(names->argv[i]) == len
			 && strncasecmp(names->argv[i], name, len) == 0);
	argv_free(names);
	return (found);
}

/* cleanup_hdr_value - the value without surrounding white space */

static void
cleanup_hdr_value(struct buf *out, const char *value)
{
	const char *end;

	while (*value == ' ' || *value == '\t' || *value == '\n')
		value++;
	end = value + strlen(value);
	while (end > value && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n'))
		end--;
	buf_reset(out);
	for (; value < end; value++)
		buf_putc(out, *value == '\n' || *value == '\t' ? ' ' : *value);
}

/* cleanup_extract - recipients of a To/Cc/Bcc header for -t */

void
cleanup_extract(struct cleanup_state *state, const char *value, int is_resent)
{
	struct argv *list = is_resent ? state->hdr_resent_rcpt : state->hdr_rcpt;
	struct buf *why = buf_new(64);
	struct argv *addrs = argv_new(4);
	size_t	i;

	if (address_parse_list(value, addrs, why) < 0)
		msg_warn("%s: ignoring malformed recipient header: %s",
			 buf_str(state->queue_id), buf_str(why));
	for (i = 0; i < addrs->argc; i++)
		if (*addrs->argv[i])
			argv_add(list, addrs->argv[i]);
	argv_free(addrs);
	buf_free(why);
}

/* cleanup_header_note - act on a header we know */

static void
cleanup_header_note(struct cleanup_state *state,
		    const struct cleanup_hdr_info *info, const char *value)
{
	const char *id = buf_str(state->queue_id);

	state->headers_seen |= info->seen_bit;
	switch (info->kind) {
	case CLEANUP_KIND_RECEIVED:
		if (++state->hop_count == var_hopcount_limit + 1) {
			msg_info("%s: reject: too many hops (%d Received: headers)",
				 id, state->hop_count);
			cleanup_state_error(state, CLEANUP_STAT_HOPS, "too many hops");
		}
		break;
	case CLEANUP_KIND_MESSAGE_ID:
	case CLEANUP_KIND_RESENT_MESSAGE_ID:
		cleanup_hdr_value(state->scratch, value);
		msg_info("%s: %smessage-id=%s", id,
			 info->kind == CLEANUP_KIND_MESSAGE_ID ? "" : "resent-",
			 buf_str(state->scratch));
		break;
	case CLEANUP_KIND_RCPT:
	case CLEANUP_KIND_RESENT_RCPT:
		if (state->flags & CLEANUP_FLAG_EXTRACT)
			cleanup_extract(state, value,
					info->kind == CLEANUP_KIND_RESENT_RCPT);
		break;
	case CLEANUP_KIND_PRECEDENCE:
		cleanup_hdr_value(state->scratch, value);
		if (strcasecmp(buf_str(state->scratch), "bulk") == 0
		    || strcasecmp(buf_str(state->scratch), "list") == 0
		    || strcasecmp(buf_str(state->scratch), "junk") == 0) {
			free(state->precedence);
			state->precedence = xstrdup(buf_str(state->scratch));
			for (char *cp = state->precedence; *cp; cp++)
				if (*cp >= 'A' && *cp <= 'Z')
					*cp += 'a' - 'A';
		}
		break;
	default:
		break;
	}
}

/* cleanup_header - one complete logical header */

void
cleanup_header(struct cleanup_state *state)
{
	const char *text = buf_str(state->header);
	size_t	len = buf_len(state->header);
	size_t	colon = cleanup_header_name_len(text, len);
	size_t	name_len = 0;
	const struct cleanup_hdr_info *info;

	if (colon == 0)
		msg_panic("cleanup_header: not a header: \"%.30s\"", text);
	while (name_len < colon && text[name_len] > ' ' && text[name_len] != ':')
		name_len++;
	if (state->header_truncated)
		msg_warn("%s: header_size_limit (%d) exceeded: %.*s header truncated",
			 buf_str(state->queue_id), var_header_size_limit,
			 (int) name_len, text);
	if (strncasecmp(text, "resent-", name_len < 7 ? name_len : 7) == 0
	    && name_len > 7)
		state->headers_seen |= CLEANUP_HDR_RESENT_ANY;
	if ((info = cleanup_hdr_lookup(text, name_len)) != 0)
		cleanup_header_note(state, info, text + colon);
	if (!cleanup_hdr_dropped(text, name_len))
		cleanup_out_header(state, text, len);
	buf_reset(state->header);
	state->header_truncated = 0;
}

/* cleanup_addr_is_local - is this one of our own addresses? */

static int
cleanup_addr_is_local(const char *addr)
{
	struct ifaddrs *ifa_list, *ifa;
	int	found = 0;

	if (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0)
		return (1);
	if (getifaddrs(&ifa_list) < 0)
		return (0);
	for (ifa = ifa_list; ifa && !found; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == 0)
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET) {
			char	tmp[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &((struct sockaddr_in *) (void *) ifa->ifa_addr)->sin_addr,
				  tmp, sizeof(tmp));
			found = (strcmp(tmp, addr) == 0);
		} else if (ifa->ifa_addr->sa_family == AF_INET6) {
			char	tmp[INET6_ADDRSTRLEN];

			inet_ntop(AF_INET6, &((struct sockaddr_in6 *) (void *) ifa->ifa_addr)->sin6_addr,
				  tmp, sizeof(tmp));
			found = (strcasecmp(tmp, addr) == 0);
		}
	}
	freeifaddrs(ifa_list);
	return (found);
}

/* cleanup_rewrite_ok - may we add missing headers for this client? */

static int
cleanup_rewrite_ok(struct cleanup_state *state)
{
	const char *addr = cleanup_client_attr(state, MAIL_ATTR_CLIENT_ADDR);
	struct argv *list;
	size_t	i;
	int	ok = 0;

	if (var_always_add_missing_headers || addr == 0
	    || (state->flags & CLEANUP_FLAG_LOCAL))
		return (1);
	list = argv_split(var_local_header_rewrite_clients, ARGV_LIST_DELIMS);
	for (i = 0; i < list->argc && !ok; i++) {
		if (strcmp(list->argv[i], "permit_inet_interfaces") == 0)
			ok = cleanup_addr_is_local(addr);
		else if (strcmp(list->argv[i], "static:all") == 0)
			ok = 1;
	}
	argv_free(list);
	return (ok);
}

/* cleanup_add_from - the missing (Resent-)From: header */

static void
cleanup_add_from(struct cleanup_state *state, const char *resent,
		 struct buf *hdr)
{
	const char *name = state->env.full_name;
	const char *sender = state->env.sender ? state->env.sender : "";
	struct buf *quoted = buf_new(64);
	const char *cp;

	if (*sender)
		address_quote(quoted, sender);
	else
		buf_cpy(quoted, var_empty_address_recipient);
	if (name == 0 || *name == 0) {
		buf_printf(hdr, "%sFrom: %s", resent, buf_str(quoted));
	} else if (strpbrk(name, "()<>[]:;@\\,.\"") == 0) {
		buf_printf(hdr, "%sFrom: %s <%s>", resent, name, buf_str(quoted));
	} else {
		buf_printf(hdr, "%sFrom: \"", resent);
		for (cp = name; *cp; cp++) {
			if (*cp == '"' || *cp == '\\')
				buf_putc(hdr, '\\');
			buf_putc(hdr, *cp);
		}
		buf_appendf(hdr, "\" <%s>", buf_str(quoted));
	}
	buf_free(quoted);
}

/* cleanup_add_missing - Message-Id, Date, From as Postfix adds them */

static void
cleanup_add_missing(struct cleanup_state *state, int resent)
{
	const char *prefix = resent ? "Resent-" : "";
	int	id_bit = resent ? CLEANUP_HDR_RESENT_MESSAGE_ID : CLEANUP_HDR_MESSAGE_ID;
	int	date_bit = resent ? CLEANUP_HDR_RESENT_DATE : CLEANUP_HDR_DATE;
	int	from_bit = resent ? CLEANUP_HDR_RESENT_FROM : CLEANUP_HDR_FROM;
	struct buf *hdr = buf_new(128);
	struct buf *date = buf_new(64);

	if ((state->headers_seen & id_bit) == 0) {
		buf_printf(hdr, "%sMessage-Id: <%s@%s>", prefix,
			   buf_str(state->queue_id), var_myhostname);
		cleanup_out_header(state, buf_str(hdr), buf_len(hdr));
		msg_info("%s: %smessage-id=<%s@%s>", buf_str(state->queue_id),
			 resent ? "resent-" : "", buf_str(state->queue_id),
			 var_myhostname);
		state->headers_seen |= id_bit;
	}
	if ((state->headers_seen & date_bit) == 0) {
		cleanup_date(date, state->env.arrival);
		buf_printf(hdr, "%sDate: %s", prefix, buf_str(date));
		cleanup_out_header(state, buf_str(hdr), buf_len(hdr));
	}
	if ((state->headers_seen & from_bit) == 0) {
		cleanup_add_from(state, prefix, hdr);
		cleanup_out_header(state, buf_str(hdr), buf_len(hdr));
	}
	buf_free(date);
	buf_free(hdr);
}

/* cleanup_headers_done - end of the header block */

void
cleanup_headers_done(struct cleanup_state *state)
{
	int	resent = (state->headers_seen & CLEANUP_HDR_RESENT_ANY) != 0;
	struct argv *rcpts;
	size_t	i;

	if (cleanup_rewrite_ok(state))
		cleanup_add_missing(state, resent);
	if ((state->headers_seen & CLEANUP_HDR_MESSAGE_ID) == 0 && !resent)
		msg_info("%s: message-id=<>", buf_str(state->queue_id));
	if (state->flags & CLEANUP_FLAG_EXTRACT) {
		rcpts = (resent && state->hdr_resent_rcpt->argc > 0) ?
			state->hdr_resent_rcpt : state->hdr_rcpt;
		for (i = 0; i < rcpts->argc && state->errs == 0; i++)
			cleanup_rcpt_add(state, &state->xtra, rcpts->argv[i],
					 NULL, NULL, state->xtra_notify);
	}
}
