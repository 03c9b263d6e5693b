/*
 * NAME
 *	metrics_snapshot_read - read and check a queue manager snapshot file
 * DESCRIPTION
 *	See metrics_snapshot.h for the interface and the file format. The
 *	parser is strict: the file is written by one program, so anything
 *	unexpected means corruption or a version mismatch, and the whole
 *	file is rejected rather than half believed.
 */
#include <util/sys_defs.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <unistd.h>
#include <sys/stat.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/msg.h>
#include <global/metrics_snapshot.h>
#include <global/metrics_private.h>

#define METRICS_MAX_FIELDS	(5 + METRICS_DELAY_BOUNDS + 1)

/* Header lines: bit in metrics_parse.seen. */
#define METRICS_SEEN_PID	(1 << 0)
#define METRICS_SEEN_STARTED	(1 << 1)
#define METRICS_SEEN_WRITTEN	(1 << 2)
#define METRICS_SEEN_LIMIT	(1 << 3)
#define METRICS_SEEN_INFLOW	(1 << 4)
#define METRICS_SEEN_ALL	0x1f

/* Parser state. */
struct metrics_parse {
	const char *name;		/* file name for reasons */
	int	line;			/* current line number */
	unsigned seen;			/* METRICS_SEEN_* */
	int	ended;			/* "end" seen */
	struct metrics_snapshot *snap;
	struct buf *why;
	struct buf *key;		/* scratch */
};

/* One kind of line. */
struct metrics_line_type {
	const char *keyword;
	int	fields;			/* including the keyword */
	int	(*parse_fn) (struct metrics_parse *, char **);
};

/* metrics_parse_error - reason with file and line; returns -1 */
static int PRINTFLIKE(2, 3)
metrics_parse_error(struct metrics_parse *p, const char *fmt,...)
{
	va_list	ap;

	buf_printf(p->why, "%s: line %d: ", p->name, p->line);
	va_start(ap, fmt);
	buf_vappendf(p->why, fmt, ap);
	va_end(ap);
	errno = EINVAL;
	return (-1);
}

/* metrics_parse_ull - unsigned decimal, digits only */
static int
metrics_parse_ull(const char *str, unsigned long long *val)
{
	char   *end;

	if (*str < '0' || *str > '9' || (str[0] == '0' && str[1] != 0))
		return (-1);
	errno = 0;
	*val = strtoull(str, &end, 10);
	return (*end != 0 || errno == ERANGE ? -1 : 0);
}

/* metrics_parse_long - decimal in [min, max], optional leading '-' */
static int
metrics_parse_long(const char *str, long min, long max, long *val)
{
	unsigned long long mag;
	int	neg = (*str == '-');

	if (metrics_parse_ull(str + neg, &mag) < 0 || mag > (unsigned long long) LONG_MAX)
		return (-1);
	*val = neg ? -(long) mag : (long) mag;
	return (*val < min || *val > max || (neg && mag == 0) ? -1 : 0);
}

/* metrics_parse_sum - finite non-negative floating point number */
static int
metrics_parse_sum(const char *str, double *val)
{
	char   *end;

	if (*str < '0' || *str > '9')
		return (-1);
	errno = 0;
	*val = strtod(str, &end);
	return (*end != 0 || errno == ERANGE || !isfinite(*val) || *val < 0 ? -1 : 0);
}

/* metrics_hex - value of a hex digit, or -1 */
static int
metrics_hex(int ch)
{
	if (ch >= '0' && ch <= '9')
		return (ch - '0');
	if (ch >= 'A' && ch <= 'F')
		return (ch - 'A' + 10);
	return (-1);
}

