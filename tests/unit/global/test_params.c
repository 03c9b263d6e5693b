/*
 * NAME
 *	test_params - unit tests for the parameter table and main.cf
 * DESCRIPTION
 *	Defaults, main.cf syntax, every expansion form, loops, time units
 *	and limits, typed values, overrides, per-service lookups, the
 *	unknown-name check with suggestions and aliases, and the value
 *	parsers, each with bad input.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>
#include <sys/stat.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/params.h>
#include <global/cmd_init.h>

static char test_dir[] = "/tmp/test_params.XXXXXX";
static struct buf *why;
static char last_warning[1000];
static char last_fatal[1000];
static jmp_buf fatal_jmp;

/* capture - remember the last warning and fatal error */
static void
capture(enum msg_level level, const char *text, void *ctx)
{
	(void) ctx;
	if (level == MSG_WARN)
		snprintf(last_warning, sizeof(last_warning), "%s", text);
	if (level == MSG_FATAL)
		snprintf(last_fatal, sizeof(last_fatal), "%s", text);
}

/* exit_hook - turn msg_fatal() into a longjmp */
static void
exit_hook(int status)
{
	(void) status;
	longjmp(fatal_jmp, 1);
}

/* write_main - replace main.cf in the test directory */
static void
write_main(const char *text)
{
	char	path[256];
	FILE   *fp;

	snprintf(path, sizeof(path), "%s/main.cf", test_dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* load - write main.cf and load it; returns params_load() */
static int
load(const char *text)
{
	write_main(text);
	buf_reset(why);
	return (params_load(test_dir, why));
}

/* load_ok - load and require success */
static void
load_ok(const char *text)
{
	int	ret = load(text);

	if (ret != 0)
		fail_msg("load failed: %s", buf_str(why));
}

/* load_fails - load and require an error containing every string */
static void
load_fails(const char *text, const char *want1, const char *want2)
{
	assert_int_equal(load(text), -1);
	if (strstr(buf_str(why), want1) == NULL
	    || (want2 && strstr(buf_str(why), want2) == NULL))
		fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", buf_str(why), want1,
			 want2 ? want2 : "");
}

/* setup - temporary directory, default parameters */
static int
setup(void **state)
{
	(void) state;
	if (mkdtemp(test_dir) == NULL)
		return (-1);
	why = buf_new(100);
	msg_to_stderr(MSG_STDERR_OFF);
	msg_set_capture(capture, NULL);
	params_reset_defaults();
	return (0);
}

/* teardown - remove the directory */
static int
teardown(void **state)
{
	char	path[256];

	(void) state;
	snprintf(path, sizeof(path), "%s/main.cf", test_dir);
	unlink(path);
	rmdir(test_dir);
	buf_free(why);
	msg_set_capture(NULL, NULL);
	return (0);
}

/* test_defaults - Postfix 3.7 defaults and Postern's own */
static void
test_defaults(void **state)
{
	(void) state;
	params_reset_defaults();
	assert_int_equal(var_queue_run_delay, 300);
	assert_int_equal(var_minimal_backoff_time, 300);
	assert_int_equal(var_maximal_backoff_time, 4000);
	assert_int_equal(var_maximal_queue_lifetime, 5 * 86400);
	assert_int_equal(var_bounce_queue_lifetime, 5 * 86400);
	assert_int_equal(var_delay_warning_time, 0);
	assert_int_equal(var_in_flow_delay, 1);
	assert_int_equal(var_qmgr_message_active_limit, 20000);
	assert_int_equal(var_initial_destination_concurrency, 5);
	assert_int_equal(var_default_destination_concurrency_limit, 20);
	assert_int_equal(var_smtp_destination_concurrency_limit, 20);
	assert_int_equal(var_default_destination_recipient_limit, 50);
	assert_int_equal(var_message_size_limit, 10240000);
	assert_int_equal(var_header_size_limit, 102400);
	assert_int_equal(var_smtp_line_length_limit, 998);
	assert_int_equal(var_smtpd_timeout, 300);
	assert_int_equal(var_smtpd_hard_error_limit, 20);
	assert_int_equal(var_soft_bounce, 0);
	assert_int_equal(var_enable_long_queue_ids, 1);
	assert_int_equal(var_qmgr_priority_reserve, 20);
	assert_int_equal(var_backoff_jitter, 10);
	assert_int_equal(var_qmgr_deferred_import_limit, 5000);
	assert_int_equal(var_smtp_throttle_backoff, 60);
	assert_int_equal(var_smtp_latency_throttle_factor, 3);
	assert_string_equal(var_default_delivery_priority, "normal");
	assert_string_equal(var_qmgr_priority_weights, "high:8, normal:4, bulk:1");
	assert_string_equal(var_syslog_name, "postern");
	assert_string_equal(var_mail_name, "Postern");
	assert_string_equal(var_hash_queue_names, "deferred, defer");
	assert_string_equal(var_smtpd_relay_restrictions,
		 "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination");
	assert_string_equal(var_local_recipient_maps, "unix:passwd.byname hash:/etc/aliases");
	assert_string_equal(var_myorigin, var_myhostname);
	assert_non_null(strchr(var_myhostname, '.'));
	assert_string_equal(var_mydomain, strchr(var_myhostname, '.') + 1);
	assert_string_equal(var_smtpd_forbid_bare_newline_exclusions, var_mynetworks);
	assert_string_equal(var_2bounce_notice_recipient, "postmaster");
	assert_string_equal(var_config_directory, DEF_CONFIG_DIR);
	assert_string_equal(params_lookup_default("smtpd_banner"), "$myhostname ESMTP $mail_name");
	assert_null(params_lookup_default("no_such_parameter"));
}

/* test_missing_file - no main.cf is the same as an empty one */
static void
test_missing_file(void **state)
{
	char	path[256];

	(void) state;
	snprintf(path, sizeof(path), "%s/main.cf", test_dir);
	unlink(path);
	assert_int_equal(params_load(test_dir, why), 0);
	assert_int_equal(var_queue_run_delay, 300);
	assert_string_equal(var_config_directory, test_dir);
	assert_int_equal(params_file_count(), 0);
}

/* test_syntax - comments, continuation lines, file order */
static void
test_syntax(void **state)
{
	const struct params_entry *ep;

	(void) state;
	load_ok("# comment\n"
		"\n"
		"myhostname=mail.example.com\n"
		"smtpd_recipient_restrictions = permit_mynetworks,\n"
		"    # comment inside\n"
		"\treject_unauth_destination   \n"
		"  # indented comment\n"
		"relayhost = [relay.example.com]:587 # not a comment\n");
	assert_string_equal(var_myhostname, "mail.example.com");
	assert_string_equal(var_smtpd_recipient_restrictions,
			    "permit_mynetworks, reject_unauth_destination");
	assert_string_equal(var_relayhost, "[relay.example.com]:587 # not a comment");
	assert_int_equal(params_file_count(), 3);
	ep = params_file_at(1);
	assert_string_equal(ep->name, "smtpd_recipient_restrictions");
	assert_int_equal(ep->line, 4);
	assert_null(params_file_at(3));
	assert_true(params_is_set("relayhost"));
	assert_false(params_is_set("mydomain"));
}

/* test_syntax_errors - bad lines name file and line */
static void
test_syntax_errors(void **state)
{
	char	want[300];

	(void) state;
	snprintf(want, sizeof(want), "%s/main.cf, line 3:", test_dir);
	load_fails("a = 1\n# x\nno equals sign here\n", want, "missing '='");
	snprintf(want, sizeof(want), "%s/main.cf, line 1:", test_dir);
	load_fails("   indented = 1\n", want, "continuation line");
	snprintf(want, sizeof(want), "%s/main.cf, line 2:", test_dir);
	load_fails("a = 1\nbad name = 2\n", want, "bad parameter name");
	load_fails("a = 1\n= 2\n", want, "bad parameter name");
	load_fails("a = 1\nx$y = 2\n", want, "bad parameter name");
}

/* Expansion cases: main.cf text, parameter, expected value. */
static const struct {
	const char *main_cf;
	const char *name;
	const char *want;
} expand_cases[] = {
	{"a = x\nb = $a.y\n", "b", "x.y"},
	{"a = x\nb = ${a}y\n", "b", "xy"},
	{"a = x\nb = $(a)y\n", "b", "xy"},
	{"a = x\nb = <${a?set}>\n", "b", "<set>"},
	{"b = <${a?set}>\n", "b", "<>"},
	{"a =\nb = <${a?set}>\n", "b", "<>"},
	{"a = x\nb = <${a:unset}>\n", "b", "<>"},
	{"b = <${a:unset}>\n", "b", "<unset>"},
	{"a = x\nb = ${a?{one two}:{three}}\n", "b", "one two"},
	{"b = ${a?{one two}:{three}}\n", "b", "three"},
	{"a = x\nb = ${a?{$a$a}}\n", "b", "xx"},
	{"b = ${a:{ spaced }}\n", "b", " spaced "},
	{"a = x\nc = y\nb = ${a?${c}}\n", "b", "y"},
	{"a = x\nb = ${a?$(c:d)}\n", "b", "d"},
	{"b = cost $$5 and $ sign\n", "b", "cost $5 and $ sign"},
	{"b = $undefined.end\n", "b", ".end"},
	{"b = ends with $\n", "b", "ends with $"},
	{"myhostname = mx.example.org\nb = $mydomain\n", "b", "example.org"},
	{"myhostname = box\nb = $mydomain\n", "b", "localdomain"},
	{"mydomain = ex.net\nb = $mydomain\n", "myorigin", NULL},
	/* mydomain's computed default loops back through $mydomain: the
	 * value depends on the host name; what counts is no leak, no crash. */
	{"myhostname = host.$mydomain\nb = $mydomain\n", "b", NULL},
	{"myhostname = $mydomain\nb = $myhostname\n", "b", NULL},
	{"stress = yes\n", "smtpd_timeout", "10s"},
	{"multi_instance_name = postern-out\n", "syslog_name", "postern-out"},
	{"mynetworks = 10.0.0.0/8\n", "smtpd_client_event_limit_exceptions", "10.0.0.0/8"},
	{"mailbox_command = /bin/deliver $recipient\n", "mailbox_command",
	 "/bin/deliver $recipient"},
};

/* test_expand - every expansion form */
static void
test_expand(void **state)
{
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(expand_cases); i++) {
		load_ok(expand_cases[i].main_cf);
		if (expand_cases[i].want == NULL)
			continue;
		if (params_get(expand_cases[i].name) == NULL
		    || strcmp(params_get(expand_cases[i].name), expand_cases[i].want) != 0)
			fail_msg("case %zu: %s = \"%s\", want \"%s\"", i,
				 expand_cases[i].name,
				 params_get(expand_cases[i].name) ?
				 params_get(expand_cases[i].name) : "(null)",
				 expand_cases[i].want);
	}
	load_ok("myhostname = mail.example.com\n");
	assert_string_equal(var_myorigin, "mail.example.com");
	assert_string_equal(var_mydestination,
		 "mail.example.com, localhost.example.com, localhost");
	assert_string_equal(params_get_raw("myorigin"), "$myhostname");
	assert_int_equal(var_smtpd_timeout, 300);
	load_ok("mynetworks_style = subnet\n");
	assert_non_null(strstr(var_mynetworks, "127.0.0.0/8"));
	load_ok("mynetworks_style = host\n");
	assert_non_null(strstr(var_mynetworks, "127.0.0.1/32"));
	load_ok("mynetworks_style = class\n");
	assert_non_null(strstr(var_mynetworks, "127.0.0.0/8"));
	load_ok("stress = yes\n");
	assert_int_equal(var_smtpd_timeout, 10);
	assert_int_equal(var_smtpd_hard_error_limit, 1);
}

