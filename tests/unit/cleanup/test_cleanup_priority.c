/*
 * NAME
 *	test_cleanup_priority - priority classes in cleanup
 * DESCRIPTION
 *	Whole messages through cleanup's record interface, then the PRIO
 *	records of the queue file: sender, sender domain, recipients,
 *	recipient domains, the default, Precedence, sendmail -t, transport
 *	classes from master.cf and main.cf; bad table values, bad classes,
 *	failed lookups.
 */
#include "cleanup_test.c"

#include <global/cleanup_client.h>
#include <global/mail_proto.h>

#define PRIO_MAPS "priority_maps=inline:{ " \
	"vip@s.example=high, s.example=bulk, r.example=high, " \
	"rb.example=bulk, rn.example=normal, bad@s.example=urgent, " \
	"odd.example=1, { low@r.example = BULK } }"

 /*
  * The PRIO records of a committed file: how many, and the last one.
  */
struct ct_prio {
	int	count;
	char	last[32];
	char	read[32];		/* as qfile_read_envelope() sees it */
};

/* ct_prio_get - PRIO records of incoming/ID */
static void
ct_prio_get(const char *id, struct ct_prio *got)
{
	struct ct_file *qf = ct_load(MAIL_QUEUE_INCOMING, id);
	struct qfile_envelope env;
	struct buf *path = buf_new(64);
	struct buf *why = buf_new(64);
	int	i, fd;

	if (qf->check != 0)
		fail_msg("%s: %s", id, buf_str(qf->why));
	assert_int_equal(qf->mode, 0700);
	memset(got, 0, sizeof(*got));
	for (i = 0; i < qf->count && qf->type[i] != REC_TYPE_MESG; i++)
		if (qf->type[i] == REC_TYPE_PRIO) {
			got->count++;
			snprintf(got->last, sizeof(got->last), "%s", qf->data[i]);
		}
	ct_free(qf);
	queue_path(path, MAIL_QUEUE_INCOMING, id);
	assert_true((fd = open(buf_str(path), O_RDONLY)) >= 0);
	qfile_envelope_init(&env);
	if (qfile_read_envelope(fd, &env, why) < 0)
		fail_msg("%s: %s", id, buf_str(why));
	snprintf(got->read, sizeof(got->read), "%s",
		 env.priority ? env.priority : "(none)");
	qfile_envelope_free(&env);
	close(fd);
	buf_free(why);
	buf_free(path);
}

/* ct_class - one message, committed; its class as read back */
static void
ct_class(int flags, const char *sender, const char **rcpts,
	 const char **lines, const char *want, int want_records)
{
	struct cleanup_state *st = cleanup_state_new(flags);
	struct ct_prio got;

	assert_int_equal(cleanup_out_open(st), 0);
	ct_feed(st, REC_TYPE_FROM, sender);
	for (; rcpts && *rcpts; rcpts++)
		ct_feed(st, REC_TYPE_RCPT, *rcpts);
	ct_feed(st, REC_TYPE_MESG, "");
	for (; *lines; lines++)
		ct_feed(st, REC_TYPE_NORM, *lines);
	ct_feed(st, REC_TYPE_XTRA, "");
	ct_feed(st, REC_TYPE_END, "");
	if (ct_finish(st) != 0)
		fail_msg("%s: %s", sender, buf_str(st->reason));
	ct_prio_get(buf_str(st->queue_id), &got);
	if (strcmp(got.last, want) != 0 || strcmp(got.read, want) != 0)
		fail_msg("sender %s: class %s (read %s), want %s", sender,
			 got.last, got.read, want);
	if (want_records && got.count != want_records)
		fail_msg("sender %s: %d PRIO records, want %d", sender,
			 got.count, want_records);
	cleanup_state_free(st);
}

/* ct_prio_init - parameters, then cleanup_priority_init() */
static void
ct_prio_init(const char **settings)
{
	for (; *settings; settings++)
		ct_override(*settings);
	cleanup_priority_init();
}

