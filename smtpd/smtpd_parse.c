/*
 * NAME
 *	smtpd_parse - SMTP command and ESMTP parameter parsing
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	const char *smtpd_parse_verb(const char *line, struct buf *verb);
 *	bool	smtpd_parse_is_forbidden(const char *verb);
 *	int	smtpd_parse_hello(const char *args, struct buf *name,
 *			struct buf *reply, const char *verb);
 *	int	smtpd_parse_mail(const char *args, int flags,
 *			struct smtpd_mail_args *out, struct buf *reply);
 *	int	smtpd_parse_rcpt(const char *args, int flags,
 *			struct smtpd_rcpt_args *out, struct buf *reply);
 *	int	smtpd_parse_vrfy(const char *args, int flags,
 *			struct buf *addr, struct buf *reply);
 *
 *	void	smtpd_mail_args_init(struct smtpd_mail_args *args);
 *	void	smtpd_mail_args_reset(struct smtpd_mail_args *args);
 *	void	smtpd_mail_args_free(struct smtpd_mail_args *args);
 *	void	smtpd_rcpt_args_init(struct smtpd_rcpt_args *args);
 *	void	smtpd_rcpt_args_free(struct smtpd_rcpt_args *args);
 * DESCRIPTION
 *	This module turns one SMTP command line (without its line end) into
 *	its parts. It does no I/O and keeps no state, so every reply code
 *	it can produce is unit tested.
 *
 *	smtpd_parse_verb() stores the first word of line, uppercased, in
 *	verb (empty for a blank line) and returns the arguments: the rest
 *	of the line after the white space that follows the verb.
 *	smtpd_parse_is_forbidden() is true for a verb that no SMTP client
 *	sends: the HTTP and proxy methods CONNECT, GET and POST, and any
 *	word that does not start with a letter (binary garbage). smtpd
 *	answers those as Postfix's smtpd_forbidden_commands does.
 *
 *	smtpd_parse_hello() takes the argument of HELO or EHLO: one or more
 *	words (several are joined by one space, as Postfix does). Control
 *	characters are replaced by '?'.
 *
 *	smtpd_parse_mail() parses "FROM:<address> [parameters]":
 *	SIZE=number, BODY=7BIT|8BITMIME, SMTPUTF8, RET=FULL|HDRS,
 *	ENVID=xtext. smtpd_parse_rcpt() parses "TO:<address>
 *	[parameters]": NOTIFY=list, ORCPT=type;xtext. A parameter name is
 *	case-insensitive; each may appear once. Unless flags has
 *	SMTPD_PARSE_STRICT (strict_rfc821_envelopes), an address without
 *	angle brackets is accepted, as Postfix does. SMTPD_PARSE_NO_DSN,
 *	_NO_UTF8 and _NO_8BIT refuse the parameters of extensions that
 *	were not offered. A SIZE too large for a long is returned as
 *	SMTPD_SIZE_OVERFLOW for the size check to refuse.
 *
 *	smtpd_parse_vrfy() takes the argument of VRFY: one address, with or
 *	without angle brackets.
 *
 *	The *_args structures hold the results; init allocates their
 *	buffers, reset empties them for the next transaction, free
 *	releases them.
 * DIAGNOSTICS
 *	The parse functions return 0, or -1 with the complete SMTP reply
 *	in reply, using Postfix's texts:
 *
 *	    501 5.5.4 Syntax: MAIL FROM:<address>
 *	    501 5.5.4 Syntax: RCPT TO:<address>
 *	    501 5.5.4 Syntax: VRFY address
 *	    501 Syntax: HELO hostname           (and EHLO)
 *	    501 5.1.7 Bad sender address syntax
 *	    501 5.1.3 Bad recipient address syntax
 *	    501 5.5.4 Bad message size syntax
 *	    501 5.5.4 Bad RET parameter syntax
 *	    501 5.5.4 Bad ENVID parameter syntax
 *	    501 5.5.4 Error: Bad NOTIFY parameter syntax
 *	    501 5.5.4 Error: Bad ORCPT parameter syntax
 *	    501 5.7.1 DSN support is disabled
 *	    555 5.5.4 Unsupported option: NAME
 * SEE ALSO
 *	RFC 5321 section 4.1.1, RFC 1870 (SIZE), RFC 6152 (8BITMIME),
 *	RFC 3461 (DSN), RFC 6531 (SMTPUTF8)
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <limits.h>
#include <strings.h>
#include <util/buf.h>
#include <global/address.h>
#include <global/dsn.h>
#include "smtpd.h"

#define IS_SPACE(c)	((c) == ' ' || (c) == '\t')

/* smtpd_mail_args_init - allocate the MAIL FROM results */
void
smtpd_mail_args_init(struct smtpd_mail_args *args)
{
	args->sender = buf_new(64);
	args->dsn_envid = buf_new(16);
	smtpd_mail_args_reset(args);
}

