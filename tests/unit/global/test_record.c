/*
 * NAME
 *	test_record - unit tests for queue file records and envelopes
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <global/dsn.h>
#include <global/mail_proto.h>
#include <global/record.h>

/* temp_fd - an empty read-write temporary file */
static int
temp_fd(void)
{
	char	path[] = "/tmp/test_record.XXXXXX";
	int	fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(unlink(path), 0);
	return (fd);
}

/* write_raw - replace the file content with raw bytes */
static void
write_raw(int fd, const void *data, size_t len)
{
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, data, len, 0), (ssize_t) len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
}

/* file_size - current size of a file */
static off_t
file_size(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (st.st_size);
}

/* sample_file - a complete queue file; returns its envelope */
static void
sample_file(int fd, struct qfile_envelope *env)
{
	struct rec_io *rp;
	struct qfile_rcpt *rcpt;

	qfile_envelope_init(env);
	env->arrival = 1700000000;
	env->arrival_usec = 123456;
	env->sender = xstrdup("sender@example.com");
	env->full_name = xstrdup("Sender Name");
	env->priority = xstrdup(MAIL_PRIO_HIGH);
	qfile_envelope_add_attr(env, MAIL_ATTR_DSN_ENVID, "QQ314159");
	qfile_envelope_add_attr(env, MAIL_ATTR_LOG_IDENT, "ABC");
	qfile_envelope_add_rcpt(env, "one@example.com", "One@Example.com", 0);
	rcpt = qfile_envelope_add_rcpt(env, "two@example.net", NULL,
				       DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE);
	rcpt->dsn_orcpt = xstrdup("rfc822;two@example.net");
	qfile_envelope_add_rcpt(env, "three@example.org", NULL, DSN_NOTIFY_NEVER);

	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	rp = rec_open(fd, REC_WRITE);
	assert_int_equal(qfile_write_envelope(rp, env), 0);
	assert_int_equal(rec_put_text(rp, "Subject: test", 13, 0), 0);
	assert_int_equal(rec_put_text(rp, "", 0, 0), 0);
	assert_int_equal(rec_put_text(rp, "body line", 9, 4), 0);
	assert_int_equal(qfile_write_xtra(rp, env), 0);
	rcpt = qfile_envelope_add_rcpt(env, "extracted@example.com", NULL, 0);
	assert_int_equal(qfile_write_rcpt(rp, env, rcpt), 0);
	env->size = 33;
	assert_int_equal(qfile_write_end(rp, fd, env), 0);
	assert_int_equal(rec_close(rp), 0);
}

/* test_put_get - round trip of record lengths and offsets */
static void
test_put_get(void **state)
{
	static const size_t lengths[] = {0, 1, 127, 128, 16383, 16384, 100000};
	struct buf *data = buf_new(10);
	struct buf *big = buf_new(100000);
	struct rec_io *rp;
	off_t	offsets[ARRAY_LEN(lengths)], offset;
	size_t	i;
	int	fd = temp_fd();

	(void) state;
	for (i = 0; i < 100000; i++)
		buf_putc(big, (int) (i % 251));
	rp = rec_open(fd, REC_WRITE);
	for (i = 0; i < ARRAY_LEN(lengths); i++) {
		offsets[i] = rec_tell(rp);
		assert_int_equal(rec_put(rp, REC_TYPE_NORM, buf_str(big), lengths[i]), 0);
	}
	assert_int_equal(rec_fprintf(rp, REC_TYPE_ATTR, "%s=%d", "n", 42), 0);
	assert_int_equal(rec_close(rp), 0);
	/* 1 + 1, +2, +128 (one length byte), +131, +16386, +16387 (three) */
	assert_int_equal(offsets[1], 2);
	assert_int_equal(offsets[3], 2 + 3 + 129);
	assert_int_equal(offsets[5], offsets[4] + 1 + 2 + 16383);
	assert_int_equal(offsets[6], offsets[5] + 1 + 3 + 16384);

	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	rp = rec_open(fd, REC_READ);
	for (i = 0; i < ARRAY_LEN(lengths); i++) {
		assert_int_equal(rec_get(rp, data, REC_LEN_MAX, &offset), REC_TYPE_NORM);
		assert_int_equal(offset, offsets[i]);
		assert_int_equal(buf_len(data), lengths[i]);
		assert_memory_equal(buf_str(data), buf_str(big), lengths[i]);
	}
	assert_int_equal(rec_get(rp, data, 100, NULL), REC_TYPE_ATTR);
	assert_string_equal(buf_str(data), "n=42");
	assert_int_equal(rec_get(rp, data, 100, &offset), REC_TYPE_EOF);
	assert_int_equal(offset, file_size(fd));
	assert_int_equal(rec_close(rp), 0);
	buf_free(data);
	buf_free(big);
	close(fd);
}

