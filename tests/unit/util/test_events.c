/*
 * NAME
 *	test_events - unit tests for the event loop
 * DESCRIPTION
 *	Descriptor readiness (read, write, hang-up, error), timer order,
 *	replacement and cancellation, timers requested from callbacks,
 *	callbacks that disable or close descriptors (their own and others,
 *	including descriptor number reuse within one iteration), and more
 *	than 1024 descriptors.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <util/buf.h>
#include <util/events.h>

#define LOG_SIZE	64

struct call {
	int	event;
	long	tag;
	int64_t	when;
};

static struct call calls[LOG_SIZE];
static int ncalls;

/* record - log one callback */
static void
record(int event, void *ctx)
{
	if (ncalls < LOG_SIZE) {
		calls[ncalls].event = event;
		calls[ncalls].tag = (long) (intptr_t) ctx;
		calls[ncalls].when = event_time_ms();
	}
	ncalls++;
}

/* reset_log - forget recorded calls */
static void
reset_log(void)
{
	ncalls = 0;
	memset(calls, 0, sizeof(calls));
}

/* loop_until - run the loop until n calls or a time bound */
static void
loop_until(int n, long bound_ms)
{
	int64_t	end = event_time_update() + bound_ms;

	while (ncalls < n && event_time_update() < end)
		event_loop(50);
}

