/*
 * NAME
 *	test_qmgr_queue - unit tests for destination windows and rates
 * DESCRIPTION
 *	The per-destination state machine: slow start and positive feedback
 *	(one per window by default, Postfix's constant feedback when set),
 *	negative feedback down to 1, pseudo-cohort failures and the dead
 *	state (never with cohort limit 0, reset by a success), resume with
 *	initial or kept concurrency, throttling (halve, pause, not dead),
 *	rate delay and the message rate token bucket, the latency cut, site
 *	matching, and
 *	transport configuration from master.cf overrides.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/buf.h>
#include <util/events.h>
#include <util/msg.h>
#include <global/mastercf.h>
#include <global/params.h>

#include "qmgr/qmgr.h"

static struct buf *warnings;

/* capture - keep warnings */
static void
capture(enum msg_level level, const char *text, void *ctx)
{
	(void) ctx;
	if (level == MSG_WARN)
		buf_appendf(warnings, "%s\n", text);
}

/* setup - parameters and an empty transport table */
static int
setup(void **state)
{
	(void) state;
	params_reset_defaults();
	warnings = buf_new(256);
	msg_set_capture(capture, NULL);
	qmgr_transport_init(NULL);
	return (0);
}

/* teardown - forget transports */
static int
teardown(void **state)
{
	(void) state;
	qmgr_transport_free_all();
	msg_set_capture(NULL, NULL);
	buf_free(warnings);
	return (0);
}

/* set - one main.cf setting */
static void
set(const char *name_eq_value)
{
	struct buf *why = buf_new(64);

	if (params_override(name_eq_value, why) != 0)
		fail_msg("%s: %s", name_eq_value, buf_str(why));
	buf_free(why);
}

/* queue_for - a fresh transport and destination */
static struct qmgr_queue *
queue_for(const char *transport)
{
	struct qmgr_transport *t = qmgr_transport_get(transport);

	return (qmgr_queue_create(t, "dest.example", "dest.example"));
}

/* succeed - n successful deliveries */
static void
succeed(struct qmgr_queue *q, int n)
{
	while (n-- > 0)
		qmgr_queue_success(q);
}

/* test_slow_start - one more per window of successes */
static void
test_slow_start(void **state)
{
	struct qmgr_queue *q;

	(void) state;
	set("initial_destination_concurrency=2");
	set("t1_destination_concurrency_limit=5");
	q = queue_for("t1");
	assert_int_equal(q->window, 2);
	succeed(q, 1);
	assert_int_equal(q->window, 2);
	succeed(q, 1);
	assert_int_equal(q->window, 3);
	succeed(q, 2);
	assert_int_equal(q->window, 3);
	succeed(q, 1);
	assert_int_equal(q->window, 4);
	succeed(q, 4);
	assert_int_equal(q->window, 5);
	succeed(q, 50);
	assert_int_equal(q->window, 5);
}

/* test_constant_feedback - Postfix's "1": one more per success */
static void
test_constant_feedback(void **state)
{
	struct qmgr_queue *q;

	(void) state;
	set("initial_destination_concurrency=2");
	set("default_destination_concurrency_positive_feedback=1");
	set("t2_destination_concurrency_limit=4");
	q = queue_for("t2");
	succeed(q, 1);
	assert_int_equal(q->window, 3);
	succeed(q, 1);
	assert_int_equal(q->window, 4);
	succeed(q, 1);
	assert_int_equal(q->window, 4);
}

/* test_negative_feedback - one less per failure, never below 1 */
static void
test_negative_feedback(void **state)
{
	struct qmgr_queue *q;

	(void) state;
	set("initial_destination_concurrency=4");
	set("default_destination_concurrency_failed_cohort_limit=0");
	q = queue_for("t3");
	assert_int_equal(qmgr_queue_failure(q, 1), QMGR_QUEUE_OK);
	assert_int_equal(q->window, 3);
	assert_int_equal(qmgr_queue_failure(q, 1), QMGR_QUEUE_OK);
	assert_int_equal(qmgr_queue_failure(q, 1), QMGR_QUEUE_OK);
	assert_int_equal(q->window, 1);
	assert_int_equal(qmgr_queue_failure(q, 1), QMGR_QUEUE_OK);
	assert_int_equal(q->window, 1);
	assert_false(q->is_dead);
}

