/*
 * NAME
 *	test_bounce_dsn - unit tests for delivery status notification text
 * DESCRIPTION
 *	bounce_dsn_compose() is pure: these tests give it an envelope,
 *	recipients and the original message and compare the text line by
 *	line (TZ=UTC). Also the 79-column folding, the Remote-MTA and
 *	Diagnostic-Code parsing of SMTP reasons (with reasons that must not
 *	parse), and the date format.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <time.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <global/dsn.h>

#include "bounce/bounce.h"

/* collect - bounce_line_fn that appends "line\n" to a buf */
static void
collect(const char *line, size_t len, void *ctx)
{
	struct buf *out = ctx;

	buf_catn(out, line, len);
	buf_putc(out, '\n');
}

/* setup - fixed time zone */
static int
setup(void **state)
{
	(void) state;
	setenv("TZ", "UTC", 1);
	tzset();
	return (0);
}

/* sample_rcpts - a local failure and a remote one */
static void
sample_rcpts(struct bounce_rcpt rcpts[2])
{
	memset(rcpts, 0, 2 * sizeof(*rcpts));
	rcpts[0].address = xstrdup("nosuch@test.example");
	rcpts[0].orig = xstrdup("NoSuch@test.example");
	snprintf(rcpts[0].status, sizeof(rcpts[0].status), "5.1.1");
	rcpts[0].action = DSN_ACTION_FAILED;
	rcpts[0].reason = xstrdup("unknown user: \"nosuch\"");
	rcpts[1].address = xstrdup("b@example.net");
	rcpts[1].orig = xstrdup("list@test.example");
	rcpts[1].dsn_orcpt = xstrdup("rfc822;list@test.example");
	snprintf(rcpts[1].status, sizeof(rcpts[1].status), "5.1.1");
	rcpts[1].action = DSN_ACTION_FAILED;
	rcpts[1].reason = xstrdup("host mx.example.net[192.0.2.1] said: 550 5.1.1 <b@example.net>: "
				  "Recipient address rejected: User unknown in virtual mailbox "
				  "table (in reply to RCPT TO command)");
	bounce_dsn_diag(rcpts + 1, "mx.example.net[192.0.2.1]:25");
}

/* sample_original - two headers and a body line */
static void
sample_original(struct bounce_original *orig, int ret)
{
	memset(orig, 0, sizeof(*orig));
	orig->lines = argv_new(4);
	argv_add(orig->lines, "Subject: hello");
	argv_add(orig->lines, "Message-ID: <m1@example.com>");
	argv_add(orig->lines, "");
	argv_add(orig->lines, "body text");
	orig->header_count = 2;
	orig->ret = ret;
	orig->is_available = 1;
}

/* sample_info - a non-delivery notification to the sender */
static void
sample_info(struct bounce_info *info)
{
	memset(info, 0, sizeof(*info));
	info->kind = BOUNCE_KIND_FAILURE;
	info->queue_id = "1xVQiR3p2ojzaU";
	info->sender = "user@example.com";
	info->to = "user@example.com";
	info->hostname = "test.example";
	info->mail_name = "Postern";
	info->postmaster = "postmaster";
	info->envid = "ENV1";
	info->encoding = "7bit";
	info->arrival = 1700000000;
	info->now = 1700000100;
	info->warn_hours = 4;
	info->lifetime_days = 5;
	info->retry_until = 1700000000 + 5 * 86400;
}

