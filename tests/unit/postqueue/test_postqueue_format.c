/*
 * NAME
 *	test_postqueue_format - mailq and postqueue -j output
 * DESCRIPTION
 *	The Postfix long-ID mailq layout (heading, status marks, column
 *	widths, reason lines and when they repeat, the summary) and the
 *	JSON lines (field order, escapes of any bytes) are compared with
 *	golden files in this directory; text helpers are checked on their
 *	own. Times are shown in UTC. POSTERN_UPDATE_GOLDEN=1 rewrites the
 *	golden files.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <time.h>
#include <util/buf.h>
#include "postqueue/postqueue.h"

#define T0	1700000000L		/* Tue Nov 14 22:13:20 2023 UTC */

/* golden - compare with (or rewrite) a file of this directory */
static void
golden(const char *file, const struct buf *out)
{
	const char *slash = strrchr(__FILE__, '/');
	struct buf *path = buf_new(64), *want = buf_new(1024);
	char	chunk[4096];
	size_t	n;
	FILE   *fp;

	buf_printf(path, "%.*s/%s", (int) (slash - __FILE__), __FILE__, file);
	if (getenv("POSTERN_UPDATE_GOLDEN")) {
		assert_non_null(fp = fopen(buf_str(path), "w"));
		fwrite(buf_str(out), 1, buf_len(out), fp);
		fclose(fp);
	}
	if ((fp = fopen(buf_str(path), "r")) == NULL)
		fail_msg("cannot open %s", buf_str(path));
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_catn(want, chunk, n);
	fclose(fp);
	if (buf_len(want) != buf_len(out)
	    || memcmp(buf_str(want), buf_str(out), buf_len(out)) != 0)
		fail_msg("%s differs; got:\n%s", file, buf_str(out));
	buf_free(path);
	buf_free(want);
}

/* set_msg - fill in a message */
static void
set_msg(struct showq_msg *msg, const char *queue, const char *id, long when,
	long size, const char *sender)
{
	showq_msg_reset(msg);
	buf_cpy(msg->queue_name, queue);
	buf_cpy(msg->queue_id, id);
	msg->arrival = when;
	msg->size = size;
	buf_cpy(msg->sender, sender);
	buf_cpy(msg->priority, "normal");
}

/* add_rcpt - one recipient */
static void
add_rcpt(struct showq_msg *msg, const char *addr, const char *reason,
	 const char *transport)
{
	struct showq_rcpt *rcpt = showq_msg_add_rcpt(msg);

	buf_cpy(rcpt->address, addr);
	buf_cpy(rcpt->reason, reason);
	buf_cpy(rcpt->transport, transport);
}

/* sample - the messages of the golden listings; fn gets each */
static void
sample(void (*fn) (struct showq_msg *, void *), void *ctx)
{
	struct showq_msg msg;

	showq_msg_init(&msg);
	set_msg(&msg, "maildrop", "1r31hk0003A", T0 + 180, 86, "local@test.example");
	add_rcpt(&msg, "m@example.com", "", "smtp");
	fn(&msg, ctx);
	set_msg(&msg, "active", "1r31fo00018", T0 + 60, 1234, "MAILER-DAEMON");
	add_rcpt(&msg, "\"x?y\"@example.com", "", "smtp");
	fn(&msg, ctx);
	set_msg(&msg, "deferred", "1r31eq03D77", T0, 204800, "alice@example.org");
	msg.forced_expire = 1;
	add_rcpt(&msg, "bob@example.com", "connect to example.com[192.0.2.1]:25: "
		 "Connection refused", "smtp");
	add_rcpt(&msg, "bill@example.com", "connect to example.com[192.0.2.1]:25: "
		 "Connection refused", "smtp");
	add_rcpt(&msg, "carol@example.net", "host mx.example.net[192.0.2.2] said: "
		 "451 4.7.1 Try again later (in reply to RCPT TO command)", "relay");
	add_rcpt(&msg, "dave@example.org", "", "");
	add_rcpt(&msg, "erin@example.org", "", "");
	fn(&msg, ctx);
	set_msg(&msg, "hold", "1r31gm00029HXqz7", T0 - 86400 * 40, 99999999,
		"\"odd user\"@example.com");
	add_rcpt(&msg, "z@example.com", "", "local");
	fn(&msg, ctx);
	showq_msg_free(&msg);
}