/* test_expand_text - expansion of arbitrary text */
static void
test_expand_text(void **state)
{
	struct buf *out = buf_new(10);

	(void) state;
	load_ok("myhostname = h.example\n");
	assert_int_equal(params_expand_text("x $myhostname ${mail_name}", out, why), 0);
	assert_string_equal(buf_str(out), "x h.example Postern");
	assert_int_equal(params_expand_text("${myhostname", out, why), -1);
	assert_non_null(strstr(buf_str(why), "unbalanced"));
	assert_int_equal(params_expand_text("${}", out, why), -1);
	assert_non_null(strstr(buf_str(why), "bad or missing parameter name"));
	buf_free(out);
}

/* test_expand_errors - loops and bad syntax name the parameter */
static void
test_expand_errors(void **state)
{
	char	want[300];

	(void) state;
	snprintf(want, sizeof(want), "%s/main.cf, line 1: parameter a:", test_dir);
	load_fails("a = $b\nb = $a\n", want, "expansion loop: $a -> $b -> $a");
	load_fails("a = x $a\n", want, "expansion loop: $a -> $a");
	/* After a failed load, string parameters are still safe to read. */
	assert_non_null(var_myhostname);
	assert_true(strlen(var_myhostname) < 1000);
	assert_string_equal(var_mail_name, "Postern");
	snprintf(want, sizeof(want), "%s/main.cf, line 1: parameter myorigin:", test_dir);
	load_fails("myorigin = $foo\nfoo = ${myorigin}\n", want,
		   "expansion loop: $myorigin -> $foo -> $myorigin");
	snprintf(want, sizeof(want), "%s/main.cf, line 1: parameter a:", test_dir);
	load_fails("a = ${b\n", want, "unbalanced bracket");
	load_fails("a = ${b!x}\n", want, "bad character after parameter name");
	load_fails("a = ${b?{x}:y}\n", want, "bad conditional expression");
	load_fails("a = ${b:{x}:{y}}\n", want, "bad conditional expression");
	load_fails("a = ${{$b} == {c}?d}\n", want, "bad or missing parameter name");
}

