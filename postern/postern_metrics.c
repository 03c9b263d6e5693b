/*
 * NAME
 *	postern-metrics - print Prometheus metrics ("postern metrics")
 * SYNOPSIS
 *	postern [-v] [-c config_dir] metrics
 *
 *	daemon_directory/postern-metrics [-v] [-c config_dir]
 * DESCRIPTION
 *	"postern metrics" prints the Prometheus text exposition (version
 *	0.0.4) of the instance on standard output: the same text that the
 *	metrics(8) service serves over HTTP. postern(1) runs this program
 *	for its "metrics" command (any command postern does not know
 *	itself runs daemon_directory/postern-COMMAND).
 *
 *	The queue directory sizes and oldest ages are counted on the spot;
 *	everything the queue manager knows (active queue, destinations,
 *	delivery counters and delays) comes from the snapshot qmgr writes
 *	every second to queue_directory/private/qmgr.stats. When qmgr is
 *	not running, or its snapshot is older than 10 seconds, the output
 *	has postern_qmgr_up 0 and the queue metrics only. Counters start
 *	from zero when qmgr restarts (postern_qmgr_start_time_seconds
 *	tells when).
 *
 *	The queue directories belong to mail_owner: run this as root or
 *	as mail_owner (local users can use the metrics service instead).
 * DIAGNOSTICS
 *	Problems go to standard error (and maillog_file when set). The
 *	exit status is 0 on success, 1 when a queue directory or an
 *	existing snapshot could not be read (what could be read is still
 *	printed) or on a usage or configuration error.
 * PARAMETERS
 *	queue_directory, qmgr_message_active_limit.
 * SEE ALSO
 *	postern(1), metrics(8), metrics_format(3)
 */
#include <util/sys_defs.h>
#include <unistd.h>
#include <util/buf.h>
#include <util/iostuff.h>
#include <util/msg.h>
#include <global/cmd_init.h>
#include <global/metrics_format.h>
#include <global/metrics_snapshot.h>
#include <global/params.h>

#define POSTERN_METRICS_USAGE	"usage: postern [-v] [-c config_dir] metrics"

int
main(int argc, char **argv)
{
	const char *config_dir = NULL;
	struct buf *out = buf_new(8192);
	struct buf *why = buf_new(100);
	int	status = 0;
	int	ch;

	msg_init("postern");
	while ((ch = getopt(argc, argv, "c:v")) != -1) {
		if (ch == 'c')
			config_dir = optarg;
		else if (ch == 'v')
			msg_verbose++;
		else
			msg_fatal(POSTERN_METRICS_USAGE);
	}
	if (optind < argc)
		msg_fatal(POSTERN_METRICS_USAGE);
	cmd_init("postern", config_dir);
	if (chdir(var_queue_directory) < 0)
		msg_fatal("chdir %s: %m", var_queue_directory);
	if (metrics_collect(out, METRICS_SNAPSHOT_FILE, var_qmgr_message_active_limit,
			    why) < 0) {
		msg_warn("%s", buf_str(why));
		status = 1;
	}
	if (write_full(STDOUT_FILENO, buf_str(out), buf_len(out)) < 0)
		msg_fatal("write standard output: %m");
	buf_free(out);
	buf_free(why);
	return (status);
}