/* text_one - format one message as mailq text */
static void
text_one(struct showq_msg *msg, void *ctx)
{
	void  **args = ctx;

	postqueue_text_msg(args[0], msg, args[1]);
}

/* test_text_layout - the whole listing */
static void
test_text_layout(void **state)
{
	struct postqueue_text pt;
	struct buf *out = buf_new(1024);
	void   *args[2] = {&pt, out};

	(void) state;
	postqueue_text_init(&pt);
	sample(text_one, args);
	postqueue_text_end(&pt, out);
	golden("mailq.ref", out);
	assert_int_equal(pt.count, 4);
	/* (86 + 1234 + 204800 + 99999999) / 1024, rounded down */
	assert_non_null(strstr(buf_str(out), "\n-- 97857 Kbytes in 4 Requests.\n"));
	postqueue_text_free(&pt);
	buf_free(out);
}

/* test_text_edges - empty queue, one request, reason lines */
static void
test_text_edges(void **state)
{
	struct postqueue_text pt;
	struct showq_msg msg;
	struct buf *out = buf_new(1024);
	struct buf *want = buf_new(1024);

	buf_cat(want, "----Queue ID----- --Size-- ---Arrival Time---- "
		"--Sender/Recipient------\n"
		"1r31eq03D77              0 Tue Nov 14 22:13:20 a@example.org\n");
	buf_appendf(want, "%47sr1@example.com\n", "");
	buf_appendf(want, "%69s(why not)\n%47sr2@example.com\n", "", "");
	buf_appendf(want, "%58s(reason unavailable)\n%47sr3@example.com\n", "", "");
	buf_appendf(want, "%69s(why not)\n%47sr4@example.com\n", "", "");
	buf_cat(want, "\n-- 0 Kbytes in 1 Request.\n");
	(void) state;
	postqueue_text_init(&pt);
	postqueue_text_end(&pt, out);
	assert_string_equal(buf_str(out), "Mail queue is empty\n");
	buf_reset(out);
	showq_msg_init(&msg);
	set_msg(&msg, "deferred", "1r31eq03D77", T0, 0, "a@example.org");
	add_rcpt(&msg, "r1@example.com", "", "");
	add_rcpt(&msg, "r2@example.com", "why not", "");
	add_rcpt(&msg, "r3@example.com", "", "");
	add_rcpt(&msg, "r4@example.com", "why not", "");
	postqueue_text_msg(&pt, &msg, out);
	postqueue_text_end(&pt, out);
	assert_string_equal(buf_str(out), buf_str(want));
	buf_free(want);
	showq_msg_free(&msg);
	postqueue_text_free(&pt);
	buf_free(out);
}

/* test_reason_width - right-aligned to column 78, long ones unfolded */
static void
test_reason_width(void **state)
{
	struct postqueue_text pt;
	struct showq_msg msg;
	struct buf *out = buf_new(1024), *reason = buf_new(100);
	const char *line;
	int	len;

	(void) state;
	for (len = 74; len <= 78; len++) {
		postqueue_text_init(&pt);
		showq_msg_init(&msg);
		buf_reset(reason);
		while ((int) buf_len(reason) < len)
			buf_putc(reason, 'a' + (int) buf_len(reason) % 26);
		set_msg(&msg, "deferred", "1r31eq03D77", T0, 0, "a@example.org");
		add_rcpt(&msg, "r@example.com", buf_str(reason), "");
		buf_reset(out);
		postqueue_text_msg(&pt, &msg, out);
		line = strchr(strchr(buf_str(out), '\n') + 1, '\n') + 1;
		if (len <= 76)
			assert_int_equal(strchr(line, '(') - line, 76 - len);
		else
			assert_int_equal(line[0], '(');
		assert_memory_equal(strchr(line, '(') + 1, buf_str(reason), (size_t) len);
		showq_msg_free(&msg);
		postqueue_text_free(&pt);
	}
	buf_free(reason);
	buf_free(out);
}

