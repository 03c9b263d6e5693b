/*
 * NAME
 *	address_list - RFC 5322 address lists from message headers
 * DESCRIPTION
 *	See address.h. The header value is first cut into tokens (atoms,
 *	quoted strings, domain literals, the specials < > : ; @ , and
 *	nothing for white space and comments), then mailboxes are taken
 *	from the token list: everything between '<' and '>' is the address
 *	of a name-addr, otherwise the tokens between separators form an
 *	addr-spec. A group name ends with ':' and the group with ';'.
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <util/argv.h>
#include <global/address.h>

enum address_tok_type {
	ADDRESS_TOK_ATOM, ADDRESS_TOK_QUOTED, ADDRESS_TOK_LITERAL,
	ADDRESS_TOK_SPECIAL,
};

struct address_tok {
	enum address_tok_type type;
	const char *text;		/* in the input; quoted: inside quotes */
	size_t	len;
};

struct address_toks {
	struct address_tok *toks;
	size_t	count;
	size_t	cap;
};

#define ADDRESS_SPECIALS	"()<>[]:;@\\,\""

/* address_tok_add - append a token */
static void
address_tok_add(struct address_toks *tl, enum address_tok_type type,
		const char *text, size_t len)
{
	if (tl->count == tl->cap) {
		tl->cap = tl->cap ? 2 * tl->cap : 16;
		tl->toks = xreallocarray(tl->toks, tl->cap, sizeof(*tl->toks));
	}
	tl->toks[tl->count].type = type;
	tl->toks[tl->count].text = text;
	tl->toks[tl->count].len = len;
	tl->count++;
}

/* address_skip_comment - skip a (nested) comment; NULL if unbalanced */
static const char *
address_skip_comment(const char *cp)
{
	int	depth = 0;

	do {
		if (*cp == '\\' && cp[1] != 0)
			cp++;
		else if (*cp == '(')
			depth++;
		else if (*cp == ')')
			depth--;
		else if (*cp == 0)
			return (NULL);
		cp++;
	} while (depth > 0);
	return (cp);
}

/* address_skip_quoted - end of a quoted string; NULL if unterminated */
static const char *
address_skip_quoted(const char *cp)
{
	for (cp++; *cp != '"'; cp++) {
		if (*cp == '\\' && cp[1] != 0)
			cp++;
		if (*cp == 0)
			return (NULL);
	}
	return (cp);
}

/* address_is_ctl - control character that is not folding white space */
static bool
address_is_ctl(int ch)
{
	return ((ch < 32 && ch != '\t' && ch != '\r' && ch != '\n') || ch == 127);
}

/* address_tokenize - cut a header value into tokens */
static int
address_tokenize(const char *text, struct address_toks *tl, struct buf *why)
{
	const char *cp = text, *end;

	while (*cp) {
		if (*cp == ' ' || *cp == '\t' || *cp == '\r' || *cp == '\n') {
			cp++;
		} else if (address_is_ctl((unsigned char) *cp)) {
			buf_printf(why, "bad control character 0x%02x in address list",
				   (unsigned char) *cp);
			return (-1);
		} else if (*cp == '(') {
			if ((cp = address_skip_comment(cp)) == NULL) {
				buf_cpy(why, "unbalanced '(' in address list");
				return (-1);
			}
		} else if (*cp == '"') {
			if ((end = address_skip_quoted(cp)) == NULL) {
				buf_cpy(why, "unterminated quoted string in address list");
				return (-1);
			}
			address_tok_add(tl, ADDRESS_TOK_QUOTED, cp + 1, (size_t) (end - cp - 1));
			cp = end + 1;
		} else if (*cp == '[') {
			if ((end = strchr(cp, ']')) == NULL) {
				buf_cpy(why, "unterminated domain literal in address list");
				return (-1);
			}
			address_tok_add(tl, ADDRESS_TOK_LITERAL, cp, (size_t) (end - cp + 1));
			cp = end + 1;
		} else if (strchr("<>:;@,", *cp) != NULL) {
			address_tok_add(tl, ADDRESS_TOK_SPECIAL, cp, 1);
			cp++;
		} else if (strchr(ADDRESS_SPECIALS, *cp) != NULL) {
			buf_printf(why, "unexpected '%c' in address list", *cp);
			return (-1);
		} else {
			for (end = cp; *end && strchr(ADDRESS_SPECIALS " \t\r\n", *end) == NULL
			     && !address_is_ctl((unsigned char) *end); end++)
				 /* void */ ;
			address_tok_add(tl, ADDRESS_TOK_ATOM, cp, (size_t) (end - cp));
			cp = end;
		}
	}
	return (0);
}

/* address_is_special - token is the special character ch */
static bool
address_is_special(const struct address_tok *tok, int ch)
{
	return (tok->type == ADDRESS_TOK_SPECIAL && tok->text[0] == ch);
}

/* address_joinable - may word b directly follow word a (obsolete dots) */
static bool
address_joinable(const struct address_tok *a, const struct address_tok *b)
{
	return ((a->type == ADDRESS_TOK_ATOM && a->text[a->len - 1] == '.')
		|| (b->type == ADDRESS_TOK_ATOM && b->text[0] == '.'));
}

