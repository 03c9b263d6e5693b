/*
 * NAME
 *	test_smtp_addr - unit tests for MX ordering and nexthop syntax
 * DESCRIPTION
 *	smtp_addr_list_build(): preference order, shuffling among equal
 *	preferences only (many runs: both orders of equals appear, a higher
 *	preference value never comes first), address family preference,
 *	smtp_mx_address_limit, the loop check against myhostname, an empty
 *	list. smtp_addr_prefer_parse(). smtp_nexthop_parse(): domains,
 *	[host], ports, service names, IPv6 literals, and bad syntax.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <global/params.h>
#include "smtp/smtp.h"

/* setup - defaults, quiet logging */
static int
setup(void **state)
{
	(void) state;
	msg_to_stderr(MSG_STDERR_OFF);
	params_reset_defaults();
	return (0);
}

/* hosts_make - "name pref addr,addr;..." */
static void
hosts_make(struct dns_hostlist *list, const char *spec)
{
	struct argv *items = argv_split(spec, ";");
	size_t	i, j;

	memset(list, 0, sizeof(*list));
	list->host = xcalloc(items->argc + 1, sizeof(*list->host));
	for (i = 0; i < items->argc; i++) {
		struct argv *f = argv_split(items->argv[i], " ");
		struct argv *a = argv_split(f->argv[2], ",");
		struct dns_host *h = list->host + list->count++;

		h->name = xstrdup(f->argv[0]);
		h->pref = atoi(f->argv[1]);
		h->addr = xcalloc(a->argc, sizeof(*h->addr));
		for (j = 0; j < a->argc; j++)
			assert_int_equal(dns_addr_parse(a->argv[j], h->addr + h->addr_count++), 0);
		argv_free(a);
		argv_free(f);
	}
	argv_free(items);
}

/* list_text - "host/addr ..." */
static const char *
list_text(const struct smtp_addr_list *list, struct buf *out)
{
	size_t	i;

	buf_reset(out);
	for (i = 0; i < list->count; i++)
		buf_appendf(out, "%s%s/%s", i ? " " : "", list->addr[i].host,
			    list->addr[i].addr.text);
	return (out->data);
}

static long fixed_value;

/* fixed_random - a predictable "random" number */
static long
fixed_random(void)
{
	return (fixed_value);
}

/* test_order - preference order without shuffling */
static void
test_order(void **state)
{
	static const struct {
		const char *hosts;
		int	limit;
		int	prefer;
		const char *myhost;
		const char *want;
	} cases[] = {
		{"a 10 10.0.0.1;b 20 10.0.0.2", 0, SMTP_PREFER_ANY, NULL, "a/10.0.0.1 b/10.0.0.2"},
		{"a 10 10.0.0.1,10.0.0.2;b 20 10.0.0.3", 0, SMTP_PREFER_ANY, NULL,
		 "a/10.0.0.1 a/10.0.0.2 b/10.0.0.3"},
		{"a 10 10.0.0.1,10.0.0.2;b 20 10.0.0.3", 2, SMTP_PREFER_ANY, NULL,
		 "a/10.0.0.1 a/10.0.0.2"},
		{"a 10 10.0.0.1,10.0.0.2;b 20 10.0.0.3", 1, SMTP_PREFER_ANY, NULL, "a/10.0.0.1"},
		{"a 10 2001:db8::1,10.0.0.1", 0, SMTP_PREFER_IPV4, NULL, "a/10.0.0.1 a/2001:db8::1"},
		{"a 10 10.0.0.1,2001:db8::1", 0, SMTP_PREFER_IPV6, NULL, "a/2001:db8::1 a/10.0.0.1"},
		{"a 10 10.0.0.1;b 20 10.0.0.2;c 30 10.0.0.3", 0, SMTP_PREFER_ANY, "B",
		 "a/10.0.0.1"},
		{"a 10 10.0.0.1;b 10 10.0.0.2;c 30 10.0.0.3", 0, SMTP_PREFER_ANY, "c",
		 "a/10.0.0.1 b/10.0.0.2"},
		{"a 10 10.0.0.1;b 20 10.0.0.2", 0, SMTP_PREFER_ANY, "elsewhere",
		 "a/10.0.0.1 b/10.0.0.2"},
	};
	struct dns_hostlist hosts;
	struct smtp_addr_list list;
	struct buf *text = buf_new(100);
	size_t	i;
	int	ret;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		hosts_make(&hosts, cases[i].hosts);
		ret = smtp_addr_list_build(&list, &hosts, cases[i].limit, cases[i].prefer,
					   0, NULL, cases[i].myhost);
		assert_int_equal(ret, (int) list.count);
		if (strcmp(list_text(&list, text), cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\" want \"%s\"", i, text->data, cases[i].want);
		smtp_addr_list_free(&list);
		dns_hostlist_free(&hosts);
	}
	buf_free(text);
}

