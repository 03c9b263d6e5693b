/*
 * NAME
 *	test_maps - unit tests for lookup tables and table lists
 * DESCRIPTION
 *	Every table type through maps_create()/maps_find(): found, not
 *	found, case folding, syntax errors with file and line, missing and
 *	corrupt files, unknown types, reopening after a rebuild, and the
 *	atomic hash build.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ftw.h>
#include <time.h>
#include <unistd.h>
#include <db.h>
#include <util/msg.h>
#include <util/buf.h>
#include <global/dict.h>
#include <global/maps.h>

static char test_dir[] = "/tmp/test_maps.XXXXXX";
static struct buf *warnings;		/* captured warnings, one per line */

/* capture - collect warnings */
static void
capture(enum msg_level level, const char *text, void *ctx)
{
	(void) ctx;
	if (level == MSG_WARN)
		buf_appendf(warnings, "%s\n", text);
}

/* has_warning - was a warning containing text logged? */
static int
has_warning(const char *text)
{
	return (strstr(buf_str(warnings), text) != NULL);
}

/* path_of - a file name in the test directory */
static const char *
path_of(const char *name)
{
	static struct buf *path;

	if (path == NULL)
		path = buf_new(100);
	buf_printf(path, "%s/%s", test_dir, name);
	return (buf_str(path));
}

