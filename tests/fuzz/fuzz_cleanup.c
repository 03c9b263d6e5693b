/*
 * NAME
 *	fuzz_cleanup - libFuzzer target for the cleanup daemon's input
 * SYNOPSIS
 *	build/fuzz/bin/fuzz_cleanup [libFuzzer options] [corpus...]
 * DESCRIPTION
 *	cleanup is where message content from SMTP clients and local users
 *	is parsed (headers, recipients for sendmail -t, hop counts) and
 *	turned into a queue file. This target plays a cleanup client:
 *	bytes 0 and 1 hold the processing flags (little-endian, masked
 *	with CLEANUP_FLAG_MASK), the rest is a sequence of records, each a type byte, a length byte
 *	(255: two more bytes, big-endian, follow) and that much data (less
 *	at the end of the input). The records go to cleanup_input() as
 *	cleanup_service() would pass them; after END the message is
 *	finished as cleanup_service() does (discard, commit, or bounce to
 *	the sender when the client asked for that), otherwise it is removed
 *	as for a client that went away.
 *
 *	The queue lives in a temporary directory (under /dev/shm when
 *	possible, so that fsync() is cheap) named after the process ID;
 *	one left behind by a crashed run is removed by the next. The
 *	process enters it for each input and leaves it afterwards, so
 *	libFuzzer's own paths keep working.
 *
 *	Invariants checked besides memory safety: every file cleanup leaves
 *	in the incoming or hold queue (the message, or a bounce it queued)
 *	passes rec_check_file() and qfile_read_envelope() and has at least
 *	one recipient; a failed message leaves no file behind and has a
 *	reason.
 * SEE ALSO
 *	cleanup(8), cleanup/cleanup.h, tests/fuzz/corpus/fuzz_cleanup,
 *	docs/fuzzing.md
 */
#include <util/sys_defs.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <util/alloc.h>
#include <global/cleanup_client.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include <global/queue.h>
#include <global/record.h>
#include "cleanup/cleanup.h"
#include "fuzz_util.h"

static char fuzz_cleanup_dir[4096];
static int fuzz_cleanup_dirfd = -1;
static int fuzz_cleanup_home = -1;

/* fuzz_cleanup_unlink - nftw() callback: remove one entry */
static int
fuzz_cleanup_unlink(const char *path, const struct stat *st, int flag,
		            struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return (remove(path) < 0 ? -1 : 0);
}

/* fuzz_cleanup_exit - remove the queue directory at exit */
static void
fuzz_cleanup_exit(void)
{
	if (fuzz_cleanup_dir[0])
		(void) nftw(fuzz_cleanup_dir, fuzz_cleanup_unlink, 16,
			    FTW_DEPTH | FTW_PHYS);
}

/* fuzz_cleanup_stale - remove directories of fuzzers that crashed */
static void
fuzz_cleanup_stale(const char *base)
{
	DIR    *dir = opendir(base);
	struct dirent *dp;
	struct buf *path = buf_new(100);
	int	pid;

	while (dir != NULL && (dp = readdir(dir)) != NULL) {
		if (sscanf(dp->d_name, "fuzz_cleanup.%d.", &pid) == 1 && pid > 0
		    && kill(pid, 0) < 0 && errno == ESRCH) {
			buf_printf(path, "%s/%s", base, dp->d_name);
			(void) nftw(buf_str(path), fuzz_cleanup_unlink, 16,
				    FTW_DEPTH | FTW_PHYS);
		}
	}
	if (dir != NULL)
		closedir(dir);
	buf_free(path);
}

/* fuzz_cleanup_queue - a fresh queue directory */
static void
fuzz_cleanup_queue(void)
{
	const char *tmp = getenv("TMPDIR");
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm"
	: tmp && *tmp ? tmp : "/tmp";

	/* A crash skips the exit handler; the next run cleans up. */
	fuzz_cleanup_stale(base);
	snprintf(fuzz_cleanup_dir, sizeof(fuzz_cleanup_dir),
		 "%s/fuzz_cleanup.%ld.XXXXXX", base, (long) getpid());
	if (mkdtemp(fuzz_cleanup_dir) == NULL)
		fuzz_fail("mkdtemp %s: %s", fuzz_cleanup_dir, strerror(errno));
	atexit(fuzz_cleanup_exit);
	if ((fuzz_cleanup_dirfd = open(fuzz_cleanup_dir, O_RDONLY | O_DIRECTORY)) < 0
	    || (fuzz_cleanup_home = open(".", O_RDONLY | O_DIRECTORY)) < 0
	    || mkdirat(fuzz_cleanup_dirfd, MAIL_QUEUE_INCOMING, 0700) < 0
	    || mkdirat(fuzz_cleanup_dirfd, MAIL_QUEUE_HOLD, 0700) < 0
	    || mkdirat(fuzz_cleanup_dirfd, "public", 0700) < 0)
		fuzz_fail("queue directory %s: %s", fuzz_cleanup_dir, strerror(errno));
}

