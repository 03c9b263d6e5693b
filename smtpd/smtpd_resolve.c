/*
 * NAME
 *	smtpd_resolve - address classes, relay authorization, recipient tables
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int	smtpd_resolve_class(struct smtpd_check *chk, const char *addr);
 *	int	smtpd_resolve_auth(struct smtpd_check_job *job);
 *	int	smtpd_resolve_unauth(struct smtpd_check_job *job, int code,
 *			const char *dsn);
 *	int	smtpd_resolve_unlisted(struct smtpd_check_job *job,
 *			const char *addr, const char *what);
 * DESCRIPTION
 *	smtpd_resolve_class() puts an address in Postfix's address class
 *	by its domain (an address without one gets $myorigin):
 *	SMTPD_CLASS_LOCAL ($mydestination, or an address literal of one of
 *	our addresses as resolve(3) decides for qmgr: $inet_interfaces and
 *	$proxy_interfaces, every interface address only when
 *	inet_interfaces is "all"), SMTPD_CLASS_VIRTUAL ($virtual_alias_domains),
 *	SMTPD_CLASS_RELAY ($relay_domains, subdomains included) or
 *	SMTPD_CLASS_DEFAULT; SMTPD_CLASS_ERROR when a table lookup failed.
 *
 *	smtpd_resolve_auth() is 1 when the job's recipient is one we may
 *	accept from anyone (not the default class, and no sender-specified
 *	routing: % ! @ in the local part), 0 when not, -1 on lookup error.
 *	smtpd_resolve_unauth() implements reject_unauth_destination and
 *	defer_unauth_destination: "CODE DSN <rcpt>: Relay access denied".
 *
 *	smtpd_resolve_unlisted() implements reject_unlisted_recipient and
 *	_sender: the address must be in local_recipient_maps (local class:
 *	"user@domain", "user", each also without the recipient_delimiter
 *	extension), virtual_alias_maps or relay_recipient_maps
 *	("user@domain", "@domain"). An empty map list turns the check off.
 *	The refusal is "550 5.1.1 <addr>: WHAT address rejected: User
 *	unknown in local recipient table" (or virtual alias table, relay
 *	recipient table; the codes are the unknown_*_reject_code
 *	parameters).
 * SEE ALSO
 *	smtpd_check(3)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <global/address.h>
#include <global/maps.h>
#include <global/params.h>
#include <global/resolve.h>
#include "smtpd.h"

/* smtpd_resolve_literal - "[addr]" of one of our addresses? */
static bool
smtpd_resolve_literal(struct smtpd_check *chk, const char *domain)
{

	/*
	 * The same answer as qmgr's resolver, or mail accepted here as local
	 * would be relayed (or bounced) there: inet_interfaces and
	 * proxy_interfaces only, every interface address only for "all".
	 */
	return (*domain == '[' && resolve_local_domain(chk->resolver, domain) > 0);
}

/* smtpd_resolve_class - the address class of an address's domain */
int
smtpd_resolve_class(struct smtpd_check *chk, const char *addr)
{
	struct buf *domain = buf_new(64);
	int	class = SMTPD_CLASS_DEFAULT;
	int	hit = 0;

	if (address_domain(domain, addr) == NULL)
		buf_cpy(domain, var_myorigin);
	if (smtpd_resolve_literal(chk, buf_str(domain))
	    || (hit = smtpd_domain_match(chk->mydestination, buf_str(domain))) > 0)
		class = SMTPD_CLASS_LOCAL;
	else if (hit < 0)
		class = SMTPD_CLASS_ERROR;
	else if ((hit = smtpd_domain_match(chk->virtual_domains, buf_str(domain))) != 0)
		class = hit > 0 ? SMTPD_CLASS_VIRTUAL : SMTPD_CLASS_ERROR;
	else if ((hit = smtpd_domain_match(chk->relay_domains, buf_str(domain))) != 0)
		class = hit > 0 ? SMTPD_CLASS_RELAY : SMTPD_CLASS_ERROR;
	buf_free(domain);
	return (class);
}

/* smtpd_resolve_auth - 1 when we may accept mail for rcpt */
int
smtpd_resolve_auth(struct smtpd_check_job *job)
{
	int	class;

	if ((class = smtpd_resolve_class(job->chk, job->rcpt)) == SMTPD_CLASS_ERROR)
		return (-1);
	if (class == SMTPD_CLASS_DEFAULT || address_has_route_chars(job->rcpt))
		return (0);
	return (1);
}