/* metrics_decode - undo metrics_encode(); NULL when malformed */
static char *
metrics_decode(const char *text)
{
	struct buf *out = buf_new(strlen(text) + 1);
	const unsigned char *cp;
	int	hi, lo;

	for (cp = (const unsigned char *) text; *cp; cp++) {
		if (*cp != '%') {
			if (*cp <= 0x20 || *cp >= 0x7f)
				break;
			buf_putc(out, *cp);
		} else if ((hi = metrics_hex(cp[1])) < 0 || (lo = metrics_hex(cp[2])) < 0
			   || (hi == 0 && lo == 0)) {
			break;
		} else {
			buf_putc(out, hi * 16 + lo);
			cp += 2;
		}
	}
	if (*cp != 0 || !metrics_name_ok(buf_str(out))) {
		buf_free(out);
		return (NULL);
	}
	return (buf_steal(out));
}

/* metrics_decode_pair - decode two names; -1 with a reason */
static int
metrics_decode_pair(struct metrics_parse *p, char **fields, char **first,
		    char **second)
{
	*first = metrics_decode(fields[1]);
	*second = metrics_decode(fields[2]);
	if (*first == NULL || *second == NULL) {
		free(*first);
		free(*second);
		return (metrics_parse_error(p, "malformed name in %s line", fields[0]));
	}
	return (0);
}

/* The header lines, their bits and smallest values. */
static const struct metrics_header {
	const char *keyword;
	unsigned bit;
	long	min;
}	headers[] = {
	{"pid", METRICS_SEEN_PID, 1},
	{"started", METRICS_SEEN_STARTED, 0},
	{"written", METRICS_SEEN_WRITTEN, 0},
	{"active_limit", METRICS_SEEN_LIMIT, 0},
	{"inflow_tokens", METRICS_SEEN_INFLOW, -1},
};

/* metrics_parse_header - pid, started, written, active_limit, inflow_tokens */
static int
metrics_parse_header(struct metrics_parse *p, char **fields)
{
	size_t	i;
	long	val;

	for (i = 0; strcmp(headers[i].keyword, fields[0]) != 0; i++)
		 /* void */ ;
	if (p->seen & headers[i].bit)
		return (metrics_parse_error(p, "duplicate %s line", fields[0]));
	if (metrics_parse_long(fields[1], headers[i].min, LONG_MAX, &val) < 0)
		return (metrics_parse_error(p, "bad %s value \"%.64s\"",
					    fields[0], fields[1]));
	p->seen |= headers[i].bit;
	if (headers[i].bit == METRICS_SEEN_PID)
		p->snap->pid = val;
	else if (headers[i].bit == METRICS_SEEN_STARTED)
		p->snap->started = (time_t) val;
	else if (headers[i].bit == METRICS_SEEN_WRITTEN)
		p->snap->written = (time_t) val;
	else if (headers[i].bit == METRICS_SEEN_LIMIT)
		p->snap->active_limit = val;
	else
		p->snap->inflow_tokens = val;
	return (0);
}

/* metrics_parse_active - active TRANSPORT PRIORITY COUNT */
static int
metrics_parse_active(struct metrics_parse *p, char **fields)
{
	char   *transport, *priority;
	long	count;
	int	ret = -1;

	if (metrics_decode_pair(p, fields, &transport, &priority) < 0)
		return (-1);
	if (htable_find(p->snap->active,
		        metrics_key(p->key, transport, priority, NULL)) != NULL)
		metrics_parse_error(p, "duplicate active line");
	else if (metrics_parse_long(fields[3], 0, LONG_MAX, &count) < 0)
		metrics_parse_error(p, "bad active count \"%.64s\"", fields[3]);
	else
		ret = metrics_snapshot_set_active(p->snap, transport, priority, count);
	free(transport);
	free(priority);
	return (ret);
}

/* metrics_state_code - state name to enum, or -1 */
static int
metrics_state_code(const char *name)
{
	int	i;

	for (i = 0; i < METRICS_DEST_STATE_COUNT; i++)
		if (strcmp(name, metrics_dest_state_name((enum metrics_dest_state) i)) == 0)
			return (i);
	return (-1);
}

