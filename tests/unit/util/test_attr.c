/*
 * NAME
 *	test_attr - unit tests for the attribute IPC format
 * DESCRIPTION
 *	Round trips of every type, the strictness rules (unknown, missing,
 *	optional, duplicate, wrong type, range), hostile input written as
 *	raw bytes (huge length prefixes, truncation, garbage, too many
 *	items, long names and values, bad numbers) and random bytes, the
 *	dynamic scanner, the proto hello, and a request/reply conversation
 *	with a forked server on a UNIX socket.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <util/alloc.h>
#include <util/buf.h>
#include <util/htable.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <util/stream.h>
#include <util/attr.h>

struct pair {
	struct stream *out;		/* writer end */
	struct stream *in;		/* reader end */
	int	raw;			/* writer fd for raw bytes */
};

static struct buf *warnings;

/* capture - collect warnings for assertions */
static void
capture(enum msg_level level, const char *text, void *ctx)
{
	(void) ctx;
	if (level == MSG_WARN)
		buf_appendf(warnings, "%s\n", text);
}

/* setup - capture log lines */
static int
setup(void **state)
{
	(void) state;
	warnings = buf_new(100);
	msg_to_stderr(MSG_STDERR_OFF);
	msg_set_capture(capture, NULL);
	return (0);
}

/* teardown - release the capture buffer */
static int
teardown(void **state)
{
	(void) state;
	msg_set_capture(NULL, NULL);
	buf_free(warnings);
	return (0);
}

