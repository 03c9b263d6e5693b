/*
 * NAME
 *	queue - queue IDs, queue names and hashed queue file paths
 * DESCRIPTION
 *	See queue.h for the ID layout and the hashing rule. This file
 *	holds the pure functions (no file system access); queue_file.c
 *	creates, moves and removes files and queue_scan.c walks queues.
 */
#include <util/sys_defs.h>
#include <sys/time.h>
#include <util/msg.h>
#include <util/buf.h>
#include <util/argv.h>
#include <global/mail_proto.h>
#include <global/queue.h>

#define QUEUE_BASE	62
#define QUEUE_USEC_MAX	999999L

static const char queue_digits[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static const char *const queue_known[] = {
	MAIL_QUEUE_MAILDROP, MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE,
	MAIL_QUEUE_DEFERRED, MAIL_QUEUE_HOLD, MAIL_QUEUE_CORRUPT,
	MAIL_QUEUE_BOUNCE, MAIL_QUEUE_DEFER, MAIL_QUEUE_TRACE,
	MAIL_QUEUE_SAVED,
};

 /*
  * Hash settings: Postfix's defaults until queue_set_hash() is called.
  */
#define QUEUE_DEF_HASH_NAMES	MAIL_QUEUE_DEFERRED ", " MAIL_QUEUE_DEFER

static int queue_hash_depth = 1;
static struct argv *queue_hash_names;

/* queue_digit_value - value of one base-62 digit, or -1 */
static int
queue_digit_value(int ch)
{
	if (ch >= '0' && ch <= '9')
		return (ch - '0');
	if (ch >= 'A' && ch <= 'Z')
		return (ch - 'A' + 10);
	if (ch >= 'a' && ch <= 'z')
		return (ch - 'a' + 36);
	return (-1);
}

/* queue_encode_fixed - append value as exactly width base-62 digits */
static void
queue_encode_fixed(struct buf *id, uint64_t value, int width)
{
	char	digits[16];
	int	i;

	for (i = width - 1; i >= 0; i--) {
		digits[i] = queue_digits[value % QUEUE_BASE];
		value /= QUEUE_BASE;
	}
	buf_catn(id, digits, (size_t) width);
}

/* queue_encode_var - append value in base 62 without leading zeros */
static void
queue_encode_var(struct buf *id, uint64_t value)
{
	char	digits[16];
	int	i = (int) sizeof(digits);

	do {
		digits[--i] = queue_digits[value % QUEUE_BASE];
		value /= QUEUE_BASE;
	} while (value > 0);
	buf_catn(id, digits + i, sizeof(digits) - (size_t) i);
}

/* queue_decode - decode len base-62 digits; -1 on a bad digit or overflow */
static int
queue_decode(const char *text, size_t len, uint64_t *value)
{
	uint64_t result = 0;
	size_t	i;
	int	digit;

	for (i = 0; i < len; i++) {
		if ((digit = queue_digit_value((unsigned char) text[i])) < 0)
			return (-1);
		if (result > (UINT64_MAX - (uint64_t) digit) / QUEUE_BASE)
			return (-1);
		result = result * QUEUE_BASE + (uint64_t) digit;
	}
	*value = result;
	return (0);
}

/* queue_id_make - queue ID for a given arrival time and uniquifier */
void
queue_id_make(struct buf *id, time_t sec, long usec, uint64_t unique)
{
	if (id == NULL)
		msg_panic("queue_id_make: null buffer");
	if (sec < 0 || usec < 0 || usec > QUEUE_USEC_MAX)
		msg_panic("queue_id_make: bad time %lld.%ld", (long long) sec, usec);
	buf_reset(id);
	queue_encode_fixed(id, (uint64_t) sec, QUEUE_ID_TIME_LEN);
	queue_encode_fixed(id, (uint64_t) usec, QUEUE_ID_USEC_LEN);
	queue_encode_var(id, unique);
}

/* queue_id_new - queue ID with the current time */
void
queue_id_new(struct buf *id, uint64_t unique)
{
	struct timeval tv;

	if (gettimeofday(&tv, NULL) < 0)
		msg_panic("queue_id_new: gettimeofday: %m");
	queue_id_make(id, tv.tv_sec, (long) tv.tv_usec, unique);
}

/* queue_id_parse - split and decode an ID; -1 if it is not one */
static int
queue_id_parse(const char *id, uint64_t *sec, uint64_t *usec)
{
	const char *unique;
	uint64_t value;
	size_t	len;

	if (id == NULL)
		return (-1);
	len = strnlen(id, QUEUE_ID_MAXLEN + 1);
	if (len < QUEUE_ID_MINLEN || len > QUEUE_ID_MAXLEN)
		return (-1);
	unique = id + QUEUE_ID_TIME_LEN + QUEUE_ID_USEC_LEN;
	if (queue_decode(id, QUEUE_ID_TIME_LEN, sec) < 0
	    || queue_decode(id + QUEUE_ID_TIME_LEN, QUEUE_ID_USEC_LEN, usec) < 0
	    || *usec > (uint64_t) QUEUE_USEC_MAX)
		return (-1);
	/* The uniquifier is canonical: no leading zero, fits 64 bits. */
	if (unique[0] == '0' && unique[1] != 0)
		return (-1);
	if (queue_decode(unique, strlen(unique), &value) < 0)
		return (-1);
	return (0);
}

/* queue_id_valid - is this a well-formed queue ID */
bool
queue_id_valid(const char *id)
{
	uint64_t sec, usec;

	return (queue_id_parse(id, &sec, &usec) == 0);
}

/* queue_id_time - arrival time encoded in an ID, -1 if invalid */
time_t
queue_id_time(const char *id, long *usec)
{
	uint64_t sec, micro;

	if (queue_id_parse(id, &sec, &micro) < 0)
		return (-1);
	if (usec != NULL)
		*usec = (long) micro;
	return ((time_t) sec);
}

/* queue_name_valid - plausible queue directory name */
bool
queue_name_valid(const char *queue_name)
{
	const char *cp;
	int	ch;

	if (queue_name == NULL || *queue_name == 0
	    || strnlen(queue_name, QUEUE_NAME_MAXLEN + 1) > QUEUE_NAME_MAXLEN)
		return (false);
	for (cp = queue_name; (ch = (unsigned char) *cp) != 0; cp++)
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')
		      || ch == '_' || ch == '-'))
			return (false);
	return (true);
}

