/*
 * NAME
 *	record - queue file records
 * SYNOPSIS
 *	#include <global/record.h>
 *
 *	Record I/O
 *	struct rec_io *rec_open(int fd, int mode);
 *	int	rec_close(struct rec_io *rp);
 *	int	rec_flush(struct rec_io *rp);
 *	off_t	rec_tell(const struct rec_io *rp);
 *	int	rec_seek(struct rec_io *rp, off_t offset);
 *	const char *rec_error(const struct rec_io *rp);
 *	int	rec_put(struct rec_io *rp, int type, const void *data, size_t len);
 *	int	rec_fprintf(struct rec_io *rp, int type, const char *fmt, ...);
 *	int	rec_put_text(struct rec_io *rp, const char *text, size_t len,
 *				size_t chunk);
 *	int	rec_get(struct rec_io *rp, struct buf *data, size_t limit,
 *				off_t *offset);
 *
 *	Record types
 *	bool	rec_type_valid(int type);
 *	const char *rec_type_name(int type);
 *
 *	Fixed-width records, updated in place
 *	int	rec_put_size(struct rec_io *rp, const struct rec_size *size);
 *	int	rec_update_size(int fd, const struct rec_size *size);
 *	int	rec_parse_size(const char *data, size_t len, struct rec_size *size);
 *	int	rec_put_warn(struct rec_io *rp, time_t when);
 *	int	rec_update_warn(int fd, off_t offset, time_t when);
 *	int	rec_put_mesg(struct rec_io *rp, off_t xtra_offset);
 *	int	rec_update_mesg(int fd, off_t mesg_offset, off_t xtra_offset);
 *	int	rec_parse_fixed(const char *data, size_t len, long long *value);
 *	int	rec_mark_done(int fd, off_t offset);
 *
 *	Whole files
 *	int	rec_check_file(int fd, struct buf *why);
 *
 *	Envelopes
 *	void	qfile_envelope_init(struct qfile_envelope *env);
 *	void	qfile_envelope_free(struct qfile_envelope *env);
 *	struct qfile_rcpt *qfile_envelope_add_rcpt(struct qfile_envelope *env,
 *				const char *address, const char *orig, int notify);
 *	void	qfile_envelope_add_attr(struct qfile_envelope *env,
 *				const char *name, const char *value);
 *	const char *qfile_envelope_attr(const struct qfile_envelope *env,
 *				const char *name);
 *	int	qfile_read_envelope(int fd, struct qfile_envelope *env,
 *				struct buf *why);
 *	int	qfile_write_envelope(struct rec_io *rp, struct qfile_envelope *env);
 *	int	qfile_write_rcpt(struct rec_io *rp, struct qfile_envelope *env,
 *				struct qfile_rcpt *rcpt);
 *	int	qfile_write_xtra(struct rec_io *rp, struct qfile_envelope *env);
 *	int	qfile_write_end(struct rec_io *rp, int fd,
 *				struct qfile_envelope *env);
 * DESCRIPTION
 *	A queue file is a sequence of records. Each record is one type
 *	byte, the data length as a base-128 number (7 bits per byte, least
 *	significant group first, high bit set on every byte but the last,
 *	1 to REC_LEN_BYTES bytes, shortest form only), then the data. No
 *	record is longer than REC_LEN_MAX bytes.
 *
 *	A file has three segments, in this order:
 *
 *	Envelope: SIZE first, at offset 0 (fixed width, updated in place
 *	when the file is finished), then TIME, FROM (exactly one of each)
 *	and any of FULL, PRIO, ATTR, WARN and recipient groups. A
 *	recipient group is optional ORCP (original recipient before any
 *	rewriting), DORC (DSN ORCPT parameter, "type;address"), NTFY (DSN
 *	NOTIFY mask, decimal, see dsn.h), then RCPT (to be delivered) or
 *	DONE (delivered, bounced or otherwise finished). The segment ends
 *	with MESG, whose fixed-width data is the offset of the XTRA record
 *	so readers can skip the content.
 *
 *	Content: NORM records are lines without their line ending; a line
 *	longer than a writer's limit is stored as one or more CONT pieces
 *	and a closing NORM. The segment ends with XTRA.
 *
 *	Extracted: information learned while reading the content (e.g.
 *	recipients from headers for sendmail -t): ATTR and recipient
 *	groups; then END, which is the last record of the file.
 *
 *	Marking a recipient done is one byte: rec_mark_done() overwrites
 *	the type byte of the RCPT record at the given offset with DONE
 *	(pwrite; the record length does not change), after checking that
 *	the byte there is RCPT or already DONE; anything else is refused
 *	with EINVAL, so a wrong offset can never corrupt a file. WARN
 *	(time a delay warning was sent, 0 if none) and SIZE are likewise
 *	rewritten in place by rec_update_warn() and rec_update_size(), which
 *	check the record's type and length first. Use these on a descriptor
 *	that has no rec_io with unflushed output.
 *
 *	Record I/O. rec_open() wraps a descriptor for buffered reading
 *	(REC_READ) or writing (REC_WRITE), starting at its current offset
 *	(0 when it cannot seek, e.g. a socket). rec_close() flushes a
 *	writer and frees the wrapper, leaving fd open; it returns -1 if any
 *	write failed. rec_tell() is the offset of the next record.
 *	rec_seek() repositions a reader. rec_put() appends a record;
 *	rec_fprintf() formats its data; rec_put_text() stores one text line
 *	as CONT pieces of at most chunk bytes and a final NORM (chunk 0: no
 *	split). Write errors are sticky: after one, every put fails. All
 *	return 0 or -1 with errno, and rec_error() explains.
 *
 *	rec_get() reads the next record into data (binary safe, also null
 *	terminated) and returns its type, with its offset in *offset when
 *	offset is not NULL. It returns REC_TYPE_EOF at a clean end of file
 *	(between records) and REC_TYPE_ERROR for a read error, a truncated
 *	record, a non-canonical length, or data longer than limit (which
 *	is not read); rec_error() tells which. rec_get() does not judge the
 *	type byte: rec_type_valid() does. rec_type_name() returns a short
 *	name for postcat-like tools ("recipient", "done_recipient"...), or
 *	"unknown".
 *
 *	rec_parse_size() and rec_parse_fixed() decode fixed-width data
 *	(0, or -1 with EINVAL). rec_put_size() and friends write the
 *	fixed-width records.
 *
 *	rec_check_file() reads the whole file from offset 0 (moving the
 *	file offset) and returns 0 if it is complete and well formed, or -1
 *	with a reason such as "offset 1234: record length 99999 past end of
 *	file" in why: truncation (no END), unknown types, bad lengths, wrong
 *	segment order, missing TIME/FROM/recipients, broken fixed-width
 *	fields, a MESG pointer that does not point at XTRA, a SIZE record
 *	that disagrees with the file, data after END.
 *
 *	Envelopes. struct qfile_envelope holds what qmgr, showq, qshape and
 *	postcat need without the content; all its strings are malloc'ed and
 *	owned by it. qfile_read_envelope() reads the envelope segment,
 *	seeks over the content via the MESG pointer and reads the extracted
 *	segment, so it never reads message content. It replaces whatever
 *	env held (so one envelope can be reused across many files), and
 *	returns 0, or -1 with a reason in why (the same checks as
 *	rec_check_file() on the records it reads). Each recipient has its
 *	record offset for rec_mark_done() and its done flag.
 *	qfile_envelope_free() releases everything and leaves env empty.
 *
 *	Writing: fill env (sender, arrival, priority, attrs, recipients),
 *	then qfile_write_envelope() writes SIZE..MESG and records the
 *	offsets of MESG, WARN and every recipient in env; write the content
 *	with rec_put_text(); qfile_write_xtra() starts the extracted segment;
 *	qfile_write_rcpt() appends a recipient group there (add the
 *	recipient with qfile_envelope_add_rcpt() first); qfile_write_end()
 *	writes END, flushes, and updates MESG and SIZE in place through fd
 *	(env->size is the content size it stores). The file is then ready
 *	for queue_commit(). env->rcpt_total counts the recipient records
 *	written.
 * SEE ALSO
 *	queue(3), dsn(3) for the NOTIFY mask
 */