/* smtpd_mail_args_reset - forget the previous MAIL FROM */
void
smtpd_mail_args_reset(struct smtpd_mail_args *args)
{
	buf_reset(args->sender);
	buf_reset(args->dsn_envid);
	args->size = -1;
	args->encoding = SMTPD_ENC_NONE;
	args->smtputf8 = false;
	args->dsn_ret = 0;
	args->notes = 0;
}

/* smtpd_mail_args_free - release the MAIL FROM results */
void
smtpd_mail_args_free(struct smtpd_mail_args *args)
{
	buf_free(args->sender);
	buf_free(args->dsn_envid);
	args->sender = args->dsn_envid = NULL;
}

/* smtpd_rcpt_args_reset - forget the previous RCPT TO */
static void
smtpd_rcpt_args_reset(struct smtpd_rcpt_args *args)
{
	buf_reset(args->rcpt);
	buf_reset(args->dsn_orcpt);
	args->dsn_notify = 0;
	args->notes = 0;
}

/* smtpd_rcpt_args_init - allocate the RCPT TO results */
void
smtpd_rcpt_args_init(struct smtpd_rcpt_args *args)
{
	args->rcpt = buf_new(64);
	args->dsn_orcpt = buf_new(16);
	smtpd_rcpt_args_reset(args);
}

/* smtpd_rcpt_args_free - release the RCPT TO results */
void
smtpd_rcpt_args_free(struct smtpd_rcpt_args *args)
{
	buf_free(args->rcpt);
	buf_free(args->dsn_orcpt);
	args->rcpt = args->dsn_orcpt = NULL;
}

/* skip_space - skip blanks */
static const char *
skip_space(const char *cp)
{
	while (IS_SPACE(*cp))
		cp++;
	return (cp);
}

/* smtpd_parse_verb - split off and uppercase the command word */
const char *
smtpd_parse_verb(const char *line, struct buf *verb)
{
	const char *cp = skip_space(line);

	buf_reset(verb);
	while (*cp && !IS_SPACE(*cp))
		buf_putc(verb, toupper((unsigned char) *cp++));
	return (skip_space(cp));
}

/* smtpd_parse_is_forbidden - HTTP methods and binary garbage */
bool
smtpd_parse_is_forbidden(const char *verb)
{
	static const char *const methods[] = {"CONNECT", "GET", "POST"};
	size_t	i;

	if (*verb == 0)
		return (false);
	if (!isalpha((unsigned char) *verb) || (unsigned char) *verb >= 128)
		return (true);
	for (i = 0; i < ARRAY_LEN(methods); i++)
		if (strcmp(verb, methods[i]) == 0)
			return (true);
	return (false);
}

/* smtpd_parse_hello - the HELO/EHLO argument */
int
smtpd_parse_hello(const char *args, struct buf *name, struct buf *reply,
		          const char *verb)
{
	const char *cp = skip_space(args);
	bool	space = false;

	buf_reset(name);
	for (; *cp; cp++) {
		if (IS_SPACE(*cp)) {
			space = true;
			continue;
		}
		if (space && buf_len(name) > 0)
			buf_putc(name, ' ');
		space = false;
		buf_putc(name, iscntrl((unsigned char) *cp) ? '?' : *cp);
	}
	if (buf_len(name) == 0) {
		buf_printf(reply, "501 Syntax: %s hostname", verb);
		return (-1);
	}
	return (0);
}