/* metrics_parse_dest - destination TRANSPORT DEST CONCURRENCY STATE */
static int
metrics_parse_dest(struct metrics_parse *p, char **fields)
{
	char   *transport, *destination;
	long	concurrency;
	int	state;
	int	ret = -1;

	if (metrics_decode_pair(p, fields, &transport, &destination) < 0)
		return (-1);
	if (htable_find(p->snap->destinations,
		        metrics_key(p->key, transport, destination, NULL)) != NULL)
		metrics_parse_error(p, "duplicate destination line");
	else if (metrics_parse_long(fields[3], 0, INT_MAX, &concurrency) < 0)
		metrics_parse_error(p, "bad concurrency \"%.64s\"", fields[3]);
	else if ((state = metrics_state_code(fields[4])) < 0)
		metrics_parse_error(p, "bad destination state \"%.64s\"", fields[4]);
	else
		ret = metrics_snapshot_add_destination(p->snap, transport, destination,
					 (int) concurrency, (enum metrics_dest_state) state);
	free(transport);
	free(destination);
	return (ret);
}

/* metrics_status_code - status name to enum, or -1 */
static int
metrics_status_code(const char *name)
{
	int	i;

	for (i = 0; i < METRICS_STATUS_COUNT; i++)
		if (strcmp(name, metrics_status_name((enum metrics_status) i)) == 0)
			return (i);
	return (-1);
}

/* metrics_parse_delivery - delivery TRANSPORT STATUS CLASS COUNT */
static int
metrics_parse_delivery(struct metrics_parse *p, char **fields)
{
	char   *transport;
	int	status;
	unsigned long long count;
	int	ret = -1;

	if ((transport = metrics_decode(fields[1])) == NULL)
		return (metrics_parse_error(p, "malformed name in delivery line"));
	if ((status = metrics_status_code(fields[2])) < 0)
		metrics_parse_error(p, "bad delivery status \"%.64s\"", fields[2]);
	else if (strcmp(fields[3], "2") != 0 && strcmp(fields[3], "4") != 0
		 && strcmp(fields[3], "5") != 0)
		metrics_parse_error(p, "bad DSN class \"%.64s\"", fields[3]);
	else if (htable_find(p->snap->deliveries,
			     metrics_key(p->key, transport, fields[2], fields[3])) != NULL)
		metrics_parse_error(p, "duplicate delivery line");
	else if (metrics_parse_ull(fields[4], &count) < 0)
		metrics_parse_error(p, "bad delivery count \"%.64s\"", fields[4]);
	else {
		metrics_delivery_get(p->snap, transport, (enum metrics_status) status,
				     fields[3][0] - '0')->count = count;
		ret = 0;
	}
	free(transport);
	return (ret);
}

/* metrics_parse_buckets - bucket counts that add up to the count */
static int
metrics_parse_buckets(struct metrics_parse *p, char **fields,
		      struct metrics_delay *delay)
{
	unsigned long long total = 0;
	int	i;

	for (i = 0; i <= METRICS_DELAY_BOUNDS; i++) {
		if (metrics_parse_ull(fields[i], &delay->bucket[i]) < 0)
			return (metrics_parse_error(p, "bad bucket count \"%.64s\"", fields[i]));
		if (delay->bucket[i] > ULLONG_MAX - total)
			return (metrics_parse_error(p, "bucket counts overflow"));
		total += delay->bucket[i];
	}
	if (total != delay->count)
		return (metrics_parse_error(p, "bucket counts add up to %llu, not %llu",
					    total, delay->count));
	return (0);
}

