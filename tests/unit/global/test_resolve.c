/*
 * NAME
 *	test_resolve - unit tests for recipient routing
 * DESCRIPTION
 *	A table of {settings, address, class, transport, nexthop} cases
 *	covering mydestination, interface address literals, relay_domains,
 *	relayhost, the *_transport parameters, transport_maps keys and
 *	value forms (inline tables), and lookup failures.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/params.h>
#include <global/resolve.h>

struct resolve_case {
	const char *name;
	const char *settings[6];	/* "name=value", NULL-terminated */
	const char *addr;
	int	class;			/* RESOLVE_CLASS_*, or -1: must fail */
	const char *transport;
	const char *nexthop;
};

#define MAPS1	"transport_maps=inline:{ a.org=smtp:[127.0.0.1]:2526, " \
		".b.org=fast:, { user@c.org = error:5.1.1 no such user }, " \
		"d.org=:[x.net], e.org=:, mail.example.com=lmtp:unix:/x }"

static const struct resolve_case cases[] = {
	{"own hostname is local", {0}, "u@mail.example.com",
	 RESOLVE_CLASS_LOCAL, "local", "mail.example.com"},
	{"localhost is local", {0}, "u@localhost", RESOLVE_CLASS_LOCAL,
	 "local", "localhost"},
	{"local domain case and trailing dot", {0}, "u@Mail.Example.COM.",
	 RESOLVE_CLASS_LOCAL, "local", "mail.example.com"},
	{"address without domain", {0}, "postmaster", RESOLVE_CLASS_LOCAL,
	 "local", "mail.example.com"},
	{"interface literal is local", {"inet_interfaces=127.0.0.1"},
	 "u@[127.0.0.1]", RESOLVE_CLASS_LOCAL, "local", "[127.0.0.1]"},
	{"ipv6 literal is local", {"inet_interfaces=loopback-only"},
	 "u@[IPv6:0::1]", RESOLVE_CLASS_LOCAL, "local", "[ipv6:0::1]"},
	{"other literal is remote", {"inet_interfaces=127.0.0.1"},
	 "u@[127.0.0.2]", RESOLVE_CLASS_DEFAULT, "smtp", "[127.0.0.2]"},
	{"subdomain of a local domain is remote", {0}, "u@x.mail.example.com",
	 RESOLVE_CLASS_DEFAULT, "smtp", "x.mail.example.com"},
	{"remote domain", {0}, "u@remote.org", RESOLVE_CLASS_DEFAULT,
	 "smtp", "remote.org"},
	{"relayhost", {"relayhost=[gw.example.net]:2525"}, "u@remote.org",
	 RESOLVE_CLASS_DEFAULT, "smtp", "[gw.example.net]:2525"},
	{"default_transport nexthop beats relayhost",
	 {"relayhost=gw.example.net", "default_transport=smtp:[10.1.1.1]"},
	 "u@remote.org", RESOLVE_CLASS_DEFAULT, "smtp", "[10.1.1.1]"},
	{"relay domain", {"relay_domains=relay.org"}, "u@relay.org",
	 RESOLVE_CLASS_RELAY, "relay", "relay.org"},
	{"relay subdomain", {"relay_domains=relay.org"}, "u@a.relay.org",
	 RESOLVE_CLASS_RELAY, "relay", "a.relay.org"},
	{"relay_transport nexthop",
	 {"relay_domains=relay.org", "relay_transport=relay:[10.0.0.1]"},
	 "u@relay.org", RESOLVE_CLASS_RELAY, "relay", "[10.0.0.1]"},
	{"relay domain uses relayhost",
	 {"relay_domains=relay.org", "relayhost=gw.example.net"},
	 "u@relay.org", RESOLVE_CLASS_RELAY, "relay", "gw.example.net"},
	{"mydestination negation and subdomain pattern",
	 {"mydestination=!no.example.com, .example.com"}, "u@no.example.com",
	 RESOLVE_CLASS_DEFAULT, "smtp", "no.example.com"},
	{"mydestination subdomain pattern", {"mydestination=.example.com"},
	 "u@yes.example.com", RESOLVE_CLASS_LOCAL, "local", "yes.example.com"},
	{"mydestination table", {"mydestination=inline:{ example.net=ok }"},
	 "u@example.net", RESOLVE_CLASS_LOCAL, "local", "example.net"},
	{"local_transport explicit nexthop", {"local_transport=lmtp:[10.2.2.2]"},
	 "u@localhost", RESOLVE_CLASS_LOCAL, "lmtp", "[10.2.2.2]"},
	{"map: domain to host and port", {MAPS1}, "u@a.org",
	 RESOLVE_CLASS_DEFAULT, "smtp", "[127.0.0.1]:2526"},
	{"map: key case folded", {MAPS1}, "U@A.ORG",
	 RESOLVE_CLASS_DEFAULT, "smtp", "[127.0.0.1]:2526"},
	{"map: .parent matches subdomain", {MAPS1}, "u@x.y.b.org",
	 RESOLVE_CLASS_DEFAULT, "fast", "x.y.b.org"},
	{"map: .parent does not match parent", {MAPS1}, "u@b.org",
	 RESOLVE_CLASS_DEFAULT, "smtp", "b.org"},
	{"map: user@domain error transport", {MAPS1}, "user@c.org",
	 RESOLVE_CLASS_DEFAULT, "error", "5.1.1 no such user"},
	{"map: other user of that domain", {MAPS1}, "other@c.org",
	 RESOLVE_CLASS_DEFAULT, "smtp", "c.org"},
	{"map: address extension stripped",
	 {MAPS1, "recipient_delimiter=+"}, "user+tag@c.org",
	 RESOLVE_CLASS_DEFAULT, "error", "5.1.1 no such user"},
	{"map: empty transport keeps transport", {MAPS1}, "u@d.org",
	 RESOLVE_CLASS_DEFAULT, "smtp", "[x.net]"},
	{"map: ':' changes nothing", {MAPS1, "relayhost=gw.example.net"},
	 "u@e.org", RESOLVE_CLASS_DEFAULT, "smtp", "gw.example.net"},
	{"map: transport only resets nexthop to domain",
	 {"transport_maps=inline:{ f.org=relay }", "relayhost=gw.example.net"},
	 "u@f.org", RESOLVE_CLASS_DEFAULT, "relay", "f.org"},
	{"map: local domain rerouted", {MAPS1}, "u@mail.example.com",
	 RESOLVE_CLASS_LOCAL, "lmtp", "unix:/x"},
	{"map: wildcard", {"transport_maps=inline:{ *=smtp:[hub] }"},
	 "u@anything.org", RESOLVE_CLASS_DEFAULT, "smtp", "[hub]"},
	{"map: exact beats wildcard",
	 {"transport_maps=inline:{ *=smtp:[hub], g.org=discard: }"},
	 "u@g.org", RESOLVE_CLASS_DEFAULT, "discard", "g.org"},
	{"map: unavailable table fails",
	 {"transport_maps=hash:/nonexistent/postern-test-table"},
	 "u@remote.org", -1, NULL, NULL},
	{"relay_domains: unreadable file fails",
	 {"relay_domains=/nonexistent/postern-relay-list"},
	 "u@remote.org", -1, NULL, NULL},
};