#ifndef POSTERN_RECORD_H
#define POSTERN_RECORD_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <time.h>

 /*
  * Record types. The values are part of the on-disk format.
  */
#define REC_TYPE_SIZE	'C'	/* fixed: content size, MESG offset, nrcpt */
#define REC_TYPE_TIME	'T'	/* arrival "seconds microseconds" */
#define REC_TYPE_FROM	'S'	/* sender, internal form, empty = null */
#define REC_TYPE_FULL	'F'	/* sender full name */
#define REC_TYPE_PRIO	'P'	/* priority class: high, normal, bulk */
#define REC_TYPE_ATTR	'A'	/* name=value */
#define REC_TYPE_WARN	'W'	/* fixed: time delay warning was sent, 0 */
#define REC_TYPE_ORCP	'O'	/* original recipient of the next RCPT */
#define REC_TYPE_DORC	'o'	/* DSN ORCPT of the next RCPT */
#define REC_TYPE_NTFY	'Y'	/* DSN NOTIFY mask of the next RCPT */
#define REC_TYPE_RCPT	'R'	/* recipient to be delivered */
#define REC_TYPE_DONE	'D'	/* recipient finished (was RCPT) */
#define REC_TYPE_MESG	'M'	/* fixed: offset of XTRA; content follows */
#define REC_TYPE_NORM	'N'	/* content line, or last piece of one */
#define REC_TYPE_CONT	'L'	/* piece of a long content line */
#define REC_TYPE_XTRA	'X'	/* start of the extracted segment */
#define REC_TYPE_END	'E'	/* end of file */

