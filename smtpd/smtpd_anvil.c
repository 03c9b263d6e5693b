/*
 * NAME
 *	smtpd_anvil - per-client connection and rate limits
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int	smtpd_anvil_connect(struct smtpd_state *state);
 *	void	smtpd_anvil_disconnect(struct smtpd_state *state);
 *	int	smtpd_anvil_mail(struct smtpd_state *state);
 *	int	smtpd_anvil_rcpt(struct smtpd_state *state);
 * DESCRIPTION
 *	smtpd reports connections, MAIL FROM and RCPT TO commands to
 *	anvil(8) and enforces the limits itself, with Postfix's replies:
 * .IP smtpd_client_connection_count_limit
 * .IP smtpd_client_connection_rate_limit
 *	"421 4.7.0 $myhostname Error: too many connections from ADDR"
 *	instead of the banner, and the connection is closed.
 * .IP smtpd_client_message_rate_limit
 *	"450 4.7.1 Error: too much mail from ADDR" to MAIL FROM.
 * .IP smtpd_client_recipient_rate_limit
 *	"450 4.7.1 Error: too many recipients from ADDR" to RCPT TO.
 * .PP
 *	A limit of 0 is no limit. Clients that match
 *	$smtpd_client_event_limit_exceptions (default $mynetworks) are not
 *	counted. Each refusal is logged as a warning ("Connection
 *	concurrency limit exceeded: 51 from CLIENT for service smtp").
 *	When anvil cannot be reached smtpd goes on without limits (the
 *	anvil client logs a warning).
 *
 *	The functions return 0 to go on, -1 after refusing.
 */
#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/anvil_clnt.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include "smtpd.h"

static struct anvil_clnt *smtpd_anvil_clnt;

/* smtpd_anvil - the client, created on first use */
static struct anvil_clnt *
smtpd_anvil(void)
{
	struct buf *path;

	if (smtpd_anvil_clnt == NULL) {
		path = buf_new(64);
		buf_printf(path, "%s/%s", MAIL_CLASS_PRIVATE, var_anvil_service_name);
		smtpd_anvil_clnt = anvil_clnt_create(buf_str(path));
		buf_free(path);
	}
	return (smtpd_anvil_clnt);
}

/* smtpd_anvil_connect - count the connection; -1 when over a limit */
int
smtpd_anvil_connect(struct smtpd_state *state)
{
	int	count = 0;
	int	rate = 0;

	if (state->is_event_exempt || (var_smtpd_client_connection_count_limit <= 0
			       && var_smtpd_client_connection_rate_limit <= 0))
		return (0);
	if (anvil_clnt_connect(smtpd_anvil(), state->service, state->addr,
			       &count, &rate) != ANVIL_STAT_OK)
		return (0);
	state->anvil_connected = true;
	if (var_smtpd_client_connection_count_limit > 0
	    && count > var_smtpd_client_connection_count_limit) {
		smtpd_reply(state, "421 4.7.0 %s Error: too many connections from %s",
			    var_myhostname, state->addr);
		msg_warn("Connection concurrency limit exceeded: %d from %s for service %s",
			 count, state->namaddr, state->service);
		return (-1);
	}
	if (var_smtpd_client_connection_rate_limit > 0
	    && rate > var_smtpd_client_connection_rate_limit) {
		smtpd_reply(state, "421 4.7.0 %s Error: too many connections from %s",
			    var_myhostname, state->addr);
		msg_warn("Connection rate limit exceeded: %d from %s for service %s",
			 rate, state->namaddr, state->service);
		return (-1);
	}
	return (0);
}

/* smtpd_anvil_disconnect - the connection is over */
void
smtpd_anvil_disconnect(struct smtpd_state *state)
{
	if (!state->anvil_connected)
		return;
	(void) anvil_clnt_disconnect(smtpd_anvil(), state->service, state->addr);
	state->anvil_connected = false;
}

/* smtpd_anvil_mail - count a MAIL FROM; -1 when over the limit */
int
smtpd_anvil_mail(struct smtpd_state *state)
{
	int	rate = 0;

	if (state->is_event_exempt || var_smtpd_client_message_rate_limit <= 0)
		return (0);
	if (anvil_clnt_mail(smtpd_anvil(), state->service, state->addr, &rate) != ANVIL_STAT_OK
	    || rate <= var_smtpd_client_message_rate_limit)
		return (0);
	smtpd_reply(state, "450 4.7.1 Error: too much mail from %s", state->addr);
	msg_warn("Message delivery request rate limit exceeded: %d from %s for service %s",
		 rate, state->namaddr, state->service);
	return (-1);
}

/* smtpd_anvil_rcpt - count a RCPT TO; -1 when over the limit */
int
smtpd_anvil_rcpt(struct smtpd_state *state)
{
	int	rate = 0;

	if (state->is_event_exempt || var_smtpd_client_recipient_rate_limit <= 0)
		return (0);
	if (anvil_clnt_rcpt(smtpd_anvil(), state->service, state->addr, &rate) != ANVIL_STAT_OK
	    || rate <= var_smtpd_client_recipient_rate_limit)
		return (0);
	smtpd_reply(state, "450 4.7.1 Error: too many recipients from %s", state->addr);
	msg_warn("Recipient address rate limit exceeded: %d from %s for service %s",
		 rate, state->namaddr, state->service);
	return (-1);
}
