/*
 * NAME
 *	test_local_copy - unit tests for copying a message out of the queue
 * DESCRIPTION
 *	A queue file made with the record API; local_copy() into a memory
 *	file with mbox, maildir and command options, compared byte for
 *	byte (TZ=UTC, fixed date): From_ line, prepended headers, >From
 *	quoting at line starts only (not inside long lines), the empty
 *	line at the end, the null sender. Then the size limit (EFBIG), a
 *	bad content offset, and the Delivered-To: scan that must stop at
 *	the end of the headers.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <util/htable.h>
#include <global/params.h>
#include <global/record.h>

#include "local/local.h"

static int qfd = -1;
static long mesg_offset;

/* write_queue_file - content lines, "|" marks a CONT piece boundary */
static void
write_queue_file(const char *const *lines, size_t count)
{
	struct qfile_envelope env;
	struct rec_io *rp;
	size_t	i;

	if (qfd >= 0)
		(void) close(qfd);
	qfd = memfd_create("queue", 0);
	assert_true(qfd >= 0);
	qfile_envelope_init(&env);
	env.arrival = 1700000000;
	env.sender = xstrdup("s@example.com");
	qfile_envelope_add_rcpt(&env, "r@example.com", NULL, 0);
	rp = rec_open(qfd, REC_WRITE);
	assert_int_equal(qfile_write_envelope(rp, &env), 0);
	for (i = 0; i < count; i++) {
		const char *bar = strchr(lines[i], '|');

		if (bar) {
			assert_int_equal(rec_put(rp, REC_TYPE_CONT, lines[i],
						 (size_t) (bar - lines[i])), 0);
			assert_int_equal(rec_put(rp, REC_TYPE_NORM, bar + 1, strlen(bar + 1)), 0);
		} else
			assert_int_equal(rec_put(rp, REC_TYPE_NORM, lines[i], strlen(lines[i])), 0);
	}
	assert_int_equal(qfile_write_xtra(rp, &env), 0);
	env.size = 100;
	assert_int_equal(qfile_write_end(rp, qfd, &env), 0);
	assert_int_equal(rec_close(rp), 0);
	mesg_offset = (long) env.mesg_offset;
	qfile_envelope_free(&env);
}

static const char *const message[] = {
	"Subject: x",
	"Delivered-To: A@X",
	"delivered-to:   <b@x>  ",
	"",
	"From here",
	">From there",
	"From",
	"abc|From inside",
	"From start|of long",
	"Delivered-To: c@x",
};

/* setup - UTC, defaults, the sample file */
static int
setup(void **state)
{
	(void) state;
	setenv("TZ", "UTC", 1);
	tzset();
	params_reset_defaults();
	write_queue_file(message, ARRAY_LEN(message));
	return (0);
}

/* teardown - close the file */
static int
teardown(void **state)
{
	(void) state;
	(void) close(qfd);
	return (0);
}

/* copy_text - local_copy() into a memory file; returns status, text in out */
static int
copy_text(int flags, const struct local_copy_attr *attr, struct buf *out, struct buf *why)
{
	int	fd = memfd_create("out", 0);
	char	chunk[4096];
	ssize_t	n;
	int	ret;

	assert_true(fd >= 0);
	ret = local_copy(qfd, mesg_offset, fd, flags, attr, why);
	buf_reset(out);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_catn(out, chunk, (size_t) n);
	(void) close(fd);
	return (ret);
}

/* starts_with - out begins with text */
static int
starts_with(const struct buf *out, const char *text)
{
	return (strncmp(buf_str(out), text, strlen(text)) == 0);
}

/* attr_init - sample attributes */
static void
attr_init(struct local_copy_attr *attr, const char *sender)
{
	memset(attr, 0, sizeof(*attr));
	attr->sender = sender;
	attr->orig_rcpt = "Orig@Example.COM";
	attr->delivered_to = "User+Ext@Example.COM";
	attr->now = 0;
}

static const char body[] =
"Subject: x\n"
"Delivered-To: A@X\n"
"delivered-to:   <b@x>  \n"
"\n";

/* test_mbox - everything an mbox gets */
static void
test_mbox(void **state)
{
	struct local_copy_attr attr;
	struct buf *out = buf_new(512), *why = buf_new(64);

	(void) state;
	attr_init(&attr, "s@example.com");
	assert_int_equal(copy_text(LOCAL_COPY_MBOX, &attr, out, why), LOCAL_COPY_OK);
	assert_string_equal(buf_str(out),
			    "From s@example.com  Thu Jan  1 00:00:00 1970\n"
			    "Return-Path: <s@example.com>\n"
			    "X-Original-To: Orig@Example.COM\n"
			    "Delivered-To: user+ext@example.com\n"
			    "Subject: x\n"
			    "Delivered-To: A@X\n"
			    "delivered-to:   <b@x>  \n"
			    "\n"
			    ">From here\n"
			    ">From there\n"
			    "From\n"
			    "abcFrom inside\n"
			    ">From startof long\n"
			    "Delivered-To: c@x\n"
			    "\n");
	buf_free(out);
	buf_free(why);
}

