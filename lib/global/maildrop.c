/*
 * NAME
 *	maildrop - the maildrop file format (sendmail, postdrop, pickup)
 * DESCRIPTION
 *	See maildrop.h. One checker serves postdrop (which never trusts
 *	sendmail) and pickup (which never trusts the maildrop directory).
 */
#include <util/sys_defs.h>
#include <global/cleanup_client.h>
#include <global/dsn.h>
#include <global/mail_proto.h>
#include <global/maildrop.h>
#include <global/record.h>

#define MAILDROP_GROUP_ORCP	(1 << 0)
#define MAILDROP_GROUP_NTFY	(1 << 1)

static int maildrop_bad(struct buf *, const char *,...) PRINTFLIKE(2, 3);

/* maildrop_bad - format a reason; always -1 */

static int
maildrop_bad(struct buf *why, const char *fmt,...)
{
	va_list	ap;

	buf_reset(why);
	va_start(ap, fmt);
	buf_vappendf(why, fmt, ap);
	va_end(ap);
	return (-1);
}

/* maildrop_check_init - start a stream */

void
maildrop_check_init(struct maildrop_check *mc, int has_time)
{
	memset(mc, 0, sizeof(*mc));
	mc->phase = has_time ? MAILDROP_PHASE_TIME : MAILDROP_PHASE_ENVELOPE;
}

/* maildrop_text_ok - no control characters, no null, not too long */

static int
maildrop_text_ok(const char *data, size_t len)
{
	size_t	i;

	if (len > MAILDROP_TEXT_LIMIT)
		return (0);
	for (i = 0; i < len; i++)
		if ((unsigned char) data[i] < 0x20 || data[i] == 0x7f)
			return (0);
	return (1);
}

/* maildrop_number - a decimal number without sign or leading zero */

static int
maildrop_number(const char *data, long max, long *value)
{
	char   *end;

	if (*data < '0' || *data > '9' || (data[0] == '0' && data[1] != 0))
		return (-1);
	errno = 0;
	*value = strtol(data, &end, 10);
	return (*end != 0 || errno != 0 || *value > max ? -1 : 0);
}

/* maildrop_check_time - "seconds microseconds" */

static int
maildrop_check_time(const char *data)
{
	long long sec;
	long	usec;
	int	n = 0;

	return (sscanf(data, "%lld %ld%n", &sec, &usec, &n) == 2
		&& data[n] == 0 && data[0] != ' ' && sec >= 0 && usec >= 0
		&& usec <= 999999 ? 0 : -1);
}

/* maildrop_check_notify - NTFY mask */

static int
maildrop_check_notify(const char *data)
{
	long	mask;

	return (maildrop_number(data, DSN_NOTIFY_NEVER | DSN_NOTIFY_ANY, &mask) == 0
		&& mask > 0
		&& (mask & ~(long) (DSN_NOTIFY_NEVER | DSN_NOTIFY_ANY)) == 0
		&& (!(mask & DSN_NOTIFY_NEVER) || mask == DSN_NOTIFY_NEVER) ? 0 : -1);
}

/* maildrop_check_attr - one name=value attribute */

static int
maildrop_check_attr(struct maildrop_check *mc, const char *data,
		    struct buf *why)
{
	const char *eq = strchr(data, '=');
	const char *value;
	size_t	name_len;
	long	num;

	if (eq == 0)
		return (maildrop_bad(why, "malformed attribute record"));
	name_len = (size_t) (eq - data);
	value = eq + 1;
#define NAME_IS(n) (name_len == strlen(n) && strncmp(data, (n), name_len) == 0)
	if (NAME_IS(MAIL_ATTR_FLAGS)) {
		if (maildrop_number(value, CLEANUP_FLAG_EXTRACT, &num) < 0
		    || (num & ~(long) CLEANUP_FLAG_EXTRACT))
			return (maildrop_bad(why, "bad flags attribute \"%s\"", value));
		mc->flags = (int) num;
	} else if (NAME_IS(MAIL_ATTR_DSN_NOTIFY)) {
		if (maildrop_check_notify(value) < 0)
			return (maildrop_bad(why, "bad notify attribute \"%s\"", value));
	} else if (NAME_IS(MAIL_ATTR_DSN_ENVID)) {
		if (*value == 0 || strlen(value) > DSN_ENVID_MAX)
			return (maildrop_bad(why, "bad envelope ID attribute"));
	} else if (NAME_IS(MAIL_ATTR_DSN_RET)) {
		if (maildrop_number(value, DSN_RET_HDRS, &num) < 0
		    || (num != DSN_RET_FULL && num != DSN_RET_HDRS))
			return (maildrop_bad(why, "bad return flags attribute \"%s\"", value));
	} else if (NAME_IS(MAIL_ATTR_ENCODING)) {
		if (strcmp(value, "7BIT") != 0 && strcmp(value, "8BITMIME") != 0)
			return (maildrop_bad(why, "bad encoding attribute \"%s\"", value));
	} else {
		return (maildrop_bad(why, "unexpected attribute \"%.*s\"",
				     (int) (name_len > 64 ? 64 : name_len), data));
	}
#undef NAME_IS
	return (0);
}

