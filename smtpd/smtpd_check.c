/*
 * NAME
 *	smtpd_check - SMTP access restrictions and recipient validation
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	struct smtpd_check *smtpd_check_new(struct buf *why);
 *	void	smtpd_check_free(struct smtpd_check *chk);
 *
 *	int	smtpd_check_client(struct smtpd_check *chk,
 *			const struct smtpd_check_ctx *ctx, struct buf *reply);
 *	int	smtpd_check_helo(struct smtpd_check *chk,
 *			const struct smtpd_check_ctx *ctx, struct buf *reply);
 *	int	smtpd_check_mail(struct smtpd_check *chk,
 *			const struct smtpd_check_ctx *ctx, struct buf *reply);
 *	int	smtpd_check_rcpt(struct smtpd_check *chk,
 *			const struct smtpd_check_ctx *ctx, const char *rcpt,
 *			struct buf *reply);
 *	int	smtpd_check_vrfy(struct smtpd_check *chk,
 *			const struct smtpd_check_ctx *ctx, const char *rcpt,
 *			struct buf *reply);
 *	int	smtpd_check_size(long size, struct buf *reply);
 *
 *	int	smtpd_check_mynetworks(struct smtpd_check *chk, const char *addr);
 *	int	smtpd_check_bare_nl_excluded(struct smtpd_check *chk,
 *			const char *addr);
 *	int	smtpd_check_event_exempt(struct smtpd_check *chk,
 *			const char *addr);
 * DESCRIPTION
 *	smtpd_check_new() reads the restriction lists and the address
 *	classes from the current parameters, opens every table they name
 *	(before smtpd gives up its privileges), and validates the lists: an
 *	unknown restriction name draws a warning (and a 451 4.3.5 "Server
 *	configuration error" when reached), and the configuration must block
 *	open relaying. It returns NULL with a reason in why when a list is
 *	malformed or neither smtpd_relay_restrictions nor
 *	smtpd_recipient_restrictions can reject a recipient.
 *
 *	With smtpd_delay_reject = yes (the default) smtpd calls only
 *	smtpd_check_rcpt(), which evaluates smtpd_client_restrictions,
 *	smtpd_helo_restrictions, smtpd_sender_restrictions,
 *	smtpd_relay_restrictions and smtpd_recipient_restrictions in that
 *	order, and then, with smtpd_reject_unlisted_recipient = yes, the
 *	recipient validation of reject_unlisted_recipient. Each list is
 *	searched in order until a restriction decides: a permit ends that
 *	list (the next list is still evaluated), a reject or defer ends
 *	everything. smtpd_check_client(), _helo() and _mail() evaluate one
 *	list each, for smtpd_delay_reject = no. smtpd_check_vrfy() does the
 *	recipient validation only.
 *
 *	The results are SMTPD_CHECK_DUNNO (no decision: go on),
 *	SMTPD_CHECK_OK, or SMTPD_CHECK_REJECT with the whole SMTP reply in
 *	reply. With soft_bounce = yes a 5xx reply becomes 4xx.
 *
 *	Restrictions:
 * .IP "permit, reject, defer"
 *	reject is 554 5.7.1, defer is $defer_code 4.7.1, "<NAME>: CLASS
 *	rejected: Access denied" where NAME and CLASS follow the list
 *	("Client host", "Helo command", "Sender address", "Recipient
 *	address").
 * .IP permit_mynetworks
 *	the client address matches $mynetworks.
 * .IP permit_sasl_authenticated
 *	never matches: smtpd has no SASL.
 * .IP "reject_unauth_destination, defer_unauth_destination"
 *	the recipient domain is not in $mydestination, the addresses of
 *	$inet_interfaces and $proxy_interfaces, $virtual_alias_domains or
 *	$relay_domains, or its local part holds sender-specified routing
 *	(% ! @): "$relay_domains_reject_code 5.7.1 <rcpt>: Relay access
 *	denied" or "454 4.7.1 <rcpt>: Relay access denied".
 *	permit_auth_destination permits the opposite case.
 * .IP "reject_unlisted_recipient, reject_unlisted_sender"
 *	the address is in a local domain but not in $local_recipient_maps
 *	(550 5.1.1 "User unknown in local recipient table"), in a virtual
 *	alias domain but not in $virtual_alias_maps ("User unknown in
 *	virtual alias table"), or in a relay domain but not in
 *	$relay_recipient_maps ("User unknown in relay recipient table").
 *	An empty map list turns the check off for that class. A failed
 *	lookup answers 451 4.3.0 "Temporary lookup failure".
 * .IP "reject_non_fqdn_recipient, reject_non_fqdn_sender,"
 * .IP "reject_non_fqdn_helo_hostname, reject_invalid_helo_hostname"
 *	as Postfix ($non_fqdn_reject_code, $invalid_hostname_reject_code).
 * .IP "smtpd_access_client, smtpd_access_helo, smtpd_access_sender,"
 * .IP "check_recipient_access type:table"
 *	look up the client address (and its network prefixes "1.2.3",
 *	"1.2", "1"), the HELO name (and its parent domains), or an address
 *	("user+ext@domain", "user@domain", "domain" and its parent
 *	domains, "user+ext@", "user@"; the null sender as
 *	$smtpd_null_access_lookup_key). Values: OK (or a number), DUNNO,
 *	REJECT [text] ($access_map_reject_code 5.7.1), DEFER [text]
 *	($access_map_defer_code 4.7.1), "4NN text" or "5NN text" (an
 *	enhanced status code may start the text), or a list of
 *	restrictions to evaluate in its place.
 * .PP
 *	smtpd_check_size() answers MAIL FROM SIZE=: "552 5.3.4 Message size
 *	exceeds fixed limit" above message_size_limit, "452 4.3.1
 *	Insufficient system storage" when the queue file system (the
 *	current directory) has less than queue_minfree plus the message
 *	size available. It returns 0 or -1 with reply.
 *
 *	smtpd_check_mynetworks(), smtpd_check_bare_nl_excluded() and
 *	smtpd_check_event_exempt() match a client address against
 *	$mynetworks, $smtpd_forbid_bare_newline_exclusions and
 *	$smtpd_client_event_limit_exceptions (1, 0, or -1 for a failed
 *	table lookup).
 * DIAGNOSTICS
 *	Unknown restrictions and unsupported access table actions are
 *	logged with msg_warn() and answered with 451 4.3.5.
 *
 *	The check_*_access tables are in smtpd_access(3), address classes
 *	and recipient validation in smtpd_resolve(3).
 * SEE ALSO
 *	smtpd_access(3), smtpd_resolve(3), access(5) and postconf(5) of
 *	Postfix for the restriction semantics
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <strings.h>
#include <sys/statvfs.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/address.h>
#include <global/dict.h>
#include <global/dsn.h>
#include <global/maps.h>
#include <global/params.h>
#include <global/resolve.h>
#include "smtpd.h"

#define LIST_CLIENT	0
#define LIST_HELO	1
#define LIST_SENDER	2
#define LIST_RELAY	3
#define LIST_RCPT	4
#define LIST_COUNT	SMTPD_CHECK_LISTS

#define REJECT_CODE	554		/* Postfix's reject_code */
#define DEFER_RELAY_CODE 454		/* defer_unauth_destination */