/* next_param - the next white-space separated word of a parameter list */
static const char *
next_param(const char **cpp, struct buf *word)
{
	const char *cp = skip_space(*cpp);

	buf_reset(word);
	while (*cp && !IS_SPACE(*cp))
		buf_putc(word, *cp++);
	*cpp = cp;
	return (buf_len(word) ? buf_str(word) : NULL);
}

/* parse_path - the address after FROM: or TO: */
static int
parse_path(const char **cpp, int flags, struct buf *addr, int *notes)
{
	const char *cp = skip_space(*cpp);
	const char *end;
	struct buf *why = buf_new(64);
	int	pflags = (flags & SMTPD_PARSE_STRICT) ? 0 : ADDRESS_FLAG_NO_BRACKETS;
	int	ret;

	ret = *cp ? address_parse_path(cp, &end, pflags, addr, why) : -1;
	buf_free(why);
	if (ret < 0 || (*end && !IS_SPACE(*end)))
		return (-1);
	*notes = ret;
	*cpp = end;
	return (0);
}

/* parse_size - SIZE=digits */
static int
parse_size(const char *value, long *size)
{
	long	n = 0;
	const char *cp;

	if (*value == 0)
		return (-1);
	for (cp = value; *cp; cp++) {
		if (!isdigit((unsigned char) *cp))
			return (-1);
		if (n > (LONG_MAX - (*cp - '0')) / 10) {
			*size = SMTPD_SIZE_OVERFLOW;
			return (0);
		}
		n = n * 10 + (*cp - '0');
	}
	*size = n;
	return (0);
}

/* mail_param - one MAIL FROM parameter */
static int
mail_param(const char *arg, int flags, struct smtpd_mail_args *out,
	           struct buf *reply)
{
	if (strcasecmp(arg, "BODY=8BITMIME") == 0 && !(flags & SMTPD_PARSE_NO_8BIT)) {
		out->encoding = SMTPD_ENC_8BITMIME;
	} else if (strcasecmp(arg, "BODY=7BIT") == 0) {
		out->encoding = SMTPD_ENC_7BIT;
	} else if (strncasecmp(arg, "SIZE=", 5) == 0) {
		if (parse_size(arg + 5, &out->size) < 0) {
			buf_cpy(reply, "501 5.5.4 Bad message size syntax");
			return (-1);
		}
	} else if (strcasecmp(arg, "SMTPUTF8") == 0 && !(flags & SMTPD_PARSE_NO_UTF8)) {
		out->smtputf8 = true;
	} else if (strncasecmp(arg, "RET=", 4) == 0) {
		if (flags & SMTPD_PARSE_NO_DSN) {
			buf_cpy(reply, "501 5.7.1 DSN support is disabled");
			return (-1);
		}
		if (out->dsn_ret || (out->dsn_ret = dsn_ret_parse(arg + 4)) <= 0) {
			out->dsn_ret = 0;
			buf_cpy(reply, "501 5.5.4 Bad RET parameter syntax");
			return (-1);
		}
	} else if (strncasecmp(arg, "ENVID=", 6) == 0) {
		if (flags & SMTPD_PARSE_NO_DSN) {
			buf_cpy(reply, "501 5.7.1 DSN support is disabled");
			return (-1);
		}
		if (buf_len(out->dsn_envid) > 0 || !dsn_envid_valid(arg + 6)
		    || dsn_xtext_decode(out->dsn_envid, arg + 6) < 0) {
			buf_reset(out->dsn_envid);
			buf_cpy(reply, "501 5.5.4 Bad ENVID parameter syntax");
			return (-1);
		}
	} else {
		buf_printf(reply, "555 5.5.4 Unsupported option: %s", arg);
		return (-1);
	}
	return (0);
}

