/*
 * NAME
 *	test_dsn - unit tests for DSN status codes and parameters
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/buf.h>
#include <global/dsn.h>

/* test_valid_status - status code syntax */
static void
test_valid_status(void **state)
{
	static const struct {
		const char *status;
		int	class;
		size_t	prefix;			/* dsn_status_len() */
	} cases[] = {
		{"2.0.0", 2, 5},
		{"4.7.1", 4, 5},
		{"5.1.10", 5, 6},
		{"5.123.456", 5, 9},
		{"3.0.0", -1, 0},
		{"1.0.0", -1, 0},
		{"5.1", -1, 0},
		{"5.1.", -1, 0},
		{"5..1", -1, 0},
		{"5.1.1.1", -1, 0},
		{"5.1234.1", -1, 0},
		{"5.1.1234", -1, 0},
		{"5.a.1", -1, 0},
		{"", -1, 0},
		{" 5.1.1", -1, 0},
		{"5.1.1x", -1, 0},
		{"50.1.1", -1, 0},
	};
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(dsn_valid_status(cases[i].status), cases[i].class > 0);
		assert_int_equal(dsn_class(cases[i].status), cases[i].class);
		assert_int_equal(dsn_status_len(cases[i].status), cases[i].prefix);
	}
	assert_int_equal(dsn_status_len("5.1.1 User unknown"), 5);
	assert_int_equal(dsn_status_len("5.1.1\tx"), 5);
	assert_int_equal(dsn_status_len("5.1.1-x"), 0);
	assert_false(dsn_valid_status(NULL));
	assert_int_equal(dsn_class(NULL), -1);
}

/* test_from_reply - enhanced codes, derived codes, bad replies */
static void
test_from_reply(void **state)
{
	static const struct {
		const char *reply;
		const char *status;
		const char *action;
		const char *reason;
	} cases[] = {
		{"550 5.1.1 <a@b>: Recipient address rejected", "5.1.1", "failed",
		 "<a@b>: Recipient address rejected"},
		{"550-5.7.1 first line\r\n550 5.7.1 second", "5.7.1", "failed", "first line"},
		{"451 4.7.1 Try again later", "4.7.1", "delayed", "Try again later"},
		{"421 Service not available", "4.0.0", "delayed", "Service not available"},
		{"250 2.0.0 Ok: queued as X", "2.0.0", "delivered", "Ok: queued as X"},
		{"250 Ok", "2.0.0", "delivered", "Ok"},
		{"554", "5.0.0", "failed", ""},
		/* Class mismatch: the reply code wins, as Postfix does. */
		{"450 5.1.1 mailbox busy", "4.0.0", "delayed", "5.1.1 mailbox busy"},
		{"550 5.1.1234 bad", "5.0.0", "failed", "5.1.1234 bad"},
	};
	static const char *const bad[] = {
		"", "55", "354 go ahead", "650 x", "5x0 x", "550x", "abc", "150 x",
	};
	struct dsn dsn;
	size_t	i;

	(void) state;
	dsn_init(&dsn);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(dsn_from_reply(&dsn, cases[i].reply), 0);
		assert_string_equal(dsn.status, cases[i].status);
		assert_string_equal(dsn.action, cases[i].action);
		assert_string_equal(dsn.reason, cases[i].reason);
		assert_string_equal(dsn.dtype, "smtp");
		assert_int_equal(strcspn(dsn.dtext, "\r\n"), strlen(dsn.dtext));
	}
	dsn_set(&dsn, "4.4.1", DSN_ACTION_DELAYED, "kept");
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		errno = 0;
		assert_int_equal(dsn_from_reply(&dsn, bad[i]), -1);
		assert_int_equal(errno, EINVAL);
		assert_string_equal(dsn.status, "4.4.1");
		assert_string_equal(dsn.reason, "kept");
	}
	assert_int_equal(dsn_from_reply(&dsn, NULL), -1);
	dsn_free(&dsn);
	assert_null(dsn.reason);
	assert_string_equal(dsn.status, "");
}

/* test_set_copy - setters and deep copies */
static void
test_set_copy(void **state)
{
	struct dsn a, b;

	(void) state;
	dsn_init(&a);
	dsn_init(&b);
	dsn_set(&a, "5.1.1", DSN_ACTION_FAILED, "user %s unknown", "joe");
	dsn_set_diag(&a, "smtp", "550 5.1.1 no such user");
	dsn_set_mta(&a, "dns", "mx.example.com");
	dsn_copy(&b, &a);
	dsn_free(&a);
	assert_string_equal(b.status, "5.1.1");
	assert_string_equal(b.reason, "user joe unknown");
	assert_string_equal(b.dtext, "550 5.1.1 no such user");
	assert_string_equal(b.mname, "mx.example.com");
	dsn_set_mta(&b, NULL, NULL);
	assert_null(b.mname);
	dsn_copy(&b, &b);
	assert_string_equal(b.action, "failed");
	dsn_free(&b);
}

