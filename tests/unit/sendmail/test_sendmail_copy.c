/*
 * NAME
 *	test_sendmail_copy - message input, envelope records, postdrop check
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <setjmp.h>
#include <cmocka.h>
#include <global/cleanup_client.h>
#include <global/dsn.h>
#include <global/maildrop.h>
#include <global/mail_proto.h>
#include <global/record.h>

#include <stdio.h>
#include <unistd.h>

#include "sendmail/sendmail.h"

#define CT_MAX	256

struct ct_recs {
	int	count;
	int	type[CT_MAX];
	char   *data[CT_MAX];
	size_t	len[CT_MAX];
};

/* ct_read - all records of fd from offset 0 */
static void
ct_read(int fd, struct ct_recs *rs)
{
	struct buf *data = buf_new(64);
	struct rec_io *rp;
	int	type;

	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	rp = rec_open(fd, REC_READ);
	memset(rs, 0, sizeof(*rs));
	while ((type = rec_get(rp, data, REC_LEN_MAX, NULL)) >= 0 && rs->count < CT_MAX) {
		rs->type[rs->count] = type;
		rs->len[rs->count] = buf_len(data);
		rs->data[rs->count++] = xmemdup(buf_str(data), buf_len(data) + 1);
	}
	assert_int_equal(type, REC_TYPE_EOF);
	(void) rec_close(rp);
	buf_free(data);
}

/* ct_free - release records */
static void
ct_free(struct ct_recs *rs)
{
	int	i;

	for (i = 0; i < rs->count; i++)
		free(rs->data[i]);
}

/* ct_tmpfd - an anonymous temporary file */
static int
ct_tmpfd(void)
{
	FILE   *fp = tmpfile();

	assert_non_null(fp);
	return (dup(fileno(fp)));
}

/* ct_copy - run sendmail_copy on text; records in rs */
static void
ct_copy(const char *text, size_t len, int flags, size_t limit,
	struct ct_recs *rs)
{
	FILE   *in = fmemopen((void *) text, len, "r");
	int	fd = ct_tmpfd();
	struct rec_io *out = rec_open(fd, REC_WRITE);
	struct buf *why = buf_new(64);

	assert_non_null(in);
	assert_int_equal(sendmail_copy(in, out, flags, limit, why), 0);
	assert_int_equal(rec_close(out), 0);
	ct_read(fd, rs);
	assert_int_equal(rs->type[rs->count - 1], REC_TYPE_END);
	assert_int_equal(rs->type[rs->count - 2], REC_TYPE_XTRA);
	rs->count -= 2;			/* tests look at content only */
	fclose(in);
	close(fd);
	buf_free(why);
}

/* ct_expect - content records as "N:text|L:text|..." */
static void
ct_expect(const char *text, int flags, size_t limit, const char *want)
{
	struct ct_recs rs;
	struct buf *got = buf_new(64);
	int	i;

	ct_copy(text, strlen(text), flags, limit, &rs);
	for (i = 0; i < rs.count; i++)
		buf_appendf(got, "%s%c:%s", i ? "|" : "", rs.type[i], rs.data[i]);
	if (strcmp(buf_str(got), want) != 0)
		fail_msg("input \"%s\": got \"%s\", want \"%s\"", text, buf_str(got), want);
	rs.count += 2;
	ct_free(&rs);
	buf_free(got);
}

/* test_line_ends - LF, CR LF, bare CR, no final newline */
static void
test_line_ends(void **state)
{
	(void) state;
	ct_expect("a\nb\r\nc", 0, 100, "N:a|N:b|N:c");
	ct_expect("a\rb\n\r\n", 0, 100, "N:a\rb|N:");
	ct_expect("x\r", 0, 100, "N:x\r");
	ct_expect("", 0, 100, "");
	ct_expect("\n\n", 0, 100, "N:|N:");
}

/* test_dot - a lone dot ends input unless -i */
static void
test_dot(void **state)
{
	(void) state;
	ct_expect("a\n.\nb\n", 0, 100, "N:a");
	ct_expect("a\n.\r\nb\n", 0, 100, "N:a");
	ct_expect("a\n.\nb\n", SENDMAIL_COPY_DOT_OK, 100, "N:a|N:.|N:b");
	ct_expect("a\n..\n.x\n", 0, 100, "N:a|N:..|N:.x");
	ct_expect(".", 0, 100, "");
}

/* test_from_line - a leading mailbox postmark is dropped */
static void
test_from_line(void **state)
{
	(void) state;
	ct_expect("From alice Mon Nov 21 10:00:00 2022\nSubject: x\n", 0, 100,
		  "N:Subject: x");
	ct_expect("Subject: x\nFrom the body\n", 0, 100,
		  "N:Subject: x|N:From the body");
	ct_expect("From: alice\n", 0, 100, "N:From: alice");
}

