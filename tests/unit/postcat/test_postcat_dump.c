/*
 * NAME
 *	test_postcat_dump - queue file records as postcat shows them
 * DESCRIPTION
 *	The whole layout of a queue file with every record type, the
 *	-e/-h/-b selections (header continuation lines, a header split
 *	into pieces, the empty line that starts the body), record offsets,
 *	header detection, and damaged input: truncation, a file that is no
 *	queue file, an unknown record type, a missing end record.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <util/alloc.h>
#include <global/mail_proto.h>
#include <global/record.h>
#include "postcat/postcat.h"

/* sample - a queue file in a temporary file; returns its descriptor */
static int
sample(void)
{
	char	path[] = "/tmp/test_postcat.XXXXXX";
	struct qfile_envelope env;
	struct qfile_rcpt *rcpt;
	struct rec_io *rp;
	int	fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	qfile_envelope_init(&env);
	env.arrival = 1700000000;
	env.sender = xstrdup("alice@example.org");
	env.priority = xstrdup("high");
	qfile_envelope_add_attr(&env, MAIL_ATTR_CREATE_TIME, "1700000001");
	qfile_envelope_add_attr(&env, MAIL_ATTR_LOG_IDENT, "ABC");
	qfile_envelope_add_rcpt(&env, "bob@example.com", "Bob@Example.com", 0);
	qfile_envelope_add_rcpt(&env, "carol@example.com", NULL, 0);
	rp = rec_open(fd, REC_WRITE);
	assert_int_equal(qfile_write_envelope(rp, &env), 0);
	rec_put_text(rp, "Subject: a long", 15, 0);
	rec_put_text(rp, " continued header", 17, 0);
	rec_put_text(rp, "X-Split: 0123456789", 19, 8);	/* CONT pieces */
	rec_put_text(rp, "", 0, 0);
	rec_put_text(rp, "Body: not a header", 18, 0);
	rec_put_text(rp, "end", 3, 0);
	qfile_write_xtra(rp, &env);
	rcpt = qfile_envelope_add_rcpt(&env, "extra@example.com", NULL, 0);
	qfile_write_rcpt(rp, &env, rcpt);
	env.size = 70;
	assert_int_equal(qfile_write_end(rp, fd, &env), 0);
	assert_int_equal(rec_close(rp), 0);
	assert_int_equal(rec_mark_done(fd, env.rcpts[1].offset), 0);
	qfile_envelope_free(&env);
	return (fd);
}

/* dump - postcat_dump into a string */
static int
dump(int fd, int flags, struct buf *out, struct buf *why)
{
	char   *text = NULL;
	size_t	len = 0;
	FILE   *fp = open_memstream(&text, &len);
	int	status;

	assert_non_null(fp);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	status = postcat_dump(fd, "deferred/A/ID", flags, fp, why);
	fclose(fp);
	buf_cpy(out, text);
	free(text);
	return (status);
}

/* test_all - envelope, content, extracted segment */
static void
test_all(void **state)
{
	int	fd = sample();
	struct buf *out = buf_new(1024), *why = buf_new(64);

	(void) state;
	assert_int_equal(dump(fd, PC_MASK_PRINT_ALL, out, why), 0);
	assert_string_equal(buf_str(out),
		"*** ENVELOPE RECORDS deferred/A/ID ***\n"
		"message_size:              70             197               3\n"
		"message_arrival_time: Tue Nov 14 22:13:20 2023\n"
		"sender: alice@example.org\n"
		"priority: high\n"
		"create_time: Tue Nov 14 22:13:21 2023\n"
		"named_attribute: log_ident=ABC\n"
		"warning_message_time: 0\n"
		"original_recipient: Bob@Example.com\n"
		"recipient: bob@example.com\n"
		"done_recipient: carol@example.com\n"
		"*** MESSAGE CONTENTS deferred/A/ID ***\n"
		"Subject: a long\n"
		" continued header\n"
		"X-Split: 0123456789\n"
		"\n"
		"Body: not a header\n"
		"end\n"
		"*** HEADER EXTRACTED deferred/A/ID ***\n"
		"recipient: extra@example.com\n"
		"*** MESSAGE FILE END deferred/A/ID ***\n");
	close(fd);
	buf_free(out);
	buf_free(why);
}

