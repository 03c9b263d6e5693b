/*
 * NAME
 *	local_alias - alias_maps lookups and expansion
 * SYNOPSIS
 *	#include "local.h"
 *
 *	void	local_alias_init(const char *spec_list);
 *	int	local_alias_deliver(struct local_state *state,
 *			const char *name, int *found);
 * DESCRIPTION
 *	local_alias_init() opens every table of alias_maps (usually
 *	built by postalias(1)) and notes who owns it: the owner of
 *	NAME.db for hash:NAME, of NAME for texthash: and cidr:, root for
 *	tables without a file. A table that cannot be opened stays in the
 *	list and makes lookups defer.
 *
 *	local_alias_deliver() looks up name (a lowercase local part) in
 *	the tables, first match wins, and delivers to the value as an
 *	alias expansion (local_expand_value()): files and commands named
 *	there run with the privileges of the table's owner, root being
 *	replaced by default_privs. *found is set when name is an alias or
 *	the lookup failed (then the recipient is deferred with 4.3.0
 *	"alias database unavailable"). As in Postfix, an alias that names
 *	itself ("name: name, other") is not expanded again inside its own
 *	expansion: that item goes to the mailbox, while deeper loops are
 *	stopped at LOCAL_MAX_LEVEL levels.
 */
#include <util/sys_defs.h>
#include <sys/stat.h>
#include <strings.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/maps.h>

#include "local.h"

struct local_alias_table {
	struct maps *maps;
	struct local_user owner;
};

static struct local_alias_table *local_alias_tables;
static size_t local_alias_count;

/* local_alias_file - the file behind a table spec, or NULL */
static const char *
local_alias_file(struct buf *out, const char *spec)
{
	const char *colon = strchr(spec, ':');

	if (colon == NULL)
		return (NULL);
	if (strncmp(spec, "hash:", 5) == 0)
		return (buf_str(buf_printf(out, "%s.db", colon + 1)));
	if (strncmp(spec, "texthash:", 9) == 0 || strncmp(spec, "cidr:", 5) == 0)
		return (buf_str(buf_cpy(out, colon + 1)));
	return (NULL);
}

/* local_alias_owner - who owns the table */
static void
local_alias_owner(const char *spec, struct local_user *owner)
{
	struct buf *path = buf_new(64);
	const char *file = local_alias_file(path, spec);
	struct stat st;
	uid_t	uid = 0;
	gid_t	gid = 0;

	if (file && stat(file, &st) == 0) {
		uid = st.st_uid;
		gid = st.st_gid;
	}
	if (local_user_by_uid(uid, owner) < 0) {
		/* No passwd entry: a name that cannot be mistaken for a user. */
		buf_printf(path, "#%ld", (long) uid);
		owner->name = xstrdup(uid == 0 ? "root" : buf_str(path));
		owner->uid = uid;
		owner->gid = gid;
		owner->home = xstrdup("/");
		owner->shell = xstrdup("");
	}
	buf_free(path);
}

/* local_alias_init - open alias_maps */
void
local_alias_init(const char *spec_list)
{
	struct argv *specs = local_list_split(spec_list ? spec_list : "");
	size_t	i;

	local_alias_tables = xcalloc(specs->argc + 1, sizeof(*local_alias_tables));
	for (i = 0; i < specs->argc; i++) {
		local_alias_tables[i].maps = maps_create("alias_maps", specs->argv[i], 0);
		local_alias_owner(specs->argv[i], &local_alias_tables[i].owner);
	}
	local_alias_count = specs->argc;
	argv_free(specs);
}

/* local_alias_deliver - expand name when it is an alias */
int
local_alias_deliver(struct local_state *state, const char *name, int *found)
{
	const char *value;
	char   *copy;
	size_t	i;
	int	status;

	*found = 0;
	if (state->exp_from && strcasecmp(state->exp_from, name) == 0)
		return (DELIVER_STAT_OK);
	for (i = 0; i < local_alias_count; i++) {
		struct local_alias_table *table = local_alias_tables + i;

		if ((value = maps_find(table->maps, name, 0)) != NULL) {
			*found = 1;
			copy = xstrdup(value);
			status = local_expand_value(state, copy, LOCAL_EXP_ALIAS, name,
						    &table->owner);
			free(copy);
			return (status);
		}
		if (maps_error(table->maps) != MAPS_ERR_NONE) {
			*found = 1;
			msg_warn("%s: alias lookup of %s: %s", state->msg->req->queue_id,
				 name, maps_why(table->maps));
			return (local_leaf(state, DELIVER_STAT_DEFER, "4.3.0",
					   "alias database unavailable"));
		}
	}
	return (DELIVER_STAT_OK);
}
