/*
 * NAME
 *	cleanup_virtual - virtual_alias_maps expansion
 * SYNOPSIS
 *	#include "cleanup.h"
 *
 *	void	cleanup_virtual_init(void);
 *	int	cleanup_virtual(struct cleanup_state *state,
 *			const char *addr, struct argv *result);
 * DESCRIPTION
 *	cleanup_virtual_init() opens virtual_alias_maps (before any chroot),
 *	closing the tables of an earlier call.
 *
 *	cleanup_virtual() expands one recipient, appending the final
 *	addresses to result. Each address is looked up as Postfix's
 *	virtual(5) describes: user+ext@domain, user@domain (with
 *	recipient_delimiter), then user+ext and user when the domain is
 *	myorigin or in mydestination, then @domain. A match is replaced
 *	by its comma or space separated right-hand side, each address of
 *	which is expanded in turn; an address without a domain gets
 *	@myorigin. The address extension is propagated to the results of a
 *	match without it when propagate_unmatched_extensions lists
 *	"virtual". An address that maps to itself, or to an address being
 *	expanded further up (a loop such as a -> b -> a), is kept as a
 *	final address instead of being expanded again.
 *
 *	Limits: expansion deeper than virtual_alias_recursion_limit, or
 *	more than virtual_alias_expansion_limit results for one recipient,
 *	fails the message with a temporary error, as does a table that
 *	cannot be searched. Duplicates in result are left out.
 *	cleanup_virtual() returns 0, or -1 with the state's error set.
 * DIAGNOSTICS
 *	Limit violations and lookup errors are logged as warnings with the
 *	queue ID and the recipient.
 * SEE ALSO
 *	virtual(5), maps(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <global/address.h>
#include <global/cleanup_client.h>
#include <global/maps.h>
#include <global/params.h>

#include <strings.h>

#include "cleanup.h"

static struct maps *cleanup_virtual_maps;

/* cleanup_virtual_init - open the tables */

void
cleanup_virtual_init(void)
{
	if (cleanup_virtual_maps)
		maps_free(cleanup_virtual_maps);
	cleanup_virtual_maps = 0;
	if (*var_virtual_alias_maps)
		cleanup_virtual_maps = maps_create("virtual_alias_maps",
						   var_virtual_alias_maps, 0);
}

/* cleanup_virtual_local_domain - does user-only lookup apply? */

static int
cleanup_virtual_local_domain(const char *domain)
{
	struct argv *list;
	size_t	i;
	int	found;

	if (strcasecmp(domain, var_myorigin) == 0)
		return (1);
	list = argv_split(var_mydestination, ARGV_LIST_DELIMS);
	for (i = 0, found = 0; i < list->argc && !found; i++)
		found = (strcasecmp(list->argv[i], domain) == 0);
	argv_free(list);
	return (found);
}

/* cleanup_virtual_propagate - does "virtual" appear in the list? */

static int
cleanup_virtual_propagate(void)
{
	struct argv *list = argv_split(var_propagate_unmatched_extensions,
				       ARGV_LIST_DELIMS);
	size_t	i;
	int	found = 0;

	for (i = 0; i < list->argc && !found; i++)
		found = (strcasecmp(list->argv[i], "virtual") == 0);
	argv_free(list);
	return (found);
}

 /*
  * One lookup result: the right-hand side (copied: maps_find() results
  * are overwritten by the next lookup) and the extension it did not
  * match, to be propagated.
  */
struct cleanup_virtual_hit {
	char   *value;
	char   *extension;		/* "+ext" or NULL */
};

/* cleanup_virtual_find - one key; 1 found, 0 not, -1 lookup error */

static int
cleanup_virtual_find(const char *key, struct cleanup_virtual_hit *hit)
{
	const char *value = maps_find(cleanup_virtual_maps, key, 0);

	if (value != 0) {
		hit->value = xstrdup(value);
		return (1);
	}
	return (maps_error(cleanup_virtual_maps) == MAPS_ERR_NONE ? 0 : -1);
}

/* cleanup_virtual_lookup - the virtual(5) search order */