/* smtpd_resolve_unauth - reject_unauth_destination and defer_unauth_destination */
int
smtpd_resolve_unauth(struct smtpd_check_job *job, int code, const char *dsn)
{
	int	auth;

	if (job->rcpt == NULL)
		return (SMTPD_CHECK_DUNNO);
	if ((auth = smtpd_resolve_auth(job)) < 0)
		return (smtpd_check_lookup_error(job, job->rcpt));
	if (auth)
		return (SMTPD_CHECK_DUNNO);
	return (smtpd_check_reply(job, code, dsn, "<%s>: Relay access denied", job->rcpt));
}

/* resolve_find_user - search recipient maps; 1 found, 0 not, -1 error */
static int
resolve_find_user(struct maps *maps, const char *addr, bool local)
{
	struct buf *key = buf_new(64);
	struct buf *domain = buf_new(64);
	const char *ext;
	int	found = 0;
	int	i;

	for (i = 0; found == 0 && i < 4; i++) {
		switch (i) {
		case 0:		/* user+ext@domain */
			buf_cpy(key, addr);
			break;
		case 1:		/* user@domain */
			if (*var_recipient_delimiter == 0
			    || (ext = strpbrk(addr, var_recipient_delimiter)) == NULL
			    || strchr(ext, '@') == NULL)
				continue;
			buf_reset(key);
			buf_catn(key, addr, (size_t) (ext - addr));
			buf_cat(key, strrchr(addr, '@'));
			break;
		case 2:		/* local: user (also without extension) */
			if (!local)
				continue;
			address_local(key, addr);
			if (*var_recipient_delimiter
			    && (ext = strpbrk(buf_str(key), var_recipient_delimiter)) != NULL
			    && maps_find(maps, buf_str(key), 0) == NULL
			    && maps_error(maps) == MAPS_ERR_NONE)
				buf_truncate(key, (size_t) (ext - buf_str(key)));
			break;
		default:	/* virtual, relay: @domain */
			if (local || address_domain(domain, addr) == NULL)
				continue;
			buf_printf(key, "@%s", buf_str(domain));
			break;
		}
		if (maps_find(maps, buf_str(key), 0) != NULL)
			found = 1;
		else if (maps_error(maps) != MAPS_ERR_NONE)
			found = -1;
	}
	buf_free(key);
	buf_free(domain);
	return (found);
}

/* smtpd_resolve_unlisted - reject_unlisted_recipient / _sender */
int
smtpd_resolve_unlisted(struct smtpd_check_job *job, const char *addr, const char *what)
{
	struct smtpd_check *chk = job->chk;
	struct maps *maps = NULL;
	const char *table = NULL;
	int	code = 550;
	int	found;

	if (addr == NULL || *addr == 0)
		return (SMTPD_CHECK_DUNNO);
	switch (smtpd_resolve_class(chk, addr)) {
	case SMTPD_CLASS_ERROR:
		return (smtpd_check_lookup_error(job, addr));
	case SMTPD_CLASS_LOCAL:
		maps = chk->local_rcpt_maps, table = "local recipient table";
		code = var_unknown_local_recipient_reject_code;
		break;
	case SMTPD_CLASS_VIRTUAL:
		maps = chk->virtual_maps, table = "virtual alias table";
		code = var_unknown_virtual_alias_reject_code;
		break;
	case SMTPD_CLASS_RELAY:
		maps = chk->relay_rcpt_maps, table = "relay recipient table";
		code = var_unknown_relay_recipient_reject_code;
		break;
	default:
		break;
	}
	if (maps == NULL)
		return (SMTPD_CHECK_DUNNO);
	if ((found = resolve_find_user(maps, addr, maps == chk->local_rcpt_maps)) < 0)
		return (smtpd_check_lookup_error(job, addr));
	if (found)
		return (SMTPD_CHECK_DUNNO);
	return (smtpd_check_reply(job, code, code / 100 == 4 ? "4.1.1" : "5.1.1",
			    "<%s>: %s address rejected: User unknown in %s",
			    addr, what, table));
}