typedef int (*check_fn) (struct smtpd_check_job *job, const char *arg);

struct check_restriction {
	const char *name;
	check_fn fn;
	int	flags;
};

#define CHECK_ARG_TABLE	(1 << 0)	/* takes a type:table argument */
#define CHECK_BLOCKS	(1 << 1)	/* can refuse unauthorized relaying */

/* smtpd_check_reply - format a refusal, applying soft_bounce */
int
smtpd_check_reply(struct smtpd_check_job *job, int code, const char *dsn, const char *fmt, ...)
{
	va_list	ap;
	char	status[DSN_STATUS_SIZE];

	snprintf(status, sizeof(status), "%s", dsn);
	if (var_soft_bounce && code / 100 == 5) {
		code -= 100;
		status[0] = '4';
	}
	buf_printf(job->reply, "%d %s ", code, status);
	va_start(ap, fmt);
	buf_vappendf(job->reply, fmt, ap);
	va_end(ap);
	return (SMTPD_CHECK_REJECT);
}

/* smtpd_check_config_error - a restriction that cannot be evaluated */
int
smtpd_check_config_error(struct smtpd_check_job *job)
{
	buf_cpy(job->reply, "451 4.3.5 Server configuration error");
	return (SMTPD_CHECK_REJECT);
}

