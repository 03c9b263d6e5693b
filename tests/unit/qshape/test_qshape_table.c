/*
 * NAME
 *	test_qshape_table - qshape's bucket math, domain rows and layout
 * DESCRIPTION
 *	Bucket boundaries (geometric, linear, capped, clock skew), domain
 *	names (case, null sender, dots), parent rows and their subdomain
 *	threshold, sorting, the -n limit, long-name truncation, and the
 *	layout: the tables of the qshape article (seed 001) are rebuilt
 *	from their counts and must come out as printed there (the article
 *	trims the left margin that right-aligns the table to 80 columns),
 *	and other tables are compared with golden files *.ref in this
 *	directory. Run with POSTERN_UPDATE_GOLDEN=1 to rewrite those.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/argv.h>
#include <util/buf.h>
#include "qshape/qshape.h"

#define NOW	((time_t) 1700000000)
#define MIN	60

/* golden_path - FILE in this test's source directory */
static void
golden_path(struct buf *path, const char *file)
{
	const char *slash = strrchr(__FILE__, '/');

	buf_printf(path, "%.*s/%s", (int) (slash - __FILE__), __FILE__, file);
}

/* check_golden - out must equal the .ref file */
static void
check_golden(const char *file, const struct buf *out)
{
	struct buf *path = buf_new(64), *want = buf_new(1024);
	char	chunk[4096];
	size_t	n;
	FILE   *fp;

	golden_path(path, file);
	if (getenv("POSTERN_UPDATE_GOLDEN")) {
		assert_non_null(fp = fopen(buf_str(path), "w"));
		fwrite(buf_str(out), 1, buf_len(out), fp);
		fclose(fp);
	}
	if ((fp = fopen(buf_str(path), "r")) == NULL)
		fail_msg("cannot open %s", buf_str(path));
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_catn(want, chunk, n);
	fclose(fp);
	if (strcmp(buf_str(want), buf_str(out)) != 0)
		fail_msg("%s differs; got:\n%s", file, buf_str(out));
	buf_free(path);
	buf_free(want);
}

/* test_bucket_geometric - Postfix's doubling buckets */
static void
test_bucket_geometric(void **state)
{
	struct qshape_opts o;

	(void) state;
	qshape_opts_init(&o);
	assert_int_equal(qshape_bucket(&o, NOW, NOW), 1);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 5 * MIN + 1), 1);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 5 * MIN), 2);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 10 * MIN + 1), 2);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 10 * MIN), 3);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 20 * MIN), 4);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 640 * MIN), 9);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 1280 * MIN + 1), 9);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 1280 * MIN), 10);
	assert_int_equal(qshape_bucket(&o, NOW, 0), 10);
	/* Clock skew: mail from the future is new mail. */
	assert_int_equal(qshape_bucket(&o, NOW, NOW + 3600), 1);
	o.tick = 1;
	o.buckets = 3;
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 59), 1);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 60), 2);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 120), 3);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 86400 * 365), 3);
	o.buckets = 1;
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 86400), 1);
}

/* test_bucket_linear - -l buckets are bucket_time wide */
static void
test_bucket_linear(void **state)
{
	struct qshape_opts o;

	(void) state;
	qshape_opts_init(&o);
	o.is_linear = 1;
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 4 * MIN), 1);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 5 * MIN), 2);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 14 * MIN), 3);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 15 * MIN), 4);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 44 * MIN), 9);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 45 * MIN), 10);
	assert_int_equal(qshape_bucket(&o, NOW, NOW - 900 * MIN), 10);
}

/* test_domain - row names from addresses */
static void
test_domain(void **state)
{
	static const char *const cases[][2] = {
		{"user@Example.COM", "example.com"},
		{"", "MAILER-DAEMON"},
		{"a@b@host.example", "host.example"},
		{"user@example.com.", "example.com"},
		{"user@.example.com", "example.com"},
		{"user@a..b...example", "a.b..example"},
		{"localuser", "localuser"},
		{"user@", ""},
		{"user@.", "."},
		{"\"x y\"@Ex.Org", "ex.org"},
		{"u@[192.0.2.1]", "[192.0.2.1]"},
	};
	struct buf *out = buf_new(32);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++)
		assert_string_equal(qshape_domain(out, cases[i][0]), cases[i][1]);
	buf_free(out);
}

