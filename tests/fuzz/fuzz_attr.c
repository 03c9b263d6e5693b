/*
 * NAME
 *	fuzz_attr - libFuzzer target for the attribute IPC decoder
 * SYNOPSIS
 *	build/fuzz/bin/fuzz_attr [libFuzzer options] [corpus...]
 * DESCRIPTION
 *	The first input byte selects how the rest is read, so one corpus
 *	covers every reader:
 * .IP "bits 0-1"
 *	0: attr_scan_full() with a fixed list of required and optional
 *	attributes of every type, strict; 1: the same with ATTR_FLAG_MORE
 *	and ATTR_FLAG_MISSING; 2: attr_scan_dynamic(); 3:
 *	attr_expect_proto() for "cleanup", then one dynamic list.
 * .IP "bits 2-4"
 *	0: the stream delivers everything at once; n: at most 2^(n-1)
 *	bytes per read, so every short-read position is exercised.
 * .IP "bit 5"
 *	a value limit of 64 bytes instead of the default 1 MB.
 * .PP
 *	The rest is the wire data: up to eight lists are read from it
 *	until one fails. Invariants checked besides memory safety: a
 *	string value holds no null byte, a strict scan that succeeds
 *	filled every required attribute, and what it filled survives
 *	attr_print() and a second strict scan unchanged.
 * SEE ALSO
 *	attr(3), tests/fuzz/corpus/fuzz_attr, docs/fuzzing.md
 */
#include <util/sys_defs.h>
#include <util/attr.h>
#include <util/htable.h>
#include "fuzz_util.h"

#define FUZZ_ATTR_LISTS	8

struct fuzz_attr_vals {
	struct buf *id;
	int	status;
	long	offset;
	struct buf *data;
	struct buf *sender;
	int	flags;
	long	size;
	struct buf *reason;
};

/* fuzz_attr_vals_new - empty result holders */
static void
fuzz_attr_vals_new(struct fuzz_attr_vals *v)
{
	memset(v, 0, sizeof(*v));
	v->id = buf_new(10);
	v->data = buf_new(10);
	v->sender = buf_new(10);
	v->reason = buf_new(10);
}

/* fuzz_attr_vals_free - release result holders */
static void
fuzz_attr_vals_free(struct fuzz_attr_vals *v)
{
	buf_free(v->id);
	buf_free(v->data);
	buf_free(v->sender);
	buf_free(v->reason);
}

/* fuzz_attr_fixed - scan one list into v */
static int
fuzz_attr_fixed(struct stream *s, int flags, size_t limit,
		        struct fuzz_attr_vals *v, struct buf *why)
{
	return (attr_scan_full(s, flags, limit, ATTR_LIST(
				  SCAN_STR("queue_id", v->id),
				  SCAN_INT("status", &v->status),
				  SCAN_LONG("offset", &v->offset),
				  SCAN_DATA("data", v->data),
				  SCAN_OPT_STR("sender", v->sender),
				  SCAN_OPT_INT("flags", &v->flags),
				  SCAN_OPT_LONG("size", &v->size),
				  SCAN_OPT_DATA("reason", v->reason)), why));
}

/* fuzz_attr_same - compare two scan results */
static void
fuzz_attr_same(const struct fuzz_attr_vals *a, const struct fuzz_attr_vals *b)
{
	if (strcmp(buf_str(a->id), buf_str(b->id)) != 0
	    || a->status != b->status || a->offset != b->offset
	    || buf_len(a->data) != buf_len(b->data)
	    || memcmp(buf_str(a->data), buf_str(b->data), buf_len(a->data)) != 0)
		fuzz_fail("attr_print/attr_scan round trip changed the values");
}

