/*
 * NAME
 *	test_cleanup_message - cleanup: envelope, headers, body, limits
 */
#include "cleanup_test.c"

#include <global/cleanup_client.h>
#include <global/mail_proto.h>
#include <regex.h>

/* test_local_submission - headers added, sender qualified, file complete */
static void
test_local_submission(void **state)
{
	const char *lines[] = {"Subject: hello", "", "body line", NULL};
	struct cleanup_state *st;
	struct ct_file *qf;
	struct buf *msgid = buf_new(64);
	int	subj, i;

	(void) state;
	st = ct_message(CLEANUP_FLAG_LOCAL, "alice", "bob@example.com", lines);
	ct_feed(st, REC_TYPE_END, "");		/* END twice: protocol error */
	assert_int_equal(st->errs, CLEANUP_STAT_BAD);
	st->errs = 0;
	buf_reset(st->reason);
	assert_int_equal(ct_finish(st), 0);
	qf = ct_load("incoming", buf_str(st->queue_id));
	assert_int_equal(qf->check, 0);
	assert_int_equal(qf->mode, 0700);
	assert_true(ct_find(qf, REC_TYPE_FROM, "alice@test.example") >= 0);
	assert_true(ct_find(qf, REC_TYPE_RCPT, "bob@example.com") >= 0);
	/* Received: first, then the message's own headers, then additions. */
	for (i = 0; i < qf->count && qf->type[i] != REC_TYPE_MESG; i++)
		;
	assert_string_equal(qf->data[i + 1], "Received: by test.example (Postern)");
	assert_true(strncmp(qf->data[i + 2], "\tid ", 4) == 0);
	subj = ct_find(qf, REC_TYPE_NORM, "Subject: hello");
	assert_int_equal(subj, i + 3);
	buf_printf(msgid, "Message-Id: <%s@test.example>", buf_str(st->queue_id));
	assert_int_equal(ct_find(qf, REC_TYPE_NORM, buf_str(msgid)), subj + 1);
	assert_true(strncmp(qf->data[subj + 2], "Date: ", 6) == 0);
	assert_string_equal(qf->data[subj + 3], "From: alice@test.example");
	assert_string_equal(qf->data[subj + 4], "");
	assert_string_equal(qf->data[subj + 5], "body line");
	assert_int_equal(qf->type[subj + 6], REC_TYPE_XTRA);
	assert_true(ct_logged("message-id=<"));
	ct_free(qf);
	buf_free(msgid);
	cleanup_state_free(st);
}

/* test_remote_client - no headers added; SMTP Received: shape */
static void
test_remote_client(void **state)
{
	const char *lines[] = {"Subject: x", "", "b", NULL};
	struct cleanup_state *st = cleanup_state_new(CLEANUP_FLAG_MAP_OK);
	struct ct_file *qf;
	int	i;

	(void) state;
	assert_int_equal(cleanup_out_open(st), 0);
	ct_feed(st, REC_TYPE_ATTR, MAIL_ATTR_CLIENT_NAME "=mail.example.net");
	ct_feed(st, REC_TYPE_ATTR, MAIL_ATTR_CLIENT_ADDR "=192.0.2.7");
	ct_feed(st, REC_TYPE_ATTR, MAIL_ATTR_HELO_NAME "=helo.example.net");
	ct_feed(st, REC_TYPE_ATTR, MAIL_ATTR_PROTO_NAME "=ESMTP");
	ct_envelope(st, "a@example.net", "b@example.com");
	ct_feed(st, REC_TYPE_MESG, "");
	for (i = 0; lines[i]; i++)
		ct_feed(st, REC_TYPE_NORM, lines[i]);
	ct_feed(st, REC_TYPE_XTRA, "");
	ct_feed(st, REC_TYPE_END, "");
	assert_int_equal(ct_finish(st), 0);
	qf = ct_load("incoming", buf_str(st->queue_id));
	assert_int_equal(qf->check, 0);
	i = ct_find(qf, REC_TYPE_NORM,
		    "Received: from helo.example.net (mail.example.net [192.0.2.7])");
	assert_true(i > 0);
	assert_true(strncmp(qf->data[i + 1], "\tby test.example (Postern) with ESMTP id ", 40) == 0);
	assert_true(strncmp(qf->data[i + 2], "\tfor <b@example.com>; ", 22) == 0);
	assert_int_equal(ct_count(qf, REC_TYPE_NORM), 3 + 3);
	assert_true(ct_find(qf, REC_TYPE_ATTR, MAIL_ATTR_CLIENT_ADDR "=192.0.2.7") > 0);
	assert_true(ct_logged("message-id=<>"));
	ct_free(qf);
	cleanup_state_free(st);
}

