/*
 * NAME
 *	attr - the internal IPC format: typed, length-prefixed attribute lists
 * SYNOPSIS
 *	#include <util/attr.h>
 *
 *	int	attr_print(struct stream *s, int flags, const struct attr *list);
 *	int	attr_scan(struct stream *s, int flags, const struct attr *list);
 *	int	attr_scan_full(struct stream *s, int flags, size_t value_limit,
 *			const struct attr *list, struct buf *why);
 *	int	attr_scan_dynamic(struct stream *s, int flags, size_t value_limit,
 *			struct htable *table, struct buf *why);
 *
 *	int	attr_send_proto(struct stream *s, const char *proto);
 *	int	attr_expect_proto(struct stream *s, const char *proto,
 *			struct buf *why);
 *	int	attr_transact(struct stream *s, const struct attr *request,
 *			int reply_flags, const struct attr *reply,
 *			struct buf *why);
 *	int	attr_request(const char *path, int timeout_s, const char *proto,
 *			const struct attr *request, int reply_flags,
 *			const struct attr *reply, struct buf *why);
 * DESCRIPTION
 *	Every internal socket (cleanup, qmgr, delivery agents, showq,
 *	bounce, anvil, master status) carries lists of named, typed
 *	attributes in this one format. A list is built as an array of
 *	struct attr with the macros below and ended by ATTR_END:
 *
 *	    attr_print(s, ATTR_FLAG_FLUSH, ATTR_LIST(
 *	        ATTR_STR(MAIL_ATTR_QUEUE_ID, id),
 *	        ATTR_INT(MAIL_ATTR_STATUS, 0),
 *	        ATTR_LONG(MAIL_ATTR_OFFSET, off),
 *	        ATTR_DATA(MAIL_ATTR_DATA, ptr, len)));
 *
 *	    attr_scan(s, ATTR_FLAG_NONE, ATTR_LIST(
 *	        SCAN_STR(MAIL_ATTR_QUEUE_ID, idbuf),	(struct buf *)
 *	        SCAN_INT(MAIL_ATTR_STATUS, &status),	(int *)
 *	        SCAN_OPT_LONG(MAIL_ATTR_OFFSET, &off),	(long *; may be absent)
 *	        SCAN_DATA(MAIL_ATTR_DATA, databuf)));	(struct buf *)
 *
 *	ATTR_LIST(...) needs at least one entry: the empty list is
 *	ATTR_LIST(ATTR_END). The macros are type checked by the compiler: ATTR_STR takes a
 *	const char *, ATTR_INT an int, ATTR_LONG a long, SCAN_INT an int *,
 *	SCAN_LONG a long *, SCAN_STR and SCAN_DATA a struct buf *. Print
 *	and scan entries have distinct types, so passing a scan list to
 *	attr_print() (or vice versa) panics instead of corrupting memory.
 *
 *	Wire format. A list is a sequence of items followed by an end
 *	byte; all lengths are checked against limits before anything is
 *	allocated:
 *
 *	    list  = *item end
 *	    item  = type namelen name valuelen value
 *	    type  = 'S' (string) / 'N' (number) / 'D' (data): one byte
 *	    namelen  = one byte, 1..ATTR_NAME_LIMIT (100)
 *	    name  = namelen bytes of [A-Za-z0-9_.-]
 *	    valuelen = 4 bytes, unsigned, big-endian, <= the value limit
 *	    value = valuelen bytes
 *	    end   = one 0x00 byte
 *
 *	A string value contains no null byte. A number is decimal ASCII:
 *	an optional '-' and 1 to 19 digits without leading zeros (ATTR_INT
 *	and ATTR_LONG both send numbers; the receiver checks the range of
 *	its int or long). Data is any bytes. A list holds at most
 *	ATTR_COUNT_LIMIT (1024) items and no name twice.
 *
 *	Variable-length data (a message's recipients) is sent as a count
 *	attribute in one list followed by that many lists, one per item,
 *	e.g. {..., rcpt_count=2} {offset=.., address=..} {offset=..,
 *	address=..}. Names never repeat within a list.
 *
 *	Conversations. Every conversation opens with a one-attribute list
 *	{proto=NAME} sent by the server as soon as it accepts the
 *	connection (attr_send_proto()); the client checks it with
 *	attr_expect_proto() before sending its request. Names and protocol
 *	names live in global/mail_proto.h.
 *
 *	attr_print() writes list to s. With ATTR_FLAG_FLUSH it also flushes
 *	the stream. It returns 0, or -1 on a write error (errno set).
 *
 *	attr_scan() reads one list from s and stores the values of the
 *	entries in list; it returns the number of entries filled, or -1.
 *	Receivers are strict: an attribute not in list is an error unless
 *	flags has ATTR_FLAG_MORE (extras are then read and dropped); an
 *	entry of list that did not arrive is an error unless it is optional
 *	(SCAN_OPT_*; its target is left untouched) or flags has
 *	ATTR_FLAG_MISSING. A value of the wrong wire type, a number out of
 *	range, an invalid name, a duplicate name, a value over the limit
 *	(ATTR_VALUE_LIMIT, 1 MB), more than ATTR_COUNT_LIMIT items, a bad
 *	type byte, or input that ends inside a list is an error. The whole
 *	list is consumed only when it was valid; after an error the
 *	conversation is out of step and the caller must drop it.
 *
 *	attr_scan() logs peer problems with msg_warn() ("attr_scan:
 *	private/qmgr: unexpected attribute foo"). attr_scan_full() does not
 *	log when why is not NULL but stores the text there instead; its
 *	value_limit overrides the value limit (0 = ATTR_VALUE_LIMIT).
 *
 *	Errors set errno: EPROTO for a peer protocol violation, ETIMEDOUT
 *	when the stream's time limit expired, ENODATA for a clean end of
 *	file before the first byte of a list (the peer hung up between
 *	requests: not logged), or the errno of a failed read.
 *
 *	attr_scan_dynamic() reads one list of any names into table (an
 *	htable(3) of name -> malloc()ed null-terminated string; free with
 *	htable_free(table, free)): numbers are stored in decimal, data
 *	values must not contain a null byte. An existing entry of the same
 *	name is replaced. It returns the number of attributes read or -1.
 *	flags is reserved (pass ATTR_FLAG_NONE); problems are logged or
 *	stored in why as with attr_scan_full().
 *
 *	attr_send_proto() sends {proto=NAME} and flushes; 0 or -1.
 *	attr_expect_proto() reads one list that must be exactly
 *	{proto=NAME}; 0 or -1 (EPROTO when it is another protocol; why
 *	as for attr_scan_full()).
 *
 *	attr_transact() sends request on an open stream, flushes, and reads
 *	one reply list with reply_flags; it returns what attr_scan() does.
 *
 *	attr_request() is the whole client side of a one-shot request: it
 *	connects to the UNIX-domain socket path (waiting at most timeout_s
 *	seconds, which then also bounds every read and write), checks the
 *	server's {proto=proto} hello unless proto is NULL, sends request
 *	and reads the reply into reply, then closes the connection. It
 *	returns the attr_scan() count or -1 with errno and, when why is not
 *	NULL, a reason such as "connect to private/qmgr: No such file or
 *	directory".
 * DIAGNOSTICS
 *	Panic: a list that mixes print and scan entries, a NULL name or
 *	scan target, a NULL ATTR_STR value, a print name that violates the
 *	name rules, a scan list that names an attribute twice, more than
 *	ATTR_COUNT_LIMIT print entries. Peer errors are warnings
 *	(attr_scan) or reported in why.
 * SEE ALSO
 *	stream(3), htable(3), global/mail_proto.h
 */