/* maildrop_check_group - ORCP, NTFY, RCPT */

static int
maildrop_check_group(struct maildrop_check *mc, int type, const char *data,
		     struct buf *why)
{
	int	bit = (type == REC_TYPE_ORCP ? MAILDROP_GROUP_ORCP
		       : type == REC_TYPE_NTFY ? MAILDROP_GROUP_NTFY : 0);

	if (type == REC_TYPE_NTFY && maildrop_check_notify(data) < 0)
		return (maildrop_bad(why, "bad notify record \"%s\"", data));
	if (bit == 0) {
		if (*data == 0)
			return (maildrop_bad(why, "empty recipient"));
		mc->group = 0;
		mc->nrcpt++;
		return (0);
	}
	if (mc->group & bit)
		return (maildrop_bad(why, "duplicate %s record", rec_type_name(type)));
	mc->group |= bit;
	return (0);
}

/* maildrop_check_envelope - one envelope record */

static int
maildrop_check_envelope(struct maildrop_check *mc, int type, const char *data,
			size_t len, struct buf *why)
{
	if (type != REC_TYPE_MESG && !maildrop_text_ok(data, len))
		return (maildrop_bad(why, "malformed %s record", rec_type_name(type)));
	switch (type) {
	case REC_TYPE_FROM:
		return (mc->nfrom++ ? maildrop_bad(why, "duplicate sender record") : 0);
	case REC_TYPE_FULL:
		return (mc->nfull++ ? maildrop_bad(why, "duplicate full name record") : 0);
	case REC_TYPE_ATTR:
		return (maildrop_check_attr(mc, data, why));
	case REC_TYPE_ORCP:
	case REC_TYPE_NTFY:
	case REC_TYPE_RCPT:
		return (maildrop_check_group(mc, type, data, why));
	case REC_TYPE_MESG:
		if (len != 0)
			return (maildrop_bad(why, "malformed message record"));
		if (mc->nfrom == 0)
			return (maildrop_bad(why, "no sender record"));
		if (mc->group)
			return (maildrop_bad(why, "recipient attributes without recipient"));
		if (mc->nrcpt == 0 && (mc->flags & CLEANUP_FLAG_EXTRACT) == 0)
			return (maildrop_bad(why, "no recipients"));
		mc->phase = MAILDROP_PHASE_CONTENT;
		return (0);
	default:
		return (maildrop_bad(why, "unexpected %s record in envelope",
				     rec_type_name(type)));
	}
}

/* maildrop_check_record - one record */

int
maildrop_check_record(struct maildrop_check *mc, int type, const char *data,
		      size_t len, struct buf *why)
{
	mc->nrecords++;
	switch (mc->phase) {
	case MAILDROP_PHASE_TIME:
		if (type != REC_TYPE_TIME || maildrop_check_time(data) < 0)
			return (maildrop_bad(why, "file does not begin with an arrival time"));
		mc->phase = MAILDROP_PHASE_ENVELOPE;
		return (0);
	case MAILDROP_PHASE_ENVELOPE:
		return (maildrop_check_envelope(mc, type, data, len, why));
	case MAILDROP_PHASE_CONTENT:
		if (type == REC_TYPE_NORM || type == REC_TYPE_CONT) {
			if (len > MAILDROP_LINE_LIMIT)
				return (maildrop_bad(why, "content record too long"));
			mc->in_line = (type == REC_TYPE_CONT);
			return (0);
		}
		if (type != REC_TYPE_XTRA || len != 0)
			return (maildrop_bad(why, "unexpected %s record in content",
					     rec_type_name(type)));
		if (mc->in_line)
			return (maildrop_bad(why, "content ends in a partial line"));
		mc->phase = MAILDROP_PHASE_XTRA;
		return (0);
	case MAILDROP_PHASE_XTRA:
		if (type != REC_TYPE_END || len != 0)
			return (maildrop_bad(why, "unexpected %s record after content",
					     rec_type_name(type)));
		mc->phase = MAILDROP_PHASE_END;
		return (0);
	case MAILDROP_PHASE_END:
		return (maildrop_bad(why, "data after end of file record"));
	}
	return (maildrop_bad(why, "bad checker state"));
}

/* maildrop_check_eof - the stream ended: was it complete? */

int
maildrop_check_eof(struct maildrop_check *mc, struct buf *why)
{
	if (mc->nrecords == 0)
		return (maildrop_bad(why, "empty file"));
	if (mc->phase != MAILDROP_PHASE_END)
		return (maildrop_bad(why, "premature end of file (no end record)"));
	return (0);
}