/* test_drop_headers - Bcc, Content-Length, Return-Path, Resent-Bcc go */
static void
test_drop_headers(void **state)
{
	const char *lines[] = {"Bcc: secret@example.com", "To: t@example.com",
		"Return-Path: <x@y>", "Content-Length: 5", "RESENT-BCC: s@x",
		"Cc: c@example.com,", " d@example.com", "", "body", NULL};
	struct cleanup_state *st;
	struct ct_file *qf;
	int	i;

	(void) state;
	st = ct_message(CLEANUP_FLAG_LOCAL, "a@x.example", "r@example.com", lines);
	assert_int_equal(ct_finish(st), 0);
	qf = ct_load("incoming", buf_str(st->queue_id));
	for (i = 0; i < qf->count; i++) {
		assert_null(strstr(qf->data[i], "secret"));
		assert_null(strstr(qf->data[i], "Return-Path"));
		assert_null(strstr(qf->data[i], "Content-Length"));
		assert_null(strstr(qf->data[i], "s@x"));
	}
	i = ct_find(qf, REC_TYPE_NORM, "Cc: c@example.com,");
	assert_true(i > 0);
	assert_string_equal(qf->data[i + 1], " d@example.com");
	/* Without -t header recipients are not envelope recipients. */
	assert_int_equal(ct_count(qf, REC_TYPE_RCPT), 1);
	ct_free(qf);
	cleanup_state_free(st);
}

/* test_extract - -t: To/Cc/Bcc added to command line recipients */
static void
test_extract(void **state)
{
	const char *lines[] = {"To: Joe <joe@example.com>, bob@example.com",
		"Cc: \"Doe, Jane\" <jane@example.com>", "Bcc: hidden@example.com",
		"Subject: t", "", "body", NULL};
	struct cleanup_state *st;
	struct ct_file *qf;
	int	i;

	(void) state;
	st = cleanup_state_new(CLEANUP_FLAG_LOCAL | CLEANUP_FLAG_EXTRACT);
	assert_int_equal(cleanup_out_open(st), 0);
	ct_feed(st, REC_TYPE_ATTR, "notify_flags=4");
	ct_envelope(st, "a", "bob@example.com");
	ct_feed(st, REC_TYPE_MESG, "");
	for (i = 0; lines[i]; i++)
		ct_feed(st, REC_TYPE_NORM, lines[i]);
	ct_feed(st, REC_TYPE_XTRA, "");
	ct_feed(st, REC_TYPE_END, "");
	assert_int_equal(ct_finish(st), 0);
	qf = ct_load("incoming", buf_str(st->queue_id));
	assert_int_equal(qf->check, 0);
	assert_int_equal(ct_count(qf, REC_TYPE_RCPT), 4);
	assert_true(ct_find(qf, REC_TYPE_RCPT, "bob@example.com") >= 0);
	assert_true(ct_find(qf, REC_TYPE_RCPT, "joe@example.com") > ct_find(qf, REC_TYPE_XTRA, ""));
	assert_true(ct_find(qf, REC_TYPE_RCPT, "jane@example.com") >= 0);
	assert_true(ct_find(qf, REC_TYPE_RCPT, "hidden@example.com") >= 0);
	assert_int_equal(ct_find(qf, REC_TYPE_NORM, "Bcc: hidden@example.com"), -1);
	/* -N reaches the extracted recipients; bob was given without it. */
	assert_int_equal(ct_count(qf, REC_TYPE_NTFY), 3);
	assert_int_equal(ct_find(qf, REC_TYPE_ATTR, "notify_flags=4"), -1);
	ct_free(qf);
	cleanup_state_free(st);
}