/* test_get_errors - limits, truncation and non-canonical lengths */
static void
test_get_errors(void **state)
{
	static const struct {
		const char *bytes;
		size_t	len;
		size_t	limit;
		const char *why;
	} cases[] = {
		{"N\x05" "abcde", 7, 4, "exceeds limit"},
		{"N\x05" "abc", 5, 100, "past end of file"},
		{"N", 1, 100, "record length past end of file"},
		{"N\x80", 2, 100, "record length past end of file"},
		{"N\x80\x00", 3, 100, "non-canonical"},
		{"N\xff\xff\xff\xff\x01", 6, REC_LEN_MAX, "exceeds 268435455"},
		{"N\xff\xff\xff\x7f", 5, REC_LEN_MAX, "past end of file"},
	};
	struct buf *data = buf_new(10);
	struct rec_io *rp;
	size_t	i;
	int	fd = temp_fd();

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		write_raw(fd, cases[i].bytes, cases[i].len);
		rp = rec_open(fd, REC_READ);
		assert_int_equal(rec_get(rp, data, cases[i].limit, NULL), REC_TYPE_ERROR);
		if (strstr(rec_error(rp), cases[i].why) == NULL)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, rec_error(rp), cases[i].why);
		/* A bogus huge length must not allocate what is not there. */
		assert_true(data->cap < 65536);
		rec_close(rp);
	}
	buf_free(data);
	close(fd);
}

/* test_put_text - long lines become CONT pieces and a NORM */
static void
test_put_text(void **state)
{
	char	line[2500];
	struct buf *data = buf_new(10);
	struct rec_io *rp;
	int	fd = temp_fd();

	(void) state;
	memset(line, 'x', sizeof(line));
	rp = rec_open(fd, REC_WRITE);
	assert_int_equal(rec_put_text(rp, line, sizeof(line), 1000), 0);
	assert_int_equal(rec_put_text(rp, line, 1000, 1000), 0);
	rec_close(rp);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	rp = rec_open(fd, REC_READ);
	assert_int_equal(rec_get(rp, data, 5000, NULL), REC_TYPE_CONT);
	assert_int_equal(buf_len(data), 1000);
	assert_int_equal(rec_get(rp, data, 5000, NULL), REC_TYPE_CONT);
	assert_int_equal(rec_get(rp, data, 5000, NULL), REC_TYPE_NORM);
	assert_int_equal(buf_len(data), 500);
	assert_int_equal(rec_get(rp, data, 5000, NULL), REC_TYPE_NORM);
	assert_int_equal(buf_len(data), 1000);
	assert_int_equal(rec_get(rp, data, 5000, NULL), REC_TYPE_EOF);
	rec_close(rp);
	buf_free(data);
	close(fd);
}