/* Time cases: main.cf line, variable, expected seconds. */
static const struct {
	const char *main_cf;
	long   *var;
	long	want;
} time_cases[] = {
	{"queue_run_delay = 10\n", &var_queue_run_delay, 10},
	{"queue_run_delay = 10s\n", &var_queue_run_delay, 10},
	{"queue_run_delay = 5m\n", &var_queue_run_delay, 300},
	{"queue_run_delay = 2h\n", &var_queue_run_delay, 7200},
	{"queue_run_delay = 1d\n", &var_queue_run_delay, 86400},
	{"queue_run_delay = 1w\n", &var_queue_run_delay, 604800},
	{"maximal_queue_lifetime = 3\n", &var_maximal_queue_lifetime, 3 * 86400},
	{"bounce_queue_lifetime = 0\n", &var_bounce_queue_lifetime, 0},
	{"delay_warning_time = 4\n", &var_delay_warning_time, 4 * 3600},
	{"minimum_backoff_time = 600\n", &var_minimal_backoff_time, 600},
	{"maximum_backoff_time = 2h\n", &var_maximal_backoff_time, 7200},
	{"x = 7\nmaximal_backoff_time = ${x}m\n", &var_maximal_backoff_time, 420},
};

/* test_time - units, default units, aliases */
static void
test_time(void **state)
{
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(time_cases); i++) {
		load_ok(time_cases[i].main_cf);
		if (*time_cases[i].var != time_cases[i].want)
			fail_msg("case %zu: got %ld want %ld", i, *time_cases[i].var,
				 time_cases[i].want);
	}
	load_ok("minimum_backoff_time = 10m\n");
	assert_string_equal(params_get("minimal_backoff_time"), "10m");
	assert_string_equal(params_get("minimum_backoff_time"), "10m");
	assert_true(params_is_set("minimal_backoff_time"));
}

