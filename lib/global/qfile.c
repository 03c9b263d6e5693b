/*
 * NAME
 *	qfile - whole queue files: structure check and envelopes
 * DESCRIPTION
 *	See record.h. One record-by-record checker (struct qfile_check)
 *	enforces the segment grammar; rec_check_file() feeds it every
 *	record of a file, qfile_read_envelope() only the envelope and
 *	extracted segments, so both reject the same damage.
 */
#include <util/sys_defs.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>
#include <global/dsn.h>
#include <global/record.h>

enum qfile_segment {
	QFILE_SEG_ENVELOPE, QFILE_SEG_CONTENT, QFILE_SEG_EXTRACTED, QFILE_SEG_END,
};

 /*
  * Checker state. group holds the mask of ORCP/DORC/NTFY records seen
  * since the last recipient.
  */
struct qfile_check {
	enum qfile_segment segment;
	long	nrecords;
	int	ntime;
	int	nfrom;
	int	group;
	bool	in_line;		/* last content record was CONT */
	long	nrcpt;
	struct rec_size size;
	off_t	mesg_offset;
	off_t	xtra_pointer;
};

#define QFILE_GROUP_ORCP	(1 << 0)
#define QFILE_GROUP_DORC	(1 << 1)
#define QFILE_GROUP_NTFY	(1 << 2)

static int qfile_bad(struct buf *, off_t, const char *,...) PRINTFLIKE(3, 4);

/* qfile_bad - format a reason; always -1 */
static int
qfile_bad(struct buf *why, off_t offset, const char *fmt,...)
{
	va_list	ap;

	buf_printf(why, "offset %lld: ", (long long) offset);
	va_start(ap, fmt);
	buf_vappendf(why, fmt, ap);
	va_end(ap);
	errno = EINVAL;
	return (-1);
}

/* qfile_check_init - start checking a file */
static void
qfile_check_init(struct qfile_check *ck)
{
	memset(ck, 0, sizeof(*ck));
	ck->segment = QFILE_SEG_ENVELOPE;
}

/* qfile_parse_time - "seconds microseconds" */
static int
qfile_parse_time(const char *data, time_t *sec, long *usec)
{
	size_t	slen = strspn(data, "0123456789");
	size_t	ulen;

	/* Digits only: no signs, no blanks, no overflow. */
	if (slen == 0 || slen > 15 || data[slen] != ' ')
		return (-1);
	ulen = strspn(data + slen + 1, "0123456789");
	if (ulen == 0 || ulen > 6 || data[slen + 1 + ulen] != 0)
		return (-1);
	*sec = (time_t) strtoll(data, NULL, 10);
	*usec = strtol(data + slen + 1, NULL, 10);
	return (0);
}

/* qfile_parse_notify - NTFY data: a decimal DSN_NOTIFY_* mask */
static int
qfile_parse_notify(const char *data)
{
	char   *end;
	long	mask;

	if (*data < '0' || *data > '9')
		return (-1);
	mask = strtol(data, &end, 10);
	if (*end != 0 || mask <= 0
	    || (mask & ~(long) (DSN_NOTIFY_NEVER | DSN_NOTIFY_ANY))
	    || ((mask & DSN_NOTIFY_NEVER) && mask != DSN_NOTIFY_NEVER))
		return (-1);
	return ((int) mask);
}

/* qfile_attr_ok - ATTR data is name=value with a sane name */
static bool
qfile_attr_ok(const char *data)
{
	const char *cp;

	for (cp = data; *cp && *cp != '='; cp++)
		if (!((*cp >= 'a' && *cp <= 'z') || (*cp >= 'A' && *cp <= 'Z')
		      || (*cp >= '0' && *cp <= '9') || *cp == '_' || *cp == '-'))
			return (false);
	return (cp > data && *cp == '=');
}

