/*
 * NAME
 *	postcat_dump - queue file records as text
 * SYNOPSIS
 *	#include "postcat.h"
 * DESCRIPTION
 *	See postcat.h. A small state machine (envelope, header, body)
 *	decides what to show, as Postfix's postcat does: MESG starts the
 *	header, the first content line that is not a header or a header
 *	continuation starts the body, XTRA goes back to envelope records,
 *	END ends the file.
 * SEE ALSO
 *	postcat(1)
 */
#include <util/sys_defs.h>
#include <time.h>
#include <util/msg.h>
#include <global/mail_proto.h>
#include <global/record.h>

#include "postcat.h"

enum pc_part {
	PC_STATE_ENV, PC_STATE_HEADER, PC_STATE_BODY,
};

struct pc_state {
	FILE   *out;
	const char *path;
	int	flags;
	enum pc_part state;
	int	do_print;
	int	prev_type;
};

/* postcat_is_header - "Name:" at the start of a line */

int
postcat_is_header(const char *line, size_t len)
{
	size_t	i = 0;
	unsigned char ch;

	while (i < len && (ch = (unsigned char) line[i]) > ' ' && ch != 0x7f && ch != ':')
		i++;
	if (i == 0)
		return (0);
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return (i < len && line[i] == ':');
}

/* pc_prefix - offset and decimal type, when asked for */

static void
pc_prefix(struct pc_state *pc, off_t offset, int type)
{
	if (pc->flags & PC_FLAG_PRINT_OFFSET)
		fprintf(pc->out, "%9lu ", (unsigned long) offset);
	if (pc->flags & PC_FLAG_PRINT_RTYPE_DEC)
		fprintf(pc->out, "%3d ", type);
}

/* pc_marker - "*** TEXT path ***" */

static void
pc_marker(struct pc_state *pc, off_t offset, int type, const char *text)
{
	if ((pc->flags & PC_FLAG_PRINT_ENV) == 0)
		return;
	pc_prefix(pc, offset, type);
	fprintf(pc->out, "*** %s %s ***\n", text, pc->path);
}

/* pc_date - "name: " and an asctime(3) date */

static void
pc_date(struct pc_state *pc, int type, long long when)
{
	time_t	t = (time_t) when;
	struct tm tm;
	char	text[64];

	if (localtime_r(&t, &tm) == NULL
	    || strftime(text, sizeof(text), "%a %b %e %H:%M:%S %Y", &tm) == 0)
		snprintf(text, sizeof(text), "%lld", when);
	fprintf(pc->out, "%s: %s\n", rec_type_name(type), text);
}

/* pc_attr - named attribute, create_time as a date */

static void
pc_attr(struct pc_state *pc, const struct buf *data)
{
	const char *eq = strchr(buf_str(data), '=');
	size_t	name_len = eq ? (size_t) (eq - buf_str(data)) : 0;
	time_t	t;
	struct tm tm;
	char	text[64];

	if (eq && name_len == strlen(MAIL_ATTR_CREATE_TIME)
	    && strncmp(buf_str(data), MAIL_ATTR_CREATE_TIME, name_len) == 0) {
		t = (time_t) atoll(eq + 1);
		if (localtime_r(&t, &tm) != NULL
		    && strftime(text, sizeof(text), "%a %b %e %H:%M:%S %Y", &tm) > 0) {
			fprintf(pc->out, "%s: %s\n", MAIL_ATTR_CREATE_TIME, text);
			return;
		}
	}
	fprintf(pc->out, "%s: %s\n", rec_type_name(REC_TYPE_ATTR), buf_str(data));
}

/* pc_show - one record that has no effect on the state machine */

static void
pc_show(struct pc_state *pc, int type, const struct buf *data, off_t offset)
{
	long long value = 0;

	pc_prefix(pc, offset, type);
	switch (type) {
	case REC_TYPE_TIME:
		pc_date(pc, type, atoll(buf_str(data)));
		break;
	case REC_TYPE_WARN:
		(void) rec_parse_fixed(buf_str(data), buf_len(data), &value);
		if (value == 0)			/* no delay warning sent */
			fprintf(pc->out, "%s: 0\n", rec_type_name(type));
		else
			pc_date(pc, type, value);
		break;
	case REC_TYPE_CONT:
		fwrite(buf_str(data), 1, buf_len(data), pc->out);
		if (msg_verbose || (pc->flags & PC_FLAG_PRINT_OFFSET)) {
			type = 0;
			putc('\n', pc->out);
		}
		break;
	case REC_TYPE_NORM:
		fwrite(buf_str(data), 1, buf_len(data), pc->out);
		putc('\n', pc->out);
		break;
	case REC_TYPE_ATTR:
		pc_attr(pc, data);
		break;
	default:
		fprintf(pc->out, "%s: %s\n", rec_type_name(type), buf_str(data));
		break;
	}
	pc->prev_type = type;
}

