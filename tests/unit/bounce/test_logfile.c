/*
 * NAME
 *	test_logfile - unit tests for the defer/bounce logfile reader and writer
 * DESCRIPTION
 *	Round trips through logfile_format() and logfile_parse(), the
 *	entry qmgr writes, damaged files (lines without "=", entries
 *	without recipient, bad numbers, over-long lines, a partial last
 *	entry) with their warnings, and logfile_append()/logfile_read() on
 *	a hashed queue in a temporary queue directory.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/logfile.h>
#include <global/queue.h>

static struct argv *warnings;

/* capture - keep warnings */
static void
capture(enum msg_level level, const char *text, void *ctx)
{
	(void) ctx;
	if (level == MSG_WARN)
		argv_add(warnings, text);
}

/* setup - capture warnings, quiet stderr */
static int
setup(void **state)
{
	(void) state;
	warnings = argv_new(4);
	msg_set_capture(capture, NULL);
	msg_to_stderr(MSG_STDERR_OFF);
	return (0);
}

/* teardown - release */
static int
teardown(void **state)
{
	(void) state;
	argv_free(warnings);
	return (0);
}

 /*
  * Collected entries, flattened for comparison.
  */
struct seen {
	struct argv *lines;
	int	stop_after;
};

/* remember - logfile_fn that flattens each entry */
static int
remember(const struct logfile_entry *e, void *ctx)
{
	struct seen *seen = ctx;
	struct buf *b = buf_new(128);

	buf_printf(b, "%s|%s|%ld|%d|%s|%s|%s|%s|%lld|%s|%s", e->recipient,
		   e->orig_recipient ? e->orig_recipient : "-", e->offset, e->dsn_notify,
		   e->status ? e->status : "-", e->action ? e->action : "-",
		   e->reason ? e->reason : "-", e->relay ? e->relay : "-",
		   (long long) e->time, e->diag_type ? e->diag_type : "-",
		   e->mta_name ? e->mta_name : "-");
	argv_add(seen->lines, buf_str(b));
	buf_free(b);
	return (seen->stop_after > 0 && (int) seen->lines->argc >= seen->stop_after);
}

/* parse_text - run logfile_parse() over text */
static int
parse_text(const char *text, struct seen *seen)
{
	int	fd = memfd_create("logfile", 0);
	struct stream *s;
	int	ret;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	s = stream_fdopen(fd, STREAM_READ);
	ret = logfile_parse(s, "defer/X", remember, seen);
	(void) stream_close(s);
	return (ret);
}

/* test_qmgr_entry - what qmgr writes */
static void
test_qmgr_entry(void **state)
{
	struct seen seen = {argv_new(2), 0};

	(void) state;
	assert_int_equal(parse_text(
		"recipient=user@example.com\n"
		"orig_recipient=\n"
		"offset=1234\n"
		"dsn_notify=6\n"
		"status=4.4.1\n"
		"action=delayed\n"
		"reason=connect to x[192.0.2.1]:25: Connection refused\n"
		"relay=x[192.0.2.1]:25\n"
		"time=1700000000\n"
		"\n"
		"recipient=<two@example.com>\n"
		"orig_recipient=<Two@Example.com>\n"
		"offset=2000\n"
		"status=5.1.1\n"
		"reason=a=b\n"
		"diag_type=smtp\n"
		"mta_name=mx\n"
		"future_name=ignored\n"
		"\n", &seen), 2);
	assert_int_equal(warnings->argc, 0);
	assert_string_equal(seen.lines->argv[0],
			    "user@example.com||1234|6|4.4.1|delayed|connect to x[192.0.2.1]:25: "
			    "Connection refused|x[192.0.2.1]:25|1700000000|-|-");
	assert_string_equal(seen.lines->argv[1],
			    "two@example.com|Two@Example.com|2000|0|5.1.1|-|a=b|-|0|smtp|mx");
	argv_free(seen.lines);
}

/* test_round_trip - logfile_format() then logfile_parse() */
static void
test_round_trip(void **state)
{
	struct seen seen = {argv_new(2), 0};
	struct logfile_entry e;
	struct buf *text = buf_new(256);

	(void) state;
	logfile_entry_init(&e);
	e.recipient = "r@example.com";
	e.offset = 77;
	e.dsn_notify = 4;
	e.status = "5.0.0";
	e.action = "failed";
	e.reason = "line one\nline two\ttab";
	e.relay = "none";
	e.time = 42;
	logfile_format(text, &e);
	assert_non_null(strstr(buf_str(text), "reason=line one line two tab\n"));
	assert_int_equal(buf_str(text)[buf_len(text) - 2], '\n');
	assert_int_equal(parse_text(buf_str(text), &seen), 1);
	assert_string_equal(seen.lines->argv[0],
			    "r@example.com|-|77|4|5.0.0|failed|line one line two tab|none|42|-|-");
	argv_free(seen.lines);
	buf_free(text);
}

