/*
 * NAME
 *	test_qmgr_active - unit tests for the retry time arithmetic
 * DESCRIPTION
 *	qmgr_backoff_delay(): the age doubles by the next attempt, clamped
 *	to the minimal and maximal backoff time. qmgr_backoff_jitter(): the
 *	spread at both ends, no spread at 0%, the floor of one second, bad
 *	arguments clamped. qmgr_active_retry_time(): the earliest proposal
 *	of the message with random jitter inside the bounds, and really
 *	spread. qmgr_defer_propose(): the earliest transport wins, extra
 *	seconds (throttle) are added.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <time.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <global/params.h>

#include "qmgr/qmgr.h"

struct backoff_case {
	long	age;
	long	min;
	long	max;
	long	want;
};

static const struct backoff_case backoff_cases[] = {
	{0, 300, 4000, 300},		/* young: minimal backoff */
	{-5, 300, 4000, 300},		/* clock skew: minimal backoff */
	{299, 300, 4000, 300},
	{300, 300, 4000, 300},
	{1000, 300, 4000, 1000},	/* in between: the age */
	{3999, 300, 4000, 3999},
	{4000, 300, 4000, 4000},
	{86400, 300, 4000, 4000},	/* old: maximal backoff */
	{50, 60, 60, 60},
};

/* test_backoff_delay - the clamp table */
static void
test_backoff_delay(void **state)
{
	struct qmgr_retry retry;
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(backoff_cases); i++) {
		retry.min_backoff = backoff_cases[i].min;
		retry.max_backoff = backoff_cases[i].max;
		retry.run_delay = 300;
		if (qmgr_backoff_delay(backoff_cases[i].age, &retry)
		    != backoff_cases[i].want)
			fail_msg("case %zu: age %ld -> %ld, want %ld", i,
				 backoff_cases[i].age,
				 qmgr_backoff_delay(backoff_cases[i].age, &retry),
				 backoff_cases[i].want);
	}
}

/* test_jitter_bounds - the ends of the spread and bad input */
static void
test_jitter_bounds(void **state)
{
	(void) state;
	assert_int_equal(qmgr_backoff_jitter(1000, 10, -1.0), 900);
	assert_int_equal(qmgr_backoff_jitter(1000, 10, 1.0), 1100);
	assert_int_equal(qmgr_backoff_jitter(1000, 10, 0.0), 1000);
	assert_int_equal(qmgr_backoff_jitter(1000, 0, 1.0), 1000);
	assert_int_equal(qmgr_backoff_jitter(1000, 50, 0.5), 1250);
	assert_int_equal(qmgr_backoff_jitter(1, 100, -1.0), 1);
	assert_int_equal(qmgr_backoff_jitter(0, 10, 0.0), 1);
	assert_int_equal(qmgr_backoff_jitter(1000, 10, -7.0), 900);
	assert_int_equal(qmgr_backoff_jitter(1000, 10, 7.0), 1100);
	assert_int_equal(qmgr_backoff_jitter(1000, 250, 1.0), 2000);
	assert_int_equal(qmgr_backoff_jitter(1000, -3, 1.0), 1000);
}

/* new_message - just enough of a message for the retry code */
static struct qmgr_message *
new_message(time_t arrival)
{
	struct qmgr_message *m = xcalloc(1, sizeof(*m));

	qfile_envelope_init(&m->env);
	m->env.arrival = arrival;
	return (m);
}

/* free_message - release it */
static void
free_message(struct qmgr_message *m)
{
	qfile_envelope_free(&m->env);
	free(m);
}

/* test_retry_time - jitter around the proposal, inside the bounds */
static void
test_retry_time(void **state)
{
	struct qmgr_message *m;
	time_t	now = time(NULL), when, lo = 0, hi = 0;
	int	i;

	(void) state;
	params_reset_defaults();
	var_backoff_jitter = 10;
	qmgr_active_init();
	m = new_message(now - 2000);
	m->retry_time = now + 1000;
	for (i = 0; i < 2000; i++) {
		when = qmgr_active_retry_time(m, now);
		if (when < now + 900 || when > now + 1100)
			fail_msg("retry %ld outside [900, 1100]", (long) (when - now));
		if (lo == 0 || when < lo)
			lo = when;
		if (when > hi)
			hi = when;
	}
	/* 2000 draws: both ends of the spread are reached closely. */
	assert_true(lo <= now + 920);
	assert_true(hi >= now + 1080);
	var_backoff_jitter = 0;
	assert_int_equal(qmgr_active_retry_time(m, now), now + 1000);
	free_message(m);
}

/* test_propose - the earliest transport wins; extra is added */
static void
test_propose(void **state)
{
	struct qmgr_transport slow, fast;
	struct qmgr_message *m;
	time_t	now = time(NULL);

	(void) state;
	params_reset_defaults();
	memset(&slow, 0, sizeof(slow));
	memset(&fast, 0, sizeof(fast));
	slow.retry.min_backoff = 1000;
	slow.retry.max_backoff = 5000;
	fast.retry.min_backoff = 60;
	fast.retry.max_backoff = 120;
	m = new_message(now - 10);
	qmgr_defer_propose(m, &slow, 0);
	assert_true(m->retry_time >= now + 1000 && m->retry_time <= now + 1001);
	qmgr_defer_propose(m, &fast, 30);
	assert_true(m->retry_time >= now + 90 && m->retry_time <= now + 91);
	qmgr_defer_propose(m, &slow, 0);
	assert_true(m->retry_time >= now + 90 && m->retry_time <= now + 91);
	/* No transport: the main.cf schedule. */
	m->retry_time = 0;
	qmgr_defer_propose(m, NULL, 0);
	assert_true(m->retry_time >= now + var_minimal_backoff_time
		    && m->retry_time <= now + var_minimal_backoff_time + 1);
	/* An old message: age clamped to the maximal backoff. */
	m->env.arrival = now - 100000;
	m->retry_time = 0;
	qmgr_defer_propose(m, &fast, 0);
	assert_true(m->retry_time >= now + 120 && m->retry_time <= now + 121);
	free_message(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_delay),
		cmocka_unit_test(test_jitter_bounds),
		cmocka_unit_test(test_retry_time),
		cmocka_unit_test(test_propose),
	};

	return (cmocka_run_group_tests_name("qmgr_active", tests, NULL, NULL));
}
