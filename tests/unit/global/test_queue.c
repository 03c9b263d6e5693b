/*
 * NAME
 *	test_queue - unit tests for queue IDs, paths and queue files
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ftw.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <util/htable.h>
#include <global/mail_proto.h>
#include <global/queue.h>

static char top_dir[] = "/tmp/test_queue.XXXXXX";
static char old_cwd[4096];

/* remove_entry - nftw callback that removes everything */
static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return (remove(path));
}

/* setup - fresh queue directory as cwd, default hash settings */
static int
setup(void **state)
{
	(void) state;
	memcpy(top_dir + strlen(top_dir) - 6, "XXXXXX", 6);
	if (getcwd(old_cwd, sizeof(old_cwd)) == NULL || mkdtemp(top_dir) == NULL
	    || chdir(top_dir) < 0)
		return (-1);
	return (queue_set_hash(1, "deferred, defer"));
}

/* teardown - leave and remove the queue directory */
static int
teardown(void **state)
{
	(void) state;
	if (chdir(old_cwd) < 0)
		return (-1);
	return (nftw(top_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS));
}

/* compare_str - qsort comparison of strings */
static int
compare_str(const void *a, const void *b)
{
	return (strcmp(*(char *const *) a, *(char *const *) b));
}

/* test_id_unique_sorted - 100,000 IDs: unique, valid, sorted by time */
static void
test_id_unique_sorted(void **state)
{
	enum { COUNT = 100000 };
	char  **ids = xcalloc(COUNT, sizeof(*ids));
	struct buf *id = buf_new(32);
	struct timeval before, after;
	time_t	sec, prev_sec = 0;
	long	usec, prev_usec = 0;
	size_t	i;

	(void) state;
	gettimeofday(&before, NULL);
	for (i = 0; i < COUNT; i++) {
		/* Uniquifiers as inode numbers: small, large, anything. */
		queue_id_new(id, (uint64_t) i * 2654435761U);
		ids[i] = xstrdup(buf_str(id));
	}
	gettimeofday(&after, NULL);
	qsort(ids, COUNT, sizeof(*ids), compare_str);
	for (i = 0; i < COUNT; i++) {
		assert_true(queue_id_valid(ids[i]));
		if (i > 0 && strcmp(ids[i - 1], ids[i]) == 0)
			fail_msg("duplicate ID %s", ids[i]);
		sec = queue_id_time(ids[i], &usec);
		assert_true(sec >= before.tv_sec && sec <= after.tv_sec);
		/* Sorting the strings sorts the arrival times. */
		assert_true(sec > prev_sec || (sec == prev_sec && usec >= prev_usec));
		prev_sec = sec;
		prev_usec = usec;
	}
	for (i = 0; i < COUNT; i++)
		free(ids[i]);
	free(ids);
	buf_free(id);
}

/* test_id_order - fixed times sort as strings, round trip */
static void
test_id_order(void **state)
{
	static const struct {
		time_t	sec;
		long	usec;
		uint64_t unique;
	} times[] = {
		{0, 0, 0},
		{0, 1, UINT64_MAX},
		{0, 999999, 5},
		{1, 0, 0},
		{61, 999999, 1},
		{62, 0, 0},
		{1700000000, 0, 123},
		{1700000000, 1, 2},
		{1700000001, 0, 1},
		{4000000000LL, 999999, 77},
		{56800235583LL, 999999, 77},	/* 62^6 - 1 */
	};
	struct buf *a = buf_new(32);
	struct buf *b = buf_new(32);
	size_t	i;
	long	usec;

	(void) state;
	for (i = 0; i < ARRAY_LEN(times); i++) {
		queue_id_make(a, times[i].sec, times[i].usec, times[i].unique);
		assert_true(queue_id_valid(buf_str(a)));
		assert_true(buf_len(a) >= QUEUE_ID_MINLEN && buf_len(a) <= QUEUE_ID_MAXLEN);
		assert_int_equal(queue_id_time(buf_str(a), &usec), times[i].sec);
		assert_int_equal(usec, times[i].usec);
		if (i > 0) {
			queue_id_make(b, times[i - 1].sec, times[i - 1].usec, times[i - 1].unique);
			if (strcmp(buf_str(b), buf_str(a)) >= 0)
				fail_msg("%s does not sort before %s", buf_str(b), buf_str(a));
		}
	}
	queue_id_make(a, 0, 0, UINT64_MAX);
	assert_int_equal(buf_len(a), QUEUE_ID_MAXLEN);
	buf_free(a);
	buf_free(b);
}

