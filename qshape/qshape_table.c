/*
 * NAME
 *	qshape_table - bucket arithmetic, domain rows and the table layout
 * SYNOPSIS
 *	#include <showq/showq.h>

#include "qshape.h"
 * DESCRIPTION
 *	See qshape.h. Memory is one row per domain (and parent domain):
 *	the message walk itself keeps nothing.
 * SEE ALSO
 *	qshape(1)
 */
#include <util/sys_defs.h>
#include <util/alloc.h>
#include <util/htable.h>
#include <util/msg.h>

#include <showq/showq.h>

#include "qshape.h"

#define QSHAPE_TOTAL	"TOTAL"
#define QSHAPE_NULL	"MAILER-DAEMON"

struct qshape_row {
	unsigned long subdomains;	/* immediate subdomain rows */
	unsigned long counts[];		/* [0] total, [1..buckets] */
};

struct qshape_table {
	struct qshape_opts opts;
	struct htable *rows;
	unsigned long *total;		/* the TOTAL row */
	struct buf *key;
};

 /*
  * One row selected for output.
  */
struct qshape_out {
	const char *name;
	const unsigned long *counts;
};

/* qshape_opts_init - Postfix's defaults */

void
qshape_opts_init(struct qshape_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->buckets = 10;
	opts->tick = 5;
	opts->min_subdomains = 5;
	opts->width = QSHAPE_DEF_WIDTH;
}

/* qshape_bucket - 1..buckets for a message that arrived then */

int
qshape_bucket(const struct qshape_opts *opts, time_t now, time_t arrival)
{
	long long age = (long long) now - (long long) arrival;
	long long unit = 60LL * opts->tick;
	long long b;
	int	k = 0;

	if (age < unit)
		return (1);
	if (opts->is_linear) {
		b = 1 + age / unit;
	} else {
		while (k < 62 && (age >> (k + 1)) >= unit)
			k++;
		b = 2 + k;
	}
	return (b < opts->buckets ? (int) b : opts->buckets);
}

/* qshape_domain - row name for an address */

const char *
qshape_domain(struct buf *out, const char *address)
{
	const char *at = strrchr(address, '@');
	const char *cp = at ? at + 1 : address;
	char   *s;
	size_t	len;

	buf_reset(out);
	if (*address == 0)
		return (buf_str(buf_cpy(out, QSHAPE_NULL)));
	for (; *cp; cp++) {
		if (cp[0] == '.' && cp[1] == '.')
			cp++;			/* ".." becomes "." */
		buf_putc(out, (*cp >= 'A' && *cp <= 'Z') ? *cp - 'A' + 'a' : *cp);
	}
	s = buf_str(out);
	if ((len = buf_len(out)) >= 2 && s[0] == '.') {
		memmove(s, s + 1, len--);
		buf_truncate(out, len);
	}
	if (len >= 2 && s[len - 1] == '.')
		buf_truncate(out, len - 1);
	return (buf_str(out));
}

/* qshape_parent - ".parent" row name, 0 when there is none */

int
qshape_parent(struct buf *domain)
{
	char   *s = buf_str(domain);
	char   *label = s + (s[0] == '.');
	char   *dot = strchr(label, '.');
	size_t	skip;

	if (dot == NULL || dot == label || strchr(dot + 1, '.') == NULL)
		return (0);
	skip = (size_t) (dot - s);		/* keep the dot itself */
	memmove(s, s + skip, buf_len(domain) - skip + 1);
	buf_truncate(domain, buf_len(domain) - skip);
	return (1);
}

/* qshape_table_new - empty table */

struct qshape_table *
qshape_table_new(const struct qshape_opts *opts)
{
	struct qshape_table *tp = xcalloc(1, sizeof(*tp));

	if (opts->buckets < 1 || opts->buckets > QSHAPE_MAX_BUCKETS
	    || opts->tick < 1 || opts->tick > QSHAPE_MAX_TICK)
		msg_panic("qshape_table_new: bad options");
	tp->opts = *opts;
	tp->rows = htable_new(256);
	tp->total = xcalloc((size_t) opts->buckets + 1, sizeof(*tp->total));
	tp->key = buf_new(64);
	return (tp);
}

