/*
 * NAME
 *	event_timer - timers and the clock of the event loop
 * SYNOPSIS
 *	#include <util/events.h>
 *
 *	int64_t	event_request_timer(event_fn fn, void *ctx, long delay_ms);
 *	int	event_cancel_timer(event_fn fn, void *ctx);
 *	int64_t	event_time_ms(void);
 *	int64_t	event_time_update(void);
 *	size_t	event_timer_count(void);
 *
 *	#include <util/event_timer.h>
 *
 *	int	event_timer_next(int64_t *when);
 *	void	event_timer_new_iteration(void);
 *	void	event_timer_run(void);
 * DESCRIPTION
 *	The timer half of events(3). Pending timers sit in a binary heap
 *	ordered by expiry and then by request sequence, and in a hash
 *	table keyed by (callback, context) so that a repeated request for
 *	the same pair finds and moves the existing timer. The clock is
 *	CLOCK_MONOTONIC in milliseconds.
 * SEE ALSO
 *	events.c, event_timer.h
 */
#include <util/sys_defs.h>
#include <time.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/events.h>
#include <util/event_timer.h>

struct event_timer {
	event_fn fn;
	void   *ctx;
	int64_t	when;			/* expiry, event_time_ms() clock */
	uint64_t seq;			/* request order, breaks ties */
	uint64_t iteration;		/* loop iteration of the request */
	size_t	heap_idx;
	struct event_timer *hnext;	/* hash chain */
};

static struct event_timer **timer_heap;
static size_t timer_count;
static size_t timer_heap_cap;
static struct event_timer **timer_hash;
static size_t timer_hash_size;		/* a power of two */
static uint64_t timer_seq;
static uint64_t timer_iteration;
static int64_t event_now;

/* event_time_update - read the clock into the cache */
int64_t
event_time_update(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	event_now = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return (event_now);
}

/* event_time_ms - cached monotonic time */
int64_t
event_time_ms(void)
{
	return (event_now ? event_now : event_time_update());
}

/* timer_hash_index - bucket for (fn, ctx) */
static size_t
timer_hash_index(event_fn fn, void *ctx, size_t size)
{
	uintptr_t fbits = 0;
	uint64_t h;

	memcpy(&fbits, &fn, sizeof(fbits) < sizeof(fn) ? sizeof(fbits) : sizeof(fn));
	h = (uint64_t) fbits * 0x9E3779B97F4A7C15ULL;
	h ^= (uint64_t) (uintptr_t) ctx * 0xC2B2AE3D27D4EB4FULL;
	h ^= h >> 29;
	return ((size_t) h & (size - 1));
}

/* timer_hash_find - the pending timer for (fn, ctx), or NULL */
static struct event_timer *
timer_hash_find(event_fn fn, void *ctx)
{
	struct event_timer *t;

	if (timer_hash_size == 0)
		return (NULL);
	for (t = timer_hash[timer_hash_index(fn, ctx, timer_hash_size)]; t; t = t->hnext)
		if (t->fn == fn && t->ctx == ctx)
			return (t);
	return (NULL);
}

/* timer_hash_grow - keep chains short */
static void
timer_hash_grow(void)
{
	struct event_timer **old = timer_hash;
	size_t	old_size = timer_hash_size;
	struct event_timer *t, *next;
	size_t	i, h;

	timer_hash_size = old_size ? old_size * 2 : 64;
	timer_hash = xcalloc(timer_hash_size, sizeof(*timer_hash));
	for (i = 0; i < old_size; i++) {
		for (t = old[i]; t; t = next) {
			next = t->hnext;
			h = timer_hash_index(t->fn, t->ctx, timer_hash_size);
			t->hnext = timer_hash[h];
			timer_hash[h] = t;
		}
	}
	free(old);
}

/* timer_hash_remove - unlink t from its chain */
static void
timer_hash_remove(struct event_timer *t)
{
	struct event_timer **pp;

	pp = timer_hash + timer_hash_index(t->fn, t->ctx, timer_hash_size);
	while (*pp != t)
		pp = &(*pp)->hnext;
	*pp = t->hnext;
}

/* timer_before - heap order: earlier expiry, then earlier request */
static int
timer_before(const struct event_timer *a, const struct event_timer *b)
{
	return (a->when < b->when || (a->when == b->when && a->seq < b->seq));
}

