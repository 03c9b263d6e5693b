/*
 * NAME
 *	fuzz_dns - libFuzzer target for DNS answer decoding
 * SYNOPSIS
 *	build/fuzz/bin/fuzz_dns [libFuzzer options] [corpus...]
 * DESCRIPTION
 *	The record data of a DNS answer comes from whoever controls the
 *	remote zone. Byte 0 picks the record type the rest is decoded as
 *	with dns_parse_rr() (bits 0-1: A, AAAA, MX, or TXT, which must be
 *	refused); the rest is also decoded as a bare wire-format name with
 *	dns_parse_name() and, up to a null byte, as an address literal
 *	with dns_addr_parse().
 *
 *	Invariants checked besides memory safety: A and AAAA data decode
 *	exactly when they have 4 and 16 bytes, to the address inet_ntop()
 *	prints; an MX decodes only from at least 3 bytes, its preference is
 *	the first two bytes and its target is what dns_parse_name() makes
 *	of the rest; a decoded name is at most 253 bytes of labels of 1..63
 *	printable bytes without dots, back-slashes or white space, joined
 *	by single dots; dns_addr_parse() agrees with inet_pton().
 * SEE ALSO
 *	dns(3), tests/fuzz/corpus/fuzz_dns, docs/fuzzing.md
 */
#include <util/sys_defs.h>
#include <arpa/inet.h>
#include <global/dns.h>
#include "fuzz_util.h"

#define FUZZ_DNS_TYPE_TXT	16

static const int fuzz_dns_types[] = {
	DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_MX, FUZZ_DNS_TYPE_TXT,
};

/* fuzz_dns_name_ok - check a decoded name */
static void
fuzz_dns_name_ok(const char *name)
{
	const unsigned char *cp;
	size_t	label = 0;

	if (strlen(name) > 253)
		fuzz_fail("name of %zu bytes", strlen(name));
	for (cp = (const unsigned char *) name; *cp; cp++) {
		if (*cp == '.') {
			if (label == 0)
				fuzz_fail("empty label in \"%s\"", name);
			label = 0;
		} else if (*cp <= ' ' || *cp == '\\' || *cp == 0x7f || ++label > 63) {
			fuzz_fail("bad label byte or length in \"%s\"", name);
		}
	}
	if (*name && label == 0)
		fuzz_fail("trailing dot in \"%s\"", name);
}

/* fuzz_dns_rr - one record's data */
static void
fuzz_dns_rr(int type, const uint8_t *data, size_t len)
{
	struct dns_rr rr;
	struct buf *name = buf_new(64);
	char	text[INET6_ADDRSTRLEN];
	int	ok = dns_parse_rr(type, data, len, &rr) == 0;

	if (type == DNS_TYPE_A || type == DNS_TYPE_AAAA) {
		if (ok != (len == (type == DNS_TYPE_A ? 4 : 16)))
			fuzz_fail("type %d data of %zu bytes: result %d", type, len, ok);
		if (ok && (inet_ntop(rr.addr.family, data, text, sizeof(text)) == NULL
			   || strcmp(text, rr.addr.text) != 0))
			fuzz_fail("address decoded as \"%s\"", rr.addr.text);
	} else if (type == DNS_TYPE_MX) {
		if (ok != (len >= 3 && dns_parse_name(data + 2, len - 2, name) == 0))
			fuzz_fail("MX data of %zu bytes: result %d", len, ok);
		if (ok && (rr.pref != ((data[0] << 8) | data[1]) || rr.name == NULL
			   || strcmp(rr.name, buf_str(name)) != 0))
			fuzz_fail("MX decoded as %d \"%s\"", rr.pref, rr.name);
	} else if (ok) {
		fuzz_fail("type %d decoded", type);
	}
	if (ok)
		free(rr.name);
	buf_free(name);
}

/* fuzz_dns_addr - an address literal */
static void
fuzz_dns_addr(const char *text)
{
	struct dns_addr addr;
	unsigned char bin[16];
	int	ok = dns_addr_parse(text, &addr) == 0;

	if (ok != (inet_pton(AF_INET, text, bin) == 1 || inet_pton(AF_INET6, text, bin) == 1))
		fuzz_fail("dns_addr_parse(\"%s\") = %d", text, ok);
	if (ok && (addr.family != AF_INET && addr.family != AF_INET6))
		fuzz_fail("dns_addr_parse(\"%s\") family %d", text, addr.family);
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

/* LLVMFuzzerTestOneInput - one type byte and record data */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct buf *name;
	char   *text;

	if (len < 1)
		return (0);
	fuzz_dns_rr(fuzz_dns_types[data[0] & 3], data + 1, len - 1);
	name = buf_new(64);
	if (dns_parse_name(data + 1, len - 1, name) == 0)
		fuzz_dns_name_ok(buf_str(name));
	buf_free(name);
	text = fuzz_string(data + 1, len - 1);
	fuzz_dns_addr(text);
	free(text);
	return (0);
}