/* write_file - create a file in the test directory */
static void
write_file(const char *name, const char *text)
{
	FILE   *fp = fopen(path_of(name), "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* spec_of - "type:DIR/name" */
static const char *
spec_of(const char *type, const char *name)
{
	static struct buf *spec;

	if (spec == NULL)
		spec = buf_new(100);
	buf_printf(spec, "%s:%s/%s", type, test_dir, name);
	return (buf_str(spec));
}

/* build_hash - make hash:DIR/name from key/value pairs */
static void
build_hash(const char *name, const char *const *pairs)
{
	struct buf *why = buf_new(100);
	struct dict *dict;

	dict = dict_build(spec_of("hash", name), DICT_FLAG_FOLD, 0, NULL, why);
	assert_non_null(dict);
	for (; *pairs; pairs += 2)
		assert_int_equal(dict_put(dict, pairs[0], pairs[1]), 0);
	assert_int_equal(dict_commit(dict, why), 0);
	dict_close(dict);
	buf_free(why);
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

/* setup - temporary directory, captured warnings */
static int
setup(void **state)
{
	(void) state;
	if (mkdtemp(test_dir) == NULL)
		return (-1);
	warnings = buf_new(1000);
	msg_init("test_maps");
	msg_to_stderr(MSG_STDERR_OFF);
	msg_set_capture(capture, NULL);
	return (0);
}

/* teardown - remove the directory */
static int
teardown(void **state)
{
	(void) state;
	buf_free(warnings);
	return (nftw(test_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS));
}

/* test_texthash - found, not found, folding, bad lines, duplicates */
static void
test_texthash(void **state)
{
	struct maps *maps;

	(void) state;
	buf_reset(warnings);
	write_file("text", "# comment\nAlpha  one\nbeta two\n  words\n\n"
		   "badline\nalpha again\n");
	maps = maps_create("test", spec_of("texthash", "text"), 0);
	assert_string_equal(maps_find(maps, "alpha", 0), "one");
	assert_string_equal(maps_find(maps, "ALPHA", 0), "one");
	assert_string_equal(maps_find(maps, "beta", 0), "two  words");
	assert_null(maps_find(maps, "gamma", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_NONE);
	assert_null(maps_find(maps, "", 0));
	assert_true(has_warning("text, line 6: expected format: key whitespace value"));
	assert_true(has_warning("text, line 7: duplicate entry: \"alpha\""));
	maps_free(maps);

	maps = maps_create("test", spec_of("texthash", "text"), MAPS_NO_FOLD);
	assert_string_equal(maps_find(maps, "Alpha", 0), "one");
	assert_string_equal(maps_find(maps, "alpha", 0), "again");
	assert_null(maps_find(maps, "ALPHA", 0));
	maps_free(maps);
}

/* test_inline - braces, spaces, errors */
static void
test_inline(void **state)
{
	struct maps *maps;

	(void) state;
	maps = maps_create("test", "inline:{ a=b, { Key = value with spaces }, c=d }", 0);
	assert_string_equal(maps_find(maps, "a", 0), "b");
	assert_string_equal(maps_find(maps, "key", 0), "value with spaces");
	assert_string_equal(maps_find(maps, "C", 0), "d");
	assert_null(maps_find(maps, "b", 0));
	maps_free(maps);

	buf_reset(warnings);
	maps = maps_create("test_maps", "inline:{ a }", 0);
	assert_true(has_warning("test_maps: inline:{ a } is unavailable. "
				"missing '=' after attribute name"));
	assert_null(maps_find(maps, "a", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_CONFIG);
	assert_non_null(strstr(maps_why(maps), "missing '='"));
	maps_free(maps);

	maps = maps_create("test", "inline:{ a=b", 0);
	assert_null(maps_find(maps, "a", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_CONFIG);
	maps_free(maps);
	maps = maps_create("test", "inline:{}", 0);
	assert_null(maps_find(maps, "a", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_CONFIG);
	maps_free(maps);
}

/* test_static - any key, braces */
static void
test_static(void **state)
{
	struct maps *maps;

	(void) state;
	maps = maps_create("test", "static:relay", 0);
	assert_string_equal(maps_find(maps, "anything", 0), "relay");
	assert_string_equal(maps_find(maps, "Other", 0), "relay");
	maps_free(maps);
	maps = maps_create("test", "static:{ text with spaces }", 0);
	assert_string_equal(maps_find(maps, "x", 0), "text with spaces");
	maps_free(maps);
	maps = maps_create("test", "static:{ }", 0);
	assert_null(maps_find(maps, "x", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_CONFIG);
	maps_free(maps);
}

/* test_list - order, first match wins, brace-aware splitting */
static void
test_list(void **state)
{
	struct maps *maps;

	(void) state;
	maps = maps_create("transport_maps",
			   "inline:{ a=first, { b = with, comma } },"
			   " inline:{a=second, c=third}  static:fallback", 0);
	assert_int_equal(maps_count(maps), 3);
	assert_string_equal(maps_title(maps), "transport_maps");
	assert_string_equal(maps_find(maps, "a", 0), "first");
	assert_string_equal(maps_find(maps, "b", 0), "with, comma");
	assert_string_equal(maps_find(maps, "c", 0), "third");
	assert_string_equal(maps_find(maps, "zzz", 0), "fallback");
	maps_free(maps);

	maps = maps_create("test", "", 0);
	assert_int_equal(maps_count(maps), 0);
	assert_null(maps_find(maps, "a", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_NONE);
	maps_free(maps);

	maps = maps_create("test", "inline:{a=b}} static:x", 0);
	assert_null(maps_find(maps, "a", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_CONFIG);
	maps_free(maps);
}

/* test_unknown_type - a clear configuration error */
static void
test_unknown_type(void **state)
{
	struct maps *maps;
	struct buf *why = buf_new(100);

	(void) state;
	buf_reset(warnings);
	maps = maps_create("relay_domains", "nosuch:/etc/x, static:ok", 0);
	assert_true(has_warning("unsupported dictionary type: nosuch"));
	assert_null(maps_find(maps, "key", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_CONFIG);
	assert_non_null(strstr(maps_why(maps), "nosuch:/etc/x"));
	assert_int_equal(maps_check(maps, why), -1);
	assert_non_null(strstr(buf_str(why), "unsupported dictionary type"));
	maps_free(maps);

	maps = maps_create("test", "/etc/no/type", 0);
	assert_null(maps_find(maps, "key", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_CONFIG);
	assert_non_null(strstr(maps_why(maps), "expecting \"type:name\""));
	maps_free(maps);
	buf_free(why);
}

/* test_cidr - IPv4 and IPv6 rules, first match, bad lines */
static void
test_cidr(void **state)
{
	struct maps *maps;

	(void) state;
	buf_reset(warnings);
	write_file("net.cidr",
		   "# networks\n"
		   "10.1.0.0/16 inner\n"
		   "10.0.0.0/8 outer\n"
		   "192.0.2.7 host\n"
		   "2001:db8::/32 six\n"
		   "[2001:db9::1]/128 bracket\n"
		   "10.1.2.3/8 bits\n"
		   "bogus value\n"
		   "1.2.3.0/33 value\n"
		   "1.2.3.0/x value\n"
		   "1.2.3.0/24\n"
		   "!192.0.2.0/24 not-test-net\n"
		   "0.0.0.0/0 any\n"
		   "   v4\n");
	maps = maps_create("mynetworks", spec_of("cidr", "net.cidr"), 0);
	assert_string_equal(maps_find(maps, "10.1.2.3", 0), "inner");
	assert_string_equal(maps_find(maps, "10.2.0.1", 0), "outer");
	assert_string_equal(maps_find(maps, "192.0.2.7", 0), "host");
	assert_string_equal(maps_find(maps, "2001:DB8::1", 0), "six");
	assert_string_equal(maps_find(maps, "2001:db9::1", 0), "bracket");
	assert_null(maps_find(maps, "2001:db9::2", 0));
	assert_string_equal(maps_find(maps, "192.0.2.8", 0), "any   v4");
	assert_string_equal(maps_find(maps, "8.8.8.8", 0), "not-test-net");
	assert_null(maps_find(maps, "example.com", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_NONE);
	assert_null(maps_find(maps, "10.1.2.3", MAPS_FIND_FIXED));
	assert_string_equal(maps_find(maps, "10.1.2.3", MAPS_FIND_PATTERN), "inner");
	assert_true(has_warning("net.cidr, line 7: non-null host address bits in "
				"\"10.1.2.3/8\", perhaps you should use "
				"\"10.0.0.0/8\" instead: skipping this rule"));
	assert_true(has_warning("net.cidr, line 8: bad address pattern: \"bogus\""));
	assert_true(has_warning("net.cidr, line 9: bad mask length in \"1.2.3.0/33\""));
	assert_true(has_warning("net.cidr, line 10: bad mask value in \"1.2.3.0/x\""));
	assert_true(has_warning("net.cidr, line 11: no lookup result"));
	maps_free(maps);
}

/* test_hash - built, looked up, folded, listed */
static void
test_hash(void **state)
{
	static const char *const pairs[] = {
		"Example.com", "smtp:[mx.example.com]", "other.org", "relay:x",
		NULL,
	};
	struct buf *why = buf_new(100);
	struct maps *maps;
	struct dict *dict;
	const char *key;
	const char *value;
	int	count = 0;

	(void) state;
	build_hash("transport", pairs);
	maps = maps_create("transport_maps", spec_of("hash", "transport"), 0);
	assert_string_equal(maps_find(maps, "example.com", 0), "smtp:[mx.example.com]");
	assert_string_equal(maps_find(maps, "EXAMPLE.COM", 0), "smtp:[mx.example.com]");
	assert_string_equal(maps_find(maps, "other.org", 0), "relay:x");
	assert_null(maps_find(maps, "missing.net", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_NONE);
	assert_int_equal(maps_check(maps, why), 0);
	maps_free(maps);

	dict = dict_open(spec_of("hash", "transport"), DICT_FLAG_FOLD, NULL, why);
	assert_non_null(dict);
	while (dict_seq(dict, count == 0, &key, &value) == 0)
		count++;
	assert_int_equal(count, 2);
	assert_int_equal(dict_put(dict, "a", "b"), -1);
	dict_close(dict);
	buf_free(why);
}

/* test_hash_no_null - tables written without null bytes still work */
static void
test_hash_no_null(void **state)
{
	struct maps *maps;
	DB     *db;
	DBT	k;
	DBT	v;

	(void) state;
	assert_int_equal(db_create(&db, NULL, 0), 0);
	assert_int_equal(db->open(db, NULL, path_of("nonull.db"), NULL, DB_HASH,
				  DB_CREATE, 0644), 0);
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = "key";
	k.size = 3;
	v.data = "value";
	v.size = 5;
	assert_int_equal(db->put(db, NULL, &k, &v, 0), 0);
	assert_int_equal(db->close(db, 0), 0);
	maps = maps_create("test", spec_of("hash", "nonull"), 0);
	assert_string_equal(maps_find(maps, "key", 0), "value");
	assert_string_equal(maps_find(maps, "KEY", 0), "value");
	assert_null(maps_find(maps, "ke", 0));
	maps_free(maps);
}

/* test_missing_file - an error that names the file, then recovery */
static void
test_missing_file(void **state)
{
	static const char *const pairs[] = {"k", "v", NULL};
	struct buf *why = buf_new(100);
	struct maps *maps;
	const char *value = NULL;
	int	tries;

	(void) state;
	buf_reset(warnings);
	maps = maps_create("alias_maps", spec_of("hash", "later"), 0);
	assert_true(has_warning("later.db: No such file or directory"));
	assert_null(maps_find(maps, "k", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_RETRY);
	assert_non_null(strstr(maps_why(maps), "later.db"));
	assert_true(has_warning("lookup error for \"k\""));
	assert_int_equal(maps_check(maps, why), -1);

	/* Once the table exists, a lookup a second later finds it. */
	build_hash("later", pairs);
	for (tries = 0; tries < 30 && value == NULL; tries++) {
		usleep(100000);
		value = maps_find(maps, "k", 0);
	}
	assert_non_null(value);
	assert_string_equal(value, "v");
	assert_int_equal(maps_check(maps, why), 0);
	maps_free(maps);

	maps = maps_create("test", spec_of("texthash", "nofile"), 0);
	assert_null(maps_find(maps, "k", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_RETRY);
	assert_non_null(strstr(maps_why(maps), "nofile"));
	maps_free(maps);
	maps = maps_create("test", spec_of("cidr", "nofile.cidr"), 0);
	assert_null(maps_find(maps, "1.2.3.4", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_RETRY);
	maps_free(maps);
	buf_free(why);
}

/* test_corrupt_db - a file that is not a database */
static void
test_corrupt_db(void **state)
{
	struct maps *maps;
	struct buf *why = buf_new(100);

	(void) state;
	buf_reset(warnings);
	write_file("junk.db", "this is not a Berkeley DB file\n");
	maps = maps_create("test", spec_of("hash", "junk"), 0);
	assert_true(has_warning("open database"));
	assert_true(has_warning("junk.db: Invalid argument"));
	assert_null(maps_find(maps, "k", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_RETRY);
	maps_free(maps);
	assert_null(dict_open(spec_of("hash", "junk"), 0, NULL, why));
	assert_non_null(strstr(buf_str(why), "junk.db"));
	buf_free(why);
}

/* test_reopen - a running reader sees the rebuilt table */
static void
test_reopen(void **state)
{
	static const char *const old_pairs[] = {"k", "old", NULL};
	static const char *const new_pairs[] = {"k", "new", NULL};
	struct maps *maps;
	const char *value = "old";
	int	tries;

	(void) state;
	build_hash("live", old_pairs);
	write_file("live.txt", "k old\n");
	maps = maps_create("test", spec_of("hash", "live"), 0);
	assert_string_equal(maps_find(maps, "k", 0), "old");
	build_hash("live", new_pairs);
	for (tries = 0; tries < 30 && strcmp(value, "new") != 0; tries++) {
		usleep(100000);
		value = maps_find(maps, "k", 0);
		assert_non_null(value);
	}
	assert_string_equal(value, "new");
	maps_free(maps);

	maps = maps_create("test", spec_of("texthash", "live.txt"), 0);
	assert_string_equal(maps_find(maps, "k", 0), "old");
	write_file("live.txt", "k changed\n");
	value = "old";
	for (tries = 0; tries < 30 && strcmp(value, "changed") != 0; tries++) {
		usleep(100000);
		value = maps_find(maps, "k", 0);
		assert_non_null(value);
	}
	assert_string_equal(value, "changed");
	/* A file that disappears leaves the old table in use. */
	assert_int_equal(unlink(path_of("live.txt")), 0);
	sleep(1);
	assert_string_equal(maps_find(maps, "k", 0), "changed");
	maps_free(maps);
}

/* test_atomic_build - readers see the old table until commit */
static void
test_atomic_build(void **state)
{
	static const char *const pairs[] = {"k", "old", NULL};
	struct buf *why = buf_new(100);
	struct dict *builder;
	struct dict *reader;
	struct stat before;
	struct stat after;

	(void) state;
	build_hash("atomic", pairs);
	assert_int_equal(stat(path_of("atomic.db"), &before), 0);
	builder = dict_build(spec_of("hash", "atomic"), DICT_FLAG_FOLD,
			     DICT_BUILD_COPY, NULL, why);
	assert_non_null(builder);
	assert_int_equal(dict_put(builder, "k", "new"), 1);
	assert_int_equal(dict_del(builder, "k"), 0);
	assert_int_equal(dict_del(builder, "k"), 1);
	assert_int_equal(dict_put(builder, "k", "new"), 0);
	assert_int_equal(dict_put(builder, "k2", "two"), 0);

	reader = dict_open(spec_of("hash", "atomic"), DICT_FLAG_FOLD, NULL, why);
	assert_non_null(reader);
	assert_string_equal(dict_get(reader, "k"), "old");
	assert_null(dict_get(reader, "k2"));
	dict_close(reader);
	assert_int_equal(stat(path_of("atomic.db"), &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);

	assert_int_equal(dict_commit(builder, why), 0);
	dict_close(builder);
	reader = dict_open(spec_of("hash", "atomic"), DICT_FLAG_FOLD, NULL, why);
	assert_non_null(reader);
	assert_string_equal(dict_get(reader, "k"), "new");
	assert_string_equal(dict_get(reader, "k2"), "two");
	dict_close(reader);

	/* An abandoned build leaves the table alone and no temporary file. */
	builder = dict_build(spec_of("hash", "atomic"), 0, 0, NULL, why);
	assert_non_null(builder);
	dict_close(builder);
	reader = dict_open(spec_of("hash", "atomic"), DICT_FLAG_FOLD, NULL, why);
	assert_string_equal(dict_get(reader, "k2"), "two");
	dict_close(reader);
	assert_null(dict_build(spec_of("hash", "nonexistent"), 0,
			       DICT_BUILD_COPY | DICT_BUILD_MUST_EXIST, NULL, why));
	assert_non_null(strstr(buf_str(why), "nonexistent.db"));
	assert_null(dict_build(spec_of("cidr", "x"), 0, 0, NULL, why));
	assert_non_null(strstr(buf_str(why), "unsupported map type for this operation"));
	buf_free(why);
}

/* test_unix - the passwd database */
static void
test_unix(void **state)
{
	struct maps *maps;
	const char *value;

	(void) state;
	maps = maps_create("local_recipient_maps", "proxy:unix:passwd.byname", 0);
	value = maps_find(maps, "root", 0);
	assert_non_null(value);
	assert_true(strncmp(value, "root:", 5) == 0);
	assert_null(maps_find(maps, "no-such-user-here", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_NONE);
	maps_free(maps);
	maps = maps_create("test", "unix:nosuch.byname", 0);
	assert_null(maps_find(maps, "root", 0));
	assert_int_equal(maps_error(maps), MAPS_ERR_CONFIG);
	maps_free(maps);
}

/* test_read_line - logical lines: continuation, comments, blanks */
static void
test_read_line(void **state)
{
	struct buf *line = buf_new(10);
	FILE   *fp;
	int	lineno = 0;
	int	first;

	(void) state;
	buf_reset(warnings);
	write_file("lines", "  leading x\n  more\na 1\n# c\n  2\n\n  3\nb\tx\n#end\n"
		   "c last");
	fp = fopen(path_of("lines"), "r");
	assert_non_null(fp);
	assert_int_equal(dict_read_line(fp, "lines", line, &lineno, &first), 1);
	assert_string_equal(buf_str(line), "a 1  2  3");
	assert_int_equal(first, 3);
	assert_true(has_warning("lines, line 1: logical line must not start with "
				"whitespace: \"  leading x  more\""));
	assert_int_equal(dict_read_line(fp, "lines", line, &lineno, &first), 1);
	assert_string_equal(buf_str(line), "b\tx");
	assert_int_equal(first, 8);
	assert_int_equal(dict_read_line(fp, "lines", line, &lineno, &first), 1);
	assert_string_equal(buf_str(line), "c last");
	assert_int_equal(first, 10);
	assert_int_equal(dict_read_line(fp, "lines", line, &lineno, &first), 0);
	fclose(fp);
	buf_free(line);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_texthash),
		cmocka_unit_test(test_inline),
		cmocka_unit_test(test_static),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_hash_no_null),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_corrupt_db),
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_atomic_build),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_read_line),
	};

	return (cmocka_run_group_tests_name("maps", tests, setup, teardown));
}
