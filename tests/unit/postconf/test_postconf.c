/*
 * NAME
 *	test_postconf - unit tests for postconf's printing and editing
 * DESCRIPTION
 *	-e, -X and -# on main.cf text (places kept, comments kept, new names
 *	appended, duplicates removed, bad arguments), the atomic file edit,
 *	"name = value" output for all, -n, -d, -h, -x and named parameters
 *	with unknown names, and -M selection.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/params.h>
#include "postconf/postconf.h"

static char test_dir[] = "/tmp/test_postconf.XXXXXX";
static char last_warning[1000];
static int warnings;

/* capture - count warnings, keep the last */
static void
capture(enum msg_level level, const char *text, void *ctx)
{
	(void) ctx;
	if (level != MSG_WARN)
		return;
	warnings++;
	snprintf(last_warning, sizeof(last_warning), "%s", text);
}

/* write_file - create a file in the test directory */
static void
write_file(const char *name, const char *text)
{
	char	path[256];
	FILE   *fp;

	snprintf(path, sizeof(path), "%s/%s", test_dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* setup - temporary directory */
static int
setup(void **state)
{
	(void) state;
	if (mkdtemp(test_dir) == NULL)
		return (-1);
	msg_to_stderr(MSG_STDERR_OFF);
	msg_set_capture(capture, NULL);
	return (0);
}

/* teardown - remove the directory and its files */
static int
teardown(void **state)
{
	char	path[512];
	DIR    *dp;
	struct dirent *de;

	(void) state;
	if ((dp = opendir(test_dir)) != NULL) {
		while ((de = readdir(dp)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", test_dir, de->d_name);
			unlink(path);
		}
		closedir(dp);
	}
	rmdir(test_dir);
	return (0);
}

static const char main_cf[] =
	"# header comment\n"
	"myhostname = a.example\n"
	"smtpd_recipient_restrictions = permit_mynetworks,\n"
	"    # kept comment\n"
	"    reject_unauth_destination\n"
	"\n"
	"relayhost = [old]:25\n"
	"relayhost = [older]:25\n"
	"# trailer\n";

/* edit - run postconf_edit_text() on main_cf */
static int
edit(int mode, char **args, struct buf *out, struct buf *why)
{
	buf_reset(out);
	buf_reset(why);
	return (postconf_edit_text("main.cf", main_cf, mode, args, out, why));
}

/* test_edit_set - -e replaces in place and appends new names */
static void
test_edit_set(void **state)
{
	struct buf *out = buf_new(100), *why = buf_new(100);
	char   *args[] = {"smtpd_recipient_restrictions = reject", "relayhost=[new]:587",
		"mydomain=example", "mydomain = example.org", NULL};

	(void) state;
	assert_int_equal(edit(PC_EDIT_SET, args, out, why), 0);
	assert_string_equal(buf_str(out),
		"# header comment\n"
		"myhostname = a.example\n"
		"smtpd_recipient_restrictions = reject\n"
		"    # kept comment\n"
		"\n"
		"relayhost = [new]:587\n"
		"# trailer\n"
		"mydomain = example.org\n");
	buf_free(out);
	buf_free(why);
}

/* test_edit_remove - -X and -# */
static void
test_edit_remove(void **state)
{
	struct buf *out = buf_new(100), *why = buf_new(100);
	char   *args[] = {"smtpd_recipient_restrictions", "relayhost", "nothing", NULL};

	(void) state;
	assert_int_equal(edit(PC_EDIT_REMOVE, args, out, why), 0);
	assert_string_equal(buf_str(out),
		"# header comment\n"
		"myhostname = a.example\n"
		"    # kept comment\n"
		"\n"
		"# trailer\n");
	assert_int_equal(edit(PC_EDIT_COMMENT, args + 1, out, why), 0);
	assert_non_null(strstr(buf_str(out), "\n#relayhost = [old]:25\n#relayhost = [older]:25\n"));
	assert_non_null(strstr(buf_str(out), "\nsmtpd_recipient_restrictions = permit"));
	buf_free(out);
	buf_free(why);
}

/* test_edit_errors - bad arguments and bad main.cf */
static void
test_edit_errors(void **state)
{
	struct buf *out = buf_new(100), *why = buf_new(100);
	char   *no_value[] = {"relayhost", NULL};
	char   *with_value[] = {"relayhost=x", NULL};
	char   *bad_name[] = {"bad name=x", NULL};
	char   *ok[] = {"a=b", NULL};

	(void) state;
	assert_int_equal(edit(PC_EDIT_SET, no_value, out, why), -1);
	assert_string_equal(buf_str(why), "-e accepts only name=value arguments, got \"relayhost\"");
	assert_int_equal(edit(PC_EDIT_REMOVE, with_value, out, why), -1);
	assert_non_null(strstr(buf_str(why), "expected a parameter name"));
	assert_int_equal(edit(PC_EDIT_SET, bad_name, out, why), -1);
	assert_non_null(strstr(buf_str(why), "bad parameter name \"bad name\""));
	assert_int_equal(postconf_edit_text("main.cf", "  x = 1\n", PC_EDIT_SET, ok, out, why), -1);
	assert_non_null(strstr(buf_str(why), "main.cf, line 1: continuation line"));
	buf_free(out);
	buf_free(why);
}

/* test_edit_file - atomic replacement keeps the mode, leaves no litter */
static void
test_edit_file(void **state)
{
	struct buf *why = buf_new(100);
	char	path[256], text[1000];
	char   *args[] = {"relayhost=[x]:25", NULL};
	struct stat st;
	FILE   *fp;
	size_t	n;
	DIR    *dp;
	struct dirent *de;
	int	files = 0;

	(void) state;
	write_file("main.cf", "# c\nmyhostname = h.example\n");
	snprintf(path, sizeof(path), "%s/main.cf", test_dir);
	chmod(path, 0640);
	assert_int_equal(postconf_edit_file(path, PC_EDIT_SET, args, why), 0);
	fp = fopen(path, "r");
	n = fread(text, 1, sizeof(text) - 1, fp);
	text[n] = 0;
	fclose(fp);
	assert_string_equal(text, "# c\nmyhostname = h.example\nrelayhost = [x]:25\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	dp = opendir(test_dir);
	while ((de = readdir(dp)) != NULL)
		files += (de->d_name[0] != '.');
	closedir(dp);
	assert_int_equal(files, 1);
	assert_int_equal(postconf_edit_file("/nonexistent/dir/main.cf", PC_EDIT_SET,
					    args, why), -1);
	assert_non_null(strstr(buf_str(why), "/nonexistent/dir/main.cf"));
	buf_free(why);
}

/* test_show - parameter output in its forms */
static void
test_show(void **state)
{
	struct buf *out = buf_new(100), *why = buf_new(100);
	char   *names[] = {"myorigin", "no_such_thing", "relayhost", NULL};
	char   *one[] = {"myorigin", NULL};

	(void) state;
	write_file("main.cf", "myhostname = h.example\nrelayhost = [r]:25\nzeta = 1\n");
	assert_int_equal(params_load_flags(test_dir, PARAMS_LOAD_RAW, why), 0);
	assert_int_equal(postconf_show_params(PC_SHOW_NONDEFAULT, NULL, out), 0);
	assert_string_equal(buf_str(out),
		"myhostname = h.example\nrelayhost = [r]:25\nzeta = 1\n");
	buf_reset(out);
	warnings = 0;
	assert_int_equal(postconf_show_params(0, names, out), 1);
	assert_string_equal(buf_str(out), "myorigin = $myhostname\nrelayhost = [r]:25\n");
	assert_int_equal(warnings, 1);
	assert_string_equal(last_warning, "no_such_thing: unknown parameter");
	buf_reset(out);
	assert_int_equal(postconf_show_params(PC_SHOW_NONDEFAULT, names, out), 1);
	assert_string_equal(buf_str(out), "relayhost = [r]:25\n");
	buf_reset(out);
	assert_int_equal(postconf_show_params(0, NULL, out), 0);
	assert_non_null(strstr(buf_str(out), "\nzeta = 1\n"));
	assert_non_null(strstr(buf_str(out), "\nqueue_run_delay = 300s\n"));
	assert_non_null(strstr(buf_str(out), "2bounce_notice_recipient = postmaster\n"));
	buf_reset(out);
	assert_int_equal(postconf_show_params(PC_SHOW_DEFAULTS, NULL, out), 0);
	assert_null(strstr(buf_str(out), "zeta"));
	assert_non_null(strstr(buf_str(out), "\nsmtpd_banner = $myhostname ESMTP $mail_name\n"));
	buf_reset(out);
	assert_int_equal(params_load(test_dir, why), 0);
	assert_int_equal(postconf_show_params(PC_SHOW_EXPAND | PC_SHOW_VALUE_ONLY, one, out), 0);
	assert_string_equal(buf_str(out), "h.example\n");
	buf_reset(out);
	warnings = 0;
	write_file("master.cf", "x unix - - n - - cmd -o smtpd_banner=$zeta\n");
	postconf_check_names(test_dir);
	assert_int_equal(warnings, 0);
	write_file("master.cf", "x unix - - n - - cmd\n");
	postconf_check_names(test_dir);
	assert_int_equal(warnings, 1);
	assert_non_null(strstr(last_warning, "main.cf, line 3: unknown parameter zeta"));
	buf_free(out);
	buf_free(why);
}

/* test_fold - long values fold at blanks */
static void
test_fold(void **state)
{
	struct buf *out = buf_new(100), *why = buf_new(100);
	char   *names[] = {"smtpd_relay_restrictions", NULL};

	(void) state;
	write_file("main.cf", "smtpd_relay_restrictions = permit_mynetworks, "
		   "permit_sasl_authenticated, reject_unauth_destination, check_x\n");
	assert_int_equal(params_load_flags(test_dir, PARAMS_LOAD_RAW, why), 0);
	assert_int_equal(postconf_show_params(PC_SHOW_FOLD, names, out), 0);
	assert_string_equal(buf_str(out),
		"smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,\n"
		"    reject_unauth_destination, check_x\n");
	buf_free(out);
	buf_free(why);
}

/* test_master - -M with and without selectors */
static void
test_master(void **state)
{
	struct buf *out = buf_new(100), *why = buf_new(100);
	char	path[256];
	char   *sel1[] = {"smtp", NULL};
	char   *sel2[] = {"smtp/unix", "/fifo", NULL};

	(void) state;
	write_file("master.cf", "smtp inet n - n - - smtpd\n"
		   "smtp unix - - n - - smtp\nhold fifo n - n - - x\n");
	snprintf(path, sizeof(path), "%s/master.cf", test_dir);
	assert_int_equal(postconf_show_master(path, 0, NULL, out, why), 0);
	assert_string_equal(buf_str(out),
		"smtp       inet  n       -       n       -       -       smtpd\n"
		"smtp       unix  -       -       n       -       -       smtp\n"
		"hold       fifo  n       -       n       -       -       x\n");
	buf_reset(out);
	assert_int_equal(postconf_show_master(path, 0, sel1, out, why), 0);
	assert_string_equal(buf_str(out),
		"smtp       inet  n       -       n       -       -       smtpd\n"
		"smtp       unix  -       -       n       -       -       smtp\n");
	buf_reset(out);
	assert_int_equal(postconf_show_master(path, 0, sel2, out, why), 0);
	assert_string_equal(buf_str(out),
		"smtp       unix  -       -       n       -       -       smtp\n"
		"hold       fifo  n       -       n       -       -       x\n");
	write_file("master.cf", "smtp bad n - n - - smtpd\n");
	assert_int_equal(postconf_show_master(path, 0, NULL, out, why), -1);
	assert_non_null(strstr(buf_str(why), "master.cf, line 1: bad type field"));
	buf_free(out);
	buf_free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edit_set),
		cmocka_unit_test(test_edit_remove),
		cmocka_unit_test(test_edit_errors),
		cmocka_unit_test(test_edit_file),
		cmocka_unit_test(test_show),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_master),
	};

	return (cmocka_run_group_tests_name("postconf", tests, setup, teardown));
}
