/*
 * NAME
 *	test_smtpd_check - unit tests for restrictions and address lists
 * DESCRIPTION
 *	Restriction evaluation with inline: tables standing in for access
 *	maps and recipient tables, mynetworks and domain list matching, and
 *	the size check. Each case sets parameters with params_override()
 *	on top of the defaults.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/params.h>
#include "smtpd/smtpd.h"

/* Case tables leave trailing fields out: they are zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define MAX_SETTINGS	6

struct rcpt_case {
	const char *name;
	const char *settings[MAX_SETTINGS];	/* name=value overrides */
	const char *client;		/* client address */
	const char *sender;		/* NULL: no MAIL yet */
	const char *rcpt;
	const char *reply;		/* NULL: accepted */
};

#define LOCAL_MAPS	"local_recipient_maps=inline:{user=1, postmaster=1}"
#define NO_LOCAL_MAPS	"local_recipient_maps="

static const struct rcpt_case rcpt_cases[] = {
	{"local user", {LOCAL_MAPS}, "192.0.2.1", "a@remote.example", "user@example.com"},
	{"local user case", {LOCAL_MAPS}, "192.0.2.1", "a@remote.example", "USER@Example.COM"},
	{"unknown local user", {LOCAL_MAPS}, "192.0.2.1", "a@remote.example",
		"nobody@example.com",
	"550 5.1.1 <nobody@example.com>: Recipient address rejected: "
	"User unknown in local recipient table"},
	{"local validation off", {NO_LOCAL_MAPS}, "192.0.2.1", "", "nobody@example.com"},
	{"validation disabled", {LOCAL_MAPS, "smtpd_reject_unlisted_recipient=no"},
	"192.0.2.1", "", "nobody@example.com"},
	{"extension", {LOCAL_MAPS, "recipient_delimiter=+"}, "192.0.2.1", "",
	"user+tag@example.com"},
	{"localhost", {LOCAL_MAPS}, "192.0.2.1", "", "postmaster@localhost"},
	{"unqualified", {LOCAL_MAPS, "myorigin=example.com"}, "192.0.2.1", "", "postmaster"},
	{"relay denied by default", {LOCAL_MAPS}, "192.0.2.1", "a@remote.example",
		"x@other.example", "454 4.7.1 <x@other.example>: Relay access denied"},
	{"relay denied with reject", {LOCAL_MAPS,
	"smtpd_relay_restrictions=permit_mynetworks, reject_unauth_destination"},
		"192.0.2.1", "", "x@other.example",
	"554 5.7.1 <x@other.example>: Relay access denied"},
	{"relay code", {"relay_domains_reject_code=550",
	"smtpd_relay_restrictions=reject_unauth_destination"},
	"192.0.2.1", "", "x@other.example", "550 5.7.1 <x@other.example>: Relay access denied"},
	{"soft bounce", {"soft_bounce=yes",
	"smtpd_relay_restrictions=reject_unauth_destination"},
	"192.0.2.1", "", "x@other.example", "454 4.7.1 <x@other.example>: Relay access denied"},
	{"mynetworks may relay", {LOCAL_MAPS}, "127.0.0.1", "a@b.example", "x@other.example"},
	{"mynetworks ipv6", {LOCAL_MAPS}, "::1", "a@b.example", "x@other.example"},
	{"mapped ipv4", {LOCAL_MAPS}, "::ffff:127.0.0.5", "a@b.example", "x@other.example"},
	{"relay domain", {"relay_domains=relay.example"}, "192.0.2.1", "", "x@relay.example"},
	{"relay subdomain", {"relay_domains=relay.example"}, "192.0.2.1", "", "x@a.relay.example"},
	{"relay percent hack", {"relay_domains=relay.example"}, "192.0.2.1", "",
		"x%other.example@relay.example",
	"454 4.7.1 <x%other.example@relay.example>: Relay access denied"},
	{"relay bang path", {"relay_domains=relay.example"}, "192.0.2.1", "",
	"other.example!x@relay.example",
	"454 4.7.1 <other.example!x@relay.example>: Relay access denied"},
	{"relay recipient known", {"relay_domains=relay.example",
	"relay_recipient_maps=inline:{ok@relay.example=1, @wild.example=1}"},
	"192.0.2.1", "", "ok@relay.example"},
	{"relay recipient unknown", {"relay_domains=relay.example",
	"relay_recipient_maps=inline:{ok@relay.example=1}"},
		"192.0.2.1", "", "no@relay.example",
		"550 5.1.1 <no@relay.example>: Recipient address rejected: "
	"User unknown in relay recipient table"},
	{"relay recipient wildcard", {"relay_domains=wild.example",
	"relay_recipient_maps=inline:{@wild.example=1}"}, "192.0.2.1", "", "any@wild.example"},
	{"virtual alias domain", {"virtual_alias_domains=virt.example",
	"virtual_alias_maps=inline:{a@virt.example=user}"}, "192.0.2.1", "", "a@virt.example"},
	{"virtual alias unknown", {"virtual_alias_domains=virt.example",
	"virtual_alias_maps=inline:{a@virt.example=user}"}, "192.0.2.1", "", "b@virt.example",
		"550 5.1.1 <b@virt.example>: Recipient address rejected: "
	"User unknown in virtual alias table"},
	{"recipient access reject", {NO_LOCAL_MAPS,
	"smtpd_recipient_restrictions=check_recipient_access inline:{bad@example.com=REJECT}"},
		"192.0.2.1", "", "bad@example.com",
	"554 5.7.1 <bad@example.com>: Recipient address rejected: Access denied"},
	{"recipient access text", {NO_LOCAL_MAPS,
	"smtpd_recipient_restrictions=check_recipient_access inline:{{bad@example.com=REJECT go away}}"},
		"192.0.2.1", "", "bad@example.com",
	"554 5.7.1 <bad@example.com>: Recipient address rejected: go away"},
	{"recipient access domain", {NO_LOCAL_MAPS,
	"smtpd_recipient_restrictions=check_recipient_access inline:{example.com=DEFER}"},
		"192.0.2.1", "", "u@example.com",
	"450 4.7.1 <u@example.com>: Recipient address rejected: Access denied"},
	{"recipient access parent", {"relay_domains=sub.relay.example",
	"smtpd_recipient_restrictions=check_recipient_access inline:{relay.example=REJECT}"},
		"192.0.2.1", "", "u@sub.relay.example",
	"554 5.7.1 <u@sub.relay.example>: Recipient address rejected: Access denied"},
	{"recipient access user@", {NO_LOCAL_MAPS,
	"smtpd_recipient_restrictions=check_recipient_access inline:{abuse@=REJECT}"},
		"192.0.2.1", "", "abuse@example.com",
	"554 5.7.1 <abuse@example.com>: Recipient address rejected: Access denied"},
	{"recipient access code", {NO_LOCAL_MAPS,
	"smtpd_recipient_restrictions=check_recipient_access inline:{{u@example.com=550 5.7.9 no}}"},
		"192.0.2.1", "", "u@example.com",
	"550 5.7.9 <u@example.com>: Recipient address rejected: no"},
	{"recipient access wrong class dsn", {NO_LOCAL_MAPS,
	"smtpd_recipient_restrictions=check_recipient_access inline:{{u@example.com=450 5.7.9 x}}"},
		"192.0.2.1", "", "u@example.com",
	"450 4.7.1 <u@example.com>: Recipient address rejected: 5.7.9 x"},
	{"recipient access ok skips list", {LOCAL_MAPS,
	"smtpd_recipient_restrictions=check_recipient_access inline:{user@example.com=OK}, reject"},
	"192.0.2.1", "", "user@example.com"},
	{"recipient access dunno", {LOCAL_MAPS,
	"smtpd_recipient_restrictions=check_recipient_access inline:{user@example.com=DUNNO}, reject"},
		"192.0.2.1", "", "user@example.com",
	"554 5.7.1 <user@example.com>: Recipient address rejected: Access denied"},
	{"access value is a restriction list", {LOCAL_MAPS,
	"smtpd_recipient_restrictions=check_recipient_access inline:{{user@example.com=permit_mynetworks reject}}"},
		"192.0.2.1", "", "user@example.com",
	"554 5.7.1 <user@example.com>: Recipient address rejected: Access denied"},
	{"access value unknown", {LOCAL_MAPS,
	"smtpd_recipient_restrictions=check_recipient_access inline:{user@example.com=HOLD}"},
	"192.0.2.1", "", "user@example.com", "451 4.3.5 Server configuration error"},
	{"unknown restriction", {LOCAL_MAPS, "smtpd_recipient_restrictions=reject_bogus"},
	"192.0.2.1", "", "user@example.com", "451 4.3.5 Server configuration error"},
	{"sender access null", {LOCAL_MAPS,
	"smtpd_sender_restrictions=check_sender_access inline:{{<>=REJECT no bounces}}"},
		"192.0.2.1", "", "user@example.com",
	"554 5.7.1 <>: Sender address rejected: no bounces"},
	{"sender access domain", {LOCAL_MAPS,
	"smtpd_sender_restrictions=check_sender_access inline:{spam.example=REJECT}"},
		"192.0.2.1", "x@mail.spam.example", "user@example.com",
	"554 5.7.1 <x@mail.spam.example>: Sender address rejected: Access denied"},
	{"client access network", {LOCAL_MAPS,
	"smtpd_client_restrictions=check_client_access inline:{192.0.2=REJECT}"},
		"192.0.2.1", "", "user@example.com",
	"554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: Access denied"},
	{"client access other", {LOCAL_MAPS,
	"smtpd_client_restrictions=check_client_access inline:{192.0.2=REJECT}"},
	"198.51.100.1", "", "user@example.com"},
	{"client reject list", {LOCAL_MAPS, "smtpd_client_restrictions=permit_mynetworks, reject"},
		"198.51.100.1", "", "user@example.com",
	"554 5.7.1 <unknown[198.51.100.1]>: Client host rejected: Access denied"},
	{"helo access", {LOCAL_MAPS,
	"smtpd_helo_restrictions=check_helo_access inline:{bad.example=REJECT}"},
		"192.0.2.1", "", "user@example.com",
	"554 5.7.1 <host.bad.example>: Helo command rejected: Access denied"},
	{"non fqdn recipient", {NO_LOCAL_MAPS,
	"smtpd_recipient_restrictions=reject_non_fqdn_recipient"}, "192.0.2.1", "", "user@localhost",
	"504 5.5.2 <user@localhost>: Recipient address rejected: need fully-qualified address"},
	{"non fqdn sender", {NO_LOCAL_MAPS,
	"smtpd_sender_restrictions=reject_non_fqdn_sender"}, "192.0.2.1", "joe", "user@example.com",
	"504 5.5.2 <joe>: Sender address rejected: need fully-qualified address"},
	{"defer list", {LOCAL_MAPS, "smtpd_recipient_restrictions=defer"}, "192.0.2.1", "",
	"user@example.com",
	"450 4.7.1 <user@example.com>: Recipient address rejected: Access denied"},
	{"permit in relay does not skip recipient list", {LOCAL_MAPS,
	"smtpd_relay_restrictions=permit", "smtpd_recipient_restrictions=reject_unauth_destination"},
	"192.0.2.1", "", "x@other.example", "554 5.7.1 <x@other.example>: Relay access denied"},
	{"literal of our address", {LOCAL_MAPS,
	"local_recipient_maps=inline:{user=1}", "inet_interfaces=192.0.2.77"},
	"192.0.2.1", "", "user@[192.0.2.77]"},
	{"literal not ours", {LOCAL_MAPS, "inet_interfaces=192.0.2.77"},
		"192.0.2.1", "", "user@[192.0.2.78]",
	"454 4.7.1 <user@[192.0.2.78]>: Relay access denied"},
	{"failing table defers", {"local_recipient_maps=hash:/nonexistent/table"},
		"192.0.2.1", "", "user@example.com",
	"451 4.3.0 <user@example.com>: Temporary lookup failure"},
};