static int
cleanup_virtual_lookup(const char *addr, struct cleanup_virtual_hit *hit)
{
	const char *at = strrchr(addr, '@');
	struct buf *local = buf_new(64);
	struct buf *base = buf_new(64);
	struct buf *key = buf_new(64);
	const char *ext = 0;
	int	status;

	hit->value = hit->extension = 0;
	buf_catn(local, addr, at ? (size_t) (at - addr) : strlen(addr));
	buf_cpy(base, buf_str(local));
	if (*var_recipient_delimiter
	    && (ext = strpbrk(buf_str(local), var_recipient_delimiter)) != 0
	    && ext > buf_str(local))
		buf_truncate(base, (size_t) (ext - buf_str(local)));
	else
		ext = 0;
	if ((status = cleanup_virtual_find(addr, hit)) == 0 && ext && at) {
		buf_printf(key, "%s%s", buf_str(base), at);
		if ((status = cleanup_virtual_find(buf_str(key), hit)) > 0)
			hit->extension = xstrdup(ext);
	}
	if (status == 0 && at && cleanup_virtual_local_domain(at + 1)) {
		if ((status = cleanup_virtual_find(buf_str(local), hit)) == 0 && ext
		    && (status = cleanup_virtual_find(buf_str(base), hit)) > 0)
			hit->extension = xstrdup(ext);
	}
	/* A wildcard match keeps nothing to propagate. */
	if (status == 0 && at)
		status = cleanup_virtual_find(at, hit);
	buf_free(local);
	buf_free(base);
	buf_free(key);
	return (status);
}

/* cleanup_virtual_result - add a final address unless already there */

static int
cleanup_virtual_result(struct cleanup_state *state, const char *orig,
		       const char *addr, struct argv *result)
{
	size_t	i;

	for (i = 0; i < result->argc; i++)
		if (strcasecmp(result->argv[i], addr) == 0)
			return (0);
	if (result->argc >= (size_t) var_virtual_alias_expansion_limit) {
		msg_warn("%s: unreasonable virtual_alias_maps map expansion size"
			 " for %s -- message not accepted, try again later",
			 buf_str(state->queue_id), orig);
		cleanup_state_error(state, CLEANUP_STAT_DEFER,
				    "4.6.0 Alias expansion error");
		return (-1);
	}
	argv_add(result, addr);
	return (0);
}

/* cleanup_virtual_item - qualify one right-hand side address */

static void
cleanup_virtual_item(struct buf *out, const char *item, const char *ext)
{
	const char *at;

	cleanup_canon(out, item);
	if (ext && cleanup_virtual_propagate()
	    && (at = strrchr(buf_str(out), '@')) != 0) {
		struct buf *tmp = buf_new(64);

		buf_catn(tmp, buf_str(out), (size_t) (at - buf_str(out)));
		buf_appendf(tmp, "%s%s", ext, at);
		buf_cpy(out, buf_str(tmp));
		buf_free(tmp);
	}
}

/* cleanup_virtual_expand - expand addr below the given ancestors */

static int
cleanup_virtual_expand(struct cleanup_state *state, const char *orig,
		       const char *addr, struct argv *ancestors,
		       struct argv *result)
{
	struct cleanup_virtual_hit hit;
	struct argv *items;
	struct buf *item;
	size_t	i, j;
	int	status;

	if (ancestors->argc > (size_t) var_virtual_alias_recursion_limit) {
		msg_warn("%s: unreasonable virtual_alias_maps map nesting for %s"
			 " -- message not accepted, try again later",
			 buf_str(state->queue_id), orig);
		cleanup_state_error(state, CLEANUP_STAT_DEFER,
				    "4.6.0 Alias expansion error");
		return (-1);
	}
	if ((status = cleanup_virtual_lookup(addr, &hit)) < 0) {
		msg_warn("%s: virtual_alias_maps map lookup problem for %s"
			 " -- message not accepted, try again later",
			 buf_str(state->queue_id), addr);
		cleanup_state_error(state, CLEANUP_STAT_WRITE,
				    "4.3.0 virtual_alias_maps lookup failure");
		return (-1);
	}
	if (status == 0)
		return (cleanup_virtual_result(state, orig, addr, result));
	items = argv_split(hit.value, ", \t\r\n");
	item = buf_new(64);
	argv_add(ancestors, addr);
	for (i = 0, status = 0; i < items->argc && status == 0; i++) {
		cleanup_virtual_item(item, items->argv[i], hit.extension);
		for (j = 0; j < ancestors->argc; j++)
			if (strcasecmp(ancestors->argv[j], buf_str(item)) == 0)
				break;
		if (j < ancestors->argc)
			status = cleanup_virtual_result(state, orig, buf_str(item), result);
		else
			status = cleanup_virtual_expand(state, orig, buf_str(item),
							ancestors, result);
	}
	argv_truncate(ancestors, ancestors->argc - 1);
	buf_free(item);
	argv_free(items);
	free(hit.value);
	free(hit.extension);
	return (status);
}

/* cleanup_virtual - expand one recipient */

int
cleanup_virtual(struct cleanup_state *state, const char *addr,
		struct argv *result)
{
	struct argv *ancestors;
	int	status;

	if (cleanup_virtual_maps == 0) {
		argv_add(result, addr);
		return (0);
	}
	ancestors = argv_new(4);
	status = cleanup_virtual_expand(state, addr, addr, ancestors, result);
	argv_free(ancestors);
	return (status);
}
