/*
 * NAME
 *	test_smtpd_dot - unit tests for end-of-data and smuggling defense
 * DESCRIPTION
 *	Each case is raw client input after "DATA"; a helper splits it the
 *	way stream_get_line() does and feeds smtpd_dot_line(). The case
 *	says whether and where the data ends and what content is stored.
 */
#include <util/sys_defs.h>
#include <setjmp.h>
#include <cmocka.h>
#include <util/buf.h>
#include "smtpd/smtpd.h"

/* Case tables leave trailing fields out: they are zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct dot_case {
	const char *name;
	int	mode;
	bool	start_crlf;
	size_t	limit;			/* piece size, 0 = large */
	const char *input;
	bool	ends;			/* the data ends */
	const char *content;		/* stored lines, "|" after each NORM */
	const char *rest;		/* input after the end */
	long	bare_lf;
};

static const struct dot_case cases[] = {
	{"simple", SMTPD_BARE_NL_NORMAL, true, 0, "a\r\nb\r\n.\r\n", true, "a|b|", ""},
	{"empty message", SMTPD_BARE_NL_NORMAL, true, 0, ".\r\n", true, "", ""},
	{"pipelined after end", SMTPD_BARE_NL_NORMAL, true, 0, "a\r\n.\r\nQUIT\r\n",
	true, "a|", "QUIT\r\n"},
	{"dot stuffing", SMTPD_BARE_NL_NORMAL, true, 0, "..x\r\n..\r\n.\r\n", true, ".x|.|", ""},
	{"smuggle LF.LF", SMTPD_BARE_NL_NORMAL, true, 0,
		"a\r\n\n.\nMAIL FROM:<x@evil>\r\n.\r\n", true,
	"a||.|MAIL FROM:<x@evil>|", "", 2},
	{"smuggle LF.CRLF", SMTPD_BARE_NL_NORMAL, true, 0,
		"a\n.\r\nRCPT TO:<v@example>\r\n.\r\n", true,
	"a|.|RCPT TO:<v@example>|", "", 1},
	{"smuggle CRLF.LF", SMTPD_BARE_NL_NORMAL, true, 0,
		"a\r\n.\nDATA\r\n.\r\n", true, "a|.|DATA|", "", 1},
	{"smuggle CR.CR", SMTPD_BARE_NL_NORMAL, true, 0,
		"a\r.\rMAIL FROM:<x>\r\n.\r\n", true, "a\r.\rMAIL FROM:<x>|", ""},
	{"smuggle CRLF.CR", SMTPD_BARE_NL_NORMAL, true, 0,
		"a\r\n.\rX\r\n.\r\n", true, "a|\rX|", ""},
	{"dot CR CRLF", SMTPD_BARE_NL_NORMAL, true, 0,
		"a\r\n.\r\r\n.\r\n", true, "a|\r|", ""},
	{"never ends", SMTPD_BARE_NL_NORMAL, true, 0, "a\n.\n", false, "a|.|", "", 2},
	{"reject mode counts", SMTPD_BARE_NL_REJECT, true, 0,
		"a\nb\r\n.\r\n", true, "a|b|", "", 1},
	{"reject mode LF.LF", SMTPD_BARE_NL_REJECT, true, 0,
		"a\r\n.\nb\r\n.\r\n", true, "a|.|b|", "", 1},
	{"no mode LF.LF ends", SMTPD_BARE_NL_NO, true, 0, "a\n.\nMAIL\r\n", true, "a|", "MAIL\r\n", 1},
	{"no mode CRLF.LF ends", SMTPD_BARE_NL_NO, true, 0, "a\r\n.\n", true, "a|", "", 0},
	{"no mode CR.CR", SMTPD_BARE_NL_NO, true, 0, "a\r.\r\r\n.\r\n", true, "a\r.\r|", ""},
	{"data command bare LF", SMTPD_BARE_NL_NORMAL, false, 0, ".\r\nx\r\n.\r\n", true,
	".|x|", ""},
	{"long line pieces", SMTPD_BARE_NL_NORMAL, true, 4, "abcdefgh\r\n.\r\n", true,
	"abcd+efgh|", ""},
	{"dot after piece", SMTPD_BARE_NL_NORMAL, true, 4, "abcd.\r\n.\r\n", true,
	"abcd+.|", ""},
	{"stuffed long line", SMTPD_BARE_NL_NORMAL, true, 4, "..abcdef\r\n.\r\n", true,
	".ab+cdef|", ""},
	{"exact limit then CRLF", SMTPD_BARE_NL_NORMAL, true, 4, "abcd\r\n.\r\n", true,
	"abcd|", ""},
};

