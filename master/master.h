/*
 * NAME
 *	master - private interfaces of the master daemon
 * SYNOPSIS
 *	#include "master.h"
 * DESCRIPTION
 *	master(8) keeps one struct master_serv per master.cf service and one
 *	struct master_proc per child process. A child belongs to the
 *	service that started it until a reload or stop retires it: then
 *	its serv pointer is NULL and it only waits to be reaped.
 *
 *	Modules:
 * .IP master_argv.c
 *	pure functions: a service's command line, program path, listen
 *	addresses, the spawn decision, exit status text (unit tested).
 * .IP master_conf.c
 *	main.cf and master.cf into a list of services; reload.
 * .IP master_listen.c
 *	listening sockets and fifos.
 * .IP master_spawn.c
 *	fork and exec, reaping, throttling, the process limit.
 * .IP master_status.c
 *	the children's busy/idle reports.
 * .IP master_wakeup.c
 *	master.cf wakeup timers.
 * .IP master_signal.c
 *	signals, stop and abort.
 * .IP master_lock.c
 *	pid file lock, detaching, the start-up hand-shake of -w.
 */
#ifndef POSTERN_MASTER_H
#define POSTERN_MASTER_H

#include <util/sys_defs.h>
#include <util/argv.h>
#include <util/buf.h>
#include <global/mastercf.h>
#include <server/master_proto.h>

#define MASTER_STOP_GRACE_MS	10000	/* children get this long after SIGTERM */
#define MASTER_LIMIT_WARN_SEC	1000	/* process limit warning interval */
#define MASTER_BACKLOG		100	/* listen() backlog */

struct master_serv {
	char   *name;			/* master.cf column 1 */
	enum mastercf_type type;
	char   *key;			/* "name/type" */
	int	line;			/* in master.cf */
	char   *path;			/* program to run */
	struct argv *argv;		/* its command line (built at open) */
	struct argv *listen_specs;	/* inet "host:port"s, or one path */
	char   *listen_sig;		/* type + addresses: same socket? */
	char   *desc;			/* for logs: "25", "private/smtp" */
	const struct mastercf_entry *entry;	/* valid until reload */
	int	is_unpriv;
	int	is_chroot;
	int	wakeup;			/* seconds, 0 = none */
	int	wakeup_cond;		/* only once used */
	int	is_used;		/* a process was started */
	int	max_proc;		/* 0 = no limit */
	int	listen_fd[MASTER_LISTEN_MAX];
	int	listen_count;
	int	status_fd[2];
	int	total_proc;
	int	avail_proc;
	int	is_throttled;
	int	is_listening;
	time_t	limit_warned;
	struct master_serv *next;
};

struct master_proc {
	pid_t	pid;
	struct master_serv *serv;	/* NULL when retired */
	char   *path;			/* for logging after retirement */
	int	is_avail;
	int	use_count;
};

/* Settings master keeps from the last good configuration. */
struct master_settings {
	char   *config_dir;
	char   *version;
	long	throttle_ms;
	int	is_foreground;
	int	verbose;
};

extern struct master_settings master_settings;
extern struct master_serv *master_head;
extern int master_stopping;		/* 0, or the signal */

/* master_argv.c */
void	master_program_path(struct buf *path, const char *daemon_dir,
			            const char *command);
void	master_argv_build(struct argv *argv, const struct mastercf_entry *entry,
			          int listen_count, int verbose);
int	master_inet_specs(struct argv *specs, const char *host, const char *port,
			          const char *interfaces, const char *protocols,
			          int have_ipv6, struct buf *why);
const char *master_unix_path(struct buf *path, const struct mastercf_entry *entry);
int	master_should_listen(const struct master_serv *serv, int stopping);
int	master_limit_reached(const struct master_serv *serv);
void	master_exit_text(struct buf *text, int status);
int	master_exit_is_normal(int status);
int	master_service_disabled(const char *list, const char *name, const char *type);

/* master_conf.c */
struct master_serv *master_conf_build(const struct mastercf *mcf, struct buf *why);
int	master_conf_load(struct mastercf **mcfp, struct master_serv **servp,
			         struct buf *why);
void	master_conf_install(struct mastercf *mcf, struct master_serv *head);
void	master_conf_start(struct master_serv *serv);
void	master_conf_refresh(void);
void	master_serv_free(struct master_serv *serv);

/* master_listen.c */
int	master_listen_open(struct master_serv *serv, struct buf *why);
void	master_listen_close(struct master_serv *serv, int unlink_path);
void	master_listen_adopt(struct master_serv *to, struct master_serv *from);

/* master_spawn.c */
void	master_spawn_init(void);
void	master_avail_listen(struct master_serv *serv);
void	master_avail_off(struct master_serv *serv);
void	master_reap(void);
void	master_retire(struct master_serv *serv);
void	master_throttle(struct master_serv *serv);
void	master_unthrottle_cancel(struct master_serv *serv);
void	master_signal_children(int sig);
size_t	master_child_count(void);
struct master_proc *master_proc_find(pid_t pid);

/* master_status.c */
int	master_status_open(struct master_serv *serv);
void	master_status_close(struct master_serv *serv);

/* master_wakeup.c */
void	master_wakeup_start(struct master_serv *serv);
void	master_wakeup_stop(struct master_serv *serv);

/* master_signal.c */
void	master_signal_init(void);
void	master_stop(int sig);
void	master_stop_poll(void);

/* master.c */
void	master_settings_update(void);

/* master_lock.c */
void	master_lock_pid(const char *pid_dir);
int	master_detach(int wait_for_child);
void	master_detach_done(void);

#endif
