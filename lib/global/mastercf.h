/*
 * NAME
 *	mastercf - master.cf parser
 * SYNOPSIS
 *	#include <global/mastercf.h>
 *
 *	struct mastercf *mastercf_load(const char *path, struct buf *why);
 *	struct mastercf *mastercf_parse(const char *path, const char *text,
 *		struct buf *why);
 *	void	mastercf_free(struct mastercf *mcf);
 *	const struct mastercf_entry *mastercf_find(const struct mastercf *mcf,
 *		const char *service, const char *type);
 *	const char *mastercf_override(const struct mastercf_entry *entry,
 *		const char *name);
 *	const char *mastercf_type_name(enum mastercf_type type);
 *	void	mastercf_format(const struct mastercf_entry *entry, int fold,
 *		struct buf *out);
 * DESCRIPTION
 *	master.cf has Postfix's format: one service per logical line,
 *
 *	    service type private unpriv chroot wakeup maxproc command [args]
 *
 *	lines that begin with white space continue the previous line, lines
 *	whose first non-blank character is "#" are comments. "-" in the
 *	private, unpriv, chroot, wakeup and maxproc columns takes the default:
 *	private y (inet services are never private), unpriv y, chroot n,
 *	wakeup 0 (none), maxproc default_process_limit (stored as -1). A
 *	wakeup time may end in "?" (only wake up a service that is in use).
 *	maxproc 0 means no limit.
 *
 *	Types: unix, inet, fifo, pass, unix-dgram. An inet service is "port",
 *	"host:port", "[addr]:port" or "[ipv6addr]:port"; inet_host is NULL
 *	when no host is given. Other service names may not contain "/".
 *
 *	After the command come its arguments. "-o name=value", "-oname=value"
 *	and "-o { name = value }" set a parameter for this service only:
 *	they go, as "name=value" and in order, to overrides. Every other word
 *	goes to args; a word that begins with "{" extends to the matching "}"
 *	and is stored without the braces and the white space inside them.
 *	The command line master runs is "command -o item... args...".
 *
 *	mastercf_load() reads a file; mastercf_parse() parses text in memory
 *	(path is used in messages). Both return NULL with why set to
 *	"PATH, line N: reason" for a missing column, a bad type, a bad
 *	y/n/- flag, a bad wakeup time or process limit, a bad inet address,
 *	a "-o" without "name=value", an unbalanced "{", or a duplicate
 *	service/type pair.
 *
 *	mastercf_find() returns the entry for service and type (type NULL:
 *	the first entry with that service name) or NULL. mastercf_override()
 *	returns the value of the last "-o name=value" of an entry, or NULL.
 *
 *	mastercf_format() appends an entry in postconf -M layout: the columns
 *	padded to Postfix's column positions, then command, -o items and
 *	arguments; with fold, each -o item and argument group on its own
 *	continuation line indented by two spaces.
 * SEE ALSO
 *	params(3), master(8), postconf(1)
 */
#ifndef POSTERN_MASTERCF_H
#define POSTERN_MASTERCF_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/argv.h>

enum mastercf_type {
	MASTERCF_UNIX,
	MASTERCF_INET,
	MASTERCF_FIFO,
	MASTERCF_PASS,
	MASTERCF_UNIX_DGRAM,
};

struct mastercf_entry {
	char   *service;		/* column 1 as written */
	enum mastercf_type type;
	int	is_private;
	int	is_unpriv;
	int	is_chroot;
	int	wakeup;			/* seconds, 0 = none */
	int	is_wakeup_conditional;	/* "60?" */
	int	maxproc;		/* -1 = default_process_limit, 0 = no limit */
	char   *command;
	struct argv *args;		/* arguments other than -o */
	struct argv *overrides;		/* "name=value", in order */
	char   *inet_host;		/* inet: host or address, NULL = all */
	char   *inet_port;		/* inet: port number or name */
	char   *column[5];		/* private..maxproc as written */
	int	line;
};

struct mastercf {
	char   *path;
	struct mastercf_entry *entries;
	size_t	count;
};

struct mastercf *mastercf_load(const char *path, struct buf *why);
struct mastercf *mastercf_parse(const char *path, const char *text,
		struct buf *why);
void	mastercf_free(struct mastercf *mcf);
const struct mastercf_entry *mastercf_find(const struct mastercf *mcf,
		const char *service, const char *type);
const char *mastercf_override(const struct mastercf_entry *entry,
		const char *name);
const char *mastercf_type_name(enum mastercf_type type);
void	mastercf_format(const struct mastercf_entry *entry, int fold,
		struct buf *out);

#endif
