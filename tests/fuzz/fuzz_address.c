/*
 * NAME
 *	fuzz_address - libFuzzer target for address parsing and quoting
 * SYNOPSIS
 *	build/fuzz/bin/fuzz_address [libFuzzer options] [corpus...]
 * DESCRIPTION
 *	The first input byte holds address_parse_path() flags (bit 0:
 *	ADDRESS_FLAG_NO_BRACKETS, bit 1: ADDRESS_FLAG_NO_CHECK); the rest,
 *	up to a null byte, is text given to address_parse_path() (an SMTP
 *	path with ESMTP parameters after it), address_parse_list() (a
 *	header value), address_check(), address_quote() and
 *	address_unquote(), and the domain helpers.
 *
 *	Invariants checked besides memory safety:
 * .IP \(bu
 *	address_parse_path() sets *end inside the text, says why when it
 *	fails, and without ADDRESS_FLAG_NO_CHECK returns only addresses
 *	that address_check() accepts;
 * .IP \(bu
 *	round trip: a parsed address that passes address_check(), quoted with address_quote() and put
 *	in angle brackets parses back to the same internal form, and
 *	address_unquote() of the quoted form gives it back too;
 * .IP \(bu
 *	address_parse_list() appends exactly the count it returns, and
 *	nothing when it fails;
 * .IP \(bu
 *	address_domain() is lowercase and NULL exactly when there is no
 *	"@"; address_local() plus "@" plus the domain is the address again
 *	(case aside).
 * SEE ALSO
 *	address(3), tests/fuzz/corpus/fuzz_address, docs/fuzzing.md
 */
#include <util/sys_defs.h>
#include <strings.h>
#include <util/argv.h>
#include <global/address.h>
#include "fuzz_util.h"

/* fuzz_address_round_trip - quote, bracket, parse again */
static void
fuzz_address_round_trip(const char *addr)
{
	struct buf *quoted = buf_new(100);
	struct buf *path = buf_new(100);
	struct buf *again = buf_new(100);
	struct buf *why = buf_new(100);

	address_quote(quoted, addr);
	buf_printf(path, "<%s>", buf_str(quoted));
	if (address_parse_path(buf_str(path), NULL, ADDRESS_FLAG_NO_CHECK, again, why) < 0)
		fuzz_fail("quoted form %s of \"%s\" does not parse: %s",
			  buf_str(path), addr, buf_str(why));
	if (strcmp(buf_str(again), addr) != 0)
		fuzz_fail("\"%s\" quoted as %s parses as \"%s\"", addr,
			  buf_str(path), buf_str(again));
	if (address_unquote(again, buf_str(quoted)) == NULL
	    || strcmp(buf_str(again), addr) != 0)
		fuzz_fail("address_unquote(%s) is not \"%s\"", buf_str(quoted), addr);
	buf_free(why);
	buf_free(again);
	buf_free(path);
	buf_free(quoted);
}

/* fuzz_address_path - parse an SMTP path */
static void
fuzz_address_path(const char *text, int flags)
{
	struct buf *addr = buf_new(100);
	struct buf *why = buf_new(100);
	const char *end = NULL;
	int	notes;

	notes = address_parse_path(text, &end, flags, addr, why);
	if (notes < 0) {
		if (buf_len(why) == 0)
			fuzz_fail("address_parse_path failed without a reason");
	} else {
		if (end == NULL || end < text || end > text + strlen(text))
			fuzz_fail("address_parse_path end outside the text");
		if ((flags & ADDRESS_FLAG_NO_CHECK) == 0
		    && address_check(buf_str(addr), why) < 0)
			fuzz_fail("parsed \"%s\" fails address_check: %s",
				  buf_str(addr), buf_str(why));
		if ((notes & ADDRESS_NOTE_NULL) && buf_len(addr) != 0)
			fuzz_fail("null path noted for \"%s\"", buf_str(addr));
		/* Internal form splits at the last '@': with NO_CHECK a quoted
		 * "a@junk" has no real domain and cannot round-trip. */
		if (address_check(buf_str(addr), why) == 0)
			fuzz_address_round_trip(buf_str(addr));
	}
	buf_free(why);
	buf_free(addr);
}

/* fuzz_address_list - parse a header address list */
static void
fuzz_address_list(const char *text)
{
	struct argv *out = argv_new(4);
	struct buf *why = buf_new(100);
	int	n;

	argv_add(out, "sentinel");
	n = address_parse_list(text, out, why);
	if (n < 0 && (out->argc != 1 || buf_len(why) == 0))
		fuzz_fail("failed address_parse_list changed its output or "
			  "gave no reason");
	if (n >= 0 && out->argc != 1 + (size_t) n)
		fuzz_fail("address_parse_list returned %d but added %zu", n,
			  out->argc - 1);
	argv_free(out);
	buf_free(why);
}

/* fuzz_address_parts - domain and local part helpers */
static void
fuzz_address_parts(const char *text)
{
	struct buf *domain = buf_new(100);
	struct buf *local = buf_new(100);
	struct buf *ip = buf_new(100);
	const char *dom;
	const char *cp;

	dom = address_domain(domain, text);
	if ((dom == NULL) != (strchr(text, '@') == NULL))
		fuzz_fail("address_domain(\"%s\") and '@' disagree", text);
	address_local(local, text);
	if (dom != NULL) {
		for (cp = dom; *cp; cp++)
			if (*cp >= 'A' && *cp <= 'Z')
				fuzz_fail("address_domain(\"%s\") not lowercase", text);
		buf_appendf(local, "@%s", dom);
		if (strcasecmp(buf_str(local), text) != 0)
			fuzz_fail("local@domain of \"%s\" is \"%s\"", text, buf_str(local));
		(void) address_domain_literal(dom, ip);
		(void) address_domain_valid(dom);
	} else if (strcmp(buf_str(local), text) != 0) {
		fuzz_fail("address_local(\"%s\") without '@' is \"%s\"", text,
			  buf_str(local));
	}
	(void) address_has_route_chars(text);
	buf_free(ip);
	buf_free(local);
	buf_free(domain);
}

/* fuzz_address_text - quoting and checks on arbitrary text */
static void
fuzz_address_text(const char *text)
{
	struct buf *out = buf_new(100);
	struct buf *back = buf_new(100);
	struct buf *why = buf_new(100);
	const char *at = strrchr(text, '@');

	if (address_check(text, why) < 0 && buf_len(why) == 0)
		fuzz_fail("address_check failed without a reason");
	address_quote(out, text);
	/* address_unquote() also unescapes a domain, which internal form
	 * never quotes; compare only when the domain has nothing to undo. */
	if ((at == NULL || strpbrk(at, "\"\\") == NULL)
	    && (address_unquote(back, buf_str(out)) == NULL
		|| strcmp(buf_str(back), text) != 0))
		fuzz_fail("address_unquote(address_quote(\"%s\")) is \"%s\"",
			  text, buf_str(back));
	(void) address_unquote(back, text);
	fuzz_address_parts(text);
	buf_free(why);
	buf_free(back);
	buf_free(out);
}

/* LLVMFuzzerInitialize - once per process */
int	LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	fuzz_init();
	return (0);
}

/* LLVMFuzzerTestOneInput - one flags byte and one text */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char   *text;
	int	flags;

	if (len < 1)
		return (0);
	flags = data[0] & (ADDRESS_FLAG_NO_BRACKETS | ADDRESS_FLAG_NO_CHECK);
	text = fuzz_string(data + 1, len - 1);
	fuzz_address_path(text, flags);
	fuzz_address_list(text);
	fuzz_address_text(text);
	free(text);
	return (0);
}
