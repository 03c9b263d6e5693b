/*
 * NAME
 *	smtp_init - smtp(8) configuration from main.cf and master.cf
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	extern struct smtp_conf smtp_conf;
 *
 *	int	smtp_init_tls(struct buf *why);
 *	int	smtp_init(struct buf *why);
 *	struct dns_ctx *smtp_init_dns(struct buf *why);
 *	void	smtp_init_free(void);
 * DESCRIPTION
 *	smtp_init_tls() checks smtp_tls_security_level and, unless it is
 *	none, creates the client TLS context from smtp_tls_CAfile,
 *	smtp_tls_CApath, smtp_tls_cert_file, smtp_tls_key_file and
 *	smtp_tls_protocols (smtp_tls_mandatory_protocols at encrypt and
 *	above). It runs before privileges are dropped.
 *
 *	smtp_init() derives the rest: the DNS lookup flags
 *	(inet_protocols, smtp_host_lookup, smtp_dns_support_level), the
 *	throttle patterns, the fallback relays, the static connection cache
 *	destinations, smtp_address_preference and the connect timeout
 *	(smtp_connect_timeout; the spelling smtp_connection_timeout, from
 *	the tuning article Postern was built from, is honoured when set and
 *	smtp_connect_timeout is not).
 *
 *	smtp_init_dns() returns the resolver context, creating it from
 *	smtp_dns_resolver_config on first use; NULL with a reason when it
 *	cannot be created (the caller defers the mail).
 *
 *	All return -1 (or NULL) with a reason for a configuration error;
 *	the daemon treats that as fatal.
 * SEE ALSO
 *	smtp(8), tls(3), dns(3)
 */
#include <util/sys_defs.h>
#include <util/argv.h>
#include <util/msg.h>
#include <global/params.h>

#include "smtp.h"

struct smtp_conf smtp_conf;

/* smtp_init_tls - security level and client context */
int
smtp_init_tls(struct buf *why)
{
	struct tls_ctx_params p;

	smtp_conf.tls_level = tls_level_parse(var_smtp_tls_security_level);
	if (smtp_conf.tls_level < 0) {
		buf_printf(why, "smtp_tls_security_level: unsupported level \"%s\"",
			   var_smtp_tls_security_level);
		return (-1);
	}
	if (smtp_conf.tls_level == TLS_LEV_NONE || smtp_conf.tls_ctx)
		return (0);
	memset(&p, 0, sizeof(p));
	p.cert_file = var_smtp_tls_cert_file;
	p.key_file = var_smtp_tls_key_file;
	p.CAfile = var_smtp_tls_CAfile;
	p.CApath = var_smtp_tls_CApath;
	p.protocols = smtp_conf.tls_level >= TLS_LEV_ENCRYPT ?
		var_smtp_tls_mandatory_protocols : var_smtp_tls_protocols;
	if ((smtp_conf.tls_ctx = tls_client_ctx_create(&p, why)) == NULL)
		return (-1);
	return (0);
}

/* smtp_init_timeout - smtp_connect_timeout, or the article's spelling */
static long
smtp_init_timeout(void)
{
	const char *alias = params_get("smtp_connection_timeout");
	long	seconds;

	if (!params_is_set("smtp_connect_timeout") && alias && *alias) {
		if (params_parse_time(alias, 's', &seconds) == 0)
			return (seconds);
		msg_warn("smtp_connection_timeout: bad time value \"%s\": using smtp_connect_timeout",
			 alias);
	}
	return (var_smtp_connect_timeout);
}

/* smtp_init - everything but TLS */
int
smtp_init(struct buf *why)
{
	if ((smtp_conf.dns_flags = dns_lookup_flags(var_inet_protocols,
						    var_smtp_host_lookup,
					     var_smtp_dns_support_level, why)) < 0)
		return (-1);
	if ((smtp_conf.prefer = smtp_addr_prefer_parse(var_smtp_address_preference)) < 0) {
		buf_printf(why, "smtp_address_preference: unknown value \"%s\"",
			   var_smtp_address_preference);
		return (-1);
	}
	smtp_throttle_free(smtp_conf.throttle);
	smtp_conf.throttle = smtp_throttle_create(var_smtp_throttle_reply_patterns);
	if (smtp_conf.fallback)
		argv_free(smtp_conf.fallback);
	smtp_conf.fallback = argv_split(var_smtp_fallback_relay, ", \t\r\n");
	if (smtp_conf.cache_dests)
		argv_free(smtp_conf.cache_dests);
	smtp_conf.cache_dests = argv_split(var_smtp_connection_cache_destinations,
					   ", \t\r\n");
	smtp_conf.connect_timeout = smtp_init_timeout();
	return (0);
}

/* smtp_init_dns - the resolver, created on first use */
struct dns_ctx *
smtp_init_dns(struct buf *why)
{
	if (smtp_conf.dns == NULL)
		smtp_conf.dns = dns_ctx_create(var_smtp_dns_resolver_config, why);
	return (smtp_conf.dns);
}

/* smtp_init_free - release everything (tests, exit) */
void
smtp_init_free(void)
{
	tls_ctx_free(smtp_conf.tls_ctx);
	dns_ctx_free(smtp_conf.dns);
	smtp_throttle_free(smtp_conf.throttle);
	if (smtp_conf.fallback)
		argv_free(smtp_conf.fallback);
	if (smtp_conf.cache_dests)
		argv_free(smtp_conf.cache_dests);
	memset(&smtp_conf, 0, sizeof(smtp_conf));
}
