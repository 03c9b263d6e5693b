/*
 * NAME
 *	events - single-threaded event loop: descriptors and timers
 * SYNOPSIS
 *	#include <util/events.h>
 *
 *	typedef void (*event_fn)(int event, void *ctx);
 *
 *	void	event_enable_read(int fd, event_fn fn, void *ctx);
 *	void	event_enable_write(int fd, event_fn fn, void *ctx);
 *	void	event_disable_read(int fd);
 *	void	event_disable_write(int fd);
 *	void	event_disable_readwrite(int fd);
 *
 *	int64_t	event_request_timer(event_fn fn, void *ctx, long delay_ms);
 *	int	event_cancel_timer(event_fn fn, void *ctx);
 *
 *	void	event_loop(long max_wait_ms);
 *	int64_t	event_time_ms(void);
 *	int64_t	event_time_update(void);
 *	int	event_fork(void);
 *	size_t	event_fd_count(void);
 *	size_t	event_timer_count(void);
 * DESCRIPTION
 *	Postern daemons are single-threaded and event driven, in the style
 *	of Postfix's event(3): callbacks registered for descriptor
 *	readiness or for timers, run one at a time from event_loop(). The
 *	implementation uses epoll and a monotonic clock with millisecond
 *	resolution; any number of descriptors (beyond FD_SETSIZE) is fine.
 *
 *	A callback is called as fn(event, ctx), event being one of:
 * .IP EVENT_READ
 *	the descriptor is readable (data, end of file, or a pending
 *	connection on a listening socket).
 * .IP EVENT_WRITE
 *	the descriptor is writable (or a non-blocking connect finished).
 * .IP EVENT_XCPT
 *	error or hang-up without readable data (for a read callback, e.g.
 *	a pipe whose writers are all gone) or an error condition (for a
 *	write callback, e.g. a failed connect: check SO_ERROR, or a pipe
 *	without readers). A socket whose peer has closed is readable (end
 *	of file) and gets EVENT_READ, so data sent before the close is
 *	never lost. Callbacks usually treat EVENT_XCPT like EVENT_READ and
 *	let the next read() report end of file or the error.
 * .IP EVENT_TIME
 *	the timer expired.
 * .PP
 *	event_enable_read() and event_enable_write() register fn for one
 *	direction of fd, replacing an earlier registration for that
 *	direction; read and write may be enabled at the same time with
 *	different callbacks. Registrations are level-triggered and stay
 *	until disabled. event_disable_read(), event_disable_write() and
 *	event_disable_readwrite() remove them (no-ops when not enabled).
 *	Always disable a descriptor before closing it.
 *
 *	event_request_timer() arranges for fn(EVENT_TIME, ctx) to run once,
 *	delay_ms milliseconds from now (delay_ms >= 0). A pending timer with
 *	the same fn and ctx is replaced (moved to the new time), as in
 *	Postfix. It returns the absolute expiry time on the event_time_ms()
 *	clock. event_cancel_timer() removes the timer for fn and ctx and
 *	returns 1, or 0 when there was none.
 *
 *	event_loop() runs one iteration: it waits for descriptor events for
 *	at most max_wait_ms milliseconds (-1: until something happens; 0:
 *	poll) or until the first timer is due, calls the callbacks of ready
 *	descriptors, then the callbacks of due timers in order of expiry
 *	(equal expiry: in order of request). Callbacks may enable, disable,
 *	and close any descriptor (their own included) and request or cancel
 *	timers: a descriptor disabled during dispatch gets no further
 *	callback from the current iteration, even when its number is
 *	reused by a new registration, and a timer requested from a callback
 *	runs in a later iteration at the earliest.
 *
 *	event_time_ms() returns the monotonic time in milliseconds as
 *	cached at the last event_loop() wake-up (or event_time_update(),
 *	which refreshes and returns it).
 *
 *	event_fork() must be called by a child that keeps using the event
 *	loop after fork(): it gives the child its own epoll instance with
 *	the same registrations (timers are kept). 0 or -1.
 *
 *	event_fd_count() and event_timer_count() report the number of
 *	descriptors with a registration and of pending timers.
 * DIAGNOSTICS
 *	Panic: a negative descriptor, a NULL callback, a negative delay,
 *	epoll failures other than a closed descriptor. Fatal: the epoll
 *	instance cannot be created.
 * SEE ALSO
 *	epoll(7)
 */
#ifndef POSTERN_EVENTS_H
#define POSTERN_EVENTS_H

#include <util/sys_defs.h>

#define EVENT_READ	(1 << 0)
#define EVENT_WRITE	(1 << 1)
#define EVENT_XCPT	(1 << 2)
#define EVENT_TIME	(1 << 3)

typedef void (*event_fn)(int event, void *ctx);

void	event_enable_read(int fd, event_fn fn, void *ctx);
void	event_enable_write(int fd, event_fn fn, void *ctx);
void	event_disable_read(int fd);
void	event_disable_write(int fd);
void	event_disable_readwrite(int fd);

int64_t	event_request_timer(event_fn fn, void *ctx, long delay_ms);
int	event_cancel_timer(event_fn fn, void *ctx);

void	event_loop(long max_wait_ms);
int64_t	event_time_ms(void);
int64_t	event_time_update(void);
int	event_fork(void);
size_t	event_fd_count(void);
size_t	event_timer_count(void);

#endif