#ifndef POSTERN_ATTR_H
#define POSTERN_ATTR_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/stream.h>
#include <util/htable.h>

#define ATTR_NAME_PROTO		"proto"	/* = MAIL_ATTR_PROTO */
#define ATTR_NAME_LIMIT		100
#define ATTR_VALUE_LIMIT	(1024 * 1024)
#define ATTR_COUNT_LIMIT	1024

#define ATTR_WIRE_END		0
#define ATTR_WIRE_STR		'S'
#define ATTR_WIRE_NUM		'N'
#define ATTR_WIRE_DATA		'D'

#define ATTR_FLAG_NONE		0
#define ATTR_FLAG_FLUSH		(1 << 0)	/* attr_print: flush after */
#define ATTR_FLAG_MORE		(1 << 1)	/* attr_scan: extras are ok */
#define ATTR_FLAG_MISSING	(1 << 2)	/* attr_scan: missing is ok */

enum attr_type {
	ATTR_TYPE_END = 0,
	ATTR_TYPE_STR,			/* print: .u.str */
	ATTR_TYPE_INT,			/* print: .u.num */
	ATTR_TYPE_LONG,			/* print: .u.lnum */
	ATTR_TYPE_DATA,			/* print: .u.data */
	ATTR_TYPE_SCAN_STR,		/* scan: .u.buf */
	ATTR_TYPE_SCAN_INT,		/* scan: .u.int_out */
	ATTR_TYPE_SCAN_LONG,		/* scan: .u.long_out */
	ATTR_TYPE_SCAN_DATA,		/* scan: .u.buf */
};