static const char expected_failure[] =
"From: MAILER-DAEMON@test.example (Mail Delivery System)\n"
"Subject: Undelivered Mail Returned to Sender\n"
"To: user@example.com\n"
"Auto-Submitted: auto-replied\n"
"MIME-Version: 1.0\n"
"Content-Type: multipart/report; report-type=delivery-status;\n"
"\tboundary=\"1xVQiR3p2ojzaU.1700000100/test.example\"\n"
"Content-Transfer-Encoding: 7bit\n"
"\n"
"This is a MIME-encapsulated message.\n"
"\n"
"--1xVQiR3p2ojzaU.1700000100/test.example\n"
"Content-Description: Notification\n"
"Content-Type: text/plain; charset=us-ascii\n"
"\n"
"This is the mail system at host test.example.\n"
"\n"
"I'm sorry to have to inform you that your message could not\n"
"be delivered to one or more recipients. It's attached below.\n"
"\n"
"For further assistance, please send mail to postmaster.\n"
"\n"
"If you do so, please include this problem report. You can\n"
"delete your own text from the attached returned message.\n"
"\n"
"                   The mail system\n"
"\n"
"<nosuch@test.example>: unknown user: \"nosuch\"\n"
"\n"
"<b@example.net> (expanded from <list@test.example>): host\n"
"    mx.example.net[192.0.2.1] said: 550 5.1.1 <b@example.net>: Recipient\n"
"    address rejected: User unknown in virtual mailbox table (in reply to RCPT\n"
"    TO command)\n"
"\n"
"--1xVQiR3p2ojzaU.1700000100/test.example\n"
"Content-Description: Delivery report\n"
"Content-Type: message/delivery-status\n"
"\n"
"Original-Envelope-Id: ENV1\n"
"Reporting-MTA: dns; test.example\n"
"X-Postern-Queue-ID: 1xVQiR3p2ojzaU\n"
"X-Postern-Sender: rfc822; user@example.com\n"
"Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\n"
"\n"
"Final-Recipient: rfc822; nosuch@test.example\n"
"Original-Recipient: rfc822;NoSuch@test.example\n"
"Action: failed\n"
"Status: 5.1.1\n"
"Diagnostic-Code: X-Postern; unknown user: \"nosuch\"\n"
"\n"
"Final-Recipient: rfc822; b@example.net\n"
"Original-Recipient: rfc822;list@test.example\n"
"Action: failed\n"
"Status: 5.1.1\n"
"Remote-MTA: dns; mx.example.net\n"
"Diagnostic-Code: smtp; 550 5.1.1 <b@example.net>: Recipient address rejected:\n"
;

/* test_failure_text - the whole notification, line by line */
static void
test_failure_text(void **state)
{
	struct bounce_rcpt rcpts[2];
	struct bounce_original orig;
	struct bounce_info info;
	struct buf *out = buf_new(4096);
	const char *tail;

	(void) state;
	sample_rcpts(rcpts);
	sample_original(&orig, BOUNCE_RETURN_FULL);
	sample_info(&info);
	bounce_dsn_compose(&info, rcpts, 2, &orig, collect, out);
	/* Everything up to the long Diagnostic-Code is fixed text. */
	assert_memory_equal(buf_str(out), expected_failure, sizeof(expected_failure) - 1 - 45);
	tail = strstr(buf_str(out), "Diagnostic-Code: smtp; ");
	assert_non_null(tail);
	assert_string_equal(tail,
			    "Diagnostic-Code: smtp; 550 5.1.1 <b@example.net>: Recipient address "
			    "rejected: User unknown in virtual mailbox table\n"
			    "\n"
			    "--1xVQiR3p2ojzaU.1700000100/test.example\n"
			    "Content-Description: Undelivered Message\n"
			    "Content-Type: message/rfc822\n"
			    "\n"
			    "Subject: hello\n"
			    "Message-ID: <m1@example.com>\n"
			    "\n"
			    "body text\n"
			    "\n"
			    "--1xVQiR3p2ojzaU.1700000100/test.example--\n");
	bounce_rcpt_free(rcpts);
	bounce_rcpt_free(rcpts + 1);
	bounce_original_free(&orig);
	buf_free(out);
}