/* fuzz_cleanup_check_file - one queue file cleanup left behind */
static void
fuzz_cleanup_check_file(const char *path)
{
	struct qfile_envelope env;
	struct buf *why = buf_new(100);
	int	fd;

	if ((fd = open(path, O_RDONLY)) < 0)
		fuzz_fail("open %s: %s", path, strerror(errno));
	if (rec_check_file(fd, why) < 0)
		fuzz_fail("cleanup wrote a bad queue file %s: %s", path, buf_str(why));
	qfile_envelope_init(&env);
	if (qfile_read_envelope(fd, &env, why) < 0)
		fuzz_fail("queue file %s: envelope: %s", path, buf_str(why));
	if (env.rcpt_count == 0)
		fuzz_fail("queue file %s without recipients", path);
	qfile_envelope_free(&env);
	(void) close(fd);
	buf_free(why);
}

/* fuzz_cleanup_sweep - check and remove every file of a queue; count */
static int
fuzz_cleanup_sweep(const char *queue, bool check)
{
	DIR    *dir = opendir(queue);
	struct dirent *dp;
	struct buf *path = buf_new(100);
	int	count = 0;

	if (dir == NULL)
		fuzz_fail("opendir %s: %s", queue, strerror(errno));
	while ((dp = readdir(dir)) != NULL) {
		if (dp->d_name[0] == '.')
			continue;
		buf_printf(path, "%s/%s", queue, dp->d_name);
		if (check)
			fuzz_cleanup_check_file(buf_str(path));
		if (unlink(buf_str(path)) < 0)
			fuzz_fail("unlink %s: %s", buf_str(path), strerror(errno));
		count++;
	}
	closedir(dir);
	buf_free(path);
	return (count);
}

/*
 * fuzz_cleanup_records - feed the input as records
 *
 * Like cleanup_service(), which reads each record into a struct buf, pass
 * data with a null byte after it (it may contain null bytes, too).
 */
static void
fuzz_cleanup_records(struct cleanup_state *state, const uint8_t *data, size_t len)
{
	size_t	n, need;
	int	type;
	char   *copy;

	while (len >= 2 && state->phase != CLEANUP_PHASE_DONE) {
		type = data[0];
		need = data[1];
		n = 2;
		if (need == 255 && len >= 4) {
			need = ((size_t) data[2] << 8) | data[3];
			n = 4;
		}
		if (need > len - n)
			need = len - n;
		copy = xmalloc(need + 1);
		memcpy(copy, data + n, need);
		copy[need] = 0;
		cleanup_input(state, type, copy, need);
		free(copy);
		data += n + need;
		len -= n + need;
	}
}

/* fuzz_cleanup_done - finish as cleanup_service() does; files left */
static bool
fuzz_cleanup_done(struct cleanup_state *state)
{
	if (state->phase != CLEANUP_PHASE_DONE) {
		cleanup_out_remove(state);
		return (false);
	}
	if (state->errs == 0 && (state->flags & CLEANUP_FLAG_DISCARD)) {
		cleanup_out_remove(state);
		return (false);
	}
	if (state->errs == 0 && cleanup_out_finish(state) == 0)
		return (true);
	if (buf_len(state->reason) == 0)
		fuzz_fail("message failed (errs %#x) without a reason", state->errs);
	if ((state->flags & CLEANUP_FLAG_BOUNCE)
	    && (state->errs & CLEANUP_STAT_MASK_CANT_BOUNCE) == 0
	    && cleanup_bounce(state) == 0) {
		cleanup_out_remove(state);
		return (true);
	}
	cleanup_out_remove(state);
	return (false);
}

/* LLVMFuzzerInitialize - queue directory and parameters */
int	LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct buf *why = buf_new(100);

	(void) argc;
	(void) argv;
	fuzz_init();
	fuzz_cleanup_queue();
	params_reset_defaults();
	if (params_override("myhostname=fuzz.example", why) < 0
	    || params_override("queue_directory=/nonexistent", why) < 0)
		fuzz_fail("params: %s", buf_str(why));
	if (queue_set_hash(1, "deferred, defer") < 0)
		fuzz_fail("queue_set_hash failed");
	cleanup_virtual_init();
	cleanup_priority_init();
	buf_free(why);
	return (0);
}

/* LLVMFuzzerTestOneInput - one client conversation */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct cleanup_state *state;
	bool	kept;
	int	files;

	if (len < 2)
		return (0);
	if (fchdir(fuzz_cleanup_dirfd) < 0)
		fuzz_fail("enter %s: %s", fuzz_cleanup_dir, strerror(errno));
	state = cleanup_state_new((data[0] | data[1] << 8) & CLEANUP_FLAG_MASK);
	if (cleanup_out_open(state) < 0)
		fuzz_fail("cleanup_out_open: %s", buf_str(state->reason));
	fuzz_cleanup_records(state, data + 2, len - 2);
	kept = fuzz_cleanup_done(state);
	cleanup_state_free(state);
	files = fuzz_cleanup_sweep(MAIL_QUEUE_INCOMING, true)
		+ fuzz_cleanup_sweep(MAIL_QUEUE_HOLD, true);
	if (!kept && files > 0)
		fuzz_fail("a refused message left %d queue files", files);
	(void) fuzz_cleanup_sweep("public", false);
	if (fchdir(fuzz_cleanup_home) < 0)
		fuzz_fail("leave %s: %s", fuzz_cleanup_dir, strerror(errno));
	return (0);
}
