/*
 * NAME
 *	fuzz_smtpd - libFuzzer target for the SMTP server's command parser
 *	and DATA state machine
 * SYNOPSIS
 *	build/fuzz/bin/fuzz_smtpd [libFuzzer options] [corpus...]
 * DESCRIPTION
 *	Input layout: byte 0 configures DATA (bits 0-1: 0 and 3
 *	smtpd_forbid_bare_newline=normal, 1 reject, 2 no; bit 2: the DATA
 *	command ended in CR LF; bits 3-5: the line length limit, one of 1,
 *	2, 3, 7, 64, 998, 2048, 4096; bits 6-7: the stream delivers 1, 3,
 *	17 bytes per read or everything at once). Byte 1 holds the
 *	smtpd_parse_mail() flags (bits 0-3). The rest is what a client
 *	sends, used twice:
 * .IP \(bu
 *	as command lines (split at LF, a CR before it removed): each goes
 *	through smtpd_parse_verb() and, by verb, smtpd_parse_hello(),
 *	smtpd_parse_mail(), smtpd_parse_rcpt() or smtpd_parse_vrfy(), as
 *	smtpd's command loop does;
 * .IP \(bu
 *	as message content after DATA: read with stream_get_line() at the
 *	line limit and classified by smtpd_dot_line(), as smtpd_data.c does.
 * .PP
 *	Invariants checked besides memory safety:
 * .IP \(bu
 *	a refused command gets a complete "5xx " reply; an accepted MAIL or
 *	RCPT has sane fields (SIZE >= -2, a RET and NOTIFY from the DSN
 *	sets);
 * .IP \(bu
 *	the SMTP smuggling defense: the data ends exactly after the first
 *	CR LF "." CR LF (the leading CR LF may be the DATA command's own)
 *	in modes normal and reject, or after the first LF "." LF or LF "."
 *	CR LF in mode no; otherwise it does not end before the input does;
 * .IP \(bu
 *	content pieces lie inside the line they came from and a "." line
 *	is never passed on with its leading dot unless it is the bare "."
 *	that did not end the data.
 * SEE ALSO
 *	smtpd(8), smtpd/smtpd_parse.c, smtpd/smtpd_dot.c,
 *	tests/fuzz/corpus/fuzz_smtpd, docs/fuzzing.md
 */
#include <util/sys_defs.h>
#include <util/stream.h>
#include <global/dsn.h>
#include "smtpd/smtpd.h"
#include "fuzz_util.h"

static const size_t fuzz_smtpd_limits[] = {1, 2, 3, 7, 64, 998, 2048, 4096};
static const size_t fuzz_smtpd_chunks[] = {1, 3, 17, 0};

/* fuzz_smtpd_reply - a refused command's reply */
static void
fuzz_smtpd_reply(const char *line, const struct buf *reply)
{
	const char *r = buf_str(reply);

	if (buf_len(reply) < 4 || r[0] != '5' || r[1] < '0' || r[1] > '9'
	    || r[2] < '0' || r[2] > '9' || r[3] != ' ')
		fuzz_fail("command \"%s\" refused with reply \"%s\"", line, r);
}

/* fuzz_smtpd_mail - MAIL FROM */
static void
fuzz_smtpd_mail(const char *line, const char *args, int flags)
{
	struct smtpd_mail_args mail;
	struct buf *reply = buf_new(100);

	smtpd_mail_args_init(&mail);
	if (smtpd_parse_mail(args, flags, &mail, reply) < 0)
		fuzz_smtpd_reply(line, reply);
	else if (mail.size < SMTPD_SIZE_OVERFLOW
		 || (mail.dsn_ret != 0 && mail.dsn_ret != DSN_RET_FULL
		     && mail.dsn_ret != DSN_RET_HDRS)
		 || mail.encoding < SMTPD_ENC_NONE || mail.encoding > SMTPD_ENC_8BITMIME)
		fuzz_fail("MAIL \"%s\": size %ld ret %d encoding %d", line,
			  mail.size, mail.dsn_ret, mail.encoding);
	smtpd_mail_args_free(&mail);
	buf_free(reply);
}

/* fuzz_smtpd_rcpt - RCPT TO */
static void
fuzz_smtpd_rcpt(const char *line, const char *args, int flags)
{
	struct smtpd_rcpt_args rcpt;
	struct buf *reply = buf_new(100);

	smtpd_rcpt_args_init(&rcpt);
	if (smtpd_parse_rcpt(args, flags, &rcpt, reply) < 0)
		fuzz_smtpd_reply(line, reply);
	else if ((rcpt.dsn_notify & ~(DSN_NOTIFY_NEVER | DSN_NOTIFY_ANY)) != 0
		 || buf_len(rcpt.rcpt) == 0)
		fuzz_fail("RCPT \"%s\": notify %#x, recipient \"%s\"", line,
			  rcpt.dsn_notify, buf_str(rcpt.rcpt));
	smtpd_rcpt_args_free(&rcpt);
	buf_free(reply);
}

/* fuzz_smtpd_command - one command line */
static void
fuzz_smtpd_command(const char *line, int flags)
{
	struct buf *verb = buf_new(20);
	struct buf *out = buf_new(100);
	struct buf *reply = buf_new(100);
	const char *args = smtpd_parse_verb(line, verb);
	const char *v = buf_str(verb);

	if (args < line || args > line + strlen(line))
		fuzz_fail("smtpd_parse_verb(\"%s\"): arguments outside the line", line);
	(void) smtpd_parse_is_forbidden(v);
	if (strcmp(v, "HELO") == 0 || strcmp(v, "EHLO") == 0) {
		if (smtpd_parse_hello(args, out, reply, v) < 0)
			fuzz_smtpd_reply(line, reply);
	} else if (strcmp(v, "MAIL") == 0) {
		fuzz_smtpd_mail(line, args, flags);
	} else if (strcmp(v, "RCPT") == 0) {
		fuzz_smtpd_rcpt(line, args, flags);
	} else if (strcmp(v, "VRFY") == 0) {
		if (smtpd_parse_vrfy(args, flags, out, reply) < 0)
			fuzz_smtpd_reply(line, reply);
	}
	buf_free(reply);
	buf_free(out);
	buf_free(verb);
}

