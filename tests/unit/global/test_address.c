/*
 * NAME
 *	test_address - unit tests for address parsing, quoting and checks
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <util/buf.h>
#include <util/argv.h>
#include <global/address.h>

/* test_parse_path - SMTP paths, good and hostile */
static void
test_parse_path(void **state)
{
	static const struct {
		const char *input;
		int	flags;
		int	notes;			/* -1: error */
		const char *want;		/* address, or reason substring */
		const char *rest;		/* text after the path */
	} cases[] = {
		{"<user@example.com>", 0, 0, "user@example.com", ""},
		{"  <user@example.com> SIZE=100", 0, 0, "user@example.com", " SIZE=100"},
		{"<>", 0, ADDRESS_NOTE_NULL, "", ""},
		{"<> BODY=8BITMIME", 0, ADDRESS_NOTE_NULL, "", " BODY=8BITMIME"},
		{"<@a.example,@b.example:user@c.example>", 0, ADDRESS_NOTE_ROUTE,
		 "user@c.example", ""},
		{"<\"john doe\"@example.com>", 0, ADDRESS_NOTE_QUOTED, "john doe@example.com", ""},
		{"<\"a\\\"b\\\\c\"@example.com>", 0, ADDRESS_NOTE_QUOTED,
		 "a\"b\\c@example.com", ""},
		{"<\"x>y\"@example.com>", 0, ADDRESS_NOTE_QUOTED, "x>y@example.com", ""},
		{"<user@example.com.>", 0, ADDRESS_NOTE_TRAILING_DOT, "user@example.com", ""},
		{"<user@[192.0.2.1]>", 0, ADDRESS_NOTE_LITERAL, "user@[192.0.2.1]", ""},
		{"<user@[IPv6:2001:db8::1]>", 0, ADDRESS_NOTE_LITERAL,
		 "user@[IPv6:2001:db8::1]", ""},
		{"<postmaster>", 0, ADDRESS_NOTE_NO_DOMAIN, "postmaster", ""},
		{"<user%host@relay.example>", 0, ADDRESS_NOTE_ROUTE_CHARS,
		 "user%host@relay.example", ""},
		{"<host!user@relay.example>", 0, ADDRESS_NOTE_ROUTE_CHARS,
		 "host!user@relay.example", ""},
		{"<\"a@b\"@relay.example>", 0, ADDRESS_NOTE_QUOTED | ADDRESS_NOTE_ROUTE_CHARS,
		 "a@b@relay.example", ""},
		{"<j\xc3\xb6rg@example.com>", 0, ADDRESS_NOTE_8BIT, "j\xc3\xb6rg@example.com", ""},
		{"<first..last.@docomo.example>", 0, 0, "first..last.@docomo.example", ""},
		{"user@example.com SIZE=1", ADDRESS_FLAG_NO_BRACKETS,
		 ADDRESS_NOTE_NO_BRACKETS, "user@example.com", " SIZE=1"},
		{"<USER@Example.COM>", 0, 0, "USER@Example.COM", ""},
		/* Errors. */
		{"user@example.com", 0, -1, "missing '<'", NULL},
		{"<user@example.com", 0, -1, "missing '>'", NULL},
		{"<user@>", 0, -1, "missing domain", NULL},
		{"<@example.com>", 0, -1, "source route", NULL},
		{"<@a,@b>", 0, -1, "source route", NULL},
		{"<@:user@x.example>", 0, -1, "source route", NULL},
		{"<\"\"@example.com>", 0, -1, "empty local part", NULL},
		{"<\"unterminated@example.com>", 0, -1, "unterminated", NULL},
		{"<\"a\\", 0, -1, "unterminated", NULL},
		{"<\"a\x01\"@example.com>", 0, -1, "bad character", NULL},
		{"<user name@example.com>", 0, -1, "bad character", NULL},
		{"<user@exa mple.com>", 0, -1, "bad character", NULL},
		{"<user@example.com>>", 0, 0, "user@example.com", ">"},
		{"<user@exa_mple.com>", 0, -1, "bad character", NULL},
		{"<user@-example.com>", 0, -1, "bad domain", NULL},
		{"<user@example..com>", 0, -1, "bad domain", NULL},
		{"<user@1.2.3.4>", 0, -1, "bad domain", NULL},
		{"<user@[1.2.3.999]>", 0, -1, "bad address literal", NULL},
		{"<user@[IPv6:1.2.3.4]>", 0, -1, "bad address literal", NULL},
		{"<user@[192.0.2.1>", 0, -1, "unterminated address literal", NULL},
		{"<a@b@c.example>", 0, -1, "bad character", NULL},
		{"<(comment)user@example.com>", 0, -1, "bad character", NULL},
		{"", 0, -1, "missing '<'", NULL},
		{"", ADDRESS_FLAG_NO_BRACKETS, -1, "empty address", NULL},
		{"<", 0, -1, "bad character", NULL},
		{"<user@example.com\r\n>", 0, -1, "bad character", NULL},
	};
	struct buf *addr = buf_new(10);
	struct buf *why = buf_new(10);
	const char *end;
	size_t	i;
	int	notes;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		buf_reset(why);
		end = NULL;
		notes = address_parse_path(cases[i].input, &end, cases[i].flags, addr, why);
		if (notes != cases[i].notes)
			fail_msg("case %zu \"%s\": notes %d, want %d (%s)", i,
				 cases[i].input, notes, cases[i].notes, buf_str(why));
		if (cases[i].notes < 0) {
			if (strstr(buf_str(why), cases[i].want) == NULL)
				fail_msg("case %zu \"%s\": reason \"%s\", want \"%s\"", i,
					 cases[i].input, buf_str(why), cases[i].want);
			continue;
		}
		assert_string_equal(buf_str(addr), cases[i].want);
		assert_string_equal(end, cases[i].rest);
	}
	buf_free(addr);
	buf_free(why);
}

