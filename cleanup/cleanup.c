/*
 * NAME
 *	cleanup - canonicalize and enqueue mail
 * SYNOPSIS
 *	cleanup [generic daemon options]
 * DESCRIPTION
 *	cleanup(8) turns messages from smtpd(8), pickup(8) and bounce(8)
 *	into queue files in the incoming queue and tells qmgr(8) about
 *	them. It is the only program that creates files there. For each
 *	message it:
 * .IP \(bu
 *	waits up to in_flow_delay for a flow token that qmgr hands out as
 *	it has room, so input slows down when delivery falls behind (when
 *	no token comes it goes on after the delay, silently, as Postfix);
 * .IP \(bu
 *	refuses with a temporary error when the queue file system has less
 *	than queue_minfree bytes free;
 * .IP \(bu
 *	creates incoming/ID with mode 0600 and reports the queue ID;
 * .IP \(bu
 *	qualifies addresses without a domain with @myorigin, expands
 *	recipients with virtual_alias_maps (recursively, with loop and size
 *	limits) and drops duplicate recipients;
 * .IP \(bu
 *	gives the message its priority class, high, normal or bulk, from
 *	priority_maps (sender, sender domain, recipients, recipient
 *	domains), the delivery_priority of the recipients' transports,
 *	default_delivery_priority and a Precedence: bulk, list or junk
 *	header (see cleanup_priority.c);
 * .IP \(bu
 *	writes a Received: header, removes the headers in
 *	message_drop_headers (Bcc:, Content-Length:, Resent-Bcc:,
 *	Return-Path:), adds missing Message-Id:, Date: and From: for local
 *	submissions and clients in local_header_rewrite_clients, extracts
 *	recipients from headers for sendmail -t, splits lines longer than
 *	line_length_limit, truncates headers longer than
 *	header_size_limit, enforces message_size_limit and
 *	hopcount_limit;
 * .IP \(bu
 *	finishes the file, fchmods it to 0700 and fsyncs it, fsyncs the
 *	directory, wakes qmgr, and only then answers success. On any
 *	failure the file is removed and the client gets an error; pickup's
 *	messages that fail for good are returned to their sender instead.
 * .PP
 *	The protocol is described in cleanup_client(3).
 * SECURITY
 *	cleanup parses untrusted message content; it runs as mail_owner
 *	and may be chrooted.
 * DIAGNOSTICS
 *	"ID: message-id=<...>" for every message; warnings for write
 *	errors, protocol violations, oversized headers and alias expansion
 *	problems; "ID: reject: ..." for refused messages.
 * PARAMETERS
 *	in_flow_delay (1s), queue_minfree (0), message_size_limit
 *	(10240000), header_size_limit (102400), line_length_limit (2048),
 *	hopcount_limit (50), virtual_alias_maps, virtual_alias_expansion_limit
 *	(1000), virtual_alias_recursion_limit (1000), message_drop_headers,
 *	always_add_missing_headers (no), local_header_rewrite_clients,
 *	myorigin, myhostname, append_at_myorigin, duplicate_filter_limit,
 *	ipc_timeout, hash_queue_depth, hash_queue_names, priority_maps,
 *	default_delivery_priority (normal), TRANSPORT_delivery_priority and
 *	the routing parameters of resolve(3) (when a transport has one).
 * SEE ALSO
 *	cleanup_client(3), pickup(8), smtpd(8), qmgr(8)
 */
#include <util/sys_defs.h>
#include <util/msg.h>
#include <global/params.h>
#include <global/queue.h>
#include <server/server.h>

#include "cleanup.h"

/* cleanup_pre_init - open tables before any chroot */

static void
cleanup_pre_init(const char *service, char **argv)
{
	(void) service;
	(void) argv;
	if (queue_set_hash(var_hash_queue_depth, var_hash_queue_names) < 0)
		msg_fatal("bad hash_queue_depth or hash_queue_names");
	cleanup_virtual_init();
	cleanup_priority_init();
	msg_set_cleanup(cleanup_fatal_remove);
}

int
main(int argc, char **argv)
{
	static const struct server_ops ops = {
		.name = "cleanup",
		.service = cleanup_service,
		.pre_init = cleanup_pre_init,
		.on_exit = cleanup_fatal_remove,
	};

	return (single_server_main(argc, argv, &ops));
}