/* qfile_check_group - ORCP, DORC, NTFY and the recipient they qualify */
static int
qfile_check_group(struct qfile_check *ck, int type, const struct buf *data,
		  off_t offset, struct buf *why)
{
	int	bit;

	switch (type) {
	case REC_TYPE_ORCP:
		bit = QFILE_GROUP_ORCP;
		break;
	case REC_TYPE_DORC:
		bit = QFILE_GROUP_DORC;
		break;
	case REC_TYPE_NTFY:
		if (qfile_parse_notify(buf_str(data)) < 0)
			return (qfile_bad(why, offset, "bad notify flags \"%s\"",
					  buf_str(data)));
		bit = QFILE_GROUP_NTFY;
		break;
	default:			/* RCPT or DONE */
		if (buf_len(data) == 0)
			return (qfile_bad(why, offset, "empty recipient"));
		ck->group = 0;
		ck->nrcpt++;
		return (0);
	}
	if (ck->group & bit)
		return (qfile_bad(why, offset, "duplicate %s record",
				  rec_type_name(type)));
	ck->group |= bit;
	return (0);
}

/* qfile_check_envelope - one record of the envelope segment */
static int
qfile_check_envelope(struct qfile_check *ck, int type, const struct buf *data,
		     off_t offset, struct buf *why)
{
	time_t	sec;
	long	usec;
	long long value;

	switch (type) {
	case REC_TYPE_TIME:
		if (ck->ntime++ > 0)
			return (qfile_bad(why, offset, "duplicate arrival time record"));
		if (qfile_parse_time(buf_str(data), &sec, &usec) < 0)
			return (qfile_bad(why, offset, "bad arrival time \"%s\"", buf_str(data)));
		return (0);
	case REC_TYPE_FROM:
		if (ck->nfrom++ > 0)
			return (qfile_bad(why, offset, "duplicate sender record"));
		return (0);
	case REC_TYPE_FULL:
	case REC_TYPE_PRIO:
		return (0);
	case REC_TYPE_WARN:
		if (rec_parse_fixed(buf_str(data), buf_len(data), &value) < 0)
			return (qfile_bad(why, offset, "bad warning time record"));
		return (0);
	case REC_TYPE_MESG:
		if (ck->group)
			return (qfile_bad(why, offset, "recipient attributes without recipient"));
		if (ck->ntime == 0 || ck->nfrom == 0)
			return (qfile_bad(why, offset, "envelope without %s record",
					  ck->ntime ? "sender" : "arrival time"));
		if (rec_parse_fixed(buf_str(data), buf_len(data), &value) < 0)
			return (qfile_bad(why, offset, "bad content pointer"));
		ck->xtra_pointer = (off_t) value;
		ck->mesg_offset = offset;
		ck->segment = QFILE_SEG_CONTENT;
		return (0);
	default:
		return (qfile_bad(why, offset, "unexpected %s record in envelope segment",
				  rec_type_name(type)));
	}
}

/* qfile_check_end - the END record: totals must agree */
static int
qfile_check_end(struct qfile_check *ck, off_t offset, struct buf *why)
{
	if (ck->group)
		return (qfile_bad(why, offset, "recipient attributes without recipient"));
	if (ck->nrcpt == 0)
		return (qfile_bad(why, offset, "no recipients"));
	if (ck->size.rcpt_count != ck->nrcpt)
		return (qfile_bad(why, 0, "size record says %ld recipients, file has %ld",
				  ck->size.rcpt_count, ck->nrcpt));
	if (ck->size.content_offset != ck->mesg_offset)
		return (qfile_bad(why, 0, "size record content offset %lld, content at %lld",
				  (long long) ck->size.content_offset,
				  (long long) ck->mesg_offset));
	ck->segment = QFILE_SEG_END;
	return (0);
}