/* fuzz_attr_round_trip - print what a strict scan read and read it back */
static void
fuzz_attr_round_trip(const struct fuzz_attr_vals *v)
{
	struct buf *wire = buf_new(100);
	struct buf *why = buf_new(10);
	struct stream *out = fuzz_stream_sink(wire);
	struct fuzz_attr_vals back;
	struct fuzz_input in;
	struct stream *s;

	if (strlen(buf_str(v->id)) != buf_len(v->id)
	    || strlen(buf_str(v->sender)) != buf_len(v->sender))
		fuzz_fail("string attribute value holds a null byte");
	if (attr_print(out, ATTR_FLAG_FLUSH, ATTR_LIST(
				ATTR_STR("queue_id", buf_str(v->id)),
				ATTR_INT("status", v->status),
				ATTR_LONG("offset", v->offset),
			  ATTR_DATA("data", buf_str(v->data), buf_len(v->data)))) < 0)
		fuzz_fail("attr_print to memory failed");
	fuzz_stream_close(out);
	memset(&in, 0, sizeof(in));
	in.data = (const uint8_t *) buf_str(wire);
	in.len = buf_len(wire);
	s = fuzz_stream_open(&in);
	fuzz_attr_vals_new(&back);
	if (fuzz_attr_fixed(s, ATTR_FLAG_NONE, 0, &back, why) != 4)
		fuzz_fail("attr_scan of attr_print output failed: %s", buf_str(why));
	fuzz_attr_same(v, &back);
	fuzz_attr_vals_free(&back);
	fuzz_stream_close(s);
	buf_free(why);
	buf_free(wire);
}

/* fuzz_attr_scan_fixed - read lists with the fixed list */
static void
fuzz_attr_scan_fixed(struct stream *s, int flags, size_t limit, struct buf *why)
{
	struct fuzz_attr_vals v;
	int	n;
	int	i;

	fuzz_attr_vals_new(&v);
	for (i = 0; i < FUZZ_ATTR_LISTS; i++) {
		n = fuzz_attr_fixed(s, flags, limit, &v, why);
		if (n < 0)
			break;
		if (n > 8)
			fuzz_fail("attr_scan filled %d entries of a list of 8", n);
		if (flags == ATTR_FLAG_NONE && n < 4)
			fuzz_fail("strict attr_scan succeeded with %d entries", n);
		if (flags == ATTR_FLAG_NONE)
			fuzz_attr_round_trip(&v);
	}
	fuzz_attr_vals_free(&v);
}

/* fuzz_attr_scan_dynamic - read lists of any names */
static void
fuzz_attr_scan_dynamic(struct stream *s, size_t limit, struct buf *why)
{
	struct htable *table;
	int	n;
	int	i;

	for (i = 0; i < FUZZ_ATTR_LISTS; i++) {
		table = htable_new(10);
		n = attr_scan_dynamic(s, ATTR_FLAG_NONE, limit, table, why);
		if (n >= 0 && htable_count(table) != (size_t) n)
			fuzz_fail("attr_scan_dynamic stored %zu of %d attributes",
				  htable_count(table), n);
		htable_free(table, free);
		if (n < 0)
			break;
	}
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

/* LLVMFuzzerTestOneInput - one input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_input in;
	struct stream *s;
	struct buf *why;
	int	mode;
	size_t	limit;

	if (len < 1)
		return (0);
	mode = data[0] & 3;
	memset(&in, 0, sizeof(in));
	in.chunk = (data[0] >> 2) & 7 ? (size_t) 1 << (((data[0] >> 2) & 7) - 1) : 0;
	limit = data[0] & 0x20 ? 64 : 0;
	in.data = data + 1;
	in.len = len - 1;
	s = fuzz_stream_open(&in);
	why = buf_new(100);
	if (mode == 0)
		fuzz_attr_scan_fixed(s, ATTR_FLAG_NONE, limit, why);
	else if (mode == 1)
		fuzz_attr_scan_fixed(s, ATTR_FLAG_MORE | ATTR_FLAG_MISSING, limit, why);
	else if (mode == 2 || attr_expect_proto(s, "cleanup", why) == 0)
		fuzz_attr_scan_dynamic(s, limit, why);
	buf_free(why);
	fuzz_stream_close(s);
	return (0);
}
