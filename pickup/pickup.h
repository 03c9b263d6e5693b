/*
 * NAME
 *	pickup - private interfaces of the pickup daemon
 * SYNOPSIS
 *	#include "pickup.h"
 *
 *	int	pickup_check(int fd, struct maildrop_check *mc,
 *			struct buf *sender, struct buf *why);
 *	int	pickup_send(int fd, const struct stat *st, int flags,
 *			struct buf *id, struct buf *why);
 *	int	pickup_file(const char *id);
 *	void	pickup_scan(void);
 * DESCRIPTION
 *	pickup_check() reads a whole maildrop file from its start and
 *	checks it against maildrop(3); it returns 0 with the checker's
 *	summary in mc and the sender in sender, or -1 with a reason.
 *
 *	pickup_send() copies a checked maildrop file to cleanup(8) with
 *	the given CLEANUP_FLAG_* flags, adding the submitter's user ID (from
 *	the file owner in st) and logging "ID: uid=N from=<sender>" with
 *	cleanup's queue ID (stored in id). It returns cleanup's
 *	CLEANUP_STAT_* status, or -1 when cleanup could not be reached,
 *	with a reason in why.
 *
 *	pickup_file() processes maildrop/ID: skips a file that is still
 *	being written (owner bits not rwx), moves a malformed one to the
 *	corrupt queue with a warning, sends a good one to cleanup and
 *	removes it only after cleanup accepted it. It returns
 *	PICKUP_FILE_DONE, PICKUP_FILE_SKIP, or PICKUP_FILE_RETRY when
 *	cleanup is unavailable (stop scanning and wait for the next
 *	wake-up). pickup_scan() does that for every file in maildrop/.
 * SEE ALSO
 *	pickup(8), maildrop(3), cleanup_client(3)
 */
#ifndef POSTERN_PICKUP_H
#define POSTERN_PICKUP_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <global/maildrop.h>

#include <sys/stat.h>

#define PICKUP_FILE_DONE	0	/* queued, bounced or set aside */
#define PICKUP_FILE_SKIP	1	/* not ready; left alone */
#define PICKUP_FILE_RETRY	2	/* cleanup trouble: try later */

int	pickup_check(int fd, struct maildrop_check *mc, struct buf *sender,
		struct buf *why);
int	pickup_send(int fd, const struct stat *st, int flags, struct buf *id,
		struct buf *why);
int	pickup_file(const char *id);
void	pickup_scan(void);

#endif
