/*
 * NAME
 *	local - the local delivery agent
 * SYNOPSIS
 *	local [generic daemon options]
 * DESCRIPTION
 *	local(8) delivers mail for the domains in mydestination, as
 *	Postfix's local(8) does. qmgr(8) hands it delivery requests on
 *	private/local; for each recipient it follows, in order:
 * .IP "loop checks"
 *	a Delivered-To: header of the message naming the recipient, or
 *	more than 100 nested expansions, bounces it with 5.4.6 "mail
 *	forwarding loop for ADDRESS".
 * .IP aliases
 *	alias_maps (postalias(1) tables), looked up with the local part,
 *	first with its recipient_delimiter extension ("user+ext"), then
 *	without. An alias expands to addresses (those of this machine are
 *	delivered here, others re-submitted through cleanup(8) and logged
 *	"forwarded as NEWID"), "|command" (when allow_mail_to_commands
 *	allows, default "alias, forward"), "/file" (mbox format) or
 *	"/dir/" (maildir) destinations (when allow_mail_to_files allows,
 *	default "alias, forward"), ":include:/file" lists and "\euser"
 *	(mailbox without further expansion). Each destination is served
 *	once per request.
 * .IP users
 *	the passwd database: an unknown user bounces with 5.1.1 "unknown
 *	user: "name"".
 * .IP .forward
 *	the first file of forward_path that exists, expanded like an
 *	alias with the user's privileges.
 * .IP mailbox
 *	mailbox_command when set; else home_mailbox relative to the home
 *	directory (a name ending in "/" is a maildir: tmp/, new/, cur/,
 *	unique names, fsync before the link into new/); else the mbox
 *	mail_spool_directory/USER. An mbox gets a "From sender date"
 *	line, Return-Path:, X-Original-To: and Delivered-To: headers and
 *	">From " quoting, is locked with fcntl and USER.lock
 *	(mailbox_delivery_lock; a lock older than stale_lock_time is
 *	removed), fsync'ed, and truncated back when anything fails.
 * .PP
 *	Each destination is logged in Postfix's shape, e.g. "ID:
 *	to=<user@example.com>, relay=local, delay=0.1,
 *	delays=0.05/0.01/0/0.04, dsn=2.0.0, status=sent (delivered to
 *	mailbox)"; alias destinations add orig_to=<recipient>. qmgr hears
 *	one result per recipient: deferred when any of its destinations
 *	was deferred, else bounced when any bounced, else sent.
 * SECURITY
 *	local(8) runs as root (master.cf "unpriv n") and writes as each
 *	recipient: mailbox files and maildirs with the recipient's
 *	effective user and group IDs (the spool file itself is created as
 *	root and given to the user), commands in a child that changes all
 *	its IDs for good. Files and commands named by aliases run as the
 *	owner of the alias table, those of :include: files as the file's
 *	owner, those of .forward as the user; root is always replaced by
 *	default_privs. Started by an ordinary user, local(8) delivers
 *	everything as that user.
 * PARAMETERS
 *	alias_maps, recipient_delimiter, mydestination, myorigin,
 *	myhostname, forward_path, allow_mail_to_commands,
 *	allow_mail_to_files, default_privs, mail_spool_directory,
 *	home_mailbox, mailbox_command, mailbox_size_limit,
 *	mailbox_delivery_lock, deliver_lock_attempts, deliver_lock_delay,
 *	stale_lock_time, strict_mailbox_ownership, prepend_delivered_header,
 *	enable_original_recipient, owner_request_special,
 *	local_command_shell, command_execution_directory,
 *	command_time_limit, export_environment, soft_bounce, ipc_timeout.
 * SEE ALSO
 *	qmgr(8), aliases(5), postalias(1), bounce(8)
 */
#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/deliver_request.h>
#include <global/params.h>
#include <global/queue.h>
#include <server/server.h>

#include "local.h"

/* local_service - one connection from qmgr */
static void
local_service(struct stream *client, const char *service, char **argv)
{
	struct deliver_request req;
	struct buf *why = buf_new(100);
	int	n;

	(void) service;
	(void) argv;
	stream_set_timeout(client, (int) var_ipc_timeout);
	if (deliver_request_hello(client) < 0) {
		msg_warn("%s: send greeting: %m", stream_name(client));
		buf_free(why);
		return;
	}
	while ((n = deliver_request_read(client, &req, why)) > 0) {
		local_request(client, &req);
		deliver_request_free(&req);
		if (stream_error(client))
			break;
	}
	if (n < 0 && buf_len(why) > 0)
		msg_warn("%s: bad delivery request: %s", stream_name(client), buf_str(why));
	deliver_request_free(&req);
	buf_free(why);
}

/* local_pre_init - tables, queue layout, identity */
static void
local_pre_init(const char *service, char **argv)
{
	(void) service;
	(void) argv;
	if (queue_set_hash(var_hash_queue_depth, var_hash_queue_names) < 0)
		msg_fatal("bad hash_queue_depth or hash_queue_names");
	local_alias_init(var_alias_maps);
	local_resolve_init();
}

/* local_post_init - privileged or not, after the skeleton decided */
static void
local_post_init(const char *service, char **argv)
{
	(void) service;
	(void) argv;
	(void) local_user_init();
}

int
main(int argc, char **argv)
{
	static const struct server_ops ops = {
		.name = "local",
		.service = local_service,
		.pre_init = local_pre_init,
		.post_init = local_post_init,
	};

	return (single_server_main(argc, argv, &ops));
}
