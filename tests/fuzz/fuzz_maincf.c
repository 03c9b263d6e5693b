/*
 * NAME
 *	fuzz_maincf - libFuzzer target for main.cf parsing and $name expansion
 * SYNOPSIS
 *	build/fuzz/bin/fuzz_maincf [libFuzzer options] [corpus...]
 * DESCRIPTION
 *	The input is a main.cf file. It goes through params_parse_text()
 *	(the line splitter postconf uses), through params_load() in raw and
 *	in normal mode (parsing, $name expansion with every conditional
 *	form, type conversion, per-service checks), params_check_names()
 *	(unknown-name reports with suggestions), params_override() with
 *	each "name=value" line, and the value converters
 *	(params_parse_time(), _size, _int, _bool, _percent, _rate).
 *	params_load() reads CONFIG_DIR/main.cf; here that is a symbolic
 *	link to an in-memory file that holds the input.
 *
 *	Invariants checked besides memory safety: params_parse_text() and
 *	the raw and normal params_load() agree on what is a syntax error;
 *	every logical line has 1 <= first_line <= last_line and lines come
 *	in order; a failed load or override says why; after a good load
 *	every name in main.cf has a value.
 * SEE ALSO
 *	params(3), tests/fuzz/corpus/fuzz_maincf, docs/fuzzing.md
 */
#include <util/sys_defs.h>
#include <unistd.h>
#include <global/params.h>
#include "fuzz_util.h"

#define FUZZ_MAINCF_OVERRIDES	2
#define FUZZ_MAINCF_CHECK_NAMES	3	/* params_check_names() up to N lines */
#define FUZZ_MAINCF_CHECK_LEN	64	/* ... with names up to N bytes */

static int fuzz_maincf_fd = -1;
static char fuzz_maincf_dir[4096];
static char fuzz_maincf_link[4096 + 16];

struct fuzz_maincf_lines {
	int	count;
	int	last;
};

/* fuzz_maincf_line - params_parse_text() callback: check line numbers */
static int
fuzz_maincf_line(const char *name, const char *value, int first, int last,
		         void *ctx)
{
	struct fuzz_maincf_lines *lines = ctx;

	if (*name == 0 || value == NULL)
		fuzz_fail("params_parse_text: empty name or NULL value");
	if (first < 1 || last < first || first <= lines->last)
		fuzz_fail("params_parse_text: lines %d..%d after %d",
			  first, last, lines->last);
	lines->last = last;
	lines->count++;
	return (0);
}

/* fuzz_maincf_report - params_check_names() callback */
static void
fuzz_maincf_report(const struct params_issue *issue, void *ctx)
{
	struct buf *out = ctx;

	params_issue_format(issue, out);
	if (buf_len(out) == 0)
		fuzz_fail("params_issue_format: empty report");
}

/* fuzz_maincf_convert - try every converter on a value */
static void
fuzz_maincf_convert(const char *value)
{
	long	num;
	long	per;
	int	flag;

	if (params_parse_time(value, 's', &num) == 0 && num < 0)
		fuzz_fail("params_parse_time(\"%s\") = %ld", value, num);
	(void) params_parse_time(value, 'd', &num);
	if (params_parse_size(value, &num) == 0 && num < 0)
		fuzz_fail("params_parse_size(\"%s\") = %ld", value, num);
	(void) params_parse_int(value, &num);
	if (params_parse_bool(value, &flag) == 0 && flag != 0 && flag != 1)
		fuzz_fail("params_parse_bool(\"%s\") = %d", value, flag);
	if (params_parse_percent(value, &flag) == 0 && (flag < 0 || flag > 100))
		fuzz_fail("params_parse_percent(\"%s\") = %d", value, flag);
	if (params_parse_rate(value, &num, &per) == 0 && (num < 0 || per < 0))
		fuzz_fail("params_parse_rate(\"%s\") = %ld/%ld", value, num, per);
}