/* test_id_valid - hostile names are not queue IDs */
static void
test_id_valid(void **state)
{
	static const struct {
		const char *id;
		bool	valid;
	} cases[] = {
		{"00000000000", true},
		{"1ABCDE00001", true},
		{"zzzzzz4C91zzzzzzzzzz", true},
		{"", false},
		{"../../etc/passwd", false},
		{"..", false},
		{"1ABCDE0000/", false},
		{"1ABCDE00001/x", false},
		{"1ABCDE0000", false},			/* too short */
		{"1ABCDE0000123456789012", false},	/* 22: too long */
		{"1ABCDE0000-", false},
		{"1ABCDE0000.", false},
		{"1ABCDE 00001", false},
		{"1ABCDE0000\xc3\xa9", false},
		{"1ABCDEzzzz1", false},			/* microseconds > 999999 */
		{"1ABCDE4C92A", false},			/* 1000000 microseconds */
		{"1ABCDE4C91A", true},			/* 999999 microseconds */
		{"1ABCDE000001", false},		/* leading zero uniquifier */
		{"1ABCDE0000zzzzzzzzzzz", false},	/* uniquifier > 64 bits */
		{"1ABCDE0000LygHa16AHYF", true},	/* exactly 2^64 - 1 */
		{"1ABCDE0000LygHa16AHYG", false},	/* 2^64 */
	};
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		if (queue_id_valid(cases[i].id) != cases[i].valid)
			fail_msg("case %zu \"%s\": want %s", i, cases[i].id,
				 cases[i].valid ? "valid" : "invalid");
		assert_int_equal(queue_id_time(cases[i].id, NULL) >= 0, cases[i].valid);
	}
	assert_false(queue_id_valid(NULL));
	assert_int_equal(queue_id_time(NULL, NULL), -1);
}