/* test_parts - -h, -b, -e and -o */
static void
test_parts(void **state)
{
	int	fd = sample();
	struct buf *out = buf_new(1024), *why = buf_new(64);

	(void) state;
	assert_int_equal(dump(fd, PC_FLAG_PRINT_HEADER, out, why), 0);
	assert_string_equal(buf_str(out), "Subject: a long\n continued header\n"
			    "X-Split: 0123456789\n");
	assert_int_equal(dump(fd, PC_FLAG_PRINT_BODY, out, why), 0);
	assert_string_equal(buf_str(out), "\nBody: not a header\nend\n");
	assert_int_equal(dump(fd, PC_FLAG_PRINT_ENV, out, why), 0);
	assert_null(strstr(buf_str(out), "Subject"));
	assert_non_null(strstr(buf_str(out), "recipient: extra@example.com\n"));
	assert_int_equal(dump(fd, PC_FLAG_PRINT_ENV | PC_FLAG_PRINT_OFFSET
			      | PC_FLAG_PRINT_RTYPE_DEC, out, why), 0);
	assert_true(strncmp(buf_str(out), "        0  67 *** ENVELOPE RECORDS ",
			    35) == 0);
	assert_non_null(strstr(buf_str(out), "       49  84 message_arrival_time:"));
	close(fd);
	buf_free(out);
	buf_free(why);
}

/* test_is_header - header line detection */
static void
test_is_header(void **state)
{
	(void) state;
	assert_true(postcat_is_header("Subject: x", 10));
	assert_true(postcat_is_header("X-A :y", 6));
	assert_true(postcat_is_header("A:", 2));
	assert_false(postcat_is_header(":x", 2));
	assert_false(postcat_is_header("no colon", 8));
	assert_false(postcat_is_header("a b: c", 6));
	assert_false(postcat_is_header("", 0));
	assert_false(postcat_is_header(" Subject: x", 11));
}

/* test_damaged - a warning reason with the offset, never a crash */
static void
test_damaged(void **state)
{
	int	fd = sample(), bad;
	struct buf *out = buf_new(1024), *why = buf_new(64);
	char	path[] = "/tmp/test_postcat.XXXXXX";
	char	data[4096];
	ssize_t	len;

	(void) state;
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_true((len = read(fd, data, sizeof(data))) > 100);
	assert_true((bad = mkstemp(path)) >= 0);
	unlink(path);
	/* Cut inside a record. */
	assert_int_equal(write(bad, data, 100), 100);
	assert_int_equal(dump(bad, PC_MASK_PRINT_ALL, out, why), -1);
	assert_string_equal(buf_str(why), "offset 88: record length 22 past end of file");
	assert_non_null(strstr(buf_str(out), "sender: alice@example.org\n"));
	/* Cut between records: no end record. */
	assert_int_equal(ftruncate(bad, 88), 0);
	assert_int_equal(dump(bad, PC_MASK_PRINT_ALL, out, why), -1);
	assert_string_equal(buf_str(why), "offset 88: premature end of file (no end record)");
	/* Not a queue file; empty. */
	assert_int_equal(ftruncate(bad, 0), 0);
	assert_int_equal(pwrite(bad, "root:x:0:0::/root:/bin/sh\n", 26, 0), 26);
	assert_int_equal(dump(bad, PC_MASK_PRINT_ALL, out, why), -1);
	assert_string_equal(buf_str(why), "offset 0: input is not a valid queue file");
	assert_string_equal(buf_str(out), "");
	assert_int_equal(ftruncate(bad, 0), 0);
	assert_int_equal(dump(bad, PC_MASK_PRINT_ALL, out, why), -1);
	assert_string_equal(buf_str(why), "offset 0: empty file");
	/* An unknown record type after a good start. */
	data[49] = '?';
	assert_int_equal(pwrite(bad, data, (size_t) len, 0), len);
	assert_int_equal(dump(bad, PC_MASK_PRINT_ALL, out, why), -1);
	assert_string_equal(buf_str(why), "offset 49: unknown record type 0x3f");
	close(bad);
	close(fd);
	buf_free(out);
	buf_free(why);
}

/* utc - dates in UTC */
static int
utc(void **state)
{
	(void) state;
	setenv("TZ", "UTC", 1);
	tzset();
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_is_header),
		cmocka_unit_test(test_damaged),
	};

	return (cmocka_run_group_tests_name("postcat_dump", tests, utc, NULL));
}