/* test_extract_resent - Resent- headers win; no recipients at all fails */
static void
test_extract_resent(void **state)
{
	const char *lines[] = {"To: old@example.com", "Resent-To: new@example.com",
		"Resent-From: fwd@example.com", "", "b", NULL};
	const char *empty[] = {"Subject: none", "", "b", NULL};
	struct cleanup_state *st;
	struct ct_file *qf;

	(void) state;
	st = ct_message(CLEANUP_FLAG_LOCAL | CLEANUP_FLAG_EXTRACT, "a", NULL, lines);
	assert_int_equal(ct_finish(st), 0);
	qf = ct_load("incoming", buf_str(st->queue_id));
	assert_int_equal(ct_count(qf, REC_TYPE_RCPT), 1);
	assert_true(ct_find(qf, REC_TYPE_RCPT, "new@example.com") >= 0);
	/* Resent mode: Resent-Message-Id and Resent-Date are added. */
	assert_true(ct_count(qf, REC_TYPE_NORM) > 0);
	assert_true(strstr(ct_log(), "resent-message-id=<") != 0);
	ct_free(qf);
	cleanup_state_free(st);

	st = ct_message(CLEANUP_FLAG_LOCAL | CLEANUP_FLAG_EXTRACT, "a", NULL, empty);
	assert_int_equal(ct_finish(st), -1);
	assert_int_equal(st->errs, CLEANUP_STAT_RCPT);
	assert_string_equal(buf_str(st->reason), "no recipients specified");
	assert_int_equal(access("incoming", F_OK), 0);
	cleanup_state_free(st);
}

/* test_body_start - a body without the empty line gets one */
static void
test_body_start(void **state)
{
	const char *lines[] = {"just text, no header", "more", NULL};
	struct cleanup_state *st;
	struct ct_file *qf;
	int	i;

	(void) state;
	st = ct_message(CLEANUP_FLAG_LOCAL, "a", "b@example.com", lines);
	assert_int_equal(ct_finish(st), 0);
	qf = ct_load("incoming", buf_str(st->queue_id));
	i = ct_find(qf, REC_TYPE_NORM, "just text, no header");
	assert_true(i > 0);
	assert_string_equal(qf->data[i - 1], "");
	assert_true(strncmp(qf->data[i - 2], "From: ", 6) == 0);
	ct_free(qf);
	cleanup_state_free(st);
}

/* test_long_lines - line_length_limit splits, pieces are rejoined sizes */
static void
test_long_lines(void **state)
{
	char	line[251];
	struct cleanup_state *st;
	struct ct_file *qf;
	const char *lines[] = {"Subject: s", "", line, NULL};
	int	i;

	(void) state;
	ct_override("line_length_limit=100");
	memset(line, 'x', 250);
	line[250] = 0;
	st = ct_message(CLEANUP_FLAG_LOCAL, "a", "b@example.com", lines);
	assert_int_equal(ct_finish(st), 0);
	qf = ct_load("incoming", buf_str(st->queue_id));
	assert_int_equal(qf->check, 0);
	for (i = 0; i < qf->count && !(qf->type[i] == REC_TYPE_CONT); i++)
		;
	assert_true(i < qf->count);
	assert_int_equal(qf->len[i], 100);
	assert_int_equal(qf->type[i + 1], REC_TYPE_CONT);
	assert_int_equal(qf->len[i + 1], 100);
	assert_int_equal(qf->type[i + 2], REC_TYPE_NORM);
	assert_int_equal(qf->len[i + 2], 50);
	ct_free(qf);
	cleanup_state_free(st);
}

/* test_cont_input - CONT pieces from the client, in headers and body */
static void
test_cont_input(void **state)
{
	struct cleanup_state *st = cleanup_state_new(CLEANUP_FLAG_LOCAL);
	struct ct_file *qf;

	(void) state;
	assert_int_equal(cleanup_out_open(st), 0);
	ct_envelope(st, "a", "b@example.com");
	ct_feed(st, REC_TYPE_MESG, "");
	ct_feed(st, REC_TYPE_CONT, "Subject: part one ");
	ct_feed(st, REC_TYPE_NORM, "and two");
	ct_feed(st, REC_TYPE_NORM, "");
	ct_feed(st, REC_TYPE_CONT, "body ");
	ct_feed(st, REC_TYPE_XTRA, "");	/* partial last line: closed */
	ct_feed(st, REC_TYPE_END, "");
	assert_int_equal(ct_finish(st), 0);
	qf = ct_load("incoming", buf_str(st->queue_id));
	assert_int_equal(qf->check, 0);
	assert_true(ct_find(qf, REC_TYPE_NORM, "Subject: part one and two") > 0);
	assert_true(ct_find(qf, REC_TYPE_CONT, "body ") > 0);
	ct_free(qf);
	cleanup_state_free(st);
}