/* pair_open - a connected writer/reader stream pair */
static void
pair_open(struct pair *p)
{
	int	fds[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	p->raw = fds[0];
	p->out = stream_fdopen(fds[0], STREAM_WRITE);
	p->in = stream_fdopen(fds[1], STREAM_READ);
	stream_set_name(p->in, "test peer");
	stream_set_timeout(p->in, 5);
}

/* pair_hangup - writer finishes; reader sees end of file after the data */
static void
pair_hangup(struct pair *p)
{
	assert_int_equal(stream_flush(p->out), 0);
	shutdown(p->raw, SHUT_WR);
}

/* pair_close - destroy both ends */
static void
pair_close(struct pair *p)
{
	stream_close(p->out);
	stream_close(p->in);
}

/* raw - write raw bytes to the writer end */
static void
raw(struct pair *p, const void *data, size_t len)
{
	assert_int_equal(write_full(p->raw, data, len), (ssize_t) len);
}

/* test_round_trip - every type, extremes, nulls in data */
static void
test_round_trip(void **state)
{
	struct pair p;
	struct buf *str = buf_new(4), *empty = buf_new(4), *data = buf_new(4);
	struct buf *nodata = buf_new(4);
	int	i1 = 0, i2 = 0, i3 = 0;
	long	l1 = 0, l2 = 0;

	(void) state;
	buf_reset(warnings);
	pair_open(&p);
	assert_int_equal(attr_print(p.out, ATTR_FLAG_FLUSH, ATTR_LIST(
			ATTR_STR("proto", "cleanup"),
			ATTR_STR("empty", ""),
			ATTR_INT("int.min", INT_MIN),
			ATTR_INT("int-max", INT_MAX),
			ATTR_INT("zero", 0),
			ATTR_LONG("long_min", LONG_MIN),
			ATTR_LONG("long_max", LONG_MAX),
			ATTR_DATA("data", "a\0b\xff", 4),
			ATTR_DATA("nodata", NULL, 0))), 0);
	/* Any order on input. */
	assert_int_equal(attr_scan(p.in, ATTR_FLAG_NONE, ATTR_LIST(
			SCAN_DATA("nodata", nodata),
			SCAN_LONG("long_max", &l2),
			SCAN_LONG("long_min", &l1),
			SCAN_STR("proto", str),
			SCAN_STR("empty", empty),
			SCAN_INT("int.min", &i1),
			SCAN_INT("int-max", &i2),
			SCAN_INT("zero", &i3),
			SCAN_DATA("data", data))), 9);
	assert_string_equal(buf_str(str), "cleanup");
	assert_int_equal(buf_len(empty), 0);
	assert_int_equal(i1, INT_MIN);
	assert_int_equal(i2, INT_MAX);
	assert_int_equal(i3, 0);
	assert_true(l1 == LONG_MIN);
	assert_true(l2 == LONG_MAX);
	assert_int_equal(buf_len(data), 4);
	assert_memory_equal(buf_str(data), "a\0b\xff", 4);
	assert_int_equal(buf_len(nodata), 0);
	/* An empty list, then a second list on the same stream. */
	attr_print(p.out, ATTR_FLAG_NONE, ATTR_LIST(ATTR_END));
	attr_print(p.out, ATTR_FLAG_FLUSH, ATTR_LIST(ATTR_INT("status", -4)));
	assert_int_equal(attr_scan(p.in, ATTR_FLAG_NONE, ATTR_LIST(ATTR_END)), 0);
	assert_int_equal(attr_scan(p.in, ATTR_FLAG_NONE,
				   ATTR_LIST(SCAN_INT("status", &i1))), 1);
	assert_int_equal(i1, -4);
	/* Clean end of file between lists: -1, ENODATA, no warning. */
	pair_hangup(&p);
	assert_int_equal(attr_scan(p.in, ATTR_FLAG_NONE,
				   ATTR_LIST(SCAN_INT("status", &i1))), -1);
	assert_int_equal(errno, ENODATA);
	assert_int_equal(buf_len(warnings), 0);
	pair_close(&p);
	buf_free(str);
	buf_free(empty);
	buf_free(data);
	buf_free(nodata);
}

/* test_large_value - a value of exactly the limit, and one over */
static void
test_large_value(void **state)
{
	struct pair p;
	size_t	len = ATTR_VALUE_LIMIT;
	char   *big = xmalloc(len + 1);
	struct buf *got = buf_new(4);
	struct buf *why = buf_new(4);
	pid_t	pid;

	(void) state;
	buf_reset(warnings);
	memset(big, 'v', len);
	big[len] = 0;
	pair_open(&p);
	if ((pid = fork()) == 0) {
		attr_print(p.out, ATTR_FLAG_NONE, ATTR_LIST(ATTR_STR("v", big)));
		attr_print(p.out, ATTR_FLAG_FLUSH, ATTR_LIST(ATTR_DATA("v", big, 11)));
		_exit(0);
	}
	assert_int_equal(attr_scan(p.in, ATTR_FLAG_NONE, ATTR_LIST(SCAN_STR("v", got))), 1);
	assert_int_equal(buf_len(got), len);
	assert_int_equal(attr_scan_full(p.in, ATTR_FLAG_NONE, 10,
					ATTR_LIST(SCAN_DATA("v", got)), why), -1);
	assert_int_equal(errno, EPROTO);
	assert_non_null(strstr(buf_str(why), "value length 11 exceeds limit 10"));
	assert_int_equal(buf_len(warnings), 0);		/* why given: quiet */
	waitpid(pid, NULL, 0);
	pair_close(&p);
	free(big);
	buf_free(got);
	buf_free(why);
}

struct strict_case {
	const char *name;
	int	flags;
	int	want;			/* return value */
	const char *warning;		/* expected text, or NULL */
};

/* test_strictness - unknown, missing, optional, duplicate, type, range */
static void
test_strictness(void **state)
{
	static const struct strict_case cases[] = {
		{"unknown", ATTR_FLAG_NONE, -1, "unexpected attribute \"extra\""},
		{"unknown allowed", ATTR_FLAG_MORE, 2, NULL},
		{"missing", ATTR_FLAG_MORE, -1, "missing attribute \"need\""},
		{"missing allowed", ATTR_FLAG_MORE | ATTR_FLAG_MISSING, 2, NULL},
		{"optional", ATTR_FLAG_NONE, 1, NULL},
		{"duplicate", ATTR_FLAG_NONE, -1, "duplicate attribute \"a\""},
		{"wrong type", ATTR_FLAG_NONE, -1, "attribute \"a\": wrong type 'S'"},
		{"int range", ATTR_FLAG_NONE, -1, "attribute \"a\": number 4294967296 out of range"},
	};
	const struct strict_case *tc;
	struct pair p;
	struct buf *sval = buf_new(4);
	int	a = 7, need = 0;
	long	opt = 42;
	int	ret;

	(void) state;
	for (tc = cases; tc < cases + ARRAY_LEN(cases); tc++) {
		buf_reset(warnings);
		pair_open(&p);
		if (strcmp(tc->name, "unknown") == 0 || strcmp(tc->name, "unknown allowed") == 0) {
			attr_print(p.out, ATTR_FLAG_FLUSH, ATTR_LIST(ATTR_INT("a", 1), ATTR_STR("extra", "x"),
						       ATTR_INT("need", 2)));
			ret = attr_scan(p.in, tc->flags, ATTR_LIST(SCAN_INT("a", &a),
							   SCAN_INT("need", &need)));
		} else if (strncmp(tc->name, "missing", 7) == 0) {
			attr_print(p.out, ATTR_FLAG_FLUSH, ATTR_LIST(ATTR_INT("a", 1), ATTR_STR("x", "x"),
						       ATTR_STR("s", "v")));
			ret = attr_scan(p.in, tc->flags, ATTR_LIST(SCAN_INT("a", &a),
					       SCAN_INT("need", &need), SCAN_STR("s", sval)));
		} else if (strcmp(tc->name, "optional") == 0) {
			attr_print(p.out, ATTR_FLAG_FLUSH, ATTR_LIST(ATTR_INT("a", 1)));
			ret = attr_scan(p.in, tc->flags, ATTR_LIST(SCAN_INT("a", &a),
						   SCAN_OPT_LONG("opt", &opt)));
			assert_true(opt == 42);		/* untouched */
		} else if (strcmp(tc->name, "duplicate") == 0) {
			attr_print(p.out, ATTR_FLAG_FLUSH, ATTR_LIST(ATTR_INT("a", 1), ATTR_INT("a", 2)));
			ret = attr_scan(p.in, tc->flags, ATTR_LIST(SCAN_INT("a", &a)));
		} else if (strcmp(tc->name, "wrong type") == 0) {
			attr_print(p.out, ATTR_FLAG_FLUSH, ATTR_LIST(ATTR_STR("a", "1")));
			ret = attr_scan(p.in, tc->flags, ATTR_LIST(SCAN_INT("a", &a)));
		} else {
			attr_print(p.out, ATTR_FLAG_FLUSH, ATTR_LIST(ATTR_LONG("a", 4294967296L)));
			ret = attr_scan(p.in, tc->flags, ATTR_LIST(SCAN_INT("a", &a)));
		}
		pair_hangup(&p);
		if (ret != tc->want)
			fail_msg("%s: got %d want %d", tc->name, ret, tc->want);
		if (tc->warning && strstr(buf_str(warnings), tc->warning) == NULL)
			fail_msg("%s: warning \"%s\" not in \"%s\"", tc->name,
				 tc->warning, buf_str(warnings));
		if (tc->warning && strstr(buf_str(warnings), "attr_scan: test peer: ") == NULL)
			fail_msg("%s: warning lacks the stream name: %s", tc->name,
				 buf_str(warnings));
		if (tc->want < 0)
			assert_int_equal(errno, EPROTO);
		else
			assert_int_equal(buf_len(warnings), 0);
		pair_close(&p);
	}
	buf_free(sval);
}

struct hostile_case {
	const char *name;
	const char *bytes;
	size_t	len;
	const char *why;		/* expected text */
};

#define HC(name, lit, why)	{ name, lit, sizeof(lit) - 1, why }

static const struct hostile_case hostile_cases[] = {
	HC("4 GB string", "S\x01s\xff\xff\xff\xff", "value length 4294967295 exceeds limit"),
	HC("4 GB data", "D\x01s\xff\xff\xff\xfe" "abc", "value length 4294967294 exceeds"),
	HC("announced 1 MB, sent 3", "D\x01d\x00\x10\x00\x00" "abc", "premature end of input"),
	HC("truncated after type", "S", "premature end of input"),
	HC("truncated in name", "S\x05" "ab", "premature end of input"),
	HC("truncated in length", "S\x01s\x00\x00", "premature end of input"),
	HC("truncated in value", "S\x01s\x00\x00\x00\x05" "ab", "premature end of input"),
	HC("no end byte", "S\x01s\x00\x00\x00\x01x", "premature end of input"),
	HC("garbage", "GET / HTTP/1.0\r\n\r\n", "bad item type byte 0x47"),
	HC("type byte 0xff", "\xff", "bad item type byte 0xff"),
	HC("name length 0", "S\x00", "bad attribute name length 0"),
	HC("name length 101", "S\x65", "bad attribute name length 101"),
	HC("name length 255", "S\xff", "bad attribute name length 255"),
	HC("name with space", "S\x03" "a b\x00\x00\x00\x00\x00", "bad character in attribute name"),
	HC("name with nul", "S\x03" "a\0b\x00\x00\x00\x00\x00", "bad character in attribute name"),
	HC("string with nul", "S\x01s\x00\x00\x00\x03" "a\0b\x00", "null byte in value"),
	HC("number empty", "N\x01n\x00\x00\x00\x00\x00", "bad number length 0"),
	HC("number too long", "N\x01n\x00\x00\x00\x15" "123456789012345678901\x00",
	   "bad number length 21"),
	HC("number letters", "N\x01n\x00\x00\x00\x03" "12a\x00", "bad number \"12a\""),
	HC("number leading zero", "N\x01n\x00\x00\x00\x03" "007\x00", "bad number \"007\""),
	HC("number minus zero", "N\x01n\x00\x00\x00\x02" "-0\x00", "bad number \"-0\""),
	HC("number lone minus", "N\x01n\x00\x00\x00\x01" "-\x00", "bad number \"-\""),
	HC("number plus", "N\x01n\x00\x00\x00\x02" "+1\x00", "bad number \"+1\""),
	HC("number space", "N\x01n\x00\x00\x00\x02" " 1\x00", "bad number \" 1\""),
	HC("long overflow", "N\x01n\x00\x00\x00\x13" "9223372036854775808\x00",
	   "out of range"),
	HC("long underflow", "N\x01n\x00\x00\x00\x14" "-9223372036854775809\x00",
	   "out of range"),
	HC("wrong type for string", "N\x01s\x00\x00\x00\x01" "1\x00", "wrong type 'N'"),
};

/* test_hostile - raw hostile bytes give -1 with a reason, never a crash */
static void
test_hostile(void **state)
{
	const struct hostile_case *tc;
	struct pair p;
	struct buf *why = buf_new(4);
	struct buf *s = buf_new(4);
	struct buf *d = buf_new(4);
	long	n = 0;

	(void) state;
	for (tc = hostile_cases; tc < hostile_cases + ARRAY_LEN(hostile_cases); tc++) {
		pair_open(&p);
		raw(&p, tc->bytes, tc->len);
		pair_hangup(&p);
		buf_reset(why);
		if (attr_scan_full(p.in, ATTR_FLAG_MORE | ATTR_FLAG_MISSING, 0,
				   ATTR_LIST(SCAN_STR("s", s), SCAN_DATA("d", d),
					     SCAN_LONG("n", &n)), why) != -1)
			fail_msg("%s: accepted", tc->name);
		if (errno != EPROTO)
			fail_msg("%s: errno %d, want EPROTO", tc->name, errno);
		if (strstr(buf_str(why), tc->why) == NULL)
			fail_msg("%s: reason \"%s\", want \"%s\"", tc->name, buf_str(why), tc->why);
		/* Nothing large was allocated for an announced length. */
		assert_true(s->cap <= 256 * 1024 && d->cap <= 256 * 1024);
		pair_close(&p);
	}
	buf_free(why);
	buf_free(s);
	buf_free(d);
}

/* test_count_limit - more than ATTR_COUNT_LIMIT items is refused */
static void
test_count_limit(void **state)
{
	struct pair p;
	struct buf *bytes = buf_new(16384);
	struct buf *why = buf_new(4);
	struct htable *table = htable_new(16);
	char	name[16];
	int	i;
	int	pass;
	pid_t	pid;

	(void) state;
	for (i = 0; i <= ATTR_COUNT_LIMIT; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		buf_putc(bytes, 'N');
		buf_putc(bytes, (int) strlen(name));
		buf_cat(bytes, name);
		buf_catn(bytes, "\0\0\0\x01" "1", 5);
	}
	buf_putc(bytes, 0);
	for (pass = 0; pass < 2; pass++) {
		pair_open(&p);
		if ((pid = fork()) == 0) {
			write_full(p.raw, bytes->data, bytes->len);
			_exit(0);
		}
		if (pass == 0)
			assert_int_equal(attr_scan_full(p.in, ATTR_FLAG_MORE, 0,
					    ATTR_LIST(ATTR_END), why), -1);
		else
			assert_int_equal(attr_scan_dynamic(p.in, ATTR_FLAG_NONE, 0,
							   table, why), -1);
		assert_non_null(strstr(buf_str(why), "more than 1024 attributes"));
		waitpid(pid, NULL, 0);
		pair_close(&p);
	}
	buf_free(bytes);
	buf_free(why);
	htable_free(table, free);
}

/* test_random_bytes - random input: -1 or a count, never a crash */
static void
test_random_bytes(void **state)
{
	unsigned char bytes[300];
	struct pair p;
	struct buf *s = buf_new(4);
	struct buf *why = buf_new(4);
	struct htable *table;
	unsigned seed = 12345;
	int	iter, ret;
	size_t	i, len;
	long	n;

	(void) state;
	for (iter = 0; iter < 500; iter++) {
		len = (size_t) (rand_r(&seed) % sizeof(bytes));
		for (i = 0; i < len; i++)
			bytes[i] = (unsigned char) rand_r(&seed);
		/* Bias some inputs toward plausible headers. */
		if (len > 3 && iter % 3 == 0) {
			bytes[0] = "SND"[iter % 9 / 3];
			bytes[1] = (unsigned char) (bytes[1] % 8);
		}
		pair_open(&p);
		raw(&p, bytes, len);
		pair_hangup(&p);
		ret = attr_scan_full(p.in, iter % 2 ? ATTR_FLAG_MORE | ATTR_FLAG_MISSING : 0,
				     1000, ATTR_LIST(SCAN_STR("s", s), SCAN_LONG("n", &n)), why);
		assert_true(ret >= -1 && ret <= 2);
		pair_close(&p);
		pair_open(&p);
		raw(&p, bytes, len);
		pair_hangup(&p);
		table = htable_new(4);
		ret = attr_scan_dynamic(p.in, ATTR_FLAG_NONE, 1000, table, why);
		assert_true(ret == -1 || (ret >= 0 && (size_t) ret <= len));
		htable_free(table, free);
		pair_close(&p);
	}
	buf_free(s);
	buf_free(why);
}

/* test_dynamic - any names into a table; duplicates refused */
static void
test_dynamic(void **state)
{
	struct pair p;
	struct htable *table = htable_new(4);
	struct buf *why = buf_new(4);

	(void) state;
	buf_reset(warnings);
	pair_open(&p);
	attr_print(p.out, 0, ATTR_LIST(ATTR_STR("address", "user@example.com"),
				       ATTR_LONG("offset", 1234567890123L),
				       ATTR_INT("dsn_notify", -1),
				       ATTR_DATA("blob", "xyz", 3)));
	attr_print(p.out, 0, ATTR_LIST(ATTR_STR("a", "1"), ATTR_STR("a", "2")));
	attr_print(p.out, 0, ATTR_LIST(ATTR_DATA("bin", "x\0y", 3)));
	pair_hangup(&p);
	assert_int_equal(attr_scan_dynamic(p.in, ATTR_FLAG_NONE, 0, table, why), 4);
	assert_int_equal(htable_count(table), 4);
	assert_string_equal(htable_find(table, "address"), "user@example.com");
	assert_string_equal(htable_find(table, "offset"), "1234567890123");
	assert_string_equal(htable_find(table, "dsn_notify"), "-1");
	assert_string_equal(htable_find(table, "blob"), "xyz");
	assert_int_equal(attr_scan_dynamic(p.in, ATTR_FLAG_NONE, 0, table, why), -1);
	assert_non_null(strstr(buf_str(why), "duplicate attribute \"a\""));
	pair_close(&p);

	pair_open(&p);
	attr_print(p.out, 0, ATTR_LIST(ATTR_DATA("bin", "x\0y", 3)));
	pair_hangup(&p);
	assert_int_equal(attr_scan_dynamic(p.in, ATTR_FLAG_NONE, 0, table, NULL), -1);
	assert_non_null(strstr(buf_str(warnings), "null byte in value"));
	pair_close(&p);
	htable_free(table, free);
	buf_free(why);
}

/* test_proto - the hello, a mismatch, and a closed connection */
static void
test_proto(void **state)
{
	struct pair p;
	struct buf *why = buf_new(4);

	(void) state;
	buf_reset(warnings);
	pair_open(&p);
	assert_int_equal(attr_send_proto(p.out, "showq"), 0);
	assert_int_equal(attr_send_proto(p.out, "qmgr"), 0);
	attr_print(p.out, ATTR_FLAG_FLUSH, ATTR_LIST(ATTR_STR("proto", "showq"),
						     ATTR_INT("version", 2)));
	pair_hangup(&p);
	assert_int_equal(attr_expect_proto(p.in, "showq", why), 0);
	assert_int_equal(attr_expect_proto(p.in, "showq", why), -1);
	assert_int_equal(errno, EPROTO);
	assert_non_null(strstr(buf_str(why), "protocol \"qmgr\", expected \"showq\""));
	assert_int_equal(attr_expect_proto(p.in, "showq", why), -1);
	assert_non_null(strstr(buf_str(why), "unexpected attribute \"version\""));
	pair_close(&p);

	pair_open(&p);
	pair_hangup(&p);
	assert_int_equal(attr_expect_proto(p.in, "showq", NULL), -1);
	assert_non_null(strstr(buf_str(warnings), "test peer: protocol hello: connection closed"));
	pair_close(&p);
	buf_free(why);
}

/* serve_one - child: accept one client, hello, answer one request */
static void
serve_one(int lfd, int mode)
{
	int	fd = sock_accept(lfd);
	struct stream *s;
	struct buf *id = buf_new(4);
	long	off = 0;

	if (fd < 0)
		_exit(2);
	s = stream_fdopen(fd, STREAM_READ | STREAM_WRITE);
	attr_send_proto(s, mode == 1 ? "other" : "cleanup");
	if (attr_scan(s, ATTR_FLAG_NONE, ATTR_LIST(SCAN_STR("queue_id", id),
					       SCAN_LONG("offset", &off))) != 2)
		_exit(3);
	if (mode != 2)
		attr_print(s, ATTR_FLAG_FLUSH, ATTR_LIST(ATTR_INT("status", 0),
				 ATTR_STR("reason", buf_str(id)), ATTR_LONG("offset", off + 1)));
	stream_close(s);
	buf_free(id);
	_exit(0);
}

/* test_request - attr_request against a forked UNIX-socket server */
static void
test_request(void **state)
{
	char	dir[] = "/tmp/test_attr.XXXXXX";
	struct buf *path = buf_new(64);
	struct buf *why = buf_new(4);
	struct buf *reason = buf_new(4);
	int	status = -1;
	long	off = 0;
	int	lfd, mode;
	pid_t	pid;

	(void) state;
	assert_non_null(mkdtemp(dir));
	buf_printf(path, "%s/cleanup", dir);
	lfd = unix_listen(buf_str(path), 5, 1);
	assert_true(lfd >= 0);
	for (mode = 0; mode < 3; mode++) {
		if ((pid = fork()) == 0)
			serve_one(lfd, mode);
		buf_reset(why);
		status = -1;
		if (mode == 0) {
			assert_int_equal(attr_request(buf_str(path), 5, "cleanup",
				ATTR_LIST(ATTR_STR("queue_id", "4ABC"), ATTR_LONG("offset", 41)),
				ATTR_FLAG_NONE, ATTR_LIST(SCAN_INT("status", &status),
				SCAN_STR("reason", reason), SCAN_LONG("offset", &off)), why), 3);
			assert_int_equal(status, 0);
			assert_string_equal(buf_str(reason), "4ABC");
			assert_int_equal(off, 42);
		} else {
			/* mode 1: wrong hello; mode 2: no reply */
			assert_int_equal(attr_request(buf_str(path), 5, "cleanup",
				ATTR_LIST(ATTR_STR("queue_id", "4ABC"), ATTR_LONG("offset", 41)),
				ATTR_FLAG_NONE, ATTR_LIST(SCAN_INT("status", &status)), why), -1);
			assert_non_null(strstr(buf_str(why), mode == 1 ?
					       "protocol \"other\", expected \"cleanup\""
					       : "reply: connection closed"));
		}
		waitpid(pid, NULL, 0);
	}
	close(lfd);
	unlink(buf_str(path));
	assert_int_equal(attr_request(buf_str(path), 1, "cleanup",
			 ATTR_LIST(ATTR_INT("x", 1)), 0, ATTR_LIST(ATTR_END), why), -1);
	assert_non_null(strstr(buf_str(why), "connect to "));
	assert_non_null(strstr(buf_str(why), "No such file or directory"));
	rmdir(dir);
	buf_free(path);
	buf_free(why);
	buf_free(reason);
}

/* test_reply_timeout - a server that never answers: the timeout fires */
static void
test_reply_timeout(void **state)
{
	struct buf *why = buf_new(4);
	int	fds[2];
	int	status;
	struct stream *s;

	(void) state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	s = stream_fdopen(fds[0], STREAM_READ | STREAM_WRITE);
	stream_set_timeout(s, 1);
	assert_int_equal(attr_transact(s, ATTR_LIST(ATTR_INT("x", 1)), 0,
				       ATTR_LIST(SCAN_INT("status", &status)), why), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_non_null(strstr(buf_str(why), "timeout"));
	stream_close(s);
	close(fds[1]);
	buf_free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_large_value),
		cmocka_unit_test(test_strictness),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_count_limit),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_dynamic),
		cmocka_unit_test(test_proto),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_reply_timeout),
	};

	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests_name("attr", tests, setup, teardown));
}