/* test_text - RFC 3463 texts with fallbacks */
static void
test_text(void **state)
{
	static const struct {
		const char *status;
		const char *text;
	} cases[] = {
		{"5.1.1", "Bad destination mailbox address"},
		{"4.1.1", "Bad destination mailbox address"},
		{"5.01.001", "Bad destination mailbox address"},
		{"4.7.1", "Delivery not authorized, message refused"},
		{"5.2.2", "Mailbox full"},
		{"4.4.7", "Delivery time expired"},
		{"5.7.27", "Sender address has null MX"},
		{"5.1.99", "Other address status"},
		{"5.9.9", "Other undefined Status"},
		{"2.0.0", "Other undefined Status"},
	};
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++)
		assert_string_equal(dsn_text(cases[i].status), cases[i].text);
	assert_null(dsn_text("5.1"));
	assert_null(dsn_text("9.1.1"));
	assert_null(dsn_text(NULL));
	assert_string_equal(dsn_class_text(5), "Permanent Failure");
	assert_string_equal(dsn_class_text(4), "Persistent Transient Failure");
	assert_string_equal(dsn_class_text(2), "Success");
	assert_null(dsn_class_text(3));
	assert_string_equal(dsn_action_for("5.0.0"), "failed");
	assert_null(dsn_action_for("x"));
	assert_string_equal(dsn_success_action("relayed"), DSN_ACTION_RELAYED);
	assert_string_equal(dsn_success_action("expanded"), DSN_ACTION_EXPANDED);
	assert_string_equal(dsn_success_action("failed"), DSN_ACTION_DELIVERED);
	assert_string_equal(dsn_success_action(NULL), DSN_ACTION_DELIVERED);
}

/* test_notify - NOTIFY parsing and formatting */
static void
test_notify(void **state)
{
	static const struct {
		const char *value;
		int	mask;
		const char *canon;
	} cases[] = {
		{"NEVER", DSN_NOTIFY_NEVER, "NEVER"},
		{"never", DSN_NOTIFY_NEVER, "NEVER"},
		{"SUCCESS", DSN_NOTIFY_SUCCESS, "SUCCESS"},
		{"FAILURE,DELAY", DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY, "FAILURE,DELAY"},
		{"delay,Success,FAILURE", DSN_NOTIFY_ANY, "SUCCESS,FAILURE,DELAY"},
		{"", -1, NULL},
		{"NEVER,SUCCESS", -1, NULL},
		{"SUCCESS,NEVER", -1, NULL},
		{"SUCCESS,SUCCESS", -1, NULL},
		{"SUCCESS,", -1, NULL},
		{",SUCCESS", -1, NULL},
		{"SUCCESS DELAY", -1, NULL},
		{"SUCCES", -1, NULL},
		{"FAILURES", -1, NULL},
	};
	struct buf *out = buf_new(10);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(dsn_notify_parse(cases[i].value), cases[i].mask);
		if (cases[i].canon)
			assert_string_equal(dsn_notify_str(out, cases[i].mask), cases[i].canon);
	}
	assert_int_equal(dsn_notify_parse(NULL), -1);
	assert_null(dsn_notify_str(out, 0));
	assert_null(dsn_notify_str(out, 1 << 6));
	assert_null(dsn_notify_str(out, DSN_NOTIFY_NEVER | DSN_NOTIFY_DELAY));
	assert_int_equal(dsn_ret_parse("FULL"), DSN_RET_FULL);
	assert_int_equal(dsn_ret_parse("hdrs"), DSN_RET_HDRS);
	assert_int_equal(dsn_ret_parse("HEADERS"), -1);
	assert_int_equal(dsn_ret_parse(""), -1);
	assert_int_equal(dsn_ret_parse(NULL), -1);
	assert_string_equal(dsn_ret_str(DSN_RET_HDRS), "HDRS");
	assert_null(dsn_ret_str(7));
	buf_free(out);
}

/* test_xtext - xtext, ENVID and ORCPT */
static void
test_xtext(void **state)
{
	struct buf *out = buf_new(10);
	struct buf *type = buf_new(10);
	char	longid[DSN_ENVID_MAX + 2];

	(void) state;
	assert_int_equal(dsn_xtext_decode(out, "a+2Bb+3Dc"), 0);
	assert_string_equal(buf_str(out), "a+b=c");
	assert_string_equal(dsn_xtext_encode(out, "a+b=c d\x01"), "a+2Bb+3Dc+20d+01");
	assert_int_equal(dsn_xtext_decode(out, "a+2b"), -1);
	assert_int_equal(dsn_xtext_decode(out, "a+2"), -1);
	assert_int_equal(dsn_xtext_decode(out, "a+"), -1);
	assert_int_equal(dsn_xtext_decode(out, "a b"), -1);
	assert_int_equal(dsn_xtext_decode(out, "a=b"), -1);
	assert_int_equal(dsn_xtext_decode(out, "a+00b"), -1);
	assert_int_equal(dsn_xtext_decode(out, "\xc3\xa9"), -1);

	assert_true(dsn_envid_valid("QQ314159"));
	assert_true(dsn_envid_valid("a+20b"));
	assert_false(dsn_envid_valid(""));
	assert_false(dsn_envid_valid("a+0Ab"));
	assert_false(dsn_envid_valid("a+FFb"));
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = 0;
	assert_false(dsn_envid_valid(longid));
	longid[DSN_ENVID_MAX] = 0;
	assert_true(dsn_envid_valid(longid));

	assert_int_equal(dsn_orcpt_parse("rfc822;joe+2Bx@example.com", type, out), 0);
	assert_string_equal(buf_str(type), "rfc822");
	assert_string_equal(buf_str(out), "joe+x@example.com");
	assert_int_equal(dsn_orcpt_parse("rfc822joe@example.com", type, out), -1);
	assert_int_equal(dsn_orcpt_parse(";joe@example.com", type, out), -1);
	assert_int_equal(dsn_orcpt_parse("rfc822;", type, out), -1);
	assert_int_equal(dsn_orcpt_parse("rfc 822;x@y", type, out), -1);
	assert_int_equal(dsn_orcpt_parse("rfc822;x y", type, out), -1);
	buf_free(out);
	buf_free(type);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_status),
		cmocka_unit_test(test_from_reply),
		cmocka_unit_test(test_set_copy),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_xtext),
	};

	return (cmocka_run_group_tests_name("dsn", tests, NULL, NULL));
}
