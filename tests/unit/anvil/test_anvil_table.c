/*
 * NAME
 *	test_anvil_table - unit tests for anvil's counters
 * DESCRIPTION
 *	Counts and rate windows with a made-up clock, expiry, and the
 *	statistics lines.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/argv.h>
#include "anvil/anvil.h"

#define T0	((time_t) 1700000000)

/* test_connect_count - concurrent connections */
static void
test_connect_count(void **state)
{
	struct anvil_table *t = anvil_table_new(60);
	int	count, rate;

	(void) state;
	anvil_table_connect(t, "smtp:192.0.2.1", T0, &count, &rate);
	assert_int_equal(count, 1);
	assert_int_equal(rate, 1);
	anvil_table_connect(t, "smtp:192.0.2.1", T0 + 1, &count, &rate);
	assert_int_equal(count, 2);
	assert_int_equal(rate, 2);
	anvil_table_connect(t, "smtp:192.0.2.2", T0 + 1, &count, &rate);
	assert_int_equal(count, 1);
	assert_int_equal(anvil_table_disconnect(t, "smtp:192.0.2.1", T0 + 2), 0);
	anvil_table_connect(t, "smtp:192.0.2.1", T0 + 3, &count, &rate);
	assert_int_equal(count, 2);
	assert_int_equal(rate, 3);
	/* A disconnect without connect is refused, counts stay sane. */
	assert_int_equal(anvil_table_disconnect(t, "smtp:198.51.100.1", T0), -1);
	assert_int_equal(anvil_table_disconnect(t, "smtp:192.0.2.2", T0), 0);
	assert_int_equal(anvil_table_disconnect(t, "smtp:192.0.2.2", T0), -1);
	anvil_table_free(t);
}

/* test_rate_window - rates restart after the time unit */
static void
test_rate_window(void **state)
{
	struct anvil_table *t = anvil_table_new(60);
	struct anvil_usage usage;
	int	rate, count, i;

	(void) state;
	for (i = 0; i < 5; i++)
		anvil_table_message(t, "smtp:a", T0 + i, &rate);
	assert_int_equal(rate, 5);
	anvil_table_rcpt(t, "smtp:a", T0 + 10, &rate);
	anvil_table_rcpt(t, "smtp:a", T0 + 10, &rate);
	assert_int_equal(rate, 2);
	anvil_table_lookup(t, "smtp:a", T0 + 59, &usage);
	assert_int_equal(usage.mail, 5);
	assert_int_equal(usage.rcpt, 2);
	assert_int_equal(usage.count, 0);
	anvil_table_lookup(t, "smtp:a", T0 + 60, &usage);
	assert_int_equal(usage.mail, 0);
	anvil_table_message(t, "smtp:a", T0 + 61, &rate);
	assert_int_equal(rate, 1);
	anvil_table_connect(t, "smtp:a", T0 + 62, &count, &rate);
	assert_int_equal(rate, 1);
	anvil_table_lookup(t, "smtp:unknown", T0, &usage);
	assert_int_equal(usage.count + usage.rate + usage.mail + usage.rcpt, 0);
	/* A clock that goes back starts a new window. */
	anvil_table_message(t, "smtp:a", T0, &rate);
	assert_int_equal(rate, 1);
	anvil_table_free(t);
}

/* test_expire - idle entries go away, connected ones stay */
static void
test_expire(void **state)
{
	struct anvil_table *t = anvil_table_new(60);
	int	count, rate;

	(void) state;
	anvil_table_connect(t, "smtp:a", T0, &count, &rate);
	anvil_table_connect(t, "smtp:b", T0, &count, &rate);
	anvil_table_message(t, "smtp:c", T0, &rate);
	assert_int_equal(anvil_table_size(t), 3);
	assert_int_equal(anvil_table_expire(t, T0 + 30), 0);
	assert_int_equal(anvil_table_disconnect(t, "smtp:b", T0 + 31), 0);
	assert_int_equal(anvil_table_expire(t, T0 + 60), 2);
	assert_int_equal(anvil_table_size(t), 1);
	anvil_table_free(t);
}

/* test_stats - Postfix's statistics lines */
static void
test_stats(void **state)
{
	struct anvil_table *t = anvil_table_new(60);
	struct argv *lines = argv_new(4);
	int	count, rate;

	(void) state;
	anvil_table_stats(t, lines);
	assert_int_equal(lines->argc, 0);
	anvil_table_connect(t, "smtp:192.0.2.1", T0, &count, &rate);
	anvil_table_connect(t, "smtp:192.0.2.1", T0, &count, &rate);
	anvil_table_message(t, "smtp:192.0.2.9", T0, &rate);
	anvil_table_stats(t, lines);
	assert_int_equal(lines->argc, 4);
	assert_non_null(strstr(lines->argv[0],
		      "statistics: max connection rate 2/60s for (smtp:192.0.2.1) at "));
	assert_non_null(strstr(lines->argv[1],
		       "statistics: max connection count 2 for (smtp:192.0.2.1) at "));
	assert_non_null(strstr(lines->argv[2],
			"statistics: max message rate 1/60s for (smtp:192.0.2.9) at "));
	assert_non_null(strstr(lines->argv[3], "statistics: max cache size 2 at "));
	argv_truncate(lines, 0);
	anvil_table_stats(t, lines);
	assert_int_equal(lines->argc, 0);
	argv_free(lines);
	anvil_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_count),
		cmocka_unit_test(test_rate_window),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_stats),
	};

	return (cmocka_run_group_tests_name("anvil_table", tests, NULL, NULL));
}
