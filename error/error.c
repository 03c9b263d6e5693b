/*
 * NAME
 *	error - the error and retry delivery agents
 * SYNOPSIS
 *	error [generic daemon options]
 * DESCRIPTION
 *	error(8) serves delivery requests from qmgr(8) by failing them, as
 *	Postfix's error(8). The reason is the next-hop text of the
 *	transport, e.g. "error:5.1.1 mailbox unavailable" in transport_maps:
 *	every recipient is bounced with that text and status code (5.0.0
 *	when the text has none; a 4.X.X code defers instead).
 *
 *	Run under the service name "retry" (master.cf "retry unix ... error")
 *	or as a program named retry, it defers every recipient instead,
 *	with status 4.0.0 or the 4.X.X code of the next-hop text.
 *
 *	Each recipient is logged as every delivery agent logs it, e.g.
 *	"ID: to=<u@example.com>, relay=none, delay=0.1,
 *	delays=0.05/0.01/0/0.04, dsn=5.0.0, status=bounced (text)". With
 *	soft_bounce = yes, bounces become deferrals.
 * SECURITY
 *	error runs as mail_owner and reads nothing but the requests.
 * PARAMETERS
 *	ipc_timeout, soft_bounce.
 * SEE ALSO
 *	qmgr(8), discard(8), transport(5)
 */
#include <util/sys_defs.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/mail_proto.h>
#include <server/server.h>

#include "error.h"

static int error_is_retry;		/* program named retry */

/* error_serve - one client */
static void
error_serve(struct stream *client, const char *service, char **argv)
{
	int	is_retry = error_is_retry || strcmp(service, MAIL_SERVICE_RETRY) == 0;

	(void) argv;
	error_service(client, is_retry ? ERROR_MODE_RETRY : ERROR_MODE_BOUNCE);
}

int
main(int argc, char **argv)
{
	static const struct server_ops ops = {
		.name = "error",
		.service = error_serve,
	};
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;

	base = base ? base + 1 : (argc > 0 ? argv[0] : "");
	error_is_retry = (strcmp(base, MAIL_SERVICE_RETRY) == 0);
	return (single_server_main(argc, argv, &ops));
}