/* test_header_size_limit - excess header text is dropped with a warning */
static void
test_header_size_limit(void **state)
{
	char	big[200];
	const char *lines[] = {big, " continued", "", "b", NULL};
	struct cleanup_state *st;
	struct ct_file *qf;
	int	i;

	(void) state;
	ct_override("header_size_limit=60");
	memcpy(big, "X-Big: ", 7);
	memset(big + 7, 'y', sizeof(big) - 8);
	big[sizeof(big) - 1] = 0;
	st = ct_message(CLEANUP_FLAG_LOCAL, "a", "b@example.com", lines);
	assert_int_equal(ct_finish(st), 0);
	qf = ct_load("incoming", buf_str(st->queue_id));
	for (i = 0; i < qf->count && strncmp(qf->data[i], "X-Big: ", 7); i++)
		;
	assert_true(i < qf->count);
	assert_int_equal(qf->len[i], 60);
	assert_int_equal(ct_find(qf, REC_TYPE_NORM, " continued"), -1);
	assert_true(ct_logged("header_size_limit (60) exceeded: X-Big header truncated"));
	ct_free(qf);
	cleanup_state_free(st);
}

/* test_size_limit - message_size_limit: 552 status, file removed */
static void
test_size_limit(void **state)
{
	char	line[400];
	const char *lines[] = {"Subject: big", "", line, line, line, NULL};
	struct cleanup_state *st;
	struct buf *path = buf_new(64);

	(void) state;
	ct_override("message_size_limit=1000");
	memset(line, 'z', sizeof(line) - 1);
	line[sizeof(line) - 1] = 0;
	st = ct_message(CLEANUP_FLAG_NONE, "a@x.example", "b@example.com", lines);
	assert_int_equal(ct_finish(st), -1);
	assert_int_equal(st->errs, CLEANUP_STAT_SIZE);
	assert_int_equal(cleanup_stat_detail(st->errs)->smtp, 552);
	queue_path(path, "incoming", buf_str(st->queue_id));
	assert_int_equal(access(buf_str(path), F_OK), -1);
	assert_true(ct_logged("reject: message file too big"));
	buf_free(path);
	cleanup_state_free(st);
}

/* test_hopcount - too many Received: headers */
static void
test_hopcount(void **state)
{
	const char *lines[] = {"Received: 1", "Received: 2", "Received: 3",
		"", "b", NULL};
	struct cleanup_state *st;

	(void) state;
	ct_override("hopcount_limit=3");
	/* cleanup's own Received: header counts only for the next hop */
	st = ct_message(CLEANUP_FLAG_NONE, "a@x.example", "b@example.com", lines);
	assert_int_equal(ct_finish(st), 0);
	cleanup_state_free(st);
	lines[3] = "Received: 4";
	lines[4] = NULL;
	st = ct_message(CLEANUP_FLAG_NONE, "a@x.example", "b@example.com", lines);
	assert_int_equal(ct_finish(st), -1);
	assert_int_equal(st->errs, CLEANUP_STAT_HOPS);
	assert_int_equal(cleanup_stat_detail(st->errs)->smtp, 554);
	cleanup_state_free(st);
}

/* test_hopcount_log_once - one log line however many hops too many */
static void
test_hopcount_log_once(void **state)
{
	char	text[60][20];
	const char *lines[60 + 3];
	struct cleanup_state *st;
	const char *log, *cp;
	int	i, count = 0;

	(void) state;
	for (i = 0; i < 60; i++) {
		snprintf(text[i], sizeof(text[i]), "Received: %d", i + 1);
		lines[i] = text[i];
	}
	lines[60] = "";
	lines[61] = "b";
	lines[62] = NULL;
	st = ct_message(CLEANUP_FLAG_NONE, "a@x.example", "b@example.com", lines);
	assert_int_equal(ct_finish(st), -1);
	assert_int_equal(st->errs, CLEANUP_STAT_HOPS);
	log = ct_log();
	for (cp = log; (cp = strstr(cp, "reject: too many hops")) != NULL; cp++)
		count++;
	assert_int_equal(count, 1);
	assert_non_null(strstr(log, "too many hops (51 Received: headers)"));
	cleanup_state_free(st);
}

