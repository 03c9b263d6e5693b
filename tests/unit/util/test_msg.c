/*
 * NAME
 *	test_msg - unit tests for logging
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>
#include <regex.h>
#include <util/msg.h>

static char last_text[1000];
static enum msg_level last_level;
static jmp_buf fatal_jmp;
static int fatal_status;

/* capture - remember the last line */
static void
capture(enum msg_level level, const char *text, void *ctx)
{
	(void) ctx;
	last_level = level;
	snprintf(last_text, sizeof(last_text), "%s", text);
}

/* exit_hook - turn a fatal exit into a longjmp */
static void
exit_hook(int status)
{
	fatal_status = status;
	longjmp(fatal_jmp, 1);
}

/* read_file - whole small file into a buffer */
static void
read_file(const char *path, char *out, size_t size)
{
	FILE   *fp = fopen(path, "r");
	size_t	n;

	assert_non_null(fp);
	n = fread(out, 1, size - 1, fp);
	out[n] = 0;
	fclose(fp);
}

/* test_levels - levels and capture, %m, control characters */
static void
test_levels(void **state)
{
	(void) state;
	msg_init("/usr/libexec/postern/smtpd");
	msg_to_stderr(MSG_STDERR_OFF);
	msg_set_capture(capture, NULL);
	assert_string_equal(msg_progname(), "smtpd");
	msg_info("hello %d", 7);
	assert_int_equal(last_level, MSG_INFO);
	assert_string_equal(last_text, "hello 7");
	errno = ENOENT;
	msg_warn("open x: %m");
	assert_int_equal(last_level, MSG_WARN);
	assert_string_equal(last_text, "open x: No such file or directory");
	msg_error("bad\r\nline");
	assert_string_equal(last_text, "bad??line");
	msg_verbose = 0;
	last_text[0] = 0;
	msg_debug(1, "quiet");
	assert_string_equal(last_text, "");
	msg_set_capture(NULL, NULL);
}

/* test_file_shape - maillog_file lines have Postfix's shape */
static void
test_file_shape(void **state)
{
	char	path[] = "/tmp/test_msg.XXXXXX";
	char	text[2000];
	regex_t	re;
	int	fd = mkstemp(path);

	(void) state;
	assert_true(fd >= 0);
	close(fd);
	msg_init("qmgr");
	msg_to_stderr(MSG_STDERR_OFF);
	msg_set_syslog_name("postern");
	msg_set_hostname("mail.example.com");
	assert_int_equal(msg_to_file(path), 0);
	msg_info("4XyZ: removed");
	msg_warn("throttled");
	read_file(path, text, sizeof(text));
	assert_int_equal(regcomp(&re, "^[A-Z][a-z][a-z] [ 0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9] "
				 "mail postern/qmgr\\[[0-9]+\\]: 4XyZ: removed\n"
				 "[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]+ mail postern/qmgr\\[[0-9]+\\]: "
				 "warning: throttled\n$", REG_EXTENDED), 0);
	assert_int_equal(regexec(&re, text, 0, NULL, 0), 0);
	regfree(&re);
	unlink(path);
	assert_int_equal(msg_to_file("/nonexistent/dir/log"), -1);
}

/* test_fatal - fatal runs the exit hook with the status */
static void
test_fatal(void **state)
{
	(void) state;
	msg_to_stderr(MSG_STDERR_OFF);
	msg_set_capture(capture, NULL);
	msg_set_exit_hook(exit_hook);
	if (setjmp(fatal_jmp) == 0)
		msg_fatal_status(75, "no queue");
	assert_int_equal(fatal_status, 75);
	assert_int_equal(last_level, MSG_FATAL);
	assert_string_equal(last_text, "no queue");
	msg_set_exit_hook(NULL);
	msg_set_capture(NULL, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_file_shape),
		cmocka_unit_test(test_fatal),
	};

	return (cmocka_run_group_tests_name("msg", tests, NULL, NULL));
}
