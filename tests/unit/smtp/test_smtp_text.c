/*
 * NAME
 *	test_smtp_text - unit tests for dot-stuffing and long line splitting
 * DESCRIPTION
 *	Table tests of smtp_text_out() (CR LF, leading dots, lines at, below
 *	and above the limit, the CR LF SPACE break, no limit), a check that
 *	the output does not depend on how a line was cut into CONT records,
 *	and smtp_text_copy() on real queue files: a good one, one without
 *	MESG at the offset, one with a foreign record in the content, and a
 *	truncated one.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <unistd.h>
#include <util/msg.h>
#include <global/record.h>
#include <global/params.h>
#include "smtp/smtp.h"

/* setup - defaults, quiet logging */
static int
setup(void **state)
{
	(void) state;
	msg_to_stderr(MSG_STDERR_OFF);
	params_reset_defaults();
	return (0);
}

/* render - records "N:text" / "L:text" separated by '|' */
static void
render(const char *input, long limit, struct buf *out)
{
	struct smtp_text text;
	const char *cp = input, *end;

	buf_reset(out);
	smtp_text_init(&text, limit);
	for (;;) {
		end = strchr(cp, '|');
		smtp_text_out(&text, cp[0] == 'L' ? REC_TYPE_CONT : REC_TYPE_NORM, cp + 2,
			      (end ? (size_t) (end - cp) : strlen(cp)) - 2, out);
		if (end == NULL)
			return;
		cp = end + 1;
	}
}

/* test_text_table - single records */
static void
test_text_table(void **state)
{
	static const struct {
		const char *input;
		long	limit;
		const char *want;
	} cases[] = {
		{"N:hello", 998, "hello\r\n"},
		{"N:", 998, "\r\n"},
		{"N:.", 998, "..\r\n"},
		{"N:.x|N:..y|N: .z", 998, "..x\r\n...y\r\n .z\r\n"},
		{"N:0123456789", 10, "0123456789\r\n"},
		{"N:0123456789a", 10, "0123456789\r\n a\r\n"},
		{"N:0123456789abcdefghijklmnopqrstuvwxyz", 10,
		 "0123456789\r\n abcdefghi\r\n jklmnopqr\r\n stuvwxyz\r\n"},
		{"N:.123456789abc", 10, "..123456789\r\n abc\r\n"},
		{"L:01234|N:56789abc", 10, "0123456789\r\n abc\r\n"},
		{"L:ab|N:.c", 10, "ab.c\r\n"},
		{"L:0123456789|N:", 10, "0123456789\r\n"},
		{"L:0123456789|L:|N:a", 10, "0123456789\r\n a\r\n"},
		{"N:0123456789abc", 0, "0123456789abc\r\n"},
		{"N:.0123456789abc", 0, "..0123456789abc\r\n"},
		{"L:.a|L:.b|N:.c", 0, "..a.b.c\r\n"},
		{"N:abcdef", 1, "ab\r\n c\r\n d\r\n e\r\n f\r\n"},
	};
	struct buf *out = buf_new(100);
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		render(cases[i].input, cases[i].limit, out);
		if (strcmp(out->data, cases[i].want) != 0)
			fail_msg("case %zu (%s): got \"%s\"", i, cases[i].input, out->data);
	}
	buf_free(out);
}

/* test_text_cuts - the result does not depend on the record cuts */
static void
test_text_cuts(void **state)
{
	struct buf *whole = buf_new(100), *cut = buf_new(100), *line = buf_new(100);
	struct smtp_text text;
	size_t	len, pos, step, i;
	long	limit;

	(void) state;
	srandom(4711);
	for (i = 0; i < 500; i++) {
		buf_reset(line);
		len = (size_t) (random() % 120);
		while (line->len < len)
			buf_putc(line, random() % 7 == 0 ? '.' : 'a' + random() % 26);
		limit = random() % 3 == 0 ? 0 : 2 + random() % 40;
		buf_reset(whole);
		smtp_text_init(&text, limit);
		smtp_text_out(&text, REC_TYPE_NORM, line->data, line->len, whole);
		buf_reset(cut);
		smtp_text_init(&text, limit);
		for (pos = 0; pos < line->len; pos += step) {
			step = 1 + (size_t) (random() % 30);
			if (pos + step > line->len)
				break;
			smtp_text_out(&text, REC_TYPE_CONT, line->data + pos, step, cut);
		}
		/* The last piece may be empty: a CONT can end the line. */
		smtp_text_out(&text, REC_TYPE_NORM, line->data + pos, line->len - pos, cut);
		assert_string_equal(whole->data, cut->data);
	}
	buf_free(whole);
	buf_free(cut);
	buf_free(line);
}