/* test_delay_headers - warning text, Will-Retry-Until, headers only */
static void
test_delay_headers(void **state)
{
	struct bounce_rcpt rcpt;
	struct bounce_original orig;
	struct bounce_info info;
	struct buf *out = buf_new(4096);

	(void) state;
	memset(&rcpt, 0, sizeof(rcpt));
	rcpt.address = xstrdup("slow@example.org");
	snprintf(rcpt.status, sizeof(rcpt.status), "4.4.1");
	rcpt.action = DSN_ACTION_DELAYED;
	rcpt.reason = xstrdup("connect to example.org[192.0.2.9]:25: Connection refused");
	sample_original(&orig, BOUNCE_RETURN_HEADERS);
	sample_info(&info);
	info.kind = BOUNCE_KIND_DELAY;
	info.encoding = "8bit";
	info.envid = NULL;
	bounce_dsn_compose(&info, &rcpt, 1, &orig, collect, out);
	assert_non_null(strstr(buf_str(out), "Subject: Delayed Mail (still being retried)\n"));
	assert_non_null(strstr(buf_str(out), "Content-Transfer-Encoding: 8bit\n\nThis is a MIME"));
	assert_non_null(strstr(buf_str(out),
			       "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"));
	assert_non_null(strstr(buf_str(out),
			       "Your message could not be delivered for more than 4 hour(s).\n"
			       "It will be retried until it is 5 day(s) old.\n"));
	assert_non_null(strstr(buf_str(out),
			       "\n<slow@example.org>: connect to example.org[192.0.2.9]:25: Connection "
			       "refused\n\n--"));
	assert_non_null(strstr(buf_str(out), "Action: delayed\nStatus: 4.4.1\n"
			       "Diagnostic-Code: X-Postern; connect to example.org[192.0.2.9]:25: "
			       "Connection refused\n"
			       "Will-Retry-Until: Sun, 19 Nov 2023 22:13:20 +0000 (UTC)\n"));
	assert_null(strstr(buf_str(out), "Original-Envelope-Id"));
	assert_null(strstr(buf_str(out), "Remote-MTA"));
	assert_non_null(strstr(buf_str(out), "Content-Description: Undelivered Message Headers\n"
			       "Content-Type: text/rfc822-headers\n"
			       "Content-Transfer-Encoding: 8bit\n\n"
			       "Subject: hello\nMessage-ID: <m1@example.com>\n\n--"));
	assert_null(strstr(buf_str(out), "body text"));
	bounce_rcpt_free(&rcpt);
	bounce_original_free(&orig);
	buf_free(out);
}

