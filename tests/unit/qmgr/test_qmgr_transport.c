/*
 * NAME
 *	test_qmgr_transport - unit tests for delivery selection
 * DESCRIPTION
 *	qmgr_transport_select_entry(): weighted fair share between the
 *	priority classes (qmgr_priority_weights), no class starves, round
 *	robin between destinations of a class, FIFO within a destination,
 *	destinations with a full window skipped, nothing when nothing is
 *	ready; and qmgr_priority_weights parsing with bad items.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <util/events.h>
#include <util/msg.h>
#include <global/params.h>

#include "qmgr/qmgr.h"

#define MAX_ENTRIES	200

static struct qmgr_message messages[4];
static struct qmgr_entry *selected[MAX_ENTRIES];
static int nselected;

/* quiet - swallow warnings */
static void
quiet(enum msg_level level, const char *text, void *ctx)
{
	(void) level;
	(void) text;
	(void) ctx;
}

/* setup - parameters, no master.cf, dummy messages */
static int
setup(void **state)
{
	struct buf *why = buf_new(64);
	int	i;

	(void) state;
	params_reset_defaults();
	(void) params_override("initial_destination_concurrency=100", why);
	(void) params_override("default_destination_concurrency_limit=0", why);
	buf_free(why);
	msg_set_capture(quiet, NULL);
	qmgr_transport_init(NULL);
	qmgr_transport_set_weights("high:8, normal:4, bulk:1");
	memset(messages, 0, sizeof(messages));
	for (i = 0; i < 4; i++) {
		messages[i].refcount = 100000;	/* never finished here */
		messages[i].fd = -1;
		messages[i].queue_id = "dummy";
	}
	nselected = 0;
	return (0);
}

/* teardown - retire every entry, free everything */
static int
teardown(void **state)
{
	struct qmgr_transport *t;
	struct htable_entry **list;
	struct qmgr_queue *q;
	size_t	i;
	int	prio, n;

	(void) state;
	for (i = 0; i < (size_t) nselected; i++)
		qmgr_entry_done(selected[i]);
	for (t = qmgr_transport_list(); t != NULL; t = t->next) {
		list = htable_list(t->queues);
		for (i = 0; list[i] != NULL; i++) {
			q = list[i]->value;
			/* The queue is freed with its last entry. */
			n = q->todo_count;
			for (prio = 0; prio < QMGR_PRIO_COUNT && n > 0; prio++) {
				while (n > 0 && q->todo_head[prio] != NULL) {
					n--;
					qmgr_entry_done(q->todo_head[prio]);
				}
			}
		}
		free(list);
	}
	qmgr_transport_free_all();
	msg_set_capture(NULL, NULL);
	return (0);
}

/* fill - n entries of a class for a destination */
static struct qmgr_queue *
fill(struct qmgr_transport *t, const char *dest, int prio, int n)
{
	struct qmgr_queue *q = qmgr_queue_find(t, dest);
	int	i;

	if (q == NULL)
		q = qmgr_queue_create(t, dest, dest);
	for (i = 0; i < n; i++)
		qmgr_entry_add_rcpt(qmgr_entry_create(q, messages + prio, prio), 0);
	return (q);
}

/* pick - select once, remember it */
static struct qmgr_entry *
pick(struct qmgr_transport *t)
{
	struct qmgr_entry *e = qmgr_transport_select_entry(t, event_time_update());

	if (e != NULL && nselected < MAX_ENTRIES)
		selected[nselected++] = e;
	return (e);
}

