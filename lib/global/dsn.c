/*
 * NAME
 *	dsn - delivery status codes, texts and DSN parameters
 * DESCRIPTION
 *	See dsn.h. The status texts are RFC 3463's (and its successors')
 *	names of the codes, which is also what Postfix puts in bounces.
 */
#include <util/sys_defs.h>
#include <strings.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>
#include <global/dsn.h>

struct dsn_name {
	const char *code;		/* "subject.detail" */
	const char *text;
};

static const struct dsn_name dsn_names[] = {
	{"0.0", "Other undefined Status"},
	{"1.0", "Other address status"},
	{"1.1", "Bad destination mailbox address"},
	{"1.2", "Bad destination system address"},
	{"1.3", "Bad destination mailbox address syntax"},
	{"1.4", "Destination mailbox address ambiguous"},
	{"1.5", "Destination address valid"},
	{"1.6", "Destination mailbox has moved, No forwarding address"},
	{"1.7", "Bad sender's mailbox address syntax"},
	{"1.8", "Bad sender's system address"},
	{"1.9", "Message relayed to non-compliant mailer"},
	{"1.10", "Recipient address has null MX"},
	{"2.0", "Other or undefined mailbox status"},
	{"2.1", "Mailbox disabled, not accepting messages"},
	{"2.2", "Mailbox full"},
	{"2.3", "Message length exceeds administrative limit"},
	{"2.4", "Mailing list expansion problem"},
	{"3.0", "Other or undefined mail system status"},
	{"3.1", "Mail system full"},
	{"3.2", "System not accepting network messages"},
	{"3.3", "System not capable of selected features"},
	{"3.4", "Message too big for system"},
	{"3.5", "System incorrectly configured"},
	{"4.0", "Other or undefined network or routing status"},
	{"4.1", "No answer from host"},
	{"4.2", "Bad connection"},
	{"4.3", "Directory server failure"},
	{"4.4", "Unable to route"},
	{"4.5", "Mail system congestion"},
	{"4.6", "Routing loop detected"},
	{"4.7", "Delivery time expired"},
	{"5.0", "Other or undefined protocol status"},
	{"5.1", "Invalid command"},
	{"5.2", "Syntax error"},
	{"5.3", "Too many recipients"},
	{"5.4", "Invalid command arguments"},
	{"5.5", "Wrong protocol version"},
	{"5.6", "Authentication Exchange line is too long"},
	{"6.0", "Other or undefined media error"},
	{"6.1", "Media not supported"},
	{"6.2", "Conversion required and prohibited"},
	{"6.3", "Conversion required but not supported"},
	{"6.4", "Conversion with loss performed"},
	{"6.5", "Conversion failed"},
	{"6.6", "Message content not available"},
	{"6.7", "Non-ASCII addresses not permitted for that sender/recipient"},
	{"7.0", "Other or undefined security status"},
	{"7.1", "Delivery not authorized, message refused"},
	{"7.2", "Mailing list expansion prohibited"},
	{"7.3", "Security conversion required but not possible"},
	{"7.4", "Security features not supported"},
	{"7.5", "Cryptographic failure"},
	{"7.6", "Cryptographic algorithm not supported"},
	{"7.7", "Message integrity failure"},
	{"7.8", "Authentication credentials invalid"},
	{"7.9", "Authentication mechanism is too weak"},
	{"7.10", "Encryption Needed"},
	{"7.11", "Encryption required for requested authentication mechanism"},
	{"7.12", "A password transition is needed"},
	{"7.13", "User Account Disabled"},
	{"7.14", "Trust relationship required"},
	{"7.15", "Priority Level is too low"},
	{"7.16", "Message is too big for the specified priority"},
	{"7.17", "Mailbox owner has changed"},
	{"7.18", "Domain owner has changed"},
	{"7.19", "RRVS test cannot be completed"},
	{"7.20", "No passing DKIM signature found"},
	{"7.21", "No acceptable DKIM signature found"},
	{"7.22", "No valid author-matched DKIM signature found"},
	{"7.23", "SPF validation failed"},
	{"7.24", "SPF validation error"},
	{"7.25", "Reverse DNS validation failed"},
	{"7.26", "Multiple authentication checks failed"},
	{"7.27", "Sender address has null MX"},
};

/* dsn_init - empty status */
void
dsn_init(struct dsn *dsn)
{
	memset(dsn, 0, sizeof(*dsn));
}

/* dsn_replace - replace one owned string */
static void
dsn_replace(char **field, const char *value)
{
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}