/* test_typed_errors - bad values and limits name file, line, parameter */
static void
test_typed_errors(void **state)
{
	char	want[300];

	(void) state;
	snprintf(want, sizeof(want), "%s/main.cf, line 2: parameter queue_run_delay:",
		 test_dir);
	load_fails("# x\nqueue_run_delay = 10x\n", want, "bad time value \"10x\"");
	load_fails("# x\nqueue_run_delay = 1h30m\n", want, "bad time value");
	load_fails("# x\nqueue_run_delay = -5\n", want, "bad time value");
	load_fails("# x\nqueue_run_delay =\n", want, "bad time value \"\"");
	load_fails("# x\nqueue_run_delay = 0\n", want, "below the minimum 1");
	load_fails("# x\nqueue_run_delay = 99999999999999999999\n", want, "bad time value");
	load_fails("maximal_queue_lifetime = 101d\n", "parameter maximal_queue_lifetime",
		   "above the maximum 8640000");
	load_fails("message_size_limit = 10M\n", "parameter message_size_limit",
		   "bad size value");
	load_fails("soft_bounce = maybe\n", "parameter soft_bounce", "bad boolean value");
	load_fails("default_process_limit = lots\n", "parameter default_process_limit",
		   "bad numerical value");
	load_fails("default_process_limit = 0\n", "parameter default_process_limit",
		   "below the minimum 1");
	load_fails("qmgr_priority_reserve = 120%\n", "parameter qmgr_priority_reserve",
		   "bad percentage");
	load_fails("default_delivery_priority = urgent\n",
		   "parameter default_delivery_priority", "use one of: high normal bulk");
	load_fails("qmgr_priority_weights = high:8, low:2\n",
		   "parameter qmgr_priority_weights", "unknown priority class");
	load_fails("qmgr_priority_weights = high:x\n",
		   "parameter qmgr_priority_weights", "bad weight");
	load_fails("mynetworks_style = wide\n", "parameter mynetworks_style", "bad value");
	load_fails("default_destination_concurrency_limit = x\n",
		   "parameter default_destination_concurrency_limit", "bad numerical");
	snprintf(want, sizeof(want), "%s/main.cf, line 1: parameter relay_minimal_backoff_time:",
		 test_dir);
	load_fails("relay_minimal_backoff_time = soon\n", want, "bad time value");
	load_fails("bulk_delivery_priority = low\n", "parameter bulk_delivery_priority",
		   "use one of");
	load_fails("x_destination_message_rate_limit = fast\n",
		   "parameter x_destination_message_rate_limit", "bad rate");
	load_fails("x_destination_concurrency_limit = 2.5\n",
		   "parameter x_destination_concurrency_limit", "bad numerical");
	load_ok("qmgr_priority_reserve = 35\nbackoff_jitter = 0%\nsoft_bounce = YES\n");
	assert_int_equal(var_qmgr_priority_reserve, 35);
	assert_int_equal(var_backoff_jitter, 0);
	assert_int_equal(var_soft_bounce, 1);
}

