/*
 * NAME
 *	fuzz_dsn - libFuzzer target for DSN and bounce input parsing
 * SYNOPSIS
 *	build/fuzz/bin/fuzz_dsn [libFuzzer options] [corpus...]
 * DESCRIPTION
 *	The input, up to a null byte, goes to every parser of dsn(3) that
 *	sees remote text: dsn_from_reply() (a remote server's SMTP reply,
 *	which becomes bounce text), the status code functions, and the
 *	RFC 3461 parameters an SMTP client sends: NOTIFY, RET, ENVID, ORCPT
 *	and xtext.
 *
 *	Invariants checked besides memory safety:
 * .IP \(bu
 *	dsn_from_reply() either leaves the dsn untouched or fills a valid
 *	status whose class matches the reply code, an action, a reason and
 *	"smtp" diagnostics; dsn_copy() of the result is equal;
 * .IP \(bu
 *	dsn_valid_status(), dsn_class() and dsn_text() agree, and
 *	dsn_status_len() never exceeds the text;
 * .IP \(bu
 *	a NOTIFY mask and a RET value survive formatting and parsing back;
 * .IP \(bu
 *	xtext: encoding any text and decoding the result gives the text;
 *	decoding valid xtext, encoding and decoding again is stable; an
 *	ENVID that dsn_envid_valid() accepts decodes.
 * SEE ALSO
 *	dsn(3), tests/fuzz/corpus/fuzz_dsn, docs/fuzzing.md
 */
#include <util/sys_defs.h>
#include <global/dsn.h>
#include "fuzz_util.h"

/* fuzz_dsn_same - two strings, both may be NULL */
static bool
fuzz_dsn_same(const char *a, const char *b)
{
	return ((a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0));
}

/* fuzz_dsn_reply - a remote SMTP reply line */
static void
fuzz_dsn_reply(const char *text)
{
	struct dsn dsn;
	struct dsn copy;

	dsn_init(&dsn);
	if (dsn_from_reply(&dsn, text) < 0) {
		if (dsn.status[0] || dsn.action || dsn.reason || dsn.dtext)
			fuzz_fail("failed dsn_from_reply changed the dsn");
		return;
	}
	if (!dsn_valid_status(dsn.status) || dsn_class(dsn.status) != text[0] - '0')
		fuzz_fail("reply \"%s\" gave status \"%s\"", text, dsn.status);
	if (dsn.action == NULL || dsn.reason == NULL || dsn.dtype == NULL
	    || strcmp(dsn.dtype, "smtp") != 0 || dsn.dtext == NULL)
		fuzz_fail("reply \"%s\" left a field empty", text);
	dsn_init(&copy);
	dsn_copy(&copy, &dsn);
	if (strcmp(copy.status, dsn.status) != 0
	    || !fuzz_dsn_same(copy.action, dsn.action)
	    || !fuzz_dsn_same(copy.reason, dsn.reason)
	    || !fuzz_dsn_same(copy.dtext, dsn.dtext)
	    || !fuzz_dsn_same(copy.mname, dsn.mname))
		fuzz_fail("dsn_copy differs for \"%s\"", text);
	dsn_free(&copy);
	dsn_free(&dsn);
}

/* fuzz_dsn_status - status code functions */
static void
fuzz_dsn_status(const char *text)
{
	bool	valid = dsn_valid_status(text);
	size_t	len = dsn_status_len(text);

	if (valid != (dsn_class(text) > 0))
		fuzz_fail("dsn_valid_status and dsn_class disagree on \"%s\"", text);
	if (valid != (dsn_text(text) != NULL))
		fuzz_fail("dsn_valid_status and dsn_text disagree on \"%s\"", text);
	if (len > strlen(text) || (valid && len != strlen(text)))
		fuzz_fail("dsn_status_len(\"%s\") = %zu", text, len);
	if (valid)
		(void) dsn_action_for(text);
	(void) dsn_class_text(text[0] ? text[0] - '0' : 0);
}

/* fuzz_dsn_params - NOTIFY, RET, ENVID, ORCPT */
static void
fuzz_dsn_params(const char *text)
{
	struct buf *out = buf_new(100);
	struct buf *type = buf_new(100);
	int	mask, ret;

	if ((mask = dsn_notify_parse(text)) >= 0) {
		if (mask == 0 || (mask & DSN_NOTIFY_NEVER && mask != DSN_NOTIFY_NEVER))
			fuzz_fail("NOTIFY \"%s\" gave mask %#x", text, mask);
		if (dsn_notify_str(out, mask) == NULL
		    || dsn_notify_parse(buf_str(out)) != mask)
			fuzz_fail("NOTIFY mask %#x does not survive \"%s\"", mask,
				  buf_str(out));
	}
	if ((ret = dsn_ret_parse(text)) >= 0
	    && (dsn_ret_str(ret) == NULL || dsn_ret_parse(dsn_ret_str(ret)) != ret))
		fuzz_fail("RET \"%s\" does not survive formatting", text);
	if (dsn_envid_valid(text) && dsn_xtext_decode(out, text) < 0)
		fuzz_fail("valid ENVID \"%s\" does not decode", text);
	if (dsn_orcpt_parse(text, type, out) == 0
	    && (buf_len(type) == 0 || buf_len(out) == 0))
		fuzz_fail("ORCPT \"%s\" parsed with an empty part", text);
	buf_free(type);
	buf_free(out);
}

/* fuzz_dsn_xtext - xtext both ways */
static void
fuzz_dsn_xtext(const char *text)
{
	struct buf *enc = buf_new(100);
	struct buf *dec = buf_new(100);
	struct buf *again = buf_new(100);

	dsn_xtext_encode(enc, text);
	if (dsn_xtext_decode(dec, buf_str(enc)) < 0 || strcmp(buf_str(dec), text) != 0)
		fuzz_fail("xtext of \"%s\" is \"%s\", decoded \"%s\"", text,
			  buf_str(enc), buf_str(dec));
	if (dsn_xtext_decode(dec, text) == 0) {
		dsn_xtext_encode(enc, buf_str(dec));
		if (dsn_xtext_decode(again, buf_str(enc)) < 0
		    || strcmp(buf_str(again), buf_str(dec)) != 0)
			fuzz_fail("xtext \"%s\" is not stable", text);
	}
	buf_free(again);
	buf_free(dec);
	buf_free(enc);
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

/* LLVMFuzzerTestOneInput - one text */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char   *text = fuzz_string(data, len);

	fuzz_dsn_reply(text);
	fuzz_dsn_status(text);
	fuzz_dsn_params(text);
	fuzz_dsn_xtext(text);
	free(text);
	return (0);
}
