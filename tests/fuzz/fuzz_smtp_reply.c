/*
 * NAME
 *	fuzz_smtp_reply - libFuzzer target for the SMTP client's reply parser
 * SYNOPSIS
 *	build/fuzz/bin/fuzz_smtp_reply [libFuzzer options] [corpus...]
 * DESCRIPTION
 *	Byte 0 selects how the stream delivers the rest (bits 0-1: 1, 3 or
 *	64 bytes per read, or everything at once). The rest is what a
 *	remote SMTP server sends: up to sixteen replies are read with
 *	smtp_reply_read() until one fails, and each is classified with and
 *	without throttle patterns. Every input line is also handed to
 *	smtp_reply_add_line() directly.
 *
 *	Invariants checked besides memory safety: a good reply has a code
 *	200..599, 1..SMTP_REPLY_LINES_LIMIT lines (all kept in reply->line),
 *	a valid enhanced status of the reply's own class (3xx: 2.x.x), and
 *	text that holds every line; a failed read says why; classification
 *	has exactly one of OK, DEFER and BOUNCE, CLOSE only for 421, SPLIT
 *	only for 452 and never with THROTTLE.
 * SEE ALSO
 *	smtp(8), smtp/smtp_reply.c, tests/fuzz/corpus/fuzz_smtp_reply,
 *	docs/fuzzing.md
 */
#include <util/sys_defs.h>
#include <util/stream.h>
#include <global/dsn.h>
#include "smtp/smtp.h"
#include "fuzz_util.h"

#define FUZZ_SMTP_REPLIES	16

static const size_t fuzz_smtp_chunks[] = {1, 3, 64, 0};
static struct smtp_throttle *fuzz_smtp_throttle;

/* fuzz_smtp_classify - check the class bits of a good reply */
static void
fuzz_smtp_classify(const struct smtp_reply *reply, int bits)
{
	int	main_bits = bits & (SMTP_CLASS_OK | SMTP_CLASS_DEFER | SMTP_CLASS_BOUNCE);

	if (main_bits != SMTP_CLASS_OK && main_bits != SMTP_CLASS_DEFER
	    && main_bits != SMTP_CLASS_BOUNCE)
		fuzz_fail("reply %d classified %#x", reply->code, bits);
	if ((main_bits == SMTP_CLASS_OK) != (reply->code < 400)
	    || (main_bits == SMTP_CLASS_BOUNCE) != (reply->code >= 500))
		fuzz_fail("reply %d classified %#x", reply->code, bits);
	if (((bits & SMTP_CLASS_CLOSE) != 0) != (reply->code == 421))
		fuzz_fail("reply %d classified %#x (close)", reply->code, bits);
	if ((bits & SMTP_CLASS_SPLIT)
	    && (reply->code != 452 || (bits & SMTP_CLASS_THROTTLE)))
		fuzz_fail("reply %d classified %#x (split)", reply->code, bits);
}

/* fuzz_smtp_mixed_codes - lines of one reply with different codes */
static bool
fuzz_smtp_mixed_codes(const struct smtp_reply *reply)
{
	size_t	i;

	for (i = 1; i < reply->line->argc; i++)
		if (strncmp(reply->line->argv[i], reply->line->argv[0], 3) != 0)
			return (true);
	return (false);
}

/* fuzz_smtp_check - a reply that smtp_reply_read() accepted */
static void
fuzz_smtp_check(const struct smtp_reply *reply)
{
	int	want = reply->code < 400 ? 2 : reply->code / 100;
	size_t	i;

	if (reply->code < 200 || reply->code > 599 || !reply->is_done)
		fuzz_fail("good reply with code %d, done %d", reply->code, reply->is_done);
	if (reply->lines < 1 || reply->lines > SMTP_REPLY_LINES_LIMIT
	    || (size_t) reply->lines != reply->line->argc)
		fuzz_fail("good reply with %d lines, %zu kept", reply->lines,
			  reply->line->argc);
	if (fuzz_smtp_mixed_codes(reply))
		fuzz_fail("accepted reply with mixed codes \"%.60s\"",
			  buf_str(reply->text));
	if (!dsn_valid_status(reply->dsn) || dsn_class(reply->dsn) != want)
		fuzz_fail("reply %d \"%.60s\" has status \"%s\"", reply->code,
			  buf_str(reply->text), reply->dsn);
	for (i = 0; i < reply->line->argc; i++)
		if (strstr(buf_str(reply->text), reply->line->argv[i]) == NULL)
			fuzz_fail("reply text lacks line %zu", i);
	fuzz_smtp_classify(reply, smtp_reply_classify(reply, NULL));
	fuzz_smtp_classify(reply, smtp_reply_classify(reply, fuzz_smtp_throttle));
	(void) smtp_reply_is_split(reply);
}

/* fuzz_smtp_read - replies from a stream */
static void
fuzz_smtp_read(const uint8_t *data, size_t len, size_t chunk)
{
	struct fuzz_input in = {data, len, 0, chunk};
	struct stream *s = fuzz_stream_open(&in);
	struct smtp_reply reply;
	struct buf *why = buf_new(100);
	enum smtp_read_status status;
	int	i;

	smtp_reply_init(&reply);
	for (i = 0; i < FUZZ_SMTP_REPLIES; i++) {
		if ((status = smtp_reply_read(s, &reply, why)) != SMTP_READ_OK) {
			if (status == SMTP_READ_PROTO && buf_len(why) == 0)
				fuzz_fail("protocol error without a reason");
			if (status == SMTP_READ_TIMEOUT)
				fuzz_fail("time-out reading memory");
			break;
		}
		fuzz_smtp_check(&reply);
	}
	smtp_reply_free(&reply);
	buf_free(why);
	fuzz_stream_close(s);
}

/* fuzz_smtp_lines - every input line through smtp_reply_add_line() */
static void
fuzz_smtp_lines(const uint8_t *data, size_t len)
{
	struct smtp_reply reply;
	struct buf *why = buf_new(100);
	const uint8_t *nl;
	size_t	n;
	int	more = 1;

	smtp_reply_init(&reply);
	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl ? (size_t) (nl - data) : len;
		if (!more)
			smtp_reply_reset(&reply);
		if ((more = smtp_reply_add_line(&reply, (const char *) data, n, why)) < 0) {
			if (buf_len(why) == 0)
				fuzz_fail("smtp_reply_add_line failed without a reason");
			smtp_reply_reset(&reply);
			more = 1;
		} else if (more == 0) {
			fuzz_smtp_check(&reply);
		}
		data += nl ? n + 1 : n;
		len -= nl ? n + 1 : n;
	}
	smtp_reply_free(&reply);
	buf_free(why);
}

/* LLVMFuzzerInitialize - once per process */
int	LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	fuzz_init();
	fuzz_smtp_throttle = smtp_throttle_create("*rate limit*, *too many "
			       "connections*\n4.7.0 *, [45]21 *try again*");
	return (0);
}

/* LLVMFuzzerTestOneInput - one configuration byte and server output */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len < 1)
		return (0);
	fuzz_smtp_read(data + 1, len - 1, fuzz_smtp_chunks[data[0] & 3]);
	fuzz_smtp_lines(data + 1, len - 1);
	return (0);
}
