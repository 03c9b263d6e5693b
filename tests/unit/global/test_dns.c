/*
 * NAME
 *	test_dns - unit tests for the DNS module
 * DESCRIPTION
 *	Record data decoding (names, A, AAAA, MX: good and malformed),
 *	address literals, the lookup flags from inet_protocols,
 *	smtp_host_lookup and smtp_dns_support_level, native lookups of
 *	literals and /etc/hosts names, a resolver configuration that
 *	does not exist, and a lookup through a resolver whose server never
 *	answers usefully: a temporary failure within the time limit.
 *	(MX data from a real server: tests/integration/test_smtp.py.)
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <time.h>
#include <unistd.h>
#include <util/msg.h>
#include <global/dns.h>

/* setup - quiet logging */
static int
setup(void **state)
{
	(void) state;
	msg_to_stderr(MSG_STDERR_OFF);
	return (0);
}

/* test_parse_name - wire-format names */
static void
test_parse_name(void **state)
{
	static const struct {
		const char *data;
		size_t	len;
		const char *want;		/* NULL: must fail */
	} cases[] = {
		{"\x07" "example" "\x03" "com" "\x00", 13, "example.com"},
		{"\x00", 1, ""},
		{"\x02" "mx" "\x00", 4, "mx"},
		{"\x02" "mx", 3, NULL},				/* no root label */
		{"\x02" "mx" "\x00" "x", 5, NULL},		/* data after the end */
		{"\x09" "mx", 3, NULL},				/* label past the end */
		{"\xc0\x0c", 2, NULL},				/* compression pointer */
		{"\x03" "a.b" "\x00", 5, NULL},			/* dot in a label */
		{"\x03" "a b" "\x00", 5, NULL},			/* space in a label */
		{"", 0, NULL},
	};
	struct buf *name = buf_new(10);
	unsigned char big[300];
	size_t	i, pos = 0;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		int	ret = dns_parse_name((const unsigned char *) cases[i].data,
					     cases[i].len, name);

		if (cases[i].want == NULL) {
			if (ret != -1)
				fail_msg("case %zu accepted as \"%s\"", i, name->data);
		} else {
			assert_int_equal(ret, 0);
			assert_string_equal(name->data, cases[i].want);
		}
	}
	/* 64-byte label, and a name over 253 bytes */
	memset(big, 'a', sizeof(big));
	big[0] = 64;
	big[65] = 0;
	assert_int_equal(dns_parse_name(big, 66, name), -1);
	for (pos = 0; pos + 64 < sizeof(big); pos += 64)
		big[pos] = 63;
	big[pos] = 0;
	assert_int_equal(dns_parse_name(big, pos + 1, name), -1);
	buf_free(name);
}