/* dsn_set - status, action and formatted reason */
void
dsn_set(struct dsn *dsn, const char *status, const char *action,
	const char *fmt,...)
{
	struct buf *reason = buf_new(100);
	va_list	ap;

	if (!dsn_valid_status(status))
		msg_panic("dsn_set: invalid status \"%s\"", status ? status : "(null)");
	memcpy(dsn->status, status, strlen(status) + 1);
	dsn_replace(&dsn->action, action);
	va_start(ap, fmt);
	buf_vappendf(reason, fmt, ap);
	va_end(ap);
	free(dsn->reason);
	dsn->reason = buf_steal(reason);
}

/* dsn_set_diag - diagnostic type and text */
void
dsn_set_diag(struct dsn *dsn, const char *dtype, const char *dtext)
{
	dsn_replace(&dsn->dtype, dtype);
	dsn_replace(&dsn->dtext, dtext);
}

/* dsn_set_mta - remote MTA type and name */
void
dsn_set_mta(struct dsn *dsn, const char *mtype, const char *mname)
{
	dsn_replace(&dsn->mtype, mtype);
	dsn_replace(&dsn->mname, mname);
}

/* dsn_copy - deep copy */
void
dsn_copy(struct dsn *dst, const struct dsn *src)
{
	if (dst == src)
		return;
	memcpy(dst->status, src->status, sizeof(dst->status));
	dsn_replace(&dst->action, src->action);
	dsn_replace(&dst->reason, src->reason);
	dsn_replace(&dst->dtype, src->dtype);
	dsn_replace(&dst->dtext, src->dtext);
	dsn_replace(&dst->mtype, src->mtype);
	dsn_replace(&dst->mname, src->mname);
}

/* dsn_free - release the strings and empty the struct */
void
dsn_free(struct dsn *dsn)
{
	free(dsn->action);
	free(dsn->reason);
	free(dsn->dtype);
	free(dsn->dtext);
	free(dsn->mtype);
	free(dsn->mname);
	dsn_init(dsn);
}

/* dsn_digits - count 1..3 digits at text, 0 if none or more */
static size_t
dsn_digits(const char *text)
{
	size_t	len = 0;

	while (len < 4 && text[len] >= '0' && text[len] <= '9')
		len++;
	return (len <= 3 ? len : 0);
}

/* dsn_status_prefix - length of a status code at the start of text */
static size_t
dsn_status_prefix(const char *text)
{
	size_t	len, subject, detail;

	if (text == NULL || (text[0] != '2' && text[0] != '4' && text[0] != '5')
	    || text[1] != '.')
		return (0);
	if ((subject = dsn_digits(text + 2)) == 0 || text[2 + subject] != '.')
		return (0);
	len = 3 + subject;
	if ((detail = dsn_digits(text + len)) == 0)
		return (0);
	return (len + detail);
}

/* dsn_status_len - status code at the start of text, then end or space */
size_t
dsn_status_len(const char *text)
{
	size_t	len = dsn_status_prefix(text);

	if (len == 0 || (text[len] != 0 && text[len] != ' ' && text[len] != '\t'
			 && text[len] != '\r' && text[len] != '\n'))
		return (0);
	return (len);
}

/* dsn_valid_status - exactly one status code */
bool
dsn_valid_status(const char *status)
{
	size_t	len = dsn_status_prefix(status);

	return (len > 0 && status[len] == 0);
}

/* dsn_class - 2, 4 or 5 */
int
dsn_class(const char *status)
{
	return (dsn_valid_status(status) ? status[0] - '0' : -1);
}

/* dsn_class_text - name of a status class */
const char *
dsn_class_text(int dsn_class)
{
	switch (dsn_class) {
	case 2:
		return ("Success");
	case 4:
		return ("Persistent Transient Failure");
	case 5:
		return ("Permanent Failure");
	default:
		return (NULL);
	}
}

/* dsn_action_for - usual DSN action for a status class */
const char *
dsn_action_for(const char *status)
{
	switch (dsn_class(status)) {
	case 2:
		return (DSN_ACTION_DELIVERED);
	case 4:
		return (DSN_ACTION_DELAYED);
	case 5:
		return (DSN_ACTION_FAILED);
	default:
		return (NULL);
	}
}