/* test_write_error - write errors are sticky and reported */
static void
test_write_error(void **state)
{
	struct rec_io *rp;
	int	fd = open("/dev/full", O_WRONLY);

	(void) state;
	if (fd < 0)
		skip();
	rp = rec_open(fd, REC_WRITE);
	assert_int_equal(rec_put(rp, REC_TYPE_NORM, "x", 1), 0);
	assert_int_equal(rec_flush(rp), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(rec_put(rp, REC_TYPE_NORM, "y", 1), -1);
	assert_non_null(strstr(rec_error(rp), "write error"));
	assert_int_equal(rec_close(rp), -1);
	close(fd);
}

/* test_envelope_roundtrip - write a file and read its envelope back */
static void
test_envelope_roundtrip(void **state)
{
	struct qfile_envelope env, got;
	struct buf *why = buf_new(10);
	int	fd = temp_fd();
	size_t	i;

	(void) state;
	sample_file(fd, &env);
	assert_int_equal(rec_check_file(fd, why), 0);
	qfile_envelope_init(&got);
	if (qfile_read_envelope(fd, &got, why) != 0)
		fail_msg("%s", buf_str(why));
	assert_int_equal(got.arrival, 1700000000);
	assert_int_equal(got.arrival_usec, 123456);
	assert_int_equal(got.size, 33);
	assert_int_equal(got.rcpt_total, 4);
	assert_string_equal(got.sender, "sender@example.com");
	assert_string_equal(got.full_name, "Sender Name");
	assert_string_equal(got.priority, "high");
	assert_string_equal(qfile_envelope_attr(&got, MAIL_ATTR_DSN_ENVID), "QQ314159");
	assert_null(qfile_envelope_attr(&got, "missing"));
	assert_int_equal(got.warn_time, 0);
	assert_int_equal(got.warn_offset, env.warn_offset);
	assert_int_equal(got.mesg_offset, env.mesg_offset);
	assert_int_equal(got.xtra_offset, env.xtra_offset);
	assert_int_equal(got.rcpt_count, 4);
	for (i = 0; i < got.rcpt_count; i++) {
		assert_string_equal(got.rcpts[i].address, env.rcpts[i].address);
		assert_int_equal(got.rcpts[i].offset, env.rcpts[i].offset);
		assert_int_equal(got.rcpts[i].notify, env.rcpts[i].notify);
		assert_false(got.rcpts[i].is_done);
	}
	assert_string_equal(got.rcpts[0].orig, "One@Example.com");
	assert_null(got.rcpts[1].orig);
	assert_string_equal(got.rcpts[1].dsn_orcpt, "rfc822;two@example.net");
	assert_int_equal(got.rcpts[2].notify, DSN_NOTIFY_NEVER);
	assert_true(got.rcpts[3].offset > got.xtra_offset);
	/* Reuse: a second read replaces everything. */
	assert_int_equal(qfile_read_envelope(fd, &got, why), 0);
	assert_int_equal(got.rcpt_count, 4);
	qfile_envelope_free(&got);
	qfile_envelope_free(&env);
	assert_int_equal(env.rcpt_count, 0);
	buf_free(why);
	close(fd);
}

/* test_mark_done - one-byte marks in place, refusals elsewhere */
static void
test_mark_done(void **state)
{
	struct qfile_envelope env, got;
	struct buf *why = buf_new(10);
	off_t	size;
	int	fd = temp_fd();

	(void) state;
	sample_file(fd, &env);
	size = file_size(fd);
	assert_int_equal(rec_mark_done(fd, env.rcpts[1].offset), 0);
	assert_int_equal(rec_mark_done(fd, env.rcpts[1].offset), 0);
	assert_int_equal(rec_mark_done(fd, env.rcpts[3].offset), 0);
	assert_int_equal(file_size(fd), size);
	/* Not a recipient record: refused, file unchanged. */
	errno = 0;
	assert_int_equal(rec_mark_done(fd, env.mesg_offset), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(rec_mark_done(fd, env.rcpts[1].offset + 1), -1);
	assert_int_equal(rec_mark_done(fd, size + 10), -1);
	assert_int_equal(rec_mark_done(fd, -1), -1);
	assert_int_equal(rec_check_file(fd, why), 0);
	qfile_envelope_init(&got);
	assert_int_equal(qfile_read_envelope(fd, &got, why), 0);
	assert_false(got.rcpts[0].is_done);
	assert_true(got.rcpts[1].is_done);
	assert_false(got.rcpts[2].is_done);
	assert_true(got.rcpts[3].is_done);
	assert_int_equal(got.rcpt_total, 4);

	/* WARN and SIZE in place. */
	assert_int_equal(rec_update_warn(fd, got.warn_offset, 1700003600), 0);
	assert_int_equal(rec_update_warn(fd, got.mesg_offset, 1), -1);
	assert_int_equal(rec_update_warn(fd, got.warn_offset, -5), -1);
	assert_int_equal(qfile_read_envelope(fd, &got, why), 0);
	assert_int_equal(got.warn_time, 1700003600);
	assert_int_equal(rec_update_mesg(fd, got.warn_offset, 5), -1);
	assert_int_equal(file_size(fd), size);
	assert_int_equal(rec_check_file(fd, why), 0);
	qfile_envelope_free(&got);
	qfile_envelope_free(&env);
	buf_free(why);
	close(fd);
}

/* test_truncated - every truncation of a file is detected */
static void
test_truncated(void **state)
{
	struct qfile_envelope env, got;
	struct buf *why = buf_new(10);
	struct buf *copy = buf_new(1000);
	off_t	size, len;
	int	fd = temp_fd();

	(void) state;
	sample_file(fd, &env);
	size = file_size(fd);
	buf_reserve(copy, (size_t) size);
	assert_int_equal(pread(fd, copy->data, (size_t) size, 0), size);
	qfile_envelope_init(&got);
	for (len = 0; len < size; len++) {
		write_raw(fd, copy->data, (size_t) len);
		if (rec_check_file(fd, why) != -1)
			fail_msg("truncation at %lld not detected", (long long) len);
		if (qfile_read_envelope(fd, &got, why) != -1)
			fail_msg("envelope of truncation at %lld accepted", (long long) len);
		assert_int_equal(got.rcpt_count, 0);
	}
	/* Without the END record (2 bytes), and cut inside it. */
	write_raw(fd, copy->data, (size_t) size - 2);
	assert_int_equal(rec_check_file(fd, why), -1);
	assert_non_null(strstr(buf_str(why), "no end record"));
	write_raw(fd, copy->data, (size_t) size - 1);
	assert_int_equal(rec_check_file(fd, why), -1);
	assert_non_null(strstr(buf_str(why), "record length past end of file"));
	write_raw(fd, "", 0);
	assert_int_equal(rec_check_file(fd, why), -1);
	assert_non_null(strstr(buf_str(why), "empty file"));
	qfile_envelope_free(&env);
	buf_free(why);
	buf_free(copy);
	close(fd);
}

/* test_corrupt - bogus lengths and types, bad order, trailing data */
static void
test_corrupt(void **state)
{
	struct qfile_envelope env, got;
	struct buf *why = buf_new(10);
	struct buf *copy = buf_new(1000);
	off_t	size;
	int	fd = temp_fd();
	unsigned char byte;

	(void) state;
	sample_file(fd, &env);
	size = file_size(fd);
	buf_reserve(copy, (size_t) size);
	assert_int_equal(pread(fd, copy->data, (size_t) size, 0), size);
	qfile_envelope_init(&got);

	/* A bogus length in the content: past end of file. */
	copy->data[env.mesg_offset + 2 + REC_FIXED_WIDTH + 1] = 0x7f;
	write_raw(fd, copy->data, (size_t) size);
	assert_int_equal(rec_check_file(fd, why), -1);
	assert_non_null(strstr(buf_str(why), "past end of file"));
	/* The envelope reader skips content but the XTRA pointer still checks. */
	assert_int_equal(qfile_read_envelope(fd, &got, why), 0);
	copy->data[env.mesg_offset + 2 + REC_FIXED_WIDTH + 1] = 13;

	/* A bogus type byte in the envelope. */
	byte = (unsigned char) copy->data[env.rcpts[0].offset];
	copy->data[env.rcpts[0].offset] = 'Q';
	write_raw(fd, copy->data, (size_t) size);
	assert_int_equal(rec_check_file(fd, why), -1);
	assert_non_null(strstr(buf_str(why), "unknown record type 0x51"));
	assert_int_equal(qfile_read_envelope(fd, &got, why), -1);
	copy->data[env.rcpts[0].offset] = (char) byte;

	/* A broken content pointer. */
	copy->data[env.mesg_offset + 2 + REC_FIXED_WIDTH - 1] ^= 1;
	write_raw(fd, copy->data, (size_t) size);
	assert_int_equal(rec_check_file(fd, why), -1);
	assert_non_null(strstr(buf_str(why), "content pointer"));
	assert_int_equal(qfile_read_envelope(fd, &got, why), -1);
	assert_non_null(strstr(buf_str(why), "content pointer"));
	copy->data[env.mesg_offset + 2 + REC_FIXED_WIDTH - 1] ^= 1;

	/* Data after END. */
	write_raw(fd, copy->data, (size_t) size);
	assert_int_equal(pwrite(fd, "N\0", 2, size), 2);
	assert_int_equal(rec_check_file(fd, why), -1);
	assert_non_null(strstr(buf_str(why), "after end"));
	assert_int_equal(qfile_read_envelope(fd, &got, why), -1);

	/* Intact again. */
	write_raw(fd, copy->data, (size_t) size);
	assert_int_equal(rec_check_file(fd, why), 0);
	qfile_envelope_free(&got);
	qfile_envelope_free(&env);
	buf_free(why);
	buf_free(copy);
	close(fd);
}

 /*
  * Hand-made files for the segment grammar, one record per entry.
  */
struct raw_rec {
	int	type;
	const char *data;
};

#define RAW_SIZE	"              0               0               1"
#define RAW_MESG	"             -1"	/* replaced by the real pointer */

/* write_records - write records, fixing the MESG pointer and SIZE */
static void
write_records(int fd, const struct raw_rec *recs, size_t count, long nrcpt)
{
	struct rec_io *rp;
	struct rec_size size = {0, 0, nrcpt};
	off_t	mesg = -1, xtra = -1;
	size_t	i;

	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	rp = rec_open(fd, REC_WRITE);
	for (i = 0; i < count; i++) {
		if (recs[i].type == REC_TYPE_MESG && mesg < 0)
			mesg = rec_tell(rp);
		if (recs[i].type == REC_TYPE_XTRA && xtra < 0)
			xtra = rec_tell(rp);
		if (recs[i].type == REC_TYPE_MESG)
			assert_int_equal(rec_put_mesg(rp, 0), 0);
		else
			assert_int_equal(rec_put(rp, recs[i].type, recs[i].data,
						 strlen(recs[i].data)), 0);
	}
	assert_int_equal(rec_close(rp), 0);
	size.content_offset = mesg;
	if (recs[0].type == REC_TYPE_SIZE && strcmp(recs[0].data, RAW_SIZE) == 0)
		assert_int_equal(rec_update_size(fd, &size), 0);
	if (mesg >= 0 && xtra >= 0)
		assert_int_equal(rec_update_mesg(fd, mesg, xtra), 0);
}

/* test_grammar - segment order and field checks */
static void
test_grammar(void **state)
{
#define S	{REC_TYPE_SIZE, RAW_SIZE}
#define T	{REC_TYPE_TIME, "1700000000 5"}
#define F	{REC_TYPE_FROM, "a@b.example"}
#define R	{REC_TYPE_RCPT, "c@d.example"}
#define M	{REC_TYPE_MESG, ""}
#define N	{REC_TYPE_NORM, "text"}
#define X	{REC_TYPE_XTRA, ""}
#define E	{REC_TYPE_END, ""}
	static const struct {
		struct raw_rec recs[12];
		size_t	count;
		long	nrcpt;
		const char *why;		/* NULL: valid */
	} cases[] = {
		{{S, T, F, R, M, N, X, E}, 8, 1, NULL},
		{{S, T, F, {REC_TYPE_ORCP, "o@d.example"}, {REC_TYPE_NTFY, "6"}, R, M, X,
		  {REC_TYPE_ATTR, "a=b"}, E}, 10, 1, NULL},
		{{S, T, F, M, X, R, E}, 7, 1, NULL},
		{{T, S, F, R, M, X, E}, 7, 1, "does not start with a size record"},
		{{S, F, R, M, X, E}, 6, 1, "without arrival time"},
		{{S, T, R, M, X, E}, 6, 1, "without sender"},
		{{S, T, T, F, R, M, X, E}, 8, 1, "duplicate arrival time"},
		{{S, T, F, F, R, M, X, E}, 8, 1, "duplicate sender"},
		{{S, T, F, M, X, E}, 6, 0, "no recipients"},
		{{S, T, F, R, M, N, X, E}, 8, 2, "says 2 recipients"},
		{{S, T, F, R, M, R, X, E}, 8, 1, "unexpected recipient record in content"},
		{{S, T, F, R, N, M, X, E}, 8, 1, "unexpected regular_text record in envelope"},
		{{S, T, F, R, M, X, N, E}, 8, 1, "unexpected regular_text record in extracted"},
		{{S, T, F, R, M, X, T, E}, 8, 1, "unexpected message_arrival_time record in extracted"},
		{{S, T, F, R, M, {REC_TYPE_CONT, "x"}, X, E}, 8, 1, "partial line"},
		{{S, T, F, {REC_TYPE_ORCP, "o"}, M, X, R, E}, 8, 1, "without recipient"},
		{{S, T, F, R, M, X, {REC_TYPE_NTFY, "2"}, E}, 8, 1, "without recipient"},
		{{S, T, F, {REC_TYPE_ORCP, "o"}, {REC_TYPE_ORCP, "p"}, R, M, X, E}, 9, 1,
		 "duplicate original_recipient"},
		{{S, T, F, {REC_TYPE_NTFY, "3"}, R, M, X, E}, 8, 1, "bad notify flags"},
		{{S, T, F, {REC_TYPE_NTFY, "x"}, R, M, X, E}, 8, 1, "bad notify flags"},
		{{S, T, F, {REC_TYPE_RCPT, ""}, M, X, E}, 7, 1, "empty recipient"},
		{{S, {REC_TYPE_TIME, "-5 0"}, F, R, M, X, E}, 7, 1, "bad arrival time"},
		{{S, {REC_TYPE_TIME, "5 1000000"}, F, R, M, X, E}, 7, 1, "bad arrival time"},
		{{S, {REC_TYPE_TIME, "5"}, F, R, M, X, E}, 7, 1, "bad arrival time"},
		{{S, T, F, {REC_TYPE_ATTR, "=x"}, R, M, X, E}, 8, 1, "bad named attribute"},
		{{S, T, F, {REC_TYPE_ATTR, "novalue"}, R, M, X, E}, 8, 1, "bad named attribute"},
		{{S, T, F, {REC_TYPE_WARN, "12"}, R, M, X, E}, 8, 1, "bad warning time"},
		{{{REC_TYPE_SIZE, "0 0 1"}, T, F, R, M, X, E}, 7, 1, "bad size record"},
		{{S, T, F, R, M, X, E, E}, 8, 1, "after end"},
		{{S, T, F, R, M, X, S, E}, 8, 1, "unexpected message_size"},
		{{S, T, F, R, M, X}, 6, 1, "no end record"},
		{{S, T, F, R, M, N}, 6, 1, "no end record"},
	};
	struct qfile_envelope env;
	struct buf *why = buf_new(10);
	size_t	i;
	int	fd = temp_fd();

	(void) state;
	qfile_envelope_init(&env);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		write_records(fd, cases[i].recs, cases[i].count, cases[i].nrcpt);
		buf_reset(why);
		if ((rec_check_file(fd, why) == 0) != (cases[i].why == NULL))
			fail_msg("case %zu: check says \"%s\"", i, buf_str(why));
		if (cases[i].why && strstr(buf_str(why), cases[i].why) == NULL)
			fail_msg("case %zu: reason \"%s\", want \"%s\"", i,
				 buf_str(why), cases[i].why);
		/* The envelope reader agrees, except about skipped content. */
		if (cases[i].why == NULL || strstr(cases[i].why, "content")
		    || strstr(cases[i].why, "partial"))
			continue;
		if (qfile_read_envelope(fd, &env, why) != -1)
			fail_msg("case %zu: envelope reader accepted it", i);
	}
	qfile_envelope_free(&env);
	buf_free(why);
	close(fd);
}

/* test_fixed - fixed-width fields */
static void
test_fixed(void **state)
{
	struct rec_size size;
	long long value;

	(void) state;
	assert_int_equal(rec_parse_fixed("             42", 15, &value), 0);
	assert_int_equal(value, 42);
	assert_int_equal(rec_parse_fixed("000000000000000", 15, &value), 0);
	assert_int_equal(rec_parse_fixed("               ", 15, &value), -1);
	assert_int_equal(rec_parse_fixed("            -42", 15, &value), -1);
	assert_int_equal(rec_parse_fixed("          4 2  ", 15, &value), -1);
	assert_int_equal(rec_parse_fixed("42", 2, &value), -1);
	assert_int_equal(rec_parse_size(RAW_SIZE, strlen(RAW_SIZE), &size), 0);
	assert_int_equal(size.rcpt_count, 1);
	assert_int_equal(rec_parse_size(RAW_SIZE "x", strlen(RAW_SIZE) + 1, &size), -1);
	assert_int_equal(rec_parse_size("              0x              0               1",
					strlen(RAW_SIZE), &size), -1);
	assert_string_equal(rec_type_name(REC_TYPE_DONE), "done_recipient");
	assert_string_equal(rec_type_name('?'), "unknown");
	assert_true(rec_type_valid(REC_TYPE_END));
	assert_false(rec_type_valid(0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_get_errors),
		cmocka_unit_test(test_put_text),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_envelope_roundtrip),
		cmocka_unit_test(test_mark_done),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_grammar),
		cmocka_unit_test(test_fixed),
	};

	return (cmocka_run_group_tests_name("record", tests, NULL, NULL));
}