/* test_override - -o name=value re-expands dependants */
static void
test_override(void **state)
{
	(void) state;
	load_ok("myhostname = a.example\nqueue_run_delay = 5m\n");
	assert_string_equal(var_myorigin, "a.example");
	assert_int_equal(params_override("myhostname=b.example", why), 0);
	assert_string_equal(var_myorigin, "b.example");
	assert_string_equal(var_mydomain, "example");
	assert_int_equal(params_override(" queue_run_delay = 1m ", why), 0);
	assert_int_equal(var_queue_run_delay, 60);
	assert_int_equal(params_override("queue_run_delay=never", why), -1);
	assert_non_null(strstr(buf_str(why), "parameter queue_run_delay: bad time value"));
	assert_int_equal(var_queue_run_delay, 60);
	assert_string_equal(params_get("queue_run_delay"), "1m");
	assert_int_equal(params_override("no equals", why), -1);
	assert_non_null(strstr(buf_str(why), "expected name=value"));
	assert_int_equal(params_override("=x", why), -1);
	assert_non_null(strstr(buf_str(why), "bad parameter name"));
	assert_int_equal(params_override("delivery_priority=high", why), 0);
	assert_string_equal(params_get("delivery_priority"), "high");
	assert_int_equal(params_override("syslog_name=postern/$mail_name", why), 0);
	assert_string_equal(var_syslog_name, "postern/Postern");
	assert_int_equal(params_override("a=$b", why), 0);
	assert_int_equal(params_override("b=$a", why), -1);
	assert_non_null(strstr(buf_str(why), "expansion loop"));
	assert_null(params_get("b"));
	/* A new load forgets overrides. */
	load_ok("queue_run_delay = 5m\n");
	assert_int_equal(var_queue_run_delay, 300);
	assert_null(params_get("delivery_priority"));
}

/* test_get - known, user-defined, per-service and unknown names */
static void
test_get(void **state)
{
	(void) state;
	load_ok("mine = $mail_name!\nrelay_minimal_backoff_time = 2m\n");
	assert_string_equal(params_get("mine"), "Postern!");
	assert_string_equal(params_get_raw("mine"), "$mail_name!");
	assert_string_equal(params_get("relay_minimal_backoff_time"), "2m");
	assert_string_equal(params_get("mail_name"), "Postern");
	assert_null(params_get("nothing_here"));
	assert_null(params_get_raw("nothing_here"));
	assert_true(params_table_count() > 300);
	assert_string_equal(params_table_at(0)->name, "mail_name");
	assert_null(params_table_at(params_table_count()));
	assert_int_equal(params_info("queue_run_delay")->type, PARAM_TIME);
	assert_int_equal(params_info("minimum_backoff_time")->type, PARAM_TIME);
	assert_null(params_info("mine"));
	assert_string_equal(params_canonical_name("relay_maximum_backoff_time"),
			    "relay_maximal_backoff_time");
	assert_string_equal(params_canonical_name("queue_run_delay"), "queue_run_delay");
}