/* test_parent - parent domain rows, never a top-level domain */
static void
test_parent(void **state)
{
	struct buf *d = buf_new(32);

	(void) state;
	buf_cpy(d, "a.b.example.co.uk");
	assert_int_equal(qshape_parent(d), 1);
	assert_string_equal(buf_str(d), ".b.example.co.uk");
	assert_int_equal(qshape_parent(d), 1);
	assert_string_equal(buf_str(d), ".example.co.uk");
	assert_int_equal(qshape_parent(d), 1);
	assert_string_equal(buf_str(d), ".co.uk");
	assert_int_equal(qshape_parent(d), 0);
	assert_string_equal(buf_str(d), ".co.uk");
	buf_cpy(d, "example.com");
	assert_int_equal(qshape_parent(d), 0);
	buf_cpy(d, "MAILER-DAEMON");
	assert_int_equal(qshape_parent(d), 0);
	buf_cpy(d, "");
	assert_int_equal(qshape_parent(d), 0);
	buf_cpy(d, ".x");
	assert_int_equal(qshape_parent(d), 0);
	buf_free(d);
}

 /*
  * A table row to build: name and counts per bucket 1..10.
  */
struct row {
	const char *name;
	unsigned long counts[10];
};

/* add_rows - count each row's addresses, plus filler rows that make
 * the columns add up to total without outranking max_filler */
static struct qshape_table *
add_rows(const struct row *rows, size_t n, const unsigned long *total,
	 unsigned long max_filler)
{
	struct qshape_opts o;
	struct qshape_table *tp;
	struct buf *addr = buf_new(64);
	unsigned long rest[10], in_row = 0;
	size_t	i, b, filler = 0;
	unsigned long k;

	qshape_opts_init(&o);
	tp = qshape_table_new(&o);
	for (b = 0; b < 10; b++)
		rest[b] = total ? total[b] : 0;
	for (i = 0; i < n; i++) {
		buf_printf(addr, "user@%s", strcmp(rows[i].name, "MAILER-DAEMON")
			   ? rows[i].name : "");
		if (strcmp(rows[i].name, "MAILER-DAEMON") == 0)
			buf_cpy(addr, "");
		for (b = 0; b < 10; b++) {
			for (k = 0; k < rows[i].counts[b]; k++)
				qshape_table_add(tp, buf_str(addr), (int) b + 1);
			if (total)
				rest[b] -= rows[i].counts[b];
		}
	}
	for (b = 0; b < 10; b++) {
		for (; rest[b] > 0; rest[b]--) {
			if (in_row == 0 || in_row == max_filler) {
				filler++;
				in_row = 0;
			}
			buf_printf(addr, "u@filler%zu.example.net", filler);
			qshape_table_add(tp, buf_str(addr), (int) b + 1);
			in_row++;
		}
	}
	buf_free(addr);
	return (tp);
}

/* check_seed - our lines are the article's lines plus a common indent */
static void
check_seed(const struct buf *out, const char *seed, size_t nlines)
{
	struct argv *got = argv_split(buf_str(out), "\n");
	struct argv *want = argv_split(seed, "\n");
	size_t	i, indent = 0;

	assert_true(got->argc >= nlines);
	assert_int_equal(want->argc, nlines);
	for (i = 0; i < nlines; i++) {
		size_t	glen = strlen(got->argv[i]), wlen = strlen(want->argv[i]);

		assert_int_equal(glen, 80);	/* right-aligned to 80 columns */
		assert_true(glen >= wlen);
		if (i == 0)
			indent = glen - wlen;
		if (glen - wlen != indent || strspn(got->argv[i], " ") < indent
		    || strcmp(got->argv[i] + indent, want->argv[i]) != 0)
			fail_msg("line %zu:\n got: [%s]\nwant: [%*s%s]", i,
				 got->argv[i], (int) indent, "", want->argv[i]);
	}
	argv_free(got);
	argv_free(want);
}

