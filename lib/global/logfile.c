/*
 * NAME
 *	logfile - per-message delivery logs: defer/ID, bounce/ID
 * DESCRIPTION
 *	See logfile.h. The reader keeps the entry being built in a struct
 *	logfile_entry and hands it to the caller at each empty line.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>
#include <util/alloc.h>
#include <util/msg.h>
#include <util/buf.h>
#include <util/stream.h>
#include <global/queue.h>
#include <global/logfile.h>

 /*
  * Reader state.
  */
struct logfile_reader {
	const char *name;		/* for diagnostics */
	long	line;			/* current line number */
	long	first_line;		/* of the entry being built */
	struct logfile_entry entry;
	int	has_any;		/* some line of an entry was seen */
	logfile_fn fn;
	void   *ctx;
	int	count;			/* entries passed on */
	int	stop;			/* fn asked to stop */
};

/* logfile_entry_init - empty entry */
void
logfile_entry_init(struct logfile_entry *entry)
{
	memset(entry, 0, sizeof(*entry));
	entry->offset = -1;
}

/* logfile_entry_free - release strings, leave the entry empty */
void
logfile_entry_free(struct logfile_entry *entry)
{
	free(entry->recipient);
	free(entry->orig_recipient);
	free(entry->status);
	free(entry->action);
	free(entry->reason);
	free(entry->relay);
	free(entry->diag_type);
	free(entry->diag_text);
	free(entry->mta_type);
	free(entry->mta_name);
	logfile_entry_init(entry);
}

/* logfile_set_str - replace a string member */
static void
logfile_set_str(char **member, const char *value, int strip_brackets)
{
	size_t	len = strlen(value);

	free(*member);
	if (strip_brackets && len >= 2 && value[0] == '<' && value[len - 1] == '>')
		*member = xstrndup(value + 1, len - 2);
	else
		*member = xstrdup(value);
}

/* logfile_parse_long - a decimal number, or -1 */
static int
logfile_parse_long(const char *value, long min, long *out)
{
	char   *end;
	long	n;

	if (*value == 0 || (*value == '-' && min >= 0))
		return (-1);
	errno = 0;
	n = strtol(value, &end, 10);
	if (errno != 0 || *end != 0 || n < min)
		return (-1);
	*out = n;
	return (0);
}

/* logfile_store_number - offset, dsn_notify, time */
static int
logfile_store_number(struct logfile_entry *entry, const char *name,
		             const char *value)
{
	long	n;

	if (logfile_parse_long(value, strcmp(name, LOGFILE_ATTR_OFFSET) == 0 ? -1 : 0,
			       &n) < 0)
		return (-1);
	if (strcmp(name, LOGFILE_ATTR_OFFSET) == 0)
		entry->offset = n;
	else if (strcmp(name, LOGFILE_ATTR_NOTIFY) == 0) {
		if (n > INT_MAX)
			return (-1);
		entry->dsn_notify = (int) n;
	} else
		entry->time = (time_t) n;
	return (0);
}

 /*
  * Names of string members, and where they go.
  */
struct logfile_field {
	const char *name;
	size_t	member;			/* offsetof the char * */
	int	strip_brackets;
};

static const struct logfile_field logfile_fields[] = {
	{LOGFILE_ATTR_RCPT, offsetof(struct logfile_entry, recipient), 1},
	{LOGFILE_ATTR_ORCPT, offsetof(struct logfile_entry, orig_recipient), 1},
	{LOGFILE_ATTR_STATUS, offsetof(struct logfile_entry, status), 0},
	{LOGFILE_ATTR_ACTION, offsetof(struct logfile_entry, action), 0},
	{LOGFILE_ATTR_REASON, offsetof(struct logfile_entry, reason), 0},
	{LOGFILE_ATTR_RELAY, offsetof(struct logfile_entry, relay), 0},
	{LOGFILE_ATTR_DTYPE, offsetof(struct logfile_entry, diag_type), 0},
	{LOGFILE_ATTR_DTEXT, offsetof(struct logfile_entry, diag_text), 0},
	{LOGFILE_ATTR_MTYPE, offsetof(struct logfile_entry, mta_type), 0},
	{LOGFILE_ATTR_MNAME, offsetof(struct logfile_entry, mta_name), 0},
};

