/*
 * NAME
 *	address - SMTP paths, address checks, quoting and domains
 * DESCRIPTION
 *	See address.h. RFC 5322 address lists are in address_list.c.
 *
 *	The SMTP path parser follows RFC 5321 section 4.1.2 with the
 *	leniency Postfix shows real clients: a dot-atom local part may
 *	have leading, trailing or repeated dots (mobile carriers hand out
 *	such addresses); address_quote() quotes those when they go out
 *	again. Everything else that RFC 5321 forbids is refused.
 */
#include <util/sys_defs.h>
#include <arpa/inet.h>
#include <strings.h>
#include <util/msg.h>
#include <util/buf.h>
#include <global/address.h>

static int address_error(struct buf *, const char *,...) PRINTFLIKE(2, 3);

/* address_error - set why; always -1 */
static int
address_error(struct buf *why, const char *fmt,...)
{
	va_list	ap;

	if (why != NULL) {
		buf_reset(why);
		va_start(ap, fmt);
		buf_vappendf(why, fmt, ap);
		va_end(ap);
	}
	errno = EINVAL;
	return (-1);
}

/* address_is_atext - RFC 5322 atext, plus UTF-8 bytes */
static bool
address_is_atext(int ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
	    || (ch >= '0' && ch <= '9') || ch >= 128)
		return (true);
	return (ch != 0 && strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL);
}

/* address_is_domain_char - letters, digits, hyphen, dot, UTF-8 bytes */
static bool
address_is_domain_char(int ch)
{
	return ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
		|| (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch >= 128);
}

/* address_local_end - end of the local part: the last '@', or the end */
static const char *
address_local_end(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return (at ? at : addr + strlen(addr));
}

/* address_domain_valid - host name syntax */
bool
address_domain_valid(const char *domain)
{
	const unsigned char *cp = (const unsigned char *) domain;
	const unsigned char *label = cp;
	bool	numeric = true;
	size_t	len;

	if (domain == NULL || *domain == 0 || strlen(domain) > ADDRESS_DOMAIN_MAX)
		return (false);
	for (;; cp++) {
		if (*cp == '.' || *cp == 0) {
			len = (size_t) (cp - label);
			if (len == 0 || len > 63 || label[0] == '-' || cp[-1] == '-')
				return (false);
			if (*cp == 0)
				break;
			label = cp + 1;
			numeric = true;
			continue;
		}
		if (!address_is_domain_char(*cp))
			return (false);
		if (*cp < '0' || *cp > '9')
			numeric = false;
	}
	/* An all-numeric last label is an IP address without brackets. */
	return (!numeric);
}

/* address_domain_literal - [1.2.3.4] or [IPv6:...]: AF_INET(6), 0, -1 */
int
address_domain_literal(const char *domain, struct buf *ip)
{
	char	inner[64];
	unsigned char addr[16];
	size_t	len;
	int	family = AF_INET;
	const char *text = inner;

	if (domain == NULL || domain[0] != '[')
		return (0);
	len = strlen(domain);
	if (len < 3 || domain[len - 1] != ']' || len - 2 >= sizeof(inner))
		return (-1);
	memcpy(inner, domain + 1, len - 2);
	inner[len - 2] = 0;
	if (strncasecmp(inner, "IPv6:", 5) == 0) {
		family = AF_INET6;
		text = inner + 5;
	}
	if (inet_pton(family, text, addr) != 1)
		return (-1);
	if (ip != NULL)
		buf_cpy(ip, text);
	return (family);
}

/* address_check - SMTP limits on an internal-form address */
int
address_check(const char *addr, struct buf *why)
{
	const unsigned char *cp;
	const char *at;
	size_t	local_len;

	if (addr == NULL)
		return (address_error(why, "null address"));
	if (*addr == 0)
		return (0);
	for (cp = (const unsigned char *) addr; *cp; cp++)
		if (*cp < 32 || *cp == 127)
			return (address_error(why, "bad character 0x%02x in address", *cp));
	if (strlen(addr) + 2 > ADDRESS_PATH_MAX)
		return (address_error(why, "address too long"));
	at = address_local_end(addr);
	local_len = (size_t) (at - addr);
	if (local_len == 0)
		return (address_error(why, "empty local part in address"));
	if (local_len > ADDRESS_LOCAL_MAX)
		return (address_error(why, "local part too long in address"));
	if (*at == 0)
		return (0);
	if (at[1] == 0)
		return (address_error(why, "missing domain in address"));
	if (strlen(at + 1) > ADDRESS_DOMAIN_MAX)
		return (address_error(why, "domain too long in address"));
	if (at[1] == '[') {
		if (address_domain_literal(at + 1, NULL) <= 0)
			return (address_error(why, "bad address literal in address"));
	} else if (!address_domain_valid(at + 1)) {
		return (address_error(why, "bad domain in address"));
	}
	return (0);
}