/* qfile_check_record - feed one record to the checker */
static int
qfile_check_record(struct qfile_check *ck, int type, const struct buf *data,
		   off_t offset, struct buf *why)
{
	if (!rec_type_valid(type))
		return (qfile_bad(why, offset, "unknown record type 0x%02x", type & 0xff));
	if (ck->nrecords++ == 0) {
		if (type != REC_TYPE_SIZE || offset != 0)
			return (qfile_bad(why, offset, "file does not start with a size record"));
		if (rec_parse_size(buf_str(data), buf_len(data), &ck->size) < 0)
			return (qfile_bad(why, offset, "bad size record"));
		return (0);
	}
	if (ck->segment == QFILE_SEG_END)
		return (qfile_bad(why, offset, "data after end of file record"));
	if (type != REC_TYPE_NORM && type != REC_TYPE_CONT
	    && memchr(buf_str(data), 0, buf_len(data)) != NULL)
		return (qfile_bad(why, offset, "null byte in %s record",
				  rec_type_name(type)));
	if (ck->segment == QFILE_SEG_CONTENT) {
		if (type == REC_TYPE_NORM || type == REC_TYPE_CONT) {
			ck->in_line = (type == REC_TYPE_CONT);
			return (0);
		}
		if (type != REC_TYPE_XTRA)
			return (qfile_bad(why, offset, "unexpected %s record in content segment",
					  rec_type_name(type)));
		if (ck->in_line)
			return (qfile_bad(why, offset, "content ends in a partial line"));
		if (ck->xtra_pointer != offset)
			return (qfile_bad(why, ck->mesg_offset, "content pointer %lld, extracted segment at %lld",
					  (long long) ck->xtra_pointer, (long long) offset));
		ck->segment = QFILE_SEG_EXTRACTED;
		return (0);
	}
	switch (type) {
	case REC_TYPE_ORCP:
	case REC_TYPE_DORC:
	case REC_TYPE_NTFY:
	case REC_TYPE_RCPT:
	case REC_TYPE_DONE:
		return (qfile_check_group(ck, type, data, offset, why));
	case REC_TYPE_ATTR:
		if (!qfile_attr_ok(buf_str(data)))
			return (qfile_bad(why, offset, "bad named attribute"));
		return (0);
	}
	if (ck->segment == QFILE_SEG_ENVELOPE)
		return (qfile_check_envelope(ck, type, data, offset, why));
	if (type == REC_TYPE_END)
		return (qfile_check_end(ck, offset, why));
	return (qfile_bad(why, offset, "unexpected %s record in extracted segment",
			  rec_type_name(type)));
}

/* qfile_check_eof - what to say about the end of input */
static int
qfile_check_eof(struct qfile_check *ck, int type, struct rec_io *rp,
		struct buf *why)
{
	if (type == REC_TYPE_ERROR) {
		buf_cpy(why, rec_error(rp));
		return (-1);
	}
	if (ck->nrecords == 0)
		return (qfile_bad(why, 0, "empty file"));
	if (ck->segment != QFILE_SEG_END)
		return (qfile_bad(why, rec_tell(rp), "premature end of file (no end record)"));
	return (0);
}

/* rec_check_file - check a whole queue file */
int
rec_check_file(int fd, struct buf *why)
{
	struct qfile_check ck;
	struct rec_io *rp;
	struct buf *data;
	off_t	offset;
	int	type, status = 0;

	if (lseek(fd, 0, SEEK_SET) < 0) {
		buf_printf(why, "seek: %m");
		return (-1);
	}
	qfile_check_init(&ck);
	rp = rec_open(fd, REC_READ);
	data = buf_new(1024);
	while ((type = rec_get(rp, data, REC_LEN_MAX, &offset)) >= 0)
		if ((status = qfile_check_record(&ck, type, data, offset, why)) < 0)
			break;
	if (type < 0)
		status = qfile_check_eof(&ck, type, rp, why);
	buf_free(data);
	(void) rec_close(rp);
	return (status);
}