/* logfile_store - one name=value line into the entry */
static void
logfile_store(struct logfile_reader *rd, char *line)
{
	char   *eq = strchr(line, '=');
	const char *value;
	size_t	i;

	if (eq == NULL || eq == line) {
		msg_warn("%s, line %ld: %s; line ignored", rd->name, rd->line,
			 eq ? "missing name before '='" : "missing '='");
		return;
	}
	*eq = 0;
	value = eq + 1;
	rd->has_any = 1;
	for (i = 0; i < ARRAY_LEN(logfile_fields); i++) {
		if (strcmp(line, logfile_fields[i].name) == 0) {
			logfile_set_str((char **) ((char *) &rd->entry + logfile_fields[i].member),
					value, logfile_fields[i].strip_brackets);
			return;
		}
	}
	if (strcmp(line, LOGFILE_ATTR_OFFSET) == 0 || strcmp(line, LOGFILE_ATTR_NOTIFY) == 0
	    || strcmp(line, LOGFILE_ATTR_TIME) == 0) {
		if (logfile_store_number(&rd->entry, line, value) < 0)
			msg_warn("%s, line %ld: bad %s value \"%s\"; line ignored",
				 rd->name, rd->line, line, value);
	}
	/* Other names: a newer writer's additions. */
}

/* logfile_finish_entry - hand a complete entry to the caller */
static void
logfile_finish_entry(struct logfile_reader *rd)
{
	if (rd->has_any) {
		if (rd->entry.recipient == NULL || *rd->entry.recipient == 0) {
			msg_warn("%s, line %ld: entry without recipient; entry ignored",
				 rd->name, rd->first_line);
		} else {
			rd->count++;
			if (rd->fn(&rd->entry, rd->ctx) != 0)
				rd->stop = 1;
		}
	}
	logfile_entry_free(&rd->entry);
	rd->has_any = 0;
}

/* logfile_skip_rest - discard the rest of an over-long line */
static int
logfile_skip_rest(struct stream *stream, struct buf *line)
{
	int	how;

	while ((how = stream_get_line(stream, line, LOGFILE_LINE_LIMIT)) == STREAM_LINE_PARTIAL)
		 /* void */ ;
	return (how);
}

/* logfile_parse - read entries from an open stream */
int
logfile_parse(struct stream *stream, const char *name, logfile_fn fn, void *ctx)
{
	struct logfile_reader rd;
	struct buf *line = buf_new(256);
	int	how;

	memset(&rd, 0, sizeof(rd));
	rd.name = name;
	rd.fn = fn;
	rd.ctx = ctx;
	logfile_entry_init(&rd.entry);
	while (!rd.stop && (how = stream_get_line(stream, line, LOGFILE_LINE_LIMIT)) != STREAM_LINE_EOF) {
		rd.line++;
		if (how == STREAM_LINE_PARTIAL) {
			msg_warn("%s, line %ld: line longer than %d bytes; line ignored",
				 name, rd.line, LOGFILE_LINE_LIMIT);
			if (logfile_skip_rest(stream, line) == STREAM_LINE_EOF)
				break;
			continue;
		}
		if (buf_len(line) > 0 && line->data[buf_len(line) - 1] == '\r')
			buf_truncate(line, buf_len(line) - 1);
		if (buf_len(line) == 0) {
			logfile_finish_entry(&rd);
			continue;
		}
		if (!rd.has_any)
			rd.first_line = rd.line;
		logfile_store(&rd, buf_str(line));
	}
	if (!rd.stop)
		logfile_finish_entry(&rd);
	logfile_entry_free(&rd.entry);
	buf_free(line);
	if (stream_error(stream) && !rd.stop) {
		if (errno == 0)
			errno = EIO;
		return (-1);
	}
	return (rd.count);
}

