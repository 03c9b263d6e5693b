/*
 * NAME
 *	attr - write and read attribute lists
 * SYNOPSIS
 *	#include <util/attr.h>
 *
 *	int	attr_print(struct stream *s, int flags, const struct attr *list);
 *	int	attr_scan(struct stream *s, int flags, const struct attr *list);
 *	int	attr_scan_full(struct stream *s, int flags, size_t value_limit,
 *			const struct attr *list, struct buf *why);
 *	int	attr_scan_dynamic(struct stream *s, int flags, size_t value_limit,
 *			struct htable *table, struct buf *why);
 * DESCRIPTION
 *	The encoder and the decoder of attr(3); the wire format and the
 *	contract are documented in attr.h.
 *
 *	The decoder reads the input of a possibly hostile peer. It checks
 *	every length against its limit before it reads or allocates, reads
 *	values in bounded chunks (a peer that announces a large value and
 *	sends little costs little memory), and reports the first problem
 *	as text that names the attribute.
 * SEE ALSO
 *	attr_client.c for conversations built on these functions
 */
#include <util/sys_defs.h>
#include <limits.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/stream.h>
#include <util/attr.h>

#define ATTR_NUM_MAXLEN	20		/* '-' and 19 digits */
#define ATTR_CHUNK	65536		/* value read granularity */

struct attr_scanner {
	struct stream *s;
	size_t	value_limit;
	struct buf *problem;		/* text of the first problem */
	int	items;			/* items read from this list */
	int	type;			/* wire type of the current item */
	uint32_t len;			/* value length of the current item */
	char	name[ATTR_NAME_LIMIT + 1];
};

/* attr_name_ok - a valid attribute name: 1..100 of [A-Za-z0-9_.-] */
static int
attr_name_ok(const char *name, size_t len)
{
	size_t	i;
	unsigned char c;

	if (len == 0 || len > ATTR_NAME_LIMIT)
		return (0);
	for (i = 0; i < len; i++) {
		c = (unsigned char) name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		      || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return (0);
	}
	return (1);
}

/* attr_print_check - validate a print list; return its length */
static size_t
attr_print_check(const struct attr *list)
{
	const struct attr *ap;

	for (ap = list; ap->type != ATTR_TYPE_END; ap++) {
		if (ap->type < ATTR_TYPE_STR || ap->type > ATTR_TYPE_DATA)
			msg_panic("attr_print: bad entry type %d (scan list?)", (int) ap->type);
		if (ap->name == NULL || !attr_name_ok(ap->name, strlen(ap->name)))
			msg_panic("attr_print: bad attribute name \"%s\"",
				  ap->name ? ap->name : "(null)");
		if (ap->type == ATTR_TYPE_STR && ap->u.str == NULL)
			msg_panic("attr_print: null value for attribute \"%s\"", ap->name);
		if (ap->type == ATTR_TYPE_DATA && ap->u.data.ptr == NULL && ap->u.data.len)
			msg_panic("attr_print: null data for attribute \"%s\"", ap->name);
	}
	if (ap - list > ATTR_COUNT_LIMIT)
		msg_panic("attr_print: %ld attributes, limit %d",
			  (long) (ap - list), ATTR_COUNT_LIMIT);
	return ((size_t) (ap - list));
}

/* attr_put_item - one item: type, name, length, value */
static void
attr_put_item(struct stream *s, int type, const char *name,
	              const void *value, size_t len)
{
	unsigned char head[4];
	size_t	nlen = strlen(name);

	stream_putc(s, type);
	stream_putc(s, (int) nlen);
	stream_write(s, name, nlen);
	head[0] = (unsigned char) (len >> 24);
	head[1] = (unsigned char) (len >> 16);
	head[2] = (unsigned char) (len >> 8);
	head[3] = (unsigned char) len;
	stream_write(s, head, sizeof(head));
	stream_write(s, value, len);
}

/* attr_print - write one list */
int
attr_print(struct stream *s, int flags, const struct attr *list)
{
	const struct attr *ap;
	char	num[32];
	size_t	len;

	(void) attr_print_check(list);
	for (ap = list; ap->type != ATTR_TYPE_END; ap++) {
		len = ap->type == ATTR_TYPE_STR ? strlen(ap->u.str) :
			ap->type == ATTR_TYPE_DATA ? ap->u.data.len : 0;
		if (len > UINT32_MAX) {
			errno = EMSGSIZE;
			return (-1);
		}
	}
	for (ap = list; ap->type != ATTR_TYPE_END; ap++) {
		switch (ap->type) {
		case ATTR_TYPE_STR:
			attr_put_item(s, ATTR_WIRE_STR, ap->name, ap->u.str, strlen(ap->u.str));
			break;
		case ATTR_TYPE_INT:
		case ATTR_TYPE_LONG:
			snprintf(num, sizeof(num), "%ld", ap->type == ATTR_TYPE_INT ?
				 (long) ap->u.num : ap->u.lnum);
			attr_put_item(s, ATTR_WIRE_NUM, ap->name, num, strlen(num));
			break;
		default:
			attr_put_item(s, ATTR_WIRE_DATA, ap->name, ap->u.data.ptr, ap->u.data.len);
			break;
		}
	}
	stream_putc(s, ATTR_WIRE_END);
	if (flags & ATTR_FLAG_FLUSH)
		stream_flush(s);
	return (stream_error(s) ? -1 : 0);
}

