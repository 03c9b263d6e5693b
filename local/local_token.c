/*
 * NAME
 *	local_token - destinations in aliases, :include: files and .forward
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_token_split(const char *value, struct argv *out,
 *			struct buf *why);
 *	int	local_deliver_token(struct local_state *state,
 *			const char *token);
 *	int	local_expand_value(struct local_state *parent,
 *			const char *value, int exp_type, const char *exp_from,
 *			const struct local_user *owner);
 * DESCRIPTION
 *	local_token_split() breaks an alias value (or one line of an
 *	:include: or .forward file) into destinations, appending them to
 *	out: items are separated by commas outside double quotes, angle
 *	brackets and (comments); comments are dropped and white space
 *	around an item is removed. An item that is one quoted string
 *	loses its quotes and backslash escapes ("|/usr/bin/vacation
 *	user", "/var/mail/file with blanks"); "Name <user@example>" becomes
 *	the address in brackets; an address with a quoted local part
 *	("john doe"@example) is turned into internal form. It returns the
 *	number of items, or -1 with why for an unbalanced quote, comment
 *	or angle bracket.
 *
 *	local_deliver_token() delivers to one item:
 * .IP |command
 *	the message is piped into the command (local_command(3)), when
 *	the expansion type is in allow_mail_to_commands (else 5.7.1 "mail
 *	to command is restricted").
 * .IP /file, /dir/
 *	a file in mbox format or a maildir (local_file(3)).
 * .IP :include:/file
 *	more destinations from the file (local_include(3)).
 * .IP \euser
 *	the mailbox of user, without alias or .forward expansion.
 * .IP address
 *	an address of this machine (mydestination, or no domain) is
 *	delivered in this request (aliases, .forward, mailbox); any
 *	other is re-submitted (local_forward(3)).
 * .PP
 *	local_expand_value() splits value and delivers each item as an
 *	expansion one level down, of type exp_type (LOCAL_EXP_*), named
 *	exp_from (alias name or file), with the privileges of owner for
 *	files and commands. It returns the worst status of the items.
 */
#include <util/sys_defs.h>
#include <strings.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/address.h>
#include <global/params.h>

#include "local.h"

/* local_token_item - tidy one item and add it */
static void
local_token_item(const char *text, size_t len, struct argv *out)
{
	struct buf *item = buf_new(len + 1);
	struct buf *internal;
	const char *lt, *gt;
	size_t	i;

	while (len > 0 && (*text == ' ' || *text == '\t'))
		text++, len--;
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (len == 0) {
		buf_free(item);
		return;
	}
	if (len >= 2 && text[0] == '"' && text[len - 1] == '"'
	    && memchr(text + 1, '"', len - 2) == NULL) {
		/* One quoted string: the quotes and escapes go. */
		for (i = 1; i < len - 1; i++) {
			if (text[i] == '\\' && i + 1 < len - 1)
				i++;
			buf_putc(item, text[i]);
		}
	} else {
		buf_catn(item, text, len);
		if ((gt = strrchr(buf_str(item), '>')) != NULL
		    && (lt = strrchr(buf_str(item), '<')) != NULL && lt < gt) {
			struct buf *inside = buf_new((size_t) (gt - lt));

			buf_catn(inside, lt + 1, (size_t) (gt - lt - 1));
			buf_cpy(item, buf_str(inside));
			buf_free(inside);
		}
		if (strchr(buf_str(item), '"') != NULL) {
			internal = buf_new(len + 1);
			if (address_unquote(internal, buf_str(item)) != NULL)
				buf_cpy(item, buf_str(internal));
			buf_free(internal);
		}
	}
	if (buf_len(item) > 0)
		argv_add(out, buf_str(item));
	buf_free(item);
}