/* smtpd_check_lookup_error - a table lookup failed */
int
smtpd_check_lookup_error(struct smtpd_check_job *job, const char *name)
{
	buf_printf(job->reply, "451 4.3.0 <%s>: Temporary lookup failure", name);
	return (SMTPD_CHECK_REJECT);
}

/* smtpd_check_table - the maps of a check_*_access table, opened once */
struct maps *
smtpd_check_table(struct smtpd_check *chk, const char *spec)
{
	struct maps *maps;

	if ((maps = htable_find(chk->tables, spec)) == NULL) {
		maps = maps_create(spec, spec, 0);
		htable_enter(chk->tables, spec, maps);
	}
	return (maps);
}

/* check_reject - reject */
static int
check_reject(struct smtpd_check_job *job, const char *arg)
{
	(void) arg;
	return (smtpd_check_reply(job, REJECT_CODE, "5.7.1", "<%s>: %s rejected: Access denied",
			    job->reply_name, job->reply_class));
}

/* check_defer - defer */
static int
check_defer(struct smtpd_check_job *job, const char *arg)
{
	(void) arg;
	return (smtpd_check_reply(job, var_defer_code, "4.7.1", "<%s>: %s rejected: Access denied",
			    job->reply_name, job->reply_class));
}

/* check_permit - permit */
static int
check_permit(struct smtpd_check_job *job, const char *arg)
{
	(void) job;
	(void) arg;
	return (SMTPD_CHECK_OK);
}

/* check_permit_mynetworks - permit_mynetworks */
static int
check_permit_mynetworks(struct smtpd_check_job *job, const char *arg)
{
	int	hit = smtpd_net_match(job->chk->mynetworks, job->ctx->client_addr);

	(void) arg;
	if (hit < 0)
		return (smtpd_check_lookup_error(job, job->ctx->namaddr));
	return (hit ? SMTPD_CHECK_OK : SMTPD_CHECK_DUNNO);
}

/* check_permit_sasl - permit_sasl_authenticated */
static int
check_permit_sasl(struct smtpd_check_job *job, const char *arg)
{
	(void) arg;
	return (job->ctx->is_sasl ? SMTPD_CHECK_OK : SMTPD_CHECK_DUNNO);
}

/* check_reject_unauth - reject_unauth_destination */
static int
check_reject_unauth(struct smtpd_check_job *job, const char *arg)
{
	(void) arg;
	return (smtpd_resolve_unauth(job, var_relay_domains_reject_code, "5.7.1"));
}

/* check_defer_unauth - defer_unauth_destination */
static int
check_defer_unauth(struct smtpd_check_job *job, const char *arg)
{
	(void) arg;
	return (smtpd_resolve_unauth(job, DEFER_RELAY_CODE, "4.7.1"));
}

/* check_permit_auth - permit_auth_destination */
static int
check_permit_auth(struct smtpd_check_job *job, const char *arg)
{
	int	auth;

	(void) arg;
	if (job->rcpt == NULL)
		return (SMTPD_CHECK_DUNNO);
	if ((auth = smtpd_resolve_auth(job)) < 0)
		return (smtpd_check_lookup_error(job, job->rcpt));
	return (auth ? SMTPD_CHECK_OK : SMTPD_CHECK_DUNNO);
}

/* check_unlisted_rcpt - reject_unlisted_recipient */
static int
check_unlisted_rcpt(struct smtpd_check_job *job, const char *arg)
{
	(void) arg;
	return (smtpd_resolve_unlisted(job, job->rcpt, "Recipient"));
}

/* check_unlisted_sender - reject_unlisted_sender */
static int
check_unlisted_sender(struct smtpd_check_job *job, const char *arg)
{
	(void) arg;
	return (smtpd_resolve_unlisted(job, job->ctx->sender, "Sender"));
}

