/*
 * NAME
 *	test_mapcmd - unit tests for the postmap/postalias operations
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ftw.h>
#include <unistd.h>
#include <util/msg.h>
#include <util/buf.h>
#include <global/dict.h>
#include <global/mapcmd.h>

static char test_dir[] = "/tmp/test_mapcmd.XXXXXX";
static struct buf *warnings;
static struct buf *spec;

static const struct mapcmd postmap_cmd = {
	.dict_flags = DICT_FLAG_FOLD,
	.parse = mapcmd_parse_postmap,
	.separator = "\t",
};

/* capture - collect warnings */
static void
capture(enum msg_level level, const char *text, void *ctx)
{
	(void) ctx;
	if (level == MSG_WARN)
		buf_appendf(warnings, "%s\n", text);
}

/* write_file - create DIR/name */
static const char *
write_file(const char *name, const char *text)
{
	static struct buf *path;
	FILE   *fp;

	if (path == NULL)
		path = buf_new(100);
	buf_printf(path, "%s/%s", test_dir, name);
	assert_non_null(fp = fopen(buf_str(path), "w"));
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	return (buf_str(path));
}

/* output_of - what was written to a temporary file */
static const char *
output_of(FILE *fp)
{
	static char text[4096];
	size_t	n;

	rewind(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = 0;
	fclose(fp);
	return (text);
}

/* remove_entry - nftw callback */
static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return (remove(path));
}

/* setup - temporary directory */
static int
setup(void **state)
{
	(void) state;
	if (mkdtemp(test_dir) == NULL)
		return (-1);
	warnings = buf_new(100);
	spec = buf_new(100);
	msg_init("test_mapcmd");
	msg_to_stderr(MSG_STDERR_OFF);
	msg_set_capture(capture, NULL);
	return (0);
}

/* teardown - remove it */
static int
teardown(void **state)
{
	(void) state;
	buf_free(warnings);
	buf_free(spec);
	return (nftw(test_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS));
}

/* test_spec - default type */
static void
test_spec(void **state)
{
	char   *s;

	(void) state;
	s = mapcmd_spec("/etc/x", "hash");
	assert_string_equal(s, "hash:/etc/x");
	free(s);
	s = mapcmd_spec("cidr:/etc/x", "hash");
	assert_string_equal(s, "cidr:/etc/x");
	free(s);
}

/* test_build_query - build, query, stream query, dump */
static void
test_build_query(void **state)
{
	struct buf *why = buf_new(100);
	char   *specs[2];
	FILE   *out;

	(void) state;
	buf_reset(warnings);
	write_file("table", "One 1\nbad\ntwo 2\n  two-more\none again\n");
	buf_printf(spec, "hash:%s/table", test_dir);
	assert_int_equal(mapcmd_build(&postmap_cmd, buf_str(spec), 0, why), 0);
	assert_non_null(strstr(buf_str(warnings), "table, line 2: expected format: "
			       "key whitespace value"));
	assert_non_null(strstr(buf_str(warnings), "table, line 5: duplicate entry: "
			       "\"one\""));
	specs[0] = buf_str(spec);
	specs[1] = NULL;
	assert_non_null(out = tmpfile());
	assert_int_equal(mapcmd_query(&postmap_cmd, specs, "ONE", out, why), 1);
	assert_string_equal(output_of(out), "1\n");
	assert_non_null(out = tmpfile());
	assert_int_equal(mapcmd_query(&postmap_cmd, specs, "three", out, why), 0);
	assert_string_equal(output_of(out), "");

	assert_non_null(out = tmpfile());
	assert_int_equal(mapcmd_dump(&postmap_cmd, specs[0], out, why), 0);
	assert_non_null(strstr(output_of(out), "two\t2  two-more\n"));
	buf_free(why);
}