/* test_seed_sender_deferred - "qshape -s deferred" of the article */
static void
test_seed_sender_deferred(void **state)
{
	static const struct row rows[] = {
		{"MAILER-DAEMON", {4, 4, 5, 8, 33, 55, 101, 198, 452, 849}},
		{"example.com", {0, 0, 0, 0, 0, 0, 0, 0, 2, 261}},
		{"example.org", {0, 0, 0, 0, 0, 1, 3, 6, 11, 188}},
		{"example.net", {0, 0, 0, 0, 0, 0, 0, 0, 0, 6}},
		{"example.edu", {0, 0, 0, 0, 0, 0, 0, 0, 0, 3}},
		{"example.gov", {0, 0, 0, 0, 0, 0, 0, 1, 0, 1}},
		{"example.mil", {0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
	};
	static const char seed[] =
	"                     T  5 10 20 40 80 160 320 640 1280 1280+\n"
	"            TOTAL 2193  4  4  5  8 33  56 104 205  465  1309\n"
	"    MAILER-DAEMON 1709  4  4  5  8 33  55 101 198  452   849\n"
	"      example.com  263  0  0  0  0  0   0   0   0    2   261\n"
	"      example.org  209  0  0  0  0  0   1   3   6   11   188\n"
	"      example.net    6  0  0  0  0  0   0   0   0    0     6\n"
	"      example.edu    3  0  0  0  0  0   0   0   0    0     3\n"
	"      example.gov    2  0  0  0  0  0   0   0   1    0     1\n"
	"      example.mil    1  0  0  0  0  0   0   0   0    0     1\n";
	struct qshape_table *tp = add_rows(rows, ARRAY_LEN(rows), NULL, 0);
	struct buf *out = buf_new(1024);

	(void) state;
	qshape_table_text(tp, 0, out);
	check_seed(out, seed, 9);
	check_golden("seed_sender_deferred.ref", out);
	qshape_table_free(tp);
	buf_free(out);
}

/* test_seed_small - "qshape", "qshape incoming" of the article */
static void
test_seed_small(void **state)
{
	static const struct row rows[] = {
		{"meri.uwasa.fi", {0, 0, 0, 1, 0, 0, 0, 1, 1, 2}},
	};
	static const char seed[] =
	"                 T  5 10 20 40 80 160 320 640 1280 1280+\n"
	"          TOTAL  5  0  0  0  1  0   0   0   1    1     2\n"
	"  meri.uwasa.fi  5  0  0  0  1  0   0   0   1    1     2\n";
	static const char empty[] =
	"                 T  5 10 20 40 80 160 320 640 1280 1280+\n"
	"          TOTAL  0  0  0  0  0  0   0   0   0    0     0\n";
	struct qshape_table *tp = add_rows(rows, 1, NULL, 0);
	struct buf *out = buf_new(1024);

	(void) state;
	qshape_table_text(tp, 0, out);
	check_seed(out, seed, 3);
	qshape_table_free(tp);
	tp = add_rows(rows, 0, NULL, 0);
	buf_reset(out);
	qshape_table_text(tp, 0, out);
	check_seed(out, empty, 2);
	check_golden("seed_empty.ref", out);
	qshape_table_free(tp);
	buf_free(out);
}

/* test_seed_head - "qshape deferred | head" and "qshape -s hold | head" */
static void
test_seed_head(void **state)
{
	static const struct row deferred[] = {
		{"heyhihellothere.com", {0, 0, 1, 1, 6, 6, 8, 25, 68, 92}},
		{"pleazerzoneprod.com", {0, 0, 0, 0, 0, 0, 0, 5, 44, 56}},
		{"groups.msn.com", {2, 1, 2, 4, 4, 14, 14, 14, 8, 0}},
		{"orion.toppoint.de", {0, 0, 0, 1, 0, 2, 4, 3, 16, 23}},
		{"kali.com.cn", {0, 0, 0, 0, 1, 0, 2, 6, 12, 25}},
		{"meri.uwasa.fi", {0, 0, 0, 0, 1, 0, 2, 8, 11, 22}},
		{"gjr.paknet.com.pk", {1, 0, 0, 1, 1, 3, 3, 6, 12, 16}},
		{"aristotle.algonet.se", {0, 0, 0, 0, 0, 1, 2, 11, 12, 15}},
	};
	static const unsigned long deferred_total[10] =
	{4, 2, 5, 9, 31, 57, 108, 201, 464, 1353};
	static const char deferred_seed[] =
	"                         T  5 10 20 40 80 160 320 640 1280 1280+\n"
	"                TOTAL 2234  4  2  5  9 31  57 108 201  464  1353\n"
	"  heyhihellothere.com  207  0  0  1  1  6   6   8  25   68    92\n"
	"  pleazerzoneprod.com  105  0  0  0  0  0   0   0   5   44    56\n"
	"       groups.msn.com   63  2  1  2  4  4  14  14  14    8     0\n"
	"    orion.toppoint.de   49  0  0  0  1  0   2   4   3   16    23\n"
	"          kali.com.cn   46  0  0  0  0  1   0   2   6   12    25\n"
	"        meri.uwasa.fi   44  0  0  0  0  1   0   2   8   11    22\n"
	"    gjr.paknet.com.pk   43  1  0  0  1  1   3   3   6   12    16\n"
	" aristotle.algonet.se   41  0  0  0  0  0   1   2  11   12    15\n";
	static const struct row hold[] = {
		{"yahoo.com", {0, 0, 1, 0, 0, 0, 0, 1, 0, 12}},
		{"extremepricecuts.net", {0, 0, 0, 0, 0, 0, 0, 2, 0, 11}},
		{"ms35.hinet.net", {0, 0, 0, 0, 0, 0, 0, 0, 1, 11}},
		{"winnersdaily.net", {0, 0, 0, 0, 0, 0, 0, 2, 0, 10}},
		{"hotmail.com", {0, 0, 0, 0, 0, 0, 0, 0, 1, 10}},
		{"worldnet.fr", {0, 0, 0, 0, 0, 0, 0, 0, 0, 6}},
		{"ms41.hinet.net", {0, 0, 0, 0, 0, 0, 0, 0, 0, 6}},
		{"osn.de", {0, 0, 0, 0, 0, 1, 0, 0, 0, 4}},
	};
	static const unsigned long hold_total[10] = {0, 0, 1, 0, 0, 2, 4, 20, 40, 419};
	static const char hold_seed[] =
	"                         T  5 10 20 40 80 160 320 640 1280 1280+\n"
	"                 TOTAL 486  0  0  1  0  0   2   4  20   40   419\n"
	"             yahoo.com  14  0  0  1  0  0   0   0   1    0    12\n"
	"  extremepricecuts.net  13  0  0  0  0  0   0   0   2    0    11\n"
	"        ms35.hinet.net  12  0  0  0  0  0   0   0   0    1    11\n"
	"      winnersdaily.net  12  0  0  0  0  0   0   0   2    0    10\n"
	"           hotmail.com  11  0  0  0  0  0   0   0   0    1    10\n"
	"           worldnet.fr   6  0  0  0  0  0   0   0   0    0     6\n"
	"        ms41.hinet.net   6  0  0  0  0  0   0   0   0    0     6\n"
	"                osn.de   5  0  0  0  0  0   1   0   0    0     4\n";
	struct qshape_table *tp;
	struct buf *out = buf_new(4096);

	(void) state;
	tp = add_rows(deferred, ARRAY_LEN(deferred), deferred_total, 40);
	qshape_table_text(tp, 10, out);
	check_seed(out, deferred_seed, 10);
	qshape_table_free(tp);
	buf_reset(out);
	tp = add_rows(hold, ARRAY_LEN(hold), hold_total, 5);
	qshape_table_text(tp, 10, out);
	check_seed(out, hold_seed, 10);
	qshape_table_free(tp);
	buf_free(out);
}

/* test_parents - -p rows and the -m threshold */
static void
test_parents(void **state)
{
	struct qshape_opts o;
	struct qshape_table *tp;
	struct buf *out = buf_new(2048), *addr = buf_new(64);
	int	i;

	(void) state;
	qshape_opts_init(&o);
	o.parents = 1;
	o.min_subdomains = 3;
	tp = qshape_table_new(&o);
	for (i = 0; i < 4; i++) {
		buf_printf(addr, "u@mx%d.example.com", i);
		qshape_table_add(tp, buf_str(addr), 1 + i);
		qshape_table_add(tp, buf_str(addr), 10);
	}
	/* Two subdomains only: .example.org is not shown. */
	qshape_table_add(tp, "u@a.example.org", 2);
	qshape_table_add(tp, "u@b.example.org", 2);
	/* Deeper names count for each parent once per address. */
	qshape_table_add(tp, "u@x.y.deep.example", 3);
	qshape_table_add(tp, "u@z.y.deep.example", 3);
	qshape_table_add(tp, "u@w.deep.example", 3);
	qshape_table_add(tp, "u@example.com", 1);
	assert_int_equal(qshape_table_total(tp), 14);
	qshape_table_text(tp, 0, out);
	check_golden("parents.ref", out);
	buf_reset(out);
	qshape_table_json(tp, (const char *const[]) {"deferred", NULL}, 0, out);
	check_golden("parents_json.ref", out);
	qshape_table_free(tp);
	buf_free(out);
	buf_free(addr);
}

/* test_layout_options - -l, -b, -t, -n, -w, long names, odd bytes */
static void
test_layout_options(void **state)
{
	struct qshape_opts o;
	struct qshape_table *tp;
	struct buf *out = buf_new(4096);
	int	i;

	(void) state;
	qshape_opts_init(&o);
	o.is_linear = 1;
	o.buckets = 4;
	o.tick = 30;
	o.width = 100;
	tp = qshape_table_new(&o);
	for (i = 0; i < 123456; i++)
		qshape_table_add(tp, "u@big.example", 1 + i % 4);
	qshape_table_add(tp, "u@a-very-long-domain-name-that-does-not-fit-into-the-domain-column."
			 "example.com", 2);
	qshape_table_add(tp, "u@ctl\001char.example", 3);
	qshape_table_add(tp, "u@b.example", 3);
	qshape_table_add(tp, "u@a.example", 3);
	qshape_table_text(tp, 0, out);
	check_golden("linear_wide.ref", out);
	buf_reset(out);
	qshape_table_text(tp, 3, out);
	check_golden("linear_top3.ref", out);
	qshape_table_free(tp);
	qshape_opts_init(&o);
	o.buckets = 1;
	tp = qshape_table_new(&o);
	qshape_table_add(tp, "u@one.example", 1);
	buf_reset(out);
	qshape_table_text(tp, 0, out);
	check_golden("one_bucket.ref", out);
	buf_reset(out);
	qshape_table_json(tp, (const char *const[]) {"/abs/\"q\"", NULL}, 1, out);
	assert_string_equal(buf_str(out),
			    "{\"queues\": [\"/abs/\\\"q\\\"\"], \"buckets\": [\"0+\"], "
			    "\"rows\": [{\"domain\": \"TOTAL\", \"total\": 1, "
			    "\"counts\": [1]}]}\n");
	qshape_table_free(tp);
	buf_free(out);
}

/* test_bad_input - interface violations panic, nothing else does */
static void
test_bad_input(void **state)
{
	struct qshape_opts o;
	struct qshape_table *tp;
	struct buf *out = buf_new(256);

	(void) state;
	qshape_opts_init(&o);
	tp = qshape_table_new(&o);
	/* Addresses are never refused: odd ones get odd rows. */
	qshape_table_add(tp, "@@@", 1);
	qshape_table_add(tp, "....", 1);
	qshape_table_add(tp, "\xff\xfe@\xc3\xa9.example", 1);
	assert_int_equal(qshape_table_total(tp), 3);
	qshape_table_json(tp, (const char *const[]) {"incoming", NULL}, 0, out);
	assert_non_null(strstr(buf_str(out), "\"domain\": \"\xc3\xa9.example\""));
	/* "...." is the row ".", which looks like a parent row: not shown. */
	assert_null(strstr(buf_str(out), "\"domain\": \".\""));
	assert_non_null(strstr(buf_str(out), "\"domain\": \"\", \"total\": 1"));
	qshape_table_free(tp);
	buf_free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_geometric),
		cmocka_unit_test(test_bucket_linear),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_parent),
		cmocka_unit_test(test_seed_sender_deferred),
		cmocka_unit_test(test_seed_small),
		cmocka_unit_test(test_seed_head),
		cmocka_unit_test(test_parents),
		cmocka_unit_test(test_layout_options),
		cmocka_unit_test(test_bad_input),
	};

	return (cmocka_run_group_tests_name("qshape_table", tests, NULL, NULL));
}