/* test_long_lines - pieces at the limit; the CR of CR LF never splits */
static void
test_long_lines(void **state)
{
	(void) state;
	ct_expect("abcdefghij\n", 0, 4, "L:abcd|L:efgh|N:ij");
	ct_expect("abcd\n", 0, 4, "N:abcd");
	ct_expect("abcd\r\nef", 0, 4, "N:abcd|N:ef");
	ct_expect("abcd\rx\n", 0, 4, "L:abcd|N:\rx");
	ct_expect("....\n", 0, 2, "L:..|N:..");
}

/* test_envelope - records for the options and recipients */
static void
test_envelope(void **state)
{
	struct sendmail_opts opts;
	struct ct_recs rs;
	struct buf *why = buf_new(64);
	char   *rcpts[] = {"a@example.com", "Bob <b@example.com>, c", NULL};
	int	fd = ct_tmpfd();
	struct rec_io *out = rec_open(fd, REC_WRITE);

	(void) state;
	sendmail_opts_init(&opts, "sendmail");
	opts.full_name = "Joe\tDoe";
	opts.extract = 1;
	opts.dsn_notify = DSN_NOTIFY_FAILURE;
	opts.dsn_ret = DSN_RET_FULL;
	opts.dsn_envid = "id1";
	opts.encoding = "7BIT";
	opts.recipients = rcpts;
	opts.nrcpt = 2;
	assert_int_equal(sendmail_envelope(out, &opts, "joe", why), 3);
	assert_int_equal(rec_close(out), 0);
	ct_read(fd, &rs);
	assert_int_equal(rs.count, 14);
	assert_int_equal(rs.type[0], REC_TYPE_FULL);
	assert_string_equal(rs.data[0], "Joe Doe");
	assert_int_equal(rs.type[1], REC_TYPE_FROM);
	assert_string_equal(rs.data[1], "joe");
	assert_string_equal(rs.data[2], "flags=8192");
	assert_string_equal(rs.data[3], MAIL_ATTR_DSN_NOTIFY "=4");
	assert_string_equal(rs.data[4], MAIL_ATTR_DSN_ENVID "=id1");
	assert_string_equal(rs.data[5], MAIL_ATTR_DSN_RET "=1");
	assert_string_equal(rs.data[6], MAIL_ATTR_ENCODING "=7BIT");
	assert_int_equal(rs.type[7], REC_TYPE_NTFY);
	assert_string_equal(rs.data[7], "4");
	assert_string_equal(rs.data[8], "a@example.com");
	assert_string_equal(rs.data[10], "b@example.com");
	assert_string_equal(rs.data[12], "c");
	assert_int_equal(rs.type[13], REC_TYPE_MESG);
	ct_free(&rs);
	close(fd);
	sendmail_opts_free(&opts);
	buf_free(why);
}

/* test_envelope_errors - bad addresses are refused before postdrop */
static void
test_envelope_errors(void **state)
{
	struct sendmail_opts opts;
	struct buf *why = buf_new(64);
	char   *bad_list[] = {"a@example.com, <unclosed", NULL};
	char   *ctrl[] = {"\"a\tb\"@example.com", NULL};
	char   *smuggle_lf[] = {"a@example.com\nBcc: v@example.net", NULL};
	char   *smuggle_crlf[] = {"a@example.com\r\nBcc: v@example.net", NULL};
	int	fd = ct_tmpfd();
	struct rec_io *out = rec_open(fd, REC_WRITE);

	(void) state;
	sendmail_opts_init(&opts, "sendmail");
	opts.recipients = bad_list;
	opts.nrcpt = 1;
	assert_int_equal(sendmail_envelope(out, &opts, "joe", why), -1);
	assert_non_null(strstr(buf_str(why), "bad recipient address syntax"));
	opts.recipients = ctrl;
	assert_int_equal(sendmail_envelope(out, &opts, "joe", why), -1);
	buf_reset(why);
	opts.recipients = smuggle_lf;
	assert_int_equal(sendmail_envelope(out, &opts, "joe", why), -1);
	assert_non_null(strstr(buf_str(why), "control character"));
	buf_reset(why);
	opts.recipients = smuggle_crlf;
	assert_int_equal(sendmail_envelope(out, &opts, "joe", why), -1);
	assert_non_null(strstr(buf_str(why), "control character"));
	assert_int_equal(sendmail_envelope(out, &opts, "jo\ne", why), -1);
	assert_non_null(strstr(buf_str(why), "bad sender address"));
	(void) rec_close(out);
	close(fd);
	sendmail_opts_free(&opts);
	buf_free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_dot),
		cmocka_unit_test(test_from_line),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_envelope_errors),
	};

	return (cmocka_run_group_tests_name("sendmail_copy", tests, NULL, NULL));
}