/* dsn_success_action - the success action named, delivered by default */
const char *
dsn_success_action(const char *action)
{
	static const char *const known[] = {
		DSN_ACTION_DELIVERED, DSN_ACTION_RELAYED, DSN_ACTION_EXPANDED,
	};
	size_t	i;

	for (i = 0; action != NULL && i < ARRAY_LEN(known); i++)
		if (strcmp(action, known[i]) == 0)
			return (known[i]);
	return (DSN_ACTION_DELIVERED);
}

/* dsn_lookup - text for "subject.detail", or NULL */
static const char *
dsn_lookup(const char *code)
{
	size_t	i;

	for (i = 0; i < ARRAY_LEN(dsn_names); i++)
		if (strcmp(dsn_names[i].code, code) == 0)
			return (dsn_names[i].text);
	return (NULL);
}

/* dsn_text - RFC 3463 description of a status code */
const char *
dsn_text(const char *status)
{
	char	code[DSN_STATUS_SIZE];
	const char *text;
	unsigned long subject, detail;
	char   *end;

	if (!dsn_valid_status(status))
		return (NULL);
	/* Numbers, not strings: "5.01.001" is "5.1.1". */
	subject = strtoul(status + 2, &end, 10);
	detail = strtoul(end + 1, NULL, 10);
	(void) snprintf(code, sizeof(code), "%lu.%lu", subject, detail);
	if ((text = dsn_lookup(code)) != NULL)
		return (text);
	(void) snprintf(code, sizeof(code), "%lu.0", subject);
	if ((text = dsn_lookup(code)) != NULL)
		return (text);
	return (dsn_lookup("0.0"));
}

/* dsn_from_reply - status from one SMTP reply line */
int
dsn_from_reply(struct dsn *dsn, const char *reply)
{
	char	status[DSN_STATUS_SIZE];
	const char *cp;
	size_t	len;

	if (reply == NULL || (reply[0] < '2' || reply[0] > '5')
	    || reply[1] < '0' || reply[1] > '9' || reply[2] < '0' || reply[2] > '9'
	    || (reply[3] != 0 && reply[3] != ' ' && reply[3] != '-')
	    || reply[0] == '3') {
		errno = EINVAL;
		return (-1);
	}
	cp = reply[3] ? reply + 4 : reply + 3;
	len = dsn_status_len(cp);
	if (len > 0 && cp[0] == reply[0]) {
		memcpy(status, cp, len);
		status[len] = 0;
		cp += len;
	} else {
		/* No usable enhanced code: Postfix's X.0.0 from the reply. */
		status[0] = reply[0];
		memcpy(status + 1, ".0.0", 5);
	}
	while (*cp == ' ' || *cp == '\t')
		cp++;
	len = strcspn(cp, "\r\n");
	dsn_set(dsn, status, dsn_action_for(status), "%.*s", (int) len, cp);
	len = strcspn(reply, "\r\n");
	dsn_replace(&dsn->dtype, "smtp");
	free(dsn->dtext);
	dsn->dtext = xstrndup(reply, len);
	return (0);
}

 /*
  * DSN NOTIFY and RET keywords.
  */
struct dsn_keyword {
	const char *name;
	int	value;
};

static const struct dsn_keyword dsn_notify_words[] = {
	{"NEVER", DSN_NOTIFY_NEVER},
	{"SUCCESS", DSN_NOTIFY_SUCCESS},
	{"FAILURE", DSN_NOTIFY_FAILURE},
	{"DELAY", DSN_NOTIFY_DELAY},
};

/* dsn_notify_word - mask bit of one NOTIFY keyword, 0 if unknown */
static int
dsn_notify_word(const char *word, size_t len)
{
	size_t	i;

	for (i = 0; i < ARRAY_LEN(dsn_notify_words); i++)
		if (strlen(dsn_notify_words[i].name) == len
		    && strncasecmp(dsn_notify_words[i].name, word, len) == 0)
			return (dsn_notify_words[i].value);
	return (0);
}

/* dsn_notify_parse - NOTIFY value to mask, -1 if invalid */
int
dsn_notify_parse(const char *value)
{
	const char *cp = value;
	size_t	len;
	int	mask = 0, bit;

	if (value == NULL || *value == 0)
		return (-1);
	for (;;) {
		len = strcspn(cp, ",");
		if ((bit = dsn_notify_word(cp, len)) == 0 || (mask & bit))
			return (-1);
		mask |= bit;
		if (cp[len] == 0)
			break;
		cp += len + 1;
	}
	if ((mask & DSN_NOTIFY_NEVER) && mask != DSN_NOTIFY_NEVER)
		return (-1);
	return (mask);
}

