/*
 * NAME
 *	master_conf - services from master.cf, and reload
 * SYNOPSIS
 *	#include "master.h"
 *
 *	struct master_serv *master_head;
 *
 *	int	master_conf_load(struct mastercf **mcfp,
 *			struct master_serv **servp, struct buf *why);
 *	struct master_serv *master_conf_build(const struct mastercf *mcf,
 *			struct buf *why);
 *	void	master_conf_install(struct mastercf *mcf,
 *			struct master_serv *head);
 *	void	master_conf_start(struct master_serv *serv);
 *	void	master_conf_refresh(void);
 *	void	master_serv_free(struct master_serv *serv);
 * DESCRIPTION
 *	master_conf_load() reads master.cf of the configuration directory
 *	and builds the service list (no sockets yet); -1 with a reason
 *	("/path/master.cf, line N: ...") on error. master_conf_build()
 *	does the second half for an already parsed file: program paths,
 *	process limits (- = default_process_limit), listen addresses;
 *	services named in master_service_disable are left out.
 *
 *	master_conf_install() makes a loaded configuration the current one
 *	(master_head). master_conf_start() brings a service with open listeners to life:
 *	command line, status pipe, wakeup timer, listener watch.
 *
 *	master_conf_refresh() is SIGHUP: re-read main.cf and master.cf;
 *	if either is broken, log why and keep everything as it is.
 *	Otherwise every running process is retired (it finishes its client
 *	and exits), services that kept their listen addresses keep their
 *	sockets (no connection attempt is refused during a reload),
 *	removed services close theirs, new ones open theirs.
 */
#include <util/sys_defs.h>
#include <unistd.h>
#include <sys/socket.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/events.h>
#include <util/msg.h>
#include <global/mastercf.h>
#include <global/params.h>
#include "master.h"

struct master_serv *master_head;
static struct mastercf *master_mcf;

/* master_have_ipv6 - does the kernel do IPv6? */
static int
master_have_ipv6(void)
{
	int	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return (0);
	close(fd);
	return (1);
}

/* master_serv_listen_specs - where a service listens, and its signature */
static int
master_serv_listen_specs(struct master_serv *serv, const struct mastercf_entry *entry,
			 struct buf *why)
{
	struct buf *text = buf_new(100);
	size_t	i;

	serv->listen_specs = argv_new(2);
	if (entry->type == MASTERCF_INET) {
		if (master_inet_specs(serv->listen_specs, entry->inet_host, entry->inet_port,
				      var_inet_interfaces, var_inet_protocols,
				      master_have_ipv6(), why) < 0) {
			buf_free(text);
			return (-1);
		}
		serv->desc = xstrdup(entry->service);
	} else {
		argv_add(serv->listen_specs, master_unix_path(text, entry));
		serv->desc = xstrdup(buf_str(text));
	}
	buf_cpy(text, mastercf_type_name(entry->type));
	for (i = 0; i < serv->listen_specs->argc; i++)
		buf_appendf(text, " %s", serv->listen_specs->argv[i]);
	serv->listen_sig = buf_steal(text);
	return (0);
}

/* master_serv_new - one service from one master.cf entry */
static struct master_serv *
master_serv_new(const struct mastercf *mcf, const struct mastercf_entry *entry,
		const char *path, struct buf *why)
{
	struct master_serv *serv = xcalloc(1, sizeof(*serv));
	struct buf *text = buf_new(100);
	struct buf *reason;

	serv->name = xstrdup(entry->service);
	serv->type = entry->type;
	buf_printf(text, "%s/%s", entry->service, mastercf_type_name(entry->type));
	serv->key = xstrdup(buf_str(text));
	buf_free(text);
	serv->line = entry->line;
	serv->entry = entry;
	serv->is_unpriv = entry->is_unpriv;
	serv->is_chroot = entry->is_chroot;
	serv->wakeup = entry->wakeup;
	serv->wakeup_cond = entry->is_wakeup_conditional;
	serv->max_proc = entry->maxproc < 0 ? var_default_process_limit : entry->maxproc;
	serv->status_fd[0] = serv->status_fd[1] = -1;
	serv->path = xstrdup(path);
	if (master_serv_listen_specs(serv, entry, why) < 0) {
		reason = buf_new(100);
		buf_printf(reason, "%s, line %d: %s", mcf->path, entry->line, buf_str(why));
		buf_cpy(why, buf_str(reason));
		buf_free(reason);
		master_serv_free(serv);
		return (NULL);
	}
	if (serv->wakeup > 0 && (serv->type == MASTERCF_INET || serv->type == MASTERCF_PASS)) {
		msg_warn("%s, line %d: service %s: wakeup is not supported "
			 "for type %s -- ignored", mcf->path, entry->line, serv->name,
			 mastercf_type_name(serv->type));
		serv->wakeup = 0;
	}
	return (serv);
}

