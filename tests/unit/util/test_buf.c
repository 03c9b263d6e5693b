/*
 * NAME
 *	test_buf - unit tests for the string buffer
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/buf.h>

/* test_cat_grows - appending past the initial size keeps every byte */
static void
test_cat_grows(void **state)
{
	struct buf *bp = buf_new(1);
	int	i;

	(void) state;
	for (i = 0; i < 1000; i++)
		buf_cat(bp, "abc");
	assert_int_equal(buf_len(bp), 3000);
	assert_int_equal(strlen(buf_str(bp)), 3000);
	assert_memory_equal(buf_str(bp) + 2997, "abc", 4);
	buf_free(bp);
}

/* test_printf - formatted replace and append, long output */
static void
test_printf(void **state)
{
	struct buf *bp = buf_new(4);
	char	big[5000];

	(void) state;
	buf_printf(bp, "%d-%s", 42, "x");
	assert_string_equal(buf_str(bp), "42-x");
	buf_appendf(bp, "/%s", "y");
	assert_string_equal(buf_str(bp), "42-x/y");
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	buf_printf(bp, "<%s>", big);
	assert_int_equal(buf_len(bp), sizeof(big) + 1);
	assert_int_equal(buf_str(bp)[0], '<');
	assert_int_equal(buf_str(bp)[buf_len(bp) - 1], '>');
	buf_free(bp);
}

/* test_binary - embedded nulls are counted and kept */
static void
test_binary(void **state)
{
	struct buf *bp = buf_new(0);

	(void) state;
	buf_catn(bp, "a\0b", 3);
	buf_putc(bp, 0);
	assert_int_equal(buf_len(bp), 4);
	assert_memory_equal(buf_str(bp), "a\0b\0", 5);
	buf_truncate(bp, 1);
	assert_string_equal(buf_str(bp), "a");
	buf_truncate(bp, 10);
	assert_int_equal(buf_len(bp), 1);
	buf_reset(bp);
	assert_int_equal(buf_len(bp), 0);
	assert_string_equal(buf_str(bp), "");
	buf_free(bp);
}

/* test_steal - the caller owns the storage */
static void
test_steal(void **state)
{
	struct buf *bp = buf_new(0);
	char   *s;

	(void) state;
	buf_cpy(bp, "kept");
	s = buf_steal(bp);
	assert_string_equal(s, "kept");
	free(s);
	buf_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cat_grows),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_steal),
	};

	return (cmocka_run_group_tests_name("buf", tests, NULL, NULL));
}