/* pc_text_state - the first non-header line starts the body */

static void
pc_text_state(struct pc_state *pc, const struct buf *data)
{
	if (pc->state == PC_STATE_HEADER && pc->prev_type != REC_TYPE_CONT
	    && !postcat_is_header(buf_str(data), buf_len(data))
	    && !(buf_len(data) > 0 && (buf_str(data)[0] == ' '
				       || buf_str(data)[0] == '\t'))) {
		pc->state = PC_STATE_BODY;
		pc->do_print = pc->flags & PC_FLAG_PRINT_BODY;
	}
}

/* pc_record - one record; 1 after END */

static int
pc_record(struct pc_state *pc, int type, const struct buf *data, off_t offset)
{
	switch (type) {
	case REC_TYPE_NORM:
	case REC_TYPE_CONT:
		pc_text_state(pc, data);
		break;
	case REC_TYPE_MESG:
		pc_marker(pc, offset, type, "MESSAGE CONTENTS");
		pc->state = PC_STATE_HEADER;
		pc->do_print = pc->flags & PC_FLAG_PRINT_HEADER;
		pc->prev_type = type;
		return (0);
	case REC_TYPE_XTRA:
		if (pc->do_print && pc->prev_type == REC_TYPE_CONT)
			putc('\n', pc->out);
		pc_marker(pc, offset, type, "HEADER EXTRACTED");
		pc->state = PC_STATE_ENV;
		pc->do_print = pc->flags & PC_FLAG_PRINT_ENV;
		pc->prev_type = type;
		return (0);
	case REC_TYPE_END:
		pc_marker(pc, offset, type, "MESSAGE FILE END");
		return (1);
	}
	if (pc->do_print)
		pc_show(pc, type, data, offset);
	else
		pc->prev_type = type;
	return (0);
}

/* pc_first - the first record must be an envelope record */

static int
pc_first(struct pc_state *pc, int type, off_t offset, struct buf *why)
{
	if (type != REC_TYPE_SIZE && type != REC_TYPE_TIME
	    && type != REC_TYPE_FROM && type != REC_TYPE_FULL) {
		buf_printf(why, "offset %lld: input is not a valid queue file",
			   (long long) offset);
		return (-1);
	}
	pc_marker(pc, offset, type, "ENVELOPE RECORDS");
	return (0);
}

/* postcat_dump - show one queue file */

int
postcat_dump(int fd, const char *path, int flags, FILE *out, struct buf *why)
{
	struct pc_state pc = {.out = out, .path = path, .flags = flags,
	.state = PC_STATE_ENV, .do_print = flags & PC_FLAG_PRINT_ENV};
	struct rec_io *rp = rec_open(fd, REC_READ);
	struct buf *data = buf_new(1024);
	off_t	offset = 0;
	int	type, status = -1, nrec = 0;

	for (;;) {
		type = rec_get(rp, data, REC_LEN_MAX, &offset);
		if (type == REC_TYPE_ERROR && nrec == 0) {
			buf_cpy(why, "offset 0: input is not a valid queue file");
			break;
		}
		if (type == REC_TYPE_ERROR) {
			buf_cpy(why, rec_error(rp));
			break;
		}
		if (type == REC_TYPE_EOF) {
			buf_printf(why, "offset %lld: %s", (long long) rec_tell(rp),
				   nrec ? "premature end of file (no end record)"
				   : "empty file");
			break;
		}
		if (nrec++ == 0 && pc_first(&pc, type, offset, why) < 0)
			break;
		if (!rec_type_valid(type)) {
			buf_printf(why, "offset %lld: unknown record type 0x%02x",
				   (long long) offset, type & 0xff);
			break;
		}
		if (pc_record(&pc, type, data, offset) > 0) {
			status = 0;
			break;
		}
	}
	if (status < 0 && pc.prev_type == REC_TYPE_CONT && pc.do_print)
		putc('\n', out);
	(void) rec_close(rp);
	buf_free(data);
	return (status);
}