static const char *plain[] = {"Subject: p", "", "body", NULL};

/* test_parse - class names */
static void
test_parse(void **state)
{
	(void) state;
	assert_int_equal(cleanup_priority_parse("high"), CLEANUP_PRIO_HIGH);
	assert_int_equal(cleanup_priority_parse(" Normal\t"), CLEANUP_PRIO_NORMAL);
	assert_int_equal(cleanup_priority_parse("BULK"), CLEANUP_PRIO_BULK);
	assert_int_equal(cleanup_priority_parse(""), CLEANUP_PRIO_NONE);
	assert_int_equal(cleanup_priority_parse("urgent"), CLEANUP_PRIO_NONE);
	assert_int_equal(cleanup_priority_parse("highest"), CLEANUP_PRIO_NONE);
	assert_int_equal(cleanup_priority_parse("hig"), CLEANUP_PRIO_NONE);
	assert_int_equal(cleanup_priority_parse(NULL), CLEANUP_PRIO_NONE);
	assert_string_equal(cleanup_priority_name(CLEANUP_PRIO_HIGH), "high");
	assert_string_equal(cleanup_priority_name(CLEANUP_PRIO_BULK), "bulk");
	assert_null(cleanup_priority_name(CLEANUP_PRIO_NONE));
}

/* test_rules - sender, sender domain, recipients, default */
static void
test_rules(void **state)
{
	const char *settings[] = {PRIO_MAPS, NULL};
	const char *bulk_rcpt[] = {"x@rb.example", NULL};
	const char *high_rcpt[] = {"x@r.example", NULL};
	const char *mixed[] = {"x@rb.example", "y@none.example", "z@r.example", NULL};
	const char *none[] = {"x@none.example", NULL};
	const char *low[] = {"low@r.example", NULL};

	(void) state;
	ct_prio_init(settings);
	/* The sender address comes first, then its domain. */
	ct_class(0, "vip@s.example", bulk_rcpt, plain, "high", 1);
	ct_class(0, "other@S.Example", high_rcpt, plain, "bulk", 1);
	/* Else the best recipient (address or domain), else the default. */
	ct_class(0, "a@none.example", mixed, plain, "high", 1);
	ct_class(0, "a@none.example", bulk_rcpt, plain, "bulk", 1);
	ct_class(0, "a@none.example", none, plain, "normal", 1);
	ct_class(0, "", high_rcpt, plain, "high", 1);
	/* Address and domain both count: the better one wins. */
	ct_class(0, "a@none.example", low, plain, "high", 1);
	assert_false(ct_logged("warning"));
}

/* test_default_precedence - default_delivery_priority and Precedence: */
static void
test_default_precedence(void **state)
{
	const char *settings[] = {PRIO_MAPS, "default_delivery_priority=high", NULL};
	const char *none[] = {"x@none.example", NULL};
	const char *normal_rcpt[] = {"x@rn.example", NULL};
	const char *bulk_hdr[] = {"Subject: b", "Precedence: bulk", "", "b", NULL};
	const char *junk_hdr[] = {"Precedence:  JUNK ", "", "b", NULL};
	const char *list_hdr[] = {"Precedence: list", "", "b", NULL};
	const char *first_class[] = {"Precedence: first-class", "", "b", NULL};

	(void) state;
	ct_prio_init(settings);
	ct_class(0, "a@none.example", none, plain, "high", 1);
	ct_class(0, "a@none.example", none, junk_hdr, "bulk", 1);
	ct_class(0, "a@none.example", none, first_class, "high", 1);
	/* A table match is not a default: Precedence does not apply. */
	ct_class(0, "a@none.example", normal_rcpt, list_hdr, "normal", 1);
	ct_override("default_delivery_priority=normal");
	cleanup_priority_init();
	ct_class(0, "a@none.example", none, plain, "normal", 1);
	/* normal -> bulk: an empty PRIO record keeps the envelope's length. */
	ct_class(0, "a@none.example", none, bulk_hdr, "bulk", 2);
	ct_class(0, "a@none.example", none, list_hdr, "bulk", 2);
	ct_class(0, "vip@s.example", none, list_hdr, "high", 1);
}

