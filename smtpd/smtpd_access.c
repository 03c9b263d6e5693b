/*
 * NAME
 *	smtpd_access - check_*_access lookup tables
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int	smtpd_access_client(struct smtpd_check_job *job, const char *table);
 *	int	smtpd_access_helo(struct smtpd_check_job *job, const char *table);
 *	int	smtpd_access_sender(struct smtpd_check_job *job, const char *table);
 *	int	smtpd_access_recipient(struct smtpd_check_job *job,
 *			const char *table);
 * DESCRIPTION
 *	The restrictions check_client_access, check_helo_access,
 *	check_sender_access and check_recipient_access type:table, as
 *	access(5) of Postfix describes them, for smtpd_check(3).
 *
 *	Lookup keys, first match wins: for a client its address, then the
 *	address with its last part cut off ("1.2.3", "1.2", "1"; IPv6 at
 *	":" boundaries; client host names are never known); for a HELO
 *	name the name and its parent domains; for an address
 *	"user+ext@domain", "user@domain", "domain" and its parent domains,
 *	"user+ext@", "user@" (recipient_delimiter), the null sender as
 *	smtpd_null_access_lookup_key.
 *
 *	Values: OK or a number (permit), DUNNO (go on), REJECT [text]
 *	(access_map_reject_code 5.7.1), DEFER [text] (access_map_defer_code
 *	4.7.1), "4NN text" or "5NN text" (an enhanced status code of the
 *	same class may start the text), or a list of restrictions that is
 *	evaluated in place (at most SMTPD_CHECK_MAX_DEPTH deep). The reply
 *	is "CODE DSN <NAME>: CLASS rejected: TEXT" with "Access denied" as
 *	the default text.
 *
 *	The functions return SMTPD_CHECK_DUNNO, SMTPD_CHECK_OK or
 *	SMTPD_CHECK_REJECT with job->reply; a failed lookup is a 451 4.3.0
 *	reject.
 * SEE ALSO
 *	smtpd_check(3)
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <strings.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/address.h>
#include <global/dsn.h>
#include <global/maps.h>
#include <global/params.h>
#include "smtpd.h"

/* access_reply - REJECT/DEFER/NNN with optional text */
static int
access_reply(struct smtpd_check_job *job, int code, const char *text,
		           const char *name, const char *class)
{
	char	dsn[DSN_STATUS_SIZE];
	size_t	len = dsn_status_len(text);

	snprintf(dsn, sizeof(dsn), "%d.7.1", code / 100);
	if (len > 0 && len < sizeof(dsn) && text[0] - '0' == code / 100) {
		memcpy(dsn, text, len);
		dsn[len] = 0;
		text += len;
		while (*text == ' ' || *text == '\t')
			text++;
	}
	return (smtpd_check_reply(job, code, dsn, "<%s>: %s rejected: %s", name, class,
			    *text ? text : "Access denied"));
}

/* access_value - act on what an access table said */
static int
access_value(struct smtpd_check_job *job, const char *value, const char *table,
		           const char *name, const char *class)
{
	struct argv *items;
	const char *text = value;
	int	status;

	while (*text && !isspace((unsigned char) *text))
		text++;
	while (isspace((unsigned char) *text))
		text++;
	if (strncasecmp(value, "OK", 2) == 0 && (value[2] == 0 || isspace((unsigned char) value[2])))
		return (SMTPD_CHECK_OK);
	if (strspn(value, "0123456789") == strlen(value))
		return (SMTPD_CHECK_OK);
	if (strncasecmp(value, "DUNNO", 5) == 0 && (value[5] == 0 || isspace((unsigned char) value[5])))
		return (SMTPD_CHECK_DUNNO);
	if (strncasecmp(value, "REJECT", 6) == 0 && (value[6] == 0 || isspace((unsigned char) value[6])))
		return (access_reply(job, var_access_map_reject_code, text, name, class));
	if (strncasecmp(value, "DEFER", 5) == 0 && (value[5] == 0 || isspace((unsigned char) value[5])))
		return (access_reply(job, var_access_map_defer_code, text, name, class));
	if ((value[0] == '4' || value[0] == '5') && isdigit((unsigned char) value[1])
	    && isdigit((unsigned char) value[2]) && (value[3] == 0 || isspace((unsigned char) value[3])))
		return (access_reply(job, atoi(value), text, name, class));
	if (job->depth >= SMTPD_CHECK_MAX_DEPTH) {
		msg_warn("%s: restriction nesting too deep for \"%s\"", table, name);
		return (smtpd_check_config_error(job));
	}
	items = argv_split(value, ARGV_LIST_DELIMS);
	job->depth++;
	status = smtpd_check_list(job, items->argv, items->argc);
	job->depth--;
	argv_free(items);
	return (status);
}