/* qshape_table_free - release */

void
qshape_table_free(struct qshape_table *tp)
{
	htable_free(tp->rows, free);
	free(tp->total);
	buf_free(tp->key);
	free(tp);
}

/* qshape_table_row - find or make a row; *is_new tells which */

static struct qshape_row *
qshape_table_row(struct qshape_table *tp, const char *name)
{
	struct qshape_row *row;

	if ((row = htable_find(tp->rows, name)) == NULL) {
		row = xcalloc(1, sizeof(*row)
			   + ((size_t) tp->opts.buckets + 1) * sizeof(row->counts[0]));
		(void) htable_enter(tp->rows, name, row);
	}
	return (row);
}

/* qshape_table_add - count one address */

void
qshape_table_add(struct qshape_table *tp, const char *address, int bucket)
{
	struct qshape_row *row;
	int	child_is_new = 0, is_new;

	if (bucket < 1 || bucket > tp->opts.buckets)
		msg_panic("qshape_table_add: bad bucket %d", bucket);
	tp->total[0]++;
	tp->total[bucket]++;
	(void) qshape_domain(tp->key, address);
	do {
		row = qshape_table_row(tp, buf_str(tp->key));
		is_new = (row->counts[0]++ == 0);
		row->counts[bucket]++;
		if (child_is_new)
			row->subdomains++;
		child_is_new = is_new;
	} while (tp->opts.parents && qshape_parent(tp->key));
}

/* qshape_table_total - addresses counted */

unsigned long
qshape_table_total(const struct qshape_table *tp)
{
	return (tp->total[0]);
}

/* qshape_out_cmp - most first, then shorter names, then by name */

static int
qshape_out_cmp(const void *a, const void *b)
{
	const struct qshape_out *x = a, *y = b;
	size_t	xl, yl;

	if (x->counts[0] != y->counts[0])
		return (x->counts[0] > y->counts[0] ? -1 : 1);
	if ((xl = strlen(x->name)) != (yl = strlen(y->name)))
		return (xl < yl ? -1 : 1);
	return (strcmp(x->name, y->name));
}

/* qshape_table_select - TOTAL and the rows to show, in order */

static struct qshape_out *
qshape_table_select(const struct qshape_table *tp, int top, size_t *count)
{
	struct htable_entry **list = htable_list(tp->rows);
	struct qshape_out *out;
	const struct qshape_row *row;
	size_t	i, n = 1;

	out = xcalloc(htable_count(tp->rows) + 1, sizeof(*out));
	out[0].name = QSHAPE_TOTAL;
	out[0].counts = tp->total;
	for (i = 0; list[i]; i++) {
		row = list[i]->value;
		if (list[i]->key[0] == '.'
		    && row->subdomains < (unsigned long) tp->opts.min_subdomains)
			continue;
		out[n].name = list[i]->key;
		out[n++].counts = row->counts;
	}
	free(list);
	qsort(out + 1, n - 1, sizeof(*out), qshape_out_cmp);
	if (top > 0 && (size_t) top < n)
		n = (size_t) top;
	*count = n;
	return (out);
}

/* qshape_table_head - heading of column i (0: "T") */

static void
qshape_table_head(const struct qshape_opts *opts, int i, struct buf *out)
{
	unsigned long long t = 0;
	int	j;

	buf_reset(out);
	if (i == 0) {
		buf_cat(out, "T");
		return;
	}
	for (j = 1; j <= i && j < opts->buckets; j++)
		t += (t && !opts->is_linear) ? t : (unsigned long long) opts->tick;
	if (i < opts->buckets)
		buf_appendf(out, "%llu", t);
	else
		buf_appendf(out, "%llu+", t);
}

/* qshape_table_name - a domain in the domain column */

