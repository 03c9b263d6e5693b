/*
 * NAME
 *	metrics_private - internals shared by the metrics_snapshot*.c modules
 * SYNOPSIS
 *	#include <global/metrics_private.h>
 * DESCRIPTION
 *	Not for use outside lib/global/metrics_snapshot*.c.
 *
 *	metrics_encode() appends a name in the file encoding (%XX for bytes
 *	other than printable ASCII, the space and '%'). metrics_key()
 *	builds the table key of an entry: its encoded names and, when not
 *	NULL, a plain suffix, separated by spaces; it returns the key text.
 *	metrics_name_ok() accepts a non-empty name of at most
 *	METRICS_LABEL_MAXLEN bytes.
 *
 *	The *_get() functions find the entry of a key or create a zeroed
 *	one; the caller has checked the names.
 */
#ifndef POSTERN_METRICS_PRIVATE_H
#define POSTERN_METRICS_PRIVATE_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <global/metrics_snapshot.h>

void	metrics_encode(struct buf *out, const char *name);
const char *metrics_key(struct buf *key, const char *first, const char *second,
			        const char *suffix);
int	metrics_name_ok(const char *name);

struct metrics_active *metrics_active_get(struct metrics_snapshot *snap,
				          const char *transport, const char *priority);
struct metrics_dest *metrics_dest_get(struct metrics_snapshot *snap,
			              const char *transport, const char *destination);
struct metrics_delivery *metrics_delivery_get(struct metrics_snapshot *snap,
				              const char *transport,
				              enum metrics_status status, int dsn_class);
struct metrics_delay *metrics_delay_get(struct metrics_snapshot *snap,
				        const char *transport, const char *priority);

#endif
