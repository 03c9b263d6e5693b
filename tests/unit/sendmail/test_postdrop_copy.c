/*
 * NAME
 *	test_postdrop_copy - postdrop's checked copy and the maildrop grammar
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <setjmp.h>
#include <cmocka.h>
#include <global/cleanup_client.h>
#include <global/maildrop.h>
#include <global/mail_proto.h>
#include <global/record.h>

#include <stdio.h>
#include <unistd.h>

#include "sendmail/sendmail.h"

struct ct_rec {
	int	type;
	const char *data;
};

#define END_LIST	{0, 0}

/* ct_tmpfd - an anonymous temporary file */
static int
ct_tmpfd(void)
{
	FILE   *fp = tmpfile();

	assert_non_null(fp);
	return (dup(fileno(fp)));
}

/* ct_write - a record stream in a temporary file, positioned at 0 */
static int
ct_write(const struct ct_rec *recs)
{
	int	fd = ct_tmpfd();
	struct rec_io *out = rec_open(fd, REC_WRITE);

	for (; recs->type; recs++)
		assert_int_equal(rec_put(out, recs->type, recs->data, strlen(recs->data)), 0);
	assert_int_equal(rec_close(out), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return (fd);
}

/* ct_postdrop - run postdrop_copy; the output's record types in types */
static int
ct_postdrop(const struct ct_rec *recs, long limit, struct buf *why,
	    struct buf *types)
{
	int	in_fd = ct_write(recs);
	int	out_fd = ct_tmpfd();
	struct rec_io *in = rec_open(in_fd, REC_READ);
	struct rec_io *out = rec_open(out_fd, REC_WRITE);
	struct buf *data = buf_new(64);
	int	status, type;

	buf_reset(why);
	status = postdrop_copy(in, out, limit, why);
	(void) rec_close(in);
	(void) rec_close(out);
	buf_reset(types);
	assert_int_equal(lseek(out_fd, 0, SEEK_SET), 0);
	in = rec_open(out_fd, REC_READ);
	while ((type = rec_get(in, data, REC_LEN_MAX, NULL)) >= 0)
		buf_putc(types, type);
	(void) rec_close(in);
	close(in_fd);
	close(out_fd);
	buf_free(data);
	return (status);
}

static const struct ct_rec ct_good[] = {
	{REC_TYPE_FULL, "Joe"}, {REC_TYPE_FROM, "joe"},
	{REC_TYPE_ATTR, "flags=8192"}, {REC_TYPE_ATTR, "notify_flags=6"},
	{REC_TYPE_ATTR, "envelope_id=x"},
	{REC_TYPE_ATTR, "ret_flags=2"}, {REC_TYPE_ATTR, "encoding=8BITMIME"},
	{REC_TYPE_ORCP, "B"}, {REC_TYPE_NTFY, "1"}, {REC_TYPE_RCPT, "b@x"},
	{REC_TYPE_MESG, ""}, {REC_TYPE_CONT, "long "}, {REC_TYPE_NORM, "line"},
	{REC_TYPE_NORM, ""}, {REC_TYPE_XTRA, ""}, {REC_TYPE_END, ""}, END_LIST
};

/* test_good - a valid stream is copied behind a TIME record */
static void
test_good(void **state)
{
	struct buf *why = buf_new(64);
	struct buf *types = buf_new(64);

	(void) state;
	assert_int_equal(ct_postdrop(ct_good, 0, why, types), 0);
	assert_string_equal(buf_str(types), "TFSAAAAAOYRMLNNXE");
	buf_free(why);
	buf_free(types);
}

/* test_size_limit - -2 once the file is bigger than the limit */
static void
test_size_limit(void **state)
{
	struct buf *why = buf_new(64);
	struct buf *types = buf_new(64);

	(void) state;
	assert_int_equal(ct_postdrop(ct_good, 60, why, types), -2);
	assert_string_equal(buf_str(why), "message file too big");
	assert_int_equal(ct_postdrop(ct_good, 1000, why, types), 0);
	buf_free(why);
	buf_free(types);
}

/* test_bad_streams - each is refused with its reason */
static void
test_bad_streams(void **state)
{
	static const struct {
		struct ct_rec recs[8];
		const char *why;
	}	cases[] = {
		{{END_LIST}, "premature end of file (no end record)"},
		{{{REC_TYPE_FROM, "a"}, {REC_TYPE_RCPT, "b"}, {REC_TYPE_MESG, ""}, END_LIST},
		"premature end of file (no end record)"},
		{{{REC_TYPE_TIME, "1 2"}, END_LIST}, "unexpected message_arrival_time record in envelope"},
		{{{REC_TYPE_RCPT, "b"}, {REC_TYPE_MESG, ""}, END_LIST}, "no sender record"},
		{{{REC_TYPE_FROM, "a"}, {REC_TYPE_MESG, ""}, END_LIST}, "no recipients"},
		{{{REC_TYPE_FROM, "a"}, {REC_TYPE_FROM, "b"}, END_LIST}, "duplicate sender record"},
		{{{REC_TYPE_FROM, "a\001"}, END_LIST}, "malformed sender record"},
		{{{REC_TYPE_ATTR, "client_address=1.2.3.4"}, END_LIST},
		"unexpected attribute \"client_address\""},
		{{{REC_TYPE_ATTR, "flags=1"}, END_LIST}, "bad flags attribute \"1\""},
		{{{REC_TYPE_ATTR, "ret_flags=3"}, END_LIST}, "bad return flags attribute \"3\""},
		{{{REC_TYPE_ATTR, "notify_flags=3"}, END_LIST}, "bad notify attribute \"3\""},
		{{{REC_TYPE_NTFY, "9"}, END_LIST}, "bad notify record \"9\""},
		{{{REC_TYPE_RCPT, ""}, END_LIST}, "empty recipient"},
		{{{REC_TYPE_FROM, "a"}, {REC_TYPE_NTFY, "2"}, {REC_TYPE_MESG, ""}, END_LIST},
		"recipient attributes without recipient"},
		{{{REC_TYPE_FROM, "a"}, {REC_TYPE_RCPT, "b"}, {REC_TYPE_MESG, ""},
		{REC_TYPE_RCPT, "c"}, END_LIST}, "unexpected recipient record in content"},
		{{{REC_TYPE_FROM, "a"}, {REC_TYPE_RCPT, "b"}, {REC_TYPE_MESG, ""},
		{REC_TYPE_CONT, "c"}, {REC_TYPE_XTRA, ""}, END_LIST},
		"content ends in a partial line"},
		{{{REC_TYPE_FROM, "a"}, {REC_TYPE_RCPT, "b"}, {REC_TYPE_MESG, ""},
		{REC_TYPE_XTRA, ""}, {REC_TYPE_END, ""}, {REC_TYPE_NORM, "x"}, END_LIST},
		"data after end of file record"},
		{{{REC_TYPE_FROM, "a"}, {REC_TYPE_RCPT, "b"}, {REC_TYPE_MESG, "12"}, END_LIST},
		"malformed message record"},
	};
	struct buf *why = buf_new(64);
	struct buf *types = buf_new(64);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(ct_postdrop(cases[i].recs, 0, why, types), -1);
		if (strcmp(buf_str(why), cases[i].why) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, buf_str(why),
				 cases[i].why);
	}
	buf_free(why);
	buf_free(types);
}