/* test_service - the per-service lookup convention */
static void
test_service(void **state)
{
	struct argv *ovr = argv_new(4);

	(void) state;
	load_ok("relay_minimal_backoff_time = 2m\n"
		"minimal_backoff_time = 10m\n"
		"default_destination_concurrency_limit = 30\n"
		"bulk_destination_concurrency_limit = 3\n"
		"bulk_delivery_priority = bulk\n"
		"relay_destination_message_rate_limit = 100/m\n"
		"high-prio_maximum_backoff_time = 1h\n");
	assert_int_equal(params_service_time("relay", "minimal_backoff_time", 1), 120);
	assert_int_equal(params_service_time("smtp", "minimal_backoff_time", 1), 600);
	assert_int_equal(params_service_time("high-prio", "maximal_backoff_time", 1), 3600);
	assert_int_equal(params_service_time("x", "destination_rate_delay", 9), 0);
	assert_int_equal(params_service_time("x", "no_such_time", 9), 9);
	assert_int_equal(params_service_int("relay", "destination_concurrency_limit", 0), 30);
	assert_int_equal(params_service_int("bulk", "destination_concurrency_limit", 0), 3);
	assert_int_equal(params_service_int("smtp", "destination_concurrency_limit", 0), 30);
	assert_int_equal(params_service_int("local", "destination_concurrency_limit", 0), 2);
	assert_int_equal(params_service_int("x", "destination_recipient_limit", 0), 50);
	assert_int_equal(params_service_int("x", "initial_destination_concurrency", 0), 5);
	assert_int_equal(params_service_int("x", "destination_message_rate_burst", 0), 1);
	assert_string_equal(params_service_str("bulk", "delivery_priority", "normal"), "bulk");
	assert_string_equal(params_service_str("relay", "delivery_priority", "normal"), "normal");
	assert_string_equal(params_service_str("relay", "destination_message_rate_limit", "0"),
			    "100/m");
	assert_string_equal(params_service_str("smtp", "destination_message_rate_limit", "x"),
			    "0");

	argv_add(ovr, "minimal_backoff_time=30s");
	argv_add(ovr, "delivery_priority=high");
	argv_add(ovr, "destination_concurrency_limit=$default_destination_concurrency_limit");
	assert_int_equal(params_service_time_ovr(ovr, "relay", "minimal_backoff_time", 1), 30);
	assert_int_equal(params_service_time_ovr(ovr, "relay", "maximum_backoff_time", 1), 4000);
	assert_int_equal(params_service_int_ovr(ovr, "bulk", "destination_concurrency_limit", 0), 30);
	assert_string_equal(params_service_str_ovr(ovr, "bulk", "delivery_priority", "normal"),
			    "high");
	argv_truncate(ovr, 0);
	argv_add(ovr, "relay_minimum_backoff_time=45");
	assert_int_equal(params_service_time_ovr(ovr, "relay", "minimal_backoff_time", 1), 45);
	argv_truncate(ovr, 0);
	argv_add(ovr, "minimal_backoff_time=soon");
	argv_add(ovr, "delivery_priority=urgent");
	last_warning[0] = 0;
	assert_int_equal(params_service_time_ovr(ovr, "relay", "minimal_backoff_time", 1), 120);
	assert_non_null(strstr(last_warning, "service relay: -o minimal_backoff_time=soon"));
	assert_string_equal(params_service_str_ovr(ovr, "bulk", "delivery_priority", "normal"),
			    "bulk");
	assert_non_null(strstr(last_warning, "delivery_priority=urgent"));
	argv_free(ovr);
}

/* Issue capture for test_check. */
static struct argv *issues;

/* check_report - record each issue as formatted text */
static void
check_report(const struct params_issue *issue, void *ctx)
{
	struct buf *text = buf_new(100);

	(void) ctx;
	params_issue_format(issue, text);
	argv_add(issues, buf_str(text));
	buf_free(text);
}

