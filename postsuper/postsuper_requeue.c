/*
 * NAME
 *	postsuper_requeue - turn a queue file into a maildrop file
 * SYNOPSIS
 *	#include "postsuper.h"
 * DESCRIPTION
 *	See postsuper.h. Postfix moves a requeued file into maildrop as it
 *	is; Postern's pickup accepts only postdrop's format, so the message
 *	is copied into a new maildrop file instead, and the caller removes
 *	the original only after the copy is committed. A crash in between
 *	leaves either nothing new (an incomplete 0600 maildrop file that
 *	pickup ignores and postsuper -p removes) or both files, never none.
 *
 *	What is not carried over: recipients already done, the priority
 *	class (cleanup assigns it again), the SMTP client attributes of the
 *	first submission and DSN ORCPT parameters (maildrop files have no
 *	place for them).
 * SEE ALSO
 *	maildrop(3), pickup(8)
 */
#include <util/sys_defs.h>
#include <sys/time.h>
#include <fcntl.h>
#include <unistd.h>
#include <util/msg.h>
#include <global/mail_proto.h>
#include <global/maildrop.h>
#include <global/queue.h>
#include <global/record.h>

#include "postsuper.h"

 /*
  * The copy in progress: every record goes through the maildrop checker
  * before it is written.
  */
struct ps_copy {
	struct maildrop_check mc;
	struct rec_io *out;
	struct buf *why;
	struct buf *data;
	const char *new_id;		/* maildrop file being written */
};

/* ps_put - check one record against maildrop(3), then write it */

static int
ps_put(struct ps_copy *cp, int type, const char *data, size_t len)
{
	if (maildrop_check_record(&cp->mc, type, data, len, cp->why) < 0)
		return (-1);
	if (rec_put(cp->out, type, data, len) < 0) {
		buf_printf(cp->why, "write: %s", rec_error(cp->out));
		return (-1);
	}
	return (0);
}

/* ps_put_str - the same for a string */

static int
ps_put_str(struct ps_copy *cp, int type, const char *str)
{
	return (ps_put(cp, type, str, strlen(str)));
}

/* ps_copy_attrs - the attributes maildrop files carry */

static int
ps_copy_attrs(struct ps_copy *cp, const struct qfile_envelope *env)
{
	static const char *const names[] = {
		MAIL_ATTR_DSN_ENVID, MAIL_ATTR_DSN_RET, MAIL_ATTR_ENCODING, NULL,
	};
	const char *value;
	int	i;

	for (i = 0; names[i]; i++) {
		if ((value = qfile_envelope_attr(env, names[i])) == NULL)
			continue;
		buf_printf(cp->data, "%s=%s", names[i], value);
		if (ps_put_str(cp, REC_TYPE_ATTR, buf_str(cp->data)) < 0)
			return (-1);
	}
	return (0);
}

/* ps_copy_envelope - TIME, FULL, FROM, ATTR, recipient groups, MESG */

static int
ps_copy_envelope(struct ps_copy *cp, const struct qfile_envelope *env)
{
	struct timeval tv;
	size_t	i;

	gettimeofday(&tv, NULL);
	buf_printf(cp->data, "%lld %ld", (long long) tv.tv_sec, (long) tv.tv_usec);
	if (ps_put_str(cp, REC_TYPE_TIME, buf_str(cp->data)) < 0)
		return (-1);
	if (env->full_name && ps_put_str(cp, REC_TYPE_FULL, env->full_name) < 0)
		return (-1);
	if (ps_put_str(cp, REC_TYPE_FROM, env->sender) < 0
	    || ps_copy_attrs(cp, env) < 0)
		return (-1);
	for (i = 0; i < env->rcpt_count; i++) {
		const struct qfile_rcpt *rcpt = env->rcpts + i;

		if (rcpt->is_done)
			continue;
		if (rcpt->orig && ps_put_str(cp, REC_TYPE_ORCP, rcpt->orig) < 0)
			return (-1);
		buf_printf(cp->data, "%d", rcpt->notify);
		if (rcpt->notify && ps_put_str(cp, REC_TYPE_NTFY, buf_str(cp->data)) < 0)
			return (-1);
		if (ps_put_str(cp, REC_TYPE_RCPT, rcpt->address) < 0)
			return (-1);
	}
	return (ps_put(cp, REC_TYPE_MESG, "", 0));
}

