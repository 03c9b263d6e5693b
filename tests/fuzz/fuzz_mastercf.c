/*
 * NAME
 *	fuzz_mastercf - libFuzzer target for the master.cf parser
 * SYNOPSIS
 *	build/fuzz/bin/fuzz_mastercf [libFuzzer options] [corpus...]
 * DESCRIPTION
 *	The input is a master.cf file. mastercf_parse() reads it; every
 *	entry of a good parse is formatted both ways postconf -M does
 *	(mastercf_format() flat and folded), looked up again with
 *	mastercf_find() and asked for the overrides it has.
 *
 *	Invariants checked besides memory safety: a failed parse says why
 *	in the "PATH, line N: reason" form; every entry has a service,
 *	a command, argument and override lists, a valid type and flags of
 *	0 or 1, a wakeup time >= 0, maxproc >= -1 and increasing line
 *	numbers; service/type pairs are unique, so mastercf_find() returns
 *	the entry itself; every override is "name=value" and
 *	mastercf_override() finds a value for its name; formatting the
 *	entries and parsing the result gives the same entries back.
 * SEE ALSO
 *	mastercf(3), tests/fuzz/corpus/fuzz_mastercf, docs/fuzzing.md
 */
#include <util/sys_defs.h>
#include <global/mastercf.h>
#include "fuzz_util.h"

/* fuzz_mastercf_flag - a y/n column as parsed */
static void
fuzz_mastercf_flag(const struct mastercf_entry *ep, int value, const char *what)
{
	if (value != 0 && value != 1)
		fuzz_fail("%s line %d: %s flag %d", ep->service, ep->line, what, value);
}

/* fuzz_mastercf_entry - check one parsed entry */
static void
fuzz_mastercf_entry(const struct mastercf *mcf, const struct mastercf_entry *ep,
		            int prev_line)
{
	size_t	i;
	const char *eq;
	char   *name;

	if (ep->service == NULL || *ep->service == 0 || ep->command == NULL
	    || ep->args == NULL || ep->overrides == NULL)
		fuzz_fail("entry at line %d lacks a part", ep->line);
	if (ep->line <= prev_line)
		fuzz_fail("entry line %d after %d", ep->line, prev_line);
	if ((int) ep->type < MASTERCF_UNIX || ep->type > MASTERCF_UNIX_DGRAM
	    || mastercf_type_name(ep->type) == NULL)
		fuzz_fail("entry at line %d has type %d", ep->line, (int) ep->type);
	fuzz_mastercf_flag(ep, ep->is_private, "private");
	fuzz_mastercf_flag(ep, ep->is_unpriv, "unpriv");
	fuzz_mastercf_flag(ep, ep->is_chroot, "chroot");
	fuzz_mastercf_flag(ep, ep->is_wakeup_conditional, "wakeup?");
	if (ep->wakeup < 0 || ep->maxproc < -1)
		fuzz_fail("entry at line %d: wakeup %d maxproc %d", ep->line,
			  ep->wakeup, ep->maxproc);
	if (mastercf_find(mcf, ep->service, mastercf_type_name(ep->type)) != ep)
		fuzz_fail("mastercf_find does not find %s/%s", ep->service,
			  mastercf_type_name(ep->type));
	for (i = 0; i < ep->overrides->argc; i++) {
		if ((eq = strchr(ep->overrides->argv[i], '=')) == NULL)
			fuzz_fail("override \"%s\" without '='", ep->overrides->argv[i]);
		name = fuzz_string((const uint8_t *) ep->overrides->argv[i],
				   (size_t) (eq - ep->overrides->argv[i]));
		if (mastercf_override(ep, name) == NULL)
			fuzz_fail("mastercf_override(%s) is NULL", name);
		free(name);
	}
}

/* fuzz_mastercf_same - two parses of the same services */
static void
fuzz_mastercf_same(const struct mastercf *a, const struct mastercf *b)
{
	const struct mastercf_entry *x, *y;
	size_t	i, j;

	if (a->count != b->count)
		fuzz_fail("reparse of formatted master.cf: %zu entries, not %zu",
			  b->count, a->count);
	for (i = 0; i < a->count; i++) {
		x = a->entries + i;
		y = b->entries + i;
		if (strcmp(x->service, y->service) != 0 || x->type != y->type
		    || x->is_private != y->is_private || x->is_unpriv != y->is_unpriv
		    || x->is_chroot != y->is_chroot || x->wakeup != y->wakeup
		    || x->maxproc != y->maxproc || strcmp(x->command, y->command) != 0
		    || x->args->argc != y->args->argc
		    || x->overrides->argc != y->overrides->argc)
			fuzz_fail("reparse of formatted entry %s changed it", x->service);
		for (j = 0; j < x->overrides->argc; j++)
			if (strcmp(x->overrides->argv[j], y->overrides->argv[j]) != 0)
				fuzz_fail("reparse changed override \"%s\" to \"%s\"",
				     x->overrides->argv[j], y->overrides->argv[j]);
		for (j = 0; j < x->args->argc; j++)
			if (strcmp(x->args->argv[j], y->args->argv[j]) != 0)
				fuzz_fail("reparse changed argument \"%s\" to \"%s\"",
					  x->args->argv[j], y->args->argv[j]);
	}
}

/* fuzz_mastercf_reparse - format every entry and parse the result */
static void
fuzz_mastercf_reparse(const struct mastercf *mcf, int fold)
{
	struct buf *text = buf_new(1000);
	struct buf *why = buf_new(100);
	struct mastercf *again;
	size_t	i;

	for (i = 0; i < mcf->count; i++) {
		mastercf_format(mcf->entries + i, fold, text);
		buf_cat(text, "\n");
	}
	if ((again = mastercf_parse("formatted", buf_str(text), why)) == NULL)
		fuzz_fail("formatted master.cf (fold %d) does not parse: %s\n%s",
			  fold, buf_str(why), buf_str(text));
	fuzz_mastercf_same(mcf, again);
	mastercf_free(again);
	buf_free(why);
	buf_free(text);
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

/* LLVMFuzzerTestOneInput - one master.cf */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char   *text = fuzz_string(data, len);
	struct buf *why = buf_new(100);
	struct mastercf *mcf;
	size_t	i;
	int	prev = 0;

	if ((mcf = mastercf_parse("master.cf", text, why)) == NULL) {
		if (strncmp(buf_str(why), "master.cf, line ", 16) != 0)
			fuzz_fail("parse error without location: \"%s\"", buf_str(why));
	} else {
		for (i = 0; i < mcf->count; i++) {
			fuzz_mastercf_entry(mcf, mcf->entries + i, prev);
			prev = mcf->entries[i].line;
		}
		(void) mastercf_find(mcf, "smtp", NULL);
		fuzz_mastercf_reparse(mcf, 0);
		fuzz_mastercf_reparse(mcf, 1);
		mastercf_free(mcf);
	}
	buf_free(why);
	free(text);
	return (0);
}
