/*
 * NAME
 *	local_recipient - deliver to one local address
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_deliver_address(struct local_state *state,
 *			const char *address, int no_alias);
 *	void	local_split_address(const char *address, struct buf *user,
 *			struct buf *extension, struct buf *domain);
 * DESCRIPTION
 *	local_deliver_address() delivers to an address of this machine
 *	as Postfix's local(8) does. The local part is case-folded; with
 *	recipient_delimiter set, "user+ext" has the extension "ext".
 * .IP 1.
 *	More than LOCAL_MAX_LEVEL nested expansions, or a Delivered-To:
 *	header of the message with this address, bounce the recipient
 *	with 5.4.6 "mail forwarding loop for ADDRESS".
 * .IP 2.
 *	Unless no_alias (a "\euser" destination): alias_maps are searched
 *	for "user+ext", then "user".
 * .IP 3.
 *	The user must exist in the passwd database, else the recipient
 *	bounces with 5.1.1 "unknown user: "user"" (a failed lookup defers).
 * .IP 4.
 *	Unless no_alias: the user's .forward file, if any.
 * .IP 5.
 *	The user's mailbox.
 * .PP
 *	Unqualified addresses are qualified with @myorigin for logging and
 *	Delivered-To:.
 *
 *	local_split_address() stores the lowercase local part without
 *	extension, the extension and the lowercase domain of address.
 *	With owner_request_special (default), "owner-x" and "x-request"
 *	are not split at their "-".
 */
#include <util/sys_defs.h>
#include <ctype.h>
#include <strings.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/params.h>

#include "local.h"

/* local_split_never - local parts that keep their delimiters, as Postfix */
static int
local_split_never(const char *local)
{
	size_t	len = strlen(local);

	if (strcasecmp(local, "postmaster") == 0 || strcasecmp(local, "mailer-daemon") == 0
	    || strcasecmp(local, var_double_bounce_sender) == 0)
		return (1);
	if (strchr(var_recipient_delimiter, '-') && var_owner_request_special
	    && (strncasecmp(local, "owner-", 6) == 0
		|| (len > 8 && strcasecmp(local + len - 8, "-request") == 0)))
		return (1);
	return (0);
}

/* local_split_address - user, extension and domain */
void
local_split_address(const char *address, struct buf *user, struct buf *extension,
		            struct buf *domain)
{
	const char *at = strrchr(address, '@');
	size_t	len = at ? (size_t) (at - address) : strlen(address);
	size_t	i, split = len;

	buf_reset(user);
	buf_reset(extension);
	buf_reset(domain);
	for (i = 0; i < len; i++)
		buf_putc(user, tolower((unsigned char) address[i]));
	if (at)
		for (at++; *at; at++)
			buf_putc(domain, tolower((unsigned char) *at));
	if (*var_recipient_delimiter == 0 || local_split_never(buf_str(user)))
		return;
	for (i = 1; i < len; i++) {
		if (strchr(var_recipient_delimiter, address[i]) != NULL) {
			split = i;
			break;
		}
	}
	if (split < len) {
		buf_catn(extension, buf_str(user) + split + 1, len - split - 1);
		buf_truncate(user, split);
	}
}

/* local_loop_check - forwarding loops; 1 when the recipient is done */
static int
local_loop_check(struct local_state *state)
{
	struct buf *lc = buf_new(64);
	const char *cp;
	int	looped;

	for (cp = state->address; *cp; cp++)
		buf_putc(lc, tolower((unsigned char) *cp));
	looped = (state->level > LOCAL_MAX_LEVEL
		  || htable_locate(state->msg->delivered, buf_str(lc)) != NULL);
	if (looped) {
		if (state->level > LOCAL_MAX_LEVEL)
			msg_warn("%s: possible mail forwarding loop for %s",
				 state->msg->req->queue_id, state->address);
		(void) local_leaf(state, DELIVER_STAT_BOUNCE, "5.4.6",
				  "mail forwarding loop for %s", state->address);
	}
	buf_free(lc);
	return (looped);
}

/* local_deliver_user - passwd lookup, .forward, mailbox */
static int
local_deliver_user(struct local_state *state, const char *name, const char *ext,
		           int no_alias)
{
	struct local_user user;
	int	found;
	int	status;

	if (*name == 0 || local_user_lookup(name, &user) < 0) {
		if (*name != 0 && errno != 0)
			return (local_leaf(state, DELIVER_STAT_DEFER, "4.3.0",
					   "user lookup error for \"%s\": %m", name));
		return (local_leaf(state, DELIVER_STAT_BOUNCE, "5.1.1",
				   "unknown user: \"%s\"", name));
	}
	found = 0;
	status = no_alias ? DELIVER_STAT_OK : local_dot_forward(state, &user, ext, &found);
	if (!found)
		status = local_mailbox(state, &user);
	local_user_free(&user);
	return (status);
}

/* local_deliver_address - one local address */
int
local_deliver_address(struct local_state *parent, const char *address, int no_alias)
{
	struct local_state state = *parent;
	struct buf *qualified = buf_new(64);
	struct buf *user = buf_new(32);
	struct buf *ext = buf_new(32);
	struct buf *domain = buf_new(32);
	struct buf *full = buf_new(32);
	int	found = 0;
	int	status = DELIVER_STAT_OK;

	buf_cpy(qualified, address);
	if (strrchr(address, '@') == NULL)
		buf_appendf(qualified, "@%s", var_myorigin);
	state.address = buf_str(qualified);
	local_split_address(address, user, ext, domain);
	if (local_loop_check(&state)) {
		status = DELIVER_STAT_BOUNCE;
		goto out;
	}
	if (!no_alias && buf_len(user) > 0) {
		if (buf_len(ext) > 0) {
			const char *cp;

			/* The local part as written, delimiter included. */
			for (cp = address; *cp && cp != strrchr(address, '@'); cp++)
				buf_putc(full, tolower((unsigned char) *cp));
			status = local_alias_deliver(&state, buf_str(full), &found);
		}
		if (!found)
			status = local_alias_deliver(&state, buf_str(user), &found);
	}
	if (!found)
		status = local_deliver_user(&state, buf_str(user), buf_str(ext), no_alias);
out:
	buf_free(qualified);
	buf_free(user);
	buf_free(ext);
	buf_free(domain);
	buf_free(full);
	return (status);
}