/* test_cohorts - dead after failed cohorts, reset by success */
static void
test_cohorts(void **state)
{
	struct qmgr_queue *q;

	(void) state;
	set("initial_destination_concurrency=4");
	q = queue_for("t4");
	/* 1/4 + 1/3 + 1/2 >= 1: the third failure kills it. */
	assert_int_equal(qmgr_queue_failure(q, 1), QMGR_QUEUE_OK);
	assert_int_equal(qmgr_queue_failure(q, 1), QMGR_QUEUE_OK);
	assert_int_equal(q->window, 2);
	assert_int_equal(qmgr_queue_failure(q, 1), QMGR_QUEUE_BECAME_DEAD);
	assert_int_equal(q->window, 2);
	/* A success in between starts the count again. */
	q = qmgr_queue_create(q->transport, "again.example", "again.example");
	assert_int_equal(qmgr_queue_failure(q, 1), QMGR_QUEUE_OK);
	assert_int_equal(qmgr_queue_failure(q, 1), QMGR_QUEUE_OK);
	qmgr_queue_success(q);
	assert_true(q->fail_cohorts == 0);
	assert_int_equal(qmgr_queue_failure(q, 1), QMGR_QUEUE_OK);
	assert_int_equal(qmgr_queue_failure(q, 1), QMGR_QUEUE_BECAME_DEAD);
	/* Failures that do not count (agent trouble) never kill. */
	q = qmgr_queue_create(q->transport, "other.example", "other.example");
	q->window = 1;
	assert_int_equal(qmgr_queue_failure(q, 0), QMGR_QUEUE_OK);
	assert_int_equal(qmgr_queue_failure(q, 0), QMGR_QUEUE_OK);
	assert_true(q->fail_cohorts == 0);
}

/* test_dead_and_resume - kill, not ready, resume with which window */
static void
test_dead_and_resume(void **state)
{
	struct qmgr_queue *q;
	int64_t	wake = 0, now = event_time_update();

	(void) state;
	set("initial_destination_concurrency=3");
	set("t5_minimal_backoff_time=77s");
	q = queue_for("t5");
	q->window = 1;
	qmgr_queue_kill(q, now, "4.4.1", "connect to x: Connection refused");
	assert_true(q->is_dead);
	assert_int_equal(q->dead_until, now + 77000);
	assert_string_equal(q->dead_reason, "connect to x: Connection refused");
	assert_false(qmgr_queue_ready(q, now, &wake));
	assert_non_null(strstr(buf_str(warnings), "dead destination: transport=t5 "
			       "destination=dest.example"));
	assert_int_equal(qmgr_queue_failure(q, 1), QMGR_QUEUE_OK);
	qmgr_queue_resume(q, 0);
	assert_false(q->is_dead);
	assert_int_equal(q->window, 3);
	q->window = 2;
	qmgr_queue_kill(q, now, "4.4.1", "again");
	qmgr_queue_resume(q, 1);
	assert_int_equal(q->window, 2);
	assert_true(qmgr_queue_ready(q, now, &wake));
	/* A success while dead revives it. */
	qmgr_queue_kill(q, now, "4.4.1", "again");
	qmgr_queue_success(q);
	assert_false(q->is_dead);
}