/* local_token_split - an alias value into items */
int
local_token_split(const char *value, struct argv *out, struct buf *why)
{
	struct buf *item = buf_new(64);
	size_t	before = out->argc;
	int	quoted = 0, comment = 0, angle = 0;
	const char *cp;

	for (cp = value; *cp; cp++) {
		if (quoted) {
			if (*cp == '\\' && cp[1]) {
				buf_putc(item, *cp++);
			} else if (*cp == '"')
				quoted = 0;
			buf_putc(item, *cp);
			continue;
		}
		if (comment) {
			if (*cp == '\\' && cp[1])
				cp++;
			else if (*cp == '(')
				comment++;
			else if (*cp == ')')
				comment--;
			continue;
		}
		switch (*cp) {
		case '"':
			quoted = 1;
			break;
		case '(':
			comment = 1;
			continue;
		case '<':
			angle++;
			break;
		case '>':
			if (angle == 0) {
				buf_printf(why, "unbalanced '>' in \"%s\"", value);
				goto bad;
			}
			angle--;
			break;
		case ',':
			if (angle == 0) {
				local_token_item(buf_str(item), buf_len(item), out);
				buf_reset(item);
				continue;
			}
			break;
		}
		buf_putc(item, *cp);
	}
	if (quoted || comment || angle) {
		buf_printf(why, "unbalanced %s in \"%s\"", quoted ? "quote" : comment
			   ? "'('" : "'<'", value);
		goto bad;
	}
	local_token_item(buf_str(item), buf_len(item), out);
	buf_free(item);
	return ((int) (out->argc - before));
bad:
	argv_truncate(out, before);
	buf_free(item);
	return (-1);
}

/* local_deliver_command - "|command" */
static int
local_deliver_command(struct local_state *state, const char *command)
{
	struct local_user as;
	struct buf *key = buf_new(64);
	int	status;

	command += strspn(command, " \t");
	if ((state->exp_type & local_class_mask(var_allow_mail_to_commands)) == 0)
		status = local_leaf(state, DELIVER_STAT_BOUNCE, "5.7.1",
				    "mail to command is restricted");
	else if (*command == 0)
		status = local_leaf(state, DELIVER_STAT_BOUNCE, "5.3.5",
				    "mail system configuration error: empty command");
	else if (state->owner == NULL || local_user_privs_for(state->owner, &as) < 0)
		status = local_leaf(state, DELIVER_STAT_DEFER, "4.3.5",
			   "mail system configuration error: no privileges for command");
	else {
		buf_printf(key, "command %ld %s", (long) as.uid, command);
		if (htable_locate(state->msg->dup, buf_str(key)) != NULL)
			status = DELIVER_STAT_OK;
		else {
			(void) htable_enter(state->msg->dup, buf_str(key), NULL);
			status = local_command(state, command, &as);
		}
		local_user_free(&as);
	}
	buf_free(key);
	return (status);
}

/* local_deliver_token - one destination */
int
local_deliver_token(struct local_state *state, const char *token)
{
	int	found;
	int	status;

	if (*token == '|')
		return (local_deliver_command(state, token + 1));
	if (*token == '/')
		return (local_file(state, token));
	if (strncasecmp(token, ":include:", 9) == 0) {
		token += 9;
		token += strspn(token, " \t");
		status = local_include(state, token, LOCAL_EXP_INCLUDE, state->owner, &found);
		return (status);
	}
	if (*token == '\\')
		return (local_deliver_address(state, token + 1, 1));
	switch (local_resolve_is_local(token)) {
	case 1:
		return (local_deliver_address(state, token, 0));
	case 0:
		local_forward_add(state, token);
		return (DELIVER_STAT_OK);
	default:
		return (local_leaf(state, DELIVER_STAT_DEFER, "4.3.0",
				   "mydestination lookup failed for %s", token));
	}
}

/* local_status_worse - the more serious of two statuses */
static int
local_status_worse(int a, int b)
{
	if (a == DELIVER_STAT_DEFER || b == DELIVER_STAT_DEFER)
		return (DELIVER_STAT_DEFER);
	if (a == DELIVER_STAT_BOUNCE || b == DELIVER_STAT_BOUNCE)
		return (DELIVER_STAT_BOUNCE);
	return (DELIVER_STAT_OK);
}

/* local_expand_value - deliver each item one level down */
int
local_expand_value(struct local_state *parent, const char *value, int exp_type,
		           const char *exp_from, const struct local_user *owner)
{
	struct local_state child = *parent;
	struct argv *items = argv_new(8);
	struct buf *why = buf_new(64);
	int	status = DELIVER_STAT_OK;
	size_t	i;

	child.level = parent->level + 1;
	child.exp_type = exp_type;
	child.exp_from = exp_from;
	child.owner = owner;
	if (local_token_split(value, items, why) < 0) {
		msg_warn("%s: %s", exp_from, buf_str(why));
		status = local_leaf(parent, DELIVER_STAT_DEFER, "4.3.5",
				    "mail system configuration error: %s: %s",
				    exp_from, buf_str(why));
	}
	for (i = 0; i < items->argc; i++)
		status = local_status_worse(status, local_deliver_token(&child, items->argv[i]));
	argv_free(items);
	buf_free(why);
	return (status);
}