/* test_paths - fanout, names, settings */
static void
test_paths(void **state)
{
	struct buf *id = buf_new(32);
	struct buf *path = buf_new(32);
	struct buf *want = buf_new(32);
	int	counts[16] = {0};
	long	usec;

	(void) state;
	/* usec 0x4F3A1: level 0 is the low nibble, level 1 the next. */
	queue_id_make(id, 1700000000, 0x4F3A1, 9);
	assert_int_equal(queue_set_hash(2, "deferred,defer  hold"), 0);
	buf_printf(want, "deferred/1/A/%s", buf_str(id));
	assert_string_equal(queue_path(path, MAIL_QUEUE_DEFERRED, buf_str(id)), buf_str(want));
	assert_string_equal(queue_dir(path, MAIL_QUEUE_HOLD, buf_str(id)), "hold/1/A");
	buf_printf(want, "incoming/%s", buf_str(id));
	assert_string_equal(queue_path(path, MAIL_QUEUE_INCOMING, buf_str(id)), buf_str(want));
	assert_int_equal(queue_hashed(MAIL_QUEUE_HOLD), 2);
	assert_int_equal(queue_hashed(MAIL_QUEUE_ACTIVE), 0);
	assert_int_equal(queue_hashed(NULL), 0);

	/* Bad settings change nothing. */
	assert_int_equal(queue_set_hash(0, "deferred"), -1);
	assert_int_equal(queue_set_hash(QUEUE_HASH_MAXDEPTH + 1, "deferred"), -1);
	assert_int_equal(queue_set_hash(1, "deferred ../x"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(queue_set_hash(1, NULL), -1);
	assert_int_equal(queue_hashed(MAIL_QUEUE_HOLD), 2);

	/* Sequential microseconds spread evenly over the directories. */
	assert_int_equal(queue_set_hash(1, "deferred"), 0);
	for (usec = 0; usec < 16000; usec++) {
		queue_id_make(id, 1700000000, usec, 1);
		queue_dir(path, MAIL_QUEUE_DEFERRED, buf_str(id));
		assert_int_equal(buf_len(path), strlen("deferred/X"));
		counts[strtol(buf_str(path) + 9, NULL, 16)]++;
	}
	for (usec = 0; usec < 16; usec++)
		assert_int_equal(counts[usec], 1000);

	/* Bad queue names and IDs. */
	errno = 0;
	assert_null(queue_path(path, "../etc", buf_str(id)));
	assert_int_equal(errno, EINVAL);
	assert_null(queue_path(path, "", buf_str(id)));
	assert_null(queue_path(path, "Deferred", buf_str(id)));
	assert_null(queue_path(path, MAIL_QUEUE_DEFERRED, "../../etc/passwd"));
	assert_null(queue_dir(path, MAIL_QUEUE_DEFERRED, NULL));
	assert_true(queue_name_valid("saved"));
	assert_true(queue_name_valid("my_queue-2"));
	assert_false(queue_name_valid("a/b"));
	assert_false(queue_name_valid(NULL));
	assert_false(queue_name_valid("abcdefghijklmnopqrstuvwxyz0123456"));
	assert_true(queue_name_known(MAIL_QUEUE_CORRUPT));
	assert_false(queue_name_known("my_queue"));
	assert_false(queue_name_known(NULL));
	buf_free(id);
	buf_free(path);
	buf_free(want);
}

/* file_mode - permission bits of a path, -1 if absent */
static int
file_mode(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return (-1);
	return ((int) (st.st_mode & 07777));
}

/* count_prefix - files in a directory whose names start with prefix */
static int
count_prefix(const char *dir, const char *prefix)
{
	struct queue_scan *scan = queue_scan_open(dir);
	struct buf *name = buf_new(32);
	int	count = 0;

	assert_non_null(scan);
	queue_scan_junk(scan, true);
	while (queue_scan_next(scan, name) != NULL)
		if (strncmp(buf_str(name), prefix, strlen(prefix)) == 0)
			count++;
	queue_scan_close(scan);
	buf_free(name);
	return (count);
}

/* test_create_commit - 0600 while written, 0700 when committed */
static void
test_create_commit(void **state)
{
	struct buf *id = buf_new(32);
	struct buf *path = buf_new(32);
	struct stat st;
	mode_t	old_umask;
	time_t	sec;
	long	usec;
	int	fd;

	(void) state;
	assert_int_equal(queue_mkdirs(MAIL_QUEUE_INCOMING, 0700), 0);
	assert_int_equal(queue_mkdirs(MAIL_QUEUE_INCOMING, 0700), 0);
	old_umask = umask(0277);		/* must not matter */
	assert_int_equal(queue_create(MAIL_QUEUE_INCOMING, id, &fd), 0);
	umask(old_umask);
	assert_true(queue_id_valid(buf_str(id)));
	queue_path(path, MAIL_QUEUE_INCOMING, buf_str(id));
	assert_int_equal(file_mode(buf_str(path)), 0600);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	/* The ID is the arrival time and the inode number. */
	assert_int_equal(fstat(fd, &st), 0);
	sec = queue_id_time(buf_str(id), &usec);
	queue_id_make(path, sec, usec, (uint64_t) st.st_ino);
	assert_string_equal(buf_str(path), buf_str(id));
	queue_path(path, MAIL_QUEUE_INCOMING, buf_str(id));
	assert_int_equal(write(fd, "data", 4), 4);
	assert_int_equal(queue_commit(fd, MAIL_QUEUE_INCOMING, buf_str(id)), 0);
	assert_int_equal(file_mode(buf_str(path)), 0700);
	close(fd);
	assert_int_equal(count_prefix(MAIL_QUEUE_INCOMING, QUEUE_TEMP_PREFIX), 0);

	/* Hashed queue: the hash directory appears on demand. */
	assert_int_equal(queue_set_hash(2, "deferred"), 0);
	assert_int_equal(mkdir(MAIL_QUEUE_DEFERRED, 0750), 0);
	assert_int_equal(queue_create(MAIL_QUEUE_DEFERRED, id, &fd), 0);
	queue_dir(path, MAIL_QUEUE_DEFERRED, buf_str(id));
	assert_int_equal(file_mode(buf_str(path)), 0750);
	assert_int_equal(queue_commit(fd, MAIL_QUEUE_DEFERRED, buf_str(id)), 0);
	queue_path(path, MAIL_QUEUE_DEFERRED, buf_str(id));
	assert_int_equal(file_mode(buf_str(path)), 0700);
	close(fd);

	/* Errors. */
	assert_int_equal(queue_create("nonexistent", id, &fd), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(queue_create("../etc", id, &fd), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(queue_commit(-1, MAIL_QUEUE_INCOMING, buf_str(id)), -1);
	assert_int_equal(queue_commit(0, MAIL_QUEUE_INCOMING, "bad/id"), -1);
	buf_free(id);
	buf_free(path);
}

/* test_mkdirs - every hash directory, nothing more */
static void
test_mkdirs(void **state)
{
	(void) state;
	assert_int_equal(queue_set_hash(2, "defer"), 0);
	assert_int_equal(queue_mkdirs(MAIL_QUEUE_DEFER, 0700), 0);
	assert_int_equal(file_mode("defer/0/0"), 0700);
	assert_int_equal(file_mode("defer/F/F"), 0700);
	assert_int_equal(file_mode("defer/A/7"), 0700);
	assert_int_equal(file_mode("defer/G"), -1);
	assert_int_equal(file_mode("defer/0/0/0"), -1);
	assert_int_equal(queue_mkdirs("a/b", 0700), -1);
	assert_int_equal(errno, EINVAL);
}

/* test_move_remove - moves between flat and hashed queues */
static void
test_move_remove(void **state)
{
	struct buf *id = buf_new(32);
	struct buf *path = buf_new(32);
	struct stat st;
	int	fd;

	(void) state;
	assert_int_equal(queue_set_hash(2, "deferred"), 0);
	assert_int_equal(queue_mkdirs(MAIL_QUEUE_INCOMING, 0700), 0);
	assert_int_equal(mkdir(MAIL_QUEUE_DEFERRED, 0700), 0);
	assert_int_equal(mkdir(MAIL_QUEUE_ACTIVE, 0700), 0);
	assert_int_equal(queue_create(MAIL_QUEUE_INCOMING, id, &fd), 0);
	assert_int_equal(queue_commit(fd, MAIL_QUEUE_INCOMING, buf_str(id)), 0);
	close(fd);
	assert_int_equal(queue_move(buf_str(id), MAIL_QUEUE_INCOMING, MAIL_QUEUE_DEFERRED), 0);
	queue_path(path, MAIL_QUEUE_DEFERRED, buf_str(id));
	assert_int_equal(file_mode(buf_str(path)), 0700);
	assert_int_equal(queue_touch(MAIL_QUEUE_DEFERRED, buf_str(id), 2000000000), 0);
	assert_int_equal(stat(buf_str(path), &st), 0);
	assert_int_equal(st.st_mtime, 2000000000);
	fd = queue_open(MAIL_QUEUE_DEFERRED, buf_str(id), O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(queue_move(buf_str(id), MAIL_QUEUE_DEFERRED, MAIL_QUEUE_ACTIVE), 0);
	assert_int_equal(file_mode(buf_str(path)), -1);

	/* A file that is not there. */
	errno = 0;
	assert_int_equal(queue_move(buf_str(id), MAIL_QUEUE_DEFERRED, MAIL_QUEUE_ACTIVE), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(queue_move(buf_str(id), MAIL_QUEUE_INCOMING, MAIL_QUEUE_DEFERRED), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(queue_open(MAIL_QUEUE_DEFERRED, buf_str(id), O_RDONLY), -1);
	assert_int_equal(queue_touch(MAIL_QUEUE_DEFERRED, buf_str(id), 1), -1);
	assert_int_equal(queue_move("../../etc/passwd", MAIL_QUEUE_ACTIVE, MAIL_QUEUE_DEFERRED), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(queue_move(buf_str(id), MAIL_QUEUE_ACTIVE, "../x"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(queue_remove(MAIL_QUEUE_ACTIVE, "../../etc/passwd"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(queue_open(MAIL_QUEUE_ACTIVE, "..", O_RDONLY), -1);

	assert_int_equal(queue_remove(MAIL_QUEUE_ACTIVE, buf_str(id)), 0);
	assert_int_equal(queue_remove(MAIL_QUEUE_ACTIVE, buf_str(id)), -1);
	assert_int_equal(errno, ENOENT);
	buf_free(id);
	buf_free(path);
}

/* test_scan - all files of a hashed queue, junk skipped */
static void
test_scan(void **state)
{
	enum { COUNT = 300 };
	struct htable *seen = htable_new(COUNT);
	struct queue_scan *scan;
	struct buf *id = buf_new(32);
	struct buf *path = buf_new(32);
	int	fd, i, found = 0, junk = 0;

	(void) state;
	assert_int_equal(queue_set_hash(2, "deferred"), 0);
	assert_int_equal(mkdir(MAIL_QUEUE_DEFERRED, 0700), 0);
	for (i = 0; i < COUNT; i++) {
		assert_int_equal(queue_create(MAIL_QUEUE_DEFERRED, id, &fd), 0);
		close(fd);
		assert_null(htable_enter(seen, buf_str(id), NULL));
	}
	/* Junk: temporary file, stray names, a symlink, a non-hash dir. */
	close(open("deferred/tmp.123.4", O_CREAT | O_WRONLY, 0600));
	close(open("deferred/README", O_CREAT | O_WRONLY, 0600));
	assert_int_equal(symlink("/etc/passwd", "deferred/00000000001"), 0);
	assert_int_equal(mkdir("deferred/zz", 0700), 0);
	close(open("deferred/zz/00000000002", O_CREAT | O_WRONLY, 0600));
	/* A file left in a flat layout by an older hash setting. */
	queue_id_make(id, 1, 0, 3);
	buf_printf(path, "deferred/%s", buf_str(id));
	close(open(buf_str(path), O_CREAT | O_WRONLY, 0600));
	assert_null(htable_enter(seen, buf_str(id), NULL));

	assert_non_null(scan = queue_scan_open(MAIL_QUEUE_DEFERRED));
	while (queue_scan_next(scan, id) != NULL) {
		if (htable_locate(seen, buf_str(id)) == NULL)
			fail_msg("unexpected %s", queue_scan_path(scan));
		htable_delete(seen, buf_str(id), NULL);
		assert_int_equal(access(queue_scan_path(scan), F_OK), 0);
		assert_non_null(strstr(queue_scan_path(scan), buf_str(id)));
		found++;
	}
	assert_int_equal(errno, 0);
	assert_int_equal(found, COUNT + 1);
	assert_int_equal(htable_count(seen), 0);
	queue_scan_close(scan);

	assert_non_null(scan = queue_scan_open(MAIL_QUEUE_DEFERRED));
	queue_scan_junk(scan, true);
	while (queue_scan_next(scan, id) != NULL)
		if (!queue_id_valid(buf_str(id)))
			junk++;
	assert_int_equal(junk, 2);
	queue_scan_close(scan);

	errno = 0;
	assert_null(queue_scan_open("nonexistent"));
	assert_int_equal(errno, ENOENT);
	assert_null(queue_scan_open("../etc"));
	assert_int_equal(errno, EINVAL);
	queue_scan_close(NULL);
	htable_free(seen, NULL);
	buf_free(id);
	buf_free(path);
}

/* test_concurrent_create - two processes never collide */
static void
test_concurrent_create(void **state)
{
	enum { PER_CHILD = 500, CHILDREN = 2 };
	struct queue_scan *scan;
	struct buf *id = buf_new(32);
	pid_t	pids[CHILDREN];
	int	i, j, fd, status, count = 0;

	(void) state;
	assert_int_equal(queue_mkdirs(MAIL_QUEUE_MAILDROP, 0730), 0);
	for (i = 0; i < CHILDREN; i++) {
		assert_true((pids[i] = fork()) >= 0);
		if (pids[i] == 0) {
			for (j = 0; j < PER_CHILD; j++) {
				if (queue_create(MAIL_QUEUE_MAILDROP, id, &fd) < 0)
					_exit(1);
				close(fd);
			}
			_exit(0);
		}
	}
	for (i = 0; i < CHILDREN; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_non_null(scan = queue_scan_open(MAIL_QUEUE_MAILDROP));
	while (queue_scan_next(scan, id) != NULL)
		count++;
	queue_scan_close(scan);
	/* File names are unique by construction: count them all. */
	assert_int_equal(count, PER_CHILD * CHILDREN);
	assert_int_equal(count_prefix(MAIL_QUEUE_MAILDROP, QUEUE_TEMP_PREFIX), 0);
	buf_free(id);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_unique_sorted),
		cmocka_unit_test(test_id_order),
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_create, setup, teardown),
	};

	return (cmocka_run_group_tests_name("queue", tests, NULL, NULL));
}