/* test_damaged - warnings name the line; good entries survive */
static void
test_damaged(void **state)
{
	struct seen seen = {argv_new(4), 0};
	struct buf *text = buf_new(100000);
	size_t	i;

	(void) state;
	buf_cat(text, "recipient=a@x\nno equals sign\n=value\noffset=-5\ndsn_notify=abc\n\n");
	buf_cat(text, "status=5.0.0\nreason=orphan\n\n\n\n");
	buf_cat(text, "recipient=b@x\nreason=");
	for (i = 0; i < LOGFILE_LINE_LIMIT + 10; i++)
		buf_putc(text, 'x');
	buf_cat(text, "\nstatus=4.0.0\n\r\n");
	buf_cat(text, "recipient=c@x\noffset=9");	/* partial write */
	assert_int_equal(parse_text(buf_str(text), &seen), 3);
	assert_int_equal(seen.lines->argc, 3);
	assert_string_equal(seen.lines->argv[0], "a@x|-|-1|0|-|-|-|-|0|-|-");
	assert_string_equal(seen.lines->argv[1], "b@x|-|-1|0|4.0.0|-|-|-|0|-|-");
	assert_string_equal(seen.lines->argv[2], "c@x|-|9|0|-|-|-|-|0|-|-");
	assert_int_equal(warnings->argc, 6);
	assert_string_equal(warnings->argv[0], "defer/X, line 2: missing '='; line ignored");
	assert_string_equal(warnings->argv[1],
			    "defer/X, line 3: missing name before '='; line ignored");
	assert_string_equal(warnings->argv[2], "defer/X, line 4: bad offset value \"-5\"; line ignored");
	assert_string_equal(warnings->argv[3],
			    "defer/X, line 5: bad dsn_notify value \"abc\"; line ignored");
	assert_string_equal(warnings->argv[4], "defer/X, line 7: entry without recipient; entry ignored");
	assert_non_null(strstr(warnings->argv[5], "defer/X, line 13: line longer than"));
	argv_truncate(warnings, 0);
	argv_free(seen.lines);
	buf_free(text);
}

/* test_stop - the callback ends the walk */
static void
test_stop(void **state)
{
	struct seen seen = {argv_new(2), 1};

	(void) state;
	assert_int_equal(parse_text("recipient=a@x\n\nrecipient=b@x\n\n", &seen), 1);
	assert_int_equal(seen.lines->argc, 1);
	argv_free(seen.lines);
}

/* test_append_read - files in a hashed queue */
static void
test_append_read(void **state)
{
	char	dir[] = "/tmp/test_logfile.XXXXXX";
	char	cwd[4096];
	struct seen seen = {argv_new(2), 0};
	struct logfile_entry e;
	struct buf *why = buf_new(64);
	struct buf *path = buf_new(64);
	struct stat st;

	(void) state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(queue_set_hash(1, "defer"), 0);
	assert_int_equal(mkdir("defer", 0700), 0);
	logfile_entry_init(&e);
	e.recipient = "one@example.com";
	e.status = "4.0.0";
	assert_int_equal(logfile_append("defer", "1xVQiR3p2ojzaU", &e, why), 0);
	e.recipient = "two@example.com";
	assert_int_equal(logfile_append("defer", "1xVQiR3p2ojzaU", &e, why), 0);
	assert_non_null(queue_path(path, "defer", "1xVQiR3p2ojzaU"));
	assert_int_equal(stat(buf_str(path), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(logfile_read("defer", "1xVQiR3p2ojzaU", remember, &seen), 2);
	assert_string_equal(seen.lines->argv[1], "two@example.com|-|-1|0|4.0.0|-|-|-|0|-|-");
	/* Missing file, bad ID, entry without recipient. */
	assert_int_equal(logfile_read("defer", "1xVQiR3p2ojzaV", remember, &seen), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(logfile_read("defer", "../etc", remember, &seen), -1);
	e.recipient = NULL;
	assert_int_equal(logfile_append("defer", "1xVQiR3p2ojzaU", &e, why), -1);
	assert_string_equal(buf_str(why), "logfile entry without recipient");
	assert_int_equal(unlink(buf_str(path)), 0);
	buf_truncate(path, (size_t) (strrchr(buf_str(path), '/') - buf_str(path)));
	assert_int_equal(rmdir(buf_str(path)), 0);
	assert_int_equal(rmdir("defer"), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rmdir(dir), 0);
	argv_free(seen.lines);
	buf_free(why);
	buf_free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qmgr_entry),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_append_read),
	};

	return (cmocka_run_group_tests_name("logfile", tests, setup, teardown));
}