/* test_success - Postfix's success text, delivered and relayed blocks */
static void
test_success(void **state)
{
	struct bounce_rcpt rcpts[2];
	struct bounce_original orig;
	struct bounce_info info;
	struct buf *out = buf_new(4096);

	(void) state;
	memset(rcpts, 0, sizeof(rcpts));
	rcpts[0].address = xstrdup("user@test.example");
	rcpts[0].dsn_orcpt = xstrdup("rfc822;User@test.example");
	snprintf(rcpts[0].status, sizeof(rcpts[0].status), "2.0.0");
	rcpts[0].action = DSN_ACTION_DELIVERED;
	rcpts[0].reason = xstrdup("delivered to mailbox");
	bounce_dsn_diag(rcpts, "local");
	rcpts[1].address = xstrdup("far@example.net");
	snprintf(rcpts[1].status, sizeof(rcpts[1].status), "2.0.0");
	rcpts[1].action = DSN_ACTION_RELAYED;
	rcpts[1].reason = xstrdup("250 2.0.0 Ok: queued as X1");
	bounce_dsn_diag(rcpts + 1, "mx.example.net[192.0.2.1]:25");
	sample_original(&orig, BOUNCE_RETURN_HEADERS);
	sample_info(&info);
	info.kind = BOUNCE_KIND_SUCCESS;
	bounce_dsn_compose(&info, rcpts, 2, &orig, collect, out);
	assert_non_null(strstr(buf_str(out), "Subject: Successful Mail Delivery Report\n"));
	assert_non_null(strstr(buf_str(out),
			       "This is the mail system at host test.example.\n\n"
			       "Your message was successfully delivered to the destination(s)\n"
			       "listed below. If the message was delivered to mailbox you will\n"
			       "receive no further notifications. Otherwise you may still receive\n"
			       "notifications of mail delivery errors from other systems.\n\n"
			       "                   The mail system\n\n"
			       "<user@test.example>: delivered to mailbox\n\n"
			       "<far@example.net>: 250 2.0.0 Ok: queued as X1\n\n--"));
	assert_null(strstr(buf_str(out), "please send mail to postmaster"));
	assert_non_null(strstr(buf_str(out),
			       "Final-Recipient: rfc822; user@test.example\n"
			       "Original-Recipient: rfc822;User@test.example\n"
			       "Action: delivered\nStatus: 2.0.0\n"
			       "Diagnostic-Code: X-Postern; delivered to mailbox\n"));
	assert_non_null(strstr(buf_str(out),
			       "Final-Recipient: rfc822; far@example.net\n"
			       "Action: relayed\nStatus: 2.0.0\n"
			       "Remote-MTA: dns; mx.example.net\n"
			       "Diagnostic-Code: smtp; 250 2.0.0 Ok: queued as X1\n"));
	assert_non_null(strstr(buf_str(out), "Content-Description: Delivered Message Headers\n"
			       "Content-Type: text/rfc822-headers\n\n"
			       "Subject: hello\nMessage-ID: <m1@example.com>\n\n--"));
	assert_null(strstr(buf_str(out), "body text"));
	assert_null(strstr(buf_str(out), "Will-Retry-Until"));
	bounce_rcpt_free(rcpts);
	bounce_rcpt_free(rcpts + 1);
	bounce_original_free(&orig);
	buf_free(out);
}

/* test_postmaster_no_original - postmaster subject, message gone */
static void
test_postmaster_no_original(void **state)
{
	struct bounce_rcpt rcpt;
	struct bounce_original orig;
	struct bounce_info info;
	struct buf *out = buf_new(4096);
	const char *last;

	(void) state;
	memset(&rcpt, 0, sizeof(rcpt));
	rcpt.address = xstrdup("a b@example.org");	/* needs quoting */
	snprintf(rcpt.status, sizeof(rcpt.status), "5.0.0");
	rcpt.action = DSN_ACTION_FAILED;
	rcpt.reason = xstrdup("bad\001byte \303\251");
	memset(&orig, 0, sizeof(orig));
	sample_info(&info);
	info.is_postmaster = 1;
	info.to = "postmaster@test.example";
	info.sender = "";
	info.arrival = 0;
	bounce_dsn_compose(&info, &rcpt, 1, &orig, collect, out);
	assert_non_null(strstr(buf_str(out), "Subject: Postmaster Copy: Undelivered Mail\n"));
	assert_non_null(strstr(buf_str(out), "To: postmaster@test.example\n"));
	assert_non_null(strstr(buf_str(out), "\n<\"a b\"@example.org>: bad?byte ??\n"));
	assert_non_null(strstr(buf_str(out), "Final-Recipient: rfc822; \"a b\"@example.org\n"));
	assert_null(strstr(buf_str(out), "X-Postern-Sender"));
	assert_null(strstr(buf_str(out), "Arrival-Date"));
	assert_null(strstr(buf_str(out), "Undelivered Message"));
	last = buf_str(out) + buf_len(out) - strlen("--1xVQiR3p2ojzaU.1700000100/test.example--\n");
	assert_string_equal(last, "--1xVQiR3p2ojzaU.1700000100/test.example--\n");
	bounce_rcpt_free(&rcpt);
	buf_free(out);
}

