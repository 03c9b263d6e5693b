/*
 * NAME
 *	test_postern_dirs - unit tests for the queue directory tree rules
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <util/argv.h>
#include "postern/postern.h"

static const struct postern_ids ids = {
	.root_uid = 0, .mail_uid = 100, .mail_gid = 101, .setgid_gid = 102,
	.check_setgid = 1,
};

/* find - a table entry by name */
static const struct postern_dir *
find(const char *name)
{
	size_t	i;

	for (i = 0; i < POSTERN_DIR_COUNT; i++)
		if (strcmp(postern_dirs[i].name, name) == 0)
			return (postern_dirs + i);
	fail_msg("no entry %s", name);
	return (NULL);
}

/* test_table - the Postfix layout */
static void
test_table(void **state)
{
	static const struct {
		const char *name;
		mode_t	mode;
		uid_t	uid;
		int	check_gid;
	}	cases[] = {
		{".", 0755, 0, 0},
		{"maildrop", 0730, 100, 1},
		{"public", 0710, 100, 1},
		{"private", 0700, 100, 0},
		{"pid", 0755, 0, 0},
		{"incoming", 0700, 100, 0},
		{"deferred", 0700, 100, 0},
		{"saved", 0700, 100, 0},
	};
	struct postern_want want;
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		postern_dir_want(find(cases[i].name), &ids, &want);
		assert_int_equal(want.mode, cases[i].mode);
		assert_int_equal(want.uid, cases[i].uid);
		assert_int_equal(want.check_gid, cases[i].check_gid);
		if (want.check_gid)
			assert_int_equal(want.gid, 102);
	}
	assert_true(find("deferred")->is_queue);
	assert_false(find("private")->is_queue);
}

/* test_problems - each kind of wrong directory */
static void
test_problems(void **state)
{
	struct postern_want want;
	struct argv *problems = argv_new(4);
	struct stat st;

	(void) state;
	postern_dir_want(find("maildrop"), &ids, &want);
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFDIR | 0730;
	st.st_uid = 100;
	st.st_gid = 102;
	assert_int_equal(postern_dir_problems(&st, &want, "postern", "postdrop", "/q/maildrop",
					      problems), 0);
	st.st_mode = S_IFDIR | 0777;
	st.st_uid = 5;
	st.st_gid = 0;
	assert_int_equal(postern_dir_problems(&st, &want, "postern", "postdrop", "/q/maildrop",
					      problems), 3);
	assert_string_equal(problems->argv[0], "not owned by postern: /q/maildrop");
	assert_string_equal(problems->argv[1], "not owned by group postdrop: /q/maildrop");
	assert_string_equal(problems->argv[2],
			    "wrong permissions 0777 (expected 0730): /q/maildrop");
	argv_truncate(problems, 0);
	st.st_mode = S_IFREG | 0730;
	assert_int_equal(postern_dir_problems(&st, &want, "postern", "postdrop", "/q/maildrop",
					      problems), 1);
	assert_string_equal(problems->argv[0], "not a directory: /q/maildrop");
	argv_truncate(problems, 0);
	/* The group of a queue directory is not checked; setuid bits are. */
	postern_dir_want(find("incoming"), &ids, &want);
	st.st_mode = S_IFDIR | 04700;
	st.st_uid = 100;
	st.st_gid = 999;
	assert_int_equal(postern_dir_problems(&st, &want, "postern", "postdrop", "/q/incoming",
					      problems), 1);
	assert_string_equal(problems->argv[0],
			    "wrong permissions 4700 (expected 0700): /q/incoming");
	argv_free(problems);
}

/* test_hash_subdirs - parents first, hex names as the queue code uses */
static void
test_hash_subdirs(void **state)
{
	struct argv *list = argv_new(4);

	(void) state;
	postern_hash_subdirs(list, 0);
	assert_int_equal(list->argc, 0);
	postern_hash_subdirs(list, 1);
	assert_int_equal(list->argc, 16);
	assert_string_equal(list->argv[0], "0");
	assert_string_equal(list->argv[15], "F");
	argv_truncate(list, 0);
	postern_hash_subdirs(list, 2);
	assert_int_equal(list->argc, 16 + 256);
	assert_string_equal(list->argv[0], "0");
	assert_string_equal(list->argv[1], "0/0");
	assert_string_equal(list->argv[16], "0/F");
	assert_string_equal(list->argv[17], "1");
	assert_string_equal(list->argv[list->argc - 1], "F/F");
	argv_free(list);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_problems),
		cmocka_unit_test(test_hash_subdirs),
	};

	return (cmocka_run_group_tests_name("postern_dirs", tests, NULL, NULL));
}