/* metrics_parse_delay - delay TRANSPORT PRIORITY SUM COUNT BUCKET... */
static int
metrics_parse_delay(struct metrics_parse *p, char **fields)
{
	struct metrics_delay tmp;
	struct metrics_delay *delay;
	char   *transport, *priority;
	int	ret = -1;

	if (metrics_decode_pair(p, fields, &transport, &priority) < 0)
		return (-1);
	memset(&tmp, 0, sizeof(tmp));
	if (htable_find(p->snap->delays,
		        metrics_key(p->key, transport, priority, NULL)) != NULL)
		metrics_parse_error(p, "duplicate delay line");
	else if (metrics_parse_sum(fields[3], &tmp.sum) < 0)
		metrics_parse_error(p, "bad delay sum \"%.64s\"", fields[3]);
	else if (metrics_parse_ull(fields[4], &tmp.count) < 0)
		metrics_parse_error(p, "bad delay count \"%.64s\"", fields[4]);
	else if (metrics_parse_buckets(p, fields + 5, &tmp) == 0) {
		delay = metrics_delay_get(p->snap, transport, priority);
		memcpy(delay->bucket, tmp.bucket, sizeof(delay->bucket));
		delay->sum = tmp.sum;
		delay->count = tmp.count;
		ret = 0;
	}
	free(transport);
	free(priority);
	return (ret);
}

/* metrics_parse_end - the last line */
static int
metrics_parse_end(struct metrics_parse *p, char **fields)
{
	(void) fields;
	p->ended = 1;
	return (0);
}

static const struct metrics_line_type metrics_line_types[] = {
	{"pid", 2, metrics_parse_header},
	{"started", 2, metrics_parse_header},
	{"written", 2, metrics_parse_header},
	{"active_limit", 2, metrics_parse_header},
	{"inflow_tokens", 2, metrics_parse_header},
	{"active", 4, metrics_parse_active},
	{"destination", 5, metrics_parse_dest},
	{"delivery", 5, metrics_parse_delivery},
	{"delay", 5 + METRICS_DELAY_BOUNDS + 1, metrics_parse_delay},
	{"end", 1, metrics_parse_end},
};

/* metrics_split - fields separated by single spaces; -1 if malformed */
static int
metrics_split(char *line, char **fields, int max)
{
	int	count = 0;
	char   *cp = line;

	for (;;) {
		if (*cp == 0 || *cp == ' ' || count >= max)
			return (-1);
		fields[count++] = cp;
		if ((cp = strchr(cp, ' ')) == NULL)
			return (count);
		*cp++ = 0;
	}
}

/* metrics_parse_line - one line after the first */
static int
metrics_parse_line(struct metrics_parse *p, char *line)
{
	char   *fields[METRICS_MAX_FIELDS];
	int	count;
	size_t	i;

	if (p->ended)
		return (metrics_parse_error(p, "text after the end line"));
	if ((count = metrics_split(line, fields, METRICS_MAX_FIELDS)) < 0)
		return (metrics_parse_error(p, "malformed line"));
	for (i = 0; i < ARRAY_LEN(metrics_line_types); i++) {
		if (strcmp(fields[0], metrics_line_types[i].keyword) != 0)
			continue;
		if (count != metrics_line_types[i].fields)
			return (metrics_parse_error(p, "%s line has %d fields, not %d",
				       fields[0], count, metrics_line_types[i].fields));
		return (metrics_line_types[i].parse_fn(p, fields));
	}
	return (metrics_parse_error(p, "unknown line type \"%.64s\"", fields[0]));
}

/* metrics_parse_first - the magic and version line */
static int
metrics_parse_first(struct metrics_parse *p, const char *line)
{
	struct buf *want = buf_new(32);
	int	ret = 0;

	buf_printf(want, "%s %d", METRICS_SNAPSHOT_MAGIC, METRICS_SNAPSHOT_VERSION);
	if (strncmp(line, METRICS_SNAPSHOT_MAGIC " ",
		    sizeof(METRICS_SNAPSHOT_MAGIC)) != 0)
		ret = metrics_parse_error(p, "not a queue manager snapshot");
	else if (strcmp(line, buf_str(want)) != 0)
		ret = metrics_parse_error(p, "unsupported version \"%.64s\"",
					  line + sizeof(METRICS_SNAPSHOT_MAGIC));
	buf_free(want);
	return (ret);
}