/* address_needs_quote - local part is not a dot-atom */
static bool
address_needs_quote(const char *local, size_t len)
{
	size_t	i;

	if (len == 0 || local[0] == '.' || local[len - 1] == '.')
		return (true);
	for (i = 0; i < len; i++) {
		if (local[i] == '.') {
			if (local[i + 1] == '.')
				return (true);
		} else if (!address_is_atext((unsigned char) local[i])) {
			return (true);
		}
	}
	return (false);
}

/* address_quote - internal to external form */
const char *
address_quote(struct buf *out, const char *addr)
{
	const char *at = address_local_end(addr);
	size_t	len = (size_t) (at - addr);
	size_t	i;

	buf_reset(out);
	if (*addr == 0)
		return (buf_str(out));
	if (!address_needs_quote(addr, len)) {
		buf_catn(out, addr, len);
	} else {
		buf_putc(out, '"');
		for (i = 0; i < len; i++) {
			if (addr[i] == '"' || addr[i] == '\\')
				buf_putc(out, '\\');
			buf_putc(out, addr[i]);
		}
		buf_putc(out, '"');
	}
	buf_cat(out, at);
	return (buf_str(out));
}

/* address_unquote - external to internal form */
const char *
address_unquote(struct buf *out, const char *addr)
{
	const char *cp;
	bool	in_quote = false;

	buf_reset(out);
	for (cp = addr; *cp; cp++) {
		if (*cp == '"') {
			in_quote = !in_quote;
		} else if (*cp == '\\' && in_quote) {
			if (*++cp == 0)
				break;
			buf_putc(out, *cp);
		} else {
			buf_putc(out, *cp);
		}
	}
	if (in_quote) {
		errno = EINVAL;
		return (NULL);
	}
	return (buf_str(out));
}

/* address_domain - lowercased part after the last '@' */
const char *
address_domain(struct buf *out, const char *addr)
{
	const char *at = strrchr(addr, '@');
	const unsigned char *cp;

	buf_reset(out);
	if (at == NULL)
		return (NULL);
	for (cp = (const unsigned char *) at + 1; *cp; cp++)
		buf_putc(out, (*cp >= 'A' && *cp <= 'Z') ? *cp + 'a' - 'A' : *cp);
	return (buf_str(out));
}

/* address_local - part before the last '@' */
const char *
address_local(struct buf *out, const char *addr)
{
	buf_reset(out);
	buf_catn(out, addr, (size_t) (address_local_end(addr) - addr));
	return (buf_str(out));
}

/* address_has_route_chars - % ! @ in the local part, or a source route */
bool
address_has_route_chars(const char *addr)
{
	const char *end = address_local_end(addr);
	const char *cp;

	if (addr[0] == '@')
		return (true);
	for (cp = addr; cp < end; cp++)
		if (*cp == '%' || *cp == '!' || *cp == '@')
			return (true);
	return (false);
}

 /*
  * SMTP path parser state.
  */
struct address_path {
	const unsigned char *cp;	/* next input byte */
	bool	bracketed;		/* path began with '<' */
	int	notes;			/* ADDRESS_NOTE_* */
	struct buf *addr;		/* result, internal form */
	struct buf *why;
};

/* address_path_route - skip a source route "@a,@b:" */
static int
address_path_route(struct address_path *pp)
{
	const unsigned char *start;

	for (;;) {
		if (*pp->cp++ != '@')
			return (address_error(pp->why, "bad source route in address"));
		for (start = pp->cp; address_is_domain_char(*pp->cp); pp->cp++)
			 /* void */ ;
		if (pp->cp == start)
			return (address_error(pp->why, "bad source route in address"));
		if (*pp->cp == ':')
			break;
		if (*pp->cp++ != ',')
			return (address_error(pp->why, "bad source route in address"));
	}
	pp->cp++;
	pp->notes |= ADDRESS_NOTE_ROUTE;
	return (0);
}

/* address_path_quoted - quoted local part, unquoted into addr */
static int
address_path_quoted(struct address_path *pp)
{
	int	ch;

	pp->cp++;
	pp->notes |= ADDRESS_NOTE_QUOTED;
	while ((ch = *pp->cp++) != '"') {
		if (ch == '\\')
			ch = *pp->cp++;
		if (ch == 0)
			return (address_error(pp->why, "unterminated quoted string in address"));
		if (ch < 32 || ch == 127)
			return (address_error(pp->why, "bad character 0x%02x in address", ch));
		buf_putc(pp->addr, ch);
	}
	if (buf_len(pp->addr) == 0)
		return (address_error(pp->why, "empty local part in address"));
	return (0);
}

