/*
 * NAME
 *	showq - list the Postern mail queue
 * SYNOPSIS
 *	showq [generic daemon options]	(started by master(8))
 * DESCRIPTION
 *	showq(8) reports the contents of the maildrop, active, incoming,
 *	deferred and hold queues, in that order, to postqueue(1) (mailq,
 *	postqueue -p, postqueue -j, sendmail -bp) over public/showq, so
 *	that local users can list the queue without access to the queue
 *	directory. It describes each message as attributes and leaves the
 *	formatting to its clients: queue name and ID, arrival time, size,
 *	whether the message was force-expired, sender, priority class,
 *	then every recipient still to be delivered with the reason of its
 *	last deferral (from defer/ID) and the transport it resolves to.
 *	The protocol is described in showq.h.
 *
 *	One request per connection: the client sends {request=list}, gets
 *	{proto=showq}, the listing and an end marker, and the connection
 *	is closed.
 * SECURITY
 *	showq runs as mail_owner and may be chrooted. It takes no input
 *	besides the request word; its socket is reachable by every local
 *	user, so a listing can be used to learn who mails whom (as with
 *	Postfix; restrict public/ to change that). Files are opened without
 *	following symbolic links.
 * DIAGNOSTICS
 *	Unreadable or malformed queue files are skipped with a warning; a
 *	malformed request drops the client.
 * PARAMETERS
 *	queue_directory, hash_queue_depth, hash_queue_names,
 *	empty_address_recipient (how the null sender is shown),
 *	default_delivery_priority (class of files without one), the
 *	routing parameters of resolve(3) for the transport column,
 *	ipc_timeout (limit for each write to the client).
 * SEE ALSO
 *	postqueue(1), qshape(1), docs/man/showq.8.md
 */
#include <util/sys_defs.h>
#include <util/attr.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include <global/queue.h>
#include <server/server.h>

#include "showq.h"

static struct showq_scan *showq_scanner;

/* showq_emit - send one message to the client */

static int
showq_emit(const struct showq_msg *msg, void *ctx)
{
	struct stream *client = ctx;

	if (showq_send_msg(client, msg) < 0 || server_is_stopping())
		return (-1);
	return (0);
}

/* showq_service - one client: request, hello, listing, end */

static void
showq_service(struct stream *client, const char *service, char **argv)
{
	struct buf *request = buf_new(16);

	(void) service;
	(void) argv;
	stream_set_timeout(client, (int) var_ipc_timeout);
	if (attr_scan(client, ATTR_FLAG_NONE, ATTR_LIST(
			  SCAN_STR(MAIL_ATTR_REQ, request))) != 1) {
		if (errno != ENODATA)
			msg_warn("showq: malformed request");
	} else if (strcmp(buf_str(request), SHOWQ_REQ_LIST) != 0) {
		msg_warn("showq: unknown request \"%.64s\"", buf_str(request));
	} else if (attr_send_proto(client, MAIL_PROTO_SHOWQ) == 0
		   && showq_scan_run(showq_scanner, NULL, showq_emit, client) == 0) {
		(void) showq_send_end(client);
	}
	buf_free(request);
	server_disconnect(client);
}

/* showq_pre_init - queue layout and routing tables, before any chroot */

static void
showq_pre_init(const char *service, char **argv)
{
	(void) service;
	if (argv[0])
		msg_fatal("unexpected command-line argument: %s", argv[0]);
	if (queue_set_hash(var_hash_queue_depth, var_hash_queue_names) < 0)
		msg_fatal("bad hash_queue_depth or hash_queue_names");
	showq_scanner = showq_scan_create(SHOWQ_SCAN_TRANSPORT);
}

/* showq_on_exit - release the scanner */

static void
showq_on_exit(void)
{
	if (showq_scanner)
		showq_scan_free(showq_scanner);
	showq_scanner = NULL;
}

int
main(int argc, char **argv)
{
	static const struct server_ops ops = {
		.name = "showq",
		.service = showq_service,
		.pre_init = showq_pre_init,
		.on_exit = showq_on_exit,
	};

	return (multi_server_main(argc, argv, &ops));
}
