/*
 * NAME
 *	fuzz_cidr - libFuzzer target for cidr: table files
 * SYNOPSIS
 *	build/fuzz/bin/fuzz_cidr [libFuzzer options] [corpus...]
 * DESCRIPTION
 *	The input is a cidr table ("pattern whitespace result" per logical
 *	line). It is opened as cidr:PATH through an in-memory file, and
 *	looked up with a fixed set of IPv4, IPv6 and non-address keys and
 *	with the address part of the first word of every line (so that
 *	patterns the fuzzer invents are also probed at their own address).
 *
 *	Invariants checked besides memory safety: the table opens (bad
 *	rules are skipped with a warning, never an error); a key that is
 *	not an address matches nothing; a lookup that finds nothing leaves
 *	no error; a result is never empty.
 * SEE ALSO
 *	dict(3), tests/fuzz/corpus/fuzz_cidr, docs/fuzzing.md
 */
#include <util/sys_defs.h>
#include <arpa/inet.h>
#include <util/argv.h>
#include <global/dict.h>
#include "fuzz_util.h"

#define FUZZ_CIDR_KEYS	32		/* keys taken from the input */

static int fuzz_cidr_fd = -1;

static const char *fuzz_cidr_fixed[] = {
	"1.2.3.4", "192.168.1.1", "10.0.0.0", "127.0.0.1", "0.0.0.0",
	"255.255.255.255", "::", "::1", "2001:db8::1", "::ffff:1.2.3.4",
	"fe80::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
};

/* fuzz_cidr_is_addr - is key an IPv4 or IPv6 address */
static bool
fuzz_cidr_is_addr(const char *key)
{
	unsigned char addr[16];

	return (inet_pton(AF_INET, key, addr) == 1
		|| inet_pton(AF_INET6, key, addr) == 1);
}

/* fuzz_cidr_lookup - one key */
static void
fuzz_cidr_lookup(struct dict *dict, const char *key)
{
	const char *value = dict_get(dict, key);

	if (value == NULL && dict->error != DICT_ERR_NONE)
		fuzz_fail("cidr lookup of \"%s\" failed: %s", key, buf_str(dict->why));
	if (value != NULL && *value == 0)
		fuzz_fail("cidr lookup of \"%s\" gave an empty result", key);
	if (value != NULL && !fuzz_cidr_is_addr(key))
		fuzz_fail("cidr lookup of non-address \"%s\" matched", key);
}

/* fuzz_cidr_keys - the address part of each line's first word */
static void
fuzz_cidr_keys(const uint8_t *data, size_t len, struct argv *keys)
{
	char   *line;
	size_t	n;
	const char *cp;

	while (keys->argc < FUZZ_CIDR_KEYS && (line = fuzz_line(&data, &len)) != NULL) {
		cp = line + strspn(line, " \t!");
		if (*cp == '[')
			cp++;
		n = strcspn(cp, " \t/]");
		argv_addn(keys, cp, n);
		free(line);
	}
}

/* LLVMFuzzerInitialize - once per process */
int	LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	fuzz_init();
	fuzz_cidr_fd = fuzz_memfd("cidr");
	return (0);
}

/* LLVMFuzzerTestOneInput - one cidr table */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct buf *spec = buf_new(100);
	struct buf *why = buf_new(100);
	struct argv *keys = argv_new(FUZZ_CIDR_KEYS);
	struct dict *dict;
	size_t	i;

	buf_printf(spec, "cidr:%s", fuzz_memfd_fill(fuzz_cidr_fd, data, len));
	if ((dict = dict_open(buf_str(spec), 0, NULL, why)) == NULL)
		fuzz_fail("open %s: %s", buf_str(spec), buf_str(why));
	for (i = 0; i < ARRAY_LEN(fuzz_cidr_fixed); i++)
		fuzz_cidr_lookup(dict, fuzz_cidr_fixed[i]);
	fuzz_cidr_lookup(dict, "");
	fuzz_cidr_lookup(dict, "example.com");
	fuzz_cidr_keys(data, len, keys);
	for (i = 0; i < keys->argc; i++)
		fuzz_cidr_lookup(dict, keys->argv[i]);
	dict_close(dict);
	argv_free(keys);
	buf_free(why);
	buf_free(spec);
	return (0);
}