/* apply_settings - defaults plus the case's overrides */
static void
apply_settings(const char *const *settings)
{
	struct buf *why = buf_new(64);
	size_t	i;

	params_reset_defaults();
	assert_int_equal(params_override("myhostname=mail.example.com", why), 0);
	assert_int_equal(params_override("mydestination=example.com, localhost", why), 0);
	assert_int_equal(params_override("mynetworks=127.0.0.0/8 [::1]/128", why), 0);
	for (i = 0; i < MAX_SETTINGS && settings[i]; i++)
		if (params_override(settings[i], why) != 0)
			fail_msg("override %s: %s", settings[i], buf_str(why));
	buf_free(why);
}

/* run_rcpt_case - one RCPT evaluation */
static void
run_rcpt_case(const struct rcpt_case *c)
{
	struct buf *why = buf_new(64);
	struct buf *reply = buf_new(64);
	struct buf *namaddr = buf_new(64);
	struct smtpd_check *chk;
	struct smtpd_check_ctx ctx = {0};
	int	status;

	apply_settings(c->settings);
	if ((chk = smtpd_check_new(why)) == NULL)
		fail_msg("%s: smtpd_check_new: %s", c->name, buf_str(why));
	buf_printf(namaddr, "unknown[%s]", c->client);
	ctx.client_name = "unknown";
	ctx.client_addr = c->client;
	ctx.namaddr = buf_str(namaddr);
	ctx.helo = "host.bad.example";
	ctx.sender = c->sender;
	status = smtpd_check_rcpt(chk, &ctx, c->rcpt, reply);
	if (c->reply == NULL && status != SMTPD_CHECK_OK)
		fail_msg("%s: rejected: %s", c->name, buf_str(reply));
	if (c->reply != NULL && (status != SMTPD_CHECK_REJECT
				 || strcmp(buf_str(reply), c->reply) != 0))
		fail_msg("%s: got %d \"%s\", want \"%s\"", c->name, status,
			 buf_str(reply), c->reply);
	smtpd_check_free(chk);
	buf_free(why);
	buf_free(reply);
	buf_free(namaddr);
}

