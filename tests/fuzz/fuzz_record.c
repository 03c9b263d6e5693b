/*
 * NAME
 *	fuzz_record - libFuzzer target for the queue file record reader
 * SYNOPSIS
 *	build/fuzz/bin/fuzz_record [libFuzzer options] [corpus...]
 * DESCRIPTION
 *	The input is a queue file. It is stored in an in-memory file and
 *	read the three ways Postern reads queue files: rec_check_file()
 *	(postsuper, qmgr before import), qfile_read_envelope() (qmgr,
 *	showq) and a rec_get() loop with a small record limit (postcat),
 *	which also decodes the fixed-width SIZE, WARN and MESG records.
 *
 *	Invariants checked besides memory safety: a file that
 *	rec_check_file() accepts is also read by qfile_read_envelope(),
 *	whose recipients all have record offsets inside the file; rec_get()
 *	returns only offsets that increase and lie inside the file, and
 *	data no longer than its limit; a failed read leaves the envelope
 *	empty.
 * SEE ALSO
 *	record(3), tests/fuzz/corpus/fuzz_record, docs/fuzzing.md
 */
#include <util/sys_defs.h>
#include <unistd.h>
#include <global/record.h>
#include "fuzz_util.h"

#define FUZZ_RECORD_LIMIT	1024	/* rec_get() limit of the loop */

static int fuzz_record_fd = -1;

/* fuzz_record_fixed - decode a fixed-width record as a reader would */
static void
fuzz_record_fixed(int type, const struct buf *data)
{
	struct rec_size size;
	long long value;

	if (type == REC_TYPE_SIZE) {
		if (rec_parse_size(buf_str(data), buf_len(data), &size) == 0
		    && (size.content_size < 0 || size.content_offset < 0
			|| size.rcpt_count < 0))
			fuzz_fail("rec_parse_size accepted a negative field");
	} else if (type == REC_TYPE_WARN || type == REC_TYPE_MESG) {
		if (rec_parse_fixed(buf_str(data), buf_len(data), &value) == 0
		    && value < 0)
			fuzz_fail("rec_parse_fixed accepted %lld", value);
	}
}

/* fuzz_record_loop - read every record like postcat */
static void
fuzz_record_loop(int fd, size_t len)
{
	struct rec_io *rp;
	struct buf *data = buf_new(100);
	off_t	offset;
	off_t	last = -1;
	int	type;

	if (lseek(fd, 0, SEEK_SET) < 0)
		fuzz_fail("rewind: %s", strerror(errno));
	rp = rec_open(fd, REC_READ);
	while ((type = rec_get(rp, data, FUZZ_RECORD_LIMIT, &offset)) >= 0) {
		if (offset <= last || offset < 0 || (size_t) offset >= len)
			fuzz_fail("rec_get offset %lld after %lld in a file of %zu",
				  (long long) offset, (long long) last, len);
		if (buf_len(data) > FUZZ_RECORD_LIMIT)
			fuzz_fail("rec_get returned %zu bytes over limit %d",
				  buf_len(data), FUZZ_RECORD_LIMIT);
		last = offset;
		(void) rec_type_name(type);
		if (rec_type_valid(type))
			fuzz_record_fixed(type, data);
	}
	if (type != REC_TYPE_EOF && type != REC_TYPE_ERROR)
		fuzz_fail("rec_get returned %d", type);
	if (type == REC_TYPE_ERROR && strcmp(rec_error(rp), "no error") == 0)
		fuzz_fail("rec_get failed without a reason");
	(void) rec_close(rp);
	buf_free(data);
}

/* fuzz_record_envelope - check what qfile_read_envelope() built */
static void
fuzz_record_envelope(const struct qfile_envelope *env, size_t len)
{
	size_t	i;

	if (env->sender == NULL)
		fuzz_fail("envelope read without a sender");
	for (i = 0; i < env->rcpt_count; i++)
		if (env->rcpts[i].address == NULL || env->rcpts[i].offset < 0
		    || (size_t) env->rcpts[i].offset >= len)
			fuzz_fail("recipient %zu at offset %lld of %zu", i,
				  (long long) env->rcpts[i].offset, len);
	for (i = 0; i < env->attr_count; i++)
		(void) qfile_envelope_attr(env, env->attrs[i].name);
}

/* LLVMFuzzerInitialize - once per process */
int	LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	fuzz_init();
	fuzz_record_fd = fuzz_memfd("fuzz_record");
	return (0);
}

/* LLVMFuzzerTestOneInput - one queue file */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct qfile_envelope env;
	struct buf *why = buf_new(100);
	int	checked;
	int	read;

	(void) fuzz_memfd_fill(fuzz_record_fd, data, len);
	checked = rec_check_file(fuzz_record_fd, why);
	if (checked < 0 && buf_len(why) == 0)
		fuzz_fail("rec_check_file failed without a reason");
	qfile_envelope_init(&env);
	buf_reset(why);
	read = qfile_read_envelope(fuzz_record_fd, &env, why);
	if (checked == 0 && read < 0)
		fuzz_fail("rec_check_file accepts what qfile_read_envelope "
			  "refuses: %s", buf_str(why));
	if (read == 0)
		fuzz_record_envelope(&env, len);
	else if (env.rcpt_count != 0 || env.attr_count != 0 || env.sender != NULL)
		fuzz_fail("failed qfile_read_envelope left data in the envelope");
	qfile_envelope_free(&env);
	fuzz_record_loop(fuzz_record_fd, len);
	buf_free(why);
	return (0);
}