/* queue_name_known - one of the standard queues */
bool
queue_name_known(const char *queue_name)
{
	size_t	i;

	if (queue_name == NULL)
		return (false);
	for (i = 0; i < ARRAY_LEN(queue_known); i++)
		if (strcmp(queue_name, queue_known[i]) == 0)
			return (true);
	return (false);
}

/* queue_set_hash - configure hash_queue_depth and hash_queue_names */
int
queue_set_hash(int depth, const char *names)
{
	struct argv *list;
	size_t	i;

	if (depth < 1 || depth > QUEUE_HASH_MAXDEPTH || names == NULL) {
		errno = EINVAL;
		return (-1);
	}
	list = argv_split(names, ARGV_LIST_DELIMS);
	for (i = 0; i < list->argc; i++) {
		if (!queue_name_valid(list->argv[i])) {
			argv_free(list);
			errno = EINVAL;
			return (-1);
		}
	}
	if (queue_hash_names != NULL)
		argv_free(queue_hash_names);
	queue_hash_names = list;
	queue_hash_depth = depth;
	return (0);
}

/* queue_hashed - hash depth of a queue: 0 when not hashed */
int
queue_hashed(const char *queue_name)
{
	size_t	i;

	if (queue_name == NULL)
		return (0);
	if (queue_hash_names == NULL)
		queue_hash_names = argv_split(QUEUE_DEF_HASH_NAMES, ARGV_LIST_DELIMS);
	for (i = 0; i < queue_hash_names->argc; i++)
		if (strcmp(queue_name, queue_hash_names->argv[i]) == 0)
			return (queue_hash_depth);
	return (0);
}

/* queue_dir - directory that holds a queue file */
const char *
queue_dir(struct buf *path, const char *queue_name, const char *id)
{
	uint64_t sec, usec;
	int	depth, level;

	if (path == NULL)
		msg_panic("queue_dir: null buffer");
	if (!queue_name_valid(queue_name) || queue_id_parse(id, &sec, &usec) < 0) {
		errno = EINVAL;
		return (NULL);
	}
	buf_cpy(path, queue_name);
	depth = queue_hashed(queue_name);
	for (level = 0; level < depth; level++) {
		buf_putc(path, '/');
		buf_putc(path, queue_digits[(usec >> (4 * level)) & 0xf]);
	}
	return (buf_str(path));
}

/* queue_path - relative path of a queue file */
const char *
queue_path(struct buf *path, const char *queue_name, const char *id)
{
	if (queue_dir(path, queue_name, id) == NULL)
		return (NULL);
	buf_putc(path, '/');
	buf_cat(path, id);
	return (buf_str(path));
}
