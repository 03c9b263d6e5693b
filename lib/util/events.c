/*
 * NAME
 *	events - single-threaded event loop: descriptors and timers
 * SYNOPSIS
 *	#include <util/events.h>
 * DESCRIPTION
 *	Implementation of events(3); the interface is documented in
 *	events.h. Descriptor registrations live in a table indexed by fd
 *	that grows as needed. Each registration made on an idle descriptor
 *	gets a new generation number, which goes into the epoll data next
 *	to the fd: an event from epoll_wait() whose generation no longer
 *	matches (the descriptor was disabled, maybe closed and reused, by
 *	an earlier callback of the same iteration) is dropped.
 *
 *	Timers are kept in a binary heap ordered by (expiry, sequence) and
 *	in a hash table keyed by (callback, context), so request, replace
 *	and cancel cost O(log n). A timer records the loop iteration in
 *	which it was requested; due timers of the current iteration are
 *	left for the next one, so a callback that re-arms itself with delay
 *	0 cannot starve descriptor events.
 * SEE ALSO
 *	event_timer.c
 */
#include <util/sys_defs.h>
#include <sys/epoll.h>
#include <limits.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/events.h>
#include <util/event_timer.h>

#define EVENT_MAX_READY	256

struct event_fd {
	event_fn read_fn;
	void   *read_ctx;
	event_fn write_fn;
	void   *write_ctx;
	uint32_t gen;			/* registration generation */
	uint32_t mask;			/* epoll events registered */
};

static struct event_fd *event_fds;
static size_t event_fds_cap;
static size_t event_fds_used;
static int event_epfd = -1;
static uint32_t event_gen;