/* check_is_fqdn - a domain with a dot, or an address literal */
static bool
check_is_fqdn(const char *domain)
{
	const char *dot = strchr(domain, '.');

	if (*domain == '[')
		return (address_domain_literal(domain, NULL) > 0);
	return (dot != NULL && dot != domain && dot[1] != 0);
}

/* check_non_fqdn_addr - reject_non_fqdn_sender/recipient */
static int
check_non_fqdn_addr(struct smtpd_check_job *job, const char *addr, const char *what)
{
	struct buf *domain;
	bool	ok;

	if (addr == NULL || *addr == 0)
		return (SMTPD_CHECK_DUNNO);
	domain = buf_new(64);
	ok = address_domain(domain, addr) != NULL && check_is_fqdn(buf_str(domain));
	buf_free(domain);
	if (ok)
		return (SMTPD_CHECK_DUNNO);
	return (smtpd_check_reply(job, var_non_fqdn_reject_code, "5.5.2",
			 "<%s>: %s address rejected: need fully-qualified address",
			    addr, what));
}

/* check_non_fqdn_rcpt - reject_non_fqdn_recipient */
static int
check_non_fqdn_rcpt(struct smtpd_check_job *job, const char *arg)
{
	(void) arg;
	return (check_non_fqdn_addr(job, job->rcpt, "Recipient"));
}

/* check_non_fqdn_sender - reject_non_fqdn_sender */
static int
check_non_fqdn_sender(struct smtpd_check_job *job, const char *arg)
{
	(void) arg;
	return (check_non_fqdn_addr(job, job->ctx->sender, "Sender"));
}

/* check_non_fqdn_helo - reject_non_fqdn_helo_hostname */
static int
check_non_fqdn_helo(struct smtpd_check_job *job, const char *arg)
{
	const char *helo = job->ctx->helo;

	(void) arg;
	if (helo == NULL || check_is_fqdn(helo))
		return (SMTPD_CHECK_DUNNO);
	return (smtpd_check_reply(job, var_non_fqdn_reject_code, "5.5.2",
		    "<%s>: Helo command rejected: need fully-qualified hostname",
			    helo));
}

/* check_invalid_helo - reject_invalid_helo_hostname */
static int
check_invalid_helo(struct smtpd_check_job *job, const char *arg)
{
	const char *helo = job->ctx->helo;

	(void) arg;
	if (helo == NULL)
		return (SMTPD_CHECK_DUNNO);
	if (*helo == '[' ? address_domain_literal(helo, NULL) > 0
	    : address_domain_valid(helo))
		return (SMTPD_CHECK_DUNNO);
	return (smtpd_check_reply(job, var_invalid_hostname_reject_code, "5.5.2",
			    "<%s>: Helo command rejected: Invalid name", helo));
}

static const struct check_restriction check_table_list[] = {
	{"permit", check_permit, 0},
	{"reject", check_reject, CHECK_BLOCKS},
	{"defer", check_defer, CHECK_BLOCKS},
	{"permit_mynetworks", check_permit_mynetworks, 0},
	{"permit_sasl_authenticated", check_permit_sasl, 0},
	{"reject_unauth_destination", check_reject_unauth, CHECK_BLOCKS},
	{"defer_unauth_destination", check_defer_unauth, CHECK_BLOCKS},
	{"permit_auth_destination", check_permit_auth, 0},
	{"reject_unlisted_recipient", check_unlisted_rcpt, 0},
	{"reject_unlisted_sender", check_unlisted_sender, 0},
	{"reject_non_fqdn_recipient", check_non_fqdn_rcpt, 0},
	{"reject_non_fqdn_sender", check_non_fqdn_sender, 0},
	{"reject_non_fqdn_helo_hostname", check_non_fqdn_helo, 0},
	{"reject_invalid_helo_hostname", check_invalid_helo, 0},
	{"check_client_access", smtpd_access_client, CHECK_ARG_TABLE},
	{"check_helo_access", smtpd_access_helo, CHECK_ARG_TABLE},
	{"check_sender_access", smtpd_access_sender, CHECK_ARG_TABLE},
	{"check_recipient_access", smtpd_access_recipient, CHECK_ARG_TABLE},
};