/* attr_fail - record the problem text and errno; return -1 */
static int PRINTFLIKE(3, 4)
attr_fail(struct attr_scanner *sc, int err, const char *fmt,...)
{
	va_list	ap;

	buf_reset(sc->problem);
	va_start(ap, fmt);
	buf_vappendf(sc->problem, fmt, ap);
	va_end(ap);
	errno = err;
	return (-1);
}

/* attr_read_fail - describe why the stream delivered no more bytes */
static int
attr_read_fail(struct attr_scanner *sc, int at_start)
{
	if (stream_timed_out(sc->s))
		return (attr_fail(sc, ETIMEDOUT, "timeout while reading attributes"));
	if (stream_error(sc->s))
		return (attr_fail(sc, errno, "read error: %m"));
	if (at_start)
		return (attr_fail(sc, ENODATA, "end of input"));
	return (attr_fail(sc, EPROTO, "premature end of input"));
}

/* attr_read_head - type, name and length of the next item; 1, 0 end, -1 */
static int
attr_read_head(struct attr_scanner *sc)
{
	unsigned char len[4];
	int	ch;
	int	nlen;

	if ((ch = stream_getc(sc->s)) == STREAM_EOF)
		return (attr_read_fail(sc, sc->items == 0));
	if (ch == ATTR_WIRE_END)
		return (0);
	if (ch != ATTR_WIRE_STR && ch != ATTR_WIRE_NUM && ch != ATTR_WIRE_DATA)
		return (attr_fail(sc, EPROTO, "bad item type byte 0x%02x", ch));
	if (++sc->items > ATTR_COUNT_LIMIT)
		return (attr_fail(sc, EPROTO, "more than %d attributes", ATTR_COUNT_LIMIT));
	sc->type = ch;
	if ((nlen = stream_getc(sc->s)) == STREAM_EOF)
		return (attr_read_fail(sc, 0));
	if (nlen == 0 || nlen > ATTR_NAME_LIMIT)
		return (attr_fail(sc, EPROTO, "bad attribute name length %d", nlen));
	if (stream_read_full(sc->s, sc->name, (size_t) nlen) < 0)
		return (attr_read_fail(sc, 0));
	sc->name[nlen] = 0;
	if (!attr_name_ok(sc->name, (size_t) nlen))
		return (attr_fail(sc, EPROTO, "bad character in attribute name"));
	if (stream_read_full(sc->s, len, sizeof(len)) < 0)
		return (attr_read_fail(sc, 0));
	sc->len = (uint32_t) len[0] << 24 | (uint32_t) len[1] << 16
		| (uint32_t) len[2] << 8 | (uint32_t) len[3];
	if (sc->len > sc->value_limit)
		return (attr_fail(sc, EPROTO, "attribute \"%s\": value length %lu exceeds limit %lu",
				  sc->name, (unsigned long) sc->len,
				  (unsigned long) sc->value_limit));
	if (sc->type == ATTR_WIRE_NUM && (sc->len == 0 || sc->len > ATTR_NUM_MAXLEN))
		return (attr_fail(sc, EPROTO, "attribute \"%s\": bad number length %lu",
				  sc->name, (unsigned long) sc->len));
	return (1);
}

/* attr_read_value - the current item's value into dst, in chunks */
static int
attr_read_value(struct attr_scanner *sc, struct buf *dst)
{
	size_t	left = sc->len;
	size_t	n;

	buf_reset(dst);
	while (left > 0) {
		n = left < ATTR_CHUNK ? left : ATTR_CHUNK;
		buf_reserve(dst, n);
		if (stream_read_full(sc->s, dst->data + dst->len, n) < 0)
			return (attr_read_fail(sc, 0));
		dst->len += n;
		dst->data[dst->len] = 0;
		left -= n;
	}
	if (sc->type != ATTR_WIRE_DATA && memchr(dst->data, 0, dst->len) != NULL)
		return (attr_fail(sc, EPROTO, "attribute \"%s\": null byte in value", sc->name));
	return (0);
}