/* test_path_limits - length limits of RFC 5321 section 4.5.3.1 */
static void
test_path_limits(void **state)
{
	struct buf *addr = buf_new(10);
	struct buf *why = buf_new(10);
	struct buf *in = buf_new(300);
	int	i;

	(void) state;
	/* 64-byte local part is fine, 65 is not. */
	buf_cpy(in, "<");
	for (i = 0; i < 64; i++)
		buf_putc(in, 'l');
	buf_cat(in, "@example.com>");
	assert_true(address_parse_path(buf_str(in), NULL, 0, addr, why) >= 0);
	buf_cpy(in, "<l");
	for (i = 0; i < 64; i++)
		buf_putc(in, 'l');
	buf_cat(in, "@example.com>");
	assert_int_equal(address_parse_path(buf_str(in), NULL, 0, addr, why), -1);
	assert_non_null(strstr(buf_str(why), "local part too long"));
	/* A label over 63 bytes. */
	buf_cpy(in, "<u@");
	for (i = 0; i < 64; i++)
		buf_putc(in, 'd');
	buf_cat(in, ".example>");
	assert_int_equal(address_parse_path(buf_str(in), NULL, 0, addr, why), -1);
	/* A whole path over 256 bytes with valid labels. */
	buf_cpy(in, "<u@");
	for (i = 0; i < 30; i++)
		buf_cat(in, "abcdefgh.");
	buf_cat(in, "com>");
	assert_int_equal(address_parse_path(buf_str(in), NULL, 0, addr, why), -1);
	assert_non_null(strstr(buf_str(why), "too long"));
	/* NO_CHECK leaves the limits to the caller. */
	assert_true(address_parse_path(buf_str(in), NULL, ADDRESS_FLAG_NO_CHECK,
				       addr, why) >= 0);
	buf_free(addr);
	buf_free(why);
	buf_free(in);
}

/* test_check - address_check on internal forms */
static void
test_check(void **state)
{
	static const struct {
		const char *addr;
		int	ok;
	} cases[] = {
		{"", 1},
		{"user@example.com", 1},
		{"john doe@example.com", 1},
		{"a@b@example.com", 1},
		{"postmaster", 1},
		{"user@[192.0.2.1]", 1},
		{"user@", 0},
		{"@example.com", 0},
		{"user@example.com.", 0},
		{"user@.example.com", 0},
		{"user@exam\tple.com", 0},
		{"us\x7f" "er@example.com", 0},
		{"user@[300.0.0.1]", 0},
		{"user@[]", 0},
		{"user@example.123", 0},
		{"user@xn--bcher-kva.example", 1},
		{"user@b\xc3\xbc" "cher.example", 1},
	};
	struct buf *why = buf_new(10);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++)
		if ((address_check(cases[i].addr, why) == 0) != cases[i].ok)
			fail_msg("case %zu \"%s\": want %s (%s)", i, cases[i].addr,
				 cases[i].ok ? "ok" : "error", buf_str(why));
	assert_int_equal(address_check(NULL, why), -1);
	assert_int_equal(address_check("@x.example", NULL), -1);
	buf_free(why);
}