/* test_throttle - halve, pause, never dead */
static void
test_throttle(void **state)
{
	struct qmgr_queue *q;
	int64_t	wake = 0, now = event_time_update();

	(void) state;
	set("initial_destination_concurrency=5");
	set("smtp_throttle_backoff=30s");
	q = queue_for("t6");
	qmgr_queue_throttle(q, now, "421 4.7.0 slow down");
	assert_int_equal(q->window, 2);
	assert_false(q->is_dead);
	assert_false(qmgr_queue_ready(q, now, &wake));
	assert_int_equal(wake, now + 30000);
	assert_true(qmgr_queue_ready(q, now + 30000, &wake));
	assert_non_null(strstr(buf_str(warnings), "throttled: transport=t6 "
			       "destination=dest.example concurrency=2 (was 5): "
			       "421 4.7.0 slow down"));
	qmgr_queue_throttle(q, now, "421 again");
	qmgr_queue_throttle(q, now, "421 again");
	assert_int_equal(q->window, 1);
	succeed(q, 1);
	assert_int_equal(q->window, 2);
}

/* test_window_full - busy deliveries fill the window */
static void
test_window_full(void **state)
{
	struct qmgr_queue *q;
	int64_t	wake = 0, now = event_time_update();

	(void) state;
	set("initial_destination_concurrency=2");
	q = queue_for("t7");
	qmgr_queue_started(q, now);
	assert_true(qmgr_queue_ready(q, now, &wake));
	qmgr_queue_started(q, now);
	assert_false(qmgr_queue_ready(q, now, &wake));
	assert_int_equal(wake, 0);
	qmgr_queue_finished(q, now);
	assert_true(qmgr_queue_ready(q, now, &wake));
	qmgr_queue_finished(q, now);
}

/* test_rate_delay - spacing between delivery starts */
static void
test_rate_delay(void **state)
{
	struct qmgr_queue *q;
	int64_t	wake = 0, now = event_time_update();

	(void) state;
	set("t8_destination_rate_delay=2s");
	set("initial_destination_concurrency=5");
	q = queue_for("t8");
	assert_int_equal(q->transport->dest_limit, 1);
	assert_int_equal(q->window, 1);
	qmgr_queue_started(q, now);
	qmgr_queue_finished(q, now + 10);
	assert_false(qmgr_queue_ready(q, now + 10, &wake));
	assert_int_equal(wake, now + 2000);
	assert_true(qmgr_queue_ready(q, now + 2000, &wake));
}

/* test_message_rate - token bucket with a burst */
static void
test_message_rate(void **state)
{
	struct qmgr_queue *q;
	int64_t	wake = 0, now;

	(void) state;
	set("t9_destination_message_rate_limit=2/s");
	set("t9_destination_message_rate_burst=2");
	set("initial_destination_concurrency=10");
	q = queue_for("t9");
	now = q->tokens_at;
	qmgr_queue_started(q, now);
	assert_true(qmgr_queue_ready(q, now, &wake));
	qmgr_queue_started(q, now);
	assert_false(qmgr_queue_ready(q, now, &wake));
	assert_true(wake > now && wake <= now + 502);
	assert_true(qmgr_queue_ready(q, now + 501, &wake));
	assert_true(q->window >= 2);
	qmgr_queue_finished(q, now);
	qmgr_queue_finished(q, now);
}

/* test_latency - much slower deliveries cut the window gently */
static void
test_latency(void **state)
{
	struct qmgr_queue *q;
	int	i;

	(void) state;
	set("initial_destination_concurrency=4");
	set("smtp_latency_throttle_factor=3");
	q = queue_for("t11");
	for (i = 0; i < 5; i++)
		assert_int_equal(qmgr_queue_latency(q, 0.5), 0);
	/* Not slow enough, or too fast to matter. */
	assert_int_equal(qmgr_queue_latency(q, 1.4), 0);
	assert_int_equal(qmgr_queue_latency(q, 0.9), 0);
	assert_int_equal(q->window, 4);
	/* Far above the average: one cut, then not again at once. */
	assert_int_equal(qmgr_queue_latency(q, 10.0), 1);
	assert_int_equal(q->window, 3);
	assert_int_equal(qmgr_queue_latency(q, 30.0), 0);
	assert_int_equal(q->window, 3);
	/* Young queues are not judged. */
	q = qmgr_queue_create(q->transport, "young.example", "young.example");
	assert_int_equal(qmgr_queue_latency(q, 0.1), 0);
	assert_int_equal(qmgr_queue_latency(q, 50.0), 0);
	assert_int_equal(q->window, 4);
}

