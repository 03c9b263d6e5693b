/*
 * NAME
 *	showq_defer - deferral reasons from defer/ID
 * SYNOPSIS
 *	#include "showq.h"
 * DESCRIPTION
 *	See showq.h. The logfile is read with logfile(3), which also
 *	decides what a damaged entry is worth; only the recipient and the
 *	reason matter here.
 * SEE ALSO
 *	logfile(3)
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/logfile.h>
#include <global/mail_proto.h>

#include "showq.h"

struct showq_defer_entry {
	char   *address;
	char   *reason;
};

struct showq_defer {
	struct htable *index;		/* address -> entry number + 1 */
	struct showq_defer_entry *entries;
	size_t	count;
	size_t	cap;
};

/* showq_defer_new - empty reason table */

struct showq_defer *
showq_defer_new(void)
{
	struct showq_defer *dp = xcalloc(1, sizeof(*dp));

	dp->index = htable_new(16);
	return (dp);
}

/* showq_defer_reset - forget all entries */

void
showq_defer_reset(struct showq_defer *dp)
{
	size_t	i;

	for (i = 0; i < dp->count; i++) {
		free(dp->entries[i].address);
		free(dp->entries[i].reason);
	}
	dp->count = 0;
	if (htable_count(dp->index) > 0) {
		htable_free(dp->index, NULL);
		dp->index = htable_new(16);
	}
}

/* showq_defer_free - release everything */

void
showq_defer_free(struct showq_defer *dp)
{
	showq_defer_reset(dp);
	htable_free(dp->index, NULL);
	free(dp->entries);
	free(dp);
}

/* showq_defer_store - one logfile entry */

static int
showq_defer_store(const struct logfile_entry *entry, void *ctx)
{
	struct showq_defer *dp = ctx;
	const char *reason = entry->reason ? entry->reason : "";
	uintptr_t slot;

	if ((slot = (uintptr_t) htable_find(dp->index, entry->recipient)) != 0) {
		free(dp->entries[slot - 1].reason);
		dp->entries[slot - 1].reason = xstrdup(reason);
	} else {
		if (dp->count == dp->cap) {
			dp->cap = dp->cap ? 2 * dp->cap : 8;
			dp->entries = xreallocarray(dp->entries, dp->cap,
						    sizeof(*dp->entries));
		}
		dp->entries[dp->count].address = xstrdup(entry->recipient);
		dp->entries[dp->count].reason = xstrdup(reason);
		dp->count++;
		(void) htable_enter(dp->index, entry->recipient,
				    (void *) (uintptr_t) dp->count);
	}
	return (0);
}

/* showq_defer_read - load defer/ID, missing means empty */

int
showq_defer_read(struct showq_defer *dp, const char *id)
{
	showq_defer_reset(dp);
	if (logfile_read(MAIL_QUEUE_DEFER, id, showq_defer_store, dp) < 0) {
		if (errno == ENOENT)
			return (0);
		msg_warn("read %s/%s: %m", MAIL_QUEUE_DEFER, id);
		return (-1);
	}
	return (0);
}

/* showq_defer_find - entry number of an address, or -1 */

ssize_t
showq_defer_find(const struct showq_defer *dp, const char *address)
{
	uintptr_t slot;

	if (dp->count == 0
	    || (slot = (uintptr_t) htable_find(dp->index, address)) == 0)
		return (-1);
	return ((ssize_t) slot - 1);
}

/* showq_defer_count - number of distinct addresses */

size_t
showq_defer_count(const struct showq_defer *dp)
{
	return (dp->count);
}

/* showq_defer_address - the address of an entry */

const char *
showq_defer_address(const struct showq_defer *dp, size_t index)
{
	if (index >= dp->count)
		msg_panic("showq_defer_address: index %zu out of range", index);
	return (dp->entries[index].address);
}

/* showq_defer_reason - the last reason logged for an entry */

const char *
showq_defer_reason(const struct showq_defer *dp, size_t index)
{
	if (index >= dp->count)
		msg_panic("showq_defer_reason: index %zu out of range", index);
	return (dp->entries[index].reason);
}