/* qfile_envelope_init - empty envelope */
void
qfile_envelope_init(struct qfile_envelope *env)
{
	memset(env, 0, sizeof(*env));
	env->warn_offset = -1;
}

/* qfile_envelope_free - release everything, leave env empty */
void
qfile_envelope_free(struct qfile_envelope *env)
{
	size_t	i;

	for (i = 0; i < env->rcpt_count; i++) {
		free(env->rcpts[i].address);
		free(env->rcpts[i].orig);
		free(env->rcpts[i].dsn_orcpt);
	}
	for (i = 0; i < env->attr_count; i++) {
		free(env->attrs[i].name);
		free(env->attrs[i].value);
	}
	free(env->rcpts);
	free(env->attrs);
	free(env->sender);
	free(env->full_name);
	free(env->priority);
	qfile_envelope_init(env);
}

/* qfile_envelope_add_rcpt - append a recipient */
struct qfile_rcpt *
qfile_envelope_add_rcpt(struct qfile_envelope *env, const char *address,
			const char *orig, int notify)
{
	struct qfile_rcpt *rcpt;

	if (env->rcpt_count == env->rcpt_cap) {
		env->rcpt_cap = env->rcpt_cap ? 2 * env->rcpt_cap : 8;
		env->rcpts = xreallocarray(env->rcpts, env->rcpt_cap, sizeof(*rcpt));
	}
	rcpt = env->rcpts + env->rcpt_count++;
	rcpt->address = xstrdup(address);
	rcpt->orig = orig ? xstrdup(orig) : NULL;
	rcpt->dsn_orcpt = NULL;
	rcpt->notify = notify;
	rcpt->offset = -1;
	rcpt->is_done = false;
	return (rcpt);
}

/* qfile_envelope_add_attr - append a named attribute */
void
qfile_envelope_add_attr(struct qfile_envelope *env, const char *name,
			const char *value)
{
	if (env->attr_count == env->attr_cap) {
		env->attr_cap = env->attr_cap ? 2 * env->attr_cap : 8;
		env->attrs = xreallocarray(env->attrs, env->attr_cap,
					   sizeof(*env->attrs));
	}
	env->attrs[env->attr_count].name = xstrdup(name);
	env->attrs[env->attr_count].value = xstrdup(value);
	env->attr_count++;
}

/* qfile_envelope_attr - value of a named attribute, last one wins */
const char *
qfile_envelope_attr(const struct qfile_envelope *env, const char *name)
{
	size_t	i;

	for (i = env->attr_count; i > 0; i--)
		if (strcmp(env->attrs[i - 1].name, name) == 0)
			return (env->attrs[i - 1].value);
	return (NULL);
}

 /*
  * Reader state for the recipient group being assembled.
  */
struct qfile_pending {
	char   *orig;
	char   *dsn_orcpt;
	int	notify;
};