/* smtpd_parse_mail - MAIL FROM:<address> [parameters] */
int
smtpd_parse_mail(const char *args, int flags, struct smtpd_mail_args *out,
		         struct buf *reply)
{
	const char *cp = args;
	struct buf *word;
	int	ret = 0;

	smtpd_mail_args_reset(out);
	if (strncasecmp(cp, "FROM:", 5) != 0 || *skip_space(cp + 5) == 0) {
		buf_cpy(reply, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return (-1);
	}
	cp += 5;
	if (parse_path(&cp, flags, out->sender, &out->notes) < 0) {
		buf_cpy(reply, "501 5.1.7 Bad sender address syntax");
		return (-1);
	}
	word = buf_new(64);
	while (ret == 0 && next_param(&cp, word) != NULL)
		ret = mail_param(buf_str(word), flags, out, reply);
	buf_free(word);
	return (ret);
}

/* rcpt_param - one RCPT TO parameter */
static int
rcpt_param(const char *arg, int flags, struct smtpd_rcpt_args *out,
	           struct buf *reply)
{
	struct buf *type;
	struct buf *addr;
	int	ret;

	if (strncasecmp(arg, "NOTIFY=", 7) == 0 && !(flags & SMTPD_PARSE_NO_DSN)) {
		if (out->dsn_notify || (out->dsn_notify = dsn_notify_parse(arg + 7)) <= 0) {
			out->dsn_notify = 0;
			buf_cpy(reply, "501 5.5.4 Error: Bad NOTIFY parameter syntax");
			return (-1);
		}
	} else if (strncasecmp(arg, "ORCPT=", 6) == 0 && !(flags & SMTPD_PARSE_NO_DSN)) {
		type = buf_new(16);
		addr = buf_new(64);
		ret = buf_len(out->dsn_orcpt) > 0 ? -1
			: dsn_orcpt_parse(arg + 6, type, addr);
		if (ret == 0)
			buf_printf(out->dsn_orcpt, "%s;%s", buf_str(type), buf_str(addr));
		buf_free(type);
		buf_free(addr);
		if (ret < 0) {
			buf_cpy(reply, "501 5.5.4 Error: Bad ORCPT parameter syntax");
			return (-1);
		}
	} else {
		buf_printf(reply, "555 5.5.4 Unsupported option: %s", arg);
		return (-1);
	}
	return (0);
}

/* smtpd_parse_rcpt - RCPT TO:<address> [parameters] */
int
smtpd_parse_rcpt(const char *args, int flags, struct smtpd_rcpt_args *out,
		         struct buf *reply)
{
	const char *cp = args;
	struct buf *word;
	int	ret = 0;

	smtpd_rcpt_args_reset(out);
	if (strncasecmp(cp, "TO:", 3) != 0 || *skip_space(cp + 3) == 0) {
		buf_cpy(reply, "501 5.5.4 Syntax: RCPT TO:<address>");
		return (-1);
	}
	cp += 3;
	if (parse_path(&cp, flags, out->rcpt, &out->notes) < 0
	    || (out->notes & ADDRESS_NOTE_NULL)) {
		buf_cpy(reply, "501 5.1.3 Bad recipient address syntax");
		return (-1);
	}
	word = buf_new(64);
	while (ret == 0 && next_param(&cp, word) != NULL)
		ret = rcpt_param(buf_str(word), flags, out, reply);
	buf_free(word);
	return (ret);
}

/* smtpd_parse_vrfy - VRFY address */
int
smtpd_parse_vrfy(const char *args, int flags, struct buf *addr,
		         struct buf *reply)
{
	const char *cp = args;
	int	notes;

	if (*skip_space(cp) == 0) {
		buf_cpy(reply, "501 5.5.4 Syntax: VRFY address");
		return (-1);
	}
	if (parse_path(&cp, flags & ~SMTPD_PARSE_STRICT, addr, &notes) < 0
	    || (notes & ADDRESS_NOTE_NULL) || *skip_space(cp) != 0) {
		buf_cpy(reply, "501 5.1.3 Bad recipient address syntax");
		return (-1);
	}
	return (0);
}