/* test_garbage - bytes that are not records at all */
static void
test_garbage(void **state)
{
	int	fd = ct_tmpfd(), out_fd = ct_tmpfd();
	struct buf *why = buf_new(64);
	struct rec_io *in, *out;

	(void) state;
	assert_int_equal(write(fd, "S\377\377\377\377\377garbage", 13), 13);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	in = rec_open(fd, REC_READ);
	out = rec_open(out_fd, REC_WRITE);
	assert_int_equal(postdrop_copy(in, out, 0, why), -1);
	assert_non_null(strstr(buf_str(why), "read: "));
	(void) rec_close(in);
	(void) rec_close(out);
	close(fd);
	close(out_fd);
	buf_free(why);
}

/* test_maildrop_time - pickup's view: TIME must come first */
static void
test_maildrop_time(void **state)
{
	struct maildrop_check mc;
	struct buf *why = buf_new(64);

	(void) state;
	maildrop_check_init(&mc, 1);
	assert_int_equal(maildrop_check_record(&mc, REC_TYPE_FROM, "a", 1, why), -1);
	assert_string_equal(buf_str(why), "file does not begin with an arrival time");
	maildrop_check_init(&mc, 1);
	assert_int_equal(maildrop_check_record(&mc, REC_TYPE_TIME, "1 x", 3, why), -1);
	maildrop_check_init(&mc, 1);
	assert_int_equal(maildrop_check_record(&mc, REC_TYPE_TIME, "1669000000 5", 12, why), 0);
	assert_int_equal(maildrop_check_record(&mc, REC_TYPE_FROM, "a", 1, why), 0);
	assert_int_equal(maildrop_check_record(&mc, REC_TYPE_ATTR, "flags=8192", 10, why), 0);
	assert_int_equal(maildrop_check_record(&mc, REC_TYPE_MESG, "", 0, why), 0);
	assert_int_equal(mc.flags, CLEANUP_FLAG_EXTRACT);
	assert_int_equal(mc.nrcpt, 0);
	assert_int_equal(maildrop_check_eof(&mc, why), -1);
	buf_free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_bad_streams),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_maildrop_time),
	};

	return (cmocka_run_group_tests_name("postdrop_copy", tests, NULL, NULL));
}