/* test_protocol_errors - records out of order or malformed */
static void
test_protocol_errors(void **state)
{
	static const struct {
		const char *name;
		int	types[4];
		const char *data[4];
	}	cases[] = {
		{"no sender", {REC_TYPE_RCPT, REC_TYPE_MESG}, {"b@x", ""}},
		{"content in envelope", {REC_TYPE_FROM, REC_TYPE_NORM}, {"a", "x"}},
		{"bad notify", {REC_TYPE_FROM, REC_TYPE_NTFY}, {"a", "99"}},
		{"orphan notify", {REC_TYPE_FROM, REC_TYPE_NTFY, REC_TYPE_MESG}, {"a", "4", ""}},
		{"two senders", {REC_TYPE_FROM, REC_TYPE_FROM}, {"a", "b"}},
		{"unknown attribute", {REC_TYPE_ATTR}, {"bogus=1"}},
		{"attribute without =", {REC_TYPE_ATTR}, {"client_address"}},
		{"bad time", {REC_TYPE_TIME}, {"12 x"}},
		{"empty recipient", {REC_TYPE_RCPT}, {""}},
		{"control character", {REC_TYPE_FROM}, {"a\tb"}},
		{"end in envelope", {REC_TYPE_FROM, REC_TYPE_END}, {"a", ""}},
	};
	struct cleanup_state *st;
	size_t	i, j;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		st = cleanup_state_new(CLEANUP_FLAG_NONE);
		assert_int_equal(cleanup_out_open(st), 0);
		for (j = 0; j < 4 && cases[i].data[j]; j++)
			ct_feed(st, cases[i].types[j], cases[i].data[j]);
		if (st->errs != CLEANUP_STAT_BAD)
			fail_msg("case \"%s\": errs %d", cases[i].name, st->errs);
		assert_true(buf_len(st->reason) > 0);
		cleanup_out_remove(st);
		cleanup_state_free(st);
	}
}

/* test_header_name_len - header recognition */
static void
test_header_name_len(void **state)
{
	static const struct {
		const char *text;
		size_t	want;
	}	cases[] = {
		{"Subject: x", 8}, {"X-A:", 4}, {"Subject : x", 9},
		{"Subj ect: x", 0}, {": x", 0}, {"", 0}, {"no colon", 0},
		{" Subject: x", 0}, {"From foo@bar", 0}, {"A\001B: x", 0},
	};
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++)
		if (cleanup_header_name_len(cases[i].text, strlen(cases[i].text)) != cases[i].want)
			fail_msg("\"%s\": want %zu", cases[i].text, cases[i].want);
}

/* test_date - Postfix's mail_date() shape */
static void
test_date(void **state)
{
	struct buf *out = buf_new(64);
	regex_t	re;

	(void) state;
	setenv("TZ", "UTC", 1);
	tzset();
	cleanup_date(out, (time_t) 1667223001);	/* 2022-10-31 13:30:01 UTC */
	assert_string_equal(buf_str(out), "Mon, 31 Oct 2022 13:30:01 +0000 (UTC)");
	cleanup_date(out, (time_t) 1664631001);	/* 2022-10-01 */
	assert_int_equal(regcomp(&re, "^Sat,  1 Oct 2022 13:30:01 \\+0000", REG_EXTENDED), 0);
	assert_int_equal(regexec(&re, buf_str(out), 0, NULL, 0), 0);
	regfree(&re);
	buf_free(out);
}

/* test_hold_and_full_name - hold queue; From: with a quoted full name */
static void
test_hold_and_full_name(void **state)
{
	const char *lines[] = {"", "b", NULL};
	struct cleanup_state *st = cleanup_state_new(CLEANUP_FLAG_LOCAL | CLEANUP_FLAG_HOLD);
	struct ct_file *qf;
	int	i;

	(void) state;
	assert_int_equal(cleanup_out_open(st), 0);
	ct_feed(st, REC_TYPE_FULL, "Doe, \"J\"");
	ct_envelope(st, "", "b@example.com");
	ct_feed(st, REC_TYPE_MESG, "");
	for (i = 0; lines[i]; i++)
		ct_feed(st, REC_TYPE_NORM, lines[i]);
	ct_feed(st, REC_TYPE_XTRA, "");
	ct_feed(st, REC_TYPE_END, "");
	assert_int_equal(ct_finish(st), 0);
	qf = ct_load("hold", buf_str(st->queue_id));
	assert_true(ct_find(qf, REC_TYPE_NORM, "From: \"Doe, \\\"J\\\"\" <MAILER-DAEMON>") > 0);
	assert_true(ct_find(qf, REC_TYPE_FROM, "") >= 0);
	ct_free(qf);
	cleanup_state_free(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_local_submission, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_remote_client, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_drop_headers, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_extract, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_extract_resent, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_body_start, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_long_lines, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_cont_input, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_header_size_limit, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_size_limit, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_hopcount, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_hopcount_log_once, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_protocol_errors, ct_setup, ct_teardown),
		cmocka_unit_test(test_header_name_len),
		cmocka_unit_test(test_date),
		cmocka_unit_test_setup_teardown(test_hold_and_full_name, ct_setup, ct_teardown),
	};

	return (cmocka_run_group_tests_name("cleanup_message", tests, NULL, NULL));
}
