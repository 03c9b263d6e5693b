/*
 * NAME
 *	pickup - take local submissions from the maildrop queue
 * SYNOPSIS
 *	pickup [generic daemon options]
 * DESCRIPTION
 *	pickup(8) waits for wake-ups on public/pickup (from postdrop after
 *	each submission, and from master every wakeup seconds of its
 *	master.cf line, so mail left while the system was stopped flows
 *	once it runs) and then works through maildrop/. For each complete
 *	file (owner bits rwx; a file still being written is left alone) it
 *	checks every record against the maildrop(3) grammar; a malformed
 *	file is moved to the corrupt queue with a warning naming the
 *	problem. A good file is copied to cleanup(8), which is asked to
 *	return undeliverable mail to the sender rather than fail, and is
 *	removed only after cleanup reported that the message is safely in
 *	the incoming queue. When cleanup cannot be reached, pickup stops
 *	and tries again at the next wake-up.
 *
 *	Log: "ID: uid=UID from=<SENDER>" with the new queue ID.
 * SECURITY
 *	maildrop files come from local users: pickup runs as mail_owner,
 *	never trusts their content and never follows symbolic links.
 * PARAMETERS
 *	queue_directory, ipc_timeout, cleanup_service_name.
 * SEE ALSO
 *	postdrop(1), cleanup(8), maildrop(3)
 */
#include <util/sys_defs.h>
#include <util/msg.h>
#include <global/params.h>
#include <global/queue.h>
#include <server/server.h>

#include "pickup.h"

/* pickup_trigger - one wake-up: work through maildrop */

static void
pickup_trigger(const char *buf, size_t len, const char *service, char **argv)
{
	(void) buf;
	(void) len;
	(void) service;
	(void) argv;
	pickup_scan();
}

/* pickup_pre_init - queue layout */

static void
pickup_pre_init(const char *service, char **argv)
{
	(void) service;
	(void) argv;
	if (queue_set_hash(var_hash_queue_depth, var_hash_queue_names) < 0)
		msg_fatal("bad hash_queue_depth or hash_queue_names");
}

int
main(int argc, char **argv)
{
	static const struct server_ops ops = {
		.name = "pickup",
		.trigger = pickup_trigger,
		.pre_init = pickup_pre_init,
	};

	return (trigger_server_main(argc, argv, &ops));
}