/* test_extract - recipients from headers (sendmail -t) count too */
static void
test_extract(void **state)
{
	const char *settings[] = {PRIO_MAPS, NULL};
	const char *to_high[] = {"To: x@r.example", "", "b", NULL};
	const char *to_bulk[] = {"To: x@rb.example", "", "b", NULL};
	const char *to_normal[] = {"To: x@rn.example", "", "b", NULL};
	const char *to_none[] = {"To: x@none.example", "Precedence: bulk", "", "b", NULL};
	const char *none[] = {"y@none.example", NULL};

	(void) state;
	ct_prio_init(settings);
	ct_class(CLEANUP_FLAG_EXTRACT, "a@none.example", NULL, to_high, "high", 2);
	ct_class(CLEANUP_FLAG_EXTRACT, "a@none.example", NULL, to_bulk, "bulk", 2);
	ct_class(CLEANUP_FLAG_EXTRACT, "a@none.example", none, to_none, "bulk", 2);
	ct_class(CLEANUP_FLAG_EXTRACT, "a@none.example", NULL, to_normal, "normal", 1);
	/* A default of high must not keep the slot too short for normal. */
	ct_override("default_delivery_priority=high");
	cleanup_priority_init();
	ct_class(CLEANUP_FLAG_EXTRACT, "a@none.example", NULL, to_normal, "normal", 1);
	ct_class(CLEANUP_FLAG_EXTRACT, "a@none.example", none, plain, "high", 2);
}

/* test_bad_values - bad table values and settings are ignored, loudly */
static void
test_bad_values(void **state)
{
	const char *settings[] = {PRIO_MAPS, NULL};
	struct buf *why = buf_new(64);
	const char *none[] = {"x@none.example", NULL};
	const char *odd[] = {"x@odd.example", NULL};

	(void) state;
	/* The parameter layer refuses a bad default before cleanup sees it. */
	assert_int_equal(params_override("default_delivery_priority=urgent", why), -1);
	buf_free(why);
	ct_prio_init(settings);
	ct_class(0, "bad@s.example", none, plain, "bulk", 1);
	assert_true(ct_logged("priority_maps: key bad@s.example: bad priority class \"urgent\"; ignored"));
	ct_class(0, "a@none.example", odd, plain, "normal", 1);
	assert_true(ct_logged("key odd.example: bad priority class \"1\""));
}

/* test_lookup_failure - a table that cannot be searched: 451, no file */
static void
test_lookup_failure(void **state)
{
	const char *settings[] = {"priority_maps=hash:/nonexistent/priority", NULL};
	struct cleanup_state *st;
	struct buf *path = buf_new(64);
	struct stat sb;

	(void) state;
	ct_prio_init(settings);
	st = ct_message(0, "a@none.example", "x@none.example", plain);
	assert_int_equal(ct_finish(st), -1);
	assert_int_equal(st->errs, CLEANUP_STAT_WRITE);
	assert_int_equal(cleanup_stat_detail(st->errs)->smtp, 451);
	assert_string_equal(buf_str(st->reason), "4.3.0 priority_maps lookup failure");
	assert_true(ct_logged("priority_maps lookup of a@none.example failed"));
	queue_path(path, MAIL_QUEUE_INCOMING, buf_str(st->queue_id));
	assert_int_equal(stat(buf_str(path), &sb), -1);
	cleanup_state_free(st);
	buf_free(path);
}

