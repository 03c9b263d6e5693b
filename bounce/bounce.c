/*
 * NAME
 *	bounce - delivery status notifications
 * SYNOPSIS
 *	bounce [generic daemon options]
 * DESCRIPTION
 *	bounce(8) turns the per-message delivery logs that qmgr(8) keeps
 *	(bounce/ID for permanent failures, defer/ID for temporary ones)
 *	into delivery status notifications to the sender: RFC 3464
 *	multipart/report messages in Postfix's wording, with a
 *	human-readable explanation, a message/delivery-status part with
 *	one block per recipient, and the original message (or only its
 *	headers), queued through cleanup(8) with the null sender.
 *
 *	The same program serves private/bounce, private/defer and
 *	private/trace. Requests (see bounce_client(3)): flush (send a
 *	non-delivery notification for bounce/ID, then remove it), warn (a
 *	delay warning for defer/ID) and expire (the message is too old:
 *	everything still open fails).
 *
 *	Mail from the null sender never gets a notification, so
 *	notifications cannot loop: it is logged and dropped unless
 *	notify_classes asks for a postmaster notice (2bounce, delay).
 *	With "bounce" or "delay" in notify_classes the postmaster gets a
 *	copy of sender notifications (headers only).
 *
 *	Log lines, as Postfix: "ID: sender non-delivery notification:
 *	NEWID", "ID: sender delay notification: NEWID", "ID: postmaster
 *	non-delivery notification: NEWID".
 * SECURITY
 *	bounce runs as mail_owner. It reads queue files and logfiles
 *	written by Postern itself and talks only to cleanup.
 * PARAMETERS
 *	myhostname, mail_name, bounce_size_limit (50000: larger messages
 *	are returned as headers only), header_size_limit, notify_classes,
 *	bounce_notice_recipient, 2bounce_notice_recipient,
 *	delay_notice_recipient, double_bounce_sender, delay_warning_time,
 *	maximal_queue_lifetime, bounce_queue_lifetime, ipc_timeout,
 *	hash_queue_depth, hash_queue_names.
 * SEE ALSO
 *	qmgr(8), cleanup(8), logfile(3), RFC 3464
 */
#include <util/sys_defs.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/params.h>
#include <global/queue.h>
#include <server/server.h>

#include "bounce.h"

/* bounce_serve - one client */
static void
bounce_serve(struct stream *client, const char *service, char **argv)
{
	(void) service;
	(void) argv;
	bounce_service(client);
}

/* bounce_pre_init - queue layout */
static void
bounce_pre_init(const char *service, char **argv)
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
		.name = "bounce",
		.service = bounce_serve,
		.pre_init = bounce_pre_init,
	};

	return (single_server_main(argc, argv, &ops));
}