/* test_parse_rr - A, AAAA, MX record data */
static void
test_parse_rr(void **state)
{
	struct dns_rr rr;
	static const unsigned char a[] = {192, 0, 2, 1};
	static const unsigned char aaaa[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const unsigned char mx[] = {0, 10, 2, 'm', 'x', 4, 't', 'e', 's', 't', 0};
	static const unsigned char nullmx[] = {0, 0, 0};

	(void) state;
	assert_int_equal(dns_parse_rr(DNS_TYPE_A, a, 4, &rr), 0);
	assert_string_equal(rr.addr.text, "192.0.2.1");
	assert_int_equal(rr.addr.family, AF_INET);
	assert_int_equal(dns_parse_rr(DNS_TYPE_A, a, 3, &rr), -1);
	assert_int_equal(dns_parse_rr(DNS_TYPE_AAAA, aaaa, 16, &rr), 0);
	assert_string_equal(rr.addr.text, "2001:db8::1");
	assert_int_equal(dns_parse_rr(DNS_TYPE_AAAA, aaaa, 4, &rr), -1);
	assert_int_equal(dns_parse_rr(DNS_TYPE_MX, mx, sizeof(mx), &rr), 0);
	assert_int_equal(rr.pref, 10);
	assert_string_equal(rr.name, "mx.test");
	free(rr.name);
	assert_int_equal(dns_parse_rr(DNS_TYPE_MX, nullmx, sizeof(nullmx), &rr), 0);
	assert_int_equal(rr.pref, 0);
	assert_string_equal(rr.name, "");
	free(rr.name);
	assert_int_equal(dns_parse_rr(DNS_TYPE_MX, mx, 2, &rr), -1);
	assert_int_equal(dns_parse_rr(DNS_TYPE_MX, mx, sizeof(mx) - 1, &rr), -1);
	assert_int_equal(dns_parse_rr(99, a, 4, &rr), -1);
	assert_string_equal(dns_type_name(DNS_TYPE_MX), "MX");
	assert_string_equal(dns_type_name(99), "unknown");
}

/* test_addr_parse - address literals */
static void
test_addr_parse(void **state)
{
	struct dns_addr addr;

	(void) state;
	assert_int_equal(dns_addr_parse("127.0.0.1", &addr), 0);
	assert_int_equal(addr.family, AF_INET);
	assert_int_equal(dns_addr_parse("::1", &addr), 0);
	assert_int_equal(addr.family, AF_INET6);
	assert_string_equal(addr.text, "::1");
	assert_int_equal(dns_addr_parse("[::1]", &addr), -1);
	assert_int_equal(dns_addr_parse("example.com", &addr), -1);
	assert_int_equal(dns_addr_parse("1.2.3", &addr), -1);
}

/* test_flags - parameters to lookup flags */
static void
test_flags(void **state)
{
	static const struct {
		const char *protocols, *lookup, *level;
		int	want;
	} cases[] = {
		{"all", "dns", "", DNS_LOOKUP_IPV4 | DNS_LOOKUP_IPV6 | DNS_LOOKUP_DNS | DNS_LOOKUP_MX},
		{"ipv4", "dns, native", "enabled",
		 DNS_LOOKUP_IPV4 | DNS_LOOKUP_DNS | DNS_LOOKUP_NATIVE | DNS_LOOKUP_MX},
		{"ipv4, ipv6", "native", "",
		 DNS_LOOKUP_IPV4 | DNS_LOOKUP_IPV6 | DNS_LOOKUP_NATIVE | DNS_LOOKUP_MX},
		{"IPv6", "dns", "disabled", DNS_LOOKUP_IPV6 | DNS_LOOKUP_NATIVE},
		{"ipv4", "dns", "dnssec",
		 DNS_LOOKUP_IPV4 | DNS_LOOKUP_DNS | DNS_LOOKUP_MX | DNS_LOOKUP_DNSSEC},
		{"", "dns", "", -1}, {"ipv5", "dns", "", -1}, {"all", "", "", -1},
		{"all", "nis", "", -1}, {"all", "dns", "maybe", -1},
	};
	struct buf *why = buf_new(10);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		buf_reset(why);
		assert_int_equal(dns_lookup_flags(cases[i].protocols, cases[i].lookup,
						  cases[i].level, why), cases[i].want);
		if (cases[i].want < 0)
			assert_true(why->len > 0);
	}
	buf_free(why);
}

