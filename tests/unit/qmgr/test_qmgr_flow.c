/*
 * NAME
 *	test_qmgr_flow - unit tests for in_flow token arithmetic
 * DESCRIPTION
 *	qmgr_flow_wanted(): nothing while the active queue is full or the
 *	pipe is unavailable, top up to the process limit or the free room
 *	when incoming is idle, one token per import during a backlog.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>

#include "qmgr/qmgr.h"

struct flow_case {
	long	in_pipe;
	int	active;
	int	limit;
	int	proc;
	int	busy;
	int	imported;
	long	want;
};

static const struct flow_case flow_cases[] = {
	{0, 0, 20000, 100, 0, 0, 100},	/* idle: fill to the process limit */
	{40, 0, 20000, 100, 0, 0, 60},
	{100, 0, 20000, 100, 0, 0, 0},
	{150, 0, 20000, 100, 0, 0, 0},	/* never negative */
	{0, 19990, 20000, 100, 0, 0, 10},	/* no more than the room */
	{0, 20000, 20000, 100, 0, 5, 0},	/* full: none */
	{0, 100, 20000, 100, 1, 7, 7},	/* backlog: one per import */
	{0, 100, 20000, 100, 1, 0, 0},
	{98, 100, 20000, 100, 1, 7, 2},
	{-1, 0, 20000, 100, 0, 0, 0},	/* no pipe */
};

/* test_wanted - the table */
static void
test_wanted(void **state)
{
	const struct flow_case *c;
	size_t	i;
	long	got;

	(void) state;
	for (i = 0; i < ARRAY_LEN(flow_cases); i++) {
		c = flow_cases + i;
		got = qmgr_flow_wanted(c->in_pipe, c->active, c->limit, c->proc,
				       c->busy, c->imported);
		if (got != c->want)
			fail_msg("case %zu: %ld, want %ld", i, got, c->want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wanted),
	};

	return (cmocka_run_group_tests_name("qmgr_flow", tests, NULL, NULL));
}