/* test_check - unknown names, suggestions, aliases, references */
static void
test_check(void **state)
{
	struct argv *refs = argv_new(2);
	char	want[300];
	size_t	count;

	(void) state;
	issues = argv_new(8);
	load_ok("myhostnme = x\n"
		"queue_run_dealy = 5m\n"
		"relay_destination_concurency_limit = 5\n"
		"relay_destination_concurrency_limit = 5\n"
		"high-prio_minimal_backoff_time = 1m\n"
		"minimum_backoff_time = 600\n"
		"helper = a\n"
		"smtpd_banner = $helper\n"
		"master_only = b\n"
		"zzqqxxyy = 1\n");
	argv_add(refs, "smtpd_client_restrictions=$master_only");
	count = params_check_names(refs, check_report, NULL);
	assert_int_equal(count, 4);
	assert_int_equal(issues->argc, 5);
	snprintf(want, sizeof(want), "%s/main.cf, line 1: unknown parameter myhostnme "
		 "(did you mean myhostname?)", test_dir);
	assert_string_equal(issues->argv[0], want);
	assert_non_null(strstr(issues->argv[1], "line 2: unknown parameter queue_run_dealy "
			       "(did you mean queue_run_delay?)"));
	assert_non_null(strstr(issues->argv[2], "line 3: unknown parameter "
			       "relay_destination_concurency_limit (did you mean "
			       "relay_destination_concurrency_limit?)"));
	assert_non_null(strstr(issues->argv[3], "line 6: minimum_backoff_time is accepted "
			       "as an alias for minimal_backoff_time"));
	assert_non_null(strstr(issues->argv[4], "line 10: unknown parameter zzqqxxyy"));
	assert_null(strstr(issues->argv[4], "did you mean"));
	argv_truncate(issues, 0);
	assert_int_equal(params_check_names(NULL, check_report, NULL), 5);
	assert_non_null(strstr(issues->argv[4], "unknown parameter master_only"));
	assert_string_equal(params_suggest("mail_nmae"), "mail_name");
	assert_null(params_suggest("completely_different_words_here"));
	assert_null(params_suggest("queue_run_delay"));
	argv_free(issues);
	argv_free(refs);
}

/* test_parsers - value parsers directly */
static void
test_parsers(void **state)
{
	long	n, per;
	int	flag;

	(void) state;
	assert_int_equal(params_parse_time("90", 'm', &n), 0);
	assert_int_equal(n, 5400);
	assert_int_equal(params_parse_time("2w", 's', &n), 0);
	assert_int_equal(n, 1209600);
	assert_int_equal(params_parse_time("", 's', &n), -1);
	assert_int_equal(params_parse_time("m", 's', &n), -1);
	assert_int_equal(params_parse_time("5M", 's', &n), -1);
	assert_int_equal(params_parse_time("5 s", 's', &n), -1);
	assert_int_equal(params_parse_time("5", 'x', &n), -1);
	assert_int_equal(params_parse_time("9999999999999999w", 's', &n), -1);
	assert_int_equal(params_parse_size("10240000", &n), 0);
	assert_int_equal(n, 10240000);
	assert_int_equal(params_parse_size("10k", &n), -1);
	assert_int_equal(params_parse_size("-1", &n), -1);
	assert_int_equal(params_parse_int("-12", &n), 0);
	assert_int_equal(n, -12);
	assert_int_equal(params_parse_int("12a", &n), -1);
	assert_int_equal(params_parse_bool("No", &flag), 0);
	assert_int_equal(flag, 0);
	assert_int_equal(params_parse_bool("true", &flag), 0);
	assert_int_equal(flag, 1);
	assert_int_equal(params_parse_bool("1", &flag), -1);
	assert_int_equal(params_parse_percent("20%", &flag), 0);
	assert_int_equal(flag, 20);
	assert_int_equal(params_parse_percent("101", &flag), -1);
	assert_int_equal(params_parse_percent("5%%", &flag), -1);
	assert_int_equal(params_parse_rate("100/m", &n, &per), 0);
	assert_int_equal(n, 100);
	assert_int_equal(per, 60);
	assert_int_equal(params_parse_rate("10/2m", &n, &per), 0);
	assert_int_equal(per, 120);
	assert_int_equal(params_parse_rate("0", &n, &per), 0);
	assert_int_equal(n, 0);
	assert_int_equal(params_parse_rate("5", &n, &per), -1);
	assert_int_equal(params_parse_rate("5/", &n, &per), -1);
	assert_int_equal(params_parse_rate("5/0s", &n, &per), -1);
	assert_int_equal(params_parse_rate("x/m", &n, &per), -1);
}

/* Line capture for test_parse_text. */
static int
line_cb(const char *name, const char *value, int first, int last, void *ctx)
{
	struct buf *out = ctx;

	buf_appendf(out, "%s=[%s]%d-%d;", name, value, first, last);
	return (strcmp(name, "stop") == 0 ? -1 : 0);
}