/* qfile_read_store - keep what a checked record says */
static void
qfile_read_store(struct qfile_envelope *env, struct qfile_pending *pend,
		 int type, const struct buf *data, off_t offset)
{
	const char *str = buf_str(data);
	struct qfile_rcpt *rcpt;
	char   *eq;

	switch (type) {
	case REC_TYPE_SIZE:
		env->size = (off_t) strtoll(str, NULL, 10);
		env->rcpt_total = strtol(str + 2 * (REC_FIXED_WIDTH + 1), NULL, 10);
		break;
	case REC_TYPE_TIME:
		(void) qfile_parse_time(str, &env->arrival, &env->arrival_usec);
		break;
	case REC_TYPE_FROM:
		env->sender = xstrdup(str);
		break;
	case REC_TYPE_FULL:
		free(env->full_name);
		env->full_name = xstrdup(str);
		break;
	case REC_TYPE_PRIO:
		free(env->priority);
		env->priority = xstrdup(str);
		break;
	case REC_TYPE_WARN:
		env->warn_time = (time_t) strtoll(str, NULL, 10);
		env->warn_offset = offset;
		break;
	case REC_TYPE_ATTR:
		eq = strchr(str, '=');
		*eq = 0;
		qfile_envelope_add_attr(env, str, eq + 1);
		*eq = '=';
		break;
	case REC_TYPE_ORCP:
		pend->orig = xstrdup(str);
		break;
	case REC_TYPE_DORC:
		pend->dsn_orcpt = xstrdup(str);
		break;
	case REC_TYPE_NTFY:
		pend->notify = qfile_parse_notify(str);
		break;
	case REC_TYPE_RCPT:
	case REC_TYPE_DONE:
		rcpt = qfile_envelope_add_rcpt(env, str, NULL, pend->notify);
		rcpt->orig = pend->orig;
		rcpt->dsn_orcpt = pend->dsn_orcpt;
		rcpt->offset = offset;
		rcpt->is_done = (type == REC_TYPE_DONE);
		memset(pend, 0, sizeof(*pend));
		break;
	case REC_TYPE_MESG:
		env->mesg_offset = offset;
		break;
	case REC_TYPE_XTRA:
		env->xtra_offset = offset;
		break;
	}
}

/* qfile_read_segment - read and check records until the stop type */
static int
qfile_read_segment(struct rec_io *rp, struct qfile_check *ck,
		   struct qfile_envelope *env, struct qfile_pending *pend,
		   int stop, struct buf *data, struct buf *why)
{
	off_t	offset;
	int	type;

	for (;;) {
		if ((type = rec_get(rp, data, REC_ENVELOPE_LIMIT, &offset)) < 0)
			return (qfile_check_eof(ck, type, rp, why) < 0 ? -1 : 0);
		if (qfile_check_record(ck, type, data, offset, why) < 0)
			return (-1);
		qfile_read_store(env, pend, type, data, offset);
		if (type == stop)
			return (0);
	}
}

/* qfile_read_worker - read an envelope; the caller cleans up */
static int
qfile_read_worker(struct rec_io *rp, struct qfile_envelope *env,
		  struct qfile_pending *pend, struct buf *data, struct buf *why)
{
	struct qfile_check ck;
	off_t	offset;
	int	type;

	qfile_check_init(&ck);
	if (qfile_read_segment(rp, &ck, env, pend, REC_TYPE_MESG, data, why) < 0)
		return (-1);
	if (ck.xtra_pointer <= ck.mesg_offset)
		return (qfile_bad(why, ck.mesg_offset, "incomplete file: no content pointer"));
	if (rec_seek(rp, ck.xtra_pointer) < 0) {
		buf_cpy(why, rec_error(rp));
		return (-1);
	}
	/* The pointer must land exactly on the XTRA record. */
	type = rec_get(rp, data, REC_ENVELOPE_LIMIT, &offset);
	if (type != REC_TYPE_XTRA)
		return (qfile_bad(why, ck.mesg_offset, "content pointer %lld does not point at the extracted segment",
				  (long long) ck.xtra_pointer));
	if (qfile_check_record(&ck, type, data, offset, why) < 0)
		return (-1);
	qfile_read_store(env, pend, type, data, offset);
	if (qfile_read_segment(rp, &ck, env, pend, REC_TYPE_END, data, why) < 0)
		return (-1);
	if ((type = rec_get(rp, data, 0, &offset)) != REC_TYPE_EOF)
		return (qfile_bad(why, offset, "data after end of file record"));
	return (0);
}

/* qfile_read_envelope - read envelope and extracted segments */
int
qfile_read_envelope(int fd, struct qfile_envelope *env, struct buf *why)
{
	struct qfile_pending pend;
	struct rec_io *rp;
	struct buf *data;
	int	status;

	qfile_envelope_free(env);
	if (lseek(fd, 0, SEEK_SET) < 0) {
		buf_printf(why, "seek: %m");
		return (-1);
	}
	memset(&pend, 0, sizeof(pend));
	rp = rec_open(fd, REC_READ);
	data = buf_new(256);
	if ((status = qfile_read_worker(rp, env, &pend, data, why)) < 0)
		qfile_envelope_free(env);
	free(pend.orig);
	free(pend.dsn_orcpt);
	buf_free(data);
	(void) rec_close(rp);
	return (status);
}