static void
qshape_table_name(const char *name, int dw, struct buf *out)
{
	size_t	len = strlen(name), start = 0;
	size_t	mark = buf_len(out);

	if (len > (size_t) dw) {
		if (name[0] == '.') {
			buf_cat(out, ".+");
			start = len - (size_t) (dw - 2);
		} else {
			buf_cat(out, "+");
			start = len - (size_t) (dw - 1);
		}
	} else {
		buf_appendf(out, "%*s", (int) (dw - (int) len), "");
	}
	buf_cat(out, name + start);
	for (char *cp = buf_str(out) + mark; *cp; cp++)
		if ((unsigned char) *cp < 0x20 || *cp == 0x7f)
			*cp = '?';
}

/* qshape_table_text - the table as Postfix's qshape prints it */

void
qshape_table_text(const struct qshape_table *tp, int top, struct buf *out)
{
	int	nb = tp->opts.buckets, i, l, dw = tp->opts.width;
	int	*width = xcalloc((size_t) nb + 1, sizeof(*width));
	struct buf *head = buf_new(16), *num = buf_new(24);
	struct qshape_out *rows;
	size_t	n, r;

	for (i = 0; i <= nb; i++) {
		qshape_table_head(&tp->opts, i, head);
		buf_printf(num, "%lu", tp->total[i]);
		l = (int) (buf_len(head) > buf_len(num) ? buf_len(head) : buf_len(num));
		width[i] = l > 2 ? l + 1 : 3;
		dw -= width[i];
	}
	if (dw < QSHAPE_MIN_DWIDTH)
		dw = QSHAPE_MIN_DWIDTH;
	qshape_table_name("", dw, out);
	for (i = 0; i <= nb; i++) {
		qshape_table_head(&tp->opts, i, head);
		buf_appendf(out, "%*s", width[i], buf_str(head));
	}
	buf_putc(out, '\n');
	rows = qshape_table_select(tp, top, &n);
	for (r = 0; r < n; r++) {
		qshape_table_name(rows[r].name, dw, out);
		for (i = 0; i <= nb; i++)
			buf_appendf(out, "%*lu", width[i], rows[r].counts[i]);
		buf_putc(out, '\n');
	}
	free(rows);
	free(width);
	buf_free(head);
	buf_free(num);
}

/* qshape_json_string - a JSON string, valid for any bytes */

static void
qshape_json_string(struct buf *out, const char *text)
{
	buf_putc(out, '"');
	showq_json_quote(out, text);
	buf_putc(out, '"');
}

/* qshape_table_json - the same rows as one JSON object */

void
qshape_table_json(const struct qshape_table *tp, const char *const *queues,
		  int top, struct buf *out)
{
	struct buf *head = buf_new(16);
	struct qshape_out *rows;
	size_t	n, r;
	int	i;

	buf_cat(out, "{\"queues\": [");
	for (i = 0; queues[i]; i++) {
		buf_cat(out, i ? ", " : "");
		qshape_json_string(out, queues[i]);
	}
	buf_cat(out, "], \"buckets\": [");
	for (i = 1; i <= tp->opts.buckets; i++) {
		qshape_table_head(&tp->opts, i, head);
		buf_cat(out, i > 1 ? ", " : "");
		if (i < tp->opts.buckets)
			buf_cat(out, buf_str(head));
		else
			qshape_json_string(out, buf_str(head));
	}
	buf_cat(out, "], \"rows\": [");
	rows = qshape_table_select(tp, top, &n);
	for (r = 0; r < n; r++) {
		buf_cat(out, r ? ", {\"domain\": " : "{\"domain\": ");
		qshape_json_string(out, rows[r].name);
		buf_appendf(out, ", \"total\": %lu, \"counts\": [", rows[r].counts[0]);
		for (i = 1; i <= tp->opts.buckets; i++)
			buf_appendf(out, "%s%lu", i > 1 ? ", " : "", rows[r].counts[i]);
		buf_cat(out, "]}");
	}
	buf_cat(out, "]}\n");
	free(rows);
	buf_free(head);
}
