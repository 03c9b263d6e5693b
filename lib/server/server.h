/*
 * NAME
 *	server - skeletons for daemons run by master(8)
 * SYNOPSIS
 *	#include <server/server.h>
 *
 *	int	single_server_main(int argc, char **argv,
 *			const struct server_ops *ops);
 *	int	multi_server_main(int argc, char **argv,
 *			const struct server_ops *ops);
 *	int	trigger_server_main(int argc, char **argv,
 *			const struct server_ops *ops);
 *
 *	void	server_disconnect(struct stream *client);
 *	int	server_is_stopping(void);
 *	int	server_is_standalone(void);
 *	extern const char *server_service_name;
 * DESCRIPTION
 *	A daemon's main() hands its callbacks to one of three skeletons
 *	and the skeleton does everything else:
 *
 *	    int main(int argc, char **argv)
 *	    {
 *		static const struct server_ops ops = {
 *		    .name = "smtpd", .service = smtpd_service,
 *		    .pre_init = smtpd_pre_init,
 *		};
 *		return (single_server_main(argc, argv, &ops));
 *	    }
 *
 *	The skeleton parses the command line master passes (see
 *	master_proto(3): -n service -t type [-s count] [-u] [-r] [-v]
 *	[-o name=value]... [--] args; also -c config_dir and -S), loads
 *	main.cf from the configuration directory (-c, else $MAIL_CONFIG,
 *	else the compiled-in default) and applies the -o overrides; it
 *	starts logging as ops->name (to maillog_file when set, to standard
 *	error in long form when master runs in the foreground, else to
 *	syslog) and calls pre_init. It then changes to queue_directory
 *	and, when started by root, chroots there if master.cf says so and
 *	drops to mail_owner (setgid, initgroups, setuid) unless master
 *	said to keep root (-u, master.cf "unpriv n"), and calls post_init.
 *	Then it serves clients from the event loop (events(3)), telling
 *	master over the status pipe whether it is busy, until it has been
 *	idle for max_idle, has served max_use clients, or master asks it
 *	to stop. Every callback runs under a watchdog of daemon_timeout
 *	seconds. on_exit runs before a normal exit.
 *
 *	The words after the options reach every callback as argv (a
 *	NULL-terminated array); service_name is the master.cf service name
 *	(e.g. "smtp", "relay", "high-prio"), also in server_service_name.
 *
 *	single_server_main() serves one client at a time: service() gets
 *	a stream for each accepted connection (blocking, no time limit set:
 *	set one); after it returns, pre_disconnect() is called and the
 *	skeleton closes the stream. smtpd, smtp, local, cleanup.
 *
 *	multi_server_main() serves many clients at once: service() is
 *	called each time a client's stream has input (also when input is
 *	left in the stream's buffer after a call), and the client stays
 *	connected until the callback calls server_disconnect() (end of
 *	file, error, or done). max_use counts clients. showq, anvil,
 *	bounce.
 *
 *	trigger_server_main() serves wake-up requests: trigger() gets the
 *	bytes of one request (a read from a fifo or datagram socket, or
 *	what one client wrote on a stream socket before it closed, at most
 *	SERVER_TRIGGER_MAX bytes). A trigger server exits neither on
 *	max_idle nor on max_use: it is woken by master.cf wakeup timers and
 *	keeps state in memory (qmgr, pickup).
 *
 *	loop(), when set, is called before each wait for events and
 *	returns the longest time to wait in milliseconds, or -1 for no
 *	limit; daemons that need timers use event_request_timer().
 *
 *	server_is_stopping() is true once master asked this process to
 *	finish (reload, stop, or master went away): a long job should wrap
 *	up; the skeleton exits as soon as the current callback returns.
 *	SIGTERM also stops the process after the current callback.
 *
 *	Stand-alone mode (-S): no master. single_server serves exactly one
 *	client on standard input and output (sendmail -bs runs smtpd -S)
 *	and exits; trigger_server calls trigger() once with an empty
 *	request and exits; multi_server refuses. Privileges are dropped as
 *	above when started by root. server_is_standalone() tells.
 * DIAGNOSTICS
 *	Bad command-line usage, a broken main.cf or override, a missing
 *	mail_owner, or failure to chroot or drop privileges is fatal (master
 *	logs the exit and throttles a service that keeps failing at
 *	start). A watchdog timeout kills the process with SIGALRM.
 * SEE ALSO
 *	master(8), master_proto(3), events(3), stream(3)
 */
#ifndef POSTERN_SERVER_H
#define POSTERN_SERVER_H

#include <util/sys_defs.h>
#include <util/stream.h>

#define SERVER_TRIGGER_MAX	1024	/* bytes of one wake-up request */

struct server_ops {
	const char *name;		/* program name for logging, e.g. "smtpd" */
	/* single/multi: one client; trigger: unused */
	void	(*service) (struct stream *client, const char *service_name, char **argv);
	/* trigger_server: one wake-up request's bytes */
	void	(*trigger) (const char *buf, size_t len, const char *service_name, char **argv);
	void	(*pre_init) (const char *service_name, char **argv);	/* before chroot/drop */
	void	(*post_init) (const char *service_name, char **argv);	/* after privilege drop */
	long	(*loop) (void);		/* before each wait: max wait ms or -1 */
	void	(*pre_disconnect) (struct stream *client);
	void	(*on_exit) (void);
	int	wakeup_while_busy;	/* trigger_server: ignored */
};

int	single_server_main(int argc, char **argv, const struct server_ops *ops);
int	multi_server_main(int argc, char **argv, const struct server_ops *ops);
int	trigger_server_main(int argc, char **argv, const struct server_ops *ops);
void	server_disconnect(struct stream *client);
int	server_is_stopping(void);
int	server_is_standalone(void);

extern const char *server_service_name;

#endif
