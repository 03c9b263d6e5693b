/*
 * NAME
 *	smtp_tls - STARTTLS policy of the SMTP client
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	int	smtp_tls_start(struct smtp_state *state,
 *				struct smtp_session *session,
 *				const char *nexthop_domain, int allow_tls);
 * DESCRIPTION
 *	smtp_tls_start() runs after EHLO and applies
 *	smtp_tls_security_level to the session:
 * .IP none
 *	plaintext.
 * .IP may
 *	STARTTLS when the server offers it; without the offer, when the
 *	server refuses the command, or (allow_tls zero) on the second try
 *	after a failed handshake, plaintext. A failed handshake returns
 *	SMTP_TLS_RETRY_PLAIN: the caller reconnects without TLS.
 * .IP encrypt
 *	TLS is required: no offer, a refusal or a failed handshake defers
 *	the pending recipients ("TLS is required, but was not offered by
 *	host ...", 4.7.4).
 * .IP "verify, secure"
 *	as encrypt, and the server certificate must verify against
 *	smtp_tls_CAfile/smtp_tls_CApath and match a name:
 *	smtp_tls_verify_cert_match (default: the MX host name) for verify,
 *	smtp_tls_secure_cert_match (default: the nexthop domain and its
 *	subdomains) for secure. Otherwise the recipients are deferred
 *	("Server certificate not trusted" / "not verified", 4.7.5).
 * .PP
 *	Every TLS session is logged as Postfix does: "Verified TLS
 *	connection established to host[addr]:25: TLSv1.3 with cipher ..."
 *	(also Trusted, Untrusted, Anonymous). After the handshake EHLO is
 *	sent again (RFC 3207). It returns SMTP_TLS_OK (go on, with or
 *	without TLS), SMTP_TLS_RETRY_PLAIN or SMTP_TLS_FAIL (the failure is
 *	recorded for the pending recipients).
 * SEE ALSO
 *	tls(3), RFC 3207
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/msg.h>
#include <global/params.h>

#include <strings.h>

#include "smtp.h"

#define SMTP_STAGE_STARTTLS	"sending STARTTLS"

/* smtp_tls_names - the names a certificate must match */
static struct argv *
smtp_tls_names(struct smtp_session *session, const char *domain)
{
	const char *spec = smtp_conf.tls_level == TLS_LEV_SECURE ?
	var_smtp_tls_secure_cert_match : var_smtp_tls_verify_cert_match;
	struct argv *words = argv_split(spec, ", \t\r\n:");
	struct argv *names = argv_new(words->argc + 1);
	struct buf *dot = buf_new(100);
	size_t	i;

	for (i = 0; i < words->argc; i++) {
		if (strcasecmp(words->argv[i], "hostname") == 0) {
			argv_add(names, session->host);
		} else if (strcasecmp(words->argv[i], "nexthop") == 0) {
			argv_add(names, domain);
		} else if (strcasecmp(words->argv[i], "dot-nexthop") == 0) {
			buf_printf(dot, ".%s", domain);
			argv_add(names, dot->data);
		} else {
			argv_add(names, words->argv[i]);
		}
	}
	buf_free(dot);
	argv_free(words);
	return (names);
}

/* smtp_tls_check - trust requirements of verify and secure */
static int
smtp_tls_check(struct smtp_state *state, struct smtp_session *session,
	               const char *domain)
{
	struct argv *names;
	int	trust;

	if (smtp_conf.tls_level >= TLS_LEV_VERIFY) {
		names = smtp_tls_names(session, domain);
		(void) tls_session_match(session->tls, (const char *const *) names->argv);
		argv_free(names);
	}
	trust = tls_session_trust(session->tls);
	if (smtp_conf.tls_level < TLS_LEV_VERIFY || trust == TLS_TRUST_VERIFIED)
		return (0);
	if (trust < TLS_TRUST_TRUSTED) {
		msg_info("certificate verification failed for %s: %s", session->relay,
			 tls_session_verify_error(session->tls));
		smtp_rcpt_fail_pending(state, "4.7.5", session->relay, 0,
				       "Server certificate not trusted");
	} else {
		msg_info("server certificate verification failed for %s: hostname mismatch",
			 session->relay);
		smtp_rcpt_fail_pending(state, "4.7.5", session->relay, 0,
				       "Server certificate not verified");
	}
	return (-1);
}

/* smtp_tls_handshake - STARTTLS accepted: the handshake and its log */
static int
smtp_tls_handshake(struct smtp_state *state, struct smtp_session *session,
		           const char *domain)
{
	struct buf *why = buf_new(100);
	struct buf *summary = buf_new(100);
	int	ret = SMTP_TLS_OK;

	session->tls = tls_client_start(smtp_conf.tls_ctx, session->stream,
					session->host,
					var_smtp_starttls_timeout * 1000L, why);
	if (session->tls == NULL) {
		session->is_broken = 1;
		msg_info("TLS handshake with %s failed: %s", session->relay, why->data);
		smtp_rcpt_fail_pending(state, "4.7.5", session->relay, 0,
				       "Cannot start TLS: handshake failure");
		ret = smtp_conf.tls_level == TLS_LEV_MAY ? SMTP_TLS_RETRY_PLAIN : SMTP_TLS_FAIL;
	} else {
		ret = smtp_tls_check(state, session, domain) < 0 ? SMTP_TLS_FAIL : SMTP_TLS_OK;
		msg_info("%s TLS connection established to %s: %s",
			 tls_trust_name(tls_session_trust(session->tls)),
			 session->relay, tls_session_summary(session->tls, summary));
		if (ret == SMTP_TLS_OK && smtp_helo(state, session) < 0)
			ret = SMTP_TLS_FAIL;
	}
	buf_free(why);
	buf_free(summary);
	return (ret);
}

/* smtp_tls_start - apply the TLS security level */
int
smtp_tls_start(struct smtp_state *state, struct smtp_session *session,
	               const char *domain, int allow_tls)
{
	struct smtp_reply reply;
	int	level = smtp_conf.tls_level;
	int	ret;

	if (level == TLS_LEV_NONE || (level == TLS_LEV_MAY && !allow_tls))
		return (SMTP_TLS_OK);
	if ((session->features & SMTP_FEAT_STARTTLS) == 0) {
		if (level == TLS_LEV_MAY)
			return (SMTP_TLS_OK);
		smtp_rcpt_fail_pending(state, "4.7.4", session->relay, 0,
				       "TLS is required, but was not offered by host %s",
				       session->namaddr);
		return (SMTP_TLS_FAIL);
	}
	smtp_reply_init(&reply);
	if (smtp_chat(state, session, var_smtp_starttls_timeout, &reply,
		      SMTP_STAGE_STARTTLS, "STARTTLS") < 0) {
		ret = SMTP_TLS_FAIL;
	} else if (reply.code != 220) {
		if (level == TLS_LEV_MAY) {
			ret = SMTP_TLS_OK;
		} else {
			smtp_rcpt_fail_pending(state, "4.7.4", session->relay, reply.code,
			      "TLS is required, but host %s refused to start TLS: %s",
					       session->namaddr, reply.text->data);
			ret = SMTP_TLS_FAIL;
		}
	} else {
		ret = smtp_tls_handshake(state, session, domain);
	}
	smtp_reply_free(&reply);
	return (ret);
}