/* check_find - a restriction by name */
static const struct check_restriction *
check_find(const char *name)
{
	size_t	i;

	for (i = 0; i < ARRAY_LEN(check_table_list); i++)
		if (strcasecmp(name, check_table_list[i].name) == 0)
			return (check_table_list + i);
	return (NULL);
}

/* smtpd_check_list - evaluate restrictions until one decides */
int
smtpd_check_list(struct smtpd_check_job *job, char **items, size_t count)
{
	const struct check_restriction *rp;
	const char *arg;
	size_t	i;
	int	status;

	for (i = 0; i < count; i++) {
		if ((rp = check_find(items[i])) == NULL) {
			msg_warn("unknown smtpd restriction: \"%s\"", items[i]);
			return (smtpd_check_config_error(job));
		}
		arg = NULL;
		if (rp->flags & CHECK_ARG_TABLE) {
			if (i + 1 >= count || strchr(items[i + 1], ':') == NULL) {
				msg_warn("restriction %s requires a type:table argument",
					 rp->name);
				return (smtpd_check_config_error(job));
			}
			arg = items[++i];
		}
		if ((status = rp->fn(job, arg)) != SMTPD_CHECK_DUNNO)
			return (status);
	}
	return (SMTPD_CHECK_DUNNO);
}

/* check_validate - open tables and find unknown names; 1 if it blocks */
static int
check_validate(struct smtpd_check *chk, const char *param, struct argv *list)
{
	const struct check_restriction *rp;
	int	blocks = 0;
	size_t	i;

	for (i = 0; i < list->argc; i++) {
		if ((rp = check_find(list->argv[i])) == NULL) {
			msg_warn("%s: unknown smtpd restriction: \"%s\"", param, list->argv[i]);
			blocks = 1;		/* answers 451 4.3.5: never relays */
			continue;
		}
		if (rp->flags & CHECK_BLOCKS)
			blocks = 1;
		if ((rp->flags & CHECK_ARG_TABLE) && i + 1 < list->argc)
			(void) smtpd_check_table(chk, list->argv[++i]);
		else if (rp->flags & CHECK_ARG_TABLE)
			msg_warn("%s: restriction %s requires a type:table argument",
				 param, rp->name);
	}
	return (blocks);
}

/* check_split_list - split a restriction list, keeping {} groups */
static struct argv *
check_split_list(const char *value, struct buf *why)
{
	struct argv *list = argv_new(8);

	if (dict_split_list(value, ARGV_LIST_DELIMS, list, why) < 0) {
		argv_free(list);
		return (NULL);
	}
	return (list);
}

/* check_maps_or_null - a maps list, or NULL when the value is empty */
static struct maps *
check_maps_or_null(const char *title, const char *value)
{
	return (*value ? maps_create(title, value, 0) : NULL);
}

/* check_open_lists - the address lists and classes */
static int
check_open_lists(struct smtpd_check *chk, struct buf *why)
{
	if ((chk->mynetworks = smtpd_net_new("mynetworks", var_mynetworks, why)) == NULL
	    || (chk->bare_nl_exclusions = smtpd_net_new("smtpd_forbid_bare_newline_exclusions",
			     var_smtpd_forbid_bare_newline_exclusions, why)) == NULL
	    || (chk->event_exceptions = smtpd_net_new("smtpd_client_event_limit_exceptions",
			     var_smtpd_client_event_limit_exceptions, why)) == NULL
	    || (chk->mydestination = smtpd_domain_new("mydestination",
					  var_mydestination, 0, why)) == NULL
	    || (chk->relay_domains = smtpd_domain_new("relay_domains", var_relay_domains,
					   SMTPD_DOMAIN_PARENT, why)) == NULL
	    || (chk->virtual_domains = smtpd_domain_new("virtual_alias_domains",
				     var_virtual_alias_domains, 0, why)) == NULL)
		return (-1);
	chk->local_rcpt_maps = check_maps_or_null("local_recipient_maps",
						  var_local_recipient_maps);
	chk->relay_rcpt_maps = check_maps_or_null("relay_recipient_maps",
						  var_relay_recipient_maps);
	chk->virtual_maps = check_maps_or_null("virtual_alias_maps", var_virtual_alias_maps);
	chk->resolver = resolve_create();
	return (0);
}