/* test_rcpt - the RCPT case table */
static void
test_rcpt(void **state)
{
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(rcpt_cases); i++)
		run_rcpt_case(rcpt_cases + i);
}

/* test_open_relay_refused - a configuration that relays for everyone */
static void
test_open_relay_refused(void **state)
{
	static const char *const settings[] = {
		"smtpd_relay_restrictions=permit_mynetworks",
		"smtpd_recipient_restrictions=permit", NULL,
	};
	struct buf *why = buf_new(64);

	(void) state;
	apply_settings(settings);
	assert_null(smtpd_check_new(why));
	assert_non_null(strstr(buf_str(why), "reject_unauth_destination"));
	buf_free(why);
}

/* test_bad_list - unbalanced braces */
static void
test_bad_list(void **state)
{
	static const char *const settings[] = {
		"smtpd_recipient_restrictions=check_recipient_access inline:{a=b",
		NULL,
	};
	struct buf *why = buf_new(64);

	(void) state;
	apply_settings(settings);
	assert_null(smtpd_check_new(why));
	assert_non_null(strstr(buf_str(why), "unbalanced"));
	buf_free(why);
}

/* test_net - address lists */
static void
test_net(void **state)
{
	struct buf *why = buf_new(64);
	struct smtpd_net *net;
	char	path[] = "/tmp/test_smtpd_netXXXXXX";
	char	list[200];
	FILE   *fp;
	int	fd;

	(void) state;
	net = smtpd_net_new("t", "10.0.0.0/8, !192.0.2.1, 192.0.2.0/24, [2001:db8::]/32, "
			    "fe80::1", why);
	assert_non_null(net);
	assert_int_equal(smtpd_net_match(net, "10.1.2.3"), 1);
	assert_int_equal(smtpd_net_match(net, "11.1.2.3"), 0);
	assert_int_equal(smtpd_net_match(net, "192.0.2.1"), 0);
	assert_int_equal(smtpd_net_match(net, "192.0.2.2"), 1);
	assert_int_equal(smtpd_net_match(net, "2001:db8::5"), 1);
	assert_int_equal(smtpd_net_match(net, "2001:db9::5"), 0);
	assert_int_equal(smtpd_net_match(net, "fe80::1"), 1);
	assert_int_equal(smtpd_net_match(net, "::ffff:10.0.0.1"), 1);
	assert_int_equal(smtpd_net_match(net, "not-an-address"), 0);
	smtpd_net_free(net);

	assert_null(smtpd_net_new("mynetworks", "1.2.3.4/24", why));
	assert_string_equal(buf_str(why), "mynetworks: non-null host address bits in "
			    "\"1.2.3.4/24\", perhaps you should use \"1.2.3.0/24\" instead");
	buf_reset(why);
	assert_null(smtpd_net_new("t", "1.2.3.0/33", why));
	assert_non_null(strstr(buf_str(why), "bad net/mask"));
	buf_reset(why);
	assert_null(smtpd_net_new("t", "[::1/128", why));
	buf_reset(why);
	assert_null(smtpd_net_new("t", "300.1.1.1", why));
	assert_non_null(strstr(buf_str(why), "bad address pattern"));

	/* A file of patterns, and a cidr table. */
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	fprintf(fp, "# comment\n198.51.100.0/24\n");
	fclose(fp);
	net = smtpd_net_new("t", path, why);
	assert_non_null(net);
	assert_int_equal(smtpd_net_match(net, "198.51.100.9"), 1);
	assert_int_equal(smtpd_net_match(net, "198.51.101.9"), 0);
	smtpd_net_free(net);
	snprintf(list, sizeof(list), "cidr:%s", path);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "203.0.113.0/24 ok\n");
	fclose(fp);
	net = smtpd_net_new("t", list, why);
	assert_non_null(net);
	assert_int_equal(smtpd_net_match(net, "203.0.113.7"), 1);
	assert_int_equal(smtpd_net_match(net, "203.0.114.7"), 0);
	smtpd_net_free(net);
	unlink(path);
	assert_null(smtpd_net_new("t", path, why));
	buf_free(why);
}

