/*
 * NAME
 *	smtpd - Postern SMTP server
 * SYNOPSIS
 *	smtpd [generic daemon options] (started by master(8))
 *	smtpd -S [-c config_dir]      (stand-alone: one session on stdin)
 * DESCRIPTION
 *	smtpd receives mail over SMTP (RFC 5321) with the ESMTP extensions
 *	PIPELINING, SIZE, STARTTLS, ENHANCEDSTATUSCODES, 8BITMIME, DSN and
 *	SMTPUTF8, applies the access restrictions and per-client limits,
 *	and hands each message to cleanup(8). It answers "250 2.0.0 Ok:
 *	queued as ID" only after cleanup has made the queue file durable.
 *	One process serves one connection at a time (single_server); master
 *	starts as many as master.cf allows.
 *
 *	Replies and log lines are Postfix 3.7's; see smtpd_cmd(3),
 *	smtpd_data(3), smtpd_check(3) and smtpd_anvil(3) for the details
 *	and docs/man/smtpd.8.md for the whole list.
 *
 *	Differences from Postfix: smtpd never looks up the client's host
 *	name, so every client is "unknown[address]" (name-based patterns
 *	never match); VRFY never confirms an address (252); HELP is
 *	answered; an over-long command line is refused with "500 5.5.2
 *	Error: line too long" instead of being truncated; while master
 *	stops the service, an idle client gets "421 4.3.2 ... Service
 *	shutting down" (a transaction in progress is finished first);
 *	SASL, BDAT/CHUNKING, ETRN, XCLIENT and milters are not supported.
 * SECURITY
 *	smtpd talks to untrusted clients and runs without privileges
 *	(mail_owner, optionally chrooted). It opens lookup tables and
 *	reads the TLS key before privileges are dropped.
 * DIAGNOSTICS
 *	Problems are logged. A malformed restriction list, an invalid
 *	smtpd_tls_security_level or smtpd_forbid_bare_newline value, or TLS
 *	files that cannot be used with smtpd_tls_security_level = encrypt
 *	are fatal at start-up.
 * PARAMETERS
 *	myhostname, smtpd_banner, smtpd_timeout (300s), smtpd_starttls_timeout,
 *	smtpd_recipient_limit (1000), smtpd_recipient_overshoot_limit,
 *	smtpd_soft_error_limit (10), smtpd_hard_error_limit (20),
 *	smtpd_error_sleep_time (1s), smtpd_junk_command_limit (100),
 *	smtpd_helo_required (no), smtpd_delay_reject (yes),
 *	disable_vrfy_command (no), smtpd_discard_ehlo_keywords,
 *	strict_rfc821_envelopes (no), smtputf8_enable (yes),
 *	message_size_limit (10240000), line_length_limit (2048),
 *	queue_minfree (0), smtpd_client_restrictions,
 *	smtpd_helo_restrictions, smtpd_sender_restrictions,
 *	smtpd_relay_restrictions (permit_mynetworks,
 *	permit_sasl_authenticated, defer_unauth_destination),
 *	smtpd_recipient_restrictions, smtpd_reject_unlisted_recipient (yes),
 *	smtpd_null_access_lookup_key, mynetworks, mydestination,
 *	relay_domains, virtual_alias_domains, virtual_alias_maps,
 *	local_recipient_maps, relay_recipient_maps, recipient_delimiter,
 *	inet_interfaces, proxy_interfaces, soft_bounce, the *_reject_code
 *	parameters, smtpd_forbid_bare_newline (normal),
 *	smtpd_forbid_bare_newline_exclusions ($mynetworks),
 *	smtpd_forbid_bare_newline_reject_code (550),
 *	smtpd_client_connection_count_limit (50),
 *	smtpd_client_connection_rate_limit, smtpd_client_message_rate_limit,
 *	smtpd_client_recipient_rate_limit (0: none),
 *	smtpd_client_event_limit_exceptions ($mynetworks),
 *	anvil_service_name, smtpd_tls_security_level, smtpd_tls_cert_file,
 *	smtpd_tls_key_file, smtpd_tls_protocols.
 * SEE ALSO
 *	cleanup(8), anvil(8), master(8), docs/man/smtpd.8.md
 */
#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/params.h>
#include <server/server.h>
#include "smtpd.h"

static struct smtpd_check *smtpd_checks;

/* smtpd_service - one SMTP session */
static void
smtpd_service(struct stream *client, const char *service, char **argv)
{
	struct smtpd_state state;
	struct buf *addr = buf_new(64);
	char	port_text[16] = "0";
	int	port = 0;

	(void) argv;
	if (server_is_standalone() || peer_address(stream_fd(client), addr, &port) < 0)
		buf_cpy(addr, "127.0.0.1");
	else
		snprintf(port_text, sizeof(port_text), "%d", port);
	stream_set_name(client, buf_str(addr));
	smtpd_state_init(&state, client, service, buf_str(addr), port_text);
	state.check = smtpd_checks;
	smtpd_session(&state);
	smtpd_state_free(&state);
	buf_free(addr);
}

/* smtpd_pre_init - tables and TLS keys, before privileges go */
static void
smtpd_pre_init(const char *service, char **argv)
{
	struct buf *why = buf_new(64);

	(void) service;
	(void) argv;
	if (smtpd_dot_mode(var_smtpd_forbid_bare_newline) < 0)
		msg_fatal("invalid smtpd_forbid_bare_newline value: \"%s\"",
			  var_smtpd_forbid_bare_newline);
	if ((smtpd_checks = smtpd_check_new(why)) == NULL)
		msg_fatal("%s", buf_str(why));
	if (smtpd_tls_level() < 0)
		msg_fatal("invalid smtpd_tls_security_level value: \"%s\"",
			  var_smtpd_tls_security_level);
	buf_reset(why);
	if (smtpd_tls_init(why) < 0) {
		if (smtpd_tls_level() == SMTPD_TLS_ENCRYPT)
			msg_fatal("cannot start TLS: %s", buf_str(why));
		msg_warn("%s: disabling TLS support", buf_str(why));
	}
	buf_free(why);
}

/* smtpd_on_exit - release tables */
static void
smtpd_on_exit(void)
{
	smtpd_check_free(smtpd_checks);
	smtpd_checks = NULL;
}

int
main(int argc, char **argv)
{
	static const struct server_ops ops = {
		.name = "smtpd",
		.service = smtpd_service,
		.pre_init = smtpd_pre_init,
		.on_exit = smtpd_on_exit,
	};

	return (single_server_main(argc, argv, &ops));
}
