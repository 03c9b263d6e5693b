/*
 * NAME
 *	test_bounce_original - unit tests for reading the returned message
 * DESCRIPTION
 *	Queue files written with the record API in a temporary queue
 *	directory: the whole message, headers only on request or above the
 *	size limit, long lines joined, header byte limit, a message
 *	without body, a missing file and a damaged one.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/argv.h>
#include <util/buf.h>
#include <global/queue.h>
#include <global/record.h>

#include "bounce/bounce.h"

#define ID	"1xVQiR3p2ojzaU"

static char test_dir[] = "/tmp/test_bounce_original.XXXXXX";
static char old_cwd[4096];

/* setup - a queue directory with active/ */
static int
setup(void **state)
{
	(void) state;
	assert_non_null(getcwd(old_cwd, sizeof(old_cwd)));
	assert_non_null(mkdtemp(test_dir));
	assert_int_equal(chdir(test_dir), 0);
	assert_int_equal(mkdir("active", 0700), 0);
	return (0);
}

/* teardown - remove it */
static int
teardown(void **state)
{
	(void) state;
	(void) unlink("active/" ID);
	(void) rmdir("active");
	assert_int_equal(chdir(old_cwd), 0);
	(void) rmdir(test_dir);
	return (0);
}

/* write_message - active/ID with these content lines ("|" = CONT piece) */
static void
write_message(const char *const *lines, size_t count)
{
	struct qfile_envelope env;
	struct rec_io *rp;
	off_t	size = 0;
	size_t	i;
	int	fd;

	fd = open("active/" ID, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	qfile_envelope_init(&env);
	env.arrival = 1700000000;
	env.sender = xstrdup("s@example.com");
	qfile_envelope_add_rcpt(&env, "r@example.com", "R@example.com", 0);
	rp = rec_open(fd, REC_WRITE);
	assert_int_equal(qfile_write_envelope(rp, &env), 0);
	for (i = 0; i < count; i++) {
		const char *bar = strchr(lines[i], '|');

		if (bar) {
			assert_int_equal(rec_put(rp, REC_TYPE_CONT, lines[i], (size_t) (bar - lines[i])), 0);
			assert_int_equal(rec_put(rp, REC_TYPE_NORM, bar + 1, strlen(bar + 1)), 0);
		} else
			assert_int_equal(rec_put(rp, REC_TYPE_NORM, lines[i], strlen(lines[i])), 0);
		size += (off_t) strlen(lines[i]) + 1;
	}
	assert_int_equal(qfile_write_xtra(rp, &env), 0);
	env.size = size;
	assert_int_equal(qfile_write_end(rp, fd, &env), 0);
	assert_int_equal(rec_close(rp), 0);
	assert_int_equal(close(fd), 0);
	qfile_envelope_free(&env);
}

static const char *const message[] = {
	"Subject: test",
	"X-Long: abc|def",
	"",
	"body one",
	"",
	"body three",
};

/* load - bounce_original_load() with a fresh envelope */
static int
load(int want, long size_limit, long header_limit, struct bounce_original *orig,
     struct qfile_envelope *env, struct buf *why)
{
	qfile_envelope_init(env);
	return (bounce_original_load("active", ID, want, size_limit, header_limit, env, orig, why));
}

/* test_full - the whole message */
static void
test_full(void **state)
{
	struct bounce_original orig;
	struct qfile_envelope env;
	struct buf *why = buf_new(64);

	(void) state;
	write_message(message, ARRAY_LEN(message));
	assert_int_equal(load(BOUNCE_RETURN_FULL, 1000, 1000, &orig, &env, why), 0);
	assert_true(orig.is_available);
	assert_int_equal(orig.ret, BOUNCE_RETURN_FULL);
	assert_int_equal(orig.lines->argc, 6);
	assert_int_equal(orig.header_count, 2);
	assert_string_equal(orig.lines->argv[1], "X-Long: abcdef");
	assert_string_equal(orig.lines->argv[5], "body three");
	assert_int_equal(env.arrival, 1700000000);
	assert_int_equal(env.rcpt_count, 1);
	assert_string_equal(env.rcpts[0].orig, "R@example.com");
	bounce_original_free(&orig);
	qfile_envelope_free(&env);
	buf_free(why);
}

/* test_headers - on request, and above bounce_size_limit */
static void
test_headers(void **state)
{
	struct bounce_original orig;
	struct qfile_envelope env;
	struct buf *why = buf_new(64);

	(void) state;
	write_message(message, ARRAY_LEN(message));
	assert_int_equal(load(BOUNCE_RETURN_HEADERS, 1000, 1000, &orig, &env, why), 0);
	assert_int_equal(orig.ret, BOUNCE_RETURN_HEADERS);
	assert_int_equal(orig.lines->argc, 2);
	assert_int_equal(orig.header_count, 2);
	bounce_original_free(&orig);
	qfile_envelope_free(&env);
	assert_int_equal(load(BOUNCE_RETURN_FULL, 10, 1000, &orig, &env, why), 0);
	assert_int_equal(orig.ret, BOUNCE_RETURN_HEADERS);
	assert_int_equal(orig.lines->argc, 2);
	bounce_original_free(&orig);
	qfile_envelope_free(&env);
	/* The header byte limit stops early. */
	assert_int_equal(load(BOUNCE_RETURN_HEADERS, 1000, 20, &orig, &env, why), 0);
	assert_int_equal(orig.lines->argc, 1);
	assert_int_equal(orig.header_count, 1);
	bounce_original_free(&orig);
	qfile_envelope_free(&env);
	buf_free(why);
}

/* test_no_body - a message that is all headers */
static void
test_no_body(void **state)
{
	static const char *const headers_only[] = {"Subject: a", "From: b@example.com"};
	struct bounce_original orig;
	struct qfile_envelope env;
	struct buf *why = buf_new(64);

	(void) state;
	write_message(headers_only, ARRAY_LEN(headers_only));
	assert_int_equal(load(BOUNCE_RETURN_HEADERS, 1000, 1000, &orig, &env, why), 0);
	assert_int_equal(orig.lines->argc, 2);
	assert_int_equal(orig.header_count, 2);
	bounce_original_free(&orig);
	qfile_envelope_free(&env);
	buf_free(why);
}

/* test_bad - missing, damaged, bad ID */
static void
test_bad(void **state)
{
	struct bounce_original orig;
	struct qfile_envelope env;
	struct buf *why = buf_new(64);
	int	fd;

	(void) state;
	(void) unlink("active/" ID);
	assert_int_equal(load(BOUNCE_RETURN_FULL, 1000, 1000, &orig, &env, why), -1);
	assert_int_equal(errno, ENOENT);
	assert_false(orig.is_available);
	assert_non_null(strstr(buf_str(why), "active/" ID));
	bounce_original_free(&orig);
	qfile_envelope_free(&env);
	fd = open("active/" ID, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, "garbage that is no queue file", 29), 29);
	(void) close(fd);
	buf_reset(why);
	assert_int_equal(load(BOUNCE_RETURN_FULL, 1000, 1000, &orig, &env, why), -1);
	assert_true(errno != ENOENT);
	assert_true(buf_len(why) > 0);
	bounce_original_free(&orig);
	qfile_envelope_free(&env);
	buf_reset(why);
	qfile_envelope_init(&env);
	assert_int_equal(bounce_original_load("active", "../x", BOUNCE_RETURN_FULL, 1, 1,
					      &env, &orig, why), -1);
	assert_non_null(strstr(buf_str(why), "bad queue name or ID"));
	bounce_original_free(&orig);
	qfile_envelope_free(&env);
	buf_free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_no_body),
		cmocka_unit_test(test_bad),
	};

	return (cmocka_run_group_tests_name("bounce_original", tests, setup, teardown));
}
