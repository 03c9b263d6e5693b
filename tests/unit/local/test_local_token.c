/*
 * NAME
 *	test_local_token - unit tests for alias value parsing
 * DESCRIPTION
 *	Case table {name, alias value, items joined by "|"} for
 *	local_token_split(), then values that must be refused.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/argv.h>
#include <util/buf.h>

#include "local/local.h"

struct token_case {
	const char *name;
	const char *value;
	const char *want;			/* items joined by "|" */
};

static const struct token_case cases[] = {
	{"one user", "root", "root"},
	{"list with blanks", "  a ,b,   c@example.com  ", "a|b|c@example.com"},
	{"empty items", ",, a,,", "a"},
	{"quoted command", "\"|/usr/bin/vacation -a x, y\"", "|/usr/bin/vacation -a x, y"},
	{"unquoted command", "|/bin/cat", "|/bin/cat"},
	{"file and maildir", "/var/mail/f, /home/u/Maildir/", "/var/mail/f|/home/u/Maildir/"},
	{"quoted file with blank", "\"/tmp/a b\"", "/tmp/a b"},
	{"escape in quotes", "\"|echo \\\"x\\\"\"", "|echo \"x\""},
	{"include", ":include:/etc/list, admin", ":include:/etc/list|admin"},
	{"comment dropped", "joe (Joe Bloggs), ann", "joe|ann"},
	{"nested comment", "joe (a (b, c) d), ann", "joe|ann"},
	{"route address", "Joe Bloggs <joe@example.com>, \"A, B\" <ab@example.com>",
	"joe@example.com|ab@example.com"},
	{"quoted local part", "\"john doe\"@example.com", "john doe@example.com"},
	{"backslash user", "\\root, root", "\\root|root"},
	{"empty value", "", ""},
};

/* join - items as one string */
static const char *
join(struct buf *out, const struct argv *items)
{
	size_t	i;

	buf_reset(out);
	for (i = 0; i < items->argc; i++) {
		if (i)
			buf_putc(out, '|');
		buf_cat(out, items->argv[i]);
	}
	return (buf_str(out));
}

/* test_split - the case table */
static void
test_split(void **state)
{
	struct buf *why = buf_new(64);
	struct buf *joined = buf_new(64);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		struct argv *items = argv_new(4);
		int	n = local_token_split(cases[i].value, items, why);

		if (n < 0 || strcmp(join(joined, items), cases[i].want) != 0)
			fail_msg("%s: got %d \"%s\", want \"%s\" (%s)", cases[i].name, n,
				 buf_str(joined), cases[i].want, buf_str(why));
		assert_int_equal((size_t) n, items->argc);
		argv_free(items);
	}
	buf_free(why);
	buf_free(joined);
}

/* test_bad - unbalanced input leaves out unchanged */
static void
test_bad(void **state)
{
	static const char *const bad[] = {
		"\"unterminated, a", "a (comment, b", "<a@b, c", "a>, b", "x, \"|cmd",
	};
	struct buf *why = buf_new(64);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		struct argv *items = argv_new(4);

		argv_add(items, "kept");
		buf_reset(why);
		assert_int_equal(local_token_split(bad[i], items, why), -1);
		assert_int_equal(items->argc, 1);
		assert_string_equal(items->argv[0], "kept");
		assert_non_null(strstr(buf_str(why), "unbalanced"));
		argv_free(items);
	}
	buf_free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_bad),
	};

	return (cmocka_run_group_tests_name("local_token", tests, NULL, NULL));
}
