/*
 * NAME
 *	test_htable - unit tests for the hash table
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/htable.h>

static int freed;

/* count_free - value destructor that counts */
static void
count_free(void *value)
{
	(void) value;
	freed++;
}

/* test_enter_find - many keys survive growth */
static void
test_enter_find(void **state)
{
	struct htable *t = htable_new(0);
	char	key[32];
	long	i;

	(void) state;
	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "k%ld", i);
		assert_null(htable_enter(t, key, (void *) (i + 1)));
	}
	assert_int_equal(htable_count(t), 10000);
	for (i = 0; i < 10000; i += 97) {
		snprintf(key, sizeof(key), "k%ld", i);
		assert_ptr_equal(htable_find(t, key), (void *) (i + 1));
	}
	assert_null(htable_find(t, "missing"));
	assert_null(htable_find(t, ""));
	htable_free(t, NULL);
}

/* test_replace_delete - replace returns old value; delete frees */
static void
test_replace_delete(void **state)
{
	struct htable *t = htable_new(4);
	struct htable_entry **list;

	(void) state;
	htable_enter(t, "a", (void *) 1);
	assert_ptr_equal(htable_enter(t, "a", (void *) 2), (void *) 1);
	htable_enter(t, "b", NULL);
	assert_non_null(htable_locate(t, "b"));
	assert_null(htable_locate(t, "c"));
	freed = 0;
	htable_delete(t, "a", count_free);
	htable_delete(t, "nonexistent", count_free);
	assert_int_equal(freed, 1);
	assert_int_equal(htable_count(t), 1);
	list = htable_list(t);
	assert_string_equal(list[0]->key, "b");
	assert_null(list[1]);
	free(list);
	htable_free(t, count_free);
	assert_int_equal(freed, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enter_find),
		cmocka_unit_test(test_replace_delete),
	};

	return (cmocka_run_group_tests_name("htable", tests, NULL, NULL));
}