/* fuzz_smtpd_commands - every line of the input as a command */
static void
fuzz_smtpd_commands(const uint8_t *data, size_t len, int flags)
{
	char   *line;
	size_t	n;

	while ((line = fuzz_line(&data, &len)) != NULL) {
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = 0;
		fuzz_smtpd_command(line, flags);
		free(line);
	}
}

/* fuzz_smtpd_find - offset of needle in hay, or -1 */
static long
fuzz_smtpd_find(const struct buf *hay, const char *needle)
{
	size_t	n = strlen(needle);
	size_t	i;

	for (i = 0; i + n <= buf_len(hay); i++)
		if (memcmp(buf_str(hay) + i, needle, n) == 0)
			return ((long) i);
	return (-1);
}

/* fuzz_smtpd_expected_end - where the data must end, or -1 */
static long
fuzz_smtpd_expected_end(const uint8_t *data, size_t len, int mode, bool crlf)
{
	struct buf *text = buf_new(len + 2);
	long	at, lf, crlf_at;
	size_t	prefix = crlf ? 2 : 1;

	buf_cat(text, crlf ? "\r\n" : "\n");
	buf_catn(text, data, len);
	if (mode != SMTPD_BARE_NL_NO) {
		at = fuzz_smtpd_find(text, "\r\n.\r\n");
		at = at < 0 ? -1 : at + 5 - (long) prefix;
	} else {
		lf = fuzz_smtpd_find(text, "\n.\n");
		crlf_at = fuzz_smtpd_find(text, "\n.\r\n");
		if (lf >= 0 && (crlf_at < 0 || lf < crlf_at))
			at = lf + 3 - (long) prefix;
		else
			at = crlf_at < 0 ? -1 : crlf_at + 4 - (long) prefix;
	}
	buf_free(text);
	return (at);
}

/* fuzz_smtpd_ending - stream_get_line() result to smtpd_dot ending */
static int
fuzz_smtpd_ending(int ret)
{
	if (ret == STREAM_LINE_CRLF)
		return (SMTPD_DOT_LINE_CRLF);
	if (ret == STREAM_LINE_LF)
		return (SMTPD_DOT_LINE_LF);
	if (ret == STREAM_LINE_PARTIAL)
		return (SMTPD_DOT_LINE_PART);
	return (-1);
}

/* fuzz_smtpd_piece - check one content piece */
static void
fuzz_smtpd_piece(const struct buf *line, bool whole, const char *out,
		         size_t out_len)
{
	if (out < buf_str(line) || out + out_len > buf_str(line) + buf_len(line))
		fuzz_fail("DATA content outside its line");
	if (whole && out == buf_str(line) && out_len > 1 && *out == '.')
		fuzz_fail("DATA line \"%.20s\" passed on with its leading dot", out);
}

/* fuzz_smtpd_data - the input as message content */
static void
fuzz_smtpd_data(const uint8_t *data, size_t len, uint8_t config)
{
	struct fuzz_input in = {data, len, 0, fuzz_smtpd_chunks[config >> 6]};
	int	mode = (config & 3) == 1 ? SMTPD_BARE_NL_REJECT
	: (config & 3) == 2 ? SMTPD_BARE_NL_NO : SMTPD_BARE_NL_NORMAL;
	bool	crlf = (config & 4) != 0;
	struct stream *s = fuzz_stream_open(&in);
	struct buf *line = buf_new(100);
	struct smtpd_dot dot;
	const char *out;
	size_t	out_len;
	long	want = fuzz_smtpd_expected_end(data, len, mode, crlf);
	long	got = -1;
	int	ending, type;
	bool	in_line = false;

	smtpd_dot_init(&dot, mode, crlf);
	while ((ending = fuzz_smtpd_ending(stream_get_line(s, line,
				fuzz_smtpd_limits[(config >> 3) & 7]))) >= 0) {
		type = smtpd_dot_line(&dot, buf_str(line), buf_len(line), ending,
				      &out, &out_len);
		if (type == SMTPD_DOT_END) {
			got = (long) (in.pos - stream_pending(s));
			break;
		}
		if (type != SMTPD_DOT_NORM && type != SMTPD_DOT_CONT)
			fuzz_fail("smtpd_dot_line returned %d", type);
		fuzz_smtpd_piece(line, !in_line, out, out_len);
		in_line = (ending == SMTPD_DOT_LINE_PART);
	}
	if (got != want)
		fuzz_fail("DATA (mode %d, %s before) ended at %ld, expected %ld",
			  mode, crlf ? "CR LF" : "LF", got, want);
	buf_free(line);
	fuzz_stream_close(s);
}

/* LLVMFuzzerInitialize - once per process */
int	LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	fuzz_init();
	return (0);
}

/* LLVMFuzzerTestOneInput - two configuration bytes and client input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len < 2)
		return (0);
	fuzz_smtpd_commands(data + 2, len - 2, data[1] & 0xf);
	fuzz_smtpd_data(data + 2, len - 2, data[0]);
	return (0);
}