/* test_parse_text - the logical-line reader */
static void
test_parse_text(void **state)
{
	struct buf *out = buf_new(100);

	(void) state;
	assert_int_equal(params_parse_text("f", "a = 1\n  2\n#c\n  3\nb=\n", line_cb,
					   out, why), 0);
	assert_string_equal(buf_str(out), "a=[1 2 3]1-4;b=[]5-5;");
	buf_reset(out);
	assert_int_equal(params_parse_text("f", "stop = 1\nb = 2", line_cb, out, why), -1);
	assert_string_equal(buf_str(out), "stop=[1]1-1;");
	buf_reset(out);
	assert_int_equal(params_parse_text("f", "a = 1\nb\n", line_cb, out, why), -1);
	assert_string_equal(buf_str(why), "f, line 2: missing '=' after parameter name: \"b\"");
	buf_free(out);
}

/* test_cmd_helpers - configuration directory, environment, program dirs */
static void
test_cmd_helpers(void **state)
{
	struct buf *daemon_dir = buf_new(100), *command_dir = buf_new(100);
	char	exe[4096], want[4200], *slash;
	ssize_t	n;

	(void) state;
	setenv("MAIL_CONFIG", "/x/y", 1);
	assert_string_equal(config_dir_resolve(NULL), "/x/y");
	assert_string_equal(config_dir_resolve("/a"), "/a");
	setenv("MAIL_CONFIG", "", 1);
	assert_string_equal(config_dir_resolve(NULL), DEF_CONFIG_DIR);
	unsetenv("MAIL_CONFIG");
	assert_string_equal(config_dir_resolve(""), DEF_CONFIG_DIR);

	assert_int_equal(cmd_exe_dirs(daemon_dir, command_dir), 0);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = 0;
	*strrchr(exe, '/') = 0;			/* .../tests/unit/global */
	assert_string_equal(buf_str(daemon_dir), exe);
	slash = strrchr(exe, '/');
	*slash = 0;
	snprintf(want, sizeof(want), "%s/bin", exe);
	assert_string_equal(buf_str(command_dir), want);

	setenv("KEEPME", "yes", 1);
	setenv("DROPME", "no", 1);
	cmd_clean_env("KEEPME, SETME=1 NOT_SET");
	assert_string_equal(getenv("KEEPME"), "yes");
	assert_string_equal(getenv("SETME"), "1");
	assert_null(getenv("DROPME"));
	assert_null(getenv("NOT_SET"));
	assert_string_equal(getenv("PATH"), "/usr/bin:/bin:/usr/sbin:/sbin");
	cmd_fix_fds();
	buf_free(daemon_dir);
	buf_free(command_dir);
}

/* test_cmd_init - a command's start-up, good and bad main.cf */
static void
test_cmd_init(void **state)
{
	char	text[600], path[300];
	FILE   *fp;
	size_t	len;

	(void) state;
	snprintf(text, sizeof(text), "syslog_name = mytest\nmaillog_file = %s/log\n"
		 "import_environment = MAIL_CONFIG TZ\n", test_dir);
	write_main(text);
	setenv("TZ", "UTC", 1);
	cmd_init("/usr/bin/testprog", test_dir);
	msg_to_stderr(MSG_STDERR_OFF);
	assert_string_equal(msg_progname(), "testprog");
	assert_string_equal(getenv("MAIL_CONFIG"), test_dir);
	assert_string_equal(getenv("TZ"), "UTC");
	assert_string_equal(var_syslog_name, "mytest");
	msg_info("hello from the test");
	snprintf(path, sizeof(path), "%s/log", test_dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	len = fread(text, 1, sizeof(text) - 1, fp);
	text[len] = 0;
	fclose(fp);
	unlink(path);
	assert_non_null(strstr(text, " mytest/testprog["));
	assert_non_null(strstr(text, "]: hello from the test\n"));

	write_main("queue_run_delay = soon\n");
	msg_set_exit_hook(exit_hook);
	last_fatal[0] = 0;
	if (setjmp(fatal_jmp) == 0) {
		cmd_init("testprog", test_dir);
		fail_msg("cmd_init accepted a bad main.cf");
	}
	msg_set_exit_hook(NULL);
	msg_to_stderr(MSG_STDERR_OFF);
	snprintf(text, sizeof(text), "%s/main.cf, line 1: parameter queue_run_delay: "
		 "bad time value", test_dir);
	assert_non_null(strstr(last_fatal, text));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_expand_text),
		cmocka_unit_test(test_expand_errors),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_typed_errors),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_parse_text),
		cmocka_unit_test(test_cmd_helpers),
		cmocka_unit_test(test_cmd_init),
	};

	return (cmocka_run_group_tests_name("params", tests, setup, teardown));
}
