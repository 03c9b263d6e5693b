/*
 * NAME
 *	postqueue - Postern queue control for every user
 * SYNOPSIS
 *	postqueue [-v] [-c config_dir] -p
 *	postqueue [-v] [-c config_dir] -j
 *	postqueue [-v] [-c config_dir] -f
 *	postqueue [-v] [-c config_dir] -i queue_id
 *	postqueue [-v] [-c config_dir] -s site
 * DESCRIPTION
 *	As Postfix's postqueue, with Postfix's output layouts.
 *	.IP -p
 *	List the queue in the Sendmail-compatible mailq layout (long queue
 *	IDs): mailq and sendmail -bp run this.
 *	.IP -j
 *	List the queue as JSON, one object per message and line, with
 *	Postfix's fields plus "priority" and per recipient "transport".
 *	.IP -f
 *	Flush: ask qmgr to retry all deferred mail now, forgetting dead and
 *	throttled destinations (qmgr request 'F').
 *	.IP "-i queue_id"
 *	Retry one deferred message now (qmgr request "i<id>").
 *	.IP "-s site"
 *	Retry deferred mail for one destination now (qmgr request "s<site>").
 *	.IP "-c config_dir"
 *	The main.cf directory (default: $MAIL_CONFIG, else /etc/postern).
 *	.IP -v
 *	More verbose logging.
 * .PP
 *	The listing comes from the showq(8) service over public/showq.
 *	When the mail system is down, the superuser and mail_owner read
 *	the queue directly (with a warning, as Postfix); other users get
 *	an error.
 * DIAGNOSTICS
 *	Exit status 0 on success; 69 for a usage error or when the mail
 *	system is down; 70 for a broken reply from showq; 1 for other
 *	fatal errors.
 * SECURITY
 *	Not set-uid. Running as root, the direct listing first switches to
 *	mail_owner.
 * PARAMETERS
 *	queue_directory, showq_service_name, queue_service_name,
 *	ipc_timeout, mail_owner, hash_queue_depth, hash_queue_names.
 * SEE ALSO
 *	showq(8), qmgr(8), docs/man/postqueue.1.md
 */
#include <util/sys_defs.h>
#include <getopt.h>
#include <grp.h>
#include <sysexits.h>
#include <unistd.h>
#include <util/buf.h>
#include <util/msg.h>
#include <util/stream.h>
#include <global/cmd_init.h>
#include <global/mail_proto.h>
#include <global/mail_trigger.h>
#include <global/params.h>
#include <global/queue.h>
#include <server/server_jail.h>

#include "postqueue.h"

#define PQ_USAGE	"usage: postqueue -f | postqueue -i queue_id | " \
			"postqueue -j | postqueue -p | postqueue -s site"
#define PQ_SITE_MAX	255

enum pq_mode {
	PQ_MODE_NONE, PQ_MODE_LIST, PQ_MODE_JSON, PQ_MODE_FLUSH,
	PQ_MODE_QUEUE_ID, PQ_MODE_SITE,
};

struct pq_opts {
	const char *config_dir;
	enum pq_mode mode;
	const char *arg;		/* -i or -s argument */
};

 /*
  * Output state for a listing.
  */
struct pq_output {
	enum pq_mode mode;
	struct postqueue_text text;
	struct buf *out;
};

/* pq_set_mode - exactly one mode */

static void
pq_set_mode(struct pq_opts *opts, enum pq_mode mode, const char *arg)
{
	if (opts->mode != PQ_MODE_NONE)
		msg_fatal_status(EX_UNAVAILABLE, "%s", PQ_USAGE);
	opts->mode = mode;
	opts->arg = arg;
}

/* pq_options - parse the command line */

static void
pq_options(int argc, char **argv, struct pq_opts *opts)
{
	int	ch;

	memset(opts, 0, sizeof(*opts));
	while ((ch = getopt(argc, argv, "c:fi:jps:v")) != -1) {
		switch (ch) {
		case 'c': opts->config_dir = optarg; break;
		case 'f': pq_set_mode(opts, PQ_MODE_FLUSH, NULL); break;
		case 'i': pq_set_mode(opts, PQ_MODE_QUEUE_ID, optarg); break;
		case 'j': pq_set_mode(opts, PQ_MODE_JSON, NULL); break;
		case 'p': pq_set_mode(opts, PQ_MODE_LIST, NULL); break;
		case 's': pq_set_mode(opts, PQ_MODE_SITE, optarg); break;
		case 'v': msg_verbose++; break;
		default: msg_fatal_status(EX_UNAVAILABLE, "%s", PQ_USAGE);
		}
	}
	if (optind != argc || opts->mode == PQ_MODE_NONE)
		msg_fatal_status(EX_UNAVAILABLE, "%s", PQ_USAGE);
}

/* pq_write - out to standard output */

static void
pq_write(struct buf *out)
{
	if (buf_len(out) > 0
	    && fwrite(buf_str(out), 1, buf_len(out), stdout) != buf_len(out))
		msg_fatal_status(EX_IOERR, "output write error: %m");
	buf_reset(out);
}

/* pq_show - format one message */

static int
pq_show(const struct showq_msg *msg, void *ctx)
{
	struct pq_output *po = ctx;

	if (po->mode == PQ_MODE_JSON)
		postqueue_json_msg(msg, po->out);
	else
		postqueue_text_msg(&po->text, msg, po->out);
	if (buf_len(po->out) >= 65536)
		pq_write(po->out);
	return (0);
}

/* pq_show_remote - the listing from showq */