struct attr {
	enum attr_type type;
	const char *name;
	int	is_optional;		/* scan: may be absent */
	union {
		const char *str;
		int	num;
		long	lnum;
		struct {
			const void *ptr;
			size_t	len;
		}	data;
		struct buf *buf;
		int    *int_out;
		long   *long_out;
	}	u;
};

#define ATTR_STR(n, v)	{ .type = ATTR_TYPE_STR, .name = (n), .u.str = (v) }
#define ATTR_INT(n, v)	{ .type = ATTR_TYPE_INT, .name = (n), .u.num = (v) }
#define ATTR_LONG(n, v)	{ .type = ATTR_TYPE_LONG, .name = (n), .u.lnum = (v) }
#define ATTR_DATA(n, p, l) \
	{ .type = ATTR_TYPE_DATA, .name = (n), .u.data = { (p), (l) } }
#define ATTR_END	{ .type = ATTR_TYPE_END }

#define SCAN_STR(n, b)	{ .type = ATTR_TYPE_SCAN_STR, .name = (n), .u.buf = (b) }
#define SCAN_INT(n, p)	{ .type = ATTR_TYPE_SCAN_INT, .name = (n), .u.int_out = (p) }
#define SCAN_LONG(n, p)	{ .type = ATTR_TYPE_SCAN_LONG, .name = (n), .u.long_out = (p) }
#define SCAN_DATA(n, b)	{ .type = ATTR_TYPE_SCAN_DATA, .name = (n), .u.buf = (b) }

#define SCAN_OPT_STR(n, b) \
	{ .type = ATTR_TYPE_SCAN_STR, .name = (n), .is_optional = 1, .u.buf = (b) }
#define SCAN_OPT_INT(n, p) \
	{ .type = ATTR_TYPE_SCAN_INT, .name = (n), .is_optional = 1, .u.int_out = (p) }
#define SCAN_OPT_LONG(n, p) \
	{ .type = ATTR_TYPE_SCAN_LONG, .name = (n), .is_optional = 1, .u.long_out = (p) }
#define SCAN_OPT_DATA(n, b) \
	{ .type = ATTR_TYPE_SCAN_DATA, .name = (n), .is_optional = 1, .u.buf = (b) }

/* ATTR_LIST - an ATTR_END-terminated list as an expression */
#define ATTR_LIST(...)	((const struct attr[]) { __VA_ARGS__, ATTR_END })

int	attr_print(struct stream *s, int flags, const struct attr *list);
int	attr_scan(struct stream *s, int flags, const struct attr *list);
int	attr_scan_full(struct stream *s, int flags, size_t value_limit,
		               const struct attr *list, struct buf *why);
int	attr_scan_dynamic(struct stream *s, int flags, size_t value_limit,
			          struct htable *table, struct buf *why);

int	attr_send_proto(struct stream *s, const char *proto);
int	attr_expect_proto(struct stream *s, const char *proto, struct buf *why);
int	attr_transact(struct stream *s, const struct attr *request,
		              int reply_flags, const struct attr *reply,
		              struct buf *why);
int	attr_request(const char *path, int timeout_s, const char *proto,
		             const struct attr *request, int reply_flags,
		             const struct attr *reply, struct buf *why);

#endif
