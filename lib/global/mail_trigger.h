/*
 * NAME
 *	mail_trigger - wake up a service, connect to a service
 * SYNOPSIS
 *	#include <global/mail_trigger.h>
 *
 *	int	mail_trigger(const char *class_dir, const char *service,
 *			const char *buf, size_t len);
 *	int	mail_connect(const char *class_dir, const char *service,
 *			long timeout_s);
 *	const char *mail_service_path(struct buf *path, const char *class_dir,
 *			const char *service);
 * DESCRIPTION
 *	mail_trigger() sends a wake-up request, usually one byte such as
 *	QMGR_REQ_SCAN_INCOMING, to the service socket class_dir/service
 *	(class_dir is MAIL_CLASS_PUBLIC or MAIL_CLASS_PRIVATE), e.g.
 *	("public", "qmgr", "I", 1). The socket may be a UNIX-domain stream
 *	socket, a datagram socket or a fifo; mail_trigger() looks at what
 *	is there, as Postfix does. It never blocks longer than
 *	trigger_timeout and returns 0 or -1 (with errno; the caller decides
 *	whether that deserves a warning: a missing qmgr is normal while the
 *	system is not running).
 *
 *	mail_connect() connects to the UNIX-domain stream socket
 *	class_dir/service, waiting at most timeout_s seconds (0: no limit),
 *	and returns a blocking, close-on-exec descriptor or -1 with errno.
 *
 *	mail_service_path() stores the path both use in path and returns
 *	its text: "class_dir/service" relative to the current directory
 *	when the process runs in queue_directory (daemons chdir there, and
 *	may be chrooted there), else below var_queue_directory.
 * SEE ALSO
 *	mail_proto(3) request bytes, iostuff(3) unix_trigger()
 */
#ifndef POSTERN_MAIL_TRIGGER_H
#define POSTERN_MAIL_TRIGGER_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <global/mail_proto.h>	/* QMGR_REQ_*, TRIGGER_REQ_WAKEUP */

int	mail_trigger(const char *class_dir, const char *service,
		             const char *buf, size_t len);
int	mail_connect(const char *class_dir, const char *service, long timeout_s);
const char *mail_service_path(struct buf *path, const char *class_dir,
			              const char *service);

#endif