/* test_maildir_command - other option sets, null sender */
static void
test_maildir_command(void **state)
{
	struct local_copy_attr attr;
	struct buf *out = buf_new(512), *why = buf_new(64);

	(void) state;
	attr_init(&attr, "");
	attr.orig_rcpt = NULL;
	assert_int_equal(copy_text(LOCAL_COPY_MAILDIR, &attr, out, why), LOCAL_COPY_OK);
	assert_true(starts_with(out, "Return-Path: <>\nDelivered-To: user+ext@example.com\n"
				"Subject: x\n"));
	assert_non_null(strstr(buf_str(out), "\nFrom here\n>From there\n"));
	assert_int_equal(buf_str(out)[buf_len(out) - 2], 'x');	/* no empty line */
	assert_int_equal(copy_text(LOCAL_COPY_COMMAND, &attr, out, why), LOCAL_COPY_OK);
	assert_true(starts_with(out, "From MAILER-DAEMON  Thu Jan  1 00:00:00 1970\n"
				"Return-Path: <>\nDelivered-To: user+ext@example.com\nSubject: x\n"));
	assert_non_null(strstr(buf_str(out), "\nFrom here\n"));
	assert_int_equal(copy_text(0, &attr, out, why), LOCAL_COPY_OK);
	assert_true(starts_with(out, body));
	buf_free(out);
	buf_free(why);
}

/* test_flags - prepend_delivered_header and enable_original_recipient */
static void
test_flags(void **state)
{
	(void) state;
	assert_int_equal(local_copy_flags(LOCAL_COPY_MBOX, "file"), LOCAL_COPY_MBOX);
	assert_int_equal(params_override("prepend_delivered_header=command", NULL), 0);
	assert_int_equal(local_copy_flags(LOCAL_COPY_MBOX, "file"),
			 LOCAL_COPY_MBOX & ~LOCAL_COPY_DELIVERED);
	assert_int_equal(local_copy_flags(LOCAL_COPY_COMMAND, "command"), LOCAL_COPY_COMMAND);
	assert_int_equal(params_override("enable_original_recipient=no", NULL), 0);
	assert_int_equal(local_copy_flags(LOCAL_COPY_COMMAND, "command"),
			 LOCAL_COPY_COMMAND & ~LOCAL_COPY_ORIG_RCPT);
	params_reset_defaults();
}

/* test_limit - mailbox_size_limit */
static void
test_limit(void **state)
{
	struct local_copy_attr attr;
	struct buf *out = buf_new(512), *why = buf_new(64);

	(void) state;
	attr_init(&attr, "s@example.com");
	attr.limit = 1000;
	attr.start = 990;
	assert_int_equal(copy_text(LOCAL_COPY_MBOX, &attr, out, why), LOCAL_COPY_ERR_WRITE);
	assert_int_equal(errno, EFBIG);
	assert_true(buf_len(out) <= 10);
	attr.start = 2000;			/* already over */
	assert_int_equal(copy_text(LOCAL_COPY_MBOX, &attr, out, why), LOCAL_COPY_ERR_WRITE);
	assert_int_equal(errno, EFBIG);
	attr.start = 0;
	assert_int_equal(copy_text(LOCAL_COPY_MBOX, &attr, out, why), LOCAL_COPY_OK);
	buf_free(out);
	buf_free(why);
}

/* test_bad_offset - content offset that is not MESG */
static void
test_bad_offset(void **state)
{
	struct local_copy_attr attr;
	struct buf *out = buf_new(512), *why = buf_new(64);
	int	fd = memfd_create("out", 0);

	(void) state;
	attr_init(&attr, "s@example.com");
	assert_int_equal(local_copy(qfd, 0, fd, 0, &attr, why), LOCAL_COPY_ERR_READ);
	assert_non_null(strstr(buf_str(why), "no message content at offset 0"));
	buf_reset(why);
	assert_int_equal(local_copy(qfd, 1L << 40, fd, 0, &attr, why), LOCAL_COPY_ERR_READ);
	assert_true(buf_len(why) > 0);
	(void) close(fd);
	buf_free(out);
	buf_free(why);
}

/* test_header_scan - Delivered-To: values of the header only */
static void
test_header_scan(void **state)
{
	struct htable *seen = htable_new(4);
	struct buf *why = buf_new(64);

	(void) state;
	assert_int_equal(local_header_scan(qfd, mesg_offset, seen, why), 0);
	assert_int_equal(htable_count(seen), 2);
	assert_non_null(htable_locate(seen, "a@x"));
	assert_non_null(htable_locate(seen, "b@x"));
	assert_null(htable_locate(seen, "c@x"));
	assert_int_equal(local_header_scan(qfd, 0, seen, why), -1);
	htable_free(seen, NULL);
	buf_free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mbox),
		cmocka_unit_test(test_maildir_command),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_bad_offset),
		cmocka_unit_test(test_header_scan),
	};

	return (cmocka_run_group_tests_name("local_copy", tests, setup, teardown));
}