/* address_path_local - dot-atom or quoted local part */
static int
address_path_local(struct address_path *pp)
{
	const unsigned char *start = pp->cp;

	if (*pp->cp == '"')
		return (address_path_quoted(pp));
	while (address_is_atext(*pp->cp) || *pp->cp == '.')
		pp->cp++;
	if (pp->cp == start)
		return (*pp->cp == '@' ?
			address_error(pp->why, "empty local part in address") :
			address_error(pp->why, "bad character in address local part"));
	buf_catn(pp->addr, start, (size_t) (pp->cp - start));
	return (0);
}

/* address_path_domain - host name or address literal after '@' */
static int
address_path_domain(struct address_path *pp)
{
	const unsigned char *start = pp->cp;
	size_t	len;

	if (*pp->cp == '[') {
		while (*pp->cp && *pp->cp != ']' && *pp->cp != '>')
			pp->cp++;
		if (*pp->cp++ != ']')
			return (address_error(pp->why, "unterminated address literal"));
		pp->notes |= ADDRESS_NOTE_LITERAL;
	} else {
		while (address_is_domain_char(*pp->cp))
			pp->cp++;
	}
	if ((len = (size_t) (pp->cp - start)) == 0)
		return (address_error(pp->why, "missing domain in address"));
	if (start[len - 1] == '.' && *start != '[') {
		pp->notes |= ADDRESS_NOTE_TRAILING_DOT;
		len--;
	}
	buf_putc(pp->addr, '@');
	buf_catn(pp->addr, start, len);
	return (0);
}

/* address_path_end - the closing '>', or the end of an unbracketed path */
static int
address_path_end(struct address_path *pp)
{
	if (pp->bracketed) {
		if (*pp->cp != '>')
			return (*pp->cp ?
			     address_error(pp->why, "bad character in address") :
				address_error(pp->why, "missing '>' in address"));
		pp->cp++;
	} else if (*pp->cp != 0 && *pp->cp != ' ' && *pp->cp != '\t') {
		return (address_error(pp->why, "bad character in address"));
	}
	return (0);
}

/* address_path_notes - what the finished address looks like */
static void
address_path_notes(struct address_path *pp)
{
	const unsigned char *cp;

	if (strchr(buf_str(pp->addr), '@') == NULL)
		pp->notes |= ADDRESS_NOTE_NO_DOMAIN;
	if (address_has_route_chars(buf_str(pp->addr)))
		pp->notes |= ADDRESS_NOTE_ROUTE_CHARS;
	for (cp = (const unsigned char *) buf_str(pp->addr); *cp; cp++)
		if (*cp >= 128)
			pp->notes |= ADDRESS_NOTE_8BIT;
}

/* address_parse_path - parse an SMTP path */
int
address_parse_path(const char *text, const char **end, int flags,
		   struct buf *addr, struct buf *why)
{
	struct address_path path;

	path.cp = (const unsigned char *) text;
	path.notes = 0;
	path.addr = addr;
	path.why = why;
	buf_reset(addr);
	while (*path.cp == ' ' || *path.cp == '\t')
		path.cp++;
	if ((path.bracketed = (*path.cp == '<')) != 0) {
		path.cp++;
	} else if (flags & ADDRESS_FLAG_NO_BRACKETS) {
		path.notes |= ADDRESS_NOTE_NO_BRACKETS;
		if (*path.cp == 0)
			return (address_error(why, "empty address"));
	} else {
		return (address_error(why, "missing '<' in address"));
	}
	if (path.bracketed && *path.cp == '>') {
		path.cp++;
		path.notes |= ADDRESS_NOTE_NULL;
	} else {
		if (*path.cp == '@' && path.bracketed && address_path_route(&path) < 0)
			return (-1);
		if (address_path_local(&path) < 0)
			return (-1);
		if (*path.cp == '@') {
			path.cp++;
			if (address_path_domain(&path) < 0)
				return (-1);
		}
		if (address_path_end(&path) < 0)
			return (-1);
		address_path_notes(&path);
		if (!(flags & ADDRESS_FLAG_NO_CHECK) && address_check(buf_str(addr), why) < 0)
			return (-1);
	}
	if (end != NULL)
		*end = (const char *) path.cp;
	return (path.notes);
}