static void
pq_show_remote(int fd, struct pq_output *po)
{
	struct stream *s = stream_fdopen(fd, STREAM_READ | STREAM_WRITE);
	struct buf *why = buf_new(100);
	struct showq_msg msg;
	int	status;

	stream_set_name(s, MAIL_CLASS_PUBLIC "/" MAIL_SERVICE_SHOWQ);
	stream_set_timeout(s, (int) var_ipc_timeout);
	if (showq_request(s, why) < 0)
		msg_fatal_status(EX_SOFTWARE, "malformed showq server response: %s",
				 buf_str(why));
	showq_msg_init(&msg);
	while ((status = showq_recv_msg(s, &msg, why)) > 0)
		(void) pq_show(&msg, po);
	if (status < 0)
		msg_fatal_status(EX_SOFTWARE, "malformed showq server response: %s",
				 buf_len(why) ? buf_str(why) : "connection closed");
	showq_msg_free(&msg);
	(void) stream_close(s);
	buf_free(why);
}

/* pq_drop_privileges - root reads the queue as mail_owner */

static void
pq_drop_privileges(void)
{
	struct buf *why = buf_new(100);
	uid_t	uid;
	gid_t	gid;

	if (server_jail_lookup(var_mail_owner, &uid, &gid, why) < 0)
		msg_fatal("%s", buf_str(why));
	if (setgid(gid) < 0 || initgroups(var_mail_owner, gid) < 0
	    || setuid(uid) < 0)
		msg_fatal("cannot switch to user %s: %m", var_mail_owner);
	buf_free(why);
}

/* pq_may_read_queue - root or mail_owner */

static int
pq_may_read_queue(void)
{
	struct buf *why = buf_new(100);
	uid_t	uid;
	gid_t	gid;
	int	ok;

	ok = (geteuid() == 0
	      || (server_jail_lookup(var_mail_owner, &uid, &gid, why) == 0
		  && geteuid() == uid));
	buf_free(why);
	return (ok);
}

/* pq_show_local - the listing straight from the queue */

static void
pq_show_local(struct pq_output *po)
{
	struct showq_scan *scan;

	if (geteuid() == 0)
		pq_drop_privileges();
	scan = showq_scan_create(SHOWQ_SCAN_TRANSPORT);
	(void) showq_scan_run(scan, NULL, pq_show, po);
	showq_scan_free(scan);
}

/* pq_list - -p and -j */

static void
pq_list(enum pq_mode mode)
{
	struct pq_output po;
	int	fd;

	po.mode = mode;
	po.out = buf_new(65536 + 4096);
	postqueue_text_init(&po.text);
	if ((fd = mail_connect(MAIL_CLASS_PUBLIC, var_showq_service_name,
			       var_ipc_timeout)) >= 0) {
		pq_show_remote(fd, &po);
	} else if (errno == EACCES || errno == EPERM) {
		msg_fatal_status(EX_SOFTWARE, "Connect to the %s %s service: %m",
				 var_mail_name, var_showq_service_name);
	} else if (pq_may_read_queue()) {
		msg_warn("Mail system is down -- accessing queue directly");
		pq_show_local(&po);
	} else {
		msg_fatal_status(EX_UNAVAILABLE,
				 "Queue report unavailable - mail system is down");
	}
	if (mode == PQ_MODE_LIST)
		postqueue_text_end(&po.text, po.out);
	pq_write(po.out);
	if (fflush(stdout) != 0)
		msg_fatal_status(EX_IOERR, "output write error: %m");
	postqueue_text_free(&po.text);
	buf_free(po.out);
}

/* pq_site_ok - a plausible destination name */

static int
pq_site_ok(const char *site)
{
	const unsigned char *cp;

	if (*site == 0 || strlen(site) > PQ_SITE_MAX)
		return (0);
	for (cp = (const unsigned char *) site; *cp; cp++)
		if (*cp <= ' ' || *cp == 0x7f)
			return (0);
	return (1);
}

/* pq_trigger - one request to qmgr */

static void
pq_trigger(int code, const char *arg)
{
	struct buf *req = buf_new(64);

	buf_putc(req, code);
	if (arg) {
		buf_cat(req, arg);
		buf_putc(req, 0);
	}
	if (mail_trigger(MAIL_CLASS_PUBLIC, var_queue_service_name,
			 buf_str(req), buf_len(req)) < 0)
		msg_fatal_status(EX_UNAVAILABLE,
				 "Cannot flush mail queue - mail system is down");
	buf_free(req);
}

/* pq_flush - -f, -i, -s */

static void
pq_flush(enum pq_mode mode, const char *arg)
{
	switch (mode) {
	case PQ_MODE_FLUSH:
		pq_trigger(QMGR_REQ_FLUSH_DEAD, NULL);
		break;
	case PQ_MODE_QUEUE_ID:
		if (!queue_id_valid(arg))
			msg_fatal_status(EX_UNAVAILABLE, "invalid mail queue id: %s", arg);
		pq_trigger('i', arg);
		break;
	case PQ_MODE_SITE:
		if (!pq_site_ok(arg))
			msg_fatal_status(EX_UNAVAILABLE, "invalid destination: \"%s\"", arg);
		pq_trigger('s', arg);
		break;
	default:
		msg_panic("pq_flush: mode %d", (int) mode);
	}
}

int
main(int argc, char **argv)
{
	struct pq_opts opts;

	msg_init(argv[0]);
	pq_options(argc, argv, &opts);
	cmd_init(argv[0], opts.config_dir);
	if (queue_set_hash(var_hash_queue_depth, var_hash_queue_names) < 0)
		msg_fatal("bad hash_queue_depth or hash_queue_names");
	if (chdir(var_queue_directory) < 0)
		msg_fatal("chdir %s: %m", var_queue_directory);
	if (opts.mode == PQ_MODE_LIST || opts.mode == PQ_MODE_JSON)
		pq_list(opts.mode);
	else
		pq_flush(opts.mode, opts.arg);
	return (0);
}