/* fuzz_maincf_loaded - look at everything a good load produced */
static void
fuzz_maincf_loaded(struct buf *why)
{
	const struct params_entry *ep;
	struct buf *out = buf_new(100);
	size_t	i;
	bool	is_small = params_file_count() <= FUZZ_MAINCF_CHECK_NAMES;

	for (i = 0; i < params_file_count(); i++) {
		ep = params_file_at(i);
		if (strlen(ep->name) > FUZZ_MAINCF_CHECK_LEN)
			is_small = false;
		if (params_get(ep->name) == NULL)
			fuzz_fail("main.cf name %s has no value after load", ep->name);
		if (params_expand_text(ep->value, out, why) < 0 && buf_len(why) == 0)
			fuzz_fail("params_expand_text failed without a reason");
		fuzz_maincf_convert(ep->value);
		fuzz_maincf_convert(params_get(ep->name));
	}
	/* The suggestions cost an edit distance per known name: only small
	 * files with short names, or the fuzzer slows to a crawl. */
	if (is_small)
		(void) params_check_names(NULL, fuzz_maincf_report, out);
	buf_free(out);
}

/* fuzz_maincf_overrides - apply "name=value" lines as -o overrides */
static void
fuzz_maincf_overrides(const char *text, struct buf *why)
{
	const uint8_t *cp = (const uint8_t *) text;
	size_t	len = strlen(text);
	char   *line;
	int	done = 0;

	while (done < FUZZ_MAINCF_OVERRIDES && (line = fuzz_line(&cp, &len)) != NULL) {
		if (strchr(line, '=') != NULL) {
			buf_reset(why);
			if (params_override(line, why) < 0 && buf_len(why) == 0)
				fuzz_fail("params_override failed without a reason");
			done++;
		}
		free(line);
	}
}

/* fuzz_maincf_cleanup - remove the config directory at exit */
static void
fuzz_maincf_cleanup(void)
{
	(void) unlink(fuzz_maincf_link);
	(void) rmdir(fuzz_maincf_dir);
}

/* LLVMFuzzerInitialize - a config directory whose main.cf is a memfd */
int	LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char	target[64];

	(void) argc;
	(void) argv;
	fuzz_init();
	fuzz_maincf_fd = fuzz_memfd("main.cf");
	snprintf(fuzz_maincf_dir, sizeof(fuzz_maincf_dir), "%s/fuzz_maincf.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(fuzz_maincf_dir) == NULL)
		fuzz_fail("mkdtemp %s: %s", fuzz_maincf_dir, strerror(errno));
	snprintf(fuzz_maincf_link, sizeof(fuzz_maincf_link), "%s/main.cf",
		 fuzz_maincf_dir);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fuzz_maincf_fd);
	if (symlink(target, fuzz_maincf_link) < 0)
		fuzz_fail("symlink %s: %s", fuzz_maincf_link, strerror(errno));
	atexit(fuzz_maincf_cleanup);
	return (0);
}

/* LLVMFuzzerTestOneInput - one main.cf */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_maincf_lines lines = {0, 0};
	struct buf *why = buf_new(100);
	char   *text = fuzz_string(data, len);
	int	parsed;
	int	raw;
	int	loaded;

	parsed = params_parse_text("main.cf", text, fuzz_maincf_line, &lines, why);
	if (parsed < 0 && buf_len(why) == 0)
		fuzz_fail("params_parse_text failed without a reason");
	(void) fuzz_memfd_fill(fuzz_maincf_fd, (const uint8_t *) text, strlen(text));
	buf_reset(why);
	raw = params_load_flags(fuzz_maincf_dir, PARAMS_LOAD_RAW, why);
	if ((raw < 0) != (parsed < 0))
		fuzz_fail("params_parse_text says %d, raw params_load %d: %s",
			  parsed, raw, buf_str(why));
	buf_reset(why);
	loaded = params_load(fuzz_maincf_dir, why);
	if (loaded < 0 && buf_len(why) == 0)
		fuzz_fail("params_load failed without a reason");
	if (parsed < 0 && loaded == 0)
		fuzz_fail("params_load accepts what params_parse_text refuses");
	if (loaded == 0) {
		fuzz_maincf_loaded(why);
		fuzz_maincf_overrides(text, why);
	}
	params_reset_defaults();
	free(text);
	buf_free(why);
	return (0);
}
