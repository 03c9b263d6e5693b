/*
 * NAME
 *	master_proto - what master and its children agree on
 * SYNOPSIS
 *	#include <server/master_proto.h>
 *
 *	int	master_status_send(int fd, pid_t pid, int status);
 *	int	master_status_recv(int fd, struct master_status *st);
int	master_pid_test(const char *pid_file, pid_t *holder);
 *	int	master_pid_test(const char *pid_file, pid_t *holder);
 * DESCRIPTION
 *	Every child of master(8) inherits these descriptors:
 * .IP "MASTER_FLOW_READ (3), MASTER_FLOW_WRITE (4)"
 *	the two ends of the in_flow token pipe (mail_flow(3)).
 * .IP "MASTER_STATUS_FD (5)"
 *	the write end of its service's status pipe. The child writes one
 *	fixed-size struct master_status each time it changes between
 *	"available" (waiting for a client) and "taken" (serving one). A
 *	write of that size to a pipe is atomic, so all children of a
 *	service share one pipe. When master closes the read end (reload,
 *	stop, or master died), the descriptor reports an error condition
 *	and the child knows it must finish its current work and exit.
 * .IP "MASTER_LISTEN_FD (6) and up"
 *	the listening socket(s) or fifo of the service. An inet service on
 *	several addresses gets one socket each, in consecutive descriptors
 *	from 6; master then passes "-s COUNT" on the command line.
 * .PP
 *	The command line a child gets is
 *
 *	    command -n SERVICE -t TYPE [-s COUNT] [-u] [-r] [-v]
 *		[-o name=value]... [args...]
 *
 *	-n is the master.cf service name, -t its type (unix, inet, fifo,
 *	pass, unix-dgram), -u means "unprivileged = n" (a child started by
 *	root keeps root), -r means "chroot = y", -v raises verbosity, -o
 *	are the master.cf overrides, and the master.cf arguments follow
 *	(options among them, such as "-v", work as in Postfix; the first
 *	word that is not an option, or "--", ends the options).
 *	MAIL_CONFIG in the environment names the configuration directory.
 *	MASTER_ENV_LOG_STDERR in the environment asks for long log lines
 *	on standard error (master runs in the foreground without
 *	maillog_file).
 *
 *	master_status_send() writes one status record for pid: it returns 0,
 *	or -1 with errno (EPIPE when master closed the pipe).
 *	master_status_recv() reads one record from a non-blocking status
 *	pipe: it returns 1 with the record in st, 0 when nothing (more) is
 *	there, -1 at end of file (every writer gone) or on error, and -1
 *	with errno EPROTO for a record that is short or has an unknown
 *	status value.
 *
 *	master_pid_test() tells whether a master holds the fcntl() lock
 *	on pid_file (queue_directory/pid/master.pid): 1 with the holder's
 *	process ID in holder (when not NULL), 0 when not (also when the
 *	file does not exist), -1 with errno when the file cannot be opened
 *	or tested.
 * SEE ALSO
 *	master(8), server(3), mail_flow(3)
 */
#ifndef POSTERN_MASTER_PROTO_H
#define POSTERN_MASTER_PROTO_H

#include <util/sys_defs.h>
#include <global/mail_flow.h>

#define MASTER_FLOW_READ	MAIL_FLOW_READ_FD
#define MASTER_FLOW_WRITE	MAIL_FLOW_WRITE_FD
#define MASTER_STATUS_FD	5
#define MASTER_LISTEN_FD	6
#define MASTER_LISTEN_MAX	32	/* sockets per service */

#define MASTER_STAT_TAKEN	0	/* serving a client */
#define MASTER_STAT_AVAIL	1	/* waiting for a client */

#define MASTER_ENV_LOG_STDERR	"POSTERN_LOG_STDERR"

struct master_status {
	int32_t	pid;
	int32_t	status;			/* MASTER_STAT_* */
};

int	master_status_send(int fd, pid_t pid, int status);
int	master_status_recv(int fd, struct master_status *st);
int	master_pid_test(const char *pid_file, pid_t *holder);

#endif
