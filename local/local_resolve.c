/*
 * NAME
 *	local_resolve - is an address ours?
 * SYNOPSIS
 *	#include "local.h"
 *
 *	void	local_resolve_init(void);
 *	int	local_resolve_is_local(const char *address);
 *	int	local_class_mask(const char *list);
 *	struct argv *local_list_split(const char *list);
 * DESCRIPTION
 *	An alias, :include: file or .forward may name other addresses.
 *	Those of this machine are delivered here, in the same request, as
 *	Postfix's local(8) does; the others are handed back to the queue
 *	(local_forward.c).
 *
 *	local_resolve_is_local() returns 1 when address has no domain or
 *	resolves (resolve(3): mydestination, transport_maps, ...) to the
 *	local class and to this very transport (the master.cf service
 *	name, usually "local"), 0 when it goes elsewhere, and -1 when a
 *	lookup table failed (the caller defers). local_resolve_init()
 *	takes a snapshot of the routing parameters.
 *
 *	local_class_mask() turns allow_mail_to_commands or
 *	allow_mail_to_files ("alias, forward, include") into a mask of
 *	LOCAL_EXP_* bits; unknown words draw a warning.
 *
 *	local_list_split() splits a parameter value at commas and white
 *	space, keeping "type:{ ... }" table specifications whole.
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <strings.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include <global/resolve.h>
#include <server/server.h>

#include "local.h"

static struct resolve *local_resolver;
static struct resolve_reply local_reply;

/* local_list_split - a list into items, keeping {...} whole */
struct argv *
local_list_split(const char *list)
{
	struct argv *out = argv_new(8);
	const char *cp = list;
	const char *start;
	int	depth;

	while (*cp) {
		cp += strspn(cp, ", \t\r\n");
		if (*cp == 0)
			break;
		for (start = cp, depth = 0; *cp; cp++) {
			if (*cp == '{')
				depth++;
			else if (*cp == '}' && depth > 0)
				depth--;
			else if (depth == 0 && strchr(", \t\r\n", *cp))
				break;
		}
		argv_addn(out, start, (size_t) (cp - start));
	}
	return (out);
}

/* local_resolve_init - take a snapshot of the routing parameters */
void
local_resolve_init(void)
{
	if (local_resolver)
		resolve_free(local_resolver);
	local_resolver = resolve_create();
	if (local_reply.transport == NULL)
		resolve_reply_init(&local_reply);
}

/* local_resolve_is_local - delivered by this transport? */
int
local_resolve_is_local(const char *address)
{
	const char *self = server_service_name ? server_service_name : MAIL_SERVICE_LOCAL;

	if (strrchr(address, '@') == NULL)
		return (1);
	if (resolve_addr(local_resolver, address, &local_reply) < 0) {
		msg_warn("address resolver failure for %s: %s", address,
			 buf_str(local_reply.why));
		return (-1);
	}
	return ((local_reply.flags & RESOLVE_CLASS_LOCAL) != 0
		&& strcmp(buf_str(local_reply.transport), self) == 0);
}

/* local_class_mask - "alias, forward, include" as LOCAL_EXP_* bits */
int
local_class_mask(const char *list)
{
	static const struct {
		const char *name;
		int	mask;
	}	classes[] = {
		{"alias", LOCAL_EXP_ALIAS},
		{"forward", LOCAL_EXP_FORWARD},
		{"include", LOCAL_EXP_INCLUDE},
	};
	struct argv *words = argv_split(list ? list : "", ARGV_LIST_DELIMS);
	int	mask = 0;
	size_t	i, j;

	for (i = 0; i < words->argc; i++) {
		for (j = 0; j < ARRAY_LEN(classes); j++)
			if (strcasecmp(words->argv[i], classes[j].name) == 0)
				break;
		if (j < ARRAY_LEN(classes))
			mask |= classes[j].mask;
		else
			msg_warn("unknown delivery class \"%s\" (known: alias, forward, include)",
				 words->argv[i]);
	}
	argv_free(words);
	return (mask);
}