/* quiet - swallow warnings about unavailable tables */
static void
quiet(enum msg_level level, const char *text, void *ctx)
{
	(void) level;
	(void) text;
	(void) ctx;
}

/* setup_params - defaults plus one case's settings */
static void
setup_params(const char *const *settings)
{
	struct buf *why = buf_new(100);
	size_t	i;

	params_reset_defaults();
	assert_int_equal(params_override("myhostname=mail.example.com", why), 0);
	assert_int_equal(params_override("mydomain=example.com", why), 0);
	assert_int_equal(params_override("inet_interfaces=127.0.0.1", why), 0);
	for (i = 0; settings[i] != NULL; i++) {
		if (params_override(settings[i], why) != 0)
			fail_msg("%s: %s", settings[i], buf_str(why));
	}
	buf_free(why);
}

/* test_cases - run the table */
static void
test_cases(void **state)
{
	struct resolve_reply reply;
	struct resolve *rp;
	size_t	i;
	int	ret;

	(void) state;
	msg_set_capture(quiet, NULL);
	resolve_reply_init(&reply);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		setup_params(cases[i].settings);
		rp = resolve_create();
		ret = resolve_addr(rp, cases[i].addr, &reply);
		if (cases[i].class < 0) {
			if (ret != -1 || (reply.flags & RESOLVE_FLAG_FAIL) == 0
			    || buf_len(reply.why) == 0)
				fail_msg("%s: expected a lookup failure", cases[i].name);
		} else {
			if (ret != 0)
				fail_msg("%s: failed: %s", cases[i].name, buf_str(reply.why));
			if ((reply.flags & RESOLVE_CLASS_MASK) != cases[i].class)
				fail_msg("%s: class 0x%x", cases[i].name, reply.flags);
			if (strcmp(buf_str(reply.transport), cases[i].transport) != 0)
				fail_msg("%s: transport \"%s\"", cases[i].name,
					 buf_str(reply.transport));
			if (strcmp(buf_str(reply.nexthop), cases[i].nexthop) != 0)
				fail_msg("%s: nexthop \"%s\"", cases[i].name,
					 buf_str(reply.nexthop));
		}
		resolve_free(rp);
	}
	resolve_reply_free(&reply);
	msg_set_capture(NULL, NULL);
}

/* test_domain_checks - resolve_local_domain / resolve_relay_domain */
static void
test_domain_checks(void **state)
{
	const char *settings[] = {"relay_domains=relay.org, inline:{ t.net=1 }",
	NULL};
	struct resolve *rp;

	(void) state;
	setup_params(settings);
	rp = resolve_create();
	assert_int_equal(resolve_local_domain(rp, "MAIL.example.com"), 1);
	assert_int_equal(resolve_local_domain(rp, "relay.org"), 0);
	assert_int_equal(resolve_relay_domain(rp, "relay.org"), 1);
	assert_int_equal(resolve_relay_domain(rp, "deep.sub.relay.org"), 1);
	assert_int_equal(resolve_relay_domain(rp, "xrelay.org"), 0);
	assert_int_equal(resolve_relay_domain(rp, "a.t.net"), 1);
	assert_int_equal(resolve_relay_domain(rp, "t.network"), 0);
	assert_int_equal(resolve_local_domain(rp, "[not an address]"), 0);
	resolve_free(rp);
}

/* test_split - "transport:nexthop" */
static void
test_split(void **state)
{
	struct buf *t = buf_new(10), *n = buf_new(10);

	(void) state;
	resolve_split("smtp:[10.0.0.1]:25", t, n);
	assert_string_equal(buf_str(t), "smtp");
	assert_string_equal(buf_str(n), "[10.0.0.1]:25");
	resolve_split("relay", t, n);
	assert_string_equal(buf_str(t), "relay");
	assert_string_equal(buf_str(n), "");
	resolve_split(":", t, n);
	assert_string_equal(buf_str(t), "");
	assert_string_equal(buf_str(n), "");
	resolve_split("", t, n);
	assert_string_equal(buf_str(t), "");
	assert_string_equal(buf_str(n), "");
	buf_free(t);
	buf_free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_domain_checks),
		cmocka_unit_test(test_split),
	};

	return (cmocka_run_group_tests_name("resolve", tests, NULL, NULL));
}
