/*
 * NAME
 *	test_qmgr_log - unit tests for qmgr's recipient log lines
 * DESCRIPTION
 *	Delay values as Postfix prints them, and a whole deferral line with
 *	quoting, orig_to and delays.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/alloc.h>
#include <util/buf.h>

#include "qmgr/qmgr.h"

struct delay_case {
	double	seconds;
	const char *want;
};

static const struct delay_case delay_cases[] = {
	{0, "0"},
	{-3, "0"},
	{0.004, "0"},
	{0.01, "0.01"},
	{0.05, "0.05"},
	{0.123, "0.12"},
	{0.4, "0.4"},
	{0.999, "0.99"},
	{1.0, "1.0"},
	{2.37, "2.3"},
	{9.99, "9.9"},
	{10.0, "10"},
	{14920.4, "14920"},
	{199406.6, "199406"},
};

/* test_delay - the table */
static void
test_delay(void **state)
{
	struct buf *out = buf_new(16);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(delay_cases); i++) {
		buf_reset(out);
		qmgr_log_delay(out, delay_cases[i].seconds);
		if (strcmp(buf_str(out), delay_cases[i].want) != 0)
			fail_msg("%g: \"%s\", want \"%s\"", delay_cases[i].seconds,
				 buf_str(out), delay_cases[i].want);
	}
	buf_free(out);
}

/* test_line - a deferral line */
static void
test_line(void **state)
{
	struct qmgr_message m;
	struct buf *out = buf_new(100);
	struct timeval now;

	(void) state;
	memset(&m, 0, sizeof(m));
	qfile_envelope_init(&m.env);
	m.queue_id = "1xVQdV0dcojxQs";
	m.env.arrival = 1000;
	m.env.arrival_usec = 0;
	m.active_time.tv_sec = 1012;
	m.active_time.tv_usec = 500000;
	now.tv_sec = 1013;
	now.tv_usec = 0;
	qfile_envelope_add_rcpt(&m.env, "john doe@example.com", "alias@example.com", 0);
	qfile_envelope_add_rcpt(&m.env, "same@example.com", "same@example.com", 0);
	qmgr_log_line(out, &m, 0, "none", "4.3.2", "deferred", "deferred transport", &now);
	assert_string_equal(buf_str(out), "1xVQdV0dcojxQs: to=<\"john doe\"@example.com>, "
			    "orig_to=<alias@example.com>, relay=none, delay=13, "
			    "delays=12/0.5/0/0, dsn=4.3.2, status=deferred "
			    "(deferred transport)");
	qmgr_log_line(out, &m, 1, "none", "4.4.1", "deferred", "dead", &now);
	assert_string_equal(buf_str(out), "1xVQdV0dcojxQs: to=<same@example.com>, "
			    "relay=none, delay=13, delays=12/0.5/0/0, dsn=4.4.1, "
			    "status=deferred (dead)");
	qfile_envelope_free(&m.env);
	buf_free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_line),
	};

	return (cmocka_run_group_tests_name("qmgr_log", tests, NULL, NULL));
}