/* ps_copy_content - the content records, re-cut to maildrop's limit */

static int
ps_copy_content(struct ps_copy *cp, int fd, const struct qfile_envelope *env)
{
	struct rec_io *in = rec_open(fd, REC_READ);
	int	type, status = -1;
	size_t	off, chunk;

	if (rec_seek(in, env->mesg_offset) < 0
	    || rec_get(in, cp->data, REC_ENVELOPE_LIMIT, NULL) != REC_TYPE_MESG) {
		buf_printf(cp->why, "cannot find the message content");
		(void) rec_close(in);
		return (-1);
	}
	while ((type = rec_get(in, cp->data, REC_LEN_MAX, NULL)) == REC_TYPE_NORM
	       || type == REC_TYPE_CONT) {
		for (off = 0; buf_len(cp->data) - off > MAILDROP_LINE_LIMIT; off += chunk) {
			chunk = MAILDROP_LINE_LIMIT;
			if (ps_put(cp, REC_TYPE_CONT, buf_str(cp->data) + off, chunk) < 0)
				goto out;
		}
		if (ps_put(cp, type, buf_str(cp->data) + off, buf_len(cp->data) - off) < 0)
			goto out;
	}
	if (type != REC_TYPE_XTRA)
		buf_printf(cp->why, "content does not end with an extracted segment");
	else
		status = 0;
out:
	(void) rec_close(in);
	return (status);
}

/* ps_copy_file - write the maildrop file; the caller cleans up */

static int
ps_copy_file(struct ps_copy *cp, int fd, int out_fd)
{
	struct qfile_envelope env;
	int	status = -1;

	qfile_envelope_init(&env);
	if (rec_check_file(fd, cp->why) < 0) {
		buf_printf(cp->data, "corrupt queue file: %s", buf_str(cp->why));
		buf_cpy(cp->why, buf_str(cp->data));
	} else if (qfile_read_envelope(fd, &env, cp->why) == 0
		   && ps_copy_envelope(cp, &env) == 0
		   && ps_copy_content(cp, fd, &env) == 0
		   && ps_put(cp, REC_TYPE_XTRA, "", 0) == 0
		   && ps_put(cp, REC_TYPE_END, "", 0) == 0
		   && maildrop_check_eof(&cp->mc, cp->why) == 0) {
		if (rec_close(cp->out) < 0)
			buf_printf(cp->why, "write maildrop file: %m");
		else if (queue_commit(out_fd, MAIL_QUEUE_MAILDROP, cp->new_id) < 0)
			buf_printf(cp->why, "commit maildrop file: %m");
		else
			status = 0;
		cp->out = NULL;
	}
	qfile_envelope_free(&env);
	return (status);
}

/* postsuper_requeue_file - copy a queue file into maildrop */

int
postsuper_requeue_file(const char *path, struct buf *new_id, struct buf *why)
{
	struct ps_copy copy;
	int	fd, out_fd, status;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		buf_printf(why, "open %s: %m", path);
		return (-1);
	}
	if (queue_create(MAIL_QUEUE_MAILDROP, new_id, &out_fd) < 0) {
		buf_printf(why, "create a maildrop file: %m");
		(void) close(fd);
		return (-1);
	}
	memset(&copy, 0, sizeof(copy));
	maildrop_check_init(&copy.mc, 1);
	copy.out = rec_open(out_fd, REC_WRITE);
	copy.why = why;
	copy.data = buf_new(256);
	copy.new_id = buf_str(new_id);
	status = ps_copy_file(&copy, fd, out_fd);
	if (copy.out)
		(void) rec_close(copy.out);
	if (status < 0 && queue_remove(MAIL_QUEUE_MAILDROP, buf_str(new_id)) < 0)
		msg_warn("remove %s/%s: %m", MAIL_QUEUE_MAILDROP, buf_str(new_id));
	(void) close(out_fd);
	(void) close(fd);
	buf_free(copy.data);
	return (status);
}
