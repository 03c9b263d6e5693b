/*
 * NAME
 *	discard - the discard delivery agent
 * SYNOPSIS
 *	discard [generic daemon options]
 * DESCRIPTION
 *	discard(8) serves delivery requests from qmgr(8) by reporting every
 *	recipient delivered without delivering anything, as Postfix's
 *	discard(8). It logs each recipient as every agent does, with the
 *	next-hop text of the transport as the reason ("discard:silently"
 *	in transport_maps logs "(silently)"; an empty text logs
 *	"discarded") and status 2.0.0 or the 2.X.X code the text starts
 *	with:
 *
 *	    ID: to=<u@example.com>, relay=none, delay=0.1,
 *	        delays=0.05/0.01/0/0.04, dsn=2.0.0, status=sent (silently)
 * SECURITY
 *	discard runs as mail_owner and reads nothing but the requests.
 * PARAMETERS
 *	ipc_timeout.
 * SEE ALSO
 *	qmgr(8), error(8), transport(5)
 */
#include <util/sys_defs.h>
#include <util/stream.h>
#include <server/server.h>

#include "discard.h"

/* discard_serve - one client */
static void
discard_serve(struct stream *client, const char *service, char **argv)
{
	(void) service;
	(void) argv;
	discard_service(client);
}

int
main(int argc, char **argv)
{
	static const struct server_ops ops = {
		.name = "discard",
		.service = discard_serve,
	};

	return (single_server_main(argc, argv, &ops));
}