/* logfile_read - read QUEUE/ID */
int
logfile_read(const char *queue_name, const char *id, logfile_fn fn, void *ctx)
{
	struct buf *path = buf_new(64);
	struct stream *stream;
	int	fd;
	int	ret;
	int	saved;

	if (queue_path(path, queue_name, id) == NULL) {
		buf_free(path);
		return (-1);
	}
	if ((fd = open(buf_str(path), O_RDONLY | O_CLOEXEC)) < 0) {
		saved = errno;
		buf_free(path);
		errno = saved;
		return (-1);
	}
	stream = stream_fdopen(fd, STREAM_READ);
	stream_set_name(stream, buf_str(path));
	ret = logfile_parse(stream, buf_str(path), fn, ctx);
	saved = errno;
	(void) stream_close(stream);
	buf_free(path);
	errno = saved;
	return (ret);
}

/* logfile_put - one "name=value" line, control characters as spaces */
static void
logfile_put(struct buf *out, const char *name, const char *value)
{
	const unsigned char *cp;

	if (value == NULL)
		return;
	buf_appendf(out, "%s=", name);
	for (cp = (const unsigned char *) value; *cp; cp++)
		buf_putc(out, (*cp < 0x20 || *cp == 0x7f) ? ' ' : *cp);
	buf_putc(out, '\n');
}

/* logfile_format - one entry as text */
void
logfile_format(struct buf *out, const struct logfile_entry *entry)
{
	logfile_put(out, LOGFILE_ATTR_RCPT, entry->recipient);
	logfile_put(out, LOGFILE_ATTR_ORCPT, entry->orig_recipient);
	if (entry->offset >= 0)
		buf_appendf(out, "%s=%ld\n", LOGFILE_ATTR_OFFSET, entry->offset);
	buf_appendf(out, "%s=%d\n", LOGFILE_ATTR_NOTIFY, entry->dsn_notify);
	logfile_put(out, LOGFILE_ATTR_STATUS, entry->status);
	logfile_put(out, LOGFILE_ATTR_ACTION, entry->action);
	logfile_put(out, LOGFILE_ATTR_REASON, entry->reason);
	logfile_put(out, LOGFILE_ATTR_RELAY, entry->relay);
	logfile_put(out, LOGFILE_ATTR_DTYPE, entry->diag_type);
	logfile_put(out, LOGFILE_ATTR_DTEXT, entry->diag_text);
	logfile_put(out, LOGFILE_ATTR_MTYPE, entry->mta_type);
	logfile_put(out, LOGFILE_ATTR_MNAME, entry->mta_name);
	if (entry->time > 0)
		buf_appendf(out, "%s=%lld\n", LOGFILE_ATTR_TIME, (long long) entry->time);
	buf_putc(out, '\n');
}

/* logfile_open_append - open QUEUE/ID for appending, making its directory */
static int
logfile_open_append(const char *path, const char *queue_name, const char *id)
{
	struct buf *dir;
	int	fd;

	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) >= 0
	    || errno != ENOENT || !queue_hashed(queue_name))
		return (fd);
	dir = buf_new(64);
	if (queue_dir(dir, queue_name, id) != NULL
	    && (mkdir(buf_str(dir), 0700) == 0 || errno == EEXIST))
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	buf_free(dir);
	return (fd);
}

/* logfile_append - append one entry durably */
int
logfile_append(const char *queue_name, const char *id,
	               const struct logfile_entry *entry, struct buf *why)
{
	struct buf *path = buf_new(64);
	struct buf *text = buf_new(256);
	int	fd = -1;
	int	ret = -1;

	if (entry->recipient == NULL || *entry->recipient == 0) {
		errno = EINVAL;
		if (why)
			buf_cpy(why, "logfile entry without recipient");
		goto out;
	}
	if (queue_path(path, queue_name, id) == NULL) {
		if (why)
			buf_printf(why, "bad queue name or ID: %s/%s", queue_name, id);
		goto out;
	}
	logfile_format(text, entry);
	if ((fd = logfile_open_append(buf_str(path), queue_name, id)) < 0
	    || write(fd, buf_str(text), buf_len(text)) != (ssize_t) buf_len(text)
	    || fsync(fd) < 0) {
		if (errno == 0)
			errno = EIO;
		if (why)
			buf_printf(why, "append to %s: %m", buf_str(path));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0 && close(fd) < 0 && ret == 0) {
		if (why)
			buf_printf(why, "close %s: %m", buf_str(path));
		ret = -1;
	}
	buf_free(path);
	buf_free(text);
	return (ret);
}