/* address_build - internal-form address from tokens [first, last) */
static int
address_build(const struct address_toks *tl, size_t first, size_t last,
	      struct buf *addr, struct buf *why)
{
	const struct address_tok *tok, *prev = NULL;
	size_t	i, j;

	buf_reset(addr);
	/* Drop a source route "@a,@b:" at the start of an angle address. */
	if (first < last && address_is_special(tl->toks + first, '@')) {
		for (i = first; i < last && !address_is_special(tl->toks + i, ':'); i++)
			 /* void */ ;
		if (i == last) {
			buf_cpy(why, "bad source route in address list");
			return (-1);
		}
		first = i + 1;
	}
	for (i = first; i < last; i++) {
		tok = tl->toks + i;
		if (address_is_special(tok, '@')) {
			buf_putc(addr, '@');
			prev = NULL;
			continue;
		}
		/* "John Smith" or "a@b c@d": words need a separator. */
		if (tok->type == ADDRESS_TOK_SPECIAL
		    || (prev != NULL && !address_joinable(prev, tok))) {
			buf_cpy(why, "bad address syntax in address list");
			return (-1);
		}
		for (j = 0; j < tok->len; j++) {
			if (tok->type == ADDRESS_TOK_QUOTED && tok->text[j] == '\\')
				j++;
			buf_putc(addr, tok->text[j]);
		}
		prev = tok;
	}
	if (buf_len(addr) == 0) {
		buf_cpy(why, "empty address in address list");
		return (-1);
	}
	return (0);
}

 /*
  * Mailbox scanner state.
  */
struct address_scan {
	const struct address_toks *tl;
	size_t	start;			/* first token of this mailbox */
	size_t	angle_first;		/* tokens of <...>, if have_angle */
	size_t	angle_last;
	bool	have_angle;
	bool	in_group;
	struct buf *addr;
	struct argv *out;
	struct buf *why;
};

/* address_emit - finish the mailbox that ends before token end */
static int
address_emit(struct address_scan *sp, size_t end)
{
	int	status = 0;

	if (sp->have_angle) {
		/* A display name must not follow the angle address. */
		if (sp->angle_last + 1 != end) {
			buf_cpy(sp->why, "text after '>' in address list");
			return (-1);
		}
		status = address_build(sp->tl, sp->angle_first, sp->angle_last,
				       sp->addr, sp->why);
	} else if (end > sp->start) {
		status = address_build(sp->tl, sp->start, end, sp->addr, sp->why);
	} else {
		sp->start = end + 1;		/* empty list element */
		return (0);
	}
	if (status == 0)
		argv_add(sp->out, buf_str(sp->addr));
	sp->have_angle = false;
	sp->start = end + 1;
	return (status);
}

/* address_angle - find the '>' matching the '<' at token i */
static int
address_angle(struct address_scan *sp, size_t *ip)
{
	size_t	i;

	if (sp->have_angle) {
		buf_cpy(sp->why, "more than one '<' in address list element");
		return (-1);
	}
	for (i = *ip + 1; i < sp->tl->count; i++) {
		if (address_is_special(sp->tl->toks + i, '>'))
			break;
		if (address_is_special(sp->tl->toks + i, '<')) {
			buf_cpy(sp->why, "nested '<' in address list");
			return (-1);
		}
	}
	if (i == sp->tl->count) {
		buf_cpy(sp->why, "missing '>' in address list");
		return (-1);
	}
	sp->have_angle = true;
	sp->angle_first = *ip + 1;
	sp->angle_last = i;
	*ip = i;
	return (0);
}

/* address_scan_tokens - mailboxes and groups from the token list */
static int
address_scan_tokens(struct address_scan *sp)
{
	const struct address_tok *tok;
	size_t	i;

	for (i = 0; i < sp->tl->count; i++) {
		tok = sp->tl->toks + i;
		if (tok->type != ADDRESS_TOK_SPECIAL || tok->text[0] == '@')
			continue;
		switch (tok->text[0]) {
		case '<':
			if (address_angle(sp, &i) < 0)
				return (-1);
			break;
		case '>':
			buf_cpy(sp->why, "unbalanced '>' in address list");
			return (-1);
		case ':':
			if (sp->in_group || sp->have_angle) {
				buf_cpy(sp->why, "unexpected ':' in address list");
				return (-1);
			}
			sp->in_group = true;
			sp->start = i + 1;	/* the group name is no address */
			break;
		case ';':
			sp->in_group = false;
			/* FALLTHROUGH */
		case ',':
			if (address_emit(sp, i) < 0)
				return (-1);
			break;
		}
	}
	return (address_emit(sp, sp->tl->count));
}

/* address_parse_list - addresses of an RFC 5322 address list */
int
address_parse_list(const char *text, struct argv *out, struct buf *why)
{
	struct address_toks tl = {NULL, 0, 0};
	struct address_scan scan;
	size_t	old_argc = out->argc;
	int	status;

	memset(&scan, 0, sizeof(scan));
	scan.tl = &tl;
	scan.out = out;
	scan.why = why;
	scan.addr = buf_new(100);
	status = address_tokenize(text, &tl, why);
	if (status == 0)
		status = address_scan_tokens(&scan);
	buf_free(scan.addr);
	free(tl.toks);
	if (status < 0) {
		argv_truncate(out, old_argc);
		errno = EINVAL;
		return (-1);
	}
	return ((int) (out->argc - old_argc));
}