/* access_lookup - one access table key; -1 lookup error, 0 none, 1 found */
static int
access_lookup(struct smtpd_check_job *job, struct maps *maps, const char *key,
	         const char *name, const char *class, int *status)
{
	const char *value;
	char   *copy;

	if ((value = maps_find(maps, key, 0)) == NULL) {
		if (maps_error(maps) != MAPS_ERR_NONE) {
			*status = smtpd_check_lookup_error(job, name);
			return (-1);
		}
		return (0);
	}
	copy = xstrdup(value);
	*status = access_value(job, copy, maps_title(maps), name, class);
	free(copy);
	return (*status == SMTPD_CHECK_DUNNO ? 0 : 1);
}

/* access_domain_keys - a domain and its parent domains */
static int
access_domain_keys(struct smtpd_check_job *job, struct maps *maps, const char *domain,
		          const char *name, const char *class, int *status)
{
	const char *cp;
	int	ret;

	for (cp = domain; cp != NULL && *cp; cp = strchr(cp, '.')) {
		if (*cp == '.')
			cp++;
		if ((ret = access_lookup(job, maps, cp, name, class, status)) != 0)
			return (ret);
	}
	return (0);
}

/* access_addr - the lookup sequence of an address */
static int
access_addr(struct smtpd_check_job *job, struct maps *maps, const char *addr,
		          const char *class)
{
	struct buf *key = buf_new(64);
	struct buf *local = buf_new(64);
	const char *ext = NULL;
	const char *at = strrchr(addr, '@');
	int	status = SMTPD_CHECK_DUNNO;
	int	ret;

	address_local(local, addr);
	if (*var_recipient_delimiter)
		ext = strpbrk(buf_str(local), var_recipient_delimiter);
	ret = access_lookup(job, maps, *addr ? addr : var_smtpd_null_access_lookup_key,
			   addr, class, &status);
	if (ret == 0 && ext != NULL && at != NULL) {
		buf_reset(key);
		buf_catn(key, buf_str(local), (size_t) (ext - buf_str(local)));
		buf_cat(key, at);
		ret = access_lookup(job, maps, buf_str(key), addr, class, &status);
	}
	if (ret == 0 && at != NULL)
		ret = access_domain_keys(job, maps, at + 1, addr, class, &status);
	if (ret == 0 && *addr) {
		buf_printf(key, "%s@", buf_str(local));
		ret = access_lookup(job, maps, buf_str(key), addr, class, &status);
	}
	if (ret == 0 && *addr && ext != NULL) {
		buf_reset(key);
		buf_catn(key, buf_str(local), (size_t) (ext - buf_str(local)));
		buf_putc(key, '@');
		ret = access_lookup(job, maps, buf_str(key), addr, class, &status);
	}
	buf_free(key);
	buf_free(local);
	return (status);
}

/* smtpd_access_client - check_client_access type:table */
int
smtpd_access_client(struct smtpd_check_job *job, const char *arg)
{
	struct maps *maps = smtpd_check_table(job->chk, arg);
	struct buf *key = buf_new(64);
	const char *addr = job->ctx->client_addr;
	char	sep = strchr(addr, ':') ? ':' : '.';
	int	status = SMTPD_CHECK_DUNNO;
	char   *cut;

	if (strcmp(job->ctx->client_name, "unknown") != 0
	    && access_domain_keys(job, maps, job->ctx->client_name, job->ctx->namaddr,
				 "Client host", &status) != 0) {
		buf_free(key);
		return (status);
	}
	buf_cpy(key, addr);
	while (access_lookup(job, maps, buf_str(key), job->ctx->namaddr,
			    "Client host", &status) == 0
	       && (cut = strrchr(buf_str(key), sep)) != NULL)
		buf_truncate(key, (size_t) (cut - buf_str(key)));
	buf_free(key);
	return (status);
}

/* smtpd_access_helo - check_helo_access type:table */
int
smtpd_access_helo(struct smtpd_check_job *job, const char *arg)
{
	int	status = SMTPD_CHECK_DUNNO;

	if (job->ctx->helo != NULL)
		access_domain_keys(job, smtpd_check_table(job->chk, arg), job->ctx->helo,
				  job->ctx->helo, "Helo command", &status);
	return (status);
}

/* smtpd_access_sender - check_sender_access type:table */
int
smtpd_access_sender(struct smtpd_check_job *job, const char *arg)
{
	if (job->ctx->sender == NULL)
		return (SMTPD_CHECK_DUNNO);
	return (access_addr(job, smtpd_check_table(job->chk, arg),
				  job->ctx->sender, "Sender address"));
}

/* smtpd_access_recipient - check_recipient_access type:table */
int
smtpd_access_recipient(struct smtpd_check_job *job, const char *arg)
{
	if (job->rcpt == NULL)
		return (SMTPD_CHECK_DUNNO);
	return (access_addr(job, smtpd_check_table(job->chk, arg),
				  job->rcpt, "Recipient address"));
}