/* master_serv_free - release a service that has no sockets or pipes */
void
master_serv_free(struct master_serv *serv)
{
	free(serv->name);
	free(serv->key);
	free(serv->path);
	free(serv->listen_sig);
	free(serv->desc);
	if (serv->argv)
		argv_free(serv->argv);
	if (serv->listen_specs)
		argv_free(serv->listen_specs);
	free(serv);
}

/* master_conf_build - the service list for a parsed master.cf */
struct master_serv *
master_conf_build(const struct mastercf *mcf, struct buf *why)
{
	struct master_serv *head = NULL, **tail = &head, *serv, *next;
	struct buf *path = buf_new(100);
	const struct mastercf_entry *entry;
	size_t	i;

	buf_reset(why);
	for (i = 0; i < mcf->count; i++) {
		entry = mcf->entries + i;
		if (master_service_disabled(var_master_service_disable, entry->service,
					    mastercf_type_name(entry->type)))
			continue;
		master_program_path(path, var_daemon_directory, entry->command);
		if ((serv = master_serv_new(mcf, entry, buf_str(path), why)) == NULL) {
			for (serv = head; serv; serv = next) {
				next = serv->next;
				master_serv_free(serv);
			}
			head = NULL;
			break;
		}
		*tail = serv;
		tail = &serv->next;
	}
	buf_free(path);
	return (head);
}

/* master_conf_load - read master.cf and build its services */
int
master_conf_load(struct mastercf **mcfp, struct master_serv **servp,
		 struct buf *why)
{
	struct buf *path = buf_new(100);
	struct mastercf *mcf;

	buf_printf(path, "%s/master.cf", master_settings.config_dir);
	mcf = mastercf_load(buf_str(path), why);
	buf_free(path);
	if (mcf == NULL)
		return (-1);
	*servp = master_conf_build(mcf, why);
	if (*servp == NULL && buf_len(why) > 0) {
		mastercf_free(mcf);
		return (-1);
	}
	*mcfp = mcf;
	return (0);
}

/* master_conf_install - make a loaded configuration the current one */
void
master_conf_install(struct mastercf *mcf, struct master_serv *head)
{
	if (master_mcf)
		mastercf_free(master_mcf);
	master_mcf = mcf;
	master_head = head;
}

/* master_conf_start - command line, status pipe, timers, listener watch */
void
master_conf_start(struct master_serv *serv)
{
	serv->argv = argv_new(16);
	master_argv_build(serv->argv, serv->entry, serv->listen_count,
			  master_settings.verbose);
	if (master_status_open(serv) < 0) {
		msg_warn("service %s: cannot create status pipe: %m -- not started",
			 serv->name);
		return;
	}
	master_wakeup_start(serv);
	master_avail_listen(serv);
}

/* master_conf_find - a service of the same name, type and addresses */
static struct master_serv *
master_conf_find(struct master_serv *head, const struct master_serv *like)
{
	for (; head; head = head->next)
		if (strcmp(head->key, like->key) == 0
		    && strcmp(head->listen_sig, like->listen_sig) == 0
		    && head->listen_count > 0)
			return (head);
	return (NULL);
}

/* master_conf_retire_all - old services: no more children, no watches */
static void
master_conf_retire_all(struct master_serv *head)
{
	struct master_serv *serv;

	for (serv = head; serv; serv = serv->next) {
		master_retire(serv);
		master_avail_off(serv);
		master_status_close(serv);
		master_wakeup_stop(serv);
		master_unthrottle_cancel(serv);
	}
}

/* master_conf_switch - move from the old services to the new */
static void
master_conf_switch(struct master_serv *old_head, struct master_serv *new_head)
{
	struct master_serv *serv, *old, *next;
	struct buf *why = buf_new(100);

	master_conf_retire_all(old_head);
	for (serv = new_head; serv; serv = serv->next)
		if ((old = master_conf_find(old_head, serv)) != NULL)
			master_listen_adopt(serv, old);
	for (old = old_head; old; old = next) {
		next = old->next;
		master_listen_close(old, 1);
		master_serv_free(old);
	}
	for (serv = new_head; serv; serv = serv->next) {
		if (serv->listen_count == 0 && master_listen_open(serv, why) < 0) {
			msg_error("%s -- service %s not started", buf_str(why), serv->name);
			continue;
		}
		master_conf_start(serv);
	}
	buf_free(why);
}

/* master_conf_refresh - SIGHUP: re-read the configuration */
void
master_conf_refresh(void)
{
	struct buf *why = buf_new(100);
	struct mastercf *mcf;
	struct master_serv *head;

	if (params_load(master_settings.config_dir, why) < 0
	    || master_conf_load(&mcf, &head, why) < 0) {
		msg_error("reload failed: %s -- keeping the running configuration",
			  buf_str(why));
		buf_free(why);
		return;
	}
	buf_free(why);
	master_settings_update();
	msg_info("reload -- version %s, configuration %s", master_settings.version,
		 master_settings.config_dir);
	master_conf_switch(master_head, head);
	master_conf_install(mcf, head);
}
