/*
 * NAME
 *	test_postalias_parse - unit tests for aliases(5) line parsing
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/buf.h>
#include "postalias/postalias.h"

struct parse_case {
	const char *name;
	const char *line;
	int	status;
	const char *key;		/* or the error text */
	const char *value;
};

static const struct parse_case cases[] = {
	{"simple", "root: admin", 0, "root", "admin"},
	{"list", "staff: a, b,c ,  d", 0, "staff", "a, b, c, d"},
	{"blanks around colon", "Team  :   x  y  ", 0, "Team", "x y"},
	{"continued line", "root: admin, other  third,\tfourth", 0, "root",
	"admin, other third, fourth"},
	{"quoted name", "\"First Last\": fl", 0, "First Last", "fl"},
	{"quoted name keeps blanks", "\"Q  x\"  : w", 0, "Q  x", "w"},
	{"colon in quoted name", "\"a:b\": q", 0, "a:b", "q"},
	{"name with blank", "sp ace: z", 0, "sp ace", "z"},
	{"include", "list: :include:/etc/postern/list", 0, "list",
	":include:/etc/postern/list"},
	{"file", "log: /var/log/mail.copy", 0, "log", "/var/log/mail.copy"},
	{"command keeps quoting", "prog: \"|/bin/cmd   arg\", b@c   (the  b) ,d",
	0, "prog", "\"|/bin/cmd   arg\", b@c (the  b), d"},
	{"angle address", "c: <foo@bar>,   \"x y\"@z", 0, "c", "<foo@bar>, \"x y\"@z"},
	{"backslash user", "e: \\user", 0, "e", "user"},
	{"no colon", "bad line", -1, "need name:value pair", NULL},
	{"empty value", "empty:", -1, "need name:value pair", NULL},
	{"blank value", "empty:   ", -1, "need name:value pair", NULL},
	{"no name", ": nokey", -1, "need name:value pair", NULL},
	{"unterminated quote", "\"abc: x", -1, "need name:value pair", NULL},
	{"domain in name", "user@dom: y", -1, "name must be local", NULL},
};

/* test_cases - run the case table */
static void
test_cases(void **state)
{
	struct buf *key = buf_new(10);
	struct buf *value = buf_new(10);
	struct buf *why = buf_new(10);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		const struct parse_case *c = &cases[i];

		buf_reset(why);
		print_message("case: %s\n", c->name);
		assert_int_equal(postalias_parse(c->line, key, value, why), c->status);
		if (c->status == 0) {
			assert_string_equal(buf_str(key), c->key);
			assert_string_equal(buf_str(value), c->value);
		} else {
			assert_string_equal(buf_str(why), c->key);
		}
	}
	buf_free(key);
	buf_free(value);
	buf_free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
	};

	return (cmocka_run_group_tests_name("postalias_parse", tests, NULL, NULL));
}
