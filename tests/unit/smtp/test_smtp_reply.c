/*
 * NAME
 *	test_smtp_reply - unit tests for the SMTP reply parser and classifier
 * DESCRIPTION
 *	Table tests: single and multi-line replies (code, status, joined
 *	text), malformed lines (short, bad codes, bad separators, control
 *	characters, too many lines, lines with different codes), the classifier with the default
 *	smtp_throttle_reply_patterns (421, 4.7.x, the texts, and the "452
 *	4.5.3 too many recipients" split that is never a throttle), custom
 *	pattern lists, and the stream reader: multi-line, over-long line,
 *	garbage, end of file and time-out.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>
#include <sys/socket.h>
#include <util/msg.h>
#include <global/params.h>
#include "smtp/smtp.h"

/* setup - defaults, quiet logging */
static int
setup(void **state)
{
	(void) state;
	msg_to_stderr(MSG_STDERR_OFF);
	params_reset_defaults();
	return (0);
}

/* parse_lines - feed lines separated by '|'; result of the last call */
static int
parse_lines(struct smtp_reply *reply, const char *input, struct buf *why)
{
	const char *cp = input, *end;
	int	ret = -1;

	smtp_reply_reset(reply);
	for (;;) {
		end = strchr(cp, '|');
		ret = smtp_reply_add_line(reply, cp, end ? (size_t) (end - cp) : strlen(cp), why);
		if (ret <= 0 || end == NULL)
			return (ret);
		cp = end + 1;
	}
}

/* test_reply_good - well-formed replies */
static void
test_reply_good(void **state)
{
	static const struct {
		const char *input;
		int	code;
		const char *dsn;
		const char *text;
	} cases[] = {
		{"250 2.0.0 Ok: queued as ABC", 250, "2.0.0", "250 2.0.0 Ok: queued as ABC"},
		{"250", 250, "2.0.0", "250"},
		{"220 mx.example ESMTP", 220, "2.0.0", "220 mx.example ESMTP"},
		{"550-5.7.1 first|550 5.7.1 second", 550, "5.7.1", "550-5.7.1 first 550 5.7.1 second"},
		{"250-mx|250-PIPELINING|250 SIZE 100", 250, "2.0.0", "250-mx 250-PIPELINING 250 SIZE 100"},
		{"451 temporary", 451, "4.0.0", "451 temporary"},
		{"450 5.1.1 class mismatch", 450, "4.0.0", "450 5.1.1 class mismatch"},
		{"354 End data", 354, "2.0.0", "354 End data"},
		{"421 4.7.0 Try again later", 421, "4.7.0", "421 4.7.0 Try again later"},
		{"250 caf\xc3\xa9\ttab", 250, "2.0.0", "250 caf\xc3\xa9\ttab"},
	};
	struct smtp_reply reply;
	struct buf *why = buf_new(10);
	size_t	i;

	(void) state;
	smtp_reply_init(&reply);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(parse_lines(&reply, cases[i].input, why), 0);
		assert_int_equal(reply.code, cases[i].code);
		assert_string_equal(reply.dsn, cases[i].dsn);
		assert_string_equal(reply.text->data, cases[i].text);
		assert_true(reply.is_done);
	}
	assert_int_equal(parse_lines(&reply, "250-mx|250-PIPELINING|250 SIZE 100", why), 0);
	assert_int_equal(reply.line->argc, 3);
	assert_string_equal(reply.line->argv[2], "250 SIZE 100");
	smtp_reply_free(&reply);
	buf_free(why);
}

/* test_reply_bad - malformed lines */
static void
test_reply_bad(void **state)
{
	static const char *const cases[] = {
		"", "25", "2", "600 too big", "199 too small", "2500 four digits",
		"250x", "abc def", "\x00\xff\xfe garbage", "250 bell\x07", "250-ok|junk",
		"250-ok|25", "099 zero",
	};
	struct smtp_reply reply;
	struct buf *why = buf_new(10);
	struct buf *many = buf_new(1000);
	size_t	i;

	(void) state;
	smtp_reply_init(&reply);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		smtp_reply_reset(&reply);
		assert_int_equal(parse_lines(&reply, cases[i], why), -1);
		assert_true(why->len > 0);
	}
	/* "\x00..." above is cut at the null: check the binary case too. */
	smtp_reply_reset(&reply);
	assert_int_equal(smtp_reply_add_line(&reply, "250\0x", 5, why), -1);
	for (i = 0; i <= SMTP_REPLY_LINES_LIMIT; i++)
		buf_cat(many, "250-x|");
	buf_cat(many, "250 end");
	assert_int_equal(parse_lines(&reply, many->data, why), -1);
	assert_non_null(strstr(why->data, "reply lines"));
	smtp_reply_free(&reply);
	buf_free(why);
	buf_free(many);
}