/* test_native - literals and /etc/hosts without a resolver */
static void
test_native(void **state)
{
	struct dns_hostlist hosts;
	struct dsn dsn;
	int	status;

	(void) state;
	dsn_init(&dsn);
	assert_int_equal(dns_lookup_hosts(NULL, "127.0.0.1", DNS_LOOKUP_IPV4 | DNS_LOOKUP_NATIVE,
					  1000, &hosts, &dsn), DNS_OK);
	assert_int_equal(hosts.count, 1);
	assert_string_equal(hosts.host[0].addr[0].text, "127.0.0.1");
	dns_hostlist_free(&hosts);
	/* A literal needs neither MX lookup nor resolver even with DNS flags. */
	assert_int_equal(dns_lookup_hosts(NULL, "::1", DNS_LOOKUP_IPV6 | DNS_LOOKUP_DNS,
					  1000, &hosts, &dsn), DNS_OK);
	assert_string_equal(hosts.host[0].addr[0].text, "::1");
	dns_hostlist_free(&hosts);
	if (access("/etc/hosts", R_OK) == 0) {
		assert_int_equal(dns_lookup_hosts(NULL, "localhost", DNS_LOOKUP_IPV4
				   | DNS_LOOKUP_NATIVE, 1000, &hosts, &dsn), DNS_OK);
		assert_true(hosts.count == 1 && hosts.host[0].addr_count >= 1);
		dns_hostlist_free(&hosts);
	}
	status = dns_lookup_hosts(NULL, "no-such-host.invalid", DNS_LOOKUP_IPV4
				  | DNS_LOOKUP_NATIVE, 1000, &hosts, &dsn);
	assert_true(status == DNS_NOTFOUND || status == DNS_RETRY);
	assert_int_equal(hosts.count, 0);
	assert_non_null(strstr(dsn.reason, "Host or domain name not found. Name service "
			       "error for name=no-such-host.invalid type=A: Host not found"));
	assert_string_equal(dsn.status, status == DNS_NOTFOUND ? "5.4.4" : "4.4.3");
	dsn_free(&dsn);
}

/* test_resolver - bad configuration; a server that never answers */
static void
test_resolver(void **state)
{
	char	path[] = "/tmp/test_dnsXXXXXX";
	struct buf *why = buf_new(10);
	struct dns_hostlist hosts;
	struct dns_ctx *ctx;
	struct dsn dsn;
	time_t	start;
	FILE   *fp;
	int	fd;

	(void) state;
	assert_null(dns_ctx_create("/nonexistent/unbound.conf", why));
	assert_non_null(strstr(why->data, "/nonexistent/unbound.conf"));
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	/* Port 9 (discard) on loopback: refused or silent, never an answer. */
	fprintf(fp, "server:\n\tdo-not-query-localhost: no\n\tdo-ip6: no\n"
		"\tlocal-zone: \"test.\" nodefault\n"
		"forward-zone:\n\tname: \".\"\n\tforward-addr: 127.0.0.1@9\n");
	fclose(fp);
	buf_reset(why);
	ctx = dns_ctx_create(path, why);
	assert_non_null(ctx);
	assert_true(dns_ctx_fd(ctx) >= 0);
	dsn_init(&dsn);
	start = time(NULL);
	assert_int_equal(dns_lookup_hosts(ctx, "example.test", DNS_LOOKUP_MX | DNS_LOOKUP_IPV4
					  | DNS_LOOKUP_DNS, 1500, &hosts, &dsn), DNS_RETRY);
	assert_true(time(NULL) - start <= 5);
	assert_string_equal(dsn.status, "4.4.3");
	assert_non_null(strstr(dsn.reason, "name=example.test type=MX: Host not found, try again"));
	assert_int_equal(dns_ctx_pending(ctx), 0);
	/* Invalid names never reach the resolver. */
	assert_int_equal(dns_lookup_hosts(ctx, "bad..name", DNS_LOOKUP_MX | DNS_LOOKUP_IPV4
					  | DNS_LOOKUP_DNS, 1500, &hosts, &dsn), DNS_INVAL);
	assert_string_equal(dsn.status, "5.4.4");
	dsn_free(&dsn);
	dns_ctx_free(ctx);
	unlink(path);
	buf_free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_parse_name, setup),
		cmocka_unit_test_setup(test_parse_rr, setup),
		cmocka_unit_test_setup(test_addr_parse, setup),
		cmocka_unit_test_setup(test_flags, setup),
		cmocka_unit_test_setup(test_native, setup),
		cmocka_unit_test_setup(test_resolver, setup),
	};

	return (cmocka_run_group_tests_name("dns", tests, NULL, NULL));
}