/* smtpd_check_new - load and validate the restrictions */
struct smtpd_check *
smtpd_check_new(struct buf *why)
{
	static const char *const names[LIST_COUNT] = {
		"smtpd_client_restrictions", "smtpd_helo_restrictions",
		"smtpd_sender_restrictions", "smtpd_relay_restrictions",
		"smtpd_recipient_restrictions",
	};
	const char *values[LIST_COUNT] = {
		var_smtpd_client_restrictions, var_smtpd_helo_restrictions,
		var_smtpd_sender_restrictions, var_smtpd_relay_restrictions,
		var_smtpd_recipient_restrictions,
	};
	struct smtpd_check *chk = xcalloc(1, sizeof(*chk));
	int	blocks = 0;
	int	i;

	chk->tables = htable_new(16);
	for (i = 0; i < LIST_COUNT; i++) {
		if ((chk->lists[i] = check_split_list(values[i], why)) == NULL) {
			smtpd_check_free(chk);
			return (NULL);
		}
		if (check_validate(chk, names[i], chk->lists[i]) && i >= LIST_RELAY)
			blocks = 1;
	}
	if (!blocks) {
		buf_cpy(why, "in parameter smtpd_relay_restrictions or "
			"smtpd_recipient_restrictions, specify at least one working "
			"instance of: reject_unauth_destination, "
			"defer_unauth_destination, reject or defer");
		smtpd_check_free(chk);
		return (NULL);
	}
	if (check_open_lists(chk, why) < 0) {
		smtpd_check_free(chk);
		return (NULL);
	}
	return (chk);
}

/* check_free_maps - htable value destructor */
static void
check_free_maps(void *ptr)
{
	maps_free((struct maps *) ptr);
}

/* smtpd_check_free - release everything */
void
smtpd_check_free(struct smtpd_check *chk)
{
	int	i;

	if (chk == NULL)
		return;
	for (i = 0; i < LIST_COUNT; i++)
		if (chk->lists[i])
			argv_free(chk->lists[i]);
	htable_free(chk->tables, check_free_maps);
	smtpd_net_free(chk->mynetworks);
	smtpd_net_free(chk->bare_nl_exclusions);
	smtpd_net_free(chk->event_exceptions);
	smtpd_domain_free(chk->mydestination);
	smtpd_domain_free(chk->relay_domains);
	smtpd_domain_free(chk->virtual_domains);
	if (chk->local_rcpt_maps)
		maps_free(chk->local_rcpt_maps);
	if (chk->relay_rcpt_maps)
		maps_free(chk->relay_rcpt_maps);
	if (chk->virtual_maps)
		maps_free(chk->virtual_maps);
	if (chk->resolver)
		resolve_free(chk->resolver);
	free(chk);
}

/* check_run - evaluate one list with its reply name and class */
static int
check_run(struct smtpd_check_job *job, int list)
{
	struct argv *items = job->chk->lists[list];

	switch (list) {
	case LIST_CLIENT:
		job->reply_name = job->ctx->namaddr, job->reply_class = "Client host";
		break;
	case LIST_HELO:
		if (job->ctx->helo == NULL)
			return (SMTPD_CHECK_DUNNO);
		job->reply_name = job->ctx->helo, job->reply_class = "Helo command";
		break;
	case LIST_SENDER:
		if (job->ctx->sender == NULL)
			return (SMTPD_CHECK_DUNNO);
		job->reply_name = job->ctx->sender, job->reply_class = "Sender address";
		break;
	default:
		job->reply_name = job->rcpt, job->reply_class = "Recipient address";
		break;
	}
	return (smtpd_check_list(job, items->argv, items->argc));
}

/* check_job_init - start an evaluation */
static void
check_job_init(struct smtpd_check_job *job, struct smtpd_check *chk,
	           const struct smtpd_check_ctx *ctx, const char *rcpt,
	           struct buf *reply)
{
	job->chk = chk;
	job->ctx = ctx;
	job->rcpt = rcpt;
	job->reply = reply;
	job->depth = 0;
	buf_reset(reply);
}

