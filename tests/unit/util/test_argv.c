/*
 * NAME
 *	test_argv - unit tests for string arrays
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/argv.h>

/* test_split - Postfix list splitting skips empty fields */
static void
test_split(void **state)
{
	struct argv *a = argv_split(" a, b,,\tc \n", ARGV_LIST_DELIMS);

	(void) state;
	assert_int_equal(a->argc, 3);
	assert_string_equal(a->argv[0], "a");
	assert_string_equal(a->argv[1], "b");
	assert_string_equal(a->argv[2], "c");
	assert_null(a->argv[3]);
	argv_free(a);
	a = argv_split("", ",");
	assert_int_equal(a->argc, 0);
	assert_null(a->argv[0]);
	argv_free(a);
}

/* test_grow_truncate - growth and truncation keep the NULL end */
static void
test_grow_truncate(void **state)
{
	struct argv *a = argv_new(0);
	int	i;

	(void) state;
	for (i = 0; i < 100; i++)
		argv_add(a, "x");
	argv_addn(a, "abcdef", 3);
	assert_int_equal(a->argc, 101);
	assert_string_equal(a->argv[100], "abc");
	argv_truncate(a, 2);
	assert_int_equal(a->argc, 2);
	assert_null(a->argv[2]);
	argv_truncate(a, 5);
	assert_int_equal(a->argc, 2);
	argv_free(a);
	argv_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_grow_truncate),
	};

	return (cmocka_run_group_tests_name("argv", tests, NULL, NULL));
}