/* test_stream_delete - "-q -", "-d", "-d -" */
static void
test_stream_delete(void **state)
{
	struct buf *why = buf_new(100);
	char   *specs[2];
	FILE   *in;
	FILE   *out;

	(void) state;
	write_file("del", "a 1\nb 2\nc 3\n");
	buf_printf(spec, "hash:%s/del", test_dir);
	specs[0] = buf_str(spec);
	specs[1] = NULL;
	assert_int_equal(mapcmd_build(&postmap_cmd, specs[0], 0, why), 0);
	assert_non_null(in = fopen(write_file("keys", "A\nzz\n\nc\n"), "r"));
	assert_non_null(out = tmpfile());
	assert_int_equal(mapcmd_query_stream(&postmap_cmd, specs, in, out, why), 1);
	fclose(in);
	assert_string_equal(output_of(out), "A\t1\nc\t3\n");

	assert_int_equal(mapcmd_delete(&postmap_cmd, specs, "b", why), 1);
	assert_int_equal(mapcmd_delete(&postmap_cmd, specs, "b", why), 0);
	assert_non_null(in = fopen(write_file("keys", "a\nnothere\n"), "r"));
	assert_int_equal(mapcmd_delete_stream(&postmap_cmd, specs, in, why), 1);
	fclose(in);
	assert_non_null(out = tmpfile());
	assert_int_equal(mapcmd_dump(&postmap_cmd, specs[0], out, why), 0);
	assert_string_equal(output_of(out), "c\t3\n");
	buf_free(why);
}

/* test_errors - missing source, missing table, unsupported type */
static void
test_errors(void **state)
{
	struct buf *why = buf_new(100);
	char   *specs[2] = {NULL, NULL};

	(void) state;
	buf_printf(spec, "hash:%s/absent", test_dir);
	assert_int_equal(mapcmd_build(&postmap_cmd, buf_str(spec), 0, why), -1);
	assert_non_null(strstr(buf_str(why), "open "));
	assert_non_null(strstr(buf_str(why), "absent: No such file"));
	specs[0] = buf_str(spec);
	assert_int_equal(mapcmd_query(&postmap_cmd, specs, "x", stdout, why), -1);
	assert_non_null(strstr(buf_str(why), "absent.db: No such file"));
	assert_int_equal(mapcmd_delete(&postmap_cmd, specs, "x", why), -1);
	write_file("rules.cidr", "1.2.3.4 x\n");
	buf_printf(spec, "cidr:%s/rules.cidr", test_dir);
	specs[0] = buf_str(spec);
	assert_int_equal(mapcmd_build(&postmap_cmd, specs[0], 0, why), -1);
	assert_non_null(strstr(buf_str(why), "unsupported map type for this operation: cidr"));
	assert_int_equal(mapcmd_dump(&postmap_cmd, specs[0], stdout, why), -1);
	assert_non_null(strstr(buf_str(why), "sequence operation is not supported"));
	buf_free(why);
}

/* test_options - mode conflicts and usage */
static void
test_options(void **state)
{
	char   *ok[] = {"postmap", "-f", "-q", "key", "hash:/x", "hash:/y", NULL};
	char   *two[] = {"postmap", "-s", "-q", "key", "hash:/x", NULL};
	char   *none[] = {"postmap", "-w", NULL};
	struct mapcmd cmd = postmap_cmd;
	struct mapcmd_args args = {.mode = MAPCMD_BUILD};
	struct buf *why = buf_new(100);

	(void) state;
	optind = 1;
	assert_int_equal(mapcmd_options(6, ok, &cmd, &args, why), 4);
	assert_int_equal(args.mode, MAPCMD_QUERY);
	assert_string_equal(args.key, "key");
	assert_int_equal(cmd.dict_flags & DICT_FLAG_FOLD, 0);
	memset(&args, 0, sizeof(args));
	optind = 1;
	assert_int_equal(mapcmd_options(5, two, &cmd, &args, why), -1);
	assert_string_equal(buf_str(why), "specify only one of -s -q or -d");
	memset(&args, 0, sizeof(args));
	optind = 1;
	assert_int_equal(mapcmd_options(2, none, &cmd, &args, why), -1);
	assert_non_null(strstr(buf_str(why), "usage: "));
	buf_free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_build_query),
		cmocka_unit_test(test_stream_delete),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_options),
	};

	return (cmocka_run_group_tests_name("mapcmd", tests, setup, teardown));
}
