/*
 * NAME
 *	cleanup_test - helpers shared by the cleanup unit tests
 * DESCRIPTION
 *	See cleanup_test.h. Compiled into each test through #include,
 *	because every tests/unit/<dir>/test_*.c is its own program.
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <global/params.h>
#include <global/queue.h>
#include <global/record.h>

#include <fcntl.h>
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup/cleanup.h"
#include "cleanup_test.h"

static char ct_dir[256];
static char ct_old_dir[1024];
static struct buf *ct_log_buf;

/* ct_capture - keep log lines */
static void
ct_capture(enum msg_level level, const char *text, void *ctx)
{
	(void) level;
	(void) ctx;
	buf_cat(ct_log_buf, text);
	buf_cat(ct_log_buf, "\n");
}

/* ct_override - a parameter setting that must work */
void
ct_override(const char *name_eq_value)
{
	struct buf *why = buf_new(64);

	if (params_override(name_eq_value, why) < 0)
		fail_msg("override %s: %s", name_eq_value, buf_str(why));
	buf_free(why);
	cleanup_virtual_init();
}

/* ct_setup - fresh queue directory and parameters */
int
ct_setup(void **state)
{
	(void) state;
	if (getcwd(ct_old_dir, sizeof(ct_old_dir)) == 0)
		return (-1);
	snprintf(ct_dir, sizeof(ct_dir), "/tmp/test_cleanup.XXXXXX");
	if (mkdtemp(ct_dir) == 0 || chdir(ct_dir) < 0)
		return (-1);
	if (mkdir("incoming", 0700) < 0 || mkdir("hold", 0700) < 0
	    || mkdir("public", 0700) < 0)
		return (-1);
	params_reset_defaults();
	ct_override("myhostname=test.example");
	ct_override("queue_directory=/nonexistent");
	queue_set_hash(1, "deferred, defer");
	if (ct_log_buf == 0)
		ct_log_buf = buf_new(1024);
	buf_reset(ct_log_buf);
	msg_set_capture(ct_capture, NULL);
	msg_to_stderr(MSG_STDERR_OFF);
	return (0);
}

/* ct_teardown - remove the directory */
int
ct_teardown(void **state)
{
	char	cmd[512];

	(void) state;
	msg_set_capture(NULL, NULL);
	if (chdir(ct_old_dir) < 0)
		return (-1);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ct_dir);
	return (system(cmd) == 0 ? 0 : -1);
}

/* ct_feed - one text record */
void
ct_feed(struct cleanup_state *st, int type, const char *text)
{
	cleanup_input(st, type, text, strlen(text));
}

/* ct_envelope - sender and one recipient (rcpt may be NULL) */
void
ct_envelope(struct cleanup_state *st, const char *sender, const char *rcpt)
{
	ct_feed(st, REC_TYPE_FROM, sender);
	if (rcpt)
		ct_feed(st, REC_TYPE_RCPT, rcpt);
}

/* ct_message - a whole message up to and including END */
struct cleanup_state *
ct_message(int flags, const char *sender, const char *rcpt, const char **lines)
{
	struct cleanup_state *st = cleanup_state_new(flags);

	assert_int_equal(cleanup_out_open(st), 0);
	ct_envelope(st, sender, rcpt);
	ct_feed(st, REC_TYPE_MESG, "");
	for (; *lines; lines++)
		ct_feed(st, REC_TYPE_NORM, *lines);
	ct_feed(st, REC_TYPE_XTRA, "");
	ct_feed(st, REC_TYPE_END, "");
	return (st);
}

/* ct_finish - as cleanup does at END: commit or remove */
int
ct_finish(struct cleanup_state *st)
{
	int	status = cleanup_out_finish(st);

	if (status < 0)
		cleanup_out_remove(st);
	return (status);
}

/* ct_load - read a queue file back */
struct ct_file *
ct_load(const char *queue, const char *id)
{
	struct ct_file *qf = xcalloc(1, sizeof(*qf));
	struct buf *path = buf_new(64);
	struct buf *data = buf_new(256);
	struct rec_io *rp;
	struct stat st;
	int	fd, type;

	queue_path(path, queue, id);
	if ((fd = open(buf_str(path), O_RDONLY)) < 0)
		fail_msg("open %s: %s", buf_str(path), strerror(errno));
	assert_int_equal(fstat(fd, &st), 0);
	qf->mode = (int) (st.st_mode & 07777);
	qf->why = buf_new(64);
	qf->check = rec_check_file(fd, qf->why);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	rp = rec_open(fd, REC_READ);
	while ((type = rec_get(rp, data, REC_LEN_MAX, NULL)) >= 0
	       && qf->count < CT_MAX_RECORDS) {
		qf->type[qf->count] = type;
		qf->len[qf->count] = buf_len(data);
		qf->data[qf->count++] = xmemdup(buf_str(data), buf_len(data) + 1);
	}
	(void) rec_close(rp);
	close(fd);
	buf_free(data);
	buf_free(path);
	return (qf);
}

/* ct_free - release a loaded file */
void
ct_free(struct ct_file *qf)
{
	int	i;

	for (i = 0; i < qf->count; i++)
		free(qf->data[i]);
	buf_free(qf->why);
	free(qf);
}

/* ct_find - index of the first record of type with data, or -1 */
int
ct_find(const struct ct_file *qf, int type, const char *data)
{
	int	i;

	for (i = 0; i < qf->count; i++)
		if (qf->type[i] == type && strcmp(qf->data[i], data) == 0)
			return (i);
	return (-1);
}

/* ct_count - number of records of a type */
int
ct_count(const struct ct_file *qf, int type)
{
	int	i, n = 0;

	for (i = 0; i < qf->count; i++)
		n += (qf->type[i] == type);
	return (n);
}

/* ct_logged - was text logged? */
int
ct_logged(const char *text)
{
	return (strstr(buf_str(ct_log_buf), text) != 0);
}

/* ct_log - everything logged so far */
const char *
ct_log(void)
{
	return (buf_str(ct_log_buf));
}