/* test_weights - 8:4:1 over 13 and 26 picks */
static void
test_weights(void **state)
{
	struct qmgr_transport *t = qmgr_transport_get("w");
	int	count[QMGR_PRIO_COUNT] = {0}, i;
	struct qmgr_entry *e;

	(void) state;
	fill(t, "high.example", QMGR_PRIO_HIGH, 40);
	fill(t, "normal.example", QMGR_PRIO_NORMAL, 40);
	fill(t, "bulk.example", QMGR_PRIO_BULK, 40);
	for (i = 0; i < 26; i++) {
		e = pick(t);
		assert_non_null(e);
		count[e->prio]++;
		if (i == 12) {
			assert_int_equal(count[QMGR_PRIO_HIGH], 8);
			assert_int_equal(count[QMGR_PRIO_NORMAL], 4);
			assert_int_equal(count[QMGR_PRIO_BULK], 1);
		}
	}
	assert_int_equal(count[QMGR_PRIO_HIGH], 16);
	assert_int_equal(count[QMGR_PRIO_NORMAL], 8);
	assert_int_equal(count[QMGR_PRIO_BULK], 2);
}

/* test_no_starvation - a lone class gets every slot */
static void
test_no_starvation(void **state)
{
	struct qmgr_transport *t = qmgr_transport_get("s");
	struct qmgr_entry *e;
	int	i;

	(void) state;
	fill(t, "bulk.example", QMGR_PRIO_BULK, 5);
	for (i = 0; i < 5; i++) {
		e = pick(t);
		assert_non_null(e);
		assert_int_equal(e->prio, QMGR_PRIO_BULK);
	}
	assert_null(pick(t));
}

/* test_round_robin - destinations of one class take turns */
static void
test_round_robin(void **state)
{
	struct qmgr_transport *t = qmgr_transport_get("r");
	struct qmgr_queue *a, *b, *c;
	struct qmgr_entry *e;
	const char *order[7];
	int	i;

	(void) state;
	a = fill(t, "a.example", QMGR_PRIO_NORMAL, 3);
	b = fill(t, "b.example", QMGR_PRIO_NORMAL, 3);
	c = fill(t, "c.example", QMGR_PRIO_NORMAL, 1);
	for (i = 0; i < 7; i++) {
		e = pick(t);
		assert_non_null(e);
		order[i] = e->queue->name;
	}
	assert_string_equal(order[0], "a.example");
	assert_string_equal(order[1], "b.example");
	assert_string_equal(order[2], "c.example");
	assert_string_equal(order[3], "a.example");
	assert_string_equal(order[4], "b.example");
	assert_string_equal(order[5], "a.example");
	assert_string_equal(order[6], "b.example");
	assert_null(pick(t));
	assert_int_equal(a->busy, 3);
	assert_int_equal(b->busy, 3);
	assert_int_equal(c->busy, 1);
}

/* test_window_skip - a full destination does not block the others */
static void
test_window_skip(void **state)
{
	struct qmgr_transport *t = qmgr_transport_get("k");
	struct qmgr_queue *a;
	struct qmgr_entry *e;
	int	i;

	(void) state;
	a = fill(t, "full.example", QMGR_PRIO_NORMAL, 5);
	a->window = 1;
	fill(t, "free.example", QMGR_PRIO_NORMAL, 3);
	e = pick(t);
	assert_string_equal(e->queue->name, "full.example");
	for (i = 0; i < 3; i++) {
		e = pick(t);
		assert_non_null(e);
		assert_string_equal(e->queue->name, "free.example");
	}
	assert_null(pick(t));
	assert_int_equal(a->todo_count, 4);
}

/* test_weight_parse - good and bad items */
static void
test_weight_parse(void **state)
{
	(void) state;
	qmgr_transport_set_weights("high:3, bulk:2, normal:0, nonsense:5, junk");
	assert_int_equal(qmgr_transport_weight(QMGR_PRIO_HIGH), 3);
	assert_int_equal(qmgr_transport_weight(QMGR_PRIO_BULK), 2);
	assert_int_equal(qmgr_transport_weight(QMGR_PRIO_NORMAL), 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_weights, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_starvation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_robin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_skip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_weight_parse, setup, teardown),
	};

	return (cmocka_run_group_tests_name("qmgr_transport", tests, NULL, NULL));
}