/* attr_skip_value - read and drop the current item's value */
static int
attr_skip_value(struct attr_scanner *sc)
{
	char	junk[4096];
	size_t	left = sc->len;
	size_t	n;

	while (left > 0) {
		n = left < sizeof(junk) ? left : sizeof(junk);
		if (stream_read_full(sc->s, junk, n) < 0)
			return (attr_read_fail(sc, 0));
		left -= n;
	}
	return (0);
}

/* attr_parse_num - strict decimal: optional '-', no leading zeros */
static int
attr_parse_num(struct attr_scanner *sc, const char *text, long min, long max,
	               long *out)
{
	const char *cp = text;
	unsigned long val = 0;
	unsigned long lim;
	int	is_neg = (*cp == '-');
	unsigned d;

	cp += is_neg;
	lim = is_neg ? (unsigned long) -(min + 1) + 1 : (unsigned long) max;
	if (*cp == 0 || (*cp == '0' && (cp[1] != 0 || is_neg)))
		return (attr_fail(sc, EPROTO, "attribute \"%s\": bad number \"%.20s\"",
				  sc->name, text));
	for (; *cp; cp++) {
		if (*cp < '0' || *cp > '9')
			return (attr_fail(sc, EPROTO, "attribute \"%s\": bad number \"%.20s\"",
					  sc->name, text));
		d = (unsigned) (*cp - '0');
		if (val > (lim - d) / 10)
			return (attr_fail(sc, EPROTO, "attribute \"%s\": number %.20s out of range",
					  sc->name, text));
		val = val * 10 + d;
	}
	*out = is_neg ? (long) (0 - val) : (long) val;
	return (0);
}

/* attr_wire_type - the wire type a scan entry accepts */
static int
attr_wire_type(enum attr_type type)
{
	switch (type) {
	case ATTR_TYPE_SCAN_STR:
		return (ATTR_WIRE_STR);
	case ATTR_TYPE_SCAN_INT:
	case ATTR_TYPE_SCAN_LONG:
		return (ATTR_WIRE_NUM);
	case ATTR_TYPE_SCAN_DATA:
		return (ATTR_WIRE_DATA);
	default:
		msg_panic("attr_scan: bad entry type %d (print list?)", (int) type);
	}
}

/* attr_target_null - true when a scan entry has no place to store */
static int
attr_target_null(const struct attr *ap)
{
	switch (ap->type) {
	case ATTR_TYPE_SCAN_INT:
		return (ap->u.int_out == NULL);
	case ATTR_TYPE_SCAN_LONG:
		return (ap->u.long_out == NULL);
	default:
		return (ap->u.buf == NULL);
	}
}

/* attr_scan_check - validate a scan list; return its length */
static size_t
attr_scan_check(const struct attr *list)
{
	const struct attr *ap, *bp;

	for (ap = list; ap->type != ATTR_TYPE_END; ap++) {
		(void) attr_wire_type(ap->type);
		if (ap->name == NULL || attr_target_null(ap))
			msg_panic("attr_scan: null name or target");
		for (bp = list; bp < ap; bp++)
			if (strcmp(bp->name, ap->name) == 0)
				msg_panic("attr_scan: attribute \"%s\" listed twice", ap->name);
	}
	return ((size_t) (ap - list));
}

/* attr_store - read the current item's value into its list entry */
static int
attr_store(struct attr_scanner *sc, const struct attr *ap, struct buf *scratch)
{
	long	val;

	if (sc->type != attr_wire_type(ap->type))
		return (attr_fail(sc, EPROTO, "attribute \"%s\": wrong type '%c'",
				  sc->name, sc->type));
	switch (ap->type) {
	case ATTR_TYPE_SCAN_STR:
	case ATTR_TYPE_SCAN_DATA:
		return (attr_read_value(sc, ap->u.buf));
	case ATTR_TYPE_SCAN_INT:
		if (attr_read_value(sc, scratch) < 0
		    || attr_parse_num(sc, buf_str(scratch), INT_MIN, INT_MAX, &val) < 0)
			return (-1);
		*ap->u.int_out = (int) val;
		return (0);
	default:
		if (attr_read_value(sc, scratch) < 0
		    || attr_parse_num(sc, buf_str(scratch), LONG_MIN, LONG_MAX, &val) < 0)
			return (-1);
		*ap->u.long_out = val;
		return (0);
	}
}

/* attr_find - index of name in list, or -1 */
static long
attr_find(const struct attr *list, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i].name, name) == 0)
			return ((long) i);
	return (-1);
}