/* qfile_write_rcpt - one recipient group */
int
qfile_write_rcpt(struct rec_io *rp, struct qfile_envelope *env,
		 struct qfile_rcpt *rcpt)
{
	if ((rcpt->orig && rec_fprintf(rp, REC_TYPE_ORCP, "%s", rcpt->orig) < 0)
	    || (rcpt->dsn_orcpt
		&& rec_fprintf(rp, REC_TYPE_DORC, "%s", rcpt->dsn_orcpt) < 0)
	    || (rcpt->notify
		&& rec_fprintf(rp, REC_TYPE_NTFY, "%d", rcpt->notify) < 0))
		return (-1);
	rcpt->offset = rec_tell(rp);
	if (rec_fprintf(rp, rcpt->is_done ? REC_TYPE_DONE : REC_TYPE_RCPT,
			"%s", rcpt->address) < 0)
		return (-1);
	env->rcpt_total++;
	return (0);
}

/* qfile_write_envelope - SIZE through MESG */
int
qfile_write_envelope(struct rec_io *rp, struct qfile_envelope *env)
{
	struct rec_size size = {env->size, 0, 0};
	size_t	i;

	if (rec_tell(rp) != 0 || env->sender == NULL) {
		errno = EINVAL;
		return (-1);
	}
	env->rcpt_total = 0;
	if (rec_put_size(rp, &size) < 0
	    || rec_fprintf(rp, REC_TYPE_TIME, "%lld %ld",
			   (long long) env->arrival, env->arrival_usec) < 0
	    || rec_fprintf(rp, REC_TYPE_FROM, "%s", env->sender) < 0
	    || (env->full_name
		&& rec_fprintf(rp, REC_TYPE_FULL, "%s", env->full_name) < 0)
	    || (env->priority
		&& rec_fprintf(rp, REC_TYPE_PRIO, "%s", env->priority) < 0))
		return (-1);
	for (i = 0; i < env->attr_count; i++)
		if (rec_fprintf(rp, REC_TYPE_ATTR, "%s=%s", env->attrs[i].name,
				env->attrs[i].value) < 0)
			return (-1);
	env->warn_offset = rec_tell(rp);
	if (rec_put_warn(rp, env->warn_time) < 0)
		return (-1);
	for (i = 0; i < env->rcpt_count; i++)
		if (qfile_write_rcpt(rp, env, env->rcpts + i) < 0)
			return (-1);
	env->mesg_offset = rec_tell(rp);
	return (rec_put_mesg(rp, 0));
}

/* qfile_write_xtra - start the extracted segment */
int
qfile_write_xtra(struct rec_io *rp, struct qfile_envelope *env)
{
	env->xtra_offset = rec_tell(rp);
	return (rec_put(rp, REC_TYPE_XTRA, "", 0));
}

/* qfile_write_end - END record, then fix MESG and SIZE in place */
int
qfile_write_end(struct rec_io *rp, int fd, struct qfile_envelope *env)
{
	struct rec_size size;

	if (env->xtra_offset <= env->mesg_offset) {
		errno = EINVAL;
		return (-1);
	}
	if (rec_put(rp, REC_TYPE_END, "", 0) < 0 || rec_flush(rp) < 0)
		return (-1);
	size.content_size = env->size;
	size.content_offset = env->mesg_offset;
	size.rcpt_count = env->rcpt_total;
	if (rec_update_mesg(fd, env->mesg_offset, env->xtra_offset) < 0
	    || rec_update_size(fd, &size) < 0)
		return (-1);
	return (0);
}
