/*
 * NAME
 *	test_cleanup_virtual - virtual_alias_maps expansion in cleanup
 */
#include "cleanup_test.c"

#include <global/cleanup_client.h>

#define VIRTUAL_MAPS "virtual_alias_maps=inline:{ " \
	"a@x.example=b@x.example, " \
	"{ b@x.example = c@x.example, d@x.example }, " \
	"loop1@x.example=loop2@x.example, loop2@x.example=loop1@x.example, " \
	"{ self@x.example = self@x.example other@x.example }, " \
	"@wild.example=catch@x.example, " \
	"user@x.example=target@y.example, " \
	"local=localpart@y.example, " \
	"chain1@x.example=chain2@x.example, chain2@x.example=chain3@x.example, " \
	"chain3@x.example=chain4@x.example, " \
	"{ fan@x.example = f1@y f2@y f3@y f4@y } }"

/* ct_expand - expand one address; returns the state's errs */
static int
ct_expand(const char *addr, struct argv *result)
{
	struct cleanup_state *st = cleanup_state_new(CLEANUP_FLAG_MAP_OK);
	int	errs;

	(void) cleanup_virtual(st, addr, result);
	errs = st->errs;
	cleanup_state_free(st);
	return (errs);
}

/* ct_expect - expansion result as one space separated string */
static void
ct_expect(const char *addr, const char *want)
{
	struct argv *result = argv_new(4);
	struct buf *got = buf_new(64);
	size_t	i;

	assert_int_equal(ct_expand(addr, result), 0);
	for (i = 0; i < result->argc; i++)
		buf_appendf(got, "%s%s", i ? " " : "", result->argv[i]);
	if (strcmp(buf_str(got), want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", addr, buf_str(got), want);
	buf_free(got);
	argv_free(result);
}

/* test_expansion - recursion, self reference, loops, wildcard */
static void
test_expansion(void **state)
{
	(void) state;
	ct_override(VIRTUAL_MAPS);
	ct_override("recipient_delimiter=+");
	ct_override("mydestination=x.example");
	ct_expect("nobody@x.example", "nobody@x.example");
	ct_expect("a@x.example", "c@x.example d@x.example");
	ct_expect("A@X.example", "c@x.example d@x.example");
	ct_expect("self@x.example", "self@x.example other@x.example");
	ct_expect("loop1@x.example", "loop1@x.example");
	ct_expect("anyone@wild.example", "catch@x.example");
	ct_expect("user+tag@x.example", "target+tag@y.example");
	ct_expect("local@x.example", "localpart@y.example");
	ct_expect("local@elsewhere.example", "local@elsewhere.example");
	ct_expect("chain1@x.example", "chain4@x.example");
}

/* test_limits - recursion and expansion limits defer the message */
static void
test_limits(void **state)
{
	struct argv *result = argv_new(4);

	(void) state;
	ct_override(VIRTUAL_MAPS);
	ct_override("virtual_alias_recursion_limit=2");
	assert_int_equal(ct_expand("chain1@x.example", result), CLEANUP_STAT_DEFER);
	assert_true(ct_logged("unreasonable virtual_alias_maps map nesting for chain1@x.example"));
	argv_truncate(result, 0);
	ct_override("virtual_alias_recursion_limit=1000");
	ct_override("virtual_alias_expansion_limit=3");
	assert_int_equal(ct_expand("fan@x.example", result), CLEANUP_STAT_DEFER);
	assert_true(ct_logged("unreasonable virtual_alias_maps map expansion size for fan@x.example"));
	argv_free(result);
}

/* test_lookup_error - an unavailable table is a temporary error */
static void
test_lookup_error(void **state)
{
	struct argv *result = argv_new(4);

	(void) state;
	ct_override("virtual_alias_maps=hash:/nonexistent/virtual");
	assert_int_equal(ct_expand("a@x.example", result), CLEANUP_STAT_WRITE);
	assert_int_equal(result->argc, 0);
	argv_free(result);
}

/* test_envelope_expansion - whole messages: duplicates, original recipient */
static void
test_envelope_expansion(void **state)
{
	const char *lines[] = {"Subject: v", "", "b", NULL};
	struct cleanup_state *st = cleanup_state_new(CLEANUP_FLAG_MAP_OK | CLEANUP_FLAG_LOCAL);
	struct ct_file *qf;
	int	i;

	(void) state;
	ct_override(VIRTUAL_MAPS);
	assert_int_equal(cleanup_out_open(st), 0);
	ct_envelope(st, "s@x.example", "a@x.example");
	ct_feed(st, REC_TYPE_RCPT, "c@x.example");	/* duplicate of a result */
	ct_feed(st, REC_TYPE_NTFY, "6");
	ct_feed(st, REC_TYPE_RCPT, "plain");		/* gets @myorigin */
	ct_feed(st, REC_TYPE_MESG, "");
	for (i = 0; lines[i]; i++)
		ct_feed(st, REC_TYPE_NORM, lines[i]);
	ct_feed(st, REC_TYPE_XTRA, "");
	ct_feed(st, REC_TYPE_END, "");
	assert_int_equal(ct_finish(st), 0);
	qf = ct_load("incoming", buf_str(st->queue_id));
	assert_int_equal(qf->check, 0);
	assert_int_equal(ct_count(qf, REC_TYPE_RCPT), 3);
	i = ct_find(qf, REC_TYPE_RCPT, "c@x.example");
	assert_true(i > 0);
	assert_int_equal(qf->type[i - 1], REC_TYPE_ORCP);
	assert_string_equal(qf->data[i - 1], "a@x.example");
	i = ct_find(qf, REC_TYPE_RCPT, "plain@test.example");
	assert_true(i > 0);
	assert_string_equal(qf->data[i - 1], "6");
	assert_string_equal(qf->data[i - 2], "plain");
	ct_free(qf);
	cleanup_state_free(st);
}

/* test_defer_message - an expansion failure refuses the whole message */
static void
test_defer_message(void **state)
{
	const char *lines[] = {"", "b", NULL};
	struct cleanup_state *st;

	(void) state;
	ct_override(VIRTUAL_MAPS);
	ct_override("virtual_alias_recursion_limit=1");
	st = ct_message(CLEANUP_FLAG_MAP_OK, "s@x.example", "chain1@x.example", lines);
	assert_int_equal(ct_finish(st), -1);
	assert_int_equal(st->errs, CLEANUP_STAT_DEFER);
	assert_int_equal(cleanup_stat_detail(st->errs)->smtp, 451);
	cleanup_state_free(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_expansion, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_limits, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_lookup_error, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_envelope_expansion, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_defer_message, ct_setup, ct_teardown),
	};

	return (cmocka_run_group_tests_name("cleanup_virtual", tests, NULL, NULL));
}