/* json_one - format one message as JSON */
static void
json_one(struct showq_msg *msg, void *ctx)
{
	postqueue_json_msg(msg, ctx);
}

/* test_json_lines - golden JSON */
static void
test_json_lines(void **state)
{
	struct buf *out = buf_new(1024);

	(void) state;
	sample(json_one, out);
	golden("json.ref", out);
	buf_free(out);
}

/* test_json_bytes - any bytes give valid JSON */
static void
test_json_bytes(void **state)
{
	static const char *const cases[][2] = {
		{"plain@example.com", "plain@example.com"},
		{"q\"b\\s", "q\\\"b\\\\s"},
		{"\b\f\n\r\t", "\\b\\f\\n\\r\\t"},
		{"\001\037\177", "\\u0001\\u001F\\u007F"},
		{"caf\xc3\xa9@\xe4\xbe\x8b.example", "caf\xc3\xa9@\xe4\xbe\x8b.example"},
		{"\xff\xfe", "\\u00FF\\u00FE"},
		{"\xc3(", "\\u00C3("},			/* truncated sequence */
		{"\xc0\xaf", "\\u00C0\\u00AF"},		/* overlong */
		{"\xed\xa0\x80", "\\u00ED\\u00A0\\u0080"},	/* surrogate */
		{"\xf4\x90\x80\x80", "\\u00F4\\u0090\\u0080\\u0080"},	/* > U+10FFFF */
		{"\xf0\x9f\x93\xa7", "\xf0\x9f\x93\xa7"},	/* U+1F4E7 */
		{"\xe2\x82", "\\u00E2\\u0082"},		/* cut at the end */
	};
	struct buf *out = buf_new(64);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		buf_reset(out);
		showq_json_quote(out, cases[i][0]);
		assert_string_equal(buf_str(out), cases[i][1]);
	}
	buf_free(out);
}

/* test_printable - control and invalid bytes become '?' */
static void
test_printable(void **state)
{
	struct buf *out = buf_new(64);

	(void) state;
	showq_printable(out, "a\001b\nc\xff" "d\xc3\xa9" "e\x7f");
	assert_string_equal(buf_str(out), "a?b?c?d\xc3\xa9" "e?");
	buf_reset(out);
	showq_printable(out, "");
	assert_string_equal(buf_str(out), "");
	buf_free(out);
}

/* test_asctime - asctime(3)'s first 19 characters */
static void
test_asctime(void **state)
{
	struct buf *out = buf_new(32);

	(void) state;
	postqueue_asctime(out, T0);
	assert_string_equal(buf_str(out), "Tue Nov 14 22:13:20");
	buf_reset(out);
	postqueue_asctime(out, 1699000000L);	/* day < 10: blank padded */
	assert_string_equal(buf_str(out), "Fri Nov  3 08:26:40");
	buf_reset(out);
	postqueue_asctime(out, 0);
	assert_string_equal(buf_str(out), "Thu Jan  1 00:00:00");
	buf_free(out);
}

/* utc - times in UTC for every test */
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
		cmocka_unit_test(test_text_layout),
		cmocka_unit_test(test_text_edges),
		cmocka_unit_test(test_reason_width),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_json_bytes),
		cmocka_unit_test(test_printable),
		cmocka_unit_test(test_asctime),
	};

	return (cmocka_run_group_tests_name("postqueue_format", tests, utc, NULL));
}