/* next_piece - stream_get_line() on a string; returns bytes consumed */
static size_t
next_piece(const char *in, size_t avail, size_t limit, size_t *len, int *ending)
{
	size_t	i;

	for (i = 0; i < avail; i++) {
		if (in[i] == '\n') {
			if (i > 0 && in[i - 1] == '\r') {
				*len = i - 1;
				*ending = SMTPD_DOT_LINE_CRLF;
			} else {
				*len = i;
				*ending = SMTPD_DOT_LINE_LF;
			}
			if (*len <= limit)
				return (i + 1);
			break;
		}
		if (i >= limit && !(i == limit && in[i] == '\r'))
			break;
	}
	*len = avail < limit ? avail : limit;
	*ending = SMTPD_DOT_LINE_PART;
	return (*len);
}

/* run_case - feed one input and compare */
static void
run_case(const struct dot_case *c)
{
	struct smtpd_dot dot;
	struct buf *content = buf_new(64);
	size_t	limit = c->limit ? c->limit : 1000;
	size_t	pos = 0;
	size_t	total = strlen(c->input);
	size_t	len;
	size_t	used;
	int	ending;
	int	ret = -1;
	const char *out;
	size_t	out_len;

	smtpd_dot_init(&dot, c->mode, c->start_crlf);
	while (pos < total) {
		used = next_piece(c->input + pos, total - pos, limit, &len, &ending);
		if (ending == SMTPD_DOT_LINE_PART && pos + used == total)
			break;			/* input ends inside a line */
		ret = smtpd_dot_line(&dot, c->input + pos, len, ending, &out, &out_len);
		pos += used;
		if (ret == SMTPD_DOT_END)
			break;
		assert_true(ret == SMTPD_DOT_NORM || ret == SMTPD_DOT_CONT);
		buf_catn(content, out, out_len);
		buf_putc(content, ret == SMTPD_DOT_NORM ? '|' : '+');
	}
	if ((ret == SMTPD_DOT_END) != c->ends)
		fail_msg("%s: ends=%d, want %d", c->name, ret == SMTPD_DOT_END, c->ends);
	if (strcmp(buf_str(content), c->content) != 0)
		fail_msg("%s: content \"%s\", want \"%s\"", c->name, buf_str(content), c->content);
	if (c->ends && strcmp(c->input + pos, c->rest) != 0)
		fail_msg("%s: rest \"%s\", want \"%s\"", c->name, c->input + pos, c->rest);
	if (dot.bare_lf != c->bare_lf)
		fail_msg("%s: bare_lf %ld, want %ld", c->name, dot.bare_lf, c->bare_lf);
	buf_free(content);
}

/* test_cases - the case table */
static void
test_cases(void **state)
{
	size_t	i;

	(void) state;
	for (i = 0; i < ARRAY_LEN(cases); i++)
		run_case(cases + i);
}

/* test_mode - parameter values */
static void
test_mode(void **state)
{
	struct smtpd_dot dot;
	const char *out;
	size_t	len;

	(void) state;
	assert_int_equal(smtpd_dot_mode("normal"), SMTPD_BARE_NL_NORMAL);
	assert_int_equal(smtpd_dot_mode("yes"), SMTPD_BARE_NL_NORMAL);
	assert_int_equal(smtpd_dot_mode("Reject"), SMTPD_BARE_NL_REJECT);
	assert_int_equal(smtpd_dot_mode("no"), SMTPD_BARE_NL_NO);
	assert_int_equal(smtpd_dot_mode("maybe"), -1);
	assert_int_equal(smtpd_dot_mode(""), -1);
	smtpd_dot_init(&dot, SMTPD_BARE_NL_NORMAL, true);
	assert_int_equal(smtpd_dot_line(&dot, "x", 1, 99, &out, &len), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_mode),
	};

	return (cmocka_run_group_tests_name("smtpd_dot", tests, NULL, NULL));
}