/* attr_scan_items - read items until the end byte; count or -1 */
static int
attr_scan_items(struct attr_scanner *sc, int flags, const struct attr *list,
		        size_t n, unsigned char *found, struct buf *scratch)
{
	int	filled = 0;
	long	i;
	int	r;

	while ((r = attr_read_head(sc)) > 0) {
		if ((i = attr_find(list, n, sc->name)) < 0) {
			if ((flags & ATTR_FLAG_MORE) == 0)
				return (attr_fail(sc, EPROTO, "unexpected attribute \"%s\"", sc->name));
			if (attr_skip_value(sc) < 0)
				return (-1);
			continue;
		}
		if (found[i])
			return (attr_fail(sc, EPROTO, "duplicate attribute \"%s\"", sc->name));
		if (attr_store(sc, list + i, scratch) < 0)
			return (-1);
		found[i] = 1;
		filled++;
	}
	if (r < 0)
		return (-1);
	for (i = 0; (size_t) i < n; i++)
		if (!found[i] && !list[i].is_optional && !(flags & ATTR_FLAG_MISSING))
			return (attr_fail(sc, EPROTO, "missing attribute \"%s\"", list[i].name));
	return (filled);
}

/* attr_report - hand the problem to the caller or the log */
static void
attr_report(struct attr_scanner *sc, const char *myname, struct buf *why)
{
	int	saved = errno;

	if (why)
		buf_cpy(why, buf_str(sc->problem));
	else if (saved != ENODATA)
		msg_warn("%s: %s: %s", myname, stream_name(sc->s), buf_str(sc->problem));
	errno = saved;
}

/* attr_scanner_init - set up the decoder state */
static void
attr_scanner_init(struct attr_scanner *sc, struct stream *s, size_t value_limit)
{
	memset(sc, 0, sizeof(*sc));
	sc->s = s;
	sc->value_limit = value_limit ? value_limit : ATTR_VALUE_LIMIT;
	if (sc->value_limit > UINT32_MAX)
		sc->value_limit = UINT32_MAX;
	sc->problem = buf_new(100);
}

/* attr_scan_full - read one list into list; count or -1 */
int
attr_scan_full(struct stream *s, int flags, size_t value_limit,
	               const struct attr *list, struct buf *why)
{
	struct attr_scanner sc;
	size_t	n = attr_scan_check(list);
	unsigned char *found = xcalloc(n + 1, 1);
	struct buf *scratch = buf_new(ATTR_NUM_MAXLEN + 1);
	int	ret;
	int	saved;

	attr_scanner_init(&sc, s, value_limit);
	if ((ret = attr_scan_items(&sc, flags, list, n, found, scratch)) < 0)
		attr_report(&sc, "attr_scan", why);
	saved = errno;
	free(found);
	buf_free(scratch);
	buf_free(sc.problem);
	errno = saved;
	return (ret);
}

/* attr_scan - read one list, log problems */
int
attr_scan(struct stream *s, int flags, const struct attr *list)
{
	return (attr_scan_full(s, flags, 0, list, NULL));
}

/* attr_dynamic_items - read items into table; count or -1 */
static int
attr_dynamic_items(struct attr_scanner *sc, struct htable *table,
		           struct htable *seen, struct buf *value)
{
	long	num;
	int	count = 0;
	int	r;

	while ((r = attr_read_head(sc)) > 0) {
		if (htable_find(seen, sc->name) != NULL)
			return (attr_fail(sc, EPROTO, "duplicate attribute \"%s\"", sc->name));
		(void) htable_enter(seen, sc->name, sc);
		if (attr_read_value(sc, value) < 0)
			return (-1);
		if (sc->type == ATTR_WIRE_NUM
		    && attr_parse_num(sc, buf_str(value), LONG_MIN, LONG_MAX, &num) < 0)
			return (-1);
		if (sc->type == ATTR_WIRE_DATA && memchr(value->data, 0, value->len))
			return (attr_fail(sc, EPROTO, "attribute \"%s\": null byte in value",
					  sc->name));
		free(htable_enter(table, sc->name, xstrdup(buf_str(value))));
		count++;
	}
	return (r < 0 ? -1 : count);
}

/* attr_scan_dynamic - read one list of any names into a table */
int
attr_scan_dynamic(struct stream *s, int flags, size_t value_limit,
		          struct htable *table, struct buf *why)
{
	struct attr_scanner sc;
	struct htable *seen = htable_new(16);
	struct buf *value = buf_new(64);
	int	ret;
	int	saved;

	if (flags != ATTR_FLAG_NONE)
		msg_panic("attr_scan_dynamic: unsupported flags 0x%x", flags);
	attr_scanner_init(&sc, s, value_limit);
	if ((ret = attr_dynamic_items(&sc, table, seen, value)) < 0)
		attr_report(&sc, "attr_scan", why);
	saved = errno;
	htable_free(seen, NULL);
	buf_free(value);
	buf_free(sc.problem);
	errno = saved;
	return (ret);
}