/* dsn_notify_str - mask to NOTIFY value */
const char *
dsn_notify_str(struct buf *out, int mask)
{
	size_t	i;

	buf_reset(out);
	if (mask <= 0 || (mask & ~(DSN_NOTIFY_NEVER | DSN_NOTIFY_ANY))
	    || ((mask & DSN_NOTIFY_NEVER) && mask != DSN_NOTIFY_NEVER))
		return (NULL);
	for (i = 0; i < ARRAY_LEN(dsn_notify_words); i++) {
		if (mask & dsn_notify_words[i].value) {
			if (buf_len(out))
				buf_putc(out, ',');
			buf_cat(out, dsn_notify_words[i].name);
		}
	}
	return (buf_str(out));
}

/* dsn_ret_parse - RET value */
int
dsn_ret_parse(const char *value)
{
	if (value == NULL)
		return (-1);
	if (strcasecmp(value, "FULL") == 0)
		return (DSN_RET_FULL);
	if (strcasecmp(value, "HDRS") == 0)
		return (DSN_RET_HDRS);
	return (-1);
}

/* dsn_ret_str - RET keyword */
const char *
dsn_ret_str(int ret)
{
	switch (ret) {
	case DSN_RET_FULL:
		return ("FULL");
	case DSN_RET_HDRS:
		return ("HDRS");
	default:
		return (NULL);
	}
}

/* dsn_hex - value of an uppercase hex digit, -1 otherwise */
static int
dsn_hex(int ch)
{
	if (ch >= '0' && ch <= '9')
		return (ch - '0');
	if (ch >= 'A' && ch <= 'F')
		return (ch - 'A' + 10);
	return (-1);
}

/* dsn_xtext_decode - decode RFC 3461 xtext */
int
dsn_xtext_decode(struct buf *out, const char *xtext)
{
	const unsigned char *cp;
	int	hi, lo;

	buf_reset(out);
	for (cp = (const unsigned char *) xtext; *cp; cp++) {
		if (*cp == '+') {
			if ((hi = dsn_hex(cp[1])) < 0 || (lo = dsn_hex(cp[2])) < 0
			    || (hi == 0 && lo == 0)) {
				errno = EINVAL;
				return (-1);
			}
			buf_putc(out, hi * 16 + lo);
			cp += 2;
		} else if (*cp < 33 || *cp > 126 || *cp == '=') {
			errno = EINVAL;
			return (-1);
		} else {
			buf_putc(out, *cp);
		}
	}
	return (0);
}

/* dsn_xtext_encode - encode as RFC 3461 xtext */
const char *
dsn_xtext_encode(struct buf *out, const char *text)
{
	const unsigned char *cp;

	buf_reset(out);
	for (cp = (const unsigned char *) text; *cp; cp++) {
		if (*cp < 33 || *cp > 126 || *cp == '+' || *cp == '=')
			buf_appendf(out, "+%02X", *cp);
		else
			buf_putc(out, *cp);
	}
	return (buf_str(out));
}

/* dsn_envid_valid - ENVID parameter check */
bool
dsn_envid_valid(const char *value)
{
	struct buf *decoded;
	const unsigned char *cp;
	bool	ok;

	if (value == NULL || *value == 0 || strlen(value) > DSN_ENVID_MAX)
		return (false);
	decoded = buf_new(strlen(value) + 1);
	ok = (dsn_xtext_decode(decoded, value) == 0);
	for (cp = (const unsigned char *) buf_str(decoded); ok && *cp; cp++)
		if ((*cp < 32 || *cp > 126) && *cp != '\t')
			ok = false;
	buf_free(decoded);
	return (ok);
}

/* dsn_orcpt_parse - ORCPT "type;xtext-address" */
int
dsn_orcpt_parse(const char *value, struct buf *type, struct buf *addr)
{
	const char *semi;
	const char *cp;

	if (value == NULL || strlen(value) > DSN_ORCPT_MAX
	    || (semi = strchr(value, ';')) == NULL || semi == value
	    || semi[1] == 0) {
		errno = EINVAL;
		return (-1);
	}
	for (cp = value; cp < semi; cp++) {
		if (!((*cp >= 'A' && *cp <= 'Z') || (*cp >= 'a' && *cp <= 'z')
		      || (*cp >= '0' && *cp <= '9') || *cp == '-')) {
			errno = EINVAL;
			return (-1);
		}
	}
	if (dsn_xtext_decode(addr, semi + 1) < 0)
		return (-1);
	buf_reset(type);
	buf_catn(type, value, (size_t) (semi - value));
	return (0);
}