/* write_file - a queue file fragment: junk, MESG, content records, XTRA */
static int
write_file(const char *path, const char *records, long *mesg_offset, int truncate)
{
	int	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	struct rec_io *rp = rec_open(fd, REC_WRITE);
	const char *cp = records, *end;

	rec_put(rp, REC_TYPE_FROM, "a@b", 3);
	*mesg_offset = (long) rec_tell(rp);
	rec_put_mesg(rp, 0);
	for (; *cp; cp = end ? end + 1 : cp + strlen(cp)) {
		end = strchr(cp, '|');
		rec_put(rp, cp[0], cp + 2, (end ? (size_t) (end - cp) : strlen(cp)) - 2);
		if (end == NULL)
			break;
	}
	rec_put(rp, REC_TYPE_END, "", 0);
	assert_int_equal(rec_close(rp), 0);
	if (truncate)
		assert_int_equal(ftruncate(fd, lseek(fd, 0, SEEK_END) - truncate), 0);
	lseek(fd, 0, SEEK_SET);
	return (fd);
}

/* copy_file - smtp_text_copy() into a file; the output and status */
static enum smtp_copy_status
copy_file(const char *dir, const char *records, int truncate, int bad_offset,
	          struct buf *out, struct buf *why)
{
	struct buf *path = buf_new(100);
	struct stream *s;
	enum smtp_copy_status status;
	long	offset;
	int	fd, ofd;
	char	data[4096];
	ssize_t	n;

	buf_printf(path, "%s/qf", dir);
	fd = write_file(path->data, records, &offset, truncate);
	buf_printf(path, "%s/out", dir);
	ofd = open(path->data, O_RDWR | O_CREAT | O_TRUNC, 0600);
	s = stream_fdopen(ofd, STREAM_WRITE);
	status = smtp_text_copy(fd, bad_offset ? offset + 1 : offset, s, 10, why);
	stream_free(s);
	lseek(ofd, 0, SEEK_SET);
	buf_reset(out);
	while ((n = read(ofd, data, sizeof(data))) > 0)
		buf_catn(out, data, (size_t) n);
	close(fd);
	close(ofd);
	buf_free(path);
	return (status);
}

/* test_text_copy - queue file content to a stream */
static void
test_text_copy(void **state)
{
	char	dir[] = "/tmp/test_smtp_textXXXXXX";
	struct buf *out = buf_new(100), *why = buf_new(100), *path = buf_new(100);

	(void) state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(copy_file(dir, "N:Subject: x|N:|N:.dot|L:0123456|N:789abc|X:",
				   0, 0, out, why), SMTP_COPY_OK);
	assert_string_equal(out->data, "Subject: x\r\n\r\n..dot\r\n0123456789\r\n abc\r\n");
	assert_int_equal(copy_file(dir, "N:a|L:bc|X:", 0, 0, out, why), SMTP_COPY_OK);
	assert_string_equal(out->data, "a\r\nbc\r\n");
	assert_int_equal(copy_file(dir, "N:a|X:", 0, 1, out, why), SMTP_COPY_READ_ERR);
	assert_non_null(strstr(why->data, "no content record"));
	buf_reset(why);
	assert_int_equal(copy_file(dir, "N:a|R:x@y|N:b|X:", 0, 0, out, why),
			 SMTP_COPY_READ_ERR);
	assert_non_null(strstr(why->data, "unexpected record type"));
	buf_reset(why);
	assert_int_equal(copy_file(dir, "N:a|N:bbbbbbbbbb", 6, 0, out, why),
			 SMTP_COPY_READ_ERR);
	assert_non_null(strstr(why->data, "content read error"));
	buf_printf(path, "%s/qf", dir);
	unlink(path->data);
	buf_printf(path, "%s/out", dir);
	unlink(path->data);
	rmdir(dir);
	buf_free(out);
	buf_free(why);
	buf_free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_text_table, setup),
		cmocka_unit_test_setup(test_text_cuts, setup),
		cmocka_unit_test_setup(test_text_copy, setup),
	};

	return (cmocka_run_group_tests_name("smtp_text", tests, NULL, NULL));
}