/* test_classify - default throttle patterns and the split case */
static void
test_classify(void **state)
{
	static const struct {
		const char *reply;
		int	want;
	} cases[] = {
		{"250 2.1.5 Ok", SMTP_CLASS_OK},
		{"354 go ahead", SMTP_CLASS_OK},
		{"421 4.7.0 Try again later", SMTP_CLASS_DEFER | SMTP_CLASS_CLOSE | SMTP_CLASS_THROTTLE},
		{"421 4.3.2 shutting down", SMTP_CLASS_DEFER | SMTP_CLASS_CLOSE | SMTP_CLASS_THROTTLE},
		{"450 4.7.1 greylisted", SMTP_CLASS_DEFER | SMTP_CLASS_THROTTLE},
		{"451 4.7.650 reputation", SMTP_CLASS_DEFER | SMTP_CLASS_THROTTLE},
		{"452 4.7.0 slow down", SMTP_CLASS_DEFER | SMTP_CLASS_THROTTLE},
		{"453 4.7.0 not in the list", SMTP_CLASS_DEFER},
		{"451 4.3.0 local error", SMTP_CLASS_DEFER},
		{"450 4.2.0 Rate Limit exceeded", SMTP_CLASS_DEFER | SMTP_CLASS_THROTTLE},
		{"451 please try again later", SMTP_CLASS_DEFER | SMTP_CLASS_THROTTLE},
		{"450 Too many connections from you", SMTP_CLASS_DEFER | SMTP_CLASS_THROTTLE},
		{"452 too many messages in this session", SMTP_CLASS_DEFER | SMTP_CLASS_THROTTLE},
		{"452 4.5.3 Too many recipients", SMTP_CLASS_DEFER | SMTP_CLASS_SPLIT},
		{"452 4.5.3 too many recipients, try again later", SMTP_CLASS_DEFER | SMTP_CLASS_SPLIT},
		{"452 Error: too many recipients", SMTP_CLASS_DEFER | SMTP_CLASS_SPLIT},
		{"452 4.2.2 mailbox full", SMTP_CLASS_DEFER},
		{"550 5.7.1 too many connections", SMTP_CLASS_BOUNCE},
		{"554 5.7.1 rate limit", SMTP_CLASS_BOUNCE},
	};
	struct smtp_throttle *throttle = smtp_throttle_create(var_smtp_throttle_reply_patterns);
	struct smtp_reply reply;
	struct buf *why = buf_new(10);
	size_t	i;

	(void) state;
	smtp_reply_init(&reply);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(parse_lines(&reply, cases[i].reply, why), 0);
		if (smtp_reply_classify(&reply, throttle) != cases[i].want)
			fail_msg("%s: got %#x want %#x", cases[i].reply,
				 smtp_reply_classify(&reply, throttle), cases[i].want);
	}
	assert_int_equal(parse_lines(&reply, "421 4.7.0 x", why), 0);
	assert_int_equal(smtp_reply_classify(&reply, NULL), SMTP_CLASS_DEFER | SMTP_CLASS_CLOSE);
	smtp_throttle_free(throttle);
	smtp_reply_free(&reply);
	buf_free(why);
}

/* test_throttle_patterns - custom lists, white space, no patterns */
static void
test_throttle_patterns(void **state)
{
	struct smtp_throttle *t;

	(void) state;
	t = smtp_throttle_create("  550 5.7.1 *slow*  ,\n 4?? *BUSY*");
	assert_true(smtp_throttle_match(t, "550 5.7.1 go slow please"));
	assert_true(smtp_throttle_match(t, "451 4.0.0 server busy"));
	assert_false(smtp_throttle_match(t, "451 4.0.0 server idle"));
	assert_false(smtp_throttle_match(t, " 550 5.7.1 slow"));
	smtp_throttle_free(t);
	t = smtp_throttle_create("");
	assert_false(smtp_throttle_match(t, "421 anything"));
	smtp_throttle_free(t);
	t = smtp_throttle_create(NULL);
	assert_false(smtp_throttle_match(t, "421 anything"));
	smtp_throttle_free(t);
	smtp_throttle_free(NULL);
}