/* metrics_parse_lines - every line of the text */
static int
metrics_parse_lines(struct metrics_parse *p, const char *text, size_t len)
{
	const char *start = text;
	const char *nl;
	char   *line;
	int	ret = 0;

	while (ret == 0 && start < text + len) {
		p->line++;
		if ((nl = memchr(start, '\n', text + len - start)) == NULL)
			return (metrics_parse_error(p, "incomplete last line"));
		line = xstrndup(start, nl - start);
		if (p->line == 1)
			ret = metrics_parse_first(p, line);
		else
			ret = metrics_parse_line(p, line);
		free(line);
		start = nl + 1;
	}
	return (ret);
}

/* metrics_line_of - line number of a position in the text */
static int
metrics_line_of(const char *text, const char *pos)
{
	int	line = 1;

	for (; text < pos; text++)
		line += (*text == '\n');
	return (line);
}

/* metrics_parse_missing - name the first missing header line */
static int
metrics_parse_missing(struct metrics_parse *p)
{
	size_t	i;

	for (i = 0; (p->seen & headers[i].bit) != 0; i++)
		 /* void */ ;
	return (metrics_parse_error(p, "missing %s line", headers[i].keyword));
}

/* metrics_snapshot_parse - check and convert snapshot text */
struct metrics_snapshot *
metrics_snapshot_parse(const char *name, const char *text, size_t len,
		       struct buf *why)
{
	struct metrics_parse p;
	const char *nul;
	int	ret;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.why = why;
	p.snap = metrics_snapshot_new();
	p.key = buf_new(64);
	if ((nul = memchr(text, 0, len)) != NULL) {
		p.line = metrics_line_of(text, nul);
		ret = metrics_parse_error(&p, "null byte in file");
	} else if (len == 0) {
		p.line = 1;
		ret = metrics_parse_error(&p, "empty file");
	} else if ((ret = metrics_parse_lines(&p, text, len)) == 0) {
		if (!p.ended) {
			p.line++;
			ret = metrics_parse_error(&p, "no end line");
		}
		else if (p.seen != METRICS_SEEN_ALL)
			ret = metrics_parse_missing(&p);
	}
	buf_free(p.key);
	if (ret < 0) {
		metrics_snapshot_free(p.snap);
		errno = EINVAL;
		return (NULL);
	}
	return (p.snap);
}

/* metrics_read_fd - read a whole regular file of limited size */
static int
metrics_read_fd(int fd, const char *path, struct buf *text, struct buf *why)
{
	struct stat st;
	char	chunk[8192];
	ssize_t	n;

	if (fstat(fd, &st) < 0) {
		buf_printf(why, "fstat %s: %m", path);
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		buf_printf(why, "%s: not a regular file", path);
		errno = EINVAL;
		return (-1);
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_printf(why, "read %s: %m", path);
			return (-1);
		}
		if (buf_len(text) + (size_t) n > (size_t) METRICS_SNAPSHOT_MAXSIZE) {
			buf_printf(why, "%s: larger than %ld bytes", path,
				   METRICS_SNAPSHOT_MAXSIZE);
			errno = EFBIG;
			return (-1);
		}
		buf_catn(text, chunk, (size_t) n);
	}
	return (0);
}

/* metrics_snapshot_read - read and check a snapshot file */
struct metrics_snapshot *
metrics_snapshot_read(const char *path, struct buf *why)
{
	struct metrics_snapshot *snap = NULL;
	struct buf *text;
	int	fd;
	int	err;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0) {
		err = errno;
		buf_printf(why, "open %s: %m", path);
		errno = err;
		return (NULL);
	}
	text = buf_new(8192);
	if (metrics_read_fd(fd, path, text, why) == 0)
		snap = metrics_snapshot_parse(path, buf_str(text), buf_len(text), why);
	err = errno;
	(void) close(fd);
	buf_free(text);
	errno = err;
	return (snap);
}
