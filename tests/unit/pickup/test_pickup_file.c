/*
 * NAME
 *	test_pickup_file - maildrop files: check, skip, set aside, retry
 */
#include <util/sys_defs.h>
#include <util/msg.h>
#include <setjmp.h>
#include <cmocka.h>
#include <global/cleanup_client.h>
#include <global/params.h>
#include <global/queue.h>
#include <global/record.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pickup/pickup.h"

static char ct_dir[256];
static char ct_old[1024];
static struct buf *ct_logbuf;

/* ct_capture - keep log lines */
static void
ct_capture(enum msg_level level, const char *text, void *ctx)
{
	(void) level;
	(void) ctx;
	buf_appendf(ct_logbuf, "%s\n", text);
}

/* ct_setup - a queue directory with maildrop and corrupt */
static int
ct_setup(void **state)
{
	struct buf *why = buf_new(64);

	(void) state;
	if (getcwd(ct_old, sizeof(ct_old)) == 0)
		return (-1);
	snprintf(ct_dir, sizeof(ct_dir), "/tmp/test_pickup.XXXXXX");
	if (mkdtemp(ct_dir) == 0 || chdir(ct_dir) < 0
	    || mkdir("maildrop", 0700) < 0 || mkdir("corrupt", 0700) < 0
	    || mkdir("public", 0700) < 0)
		return (-1);
	params_reset_defaults();
	buf_printf(why, "queue_directory=%s", ct_dir);
	(void) params_override(buf_str(why), why);
	queue_set_hash(1, "deferred, defer");
	ct_logbuf = ct_logbuf ? ct_logbuf : buf_new(256);
	buf_reset(ct_logbuf);
	msg_set_capture(ct_capture, NULL);
	msg_to_stderr(MSG_STDERR_OFF);
	buf_free(why);
	return (0);
}

/* ct_teardown - remove the directory */
static int
ct_teardown(void **state)
{
	char	cmd[512];

	(void) state;
	msg_set_capture(NULL, NULL);
	if (chdir(ct_old) < 0)
		return (-1);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ct_dir);
	return (system(cmd) == 0 ? 0 : -1);
}

/* ct_drop - a maildrop file from text records "T:data" separated by | */
static void
ct_drop(const char *id, const char *spec, mode_t mode)
{
	struct buf *path = buf_new(64);
	char   *copy = strdup(spec), *item, *save = 0;
	struct rec_io *out;
	int	fd;

	buf_printf(path, "maildrop/%s", id);
	assert_true((fd = open(buf_str(path), O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
	out = rec_open(fd, REC_WRITE);
	for (item = strtok_r(copy, "|", &save); item; item = strtok_r(0, "|", &save))
		assert_int_equal(rec_put(out, item[0], item + 2, strlen(item + 2)), 0);
	assert_int_equal(rec_close(out), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	free(copy);
	buf_free(path);
}

#define GOOD "T:1669000000 1|S:alice|R:bob@example.com|M:|N:Subject: x|N:|N:body|X:|E:"
#define ID1 "1xVQKH0ohCjyC3"
#define ID2 "1xVQKH0ohCjyC4"

/* test_check - a good file and what pickup learns from it */
static void
test_check(void **state)
{
	struct maildrop_check mc;
	struct buf *sender = buf_new(16);
	struct buf *why = buf_new(16);
	int	fd;

	(void) state;
	ct_drop(ID1, "T:1669000000 1|S:alice|A:flags=8192|M:|N:x|X:|E:", 0744);
	assert_true((fd = open("maildrop/" ID1, O_RDONLY)) >= 0);
	assert_int_equal(pickup_check(fd, &mc, sender, why), 0);
	assert_string_equal(buf_str(sender), "alice");
	assert_int_equal(mc.flags, CLEANUP_FLAG_EXTRACT);
	close(fd);
	buf_free(sender);
	buf_free(why);
}

/* test_skip_writing - owner bits rw-: still being written */
static void
test_skip_writing(void **state)
{
	(void) state;
	ct_drop(ID1, GOOD, 0644);
	assert_int_equal(pickup_file(ID1), PICKUP_FILE_SKIP);
	assert_int_equal(access("maildrop/" ID1, F_OK), 0);
	assert_string_equal(buf_str(ct_logbuf), "");
}

/* test_corrupt - malformed files go to corrupt/ with a warning */
static void
test_corrupt(void **state)
{
	(void) state;
	ct_drop(ID1, "T:1669000000 1|S:alice|M:|N:x|X:|E:", 0744);
	assert_int_equal(pickup_file(ID1), PICKUP_FILE_DONE);
	assert_int_equal(access("maildrop/" ID1, F_OK), -1);
	assert_int_equal(access("corrupt/" ID1, F_OK), 0);
	if (strstr(buf_str(ct_logbuf), "maildrop/" ID1 ": uid=") == 0)
		fail_msg("log: %s", buf_str(ct_logbuf));
	if (strstr(buf_str(ct_logbuf),
		   ": corrupt queue file (offset 21: no recipients): moved to corrupt/" ID1) == 0)
		fail_msg("log: %s", buf_str(ct_logbuf));
	/* Truncated: no END record. */
	ct_drop(ID2, "T:1669000000 1|S:alice|R:b|M:|N:x", 0744);
	assert_int_equal(pickup_file(ID2), PICKUP_FILE_DONE);
	assert_int_equal(access("corrupt/" ID2, F_OK), 0);
	assert_non_null(strstr(buf_str(ct_logbuf), "premature end of file"));
}

/* test_retry - no cleanup service: the file stays for the next time */
static void
test_retry(void **state)
{
	(void) state;
	ct_drop(ID1, GOOD, 0744);
	ct_drop(ID2, GOOD, 0744);
	pickup_scan();
	assert_int_equal(access("maildrop/" ID1, F_OK), 0);
	assert_int_equal(access("maildrop/" ID2, F_OK), 0);
	assert_non_null(strstr(buf_str(ct_logbuf), "connect to public/cleanup"));
	/* The scan stopped at the first failure: one warning only. */
	assert_null(strstr(strstr(buf_str(ct_logbuf), "connect to") + 1, "connect to"));
}

/* test_symlink - never followed */
static void
test_symlink(void **state)
{
	(void) state;
	ct_drop(ID2, GOOD, 0744);
	assert_int_equal(symlink("/work/" ID2, "maildrop/" ID1), 0);
	assert_int_equal(pickup_file(ID1), PICKUP_FILE_SKIP);
	assert_non_null(strstr(buf_str(ct_logbuf), "open maildrop/" ID1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_skip_writing, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_retry, ct_setup, ct_teardown),
		cmocka_unit_test_setup_teardown(test_symlink, ct_setup, ct_teardown),
	};

	return (cmocka_run_group_tests_name("pickup_file", tests, NULL, NULL));
}
