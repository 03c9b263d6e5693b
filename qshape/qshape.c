/*
 * NAME
 *	qshape - print the queue domain and age distribution
 * SYNOPSIS
 *	qshape [-s] [-p] [-m min_subdomains] [-b bucket_count]
 *		[-t bucket_time] [-l] [-w terminal_width] [-N batch_msg_count]
 *		[-n batch_top_domains] [-j] [-c config_dir] [-h]
 *		[queue_name ...]
 * DESCRIPTION
 *	As Postfix's qshape(1): a table of the recipient domains (or with
 *	-s the sender domains) of the messages in the named queues
 *	(default: incoming active) by message age, with the layout of
 *	Postfix's qshape. Counts are addresses still to be delivered (one
 *	sender per message with -s); messages without such a recipient are
 *	not counted. Ages come from the arrival time in the queue file.
 *	.IP -s
 *	Sender domains instead of recipient domains.
 *	.IP -p
 *	Also rows for parent domains (".example.com") that have at least
 *	min_subdomains subdomain rows; top-level domains are never shown.
 *	.IP "-m min_subdomains"
 *	Default 5.
 *	.IP "-b bucket_count"
 *	Number of age buckets, default 10 (at most 40).
 *	.IP "-t bucket_time"
 *	Upper age limit of the first bucket in minutes, default 5.
 *	.IP -l
 *	Linear buckets (multiples of bucket_time) instead of doubling ones.
 *	.IP "-w terminal_width"
 *	Line width when wider than 80.
 *	.IP "-N batch_msg_count"
 *	On a terminal, show intermediate results every that many messages
 *	(default 1000 on a terminal; 0: never).
 *	.IP "-n batch_top_domains"
 *	Show only this many rows, TOTAL included. Postfix applies it only
 *	on a terminal (default 20 there); Postern applies it whenever it is
 *	given, and shows all rows otherwise when not on a terminal.
 *	.IP -j
 *	Print the table as one JSON object instead.
 *	.IP "-c config_dir"
 *	The main.cf directory.
 *	.IP -h
 *	Print a summary of the options.
 * .PP
 *	Queue names are directories below queue_directory; absolute paths
 *	are used as they are.
 *
 *	qshape reads only the envelope of each queue file, with one reader
 *	thread per CPU (at most four) and a few batches of file names in
 *	flight: its memory is the table of domains, however large the
 *	queue.
 * DIAGNOSTICS
 *	Exit status 0 on success, 1 for a usage error, a queue that cannot
 *	be read or another fatal error. Unreadable or malformed files are
 *	skipped with a warning.
 * SECURITY
 *	Needs read access to the queue: run it as root or mail_owner.
 * PARAMETERS
 *	queue_directory, hash_queue_depth, hash_queue_names.
 * SEE ALSO
 *	postqueue(1), showq(8), docs/man/qshape.1.md
 */
#include <util/sys_defs.h>
#include <getopt.h>
#include <time.h>
#include <unistd.h>
#include <util/buf.h>
#include <util/msg.h>
#include <global/cmd_init.h>
#include <global/mail_proto.h>
#include <global/params.h>
#include <global/queue.h>

#include "qshape.h"

#define QS_CLEAR_SCREEN	"\033[H\033[2J"
#define QS_MAX_THREADS	4

#define QS_USAGE \
	"usage: qshape [ -s ] [ -p ] [ -m <min_subdomains> ] [ -l ]\n" \
	"\t[ -b <bucket_count> ] [ -t <bucket_time> ] [ -w <terminal_width> ]\n" \
	"\t[ -N <batch_msg_count> ] [ -n <batch_top_domains> ] [ -j ]\n" \
	"\t[ -c <config_directory> ] [ <queue_name> ... ]\n"

#define QS_HELP QS_USAGE \
	"The 's' option shows sender domain counts.\n" \
	"The 'p' option shows address counts for parent domains.\n" \
	"Parent domains are shown with a leading '.' before the domain name.\n" \
	"Parent domains are only shown if the domain is not a TLD, and at\n" \
	"least <min_subdomains> (default 5) subdomains are shown in the output.\n\n" \
	"The bucket age ranges in units of <bucket_time> minutes are\n" \
	"[0,1), [1,2), [2,4), [4,8), [8, 16), ... i.e.:\n" \
	"\tthe first bucket is [0, bucket_time) minutes\n" \
	"\tthe second bucket is [bucket_time, 2*bucket_time) minutes\n" \
	"\tthe third bucket is [2*bucket_time, 4*bucket_time) minutes...\n" \
	"'-l' makes the ages linear, the number of buckets shown is <bucket_count>\n\n" \
	"The default summary is for the incoming and active queues. An explicit\n" \
	"list of queue names can be given on the command line. Non-absolute queue\n" \
	"names are interpreted relative to the queue directory. Use\n" \
	"<config_directory> to specify a non-default instance. The 'j' option\n" \
	"prints the table as JSON.\n"

struct qs_state {
	struct qshape_opts opts;
	const char *config_dir;
	int	is_sender;		/* -s */
	int	is_json;		/* -j */
	long	top;			/* -n, -1 = not given */
	long	batch;			/* -N, -1 = not given */
	int	on_tty;
	time_t	now;
	unsigned long msgs;		/* messages counted */
	const char *const *queues;
	struct qshape_table *table;
	struct buf *out;
};