#define REC_TYPE_EOF	(-1)	/* rec_get(): clean end of input */
#define REC_TYPE_ERROR	(-2)	/* rec_get(): bad or unreadable record */

#define REC_LEN_BYTES	4	/* at most 4 length bytes */
#define REC_LEN_MAX	((1UL << 28) - 1)
#define REC_FIXED_WIDTH	15	/* digits of one fixed-width number */
#define REC_SIZE_LEN	(3 * REC_FIXED_WIDTH + 2)	/* "%15 %15 %15" */
#define REC_ENVELOPE_LIMIT	(1 << 20)	/* record limit for readers */

#define REC_READ	1
#define REC_WRITE	2

struct rec_io;

 /*
  * The SIZE record.
  */
struct rec_size {
	off_t	content_size;		/* message size, as Postfix's size= */
	off_t	content_offset;		/* offset of the MESG record */
	long	rcpt_count;		/* RCPT + DONE records in the file */
};

 /*
  * Envelope in memory.
  */
struct qfile_rcpt {
	char   *address;		/* internal form */
	char   *orig;			/* original recipient, or NULL */
	char   *dsn_orcpt;		/* DSN ORCPT "type;addr", or NULL */
	int	notify;			/* DSN_NOTIFY_* mask, 0 = not given */
	off_t	offset;			/* of the RCPT/DONE record, -1 unknown */
	bool	is_done;
};

struct qfile_attr {
	char   *name;
	char   *value;
};

struct qfile_envelope {
	time_t	arrival;		/* TIME seconds */
	long	arrival_usec;		/* TIME microseconds */
	off_t	size;			/* content size (SIZE record) */
	long	rcpt_total;		/* recipient count (SIZE record) */
	char   *sender;			/* "" for the null sender */
	char   *full_name;		/* or NULL */
	char   *priority;		/* or NULL */
	time_t	warn_time;		/* WARN value, 0 = no warning sent */
	off_t	warn_offset;		/* of the WARN record, -1 if none */
	off_t	mesg_offset;		/* of the MESG record */
	off_t	xtra_offset;		/* of the XTRA record */
	struct qfile_rcpt *rcpts;
	size_t	rcpt_count;
	size_t	rcpt_cap;
	struct qfile_attr *attrs;
	size_t	attr_count;
	size_t	attr_cap;
};

struct rec_io *rec_open(int fd, int mode);
int	rec_close(struct rec_io *rp);
int	rec_flush(struct rec_io *rp);
off_t	rec_tell(const struct rec_io *rp);
int	rec_seek(struct rec_io *rp, off_t offset);
const char *rec_error(const struct rec_io *rp);
int	rec_put(struct rec_io *rp, int type, const void *data, size_t len);
int	rec_fprintf(struct rec_io *rp, int type, const char *fmt, ...) PRINTFLIKE(3, 4);
int	rec_put_text(struct rec_io *rp, const char *text, size_t len, size_t chunk);
int	rec_get(struct rec_io *rp, struct buf *data, size_t limit, off_t *offset);

bool	rec_type_valid(int type);
const char *rec_type_name(int type);

int	rec_put_size(struct rec_io *rp, const struct rec_size *size);
int	rec_update_size(int fd, const struct rec_size *size);
int	rec_parse_size(const char *data, size_t len, struct rec_size *size);
int	rec_put_warn(struct rec_io *rp, time_t when);
int	rec_update_warn(int fd, off_t offset, time_t when);
int	rec_put_mesg(struct rec_io *rp, off_t xtra_offset);
int	rec_update_mesg(int fd, off_t mesg_offset, off_t xtra_offset);
int	rec_parse_fixed(const char *data, size_t len, long long *value);
int	rec_mark_done(int fd, off_t offset);

int	rec_check_file(int fd, struct buf *why);

void	qfile_envelope_init(struct qfile_envelope *env);
void	qfile_envelope_free(struct qfile_envelope *env);
struct qfile_rcpt *qfile_envelope_add_rcpt(struct qfile_envelope *env,
		const char *address, const char *orig, int notify);
void	qfile_envelope_add_attr(struct qfile_envelope *env, const char *name,
		const char *value);
const char *qfile_envelope_attr(const struct qfile_envelope *env, const char *name);
int	qfile_read_envelope(int fd, struct qfile_envelope *env, struct buf *why);
int	qfile_write_envelope(struct rec_io *rp, struct qfile_envelope *env);
int	qfile_write_rcpt(struct rec_io *rp, struct qfile_envelope *env,
		struct qfile_rcpt *rcpt);
int	qfile_write_xtra(struct rec_io *rp, struct qfile_envelope *env);
int	qfile_write_end(struct rec_io *rp, int fd, struct qfile_envelope *env);

#endif