/* test_match_site - nexthop forms against a site name */
static void
test_match_site(void **state)
{
	struct qmgr_transport *t;
	struct qmgr_queue *a, *b, *c;

	(void) state;
	t = qmgr_transport_get("t10");
	a = qmgr_queue_create(t, "example.com", "example.com");
	b = qmgr_queue_create(t, "[10.0.0.1]:2525", "[10.0.0.1]:2525");
	c = qmgr_queue_create(t, "mx.example.com:25", "mx.example.com:25");
	assert_true(qmgr_queue_match_site(a, "EXAMPLE.com"));
	assert_false(qmgr_queue_match_site(a, "sub.example.com"));
	assert_true(qmgr_queue_match_site(b, "10.0.0.1"));
	assert_true(qmgr_queue_match_site(b, "[10.0.0.1]"));
	assert_true(qmgr_queue_match_site(c, "mx.example.com"));
	assert_false(qmgr_queue_match_site(c, "example.com"));
}

/* test_transport_config - master.cf overrides and main.cf names */
static void
test_transport_config(void **state)
{
	struct buf *why = buf_new(100);
	struct mastercf *mcf;
	const struct mastercf_entry *e;
	struct qmgr_transport *t;

	(void) state;
	set("hp_maximal_backoff_time=1800s");
	mcf = mastercf_parse("master.cf",
			     "hp unix - - n - 7 smtp\n"
			     "  -o smtp_destination_concurrency_limit=13\n"
			     "  -o minimum_backoff_time=60s\n"
			     "  -o delivery_priority=high\n"
			     "  -o hp_destination_recipient_limit=3\n", why);
	assert_non_null(mcf);
	e = mastercf_find(mcf, "hp", "unix");
	assert_non_null(e);
	t = qmgr_transport_get("hp");
	qmgr_transport_configure(t, e->overrides, e->command, e->maxproc);
	assert_int_equal(t->proc_limit, 7);
	assert_int_equal(t->dest_limit, 13);
	assert_int_equal(t->rcpt_limit, 3);
	assert_int_equal(t->retry.min_backoff, 60);
	assert_int_equal(t->retry.max_backoff, 1800);
	assert_int_equal(t->prio, QMGR_PRIO_HIGH);
	assert_true(t->pos_feedback.per_window);
	/* Defaults: "-" maxproc, no class, Postfix's recipient limit. */
	qmgr_transport_configure(t, NULL, "smtp", -1);
	assert_int_equal(t->proc_limit, var_default_process_limit);
	assert_int_equal(t->prio, -1);
	assert_int_equal(t->rcpt_limit, 50);
	assert_int_equal(t->retry.min_backoff, var_minimal_backoff_time);
	mastercf_free(mcf);
	buf_free(why);
}

/* test_feedback_parse - feedback forms and bad input */
static void
test_feedback_parse(void **state)
{
	struct qmgr_feedback fb;

	(void) state;
	qmgr_feedback_parse(&fb, "1");
	assert_true(fb.value == 1 && !fb.per_window);
	qmgr_feedback_parse(&fb, "1/concurrency");
	assert_true(fb.value == 1 && fb.per_window);
	qmgr_feedback_parse(&fb, "1/4");
	assert_true(fb.value == 0.25 && !fb.per_window);
	qmgr_feedback_parse(&fb, "bogus");
	assert_true(fb.value == 1 && !fb.per_window);
	qmgr_feedback_parse(&fb, "2");
	assert_true(fb.value == 1);
	qmgr_feedback_parse(&fb, "1/0");
	assert_true(fb.value == 1);
	assert_non_null(strstr(buf_str(warnings), "bad concurrency feedback \"bogus\""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_slow_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_constant_feedback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_negative_feedback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cohorts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_and_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throttle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_delay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_latency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_site, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transport_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feedback_parse, setup, teardown),
	};

	return (cmocka_run_group_tests_name("qmgr_queue", tests, NULL, NULL));
}