/* test_read_ready - a pipe becomes readable */
static void
test_read_ready(void **state)
{
	int	fds[2];
	char	c;

	(void) state;
	reset_log();
	assert_int_equal(pipe(fds), 0);
	event_enable_read(fds[0], record, (void *) 7);
	assert_int_equal(event_fd_count(), 1);
	event_loop(0);
	assert_int_equal(ncalls, 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	event_loop(1000);
	assert_int_equal(ncalls, 1);
	assert_int_equal(calls[0].event, EVENT_READ);
	assert_int_equal(calls[0].tag, 7);
	/* Level-triggered: still readable, called again. */
	event_loop(0);
	assert_int_equal(ncalls, 2);
	assert_int_equal(read(fds[0], &c, 1), 1);
	event_loop(0);
	assert_int_equal(ncalls, 2);
	/* Pipe writer gone, nothing left to read: a hang-up. */
	close(fds[1]);
	event_loop(1000);
	assert_int_equal(ncalls, 3);
	assert_int_equal(calls[2].event, EVENT_XCPT);
	event_disable_readwrite(fds[0]);
	event_disable_readwrite(fds[0]);	/* twice is fine */
	assert_int_equal(event_fd_count(), 0);
	close(fds[0]);

	/* Socket peer gone after sending: data first, as EVENT_READ. */
	reset_log();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	close(fds[1]);
	event_enable_read(fds[0], record, (void *) 8);
	event_loop(1000);
	assert_int_equal(ncalls, 1);
	assert_int_equal(calls[0].event, EVENT_READ);
	event_disable_readwrite(fds[0]);
	close(fds[0]);
}

/* test_write_ready - writability, read and write together, errors */
static void
test_write_ready(void **state)
{
	int	sv[2];
	int	fds[2];

	(void) state;
	reset_log();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	event_enable_write(sv[0], record, (void *) 1);
	event_enable_read(sv[0], record, (void *) 2);
	event_loop(1000);
	assert_int_equal(ncalls, 1);
	assert_int_equal(calls[0].event, EVENT_WRITE);
	assert_int_equal(calls[0].tag, 1);
	assert_int_equal(write(sv[1], "x", 1), 1);
	event_loop(1000);
	assert_int_equal(ncalls, 3);			/* both directions */
	assert_int_equal(calls[1].event, EVENT_READ);
	assert_int_equal(calls[1].tag, 2);
	assert_int_equal(calls[2].event, EVENT_WRITE);
	event_disable_write(sv[0]);
	event_loop(0);
	assert_int_equal(ncalls, 4);
	assert_int_equal(calls[3].event, EVENT_READ);
	event_disable_read(sv[0]);
	assert_int_equal(event_fd_count(), 0);
	event_loop(0);
	assert_int_equal(ncalls, 4);
	close(sv[0]);
	close(sv[1]);

	/* A pipe whose reader is gone: EVENT_XCPT for the writer. */
	reset_log();
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	event_enable_write(fds[1], record, (void *) 3);
	event_loop(1000);
	assert_int_equal(ncalls, 1);
	assert_int_equal(calls[0].event, EVENT_XCPT);
	event_disable_readwrite(fds[1]);
	close(fds[1]);
}

/* test_timer_order - timers run in expiry order, ties in request order */
static void
test_timer_order(void **state)
{
	int64_t	start;

	(void) state;
	reset_log();
	start = event_time_update();
	event_request_timer(record, (void *) 30, 30);
	event_request_timer(record, (void *) 10, 10);
	event_request_timer(record, (void *) 20, 20);
	event_request_timer(record, (void *) 0, 0);
	assert_int_equal(event_timer_count(), 4);
	loop_until(4, 2000);
	assert_int_equal(ncalls, 4);
	assert_int_equal(calls[0].tag, 0);
	assert_int_equal(calls[1].tag, 10);
	assert_int_equal(calls[2].tag, 20);
	assert_int_equal(calls[3].tag, 30);
	assert_int_equal(calls[3].event, EVENT_TIME);
	assert_true(calls[3].when - start >= 30);
	assert_int_equal(event_timer_count(), 0);
}

/* test_timer_ties - equal expiry: first requested runs first */
static void
test_timer_ties(void **state)
{
	long	i;

	(void) state;
	reset_log();
	for (i = 1; i <= 20; i++)
		event_request_timer(record, (void *) (intptr_t) i, 0);
	usleep(2000);
	event_loop(0);
	assert_int_equal(ncalls, 20);
	for (i = 0; i < 20; i++)
		assert_int_equal(calls[i].tag, i + 1);
}

/* test_timer_replace - same fn and ctx moves the timer */
static void
test_timer_replace(void **state)
{
	int64_t	start;
	int64_t	when;

	(void) state;
	reset_log();
	start = event_time_update();
	event_request_timer(record, (void *) 1, 10);
	when = event_request_timer(record, (void *) 1, 150);
	assert_true(when - start >= 150);
	assert_int_equal(event_timer_count(), 1);
	event_request_timer(record, (void *) 2, 50);	/* other ctx: separate */
	assert_int_equal(event_timer_count(), 2);
	loop_until(2, 2000);
	assert_int_equal(ncalls, 2);
	assert_int_equal(calls[0].tag, 2);
	assert_int_equal(calls[1].tag, 1);
	assert_true(calls[1].when - start >= 150);
	/* Replacing with an earlier time works too. */
	reset_log();
	event_request_timer(record, (void *) 3, 100000);
	event_request_timer(record, (void *) 3, 0);
	loop_until(1, 1000);
	assert_int_equal(ncalls, 1);
	assert_int_equal(event_timer_count(), 0);
}

/* test_timer_cancel - cancel returns 1 once, and the timer never runs */
static void
test_timer_cancel(void **state)
{
	(void) state;
	reset_log();
	event_request_timer(record, (void *) 1, 20);
	event_request_timer(record, (void *) 2, 20);
	assert_int_equal(event_cancel_timer(record, (void *) 1), 1);
	assert_int_equal(event_cancel_timer(record, (void *) 1), 0);
	assert_int_equal(event_cancel_timer(record, (void *) 99), 0);
	loop_until(2, 300);
	assert_int_equal(ncalls, 1);
	assert_int_equal(calls[0].tag, 2);
}

static int rearm_count;

/* rearm - a timer that requests itself again with delay 0 */
static void
rearm(int event, void *ctx)
{
	(void) event;
	rearm_count++;
	event_request_timer(rearm, ctx, 0);
}

/* cancel_other - a timer that cancels another due timer */
static void
cancel_other(int event, void *ctx)
{
	(void) event;
	record(event, ctx);
	assert_int_equal(event_cancel_timer(record, (void *) 2), 1);
}

/* test_timer_from_callback - re-arming runs once per iteration */
static void
test_timer_from_callback(void **state)
{
	int	i;

	(void) state;
	rearm_count = 0;
	event_request_timer(rearm, NULL, 0);
	for (i = 0; i < 5; i++)
		event_loop(0);
	assert_true(rearm_count >= 4 && rearm_count <= 5);
	assert_int_equal(event_cancel_timer(rearm, NULL), 1);

	/* A due timer cancelled by an earlier one does not run. */
	reset_log();
	event_request_timer(cancel_other, (void *) 1, 0);
	event_request_timer(record, (void *) 2, 0);
	usleep(2000);
	event_loop(0);
	assert_int_equal(ncalls, 1);
	assert_int_equal(calls[0].tag, 1);
	assert_int_equal(event_timer_count(), 0);
}

struct closer {
	int	self;			/* own descriptor */
	int	other;			/* descriptor to disable and close */
	int	other_writer;
	int	reused;			/* new descriptor from pipe() */
	int	reused_writer;
	int	called;
};

static struct closer closers[2];

/* stale - must never be called: the new pipe is empty */
static void
stale(int event, void *ctx)
{
	(void) ctx;
	fail_msg("stale event %d delivered to a new registration", event);
}

/* close_other - disable and close the peer, reuse its number */
static void
close_other(int event, void *ctx)
{
	struct closer *c = ctx;
	int	fds[2];

	assert_int_equal(event, EVENT_READ);
	c->called++;
	event_disable_readwrite(c->other);
	close(c->other);
	close(c->other_writer);
	assert_int_equal(pipe(fds), 0);
	c->reused = fds[0];
	c->reused_writer = fds[1];
	event_enable_read(fds[0], stale, NULL);
	/* And disable itself. */
	event_disable_readwrite(c->self);
}

/* test_callback_closes - disabling/closing during dispatch is safe */
static void
test_callback_closes(void **state)
{
	int	a[2], b[2];
	struct closer *first;

	(void) state;
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	closers[0] = (struct closer) {a[0], b[0], b[1], -1, -1, 0};
	closers[1] = (struct closer) {b[0], a[0], a[1], -1, -1, 0};
	event_enable_read(a[0], close_other, closers + 0);
	event_enable_read(b[0], close_other, closers + 1);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "x", 1), 1);
	event_loop(1000);
	/* Exactly one ran; the other's pending event was dropped. */
	assert_int_equal(closers[0].called + closers[1].called, 1);
	first = closers[0].called ? closers + 0 : closers + 1;
	assert_int_equal(event_fd_count(), 1);		/* only the new pipe */
	event_loop(0);
	event_disable_readwrite(first->reused);
	close(first->reused);
	close(first->reused_writer);
	close(first->self);
	close(first == closers ? a[1] : b[1]);
	assert_int_equal(event_fd_count(), 0);
}