/* test_loop - every exchanger at or after this host: mail loops */
static void
test_loop(void **state)
{
	struct dns_hostlist hosts;
	struct smtp_addr_list list;

	(void) state;
	hosts_make(&hosts, "me.example 10 10.0.0.1;other 20 10.0.0.2");
	assert_int_equal(smtp_addr_list_build(&list, &hosts, 0, SMTP_PREFER_ANY, 1, NULL,
					      "ME.example"), -1);
	assert_int_equal(list.count, 0);
	smtp_addr_list_free(&list);
	dns_hostlist_free(&hosts);
	memset(&hosts, 0, sizeof(hosts));
	assert_int_equal(smtp_addr_list_build(&list, &hosts, 0, SMTP_PREFER_ANY, 1, NULL,
					      "me"), 0);
	smtp_addr_list_free(&list);
}

/* test_shuffle - random among equals, never across preferences */
static void
test_shuffle(void **state)
{
	struct dns_hostlist hosts;
	struct smtp_addr_list list;
	int	first_a = 0, first_b = 0, run;

	(void) state;
	srandom(1234);
	hosts_make(&hosts, "a 10 10.0.0.1;b 10 10.0.0.2;c 20 10.0.0.3;d 30 10.0.0.4,10.0.0.5");
	for (run = 0; run < 200; run++) {
		assert_int_equal(smtp_addr_list_build(&list, &hosts, 0, SMTP_PREFER_ANY, 1,
						      NULL, NULL), 5);
		first_a += strcmp(list.addr[0].host, "a") == 0;
		first_b += strcmp(list.addr[0].host, "b") == 0;
		assert_string_equal(list.addr[2].host, "c");
		assert_string_equal(list.addr[3].host, "d");
		assert_string_equal(list.addr[4].host, "d");
		smtp_addr_list_free(&list);
	}
	assert_int_equal(first_a + first_b, 200);
	assert_true(first_a > 40 && first_b > 40);
	/* A fixed generator gives a fixed order. */
	fixed_value = 0;
	smtp_addr_list_build(&list, &hosts, 0, SMTP_PREFER_ANY, 1, fixed_random, NULL);
	assert_string_equal(list.addr[0].host, "b");
	smtp_addr_list_free(&list);
	dns_hostlist_free(&hosts);
}

/* test_prefer_parse - smtp_address_preference */
static void
test_prefer_parse(void **state)
{
	(void) state;
	assert_int_equal(smtp_addr_prefer_parse("any"), SMTP_PREFER_ANY);
	assert_int_equal(smtp_addr_prefer_parse(""), SMTP_PREFER_ANY);
	assert_int_equal(smtp_addr_prefer_parse("IPv4"), SMTP_PREFER_IPV4);
	assert_int_equal(smtp_addr_prefer_parse("ipv6"), SMTP_PREFER_IPV6);
	assert_int_equal(smtp_addr_prefer_parse("ipv5"), -1);
}

/* test_nexthop - nexthop syntax */
static void
test_nexthop(void **state)
{
	static const struct {
		const char *nexthop;
		const char *host;
		int	port;
		int	use_mx;
	} good[] = {
		{"example.com", "example.com", 25, 1},
		{"example.com:2525", "example.com", 2525, 1},
		{"[mail.example.com]", "mail.example.com", 25, 0},
		{"[127.0.0.1]:2526", "127.0.0.1", 2526, 0},
		{"[ipv6:::1]:26", "::1", 26, 0},
		{"[2001:db8::1]", "2001:db8::1", 25, 0},
		{"example.com:smtp", "example.com", 25, 1},
	};
	static const char *const bad[] = {
		"[127.0.0.1", "[127.0.0.1]x", "[127.0.0.1]:", "example.com:",
		"example.com:99999", "example.com:0", "::1", "bad_host!", "",
		"example.com:nosuchservice", "[]",
	};
	struct buf *host = buf_new(10), *why = buf_new(10);
	int	port, use_mx;
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(good); i++) {
		if (smtp_nexthop_parse(good[i].nexthop, host, &port, &use_mx, why) != 0)
			fail_msg("%s: %s", good[i].nexthop, why->data);
		assert_string_equal(host->data, good[i].host);
		assert_int_equal(port, good[i].port);
		assert_int_equal(use_mx, good[i].use_mx);
	}
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		buf_reset(why);
		if (smtp_nexthop_parse(bad[i], host, &port, &use_mx, why) != -1)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_true(why->len > 0);
	}
	buf_free(host);
	buf_free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_order, setup),
		cmocka_unit_test_setup(test_loop, setup),
		cmocka_unit_test_setup(test_shuffle, setup),
		cmocka_unit_test_setup(test_prefer_parse, setup),
		cmocka_unit_test_setup(test_nexthop, setup),
	};

	return (cmocka_run_group_tests_name("smtp_addr", tests, NULL, NULL));
}
