/*
 * NAME
 *	event_timer - timer part of the event loop (private to events.c)
 * SYNOPSIS
 *	#include <util/event_timer.h>
 *
 *	int	event_timer_next(int64_t *when);
 *	void	event_timer_new_iteration(void);
 *	void	event_timer_run(void);
 * DESCRIPTION
 *	Interface between events.c (descriptors, the loop) and
 *	event_timer.c (timers, the clock); applications use events.h.
 *
 *	event_timer_next() stores the expiry of the first timer and
 *	returns 1, or returns 0 when no timer is pending.
 *	event_timer_new_iteration() starts a loop iteration: timers
 *	requested from now on wait for the next one. event_timer_run()
 *	calls the callbacks of the timers due at event_time_ms() that were
 *	requested before the current iteration, in order.
 * SEE ALSO
 *	events(3)
 */
#ifndef POSTERN_EVENT_TIMER_H
#define POSTERN_EVENT_TIMER_H

#include <util/sys_defs.h>

int	event_timer_next(int64_t *when);
void	event_timer_new_iteration(void);
void	event_timer_run(void);

#endif
