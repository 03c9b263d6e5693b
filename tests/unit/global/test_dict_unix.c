/*
 * NAME
 *	test_dict_unix - unit tests for the unix: table type
 * DESCRIPTION
 *	unix:passwd.byname and unix:group.byname: an existing name gives
 *	its passwd(5)/group(5) line, a missing name is "not found" without
 *	error, an unknown database name fails the open, and inside a chroot
 *	jail without /etc/passwd a lookup is a temporary error, never "not
 *	found" (the jail part needs root, else it is skipped).
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/wait.h>
#include <unistd.h>
#include <util/buf.h>
#include <global/dict.h>

/* test_passwd - an existing and a missing user */
static void
test_passwd(void **state)
{
	struct buf *why = buf_new(64);
	struct dict *dict;
	const char *value;
	int	error = 0;

	(void) state;
	dict = dict_open("unix:passwd.byname", 0, &error, why);
	assert_non_null(dict);
	value = dict_get(dict, "root");
	assert_non_null(value);
	assert_true(strncmp(value, "root:", 5) == 0);
	assert_non_null(strstr(value, ":0:0:"));
	assert_null(dict_get(dict, "no-such-user-x7q"));
	assert_int_equal(dict->error, DICT_ERR_NONE);
	dict_close(dict);
	buf_free(why);
}

/* test_group - an existing and a missing group */
static void
test_group(void **state)
{
	struct buf *why = buf_new(64);
	struct dict *dict;
	const char *value;
	int	error = 0;

	(void) state;
	dict = dict_open("unix:group.byname", 0, &error, why);
	assert_non_null(dict);
	value = dict_get(dict, "root");
	assert_non_null(value);
	assert_true(strncmp(value, "root:", 5) == 0);
	assert_null(dict_get(dict, "no-such-group-x7q"));
	assert_int_equal(dict->error, DICT_ERR_NONE);
	dict_close(dict);
	buf_free(why);
}

/* test_bad_name - an unknown database fails the open */
static void
test_bad_name(void **state)
{
	struct buf *why = buf_new(64);
	int	error = 0;

	(void) state;
	assert_null(dict_open("unix:shadow.byname", 0, &error, why));
	assert_non_null(strstr(buf_str(why), "unix:shadow.byname"));
	buf_free(why);
}

/* jail_lookup - in the child: 0 when the lookup is a temporary error */
static int
jail_lookup(const char *jail)
{
	struct buf *why = buf_new(64);
	struct dict *dict;
	int	error = 0;

	if ((dict = dict_open("unix:passwd.byname", 0, &error, why)) == NULL)
		return (1);
	if (chroot(jail) < 0 || chdir("/") < 0)
		return (2);
	if (dict_get(dict, "no-such-user-x7q") != NULL)
		return (3);
	if (dict->error != DICT_ERR_RETRY)
		return (4);
	if (strstr(buf_str(dict->why), "/etc/passwd") == NULL)
		return (5);
	return (0);
}

/* test_jail - no /etc/passwd: a temporary error, not "no such user" */
static void
test_jail(void **state)
{
	char	jail[] = "/tmp/test_dict_unix.XXXXXX";
	int	status = -1;
	pid_t	pid;

	(void) state;
	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(jail));
	if ((pid = fork()) == 0)
		_exit(jail_lookup(jail));
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	(void) rmdir(jail);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passwd),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_bad_name),
		cmocka_unit_test(test_jail),
	};

	return (cmocka_run_group_tests_name("dict_unix", tests, NULL, NULL));
}
