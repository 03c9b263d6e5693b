/*
 * NAME
 *	master_argv - pure decisions of master: command lines, addresses
 * SYNOPSIS
 *	#include "master.h"
 *
 *	void	master_program_path(struct buf *path, const char *daemon_dir,
 *			const char *command);
 *	void	master_argv_build(struct argv *argv,
 *			const struct mastercf_entry *entry, int listen_count,
 *			int verbose);
 *	int	master_inet_specs(struct argv *specs, const char *host,
 *			const char *port, const char *interfaces,
 *			const char *protocols, int have_ipv6, struct buf *why);
 *	const char *master_unix_path(struct buf *path,
 *			const struct mastercf_entry *entry);
 *	int	master_should_listen(const struct master_serv *serv, int stopping);
 *	int	master_limit_reached(const struct master_serv *serv);
 *	void	master_exit_text(struct buf *text, int status);
 *	int	master_exit_is_normal(int status);
 *	int	master_service_disabled(const char *list, const char *name,
 *			const char *type);
 * DESCRIPTION
 *	These functions touch no global state and no system, so unit tests
 *	can check every rule of how master runs its services.
 *
 *	master_program_path() is command itself when it is absolute, else
 *	daemon_dir/command.
 *
 *	master_argv_build() appends the command line of a child (see
 *	master_proto(3)): command, -n service, -t type, -s count (more than
 *	one listener), -u (unpriv n), -r (chroot y), -v per verbose level,
 *	-o name=value for each override, then the master.cf arguments.
 *
 *	master_inet_specs() appends the "host:port" / "[addr]:port" specs
 *	an inet service listens on: its own host when master.cf names one,
 *	else each of inet_interfaces ("all": the wildcard address of each
 *	enabled protocol; "loopback-only": 127.0.0.1 and ::1), filtered by
 *	inet_protocols ("all", "ipv4", "ipv6", or a list). have_ipv6 tells
 *	whether the kernel supports IPv6: "all" then quietly means IPv4
 *	only, while an explicit "ipv6" is an error. It returns 0, or -1 with
 *	a reason in why.
 *
 *	master_unix_path() is "private/NAME" or "public/NAME" (relative
 *	to queue_directory, where master runs) for unix, fifo, pass and
 *	unix-dgram services.
 *
 *	master_should_listen() is the spawn rule: master watches a
 *	service's listeners (and starts a process when a client shows up)
 *	only while no process of it is available, it is below its process
 *	limit, it is not throttled, and master is not stopping.
 *	master_limit_reached() is true when every process of a service with
 *	a limit above one is busy and the limit is reached.
 *
 *	master_exit_text() describes a wait(2) status as Postfix does:
 *	"exit status N" or "killed by signal N". master_exit_is_normal() is
 *	true for exit status 0 only.
 *
 *	master_service_disabled() matches master_service_disable items:
 *	a type ("inet") or a service ("smtp.inet", also "smtp/inet").
 */
#include <util/sys_defs.h>
#include <sys/wait.h>
#include <strings.h>
#include <arpa/inet.h>
#include <util/argv.h>
#include <util/buf.h>
#include "master.h"

/* master_program_path - the program file of a service */
void
master_program_path(struct buf *path, const char *daemon_dir, const char *command)
{
	if (*command == '/')
		buf_cpy(path, command);
	else
		buf_printf(path, "%s/%s", daemon_dir, command);
}

/* master_argv_build - the command line master runs */
void
master_argv_build(struct argv *argv, const struct mastercf_entry *entry,
		  int listen_count, int verbose)
{
	char	count[16];
	size_t	i;
	const char *slash = strrchr(entry->command, '/');

	argv_add(argv, slash ? slash + 1 : entry->command);
	argv_add(argv, "-n");
	argv_add(argv, entry->service);
	argv_add(argv, "-t");
	argv_add(argv, mastercf_type_name(entry->type));
	if (listen_count > 1) {
		snprintf(count, sizeof(count), "%d", listen_count);
		argv_add(argv, "-s");
		argv_add(argv, count);
	}
	if (!entry->is_unpriv)
		argv_add(argv, "-u");
	if (entry->is_chroot)
		argv_add(argv, "-r");
	while (verbose-- > 0)
		argv_add(argv, "-v");
	for (i = 0; entry->overrides && i < entry->overrides->argc; i++) {
		argv_add(argv, "-o");
		argv_add(argv, entry->overrides->argv[i]);
	}
	for (i = 0; entry->args && i < entry->args->argc; i++)
		argv_add(argv, entry->args->argv[i]);
}

/* master_protocols - inet_protocols to a v4/v6 pair */
static int
master_protocols(const char *protocols, int have_ipv6, int *v4, int *v6,
		 struct buf *why)
{
	struct argv *list = argv_split(protocols, ARGV_LIST_DELIMS);
	size_t	i;
	int	ret = 0;