/* event_init - create the epoll instance once */
static void
event_init(void)
{
	if (event_epfd >= 0)
		return;
	if ((event_epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		msg_fatal("epoll_create1: %m");
	event_time_update();
}

/* event_slot - table entry for fd, growing the table */
static struct event_fd *
event_slot(int fd, const char *myname)
{
	size_t	cap;

	if (fd < 0)
		msg_panic("%s: bad file descriptor %d", myname, fd);
	if ((size_t) fd >= event_fds_cap) {
		cap = event_fds_cap ? event_fds_cap : 64;
		while (cap <= (size_t) fd)
			cap *= 2;
		event_fds = xreallocarray(event_fds, cap, sizeof(*event_fds));
		memset(event_fds + event_fds_cap, 0,
		       (cap - event_fds_cap) * sizeof(*event_fds));
		event_fds_cap = cap;
	}
	return (event_fds + fd);
}

/* event_ctl - make epoll's interest in fd match the table */
static void
event_ctl(int fd, struct event_fd *ef)
{
	struct epoll_event ev;
	uint32_t want = (ef->read_fn ? EPOLLIN : 0) | (ef->write_fn ? EPOLLOUT : 0);
	int	op;

	if (want == ef->mask)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.u64 = (uint64_t) (uint32_t) fd | (uint64_t) ef->gen << 32;
	op = want == 0 ? EPOLL_CTL_DEL : ef->mask == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
	if (epoll_ctl(event_epfd, op, fd, &ev) < 0) {
		if (op == EPOLL_CTL_DEL && (errno == EBADF || errno == ENOENT))
			;				/* closed before disable */
		else if (op == EPOLL_CTL_MOD && errno == ENOENT
			 && epoll_ctl(event_epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
			;				/* closed and reopened */
		else if (op == EPOLL_CTL_ADD && errno == EEXIST
			 && epoll_ctl(event_epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
			;
		else
			msg_panic("epoll_ctl: fd %d: %m", fd);
	}
	if (ef->mask == 0 && want != 0)
		event_fds_used++;
	else if (ef->mask != 0 && want == 0)
		event_fds_used--;
	ef->mask = want;
}

/* event_enable - register one direction of fd */
static void
event_enable(int fd, int is_write, event_fn fn, void *ctx, const char *myname)
{
	struct event_fd *ef;

	if (fn == NULL)
		msg_panic("%s: fd %d: null callback", myname, fd);
	event_init();
	ef = event_slot(fd, myname);
	if (ef->mask == 0 && (ef->gen = ++event_gen) == 0)
		ef->gen = event_gen = 1;	/* 0 means idle */
	if (is_write) {
		ef->write_fn = fn;
		ef->write_ctx = ctx;
	} else {
		ef->read_fn = fn;
		ef->read_ctx = ctx;
	}
	event_ctl(fd, ef);
}

/* event_enable_read - call fn when fd is readable */
void
event_enable_read(int fd, event_fn fn, void *ctx)
{
	event_enable(fd, 0, fn, ctx, "event_enable_read");
}

/* event_enable_write - call fn when fd is writable */
void
event_enable_write(int fd, event_fn fn, void *ctx)
{
	event_enable(fd, 1, fn, ctx, "event_enable_write");
}

/* event_disable - drop the registrations selected by read/write */
static void
event_disable(int fd, int is_read, int is_write, const char *myname)
{
	struct event_fd *ef;

	if (fd < 0)
		msg_panic("%s: bad file descriptor %d", myname, fd);
	if ((size_t) fd >= event_fds_cap || event_epfd < 0)
		return;
	ef = event_fds + fd;
	if (is_read) {
		ef->read_fn = NULL;
		ef->read_ctx = NULL;
	}
	if (is_write) {
		ef->write_fn = NULL;
		ef->write_ctx = NULL;
	}
	event_ctl(fd, ef);
	if (ef->mask == 0)
		ef->gen = 0;
}

/* event_disable_read - stop watching fd for input */
void
event_disable_read(int fd)
{
	event_disable(fd, 1, 0, "event_disable_read");
}

/* event_disable_write - stop watching fd for output */
void
event_disable_write(int fd)
{
	event_disable(fd, 0, 1, "event_disable_write");
}

/* event_disable_readwrite - stop watching fd */
void
event_disable_readwrite(int fd)
{
	event_disable(fd, 1, 1, "event_disable_readwrite");
}

/* event_live - the registration of fd if it is still generation gen */
static struct event_fd *
event_live(int fd, uint32_t gen)
{
	if ((size_t) fd >= event_fds_cap || event_fds[fd].gen != gen)
		return (NULL);
	return (event_fds + fd);
}

/* event_dispatch_fd - run the callbacks for one ready descriptor */
static void
event_dispatch_fd(const struct epoll_event *ev)
{
	int	fd = (int) (uint32_t) ev->data.u64;
	uint32_t gen = (uint32_t) (ev->data.u64 >> 32);
	uint32_t e = ev->events;
	struct event_fd *ef;

	/* Look up again before each call: callbacks change the table. */
	if ((ef = event_live(fd, gen)) != NULL && ef->read_fn
	    && (e & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		ef->read_fn((e & EPOLLIN) ? EVENT_READ : EVENT_XCPT, ef->read_ctx);
	if ((ef = event_live(fd, gen)) != NULL && ef->write_fn
	    && (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		ef->write_fn((e & EPOLLOUT) && !(e & EPOLLERR) ?
			     EVENT_WRITE : EVENT_XCPT, ef->write_ctx);
}

/* event_wait_ms - how long epoll_wait may sleep */
static int
event_wait_ms(long max_wait_ms)
{
	int64_t	wait = max_wait_ms;
	int64_t	next;

	if (event_timer_next(&next)) {
		next -= event_time_update();
		if (next < 0)
			next = 0;
		if (wait < 0 || next < wait)
			wait = next;
	}
	return (wait > INT_MAX ? INT_MAX : (int) wait);
}

/* event_loop - one iteration: wait, run descriptor and timer callbacks */
void
event_loop(long max_wait_ms)
{
	static struct epoll_event ready[EVENT_MAX_READY];
	int	n;
	int	i;

	event_init();
	event_timer_new_iteration();
	n = epoll_wait(event_epfd, ready, EVENT_MAX_READY, event_wait_ms(max_wait_ms));
	if (n < 0 && errno != EINTR)
		msg_panic("epoll_wait: %m");
	event_time_update();
	for (i = 0; i < n; i++)
		event_dispatch_fd(ready + i);
	event_timer_run();
}

/* event_fork - give a forked child its own epoll instance */
int
event_fork(void)
{
	struct epoll_event ev;
	size_t	fd;

	if (event_epfd < 0)
		return (0);
	(void) close(event_epfd);
	if ((event_epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return (-1);
	for (fd = 0; fd < event_fds_cap; fd++) {
		if (event_fds[fd].mask == 0)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.events = event_fds[fd].mask;
		ev.data.u64 = (uint64_t) fd | (uint64_t) event_fds[fd].gen << 32;
		if (epoll_ctl(event_epfd, EPOLL_CTL_ADD, (int) fd, &ev) < 0)
			return (-1);
	}
	return (0);
}

/* event_fd_count - descriptors with a registration */
size_t
event_fd_count(void)
{
	return (event_fds_used);
}