/* timer_heap_set - place t at index i */
static void
timer_heap_set(size_t i, struct event_timer *t)
{
	timer_heap[i] = t;
	t->heap_idx = i;
}

/* timer_sift_up - restore heap order above i */
static void
timer_sift_up(size_t i)
{
	struct event_timer *t = timer_heap[i];

	while (i > 0 && timer_before(t, timer_heap[(i - 1) / 2])) {
		timer_heap_set(i, timer_heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	timer_heap_set(i, t);
}

/* timer_sift_down - restore heap order below i */
static void
timer_sift_down(size_t i)
{
	struct event_timer *t = timer_heap[i];
	size_t	child;

	while ((child = 2 * i + 1) < timer_count) {
		if (child + 1 < timer_count
		    && timer_before(timer_heap[child + 1], timer_heap[child]))
			child++;
		if (!timer_before(timer_heap[child], t))
			break;
		timer_heap_set(i, timer_heap[child]);
		i = child;
	}
	timer_heap_set(i, t);
}

/* timer_heap_remove - take t out of the heap */
static void
timer_heap_remove(struct event_timer *t)
{
	struct event_timer *last;

	timer_count--;
	if (t->heap_idx == timer_count)
		return;
	last = timer_heap[timer_count];
	timer_heap_set(t->heap_idx, last);
	timer_sift_up(last->heap_idx);
	timer_sift_down(last->heap_idx);
}

/* timer_insert - a new timer into heap and hash */
static struct event_timer *
timer_insert(event_fn fn, void *ctx)
{
	struct event_timer *t = xcalloc(1, sizeof(*t));
	size_t	h;

	if (timer_count >= timer_hash_size)
		timer_hash_grow();
	if (timer_count == timer_heap_cap) {
		timer_heap_cap = timer_heap_cap ? timer_heap_cap * 2 : 64;
		timer_heap = xreallocarray(timer_heap, timer_heap_cap, sizeof(*timer_heap));
	}
	t->fn = fn;
	t->ctx = ctx;
	h = timer_hash_index(fn, ctx, timer_hash_size);
	t->hnext = timer_hash[h];
	timer_hash[h] = t;
	timer_heap_set(timer_count++, t);
	return (t);
}

/* event_request_timer - run fn(EVENT_TIME, ctx) after delay_ms */
int64_t
event_request_timer(event_fn fn, void *ctx, long delay_ms)
{
	struct event_timer *t;
	int64_t	now = event_time_update();

	if (fn == NULL || delay_ms < 0)
		msg_panic("event_request_timer: null callback or bad delay %ld", delay_ms);
	if ((t = timer_hash_find(fn, ctx)) == NULL)
		t = timer_insert(fn, ctx);
	t->when = (int64_t) delay_ms > INT64_MAX - now ? INT64_MAX : now + delay_ms;
	t->seq = ++timer_seq;
	t->iteration = timer_iteration;
	timer_sift_up(t->heap_idx);
	timer_sift_down(t->heap_idx);
	return (t->when);
}

/* event_cancel_timer - remove the timer for (fn, ctx) */
int
event_cancel_timer(event_fn fn, void *ctx)
{
	struct event_timer *t;

	if ((t = timer_hash_find(fn, ctx)) == NULL)
		return (0);
	timer_heap_remove(t);
	timer_hash_remove(t);
	free(t);
	return (1);
}

/* event_timer_count - pending timers */
size_t
event_timer_count(void)
{
	return (timer_count);
}

/* event_timer_next - expiry of the first timer */
int
event_timer_next(int64_t *when)
{
	if (timer_count == 0)
		return (0);
	*when = timer_heap[0]->when;
	return (1);
}

/* event_timer_new_iteration - later requests wait for the next one */
void
event_timer_new_iteration(void)
{
	timer_iteration++;
}

/* event_timer_run - call the due timers of earlier iterations */
void
event_timer_run(void)
{
	struct event_timer *t;
	event_fn fn;
	void   *ctx;

	while (timer_count > 0) {
		t = timer_heap[0];
		if (t->when > event_now || t->iteration == timer_iteration)
			break;
		timer_heap_remove(t);
		timer_hash_remove(t);
		fn = t->fn;
		ctx = t->ctx;
		free(t);
		fn(EVENT_TIME, ctx);
	}
}