/* test_many_fds - more descriptors than select() could handle */
static void
test_many_fds(void **state)
{
	struct rlimit rl;
	int	(*pipes)[2];
	int	n = 700;
	int	i;

	(void) state;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2 * (rlim_t) n + 64) {
		rl.rlim_cur = rl.rlim_max;
		if (rl.rlim_cur < 2 * (rlim_t) n + 64 || setrlimit(RLIMIT_NOFILE, &rl) < 0)
			skip();
	}
	pipes = calloc((size_t) n, sizeof(*pipes));
	for (i = 0; i < n; i++) {
		assert_int_equal(pipe(pipes[i]), 0);
		event_enable_read(pipes[i][0], record, (void *) (intptr_t) i);
	}
	assert_true(pipes[n - 1][0] > 1024);
	assert_int_equal(event_fd_count(), (size_t) n);
	reset_log();
	assert_int_equal(write(pipes[n - 1][1], "x", 1), 1);
	assert_int_equal(write(pipes[3][1], "x", 1), 1);
	event_loop(1000);
	assert_int_equal(ncalls, 2);
	assert_true((calls[0].tag == n - 1 && calls[1].tag == 3)
		    || (calls[0].tag == 3 && calls[1].tag == n - 1));
	for (i = 0; i < n; i++) {
		event_disable_readwrite(pipes[i][0]);
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
	assert_int_equal(event_fd_count(), 0);
	free(pipes);
}

/* test_wait_bound - max_wait and the first timer bound the wait */
static void
test_wait_bound(void **state)
{
	int64_t	start;
	int64_t	t;

	(void) state;
	reset_log();
	start = event_time_update();
	event_loop(100);
	t = event_time_ms() - start;
	assert_true(t >= 100 && t < 1000);
	start = event_time_update();
	event_request_timer(record, (void *) 1, 80);
	event_loop(-1);				/* the timer ends the wait */
	assert_int_equal(ncalls, 1);
	t = event_time_ms() - start;
	assert_true(t >= 80 && t < 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_ready),
		cmocka_unit_test(test_write_ready),
		cmocka_unit_test(test_timer_order),
		cmocka_unit_test(test_timer_ties),
		cmocka_unit_test(test_timer_replace),
		cmocka_unit_test(test_timer_cancel),
		cmocka_unit_test(test_timer_from_callback),
		cmocka_unit_test(test_callback_closes),
		cmocka_unit_test(test_many_fds),
		cmocka_unit_test(test_wait_bound),
	};

	return (cmocka_run_group_tests_name("events", tests, NULL, NULL));
}