/* ct_write - a small file in the current directory */
static void
ct_write(const char *name, const char *text)
{
	FILE   *fp = fopen(name, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* test_transports - a recipient's transport class counts as a match */
static void
test_transports(void **state)
{
	struct buf *why = buf_new(64);
	char	cwd[1024], dir[1100];
	const char *fast[] = {"x@fast.example", NULL};
	const char *slow[] = {"x@slow.example", NULL};
	const char *both[] = {"x@slow.example", "y@fast.example", NULL};
	const char *cfg[] = {"x@cfg.example", NULL};
	const char *plain_smtp[] = {"x@other.example", NULL};

	(void) state;
	assert_int_equal(mkdir("config", 0700), 0);
	ct_write("config/master.cf",
		 "smtp unix - - n - - smtp\n"
		 "fast unix - - n - - smtp\n  -o delivery_priority=high\n"
		 "slow unix - - n - - smtp -o smtp_delivery_priority=bulk\n"
		 "cfg unix - - n - - smtp\n"
		 "odd unix - - n - - smtp -o delivery_priority=urgent\n"
		 "25 inet n - n - - smtpd -o delivery_priority=high\n");
	ct_write("config/main.cf",
		 "transport_maps = inline:{ fast.example=fast:, slow.example=slow:,"
		 " cfg.example=cfg:, odd.example=odd: }\n"
		 "cfg_delivery_priority = bulk\n"
		 "priority_maps = inline:{ bulk@s.example=bulk }\n");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(dir, sizeof(dir), "%s/config", cwd);
	if (params_load(dir, why) < 0)
		fail_msg("params_load: %s", buf_str(why));
	ct_override("myhostname=test.example");
	ct_override("queue_directory=/nonexistent");
	cleanup_priority_init();
	assert_true(ct_logged("transport odd: bad delivery_priority \"urgent\"; ignored"));
	ct_class(0, "a@none.example", fast, plain, "high", 1);
	ct_class(0, "a@none.example", slow, plain, "bulk", 1);
	ct_class(0, "a@none.example", both, plain, "high", 1);
	ct_class(0, "a@none.example", cfg, plain, "bulk", 1);
	ct_class(0, "a@none.example", plain_smtp, plain, "normal", 1);
	/* The sender rule still comes first. */
	ct_class(0, "bulk@s.example", fast, plain, "bulk", 1);
	buf_free(why);
}

/* test_no_master_cf - without master.cf no transport has a class */
static void
test_no_master_cf(void **state)
{
	struct buf *why = buf_new(64);
	char	cwd[1024], dir[1100];
	const char *rcpt[] = {"x@fast.example", NULL};

	(void) state;
	assert_int_equal(mkdir("empty", 0700), 0);
	ct_write("empty/main.cf", "transport_maps = inline:{ fast.example=fast: }\n");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(dir, sizeof(dir), "%s/empty", cwd);
	if (params_load(dir, why) < 0)
		fail_msg("params_load: %s", buf_str(why));
	ct_override("myhostname=test.example");
	cleanup_priority_init();
	assert_true(ct_logged("no transport has a delivery_priority"));
	ct_class(0, "a@none.example", rcpt, plain, "normal", 1);
	buf_free(why);
}

/* ct_prio_teardown - forget the tables, then remove the directory */
static int
ct_prio_teardown(void **state)
{
	params_reset_defaults();
	cleanup_priority_init();
	return (ct_teardown(state));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse, ct_setup, ct_prio_teardown),
		cmocka_unit_test_setup_teardown(test_rules, ct_setup, ct_prio_teardown),
		cmocka_unit_test_setup_teardown(test_default_precedence, ct_setup, ct_prio_teardown),
		cmocka_unit_test_setup_teardown(test_extract, ct_setup, ct_prio_teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, ct_setup, ct_prio_teardown),
		cmocka_unit_test_setup_teardown(test_lookup_failure, ct_setup, ct_prio_teardown),
		cmocka_unit_test_setup_teardown(test_transports, ct_setup, ct_prio_teardown),
		cmocka_unit_test_setup_teardown(test_no_master_cf, ct_setup, ct_prio_teardown),
	};

	return (cmocka_run_group_tests_name("cleanup_priority", tests, NULL, NULL));
}