/* check_one - evaluate a single list */
static int
check_one(struct smtpd_check *chk, const struct smtpd_check_ctx *ctx,
	          int list, struct buf *reply)
{
	struct smtpd_check_job job;

	check_job_init(&job, chk, ctx, NULL, reply);
	return (check_run(&job, list));
}

/* smtpd_check_client - smtpd_client_restrictions */
int
smtpd_check_client(struct smtpd_check *chk, const struct smtpd_check_ctx *ctx,
		           struct buf *reply)
{
	return (check_one(chk, ctx, LIST_CLIENT, reply));
}

/* smtpd_check_helo - smtpd_helo_restrictions */
int
smtpd_check_helo(struct smtpd_check *chk, const struct smtpd_check_ctx *ctx,
		         struct buf *reply)
{
	return (check_one(chk, ctx, LIST_HELO, reply));
}

/* smtpd_check_mail - smtpd_sender_restrictions */
int
smtpd_check_mail(struct smtpd_check *chk, const struct smtpd_check_ctx *ctx,
		         struct buf *reply)
{
	return (check_one(chk, ctx, LIST_SENDER, reply));
}

/* smtpd_check_rcpt - all lists, then recipient validation */
int
smtpd_check_rcpt(struct smtpd_check *chk, const struct smtpd_check_ctx *ctx,
		         const char *rcpt, struct buf *reply)
{
	struct smtpd_check_job job;
	int	first = var_smtpd_delay_reject ? LIST_CLIENT : LIST_RELAY;
	int	list;
	int	status = SMTPD_CHECK_DUNNO;

	check_job_init(&job, chk, ctx, rcpt, reply);
	for (list = first; list < LIST_COUNT; list++)
		if ((status = check_run(&job, list)) == SMTPD_CHECK_REJECT)
			return (status);
	if (var_smtpd_reject_unlisted_recipient) {
		job.reply_name = rcpt, job.reply_class = "Recipient address";
		if (smtpd_resolve_unlisted(&job, rcpt, "Recipient") == SMTPD_CHECK_REJECT)
			return (SMTPD_CHECK_REJECT);
	}
	return (SMTPD_CHECK_OK);
}

/* smtpd_check_vrfy - recipient validation only */
int
smtpd_check_vrfy(struct smtpd_check *chk, const struct smtpd_check_ctx *ctx,
		         const char *rcpt, struct buf *reply)
{
	struct smtpd_check_job job;

	check_job_init(&job, chk, ctx, rcpt, reply);
	if (var_smtpd_reject_unlisted_recipient
	    && smtpd_resolve_unlisted(&job, rcpt, "Recipient") == SMTPD_CHECK_REJECT)
		return (SMTPD_CHECK_REJECT);
	return (SMTPD_CHECK_OK);
}

/* smtpd_check_size - SIZE= against the limit and the free space */
int
smtpd_check_size(long size, struct buf *reply)
{
	struct statvfs fs;
	unsigned long long avail;

	if (size == SMTPD_SIZE_OVERFLOW
	    || (var_message_size_limit > 0 && size > var_message_size_limit)) {
		buf_cpy(reply, "552 5.3.4 Message size exceeds fixed limit");
		return (-1);
	}
	if (var_queue_minfree > 0 && statvfs(".", &fs) == 0) {
		avail = (unsigned long long) fs.f_bavail * fs.f_frsize;
		if (avail < (unsigned long long) var_queue_minfree
		    + (unsigned long long) (size > 0 ? size : 0)) {
			buf_cpy(reply, "452 4.3.1 Insufficient system storage");
			return (-1);
		}
	}
	return (0);
}

/* smtpd_check_mynetworks - client in $mynetworks */
int
smtpd_check_mynetworks(struct smtpd_check *chk, const char *addr)
{
	return (smtpd_net_match(chk->mynetworks, addr));
}

/* smtpd_check_bare_nl_excluded - client in the smuggling exclusions */
int
smtpd_check_bare_nl_excluded(struct smtpd_check *chk, const char *addr)
{
	return (smtpd_net_match(chk->bare_nl_exclusions, addr));
}

/* smtpd_check_event_exempt - client exempt from anvil limits */
int
smtpd_check_event_exempt(struct smtpd_check *chk, const char *addr)
{
	return (smtpd_net_match(chk->event_exceptions, addr));
}
