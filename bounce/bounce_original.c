/*
 * NAME
 *	bounce_original - read the message a notification is about
 * SYNOPSIS
 *	#include "bounce.h"
 *
 *	int	bounce_original_load(const char *queue_name, const char *id,
 *			int want, long size_limit, long header_limit,
 *			struct qfile_envelope *env,
 *			struct bounce_original *orig, struct buf *why);
 *	void	bounce_original_free(struct bounce_original *orig);
 * DESCRIPTION
 *	bounce_original_load() reads the envelope of QUEUE/ID (arrival
 *	time, recipients with their original addresses and DSN ORCPT) and
 *	the content segment, joining the pieces of long lines. As Postfix
 *	does, only the headers are kept when want is BOUNCE_RETURN_HEADERS
 *	or the content is larger than size_limit, so the MIME structure of
 *	a large message is never cut in half; headers stop at header_limit
 *	bytes. orig->ret says which was done.
 * DIAGNOSTICS
 *	-1 with errno and a reason in why for a file that cannot be opened
 *	or is damaged.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <unistd.h>
#include <util/argv.h>
#include <util/buf.h>
#include <global/queue.h>
#include <global/record.h>

#include "bounce.h"

/* bounce_original_free - release the lines */
void
bounce_original_free(struct bounce_original *orig)
{
	if (orig->lines)
		argv_free(orig->lines);
	memset(orig, 0, sizeof(*orig));
}

/* bounce_original_content - read content records into lines */
static int
bounce_original_content(int fd, const struct qfile_envelope *env,
			        struct bounce_original *orig, long header_limit,
			        struct buf *why)
{
	struct rec_io *rp;
	struct buf *data = buf_new(256);
	struct buf *line = buf_new(256);
	int	in_headers = 1;
	long	header_bytes = 0;
	int	type;
	int	ret = -1;

	if (lseek(fd, env->mesg_offset, SEEK_SET) < 0) {
		buf_printf(why, "seek: %m");
		goto out;
	}
	rp = rec_open(fd, REC_READ);
	if ((type = rec_get(rp, data, REC_ENVELOPE_LIMIT, NULL)) != REC_TYPE_MESG) {
		buf_printf(why, "no message content record at offset %lld",
			   (long long) env->mesg_offset);
		errno = EINVAL;
		(void) rec_close(rp);
		goto out;
	}
	while ((type = rec_get(rp, data, REC_LEN_MAX, NULL)) == REC_TYPE_NORM
	       || type == REC_TYPE_CONT) {
		buf_catn(line, buf_str(data), buf_len(data));
		if (orig->ret == BOUNCE_RETURN_HEADERS && (long) buf_len(line) > header_limit)
			break;
		if (type == REC_TYPE_CONT)
			continue;
		if (in_headers && buf_len(line) == 0) {
			in_headers = 0;
			if (orig->ret == BOUNCE_RETURN_HEADERS)
				break;
		}
		if (in_headers && orig->ret == BOUNCE_RETURN_HEADERS
		    && (header_bytes += (long) buf_len(line) + 1) > header_limit)
			break;
		argv_add(orig->lines, buf_str(line));
		if (in_headers)
			orig->header_count = orig->lines->argc;
		buf_reset(line);
	}
	if (type != REC_TYPE_NORM && type != REC_TYPE_CONT && type != REC_TYPE_XTRA) {
		buf_printf(why, "content: %s", rec_error(rp) ? rec_error(rp) : "unexpected record");
		errno = EINVAL;
		(void) rec_close(rp);
		goto out;
	}
	(void) rec_close(rp);
	ret = 0;
out:
	buf_free(data);
	buf_free(line);
	return (ret);
}

/* bounce_original_load - envelope and content of QUEUE/ID */
int
bounce_original_load(const char *queue_name, const char *id, int want,
		             long size_limit, long header_limit,
		             struct qfile_envelope *env,
		             struct bounce_original *orig, struct buf *why)
{
	struct buf *path = buf_new(64);
	int	fd;
	int	saved;
	int	ret = -1;

	memset(orig, 0, sizeof(*orig));
	orig->lines = argv_new(32);
	if (queue_path(path, queue_name, id) == NULL) {
		buf_printf(why, "bad queue name or ID: %s/%s", queue_name, id);
		goto out;
	}
	if ((fd = open(buf_str(path), O_RDONLY | O_CLOEXEC)) < 0) {
		buf_printf(why, "open %s: %m", buf_str(path));
		goto out;
	}
	if (qfile_read_envelope(fd, env, why) == 0) {
		orig->ret = (want == BOUNCE_RETURN_FULL && env->size <= size_limit)
			? BOUNCE_RETURN_FULL : BOUNCE_RETURN_HEADERS;
		if (bounce_original_content(fd, env, orig, header_limit, why) == 0) {
			orig->is_available = 1;
			ret = 0;
		}
	}
	saved = errno;
	(void) close(fd);
	errno = saved;
out:
	buf_free(path);
	return (ret);
}
