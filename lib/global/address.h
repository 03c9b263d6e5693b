/*
 * NAME
 *	address - mail address parsing, quoting and checks (RFC 5321/5322)
 * SYNOPSIS
 *	#include <global/address.h>
 *
 *	int	address_parse_path(const char *text, const char **end, int flags,
 *				struct buf *addr, struct buf *why);
 *	int	address_parse_list(const char *text, struct argv *out,
 *				struct buf *why);
 *	int	address_check(const char *addr, struct buf *why);
 *
 *	const char *address_quote(struct buf *out, const char *addr);
 *	const char *address_unquote(struct buf *out, const char *addr);
 *	const char *address_domain(struct buf *out, const char *addr);
 *	const char *address_local(struct buf *out, const char *addr);
 *
 *	bool	address_has_route_chars(const char *addr);
 *	int	address_domain_literal(const char *domain, struct buf *ip);
 *	bool	address_domain_valid(const char *domain);
 * DESCRIPTION
 *	Postern keeps addresses in internal form, as Postfix does: the
 *	local part unquoted ("john doe@example.com"); the null sender is
 *	the empty string. External form is what appears in SMTP and
 *	headers: a local part that is not a dot-atom is quoted
 *	("\"john doe\"@example.com"). address_quote() turns internal into
 *	external form, address_unquote() the reverse; both work on the
 *	local part only (everything before the last '@') and return the
 *	text of out. address_unquote() returns NULL (EINVAL) for an
 *	unterminated quote or a trailing backslash.
 *
 *	address_parse_path() parses an SMTP path (the argument of MAIL
 *	FROM: or RCPT TO:) at the start of text: optional leading spaces,
 *	"<", an optional source route "@a,@b:" (removed, as RFC 5321 asks),
 *	a local part (dot-atom or quoted string with \ escapes; bytes >= 128
 *	allowed for SMTPUTF8), "@", a domain (host name or address literal
 *	"[192.0.2.1]" / "[IPv6:2001:db8::1]"), ">". "<>" is the null path.
 *	With ADDRESS_FLAG_NO_BRACKETS a path without angle brackets is also
 *	accepted (ending at white space). It stores the internal form in
 *	addr, sets *end (if not NULL) after the path, where ESMTP
 *	parameters begin, and returns a mask of ADDRESS_NOTE_* bits: what
 *	it noticed and the caller may want to refuse or log. Unless
 *	ADDRESS_FLAG_NO_CHECK is given the result is also checked with
 *	address_check(). On a syntax error it returns -1 with a reason in
 *	why (e.g. "missing '>' in address"); addr is then undefined.
 *	A trailing dot after the domain is removed and noted.
 *
 *	address_parse_list() parses an RFC 5322 address list (the value of
 *	To:, Cc:, Bcc:, possibly unfolded): mailboxes "Name <a@b>", "a@b
 *	(comment)", groups "team: x@y, z@w;" (also empty ones), quoted
 *	strings and comments with escapes, nested comments. It appends
 *	each address in internal form to out and returns how many, or -1
 *	with why (out unchanged) for an unbalanced quote, comment or angle
 *	bracket, words without a separator ("a@b c@d"), or an empty
 *	address between brackets. The addresses are not checked with
 *	address_check(); one without '@' is returned as it is (sendmail
 *	qualifies it later).
 *
 *	address_check() applies the SMTP limits to an internal-form
 *	address: local part at most ADDRESS_LOCAL_MAX bytes, domain at most
 *	ADDRESS_DOMAIN_MAX, the whole path at most ADDRESS_PATH_MAX; no
 *	control characters; no empty local part or domain around the '@'
 *	("user@", "@domain"); a valid host name or address literal after
 *	the '@'. The null address "" is valid. Returns 0 or -1 with why.
 *
 *	address_domain() stores the part after the LAST '@', lowercased,
 *	in out and returns it, or returns NULL if there is no '@'.
 *	address_local() stores the part before the last '@' (the whole
 *	address if there is none).
 *
 *	address_has_route_chars() is true when the local part of an
 *	internal-form address contains '%', '!' or '@', or the address
 *	starts with '@': the relay tricks of "user%host@relay", "host!user"
 *	and source routes, for relay checks.
 *	address_domain_literal() recognises "[1.2.3.4]" (AF_INET) and
 *	"[IPv6:...]" (AF_INET6), validated with inet_pton(), storing the
 *	bare address in ip when ip is not NULL; it returns 0 for a domain
 *	that is not a literal, -1 for a malformed literal.
 *	address_domain_valid() checks host name syntax: labels of 1..63
 *	letters, digits, hyphens (not at either end) or bytes >= 128, at
 *	most 255 bytes, no empty labels.
 * SEE ALSO
 *	RFC 5321 section 4.1.2 and 4.5.3.1, RFC 5322 section 3.4
 */
#ifndef POSTERN_ADDRESS_H
#define POSTERN_ADDRESS_H

#include <util/sys_defs.h>
#include <util/buf.h>
#include <util/argv.h>

#define ADDRESS_LOCAL_MAX	64
#define ADDRESS_DOMAIN_MAX	255
#define ADDRESS_PATH_MAX	256	/* including < > */

 /*
  * address_parse_path() flags.
  */
#define ADDRESS_FLAG_NO_BRACKETS (1 << 0)	/* accept a path without <> */
#define ADDRESS_FLAG_NO_CHECK	(1 << 1)	/* skip address_check() */

 /*
  * address_parse_path() result bits.
  */
#define ADDRESS_NOTE_NULL	(1 << 0)	/* "<>" */
#define ADDRESS_NOTE_ROUTE	(1 << 1)	/* source route removed */
#define ADDRESS_NOTE_NO_BRACKETS (1 << 2)	/* path had no <> */
#define ADDRESS_NOTE_QUOTED	(1 << 3)	/* local part was quoted */
#define ADDRESS_NOTE_TRAILING_DOT (1 << 4)	/* "user@domain." */
#define ADDRESS_NOTE_LITERAL	(1 << 5)	/* domain is [address] */
#define ADDRESS_NOTE_NO_DOMAIN	(1 << 6)	/* no '@' at all */
#define ADDRESS_NOTE_8BIT	(1 << 7)	/* bytes >= 128 */
#define ADDRESS_NOTE_ROUTE_CHARS (1 << 8)	/* % ! @ in local part */

int	address_parse_path(const char *text, const char **end, int flags,
		struct buf *addr, struct buf *why);
int	address_parse_list(const char *text, struct argv *out, struct buf *why);
int	address_check(const char *addr, struct buf *why);

const char *address_quote(struct buf *out, const char *addr);
const char *address_unquote(struct buf *out, const char *addr);
const char *address_domain(struct buf *out, const char *addr);
const char *address_local(struct buf *out, const char *addr);

bool	address_has_route_chars(const char *addr);
int	address_domain_literal(const char *domain, struct buf *ip);
bool	address_domain_valid(const char *domain);

#endif