	*v4 = *v6 = 0;
	for (i = 0; i < list->argc && ret == 0; i++) {
		if (strcasecmp(list->argv[i], "all") == 0) {
			*v4 = 1;
			*v6 = have_ipv6;
		} else if (strcasecmp(list->argv[i], "ipv4") == 0) {
			*v4 = 1;
		} else if (strcasecmp(list->argv[i], "ipv6") == 0) {
			if (!have_ipv6)
				ret = (buf_printf(why, "inet_protocols: IPv6 is not "
						  "supported by this system"), -1);
			*v6 = 1;
		} else {
			ret = (buf_printf(why, "bad inet_protocols value: %s",
					  list->argv[i]), -1);
		}
	}
	argv_free(list);
	if (ret == 0 && !*v4 && !*v6)
		ret = (buf_printf(why, "inet_protocols enables no protocol"), -1);
	return (ret);
}

/* master_add_addr - one address literal or host name, if its family is on */
static void
master_add_addr(struct argv *specs, const char *addr, const char *port,
		int v4, int v6)
{
	struct buf *spec = buf_new(64);
	struct in_addr in4;
	size_t	len = strlen(addr);

	if (*addr == '[' && len > 2 && addr[len - 1] == ']') {
		buf_catn(spec, addr + 1, len - 2);
		addr = buf_str(spec);
	}
	if (strchr(addr, ':') != NULL) {
		if (v6) {
			struct buf *out = buf_new(64);

			buf_printf(out, "[%s]:%s", addr, port);
			argv_add(specs, buf_str(out));
			buf_free(out);
		}
	} else if (inet_pton(AF_INET, addr, &in4) != 1 || v4) {
		struct buf *out = buf_new(64);

		buf_printf(out, "%s:%s", addr, port);
		argv_add(specs, buf_str(out));
		buf_free(out);
	}
	buf_free(spec);
}

/* master_inet_specs - the addresses an inet service listens on */
int
master_inet_specs(struct argv *specs, const char *host, const char *port,
		  const char *interfaces, const char *protocols, int have_ipv6,
		  struct buf *why)
{
	struct argv *list;
	size_t	i;
	size_t	start = specs->argc;
	int	v4, v6;

	if (master_protocols(protocols, have_ipv6, &v4, &v6, why) < 0)
		return (-1);
	if (host != NULL && *host && strcmp(host, "*") != 0) {
		master_add_addr(specs, host, port, 1, 1);
		return (0);
	}
	list = argv_split(interfaces, ARGV_LIST_DELIMS);
	for (i = 0; i < list->argc; i++) {
		if (strcasecmp(list->argv[i], "all") == 0) {
			master_add_addr(specs, "0.0.0.0", port, v4, 0);
			master_add_addr(specs, "::", port, 0, v6);
		} else if (strcasecmp(list->argv[i], "loopback-only") == 0) {
			master_add_addr(specs, "127.0.0.1", port, v4, 0);
			master_add_addr(specs, "::1", port, 0, v6);
		} else {
			master_add_addr(specs, list->argv[i], port, v4, v6);
		}
	}
	argv_free(list);
	if (specs->argc == start) {
		buf_printf(why, "no address to listen on for port %s "
			   "(inet_interfaces = %s, inet_protocols = %s)",
			   port, interfaces, protocols);
		return (-1);
	}
	if (specs->argc - start > MASTER_LISTEN_MAX) {
		buf_printf(why, "too many addresses to listen on for port %s (limit %d)",
			   port, MASTER_LISTEN_MAX);
		return (-1);
	}
	return (0);
}

/* master_unix_path - where a local service's socket or fifo lives */
const char *
master_unix_path(struct buf *path, const struct mastercf_entry *entry)
{
	buf_printf(path, "%s/%s", entry->is_private ? "private" : "public",
		   entry->service);
	return (buf_str(path));
}

/* master_should_listen - watch the listeners for new clients? */
int
master_should_listen(const struct master_serv *serv, int stopping)
{
	if (stopping || serv->is_throttled || serv->listen_count == 0)
		return (0);
	if (serv->avail_proc > 0)
		return (0);
	return (serv->max_proc == 0 || serv->total_proc < serv->max_proc);
}

/* master_limit_reached - all busy at the process limit? */
int
master_limit_reached(const struct master_serv *serv)
{
	return (serv->max_proc > 1 && serv->avail_proc == 0
		&& serv->total_proc >= serv->max_proc);
}

/* master_exit_text - "exit status N" or "killed by signal N" */
void
master_exit_text(struct buf *text, int status)
{
	if (WIFEXITED(status))
		buf_printf(text, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		buf_printf(text, "killed by signal %d", WTERMSIG(status));
	else
		buf_printf(text, "terminated with wait status 0x%x", (unsigned) status);
}

/* master_exit_is_normal - exit status 0? */
int
master_exit_is_normal(int status)
{
	return (WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* master_service_disabled - is a service listed in master_service_disable? */
int
master_service_disabled(const char *list, const char *name, const char *type)
{
	struct argv *items = argv_split(list ? list : "", ARGV_LIST_DELIMS);
	size_t	i;
	size_t	nlen = strlen(name);
	int	hit = 0;

	for (i = 0; i < items->argc && !hit; i++) {
		const char *item = items->argv[i];

		if (strcmp(item, type) == 0)
			hit = 1;
		else if (strncmp(item, name, nlen) == 0
			 && (item[nlen] == '.' || item[nlen] == '/')
			 && strcmp(item + nlen + 1, type) == 0)
			hit = 1;
	}
	argv_free(items);
	return (hit);
}