/* read_from - write bytes into a socket pair, read a reply from the other end */
static enum smtp_read_status
read_from(const char *bytes, size_t len, int close_after, struct smtp_reply *reply,
	          struct buf *why)
{
	int	fds[2];
	struct stream *in;
	enum smtp_read_status status;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	assert_int_equal(write(fds[1], bytes, len), (ssize_t) len);
	if (close_after)
		close(fds[1]);
	in = stream_fdopen(fds[0], STREAM_READ);
	stream_set_deadline(in, 200);
	status = smtp_reply_read(in, reply, why);
	stream_close(in);
	if (!close_after)
		close(fds[1]);
	return (status);
}

/* test_read - the stream reader */
static void
test_read(void **state)
{
	struct smtp_reply reply;
	struct buf *why = buf_new(10);
	struct buf *big = buf_new(5000);
	static const char multi[] = "250-mx.test\r\n250-PIPELINING\n250 8BITMIME\r\n250 next";

	(void) state;
	smtp_reply_init(&reply);
	assert_int_equal(read_from(multi, sizeof(multi) - 1, 1, &reply, why), SMTP_READ_OK);
	assert_int_equal(reply.code, 250);
	assert_string_equal(reply.text->data, "250-mx.test 250-PIPELINING 250 8BITMIME");
	buf_cat(big, "250 ");
	while (big->len < SMTP_REPLY_LINE_LIMIT + 10)
		buf_putc(big, 'x');
	buf_cat(big, "\r\n");
	assert_int_equal(read_from(big->data, big->len, 1, &reply, why), SMTP_READ_PROTO);
	assert_non_null(strstr(why->data, "longer than"));
	assert_int_equal(read_from("\x01\xff garbage\r\n", 12, 1, &reply, why), SMTP_READ_PROTO);
	assert_non_null(strstr(why->data, "malformed reply line"));
	assert_non_null(strstr(why->data, "\\x01\\xff"));
	assert_int_equal(read_from("250-only half\r\n", 15, 1, &reply, why), SMTP_READ_LOST);
	assert_int_equal(read_from("", 0, 1, &reply, why), SMTP_READ_LOST);
	assert_int_equal(read_from("250-wait", 8, 0, &reply, why), SMTP_READ_TIMEOUT);
	smtp_reply_free(&reply);
	buf_free(why);
	buf_free(big);
}

/* test_reply_mixed_codes - lines of one reply with different codes */
static void
test_reply_mixed_codes(void **state)
{
	static const char *const cases[][2] = {
		{"250-first", "550 5.0.0 second"},
		{"550-5.1.1 no such user", "250 ok"},
		{"452-4.5.3 a", "250 ok"},
	};
	static const char mixed[] = "250-first\r\n550 5.0.0 second\r\n";
	struct smtp_reply reply;
	struct buf *why = buf_new(10);
	size_t	i;

	(void) state;
	smtp_reply_init(&reply);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		smtp_reply_reset(&reply);
		buf_reset(why);
		assert_int_equal(smtp_reply_add_line(&reply, cases[i][0],
					     strlen(cases[i][0]), why), 1);
		assert_int_equal(smtp_reply_add_line(&reply, cases[i][1],
					     strlen(cases[i][1]), why), -1);
		assert_non_null(strstr(why->data, "differs"));
		assert_false(reply.is_done);
	}
	assert_int_equal(read_from(mixed, sizeof(mixed) - 1, 1, &reply, why),
			 SMTP_READ_PROTO);
	assert_non_null(strstr(why->data, "differs"));
	smtp_reply_free(&reply);
	buf_free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reply_good, setup),
		cmocka_unit_test_setup(test_reply_bad, setup),
		cmocka_unit_test_setup(test_classify, setup),
		cmocka_unit_test_setup(test_throttle_patterns, setup),
		cmocka_unit_test_setup(test_read, setup),
		cmocka_unit_test_setup(test_reply_mixed_codes, setup),
	};

	return (cmocka_run_group_tests_name("smtp_reply", tests, NULL, NULL));
}
