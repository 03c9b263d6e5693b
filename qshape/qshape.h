/*
 * NAME
 *	qshape - queue shape table: domains by age bucket
 * SYNOPSIS
 *	#include "qshape.h"
 *
 *	void	qshape_opts_init(struct qshape_opts *opts);
 *	int	qshape_bucket(const struct qshape_opts *opts, time_t now,
 *			time_t arrival);
 *	const char *qshape_domain(struct buf *out, const char *address);
 *	int	qshape_parent(struct buf *domain);
 *
 *	struct qshape_table *qshape_table_new(const struct qshape_opts *opts);
 *	void	qshape_table_add(struct qshape_table *tp, const char *address,
 *			int bucket);
 *	unsigned long qshape_table_total(const struct qshape_table *tp);
 *	void	qshape_table_text(const struct qshape_table *tp, int top,
 *			struct buf *out);
 *	void	qshape_table_json(const struct qshape_table *tp,
 *			const char *const *queues, int top, struct buf *out);
 *	void	qshape_table_free(struct qshape_table *tp);

struct qshape_scan *qshape_scan_create(const struct qshape_opts *opts, time_t now,
				               int is_sender, int threads,
				               qshape_count_fn fn, void *ctx);
void	qshape_scan_queue(struct qshape_scan *sp, const char *queue);
void	qshape_scan_free(struct qshape_scan *sp);
 *
 *	struct qshape_scan *qshape_scan_create(const struct qshape_opts *opts,
 *			time_t now, int is_sender, int threads,
 *			qshape_count_fn fn, void *ctx);
 *	void	qshape_scan_queue(struct qshape_scan *sp, const char *queue);
 *	void	qshape_scan_free(struct qshape_scan *sp);
 * DESCRIPTION
 *	This module is qshape's arithmetic and layout, as Postfix's
 *	qshape(1) computes them.
 *
 *	Buckets. Bucket 0 is the total. With bucket_time t minutes and
 *	bucket_count n, bucket 1 counts ages below t minutes; geometric
 *	buckets (the default) then double: bucket b (2 <= b < n) counts
 *	ages from t*2^(b-2) to below t*2^(b-1) minutes; linear buckets
 *	(-l) are t minutes wide. The last bucket n has no upper limit.
 *	Headings are "T", the upper limits, and the last limit with a "+"
 *	("5 10 20 40 80 160 320 640 1280 1280+" by default). qshape_bucket()
 *	returns the bucket for a message's arrival time; future arrival
 *	times count as age 0.
 *
 *	Domains. qshape_domain() turns an address into the row name: ASCII
 *	lower case, the null address as MAILER-DAEMON, everything up to the
 *	last '@' removed, ".." made ".", one leading and one trailing dot
 *	removed. qshape_parent() replaces a name by its parent domain row
 *	name (".b.example.com" for "a.b.example.com", then ".example.com");
 *	it returns 0 when there is none (top-level domains are never rows).
 *
 *	The table. qshape_table_add() counts one address in the total,
 *	its domain and (with opts->parents) every parent domain, in bucket
 *	b and in the domain's total. A parent row counts its immediate
 *	subdomain rows; it is shown only with at least opts->min_subdomains
 *	of them.
 *
 *	Layout (qshape_table_text()). Each count column is as wide as the
 *	wider of its heading and its total, plus one blank (at least 3);
 *	the domain column gets what is left of opts->width (80), at least
 *	18 columns; longer names keep their last characters after a '+'
 *	(".+" for parent rows). Rows: the headings, TOTAL, then the
 *	domains by count (most first), then by name length, then by name.
 *	top > 0 shows at most top rows, TOTAL included. Control characters
 *	in names are shown as '?'.
 *
 *	qshape_table_json() prints the same rows as one JSON object:
 *	{"queues": [...], "buckets": [5, 10, ..., "1280+"], "rows":
 *	[{"domain": "TOTAL", "total": N, "counts": [...]}, ...]}.
 *
 *	qshape_scan_*() read the queues (qshape_scan.c): see there.
 * SEE ALSO
 *	qshape(1)
 */
#ifndef POSTERN_QSHAPE_H
#define POSTERN_QSHAPE_H

#include <util/sys_defs.h>
#include <time.h>
#include <util/buf.h>

#define QSHAPE_MAX_BUCKETS	40	/* t*2^38 minutes is plenty */
#define QSHAPE_MAX_TICK		1000000	/* minutes */
#define QSHAPE_MIN_DWIDTH	18	/* domain column */
#define QSHAPE_DEF_WIDTH	80

struct qshape_opts {
	int	buckets;		/* -b, default 10 */
	long	tick;			/* -t minutes, default 5 */
	int	is_linear;		/* -l */
	int	parents;		/* -p */
	long	min_subdomains;		/* -m, default 5 */
	int	width;			/* -w, default 80 */
};

struct qshape_table;
struct qshape_scan;

typedef void (*qshape_count_fn) (void *ctx, int bucket, const char *address);

void	qshape_opts_init(struct qshape_opts *opts);
int	qshape_bucket(const struct qshape_opts *opts, time_t now, time_t arrival);
const char *qshape_domain(struct buf *out, const char *address);
int	qshape_parent(struct buf *domain);

struct qshape_table *qshape_table_new(const struct qshape_opts *opts);
void	qshape_table_add(struct qshape_table *tp, const char *address, int bucket);
unsigned long qshape_table_total(const struct qshape_table *tp);
void	qshape_table_text(const struct qshape_table *tp, int top, struct buf *out);
void	qshape_table_json(const struct qshape_table *tp, const char *const *queues,
			          int top, struct buf *out);
void	qshape_table_free(struct qshape_table *tp);

struct qshape_scan *qshape_scan_create(const struct qshape_opts *opts, time_t now,
				               int is_sender, int threads,
				               qshape_count_fn fn, void *ctx);
void	qshape_scan_queue(struct qshape_scan *sp, const char *queue);
void	qshape_scan_free(struct qshape_scan *sp);

#endif