/* test_quote - internal <-> external form */
static void
test_quote(void **state)
{
	static const struct {
		const char *internal;
		const char *external;
	} cases[] = {
		{"user@example.com", "user@example.com"},
		{"first.last@example.com", "first.last@example.com"},
		{"john doe@example.com", "\"john doe\"@example.com"},
		{"a\"b@example.com", "\"a\\\"b\"@example.com"},
		{"a\\b@example.com", "\"a\\\\b\"@example.com"},
		{"a@b@example.com", "\"a@b\"@example.com"},
		{".lead@example.com", "\".lead\"@example.com"},
		{"trail.@example.com", "\"trail.\"@example.com"},
		{"dou..ble@example.com", "\"dou..ble\"@example.com"},
		{"weird(x)@example.com", "\"weird(x)\"@example.com"},
		{"postmaster", "postmaster"},
		{"two words", "\"two words\""},
		{"", ""},
		{"@example.com", "\"\"@example.com"},
		{"user+tag@example.com", "user+tag@example.com"},
	};
	struct buf *out = buf_new(10);
	struct buf *back = buf_new(10);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		assert_string_equal(address_quote(out, cases[i].internal), cases[i].external);
		assert_string_equal(address_unquote(back, buf_str(out)), cases[i].internal);
	}
	assert_null(address_unquote(out, "\"open@example.com"));
	assert_int_equal(errno, EINVAL);
	assert_null(address_unquote(out, "\"a\\"));
	buf_free(out);
	buf_free(back);
}

/* test_domain_local - splitting at the last '@' */
static void
test_domain_local(void **state)
{
	struct buf *out = buf_new(10);

	(void) state;
	assert_string_equal(address_domain(out, "User@Example.COM"), "example.com");
	assert_string_equal(address_domain(out, "a@b@C.example"), "c.example");
	assert_string_equal(address_domain(out, "user@"), "");
	assert_null(address_domain(out, "postmaster"));
	assert_string_equal(address_local(out, "a@b@c.example"), "a@b");
	assert_string_equal(address_local(out, "postmaster"), "postmaster");
	assert_string_equal(address_local(out, "@x"), "");
	buf_free(out);
}

/* test_route_chars - relay tricks */
static void
test_route_chars(void **state)
{
	static const struct {
		const char *addr;
		bool	want;
	} cases[] = {
		{"user@example.com", false},
		{"user%other.example@relay.example", true},
		{"other.example!user@relay.example", true},
		{"other!user", true},
		{"a@b@relay.example", true},
		{"@hop.example:user@x.example", true},
		{"user@ex%ample.com", false},
		{"", false},
	};
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++)
		assert_int_equal(address_has_route_chars(cases[i].addr), cases[i].want);
}

/* test_literal - address literals and host names */
static void
test_literal(void **state)
{
	struct buf *ip = buf_new(10);

	(void) state;
	assert_int_equal(address_domain_literal("[192.0.2.1]", ip), AF_INET);
	assert_string_equal(buf_str(ip), "192.0.2.1");
	assert_int_equal(address_domain_literal("[IPv6:2001:db8::1]", ip), AF_INET6);
	assert_string_equal(buf_str(ip), "2001:db8::1");
	assert_int_equal(address_domain_literal("[ipv6:::1]", NULL), AF_INET6);
	assert_int_equal(address_domain_literal("example.com", ip), 0);
	assert_int_equal(address_domain_literal(NULL, ip), 0);
	assert_int_equal(address_domain_literal("[192.0.2.1", ip), -1);
	assert_int_equal(address_domain_literal("[]", ip), -1);
	assert_int_equal(address_domain_literal("[192.0.2]", ip), -1);
	assert_int_equal(address_domain_literal("[2001:db8::1]", ip), -1);
	assert_int_equal(address_domain_literal("[IPv6:192.0.2.1]", ip), -1);
	assert_int_equal(address_domain_literal("[tag:whatever]", ip), -1);
	assert_int_equal(address_domain_literal(
		"[IPv6:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0001]", ip), -1);

	assert_true(address_domain_valid("example.com"));
	assert_true(address_domain_valid("a-b.example"));
	assert_true(address_domain_valid("localhost"));
	assert_true(address_domain_valid("123.example"));
	assert_false(address_domain_valid(""));
	assert_false(address_domain_valid(NULL));
	assert_false(address_domain_valid("a-.example"));
	assert_false(address_domain_valid("example.com."));
	assert_false(address_domain_valid(".example.com"));
	assert_false(address_domain_valid("exa$mple.com"));
	assert_false(address_domain_valid("192.0.2.1"));
	buf_free(ip);
}