/* qs_number - a decimal option argument within limits */

static long
qs_number(int opt, const char *arg, long min, long max)
{
	char   *end;
	long	value;

	errno = 0;
	value = strtol(arg, &end, 10);
	if (*arg == 0 || *end != 0 || errno != 0 || value < min || value > max)
		msg_fatal("bad -%c value \"%s\": need a number from %ld to %ld",
			  opt, arg, min, max);
	return (value);
}

/* qs_options - parse the command line; returns the first queue index */

static int
qs_options(int argc, char **argv, struct qs_state *qs)
{
	int	ch;

	while ((ch = getopt(argc, argv, "b:c:hjlm:n:N:pst:vw:")) != -1) {
		switch (ch) {
		case 'b': qs->opts.buckets = (int) qs_number(ch, optarg, 1, QSHAPE_MAX_BUCKETS); break;
		case 'c': qs->config_dir = optarg; break;
		case 'h': fputs(QS_HELP, stdout); exit(0);
		case 'j': qs->is_json = 1; break;
		case 'l': qs->opts.is_linear = 1; break;
		case 'm': qs->opts.min_subdomains = qs_number(ch, optarg, 1, 1000000000); break;
		case 'n': qs->top = qs_number(ch, optarg, 0, 1000000000); break;
		case 'N': qs->batch = qs_number(ch, optarg, 0, 1000000000); break;
		case 'p': qs->opts.parents = 1; break;
		case 's': qs->is_sender = 1; break;
		case 't': qs->opts.tick = qs_number(ch, optarg, 1, QSHAPE_MAX_TICK); break;
		case 'v': msg_verbose++; break;
		case 'w': qs->opts.width = (int) qs_number(ch, optarg, 1, 100000); break;
		default: fputs(QS_USAGE, stderr); exit(1);
		}
	}
	if (qs->opts.width < QSHAPE_DEF_WIDTH)
		qs->opts.width = QSHAPE_DEF_WIDTH;	/* Postfix: only wider */
	return (optind);
}

/* qs_results - print the table (final or intermediate) */

static void
qs_results(struct qs_state *qs, const char *const *queues)
{
	int	top = (int) (qs->top >= 0 ? qs->top : (qs->on_tty ? 20 : 0));

	buf_reset(qs->out);
	if (qs->is_json) {
		qshape_table_json(qs->table, queues, top, qs->out);
	} else {
		if (qs->batch > 0)
			buf_cat(qs->out, QS_CLEAR_SCREEN);
		qshape_table_text(qs->table, top, qs->out);
	}
	if (fwrite(buf_str(qs->out), 1, buf_len(qs->out), stdout) != buf_len(qs->out)
	    || fflush(stdout) != 0)
		msg_fatal("write to standard output: %m");
}

/* qs_count - one address of a message; bucket 0 ends the message */

static void
qs_count(void *ctx, int bucket, const char *address)
{
	struct qs_state *qs = ctx;

	if (bucket > 0) {
		qshape_table_add(qs->table, address, bucket);
	} else if (qs->batch > 0 && ++qs->msgs % (unsigned long) qs->batch == 0) {
		qs_results(qs, qs->queues);
	}
}

/* qs_threads - readers: one per CPU, at most QS_MAX_THREADS */

static int
qs_threads(void)
{
	long	n = sysconf(_SC_NPROCESSORS_ONLN);

	return (n < 1 ? 1 : n > QS_MAX_THREADS ? QS_MAX_THREADS : (int) n);
}

int
main(int argc, char **argv)
{
	static const char *const def_queues[] = {
		MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE, NULL,
	};
	struct qs_state qs;
	struct qshape_scan *scan;
	int	first;

	memset(&qs, 0, sizeof(qs));
	qshape_opts_init(&qs.opts);
	qs.top = qs.batch = -1;
	msg_init(argv[0]);
	first = qs_options(argc, argv, &qs);
	qs.queues = first < argc ? (const char *const *) argv + first : def_queues;
	cmd_init(argv[0], qs.config_dir);
	if (queue_set_hash(var_hash_queue_depth, var_hash_queue_names) < 0)
		msg_fatal("bad hash_queue_depth or hash_queue_names");
	qs.on_tty = !qs.is_json && isatty(STDOUT_FILENO);
	if (!qs.on_tty)
		qs.batch = 0;			/* progress only on a terminal */
	else if (qs.batch < 0)
		qs.batch = 1000;
	qs.now = time(NULL);
	qs.table = qshape_table_new(&qs.opts);
	qs.out = buf_new(4096);
	scan = qshape_scan_create(&qs.opts, qs.now, qs.is_sender, qs_threads(),
				  qs_count, &qs);
	for (const char *const *qp = qs.queues; *qp; qp++)
		qshape_scan_queue(scan, *qp);
	qshape_scan_free(scan);
	qs_results(&qs, qs.queues);
	qshape_table_free(qs.table);
	buf_free(qs.out);
	return (0);
}