/* test_domain - domain lists */
static void
test_domain(void **state)
{
	struct buf *why = buf_new(64);
	struct smtpd_domain *list;

	(void) state;
	list = smtpd_domain_new("t", "example.com, .sub.example, !no.example.org, "
				"example.org, inline:{table.example=1}", 0, why);
	assert_non_null(list);
	assert_int_equal(smtpd_domain_match(list, "Example.COM."), 1);
	assert_int_equal(smtpd_domain_match(list, "a.example.com"), 0);
	assert_int_equal(smtpd_domain_match(list, "a.sub.example"), 1);
	assert_int_equal(smtpd_domain_match(list, "sub.example"), 0);
	assert_int_equal(smtpd_domain_match(list, "no.example.org"), 0);
	assert_int_equal(smtpd_domain_match(list, "example.org"), 1);
	assert_int_equal(smtpd_domain_match(list, "table.example"), 1);
	assert_int_equal(smtpd_domain_match(list, "x.table.example"), 0);
	smtpd_domain_free(list);
	list = smtpd_domain_new("t", "example.com inline:{table.example=1}",
				SMTPD_DOMAIN_PARENT, why);
	assert_int_equal(smtpd_domain_match(list, "a.example.com"), 1);
	assert_int_equal(smtpd_domain_match(list, "aexample.com"), 0);
	assert_int_equal(smtpd_domain_match(list, "x.table.example"), 1);
	smtpd_domain_free(list);
	list = smtpd_domain_new("t", "hash:/nonexistent/x", 0, why);
	assert_int_equal(smtpd_domain_match(list, "a.example"), -1);
	smtpd_domain_free(list);
	assert_null(smtpd_domain_new("t", "a, !", 0, why));
	buf_free(why);
}