/* test_wrap - folding keeps every word and the 79-column limit */
static void
test_wrap(void **state)
{
	struct buf *out = buf_new(1024);
	const char *cp, *nl;
	char	longword[120];

	(void) state;
	bounce_dsn_wrap("short text", collect, out);
	assert_string_equal(buf_str(out), "short text\n");
	buf_reset(out);
	bounce_dsn_wrap("", collect, out);
	assert_string_equal(buf_str(out), "\n");
	buf_reset(out);
	memset(longword, 'x', sizeof(longword) - 1);
	longword[sizeof(longword) - 1] = 0;
	bounce_dsn_wrap(longword, collect, out);	/* one word: never split */
	assert_int_equal(buf_len(out), sizeof(longword));
	buf_reset(out);
	bounce_dsn_wrap("aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm "
			"nnnn oooo pppp qqqq rrrr ssss tttt uuuu vvvv wwww", collect, out);
	for (cp = buf_str(out); *cp; cp = nl + 1) {
		nl = strchr(cp, '\n');
		assert_non_null(nl);
		assert_true(nl - cp <= 79);
		if (cp != buf_str(out))
			assert_memory_equal(cp, "    ", 4);
	}
	/* 16 words fill 79 columns exactly; the rest follows indented. */
	assert_non_null(strstr(buf_str(out), " pppp\n    qqqq rrrr ssss tttt uuuu vvvv wwww\n"));
	buf_free(out);
}

 /*
  * Reasons and what bounce_dsn_diag() must make of them.
  */
struct diag_case {
	const char *reason;
	const char *mta;			/* NULL: nothing parsed */
	const char *diag;
};

static const struct diag_case diag_cases[] = {
	{"host mx.example.com[192.0.2.1] said: 550 5.1.1 no (in reply to RCPT TO command)",
	"mx.example.com", "550 5.1.1 no"},
	{"host mx.example.com[192.0.2.1] said: 452 full", "mx.example.com", "452 full"},
	{"connect to mx.example.com[192.0.2.1]:25: Connection refused", NULL, NULL},
	{"host [192.0.2.1] said: 550 x", NULL, NULL},
	{"host mx.example.com[192.0.2.1 said 550", NULL, NULL},
	{"host mx.example.com[192.0.2.1] said:  (in reply to DATA command)", NULL, NULL},
	{"unknown user: \"x\"", NULL, NULL},
	{"", NULL, NULL},
};

/* test_diag - Remote-MTA and Diagnostic-Code from reasons */
static void
test_diag(void **state)
{
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(diag_cases); i++) {
		struct bounce_rcpt rcpt;

		memset(&rcpt, 0, sizeof(rcpt));
		rcpt.reason = xstrdup(diag_cases[i].reason);
		bounce_dsn_diag(&rcpt, "relay");
		if (diag_cases[i].mta == NULL) {
			assert_null(rcpt.mta_name);
			assert_null(rcpt.diag_text);
		} else {
			assert_string_equal(rcpt.mta_type, "dns");
			assert_string_equal(rcpt.mta_name, diag_cases[i].mta);
			assert_string_equal(rcpt.diag_type, "smtp");
			assert_string_equal(rcpt.diag_text, diag_cases[i].diag);
		}
		bounce_rcpt_free(&rcpt);
	}
}

/* test_date - mail_date() format */
static void
test_date(void **state)
{
	struct buf *out = buf_new(64);

	(void) state;
	bounce_dsn_date(out, 0);
	assert_string_equal(buf_str(out), "Thu, 01 Jan 1970 00:00:00 +0000 (UTC)");
	bounce_dsn_date(out, 1700000000);
	assert_string_equal(buf_str(out), "Tue, 14 Nov 2023 22:13:20 +0000 (UTC)");
	buf_free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failure_text),
		cmocka_unit_test(test_delay_headers),
		cmocka_unit_test(test_success),
		cmocka_unit_test(test_postmaster_no_original),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_diag),
		cmocka_unit_test(test_date),
	};

	return (cmocka_run_group_tests_name("bounce_dsn", tests, setup, NULL));
}