/* test_parse_list - RFC 5322 header address lists */
static void
test_parse_list(void **state)
{
	static const struct {
		const char *input;
		int	count;			/* -1: error */
		const char *want;		/* addresses joined with '|' */
	} cases[] = {
		{"a@b.example", 1, "a@b.example"},
		{"\"Name, Real\" <a@b.example>", 1, "a@b.example"},
		{"c@d.example (comment, with (nested) parens)", 1, "c@d.example"},
		{"Joe <joe@x.example>, c@d.example", 2, "joe@x.example|c@d.example"},
		{"team: x@y.example, z@w.example;, last@x.example", 3,
		 "x@y.example|z@w.example|last@x.example"},
		{"undisclosed-recipients:;", 0, ""},
		{"\"john doe\"@example.com", 1, "john doe@example.com"},
		{"<@hop.example:user@x.example>", 1, "user@x.example"},
		{"a@b.example,,c@d.example,", 2, "a@b.example|c@d.example"},
		{"Name\r\n <folded@example.com>", 1, "folded@example.com"},
		{"postmaster", 1, "postmaster"},
		{"user@[192.0.2.1]", 1, "user@[192.0.2.1]"},
		{"\"q\\\"uote\" <a@b.example>", 1, "a@b.example"},
		{"\"a\".b@c.example", 1, "a.b@c.example"},
		{"(only a comment)", 0, ""},
		{"", 0, ""},
		/* Errors. */
		{"\"unterminated <a@b.example>", -1, "unterminated quoted"},
		{"a@b.example (open comment", -1, "unbalanced '('"},
		{"Name <a@b.example", -1, "missing '>'"},
		{"Name a@b.example>", -1, "unbalanced '>'"},
		{"<a@b.example> trailing", -1, "text after '>'"},
		{"a@b.example c@d.example", -1, "bad address syntax"},
		{"<>", -1, "empty address"},
		{"<a<b@c.example>>", -1, "nested '<'"},
		{"x: y: a@b.example;", -1, "unexpected ':'"},
		{"a@[1.2.3.4", -1, "unterminated domain literal"},
		{"a\x01@b.example", -1, "control character"},
		{"a\\b@c.example", -1, "unexpected '\\'"},
		{"<@hop.example user@x.example>", -1, "source route"},
	};
	struct argv *out = argv_new(4);
	struct buf *why = buf_new(10);
	struct buf *got = buf_new(10);
	size_t	i, j;
	int	n;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		argv_truncate(out, 0);
		argv_add(out, "kept");
		buf_reset(why);
		n = address_parse_list(cases[i].input, out, why);
		if (n != cases[i].count)
			fail_msg("case %zu \"%s\": count %d, want %d (%s)", i,
				 cases[i].input, n, cases[i].count, buf_str(why));
		if (n < 0) {
			assert_int_equal(out->argc, 1);
			if (strstr(buf_str(why), cases[i].want) == NULL)
				fail_msg("case %zu: reason \"%s\", want \"%s\"", i,
					 buf_str(why), cases[i].want);
			continue;
		}
		buf_reset(got);
		for (j = 1; j < out->argc; j++)
			buf_appendf(got, "%s%s", j > 1 ? "|" : "", out->argv[j]);
		assert_string_equal(buf_str(got), cases[i].want);
	}
	argv_free(out);
	buf_free(why);
	buf_free(got);
}

/* test_hostile_list - long and nested input stays bounded and correct */
static void
test_hostile_list(void **state)
{
	struct argv *out = argv_new(4);
	struct buf *why = buf_new(10);
	struct buf *in = buf_new(100000);
	int	i;

	(void) state;
	for (i = 0; i < 5000; i++)
		buf_appendf(in, "u%d@example.com, ", i);
	assert_int_equal(address_parse_list(buf_str(in), out, why), 5000);
	assert_string_equal(out->argv[4999], "u4999@example.com");
	buf_reset(in);
	for (i = 0; i < 10000; i++)
		buf_putc(in, '(');
	assert_int_equal(address_parse_list(buf_str(in), out, why), -1);
	assert_int_equal(out->argc, 5000);
	for (i = 0; i < 10000; i++)
		buf_putc(in, ')');
	buf_cat(in, "a@b.example");
	assert_int_equal(address_parse_list(buf_str(in), out, why), 1);
	argv_free(out);
	buf_free(why);
	buf_free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_path),
		cmocka_unit_test(test_path_limits),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_domain_local),
		cmocka_unit_test(test_route_chars),
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_hostile_list),
	};

	return (cmocka_run_group_tests_name("address", tests, NULL, NULL));
}