/* test_size - SIZE= limits */
static void
test_size(void **state)
{
	static const char *const settings[] = {"message_size_limit=1000", NULL};
	static const char *const minfree[] = {"queue_minfree=9000000000000000000", NULL};
	struct buf *reply = buf_new(64);

	(void) state;
	apply_settings(settings);
	assert_int_equal(smtpd_check_size(1000, reply), 0);
	assert_int_equal(smtpd_check_size(-1, reply), 0);
	assert_int_equal(smtpd_check_size(1001, reply), -1);
	assert_string_equal(buf_str(reply), "552 5.3.4 Message size exceeds fixed limit");
	assert_int_equal(smtpd_check_size(SMTPD_SIZE_OVERFLOW, reply), -1);
	apply_settings(minfree);
	assert_int_equal(smtpd_check_size(10, reply), -1);
	assert_string_equal(buf_str(reply), "452 4.3.1 Insufficient system storage");
	buf_free(reply);
}

/* quiet - keep expected warnings off the test output */
static int
quiet(void **state)
{
	(void) state;
	msg_to_stderr(MSG_STDERR_OFF);
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rcpt),
		cmocka_unit_test(test_open_relay_refused),
		cmocka_unit_test(test_bad_list),
		cmocka_unit_test(test_net),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_size),
	};

	return (cmocka_run_group_tests_name("smtpd_check", tests, quiet, NULL));
}
